//! The live out-of-hours service (*Lægevagten*, DOMAIN §1): call intake from the phone system,
//! the visitator's screen, home visits, the coordinator's live board, the KPI report, and a
//! replay of a call log into a running server.
//!
//! **Call intake.** The phone system posts one JSON event per change of a call to
//! `POST /api/v1/vagt/events` with `Authorization: Bearer TOKEN` (tokens: [`create_api_token`];
//! in demo mode [`DEMO_PHONE_TOKEN`]). Each event is stored and applied to the call's row in one
//! transaction that commits before the answer is sent, so an acknowledged event survives a crash
//! and the board is rebuilt from the database after a restart. A repeated `event_id` is
//! acknowledged again without effect; an event that breaks the call's state machine
//! ([`model::transition`]) is refused with 409 and the rule it broke, a malformed one with 422.
//!
//! **Concurrency.** On SQLite the module's writers take turns in the process (an async queue,
//! not SQLite's sleeping busy handler) and begin with `BEGIN IMMEDIATE`; the phone system's
//! events are group-committed (many events, each in its own savepoint, per transaction, every
//! sender answered after the commit). On PostgreSQL each event is a transaction of its own. Two
//! visitators taking the same call race on `UPDATE … WHERE state IN ('queued','offered')`,
//! which one of them wins; a slot is booked once because `vagt_bookings.slot_id` is unique;
//! the phone system's events update a call only at the version they read.
//!
//! **The service clock.** Waits are measured on the clock of the calls: the newest event's
//! `at` plus the wall time elapsed since it was received ([`clock`]). Live, this is the wall
//! clock; during a replay at 60× it is the replayed evening's time, so waits and KPIs come
//! out as they were.
//!
//! **The board** is one snapshot computed by one background task after changes (debounced)
//! and every few seconds while anyone watches, and fanned out over a `watch` channel to every
//! server-sent-event stream: 200 open boards cost one computation, not 200.

mod board;
mod demo;
mod desk;
mod intake;
mod model;
mod pages;
pub mod replay;
mod report;
mod text;

pub use demo::ensure_demo_data;
pub use intake::{DEMO_PHONE_TOKEN, TokenScope, create_api_token, revoke_api_token};
pub use replay::{ReplayOptions, ReplayStats, replay};
pub use report::calls_in_database;

use crate::AppState;
use crate::auth::Role;
use crate::db::{Backend, Db, Tx};
use crate::error::AppError;
use crate::modules::{Module, ModuleNav};
use almen_core::Timestamp;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use model::Rule;
use sqlx::Row;
use std::sync::Arc;

/// Everyone who works the service, and the analysts who read its report.
const ROLES: &[Role] = &[
    Role::Visitator,
    Role::Coordinator,
    Role::Driver,
    Role::Analyst,
];

/// What the module's handlers share: the board's hub and the cache of API tokens.
#[derive(Clone)]
pub(crate) struct Vagt {
    pub hub: Arc<board::Hub>,
    pub tokens: Arc<intake::TokenCache>,
    pub ingestor: Arc<intake::Ingestor>,
}

impl Vagt {
    /// Tells the board that something was committed.
    pub fn changed(&self) {
        self.hub.changed();
    }
}

pub fn module(_state: &AppState) -> Option<Module> {
    let vagt = Vagt {
        hub: Arc::new(board::Hub::new()),
        tokens: Arc::new(intake::TokenCache::default()),
        ingestor: Arc::new(intake::Ingestor::default()),
    };
    let router = Router::new()
        .route("/vagt", get(pages::entry))
        .route("/vagt/visitation", get(pages::visitation))
        .route("/vagt/visitation/take", post(pages::take_next_form))
        .route("/vagt/visitation/duty", post(pages::duty_form))
        .route("/vagt/calls/{call_id}", get(pages::call_page))
        .route("/vagt/calls/{call_id}/take", post(pages::take_form))
        .route("/vagt/calls/{call_id}/triage", post(pages::triage_form))
        .route("/vagt/calls/{call_id}/book", post(pages::book_form))
        .route(
            "/vagt/calls/{call_id}/home-visit",
            post(pages::home_visit_form),
        )
        .route("/vagt/calls/{call_id}/video", post(pages::video_form))
        .route("/vagt/calls/{call_id}/end", post(pages::end_form))
        .route("/vagt/board", get(board::page))
        .route("/vagt/board/stream", get(board::stream))
        .route("/vagt/board.js", get(board::script))
        .route("/vagt/visits", get(pages::visits_page))
        .route("/vagt/visits/{id}/status", post(pages::visit_status_form))
        .route("/vagt/visits/{id}/unit", post(pages::visit_unit_form))
        .route("/vagt/bookings/{id}/finished", post(pages::finished_form))
        .route("/vagt/report", get(report::page))
        .route("/api/v1/vagt/board", get(board::json))
        .route("/api/v1/vagt/next", post(desk::api_take_next))
        .route("/api/v1/vagt/duty", post(desk::api_duty))
        .route("/api/v1/vagt/calls/{call_id}", get(desk::api_call))
        .route("/api/v1/vagt/calls/{call_id}/take", post(desk::api_take))
        .route(
            "/api/v1/vagt/calls/{call_id}/triage",
            post(desk::api_triage),
        )
        .route("/api/v1/vagt/calls/{call_id}/booking", post(desk::api_book))
        .route(
            "/api/v1/vagt/calls/{call_id}/home-visit",
            post(desk::api_home_visit),
        )
        .route("/api/v1/vagt/calls/{call_id}/video", post(desk::api_video))
        .route("/api/v1/vagt/calls/{call_id}/end", post(desk::api_end))
        .route("/api/v1/vagt/slots", get(desk::api_slots))
        .route("/api/v1/vagt/visits", get(desk::api_visits))
        .route(
            "/api/v1/vagt/visits/{id}/status",
            post(desk::api_visit_status),
        )
        .route(
            "/api/v1/vagt/bookings/{id}/finished",
            post(desk::api_finished),
        )
        .route("/api/v1/vagt/report", get(report::json))
        .layer(Extension(vagt.clone()));
    // The phone system has no session: these routes check an API token instead of the gate.
    let public = Router::new()
        .route("/api/v1/vagt/events", post(intake::post_event))
        .route(
            "/api/v1/vagt/calls/{call_id}/record",
            post(intake::post_record),
        )
        .layer(Extension(vagt));
    Some(
        Module::new(
            ModuleNav {
                id: "vagt",
                name_da: "Lægevagten",
                name_en: "Out-of-hours",
                summary_da: "Visitation, tidsbooking, sygebesøg, koordinatorens tavle og måltal.",
                summary_en: "Triage, booking, home visits, the coordinator's board and targets.",
                path: "/vagt",
                roles: ROLES,
            },
            router,
        )
        .with_public(public),
    )
}

/// A handler's error: a broken rule of the service (409/422/404 with the rule's name) or any
/// other [`AppError`].
#[derive(Debug)]
pub(crate) enum VagtError {
    Rule(Rule),
    App(AppError),
}

impl From<Rule> for VagtError {
    fn from(r: Rule) -> VagtError {
        VagtError::Rule(r)
    }
}

impl From<AppError> for VagtError {
    fn from(e: AppError) -> VagtError {
        VagtError::App(e)
    }
}

impl From<sqlx::Error> for VagtError {
    fn from(e: sqlx::Error) -> VagtError {
        VagtError::App(e.into())
    }
}

impl From<crate::Error> for VagtError {
    fn from(e: crate::Error) -> VagtError {
        VagtError::App(e.into())
    }
}

impl IntoResponse for VagtError {
    fn into_response(self) -> Response {
        match self {
            // A machine reads `rule`; people read `error` (English) or `error_da`.
            VagtError::Rule(r) => (
                r.status,
                Json(serde_json::json!({ "error": r.en, "error_da": r.da, "rule": r.rule })),
            )
                .into_response(),
            VagtError::App(e) => e.into_response(),
        }
    }
}

/// SQLite lets one transaction write at a time. The module's writers take turns here, first
/// come first served, instead of in SQLite's busy handler, which polls with growing sleeps (up
/// to 100 ms) and under load turns a wait of a millisecond into one of many. One queue for the
/// process: a server has one database (tests with several only wait a little longer).
static SQLITE_WRITERS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A transaction that will write; see [`begin_write`]. Dereferences to the transaction.
pub(crate) struct WriteTx {
    // Declared first, so dropped (rolled back) before the turn is handed on.
    tx: Tx<'static>,
    _turn: Option<tokio::sync::MutexGuard<'static, ()>>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        let WriteTx { tx, _turn } = self;
        tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        let WriteTx { tx, _turn } = self;
        tx.rollback().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = Tx<'static>;
    fn deref(&self) -> &Tx<'static> {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Tx<'static> {
        &mut self.tx
    }
}

/// A transaction that will write. On SQLite it waits for its turn (see [`SQLITE_WRITERS`]), then
/// takes the write lock at once (`BEGIN IMMEDIATE`): a deferred transaction that reads first and
/// writes later fails outright if another connection wrote in between. The turn is taken
/// before a connection, so waiting writers do not hold connections readers need.
pub(crate) async fn begin_write(db: &Db) -> Result<WriteTx, sqlx::Error> {
    match db.backend() {
        Backend::Sqlite => {
            let turn = SQLITE_WRITERS.lock().await;
            Ok(WriteTx {
                tx: db.pool().begin_with("BEGIN IMMEDIATE").await?,
                _turn: Some(turn),
            })
        }
        Backend::Postgres => Ok(WriteTx {
            tx: db.pool().begin().await?,
            _turn: None,
        }),
    }
}

/// The service clock: the newest event's `at`, moved on by the wall time since that event was
/// received; the wall clock before any event. See the module documentation.
pub(crate) async fn clock(db: &Db) -> Result<Timestamp, sqlx::Error> {
    let wall = Timestamp::now();
    let row =
        sqlx::query("SELECT at, recorded_at FROM vagt_events ORDER BY at DESC, id DESC LIMIT 1")
            .fetch_optional(db.pool())
            .await?;
    Ok(match row {
        Some(r) => {
            let at: i64 = r.try_get(0)?;
            let recorded: i64 = r.try_get(1)?;
            Timestamp::from_unix(at + (wall.unix() - recorded).max(0))
        }
        None => wall,
    })
}
