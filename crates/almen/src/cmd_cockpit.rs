//! `almen cockpit`: the clinic cockpit's population lists on the command line — prevalence
//! per list (`lists`), the patients on one list with their reasons (`members`), and the
//! timing run behind `scripts/bench-cockpit` (`bench`).

use crate::common::{list_set, load_dataset, parse_date};
use almen_cockpit::{
    FLS_LIST_ID, ListSet, ListsReport, Member, MembersReport, Reason, ReasonKind, evaluate_all,
    evaluate_clinic, lists_report, members_report,
};
use almen_core::Day;
use almen_dataset::{Dataset, Table};
use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

const COCKPIT_HELP: &str = "\
Shipped lists (ids): dementia, osteoporosis, triple_whammy, atrial_fibrillation,
atrial_fibrillation_without_oac, opioid, opioid_long_term, adhd, diabetes, copd, asthma,
hypertension, ischaemic_heart_disease, heart_failure, depression, severe_mental_illness,
multimorbidity, polypharmacy_5, polypharmacy_10, polypharmacy_effort_group,
glp1_without_other_antidiabetic, low_continuity; and for `members` also fls (every patient
with a DXA result and their FLS group). Definitions: crates/cockpit/LISTS.md.

A clinic's population at the reference date D (default: the dataset's last date) is its
listed patients born on or before D and alive on D. Add a clinic's or cluster's own lists with
--lists FILE (the format of crates/cockpit/LISTS.md; a file with problems is refused with
every problem as FILE:LINE: problem).

Examples:
  almen cockpit lists --data data/midt
  almen cockpit lists --data data/midt --clinic 100001 --date 2025-06-30 --format json
  almen cockpit members --data data/midt --clinic 100001 --list osteoporosis
  almen cockpit members --data data/midt --clinic 100001 --list fls --format csv
  almen cockpit lists --data data/midt --clinic 100001 --lists klynge.lists";

/// The clinic cockpit: population lists (dementia, osteoporosis/FLS, triple whammy, …) per
/// clinic, with prevalence against the region and the country, and the patients on each list
/// with the reason they are on it.
#[derive(Args)]
#[command(after_help = COCKPIT_HELP, arg_required_else_help = true)]
pub struct CockpitCommand {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Subcommand)]
enum Sub {
    /// Each list's count and prevalence for a clinic (or the whole dataset), against the
    /// region and the country, raw and age/sex-standardised.
    ///
    /// Prevalences are fractions (0.05 = 5 %) in JSON and CSV, percentages in the table.
    /// Standardised prevalence is indirect: observed / expected x the dataset's prevalence
    /// directly standardised to the national population by sex and 5-year age band.
    /// Without --clinic the whole dataset is reported (clinic_id null in JSON).
    #[command(after_help = "\
JSON: {\"clinic_id\", \"date\", \"population\", \"lists\": [{\"id\", \"count\", \"population\",
\"prevalence\", \"region_prevalence\", \"country_prevalence\", \"standardised_prevalence\",
\"region_standardised\", \"country_standardised\", …}], …}

Examples:
  almen cockpit lists --data data/midt
  almen cockpit lists --data data/midt --clinic 100001 --format json
  almen cockpit lists --data data/midt --clinic 100001 --date 2025-01-01 --format csv
  almen cockpit lists --data data/midt --clinic 100001 --lists klynge.lists")]
    Lists(ListsArgs),
    /// The patients on one list of a clinic, with the reason each is on it (which codes,
    /// dates and values matched).
    ///
    /// Patient ids are masked unless --show-ids is given; that adds "patient_id" and writes
    /// an audit row (action cockpit.members.show_ids) to Almen's database first — if the row
    /// cannot be written, no ids are printed. Members of osteoporosis carry their FLS group
    /// ("1", "2a", "2b", "3", or null without a DXA scan); --list fls gives every patient
    /// with a DXA result and their group. Members of low_continuity carry upc and coc.
    #[command(after_help = "\
List ids: the shipped lists (see `almen cockpit --help`), lists from --lists files, and fls.

JSON: {\"list\", \"clinic_id\", \"date\", \"count\", \"population\", \"members\": [{\"patient\",
\"age\", \"sex\", \"reasons\": [{\"kind\", \"system\", \"code\", \"title\", \"date\", \"end_date\",
\"value\", \"threshold\"}], \"fls_group\", \"contacts\", \"upc\", \"coc\"}], …}

Examples:
  almen cockpit members --data data/midt --clinic 100001 --list dementia
  almen cockpit members --data data/midt --clinic 100001 --list fls --format json
  almen cockpit members --data data/midt --clinic 100001 --list low_continuity --format csv
  almen cockpit members --data data/midt --clinic 100001 --list osteoporosis --show-ids \\
      --database-url sqlite://almen-data/almen.sqlite")]
    Members(MembersArgs),
    /// Times the lists on a dataset: load, every clinic (repeated), one clinic. Used by
    /// scripts/bench-cockpit, which compares the counts and times with DuckDB.
    ///
    /// JSON has the timings in seconds and, per clinic, the population, the count of every
    /// list (in the order of "lists"), the patients with a continuity index and the FLS group
    /// counts, so another implementation can be checked against it exactly.
    #[command(after_help = "\
Example:
  almen cockpit bench --data target/bench-data/national --repeat 5 --format json")]
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
    /// A list file to add to the shipped lists (a clinic's or cluster's own; repeatable).
    #[arg(long = "lists", value_name = "FILE")]
    lists: Vec<PathBuf>,
}

#[derive(Args)]
struct ListsArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The clinic's id (ydernummer); without it, the whole dataset.
    #[arg(long, value_name = "ID")]
    clinic: Option<String>,
    /// `table` for people, `json` or `csv` for scripts and spreadsheets.
    #[arg(long, default_value = "table", value_parser = ["table", "json", "csv"])]
    format: String,
}

#[derive(Args)]
struct MembersArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The clinic's id (ydernummer).
    #[arg(long, value_name = "ID")]
    clinic: String,
    /// The list's id, e.g. dementia, osteoporosis, low_continuity, or fls.
    #[arg(long, value_name = "LIST_ID")]
    list: String,
    /// `table` for people, `json` or `csv` for scripts and spreadsheets.
    #[arg(long, default_value = "table", value_parser = ["table", "json", "csv"])]
    format: String,
    /// Show patient ids in full (adds "patient_id"). Writes an audit row first.
    #[arg(long)]
    show_ids: bool,
    /// Almen's database, for the audit row of --show-ids (default: $ALMEN_DATABASE_URL, else
    /// sqlite://almen-data/almen.sqlite?mode=rwc). Not opened without --show-ids.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

#[derive(Args)]
struct BenchArgs {
    #[command(flatten)]
    data: DataArgs,
    /// How many times to evaluate every clinic (and the one clinic).
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// The clinic timed alone (default: the one with the largest population).
    #[arg(long, value_name = "ID")]
    clinic: Option<String>,
    /// `table` for people, `json` for scripts.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    format: String,
}

pub fn run(c: CockpitCommand) -> Result<ExitCode> {
    match c.command {
        Sub::Lists(a) => lists(a),
        Sub::Members(a) => members(a),
        Sub::Bench(a) => bench(a),
    }
}

// ---------------------------------------------------------------------------------------------
// Shared steps

fn reference_date(ds: &Dataset, given: Option<Day>, dir: &Path) -> Result<Day> {
    match given {
        Some(d) => Ok(d),
        None => ds.last_date().ok_or_else(|| {
            anyhow!(
                "the dataset {} has no dates to take the reference date from; give --date YYYY-MM-DD",
                dir.display()
            )
        }),
    }
}

fn clinic_row(ds: &Dataset, id: &str, dir: &Path) -> Result<u32> {
    ds.clinic_row(id).ok_or_else(|| {
        let n = ds.clinics.len();
        let some: Vec<&str> = (0..n.min(8)).map(|i| ds.clinics.id.get(i)).collect();
        anyhow!(
            "unknown clinic id {id:?}: {} has {n} clinic(s), e.g. {}{}. \
             Run `almen cockpit lists --data {}` for the whole dataset.",
            dir.display(),
            some.join(", "),
            if n > some.len() { ", …" } else { "" },
            dir.display()
        )
    })
}

fn check_list_id(set: &ListSet, id: &str) -> Result<()> {
    if set.index_of(id).is_some() || id == FLS_LIST_ID {
        return Ok(());
    }
    let mut known = set.ids();
    known.push(FLS_LIST_ID);
    bail!("unknown list {id:?}; the lists are: {}", known.join(", "))
}

/// A CSV cell: quoted when it holds a comma, quote or line break.
fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Prints to stdout; a reader that went away (`| head`) is not an error.
fn emit(out: &str) -> Result<ExitCode> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

fn csv_row(cells: &[String]) -> String {
    cells
        .iter()
        .map(|c| csv_cell(c))
        .collect::<Vec<_>>()
        .join(",")
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// A number without needless decimals: 90, -2.7, 0.333.
fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or("—".to_string(), |x| format!("{:.2}", x * 100.0))
}

// ---------------------------------------------------------------------------------------------
// lists

fn lists(a: ListsArgs) -> Result<ExitCode> {
    let given = a.data.date.as_deref().map(parse_date).transpose()?;
    let set = list_set(&a.data.lists)?;
    let ds = load_dataset(&a.data.data)?;
    let date = reference_date(&ds, given, &a.data.data)?;
    let clinic = a
        .clinic
        .as_deref()
        .map(|id| clinic_row(&ds, id, &a.data.data))
        .transpose()?;
    let report = lists_report(&ds, &set, clinic, date);
    let out = match a.format.as_str() {
        "json" => serde_json::to_string_pretty(&report)? + "\n",
        "csv" => lists_csv(&report),
        _ => lists_table(&report),
    };
    emit(&out)
}

fn lists_csv(r: &ListsReport) -> String {
    let mut s = String::from(
        "clinic_id,date,id,name_da,name_en,count,population,prevalence,region_prevalence,\
         country_prevalence,standardised_prevalence,region_standardised,country_standardised\n",
    );
    for l in &r.lists {
        s += &csv_row(&[
            opt(r.clinic_id.as_deref()),
            r.date.to_string(),
            l.id.clone(),
            l.name_da.clone(),
            l.name_en.clone(),
            l.count.to_string(),
            l.population.to_string(),
            opt(l.prevalence),
            opt(l.region_prevalence),
            opt(l.country_prevalence),
            opt(l.standardised_prevalence),
            opt(l.region_standardised),
            opt(l.country_standardised),
        ]);
        s.push('\n');
    }
    s
}

fn lists_table(r: &ListsReport) -> String {
    let mut s = String::new();
    match (&r.clinic_id, &r.clinic_name) {
        (Some(id), name) => {
            let _ = writeln!(
                s,
                "Clinic {id}{} — {}, reference date {}, population {}",
                name.as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default(),
                r.region.unwrap_or("?"),
                r.date,
                r.population
            );
        }
        _ => {
            let _ = writeln!(
                s,
                "Whole dataset — reference date {}, population {}",
                r.date, r.population
            );
        }
    }
    let w = r.lists.iter().map(|l| l.id.len()).max().unwrap_or(4).max(4);
    let _ = writeln!(
        s,
        "{:<w$} {:>8} {:>7} {:>8} {:>9} {:>7} {:>8} {:>9}",
        "list", "count", "prev %", "region %", "country %", "std %", "reg std", "ctry std"
    );
    for l in &r.lists {
        let _ = writeln!(
            s,
            "{:<w$} {:>8} {:>7} {:>8} {:>9} {:>7} {:>8} {:>9}",
            l.id,
            l.count,
            pct(l.prevalence),
            pct(l.region_prevalence),
            pct(l.country_prevalence),
            pct(l.standardised_prevalence),
            pct(l.region_standardised),
            pct(l.country_standardised),
        );
    }
    let c = &r.continuity;
    let _ = writeln!(
        s,
        "continuity: {} patients with 2+ face-to-face contacts, mean UPC {}, mean COC {}",
        c.patients,
        c.mean_upc.map_or("—".into(), |x| format!("{x:.3}")),
        c.mean_coc.map_or("—".into(), |x| format!("{x:.3}")),
    );
    s.push_str("Prevalences in percent; std = age/sex-standardised (indirect).\n");
    s
}

// ---------------------------------------------------------------------------------------------
// members

fn members(a: MembersArgs) -> Result<ExitCode> {
    let given = a.data.date.as_deref().map(parse_date).transpose()?;
    let set = list_set(&a.data.lists)?;
    check_list_id(&set, &a.list)?;
    let ds = load_dataset(&a.data.data)?;
    let date = reference_date(&ds, given, &a.data.data)?;
    let clinic = clinic_row(&ds, &a.clinic, &a.data.data)?;
    let report =
        members_report(&ds, &set, clinic, &a.list, date, a.show_ids).map_err(|e| anyhow!("{e}"))?;
    if a.show_ids {
        let url = a
            .database_url
            .clone()
            .or_else(|| std::env::var("ALMEN_DATABASE_URL").ok())
            .unwrap_or_else(|| "sqlite://almen-data/almen.sqlite?mode=rwc".to_string());
        audit_show_ids(&url, &report).with_context(|| {
            format!(
                "refusing to show patient ids: the audit row could not be written to {url} \
                 (run without --show-ids for masked ids, or give a working --database-url)"
            )
        })?;
    }
    let out = match a.format.as_str() {
        "json" => serde_json::to_string_pretty(&report)? + "\n",
        "csv" => members_csv(&report, a.show_ids),
        _ => members_table(&report, a.show_ids),
    };
    emit(&out)
}

/// Writes the audit row of an identifiable export, in a transaction of its own, before
/// anything is printed.
fn audit_show_ids(url: &str, r: &MembersReport) -> Result<()> {
    if let Some(dir) = sqlite_parent(url)
        && !dir.as_os_str().is_empty()
        && !dir.exists()
    {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("creating the folder {}", dir.display()))?;
    }
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_string());
    let entry = almen_server::AuditEntry {
        user_id: None,
        username: format!("cli:{user}"),
        action: "cockpit.members.show_ids".to_string(),
        patient_ref: None,
        reason: Some("almen cockpit members --show-ids".to_string()),
        detail: serde_json::json!({
            "clinic": r.clinic_id,
            "list": r.list,
            "date": r.date,
            "members": r.count,
        }),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        let db = almen_server::Db::connect(url).await?;
        let mut tx = db.begin().await?;
        almen_server::audit(&mut tx, entry).await?;
        tx.commit().await?;
        db.close().await;
        Ok::<_, anyhow::Error>(())
    })
}

/// The folder of a SQLite database file URL, to create it when missing.
fn sqlite_parent(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path.starts_with(':') {
        return None;
    }
    Path::new(path).parent().map(Path::to_path_buf)
}

fn reason_text(r: &Reason) -> String {
    let code = r.code.as_deref().unwrap_or("");
    let title = r
        .title
        .as_deref()
        .map(|t| format!(" {t}"))
        .unwrap_or_default();
    let period = |r: &Reason| match (r.date, r.end_date) {
        (Some(a), Some(b)) => format!(" {a} to {b}"),
        (Some(a), None) => format!(" from {a}"),
        _ => String::new(),
    };
    let value = r.value.map(num).unwrap_or_else(|| "—".into());
    match r.kind {
        ReasonKind::Diagnosis => format!(
            "{} {code}{title}{}",
            r.system.unwrap_or("diagnosis"),
            period(r)
        ),
        ReasonKind::Prescription => format!("{code}{title}{}", period(r)),
        ReasonKind::Observation => format!("{code} {value} on {}", opt(r.date)),
        ReasonKind::TreatmentEpisode => {
            format!("continuous treatment since {} ({value} days)", opt(r.date))
        }
        ReasonKind::Count => format!("{value} {}", code.replace('_', " ")),
        ReasonKind::Continuity => format!("{code} {value}{}", period(r)),
        ReasonKind::Age => format!("age {value}"),
        ReasonKind::Sex => format!("sex {code}"),
        ReasonKind::FlsGroup => format!(
            "FLS group {code}{title} (T-score {value} on {})",
            opt(r.date)
        ),
        ReasonKind::Percentile => format!(
            "top by {}: {value} (cut {})",
            code.replace('_', " "),
            r.threshold.map(num).unwrap_or_else(|| "—".into())
        ),
        ReasonKind::List => format!("on {code}"),
    }
}

fn reasons_text(m: &Member) -> String {
    m.reasons
        .iter()
        .map(reason_text)
        .collect::<Vec<_>>()
        .join("; ")
}

fn members_csv(r: &MembersReport, show_ids: bool) -> String {
    let mut head = vec!["list", "clinic_id", "date", "patient"];
    if show_ids {
        head.push("patient_id");
    }
    head.extend([
        "age",
        "sex",
        "fls_group",
        "contacts",
        "upc",
        "coc",
        "reasons",
    ]);
    let mut s = head.join(",") + "\n";
    for m in &r.members {
        let mut row = vec![
            r.list.clone(),
            r.clinic_id.clone(),
            r.date.to_string(),
            m.patient.clone(),
        ];
        if show_ids {
            row.push(m.patient_id.clone().unwrap_or_default());
        }
        row.extend([
            m.age.to_string(),
            m.sex.to_string(),
            opt(m.fls_group.map(|g| g.as_str())),
            m.contacts.to_string(),
            opt(m.upc),
            opt(m.coc),
            reasons_text(m),
        ]);
        s += &csv_row(&row);
        s.push('\n');
    }
    s
}

fn members_table(r: &MembersReport, show_ids: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} ({}) — clinic {}, reference date {}: {} of {} patients",
        r.list, r.name_en, r.clinic_id, r.date, r.count, r.population
    );
    let fls = r.fls_groups.is_some();
    let continuity = r.list == "low_continuity";
    let id_w = r
        .members
        .iter()
        .map(|m| {
            if show_ids {
                m.patient_id.as_deref().unwrap_or("").chars().count()
            } else {
                m.patient.chars().count()
            }
        })
        .max()
        .unwrap_or(7)
        .max(7);
    let mut head = format!("{:<id_w$} {:>3} {:>3}", "patient", "age", "sex");
    if fls {
        head += " fls";
    }
    if continuity {
        head += &format!(" {:>8} {:>5} {:>5}", "contacts", "upc", "coc");
    }
    head += "  reasons";
    let _ = writeln!(s, "{head}");
    for m in &r.members {
        let id = if show_ids {
            m.patient_id.as_deref().unwrap_or(&m.patient)
        } else {
            &m.patient
        };
        let pad = id_w.saturating_sub(id.chars().count());
        let mut line = format!("{id}{} {:>3} {:>3}", " ".repeat(pad), m.age, m.sex);
        if fls {
            line += &format!(" {:<3}", m.fls_group.map_or("—", |g| g.as_str()));
        }
        if continuity {
            let f = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{x:.2}"));
            line += &format!(" {:>8} {:>5} {:>5}", m.contacts, f(m.upc), f(m.coc));
        }
        line += "  ";
        line += &reasons_text(m);
        let _ = writeln!(s, "{line}");
    }
    if let Some(groups) = &r.fls_groups {
        s.push_str("FLS groups:");
        for g in groups {
            let _ = write!(s, " {} {};", g.group.as_str(), g.name_en);
        }
        s.pop();
        s.push('\n');
    }
    if !show_ids {
        s.push_str("Patient ids are masked; --show-ids shows them (audit-logged).\n");
    }
    s
}

// ---------------------------------------------------------------------------------------------
// bench

/// Extra lists for the benchmark's exact check of the FLS grouping (not timed).
const FLS_CHECK_LISTS: &str = "\
list bench_fls_1
  name_da: FLS 1
  name_en: FLS 1
  fls_group 1
list bench_fls_2a
  name_da: FLS 2a
  name_en: FLS 2a
  fls_group 2a
list bench_fls_2b
  name_da: FLS 2b
  name_en: FLS 2b
  fls_group 2b
list bench_fls_3
  name_da: FLS 3
  name_en: FLS 3
  fls_group 3
";

fn stats(v: &[f64]) -> serde_json::Value {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let median = if s.is_empty() { 0.0 } else { s[s.len() / 2] };
    serde_json::json!({
        "runs": v,
        "best": s.first().copied().unwrap_or(0.0),
        "median": median,
    })
}

fn bench(a: BenchArgs) -> Result<ExitCode> {
    let given = a.data.date.as_deref().map(parse_date).transpose()?;
    let set = list_set(&a.data.lists)?;
    let repeat = a.repeat.max(1);
    let t = Instant::now();
    let ds = load_dataset(&a.data.data)?;
    let load_s = t.elapsed().as_secs_f64();
    let date = reference_date(&ds, given, &a.data.data)?;

    let mut all_runs = Vec::with_capacity(repeat);
    let mut counts = Vec::new();
    for _ in 0..repeat {
        let t = Instant::now();
        counts = evaluate_all(&ds, &set, date);
        all_runs.push(t.elapsed().as_secs_f64());
    }
    let clinic = match &a.clinic {
        Some(id) => clinic_row(&ds, id, &a.data.data)?,
        None => counts
            .iter()
            .max_by_key(|c| c.population)
            .map(|c| c.clinic)
            .ok_or_else(|| anyhow!("the dataset has no clinics"))?,
    };
    let mut one_runs = Vec::with_capacity(repeat.max(5));
    let mut one_pop = 0;
    for _ in 0..repeat.max(5) {
        let t = Instant::now();
        let r = evaluate_clinic(&ds, &set, clinic, date);
        one_runs.push(t.elapsed().as_secs_f64());
        one_pop = r.population;
    }
    // Not timed: the FLS groups, for the exact check.
    let fls_set = set
        .clone()
        .with_text("bench-fls.lists", FLS_CHECK_LISTS)
        .map_err(|e| anyhow!("{e}"))?;
    let fls_counts = evaluate_all(&ds, &fls_set, date);
    let n = set.len();

    let ids = set.ids();
    if a.format == "json" {
        let clinics: Vec<_> = counts
            .iter()
            .zip(&fls_counts)
            .map(|(c, f)| {
                serde_json::json!({
                    "clinic_id": c.clinic_id,
                    "population": c.population,
                    "continuity_patients": c.continuity_patients,
                    "counts": c.counts,
                    "fls_groups": &f.counts[n..],
                })
            })
            .collect();
        let out = serde_json::json!({
            "dataset": a.data.data.display().to_string(),
            "date": date,
            "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            "rows": {
                "clinics": ds.rows(Table::Clinics),
                "patients": ds.rows(Table::Patients),
                "diagnoses": ds.rows(Table::Diagnoses),
                "prescriptions": ds.rows(Table::Prescriptions),
                "observations": ds.rows(Table::Observations),
                "claims": ds.rows(Table::Claims),
            },
            "population": counts.iter().map(|c| c.population as u64).sum::<u64>(),
            "lists": ids,
            "fls_groups": ["1", "2a", "2b", "3"],
            "load_seconds": load_s,
            "evaluate_all_seconds": stats(&all_runs),
            "one_clinic": {
                "clinic_id": ds.clinics.id.get(clinic as usize),
                "population": one_pop,
                "seconds": stats(&one_runs),
            },
            "clinics": clinics,
        });
        emit(&(serde_json::to_string(&out)? + "\n"))
    } else {
        let best = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "dataset {} at {date}: {} clinics, {} patients in the population, {n} lists",
            a.data.data.display(),
            ds.clinics.len(),
            counts.iter().map(|c| c.population as u64).sum::<u64>(),
        );
        let _ = writeln!(s, "load (read + validate + index)  {load_s:.2} s");
        let _ = writeln!(
            s,
            "every clinic, all lists         best {:.3} s of {repeat}",
            best(&all_runs)
        );
        let _ = writeln!(
            s,
            "one clinic ({}, {one_pop} patients)  best {:.1} ms",
            ds.clinics.id.get(clinic as usize),
            best(&one_runs) * 1000.0
        );
        for (l, id) in ids.iter().enumerate() {
            let total: u64 = counts.iter().map(|c| c.counts[l] as u64).sum();
            let _ = writeln!(s, "  {id:<34} {total:>9}");
        }
        emit(&s)
    }
}
