//! Modules: the parts of Almen that add pages (the audit log now; the cockpit, the
//! out-of-hours service and the others later).
//!
//! A module is one file under `src/` with a `pub fn module(state: &AppState) -> Option<Module>`
//! that returns `None` when the module cannot work (for example without a dataset), so that
//! only working modules appear. [`builtin`] lists them; the app merges their routers and puts
//! them in the navigation of the roles they serve.
//!
//! Every route of a module sits behind a gate that requires a session and one of the module's
//! roles, so a handler cannot forget the check; handlers may narrow it further with
//! [`CurrentUser::require`].

use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::AppError;
use crate::i18n::Lang;
use axum::Router;
use axum::extract::{FromRef, Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// How a module appears: in the top navigation and on the start page, for its roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleNav {
    /// Stable and unique: `audit`, `cockpit`.
    pub id: &'static str,
    pub name_da: &'static str,
    pub name_en: &'static str,
    /// One line for the start page.
    pub summary_da: &'static str,
    pub summary_en: &'static str,
    /// The module's entry page; its other pages live under `{path}/`.
    pub path: &'static str,
    /// Who may use it. Every route of the module requires one of these roles.
    pub roles: &'static [Role],
}

impl ModuleNav {
    pub fn name(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Da => self.name_da,
            Lang::En => self.name_en,
        }
    }

    pub fn summary(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Da => self.summary_da,
            Lang::En => self.summary_en,
        }
    }

    pub fn allows(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// A module: its navigation entry and its routes (state not yet supplied).
pub struct Module {
    pub nav: ModuleNav,
    pub router: Router<AppState>,
    /// Routes outside the gate, for clients without a session (a phone system with an API
    /// token): each handler must authenticate the request itself.
    pub public: Option<Router<AppState>>,
}

impl Module {
    pub fn new(nav: ModuleNav, router: Router<AppState>) -> Module {
        Module {
            nav,
            router,
            public: None,
        }
    }

    /// Adds routes that bypass the session-and-role gate (see [`Module::public`]).
    pub fn with_public(mut self, public: Router<AppState>) -> Module {
        self.public = Some(public);
        self
    }
}

/// The modules of this crate that work with `state`, in navigation order.
pub(crate) fn builtin(state: &AppState) -> Vec<Module> {
    [
        crate::cockpit::module(state),
        crate::capacity::module(state),
        crate::economy::module(state),
        crate::vagt::module(state),
        crate::reference_page::module(state),
        crate::audit_page::module(state),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The state of a module's gate: the app (for the session) and the module's roles.
#[derive(Clone)]
pub(crate) struct Gate {
    pub state: AppState,
    pub roles: &'static [Role],
}

impl FromRef<Gate> for AppState {
    fn from_ref(gate: &Gate) -> AppState {
        gate.state.clone()
    }
}

/// Lets a request through to a module only with a session and one of the module's roles.
/// The user it finds stays in the request, so the handler's `CurrentUser` costs no query.
pub(crate) async fn gate(
    State(gate): State<Gate>,
    user: CurrentUser,
    req: Request,
    next: Next,
) -> Result<Response, AppError> {
    user.require(gate.roles)?;
    Ok(next.run(req).await)
}
