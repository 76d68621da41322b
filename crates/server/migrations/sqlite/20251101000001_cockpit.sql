-- The clinic cockpit (SQLite): which clinics a user works for, quality clusters (klynger) of
-- clinics, and the treatment plans doctor and patient agree. Clinics and patients are the
-- dataset's ids (the dataset is not in the database). Times are Unix seconds (UTC), booleans
-- 0/1, so that both backends store the same values.

-- A GP's clinic(s). A GP sees the lists and patients of these clinics only.
CREATE TABLE user_clinics (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    clinic_id  TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, clinic_id)
);
CREATE INDEX user_clinics_clinic ON user_clinics (clinic_id);

-- Quality clusters (klynger, KiAP). A clinic belongs to at most one cluster.
CREATE TABLE clusters (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE cluster_clinics (
    cluster_id INTEGER NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    clinic_id  TEXT    NOT NULL UNIQUE,
    PRIMARY KEY (cluster_id, clinic_id)
);

-- Treatment plans, versioned: every save is a new row with the next version; a row is never
-- changed or removed (the triggers below), so the history of what was agreed stays whole.
CREATE TABLE treatment_plans (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id          TEXT    NOT NULL,
    -- The clinic the patient was listed with when the version was saved.
    clinic_id           TEXT    NOT NULL,
    version             INTEGER NOT NULL CHECK (version >= 1),
    goals               TEXT    NOT NULL,
    actions             TEXT    NOT NULL,
    -- The next follow-up, YYYY-MM-DD, or NULL.
    follow_up           TEXT,
    agreed_with_patient INTEGER NOT NULL CHECK (agreed_with_patient IN (0, 1)),
    -- Who saved the version (username, copied: the plan outlives the account).
    author              TEXT    NOT NULL,
    author_user_id      INTEGER,
    created_at          INTEGER NOT NULL,
    UNIQUE (patient_id, version)
);

CREATE TRIGGER treatment_plans_no_update BEFORE UPDATE ON treatment_plans
BEGIN
    SELECT RAISE(ABORT, 'treatment_plans are versioned: UPDATE is refused, save a new version');
END;

CREATE TRIGGER treatment_plans_no_delete BEFORE DELETE ON treatment_plans
BEGIN
    SELECT RAISE(ABORT, 'treatment_plans are versioned: DELETE is refused');
END;
