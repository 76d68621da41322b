//! `/capacity` (the areas by need gap), `/capacity/areas/{level}/{code}` (an area and its
//! clinics) and `/capacity/clinics/{id}` (a clinic's minimum patient number step by step,
//! PLO's alternative and the hearing), with the JSON twin `/api/v1/capacity/model`.

use super::hearing::{self, Comment, FinalNumber, when};
use super::svg::{self, GapBar};
use super::text::CapText;
use super::{Capacity, Models, clinic_in, may_comment, may_decide};
use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::{Page, render};
use almen_capacity::{AreaFigures, Level, Model};
use almen_reference::{HealthCouncilId, KommuneCode, Region};
use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Json, Response};
use serde::Deserialize;

/// The module's pages for a role, for the links under the title.
pub(crate) fn links(ct: &'static CapText, role: Role) -> Vec<(&'static str, &'static str)> {
    let mut v = vec![("/capacity", ct.nav_overview)];
    if matches!(role, Role::Analyst | Role::Admin) {
        v.push(("/capacity/hearing", ct.nav_hearing));
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

fn parse_level(s: Option<&str>) -> Result<Level, AppError> {
    match s {
        None | Some("") => Ok(Level::Kommune),
        Some(s) => Level::parse(s).ok_or_else(|| {
            AppError::bad_request(
                "level skal være kommune eller sundhedsraad.",
                "level must be kommune or sundhedsraad.",
            )
        }),
    }
}

/// The region an area of `level` lies in.
fn region_of(level: Level, code: &str) -> Option<Region> {
    match level {
        Level::Kommune => code
            .parse::<u16>()
            .ok()
            .and_then(|c| KommuneCode::new(c).ok())
            .map(|k| k.info().region),
        Level::Sundhedsraad => code
            .parse::<u8>()
            .ok()
            .filter(|n| (*n as usize) < almen_reference::health_councils().len())
            .map(|n| almen_reference::health_council(HealthCouncilId(n)).region),
    }
}

fn region_name(r: Region, lang: Lang) -> &'static str {
    lang.pick(r.name_da(), r.name_en())
}

/// Need gap in capacities: weighted citizens ÷ R − capacities held.
pub(crate) fn gap(model: &Model, a: &AreaFigures) -> f64 {
    a.weighted_citizens / model.reference_per_capacity - a.capacities
}

/// What every capacity page shows at the top: date, weights and R.
struct Head {
    date: String,
    weights: String,
    default_weights: bool,
    reference: String,
    citizens: String,
    weighted_citizens: String,
    capacities: String,
}

fn head(cap: &Capacity, ct: &CapText, m: &Model) -> Head {
    Head {
        date: m.date.to_string(),
        weights: m.weights.clone(),
        default_weights: cap.default_weights,
        reference: ct.dec(m.reference_per_capacity, 1),
        citizens: ct.int(m.citizens as i64),
        weighted_citizens: ct.whole(m.weighted_citizens),
        capacities: ct.dec(m.capacities, 1),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct OverviewQuery {
    level: Option<String>,
    region: Option<String>,
}

struct AreaRow {
    code: String,
    name: String,
    href: String,
    region: &'static str,
    citizens: String,
    weighted: String,
    mean_weight: String,
    capacities: String,
    average: String,
    gap: String,
    short: bool,
    clinics: u32,
    open_clinics: u32,
    without_list_place: String,
}

fn area_row(model: &Model, a: &AreaFigures, ct: &CapText) -> AreaRow {
    let g = gap(model, a);
    AreaRow {
        code: a.code.clone(),
        name: a.name.clone(),
        href: format!("/capacity/areas/{}/{}", model.level.as_str(), seg(&a.code)),
        region: region_of(model.level, &a.code).map_or("", |r| region_name(r, ct.lang)),
        citizens: ct.int(a.citizens as i64),
        weighted: ct.whole(a.weighted_citizens),
        mean_weight: ct.opt(a.mean_weight, 3),
        capacities: ct.dec(a.capacities, 1),
        average: a
            .average_per_capacity
            .map_or_else(|| "–".to_string(), |x| ct.whole(x)),
        gap: ct.signed(g, 1),
        short: g > 0.0,
        clinics: a.clinics,
        open_clinics: a.open_clinics,
        without_list_place: ct.int(a.without_list_place as i64),
    }
}

#[derive(Template)]
#[template(path = "capacity/overview.html")]
struct OverviewTemplate {
    page: Page,
    ct: &'static CapText,
    links: Vec<(&'static str, &'static str)>,
    head: Head,
    level: String,
    levels: Vec<(&'static str, &'static str)>,
    region: String,
    regions: Vec<(&'static str, &'static str)>,
    chart: String,
    rows: Vec<AreaRow>,
    own: Vec<(String, String)>,
}

/// `GET /capacity?level=kommune|sundhedsraad&region=midt`.
pub(crate) async fn overview(
    State(state): State<AppState>,
    Extension(cap): Extension<Capacity>,
    Query(q): Query<OverviewQuery>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let ct = CapText::of(lang);
    let level = parse_level(q.level.as_deref())?;
    let region = q
        .region
        .as_deref()
        .and_then(|s| Region::all().into_iter().find(|r| r.slug() == s));
    let models = cap.models().await?;
    let m = models.at(level);
    let shown: Vec<&AreaFigures> = m
        .areas
        .iter()
        .filter(|a| region.is_none() || region_of(level, &a.code) == region)
        .collect();
    let bars: Vec<GapBar> = shown
        .iter()
        .map(|a| {
            let g = gap(m, a);
            GapBar {
                label: &a.name,
                gap: g,
                text: ct.signed(g, 1),
            }
        })
        .collect();
    let chart = svg::gap_bars(&bars, ct.gap_title, "gap-chart");
    let own = if user.role == Role::Gp {
        crate::cockpit::linked_clinics(&state.db, user.id)
            .await?
            .into_iter()
            .filter_map(|id| {
                let row = cap.ds.clinic_row(&id)?;
                Some((seg(&id), cap.ds.clinics.name.get(row as usize).to_string()))
            })
            .collect()
    } else {
        Vec::new()
    };
    render(&OverviewTemplate {
        page: Page::new(&state, lang, &user, "/capacity", ct.overview_title),
        ct,
        links: links(ct, user.role),
        head: head(&cap, ct, m),
        level: level.as_str().to_string(),
        levels: vec![
            ("kommune", ct.level_kommune),
            ("sundhedsraad", ct.level_sundhedsraad),
        ],
        region: region.map_or("", Region::slug).to_string(),
        regions: Region::all()
            .into_iter()
            .map(|r| (r.slug(), region_name(r, lang)))
            .collect(),
        chart,
        rows: shown.iter().map(|a| area_row(m, a, ct)).collect(),
        own,
    })
}

struct ClinicRow {
    seg: String,
    id: String,
    name: String,
    clinic_type: &'static str,
    open: &'static str,
    capacities: String,
    listed: String,
    mean_weight: String,
    minimum: String,
    final_number: Option<String>,
}

#[derive(Template)]
#[template(path = "capacity/area.html")]
struct AreaTemplate {
    page: Page,
    ct: &'static CapText,
    links: Vec<(&'static str, &'static str)>,
    head: Head,
    level_name: &'static str,
    area: AreaRow,
    clinics: Vec<ClinicRow>,
}

/// `GET /capacity/areas/{level}/{code}`.
pub(crate) async fn area_page(
    State(state): State<AppState>,
    Extension(cap): Extension<Capacity>,
    Path((level, code)): Path<(String, String)>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let ct = CapText::of(lang);
    let level = Level::parse(&level).ok_or(AppError::NotFound)?;
    let models = cap.models().await?;
    let m = models.at(level);
    let (ai, a) = m
        .areas
        .iter()
        .enumerate()
        .find(|(_, a)| a.code == code)
        .ok_or(AppError::NotFound)?;
    let finals = hearing::finals_in_force(&state.db).await?;
    let clinics = m
        .clinics
        .iter()
        .filter(|c| c.area as usize == ai)
        .map(|c| ClinicRow {
            seg: seg(&c.clinic_id),
            id: c.clinic_id.clone(),
            name: c.name.clone(),
            clinic_type: c.clinic_type.as_str(),
            open: ct.yes_no(c.open_for_new),
            capacities: ct.dec(c.capacities, 1),
            listed: ct.int(c.listed as i64),
            mean_weight: ct.opt(c.mean_weight, 3),
            minimum: ct.whole(c.minimum_patients),
            final_number: finals.get(&c.clinic_id).map(|f| ct.int(f.final_minimum)),
        })
        .collect();
    render(&AreaTemplate {
        page: Page::new(
            &state,
            lang,
            &user,
            &format!("/capacity/areas/{}/{}", level.as_str(), seg(&code)),
            &a.name,
        ),
        ct,
        links: links(ct, user.role),
        head: head(&cap, ct, m),
        level_name: ct.level(level.as_str()),
        area: area_row(m, a, ct),
        clinics,
    })
}

/// One model's number for the clinic, for the comparison with PLO's alternative.
struct ModelRow {
    name: &'static str,
    area: String,
    number: String,
    difference: String,
    verdict: &'static str,
}

struct CommentView {
    id: i64,
    comment: String,
    author: String,
    at: String,
    computed: String,
    open: bool,
    answers: Vec<(String, String, String)>,
}

struct FinalView {
    version: i64,
    number: String,
    computed: String,
    reason: String,
    by: String,
    at: String,
}

#[derive(Template)]
#[template(path = "capacity/clinic.html")]
struct ClinicTemplate {
    page: Page,
    ct: &'static CapText,
    links: Vec<(&'static str, &'static str)>,
    head: Head,
    clinic_id: String,
    clinic_seg: String,
    name: String,
    clinic_type: &'static str,
    area_name: String,
    area_href: String,
    capacities: String,
    listed: String,
    open: &'static str,
    minimum: String,
    minimum_exact: String,
    minimum_input: i64,
    final_in_force: Option<FinalView>,
    steps: Vec<String>,
    models: Vec<ModelRow>,
    comments: Vec<CommentView>,
    decisions: Vec<FinalView>,
    can_comment: bool,
    can_decide: bool,
    done: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ClinicQuery {
    done: Option<String>,
}

fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut s = template.to_string();
    for (k, v) in values {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

/// The steps of a clinic's number, each with its figures.
fn steps(models: &Models, ct: &CapText, row: usize) -> Vec<String> {
    let m = &models.kommune;
    let c = &m.clinics[row];
    let a = &m.areas[c.area as usize];
    let r = m.reference_per_capacity;
    let mut out = vec![
        fill(ct.step_weights, &[("n", ct.int(m.citizens as i64))]),
        fill(
            ct.step_reference,
            &[
                ("w", ct.dec(m.weighted_citizens, 1)),
                ("c", ct.dec(m.capacities, 1)),
                ("r", ct.dec(r, 2)),
            ],
        ),
        fill(
            ct.step_area,
            &[
                ("a", format!("{} {}", a.code, a.name)),
                ("m", ct.opt(a.mean_weight, 4)),
                ("avg", ct.opt(a.average_per_capacity, 1)),
            ],
        ),
    ];
    match c.mean_weight {
        Some(mw) => {
            out.push(fill(
                ct.step_listed,
                &[
                    ("n", ct.int(c.listed as i64)),
                    ("w", ct.dec(c.weighted_listed, 1)),
                    ("m", ct.dec(mw, 4)),
                ],
            ));
            out.push(fill(
                ct.step_minimum,
                &[
                    ("c", ct.dec(c.capacities, 1)),
                    ("r", ct.dec(r, 2)),
                    ("m", ct.dec(mw, 4)),
                    ("x", ct.dec(c.model_minimum, 1)),
                ],
            ));
        }
        None => {
            out.push(ct.step_listed_none.to_string());
            out.push(fill(
                ct.step_minimum,
                &[
                    ("c", ct.dec(c.capacities, 1)),
                    ("r", ct.dec(r, 2)),
                    ("m", ct.dec(1.0, 4)),
                    ("x", ct.dec(c.model_minimum, 1)),
                ],
            ));
        }
    }
    let l = &m.limits;
    if l.is_empty() {
        out.push(ct.step_no_limits.to_string());
    } else {
        let mut s = fill(
            ct.step_limits,
            &[
                ("f", ct.opt(l.floor_per_capacity, 0)),
                ("c", ct.opt(l.ceiling_per_capacity, 0)),
                (
                    "t",
                    l.transition.as_ref().map_or_else(
                        || "–".to_string(),
                        |t| format!("±{} %", ct.dec(t.max_change * 100.0, 0)),
                    ),
                ),
            ],
        );
        match c.limited_by {
            Some(by) => s.push_str(&format!(
                " {}: {} → {}.",
                ct.limited_by,
                ct.limit(by),
                ct.dec(c.minimum_patients, 1)
            )),
            None => {
                s.push(' ');
                s.push_str(ct.step_no_limit_applied);
            }
        }
        out.push(s);
    }
    out
}

fn final_view(ct: &CapText, f: &FinalNumber) -> FinalView {
    FinalView {
        version: f.version,
        number: ct.int(f.final_minimum),
        computed: ct.whole(f.computed_minimum),
        reason: f.reason.clone(),
        by: f.decided_by.clone(),
        at: when(f.decided_at),
    }
}

fn comment_view(ct: &CapText, c: &Comment) -> CommentView {
    CommentView {
        id: c.id,
        comment: c.comment.clone(),
        author: c.author.clone(),
        at: when(c.created_at),
        computed: ct.whole(c.computed_minimum),
        open: c.is_open(),
        answers: c
            .answers
            .iter()
            .map(|a| (a.answer.clone(), a.author.clone(), when(a.created_at)))
            .collect(),
    }
}

/// `GET /capacity/clinics/{clinic_id}`.
pub(crate) async fn clinic_page(
    State(state): State<AppState>,
    Extension(cap): Extension<Capacity>,
    Path(clinic_id): Path<String>,
    Query(q): Query<ClinicQuery>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let ct = CapText::of(lang);
    let models = cap.models().await?;
    let m = &models.kommune;
    let c = clinic_in(m, &cap.ds, &clinic_id).ok_or(AppError::NotFound)?;
    let row = c.row as usize;
    let a = &m.areas[c.area as usize];
    // PLO's alternative at both levels: the area's average per capacity × capacities.
    let mut rows = vec![ModelRow {
        name: ct.clinic_model,
        area: String::new(),
        number: ct.whole(c.minimum_patients),
        difference: String::new(),
        verdict: "",
    }];
    for (level, name) in [
        (Level::Kommune, ct.area_model_kommune),
        (Level::Sundhedsraad, ct.area_model_sundhedsraad),
    ] {
        let lm = models.at(level);
        let Some(lc) = lm.clinics.get(row) else {
            continue;
        };
        let la = &lm.areas[lc.area as usize];
        let share = la.average_per_capacity.unwrap_or(lm.reference_per_capacity) * lc.capacities;
        let diff = c.minimum_patients - share;
        rows.push(ModelRow {
            name,
            area: la.name.clone(),
            number: ct.whole(share),
            difference: ct.signed(diff, 0),
            verdict: if diff < -almen_capacity::compare::UNCHANGED_WITHIN {
                ct.gains
            } else if diff > almen_capacity::compare::UNCHANGED_WITHIN {
                ct.loses
            } else {
                ct.unchanged
            },
        });
    }
    let comments = hearing::comments(&state.db, Some(&clinic_id)).await?;
    let finals = hearing::finals(&state.db, Some(&clinic_id)).await?;
    let can_comment = may_comment(&state.db, &user, &clinic_id).await?;
    render(&ClinicTemplate {
        page: Page::new(
            &state,
            lang,
            &user,
            &format!("/capacity/clinics/{}", seg(&clinic_id)),
            &format!("{} · {}", ct.clinic_title, c.name),
        ),
        ct,
        links: links(ct, user.role),
        head: head(&cap, ct, m),
        clinic_seg: seg(&clinic_id),
        clinic_id,
        name: c.name.clone(),
        clinic_type: c.clinic_type.as_str(),
        area_name: format!("{} {}", a.code, a.name),
        area_href: format!("/capacity/areas/kommune/{}", seg(&a.code)),
        capacities: ct.dec(c.capacities, 1),
        listed: ct.int(c.listed as i64),
        open: ct.yes_no(c.open_for_new),
        minimum: ct.whole(c.minimum_patients),
        minimum_exact: ct.dec(c.minimum_patients, 2),
        minimum_input: c.minimum_patients.round() as i64,
        final_in_force: finals.first().map(|f| final_view(ct, f)),
        steps: steps(&models, ct, row),
        models: rows,
        comments: comments.iter().map(|c| comment_view(ct, c)).collect(),
        decisions: finals.iter().map(|f| final_view(ct, f)).collect(),
        can_comment,
        can_decide: may_decide(&user),
        done: match q.done.as_deref() {
            Some("comment") => Some(ct.done_comment),
            Some("answer") => Some(ct.done_answer),
            Some("final") => Some(ct.done_final),
            _ => None,
        },
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct ModelQuery {
    level: Option<String>,
}

/// `GET /api/v1/capacity/model?level=kommune|sundhedsraad`: the model in the stable shape of
/// `almen capacity model --format json` (unrounded).
pub(crate) async fn model_json(
    Extension(cap): Extension<Capacity>,
    Query(q): Query<ModelQuery>,
) -> Result<Response, AppError> {
    let level = parse_level(q.level.as_deref())?;
    let models = cap.models().await?;
    Ok(Json(models.at(level)).into_response())
}
