//! The model's invariants, over random datasets, weight tables and limits.

mod common;

use almen_capacity::allocate::{largest_remainder, quotas};
use almen_capacity::*;
use almen_cockpit::ListSet;
use almen_core::{AGE_BANDS, Sex};
use almen_dataset::{ClinicType, Dataset};
use common::*;
use proptest::prelude::*;

/// A weight table from 36 age/sex values and a diabetes value.
fn table(age_sex: &[f64], diabetes: f64) -> WeightTable {
    let mut t = WeightTable {
        label: "random".into(),
        source: "random".into(),
        age_sex: [[0.0; AGE_BANDS]; 2],
        conditions: vec![("diabetes".into(), diabetes)],
    };
    for s in 0..2 {
        for b in 0..AGE_BANDS {
            t.age_sex[s][b] = age_sex[s * AGE_BANDS + b];
        }
    }
    t
}

/// A patient: (birth year, male, diabetic, clinic index or none, kommune index).
type P = (i32, bool, bool, Option<usize>, usize);

fn dataset(caps: &[f64], patients: &[P]) -> Dataset {
    let kommuner = [751u16, 101, 851];
    let mut b = Builder::new();
    let clinics: Vec<u32> = caps
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            b.clinic(
                &format!("C{i}"),
                kommuner[i % 3],
                ClinicType::Plo,
                c,
                i % 2 == 0,
            )
        })
        .collect();
    for &(year, male, diabetic, clinic, k) in patients {
        let sex = if male { Sex::M } else { Sex::F };
        let p = b.patient(
            &format!("{year}-03-01"),
            sex,
            kommuner[k % 3],
            clinic.map(|c| clinics[c % clinics.len()]),
            None,
        );
        if diabetic {
            b.dx(p, "T90", day("2020-01-01"));
        }
    }
    b.claim(0, 0, "0101", 1, d(), None);
    b.build()
}

fn patient() -> impl Strategy<Value = P> {
    (
        1925..2025i32,
        any::<bool>(),
        prop::bool::weighted(0.2),
        prop::option::weighted(0.9, 0..8usize),
        0..3usize,
    )
}

fn weights_strategy() -> impl Strategy<Value = (Vec<f64>, f64)> {
    (prop::collection::vec(0.05..50.0f64, 36), 0.0..20.0f64)
}

fn limits_strategy() -> impl Strategy<Value = Limits> {
    (
        prop::option::of(0.0..2000.0f64),
        prop::option::of(0.0..3000.0f64),
        prop::option::of((0.0..0.5f64, 500.0..2500.0f64)),
    )
        .prop_map(|(floor, ceiling, transition)| Limits {
            floor_per_capacity: floor,
            ceiling_per_capacity: ceiling.map(|c| c.max(floor.unwrap_or(0.0))),
            transition: transition.map(|(max_change, previous_per_capacity)| Transition {
                max_change,
                previous_per_capacity,
                previous: Default::default(),
            }),
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn the_mean_weight_is_one(
        patients in prop::collection::vec(patient(), 1..300),
        (age_sex, diabetes) in weights_strategy(),
    ) {
        let ds = dataset(&[1.0, 2.0, 0.5], &patients);
        let t = table(&age_sex, diabetes);
        let c = Citizens::for_table(&ds, &ListSet::shipped(), &t, d()).unwrap();
        let w = apply_weights(&t, &c).unwrap();
        let mut s = almen_capacity::citizens::Sum::default();
        for x in &w.weight {
            s.add(*x);
        }
        let mean = s.value() / c.len() as f64;
        prop_assert!((mean - 1.0).abs() <= 1e-14, "mean {}", mean);
        let m = compute(&ds, &c, &w, Level::Kommune, &Limits::default(), "t").unwrap();
        prop_assert!((m.weighted_citizens - c.len() as f64).abs() <= 1e-9 * c.len() as f64);
    }

    #[test]
    fn minimums_times_mean_weights_sum_to_r_times_capacities(
        caps in prop::collection::vec(0.5..4.0f64, 1..8),
        patients in prop::collection::vec(patient(), 1..300),
        (age_sex, diabetes) in weights_strategy(),
    ) {
        // Everyone listed, and every clinic with at least one patient.
        let ps: Vec<P> = patients
            .into_iter()
            .enumerate()
            .map(|(i, (y, m, dm, _, k))| (y, m, dm, Some(i % caps.len()), k))
            .collect();
        prop_assume!(ps.len() >= caps.len());
        let ds = dataset(&caps, &ps);
        let t = table(&age_sex, diabetes);
        let m = run(&ds, &ListSet::shipped(), &t, d(), Level::Kommune, &Limits::default())
            .unwrap();
        let lhs: f64 = m
            .clinics
            .iter()
            .map(|c| c.minimum_patients * c.mean_weight.unwrap())
            .sum();
        let rhs = m.reference_per_capacity * m.capacities;
        prop_assert!((lhs - rhs).abs() <= 1e-9 * rhs, "{} vs {}", lhs, rhs);
        prop_assert!((rhs - m.weighted_citizens).abs() <= 1e-9 * rhs);
    }

    #[test]
    fn a_sicker_list_never_gets_a_higher_minimum(
        patients in prop::collection::vec(
            (1925..2025i32, any::<bool>(), prop::bool::weighted(0.2)),
            1..100,
        ),
        sicker in 0..100usize,
        older in 0..60i32,
        (age_sex, diabetes) in weights_strategy(),
        limits in limits_strategy(),
    ) {
        // Two clinics with the same capacities and the same patients, except that one
        // patient of the first is older or has diabetes: with weights that rise with age
        // (sorted by band) the first list is at least as sick.
        let mut age_sex = age_sex;
        age_sex[..AGE_BANDS].sort_by(f64::total_cmp);
        age_sex[AGE_BANDS..].sort_by(f64::total_cmp);
        let i = sicker % patients.len();
        let mut ps: Vec<P> = Vec::new();
        for (j, &(y, m, dm)) in patients.iter().enumerate() {
            let (y2, dm2) = if j == i { ((y - older).max(1900), true) } else { (y, dm) };
            ps.push((y2, m, dm2 || dm, Some(0), 0));
            ps.push((y, m, dm, Some(1), 0));
        }
        let ds = dataset(&[1.5, 1.5], &ps);
        let t = table(&age_sex, diabetes);
        let m = run(&ds, &ListSet::shipped(), &t, d(), Level::Kommune, &limits).unwrap();
        let (a, b) = (&m.clinics[0], &m.clinics[1]);
        prop_assert!(a.mean_weight.unwrap() >= b.mean_weight.unwrap() - 1e-12);
        prop_assert!(a.minimum_patients <= b.minimum_patients * (1.0 + 1e-12),
            "sicker {} > healthier {}", a.minimum_patients, b.minimum_patients);
    }

    #[test]
    fn the_allocation_sums_to_k_and_respects_the_quotas(
        areas in prop::collection::vec((0.0..1e6f64, 0.0..500.0f64), 1..40),
        k in 0..5000u32,
    ) {
        let w: Vec<f64> = areas.iter().map(|a| a.0).collect();
        let c: Vec<f64> = areas.iter().map(|a| a.1).collect();
        let q = quotas(&w, &c, k);
        let a = largest_remainder(&q, &q, k);
        prop_assert_eq!(a.iter().map(|x| *x as u64).sum::<u64>(), k as u64);
        for (x, q) in a.iter().zip(&q) {
            // Hamilton: every area gets its quota rounded down or up.
            let x = *x as f64;
            prop_assert!(
                x >= q.floor() - 1e-9 && x <= q.ceil() + 1e-9,
                "{} for quota {}",
                x,
                q
            );
        }
    }
}

#[test]
fn the_allocation_sums_to_k_on_the_worked_example() {
    let ds = worked_example();
    let m = run(
        &ds,
        &ListSet::shipped(),
        &example_table(),
        d(),
        Level::Kommune,
        &Limits::default(),
    )
    .unwrap();
    for k in [0, 1, 2, 3, 7, 100, 5000] {
        let a = allocate(&m, k);
        assert_eq!(a.areas.iter().map(|x| x.allocated).sum::<u32>(), k);
    }
}
