//! Drives the real `almen` binary: `almen planning erlang|simulate`.

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
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

fn close(v: &serde_json::Value, want: f64, tol: f64) {
    let got = v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    assert!((got - want).abs() <= tol, "{got} vs {want}");
}

#[test]
fn help_has_examples() {
    let o = almen(&["planning", "--help"]);
    assert!(o.status.success());
    let t = text(&o);
    assert!(t.contains("erlang") && t.contains("simulate"), "{t}");
    let t = text(&almen(&["planning", "erlang", "--help"]));
    assert!(
        t.contains("almen planning erlang --calls-per-hour 84 --talk-min 4 --agents 6"),
        "{t}"
    );
    let t = text(&almen(&["planning", "simulate", "--help"]));
    assert!(t.contains("--replications") && t.contains("--seed"), "{t}");
}

/// M/M/1 with ρ = 0.8 (12 calls/h, 4 min): P(wait) = ρ, Wq = ρ/(μ − λ) = 960 s — the closed
/// form the crate's own tests use; and the README's M/M/c case (84/h, 4 min, 6: 493.7 s).
#[test]
fn erlang_c_json_for_known_cases() {
    let v = json(&almen(&[
        "planning",
        "erlang",
        "--calls-per-hour",
        "12",
        "--talk-min",
        "4",
        "--agents",
        "1",
        "--format",
        "json",
    ]));
    assert_eq!(v["model"], "erlang_c");
    assert_eq!(v["visitators"], 1);
    close(&v["p_wait"], 0.8, 1e-12);
    close(&v["avg_wait_s"], 960.0, 1e-6);
    close(
        &v["service_level"],
        1.0 - 0.8 * (-900.0f64 / 1200.0).exp(),
        1e-12,
    );
    close(&v["p_abandon"], 0.0, 0.0);
    assert_eq!(v["meets_targets"], false);

    let v = json(&almen(&[
        "planning",
        "erlang",
        "--calls-per-hour",
        "84",
        "--talk-min",
        "4",
        "--visitators",
        "6",
        "--format",
        "json",
    ]));
    close(&v["avg_wait_s"], 493.7, 0.05);
    assert_eq!(v["meets_targets"], true);
}

#[test]
fn erlang_a_json_with_patience() {
    let v = json(&almen(&[
        "planning",
        "erlang",
        "--calls-per-hour",
        "30",
        "--talk-min",
        "20",
        "--patience-min",
        "60",
        "--agents",
        "9",
        "--format",
        "json",
    ]));
    assert_eq!(v["model"], "erlang_a");
    close(&v["avg_wait_s"], 527.9, 0.05);
    close(&v["within_15_min"], 0.775, 0.0005);
    close(&v["p_abandon"], 0.146, 0.0005);
}

#[test]
fn least_visitators_meeting_the_targets() {
    let v = json(&almen(&[
        "planning",
        "erlang",
        "--calls-per-hour",
        "84",
        "--talk-min",
        "4",
        "--targets",
        "--format",
        "json",
    ]));
    assert_eq!(v["least_meeting_targets"], true);
    assert_eq!(v["visitators"], 6);
    assert_eq!(v["meets_targets"], true);
    // Without --agents the least is the default; the table says so.
    let o = almen(&[
        "planning",
        "erlang",
        "--calls-per-hour",
        "84",
        "--talk-min",
        "4",
    ]);
    assert!(o.status.success());
    assert!(
        text(&o).contains("least visitators         6"),
        "{}",
        text(&o)
    );
    // One fewer is unstable, so does not meet them.
    let v = json(&almen(&[
        "planning",
        "erlang",
        "--calls-per-hour",
        "84",
        "--talk-min",
        "4",
        "--agents",
        "5",
        "--format",
        "json",
    ]));
    assert_eq!(v["stable"], false);
    assert_eq!(v["meets_targets"], false);
    assert!(v["avg_wait_s"].is_null());
}

#[test]
fn bad_numbers_name_the_flag_and_the_rule() {
    for (args, flag, rule) in [
        (
            vec!["erlang", "--calls-per-hour", "-3", "--talk-min", "4"],
            "--calls-per-hour",
            "positive",
        ),
        (
            vec!["erlang", "--calls-per-hour", "3", "--talk-min", "0"],
            "--talk-min",
            "positive",
        ),
        (
            vec![
                "erlang",
                "--calls-per-hour",
                "3",
                "--talk-min",
                "4",
                "--agents",
                "0",
            ],
            "--agents",
            "≥ 1",
        ),
        (
            vec!["simulate", "--calls-per-hour", "-1", "--visitators", "2"],
            "--calls-per-hour",
            "≥ 0",
        ),
        (
            vec![
                "simulate",
                "--calls-per-hour",
                "10",
                "--visitators",
                "2",
                "--patience-min",
                "-5",
            ],
            "--patience-min",
            "positive",
        ),
    ] {
        let mut all = vec!["planning"];
        all.extend(args);
        let o = almen(&all);
        assert!(!o.status.success(), "{all:?} was accepted");
        let t = text(&o);
        assert!(t.contains(flag) && t.contains(rule), "{all:?}: {t}");
    }
    let o = almen(&["planning", "simulate", "--calls-per-hour", "10"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("--visitators"), "{}", text(&o));
}

#[test]
fn simulate_is_deterministic_and_seeded() {
    let run = |seed: &str| {
        almen(&[
            "planning",
            "simulate",
            "--calls-per-hour",
            "84",
            "--talk-min",
            "4",
            "--visitators",
            "6",
            "--hours",
            "200",
            "--replications",
            "8",
            "--seed",
            seed,
            "--format",
            "json",
        ])
    };
    let a = run("42");
    let b = run("42");
    let v = json(&a);
    assert_eq!(a.stdout, b.stdout, "same seed, same output");
    assert_ne!(a.stdout, run("43").stdout, "another seed, other draws");
    assert_eq!(v["replications"], 8);
    assert_eq!(v["seed"], 42);
    let w = &v["intervals"]["avg_wait_s"];
    let (lo, mean, hi) = (
        w["lo"].as_f64().unwrap(),
        w["mean"].as_f64().unwrap(),
        w["hi"].as_f64().unwrap(),
    );
    assert!(lo <= mean && mean <= hi && lo > 0.0, "{w}");
    // The table is deterministic too.
    let t = |seed| {
        almen(&[
            "planning",
            "simulate",
            "--calls-per-hour",
            "20",
            "--visitators",
            "2",
            "--hours",
            "100",
            "--replications",
            "3",
            "--seed",
            seed,
        ])
        .stdout
    };
    assert_eq!(t("1"), t("1"));
}

#[test]
fn simulate_with_a_staffing_file() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("staffing.txt");
    std::fs::write(
        &f,
        "# night, day\n2 2 2 2 2 2 2 2, 4 4 4 4 4 4 4 4 4 4 4 4 4 4 4 4\n",
    )
    .unwrap();
    let f = f.to_str().unwrap();
    let v = json(&almen(&[
        "planning",
        "simulate",
        "--calls-per-hour",
        "30",
        "--talk-min",
        "4",
        "--staffing",
        f,
        "--hours",
        "100",
        "--replications",
        "3",
        "--format",
        "json",
    ]));
    assert_eq!(
        v["model"]["visitators_per_hour"].as_array().unwrap().len(),
        24
    );
    let bad = d.path().join("bad.txt");
    std::fs::write(&bad, "2 two 3\n").unwrap();
    let o = almen(&[
        "planning",
        "simulate",
        "--calls-per-hour",
        "30",
        "--staffing",
        bad.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("--staffing") && text(&o).contains("\"two\""),
        "{}",
        text(&o)
    );
}

/// The CLI's faster Erlang A search gives the crate's answer.
#[test]
fn least_visitators_with_patience_match_the_crate() {
    let t = almen_planning::PhoneTargets::default();
    for (l, talk, p) in [
        (12.0, 4.0, 30.0),
        (84.0, 4.0, 60.0),
        (30.0, 20.0, 60.0),
        (200.0, 6.0, 5.0),
    ] {
        let want = almen_planning::least_agents_with(l / 3600.0, talk * 60.0, Some(p * 60.0), &t);
        let v = json(&almen(&[
            "planning",
            "erlang",
            "--calls-per-hour",
            &l.to_string(),
            "--talk-min",
            &talk.to_string(),
            "--patience-min",
            &p.to_string(),
            "--format",
            "json",
        ]));
        assert_eq!(v["visitators"], want, "{l}/h {talk} min, patience {p} min");
        assert_eq!(v["meets_targets"], true);
    }
}
