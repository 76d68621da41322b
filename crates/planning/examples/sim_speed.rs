//! Events per second of the simulator, single-threaded and over R parallel replications.
//!
//! `cargo run --release -p almen-planning --example sim_speed [-- HOURS R]`
//!
//! Model: the M/M/c check model (84 calls an hour, 4 minutes' talk, 6 visitators) and a
//! year of a Midtjylland-sized week profile (≈ 700,000 calls a year) with lognormal talk
//! time, exponential patience, 10 % urgent calls and the outcome mix.

use std::time::Instant;

use almen_kpi::{KpiOptions, kpis};
use almen_planning::{Dist, OutcomeMix, SimConfig, erlang_c_kpis, replicate, simulate};

fn midtjylland_year() -> SimConfig {
    let mut cfg = SimConfig::mmc(0.0, 240.0, 1, 24.0 * 365.0);
    cfg.warmup_s = 0.0;
    // Relative weight by hour of day; weekends and holidays about twice a weekday.
    let shape = |day: usize, hour: usize| -> f64 {
        let w: f64 = match hour {
            0..=6 => 0.6,
            7 => 2.0,
            8..=15 => 1.0,
            16..=18 => 5.0,
            19..=21 => 3.0,
            _ => 1.2,
        };
        if day >= 5 { 2.0 * w } else { w }
    };
    let raw: Vec<f64> = (0..168).map(|h| shape(h / 24, h % 24)).collect();
    let per_week = 700_000.0 / 52.0;
    let sum: f64 = raw.iter().sum();
    cfg.arrivals_per_hour = raw.iter().map(|w| w / sum * per_week).collect();
    cfg.agents_per_hour = cfg
        .arrivals_per_hour
        .iter()
        .map(|r| (r * 240.0 / 3600.0 * 1.1).ceil() as u32 + 1)
        .collect();
    cfg.talk = Dist::LogNormal {
        mean_s: 240.0,
        sd_s: 180.0,
    };
    cfg.patience = Some(Dist::Exponential { mean_s: 1200.0 });
    cfg.urgent_share = 0.1;
    cfg.outcomes = OutcomeMix::default();
    cfg
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let hours: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(20_000.0);
    let r: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100);
    let opts = KpiOptions::default();

    let mmc = SimConfig::mmc(84.0, 240.0, 6, hours);
    let t = Instant::now();
    let log = simulate(&mmc, 1, 0).unwrap();
    let sim_s = t.elapsed().as_secs_f64();
    let k = kpis(&log, &opts);
    let e = erlang_c_kpis(84.0 / 3600.0, 240.0, 6, 900.0);
    println!(
        "M/M/c, {hours} h, 1 thread: {} calls, {} events in {:.3} s = {:.1} M events/s \
         (mean wait {:.1} s, Erlang C {:.1} s)",
        log.calls.len(),
        log.events,
        sim_s,
        log.events as f64 / sim_s / 1e6,
        k.avg_wait_s.unwrap(),
        e.avg_wait_s
    );

    let year = midtjylland_year();
    let t = Instant::now();
    let log = simulate(&year, 1, 0).unwrap();
    let sim_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let k = kpis(&log, &opts);
    let kpi_s = t.elapsed().as_secs_f64();
    println!(
        "year (700k calls profile), 1 thread: {} calls, {} events, simulate {:.3} s = {:.1} M \
         events/s; KPIs {:.3} s (mean wait {:.0} s, abandoned {:.3})",
        log.calls.len(),
        log.events,
        sim_s,
        log.events as f64 / sim_s / 1e6,
        kpi_s,
        k.avg_wait_s.unwrap(),
        k.abandonment_rate.unwrap()
    );

    let t = Instant::now();
    let reps = replicate(&year, 1, r, &opts).unwrap();
    let all_s = t.elapsed().as_secs_f64();
    println!(
        "year × {r} replications, {} threads: {} events in {:.2} s = {:.1} M events/s incl. \
         KPIs; mean wait {:.1} s [{:.1}, {:.1}]",
        rayon::current_num_threads(),
        reps.events,
        all_s,
        reps.events as f64 / all_s / 1e6,
        reps.intervals.avg_wait_s.unwrap().mean,
        reps.intervals.avg_wait_s.unwrap().lo,
        reps.intervals.avg_wait_s.unwrap().hi,
    );
}
