//! Golden tests on hand-made call logs: each case is a few calls and the KPIs they must give.

use almen_core::{Day, Timestamp};
use almen_dataset::{Calls, NONE, Outcome, Priority, ReadOptions, read_dataset};
use almen_kpi::*;
use serde_json::{Value, json};

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn day(s: &str) -> Day {
    Day::parse(s).unwrap()
}

/// An answered call: received at `received` (local time or RFC 3339), answered `wait_s` later.
fn answered(id: &str, received: &str, wait_s: i64) -> Call {
    let r = t(received);
    let mut c = Call::new(id, r, Some(r.plus_seconds(wait_s)), Outcome::Advice);
    c.ended_at = Some(r.plus_seconds(wait_s + 240));
    c
}

fn abandoned(id: &str, received: &str) -> Call {
    let r = t(received);
    let mut c = Call::new(id, r, None, Outcome::Abandoned);
    c.ended_at = Some(r.plus_seconds(120));
    c
}

fn consultation(id: &str, booked: &str, finished_after_s: i64) -> Call {
    let b = t(booked);
    let mut c = answered(id, booked, 60);
    c.outcome = Outcome::Consultation;
    c.booked_for = Some(b.plus_seconds(1800));
    c.finished_at = Some(b.plus_seconds(1800 + finished_after_s));
    c
}

fn home_visit(id: &str, received: &str, started_after_end_s: i64) -> Call {
    let mut c = answered(id, received, 60);
    c.outcome = Outcome::HomeVisit;
    c.visit_started_at = Some(c.ended_at.unwrap().plus_seconds(started_after_end_s));
    c
}

fn opts(by: Option<GroupBy>) -> KpiOptions {
    KpiOptions {
        by,
        ..KpiOptions::default()
    }
}

fn json_of<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

fn group<'a>(r: &'a KpiReport, key: &str) -> &'a KpiGroup {
    r.groups
        .iter()
        .find(|g| g.key == key)
        .unwrap_or_else(|| panic!("no group {key:?} in {:?}", keys(r)))
}

fn keys(r: &KpiReport) -> Vec<&str> {
    r.groups.iter().map(|g| g.key.as_str()).collect()
}

#[test]
fn a_wait_of_exactly_15_minutes_is_within_15_and_15_01_is_not() {
    let calls = vec![
        answered("a", "2025-03-04T17:00:00", 900),
        answered("b", "2025-03-04T17:00:00", 901),
        answered("c", "2025-03-04T17:00:00", 1200),
        answered("d", "2025-03-04T17:00:00", 1201),
    ];
    let r = kpis(&calls, &KpiOptions::default());
    assert_eq!(r.calls, 4);
    assert_eq!(r.answered, 4);
    assert_eq!(r.within_15_min, Some(0.25));
    assert_eq!(r.within_20_min, Some(0.75));
    assert_eq!(r.avg_wait_s, Some((900.0 + 901.0 + 1200.0 + 1201.0) / 4.0));
    assert_eq!(r.median_wait_s, Some(1050.5));
    // Linear interpolation: position 0.9 · 3 = 2.7 between 1200 and 1201.
    assert!((r.p90_wait_s.unwrap() - 1200.7).abs() < 1e-9);
    assert_eq!(r.targets.avg_wait_s.pass, Some(false));
    assert_eq!(r.targets.within_15_min.pass, Some(false));
    assert_eq!(r.targets.within_20_min.pass, Some(false));
}

#[test]
fn abandoned_calls_are_excluded_by_default_and_missed_with_the_option() {
    let calls = vec![
        answered("a", "2025-03-04T17:00:00", 300),
        answered("b", "2025-03-04T17:01:00", 600),
        answered("c", "2025-03-04T17:02:00", 1000),
        abandoned("d", "2025-03-04T17:03:00"),
    ];
    let r = kpis(&calls, &KpiOptions::default());
    assert_eq!((r.calls, r.answered, r.abandoned), (4, 3, 1));
    assert_eq!(r.within_15_min, Some(2.0 / 3.0));
    assert_eq!(r.within_20_min, Some(1.0));
    assert_eq!(r.avg_wait_s, Some(1900.0 / 3.0));
    assert_eq!(r.abandonment_rate, Some(0.25));
    assert_eq!(json_of(&r)["abandoned_rule"], "excluded");

    let missed = kpis(
        &calls,
        &KpiOptions {
            abandoned: AbandonedRule::CountAsMissed,
            ..KpiOptions::default()
        },
    );
    assert_eq!(missed.within_15_min, Some(0.5));
    assert_eq!(missed.within_20_min, Some(0.75));
    assert_eq!(missed.targets.within_20_min.pass, Some(false));
    // The waits stay those of answered calls.
    assert_eq!(missed.avg_wait_s, r.avg_wait_s);
    assert_eq!(missed.abandonment_rate, Some(0.25));
    assert_eq!(json_of(&missed)["abandoned_rule"], "counted_as_missed");
}

#[test]
fn an_answered_call_with_the_outcome_abandoned_counts_as_abandoned() {
    let mut odd = answered("a", "2025-03-04T17:00:00", 100);
    odd.outcome = Outcome::Abandoned;
    let mut no_answer = answered("b", "2025-03-04T17:00:00", 100);
    no_answer.answered_at = None;
    let r = kpis(&vec![odd, no_answer], &KpiOptions::default());
    assert_eq!((r.calls, r.answered, r.abandoned), (2, 0, 2));
    assert_eq!(r.avg_wait_s, None);
    assert_eq!(r.within_15_min, None);
}

#[test]
fn a_call_spanning_midnight_belongs_to_the_hour_and_day_it_was_received() {
    let calls = vec![answered("a", "2025-03-04T23:50:00", 900)];
    let by_hour = kpis(&calls, &opts(Some(GroupBy::Hour)));
    assert_eq!(keys(&by_hour), ["23"]);
    assert_eq!(group(&by_hour, "23").avg_wait_s, Some(900.0));
    assert_eq!(group(&by_hour, "23").within_15_min, Some(1.0));
    let by_day = kpis(&calls, &opts(Some(GroupBy::Day)));
    assert_eq!(keys(&by_day), ["2025-03-04"]);
    // New Year's Eve 23:50 (a holiday) into New Year's Day: the earlier day, its week and
    // quarter and year.
    let nye = vec![answered("b", "2024-12-31T23:50:00", 900)];
    assert_eq!(keys(&kpis(&nye, &opts(Some(GroupBy::Day)))), ["2024-12-31"]);
    assert_eq!(
        keys(&kpis(&nye, &opts(Some(GroupBy::Quarter)))),
        ["2024-Q4"]
    );
    assert_eq!(keys(&kpis(&nye, &opts(Some(GroupBy::Week)))), ["2025-W01"]);
    assert_eq!(
        keys(&kpis(&nye, &opts(Some(GroupBy::Weekday)))),
        ["weekend"]
    );
}

#[test]
fn on_the_spring_dst_day_waits_are_elapsed_seconds_and_hours_are_local() {
    // 2025-03-30: clocks go from 02:00 CET to 03:00 CEST.
    let calls = vec![
        // 01:55 CET, answered 03:05 CEST: 10 minutes later.
        Call::new(
            "a",
            t("2025-03-30T01:55:00+01:00"),
            Some(t("2025-03-30T03:05:00+02:00")),
            Outcome::Advice,
        ),
        answered("b", "2025-03-30T03:10:00+02:00", 60),
        answered("c", "2025-03-30T00:59:59+01:00", 30),
    ];
    let r = kpis(&calls, &opts(Some(GroupBy::Hour)));
    assert_eq!(keys(&r), ["0", "1", "3"]);
    assert_eq!(group(&r, "1").avg_wait_s, Some(600.0));
    assert_eq!(group(&r, "3").avg_wait_s, Some(60.0));
    assert_eq!(r.avg_wait_s, Some(230.0));
    let by_day = kpis(&calls, &opts(Some(GroupBy::Day)));
    assert_eq!(keys(&by_day), ["2025-03-30"]);
}

#[test]
fn on_the_autumn_dst_day_waits_are_elapsed_seconds_and_hours_are_local() {
    // 2025-10-26: clocks go from 03:00 CEST back to 02:00 CET; 02:00-02:59 happens twice.
    let calls = vec![
        // 02:55 CEST, answered at 02:05 CET: the wall clock says −50 min, 600 s elapsed.
        Call::new(
            "a",
            t("2025-10-26T02:55:00+02:00"),
            Some(t("2025-10-26T02:05:00+01:00")),
            Outcome::Advice,
        ),
        // The second 02:30, in CET.
        answered("b", "2025-10-26T02:30:00+01:00", 120),
        // 01:55 CEST, answered 10 minutes later at 02:05 CEST.
        Call::new(
            "c",
            t("2025-10-26T01:55:00+02:00"),
            Some(t("2025-10-26T02:05:00+02:00")),
            Outcome::Advice,
        ),
        answered("d", "2025-10-26T03:00:00+01:00", 0),
    ];
    let r = kpis(&calls, &opts(Some(GroupBy::Hour)));
    assert_eq!(keys(&r), ["1", "2", "3"]);
    assert_eq!(group(&r, "1").avg_wait_s, Some(600.0));
    assert_eq!(group(&r, "2").calls, 2);
    assert_eq!(group(&r, "2").avg_wait_s, Some(360.0));
    assert_eq!(group(&r, "2").within_15_min, Some(1.0));
    assert_eq!(group(&r, "3").avg_wait_s, Some(0.0));
    assert_eq!(
        keys(&kpis(&calls, &opts(Some(GroupBy::Day)))),
        ["2025-10-26"]
    );
}

#[test]
fn a_consultation_finished_exactly_60_minutes_after_booking_counts() {
    let calls = vec![
        consultation("a", "2025-03-04T17:00:00", 3600),
        consultation("b", "2025-03-04T17:00:00", 3601),
        consultation("c", "2025-03-04T17:00:00", 0),
        consultation("d", "2025-03-04T17:00:00", -300),
    ];
    let r = kpis(&calls, &KpiOptions::default());
    assert_eq!(r.consultations, 4);
    assert_eq!(r.consultations_within_1h, Some(0.75));
    assert_eq!(r.targets.consultations_within_1h.pass, Some(false));
    // A consultation without booking or finishing time is not counted at all.
    let mut unfinished = consultation("e", "2025-03-04T17:00:00", 0);
    unfinished.finished_at = None;
    let r = kpis(&vec![unfinished], &KpiOptions::default());
    assert_eq!(r.consultations, 0);
    assert_eq!(r.consultations_within_1h, None);
    assert_eq!(r.targets.consultations_within_1h.pass, None);
}

#[test]
fn a_home_visit_started_exactly_3_hours_after_triage_counts() {
    let mut calls: Vec<Call> = (0..9)
        .map(|i| home_visit(&format!("ok{i}"), "2025-03-04T17:00:00", 3 * 3600))
        .collect();
    calls.push(home_visit("late", "2025-03-04T17:00:00", 3 * 3600 + 1));
    let r = kpis(&calls, &KpiOptions::default());
    assert_eq!(r.home_visits, 10);
    assert_eq!(r.home_visits_within_3h, Some(0.9));
    assert_eq!(r.targets.home_visits_within_3h.pass, Some(true));
    assert_eq!(r.consultations_within_1h, None);
}

#[test]
fn empty_input_gives_nulls_not_nan() {
    for by in [None, Some(GroupBy::Hour), Some(GroupBy::District)] {
        let r = kpis(&Vec::<Call>::new(), &opts(by));
        assert_eq!((r.calls, r.answered, r.abandoned), (0, 0, 0));
        let j = json_of(&r);
        for field in [
            "avg_wait_s",
            "median_wait_s",
            "p90_wait_s",
            "within_15_min",
            "within_20_min",
            "consultations_within_1h",
            "home_visits_within_3h",
            "abandonment_rate",
        ] {
            assert_eq!(j[field], Value::Null, "{field}");
            assert_eq!(j["targets"][field]["pass"], Value::Null, "{field}");
        }
        assert_eq!(j["targets"]["avg_wait_s"]["pass"], Value::Null);
        assert_eq!(j["groups"], json!([]));
        assert!(!serde_json::to_string(&r).unwrap().contains("NaN"));
        let text = render_table(&r);
        assert!(!text.contains("NaN"), "{text}");
    }
    // Only abandoned calls: rate 1, every wait-based value null.
    let r = kpis(
        &vec![abandoned("a", "2025-03-04T17:00:00")],
        &KpiOptions::default(),
    );
    assert_eq!(r.abandonment_rate, Some(1.0));
    assert_eq!(r.within_15_min, None);
    let missed = kpis(
        &vec![abandoned("a", "2025-03-04T17:00:00")],
        &KpiOptions {
            abandoned: AbandonedRule::CountAsMissed,
            ..KpiOptions::default()
        },
    );
    assert_eq!(missed.within_15_min, Some(0.0));
    assert_eq!(missed.avg_wait_s, None);
}

#[test]
fn the_holiday_calendar_knows_easter_and_store_bededag() {
    assert_eq!(easter_sunday(2025), day("2025-04-20"));
    assert_eq!(holiday(day("2025-04-20")), Some(Holiday::EasterSunday));
    assert_eq!(holiday(day("2025-04-17")), Some(Holiday::MaundyThursday));
    assert_eq!(holiday(day("2025-04-18")), Some(Holiday::GoodFriday));
    assert_eq!(holiday(day("2025-04-21")), Some(Holiday::EasterMonday));
    assert_eq!(holiday(day("2025-05-29")), Some(Holiday::AscensionDay));
    assert_eq!(holiday(day("2025-06-08")), Some(Holiday::WhitSunday));
    assert_eq!(holiday(day("2025-06-09")), Some(Holiday::WhitMonday));
    assert_eq!(holiday(day("2025-01-01")), Some(Holiday::NewYearsDay));
    assert_eq!(holiday(day("2025-12-25")), Some(Holiday::ChristmasDay));
    assert_eq!(holiday(day("2025-12-26")), Some(Holiday::BoxingDay));
    // Store Bededag: the fourth Friday after Easter, abolished from 2024.
    assert_eq!(holiday(day("2023-05-05")), Some(Holiday::StoreBededag));
    assert!(is_weekend_or_holiday(day("2023-05-05")));
    assert_eq!(holiday(day("2024-04-26")), None);
    assert!(!is_weekend_or_holiday(day("2024-04-26")));
    assert!(
        holidays_in_year(2024)
            .iter()
            .all(|(_, h)| *h != Holiday::StoreBededag)
    );
    assert_eq!(
        holidays_in_year(2023)
            .iter()
            .filter(|(_, h)| *h == Holiday::StoreBededag)
            .count(),
        1
    );
    // The days general practice closes though they are not public holidays in law.
    for (d, h) in [
        ("2025-06-05", Holiday::ConstitutionDay),
        ("2025-12-24", Holiday::ChristmasEve),
        ("2025-12-31", Holiday::NewYearsEve),
    ] {
        assert_eq!(holiday(day(d)), Some(h));
        assert!(!h.is_official());
        assert!(is_weekend_or_holiday(day(d)));
    }
    // 1 May is an ordinary weekday; so is a plain Tuesday.
    assert!(!is_weekend_or_holiday(day("2025-05-01")));
    assert!(!is_weekend_or_holiday(day("2025-03-04")));
    // Whit Monday on 5 June (2017) is named as Whit Monday, the official holiday.
    assert_eq!(holiday(day("2017-06-05")), Some(Holiday::WhitMonday));
    assert_eq!(holidays_in_year(2025).len(), 14);
    assert_eq!(holidays_in_year(2023).len(), 15);
}

#[test]
fn weekday_grouping_puts_holidays_with_weekends() {
    let calls = vec![
        answered("tue", "2025-03-04T17:00:00", 60),
        answered("sat", "2025-03-01T10:00:00", 120),
        answered("good_friday", "2025-04-18T10:00:00", 180),
        answered("bededag_2023", "2023-05-05T10:00:00", 240),
        answered("bededag_2024", "2024-04-26T10:00:00", 300),
    ];
    let r = kpis(&calls, &opts(Some(GroupBy::Weekday)));
    assert_eq!(keys(&r), ["weekday", "weekend"]);
    assert_eq!(group(&r, "weekday").calls, 2);
    assert_eq!(group(&r, "weekday").avg_wait_s, Some(180.0));
    assert_eq!(group(&r, "weekend").calls, 3);
    assert_eq!(group(&r, "weekend").avg_wait_s, Some(180.0));
}

#[test]
fn groupings_have_their_documented_keys_in_order() {
    let mut calls = vec![
        answered("a", "2025-04-01T16:05:00", 60),
        answered("b", "2025-03-31T08:00:00", 60),
        answered("c", "2025-01-01T00:00:00", 60),
        answered("d", "2025-03-01T07:59:59", 60),
    ];
    calls[0].district = Some("Viborg".into());
    calls[1].district = Some("Aarhus".into());
    calls[3].district = Some("Viborg".into());
    let k = |by| {
        kpis(&calls, &opts(Some(by)))
            .groups
            .into_iter()
            .map(|g| (g.key.clone(), g.calls))
            .collect::<Vec<_>>()
    };
    let s = |v: &[(&str, u64)]| -> Vec<(String, u64)> {
        v.iter().map(|(a, b)| (a.to_string(), *b)).collect()
    };
    assert_eq!(
        k(GroupBy::Hour),
        s(&[("0", 1), ("7", 1), ("8", 1), ("16", 1)])
    );
    assert_eq!(
        k(GroupBy::Day),
        s(&[
            ("2025-01-01", 1),
            ("2025-03-01", 1),
            ("2025-03-31", 1),
            ("2025-04-01", 1)
        ])
    );
    assert_eq!(
        k(GroupBy::Week),
        s(&[("2025-W01", 1), ("2025-W09", 1), ("2025-W14", 2)])
    );
    assert_eq!(k(GroupBy::Quarter), s(&[("2025-Q1", 3), ("2025-Q2", 1)]));
    assert_eq!(
        k(GroupBy::District),
        s(&[("Aarhus", 1), ("Viborg", 2), ("(none)", 1)])
    );
    assert_eq!(k(GroupBy::Weekday), s(&[("weekday", 2), ("weekend", 2)]));
}

#[test]
fn from_is_inclusive_and_to_exclusive() {
    let calls = vec![
        answered("a", "2025-03-04T16:59:59", 10),
        answered("b", "2025-03-04T17:00:00", 20),
        answered("c", "2025-03-04T17:59:59", 30),
        answered("d", "2025-03-04T18:00:00", 40),
    ];
    let r = kpis(
        &calls,
        &KpiOptions {
            from: Some(t("2025-03-04T17:00:00")),
            to: Some(t("2025-03-04T18:00:00")),
            ..KpiOptions::default()
        },
    );
    assert_eq!(r.calls, 2);
    assert_eq!(r.avg_wait_s, Some(25.0));
    let j = json_of(&r);
    assert_eq!(j["from"], "2025-03-04T17:00:00+01:00");
    assert_eq!(j["to"], "2025-03-04T18:00:00+01:00");
}

#[test]
fn the_json_has_the_agreed_field_names() {
    let calls = vec![
        answered("a", "2025-03-04T16:10:00", 600),
        consultation("b", "2025-03-04T16:20:00", 1800),
        home_visit("c", "2025-03-04T17:20:00", 3600),
        abandoned("d", "2025-03-04T17:30:00"),
    ];
    let r = kpis(&calls, &opts(Some(GroupBy::Hour)));
    let j = json_of(&r);
    assert_eq!(
        j,
        json!({
            "calls": 4,
            "answered": 3,
            "abandoned": 1,
            "avg_wait_s": 240.0,
            "median_wait_s": 60.0,
            "p90_wait_s": 492.0,
            "within_15_min": 1.0,
            "within_20_min": 1.0,
            "consultations": 1,
            "consultations_within_1h": 1.0,
            "home_visits": 1,
            "home_visits_within_3h": 1.0,
            "abandonment_rate": 0.25,
            "abandoned_rule": "excluded",
            "from": null,
            "to": null,
            "by": "hour",
            "targets": {
                "avg_wait_s": {"value": 240.0, "target": 720.0, "direction": "at_most", "pass": true},
                "within_15_min": {"value": 1.0, "target": 0.7, "direction": "at_least", "pass": true},
                "within_20_min": {"value": 1.0, "target": 0.8, "direction": "at_least", "pass": true},
                "consultations_within_1h": {"value": 1.0, "target": 0.8, "direction": "at_least", "pass": true},
                "home_visits_within_3h": {"value": 1.0, "target": 0.9, "direction": "at_least", "pass": true}
            },
            "groups": [
                {
                    "key": "16", "calls": 2, "answered": 2, "abandoned": 0,
                    "avg_wait_s": 330.0, "median_wait_s": 330.0, "p90_wait_s": 546.0,
                    "within_15_min": 1.0, "within_20_min": 1.0,
                    "consultations": 1, "consultations_within_1h": 1.0,
                    "home_visits": 0, "home_visits_within_3h": null,
                    "abandonment_rate": 0.0
                },
                {
                    "key": "17", "calls": 2, "answered": 1, "abandoned": 1,
                    "avg_wait_s": 60.0, "median_wait_s": 60.0, "p90_wait_s": 60.0,
                    "within_15_min": 1.0, "within_20_min": 1.0,
                    "consultations": 0, "consultations_within_1h": null,
                    "home_visits": 1, "home_visits_within_3h": 1.0,
                    "abandonment_rate": 0.5
                }
            ]
        })
    );
}

#[test]
fn the_table_shows_waits_as_minutes_and_seconds_and_marks_targets() {
    let calls = vec![
        answered("a", "2025-03-04T16:10:00", 659),
        answered("b", "2025-03-04T16:11:00", 2000),
    ];
    let text = render_table(&kpis(&calls, &opts(Some(GroupBy::Hour))));
    assert!(text.contains("Out-of-hours KPIs: 2 calls, 2 answered, 0 abandoned"));
    let line = |start: &str| {
        text.lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line {start:?} in\n{text}"))
            .to_string()
    };
    let avg = line("Average wait");
    assert!(avg.contains("22:10") && avg.contains("≤ 12:00") && avg.contains('✗'));
    let w15 = line("Answered within 15 min");
    assert!(w15.contains("50.0 %") && w15.contains("≥ 70 %") && w15.contains('✗'));
    let cons = line("Consultations");
    assert!(cons.contains('–') && cons.contains("≥ 80 %"));
    assert!(text.contains("By hour"));
    assert!(line("16 ").contains("22:10"));
    assert_eq!(format_wait(Some(659.4)), "10:59");
    assert_eq!(format_wait(Some(4500.0)), "75:00");
    assert_eq!(format_share(Some(0.7123)), "71.2 %");
}

#[test]
fn the_weekend_0745_report_compares_the_window_before_and_after_the_change() {
    let calls = vec![
        // Saturday before the change (1 March 2025), in the window.
        answered("b1", "2025-03-01T07:30:00", 1500),
        answered("b2", "2025-03-01T07:44:59", 1200),
        abandoned("b3", "2025-03-01T07:59:59"),
        // Outside the window or not a weekend: ignored.
        answered("x1", "2025-03-01T07:29:59", 5),
        answered("x2", "2025-03-01T08:00:00", 5),
        answered("x3", "2025-03-04T07:40:00", 5),
        // After: a Sunday and Good Friday (a holiday on a weekday).
        answered("a1", "2025-03-09T07:46:00", 120),
        answered("a2", "2025-04-18T07:31:00", 600),
        answered("a3", "2025-04-18T07:55:00", 60),
    ];
    let r = weekend_0745_report(&calls, day("2025-03-08"), &KpiOptions::default());
    assert_eq!(r.window, "07:30-08:00");
    assert_eq!(
        (r.before.calls, r.before.answered, r.before.days),
        (3, 2, 1)
    );
    assert_eq!(r.before.avg_wait_s, Some(1350.0));
    assert_eq!(r.before.within_15_min, Some(0.0));
    assert_eq!(r.before.within_20_min, Some(0.5));
    assert_eq!(r.before.targets.avg_wait_s.pass, Some(false));
    assert_eq!((r.after.calls, r.after.days), (3, 2));
    assert_eq!(r.after.avg_wait_s, Some(260.0));
    assert_eq!(r.after.targets.avg_wait_s.pass, Some(true));
    let slots: Vec<(&str, u64, u64)> = r
        .slots
        .iter()
        .map(|s| (s.slot.as_str(), s.before.calls, s.after.calls))
        .collect();
    assert_eq!(
        slots,
        [
            ("07:30", 1, 1),
            ("07:35", 0, 0),
            ("07:40", 1, 0),
            ("07:45", 0, 1),
            ("07:50", 0, 0),
            ("07:55", 1, 1),
        ]
    );
    assert_eq!(r.slots[1].before.avg_wait_s, None);
    let j = json_of(&r);
    assert_eq!(j["change_date"], "2025-03-08");
    assert_eq!(j["before"]["calls"], 3);
    assert_eq!(j["before"]["days"], 1);
    assert_eq!(j["slots"][1]["after"]["within_15_min"], Value::Null);
    assert_eq!(j["abandoned_rule"], "excluded");
    let missed = weekend_0745_report(
        &calls,
        day("2025-03-08"),
        &KpiOptions {
            abandoned: AbandonedRule::CountAsMissed,
            ..KpiOptions::default()
        },
    );
    assert_eq!(missed.before.within_20_min, Some(1.0 / 3.0));
    let text = render_weekend_0745(&r);
    assert!(
        text.contains("07:30-08:00") && text.contains("2025-03-08"),
        "{text}"
    );
    assert!(text.contains("22:30"), "{text}");
}

/// The same calls as a columnar table, as the dataset reader builds it.
fn to_table(calls: &[Call]) -> Calls {
    let mut c = Calls::default();
    for call in calls {
        c.call_id.push(&call.call_id).unwrap();
        c.received_at.push(call.received_at);
        c.answered_at.push(call.answered_at);
        c.ended_at.push(call.ended_at);
        c.priority.push(call.priority);
        let d = match &call.district {
            None => NONE,
            Some(d) => c.districts.intern(d),
        };
        c.district.push(d);
        c.outcome.push(call.outcome);
        c.booked_for.push(call.booked_for);
        c.finished_at.push(call.finished_at);
        c.visit_started_at.push(call.visit_started_at);
        c.patient.push(NONE);
    }
    c
}

#[test]
fn a_calls_table_and_its_rows_give_the_same_report() {
    let mut calls = vec![
        answered("a", "2025-03-04T16:10:00", 600),
        consultation("b", "2025-03-04T16:20:00", 1800),
        home_visit("c", "2025-03-04T17:20:00", 3600),
        abandoned("d", "2025-03-04T17:30:00"),
    ];
    calls[1].district = Some("Randers".into());
    calls[2].priority = Priority::Urgent;
    let table = to_table(&calls);
    assert_eq!(calls_from_table(&table), calls);
    for by in GroupBy::ALL {
        assert_eq!(
            kpis(&table, &opts(Some(by))),
            kpis(&calls, &opts(Some(by))),
            "{by}"
        );
        assert_eq!(
            kpis(&table, &opts(Some(by))),
            kpis(calls.as_slice(), &opts(Some(by)))
        );
    }
}

#[test]
fn a_dataset_folder_read_from_csv_gives_its_kpis() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        "clinics.csv",
        "clinic_id,name,kommune_code,clinic_type,owner_id,capacities,open_for_new,lat,lon\n\
         C1,Klinik,751,plo,,1,true,,\n",
    );
    write(
        "doctors.csv",
        "doctor_id,clinic_id,role,fte,birth_year,district\nD1,C1,owner,1,,\n",
    );
    write(
        "patients.csv",
        "patient_id,birth_date,sex,kommune_code,clinic_id,listed_since,group,deceased_date\n\
         P1,1980-01-01,F,751,C1,,1,\n",
    );
    write(
        "calls.csv",
        "call_id,received_at,answered_at,ended_at,priority,district,outcome,booked_for,finished_at,visit_started_at,patient_id\n\
         K1,2025-03-01T07:50:00,2025-03-01T08:05:00,2025-03-01T08:09:00,normal,Aarhus,consultation,2025-03-01T09:00:00,2025-03-01T10:00:00,,P1\n\
         K2,2025-03-01T07:55:00,,2025-03-01T07:58:00,normal,Aarhus,abandoned,,,,\n\
         K3,2025-03-04T23:50:00+01:00,2025-03-05T00:05:01+01:00,2025-03-05T00:09:00+01:00,urgent,,home_visit,,,2025-03-05T03:09:00+01:00,\n",
    );
    let (ds, _warnings) = read_dataset(dir.path(), &ReadOptions::default()).unwrap();
    let r = kpis(&ds.calls, &opts(Some(GroupBy::District)));
    assert_eq!((r.calls, r.answered, r.abandoned), (3, 2, 1));
    assert_eq!(r.avg_wait_s, Some(900.5));
    assert_eq!(r.within_15_min, Some(0.5));
    assert_eq!(r.consultations_within_1h, Some(1.0));
    assert_eq!(r.home_visits_within_3h, Some(1.0));
    assert_eq!(keys(&r), ["Aarhus", "(none)"]);
    let w = weekend_0745_report(&ds.calls, day("2025-03-01"), &KpiOptions::default());
    assert_eq!((w.before.calls, w.after.calls), (0, 2));
}
