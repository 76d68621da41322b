//! The out-of-hours service end to end, on SQLite and on PostgreSQL, against the real server:
//! call intake (idempotent, ordered, validated, durable), the visitator's desk (take, triage,
//! book, home visit, video), races between visitators for a call and for a slot, the board
//! and its event stream, roles, and a restart that loses nothing.

mod common;
mod vagt_support;

use almen_server::{Role, create_user, latest_audit};
use common::{TestDb, TestServer};

use serde_json::{Value, json};
use std::time::Duration;
use vagt_support::{BoardStream, Phone, User, at, entered, event};

on_both_backends!(
    the_intake_api_needs_a_valid_token,
    events_are_idempotent_ordered_and_validated,
    a_shift_from_call_to_booking_and_home_visit,
    two_visitators_racing_for_the_same_call_get_it_once,
    two_visitators_racing_for_the_queue_get_different_calls,
    two_visitators_racing_for_the_same_slot_book_it_once,
    concurrent_events_of_many_calls_are_all_applied,
    a_burst_of_good_bad_and_repeated_events_keeps_exactly_the_good_ones,
    a_restart_loses_nothing_and_the_board_comes_back_the_same,
    the_board_streams_changes_and_ends_at_shutdown,
    roles_see_what_their_work_needs,
    the_report_draws_the_targets_over_the_calls_of_the_period,
    the_visitator_pages_take_triage_and_book_through_forms,
);

async fn the_intake_api_needs_a_valid_token(db: &TestDb) {
    let server = vagt_support::start(db).await;
    let mut phone = Phone::new(&server);
    let ev = entered("t1", "+45 11 22 33 44", false, "Aarhus", 0);
    phone.token = String::new();
    let res =
        vagt_support::request(server.addr, "POST", "/api/v1/vagt/events", &[], Some(&ev)).await;
    assert_eq!(res.status, 401);
    assert_eq!(res.json()["rule"], "api_token_required");
    phone.token = "not-a-token".into();
    assert_eq!(phone.send(&ev).await.status, 401);
    // A logged-in user is not the phone system.
    let coordinator = User::demo(&server, Role::Coordinator).await;
    assert_eq!(
        coordinator.post("/api/v1/vagt/events", &ev).await.status,
        401
    );

    // A token made for the phone system works, and may not record outcomes.
    let (_, state) = almen_server::build_app(&db.config())
        .await
        .expect("the app");
    let token = almen_server::vagt::create_api_token(
        &state.db,
        "switchboard",
        almen_server::vagt::TokenScope::Phone,
    )
    .await
    .expect("a token");
    phone.token = token.clone();
    phone.ok(&ev).await;
    let auth = format!("Bearer {token}");
    let res = vagt_support::request(
        server.addr,
        "POST",
        "/api/v1/vagt/calls/t1/record",
        &[("authorization", &auth)],
        Some(&json!({ "outcome": "advice" })),
    )
    .await;
    assert_eq!(res.status, 403, "{}", res.body);
    // Only the token's hash is stored.
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM vagt_api_tokens")
        .fetch_all(state.db.pool())
        .await
        .expect("tokens");
    assert!(stored.iter().all(|h| h != &token && h.len() == 64));
    state.db.close().await;
    server.stop().await;
}

async fn events_are_idempotent_ordered_and_validated(db: &TestDb) {
    let server = vagt_support::start(db).await;
    let phone = Phone::new(&server);

    let first = entered("c1", "+45 20 30 40 50", false, "Aarhus", 120);
    let res = phone.send(&first).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let body = res.json();
    assert_eq!(body["state"], "queued");
    assert_eq!(body["duplicate"], false);

    // The same event again is harmless: 200, marked as a duplicate, nothing changes.
    let again = phone.send(&first).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["duplicate"], true);
    assert_eq!(again.json()["state"], "queued");

    // The same id for another event is refused.
    let mut other = first.clone();
    other["district"] = json!("Randers");
    let res = phone.send(&other).await;
    assert_eq!(res.status, 409);
    assert_eq!(res.json()["rule"], "event_id_reused");

    // An answer before the call entered is refused with the rule it broke.
    let res = phone.send(&event("nobody", "answered", 0)).await;
    assert_eq!(res.status, 409);
    let err = res.json();
    assert_eq!(err["rule"], "call_not_entered");
    assert!(
        err["error"]
            .as_str()
            .unwrap()
            .contains("must come after 'entered'"),
        "{err}"
    );
    assert!(err["error_da"].as_str().is_some());

    // Events come in time order per call.
    let res = phone.send(&event("c1", "answered", 600)).await;
    assert_eq!(res.status, 409);
    assert_eq!(res.json()["rule"], "out_of_order");

    // A call that was never answered cannot end; it is abandoned.
    let res = phone.send(&event("c1", "ended", 60)).await;
    assert_eq!(
        (res.status, res.json()["rule"].clone()),
        (409, json!("invalid_transition"))
    );

    // Malformed events are 422 and say which field.
    for (bad, field) in [
        (
            json!({ "event_id": "x", "call_id": "c1", "type": "rang", "at": at(0) }),
            "type",
        ),
        (
            json!({ "event_id": "x", "call_id": "c1", "type": "ended", "at": "now" }),
            "at",
        ),
        (
            json!({ "call_id": "c1", "type": "ended", "at": at(0) }),
            "event_id",
        ),
        (
            json!({ "event_id": "x", "call_id": "c1", "type": "ended", "at": at(0), "extra": 1 }),
            "extra",
        ),
    ] {
        let res = phone.send(&bad).await;
        assert_eq!(res.status, 422, "{bad}");
        let err = res.json();
        assert_eq!(err["rule"], "invalid_event");
        assert!(
            err["error"].as_str().unwrap().contains(field),
            "{field}: {err}"
        );
    }
    let auth = format!("Bearer {}", phone.token);
    let res = vagt_support::request(
        server.addr,
        "POST",
        "/api/v1/vagt/events",
        &[("authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(res.status, 422);

    // The whole life of a call.
    for kind in ["offered", "answered", "transferred", "answered"] {
        let mut ev = event("c1", kind, 30);
        ev["event_id"] = json!(format!("c1-{kind}-{}", rand_suffix()));
        if kind == "answered" {
            ev["visitator"] = json!("agent-7");
        }
        phone.ok(&ev).await;
    }
    let ended = phone.ok(&event("c1", "ended", 10)).await;
    assert_eq!(ended["state"], "ended");
    let res = phone.send(&event("c1", "abandoned", 0)).await;
    assert_eq!(
        (res.status, res.json()["rule"].clone()),
        (409, json!("call_closed"))
    );

    // An abandoned call.
    phone
        .enter("c2", "+45 20 30 40 51", true, "Viborg", 30)
        .await;
    assert_eq!(
        phone.ok(&event("c2", "abandoned", 0)).await["state"],
        "abandoned"
    );

    // Only the accepted events were stored, once each.
    let (_, state) = almen_server::build_app(&db.config())
        .await
        .expect("the app");
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM vagt_events")
        .fetch_one(state.db.pool())
        .await
        .expect("count");
    assert_eq!(n, 1 + 4 + 1 + 2);
    state.db.close().await;
    server.stop().await;
}

fn rand_suffix() -> u64 {
    use rand::Rng;
    rand::rng().random()
}

/// A free slot of the board's sites, from the API.
async fn free_slot(user: &User, site: &str) -> i64 {
    let res = user.get(&format!("/api/v1/vagt/slots?site={site}")).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let slots = res.json()["slots"].clone();
    slots[0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("a free slot at {site}: {slots}"))
}

async fn a_shift_from_call_to_booking_and_home_visit(db: &TestDb) {
    let server = vagt_support::start(db).await;
    let phone = Phone::new(&server);
    let visitator = User::demo(&server, Role::Visitator).await;
    let coordinator = User::demo(&server, Role::Coordinator).await;
    let driver = User::demo(&server, Role::Driver).await;

    // Earlier this shift the same number called and got advice.
    phone
        .enter("early", "+45 40 50 60 70", false, "Aarhus", 1200)
        .await;
    phone.ok(&event("early", "answered", 1100)).await;
    phone.ok(&event("early", "ended", 1000)).await;
    // Now: a normal call waiting longest, then an urgent one, then the repeat caller.
    phone
        .enter("n1", "+45 11 11 11 11", false, "Horsens", 300)
        .await;
    phone
        .enter("u1", "+45 22 22 22 22", true, "Randers", 60)
        .await;
    phone
        .enter("r1", "+45 40 50 60 70", false, "Aarhus", 30)
        .await;

    let board = coordinator.board().await;
    assert_eq!(board["queue"]["length"], 3);
    assert_eq!(board["queue"]["urgent"], 1);
    // Waits run on the service clock: the newest event's time (r1's entry, 30 s before
    // BASE) moved on by the wall time since.
    let longest = board["queue"]["longest_wait_s"].as_i64().unwrap();
    assert!((270..300).contains(&longest), "{longest}");
    // The board masks numbers.
    let text = board.to_string();
    assert!(
        !text.contains("11 11 11 11") && !text.contains("22222222"),
        "{text}"
    );
    assert_eq!(board["queue"]["calls"][0]["caller"], "••••••22");

    // Urgent first, then the longest waiting.
    let res = visitator.post("/api/v1/vagt/next", &json!({})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.json()["call"]["call_id"], "u1");
    let res = visitator.post("/api/v1/vagt/next", &json!({})).await;
    assert_eq!(res.json()["call"]["call_id"], "n1");
    let res = visitator.post("/api/v1/vagt/next", &json!({})).await;
    let taken = res.json();
    assert_eq!(taken["call"]["call_id"], "r1");
    assert_eq!(taken["call"]["caller_number"], "+45 40 50 60 70");
    assert_eq!(taken["call"]["state"], "answered");
    // The caller's earlier contact this shift.
    assert_eq!(taken["previous_contacts"][0]["call_id"], "early");
    let res = visitator.post("/api/v1/vagt/next", &json!({})).await;
    assert_eq!(res.json()["call"], Value::Null);

    // Triage: the problem, urgency, outcome and a note; the CPR identifies the patient.
    let res = visitator
        .post(
            "/api/v1/vagt/calls/r1/triage",
            &json!({
                "patient_cpr": "0101901234",
                "presenting_problem": "Feber og ondt i øret",
                "urgency": "urgent",
                "outcome": "consultation",
                "note": "Barn 4 år, feber 39,5 siden i går.",
            }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let res = visitator
        .post(
            "/api/v1/vagt/calls/r1/triage",
            &json!({ "presenting_problem": "x", "urgency": "soon", "outcome": "advice" }),
        )
        .await;
    assert_eq!(
        (res.status, res.json()["rule"].clone()),
        (422, json!("invalid_request"))
    );
    // Triage before taking the call is refused.
    phone
        .enter("w1", "+45 33 33 33 33", false, "Aarhus", 5)
        .await;
    let res = visitator
        .post(
            "/api/v1/vagt/calls/w1/triage",
            &json!({ "presenting_problem": "x", "urgency": "urgent", "outcome": "advice" }),
        )
        .await;
    assert_eq!(
        (res.status, res.json()["rule"].clone()),
        (409, json!("call_not_answered"))
    );

    // Book a consultation in Aarhus.
    let slot = free_slot(&visitator, "AAR").await;
    let res = visitator
        .post("/api/v1/vagt/calls/r1/booking", &json!({ "slot_id": slot }))
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.json()["booking"]["site"], "AAR");
    let res = visitator
        .post("/api/v1/vagt/calls/r1/booking", &json!({ "slot_id": slot }))
        .await;
    assert_eq!(
        (res.status, res.json()["rule"].clone()),
        (409, json!("call_already_booked"))
    );

    // A home visit for the urgent call, with a car; a video consultation for the other.
    let res = visitator
        .post(
            "/api/v1/vagt/calls/u1/home-visit",
            &json!({ "unit": "BIL1", "address": "Testvej 1, 8000 Aarhus C" }),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let visit_id = res.json()["home_visit_id"].as_i64().unwrap();
    let res = visitator
        .post("/api/v1/vagt/calls/n1/video", &json!({}))
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert!(res.json()["link"].as_str().unwrap().starts_with("https://"));
    let res = visitator
        .post("/api/v1/vagt/calls/n1/end", &json!({}))
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    // The phone system's own end of that call only confirms it.
    phone.ok(&event("n1", "ended", 0)).await;

    // The driver's dispatch list, and the visit moving forward (never back).
    let res = driver.get("/api/v1/vagt/visits?unit=BIL1").await;
    assert_eq!(res.status, 200, "{}", res.body);
    let visits = res.json()["visits"].clone();
    assert_eq!(visits.as_array().unwrap().len(), 1);
    assert_eq!(visits[0]["status"], "planned");
    assert_eq!(visits[0]["caller"], "••••••22");
    for status in ["on_the_way", "arrived"] {
        let res = driver
            .post(
                &format!("/api/v1/vagt/visits/{visit_id}/status"),
                &json!({ "status": status }),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
    }
    let res = driver
        .post(
            &format!("/api/v1/vagt/visits/{visit_id}/status"),
            &json!({ "status": "planned" }),
        )
        .await;
    assert_eq!(
        (res.status, res.json()["rule"].clone()),
        (409, json!("visit_status_backwards"))
    );

    // The board shows it all.
    let board = coordinator.board().await;
    assert_eq!(board["queue"]["length"], 1);
    assert_eq!(board["in_conversation"], 2);
    assert_eq!(board["home_visits"]["arrived"], 1);
    assert_eq!(board["visitators"]["on_duty"], 1);
    assert_eq!(board["visitators"]["busy"], 1);
    let aarhus = board["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "AAR")
        .expect("Aarhus");
    assert_eq!(aarhus["booked"], 1);
    assert!(aarhus["slots"].as_i64().unwrap() > 1);
    assert_eq!(board["kpi"]["calls"], 4);
    assert_eq!(
        board["kpi"]["home_visits"], 0,
        "the visit's call has not ended"
    );
    assert!(board["kpi"]["avg_wait_s"].as_f64().is_some());
    assert_eq!(board["kpi"]["targets"]["avg_wait_s"]["pass"], true);
    let districts: Vec<&str> = board["districts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["district"].as_str().unwrap())
        .collect();
    assert_eq!(districts, ["Aarhus", "Horsens", "Randers"]);

    // Opening the call and recording the triage were logged, naming the patient, with why.
    let (_, state) = almen_server::build_app(&db.config())
        .await
        .expect("the app");
    let log = latest_audit(&state.db, 100).await.expect("the audit log");
    let triage = log
        .iter()
        .find(|e| e.action == "vagt.triage.record")
        .expect("the triage is logged");
    assert_eq!(triage.patient_ref.as_deref(), Some("010190-1234"));
    assert!(triage.reason.is_some());
    assert!(
        !triage.detail.contains("feber"),
        "the note stays out of the log"
    );
    for action in [
        "vagt.call.take",
        "vagt.call.view",
        "vagt.booking.create",
        "vagt.home_visit.create",
        "vagt.video.create",
        "vagt.visits.view",
        "vagt.visit.status",
    ] {
        assert!(log.iter().any(|e| e.action == action), "{action} is logged");
    }
    state.db.close().await;
    server.stop().await;
}

/// A second visitator account.
async fn second_visitator(db: &TestDb, server: &TestServer) -> User {
    let (_, state) = almen_server::build_app(&db.config())
        .await
        .expect("the app");
    create_user(
        &state.db,
        "visitator2",
        "Birgit Vest",
        Role::Visitator,
        "almen-visitator-2",
    )
    .await
    .expect("a second visitator");
    state.db.close().await;
    User::login(server, "visitator2", "almen-visitator-2").await
}

async fn two_visitators_racing_for_the_same_call_get_it_once(db: &TestDb) {
    let server = vagt_support::start(db).await;
    let phone = Phone::new(&server);
    let a = User::demo(&server, Role::Visitator).await;
    let b = second_visitator(db, &server).await;
    for round in 0..8 {
        let id = format!("race{round}");
        phone
            .enter(&id, "+45 50 50 50 50", false, "Aarhus", 10)
            .await;
        let path = format!("/api/v1/vagt/calls/{id}/take");
        let empty = json!({});
        let (ra, rb) = tokio::join!(a.post(&path, &empty), b.post(&path, &empty));
        let mut statuses = [ra.status, rb.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [200, 409],
            "round {round}: {} / {}",
            ra.body,
            rb.body
        );
        let loser = if ra.status == 409 { &ra } else { &rb };
        assert_eq!(loser.json()["rule"], "call_taken");
    }
    server.stop().await;
}

async fn two_visitators_racing_for_the_queue_get_different_calls(db: &TestDb) {
    let server = vagt_support::start(db).await;
    let phone = Phone::new(&server);
    let a = User::demo(&server, Role::Visitator).await;
    let b = second_visitator(db, &server).await;
    let n = 12;
    for i in 0..n {
        phone
            .enter(
                &format!("q{i:02}"),
                "+45 60 60 60 60",
                i % 5 == 0,
                "Viborg",
                100 - i,
            )
            .await;
    }
    let take_all = |u: &User| {
        let addr = u.addr;
        let cookie = u.cookie.clone();
        async move {
            let u = User { addr, cookie };
            let mut got = Vec::new();
            loop {
                let res = u.post("/api/v1/vagt/next", &json!({})).await;
                assert_eq!(res.status, 200, "{}", res.body);
                match res.json()["call"]["call_id"].as_str() {
                    Some(id) => got.push(id.to_string()),
                    None => return got,
                }
            }
        }
    };
    let (ga, gb) = tokio::join!(tokio::spawn(take_all(&a)), tokio::spawn(take_all(&b)));
    let (ga, gb) = (ga.expect("a"), gb.expect("b"));
    let mut all: Vec<String> = ga.iter().chain(&gb).cloned().collect();
    all.sort();
    let before = all.len();
    all.dedup();
    assert_eq!(before, all.len(), "a call was taken twice: {ga:?} {gb:?}");
    assert_eq!(all.len(), n as usize);
    server.stop().await;
}

async fn two_visitators_racing_for_the_same_slot_book_it_once(db: &TestDb) {
    let server = vagt_support::start(db).await;
    let phone = Phone::new(&server);
    let a = User::demo(&server, Role::Visitator).await;
    let b = second_visitator(db, &server).await;
    for round in 0..6 {
        let (ca, cb) = (format!("sa{round}"), format!("sb{round}"));
        phone
            .enter(&ca, "+45 70 70 70 70", false, "Herning", 20)
            .await;
        phone
            .enter(&cb, "+45 71 71 71 71", false, "Herning", 20)
            .await;
        assert_eq!(
            a.post(&format!("/api/v1/vagt/calls/{ca}/take"), &json!({}))
                .await
                .status,
            200
        );
        assert_eq!(
            b.post(&format!("/api/v1/vagt/calls/{cb}/take"), &json!({}))
                .await
                .status,
            200
        );
        let slot = free_slot(&a, "GOD").await;
        let body = json!({ "slot_id": slot });
        let (pa, pb) = (
            format!("/api/v1/vagt/calls/{ca}/booking"),
            format!("/api/v1/vagt/calls/{cb}/booking"),
        );
        let (ra, rb) = tokio::join!(a.post(&pa, &body), b.post(&pb, &body));
        let mut statuses = [ra.status, rb.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [201, 409],
            "round {round}: {} / {}",
            ra.body,
            rb.body
        );
        let loser = if ra.status == 409 { &ra } else { &rb };
        assert_eq!(loser.json()["rule"], "slot_taken");
    }
    // Exactly one booking per slot, by construction.
    let (_, state) = almen_server::build_app(&db.config())
        .await
        .expect("the app");
    let doubles: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT slot_id FROM vagt_bookings GROUP BY slot_id HAVING COUNT(*) > 1) d",
    )
    .fetch_one(state.db.pool())
    .await
    .expect("count");
    assert_eq!(doubles, 0);
    state.db.close().await;
    server.stop().await;
}

/// Sends `n` calls' whole lives at once (their events in order per call, calls interleaved),
/// each event acknowledged before the next of its call.
async fn burst(phone: &Phone, prefix: &str, n: usize) {
    let mut tasks = Vec::new();
    for i in 0..n {
        let addr = phone.addr;
        let token = phone.token.clone();
        let id = format!("{prefix}{i:03}");
        tasks.push(tokio::spawn(async move {
            let phone = Phone { addr, token };
            phone
                .enter(&id, "+45 80 80 80 80", i % 7 == 0, "Silkeborg", 50)
                .await;
            if i % 4 == 0 {
                phone.ok(&event(&id, "abandoned", 40)).await;
            } else {
                phone.ok(&event(&id, "answered", 40)).await;
                phone.ok(&event(&id, "ended", 30)).await;
            }
        }));
    }
    for t in tasks {
        t.await.expect("an event task");
    }
}

async fn concurrent_events_of_many_calls_are_all_applied(db: &TestDb) {
    let server = vagt_support::start(db).await;
    let phone = Phone::new(&server);
    burst(&phone, "m", 40).await;
    let coordinator = User::demo(&server, Role::Coordinator).await;
    let board = coordinator.board().await;
    assert_eq!(board["queue"]["length"], 0);
    assert_eq!(board["kpi"]["calls"], 40);
    assert_eq!(board["kpi"]["abandoned"], 10);
    assert_eq!(board["in_conversation"], 0);
    server.stop().await;
}

async fn a_burst_of_good_bad_and_repeated_events_keeps_exactly_the_good_ones(db: &TestDb) {
    let server = vagt_support::start(db).await;
    let phone = Phone::new(&server);
    // On SQLite these land in shared transactions (group commit): a refused event must be undone
    // alone, and a repeat inside the same transaction must still be seen as a repeat.
    let mut tasks = Vec::new();
    for i in 0..60 {
        let addr = phone.addr;
        let token = phone.token.clone();
        tasks.push(tokio::spawn(async move {
            let phone = Phone { addr, token };
            let ev = match i % 3 {
                0 => entered(&format!("g{i}"), "+45 81 81 81 81", false, "Aarhus", 10),
                1 => event(&format!("nobody{i}"), "answered", 5),
                _ => entered(
                    &format!("g{}", i - 2),
                    "+45 81 81 81 81",
                    false,
                    "Aarhus",
                    10,
                ),
            };
            (i % 3, phone.send(&ev).await)
        }));
    }
    let (mut stored, mut refused, mut repeats) = (0, 0, 0);
    for t in tasks {
        let (kind, res) = t.await.expect("a task");
        match (kind, res.status) {
            (1, 409) => refused += 1,
            (0 | 2, 201) => stored += 1,
            (0 | 2, 200) => repeats += 1,
            other => panic!("unexpected {other:?}: {}", res.body),
        }
    }
    // Each good event was stored once, whichever of its two copies came first.
    assert_eq!((stored, repeats, refused), (20, 20, 20));
    let coordinator = User::demo(&server, Role::Coordinator).await;
    assert_eq!(coordinator.board().await["queue"]["length"], 20);
    let (_, state) = almen_server::build_app(&db.config())
        .await
        .expect("the app");
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM vagt_events")
        .fetch_one(state.db.pool())
        .await
        .expect("count");
    assert_eq!(n, 20);
    state.db.close().await;
    server.stop().await;
}

async fn a_restart_loses_nothing_and_the_board_comes_back_the_same(db: &TestDb) {
    let server = vagt_support::start(db).await;
    let phone = Phone::new(&server);
    // Acknowledged events of many calls, some left waiting, some with a visitator.
    burst(&phone, "p", 30).await;
    for i in 0..5 {
        phone
            .enter(
                &format!("wait{i}"),
                "+45 90 90 90 90",
                i == 2,
                "Randers",
                200 - i,
            )
            .await;
    }
    let visitator = User::demo(&server, Role::Visitator).await;
    let res = visitator.post("/api/v1/vagt/next", &json!({})).await;
    let taken = res.json()["call"]["call_id"]
        .as_str()
        .expect("a call")
        .to_string();
    assert_eq!(taken, "wait2", "the urgent one");
    let slot = free_slot(&visitator, "AAR").await;
    assert_eq!(
        visitator
            .post(
                &format!("/api/v1/vagt/calls/{taken}/booking"),
                &json!({ "slot_id": slot })
            )
            .await
            .status,
        201
    );
    let res = visitator.post("/api/v1/vagt/next", &json!({})).await;
    let second = res.json()["call"]["call_id"]
        .as_str()
        .expect("a call")
        .to_string();
    assert_eq!(
        visitator
            .post(
                &format!("/api/v1/vagt/calls/{second}/home-visit"),
                &json!({ "unit": "BIL2" })
            )
            .await
            .status,
        201
    );
    let kept = entered("kept", "+45 91 91 91 91", false, "Aarhus", 100);
    phone.ok(&kept).await;
    let coordinator = User::demo(&server, Role::Coordinator).await;
    let moment = at(0);
    let path = format!("/api/v1/vagt/board?at={moment}");
    let before = coordinator.get(&path).await.json();
    server.stop().await;

    // The same database, a new server.
    let server = TestServer::start(db.config()).await;
    let coordinator = User::demo(&server, Role::Coordinator).await;
    let after = coordinator.get(&path).await.json();
    assert_eq!(before, after);
    assert_eq!(after["queue"]["length"], 4);
    assert_eq!(after["kpi"]["calls"], 30 + 2);
    // The event log survived: an event sent again is a duplicate, not a new event.
    let phone = Phone::new(&server);
    let res = phone.send(&kept).await;
    assert_eq!(
        (res.status, res.json()["duplicate"].clone()),
        (200, json!(true)),
        "{}",
        res.body
    );
    let res = phone.send(&event("wait4", "abandoned", 0)).await;
    assert_eq!(res.status, 201, "{}", res.body);
    server.stop().await;
}

async fn the_board_streams_changes_and_ends_at_shutdown(db: &TestDb) {
    let server = vagt_support::start(db).await;
    let phone = Phone::new(&server);
    let coordinator = User::demo(&server, Role::Coordinator).await;
    let mut streams = Vec::new();
    for _ in 0..3 {
        streams.push(BoardStream::open(&coordinator).await);
    }
    for s in &mut streams {
        let first = s
            .next_board(Duration::from_secs(5))
            .await
            .expect("a first board");
        assert_eq!(first["queue"]["length"], 0);
    }
    let sent = std::time::Instant::now();
    phone
        .enter("live1", "+45 12 12 12 12", true, "Aarhus", 0)
        .await;
    for s in &mut streams {
        let b = s
            .until(Duration::from_secs(5), |b| b["queue"]["length"] == 1)
            .await;
        assert_eq!(b["queue"]["calls"][0]["call_id"], "live1");
    }
    assert!(
        sent.elapsed() < Duration::from_secs(1),
        "{:?}",
        sent.elapsed()
    );

    // The HTML of the update comes in the same stream (for the page), in the user's language.
    let raw = vagt_support::request(
        server.addr,
        "GET",
        "/vagt/board",
        &[("cookie", &coordinator.cookie)],
        None,
    )
    .await;
    assert_eq!(raw.status, 200);
    assert!(raw.body.contains("/vagt/board.js"));
    assert!(
        raw.body.contains("data-testid=\"board-queue-length\">1<"),
        "{}",
        raw.body
    );

    // Shutting down ends the open streams instead of waiting for them forever.
    tokio::time::timeout(Duration::from_secs(10), server.stop())
        .await
        .expect("the server stops with boards open");
}

async fn roles_see_what_their_work_needs(db: &TestDb) {
    let server = vagt_support::start(db).await;
    let phone = Phone::new(&server);
    phone
        .enter("role1", "+45 13 13 13 13", false, "Aarhus", 0)
        .await;
    let driver = User::demo(&server, Role::Driver).await;
    let analyst = User::demo(&server, Role::Analyst).await;
    let gp = User::demo(&server, Role::Gp).await;
    let visitator = User::demo(&server, Role::Visitator).await;
    let coordinator = User::demo(&server, Role::Coordinator).await;

    assert_eq!(
        driver.post("/api/v1/vagt/next", &json!({})).await.status,
        403
    );
    assert_eq!(driver.get("/api/v1/vagt/calls/role1").await.status, 403);
    assert_eq!(driver.get("/api/v1/vagt/board").await.status, 403);
    assert_eq!(driver.get("/api/v1/vagt/visits").await.status, 200);
    assert_eq!(analyst.get("/api/v1/vagt/board").await.status, 403);
    assert_eq!(analyst.get("/api/v1/vagt/calls/role1").await.status, 403);
    assert_eq!(analyst.get("/api/v1/vagt/report").await.status, 200);
    assert_eq!(visitator.get("/api/v1/vagt/report").await.status, 403);
    assert_eq!(
        coordinator
            .post("/api/v1/vagt/next", &json!({}))
            .await
            .status,
        403
    );
    assert_eq!(
        coordinator.get("/api/v1/vagt/calls/role1").await.status,
        200
    );
    assert_eq!(gp.get("/vagt/board").await.status, 403);
    assert_eq!(gp.get("/api/v1/vagt/board").await.status, 403);
    // Without a session the API answers 401, pages go to the login.
    let anon = vagt_support::request(server.addr, "GET", "/api/v1/vagt/board", &[], None).await;
    assert_eq!(anon.status, 401);

    // Each role's entry page.
    for (user, to) in [
        (&visitator, "/vagt/visitation"),
        (&coordinator, "/vagt/board"),
        (&driver, "/vagt/visits"),
        (&analyst, "/vagt/report"),
    ] {
        let res = user.get("/vagt").await;
        assert_eq!(res.status, 303);
        assert!(
            res.head.contains(&format!("location: {to}\r")),
            "{}",
            res.head
        );
    }
    server.stop().await;
}

async fn the_report_draws_the_targets_over_the_calls_of_the_period(db: &TestDb) {
    let server = vagt_support::start(db).await;
    let phone = Phone::new(&server);
    burst(&phone, "k", 12).await;
    let coordinator = User::demo(&server, Role::Coordinator).await;
    let res = coordinator.get("/api/v1/vagt/report").await;
    assert_eq!(res.status, 200, "{}", res.body);
    let report = res.json();
    assert_eq!(report["report"]["calls"], 12);
    assert_eq!(report["report"]["abandoned"], 3);
    assert_eq!(report["report"]["by"], "hour");
    assert_eq!(report["wait_histogram"][0]["calls"], 9);
    assert_eq!(report["report"]["targets"]["within_15_min"]["target"], 0.7);

    let page = coordinator.get("/vagt/report").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("data-testid=\"wait-histogram\""));
    assert!(page.body.contains("data-testid=\"service-by-hour\""));
    assert!(page.body.contains("mål ≤ 12"));
    let bad = coordinator.get("/vagt/report?from=2025-13-01").await;
    assert_eq!(bad.status, 422);
    let none = coordinator
        .get("/api/v1/vagt/report?from=2001-01-01&to=2001-01-02")
        .await;
    assert_eq!(none.json()["report"]["calls"], 0);
    server.stop().await;
}

async fn the_visitator_pages_take_triage_and_book_through_forms(db: &TestDb) {
    let server = vagt_support::start(db).await;
    let phone = Phone::new(&server);
    phone
        .enter("f1", "+45 14 14 14 14", false, "Aarhus", 60)
        .await;
    let visitator = User::demo(&server, Role::Visitator).await;
    let page = visitator.get("/vagt/visitation").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("••••••14"));
    assert!(
        !page.body.contains("14 14 14 14"),
        "the queue masks numbers"
    );

    let res = visitator.post_form("/vagt/visitation/take", "").await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(
        res.body.contains("location: /vagt/calls/f1"),
        "{}",
        res.body
    );
    let call = visitator.get("/vagt/calls/f1").await;
    assert_eq!(call.status, 200);
    assert!(
        call.body.contains("+45 14 14 14 14"),
        "the visitator sees the number"
    );

    let res = visitator
        .post_form(
            "/vagt/calls/f1/triage",
            "patient_cpr=&presenting_problem=Hoste&urgency=non_urgent&outcome=consultation&note=",
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let slot = free_slot(&visitator, "AAR").await;
    let res = visitator
        .post_form("/vagt/calls/f1/book", &format!("slot_id={slot}"))
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let call = visitator.get("/vagt/calls/f1").await;
    assert!(
        call.body.contains("data-testid=\"booking\""),
        "{}",
        call.body
    );

    // Booking a taken slot shows the call again with the reason.
    phone
        .enter("f2", "+45 15 15 15 15", false, "Aarhus", 30)
        .await;
    assert_eq!(
        visitator.post_form("/vagt/calls/f2/take", "").await.status,
        303
    );
    let res = visitator
        .post_form("/vagt/calls/f2/book", &format!("slot_id={slot}"))
        .await;
    assert_eq!(res.status, 409);
    assert!(res.body.contains("er booket af en anden"), "{}", res.body);
    server.stop().await;
}
