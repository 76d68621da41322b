//! Golden behaviour of the shipped lists on a hand-made clinic. Each patient id names the
//! case it tests; the reference date D is 2025-06-30.

mod common;

use almen_cockpit::*;
use almen_core::{Day, Sex};
use almen_dataset::Dataset;
use common::{Builder, d, day, dd};
use serde_json::Value;

struct Fixture {
    ds: Dataset,
    c1: u32,
    c2: u32,
}

fn fixture() -> Fixture {
    let mut b = Builder::new();
    let c1 = b.clinic("C1", 751);
    let c2 = b.clinic("C2", 751);
    let c3 = b.clinic("C3", 101);
    let d1 = b.doctor("D1", c1);
    let d2 = b.doctor("D2", c1);
    let d3 = b.doctor("D3", c1);
    let d4 = b.doctor("D4", c2);

    // Active at D: stopped the day before is not, stopped on D is.
    let p = b.patient("stopped_day_before", c1);
    b.rx(p, "N02AA01", dd(-30), Some(dd(-1)));
    let p = b.patient("stopped_on_d", c1);
    b.rx(p, "N02AA01", dd(-30), Some(dd(0)));
    let p = b.patient("starts_after_d", c1);
    b.rx(p, "N02AA01", dd(1), None);

    // Triple Whammy: a combination product counts for each of its parts.
    let p = b.patient("tw_combination", c1);
    b.rx(p, "C09DA01", dd(-100), None);
    b.rx(p, "M01AE01", dd(-10), None);
    let p = b.patient("tw_no_diuretic", c1);
    b.rx(p, "C09AA05", dd(-100), None);
    b.rx(p, "M01AE01", dd(-10), None);
    let p = b.patient("tw_glucosamine_is_no_nsaid", c1);
    b.rx(p, "C09AA05", dd(-100), None);
    b.rx(p, "C03CA01", dd(-100), None);
    b.rx(p, "M01AX05", dd(-10), None);
    let p = b.patient("tw_opioid_nsaid_combination", c1);
    b.rx(p, "C09CA01", dd(-100), None);
    b.rx(p, "C07BB07", dd(-100), None);
    b.rx(p, "N02AJ08", dd(-10), None);

    // Long-term opioid: gap of 14 days bridges, 15 does not.
    let p = b.patient("opioid_gap_14", c1);
    b.rx(p, "N02AX02", dd(-200), Some(dd(-100)));
    b.rx(p, "N02AX02", dd(-86), None);
    let p = b.patient("opioid_gap_15", c1);
    b.rx(p, "N02AX02", dd(-200), Some(dd(-100)));
    b.rx(p, "N02AX02", dd(-85), None);
    let p = b.patient("opioid_89_days", c1);
    b.rx(p, "N02AA05", dd(-89), None);
    let p = b.patient("methadone_only", c1);
    b.rx(p, "N07BC02", dd(-300), None);

    // FLS groups and the osteoporosis list.
    let p = b.patient("t_minus_2_5", c1);
    b.obs(p, "DXA_TSCORE", -2.5, dd(-60));
    let p = b.patient("t_minus_1_0", c1);
    b.obs(p, "DXA_TSCORE", -1.0, dd(-60));
    let p = b.patient("t_minus_0_9", c1);
    b.obs(p, "DXA_TSCORE", -0.9, dd(-60));
    let p = b.patient("t_minus_3_5", c1);
    b.obs(p, "DXA_TSCORE", -3.5, dd(-60));
    let p = b.patient("fracture_after_scan", c1);
    b.obs(p, "DXA_TSCORE", -2.7, dd(-60));
    b.dx(p, "DS720", dd(-59), None);
    let p = b.patient("fracture_before_scan", c1);
    b.obs(p, "DXA_TSCORE", -2.7, dd(-60));
    b.dx(p, "L75", dd(-90), Some(dd(-70)));
    let p = b.patient("old_low_new_normal", c1);
    b.obs(p, "DXA_TSCORE", -3.0, dd(-900));
    b.obs(p, "DXA_TSCORE", -0.5, dd(-60));
    let p = b.patient("scan_after_d", c1);
    b.obs(p, "DXA_TSCORE", -3.0, dd(5));

    // Population: listed elsewhere, deceased at D, deceased after D.
    let p = b.patient("af_listed_elsewhere", c2);
    b.dx(p, "K78", dd(-400), None);
    let p = b.patient_full(
        "af_died_before_d",
        "1940-01-01",
        Sex::M,
        Some(c1),
        Some(dd(-10)),
    );
    b.dx(p, "K78", dd(-400), None);
    let p = b.patient_full("af_died_on_d", "1940-01-01", Sex::M, Some(c1), Some(dd(0)));
    b.dx(p, "K78", dd(-400), None);
    let p = b.patient_full(
        "af_dies_after_d",
        "1940-01-01",
        Sex::M,
        Some(c1),
        Some(dd(10)),
    );
    b.dx(p, "K78", dd(-400), None);
    let p = b.patient_full("af_not_listed", "1940-01-01", Sex::M, None, None);
    b.dx(p, "K78", dd(-400), None);

    // Atrial fibrillation with and without an oral anticoagulant.
    let p = b.patient("af_on_apixaban", c1);
    b.dx(p, "K78", dd(-400), None);
    b.rx(p, "B01AF02", dd(-300), None);
    let p = b.patient("af_icd10_no_oac", c1);
    b.dx(p, "DI489", dd(-400), None);
    let p = b.patient("af_resolved", c1);
    b.dx(p, "K78", dd(-400), Some(dd(-1)));

    // GLP-1 without other antidiabetic: metformin 11 months before D excludes, 13 does not.
    let p = b.patient("glp1_metformin_11_months", c1);
    b.rx(p, "A10BJ06", dd(-20), None);
    b.rx(
        p,
        "A10BA02",
        d().minus_months(11),
        Some(d().minus_months(10)),
    );
    let p = b.patient("glp1_metformin_ended_11_months", c1);
    b.rx(p, "A10BJ06", dd(-20), None);
    b.rx(
        p,
        "A10BA02",
        d().minus_months(20),
        Some(d().minus_months(11)),
    );
    let p = b.patient("glp1_metformin_13_months_open", c1);
    b.rx(p, "A10BJ06", dd(-20), None);
    b.rx(p, "A10BA02", d().minus_months(13), None);
    let p = b.patient("glp1_metformin_13_months", c1);
    b.rx(p, "A10BJ06", dd(-20), None);
    b.rx(
        p,
        "A10BA02",
        d().minus_months(13),
        Some(d().minus_months(12).add_days(-5)),
    );

    // Chronic conditions and multimorbidity.
    let p = b.patient("diabetes_and_hypertension", c1);
    b.dx(p, "T90", dd(-1000), None);
    b.dx(p, "DI10", dd(-1000), None);
    let p = b.patient("dementia_subcode", c1);
    b.dx(p, "DF001", dd(-100), None);
    let p = b.patient("alzheimer_g30", c1);
    b.dx(p, "DG309", dd(-100), None);
    let p = b.patient("adhd_drug", c1);
    b.rx(p, "N06BA04", dd(-100), None);
    let p = b.patient("lithium", c1);
    b.rx(p, "N05AN01", dd(-100), None);

    // Polypharmacy: ten distinct substances (one of them twice).
    let p = b.patient("ten_drugs", c1);
    for atc in [
        "C10AA01", "B01AC06", "C07AB02", "N06AB04", "A02BC01", "C08CA01", "H03AA01", "R03AC02",
        "N05CF01", "A12AX",
    ] {
        b.rx(p, atc, dd(-100), None);
    }
    b.rx(p, "C10AA01", dd(-20), None);
    let p = b.patient("five_drugs", c1);
    for atc in ["C10AA01", "B01AC06", "C07AB02", "N06AB04", "A02BC01"] {
        b.rx(p, atc, dd(-100), None);
    }

    // Continuity: hand-computed UPC and COC.
    let p = b.patient("upc_0_6", c1);
    for (doc, n) in [(d1, 3), (d2, 1), (d3, 1)] {
        for i in 0..n {
            b.claim(p, c1, doc, "0101", 1, dd(-10 * (i + 1) - doc as i32));
        }
    }
    b.claim(p, c1, d2, "0201", 1, dd(-5)); // phone: not face-to-face
    b.claim(p, c2, d4, "0101", 1, dd(-5)); // another clinic
    b.claim(p, c1, d2, "0101", 1, d().minus_months(25)); // outside the window
    b.claim(p, c1, d2, "0101", 1, dd(-3)); // cancelled by a correction
    b.claim(p, c1, d2, "0101", -1, dd(-3));
    let p = b.patient("upc_0_4", c1);
    for (doc, n) in [(d1, 2), (d2, 2), (d3, 1)] {
        for i in 0..n {
            b.claim(p, c1, doc, "0101", 1, dd(-10 * (i + 1) - doc as i32));
        }
    }
    let p = b.patient("upc_0_33_three_contacts", c1);
    for doc in [d1, d2, d3] {
        b.claim(p, c1, doc, "0411", 1, dd(-20 - doc as i32));
    }

    // Others in C3 (another region) so region and country differ.
    for i in 0..3 {
        let p = b.patient(&format!("c3_af_{i}"), c3);
        b.dx(p, "K78", dd(-400), None);
    }
    Fixture {
        ds: b.build(),
        c1,
        c2,
    }
}

fn members(f: &Fixture, list: &str) -> Vec<String> {
    let r = members_report(&f.ds, &ListSet::shipped(), f.c1, list, d(), true).unwrap();
    let mut v: Vec<String> = r
        .members
        .iter()
        .map(|m| m.patient_id.clone().unwrap())
        .collect();
    v.sort();
    v
}

fn member_json(f: &Fixture, list: &str, id: &str) -> Value {
    let r = members_report(&f.ds, &ListSet::shipped(), f.c1, list, d(), true).unwrap();
    let v = serde_json::to_value(&r).unwrap();
    v["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["patient_id"] == id)
        .unwrap_or_else(|| panic!("{id} is on {list}"))
        .clone()
}

#[test]
fn a_prescription_is_active_from_start_to_end_inclusive() {
    let f = fixture();
    let opioid = members(&f, "opioid");
    assert!(opioid.contains(&"stopped_on_d".to_string()));
    assert!(!opioid.contains(&"stopped_day_before".to_string()));
    assert!(!opioid.contains(&"starts_after_d".to_string()));
    assert!(!opioid.contains(&"methadone_only".to_string()));
}

#[test]
fn triple_whammy_counts_combination_products_for_each_part() {
    let f = fixture();
    assert_eq!(
        members(&f, "triple_whammy"),
        ["tw_combination", "tw_opioid_nsaid_combination"]
    );
    let m = member_json(&f, "triple_whammy", "tw_combination");
    let codes: Vec<&str> = m["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["M01AE01", "C09DA01"], "{m}");
    assert_eq!(m["reasons"][0]["kind"], "prescription");
}

#[test]
fn long_term_opioid_allows_gaps_of_14_days_not_15() {
    let f = fixture();
    assert_eq!(members(&f, "opioid_long_term"), ["opioid_gap_14"]);
    let opioid = members(&f, "opioid");
    for p in ["opioid_gap_15", "opioid_89_days"] {
        assert!(opioid.contains(&p.to_string()), "{p} is on opioid");
    }
    let m = member_json(&f, "opioid_long_term", "opioid_gap_14");
    assert_eq!(m["reasons"][0]["kind"], "treatment_episode");
    assert_eq!(m["reasons"][0]["date"], dd(-200).to_string());
    assert_eq!(m["reasons"][0]["value"], 200.0);
}

#[test]
fn fls_groups_follow_the_latest_t_score() {
    let f = fixture();
    let r = members_report(&f.ds, &ListSet::shipped(), f.c1, "fls", d(), true).unwrap();
    let groups: Vec<(String, String)> = r
        .members
        .iter()
        .map(|m| {
            (
                m.patient_id.clone().unwrap(),
                m.fls_group.unwrap().as_str().to_string(),
            )
        })
        .collect();
    let g = |id: &str| {
        groups
            .iter()
            .find(|(p, _)| p == id)
            .map(|(_, g)| g.as_str())
            .unwrap_or("none")
    };
    assert_eq!(g("t_minus_2_5"), "2b");
    assert_eq!(g("t_minus_1_0"), "2a");
    assert_eq!(g("t_minus_0_9"), "1");
    assert_eq!(g("t_minus_3_5"), "3");
    assert_eq!(g("fracture_after_scan"), "2b");
    assert_eq!(g("fracture_before_scan"), "3");
    assert_eq!(g("old_low_new_normal"), "1");
    assert_eq!(g("scan_after_d"), "none");
    assert_eq!(
        members(&f, "osteoporosis"),
        [
            "fracture_after_scan",
            "fracture_before_scan",
            "t_minus_2_5",
            "t_minus_3_5"
        ]
    );
    let m = member_json(&f, "osteoporosis", "t_minus_2_5");
    assert_eq!(m["fls_group"], "2b");
    assert_eq!(m["reasons"][0]["kind"], "observation");
    assert_eq!(m["reasons"][0]["code"], "DXA_TSCORE");
    assert_eq!(m["reasons"][0]["value"], -2.5);
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["fls_groups"].as_array().unwrap().len(), 4);
    assert!(
        v["fls_groups"][3]["letter_da"]
            .as_str()
            .unwrap()
            .contains("hospital")
    );
    // Group 3 by fracture shows the fracture.
    let m = v["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["patient_id"] == "fracture_before_scan")
        .unwrap();
    assert!(
        m["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "L75"),
        "{m}"
    );
}

#[test]
fn population_is_listed_and_alive_patients() {
    let f = fixture();
    let af = members(&f, "atrial_fibrillation");
    assert_eq!(af, ["af_dies_after_d", "af_icd10_no_oac", "af_on_apixaban"]);
    assert_eq!(
        members(&f, "atrial_fibrillation_without_oac"),
        ["af_dies_after_d", "af_icd10_no_oac"]
    );
    let other = members_report(
        &f.ds,
        &ListSet::shipped(),
        f.c2,
        "atrial_fibrillation",
        d(),
        true,
    )
    .unwrap();
    assert_eq!(other.count, 1);
    assert_eq!(
        other.members[0].patient_id.as_deref(),
        Some("af_listed_elsewhere")
    );
}

#[test]
fn glp1_without_other_antidiabetic_looks_back_12_months() {
    let f = fixture();
    assert_eq!(
        members(&f, "glp1_without_other_antidiabetic"),
        [
            "glp1_metformin_13_months",
            "glp1_metformin_13_months_open",
            "glp1_metformin_ended_11_months"
        ]
    );
    // A user list can count courses that ended in the period too.
    let lists = ListSet::shipped()
        .with_text(
            "k.lists",
            "list glp1_strict\n  name_da: X\n  name_en: X\n  all of\n    prescription active A10BJ\n    none of\n      prescription started or ended within 12 months A10 except A10BJ\n",
        )
        .unwrap();
    let r = members_report(&f.ds, &lists, f.c1, "glp1_strict", d(), true).unwrap();
    let mut ids: Vec<String> = r
        .members
        .iter()
        .map(|m| m.patient_id.clone().unwrap())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        ["glp1_metformin_13_months", "glp1_metformin_13_months_open"]
    );
    // GLP-1 alone does not make the diabetes list (it is also an obesity drug); the running
    // metformin does, so that patient is on both lists: the rule looks at start dates.
    let diabetes: Vec<String> = members(&f, "diabetes")
        .into_iter()
        .filter(|p| p.starts_with("glp1"))
        .collect();
    assert_eq!(diabetes, ["glp1_metformin_13_months_open"]);
}

#[test]
fn chronic_conditions_and_multimorbidity() {
    let f = fixture();
    assert_eq!(
        members(&f, "diabetes"),
        ["diabetes_and_hypertension", "glp1_metformin_13_months_open"]
    );
    assert_eq!(members(&f, "hypertension"), ["diabetes_and_hypertension"]);
    assert_eq!(members(&f, "multimorbidity"), ["diabetes_and_hypertension"]);
    assert_eq!(
        members(&f, "dementia"),
        ["alzheimer_g30", "dementia_subcode"]
    );
    assert_eq!(members(&f, "adhd"), ["adhd_drug"]);
    assert_eq!(members(&f, "severe_mental_illness"), ["lithium"]);
    let m = member_json(&f, "multimorbidity", "diabetes_and_hypertension");
    let kinds: Vec<(&str, &str)> = m["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["kind"].as_str().unwrap(), r["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("list", "diabetes"),
            ("diagnosis", "T90"),
            ("list", "hypertension"),
            ("diagnosis", "DI10")
        ]
    );
}

#[test]
fn polypharmacy_counts_distinct_substances() {
    let f = fixture();
    assert_eq!(members(&f, "polypharmacy_5"), ["five_drugs", "ten_drugs"]);
    assert_eq!(members(&f, "polypharmacy_10"), ["ten_drugs"]);
    // The population is 37: the top 4 % is ceil(1.48) = 2 patients, cut at the
    // second-highest count (5), so both with at least 5 are in.
    assert_eq!(
        members(&f, "polypharmacy_effort_group"),
        ["five_drugs", "ten_drugs"]
    );
    let m = member_json(&f, "polypharmacy_10", "ten_drugs");
    assert_eq!(m["reasons"][0]["kind"], "count");
    assert_eq!(m["reasons"][0]["value"], 10.0);
    assert_eq!(m["reasons"].as_array().unwrap().len(), 11);
}

#[test]
fn continuity_matches_the_hand_computed_example() {
    let f = fixture();
    let c = evaluate_clinic(&f.ds, &ListSet::shipped(), f.c1, d());
    let low = c.lists.iter().find(|l| l.id == "low_continuity").unwrap();
    assert_eq!(low.count, 1);
    let m = &low.members[0];
    assert_eq!((m.contacts, m.upc), (5, Some(0.4)));
    assert!((m.coc.unwrap() - 0.2).abs() < 1e-12);
    // upc_0_6: 3 + 1 + 1 contacts; phone, other clinic, old and cancelled lines left out.
    let r = members_report(
        &f.ds,
        &ListSet::shipped(),
        f.c1,
        "low_continuity",
        d(),
        true,
    )
    .unwrap();
    assert_eq!(r.members[0].patient_id.as_deref(), Some("upc_0_4"));
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["members"][0]["upc"], 0.4);
    assert_eq!(v["members"][0]["reasons"][0]["kind"], "continuity");
    // The clinic mean over patients with at least 2 contacts: (0.6 + 0.4 + 1/3) / 3.
    let mean = c.continuity.mean_upc.unwrap();
    assert!(
        (mean - (0.6 + 0.4 + 1.0 / 3.0) / 3.0).abs() < 1e-12,
        "{mean}"
    );
    assert_eq!(c.continuity.patients, 3);
    let mean_coc = c.continuity.mean_coc.unwrap();
    assert!(
        (mean_coc - (0.3 + 0.2 + 0.0) / 3.0).abs() < 1e-12,
        "{mean_coc}"
    );
}

#[test]
fn members_are_masked_unless_ids_are_asked_for() {
    let f = fixture();
    let r = members_report(&f.ds, &ListSet::shipped(), f.c1, "dementia", d(), false).unwrap();
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["list"], "dementia");
    assert_eq!(v["clinic_id"], "C1");
    assert_eq!(v["date"], "2025-06-30");
    for m in v["members"].as_array().unwrap() {
        assert!(m.get("patient_id").is_none());
        assert!(m["patient"].as_str().unwrap().contains('…'));
        assert!(m.get("fls_group").is_some() && m.get("upc").is_some());
        let r = &m["reasons"][0];
        for key in ["kind", "code", "date", "value", "end_date", "system"] {
            assert!(r.get(key).is_some(), "{key} in {r}");
        }
    }
    let err = members_report(&f.ds, &ListSet::shipped(), f.c1, "nope", d(), false).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("unknown list 'nope' (known: dementia")
    );
}

#[test]
fn lists_report_gives_prevalence_with_region_and_country() {
    let f = fixture();
    let lists = ListSet::shipped();
    let r = lists_report(&f.ds, &lists, Some(f.c1), d());
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["clinic_id"], "C1");
    let pop = r.population;
    // C1 has every patient built with c1 except the two who died on or before D.
    let af = v["lists"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "atrial_fibrillation")
        .unwrap();
    for key in [
        "id",
        "name_da",
        "name_en",
        "count",
        "population",
        "prevalence",
        "region_prevalence",
        "country_prevalence",
        "standardised_prevalence",
        "region_standardised",
    ] {
        assert!(af.get(key).is_some(), "{key}");
    }
    assert_eq!(af["count"], 3);
    assert_eq!(af["population"], pop);
    assert_eq!(af["prevalence"].as_f64().unwrap(), 3.0 / pop as f64);
    // Region (C1 + C2 in Midtjylland): 3 + 1; country adds C3's 3.
    assert_eq!(
        af["region_prevalence"].as_f64().unwrap(),
        4.0 / (pop + 1) as f64
    );
    assert_eq!(
        af["country_prevalence"].as_f64().unwrap(),
        7.0 / (pop + 4) as f64
    );
    let whole = serde_json::to_value(lists_report(&f.ds, &lists, None, d())).unwrap();
    assert!(whole["clinic_id"].is_null());
    assert_eq!(whole["population"], pop + 4);
    assert_eq!(whole["lists"].as_array().unwrap().len(), 22);
}

#[test]
fn standardisation_is_neutral_for_the_whole_dataset() {
    let f = fixture();
    let r = lists_report(&f.ds, &ListSet::shipped(), None, d());
    for l in &r.lists {
        match (l.standardised_prevalence, l.country_standardised) {
            (Some(a), Some(b)) => assert!((a - b).abs() < 1e-12, "{}", l.id),
            (None, _) => assert_eq!(l.count, 0, "{}", l.id),
            (Some(_), None) => panic!("{}", l.id),
        }
    }
}

#[test]
fn aggregates_suppress_counts_under_five() {
    let f = fixture();
    let lists = ListSet::shipped();
    let regions = aggregate(&f.ds, &lists, d(), Level::Region);
    assert_eq!(regions.len(), 2);
    let v = serde_json::to_value(&regions).unwrap();
    let midt = v
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["area_id"] == "midt")
        .unwrap();
    let get = |id: &str| {
        midt["lists"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == id)
            .unwrap()
            .clone()
    };
    let af = get("atrial_fibrillation");
    assert!(
        af["count"].is_null() && af["suppressed"] == true && af["prevalence"].is_null(),
        "{af}"
    );
    let osteo = get("osteoporosis");
    assert_eq!(osteo["count"], serde_json::json!(null));
    let clusters = cluster_map(&f.ds, [("C1", "Klynge A"), ("C2", "Klynge A")]).unwrap();
    assert!(cluster_map(&f.ds, [("C9", "Klynge A")]).is_err());
    let a = aggregate(&f.ds, &lists, d(), Level::Cluster(&clusters));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].clinics, 2);
    let country = aggregate(&f.ds, &lists, d(), Level::Country);
    let af = country[0]
        .lists
        .iter()
        .find(|l| l.id == "atrial_fibrillation")
        .unwrap();
    assert_eq!((af.count, af.suppressed), (Some(7), false));
    assert!(af.prevalence.is_some());
    for level in [Level::Clinic, Level::Kommune, Level::HealthCouncil] {
        assert!(!aggregate(&f.ds, &lists, d(), level).is_empty());
    }
}

#[test]
fn a_bad_list_file_names_file_line_and_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("klynge.lists");
    std::fs::write(
        &path,
        "# Our cluster's lists\nlist nsaid_elderly\n  name_da: NSAID til ældre\n  name_en: NSAID in the elderly\n  all of\n    prescription active M01A\n    age >= old\n",
    )
    .unwrap();
    let err = ListSet::shipped().with_file(&path).unwrap_err();
    assert_eq!(err.problems.len(), 1);
    assert_eq!(err.problems[0].line, Some(7));
    assert_eq!(
        err.to_string(),
        format!(
            "{}:7: expected a number for age, found 'old'",
            path.display()
        )
    );
}

#[test]
fn a_user_list_is_evaluated_like_a_shipped_one() {
    let f = fixture();
    let lists = ListSet::shipped()
        .with_text(
            "k.lists",
            "list tw_or_af_men\n  name_da: X\n  name_en: X\n  any of\n    list triple_whammy\n    all of\n      list atrial_fibrillation\n      sex M\n",
        )
        .unwrap();
    let r = members_report(&f.ds, &lists, f.c1, "tw_or_af_men", d(), true).unwrap();
    let mut ids: Vec<String> = r
        .members
        .iter()
        .map(|m| m.patient_id.clone().unwrap())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "af_dies_after_d",
            "tw_combination",
            "tw_opioid_nsaid_combination"
        ]
    );
}

#[test]
fn evaluate_all_agrees_with_evaluate_clinic() {
    let f = fixture();
    let lists = ListSet::shipped();
    let all = evaluate_all(&f.ds, &lists, d());
    assert_eq!(all.len(), 3);
    for c in &all {
        let one = evaluate_clinic(&f.ds, &lists, c.clinic, d());
        let counts: Vec<u32> = one.lists.iter().map(|l| l.count).collect();
        assert_eq!(counts, c.counts, "{}", c.clinic_id);
        assert_eq!(one.population, c.population);
    }
}

#[test]
fn an_earlier_reference_date_sees_the_past() {
    let f = fixture();
    // On D-1 the drug stopped on D-1 is still active; the one stopped on D too.
    let earlier: Day = dd(-1);
    let r = members_report(&f.ds, &ListSet::shipped(), f.c1, "opioid", earlier, true).unwrap();
    let ids: Vec<String> = r
        .members
        .iter()
        .map(|m| m.patient_id.clone().unwrap())
        .collect();
    assert!(ids.contains(&"stopped_day_before".to_string()));
    assert!(ids.contains(&"stopped_on_d".to_string()));
    // A year earlier nobody had started.
    let r = members_report(
        &f.ds,
        &ListSet::shipped(),
        f.c1,
        "opioid",
        day("2024-06-30"),
        true,
    )
    .unwrap();
    assert!(
        r.members
            .iter()
            .all(|m| m.patient_id.as_deref() != Some("stopped_on_d"))
    );
}
