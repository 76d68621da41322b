//! Synthetic Denmark: determinism, validity and plausibility on small scales.

use almen_core::Day;
use almen_dataset::{
    Dataset, DiagnosisSystem, Format, NONE, Outcome, Priority, ReadOptions, Table, Tables,
    read_dataset,
};
use almen_synth::{Scale, SynthError, SynthOptions, generate, generate_tables};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

const YEAR: i32 = 2025;

fn clinic() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| generate_tables(Scale::Clinic, 11, YEAR).unwrap())
}

/// Skive: ~46,000 residents, some GP shortage (unlisted residents, closed lists).
fn kommune() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| generate_tables(Scale::kommune(779).unwrap(), 7, YEAR).unwrap())
}

fn day(s: &str) -> Day {
    Day::parse(s).unwrap()
}

fn share(n: usize, of: usize) -> f64 {
    n as f64 / of.max(1) as f64
}

#[test]
fn same_seed_same_tables_different_seed_different_tables() {
    let a = generate_tables(Scale::Clinic, 11, YEAR).unwrap();
    assert!(a == *clinic(), "same seed, different tables");
    let b = generate_tables(Scale::Clinic, 12, YEAR).unwrap();
    assert!(a != b);
    assert_ne!(a.patients.id.get(0), b.patients.id.get(0));
}

#[test]
fn a_clinic_is_a_valid_dataset_with_its_listed_patients() {
    let t = clinic().clone();
    assert_eq!(t.clinics.len(), 1);
    let listed = t.patients.clinic.iter().filter(|c| **c == 0).count();
    assert!((1400..=3000).contains(&listed), "{listed} listed");
    let ds = Dataset::from_tables(t).unwrap_or_else(|e| panic!("{e}"));
    for table in Table::ALL {
        assert!(ds.rows(table) > 0, "{} is empty", table.name());
    }
    assert!(ds.last_date() <= Some(day("2025-12-31")));
    assert!(
        ds.date_range.unwrap().0 < day("2025-01-01"),
        "history before the year"
    );
    // Ids: patients P + 8 digits, clinic a six-digit provider number, unique claim ids.
    assert!(
        ds.patients
            .id
            .iter()
            .all(|i| i.len() == 9 && i.starts_with('P'))
    );
    assert!(ds.clinics.id.get(0).len() == 6);
    let claims: HashSet<&str> = ds.claims.claim_id.iter().collect();
    assert_eq!(claims.len(), ds.claims.len());
}

#[test]
fn written_files_are_byte_identical_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    for format in [Format::Parquet, Format::Csv] {
        let mut files: Vec<Vec<(String, Vec<u8>)>> = Vec::new();
        for run in ["a", "b"] {
            let out = dir.path().join(format!("{run}-{}", format.extension()));
            let calls = std::sync::atomic::AtomicUsize::new(0);
            let opts = SynthOptions {
                scale: Scale::Clinic,
                seed: 11,
                year: YEAR,
                format,
                out: out.clone(),
            };
            let summary = generate(&opts, &|p| {
                assert!(p.done <= p.total);
                calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            })
            .unwrap();
            assert!(calls.into_inner() >= 3, "progress reported");
            let (ds, _) =
                read_dataset(&out, &ReadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
            for (table, n) in &summary.rows {
                assert_eq!(ds.rows(*table) as u64, *n, "{}", table.name());
                assert_eq!(*n as usize, clinic().rows(*table), "{}", table.name());
            }
            assert_eq!(
                summary.patients_listed as usize,
                clinic()
                    .patients
                    .clinic
                    .iter()
                    .filter(|c| **c != NONE)
                    .count()
            );
            let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(&out)
                .unwrap()
                .map(|e| {
                    let e = e.unwrap();
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).unwrap(),
                    )
                })
                .collect();
            v.sort();
            assert_eq!(v.len(), 8);
            files.push(v);
        }
        assert!(
            files[0] == files[1],
            "{format:?}: same seed, different bytes"
        );
    }
}

#[test]
fn options_errors_are_clear() {
    let e = Scale::kommune(999).unwrap_err();
    assert!(e.to_string().contains("unknown municipality code"), "{e}");
    assert!(matches!(
        Scale::region("fyn"),
        Err(SynthError::UnknownRegion(_))
    ));
    assert_eq!(
        Scale::region("midt").unwrap(),
        Scale::Region(almen_reference::Region::Midtjylland)
    );
    assert!(matches!(
        generate_tables(Scale::Clinic, 1, 1800),
        Err(SynthError::Year(1800))
    ));
}

/// Patients with an unresolved diagnosis among `codes`.
fn with_codes(t: &Tables, codes: &[&str]) -> HashSet<u32> {
    let d = &t.diagnoses;
    (0..d.len())
        .filter(|&i| d.end_date[i].is_none() && codes.contains(&d.codes.get(d.code[i])))
        .map(|i| d.patient[i])
        .collect()
}

#[test]
fn kommune_prevalences_are_plausible() {
    let t = kommune();
    let n = t.patients.len();
    assert!((40_000..52_000).contains(&n), "{n}");
    let kommuner: HashSet<u16> = t.patients.kommune.iter().map(|k| k.get()).collect();
    assert!(
        kommuner.contains(&779) && kommuner.len() > 1,
        "mostly own kommune, some neighbours"
    );
    let unlisted = t.patients.clinic.iter().filter(|c| **c == NONE).count();
    assert!(
        (0.01..0.08).contains(&share(unlisted, n)),
        "unlisted {unlisted}"
    );
    let group2 = t.patients.group.iter().filter(|g| **g == 2).count();
    assert!((0.008..0.02).contains(&share(group2, n)));
    let dead = t.patients.deceased.iter().filter(|d| d.is_some()).count();
    assert!((0.006..0.016).contains(&share(dead, n)), "deaths {dead}");
    // Per cent of all residents, wide bands around Danish register figures.
    let bands: [(&str, &[&str], f64, f64); 13] = [
        ("diabetes", &["T89", "T90", "DE10", "DE11"], 4.0, 8.5),
        ("copd", &["R95", "DJ44", "DJ449"], 1.8, 5.0),
        ("asthma", &["R96", "DJ45"], 3.5, 8.0),
        ("hypertension", &["K86", "K87", "DI10"], 9.0, 20.0),
        ("ihd", &["K74", "K76", "DI25", "DI21"], 1.8, 5.5),
        ("heart failure", &["K77", "DI50", "DI11"], 0.5, 2.0),
        ("atrial fibrillation", &["K78", "DI48"], 1.6, 4.5),
        ("dementia", &["P70", "DF03", "DG30", "DF00"], 0.4, 2.0),
        ("osteoporosis", &["L95", "DM81"], 1.0, 4.5),
        ("depression", &["P76", "DF32", "DF33"], 1.5, 6.0),
        ("adhd", &["P81", "DF90", "DF900"], 0.8, 3.0),
        ("schizophrenia", &["P72", "DF20"], 0.3, 1.2),
        ("bipolar", &["P73", "DF31"], 0.2, 1.0),
    ];
    for (name, codes, lo, hi) in bands {
        let p = 100.0 * share(with_codes(t, codes).len(), n);
        assert!((lo..hi).contains(&p), "{name}: {p:.2} % not in {lo}-{hi}");
    }
    // Mostly ICPC-2, some ICD-10 (SKS) hospital diagnoses, some resolved.
    let d = &t.diagnoses;
    let icd = d
        .system
        .iter()
        .filter(|s| **s == DiagnosisSystem::Icd10)
        .count();
    assert!((0.1..0.45).contains(&share(icd, d.len())), "ICD-10 share");
    let resolved = d.end_date.iter().filter(|e| e.is_some()).count();
    assert!((0.1..0.7).contains(&share(resolved, d.len())));
}

#[test]
fn every_code_exists_in_the_reference_lists() {
    for t in [clinic(), kommune()] {
        for a in t.prescriptions.atcs.values() {
            assert!(
                almen_reference::atc_exists(a),
                "ATC {a} not in the WHO index"
            );
        }
        let d = &t.diagnoses;
        let mut seen = HashSet::new();
        for i in 0..d.len() {
            let code = d.codes.get(d.code[i]);
            if !seen.insert((d.system[i], code)) {
                continue;
            }
            match d.system[i] {
                DiagnosisSystem::Icpc2 => {
                    assert!(
                        almen_reference::icpc2_title(code).is_some(),
                        "ICPC-2 {code}"
                    )
                }
                DiagnosisSystem::Icd10 => {
                    assert!(almen_reference::icd10_title(code).is_some(), "SKS {code}")
                }
            }
        }
        for s in &t.claims.service {
            assert!(s.info().is_some(), "service {s} not in the catalogue");
        }
    }
}

#[test]
fn drugs_follow_the_diagnoses() {
    let t = kommune();
    let rx = &t.prescriptions;
    let mid = day("2025-07-01");
    let active_on = |i: usize, d: Day| rx.start[i] <= d && rx.end[i].is_none_or(|e| e >= d);
    let atc = |i: usize| rx.atcs.get(rx.atc[i]);
    let on = |prefixes: &[&str]| -> HashSet<u32> {
        (0..rx.len())
            .filter(|&i| active_on(i, mid) && prefixes.iter().any(|p| atc(i).starts_with(p)))
            .map(|i| rx.patient[i])
            .collect()
    };
    // Most but not all AF patients are anticoagulated.
    let af = with_codes(t, &["K78", "DI48"]);
    let oac = on(&["B01AF01", "B01AF02", "B01AF03", "B01AE07", "B01AA03"]);
    let s = share(af.intersection(&oac).count(), af.len());
    assert!((0.55..0.9).contains(&s), "AF on OAC {s:.2}");
    // GLP-1 with and without other antidiabetics.
    let glp1 = on(&["A10BJ"]);
    let other = on(&["A10BA", "A10BB", "A10BD", "A10BH", "A10BK", "A10A"]);
    assert!(glp1.iter().any(|p| other.contains(p)) && glp1.iter().any(|p| !other.contains(p)));
    // Combination products, NSAIDs, opioids, anti-dementia, osteoporosis and ADHD drugs.
    for code in [
        "C09DA01", "C09BA02", "M01AE01", "M01AB05", "N02AA01", "N02AX02", "N06DA02", "M05BA04",
        "N06BA04", "N05AN01",
    ] {
        assert!(rx.atcs.lookup(code).is_some(), "{code} never prescribed");
    }
    // Stops before the year's end.
    assert!(
        rx.end
            .iter()
            .any(|e| e.is_some_and(|e| e > day("2025-01-01") && e < day("2025-12-31")))
    );
    // Polypharmacy: share with ≥5 distinct drugs during the first half-year (Kornholt &
    // Christensen 2020: 12 % of all, 51 % of the 75+).
    let jan1 = day("2025-01-01");
    let mut drugs: HashMap<u32, HashSet<u32>> = HashMap::new();
    for i in 0..rx.len() {
        if rx.start[i] <= mid && rx.end[i].is_none_or(|e| e >= jan1) {
            drugs.entry(rx.patient[i]).or_default().insert(rx.atc[i]);
        }
    }
    let n = t.patients.len();
    let poly = |f: &dyn Fn(usize) -> bool| {
        let all = (0..n).filter(|i| f(*i)).count();
        let k = (0..n)
            .filter(|i| f(*i) && drugs.get(&(*i as u32)).is_some_and(|d| d.len() >= 5))
            .count();
        share(k, all)
    };
    let everyone = poly(&|_| true);
    let old = poly(&|i| t.patients.birth_date[i].age_at(jan1) >= 75);
    assert!(
        (0.08..0.2).contains(&everyone),
        "polypharmacy {everyone:.3}"
    );
    assert!((0.38..0.65).contains(&old), "polypharmacy 75+ {old:.3}");
    // Long-term opioid series: some continuous (gaps ≤ 14 days), some with a 15+ day gap.
    let mut series: HashMap<(u32, u32), Vec<(Day, Day)>> = HashMap::new();
    for i in 0..rx.len() {
        if atc(i).starts_with("N02A")
            && let Some(e) = rx.end[i]
        {
            series
                .entry((rx.patient[i], rx.atc[i]))
                .or_default()
                .push((rx.start[i], e));
        }
    }
    let (mut continuous, mut gapped) = (0, 0);
    for v in series.values_mut().filter(|v| v.len() >= 4) {
        v.sort();
        let max_gap = v
            .windows(2)
            .map(|w| w[0].1.days_until(w[1].0))
            .max()
            .unwrap_or(0);
        if max_gap <= 14 {
            continuous += 1
        } else {
            gapped += 1
        }
    }
    assert!(
        continuous > 20 && gapped > 10,
        "opioid series {continuous} continuous, {gapped} gapped"
    );
}

#[test]
fn dxa_groups_are_near_the_fls_shares() {
    let t = kommune();
    let o = &t.observations;
    let mut latest: HashMap<u32, (Day, f64)> = HashMap::new();
    for i in 0..o.len() {
        if o.codes.get(o.code[i]) == "DXA_TSCORE" {
            let e = latest
                .entry(o.patient[i])
                .or_insert((o.date[i], o.value[i]));
            if o.date[i] >= e.0 {
                *e = (o.date[i], o.value[i]);
            }
        }
    }
    let n = latest.len();
    assert!(n > 300, "{n} scanned");
    let normal = share(latest.values().filter(|v| v.1 > -1.0).count(), n);
    let porosis = share(latest.values().filter(|v| v.1 <= -2.5).count(), n);
    assert!((0.1..0.25).contains(&normal), "normal {normal:.2}");
    assert!((0.22..0.4).contains(&porosis), "osteoporosis {porosis:.2}");
    // Every observation code is one of the named ones, with units.
    for c in o.codes.values() {
        assert!(
            ["DXA_TSCORE", "HBA1C", "BP_SYS", "BP_DIA", "EGFR"].contains(&c.as_str()),
            "{c}"
        );
    }
}

#[test]
fn claims_look_like_bill_cards() {
    let t = kommune();
    let c = &t.claims;
    let listed = t.patients.clinic.iter().filter(|c| **c != NONE).count();
    let mut cards: HashMap<&str, (u32, Day)> = HashMap::new();
    for i in 0..c.len() {
        let e = cards
            .entry(c.card_id.get(i))
            .or_insert((c.patient[i], c.service_date[i]));
        assert_eq!(
            *e,
            (c.patient[i], c.service_date[i]),
            "a card is one patient contact"
        );
        assert!(
            c.submitted[i] > c.service_date[i]
                && c.service_date[i].days_until(c.submitted[i]) <= 130
        );
        if let Some(m) = c.service_time[i] {
            assert!((480..960).contains(&m), "service time {m}");
        }
        assert!(c.service_date[i] >= day("2025-01-01") && c.service_date[i] <= day("2025-12-31"));
        // The doctor is one of the clinic's.
        if c.doctor[i] != NONE {
            assert_eq!(t.doctors.clinic[c.doctor[i] as usize], c.clinic[i]);
        }
    }
    let per_listed = cards.len() as f64 / listed as f64;
    assert!(
        (5.0..9.0).contains(&per_listed),
        "{per_listed:.2} cards per listed patient"
    );
    let code = |i: usize| c.service[i].as_str();
    let count = |s: &str| (0..c.len()).filter(|&i| code(i) == s).count();
    for s in [
        "0101", "0201", "0105", "0125", "0120", "0411", "2101", "6101", "4201",
    ] {
        assert!(count(s) > 0, "no {s}");
    }
    assert!(count("0101") > count("0201") && count("0201") > count("0125"));
    // Fees come from the catalogue (0101 has one from 2024), others are empty.
    assert!((0..c.len()).any(|i| code(i) == "0101" && c.fee_dkk[i].is_some()));
    assert!((0..c.len()).all(|i| code(i) != "6101" || c.fee_dkk[i].is_none()));
    // Corrections with negative quantities, and isolated 6101s (exactly one net in the year),
    // some with a 0101 that should have been a 6101, some corrected 0101 -1 / 6101 +1.
    assert!(c.quantity.iter().any(|q| *q < 0));
    let mut net: HashMap<u32, i32> = HashMap::new();
    for i in 0..c.len() {
        if code(i) == "6101" {
            *net.entry(c.patient[i]).or_default() += c.quantity[i];
        }
    }
    let isolated = net.values().filter(|v| **v == 1).count();
    assert!(
        isolated >= 5 && isolated * 4 < net.len(),
        "{isolated} isolated of {}",
        net.len()
    );
    let corrected = (0..c.len())
        .filter(|&i| code(i) == "0101" && c.quantity[i] == -1)
        .count();
    assert!(corrected > 0);
    // Continuity varies: most patients see mostly one doctor.
    let mut by_patient: HashMap<u32, HashMap<u32, u32>> = HashMap::new();
    for i in 0..c.len() {
        if c.doctor[i] != NONE && code(i) == "0101" {
            *by_patient
                .entry(c.patient[i])
                .or_default()
                .entry(c.doctor[i])
                .or_default() += 1;
        }
    }
    let upc: Vec<f64> = by_patient
        .values()
        .filter(|m| m.values().sum::<u32>() >= 4)
        .map(|m| *m.values().max().unwrap() as f64 / m.values().sum::<u32>() as f64)
        .collect();
    let mean = upc.iter().sum::<f64>() / upc.len() as f64;
    assert!((0.55..0.95).contains(&mean), "mean UPC {mean:.2}");
    assert!(upc.iter().any(|u| *u < 0.5) && upc.contains(&1.0));
}

#[test]
fn out_of_hours_calls_meet_the_service_targets_roughly() {
    let t = kommune();
    let c = &t.calls;
    let n = c.len();
    let per_inhabitant = n as f64 / t.patients.len() as f64;
    assert!(
        (0.42..0.62).contains(&per_inhabitant),
        "{per_inhabitant:.2} calls per inhabitant"
    );
    let abandoned = (0..n)
        .filter(|&i| c.outcome[i] == Outcome::Abandoned)
        .count();
    assert!((0.025..0.06).contains(&share(abandoned, n)));
    assert!((0..n).all(|i| (c.outcome[i] == Outcome::Abandoned) == c.answered_at[i].is_none()));
    let urgent = c
        .priority
        .iter()
        .filter(|p| **p == Priority::Urgent)
        .count();
    assert!((0.07..0.13).contains(&share(urgent, n)));
    let waits: Vec<i64> = (0..n)
        .filter_map(|i| c.answered_at[i].map(|a| c.received_at[i].seconds_until(a)))
        .collect();
    let mean = waits.iter().sum::<i64>() as f64 / waits.len() as f64 / 60.0;
    let within = |m: i64| share(waits.iter().filter(|w| **w <= m * 60).count(), waits.len());
    assert!((9.0..13.0).contains(&mean), "mean wait {mean:.1} min");
    assert!(
        (0.64..0.8).contains(&within(15)),
        "{:.2} within 15 min",
        within(15)
    );
    assert!(
        (0.75..0.88).contains(&within(20)),
        "{:.2} within 20 min",
        within(20)
    );
    let answered = n - abandoned;
    let out = |o: Outcome| share((0..n).filter(|&i| c.outcome[i] == o).count(), answered);
    assert!(
        (0.55..0.72).contains(&out(Outcome::Advice)),
        "advice {:.2}",
        out(Outcome::Advice)
    );
    assert!((0.15..0.26).contains(&out(Outcome::Consultation)));
    assert!(
        (0.08..0.14).contains(&out(Outcome::HomeVisit)),
        "home {:.3}",
        out(Outcome::HomeVisit)
    );
    assert!((0.005..0.025).contains(&out(Outcome::Ambulance)));
    assert!(out(Outcome::Video) > 0.0 && out(Outcome::Referral) > 0.0);
    // Consultations finished within an hour of the booked time ~80 %; home visits within 3 h
    // of the call ~90 %.
    let cons: Vec<usize> = (0..n)
        .filter(|&i| c.outcome[i] == Outcome::Consultation)
        .collect();
    let on_time = cons
        .iter()
        .filter(|&&i| {
            let (b, f) = (c.booked_for[i].unwrap(), c.finished_at[i].unwrap());
            b > c.ended_at[i].unwrap() && b.seconds_until(f) <= 3600
        })
        .count();
    assert!((0.72..0.88).contains(&share(on_time, cons.len())));
    let visits: Vec<usize> = (0..n)
        .filter(|&i| c.outcome[i] == Outcome::HomeVisit)
        .collect();
    let in_time = visits
        .iter()
        .filter(|&&i| {
            c.ended_at[i]
                .unwrap()
                .seconds_until(c.visit_started_at[i].unwrap())
                <= 3 * 3600
        })
        .count();
    assert!((0.84..0.95).contains(&share(in_time, visits.len())));
    // Opening hours: never on a weekday 08-16 (except holidays); the evening peak; weekends
    // about twice a weekday.
    let holidays = [
        "2025-01-01",
        "2025-04-17",
        "2025-04-18",
        "2025-04-21",
        "2025-05-29",
        "2025-06-09",
        "2025-12-24",
        "2025-12-25",
        "2025-12-26",
        "2025-12-31",
    ];
    let mut hours = [0usize; 24];
    let (mut weekday, mut weekend) = (0usize, 0usize);
    for t in &c.received_at {
        let l = t.to_local();
        let d = Day::from_naive(l.date_naive());
        let h = chrono::Timelike::hour(&l) as usize;
        let closed = d.weekday() >= 5 || holidays.contains(&d.to_string().as_str());
        assert!(
            closed || !(8..16).contains(&h),
            "call at {t} in clinic hours"
        );
        assert!(d.year() == 2025);
        hours[h] += 1;
        if d.weekday() == 5 || d.weekday() == 6 {
            weekend += 1
        } else {
            weekday += 1
        }
    }
    assert!(hours[17] > 2 * hours[22] && hours[16] > hours[12]);
    let ratio = (weekend as f64 / 104.0) / (weekday as f64 / 261.0);
    assert!((1.5..2.6).contains(&ratio), "weekend/weekday {ratio:.2}");
    // Most callers are known patients of the dataset.
    let known = c.patient.iter().filter(|p| **p != NONE).count();
    assert!((0.8..0.97).contains(&share(known, n)));
    assert!(c.district.iter().all(|d| *d != NONE));
}

#[test]
fn nothing_happens_after_death() {
    let t = kommune();
    let death = |p: u32| t.patients.deceased[p as usize];
    let after = |p: u32, d: Day| death(p).is_some_and(|x| d > x);
    for i in 0..t.claims.len() {
        assert!(!after(t.claims.patient[i], t.claims.service_date[i]));
    }
    for i in 0..t.diagnoses.len() {
        assert!(!after(t.diagnoses.patient[i], t.diagnoses.date[i]));
        assert!(t.diagnoses.date[i] <= day("2025-12-31"));
    }
    for i in 0..t.prescriptions.len() {
        assert!(!after(t.prescriptions.patient[i], t.prescriptions.start[i]));
    }
    for i in 0..t.observations.len() {
        assert!(!after(t.observations.patient[i], t.observations.date[i]));
    }
    for i in 0..t.calls.len() {
        let p = t.calls.patient[i];
        if p != NONE
            && let Some(d) = death(p)
        {
            let received = Day::from_naive(t.calls.received_at[i].to_local().date_naive());
            assert!(received <= d);
        }
    }
}

#[test]
fn clinics_and_doctors_look_like_general_practice() {
    let t = kommune();
    let c = &t.clinics;
    assert!(c.capacities.iter().all(|x| (0.5..=9.0).contains(x)));
    assert!(c.open_for_new.iter().any(|o| !o));
    assert!(c.lat.iter().zip(&c.lon).all(|(a, b)| {
        let (a, b) = (a.unwrap(), b.unwrap());
        (56.2..57.0).contains(&a) && (8.6..9.5).contains(&b)
    }));
    let d = &t.doctors;
    let roles: HashSet<_> = d.role.iter().collect();
    assert!(roles.len() >= 2, "{roles:?}");
    assert!(d.districts.values().iter().all(|x| x == "Viborg"));
    let patients_per_capacity = t.patients.clinic.iter().filter(|x| **x != NONE).count() as f64
        / c.capacities.iter().sum::<f64>();
    assert!(
        (1300.0..2000.0).contains(&patients_per_capacity),
        "{patients_per_capacity}"
    );
}
