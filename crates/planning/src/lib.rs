//! Out-of-hours planning (issue #8): a discrete-event simulator of the phone queue whose
//! output is scored by `almen-kpi`, and Erlang C/A staffing for the phone targets.
//!
//! - [`erlang`]: Erlang C and Erlang A (exponential patience), the least visitators per
//!   interval meeting the targets.
//! - [`sim`]: one replication of the simulator; [`SimConfig::mmc`] is the M/M/c check model.
//! - [`replicate`]: R replications in parallel with 95 % intervals per KPI.
//!
//! ```
//! use almen_kpi::KpiOptions;
//! use almen_planning::{SimConfig, erlang_c_kpis, replicate};
//!
//! let cfg = SimConfig::mmc(60.0, 240.0, 5, 200.0);
//! let reps = replicate(&cfg, 7, 4, &KpiOptions::default()).unwrap();
//! assert_eq!(reps.runs.len(), 4);
//! let erlang = erlang_c_kpis(60.0 / 3600.0, 240.0, 5, 900.0);
//! assert!(erlang.avg_wait_s > 100.0 && erlang.avg_wait_s < 150.0);
//! ```

pub mod erlang;
pub mod replicate;
pub mod sim;

pub use erlang::{
    PhoneTargets, QueueKpis, erlang_a_kpis, erlang_b, erlang_c, erlang_c_kpis, erlang_c_mean_wait,
    erlang_c_service_level, least_agents, least_agents_with, staffing_by_interval,
};
pub use replicate::{Interval, KpiIntervals, Replications, replicate, t_975};
pub use sim::{
    ConfigError, Delays, Dist, OutcomeMix, SimCall, SimConfig, SimLog, replication_rng, simulate,
};
