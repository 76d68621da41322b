//! Call intake: the phone system's events (`POST /api/v1/vagt/events`), the simulator's
//! outcomes (`POST /api/v1/vagt/calls/{call_id}/record`), and the API tokens both use.
//!
//! An event is stored and applied in one transaction that commits before the answer is sent:
//! 201 for a new event, 200 with `"duplicate": true` for an `event_id` seen before with the same
//! content, 409 for one seen with other content or one the call's state machine refuses, 422
//! for a malformed one, 401 without a valid token.

use super::model::{CallSoFar, CallState, Effect, EventType, Rule, VisitStatus, transition};
use super::{Vagt, VagtError, begin_write};
use crate::AppState;
use crate::db::{Backend, Db, Tx};
use crate::error::Error;
use almen_core::Timestamp;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// The API token that `--demo-users` creates (scope `simulator`), for trying the intake API and
/// `almen vagt replay` against a demo server. Public, like the demo passwords: never on a real
/// installation.
pub const DEMO_PHONE_TOKEN: &str = "almen-demo-phone-token";
const DEMO_TOKEN_NAME: &str = "demo-phone-system";

/// How long a checked token is trusted without asking the database again: at thousands of
/// events a second a look-up per event would double the queries. Revoking a token therefore
/// takes up to this long.
const TOKEN_CACHE_TTL: Duration = Duration::from_secs(30);

/// What an API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenScope {
    /// The phone system: call events only.
    Phone,
    /// A simulator or replay: call events and the outcomes a visitator would record.
    Simulator,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Phone => "phone",
            TokenScope::Simulator => "simulator",
        }
    }

    pub fn parse(s: &str) -> Option<TokenScope> {
        match s {
            "phone" => Some(TokenScope::Phone),
            "simulator" => Some(TokenScope::Simulator),
            _ => None,
        }
    }
}

fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Creates an API token named `name` (unique, 1-64 characters) and returns it. Only its hash is
/// stored: show it once and keep it in the phone system's configuration.
pub async fn create_api_token(db: &Db, name: &str, scope: TokenScope) -> Result<String, Error> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(Error::Invalid {
            field: "name",
            value: Some(name.to_string()),
            rule: "a token name has 1-64 characters",
        });
    }
    let token = format!("almen_{}", crate::auth::random_hex(24));
    insert_token(db, name, &token, scope).await?;
    Ok(token)
}

async fn insert_token(db: &Db, name: &str, token: &str, scope: TokenScope) -> Result<(), Error> {
    let res = sqlx::query(
        "INSERT INTO vagt_api_tokens (name, token_hash, scope, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(name)
    .bind(token_hash(token))
    .bind(scope.as_str())
    .bind(Timestamp::now().unix())
    .execute(db.pool())
    .await;
    match res {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(Error::Invalid {
            field: "name",
            value: Some(name.to_string()),
            rule: "a token with this name exists",
        }),
        Err(e) => Err(e.into()),
    }
}

/// Revokes the token named `name`; `false` if there is no such live token.
pub async fn revoke_api_token(db: &Db, name: &str) -> Result<bool, Error> {
    let res = sqlx::query(
        "UPDATE vagt_api_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL",
    )
    .bind(Timestamp::now().unix())
    .bind(name)
    .execute(db.pool())
    .await?;
    Ok(res.rows_affected() > 0)
}

/// The demo token, if missing.
pub(crate) async fn ensure_demo_token(db: &Db) -> Result<(), Error> {
    let exists = sqlx::query("SELECT id FROM vagt_api_tokens WHERE name = $1")
        .bind(DEMO_TOKEN_NAME)
        .fetch_optional(db.pool())
        .await?
        .is_some();
    if !exists {
        match insert_token(db, DEMO_TOKEN_NAME, DEMO_PHONE_TOKEN, TokenScope::Simulator).await {
            // Another server on the same database got there first.
            Ok(()) | Err(Error::Invalid { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Tokens checked recently: hash → (scope, when checked).
#[derive(Default)]
pub(crate) struct TokenCache {
    checked: Mutex<HashMap<String, (TokenScope, Instant)>>,
}

impl TokenCache {
    /// The scope of the request's bearer token, or a 401 rule.
    async fn authenticate(&self, db: &Db, headers: &HeaderMap) -> Result<TokenScope, VagtError> {
        let unauthorized = || {
            VagtError::Rule(Rule {
                status: StatusCode::UNAUTHORIZED,
                rule: "api_token_required",
                en: "a valid API token is required: Authorization: Bearer TOKEN".into(),
                da: "der kræves en gyldig API-nøgle: Authorization: Bearer NØGLE".into(),
            })
        };
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(unauthorized)?;
        let hash = token_hash(token);
        if let Ok(map) = self.checked.lock()
            && let Some((scope, at)) = map.get(&hash)
            && at.elapsed() < TOKEN_CACHE_TTL
        {
            return Ok(*scope);
        }
        let row = sqlx::query(
            "SELECT scope FROM vagt_api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(&hash)
        .fetch_optional(db.pool())
        .await?;
        let scope = match row {
            Some(r) => TokenScope::parse(&r.try_get::<String, _>(0)?).ok_or_else(unauthorized)?,
            None => return Err(unauthorized()),
        };
        if let Ok(mut map) = self.checked.lock() {
            map.insert(hash, (scope, Instant::now()));
        }
        Ok(scope)
    }
}

/// An event as the phone system sends it. Unknown fields are refused, so that a misspelt field
/// is an error and not silently lost.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventInput {
    event_id: String,
    call_id: String,
    #[serde(rename = "type")]
    kind: String,
    at: String,
    caller_number: Option<String>,
    urgent: Option<bool>,
    district: Option<String>,
    visitator: Option<String>,
}

/// A validated event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CallEvent {
    pub event_id: String,
    pub call_id: String,
    pub kind: EventType,
    pub at: Timestamp,
    pub caller_number: Option<String>,
    pub urgent: bool,
    pub district: Option<String>,
    pub visitator: Option<String>,
}

impl CallEvent {
    /// The stored form, which a repeated event must match exactly.
    fn payload(&self) -> String {
        json!({
            "event_id": self.event_id,
            "call_id": self.call_id,
            "type": self.kind.as_str(),
            "at": self.at.unix(),
            "caller_number": self.caller_number,
            "urgent": self.urgent,
            "district": self.district,
            "visitator": self.visitator,
        })
        .to_string()
    }
}

fn invalid(field: &str, en: &str, da: &str) -> Rule {
    Rule::invalid(
        "invalid_event",
        format!("{field}: {en}"),
        format!("{field}: {da}"),
    )
}

/// An identifier: 1-100 printable characters.
pub(crate) fn check_id(field: &str, value: &str) -> Result<(), Rule> {
    if value.is_empty() || value.chars().count() > 100 || value.chars().any(char::is_control) {
        return Err(invalid(
            field,
            "1-100 characters, no control characters",
            "1-100 tegn, ingen kontroltegn",
        ));
    }
    Ok(())
}

/// Optional free text of at most `max` characters; blank is none.
pub(crate) fn optional_text(
    field: &str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, Rule> {
    let Some(v) = value else { return Ok(None) };
    let v = v.trim().to_string();
    if v.is_empty() {
        return Ok(None);
    }
    if v.chars().count() > max || v.chars().any(|c| c.is_control() && c != '\n' && c != '\r') {
        return Err(invalid(
            field,
            &format!("at most {max} characters, no control characters"),
            &format!("højst {max} tegn, ingen kontroltegn"),
        ));
    }
    Ok(Some(v))
}

fn parse_event(body: &[u8]) -> Result<CallEvent, Rule> {
    let input: EventInput = serde_json::from_slice(body).map_err(|e| {
        Rule::invalid(
            "invalid_event",
            format!("not a call event: {e}"),
            format!("ikke en opkaldshændelse: {e}"),
        )
    })?;
    check_id("event_id", &input.event_id)?;
    check_id("call_id", &input.call_id)?;
    let kind = EventType::parse(&input.kind).ok_or_else(|| {
        invalid(
            "type",
            "one of entered, offered, answered, transferred, ended, abandoned",
            "en af entered, offered, answered, transferred, ended, abandoned",
        )
    })?;
    let at = chrono::DateTime::parse_from_rfc3339(&input.at)
        .map(|t| Timestamp::from_unix(t.timestamp()))
        .map_err(|_| {
            invalid(
                "at",
                "an RFC 3339 time with offset, e.g. 2025-03-01T16:02:00+01:00",
                "et RFC 3339-tidspunkt med tidszone, fx 2025-03-01T16:02:00+01:00",
            )
        })?;
    let caller_number = optional_text("caller_number", input.caller_number, 32)?;
    if let Some(n) = &caller_number
        && !n
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-'))
    {
        return Err(invalid(
            "caller_number",
            "digits, spaces, '+' and '-' only",
            "kun cifre, mellemrum, '+' og '-'",
        ));
    }
    let district = optional_text("district", input.district, 100)?;
    let visitator = optional_text("visitator", input.visitator, 100)?;
    if kind != EventType::Entered && (caller_number.is_some() || input.urgent.is_some()) {
        return Err(invalid(
            "caller_number/urgent",
            "only an 'entered' event carries the caller's number and the urgent option",
            "kun en 'entered'-hændelse har opkalderens nummer og akut-valget",
        ));
    }
    Ok(CallEvent {
        event_id: input.event_id,
        call_id: input.call_id,
        kind,
        at,
        caller_number,
        urgent: input.urgent.unwrap_or(false),
        district,
        visitator,
    })
}

/// What became of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ingested {
    pub duplicate: bool,
    pub state: Option<CallState>,
}

/// Attempts before giving up on optimistic updates that keep losing (PostgreSQL only; SQLite's
/// writers take turns).
const MAX_ATTEMPTS: usize = 16;

/// What one attempt at an event came to.
enum Step {
    Done(Ingested),
    /// Another writer changed the call between our read and our write: roll back, try again.
    Retry,
}

/// Stores and applies one event inside `tx`. A broken rule is returned as an error, and the
/// caller must then undo what this wrote (roll back the transaction or the savepoint).
async fn apply(tx: &mut Tx<'_>, ev: &CallEvent, payload: &str) -> Result<Step, VagtError> {
    let inserted = sqlx::query(
        "INSERT INTO vagt_events (event_id, call_id, type, at, recorded_at, payload) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING RETURNING id",
    )
    .bind(&ev.event_id)
    .bind(&ev.call_id)
    .bind(ev.kind.as_str())
    .bind(ev.at.unix())
    .bind(Timestamp::now().unix())
    .bind(payload)
    .fetch_optional(&mut **tx)
    .await?;
    if inserted.is_none() {
        let stored = sqlx::query("SELECT payload FROM vagt_events WHERE event_id = $1")
            .bind(&ev.event_id)
            .fetch_optional(&mut **tx)
            .await?;
        return match stored {
            Some(r) if r.try_get::<String, _>(0)? == payload => Ok(Step::Done(Ingested {
                duplicate: true,
                state: call_state(tx, &ev.call_id).await?,
            })),
            Some(_) => Err(Rule::conflict(
                "event_id_reused",
                format!(
                    "event_id {:?} was already used for a different event",
                    ev.event_id
                ),
                format!(
                    "event_id {:?} er allerede brugt til en anden hændelse",
                    ev.event_id
                ),
            )
            .into()),
            // The other writer of this id rolled back: try again.
            None => Ok(Step::Retry),
        };
    }
    let row = sqlx::query(
        "SELECT state, last_event_at, visitator, version FROM vagt_calls WHERE call_id = $1",
    )
    .bind(&ev.call_id)
    .fetch_optional(&mut **tx)
    .await?;
    let (so_far, version) = match row {
        Some(r) => {
            let state: String = r.try_get(0)?;
            (
                Some(CallSoFar {
                    state: CallState::parse(&state).ok_or_else(|| {
                        crate::AppError::internal(anyhow::anyhow!("unknown call state {state:?}"))
                    })?,
                    last_event_at: Timestamp::from_unix(r.try_get(1)?),
                    visitator: r.try_get(2)?,
                }),
                r.try_get::<i64, _>(3)?,
            )
        }
        None => (None, 0),
    };
    let effect = transition(
        &ev.call_id,
        so_far.as_ref(),
        ev.kind,
        ev.at,
        ev.visitator.as_deref(),
    )?;
    let applied = match effect {
        Effect::Create => sqlx::query(
            "INSERT INTO vagt_calls (call_id, state, urgent, caller_number, district, \
             received_at, last_event_at, version) VALUES ($1, 'queued', $2, $3, $4, $5, $5, 1) \
             ON CONFLICT (call_id) DO NOTHING",
        )
        .bind(&ev.call_id)
        .bind(i64::from(ev.urgent))
        .bind(&ev.caller_number)
        .bind(&ev.district)
        .bind(ev.at.unix())
        .execute(&mut **tx)
        .await?
        .rows_affected(),
        Effect::Move(state) => {
            let set = match state {
                CallState::Offered => "offered_at = COALESCE(offered_at, $3)",
                CallState::Answered => {
                    "answered_at = COALESCE(answered_at, $3), visitator = COALESCE($5, visitator), \
                     visitator_user_id = CASE WHEN $5 IS NULL THEN visitator_user_id ELSE NULL END"
                }
                CallState::Ended | CallState::Abandoned => "ended_at = $3",
                CallState::Queued | CallState::Transferred => "visitator = visitator",
            };
            sqlx::query(&format!(
                "UPDATE vagt_calls SET state = $1, last_event_at = $3, version = version + 1, \
                 {set}, district = COALESCE(district, $6) \
                 WHERE call_id = $2 AND version = $4"
            ))
            .bind(state.as_str())
            .bind(&ev.call_id)
            .bind(ev.at.unix())
            .bind(version)
            .bind(&ev.visitator)
            .bind(&ev.district)
            .execute(&mut **tx)
            .await?
            .rows_affected()
        }
        // A confirmation leaves the call as it is, its times included.
        Effect::Confirm => sqlx::query(
            "UPDATE vagt_calls SET version = version + 1 WHERE call_id = $1 AND version = $2",
        )
        .bind(&ev.call_id)
        .bind(version)
        .execute(&mut **tx)
        .await?
        .rows_affected(),
    };
    if applied == 0 {
        return Ok(Step::Retry);
    }
    Ok(Step::Done(Ingested {
        duplicate: false,
        state: match effect {
            Effect::Create => Some(CallState::Queued),
            Effect::Move(s) => Some(s),
            Effect::Confirm => so_far.map(|c| c.state),
        },
    }))
}

/// Stores and applies one event in a transaction of its own; see the module documentation.
pub(crate) async fn ingest(db: &Db, ev: &CallEvent) -> Result<Ingested, VagtError> {
    let payload = ev.payload();
    for _ in 0..MAX_ATTEMPTS {
        let mut tx = begin_write(db).await?;
        match apply(&mut tx, ev, &payload).await {
            Ok(Step::Done(done)) => {
                if done.duplicate {
                    tx.rollback().await?;
                } else {
                    tx.commit().await?;
                }
                return Ok(done);
            }
            Ok(Step::Retry) => tx.rollback().await?,
            Err(e) => {
                tx.rollback().await?;
                return Err(e);
            }
        }
    }
    Err(crate::AppError::internal(anyhow::anyhow!(
        "call {:?}: gave up after {MAX_ATTEMPTS} conflicting updates",
        ev.call_id
    ))
    .into())
}

/// Most events one SQLite transaction takes.
const BATCH: usize = 128;

type Reply = oneshot::Sender<Result<Ingested, VagtError>>;

/// Group commit for SQLite, which writes one transaction at a time: events that arrive while
/// one transaction commits are applied together in the next, each inside a savepoint (so a
/// refused event is undone alone), and every sender is answered after that commit. Thousands
/// of events a second then cost hundreds of commits, not thousands. PostgreSQL writes
/// concurrently and takes the one-transaction-per-event path.
#[derive(Default)]
pub(crate) struct Ingestor {
    queue: OnceLock<mpsc::Sender<(CallEvent, Reply)>>,
}

impl Ingestor {
    pub async fn ingest(&self, db: &Db, ev: CallEvent) -> Result<Ingested, VagtError> {
        if db.backend() != Backend::Sqlite {
            return ingest(db, &ev).await;
        }
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(4 * BATCH);
            tokio::spawn(write_batches(db.clone(), rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        let stopped = || {
            VagtError::from(crate::AppError::internal(anyhow::anyhow!(
                "the event writer has stopped"
            )))
        };
        queue.send((ev, reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn write_batches(db: Db, mut rx: mpsc::Receiver<(CallEvent, Reply)>) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let results = write_batch(&db, &batch).await;
        for ((_, reply), result) in batch.drain(..).zip(results) {
            // The sender may have gone (a dropped request); the event is stored all the same.
            let _ = reply.send(result);
        }
    }
}

async fn write_batch(db: &Db, batch: &[(CallEvent, Reply)]) -> Vec<Result<Ingested, VagtError>> {
    let failed = |e: &dyn std::fmt::Display| {
        batch
            .iter()
            .map(|_| {
                Err(crate::AppError::internal(anyhow::anyhow!("writing events failed: {e}")).into())
            })
            .collect()
    };
    let mut tx = match begin_write(db).await {
        Ok(tx) => tx,
        Err(e) => return failed(&e),
    };
    let mut results = Vec::with_capacity(batch.len());
    for (ev, _) in batch {
        let result = async {
            sqlx::query("SAVEPOINT vagt_event")
                .execute(&mut **tx)
                .await?;
            let step = apply(&mut tx, ev, &ev.payload()).await;
            let undo = !matches!(step, Ok(Step::Done(_)));
            if undo {
                sqlx::query("ROLLBACK TO SAVEPOINT vagt_event")
                    .execute(&mut **tx)
                    .await?;
            }
            sqlx::query("RELEASE SAVEPOINT vagt_event")
                .execute(&mut **tx)
                .await?;
            match step? {
                Step::Done(done) => Ok(done),
                // Nothing else writes between our read and our write here.
                Step::Retry => Err(crate::AppError::internal(anyhow::anyhow!(
                    "call {:?} changed under the event writer",
                    ev.call_id
                ))
                .into()),
            }
        }
        .await;
        results.push(result);
    }
    match tx.commit().await {
        Ok(()) => results,
        Err(e) => failed(&e),
    }
}

async fn call_state(tx: &mut Tx<'_>, call_id: &str) -> Result<Option<CallState>, sqlx::Error> {
    let row = sqlx::query("SELECT state FROM vagt_calls WHERE call_id = $1")
        .bind(call_id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(match row {
        Some(r) => CallState::parse(&r.try_get::<String, _>(0)?),
        None => None,
    })
}

/// `POST /api/v1/vagt/events`.
pub(crate) async fn post_event(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, VagtError> {
    vagt.tokens.authenticate(&state.db, &headers).await?;
    let ev = parse_event(&body)?;
    let done = vagt.ingestor.ingest(&state.db, ev.clone()).await?;
    if !done.duplicate {
        vagt.changed();
    }
    let status = if done.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(json!({
            "event_id": ev.event_id,
            "call_id": ev.call_id,
            "type": ev.kind.as_str(),
            "state": done.state.map(CallState::as_str),
            "duplicate": done.duplicate,
        })),
    )
        .into_response())
}

/// What a simulator records for a call, as a visitator and the doctors would have: the outcome
/// and the times the KPIs need. Every field is optional; given ones are set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordInput {
    outcome: Option<String>,
    booked_for: Option<String>,
    finished_at: Option<String>,
    visit_started_at: Option<String>,
}

fn parse_time(field: &str, v: Option<&str>) -> Result<Option<Timestamp>, Rule> {
    v.map(|s| {
        chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| Timestamp::from_unix(t.timestamp()))
            .map_err(|_| {
                invalid(
                    field,
                    "an RFC 3339 time with offset",
                    "et RFC 3339-tidspunkt med tidszone",
                )
            })
    })
    .transpose()
}

/// `POST /api/v1/vagt/calls/{call_id}/record`: a simulator's outcome for a call (token scope
/// `simulator`). A home visit gets a row on the dispatch list (planned, or arrived once
/// `visit_started_at` is given), so a replay shows cars on the board.
pub(crate) async fn post_record(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    Path(call_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, VagtError> {
    let scope = vagt.tokens.authenticate(&state.db, &headers).await?;
    if scope != TokenScope::Simulator {
        return Err(Rule {
            status: StatusCode::FORBIDDEN,
            rule: "simulator_scope_required",
            en: "only a token with scope 'simulator' may record outcomes".into(),
            da: "kun en nøgle med omfanget 'simulator' må registrere udfald".into(),
        }
        .into());
    }
    let input: RecordInput = serde_json::from_slice(&body).map_err(|e| {
        Rule::invalid(
            "invalid_record",
            format!("not a call record: {e}"),
            format!("ikke en opkaldsregistrering: {e}"),
        )
    })?;
    let outcome = input
        .outcome
        .as_deref()
        .map(|o| {
            super::model::parse_triage_outcome(o).ok_or_else(|| {
                invalid(
                    "outcome",
                    "one of advice, consultation, home_visit, video, referral, ambulance",
                    "en af advice, consultation, home_visit, video, referral, ambulance",
                )
            })
        })
        .transpose()?;
    let booked_for = parse_time("booked_for", input.booked_for.as_deref())?;
    let finished_at = parse_time("finished_at", input.finished_at.as_deref())?;
    let visit_started_at = parse_time("visit_started_at", input.visit_started_at.as_deref())?;

    // Read before the write turn: the clock uses a connection of its own.
    let now = super::clock(&state.db).await?.unix();
    let mut tx = begin_write(&state.db).await?;
    let row =
        sqlx::query("SELECT answered_at, ended_at, outcome FROM vagt_calls WHERE call_id = $1")
            .bind(&call_id)
            .fetch_optional(&mut **tx)
            .await?;
    let Some(row) = row else {
        tx.rollback().await?;
        return Err(super::desk::unknown_call(&call_id).into());
    };
    let answered: Option<i64> = row.try_get(0)?;
    let ended: Option<i64> = row.try_get(1)?;
    let stored_outcome: Option<String> = row.try_get(2)?;
    if answered.is_none() {
        tx.rollback().await?;
        return Err(super::desk::not_answered(&call_id).into());
    }
    sqlx::query(
        "UPDATE vagt_calls SET outcome = COALESCE($1, outcome), booked_for = COALESCE($2, booked_for), \
         finished_at = COALESCE($3, finished_at), visit_started_at = COALESCE($4, visit_started_at), \
         version = version + 1 WHERE call_id = $5",
    )
    .bind(outcome.map(|o| o.as_str()))
    .bind(booked_for.map(Timestamp::unix))
    .bind(finished_at.map(Timestamp::unix))
    .bind(visit_started_at.map(Timestamp::unix))
    .bind(&call_id)
    .execute(&mut **tx)
    .await?;
    let is_home_visit =
        outcome.map(|o| o.as_str()).or(stored_outcome.as_deref()) == Some("home_visit");
    if is_home_visit {
        let triaged = ended.or(answered).unwrap_or(now);
        sqlx::query(
            "INSERT INTO vagt_home_visits (call_id, status, triaged_at, created_by, updated_at) \
             VALUES ($1, 'planned', $2, 'simulator', $3) ON CONFLICT (call_id) DO NOTHING",
        )
        .bind(&call_id)
        .bind(triaged)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        if let Some(started) = visit_started_at {
            sqlx::query(
                "UPDATE vagt_home_visits SET status = $1, arrived_at = $2, updated_at = $3 \
                 WHERE call_id = $4",
            )
            .bind(VisitStatus::Arrived.as_str())
            .bind(started.unix())
            .bind(now)
            .bind(&call_id)
            .execute(&mut **tx)
            .await?;
        }
    }
    tx.commit().await?;
    vagt.changed();
    Ok(Json(json!({ "call_id": call_id, "recorded": true })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_well_formed_event_parses_and_a_malformed_one_names_its_field() {
        let ev = parse_event(
            br#"{"event_id":"e1","call_id":"c1","type":"entered","at":"2025-03-01T16:00:00+01:00",
                "caller_number":"+45 12 34 56 78","urgent":true,"district":"Aarhus"}"#,
        )
        .unwrap();
        assert_eq!(ev.kind, EventType::Entered);
        assert!(ev.urgent);
        assert_eq!(
            ev.at,
            Timestamp::parse("2025-03-01T16:00:00+01:00").unwrap()
        );
        for (body, needle) in [
            (&br#"{"event_id":"e1","call_id":"c1","type":"rang","at":"2025-03-01T16:00:00Z"}"#[..], "type"),
            (br#"{"event_id":"e1","call_id":"c1","type":"ended","at":"yesterday"}"#, "at"),
            (br#"{"event_id":"","call_id":"c1","type":"ended","at":"2025-03-01T16:00:00Z"}"#, "event_id"),
            (br#"{"call_id":"c1","type":"ended","at":"2025-03-01T16:00:00Z"}"#, "event_id"),
            (br#"{"event_id":"e","call_id":"c1","type":"ended","at":"2025-03-01T16:00:00Z","colour":1}"#, "colour"),
            (br#"{"event_id":"e","call_id":"c1","type":"entered","at":"2025-03-01T16:00:00Z","caller_number":"call me"}"#, "caller_number"),
            (br#"{"event_id":"e","call_id":"c1","type":"ended","at":"2025-03-01T16:00:00Z","urgent":true}"#, "urgent"),
            (b"not json", "not a call event"),
        ] {
            let err = parse_event(body).unwrap_err();
            assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(err.en.contains(needle), "{needle}: {}", err.en);
        }
    }

    #[test]
    fn the_payload_of_a_repeated_event_is_identical() {
        let body = br#"{"event_id":"e1","call_id":"c1","type":"answered","at":"2025-03-01T16:00:00+01:00","visitator":"jens"}"#;
        assert_eq!(
            parse_event(body).unwrap().payload(),
            parse_event(body).unwrap().payload()
        );
    }
}
