//! Municipalities, regions and health councils.

use crate::{ParseError, embedded_csv};
use serde::Serialize;
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
    /// Digits only; leading zeros are allowed (`0751`).
    pub fn parse(s: &str) -> Result<KommuneCode, ParseError> {
        if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::new(
                "a municipality code is three digits, e.g. 751",
                s,
            ));
        }
        let n: u16 = s
            .parse()
            .map_err(|_| ParseError::new("a municipality code is three digits, e.g. 751", s))?;
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

#[derive(Debug, Clone, Serialize)]
pub struct Kommune {
    pub code: KommuneCode,
    pub name: String,
    pub region: Region,
    pub health_council: HealthCouncilId,
    /// `befolkning_ca`: rounded to the thousand, approximate.
    pub population_approx: u32,
    /// Exact, Statistics Denmark FOLK1AM, 1 January 2024.
    pub population_2024: u32,
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

/// The regions from 1 January 2027, when Hovedstaden and Sjælland become Region Østdanmark.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord, Serialize)]
pub enum Region2027 {
    Nordjylland,
    Midtjylland,
    Syddanmark,
    Oestdanmark,
}

impl Region2027 {
    pub fn name_da(self) -> &'static str {
        match self {
            Region2027::Nordjylland => "Region Nordjylland",
            Region2027::Midtjylland => "Region Midtjylland",
            Region2027::Syddanmark => "Region Syddanmark",
            Region2027::Oestdanmark => "Region Østdanmark",
        }
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
    /// Official region code.
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
    /// Accepts the slug, the Danish name with or without "Region ", the code, any case,
    /// `æ` or `ae`.
    pub fn parse(s: &str) -> Result<Region, ParseError> {
        let norm = s.trim().to_lowercase().replace('æ', "ae");
        let norm = norm.strip_prefix("region ").unwrap_or(&norm).to_string();
        for r in Region::all() {
            let name = r.name_da().to_lowercase().replace('æ', "ae");
            let name = name.strip_prefix("region ").unwrap_or(&name).to_string();
            if norm == r.slug() || norm == name || norm == r.code().to_string() {
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
    pub fn kommuner(self) -> impl Iterator<Item = &'static Kommune> {
        kommuner().iter().filter(move |k| k.region == self)
    }
    pub fn population_2024(self) -> u32 {
        self.kommuner().map(|k| k.population_2024).sum()
    }
}

impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name_da())
    }
}

/// Index of a health council (sundhedsråd) in [`health_councils`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord, Serialize)]
pub struct HealthCouncilId(pub u8);

#[derive(Debug, Clone, Serialize)]
pub struct HealthCouncil {
    pub id: HealthCouncilId,
    pub name: String,
    pub region: Region,
    pub kommuner: Vec<KommuneCode>,
}

struct Tables {
    kommuner: Vec<Kommune>,
    by_code: Vec<Option<usize>>,
    councils: Vec<HealthCouncil>,
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let mut exact = std::collections::HashMap::new();
        for r in embedded_csv(
            "population/kommune_total_2024-01-01.csv",
            include_str!("../data/population/kommune_total_2024-01-01.csv"),
        ) {
            if &r[3] == "kommune" {
                let code: u16 = r[1].parse().expect("kommune code in FOLK1AM");
                exact.insert(code, r[4].parse::<u32>().expect("population in FOLK1AM"));
            }
        }
        let mut kommuner = Vec::new();
        let mut councils: Vec<HealthCouncil> = Vec::new();
        for r in embedded_csv("kommuner.csv", include_str!("../data/kommuner.csv")) {
            let code: u16 = r[0].parse().expect("kommune code");
            let region = Region::parse(&r[2]).expect("region name in kommuner.csv");
            let council = match councils.iter().position(|c| c.name == r[3]) {
                Some(i) => i,
                None => {
                    councils.push(HealthCouncil {
                        id: HealthCouncilId(councils.len() as u8),
                        name: r[3].to_string(),
                        region,
                        kommuner: Vec::new(),
                    });
                    councils.len() - 1
                }
            };
            councils[council].kommuner.push(KommuneCode(code));
            kommuner.push(Kommune {
                code: KommuneCode(code),
                name: r[1].to_string(),
                region,
                health_council: HealthCouncilId(council as u8),
                population_approx: r[4].parse().expect("befolkning_ca"),
                population_2024: *exact
                    .get(&code)
                    .expect("every kommune has a 2024 population"),
            });
        }
        kommuner.sort_by_key(|k| k.code);
        let mut by_code = vec![None; 1000];
        for (i, k) in kommuner.iter().enumerate() {
            by_code[k.code.0 as usize] = Some(i);
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

pub fn kommune(code: u16) -> Option<&'static Kommune> {
    KommuneCode::new(code).ok().map(KommuneCode::info)
}

/// The 17 health councils, in order of first appearance in the municipality list.
pub fn health_councils() -> &'static [HealthCouncil] {
    &tables().councils
}

pub fn health_council(id: HealthCouncilId) -> &'static HealthCouncil {
    &tables().councils[id.0 as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ninety_eight_kommuner_with_unique_codes() {
        assert_eq!(kommuner().len(), 98);
        let mut codes: Vec<u16> = kommuner().iter().map(|k| k.code.get()).collect();
        codes.dedup();
        assert_eq!(codes.len(), 98);
        let aarhus = kommune(751).unwrap();
        assert_eq!(aarhus.name, "Aarhus");
        assert_eq!(aarhus.region, Region::Midtjylland);
        assert!(KommuneCode::new(999).is_err());
        assert!(
            KommuneCode::new(411).is_err(),
            "Christiansø is not a kommune"
        );
        assert_eq!(KommuneCode::parse("0751").unwrap().get(), 751);
        assert!(KommuneCode::parse("75a").is_err());
    }

    #[test]
    fn regions_add_up_to_the_country() {
        let sum: u32 = Region::all().iter().map(|r| r.population_2024()).sum();
        // FOLK1AM: 5,961,249 for the country, of which 91 on Christiansø (no kommune).
        assert_eq!(sum, 5_961_249 - 91);
        assert_eq!(Region::Midtjylland.population_2024(), 1_365_688);
        assert_eq!(Region::parse("midt").unwrap(), Region::Midtjylland);
        assert_eq!(Region::parse("Region Sjælland").unwrap(), Region::Sjaelland);
        assert_eq!(Region::parse("sjaelland").unwrap(), Region::Sjaelland);
        assert_eq!(Region::parse("1081").unwrap(), Region::Nordjylland);
        assert!(Region::parse("fyn").is_err());
        assert_eq!(Region::Sjaelland.from_2027().name_da(), "Region Østdanmark");
    }

    #[test]
    fn seventeen_councils_partition_the_kommuner() {
        assert_eq!(health_councils().len(), 17);
        let n: usize = health_councils().iter().map(|c| c.kommuner.len()).sum();
        assert_eq!(n, 98);
        for c in health_councils() {
            for k in &c.kommuner {
                assert_eq!(k.info().health_council, c.id);
                assert_eq!(k.info().region, c.region, "{} crosses a region", c.name);
            }
        }
    }
}
