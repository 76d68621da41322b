//! The audit-log module: `/audit`, for administrators. Shows the latest entries with patient
//! references masked; viewing the log is itself logged.

use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::db::{AuditEntry, audit_view, latest_audit};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::modules::{Module, ModuleNav};
use crate::pages::{Page, render};
use almen_core::{Timestamp, mask_id};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

/// How many entries the page shows.
pub const AUDIT_PAGE_ROWS: i64 = 200;

pub fn module(_state: &AppState) -> Option<Module> {
    Some(Module::new(
        ModuleNav {
            id: "audit",
            name_da: "Adgangslog",
            name_en: "Audit log",
            summary_da: "Hvem har set eller ændret hvad, hvornår og hvorfor.",
            summary_en: "Who saw or changed what, when and why.",
            path: "/audit",
            roles: &[Role::Admin],
        },
        Router::new().route("/audit", get(page)),
    ))
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditTemplate {
    page: Page,
    rows: Vec<AuditRow>,
}

struct AuditRow {
    id: i64,
    at: String,
    username: String,
    action: String,
    /// Masked: the audit page is not the patient's own page.
    patient: String,
    reason: String,
    detail: String,
}

async fn page(
    State(state): State<AppState>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, AppError> {
    user.require(&[Role::Admin])?;
    audit_view(&state.db, AuditEntry::new(&user, "audit.view")).await?;
    let rows = latest_audit(&state.db, AUDIT_PAGE_ROWS)
        .await?
        .into_iter()
        .map(|r| AuditRow {
            id: r.id,
            at: local_time(r.at),
            username: r.username,
            action: r.action,
            patient: r.patient_ref.as_deref().map(mask_id).unwrap_or_default(),
            reason: r.reason.unwrap_or_default(),
            detail: r.detail,
        })
        .collect();
    let t = lang.text();
    render(&AuditTemplate {
        page: Page::new(&state, lang, &user, "/audit", t.audit_title),
        rows,
    })
}

/// Danish local time: the log is read by people in Denmark.
fn local_time(at: Timestamp) -> String {
    at.to_local().format("%Y-%m-%d %H:%M:%S").to_string()
}
