//! The economy's pages: `/economy` (to the frame, or a GP's own clinic), the frame dashboard,
//! the clinic picker, a clinic's control page with its correction-card download, and the fee
//! simulation.

use super::text::EconomyText;
use super::{Economy, svg};
use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::cockpit::linked_clinics;
use crate::db::{AuditEntry, audit_view};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::{Page, render};
use almen_economy::frame::DEFAULT_TOLERANCE;
use almen_economy::{FrameInput, FrameReport, Reading, RuleKind, example_2023, propose};
use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Findings shown on a clinic's page (the counts per rule cover all).
const SHOWN: usize = 500;

fn links(et: &'static EconomyText, role: Role) -> Vec<(&'static str, &'static str)> {
    if role == Role::Gp {
        return vec![("/economy", et.nav_clinics)];
    }
    vec![
        ("/economy/frame", et.nav_frame),
        ("/economy/clinics", et.nav_clinics),
        ("/economy/fees", et.nav_fees),
    ]
}

/// Analysts and administrators only.
fn require_overview(user: &CurrentUser) -> Result<(), AppError> {
    user.require(&[Role::Analyst, Role::Admin])
}

/// The clinic row of a path for a user who may open it: 404 for an unknown clinic, 403 for a
/// GP's clinic they are not linked to.
async fn open_clinic(
    state: &AppState,
    ec: &Economy,
    user: &CurrentUser,
    clinic_id: &str,
) -> Result<u32, AppError> {
    let row = ec.ds.clinic_row(clinic_id).ok_or(AppError::NotFound)?;
    match user.role {
        Role::Analyst | Role::Admin => Ok(row),
        Role::Gp => {
            if linked_clinics(&state.db, user.id)
                .await?
                .iter()
                .any(|c| c == clinic_id)
            {
                Ok(row)
            } else {
                Err(AppError::Forbidden)
            }
        }
        _ => Err(AppError::Forbidden),
    }
}

fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `GET /economy`: the frame for analysts and administrators; a GP's own clinic.
pub(crate) async fn entry(
    State(state): State<AppState>,
    Extension(ec): Extension<Economy>,
    user: CurrentUser,
) -> Result<Response, AppError> {
    if user.role != Role::Gp {
        return Ok(Redirect::to("/economy/frame").into_response());
    }
    let ids = linked_clinics(&state.db, user.id).await?;
    match ids.iter().find(|id| ec.ds.clinic_row(id).is_some()) {
        Some(id) => Ok(Redirect::to(&format!("/economy/clinics/{}", seg(id))).into_response()),
        None => Err(AppError::Forbidden),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct FrameQuery {
    reading: Option<String>,
    frame_dkk: Option<String>,
    example: Option<String>,
}

struct Tile {
    label: &'static str,
    value: String,
    testid: &'static str,
}

struct MonthRow {
    month: String,
    frame: String,
    activity: String,
    cumulative_frame: String,
    cumulative_activity: String,
    observed: bool,
}

#[derive(Template)]
#[template(path = "economy/frame.html")]
struct FrameTemplate {
    page: Page,
    et: &'static EconomyText,
    links: Vec<(&'static str, &'static str)>,
    reading: &'static str,
    example: bool,
    frame_input: String,
    note: Option<&'static str>,
    year: i32,
    tiles: Vec<Tile>,
    forecast: String,
    cumulative_svg: String,
    monthly_svg: String,
    months: Vec<MonthRow>,
    adjustments: Vec<String>,
}

/// `GET /economy/frame?reading=plo|rltn&frame_dkk=…&example=2023`.
pub(crate) async fn frame_page(
    State(state): State<AppState>,
    Extension(ec): Extension<Economy>,
    Query(q): Query<FrameQuery>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, AppError> {
    require_overview(&user)?;
    let et = EconomyText::of(lang);
    let reading = match q.reading.as_deref().filter(|s| !s.is_empty()) {
        None => Reading::Plo,
        Some(s) => Reading::parse(s).ok_or_else(|| {
            AppError::bad_request(
                "Læsningen skal være plo eller rltn.",
                "The reading must be plo or rltn.",
            )
        })?,
    };
    let example = match q.example.as_deref().filter(|s| !s.is_empty()) {
        None => false,
        Some("2023") => true,
        Some(_) => {
            return Err(AppError::bad_request(
                "Der er kun et indbygget eksempel for 2023.",
                "There is a built-in example for 2023 only.",
            ));
        }
    };
    let given = match q
        .frame_dkk
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => Some(
            s.replace(['.', ' '], "")
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite() && *f > 0.0)
                .ok_or_else(|| {
                    AppError::bad_request(
                        "Rammen skal være et positivt beløb i kr.",
                        "The frame must be a positive amount in DKK.",
                    )
                })?,
        ),
    };
    let (report, note): (FrameReport, Option<&'static str>) = if example {
        (example_2023(reading), None)
    } else {
        let c = ec.computed().await?;
        let prev: f64 = c.prev_inside.iter().sum();
        let (frame_dkk, note) = match given {
            Some(f) => (f, None),
            None if prev > 0.0 => (prev, Some(et.default_frame)),
            None => (c.inside.iter().sum(), Some(et.no_previous_year)),
        };
        let (profile, source) = c.profile();
        let report = almen_economy::compute_frame(&FrameInput {
            year: c.year,
            frame_dkk,
            tolerance: DEFAULT_TOLERANCE,
            reading,
            inside: c.inside,
            outside: c.outside,
            observed_months: c.observed_months,
            profile,
            profile_source: source,
            compensate_store_bededag: false,
        });
        (report, note)
    };
    let labels: Vec<String> = report
        .months
        .iter()
        .map(|m| m.month.get(5..7).unwrap_or(&m.month).to_string())
        .collect();
    let tiles = vec![
        Tile {
            label: et.frame_dkk,
            value: et.mdkk(report.frame_dkk),
            testid: "tile-frame",
        },
        Tile {
            label: et.effective_frame,
            value: et.mdkk(report.effective_frame_dkk),
            testid: "tile-effective-frame",
        },
        Tile {
            label: et.activity,
            value: et.mdkk(report.activity_dkk),
            testid: "tile-activity",
        },
        Tile {
            label: et.overshoot,
            value: format!(
                "{} ({})",
                et.mdkk(report.overshoot_dkk),
                et.pct(Some(report.overshoot_pct))
            ),
            testid: "tile-overshoot",
        },
        Tile {
            label: et.tolerance,
            value: et.mdkk(report.tolerance_dkk),
            testid: "tile-tolerance",
        },
        Tile {
            label: et.countable,
            value: et.mdkk(report.countable_offset_dkk),
            testid: "tile-countable",
        },
    ];
    let forecast = format!(
        "{} ({} {} – {})",
        et.mdkk(report.forecast.year_end_activity_dkk),
        et.interval,
        et.mdkk(report.forecast.low_dkk),
        et.mdkk(report.forecast.high_dkk)
    );
    let months = report
        .months
        .iter()
        .map(|m| MonthRow {
            month: m.month.clone(),
            frame: et.mdkk(m.frame_dkk),
            activity: et.mdkk(m.activity_dkk),
            cumulative_frame: et.mdkk(m.cumulative_frame_dkk),
            cumulative_activity: et.mdkk(m.cumulative_activity_dkk),
            observed: m.observed,
        })
        .collect();
    let adjustments = report
        .adjustments
        .iter()
        .map(|a| {
            let text = match lang {
                Lang::Da => &a.description_da,
                Lang::En => &a.description,
            };
            format!("{}: {} — {text}", a.name, et.mdkk(a.dkk))
        })
        .collect();
    render(&FrameTemplate {
        page: Page::new(&state, lang, &user, "/economy", et.frame_title),
        et,
        links: links(et, user.role),
        reading: match reading {
            Reading::Plo => "plo",
            Reading::Rltn => "rltn",
        },
        example,
        frame_input: given.map(|f| format!("{f:.0}")).unwrap_or_default(),
        note,
        year: report.year,
        tiles,
        forecast,
        cumulative_svg: svg::cumulative(&report, &labels, et.chart_aria),
        monthly_svg: svg::monthly(&report, &labels, et.monthly),
        months,
        adjustments,
    })
}

struct ClinicRow {
    id: String,
    href: String,
    findings: usize,
    index: String,
    flagged: bool,
}

#[derive(Template)]
#[template(path = "economy/clinics.html")]
struct ClinicsTemplate {
    page: Page,
    et: &'static EconomyText,
    links: Vec<(&'static str, &'static str)>,
    year: i32,
    rows: Vec<ClinicRow>,
}

/// `GET /economy/clinics`: every clinic with its findings and index (analysts, administrators).
pub(crate) async fn clinics_page(
    State(state): State<AppState>,
    Extension(ec): Extension<Economy>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, AppError> {
    require_overview(&user)?;
    let et = EconomyText::of(lang);
    let c = ec.computed().await?;
    let mut rows: Vec<ClinicRow> = c
        .analysis
        .clinics
        .iter()
        .map(|o| {
            let id = ec.ds.clinics.id.get(o.clinic as usize).to_string();
            let ix = c.index.iter().find(|i| i.clinic_id == id);
            ClinicRow {
                href: format!("/economy/clinics/{}", seg(&id)),
                findings: o.findings.len(),
                index: ix
                    .and_then(|i| i.index)
                    .map_or("–".into(), |v| et.dec(v, 1)),
                flagged: ix.is_some_and(|i| i.flagged),
                id,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.findings.cmp(&a.findings).then(a.id.cmp(&b.id)));
    render(&ClinicsTemplate {
        page: Page::new(&state, lang, &user, "/economy", et.clinics_title),
        et,
        links: links(et, user.role),
        year: c.year,
        rows,
    })
}

struct FindingRow {
    rule: String,
    explanation: String,
    patient: String,
    claims: String,
    date: String,
}

struct GroupRow {
    group: String,
    observed: String,
    expected: String,
    index: String,
}

#[derive(Template)]
#[template(path = "economy/clinic.html")]
struct ClinicTemplate {
    page: Page,
    et: &'static EconomyText,
    links: Vec<(&'static str, &'static str)>,
    clinic_id: String,
    year: i32,
    total: usize,
    /// The rule the findings are filtered on (`?rule=`).
    rule: Option<String>,
    /// Findings of the rule (or all).
    shown_of: usize,
    findings: Vec<FindingRow>,
    by_rule: Vec<(String, usize)>,
    corrections: usize,
    csv_href: String,
    index: String,
    flag: String,
    groups: Vec<GroupRow>,
}

/// `GET /economy/clinics/{clinic_id}`: the clinic's findings, counts per rule, the
/// isolated-6101 correction proposal and the standardised activity index.
#[derive(Debug, Deserialize)]
pub(crate) struct ClinicQuery {
    rule: Option<String>,
}

pub(crate) async fn clinic_page(
    State(state): State<AppState>,
    Extension(ec): Extension<Economy>,
    Path(clinic_id): Path<String>,
    Query(q): Query<ClinicQuery>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let row = open_clinic(&state, &ec, &user, &clinic_id).await?;
    let et = EconomyText::of(lang);
    let c = ec.computed().await?;
    let outcome = c.analysis.clinics.iter().find(|o| o.clinic == row);
    let raw: Vec<_> = outcome
        .map(|o| o.findings.iter().collect())
        .unwrap_or_default();
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    for f in &raw {
        *by_rule
            .entry(ec.rules.rules[f.rule].id.clone())
            .or_default() += 1;
    }
    let rule = q.rule.filter(|r| by_rule.contains_key(r));
    let selected: Vec<_> = raw
        .iter()
        .filter(|f| {
            rule.as_ref()
                .is_none_or(|r| ec.rules.rules[f.rule].id == *r)
        })
        .collect();
    let findings = selected
        .iter()
        .take(SHOWN)
        .map(|f| {
            let p = f.public(&ec.ds, &ec.rules);
            FindingRow {
                explanation: match lang {
                    Lang::Da => format!("{} ({})", p.explanation_da, p.detail),
                    Lang::En => p.explanation,
                },
                rule: p.rule,
                patient: p.patient,
                claims: p.claim_ids.join(" "),
                date: p.service_date.to_string(),
            }
        })
        .collect();
    let (ds, rules, year) = (ec.ds.clone(), ec.rules.clone(), c.year);
    let corrections = tokio::task::spawn_blocking(move || propose(&ds, &rules, row, year).len())
        .await
        .map_err(AppError::internal)?;
    let ix = c.index.iter().find(|i| i.clinic_id == clinic_id);
    render(&ClinicTemplate {
        page: Page::new(&state, lang, &user, "/economy", et.clinic_title),
        et,
        links: links(et, user.role),
        csv_href: format!("/economy/clinics/{}/corrections.csv", seg(&clinic_id)),
        clinic_id,
        year: c.year,
        total: raw.len(),
        rule,
        shown_of: selected.len(),
        findings,
        by_rule: by_rule.into_iter().collect(),
        corrections,
        index: ix
            .and_then(|i| i.index)
            .map_or("–".into(), |v| et.dec(v, 1)),
        flag: ix
            .filter(|i| i.flagged)
            .map_or(et.not_flagged.to_string(), |i| i.explanation.clone()),
        groups: ix
            .map(|i| {
                i.groups
                    .iter()
                    .map(|g| GroupRow {
                        group: g.group.clone(),
                        observed: et.dkk(g.observed_dkk),
                        expected: et.dkk(g.expected_dkk),
                        index: g.index.map_or("–".into(), |v| et.dec(v, 1)),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// `GET /economy/clinics/{clinic_id}/corrections.csv`: the correction cards in the claims
/// format. They name patients in full, so the download is audit-logged first.
pub(crate) async fn corrections_csv(
    State(state): State<AppState>,
    Extension(ec): Extension<Economy>,
    Path(clinic_id): Path<String>,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let row = open_clinic(&state, &ec, &user, &clinic_id).await?;
    let year = ec.year;
    let talk = ec
        .rules
        .rules
        .iter()
        .find(|r| matches!(r.kind, RuleKind::Isolated6101))
        .map(|r| r.codes[0])
        .ok_or(AppError::NotFound)?;
    let (ds, rules) = (ec.ds.clone(), ec.rules.clone());
    let (n, bytes) = tokio::task::spawn_blocking(move || {
        let proposals = propose(&ds, &rules, row, year);
        let today =
            almen_core::Day::from_naive(almen_core::Timestamp::now().to_local().date_naive());
        let mut out = Vec::new();
        almen_economy::write_correction_cards(&ds, &proposals, talk, today, &mut out)
            .map(|()| (proposals.len(), out))
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::internal)?;
    audit_view(
        &state.db,
        AuditEntry::new(&user, "economy.corrections.export").detail(serde_json::json!({
            "clinic_id": clinic_id,
            "year": year,
            "corrections": n,
        })),
    )
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"corrections-{}.csv\"",
                    seg(&clinic_id)
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

struct FeeRow {
    clinic_id: String,
    clinic_type: String,
    listed: String,
    today: String,
    scenario: String,
    change: String,
}

struct GroupFeeRow {
    group: String,
    clinics: usize,
    change: String,
    winners: usize,
    losers: usize,
}

#[derive(Template)]
#[template(path = "economy/fees.html")]
struct FeesTemplate {
    page: Page,
    et: &'static EconomyText,
    links: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    scenario: String,
    year: i32,
    summary: String,
    histogram_svg: String,
    /// Winners, then losers.
    tables: Vec<(&'static str, Vec<FeeRow>)>,
    groups: Vec<(&'static str, Vec<GroupFeeRow>)>,
}

/// `GET /economy/fees`: the shipped scenario's simulation.
pub(crate) async fn fees_page(
    State(state): State<AppState>,
    Extension(ec): Extension<Economy>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, AppError> {
    require_overview(&user)?;
    let et = EconomyText::of(lang);
    let fees = ec.fees().await?;
    let page = Page::new(&state, lang, &user, "/economy", et.fees_title);
    let r = match fees.as_ref() {
        Ok(r) => r,
        Err(e) => {
            return render(&FeesTemplate {
                page,
                et,
                links: links(et, user.role),
                error: Some(e.clone()),
                scenario: String::new(),
                year: ec.year,
                summary: String::new(),
                histogram_svg: String::new(),
                tables: Vec::new(),
                groups: Vec::new(),
            });
        }
    };
    let row = |c: &almen_economy::ClinicFees| FeeRow {
        clinic_id: c.clinic_id.clone(),
        clinic_type: c.clinic_type.clone(),
        listed: et.dkk(c.listed),
        today: et.dkk(c.today_dkk),
        scenario: et.dkk(c.scenario_dkk),
        change: format!("{} ({})", et.dkk(c.change_dkk), et.pct(c.change_pct)),
    };
    let mut sorted: Vec<_> = r.clinics.iter().collect();
    sorted.sort_by(|a, b| {
        b.change_pct
            .unwrap_or(0.0)
            .total_cmp(&a.change_pct.unwrap_or(0.0))
            .then(a.clinic_id.cmp(&b.clinic_id))
    });
    let winners = sorted
        .iter()
        .filter(|c| c.change_dkk > 0.0)
        .take(10)
        .map(|c| row(c))
        .collect();
    let losers = sorted
        .iter()
        .rev()
        .filter(|c| c.change_dkk < 0.0)
        .take(10)
        .map(|c| row(c))
        .collect();
    let group = |g: &[almen_economy::fees::GroupFees]| {
        g.iter()
            .map(|g| GroupFeeRow {
                group: g.group.clone(),
                clinics: g.clinics,
                change: format!("{} ({})", et.dkk(g.change_dkk), et.pct(g.change_pct)),
                winners: g.winners,
                losers: g.losers,
            })
            .collect::<Vec<_>>()
    };
    let d = &r.distribution;
    render(&FeesTemplate {
        page,
        et,
        links: links(et, user.role),
        error: None,
        scenario: r.scenario.clone(),
        year: r.year,
        summary: format!(
            "{}: {} · {}: {} · {}: {} · {}: {}",
            et.today,
            et.mdkk(r.total_today_dkk),
            et.scenario,
            et.mdkk(r.total_scenario_dkk),
            et.winners,
            d.winners,
            et.losers,
            d.losers
        ),
        histogram_svg: svg::histogram(&d.histogram, et.histogram),
        tables: vec![(et.winners, winners), (et.losers, losers)],
        groups: vec![
            (et.by_clinic_type, group(&r.by_clinic_type)),
            (et.by_area, group(&r.by_area)),
            (et.by_morbidity, group(&r.by_morbidity)),
        ],
    })
}
