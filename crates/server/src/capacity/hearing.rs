//! The hearing (*høring*): a clinic comments on its computed minimum patient number, an
//! analyst answers and fixes the final number. Every row is appended, never changed (the
//! database refuses UPDATE and DELETE): an answer is a row of its own, a new decision a new
//! version. Each is written in the same transaction as its audit row.
//!
//! `GET /capacity/hearing` (analysts and administrators) lists the open comments, those without
//! an answer; `GET /api/v1/capacity/hearing` gives comments, answers and decisions as JSON (a
//! GP: their own clinics').

use super::text::CapText;
use super::{Capacity, clinic_in, may_comment, may_decide};
use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::db::{AuditEntry, Db, audit};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::{Page, render};
use almen_capacity::Level;
use almen_core::Timestamp;
use askama::Template;
use axum::Extension;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Json, Redirect, Response};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::HashMap;

/// The longest comment, answer or reason.
pub(crate) const MAX_TEXT_CHARS: usize = 4000;
/// The largest final number accepted.
pub(crate) const MAX_FINAL: i64 = 100_000;

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Answer {
    pub id: i64,
    pub comment_id: i64,
    pub answer: String,
    pub author: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Comment {
    pub id: i64,
    pub clinic_id: String,
    /// The clinic's computed minimum when the comment was made (unrounded).
    pub computed_minimum: f64,
    pub comment: String,
    pub author: String,
    pub created_at: i64,
    pub answers: Vec<Answer>,
}

impl Comment {
    pub fn is_open(&self) -> bool {
        self.answers.is_empty()
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct FinalNumber {
    pub clinic_id: String,
    pub version: i64,
    pub final_minimum: i64,
    pub computed_minimum: f64,
    pub reason: String,
    pub decided_by: String,
    pub decided_at: i64,
}

/// The comments (oldest first) with their answers, of one clinic or of all.
pub(crate) async fn comments(db: &Db, clinic: Option<&str>) -> Result<Vec<Comment>, AppError> {
    let filter = if clinic.is_some() {
        " WHERE clinic_id = $1"
    } else {
        ""
    };
    let sql = format!(
        "SELECT id, clinic_id, computed_minimum, comment, author, created_at \
         FROM capacity_hearing_comments{filter} ORDER BY id"
    );
    let mut query = sqlx::query(&sql);
    if let Some(c) = clinic {
        query = query.bind(c);
    }
    let rows = query.fetch_all(db.pool()).await?;
    let mut out: Vec<Comment> = rows
        .iter()
        .map(|r| {
            Ok(Comment {
                id: r.try_get(0)?,
                clinic_id: r.try_get(1)?,
                computed_minimum: r.try_get(2)?,
                comment: r.try_get(3)?,
                author: r.try_get(4)?,
                created_at: r.try_get(5)?,
                answers: Vec::new(),
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    let sql = format!(
        "SELECT id, comment_id, answer, author, created_at \
         FROM capacity_hearing_answers{filter} ORDER BY id"
    );
    let mut query = sqlx::query(&sql);
    if let Some(c) = clinic {
        query = query.bind(c);
    }
    let rows = query.fetch_all(db.pool()).await?;
    let index: HashMap<i64, usize> = out.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
    for r in &rows {
        let a = Answer {
            id: r.try_get(0)?,
            comment_id: r.try_get(1)?,
            answer: r.try_get(2)?,
            author: r.try_get(3)?,
            created_at: r.try_get(4)?,
        };
        if let Some(&i) = index.get(&a.comment_id) {
            out[i].answers.push(a);
        }
    }
    Ok(out)
}

/// The final numbers, newest version first within a clinic, of one clinic or of all.
pub(crate) async fn finals(db: &Db, clinic: Option<&str>) -> Result<Vec<FinalNumber>, AppError> {
    let filter = if clinic.is_some() {
        " WHERE clinic_id = $1"
    } else {
        ""
    };
    let sql = format!(
        "SELECT clinic_id, version, final_minimum, computed_minimum, reason, decided_by, \
         decided_at FROM capacity_final_numbers{filter} ORDER BY clinic_id, version DESC"
    );
    let mut query = sqlx::query(&sql);
    if let Some(c) = clinic {
        query = query.bind(c);
    }
    let rows = query.fetch_all(db.pool()).await?;
    Ok(rows
        .iter()
        .map(|r| {
            Ok(FinalNumber {
                clinic_id: r.try_get(0)?,
                version: r.try_get(1)?,
                final_minimum: r.try_get(2)?,
                computed_minimum: r.try_get(3)?,
                reason: r.try_get(4)?,
                decided_by: r.try_get(5)?,
                decided_at: r.try_get(6)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?)
}

/// The final number in force per clinic (the newest version).
pub(crate) async fn finals_in_force(db: &Db) -> Result<HashMap<String, FinalNumber>, AppError> {
    let mut map = HashMap::new();
    for f in finals(db, None).await? {
        map.entry(f.clinic_id.clone()).or_insert(f);
    }
    Ok(map)
}

async fn add_comment(
    db: &Db,
    user: &CurrentUser,
    clinic_id: &str,
    computed: f64,
    text: &str,
) -> Result<i64, AppError> {
    let mut tx = crate::vagt::begin_write(db).await?;
    let id: i64 = sqlx::query(
        "INSERT INTO capacity_hearing_comments \
         (clinic_id, computed_minimum, comment, author, author_user_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(clinic_id)
    .bind(computed)
    .bind(text)
    .bind(&user.username)
    .bind(user.id)
    .bind(Timestamp::now().unix())
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    audit(
        &mut tx,
        AuditEntry::new(user, "capacity.hearing.comment").detail(serde_json::json!({
            "clinic": clinic_id,
            "comment_id": id,
            "computed_minimum": computed,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// `Ok(None)` when the clinic has no such comment.
async fn add_answer(
    db: &Db,
    user: &CurrentUser,
    clinic_id: &str,
    comment_id: i64,
    text: &str,
) -> Result<Option<i64>, AppError> {
    let mut tx = crate::vagt::begin_write(db).await?;
    let found =
        sqlx::query("SELECT id FROM capacity_hearing_comments WHERE id = $1 AND clinic_id = $2")
            .bind(comment_id)
            .bind(clinic_id)
            .fetch_optional(&mut **tx)
            .await?;
    if found.is_none() {
        tx.rollback().await?;
        return Ok(None);
    }
    let id: i64 = sqlx::query(
        "INSERT INTO capacity_hearing_answers \
         (comment_id, clinic_id, answer, author, author_user_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(comment_id)
    .bind(clinic_id)
    .bind(text)
    .bind(&user.username)
    .bind(user.id)
    .bind(Timestamp::now().unix())
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    audit(
        &mut tx,
        AuditEntry::new(user, "capacity.hearing.answer").detail(serde_json::json!({
            "clinic": clinic_id,
            "comment_id": comment_id,
            "answer_id": id,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(id))
}

/// Appends the next version of the clinic's final number; returns the version.
async fn decide(
    db: &Db,
    user: &CurrentUser,
    clinic_id: &str,
    computed: f64,
    final_minimum: i64,
    reason: &str,
) -> Result<i64, AppError> {
    let mut tx = crate::vagt::begin_write(db).await?;
    let current: i64 = sqlx::query(
        "SELECT COALESCE(MAX(version), 0) FROM capacity_final_numbers WHERE clinic_id = $1",
    )
    .bind(clinic_id)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    let version = current + 1;
    let inserted = sqlx::query(
        "INSERT INTO capacity_final_numbers (clinic_id, version, final_minimum, \
         computed_minimum, reason, decided_by, decided_by_user_id, decided_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(clinic_id)
    .bind(version)
    .bind(final_minimum)
    .bind(computed)
    .bind(reason)
    .bind(&user.username)
    .bind(user.id)
    .bind(Timestamp::now().unix())
    .execute(&mut **tx)
    .await;
    match inserted {
        Ok(_) => {}
        // Two decisions at once on PostgreSQL: the unique (clinic, version) lets one win.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            tx.rollback().await?;
            return Err(AppError::bad_request(
                "Et andet endeligt tal blev fastsat samtidig. Se siden igen, og fastsæt tallet på ny.",
                "Another final number was fixed at the same time. Look at the page again and fix the number anew.",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    audit(
        &mut tx,
        AuditEntry::new(user, "capacity.final.decide").detail(serde_json::json!({
            "clinic": clinic_id,
            "version": version,
            "final_minimum": final_minimum,
            "computed_minimum": computed,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(version)
}

fn bad_form(e: FormRejection) -> AppError {
    AppError::bad_request(
        format!("Formularen kunne ikke læses: {e}"),
        format!("The form could not be read: {e}"),
    )
}

fn message(ct_da: &str, ct_en: &str) -> AppError {
    AppError::bad_request(ct_da, ct_en)
}

/// A text field, trimmed, required and at most [`MAX_TEXT_CHARS`] long.
fn checked_text(
    s: Option<String>,
    empty: fn(&CapText) -> &'static str,
) -> Result<String, AppError> {
    let s = s.unwrap_or_default().trim().to_string();
    if s.is_empty() {
        return Err(message(empty(&super::text::DA), empty(&super::text::EN)));
    }
    if s.chars().count() > MAX_TEXT_CHARS {
        return Err(message(
            super::text::DA.err_too_long,
            super::text::EN.err_too_long,
        ));
    }
    Ok(s)
}

/// The clinic's computed minimum (unrounded); 404 for a clinic the dataset lacks.
async fn computed_minimum(cap: &Capacity, clinic_id: &str) -> Result<f64, AppError> {
    let models = cap.models().await?;
    clinic_in(models.at(Level::Kommune), &cap.ds, clinic_id)
        .map(|c| c.minimum_patients)
        .ok_or(AppError::NotFound)
}

fn clinic_url(clinic_id: &str, done: &str) -> String {
    format!(
        "/capacity/clinics/{}?done={done}#hearing",
        super::pages::seg(clinic_id)
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct CommentPost {
    comment: Option<String>,
}

/// `POST /capacity/clinics/{id}/comments`: a GP of the clinic, or an administrator.
pub(crate) async fn post_comment(
    State(state): State<AppState>,
    Extension(cap): Extension<Capacity>,
    Path(clinic_id): Path<String>,
    user: CurrentUser,
    form: Result<Form<CommentPost>, FormRejection>,
) -> Result<Response, AppError> {
    let Form(post) = form.map_err(bad_form)?;
    let computed = computed_minimum(&cap, &clinic_id).await?;
    if !may_comment(&state.db, &user, &clinic_id).await? {
        return Err(AppError::Forbidden);
    }
    let text = checked_text(post.comment, |t| t.err_comment_empty)?;
    add_comment(&state.db, &user, &clinic_id, computed, &text).await?;
    Ok(Redirect::to(&clinic_url(&clinic_id, "comment")).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct AnswerPost {
    comment_id: Option<String>,
    answer: Option<String>,
    /// `hearing` to go back to the hearing's list; else the clinic's page.
    back: Option<String>,
}

/// `POST /capacity/clinics/{id}/answers`: an analyst answers a comment.
pub(crate) async fn post_answer(
    State(state): State<AppState>,
    Extension(cap): Extension<Capacity>,
    Path(clinic_id): Path<String>,
    user: CurrentUser,
    form: Result<Form<AnswerPost>, FormRejection>,
) -> Result<Response, AppError> {
    let Form(post) = form.map_err(bad_form)?;
    computed_minimum(&cap, &clinic_id).await?;
    if !may_decide(&user) {
        return Err(AppError::Forbidden);
    }
    let unknown = || {
        message(
            super::text::DA.err_unknown_comment,
            super::text::EN.err_unknown_comment,
        )
    };
    let comment_id: i64 = post
        .comment_id
        .as_deref()
        .map(str::trim)
        .and_then(|s| s.parse().ok())
        .ok_or_else(unknown)?;
    let text = checked_text(post.answer, |t| t.err_answer_empty)?;
    add_answer(&state.db, &user, &clinic_id, comment_id, &text)
        .await?
        .ok_or_else(unknown)?;
    Ok(if post.back.as_deref() == Some("hearing") {
        Redirect::to("/capacity/hearing?done=answer")
    } else {
        Redirect::to(&clinic_url(&clinic_id, "answer"))
    }
    .into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct FinalPost {
    final_minimum: Option<String>,
    reason: Option<String>,
}

/// `POST /capacity/clinics/{id}/final`: an analyst fixes the clinic's final number.
pub(crate) async fn post_final(
    State(state): State<AppState>,
    Extension(cap): Extension<Capacity>,
    Path(clinic_id): Path<String>,
    user: CurrentUser,
    form: Result<Form<FinalPost>, FormRejection>,
) -> Result<Response, AppError> {
    let Form(post) = form.map_err(bad_form)?;
    let computed = computed_minimum(&cap, &clinic_id).await?;
    if !may_decide(&user) {
        return Err(AppError::Forbidden);
    }
    let number: i64 = post
        .final_minimum
        .as_deref()
        .map(|s| s.trim().replace(['.', ' '], ""))
        .and_then(|s| s.parse().ok())
        .filter(|n| (0..=MAX_FINAL).contains(n))
        .ok_or_else(|| {
            message(
                super::text::DA.err_final_number,
                super::text::EN.err_final_number,
            )
        })?;
    let reason = checked_text(post.reason, |t| t.err_reason_empty)?;
    decide(&state.db, &user, &clinic_id, computed, number, &reason).await?;
    Ok(Redirect::to(&clinic_url(&clinic_id, "final")).into_response())
}

/// One open comment on the hearing's page.
struct OpenRow {
    clinic_id: String,
    clinic_seg: String,
    clinic_name: String,
    comment: Comment,
    computed: String,
    at: String,
}

#[derive(Template)]
#[template(path = "capacity/hearing.html")]
struct HearingTemplate {
    page: Page,
    ct: &'static CapText,
    links: Vec<(&'static str, &'static str)>,
    rows: Vec<OpenRow>,
    answered: usize,
    can_answer: bool,
    done: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct HearingQuery {
    done: Option<String>,
}

pub(crate) fn when(unix: i64) -> String {
    Timestamp::from_unix(unix)
        .to_local()
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// `GET /capacity/hearing`: the open comments of every clinic (analysts and administrators).
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(cap): Extension<Capacity>,
    axum::extract::Query(q): axum::extract::Query<HearingQuery>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, AppError> {
    user.require(&[Role::Analyst, Role::Admin])?;
    let ct = CapText::of(lang);
    let all = comments(&state.db, None).await?;
    let answered = all.iter().filter(|c| !c.is_open()).count();
    let rows = all
        .into_iter()
        .filter(Comment::is_open)
        .map(|c| OpenRow {
            clinic_seg: super::pages::seg(&c.clinic_id),
            clinic_name: cap
                .ds
                .clinic_row(&c.clinic_id)
                .map(|r| cap.ds.clinics.name.get(r as usize).to_string())
                .unwrap_or_else(|| c.clinic_id.clone()),
            clinic_id: c.clinic_id.clone(),
            computed: ct.whole(c.computed_minimum),
            at: when(c.created_at),
            comment: c,
        })
        .collect();
    render(&HearingTemplate {
        page: Page::new(&state, lang, &user, "/capacity/hearing", ct.hearing_title),
        ct,
        links: super::pages::links(ct, user.role),
        rows,
        answered,
        can_answer: may_decide(&user),
        done: q.done.as_deref() == Some("answer"),
    })
}

/// `GET /api/v1/capacity/hearing`: comments with their answers, and the final numbers (all
/// versions, newest first per clinic). A GP gets their own clinics'.
pub(crate) async fn json(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let (mut cs, mut fs) = (
        comments(&state.db, None).await?,
        finals(&state.db, None).await?,
    );
    if user.role == Role::Gp {
        let own = crate::cockpit::linked_clinics(&state.db, user.id).await?;
        cs.retain(|c| own.contains(&c.clinic_id));
        fs.retain(|f| own.contains(&f.clinic_id));
    }
    Ok(Json(serde_json::json!({
        "open": cs.iter().filter(|c| c.is_open()).count(),
        "comments": cs,
        "final_numbers": fs,
    }))
    .into_response())
}
