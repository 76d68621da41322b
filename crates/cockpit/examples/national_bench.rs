//! Times the shipped lists on a national-sized synthetic dataset built in memory.
//!
//! `cargo run --release -p almen-cockpit --example national_bench -- [patients] [clinics]`
//! (defaults: 6,000,000 patients in 1,800 clinics, about 20 M prescriptions, 9 M diagnoses,
//! 30 M claim lines). Alternatively pass a dataset folder: `-- --dir PATH`.
//! The data are random, not realistic: the point is the row volumes and code variety.

use almen_cockpit::{
    Level, ListSet, aggregate_from, evaluate_all, evaluate_clinic, lists_report_from,
    members_report,
};
use almen_core::{Day, Sex};
use almen_dataset::*;
use almen_reference::{KommuneCode, ServiceCode, kommuner};
use std::time::Instant;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

const ATC: &[&str] = &[
    "N02AA01", "N02AX02", "N02AJ06", "N02AJ08", "N02BE01", "M01AE01", "M01AE02", "M01AH01",
    "M01AX05", "C09AA02", "C09AA05", "C09CA01", "C09CA06", "C09DA01", "C09BA02", "C03AA03",
    "C03CA01", "C03DA01", "C07AB02", "C07AB07", "C08CA01", "C10AA01", "C10AA05", "B01AC06",
    "B01AF01", "B01AF02", "B01AA03", "A10BA02", "A10BJ06", "A10BJ02", "A10BK01", "A10AE04",
    "A02BC01", "A02BC02", "N06AB04", "N06AB06", "N06AX11", "N05CF01", "N05AH04", "N05AN01",
    "N06DA02", "N06DX01", "N06BA04", "N06BA09", "M05BA04", "M05BX04", "H03AA01", "R03AC02",
    "R03BB04", "R03AK06", "R03AL04", "A12AX", "A11CC05", "G03CA03", "J01CE02", "J01CA04",
    "S01ED51", "D07AC01", "L04AX03", "H02AB06",
];

const DX: &[&str] = &[
    "K86", "K87", "T90", "T89", "R95", "R96", "K74", "K76", "K77", "K78", "P76", "P70", "P72",
    "P73", "P81", "L95", "L75", "A97", "R74", "L03", "S03", "U71", "D12", "F70", "DI10", "DI48",
    "DI489", "DE119", "DE109", "DJ449", "DJ459", "DI209", "DI500", "DF329", "DF200", "DF310",
    "DF001", "DG309", "DF900", "DM819", "DS720", "DS220", "DM485", "DK219", "DJ069", "DR509",
];

fn synth(n_patients: usize, n_clinics: usize, seed: u64) -> Tables {
    let mut rng = Rng(seed);
    let mut t = Tables {
        present: Present::ALL,
        ..Default::default()
    };
    let ks: Vec<KommuneCode> = kommuner().iter().map(|k| k.code).collect();
    let end = Day::parse("2025-12-31").unwrap();
    let c = &mut t.clinics;
    let mut clinic_kommune = Vec::new();
    for i in 0..n_clinics {
        let k = ks[i % ks.len()];
        clinic_kommune.push(k);
        c.id.push(&format!("{:06}", 100000 + i)).unwrap();
        c.name.push(&format!("Klinik {i}")).unwrap();
        c.kommune.push(k);
        c.clinic_type.push(ClinicType::Plo);
        c.owner.push(NONE);
        c.capacities.push(2.0);
        c.open_for_new.push(true);
        c.lat.push(None);
        c.lon.push(None);
    }
    let d = &mut t.doctors;
    let mut doctors_of: Vec<Vec<u32>> = vec![Vec::new(); n_clinics];
    for ci in 0..n_clinics {
        for j in 0..(2 + ci % 3) {
            doctors_of[ci].push(d.id.len() as u32);
            d.id.push(&format!("L{ci}-{j}")).unwrap();
            d.clinic.push(ci as u32);
            d.role.push(DoctorRole::Owner);
            d.fte.push(1.0);
            d.birth_year.push(None);
            d.district.push(NONE);
        }
    }
    let atc_ids: Vec<u32> = ATC.iter().map(|a| t.prescriptions.atcs.intern(a)).collect();
    let dx_ids: Vec<(u32, DiagnosisSystem)> = DX
        .iter()
        .map(|c| {
            let sys = if c.len() > 3 && c.starts_with('D') {
                DiagnosisSystem::Icd10
            } else {
                DiagnosisSystem::Icpc2
            };
            (t.diagnoses.codes.intern(c), sys)
        })
        .collect();
    // Real extracts carry thousands of distinct codes: every one is classified per evaluation.
    for i in 0..6_000u32 {
        let l = (b'A' + (i % 20) as u8) as char;
        let m = (b'A' + (i / 20 % 26) as u8) as char;
        t.prescriptions.atcs.intern(&format!(
            "{l}{:02}{m}{}{:02}",
            i % 97,
            (b'A' + (i % 7) as u8) as char,
            i % 100
        ));
    }
    for i in 0..20_000u32 {
        let l = (b'A' + (i % 26) as u8) as char;
        t.diagnoses.codes.intern(&format!("D{l}{:03}", i / 26));
    }
    let dxa = t.observations.codes.intern("DXA_TSCORE");
    let hba1c = t.observations.codes.intern("HBA1C");
    let services: Vec<ServiceCode> = ["0101", "0101", "0101", "0201", "0105", "0411", "0120"]
        .iter()
        .map(|s| ServiceCode::parse(s).unwrap())
        .collect();
    for i in 0..n_patients {
        let p = &mut t.patients;
        // Skewed clinic sizes, patients placed in blocks (like a file sorted by clinic).
        let ci = ((i as u64 * n_clinics as u64) / n_patients as u64) as usize;
        let age = rng.below(95) as i32;
        p.id.push(&format!("P{i:08}")).unwrap();
        p.birth_date
            .push(end.add_days(-age * 365 - rng.below(365) as i32));
        p.sex.push(if rng.below(2) == 0 { Sex::F } else { Sex::M });
        p.kommune.push(clinic_kommune[ci]);
        p.clinic
            .push(if rng.chance(0.01) { NONE } else { ci as u32 });
        p.listed_since.push(None);
        p.group.push(1);
        p.deceased.push(if rng.chance(0.01) {
            Some(end.add_days(-(rng.below(700) as i32)))
        } else {
            None
        });
        let pi = i as u32;
        // Prescriptions: older patients get more.
        let n_rx = (rng.below(3 + age as u64 / 10)) as usize;
        for _ in 0..n_rx {
            let r = &mut t.prescriptions;
            r.patient.push(pi);
            r.atc
                .push(atc_ids[rng.below(atc_ids.len() as u64) as usize]);
            let start = end.add_days(-(rng.below(1500) as i32));
            r.start.push(start);
            r.end.push(if rng.chance(0.4) {
                None
            } else {
                Some(start.add_days(rng.below(400) as i32))
            });
            r.subsidised.push(None);
        }
        let n_dx = rng.below(4) as usize;
        for _ in 0..n_dx {
            let g = &mut t.diagnoses;
            let (code, sys) = dx_ids[rng.below(dx_ids.len() as u64) as usize];
            g.patient.push(pi);
            g.system.push(sys);
            g.code.push(code);
            let date = end.add_days(-(rng.below(4000) as i32));
            g.date.push(date);
            g.end_date.push(if rng.chance(0.8) {
                None
            } else {
                Some(date.add_days(rng.below(1000) as i32))
            });
        }
        if rng.chance(0.2) {
            let o = &mut t.observations;
            o.patient.push(pi);
            let is_dxa = rng.chance(0.3);
            o.code.push(if is_dxa { dxa } else { hba1c });
            o.value.push(if is_dxa {
                -4.0 + rng.below(50) as f64 / 10.0
            } else {
                30.0 + rng.below(60) as f64
            });
            o.unit.push(NONE);
            o.date.push(end.add_days(-(rng.below(1500) as i32)));
        }
        let n_claims = rng.below(11) as usize;
        let docs = &doctors_of[ci];
        for _ in 0..n_claims {
            let c = &mut t.claims;
            c.claim_id.push("").unwrap();
            c.card_id.push("").unwrap();
            c.patient.push(pi);
            c.clinic.push(ci as u32);
            c.doctor.push(docs[rng.below(docs.len() as u64) as usize]);
            c.service
                .push(services[rng.below(services.len() as u64) as usize]);
            c.quantity.push(1);
            let date = end.add_days(-(rng.below(730) as i32));
            c.service_date.push(date);
            c.service_time.push(None);
            c.submitted.push(date);
            c.fee_dkk.push(None);
        }
    }
    t
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let t0 = Instant::now();
    let ds = if args.first().map(String::as_str) == Some("--dir") {
        let dir = std::path::Path::new(&args[1]);
        read_dataset(dir, &ReadOptions::default())
            .unwrap_or_else(|e| panic!("{e}"))
            .0
    } else {
        let n_patients: usize = args
            .first()
            .and_then(|s| s.parse().ok())
            .unwrap_or(6_000_000);
        let n_clinics: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1_800);
        Dataset::from_tables(synth(n_patients, n_clinics, 7)).unwrap()
    };
    println!(
        "dataset: {} clinics, {} patients, {} prescriptions ({} ATC codes), {} diagnoses ({} codes), {} observations, {} claims ({:.1} s to build)",
        ds.clinics.len(),
        ds.patients.len(),
        ds.prescriptions.len(),
        ds.prescriptions.atcs.len(),
        ds.diagnoses.len(),
        ds.diagnoses.codes.len(),
        ds.observations.len(),
        ds.claims.len(),
        t0.elapsed().as_secs_f64()
    );
    let lists = ListSet::shipped();
    let date = ds.last_date().unwrap();
    println!("threads: {}", rayon::current_num_threads());
    for round in 0..2 {
        let t = Instant::now();
        let counts = evaluate_all(&ds, &lists, date);
        let all = t.elapsed();
        let t = Instant::now();
        let report = lists_report_from(&ds, &lists, &counts, Some(0), date);
        let areas = aggregate_from(&ds, &lists, &counts, date, Level::Region);
        let rep = t.elapsed();
        let total: u32 = counts.iter().map(|c| c.population).sum();
        println!(
            "round {round}: evaluate_all {:.2} s for {} clinics, {} patients; report + region aggregate {:.1} ms ({} lists, {} regions)",
            all.as_secs_f64(),
            counts.len(),
            total,
            rep.as_secs_f64() * 1000.0,
            report.lists.len(),
            areas.len()
        );
    }
    let biggest = (0..ds.clinics.len() as u32)
        .max_by_key(|&c| ds.index.patients_by_clinic.rows_of(c).len())
        .unwrap();
    for c in [0, biggest] {
        let t = Instant::now();
        let one = evaluate_clinic(&ds, &lists, c, date);
        let e = t.elapsed();
        let t = Instant::now();
        let m = members_report(&ds, &lists, c, "polypharmacy_5", date, false).unwrap();
        let mr = t.elapsed();
        let members: u32 = one.lists.iter().map(|l| l.count).sum();
        println!(
            "clinic {} ({} patients): evaluate_clinic {:.1} ms ({} memberships with reasons); members_report polypharmacy_5 {:.1} ms ({} members)",
            one.clinic_id,
            one.population,
            e.as_secs_f64() * 1000.0,
            members,
            mr.as_secs_f64() * 1000.0,
            m.count
        );
    }
}
