//! The model on a synthetic municipality: the cockpit agrees on conditions, the steps run and
//! keep their invariants, and the fit recovers what it should.

mod common;

use almen_capacity::fit::{fit_weights, year_start, yearly_fees};
use almen_capacity::*;
use almen_cockpit::{ListSet, evaluate_all, memberships};
use almen_core::Sex;
use almen_dataset::{ClinicType, Dataset, NONE};
use almen_synth::{Scale, generate_tables};
use common::*;
use std::sync::OnceLock;

/// Odder (727): about 23,000 citizens, a dozen clinics, a year of claims.
fn odder() -> &'static Dataset {
    static DS: OnceLock<Dataset> = OnceLock::new();
    DS.get_or_init(|| {
        let t = generate_tables(Scale::kommune(727).unwrap(), 5, 2025).unwrap();
        Dataset::from_tables(t).unwrap()
    })
}

fn date() -> almen_core::Day {
    odder().last_date().unwrap()
}

/// Per clinic, per list: members among the clinic's listed citizens.
fn counts_by_clinic(ds: &Dataset, m: &almen_cockpit::Memberships) -> Vec<Vec<u32>> {
    let mut out = vec![vec![0u32; m.ids.len()]; ds.clinics.len()];
    for r in 0..ds.patients.len() {
        let c = ds.patients.clinic[r];
        if c == NONE || !m.in_population[r] {
            continue;
        }
        for (j, n) in out[c as usize].iter_mut().enumerate() {
            *n += m.has(r, j) as u32;
        }
    }
    out
}

#[test]
fn conditions_mean_what_they_mean_in_the_cockpit() {
    let ds = odder();
    let lists = ListSet::shipped();
    let counts = evaluate_all(ds, &lists, date());
    // Every shipped list (top-percent and continuity lists included: the clinic-by-clinic
    // path), then the chronic conditions alone (the one-pass path).
    let all = lists.ids();
    let some = DEFAULT_FIT_CONDITIONS;
    for ids in [&all[..], some] {
        let m = memberships(ds, &lists, ids, date()).unwrap();
        let ours = counts_by_clinic(ds, &m);
        for c in &counts {
            for (j, id) in ids.iter().enumerate() {
                let li = lists.index_of(id).unwrap();
                assert_eq!(
                    ours[c.clinic as usize][j], c.counts[li],
                    "clinic {} list {id}",
                    c.clinic_id
                );
            }
        }
        let population: u32 = counts.iter().map(|c| c.population).sum();
        let unlisted = (0..ds.patients.len())
            .filter(|&r| ds.patients.clinic[r] == NONE && m.in_population[r])
            .count();
        assert_eq!(m.population(), population as usize + unlisted);
        assert!(unlisted > 0, "Odder has citizens without a list place");
    }
    assert!(memberships(ds, &lists, &["gout"], date()).is_err());
}

#[test]
fn the_model_runs_end_to_end_with_the_shipped_table() {
    let ds = odder();
    let lists = ListSet::shipped();
    let table = WeightTable::default_table();
    let citizens = Citizens::for_table(ds, &lists, &table, date()).unwrap();
    let w = apply_weights(&table, &citizens).unwrap();
    let mean = citizens::sum(&w.weight) / citizens.len() as f64;
    assert!((mean - 1.0).abs() < 1e-14, "{mean}");
    // Older citizens weigh more than young adults, diabetics more than others of their age.
    let m = compute(
        ds,
        &citizens,
        &w,
        Level::Kommune,
        &Limits::default(),
        &table.label,
    )
    .unwrap();
    assert!((m.weighted_citizens - m.citizens as f64).abs() < 1e-6);
    assert!(
        m.clinics
            .iter()
            .all(|c| c.minimum_patients.is_finite() && c.minimum_patients > 0.0)
    );
    let odder_area = m.areas.iter().find(|a| a.code == "727").unwrap();
    assert!(odder_area.capacities > 0.0 && odder_area.citizens > 10_000);
    let s: f64 = m
        .clinics
        .iter()
        .filter_map(|c| c.mean_weight.map(|w| w * c.minimum_patients))
        .sum();
    let with_patients: f64 = m
        .clinics
        .iter()
        .filter(|c| c.mean_weight.is_some())
        .map(|c| c.capacities)
        .sum();
    assert!((s - m.reference_per_capacity * with_patients).abs() < 1e-6 * s);

    let c = compare(&m);
    assert_eq!(c.clinics.len(), m.clinics.len());
    for k in [0, 1, 5, 17] {
        let a = allocate(&m, k);
        assert_eq!(a.areas.iter().map(|x| x.allocated).sum::<u32>(), k);
    }
    let v = coverage(ds, &m);
    assert_eq!(
        v.without_list_place,
        (0..ds.patients.len())
            .filter(|&r| ds.patients.clinic[r] == NONE
                && citizens.rows.binary_search(&(r as u32)).is_ok())
            .count() as u64
    );
    // Health councils: the same citizens and capacities, fewer areas.
    let h = compute(
        ds,
        &citizens,
        &w,
        Level::Sundhedsraad,
        &Limits::default(),
        "t",
    )
    .unwrap();
    assert!(h.areas.len() <= m.areas.len());
    assert_eq!(h.areas.iter().map(|a| a.citizens).sum::<u64>(), m.citizens);
}

#[test]
fn the_fit_on_synthetic_data_writes_a_table_that_reads_back() {
    let ds = odder();
    let lists = ListSet::shipped();
    let f = fit_weights(ds, &lists, DEFAULT_FIT_CONDITIONS, date(), "test fit").unwrap();
    assert!(f.n > 10_000);
    assert!(f.r_squared > 0.05 && f.r_squared < 1.0, "{}", f.r_squared);
    assert_eq!(f.terms.len(), 36 + DEFAULT_FIT_CONDITIONS.len());
    let diabetes = f
        .terms
        .iter()
        .find(|t| t.term == "condition:diabetes")
        .unwrap();
    assert!(diabetes.value > 0.0 && diabetes.standard_error.unwrap() > 0.0);
    let text = f.to_csv("odder");
    let t = WeightTable::parse("fit.csv", &text, &lists).unwrap();
    assert_eq!(t.label, "test fit");
    assert_eq!(t.age_sex, f.table.age_sex);
    // And the same data gives the same file.
    let again = fit_weights(ds, &lists, DEFAULT_FIT_CONDITIONS, date(), "test fit").unwrap();
    assert_eq!(again.to_csv("odder"), text);
}

#[test]
fn the_fit_recovers_known_coefficients_exactly() {
    // Fees are exactly 300 for a woman of 40, 200 for a man of 40, 900 for a woman of 82,
    // plus 400 with diabetes: least squares must give these numbers and R² = 1.
    let mut b = Builder::new();
    let c = b.clinic("C", 751, ClinicType::Plo, 1.0, true);
    let from = year_start(d());
    let add = |b: &mut Builder, birth: &str, sex: Sex, diabetic: bool, fee: f64, i: usize| {
        let p = b.patient(birth, sex, 751, Some(c), None);
        if diabetic {
            b.dx(p, "T90", day("2020-01-01"));
        }
        // Split over two lines; one line outside the year does not count.
        b.claim(
            p,
            c,
            "0101",
            1,
            from.add_days(i as i32 % 300),
            Some(fee - 50.0),
        );
        b.claim(p, c, "0101", 1, d(), Some(50.0));
        b.claim(p, c, "0101", 1, from.add_days(-1), Some(1000.0));
    };
    for i in 0..40 {
        add(
            &mut b,
            YOUNG,
            Sex::F,
            i % 4 == 0,
            if i % 4 == 0 { 700.0 } else { 300.0 },
            i,
        );
        add(
            &mut b,
            YOUNG,
            Sex::M,
            i % 5 == 0,
            if i % 5 == 0 { 600.0 } else { 200.0 },
            i,
        );
        add(
            &mut b,
            OLD,
            Sex::F,
            i % 2 == 0,
            if i % 2 == 0 { 1300.0 } else { 900.0 },
            i,
        );
    }
    // A newborn (less than a year of exposure) is left out of the fit.
    b.patient("2025-03-01", Sex::F, 751, Some(c), None);
    let ds = b.build();
    let f = fit_weights(
        &ds,
        &ListSet::shipped(),
        &["diabetes", "copd"],
        d(),
        "exact",
    )
    .unwrap();
    assert_eq!(f.n, 120);
    assert!((f.r_squared - 1.0).abs() < 1e-9, "{}", f.r_squared);
    let term = |t: &str| f.terms.iter().find(|x| x.term == t).unwrap();
    let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
    assert!(close(term("age_sex:F:40-44").value, 300.0));
    assert!(close(term("age_sex:M:40-44").value, 200.0));
    assert!(close(term("age_sex:F:80-84").value, 900.0));
    assert!(close(term("condition:diabetes").value, 400.0));
    // Cells without citizens take the nearest band's value; copd has no one.
    let empty = term("age_sex:F:50-54");
    assert_eq!(empty.citizens, 0);
    assert!(close(empty.value, 300.0), "{}", empty.value);
    assert!(empty.note.as_deref().unwrap().contains("age_sex:F:40-44"));
    assert!(
        close(term("age_sex:M:85+").value, 200.0),
        "the nearest male band"
    );
    assert_eq!(term("condition:copd").value, 0.0);
    // A line without a fee is priced from the schedule.
    let mut b = Builder::new();
    let c = b.clinic("C", 751, ClinicType::Plo, 1.0, true);
    let p = b.patient(YOUNG, Sex::F, 751, Some(c), None);
    b.claim(p, c, "0101", 2, d(), None);
    let ds = b.build();
    let fees = yearly_fees(&ds, year_start(d()), d());
    let fee =
        almen_reference::fee_on(almen_reference::ServiceCode::parse("0101").unwrap(), d()).unwrap();
    assert!((fees[0] - 2.0 * fee).abs() < 1e-9);
}
