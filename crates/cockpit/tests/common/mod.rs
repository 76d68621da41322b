//! A small builder for hand-made datasets.
#![allow(dead_code)]

use almen_core::{Day, Sex};
use almen_dataset::*;
use almen_reference::{KommuneCode, ServiceCode};

pub fn day(s: &str) -> Day {
    Day::parse(s).unwrap()
}

/// The reference date of the tests.
pub const D: &str = "2025-06-30";

pub fn d() -> Day {
    day(D)
}

/// D plus `n` days (negative: before D).
pub fn dd(n: i32) -> Day {
    d().add_days(n)
}

#[derive(Default)]
pub struct Builder {
    pub t: Tables,
}

impl Builder {
    pub fn new() -> Builder {
        Builder {
            t: Tables {
                present: Present::ALL,
                ..Default::default()
            },
        }
    }

    pub fn clinic(&mut self, id: &str, kommune: u16) -> u32 {
        let c = &mut self.t.clinics;
        c.id.push(id).unwrap();
        c.name.push(&format!("Klinik {id}")).unwrap();
        c.kommune.push(KommuneCode::new(kommune).unwrap());
        c.clinic_type.push(ClinicType::Plo);
        c.owner.push(NONE);
        c.capacities.push(1.0);
        c.open_for_new.push(true);
        c.lat.push(None);
        c.lon.push(None);
        (c.id.len() - 1) as u32
    }

    pub fn doctor(&mut self, id: &str, clinic: u32) -> u32 {
        let d = &mut self.t.doctors;
        d.id.push(id).unwrap();
        d.clinic.push(clinic);
        d.role.push(DoctorRole::Owner);
        d.fte.push(1.0);
        d.birth_year.push(None);
        d.district.push(NONE);
        (d.id.len() - 1) as u32
    }

    pub fn patient_full(
        &mut self,
        id: &str,
        birth: &str,
        sex: Sex,
        clinic: Option<u32>,
        deceased: Option<Day>,
    ) -> u32 {
        let p = &mut self.t.patients;
        p.id.push(id).unwrap();
        p.birth_date.push(day(birth));
        p.sex.push(sex);
        p.kommune.push(KommuneCode::new(751).unwrap());
        p.clinic.push(clinic.unwrap_or(NONE));
        p.listed_since.push(None);
        p.group.push(1);
        p.deceased.push(deceased);
        (p.id.len() - 1) as u32
    }

    /// A living 70-year-old woman listed with `clinic`.
    pub fn patient(&mut self, id: &str, clinic: u32) -> u32 {
        self.patient_full(id, "1955-01-01", Sex::F, Some(clinic), None)
    }

    pub fn dx(&mut self, p: u32, code: &str, date: Day, end: Option<Day>) {
        let g = &mut self.t.diagnoses;
        g.patient.push(p);
        // ICD-10 in SKS form starts with D and a letter; ICPC-2 is a letter and digits.
        let sks =
            code.len() > 3 && code.starts_with('D') && code.as_bytes()[1].is_ascii_alphabetic();
        g.system.push(if sks {
            DiagnosisSystem::Icd10
        } else {
            DiagnosisSystem::Icpc2
        });
        g.code.push(g.codes.intern(code));
        g.date.push(date);
        g.end_date.push(end);
    }

    pub fn rx(&mut self, p: u32, atc: &str, start: Day, end: Option<Day>) {
        let r = &mut self.t.prescriptions;
        r.patient.push(p);
        r.atc.push(r.atcs.intern(atc));
        r.start.push(start);
        r.end.push(end);
        r.subsidised.push(None);
    }

    pub fn obs(&mut self, p: u32, code: &str, value: f64, date: Day) {
        let o = &mut self.t.observations;
        o.patient.push(p);
        o.code.push(o.codes.intern(code));
        o.value.push(value);
        o.unit.push(NONE);
        o.date.push(date);
    }

    pub fn claim(&mut self, p: u32, clinic: u32, doctor: u32, service: &str, qty: i32, date: Day) {
        let c = &mut self.t.claims;
        let n = c.patient.len();
        c.claim_id.push(&format!("L{n}")).unwrap();
        c.card_id.push(&format!("K{n}")).unwrap();
        c.patient.push(p);
        c.clinic.push(clinic);
        c.doctor.push(doctor);
        c.service.push(ServiceCode::parse(service).unwrap());
        c.quantity.push(qty);
        c.service_date.push(date);
        c.service_time.push(None);
        c.submitted.push(date);
        c.fee_dkk.push(None);
    }

    pub fn build(self) -> Dataset {
        Dataset::from_tables(self.t).unwrap()
    }
}
