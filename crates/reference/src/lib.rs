//! Reference data embedded in Almen: the public facts every other module builds on.
//!
//! What is here:
//! - **Geography** ([`kommuner`], [`Region`], [`Region2027`], [`health_councils`]): the 98
//!   municipalities with their official codes, today's five regions (and the four from 2027,
//!   when Hovedstaden and Sjælland become Region Østdanmark), the 17 health councils
//!   (sundhedsråd) of the 2024 health reform, an approximate population (`befolkning_ca`) and
//!   the exact population on 1 January 2024 (Statistics Denmark, FOLK1AM).
//! - **Population structure** ([`kommune_age_sex_2020`], [`kommune_age_sex_2024_estimate`],
//!   [`national_age_sex`]): Statistics Denmark's population by kommune, sex and 5-year band on
//!   1 January 2020 (FOLK1A), that structure scaled to the 2024 totals (an estimate), and the
//!   national population by sex and age 1990-2025 for age/sex standardisation.
//! - **Service codes** ([`services`], [`fee_on`], [`fee_types`]): the four-digit service codes
//!   (ydelseskoder) found in public sources, with names, rules, sources and the few fees that
//!   public pages give, each with its price level. The national fee table is not public:
//!   most codes have no fee and Almen never invents one.
//! - **Contact classification** ([`contact_kind`], [`is_face_to_face`]): which service codes
//!   are patient contacts and which of those are face-to-face — Almen's own classification,
//!   the reference data of the cockpit's continuity index.
//! - **Code titles** ([`icpc2_title`], [`atc_name`], [`atc`], [`icd10_title`]): ICPC-2-DK
//!   (DSAM/WONCA), ATC with DDD (WHOCC, index of 2026-04-25) and SKS diagnosis codes
//!   (Sundhedsdatastyrelsen, 2026-06-16).
//!
//! Where it comes from: every table is a CSV file in the crate's `data/` folder, copied from
//! the project's shared reference folder; `data/README.md` gives each file's source, date and
//! licence (Statistics Denmark's tables are CC BY 4.0; ATC and ICPC-2 titles are © WHOCC and
//! © WONCA/DSAM and are kept as replaceable data files, not as code). The files are compiled
//! in with `include_str!` and parsed once, at first use. [`sources`] lists each table with its
//! source and date and says which figures are approximate, so a UI can say so.
//!
//! Domain types that need the tables to validate live here: [`KommuneCode`] (one of the 98)
//! and [`ServiceCode`] (exactly four digits).
//!
//! Christiansø (code 411, 91 people in 2024) is its own area in Statistics Denmark's tables
//! but belongs to no kommune; Almen leaves it out, so the kommuner sum to the country minus
//! Christiansø.

mod codes;
mod geo;
mod population;
mod services;

pub use almen_core::ParseError;
pub use codes::{
    AtcCode, Ddd, atc, atc_codes, atc_exists, atc_level, atc_name, atc_under, icd10_title,
    icpc2_exists, icpc2_title, sks_exists,
};
pub use geo::{
    HealthCouncil, HealthCouncilId, Kommune, KommuneCode, Region, Region2027, health_council,
    health_council_named, health_councils, kommune, kommuner,
};
pub use population::{
    POP_BANDS, kommune_age_sex_2020, kommune_age_sex_2024_estimate, national_age_sex,
    national_years, pop_band, pop_band_label, to_age_bands,
};
pub use services::{
    ContactCode, ContactKind, Fee, FeeType, ServiceCode, ServiceInfo, contact_codes, contact_kind,
    fee_in_force, fee_on, fee_types, is_face_to_face, service, services,
};

/// Where a table's figures come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TableSource {
    pub table: &'static str,
    pub source: &'static str,
    /// The date or period the figures describe.
    pub date: &'static str,
    /// Figures good for sizing and comparison, not for official use.
    pub approximate: bool,
    /// The file in the crate's `data/` folder.
    pub file: &'static str,
}

/// Every embedded table with its source and date.
pub fn sources() -> &'static [TableSource] {
    &[
        TableSource {
            table: "kommuner (codes, names, regions)",
            source: "Official municipality code list (CPR/DAGI)",
            date: "2024",
            approximate: false,
            file: "kommuner.csv",
        },
        TableSource {
            table: "kommuner (health councils)",
            source: "Indenrigs- og Sundhedsministeriet: the 17 sundhedsråd of the 2024 health reform",
            date: "2025",
            approximate: false,
            file: "kommuner.csv",
        },
        TableSource {
            table: "kommuner (befolkning_ca)",
            source: "Population rounded to the thousand, around 1 January 2024",
            date: "2024-01-01",
            approximate: true,
            file: "kommuner.csv",
        },
        TableSource {
            table: "population 2024 by kommune",
            source: "Statistics Denmark, StatBank FOLK1AM (CC BY 4.0)",
            date: "2024-01-01",
            approximate: false,
            file: "population/kommune_total_2024-01-01.csv",
        },
        TableSource {
            table: "population by kommune, sex and age",
            source: "Statistics Denmark, StatBank FOLK1A 2020K1 (CC BY 4.0)",
            date: "2020-01-01",
            approximate: false,
            file: "population/kommune_sex_age5_2020-01-01.csv",
        },
        TableSource {
            table: "population by kommune, sex and age, 2024 estimate",
            source: "Almen's estimate: the 2020 structure scaled to the exact 2024 totals",
            date: "2024-01-01",
            approximate: true,
            file: "population/kommune_sex_age5_2020-01-01.csv",
        },
        TableSource {
            table: "national population by sex and age",
            source: "Statistics Denmark (CC BY 4.0)",
            date: "1990-2025 (1 January)",
            approximate: false,
            file: "population/national_sex_age5_1990-2025.csv",
        },
        TableSource {
            table: "service codes (ydelser)",
            source: "Public PLO and regional pages, the OK22 guidance, EHR manuals (source per row)",
            date: "2022-2025",
            approximate: false,
            file: "ydelser.csv",
        },
        TableSource {
            table: "service fees",
            source: "The few fees public pages give, each with its price level (Fee::price_level); \
                     the national fee table is not public",
            date: "price level per fee: 1 Oct 2022, 1 Oct 2023 (unconfirmed), 1 Apr 2024; \
                   4118 from 1 Jan 2011; capitation 2003",
            approximate: false,
            file: "ydelser.csv",
        },
        TableSource {
            table: "contact codes (face-to-face)",
            source: "Almen's classification of the service names in ydelser.csv",
            date: "2026",
            approximate: false,
            file: "contact_codes.csv",
        },
        TableSource {
            table: "ICPC-2-DK titles",
            source: "DSAM/KiAP via HL7 Denmark (© DSAM/WONCA)",
            date: "2025-12",
            approximate: false,
            file: "codes/icpc2_dk_titles.csv",
        },
        TableSource {
            table: "ATC codes and DDD",
            source: "WHO Collaborating Centre for Drug Statistics Methodology (© WHOCC)",
            date: "2026-04-25",
            approximate: false,
            file: "codes/atc_ddd_2026-04-25.csv",
        },
        TableSource {
            table: "SKS diagnosis codes",
            source: "Sundhedsdatastyrelsen, SKS via HL7 Denmark",
            date: "2026-06-16",
            approximate: false,
            file: "codes/sks_diagnoses_2026-06-16.csv",
        },
    ]
}

/// Reads an embedded CSV file (`#` lines are comments). The files are compiled in and every
/// one is parsed by a unit test, so a failure here is a build defect, not user input.
pub(crate) fn embedded_csv(name: &str, text: &'static str) -> Vec<csv::StringRecord> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    r.records()
        .map(|rec| rec.unwrap_or_else(|e| panic!("embedded {name} is malformed: {e}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_names_an_existing_file() {
        let readme = include_str!("../data/README.md");
        for s in sources() {
            assert!(!s.source.is_empty() && !s.date.is_empty(), "{}", s.table);
            assert!(
                readme.contains(s.file),
                "{} is not in data/README.md",
                s.file
            );
        }
        assert!(sources().iter().any(|s| s.approximate));
    }

    #[test]
    fn everything_loads() {
        // Touch every table once, so a malformed file fails here.
        assert_eq!(kommuner().len(), 98);
        assert_eq!(health_councils().len(), 17);
        assert!(national_age_sex(2025).is_some());
        assert!(!services().is_empty() && !fee_types().is_empty());
        assert!(!contact_codes().is_empty());
        assert!(icpc2_title("A01").is_some());
        assert!(atc_exists("A"));
        assert!(icd10_title("DA00").is_some());
        for k in kommuner() {
            let _ = kommune_age_sex_2020(k.code);
        }
    }
}
