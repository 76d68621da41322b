-- Users, sessions and the audit log (PostgreSQL). Times are Unix seconds (UTC) so that both
-- backends store the same values and sqlx's Any driver can read them as i64.

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT   NOT NULL UNIQUE,
    display_name  TEXT   NOT NULL,
    role          TEXT   NOT NULL
                  CHECK (role IN ('gp', 'visitator', 'coordinator', 'driver', 'analyst', 'admin')),
    -- PHC string of an argon2id hash; never the password.
    password_hash TEXT   NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    -- SHA-256 of the cookie token, hex: a stolen database does not yield live sessions.
    token_hash TEXT   PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Who looked at or changed what, when and why. No foreign key to users: the record must
-- outlive the account, so the username is copied in.
CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    at          BIGINT NOT NULL,
    user_id     BIGINT,
    username    TEXT   NOT NULL,
    action      TEXT   NOT NULL,
    patient_ref TEXT,
    reason      TEXT,
    detail      TEXT   NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_patient ON audit_log (patient_ref);

-- The audit log is append-only: nothing that runs SQL through the application can rewrite
-- or erase what was recorded (TRUNCATE included, which row triggers would not see).
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is refused', TG_OP;
END
$$;

CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
