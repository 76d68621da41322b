//! `/cockpit/areas?level=…&list=…`: the lists summed from the clinics to cluster (from the
//! database), kommune, health council, region or country, with counts under 5 suppressed.
//! For everyone of the module, analysts included: nothing here identifies a patient or shows
//! a single clinic's figures.

use super::Cockpit;
use super::pages::{links, seg};
use super::svg::{self, Bar};
use super::text::CockpitText;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::{Page, render};
use almen_cockpit::{AreaLists, ClusterMap, Level, aggregate_from};
use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Json, Response};
use serde::Deserialize;

/// The levels of the page, in order; the first is the default.
pub(crate) const LEVELS: [&str; 5] = ["region", "health_council", "kommune", "cluster", "country"];

#[derive(Debug, Deserialize)]
pub(crate) struct AreasQuery {
    level: Option<String>,
    list: Option<String>,
}

fn bad_level() -> AppError {
    AppError::bad_request(
        "level skal være cluster, kommune, health_council, region eller country.",
        "level must be cluster, kommune, health_council, region or country.",
    )
}

/// The areas of a level (a name from [`LEVELS`]).
async fn areas(state: &AppState, cp: &Cockpit, level: &str) -> Result<Vec<AreaLists>, AppError> {
    if !LEVELS.contains(&level) {
        return Err(bad_level());
    }
    let all = cp.all_counts().await?;
    let clusters: ClusterMap = if level == "cluster" {
        cp.cluster_map(&state.db).await?
    } else {
        ClusterMap::new()
    };
    let level = match level {
        "cluster" => Level::Cluster(&clusters),
        "kommune" => Level::Kommune,
        "health_council" => Level::HealthCouncil,
        "region" => Level::Region,
        _ => Level::Country,
    };
    Ok(aggregate_from(&cp.ds, &cp.lists, &all, cp.date, level))
}

/// `GET /api/v1/cockpit/areas?level=kommune`: every list for every area of the level (the
/// fields of `almen_cockpit::AreaLists`), small counts suppressed.
pub(crate) async fn json(
    State(state): State<AppState>,
    Extension(cp): Extension<Cockpit>,
    Query(q): Query<AreasQuery>,
    user: CurrentUser,
) -> Result<Response, AppError> {
    cp.scope(&state.db, &user).await?;
    let level = q.level.as_deref().unwrap_or(LEVELS[0]);
    let areas = areas(&state, &cp, level).await?;
    Ok(
        Json(serde_json::json!({ "level": level, "date": cp.date, "areas": areas }))
            .into_response(),
    )
}

struct AreaRow {
    name: String,
    clinics: u32,
    population: String,
    count: String,
    suppressed: bool,
    prevalence: String,
    standardised: String,
    bar: String,
    upc: String,
    coc: String,
    reference: bool,
}

#[derive(Template)]
#[template(path = "cockpit/areas.html")]
struct AreasTemplate {
    page: Page,
    ct: &'static CockpitText,
    links: Vec<(&'static str, &'static str)>,
    level: String,
    levels: Vec<(&'static str, &'static str)>,
    list: String,
    lists: Vec<(String, String)>,
    list_name: String,
    date: String,
    rows: Vec<AreaRow>,
}

/// `GET /cockpit/areas?level=region&list=diabetes`.
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(cp): Extension<Cockpit>,
    Query(q): Query<AreasQuery>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, AppError> {
    cp.scope(&state.db, &user).await?;
    let ct = CockpitText::of(lang);
    let level = q.level.as_deref().unwrap_or(LEVELS[0]).to_string();
    let list = q
        .list
        .filter(|l| cp.lists.index_of(l).is_some())
        .unwrap_or_else(|| cp.lists.ids()[0].to_string());
    let li = cp.lists.index_of(&list).unwrap_or(0);
    let areas = areas(&state, &cp, &level).await?;
    // The country first, for comparison, unless the level is the country.
    let mut shown: Vec<(bool, AreaLists)> = Vec::new();
    if level != "country" {
        shown.extend(
            self::areas(&state, &cp, "country")
                .await?
                .into_iter()
                .map(|a| (true, a)),
        );
    }
    shown.extend(areas.into_iter().map(|a| (false, a)));
    let max = shown
        .iter()
        .filter_map(|(_, a)| a.lists[li].standardised_prevalence)
        .reduce(f64::max);
    let rows = shown
        .iter()
        .map(|(reference, a)| {
            let f = &a.lists[li];
            AreaRow {
                name: a.area_name.clone(),
                clinics: a.clinics,
                population: ct.int(u64::from(a.population)),
                count: f
                    .count
                    .map_or_else(|| "< 5".to_string(), |c| ct.int(u64::from(c))),
                suppressed: f.suppressed,
                prevalence: ct.pct(f.prevalence),
                standardised: ct.pct(f.standardised_prevalence),
                bar: svg::bars(
                    &[Bar {
                        label: &a.area_name,
                        value: f.standardised_prevalence,
                        text: ct.pct(f.standardised_prevalence),
                        colour: if *reference {
                            svg::COUNTRY
                        } else {
                            svg::CLINIC
                        },
                    }],
                    max,
                    &format!("{}: {}", a.area_name, ct.standardised),
                    &format!("bar-{}", seg(&a.area_id)),
                ),
                upc: ct.index(a.continuity.mean_upc),
                coc: ct.index(a.continuity.mean_coc),
                reference: *reference,
            }
        })
        .collect();
    render(&AreasTemplate {
        page: Page::new(&state, lang, &user, "/cockpit/areas", ct.areas_title),
        ct,
        links: links(ct, user.role),
        levels: LEVELS.iter().map(|l| (*l, ct.level(l))).collect(),
        lists: cp
            .lists
            .lists()
            .iter()
            .map(|d| (d.id.clone(), lang.pick(&d.name_da, &d.name_en).to_string()))
            .collect(),
        list_name: super::pages::list_name(&cp.lists, &list, lang).to_string(),
        level,
        list,
        date: cp.date.to_string(),
        rows,
    })
}
