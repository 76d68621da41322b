//! Demo data for the out-of-hours service (with `--demo-users`): the two consultation sites of
//! the night scheme (Aarhus and Gødstrup, DOMAIN §1), three driving units, bookable slots
//! around the day the server starts, and the demo API token.
//!
//! Sites, units and slots are ordinary rows: a real installation enters its own.

use super::model::{Shift, ShiftKind};
use crate::db::Db;
use crate::error::Error;
use almen_core::Timestamp;
use chrono::{Duration, NaiveTime};
use sqlx::Row;

/// (code, name, district).
const SITES: &[(&str, &str, &str)] = &[("AAR", "Aarhus", "Aarhus"), ("GOD", "Gødstrup", "Herning")];

/// (code, name).
const UNITS: &[(&str, &str)] = &[
    ("BIL1", "Bil 1 · Aarhus"),
    ("BIL2", "Bil 2 · Horsens"),
    ("BIL3", "Bil 3 · Gødstrup"),
];

/// Invented doctors, one per site and kind of shift.
fn doctor(site: &str, kind: ShiftKind) -> &'static str {
    match (site, kind) {
        ("AAR", ShiftKind::Day) => "Anne Kjær",
        ("AAR", ShiftKind::Evening) => "Peter Holm",
        ("AAR", ShiftKind::Night) => "Sofie Lind",
        (_, ShiftKind::Day) => "Lars Bech",
        (_, ShiftKind::Evening) => "Ida Munk",
        (_, ShiftKind::Night) => "Karl Vest",
    }
}

/// Minutes per consultation slot.
pub const SLOT_MINUTES: i64 = 20;
/// Slots inserted per statement.
const BATCH: usize = 72;

/// Creates the demo sites, units, token and slots from the day before `around` to three days
/// after, if missing. Safe to run at every start.
pub async fn ensure_demo_data(db: &Db, around: Timestamp) -> Result<(), Error> {
    for (code, name, district) in SITES {
        sqlx::query(
            "INSERT INTO vagt_sites (code, name, district) VALUES ($1, $2, $3) \
             ON CONFLICT (code) DO NOTHING",
        )
        .bind(code)
        .bind(name)
        .bind(district)
        .execute(db.pool())
        .await?;
    }
    for (code, name) in UNITS {
        sqlx::query(
            "INSERT INTO vagt_units (code, name) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING",
        )
        .bind(code)
        .bind(name)
        .execute(db.pool())
        .await?;
    }
    super::intake::ensure_demo_token(db).await?;

    let today = around.to_local().date_naive();
    let Some(eight) = NaiveTime::from_hms_opt(8, 0, 0) else {
        return Ok(());
    };
    let first =
        Timestamp::from_local((today - Duration::days(1)).and_time(eight)).map_err(|_| {
            Error::Invalid {
                field: "around",
                value: None,
                rule: "08:00 local time exists every day",
            }
        })?;
    let last = first.plus_seconds(4 * 24 * 3600);
    for (code, _, _) in SITES {
        let site_id: i64 = sqlx::query("SELECT id FROM vagt_sites WHERE code = $1")
            .bind(code)
            .fetch_one(db.pool())
            .await?
            .try_get(0)?;
        let mut starts = Vec::new();
        let mut t = first;
        while t < last {
            starts.push(t);
            t = t.plus_seconds(SLOT_MINUTES * 60);
        }
        for chunk in starts.chunks(BATCH) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let p = i * 4;
                    format!("(${}, ${}, ${}, ${})", p + 1, p + 2, p + 3, p + 4)
                })
                .collect();
            let sql = format!(
                "INSERT INTO vagt_slots (site_id, starts_at, minutes, doctor) VALUES {} \
                 ON CONFLICT (site_id, starts_at) DO NOTHING",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for start in chunk {
                q = q
                    .bind(site_id)
                    .bind(start.unix())
                    .bind(SLOT_MINUTES)
                    .bind(doctor(code, Shift::at(*start).kind));
            }
            q.execute(db.pool()).await?;
        }
    }
    Ok(())
}
