//! Steps several commands share: reading a dataset with a spinner, the reference date, the
//! cockpit's list files, the async runtime.

use almen_cockpit::ListSet;
use almen_core::Day;
use almen_dataset::{Dataset, ReadOptions, read_dataset};
use anyhow::{Context, Result, anyhow, bail};
use std::path::{Path, PathBuf};

/// Reads and validates a dataset folder; on errors prints each (`FILE:ROW: COLUMN: problem`)
/// and refuses, so nothing half-read is used.
pub fn load_dataset(dir: &Path) -> Result<Dataset> {
    let spinner = crate::progress::spinner(&format!("reading {}", dir.display()));
    let r = read_dataset(dir, &ReadOptions::default());
    spinner.finish_and_clear();
    match r {
        Ok((ds, warnings)) => {
            for w in warnings {
                eprintln!("warning: {w}");
            }
            Ok(ds)
        }
        Err(errs) => {
            for e in &errs.errors {
                eprintln!("{e}");
            }
            bail!(
                "the dataset {} has {} error(s) and was not read (see `almen data check {}`)",
                dir.display(),
                errs.errors.len(),
                dir.display()
            )
        }
    }
}

/// A `--date` value.
pub fn parse_date(s: &str) -> Result<Day> {
    Day::parse(s).map_err(|e| {
        anyhow!(
            "--date {s:?}: {}; give the reference date as YYYY-MM-DD, e.g. 2025-12-31",
            e.rule
        )
    })
}

/// The shipped lists plus every `--lists` file; all problems of all files are reported.
pub fn list_set(files: &[PathBuf]) -> Result<ListSet> {
    let mut set = ListSet::shipped();
    for f in files {
        set = match set.with_file(f) {
            Ok(s) => s,
            Err(e) => {
                for p in &e.problems {
                    eprintln!("{p}");
                }
                bail!(
                    "{} problem(s) in the list file {}; nothing was computed",
                    e.problems.len(),
                    f.display()
                );
            }
        };
    }
    Ok(set)
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}
