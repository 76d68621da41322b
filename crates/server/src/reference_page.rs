//! The reference-data module: `/reference`, for every role. Shows the embedded tables with
//! their sources and dates; figures that are approximate are marked so on the page (≈), as
//! the reference data says they must be.

use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::modules::{Module, ModuleNav};
use crate::pages::{Page, render};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

pub fn module(_state: &AppState) -> Option<Module> {
    Some(Module::new(
        ModuleNav {
            id: "reference",
            name_da: "Referencedata",
            name_en: "Reference data",
            summary_da: "Kommuner, regioner, sundhedsråd og ydelseskoder — med kilde og dato.",
            summary_en: "Municipalities, regions, health councils and service codes — with source and date.",
            path: "/reference",
            roles: &Role::ALL,
        },
        Router::new().route("/reference", get(page)),
    ))
}

/// The page's own words; the layout's words are in `i18n.rs`.
struct Words {
    title: &'static str,
    intro: &'static str,
    sources: &'static str,
    table: &'static str,
    source: &'static str,
    date: &'static str,
    approx: &'static str,
    regions: &'static str,
    councils: &'static str,
    kommuner: &'static str,
    services: &'static str,
    code: &'static str,
    name: &'static str,
    region: &'static str,
    council: &'static str,
    population: &'static str,
    population_approx: &'static str,
    fee: &'static str,
    no_fee: &'static str,
    from_2027: &'static str,
}

const DA: Words = Words {
    title: "Referencedata",
    intro: "Offentlige tabeller, som Almen har indbygget. Tal mærket ≈ er omtrentlige: gode til at dimensionere og sammenligne, ikke til officiel brug.",
    sources: "Kilder",
    table: "Tabel",
    source: "Kilde",
    date: "Dato",
    approx: "omtrentlig",
    regions: "Regioner",
    councils: "Sundhedsråd",
    kommuner: "Kommuner",
    services: "Ydelseskoder",
    code: "Kode",
    name: "Navn",
    region: "Region",
    council: "Sundhedsråd",
    population: "Befolkning 1.1.2024",
    population_approx: "Befolkning ca.",
    fee: "Honorar (prisniveau)",
    no_fee: "ingen offentlig takst",
    from_2027: "Fra 2027",
};

const EN: Words = Words {
    title: "Reference data",
    intro: "Public tables built into Almen. Figures marked ≈ are approximate: good for sizing and comparison, not for official use.",
    sources: "Sources",
    table: "Table",
    source: "Source",
    date: "Date",
    approx: "approximate",
    regions: "Regions",
    councils: "Health councils",
    kommuner: "Municipalities",
    services: "Service codes",
    code: "Code",
    name: "Name",
    region: "Region",
    council: "Health council",
    population: "Population 1 Jan 2024",
    population_approx: "Population approx.",
    fee: "Fee (price level)",
    no_fee: "no public fee",
    from_2027: "From 2027",
};

struct SourceRow {
    table: &'static str,
    source: &'static str,
    date: &'static str,
    approximate: bool,
}

struct RegionRow {
    code: u16,
    name: &'static str,
    population: String,
    from_2027: &'static str,
}

struct CouncilRow {
    name: String,
    region: &'static str,
    kommuner: String,
}

struct KommuneRow {
    code: u16,
    name: String,
    region: &'static str,
    council: String,
    population: String,
    population_approx: String,
}

struct ServiceRow {
    code: String,
    name: String,
    fees: Vec<String>,
}

#[derive(Template)]
#[template(path = "reference.html")]
struct ReferenceTemplate {
    page: Page,
    w: &'static Words,
    sources: Vec<SourceRow>,
    regions: Vec<RegionRow>,
    councils: Vec<CouncilRow>,
    kommuner: Vec<KommuneRow>,
    services: Vec<ServiceRow>,
}

/// Thousands separated the Danish way (a point), which both languages' readers here know.
fn thousands(n: u32) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    out
}

async fn page(
    State(state): State<AppState>,
    lang: Lang,
    user: CurrentUser,
) -> Result<Response, AppError> {
    use almen_reference as r;
    let w = match lang {
        Lang::Da => &DA,
        Lang::En => &EN,
    };
    let region_name = |reg: r::Region| match lang {
        Lang::Da => reg.name_da(),
        Lang::En => reg.name_en(),
    };
    let sources = r::sources()
        .iter()
        .map(|s| SourceRow {
            table: s.table,
            source: s.source,
            date: s.date,
            approximate: s.approximate,
        })
        .collect();
    let regions = r::Region::all()
        .into_iter()
        .map(|reg| RegionRow {
            code: reg.code(),
            name: region_name(reg),
            population: thousands(reg.population_2024()),
            from_2027: reg.from_2027().name_da(),
        })
        .collect();
    let councils = r::health_councils()
        .iter()
        .map(|c| CouncilRow {
            name: c.name.clone(),
            region: region_name(c.region),
            kommuner: c
                .kommuner
                .iter()
                .map(|k| k.info().name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let kommuner = r::kommuner()
        .iter()
        .map(|k| KommuneRow {
            code: k.code.get(),
            name: k.name.clone(),
            region: region_name(k.region),
            council: r::health_council(k.health_council).name.clone(),
            population: thousands(k.population_2024),
            population_approx: format!("≈ {}", thousands(k.population_approx)),
        })
        .collect();
    let services = r::services()
        .iter()
        .map(|s| ServiceRow {
            code: s.code.to_string(),
            name: match lang {
                Lang::Da => s.name_da.clone(),
                Lang::En => s.name_en.clone(),
            },
            fees: s
                .fees
                .iter()
                .map(|f| format!("{:.2} kr ({})", f.dkk, f.price_level))
                .collect(),
        })
        .collect();
    render(&ReferenceTemplate {
        page: Page::new(&state, lang, &user, "/reference", w.title),
        w,
        sources,
        regions,
        councils,
        kommuner,
        services,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_use_points() {
        assert_eq!(super::thousands(1_365_688), "1.365.688");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1.000");
    }
}
