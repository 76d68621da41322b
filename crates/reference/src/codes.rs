//! Code titles: ICPC-2-DK, ATC, SKS (ICD-10).

use crate::embedded_csv;
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

/// Danish and English title of an ICPC-2 rubric (`K78`).
pub fn icpc2_title(code: &str) -> Option<(&'static str, &'static str)> {
    icpc2().get(code).map(|(da, en)| (da.as_str(), en.as_str()))
}

fn atc() -> &'static HashMap<String, String> {
    static T: OnceLock<HashMap<String, String>> = OnceLock::new();
    T.get_or_init(|| {
        let mut m = HashMap::new();
        for r in embedded_csv(
            "codes/atc_ddd_2026-04-25.csv",
            include_str!("../data/codes/atc_ddd_2026-04-25.csv"),
        ) {
            m.entry(r[0].to_string())
                .or_insert_with(|| r[1].to_string());
        }
        m
    })
}

/// WHO name of an ATC code at any level (`M01AE01` → `ibuprofen`).
pub fn atc_name(code: &str) -> Option<&'static str> {
    atc().get(code).map(String::as_str)
}

pub fn atc_exists(code: &str) -> bool {
    atc().contains_key(code)
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

/// Danish title of an SKS diagnosis code (`DI48`).
pub fn icd10_title(sks_code: &str) -> Option<&'static str> {
    sks().get(sks_code).map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles() {
        assert!(icpc2_title("K78").is_some());
        assert!(atc_exists("M01AE01"));
        assert!(atc_name("A10BJ06").is_some_and(|n| n.to_lowercase().contains("semaglutide")));
        assert!(icd10_title("DI48").is_some());
        assert!(!atc_exists("Z99ZZ99"));
    }
}
