//! The economy pages end to end, on SQLite and on PostgreSQL, against the real server with a
//! small synthetic dataset (one municipality): roles, the frame dashboard with its SVG chart
//! and the 2023 example, a clinic's control page listing a finding, the correction-card
//! download and its audit row, and the fee simulation's histogram.

mod common;

use almen_dataset::Dataset;
use almen_server::{Db, latest_audit};
use common::{TestDb, TestServer};
use std::sync::Arc;

on_both_backends!(
    roles_limit_the_economy_pages,
    the_frame_dashboard_renders_its_chart_and_the_2023_example,
    a_clinic_control_page_lists_findings_and_the_download_is_audited,
);

/// Synthetic Fanø: two clinics.
fn dataset() -> Arc<Dataset> {
    common::fano_dataset()
}

/// The clinic the demo GP is linked to: the one with the most listed patients.
fn gp_clinic(ds: &Dataset) -> u32 {
    (0..ds.clinics.len() as u32)
        .max_by(|&a, &b| {
            let n = |c| ds.index.patients_by_clinic.rows_of(c).len();
            n(a).cmp(&n(b)).then(b.cmp(&a))
        })
        .expect("clinics")
}

async fn db_of(db: &TestDb) -> Db {
    Db::connect(&db.url).await.expect("the database")
}

async fn roles_limit_the_economy_pages(db: &TestDb) {
    let ds = dataset();
    let server = TestServer::start_with(db.config(), Some(dataset())).await;
    let own = ds.clinics.id.get(gp_clinic(&ds) as usize).to_string();
    let other = (0..ds.clinics.len() as u32)
        .find(|&c| c != gp_clinic(&ds))
        .map(|c| ds.clinics.id.get(c as usize).to_string())
        .expect("a second clinic");
    let mut gp = server.user("gp").await;
    assert_eq!(gp.get("/economy/frame").await.status, 403);
    assert_eq!(gp.get("/economy/fees").await.status, 403);
    assert_eq!(
        gp.get(&format!("/economy/clinics/{other}")).await.status,
        403
    );
    let res = gp.get(&format!("/economy/clinics/{own}")).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(gp.get("/economy/clinics").await.status, 403);
    let mut analyst = server.user("analyst").await;
    let res = analyst.get("/economy/clinics").await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains(&format!("/economy/clinics/{own}")));
    assert_eq!(
        analyst
            .get(&format!("/economy/clinics/{other}"))
            .await
            .status,
        200
    );
    assert_eq!(analyst.get("/economy/clinics/nope").await.status, 404);
    let res = analyst.get("/economy/fees").await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(
        res.body.contains("data-testid=\"fees-histogram\""),
        "{}",
        res.body
    );
    let mut visitator = server.user("visitator").await;
    assert_eq!(visitator.get("/economy/frame").await.status, 403);
    server.stop().await;
}

async fn the_frame_dashboard_renders_its_chart_and_the_2023_example(db: &TestDb) {
    let server = TestServer::start_with(db.config(), Some(dataset())).await;
    let mut admin = server.user("admin").await;
    let res = admin.get("/economy/frame").await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("<svg"));
    assert!(res.body.contains("data-testid=\"frame-chart\""));
    assert!(res.body.contains("data-testid=\"tolerance-band\""));
    assert!(
        res.body.contains("data-testid=\"frame-note\""),
        "the default frame is explained"
    );
    let res = admin.get("/economy/frame?example=2023&reading=plo").await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("135,0 mio. kr."), "the 2023 overshoot");
    assert!(res.body.contains("78,3 mio. kr."), "the countable offset");
    let res = admin.get("/economy/frame?example=2023&reading=rltn").await;
    assert!(res.body.contains("187,6 mio. kr."), "RLTN's reading");
    let res = admin.get("/economy/frame?frame_dkk=abc").await;
    assert_eq!(res.status, 400);
    server.stop().await;
}

async fn a_clinic_control_page_lists_findings_and_the_download_is_audited(db: &TestDb) {
    let ds = dataset();
    let server = TestServer::start_with(db.config(), Some(dataset())).await;
    let own = ds.clinics.id.get(gp_clinic(&ds) as usize).to_string();
    let mut gp = server.user("gp").await;
    let res = gp.get(&format!("/economy/clinics/{own}")).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("data-testid=\"finding\""), "a finding");
    // Filtered on one rule: only that rule's findings.
    let rule = res
        .body
        .split("<tr data-testid=\"finding\"><td>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("a rule id")
        .to_string();
    let res = gp.get(&format!("/economy/clinics/{own}?rule={rule}")).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let rows: Vec<&str> = res
        .body
        .split("<tr data-testid=\"finding\"><td>")
        .skip(1)
        .collect();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.starts_with(&format!("{rule}<"))));
    let res = gp
        .get(&format!("/economy/clinics/{own}/corrections.csv"))
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.starts_with("claim_id"), "{}", res.body);
    let log = latest_audit(&db_of(db).await, 10).await.expect("the log");
    assert!(
        log.iter().any(|e| e.action == "economy.corrections.export"),
        "{log:?}"
    );
    server.stop().await;
}
