//! The economy of general practice (DOMAIN.md §3, issue #6).
//!
//! - [`bills`]: claims lines netted per patient, date and code (a correction card's −1
//!   cancels the line it corrects), priced from the line's `fee_dkk` or the catalogue fee in
//!   force on the service date; bill cards; capitation per listed patient-year.
//! - [`rules`]: the regions' and the agreement's controls as data — the rule file format is
//!   documented in `RULES.md`; the shipped rules are `rules/default.rules`.
//! - [`controls`]: every rule on every clinic's net lines, with the monthly aggregates and the
//!   index inputs, in one parallel pass (rayon, per clinic).
//! - [`corrections`]: the correction proposal for an isolated 6101, written as a
//!   correction-card file in the claims format.
//! - [`frame`]: the economic frame under PLO's and RLTN's readings, the monthly profile, the
//!   year-end forecast, Store Bededag as a named adjustment, and the 2023 worked example.
//! - [`index`]: the age/sex-standardised activity index per clinic against its region.
//! - [`fees`]: fee-structure simulation — flat against disease-weighted capitation, budget-neutral
//!   or with a pool, optionally with a floor (scenario format in `SCENARIOS.md`).

pub mod bills;
pub mod controls;
pub mod corrections;
pub mod fees;
pub mod frame;
pub mod index;
pub mod rules;

pub use bills::{
    BillCard, Capitation, ClinicBill, NetLine, bill_cards, capitation, capitation_fee, line_amount,
};
pub use controls::{Analysis, Finding, Options, RawFinding, Summary, analyse, evaluate};
pub use corrections::{Proposal, propose, write_correction_cards};
pub use fees::{
    CapitationKind, ClinicFees, FeesError, FeesReport, Scenario, ScenarioError, ScenarioProblem,
    simulate,
};
pub use frame::{FrameInput, FrameReport, Reading, compute as compute_frame, example_2023};
pub use index::{ClinicCells, ClinicIndex, clinic_cells, standardise};
pub use rules::{Rule, RuleError, RuleErrors, RuleKind, RuleSet};

#[cfg(test)]
mod golden;
