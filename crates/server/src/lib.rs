//! Almen's web server: axum, SQLite/PostgreSQL via sqlx, users, sessions, audit log, pages.
//!
//! - [`serve`] is what `almen serve` runs: it opens and migrates the database, creates the
//!   demo users if asked, takes the dataset given (or reads `data_dir`), binds, calls
//!   `on_ready` with the bound address, and returns after Ctrl-C or SIGTERM once requests in
//!   flight have finished.
//! - [`build_app`] gives the router and its state without a socket, for tests.
//! - [`Db`] is one pool for either backend; [`audit`] appends to the append-only audit log
//!   inside the caller's transaction, [`audit_view`] in a transaction of its own.
//! - [`CurrentUser`] is the extractor for a logged-in user; [`Role`] what the user may do.
//! - A [`Module`] (one file under `src/`) adds pages and a navigation entry for its roles;
//!   see `modules.rs`.
//! - Every UI string is in `i18n.rs`, in Danish and English.
//!
//! ```no_run
//! # async fn run() -> anyhow::Result<()> {
//! let config = almen_server::ServerConfig {
//!     bind: "127.0.0.1:0".parse()?,
//!     database_url: "sqlite://almen.sqlite?mode=rwc".into(),
//!     data_dir: None,
//!     demo_users: true,
//! };
//! almen_server::serve(config, None, |addr| println!("Almen is serving on http://{addr}")).await
//! # }
//! ```

mod api;
mod audit_page;
mod auth;
mod capacity;
mod cockpit;
mod db;
mod economy;
mod error;
mod i18n;
mod login;
mod modules;
mod pages;
mod reference_page;
mod start;
pub mod vagt;

pub use auth::{
    CurrentUser, DEMO_USERS, MIN_PASSWORD_CHARS, Role, SESSION_COOKIE, authenticate, create_user,
    demo_display_name,
};
pub use db::{AuditEntry, AuditRecord, Backend, Db, Tx, audit, audit_view, latest_audit};
pub use error::{AppError, Error, UserMessage};
pub use i18n::{Lang, Text};
pub use modules::{Module, ModuleNav};
pub use pages::{Page, render};
pub use start::dataset_summary;

use anyhow::Context as _;
use askama::Template;
use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Json, Redirect, Response};
use axum::routing::{get, post};
use error::{ErrorKind, ErrorReport};
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// How `almen serve` runs the server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen; port 0 picks a free port (reported to `on_ready`).
    pub bind: SocketAddr,
    /// `sqlite://path/almen.sqlite?mode=rwc` or `postgres://user@host/db`.
    pub database_url: String,
    /// A dataset folder in the extract format, read at start unless the caller of [`serve`]
    /// passes the dataset itself; `None` (and no dataset given) runs without data.
    pub data_dir: Option<PathBuf>,
    /// Create one demo user per role ([`DEMO_USERS`]) if missing.
    pub demo_users: bool,
}

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub dataset: Option<Arc<almen_dataset::Dataset>>,
    /// The navigation entries of the modules that are mounted, in order.
    modules: Arc<Vec<ModuleNav>>,
    /// Becomes true when a graceful shutdown begins, so that responses without an end (the
    /// out-of-hours board's event streams) finish and let the server stop.
    shutdown: Arc<tokio::sync::watch::Sender<bool>>,
}

impl AppState {
    pub fn new(db: Db, dataset: Option<Arc<almen_dataset::Dataset>>) -> AppState {
        AppState {
            db,
            dataset,
            modules: Arc::new(Vec::new()),
            shutdown: Arc::new(tokio::sync::watch::Sender::new(false)),
        }
    }

    /// Completes when the server begins to shut down. A streaming response selects on it.
    pub fn shutdown_signal(&self) -> impl Future<Output = ()> + Send + use<> {
        let mut rx = self.shutdown.subscribe();
        async move {
            // An error means every state is gone, which is a shutdown too.
            let _ = rx.wait_for(|stopping| *stopping).await;
        }
    }

    /// Every mounted module.
    pub fn modules(&self) -> &[ModuleNav] {
        &self.modules
    }

    /// The mounted modules `role` may use.
    pub fn modules_for(&self, role: Role) -> impl Iterator<Item = &ModuleNav> {
        self.modules.iter().filter(move |m| m.allows(role))
    }
}

impl std::fmt::Debug for AppState {
    // The dataset is far too large to print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("db", &self.db)
            .field("dataset", &self.dataset.is_some())
            .field("modules", &self.modules)
            .finish()
    }
}

/// Runs the server until Ctrl-C or SIGTERM. Prints nothing: `on_ready` gets the bound address
/// once the server accepts connections, and the caller says what it likes.
///
/// `dataset` is one the caller has already read (the CLI reads it with a progress display);
/// when it is `None`, the folder `config.data_dir`, if any, is read here.
pub async fn serve(
    config: ServerConfig,
    dataset: Option<Arc<almen_dataset::Dataset>>,
    on_ready: impl FnOnce(SocketAddr) + Send,
) -> anyhow::Result<()> {
    serve_until(config, dataset, on_ready, shutdown_signal()).await
}

/// [`serve`] that stops when `shutdown` completes instead of on a signal (for tests, and for
/// embedding).
pub async fn serve_until(
    config: ServerConfig,
    dataset: Option<Arc<almen_dataset::Dataset>>,
    on_ready: impl FnOnce(SocketAddr) + Send,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = build_state(&config, dataset).await?;
    let (router, state) = assemble(state, Vec::new());
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    let addr = listener
        .local_addr()
        .context("cannot read the bound address")?;
    on_ready(addr);
    let stopping = state.shutdown.clone();
    let shutdown = async move {
        shutdown.await;
        stopping.send_replace(true);
    };
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
        .context("the web server failed")?;
    state.db.close().await;
    Ok(())
}

/// Opens the database (migrating it), creates demo users if asked, reads `config.data_dir` if
/// given, and assembles the router with every module that works.
pub async fn build_app(config: &ServerConfig) -> anyhow::Result<(Router, AppState)> {
    let state = build_state(config, None).await?;
    Ok(assemble(state, Vec::new()))
}

/// The state the app starts from: the database, and `dataset` or else the one in
/// `config.data_dir`; no modules yet (see [`app_with`]).
pub async fn build_state(
    config: &ServerConfig,
    dataset: Option<Arc<almen_dataset::Dataset>>,
) -> anyhow::Result<AppState> {
    let db = Db::connect(&config.database_url).await.with_context(|| {
        format!(
            "cannot open the database {}",
            redact_url(&config.database_url)
        )
    })?;
    if config.demo_users {
        auth::ensure_demo_users(&db)
            .await
            .context("cannot create the demo users")?;
        vagt::ensure_demo_data(&db, almen_core::Timestamp::now())
            .await
            .context("cannot create the out-of-hours demo data")?;
    }
    let dataset = match (dataset, &config.data_dir) {
        (Some(dataset), _) => Some(dataset),
        (None, Some(dir)) => Some(Arc::new(load_dataset(dir).await?)),
        (None, None) => None,
    };
    if config.demo_users
        && let Some(ds) = &dataset
    {
        cockpit::ensure_demo_data(&db, ds)
            .await
            .context("cannot create the cockpit's demo data")?;
    }
    Ok(AppState::new(db, dataset))
}

/// The router for `state` with this crate's modules and `extra` ones. This is how a module
/// registers: give its [`Module`] here (or list it in `modules::builtin`).
///
/// Panics if two modules share an id: that is a programming error found at startup.
pub fn app_with(state: AppState, extra: Vec<Module>) -> Router {
    assemble(state, extra).0
}

fn assemble(mut state: AppState, extra: Vec<Module>) -> (Router, AppState) {
    let mut modules = modules::builtin(&state);
    modules.extend(extra);
    for (i, m) in modules.iter().enumerate() {
        assert!(
            modules[..i].iter().all(|o| o.nav.id != m.nav.id),
            "two modules have the id {:?}",
            m.nav.id
        );
    }
    state.modules = Arc::new(modules.iter().map(|m| m.nav.clone()).collect());

    let mut router = Router::new()
        .route("/", get(start::page))
        .route("/login", get(login::page).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/lang/{code}", get(pages::set_lang))
        .route("/healthz", get(api::healthz))
        .route("/api/v1/me", get(api::me));
    for module in modules {
        let gate = modules::Gate {
            state: state.clone(),
            roles: module.nav.roles,
        };
        router = router.merge(
            module
                .router
                .route_layer(middleware::from_fn_with_state(gate, modules::gate)),
        );
        if let Some(public) = module.public {
            router = router.merge(public);
        }
    }
    let router = router
        .fallback(|| async { AppError::NotFound })
        .layer(middleware::from_fn(finish))
        // A stuck request must not hold a graceful shutdown (or a connection) forever.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        // The span names the route pattern, never the URI: paths and queries may carry
        // patient ids, which must not reach the log.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map_or("(unmatched)", MatchedPath::as_str);
            tracing::info_span!("request", method = %req.method(), route)
        }))
        .with_state(state.clone());
    (router, state)
}

async fn load_dataset(dir: &Path) -> anyhow::Result<almen_dataset::Dataset> {
    let owned = dir.to_path_buf();
    let read = tokio::task::spawn_blocking(move || {
        almen_dataset::read_dataset(&owned, &almen_dataset::ReadOptions::default())
    })
    .await
    .context("the dataset reader stopped")?;
    let (dataset, warnings) = read
        .map_err(anyhow::Error::new)
        .with_context(|| format!("cannot read the dataset in {}", dir.display()))?;
    for warning in warnings {
        tracing::warn!(%warning, "dataset");
    }
    Ok(dataset)
}

/// The URL with any password replaced, for error messages.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _password)) => {
                    format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
                }
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

/// The last step of every response: turns an [`AppError`]'s report into a page or JSON in the
/// user's language (logging internal causes), refuses cross-site form posts, and adds the
/// security headers.
async fn finish(lang: Lang, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |p| p.as_str().to_string());
    let api = path.starts_with("/api/");
    let is_get = req.method() == Method::GET;
    let mut res = if is_cross_site_write(req.method(), req.headers()) {
        tracing::warn!("refused a cross-site request");
        AppError::Forbidden.into_response()
    } else {
        next.run(req).await
    };
    if let Some(report) = res.extensions_mut().remove::<ErrorReport>() {
        res = error_response(
            report.kind,
            res.status(),
            lang,
            &path_and_query,
            api,
            is_get,
        );
    }
    let headers = res.headers_mut();
    let set = |headers: &mut HeaderMap, name, value: &'static str| {
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    };
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "same-origin");
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    // Pages may show patient data: keep them out of shared and browser caches.
    set(headers, header::CACHE_CONTROL, "no-store");
    res
}

/// A state-changing request whose `Origin` is another site. SameSite=Strict already keeps
/// the session cookie off such requests; this also stops login CSRF.
fn is_cross_site_write(method: &Method, headers: &HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false; // Not a browser, or an old one: nothing to compare.
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    origin_host.is_none() || origin_host != host
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate {
    page: Page,
    status: u16,
    message: String,
    error_id: Option<String>,
}

fn error_response(
    kind: ErrorKind,
    status: StatusCode,
    lang: Lang,
    path_and_query: &str,
    api: bool,
    is_get: bool,
) -> Response {
    let t = lang.text();
    let (message, error_id) = match kind {
        ErrorKind::Unauthenticated if !api => {
            // Back to the page after logging in; a form post cannot be replayed, so those
            // go to the start page.
            let target = if is_get {
                format!("/login?next={}", pages::percent_encode(path_and_query))
            } else {
                "/login".to_string()
            };
            return Redirect::to(&target).into_response();
        }
        ErrorKind::Unauthenticated => (t.error_unauthenticated.to_string(), None),
        ErrorKind::Forbidden => (t.error_forbidden.to_string(), None),
        ErrorKind::NotFound => (t.error_not_found.to_string(), None),
        ErrorKind::BadRequest(m) => (lang.pick(&m.da, &m.en).to_string(), None),
        ErrorKind::Internal { id, cause } => {
            tracing::error!(error_id = %id, error = %format!("{cause:#}"), "internal error");
            (t.error_internal.to_string(), Some(id))
        }
    };
    if api {
        let body = match &error_id {
            Some(id) => serde_json::json!({ "error": message, "error_id": id }),
            None => serde_json::json!({ "error": message }),
        };
        return (status, Json(body)).into_response();
    }
    let page = ErrorTemplate {
        page: Page::anonymous(lang, path_and_query, t.error_title),
        status: status.as_u16(),
        message,
        error_id,
    };
    match page.render() {
        Ok(html) => (status, axum::response::Html(html)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "cannot render the error page");
            (status, status.canonical_reason().unwrap_or("error")).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_database_urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://almen:s3cret@db:5432/almen"),
            "postgres://almen:***@db:5432/almen"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
        assert_eq!(redact_url("sqlite://a.sqlite"), "sqlite://a.sqlite");
    }

    #[test]
    fn only_writes_from_another_origin_are_cross_site() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(!is_cross_site_write(&Method::POST, &h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(!is_cross_site_write(&Method::POST, &h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(is_cross_site_write(&Method::POST, &h));
        assert!(!is_cross_site_write(&Method::GET, &h));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(is_cross_site_write(&Method::POST, &h));
    }
}
