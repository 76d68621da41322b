//! Treatment plans (seed 003 §8.2): goals, agreed actions and the next follow-up, made by the
//! doctor and the patient together. Versioned: every save is a new row with the next version
//! number, written in the same transaction as its audit row; rows are never changed (the
//! database refuses UPDATE and DELETE).

use crate::auth::CurrentUser;
use crate::db::{AuditEntry, Db, audit};
use crate::error::AppError;
use almen_core::{Day, Timestamp};
use sqlx::Row;

/// The longest text a goals or actions field may hold.
pub const MAX_TEXT_CHARS: usize = 4000;

/// One saved version.
#[derive(Debug, Clone)]
pub(crate) struct PlanVersion {
    pub version: i64,
    pub goals: String,
    pub actions: String,
    pub follow_up: Option<Day>,
    pub agreed_with_patient: bool,
    pub author: String,
    pub created_at: Timestamp,
}

/// A plan as typed into the form, checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct PlanInput {
    pub goals: String,
    pub actions: String,
    pub follow_up: Option<Day>,
    pub agreed_with_patient: bool,
}

/// Why a version was not saved.
#[derive(Debug)]
pub(crate) enum SaveError {
    /// Another version was saved after the one the form was based on.
    Conflict {
        current: i64,
    },
    App(AppError),
}

impl From<AppError> for SaveError {
    fn from(e: AppError) -> SaveError {
        SaveError::App(e)
    }
}

impl From<sqlx::Error> for SaveError {
    fn from(e: sqlx::Error) -> SaveError {
        SaveError::App(e.into())
    }
}

/// Every version of a patient's plan, newest first.
pub(crate) async fn versions(db: &Db, patient_id: &str) -> Result<Vec<PlanVersion>, AppError> {
    let rows = sqlx::query(
        "SELECT version, goals, actions, follow_up, agreed_with_patient, author, created_at \
         FROM treatment_plans WHERE patient_id = $1 ORDER BY version DESC",
    )
    .bind(patient_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let follow_up: Option<String> = r.try_get(3)?;
            Ok(PlanVersion {
                version: r.try_get(0)?,
                goals: r.try_get(1)?,
                actions: r.try_get(2)?,
                follow_up: follow_up.as_deref().and_then(|s| Day::parse(s).ok()),
                agreed_with_patient: r.try_get::<i64, _>(4)? != 0,
                author: r.try_get(5)?,
                created_at: Timestamp::from_unix(r.try_get(6)?),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// Saves `input` as the version after `base` (the version the form showed, 0 for none) and
/// writes the audit row, in one transaction. Returns the new version.
pub(crate) async fn save(
    db: &Db,
    user: &CurrentUser,
    patient_id: &str,
    clinic_id: &str,
    base: i64,
    input: &PlanInput,
) -> Result<i64, SaveError> {
    let mut tx = crate::vagt::begin_write(db).await?;
    let current: i64 =
        sqlx::query("SELECT COALESCE(MAX(version), 0) FROM treatment_plans WHERE patient_id = $1")
            .bind(patient_id)
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?;
    if current != base {
        tx.rollback().await?;
        return Err(SaveError::Conflict { current });
    }
    let version = current + 1;
    let inserted = sqlx::query(
        "INSERT INTO treatment_plans (patient_id, clinic_id, version, goals, actions, follow_up, \
         agreed_with_patient, author, author_user_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(patient_id)
    .bind(clinic_id)
    .bind(version)
    .bind(&input.goals)
    .bind(&input.actions)
    .bind(input.follow_up.map(|d| d.to_string()))
    .bind(i64::from(input.agreed_with_patient))
    .bind(&user.username)
    .bind(user.id)
    .bind(Timestamp::now().unix())
    .execute(&mut **tx)
    .await;
    match inserted {
        Ok(_) => {}
        // Two saves of the same version: the unique (patient, version) lets one win.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            tx.rollback().await?;
            return Err(SaveError::Conflict { current: version });
        }
        Err(e) => return Err(e.into()),
    }
    audit(
        &mut tx,
        AuditEntry::new(user, "cockpit.plan.save")
            .patient(patient_id)
            .reason("care: treatment plan agreed with the patient")
            .detail(serde_json::json!({
                "clinic": clinic_id,
                "version": version,
                "agreed_with_patient": input.agreed_with_patient,
            })),
    )
    .await
    .map_err(AppError::from)?;
    tx.commit().await?;
    Ok(version)
}
