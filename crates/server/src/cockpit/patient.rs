//! The individual patient overview (seed 003 §8.2): diagnosis card, active medicines, latest
//! observations, the contacts of the last 24 months, the lists the patient is on and why, and
//! the treatment plan with its versions, exportable as a document to share.
//!
//! Only a GP of the clinic the patient is listed with, or an administrator, opens it. Every
//! view is audit-logged before anything is shown; a refused attempt is logged too. This is the
//! one page that shows the patient's id in full.

use super::pages::{code_title, links, list_name, reason_text, seg, value_text};
use super::plan::{self, MAX_TEXT_CHARS, PlanInput, PlanVersion, SaveError};
use super::svg::{self, Mark};
use super::text::CockpitText;
use super::{Cockpit, Scope};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::db::{AuditEntry, audit_view};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::{Page, render};
use almen_cockpit::{FLS_LIST_ID, FlsGroup, WINDOW_MONTHS, continuity_index};
use almen_core::{Day, Timestamp};
use almen_dataset::NONE;
use askama::Template;
use axum::Extension;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Contact rows shown in the table (the timeline shows them all).
const CONTACT_ROWS: usize = 100;

/// Why a user may open a patient: the audit row's reason.
const REASON_GP: &str = "care: patient listed with the user's clinic";
const REASON_ADMIN: &str = "administration: administrator look-up";

/// The patient of a path, for a user who may open them: 404 for no such patient, 403 (and an
/// audit row `cockpit.patient.denied`) for one the user may not see. Returns the row, the
/// clinic the patient is listed with, and the reason to log.
async fn open_patient(
    state: &AppState,
    cp: &Cockpit,
    user: &CurrentUser,
    key: &str,
) -> Result<(u32, Option<u32>, &'static str), AppError> {
    let scope = cp.scope(&state.db, user).await?;
    let row = cp.resolve_patient(key);
    let Some(row) = row else {
        return Err(if scope == Scope::Aggregates {
            AppError::Forbidden
        } else {
            AppError::NotFound
        });
    };
    let clinic = cp.patient_clinic(row);
    let allowed = match &scope {
        Scope::All => Some(REASON_ADMIN),
        Scope::Own(rows) if clinic.is_some_and(|c| rows.contains(&c)) => Some(REASON_GP),
        _ => None,
    };
    match allowed {
        Some(reason) => Ok((row, clinic, reason)),
        None => {
            audit_view(
                &state.db,
                AuditEntry::new(user, "cockpit.patient.denied")
                    .patient(cp.ds.patients.id.get(row as usize))
                    .reason("refused: the patient is not listed with the user's clinic")
                    .detail(serde_json::json!({ "role": user.role.as_str() })),
            )
            .await?;
            Err(AppError::Forbidden)
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct PatientQuery {
    saved: Option<i64>,
    version: Option<i64>,
    from: Option<String>,
}

/// The plan form's fields as typed (kept when a save fails).
#[derive(Debug, Clone, Default)]
struct PlanForm {
    goals: String,
    actions: String,
    follow_up: String,
    agreed: bool,
    base: i64,
}

struct DiagRow {
    system: &'static str,
    code: String,
    title: String,
    since: String,
    until: String,
}

struct MedRow {
    atc: String,
    name: String,
    started: String,
    ends: String,
    subsidised: &'static str,
}

struct ObsRow {
    code: String,
    value: String,
    date: String,
    previous: String,
    count: usize,
}

struct ContactRow {
    date: String,
    time: String,
    code: String,
    name: String,
    kind: &'static str,
    face_to_face: &'static str,
    clinic: &'static str,
    doctor: String,
}

struct ListRow {
    name: String,
    link: String,
    reasons: Vec<String>,
}

struct FlsInfo {
    group: &'static str,
    name: &'static str,
    letter: &'static str,
}

struct PlanView {
    version: i64,
    goals: String,
    actions: String,
    follow_up: String,
    agreed: &'static str,
    author: String,
    saved_at: String,
}

struct VersionRow {
    version: i64,
    saved_at: String,
    author: String,
    agreed: &'static str,
    follow_up: String,
    shown: bool,
}

#[derive(Template)]
#[template(path = "cockpit/patient.html")]
struct PatientTemplate {
    page: Page,
    ct: &'static CockpitText,
    links: Vec<(&'static str, &'static str)>,
    key: String,
    patient_id: String,
    age: u32,
    sex: &'static str,
    birth_date: String,
    kommune: String,
    clinic: Option<(String, String)>,
    listed_since: String,
    group: u8,
    deceased: Option<String>,
    date: String,
    diagnoses: Vec<DiagRow>,
    resolved: Vec<DiagRow>,
    medicines: Vec<MedRow>,
    observations: Vec<ObsRow>,
    timeline: String,
    contacts: Vec<ContactRow>,
    contacts_total: usize,
    continuity: (u32, String, String),
    lists: Vec<ListRow>,
    fls: Option<FlsInfo>,
    plan: Option<PlanView>,
    versions: Vec<VersionRow>,
    form: PlanForm,
    message: Option<String>,
    saved: Option<i64>,
}

fn local(t: Timestamp) -> String {
    t.to_local().format("%Y-%m-%d %H:%M").to_string()
}

fn system_label(s: almen_dataset::DiagnosisSystem) -> &'static str {
    match s {
        almen_dataset::DiagnosisSystem::Icpc2 => "ICPC-2",
        almen_dataset::DiagnosisSystem::Icd10 => "ICD-10",
    }
}

/// Present and resolved diagnoses at `date`, newest first.
fn diagnoses(cp: &Cockpit, row: u32, lang: Lang) -> (Vec<DiagRow>, Vec<DiagRow>) {
    let ds = &cp.ds;
    let dg = &ds.diagnoses;
    let mut rows: Vec<usize> = ds
        .index
        .diagnoses_by_patient
        .rows_of(row)
        .iter()
        .map(|&r| r as usize)
        .filter(|&r| dg.date[r] <= cp.date)
        .collect();
    rows.sort_by_key(|&r| std::cmp::Reverse(dg.date[r]));
    let (mut present, mut resolved) = (Vec::new(), Vec::new());
    for r in rows {
        let code = dg.codes.get(dg.code[r]).to_string();
        let d = DiagRow {
            system: system_label(dg.system[r]),
            title: code_title(Some(dg.system[r]), &code, lang).unwrap_or_default(),
            code,
            since: dg.date[r].to_string(),
            until: dg.end_date[r].map(|d| d.to_string()).unwrap_or_default(),
        };
        if dg.end_date[r].is_none_or(|e| e >= cp.date) {
            present.push(d);
        } else {
            resolved.push(d);
        }
    }
    (present, resolved)
}

/// Prescriptions active at `date`, by ATC code.
fn medicines(cp: &Cockpit, row: u32, ct: &CockpitText) -> Vec<MedRow> {
    let ds = &cp.ds;
    let pr = &ds.prescriptions;
    let mut rows: Vec<usize> = ds
        .index
        .prescriptions_by_patient
        .rows_of(row)
        .iter()
        .map(|&r| r as usize)
        .filter(|&r| pr.start[r] <= cp.date && pr.end[r].is_none_or(|e| e >= cp.date))
        .collect();
    rows.sort_by(|&a, &b| {
        pr.atcs
            .get(pr.atc[a])
            .cmp(pr.atcs.get(pr.atc[b]))
            .then(pr.start[a].cmp(&pr.start[b]))
    });
    rows.into_iter()
        .map(|r| {
            let atc = pr.atcs.get(pr.atc[r]).to_string();
            MedRow {
                name: code_title(None, &atc, ct.lang).unwrap_or_default(),
                atc,
                started: pr.start[r].to_string(),
                ends: pr.end[r].map(|d| d.to_string()).unwrap_or_default(),
                subsidised: match pr.subsidised[r] {
                    Some(b) => ct.yes_no(b),
                    None => "",
                },
            }
        })
        .collect()
}

/// The latest observation of each code at `date` (ties on a date: the lowest value, as the
/// lists read them), with the one before it.
fn observations(cp: &Cockpit, row: u32, ct: &CockpitText) -> Vec<ObsRow> {
    let ds = &cp.ds;
    let ob = &ds.observations;
    let mut by_code: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &r in ds.index.observations_by_patient.rows_of(row) {
        let r = r as usize;
        if ob.date[r] <= cp.date {
            by_code.entry(ob.codes.get(ob.code[r])).or_default().push(r);
        }
    }
    let shown = |r: usize| {
        let unit = if ob.unit[r] == NONE {
            String::new()
        } else {
            format!(" {}", ob.units.get(ob.unit[r]))
        };
        format!("{}{unit}", value_text(ct, ob.value[r]))
    };
    by_code
        .into_iter()
        .map(|(code, mut rows)| {
            rows.sort_by(|&a, &b| {
                ob.date[b]
                    .cmp(&ob.date[a])
                    .then(ob.value[a].total_cmp(&ob.value[b]))
            });
            ObsRow {
                code: code.to_string(),
                value: shown(rows[0]),
                date: ob.date[rows[0]].to_string(),
                previous: rows
                    .get(1)
                    .map(|&r| format!("{} ({})", shown(r), ob.date[r]))
                    .unwrap_or_default(),
                count: rows.len(),
            }
        })
        .collect()
}

/// The contacts of the continuity window (claim lines netted per day, clinic, doctor and
/// service; a corrected line cancels), newest first, the timeline, and the patient's UPC/COC.
fn contacts(
    cp: &Cockpit,
    row: u32,
    own: Option<u32>,
    ct: &CockpitText,
) -> (Vec<ContactRow>, usize, String, (u32, String, String)) {
    let ds = &cp.ds;
    let cl = &ds.claims;
    let from = cp.date.minus_months(WINDOW_MONTHS);
    type Key = (Day, Option<u16>, u32, u32, almen_reference::ServiceCode);
    let mut net: BTreeMap<Key, i64> = BTreeMap::new();
    let mut lines = Vec::new();
    for &r in ds.index.claims_by_patient.rows_of(row) {
        let r = r as usize;
        let d = cl.service_date[r];
        if d <= from || d > cp.date {
            continue;
        }
        *net.entry((
            d,
            cl.service_time[r],
            cl.clinic[r],
            cl.doctor[r],
            cl.service[r],
        ))
        .or_default() += i64::from(cl.quantity[r]);
        let face = almen_reference::is_face_to_face(cl.service[r]);
        if face && Some(cl.clinic[r]) == own && cl.doctor[r] != NONE {
            lines.push((d, cl.doctor[r], cl.quantity[r]));
        }
    }
    let index = continuity_index(&mut lines, &mut Vec::new());
    let mut marks = Vec::new();
    let mut rows = Vec::new();
    for ((d, time, clinic, doctor, service), q) in net.into_iter().rev() {
        if q <= 0 {
            continue;
        }
        let face = almen_reference::is_face_to_face(service);
        let kind = ct.contact_kind(almen_reference::contact_kind(service));
        let name = service
            .info()
            .map(|i| ct.lang.pick(&i.name_da, &i.name_en).to_string())
            .unwrap_or_default();
        marks.push(Mark {
            day: d,
            face_to_face: face,
            title: format!("{d}: {} {name}", service.as_str()),
        });
        rows.push(ContactRow {
            date: d.to_string(),
            time: time
                .map(|m| format!("{:02}:{:02}", m / 60, m % 60))
                .unwrap_or_default(),
            code: service.as_str().to_string(),
            name,
            kind,
            face_to_face: ct.yes_no(face),
            clinic: if Some(clinic) == own {
                ct.own_clinic
            } else {
                ct.other_clinic
            },
            doctor: if doctor == NONE {
                String::new()
            } else {
                ds.doctors.id.get(doctor as usize).to_string()
            },
        });
    }
    let total = rows.len();
    rows.truncate(CONTACT_ROWS);
    let timeline = svg::timeline(&marks, from.add_days(1), cp.date, ct.contacts_title);
    (
        rows,
        total,
        timeline,
        (index.contacts, ct.index(index.upc), ct.index(index.coc)),
    )
}

/// The plan form's text fields, checked.
fn check_plan(f: &PlanForm, ct: &CockpitText) -> Result<PlanInput, String> {
    let goals = f.goals.trim().replace("\r\n", "\n");
    let actions = f.actions.trim().replace("\r\n", "\n");
    if goals.is_empty() && actions.is_empty() {
        return Err(ct.plan_empty.to_string());
    }
    if goals.chars().count() > MAX_TEXT_CHARS || actions.chars().count() > MAX_TEXT_CHARS {
        return Err(ct.plan_too_long.to_string());
    }
    let follow_up = match f.follow_up.trim() {
        "" => None,
        s => Some(Day::parse(s).map_err(|_| ct.plan_bad_date.to_string())?),
    };
    Ok(PlanInput {
        goals,
        actions,
        follow_up,
        agreed_with_patient: f.agreed,
    })
}

/// What the page shows besides the patient's data.
struct Extra {
    form: Option<PlanForm>,
    message: Option<String>,
    saved: Option<i64>,
    version: Option<i64>,
    from: Option<String>,
    status: StatusCode,
}

/// Logs the view, then renders the overview.
async fn show(
    state: &AppState,
    cp: &Cockpit,
    lang: Lang,
    user: &CurrentUser,
    (row, clinic, reason): (u32, Option<u32>, &'static str),
    extra: Extra,
) -> Result<Response, AppError> {
    let ds = &cp.ds;
    let id = ds.patients.id.get(row as usize).to_string();
    let from = extra
        .from
        .filter(|f| f == FLS_LIST_ID || cp.lists.index_of(f).is_some());
    audit_view(
        &state.db,
        AuditEntry::new(user, "cockpit.patient.view")
            .patient(&id)
            .reason(reason)
            .detail(serde_json::json!({
                "clinic": clinic.map(|c| ds.clinics.id.get(c as usize)),
                "from_list": from,
            })),
    )
    .await?;
    let ct = CockpitText::of(lang);
    let p = &ds.patients;
    let r = row as usize;
    let (present, resolved) = diagnoses(cp, row, lang);
    let (contact_rows, contacts_total, timeline, continuity) = contacts(cp, row, clinic, ct);

    // The lists of the patient's clinic the patient is on, with the reasons.
    let mut lists = Vec::new();
    let mut fls = None;
    if let Some(c) = clinic {
        let evaluated = cp.clinic(c).await?;
        let clinic_seg = seg(ds.clinics.id.get(c as usize));
        for l in &evaluated.lists {
            if let Some(m) = l.members.iter().find(|m| m.row == row) {
                if fls.is_none()
                    && let Some(g) = m.fls_group
                {
                    fls = Some(g);
                }
                lists.push(ListRow {
                    name: list_name(&cp.lists, &l.id, lang).to_string(),
                    link: format!("/cockpit/clinics/{clinic_seg}/lists/{}", seg(&l.id)),
                    reasons: m
                        .reasons
                        .iter()
                        .map(|r| reason_text(r, ct, &cp.lists))
                        .collect(),
                });
            }
        }
    }
    let fls = fls.map(|g: FlsGroup| FlsInfo {
        group: g.as_str(),
        name: lang.pick(g.name_da(), g.name_en()),
        letter: lang.pick(g.letter_da(), g.letter_en()),
    });

    let versions = plan::versions(&state.db, &id).await?;
    let latest = versions.first().map_or(0, |v| v.version);
    let shown = match extra.version {
        Some(n) => versions.iter().find(|v| v.version == n),
        None => versions.first(),
    };
    let plan_view = shown.map(|v| PlanView {
        version: v.version,
        goals: v.goals.clone(),
        actions: v.actions.clone(),
        follow_up: v.follow_up.map(|d| d.to_string()).unwrap_or_default(),
        agreed: ct.yes_no(v.agreed_with_patient),
        author: v.author.clone(),
        saved_at: local(v.created_at),
    });
    let form = extra.form.unwrap_or_else(|| match versions.first() {
        Some(v) => PlanForm {
            goals: v.goals.clone(),
            actions: v.actions.clone(),
            follow_up: v.follow_up.map(|d| d.to_string()).unwrap_or_default(),
            agreed: v.agreed_with_patient,
            base: latest,
        },
        None => PlanForm::default(),
    });
    let version_rows = versions
        .iter()
        .map(|v| VersionRow {
            version: v.version,
            saved_at: local(v.created_at),
            author: v.author.clone(),
            agreed: ct.yes_no(v.agreed_with_patient),
            follow_up: v.follow_up.map(|d| d.to_string()).unwrap_or_default(),
            shown: shown.is_some_and(|s| s.version == v.version),
        })
        .collect();

    let key = cp.patient_key(row);
    let mut res = render(&PatientTemplate {
        page: Page::new(
            state,
            lang,
            user,
            &format!("/cockpit/patients/{key}"),
            ct.patient_title,
        ),
        ct,
        links: links(ct, user.role),
        key,
        patient_id: id,
        age: p.birth_date[r].age_at(cp.date),
        sex: ct.sex(p.sex[r]),
        birth_date: p.birth_date[r].to_string(),
        kommune: p.kommune[r].info().name.clone(),
        clinic: clinic.map(|c| {
            (
                seg(ds.clinics.id.get(c as usize)),
                format!(
                    "{} ({})",
                    ds.clinics.name.get(c as usize),
                    ds.clinics.id.get(c as usize)
                ),
            )
        }),
        listed_since: p.listed_since[r].map(|d| d.to_string()).unwrap_or_default(),
        group: p.group[r],
        deceased: p.deceased[r].map(|d| d.to_string()),
        date: cp.date.to_string(),
        diagnoses: present,
        resolved,
        medicines: medicines(cp, row, ct),
        observations: observations(cp, row, ct),
        timeline,
        contacts: contact_rows,
        contacts_total,
        continuity,
        lists,
        fls,
        plan: plan_view,
        versions: version_rows,
        form,
        message: extra.message,
        saved: extra.saved,
    })?;
    *res.status_mut() = extra.status;
    Ok(res)
}

/// `GET /cockpit/patients/{key}?version=N`: the overview (version N of the plan shown).
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(cp): Extension<Cockpit>,
    Path(key): Path<String>,
    Query(q): Query<PatientQuery>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let opened = open_patient(&state, &cp, &user, &key).await?;
    show(
        &state,
        &cp,
        lang,
        &user,
        opened,
        Extra {
            form: None,
            message: None,
            saved: q.saved,
            version: q.version,
            from: q.from,
            status: StatusCode::OK,
        },
    )
    .await
}

/// The plan form as posted. `agreed_with_patient` is a checkbox (present when ticked);
/// `base_version` is the version the form showed (absent: after the newest).
#[derive(Debug, Deserialize)]
pub(crate) struct PlanPost {
    #[serde(default)]
    goals: String,
    #[serde(default)]
    actions: String,
    #[serde(default)]
    follow_up: String,
    agreed_with_patient: Option<String>,
    base_version: Option<String>,
}

/// `POST /cockpit/patients/{key}/plan`: saves a new version (post/redirect/get); a problem
/// shows the page again with the text kept.
pub(crate) async fn save_plan(
    State(state): State<AppState>,
    Extension(cp): Extension<Cockpit>,
    Path(key): Path<String>,
    lang: Lang,
    user: CurrentUser,
    form: Result<Form<PlanPost>, FormRejection>,
) -> Result<Response, AppError> {
    let Form(post) = form.map_err(|e| {
        AppError::bad_request(
            format!("Formularen kunne ikke læses: {e}"),
            format!("The form could not be read: {e}"),
        )
    })?;
    let opened = open_patient(&state, &cp, &user, &key).await?;
    let (row, clinic, _) = opened;
    let ct = CockpitText::of(lang);
    let base = match post.base_version.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(s.parse::<i64>().map_err(|_| {
            AppError::bad_request(
                "base_version er ikke et tal.",
                "base_version is not a number.",
            )
        })?),
    };
    let mut typed = PlanForm {
        goals: post.goals,
        actions: post.actions,
        follow_up: post.follow_up,
        agreed: post.agreed_with_patient.as_deref().is_some_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "yes" | "on" | "true" | "1" | "ja"
            )
        }),
        base: base.unwrap_or(0),
    };
    let again = |typed: PlanForm, message: String, status| Extra {
        form: Some(typed),
        message: Some(message),
        saved: None,
        version: None,
        from: None,
        status,
    };
    let input = match check_plan(&typed, ct) {
        Ok(i) => i,
        Err(m) => {
            return show(
                &state,
                &cp,
                lang,
                &user,
                opened,
                again(typed, m, StatusCode::UNPROCESSABLE_ENTITY),
            )
            .await;
        }
    };
    let ds = &cp.ds;
    let patient_id = ds.patients.id.get(row as usize);
    let clinic_id = clinic.map_or("", |c| ds.clinics.id.get(c as usize));
    let base = match base {
        Some(b) => b,
        None => plan::versions(&state.db, patient_id)
            .await?
            .first()
            .map_or(0, |v| v.version),
    };
    match plan::save(&state.db, &user, patient_id, clinic_id, base, &input).await {
        Ok(version) => Ok(Redirect::to(&format!(
            "/cockpit/patients/{}?saved={version}#plan",
            cp.patient_key(row)
        ))
        .into_response()),
        Err(SaveError::Conflict { current }) => {
            typed.base = current;
            show(
                &state,
                &cp,
                lang,
                &user,
                opened,
                again(typed, ct.plan_conflict.to_string(), StatusCode::CONFLICT),
            )
            .await
        }
        Err(SaveError::App(e)) => Err(e),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ExportQuery {
    version: Option<i64>,
}

/// The version to export (the newest by default), after the access check and the audit row.
async fn export_version(
    state: &AppState,
    cp: &Cockpit,
    user: &CurrentUser,
    key: &str,
    version: Option<i64>,
    format: &str,
) -> Result<(u32, Option<u32>, PlanVersion), AppError> {
    let (row, clinic, reason) = open_patient(state, cp, user, key).await?;
    let id = cp.ds.patients.id.get(row as usize);
    let versions = plan::versions(&state.db, id).await?;
    let v = match version {
        Some(n) => versions.into_iter().find(|v| v.version == n),
        None => versions.into_iter().next(),
    }
    .ok_or(AppError::NotFound)?;
    audit_view(
        &state.db,
        AuditEntry::new(user, "cockpit.plan.export")
            .patient(id)
            .reason(reason)
            .detail(serde_json::json!({ "version": v.version, "format": format })),
    )
    .await?;
    Ok((row, clinic, v))
}

/// The plan's context for the document: current diagnoses and medicines.
fn context_lines(cp: &Cockpit, row: u32, ct: &CockpitText) -> (Vec<String>, Vec<String>) {
    let (present, _) = diagnoses(cp, row, ct.lang);
    let d = present
        .iter()
        .map(|d| {
            format!(
                "{} {} {} ({} {})",
                d.system, d.code, d.title, ct.r_since, d.since
            )
        })
        .collect();
    let m = medicines(cp, row, ct)
        .iter()
        .map(|m| format!("{} {} ({} {})", m.atc, m.name, ct.r_from, m.started))
        .collect();
    (d, m)
}

/// `GET /cockpit/patients/{key}/plan.md?version=N`: the plan as a Markdown document to share
/// (with the patient's full id: an explicit, audit-logged export).
pub(crate) async fn export_markdown(
    State(state): State<AppState>,
    Extension(cp): Extension<Cockpit>,
    Path(key): Path<String>,
    Query(q): Query<ExportQuery>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let (row, clinic, v) = export_version(&state, &cp, &user, &key, q.version, "md").await?;
    let ct = CockpitText::of(lang);
    let ds = &cp.ds;
    let p = &ds.patients;
    let r = row as usize;
    let (diags, meds) = context_lines(&cp, row, ct);
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n", ct.plan_document);
    let _ = writeln!(
        s,
        "- {}: {}\n- {}: {} · {}: {} · {}: {}",
        ct.patient_id,
        p.id.get(r),
        ct.birth_date,
        p.birth_date[r],
        ct.age,
        p.birth_date[r].age_at(cp.date),
        ct.sex,
        ct.sex(p.sex[r]),
    );
    if let Some(c) = clinic {
        let _ = writeln!(
            s,
            "- {}: {} ({})",
            ct.clinic,
            ds.clinics.name.get(c as usize),
            ds.clinics.id.get(c as usize)
        );
    }
    let _ = writeln!(
        s,
        "- {} {} · {} {} · {} {}\n- {}: {}\n- {}: {}\n",
        ct.version,
        v.version,
        ct.saved_at,
        local(v.created_at),
        ct.author.to_lowercase(),
        v.author,
        ct.agreed,
        ct.yes_no(v.agreed_with_patient),
        ct.follow_up,
        v.follow_up
            .map(|d| d.to_string())
            .unwrap_or_else(|| "–".into()),
    );
    let _ = writeln!(s, "## {}\n\n{}\n", ct.goals, v.goals);
    let _ = writeln!(s, "## {}\n\n{}\n", ct.actions, v.actions);
    let _ = writeln!(s, "## {}\n", ct.diagnoses_title);
    if diags.is_empty() {
        let _ = writeln!(s, "{}", ct.diagnoses_none);
    }
    for d in diags {
        let _ = writeln!(s, "- {d}");
    }
    let _ = writeln!(s, "\n## {}\n", ct.medicines_title);
    if meds.is_empty() {
        let _ = writeln!(s, "{}", ct.medicines_none);
    }
    for m in meds {
        let _ = writeln!(s, "- {m}");
    }
    let _ = writeln!(s, "\n---\n\n*{}*", ct.plan_shared_note);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/markdown; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}-v{}.md\"",
                    lang.pick("behandlingsplan", "treatment-plan"),
                    v.version
                ),
            ),
        ],
        s,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "cockpit/plan.html")]
struct PlanPrint {
    ct: &'static CockpitText,
    lang: &'static str,
    patient_id: String,
    birth_date: String,
    age: u32,
    sex: &'static str,
    clinic: Option<String>,
    plan: PlanView,
    diagnoses: Vec<String>,
    medicines: Vec<String>,
}

/// `GET /cockpit/patients/{key}/plan.html?version=N`: the same document as a page to print.
pub(crate) async fn export_html(
    State(state): State<AppState>,
    Extension(cp): Extension<Cockpit>,
    Path(key): Path<String>,
    Query(q): Query<ExportQuery>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let (row, clinic, v) = export_version(&state, &cp, &user, &key, q.version, "html").await?;
    let ct = CockpitText::of(lang);
    let ds = &cp.ds;
    let p = &ds.patients;
    let r = row as usize;
    let (diagnoses, medicines) = context_lines(&cp, row, ct);
    render(&PlanPrint {
        ct,
        lang: lang.code(),
        patient_id: p.id.get(r).to_string(),
        birth_date: p.birth_date[r].to_string(),
        age: p.birth_date[r].age_at(cp.date),
        sex: ct.sex(p.sex[r]),
        clinic: clinic.map(|c| {
            format!(
                "{} ({})",
                ds.clinics.name.get(c as usize),
                ds.clinics.id.get(c as usize)
            )
        }),
        plan: PlanView {
            version: v.version,
            goals: v.goals,
            actions: v.actions,
            follow_up: v.follow_up.map(|d| d.to_string()).unwrap_or_default(),
            agreed: ct.yes_no(v.agreed_with_patient),
            author: v.author,
            saved_at: local(v.created_at),
        },
        diagnoses,
        medicines,
    })
}
