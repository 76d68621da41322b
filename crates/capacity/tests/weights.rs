//! The weight file: the shipped table, the format round trip, and refusals with row and reason.

mod common;

use almen_capacity::weights::{WeightTable, age_sex_term};
use almen_cockpit::ListSet;

fn lists() -> ListSet {
    ListSet::shipped()
}

/// A complete valid file: every age/sex term 1.0, diabetes 0.5.
fn valid() -> String {
    let mut s = String::from("term,value\n");
    for sex in 0..2 {
        for band in 0..18 {
            s.push_str(&format!("{},1.0\n", age_sex_term(sex, band)));
        }
    }
    s.push_str("condition:diabetes,0.5\n");
    s
}

fn problems(text: &str) -> Vec<String> {
    WeightTable::parse("w.csv", text, &lists())
        .unwrap_err()
        .problems
        .iter()
        .map(|p| p.to_string())
        .collect()
}

#[test]
fn the_shipped_table_is_valid_and_labelled() {
    let t = WeightTable::default_table();
    assert!(t.label.to_lowercase().contains("synthetic"), "{}", t.label);
    assert!(!t.conditions.is_empty());
    for (id, v) in &t.conditions {
        assert!(lists().index_of(id).is_some(), "{id}");
        assert!(*v >= 0.0);
    }
    assert!(t.age_sex.iter().flatten().all(|v| *v > 0.0));
}

#[test]
fn a_table_reads_back_as_written() {
    let t = WeightTable::default_table();
    let text = t.to_csv(&["a comment".to_string()]);
    let back = WeightTable::parse(&t.source, &text, &lists()).unwrap();
    assert_eq!(back, t);
}

#[test]
fn a_valid_file_is_read_with_comments_and_label() {
    let text = format!("# made by hand\n# label: Hand table\n\n{}", valid());
    let t = WeightTable::parse("w.csv", &text, &lists()).unwrap();
    assert_eq!(t.label, "Hand table");
    assert_eq!(t.conditions, vec![("diabetes".to_string(), 0.5)]);
    assert_eq!(t.raw_weight(0, 3, 0b1), 1.5);
    // Without a label, the file names the table.
    let t = WeightTable::parse("w.csv", &valid(), &lists()).unwrap();
    assert_eq!(t.label, "w.csv");
}

#[test]
fn a_missing_age_band_is_refused_by_name() {
    let text = valid().replace("age_sex:M:85+,1.0\n", "");
    assert_eq!(
        problems(&text),
        vec![
            "w.csv: missing age band: no row for 'age_sex:M:85+' (every sex and age band needs one)"
        ]
    );
}

#[test]
fn a_negative_weight_is_refused_with_its_line() {
    let text = valid().replace("age_sex:F:5-9,1.0", "age_sex:F:5-9,-0.2");
    assert_eq!(
        problems(&text),
        vec!["w.csv:3: negative weight -0.2 for 'age_sex:F:5-9': weights must be zero or more"]
    );
}

#[test]
fn an_unknown_condition_is_refused_with_its_line() {
    let text = format!("{}condition:gout,0.3\n", valid());
    let p = problems(&text);
    assert_eq!(p.len(), 1);
    assert!(
        p[0].starts_with(
            "w.csv:39: unknown condition 'gout': not a cockpit list id (known: dementia, "
        ),
        "{}",
        p[0]
    );
}

#[test]
fn bad_terms_values_duplicates_and_headers_are_refused() {
    let text = format!(
        "{}condition:diabetes,0.7\nage_sex:X:0-4,1\nage_sex:F:3-7,1\nsex:F,1\nage_sex:F:0-4\ncondition:copd,abc\ncondition:asthma,NaN\n",
        valid()
    );
    assert_eq!(
        problems(&text),
        vec![
            "w.csv:39: duplicate term 'condition:diabetes', first given on line 38",
            "w.csv:40: bad term 'age_sex:X:0-4': sex 'X' is not F or M",
            "w.csv:41: bad term 'age_sex:F:3-7': unknown age band '3-7' (bands are 0-4, 5-9, …, 80-84, 85+)",
            "w.csv:42: bad term 'sex:F': a term is age_sex:<F|M>:<band> or condition:<cockpit list id>",
            "w.csv:43: expected 2 fields (term,value), found 1: 'age_sex:F:0-4'",
            "w.csv:44: weight of 'condition:copd' is not a number: 'abc'",
            "w.csv:45: weight of 'condition:asthma' is not a finite number: 'NaN'",
        ]
    );
    let p = problems(&valid().replacen("term,value", "term;value", 1));
    assert_eq!(
        p[0],
        "w.csv:1: the header must be 'term,value', found 'term;value'"
    );
    assert_eq!(
        problems("# only a comment\n"),
        vec!["w.csv: no header 'term,value' and no rows"]
    );
}

#[test]
fn every_problem_is_reported_at_once_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("official.csv");
    let text = valid()
        .replace("age_sex:M:0-4,1.0\n", "")
        .replace("age_sex:F:40-44,1.0", "age_sex:F:40-44,-1")
        .replace("condition:diabetes", "condition:diabetus");
    std::fs::write(&path, text).unwrap();
    let e = WeightTable::read(&path, &lists()).unwrap_err();
    let name = path.display().to_string();
    assert_eq!(e.problems.len(), 3, "{e}");
    assert!(e.problems.iter().all(|p| p.file == name));
    let s = e.to_string();
    assert!(
        s.contains(":10: negative weight -1 for 'age_sex:F:40-44'"),
        "{s}"
    );
    assert!(s.contains(":37: unknown condition 'diabetus'"), "{s}");
    assert!(
        s.contains("missing age band: no row for 'age_sex:M:0-4'"),
        "{s}"
    );
    let e = WeightTable::read(dir.path().join("nope.csv"), &lists()).unwrap_err();
    assert!(e.to_string().contains("cannot read the file"), "{e}");
}
