//! What every page shares: the layout's context ([`Page`]), rendering, the language switch and
//! safe redirects.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::i18n::{LANG_COOKIE, Lang, Text};
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

/// The layout's context: language, user and navigation. Every page template has a
/// `page: Page` field and extends `base.html`, which reads only from it.
#[derive(Debug, Clone)]
pub struct Page {
    pub t: &'static Text,
    pub lang: Lang,
    /// `None` on the login and error pages.
    pub user: Option<UserBadge>,
    pub nav: Vec<NavLink>,
    /// The current path, percent-encoded, for the language switch to come back to.
    pub here: String,
    /// The `<title>`, before " · Almen".
    pub title: String,
}

#[derive(Debug, Clone)]
pub struct UserBadge {
    pub display_name: String,
    pub username: String,
    pub role_label: &'static str,
}

#[derive(Debug, Clone)]
pub struct NavLink {
    pub name: &'static str,
    pub path: &'static str,
    pub active: bool,
}

impl Page {
    /// The context for a logged-in user's page at `path`: the navigation lists the start page
    /// and the modules the user's role may use.
    pub fn new(state: &AppState, lang: Lang, user: &CurrentUser, path: &str, title: &str) -> Page {
        let t = lang.text();
        let mut nav = vec![NavLink {
            name: t.nav_start,
            path: "/",
            active: path == "/",
        }];
        nav.extend(state.modules_for(user.role).map(|m| NavLink {
            name: m.name(lang),
            path: m.path,
            active: path == m.path || path.starts_with(&format!("{}/", m.path)),
        }));
        Page {
            t,
            lang,
            user: Some(UserBadge {
                display_name: user.display_name.clone(),
                username: user.username.clone(),
                role_label: user.role.label(lang),
            }),
            nav,
            here: percent_encode(path),
            title: title.to_string(),
        }
    }

    /// The context for a page without a user (login, errors before login).
    pub fn anonymous(lang: Lang, path: &str, title: &str) -> Page {
        Page {
            t: lang.text(),
            lang,
            user: None,
            nav: Vec::new(),
            here: percent_encode(path),
            title: title.to_string(),
        }
    }

    pub fn is_da(&self) -> bool {
        self.lang == Lang::Da
    }
}

/// Renders a template into an HTML response.
pub fn render(template: &impl Template) -> Result<Response, AppError> {
    Ok(Html(template.render()?).into_response())
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
}

/// `GET /lang/{code}?next=/path`: stores the language in a cookie (a year; it is a
/// preference, not a secret) and goes back to the page.
pub async fn set_lang(
    Path(code): Path<String>,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    let lang = Lang::parse(&code).ok_or(AppError::NotFound)?;
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    );
    Ok((
        [(header::SET_COOKIE, cookie)],
        Redirect::to(safe_next(q.next.as_deref())),
    )
        .into_response())
}

/// A redirect target taken from the request, reduced to a path on this site: anything that
/// could leave it (`//host`, `https:`, `/\host`) becomes `/`.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n
        }
        _ => "/",
    }
}

/// Percent-encodes everything but unreserved characters and `/`, for a path in a query string.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn local_paths_are_kept_and_everything_else_goes_home() {
        assert_eq!(safe_next(Some("/audit?x=1")), "/audit?x=1");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "audit",
            "/a\nb",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }

    proptest! {
        #[test]
        fn safe_next_never_leaves_the_site(s in ".*") {
            let n = safe_next(Some(&s));
            prop_assert!(n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'));
        }

        #[test]
        fn percent_encoded_paths_are_plain_ascii(s in ".*") {
            let e = percent_encode(&s);
            prop_assert!(e.bytes().all(|b| b.is_ascii_graphic()));
            prop_assert!(!e.contains('&') && !e.contains('"') && !e.contains('<'));
        }
    }
}
