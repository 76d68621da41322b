//! The clinic cockpit end to end, on SQLite and on PostgreSQL, against the real server with a
//! small synthetic dataset (one municipality): who may open which clinic and patient, the
//! audit rows of list and patient views, masked ids outside the patient's own page, the
//! versioned treatment plan and its export, aggregates with small counts suppressed, and the
//! administrator's clusters.

mod common;

use almen_dataset::Dataset;
use almen_server::{Db, latest_audit};
use common::{Client, TestDb, TestServer};
use serde_json::Value;
use std::sync::Arc;

on_both_backends!(
    a_gp_opens_their_clinic_and_a_list_with_ids_masked,
    a_patient_view_is_audit_logged_and_shows_the_full_id,
    roles_and_clinics_limit_what_is_seen,
    a_treatment_plan_is_saved_in_versions_and_exported,
    aggregates_suppress_small_counts_and_read_clusters_from_the_database,
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

fn other_clinic(ds: &Dataset) -> u32 {
    let own = gp_clinic(ds);
    (0..ds.clinics.len() as u32)
        .filter(|&c| c != own)
        .max_by_key(|&c| ds.index.patients_by_clinic.rows_of(c).len())
        .expect("a second clinic")
}

/// A living patient listed with `clinic`.
fn patient_of(ds: &Dataset, clinic: u32) -> String {
    let row = ds
        .index
        .patients_by_clinic
        .rows_of(clinic)
        .iter()
        .copied()
        .find(|&r| ds.patients.deceased[r as usize].is_none())
        .expect("a patient");
    ds.patients.id.get(row as usize).to_string()
}

fn location(res: &common::Resp) -> &str {
    res.header("location")
        .unwrap_or_else(|| panic!("a redirect: {res:?}"))
}

/// The `href`s in a page that start with `prefix`.
fn hrefs<'a>(body: &'a str, prefix: &str) -> Vec<&'a str> {
    body.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|h| h.starts_with(prefix))
        .collect()
}

async fn db_of(db: &TestDb) -> Db {
    Db::connect(&db.url).await.expect("the database")
}

async fn a_gp_opens_their_clinic_and_a_list_with_ids_masked(db: &TestDb) {
    let ds = dataset();
    let server = TestServer::start_with(db.config(), Some(dataset())).await;
    let mut gp = server.user("gp").await;
    let own = ds.clinics.id.get(gp_clinic(&ds) as usize).to_string();

    // The GP's one clinic is the cockpit's start.
    let res = gp.get("/cockpit").await;
    assert_eq!(res.status, 303);
    assert_eq!(location(&res), format!("/cockpit/clinics/{own}"));

    let res = gp.get(&format!("/cockpit/clinics/{own}")).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let page = &res.body;
    assert!(page.contains("data-testid=\"lists-table\""));
    assert!(page.contains("Demens"), "list names in Danish");
    assert!(
        page.contains("data-testid=\"bars-dementia\""),
        "bars per list"
    );
    assert!(
        page.contains("data-testid=\"trend-dementia\""),
        "a trend per list"
    );
    assert!(page.contains("data-testid=\"trend-table\""));
    assert_eq!(
        page.matches("<th class=\"num\">20").count(),
        8,
        "eight quarter ends"
    );

    // The JSON twin agrees with the page, and the list with most members has a page.
    let res = gp
        .get(&format!("/api/v1/cockpit/clinics/{own}/lists"))
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let report = res.json();
    assert_eq!(report["report"]["clinic_id"], own.as_str());
    assert_eq!(report["trend"]["dates"].as_array().map(Vec::len), Some(8));
    let lists = report["report"]["lists"].as_array().expect("lists");
    let biggest = lists
        .iter()
        .max_by_key(|l| l["count"].as_u64())
        .expect("a list");
    let id = biggest["id"].as_str().expect("an id");
    let count = biggest["count"].as_u64().expect("a count");
    assert!(count > 0, "some list has members");
    // The last trend point is the reference date: the same count.
    let trend = report["trend"]["lists"][id].as_array().expect("a trend");
    assert_eq!(trend.last().and_then(Value::as_u64), Some(count));

    let res = gp.get(&format!("/cockpit/clinics/{own}/lists/{id}")).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("data-testid=\"members\""));
    let links = hrefs(&res.body, "/cockpit/patients/");
    assert_eq!(links.len() as u64, count.min(200));
    // No full id of the clinic's patients on the list page, not even in a link.
    for &row in ds.index.patients_by_clinic.rows_of(gp_clinic(&ds)) {
        let pid = ds.patients.id.get(row as usize);
        assert!(!res.body.contains(pid), "{pid} is shown on a list page");
    }
    let log = latest_audit(&db_of(db).await, 10).await.expect("the log");
    let view = log
        .iter()
        .find(|e| e.action == "cockpit.list.view")
        .expect("the list view is logged");
    assert_eq!(view.username, "gp");
    assert!(view.detail.contains(id));

    // Osteoporosis shows the FLS groups with the letters; low continuity UPC and COC.
    let res = gp
        .get(&format!("/cockpit/clinics/{own}/lists/osteoporosis"))
        .await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("data-testid=\"fls-group-2b\""));
    assert!(res.body.contains("Bestil tid hos din egen læge"));
    let res = gp
        .get(&format!("/cockpit/clinics/{own}/lists/low_continuity"))
        .await;
    assert_eq!(res.status, 200);
    assert!(
        res.body.contains("<th class=\"num\">UPC</th>") || res.body.contains("Ingen patienter"),
        "members with their UPC and COC"
    );
    let res = gp.get(&format!("/cockpit/clinics/{own}/lists/fls")).await;
    assert_eq!(res.status, 200);
    assert_eq!(
        gp.get(&format!("/cockpit/clinics/{own}/lists/no_such_list"))
            .await
            .status,
        404
    );
    server.stop().await;
}

async fn a_patient_view_is_audit_logged_and_shows_the_full_id(db: &TestDb) {
    let ds = dataset();
    let server = TestServer::start_with(db.config(), Some(dataset())).await;
    let mut gp = server.user("gp").await;
    let own = ds.clinics.id.get(gp_clinic(&ds) as usize).to_string();
    // From a list to a patient, by the link's opaque key.
    let res = gp
        .get(&format!("/cockpit/clinics/{own}/lists/hypertension"))
        .await;
    assert_eq!(res.status, 200);
    let link = hrefs(&res.body, "/cockpit/patients/")
        .first()
        .map(|s| s.replace("&amp;", "&"))
        .expect("a member");
    let res = gp.get(&link).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let page = res.body;
    for card in [
        "diagnosis-card",
        "medicines",
        "observations",
        "contacts",
        "contacts-timeline",
        "patient-lists",
        "treatment-plan",
    ] {
        assert!(
            page.contains(&format!("data-testid=\"{card}\"")),
            "the overview has {card}"
        );
    }
    assert!(page.contains("Forhøjet blodtryk") || page.contains("Hypertension"));
    let shown_id = page
        .split("data-testid=\"patient-id\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the patient's id")
        .to_string();
    let row = ds.patient_row(&shown_id).expect("the id is a patient's");
    assert_eq!(ds.patients.clinic[row as usize], gp_clinic(&ds));

    let log = latest_audit(&db_of(db).await, 5).await.expect("the log");
    let view = &log[0];
    assert_eq!(view.action, "cockpit.patient.view");
    assert_eq!(view.username, "gp");
    assert_eq!(view.patient_ref.as_deref(), Some(shown_id.as_str()));
    assert!(view.reason.as_deref().is_some_and(|r| !r.is_empty()));
    assert!(view.detail.contains("hypertension"), "{}", view.detail);

    // The patient's id in the address works too, and is logged again; in English too.
    gp.cookies.insert("lang".into(), "en".into());
    let res = gp.get(&format!("/cockpit/patients/{shown_id}")).await;
    assert_eq!(res.status, 200);
    for text in [
        "Patient overview",
        "Diagnosis card",
        "Active medicines",
        "Treatment plan",
    ] {
        assert!(res.body.contains(text), "{text}");
    }
    let res = gp.get(&format!("/cockpit/clinics/{own}")).await;
    assert!(res.body.contains("Population lists") && res.body.contains("Dementia"));
    let log = latest_audit(&db_of(db).await, 5).await.expect("the log");
    assert_eq!(log[0].action, "cockpit.patient.view");

    // The administrator's audit page shows the view, with the id masked.
    let mut admin = server.user("admin").await;
    let res = admin.get("/audit").await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("cockpit.patient.view"));
    assert!(!res.body.contains(&shown_id));
    server.stop().await;
}

async fn roles_and_clinics_limit_what_is_seen(db: &TestDb) {
    let ds = dataset();
    let server = TestServer::start_with(db.config(), Some(dataset())).await;
    let own = ds.clinics.id.get(gp_clinic(&ds) as usize).to_string();
    let other = ds.clinics.id.get(other_clinic(&ds) as usize).to_string();
    let own_patient = patient_of(&ds, gp_clinic(&ds));
    let other_patient = patient_of(&ds, other_clinic(&ds));

    // The analyst: aggregates only.
    let mut analyst = server.user("analyst").await;
    let res = analyst.get("/cockpit").await;
    assert_eq!(res.status, 303);
    assert_eq!(location(&res), "/cockpit/areas");
    assert_eq!(analyst.get("/cockpit/areas").await.status, 200);
    for path in [
        format!("/cockpit/clinics/{own}"),
        format!("/cockpit/clinics/{own}/lists/dementia"),
        format!("/cockpit/patients/{own_patient}"),
        format!("/cockpit/patients/{own_patient}/plan.md"),
        format!("/api/v1/cockpit/clinics/{own}/lists"),
        "/cockpit/clusters".to_string(),
    ] {
        assert_eq!(analyst.get(&path).await.status, 403, "{path}");
    }

    // The GP: their own clinic, not another's, nor its patients.
    let mut gp = server.user("gp").await;
    assert_eq!(gp.get(&format!("/cockpit/clinics/{own}")).await.status, 200);
    assert_eq!(
        gp.get(&format!("/cockpit/clinics/{other}")).await.status,
        403
    );
    assert_eq!(
        gp.get(&format!("/cockpit/clinics/{other}/lists/dementia"))
            .await
            .status,
        403
    );
    assert_eq!(
        gp.get(&format!("/cockpit/patients/{own_patient}"))
            .await
            .status,
        200
    );
    assert_eq!(
        gp.get(&format!("/cockpit/patients/{other_patient}"))
            .await
            .status,
        403
    );
    let log = latest_audit(&db_of(db).await, 3).await.expect("the log");
    assert_eq!(log[0].action, "cockpit.patient.denied");
    assert_eq!(log[0].patient_ref.as_deref(), Some(other_patient.as_str()));
    assert_eq!(
        gp.post_form(
            &format!("/cockpit/patients/{other_patient}/plan"),
            &[("goals", "x")]
        )
        .await
        .status,
        403
    );
    assert_eq!(
        gp.get("/cockpit/patients/no-such-patient").await.status,
        404
    );
    // A link key from another server process (or a forged one) finds no one.
    assert_eq!(
        gp.get("/cockpit/patients/0.0123456789abcdef").await.status,
        404
    );
    assert_eq!(gp.get("/cockpit/clinics/no-such-clinic").await.status, 404);
    assert_eq!(gp.get("/cockpit/clusters").await.status, 403);
    assert_eq!(gp.get("/cockpit/areas?level=kommune").await.status, 200);

    // Roles outside the cockpit.
    let mut visitator = server.user("visitator").await;
    assert_eq!(visitator.get("/cockpit").await.status, 403);
    assert_eq!(
        visitator
            .get(&format!("/cockpit/patients/{own_patient}"))
            .await
            .status,
        403
    );

    // The administrator: any clinic (with a picker) and any patient.
    let mut admin = server.user("admin").await;
    let res = admin.get("/cockpit").await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("data-testid=\"clinic-picker\""));
    let res = admin.get(&format!("/cockpit?clinic={other}")).await;
    assert_eq!(location(&res), format!("/cockpit/clinics/{other}"));
    assert_eq!(
        admin.get(&format!("/cockpit/clinics/{other}")).await.status,
        200
    );
    assert_eq!(
        admin
            .get(&format!("/cockpit/patients/{other_patient}"))
            .await
            .status,
        200
    );
    let log = latest_audit(&db_of(db).await, 1).await.expect("the log");
    assert_eq!(log[0].action, "cockpit.patient.view");
    assert_eq!(log[0].username, "admin");

    // Without a session: to the login page.
    let res = Client::tcp(server.addr).get("/cockpit").await;
    assert_eq!(res.status, 303);
    assert!(location(&res).starts_with("/login"));
    server.stop().await;
}

async fn a_treatment_plan_is_saved_in_versions_and_exported(db: &TestDb) {
    let ds = dataset();
    let server = TestServer::start_with(db.config(), Some(dataset())).await;
    let patient = patient_of(&ds, gp_clinic(&ds));
    let mut gp = server.user("gp").await;
    let page = gp.get(&format!("/cockpit/patients/{patient}")).await;
    assert!(page.body.contains("data-testid=\"plan-none\""));

    let plan = format!("/cockpit/patients/{patient}/plan");
    let res = gp
        .post_form(
            &plan,
            &[
                ("base_version", "0"),
                ("goals", "Blodtryk under 140/90 <inden sommer>"),
                (
                    "actions",
                    "Gå 30 minutter dagligt.\nMåling hos sygeplejersken.",
                ),
                ("follow_up", "2026-03-01"),
                ("agreed_with_patient", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let to = location(&res).to_string();
    assert!(to.contains("saved=1"), "{to}");
    assert!(!to.contains(&patient), "the redirect uses the opaque key");
    let res = gp.get(&to).await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("data-testid=\"plan-saved\""));
    assert!(
        res.body.contains("&#60;inden sommer&#62;"),
        "text is escaped"
    );
    assert!(res.body.contains("data-testid=\"plan-version\">1<"));

    // Version 2 on top of 1; a save based on 1 again conflicts and keeps the text.
    let res = gp
        .post_form(
            &plan,
            &[
                ("base_version", "1"),
                ("goals", "Blodtryk under 135/85"),
                ("actions", "Gå 45 minutter dagligt."),
                ("follow_up", ""),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let res = gp
        .post_form(
            &plan,
            &[
                ("base_version", "1"),
                ("goals", "Et forældet udkast"),
                ("actions", ""),
            ],
        )
        .await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(res.body.contains("data-testid=\"plan-error\""));
    assert!(res.body.contains("Et forældet udkast"));
    // Nothing to save, or a bad date: the form again.
    let res = gp
        .post_form(
            &plan,
            &[("base_version", "2"), ("goals", " "), ("actions", "")],
        )
        .await;
    assert_eq!(res.status, 422);
    let res = gp
        .post_form(
            &plan,
            &[("base_version", "2"), ("goals", "x"), ("follow_up", "1/3")],
        )
        .await;
    assert_eq!(res.status, 422);

    let store = db_of(db).await;
    let versions: Vec<i64> = sqlx::query_scalar(
        "SELECT version FROM treatment_plans WHERE patient_id = $1 ORDER BY version",
    )
    .bind(&patient)
    .fetch_all(store.pool())
    .await
    .expect("versions");
    assert_eq!(versions, [1, 2]);
    let agreed: Vec<i64> = sqlx::query_scalar(
        "SELECT agreed_with_patient FROM treatment_plans WHERE patient_id = $1 ORDER BY version",
    )
    .bind(&patient)
    .fetch_all(store.pool())
    .await
    .expect("flags");
    assert_eq!(agreed, [1, 0]);
    // A version is never changed.
    assert!(
        sqlx::query("UPDATE treatment_plans SET goals = 'x'")
            .execute(store.pool())
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM treatment_plans")
            .execute(store.pool())
            .await
            .is_err()
    );
    let log = latest_audit(&store, 50).await.expect("the log");
    let saves: Vec<_> = log
        .iter()
        .filter(|e| e.action == "cockpit.plan.save")
        .collect();
    assert_eq!(saves.len(), 2);
    assert!(
        saves
            .iter()
            .all(|e| e.patient_ref.as_deref() == Some(patient.as_str()))
    );

    // The page shows version 2 and the history; version 1 can be shown again.
    let res = gp.get(&format!("/cockpit/patients/{patient}")).await;
    assert!(res.body.contains("data-testid=\"plan-version\">2<"));
    assert!(res.body.contains("data-testid=\"plan-versions\""));
    let res = gp
        .get(&format!("/cockpit/patients/{patient}?version=1"))
        .await;
    assert!(res.body.contains("data-testid=\"plan-version\">1<"));

    // Export: a document with the full id, logged.
    let res = gp
        .get(&format!("/cockpit/patients/{patient}/plan.md"))
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(
        res.header("content-type")
            .is_some_and(|c| c.starts_with("text/markdown"))
    );
    assert!(res.body.contains(&patient));
    assert!(res.body.contains("Blodtryk under 135/85"));
    assert!(res.body.contains("Version 2"));
    let log = latest_audit(&store, 1).await.expect("the log");
    assert_eq!(log[0].action, "cockpit.plan.export");
    assert_eq!(log[0].patient_ref.as_deref(), Some(patient.as_str()));
    let res = gp
        .get(&format!("/cockpit/patients/{patient}/plan.html?version=1"))
        .await;
    assert_eq!(res.status, 200);
    assert!(
        res.body
            .contains("Blodtryk under 140/90 &#60;inden sommer&#62;")
    );
    assert_eq!(
        gp.get(&format!("/cockpit/patients/{patient}/plan.md?version=9"))
            .await
            .status,
        404
    );
    server.stop().await;
}

async fn aggregates_suppress_small_counts_and_read_clusters_from_the_database(db: &TestDb) {
    let ds = dataset();
    let server = TestServer::start_with(db.config(), Some(dataset())).await;
    let mut analyst = server.user("analyst").await;
    let mut suppressed = 0;
    for level in ["cluster", "kommune", "health_council", "region", "country"] {
        let res = analyst
            .get(&format!("/api/v1/cockpit/areas?level={level}"))
            .await;
        assert_eq!(res.status, 200, "{level}: {}", res.body);
        let areas = res.json()["areas"].as_array().cloned().expect("areas");
        assert!(!areas.is_empty(), "{level}");
        for a in &areas {
            assert!(a.get("patient_id").is_none());
            for l in a["lists"].as_array().expect("lists") {
                match l["count"].as_u64() {
                    Some(n) => assert!(n >= 5, "{level}: {l}"),
                    None => {
                        assert_eq!(l["suppressed"], true);
                        assert!(
                            l["prevalence"].is_null() && l["standardised_prevalence"].is_null()
                        );
                        suppressed += 1;
                    }
                }
            }
        }
        let page = analyst
            .get(&format!("/cockpit/areas?level={level}&list=adhd"))
            .await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("data-testid=\"areas\""));
    }
    assert!(suppressed > 0, "a small municipality has lists under 5");
    assert_eq!(
        analyst
            .get("/api/v1/cockpit/areas?level=clinic")
            .await
            .status,
        400
    );

    // The demo clusters group the municipality's clinics; an administrator makes another.
    let res = analyst.get("/api/v1/cockpit/areas?level=cluster").await;
    let names: Vec<String> = res.json()["areas"]
        .as_array()
        .expect("areas")
        .iter()
        .filter_map(|a| a["area_name"].as_str().map(String::from))
        .collect();
    assert!(names.iter().all(|n| n.starts_with("Klynge")), "{names:?}");
    let mut admin = server.user("admin").await;
    assert_eq!(admin.get("/cockpit/clusters").await.status, 200);
    let res = admin
        .post_form("/cockpit/clusters", &[("name", "Testklyngen")])
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let res = admin
        .post_form("/cockpit/clusters", &[("name", "Testklyngen")])
        .await;
    assert_eq!(res.status, 422, "a name is used once");
    let store = db_of(db).await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM clusters WHERE name = 'Testklyngen'")
        .fetch_one(store.pool())
        .await
        .expect("the cluster");
    let clinic = ds.clinics.id.get(other_clinic(&ds) as usize).to_string();
    let res = admin
        .post_form(
            "/cockpit/clusters/assign",
            &[("cluster_id", &id.to_string()), ("clinic_id", &clinic)],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let res = analyst.get("/api/v1/cockpit/areas?level=cluster").await;
    let areas = res.json()["areas"].as_array().cloned().expect("areas");
    let test = areas
        .iter()
        .find(|a| a["area_name"] == "Testklyngen")
        .expect("the new cluster is an area");
    assert_eq!(test["clinics"], 1);
    let log = latest_audit(&store, 1).await.expect("the log");
    assert_eq!(log[0].action, "cockpit.cluster.assign");

    // Linking a GP to a clinic gives them a picker of two.
    let res = admin
        .post_form(
            "/cockpit/users/link",
            &[("username", "gp"), ("clinic_id", &clinic), ("op", "link")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let mut gp = server.user("gp").await;
    let res = gp.get("/cockpit").await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("data-testid=\"own-clinics\""));
    assert_eq!(
        gp.get(&format!("/cockpit/clinics/{clinic}")).await.status,
        200
    );
    assert_eq!(
        gp.post_form("/cockpit/clusters", &[("name", "Mine")])
            .await
            .status,
        403
    );
    server.stop().await;
}
