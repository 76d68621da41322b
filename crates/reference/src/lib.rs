//! Reference data embedded in Almen: the 98 municipalities with their regions and health
//! councils, population structure, the service-code catalogue, which services are
//! face-to-face contacts, and ICPC-2 / ATC / SKS titles.
//!
//! Every table is a CSV file in `data/` (see `data/README.md` for sources, dates and
//! licences), compiled into the binary and parsed once at first use. [`sources`] lists each
//! table with its source and date and says which figures are approximate, so the UI can say so.
//! Domain types that need the tables to validate live here: [`KommuneCode`] (one of the 98)
//! and [`ServiceCode`] (four digits).

mod codes;
mod geo;
mod population;
mod services;

pub use almen_core::ParseError;
pub use codes::{atc_exists, atc_name, icd10_title, icpc2_title};
pub use geo::{
    HealthCouncil, HealthCouncilId, Kommune, KommuneCode, Region, Region2027, health_council,
    health_councils, kommune, kommuner,
};
pub use population::{
    POP_BANDS, kommune_age_sex_2020, kommune_age_sex_2024_estimate, national_age_sex,
};
pub use services::{
    ContactKind, Fee, FeeType, ServiceCode, ServiceInfo, contact_kind, fee_on, fee_types,
    is_face_to_face, service, services,
};

/// Where a table's figures come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TableSource {
    pub table: &'static str,
    pub source: &'static str,
    pub date: &'static str,
    /// Figures good for sizing and comparison, not for official use.
    pub approximate: bool,
}

/// Every embedded table with its source and date.
pub fn sources() -> &'static [TableSource] {
    &[
        TableSource {
            table: "kommuner (codes, names, regions)",
            source: "Official municipality code list (CPR/DAGI)",
            date: "2024",
            approximate: false,
        },
        TableSource {
            table: "kommuner (health councils)",
            source: "Indenrigs- og Sundhedsministeriet, the 17 sundhedsråd of the 2024 reform",
            date: "2025",
            approximate: false,
        },
        TableSource {
            table: "kommuner (befolkning_ca)",
            source: "Population rounded to the thousand, around 1 January 2024",
            date: "2024-01-01",
            approximate: true,
        },
        TableSource {
            table: "population 2024 by kommune",
            source: "Statistics Denmark, StatBank FOLK1AM (CC BY 4.0)",
            date: "2024-01-01",
            approximate: false,
        },
        TableSource {
            table: "population by kommune, sex and age",
            source: "Statistics Denmark, StatBank FOLK1A 2020K1 (CC BY 4.0)",
            date: "2020-01-01",
            approximate: false,
        },
        TableSource {
            table: "population by kommune, sex and age, 2024 estimate",
            source: "The 2020 structure scaled to the exact 2024 totals (Almen's estimate)",
            date: "2024-01-01",
            approximate: true,
        },
        TableSource {
            table: "national population by sex and age",
            source: "Statistics Denmark (CC BY 4.0)",
            date: "1990-2025",
            approximate: false,
        },
        TableSource {
            table: "service codes (ydelser)",
            source: "Public PLO/regional pages and the OK22 guidance; fees only where a public page gives one, each with its price level",
            date: "2022-2025",
            approximate: false,
        },
        TableSource {
            table: "contact codes (face-to-face)",
            source: "Almen's classification of the service names in ydelser.csv",
            date: "2026",
            approximate: false,
        },
        TableSource {
            table: "ICPC-2-DK titles",
            source: "DSAM/KiAP via HL7 Denmark (© DSAM/WONCA)",
            date: "2025-12",
            approximate: false,
        },
        TableSource {
            table: "ATC codes",
            source: "WHO Collaborating Centre for Drug Statistics Methodology (© WHOCC)",
            date: "2026-04-25",
            approximate: false,
        },
        TableSource {
            table: "SKS diagnosis codes",
            source: "Sundhedsdatastyrelsen, SKS via HL7 Denmark",
            date: "2026-06-16",
            approximate: false,
        },
    ]
}

/// Reads an embedded CSV file. The files are compiled in and every one is parsed by a unit
/// test, so a failure here is a build defect, not user input.
pub(crate) fn embedded_csv(name: &str, text: &'static str) -> Vec<csv::StringRecord> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    r.records()
        .map(|rec| rec.unwrap_or_else(|e| panic!("embedded {name} is malformed: {e}")))
        .collect()
}
