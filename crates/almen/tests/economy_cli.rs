//! Drives the real `almen` binary through `almen economy`: controls, corrections, the frame
//! example, the index, a malformed rule file, and the fee-structure simulation.

use std::path::Path;
use std::process::{Command, Output};

fn almen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_almen"))
        .args(args)
        .output()
        .expect("the almen binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", text(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

fn synth(dir: &Path) {
    let o = almen(&[
        "synth",
        "--scale",
        "clinic",
        "--seed",
        "3",
        "--year",
        "2024",
        "--out",
        dir.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn controls_corrections_index_and_rule_errors() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    synth(&data);
    let data_s = data.to_str().unwrap();
    let v = json(&almen(&[
        "economy", "controls", "--data", data_s, "--year", "2024", "--format", "json",
    ]));
    let findings = v["findings"].as_array().unwrap();
    let iso: Vec<_> = findings
        .iter()
        .filter(|f| f["rule"] == "isolated_6101")
        .collect();
    assert!(!iso.is_empty(), "{v}");
    for k in ["rule", "clinic_id", "patient", "claim_ids", "explanation"] {
        assert!(!iso[0][k].is_null(), "{k}");
    }
    assert!(iso[0]["patient"].as_str().unwrap().contains('…'), "masked");
    assert_eq!(
        v["summary"]["findings"].as_u64().unwrap() as usize,
        findings.len()
    );
    let clinic = iso[0]["clinic_id"].as_str().unwrap().to_string();

    let out = d.path().join("korr.csv");
    let o = almen(&[
        "economy",
        "corrections",
        "--data",
        data_s,
        "--year",
        "2024",
        "--clinic",
        &clinic,
        "--submitted",
        "2025-06-01",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let csv = std::fs::read_to_string(&out).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "claim_id,card_id,patient_id,clinic_id,doctor_id,service_code,quantity,service_date,service_time,submitted_date,fee_dkk"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(!rows.is_empty() && rows.len() % 2 == 0, "{csv}");
    for pair in rows.chunks(2) {
        assert_eq!((pair[0][5], pair[0][6]), ("0101", "-1"));
        assert_eq!((pair[1][5], pair[1][6]), ("6101", "1"));
        assert_eq!(pair[0][7], pair[1][7], "same date");
        assert_ne!(pair[0][1], pair[1][1], "two cards");
    }

    let v = json(&almen(&[
        "economy", "index", "--data", data_s, "--year", "2024", "--format", "json",
    ]));
    let idx = v["clinics"][0]["index"].as_f64().unwrap();
    assert!(
        (idx - 100.0).abs() < 1e-6,
        "one clinic is its own region: {idx}"
    );

    let bad = d.path().join("bad.rules");
    std::fs::write(
        &bad,
        "[x]\nkind = age\nda = a\nen = b\ncodes = 01x1\nmin_age = 5\n",
    )
    .unwrap();
    let o = almen(&[
        "economy",
        "controls",
        "--data",
        data_s,
        "--rules",
        bad.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("bad.rules:5: codes: a service code has four digits (01x1)"),
        "{}",
        text(&o)
    );
}

#[test]
fn the_2023_frame_example_under_both_readings() {
    let plo = json(&almen(&[
        "economy",
        "frame",
        "--example",
        "2023",
        "--reading",
        "plo",
        "--format",
        "json",
    ]));
    for k in [
        "reading",
        "frame_dkk",
        "activity_dkk",
        "overshoot_dkk",
        "overshoot_pct",
        "tolerance_dkk",
        "countable_offset_dkk",
        "months",
    ] {
        assert!(!plo[k].is_null(), "{k}");
    }
    assert_eq!(plo["reading"], "plo");
    assert!((plo["overshoot_dkk"].as_f64().unwrap() - 135e6).abs() < 1.0);
    assert!((plo["countable_offset_dkk"].as_f64().unwrap() - 78.3e6).abs() < 1.0);
    assert_eq!(plo["months"].as_array().unwrap().len(), 12);
    let rltn = json(&almen(&[
        "economy",
        "frame",
        "--example",
        "2023",
        "--reading",
        "rltn",
        "--format",
        "json",
    ]));
    let c = rltn["countable_offset_dkk"].as_f64().unwrap() / 1e6;
    assert!((c - 187.6).abs() < 0.05, "{c}");
    let o = almen(&["economy", "frame", "--example", "2019"]);
    assert!(!o.status.success());
}

#[test]
fn the_frame_on_data() {
    let d = tempfile::tempdir().unwrap();
    synth(d.path());
    let v = json(&almen(&[
        "economy",
        "frame",
        "--data",
        d.path().to_str().unwrap(),
        "--frame-dkk",
        "1000000",
        "--format",
        "json",
    ]));
    assert_eq!(v["year"], 2024);
    assert!(v["activity_dkk"].as_f64().unwrap() > 0.0);
    assert_eq!(v["adjustments"][0]["name"], "store_bededag");
}

#[test]
fn fees_scenario_budget_neutral_floor_and_errors() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    // Fanø: two clinics.
    let o = almen(&[
        "synth",
        "--scale",
        "kommune",
        "--kommune",
        "563",
        "--seed",
        "3",
        "--year",
        "2024",
        "--out",
        data.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let data_s = data.to_str().unwrap();
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../economy/scenarios/differentiated.scenario"
    );
    let plain = d.path().join("plain.scenario");
    std::fs::write(
        &plain,
        "name = weighted, no floor\ncapitation = weighted\nfee_per_patient_dkk = 1500\n",
    )
    .unwrap();
    let v = json(&almen(&[
        "economy",
        "fees",
        "--data",
        data_s,
        "--scenario",
        plain.to_str().unwrap(),
        "--format",
        "json",
    ]));
    for k in [
        "scenario",
        "total_today_dkk",
        "total_scenario_dkk",
        "clinics",
        "distribution",
        "by_clinic_type",
        "by_area",
        "by_morbidity",
    ] {
        assert!(!v[k].is_null(), "{k}: {v}");
    }
    assert_eq!(v["scenario"], "weighted, no floor");
    let clinics = v["clinics"].as_array().unwrap();
    assert_eq!(clinics.len(), 2, "{v}");
    for k in [
        "clinic_id",
        "today_dkk",
        "scenario_dkk",
        "change_dkk",
        "change_pct",
        "listed",
        "mean_weight",
    ] {
        assert!(!clinics[0][k].is_null(), "{k}");
    }
    let total = |k: &str| v[k].as_f64().unwrap();
    assert!(
        (total("total_today_dkk") - total("total_scenario_dkk")).abs() < 1e-6,
        "budget-neutral: {v}"
    );
    let sum: f64 = clinics
        .iter()
        .map(|c| c["change_dkk"].as_f64().unwrap())
        .sum();
    assert!(sum.abs() < 1e-6, "{sum}");
    assert_eq!(v["by_area"][0]["group"], "563 Fanø");

    // The shipped example has the floor: nobody's capitation falls.
    let o = almen(&[
        "economy",
        "fees",
        "--data",
        data_s,
        "--scenario",
        example,
        "--format",
        "json",
    ]);
    let v = json(&o);
    assert_eq!(v["scenario"], "differentiated");
    // … and 5 % of today's capitation is added and paid out exactly.
    let today_cap = v["total_today_capitation_dkk"].as_f64().unwrap();
    let scen_cap = v["total_scenario_capitation_dkk"].as_f64().unwrap();
    assert!((scen_cap - today_cap * 1.05).abs() < 1e-6, "{v}");
    assert!(v["distribution"]["winners"].as_u64().unwrap() >= 1, "{v}");
    for c in v["clinics"].as_array().unwrap() {
        assert!(
            c["scenario_capitation_dkk"].as_f64().unwrap()
                >= c["today_capitation_dkk"].as_f64().unwrap() - 1e-6,
            "{c}"
        );
    }
    let o = almen(&["economy", "fees", "--data", data_s, "--scenario", example]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("list morbidity"), "{}", text(&o));

    let bad = d.path().join("bad.scenario");
    std::fs::write(&bad, "name = x\ncapitation = weighted\npool_dkk = lots\n").unwrap();
    let o = almen(&[
        "economy",
        "fees",
        "--data",
        data_s,
        "--scenario",
        bad.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("bad.scenario:3: pool_dkk: not a number (lots)"),
        "{}",
        text(&o)
    );
}
