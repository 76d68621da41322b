//! The server end to end, on SQLite and on PostgreSQL: each body below runs on both backends
//! (see `on_both_backends!`), against a fresh database.
//!
//! Most tests talk HTTP over TCP to the real server (`serve_until` on 127.0.0.1:0); a few call
//! the router directly where a socket adds nothing.

mod common;

use almen_server::{
    AppState, AuditEntry, DEMO_USERS, Error, Role, app_with, audit, audit_view, build_app,
    create_user, latest_audit,
};
use common::{Client, TestDb, TestServer};
use std::sync::Arc;

on_both_backends!(
    healthz_reports_ok_and_the_backend,
    a_wrong_password_is_refused,
    an_unknown_user_is_refused_like_a_wrong_password,
    a_demo_user_logs_in_and_the_start_page_greets_them,
    pages_without_a_session_redirect_to_login_and_the_api_answers_401,
    logging_out_ends_the_session,
    the_audit_log_refuses_update_and_delete,
    an_audit_entry_in_a_rolled_back_transaction_is_not_kept,
    an_audit_entry_about_a_patient_must_say_why,
    a_restart_keeps_users_and_the_audit_log,
    only_administrators_see_the_audit_log_and_patient_refs_are_masked,
    the_language_switch_sets_a_cookie_that_pages_follow,
    the_navigation_lists_only_the_modules_of_the_role,
    a_cross_site_login_post_is_refused,
    unknown_pages_are_404_pages,
    the_start_page_describes_a_loaded_dataset,
    an_internal_error_shows_an_error_id_and_no_detail,
    a_login_form_without_fields_is_a_bad_request,
);

fn demo(role: Role) -> (&'static str, &'static str) {
    let (username, password, _) = DEMO_USERS
        .iter()
        .find(|u| u.2 == role)
        .expect("a demo user per role");
    (username, password)
}

async fn healthz_reports_ok_and_the_backend(db: &TestDb) {
    let server = TestServer::start(db.config()).await;
    let res = server.client().get("/healthz").await;
    assert_eq!(res.status, 200);
    let expected = match db.backend {
        common::Backend::Sqlite => "sqlite",
        common::Backend::Postgres => "postgres",
    };
    assert_eq!(
        res.json(),
        serde_json::json!({ "status": "ok", "database": expected })
    );
    server.stop().await;
}

async fn a_wrong_password_is_refused(db: &TestDb) {
    let server = TestServer::start(db.config()).await;
    let mut client = server.client();
    let (username, _) = demo(Role::Gp);
    let res = client
        .post_form(
            "/login",
            &[("username", username), ("password", "not-the-password")],
        )
        .await;
    assert_eq!(res.status, 401);
    assert!(res.body.contains("Forkert brugernavn eller adgangskode"));
    assert!(
        res.set_cookies()
            .iter()
            .all(|c| !c.starts_with("almen_session"))
    );
    // The user stays logged out.
    assert_eq!(client.get("/").await.status, 303);
    server.stop().await;
}

async fn an_unknown_user_is_refused_like_a_wrong_password(db: &TestDb) {
    let server = TestServer::start(db.config()).await;
    let res = server
        .client()
        .post_form(
            "/login",
            &[("username", "nobody"), ("password", "whatever1")],
        )
        .await;
    assert_eq!(res.status, 401);
    assert!(res.body.contains("Forkert brugernavn eller adgangskode"));
    server.stop().await;
}

async fn a_demo_user_logs_in_and_the_start_page_greets_them(db: &TestDb) {
    let server = TestServer::start(db.config()).await;
    let mut client = server.client();
    let (username, password) = demo(Role::Gp);
    let res = client.login(username, password).await;
    assert_eq!(res.header("location"), Some("/"));
    let cookie = res
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("almen_session="))
        .expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    // The token is 32 random bytes in hex, and only its hash is stored.
    let token = client.cookies["almen_session"].clone();
    assert_eq!(token.len(), 64);

    let start = client.get("/").await;
    assert_eq!(start.status, 200);
    assert!(start.body.contains("Goddag, Karen Holm"), "{}", start.body);
    assert!(start.body.contains("Praktiserende læge"));
    assert!(start.body.contains("Intet datasæt indlæst"));
    assert_eq!(start.header("cache-control"), Some("no-store"));

    let me = client.get("/api/v1/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["role"], "gp");

    // The login is in the audit log, and the database holds a hash of the token, not the token.
    let (_, state) = build_app(&db.config()).await.expect("the app");
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_all(state.db.pool())
        .await
        .expect("the sessions");
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);
    let log = latest_audit(&state.db, 10).await.expect("the audit log");
    assert!(
        log.iter()
            .any(|e| e.action == "login" && e.username == "gp")
    );
    state.db.close().await;
    server.stop().await;
}

async fn pages_without_a_session_redirect_to_login_and_the_api_answers_401(db: &TestDb) {
    let server = TestServer::start(db.config()).await;
    let mut client = server.client();
    let res = client.get("/").await;
    assert_eq!(res.status, 303);
    assert_eq!(res.header("location"), Some("/login?next=/"));
    let res = client.get("/audit?x=1").await;
    assert_eq!(res.header("location"), Some("/login?next=/audit%3Fx%3D1"));

    // A made-up session token is no session.
    client
        .cookies
        .insert("almen_session".into(), "00".repeat(32));
    assert_eq!(client.get("/").await.status, 303);

    let api = client.get("/api/v1/me").await;
    assert_eq!(api.status, 401);
    assert_eq!(api.json()["error"], "Du er ikke logget ind.");

    // After logging in, the login page sends the user on.
    let mut client = server.client();
    let (username, password) = demo(Role::Gp);
    client.login(username, password).await;
    let res = client.get("/login?next=/audit").await;
    assert_eq!((res.status, res.header("location")), (303, Some("/audit")));
    server.stop().await;
}

async fn logging_out_ends_the_session(db: &TestDb) {
    let server = TestServer::start(db.config()).await;
    let mut client = server.client();
    let (username, password) = demo(Role::Coordinator);
    client.login(username, password).await;
    let old_cookies = client.cookies.clone();
    let res = client.post_form("/logout", &[]).await;
    assert_eq!((res.status, res.header("location")), (303, Some("/login")));
    assert!(client.cookies.is_empty());
    // The old token no longer works, even if someone kept it.
    client.cookies = old_cookies;
    assert_eq!(client.get("/").await.status, 303);
    server.stop().await;
}

async fn the_audit_log_refuses_update_and_delete(db: &TestDb) {
    let (_, state) = build_app(&db.config()).await.expect("the app");
    let id = audit_view(&state.db, AuditEntry::system("test.entry"))
        .await
        .expect("an audit row");
    let update = sqlx::query("UPDATE audit_log SET action = 'rewritten' WHERE id = $1")
        .bind(id)
        .execute(state.db.pool())
        .await;
    let err = update.expect_err("UPDATE must be refused").to_string();
    assert!(err.contains("append-only"), "{err}");
    let delete = sqlx::query("DELETE FROM audit_log")
        .execute(state.db.pool())
        .await;
    let err = delete.expect_err("DELETE must be refused").to_string();
    assert!(err.contains("append-only"), "{err}");
    let log = latest_audit(&state.db, 10).await.expect("the audit log");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].action, "test.entry");
    state.db.close().await;
}

async fn an_audit_entry_in_a_rolled_back_transaction_is_not_kept(db: &TestDb) {
    let (_, state) = build_app(&db.config()).await.expect("the app");
    let mut tx = state.db.begin().await.expect("a transaction");
    audit(&mut tx, AuditEntry::system("rolled.back"))
        .await
        .expect("an audit row");
    tx.rollback().await.expect("rollback");
    // A transaction dropped without commit rolls back too.
    {
        let mut tx = state.db.begin().await.expect("a transaction");
        audit(&mut tx, AuditEntry::system("dropped"))
            .await
            .expect("an audit row");
    }
    let mut tx = state.db.begin().await.expect("a transaction");
    audit(&mut tx, AuditEntry::system("committed"))
        .await
        .expect("an audit row");
    tx.commit().await.expect("commit");
    let actions: Vec<String> = latest_audit(&state.db, 10)
        .await
        .expect("the audit log")
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["committed"]);
    state.db.close().await;
}

async fn an_audit_entry_about_a_patient_must_say_why(db: &TestDb) {
    let (_, state) = build_app(&db.config()).await.expect("the app");
    let res = audit_view(&state.db, AuditEntry::system("look").patient("0101901234")).await;
    assert!(
        matches!(
            res,
            Err(Error::Invalid {
                field: "reason",
                ..
            })
        ),
        "{res:?}"
    );
    let ok = audit_view(
        &state.db,
        AuditEntry::system("look")
            .patient("0101901234")
            .reason("test"),
    )
    .await;
    assert!(ok.is_ok(), "{ok:?}");
    state.db.close().await;
}

async fn a_restart_keeps_users_and_the_audit_log(db: &TestDb) {
    let (_, state) = build_app(&db.config()).await.expect("the app");
    create_user(
        &state.db,
        "bodil",
        "Bodil Bach",
        Role::Visitator,
        "a long password",
    )
    .await
    .expect("a user");
    audit_view(&state.db, AuditEntry::system("before.restart"))
        .await
        .expect("an audit row");
    state.db.close().await;
    drop(state);

    // Build again on the same database: migrations and demo users run again, harmlessly.
    let (router, state) = build_app(&db.config()).await.expect("the app again");
    let again = create_user(
        &state.db,
        "bodil",
        "Bodil Bach",
        Role::Gp,
        "another password",
    )
    .await;
    assert!(
        matches!(again, Err(Error::UsernameTaken(ref u)) if u == "bodil"),
        "{again:?}"
    );
    let log = latest_audit(&state.db, 10).await.expect("the audit log");
    assert!(log.iter().any(|e| e.action == "before.restart"));
    let mut client = Client::router(router);
    client.login("bodil", "a long password").await;
    assert!(client.get("/").await.body.contains("Bodil Bach"));
    state.db.close().await;
}

async fn only_administrators_see_the_audit_log_and_patient_refs_are_masked(db: &TestDb) {
    let (router, state) = build_app(&db.config()).await.expect("the app");
    audit_view(
        &state.db,
        AuditEntry::system("cockpit.patient.view")
            .patient("0101901234")
            .reason("own patient"),
    )
    .await
    .expect("an audit row");

    let mut gp = Client::router(router.clone());
    let (username, password) = demo(Role::Gp);
    gp.login(username, password).await;
    let res = gp.get("/audit").await;
    assert_eq!(res.status, 403);
    assert!(res.body.contains("Din rolle giver ikke adgang"));

    let mut admin = Client::router(router);
    let (username, password) = demo(Role::Admin);
    admin.login(username, password).await;
    let res = admin.get("/audit").await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("cockpit.patient.view"));
    assert!(res.body.contains("010190-XXXX"), "{}", res.body);
    assert!(!res.body.contains("0101901234"));
    // Looking at the log is logged.
    let log = latest_audit(&state.db, 1).await.expect("the audit log");
    assert_eq!(
        (log[0].action.as_str(), log[0].username.as_str()),
        ("audit.view", "admin")
    );
    state.db.close().await;
}

async fn the_language_switch_sets_a_cookie_that_pages_follow(db: &TestDb) {
    let server = TestServer::start(db.config()).await;
    let mut client = server.client();
    assert!(client.get("/login").await.body.contains("Adgangskode"));
    let res = client.get("/lang/en?next=/login").await;
    assert_eq!((res.status, res.header("location")), (303, Some("/login")));
    assert_eq!(client.cookies.get("lang").map(String::as_str), Some("en"));
    let page = client.get("/login").await;
    assert!(page.body.contains("Password"));
    assert!(page.body.contains(r#"<html lang="en">"#));
    // A redirect off the site is not followed.
    let res = client.get("/lang/da?next=//evil.example").await;
    assert_eq!(res.header("location"), Some("/"));
    assert_eq!(client.get("/lang/xx").await.status, 404);
    server.stop().await;
}

async fn the_navigation_lists_only_the_modules_of_the_role(db: &TestDb) {
    let (router, state) = build_app(&db.config()).await.expect("the app");
    let mut admin = Client::router(router.clone());
    let (username, password) = demo(Role::Admin);
    admin.login(username, password).await;
    assert!(admin.get("/").await.body.contains(r#"href="/audit""#));
    let mut analyst = Client::router(router);
    let (username, password) = demo(Role::Analyst);
    analyst.login(username, password).await;
    let page = analyst.get("/").await;
    assert!(!page.body.contains(r#"href="/audit""#));
    assert!(page.body.contains("Analytiker"));
    state.db.close().await;
}

async fn a_cross_site_login_post_is_refused(db: &TestDb) {
    let server = TestServer::start(db.config()).await;
    let mut client = server.client();
    let (username, password) = demo(Role::Gp);
    let body = format!("username={username}&password={password}");
    let res = client
        .send(
            "POST",
            "/login",
            Some(body.clone()),
            &[("origin", "http://evil.example")],
        )
        .await;
    assert_eq!(res.status, 403);
    assert!(client.cookies.is_empty());
    let own_origin = format!("http://{}", server.addr);
    let res = client
        .send("POST", "/login", Some(body), &[("origin", &own_origin)])
        .await;
    assert_eq!(res.status, 303);
    server.stop().await;
}

async fn unknown_pages_are_404_pages(db: &TestDb) {
    let server = TestServer::start(db.config()).await;
    let res = server.client().get("/no/such/page").await;
    assert_eq!(res.status, 404);
    assert!(res.body.contains("Siden findes ikke"));
    assert_eq!(res.header("x-frame-options"), Some("DENY"));
    server.stop().await;
}

async fn the_start_page_describes_a_loaded_dataset(db: &TestDb) {
    // A real dataset folder, as `almen serve --data-dir` reads it: every table, no rows.
    let data = tempfile::tempdir().expect("a temporary folder");
    let mut writer = almen_dataset::DatasetWriter::create(data.path(), almen_dataset::Format::Csv)
        .expect("a dataset writer");
    writer
        .write_tables(&almen_dataset::Tables::default())
        .expect("empty tables");
    writer.finish().expect("a dataset");
    let mut config = db.config();
    config.data_dir = Some(data.path().to_path_buf());
    let (router, state) = build_app(&config).await.expect("the app");
    assert!(state.dataset.is_some());
    let mut client = Client::router(router);
    let (username, password) = demo(Role::Analyst);
    client.login(username, password).await;
    let page = client.get("/").await;
    assert!(
        page.body.contains("<dt>Klinikker</dt><dd>0</dd>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Intet datasæt indlæst"));

    // Modules given to `app_with` see the same state.
    let dataset = almen_dataset::Dataset::from_tables(almen_dataset::Tables::default())
        .expect("an empty dataset");
    let state = AppState::new(state.db.clone(), Some(Arc::new(dataset)));
    let mut client = Client::router(app_with(state.clone(), Vec::new()));
    client.login(username, password).await;
    assert!(client.get("/").await.body.contains("Klinikker"));
    state.db.close().await;
}

async fn an_internal_error_shows_an_error_id_and_no_detail(db: &TestDb) {
    let (router, state) = build_app(&db.config()).await.expect("the app");
    // Sabotage: without the sessions table, a correct login fails inside the server.
    sqlx::query("DROP TABLE sessions")
        .execute(state.db.pool())
        .await
        .expect("drop a table");
    let mut client = Client::router(router);
    let (username, password) = demo(Role::Gp);
    let res = client
        .post_form("/login", &[("username", username), ("password", password)])
        .await;
    assert_eq!(res.status, 500);
    assert!(res.body.contains("Fejlnummer"), "{}", res.body);
    assert!(!res.body.contains("sessions"), "{}", res.body);
    state.db.close().await;
}

async fn a_login_form_without_fields_is_a_bad_request(db: &TestDb) {
    let server = TestServer::start(db.config()).await;
    let res = server
        .client()
        .post_form("/login", &[("username", "gp")])
        .await;
    assert_eq!(res.status, 400);
    assert!(res.body.contains("Formularen mangler"), "{}", res.body);
    server.stop().await;
}

#[tokio::test]
async fn a_missing_dataset_folder_stops_the_server_with_a_clear_message() {
    let db = TestDb::create(common::Backend::Sqlite).await;
    let mut config = db.config();
    config.data_dir = Some("/no/such/almen/dataset".into());
    let err = build_app(&config)
        .await
        .expect_err("a missing dataset is an error");
    let message = format!("{err:#}");
    assert!(
        message.contains("cannot read the dataset in /no/such/almen/dataset"),
        "{message}"
    );
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys_on() {
    let db = TestDb::create(common::Backend::Sqlite).await;
    let (_, state) = build_app(&db.config()).await.expect("the app");
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(state.db.pool())
        .await
        .expect("the journal mode");
    assert_eq!(mode, "wal");
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(state.db.pool())
        .await
        .expect("the foreign-key setting");
    assert_eq!(foreign_keys, 1);
    state.db.close().await;
}
