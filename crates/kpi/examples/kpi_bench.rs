//! Times the KPI pass on a synthetic national year (≈3 million calls), as a columnar table and
//! as rows: `cargo run --release -p almen-kpi --example kpi_bench [n_calls]`.

use almen_core::Timestamp;
use almen_dataset::{Calls, NONE, Outcome, Priority};
use almen_kpi::{GroupBy, KpiOptions, calls_from_table, kpis, weekend_0745_report};
use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3_000_000);
    let start = Timestamp::parse("2025-01-01T00:00:00").unwrap().unix();
    let mut c = Calls::default();
    let districts: Vec<u32> = ["Aarhus", "Horsens", "Viborg", "Gødstrup", "Randers"]
        .iter()
        .map(|d| c.districts.intern(d))
        .collect();
    // A cheap deterministic scramble stands in for a random generator.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let r = Timestamp::from_unix(start + (i as i64 * 31_536_000 / n as i64));
        let wait = (x % 2_400) as i64;
        let abandoned = x % 23 == 0;
        let outcome = match (abandoned, x % 10) {
            (true, _) => Outcome::Abandoned,
            (false, 0 | 1) => Outcome::Consultation,
            (false, 2) => Outcome::HomeVisit,
            _ => Outcome::Advice,
        };
        c.call_id.push(&i.to_string()).unwrap();
        c.received_at.push(r);
        c.answered_at
            .push((!abandoned).then(|| r.plus_seconds(wait)));
        c.ended_at.push(Some(r.plus_seconds(wait + 240)));
        c.priority.push(Priority::Normal);
        c.district.push(if x % 50 == 0 {
            NONE
        } else {
            districts[(x % 5) as usize]
        });
        c.outcome.push(outcome);
        let consultation = outcome == Outcome::Consultation;
        c.booked_for
            .push(consultation.then(|| r.plus_seconds(3_600)));
        c.finished_at
            .push(consultation.then(|| r.plus_seconds(3_600 + (x % 5_000) as i64)));
        c.visit_started_at.push(
            (outcome == Outcome::HomeVisit)
                .then(|| r.plus_seconds(wait + 240 + (x % 12_000) as i64)),
        );
        c.patient.push(NONE);
    }
    let rows = calls_from_table(&c);
    for by in [
        None,
        Some(GroupBy::Hour),
        Some(GroupBy::Day),
        Some(GroupBy::District),
    ] {
        let opts = KpiOptions {
            by,
            ..KpiOptions::default()
        };
        let t = Instant::now();
        let r = kpis(&c, &opts);
        let table = t.elapsed();
        let t = Instant::now();
        let r2 = kpis(&rows, &opts);
        let slice = t.elapsed();
        assert_eq!(r, r2);
        println!(
            "by {:<8} {n} calls: table {table:>10.2?}, rows {slice:>10.2?} ({} groups, avg wait {:.1} s)",
            by.map_or("-", |b| b.as_str()),
            r.groups.len(),
            r.avg_wait_s.unwrap_or(0.0),
        );
    }
    let t = Instant::now();
    let w = weekend_0745_report(
        &c,
        almen_core::Day::parse("2025-06-01").unwrap(),
        &KpiOptions::default(),
    );
    println!(
        "weekend 07:45: {:.2?} ({} + {} calls)",
        t.elapsed(),
        w.before.calls,
        w.after.calls
    );
}
