//! `/login` and `/logout`.

use crate::AppState;
use crate::auth::{
    CurrentUser, SESSION_COOKIE, authenticate, clear_session_cookie, cookie, end_session,
    session_cookie, start_session,
};
use crate::db::{AuditEntry, audit_view};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::{NextQuery, Page, render, safe_next};
use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTemplate {
    page: Page,
    /// Where to go after logging in (already checked to be a local path).
    next: String,
    /// Kept after a failed attempt so the user only retypes the password.
    username: String,
    failed: bool,
}

impl LoginTemplate {
    fn new(lang: Lang, next: &str, username: &str, failed: bool) -> LoginTemplate {
        LoginTemplate {
            page: Page::anonymous(lang, "/login", lang.text().login_title),
            next: next.to_string(),
            username: username.to_string(),
            failed,
        }
    }
}

/// `GET /login`: the form, or straight on for a user who is logged in already.
pub async fn page(
    lang: Lang,
    user: Option<CurrentUser>,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    let next = safe_next(q.next.as_deref());
    if user.is_some() {
        return Ok(Redirect::to(next).into_response());
    }
    render(&LoginTemplate::new(lang, next, "", false))
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

/// `POST /login`: a session cookie and a redirect, or the form again with 401.
pub async fn submit(
    State(state): State<AppState>,
    lang: Lang,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Result<Response, AppError> {
    let Ok(Form(form)) = form else {
        return Err(AppError::bad_request(
            "Formularen mangler brugernavn eller adgangskode.",
            "The form lacks a username or a password.",
        ));
    };
    let next = safe_next(form.next.as_deref()).to_string();
    let username = form.username.trim();
    match authenticate(&state.db, username, &form.password).await? {
        Some(user) => {
            let token = start_session(&state.db, user.id).await?;
            audit_view(&state.db, AuditEntry::new(&user, "login")).await?;
            tracing::info!(username = %user.username, role = %user.role, "logged in");
            Ok((
                [(header::SET_COOKIE, session_cookie(&token))],
                Redirect::to(&next),
            )
                .into_response())
        }
        None => {
            // Failed attempts go to the operator's log, not the audit log: they touch no
            // patient data. Debug formatting escapes whatever was typed; never the password.
            let shown: String = username.chars().take(64).collect();
            tracing::warn!(username = ?shown, "failed login");
            let mut res = render(&LoginTemplate::new(lang, &next, username, true))?;
            *res.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(res)
        }
    }
}

/// `POST /logout` (a form button, so that a link cannot log anyone out).
pub async fn logout(
    State(state): State<AppState>,
    user: Option<CurrentUser>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        end_session(&state.db, token).await?;
    }
    if let Some(user) = user {
        audit_view(&state.db, AuditEntry::new(&user, "logout")).await?;
    }
    Ok((
        [(header::SET_COOKIE, clear_session_cookie())],
        Redirect::to("/login"),
    )
        .into_response())
}
