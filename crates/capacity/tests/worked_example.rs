//! The worked example of docs/capacity.md, computed by hand: three clinics, two areas.
//! Every expected number below is the fraction derived in the user guide.

mod common;

use almen_capacity::*;
use almen_cockpit::ListSet;
use common::*;

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-9 * b.abs().max(1.0),
        "{what}: got {a}, expected {b}"
    );
}

fn model_with(limits: &Limits, level: Level) -> Model {
    let ds = worked_example();
    run(
        &ds,
        &ListSet::shipped(),
        &example_table(),
        d(),
        level,
        limits,
    )
    .unwrap()
}

fn model() -> Model {
    model_with(&Limits::default(), Level::Kommune)
}

#[test]
fn step_1_weights_are_scaled_to_mean_one() {
    let ds = worked_example();
    let table = example_table();
    let citizens = Citizens::for_table(&ds, &ListSet::shipped(), &table, d()).unwrap();
    assert_eq!(citizens.len(), 6000);
    let w = apply_weights(&table, &citizens).unwrap();
    // Raw: 3,900 listed aged 40 (1) + 600 aged 40 with diabetes (2) + 600 aged 82 (3)
    //      + 300 aged 82 with diabetes (4) + 600 aged 40 without a list place (1) = 8,700.
    close(w.raw_total, 8700.0, "raw total");
    close(w.scale, 20.0 / 29.0, "scale");
    let mean = w.weight.iter().sum::<f64>() / 6000.0;
    close(mean, 1.0, "mean weight");
}

#[test]
fn steps_3_to_5_reference_areas_and_clinics() {
    let m = model();
    assert_eq!(m.citizens, 6000);
    close(m.weighted_citizens, 6000.0, "weighted citizens");
    close(m.capacities, 4.0, "capacities");
    close(m.reference_per_capacity, 1500.0, "R");

    assert_eq!(m.areas.len(), 2);
    let (kbh, aarhus) = (&m.areas[0], &m.areas[1]);
    assert_eq!((kbh.code.as_str(), aarhus.code.as_str()), ("101", "751"));
    assert_eq!(aarhus.citizens, 3900);
    close(aarhus.weighted_citizens, 102000.0 / 29.0, "Aarhus weighted");
    close(
        aarhus.mean_weight.unwrap(),
        102000.0 / 113100.0,
        "Aarhus mean",
    );
    close(
        aarhus.average_per_capacity.unwrap(),
        1500.0 * 113100.0 / 102000.0,
        "Aarhus average",
    );
    close(aarhus.capacities, 3.0, "Aarhus capacities");
    assert_eq!(kbh.citizens, 2100);
    close(kbh.weighted_citizens, 72000.0 / 29.0, "København weighted");
    close(
        kbh.average_per_capacity.unwrap(),
        1268.75,
        "København average",
    );
    assert_eq!(kbh.without_list_place, 600);

    let c: Vec<&ClinicFigures> = m.clinics.iter().collect();
    assert_eq!(c[0].listed, 1500);
    close(c[0].mean_weight.unwrap(), 28.0 / 29.0, "C1 mean weight");
    close(c[0].minimum_patients, 1500.0 * 29.0 / 28.0, "C1 minimum");
    assert_eq!(c[1].listed, 2400);
    close(c[1].mean_weight.unwrap(), 25.0 / 29.0, "C2 mean weight");
    close(c[1].minimum_patients, 3480.0, "C2 minimum");
    assert_eq!(c[2].listed, 1500);
    close(c[2].mean_weight.unwrap(), 40.0 / 29.0, "C3 mean weight");
    close(c[2].minimum_patients, 1087.5, "C3 minimum");
    assert!(c.iter().all(|c| c.limited_by.is_none()));

    // Σ minimum × mean weight = R × Σ capacities.
    let s: f64 = c
        .iter()
        .map(|c| c.minimum_patients * c.mean_weight.unwrap())
        .sum();
    close(s, 6000.0, "Σ minimum × mean weight");
}

#[test]
fn health_councils_group_the_same_citizens() {
    let m = model_with(&Limits::default(), Level::Sundhedsraad);
    assert_eq!(m.areas.len(), 2);
    let mut avgs: Vec<f64> = m
        .areas
        .iter()
        .map(|a| a.average_per_capacity.unwrap())
        .collect();
    avgs.sort_by(f64::total_cmp);
    close(avgs[0], 1268.75, "København's council");
    close(avgs[1], 1500.0 * 113100.0 / 102000.0, "Aarhus' council");
    assert!(m.areas.iter().all(|a| a.name.starts_with("Sundhedsråd")));
}

#[test]
fn limits_apply_only_when_configured() {
    let limits = Limits {
        floor_per_capacity: Some(1200.0),
        ceiling_per_capacity: Some(1700.0),
        transition: None,
    };
    let m = model_with(&limits, Level::Kommune);
    close(m.clinics[0].minimum_patients, 1500.0 * 29.0 / 28.0, "C1");
    assert_eq!(m.clinics[0].limited_by, None);
    close(m.clinics[1].minimum_patients, 3400.0, "C2 at the ceiling");
    assert_eq!(m.clinics[1].limited_by, Some(Limit::Ceiling));
    close(m.clinics[1].model_minimum, 3480.0, "C2 before limits");
    close(m.clinics[2].minimum_patients, 1200.0, "C3 at the floor");
    assert_eq!(m.clinics[2].limited_by, Some(Limit::Floor));

    // Transition: at most 5 % from last year's 1,600 per capacity (C2 from a file: 3,000).
    let limits = Limits {
        transition: Some(Transition {
            max_change: 0.05,
            previous_per_capacity: 1600.0,
            previous: [("C2".to_string(), 3000.0)].into_iter().collect(),
        }),
        ..Default::default()
    };
    let m = model_with(&limits, Level::Kommune);
    close(
        m.clinics[0].minimum_patients,
        1553.5714285714287,
        "C1 within ±5 %",
    );
    close(
        m.clinics[1].minimum_patients,
        3150.0,
        "C2 capped at +5 % of 3,000",
    );
    close(
        m.clinics[2].minimum_patients,
        1520.0,
        "C3 capped at −5 % of 1,600",
    );
    assert_eq!(m.clinics[2].limited_by, Some(Limit::Transition));
}

#[test]
fn step_6_compare_with_the_area_model() {
    let c = compare(&model());
    assert_eq!(c.clinic_model.clinics, 2);
    close(
        c.clinic_model.patients,
        (1500.0 * 29.0 / 28.0 - 1500.0) + (3480.0 - 2400.0),
        "clinic model asks",
    );
    assert_eq!(c.area_model.clinics, 2);
    close(
        c.area_model.patients,
        3.0 * 1500.0 * 113100.0 / 102000.0 - 3900.0,
        "area model asks",
    );
    let plo = c.by_clinic_type.iter().find(|g| g.group == "plo").unwrap();
    assert_eq!((plo.clinics, plo.gainers, plo.losers), (2, 1, 1));
    let region = c
        .by_clinic_type
        .iter()
        .find(|g| g.group == "region")
        .unwrap();
    assert_eq!((region.clinics, region.gainers, region.losers), (1, 1, 0));
    close(c.clinics[2].difference, 1087.5 - 1268.75, "C3 difference");
    let spread = c.clinic_model_spread.unwrap();
    close(spread.min, 1087.5, "lowest minimum per capacity");
    close(spread.max, 1740.0, "highest minimum per capacity");
}

#[test]
fn step_7_allocate_by_largest_remainder() {
    let m = model();
    let a = allocate(&m, 2);
    close(a.reference_after, 1000.0, "R'");
    let kbh = &a.areas[0];
    let aarhus = &a.areas[1];
    close(
        aarhus.gap_before,
        102000.0 / 29.0 / 1500.0 - 3.0,
        "Aarhus gap",
    );
    close(
        kbh.gap_before,
        72000.0 / 29.0 / 1500.0 - 1.0,
        "København gap",
    );
    close(aarhus.quota, 102000.0 / 29.0 / 1000.0 - 3.0, "Aarhus quota");
    close(kbh.quota, 72000.0 / 29.0 / 1000.0 - 1.0, "København quota");
    // Whole parts 0 and 1; the last goes to the larger remainder (Aarhus 0.517 > 0.483).
    assert_eq!((aarhus.allocated, kbh.allocated), (1, 1));
    close(
        aarhus.gap_after,
        102000.0 / 29.0 / 1000.0 - 4.0,
        "Aarhus after",
    );

    let a = allocate(&m, 1);
    assert_eq!((a.areas[1].allocated, a.areas[0].allocated), (0, 1));
    let a = allocate(&m, 0);
    assert!(a.areas.iter().all(|x| x.allocated == 0));
}

#[test]
fn step_8_coverage() {
    let ds = worked_example();
    let m = model();
    let c = coverage(&ds, &m);
    assert_eq!(c.without_list_place, 600);
    assert_eq!(c.in_areas_all_closed, 2100, "C3 is København's only clinic");
    assert_eq!(c.in_areas_without_clinics, 0);
    close(
        c.areas[1].capacities_per_1000_weighted.unwrap(),
        3.0 / (102000.0 / 29.0) * 1000.0,
        "Aarhus per 1,000",
    );
    close(
        c.capacities_per_1000_weighted,
        4.0 / 6.0,
        "national per 1,000",
    );
    let o = &c.owners;
    assert_eq!(o.doctors_with_several, 1);
    assert_eq!(o.doctors_above_plo_limit, 0);
    assert_eq!(o.list[0].owner, "dr-a");
    let km = o.list[0].max_distance_km.unwrap();
    assert!((0.5..1.5).contains(&km), "{km}");
    assert!(o.distances_available);
}

#[test]
fn the_json_has_the_stable_keys() {
    let v = serde_json::to_value(model()).unwrap();
    assert!(v["reference_per_capacity"].is_f64());
    for k in [
        "code",
        "name",
        "citizens",
        "weighted_citizens",
        "capacities",
        "average_per_capacity",
    ] {
        assert!(!v["areas"][0][k].is_null(), "areas[].{k}");
    }
    for k in [
        "clinic_id",
        "capacities",
        "listed",
        "mean_weight",
        "minimum_patients",
    ] {
        assert!(!v["clinics"][0][k].is_null(), "clinics[].{k}");
    }
    // Unrounded.
    close(
        v["clinics"][0]["minimum_patients"].as_f64().unwrap(),
        1500.0 * 29.0 / 28.0,
        "JSON minimum",
    );
}
