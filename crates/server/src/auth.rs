//! Users, roles, passwords and sessions.
//!
//! - Passwords are stored as argon2id PHC strings; hashing runs on the blocking pool because it
//!   is deliberately slow.
//! - A session is a random 32-byte token in an HttpOnly, SameSite=Strict cookie. The database
//!   holds only its SHA-256, so a copy of the database does not yield live sessions.
//! - [`CurrentUser`] is the extractor every protected handler takes: without a valid session it
//!   rejects with [`AppError::Unauthenticated`] (a redirect to `/login` for pages, 401 JSON for
//!   `/api`).

use crate::AppState;
use crate::db::Db;
use crate::error::{AppError, Error};
use crate::i18n::{Lang, Text};
use almen_core::Timestamp;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::fmt::Write as _;
use std::sync::OnceLock;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "almen_session";
/// How long a session lives: one working day and evening, then log in again.
pub const SESSION_SECONDS: i64 = 12 * 60 * 60;
/// The shortest password `create_user` accepts.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// What a user may do. One role per user; a person with two jobs has two accounts, so that the
/// audit log says in which capacity data were seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// A GP (praktiserende læge): the patients of their own clinic.
    Gp,
    /// The triaging doctor (visitator) on duty at the out-of-hours service.
    Visitator,
    /// Plans shifts and capacity; sees the service, not patients' records.
    Coordinator,
    /// Drives the doctor on home visits (sygebesøg).
    Driver,
    /// Region or PLO analyst: aggregates only.
    Analyst,
    /// Runs the installation: users and the audit log.
    Admin,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Gp,
        Role::Visitator,
        Role::Coordinator,
        Role::Driver,
        Role::Analyst,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Gp => "gp",
            Role::Visitator => "visitator",
            Role::Coordinator => "coordinator",
            Role::Driver => "driver",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The role's name for people, in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        let t: &Text = lang.text();
        match self {
            Role::Gp => t.role_gp,
            Role::Visitator => t.role_visitator,
            Role::Coordinator => t.role_coordinator,
            Role::Driver => t.role_driver,
            Role::Analyst => t.role_analyst,
            Role::Admin => t.role_admin,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One demo user per role: `(username, password, role)`. Created by `--demo-users` for trying
/// Almen on synthetic data; the passwords are public, so never on a real installation.
pub const DEMO_USERS: &[(&str, &str, Role)] = &[
    ("gp", "almen-gp", Role::Gp),
    ("visitator", "almen-visitator", Role::Visitator),
    ("coordinator", "almen-coordinator", Role::Coordinator),
    ("driver", "almen-driver", Role::Driver),
    ("analyst", "almen-analyst", Role::Analyst),
    ("admin", "almen-admin", Role::Admin),
];

/// The display name of a demo user (invented names, so the start page greets someone).
pub fn demo_display_name(role: Role) -> &'static str {
    match role {
        Role::Gp => "Karen Holm",
        Role::Visitator => "Jens Vang",
        Role::Coordinator => "Mette Lund",
        Role::Driver => "Ole Bak",
        Role::Analyst => "Sara Friis",
        Role::Admin => "Lone Dahl",
    }
}

/// Creates the demo users that do not exist yet. Existing ones are left alone (their password
/// may have been changed), so running it at every start is safe.
pub async fn ensure_demo_users(db: &Db) -> Result<(), Error> {
    for &(username, password, role) in DEMO_USERS {
        if user_id(db, username).await?.is_none() {
            match create_user(db, username, demo_display_name(role), role, password).await {
                // Another server process on the same database got there first.
                Ok(_) | Err(Error::UsernameTaken(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

async fn user_id(db: &Db, username: &str) -> Result<Option<i64>, Error> {
    let row = sqlx::query("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(db.pool())
        .await?;
    Ok(match row {
        Some(r) => Some(r.try_get(0)?),
        None => None,
    })
}

/// Creates a user; returns the id. Usernames are 1-64 characters of `a-z 0-9 . _ -`, so they
/// are safe in logs and URLs; passwords have at least [`MIN_PASSWORD_CHARS`] characters.
pub async fn create_user(
    db: &Db,
    username: &str,
    display_name: &str,
    role: Role,
    password: &str,
) -> Result<i64, Error> {
    validate_username(username)?;
    let display_name = display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > 100 {
        return Err(Error::Invalid {
            field: "display_name",
            value: Some(display_name.to_string()),
            rule: "a display name has 1-100 characters",
        });
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::Invalid {
            field: "password",
            value: None,
            rule: "a password has at least 8 characters",
        });
    }
    let hash = hash_password(password.to_string()).await?;
    let res = sqlx::query(
        "INSERT INTO users (username, display_name, role, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(username)
    .bind(display_name)
    .bind(role.as_str())
    .bind(hash)
    .bind(Timestamp::now().unix())
    .fetch_one(db.pool())
    .await;
    match res {
        Ok(row) => Ok(row.try_get(0)?),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(Error::UsernameTaken(username.to_string()))
        }
        Err(e) => Err(e.into()),
    }
}

fn validate_username(username: &str) -> Result<(), Error> {
    let ok = !username.is_empty()
        && username.len() <= 64
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid {
            field: "username",
            value: Some(username.to_string()),
            rule: "a username has 1-64 characters of a-z, 0-9, '.', '_' and '-'",
        })
    }
}

/// argon2id with the library's recommended parameters (19 MiB, 2 passes).
fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

async fn hash_password(password: String) -> Result<String, Error> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&salt).map_err(|e| Error::PasswordHash(e.to_string()))?;
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::PasswordHash(e.to_string()))
    })
    .await?
}

/// True if `password` matches the stored PHC string.
async fn verify_password(password: String, stored: String) -> Result<bool, Error> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&stored).map_err(|e| Error::PasswordHash(e.to_string()))?;
        Ok(argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await?
}

/// A hash to verify against when the username is unknown, so that a wrong username takes as
/// long as a wrong password and response times do not reveal which usernames exist.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        // A fixed salt is fine here: nothing is protected by this hash.
        SaltString::encode_b64(b"almen-dummy-salt")
            .ok()
            .and_then(|salt| {
                argon2()
                    .hash_password(b"no user has this password", &salt)
                    .ok()
                    .map(|h| h.to_string())
            })
            .unwrap_or_default()
    })
}

/// Checks a username and password; `Ok(None)` when they do not match a user.
pub async fn authenticate(
    db: &Db,
    username: &str,
    password: &str,
) -> Result<Option<CurrentUser>, Error> {
    let row = sqlx::query(
        "SELECT id, username, display_name, role, password_hash FROM users WHERE username = $1",
    )
    .bind(username)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else {
        let dummy = tokio::task::spawn_blocking(dummy_hash).await?;
        verify_password(password.to_string(), dummy.to_string()).await?;
        return Ok(None);
    };
    let stored: String = row.try_get(4)?;
    if !verify_password(password.to_string(), stored).await? {
        return Ok(None);
    }
    Ok(Some(user_from_row(&row)?))
}

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<CurrentUser, Error> {
    let role: String = row.try_get(3)?;
    Ok(CurrentUser {
        id: row.try_get(0)?,
        username: row.try_get(1)?,
        display_name: row.try_get(2)?,
        // The CHECK constraint keeps unknown roles out; this guards a hand-edited database.
        role: Role::parse(&role).ok_or(Error::Invalid {
            field: "role",
            value: Some(role),
            rule: "a role stored in users is one of the six roles",
        })?,
    })
}

/// Starts a session for `user_id`; returns the token for the cookie (the database keeps only
/// its hash). Expired sessions are swept here, where it costs a login, not a page view.
pub async fn start_session(db: &Db, user_id: i64) -> Result<String, Error> {
    let now = Timestamp::now().unix();
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(db.pool())
        .await?;
    let token = random_hex(32);
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash(&token))
    .bind(user_id)
    .bind(now)
    .bind(now + SESSION_SECONDS)
    .execute(db.pool())
    .await?;
    Ok(token)
}

pub async fn end_session(db: &Db, token: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash(token))
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The user of a live session, or `None` for an unknown or expired token.
pub async fn session_user(db: &Db, token: &str) -> Result<Option<CurrentUser>, Error> {
    let row = sqlx::query(
        "SELECT u.id, u.username, u.display_name, u.role FROM sessions s \
         JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(token_hash(token))
    .bind(Timestamp::now().unix())
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// The `Set-Cookie` value that stores a session token.
pub fn session_cookie(token: &str) -> String {
    format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={SESSION_SECONDS}"
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// `n` random bytes as lowercase hex, from the thread-local CSPRNG (ChaCha, seeded by the OS).
pub(crate) fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The value of cookie `name` from the request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The logged-in user of a request. Take it as a handler argument to require a session;
/// take `Option<CurrentUser>` where a session is welcome but not needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
}

impl CurrentUser {
    /// `Err(Forbidden)` (a 403 page) unless the user has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

impl<S> OptionalFromRequestParts<S> for CurrentUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<CurrentUser>, AppError> {
        // A module's role gate already looked the session up: reuse it.
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(Some(user.clone()));
        }
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Ok(None);
        };
        let state = AppState::from_ref(state);
        let user = session_user(&state.db, token).await?;
        if let Some(user) = &user {
            parts.extensions.insert(user.clone());
        }
        Ok(user)
    }
}

impl<S> FromRequestParts<S> for CurrentUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<CurrentUser, AppError> {
        <CurrentUser as OptionalFromRequestParts<S>>::from_request_parts(parts, state)
            .await?
            .ok_or(AppError::Unauthenticated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("Admin"), None);
    }

    #[test]
    fn every_role_has_one_demo_user_whose_password_is_long_enough() {
        for role in Role::ALL {
            let users: Vec<_> = DEMO_USERS.iter().filter(|u| u.2 == role).collect();
            assert_eq!(users.len(), 1, "{role}");
            assert!(users[0].1.len() >= MIN_PASSWORD_CHARS);
            assert!(validate_username(users[0].0).is_ok());
        }
    }

    #[test]
    fn cookies_are_found_among_several_headers_and_pairs() {
        let mut h = HeaderMap::new();
        h.append("cookie", HeaderValue::from_static("a=1; lang=en"));
        h.append("cookie", HeaderValue::from_static("almen_session=abc"));
        assert_eq!(cookie(&h, "lang"), Some("en"));
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn usernames_outside_the_safe_alphabet_are_rejected() {
        assert!(validate_username("karen.holm").is_ok());
        for bad in ["", "Karen", "a b", "a\nb", "æble", &"a".repeat(65)] {
            assert!(validate_username(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tokens_are_64_hex_chars_and_their_hash_differs() {
        let t = random_hex(32);
        assert_eq!(t.len(), 64);
        assert!(t.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(token_hash(&t), t);
        assert_eq!(token_hash(&t), token_hash(&t));
    }

    #[tokio::test]
    async fn a_password_verifies_against_its_hash_and_no_other() {
        let h = hash_password("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify_password("correct horse".into(), h.clone())
                .await
                .unwrap()
        );
        assert!(!verify_password("wrong horse".into(), h).await.unwrap());
    }
}
