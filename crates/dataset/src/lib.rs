//! The extract-format dataset (see `shared/spec/extract-format.md`, restated in the user
//! guide): a folder with one file per table, CSV, gzipped CSV or Parquet.
//!
//! - [`read_dataset`] reads a folder into a [`Dataset`]: columnar tables ([`model`]) with every
//!   reference resolved to a row number and indexes by clinic and by patient. Every row is
//!   validated; errors name file, row, column and value, and are collected (up to a limit) so
//!   that one run reports them all. Nothing half-read is returned.
//! - [`DatasetWriter`] writes tables, table by table and batch by batch, so a generator can
//!   stream a national dataset without holding it in memory.

pub mod columns;
mod dataset;
pub mod model;
mod read;
mod write;

pub use columns::{Dict, GroupIndex, IdIndex, StrCol};
pub use dataset::{Dataset, Indexes};
pub use model::*;
pub use read::{ReadOptions, Warning, read_calls_file, read_dataset, table_file};
pub use write::{DatasetWriter, Format, WriteError};

use std::fmt;

/// One problem found in a dataset: `FILE:ROW: COLUMN: problem (value)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    pub file: String,
    /// 1-based data row (the header is not counted); `None` for a problem with the file.
    pub row: Option<u64>,
    pub column: Option<String>,
    pub problem: String,
    pub value: Option<String>,
}

impl DataError {
    pub fn at(
        file: impl Into<String>,
        row: u64,
        column: &str,
        problem: impl Into<String>,
        value: &str,
    ) -> DataError {
        DataError {
            file: file.into(),
            row: Some(row),
            column: Some(column.to_string()),
            problem: problem.into(),
            value: Some(value.to_string()),
        }
    }
    pub fn file(file: impl Into<String>, problem: impl Into<String>) -> DataError {
        DataError {
            file: file.into(),
            row: None,
            column: None,
            problem: problem.into(),
            value: None,
        }
    }
    pub fn column(file: impl Into<String>, column: &str, problem: impl Into<String>) -> DataError {
        DataError {
            file: file.into(),
            row: None,
            column: Some(column.to_string()),
            problem: problem.into(),
            value: None,
        }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(r) = self.row {
            write!(f, ":{r}")?;
        }
        write!(f, ": ")?;
        if let Some(c) = &self.column {
            write!(f, "{c}: ")?;
        }
        write!(f, "{}", self.problem)?;
        match self.value.as_deref() {
            Some("") => write!(f, " (empty)"),
            Some(v) => write!(f, " ({v})"),
            None => Ok(()),
        }
    }
}

/// Every problem found, in file and row order, up to the reader's limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataErrors {
    pub errors: Vec<DataError>,
    /// More errors existed than were kept.
    pub truncated: bool,
}

impl DataErrors {
    pub fn new(errors: Vec<DataError>) -> DataErrors {
        DataErrors {
            errors,
            truncated: false,
        }
    }
}

impl fmt::Display for DataErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.errors {
            writeln!(f, "{e}")?;
        }
        if self.truncated {
            writeln!(f, "… more errors not shown (the limit was reached)")?;
        }
        Ok(())
    }
}

impl std::error::Error for DataErrors {}
