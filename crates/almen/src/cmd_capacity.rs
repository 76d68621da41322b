//! `almen capacity`: the national capacity model on the command line — the model (`model`),
//! PLO's area alternative side by side (`compare`), new capacities (`allocate`), coverage
//! (`coverage`), estimating the weight table (`fit-weights`) and the timing run (`bench`).

use crate::common::{list_set, load_dataset, parse_date};
use almen_capacity::{
    Allocation, CapacityError, Citizens, Comparison, Coverage, DEFAULT_FIT_CONDITIONS, Fit, Level,
    Limits, Model, Transition, WeightTable, allocate, apply_weights, compare, compute, coverage,
    fit,
};
use almen_cockpit::ListSet;
use almen_core::Day;
use almen_dataset::Dataset;
use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

const CAPACITY_HELP: &str = "\
The model, step by step (docs/capacity.md works through an example):
  1. each citizen alive at D gets a raw weight: its sex x age-band term plus the terms of the
     cockpit condition lists it is on; all are scaled by one factor to mean 1.0;
  2. the weight table is the shipped one (fitted on the synthetic national dataset) or
     --weights FILE (CSV term,value: age_sex:<F|M>:<band>, condition:<cockpit list id>);
  3. R = weighted citizens / doctor capacities (reference list size);
  4. area average per capacity = R / the area's mean weight (kommune or sundhedsraad);
  5. clinic minimum patient number = capacities x R / mean weight of its listed patients,
     with --floor, --ceiling, --max-change only when given.

Examples:
  almen capacity model --data data/midt
  almen capacity model --data data/midt --level sundhedsraad --format json
  almen capacity model --data data/midt --clinic 100001
  almen capacity compare --data data/midt
  almen capacity allocate --data data/midt --new-capacities 100
  almen capacity coverage --data data/midt
  almen capacity fit-weights --data data/dk --out weights.csv";

/// The national capacity model: disease-weighted citizens, the reference list size, area
/// averages, clinic minimum patient numbers, PLO's area alternative, new capacity, coverage.
#[derive(Args)]
#[command(after_help = CAPACITY_HELP, arg_required_else_help = true)]
pub struct CapacityCommand {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Subcommand)]
enum Sub {
    /// R, every area's average per capacity and every clinic's minimum patient number.
    ///
    /// JSON is unrounded; tables round patients to whole patients. Citizens are placed in the
    /// area they live in, clinics in the area they are located in.
    #[command(after_help = "\
JSON: {\"date\", \"level\", \"weights\", \"citizens\", \"weighted_citizens\", \"capacities\",
\"reference_per_capacity\", \"limits\", \"areas\": [{\"code\", \"name\", \"citizens\",
\"weighted_citizens\", \"capacities\", \"average_per_capacity\", \"mean_weight\", \"clinics\",
\"open_clinics\", \"listed\", \"without_list_place\"}], \"clinics\": [{\"clinic_id\", \"name\",
\"clinic_type\", \"kommune\", \"area_code\", \"open_for_new\", \"capacities\", \"listed\",
\"weighted_listed\", \"mean_weight\", \"model_minimum\", \"minimum_patients\", \"limited_by\"}]}

Examples:
  almen capacity model --data data/midt
  almen capacity model --data data/midt --level sundhedsraad --format json
  almen capacity model --data data/midt --clinic 100001
  almen capacity model --data data/midt --weights official.csv --floor 1100 --ceiling 2000
  almen capacity model --data data/midt --max-change 10 --previous last-year.csv")]
    Model(ModelArgs),
    /// The clinic model against PLO's alternative (an area target the area's clinics meet
    /// together): clinics and patients each asks to move, the spread of list sizes, gainers
    /// and losers by clinic type and area.
    ///
    /// A clinic gains under the clinic model when its minimum patient number is lower than
    /// its area-model share (area average per capacity x its capacities), loses when higher.
    #[command(after_help = "\
Examples:
  almen capacity compare --data data/midt
  almen capacity compare --data data/midt --level sundhedsraad --format json")]
    Compare(CompareArgs),
    /// Allocates K new capacities to areas by need gap (weighted citizens / R - capacities
    /// held), largest remainder method, and shows the gaps before and after.
    #[command(after_help = "\
Method: with K more capacities R' = W / (C + K); an area's gap is W_a / R' - C_a (the gaps sum
to K); areas over their share get nothing; the positive gaps are scaled to sum to K (quotas);
each area gets the whole part of its quota and the rest go one each to the largest remainders.

Examples:
  almen capacity allocate --data data/midt --new-capacities 100
  almen capacity allocate --data data/dk --new-capacities 600 --level sundhedsraad --format json")]
    Allocate(AllocateArgs),
    /// Citizens without a list place, citizens in areas where every clinic is closed,
    /// capacities per 1,000 weighted citizens, owners with several provider numbers.
    #[command(after_help = "\
Examples:
  almen capacity coverage --data data/midt
  almen capacity coverage --data data/dk --level sundhedsraad --format json")]
    Coverage(ModelArgs),
    /// Estimates a weight table from the data by least squares of each citizen's yearly GP
    /// fees (claims) on sex x age band and condition lists; writes it as a weight file and
    /// reports n, R² and standard errors.
    ///
    /// Citizens: alive at D and born at least a year before; fees: service dates in the year
    /// up to D (fee_dkk, or the fee schedule in force x quantity where empty).
    #[command(after_help = "\
Examples:
  almen capacity fit-weights --data data/dk --out weights.csv
  almen capacity fit-weights --data data/dk --out weights.csv --conditions diabetes,copd,dementia
  almen capacity model --data data/midt --weights weights.csv")]
    FitWeights(FitArgs),
    /// Times every step on a dataset (load, conditions, weights, model, compare, allocate,
    /// coverage, fit), repeated; the figures in BENCHMARKS.md come from it.
    #[command(after_help = "\
Example:
  almen capacity bench --data target/bench-data/national --repeat 3")]
    Bench(BenchArgs),
}

#[derive(Args)]
struct DataArgs {
    /// The dataset folder (extract format: Parquet, CSV or CSV.gz).
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Reference date D as YYYY-MM-DD (default: the dataset's last date).
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: Option<String>,
    /// A cockpit list file to add to the shipped lists, for condition terms of your own.
    #[arg(long = "lists", value_name = "FILE")]
    lists: Vec<PathBuf>,
    /// Print how long each step took (stderr).
    #[arg(long)]
    timings: bool,
}

#[derive(Args)]
struct ModelArgs {
    #[command(flatten)]
    data: DataArgs,
    /// A weight file (CSV term,value) instead of the shipped table.
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
    /// The areas: municipalities or health councils.
    #[arg(long, default_value = "kommune", value_parser = ["kommune", "sundhedsraad"])]
    level: String,
    /// `table` for people, `json` for scripts.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    format: String,
    #[command(flatten)]
    limits: LimitArgs,
    /// Show one clinic's number and how it was computed (JSON: only that clinic).
    #[arg(long, value_name = "ID")]
    clinic: Option<String>,
}

#[derive(Args)]
struct LimitArgs {
    /// Lowest minimum patient number per capacity (not applied unless given).
    #[arg(long, value_name = "PATIENTS")]
    floor: Option<f64>,
    /// Highest minimum patient number per capacity (not applied unless given).
    #[arg(long, value_name = "PATIENTS")]
    ceiling: Option<f64>,
    /// Largest change from last year's number, in percent (not applied unless given).
    #[arg(long, value_name = "PERCENT")]
    max_change: Option<f64>,
    /// Last year's numbers for --max-change: CSV clinic_id,minimum_patients.
    #[arg(long, value_name = "FILE", requires = "max_change")]
    previous: Option<PathBuf>,
    /// Last year's number per capacity for clinics not in --previous (the old flat limit).
    #[arg(long, default_value_t = 1600.0, value_name = "PATIENTS")]
    previous_per_capacity: f64,
}

#[derive(Args)]
struct CompareArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Also list every clinic under both models (table; JSON always has them).
    #[arg(long)]
    clinics: bool,
}

#[derive(Args)]
struct AllocateArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// K, the whole number of new capacities to allocate.
    #[arg(long, value_name = "K")]
    new_capacities: u32,
}

#[derive(Args)]
struct FitArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Where to write the weight file.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The condition lists to estimate (comma-separated cockpit list ids).
    #[arg(long, value_delimiter = ',', default_values_t = DEFAULT_FIT_CONDITIONS.iter().map(|s| s.to_string()))]
    conditions: Vec<String>,
    /// The label written into the file and shown with every result that uses it.
    #[arg(long)]
    label: Option<String>,
    /// `table` for people, `json` for scripts.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    format: String,
}

#[derive(Args)]
struct BenchArgs {
    /// The dataset folder.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// A weight file instead of the shipped table.
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
    /// Repetitions of each step (the fastest and the median are reported).
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// `table` for people, `json` for scripts.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    format: String,
}

pub fn run(c: CapacityCommand) -> Result<ExitCode> {
    match c.command {
        Sub::Model(a) => model_cmd(a),
        Sub::Compare(a) => compare_cmd(a),
        Sub::Allocate(a) => allocate_cmd(a),
        Sub::Coverage(a) => coverage_cmd(a),
        Sub::FitWeights(a) => fit_cmd(a),
        Sub::Bench(a) => bench_cmd(a),
    }
}

// ---------------------------------------------------------------------------------------------
// Shared steps

/// Step timings, printed on stderr with --timings.
struct Timer {
    on: bool,
    steps: Vec<(String, f64)>,
}

impl Timer {
    fn new(on: bool) -> Timer {
        Timer { on, steps: vec![] }
    }
    fn time<T>(&mut self, what: &str, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let x = f();
        self.steps
            .push((what.to_string(), t.elapsed().as_secs_f64()));
        x
    }
    fn print(&self) {
        if !self.on {
            return;
        }
        for (what, s) in &self.steps {
            eprintln!("timing {what:<28} {s:>8.3} s");
        }
        let after_load: f64 = self
            .steps
            .iter()
            .filter(|(w, _)| w != "load")
            .map(|(_, s)| s)
            .sum();
        eprintln!("timing {:<28} {after_load:>8.3} s", "after load");
    }
}

fn weight_table(file: Option<&Path>, lists: &ListSet) -> Result<WeightTable> {
    match file {
        None => Ok(WeightTable::default_table()),
        Some(f) => WeightTable::read(f, lists).map_err(|e| {
            for p in &e.problems {
                eprintln!("{p}");
            }
            anyhow!(
                "{} problem(s) in the weight file {}; nothing was computed",
                e.problems.len(),
                f.display()
            )
        }),
    }
}

fn reference_date(ds: &Dataset, given: &Option<String>, dir: &Path) -> Result<Day> {
    match given {
        Some(s) => parse_date(s),
        None => ds.last_date().ok_or_else(|| {
            anyhow!(
                "the dataset {} has no dates to take the reference date from; give --date YYYY-MM-DD",
                dir.display()
            )
        }),
    }
}

fn limits(a: &LimitArgs) -> Result<Limits> {
    for (name, v) in [("--floor", a.floor), ("--ceiling", a.ceiling)] {
        if let Some(v) = v
            && !(v.is_finite() && v >= 0.0)
        {
            bail!("{name} {v}: give a number of patients per capacity, 0 or more");
        }
    }
    if let (Some(f), Some(c)) = (a.floor, a.ceiling)
        && f > c
    {
        bail!("--floor {f} is above --ceiling {c}");
    }
    let transition = match a.max_change {
        None => None,
        Some(pct) => {
            if !(pct.is_finite() && (0.0..=100.0).contains(&pct)) {
                bail!("--max-change {pct}: give a percentage from 0 to 100, e.g. 10");
            }
            let previous = match &a.previous {
                Some(f) => previous_numbers(f)?,
                None => HashMap::new(),
            };
            Some(Transition {
                max_change: pct / 100.0,
                previous_per_capacity: a.previous_per_capacity,
                previous,
            })
        }
    };
    Ok(Limits {
        floor_per_capacity: a.floor,
        ceiling_per_capacity: a.ceiling,
        transition,
    })
}

/// `clinic_id,minimum_patients` with a header.
fn previous_numbers(f: &Path) -> Result<HashMap<String, f64>> {
    let text =
        std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
    let mut out = HashMap::new();
    let mut header = true;
    for (i, l) in text.lines().enumerate() {
        let l = l.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        if header {
            header = false;
            continue;
        }
        let (id, v) = l.split_once(',').ok_or_else(|| {
            anyhow!(
                "{}:{}: expected clinic_id,minimum_patients",
                f.display(),
                i + 1
            )
        })?;
        let v: f64 = v.trim().parse().map_err(|_| {
            anyhow!(
                "{}:{}: minimum_patients is not a number: {v:?}",
                f.display(),
                i + 1
            )
        })?;
        out.insert(id.trim().to_string(), v);
    }
    Ok(out)
}

fn level(s: &str) -> Level {
    Level::parse(s).unwrap_or(Level::Kommune)
}

/// Load, conditions, weights and the model, timed.
struct Run {
    ds: Dataset,
    model: Model,
    timer: Timer,
}

fn run_model(a: &ModelArgs) -> Result<Run> {
    let lists = list_set(&a.data.lists)?;
    let table = weight_table(a.weights.as_deref(), &lists)?;
    let limits = limits(&a.limits)?;
    let mut timer = Timer::new(a.data.timings);
    let ds = timer.time("load", || load_dataset(&a.data.data))?;
    let date = reference_date(&ds, &a.data.date, &a.data.data)?;
    let spinner = crate::progress::spinner("weighing citizens (condition lists)");
    let citizens = timer.time("conditions (cockpit lists)", || {
        Citizens::for_table(&ds, &lists, &table, date)
    })?;
    let weights = timer.time("weights", || apply_weights(&table, &citizens))?;
    let model = timer.time("model", || {
        compute(
            &ds,
            &citizens,
            &weights,
            level(&a.level),
            &limits,
            &table.label,
        )
    })?;
    spinner.finish_and_clear();
    Ok(Run { ds, model, timer })
}

/// Prints a serialisable value as pretty JSON.
macro_rules! json {
    ($x:expr) => {{
        println!("{}", serde_json::to_string_pretty($x)?);
        Ok::<(), anyhow::Error>(())
    }};
}

/// Aligned columns; numeric columns (`right`) are right-aligned.
fn table(head: &[&str], right: &[bool], rows: &[Vec<String>]) -> String {
    let mut w: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: &[String], out: &mut String| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = w[i] - c.chars().count();
            if i > 0 {
                s.push_str("  ");
            }
            if right[i] {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            } else {
                s.push_str(c);
                if i + 1 < cells.len() {
                    s.push_str(&" ".repeat(pad));
                }
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(
        &head.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
        &mut out,
    );
    for r in rows {
        line(r, &mut out);
    }
    out
}

fn whole(x: f64) -> String {
    format!("{:.0}", x)
}

fn opt(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.map(f).unwrap_or_else(|| "-".to_string())
}

// ---------------------------------------------------------------------------------------------
// model

fn model_cmd(a: ModelArgs) -> Result<ExitCode> {
    let Run {
        ds: _,
        mut model,
        timer,
    } = run_model(&a)?;
    timer.print();
    if let Some(id) = &a.clinic {
        let Some(c) = model.clinics.iter().position(|c| &c.clinic_id == id) else {
            let some: Vec<&str> = model
                .clinics
                .iter()
                .take(8)
                .map(|c| c.clinic_id.as_str())
                .collect();
            bail!(
                "unknown clinic id {id:?}: the dataset has {} clinic(s), e.g. {}",
                model.clinics.len(),
                some.join(", ")
            );
        };
        if a.format == "json" {
            let keep = model.clinics.swap_remove(c);
            model.clinics = vec![keep];
            json!(&model)?;
        } else {
            print!("{}", explain_clinic(&model, c));
        }
        return Ok(ExitCode::SUCCESS);
    }
    if a.format == "json" {
        json!(&model)?;
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", model_header(&model));
    println!();
    print!("{}", areas_table(&model));
    println!();
    let rows: Vec<Vec<String>> = model
        .clinics
        .iter()
        .map(|c| {
            vec![
                c.clinic_id.clone(),
                c.clinic_type.to_string(),
                c.area_code.clone(),
                format!("{}", c.capacities),
                c.listed.to_string(),
                opt(c.mean_weight, |m| format!("{m:.3}")),
                whole(c.minimum_patients),
                c.limited_by
                    .map(|l| format!("{l:?}").to_lowercase())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &[
                "clinic_id",
                "type",
                "area",
                "capacities",
                "listed",
                "mean weight",
                "minimum",
                "limited by"
            ],
            &[false, false, false, true, true, true, true, false],
            &rows
        )
    );
    Ok(ExitCode::SUCCESS)
}

fn model_header(m: &Model) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Capacity model at {}, areas by {}; weights: {}",
        m.date, m.level, m.weights
    );
    let _ = writeln!(
        s,
        "{} citizens (weighted {:.0}), {} capacities: R = {} weighted citizens per capacity",
        m.citizens,
        m.weighted_citizens,
        m.capacities,
        whole(m.reference_per_capacity)
    );
    if !m.limits.is_empty() {
        let l = &m.limits;
        let _ = writeln!(
            s,
            "limits: floor {} ceiling {} per capacity, transition {}",
            opt(l.floor_per_capacity, whole),
            opt(l.ceiling_per_capacity, whole),
            l.transition
                .as_ref()
                .map(|t| format!(
                    "±{:.0} % (previous: file or {} per capacity)",
                    t.max_change * 100.0,
                    whole(t.previous_per_capacity)
                ))
                .unwrap_or_else(|| "-".into())
        );
    }
    s
}

fn areas_table(m: &Model) -> String {
    let rows: Vec<Vec<String>> = m
        .areas
        .iter()
        .map(|a| {
            vec![
                a.code.clone(),
                a.name.clone(),
                a.citizens.to_string(),
                whole(a.weighted_citizens),
                format!("{}", a.capacities),
                opt(a.mean_weight, |x| format!("{x:.3}")),
                opt(a.average_per_capacity, whole),
            ]
        })
        .collect();
    table(
        &[
            "code",
            "area",
            "citizens",
            "weighted",
            "capacities",
            "mean weight",
            "average per capacity",
        ],
        &[false, false, true, true, true, true, true],
        &rows,
    )
}

fn explain_clinic(m: &Model, c: usize) -> String {
    let c = &m.clinics[c];
    let a = &m.areas[c.area as usize];
    let r = m.reference_per_capacity;
    let mut s = String::new();
    let _ = writeln!(s, "Clinic {} ({}), {}", c.clinic_id, c.name, c.clinic_type);
    let _ = writeln!(s, "Reference date {}; weights: {}", m.date, m.weights);
    let _ = writeln!(
        s,
        "1. Weights: each citizen's raw weight (sex x age band + conditions) scaled so the mean over the {} citizens is 1.0.",
        m.citizens
    );
    let _ = writeln!(
        s,
        "2. R = {:.1} weighted citizens / {} capacities = {:.2} per capacity.",
        m.weighted_citizens, m.capacities, r
    );
    let _ = writeln!(
        s,
        "3. Area {} {}: mean weight {}, average per capacity R / mean weight = {}.",
        a.code,
        a.name,
        opt(a.mean_weight, |x| format!("{x:.4}")),
        opt(a.average_per_capacity, |x| format!("{x:.1}"))
    );
    match c.mean_weight {
        Some(mw) => {
            let _ = writeln!(
                s,
                "4. The clinic's {} listed patients weigh {:.1}: mean weight {:.4}.",
                c.listed, c.weighted_listed, mw
            );
            let _ = writeln!(
                s,
                "5. Minimum = capacities x R / mean weight = {} x {:.2} / {:.4} = {:.1}.",
                c.capacities, r, mw, c.model_minimum
            );
        }
        None => {
            let _ = writeln!(
                s,
                "4. The clinic has no listed patients: mean weight 1.0 is used."
            );
            let _ = writeln!(
                s,
                "5. Minimum = capacities x R = {} x {:.2} = {:.1}.",
                c.capacities, r, c.model_minimum
            );
        }
    }
    match c.limited_by {
        Some(l) => {
            let _ = writeln!(
                s,
                "6. Limited by the {}: {:.1}.",
                format!("{l:?}").to_lowercase(),
                c.minimum_patients
            );
        }
        None if !m.limits.is_empty() => {
            let _ = writeln!(s, "6. No limit applies.");
        }
        None => {}
    }
    let _ = writeln!(
        s,
        "Minimum patient number: {} (listed today: {}).",
        whole(c.minimum_patients),
        c.listed
    );
    s
}

// ---------------------------------------------------------------------------------------------
// compare

fn compare_cmd(a: CompareArgs) -> Result<ExitCode> {
    let mut run = run_model(&a.model)?;
    let cmp = run.timer.time("compare", || compare(&run.model));
    run.timer.print();
    if a.model.format == "json" {
        json!(&cmp)?;
    } else {
        print!("{}", compare_table(&cmp, a.clinics));
    }
    Ok(ExitCode::SUCCESS)
}

fn compare_table(c: &Comparison, clinics: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Clinic model vs PLO's area model at {}, areas by {}; weights: {}",
        c.date, c.level, c.weights
    );
    let _ = writeln!(s, "R = {} per capacity", whole(c.reference_per_capacity));
    let _ = writeln!(s);
    let spread = |x: &Option<almen_capacity::compare::Spread>| -> Vec<String> {
        match x {
            Some(x) => vec![
                whole(x.min),
                whole(x.p10),
                whole(x.median),
                whole(x.p90),
                whole(x.max),
                format!("{:.3}", x.coefficient_of_variation),
            ],
            None => vec!["-".into(); 6],
        }
    };
    let mut rows = Vec::new();
    let mut r = vec![
        "clinic model".to_string(),
        c.clinic_model.clinics.to_string(),
        whole(c.clinic_model.patients),
    ];
    r.extend(spread(&c.clinic_model_spread));
    rows.push(r);
    let mut r = vec![
        "area model".to_string(),
        c.area_model.clinics.to_string(),
        whole(c.area_model.patients),
    ];
    r.extend(spread(&c.area_model_spread));
    rows.push(r);
    let mut r = vec!["listed today".to_string(), "-".into(), "-".into()];
    r.extend(spread(&c.current_spread));
    rows.push(r);
    s.push_str("Asked to take more patients, and list size per capacity:\n");
    s.push_str(&table(
        &[
            "",
            "clinics asked",
            "patients asked",
            "min",
            "p10",
            "median",
            "p90",
            "max",
            "cv",
        ],
        &[false, true, true, true, true, true, true, true, true],
        &rows,
    ));
    let gl = |v: &[almen_capacity::compare::GainLoss], title: &str| -> String {
        let rows: Vec<Vec<String>> = v
            .iter()
            .map(|g| {
                vec![
                    match &g.name {
                        Some(n) => format!("{} {n}", g.group),
                        None => g.group.clone(),
                    },
                    g.clinics.to_string(),
                    g.gainers.to_string(),
                    g.losers.to_string(),
                    g.unchanged.to_string(),
                    format!("{:+.0}", g.mean_difference_per_capacity),
                ]
            })
            .collect();
        table(
            &[
                title,
                "clinics",
                "gain",
                "lose",
                "same",
                "mean diff/capacity",
            ],
            &[false, true, true, true, true, true],
            &rows,
        )
    };
    let _ = writeln!(
        s,
        "\nGain = lower number under the clinic model than under the area model; diff = clinic − area model."
    );
    s.push_str(&gl(&c.by_clinic_type, "clinic type"));
    s.push('\n');
    s.push_str(&gl(&c.by_area, "area"));
    if clinics {
        s.push('\n');
        let rows: Vec<Vec<String>> = c
            .clinics
            .iter()
            .map(|x| {
                vec![
                    x.clinic_id.clone(),
                    x.clinic_type.to_string(),
                    x.area_code.clone(),
                    format!("{}", x.capacities),
                    x.listed.to_string(),
                    whole(x.clinic_model),
                    whole(x.area_model),
                    format!("{:+.0}", x.difference),
                ]
            })
            .collect();
        s.push_str(&table(
            &[
                "clinic_id",
                "type",
                "area",
                "capacities",
                "listed",
                "clinic model",
                "area model",
                "difference",
            ],
            &[false, false, false, true, true, true, true, true],
            &rows,
        ));
    }
    s
}

// ---------------------------------------------------------------------------------------------
// allocate

fn allocate_cmd(a: AllocateArgs) -> Result<ExitCode> {
    let mut run = run_model(&a.model)?;
    let alloc = run
        .timer
        .time("allocate", || allocate(&run.model, a.new_capacities));
    run.timer.print();
    if a.model.format == "json" {
        json!(&alloc)?;
    } else {
        print!("{}", allocation_table(&alloc));
    }
    Ok(ExitCode::SUCCESS)
}

fn allocation_table(x: &Allocation) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} new capacities at {}, areas by {}; weights: {}",
        x.new_capacities, x.date, x.level, x.weights
    );
    let _ = writeln!(s, "Method: {}", x.method);
    let _ = writeln!(
        s,
        "R before = {:.1}, after = {:.1} weighted citizens per capacity",
        x.reference_before, x.reference_after
    );
    let rows: Vec<Vec<String>> = x
        .areas
        .iter()
        .map(|a| {
            vec![
                a.code.clone(),
                a.name.clone(),
                whole(a.weighted_citizens),
                format!("{}", a.capacities),
                format!("{:+.2}", a.gap_before),
                format!("{:.2}", a.quota),
                a.allocated.to_string(),
                format!("{:+.2}", a.gap_after),
            ]
        })
        .collect();
    s.push_str(&table(
        &[
            "code",
            "area",
            "weighted",
            "capacities",
            "gap before",
            "quota",
            "allocated",
            "gap after",
        ],
        &[false, false, true, true, true, true, true, true],
        &rows,
    ));
    let total: u32 = x.areas.iter().map(|a| a.allocated).sum();
    let _ = writeln!(s, "allocated in all: {total}");
    s
}

// ---------------------------------------------------------------------------------------------
// coverage

fn coverage_cmd(a: ModelArgs) -> Result<ExitCode> {
    let mut run = run_model(&a)?;
    let cov = run.timer.time("coverage", || coverage(&run.ds, &run.model));
    run.timer.print();
    if a.format == "json" {
        json!(&cov)?;
    } else {
        print!("{}", coverage_table(&cov));
    }
    Ok(ExitCode::SUCCESS)
}

fn coverage_table(c: &Coverage) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Coverage at {}, areas by {}; weights: {}",
        c.date, c.level, c.weights
    );
    let _ = writeln!(
        s,
        "citizens                              {:>10}",
        c.citizens
    );
    let _ = writeln!(
        s,
        "without a list place                  {:>10}",
        c.without_list_place
    );
    let _ = writeln!(
        s,
        "in areas where every clinic is closed {:>10}",
        c.in_areas_all_closed
    );
    let _ = writeln!(
        s,
        "in areas without a clinic             {:>10}",
        c.in_areas_without_clinics
    );
    let _ = writeln!(
        s,
        "capacities per 1,000 weighted citizens {:>9.3}",
        c.capacities_per_1000_weighted
    );
    s.push('\n');
    let rows: Vec<Vec<String>> = c
        .areas
        .iter()
        .map(|a| {
            vec![
                a.code.clone(),
                a.name.clone(),
                a.citizens.to_string(),
                a.without_list_place.to_string(),
                format!("{}/{}", a.open_clinics, a.clinics),
                if a.all_closed {
                    "all closed".into()
                } else {
                    String::new()
                },
                opt(a.capacities_per_1000_weighted, |x| format!("{x:.3}")),
            ]
        })
        .collect();
    s.push_str(&table(
        &[
            "code",
            "area",
            "citizens",
            "no list place",
            "open clinics",
            "",
            "capacities/1000 weighted",
        ],
        &[false, false, true, true, true, false, true],
        &rows,
    ));
    let o = &c.owners;
    s.push('\n');
    let _ = writeln!(
        s,
        "Owners: {} doctors with 2+ provider numbers, {} above PLO's proposed 2, {} above the legal 6; {} region/tender owners with several clinics; {} clinics without an owner.",
        o.doctors_with_several,
        o.doctors_above_plo_limit,
        o.doctors_above_legal_limit,
        o.other_owners_with_several,
        o.clinics_without_owner
    );
    let _ = writeln!(s, "({})", o.note);
    let rows: Vec<Vec<String>> = o
        .list
        .iter()
        .take(20)
        .map(|x| {
            vec![
                x.owner.clone(),
                x.clinic_type.to_string(),
                x.provider_numbers.to_string(),
                opt(x.max_distance_km, |d| format!("{d:.1}")),
                x.clinics.join(" "),
            ]
        })
        .collect();
    if !rows.is_empty() {
        s.push_str(&table(
            &["owner", "type", "provider numbers", "max km", "clinics"],
            &[false, false, true, true, false],
            &rows,
        ));
        if o.list.len() > 20 {
            let _ = writeln!(s, "… {} more (JSON has them all)", o.list.len() - 20);
        }
    }
    s
}

// ---------------------------------------------------------------------------------------------
// fit-weights

fn fit_cmd(a: FitArgs) -> Result<ExitCode> {
    let lists = list_set(&a.data.lists)?;
    let mut timer = Timer::new(a.data.timings);
    let ds = timer.time("load", || load_dataset(&a.data.data))?;
    let date = reference_date(&ds, &a.data.date, &a.data.data)?;
    let label = a.label.clone().unwrap_or_else(|| {
        format!(
            "fitted by almen capacity fit-weights on {} at {date}",
            a.data.data.display()
        )
    });
    let conditions: Vec<&str> = a.conditions.iter().map(String::as_str).collect();
    let spinner = crate::progress::spinner("fitting the weights");
    let result = timer.time("fit (conditions, fees, least squares)", || {
        fit::fit_weights(&ds, &lists, &conditions, date, &label)
    });
    spinner.finish_and_clear();
    let f = result.map_err(|e| match e {
        CapacityError::UnknownCondition(m) => anyhow!("--conditions: {m}"),
        e => anyhow!(e),
    })?;
    timer.print();
    let text = f.to_csv(&a.data.data.display().to_string());
    std::fs::write(&a.out, &text).with_context(|| format!("cannot write {}", a.out.display()))?;
    if a.format == "json" {
        json!(&f)?;
    } else {
        print!("{}", fit_table(&f));
        println!("wrote {}", a.out.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn fit_table(f: &Fit) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Least squares of yearly GP fees ({} to {}) on sex x age band and conditions",
        f.window_from, f.date
    );
    let _ = writeln!(
        s,
        "n = {}, parameters = {}, R² = {:.4}, residual SE = {:.1} DKK, mean fees = {:.1} DKK ({})",
        f.n, f.parameters, f.r_squared, f.residual_standard_error, f.mean_fees, f.solver
    );
    let rows: Vec<Vec<String>> = f
        .terms
        .iter()
        .map(|t| {
            vec![
                t.term.clone(),
                t.citizens.to_string(),
                opt(t.coefficient, |x| format!("{x:.1}")),
                opt(t.standard_error, |x| format!("{x:.2}")),
                opt(t.robust_standard_error, |x| format!("{x:.2}")),
                format!("{:.1}", t.value),
                t.note.clone().unwrap_or_default(),
            ]
        })
        .collect();
    s.push_str(&table(
        &[
            "term",
            "citizens",
            "estimate",
            "SE",
            "robust SE",
            "value",
            "note",
        ],
        &[false, true, true, true, true, true, false],
        &rows,
    ));
    s
}

// ---------------------------------------------------------------------------------------------
// bench

fn bench_cmd(a: BenchArgs) -> Result<ExitCode> {
    if a.repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    let lists = ListSet::shipped();
    let table_w = weight_table(a.weights.as_deref(), &lists)?;
    let t = Instant::now();
    let ds = load_dataset(&a.data)?;
    let load_s = t.elapsed().as_secs_f64();
    let date = reference_date(&ds, &None, &a.data)?;
    let limits = Limits::default();
    let mut times: Vec<(&str, Vec<f64>)> = vec![
        ("conditions (cockpit lists)", vec![]),
        ("weights", vec![]),
        ("model kommune", vec![]),
        ("model sundhedsraad", vec![]),
        ("model total after load", vec![]),
        ("compare", vec![]),
        ("allocate 100", vec![]),
        ("coverage", vec![]),
        ("fit-weights total", vec![]),
    ];
    let pb = crate::progress::bar(a.repeat as u64, "benchmark");
    let mut last: Option<(Model, Fit)> = None;
    for _ in 0..a.repeat {
        let t0 = Instant::now();
        let citizens = Citizens::for_table(&ds, &lists, &table_w, date)?;
        let t1 = Instant::now();
        let weights = apply_weights(&table_w, &citizens)?;
        let t2 = Instant::now();
        let model = compute(
            &ds,
            &citizens,
            &weights,
            Level::Kommune,
            &limits,
            &table_w.label,
        )?;
        let t3 = Instant::now();
        let _hc = compute(
            &ds,
            &citizens,
            &weights,
            Level::Sundhedsraad,
            &limits,
            &table_w.label,
        )?;
        let t4 = Instant::now();
        let _c = compare(&model);
        let t5 = Instant::now();
        let _a = allocate(&model, 100);
        let t6 = Instant::now();
        let _v = coverage(&ds, &model);
        let t7 = Instant::now();
        let f = fit::fit_weights(&ds, &lists, DEFAULT_FIT_CONDITIONS, date, "bench")?;
        let t8 = Instant::now();
        let d = |a: Instant, b: Instant| b.duration_since(a).as_secs_f64();
        for (i, v) in [
            d(t0, t1),
            d(t1, t2),
            d(t2, t3),
            d(t3, t4),
            d(t0, t3),
            d(t4, t5),
            d(t5, t6),
            d(t6, t7),
            d(t7, t8),
        ]
        .into_iter()
        .enumerate()
        {
            times[i].1.push(v);
        }
        last = Some((model, f));
        pb.inc(1);
    }
    pb.finish_and_clear();
    let (model, f) = last.expect("at least one run");
    let stat = |v: &Vec<f64>| {
        let mut s = v.clone();
        s.sort_by(f64::total_cmp);
        (s[0], s[s.len() / 2])
    };
    if a.format == "json" {
        let steps: Vec<_> = times
            .iter()
            .map(|(w, v)| {
                let (best, median) = stat(v);
                serde_json::json!({"step": w, "best_s": best, "median_s": median, "runs": v})
            })
            .collect();
        json!(&serde_json::json!({
            "data": a.data.display().to_string(),
            "date": date,
            "load_s": load_s,
            "citizens": model.citizens,
            "clinics": model.clinics.len(),
            "claims": ds.claims.len(),
            "reference_per_capacity": model.reference_per_capacity,
            "fit_n": f.n,
            "fit_r_squared": f.r_squared,
            "steps": steps,
        }))?;
    } else {
        println!(
            "{}: {} citizens, {} clinics, {} claim lines, D = {date}; load {load_s:.1} s",
            a.data.display(),
            model.citizens,
            model.clinics.len(),
            ds.claims.len()
        );
        let rows: Vec<Vec<String>> = times
            .iter()
            .map(|(w, v)| {
                let (best, median) = stat(v);
                vec![w.to_string(), format!("{best:.3}"), format!("{median:.3}")]
            })
            .collect();
        print!(
            "{}",
            table(&["step", "best s", "median s"], &[false, true, true], &rows)
        );
        println!(
            "R = {:.1}; fit: n = {}, R² = {:.4}",
            model.reference_per_capacity, f.n, f.r_squared
        );
    }
    Ok(ExitCode::SUCCESS)
}
