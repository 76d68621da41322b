//! Municipalities, regions and health councils.

use crate::{ParseError, embedded_csv};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;

/// A validated official municipality code: one of the 98 kommuner.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize)]
pub struct KommuneCode(u16);

impl KommuneCode {
    pub fn new(code: u16) -> Result<KommuneCode, ParseError> {
        if code < 1000 && tables().by_code[code as usize].is_some() {
            Ok(KommuneCode(code))
        } else {
            Err(ParseError::new(
                "unknown municipality code",
                code.to_string(),
            ))
        }
    }
    /// Digits only, no spaces or signs; leading zeros are allowed (`751`, `0751`).
    pub fn parse(s: &str) -> Result<KommuneCode, ParseError> {
        const RULE: &str = "a municipality code is three digits, e.g. 751";
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::new(RULE, s));
        }
        let digits = s.trim_start_matches('0');
        if digits.len() > 3 {
            return Err(ParseError::new(RULE, s));
        }
        let n: u16 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| ParseError::new(RULE, s))?
        };
        KommuneCode::new(n).map_err(|_| ParseError::new("unknown municipality code", s))
    }
    pub fn get(self) -> u16 {
        self.0
    }
    pub fn info(self) -> &'static Kommune {
        // Only constructed after a successful look-up.
        tables().by_code[self.0 as usize]
            .map(|i| &tables().kommuner[i])
            .expect("a KommuneCode is always one of the 98")
    }
}

impl std::fmt::Display for KommuneCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for KommuneCode {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KommuneCode::parse(s)
    }
}

/// Serialised as the number (`751`); read back from a number or a string of digits.
impl<'de> Deserialize<'de> for KommuneCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = KommuneCode;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("one of the 98 municipality codes, e.g. 751")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<KommuneCode, E> {
                u16::try_from(v)
                    .map_err(|_| E::custom(format!("unknown municipality code ({v})")))
                    .and_then(|n| KommuneCode::new(n).map_err(E::custom))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<KommuneCode, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom(format!("unknown municipality code ({v})")))
                    .and_then(|n| self.visit_u64(n))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<KommuneCode, E> {
                KommuneCode::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// A municipality (kommune).
#[derive(Debug, Clone, Serialize)]
pub struct Kommune {
    pub code: KommuneCode,
    /// Danish name as in Statistics Denmark's tables (`Aarhus`, `København`).
    pub name: String,
    pub region: Region,
    pub health_council: HealthCouncilId,
    /// `befolkning_ca`: rounded to the thousand, around 1 January 2024. Approximate: for
    /// sizing synthetic data, never for official figures (use `population_2024`).
    pub population_approx: u32,
    /// Exact, Statistics Denmark FOLK1AM, 1 January 2024.
    pub population_2024: u32,
}

impl Kommune {
    /// The region the kommune belongs to from 1 January 2027.
    pub fn region_2027(&self) -> Region2027 {
        self.region.from_2027()
    }
    pub fn health_council(&self) -> &'static HealthCouncil {
        health_council(self.health_council)
    }
}

/// Today's five regions.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord, Serialize)]
pub enum Region {
    Nordjylland,
    Midtjylland,
    Syddanmark,
    Hovedstaden,
    Sjaelland,
}

/// The regions from 1 January 2027, when Hovedstaden and Sjælland become Region Østdanmark
/// (health reform 2024).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord, Serialize)]
pub enum Region2027 {
    Nordjylland,
    Midtjylland,
    Syddanmark,
    Oestdanmark,
}

impl Region2027 {
    pub fn all() -> [Region2027; 4] {
        [
            Region2027::Nordjylland,
            Region2027::Midtjylland,
            Region2027::Syddanmark,
            Region2027::Oestdanmark,
        ]
    }
    pub fn slug(self) -> &'static str {
        match self {
            Region2027::Nordjylland => "nord",
            Region2027::Midtjylland => "midt",
            Region2027::Syddanmark => "syd",
            Region2027::Oestdanmark => "oest",
        }
    }
    pub fn name_da(self) -> &'static str {
        match self {
            Region2027::Nordjylland => "Region Nordjylland",
            Region2027::Midtjylland => "Region Midtjylland",
            Region2027::Syddanmark => "Region Syddanmark",
            Region2027::Oestdanmark => "Region Østdanmark",
        }
    }
    pub fn name_en(self) -> &'static str {
        match self {
            Region2027::Nordjylland => "North Denmark Region",
            Region2027::Midtjylland => "Central Denmark Region",
            Region2027::Syddanmark => "Region of Southern Denmark",
            Region2027::Oestdanmark => "Region of Eastern Denmark",
        }
    }
    /// Today's regions that make up this one.
    pub fn regions(self) -> impl Iterator<Item = Region> {
        Region::all()
            .into_iter()
            .filter(move |r| r.from_2027() == self)
    }
    pub fn kommuner(self) -> impl Iterator<Item = &'static Kommune> {
        kommuner()
            .iter()
            .filter(move |k| k.region.from_2027() == self)
    }
    /// Exact population on 1 January 2024 of the kommuner that will make up the region.
    pub fn population_2024(self) -> u32 {
        self.kommuner().map(|k| k.population_2024).sum()
    }
}

impl std::fmt::Display for Region2027 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name_da())
    }
}

impl Region {
    pub fn all() -> [Region; 5] {
        [
            Region::Nordjylland,
            Region::Midtjylland,
            Region::Syddanmark,
            Region::Hovedstaden,
            Region::Sjaelland,
        ]
    }
    /// Official region code (1081-1085, as in CPR and DAGI). Statistics Denmark writes the
    /// same regions as `081`-`085`.
    pub fn code(self) -> u16 {
        match self {
            Region::Nordjylland => 1081,
            Region::Midtjylland => 1082,
            Region::Syddanmark => 1083,
            Region::Hovedstaden => 1084,
            Region::Sjaelland => 1085,
        }
    }
    pub fn slug(self) -> &'static str {
        match self {
            Region::Nordjylland => "nord",
            Region::Midtjylland => "midt",
            Region::Syddanmark => "syd",
            Region::Hovedstaden => "hovedstaden",
            Region::Sjaelland => "sjaelland",
        }
    }
    pub fn name_da(self) -> &'static str {
        match self {
            Region::Nordjylland => "Region Nordjylland",
            Region::Midtjylland => "Region Midtjylland",
            Region::Syddanmark => "Region Syddanmark",
            Region::Hovedstaden => "Region Hovedstaden",
            Region::Sjaelland => "Region Sjælland",
        }
    }
    pub fn name_en(self) -> &'static str {
        match self {
            Region::Nordjylland => "North Denmark Region",
            Region::Midtjylland => "Central Denmark Region",
            Region::Syddanmark => "Region of Southern Denmark",
            Region::Hovedstaden => "Capital Region of Denmark",
            Region::Sjaelland => "Region Zealand",
        }
    }
    /// Accepts the slug (`midt`), the Danish name with or without "Region "
    /// (`Region Midtjylland`, `Midtjylland`), the English name, the official code (`1082`) or
    /// Statistics Denmark's (`082`); any case, surrounding spaces ignored, `æ` or `ae`.
    pub fn parse(s: &str) -> Result<Region, ParseError> {
        fn norm(x: &str) -> String {
            let n = x.trim().to_lowercase().replace('æ', "ae");
            match n.strip_prefix("region ") {
                Some(rest) => rest.trim().to_string(),
                None => n,
            }
        }
        let wanted = norm(s);
        for r in Region::all() {
            let code = r.code();
            if wanted == r.slug()
                || wanted == norm(r.name_da())
                || wanted == norm(r.name_en())
                || wanted == code.to_string()
                || wanted == format!("{:03}", code - 1000)
            {
                return Ok(r);
            }
        }
        Err(ParseError::new(
            "unknown region: use nord, midt, syd, hovedstaden or sjaelland",
            s,
        ))
    }
    pub fn from_2027(self) -> Region2027 {
        match self {
            Region::Nordjylland => Region2027::Nordjylland,
            Region::Midtjylland => Region2027::Midtjylland,
            Region::Syddanmark => Region2027::Syddanmark,
            Region::Hovedstaden | Region::Sjaelland => Region2027::Oestdanmark,
        }
    }
    /// The region's kommuner, by code.
    pub fn kommuner(self) -> impl Iterator<Item = &'static Kommune> {
        kommuner().iter().filter(move |k| k.region == self)
    }
    /// The region's health councils.
    pub fn health_councils(self) -> impl Iterator<Item = &'static HealthCouncil> {
        health_councils().iter().filter(move |c| c.region == self)
    }
    /// Exact population on 1 January 2024: the sum of the region's 98-kommune figures.
    /// Statistics Denmark's own figure for Region Hovedstaden is 91 higher because it counts
    /// Christiansø, which belongs to no kommune.
    pub fn population_2024(self) -> u32 {
        self.kommuner().map(|k| k.population_2024).sum()
    }
}

impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name_da())
    }
}

impl std::str::FromStr for Region {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Region::parse(s)
    }
}

/// Read with [`Region::parse`], so the serialised variant name (`"Sjaelland"`), the slug and
/// the Danish name all work.
impl<'de> Deserialize<'de> for Region {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Region::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Index of a health council (sundhedsråd) in [`health_councils`] (0-16).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord, Serialize)]
pub struct HealthCouncilId(pub u8);

/// One of the 17 health councils (sundhedsråd) of the 2024 health reform: a region's
/// kommuner grouped for planning, also a level of the national capacity model.
#[derive(Debug, Clone, Serialize)]
pub struct HealthCouncil {
    pub id: HealthCouncilId,
    /// As in `kommuner.csv`, e.g. `Sundhedsråd Aarhus`.
    pub name: String,
    pub region: Region,
    /// By code.
    pub kommuner: Vec<KommuneCode>,
}

impl HealthCouncil {
    /// Exact population on 1 January 2024 (sum of its kommuner).
    pub fn population_2024(&self) -> u32 {
        self.kommuner.iter().map(|k| k.info().population_2024).sum()
    }
}

struct Tables {
    kommuner: Vec<Kommune>,
    by_code: Vec<Option<usize>>,
    councils: Vec<HealthCouncil>,
}

const FOLK1AM_2024: &str = include_str!("../data/population/kommune_total_2024-01-01.csv");
const KOMMUNER: &str = include_str!("../data/kommuner.csv");

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        // Exact 2024 populations. The file also has the country (`000`, level `country`), the
        // regions (`081`-`085`, level `region`) and Christiansø (`411`, level `kommune`, 91
        // people), which belongs to no kommune: it is simply never looked up below, since only
        // the 98 codes of kommuner.csv are.
        let mut exact = HashMap::new();
        for r in embedded_csv("population/kommune_total_2024-01-01.csv", FOLK1AM_2024) {
            if &r[3] == "kommune" {
                let code: u16 = r[1].parse().expect("kommune code in FOLK1AM");
                exact.insert(code, r[4].parse::<u32>().expect("population in FOLK1AM"));
            }
        }
        let mut kommuner = Vec::new();
        let mut council_of: Vec<(u16, String)> = Vec::new();
        for r in embedded_csv("kommuner.csv", KOMMUNER) {
            let code: u16 = r[0].parse().expect("kommune code in kommuner.csv");
            assert!(
                code < 1000,
                "kommune code {code} has more than three digits"
            );
            kommuner.push(Kommune {
                code: KommuneCode(code),
                name: r[1].to_string(),
                region: Region::parse(&r[2]).expect("region name in kommuner.csv"),
                health_council: HealthCouncilId(u8::MAX), // set below
                population_approx: r[4].parse().expect("befolkning_ca in kommuner.csv"),
                population_2024: *exact
                    .get(&code)
                    .expect("every kommune has a 2024 population in FOLK1AM"),
            });
            council_of.push((code, r[3].to_string()));
        }
        kommuner.sort_by_key(|k| k.code);
        council_of.sort();
        // Councils are numbered in order of their lowest kommune code, so the ids do not depend
        // on the row order of the file.
        let mut councils: Vec<HealthCouncil> = Vec::new();
        for (k, (code, name)) in kommuner.iter_mut().zip(council_of) {
            debug_assert_eq!(k.code.0, code);
            let i = match councils.iter().position(|c| c.name == name) {
                Some(i) => i,
                None => {
                    councils.push(HealthCouncil {
                        id: HealthCouncilId(
                            u8::try_from(councils.len()).expect("fewer than 256 councils"),
                        ),
                        name,
                        region: k.region,
                        kommuner: Vec::new(),
                    });
                    councils.len() - 1
                }
            };
            councils[i].kommuner.push(k.code);
            k.health_council = councils[i].id;
        }
        let mut by_code = vec![None; 1000];
        for (i, k) in kommuner.iter().enumerate() {
            assert!(
                by_code[k.code.0 as usize].replace(i).is_none(),
                "kommune code {} appears twice in kommuner.csv",
                k.code
            );
        }
        Tables {
            kommuner,
            by_code,
            councils,
        }
    })
}

/// The 98 municipalities, sorted by code.
pub fn kommuner() -> &'static [Kommune] {
    &tables().kommuner
}

/// The kommune with this code, if it is one of the 98.
pub fn kommune(code: u16) -> Option<&'static Kommune> {
    KommuneCode::new(code).ok().map(KommuneCode::info)
}

/// The 17 health councils, numbered in order of their lowest kommune code (so the capital's
/// first).
pub fn health_councils() -> &'static [HealthCouncil] {
    &tables().councils
}

/// The council with this id. Ids come from [`Kommune::health_council`] or
/// [`health_councils`]; panics on an id that is not one of the 17 (a programming error).
pub fn health_council(id: HealthCouncilId) -> &'static HealthCouncil {
    tables()
        .councils
        .get(id.0 as usize)
        .unwrap_or_else(|| panic!("no health council with id {}", id.0))
}

/// The council with this name, with or without the leading "Sundhedsråd", any case.
pub fn health_council_named(name: &str) -> Option<&'static HealthCouncil> {
    let norm = |s: &str| {
        let s = s.trim().to_lowercase();
        match s.strip_prefix("sundhedsråd ") {
            Some(rest) => rest.trim().to_string(),
            None => s,
        }
    };
    let wanted = norm(name);
    health_councils().iter().find(|c| norm(&c.name) == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(area_code, area_level, population)` rows of the FOLK1AM file.
    fn folk1am() -> Vec<(String, String, u32)> {
        embedded_csv("population/kommune_total_2024-01-01.csv", FOLK1AM_2024)
            .iter()
            .map(|r| (r[1].to_string(), r[3].to_string(), r[4].parse().unwrap()))
            .collect()
    }

    #[test]
    fn ninety_eight_kommuner_with_unique_codes() {
        assert_eq!(kommuner().len(), 98);
        let mut codes: Vec<u16> = kommuner().iter().map(|k| k.code.get()).collect();
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "sorted by code");
        codes.dedup();
        assert_eq!(codes.len(), 98);
        let aarhus = kommune(751).unwrap();
        assert_eq!(aarhus.name, "Aarhus");
        assert_eq!(aarhus.region, Region::Midtjylland);
        assert_eq!(aarhus.code.info().name, "Aarhus");
        assert_eq!(kommune(101).unwrap().name, "København");
        assert!(kommune(999).is_none());
        assert!(KommuneCode::new(0).is_err());
        assert!(
            KommuneCode::new(411).is_err(),
            "Christiansø is not a kommune"
        );
    }

    #[test]
    fn kommune_code_parsing() {
        assert_eq!(KommuneCode::parse("751").unwrap().get(), 751);
        assert_eq!(KommuneCode::parse("0751").unwrap().get(), 751);
        assert_eq!("0101".parse::<KommuneCode>().unwrap().get(), 101);
        for bad in [
            "",
            " 751",
            "751 ",
            "75a",
            "+751",
            "-751",
            "7510",
            "0",
            "000",
            "99999999999",
        ] {
            assert!(KommuneCode::parse(bad).is_err(), "{bad:?}");
        }
        let e = KommuneCode::parse("752").unwrap_err();
        assert_eq!(e.to_string(), "unknown municipality code (\"752\")");
    }

    #[test]
    fn kommune_code_serde() {
        let c = KommuneCode::new(751).unwrap();
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(text, "751");
        assert_eq!(serde_json::from_str::<KommuneCode>(&text).unwrap(), c);
        assert_eq!(serde_json::from_str::<KommuneCode>("\"0751\"").unwrap(), c);
        assert!(serde_json::from_str::<KommuneCode>("411").is_err());
        assert!(serde_json::from_str::<KommuneCode>("-1").is_err());
        assert!(serde_json::from_str::<KommuneCode>("70000").is_err());
    }

    #[test]
    fn exact_populations_match_statistics_denmark() {
        let rows = folk1am();
        let get = |code: &str| rows.iter().find(|r| r.0 == code).unwrap().2;
        // The file: the country, 5 regions, the 98 kommuner and Christiansø.
        assert_eq!(rows.len(), 1 + 5 + 98 + 1);
        assert_eq!(get("000"), 5_961_249);
        assert_eq!(get("411"), 91);
        let kommune_rows: u32 = rows.iter().filter(|r| r.1 == "kommune").map(|r| r.2).sum();
        assert_eq!(kommune_rows, get("000"), "kommuner + Christiansø = country");
        for r in Region::all() {
            let official = get(&format!("{:03}", r.code() - 1000));
            // Statistics Denmark counts Christiansø in Region Hovedstaden.
            let christiansoe = if r == Region::Hovedstaden { 91 } else { 0 };
            assert_eq!(r.population_2024() + christiansoe, official, "{r}");
        }
        let sum: u32 = Region::all().iter().map(|r| r.population_2024()).sum();
        assert_eq!(sum, 5_961_249 - 91);
        assert_eq!(Region::Midtjylland.population_2024(), 1_365_688);
        let r2027: u32 = Region2027::all().iter().map(|r| r.population_2024()).sum();
        assert_eq!(r2027, sum);
        assert_eq!(
            Region2027::Oestdanmark.population_2024(),
            Region::Hovedstaden.population_2024() + Region::Sjaelland.population_2024()
        );
    }

    #[test]
    fn approximate_populations_are_close() {
        // `befolkning_ca` is rounded; the README promises regions within about 2 %.
        for r in Region::all() {
            let approx: u32 = r.kommuner().map(|k| k.population_approx).sum();
            let exact = r.population_2024() as f64;
            assert!((approx as f64 - exact).abs() / exact < 0.02, "{r}");
        }
        // Per kommune mostly within 3 %; Rødovre (41,000 vs 44,328), Vallensbæk (17,000 vs
        // 17,800) and Fanø (3,500 vs 3,357) are further off, none beyond 10 %.
        for k in kommuner() {
            let d = (k.population_approx as f64 - k.population_2024 as f64).abs();
            assert!(d / (k.population_2024 as f64) < 0.10, "{}", k.name);
        }
    }

    #[test]
    fn region_names_and_codes() {
        assert_eq!(Region::parse("midt").unwrap(), Region::Midtjylland);
        for s in [
            "Region Sjælland",
            "sjælland",
            "sjaelland",
            "SJAELLAND",
            " Region Zealand ",
            "1085",
            "085",
            "Sjaelland",
        ] {
            assert_eq!(Region::parse(s).unwrap(), Region::Sjaelland, "{s}");
        }
        assert_eq!(Region::parse("1081").unwrap(), Region::Nordjylland);
        assert_eq!(
            Region::parse("Capital Region of Denmark").unwrap(),
            Region::Hovedstaden
        );
        for bad in ["fyn", "", "region", "1086", "østdanmark"] {
            assert!(Region::parse(bad).is_err(), "{bad:?}");
        }
        for r in Region::all() {
            assert_eq!(Region::parse(r.slug()).unwrap(), r);
            assert_eq!(Region::parse(r.name_da()).unwrap(), r);
            assert_eq!(Region::parse(r.name_en()).unwrap(), r);
            assert_eq!(Region::parse(&r.code().to_string()).unwrap(), r);
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<Region>(&json).unwrap(), r);
        }
        assert_eq!(Region::Midtjylland.name_da(), "Region Midtjylland");
        assert_eq!(Region::Midtjylland.name_en(), "Central Denmark Region");
        assert_eq!(Region::Sjaelland.from_2027().name_da(), "Region Østdanmark");
        assert_eq!(Region::Hovedstaden.from_2027(), Region2027::Oestdanmark);
        assert_eq!(Region::Midtjylland.from_2027(), Region2027::Midtjylland);
        let east: Vec<Region> = Region2027::Oestdanmark.regions().collect();
        assert_eq!(east, [Region::Hovedstaden, Region::Sjaelland]);
        assert_eq!(kommune(751).unwrap().region_2027(), Region2027::Midtjylland);
    }

    #[test]
    fn seventeen_councils_partition_the_kommuner() {
        assert_eq!(health_councils().len(), 17);
        let n: usize = health_councils().iter().map(|c| c.kommuner.len()).sum();
        assert_eq!(n, 98);
        let mut seen = std::collections::HashSet::new();
        for (i, c) in health_councils().iter().enumerate() {
            assert_eq!(c.id.0 as usize, i);
            assert_eq!(health_council(c.id).name, c.name);
            assert!(!c.kommuner.is_empty());
            for k in &c.kommuner {
                assert!(seen.insert(*k), "{k} is in two councils");
                assert_eq!(k.info().health_council, c.id);
                assert_eq!(k.info().region, c.region, "{} crosses a region", c.name);
            }
        }
        assert_eq!(seen.len(), 98, "every kommune is in exactly one council");
        for k in kommuner() {
            assert!(k.health_council().kommuner.contains(&k.code));
        }
        let per_region: usize = Region::all()
            .iter()
            .map(|r| r.health_councils().count())
            .sum();
        assert_eq!(per_region, 17);
        let total: u32 = health_councils().iter().map(|c| c.population_2024()).sum();
        assert_eq!(total, 5_961_249 - 91);
        let aarhus = health_council_named("Sundhedsråd Aarhus").unwrap();
        assert_eq!(health_council_named("aarhus").unwrap().id, aarhus.id);
        assert_eq!(kommune(751).unwrap().health_council, aarhus.id);
        assert!(health_council_named("Fanø").is_none());
    }
}
