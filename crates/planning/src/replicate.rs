//! R independent replications in parallel, scored by `almen_kpi::kpis`, with per-KPI mean and
//! 95 % confidence interval (Student t over the replications).

use almen_kpi::{KpiOptions, Kpis, kpis};
use rayon::prelude::*;
use serde::Serialize;

use crate::sim::{ConfigError, SimConfig, simulate};

/// Mean and 95 % interval of one KPI over the replications where it was defined.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
    /// Replications with a value.
    pub n: usize,
}

impl Interval {
    /// `mean ± t(0.975, n−1)·sd/√n`; a single value gives a zero-width interval.
    pub fn of(values: &[f64]) -> Option<Interval> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        if n == 1 {
            return Some(Interval {
                mean,
                lo: mean,
                hi: mean,
                n,
            });
        }
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let half = t_975(n - 1) * (var / n as f64).sqrt();
        Some(Interval {
            mean,
            lo: mean - half,
            hi: mean + half,
            n,
        })
    }
    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom: exact table to 30, then
/// the Cornish-Fisher expansion (error < 1e-4).
pub fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    if df == 0 {
        return f64::INFINITY;
    }
    if df <= 30 {
        return TABLE[df - 1];
    }
    let z: f64 = 1.959_963_984_540_054;
    let d = df as f64;
    z + (z.powi(3) + z) / (4.0 * d)
        + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * d * d)
        + (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z) / (384.0 * d.powi(3))
}

/// The KPIs of the `calls` extract with intervals over the replications.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiIntervals {
    pub calls: Option<Interval>,
    pub answered: Option<Interval>,
    pub abandoned: Option<Interval>,
    pub avg_wait_s: Option<Interval>,
    pub median_wait_s: Option<Interval>,
    pub p90_wait_s: Option<Interval>,
    pub within_15_min: Option<Interval>,
    pub within_20_min: Option<Interval>,
    pub consultations_within_1h: Option<Interval>,
    pub home_visits_within_3h: Option<Interval>,
    pub abandonment_rate: Option<Interval>,
}

impl KpiIntervals {
    pub fn of(runs: &[Kpis]) -> KpiIntervals {
        let f = |g: &dyn Fn(&Kpis) -> Option<f64>| {
            Interval::of(&runs.iter().filter_map(g).collect::<Vec<_>>())
        };
        KpiIntervals {
            calls: f(&|k| Some(k.calls as f64)),
            answered: f(&|k| Some(k.answered as f64)),
            abandoned: f(&|k| Some(k.abandoned as f64)),
            avg_wait_s: f(&|k| k.avg_wait_s),
            median_wait_s: f(&|k| k.median_wait_s),
            p90_wait_s: f(&|k| k.p90_wait_s),
            within_15_min: f(&|k| k.within_15_min),
            within_20_min: f(&|k| k.within_20_min),
            consultations_within_1h: f(&|k| k.consultations_within_1h),
            home_visits_within_3h: f(&|k| k.home_visits_within_3h),
            abandonment_rate: f(&|k| k.abandonment_rate),
        }
    }
}

/// The result of [`replicate`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replications {
    pub seed: u64,
    /// The KPIs of each replication, in replication order.
    pub runs: Vec<Kpis>,
    pub intervals: KpiIntervals,
    /// Events processed over all replications.
    pub events: u64,
}

/// Runs replications `0..r` of `cfg` in parallel (rayon), each with its own stream derived
/// from `(seed, replication)`, scores each with `almen_kpi::kpis` under `opts`, and drops the
/// call logs. Same arguments, same result, whatever the number of threads.
pub fn replicate(
    cfg: &SimConfig,
    seed: u64,
    r: u64,
    opts: &KpiOptions,
) -> Result<Replications, ConfigError> {
    cfg.validate()?;
    let results: Vec<(Kpis, u64)> = (0..r)
        .into_par_iter()
        .map(|rep| {
            let log = simulate(cfg, seed, rep)?;
            Ok((kpis(&log, opts).kpis, log.events))
        })
        .collect::<Result<_, ConfigError>>()?;
    let events = results.iter().map(|(_, e)| e).sum();
    let runs: Vec<Kpis> = results.into_iter().map(|(k, _)| k).collect();
    Ok(Replications {
        seed,
        intervals: KpiIntervals::of(&runs),
        runs,
        events,
    })
}
