//! Drives the real `almen` binary: the commands a user types, their output and exit codes.

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

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn help_teaches_the_commands() {
    let o = almen(&["--help"]);
    assert!(o.status.success());
    let t = text(&o);
    for c in ["demo", "serve", "synth", "data"] {
        assert!(t.contains(c), "{t}");
    }
    let o = almen(&["synth", "--help"]);
    assert!(text(&o).contains("--scale"));
}

#[test]
fn synth_is_deterministic_and_checks_clean_in_both_formats() {
    let d = tempfile::tempdir().unwrap();
    for format in ["parquet", "csv"] {
        let a = d.path().join(format!("a-{format}"));
        let b = d.path().join(format!("b-{format}"));
        for out in [&a, &b] {
            let o = almen(&[
                "synth",
                "--scale",
                "clinic",
                "--seed",
                "11",
                "--format",
                format,
                "--out",
                out.to_str().unwrap(),
            ]);
            assert!(o.status.success(), "{}", text(&o));
        }
        assert_eq!(files(&a), files(&b), "{format}: same seed, different files");
        let o = almen(&["data", "check", a.to_str().unwrap()]);
        assert!(o.status.success(), "{}", text(&o));
        let t = text(&o);
        assert!(
            t.contains("patients") && t.contains("claims") && t.contains("calls"),
            "{t}"
        );
    }
    // A different seed gives a different dataset.
    let c = d.path().join("c");
    let o = almen(&[
        "synth",
        "--scale",
        "clinic",
        "--seed",
        "12",
        "--out",
        c.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert_ne!(files(&c), files(&d.path().join("a-parquet")));
}

#[test]
fn data_check_reports_broken_rows_and_exits_non_zero() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("ds");
    let o = almen(&[
        "synth",
        "--scale",
        "clinic",
        "--seed",
        "3",
        "--format",
        "csv",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let patients = dir.join("patients.csv");
    let body = std::fs::read_to_string(&patients).unwrap();
    let mut lines: Vec<String> = body.lines().map(str::to_string).collect();
    // Row 2: an impossible birth date; row 3: a municipality that does not exist.
    let mut cells: Vec<String> = lines[2].split(',').map(str::to_string).collect();
    cells[1] = "1970-02-31".into();
    lines[2] = cells.join(",");
    let mut cells: Vec<String> = lines[3].split(',').map(str::to_string).collect();
    cells[3] = "999".into();
    lines[3] = cells.join(",");
    std::fs::write(&patients, lines.join("\n") + "\n").unwrap();
    let o = almen(&["data", "check", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let f = patients.display().to_string();
    assert!(
        out.contains(&format!(
            "{f}:2: birth_date: no such calendar date (1970-02-31)"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{f}:3: kommune_code: unknown municipality code (999)"
        )),
        "{out}"
    );
}

#[test]
fn bad_options_get_one_clear_message_and_write_nothing() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("never");
    for (args, needle) in [
        (
            vec!["synth", "--scale", "kommune", "--kommune", "999"],
            "unknown municipality code",
        ),
        (vec!["synth", "--scale", "kommune"], "needs --kommune"),
        (
            vec!["synth", "--scale", "region", "--region", "fyn"],
            "--region",
        ),
    ] {
        let mut a = args.clone();
        a.extend(["--out", out.to_str().unwrap()]);
        let o = almen(&a);
        assert!(!o.status.success());
        assert!(text(&o).contains(needle), "{}", text(&o));
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
    let o = almen(&["data", "check", d.path().join("missing").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("no such folder"));
}
