//! The visitator's desk: take a call (the next one, or a given one), see it with the caller's
//! earlier contacts this shift, record the triage, and act on it (book a slot, send a car,
//! start a video consultation); the drivers' dispatch list; going on and off duty.
//!
//! Each action is one transaction that also writes its audit row; the JSON handlers at the end
//! (`/api/v1/vagt/...`) and the form handlers in `pages.rs` both call these functions.

use super::intake::optional_text;
use super::model::{
    CallState, Rule, Shift, Urgency, VisitStatus, mask_phone, parse_triage_outcome,
};
use super::{Vagt, VagtError, begin_write, clock};
use crate::AppState;
use crate::auth::{CurrentUser, Role, random_hex};
use crate::db::{AuditEntry, Backend, Db, Tx, audit};
use almen_core::{Cpr, Timestamp};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

/// Who takes calls.
pub(crate) const TAKERS: &[Role] = &[Role::Visitator];
/// Who may open a call and act on it: the visitators, and the coordinator who helps them.
pub(crate) const TRIAGERS: &[Role] = &[Role::Visitator, Role::Coordinator];
/// Who works the dispatch list.
pub(crate) const DISPATCH: &[Role] = &[Role::Driver, Role::Coordinator, Role::Visitator];
/// Who moves a home visit on.
pub(crate) const DRIVERS: &[Role] = &[Role::Driver, Role::Coordinator];

/// Why an audit row names a caller: the work of telephone triage.
const REASON: &str = "telefonisk visitation (lægevagten)";

pub(crate) fn unknown_call(call_id: &str) -> Rule {
    Rule::not_found(
        "unknown_call",
        format!("there is no call {call_id:?}"),
        format!("der er intet opkald {call_id:?}"),
    )
}

pub(crate) fn not_answered(call_id: &str) -> Rule {
    Rule::conflict(
        "call_not_answered",
        format!("call {call_id:?} has not been answered: take it first"),
        format!("opkaldet {call_id:?} er ikke besvaret: tag det først"),
    )
}

fn abandoned(call_id: &str) -> Rule {
    Rule::conflict(
        "call_abandoned",
        format!("call {call_id:?} was abandoned before anyone answered"),
        format!("opkaldet {call_id:?} blev opgivet, før nogen svarede"),
    )
}

/// A call as the visitator sees it. The caller's number is in full: the visitator may have to
/// call back. Times are RFC 3339 in JSON.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CallView {
    pub call_id: String,
    pub state: &'static str,
    pub urgent: bool,
    pub caller_number: Option<String>,
    pub district: Option<String>,
    pub received_at: Timestamp,
    pub answered_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub visitator: Option<String>,
    pub patient_cpr: Option<String>,
    pub presenting_problem: Option<String>,
    pub urgency: Option<String>,
    pub outcome: Option<String>,
    pub note: Option<String>,
    pub triaged_at: Option<Timestamp>,
    pub triaged_by: Option<String>,
    pub booked_for: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub visit_started_at: Option<Timestamp>,
    pub video_link: Option<String>,
    pub booking: Option<BookingView>,
    pub home_visit: Option<VisitView>,
}

impl CallView {
    /// Whom the audit log names for this call: the patient's CPR once known, else the number
    /// that called.
    pub fn patient_ref(&self) -> Option<String> {
        patient_ref(self.patient_cpr.as_deref(), self.caller_number.as_deref())
    }

    pub fn state(&self) -> CallState {
        CallState::parse(self.state).unwrap_or(CallState::Queued)
    }
}

fn patient_ref(cpr: Option<&str>, number: Option<&str>) -> Option<String> {
    cpr.map(str::to_string)
        .or_else(|| number.map(|n| format!("tel:{n}")))
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct BookingView {
    pub id: i64,
    pub slot_id: i64,
    pub site: String,
    pub site_name: String,
    pub starts_at: Timestamp,
    pub doctor: String,
    pub finished_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct VisitView {
    pub id: i64,
    pub call_id: String,
    pub status: &'static str,
    pub unit: Option<String>,
    pub unit_name: Option<String>,
    pub address: Option<String>,
    pub district: Option<String>,
    pub triaged_at: Timestamp,
    /// The 3-hour target: the visit should start by then.
    pub deadline: Timestamp,
    pub arrived_at: Option<Timestamp>,
    /// The call's caller, masked: the list is not a patient record.
    pub caller: String,
    pub urgency: Option<String>,
    pub presenting_problem: Option<String>,
}

const CALL_COLUMNS: &str = "call_id, state, urgent, caller_number, district, received_at, \
     answered_at, ended_at, visitator, visitator_user_id, patient_ref, presenting_problem, urgency, \
     outcome, note, triaged_at, triaged_by, booked_for, finished_at, visit_started_at, video_link";

fn ts(v: Option<i64>) -> Option<Timestamp> {
    v.map(Timestamp::from_unix)
}

fn call_from_row(r: &AnyRow) -> Result<CallView, sqlx::Error> {
    let state: String = r.try_get(1)?;
    Ok(CallView {
        call_id: r.try_get(0)?,
        state: CallState::parse(&state).map_or("queued", CallState::as_str),
        urgent: r.try_get::<i64, _>(2)? != 0,
        caller_number: r.try_get(3)?,
        district: r.try_get(4)?,
        received_at: Timestamp::from_unix(r.try_get(5)?),
        answered_at: ts(r.try_get(6)?),
        ended_at: ts(r.try_get(7)?),
        visitator: r.try_get(8)?,
        patient_cpr: r.try_get(10)?,
        presenting_problem: r.try_get(11)?,
        urgency: r.try_get(12)?,
        outcome: r.try_get(13)?,
        note: r.try_get(14)?,
        triaged_at: ts(r.try_get(15)?),
        triaged_by: r.try_get(16)?,
        booked_for: ts(r.try_get(17)?),
        finished_at: ts(r.try_get(18)?),
        visit_started_at: ts(r.try_get(19)?),
        video_link: r.try_get(20)?,
        booking: None,
        home_visit: None,
    })
}

/// The call with its booking and home visit, read inside `tx`.
pub(crate) async fn load_call(
    tx: &mut Tx<'_>,
    call_id: &str,
) -> Result<Option<CallView>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {CALL_COLUMNS} FROM vagt_calls WHERE call_id = $1"
    ))
    .bind(call_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut call = call_from_row(&row)?;
    let booking = sqlx::query(
        "SELECT b.id, b.slot_id, s.code, s.name, sl.starts_at, sl.doctor, b.finished_at \
         FROM vagt_bookings b JOIN vagt_slots sl ON sl.id = b.slot_id \
         JOIN vagt_sites s ON s.id = sl.site_id WHERE b.call_id = $1",
    )
    .bind(call_id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(b) = booking {
        call.booking = Some(BookingView {
            id: b.try_get(0)?,
            slot_id: b.try_get(1)?,
            site: b.try_get(2)?,
            site_name: b.try_get(3)?,
            starts_at: Timestamp::from_unix(b.try_get(4)?),
            doctor: b.try_get(5)?,
            finished_at: ts(b.try_get(6)?),
        });
    }
    let visits = query_visits(&mut **tx, Some(call_id), None, false).await?;
    call.home_visit = visits.into_iter().next();
    Ok(Some(call))
}

const VISIT_QUERY: &str = "SELECT v.id, v.call_id, v.status, u.code, u.name, v.address, c.district, \
     v.triaged_at, v.arrived_at, c.caller_number, c.urgency, c.presenting_problem \
     FROM vagt_home_visits v JOIN vagt_calls c ON c.call_id = v.call_id \
     LEFT JOIN vagt_units u ON u.id = v.unit_id";

/// Home visits: of one call, or the open ones (and, with `with_done`, those done in the last
/// 12 hours), oldest triage first.
async fn query_visits<'e, E>(
    executor: E,
    call_id: Option<&str>,
    since: Option<Timestamp>,
    with_done: bool,
) -> Result<Vec<VisitView>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = match call_id {
        Some(id) => {
            sqlx::query(&format!("{VISIT_QUERY} WHERE v.call_id = $1"))
                .bind(id.to_string())
                .fetch_all(executor)
                .await?
        }
        None => {
            sqlx::query(&format!(
                "{VISIT_QUERY} WHERE v.status <> 'done' OR ($2 = 1 AND v.updated_at >= $1) \
                 ORDER BY v.triaged_at, v.id"
            ))
            .bind(since.map_or(0, |t| t.unix()))
            .bind(i64::from(with_done))
            .fetch_all(executor)
            .await?
        }
    };
    rows.iter()
        .map(|r| {
            let triaged = Timestamp::from_unix(r.try_get(7)?);
            let status: String = r.try_get(2)?;
            let caller: Option<String> = r.try_get(9)?;
            Ok(VisitView {
                id: r.try_get(0)?,
                call_id: r.try_get(1)?,
                status: VisitStatus::parse(&status).map_or("planned", VisitStatus::as_str),
                unit: r.try_get(3)?,
                unit_name: r.try_get(4)?,
                address: r.try_get(5)?,
                district: r.try_get(6)?,
                triaged_at: triaged,
                deadline: triaged.plus_seconds(almen_kpi::HOME_VISIT_LIMIT_S),
                arrived_at: ts(r.try_get(8)?),
                caller: caller.as_deref().map(mask_phone).unwrap_or_default(),
                urgency: r.try_get(10)?,
                presenting_problem: r.try_get(11)?,
            })
        })
        .collect()
}

/// An earlier call from the same number or patient in the same shift.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Contact {
    pub call_id: String,
    pub received_at: Timestamp,
    pub state: String,
    pub outcome: Option<String>,
    pub presenting_problem: Option<String>,
    pub visitator: Option<String>,
}

async fn previous_contacts(
    tx: &mut Tx<'_>,
    call: &CallView,
    shift: Shift,
) -> Result<Vec<Contact>, sqlx::Error> {
    if call.caller_number.is_none() && call.patient_cpr.is_none() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(
        "SELECT call_id, received_at, state, outcome, presenting_problem, visitator FROM vagt_calls \
         WHERE call_id <> $1 AND received_at >= $2 AND received_at < $3 \
         AND ((caller_number IS NOT NULL AND caller_number = $4) OR (patient_ref IS NOT NULL AND patient_ref = $5)) \
         ORDER BY received_at DESC LIMIT 20",
    )
    .bind(&call.call_id)
    .bind(shift.starts_at.unix())
    .bind(shift.ends_at.unix())
    .bind(&call.caller_number)
    .bind(&call.patient_cpr)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Contact {
                call_id: r.try_get(0)?,
                received_at: Timestamp::from_unix(r.try_get(1)?),
                state: r.try_get(2)?,
                outcome: r.try_get(3)?,
                presenting_problem: r.try_get(4)?,
                visitator: r.try_get(5)?,
            })
        })
        .collect()
}

/// A call opened by a visitator: the call, the caller's earlier contacts this shift, and the
/// service clock's time. Logged as `vagt.call.view` before it is returned.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct OpenedCall {
    pub call: CallView,
    pub previous_contacts: Vec<Contact>,
    pub now: Timestamp,
}

pub(crate) async fn open_call(
    db: &Db,
    user: &CurrentUser,
    call_id: &str,
) -> Result<OpenedCall, VagtError> {
    let now = clock(db).await?;
    // The audit row is written after the reads: on SQLite the transaction must hold the write
    // lock from the start (see `begin_write`).
    let mut tx = begin_write(db).await?;
    let Some(call) = load_call(&mut tx, call_id).await? else {
        tx.rollback().await?;
        return Err(unknown_call(call_id).into());
    };
    let previous_contacts = previous_contacts(&mut tx, &call, Shift::at(now)).await?;
    let mut entry = AuditEntry::new(user, "vagt.call.view").detail(json!({
        "call_id": call.call_id,
        "previous_contacts": previous_contacts.len(),
    }));
    if let Some(p) = call.patient_ref() {
        entry = entry.patient(p).reason(REASON);
    }
    audit(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(OpenedCall {
        call,
        previous_contacts,
        now,
    })
}

/// Signs the user on for the shift (idempotent).
async fn sign_on(tx: &mut Tx<'_>, user: &CurrentUser, now: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO vagt_duty (user_id, since) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(user.id)
    .bind(now.unix())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Goes on or off duty.
pub(crate) async fn set_duty(db: &Db, user: &CurrentUser, on: bool) -> Result<(), VagtError> {
    let now = clock(db).await?;
    let mut tx = begin_write(db).await?;
    if on {
        sign_on(&mut tx, user, now).await?;
    } else {
        sqlx::query("DELETE FROM vagt_duty WHERE user_id = $1")
            .bind(user.id)
            .execute(&mut **tx)
            .await?;
    }
    audit(
        &mut tx,
        AuditEntry::new(user, if on { "vagt.duty.on" } else { "vagt.duty.off" }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Answers the call `call_id` in `tx` if it is still waiting; `true` if this transaction got it.
async fn claim(
    tx: &mut Tx<'_>,
    user: &CurrentUser,
    call_id: &str,
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    let res = sqlx::query(
        "UPDATE vagt_calls SET state = 'answered', answered_at = COALESCE(answered_at, $1), \
         visitator = $2, visitator_user_id = $3, version = version + 1 \
         WHERE call_id = $4 AND state IN ('queued', 'offered')",
    )
    .bind(now.unix())
    .bind(&user.username)
    .bind(user.id)
    .bind(call_id)
    .execute(&mut **tx)
    .await?;
    Ok(res.rows_affected() == 1)
}

async fn log_take(tx: &mut Tx<'_>, user: &CurrentUser, call_id: &str) -> Result<(), VagtError> {
    let row = sqlx::query("SELECT caller_number, patient_ref FROM vagt_calls WHERE call_id = $1")
        .bind(call_id)
        .fetch_one(&mut **tx)
        .await?;
    let number: Option<String> = row.try_get(0)?;
    let cpr: Option<String> = row.try_get(1)?;
    let mut entry = AuditEntry::new(user, "vagt.call.take").detail(json!({ "call_id": call_id }));
    if let Some(p) = patient_ref(cpr.as_deref(), number.as_deref()) {
        entry = entry.patient(p).reason(REASON);
    }
    audit(tx, entry).await?;
    Ok(())
}

/// How often a visitator who lost a race for the head of the queue tries the next call.
const TAKE_ATTEMPTS: usize = 20;

/// Takes the next waiting call (urgent first, then the longest waiting) for `user`; `None`
/// when the queue is empty. Two visitators who ask at once get different calls.
pub(crate) async fn take_next(db: &Db, user: &CurrentUser) -> Result<Option<String>, VagtError> {
    let now = clock(db).await?;
    // PostgreSQL lets a visitator skip a row another one is taking instead of waiting for it.
    let skip = match db.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE vagt_calls SET state = 'answered', answered_at = COALESCE(answered_at, $1), \
         visitator = $2, visitator_user_id = $3, version = version + 1 \
         WHERE id = (SELECT id FROM vagt_calls WHERE state IN ('queued', 'offered') \
                     ORDER BY urgent DESC, received_at, id LIMIT 1{skip}) \
         AND state IN ('queued', 'offered') RETURNING call_id"
    );
    for _ in 0..TAKE_ATTEMPTS {
        let mut tx = begin_write(db).await?;
        let taken = sqlx::query(&sql)
            .bind(now.unix())
            .bind(&user.username)
            .bind(user.id)
            .fetch_optional(&mut **tx)
            .await?;
        if let Some(row) = taken {
            let call_id: String = row.try_get(0)?;
            sign_on(&mut tx, user, now).await?;
            log_take(&mut tx, user, &call_id).await?;
            tx.commit().await?;
            return Ok(Some(call_id));
        }
        let waiting =
            sqlx::query("SELECT id FROM vagt_calls WHERE state IN ('queued', 'offered') LIMIT 1")
                .fetch_optional(&mut **tx)
                .await?
                .is_some();
        tx.rollback().await?;
        if !waiting {
            return Ok(None);
        }
        // Another visitator took the head of the queue between our read and our write.
        tokio::task::yield_now().await;
    }
    Ok(None)
}

/// Takes the call `call_id`, if it is still waiting.
pub(crate) async fn take(db: &Db, user: &CurrentUser, call_id: &str) -> Result<(), VagtError> {
    let now = clock(db).await?;
    let mut tx = begin_write(db).await?;
    if claim(&mut tx, user, call_id, now).await? {
        sign_on(&mut tx, user, now).await?;
        log_take(&mut tx, user, call_id).await?;
        tx.commit().await?;
        return Ok(());
    }
    let row = sqlx::query("SELECT state, visitator FROM vagt_calls WHERE call_id = $1")
        .bind(call_id)
        .fetch_optional(&mut **tx)
        .await?;
    tx.rollback().await?;
    let Some(row) = row else {
        return Err(unknown_call(call_id).into());
    };
    let state: String = row.try_get(0)?;
    let by: Option<String> = row.try_get(1)?;
    Err(Rule::conflict(
        "call_taken",
        format!(
            "call {call_id:?} is no longer waiting ({state}{})",
            by.as_deref().map(|b| format!(", {b}")).unwrap_or_default()
        ),
        format!(
            "opkaldet {call_id:?} venter ikke længere ({state}{})",
            by.as_deref().map(|b| format!(", {b}")).unwrap_or_default()
        ),
    )
    .into())
}

/// Ends a call the visitator has finished (when the phone system does not report the end
/// itself; its later `ended` event only confirms it).
pub(crate) async fn end_call(db: &Db, user: &CurrentUser, call_id: &str) -> Result<(), VagtError> {
    let now = clock(db).await?;
    let mut tx = begin_write(db).await?;
    let result: Result<(), VagtError> = async {
        let call = answered_call(&mut tx, call_id).await?;
        if call.state().is_closed() {
            return Ok(());
        }
        sqlx::query(
            "UPDATE vagt_calls SET state = 'ended', ended_at = $1, version = version + 1 \
             WHERE call_id = $2 AND state IN ('answered', 'transferred')",
        )
        .bind(now.unix())
        .bind(call_id)
        .execute(&mut **tx)
        .await?;
        audit(
            &mut tx,
            AuditEntry::new(user, "vagt.call.end").detail(json!({ "call_id": call_id })),
        )
        .await?;
        Ok(())
    }
    .await;
    finish_tx(tx, result).await
}

/// A triage as the visitator records it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TriageInput {
    #[serde(default)]
    pub patient_cpr: Option<String>,
    #[serde(default)]
    pub presenting_problem: Option<String>,
    #[serde(default)]
    pub urgency: Option<String>,
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

fn field_rule(field: &str, en: &str, da: &str) -> Rule {
    Rule::invalid(
        "invalid_request",
        format!("{field}: {en}"),
        format!("{field}: {da}"),
    )
}

/// Loads the call for an action that needs it answered (not abandoned).
async fn answered_call(tx: &mut Tx<'_>, call_id: &str) -> Result<CallView, VagtError> {
    let Some(call) = load_call(tx, call_id).await? else {
        return Err(unknown_call(call_id).into());
    };
    if call.state() == CallState::Abandoned {
        return Err(abandoned(call_id).into());
    }
    if call.answered_at.is_none() {
        return Err(not_answered(call_id).into());
    }
    Ok(call)
}

/// Records the triage of an answered call, with its audit row (`vagt.triage.record`).
pub(crate) async fn triage(
    db: &Db,
    user: &CurrentUser,
    call_id: &str,
    input: TriageInput,
) -> Result<(), VagtError> {
    let problem = optional_text("presenting_problem", input.presenting_problem, 500)?
        .ok_or_else(|| field_rule("presenting_problem", "required", "skal udfyldes"))?;
    let urgency = input
        .urgency
        .as_deref()
        .and_then(Urgency::parse)
        .ok_or_else(|| {
            field_rule(
                "urgency",
                "one of acute, urgent, non_urgent",
                "en af acute, urgent, non_urgent",
            )
        })?;
    let outcome = input
        .outcome
        .as_deref()
        .and_then(parse_triage_outcome)
        .ok_or_else(|| {
            field_rule(
                "outcome",
                "one of advice, consultation, home_visit, video, referral, ambulance",
                "en af advice, consultation, home_visit, video, referral, ambulance",
            )
        })?;
    let note = optional_text("note", input.note, 5000)?;
    let cpr = match optional_text("patient_cpr", input.patient_cpr, 20)? {
        Some(c) => Some(
            Cpr::parse(&c)
                .map_err(|_| field_rule("patient_cpr", "not a CPR number", "ikke et CPR-nummer"))?
                .full(),
        ),
        None => None,
    };
    let now = clock(db).await?;
    let mut tx = begin_write(db).await?;
    let call = match answered_call(&mut tx, call_id).await {
        Ok(c) => c,
        Err(e) => {
            tx.rollback().await?;
            return Err(e);
        }
    };
    sqlx::query(
        "UPDATE vagt_calls SET patient_ref = COALESCE($1, patient_ref), presenting_problem = $2, \
         urgency = $3, outcome = $4, note = $5, triaged_at = $6, triaged_by = $7, \
         version = version + 1 WHERE call_id = $8",
    )
    .bind(&cpr)
    .bind(&problem)
    .bind(urgency.as_str())
    .bind(outcome.as_str())
    .bind(&note)
    .bind(now.unix())
    .bind(&user.username)
    .bind(call_id)
    .execute(&mut **tx)
    .await?;
    let mut entry = AuditEntry::new(user, "vagt.triage.record").detail(json!({
        "call_id": call_id,
        "urgency": urgency.as_str(),
        "outcome": outcome.as_str(),
        "note": note.is_some(),
    }));
    if let Some(p) = patient_ref(
        cpr.as_deref().or(call.patient_cpr.as_deref()),
        call.caller_number.as_deref(),
    ) {
        entry = entry.patient(p).reason(REASON);
    }
    audit(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// A bookable slot.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SlotView {
    pub id: i64,
    pub site: String,
    pub site_name: String,
    pub starts_at: Timestamp,
    pub minutes: i64,
    pub doctor: String,
}

/// Free slots that start from `now` and within 12 hours, optionally at one site. (A slot
/// that has begun may still be booked by id until it ends, but is not offered: the patient
/// has to get there.)
pub(crate) async fn free_slots(
    db: &Db,
    now: Timestamp,
    site: Option<&str>,
) -> Result<Vec<SlotView>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT sl.id, s.code, s.name, sl.starts_at, sl.minutes, sl.doctor FROM vagt_slots sl \
         JOIN vagt_sites s ON s.id = sl.site_id \
         LEFT JOIN vagt_bookings b ON b.slot_id = sl.id \
         WHERE b.id IS NULL AND sl.starts_at >= $1 AND sl.starts_at < $2 \
         AND ($3 = '' OR s.code = $3) ORDER BY sl.starts_at, s.code LIMIT 200",
    )
    .bind(now.unix())
    .bind(now.plus_seconds(12 * 3600).unix())
    .bind(site.unwrap_or("").to_string())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SlotView {
                id: r.try_get(0)?,
                site: r.try_get(1)?,
                site_name: r.try_get(2)?,
                starts_at: Timestamp::from_unix(r.try_get(3)?),
                minutes: r.try_get(4)?,
                doctor: r.try_get(5)?,
            })
        })
        .collect()
}

/// Books `slot_id` for the call. The unique slot in `vagt_bookings` makes a second booking of
/// the same slot fail whatever the timing; it is reported as `slot_taken`.
pub(crate) async fn book(
    db: &Db,
    user: &CurrentUser,
    call_id: &str,
    slot_id: i64,
) -> Result<BookingView, VagtError> {
    let now = clock(db).await?;
    let mut tx = begin_write(db).await?;
    let result = book_in(&mut tx, user, call_id, slot_id, now).await;
    match result {
        Ok(b) => {
            tx.commit().await?;
            Ok(b)
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e)
        }
    }
}

async fn book_in(
    tx: &mut Tx<'_>,
    user: &CurrentUser,
    call_id: &str,
    slot_id: i64,
    now: Timestamp,
) -> Result<BookingView, VagtError> {
    let call = answered_call(tx, call_id).await?;
    let slot = sqlx::query(
        "SELECT s.code, s.name, sl.starts_at, sl.minutes, sl.doctor FROM vagt_slots sl \
         JOIN vagt_sites s ON s.id = sl.site_id WHERE sl.id = $1",
    )
    .bind(slot_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| {
        Rule::not_found(
            "unknown_slot",
            format!("there is no slot {slot_id}"),
            format!("der er ingen tid {slot_id}"),
        )
    })?;
    let starts_at = Timestamp::from_unix(slot.try_get(2)?);
    let minutes: i64 = slot.try_get(3)?;
    if starts_at.plus_seconds(minutes * 60) <= now {
        return Err(Rule::conflict(
            "slot_past",
            format!("slot {slot_id} has already ended"),
            format!("tiden {slot_id} er allerede forbi"),
        )
        .into());
    }
    let inserted = sqlx::query(
        "INSERT INTO vagt_bookings (slot_id, call_id, booked_by, booked_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(slot_id)
    .bind(call_id)
    .bind(&user.username)
    .bind(now.unix())
    .fetch_optional(&mut **tx)
    .await?;
    let Some(inserted) = inserted else {
        return Err(if call.booking.is_some() {
            Rule::conflict(
                "call_already_booked",
                format!("call {call_id:?} already has a booked consultation"),
                format!("opkaldet {call_id:?} har allerede en booket konsultation"),
            )
        } else {
            Rule::conflict(
                "slot_taken",
                format!("slot {slot_id} was booked by someone else: choose another"),
                format!("tiden {slot_id} er booket af en anden: vælg en anden tid"),
            )
        }
        .into());
    };
    sqlx::query(
        "UPDATE vagt_calls SET outcome = 'consultation', booked_for = $1, version = version + 1 \
         WHERE call_id = $2",
    )
    .bind(starts_at.unix())
    .bind(call_id)
    .execute(&mut **tx)
    .await?;
    let mut entry = AuditEntry::new(user, "vagt.booking.create")
        .detail(json!({ "call_id": call_id, "slot_id": slot_id }));
    if let Some(p) = call.patient_ref() {
        entry = entry.patient(p).reason(REASON);
    }
    audit(tx, entry).await?;
    Ok(BookingView {
        id: inserted.try_get(0)?,
        slot_id,
        site: slot.try_get(0)?,
        site_name: slot.try_get(1)?,
        starts_at,
        doctor: slot.try_get(4)?,
        finished_at: None,
    })
}

/// Records that a booked consultation finished (for the 1-hour target).
pub(crate) async fn finish_consultation(
    db: &Db,
    user: &CurrentUser,
    booking_id: i64,
) -> Result<(), VagtError> {
    let now = clock(db).await?;
    let mut tx = begin_write(db).await?;
    let row = sqlx::query(
        "UPDATE vagt_bookings SET finished_at = COALESCE(finished_at, $1) WHERE id = $2 RETURNING call_id, finished_at",
    )
    .bind(now.unix())
    .bind(booking_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        tx.rollback().await?;
        return Err(Rule::not_found(
            "unknown_booking",
            format!("there is no booking {booking_id}"),
            format!("der er ingen booking {booking_id}"),
        )
        .into());
    };
    let call_id: String = row.try_get(0)?;
    let finished: i64 = row.try_get(1)?;
    sqlx::query("UPDATE vagt_calls SET finished_at = $1, version = version + 1 WHERE call_id = $2")
        .bind(finished)
        .bind(&call_id)
        .execute(&mut **tx)
        .await?;
    audit(
        &mut tx,
        AuditEntry::new(user, "vagt.booking.finished")
            .detail(json!({ "call_id": call_id, "booking_id": booking_id })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A driving unit.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct UnitView {
    pub id: i64,
    pub code: String,
    pub name: String,
}

pub(crate) async fn units(db: &Db) -> Result<Vec<UnitView>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, code, name FROM vagt_units ORDER BY code")
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(UnitView {
                id: r.try_get(0)?,
                code: r.try_get(1)?,
                name: r.try_get(2)?,
            })
        })
        .collect()
}

async fn unit_id(tx: &mut Tx<'_>, code: &str) -> Result<i64, VagtError> {
    let row = sqlx::query("SELECT id FROM vagt_units WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?;
    match row {
        Some(r) => Ok(r.try_get(0)?),
        None => Err(Rule::not_found(
            "unknown_unit",
            format!("there is no driving unit {code:?}"),
            format!("der er ingen vagtbil {code:?}"),
        )
        .into()),
    }
}

/// A home visit as the visitator orders it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HomeVisitInput {
    /// A unit's code; none leaves the visit for the coordinator to assign.
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

/// Puts the call on the dispatch list as a planned home visit; the 3-hour target counts from
/// now (the triage).
pub(crate) async fn create_home_visit(
    db: &Db,
    user: &CurrentUser,
    call_id: &str,
    input: HomeVisitInput,
) -> Result<i64, VagtError> {
    let address = optional_text("address", input.address, 200)?;
    let unit = optional_text("unit", input.unit, 40)?;
    let now = clock(db).await?;
    let mut tx = begin_write(db).await?;
    let result: Result<i64, VagtError> = async {
        let call = answered_call(&mut tx, call_id).await?;
        let unit_id = match &unit {
            Some(code) => Some(unit_id(&mut tx, code).await?),
            None => None,
        };
        let row = sqlx::query(
            "INSERT INTO vagt_home_visits (call_id, unit_id, status, address, triaged_at, created_by, updated_at) \
             VALUES ($1, $2, 'planned', $3, $4, $5, $4) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(call_id)
        .bind(unit_id)
        .bind(&address)
        .bind(now.unix())
        .bind(&user.username)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| {
            Rule::conflict(
                "home_visit_exists",
                format!("call {call_id:?} already has a home visit"),
                format!("opkaldet {call_id:?} har allerede et sygebesøg"),
            )
        })?;
        sqlx::query(
            "UPDATE vagt_calls SET outcome = 'home_visit', version = version + 1 WHERE call_id = $1",
        )
        .bind(call_id)
        .execute(&mut **tx)
        .await?;
        let mut entry = AuditEntry::new(user, "vagt.home_visit.create")
            .detail(json!({ "call_id": call_id, "unit": unit }));
        if let Some(p) = call.patient_ref() {
            entry = entry.patient(p).reason(REASON);
        }
        audit(&mut tx, entry).await?;
        Ok(row.try_get(0)?)
    }
    .await;
    finish_tx(tx, result).await
}

/// Commits on success, rolls back on error.
async fn finish_tx<T>(tx: super::WriteTx, result: Result<T, VagtError>) -> Result<T, VagtError> {
    match result {
        Ok(v) => {
            tx.commit().await?;
            Ok(v)
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e)
        }
    }
}

/// Where video consultations take place. No video service is connected yet: the link names a
/// fresh room that the service's video provider would host.
pub(crate) const VIDEO_BASE: &str = "https://video.almen.invalid/rum";

/// Starts a video consultation: a link with a random room, kept on the call.
pub(crate) async fn start_video(
    db: &Db,
    user: &CurrentUser,
    call_id: &str,
) -> Result<String, VagtError> {
    let mut tx = begin_write(db).await?;
    let result: Result<String, VagtError> = async {
        let call = answered_call(&mut tx, call_id).await?;
        if let Some(link) = call.video_link.clone() {
            return Ok(link);
        }
        let link = format!("{VIDEO_BASE}/{}", random_hex(16));
        sqlx::query(
            "UPDATE vagt_calls SET video_link = $1, outcome = 'video', version = version + 1 \
             WHERE call_id = $2",
        )
        .bind(&link)
        .bind(call_id)
        .execute(&mut **tx)
        .await?;
        let mut entry =
            AuditEntry::new(user, "vagt.video.create").detail(json!({ "call_id": call_id }));
        if let Some(p) = call.patient_ref() {
            entry = entry.patient(p).reason(REASON);
        }
        audit(&mut tx, entry).await?;
        Ok(link)
    }
    .await;
    finish_tx(tx, result).await
}

/// The dispatch list: open home visits (and those done in the last 12 hours), oldest triage
/// first, optionally of one unit (`unassigned` for those without a unit).
pub(crate) async fn dispatch_list(
    db: &Db,
    user: &CurrentUser,
    unit: Option<&str>,
    now: Timestamp,
) -> Result<Vec<VisitView>, VagtError> {
    let mut tx = begin_write(db).await?;
    let mut visits =
        query_visits(&mut **tx, None, Some(now.plus_seconds(-12 * 3600)), true).await?;
    if let Some(u) = unit {
        visits.retain(|v| match &v.unit {
            Some(code) => code == u,
            None => u == "unassigned",
        });
    }
    // The list names addresses: who saw it is logged, with how many visits it showed.
    audit(
        &mut tx,
        AuditEntry::new(user, "vagt.visits.view")
            .detail(json!({ "unit": unit, "visits": visits.len() })),
    )
    .await?;
    tx.commit().await?;
    Ok(visits)
}

/// Moves a home visit forward to `status` (never back). `arrived` is when the visit started
/// (the 3-hour target's end).
pub(crate) async fn set_visit_status(
    db: &Db,
    user: &CurrentUser,
    visit_id: i64,
    status: VisitStatus,
) -> Result<(), VagtError> {
    let now = clock(db).await?;
    let mut tx = begin_write(db).await?;
    let result: Result<(), VagtError> = async {
        let row = sqlx::query("SELECT status, call_id FROM vagt_home_visits WHERE id = $1")
            .bind(visit_id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| {
                Rule::not_found(
                    "unknown_visit",
                    format!("there is no home visit {visit_id}"),
                    format!("der er intet sygebesøg {visit_id}"),
                )
            })?;
        let current: String = row.try_get(0)?;
        let call_id: String = row.try_get(1)?;
        let current = VisitStatus::parse(&current).unwrap_or(VisitStatus::Planned);
        if status <= current {
            return Err(Rule::conflict(
                "visit_status_backwards",
                format!(
                    "home visit {visit_id} is {}: it can only move forward",
                    current.as_str()
                ),
                format!(
                    "sygebesøg {visit_id} er {}: status kan kun gå fremad",
                    current.as_str()
                ),
            )
            .into());
        }
        let column = match status {
            VisitStatus::OnTheWay => "departed_at",
            VisitStatus::Arrived => "arrived_at",
            VisitStatus::Done | VisitStatus::Planned => "done_at",
        };
        sqlx::query(&format!(
            "UPDATE vagt_home_visits SET status = $1, {column} = $2, updated_at = $2 WHERE id = $3"
        ))
        .bind(status.as_str())
        .bind(now.unix())
        .bind(visit_id)
        .execute(&mut **tx)
        .await?;
        if status >= VisitStatus::Arrived {
            sqlx::query(
                "UPDATE vagt_calls SET visit_started_at = COALESCE(visit_started_at, $1), \
                 version = version + 1 WHERE call_id = $2",
            )
            .bind(now.unix())
            .bind(&call_id)
            .execute(&mut **tx)
            .await?;
        }
        audit(
            &mut tx,
            AuditEntry::new(user, "vagt.visit.status").detail(json!({
                "visit_id": visit_id,
                "call_id": call_id,
                "status": status.as_str(),
            })),
        )
        .await?;
        Ok(())
    }
    .await;
    finish_tx(tx, result).await
}

/// Gives a home visit to a unit (the coordinator's or visitator's decision).
pub(crate) async fn assign_unit(
    db: &Db,
    user: &CurrentUser,
    visit_id: i64,
    unit: &str,
) -> Result<(), VagtError> {
    let now = clock(db).await?;
    let mut tx = begin_write(db).await?;
    let result: Result<(), VagtError> = async {
        let unit_id = unit_id(&mut tx, unit).await?;
        let res =
            sqlx::query("UPDATE vagt_home_visits SET unit_id = $1, updated_at = $2 WHERE id = $3")
                .bind(unit_id)
                .bind(now.unix())
                .bind(visit_id)
                .execute(&mut **tx)
                .await?;
        if res.rows_affected() == 0 {
            return Err(Rule::not_found(
                "unknown_visit",
                format!("there is no home visit {visit_id}"),
                format!("der er intet sygebesøg {visit_id}"),
            )
            .into());
        }
        audit(
            &mut tx,
            AuditEntry::new(user, "vagt.visit.assign")
                .detail(json!({ "visit_id": visit_id, "unit": unit })),
        )
        .await?;
        Ok(())
    }
    .await;
    finish_tx(tx, result).await
}

/// A JSON request body, or a 422 that says what is wrong with it.
pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Rule> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        Rule::invalid(
            "invalid_request",
            format!("the request body is not what this endpoint takes: {e}"),
            format!("forespørgslens indhold er ikke, hvad adressen tager imod: {e}"),
        )
    })
}

// --- JSON handlers ------------------------------------------------------------------------------

/// `POST /api/v1/vagt/next`: `{"call": {...}}` with the call taken, or `{"call": null}` when
/// the queue is empty.
pub(crate) async fn api_take_next(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    user: CurrentUser,
) -> Result<Response, VagtError> {
    user.require(TAKERS)?;
    let Some(call_id) = take_next(&state.db, &user).await? else {
        return Ok(Json(json!({ "call": null })).into_response());
    };
    vagt.changed();
    let opened = open_call(&state.db, &user, &call_id).await?;
    Ok(
        Json(json!({ "call": opened.call, "previous_contacts": opened.previous_contacts }))
            .into_response(),
    )
}

/// `POST /api/v1/vagt/calls/{call_id}/take`: 200 with the call, 409 `call_taken` when another
/// visitator was first.
pub(crate) async fn api_take(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    Path(call_id): Path<String>,
    user: CurrentUser,
) -> Result<Response, VagtError> {
    user.require(TAKERS)?;
    take(&state.db, &user, &call_id).await?;
    vagt.changed();
    let opened = open_call(&state.db, &user, &call_id).await?;
    Ok(
        Json(json!({ "call": opened.call, "previous_contacts": opened.previous_contacts }))
            .into_response(),
    )
}

/// `GET /api/v1/vagt/calls/{call_id}`: the call and the caller's earlier contacts this shift
/// (logged).
pub(crate) async fn api_call(
    State(state): State<AppState>,
    Path(call_id): Path<String>,
    user: CurrentUser,
) -> Result<Response, VagtError> {
    user.require(TRIAGERS)?;
    let opened = open_call(&state.db, &user, &call_id).await?;
    Ok(Json(opened).into_response())
}

/// `POST /api/v1/vagt/calls/{call_id}/triage` with [`TriageInput`].
pub(crate) async fn api_triage(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    Path(call_id): Path<String>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Response, VagtError> {
    user.require(TRIAGERS)?;
    let input: TriageInput = parse_body(&body)?;
    triage(&state.db, &user, &call_id, input).await?;
    vagt.changed();
    Ok(Json(json!({ "call_id": call_id, "triaged": true })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BookInput {
    slot_id: i64,
}

/// `POST /api/v1/vagt/calls/{call_id}/booking` with `{"slot_id": N}`: 201 with the booking;
/// 409 `slot_taken` or `call_already_booked`.
pub(crate) async fn api_book(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    Path(call_id): Path<String>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Response, VagtError> {
    user.require(TRIAGERS)?;
    let input: BookInput = parse_body(&body)?;
    let booking = book(&state.db, &user, &call_id, input.slot_id).await?;
    vagt.changed();
    Ok((StatusCode::CREATED, Json(json!({ "booking": booking }))).into_response())
}

/// `POST /api/v1/vagt/calls/{call_id}/home-visit` with [`HomeVisitInput`]: 201.
pub(crate) async fn api_home_visit(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    Path(call_id): Path<String>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Response, VagtError> {
    user.require(TRIAGERS)?;
    let input: HomeVisitInput = parse_body(&body)?;
    let id = create_home_visit(&state.db, &user, &call_id, input).await?;
    vagt.changed();
    Ok((
        StatusCode::CREATED,
        Json(json!({ "home_visit_id": id, "status": "planned" })),
    )
        .into_response())
}

/// `POST /api/v1/vagt/calls/{call_id}/end`.
pub(crate) async fn api_end(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    Path(call_id): Path<String>,
    user: CurrentUser,
) -> Result<Response, VagtError> {
    user.require(TRIAGERS)?;
    end_call(&state.db, &user, &call_id).await?;
    vagt.changed();
    Ok(Json(json!({ "call_id": call_id, "state": "ended" })).into_response())
}

/// `POST /api/v1/vagt/calls/{call_id}/video`: 201 with `{"link"}`.
pub(crate) async fn api_video(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    Path(call_id): Path<String>,
    user: CurrentUser,
) -> Result<Response, VagtError> {
    user.require(TRIAGERS)?;
    let link = start_video(&state.db, &user, &call_id).await?;
    vagt.changed();
    Ok((StatusCode::CREATED, Json(json!({ "link": link }))).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct SlotQuery {
    site: Option<String>,
}

/// `GET /api/v1/vagt/slots[?site=CODE]`: free slots from now.
pub(crate) async fn api_slots(
    State(state): State<AppState>,
    Query(q): Query<SlotQuery>,
    user: CurrentUser,
) -> Result<Response, VagtError> {
    user.require(TRIAGERS)?;
    let now = clock(&state.db).await?;
    let slots = free_slots(&state.db, now, q.site.as_deref()).await?;
    Ok(Json(json!({ "now": now, "slots": slots })).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct VisitsQuery {
    pub unit: Option<String>,
}

/// `GET /api/v1/vagt/visits[?unit=CODE|unassigned]`: the dispatch list (logged).
pub(crate) async fn api_visits(
    State(state): State<AppState>,
    Query(q): Query<VisitsQuery>,
    user: CurrentUser,
) -> Result<Response, VagtError> {
    user.require(DISPATCH)?;
    let now = clock(&state.db).await?;
    let visits = dispatch_list(&state.db, &user, q.unit.as_deref(), now).await?;
    Ok(Json(json!({ "now": now, "visits": visits })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusInput {
    status: String,
}

/// `POST /api/v1/vagt/visits/{id}/status` with `{"status": "on_the_way"|"arrived"|"done"}`.
pub(crate) async fn api_visit_status(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    Path(id): Path<i64>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Response, VagtError> {
    user.require(DRIVERS)?;
    let input: StatusInput = parse_body(&body)?;
    let status = VisitStatus::parse(&input.status).ok_or_else(|| {
        field_rule(
            "status",
            "one of planned, on_the_way, arrived, done",
            "en af planned, on_the_way, arrived, done",
        )
    })?;
    set_visit_status(&state.db, &user, id, status).await?;
    vagt.changed();
    Ok(Json(json!({ "id": id, "status": status.as_str() })).into_response())
}

/// `POST /api/v1/vagt/bookings/{id}/finished`.
pub(crate) async fn api_finished(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    Path(id): Path<i64>,
    user: CurrentUser,
) -> Result<Response, VagtError> {
    user.require(TRIAGERS)?;
    finish_consultation(&state.db, &user, id).await?;
    vagt.changed();
    Ok(Json(json!({ "id": id, "finished": true })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DutyInput {
    on: bool,
}

/// `POST /api/v1/vagt/duty` with `{"on": true|false}`.
pub(crate) async fn api_duty(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Response, VagtError> {
    user.require(TAKERS)?;
    let input: DutyInput = parse_body(&body)?;
    set_duty(&state.db, &user, input.on).await?;
    vagt.changed();
    Ok(Json(json!({ "on_duty": input.on })).into_response())
}
