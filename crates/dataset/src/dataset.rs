//! A validated dataset with its indexes.

use crate::columns::{GroupIndex, IdIndex, StrCol};
use crate::model::{NONE, Table, Tables};
use crate::{DataError, DataErrors};
use almen_core::Day;
use std::ops::Deref;

/// Row lookups by id and groupings of child rows, built once when a dataset is assembled.
#[derive(Debug, Clone, Default)]
pub struct Indexes {
    pub clinic_by_id: IdIndex,
    pub doctor_by_id: IdIndex,
    pub patient_by_id: IdIndex,
    pub patients_by_clinic: GroupIndex,
    pub doctors_by_clinic: GroupIndex,
    pub diagnoses_by_patient: GroupIndex,
    pub prescriptions_by_patient: GroupIndex,
    pub observations_by_patient: GroupIndex,
    pub claims_by_patient: GroupIndex,
    pub claims_by_clinic: GroupIndex,
}

/// A whole dataset: every table read and validated, every reference resolved, indexed by
/// clinic and by patient. It dereferences to its [`Tables`].
#[derive(Debug, Clone)]
pub struct Dataset {
    tables: Tables,
    pub index: Indexes,
    /// The earliest and latest date found in any table (service dates, diagnosis and
    /// prescription dates, observations, calls); `None` for a dataset without events.
    pub date_range: Option<(Day, Day)>,
}

impl Deref for Dataset {
    type Target = Tables;
    fn deref(&self) -> &Tables {
        &self.tables
    }
}

/// The ids of the three entity tables, indexed, or the duplicates found.
pub(crate) fn build_id_index(table: Table, col: &StrCol, errors: &mut Vec<DataError>) -> IdIndex {
    match IdIndex::build(col) {
        Ok(i) => i,
        Err((row, dup)) => {
            errors.push(DataError::at(
                table.name(),
                row as u64 + 1,
                table.columns()[0],
                format!("duplicate id, first seen on row {}", dup.first_row + 1),
                col.get(row),
            ));
            IdIndex::default()
        }
    }
}

impl Dataset {
    /// Assembles a dataset from tables whose references are already row numbers (a generator's
    /// output, or a test's). Ids must be unique; references must be in range.
    pub fn from_tables(tables: Tables) -> Result<Dataset, DataErrors> {
        let mut errors = Vec::new();
        let clinic_by_id = build_id_index(Table::Clinics, &tables.clinics.id, &mut errors);
        let doctor_by_id = build_id_index(Table::Doctors, &tables.doctors.id, &mut errors);
        let patient_by_id = build_id_index(Table::Patients, &tables.patients.id, &mut errors);
        check_refs(&tables, &mut errors);
        if !errors.is_empty() {
            return Err(DataErrors::new(errors));
        }
        Ok(Dataset::assemble(
            tables,
            clinic_by_id,
            doctor_by_id,
            patient_by_id,
        ))
    }

    /// Builds the group indexes; ids and references were checked by the caller.
    pub(crate) fn assemble(
        tables: Tables,
        clinic_by_id: IdIndex,
        doctor_by_id: IdIndex,
        patient_by_id: IdIndex,
    ) -> Dataset {
        let np = tables.patients.len();
        let nc = tables.clinics.len();
        let t = &tables;
        // Six independent counting sorts: two cores take them in pairs.
        let (
            ((patients_by_clinic, doctors_by_clinic), claims_by_clinic),
            (by_patient_a, by_patient_b),
        ) = rayon::join(
            || {
                rayon::join(
                    || {
                        rayon::join(
                            || GroupIndex::build(nc, &t.patients.clinic),
                            || GroupIndex::build(nc, &t.doctors.clinic),
                        )
                    },
                    || GroupIndex::build(nc, &t.claims.clinic),
                )
            },
            || {
                rayon::join(
                    || {
                        rayon::join(
                            || GroupIndex::build(np, &t.diagnoses.patient),
                            || GroupIndex::build(np, &t.prescriptions.patient),
                        )
                    },
                    || {
                        rayon::join(
                            || GroupIndex::build(np, &t.observations.patient),
                            || GroupIndex::build(np, &t.claims.patient),
                        )
                    },
                )
            },
        );
        let (diagnoses_by_patient, prescriptions_by_patient) = by_patient_a;
        let (observations_by_patient, claims_by_patient) = by_patient_b;
        let date_range = date_range(&tables);
        Dataset {
            index: Indexes {
                clinic_by_id,
                doctor_by_id,
                patient_by_id,
                patients_by_clinic,
                doctors_by_clinic,
                diagnoses_by_patient,
                prescriptions_by_patient,
                observations_by_patient,
                claims_by_patient,
                claims_by_clinic,
            },
            tables,
            date_range,
        }
    }

    pub fn tables(&self) -> &Tables {
        &self.tables
    }
    pub fn into_tables(self) -> Tables {
        self.tables
    }
    pub fn clinic_row(&self, id: &str) -> Option<u32> {
        self.index.clinic_by_id.get(&self.tables.clinics.id, id)
    }
    pub fn doctor_row(&self, id: &str) -> Option<u32> {
        self.index.doctor_by_id.get(&self.tables.doctors.id, id)
    }
    pub fn patient_row(&self, id: &str) -> Option<u32> {
        self.index.patient_by_id.get(&self.tables.patients.id, id)
    }
    /// The dataset's last date: the default reference date of the lists.
    pub fn last_date(&self) -> Option<Day> {
        self.date_range.map(|r| r.1)
    }
}

fn date_range(t: &Tables) -> Option<(Day, Day)> {
    let mut lo: Option<Day> = None;
    let mut hi: Option<Day> = None;
    let mut see = |d: Day| {
        lo = Some(lo.map_or(d, |x| x.min(d)));
        hi = Some(hi.map_or(d, |x| x.max(d)));
    };
    let mut fold = |v: &[Day]| {
        if let (Some(a), Some(b)) = (v.iter().min(), v.iter().max()) {
            see(*a);
            see(*b);
        }
    };
    fold(&t.claims.service_date);
    fold(&t.diagnoses.date);
    fold(&t.prescriptions.start);
    fold(&t.observations.date);
    if let (Some(a), Some(b)) = (
        t.calls.received_at.iter().min(),
        t.calls.received_at.iter().max(),
    ) {
        see(Day::from_naive(a.to_local().date_naive()));
        see(Day::from_naive(b.to_local().date_naive()));
    }
    lo.zip(hi)
}

/// Row-number references must be in range (tables built in memory, not read).
fn check_refs(t: &Tables, errors: &mut Vec<DataError>) {
    let nc = t.clinics.len() as u32;
    let nd = t.doctors.len() as u32;
    let np = t.patients.len() as u32;
    let mut check = |table: Table, column: &str, refs: &[u32], n: u32, optional: bool| {
        for (row, &r) in refs.iter().enumerate() {
            if (r == NONE && !optional) || (r != NONE && r >= n) {
                errors.push(DataError::at(
                    table.name(),
                    row as u64 + 1,
                    column,
                    "reference to a row that does not exist".to_string(),
                    &r.to_string(),
                ));
                return;
            }
        }
    };
    check(Table::Doctors, "clinic_id", &t.doctors.clinic, nc, false);
    check(Table::Patients, "clinic_id", &t.patients.clinic, nc, true);
    check(
        Table::Diagnoses,
        "patient_id",
        &t.diagnoses.patient,
        np,
        false,
    );
    check(
        Table::Prescriptions,
        "patient_id",
        &t.prescriptions.patient,
        np,
        false,
    );
    check(
        Table::Observations,
        "patient_id",
        &t.observations.patient,
        np,
        false,
    );
    check(Table::Claims, "patient_id", &t.claims.patient, np, false);
    check(Table::Claims, "clinic_id", &t.claims.clinic, nc, false);
    check(Table::Claims, "doctor_id", &t.claims.doctor, nd, true);
    check(Table::Calls, "patient_id", &t.calls.patient, np, true);
}
