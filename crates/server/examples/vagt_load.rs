//! A load test of the out-of-hours intake and board: starts the server in this process, opens
//! `--sse` board streams as the coordinator, then posts call events (each call `entered`,
//! `answered`, `ended`) from `--clients` kept-alive connections at `--rate` events a second for
//! `--seconds`, and reports throughput, latency percentiles and how long an urgent marker call
//! takes to reach every open board.
//!
//! ```text
//! cargo run -p almen-server --release --example vagt_load -- --seconds 10 --rate 2000 --sse 200
//! cargo run -p almen-server --release --example vagt_load -- --database-url postgres://postgres@127.0.0.1/almen_load
//! ```
//! Without `--database-url` it uses a fresh SQLite file in a temporary folder. A PostgreSQL
//! database must exist and is used as it is (give an empty one).

use almen_server::{ServerConfig, serve_until};
use anyhow::{Context, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TOKEN: &str = almen_server::vagt::DEMO_PHONE_TOKEN;

struct Args {
    database_url: Option<String>,
    seconds: u64,
    rate: u64,
    clients: usize,
    sse: usize,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        database_url: None,
        seconds: 10,
        rate: 2000,
        clients: 32,
        sse: 200,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--database-url" => a.database_url = Some(value()?),
            "--seconds" => a.seconds = value()?.parse()?,
            "--rate" => a.rate = value()?.parse()?,
            "--clients" => a.clients = value()?.parse()?,
            "--sse" => a.sse = value()?.parse()?,
            other => bail!("unknown argument {other:?}"),
        }
    }
    Ok(a)
}

async fn connect(addr: SocketAddr) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

async fn post(
    sender: &mut SendRequest<Full<Bytes>>,
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    content_type: &str,
    body: String,
) -> anyhow::Result<(StatusCode, Vec<(String, String)>, Bytes)> {
    let mut req = Request::post(path)
        .header("host", addr.to_string())
        .header("content-type", content_type);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    sender.ready().await?;
    let res = sender
        .send_request(req.body(Full::new(Bytes::from(body)))?)
        .await?;
    let status = res.status();
    let heads = res
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let bytes = res.into_body().collect().await?.to_bytes();
    Ok((status, heads, bytes))
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Posts one event; its latency in microseconds.
async fn event(
    sender: &mut SendRequest<Full<Bytes>>,
    addr: SocketAddr,
    body: serde_json::Value,
) -> anyhow::Result<u64> {
    let started = Instant::now();
    let (status, _, bytes) = post(
        sender,
        addr,
        "/api/v1/vagt/events",
        &[("authorization", &format!("Bearer {TOKEN}"))],
        "application/json",
        body.to_string(),
    )
    .await?;
    if status != StatusCode::CREATED {
        bail!("{status}: {}", String::from_utf8_lossy(&bytes));
    }
    Ok(started.elapsed().as_micros() as u64)
}

/// An open board stream: counts frames, remembers when it last saw the marker call.
async fn board_stream(
    addr: SocketAddr,
    cookie: String,
    seen: Arc<Vec<AtomicU64>>,
    index: usize,
    epoch: Instant,
) -> anyhow::Result<()> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let req = format!(
        "GET /vagt/board/stream?only=html HTTP/1.1\r\nhost: {addr}\r\ncookie: {cookie}\r\naccept: text/event-stream\r\n\r\n"
    );
    stream.write_all(req.as_bytes()).await?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        tail.extend_from_slice(&buf[..n]);
        // The marker's id appears in the board's queue once it is published.
        // (As a browser does: HTML only; queue rows carry `data-call`.)
        const MARK: &[u8] = b"data-call=\"marker-";
        if let Some(pos) = find(&tail, MARK) {
            let rest = &tail[pos + MARK.len()..];
            let number = rest
                .iter()
                .position(|b| *b == b'"')
                .and_then(|end| std::str::from_utf8(&rest[..end]).ok())
                .and_then(|s| s.parse::<u64>().ok());
            if let Some(k) = number
                && k > seen[index].load(Ordering::Relaxed) >> 32
            {
                // The marker's number in the high half, when it was seen in the low half.
                let at = epoch.elapsed().as_millis() as u64;
                seen[index].store((k << 32) | (at & 0xffff_ffff), Ordering::Relaxed);
            }
        }
        if tail.len() > 512 * 1024 {
            let keep = tail.len() - 64 * 1024;
            tail.drain(..keep);
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    let dir = tempfile::tempdir()?;
    let database_url = a.database_url.clone().unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("load.sqlite").display()
        )
    });
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let config = ServerConfig {
        bind: "127.0.0.1:0".parse()?,
        database_url: database_url.clone(),
        data_dir: None,
        demo_users: true,
    };
    let server = tokio::spawn(serve_until(
        config,
        None,
        move |addr| {
            let _ = ready_tx.send(addr);
        },
        async move {
            let _ = stop_rx.await;
        },
    ));
    let addr = ready_rx.await.context("the server did not start")?;
    println!("server on {addr} with {database_url}");

    // The coordinator's session.
    let mut s = connect(addr).await?;
    let (status, heads, _) = post(
        &mut s,
        addr,
        "/login",
        &[],
        "application/x-www-form-urlencoded",
        "username=coordinator&password=almen-coordinator".into(),
    )
    .await?;
    if status != StatusCode::SEE_OTHER {
        bail!("login failed: {status}");
    }
    let cookie = heads
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("almen_session="))
        .and_then(|(_, v)| v.split(';').next())
        .context("a session cookie")?
        .to_string();

    let epoch = Instant::now();
    let seen: Arc<Vec<AtomicU64>> = Arc::new((0..a.sse).map(|_| AtomicU64::new(0)).collect());
    for i in 0..a.sse {
        tokio::spawn(board_stream(addr, cookie.clone(), seen.clone(), i, epoch));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The load: each client sends its calls' events in order, paced to its share of the rate.
    let per_client = a.rate as f64 / a.clients as f64;
    let deadline = Instant::now() + Duration::from_secs(a.seconds);
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for c in 0..a.clients {
        let errors = errors.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let Ok(mut sender) = connect(addr).await else {
                return lat;
            };
            let start = Instant::now();
            let mut sent = 0u64;
            let mut call = 0u64;
            while Instant::now() < deadline {
                let id = format!("load-{c}-{call}");
                for kind in ["entered", "answered", "ended"] {
                    let due = start + Duration::from_secs_f64(sent as f64 / per_client);
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        tokio::time::sleep(wait).await;
                    }
                    let mut body = serde_json::json!({
                        "event_id": format!("{id}-{kind}"),
                        "call_id": id,
                        "type": kind,
                        "at": now_rfc3339(),
                    });
                    if kind == "entered" {
                        body["caller_number"] = serde_json::json!("+45 12 34 56 78");
                        body["district"] =
                            serde_json::json!(["Aarhus", "Horsens", "Viborg"][c % 3]);
                    }
                    match event(&mut sender, addr, body).await {
                        Ok(us) => lat.push(us),
                        Err(e) => {
                            if errors.fetch_add(1, Ordering::Relaxed) < 5 {
                                eprintln!("error: {e:#}");
                            }
                            if let Ok(s) = connect(addr).await {
                                sender = s;
                            }
                        }
                    }
                    sent += 1;
                }
                call += 1;
            }
            lat
        }));
    }

    // Markers: an urgent call every 2 s; how long until every board shows it.
    let mut marker_latencies = Vec::new();
    let mut m = connect(addr).await?;
    let mut k = 1u64;
    while Instant::now() + Duration::from_secs(2) < deadline {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let sent_ms = epoch.elapsed().as_millis() as u64;
        let body = serde_json::json!({
            "event_id": format!("marker-{k}-entered"), "call_id": format!("marker-{k}"),
            "type": "entered", "at": now_rfc3339(), "urgent": true, "caller_number": "+45 00 00 00 00",
        });
        event(&mut m, addr, body).await?;
        let wait_until = Instant::now() + Duration::from_secs(5);
        loop {
            let all = seen.iter().all(|s| s.load(Ordering::Relaxed) >> 32 >= k);
            if all || Instant::now() > wait_until {
                let worst = seen
                    .iter()
                    .map(|s| {
                        let v = s.load(Ordering::Relaxed);
                        if v >> 32 >= k {
                            (v & 0xffff_ffff).saturating_sub(sent_ms)
                        } else {
                            u64::MAX
                        }
                    })
                    .max()
                    .unwrap_or(0);
                marker_latencies.push(worst);
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Take the marker out of the queue so the next one is first again.
        let body = serde_json::json!({
            "event_id": format!("marker-{k}-abandoned"), "call_id": format!("marker-{k}"),
            "type": "abandoned", "at": now_rfc3339(),
        });
        event(&mut m, addr, body).await?;
        k += 1;
    }

    let mut lat: Vec<u64> = Vec::new();
    for t in tasks {
        lat.extend(t.await?);
    }
    lat.sort_unstable();
    let elapsed = a.seconds as f64;
    println!(
        "events: {} in {:.0} s = {:.0}/s (target {}), errors {}",
        lat.len(),
        elapsed,
        lat.len() as f64 / elapsed,
        a.rate,
        errors.load(Ordering::Relaxed)
    );
    println!(
        "latency ms: p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
        percentile(&lat, 0.5) as f64 / 1000.0,
        percentile(&lat, 0.9) as f64 / 1000.0,
        percentile(&lat, 0.99) as f64 / 1000.0,
        lat.last().copied().unwrap_or(0) as f64 / 1000.0
    );
    println!(
        "{} boards: a new urgent call reached all of them after (ms, u64::MAX = missed): {:?}",
        a.sse, marker_latencies
    );
    let _ = stop_tx.send(());
    server.await??;
    Ok(())
}
