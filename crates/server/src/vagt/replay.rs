//! Replay: plays a call log (the `calls` table of the extract format) into a running server
//! through the public API, as the phone system and the doctors would have produced it, so that
//! a demo shows a live board.
//!
//! Each call becomes the events `entered`, then `answered` and `ended`, or `abandoned`, at its
//! times; with [`ReplayOptions::outcomes`] also the outcome at the end of the call, and the
//! consultation's end and the home visit's start at theirs
//! (`POST /api/v1/vagt/calls/{id}/record`, a token of scope `simulator`). Time runs
//! `speed` times faster than the wall clock. Event ids are derived from the call ids, so a
//! replay that is run again (or resumed) is acknowledged as duplicates, not applied twice.
//!
//! ```no_run
//! # async fn run() -> anyhow::Result<()> {
//! use almen_server::vagt::{ReplayOptions, replay};
//! let (calls, _warnings) = almen_dataset::read_calls_file(
//!     std::path::Path::new("calls.csv"),
//!     &almen_dataset::ReadOptions::default(),
//! )?;
//! let opts = ReplayOptions::new("http://127.0.0.1:8080", almen_server::vagt::DEMO_PHONE_TOKEN);
//! let stats = replay(&calls, &opts, |s| eprintln!("{} events", s.events)).await?;
//! println!("{} calls replayed", stats.calls);
//! # Ok(()) }
//! ```

use almen_core::Timestamp;
use almen_dataset::{Calls, NONE, Outcome, Priority};
use anyhow::{Context, anyhow, bail};
use chrono::{Duration as Days, NaiveDate};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use serde_json::json;
use std::time::{Duration, Instant};

/// How a replay runs.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// The server, `http://HOST:PORT` (plain HTTP; a path prefix is kept).
    pub base_url: String,
    /// An API token (`Authorization: Bearer`).
    pub token: String,
    /// Replayed seconds per wall-clock second: 60 plays an hour in a minute. 0 (or anything
    /// not positive) sends as fast as the server answers.
    pub speed: f64,
    /// Only calls received at or after this instant.
    pub from: Option<Timestamp>,
    /// Only calls received before this instant.
    pub to: Option<Timestamp>,
    /// Move the calls to today (whole days, keeping the local time of day), so that the board's
    /// current shift and the demo's bookable slots match them. Call ids then get the date as
    /// a suffix (`c17@2025-06-01`), so a replay on another day makes new calls.
    pub move_to_today: bool,
    /// Also record outcomes, booked times and visit starts (needs a `simulator` token).
    pub outcomes: bool,
}

impl ReplayOptions {
    /// Speed 60, all calls, moved to today, with outcomes.
    pub fn new(base_url: impl Into<String>, token: impl Into<String>) -> ReplayOptions {
        ReplayOptions {
            base_url: base_url.into(),
            token: token.into(),
            speed: 60.0,
            from: None,
            to: None,
            move_to_today: true,
            outcomes: true,
        }
    }
}

/// What a replay did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// Calls in the period.
    pub calls: usize,
    /// Requests sent so far, of `total`.
    pub sent: usize,
    pub total: usize,
    /// Events the server stored.
    pub events: usize,
    /// Events the server had already (a replay run twice).
    pub duplicates: usize,
    /// Outcomes recorded.
    pub records: usize,
    /// Requests the server refused (409/422), with the first few reasons.
    pub rejected: usize,
    pub first_rejections: Vec<String>,
    /// The replayed time of the last request.
    pub replayed_until: Option<Timestamp>,
}

/// One request of the replay, at its (replayed) time.
#[derive(Debug, Clone, PartialEq)]
struct Action {
    at: Timestamp,
    /// Keeps a call's requests in order when times tie.
    order: (usize, u8),
    path: String,
    body: serde_json::Value,
    is_event: bool,
}

/// Invented agents of the phone system, so that the board shows visitators at work.
const AGENTS: [&str; 6] = ["vis-a", "vis-b", "vis-c", "vis-d", "vis-e", "vis-f"];

fn stable_hash(s: &str) -> u64 {
    // FNV-1a: stable across runs and platforms (std's hasher is seeded per process).
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A Danish mobile number derived from `key`, so that the same patient calls from the same
/// number (earlier contacts this shift show up).
fn phone_number(key: &str) -> String {
    let n = stable_hash(key) % 90_000_000 + 10_000_000;
    let s = n.to_string();
    format!("+45 {} {} {} {}", &s[0..2], &s[2..4], &s[4..6], &s[6..8])
}

fn rfc3339(t: Timestamp) -> String {
    t.to_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Moves `t` by `days` local calendar days, keeping its local time of day (in a DST gap, by
/// whole 24-hour days).
fn move_days(t: Timestamp, days: i64) -> Timestamp {
    if days == 0 {
        return t;
    }
    let local = t.to_local().naive_local() + Days::days(days);
    Timestamp::from_local(local).unwrap_or_else(|_| t.plus_seconds(days * 86_400))
}

/// The requests that replay `calls`, in time order.
fn plan(calls: &Calls, opts: &ReplayOptions, today: NaiveDate) -> (usize, Vec<Action>) {
    let rows: Vec<usize> = (0..calls.len())
        .filter(|&r| {
            let t = calls.received_at[r];
            opts.from.is_none_or(|f| t >= f) && opts.to.is_none_or(|e| t < e)
        })
        .collect();
    let first = rows.iter().map(|&r| calls.received_at[r]).min();
    let days = match (opts.move_to_today, first) {
        (true, Some(f)) => (today - f.to_local().date_naive()).num_days(),
        _ => 0,
    };
    let suffix = if days != 0 {
        format!("@{today}")
    } else {
        String::new()
    };
    let mut actions = Vec::new();
    for (i, &r) in rows.iter().enumerate() {
        let call_id = format!("{}{suffix}", calls.call_id.get(r));
        let id_path: String = crate::pages::percent_encode(&call_id).replace('/', "%2F");
        let shift = |t: Timestamp| move_days(t, days);
        let received = shift(calls.received_at[r]);
        let district = match calls.district[r] {
            NONE => None,
            d => Some(calls.districts.get(d).to_string()),
        };
        let caller_key = match calls.patient[r] {
            NONE => call_id.clone(),
            p => format!("patient:{p}"),
        };
        let mut last = received;
        // Times of one call never go backwards, whatever the data say.
        let mut at = |t: Timestamp| {
            last = last.max(t);
            last
        };
        let event = |kind: &str, at: Timestamp, step: u8, extra: serde_json::Value| {
            let mut body = json!({
                "event_id": format!("replay:{call_id}:{kind}"),
                "call_id": call_id,
                "type": kind,
                "at": rfc3339(at),
            });
            if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
                b.extend(e.clone());
            }
            Action {
                at,
                order: (i, step),
                path: "/api/v1/vagt/events".to_string(),
                body,
                is_event: true,
            }
        };
        let mut entered = json!({
            "caller_number": phone_number(&caller_key),
            "urgent": calls.priority[r] == Priority::Urgent,
        });
        if let (Some(d), Some(o)) = (&district, entered.as_object_mut()) {
            o.insert("district".into(), json!(d));
        }
        actions.push(event("entered", at(received), 0, entered));
        let outcome = calls.outcome[r];
        match calls.answered_at[r] {
            Some(answered) if outcome != Outcome::Abandoned => {
                let agent = AGENTS[(stable_hash(&call_id) % AGENTS.len() as u64) as usize];
                let answered = at(shift(answered));
                actions.push(event(
                    "answered",
                    answered,
                    1,
                    json!({ "visitator": agent }),
                ));
                let ended = at(calls.ended_at[r].map_or(answered.plus_seconds(240), shift));
                actions.push(event("ended", ended, 2, json!({})));
                if opts.outcomes {
                    let record = |t: Timestamp, step: u8, body: serde_json::Value| Action {
                        at: t,
                        order: (i, step),
                        path: format!("/api/v1/vagt/calls/{id_path}/record"),
                        body,
                        is_event: false,
                    };
                    let mut body = json!({ "outcome": outcome.as_str() });
                    if let (Some(b), Some(o)) = (calls.booked_for[r], body.as_object_mut()) {
                        o.insert("booked_for".into(), json!(rfc3339(shift(b))));
                    }
                    actions.push(record(ended, 3, body));
                    if let Some(f) = calls.finished_at[r] {
                        let f = shift(f).max(ended);
                        actions.push(record(f, 4, json!({ "finished_at": rfc3339(f) })));
                    }
                    if let Some(v) = calls.visit_started_at[r] {
                        let v = shift(v).max(ended);
                        actions.push(record(v, 5, json!({ "visit_started_at": rfc3339(v) })));
                    }
                }
            }
            _ => {
                let gone = at(calls.ended_at[r].map_or(received.plus_seconds(90), shift));
                actions.push(event("abandoned", gone, 1, json!({})));
            }
        }
    }
    actions.sort_by(|a, b| a.at.cmp(&b.at).then(a.order.cmp(&b.order)));
    (rows.len(), actions)
}

/// One kept-alive HTTP/1.1 connection to the server, reopened when it drops.
struct Connection {
    authority: String,
    prefix: String,
    token: String,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Connection {
    fn new(base_url: &str, token: &str) -> anyhow::Result<Connection> {
        let uri: Uri = base_url
            .parse()
            .with_context(|| format!("not a URL: {base_url}"))?;
        if uri.scheme_str() != Some("http") {
            bail!("the replay speaks plain HTTP: give an http:// URL (got {base_url})");
        }
        let host = uri.host().ok_or_else(|| anyhow!("no host in {base_url}"))?;
        let port = uri.port_u16().unwrap_or(80);
        Ok(Connection {
            authority: format!("{host}:{port}"),
            prefix: uri.path().trim_end_matches('/').to_string(),
            token: token.to_string(),
            sender: None,
        })
    }

    async fn connect(&mut self) -> anyhow::Result<&mut SendRequest<Full<Bytes>>> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = tokio::net::TcpStream::connect(&self.authority)
                .await
                .with_context(|| format!("cannot connect to {}", self.authority))?;
            let _ = stream.set_nodelay(true);
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .context("HTTP handshake failed")?;
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!(error = %e, "replay connection closed");
                }
            });
            self.sender = Some(sender);
        }
        self.sender.as_mut().ok_or_else(|| anyhow!("no connection"))
    }

    /// POSTs `body` to `path`; the status and the body of the answer. One retry on a fresh
    /// connection if the old one was closed under us.
    async fn post(
        &mut self,
        path: &str,
        body: &serde_json::Value,
    ) -> anyhow::Result<(StatusCode, String)> {
        let bytes = Bytes::from(body.to_string());
        let mut last_err = None;
        for _ in 0..2 {
            let req = Request::post(format!("{}{path}", self.prefix))
                .header(hyper::header::HOST, &self.authority)
                .header(
                    hyper::header::AUTHORIZATION,
                    format!("Bearer {}", self.token),
                )
                .header(hyper::header::CONTENT_TYPE, "application/json")
                .body(Full::new(bytes.clone()))
                .context("cannot build the request")?;
            let sender = self.connect().await?;
            if sender.ready().await.is_err() {
                self.sender = None;
                continue;
            }
            match sender.send_request(req).await {
                Ok(res) => {
                    let status = res.status();
                    let body = res
                        .into_body()
                        .collect()
                        .await
                        .context("cannot read the answer")?
                        .to_bytes();
                    return Ok((status, String::from_utf8_lossy(&body).into_owned()));
                }
                Err(e) => {
                    self.sender = None;
                    last_err = Some(e);
                }
            }
        }
        Err(anyhow!(
            "the server closed the connection: {}",
            last_err.map(|e| e.to_string()).unwrap_or_default()
        ))
    }
}

/// How many refusals are kept word for word in [`ReplayStats::first_rejections`].
const KEEP_REJECTIONS: usize = 10;

/// Replays `calls` into the server of `opts.base_url`; calls `progress` after each request.
/// Stops with an error if the server cannot be reached or refuses the token; refused events
/// (409/422) are counted and the replay goes on.
pub async fn replay(
    calls: &Calls,
    opts: &ReplayOptions,
    mut progress: impl FnMut(&ReplayStats),
) -> anyhow::Result<ReplayStats> {
    let today = Timestamp::now().to_local().date_naive();
    let (n_calls, actions) = plan(calls, opts, today);
    let mut stats = ReplayStats {
        calls: n_calls,
        total: actions.len(),
        ..ReplayStats::default()
    };
    let mut conn = Connection::new(&opts.base_url, &opts.token)?;
    let Some(t0) = actions.first().map(|a| a.at) else {
        return Ok(stats);
    };
    let started = Instant::now();
    for action in &actions {
        if opts.speed > 0.0 && opts.speed.is_finite() {
            let due = t0.seconds_until(action.at) as f64 / opts.speed;
            let elapsed = started.elapsed().as_secs_f64();
            if due > elapsed {
                tokio::time::sleep(Duration::from_secs_f64(due - elapsed)).await;
            }
        }
        let (status, body) = conn.post(&action.path, &action.body).await?;
        stats.sent += 1;
        stats.replayed_until = Some(action.at);
        match status {
            StatusCode::CREATED if action.is_event => stats.events += 1,
            StatusCode::OK if action.is_event => stats.duplicates += 1,
            StatusCode::OK | StatusCode::CREATED => stats.records += 1,
            StatusCode::UNAUTHORIZED => bail!("the server refused the token: {body}"),
            StatusCode::FORBIDDEN => bail!(
                "the token may not record outcomes (it needs scope 'simulator'; or replay without outcomes): {body}"
            ),
            s if s.is_client_error() => {
                stats.rejected += 1;
                if stats.first_rejections.len() < KEEP_REJECTIONS {
                    stats.first_rejections.push(format!("{s}: {body}"));
                }
            }
            s => bail!("the server answered {s}: {body}"),
        }
        progress(&stats);
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use almen_dataset::{Dict, StrCol};

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn calls() -> Calls {
        let mut c = Calls {
            call_id: StrCol::default(),
            districts: Dict::default(),
            ..Calls::default()
        };
        let aarhus = c.districts.intern("Aarhus");
        let rows = [
            (
                "c1",
                "2025-03-01T16:00:00",
                Some("2025-03-01T16:05:00"),
                Outcome::HomeVisit,
            ),
            ("c2", "2025-03-01T16:01:00", None, Outcome::Abandoned),
        ];
        for (id, received, answered, outcome) in rows {
            c.call_id.push(id).unwrap();
            c.received_at.push(t(received));
            c.answered_at.push(answered.map(t));
            c.ended_at.push(answered.map(|a| t(a).plus_seconds(300)));
            c.priority.push(Priority::Normal);
            c.district.push(aarhus);
            c.outcome.push(outcome);
            c.booked_for.push(None);
            c.finished_at.push(None);
            c.visit_started_at
                .push(answered.map(|a| t(a).plus_seconds(3600)));
            c.patient.push(NONE);
        }
        c
    }

    #[test]
    fn a_call_log_becomes_ordered_events_moved_to_today() {
        let opts = ReplayOptions::new("http://127.0.0.1:1", "x");
        let today = NaiveDate::from_ymd_opt(2025, 6, 2).unwrap();
        let (n, actions) = plan(&calls(), &opts, today);
        assert_eq!(n, 2);
        let kinds: Vec<String> = actions
            .iter()
            .map(|a| {
                a.body["type"]
                    .as_str()
                    .map_or_else(|| format!("record {}", a.body), str::to_string)
            })
            .collect();
        assert_eq!(kinds[..4], ["entered", "entered", "abandoned", "answered"]);
        // Moved to 2 June, same local time (summer time now, so +02:00).
        assert_eq!(actions[0].body["at"], "2025-06-02T14:00:00Z");
        assert_eq!(actions[0].body["call_id"], "c1@2025-06-02");
        assert!(actions.windows(2).all(|w| w[0].at <= w[1].at));
        // The home visit's start is recorded at its own time, last.
        let last = actions.last().unwrap();
        assert!(last.body.get("visit_started_at").is_some(), "{last:?}");
    }

    #[test]
    fn phone_numbers_are_stable_and_danish() {
        assert_eq!(phone_number("p1"), phone_number("p1"));
        assert!(phone_number("p1").starts_with("+45 "));
        assert_eq!(phone_number("p1").len(), 15);
    }
}
