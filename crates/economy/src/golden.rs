//! Golden tests on small hand-made claims: one per rule kind, the netting, the correction
//! proposal and its file.

use crate::bills::{ClinicBill, bill_cards, capitation};
use crate::controls::{Options, analyse, evaluate};
use crate::corrections::{propose, write_correction_cards};
use crate::rules::RuleSet;
use almen_core::{Day, Sex};
use almen_dataset::{ClinicType, Dataset, DoctorRole, NONE, Present, Tables};
use almen_reference::{KommuneCode, ServiceCode};

fn day(s: &str) -> Day {
    Day::parse(s).unwrap()
}

/// One clinic (C1, Aarhus) with one doctor (D1) and patients P1 (born 1950, F), P2 (born
/// 1990, M), P3 (born 2015, F); claims as (claim, card, patient, code, qty, date, time,
/// submitted, fee).
struct Builder {
    t: Tables,
}

impl Builder {
    fn new() -> Builder {
        let mut t = Tables {
            present: Present::ALL,
            ..Default::default()
        };
        let c = &mut t.clinics;
        c.id.push("C1").unwrap();
        c.name.push("Klinik").unwrap();
        c.kommune.push(KommuneCode::new(751).unwrap());
        c.clinic_type.push(ClinicType::Plo);
        c.owner.push(NONE);
        c.capacities.push(1.0);
        c.open_for_new.push(true);
        c.lat.push(None);
        c.lon.push(None);
        let d = &mut t.doctors;
        d.id.push("D1").unwrap();
        d.clinic.push(0);
        d.role.push(DoctorRole::Owner);
        d.fte.push(1.0);
        d.birth_year.push(None);
        d.district.push(NONE);
        for (id, born, sex) in [
            ("P1", "1950-03-01", Sex::F),
            ("P2", "1990-06-01", Sex::M),
            ("P3", "2015-01-01", Sex::F),
        ] {
            let p = &mut t.patients;
            p.id.push(id).unwrap();
            p.birth_date.push(day(born));
            p.sex.push(sex);
            p.kommune.push(KommuneCode::new(751).unwrap());
            p.clinic.push(0);
            p.listed_since.push(None);
            p.group.push(1);
            p.deceased.push(None);
        }
        Builder { t }
    }

    fn claim(
        mut self,
        id: &str,
        card: &str,
        patient: u32,
        code: &str,
        q: i32,
        date: &str,
        time: Option<&str>,
        submitted: &str,
        fee: Option<f64>,
    ) -> Builder {
        let c = &mut self.t.claims;
        c.claim_id.push(id).unwrap();
        c.card_id.push(card).unwrap();
        c.patient.push(patient);
        c.clinic.push(0);
        c.doctor.push(0);
        c.service.push(ServiceCode::parse(code).unwrap());
        c.quantity.push(q);
        c.service_date.push(day(date));
        c.service_time.push(time.map(|t| {
            let (h, m) = t.split_once(':').unwrap();
            h.parse::<u16>().unwrap() * 60 + m.parse::<u16>().unwrap()
        }));
        c.submitted.push(day(submitted));
        c.fee_dkk.push(fee);
        self
    }

    /// Shorthand: a line submitted on the service date, with a 100 DKK fee.
    fn line(self, id: &str, patient: u32, code: &str, q: i32, date: &str) -> Builder {
        self.claim(
            id,
            id,
            patient,
            code,
            q,
            date,
            Some("10:00"),
            date,
            Some(100.0 * q as f64),
        )
    }

    fn build(self) -> Dataset {
        Dataset::from_tables(self.t).unwrap()
    }
}

fn rules(text: &str) -> RuleSet {
    RuleSet::parse("test.rules", text).unwrap()
}

/// `(rule id, patient id, claim ids)` of every finding.
fn found(ds: &Dataset, rs: &RuleSet) -> Vec<(String, String, Vec<String>)> {
    let bill = ClinicBill::build(ds, 0, Some(2024));
    evaluate(ds, &bill, rs)
        .into_iter()
        .map(|f| {
            (
                rs.rules[f.rule].id.clone(),
                ds.patients.id.get(f.patient as usize).to_string(),
                f.rows
                    .iter()
                    .map(|&r| ds.claims.claim_id.get(r as usize).to_string())
                    .collect(),
            )
        })
        .collect()
}

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

const HEAD: &str = "da = d\nen = e\n";

#[test]
fn netting_cancels_corrections_and_prices_from_the_catalogue() {
    let ds = Builder::new()
        .line("a1", 0, "0101", 1, "2024-05-02")
        .line("a2", 0, "0101", -1, "2024-05-02")
        .line("a3", 0, "0201", 1, "2024-05-02")
        // No fee on the line: 0101's catalogue fee in force on 2024-05-02 (1 April 2024).
        .claim(
            "a4",
            "k4",
            1,
            "0101",
            2,
            "2024-05-03",
            None,
            "2024-05-06",
            None,
        )
        .line("old", 1, "0101", 1, "2023-12-30")
        .build();
    let bill = ClinicBill::build(&ds, 0, Some(2024));
    assert_eq!(bill.rows.len(), 4, "the 2023 line is outside the year");
    let l: Vec<(u32, &str, i32, f64)> = bill
        .lines
        .iter()
        .map(|l| (l.patient, l.code.as_str(), l.quantity, l.amount))
        .collect();
    assert_eq!(
        l,
        vec![
            (0, "0101", 0, 0.0),
            (0, "0201", 1, 100.0),
            (1, "0101", 2, 2.0 * 160.72)
        ]
    );
    let cards = bill_cards(&ds, 0, 1);
    assert_eq!(cards.len(), 2);
    assert_eq!(cards[1].lines[0].priced_from, "catalogue");
    let cap = capitation(&ds, 0, 2024, 266.4);
    assert!((cap.patient_years - 3.0).abs() < 1e-9);
    assert!((cap.capitation_dkk - 3.0 * 266.4).abs() < 1e-9);
}

#[test]
fn age_limits() {
    let rs = rules(&format!(
        "[old]\nkind = age\n{HEAD}codes = 0121\nmin_age = 75\n\
         [young]\nkind = age\n{HEAD}codes = 0128\nmax_age = 17\n"
    ));
    let ds = Builder::new()
        .line("a", 0, "0121", 1, "2024-03-01") // P1 (born 1950-03-01) turns 74 that day
        .line("b", 1, "0121", 1, "2024-03-01") // 33
        .line("c", 2, "0128", 1, "2024-03-01") // 9: fine
        .line("d", 1, "0128", 1, "2024-03-01") // 33 > 17
        .build();
    assert_eq!(
        found(&ds, &rs),
        vec![
            ("old".into(), "P1".into(), ids(&["a"])),
            ("old".into(), "P2".into(), ids(&["b"])),
            ("young".into(), "P2".into(), ids(&["d"])),
        ]
    );
}

#[test]
fn max_count_per_period_counts_net_lines() {
    let rs = rules(&format!(
        "[once]\nkind = max_count\n{HEAD}codes = 0120\nmax = 1\nperiod = year\n"
    ));
    let ds = Builder::new()
        .line("a", 0, "0120", 1, "2024-02-01")
        .line("b", 0, "0120", 1, "2024-08-01")
        .line("c", 1, "0120", 1, "2024-02-01")
        .line("d", 1, "0120", 1, "2024-08-01")
        .line("e", 1, "0120", -1, "2024-08-01")
        .build();
    assert_eq!(
        found(&ds, &rs),
        vec![("once".into(), "P1".into(), ids(&["a", "b"]))]
    );
}

#[test]
fn codes_that_may_not_and_must_come_together() {
    let rs = rules(&format!(
        "[not]\nkind = not_same_day\n{HEAD}codes = 0101, 0125\n\
         [needs]\nkind = requires_same_day\n{HEAD}codes = 4201\nrequires = 0411\n"
    ));
    let ds = Builder::new()
        .line("a", 0, "0101", 1, "2024-02-01")
        .line("b", 0, "0125", 1, "2024-02-01")
        .line("c", 0, "0101", 1, "2024-02-02")
        .line("d", 1, "4201", 1, "2024-02-01")
        .line("e", 1, "0411", 1, "2024-02-01")
        .line("f", 1, "4201", 1, "2024-02-05")
        .build();
    assert_eq!(
        found(&ds, &rs),
        vec![
            ("not".into(), "P1".into(), ids(&["a", "b"])),
            ("needs".into(), "P2".into(), ids(&["f"])),
        ]
    );
}

#[test]
fn out_of_hours_windows_on_weekdays_weekends_and_holidays() {
    let rs = rules(&format!(
        "[vagt]\nkind = time_window\n{HEAD}codes = 0411\n\
         weekdays = 16:00-24:00, 00:00-08:00\noffdays = 07:45-24:00, 00:00-08:00\n"
    ));
    let c = |b: Builder, id: &str, date: &str, time: &str| {
        b.claim(id, id, 0, "0411", 1, date, Some(time), date, None)
    };
    let mut b = Builder::new();
    b = c(b, "wd_1600", "2024-03-05", "16:00"); // Tuesday: ok
    b = c(b, "wd_1559", "2024-03-06", "15:59"); // Wednesday: flagged
    b = c(b, "sat_0745", "2024-03-09", "07:45"); // Saturday: ok
    b = c(b, "sun_1000", "2024-03-10", "10:00"); // Sunday: ok
    b = c(b, "easter_mon", "2024-04-01", "09:00"); // 2. påskedag: ok
    b = c(b, "wd_0900", "2024-04-02", "09:00"); // Tuesday: flagged
    let ds = b.build();
    assert_eq!(
        found(&ds, &rs),
        vec![
            ("vagt".into(), "P1".into(), ids(&["wd_1559"])),
            ("vagt".into(), "P1".into(), ids(&["wd_0900"])),
        ]
    );
}

#[test]
fn late_submission_against_weekly_and_monthly_deadlines() {
    let rs = rules(&format!(
        "[weekly]\nkind = late_submission\n{HEAD}codes = *\ndeadline = weekly\ngrace_days = 2\n\
         [monthly]\nkind = late_submission\n{HEAD}codes = 0101\ndeadline = monthly\n"
    ));
    // Service Wednesday 2024-03-06: weekly deadline Monday 11 March + 2 = 13 March; monthly
    // deadline 1 April.
    let ds = Builder::new()
        .claim(
            "a",
            "K1",
            0,
            "0101",
            1,
            "2024-03-06",
            None,
            "2024-03-13",
            None,
        )
        .claim(
            "b1",
            "K2",
            0,
            "0101",
            1,
            "2024-03-06",
            None,
            "2024-03-14",
            None,
        )
        .claim(
            "b2",
            "K2",
            0,
            "2101",
            1,
            "2024-03-06",
            None,
            "2024-03-14",
            None,
        )
        .claim(
            "c",
            "K3",
            1,
            "0101",
            1,
            "2024-03-06",
            None,
            "2024-04-02",
            None,
        )
        .build();
    assert_eq!(
        found(&ds, &rs),
        vec![
            ("weekly".into(), "P1".into(), ids(&["b1", "b2"])),
            ("weekly".into(), "P2".into(), ids(&["c"])),
            ("monthly".into(), "P2".into(), ids(&["c"])),
        ]
    );
}

fn isolated_dataset() -> Dataset {
    Builder::new()
        // P1: one 6101, a 0101 twenty days later (the forgotten talk), one earlier.
        .line("t1", 0, "6101", 1, "2024-03-04")
        .line("x0", 0, "0101", 1, "2024-01-10")
        .claim(
            "x1",
            "K9",
            0,
            "0101",
            1,
            "2024-03-25",
            Some("09:15"),
            "2024-03-25",
            None,
        )
        // P2: two 6101s, not isolated.
        .line("t2", 1, "6101", 1, "2024-03-04")
        .line("t3", 1, "6101", 1, "2024-03-18")
        // P3: a 6101 whose second was corrected in (0101 −1, 6101 +1): net 2, not isolated;
        // and a 6101 +1 −1 +1 pattern would still be one.
        .line("t4", 2, "6101", 1, "2024-05-06")
        .line("u1", 2, "0101", 1, "2024-05-21")
        .line("u2", 2, "0101", -1, "2024-05-21")
        .line("u3", 2, "6101", 1, "2024-05-21")
        .build()
}

#[test]
fn isolated_6101_is_exactly_one_net_talk_in_the_year() {
    let rs = RuleSet::default_rules();
    let only = RuleSet {
        file: rs.file.clone(),
        rules: rs
            .rules
            .iter()
            .filter(|r| r.id == "isolated_6101")
            .cloned()
            .collect(),
    };
    let ds = isolated_dataset();
    assert_eq!(
        found(&ds, &only),
        vec![("isolated_6101".into(), "P1".into(), ids(&["t1"]))]
    );
    let a = analyse(
        &ds,
        &only,
        &Options {
            year: Some(2024),
            clinic: None,
        },
    );
    let f = a.findings(&ds, &only);
    assert_eq!(f[0].patient, almen_core::mask_id("P1"));
    assert_eq!(f[0].claim_ids, ids(&["t1"]));
    assert!(f[0].explanation.starts_with("Isolated 6101"));
}

#[test]
fn the_correction_proposal_and_its_card_file() {
    let ds = isolated_dataset();
    let rs = RuleSet::default_rules();
    let p = propose(&ds, &rs, 0, 2024);
    assert_eq!(p.len(), 1);
    assert_eq!(
        p[0].date,
        day("2024-03-25"),
        "the nearest 0101, 21 days after"
    );
    let mut out = Vec::new();
    write_correction_cards(
        &ds,
        &p,
        ServiceCode::parse("6101").unwrap(),
        day("2024-06-01"),
        &mut out,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "claim_id,card_id,patient_id,clinic_id,doctor_id,service_code,quantity,service_date,service_time,submitted_date,fee_dkk\n\
         KORR-C1-1-1-1,KORR-C1-1-1,P1,C1,D1,0101,-1,2024-03-25,09:15,2024-06-01,\n\
         KORR-C1-1-2-1,KORR-C1-1-2,P1,C1,D1,6101,1,2024-03-25,09:15,2024-06-01,\n"
    );
    // A 0101 more than 90 days away is no match.
    let far = Builder::new()
        .line("t1", 0, "6101", 1, "2024-03-04")
        .line("x0", 0, "0101", 1, "2024-09-10")
        .build();
    assert!(propose(&far, &rs, 0, 2024).is_empty());
}

#[test]
fn the_shipped_rules_run_on_synthetic_data_and_find_isolated_talks() {
    let t = almen_synth::generate_tables(almen_synth::Scale::Clinic, 3, 2024).unwrap();
    let ds = Dataset::from_tables(t).unwrap();
    let rs = RuleSet::default_rules();
    let a = analyse(
        &ds,
        &rs,
        &Options {
            year: Some(2024),
            clinic: None,
        },
    );
    let s = a.summary(&rs);
    assert!(s.lines > 1000, "{s:?}");
    assert!(s.by_rule["isolated_6101"] > 0, "{s:?}");
    assert!(s.by_rule["late_submission"] > 0, "{s:?}");
    let clinic = a
        .clinics
        .iter()
        .find(|c| !c.findings.is_empty())
        .unwrap()
        .clinic;
    let props = propose(&ds, &rs, clinic, 2024);
    assert!(
        !props.is_empty(),
        "some isolated 6101s have a matching 0101"
    );
}
