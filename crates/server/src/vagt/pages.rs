//! The module's HTML pages and their forms: `/vagt` (to the page of the user's role), the
//! visitator's screen, a call, and the dispatch list. Forms post back and are redirected
//! (post/redirect/get); a broken rule shows the page again with the rule's message.

use super::board::visit_times;
use super::desk::{
    self, CallView, DISPATCH, DRIVERS, HomeVisitInput, OpenedCall, SlotView, TAKERS, TRIAGERS,
    TriageInput, UnitView, VisitView,
};
use super::model::{
    CallState, Rule, TRIAGE_OUTCOMES, Urgency, VisitStatus, local_hm, mask_phone, minutes_seconds,
};
use super::text::VagtText;
use super::{Vagt, VagtError, clock};
use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::{Page, render};
use almen_core::Timestamp;
use askama::Template;
use axum::Extension;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sqlx::Row;

/// `GET /vagt`: each role to its page.
pub(crate) async fn entry(user: CurrentUser) -> Redirect {
    Redirect::to(match user.role {
        Role::Visitator => "/vagt/visitation",
        Role::Coordinator => "/vagt/board",
        Role::Driver => "/vagt/visits",
        _ => "/vagt/report",
    })
}

/// A form that did not parse is the browser's or a hand-made request's fault: 400.
fn form<T>(f: Result<Form<T>, FormRejection>) -> Result<T, VagtError> {
    f.map(|Form(v)| v).map_err(|e| {
        VagtError::App(AppError::bad_request(
            format!("Formularen kunne ikke læses: {e}"),
            format!("The form could not be read: {e}"),
        ))
    })
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A rule's message in the user's language.
fn message(rule: &Rule, lang: Lang) -> String {
    lang.pick(&rule.da, &rule.en).to_string()
}

// --- the visitator's screen ---------------------------------------------------------------------

struct QueueRow {
    call_id: String,
    caller: String,
    urgent: bool,
    district: String,
    state: &'static str,
    waited: String,
}

struct MyCall {
    call_id: String,
    caller: String,
    state: &'static str,
    answered: String,
    triaged: bool,
}

#[derive(Template)]
#[template(path = "vagt/visitation.html")]
struct VisitationTemplate {
    page: Page,
    vt: &'static VagtText,
    /// The module's other pages for the user's role.
    links: Vec<(&'static str, &'static str)>,
    on_duty: bool,
    queue: Vec<QueueRow>,
    mine: Vec<MyCall>,
    message: Option<String>,
}

async fn visitation_page(
    state: &AppState,
    lang: Lang,
    user: &CurrentUser,
    message: Option<String>,
    status: StatusCode,
) -> Result<Response, VagtError> {
    let vt = VagtText::of(lang);
    let now = clock(&state.db).await?;
    let pool = state.db.pool();
    let on_duty = sqlx::query("SELECT user_id FROM vagt_duty WHERE user_id = $1")
        .bind(user.id)
        .fetch_optional(pool)
        .await?
        .is_some();
    let rows = sqlx::query(
        "SELECT call_id, caller_number, urgent, district, received_at, state FROM vagt_calls \
         WHERE state IN ('queued', 'offered') ORDER BY urgent DESC, received_at, id LIMIT 50",
    )
    .fetch_all(pool)
    .await?;
    let mut queue = Vec::with_capacity(rows.len());
    for r in &rows {
        let number: Option<String> = r.try_get(1)?;
        let state: String = r.try_get(5)?;
        let district: Option<String> = r.try_get(3)?;
        queue.push(QueueRow {
            call_id: r.try_get(0)?,
            caller: number.as_deref().map(mask_phone).unwrap_or_default(),
            urgent: r.try_get::<i64, _>(2)? != 0,
            district: district.unwrap_or_default(),
            state: vt.state(&state),
            waited: minutes_seconds(now.unix() - r.try_get::<i64, _>(4)?),
        });
    }
    // My calls: those I answered that are still open or not yet triaged, newest first.
    let rows = sqlx::query(
        "SELECT call_id, caller_number, state, answered_at, triaged_at FROM vagt_calls \
         WHERE visitator_user_id = $1 AND (state IN ('answered', 'transferred') OR triaged_at IS NULL) \
         AND state <> 'abandoned' ORDER BY answered_at DESC LIMIT 20",
    )
    .bind(user.id)
    .fetch_all(pool)
    .await?;
    let mut mine = Vec::with_capacity(rows.len());
    for r in &rows {
        let number: Option<String> = r.try_get(1)?;
        let state: String = r.try_get(2)?;
        let answered: Option<i64> = r.try_get(3)?;
        mine.push(MyCall {
            call_id: r.try_get(0)?,
            caller: number.unwrap_or_default(),
            state: vt.state(&state),
            answered: answered
                .map(|a| local_hm(Timestamp::from_unix(a)))
                .unwrap_or_default(),
            triaged: r.try_get::<Option<i64>, _>(4)?.is_some(),
        });
    }
    let mut res = render(&VisitationTemplate {
        page: Page::new(state, lang, user, "/vagt/visitation", vt.visitation_title),
        vt,
        links: vt.links(user.role),
        on_duty,
        queue,
        mine,
        message,
    })?;
    *res.status_mut() = status;
    Ok(res)
}

/// `GET /vagt/visitation`.
pub(crate) async fn visitation(
    State(state): State<AppState>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, VagtError> {
    user.require(TRIAGERS)?;
    visitation_page(&state, lang, &user, None, StatusCode::OK).await
}

/// `POST /vagt/visitation/take`: to the call taken, or back with "the queue is empty".
pub(crate) async fn take_next_form(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, VagtError> {
    user.require(TAKERS)?;
    match desk::take_next(&state.db, &user).await? {
        Some(call_id) => {
            vagt.changed();
            Ok(see_other(&format!(
                "/vagt/calls/{}",
                path_segment(&call_id)
            )))
        }
        None => {
            let vt = VagtText::of(lang);
            visitation_page(
                &state,
                lang,
                &user,
                Some(vt.queue_empty.to_string()),
                StatusCode::OK,
            )
            .await
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct DutyForm {
    on: String,
}

/// `POST /vagt/visitation/duty` with `on=true|false`.
pub(crate) async fn duty_form(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    user: CurrentUser,
    f: Result<Form<DutyForm>, FormRejection>,
) -> Result<Response, VagtError> {
    user.require(TAKERS)?;
    let f = form(f)?;
    desk::set_duty(&state.db, &user, f.on == "true").await?;
    vagt.changed();
    Ok(see_other("/vagt/visitation"))
}

// --- a call -------------------------------------------------------------------------------------

struct Choice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

struct SlotChoice {
    id: i64,
    label: String,
}

#[derive(Template)]
#[template(path = "vagt/call.html")]
struct CallTemplate {
    page: Page,
    vt: &'static VagtText,
    /// The module's other pages for the user's role.
    links: Vec<(&'static str, &'static str)>,
    c: CallView,
    received: String,
    answered: String,
    ended: String,
    waited: String,
    contacts: Vec<(String, String, String, String)>,
    urgencies: Vec<Choice>,
    outcomes: Vec<Choice>,
    slots: Vec<SlotChoice>,
    units: Vec<UnitView>,
    booking: Option<String>,
    visit: Option<String>,
    message: Option<String>,
    saved: bool,
    can_take: bool,
    is_open: bool,
    path_id: String,
}

/// A call id in a URL path (ids may hold any printable character).
fn path_segment(id: &str) -> String {
    crate::pages::percent_encode(id).replace('/', "%2F")
}

async fn call_page_with(
    state: &AppState,
    lang: Lang,
    user: &CurrentUser,
    call_id: &str,
    message: Option<String>,
    status: StatusCode,
    saved: bool,
) -> Result<Response, VagtError> {
    let vt = VagtText::of(lang);
    let OpenedCall {
        call,
        previous_contacts,
        now,
    } = desk::open_call(&state.db, user, call_id).await?;
    let slots: Vec<SlotView> = if call.booking.is_none() && call.answered_at.is_some() {
        desk::free_slots(&state.db, now, None).await?
    } else {
        Vec::new()
    };
    let units = desk::units(&state.db).await?;
    let hm = |t: Option<Timestamp>| t.map(local_hm).unwrap_or_default();
    let contacts = previous_contacts
        .iter()
        .map(|p| {
            (
                local_hm(p.received_at),
                vt.state(&p.state).to_string(),
                p.outcome
                    .as_deref()
                    .map(|o| vt.outcome(o))
                    .unwrap_or("")
                    .to_string(),
                p.presenting_problem.clone().unwrap_or_default(),
            )
        })
        .collect();
    let urgencies = Urgency::ALL
        .iter()
        .map(|u| Choice {
            value: u.as_str(),
            label: vt.urgency(u.as_str()),
            selected: call.urgency.as_deref() == Some(u.as_str()),
        })
        .collect();
    let outcomes = TRIAGE_OUTCOMES
        .iter()
        .map(|o| Choice {
            value: o.as_str(),
            label: vt.outcome(o.as_str()),
            selected: call.outcome.as_deref() == Some(o.as_str()),
        })
        .collect();
    let slots = slots
        .iter()
        .map(|s| SlotChoice {
            id: s.id,
            label: format!("{} {} · {}", s.site_name, local_hm(s.starts_at), s.doctor),
        })
        .collect();
    let booking = call.booking.as_ref().map(|b| {
        format!(
            "{} {} · {} {}",
            b.site_name,
            local_hm(b.starts_at),
            b.doctor,
            if b.finished_at.is_some() {
                format!("· {}", vt.finished)
            } else {
                String::new()
            }
        )
    });
    let visit = call.home_visit.as_ref().map(|v: &VisitView| {
        format!(
            "{} · {} · {}",
            vt.visit(v.status),
            v.unit_name.as_deref().unwrap_or(vt.unassigned),
            v.address.as_deref().unwrap_or("")
        )
    });
    let state_ = call.state();
    let waited = minutes_seconds(
        call.received_at
            .seconds_until(call.answered_at.unwrap_or(now)),
    );
    let mut res = render(&CallTemplate {
        page: Page::new(
            state,
            lang,
            user,
            &format!("/vagt/calls/{}", path_segment(&call.call_id)),
            vt.call_title,
        ),
        vt,
        links: vt.links(user.role),
        received: hm(Some(call.received_at)),
        answered: hm(call.answered_at),
        ended: hm(call.ended_at),
        waited,
        contacts,
        urgencies,
        outcomes,
        slots,
        units,
        booking,
        visit,
        message,
        saved,
        can_take: state_.is_waiting() && user.role == Role::Visitator,
        is_open: matches!(state_, CallState::Answered | CallState::Transferred),
        path_id: path_segment(&call.call_id),
        c: call,
    })?;
    *res.status_mut() = status;
    Ok(res)
}

#[derive(Debug, Deserialize)]
pub(crate) struct CallQuery {
    saved: Option<String>,
}

/// `GET /vagt/calls/{call_id}`: the call, opened (and logged).
pub(crate) async fn call_page(
    State(state): State<AppState>,
    Path(call_id): Path<String>,
    Query(q): Query<CallQuery>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, VagtError> {
    user.require(TRIAGERS)?;
    call_page_with(
        &state,
        lang,
        &user,
        &call_id,
        None,
        StatusCode::OK,
        q.saved.is_some(),
    )
    .await
}

/// After a form on a call: back to the call, or the call again with the broken rule's message.
async fn after_call_action(
    state: &AppState,
    vagt: &Vagt,
    lang: Lang,
    user: &CurrentUser,
    call_id: &str,
    result: Result<(), VagtError>,
    saved: bool,
) -> Result<Response, VagtError> {
    match result {
        Ok(()) => {
            vagt.changed();
            let flag = if saved { "?saved=1" } else { "" };
            Ok(see_other(&format!(
                "/vagt/calls/{}{flag}",
                path_segment(call_id)
            )))
        }
        Err(VagtError::Rule(rule)) if rule.status != StatusCode::NOT_FOUND => {
            call_page_with(
                state,
                lang,
                user,
                call_id,
                Some(message(&rule, lang)),
                rule.status,
                false,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// `POST /vagt/calls/{call_id}/take`.
pub(crate) async fn take_form(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    Path(call_id): Path<String>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, VagtError> {
    user.require(TAKERS)?;
    match desk::take(&state.db, &user, &call_id).await {
        Ok(()) => {
            vagt.changed();
            Ok(see_other(&format!(
                "/vagt/calls/{}",
                path_segment(&call_id)
            )))
        }
        // Someone else was first: back to the queue, saying so.
        Err(VagtError::Rule(rule)) => {
            visitation_page(&state, lang, &user, Some(message(&rule, lang)), rule.status).await
        }
        Err(e) => Err(e),
    }
}

/// `POST /vagt/calls/{call_id}/triage`.
pub(crate) async fn triage_form(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    Path(call_id): Path<String>,
    lang: Lang,
    user: CurrentUser,
    f: Result<Form<TriageInput>, FormRejection>,
) -> Result<Response, VagtError> {
    user.require(TRIAGERS)?;
    let input = form(f)?;
    let result = desk::triage(&state.db, &user, &call_id, input).await;
    after_call_action(&state, &vagt, lang, &user, &call_id, result, true).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct BookForm {
    slot_id: i64,
}

/// `POST /vagt/calls/{call_id}/book` with `slot_id`.
pub(crate) async fn book_form(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    Path(call_id): Path<String>,
    lang: Lang,
    user: CurrentUser,
    f: Result<Form<BookForm>, FormRejection>,
) -> Result<Response, VagtError> {
    user.require(TRIAGERS)?;
    let f = form(f)?;
    let result = desk::book(&state.db, &user, &call_id, f.slot_id)
        .await
        .map(|_| ());
    after_call_action(&state, &vagt, lang, &user, &call_id, result, false).await
}

/// `POST /vagt/calls/{call_id}/home-visit` with `unit` (may be empty) and `address`.
pub(crate) async fn home_visit_form(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    Path(call_id): Path<String>,
    lang: Lang,
    user: CurrentUser,
    f: Result<Form<HomeVisitInput>, FormRejection>,
) -> Result<Response, VagtError> {
    user.require(TRIAGERS)?;
    let input = form(f)?;
    let result = desk::create_home_visit(&state.db, &user, &call_id, input)
        .await
        .map(|_| ());
    after_call_action(&state, &vagt, lang, &user, &call_id, result, false).await
}

/// `POST /vagt/calls/{call_id}/video`.
pub(crate) async fn video_form(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    Path(call_id): Path<String>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, VagtError> {
    user.require(TRIAGERS)?;
    let result = desk::start_video(&state.db, &user, &call_id)
        .await
        .map(|_| ());
    after_call_action(&state, &vagt, lang, &user, &call_id, result, false).await
}

/// `POST /vagt/calls/{call_id}/end`.
pub(crate) async fn end_form(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    Path(call_id): Path<String>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, VagtError> {
    user.require(TRIAGERS)?;
    let result = desk::end_call(&state.db, &user, &call_id).await;
    after_call_action(&state, &vagt, lang, &user, &call_id, result, false).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct FinishedForm {
    call_id: String,
}

/// `POST /vagt/bookings/{id}/finished` (from the call page, which names the call to return to).
pub(crate) async fn finished_form(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    Path(id): Path<i64>,
    lang: Lang,
    user: CurrentUser,
    f: Result<Form<FinishedForm>, FormRejection>,
) -> Result<Response, VagtError> {
    user.require(TRIAGERS)?;
    let f = form(f)?;
    let result = desk::finish_consultation(&state.db, &user, id).await;
    after_call_action(&state, &vagt, lang, &user, &f.call_id, result, false).await
}

// --- the dispatch list --------------------------------------------------------------------------

struct VisitRow {
    id: i64,
    call_id: String,
    caller: String,
    district: String,
    address: String,
    unit: String,
    status: &'static str,
    status_code: &'static str,
    since: String,
    left: String,
    over: bool,
    next: Option<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "vagt/visits.html")]
struct VisitsTemplate {
    page: Page,
    vt: &'static VagtText,
    /// The module's other pages for the user's role.
    links: Vec<(&'static str, &'static str)>,
    units: Vec<UnitView>,
    unit: String,
    visits: Vec<VisitRow>,
    can_advance: bool,
    can_assign: bool,
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct UnitQuery {
    unit: Option<String>,
}

async fn visits_page_with(
    state: &AppState,
    lang: Lang,
    user: &CurrentUser,
    unit: Option<String>,
    message: Option<String>,
    status: StatusCode,
) -> Result<Response, VagtError> {
    let vt = VagtText::of(lang);
    let now = clock(&state.db).await?;
    let unit = unit.filter(|u| !u.is_empty());
    let visits = desk::dispatch_list(&state.db, user, unit.as_deref(), now).await?;
    let rows = visits
        .iter()
        .map(|v| {
            let (since, left) = visit_times(v, now);
            let status = VisitStatus::parse(v.status).unwrap_or(VisitStatus::Planned);
            VisitRow {
                id: v.id,
                call_id: v.call_id.clone(),
                caller: v.caller.clone(),
                district: v.district.clone().unwrap_or_default(),
                address: v.address.clone().unwrap_or_default(),
                unit: v
                    .unit_name
                    .clone()
                    .unwrap_or_else(|| vt.unassigned.to_string()),
                status: vt.visit(v.status),
                status_code: v.status,
                since,
                left: super::model::hours_minutes(left.abs()),
                // The limit matters until the doctor arrives.
                over: left < 0 && status < VisitStatus::Arrived,
                next: status.next().map(|n| (n.as_str(), vt.visit(n.as_str()))),
            }
        })
        .collect();
    let mut res = render(&VisitsTemplate {
        page: Page::new(state, lang, user, "/vagt/visits", vt.visits_title),
        vt,
        links: vt.links(user.role),
        units: desk::units(&state.db).await?,
        unit: unit.unwrap_or_default(),
        visits: rows,
        can_advance: DRIVERS.contains(&user.role),
        can_assign: matches!(user.role, Role::Coordinator | Role::Visitator),
        message,
    })?;
    *res.status_mut() = status;
    Ok(res)
}

/// `GET /vagt/visits[?unit=CODE|unassigned]`: the dispatch list (logged).
pub(crate) async fn visits_page(
    State(state): State<AppState>,
    Query(q): Query<UnitQuery>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, VagtError> {
    user.require(DISPATCH)?;
    visits_page_with(&state, lang, &user, q.unit, None, StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct StatusForm {
    status: String,
    #[serde(default)]
    back_unit: Option<String>,
}

/// `POST /vagt/visits/{id}/status` with `status`.
pub(crate) async fn visit_status_form(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    Path(id): Path<i64>,
    lang: Lang,
    user: CurrentUser,
    f: Result<Form<StatusForm>, FormRejection>,
) -> Result<Response, VagtError> {
    user.require(DRIVERS)?;
    let f = form(f)?;
    let Some(status) = VisitStatus::parse(&f.status) else {
        return Err(AppError::bad_request("Ukendt status.", "Unknown status.").into());
    };
    after_visit_action(
        &state,
        &vagt,
        lang,
        &user,
        f.back_unit,
        desk::set_visit_status(&state.db, &user, id, status).await,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(crate) struct AssignForm {
    unit: String,
    #[serde(default)]
    back_unit: Option<String>,
}

/// `POST /vagt/visits/{id}/unit` with `unit`.
pub(crate) async fn visit_unit_form(
    State(state): State<AppState>,
    Extension(vagt): Extension<Vagt>,
    Path(id): Path<i64>,
    lang: Lang,
    user: CurrentUser,
    f: Result<Form<AssignForm>, FormRejection>,
) -> Result<Response, VagtError> {
    user.require(&[Role::Coordinator, Role::Visitator])?;
    let f = form(f)?;
    after_visit_action(
        &state,
        &vagt,
        lang,
        &user,
        f.back_unit,
        desk::assign_unit(&state.db, &user, id, &f.unit).await,
    )
    .await
}

async fn after_visit_action(
    state: &AppState,
    vagt: &Vagt,
    lang: Lang,
    user: &CurrentUser,
    back_unit: Option<String>,
    result: Result<(), VagtError>,
) -> Result<Response, VagtError> {
    let back_unit = back_unit.filter(|u| !u.is_empty());
    match result {
        Ok(()) => {
            vagt.changed();
            Ok(see_other(&match &back_unit {
                Some(u) => format!("/vagt/visits?unit={}", crate::pages::percent_encode(u)),
                None => "/vagt/visits".to_string(),
            }))
        }
        Err(VagtError::Rule(rule)) => {
            visits_page_with(
                state,
                lang,
                user,
                back_unit,
                Some(message(&rule, lang)),
                rule.status,
            )
            .await
        }
        Err(e) => Err(e),
    }
}
