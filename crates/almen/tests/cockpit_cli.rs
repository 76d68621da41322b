//! Drives the real `almen cockpit` commands on a small synthetic dataset: the JSON shapes the
//! issue fixes, masking and the audit row of `--show-ids`, the FLS list, and the errors.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn almen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_almen"))
        .args(args)
        .env_remove("ALMEN_DATABASE_URL")
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

fn json(o: &Output) -> Value {
    assert!(o.status.success(), "{}", text(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

/// One synthetic clinic in CSV (so the test can read the clinic id), removed when dropped.
/// Seed 8 gives a clinic with three doctors, so some patients have low continuity.
struct Data {
    _tmp: tempfile::TempDir,
    dir: String,
    clinic: String,
}

impl Data {
    fn new() -> Data {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("clinic");
        let o = almen(&[
            "synth",
            "--scale",
            "clinic",
            "--seed",
            "8",
            "--format",
            "csv",
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o));
        let clinics = std::fs::read_to_string(dir.join("clinics.csv")).unwrap();
        let id = clinics.lines().nth(1).unwrap().split(',').next().unwrap();
        Data {
            dir: dir.to_str().unwrap().to_string(),
            clinic: id.to_string(),
            _tmp: tmp,
        }
    }

    fn data(&self) -> &str {
        &self.dir
    }

    fn clinic(&self) -> &str {
        &self.clinic
    }

    fn members(&self, list: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            "cockpit",
            "members",
            "--data",
            self.data(),
            "--clinic",
            self.clinic(),
            "--list",
            list,
            "--format",
            "json",
        ];
        args.extend(extra);
        almen(&args)
    }

    fn members_len(&self, list: &str) -> usize {
        json(&self.members(list, &[]))["members"]
            .as_array()
            .unwrap()
            .len()
    }
}

fn is_date(v: &Value) -> bool {
    let s = v.as_str().unwrap_or("");
    s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-'
}

#[test]
fn lists_json_has_the_stable_shape_for_a_clinic_and_the_whole_dataset() {
    let d = Data::new();
    let r = json(&almen(&[
        "cockpit",
        "lists",
        "--data",
        d.data(),
        "--clinic",
        d.clinic(),
        "--format",
        "json",
    ]));
    assert_eq!(r["clinic_id"], d.clinic());
    assert!(is_date(&r["date"]), "{}", r["date"]);
    let lists = r["lists"].as_array().unwrap();
    assert_eq!(lists.len(), 22);
    assert_eq!(lists[0]["id"], "dementia");
    let population = r["population"].as_u64().unwrap();
    assert!(population > 100, "{population}");
    let mut any = false;
    for l in lists {
        assert!(l["id"].is_string() && l["count"].is_u64(), "{l}");
        let p = l["prevalence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p), "{l}");
        assert!(
            (p - l["count"].as_f64().unwrap() / population as f64).abs() < 1e-12,
            "{l}"
        );
        for k in [
            "region_prevalence",
            "country_prevalence",
            "standardised_prevalence",
            "region_standardised",
            "country_standardised",
        ] {
            assert!(l.get(k).is_some(), "{k} missing in {l}");
        }
        any |= l["count"].as_u64().unwrap() > 0;
    }
    assert!(any, "no list has members: {r}");

    // The whole dataset: the same shape, clinic_id null.
    let w = json(&almen(&[
        "cockpit",
        "lists",
        "--data",
        d.data(),
        "--format",
        "json",
    ]));
    assert!(w["clinic_id"].is_null());
    assert_eq!(w["date"], r["date"]);
    assert_eq!(w["lists"].as_array().unwrap().len(), 22);
    assert!(w["lists"][0]["prevalence"].is_f64());

    // CSV: a header and one row per list; the table names the lists.
    let o = almen(&[
        "cockpit",
        "lists",
        "--data",
        d.data(),
        "--clinic",
        d.clinic(),
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let csv = String::from_utf8(o.stdout).unwrap();
    assert!(csv.starts_with("clinic_id,date,id,"), "{csv}");
    assert_eq!(csv.lines().count(), 23);
    let o = almen(&[
        "cockpit",
        "lists",
        "--data",
        d.data(),
        "--clinic",
        d.clinic(),
    ]);
    assert!(o.status.success());
    assert!(text(&o).contains("polypharmacy_effort_group"));

    // An earlier reference date is honoured.
    let e = json(&almen(&[
        "cockpit",
        "lists",
        "--data",
        d.data(),
        "--date",
        "2024-01-01",
        "--format",
        "json",
    ]));
    assert_eq!(e["date"], "2024-01-01");
}

#[test]
fn members_are_masked_with_reasons_and_carry_fls_and_continuity_figures() {
    let d = Data::new();
    let r = json(&d.members("hypertension", &[]));
    assert_eq!(r["list"], "hypertension");
    assert_eq!(r["clinic_id"], d.clinic());
    assert!(is_date(&r["date"]));
    let ms = r["members"].as_array().unwrap();
    assert!(!ms.is_empty(), "{r}");
    assert_eq!(r["count"].as_u64().unwrap() as usize, ms.len());
    for m in ms {
        assert!(m["patient"].as_str().unwrap().contains('…'), "{m}");
        assert!(m.get("patient_id").is_none(), "{m}");
        let reasons = m["reasons"].as_array().unwrap();
        assert!(!reasons.is_empty(), "{m}");
        assert_eq!(reasons[0]["kind"], "diagnosis");
        assert!(is_date(&reasons[0]["date"]), "{m}");
    }

    let r = json(&d.members("osteoporosis", &[]));
    for m in r["members"].as_array().unwrap() {
        let g = &m["fls_group"];
        assert!(
            g.is_null() || ["1", "2a", "2b", "3"].contains(&g.as_str().unwrap()),
            "{m}"
        );
    }
    assert!(r["fls_groups"].as_array().unwrap().len() == 4);

    let r = json(&d.members("low_continuity", &[]));
    assert!(!r["members"].as_array().unwrap().is_empty(), "{r}");
    for m in r["members"].as_array().unwrap() {
        assert!(m["upc"].as_f64().unwrap() < 0.5, "{m}");
        assert!(m["coc"].is_f64(), "{m}");
        assert!(m["contacts"].as_u64().unwrap() >= 4, "{m}");
    }

    // Table and CSV.
    let o = almen(&[
        "cockpit",
        "members",
        "--data",
        d.data(),
        "--clinic",
        d.clinic(),
        "--list",
        "hypertension",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("masked"));
    let o = almen(&[
        "cockpit",
        "members",
        "--data",
        d.data(),
        "--clinic",
        d.clinic(),
        "--list",
        "hypertension",
        "--format",
        "csv",
    ]);
    let csv = String::from_utf8(o.stdout).unwrap();
    assert!(csv.starts_with("list,clinic_id,date,patient,age,"), "{csv}");
    assert_eq!(csv.lines().count(), d.members_len("hypertension") + 1);
}

#[test]
fn the_fls_list_has_every_dxa_result_with_its_group() {
    let d = Data::new();
    let r = json(&d.members("fls", &[]));
    assert_eq!(r["list"], "fls");
    assert!(!r["members"].as_array().unwrap().is_empty(), "{r}");
    for m in r["members"].as_array().unwrap() {
        let g = m["fls_group"].as_str().unwrap();
        assert!(["1", "2a", "2b", "3"].contains(&g), "{m}");
        assert_eq!(m["reasons"][0]["kind"], "fls_group");
        assert_eq!(m["reasons"][0]["code"], g);
    }
    // Everyone in group 2b or 3 is on the osteoporosis list.
    let severe = r["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| ["2b", "3"].contains(&m["fls_group"].as_str().unwrap()))
        .count();
    let osteo = json(&d.members("osteoporosis", &[]));
    let osteo_severe = osteo["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| matches!(m["fls_group"].as_str(), Some("2b" | "3")))
        .count();
    assert_eq!(severe, osteo_severe);
}

async fn latest(url: &str) -> Vec<almen_server::AuditRecord> {
    let db = almen_server::Db::connect(url).await.unwrap();
    let rows = almen_server::latest_audit(&db, 10).await.unwrap();
    db.close().await;
    rows
}

#[test]
fn show_ids_writes_an_audit_row_first_and_refuses_without_one() {
    let d = Data::new();
    let tmp = tempfile::tempdir().unwrap();
    let db_path = tmp.path().join("audit").join("almen.sqlite");
    let url = format!("sqlite://{}?mode=rwc", db_path.display());

    // Without --show-ids no database is opened.
    let o = d.members("dementia", &["--database-url", &url]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!db_path.exists());

    let r = json(&d.members("hypertension", &["--show-ids", "--database-url", &url]));
    let ms = r["members"].as_array().unwrap();
    assert!(!ms.is_empty());
    for m in ms {
        assert!(m["patient_id"].is_string(), "{m}");
        assert!(m["patient"].as_str().unwrap().contains('…'), "{m}");
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let rows = rt.block_on(latest(&url));
    let row = rows
        .iter()
        .find(|r| r.action == "cockpit.members.show_ids")
        .expect("an audit row");
    assert!(row.username.starts_with("cli:"), "{row:?}");
    assert_eq!(
        row.reason.as_deref(),
        Some("almen cockpit members --show-ids")
    );
    let detail: Value = serde_json::from_str(&row.detail).unwrap();
    assert_eq!(detail["clinic"], d.clinic());
    assert_eq!(detail["list"], "hypertension");
    assert_eq!(detail["date"], r["date"]);
    assert_eq!(detail["members"].as_u64().unwrap() as usize, ms.len());

    // A database that cannot be written: no ids, nothing on stdout, non-zero exit.
    let bad = format!(
        "sqlite://{}?mode=ro",
        tmp.path().join("missing.sqlite").display()
    );
    let o = d.members("hypertension", &["--show-ids", "--database-url", &bad]);
    assert!(!o.status.success());
    assert!(o.stdout.is_empty(), "{}", text(&o));
    assert!(
        text(&o).contains("refusing to show patient ids"),
        "{}",
        text(&o)
    );
}

#[test]
fn bad_input_gets_a_clear_message_and_nothing_on_stdout() {
    let d = Data::new();
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (
            vec!["--clinic", d.clinic(), "--list", "nope"],
            vec!["unknown list \"nope\"", "dementia", "low_continuity", "fls"],
        ),
        (
            vec!["--clinic", "999999", "--list", "dementia"],
            vec!["999999", d.clinic(), "almen cockpit lists --data"],
        ),
        (
            vec![
                "--clinic",
                d.clinic(),
                "--list",
                "dementia",
                "--date",
                "2025-13-45",
            ],
            vec!["2025-13-45", "YYYY-MM-DD"],
        ),
    ];
    for (extra, needles) in cases {
        let mut args = vec!["cockpit", "members", "--data", d.data()];
        args.extend(&extra);
        let o = almen(&args);
        assert!(!o.status.success(), "{extra:?}");
        assert!(o.stdout.is_empty(), "{extra:?}: {}", text(&o));
        for n in needles {
            assert!(text(&o).contains(n), "{extra:?}: {n:?} in {}", text(&o));
        }
    }
}

fn write(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn list_files_add_lists_or_are_refused_with_file_and_line() {
    let d = Data::new();
    let tmp = tempfile::tempdir().unwrap();
    let good = write(
        tmp.path(),
        "klynge.lists",
        "list old_hypertension\n  name_da: Gammel hypertension\n  name_en: Old hypertension\n  all of\n    list hypertension\n    age >= 70\n",
    );
    let r = json(&almen(&[
        "cockpit",
        "lists",
        "--data",
        d.data(),
        "--clinic",
        d.clinic(),
        "--lists",
        &good,
        "--format",
        "json",
    ]));
    let lists = r["lists"].as_array().unwrap();
    assert_eq!(lists.len(), 23);
    assert_eq!(lists[22]["id"], "old_hypertension");
    let r = json(&d.members("old_hypertension", &["--lists", &good]));
    for m in r["members"].as_array().unwrap() {
        assert!(m["age"].as_u64().unwrap() >= 70, "{m}");
    }

    let bad = write(
        tmp.path(),
        "bad.lists",
        "list broken\n  name_da: x\n  name_en: x\n  age >= old\n",
    );
    for args in [
        vec![
            "cockpit",
            "lists",
            "--data",
            d.data(),
            "--clinic",
            d.clinic(),
            "--lists",
            &bad,
        ],
        vec![
            "cockpit",
            "members",
            "--data",
            d.data(),
            "--clinic",
            d.clinic(),
            "--list",
            "dementia",
            "--lists",
            &bad,
        ],
    ] {
        let o = almen(&args);
        assert!(!o.status.success(), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}: {}", text(&o));
        assert!(
            text(&o).contains(&format!("{bad}:4: ")),
            "{args:?}: {}",
            text(&o)
        );
    }
}

#[test]
fn help_teaches_the_lists_and_examples() {
    let o = almen(&["cockpit", "--help"]);
    assert!(o.status.success());
    let t = text(&o);
    for n in [
        "lists",
        "members",
        "osteoporosis",
        "low_continuity",
        "fls",
        "Examples",
    ] {
        assert!(t.contains(n), "{n} in {t}");
    }
    let t = text(&almen(&["cockpit", "members", "--help"]));
    for n in [
        "--show-ids",
        "--lists",
        "--database-url",
        "almen cockpit members --data",
    ] {
        assert!(t.contains(n), "{n} in {t}");
    }
    assert!(text(&almen(&["--help"])).contains("cockpit"));
}

#[test]
fn bench_reports_timings_and_every_clinics_counts() {
    let d = Data::new();
    let r = json(&almen(&[
        "cockpit",
        "bench",
        "--data",
        d.data(),
        "--repeat",
        "1",
        "--format",
        "json",
    ]));
    assert_eq!(r["lists"].as_array().unwrap().len(), 22);
    assert!(r["load_seconds"].as_f64().unwrap() > 0.0);
    assert!(r["evaluate_all_seconds"]["best"].is_f64());
    assert!(r["one_clinic"]["seconds"]["best"].is_f64());
    let c = &r["clinics"][0];
    assert_eq!(c["counts"].as_array().unwrap().len(), 22);
    assert_eq!(c["fls_groups"].as_array().unwrap().len(), 4);
}
