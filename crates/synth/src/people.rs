//! One unit's people: demographics, listing, death, then their medical record, claims and calls.

use crate::calls::{self, Caller};
use crate::claims::{self, ClaimCtx, Services};
use crate::data;
use crate::ids;
use crate::medical::{self, NCOND, Person};
use crate::rng::{self, stream};
use crate::world::{Unit, UnitKind, World};
use almen_core::{Day, Sex};
use almen_dataset::{NONE, Present, Tables};

/// Generates the units `range` of the world into one set of chunk-local tables.
pub fn chunk(world: &World, svc: &Services, range: std::ops::Range<usize>) -> Tables {
    let mut t = Tables {
        present: Present::ALL,
        ..Default::default()
    };
    for u in &world.units[range] {
        unit(world, svc, u, &mut t);
    }
    t
}

/// Sikringsgruppe 2: about 1.5 % of adults (Danske Regioner; 1-2 % of the population). They
/// are not listed with a GP.
const GROUP2: f64 = 0.015;
/// Residents listed with a clinic in a neighbouring municipality (free choice of doctor
/// within 15 km, or a list place found elsewhere): approximate.
const LISTED_ELSEWHERE: f64 = 0.07;
/// Patients who joined their clinic during the year (moving house, changing doctor): about
/// 3-4 % a year (approximate; ~10 % of Danes move each year, many within the same area).
const JOINED_THIS_YEAR: f64 = 0.035;

/// The life-table values are read off to two digits and the 2024 age structure is an estimate
/// (the 2020 structure scaled), which has slightly fewer old people than 2024 had: scaled so a
/// national run has about 57,000 deaths, as Statistics Denmark counts a year (2022-2024).
const MORTALITY_CALIBRATION: f64 = 1.18;

fn unit(world: &World, svc: &Services, u: &Unit, t: &mut Tables) {
    let cal = &world.calendar;
    let params = data::params();
    let mut r = rng::rng(world.seed, stream::UNIT, u.national as u64);
    let (clinic_row, plan) = match u.kind {
        UnitKind::Clinic(row) => (row, Some(&world.plans[row as usize])),
        UnitKind::Unlisted(_) => (NONE, None),
    };
    // Age/sex structure of the municipality (Statistics Denmark, 2024 estimate from the
    // reference crate), tilted per clinic towards older or younger lists.
    let structure = almen_reference::kommune_age_sex_2024_estimate(u.kommune);
    let tilt = plan.map_or(1.0, |p| p.age_tilt);
    let mut cum = [0.0f64; 2 * data::BANDS];
    let mut acc = 0.0;
    for sex in 0..2 {
        for b in 0..data::BANDS {
            acc += structure[sex][b] * if b >= 13 { tilt } else { 1.0 };
            cum[sex * data::BANDS + b] = acc;
        }
    }
    let neighbours = &world.neighbours[u.kommune.get() as usize];
    let mut ctx = plan.map(|plan| ClaimCtx {
        world,
        svc,
        plan,
        clinic: clinic_row,
        unit: u.national,
        radius_km: params.kommune(plan.kommune).radius_km,
        cards: 0,
        lines: 0,
    });
    let first = cal.first;
    let year = cal.year;
    let mut callers = Vec::with_capacity(u.size as usize);
    for i in 0..u.size {
        let row = t.patients.len() as u32;
        let cell = rng::pick_cum(&mut r, &cum, 0.0, acc);
        let sex = if cell < data::BANDS { Sex::F } else { Sex::M };
        let band = cell % data::BANDS;
        let age = if band == data::BANDS - 1 {
            95 + (rng::exp(&mut r, 2.5) as u32).min(12)
        } else {
            band as u32 * 5 + rng::range(&mut r, 0, 5) as u32
        };
        let birth = Day::from_ymd(year - age as i32 - 1, 1, 2)
            .unwrap_or(first)
            .add_days(rng::range(&mut r, 0, 364) as i32);
        let kommune =
            if plan.is_some() && !neighbours.is_empty() && rng::chance(&mut r, LISTED_ELSEWHERE) {
                rng::pick_from(&mut r, neighbours)
            } else {
                u.kommune
            };
        let group2 = age >= 18 && rng::chance(&mut r, GROUP2);
        let mut p = Person {
            row,
            sex,
            age,
            band,
            birth,
            from: first,
            to: cal.last,
            death: None,
            listed: plan.is_some(),
            group2,
            z: rng::normal(&mut r),
            w: rng::normal(&mut r),
            has: 0,
            active: 0,
            onset: [first; NCOND],
            type1: false,
            lab_days: Vec::new(),
        };
        medical::draw_conditions(&mut r, &mut p, cal);
        // Deaths during the year: life-table risk (data/mortality.csv) raised by frailty and
        // severe chronic illness. The dead have no events after the day they died.
        let q = params.mortality[sex.index()][band]
            * MORTALITY_CALIBRATION
            * medical::death_multiplier(&p);
        if rng::chance(&mut r, q.min(0.9)) {
            let d = first.add_days(rng::range(&mut r, 0, cal.days() as i64) as i32);
            p.death = Some(d);
            p.to = d;
            for c in 0..NCOND {
                if p.has(c) && p.onset[c] > d {
                    p.onset[c] = d.add_days(-(rng::range(&mut r, 0, 60) as i32)).max(p.birth);
                }
            }
        }
        let listed_since = plan.map(|_| {
            let since = if age == 0 {
                birth.add_days(rng::range(&mut r, 0, 45) as i32)
            } else if rng::chance(&mut r, JOINED_THIS_YEAR) {
                first.add_days(rng::range(&mut r, 0, cal.days() as i64) as i32)
            } else {
                first.add_days(-((rng::exp(&mut r, 11.0) * 365.25) as i32) - 1)
            };
            let since = since.max(birth);
            if since > p.to {
                p.to.add_days(-(rng::range(&mut r, 30, 400) as i32))
                    .max(birth)
            } else {
                since
            }
        });
        if let Some(s) = listed_since {
            p.from = s.max(first);
        }
        let tp = &mut t.patients;
        ids::push(
            &mut tp.id,
            "P",
            ids::patient_number(u.patient_base + i as u64),
            8,
        );
        tp.birth_date.push(birth);
        tp.sex.push(sex);
        tp.kommune.push(kommune);
        // Insurance group 2 chooses a doctor per visit and is not on any list; their visits
        // are billed at the clinic they use.
        tp.clinic.push(if group2 { NONE } else { clinic_row });
        tp.listed_since
            .push(if group2 { None } else { listed_since });
        tp.group.push(if group2 { 2 } else { 1 });
        tp.deceased.push(p.death);

        medical::diagnoses(&mut r, &mut p, t, cal);
        medical::prescriptions(&mut r, &mut p, t, cal);
        medical::observations(&mut r, &mut p, t, cal);
        if let Some(ctx) = ctx.as_mut() {
            claims::claims(&mut r, ctx, &p, t);
        }
        callers.push(Caller {
            row,
            age,
            z: p.z,
            death: p.death,
            kommune,
        });
    }
    let mut rc = rng::rng(world.seed, stream::CALLS, u.national as u64);
    calls::calls(&mut rc, cal, u.national, u.kommune, &callers, t);
}
