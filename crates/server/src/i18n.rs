//! Every string of the user interface, in Danish and English.
//!
//! A page gets `&'static Text` for the request's language and uses its fields; no UI string is
//! written in a template or a handler. A new string is a new field here, so a missing
//! translation is a compile error, not a blank on a page. Modules name themselves in
//! [`crate::ModuleNav`].

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::convert::Infallible;

/// The cookie that holds the chosen language (`da` or `en`).
pub const LANG_COOKIE: &str = "lang";

/// The user's language. Danish is the default: Almen is Danish software for Danish clinics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Da,
    En,
}

impl Lang {
    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "da" => Some(Lang::Da),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Da => "da",
            Lang::En => "en",
        }
    }

    pub fn text(self) -> &'static Text {
        match self {
            Lang::Da => &DA,
            Lang::En => &EN,
        }
    }

    /// Picks the Danish or the English one of a pair.
    pub fn pick<'a>(self, da: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Da => da,
            Lang::En => en,
        }
    }
}

/// Reads the `lang` cookie; anything missing or unknown is Danish.
impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Lang, Infallible> {
        Ok(crate::auth::cookie(&parts.headers, LANG_COOKIE)
            .and_then(Lang::parse)
            .unwrap_or_default())
    }
}

/// The strings of one language.
#[derive(Debug)]
pub struct Text {
    pub lang_code: &'static str,
    pub app_name: &'static str,
    pub tagline: &'static str,

    pub nav_start: &'static str,
    pub nav_logout: &'static str,
    pub nav_language: &'static str,
    pub nav_main: &'static str,

    pub login_title: &'static str,
    pub login_intro: &'static str,
    pub login_username: &'static str,
    pub login_password: &'static str,
    pub login_submit: &'static str,
    pub login_failed: &'static str,

    pub start_title: &'static str,
    pub start_greeting: &'static str,
    pub start_role: &'static str,
    pub start_modules: &'static str,
    pub start_no_modules: &'static str,
    pub start_dataset: &'static str,
    pub start_no_dataset: &'static str,

    pub dataset_clinics: &'static str,
    pub dataset_doctors: &'static str,
    pub dataset_patients: &'static str,
    pub dataset_period: &'static str,
    pub dataset_calls: &'static str,
    pub dataset_no_dates: &'static str,

    pub audit_title: &'static str,
    pub audit_intro: &'static str,
    pub audit_at: &'static str,
    pub audit_user: &'static str,
    pub audit_action: &'static str,
    pub audit_patient: &'static str,
    pub audit_reason: &'static str,
    pub audit_detail: &'static str,
    pub audit_empty: &'static str,

    pub error_title: &'static str,
    pub error_not_found: &'static str,
    pub error_forbidden: &'static str,
    pub error_unauthenticated: &'static str,
    pub error_internal: &'static str,
    pub error_id: &'static str,
    pub error_back: &'static str,

    pub role_gp: &'static str,
    pub role_visitator: &'static str,
    pub role_coordinator: &'static str,
    pub role_driver: &'static str,
    pub role_analyst: &'static str,
    pub role_admin: &'static str,
}

pub static DA: Text = Text {
    lang_code: "da",
    app_name: "Almen",
    tagline: "Åben software til almen praksis",

    nav_start: "Forside",
    nav_logout: "Log ud",
    nav_language: "Sprog",
    nav_main: "Hovedmenu",

    login_title: "Log ind",
    login_intro: "Log ind med dit brugernavn og din adgangskode.",
    login_username: "Brugernavn",
    login_password: "Adgangskode",
    login_submit: "Log ind",
    login_failed: "Forkert brugernavn eller adgangskode.",

    start_title: "Forside",
    start_greeting: "Goddag",
    start_role: "Din rolle",
    start_modules: "Det kan du gøre her",
    start_no_modules: "Din rolle har endnu ingen moduler.",
    start_dataset: "Datasæt",
    start_no_dataset: "Intet datasæt indlæst.",

    dataset_clinics: "Klinikker",
    dataset_doctors: "Læger",
    dataset_patients: "Patienter",
    dataset_period: "Periode",
    dataset_calls: "Opkald til lægevagten",
    dataset_no_dates: "ingen datoer",

    audit_title: "Adgangslog",
    audit_intro: "De seneste 200 handlinger. Patientnumre er maskeret.",
    audit_at: "Tidspunkt",
    audit_user: "Bruger",
    audit_action: "Handling",
    audit_patient: "Patient",
    audit_reason: "Begrundelse",
    audit_detail: "Detaljer",
    audit_empty: "Loggen er tom.",

    error_title: "Fejl",
    error_not_found: "Siden findes ikke.",
    error_forbidden: "Din rolle giver ikke adgang til denne side.",
    error_unauthenticated: "Du er ikke logget ind.",
    error_internal: "Der opstod en intern fejl. Prøv igen, eller kontakt support med fejlnummeret.",
    error_id: "Fejlnummer",
    error_back: "Til forsiden",

    role_gp: "Praktiserende læge",
    role_visitator: "Visitator",
    role_coordinator: "Koordinator",
    role_driver: "Vagtchauffør",
    role_analyst: "Analytiker",
    role_admin: "Administrator",
};

pub static EN: Text = Text {
    lang_code: "en",
    app_name: "Almen",
    tagline: "Open software for general practice",

    nav_start: "Start",
    nav_logout: "Log out",
    nav_language: "Language",
    nav_main: "Main menu",

    login_title: "Log in",
    login_intro: "Log in with your username and password.",
    login_username: "Username",
    login_password: "Password",
    login_submit: "Log in",
    login_failed: "Wrong username or password.",

    start_title: "Start",
    start_greeting: "Hello",
    start_role: "Your role",
    start_modules: "What you can do here",
    start_no_modules: "Your role has no modules yet.",
    start_dataset: "Dataset",
    start_no_dataset: "No dataset loaded.",

    dataset_clinics: "Clinics",
    dataset_doctors: "Doctors",
    dataset_patients: "Patients",
    dataset_period: "Period",
    dataset_calls: "Out-of-hours calls",
    dataset_no_dates: "no dates",

    audit_title: "Audit log",
    audit_intro: "The latest 200 actions. Patient ids are masked.",
    audit_at: "Time",
    audit_user: "User",
    audit_action: "Action",
    audit_patient: "Patient",
    audit_reason: "Reason",
    audit_detail: "Detail",
    audit_empty: "The log is empty.",

    error_title: "Error",
    error_not_found: "This page does not exist.",
    error_forbidden: "Your role does not give access to this page.",
    error_unauthenticated: "You are not logged in.",
    error_internal: "An internal error occurred. Try again, or contact support with the error id.",
    error_id: "Error id",
    error_back: "To the start page",

    role_gp: "GP",
    role_visitator: "Triage doctor",
    role_coordinator: "Coordinator",
    role_driver: "Driver",
    role_analyst: "Analyst",
    role_admin: "Administrator",
};
