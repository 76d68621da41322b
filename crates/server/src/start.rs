//! `/`: the start page. Greets the user, lists the modules of their role, and describes the
//! loaded dataset.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::i18n::{Lang, Text};
use crate::pages::{Page, render};
use almen_core::Day;
use almen_dataset::Dataset;
use askama::Template;
use axum::extract::State;
use axum::response::Response;

#[derive(Template)]
#[template(path = "start.html")]
struct StartTemplate {
    page: Page,
    display_name: String,
    role_label: &'static str,
    modules: Vec<ModuleLine>,
    /// `None` when no dataset is loaded.
    facts: Option<Vec<(String, String)>>,
}

struct ModuleLine {
    name: &'static str,
    path: &'static str,
    summary: &'static str,
}

pub async fn page(
    State(state): State<AppState>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let t = lang.text();
    let modules = state
        .modules_for(user.role)
        .map(|m| ModuleLine {
            name: m.name(lang),
            path: m.path,
            summary: m.summary(lang),
        })
        .collect();
    render(&StartTemplate {
        page: Page::new(&state, lang, &user, "/", t.start_title),
        display_name: user.display_name.clone(),
        role_label: user.role.label(lang),
        modules,
        facts: state.dataset.as_deref().map(|ds| dataset_summary(ds, lang)),
    })
}

/// The facts about a dataset that the start page shows, as (label, value) in `lang`:
/// counts of clinics, doctors and patients, the period covered, and calls if present.
/// Aggregates only, so every role may see them.
pub fn dataset_summary(ds: &Dataset, lang: Lang) -> Vec<(String, String)> {
    let t: &Text = lang.text();
    let mut facts = vec![
        (t.dataset_clinics.to_string(), count(ds.clinics.len(), lang)),
        (t.dataset_doctors.to_string(), count(ds.doctors.len(), lang)),
        (
            t.dataset_patients.to_string(),
            count(ds.patients.len(), lang),
        ),
        (
            t.dataset_period.to_string(),
            match ds.date_range {
                Some((first, last)) => format!("{} – {}", iso(first), iso(last)),
                None => t.dataset_no_dates.to_string(),
            },
        ),
    ];
    if ds.present.calls {
        facts.push((t.dataset_calls.to_string(), count(ds.calls.len(), lang)));
    }
    facts
}

fn iso(day: Day) -> String {
    day.to_naive().format("%Y-%m-%d").to_string()
}

/// `1.234.567` in Danish, `1,234,567` in English.
fn count(n: usize, lang: Lang) -> String {
    let sep = lang.pick(".", ",");
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use almen_dataset::Tables;

    #[test]
    fn counts_get_the_language_s_thousands_separator() {
        assert_eq!(count(0, Lang::Da), "0");
        assert_eq!(count(999, Lang::Da), "999");
        assert_eq!(count(1000, Lang::Da), "1.000");
        assert_eq!(count(1_234_567, Lang::En), "1,234,567");
    }

    #[test]
    fn an_empty_dataset_is_described_without_dates() {
        let ds = Dataset::from_tables(Tables::default()).unwrap();
        let facts = dataset_summary(&ds, Lang::En);
        assert_eq!(facts[0], ("Clinics".to_string(), "0".to_string()));
        assert_eq!(facts[3], ("Period".to_string(), "no dates".to_string()));
    }
}
