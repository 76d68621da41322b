-- The out-of-hours service (Lægevagten), SQLite. Times are Unix seconds (UTC), booleans 0/1,
-- so that both backends store the same values and sqlx's Any driver reads them as i64.

-- Machine clients of the call-intake API (the phone system, a simulator). Only the SHA-256 of
-- the token is kept, as for sessions.
CREATE TABLE vagt_api_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE,
    token_hash TEXT    NOT NULL UNIQUE,
    -- 'phone': call events only; 'simulator': also outcomes (replays of a call log).
    scope      TEXT    NOT NULL CHECK (scope IN ('phone', 'simulator')),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

-- One row per call: its current state, updated in the transaction that stores the event (or
-- the visitator's action) that changed it. `version` counts those changes, so that concurrent
-- writers can update optimistically (`WHERE version = $n`).
CREATE TABLE vagt_calls (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id            TEXT    NOT NULL UNIQUE,
    state              TEXT    NOT NULL
                       CHECK (state IN ('queued', 'offered', 'answered', 'transferred', 'ended', 'abandoned')),
    urgent             INTEGER NOT NULL DEFAULT 0 CHECK (urgent IN (0, 1)),
    caller_number      TEXT,
    district           TEXT,
    received_at        INTEGER NOT NULL,
    offered_at         INTEGER,
    answered_at        INTEGER,
    ended_at           INTEGER,
    last_event_at      INTEGER NOT NULL,
    -- Who answered: an Almen username, or the phone system's id of the agent.
    visitator          TEXT,
    visitator_user_id  INTEGER,
    version            INTEGER NOT NULL DEFAULT 1,
    -- The patient, once the visitator has identified them (a CPR number).
    patient_ref        TEXT,
    presenting_problem TEXT,
    urgency            TEXT CHECK (urgency IN ('acute', 'urgent', 'non_urgent')),
    outcome            TEXT CHECK (outcome IN ('advice', 'consultation', 'home_visit', 'video', 'referral', 'ambulance')),
    note               TEXT,
    triaged_at         INTEGER,
    triaged_by         TEXT,
    -- The KPI times (the `calls` table of the extract format), kept on the call so that one
    -- query gives the KPIs.
    booked_for         INTEGER,
    finished_at        INTEGER,
    visit_started_at   INTEGER,
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
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT    NOT NULL UNIQUE,
    call_id     TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    payload     TEXT    NOT NULL
);
CREATE INDEX vagt_events_call ON vagt_events (call_id);
CREATE INDEX vagt_events_at ON vagt_events (at);

-- Consultation sites and their bookable slots (one doctor per site per shift).
CREATE TABLE vagt_sites (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    code     TEXT    NOT NULL UNIQUE,
    name     TEXT    NOT NULL,
    district TEXT
);

CREATE TABLE vagt_slots (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id   INTEGER NOT NULL REFERENCES vagt_sites (id),
    starts_at INTEGER NOT NULL,
    minutes   INTEGER NOT NULL CHECK (minutes > 0),
    doctor    TEXT    NOT NULL,
    UNIQUE (site_id, starts_at)
);
CREATE INDEX vagt_slots_time ON vagt_slots (starts_at);

-- A slot holds one patient and a call books one slot: the unique constraints make a double
-- booking impossible whatever the interleaving of requests.
CREATE TABLE vagt_bookings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    slot_id     INTEGER NOT NULL UNIQUE REFERENCES vagt_slots (id),
    call_id     TEXT    NOT NULL UNIQUE REFERENCES vagt_calls (call_id),
    booked_by   TEXT    NOT NULL,
    booked_at   INTEGER NOT NULL,
    finished_at INTEGER
);

-- Driving units (cars with a driver and a doctor) and their home visits (sygebesøg).
CREATE TABLE vagt_units (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT    NOT NULL UNIQUE,
    name TEXT    NOT NULL
);

CREATE TABLE vagt_home_visits (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id     TEXT    NOT NULL UNIQUE REFERENCES vagt_calls (call_id),
    unit_id     INTEGER REFERENCES vagt_units (id),
    status      TEXT    NOT NULL CHECK (status IN ('planned', 'on_the_way', 'arrived', 'done')),
    address     TEXT,
    -- The 3-hour target counts from here (DOMAIN §1).
    triaged_at  INTEGER NOT NULL,
    created_by  TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL,
    departed_at INTEGER,
    arrived_at  INTEGER,
    done_at     INTEGER
);
CREATE INDEX vagt_home_visits_status ON vagt_home_visits (status, unit_id);

-- Visitators who have signed on for the shift in Almen.
CREATE TABLE vagt_duty (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    since   INTEGER NOT NULL
);
