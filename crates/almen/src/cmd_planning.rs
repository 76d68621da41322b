//! `almen planning`: a thin command line over `almen-planning` — Erlang C/A for the phone
//! queue and the simulator with replications.

use almen_kpi::KpiOptions;
use almen_planning::{
    Dist, Interval, KpiIntervals, PhoneTargets, QueueKpis, SimConfig, erlang_a_kpis, erlang_c_kpis,
    least_agents_with, replicate,
};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum PlanningCommand {
    /// Erlang C (or Erlang A with --patience-min) for the phone queue of the out-of-hours service.
    ///
    /// With --agents C: the phone KPIs for C visitators — P(wait), mean wait, the share answered
    /// within --target-min, within 15 and 20 min, and (Erlang A) P(abandon); waits and shares
    /// are over answered calls. Without --agents (or with --targets): the least visitators that
    /// meet the phone targets — mean wait ≤ 12 min, ≥ 70 % within 15 min, ≥ 80 % within 20 min.
    ///
    ///   almen planning erlang --calls-per-hour 84 --talk-min 4 --agents 6
    ///
    ///   almen planning erlang --calls-per-hour 84 --talk-min 4 --targets
    ///
    ///   almen planning erlang --calls-per-hour 30 --talk-min 20 --patience-min 60 \
    ///       --agents 9 --format json
    #[command(verbatim_doc_comment)]
    Erlang(ErlangArgs),
    /// Simulate the phone queue R times (in parallel) and report the KPIs with 95 % intervals.
    ///
    /// Calls arrive as a Poisson process at --calls-per-hour; talk time and patience are
    /// exponential; visitators are --visitators throughout, or per hour from --staffing FILE
    /// (whitespace- or comma-separated counts, `#` comments, cyclic: 24 = hour of day from
    /// 00:00, 168 = hour of week from Monday 00:00). The first 10 % of --hours is warm-up.
    /// Each replication has its own random stream derived from --seed: same seed, same output,
    /// whatever the number of threads. Arrival profiles from a calls extract and scenario
    /// files are not yet supported.
    ///
    ///   almen planning simulate --calls-per-hour 84 --talk-min 4 --visitators 6
    ///
    ///   almen planning simulate --calls-per-hour 30 --talk-min 20 --patience-min 60 \
    ///       --visitators 9 --hours 4000 --replications 20 --seed 7 --format json
    ///
    ///   almen planning simulate --calls-per-hour 40 --talk-min 5 --staffing evening.txt
    #[command(verbatim_doc_comment)]
    Simulate(SimulateArgs),
}

#[derive(Args)]
pub struct ErlangArgs {
    /// Arrival rate, calls per hour (> 0).
    #[arg(
        long,
        value_name = "L",
        value_parser = positive("--calls-per-hour"),
        allow_negative_numbers = true,
    )]
    pub calls_per_hour: f64,
    /// Mean talk (handling) time in minutes (> 0).
    #[arg(
        long,
        value_name = "T",
        value_parser = positive("--talk-min"),
        allow_negative_numbers = true,
    )]
    pub talk_min: f64,
    /// Mean patience in minutes (> 0): callers abandon after an exponential patience (Erlang A).
    #[arg(
        long,
        value_name = "P",
        value_parser = positive("--patience-min"),
        allow_negative_numbers = true,
    )]
    pub patience_min: Option<f64>,
    /// Visitators answering the phone (≥ 1). Without it, the least number meeting the targets.
    #[arg(
        long,
        visible_alias = "visitators",
        value_name = "C",
        value_parser = at_least_one("--agents"),
        allow_negative_numbers = true,
    )]
    pub agents: Option<u32>,
    /// Find the least visitators meeting the phone targets (the default without --agents).
    #[arg(long, conflicts_with = "agents")]
    pub targets: bool,
    /// The service-level time in minutes for `service_level` (> 0).
    #[arg(
        long,
        value_name = "MIN",
        default_value_t = 15.0,
        value_parser = positive("--target-min"),
        allow_negative_numbers = true,
    )]
    pub target_min: f64,
    /// `table` for people, `json` for scripts (shares as fractions 0-1, waits in seconds).
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
}

#[derive(Args)]
pub struct SimulateArgs {
    /// Arrival rate, calls per hour (≥ 0), constant over the horizon.
    #[arg(
        long,
        value_name = "L",
        value_parser = non_negative("--calls-per-hour"),
        allow_negative_numbers = true,
    )]
    pub calls_per_hour: f64,
    /// Mean talk time in minutes (> 0), exponential.
    #[arg(
        long,
        value_name = "T",
        default_value_t = 4.0,
        value_parser = positive("--talk-min"),
        allow_negative_numbers = true,
    )]
    pub talk_min: f64,
    /// Mean patience in minutes (> 0), exponential; without it callers never abandon.
    #[arg(
        long,
        value_name = "P",
        value_parser = positive("--patience-min"),
        allow_negative_numbers = true,
    )]
    pub patience_min: Option<f64>,
    /// Visitators on the phone throughout (≥ 1).
    #[arg(
        long,
        value_name = "N",
        required_unless_present = "staffing",
        conflicts_with = "staffing",
        value_parser = at_least_one("--visitators"),
        allow_negative_numbers = true,
    )]
    pub visitators: Option<u32>,
    /// Visitators per hour from a file (see above).
    #[arg(long, value_name = "FILE")]
    pub staffing: Option<PathBuf>,
    /// Simulated hours per replication (> 0); the first 10 % are warm-up.
    #[arg(
        long,
        value_name = "H",
        default_value_t = 1000.0,
        value_parser = positive("--hours"),
        allow_negative_numbers = true,
    )]
    pub hours: f64,
    /// Independent replications (≥ 2 for an interval).
    #[arg(
        long,
        value_name = "R",
        default_value_t = 20,
        value_parser = at_least_one("--replications"),
        allow_negative_numbers = true,
    )]
    pub replications: u32,
    /// Seed of the random streams.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// `table` for people, `json` for scripts (shares as fractions 0-1, waits in seconds).
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
}

/// A clap value parser for an `f64` that must be finite and > 0; the error names the flag.
fn positive(flag: &'static str) -> impl Fn(&str) -> Result<f64, String> + Clone {
    move |s| match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("{flag} must be a positive number (got {s:?})")),
    }
}

/// As [`positive`], allowing 0.
fn non_negative(flag: &'static str) -> impl Fn(&str) -> Result<f64, String> + Clone {
    move |s| match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("{flag} must be a number ≥ 0 (got {s:?})")),
    }
}

/// A whole number ≥ 1; the error names the flag.
fn at_least_one(flag: &'static str) -> impl Fn(&str) -> Result<u32, String> + Clone {
    move |s| match s.trim().parse::<u32>() {
        Ok(v) if v >= 1 => Ok(v),
        _ => Err(format!("{flag} must be a whole number ≥ 1 (got {s:?})")),
    }
}

pub fn run(c: PlanningCommand) -> Result<ExitCode> {
    match c {
        PlanningCommand::Erlang(a) => erlang(a),
        PlanningCommand::Simulate(a) => simulate(a),
    }
}

fn erlang(a: ErlangArgs) -> Result<ExitCode> {
    let lambda = a.calls_per_hour / 3600.0;
    let talk_s = a.talk_min * 60.0;
    let patience_s = a.patience_min.map(|p| p * 60.0);
    let targets = PhoneTargets::default();
    let least = a.agents.is_none();
    let load = lambda * talk_s;
    let max_load = if patience_s.is_some() {
        1_000.0
    } else {
        10_000.0
    };
    if least && load > max_load {
        bail!(
            "--calls-per-hour × --talk-min / 60 is an offered load of {load:.0} Erlang; the search for the least visitators takes at most {max_load:.0} (Erlang C: 10000, Erlang A: 1000)"
        );
    }
    let c = match a.agents {
        Some(c) => c,
        None => least_visitators(lambda, talk_s, patience_s, &targets),
    };
    let k = |t_s: f64| -> QueueKpis {
        match patience_s {
            None => erlang_c_kpis(lambda, talk_s, c, t_s),
            Some(p) => erlang_a_kpis(lambda, talk_s, c, p, t_s),
        }
    };
    let at_target = k(a.target_min * 60.0);
    let w15 = k(targets.within[0].0).service_level;
    let w20 = k(targets.within[1].0).service_level;
    let stable = patience_s.is_some() || load < c as f64;
    let meets = stable
        && at_target.avg_wait_s <= targets.max_avg_wait_s
        && w15 >= targets.within[0].1
        && w20 >= targets.within[1].1;
    let model = if patience_s.is_some() {
        "erlang_a"
    } else {
        "erlang_c"
    };
    let num = |x: f64| if x.is_finite() { json!(x) } else { Value::Null };
    let out = json!({
        "model": model,
        "calls_per_hour": a.calls_per_hour,
        "talk_min": a.talk_min,
        "patience_min": a.patience_min,
        "offered_load_erlang": load,
        "visitators": c,
        "least_meeting_targets": least,
        "stable": stable,
        "p_wait": num(at_target.p_wait),
        "avg_wait_s": num(at_target.avg_wait_s),
        "target_min": a.target_min,
        "service_level": num(at_target.service_level),
        "within_15_min": num(w15),
        "within_20_min": num(w20),
        "p_abandon": num(at_target.p_abandon),
        "meets_targets": meets,
    });
    if a.format == "json" {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    let title = if patience_s.is_some() {
        "Erlang A (M/M/c+M)"
    } else {
        "Erlang C (M/M/c)"
    };
    println!(
        "{title}: {} calls/h, {} min talk",
        a.calls_per_hour, a.talk_min
    );
    if let Some(p) = a.patience_min {
        println!("mean patience            {p} min");
    }
    println!("offered load             {load:.3} Erlang");
    if least {
        println!("least visitators         {c}   (meeting all phone targets)");
    } else {
        println!("visitators               {c}");
    }
    if !stable {
        println!(
            "unstable: the offered load is at least the number of visitators; the queue grows without bound"
        );
        return Ok(ExitCode::SUCCESS);
    }
    let pct = |x: f64| format!("{:>5.1} %", 100.0 * x);
    println!("P(wait)                  {}", pct(at_target.p_wait));
    println!(
        "mean wait                {}   (target ≤ {})",
        mmss(at_target.avg_wait_s),
        mmss(targets.max_avg_wait_s)
    );
    println!(
        "within 15 min            {}   (target ≥ {})",
        pct(w15),
        pct(targets.within[0].1)
    );
    println!(
        "within 20 min            {}   (target ≥ {})",
        pct(w20),
        pct(targets.within[1].1)
    );
    if a.target_min != 15.0 && a.target_min != 20.0 {
        let label = format!("within {} min", a.target_min);
        println!("{label:<25}{}", pct(at_target.service_level));
    }
    if patience_s.is_some() {
        println!("P(abandon)               {}", pct(at_target.p_abandon));
    }
    println!(
        "meets the phone targets  {}",
        if meets { "yes" } else { "no" }
    );
    Ok(ExitCode::SUCCESS)
}

/// The least visitators meeting the targets. Erlang C: `least_agents_with`. Erlang A: the
/// same answer as `least_agents_with`, which counts up from 1 visitator (slow for large
/// loads, where few visitators mean a very long queue), found by galloping down from the
/// Erlang C answer and bisecting instead — abandonment never needs more visitators, and
/// meeting the targets is monotone in the number of visitators.
fn least_visitators(
    lambda: f64,
    talk_s: f64,
    patience_s: Option<f64>,
    targets: &PhoneTargets,
) -> u32 {
    let Some(p) = patience_s else {
        return least_agents_with(lambda, talk_s, None, targets);
    };
    if lambda <= 0.0 {
        return 0;
    }
    let meets = |c: u32| {
        let first = erlang_a_kpis(lambda, talk_s, c, p, targets.within[0].0);
        first.avg_wait_s <= targets.max_avg_wait_s
            && first.service_level >= targets.within[0].1
            && erlang_a_kpis(lambda, talk_s, c, p, targets.within[1].0).service_level
                >= targets.within[1].1
    };
    let mut c = least_agents_with(lambda, talk_s, None, targets);
    if !meets(c) {
        while !meets(c) {
            c += 1;
        }
        return c;
    }
    // Gallop down from the Erlang C answer to a count that fails, then bisect.
    let (mut lo, mut hi, mut step) = (0u32, c, 1u32);
    while hi > 1 {
        let cand = hi.saturating_sub(step).max(1);
        if meets(cand) {
            hi = cand;
            step = step.saturating_mul(2);
        } else {
            lo = cand;
            break;
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if meets(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// Seconds as `m:ss`.
fn mmss(s: f64) -> String {
    if !s.is_finite() {
        return "–".to_string();
    }
    let s = s.round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

/// A staffing file: counts per hour, cyclic.
fn read_staffing(path: &Path) -> Result<Vec<u32>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--staffing: reading {}", path.display()))?;
    let mut v = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("");
        for tok in line
            .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
            .filter(|t| !t.is_empty())
        {
            match tok.parse::<u32>() {
                Ok(n) => v.push(n),
                Err(_) => bail!(
                    "--staffing {}:{}: {tok:?} is not a number of visitators (a whole number ≥ 0)",
                    path.display(),
                    i + 1
                ),
            }
        }
    }
    if v.is_empty() {
        bail!(
            "--staffing {}: no visitator counts (give one whole number per hour)",
            path.display()
        );
    }
    if v.iter().all(|&n| n == 0) {
        bail!(
            "--staffing {}: every hour has 0 visitators; no call would ever be answered",
            path.display()
        );
    }
    Ok(v)
}

fn simulate(a: SimulateArgs) -> Result<ExitCode> {
    let agents = match (&a.staffing, a.visitators) {
        (Some(f), _) => read_staffing(f)?,
        (None, Some(n)) => vec![n],
        (None, None) => bail!("give --visitators N or --staffing FILE"),
    };
    let mut cfg = SimConfig::mmc(a.calls_per_hour, a.talk_min * 60.0, 1, a.hours);
    cfg.agents_per_hour = agents;
    cfg.patience = a
        .patience_min
        .map(|p| Dist::Exponential { mean_s: p * 60.0 });
    let reps = replicate(
        &cfg,
        a.seed,
        u64::from(a.replications),
        &KpiOptions::default(),
    )
    .map_err(|e| anyhow::anyhow!("the simulation model was refused: {e}"))?;
    let iv = &reps.intervals;
    if a.format == "json" {
        let out = json!({
            "model": {
                "calls_per_hour": a.calls_per_hour,
                "talk_min": a.talk_min,
                "patience_min": a.patience_min,
                "visitators_per_hour": cfg.agents_per_hour,
                "hours": a.hours,
                "warmup_hours": cfg.warmup_s / 3600.0,
            },
            "seed": reps.seed,
            "replications": reps.runs.len(),
            "events": reps.events,
            "intervals": phone_intervals(iv),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "Simulation: {} calls/h, {} min talk{}, {}; {} h ({} h warm-up) × {} replications, seed {}",
        a.calls_per_hour,
        a.talk_min,
        a.patience_min
            .map(|p| format!(", {p} min patience"))
            .unwrap_or_default(),
        match a.visitators {
            Some(n) => format!("{n} visitators"),
            None => format!(
                "{} hourly visitator counts from {}",
                cfg.agents_per_hour.len(),
                a.staffing.as_deref().unwrap_or(Path::new("")).display()
            ),
        },
        a.hours,
        cfg.warmup_s / 3600.0,
        reps.runs.len(),
        reps.seed
    );
    println!("{:<22} {:>12} {:>25}", "KPI", "mean", "95 % interval");
    let pct = |x: f64| format!("{:.1} %", 100.0 * x);
    let count = |x: f64| format!("{x:.0}");
    let rows: [Row; 8] = [
        ("calls", &iv.calls, &count),
        ("answered", &iv.answered, &count),
        ("abandoned", &iv.abandoned, &count),
        ("mean wait", &iv.avg_wait_s, &mmss),
        ("median wait", &iv.median_wait_s, &mmss),
        ("within 15 min", &iv.within_15_min, &pct),
        ("within 20 min", &iv.within_20_min, &pct),
        ("abandonment rate", &iv.abandonment_rate, &pct),
    ];
    for (name, i, f) in rows {
        match i {
            Some(i) => println!(
                "{name:<22} {:>12} {:>25}",
                f(i.mean),
                format!("{} – {}", f(i.lo), f(i.hi))
            ),
            None => println!("{name:<22} {:>12} {:>25}", "–", "–"),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A table row: name, interval, how to show a value.
type Row<'a> = (&'a str, &'a Option<Interval>, &'a dyn Fn(f64) -> String);

/// The phone KPIs of the intervals (the consultation and home-visit KPIs are constant by
/// construction in the simulator and left out).
fn phone_intervals(iv: &KpiIntervals) -> Value {
    let i = |x: &Option<Interval>| match x {
        Some(i) => json!({"mean": i.mean, "lo": i.lo, "hi": i.hi, "n": i.n}),
        None => Value::Null,
    };
    json!({
        "calls": i(&iv.calls),
        "answered": i(&iv.answered),
        "abandoned": i(&iv.abandoned),
        "avg_wait_s": i(&iv.avg_wait_s),
        "median_wait_s": i(&iv.median_wait_s),
        "p90_wait_s": i(&iv.p90_wait_s),
        "within_15_min": i(&iv.within_15_min),
        "within_20_min": i(&iv.within_20_min),
        "abandonment_rate": i(&iv.abandonment_rate),
    })
}
