//! The national capacity model (DOMAIN.md §2): since 1 July 2025 GP capacity in Denmark is
//! distributed by citizens' disease burden. This crate implements the model's structure openly,
//! step by step (the user guide `docs/capacity.md` works through an example):
//!
//! 1. **Disease weights** ([`weights`], [`citizens`]): a [`WeightTable`] (CSV `term,value`)
//!    gives each citizen a raw weight from sex × age band and the cockpit's condition lists
//!    ([`almen_cockpit::memberships`], so both modules agree on who has a condition); all
//!    weights are scaled by one factor to mean exactly 1.0 over the living citizens at D.
//! 2. **Estimating the table** ([`fit`]): least squares of yearly GP fees on those terms.
//! 3. **Reference list size** R = weighted citizens ÷ capacities ([`model`]).
//! 4. **Area averages**: R ÷ the area's mean weight, per municipality or health council.
//! 5. **Clinic minimum patient numbers**: capacities × R ÷ the mean weight of the clinic's
//!    listed patients, with optional floor, ceiling and transition cap ([`Limits`]).
//! 6. **PLO's area alternative** side by side ([`compare`]).
//! 7. **Allocating K new capacities** by need gap, largest remainder method ([`allocate`]).
//! 8. **Coverage** ([`coverage`]).
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use almen_capacity::*;
//! let (ds, _) = almen_dataset::read_dataset("data/midt".as_ref(), &Default::default())?;
//! let date = ds.last_date().unwrap();
//! let lists = almen_cockpit::ListSet::shipped();
//! let table = WeightTable::default_table();
//! let model = run(&ds, &lists, &table, date, Level::Kommune, &Limits::default())?;
//! println!("R = {:.1}", model.reference_per_capacity);
//! # Ok(()) }
//! ```

pub mod allocate;
pub mod citizens;
pub mod compare;
pub mod coverage;
pub mod fit;
pub mod model;
pub mod weights;

pub use allocate::{Allocation, AreaAllocation, allocate};
pub use citizens::{Citizens, Weights, apply_weights};
pub use compare::{Comparison, compare};
pub use coverage::{Coverage, coverage};
pub use fit::{DEFAULT_FIT_CONDITIONS, Fit, fit_weights};
pub use model::{AreaFigures, ClinicFigures, Level, Limit, Limits, Model, Transition, compute};
pub use weights::{DEFAULT_WEIGHTS_FILE, WeightError, WeightProblem, WeightTable};

use almen_cockpit::ListSet;
use almen_core::Day;
use almen_dataset::Dataset;

/// Why the model could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum CapacityError {
    #[error("{0}")]
    Weights(#[from] WeightError),
    #[error("{0}")]
    UnknownCondition(String),
    #[error("at most {max} conditions, got {0}", max = weights::MAX_CONDITIONS)]
    TooManyConditions(usize),
    #[error("the citizens were evaluated for other conditions than the weight table's")]
    Mismatch,
    #[error("no living citizens at the reference date")]
    NoCitizens,
    #[error("every citizen has raw weight 0: the weight table gives nothing to normalise")]
    ZeroWeight,
    #[error("the clinics hold no capacities: the reference list size is undefined")]
    NoCapacities,
    #[error("the least-squares fit failed: {0}")]
    Fit(String),
}

/// Steps 1 and 3-5 in one call: evaluate the citizens, weigh them and compute the model.
pub fn run(
    ds: &Dataset,
    lists: &ListSet,
    table: &WeightTable,
    date: Day,
    level: Level,
    limits: &Limits,
) -> Result<Model, CapacityError> {
    let citizens = Citizens::for_table(ds, lists, table, date)?;
    let weights = apply_weights(table, &citizens)?;
    compute(ds, &citizens, &weights, level, limits, &table.label)
}
