//! The in-memory columnar model of a dataset: one struct of columns per extract table.
//!
//! References between tables are resolved to row numbers when a dataset is read (a claim's
//! `patient` is the patient's row in [`Patients`]), so the modules never hash an id on a hot
//! path. Optional references hold [`NONE`]. Codes are interned in a [`Dict`] per column.

use crate::columns::{Dict, StrCol};
use almen_core::{Day, Sex, Timestamp};
use almen_reference::{KommuneCode, ServiceCode};

/// "No row": an empty optional reference.
pub const NONE: u32 = u32::MAX;

/// The eight tables of the extract format, in the order they are read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Clinics,
    Doctors,
    Patients,
    Diagnoses,
    Prescriptions,
    Observations,
    Claims,
    Calls,
}

impl Table {
    pub const ALL: [Table; 8] = [
        Table::Clinics,
        Table::Doctors,
        Table::Patients,
        Table::Diagnoses,
        Table::Prescriptions,
        Table::Observations,
        Table::Claims,
        Table::Calls,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Table::Clinics => "clinics",
            Table::Doctors => "doctors",
            Table::Patients => "patients",
            Table::Diagnoses => "diagnoses",
            Table::Prescriptions => "prescriptions",
            Table::Observations => "observations",
            Table::Claims => "claims",
            Table::Calls => "calls",
        }
    }
    pub fn required(self) -> bool {
        matches!(self, Table::Clinics | Table::Doctors | Table::Patients)
    }
    /// Column names in extract-format order.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Table::Clinics => &[
                "clinic_id",
                "name",
                "kommune_code",
                "clinic_type",
                "owner_id",
                "capacities",
                "open_for_new",
                "lat",
                "lon",
            ],
            Table::Doctors => &[
                "doctor_id",
                "clinic_id",
                "role",
                "fte",
                "birth_year",
                "district",
            ],
            Table::Patients => &[
                "patient_id",
                "birth_date",
                "sex",
                "kommune_code",
                "clinic_id",
                "listed_since",
                "group",
                "deceased_date",
            ],
            Table::Diagnoses => &["patient_id", "system", "code", "date", "end_date"],
            Table::Prescriptions => &["patient_id", "atc", "start_date", "end_date", "subsidised"],
            Table::Observations => &["patient_id", "code", "value", "unit", "date"],
            Table::Claims => &[
                "claim_id",
                "card_id",
                "patient_id",
                "clinic_id",
                "doctor_id",
                "service_code",
                "quantity",
                "service_date",
                "service_time",
                "submitted_date",
                "fee_dkk",
            ],
            Table::Calls => &[
                "call_id",
                "received_at",
                "answered_at",
                "ended_at",
                "priority",
                "district",
                "outcome",
                "booked_for",
                "finished_at",
                "visit_started_at",
                "patient_id",
            ],
        }
    }
    /// Columns that may be empty or absent.
    pub fn optional_columns(self) -> &'static [&'static str] {
        match self {
            Table::Clinics => &["owner_id", "lat", "lon"],
            Table::Doctors => &["birth_year", "district"],
            Table::Patients => &["clinic_id", "listed_since", "group", "deceased_date"],
            Table::Diagnoses => &["end_date"],
            Table::Prescriptions => &["end_date", "subsidised"],
            Table::Observations => &["unit"],
            Table::Claims => &["doctor_id", "service_time", "fee_dkk"],
            Table::Calls => &[
                "answered_at",
                "ended_at",
                "district",
                "booked_for",
                "finished_at",
                "visit_started_at",
                "patient_id",
            ],
        }
    }
}

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(s: &str) -> Result<$name, almen_core::ParseError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(almen_core::ParseError::new(
                        concat!("expected one of:", $(" ", $text),+), s)),
                }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// Who runs a clinic: the PLO agreement, the region, or a tendered contract.
    ClinicType { Plo = "plo", Region = "region", Udbud = "udbud" }
);
text_enum!(DoctorRole { Owner = "owner", Employed = "employed", Trainee = "trainee", Locum = "locum" });
text_enum!(DiagnosisSystem { Icpc2 = "ICPC2", Icd10 = "ICD10" });
text_enum!(Priority { Normal = "normal", Urgent = "urgent" });
text_enum!(
    /// How an out-of-hours call ended.
    Outcome {
        Advice = "advice",
        Consultation = "consultation",
        HomeVisit = "home_visit",
        Video = "video",
        Referral = "referral",
        Ambulance = "ambulance",
        Abandoned = "abandoned",
    }
);

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Clinics {
    pub id: StrCol,
    pub name: StrCol,
    pub kommune: Vec<KommuneCode>,
    pub clinic_type: Vec<ClinicType>,
    /// Index into `owners`, or [`NONE`].
    pub owner: Vec<u32>,
    pub owners: Dict,
    pub capacities: Vec<f64>,
    pub open_for_new: Vec<bool>,
    pub lat: Vec<Option<f64>>,
    pub lon: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Doctors {
    pub id: StrCol,
    /// Row in [`Clinics`].
    pub clinic: Vec<u32>,
    pub role: Vec<DoctorRole>,
    pub fte: Vec<f64>,
    pub birth_year: Vec<Option<i32>>,
    /// Index into `districts`, or [`NONE`].
    pub district: Vec<u32>,
    pub districts: Dict,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Patients {
    pub id: StrCol,
    pub birth_date: Vec<Day>,
    pub sex: Vec<Sex>,
    pub kommune: Vec<KommuneCode>,
    /// Row in [`Clinics`] of the clinic the patient is listed with, or [`NONE`].
    pub clinic: Vec<u32>,
    pub listed_since: Vec<Option<Day>>,
    /// Sikringsgruppe, 1 or 2.
    pub group: Vec<u8>,
    pub deceased: Vec<Option<Day>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diagnoses {
    /// Row in [`Patients`].
    pub patient: Vec<u32>,
    pub system: Vec<DiagnosisSystem>,
    /// Index into `codes`.
    pub code: Vec<u32>,
    pub codes: Dict,
    pub date: Vec<Day>,
    pub end_date: Vec<Option<Day>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prescriptions {
    pub patient: Vec<u32>,
    /// Index into `atcs`.
    pub atc: Vec<u32>,
    pub atcs: Dict,
    pub start: Vec<Day>,
    pub end: Vec<Option<Day>>,
    pub subsidised: Vec<Option<bool>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observations {
    pub patient: Vec<u32>,
    /// Index into `codes`.
    pub code: Vec<u32>,
    pub codes: Dict,
    pub value: Vec<f64>,
    /// Index into `units`, or [`NONE`].
    pub unit: Vec<u32>,
    pub units: Dict,
    pub date: Vec<Day>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Claims {
    pub claim_id: StrCol,
    pub card_id: StrCol,
    pub patient: Vec<u32>,
    pub clinic: Vec<u32>,
    /// Row in [`Doctors`], or [`NONE`].
    pub doctor: Vec<u32>,
    pub service: Vec<ServiceCode>,
    pub quantity: Vec<i32>,
    pub service_date: Vec<Day>,
    /// Minutes after midnight.
    pub service_time: Vec<Option<u16>>,
    pub submitted: Vec<Day>,
    pub fee_dkk: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Calls {
    pub call_id: StrCol,
    pub received_at: Vec<Timestamp>,
    pub answered_at: Vec<Option<Timestamp>>,
    pub ended_at: Vec<Option<Timestamp>>,
    pub priority: Vec<Priority>,
    /// Index into `districts`, or [`NONE`].
    pub district: Vec<u32>,
    pub districts: Dict,
    pub outcome: Vec<Outcome>,
    pub booked_for: Vec<Option<Timestamp>>,
    pub finished_at: Vec<Option<Timestamp>>,
    pub visit_started_at: Vec<Option<Timestamp>>,
    /// Row in [`Patients`], or [`NONE`].
    pub patient: Vec<u32>,
}

impl Clinics {
    pub fn len(&self) -> usize {
        self.id.len()
    }
    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }
}
impl Doctors {
    pub fn len(&self) -> usize {
        self.id.len()
    }
    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }
}
impl Patients {
    pub fn len(&self) -> usize {
        self.id.len()
    }
    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }
    /// Alive on `d`: not deceased, or deceased after `d`.
    pub fn alive_at(&self, row: usize, d: Day) -> bool {
        self.deceased[row].is_none_or(|x| x > d)
    }
}
impl Diagnoses {
    pub fn len(&self) -> usize {
        self.patient.len()
    }
    pub fn is_empty(&self) -> bool {
        self.patient.is_empty()
    }
}
impl Prescriptions {
    pub fn len(&self) -> usize {
        self.patient.len()
    }
    pub fn is_empty(&self) -> bool {
        self.patient.is_empty()
    }
}
impl Observations {
    pub fn len(&self) -> usize {
        self.patient.len()
    }
    pub fn is_empty(&self) -> bool {
        self.patient.is_empty()
    }
}
impl Claims {
    pub fn len(&self) -> usize {
        self.patient.len()
    }
    pub fn is_empty(&self) -> bool {
        self.patient.is_empty()
    }
}
impl Calls {
    pub fn len(&self) -> usize {
        self.received_at.len()
    }
    pub fn is_empty(&self) -> bool {
        self.received_at.is_empty()
    }
}

/// All eight tables, without indexes: what a generator produces and a writer consumes.
/// An optional table that was absent from a dataset folder is empty, and `present` says so.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tables {
    pub clinics: Clinics,
    pub doctors: Doctors,
    pub patients: Patients,
    pub diagnoses: Diagnoses,
    pub prescriptions: Prescriptions,
    pub observations: Observations,
    pub claims: Claims,
    pub calls: Calls,
    pub present: Present,
}

/// Which optional tables a dataset had.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Present {
    pub diagnoses: bool,
    pub prescriptions: bool,
    pub observations: bool,
    pub claims: bool,
    pub calls: bool,
}

impl Present {
    pub const ALL: Present = Present {
        diagnoses: true,
        prescriptions: true,
        observations: true,
        claims: true,
        calls: true,
    };
    pub fn has(&self, t: Table) -> bool {
        match t {
            Table::Clinics | Table::Doctors | Table::Patients => true,
            Table::Diagnoses => self.diagnoses,
            Table::Prescriptions => self.prescriptions,
            Table::Observations => self.observations,
            Table::Claims => self.claims,
            Table::Calls => self.calls,
        }
    }
    pub fn set(&mut self, t: Table, v: bool) {
        match t {
            Table::Clinics | Table::Doctors | Table::Patients => {}
            Table::Diagnoses => self.diagnoses = v,
            Table::Prescriptions => self.prescriptions = v,
            Table::Observations => self.observations = v,
            Table::Claims => self.claims = v,
            Table::Calls => self.calls = v,
        }
    }
}

impl Tables {
    pub fn rows(&self, t: Table) -> usize {
        match t {
            Table::Clinics => self.clinics.len(),
            Table::Doctors => self.doctors.len(),
            Table::Patients => self.patients.len(),
            Table::Diagnoses => self.diagnoses.len(),
            Table::Prescriptions => self.prescriptions.len(),
            Table::Observations => self.observations.len(),
            Table::Claims => self.claims.len(),
            Table::Calls => self.calls.len(),
        }
    }
}
