//! The capacity model on the web, on SQLite and on PostgreSQL, against the real server with a
//! small synthetic dataset (one municipality, two clinics): the pages for each role, the JSON
//! twin against the library, the hearing round trip (comment → answer → final number) across a
//! restart with its audit rows, and who may comment, answer and decide.

mod common;

use almen_capacity::{Level, Limits, WeightTable};
use almen_dataset::Dataset;
use almen_server::{Db, latest_audit};
use common::{Client, TestDb, TestServer};
use sqlx::Row;
use std::sync::Arc;

on_both_backends!(
    pages_render_for_the_right_roles,
    the_hearing_round_trip_survives_a_restart,
    only_the_clinic_comments_and_only_an_analyst_decides,
);

/// Fanø, the kommune of the test dataset.
const KOMMUNE: u16 = 563;

/// Synthetic Fanø: two clinics.
fn dataset() -> Arc<Dataset> {
    common::fano_dataset()
}

/// The clinic the demo GP is linked to: the one with the most listed patients.
fn gp_clinic(ds: &Dataset) -> String {
    let row = (0..ds.clinics.len() as u32)
        .max_by(|&a, &b| {
            let n = |c| ds.index.patients_by_clinic.rows_of(c).len();
            n(a).cmp(&n(b)).then(b.cmp(&a))
        })
        .expect("clinics");
    ds.clinics.id.get(row as usize).to_string()
}

fn other_clinic(ds: &Dataset) -> String {
    let own = gp_clinic(ds);
    (0..ds.clinics.len())
        .map(|c| ds.clinics.id.get(c).to_string())
        .find(|c| *c != own)
        .expect("a second clinic")
}

fn location(res: &common::Resp) -> &str {
    res.header("location")
        .unwrap_or_else(|| panic!("a redirect: {res:?}"))
}

async fn db_of(db: &TestDb) -> Db {
    Db::connect(&db.url).await.expect("the database")
}

async fn count(db: &Db, table: &str) -> i64 {
    sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(db.pool())
        .await
        .expect("a count")
        .try_get(0)
        .expect("a number")
}

async fn pages_render_for_the_right_roles(db: &TestDb) {
    let ds = dataset();
    let server = TestServer::start_with(db.config(), Some(dataset())).await;
    let own = gp_clinic(&ds);

    for user in ["gp", "analyst", "admin"] {
        let mut c = server.user(user).await;
        let res = c.get("/capacity").await;
        assert_eq!(res.status, 200, "{user}: {}", res.body);
        assert!(res.body.contains("data-testid=\"gap-chart\""), "{user}");
        assert!(res.body.contains("data-testid=\"reference-r\""));
        assert!(
            res.body.contains("estimeret på syntetiske data"),
            "the default weight table is labelled as fitted on synthetic data"
        );
        assert!(res.body.contains("Fanø"));
        let res = c.get("/capacity?level=sundhedsraad&region=syd").await;
        assert_eq!(res.status, 200);
        assert!(res.body.contains("Sundhedsråd"));
        // Fanø is in Region Syddanmark: nothing in Region Nordjylland.
        let res = c.get("/capacity?region=nord").await;
        assert!(res.body.contains("data-testid=\"no-areas\""));
        assert_eq!(c.get("/capacity?level=region").await.status, 400);

        let res = c.get(&format!("/capacity/areas/kommune/{KOMMUNE}")).await;
        assert_eq!(res.status, 200, "{}", res.body);
        assert!(res.body.contains("data-testid=\"area-clinics\""));
        assert_eq!(
            res.body.matches("data-testid=\"clinic-row\"").count(),
            ds.clinics.len()
        );
        assert_eq!(c.get("/capacity/areas/kommune/999").await.status, 404);

        let res = c.get(&format!("/capacity/clinics/{own}")).await;
        assert_eq!(res.status, 200, "{}", res.body);
        assert!(res.body.contains("data-testid=\"steps\""));
        assert!(res.body.contains("data-testid=\"plo-comparison\""));
        assert_eq!(
            res.body.contains("data-testid=\"comment-form\""),
            user != "analyst",
            "{user}: the clinic's GP and an administrator may comment"
        );
        assert_eq!(
            res.body.contains("data-testid=\"final-form\""),
            user == "analyst",
            "{user}: only an analyst decides"
        );
        assert_eq!(c.get("/capacity/clinics/no-such-clinic").await.status, 404);
    }

    // Roles outside the module are refused.
    let mut coordinator = server.user("coordinator").await;
    assert_eq!(coordinator.get("/capacity").await.status, 403);
    assert_eq!(coordinator.get("/api/v1/capacity/model").await.status, 403);
    // Without a session: to the login page, and 401 for the API.
    let mut anonymous = Client::tcp(server.addr);
    assert_eq!(anonymous.get("/capacity").await.status, 303);
    assert_eq!(anonymous.get("/api/v1/capacity/model").await.status, 401);

    // The JSON twin has the CLI's stable shape and the library's numbers.
    let mut analyst = server.user("analyst").await;
    let res = analyst.get("/api/v1/capacity/model").await;
    assert_eq!(res.status, 200, "{}", res.body);
    let json = res.json();
    let date = ds.last_date().expect("a date");
    let model = almen_capacity::run(
        &ds,
        &almen_cockpit::ListSet::shipped(),
        &WeightTable::default_table(),
        date,
        Level::Kommune,
        &Limits::default(),
    )
    .expect("the model");
    let r = json["reference_per_capacity"].as_f64().expect("R");
    assert!((r - model.reference_per_capacity).abs() < 1e-9);
    assert_eq!(json["level"], "kommune");
    let areas = json["areas"].as_array().expect("areas");
    assert_eq!(areas.len(), model.areas.len());
    for key in [
        "code",
        "name",
        "citizens",
        "weighted_citizens",
        "capacities",
        "average_per_capacity",
    ] {
        assert!(areas[0].get(key).is_some(), "areas[].{key}");
    }
    let clinics = json["clinics"].as_array().expect("clinics");
    assert_eq!(clinics.len(), ds.clinics.len());
    for (j, c) in clinics.iter().zip(&model.clinics) {
        assert_eq!(j["clinic_id"], c.clinic_id.as_str());
        for key in ["capacities", "listed", "mean_weight", "minimum_patients"] {
            assert!(j.get(key).is_some(), "clinics[].{key}");
        }
        let m = j["minimum_patients"].as_f64().expect("a minimum");
        assert!((m - c.minimum_patients).abs() < 1e-9);
    }
    let res = analyst
        .get("/api/v1/capacity/model?level=sundhedsraad")
        .await;
    assert_eq!(res.json()["level"], "sundhedsraad");

    // The clinic page shows the computed number, rounded to whole patients.
    let c = model
        .clinics
        .iter()
        .find(|c| c.clinic_id == own)
        .expect("the GP's clinic");
    let res = analyst.get(&format!("/capacity/clinics/{own}")).await;
    let whole = format!("{}", c.minimum_patients.round() as i64);
    let shown = res
        .body
        .split("data-testid=\"computed-number\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the computed number");
    assert_eq!(shown.replace('.', ""), whole);
    server.stop().await;
}

async fn the_hearing_round_trip_survives_a_restart(db: &TestDb) {
    let ds = dataset();
    let own = gp_clinic(&ds);
    let server = TestServer::start_with(db.config(), Some(dataset())).await;

    // The GP comments on the clinic's number.
    let mut gp = server.user("gp").await;
    let res = gp
        .post_form(
            &format!("/capacity/clinics/{own}/comments"),
            &[(
                "comment",
                "Vi har mange ældre patienter fra plejehjemmet; tallet er for højt.",
            )],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(location(&res).starts_with(&format!("/capacity/clinics/{own}?done=comment")));
    let res = gp.get(&format!("/capacity/clinics/{own}")).await;
    assert!(res.body.contains("plejehjemmet"));
    assert!(res.body.contains("data-testid=\"no-final\""));

    // The analyst finds it open, answers it from the hearing's page.
    let mut analyst = server.user("analyst").await;
    let res = analyst.get("/capacity/hearing").await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("plejehjemmet"));
    assert!(res.body.contains("data-testid=\"open-count\">1<"));
    let json = analyst.get("/api/v1/capacity/hearing").await.json();
    assert_eq!(json["open"], 1);
    let comment_id = json["comments"][0]["id"].as_i64().expect("an id");
    assert_eq!(json["comments"][0]["clinic_id"], own.as_str());
    assert!(json["comments"][0]["computed_minimum"].as_f64().is_some());
    let res = analyst
        .post_form(
            &format!("/capacity/clinics/{own}/answers"),
            &[
                ("comment_id", &comment_id.to_string()),
                (
                    "answer",
                    "Vægtene tager højde for alder; vi sætter tallet lidt ned.",
                ),
                ("back", "hearing"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(location(&res), "/capacity/hearing?done=answer");
    let res = analyst.get("/capacity/hearing").await;
    assert!(res.body.contains("data-testid=\"no-open\""));

    // … and fixes the final number, twice: the second is a new version.
    for (n, reason) in [
        ("1450", "Aftalt med lægen."),
        ("1400", "Rettet efter møde."),
    ] {
        let res = analyst
            .post_form(
                &format!("/capacity/clinics/{own}/final"),
                &[("final_minimum", n), ("reason", reason)],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.body);
    }

    // Every step is in the audit log.
    let store = db_of(db).await;
    let log = latest_audit(&store, 20).await.expect("the log");
    let actions: Vec<(&str, &str)> = log
        .iter()
        .map(|e| (e.action.as_str(), e.username.as_str()))
        .collect();
    assert!(actions.contains(&("capacity.hearing.comment", "gp")));
    assert!(actions.contains(&("capacity.hearing.answer", "analyst")));
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == ("capacity.final.decide", "analyst"))
            .count(),
        2
    );
    let decide = log
        .iter()
        .find(|e| e.action == "capacity.final.decide")
        .expect("a decision");
    assert!(decide.detail.contains(&own) && decide.detail.contains("1400"));
    // The rows cannot be changed.
    assert!(
        sqlx::query("UPDATE capacity_final_numbers SET final_minimum = 1")
            .execute(store.pool())
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM capacity_hearing_comments")
            .execute(store.pool())
            .await
            .is_err()
    );
    store.close().await;
    server.stop().await;

    // After a restart everything is still there.
    let server = TestServer::start_with(db.config(), Some(dataset())).await;
    let mut gp = server.user("gp").await;
    let res = gp.get(&format!("/capacity/clinics/{own}")).await;
    assert_eq!(res.status, 200);
    assert!(
        res.body.contains("data-testid=\"final-number\">1.400<"),
        "{}",
        res.body
    );
    assert!(res.body.contains("plejehjemmet"));
    assert!(res.body.contains("sætter tallet lidt ned"));
    assert_eq!(
        res.body.matches("<tr><td class=\"num\">").count(),
        2,
        "two versions"
    );
    let json = gp.get("/api/v1/capacity/hearing").await.json();
    assert_eq!(json["open"], 0);
    assert_eq!(
        json["comments"][0]["answers"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(json["final_numbers"][0]["final_minimum"], 1400);
    assert_eq!(json["final_numbers"][0]["version"], 2);
    // The area page shows the final number beside the computed one.
    let res = gp.get(&format!("/capacity/areas/kommune/{KOMMUNE}")).await;
    assert!(res.body.contains(">1.400<"));
    server.stop().await;
}

async fn only_the_clinic_comments_and_only_an_analyst_decides(db: &TestDb) {
    let ds = dataset();
    let own = gp_clinic(&ds);
    let other = other_clinic(&ds);
    let server = TestServer::start_with(db.config(), Some(dataset())).await;
    let comment = [("comment", "En kommentar.")];
    let fin = [("final_minimum", "1500"), ("reason", "Fordi.")];

    let mut gp = server.user("gp").await;
    // Not for another clinic, and no answers or decisions.
    let res = gp
        .post_form(&format!("/capacity/clinics/{other}/comments"), &comment)
        .await;
    assert_eq!(res.status, 403);
    let res = gp.get(&format!("/capacity/clinics/{other}")).await;
    assert!(!res.body.contains("data-testid=\"comment-form\""));
    assert!(res.body.contains("data-testid=\"not-your-clinic\""));
    assert_eq!(
        gp.post_form(&format!("/capacity/clinics/{own}/final"), &fin)
            .await
            .status,
        403
    );
    assert_eq!(gp.get("/capacity/hearing").await.status, 403);
    // A GP sees only their own clinics in the hearing's JSON.
    let mut admin = server.user("admin").await;
    let res = admin
        .post_form(&format!("/capacity/clinics/{other}/comments"), &comment)
        .await;
    assert_eq!(
        res.status, 303,
        "an administrator may comment for any clinic"
    );
    let json = gp.get("/api/v1/capacity/hearing").await.json();
    assert_eq!(json["comments"].as_array().map(Vec::len), Some(0));
    let res = gp
        .post_form(
            &format!("/capacity/clinics/{other}/answers"),
            &[("comment_id", "1"), ("answer", "Nej.")],
        )
        .await;
    assert_eq!(res.status, 403);
    // An administrator does not decide; an analyst does not comment.
    assert_eq!(
        admin
            .post_form(&format!("/capacity/clinics/{other}/final"), &fin)
            .await
            .status,
        403
    );
    let mut analyst = server.user("analyst").await;
    assert_eq!(
        analyst
            .post_form(&format!("/capacity/clinics/{own}/comments"), &comment)
            .await
            .status,
        403
    );
    // Bad input is refused with a message, unknown clinics and comments too.
    for (fields, why) in [
        (
            vec![("final_minimum", "abc"), ("reason", "x")],
            "not a number",
        ),
        (vec![("final_minimum", "-5"), ("reason", "x")], "negative"),
        (
            vec![("final_minimum", "1500"), ("reason", " ")],
            "no reason",
        ),
    ] {
        let res = analyst
            .post_form(&format!("/capacity/clinics/{own}/final"), &fields)
            .await;
        assert_eq!(res.status, 400, "{why}");
    }
    assert_eq!(
        gp.post_form(
            &format!("/capacity/clinics/{own}/comments"),
            &[("comment", "  ")]
        )
        .await
        .status,
        400
    );
    let long = "x".repeat(4001);
    assert_eq!(
        gp.post_form(
            &format!("/capacity/clinics/{own}/comments"),
            &[("comment", &long)]
        )
        .await
        .status,
        400
    );
    assert_eq!(
        analyst
            .post_form("/capacity/clinics/no-such/final", &fin)
            .await
            .status,
        404
    );
    // The administrator's comment is on `other`: not a comment of `own`.
    let res = analyst
        .post_form(
            &format!("/capacity/clinics/{own}/answers"),
            &[("comment_id", "1"), ("answer", "Svar.")],
        )
        .await;
    assert_eq!(res.status, 400);

    let store = db_of(db).await;
    assert_eq!(count(&store, "capacity_hearing_comments").await, 1);
    assert_eq!(count(&store, "capacity_hearing_answers").await, 0);
    assert_eq!(count(&store, "capacity_final_numbers").await, 0);
    store.close().await;
    server.stop().await;
}
