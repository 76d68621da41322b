//! Writing and reading back gives the same dataset, in every format.

use almen_core::{Day, Sex, Timestamp};
use almen_dataset::*;
use almen_reference::{KommuneCode, ServiceCode};
use proptest::prelude::*;
use std::path::Path;

fn day(s: &str) -> Day {
    Day::parse(s).unwrap()
}

/// A small dataset with every table and every optional field both empty and filled.
fn sample(n_patients: usize, seed: u64) -> Tables {
    let mut t = Tables {
        present: Present::ALL,
        ..Default::default()
    };
    let c = &mut t.clinics;
    for (i, (k, ty)) in [
        (751u16, ClinicType::Plo),
        (101, ClinicType::Region),
        (461, ClinicType::Udbud),
    ]
    .into_iter()
    .enumerate()
    {
        c.id.push(&format!("{:06}", 100000 + i)).unwrap();
        c.name.push(&format!("Klinik \"{i}\", Æblevej")).unwrap();
        c.kommune.push(KommuneCode::new(k).unwrap());
        c.clinic_type.push(ty);
        c.owner
            .push(if i == 2 { NONE } else { c.owners.intern("O1") });
        c.capacities.push(1.5 + i as f64);
        c.open_for_new.push(i % 2 == 0);
        c.lat.push(if i == 1 {
            None
        } else {
            Some(56.1 + i as f64 / 10.0)
        });
        c.lon.push(if i == 1 { None } else { Some(10.2) });
    }
    let d = &mut t.doctors;
    for i in 0..4u32 {
        d.id.push(&format!("D{i}")).unwrap();
        d.clinic.push(i % 3);
        d.role.push(DoctorRole::ALL[i as usize % 4]);
        d.fte.push(0.5 + (i as f64) * 0.25);
        d.birth_year
            .push(if i == 3 { None } else { Some(1960 + i as i32) });
        d.district.push(if i == 0 {
            NONE
        } else {
            d.districts.intern("Aarhus")
        });
    }
    let p = &mut t.patients;
    for i in 0..n_patients {
        let x = (i as u64).wrapping_mul(2654435761).wrapping_add(seed);
        p.id.push(&format!("P{i:07}")).unwrap();
        p.birth_date
            .push(Day::from_days_since_epoch(-20000 + (x % 25000) as i32));
        p.sex.push(if x % 2 == 0 { Sex::F } else { Sex::M });
        p.kommune
            .push(KommuneCode::new([751, 101, 461][i % 3]).unwrap());
        p.clinic
            .push(if i % 7 == 6 { NONE } else { (i % 3) as u32 });
        p.listed_since.push(if i % 5 == 0 {
            None
        } else {
            Some(day("2020-01-01"))
        });
        p.group.push(if i % 11 == 0 { 2 } else { 1 });
        p.deceased.push(if i % 13 == 0 {
            Some(day("2025-06-01"))
        } else {
            None
        });
    }
    let np = n_patients as u32;
    for i in 0..np * 2 {
        let dg = &mut t.diagnoses;
        dg.patient.push(i % np);
        dg.system.push(if i % 3 == 0 {
            DiagnosisSystem::Icd10
        } else {
            DiagnosisSystem::Icpc2
        });
        dg.code
            .push(dg.codes.intern(if i % 3 == 0 { "DI48" } else { "K78" }));
        dg.date.push(day("2019-03-04").add_days(i as i32));
        dg.end_date.push(if i % 4 == 0 {
            Some(day("2025-01-01"))
        } else {
            None
        });
        let pr = &mut t.prescriptions;
        pr.patient.push(i % np);
        pr.atc.push(
            pr.atcs
                .intern(["M01AE01", "C09DA01", "A10BJ06", "N02A"][i as usize % 4]),
        );
        pr.start.push(day("2024-12-01"));
        pr.end.push(if i % 2 == 0 {
            Some(day("2025-03-01"))
        } else {
            None
        });
        pr.subsidised
            .push([None, Some(true), Some(false)][i as usize % 3]);
        let ob = &mut t.observations;
        ob.patient.push(i % np);
        ob.code.push(ob.codes.intern("DXA_TSCORE"));
        ob.value.push(-2.5 + i as f64 * 0.1);
        ob.unit.push(if i % 2 == 0 {
            NONE
        } else {
            ob.units.intern("SD")
        });
        ob.date.push(day("2025-02-02"));
        let cl = &mut t.claims;
        cl.claim_id.push(&format!("L{i}")).unwrap();
        cl.card_id.push(&format!("K{}", i / 2)).unwrap();
        cl.patient.push(i % np);
        cl.clinic.push(i % 3);
        cl.doctor.push(if i % 5 == 0 { NONE } else { i % 4 });
        cl.service
            .push(ServiceCode::parse(["0101", "6101", "2101"][i as usize % 3]).unwrap());
        cl.quantity.push(if i % 9 == 0 { -1 } else { 1 });
        cl.service_date
            .push(day("2025-01-01").add_days((i % 365) as i32));
        cl.service_time.push(if i % 4 == 0 {
            None
        } else {
            Some((8 * 60 + i % 600) as u16)
        });
        cl.submitted
            .push(day("2025-01-08").add_days((i % 365) as i32));
        cl.fee_dkk
            .push(if i % 3 == 0 { Some(160.72) } else { None });
        let ca = &mut t.calls;
        let rec = Timestamp::parse("2025-03-29T16:00:00")
            .unwrap()
            .plus_seconds(i as i64 * 3607);
        ca.call_id.push(&format!("V{i}")).unwrap();
        ca.received_at.push(rec);
        let abandoned = i % 10 == 0;
        ca.answered_at
            .push((!abandoned).then(|| rec.plus_seconds(600)));
        ca.ended_at
            .push((!abandoned).then(|| rec.plus_seconds(840)));
        ca.priority.push(if i % 8 == 0 {
            Priority::Urgent
        } else {
            Priority::Normal
        });
        ca.district.push(if i % 6 == 0 {
            NONE
        } else {
            ca.districts.intern("Horsens")
        });
        ca.outcome.push(if abandoned {
            Outcome::Abandoned
        } else {
            Outcome::ALL[i as usize % 6]
        });
        ca.booked_for
            .push((i % 6 == 1).then(|| rec.plus_seconds(3600)));
        ca.finished_at
            .push((i % 6 == 1).then(|| rec.plus_seconds(5000)));
        ca.visit_started_at
            .push((i % 6 == 2).then(|| rec.plus_seconds(7000)));
        ca.patient.push(if i % 4 == 0 { NONE } else { i % np });
    }
    t
}

fn write(t: &Tables, dir: &Path, f: Format) {
    let mut w = DatasetWriter::create(dir, f).unwrap();
    w.write_tables(t).unwrap();
    w.finish().unwrap();
}

fn read(dir: &Path) -> Dataset {
    match read_dataset(dir, &ReadOptions::default()) {
        Ok((ds, w)) => {
            assert!(w.is_empty(), "{w:?}");
            ds
        }
        Err(e) => panic!("{e}"),
    }
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

fn check_round_trip(t: &Tables) {
    let root = tempfile::tempdir().unwrap();
    let csv = root.path().join("csv");
    write(t, &csv, Format::Csv);
    let reference = files(&csv);
    for f in [Format::Csv, Format::CsvGz, Format::Parquet] {
        let dir = root.path().join(f.extension());
        write(t, &dir, f);
        let ds = read(&dir);
        assert_eq!(ds.tables(), t, "{f:?}: tables differ after reading back");
        let again = root.path().join(format!("again-{}", f.extension()));
        write(ds.tables(), &again, Format::Csv);
        assert_eq!(files(&again), reference, "{f:?}");
    }
}

#[test]
fn every_table_round_trips_in_every_format() {
    check_round_trip(&sample(40, 0));
}

#[test]
fn writing_is_deterministic() {
    let t = sample(100, 3);
    let root = tempfile::tempdir().unwrap();
    for f in [Format::Csv, Format::CsvGz, Format::Parquet] {
        let (a, b) = (root.path().join("a"), root.path().join("b"));
        write(&t, &a, f);
        write(&t, &b, f);
        assert_eq!(files(&a), files(&b), "{f:?}");
    }
}

/// Large tables are read a few row groups at a time on every core: the pieces must come back
/// in file order, and an error in a later row group must name its row in the whole file.
#[test]
fn many_row_groups_read_back_in_order_with_whole_file_row_numbers() {
    let t = sample(40, 3);
    let write_small_groups = |t: &Tables, dir: &Path| {
        let mut w = DatasetWriter::create(dir, Format::Parquet)
            .unwrap()
            .with_row_group_rows(7);
        w.write_tables(t).unwrap();
        w.finish().unwrap();
    };
    let root = tempfile::tempdir().unwrap();
    let good = root.path().join("good");
    write_small_groups(&t, &good);
    assert_eq!(read(&good).tables(), &t);

    // The same claims file beside a patients table where patient 30 has another id: claim
    // lines 31 and 71 (row groups 5 and 11) now name a patient that does not exist.
    let mut renamed = t.clone();
    let mut ids = StrCol::default();
    for (i, id) in t.patients.id.iter().enumerate() {
        ids.push(if i == 30 { "RENAMED" } else { id }).unwrap();
    }
    renamed.patients.id = ids;
    let bad = root.path().join("bad");
    write_small_groups(&renamed, &bad);
    std::fs::copy(good.join("claims.parquet"), bad.join("claims.parquet")).unwrap();
    let errs = read_dataset(&bad, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    let claims: Vec<&str> = errs.lines().filter(|l| l.contains("claims")).collect();
    assert_eq!(claims.len(), 2, "{errs}");
    assert!(
        claims[0].contains("claims.parquet:31: patient_id"),
        "{errs}"
    );
    assert!(
        claims[1].contains("claims.parquet:71: patient_id"),
        "{errs}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn random_sizes_round_trip(n in 1usize..60, seed in any::<u64>()) {
        check_round_trip(&sample(n, seed));
    }
}
