//! The economy of general practice on the web (issue #6, DOMAIN §3): the economic frame's
//! dashboard (`/economy/frame`), a clinic's control page with its findings, the isolated-6101
//! correction cards and its standardised activity index (`/economy/clinics/{id}`), and the
//! fee-structure simulation (`/economy/fees`).
//!
//! **Who sees what.** Analysts and administrators see everything; a GP sees only the control
//! page of the clinics they are linked to (`user_clinics`, as in the cockpit). Findings show
//! masked patients; the correction-card download names patients in full and is audit-logged.
//!
//! **Speed.** Every rule, the monthly aggregates and the indices are computed once for the
//! dataset on the blocking pool (started at startup) and shared; the fee simulation likewise.

mod pages;
mod svg;
mod text;

use crate::AppState;
use crate::auth::Role;
use crate::error::AppError;
use crate::modules::{Module, ModuleNav};
use almen_core::Day;
use almen_dataset::Dataset;
use almen_economy::frame::{profile_from, working_day_profile};
use almen_economy::{
    Analysis, ClinicIndex, FeesReport, Options, RuleSet, Scenario, analyse, clinic_cells,
    standardise,
};
use axum::routing::get;
use axum::{Extension, Router};
use std::sync::Arc;
use tokio::sync::OnceCell;

/// GPs (their own clinic's control page only), analysts and administrators.
const ROLES: &[Role] = &[Role::Gp, Role::Analyst, Role::Admin];

/// The shipped example scenario.
const SCENARIO: &str = include_str!("../../../economy/scenarios/differentiated.scenario");

/// Clinics whose standardised index is above this are flagged.
const INDEX_THRESHOLD: f64 = 120.0;

pub fn module(state: &AppState) -> Option<Module> {
    let ds = state.dataset.clone()?;
    let economy = Economy::new(ds);
    economy.warm_up();
    let router = Router::new()
        .route("/economy", get(pages::entry))
        .route("/economy/frame", get(pages::frame_page))
        .route("/economy/clinics", get(pages::clinics_page))
        .route("/economy/clinics/{clinic_id}", get(pages::clinic_page))
        .route(
            "/economy/clinics/{clinic_id}/corrections.csv",
            get(pages::corrections_csv),
        )
        .route("/economy/fees", get(pages::fees_page))
        .layer(Extension(economy));
    Some(Module::new(
        ModuleNav {
            id: "economy",
            name_da: "Økonomi",
            name_en: "Economy",
            summary_da: "Den økonomiske ramme med prognose, klinikkernes kontrol af ydelser og simulering af honorarstrukturen.",
            summary_en: "The economic frame with its forecast, the clinics' controls of their bills, and the fee-structure simulation.",
            path: "/economy",
            roles: ROLES,
        },
        router,
    ))
}

/// Everything computed once per dataset: the controls with every rule, the monthly
/// aggregates of this year and the year before, and the standardised indices.
pub(crate) struct Computed {
    pub year: i32,
    pub analysis: Analysis,
    pub inside: [f64; 12],
    pub outside: [f64; 12],
    pub prev_inside: [f64; 12],
    /// Months with data through their last day.
    pub observed_months: usize,
    pub index: Vec<ClinicIndex>,
}

#[derive(Clone)]
pub(crate) struct Economy(Arc<Inner>);

pub(crate) struct Inner {
    pub ds: Arc<Dataset>,
    pub rules: Arc<RuleSet>,
    pub year: i32,
    computed: OnceCell<Arc<Computed>>,
    fees: OnceCell<Arc<Result<FeesReport, String>>>,
}

impl std::ops::Deref for Economy {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Economy {
    fn new(ds: Arc<Dataset>) -> Economy {
        let year = ds
            .last_date()
            .unwrap_or_else(|| {
                Day::from_naive(almen_core::Timestamp::now().to_local().date_naive())
            })
            .year();
        Economy(Arc::new(Inner {
            ds,
            rules: Arc::new(RuleSet::default_rules()),
            year,
            computed: OnceCell::new(),
            fees: OnceCell::new(),
        }))
    }

    fn warm_up(&self) {
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let me = self.clone();
            rt.spawn(async move {
                if let Err(e) = me.computed().await {
                    tracing::warn!(error = %e, "economy: cannot compute the controls");
                }
            });
        }
    }

    /// The controls, aggregates and indices (computed on first use, once).
    pub async fn computed(&self) -> Result<Arc<Computed>, AppError> {
        let (ds, rules, year) = (self.ds.clone(), self.rules.clone(), self.year);
        self.computed
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || compute(&ds, &rules, year))
                    .await
                    .map(Arc::new)
                    .map_err(AppError::internal)
            })
            .await
            .cloned()
    }

    /// The shipped scenario's simulation (computed on first use, once).
    pub async fn fees(&self) -> Result<Arc<Result<FeesReport, String>>, AppError> {
        let (ds, year) = (self.ds.clone(), self.year);
        self.fees
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || {
                    let sc = Scenario::parse("differentiated.scenario", SCENARIO)
                        .map_err(|e| e.to_string())?;
                    almen_economy::simulate(&ds, &sc, year).map_err(|e| e.to_string())
                })
                .await
                .map(Arc::new)
                .map_err(AppError::internal)
            })
            .await
            .cloned()
    }
}

fn compute(ds: &Dataset, rules: &RuleSet, year: i32) -> Computed {
    let analysis = analyse(
        ds,
        rules,
        &Options {
            year: Some(year),
            clinic: None,
        },
    );
    let (inside, outside) = analysis.monthly_by_frame(ds);
    let none = RuleSet {
        file: String::new(),
        rules: Vec::new(),
    };
    let prev = analyse(
        ds,
        &none,
        &Options {
            year: Some(year - 1),
            clinic: None,
        },
    );
    let (prev_inside, _) = prev.monthly_by_frame(ds);
    let observed_months = match ds.last_date() {
        Some(d) if d.year() == year => {
            let next = d.add_days(1);
            if next.year() > year {
                12
            } else if next.month() != d.month() {
                d.month() as usize
            } else {
                d.month() as usize - 1
            }
        }
        Some(d) if d.year() < year => 0,
        _ => 12,
    };
    let mid = Day::from_ymd(year, 7, 1).unwrap_or(Day::from_days_since_epoch(0));
    let index = standardise(
        &clinic_cells(ds, &analysis, mid),
        &analysis.groups.names,
        INDEX_THRESHOLD,
    );
    Computed {
        year,
        analysis,
        inside,
        outside,
        prev_inside,
        observed_months,
        index,
    }
}

impl Computed {
    /// The monthly profile of the frame: the previous year's seasonality, else working days.
    pub fn profile(&self) -> ([f64; 12], &'static str) {
        match profile_from(&self.prev_inside) {
            Some(p) => (p, "previous_year"),
            None => (working_day_profile(self.year), "working_days"),
        }
    }
}
