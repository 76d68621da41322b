-- The capacity model's hearing (SQLite): a clinic comments on its computed minimum patient
-- number, an analyst answers and fixes the final number. Clinics are the dataset's ids. Times
-- are Unix seconds (UTC). Every table is append-only (the triggers below): a later answer or
-- decision is a new row, so the hearing's whole history survives.

-- A comment on a clinic's number, with the number it was made on.
CREATE TABLE capacity_hearing_comments (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    clinic_id        TEXT    NOT NULL,
    computed_minimum REAL    NOT NULL,
    comment          TEXT    NOT NULL,
    -- Username, copied: the hearing outlives the account.
    author           TEXT    NOT NULL,
    author_user_id   INTEGER,
    created_at       INTEGER NOT NULL
);
CREATE INDEX capacity_hearing_comments_clinic ON capacity_hearing_comments (clinic_id);

-- An analyst's answer to a comment. A comment is open until it has an answer.
CREATE TABLE capacity_hearing_answers (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    comment_id     INTEGER NOT NULL REFERENCES capacity_hearing_comments (id),
    clinic_id      TEXT    NOT NULL,
    answer         TEXT    NOT NULL,
    author         TEXT    NOT NULL,
    author_user_id INTEGER,
    created_at     INTEGER NOT NULL
);
CREATE INDEX capacity_hearing_answers_comment ON capacity_hearing_answers (comment_id);

-- The final minimum patient number of a clinic, versioned: the newest version is in force.
CREATE TABLE capacity_final_numbers (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    clinic_id          TEXT    NOT NULL,
    version            INTEGER NOT NULL CHECK (version >= 1),
    final_minimum      INTEGER NOT NULL CHECK (final_minimum >= 0),
    computed_minimum   REAL    NOT NULL,
    reason             TEXT    NOT NULL,
    decided_by         TEXT    NOT NULL,
    decided_by_user_id INTEGER,
    decided_at         INTEGER NOT NULL,
    UNIQUE (clinic_id, version)
);

CREATE TRIGGER capacity_hearing_comments_no_update BEFORE UPDATE ON capacity_hearing_comments
BEGIN
    SELECT RAISE(ABORT, 'capacity_hearing_comments are append-only: UPDATE is refused');
END;
CREATE TRIGGER capacity_hearing_comments_no_delete BEFORE DELETE ON capacity_hearing_comments
BEGIN
    SELECT RAISE(ABORT, 'capacity_hearing_comments are append-only: DELETE is refused');
END;
CREATE TRIGGER capacity_hearing_answers_no_update BEFORE UPDATE ON capacity_hearing_answers
BEGIN
    SELECT RAISE(ABORT, 'capacity_hearing_answers are append-only: UPDATE is refused');
END;
CREATE TRIGGER capacity_hearing_answers_no_delete BEFORE DELETE ON capacity_hearing_answers
BEGIN
    SELECT RAISE(ABORT, 'capacity_hearing_answers are append-only: DELETE is refused');
END;
CREATE TRIGGER capacity_final_numbers_no_update BEFORE UPDATE ON capacity_final_numbers
BEGIN
    SELECT RAISE(ABORT, 'capacity_final_numbers are versioned: UPDATE is refused, decide a new version');
END;
CREATE TRIGGER capacity_final_numbers_no_delete BEFORE DELETE ON capacity_final_numbers
BEGIN
    SELECT RAISE(ABORT, 'capacity_final_numbers are versioned: DELETE is refused');
END;
