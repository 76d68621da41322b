//! The clinic cockpit (*klinikkens cockpit*, DOMAIN §4) on the web: a page per clinic with its
//! population lists against region and country and their trend over eight quarters, each
//! list's members with the reasons they are on it, the individual patient overview with a
//! versioned treatment plan, and aggregates to cluster, kommune, health council, region and
//! country with small counts suppressed.
//!
//! **Who sees what.** A GP sees the clinics they are linked to (`user_clinics`) and the
//! patients listed with them; an administrator may open any clinic and patient; an analyst
//! sees aggregates only (`/cockpit/areas`), never a clinic's own figures, a member list or a
//! patient. Counts under [`almen_cockpit::SUPPRESS_BELOW`] are suppressed in every aggregate.
//!
//! **Privacy.** Every member list view, patient view, plan save and plan export writes an
//! audit row; a patient's row is written before the page is shown, a plan version in the same
//! transaction as its audit row. Outside the patient's own page ids are masked, and links to
//! a patient carry an opaque key ([`Cockpit::patient_key`]) instead of the id, so that no page
//! but the patient's own holds the id, not even in an `href`.
//!
//! **Speed.** The lists are evaluated at the dataset's last date. Every clinic's counts (for
//! region and country comparison and the aggregates) are computed once per date on the
//! blocking pool and shared; one clinic's members and its eight-quarter trend are computed on
//! first use and kept in small caches, so a clinic's page costs one evaluation of that clinic.

mod areas;
mod clusters;
mod demo;
mod pages;
mod patient;
mod plan;
mod svg;
mod text;

pub use demo::ensure_demo_data;

use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::db::Db;
use crate::error::AppError;
use crate::modules::{Module, ModuleNav};
use almen_cockpit::{
    ClinicCounts, ClinicLists, ClusterMap, ListSet, evaluate_all, evaluate_clinic,
};
use almen_core::Day;
use almen_dataset::{Dataset, NONE};
use axum::routing::{get, post};
use axum::{Extension, Router};
use rand::RngCore;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// GPs and administrators open clinics and patients; analysts read the aggregates.
const ROLES: &[Role] = &[Role::Gp, Role::Analyst, Role::Admin];

/// How many quarters the trend covers.
pub(crate) const TREND_QUARTERS: usize = 8;

pub fn module(state: &AppState) -> Option<Module> {
    let ds = state.dataset.clone()?;
    let cockpit = Cockpit::new(ds);
    cockpit.warm_up();
    let router = Router::new()
        .route("/cockpit", get(pages::entry))
        .route("/cockpit/clinics/{clinic_id}", get(pages::clinic_page))
        .route(
            "/cockpit/clinics/{clinic_id}/lists/{list_id}",
            get(pages::list_page),
        )
        .route("/cockpit/patients/{key}", get(patient::page))
        .route("/cockpit/patients/{key}/plan", post(patient::save_plan))
        .route(
            "/cockpit/patients/{key}/plan.md",
            get(patient::export_markdown),
        )
        .route(
            "/cockpit/patients/{key}/plan.html",
            get(patient::export_html),
        )
        .route("/cockpit/areas", get(areas::page))
        .route(
            "/cockpit/clusters",
            get(clusters::page).post(clusters::create),
        )
        .route("/cockpit/clusters/assign", post(clusters::assign))
        .route("/cockpit/clusters/remove", post(clusters::remove))
        .route("/cockpit/users/link", post(clusters::link_user))
        .route(
            "/api/v1/cockpit/clinics/{clinic_id}/lists",
            get(pages::clinic_json),
        )
        .route(
            "/api/v1/cockpit/clinics/{clinic_id}/lists/{list_id}",
            get(pages::list_json),
        )
        .route("/api/v1/cockpit/areas", get(areas::json))
        .layer(Extension(cockpit));
    Some(Module::new(
        ModuleNav {
            id: "cockpit",
            name_da: "Klinikkens cockpit",
            name_en: "Clinic cockpit",
            summary_da: "Populationslister med region og land, udvikling, patientoverblik og behandlingsplan; klynger og områder.",
            summary_en: "Population lists against region and country, trends, patient overview and treatment plan; clusters and areas.",
            path: "/cockpit",
            roles: ROLES,
        },
        router,
    ))
}

/// A small cache of values computed once on the blocking pool: concurrent requests for the
/// same key wait for one computation. When full it starts afresh (the values are cheap to
/// recompute; the point is not to compute them per request).
struct Memo<K, V> {
    cap: usize,
    map: Mutex<HashMap<K, Arc<OnceCell<Arc<V>>>>>,
}

impl<K: Hash + Eq + Copy, V: Send + Sync + 'static> Memo<K, V> {
    fn new(cap: usize) -> Memo<K, V> {
        Memo {
            cap,
            map: Mutex::new(HashMap::new()),
        }
    }

    async fn get(
        &self,
        key: K,
        compute: impl FnOnce() -> V + Send + 'static,
    ) -> Result<Arc<V>, AppError> {
        let cell = {
            let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
            if map.len() >= self.cap && !map.contains_key(&key) {
                map.clear();
            }
            map.entry(key).or_default().clone()
        };
        cell.get_or_try_init(|| async move {
            tokio::task::spawn_blocking(compute)
                .await
                .map(Arc::new)
                .map_err(AppError::internal)
        })
        .await
        .cloned()
    }
}

/// One clinic's list counts at the trend's dates.
pub(crate) struct Trend {
    pub dates: Vec<Day>,
    pub population: Vec<u32>,
    /// `counts[list][date]`, lists in [`ListSet::ids`] order.
    pub counts: Vec<Vec<u32>>,
}

/// What the module's handlers share: the dataset, the lists, the reference date and the
/// caches. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Cockpit(Arc<Inner>);

pub(crate) struct Inner {
    pub ds: Arc<Dataset>,
    pub lists: Arc<ListSet>,
    /// The reference date: the dataset's last date.
    pub date: Day,
    all: Memo<Day, Vec<ClinicCounts>>,
    clinics: Memo<(u32, Day), ClinicLists>,
    trends: Memo<u32, Trend>,
    /// Keys the patient links (see [`Cockpit::patient_key`]); new at every start.
    secret: [u8; 32],
}

impl std::ops::Deref for Cockpit {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Cockpit {
    fn new(ds: Arc<Dataset>) -> Cockpit {
        let date = ds.last_date().unwrap_or_else(|| {
            Day::from_naive(almen_core::Timestamp::now().to_local().date_naive())
        });
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        Cockpit(Arc::new(Inner {
            ds,
            lists: Arc::new(ListSet::shipped()),
            date,
            all: Memo::new(4),
            clinics: Memo::new(16),
            trends: Memo::new(64),
            secret,
        }))
    }

    /// Starts computing every clinic's counts in the background, so that the first page does
    /// not wait for them.
    fn warm_up(&self) {
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let me = self.clone();
            rt.spawn(async move {
                if let Err(e) = me.all_counts().await {
                    tracing::warn!(error = %e, "cockpit: cannot compute the clinics' counts");
                }
            });
        }
    }

    /// Every clinic's counts at the reference date.
    pub async fn all_counts(&self) -> Result<Arc<Vec<ClinicCounts>>, AppError> {
        let (ds, lists, date) = (self.ds.clone(), self.lists.clone(), self.date);
        self.all
            .get(date, move || evaluate_all(&ds, &lists, date))
            .await
    }

    /// One clinic's members and reasons at the reference date.
    pub async fn clinic(&self, row: u32) -> Result<Arc<ClinicLists>, AppError> {
        let (ds, lists, date) = (self.ds.clone(), self.lists.clone(), self.date);
        self.clinics
            .get((row, date), move || evaluate_clinic(&ds, &lists, row, date))
            .await
    }

    /// One clinic's counts at the last [`TREND_QUARTERS`] quarter ends (the last point is the
    /// reference date itself).
    pub async fn trend(&self, row: u32) -> Result<Arc<Trend>, AppError> {
        let (ds, lists) = (self.ds.clone(), self.lists.clone());
        let dates = trend_dates(self.date, TREND_QUARTERS);
        self.trends
            .get(row, move || {
                let per_date: Vec<(u32, Vec<u32>)> = dates
                    .par_iter()
                    .map(|&d| {
                        let c = evaluate_clinic(&ds, &lists, row, d);
                        (c.population, c.lists.iter().map(|l| l.count).collect())
                    })
                    .collect();
                let counts = (0..lists.len())
                    .map(|l| per_date.iter().map(|(_, c)| c[l]).collect())
                    .collect();
                Trend {
                    population: per_date.iter().map(|(p, _)| *p).collect(),
                    counts,
                    dates,
                }
            })
            .await
    }

    fn mac(&self, row: u32) -> String {
        let id = self.ds.patients.id.get(row as usize);
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(row.to_le_bytes());
        h.update(id.as_bytes());
        h.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The key that stands for a patient in links: `ROW.MAC`, where the MAC (keyed with a
    /// secret of this server process) binds the dataset row to the patient's id. It shows no
    /// id, and a key from before a restart or a reloaded dataset finds no one rather than
    /// someone else.
    pub fn patient_key(&self, row: u32) -> String {
        format!("{row}.{}", self.mac(row))
    }

    /// The patient row of a link key, or of a patient id typed or pasted into the address.
    pub fn resolve_patient(&self, key: &str) -> Option<u32> {
        if let Some((r, mac)) = key.split_once('.')
            && let Ok(row) = r.parse::<u32>()
            && (row as usize) < self.ds.patients.len()
            && self.mac(row) == mac
        {
            return Some(row);
        }
        self.ds.patient_row(key)
    }

    /// The clinic row of a clinic id in a path: 404 when the dataset has no such clinic.
    pub fn clinic_row(&self, clinic_id: &str) -> Result<u32, AppError> {
        self.ds.clinic_row(clinic_id).ok_or(AppError::NotFound)
    }

    /// The clinic a patient is listed with, if any.
    pub fn patient_clinic(&self, row: u32) -> Option<u32> {
        let c = self.ds.patients.clinic[row as usize];
        (c != NONE).then_some(c)
    }
}

/// The trend's dates: the `n - 1` quarter ends before `date`, then `date` itself.
pub(crate) fn trend_dates(date: Day, n: usize) -> Vec<Day> {
    let mut out = vec![date];
    // The last quarter end strictly before `date`.
    let (mut y, mut m) = (date.year(), date.month());
    m = (m - 1) / 3 * 3; // 0, 3, 6 or 9: the month that ends the quarter before.
    if m == 0 {
        y -= 1;
        m = 12;
    }
    while out.len() < n {
        let end = month_end(y, m);
        if end < date && !out.contains(&end) {
            out.push(end);
        }
        if m <= 3 {
            y -= 1;
            m += 9;
        } else {
            m -= 3;
        }
    }
    out.reverse();
    out
}

fn month_end(year: i32, month: u32) -> Day {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    Day::from_ymd(ny, nm, 1)
        .map(|d| d.add_days(-1))
        .unwrap_or_else(|| Day::from_days_since_epoch(0))
}

/// What a user may see of the cockpit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    /// A GP: the clinics (rows) they are linked to that exist in the dataset.
    Own(Vec<u32>),
    /// An administrator: every clinic.
    All,
    /// An analyst: aggregates only.
    Aggregates,
}

impl Scope {
    pub fn sees_clinic(&self, row: u32) -> bool {
        match self {
            Scope::Own(rows) => rows.contains(&row),
            Scope::All => true,
            Scope::Aggregates => false,
        }
    }
}

impl Cockpit {
    pub async fn scope(&self, db: &Db, user: &CurrentUser) -> Result<Scope, AppError> {
        match user.role {
            Role::Admin => Ok(Scope::All),
            Role::Analyst => Ok(Scope::Aggregates),
            Role::Gp => {
                let ids = linked_clinics(db, user.id).await?;
                let mut rows: Vec<u32> =
                    ids.iter().filter_map(|id| self.ds.clinic_row(id)).collect();
                rows.sort_unstable();
                rows.dedup();
                Ok(Scope::Own(rows))
            }
            _ => Err(AppError::Forbidden),
        }
    }

    /// The clinic of a path for a user who may open it: 404 for an unknown clinic, 403 for
    /// one outside the user's scope.
    pub async fn open_clinic(
        &self,
        db: &Db,
        user: &CurrentUser,
        clinic_id: &str,
    ) -> Result<u32, AppError> {
        let scope = self.scope(db, user).await?;
        if scope == Scope::Aggregates {
            return Err(AppError::Forbidden);
        }
        let row = self.clinic_row(clinic_id)?;
        if scope.sees_clinic(row) {
            Ok(row)
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Clinic row → cluster name, from the database (clinics the dataset lacks are left out).
    pub async fn cluster_map(&self, db: &Db) -> Result<ClusterMap, AppError> {
        let rows = sqlx::query(
            "SELECT c.name, cc.clinic_id FROM cluster_clinics cc \
             JOIN clusters c ON c.id = cc.cluster_id",
        )
        .fetch_all(db.pool())
        .await?;
        let mut map = ClusterMap::new();
        for r in &rows {
            let name: String = r.try_get(0)?;
            let clinic: String = r.try_get(1)?;
            if let Some(row) = self.ds.clinic_row(&clinic) {
                map.insert(row, name);
            }
        }
        Ok(map)
    }
}

/// The clinic ids a user is linked to, in id order.
pub(crate) async fn linked_clinics(db: &Db, user_id: i64) -> Result<Vec<String>, AppError> {
    let rows =
        sqlx::query("SELECT clinic_id FROM user_clinics WHERE user_id = $1 ORDER BY clinic_id")
            .bind(user_id)
            .fetch_all(db.pool())
            .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<_, _>>()?)
}

/// The cluster a clinic belongs to, if any.
pub(crate) async fn cluster_of(db: &Db, clinic_id: &str) -> Result<Option<String>, AppError> {
    let row = sqlx::query(
        "SELECT c.name FROM cluster_clinics cc JOIN clusters c ON c.id = cc.cluster_id \
         WHERE cc.clinic_id = $1",
    )
    .bind(clinic_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(match row {
        Some(r) => Some(r.try_get(0)?),
        None => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        Day::parse(s).unwrap()
    }

    #[test]
    fn the_trend_ends_on_the_reference_date_after_seven_quarter_ends() {
        let d = trend_dates(day("2025-12-31"), 8);
        let s: Vec<String> = d.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            s,
            [
                "2024-03-31",
                "2024-06-30",
                "2024-09-30",
                "2024-12-31",
                "2025-03-31",
                "2025-06-30",
                "2025-09-30",
                "2025-12-31"
            ]
        );
        let d = trend_dates(day("2025-11-15"), 3);
        let s: Vec<String> = d.iter().map(|d| d.to_string()).collect();
        assert_eq!(s, ["2025-06-30", "2025-09-30", "2025-11-15"]);
        let d = trend_dates(day("2025-01-01"), 2);
        assert_eq!(d[0].to_string(), "2024-12-31");
    }
}
