//! Code titles: ICPC-2-DK (DSAM/WONCA), ATC with DDD (WHOCC), SKS diagnoses (ICD-10).
//!
//! Look-ups take the code in its canonical form (upper case, no dot, no spaces): `K78`,
//! `M01AE01`, `DI48`. Normalising user input is the caller's job.

use crate::embedded_csv;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::OnceLock;

type Titles = HashMap<String, (String, String)>;

fn icpc2() -> &'static Titles {
    static T: OnceLock<Titles> = OnceLock::new();
    T.get_or_init(|| {
        embedded_csv(
            "codes/icpc2_dk_titles.csv",
            include_str!("../data/codes/icpc2_dk_titles.csv"),
        )
        .iter()
        .map(|r| (r[0].to_string(), (r[1].to_string(), r[2].to_string())))
        .collect()
    })
}

/// Danish (ICPC-2-DK) and English (preferred WONCA) title of an ICPC-2 rubric (`K78`). The
/// table has the 686 rubrics (components 1 and 7), not the process codes (`-30` …).
pub fn icpc2_title(code: &str) -> Option<(&'static str, &'static str)> {
    icpc2().get(code).map(|(da, en)| (da.as_str(), en.as_str()))
}

pub fn icpc2_exists(code: &str) -> bool {
    icpc2().contains_key(code)
}

/// A defined daily dose (WHOCC) of an ATC level-5 code for one route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ddd {
    pub amount: f64,
    /// `mg`, `g`, `mcg`, `U`, `TU`, `MU`, `ml`, `mmol`, `tablet`, …; empty where the index
    /// gives none (pilocarpine lamella: the DDD counts lamellae).
    pub unit: String,
    /// Administration route: `O` oral, `P` parenteral, `R` rectal, `N` nasal, `SL`, `TD`,
    /// `V`, `Inhal.powder` …; empty where the index gives none (some eye drops, S01E).
    pub route: String,
    /// WHOCC's note (`depot`, `Fe2+`, `course dose` …), if any.
    pub note: Option<String>,
}

/// One ATC code with its WHO name and DDDs.
#[derive(Debug, Clone, Serialize)]
pub struct AtcCode {
    pub code: String,
    /// WHO name; the first row's when a code has several (one per DDD/route).
    pub name: String,
    /// Empty for groups (levels 1-4) and for substances without a DDD.
    pub ddds: Vec<Ddd>,
}

impl AtcCode {
    /// ATC level 1-5 from the code's length (`A` 1, `A10` 2, `A10B` 3, `A10BJ` 4,
    /// `A10BJ06` 5).
    pub fn level(&self) -> u8 {
        atc_level(&self.code).unwrap_or(0)
    }
}

/// The level an ATC code's length implies (1, 3, 4, 5, 7 characters → 1-5), `None` for other
/// lengths. Does not check that the code exists.
pub fn atc_level(code: &str) -> Option<u8> {
    match code.len() {
        1 => Some(1),
        3 => Some(2),
        4 => Some(3),
        5 => Some(4),
        7 => Some(5),
        _ => None,
    }
}

fn na(s: &str) -> Option<&str> {
    (s != "NA" && !s.is_empty()).then_some(s)
}

fn atc_table() -> &'static [AtcCode] {
    static T: OnceLock<Vec<AtcCode>> = OnceLock::new();
    T.get_or_init(|| {
        let mut v: Vec<AtcCode> = Vec::new();
        for r in embedded_csv(
            "codes/atc_ddd_2026-04-25.csv",
            include_str!("../data/codes/atc_ddd_2026-04-25.csv"),
        ) {
            let (code, name) = (&r[0], &r[1]);
            // Columns ddd, uom, adm_r, note. One row in the scrape (B01AF03 edoxaban) is
            // shifted one column to the right: `NA,60,mg,O`. Read it as `60,mg,O,NA`.
            let (ddd, unit, route, note) = match (na(&r[2]), r[3].parse::<f64>()) {
                (None, Ok(_)) => (na(&r[3]), na(&r[4]), na(&r[5]), None),
                _ => (na(&r[2]), na(&r[3]), na(&r[4]), na(&r[5])),
            };
            let ddd = ddd.map(|amount| Ddd {
                amount: amount
                    .parse()
                    .unwrap_or_else(|_| panic!("DDD {amount:?} of {code} in the ATC table")),
                unit: unit.unwrap_or_default().to_string(),
                route: route.unwrap_or_default().to_string(),
                note: note.map(str::to_string),
            });
            match v.last_mut() {
                Some(last) if last.code == code => last.ddds.extend(ddd),
                _ => v.push(AtcCode {
                    code: code.to_string(),
                    name: name.to_string(),
                    ddds: ddd.into_iter().collect(),
                }),
            }
        }
        v.sort_by(|a, b| a.code.cmp(&b.code));
        for w in v.windows(2) {
            assert!(
                w[0].code != w[1].code,
                "ATC code {} is not on consecutive rows",
                w[0].code
            );
        }
        v
    })
}

/// All ATC codes (levels 1-5), sorted by code.
pub fn atc_codes() -> &'static [AtcCode] {
    atc_table()
}

/// The entry of an ATC code at any level.
pub fn atc(code: &str) -> Option<&'static AtcCode> {
    let v = atc_table();
    v.binary_search_by(|a| a.code.as_str().cmp(code))
        .ok()
        .map(|i| &v[i])
}

/// WHO name of an ATC code at any level (`M01AE01` → `ibuprofen`; groups are written in
/// capitals at levels 1-2 as WHO does: `N02A` → `OPIOIDS`).
pub fn atc_name(code: &str) -> Option<&'static str> {
    atc(code).map(|a| a.name.as_str())
}

pub fn atc_exists(code: &str) -> bool {
    atc(code).is_some()
}

/// The codes that start with `prefix` (the group itself included), e.g. every substance
/// under `N06D`. Empty when none does.
pub fn atc_under(prefix: &str) -> &'static [AtcCode] {
    let v = atc_table();
    let lo = v.partition_point(|a| a.code.as_str() < prefix);
    let hi = lo + v[lo..].partition_point(|a| a.code.starts_with(prefix));
    &v[lo..hi]
}

fn sks() -> &'static HashMap<String, String> {
    static T: OnceLock<HashMap<String, String>> = OnceLock::new();
    T.get_or_init(|| {
        embedded_csv(
            "codes/sks_diagnoses_2026-06-16.csv",
            include_str!("../data/codes/sks_diagnoses_2026-06-16.csv"),
        )
        .iter()
        .map(|r| (r[0].to_string(), r[2].to_string()))
        .collect()
    })
}

/// Danish title of an SKS diagnosis code in SKS form: `D` + the ICD-10 code without a dot
/// (`DI48`, `DE119`). Plain ICD-10 (`I48`) is not accepted: add the `D`. The table holds the
/// SKS codes identical to WHO ICD-10, not the Danish extensions.
pub fn icd10_title(sks_code: &str) -> Option<&'static str> {
    sks().get(sks_code).map(String::as_str)
}

pub fn sks_exists(sks_code: &str) -> bool {
    sks().contains_key(sks_code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icpc2() {
        assert_eq!(
            icpc2_title("K78"),
            Some(("Atrieflimren/flagren", "Atrial fibrillation/flutter"))
        );
        assert_eq!(icpc2_title("T90").unwrap().0, "Diabetes type 2");
        assert!(icpc2_title("k78").is_none(), "canonical form only");
        assert!(icpc2_title("K99X").is_none());
        assert_eq!(super::icpc2().len(), 686);
        for code in [
            "P70", "L95", "P72", "P73", "P98", "T89", "R95", "R96", "K77", "P81",
        ] {
            assert!(icpc2_exists(code), "{code}");
        }
    }

    #[test]
    fn atc_names_and_ddds() {
        assert!(atc_exists("M01AE01"));
        assert_eq!(atc_name("M01AE01"), Some("ibuprofen"));
        assert_eq!(atc_name("N02A"), Some("OPIOIDS"));
        assert!(atc_name("A10BJ06").is_some_and(|n| n.contains("semaglutide")));
        assert!(!atc_exists("Z99ZZ99"));
        assert!(!atc_exists(""));
        assert_eq!(atc_codes().len(), 6_996);
        assert_eq!(atc_codes().iter().filter(|a| a.level() == 5).count(), 5_678);
        let ibu = atc("M01AE01").unwrap();
        assert_eq!(ibu.ddds.len(), 3);
        assert_eq!(ibu.ddds[0].amount, 1.2);
        assert_eq!(ibu.ddds[0].unit, "g");
        assert_eq!(ibu.ddds[0].route, "O");
        // The shifted row is read correctly.
        let edoxaban = atc("B01AF03").unwrap();
        assert_eq!(
            edoxaban.ddds,
            [Ddd {
                amount: 60.0,
                unit: "mg".into(),
                route: "O".into(),
                note: None
            }]
        );
        assert_eq!(
            atc("B03AB10").unwrap().ddds[0].note.as_deref(),
            Some("Fe3+")
        );
        assert!(atc("A10").unwrap().ddds.is_empty());
        for a in atc_codes() {
            assert!(a.level() > 0, "{}", a.code);
            for d in &a.ddds {
                assert!(
                    d.amount > 0.0 && !(d.unit.is_empty() && d.route.is_empty()),
                    "{}",
                    a.code
                );
                assert!(d.unit.parse::<f64>().is_err(), "{}: shifted row", a.code);
            }
        }
        let anti_dementia = atc_under("N06D");
        assert!(anti_dementia.len() > 5);
        assert_eq!(anti_dementia[0].code, "N06D");
        assert!(anti_dementia.iter().all(|a| a.code.starts_with("N06D")));
        assert!(atc_under("N06DA").iter().any(|a| a.code == "N06DA02"));
        assert!(atc_under("Q").is_empty());
        assert_eq!(atc_under("").len(), atc_codes().len());
        assert_eq!(atc_level("A10BJ06"), Some(5));
        assert_eq!(atc_level("A10BJ0"), None);
    }

    #[test]
    fn sks_titles() {
        assert_eq!(icd10_title("DI48"), Some("Atrieflagren og atrieflimren"));
        assert_eq!(icd10_title("DE11"), Some("Type 2-diabetes"));
        assert!(icd10_title("I48").is_none(), "SKS form only");
        assert!(sks_exists("DI10"));
        assert_eq!(super::sks().len(), 10_563);
    }
}
