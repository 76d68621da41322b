//! The coordinator's board: queue, districts, visitators, sites, home visits and the shift's
//! KPI tiles, live over server-sent events.
//!
//! Handlers that commit a change call [`Hub::changed`], which sends on a broadcast channel. One
//! task per app listens, waits a moment to gather a burst of changes, computes the board once
//! and publishes it (JSON and the HTML of both languages) on a `watch` channel; every open
//! stream sends the newest snapshot. A slow browser skips snapshots instead of queueing them,
//! and the number of open boards does not change the work done per change. While anyone
//! watches, the task also refreshes every few seconds, so waits grow on screen between calls.

use super::desk::{TRIAGERS, VisitView};
use super::model::{
    CallState, Shift, VisitStatus, hours_minutes, local_hm, mask_phone, minutes_seconds,
};
use super::text::VagtText;
use super::{Vagt, VagtError, clock};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::db::Db;
use crate::i18n::Lang;
use crate::pages::{Page, render};
use almen_core::Timestamp;
use almen_dataset::{Outcome, Priority};
use almen_kpi::{KpiOptions, Kpis, Targets};
use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Json, Response};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// How long the board task gathers changes before computing: a burst of events costs one
/// computation, and a change still reaches the screens well within a second.
const DEBOUNCE: Duration = Duration::from_millis(150);
/// How often an open board is refreshed without changes (waits grow).
const TICK: Duration = Duration::from_secs(5);
/// Calls listed in the board's queue table.
const QUEUE_ROWS: usize = 25;

/// One computed board, ready to send.
#[derive(Debug)]
pub(crate) struct Frame {
    pub json: String,
    pub html_da: String,
    pub html_en: String,
}

type FrameSlot = Option<Arc<Frame>>;

/// Where changes are announced and boards published.
pub(crate) struct Hub {
    changes: broadcast::Sender<()>,
    frames: watch::Receiver<FrameSlot>,
    /// The publishing end, until the board task takes it (on the first open board).
    publisher: Mutex<Option<watch::Sender<FrameSlot>>>,
}

impl Hub {
    pub fn new() -> Hub {
        let (changes, _) = broadcast::channel(64);
        let (publisher, frames) = watch::channel(None);
        Hub {
            changes,
            frames,
            publisher: Mutex::new(Some(publisher)),
        }
    }

    /// A change was committed. Cheap, never blocks; without an open board nobody listens.
    pub fn changed(&self) {
        let _ = self.changes.send(());
    }

    /// The boards as they are published; starts the board task on first use.
    fn subscribe(&self, db: &Db) -> watch::Receiver<FrameSlot> {
        let publisher = self.publisher.lock().ok().and_then(|mut p| p.take());
        if let Some(publisher) = publisher {
            tokio::spawn(run(db.clone(), self.changes.subscribe(), publisher));
        }
        // A new watcher gets a fresh board, not one computed before it came.
        self.changed();
        self.frames.clone()
    }
}

/// The board task: compute after changes (gathered for [`DEBOUNCE`]) and every [`TICK`] while
/// anyone watches; stop when the app (and with it the hub's sender) is gone.
async fn run(db: Db, mut changes: broadcast::Receiver<()>, publisher: watch::Sender<FrameSlot>) {
    loop {
        let woke = tokio::time::timeout(TICK, changes.recv()).await;
        match woke {
            Ok(Err(broadcast::error::RecvError::Closed)) => return,
            Ok(_) => {
                tokio::time::sleep(DEBOUNCE).await;
                loop {
                    match changes.try_recv() {
                        Ok(()) | Err(broadcast::error::TryRecvError::Lagged(_)) => {}
                        Err(broadcast::error::TryRecvError::Closed) => return,
                        Err(broadcast::error::TryRecvError::Empty) => break,
                    }
                }
            }
            Err(_) => {} // Tick.
        }
        // Nobody watches (the hub's own receiver does not count): skip the work.
        if publisher.receiver_count() <= 1 {
            continue;
        }
        match frame(&db, None).await {
            Ok(f) => {
                publisher.send_replace(Some(Arc::new(f)));
            }
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "cannot compute the board"),
        }
    }
}

async fn frame(db: &Db, at: Option<Timestamp>) -> anyhow::Result<Frame> {
    let board = snapshot(db, at).await?;
    Ok(Frame {
        json: serde_json::to_string(&board)?,
        html_da: render_fragment(&board, Lang::Da)?,
        html_en: render_fragment(&board, Lang::En)?,
    })
}

/// The board at one moment. Field names are the JSON's (`GET /api/v1/vagt/board`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Board {
    pub now: Timestamp,
    pub shift: ShiftView,
    pub queue: QueueView,
    /// Calls answered or transferred, not yet ended.
    pub in_conversation: i64,
    pub districts: Vec<DistrictRow>,
    pub visitators: Visitators,
    pub sites: Vec<SiteRow>,
    pub home_visits: VisitCounts,
    pub kpi: KpiTiles,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ShiftView {
    pub kind: &'static str,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct QueueView {
    pub length: i64,
    pub urgent: i64,
    /// Seconds the longest-waiting call has waited; `null` with an empty queue.
    pub longest_wait_s: Option<i64>,
    /// The first calls in the order visitators take them; numbers masked.
    pub calls: Vec<QueuedCall>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct QueuedCall {
    pub call_id: String,
    /// Masked: the board is no place for phone numbers.
    pub caller: String,
    pub urgent: bool,
    pub district: Option<String>,
    pub state: &'static str,
    pub wait_s: i64,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct DistrictRow {
    pub district: String,
    pub calls: i64,
    pub waiting: i64,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Visitators {
    pub on_duty: usize,
    pub busy: usize,
    pub people: Vec<Person>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Person {
    pub name: String,
    pub busy: bool,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct SiteRow {
    pub code: String,
    pub name: String,
    pub doctor: Option<String>,
    /// Slots in the shift.
    pub slots: i64,
    pub booked: i64,
    pub free: i64,
    /// `booked / slots`; `null` without slots.
    pub occupancy: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct VisitCounts {
    pub planned: i64,
    pub on_the_way: i64,
    pub arrived: i64,
    /// Done during this shift.
    pub done: i64,
    /// Not yet arrived and past the 3-hour limit.
    pub over_limit: i64,
}

/// The KPIs of the shift's calls that have left the queue, with the targets checked.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct KpiTiles {
    #[serde(flatten)]
    pub kpis: Kpis,
    pub targets: Targets,
}

fn opt_ts(v: Option<i64>) -> Option<Timestamp> {
    v.map(Timestamp::from_unix)
}

/// The KPI row of a stored call. A call answered but not yet triaged counts as advice, the
/// outcome of most calls; only consultations and home visits with their times enter those
/// KPIs, so the guess cannot move a target.
pub(crate) fn kpi_call(r: &sqlx::any::AnyRow) -> Result<almen_kpi::Call, sqlx::Error> {
    let state: String = r.try_get("state")?;
    let outcome: Option<String> = r.try_get("outcome")?;
    let outcome = if state == "abandoned" {
        Outcome::Abandoned
    } else {
        outcome
            .as_deref()
            .and_then(|o| Outcome::parse(o).ok())
            .unwrap_or(Outcome::Advice)
    };
    Ok(almen_kpi::Call {
        call_id: r.try_get("call_id")?,
        received_at: Timestamp::from_unix(r.try_get("received_at")?),
        answered_at: opt_ts(r.try_get("answered_at")?),
        ended_at: opt_ts(r.try_get("ended_at")?),
        priority: if r.try_get::<i64, _>("urgent")? != 0 {
            Priority::Urgent
        } else {
            Priority::Normal
        },
        district: r.try_get("district")?,
        outcome,
        booked_for: opt_ts(r.try_get("booked_for")?),
        finished_at: opt_ts(r.try_get("finished_at")?),
        visit_started_at: opt_ts(r.try_get("visit_started_at")?),
    })
}

/// The columns [`kpi_call`] reads.
pub(crate) const KPI_COLUMNS: &str = "call_id, state, urgent, district, received_at, answered_at, \
     ended_at, outcome, booked_for, finished_at, visit_started_at";

/// Computes the board from the database, with waits measured at `at` (default: the service
/// clock). The state is always the current one.
pub(crate) async fn snapshot(db: &Db, at: Option<Timestamp>) -> Result<Board, sqlx::Error> {
    let now = match at {
        Some(t) => t,
        None => clock(db).await?,
    };
    let shift = Shift::at(now);
    let pool = db.pool();

    let waiting = sqlx::query(
        "SELECT call_id, caller_number, urgent, district, received_at, state FROM vagt_calls \
         WHERE state IN ('queued', 'offered') ORDER BY urgent DESC, received_at, id",
    )
    .fetch_all(pool)
    .await?;
    let mut queue = QueueView {
        length: waiting.len() as i64,
        urgent: 0,
        longest_wait_s: None,
        calls: Vec::new(),
    };
    for r in &waiting {
        let urgent = r.try_get::<i64, _>(2)? != 0;
        let received: i64 = r.try_get(4)?;
        let wait = (now.unix() - received).max(0);
        queue.urgent += i64::from(urgent);
        queue.longest_wait_s = Some(queue.longest_wait_s.map_or(wait, |w| w.max(wait)));
        if queue.calls.len() < QUEUE_ROWS {
            let state: String = r.try_get(5)?;
            let number: Option<String> = r.try_get(1)?;
            queue.calls.push(QueuedCall {
                call_id: r.try_get(0)?,
                caller: number.as_deref().map(mask_phone).unwrap_or_default(),
                urgent,
                district: r.try_get(3)?,
                state: CallState::parse(&state).map_or("queued", CallState::as_str),
                wait_s: wait,
            });
        }
    }

    let in_shift = sqlx::query(&format!(
        "SELECT {KPI_COLUMNS} FROM vagt_calls WHERE received_at >= $1 AND received_at < $2"
    ))
    .bind(shift.starts_at.unix())
    .bind(shift.ends_at.unix())
    .fetch_all(pool)
    .await?;
    let mut districts: BTreeMap<String, DistrictRow> = BTreeMap::new();
    let mut left_queue = Vec::with_capacity(in_shift.len());
    for r in &in_shift {
        let state: String = r.try_get("state")?;
        let is_waiting = CallState::parse(&state).is_some_and(CallState::is_waiting);
        let district: Option<String> = r.try_get("district")?;
        let key = district.unwrap_or_else(|| "–".to_string());
        let row = districts.entry(key.clone()).or_insert(DistrictRow {
            district: key,
            calls: 0,
            waiting: 0,
        });
        row.calls += 1;
        row.waiting += i64::from(is_waiting);
        if !is_waiting {
            left_queue.push(kpi_call(r)?);
        }
    }
    let report = almen_kpi::kpis(&left_queue, &KpiOptions::default());
    let kpi = KpiTiles {
        targets: report.targets,
        kpis: report.kpis,
    };

    let in_conversation = sqlx::query(
        "SELECT visitator, visitator_user_id FROM vagt_calls WHERE state IN ('answered', 'transferred')",
    )
    .fetch_all(pool)
    .await?;
    let duty = sqlx::query(
        "SELECT u.id, u.display_name FROM vagt_duty d JOIN users u ON u.id = d.user_id \
         ORDER BY u.display_name",
    )
    .fetch_all(pool)
    .await?;
    let mut busy_users = Vec::new();
    let mut agents: Vec<String> = Vec::new();
    for r in &in_conversation {
        let name: Option<String> = r.try_get(0)?;
        match r.try_get::<Option<i64>, _>(1)? {
            Some(id) => busy_users.push(id),
            // Agents known only to the phone system count while they are in a call.
            None => {
                if let Some(n) = name
                    && !agents.contains(&n)
                {
                    agents.push(n);
                }
            }
        }
    }
    let mut people = Vec::new();
    for r in &duty {
        let id: i64 = r.try_get(0)?;
        people.push(Person {
            name: r.try_get(1)?,
            busy: busy_users.contains(&id),
        });
    }
    agents.sort();
    people.extend(agents.into_iter().map(|name| Person { name, busy: true }));
    let visitators = Visitators {
        on_duty: people.len(),
        busy: people.iter().filter(|p| p.busy).count(),
        people,
    };

    let site_rows = sqlx::query(
        "SELECT s.code, s.name, MIN(sl.doctor), COUNT(sl.id), COUNT(b.id) FROM vagt_sites s \
         LEFT JOIN vagt_slots sl ON sl.site_id = s.id AND sl.starts_at >= $1 AND sl.starts_at < $2 \
         LEFT JOIN vagt_bookings b ON b.slot_id = sl.id \
         GROUP BY s.id, s.code, s.name ORDER BY s.code",
    )
    .bind(shift.starts_at.unix())
    .bind(shift.ends_at.unix())
    .fetch_all(pool)
    .await?;
    let mut sites = Vec::new();
    for r in &site_rows {
        let slots: i64 = r.try_get(3)?;
        let booked: i64 = r.try_get(4)?;
        sites.push(SiteRow {
            code: r.try_get(0)?,
            name: r.try_get(1)?,
            doctor: r.try_get(2)?,
            slots,
            booked,
            free: slots - booked,
            occupancy: (slots > 0).then(|| booked as f64 / slots as f64),
        });
    }

    let visit_rows = sqlx::query(
        "SELECT status, COUNT(*), COUNT(CASE WHEN status IN ('planned', 'on_the_way') \
         AND triaged_at + $1 < $2 THEN 1 END) FROM vagt_home_visits \
         WHERE status <> 'done' OR updated_at >= $3 GROUP BY status",
    )
    .bind(almen_kpi::HOME_VISIT_LIMIT_S)
    .bind(now.unix())
    .bind(shift.starts_at.unix())
    .fetch_all(pool)
    .await?;
    let mut home_visits = VisitCounts::default();
    for r in &visit_rows {
        let status: String = r.try_get(0)?;
        let n: i64 = r.try_get(1)?;
        home_visits.over_limit += r.try_get::<i64, _>(2)?;
        match VisitStatus::parse(&status) {
            Some(VisitStatus::Planned) => home_visits.planned = n,
            Some(VisitStatus::OnTheWay) => home_visits.on_the_way = n,
            Some(VisitStatus::Arrived) => home_visits.arrived = n,
            Some(VisitStatus::Done) => home_visits.done = n,
            None => {}
        }
    }

    Ok(Board {
        now,
        shift: ShiftView {
            kind: shift.kind.as_str(),
            starts_at: shift.starts_at,
            ends_at: shift.ends_at,
        },
        queue,
        in_conversation: in_conversation.len() as i64,
        districts: districts.into_values().collect(),
        visitators,
        sites,
        home_visits,
        kpi,
    })
}

/// A KPI tile: its label, value as shown, target as shown, and whether it is met.
pub(crate) struct Tile {
    pub label: &'static str,
    pub value: String,
    pub target: String,
    /// `Some(true)` met, `Some(false)` missed, `None` without calls to judge.
    pub pass: Option<bool>,
    pub key: &'static str,
}

impl Tile {
    pub fn class(&self) -> &'static str {
        match self.pass {
            Some(true) => "tile pass",
            Some(false) => "tile fail",
            None => "tile",
        }
    }
}

fn share(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_string(), |s| format!("{:.0} %", s * 100.0))
}

/// The five target tiles and the abandonment tile of a set of KPIs.
pub(crate) fn tiles(k: &Kpis, targets: &Targets, vt: &VagtText) -> Vec<Tile> {
    vec![
        Tile {
            label: vt.kpi_avg_wait,
            value: k
                .avg_wait_s
                .map_or_else(|| "–".to_string(), |s| minutes_seconds(s.round() as i64)),
            target: format!("{} ≤ 12:00", vt.target),
            pass: targets.avg_wait_s.pass,
            key: "avg_wait_s",
        },
        Tile {
            label: vt.kpi_within_15,
            value: share(k.within_15_min),
            target: format!("{} ≥ 70 %", vt.target),
            pass: targets.within_15_min.pass,
            key: "within_15_min",
        },
        Tile {
            label: vt.kpi_within_20,
            value: share(k.within_20_min),
            target: format!("{} ≥ 80 %", vt.target),
            pass: targets.within_20_min.pass,
            key: "within_20_min",
        },
        Tile {
            label: vt.kpi_consultations,
            value: share(k.consultations_within_1h),
            target: format!("{} ≥ 80 %", vt.target),
            pass: targets.consultations_within_1h.pass,
            key: "consultations_within_1h",
        },
        Tile {
            label: vt.kpi_home_visits,
            value: share(k.home_visits_within_3h),
            target: format!("{} ≥ 90 %", vt.target),
            pass: targets.home_visits_within_3h.pass,
            key: "home_visits_within_3h",
        },
        Tile {
            label: vt.kpi_abandoned,
            value: format!("{} ({})", k.abandoned, share(k.abandonment_rate)),
            target: format!("{}: {}", vt.kpi_answered, k.answered),
            pass: None,
            key: "abandoned",
        },
    ]
}

#[derive(Template)]
#[template(path = "vagt/board_fragment.html")]
struct FragmentTemplate<'a> {
    b: &'a Board,
    vt: &'static VagtText,
    tiles: Vec<Tile>,
}

impl FragmentTemplate<'_> {
    fn wait(&self, s: &i64) -> String {
        minutes_seconds(*s)
    }
    fn hm(&self, t: &Timestamp) -> String {
        local_hm(*t)
    }
    fn pct(&self, v: &Option<f64>) -> String {
        share(*v)
    }
}

fn render_fragment(board: &Board, lang: Lang) -> Result<String, askama::Error> {
    let vt = VagtText::of(lang);
    FragmentTemplate {
        b: board,
        vt,
        tiles: tiles(&board.kpi.kpis, &board.kpi.targets, vt),
    }
    .render()
}

#[derive(Template)]
#[template(path = "vagt/board.html")]
struct BoardTemplate {
    page: Page,
    vt: &'static VagtText,
    /// The module's other pages for the user's role.
    links: Vec<(&'static str, &'static str)>,
    fragment: String,
}

/// Who watches the board: the coordinator, and visitators who want the overview.
const WATCHERS: &[crate::Role] = TRIAGERS;

/// `GET /vagt/board`: the board as it is now; `board.js` keeps it live.
pub(crate) async fn page(
    State(state): State<AppState>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, VagtError> {
    user.require(WATCHERS)?;
    let vt = VagtText::of(lang);
    let board = snapshot(&state.db, None).await?;
    let fragment = render_fragment(&board, lang).map_err(crate::AppError::from)?;
    Ok(render(&BoardTemplate {
        page: Page::new(&state, lang, &user, "/vagt/board", vt.board_title),
        vt,
        links: vt.links(user.role),
        fragment,
    })?)
}

#[derive(Debug, Deserialize)]
pub(crate) struct AtQuery {
    /// Measure waits at this instant (RFC 3339) instead of the service clock.
    at: Option<String>,
}

/// `GET /api/v1/vagt/board[?at=RFC3339]`: the board as JSON.
pub(crate) async fn json(
    State(state): State<AppState>,
    Query(q): Query<AtQuery>,
    user: CurrentUser,
) -> Result<Response, VagtError> {
    user.require(WATCHERS)?;
    let at = match q.at.as_deref() {
        Some(s) => Some(Timestamp::parse(s).map_err(|_| {
            super::model::Rule::invalid(
                "invalid_request",
                "at: an RFC 3339 time",
                "at: et RFC 3339-tidspunkt",
            )
        })?),
        None => None,
    };
    Ok(Json(snapshot(&state.db, at).await?).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct StreamQuery {
    /// `board` (JSON only) or `html` (HTML only); both by default.
    only: Option<String>,
}

/// `GET /vagt/board/stream[?only=board|html]`: server-sent events. Each update is an
/// `event: board` with the board's JSON and an `event: html` with its HTML in the user's
/// language (the page asks for `html` only, which halves what 200 open boards cost). The
/// stream ends when the server shuts down; browsers reconnect on their own.
pub(crate) async fn stream(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    Query(q): Query<StreamQuery>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, VagtError> {
    user.require(WATCHERS)?;
    let (send_json, send_html) = match q.only.as_deref() {
        Some("board") => (true, false),
        Some("html") => (false, true),
        _ => (true, true),
    };
    let rx = vagt.hub.subscribe(&state.db);
    let shutdown = Box::pin(state.shutdown_signal());
    let events = futures_util::stream::unfold(
        (rx, shutdown, true),
        move |(mut rx, mut shutdown, first)| async move {
            loop {
                // The first time, send what there is; after that, wait for a newer board.
                if !first || rx.borrow().is_none() {
                    tokio::select! {
                        changed = rx.changed() => if changed.is_err() { return None },
                        () = &mut shutdown => return None,
                    }
                }
                let current = rx.borrow_and_update().clone();
                if let Some(frame) = current {
                    let mut events = Vec::with_capacity(2);
                    if send_json {
                        events.push(Ok(Event::default().event("board").data(&frame.json)));
                    }
                    if send_html {
                        let html = match lang {
                            Lang::Da => &frame.html_da,
                            Lang::En => &frame.html_en,
                        };
                        events.push(Ok(Event::default().event("html").data(html)));
                    }
                    return Some((futures_util::stream::iter(events), (rx, shutdown, false)));
                }
            }
        },
    );
    use futures_util::StreamExt as _;
    Ok(Sse::new(events.flatten()).keep_alive(KeepAlive::default()))
}

/// `GET /vagt/board.js`: keeps the board page live (a file, since the pages' CSP forbids
/// inline scripts).
pub(crate) async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../templates/vagt/board.js"),
    )
        .into_response()
}

/// For the dispatch list: the time since triage as `h:mm` and the time left to the 3-hour
/// limit (negative when over).
pub(crate) fn visit_times(v: &VisitView, now: Timestamp) -> (String, i64) {
    let since = v.triaged_at.seconds_until(now);
    let left = now.seconds_until(v.deadline);
    (hours_minutes(since), left)
}
