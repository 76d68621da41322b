use almen_core::{Day, Timestamp};
use almen_dataset::{ReadOptions, read_calls_file};
use almen_kpi::{AbandonedRule, GroupBy, KpiOptions};
use anyhow::{Result, anyhow, bail};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum VagtCommand {
    /// Out-of-hours KPIs against the service targets, from a call log.
    ///
    /// Targets (Region Midtjylland): average wait ≤ 12 min; ≥ 70 % answered within 15 min and
    /// ≥ 80 % within 20 min; ≥ 80 % of consultations finished within 1 h of the booked time;
    /// ≥ 90 % of home visits started within 3 h of triage. "Within 15 min" means a wait of at
    /// most 15:00. By default waits and service levels are over answered calls, with abandoned
    /// calls reported beside them; `--abandoned counted_as_missed` counts them as missed.
    ///
    ///   almen vagt kpi --calls data/midt/calls.parquet --by hour
    ///
    ///   almen vagt kpi --calls data/midt --weekend-0745 2025-03-01
    Kpi(KpiArgs),
}

#[derive(Args)]
pub struct KpiArgs {
    /// A calls file (CSV, CSV.gz or Parquet in the extract format) or a dataset folder.
    #[arg(long)]
    pub calls: PathBuf,
    /// Only calls received at or after this time (date `2025-01-01` or RFC 3339; Danish time).
    #[arg(long)]
    pub from: Option<String>,
    /// Only calls received before this time (exclusive).
    #[arg(long)]
    pub to: Option<String>,
    /// Group by hour, day, weekday (weekday vs weekend/holiday), district, week or quarter.
    #[arg(long)]
    pub by: Option<String>,
    /// How abandoned calls count in the service levels: excluded or counted_as_missed.
    #[arg(long, default_value = "excluded")]
    pub abandoned: String,
    /// The ready-made weekend report: calls 07:30-08:00 on weekends and holidays, before and
    /// after the day answering started at 07:45 (give that day).
    #[arg(long, value_name = "CHANGE_DATE")]
    pub weekend_0745: Option<String>,
    /// `table` for people, `json` for scripts (shares as fractions 0-1, waits in seconds).
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
}

pub fn run(c: VagtCommand) -> Result<ExitCode> {
    match c {
        VagtCommand::Kpi(a) => kpi(a),
    }
}

/// A date means its local midnight; anything else must be a timestamp.
fn instant(flag: &str, s: &str) -> Result<Timestamp> {
    if let Ok(d) = Day::parse(s) {
        let midnight = d
            .to_naive()
            .and_hms_opt(0, 0, 0)
            .ok_or_else(|| anyhow!("{flag}: not a date ({s})"))?;
        return Timestamp::from_local(midnight).map_err(|e| anyhow!("{flag}: {e}"));
    }
    Timestamp::parse(s).map_err(|e| anyhow!("{flag}: {e}"))
}

fn kpi(a: KpiArgs) -> Result<ExitCode> {
    let opts = KpiOptions {
        abandoned: a.abandoned.parse::<AbandonedRule>()?,
        from: a
            .from
            .as_deref()
            .map(|s| instant("--from", s))
            .transpose()?,
        to: a.to.as_deref().map(|s| instant("--to", s)).transpose()?,
        by: a.by.as_deref().map(str::parse::<GroupBy>).transpose()?,
    };
    if let (Some(f), Some(t)) = (opts.from, opts.to)
        && t <= f
    {
        bail!("--to must be after --from");
    }
    let change = a
        .weekend_0745
        .as_deref()
        .map(|s| Day::parse(s).map_err(|e| anyhow!("--weekend-0745: {e}")))
        .transpose()?;
    let (calls, warnings) = match read_calls_file(&a.calls, &ReadOptions::default()) {
        Ok(x) => x,
        Err(errs) => {
            print!("{errs}");
            bail!(
                "the call log {} has errors; nothing was computed",
                a.calls.display()
            );
        }
    };
    for w in warnings {
        eprintln!("warning: {w}");
    }
    if let Some(change) = change {
        let report = almen_kpi::weekend_0745_report(&calls, change, &opts);
        if a.format == "json" {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print!("{}", almen_kpi::render_weekend_0745(&report));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let report = almen_kpi::kpis(&calls, &opts);
    if a.format == "json" {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", almen_kpi::render_table(&report));
    }
    Ok(ExitCode::SUCCESS)
}
