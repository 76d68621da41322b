//! `vagt::replay` against the real server, on SQLite and PostgreSQL: a calls file in the extract
//! format, read as `almen vagt replay` reads it, played through the public API; the report then
//! counts the same calls and KPIs as the file, and a second replay changes nothing.

mod common;
mod vagt_support;

use almen_server::Role;
use almen_server::vagt::{DEMO_PHONE_TOKEN, ReplayOptions, replay};
use common::TestDb;
use vagt_support::User;

on_both_backends!(a_replayed_evening_is_reported_like_the_file);

const CALLS_CSV: &str = "\
call_id,received_at,answered_at,ended_at,priority,district,outcome,booked_for,finished_at,visit_started_at,patient_id
e1,2025-03-04T16:00:05+01:00,2025-03-04T16:02:00+01:00,2025-03-04T16:06:00+01:00,normal,Aarhus,advice,,,,
e2,2025-03-04T16:01:00+01:00,2025-03-04T16:20:00+01:00,2025-03-04T16:25:00+01:00,urgent,Randers,consultation,2025-03-04T17:00:00+01:00,2025-03-04T17:20:00+01:00,,
e3,2025-03-04T16:03:00+01:00,,2025-03-04T16:05:00+01:00,normal,Aarhus,abandoned,,,,
e4,2025-03-04T16:04:00+01:00,2025-03-04T16:10:00+01:00,2025-03-04T16:15:00+01:00,normal,Viborg,home_visit,,,2025-03-04T17:30:00+01:00,
e5,2025-03-04T16:30:00+01:00,2025-03-04T16:31:00+01:00,,normal,,video,,,,
";

async fn a_replayed_evening_is_reported_like_the_file(db: &TestDb) {
    let dir = tempfile::tempdir().expect("a folder");
    let file = dir.path().join("calls.csv");
    std::fs::write(&file, CALLS_CSV).expect("write the calls");
    let (calls, _) = almen_dataset::read_calls_file(&file, &almen_dataset::ReadOptions::default())
        .expect("a valid calls file");

    let server = vagt_support::start(db).await;
    let mut opts = ReplayOptions::new(format!("http://{}", server.addr), DEMO_PHONE_TOKEN);
    opts.speed = 0.0;
    opts.move_to_today = false;
    let mut seen = 0;
    let stats = replay(&calls, &opts, |s| seen = s.sent)
        .await
        .expect("the replay");
    assert_eq!(stats.calls, 5);
    assert_eq!(stats.rejected, 0, "{:?}", stats.first_rejections);
    // 5 entered, 4 answered, 4 ended, 1 abandoned; 4 outcomes, a finish and a visit start.
    assert_eq!(stats.events, 14);
    assert_eq!(stats.records, 6);
    assert_eq!(seen, stats.total);

    let coordinator = User::demo(&server, Role::Coordinator).await;
    let res = coordinator
        .get("/api/v1/vagt/report?from=2025-03-04&to=2025-03-05")
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let report = res.json()["report"].clone();
    let file_kpis = almen_kpi::kpis(&calls, &almen_kpi::KpiOptions::default());
    assert_eq!(report["calls"], 5);
    assert_eq!(report["abandoned"], file_kpis.abandoned);
    assert_eq!(report["avg_wait_s"], file_kpis.avg_wait_s.expect("waits"));
    assert_eq!(report["consultations"], 1);
    assert_eq!(report["consultations_within_1h"], 1.0);
    assert_eq!(report["home_visits"], 1);
    assert_eq!(report["home_visits_within_3h"], 1.0);

    // The home visit is on the dispatch list, arrived.
    let driver = User::demo(&server, Role::Driver).await;
    let visits = driver.get("/api/v1/vagt/visits").await.json()["visits"].clone();
    assert_eq!(visits[0]["call_id"], "e4");
    assert_eq!(visits[0]["status"], "arrived");

    // Again: every event is a duplicate, nothing is refused.
    let again = replay(&calls, &opts, |_| {})
        .await
        .expect("the replay again");
    assert_eq!((again.events, again.duplicates, again.rejected), (0, 14, 0));

    // A wrong token stops the replay at once.
    let mut bad = opts.clone();
    bad.token = "wrong".into();
    let err = replay(&calls, &bad, |_| {}).await.expect_err("refused");
    assert!(err.to_string().contains("refused the token"), "{err}");
    server.stop().await;
}
