//! `/cockpit/clusters`, for administrators: quality clusters (klynger) and their clinics, and
//! which clinics each GP user works for. Every change is audit-logged in its transaction.
//! The aggregates read the clusters from here.

use super::Cockpit;
use super::pages::links;
use super::text::CockpitText;
use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::db::{AuditEntry, audit};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::{Page, render};
use almen_core::Timestamp;
use askama::Template;
use axum::Extension;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sqlx::Row;
use std::collections::BTreeMap;

struct ClusterRow {
    id: i64,
    name: String,
    clinics: Vec<(String, String)>,
}

struct GpRow {
    username: String,
    display_name: String,
    clinics: Vec<String>,
}

#[derive(Template)]
#[template(path = "cockpit/clusters.html")]
struct ClustersTemplate {
    page: Page,
    ct: &'static CockpitText,
    links: Vec<(&'static str, &'static str)>,
    clusters: Vec<ClusterRow>,
    all_clinics: Vec<(String, String)>,
    gps: Vec<GpRow>,
    message: Option<String>,
    done: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DoneQuery {
    done: Option<String>,
}

async fn show(
    state: &AppState,
    cp: &Cockpit,
    lang: Lang,
    user: &CurrentUser,
    message: Option<String>,
    done: bool,
    status: StatusCode,
) -> Result<Response, AppError> {
    let ds = &cp.ds;
    let clinic_name = |id: &str| {
        ds.clinic_row(id)
            .map(|r| ds.clinics.name.get(r as usize).to_string())
            .unwrap_or_default()
    };
    let rows = sqlx::query(
        "SELECT c.id, c.name, cc.clinic_id FROM clusters c \
         LEFT JOIN cluster_clinics cc ON cc.cluster_id = c.id ORDER BY c.name, cc.clinic_id",
    )
    .fetch_all(state.db.pool())
    .await?;
    let mut clusters: Vec<ClusterRow> = Vec::new();
    for r in &rows {
        let id: i64 = r.try_get(0)?;
        let clinic: Option<String> = r.try_get(2)?;
        if clusters.last().is_none_or(|c| c.id != id) {
            clusters.push(ClusterRow {
                id,
                name: r.try_get(1)?,
                clinics: Vec::new(),
            });
        }
        if let (Some(c), Some(last)) = (clinic, clusters.last_mut()) {
            let name = clinic_name(&c);
            last.clinics.push((c, name));
        }
    }
    let rows = sqlx::query(
        "SELECT u.username, u.display_name, uc.clinic_id FROM users u \
         LEFT JOIN user_clinics uc ON uc.user_id = u.id WHERE u.role = 'gp' \
         ORDER BY u.username, uc.clinic_id",
    )
    .fetch_all(state.db.pool())
    .await?;
    let mut gps: BTreeMap<String, GpRow> = BTreeMap::new();
    for r in &rows {
        let username: String = r.try_get(0)?;
        let clinic: Option<String> = r.try_get(2)?;
        let e = gps.entry(username.clone()).or_insert(GpRow {
            username,
            display_name: r.try_get(1)?,
            clinics: Vec::new(),
        });
        if let Some(c) = clinic {
            let name = clinic_name(&c);
            e.clinics.push(format!("{name} ({c})"));
        }
    }
    let mut all_clinics: Vec<(String, String)> = (0..ds.clinics.len())
        .map(|c| {
            (
                ds.clinics.id.get(c).to_string(),
                format!(
                    "{} · {} ({})",
                    ds.clinics.kommune[c].info().name,
                    ds.clinics.name.get(c),
                    ds.clinics.id.get(c)
                ),
            )
        })
        .collect();
    all_clinics.sort_by(|a, b| a.1.cmp(&b.1));
    let ct = CockpitText::of(lang);
    let mut res = render(&ClustersTemplate {
        page: Page::new(state, lang, user, "/cockpit/clusters", ct.clusters_title),
        ct,
        links: links(ct, user.role),
        clusters,
        all_clinics,
        gps: gps.into_values().collect(),
        message,
        done,
    })?;
    *res.status_mut() = status;
    Ok(res)
}

/// `GET /cockpit/clusters`.
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(cp): Extension<Cockpit>,
    Query(q): Query<DoneQuery>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, AppError> {
    user.require(&[Role::Admin])?;
    show(
        &state,
        &cp,
        lang,
        &user,
        None,
        q.done.is_some(),
        StatusCode::OK,
    )
    .await
}

fn form<T>(f: Result<Form<T>, FormRejection>) -> Result<T, AppError> {
    f.map(|Form(v)| v).map_err(|e| {
        AppError::bad_request(
            format!("Formularen kunne ikke læses: {e}"),
            format!("The form could not be read: {e}"),
        )
    })
}

/// After a change: back to the page (post/redirect/get), or the page again with the problem.
async fn outcome(
    state: &AppState,
    cp: &Cockpit,
    lang: Lang,
    user: &CurrentUser,
    problem: Option<&'static str>,
) -> Result<Response, AppError> {
    match problem {
        None => Ok(Redirect::to("/cockpit/clusters?done=1").into_response()),
        Some(m) => {
            show(
                state,
                cp,
                lang,
                user,
                Some(m.to_string()),
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CreateForm {
    #[serde(default)]
    name: String,
}

/// `POST /cockpit/clusters`: a new, empty cluster.
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(cp): Extension<Cockpit>,
    lang: Lang,
    user: CurrentUser,
    f: Result<Form<CreateForm>, FormRejection>,
) -> Result<Response, AppError> {
    user.require(&[Role::Admin])?;
    let f = form(f)?;
    let ct = CockpitText::of(lang);
    let name = f.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return outcome(&state, &cp, lang, &user, Some(ct.bad_name)).await;
    }
    let mut tx = crate::vagt::begin_write(&state.db).await?;
    let inserted = sqlx::query("INSERT INTO clusters (name, created_at) VALUES ($1, $2)")
        .bind(name)
        .bind(Timestamp::now().unix())
        .execute(&mut **tx)
        .await;
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            tx.rollback().await?;
            return outcome(&state, &cp, lang, &user, Some(ct.name_taken)).await;
        }
        Err(e) => return Err(e.into()),
    }
    audit(
        &mut tx,
        AuditEntry::new(&user, "cockpit.cluster.create")
            .detail(serde_json::json!({ "cluster": name })),
    )
    .await?;
    tx.commit().await?;
    outcome(&state, &cp, lang, &user, None).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct AssignForm {
    cluster_id: Option<i64>,
    #[serde(default)]
    clinic_id: String,
}

/// `POST /cockpit/clusters/assign`: puts a clinic in a cluster (out of any other).
pub(crate) async fn assign(
    State(state): State<AppState>,
    Extension(cp): Extension<Cockpit>,
    lang: Lang,
    user: CurrentUser,
    f: Result<Form<AssignForm>, FormRejection>,
) -> Result<Response, AppError> {
    user.require(&[Role::Admin])?;
    let f = form(f)?;
    let ct = CockpitText::of(lang);
    let clinic = f.clinic_id.trim();
    if cp.ds.clinic_row(clinic).is_none() {
        return outcome(&state, &cp, lang, &user, Some(ct.unknown_clinic)).await;
    }
    let mut tx = crate::vagt::begin_write(&state.db).await?;
    let cluster = sqlx::query("SELECT name FROM clusters WHERE id = $1")
        .bind(f.cluster_id.unwrap_or(-1))
        .fetch_optional(&mut **tx)
        .await?;
    let Some(cluster) = cluster else {
        tx.rollback().await?;
        return outcome(&state, &cp, lang, &user, Some(ct.unknown_cluster)).await;
    };
    let cluster_name: String = cluster.try_get(0)?;
    sqlx::query("DELETE FROM cluster_clinics WHERE clinic_id = $1")
        .bind(clinic)
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO cluster_clinics (cluster_id, clinic_id) VALUES ($1, $2)")
        .bind(f.cluster_id)
        .bind(clinic)
        .execute(&mut **tx)
        .await?;
    audit(
        &mut tx,
        AuditEntry::new(&user, "cockpit.cluster.assign")
            .detail(serde_json::json!({ "cluster": cluster_name, "clinic": clinic })),
    )
    .await?;
    tx.commit().await?;
    outcome(&state, &cp, lang, &user, None).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct RemoveForm {
    #[serde(default)]
    clinic_id: String,
}

/// `POST /cockpit/clusters/remove`: takes a clinic out of its cluster.
pub(crate) async fn remove(
    State(state): State<AppState>,
    Extension(cp): Extension<Cockpit>,
    lang: Lang,
    user: CurrentUser,
    f: Result<Form<RemoveForm>, FormRejection>,
) -> Result<Response, AppError> {
    user.require(&[Role::Admin])?;
    let f = form(f)?;
    let clinic = f.clinic_id.trim();
    let mut tx = crate::vagt::begin_write(&state.db).await?;
    sqlx::query("DELETE FROM cluster_clinics WHERE clinic_id = $1")
        .bind(clinic)
        .execute(&mut **tx)
        .await?;
    audit(
        &mut tx,
        AuditEntry::new(&user, "cockpit.cluster.remove")
            .detail(serde_json::json!({ "clinic": clinic })),
    )
    .await?;
    tx.commit().await?;
    outcome(&state, &cp, lang, &user, None).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct LinkForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    clinic_id: String,
    /// `link` (default) or `unlink`.
    op: Option<String>,
}

/// `POST /cockpit/users/link`: links a GP user to a clinic, or unlinks them.
pub(crate) async fn link_user(
    State(state): State<AppState>,
    Extension(cp): Extension<Cockpit>,
    lang: Lang,
    user: CurrentUser,
    f: Result<Form<LinkForm>, FormRejection>,
) -> Result<Response, AppError> {
    user.require(&[Role::Admin])?;
    let f = form(f)?;
    let ct = CockpitText::of(lang);
    let clinic = f.clinic_id.trim();
    let unlink = f.op.as_deref() == Some("unlink");
    if !unlink && cp.ds.clinic_row(clinic).is_none() {
        return outcome(&state, &cp, lang, &user, Some(ct.unknown_clinic)).await;
    }
    let mut tx = crate::vagt::begin_write(&state.db).await?;
    let gp = sqlx::query("SELECT id FROM users WHERE username = $1 AND role = 'gp'")
        .bind(f.username.trim())
        .fetch_optional(&mut **tx)
        .await?;
    let Some(gp) = gp else {
        tx.rollback().await?;
        return outcome(&state, &cp, lang, &user, Some(ct.unknown_gp)).await;
    };
    let gp: i64 = gp.try_get(0)?;
    if unlink {
        sqlx::query("DELETE FROM user_clinics WHERE user_id = $1 AND clinic_id = $2")
            .bind(gp)
            .bind(clinic)
            .execute(&mut **tx)
            .await?;
    } else {
        sqlx::query(
            "INSERT INTO user_clinics (user_id, clinic_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, clinic_id) DO NOTHING",
        )
        .bind(gp)
        .bind(clinic)
        .bind(Timestamp::now().unix())
        .execute(&mut **tx)
        .await?;
    }
    audit(
        &mut tx,
        AuditEntry::new(
            &user,
            if unlink {
                "cockpit.user.unlink"
            } else {
                "cockpit.user.link"
            },
        )
        .detail(serde_json::json!({ "user": f.username.trim(), "clinic": clinic })),
    )
    .await?;
    tx.commit().await?;
    outcome(&state, &cp, lang, &user, None).await
}
