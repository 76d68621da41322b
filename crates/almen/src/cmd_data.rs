use almen_dataset::{ReadOptions, Table, read_dataset, table_file};
use anyhow::Result;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum DataCommand {
    /// Validate a dataset folder and print a summary, or every error found.
    ///
    /// A dataset is a folder with one file per table (clinics, doctors, patients, and
    /// optionally diagnoses, prescriptions, observations, claims, calls), each as .csv,
    /// .csv.gz or .parquet. Errors are printed one per line as
    /// `FILE:ROW: COLUMN: problem (value)`, rows counted from 1 after the header, and the
    /// command exits with status 1.
    Check(CheckArgs),
}

#[derive(Args)]
pub struct CheckArgs {
    /// The dataset folder.
    pub dir: PathBuf,
    /// Stop after this many errors.
    #[arg(long, default_value_t = 100)]
    pub max_errors: usize,
    /// `table` for people, `json` for scripts.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
}

pub fn run(c: DataCommand) -> Result<ExitCode> {
    match c {
        DataCommand::Check(a) => check(a),
    }
}

fn check(a: CheckArgs) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let spinner = crate::progress::spinner(&format!("reading {}", a.dir.display()));
    let result = read_dataset(
        &a.dir,
        &ReadOptions {
            max_errors: a.max_errors,
        },
    );
    spinner.finish_and_clear();
    match result {
        Err(errs) => {
            if a.format == "json" {
                let list: Vec<_> = errs
                    .errors
                    .iter()
                    .map(|e| {
                        serde_json::json!({"file": e.file, "row": e.row, "column": e.column,
                            "problem": e.problem, "value": e.value, "message": e.to_string()})
                    })
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"ok": false, "errors": list, "truncated": errs.truncated})
                    )?
                );
            } else {
                for e in &errs.errors {
                    println!("{e}");
                }
                if errs.truncated {
                    println!(
                        "… stopped after {} errors (raise --max-errors to see more)",
                        a.max_errors
                    );
                }
                eprintln!(
                    "{} error(s) in {}: nothing was read. Fix the rows above and run the check again.",
                    errs.errors.len(),
                    a.dir.display()
                );
            }
            Ok(ExitCode::FAILURE)
        }
        Ok((ds, warnings)) => {
            let tables: Vec<_> = Table::ALL
                .iter()
                .map(|&t| {
                    let file = table_file(&a.dir, t).map(|p| p.display().to_string());
                    (t, ds.rows(t), file, ds.present.has(t))
                })
                .collect();
            if a.format == "json" {
                let list: Vec<_> = tables
                    .iter()
                    .map(|(t, n, f, p)| serde_json::json!({"table": t.name(), "rows": n, "file": f, "present": p}))
                    .collect();
                let range = ds
                    .date_range
                    .map(|(a, b)| serde_json::json!({"from": a, "to": b}));
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "ok": true, "tables": list, "date_range": range,
                        "warnings": warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
                    }))?
                );
            } else {
                for w in &warnings {
                    eprintln!("warning: {w}");
                }
                println!("{:<14} {:>12}  file", "table", "rows");
                for (t, n, f, present) in &tables {
                    let f = if *present {
                        f.clone().unwrap_or_default()
                    } else {
                        "(absent)".into()
                    };
                    println!("{:<14} {:>12}  {}", t.name(), n, f);
                }
                if let Some((from, to)) = ds.date_range {
                    println!("date range     {from} to {to}");
                }
                println!(
                    "listed patients {} in {} clinics; read and validated in {:.1} s",
                    ds.patients
                        .clinic
                        .iter()
                        .filter(|c| **c != almen_dataset::NONE)
                        .count(),
                    ds.clinics.len(),
                    started.elapsed().as_secs_f64()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
