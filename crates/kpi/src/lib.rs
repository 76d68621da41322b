//! Out-of-hours KPIs against the Danish service targets, over any set of calls.
//!
//! The service targets (*måltal*, DOMAIN.md §1) for the out-of-hours service (*Lægevagten*):
//!
//! | KPI | definition | target |
//! |---|---|---|
//! | `avg_wait_s` | mean of `answered_at − received_at` over answered calls | ≤ 720 s (12 min) |
//! | `within_15_min` | share of answered calls with a wait ≤ 900 s | ≥ 0.70 |
//! | `within_20_min` | share of answered calls with a wait ≤ 1200 s | ≥ 0.80 |
//! | `consultations_within_1h` | share of consultations with `finished_at − booked_for` ≤ 3600 s | ≥ 0.80 |
//! | `home_visits_within_3h` | share of home visits with `visit_started_at − ended_at` ≤ 10800 s | ≥ 0.90 |
//!
//! Beside them: `calls`, `answered`, `abandoned` (no `answered_at`, or the outcome
//! `abandoned`), `abandonment_rate`, and the median and 90th-percentile wait. Shares are
//! fractions 0-1; a share whose denominator is empty is `None` (JSON `null`). With
//! [`AbandonedRule::CountAsMissed`] abandoned calls count as missed in the two phone service
//! levels; the report names the rule it used.
//!
//! Durations are differences between instants, so they are true elapsed seconds across
//! midnight and DST changes. Groupings ([`GroupBy`]) use the Danish local time at which a call
//! was received; weekends include Danish holidays ([`calendar`]).
//!
//! The functions take any [`CallLog`]: a dataset's columnar `Calls` table as it is, or a slice
//! of [`Call`] rows.
//!
//! ```
//! use almen_core::Timestamp;
//! use almen_dataset::Outcome;
//! use almen_kpi::{Call, GroupBy, KpiOptions, kpis};
//!
//! let t = |s: &str| Timestamp::parse(s).unwrap();
//! let calls = vec![
//!     Call::new("a", t("2025-03-01T16:00:00"), Some(t("2025-03-01T16:15:00")), Outcome::Advice),
//!     Call::new("b", t("2025-03-01T16:10:00"), None, Outcome::Abandoned),
//! ];
//! let report = kpis(&calls, &KpiOptions { by: Some(GroupBy::Hour), ..KpiOptions::default() });
//! assert_eq!(report.calls, 2);
//! assert_eq!(report.within_15_min, Some(1.0));
//! assert_eq!(report.abandonment_rate, Some(0.5));
//! assert_eq!(report.groups[0].key, "16");
//! ```

pub mod calendar;
mod calls;
mod kpi;
mod render;
mod weekend;

pub use calendar::{Holiday, easter_sunday, holiday, holidays_in_year, is_weekend_or_holiday};
pub use calls::{Call, CallLog, calls_from_table};
pub use kpi::{
    AbandonedRule, CONSULTATION_LIMIT_S, Direction, GroupBy, HOME_VISIT_LIMIT_S, KpiError,
    KpiGroup, KpiOptions, KpiReport, Kpis, TARGET_AVG_WAIT_S, TARGET_CONSULTATIONS_WITHIN_1H,
    TARGET_HOME_VISITS_WITHIN_3H, TARGET_WITHIN_15_MIN, TARGET_WITHIN_20_MIN, TargetCheck, Targets,
    WAIT_15_MIN_S, WAIT_20_MIN_S, kpis,
};
pub use render::{format_share, format_wait, render_table, render_weekend_0745};
pub use weekend::{SlotKpis, Weekend0745Report, WindowKpis, weekend_0745_report};
