-- The out-of-hours service (Lægevagten), PostgreSQL. Times are Unix seconds (UTC), booleans 0/1,
-- so that both backends store the same values and sqlx's Any driver reads them as i64.

-- Machine clients of the call-intake API (the phone system, a simulator). Only the SHA-256 of
-- the token is kept, as for sessions.
CREATE TABLE vagt_api_tokens (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    token_hash TEXT    NOT NULL UNIQUE,
    -- 'phone': call events only; 'simulator': also outcomes (replays of a call log).
    scope      TEXT    NOT NULL CHECK (scope IN ('phone', 'simulator')),
    created_at BIGINT  NOT NULL,
    revoked_at BIGINT
);

-- One row per call: its current state, updated in the transaction that stores the event (or
-- the visitator's action) that changed it. `version` counts those changes, so that concurrent
-- writers can update optimistically (`WHERE version = $n`).
CREATE TABLE vagt_calls (
    id                 BIGSERIAL PRIMARY KEY,
    call_id            TEXT    NOT NULL UNIQUE,
    state              TEXT    NOT NULL
                       CHECK (state IN ('queued', 'offered', 'answered', 'transferred', 'ended', 'abandoned')),
    urgent             BIGINT  NOT NULL DEFAULT 0 CHECK (urgent IN (0, 1)),
    caller_number      TEXT,
    district           TEXT,
    received_at        BIGINT  NOT NULL,
    offered_at         BIGINT,
    answered_at        BIGINT,
    ended_at           BIGINT,
    last_event_at      BIGINT  NOT NULL,
    -- Who answered: an Almen username, or the phone system's id of the agent.
    visitator          TEXT,
    visitator_user_id  BIGINT,
    version            BIGINT  NOT NULL DEFAULT 1,
    -- The patient, once the visitator has identified them (a CPR number).
    patient_ref        TEXT,
    presenting_problem TEXT,
    urgency            TEXT CHECK (urgency IN ('acute', 'urgent', 'non_urgent')),
    outcome            TEXT CHECK (outcome IN ('advice', 'consultation', 'home_visit', 'video', 'referral', 'ambulance')),
    note               TEXT,
    triaged_at         BIGINT,
    triaged_by         TEXT,
    -- The KPI times (the `calls` table of the extract format), kept on the call so that one
    -- query gives the KPIs.
    booked_for         BIGINT,
    finished_at        BIGINT,
    visit_started_at   BIGINT,
    video_link         TEXT
);
CREATE INDEX vagt_calls_queue ON vagt_calls (state, urgent, received_at);
CREATE INDEX vagt_calls_received ON vagt_calls (received_at);
CREATE INDEX vagt_calls_caller ON vagt_calls (caller_number, received_at);
CREATE INDEX vagt_calls_patient ON vagt_calls (patient_ref);
CREATE INDEX vagt_calls_visitator ON vagt_calls (visitator_user_id, state);

-- Every accepted event of the phone system, as received. `event_id` is unique: a repeated
-- event is recognised and acknowledged without being applied twice.
CREATE TABLE vagt_events (
    id          BIGSERIAL PRIMARY KEY,
    event_id    TEXT    NOT NULL UNIQUE,
    call_id     TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    at          BIGINT  NOT NULL,
    recorded_at BIGINT  NOT NULL,
    payload     TEXT    NOT NULL
);
CREATE INDEX vagt_events_call ON vagt_events (call_id);
CREATE INDEX vagt_events_at ON vagt_events (at);

-- Consultation sites and their bookable slots (one doctor per site per shift).
CREATE TABLE vagt_sites (
    id       BIGSERIAL PRIMARY KEY,
    code     TEXT    NOT NULL UNIQUE,
    name     TEXT    NOT NULL,
    district TEXT
);

CREATE TABLE vagt_slots (
    id        BIGSERIAL PRIMARY KEY,
    site_id   BIGINT  NOT NULL REFERENCES vagt_sites (id),
    starts_at BIGINT  NOT NULL,
    minutes   BIGINT  NOT NULL CHECK (minutes > 0),
    doctor    TEXT    NOT NULL,
    UNIQUE (site_id, starts_at)
);
CREATE INDEX vagt_slots_time ON vagt_slots (starts_at);

-- A slot holds one patient and a call books one slot: the unique constraints make a double
-- booking impossible whatever the interleaving of requests.
CREATE TABLE vagt_bookings (
    id          BIGSERIAL PRIMARY KEY,
    slot_id     BIGINT  NOT NULL UNIQUE REFERENCES vagt_slots (id),
    call_id     TEXT    NOT NULL UNIQUE REFERENCES vagt_calls (call_id),
    booked_by   TEXT    NOT NULL,
    booked_at   BIGINT  NOT NULL,
    finished_at BIGINT
);

-- Driving units (cars with a driver and a doctor) and their home visits (sygebesøg).
CREATE TABLE vagt_units (
    id   BIGSERIAL PRIMARY KEY,
    code TEXT    NOT NULL UNIQUE,
    name TEXT    NOT NULL
);

CREATE TABLE vagt_home_visits (
    id          BIGSERIAL PRIMARY KEY,
    call_id     TEXT    NOT NULL UNIQUE REFERENCES vagt_calls (call_id),
    unit_id     BIGINT  REFERENCES vagt_units (id),
    status      TEXT    NOT NULL CHECK (status IN ('planned', 'on_the_way', 'arrived', 'done')),
    address     TEXT,
    -- The 3-hour target counts from here (DOMAIN §1).
    triaged_at  BIGINT  NOT NULL,
    created_by  TEXT    NOT NULL,
    updated_at  BIGINT  NOT NULL,
    departed_at BIGINT,
    arrived_at  BIGINT,
    done_at     BIGINT
);
CREATE INDEX vagt_home_visits_status ON vagt_home_visits (status, unit_id);

-- Visitators who have signed on for the shift in Almen.
CREATE TABLE vagt_duty (
    user_id BIGINT  PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    since   BIGINT  NOT NULL
);
