//! Helpers of the out-of-hours tests: JSON over HTTP to the real server (with the phone
//! system's token or a user's session), events, and reading the board's event stream.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use crate::common::{Client, TestServer};
use almen_server::{DEMO_USERS, Role};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const TOKEN: &str = almen_server::vagt::DEMO_PHONE_TOKEN;

/// The evening the tests play in (a Tuesday, 18:00 Danish time): times relative to the wall
/// clock would now and then straddle a shift change and make the tests flaky.
pub const BASE: &str = "2025-03-04T18:00:00+01:00";

pub fn base() -> almen_core::Timestamp {
    almen_core::Timestamp::parse(BASE).expect("BASE is a time")
}

/// The real server, with the demo's slots also around [`BASE`].
pub async fn start(db: &crate::common::TestDb) -> TestServer {
    let server = TestServer::start(db.config()).await;
    let (_, state) = almen_server::build_app(&db.config())
        .await
        .expect("the app");
    almen_server::vagt::ensure_demo_data(&state.db, base())
        .await
        .expect("slots around BASE");
    state.db.close().await;
    server
}

#[derive(Debug)]
pub struct JsonResp {
    pub status: u16,
    /// The status line and headers, lowercased.
    pub head: String,
    pub body: String,
}

impl JsonResp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {}", self.status, self.body))
    }
}

/// One request on a fresh connection (`Connection: close`), a JSON body if given.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> JsonResp {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect to the test server");
    let mut req = format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        req.push_str("content-type: application/json\r\n");
    }
    req.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(req.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("receive");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    let mut body = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    JsonResp {
        status,
        head: head.to_ascii_lowercase(),
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..eol]).trim(), 16)
            .expect("a chunk size");
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[eol + 2 + size + 2..];
    }
    out
}

/// The phone system.
pub struct Phone {
    pub addr: SocketAddr,
    pub token: String,
}

impl Phone {
    pub fn new(server: &TestServer) -> Phone {
        Phone {
            addr: server.addr,
            token: TOKEN.to_string(),
        }
    }

    pub async fn send(&self, event: &Value) -> JsonResp {
        let auth = format!("Bearer {}", self.token);
        request(
            self.addr,
            "POST",
            "/api/v1/vagt/events",
            &[("authorization", &auth)],
            Some(event),
        )
        .await
    }

    /// Sends an event and expects it stored (201).
    pub async fn ok(&self, event: &Value) -> Value {
        let res = self.send(event).await;
        assert_eq!(res.status, 201, "{event}: {}", res.body);
        res.json()
    }

    /// A call entering the queue `ago` seconds before now.
    pub async fn enter(&self, call_id: &str, number: &str, urgent: bool, district: &str, ago: i64) {
        self.ok(&entered(call_id, number, urgent, district, ago))
            .await;
    }
}

/// RFC 3339 of [`BASE`] minus `ago` seconds.
pub fn at(ago: i64) -> String {
    base()
        .plus_seconds(-ago)
        .to_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn entered(call_id: &str, number: &str, urgent: bool, district: &str, ago: i64) -> Value {
    json!({
        "event_id": format!("{call_id}-entered"),
        "call_id": call_id,
        "type": "entered",
        "at": at(ago),
        "caller_number": number,
        "urgent": urgent,
        "district": district,
    })
}

pub fn event(call_id: &str, kind: &str, ago: i64) -> Value {
    json!({
        "event_id": format!("{call_id}-{kind}"),
        "call_id": call_id,
        "type": kind,
        "at": at(ago),
    })
}

/// A logged-in user speaking JSON.
pub struct User {
    pub addr: SocketAddr,
    pub cookie: String,
}

impl User {
    pub async fn login(server: &TestServer, username: &str, password: &str) -> User {
        let mut client: Client = server.client();
        client.login(username, password).await;
        let cookie = client
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        User {
            addr: server.addr,
            cookie,
        }
    }

    pub async fn demo(server: &TestServer, role: Role) -> User {
        let (username, password, _) = DEMO_USERS
            .iter()
            .find(|u| u.2 == role)
            .expect("a demo user per role");
        User::login(server, username, password).await
    }

    pub async fn get(&self, path: &str) -> JsonResp {
        request(self.addr, "GET", path, &[("cookie", &self.cookie)], None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> JsonResp {
        request(
            self.addr,
            "POST",
            path,
            &[("cookie", &self.cookie)],
            Some(body),
        )
        .await
    }

    /// A form post as the browser sends it.
    pub async fn post_form(&self, path: &str, form: &str) -> JsonResp {
        let mut stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .expect("connect");
        let req = format!(
            "POST {path} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncookie: {}\r\n\
             content-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n{form}",
            self.addr,
            self.cookie,
            form.len()
        );
        stream.write_all(req.as_bytes()).await.expect("send");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("receive");
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("a status");
        JsonResp {
            status,
            head: String::new(),
            body: text,
        }
    }

    pub async fn board(&self) -> Value {
        let res = self.get("/api/v1/vagt/board").await;
        assert_eq!(res.status, 200, "{}", res.body);
        res.json()
    }
}

/// An open `/vagt/board/stream`: reads `event: board` frames as they come.
pub struct BoardStream {
    stream: tokio::net::TcpStream,
    /// Bytes, not text: a read may end inside a multi-byte character.
    buffer: Vec<u8>,
}

impl BoardStream {
    pub async fn open(user: &User) -> BoardStream {
        let mut stream = tokio::net::TcpStream::connect(user.addr)
            .await
            .expect("connect");
        let req = format!(
            "GET /vagt/board/stream HTTP/1.1\r\nhost: {}\r\ncookie: {}\r\naccept: text/event-stream\r\n\r\n",
            user.addr, user.cookie
        );
        stream.write_all(req.as_bytes()).await.expect("send");
        BoardStream {
            stream,
            buffer: Vec::new(),
        }
    }

    /// The next board (the JSON of an `event: board`) within `timeout`, or `None`.
    pub async fn next_board(&mut self, timeout: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Chunked transfer framing sits between the SSE lines; an event's `data:` line
            // holds the whole JSON, so a line-wise scan finds it.
            const MARK: &[u8] = b"event: board\ndata: ";
            if let Some(start) = self.buffer.windows(MARK.len()).position(|w| w == MARK) {
                let rest = &self.buffer[start + MARK.len()..];
                if let Some(end) = rest.iter().position(|b| *b == b'\n') {
                    let json: Value = serde_json::from_slice(&rest[..end]).expect("board JSON");
                    self.buffer.drain(..start + MARK.len() + end);
                    return Some(json);
                }
            }
            let mut chunk = vec![0u8; 64 * 1024];
            let read = tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await;
            match read {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return None,
                Ok(Ok(n)) => self.buffer.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Waits until a board satisfies `pred`; panics after `timeout`.
    pub async fn until(&mut self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_board(left).await {
                Some(b) if pred(&b) => return b,
                Some(_) => {}
                None => panic!("no matching board within {timeout:?}"),
            }
        }
    }
}
