//! Test helpers shared by the server's integration tests: a fresh database per test on either
//! backend, the real server on a free port, and a small HTTP client that speaks either to that
//! server over TCP or to a router without a socket.
//!
//! PostgreSQL is not optional: when it cannot be reached, the PostgreSQL tests fail and say to
//! run `scripts/test`, which starts it.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use almen_server::{ServerConfig, serve_until};
use axum::Router;
use axum::body::Body;
use axum::http::Request;
use rand::RngCore;
use sqlx::Connection;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;
use tower::ServiceExt;

/// The server for PostgreSQL tests, as an administrator who may create databases.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named test body (an `async fn(TestDb)`) once on SQLite and once on PostgreSQL,
/// as `sqlite::NAME` and `postgres::NAME`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::common::TestDb::create($crate::common::Backend::Sqlite).await;
                    super::$name(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::common::TestDb::create($crate::common::Backend::Postgres).await;
                    super::$name(&db).await;
                }
            )*
        }
    };
}

/// A database that exists for one test: a SQLite file in a temporary folder, or a PostgreSQL
/// database `almen_test_<random>` that is dropped when this value is (even after a panic).
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<PostgresDrop>,
}

impl TestDb {
    pub async fn create(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary folder");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("almen.sqlite").display()
                );
                TestDb {
                    backend,
                    url,
                    _dir: Some(dir),
                    postgres: None,
                }
            }
            Backend::Postgres => {
                let admin_url = std::env::var("ALMEN_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_string());
                let mut admin = match sqlx::PgConnection::connect(&admin_url).await {
                    Ok(c) => c,
                    Err(err) => panic!(
                        "PostgreSQL is not reachable at {admin_url}: {err}\n\
                         The PostgreSQL tests need a running server: run scripts/test, which \
                         starts one, or set ALMEN_TEST_POSTGRES_URL to a server where this user \
                         may create databases."
                    ),
                };
                let mut suffix = [0u8; 8];
                rand::rng().fill_bytes(&mut suffix);
                let name = format!(
                    "almen_test_{}",
                    suffix
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<String>()
                );
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .await
                    .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
                let _ = admin.close().await;
                let url = with_database(&admin_url, &name);
                TestDb {
                    backend,
                    url,
                    _dir: None,
                    postgres: Some(PostgresDrop { admin_url, name }),
                }
            }
        }
    }

    pub fn config(&self) -> ServerConfig {
        ServerConfig {
            bind: "127.0.0.1:0".parse().expect("a socket address"),
            database_url: self.url.clone(),
            data_dir: None,
            demo_users: true,
        }
    }
}

/// `postgres://…/old?x` with the database `name` instead of `old`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{name}?{q}"),
        None => format!("{host_part}/{name}"),
    }
}

struct PostgresDrop {
    admin_url: String,
    name: String,
}

impl Drop for PostgresDrop {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on: a thread with a
        // runtime of its own drops the database. FORCE ends connections a pool still holds.
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&admin_url).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop the test database {}", self.name);
        }
    }
}

/// Synthetic Fanø (kommune 563, about 3,400 citizens, two clinics), generated once per test
/// binary: small enough for every test, with every table filled.
#[allow(dead_code)] // only the module tests serve a dataset
pub fn fano_dataset() -> std::sync::Arc<almen_dataset::Dataset> {
    static DS: std::sync::OnceLock<std::sync::Arc<almen_dataset::Dataset>> =
        std::sync::OnceLock::new();
    DS.get_or_init(|| {
        let scale = almen_synth::Scale::kommune(563).expect("a municipality");
        let tables = almen_synth::generate_tables(scale, 3, 2025).expect("synthetic tables");
        std::sync::Arc::new(almen_dataset::Dataset::from_tables(tables).expect("a valid dataset"))
    })
    .clone()
}

/// The real server, as `almen serve` runs it, on a free port of 127.0.0.1.
pub struct TestServer {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl TestServer {
    pub async fn start(config: ServerConfig) -> TestServer {
        TestServer::start_with(config, None).await
    }

    /// With a dataset already in memory, as `almen serve --data DIR` runs after reading it.
    pub async fn start_with(
        config: ServerConfig,
        dataset: Option<std::sync::Arc<almen_dataset::Dataset>>,
    ) -> TestServer {
        let (ready_tx, ready_rx) = oneshot::channel();
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(serve_until(
            config,
            dataset,
            move |addr| {
                let _ = ready_tx.send(addr);
            },
            async move {
                let _ = shutdown_rx.await;
            },
        ));
        match ready_rx.await {
            Ok(addr) => TestServer {
                addr,
                shutdown: Some(shutdown_tx),
                task,
            },
            // The server returned before it was ready: show why.
            Err(_) => match task.await {
                Ok(Err(e)) => panic!("the server did not start: {e:#}"),
                other => panic!("the server did not start: {other:?}"),
            },
        }
    }

    pub fn client(&self) -> Client {
        Client::tcp(self.addr)
    }

    /// A client logged in as a demo user (password `almen-USERNAME`).
    #[allow(dead_code)] // not every test file logs in
    pub async fn user(&self, username: &str) -> Client {
        let mut c = Client::tcp(self.addr);
        c.login(username, &format!("almen-{username}")).await;
        c
    }

    /// Graceful shutdown; fails the test if the server ended with an error.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match (&mut self.task).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("the server failed: {e:#}"),
            Err(e) => panic!("the server task failed: {e}"),
        }
    }
}

/// A response, with the headers lowercased.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k == "set-cookie")
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

enum Transport {
    Tcp(SocketAddr),
    Router(Router),
}

/// An HTTP client with a cookie jar, over TCP to a [`TestServer`] or straight into a router
/// (`tower::ServiceExt::oneshot`). It does not follow redirects: tests look at them.
pub struct Client {
    transport: Transport,
    pub cookies: BTreeMap<String, String>,
}

impl Client {
    pub fn tcp(addr: SocketAddr) -> Client {
        Client {
            transport: Transport::Tcp(addr),
            cookies: BTreeMap::new(),
        }
    }

    pub fn router(router: Router) -> Client {
        Client {
            transport: Transport::Router(router),
            cookies: BTreeMap::new(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        self.send("GET", path, None, &[]).await
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send("POST", path, Some(body), &[]).await
    }

    /// Logs in; panics unless the server answers with a redirect and a session cookie.
    pub async fn login(&mut self, username: &str, password: &str) -> Resp {
        let res = self
            .post_form("/login", &[("username", username), ("password", password)])
            .await;
        assert_eq!(res.status, 303, "login as {username}: {}", res.body);
        assert!(self.cookies.contains_key(almen_server::SESSION_COOKIE));
        res
    }

    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        form_body: Option<String>,
        extra_headers: &[(&str, &str)],
    ) -> Resp {
        let mut headers: Vec<(String, String)> = extra_headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if !self.cookies.is_empty() {
            let jar = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            headers.push(("cookie".into(), jar));
        }
        if form_body.is_some() {
            headers.push((
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ));
        }
        let body = form_body.unwrap_or_default();
        let res = match &self.transport {
            Transport::Tcp(addr) => tcp_request(*addr, method, path, &headers, &body).await,
            Transport::Router(router) => {
                router_request(router.clone(), method, path, &headers, body).await
            }
        };
        for cookie in res.set_cookies() {
            let pair = cookie.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                if v.is_empty() || cookie.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_string(), v.to_string());
                }
            }
        }
        res
    }
}

async fn router_request(
    router: Router,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: String,
) -> Resp {
    let mut req = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let req = req.body(Body::from(body)).expect("a request");
    let res = router.oneshot(req).await.expect("the router is infallible");
    let status = res.status().as_u16();
    let headers = res
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let bytes = axum::body::to_bytes(res.into_body(), 16 << 20)
        .await
        .expect("a body");
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`, so the response ends
/// where the stream does).
async fn tcp_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &str,
) -> Resp {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect to the test server");
    let mut req = format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(req.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("receive");
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .expect("a chunk size");
        if size == 0 {
            break;
        }
        let start = eol + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
    out
}

fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[test]
fn database_names_replace_the_path_of_a_postgres_url() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
        "postgres://postgres@127.0.0.1:5432/t1"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "t2"),
        "postgres://u:p@h/t2?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "t3"), "postgres://h/t3");
}
