//! A small builder for hand-made datasets, and the worked example of the user guide.
#![allow(dead_code)]

use almen_capacity::WeightTable;
use almen_cockpit::ListSet;
use almen_core::{Day, Sex};
use almen_dataset::*;
use almen_reference::{KommuneCode, ServiceCode};

pub fn day(s: &str) -> Day {
    Day::parse(s).unwrap()
}

/// The reference date of the tests.
pub fn d() -> Day {
    day("2025-06-30")
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

    pub fn clinic(
        &mut self,
        id: &str,
        kommune: u16,
        clinic_type: ClinicType,
        capacities: f64,
        open: bool,
    ) -> u32 {
        let c = &mut self.t.clinics;
        c.id.push(id).unwrap();
        c.name.push(&format!("Klinik {id}")).unwrap();
        c.kommune.push(KommuneCode::new(kommune).unwrap());
        c.clinic_type.push(clinic_type);
        c.owner.push(NONE);
        c.capacities.push(capacities);
        c.open_for_new.push(open);
        c.lat.push(None);
        c.lon.push(None);
        (c.id.len() - 1) as u32
    }

    pub fn owner(&mut self, clinic: u32, owner: &str, at: Option<(f64, f64)>) {
        let c = &mut self.t.clinics;
        let o = c.owners.intern(owner);
        c.owner[clinic as usize] = o;
        c.lat[clinic as usize] = at.map(|x| x.0);
        c.lon[clinic as usize] = at.map(|x| x.1);
    }

    /// `n` patients born on `birth`, alternately F and M, living in `kommune`.
    pub fn patients(
        &mut self,
        n: usize,
        birth: &str,
        kommune: u16,
        clinic: Option<u32>,
    ) -> Vec<u32> {
        (0..n)
            .map(|i| {
                let sex = if i % 2 == 0 { Sex::F } else { Sex::M };
                self.patient(birth, sex, kommune, clinic, None)
            })
            .collect()
    }

    pub fn patient(
        &mut self,
        birth: &str,
        sex: Sex,
        kommune: u16,
        clinic: Option<u32>,
        deceased: Option<Day>,
    ) -> u32 {
        let p = &mut self.t.patients;
        let n = p.id.len();
        p.id.push(&format!("P{n:07}")).unwrap();
        p.birth_date.push(day(birth));
        p.sex.push(sex);
        p.kommune.push(KommuneCode::new(kommune).unwrap());
        p.clinic.push(clinic.unwrap_or(NONE));
        p.listed_since.push(None);
        p.group.push(1);
        p.deceased.push(deceased);
        n as u32
    }

    /// A present ICPC-2 diagnosis.
    pub fn dx(&mut self, p: u32, code: &str, date: Day) {
        let g = &mut self.t.diagnoses;
        g.patient.push(p);
        g.system.push(DiagnosisSystem::Icpc2);
        g.code.push(g.codes.intern(code));
        g.date.push(date);
        g.end_date.push(None);
    }

    pub fn claim(
        &mut self,
        p: u32,
        clinic: u32,
        service: &str,
        qty: i32,
        date: Day,
        fee: Option<f64>,
    ) {
        let c = &mut self.t.claims;
        let n = c.patient.len();
        c.claim_id.push(&format!("L{n}")).unwrap();
        c.card_id.push(&format!("K{n}")).unwrap();
        c.patient.push(p);
        c.clinic.push(clinic);
        c.doctor.push(NONE);
        c.service.push(ServiceCode::parse(service).unwrap());
        c.quantity.push(qty);
        c.service_date.push(date);
        c.service_time.push(None);
        c.submitted.push(date);
        c.fee_dkk.push(fee);
    }

    pub fn build(self) -> Dataset {
        Dataset::from_tables(self.t).unwrap()
    }
}

/// The weight table of the worked example: every age/sex term 1, except 80-84 (both sexes)
/// 3; diabetes 1.
pub const EXAMPLE_WEIGHTS: &str = include_str!("../data/worked-example-weights.csv");

pub fn example_table() -> WeightTable {
    WeightTable::parse(
        "worked-example-weights.csv",
        EXAMPLE_WEIGHTS,
        &ListSet::shipped(),
    )
    .unwrap()
}

pub const YOUNG: &str = "1985-01-01"; // 40 at D
pub const OLD: &str = "1943-01-01"; // 82 at D

/// The worked example of docs/capacity.md: three clinics in two municipalities.
///
/// | clinic | kommune | type | capacities | open | listed |
/// |---|---|---|---|---|---|
/// | C1 | 751 Aarhus | plo | 1 | yes | 1,200 aged 40, 300 aged 82 |
/// | C2 | 751 Aarhus | plo | 2 | yes | 1,800 aged 40, 600 aged 40 with diabetes |
/// | C3 | 101 København | region | 1 | no | 900 aged 40, 300 aged 82, 300 aged 82 with diabetes |
///
/// and 600 citizens aged 40 in København without a list place. C1 and C2 have one owner.
pub fn worked_example() -> Dataset {
    let mut b = Builder::new();
    let c1 = b.clinic("C1", 751, ClinicType::Plo, 1.0, true);
    let c2 = b.clinic("C2", 751, ClinicType::Plo, 2.0, true);
    let c3 = b.clinic("C3", 101, ClinicType::Region, 1.0, false);
    b.owner(c1, "dr-a", Some((56.1572, 10.2107)));
    b.owner(c2, "dr-a", Some((56.1500, 10.2000)));
    b.owner(c3, "Region Hovedstaden", Some((55.6761, 12.5683)));
    b.patients(1200, YOUNG, 751, Some(c1));
    b.patients(300, OLD, 751, Some(c1));
    b.patients(1800, YOUNG, 751, Some(c2));
    for p in b.patients(600, YOUNG, 751, Some(c2)) {
        b.dx(p, "T90", day("2020-01-01"));
    }
    b.patients(900, YOUNG, 101, Some(c3));
    b.patients(300, OLD, 101, Some(c3));
    for p in b.patients(300, OLD, 101, Some(c3)) {
        b.dx(p, "T90", day("2020-01-01"));
    }
    b.patients(600, YOUNG, 101, None);
    // A claim so that the dataset's last date is D.
    b.claim(0, c1, "0101", 1, d(), None);
    b.build()
}
