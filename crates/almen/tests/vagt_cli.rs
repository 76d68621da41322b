//! `almen vagt token`, `almen vagt replay` and `almen vagt kpi --database` against a real
//! `almen serve`, on SQLite and on PostgreSQL: a call log replayed through the public API and
//! scored from the server's database gives the same KPIs as the file itself.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn almen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_almen"))
        .args(args)
        .env_remove("ALMEN_DATABASE_URL")
        .env_remove("ALMEN_VAGT_TOKEN")
        .output()
        .expect("the almen binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A server on a free port; killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(database_url: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_almen"))
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--database-url",
                database_url,
                "--demo-users",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("almen serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("almen serve printed its address before exiting")
                .expect("a line");
            if let Some(rest) = line.strip_prefix("Almen is serving on ") {
                break rest.trim().to_string();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An evening of six calls, with the boundaries the KPIs care about: a wait of exactly 15:00,
/// an abandoned call, an urgent one, a consultation and a home visit.
const CALLS: &str = "\
call_id,received_at,answered_at,ended_at,priority,district,outcome,booked_for,finished_at,visit_started_at,patient_id
c1,2025-03-04T16:00:00,2025-03-04T16:15:00,2025-03-04T16:20:00,normal,Aarhus,consultation,2025-03-04T17:00:00,2025-03-04T17:40:00,,
c2,2025-03-04T16:01:00,,,normal,Aarhus,abandoned,,,,
c3,2025-03-04T16:02:00,2025-03-04T16:04:00,2025-03-04T16:09:00,urgent,Viborg,home_visit,,,2025-03-04T18:00:00,
c4,2025-03-04T16:05:00,2025-03-04T16:30:01,2025-03-04T16:35:00,normal,Viborg,advice,,,,
c5,2025-03-04T16:10:00,2025-03-04T16:12:00,2025-03-04T16:20:00,normal,Aarhus,video,,,,
c6,2025-03-04T16:20:00,2025-03-04T16:40:00,2025-03-04T16:45:00,normal,Holstebro,advice,,,,
";

fn kpi_json(args: &[&str]) -> serde_json::Value {
    let o = almen(args);
    assert!(o.status.success(), "{}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)))
}

fn replay_and_score(database_url: &str, dir: &Path) {
    let calls = dir.join("calls.csv");
    std::fs::write(&calls, CALLS).unwrap();
    let calls = calls.to_str().unwrap();
    let server = Server::start(database_url);

    let o = almen(&[
        "vagt",
        "token",
        "create",
        "--name",
        "replay-test",
        "--scope",
        "simulator",
        "--database-url",
        database_url,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let token = String::from_utf8(o.stdout).unwrap().trim().to_string();
    assert!(token.len() >= 32, "a token was printed: {token:?}");

    let replay = |token: &str| {
        almen(&[
            "vagt",
            "replay",
            "--calls",
            calls,
            "--url",
            &server.url,
            "--token",
            token,
            "--speed",
            "0",
            "--keep-dates",
        ])
    };
    let o = replay(&token);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("6 calls replayed") && text(&o).contains("0 refused"),
        "{}",
        text(&o)
    );
    // Twice is harmless: every event is acknowledged as already there.
    let o = replay(&token);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("0 events stored"), "{}", text(&o));

    let from_file = kpi_json(&["vagt", "kpi", "--calls", calls, "--format", "json"]);
    let from_db = kpi_json(&[
        "vagt",
        "kpi",
        "--database",
        database_url,
        "--format",
        "json",
    ]);
    for field in [
        "calls",
        "answered",
        "abandoned",
        "avg_wait_s",
        "within_15_min",
        "within_20_min",
        "consultations_within_1h",
        "home_visits_within_3h",
    ] {
        assert_eq!(
            from_db[field], from_file[field],
            "{field}: database {from_db} vs file {from_file}"
        );
    }
    assert_eq!(from_db["calls"], 6);
    assert_eq!(from_db["abandoned"], 1);

    // A revoked token is refused, and the replay says why.
    let o = almen(&[
        "vagt",
        "token",
        "revoke",
        "--name",
        "replay-test",
        "--database-url",
        database_url,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    drop(server);
    let server = Server::start(database_url);
    let o = almen(&[
        "vagt",
        "replay",
        "--calls",
        calls,
        "--url",
        &server.url,
        "--token",
        &token,
        "--speed",
        "0",
        "--keep-dates",
    ]);
    assert!(!o.status.success());
    assert!(text(&o).contains("refused the token"), "{}", text(&o));
}

#[test]
fn replay_into_sqlite_and_score_from_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("almen.sqlite").display());
    replay_and_score(&url, dir.path());
}

#[test]
fn replay_into_postgres_and_score_from_the_database() {
    let admin = std::env::var("ALMEN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_string());
    let name = format!("almen_cli_test_{}", std::process::id());
    let psql = |sql: &str| {
        Command::new("psql")
            .args([admin.as_str(), "-qAtc", sql])
            .output()
            .unwrap_or_else(|e| {
                panic!("psql runs (PostgreSQL client needed; scripts/test installs it): {e}")
            })
    };
    let o = psql(&format!("CREATE DATABASE {name}"));
    assert!(
        o.status.success(),
        "cannot create a database at {admin}: {}",
        text(&o)
    );
    let url = match admin.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("ALMEN_TEST_POSTGRES_URL has no database part: {admin}"),
    };
    let dir = tempfile::tempdir().unwrap();
    let result = std::panic::catch_unwind(|| replay_and_score(&url, dir.path()));
    psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn kpi_from_a_database_that_does_not_exist_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.sqlite");
    let url = format!("sqlite://{}", missing.display());
    let o = almen(&["vagt", "kpi", "--database", &url]);
    assert!(!o.status.success());
    assert!(text(&o).contains("there is no database"), "{}", text(&o));
    assert!(!missing.exists(), "nothing was created");
    let o = almen(&["vagt", "kpi"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("--calls"), "{}", text(&o));
}
