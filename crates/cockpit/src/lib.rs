//! The clinic cockpit: population lists as data, their evaluation, FLS/DXA grouping,
//! continuity of care, standardised prevalence and aggregation.
//!
//! - [`ListSet`] holds list definitions. [`ListSet::shipped`] gives the lists Almen ships
//!   (`lists/shipped.lists`); [`ListSet::with_file`] adds a clinic's or cluster's own lists,
//!   written in the same format (`LISTS.md`) and checked with `FILE:LINE: problem` errors.
//! - [`evaluate_clinic`] gives one clinic's members with the reasons they are on each list;
//!   [`members_report`] one list (or [`FLS_LIST_ID`], every DXA result with its group).
//! - [`evaluate_all`] counts every clinic in parallel; [`lists_report`] turns counts into
//!   prevalences with region and country comparison and age/sex standardisation;
//!   [`aggregate`] sums to cluster, kommune, health council, region or country with counts
//!   under 5 suppressed.
//!
//! The reference date `D` is the caller's (the CLI defaults to [`Dataset::last_date`]). A
//! clinic's population at `D` is its listed patients born on or before `D` and alive on `D`.
//!
//! ```
//! use almen_cockpit::ListSet;
//! let lists = ListSet::shipped()
//!     .with_text(
//!         "klynge.lists",
//!         "list old_af\n  name_da: AF over 80\n  name_en: AF over 80\n  all of\n    list atrial_fibrillation\n    age >= 80\n",
//!     )
//!     .unwrap();
//! assert_eq!(lists.ids().last(), Some(&"old_af"));
//! ```
//!
//! [`Dataset::last_date`]: almen_dataset::Dataset::last_date

mod codes;
mod continuity;
mod engine;
mod explain;
mod fls;
mod format;
mod lists;
mod population;
mod report;

pub use continuity::{ContinuityIndex, WINDOW_MONTHS, continuity_index};
pub use engine::{ClinicCounts, Strata};
pub use explain::{Reason, ReasonKind, code_title};
pub use fls::{DXA_CODE, FlsGroup, FlsGroupInfo, fls_groups};
pub use format::{ListDef, ListError, ListProblem, Origin};
pub use lists::{ListSet, SHIPPED_FILE};
pub use population::{Memberships, memberships};
pub use report::{
    AreaListFigures, AreaLists, ClinicLists, ClusterMap, Continuity, FLS_LIST_ID, Level,
    ListFigures, ListMembers, ListsReport, Member, MembersError, MembersReport, STANDARDISATION,
    SUPPRESS_BELOW, aggregate, aggregate_from, cluster_map, evaluate_all, evaluate_clinic,
    lists_report, lists_report_from, members_report,
};
