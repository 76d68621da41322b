-- The capacity model's hearing (PostgreSQL): a clinic comments on its computed minimum
-- patient number, an analyst answers and fixes the final number. Clinics are the dataset's
-- ids. Times are Unix seconds (UTC). Every table is append-only (the triggers below): a later
-- answer or decision is a new row, so the hearing's whole history survives.

-- A comment on a clinic's number, with the number it was made on.
CREATE TABLE capacity_hearing_comments (
    id               BIGSERIAL PRIMARY KEY,
    clinic_id        TEXT             NOT NULL,
    computed_minimum DOUBLE PRECISION NOT NULL,
    comment          TEXT             NOT NULL,
    -- Username, copied: the hearing outlives the account.
    author           TEXT             NOT NULL,
    author_user_id   BIGINT,
    created_at       BIGINT           NOT NULL
);
CREATE INDEX capacity_hearing_comments_clinic ON capacity_hearing_comments (clinic_id);

-- An analyst's answer to a comment. A comment is open until it has an answer.
CREATE TABLE capacity_hearing_answers (
    id             BIGSERIAL PRIMARY KEY,
    comment_id     BIGINT NOT NULL REFERENCES capacity_hearing_comments (id),
    clinic_id      TEXT   NOT NULL,
    answer         TEXT   NOT NULL,
    author         TEXT   NOT NULL,
    author_user_id BIGINT,
    created_at     BIGINT NOT NULL
);
CREATE INDEX capacity_hearing_answers_comment ON capacity_hearing_answers (comment_id);

-- The final minimum patient number of a clinic, versioned: the newest version is in force.
CREATE TABLE capacity_final_numbers (
    id                 BIGSERIAL PRIMARY KEY,
    clinic_id          TEXT             NOT NULL,
    version            BIGINT           NOT NULL CHECK (version >= 1),
    final_minimum      BIGINT           NOT NULL CHECK (final_minimum >= 0),
    computed_minimum   DOUBLE PRECISION NOT NULL,
    reason             TEXT             NOT NULL,
    decided_by         TEXT             NOT NULL,
    decided_by_user_id BIGINT,
    decided_at         BIGINT           NOT NULL,
    UNIQUE (clinic_id, version)
);

CREATE FUNCTION capacity_hearing_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is refused', TG_TABLE_NAME, TG_OP;
END
$$;

CREATE TRIGGER capacity_hearing_comments_no_change BEFORE UPDATE OR DELETE ON capacity_hearing_comments
    FOR EACH ROW EXECUTE FUNCTION capacity_hearing_refuse_change();
CREATE TRIGGER capacity_hearing_comments_no_truncate BEFORE TRUNCATE ON capacity_hearing_comments
    FOR EACH STATEMENT EXECUTE FUNCTION capacity_hearing_refuse_change();
CREATE TRIGGER capacity_hearing_answers_no_change BEFORE UPDATE OR DELETE ON capacity_hearing_answers
    FOR EACH ROW EXECUTE FUNCTION capacity_hearing_refuse_change();
CREATE TRIGGER capacity_hearing_answers_no_truncate BEFORE TRUNCATE ON capacity_hearing_answers
    FOR EACH STATEMENT EXECUTE FUNCTION capacity_hearing_refuse_change();
CREATE TRIGGER capacity_final_numbers_no_change BEFORE UPDATE OR DELETE ON capacity_final_numbers
    FOR EACH ROW EXECUTE FUNCTION capacity_hearing_refuse_change();
CREATE TRIGGER capacity_final_numbers_no_truncate BEFORE TRUNCATE ON capacity_final_numbers
    FOR EACH STATEMENT EXECUTE FUNCTION capacity_hearing_refuse_change();
