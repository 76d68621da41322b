//! Reading a dataset folder: find each table's file, decode it (CSV, gzipped CSV or Parquet)
//! batch by batch, validate and convert every cell, resolve references, and either return the
//! whole dataset or every error found (up to a limit).

use crate::columns::{ColumnFull, IdIndex, StrCol, hash_id};
use crate::dataset::{Dataset, build_id_index};
use crate::model::*;
use crate::{DataError, DataErrors};
use almen_core::{Day, ParseError, Sex, Timestamp, parse_bool};
use almen_reference::{KommuneCode, ServiceCode};
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, TimeUnit};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Stop collecting errors after this many (the read fails either way).
    pub max_errors: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions { max_errors: 100 }
    }
}

/// Something worth telling the user that does not stop the read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub file: String,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

/// The file that holds `table` in `dir`: Parquet wins over CSV, CSV over gzipped CSV.
pub fn table_file(dir: &Path, table: Table) -> Option<PathBuf> {
    ["parquet", "csv", "csv.gz"]
        .iter()
        .map(|ext| dir.join(format!("{}.{ext}", table.name())))
        .find(|p| p.is_file())
}

/// One cell, whatever format it came from.
#[derive(Debug, Clone, Copy)]
enum Cell<'a> {
    Null,
    Str(&'a str),
    Int(i64),
    Float(f64),
    Bool(bool),
    Date(i32),
    Ts(i64),
}

impl Cell<'_> {
    fn text(&self) -> String {
        match *self {
            Cell::Null => String::new(),
            Cell::Str(s) => s.to_string(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => f.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Date(d) => Day::from_days_since_epoch(d).to_string(),
            Cell::Ts(t) => Timestamp::from_unix(t).to_string(),
        }
    }
}

/// A batch of rows of one table, columns in [`Table::columns`] order.
trait Rows {
    fn len(&self) -> usize;
    fn cell(&self, col: usize, row: usize) -> Cell<'_>;
    /// A row that could not be decoded at all (already reported).
    fn unreadable(&self, _row: usize) -> bool {
        false
    }
}

struct CsvRows {
    records: Vec<csv::StringRecord>,
    unreadable: Vec<usize>,
    /// Position of each extract column in the file, if present.
    pos: Vec<Option<usize>>,
}

impl Rows for CsvRows {
    fn len(&self) -> usize {
        self.records.len()
    }
    fn cell(&self, col: usize, row: usize) -> Cell<'_> {
        match self.pos[col].and_then(|p| self.records[row].get(p)) {
            None | Some("") => Cell::Null,
            Some(s) => Cell::Str(s),
        }
    }
    fn unreadable(&self, row: usize) -> bool {
        self.unreadable.binary_search(&row).is_ok()
    }
}

struct ArrowRows {
    len: usize,
    cols: Vec<Col>,
}

/// One Arrow column, downcast once per batch so that reading a cell is a match on a small
/// enum and an indexed load, not a type dispatch (the national claims table has half a
/// billion cells).
enum Col {
    Missing,
    Utf8(arrow_array::StringArray),
    LargeUtf8(arrow_array::LargeStringArray),
    View(arrow_array::StringViewArray),
    Int(arrow_array::Int64Array),
    Int32(arrow_array::Int32Array),
    Float(arrow_array::Float64Array),
    Bool(arrow_array::BooleanArray),
    Date(arrow_array::Date32Array),
    /// Timestamps in any unit, with the divisor to seconds.
    Ts(arrow_array::Int64Array, i64),
}

impl Col {
    fn of(a: &ArrayRef) -> Col {
        use arrow_array::Int64Array;
        let widen = |a: &ArrayRef| -> Int64Array { arrow_cast_int64(a) };
        match a.data_type() {
            DataType::Utf8 => Col::Utf8(a.as_string::<i32>().clone()),
            DataType::LargeUtf8 => Col::LargeUtf8(a.as_string::<i64>().clone()),
            DataType::Utf8View => Col::View(a.as_string_view().clone()),
            DataType::Int32 => Col::Int32(a.as_primitive::<Int32Type>().clone()),
            DataType::Int64 => Col::Int(a.as_primitive::<Int64Type>().clone()),
            DataType::Int8
            | DataType::Int16
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32 => Col::Int(widen(a)),
            DataType::Float64 => Col::Float(a.as_primitive::<Float64Type>().clone()),
            DataType::Float32 => Col::Float(
                a.as_primitive::<Float32Type>()
                    .unary::<_, Float64Type>(|v| v as f64),
            ),
            DataType::Boolean => Col::Bool(a.as_boolean().clone()),
            DataType::Date32 => Col::Date(a.as_primitive::<Date32Type>().clone()),
            DataType::Timestamp(unit, _) => {
                let div = match unit {
                    TimeUnit::Second => 1,
                    TimeUnit::Millisecond => 1_000,
                    TimeUnit::Microsecond => 1_000_000,
                    TimeUnit::Nanosecond => 1_000_000_000,
                };
                Col::Ts(widen(a), div)
            }
            // Refused when the file is opened: see `supported`.
            _ => Col::Missing,
        }
    }
}

/// Integer-like columns (narrow ints, timestamps) as plain i64 values with the same nulls.
fn arrow_cast_int64(a: &ArrayRef) -> arrow_array::Int64Array {
    use arrow_array::Int64Array;
    let n = a.len();
    let get = |i: usize| -> Option<i64> {
        if a.is_null(i) {
            return None;
        }
        Some(match a.data_type() {
            DataType::Int8 => a.as_primitive::<Int8Type>().value(i) as i64,
            DataType::Int16 => a.as_primitive::<Int16Type>().value(i) as i64,
            DataType::UInt8 => a.as_primitive::<UInt8Type>().value(i) as i64,
            DataType::UInt16 => a.as_primitive::<UInt16Type>().value(i) as i64,
            DataType::UInt32 => a.as_primitive::<UInt32Type>().value(i) as i64,
            DataType::Timestamp(TimeUnit::Second, _) => {
                a.as_primitive::<TimestampSecondType>().value(i)
            }
            DataType::Timestamp(TimeUnit::Millisecond, _) => {
                a.as_primitive::<TimestampMillisecondType>().value(i)
            }
            DataType::Timestamp(TimeUnit::Microsecond, _) => {
                a.as_primitive::<TimestampMicrosecondType>().value(i)
            }
            DataType::Timestamp(TimeUnit::Nanosecond, _) => {
                a.as_primitive::<TimestampNanosecondType>().value(i)
            }
            _ => 0,
        })
    };
    Int64Array::from_iter((0..n).map(get))
}

impl Rows for ArrowRows {
    fn len(&self) -> usize {
        self.len
    }
    #[inline]
    fn cell(&self, col: usize, row: usize) -> Cell<'_> {
        macro_rules! v {
            ($a:expr, $f:expr) => {
                if $a.is_null(row) {
                    Cell::Null
                } else {
                    $f($a.value(row))
                }
            };
        }
        match &self.cols[col] {
            Col::Missing => Cell::Null,
            Col::Utf8(a) => v!(a, Cell::Str),
            Col::LargeUtf8(a) => v!(a, Cell::Str),
            Col::View(a) => v!(a, Cell::Str),
            Col::Int(a) => v!(a, Cell::Int),
            Col::Int32(a) => v!(a, |x: i32| Cell::Int(x as i64)),
            Col::Float(a) => v!(a, Cell::Float),
            Col::Bool(a) => v!(a, Cell::Bool),
            Col::Date(a) => v!(a, Cell::Date),
            Col::Ts(a, div) => v!(a, |x: i64| Cell::Ts(x.div_euclid(*div))),
        }
    }
}

fn supported(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::Float32
            | DataType::Float64
            | DataType::Boolean
            | DataType::Date32
            | DataType::Timestamp(_, _)
    )
}

/// Collects errors for one file, up to the limit.
struct Errs {
    file: String,
    list: Vec<DataError>,
    max: usize,
    truncated: bool,
}

impl Errs {
    fn new(file: String, max: usize) -> Errs {
        Errs {
            file,
            list: Vec::new(),
            max,
            truncated: false,
        }
    }
    fn push(&mut self, e: DataError) {
        if self.list.len() < self.max {
            self.list.push(e);
        } else {
            self.truncated = true;
        }
    }
    fn full(&self) -> bool {
        self.truncated
    }
}

/// Converts the cells of one row, recording every problem; `ok` is false if any cell failed.
struct RowCtx<'a, R: Rows> {
    rows: &'a R,
    row: usize,
    line: u64,
    table: Table,
    errs: &'a mut Errs,
    last: &'a mut LastRefs,
    ok: bool,
}

/// The id each reference column resolved last. Child tables come grouped by patient, so most
/// rows repeat the previous row's id and need no hash lookup.
#[derive(Default)]
struct LastRefs(Vec<(usize, String, u32)>);

impl LastRefs {
    fn find(&self, col: usize, id: &str) -> Option<u32> {
        self.0
            .iter()
            .find(|(c, s, _)| *c == col && s == id)
            .map(|(_, _, r)| *r)
    }
    fn set(&mut self, col: usize, id: &str, row: u32) {
        match self.0.iter_mut().find(|(c, _, _)| *c == col) {
            Some(e) => {
                e.1.clear();
                e.1.push_str(id);
                e.2 = row;
            }
            None => self.0.push((col, id.to_string(), row)),
        }
    }
}

impl<'a, R: Rows> RowCtx<'a, R> {
    fn fail(&mut self, col: usize, problem: impl Into<String>, value: String) {
        self.ok = false;
        let e = DataError::at(
            self.errs.file.clone(),
            self.line,
            self.table.columns()[col],
            problem,
            &value,
        );
        self.errs.push(e);
    }
    fn cell(&self, col: usize) -> Cell<'_> {
        self.rows.cell(col, self.row)
    }
    fn get<T>(
        &mut self,
        col: usize,
        f: impl FnOnce(Cell<'_>) -> Result<T, ParseError>,
    ) -> Option<T> {
        let c = self.rows.cell(col, self.row);
        if matches!(c, Cell::Null) {
            self.fail(col, "required value is missing", String::new());
            return None;
        }
        match f(c) {
            Ok(v) => Some(v),
            Err(e) => {
                let text = c.text();
                self.fail(col, e.rule, text);
                None
            }
        }
    }
    /// `Some(None)` for an empty optional cell, `None` after an error.
    fn opt<T>(
        &mut self,
        col: usize,
        f: impl FnOnce(Cell<'_>) -> Result<T, ParseError>,
    ) -> Option<Option<T>> {
        let c = self.rows.cell(col, self.row);
        if matches!(c, Cell::Null) {
            return Some(None);
        }
        match f(c) {
            Ok(v) => Some(Some(v)),
            Err(e) => {
                let text = c.text();
                self.fail(col, e.rule, text);
                None
            }
        }
    }
    fn str(&mut self, col: usize) -> Option<&'a str> {
        let rows: &'a R = self.rows;
        let ok = !matches!(rows.cell(col, self.row), Cell::Null);
        if !ok {
            self.fail(col, "required value is missing", String::new());
            return None;
        }
        match rows.cell(col, self.row) {
            Cell::Str(s) => Some(s),
            c => {
                let t = c.text();
                self.fail(col, "expected text", t);
                None
            }
        }
    }
    fn opt_str(&mut self, col: usize) -> Option<Option<&'a str>> {
        let rows: &'a R = self.rows;
        match rows.cell(col, self.row) {
            Cell::Null => Some(None),
            Cell::Str(s) => Some(Some(s)),
            c => {
                let t = c.text();
                self.fail(col, "expected text", t);
                None
            }
        }
    }
    /// Resolves an id against a parent table.
    fn reference(&mut self, col: usize, parent: &Parent<'_>, optional: bool) -> Option<u32> {
        let s = if optional {
            match self.opt_str(col)? {
                None => return Some(NONE),
                Some(s) => s,
            }
        } else {
            self.str(col)?
        };
        if let Some(r) = self.last.find(col, s) {
            return Some(r);
        }
        match parent.index.get(parent.ids, s) {
            Some(r) => {
                self.last.set(col, s, r);
                Some(r)
            }
            None => {
                let s = s.to_string();
                self.fail(
                    col,
                    format!("unknown id: no such row in {}", parent.table.name()),
                    s,
                );
                None
            }
        }
    }
}

fn day(c: Cell<'_>) -> Result<Day, ParseError> {
    match c {
        Cell::Str(s) => Day::parse(s),
        Cell::Date(d) => Ok(Day::from_days_since_epoch(d)),
        Cell::Ts(t) => Ok(Day::from_naive(
            Timestamp::from_unix(t).to_local().date_naive(),
        )),
        other => Err(ParseError::new(
            "expected a date as YYYY-MM-DD",
            other.text(),
        )),
    }
}
fn ts(c: Cell<'_>) -> Result<Timestamp, ParseError> {
    match c {
        Cell::Str(s) => Timestamp::parse(s),
        Cell::Ts(t) => Ok(Timestamp::from_unix(t)),
        other => Err(ParseError::new(
            "expected an RFC 3339 timestamp",
            other.text(),
        )),
    }
}
fn float(c: Cell<'_>) -> Result<f64, ParseError> {
    let v = match c {
        Cell::Float(f) => f,
        Cell::Int(i) => i as f64,
        Cell::Str(s) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| ParseError::new("expected a number", s))?,
        other => return Err(ParseError::new("expected a number", other.text())),
    };
    if v.is_finite() {
        Ok(v)
    } else {
        Err(ParseError::new("expected a finite number", c.text()))
    }
}
fn int(c: Cell<'_>) -> Result<i64, ParseError> {
    match c {
        Cell::Int(i) => Ok(i),
        Cell::Str(s) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| ParseError::new("expected a whole number", s)),
        Cell::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Ok(f as i64),
        other => Err(ParseError::new("expected a whole number", other.text())),
    }
}
fn int32(c: Cell<'_>) -> Result<i32, ParseError> {
    let v = int(c)?;
    i32::try_from(v).map_err(|_| ParseError::new("number out of range", c.text()))
}
fn boolean(c: Cell<'_>) -> Result<bool, ParseError> {
    match c {
        Cell::Bool(b) => Ok(b),
        Cell::Str(s) => parse_bool(s),
        Cell::Int(0) => Ok(false),
        Cell::Int(1) => Ok(true),
        other => Err(ParseError::new("expected true or false", other.text())),
    }
}
fn kommune(c: Cell<'_>) -> Result<KommuneCode, ParseError> {
    match c {
        Cell::Str(s) => KommuneCode::parse(s.trim()),
        Cell::Int(i) => u16::try_from(i)
            .map_err(|_| ParseError::new("unknown municipality code", i.to_string()))
            .and_then(KommuneCode::new),
        other => Err(ParseError::new(
            "expected a municipality code",
            other.text(),
        )),
    }
}
fn service_code(c: Cell<'_>) -> Result<ServiceCode, ParseError> {
    match c {
        Cell::Str(s) => ServiceCode::parse(s),
        // A spreadsheet or another tool may have turned "0101" into the number 101.
        Cell::Int(i @ 0..=9999) => ServiceCode::parse(&format!("{i:04}")),
        other => Err(ParseError::new(
            "expected a four-digit service code",
            other.text(),
        )),
    }
}
fn time_of_day(c: Cell<'_>) -> Result<u16, ParseError> {
    let s = match c {
        Cell::Str(s) => s,
        other => return Err(ParseError::new("expected a time as HH:MM", other.text())),
    };
    let b = s.as_bytes();
    let bad = || ParseError::new("expected a time as HH:MM", s);
    if b.len() != 5 || b[2] != b':' || !b[..2].iter().chain(&b[3..]).all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let h = (b[0] - b'0') as u16 * 10 + (b[1] - b'0') as u16;
    let m = (b[3] - b'0') as u16 * 10 + (b[4] - b'0') as u16;
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}
fn code_text(c: Cell<'_>) -> Result<String, ParseError> {
    match c {
        Cell::Str(s) => Ok(s.trim().to_string()),
        other => Ok(other.text()),
    }
}
/// ATC codes: 1 to 7 characters in the WHO shape `A10BJ06` (letter, 2 digits, 2 letters, 2 digits).
fn atc(c: Cell<'_>) -> Result<String, ParseError> {
    let s = code_text(c)?;
    let b = s.as_bytes();
    let shape_ok = !b.is_empty()
        && b.len() <= 7
        && b.iter().enumerate().all(|(i, ch)| match i {
            0 | 3 | 4 => ch.is_ascii_uppercase(),
            _ => ch.is_ascii_digit(),
        });
    if shape_ok {
        Ok(s)
    } else {
        Err(ParseError::new(
            "expected an ATC code such as M01AE01 (letter, 2 digits, 2 letters, 2 digits)",
            s,
        ))
    }
}

struct Parent<'a> {
    table: Table,
    ids: &'a StrCol,
    index: &'a IdIndex,
}

/// Source of batches for one table file.
enum Source {
    Csv {
        reader: csv::Reader<Box<dyn Read + Send>>,
        pos: Vec<Option<usize>>,
    },
    Parquet {
        reader: parquet::arrow::arrow_reader::ParquetRecordBatchReader,
        pos: Vec<Option<usize>>,
    },
}

const BATCH: usize = 64 * 1024;

/// Finishes opening a source once the column positions are known.
type MakeSource = Box<dyn FnOnce(Vec<Option<usize>>) -> Source>;

impl Source {
    fn open(path: &Path, table: Table, warnings: &mut Vec<Warning>) -> Result<Source, DataError> {
        Source::open_groups(path, table, None, warnings)
    }

    /// Opens `path`; for Parquet, only the row groups `groups` when given.
    fn open_groups(
        path: &Path,
        table: Table,
        groups: Option<Vec<usize>>,
        warnings: &mut Vec<Warning>,
    ) -> Result<Source, DataError> {
        let fname = path.display().to_string();
        let file = std::fs::File::open(path)
            .map_err(|e| DataError::file(fname.clone(), format!("cannot open: {e}")))?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let (header, make): (Vec<String>, MakeSource) = if name.ends_with(".parquet") {
            let builder =
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                    .map_err(|e| {
                        DataError::file(fname.clone(), format!("not a readable Parquet file: {e}"))
                    })?;
            let schema = builder.schema().clone();
            for f in schema.fields() {
                if table.columns().contains(&f.name().as_str()) && !supported(f.data_type()) {
                    return Err(DataError::column(
                        fname.clone(),
                        f.name(),
                        format!("unsupported Parquet column type {}", f.data_type()),
                    ));
                }
            }
            let builder = match groups {
                Some(g) => builder.with_row_groups(g),
                None => builder,
            };
            let reader = builder.with_batch_size(BATCH).build().map_err(|e| {
                DataError::file(fname.clone(), format!("not a readable Parquet file: {e}"))
            })?;
            let header = schema.fields().iter().map(|f| f.name().clone()).collect();
            (header, Box::new(move |pos| Source::Parquet { reader, pos }))
        } else {
            let raw: Box<dyn Read + Send> = if name.ends_with(".gz") {
                Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(
                    file,
                )))
            } else {
                Box::new(file)
            };
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(true)
                .buffer_capacity(1 << 20)
                .from_reader(raw);
            let header = reader
                .headers()
                .map_err(|e| {
                    DataError::file(fname.clone(), format!("cannot read the header row: {e}"))
                })?
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let h = h.trim();
                    // A byte-order mark from spreadsheet exports sticks to the first name.
                    if i == 0 {
                        h.trim_start_matches('\u{feff}')
                    } else {
                        h
                    }
                    .to_string()
                })
                .collect();
            (header, Box::new(move |pos| Source::Csv { reader, pos }))
        };
        let mut pos = Vec::new();
        let mut missing = Vec::new();
        for c in table.columns() {
            let p = header.iter().position(|h| h == c);
            if p.is_none() && !table.optional_columns().contains(c) {
                missing.push(*c);
            }
            pos.push(p);
        }
        if !missing.is_empty() {
            return Err(DataError::file(
                fname,
                format!(
                    "missing required column(s): {} (the header has: {})",
                    missing.join(", "),
                    header.join(", ")
                ),
            ));
        }
        let extra: Vec<&str> = header
            .iter()
            .filter(|h| !table.columns().contains(&h.as_str()))
            .map(String::as_str)
            .collect();
        if !extra.is_empty() {
            warnings.push(Warning {
                file: fname,
                message: format!("unknown column(s) ignored: {}", extra.join(", ")),
            });
        }
        Ok(make(pos))
    }

    /// Calls `f` with each batch and the 1-based number of its first row, counting from
    /// `first` (1 unless the source starts inside a file).
    fn for_each_batch(
        self,
        fname: &str,
        first: u64,
        errs: &mut Errs,
        mut f: impl FnMut(&dyn RowsDyn, u64, &mut Errs),
    ) {
        let mut first = first;
        match self {
            Source::Csv { mut reader, pos } => {
                let mut done = false;
                while !done && !errs.full() {
                    let mut records = Vec::with_capacity(BATCH);
                    let mut unreadable = Vec::new();
                    while records.len() < BATCH {
                        let mut rec = csv::StringRecord::new();
                        match reader.read_record(&mut rec) {
                            Ok(true) => records.push(rec),
                            Ok(false) => {
                                done = true;
                                break;
                            }
                            Err(e) => {
                                let row = first + records.len() as u64;
                                let problem = match e.kind() {
                                    csv::ErrorKind::Utf8 { .. } => {
                                        "the row is not valid UTF-8".to_string()
                                    }
                                    csv::ErrorKind::UnequalLengths {
                                        expected_len, len, ..
                                    } => format!(
                                        "the row has {len} fields, the header has {expected_len}"
                                    ),
                                    _ => format!("cannot read the row: {e}"),
                                };
                                errs.push(DataError {
                                    file: fname.to_string(),
                                    row: Some(row),
                                    column: None,
                                    problem,
                                    value: None,
                                });
                                // Keep the row count right: an unreadable row is still a row.
                                unreadable.push(records.len());
                                records.push(csv::StringRecord::new());
                                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                                    done = true;
                                    break;
                                }
                            }
                        }
                    }
                    let n = records.len() as u64;
                    let rows = CsvRows {
                        records,
                        unreadable,
                        pos: pos.clone(),
                    };
                    f(&rows, first, errs);
                    first += n;
                }
            }
            Source::Parquet { reader, pos } => {
                for batch in reader {
                    if errs.full() {
                        break;
                    }
                    match batch {
                        Ok(batch) => {
                            let cols = pos
                                .iter()
                                .map(|p| p.map_or(Col::Missing, |i| Col::of(batch.column(i))))
                                .collect();
                            let n = batch.num_rows() as u64;
                            let rows = ArrowRows {
                                len: batch.num_rows(),
                                cols,
                            };
                            f(&rows, first, errs);
                            first += n;
                        }
                        Err(e) => {
                            errs.push(DataError::file(
                                fname.to_string(),
                                format!("cannot decode rows from {first} on: {e}"),
                            ));
                            break;
                        }
                    }
                }
            }
        }
    }
}

/// Object-safe view used by the per-table parsers.
trait RowsDyn {
    fn len(&self) -> usize;
    fn cell(&self, col: usize, row: usize) -> Cell<'_>;
    fn unreadable(&self, row: usize) -> bool;
}
impl<R: Rows> RowsDyn for R {
    fn len(&self) -> usize {
        Rows::len(self)
    }
    fn cell(&self, col: usize, row: usize) -> Cell<'_> {
        Rows::cell(self, col, row)
    }
    fn unreadable(&self, row: usize) -> bool {
        Rows::unreadable(self, row)
    }
}
impl Rows for &dyn RowsDyn {
    fn len(&self) -> usize {
        RowsDyn::len(*self)
    }
    fn cell(&self, col: usize, row: usize) -> Cell<'_> {
        RowsDyn::cell(*self, col, row)
    }
    fn unreadable(&self, row: usize) -> bool {
        RowsDyn::unreadable(*self, row)
    }
}

/// Reads one table: `parse_row` converts a row and appends it to `out`.
fn read_table<T: Default>(
    dir: &Path,
    table: Table,
    opts: &ReadOptions,
    parse_row: impl FnMut(&mut RowCtx<'_, &dyn RowsDyn>, &mut T),
) -> (T, bool, Vec<DataError>, bool, Vec<Warning>) {
    read_table_at(table_file(dir, table), dir, table, opts, parse_row)
}

fn read_table_at<T: Default>(
    path: Option<PathBuf>,
    dir: &Path,
    table: Table,
    opts: &ReadOptions,
    mut parse_row: impl FnMut(&mut RowCtx<'_, &dyn RowsDyn>, &mut T),
) -> (T, bool, Vec<DataError>, bool, Vec<Warning>) {
    let mut out = T::default();
    let mut warnings = Vec::new();
    let Some(path) = path else {
        let errors = if table.required() {
            vec![DataError::file(
                dir.join(format!("{}.csv", table.name()))
                    .display()
                    .to_string(),
                format!(
                    "required table '{}' is missing: expected {0}.csv, {0}.csv.gz or {0}.parquet",
                    table.name()
                ),
            )]
        } else {
            Vec::new()
        };
        return (out, false, errors, false, warnings);
    };
    let fname = path.display().to_string();
    let mut errs = Errs::new(fname.clone(), opts.max_errors);
    match Source::open(&path, table, &mut warnings) {
        Err(e) => errs.push(e),
        Ok(src) => read_rows(src, &fname, 1, table, &mut errs, &mut parse_row, &mut out),
    }
    (out, true, errs.list, errs.truncated, warnings)
}

fn read_rows<T>(
    src: Source,
    fname: &str,
    first: u64,
    table: Table,
    errs: &mut Errs,
    parse_row: &mut impl FnMut(&mut RowCtx<'_, &dyn RowsDyn>, &mut T),
    out: &mut T,
) {
    let mut last = LastRefs::default();
    src.for_each_batch(fname, first, errs, |rows, first, errs| {
        for row in 0..rows.len() {
            if rows.unreadable(row) {
                continue;
            }
            let mut ctx = RowCtx {
                rows: &rows,
                row,
                line: first + row as u64,
                table,
                errs,
                last: &mut last,
                ok: true,
            };
            parse_row(&mut ctx, out);
            if errs.full() {
                return;
            }
        }
    });
}

/// A table that can be read in pieces and put back together in row order.
trait Append: Default + Send {
    /// Appends `other`'s rows; fails only when a text column would pass 4 GiB.
    fn append(&mut self, other: Self) -> Result<(), ColumnFull>;
    /// Makes room for `rows` rows in all, shaped like `sample` (text bytes per row).
    fn reserve_like(&mut self, rows: usize, sample: &Self);
}

impl Append for Claims {
    fn append(&mut self, o: Claims) -> Result<(), ColumnFull> {
        self.claim_id.append(&o.claim_id)?;
        self.card_id.append(&o.card_id)?;
        self.patient.extend(o.patient);
        self.clinic.extend(o.clinic);
        self.doctor.extend(o.doctor);
        self.service.extend(o.service);
        self.quantity.extend(o.quantity);
        self.service_date.extend(o.service_date);
        self.service_time.extend(o.service_time);
        self.submitted.extend(o.submitted);
        self.fee_dkk.extend(o.fee_dkk);
        Ok(())
    }
    fn reserve_like(&mut self, rows: usize, sample: &Claims) {
        let more = rows.saturating_sub(self.patient.len());
        self.claim_id.reserve_like(more, &sample.claim_id);
        self.card_id.reserve_like(more, &sample.card_id);
        self.patient.reserve(more);
        self.clinic.reserve(more);
        self.doctor.reserve(more);
        self.service.reserve(more);
        self.quantity.reserve(more);
        self.service_date.reserve(more);
        self.service_time.reserve(more);
        self.submitted.reserve(more);
        self.fee_dkk.reserve(more);
    }
}

/// Reads a table like [`read_table`], but a Parquet file of several row groups is decoded
/// and converted on every core, a few row groups at a time (so that at most one wave of
/// pieces is held beside the table), and put back together in file order. Row numbers and
/// errors are exactly those of a sequential read.
fn read_table_parallel<T: Append>(
    dir: &Path,
    table: Table,
    opts: &ReadOptions,
    parse_row: impl Fn(&mut RowCtx<'_, &dyn RowsDyn>, &mut T) + Sync,
) -> TableRead<T> {
    let path = table_file(dir, table);
    let groups = path
        .as_deref()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .and_then(|p| std::fs::File::open(p).ok())
        .and_then(|f| {
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f).ok()
        })
        .map(|b| {
            b.metadata()
                .row_groups()
                .iter()
                .map(|g| g.num_rows().max(0) as u64)
                .collect::<Vec<u64>>()
        })
        .unwrap_or_default();
    let (Some(path), true) = (path.clone(), groups.len() > 1) else {
        return read_table_at(path, dir, table, opts, parse_row);
    };
    let fname = path.display().to_string();
    let mut warnings = Vec::new();
    let mut errs = Errs::new(fname.clone(), opts.max_errors);
    // Opening once checks the columns and gives the warnings, exactly once.
    if let Err(e) = Source::open(&path, table, &mut warnings) {
        errs.push(e);
        return (T::default(), true, errs.list, errs.truncated, warnings);
    }
    let mut starts = Vec::with_capacity(groups.len());
    let mut next = 1u64;
    for n in &groups {
        starts.push(next);
        next += n;
    }
    let total_rows = (next - 1) as usize;
    let mut out = T::default();
    let mut reserved = false;
    let wave = rayon::current_num_threads().max(1) * 2;
    let mut g = 0;
    while g < groups.len() && !errs.full() {
        let end = (g + wave).min(groups.len());
        let pieces: Vec<(T, Errs)> = (g..end)
            .into_par_iter()
            .map(|i| {
                let mut piece = T::default();
                let mut e = Errs::new(fname.clone(), opts.max_errors);
                let mut ignored = Vec::new();
                match Source::open_groups(&path, table, Some(vec![i]), &mut ignored) {
                    Err(err) => e.push(err),
                    Ok(src) => read_rows(
                        src,
                        &fname,
                        starts[i],
                        table,
                        &mut e,
                        &mut |r: &mut RowCtx<'_, &dyn RowsDyn>, t: &mut T| parse_row(r, t),
                        &mut piece,
                    ),
                }
                (piece, e)
            })
            .collect();
        for (piece, e) in pieces {
            if !reserved && errs.list.is_empty() {
                // Reserving once spares copying the table each time a column doubles.
                out.reserve_like(total_rows, &piece);
                reserved = true;
            }
            for err in e.list {
                errs.push(err);
            }
            errs.truncated |= e.truncated;
            if errs.list.is_empty() && out.append(piece).is_err() {
                errs.push(DataError::file(
                    fname.clone(),
                    "the table holds more than 4 GiB of text in one column",
                ));
            }
        }
        g = end;
    }
    (out, true, errs.list, errs.truncated, warnings)
}

/// A row is appended only when every cell converted, so columns stay aligned; the
/// macro keeps each parser a flat list of cells.
macro_rules! all_some {
    ($($x:expr),+ $(,)?) => { (|| Some(($($x?,)+)))() };
}

type TableRead<T> = (T, bool, Vec<DataError>, bool, Vec<Warning>);

fn read_clinics(dir: &Path, o: &ReadOptions) -> TableRead<Clinics> {
    read_table(dir, Table::Clinics, o, |r, c: &mut Clinics| {
        let id = r.str(0).map(str::to_string);
        let name = r.str(1).map(str::to_string);
        let k = r.get(2, kommune);
        let ty = r.get(3, |c| match c {
            Cell::Str(s) => ClinicType::parse(s),
            o => Err(ParseError::new("expected plo, region or udbud", o.text())),
        });
        let owner = r.opt_str(4).map(|o| o.map(str::to_string));
        let cap = r.get(5, float);
        if let Some(v) = cap
            && v < 0.0
        {
            r.fail(5, "capacities cannot be negative", v.to_string());
        }
        let open = r.get(6, boolean);
        let lat = r.opt(7, float);
        if let Some(Some(v)) = lat
            && !(-90.0..=90.0).contains(&v)
        {
            r.fail(7, "latitude must be between -90 and 90", v.to_string());
        }
        let lon = r.opt(8, float);
        if let Some(Some(v)) = lon
            && !(-180.0..=180.0).contains(&v)
        {
            r.fail(8, "longitude must be between -180 and 180", v.to_string());
        }
        if !r.ok {
            return;
        }
        if let Some((id, name, k, ty, owner, cap, open, lat, lon)) =
            all_some!(id, name, k, ty, owner, cap, open, lat, lon)
        {
            let pushed = c.id.push(&id).and_then(|_| c.name.push(&name));
            if pushed.is_err() {
                r.fail(0, "the table holds more than 4 GiB of text", String::new());
                return;
            }
            c.kommune.push(k);
            c.clinic_type.push(ty);
            c.owner.push(owner.map_or(NONE, |o| c.owners.intern(&o)));
            c.capacities.push(cap);
            c.open_for_new.push(open);
            c.lat.push(lat);
            c.lon.push(lon);
        }
    })
}

fn read_doctors(dir: &Path, o: &ReadOptions, clinics: &Parent<'_>) -> TableRead<Doctors> {
    read_table(dir, Table::Doctors, o, |r, d: &mut Doctors| {
        let id = r.str(0).map(str::to_string);
        let clinic = r.reference(1, clinics, false);
        let role = r.get(2, |c| match c {
            Cell::Str(s) => DoctorRole::parse(s),
            o => Err(ParseError::new("expected a role", o.text())),
        });
        let fte = r.get(3, float);
        if let Some(v) = fte
            && !(0.0..=2.0).contains(&v)
        {
            r.fail(3, "fte must be between 0 and 2", v.to_string());
        }
        let by = r.opt(4, int32);
        if let Some(Some(y)) = by
            && !(1900..=2100).contains(&y)
        {
            r.fail(4, "birth_year must be between 1900 and 2100", y.to_string());
        }
        let district = r.opt_str(5).map(|o| o.map(str::to_string));
        if !r.ok {
            return;
        }
        if let Some((id, clinic, role, fte, by, district)) =
            all_some!(id, clinic, role, fte, by, district)
        {
            if d.id.push(&id).is_err() {
                r.fail(0, "the table holds more than 4 GiB of text", String::new());
                return;
            }
            d.clinic.push(clinic);
            d.role.push(role);
            d.fte.push(fte);
            d.birth_year.push(by);
            d.district
                .push(district.map_or(NONE, |s| d.districts.intern(&s)));
        }
    })
}

fn read_patients(dir: &Path, o: &ReadOptions, clinics: &Parent<'_>) -> TableRead<Patients> {
    read_table(dir, Table::Patients, o, |r, p: &mut Patients| {
        let id = r.str(0).map(str::to_string);
        let birth = r.get(1, day);
        let sex = r.get(2, |c| match c {
            Cell::Str(s) => Sex::parse(s),
            o => Err(ParseError::new("expected F or M", o.text())),
        });
        let k = r.get(3, kommune);
        let clinic = r.reference(4, clinics, true);
        let since = r.opt(5, day);
        let group = r.opt(6, |c| match int(c) {
            Ok(g @ 1..=2) => Ok(g as u8),
            _ => Err(ParseError::new("expected sikringsgruppe 1 or 2", c.text())),
        });
        let deceased = r.opt(7, day);
        if let (Some(b), Some(Some(d))) = (birth, deceased)
            && d < b
        {
            r.fail(7, "deceased_date is before birth_date", d.to_string());
        }
        if let (Some(b), Some(Some(s))) = (birth, since)
            && s < b
        {
            r.fail(5, "listed_since is before birth_date", s.to_string());
        }
        if !r.ok {
            return;
        }
        if let Some((id, birth, sex, k, clinic, since, group, deceased)) =
            all_some!(id, birth, sex, k, clinic, since, group, deceased)
        {
            if p.id.push(&id).is_err() {
                r.fail(0, "the table holds more than 4 GiB of text", String::new());
                return;
            }
            p.birth_date.push(birth);
            p.sex.push(sex);
            p.kommune.push(k);
            p.clinic.push(clinic);
            p.listed_since.push(since);
            p.group.push(group.unwrap_or(1));
            p.deceased.push(deceased);
        }
    })
}

fn read_diagnoses(dir: &Path, o: &ReadOptions, patients: &Parent<'_>) -> TableRead<Diagnoses> {
    read_table(dir, Table::Diagnoses, o, |r, d: &mut Diagnoses| {
        let patient = r.reference(0, patients, false);
        let system = r.get(1, |c| match c {
            Cell::Str(s) => DiagnosisSystem::parse(s),
            o => Err(ParseError::new("expected ICPC2 or ICD10", o.text())),
        });
        let code = r.get(2, code_text);
        let date = r.get(3, day);
        let end = r.opt(4, day);
        if let (Some(a), Some(Some(b))) = (date, end)
            && b < a
        {
            r.fail(4, "end_date is before date", b.to_string());
        }
        if !r.ok {
            return;
        }
        if let Some((patient, system, code, date, end)) =
            all_some!(patient, system, code, date, end)
        {
            d.patient.push(patient);
            d.system.push(system);
            d.code.push(d.codes.intern(&code));
            d.date.push(date);
            d.end_date.push(end);
        }
    })
}

fn read_prescriptions(
    dir: &Path,
    o: &ReadOptions,
    patients: &Parent<'_>,
) -> TableRead<Prescriptions> {
    read_table(dir, Table::Prescriptions, o, |r, p: &mut Prescriptions| {
        let patient = r.reference(0, patients, false);
        let code = r.get(1, atc);
        let start = r.get(2, day);
        let end = r.opt(3, day);
        if let (Some(a), Some(Some(b))) = (start, end)
            && b < a
        {
            r.fail(3, "end_date is before start_date", b.to_string());
        }
        let sub = r.opt(4, boolean);
        if !r.ok {
            return;
        }
        if let Some((patient, code, start, end, sub)) = all_some!(patient, code, start, end, sub) {
            p.patient.push(patient);
            p.atc.push(p.atcs.intern(&code));
            p.start.push(start);
            p.end.push(end);
            p.subsidised.push(sub);
        }
    })
}

fn read_observations(
    dir: &Path,
    o: &ReadOptions,
    patients: &Parent<'_>,
) -> TableRead<Observations> {
    read_table(dir, Table::Observations, o, |r, ob: &mut Observations| {
        let patient = r.reference(0, patients, false);
        let code = r.get(1, code_text);
        let value = r.get(2, float);
        let unit = r.opt_str(3).map(|o| o.map(str::to_string));
        let date = r.get(4, day);
        if !r.ok {
            return;
        }
        if let Some((patient, code, value, unit, date)) =
            all_some!(patient, code, value, unit, date)
        {
            ob.patient.push(patient);
            ob.code.push(ob.codes.intern(&code));
            ob.value.push(value);
            ob.unit.push(unit.map_or(NONE, |u| ob.units.intern(&u)));
            ob.date.push(date);
        }
    })
}

fn read_claims(
    dir: &Path,
    o: &ReadOptions,
    patients: &Parent<'_>,
    clinics: &Parent<'_>,
    doctors: &Parent<'_>,
) -> TableRead<Claims> {
    read_table_parallel(dir, Table::Claims, o, |r, c: &mut Claims| {
        let claim_id = r.str(0);
        let card_id = r.str(1);
        let patient = r.reference(2, patients, false);
        let clinic = r.reference(3, clinics, false);
        let doctor = r.reference(4, doctors, true);
        let service = r.get(5, service_code);
        let qty = r.get(6, int32);
        let date = r.get(7, day);
        let time = r.opt(8, time_of_day);
        let submitted = r.get(9, day);
        let fee = r.opt(10, float);
        if !r.ok {
            return;
        }
        if let Some((
            claim_id,
            card_id,
            patient,
            clinic,
            doctor,
            service,
            qty,
            date,
            time,
            submitted,
            fee,
        )) = all_some!(
            claim_id, card_id, patient, clinic, doctor, service, qty, date, time, submitted, fee
        ) {
            if c.claim_id
                .push(claim_id)
                .and_then(|_| c.card_id.push(card_id))
                .is_err()
            {
                r.fail(0, "the table holds more than 4 GiB of text", String::new());
                return;
            }
            c.patient.push(patient);
            c.clinic.push(clinic);
            c.doctor.push(doctor);
            c.service.push(service);
            c.quantity.push(qty);
            c.service_date.push(date);
            c.service_time.push(time);
            c.submitted.push(submitted);
            c.fee_dkk.push(fee);
        }
    })
}

fn read_calls(dir: &Path, o: &ReadOptions, patients: &Parent<'_>) -> TableRead<Calls> {
    read_calls_at(table_file(dir, Table::Calls), dir, o, Some(patients))
}

/// `patients` is `None` for a calls file read on its own: patient ids are then not checked
/// and not kept.
fn read_calls_at(
    path: Option<PathBuf>,
    dir: &Path,
    o: &ReadOptions,
    patients: Option<&Parent<'_>>,
) -> TableRead<Calls> {
    read_table_at(path, dir, Table::Calls, o, |r, c: &mut Calls| {
        let call_id = r.str(0).map(str::to_string);
        let received = r.get(1, ts);
        let answered = r.opt(2, ts);
        let ended = r.opt(3, ts);
        let priority = r.get(4, |c| match c {
            Cell::Str(s) => Priority::parse(s),
            o => Err(ParseError::new("expected normal or urgent", o.text())),
        });
        let district = r.opt_str(5).map(|o| o.map(str::to_string));
        let outcome = r.get(6, |c| match c {
            Cell::Str(s) => Outcome::parse(s),
            o => Err(ParseError::new("expected an outcome", o.text())),
        });
        let booked = r.opt(7, ts);
        let finished = r.opt(8, ts);
        let visit = r.opt(9, ts);
        let patient = match patients {
            Some(p) => r.reference(10, p, true),
            None => r.opt_str(10).map(|_| NONE),
        };
        if let (Some(rc), Some(Some(a))) = (received, answered)
            && a < rc
        {
            r.fail(2, "answered_at is before received_at", a.to_string());
        }
        if let (Some(Some(a)), Some(Some(e))) = (answered, ended)
            && e < a
        {
            r.fail(3, "ended_at is before answered_at", e.to_string());
        }
        if let (Some(oc), Some(a)) = (outcome, answered) {
            if oc == Outcome::Abandoned && a.is_some() {
                r.fail(2, "an abandoned call has no answered_at", r.cell(2).text());
            }
            if oc != Outcome::Abandoned && a.is_none() {
                r.fail(
                    6,
                    "a call without answered_at must have the outcome abandoned",
                    oc.to_string(),
                );
            }
        }
        if !r.ok {
            return;
        }
        if let Some((
            call_id,
            received,
            answered,
            ended,
            priority,
            district,
            outcome,
            booked,
            finished,
            visit,
            patient,
        )) = all_some!(
            call_id, received, answered, ended, priority, district, outcome, booked, finished,
            visit, patient
        ) {
            if c.call_id.push(&call_id).is_err() {
                r.fail(0, "the table holds more than 4 GiB of text", String::new());
                return;
            }
            c.received_at.push(received);
            c.answered_at.push(answered);
            c.ended_at.push(ended);
            c.priority.push(priority);
            c.district
                .push(district.map_or(NONE, |d| c.districts.intern(&d)));
            c.outcome.push(outcome);
            c.booked_for.push(booked);
            c.finished_at.push(finished);
            c.visit_started_at.push(visit);
            c.patient.push(patient);
        }
    })
}

/// Duplicate line ids in a table whose ids nothing references (claims, calls). Reports the
/// first row, in file order, whose id an earlier row has, as a sequential scan would. The
/// table is large (tens of millions of claim lines) and no index of it is kept, so the ids
/// are hashed and sorted on every core instead of inserted one by one into a hash map.
fn check_unique(table: Table, file: &str, col: &StrCol, errors: &mut Vec<DataError>) {
    let mut keyed: Vec<(u64, u32)> = (0..col.len())
        .into_par_iter()
        .map(|i| (hash_id(col.get(i)), i as u32))
        .collect();
    keyed.par_sort_unstable();
    // (row of the repeat, row first seen), the earliest repeat over all ids.
    let mut earliest: Option<(u32, u32)> = None;
    let mut seen: FxHashMap<&str, u32> = FxHashMap::default();
    for group in keyed.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
        // Rows ascend within a group; different ids that share a hash are told apart here.
        seen.clear();
        for &(_, row) in group {
            let id = col.get(row as usize);
            if let Some(&first) = seen.get(id) {
                if earliest.is_none_or(|(r, _)| row < r) {
                    earliest = Some((row, first));
                }
                break;
            }
            seen.insert(id, row);
        }
    }
    if let Some((row, first)) = earliest {
        errors.push(DataError::at(
            file,
            row as u64 + 1,
            table.columns()[0],
            format!("duplicate id, first seen on row {}", first + 1),
            col.get(row as usize),
        ));
    }
}

/// Reads the dataset in `dir`. Either every table is read and valid, or the errors found
/// (at most `opts.max_errors`, in table and row order) are returned and nothing else.
pub fn read_dataset(dir: &Path, opts: &ReadOptions) -> Result<(Dataset, Vec<Warning>), DataErrors> {
    if !dir.is_dir() {
        return Err(DataErrors::new(vec![DataError::file(
            dir.display().to_string(),
            if dir.exists() {
                "not a folder: a dataset is a folder with one file per table"
            } else {
                "no such folder"
            },
        )]));
    }
    let mut errors: Vec<DataError> = Vec::new();
    let mut warnings = Vec::new();
    let mut truncated = false;
    let mut take = |o: (bool, Vec<DataError>, bool, Vec<Warning>), errors: &mut Vec<DataError>| {
        errors.extend(o.1);
        truncated |= o.2;
        warnings.extend(o.3);
        o.0
    };

    let (clinics, p, e, t, w) = read_clinics(dir, opts);
    take((p, e, t, w), &mut errors);
    let clinic_by_id = build_id_index(Table::Clinics, &clinics.id, &mut errors);
    let clinic_parent = Parent {
        table: Table::Clinics,
        ids: &clinics.id,
        index: &clinic_by_id,
    };
    let ((doctors, p1, e1, t1, w1), (patients, p2, e2, t2, w2)) = rayon::join(
        || read_doctors(dir, opts, &clinic_parent),
        || read_patients(dir, opts, &clinic_parent),
    );
    take((p1, e1, t1, w1), &mut errors);
    take((p2, e2, t2, w2), &mut errors);
    let doctor_by_id = build_id_index(Table::Doctors, &doctors.id, &mut errors);
    let patient_by_id = build_id_index(Table::Patients, &patients.id, &mut errors);
    if !errors.is_empty() {
        // Child tables would only repeat "unknown id" for every row of a broken parent.
        errors.truncate(opts.max_errors);
        return Err(DataErrors { errors, truncated });
    }
    let pp = Parent {
        table: Table::Patients,
        ids: &patients.id,
        index: &patient_by_id,
    };
    let dp = Parent {
        table: Table::Doctors,
        ids: &doctors.id,
        index: &doctor_by_id,
    };
    let cp = &clinic_parent;
    // The claims table dwarfs the others: it gets one core, the rest share the other.
    let (claims, (calls, ((diagnoses, prescriptions), observations))) = rayon::join(
        || read_claims(dir, opts, &pp, cp, &dp),
        || {
            rayon::join(
                || read_calls(dir, opts, &pp),
                || {
                    rayon::join(
                        || {
                            rayon::join(
                                || read_diagnoses(dir, opts, &pp),
                                || read_prescriptions(dir, opts, &pp),
                            )
                        },
                        || read_observations(dir, opts, &pp),
                    )
                },
            )
        },
    );
    let mut present = Present::default();
    let (diagnoses, p, e, t, w) = diagnoses;
    present.diagnoses = take((p, e, t, w), &mut errors);
    let (prescriptions, p, e, t, w) = prescriptions;
    present.prescriptions = take((p, e, t, w), &mut errors);
    let (observations, p, e, t, w) = observations;
    present.observations = take((p, e, t, w), &mut errors);
    let (claims, p, e, t, w) = claims;
    present.claims = take((p, e, t, w), &mut errors);
    let (calls, p, e, t, w) = calls;
    present.calls = take((p, e, t, w), &mut errors);
    if errors.is_empty() {
        let (a, b) = rayon::join(
            || {
                let mut e = Vec::new();
                if let Some(f) = table_file(dir, Table::Claims) {
                    check_unique(
                        Table::Claims,
                        &f.display().to_string(),
                        &claims.claim_id,
                        &mut e,
                    );
                }
                e
            },
            || {
                let mut e = Vec::new();
                if let Some(f) = table_file(dir, Table::Calls) {
                    check_unique(
                        Table::Calls,
                        &f.display().to_string(),
                        &calls.call_id,
                        &mut e,
                    );
                }
                e
            },
        );
        errors.extend(a);
        errors.extend(b);
    }
    if !errors.is_empty() {
        truncated |= errors.len() > opts.max_errors;
        errors.truncate(opts.max_errors);
        return Err(DataErrors { errors, truncated });
    }
    let tables = Tables {
        clinics,
        doctors,
        patients,
        diagnoses,
        prescriptions,
        observations,
        claims,
        calls,
        present,
    };
    Ok((
        Dataset::assemble(tables, clinic_by_id, doctor_by_id, patient_by_id),
        warnings,
    ))
}

/// Reads an out-of-hours call log on its own: a `calls` file in the extract format (CSV,
/// gzipped CSV or Parquet, any file name), or a dataset folder's calls table. Patient ids
/// are not resolved (there is no patients table to resolve them against).
pub fn read_calls_file(
    path: &Path,
    opts: &ReadOptions,
) -> Result<(Calls, Vec<Warning>), DataErrors> {
    let (file, dir) = if path.is_dir() {
        (table_file(path, Table::Calls), path.to_path_buf())
    } else if path.is_file() {
        (
            Some(path.to_path_buf()),
            path.parent().unwrap_or(Path::new(".")).to_path_buf(),
        )
    } else {
        return Err(DataErrors::new(vec![DataError::file(
            path.display().to_string(),
            "no such file or folder",
        )]));
    };
    let Some(file) = file else {
        return Err(DataErrors::new(vec![DataError::file(
            path.display().to_string(),
            "the folder has no calls table (calls.csv, calls.csv.gz or calls.parquet)",
        )]));
    };
    let (calls, _, mut errors, truncated, warnings) =
        read_calls_at(Some(file.clone()), &dir, opts, None);
    if errors.is_empty() {
        check_unique(
            Table::Calls,
            &file.display().to_string(),
            &calls.call_id,
            &mut errors,
        );
    }
    if errors.is_empty() {
        Ok((calls, warnings))
    } else {
        Err(DataErrors { errors, truncated })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(ids: &[&str]) -> StrCol {
        let mut c = StrCol::default();
        for id in ids {
            c.push(id).unwrap();
        }
        c
    }

    #[test]
    fn the_earliest_repeat_in_file_order_is_reported() {
        let mut errors = Vec::new();
        check_unique(
            Table::Claims,
            "claims.csv",
            &col(&["a", "b", "c", "d", "b", "a", "c"]),
            &mut errors,
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].to_string(),
            "claims.csv:5: claim_id: duplicate id, first seen on row 2 (b)"
        );
        let mut errors = Vec::new();
        check_unique(
            Table::Calls,
            "calls.csv",
            &col(&["x", "y", "z"]),
            &mut errors,
        );
        assert!(errors.is_empty());
    }
}
