//! `/cockpit` (to the user's clinic, or a clinic picker), a clinic's page (its lists against
//! region and country, the eight-quarter trend, continuity) and a list's members with their
//! reasons; with JSON twins under `/api/v1/cockpit/clinics/…`.

use super::svg::{self, Bar};
use super::text::CockpitText;
use super::{Cockpit, Scope, cluster_of};
use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::db::{AuditEntry, audit_view};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::{Page, render};
use almen_cockpit::{
    FLS_LIST_ID, FlsGroup, ListSet, Member, Reason, ReasonKind, lists_report_from, members_report,
};
use almen_core::Day;
use almen_dataset::DiagnosisSystem;
use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Json, Redirect, Response};
use serde::Deserialize;

/// Members shown per page of a list.
pub(crate) const PAGE_SIZE: usize = 200;

/// The module's pages for a role, for the links under the title.
pub(crate) fn links(ct: &'static CockpitText, role: Role) -> Vec<(&'static str, &'static str)> {
    let mut v = Vec::new();
    if matches!(role, Role::Gp | Role::Admin) {
        v.push(("/cockpit", ct.nav_clinics));
    }
    v.push(("/cockpit/areas", ct.nav_areas));
    if role == Role::Admin {
        v.push(("/cockpit/clusters", ct.nav_clusters));
    }
    v
}

/// Percent-encodes a path segment (an id in a URL).
pub(crate) fn seg(s: &str) -> String {
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

pub(crate) fn region_name(r: almen_reference::Region, lang: Lang) -> &'static str {
    match lang {
        Lang::Da => r.name_da(),
        Lang::En => r.name_en(),
    }
}

/// A list's name in the user's language.
pub(crate) fn list_name<'a>(lists: &'a ListSet, id: &'a str, lang: Lang) -> &'a str {
    match lists.get(id) {
        Some(def) => lang.pick(&def.name_da, &def.name_en),
        None => id,
    }
}

/// A code's title in the user's language (see [`almen_cockpit::code_title`]).
pub(crate) fn code_title(
    system: Option<DiagnosisSystem>,
    code: &str,
    lang: Lang,
) -> Option<String> {
    almen_cockpit::code_title(system, code, lang == Lang::Da)
}

/// A measured value: whole numbers without decimals, others with up to two.
pub(crate) fn value_text(ct: &CockpitText, v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e12 {
        format!("{}", v as i64)
    } else {
        let s = ct.dec(v, 2);
        s.trim_end_matches('0').to_string()
    }
}

fn day(d: Option<Day>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// One reason a patient is on a list, for people.
pub(crate) fn reason_text(r: &Reason, ct: &CockpitText, lists: &ListSet) -> String {
    let lang = ct.lang;
    let code = r.code.as_deref().unwrap_or("");
    let v = r.value.unwrap_or(0.0);
    match r.kind {
        ReasonKind::Diagnosis => {
            let system = r.system.and_then(|s| DiagnosisSystem::parse(s).ok());
            let title = code_title(system, code, lang).or_else(|| r.title.clone());
            let mut s = format!(
                "{} {} {}",
                ct.r_diagnosis,
                r.system
                    .map(|s| s.replace("ICPC2", "ICPC-2").replace("ICD10", "ICD-10"))
                    .unwrap_or_default(),
                code
            );
            if let Some(t) = title {
                s.push_str(&format!(" {t}"));
            }
            s.push_str(&format!(" ({} {}", ct.r_since, day(r.date)));
            if let Some(e) = r.end_date {
                s.push_str(&format!(", {} {e}", ct.r_until));
            }
            s.push(')');
            s
        }
        ReasonKind::Prescription => {
            let mut s = format!("{} {code}", ct.r_prescription);
            if let Some(t) = code_title(None, code, lang).or_else(|| r.title.clone()) {
                s.push_str(&format!(" {t}"));
            }
            s.push_str(&format!(" ({} {}", ct.r_from, day(r.date)));
            if let Some(e) = r.end_date {
                s.push_str(&format!(", {} {e}", ct.r_until));
            }
            s.push(')');
            s
        }
        ReasonKind::Observation => format!(
            "{} {code} = {} ({})",
            ct.r_observation,
            value_text(ct, v),
            day(r.date)
        ),
        ReasonKind::TreatmentEpisode => format!(
            "{} {} ({} {})",
            ct.r_episode,
            day(r.date),
            v as i64,
            ct.r_days
        ),
        ReasonKind::Count => format!("{} {}", v as i64, ct.r_substances),
        ReasonKind::Continuity => match code {
            "contacts" => format!("{} {}", v as i64, ct.r_contacts),
            _ => format!("{} {}", code.to_uppercase(), ct.index(r.value)),
        },
        ReasonKind::Age => format!("{} {} {}", ct.age, v as i64, ct.r_years),
        ReasonKind::Sex => format!(
            "{} {}",
            ct.sex,
            if code == "F" { ct.sex_f } else { ct.sex_m }
        ),
        ReasonKind::FlsGroup => {
            let name = FlsGroup::parse(code)
                .map(|g| lang.pick(g.name_da(), g.name_en()))
                .unwrap_or("");
            format!(
                "{} {code}: {name} (T {}, {} {})",
                ct.fls_group,
                value_text(ct, v),
                ct.r_scan,
                day(r.date)
            )
        }
        ReasonKind::Percentile => format!(
            "{} {code}: {} ({} {})",
            ct.r_top,
            value_text(ct, v),
            ct.r_cut,
            r.threshold.map(|t| value_text(ct, t)).unwrap_or_default()
        ),
        ReasonKind::List => format!("{}: {}", ct.r_list, list_name(lists, code, lang)),
    }
}

// --- /cockpit -------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub(crate) struct EntryQuery {
    clinic: Option<String>,
}

struct ClinicChoice {
    id: String,
    seg: String,
    name: String,
    kommune: String,
}

#[derive(Template)]
#[template(path = "cockpit/entry.html")]
struct EntryTemplate {
    page: Page,
    ct: &'static CockpitText,
    links: Vec<(&'static str, &'static str)>,
    admin: bool,
    clinics: Vec<ClinicChoice>,
}

/// `GET /cockpit`: a GP with one clinic goes to it, an analyst to the aggregates; others
/// choose (`?clinic=ID` opens one).
pub(crate) async fn entry(
    State(state): State<AppState>,
    Extension(cp): Extension<Cockpit>,
    Query(q): Query<EntryQuery>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let scope = cp.scope(&state.db, &user).await?;
    if scope == Scope::Aggregates {
        return Ok(Redirect::to("/cockpit/areas").into_response());
    }
    if let Some(id) = q.clinic.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        return Ok(Redirect::to(&format!("/cockpit/clinics/{}", seg(id))).into_response());
    }
    let ds = &cp.ds;
    let rows: Vec<u32> = match &scope {
        Scope::Own(rows) if rows.len() == 1 => {
            let id = ds.clinics.id.get(rows[0] as usize);
            return Ok(Redirect::to(&format!("/cockpit/clinics/{}", seg(id))).into_response());
        }
        Scope::Own(rows) => rows.clone(),
        _ => (0..ds.clinics.len() as u32).collect(),
    };
    let mut clinics: Vec<ClinicChoice> = rows
        .iter()
        .map(|&r| ClinicChoice {
            id: ds.clinics.id.get(r as usize).to_string(),
            seg: seg(ds.clinics.id.get(r as usize)),
            name: ds.clinics.name.get(r as usize).to_string(),
            kommune: ds.clinics.kommune[r as usize].info().name.clone(),
        })
        .collect();
    clinics.sort_by(|a, b| (&a.kommune, &a.name, &a.id).cmp(&(&b.kommune, &b.name, &b.id)));
    let ct = CockpitText::of(lang);
    render(&EntryTemplate {
        page: Page::new(&state, lang, &user, "/cockpit", ct.picker_title),
        ct,
        links: links(ct, user.role),
        admin: scope == Scope::All,
        clinics,
    })
}

// --- a clinic's page -------------------------------------------------------------------------

struct ListRow {
    id: String,
    name: String,
    count: String,
    prevalence: String,
    standardised: String,
    region: String,
    region_std: String,
    country: String,
    country_std: String,
    bars: String,
    trend: String,
    trend_counts: Vec<String>,
}

struct Continuities {
    label: &'static str,
    patients: String,
    upc: String,
    coc: String,
}

#[derive(Template)]
#[template(path = "cockpit/clinic.html")]
struct ClinicTemplate {
    page: Page,
    ct: &'static CockpitText,
    links: Vec<(&'static str, &'static str)>,
    clinic_id: String,
    clinic_seg: String,
    name: String,
    kommune: String,
    region: &'static str,
    health_council: String,
    cluster: Option<String>,
    doctors: usize,
    population: String,
    date: String,
    rows: Vec<ListRow>,
    trend_dates: Vec<String>,
    trend_population: Vec<String>,
    continuity: Vec<Continuities>,
    clinic_colour: &'static str,
    region_colour: &'static str,
    country_colour: &'static str,
}

/// `GET /cockpit/clinics/{clinic_id}`.
pub(crate) async fn clinic_page(
    State(state): State<AppState>,
    Extension(cp): Extension<Cockpit>,
    Path(clinic_id): Path<String>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let row = cp.open_clinic(&state.db, &user, &clinic_id).await?;
    let (all, trend) = tokio::try_join!(cp.all_counts(), cp.trend(row))?;
    let ds = &cp.ds;
    let report = lists_report_from(ds, &cp.lists, &all, Some(row), cp.date);
    let ct = CockpitText::of(lang);
    let labels: Vec<String> = trend.dates.iter().map(|d| d.to_string()).collect();
    let region_label = ct.region_col;
    let rows = report
        .lists
        .iter()
        .enumerate()
        .map(|(l, f)| {
            let name = lang.pick(&f.name_da, &f.name_en).to_string();
            let bars = svg::bars(
                &[
                    Bar {
                        label: ct.this_clinic,
                        value: f.standardised_prevalence,
                        text: ct.pct(f.standardised_prevalence),
                        colour: svg::CLINIC,
                    },
                    Bar {
                        label: region_label,
                        value: f.region_standardised,
                        text: ct.pct(f.region_standardised),
                        colour: svg::REGION,
                    },
                    Bar {
                        label: ct.country,
                        value: f.country_standardised,
                        text: ct.pct(f.country_standardised),
                        colour: svg::COUNTRY,
                    },
                ],
                None,
                &format!("{name}: {}", ct.comparison),
                &format!("bars-{}", f.id),
            );
            let counts = trend.counts.get(l).cloned().unwrap_or_default();
            ListRow {
                id: f.id.clone(),
                count: ct.int(u64::from(f.count)),
                prevalence: ct.pct(f.prevalence),
                standardised: ct.pct(f.standardised_prevalence),
                region: ct.pct(f.region_prevalence),
                region_std: ct.pct(f.region_standardised),
                country: ct.pct(f.country_prevalence),
                country_std: ct.pct(f.country_standardised),
                bars,
                trend: svg::sparkline(
                    &counts,
                    &labels,
                    &format!("{name}: {}", ct.trend),
                    &format!("trend-{}", f.id),
                ),
                trend_counts: counts.iter().map(|&c| ct.int(u64::from(c))).collect(),
                name,
            }
        })
        .collect();
    let cont = |label, c: almen_cockpit::Continuity| Continuities {
        label,
        patients: ct.int(u64::from(c.patients)),
        upc: ct.index(c.mean_upc),
        coc: ct.index(c.mean_coc),
    };
    let mut continuity = vec![cont(ct.this_clinic, report.continuity)];
    if let Some(r) = report.region_continuity {
        continuity.push(cont(ct.region_col, r));
    }
    continuity.push(cont(ct.country, report.country_continuity));
    let k = ds.clinics.kommune[row as usize].info();
    let id = ds.clinics.id.get(row as usize).to_string();
    let name = ds.clinics.name.get(row as usize).to_string();
    render(&ClinicTemplate {
        page: Page::new(
            &state,
            lang,
            &user,
            &format!("/cockpit/clinics/{}", seg(&id)),
            &name,
        ),
        ct,
        links: links(ct, user.role),
        cluster: cluster_of(&state.db, &id).await?,
        clinic_seg: seg(&id),
        clinic_id: id,
        name,
        kommune: k.name.clone(),
        region: region_name(k.region, lang),
        health_council: k.health_council().name.clone(),
        doctors: ds.index.doctors_by_clinic.rows_of(row).len(),
        population: ct.int(u64::from(report.population)),
        date: cp.date.to_string(),
        rows,
        trend_dates: labels,
        trend_population: trend
            .population
            .iter()
            .map(|&p| ct.int(u64::from(p)))
            .collect(),
        continuity,
        clinic_colour: svg::CLINIC,
        region_colour: svg::REGION,
        country_colour: svg::COUNTRY,
    })
}

/// `GET /api/v1/cockpit/clinics/{clinic_id}/lists`: the clinic's lists report (the fields of
/// `almen_cockpit::ListsReport`) and its trend.
pub(crate) async fn clinic_json(
    State(state): State<AppState>,
    Extension(cp): Extension<Cockpit>,
    Path(clinic_id): Path<String>,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let row = cp.open_clinic(&state.db, &user, &clinic_id).await?;
    let (all, trend) = tokio::try_join!(cp.all_counts(), cp.trend(row))?;
    let report = lists_report_from(&cp.ds, &cp.lists, &all, Some(row), cp.date);
    let lists: serde_json::Map<String, serde_json::Value> = cp
        .lists
        .ids()
        .iter()
        .zip(&trend.counts)
        .map(|(id, c)| (id.to_string(), serde_json::json!(c)))
        .collect();
    Ok(Json(serde_json::json!({
        "report": report,
        "trend": { "dates": trend.dates, "population": trend.population, "lists": lists },
    }))
    .into_response())
}

// --- a list's members ------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    page: Option<usize>,
}

struct MemberRow {
    key: String,
    patient: String,
    age: u16,
    sex: &'static str,
    fls: String,
    contacts: u32,
    upc: String,
    coc: String,
    reasons: Vec<String>,
}

struct FlsRow {
    group: &'static str,
    name: &'static str,
    letter: &'static str,
    members: String,
}

#[derive(Template)]
#[template(path = "cockpit/list.html")]
struct ListTemplate {
    page: Page,
    ct: &'static CockpitText,
    links: Vec<(&'static str, &'static str)>,
    clinic_seg: String,
    clinic_name: String,
    list_id: String,
    name: String,
    description: Option<String>,
    date: String,
    count: String,
    population: String,
    show_fls: bool,
    show_continuity: bool,
    fls: Vec<FlsRow>,
    members: Vec<MemberRow>,
    page_no: usize,
    pages: usize,
}

/// The members of a list (or of the FLS pseudo-list) in a clinic, masked, with the list's
/// name and the clinic's population.
async fn members(
    cp: &Cockpit,
    row: u32,
    list_id: &str,
) -> Result<(String, String, u32, Vec<Member>), AppError> {
    if list_id == FLS_LIST_ID {
        let (ds, lists, date) = (cp.ds.clone(), cp.lists.clone(), cp.date);
        let r = tokio::task::spawn_blocking(move || {
            members_report(&ds, &lists, row, FLS_LIST_ID, date, false)
        })
        .await
        .map_err(AppError::internal)?
        .map_err(|_| AppError::NotFound)?;
        return Ok((r.name_da, r.name_en, r.population, r.members));
    }
    let clinic = cp.clinic(row).await?;
    let list = clinic
        .lists
        .iter()
        .find(|l| l.id == list_id)
        .ok_or(AppError::NotFound)?;
    Ok((
        list.name_da.clone(),
        list.name_en.clone(),
        clinic.population,
        list.members.clone(),
    ))
}

/// `GET /cockpit/clinics/{clinic_id}/lists/{list_id}?page=N`. The view is audit-logged.
pub(crate) async fn list_page(
    State(state): State<AppState>,
    Extension(cp): Extension<Cockpit>,
    Path((clinic_id, list_id)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let row = cp.open_clinic(&state.db, &user, &clinic_id).await?;
    let (name_da, name_en, population, members) = members(&cp, row, &list_id).await?;
    let pages = members.len().div_ceil(PAGE_SIZE).max(1);
    let page_no = q.page.unwrap_or(1).clamp(1, pages);
    audit_view(
        &state.db,
        AuditEntry::new(&user, "cockpit.list.view").detail(serde_json::json!({
            "clinic": clinic_id,
            "list": list_id,
            "members": members.len(),
            "page": page_no,
        })),
    )
    .await?;
    let ct = CockpitText::of(lang);
    let show_fls = list_id == FLS_LIST_ID || list_id == "osteoporosis";
    let fls = if show_fls {
        FlsGroup::ALL
            .into_iter()
            .map(|g| FlsRow {
                group: g.as_str(),
                name: lang.pick(g.name_da(), g.name_en()),
                letter: lang.pick(g.letter_da(), g.letter_en()),
                members: ct.int(members.iter().filter(|m| m.fls_group == Some(g)).count() as u64),
            })
            .collect()
    } else {
        Vec::new()
    };
    let shown = members
        .iter()
        .skip((page_no - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(|m| MemberRow {
            key: cp.patient_key(m.row),
            patient: m.patient.clone(),
            age: m.age,
            sex: ct.sex(m.sex),
            fls: m
                .fls_group
                .map(|g| format!("{} {}", g.as_str(), lang.pick(g.name_da(), g.name_en())))
                .unwrap_or_else(|| "–".to_string()),
            contacts: m.contacts,
            upc: ct.index(m.upc),
            coc: ct.index(m.coc),
            reasons: m
                .reasons
                .iter()
                .map(|r| reason_text(r, ct, &cp.lists))
                .collect(),
        })
        .collect();
    let name = lang.pick(&name_da, &name_en).to_string();
    let ds = &cp.ds;
    let id = ds.clinics.id.get(row as usize);
    render(&ListTemplate {
        page: Page::new(
            &state,
            lang,
            &user,
            &format!("/cockpit/clinics/{}/lists/{}", seg(id), seg(&list_id)),
            &name,
        ),
        ct,
        links: links(ct, user.role),
        clinic_seg: seg(id),
        clinic_name: ds.clinics.name.get(row as usize).to_string(),
        description: cp.lists.get(&list_id).and_then(|d| d.description.clone()),
        list_id: seg(&list_id),
        name,
        date: cp.date.to_string(),
        count: ct.int(members.len() as u64),
        population: ct.int(u64::from(population)),
        show_fls,
        show_continuity: list_id == "low_continuity",
        fls,
        members: shown,
        page_no,
        pages,
    })
}

/// `GET /api/v1/cockpit/clinics/{clinic_id}/lists/{list_id}`: the members with reasons, ids
/// masked. The view is audit-logged.
pub(crate) async fn list_json(
    State(state): State<AppState>,
    Extension(cp): Extension<Cockpit>,
    Path((clinic_id, list_id)): Path<(String, String)>,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let row = cp.open_clinic(&state.db, &user, &clinic_id).await?;
    let (name_da, name_en, population, members) = members(&cp, row, &list_id).await?;
    audit_view(
        &state.db,
        AuditEntry::new(&user, "cockpit.list.view").detail(serde_json::json!({
            "clinic": clinic_id,
            "list": list_id,
            "members": members.len(),
            "format": "json",
        })),
    )
    .await?;
    Ok(Json(serde_json::json!({
        "list": list_id,
        "name_da": name_da,
        "name_en": name_en,
        "clinic_id": clinic_id,
        "date": cp.date,
        "count": members.len(),
        "population": population,
        "members": members,
    }))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_come_from_the_reference_data_in_either_code_form() {
        assert!(code_title(Some(DiagnosisSystem::Icd10), "I48", Lang::Da).is_some());
        assert_eq!(
            code_title(Some(DiagnosisSystem::Icd10), "DI48", Lang::Da),
            code_title(Some(DiagnosisSystem::Icd10), "I48", Lang::Da)
        );
        assert!(code_title(Some(DiagnosisSystem::Icpc2), "K78", Lang::En).is_some());
        assert!(code_title(None, "M01AE01", Lang::En).is_some());
        assert_eq!(seg("a/b c"), "a%2Fb%20c");
    }
}
