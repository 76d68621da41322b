//! The reader's error reporting on deliberately broken files: every message names the file,
//! the row, the column and the value, all errors are reported together, and nothing is read.

use almen_dataset::{ReadOptions, read_dataset};
use std::path::Path;

const CLINICS: &str = "clinic_id,name,kommune_code,clinic_type,owner_id,capacities,open_for_new,lat,lon\n\
C1,Lægehuset,751,plo,O1,2.5,true,56.15,10.2\n\
C2,Regionsklinikken,101,region,,1,false,,\n";
const DOCTORS: &str = "doctor_id,clinic_id,role,fte,birth_year,district\n\
D1,C1,owner,1,1970,Aarhus\n\
D2,C2,employed,0.5,,\n";
const PATIENTS: &str = "patient_id,birth_date,sex,kommune_code,clinic_id,listed_since,group,deceased_date\n\
P1,1950-02-01,F,751,C1,2010-01-01,1,\n\
P2,1980-07-15,M,101,C2,,,\n\
P3,2001-12-31,M,751,,,2,2025-03-01\n";

fn write(dir: &Path, name: &str, body: &str) {
    std::fs::write(dir.join(name), body).unwrap();
}

fn valid(dir: &Path) {
    write(dir, "clinics.csv", CLINICS);
    write(dir, "doctors.csv", DOCTORS);
    write(dir, "patients.csv", PATIENTS);
}

fn errors(dir: &Path) -> Vec<String> {
    match read_dataset(dir, &ReadOptions::default()) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e.errors.iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn a_valid_minimal_dataset_reads() {
    let d = tempfile::tempdir().unwrap();
    valid(d.path());
    let (ds, warnings) = read_dataset(d.path(), &ReadOptions::default()).unwrap();
    assert!(warnings.is_empty());
    assert_eq!(ds.clinics.len(), 2);
    assert_eq!(ds.patients.len(), 3);
    assert_eq!(ds.patients.clinic[2], almen_dataset::NONE);
    assert_eq!(ds.patients.group, vec![1, 1, 2]);
    assert_eq!(ds.index.patients_by_clinic.rows_of(0), &[0]);
    assert!(!ds.present.claims);
}

#[test]
fn every_bad_cell_is_reported_with_file_row_column_and_value() {
    let d = tempfile::tempdir().unwrap();
    valid(d.path());
    write(
        d.path(),
        "patients.csv",
        "patient_id,birth_date,sex,kommune_code,clinic_id,listed_since,group,deceased_date\n\
         P1,1950-02-30,F,751,C1,,1,\n\
         P2,1980-07-15,X,999,C9,,3,\n\
         P3,2001-12-31,M,751,,,,1999-01-01\n",
    );
    let errs = errors(d.path());
    let file = d.path().join("patients.csv").display().to_string();
    let expect = [
        format!("{file}:1: birth_date: no such calendar date (1950-02-30)"),
        format!("{file}:2: sex: expected F or M (X)"),
        format!("{file}:2: kommune_code: unknown municipality code (999)"),
        format!("{file}:2: clinic_id: unknown id: no such row in clinics (C9)"),
        format!("{file}:2: group: expected sikringsgruppe 1 or 2 (3)"),
        format!("{file}:3: deceased_date: deceased_date is before birth_date (1999-01-01)"),
    ];
    for e in &expect {
        assert!(errs.contains(e), "missing {e}\n got {errs:#?}");
    }
    assert_eq!(errs.len(), expect.len(), "{errs:#?}");
}

#[test]
fn missing_tables_and_columns_are_named() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "clinics.csv", CLINICS);
    write(d.path(), "doctors.csv", "doctor_id,role,fte\nD1,owner,1\n");
    let errs = errors(d.path());
    assert!(
        errs.iter()
            .any(|e| e.contains("doctors.csv: missing required column(s): clinic_id")),
        "{errs:#?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.contains("required table 'patients' is missing")),
        "{errs:#?}"
    );
}

#[test]
fn child_tables_report_unknown_patients_bad_codes_and_numbers() {
    let d = tempfile::tempdir().unwrap();
    valid(d.path());
    write(
        d.path(),
        "prescriptions.csv",
        "patient_id,atc,start_date,end_date,subsidised\n\
         P1,M01AE01,2025-01-01,,true\n\
         P9,M01AE01,2025-01-01,,\n\
         P1,m01ae01,2025-01-01,2024-01-01,maybe\n",
    );
    write(
        d.path(),
        "claims.csv",
        "claim_id,card_id,patient_id,clinic_id,doctor_id,service_code,quantity,service_date,service_time,submitted_date,fee_dkk\n\
         L1,K1,P1,C1,D1,0101,1,2025-01-02,08:15,2025-01-05,160.72\n\
         L2,K1,P1,C1,D1,101,one,2025-01-02,25:00,2025-01-05,\n\
         L1,K2,P2,C2,,6101,-1,2025-02-01,,2025-02-02,\n",
    );
    let errs = errors(d.path());
    let pf = d.path().join("prescriptions.csv").display().to_string();
    let cf = d.path().join("claims.csv").display().to_string();
    let expect = [
        format!("{pf}:2: patient_id: unknown id: no such row in patients (P9)"),
        format!(
            "{pf}:3: atc: expected an ATC code such as M01AE01 (letter, 2 digits, 2 letters, 2 digits) (m01ae01)"
        ),
        format!("{pf}:3: end_date: end_date is before start_date (2024-01-01)"),
        format!("{pf}:3: subsidised: expected true or false (maybe)"),
        format!("{cf}:2: service_code: a service code has four digits, e.g. 0101 (101)"),
        format!("{cf}:2: quantity: expected a whole number (one)"),
        format!("{cf}:2: service_time: expected a time as HH:MM (25:00)"),
    ];
    for e in &expect {
        assert!(errs.contains(e), "missing {e}\n got {errs:#?}");
    }
    // The duplicate claim id is only checked once every row parsed, so it is not reported
    // beside the cell errors; on its own it is.
    write(
        d.path(),
        "prescriptions.csv",
        "patient_id,atc,start_date,end_date,subsidised\nP1,M01AE01,2025-01-01,,true\n",
    );
    write(
        d.path(),
        "claims.csv",
        "claim_id,card_id,patient_id,clinic_id,doctor_id,service_code,quantity,service_date,service_time,submitted_date,fee_dkk\n\
         L1,K1,P1,C1,D1,0101,1,2025-01-02,08:15,2025-01-05,160.72\n\
         L1,K2,P2,C2,,6101,-1,2025-02-01,,2025-02-02,\n",
    );
    let errs = errors(d.path());
    assert_eq!(
        errs,
        vec![format!(
            "{cf}:2: claim_id: duplicate id, first seen on row 1 (L1)"
        )]
    );
}

#[test]
fn ragged_rows_and_the_error_limit() {
    let d = tempfile::tempdir().unwrap();
    valid(d.path());
    let mut body = String::from("patient_id,system,code,date,end_date\n");
    body.push_str("P1,ICPC2,K78\n");
    for _ in 0..50 {
        body.push_str("P1,ICPC3,K78,2025-01-01,\n");
    }
    write(d.path(), "diagnoses.csv", &body);
    let r = read_dataset(d.path(), &ReadOptions { max_errors: 10 }).unwrap_err();
    assert_eq!(r.errors.len(), 10);
    assert!(r.truncated);
    assert!(
        r.errors[0]
            .to_string()
            .ends_with("diagnoses.csv:1: the row has 3 fields, the header has 5"),
        "{}",
        r.errors[0]
    );
    assert!(
        r.errors[1]
            .to_string()
            .ends_with("diagnoses.csv:2: system: expected one of: ICPC2 ICD10 (ICPC3)"),
        "{}",
        r.errors[1]
    );
}

#[test]
fn unknown_columns_warn_and_a_bom_is_ignored() {
    let d = tempfile::tempdir().unwrap();
    valid(d.path());
    write(
        d.path(),
        "clinics.csv",
        &format!(
            "\u{feff}{}",
            CLINICS
                .replacen("lon\n", "lon,extra\n", 1)
                .replace("10.2\n", "10.2,x\n")
                .replace(",,\n", ",,,y\n")
        ),
    );
    let (_, warnings) = read_dataset(d.path(), &ReadOptions::default()).unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].message.contains("extra"));
}

#[test]
fn not_a_folder_and_not_parquet() {
    let d = tempfile::tempdir().unwrap();
    let errs = errors(&d.path().join("nope"));
    assert!(errs[0].ends_with("nope: no such folder"), "{errs:?}");
    valid(d.path());
    write(d.path(), "calls.parquet", "this is not parquet");
    let errs = errors(d.path());
    assert!(
        errs[0].contains("calls.parquet: not a readable Parquet file"),
        "{errs:?}"
    );
}
