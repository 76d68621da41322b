//! `almen economy`: the economy of general practice on the command line — the regions'
//! controls on bill cards (`controls`), the isolated-6101 correction cards (`corrections`),
//! the economic frame (`frame`), the standardised activity index (`index`), the fee-structure
//! simulation (`fees`) and the timing run (`bench`).

use crate::common::load_dataset;
use almen_core::{Day, Timestamp};
use almen_dataset::Dataset;
use almen_economy::frame::{DEFAULT_TOLERANCE, FrameInput, profile_from, working_day_profile};
use almen_economy::{
    Analysis, Options, Reading, RuleSet, Scenario, analyse, clinic_cells, compute_frame,
    example_2023, propose, standardise, write_correction_cards,
};
use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Bill cards and the regions' controls, the economic frame, the standardised activity index.
#[derive(Args)]
#[command(
    arg_required_else_help = true,
    after_help = "\
Examples:
  almen economy controls --data data/midt --year 2024 --format table
  almen economy controls --data data/midt --clinic 100001 --rules my.rules --format json
  almen economy corrections --data data/midt --clinic 100001 --out corrections.csv
  almen economy frame --example 2023 --reading rltn --format json
  almen economy frame --data data/dk --frame-dkk 9450e6 --reading plo --format json
  almen economy index --data data/midt --threshold 120
  almen economy fees --data data/dk --scenario crates/economy/scenarios/differentiated.scenario
  almen economy bench --data data/dk

The rule file format is documented in crates/economy/RULES.md, the scenario format in
crates/economy/SCENARIOS.md."
)]
pub struct EconomyCommand {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Subcommand)]
enum Sub {
    /// Run the control rules on the bill cards: every finding with its rule, clinic, masked
    /// patient, claim ids and explanation.
    #[command(after_help = "\
JSON: {\"findings\": [{\"rule\", \"clinic_id\", \"patient\", \"claim_ids\", \"explanation\",
\"explanation_da\", \"service_date\", \"detail\"}], \"summary\": {\"year\", \"rules_file\",
\"clinics\", \"lines\", \"net_lines\", \"unpriced_lines\", \"amount_dkk\", \"findings\",
\"by_rule\"}}. Patients are masked.")]
    Controls(ControlsArgs),
    /// Write correction cards for the clinic's isolated 6101s that have a matching 0101
    /// (card 1: 0101 −1, card 2: 6101 +1, same date), in the claims format.
    Corrections(CorrectionsArgs),
    /// The economic frame: activity per month, overshoot, tolerance and countable offset under
    /// PLO's or RLTN's reading, the year-end forecast, Store Bededag.
    #[command(after_help = "\
JSON: {\"reading\", \"year\", \"frame_dkk\", \"activity_dkk\", \"overshoot_dkk\", \"overshoot_pct\",
\"tolerance_dkk\", \"countable_offset_dkk\", \"months\": [{\"month\", \"profile_share\", \"frame_dkk\",
\"activity_dkk\", \"outside_activity_dkk\", \"cumulative_frame_dkk\", \"cumulative_activity_dkk\",
\"observed\"}], \"tolerance\", \"outside_frame_activity_dkk\", \"effective_frame_dkk\",
\"profile_source\", \"forecast\", \"adjustments\"}. Amounts in DKK, unrounded.

PLO's reading: region-run and tendered clinics are outside the frame. RLTN's reading: their
activity reduces the frame (and so the tolerance, 0.6 % of the reduced frame).")]
    Frame(FrameArgs),
    /// Age/sex-standardised activity index per clinic against its region (observed ÷
    /// expected fees × 100), overall and per service group; clinics above the threshold flagged.
    Index(IndexArgs),
    /// Fee-structure simulation: today's flat capitation + fee-for-service against a scenario's
    /// capitation (flat or differentiated by disease weight, budget-neutral or with a pool,
    /// optionally with a floor), per clinic and by clinic type, area and list morbidity.
    #[command(after_help = "\
JSON: {\"scenario\", \"year\", \"total_today_dkk\", \"total_scenario_dkk\", \"clinics\": [{\"clinic_id\",
\"today_dkk\", \"scenario_dkk\", \"change_dkk\", \"change_pct\", \"listed\", \"mean_weight\", …}],
\"distribution\": {\"clinics\", \"winners\", \"losers\", \"median_pct\", …, \"histogram\"},
\"by_clinic_type\", \"by_area\", \"by_morbidity\": [{\"group\", \"clinics\", \"today_dkk\",
\"scenario_dkk\", \"change_dkk\", \"change_pct\", \"winners\", \"losers\", …}], …}. Amounts in DKK
(capitation + fee-for-service), unrounded; listed = group-1 patient-years.

The scenario format is documented in crates/economy/SCENARIOS.md.")]
    Fees(FeesArgs),
    /// Time every rule, the monthly aggregates and the indices on a dataset (after load).
    Bench(BenchArgs),
}

#[derive(Args)]
struct DataArgs {
    /// The dataset folder (extract format: Parquet, CSV or CSV.gz).
    #[arg(long)]
    data: PathBuf,
    /// The control year (service dates); default: the year of the dataset's last date.
    #[arg(long)]
    year: Option<i32>,
}

#[derive(Args)]
struct ControlsArgs {
    #[command(flatten)]
    data: DataArgs,
    /// One clinic only (clinic_id).
    #[arg(long)]
    clinic: Option<String>,
    /// A rule file (default: the shipped rules).
    #[arg(long)]
    rules: Option<PathBuf>,
    /// json or table.
    #[arg(long, default_value = "table")]
    format: String,
}

#[derive(Args)]
struct CorrectionsArgs {
    #[command(flatten)]
    data: DataArgs,
    #[arg(long)]
    clinic: String,
    /// The correction-card file to write (claims format CSV).
    #[arg(long)]
    out: PathBuf,
    #[arg(long)]
    rules: Option<PathBuf>,
    /// The submitted_date of the cards (default: today).
    #[arg(long)]
    submitted: Option<String>,
}

#[derive(Args)]
struct FrameArgs {
    /// The dataset folder; or use --example.
    #[arg(long, conflicts_with = "example")]
    data: Option<PathBuf>,
    /// The built-in worked example: 2023.
    #[arg(long)]
    example: Option<i32>,
    /// The year (default: the year of the dataset's last date).
    #[arg(long)]
    year: Option<i32>,
    /// The year's frame in DKK (required with --data).
    #[arg(long)]
    frame_dkk: Option<f64>,
    #[arg(long, default_value_t = DEFAULT_TOLERANCE)]
    tolerance: f64,
    /// plo or rltn.
    #[arg(long, default_value = "plo")]
    reading: String,
    /// Add the Store Bededag adjustment (one extra working day from 2024) to the frame.
    #[arg(long)]
    compensate_store_bededag: bool,
    /// json or table.
    #[arg(long, default_value = "table")]
    format: String,
}

#[derive(Args)]
struct IndexArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Flag clinics whose index is above this.
    #[arg(long, default_value_t = 120.0)]
    threshold: f64,
    /// json or table.
    #[arg(long, default_value = "table")]
    format: String,
}

#[derive(Args)]
struct FeesArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The scenario file (crates/economy/SCENARIOS.md).
    #[arg(long)]
    scenario: PathBuf,
    /// json or table.
    #[arg(long, default_value = "table")]
    format: String,
}

#[derive(Args)]
struct BenchArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Run the rules + aggregates and the indices this many times (every run timed).
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// table, or json: the timings, every clinic's net activity per month and every
    /// isolated_6101 finding (clinic, unmasked patient id), for scripts/bench-economy.
    #[arg(long, default_value = "table")]
    format: String,
    /// Also write the catalogue fee table the bench prices unpriced lines with, as CSV
    /// (service_code, valid_from, valid_to, fee_dkk: the fee in force from valid_from until
    /// the day before valid_to), for the DuckDB side of scripts/bench-economy.
    #[arg(long)]
    fees_csv: Option<PathBuf>,
}

pub fn run(c: EconomyCommand) -> Result<ExitCode> {
    match c.command {
        Sub::Controls(a) => controls(a),
        Sub::Corrections(a) => corrections(a),
        Sub::Frame(a) => frame(a),
        Sub::Index(a) => index(a),
        Sub::Fees(a) => fees(a),
        Sub::Bench(a) => bench(a),
    }
}

fn check_format(f: &str) -> Result<()> {
    match f {
        "json" | "table" => Ok(()),
        _ => bail!("--format must be json or table (got {f})"),
    }
}

fn load_rules(path: &Option<PathBuf>) -> Result<RuleSet> {
    match path {
        None => Ok(RuleSet::default_rules()),
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            RuleSet::parse(&p.display().to_string(), &text).map_err(|e| anyhow!("{e}"))
        }
    }
}

fn year_of(ds: &Dataset, given: Option<i32>) -> Result<i32> {
    given
        .or_else(|| ds.last_date().map(|d| d.year()))
        .ok_or_else(|| anyhow!("the dataset has no dates: give --year"))
}

fn clinic_row(ds: &Dataset, id: &str) -> Result<u32> {
    ds.clinic_row(id)
        .ok_or_else(|| anyhow!("no clinic with clinic_id {id} in the dataset"))
}

fn controls(a: ControlsArgs) -> Result<ExitCode> {
    check_format(&a.format)?;
    let rules = load_rules(&a.rules)?;
    let ds = load_dataset(&a.data.data)?;
    let year = year_of(&ds, a.data.year)?;
    let clinic = a
        .clinic
        .as_deref()
        .map(|c| clinic_row(&ds, c))
        .transpose()?;
    let an = analyse(
        &ds,
        &rules,
        &Options {
            year: Some(year),
            clinic,
        },
    );
    let findings = an.findings(&ds, &rules);
    let summary = an.summary(&rules);
    if a.format == "json" {
        let v = serde_json::json!({"findings": findings, "summary": summary});
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        let mut s = String::new();
        writeln!(
            s,
            "Controls {year}: {} clinic(s), {} claims lines, {} net lines, {:.0} DKK; rules from {}",
            summary.clinics, summary.lines, summary.net_lines, summary.amount_dkk, rules.file
        )?;
        for (rule, n) in &summary.by_rule {
            writeln!(s, "  {rule:<28} {n:>8}")?;
        }
        writeln!(s)?;
        writeln!(
            s,
            "{:<24} {:<10} {:<12} {:<11} claims / detail",
            "rule", "clinic", "patient", "date"
        )?;
        for f in findings.iter().take(200) {
            writeln!(
                s,
                "{:<24} {:<10} {:<12} {:<11} {} / {}",
                f.rule,
                f.clinic_id,
                f.patient,
                f.service_date,
                f.claim_ids.join(" "),
                f.detail
            )?;
        }
        if findings.len() > 200 {
            writeln!(
                s,
                "… {} more (use --format json or --clinic)",
                findings.len() - 200
            )?;
        }
        print!("{s}");
    }
    Ok(ExitCode::SUCCESS)
}

fn corrections(a: CorrectionsArgs) -> Result<ExitCode> {
    let rules = load_rules(&a.rules)?;
    let ds = load_dataset(&a.data.data)?;
    let year = year_of(&ds, a.data.year)?;
    let clinic = clinic_row(&ds, &a.clinic)?;
    let submitted = match &a.submitted {
        Some(s) => Day::parse(s).map_err(|e| anyhow!("--submitted: {e}"))?,
        None => Day::from_naive(Timestamp::now().to_local().date_naive()),
    };
    let talk = rules
        .rules
        .iter()
        .find(|r| matches!(r.kind, almen_economy::RuleKind::Isolated6101))
        .map(|r| r.codes[0])
        .ok_or_else(|| anyhow!("the rule file has no isolated_6101 rule"))?;
    let proposals = propose(&ds, &rules, clinic, year);
    let file =
        std::fs::File::create(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    write_correction_cards(
        &ds,
        &proposals,
        talk,
        submitted,
        std::io::BufWriter::new(file),
    )
    .with_context(|| format!("writing {}", a.out.display()))?;
    eprintln!(
        "{} correction(s) ({} cards) for clinic {} in {year} written to {}",
        proposals.len(),
        proposals.len() * 2,
        a.clinic,
        a.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn frame(a: FrameArgs) -> Result<ExitCode> {
    check_format(&a.format)?;
    let reading = Reading::parse(&a.reading)
        .ok_or_else(|| anyhow!("--reading must be plo or rltn (got {})", a.reading))?;
    let report = match (&a.data, a.example) {
        (None, Some(2023)) => example_2023(reading),
        (None, Some(y)) => bail!("there is a worked example for 2023 only (got {y})"),
        (None, None) => bail!("give --data DIR --frame-dkk F, or --example 2023"),
        (Some(dir), _) => {
            let frame_dkk = a
                .frame_dkk
                .ok_or_else(|| anyhow!("--frame-dkk is required with --data"))?;
            let ds = load_dataset(dir)?;
            let year = year_of(&ds, a.year)?;
            let rules = RuleSet {
                file: String::new(),
                rules: Vec::new(),
            };
            let this = analyse(
                &ds,
                &rules,
                &Options {
                    year: Some(year),
                    clinic: None,
                },
            );
            let (inside, outside) = this.monthly_by_frame(&ds);
            let prev = analyse(
                &ds,
                &rules,
                &Options {
                    year: Some(year - 1),
                    clinic: None,
                },
            );
            let (prev_inside, _) = prev.monthly_by_frame(&ds);
            let (profile, source) = match profile_from(&prev_inside) {
                Some(p) => (p, "previous_year"),
                None => (working_day_profile(year), "working_days"),
            };
            let observed = match ds.last_date() {
                Some(d) if d.year() == year => {
                    // A month counts as observed once the data reach its last day.
                    let next = d.add_days(1);
                    if next.year() > year {
                        12
                    } else if next.month() != d.month() {
                        d.month() as usize
                    } else {
                        d.month() as usize - 1
                    }
                }
                Some(d) if d.year() < year => 0,
                _ => 12,
            };
            compute_frame(&FrameInput {
                year,
                frame_dkk,
                tolerance: a.tolerance,
                reading,
                inside,
                outside,
                observed_months: observed,
                profile,
                profile_source: source,
                compensate_store_bededag: a.compensate_store_bededag,
            })
        }
    };
    if a.format == "json" {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let m = 1e6;
        let mut s = String::new();
        writeln!(
            s,
            "Economic frame {} ({} reading): frame {:.1} M, effective {:.1} M, activity {:.1} M",
            report.year,
            match report.reading {
                Reading::Plo => "PLO's",
                Reading::Rltn => "RLTN's",
            },
            report.frame_dkk / m,
            report.effective_frame_dkk / m,
            report.activity_dkk / m
        )?;
        writeln!(
            s,
            "overshoot {:.1} M ({:.2} %), tolerance {:.1} M, countable offset {:.1} M",
            report.overshoot_dkk / m,
            report.overshoot_pct,
            report.tolerance_dkk / m,
            report.countable_offset_dkk / m
        )?;
        writeln!(
            s,
            "forecast {:.1} M [{:.1}; {:.1}] after {} observed month(s)",
            report.forecast.year_end_activity_dkk / m,
            report.forecast.low_dkk / m,
            report.forecast.high_dkk / m,
            report.forecast.observed_months
        )?;
        for x in &report.months {
            writeln!(
                s,
                "  {}  frame {:>9.1} M  activity {:>9.1} M  cumulative {:>9.1} / {:>9.1} M{}",
                x.month,
                x.frame_dkk / m,
                x.activity_dkk / m,
                x.cumulative_activity_dkk / m,
                x.cumulative_frame_dkk / m,
                if x.observed { "" } else { "  (forecast)" }
            )?;
        }
        for adj in &report.adjustments {
            writeln!(
                s,
                "adjustment {}: {:.1} M{} — {}",
                adj.name,
                adj.dkk / m,
                if adj.applied { " (applied)" } else { "" },
                adj.description
            )?;
        }
        print!("{s}");
    }
    Ok(ExitCode::SUCCESS)
}

fn index_of(
    ds: &Dataset,
    an: &Analysis,
    year: i32,
    threshold: f64,
) -> Vec<almen_economy::ClinicIndex> {
    let mid = Day::from_ymd(year, 7, 1).unwrap_or(Day::from_days_since_epoch(0));
    standardise(&clinic_cells(ds, an, mid), &an.groups.names, threshold)
}

fn index(a: IndexArgs) -> Result<ExitCode> {
    check_format(&a.format)?;
    let ds = load_dataset(&a.data.data)?;
    let year = year_of(&ds, a.data.year)?;
    let rules = RuleSet {
        file: String::new(),
        rules: Vec::new(),
    };
    let an = analyse(
        &ds,
        &rules,
        &Options {
            year: Some(year),
            clinic: None,
        },
    );
    let ix = index_of(&ds, &an, year, a.threshold);
    if a.format == "json" {
        let v = serde_json::json!({"year": year, "threshold": a.threshold, "clinics": ix});
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "{:<10} {:>8} {:>14} {:>14} {:>7}  flagged",
            "clinic", "listed", "observed DKK", "expected DKK", "index"
        );
        for c in &ix {
            println!(
                "{:<10} {:>8.0} {:>14.0} {:>14.0} {:>7}  {}",
                c.clinic_id,
                c.listed,
                c.observed_dkk,
                c.expected_dkk,
                c.index.map_or("-".into(), |i| format!("{i:.1}")),
                c.explanation
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn fees(a: FeesArgs) -> Result<ExitCode> {
    check_format(&a.format)?;
    // The scenario first: a malformed file reads no data.
    let scenario = Scenario::read(&a.scenario).map_err(|e| anyhow!("{e}"))?;
    let ds = load_dataset(&a.data.data)?;
    let year = year_of(&ds, a.data.year)?;
    let r = almen_economy::simulate(&ds, &scenario, year).map_err(|e| anyhow!("{e}"))?;
    if a.format == "json" {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(ExitCode::SUCCESS);
    }
    let m = 1e6;
    let pct = |p: Option<f64>| p.map_or("-".to_string(), |p| format!("{p:+.2} %"));
    let mut s = String::new();
    writeln!(
        s,
        "Scenario {} ({}): {} capitation, weighted share {}, pool {:.0} DKK, floor {}; {} weights at {}",
        r.scenario,
        r.scenario_file,
        match r.capitation {
            almen_economy::CapitationKind::Flat => "flat",
            almen_economy::CapitationKind::Weighted => "weighted",
        },
        r.weighted_share,
        r.pool_dkk,
        if r.floor { "yes" } else { "no" },
        r.weight_table,
        r.weight_date
    )?;
    writeln!(
        s,
        "{}: today {:.2} M DKK (capitation {:.2} M at {:.2} DKK per patient-year + fee-for-service {:.2} M); scenario {:.2} M",
        r.year,
        r.total_today_dkk / m,
        r.total_today_capitation_dkk / m,
        r.fee_per_patient_dkk,
        r.total_fee_for_service_dkk / m,
        r.total_scenario_dkk / m
    )?;
    let d = &r.distribution;
    writeln!(
        s,
        "{} clinics: {} win, {} lose, {} unchanged; change min {} p10 {} median {} p90 {} max {}",
        d.clinics,
        d.winners,
        d.losers,
        d.unchanged,
        pct(d.min_pct),
        pct(d.p10_pct),
        pct(d.median_pct),
        pct(d.p90_pct),
        pct(d.max_pct)
    )?;
    for (title, groups) in [
        ("clinic type", &r.by_clinic_type),
        ("area", &r.by_area),
        ("list morbidity", &r.by_morbidity),
    ] {
        writeln!(s)?;
        writeln!(
            s,
            "{title:<32} {:>7} {:>11} {:>7} {:>14} {:>10} {:>5} {:>5}",
            "clinics", "listed", "weight", "change DKK", "change", "win", "lose"
        )?;
        for g in groups {
            writeln!(
                s,
                "{:<32} {:>7} {:>11.0} {:>7.3} {:>14.0} {:>10} {:>5} {:>5}",
                g.group,
                g.clinics,
                g.listed,
                g.mean_weight,
                g.change_dkk,
                pct(g.change_pct),
                g.winners,
                g.losers
            )?;
        }
    }
    writeln!(s)?;
    writeln!(
        s,
        "{:<10} {:<6} {:>9} {:>7} {:>14} {:>14} {:>12} {:>10}",
        "clinic", "type", "listed", "weight", "today DKK", "scenario DKK", "change DKK", "change"
    )?;
    let mut cl: Vec<_> = r.clinics.iter().collect();
    cl.sort_by(|a, b| {
        a.change_pct
            .unwrap_or(0.0)
            .total_cmp(&b.change_pct.unwrap_or(0.0))
    });
    let shown = 200;
    for c in cl.iter().take(shown) {
        writeln!(
            s,
            "{:<10} {:<6} {:>9.0} {:>7.3} {:>14.0} {:>14.0} {:>12.0} {:>10}{}",
            c.clinic_id,
            c.clinic_type,
            c.listed,
            c.mean_weight,
            c.today_dkk,
            c.scenario_dkk,
            c.change_dkk,
            pct(c.change_pct),
            if c.floor_applied { "  (floor)" } else { "" }
        )?;
    }
    if cl.len() > shown {
        writeln!(s, "… {} more (use --format json)", cl.len() - shown)?;
    }
    print!("{s}");
    Ok(ExitCode::SUCCESS)
}

/// The catalogue fees as [`almen_reference::fee_on`] applies them: per code, for each distinct
/// `valid_from`, the fee `fee_on` picks from that day (the last in catalogue order), until the
/// next distinct `valid_from`.
fn write_fees_csv(path: &std::path::Path) -> Result<()> {
    let mut s = String::from("service_code,valid_from,valid_to,fee_dkk\n");
    for info in almen_reference::services() {
        let dated: Vec<(Day, f64)> = info
            .fees
            .iter()
            .filter_map(|f| Some((f.valid_from?, f.dkk)))
            .collect();
        let mut from: Vec<Day> = dated.iter().map(|f| f.0).collect();
        from.sort_unstable();
        from.dedup();
        for (i, &d) in from.iter().enumerate() {
            let Some(dkk) = almen_reference::fee_on(info.code, d) else {
                continue;
            };
            let to = from.get(i + 1).map_or(String::new(), |t| t.to_string());
            writeln!(s, "{},{d},{to},{dkk}", info.code)?;
        }
    }
    std::fs::write(path, s).with_context(|| format!("writing {}", path.display()))
}

fn bench(a: BenchArgs) -> Result<ExitCode> {
    check_format(&a.format)?;
    if let Some(p) = &a.fees_csv {
        write_fees_csv(p)?;
    }
    let repeat = a.repeat.max(1);
    let t0 = Instant::now();
    let ds = load_dataset(&a.data.data)?;
    let load_s = t0.elapsed().as_secs_f64();
    let year = year_of(&ds, a.data.year)?;
    let rules = RuleSet::default_rules();
    let opts = Options {
        year: Some(year),
        clinic: None,
    };
    let (mut analyse_runs, mut index_runs) = (Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..repeat {
        let t1 = Instant::now();
        let an = analyse(&ds, &rules, &opts);
        analyse_runs.push(t1.elapsed().as_secs_f64());
        let t2 = Instant::now();
        let (inside, outside) = an.monthly_by_frame(&ds);
        let ix = index_of(&ds, &an, year, 120.0);
        index_runs.push(t2.elapsed().as_secs_f64());
        last = Some((an, inside, outside, ix));
    }
    let Some((an, inside, outside, ix)) = last else {
        bail!("no run");
    };
    let best = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let (analyse_s, index_s) = (best(&analyse_runs), best(&index_runs));
    let s = an.summary(&rules);
    let flagged = ix.iter().filter(|c| c.flagged).count();
    if a.format == "json" {
        let iso = rules
            .rules
            .iter()
            .position(|r| matches!(r.kind, almen_economy::RuleKind::Isolated6101));
        let clinics: Vec<_> = an
            .clinics
            .iter()
            .map(|c| {
                let patients: Vec<&str> = c
                    .findings
                    .iter()
                    .filter(|f| Some(f.rule) == iso)
                    .map(|f| ds.patients.id.get(f.patient as usize))
                    .collect();
                serde_json::json!({
                    "clinic_id": ds.clinics.id.get(c.clinic as usize),
                    "lines": c.lines,
                    "net_lines": c.net_lines,
                    "unpriced_lines": c.unpriced_lines,
                    "months_dkk": c.months,
                    "isolated_6101": patients,
                })
            })
            .collect();
        let v = serde_json::json!({
            "year": year,
            "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            "isolated_6101_codes": iso.map(|i| &rules.rules[i].codes),
            "load_seconds": load_s,
            "analyse_seconds": {"best": analyse_s, "runs": analyse_runs},
            "index_seconds": {"best": index_s, "runs": index_runs},
            "summary": s,
            "inside_frame_dkk": inside.iter().sum::<f64>(),
            "outside_frame_dkk": outside.iter().sum::<f64>(),
            "flagged_clinics": flagged,
            "clinics": clinics,
        });
        println!("{}", serde_json::to_string(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "load {load_s:.1} s; every rule + net lines + monthly aggregates {analyse_s:.2} s; \
         indices {index_s:.2} s; total after load {:.2} s{}",
        analyse_s + index_s,
        if repeat > 1 {
            format!(" (best of {repeat})")
        } else {
            String::new()
        }
    );
    println!(
        "{} clinics, {} claims lines, {} net lines, {} findings {:?}; activity inside the frame \
         {:.0} DKK, outside {:.0} DKK; {} clinics flagged (index > 120)",
        s.clinics,
        s.lines,
        s.net_lines,
        s.findings,
        s.by_rule,
        inside.iter().sum::<f64>(),
        outside.iter().sum::<f64>(),
        flagged
    );
    Ok(ExitCode::SUCCESS)
}
