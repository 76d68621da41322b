//! Writing tables as CSV, gzipped CSV or Parquet.
//!
//! Each table is first turned into an Arrow record batch with the schema below; Parquet writes
//! the batch, CSV formats its cells. One schema therefore fixes both formats, and the reader
//! accepts exactly what the writer produces (plus the looser text forms of other tools).

use crate::columns::{Dict, StrCol};
use crate::model::*;
use almen_core::{Day, Timestamp};
use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float64Builder, Int32Builder, StringBuilder,
    TimestampSecondBuilder,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// File format of a dataset written by Almen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    CsvGz,
    Parquet,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::CsvGz => "csv.gz",
            Format::Parquet => "parquet",
        }
    }
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "csv.gz" | "csvgz" | "gz" => Some(Format::CsvGz),
            "parquet" => Some(Format::Parquet),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parquet {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error("{path}: {source}")]
    Arrow {
        path: PathBuf,
        source: arrow_schema::ArrowError,
    },
}

/// The Arrow schema of a table, as Almen writes it to Parquet.
pub fn schema(table: Table) -> SchemaRef {
    use DataType::*;
    let s = |n: &str| Field::new(n, Utf8, false);
    let so = |n: &str| Field::new(n, Utf8, true);
    let d = |n: &str| Field::new(n, Date32, false);
    let dop = |n: &str| Field::new(n, Date32, true);
    let f = |n: &str| Field::new(n, Float64, false);
    let fo = |n: &str| Field::new(n, Float64, true);
    let i = |n: &str| Field::new(n, Int32, false);
    let io = |n: &str| Field::new(n, Int32, true);
    let ts =
        |n: &str, null: bool| Field::new(n, Timestamp(TimeUnit::Second, Some("UTC".into())), null);
    let fields = match table {
        Table::Clinics => vec![
            s("clinic_id"),
            s("name"),
            i("kommune_code"),
            s("clinic_type"),
            so("owner_id"),
            f("capacities"),
            Field::new("open_for_new", Boolean, false),
            fo("lat"),
            fo("lon"),
        ],
        Table::Doctors => vec![
            s("doctor_id"),
            s("clinic_id"),
            s("role"),
            f("fte"),
            io("birth_year"),
            so("district"),
        ],
        Table::Patients => vec![
            s("patient_id"),
            d("birth_date"),
            s("sex"),
            i("kommune_code"),
            so("clinic_id"),
            dop("listed_since"),
            i("group"),
            dop("deceased_date"),
        ],
        Table::Diagnoses => vec![
            s("patient_id"),
            s("system"),
            s("code"),
            d("date"),
            dop("end_date"),
        ],
        Table::Prescriptions => vec![
            s("patient_id"),
            s("atc"),
            d("start_date"),
            dop("end_date"),
            Field::new("subsidised", Boolean, true),
        ],
        Table::Observations => vec![
            s("patient_id"),
            s("code"),
            f("value"),
            so("unit"),
            d("date"),
        ],
        Table::Claims => vec![
            s("claim_id"),
            s("card_id"),
            s("patient_id"),
            s("clinic_id"),
            so("doctor_id"),
            s("service_code"),
            i("quantity"),
            d("service_date"),
            so("service_time"),
            d("submitted_date"),
            fo("fee_dkk"),
        ],
        Table::Calls => vec![
            s("call_id"),
            ts("received_at", false),
            ts("answered_at", true),
            ts("ended_at", true),
            s("priority"),
            so("district"),
            s("outcome"),
            ts("booked_for", true),
            ts("finished_at", true),
            ts("visit_started_at", true),
            so("patient_id"),
        ],
    };
    Arc::new(Schema::new(fields))
}

fn strs<'a>(n: usize, get: impl Fn(usize) -> &'a str) -> ArrayRef {
    let mut b = StringBuilder::with_capacity(n, n * 8);
    for i in 0..n {
        b.append_value(get(i));
    }
    Arc::new(b.finish())
}
fn ref_strs(refs: &[u32], col: &StrCol) -> ArrayRef {
    let mut b = StringBuilder::with_capacity(refs.len(), refs.len() * 8);
    for &r in refs {
        if r == NONE {
            b.append_null();
        } else {
            b.append_value(col.get(r as usize));
        }
    }
    Arc::new(b.finish())
}
fn dict_strs(refs: &[u32], dict: &Dict) -> ArrayRef {
    let mut b = StringBuilder::with_capacity(refs.len(), refs.len() * 6);
    for &r in refs {
        if r == NONE {
            b.append_null();
        } else {
            b.append_value(dict.get(r));
        }
    }
    Arc::new(b.finish())
}
fn days(v: &[Day]) -> ArrayRef {
    let mut b = Date32Builder::with_capacity(v.len());
    for d in v {
        b.append_value(d.days_since_epoch());
    }
    Arc::new(b.finish())
}
fn opt_days(v: &[Option<Day>]) -> ArrayRef {
    let mut b = Date32Builder::with_capacity(v.len());
    for d in v {
        b.append_option(d.map(Day::days_since_epoch));
    }
    Arc::new(b.finish())
}
fn floats(v: &[f64]) -> ArrayRef {
    let mut b = Float64Builder::with_capacity(v.len());
    b.append_slice(v);
    Arc::new(b.finish())
}
fn opt_floats(v: &[Option<f64>]) -> ArrayRef {
    let mut b = Float64Builder::with_capacity(v.len());
    for x in v {
        b.append_option(*x);
    }
    Arc::new(b.finish())
}
fn ints(v: impl ExactSizeIterator<Item = i32>) -> ArrayRef {
    let mut b = Int32Builder::with_capacity(v.len());
    for x in v {
        b.append_value(x);
    }
    Arc::new(b.finish())
}
fn opt_ints(v: &[Option<i32>]) -> ArrayRef {
    let mut b = Int32Builder::with_capacity(v.len());
    for x in v {
        b.append_option(*x);
    }
    Arc::new(b.finish())
}
fn tss(v: impl ExactSizeIterator<Item = Option<Timestamp>>) -> ArrayRef {
    let mut b = TimestampSecondBuilder::with_capacity(v.len());
    for x in v {
        b.append_option(x.map(Timestamp::unix));
    }
    Arc::new(b.finish().with_timezone("UTC"))
}

pub(crate) fn clinics_batch(c: &Clinics) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let n = c.len();
    let mut open = BooleanBuilder::with_capacity(n);
    open.append_slice(&c.open_for_new);
    RecordBatch::try_new(
        schema(Table::Clinics),
        vec![
            strs(n, |i| c.id.get(i)),
            strs(n, |i| c.name.get(i)),
            ints(c.kommune.iter().map(|k| k.get() as i32)),
            strs(n, |i| c.clinic_type[i].as_str()),
            dict_strs(&c.owner, &c.owners),
            floats(&c.capacities),
            Arc::new(open.finish()),
            opt_floats(&c.lat),
            opt_floats(&c.lon),
        ],
    )
}

pub(crate) fn doctors_batch(
    d: &Doctors,
    clinics: &Clinics,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let n = d.len();
    RecordBatch::try_new(
        schema(Table::Doctors),
        vec![
            strs(n, |i| d.id.get(i)),
            ref_strs(&d.clinic, &clinics.id),
            strs(n, |i| d.role[i].as_str()),
            floats(&d.fte),
            opt_ints(&d.birth_year),
            dict_strs(&d.district, &d.districts),
        ],
    )
}

pub(crate) fn patients_batch(
    p: &Patients,
    clinics: &Clinics,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let n = p.len();
    RecordBatch::try_new(
        schema(Table::Patients),
        vec![
            strs(n, |i| p.id.get(i)),
            days(&p.birth_date),
            strs(n, |i| p.sex[i].as_str()),
            ints(p.kommune.iter().map(|k| k.get() as i32)),
            ref_strs(&p.clinic, &clinics.id),
            opt_days(&p.listed_since),
            ints(p.group.iter().map(|g| *g as i32)),
            opt_days(&p.deceased),
        ],
    )
}

pub(crate) fn diagnoses_batch(
    d: &Diagnoses,
    patients: &Patients,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let n = d.len();
    RecordBatch::try_new(
        schema(Table::Diagnoses),
        vec![
            ref_strs(&d.patient, &patients.id),
            strs(n, |i| d.system[i].as_str()),
            dict_strs(&d.code, &d.codes),
            days(&d.date),
            opt_days(&d.end_date),
        ],
    )
}

pub(crate) fn prescriptions_batch(
    p: &Prescriptions,
    patients: &Patients,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let mut sub = BooleanBuilder::with_capacity(p.len());
    for s in &p.subsidised {
        sub.append_option(*s);
    }
    RecordBatch::try_new(
        schema(Table::Prescriptions),
        vec![
            ref_strs(&p.patient, &patients.id),
            dict_strs(&p.atc, &p.atcs),
            days(&p.start),
            opt_days(&p.end),
            Arc::new(sub.finish()),
        ],
    )
}

pub(crate) fn observations_batch(
    o: &Observations,
    patients: &Patients,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    RecordBatch::try_new(
        schema(Table::Observations),
        vec![
            ref_strs(&o.patient, &patients.id),
            dict_strs(&o.code, &o.codes),
            floats(&o.value),
            dict_strs(&o.unit, &o.units),
            days(&o.date),
        ],
    )
}

/// `HH:MM` for minutes after midnight.
pub fn format_time(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

pub(crate) fn claims_batch(
    c: &Claims,
    patients: &Patients,
    clinics: &Clinics,
    doctors: &Doctors,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let n = c.len();
    let mut times = StringBuilder::with_capacity(n, n * 5);
    for t in &c.service_time {
        match t {
            Some(m) => times.append_value(format_time(*m)),
            None => times.append_null(),
        }
    }
    RecordBatch::try_new(
        schema(Table::Claims),
        vec![
            strs(n, |i| c.claim_id.get(i)),
            strs(n, |i| c.card_id.get(i)),
            ref_strs(&c.patient, &patients.id),
            ref_strs(&c.clinic, &clinics.id),
            ref_strs(&c.doctor, &doctors.id),
            strs(n, |i| c.service[i].as_str()),
            ints(c.quantity.iter().copied()),
            days(&c.service_date),
            Arc::new(times.finish()),
            days(&c.submitted),
            opt_floats(&c.fee_dkk),
        ],
    )
}

pub(crate) fn calls_batch(
    c: &Calls,
    patients: &Patients,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let n = c.len();
    RecordBatch::try_new(
        schema(Table::Calls),
        vec![
            strs(n, |i| c.call_id.get(i)),
            tss(c.received_at.iter().map(|t| Some(*t))),
            tss(c.answered_at.iter().copied()),
            tss(c.ended_at.iter().copied()),
            strs(n, |i| c.priority[i].as_str()),
            dict_strs(&c.district, &c.districts),
            strs(n, |i| c.outcome[i].as_str()),
            tss(c.booked_for.iter().copied()),
            tss(c.finished_at.iter().copied()),
            tss(c.visit_started_at.iter().copied()),
            ref_strs(&c.patient, &patients.id),
        ],
    )
}

enum Sink {
    Csv(Box<csv::Writer<Box<dyn Write + Send>>>),
    Parquet(Box<ArrowWriter<File>>),
}

/// Writes a dataset folder table by table. Each `write_*` call appends a batch of rows;
/// references are resolved to ids through the parent tables passed alongside, so a generator
/// can write patients chunk by chunk with chunk-local patient rows.
pub struct DatasetWriter {
    dir: PathBuf,
    format: Format,
    sinks: Vec<(Table, PathBuf, Sink)>,
    row_group_rows: usize,
}

/// Rows per Parquet row group: large enough to compress well, small enough that a reader
/// can decode the row groups of a large table on every core.
pub const ROW_GROUP_ROWS: usize = 1 << 20;

impl DatasetWriter {
    /// Creates `dir` if needed. Existing table files of either format are removed first, so a
    /// folder never holds a stale table that would shadow the new one.
    pub fn create(dir: &Path, format: Format) -> Result<DatasetWriter, WriteError> {
        let io = |source| WriteError::Io {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        for t in Table::ALL {
            for ext in ["csv", "csv.gz", "parquet"] {
                let p = dir.join(format!("{}.{ext}", t.name()));
                if p.exists() {
                    std::fs::remove_file(&p)
                        .map_err(|source| WriteError::Io { path: p, source })?;
                }
            }
        }
        Ok(DatasetWriter {
            dir: dir.to_path_buf(),
            format,
            sinks: Vec::new(),
            row_group_rows: ROW_GROUP_ROWS,
        })
    }

    /// Rows per Parquet row group for the tables not yet begun (default [`ROW_GROUP_ROWS`]).
    pub fn with_row_group_rows(mut self, rows: usize) -> DatasetWriter {
        self.row_group_rows = rows.max(1);
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn sink(&mut self, table: Table) -> Result<usize, WriteError> {
        if let Some(i) = self.sinks.iter().position(|(t, _, _)| *t == table) {
            return Ok(i);
        }
        let path = self
            .dir
            .join(format!("{}.{}", table.name(), self.format.extension()));
        let file = File::create(&path).map_err(|source| WriteError::Io {
            path: path.clone(),
            source,
        })?;
        let sink = match self.format {
            Format::Csv | Format::CsvGz => {
                let w: Box<dyn Write + Send> = if self.format == Format::CsvGz {
                    // mtime 0 (the default) keeps gzip output byte-identical run to run.
                    Box::new(flate2::write::GzEncoder::new(
                        BufWriter::with_capacity(1 << 20, file),
                        flate2::Compression::fast(),
                    ))
                } else {
                    Box::new(BufWriter::with_capacity(1 << 20, file))
                };
                let mut w = csv::WriterBuilder::new().from_writer(w);
                w.write_record(table.columns())
                    .map_err(|e| csv_io(&path, e))?;
                Sink::Csv(Box::new(w))
            }
            Format::Parquet => {
                let props = WriterProperties::builder()
                    .set_compression(Compression::SNAPPY)
                    // A fixed creator string keeps files identical across parquet releases.
                    .set_created_by("almen".to_string())
                    .set_max_row_group_row_count(Some(self.row_group_rows))
                    .build();
                let w =
                    ArrowWriter::try_new(file, schema(table), Some(props)).map_err(|source| {
                        WriteError::Parquet {
                            path: path.clone(),
                            source,
                        }
                    })?;
                Sink::Parquet(Box::new(w))
            }
        };
        self.sinks.push((table, path, sink));
        Ok(self.sinks.len() - 1)
    }

    fn write_batch(
        &mut self,
        table: Table,
        batch: Result<RecordBatch, arrow_schema::ArrowError>,
    ) -> Result<(), WriteError> {
        let i = self.sink(table)?;
        let (_, path, sink) = &mut self.sinks[i];
        let batch = batch.map_err(|source| WriteError::Arrow {
            path: path.clone(),
            source,
        })?;
        match sink {
            Sink::Parquet(w) => w.write(&batch).map_err(|source| WriteError::Parquet {
                path: path.clone(),
                source,
            }),
            Sink::Csv(w) => write_csv_batch(w, &batch).map_err(|e| csv_io(path, e)),
        }
    }

    pub fn write_clinics(&mut self, c: &Clinics) -> Result<(), WriteError> {
        self.write_batch(Table::Clinics, clinics_batch(c))
    }
    pub fn write_doctors(&mut self, d: &Doctors, clinics: &Clinics) -> Result<(), WriteError> {
        self.write_batch(Table::Doctors, doctors_batch(d, clinics))
    }
    pub fn write_patients(&mut self, p: &Patients, clinics: &Clinics) -> Result<(), WriteError> {
        self.write_batch(Table::Patients, patients_batch(p, clinics))
    }
    pub fn write_diagnoses(
        &mut self,
        d: &Diagnoses,
        patients: &Patients,
    ) -> Result<(), WriteError> {
        self.write_batch(Table::Diagnoses, diagnoses_batch(d, patients))
    }
    pub fn write_prescriptions(
        &mut self,
        p: &Prescriptions,
        patients: &Patients,
    ) -> Result<(), WriteError> {
        self.write_batch(Table::Prescriptions, prescriptions_batch(p, patients))
    }
    pub fn write_observations(
        &mut self,
        o: &Observations,
        patients: &Patients,
    ) -> Result<(), WriteError> {
        self.write_batch(Table::Observations, observations_batch(o, patients))
    }
    pub fn write_claims(
        &mut self,
        c: &Claims,
        patients: &Patients,
        clinics: &Clinics,
        doctors: &Doctors,
    ) -> Result<(), WriteError> {
        self.write_batch(Table::Claims, claims_batch(c, patients, clinics, doctors))
    }
    pub fn write_calls(&mut self, c: &Calls, patients: &Patients) -> Result<(), WriteError> {
        self.write_batch(Table::Calls, calls_batch(c, patients))
    }

    /// Writes every table of `t` (optional tables only when `t.present` says so).
    pub fn write_tables(&mut self, t: &Tables) -> Result<(), WriteError> {
        self.write_clinics(&t.clinics)?;
        self.write_doctors(&t.doctors, &t.clinics)?;
        self.write_patients(&t.patients, &t.clinics)?;
        if t.present.diagnoses {
            self.write_diagnoses(&t.diagnoses, &t.patients)?;
        }
        if t.present.prescriptions {
            self.write_prescriptions(&t.prescriptions, &t.patients)?;
        }
        if t.present.observations {
            self.write_observations(&t.observations, &t.patients)?;
        }
        if t.present.claims {
            self.write_claims(&t.claims, &t.patients, &t.clinics, &t.doctors)?;
        }
        if t.present.calls {
            self.write_calls(&t.calls, &t.patients)?;
        }
        Ok(())
    }

    /// Ensures a (possibly empty) file exists for `table`, so an empty optional table is
    /// written as present rather than left absent.
    pub fn touch(&mut self, table: Table) -> Result<(), WriteError> {
        self.sink(table).map(|_| ())
    }

    /// Flushes and closes every file; returns the paths written.
    pub fn finish(self) -> Result<Vec<PathBuf>, WriteError> {
        let mut paths = Vec::new();
        for (_, path, sink) in self.sinks {
            match sink {
                Sink::Parquet(w) => {
                    w.close().map_err(|source| WriteError::Parquet {
                        path: path.clone(),
                        source,
                    })?;
                }
                Sink::Csv(w) => {
                    let inner = w.into_inner().map_err(|e| WriteError::Io {
                        path: path.clone(),
                        source: std::io::Error::other(e.to_string()),
                    })?;
                    finish_inner(inner).map_err(|source| WriteError::Io {
                        path: path.clone(),
                        source,
                    })?;
                }
            }
            paths.push(path);
        }
        Ok(paths)
    }
}

fn finish_inner(mut w: Box<dyn Write + Send>) -> std::io::Result<()> {
    // Dropping a GzEncoder writes its trailer; flush first so an error is seen here.
    w.flush()?;
    drop(w);
    Ok(())
}

fn csv_io(path: &Path, e: csv::Error) -> WriteError {
    WriteError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// Formats one record batch as CSV rows in the extract format's text forms.
fn write_csv_batch<W: Write>(w: &mut csv::Writer<W>, batch: &RecordBatch) -> csv::Result<()> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Date32Type, Float64Type, Int32Type, TimestampSecondType};
    let cols = batch.columns();
    let mut cell = String::new();
    for row in 0..batch.num_rows() {
        for col in cols {
            cell.clear();
            if !col.is_null(row) {
                use std::fmt::Write as _;
                match col.data_type() {
                    DataType::Utf8 => cell.push_str(col.as_string::<i32>().value(row)),
                    DataType::Int32 => {
                        let _ = write!(cell, "{}", col.as_primitive::<Int32Type>().value(row));
                    }
                    DataType::Float64 => {
                        let _ = write!(cell, "{}", col.as_primitive::<Float64Type>().value(row));
                    }
                    DataType::Boolean => cell.push_str(if col.as_boolean().value(row) {
                        "true"
                    } else {
                        "false"
                    }),
                    DataType::Date32 => {
                        let d = col.as_primitive::<Date32Type>().value(row);
                        let _ = write!(cell, "{}", Day::from_days_since_epoch(d));
                    }
                    DataType::Timestamp(TimeUnit::Second, _) => {
                        let t = col.as_primitive::<TimestampSecondType>().value(row);
                        let _ = write!(cell, "{}", Timestamp::from_unix(t));
                    }
                    other => unreachable!("schema() has no {other} column"),
                }
            }
            w.write_field(&cell)?;
        }
        w.write_record(None::<&[u8]>)?;
    }
    Ok(())
}
