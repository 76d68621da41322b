//! JSON endpoints: `/healthz` and `/api/v1/...`.

use crate::AppState;
use crate::auth::CurrentUser;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// `GET /healthz`: `{"status":"ok","database":"sqlite"}` after a round trip to the database;
/// 503 with `"status":"error"` when the database does not answer. No session needed, so
/// that a load balancer or a test can ask.
pub async fn healthz(State(state): State<AppState>) -> Response {
    let database = state.db.backend().as_str();
    match state.db.ping().await {
        Ok(()) => Json(json!({ "status": "ok", "database": database })).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "health check: the database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "error", "database": database })),
            )
                .into_response()
        }
    }
}

/// `GET /api/v1/me`: who is logged in.
pub async fn me(user: CurrentUser) -> Json<serde_json::Value> {
    Json(json!({
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.as_str(),
    }))
}
