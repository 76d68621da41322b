//! The national capacity model (DOMAIN §2) on the web: a national or regional overview of the
//! areas coloured by need gap, an area's page, a clinic's page with its minimum patient number
//! computed step by step beside PLO's area alternative, and the **hearing**: a clinic comments
//! on its number, an analyst answers and fixes the final number.
//!
//! **Who does what.** GPs, analysts and administrators see the overview, the areas and every
//! clinic's number (no patient data: the numbers are sent to every clinic). A GP comments only
//! on the clinics they are linked to (`user_clinics`, the cockpit's table), an administrator
//! on any; only an analyst answers comments and fixes final numbers. Comments, answers and
//! final numbers are append-only rows (a new decision is a new version), each written in the
//! same transaction as its audit row.
//!
//! **The model.** Computed once per server start on the blocking pool (warmed at start) at the
//! dataset's last date, with the shipped weight table, or the one in the file named by
//! `ALMEN_CAPACITY_WEIGHTS`; both area levels share one evaluation of the citizens. No floor,
//! ceiling or transition cap is configured, so the minimums are the model's own.

mod hearing;
mod pages;
mod svg;
mod text;

use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::db::Db;
use crate::error::AppError;
use crate::modules::{Module, ModuleNav};
use almen_capacity::{
    Citizens, ClinicFigures, Level, Limits, Model, WeightTable, apply_weights, compute,
};
use almen_cockpit::ListSet;
use almen_core::Day;
use almen_dataset::Dataset;
use axum::routing::{get, post};
use axum::{Extension, Router};
use std::sync::Arc;
use tokio::sync::OnceCell;

/// Everyone who works with the numbers: GPs (their clinic's number and the hearing), analysts
/// (the region's view and the decisions) and administrators.
const ROLES: &[Role] = &[Role::Gp, Role::Analyst, Role::Admin];

/// The environment variable naming another weight table (CSV `term,value`, see
/// `docs/capacity.md`) than the shipped one.
pub(crate) const WEIGHTS_ENV: &str = "ALMEN_CAPACITY_WEIGHTS";

pub fn module(state: &AppState) -> Option<Module> {
    let ds = state.dataset.clone()?;
    let lists = Arc::new(ListSet::shipped());
    let (table, default_weights) = match std::env::var_os(WEIGHTS_ENV) {
        Some(path) => match WeightTable::read(&path, &lists) {
            Ok(t) => (t, false),
            Err(e) => {
                tracing::error!(error = %e, "capacity: the weight table in {WEIGHTS_ENV} is refused; the capacity pages are off");
                return None;
            }
        },
        None => (WeightTable::default_table(), true),
    };
    let cap = Capacity::new(ds, lists, table, default_weights);
    cap.warm_up();
    let router = Router::new()
        .route("/capacity", get(pages::overview))
        .route("/capacity/areas/{level}/{code}", get(pages::area_page))
        .route("/capacity/clinics/{clinic_id}", get(pages::clinic_page))
        .route(
            "/capacity/clinics/{clinic_id}/comments",
            post(hearing::post_comment),
        )
        .route(
            "/capacity/clinics/{clinic_id}/answers",
            post(hearing::post_answer),
        )
        .route(
            "/capacity/clinics/{clinic_id}/final",
            post(hearing::post_final),
        )
        .route("/capacity/hearing", get(hearing::page))
        .route("/api/v1/capacity/model", get(pages::model_json))
        .route("/api/v1/capacity/hearing", get(hearing::json))
        .layer(Extension(cap));
    Some(Module::new(
        ModuleNav {
            id: "capacity",
            name_da: "Kapacitet",
            name_en: "Capacity",
            summary_da: "Den nationale kapacitetsmodel: behovsgab pr. område, klinikkens minimumspatienttal og hvordan det er beregnet, PLO's alternativ og høringen.",
            summary_en: "The national capacity model: need gap by area, a clinic's minimum patient number and how it was computed, PLO's alternative and the hearing.",
            path: "/capacity",
            roles: ROLES,
        },
        router,
    ))
}

/// The model at both area levels, from one evaluation of the citizens.
pub(crate) struct Models {
    pub kommune: Model,
    pub sundhedsraad: Model,
}

impl Models {
    pub fn at(&self, level: Level) -> &Model {
        match level {
            Level::Kommune => &self.kommune,
            Level::Sundhedsraad => &self.sundhedsraad,
        }
    }
}

/// What the module's handlers share. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Capacity(Arc<Inner>);

pub(crate) struct Inner {
    pub ds: Arc<Dataset>,
    lists: Arc<ListSet>,
    table: Arc<WeightTable>,
    /// The shipped table (fitted on synthetic data), not one the installation chose.
    pub default_weights: bool,
    /// The reference date: the dataset's last date.
    pub date: Day,
    models: OnceCell<Arc<Models>>,
}

impl std::ops::Deref for Capacity {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Capacity {
    fn new(
        ds: Arc<Dataset>,
        lists: Arc<ListSet>,
        table: WeightTable,
        default_weights: bool,
    ) -> Capacity {
        let date = ds.last_date().unwrap_or_else(|| {
            Day::from_naive(almen_core::Timestamp::now().to_local().date_naive())
        });
        Capacity(Arc::new(Inner {
            ds,
            lists,
            table: Arc::new(table),
            default_weights,
            date,
            models: OnceCell::new(),
        }))
    }

    /// Starts computing the model in the background, so that the first page does not wait.
    fn warm_up(&self) {
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let me = self.clone();
            rt.spawn(async move {
                if let Err(e) = me.models().await {
                    tracing::warn!(error = %e, "capacity: cannot compute the model");
                }
            });
        }
    }

    /// The model at both levels, computed once on the blocking pool.
    pub async fn models(&self) -> Result<Arc<Models>, AppError> {
        let (ds, lists, table, date) = (
            self.ds.clone(),
            self.lists.clone(),
            self.table.clone(),
            self.date,
        );
        self.models
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || compute_models(&ds, &lists, &table, date))
                    .await
                    .map_err(AppError::internal)?
                    .map(Arc::new)
                    .map_err(AppError::internal)
            })
            .await
            .cloned()
    }
}

fn compute_models(
    ds: &Dataset,
    lists: &ListSet,
    table: &WeightTable,
    date: Day,
) -> Result<Models, almen_capacity::CapacityError> {
    let started = std::time::Instant::now();
    let citizens = Citizens::for_table(ds, lists, table, date)?;
    let weights = apply_weights(table, &citizens)?;
    let limits = Limits::default();
    let kommune = compute(
        ds,
        &citizens,
        &weights,
        Level::Kommune,
        &limits,
        &table.label,
    )?;
    let sundhedsraad = compute(
        ds,
        &citizens,
        &weights,
        Level::Sundhedsraad,
        &limits,
        &table.label,
    )?;
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        citizens = kommune.citizens,
        "capacity: the model is computed"
    );
    Ok(Models {
        kommune,
        sundhedsraad,
    })
}

/// A clinic's figures in a model (clinics are in dataset row order in every model).
pub(crate) fn clinic_in<'a>(model: &'a Model, ds: &Dataset, id: &str) -> Option<&'a ClinicFigures> {
    let row = ds.clinic_row(id)? as usize;
    match model.clinics.get(row) {
        Some(c) if c.clinic_id == id => Some(c),
        _ => model.clinics.iter().find(|c| c.clinic_id == id),
    }
}

/// Whether `user` may comment on `clinic_id`'s number: a GP linked to the clinic, or an
/// administrator.
pub(crate) async fn may_comment(
    db: &Db,
    user: &CurrentUser,
    clinic_id: &str,
) -> Result<bool, AppError> {
    Ok(match user.role {
        Role::Admin => true,
        Role::Gp => crate::cockpit::linked_clinics(db, user.id)
            .await?
            .iter()
            .any(|c| c == clinic_id),
        _ => false,
    })
}

/// Only an analyst answers comments and fixes final numbers.
pub(crate) fn may_decide(user: &CurrentUser) -> bool {
    user.role == Role::Analyst
}
