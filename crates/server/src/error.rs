//! Errors: [`Error`] for the server's own operations (database, users, audit), [`AppError`]
//! for what a request handler returns.
//!
//! `AppError::into_response` has no side effects and puts no detail in the body: it attaches an
//! [`ErrorReport`] to the response, and the `finish` middleware in `lib.rs` (which knows the
//! request's language and path) renders the page or JSON and logs internal causes with an id
//! the user can quote.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// What can go wrong in the server's operations outside HTTP: database access, user records,
/// audit rows. Variants carry structured context, never a bare message.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database error")]
    Db(#[from] sqlx::Error),
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A value broke a rule. `value` is `None` where echoing it would leak a secret (passwords).
    #[error("invalid {field}: {rule}{}", value.as_ref().map(|v| format!(" ({v:?})")).unwrap_or_default())]
    Invalid {
        field: &'static str,
        value: Option<String>,
        rule: &'static str,
    },
    #[error("the username {0:?} is taken")]
    UsernameTaken(String),
    /// The argon2 library failed (not a wrong password: that is `Ok(None)` from verification).
    #[error("password hashing failed: {0}")]
    PasswordHash(String),
    #[error("a background task failed")]
    Join(#[from] tokio::task::JoinError),
}

/// A bilingual message for the user: 4xx errors tell the user what to do, in their language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserMessage {
    pub da: String,
    pub en: String,
}

/// The error a handler returns. User errors keep their status and message; internal ones get
/// a generic message and an error id, and their cause is logged, never shown.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No valid session: pages redirect to `/login`, `/api` routes answer 401 JSON.
    #[error("not logged in")]
    Unauthenticated,
    /// Logged in, but the role may not do this: a 403 page.
    #[error("forbidden for this role")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("bad request: {}", .0.en)]
    BadRequest(UserMessage),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    pub fn internal(err: impl Into<anyhow::Error>) -> AppError {
        AppError::Internal(err.into())
    }

    pub fn bad_request(da: impl Into<String>, en: impl Into<String>) -> AppError {
        AppError::BadRequest(UserMessage {
            da: da.into(),
            en: en.into(),
        })
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<Error> for AppError {
    fn from(err: Error) -> AppError {
        AppError::Internal(err.into())
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> AppError {
        AppError::Internal(err.into())
    }
}

impl From<askama::Error> for AppError {
    fn from(err: askama::Error) -> AppError {
        AppError::Internal(err.into())
    }
}

/// What the `finish` middleware needs to render an error: the kind, and for internal errors
/// the cause (to log) under an id (to show).
#[derive(Debug, Clone)]
pub(crate) struct ErrorReport {
    pub kind: ErrorKind,
}

#[derive(Debug, Clone)]
pub(crate) enum ErrorKind {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadRequest(UserMessage),
    Internal {
        id: String,
        cause: Arc<anyhow::Error>,
    },
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let kind = match self {
            AppError::Unauthenticated => ErrorKind::Unauthenticated,
            AppError::Forbidden => ErrorKind::Forbidden,
            AppError::NotFound => ErrorKind::NotFound,
            AppError::BadRequest(m) => ErrorKind::BadRequest(m),
            AppError::Internal(cause) => ErrorKind::Internal {
                id: crate::auth::random_hex(4),
                cause: Arc::new(cause),
            },
        };
        // A plain body in case the response never reaches `finish` (it always does in the
        // app; this keeps the type honest on its own).
        let mut res = (status, status.canonical_reason().unwrap_or("error")).into_response();
        res.extensions_mut().insert(ErrorReport { kind });
        res
    }
}
