//! Golden tests through the extract-format reader: `tests/data/golden/*.csv` is a small
//! dataset whose patients each test one rule (`tests/data/golden/README.md` lists them);
//! the outputs are compared with `tests/data/golden/expected/`. Run with `UPDATE_EXPECT=1`
//! to rewrite the expectations after a deliberate change, and review the diff.

use almen_cockpit::*;
use almen_dataset::{Dataset, ReadOptions, read_dataset};
use std::fmt::Write;
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/golden")
}

fn check(name: &str, actual: &str) {
    let path = data_dir().join("expected").join(name);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_EXPECT=1 to create it)",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "{} differs from the actual output (UPDATE_EXPECT=1 rewrites it):\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        );
    }
}

fn dataset() -> Dataset {
    let (ds, warnings) = read_dataset(&data_dir(), &ReadOptions::default())
        .unwrap_or_else(|e| panic!("the golden dataset reads: {e}"));
    assert!(warnings.is_empty(), "{warnings:?}");
    ds
}

#[test]
fn members_of_every_list() {
    let ds = dataset();
    let lists = ListSet::shipped();
    let date = ds.last_date().unwrap();
    assert_eq!(date.to_string(), "2025-06-30");
    let clinic = ds.clinic_row("100001").unwrap();
    let mut out = String::new();
    writeln!(
        out,
        "# Clinic 100001 on {date}: members per list (ids shown)."
    )
    .unwrap();
    for id in lists.ids().into_iter().chain([FLS_LIST_ID]) {
        let r = members_report(&ds, &lists, clinic, id, date, true).unwrap();
        write!(out, "{id} ({}/{}):", r.count, r.population).unwrap();
        for m in &r.members {
            write!(out, " {}", m.patient_id.as_deref().unwrap()).unwrap();
            if let Some(g) = m.fls_group {
                write!(out, "[{}]", g.as_str()).unwrap();
            }
            if id == "low_continuity" {
                write!(out, "[upc {:?} coc {:?}]", m.upc.unwrap(), m.coc.unwrap()).unwrap();
            }
        }
        writeln!(out).unwrap();
    }
    check("members.txt", &out);
}

#[test]
fn reasons_as_json() {
    let ds = dataset();
    let lists = ListSet::shipped();
    let date = ds.last_date().unwrap();
    let clinic = ds.clinic_row("100001").unwrap();
    let mut out = String::new();
    for id in [
        "triple_whammy",
        "opioid_long_term",
        "osteoporosis",
        "low_continuity",
    ] {
        let r = members_report(&ds, &lists, clinic, id, date, false).unwrap();
        let mut v = serde_json::to_value(&r).unwrap();
        // The letters are long and tested elsewhere.
        if let Some(o) = v.as_object_mut() {
            o.remove("fls_groups");
        }
        writeln!(out, "{}", serde_json::to_string_pretty(&v).unwrap()).unwrap();
    }
    check("reasons.json", &out);
}

#[test]
fn lists_report_and_region_aggregate() {
    let ds = dataset();
    let lists = ListSet::shipped();
    let date = ds.last_date().unwrap();
    let clinic = ds.clinic_row("100001").unwrap();
    let counts = evaluate_all(&ds, &lists, date);
    let report = lists_report_from(&ds, &lists, &counts, Some(clinic), date);
    check(
        "lists_report.json",
        &(serde_json::to_string_pretty(&report).unwrap() + "\n"),
    );
    let regions = aggregate_from(&ds, &lists, &counts, date, Level::Region);
    check(
        "regions.json",
        &(serde_json::to_string_pretty(&regions).unwrap() + "\n"),
    );
}
