//! The service-code catalogue (ydelseskoder) and contact classification.

use crate::{ParseError, embedded_csv};
use almen_core::Day;
use serde::{Serialize, Serializer};
use std::sync::OnceLock;

/// A four-digit service code, kept as text (`0101`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct ServiceCode([u8; 4]);

impl ServiceCode {
    pub fn parse(s: &str) -> Result<ServiceCode, ParseError> {
        let b = s.as_bytes();
        if b.len() != 4 || !b.iter().all(u8::is_ascii_digit) {
            return Err(ParseError::new(
                "a service code has four digits, e.g. 0101",
                s,
            ));
        }
        Ok(ServiceCode([b[0], b[1], b[2], b[3]]))
    }
    pub fn as_str(&self) -> &str {
        // Four ASCII digits by construction.
        std::str::from_utf8(&self.0).unwrap_or("????")
    }
    pub fn info(&self) -> Option<&'static ServiceInfo> {
        service(self.as_str())
    }
}

impl std::fmt::Display for ServiceCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ServiceCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Fee {
    pub dkk: f64,
    /// The price level as the source states it.
    pub price_level: String,
    /// The date the fee applies from, when the price level states one.
    pub valid_from: Option<Day>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceInfo {
    pub code: ServiceCode,
    pub name_da: String,
    pub name_en: String,
    pub category: String,
    /// Public fees, oldest first. Most codes have none: the national fee table is not public.
    pub fees: Vec<Fee>,
    pub rules: String,
    pub source: String,
}

/// A fee type without a service code (capitation, chronic-care fee).
#[derive(Debug, Clone, Serialize)]
pub struct FeeType {
    pub name_da: String,
    pub name_en: String,
    pub category: String,
    pub dkk: Option<f64>,
    pub price_level: String,
    pub rules: String,
    pub source: String,
}

struct Catalogue {
    services: Vec<ServiceInfo>,
    fee_types: Vec<FeeType>,
}

const MONTHS: [(&str, u32); 12] = [
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("maj", 5),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("okt", 10),
    ("nov", 11),
    ("dec", 12),
];

/// Finds "1. okt. 2022" / "1. april 2024" / "1. jan. 2011" in a price-level text.
fn valid_from(text: &str) -> Option<Day> {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| c == '.' || c == ',' || c == '(' || c == ')')
                .to_lowercase()
        })
        .collect();
    for w in words.windows(3) {
        let (Ok(day), Ok(year)) = (w[0].parse::<u32>(), w[2].parse::<i32>()) else {
            continue;
        };
        if let Some((_, m)) = MONTHS.iter().find(|(p, _)| w[1].starts_with(p)) {
            return Day::from_ymd(year, *m, day);
        }
    }
    None
}

fn catalogue() -> &'static Catalogue {
    static T: OnceLock<Catalogue> = OnceLock::new();
    T.get_or_init(|| {
        let mut services: Vec<ServiceInfo> = Vec::new();
        let mut fee_types = Vec::new();
        for r in embedded_csv("ydelser.csv", include_str!("../data/ydelser.csv")) {
            let dkk: Option<f64> = if r[4].is_empty() {
                None
            } else {
                Some(r[4].parse().expect("fee in ydelser.csv"))
            };
            if r[0].is_empty() {
                fee_types.push(FeeType {
                    name_da: r[1].to_string(),
                    name_en: r[2].to_string(),
                    category: r[3].to_string(),
                    dkk,
                    price_level: r[5].to_string(),
                    rules: r[6].to_string(),
                    source: r[7].to_string(),
                });
                continue;
            }
            let code = ServiceCode::parse(&r[0]).expect("service code in ydelser.csv");
            let fee = dkk.map(|dkk| Fee {
                dkk,
                price_level: r[5].to_string(),
                valid_from: valid_from(&r[5]),
            });
            match services.iter_mut().find(|s| s.code == code) {
                Some(s) => {
                    s.fees.extend(fee);
                    if !r[6].is_empty() && !s.rules.contains(&r[6]) {
                        s.rules = format!("{} {}", s.rules, &r[6]).trim().to_string();
                    }
                    if !s.source.contains(&r[7]) {
                        s.source = format!("{} ; {}", s.source, &r[7]);
                    }
                }
                None => services.push(ServiceInfo {
                    code,
                    name_da: r[1].to_string(),
                    name_en: r[2].to_string(),
                    category: r[3].to_string(),
                    fees: fee.into_iter().collect(),
                    rules: r[6].to_string(),
                    source: r[7].to_string(),
                }),
            }
        }
        for s in &mut services {
            s.fees.sort_by_key(|f| f.valid_from);
        }
        services.sort_by_key(|s| s.code);
        Catalogue {
            services,
            fee_types,
        }
    })
}

/// One entry per code, fees merged, sorted by code.
pub fn services() -> &'static [ServiceInfo] {
    &catalogue().services
}

pub fn service(code: &str) -> Option<&'static ServiceInfo> {
    let c = ServiceCode::parse(code).ok()?;
    let s = services();
    s.binary_search_by_key(&c, |x| x.code).ok().map(|i| &s[i])
}

/// The fee in force on `date`: the latest public fee whose date is on or before `date`.
/// `None` when no public fee is known for that date — Almen never invents a fee.
pub fn fee_on(code: ServiceCode, date: Day) -> Option<f64> {
    code.info()?
        .fees
        .iter()
        .rfind(|f| f.valid_from.is_some_and(|v| v <= date))
        .map(|f| f.dkk)
}

pub fn fee_types() -> &'static [FeeType] {
    &catalogue().fee_types
}

/// What kind of patient contact a service is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    Consultation,
    HomeVisit,
    Video,
    Phone,
    Email,
    Other,
}

fn contacts() -> &'static [(ServiceCode, ContactKind, bool)] {
    static T: OnceLock<Vec<(ServiceCode, ContactKind, bool)>> = OnceLock::new();
    T.get_or_init(|| {
        embedded_csv(
            "contact_codes.csv",
            include_str!("../data/contact_codes.csv"),
        )
        .iter()
        .map(|r| {
            let kind = match &r[1] {
                "consultation" => ContactKind::Consultation,
                "home_visit" => ContactKind::HomeVisit,
                "video" => ContactKind::Video,
                "phone" => ContactKind::Phone,
                "email" => ContactKind::Email,
                _ => ContactKind::Other,
            };
            (
                ServiceCode::parse(&r[0]).expect("code in contact_codes.csv"),
                kind,
                &r[2] == "true",
            )
        })
        .collect()
    })
}

pub fn contact_kind(code: ServiceCode) -> Option<ContactKind> {
    contacts().iter().find(|c| c.0 == code).map(|c| c.1)
}

/// Face-to-face contacts: what the continuity indices count (reference data, `contact_codes.csv`).
pub fn is_face_to_face(code: ServiceCode) -> bool {
    contacts().iter().any(|c| c.0 == code && c.2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_strictly() {
        for bad in ["101", "01a1", "01010", ""] {
            assert!(ServiceCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(ServiceCode::parse("0101").unwrap().as_str(), "0101");
    }

    #[test]
    fn fees_follow_the_price_level_in_force() {
        let c = ServiceCode::parse("0101").unwrap();
        let d = |s| Day::parse(s).unwrap();
        assert_eq!(fee_on(c, d("2024-05-01")), Some(160.72));
        assert_eq!(fee_on(c, d("2023-01-01")), Some(153.61));
        assert_eq!(fee_on(c, d("2020-01-01")), None);
        assert_eq!(
            fee_on(ServiceCode::parse("6101").unwrap(), d("2025-01-01")),
            None
        );
        assert!(services().len() > 50);
        assert!(fee_types().iter().any(|f| f.category == "basishonorar"));
    }

    #[test]
    fn face_to_face_contacts() {
        let f = |s| is_face_to_face(ServiceCode::parse(s).unwrap());
        assert!(f("0101") && f("0411") && f("6101"));
        assert!(!f("0201") && !f("0105") && !f("0125") && !f("2101"));
        for (code, _, _) in contacts() {
            assert!(code.info().is_some(), "{code} is not in ydelser.csv");
        }
    }
}
