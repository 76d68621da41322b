//! Drives the real `almen capacity` commands on a small synthetic dataset (Odder, 727).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

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

fn ok(args: &[&str]) -> String {
    let o = almen(args);
    assert!(o.status.success(), "almen {args:?}:\n{}", text(&o));
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = ok(args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// One synthetic municipality for every test of this file.
fn data() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("odder");
        ok(&[
            "synth",
            "--scale",
            "kommune",
            "--kommune",
            "727",
            "--seed",
            "2",
            "--out",
            out.to_str().unwrap(),
        ]);
        (d, out)
    })
    .1
}

fn dir() -> &'static str {
    data().to_str().unwrap()
}

#[test]
fn help_names_the_commands_and_examples() {
    let t = ok(&["capacity", "--help"]);
    for c in [
        "model",
        "compare",
        "allocate",
        "coverage",
        "fit-weights",
        "bench",
        "Examples:",
    ] {
        assert!(t.contains(c), "{t}");
    }
    let t = ok(&["capacity", "model", "--help"]);
    assert!(t.contains("--weights") && t.contains("--level") && t.contains("--date"));
    assert!(t.contains("almen capacity model --data"), "{t}");
    assert!(ok(&["capacity", "allocate", "--help"]).contains("largest remainder"));
}

#[test]
fn model_json_is_stable_and_unrounded() {
    let v = json(&["capacity", "model", "--data", dir(), "--format", "json"]);
    let r = v["reference_per_capacity"].as_f64().unwrap();
    let citizens = v["citizens"].as_f64().unwrap();
    let capacities = v["capacities"].as_f64().unwrap();
    assert!(
        (r - citizens / capacities).abs() < 1e-6 * r,
        "mean weight 1.0"
    );
    assert_eq!(v["level"], "kommune");
    assert_eq!(v["date"], "2025-12-31");
    assert!(
        v["weights"]
            .as_str()
            .unwrap()
            .contains("synthetic national")
    );
    let areas = v["areas"].as_array().unwrap();
    assert!(areas.iter().any(|a| a["code"] == "727"));
    for a in areas {
        for k in [
            "code",
            "name",
            "citizens",
            "weighted_citizens",
            "capacities",
            "average_per_capacity",
        ] {
            assert!(a.get(k).is_some(), "areas[].{k}");
        }
    }
    let clinics = v["clinics"].as_array().unwrap();
    assert!(clinics.len() > 3);
    let mut fractional = 0;
    for c in clinics {
        for k in [
            "clinic_id",
            "capacities",
            "listed",
            "mean_weight",
            "minimum_patients",
        ] {
            assert!(c.get(k).is_some(), "clinics[].{k}");
        }
        let m = c["minimum_patients"].as_f64().unwrap();
        fractional += (m.fract() != 0.0) as usize;
        assert!(c["limited_by"].is_null(), "no limit unless configured");
    }
    assert!(fractional > 0, "JSON is unrounded");

    // The table rounds to whole patients.
    let t = ok(&["capacity", "model", "--data", dir()]);
    assert!(t.contains("R = ") && t.contains("minimum"), "{t}");
    let line = t
        .lines()
        .find(|l| l.starts_with(clinics[0]["clinic_id"].as_str().unwrap()))
        .unwrap();
    let min = line.split_whitespace().nth(6).unwrap();
    assert!(min.parse::<u64>().is_ok(), "{line}");

    // Health councils.
    let v = json(&[
        "capacity",
        "model",
        "--data",
        dir(),
        "--level",
        "sundhedsraad",
        "--format",
        "json",
    ]);
    assert_eq!(v["level"], "sundhedsraad");
    assert!(
        v["areas"][0]["name"]
            .as_str()
            .unwrap()
            .starts_with("Sundhedsråd")
    );
}

#[test]
fn one_clinic_explains_its_number() {
    let v = json(&["capacity", "model", "--data", dir(), "--format", "json"]);
    let id = v["clinics"][0]["clinic_id"].as_str().unwrap();
    let t = ok(&["capacity", "model", "--data", dir(), "--clinic", id]);
    for step in [
        "1. Weights",
        "2. R = ",
        "3. Area",
        "5. Minimum = capacities x R / mean weight",
    ] {
        assert!(t.contains(step), "{t}");
    }
    let o = almen(&["capacity", "model", "--data", dir(), "--clinic", "nope"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("unknown clinic id \"nope\""),
        "{}",
        text(&o)
    );
}

#[test]
fn limits_apply_only_when_given() {
    let v = json(&[
        "capacity",
        "model",
        "--data",
        dir(),
        "--floor",
        "1700",
        "--ceiling",
        "1750",
        "--format",
        "json",
    ]);
    for c in v["clinics"].as_array().unwrap() {
        let per = c["minimum_patients"].as_f64().unwrap() / c["capacities"].as_f64().unwrap();
        assert!((1700.0 - 1e-6..=1750.0 + 1e-6).contains(&per), "{c}");
    }
    assert!(
        v["clinics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["limited_by"] == "floor" || c["limited_by"] == "ceiling")
    );
    let o = almen(&[
        "capacity",
        "model",
        "--data",
        dir(),
        "--floor",
        "2000",
        "--ceiling",
        "1000",
    ]);
    assert!(!o.status.success());
}

#[test]
fn a_bad_weight_file_is_refused_with_row_and_reason() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("w.csv");
    let mut s = String::from("term,value\n");
    for sex in ["F", "M"] {
        for b in 0..18 {
            let band = if b == 17 {
                "85+".to_string()
            } else {
                format!("{}-{}", b * 5, b * 5 + 4)
            };
            if sex == "M" && b == 17 {
                continue; // missing age band
            }
            let v = if sex == "F" && b == 3 { "-1" } else { "1" };
            s.push_str(&format!("age_sex:{sex}:{band},{v}\n"));
        }
    }
    s.push_str("condition:gout,0.5\n");
    std::fs::write(&f, s).unwrap();
    let o = almen(&[
        "capacity",
        "model",
        "--data",
        dir(),
        "--weights",
        f.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let t = text(&o);
    let name = f.display().to_string();
    assert!(
        t.contains(&format!(
            "{name}:5: negative weight -1 for 'age_sex:F:15-19'"
        )),
        "{t}"
    );
    assert!(
        t.contains(&format!("{name}:37: unknown condition 'gout'")),
        "{t}"
    );
    assert!(
        t.contains("missing age band: no row for 'age_sex:M:85+'"),
        "{t}"
    );
    assert!(t.contains("3 problem(s) in the weight file"), "{t}");
}

#[test]
fn fit_weights_writes_a_table_the_model_reads() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("fitted.csv");
    let v = json(&[
        "capacity",
        "fit-weights",
        "--data",
        dir(),
        "--out",
        f.to_str().unwrap(),
        "--label",
        "Odder fit",
        "--format",
        "json",
    ]);
    assert!(v["n"].as_u64().unwrap() > 10_000);
    let r2 = v["r_squared"].as_f64().unwrap();
    assert!(r2 > 0.0 && r2 < 1.0);
    assert!(v["terms"][0]["standard_error"].as_f64().unwrap() > 0.0);
    let file = std::fs::read_to_string(&f).unwrap();
    assert!(file.contains("# label: Odder fit") && file.contains("\nterm,value\n"));
    let v = json(&[
        "capacity",
        "model",
        "--data",
        dir(),
        "--weights",
        f.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(v["weights"], "Odder fit");
    let t = ok(&[
        "capacity",
        "fit-weights",
        "--data",
        dir(),
        "--out",
        f.to_str().unwrap(),
        "--conditions",
        "diabetes,dementia",
    ]);
    assert!(
        t.contains("R² = ") && t.contains("condition:dementia"),
        "{t}"
    );
    let o = almen(&[
        "capacity",
        "fit-weights",
        "--data",
        dir(),
        "--out",
        f.to_str().unwrap(),
        "--conditions",
        "gout",
    ]);
    assert!(!o.status.success());
    assert!(text(&o).contains("unknown list 'gout'"), "{}", text(&o));
}

#[test]
fn allocate_compare_and_coverage() {
    let v = json(&[
        "capacity",
        "allocate",
        "--data",
        dir(),
        "--new-capacities",
        "7",
        "--format",
        "json",
    ]);
    let total: u64 = v["areas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["allocated"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 7);
    assert!(v["method"].as_str().unwrap().contains("largest remainder"));
    let t = ok(&[
        "capacity",
        "allocate",
        "--data",
        dir(),
        "--new-capacities",
        "7",
    ]);
    assert!(t.contains("allocated in all: 7"), "{t}");

    let v = json(&["capacity", "compare", "--data", dir(), "--format", "json"]);
    assert!(v["clinic_model"]["clinics"].is_u64());
    assert!(v["area_model"]["patients"].is_f64());
    assert!(
        v["by_clinic_type"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["group"] == "plo")
    );
    let t = ok(&["capacity", "compare", "--data", dir(), "--clinics"]);
    assert!(
        t.contains("clinic model") && t.contains("area model"),
        "{t}"
    );

    let v = json(&["capacity", "coverage", "--data", dir(), "--format", "json"]);
    assert!(v["without_list_place"].as_u64().unwrap() > 0);
    assert!(v["owners"]["note"].is_string());
    let t = ok(&[
        "capacity",
        "coverage",
        "--data",
        dir(),
        "--level",
        "sundhedsraad",
    ]);
    assert!(t.contains("without a list place"), "{t}");
}

#[test]
fn dates_and_timings() {
    let o = almen(&["capacity", "model", "--data", dir(), "--date", "31-12-2025"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("YYYY-MM-DD"), "{}", text(&o));
    let o = almen(&[
        "capacity",
        "model",
        "--data",
        dir(),
        "--date",
        "2025-06-30",
        "--timings",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("timing model") && err.contains("after load"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["date"], "2025-06-30");
}
