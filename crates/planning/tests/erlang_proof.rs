//! The proof of issue #8: an M/M/c configuration of the simulator matches Erlang C, and an
//! M/M/c+M configuration matches Erlang A — the analytic mean wait and share answered within
//! 15 minutes lie inside the simulation's 95 % intervals over R independent replications.
//!
//! The seeds are fixed, so the tests are deterministic; with a correct simulator each interval
//! covers the truth with probability 95 %, and the seeds were not chosen to make them pass
//! (seed 2026 was the first one tried). With this seed the Erlang C mean wait lies near the
//! top of its interval; 200 replications of 4,000 hours give 493.9 s [489.5, 498.3] against
//! Erlang C's 493.65 s, so the simulator shows no bias.

use almen_kpi::{AbandonedRule, KpiOptions, WAIT_15_MIN_S, WAIT_20_MIN_S};
use almen_planning::{Dist, SimConfig, erlang_a_kpis, erlang_c_kpis, replicate};

const SEED: u64 = 2026;
const R: u64 = 20;

/// 84 calls an hour, 4 minutes' talk, 6 visitators: a = 5.6 Erlang, ρ = 0.93 — a heavily
/// loaded queue where Erlang C predicts a mean wait of several minutes.
#[test]
fn mmc_matches_erlang_c() {
    let (per_hour, talk_s, c, hours) = (84.0, 240.0, 6u32, 2000.0);
    let cfg = SimConfig::mmc(per_hour, talk_s, c, hours);
    let reps = replicate(&cfg, SEED, R, &KpiOptions::default()).unwrap();
    let lambda = per_hour / 3600.0;
    let e15 = erlang_c_kpis(lambda, talk_s, c, WAIT_15_MIN_S as f64);
    let e20 = erlang_c_kpis(lambda, talk_s, c, WAIT_20_MIN_S as f64);
    let iv = &reps.intervals;
    let wait = iv.avg_wait_s.unwrap();
    let w15 = iv.within_15_min.unwrap();
    let w20 = iv.within_20_min.unwrap();
    eprintln!(
        "Erlang C: mean wait {:.1} s, P(W≤15 min) {:.4}, P(W≤20 min) {:.4}",
        e15.avg_wait_s, e15.service_level, e20.service_level
    );
    eprintln!("simulated: {wait:?}\n           {w15:?}\n           {w20:?}");
    assert!(
        wait.contains(e15.avg_wait_s),
        "mean wait {wait:?} vs {}",
        e15.avg_wait_s
    );
    assert!(
        w15.contains(e15.service_level),
        "15 min {w15:?} vs {}",
        e15.service_level
    );
    assert!(
        w20.contains(e20.service_level),
        "20 min {w20:?} vs {}",
        e20.service_level
    );
    assert_eq!(iv.abandonment_rate.unwrap().mean, 0.0);
    // The intervals are informative, not merely wide.
    assert!(wait.hi - wait.lo < 0.1 * e15.avg_wait_s);
}

/// Erlang A: 30 calls an hour, 20 minutes' talk, 9 visitators (a = 10 > c: only abandonment
/// keeps it stable), mean patience 60 minutes — chosen so that Erlang A's share within
/// 15 minutes (≈ 0.78) is far from 1. Abandoned calls are reported beside the service levels,
/// which are over answered calls, as `erlang_a_kpis` defines them.
#[test]
fn mmc_with_patience_matches_erlang_a() {
    let (per_hour, talk_s, c, patience_s, hours) = (30.0, 1200.0, 9u32, 3600.0, 4000.0);
    let mut cfg = SimConfig::mmc(per_hour, talk_s, c, hours);
    cfg.patience = Some(Dist::Exponential { mean_s: patience_s });
    let opts = KpiOptions {
        abandoned: AbandonedRule::Excluded,
        ..KpiOptions::default()
    };
    let reps = replicate(&cfg, SEED, R, &opts).unwrap();
    let ea = erlang_a_kpis(
        per_hour / 3600.0,
        talk_s,
        c,
        patience_s,
        WAIT_15_MIN_S as f64,
    );
    let iv = &reps.intervals;
    let (wait, w15, ab) = (
        iv.avg_wait_s.unwrap(),
        iv.within_15_min.unwrap(),
        iv.abandonment_rate.unwrap(),
    );
    eprintln!("Erlang A: {ea:?}\nsimulated: {wait:?}\n           {w15:?}\n           {ab:?}");
    assert!(
        wait.contains(ea.avg_wait_s),
        "mean wait {wait:?} vs {}",
        ea.avg_wait_s
    );
    assert!(
        w15.contains(ea.service_level),
        "15 min {w15:?} vs {}",
        ea.service_level
    );
    assert!(
        ab.contains(ea.p_abandon),
        "abandonment {ab:?} vs {}",
        ea.p_abandon
    );
}

/// Same seed, same result — also across the parallel replications.
#[test]
fn replications_are_reproducible() {
    let cfg = SimConfig::mmc(84.0, 240.0, 6, 200.0);
    let a = replicate(&cfg, 11, 8, &KpiOptions::default()).unwrap();
    let b = replicate(&cfg, 11, 8, &KpiOptions::default()).unwrap();
    assert_eq!(a, b);
    let c = replicate(&cfg, 12, 8, &KpiOptions::default()).unwrap();
    assert_ne!(a.runs, c.runs);
}
