//! Random call logs: the fast KPI pass (cached local time, integer calendar, selection for
//! percentiles) must agree with a slow reference that asks the time-zone database and chrono's
//! formatting for every call and sorts every group.

use almen_core::{Day, Timestamp};
use almen_dataset::Outcome;
use almen_kpi::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

fn label(by: GroupBy, c: &Call) -> String {
    let local = c.received_at.to_local();
    let date = local.format("%Y-%m-%d").to_string();
    match by {
        GroupBy::Hour => local.format("%-H").to_string(),
        GroupBy::Day => date,
        GroupBy::Week => local.format("%G-W%V").to_string(),
        GroupBy::Quarter => {
            let month: u32 = local.format("%m").to_string().parse().unwrap();
            format!("{}-Q{}", local.format("%Y"), (month - 1) / 3 + 1)
        }
        GroupBy::Weekday => {
            let weekend = local.format("%u").to_string().parse::<u32>().unwrap() >= 6
                || holiday(Day::parse(&date).unwrap()).is_some();
            if weekend { "weekend" } else { "weekday" }.to_string()
        }
        GroupBy::District => c.district.clone().unwrap_or_else(|| "(none)".to_string()),
    }
}

fn quantile(sorted: &[i64], num: usize, den: usize) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let pos = (sorted.len() - 1) * num;
    let (lo, rem) = (pos / den, pos % den);
    if rem == 0 {
        return Some(sorted[lo] as f64);
    }
    let frac = rem as f64 / den as f64;
    Some(sorted[lo] as f64 + frac * (sorted[lo + 1] - sorted[lo]) as f64)
}

/// The KPIs the slow way, for checking.
fn reference(calls: &[&Call], rule: AbandonedRule) -> Kpis {
    let ratio = |a: usize, b: usize| (b > 0).then(|| a as f64 / b as f64);
    let mut waits: Vec<i64> = calls
        .iter()
        .filter(|c| c.outcome != Outcome::Abandoned)
        .filter_map(|c| c.answered_at.map(|a| c.received_at.seconds_until(a)))
        .collect();
    waits.sort();
    let answered = waits.len();
    let abandoned = calls.len() - answered;
    let base = match rule {
        AbandonedRule::Excluded => answered,
        AbandonedRule::CountAsMissed => calls.len(),
    };
    let cons: Vec<bool> = calls
        .iter()
        .filter(|c| c.outcome == Outcome::Consultation)
        .filter_map(|c| Some(c.booked_for?.seconds_until(c.finished_at?) <= 3600))
        .collect();
    let visits: Vec<bool> = calls
        .iter()
        .filter(|c| c.outcome == Outcome::HomeVisit)
        .filter_map(|c| Some(c.ended_at?.seconds_until(c.visit_started_at?) <= 10800))
        .collect();
    Kpis {
        calls: calls.len() as u64,
        answered: answered as u64,
        abandoned: abandoned as u64,
        avg_wait_s: (answered > 0).then(|| waits.iter().sum::<i64>() as f64 / answered as f64),
        median_wait_s: quantile(&waits, 1, 2),
        p90_wait_s: quantile(&waits, 9, 10),
        within_15_min: ratio(waits.iter().filter(|&&w| w <= 900).count(), base),
        within_20_min: ratio(waits.iter().filter(|&&w| w <= 1200).count(), base),
        consultations: cons.len() as u64,
        consultations_within_1h: ratio(cons.iter().filter(|&&x| x).count(), cons.len()),
        home_visits: visits.len() as u64,
        home_visits_within_3h: ratio(visits.iter().filter(|&&x| x).count(), visits.len()),
        abandonment_rate: ratio(abandoned, calls.len()),
    }
}

fn call_strategy() -> impl Strategy<Value = Call> {
    // 2022-12-20 … 2026-01-10: three New Years, Store Bededag in 2023 and not after, six DST
    // changes.
    let start = Timestamp::parse("2022-12-20T00:00:00Z").unwrap().unix();
    let end = Timestamp::parse("2026-01-10T00:00:00Z").unwrap().unix();
    (
        start..end,
        prop::option::weighted(0.85, 0i64..2_400),
        0usize..4,
        0i64..8_000,
        prop::option::of(0usize..3),
        0i64..14_000,
    )
        .prop_map(|(received, wait, kind, late, district, visit)| {
            let r = Timestamp::from_unix(received);
            let outcome = match (wait, kind) {
                (None, _) => Outcome::Abandoned,
                (Some(_), 0) => Outcome::Consultation,
                (Some(_), 1) => Outcome::HomeVisit,
                (Some(_), 2) => Outcome::Video,
                (Some(_), _) => Outcome::Advice,
            };
            let mut c = Call::new("x", r, wait.map(|w| r.plus_seconds(w)), outcome);
            c.ended_at = Some(r.plus_seconds(wait.unwrap_or(0) + 200));
            c.district = district.map(|d| ["Aarhus", "Horsens", "Viborg"][d].to_string());
            if outcome == Outcome::Consultation && late % 5 != 0 {
                c.booked_for = Some(r.plus_seconds(3_600));
                c.finished_at = Some(r.plus_seconds(3_600 + late - 2_000));
            }
            if outcome == Outcome::HomeVisit && late % 7 != 0 {
                c.visit_started_at = Some(c.ended_at.unwrap().plus_seconds(visit));
            }
            c
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_fast_pass_agrees_with_the_reference(
        calls in prop::collection::vec(call_strategy(), 0..300),
        missed in any::<bool>(),
        by in prop::sample::select(GroupBy::ALL.to_vec()),
    ) {
        let rule = if missed { AbandonedRule::CountAsMissed } else { AbandonedRule::Excluded };
        let opts = KpiOptions { abandoned: rule, by: Some(by), ..KpiOptions::default() };
        let report = kpis(&calls, &opts);
        let all: Vec<&Call> = calls.iter().collect();
        prop_assert_eq!(&report.kpis, &reference(&all, rule));

        let mut groups: BTreeMap<String, Vec<&Call>> = BTreeMap::new();
        for c in &calls {
            groups.entry(label(by, c)).or_default().push(c);
        }
        let mut got: Vec<(String, Kpis)> =
            report.groups.iter().map(|g| (g.key.clone(), g.kpis.clone())).collect();
        got.sort_by(|a, b| a.0.cmp(&b.0));
        let want: Vec<(String, Kpis)> =
            groups.iter().map(|(k, cs)| (k.clone(), reference(cs, rule))).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn weekend_windows_agree_with_the_reference(
        calls in prop::collection::vec(call_strategy(), 0..400),
        change in 19_350i32..20_400,
    ) {
        let change = Day::from_days_since_epoch(change);
        let r = weekend_0745_report(&calls, change, &KpiOptions::default());
        let in_window = |c: &&Call| {
            let local = c.received_at.to_local();
            let hm = local.format("%H:%M").to_string();
            let date = Day::parse(&local.format("%Y-%m-%d").to_string()).unwrap();
            ("07:30".."08:00").contains(&hm.as_str()) && is_weekend_or_holiday(date)
        };
        let after = |c: &&Call| {
            Day::parse(&c.received_at.to_local().format("%Y-%m-%d").to_string()).unwrap() >= change
        };
        let before: Vec<&Call> = calls.iter().filter(in_window).filter(|c| !after(c)).collect();
        let after_: Vec<&Call> = calls.iter().filter(in_window).filter(after).collect();
        prop_assert_eq!(&r.before.kpis, &reference(&before, AbandonedRule::Excluded));
        prop_assert_eq!(&r.after.kpis, &reference(&after_, AbandonedRule::Excluded));
        let slot_sum: u64 = r.slots.iter().map(|s| s.before.calls + s.after.calls).sum();
        prop_assert_eq!(slot_sum, (before.len() + after_.len()) as u64);
    }
}
