//! Demo data for the cockpit (with `--demo-users` and a dataset): the demo GP is linked to the
//! clinic with the most listed patients, and the dataset's clinics are grouped into quality
//! clusters (klynger) of at most [`CLUSTER_SIZE`] clinics within each municipality.
//!
//! Links and clusters are ordinary rows: a real installation enters its own (the
//! administrator's page `/cockpit/clusters`).

use crate::db::Db;
use crate::error::Error;
use almen_core::Timestamp;
use almen_dataset::Dataset;
use sqlx::Row;
use std::collections::BTreeMap;

/// The most clinics a demo cluster has (real clusters have about 4-10).
pub const CLUSTER_SIZE: usize = 8;

/// The clinic with the most listed patients (the lowest row among equals): deterministic for
/// a dataset.
pub fn biggest_clinic(ds: &Dataset) -> Option<u32> {
    (0..ds.clinics.len() as u32)
        .map(|c| (ds.index.patients_by_clinic.rows_of(c).len(), c))
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
        .map(|(_, c)| c)
}

/// Links the demo GP to [`biggest_clinic`] unless they are linked to a clinic of `ds`
/// already, and creates the demo clusters when there are none. Safe to run at every start.
pub async fn ensure_demo_data(db: &Db, ds: &Dataset) -> Result<(), Error> {
    let now = Timestamp::now().unix();
    let gp = sqlx::query("SELECT id FROM users WHERE username = 'gp'")
        .fetch_optional(db.pool())
        .await?;
    if let (Some(gp), Some(clinic)) = (gp, biggest_clinic(ds)) {
        let gp: i64 = gp.try_get(0)?;
        let linked = sqlx::query("SELECT clinic_id FROM user_clinics WHERE user_id = $1")
            .bind(gp)
            .fetch_all(db.pool())
            .await?;
        let mut has_one = false;
        for r in &linked {
            has_one |= ds.clinic_row(&r.try_get::<String, _>(0)?).is_some();
        }
        if !has_one {
            sqlx::query(
                "INSERT INTO user_clinics (user_id, clinic_id, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id, clinic_id) DO NOTHING",
            )
            .bind(gp)
            .bind(ds.clinics.id.get(clinic as usize))
            .bind(now)
            .execute(db.pool())
            .await?;
        }
    }

    let clusters: i64 = sqlx::query("SELECT COUNT(*) FROM clusters")
        .fetch_one(db.pool())
        .await?
        .try_get(0)?;
    if clusters > 0 {
        return Ok(());
    }
    // Clinics by municipality, in code and id order; each municipality's clinics split into
    // groups as even as possible.
    let mut by_kommune: BTreeMap<u16, Vec<&str>> = BTreeMap::new();
    for c in 0..ds.clinics.len() {
        by_kommune
            .entry(ds.clinics.kommune[c].get())
            .or_default()
            .push(ds.clinics.id.get(c));
    }
    // One transaction: a region has hundreds of clinics.
    let mut tx = db.begin().await?;
    for (code, mut clinics) in by_kommune {
        clinics.sort_unstable();
        let name = ds
            .clinics
            .kommune
            .iter()
            .find(|k| k.get() == code)
            .map(|k| k.info().name.clone())
            .unwrap_or_else(|| code.to_string());
        let groups = clinics.len().div_ceil(CLUSTER_SIZE);
        let size = clinics.len().div_ceil(groups);
        for (i, chunk) in clinics.chunks(size).enumerate() {
            let cluster = if groups == 1 {
                format!("Klynge {name}")
            } else {
                format!("Klynge {name} {}", i + 1)
            };
            sqlx::query(
                "INSERT INTO clusters (name, created_at) VALUES ($1, $2) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(&cluster)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let id: i64 = sqlx::query("SELECT id FROM clusters WHERE name = $1")
                .bind(&cluster)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            for clinic in chunk {
                sqlx::query(
                    "INSERT INTO cluster_clinics (cluster_id, clinic_id) VALUES ($1, $2) \
                     ON CONFLICT (clinic_id) DO NOTHING",
                )
                .bind(id)
                .bind(*clinic)
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}
