//! The database: one connection pool for SQLite or PostgreSQL, migrations, and the audit log.
//!
//! Queries are written once, with `$N` placeholders, and run through sqlx's `Any` driver,
//! which both backends accept. Values cross as `i64`, `String` and `Option`s of them (times
//! are Unix seconds), the types `Any` maps the same way on both. Queries are checked at run
//! time (`sqlx::query`), so building needs no live database.

use crate::error::Error;
use almen_core::Timestamp;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Executor, Row, Transaction};
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// A transaction. Modules record an action's audit row in the same transaction as the action,
/// so either both happen or neither does.
pub type Tx<'c> = Transaction<'c, Any>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// PostgreSQL when the URL says so; anything else is taken as SQLite.
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A pool of connections to the application database. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

impl Db {
    /// Opens (creating a SQLite file if the URL allows it) and migrates the database.
    pub async fn connect(url: &str) -> Result<Db, Error> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url);
        let url = normalize_url(url, backend);
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = match backend {
            // WAL lets readers work while one writer commits; the busy timeout makes a second
            // writer wait instead of failing at once. Foreign keys are off by default in SQLite.
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                                 PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(10)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?
            }
        };
        let db = Db { pool, backend };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), Error> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for queries outside a transaction (`.execute(db.pool())`).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn begin(&self) -> Result<Tx<'static>, Error> {
        Ok(self.pool.begin().await?)
    }

    /// A round trip to the database (`SELECT 1`).
    pub async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Waits for connections in use to be returned, then closes them all.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A SQLite URL without a `mode` is opened read-write-create: `almen serve` on a fresh folder
/// should just work.
fn normalize_url(url: &str, backend: Backend) -> String {
    if backend == Backend::Sqlite && !url.contains("mode=") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}mode=rwc")
    } else {
        url.to_string()
    }
}

/// One row to append to the audit log: who did what, to which patient, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// `None` for the system itself (startup tasks, imports).
    pub user_id: Option<i64>,
    pub username: String,
    /// A dotted name, module first: `login`, `audit.view`, `cockpit.patient.view`.
    pub action: String,
    /// The patient looked up or changed, in full: the log must say exactly whose data was
    /// seen. Pages mask it with [`almen_core::mask_id`].
    pub patient_ref: Option<String>,
    /// Why (required when `patient_ref` is set).
    pub reason: Option<String>,
    /// Anything else worth keeping, as JSON: list names, filters, counts. Never a patient
    /// identifier: those go in `patient_ref`, which is masked on display; `detail` is not.
    pub detail: serde_json::Value,
}

impl AuditEntry {
    pub fn new(user: &crate::CurrentUser, action: impl Into<String>) -> AuditEntry {
        AuditEntry {
            user_id: Some(user.id),
            username: user.username.clone(),
            action: action.into(),
            patient_ref: None,
            reason: None,
            detail: serde_json::Value::Object(Default::default()),
        }
    }

    /// An action of the server itself, not of a logged-in user.
    pub fn system(action: impl Into<String>) -> AuditEntry {
        AuditEntry {
            user_id: None,
            username: "system".to_string(),
            action: action.into(),
            patient_ref: None,
            reason: None,
            detail: serde_json::Value::Object(Default::default()),
        }
    }

    pub fn patient(mut self, patient_ref: impl Into<String>) -> AuditEntry {
        self.patient_ref = Some(patient_ref.into());
        self
    }

    pub fn reason(mut self, reason: impl Into<String>) -> AuditEntry {
        self.reason = Some(reason.into());
        self
    }

    pub fn detail(mut self, detail: serde_json::Value) -> AuditEntry {
        self.detail = detail;
        self
    }
}

/// Appends `entry` to the audit log inside `tx`; returns the new row's id. The row exists only
/// if `tx` commits, together with the action it records.
///
/// A look-up of a patient must say why (DOMAIN §5): an entry with a patient and no reason is
/// refused, and so the action fails.
pub async fn audit(tx: &mut Tx<'_>, entry: AuditEntry) -> Result<i64, Error> {
    if entry.action.trim().is_empty() {
        return Err(Error::Invalid {
            field: "action",
            value: Some(entry.action),
            rule: "an audit entry names its action",
        });
    }
    if entry.patient_ref.is_some() && entry.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(Error::Invalid {
            field: "reason",
            value: None,
            rule: "an audit entry about a patient says why the patient was looked up",
        });
    }
    let row = sqlx::query(
        "INSERT INTO audit_log (at, user_id, username, action, patient_ref, reason, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(Timestamp::now().unix())
    .bind(entry.user_id)
    .bind(entry.username)
    .bind(entry.action)
    .bind(entry.patient_ref)
    .bind(entry.reason)
    .bind(entry.detail.to_string())
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// For read-only views: a transaction that only writes the audit row. Call it before showing
/// the data, so that nothing is shown that was not logged.
pub async fn audit_view(db: &Db, entry: AuditEntry) -> Result<i64, Error> {
    let mut tx = db.begin().await?;
    let id = audit(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(id)
}

/// One row of the audit log as stored (patient refs unmasked: mask before display).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub id: i64,
    pub at: Timestamp,
    pub user_id: Option<i64>,
    pub username: String,
    pub action: String,
    pub patient_ref: Option<String>,
    pub reason: Option<String>,
    pub detail: String,
}

/// The newest `limit` entries, newest first.
pub async fn latest_audit(db: &Db, limit: i64) -> Result<Vec<AuditRecord>, Error> {
    let rows = sqlx::query(
        "SELECT id, at, user_id, username, action, patient_ref, reason, detail \
         FROM audit_log ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditRecord {
                id: r.try_get(0)?,
                at: Timestamp::from_unix(r.try_get(1)?),
                user_id: r.try_get(2)?,
                username: r.try_get(3)?,
                action: r.try_get(4)?,
                patient_ref: r.try_get(5)?,
                reason: r.try_get(6)?,
                detail: r.try_get(7)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_choose_postgres_and_others_sqlite() {
        assert_eq!(Backend::of_url("postgres://u@h/db"), Backend::Postgres);
        assert_eq!(Backend::of_url("postgresql://u@h/db"), Backend::Postgres);
        assert_eq!(Backend::of_url("sqlite://a.sqlite"), Backend::Sqlite);
    }

    #[test]
    fn sqlite_urls_without_a_mode_are_created_if_missing() {
        assert_eq!(
            normalize_url("sqlite://a.sqlite", Backend::Sqlite),
            "sqlite://a.sqlite?mode=rwc"
        );
        assert_eq!(
            normalize_url("sqlite://a.sqlite?mode=ro", Backend::Sqlite),
            "sqlite://a.sqlite?mode=ro"
        );
        assert_eq!(
            normalize_url("postgres://h/db", Backend::Postgres),
            "postgres://h/db"
        );
    }
}
