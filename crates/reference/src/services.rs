//! The service-code catalogue (ydelseskoder) and contact classification.

use crate::{ParseError, embedded_csv};
use almen_core::Day;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::sync::OnceLock;

/// A service code (ydelseskode): exactly four ASCII digits, kept as text (`0101`). Any four
/// digits parse, since regional agreements add codes; [`ServiceCode::info`] says whether the
/// catalogue knows it.
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

impl std::str::FromStr for ServiceCode {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ServiceCode::parse(s)
    }
}

/// Serialised as the four-digit text (`"0101"`), never as a number, so leading zeros survive.
impl Serialize for ServiceCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ServiceCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        ServiceCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A fee a public source gives for a service, at the price level it states.
#[derive(Debug, Clone, Serialize)]
pub struct Fee {
    pub dkk: f64,
    /// The price level as the source states it (`takst pr. 1. april 2024 (gruppe 1)`).
    pub price_level: String,
    /// The date the fee applies from, when the price level states one.
    pub valid_from: Option<Day>,
    /// The date or the amount is not confirmed by a primary source (the price level says
    /// "formentlig", or the row's rules say "sekundær kilde").
    pub uncertain: bool,
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
                uncertain: r[5].to_lowercase().contains("formentlig")
                    || r[6].to_lowercase().contains("sekundær kilde"),
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

/// One entry per code, fees merged (oldest first), sorted by code.
pub fn services() -> &'static [ServiceInfo] {
    &catalogue().services
}

/// The catalogue entry of a code given as text (`"0101"`); `None` for malformed or unknown
/// codes.
pub fn service(code: &str) -> Option<&'static ServiceInfo> {
    let c = ServiceCode::parse(code).ok()?;
    let s = services();
    s.binary_search_by_key(&c, |x| x.code).ok().map(|i| &s[i])
}

/// The public fee in force on `date`: the latest fee whose `valid_from` is on or before
/// `date`. Fees whose price level states no date are never used. `None` when no public fee
/// is known — Almen never invents a fee; load a price table for real amounts.
///
/// Caveat: a fee stays "in force" until the catalogue has a newer one, so a code whose only
/// public fee is old (4118: the 2011 base fee, regulated every year since) gets that old
/// amount. Check [`fee_in_force`] for the price level and [`Fee::uncertain`].
pub fn fee_on(code: ServiceCode, date: Day) -> Option<f64> {
    fee_in_force(code, date).map(|f| f.dkk)
}

/// The fee [`fee_on`] uses, with its price level.
pub fn fee_in_force(code: ServiceCode, date: Day) -> Option<&'static Fee> {
    code.info()?
        .fees
        .iter()
        .rfind(|f| f.valid_from.is_some_and(|v| v <= date))
}

/// Fee types without a service code (capitation, chronic-care fee), in file order.
pub fn fee_types() -> &'static [FeeType] {
    &catalogue().fee_types
}

/// What kind of patient contact a service is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    Consultation,
    HomeVisit,
    Video,
    Phone,
    /// E-consultation (written, asynchronous).
    Email,
    Other,
}

impl ContactKind {
    /// The name used in `contact_codes.csv` and in JSON (`home_visit`).
    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Consultation => "consultation",
            ContactKind::HomeVisit => "home_visit",
            ContactKind::Video => "video",
            ContactKind::Phone => "phone",
            ContactKind::Email => "email",
            ContactKind::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Result<ContactKind, ParseError> {
        [
            ContactKind::Consultation,
            ContactKind::HomeVisit,
            ContactKind::Video,
            ContactKind::Phone,
            ContactKind::Email,
            ContactKind::Other,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| {
            ParseError::new(
                "contact kind: consultation, home_visit, video, phone, email or other",
                s,
            )
        })
    }
}

impl std::fmt::Display for ContactKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A row of `contact_codes.csv`: a service code that is a patient contact.
#[derive(Debug, Clone, Serialize)]
pub struct ContactCode {
    pub code: ServiceCode,
    pub kind: ContactKind,
    /// Counted by the cockpit's continuity indices.
    pub face_to_face: bool,
    pub note: String,
}

/// The service codes Almen classifies as patient contacts (Almen's classification of the
/// names in `ydelser.csv`; the reference data of the cockpit's continuity index), by code.
pub fn contact_codes() -> &'static [ContactCode] {
    static T: OnceLock<Vec<ContactCode>> = OnceLock::new();
    T.get_or_init(|| {
        let mut v: Vec<ContactCode> = embedded_csv(
            "contact_codes.csv",
            include_str!("../data/contact_codes.csv"),
        )
        .iter()
        .map(|r| ContactCode {
            code: ServiceCode::parse(&r[0]).expect("code in contact_codes.csv"),
            kind: ContactKind::parse(&r[1]).expect("kind in contact_codes.csv"),
            face_to_face: almen_core::parse_bool(&r[2]).expect("face_to_face in contact_codes.csv"),
            note: r[3].to_string(),
        })
        .collect();
        v.sort_by_key(|c| c.code);
        for w in v.windows(2) {
            assert!(
                w[0].code != w[1].code,
                "{} twice in contact_codes.csv",
                w[0].code
            );
        }
        v
    })
}

fn contact(code: ServiceCode) -> Option<&'static ContactCode> {
    let v = contact_codes();
    v.binary_search_by_key(&code, |c| c.code)
        .ok()
        .map(|i| &v[i])
}

/// The kind of contact a service code is; `None` when it is not a patient contact (an
/// add-on procedure, a supplement, an unknown code).
pub fn contact_kind(code: ServiceCode) -> Option<ContactKind> {
    contact(code).map(|c| c.kind)
}

/// Whether a service is a face-to-face contact (consultation, home visit, talk therapy …):
/// what the continuity indices count. `false` for video, phone, e-mail and non-contacts.
pub fn is_face_to_face(code: ServiceCode) -> bool {
    contact(code).is_some_and(|c| c.face_to_face)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> ServiceCode {
        ServiceCode::parse(s).unwrap()
    }
    fn d(s: &str) -> Day {
        Day::parse(s).unwrap()
    }

    #[test]
    fn codes_parse_strictly() {
        for bad in ["101", "01a1", "01010", "", " 101", "0101 ", "٠١٠١", "+101"] {
            assert!(ServiceCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(code("0101").as_str(), "0101");
        assert_eq!(code("0101").to_string(), "0101");
        assert_eq!("6101".parse::<ServiceCode>().unwrap(), code("6101"));
        assert!(code("0101") < code("0105") && code("0105") < code("6101"));
        assert!(code("9999").info().is_none(), "parses, but unknown");
    }

    #[test]
    fn codes_serialise_as_text() {
        let json = serde_json::to_string(&code("0101")).unwrap();
        assert_eq!(json, "\"0101\"");
        assert_eq!(
            serde_json::from_str::<ServiceCode>(&json).unwrap(),
            code("0101")
        );
        assert!(serde_json::from_str::<ServiceCode>("101").is_err());
        assert!(serde_json::from_str::<ServiceCode>("\"101\"").is_err());
    }

    #[test]
    fn catalogue_is_one_entry_per_code() {
        let s = services();
        assert!(s.windows(2).all(|w| w[0].code < w[1].code));
        assert_eq!(s.len(), 55);
        let c = service("0101").unwrap();
        assert_eq!(c.name_da, "Konsultation");
        assert_eq!(c.fees.len(), 3, "three price levels merged");
        assert!(c.source.contains("upday") && c.source.contains("egclinea"));
        assert_eq!(service("4201").unwrap().fees.len(), 2);
        assert!(service("6101").unwrap().fees.is_empty());
        assert!(service("101").is_none() && service("9999").is_none());
        // Every coded fee in the file states its date; keep it so.
        for s in s {
            for f in &s.fees {
                assert!(f.valid_from.is_some(), "{} {}", s.code, f.price_level);
                assert!(f.dkk > 0.0);
            }
        }
        let types = fee_types();
        assert_eq!(types.len(), 3);
        let basis = types.iter().find(|f| f.category == "basishonorar").unwrap();
        assert_eq!(basis.dkk, Some(266.40));
        assert_eq!(basis.price_level, "2003");
        assert!(
            types
                .iter()
                .any(|f| f.name_da.starts_with("Kronikerhonorar"))
        );
    }

    #[test]
    fn price_levels_give_dates() {
        assert_eq!(
            valid_from("takst pr. 1. okt. 2022 (gruppe 1)"),
            Some(d("2022-10-01"))
        );
        assert_eq!(valid_from("takst pr. 1. april 2024"), Some(d("2024-04-01")));
        assert_eq!(
            valid_from("rapporteret nov. 2023 (formentlig takst pr. 1. okt. 2023)"),
            Some(d("2023-10-01"))
        );
        assert_eq!(
            valid_from("grundhonorar ved aftalens start 1. jan. 2011"),
            Some(d("2011-01-01"))
        );
        assert_eq!(valid_from("2003"), None);
        assert_eq!(valid_from(""), None);
        assert_eq!(valid_from("31. feb. 2024"), None);
    }

    #[test]
    fn fees_follow_the_price_level_in_force() {
        let c = code("0101");
        assert_eq!(fee_on(c, d("2024-05-01")), Some(160.72));
        assert_eq!(fee_on(c, d("2023-01-01")), Some(153.61));
        assert_eq!(fee_on(c, d("2022-10-01")), Some(153.61));
        assert_eq!(
            fee_on(c, d("2022-09-30")),
            None,
            "before the first known fee"
        );
        assert_eq!(fee_on(c, d("2020-01-01")), None);
        // Oct 2023 - Mar 2024: a secondary source, flagged.
        let f = fee_in_force(c, d("2023-11-01")).unwrap();
        assert_eq!(f.dkk, 156.39);
        assert!(f.uncertain);
        assert!(!fee_in_force(c, d("2024-04-01")).unwrap().uncertain);
        assert_eq!(fee_on(code("4201"), d("2025-01-01")), Some(93.23));
        assert_eq!(fee_on(code("6101"), d("2025-01-01")), None, "no public fee");
        assert_eq!(fee_on(code("9999"), d("2025-01-01")), None, "unknown code");
    }

    #[test]
    fn face_to_face_contacts() {
        let f = |s| is_face_to_face(code(s));
        for yes in ["0101", "0120", "0121", "0122", "0411", "6101", "2150"] {
            assert!(f(yes), "{yes}");
        }
        for no in [
            "0125", "0105", "0127", "0201", "0204", "2101", "4201", "9999",
        ] {
            assert!(!f(no), "{no}");
        }
        assert_eq!(contact_kind(code("0101")), Some(ContactKind::Consultation));
        assert_eq!(contact_kind(code("0411")), Some(ContactKind::HomeVisit));
        assert_eq!(contact_kind(code("0121")), Some(ContactKind::HomeVisit));
        assert_eq!(contact_kind(code("0125")), Some(ContactKind::Video));
        assert_eq!(contact_kind(code("0201")), Some(ContactKind::Phone));
        assert_eq!(contact_kind(code("0204")), Some(ContactKind::Phone));
        assert_eq!(contact_kind(code("0105")), Some(ContactKind::Email));
        assert_eq!(contact_kind(code("0127")), Some(ContactKind::Email));
        assert_eq!(contact_kind(code("2101")), None);
        for c in contact_codes() {
            assert!(c.code.info().is_some(), "{} is not in ydelser.csv", c.code);
            assert_eq!(ContactKind::parse(c.kind.as_str()).unwrap(), c.kind);
            // Only in-person kinds can be face-to-face.
            let in_person = matches!(c.kind, ContactKind::Consultation | ContactKind::HomeVisit);
            assert_eq!(c.face_to_face, in_person, "{}", c.code);
        }
    }
}
