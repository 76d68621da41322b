//! The embedded parameter tables in `data/` (each with its source), parsed once.
//!
//! The files are compiled in and a unit test parses every one, so a malformed file is a build
//! defect, never a user error.

use almen_reference::{KommuneCode, Region};
use std::sync::OnceLock;

/// Five-year bands of the population tables: `0-4` … `90-94`, `95+`.
pub const BANDS: usize = 20;

fn records(name: &str, text: &'static str) -> Vec<csv::StringRecord> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    r.records()
        .map(|rec| rec.unwrap_or_else(|e| panic!("embedded data/{name} is malformed: {e}")))
        .collect()
}

fn num(name: &str, s: &str) -> f64 {
    s.trim()
        .parse()
        .unwrap_or_else(|_| panic!("embedded data/{name}: not a number: {s:?}"))
}

/// Per-municipality parameters (`data/kommuner_synth.csv`).
#[derive(Debug, Clone)]
pub struct KommuneParams {
    pub code: KommuneCode,
    pub lat: f64,
    pub lon: f64,
    pub radius_km: f64,
    pub district: &'static str,
    /// 0 none, 1 some, 2 severe GP shortage.
    pub shortage: u8,
}

pub struct Params {
    kommuner: Vec<KommuneParams>,
    by_code: Vec<Option<usize>>,
    /// `[region index][0]`: listed patients per capacity.
    per_capacity: [f64; 5],
    /// `[condition][sex][band]` as a probability.
    pub prevalence: Vec<(String, [[f64; BANDS]; 2])>,
    /// `[sex][band]` probability of dying within the year.
    pub mortality: [[f64; BANDS]; 2],
    /// `[sex][band]` mean contacts a year.
    pub contacts: [[f64; BANDS]; 2],
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

fn sex_index(name: &str, s: &str) -> usize {
    match s {
        "F" => 0,
        "M" => 1,
        _ => panic!("embedded data/{name}: sex must be F or M, got {s:?}"),
    }
}

fn bands(name: &str, r: &csv::StringRecord, first: usize, scale: f64) -> [f64; BANDS] {
    let mut out = [0.0; BANDS];
    for (b, v) in out.iter_mut().enumerate() {
        *v = num(name, &r[first + b]) * scale;
    }
    out
}

pub fn region_index(r: Region) -> usize {
    match r {
        Region::Nordjylland => 0,
        Region::Midtjylland => 1,
        Region::Syddanmark => 2,
        Region::Hovedstaden => 3,
        Region::Sjaelland => 4,
    }
}

pub fn params() -> &'static Params {
    static P: OnceLock<Params> = OnceLock::new();
    P.get_or_init(|| {
        let name = "kommuner_synth.csv";
        let mut kommuner = Vec::new();
        for r in records(name, include_str!("../data/kommuner_synth.csv")) {
            let code =
                KommuneCode::parse(&r[0]).unwrap_or_else(|e| panic!("embedded data/{name}: {e}"));
            kommuner.push(KommuneParams {
                code,
                lat: num(name, &r[2]),
                lon: num(name, &r[3]),
                radius_km: num(name, &r[4]),
                district: leak(&r[5]),
                shortage: num(name, &r[6]) as u8,
            });
        }
        kommuner.sort_by_key(|k| k.code);
        let mut by_code = vec![None; 1000];
        for (i, k) in kommuner.iter().enumerate() {
            by_code[k.code.get() as usize] = Some(i);
        }
        let name = "regions.csv";
        let mut per_capacity = [0.0; 5];
        for r in records(name, include_str!("../data/regions.csv")) {
            let region = Region::parse(&r[0]).unwrap_or_else(|e| panic!("data/{name}: {e}"));
            per_capacity[region_index(region)] = num(name, &r[1]);
        }
        let name = "prevalence.csv";
        let mut prevalence: Vec<(String, [[f64; BANDS]; 2])> = Vec::new();
        for r in records(name, include_str!("../data/prevalence.csv")) {
            let sex = sex_index(name, &r[1]);
            let v = bands(name, &r, 2, 0.01);
            match prevalence.iter_mut().find(|(c, _)| c == &r[0]) {
                Some((_, t)) => t[sex] = v,
                None => {
                    let mut t = [[0.0; BANDS]; 2];
                    t[sex] = v;
                    prevalence.push((r[0].to_string(), t));
                }
            }
        }
        let name = "mortality.csv";
        let mut mortality = [[0.0; BANDS]; 2];
        for r in records(name, include_str!("../data/mortality.csv")) {
            mortality[sex_index(name, &r[0])] = bands(name, &r, 1, 0.01);
        }
        let name = "contacts.csv";
        let mut contacts = [[0.0; BANDS]; 2];
        for r in records(name, include_str!("../data/contacts.csv")) {
            contacts[sex_index(name, &r[0])] = bands(name, &r, 1, 1.0);
        }
        Params {
            kommuner,
            by_code,
            per_capacity,
            prevalence,
            mortality,
            contacts,
        }
    })
}

impl Params {
    pub fn kommune(&self, code: KommuneCode) -> &KommuneParams {
        let i = self.by_code[code.get() as usize]
            .expect("data/kommuner_synth.csv covers all 98 kommuner (unit test)");
        &self.kommuner[i]
    }
    pub fn per_capacity(&self, r: Region) -> f64 {
        self.per_capacity[region_index(r)]
    }
    /// Prevalence table of a condition by name (`diabetes`, `af` …).
    pub fn prevalence_of(&self, condition: &str) -> &[[f64; BANDS]; 2] {
        &self
            .prevalence
            .iter()
            .find(|(c, _)| c == condition)
            .unwrap_or_else(|| panic!("data/prevalence.csv has no {condition}"))
            .1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_parses_and_covers_its_domain() {
        let p = params();
        assert_eq!(p.kommuner.len(), 98);
        for k in almen_reference::kommuner() {
            let kp = p.kommune(k.code);
            assert!(
                (54.5..57.8).contains(&kp.lat) && (8.0..15.2).contains(&kp.lon),
                "{}",
                k.name
            );
            assert!(kp.shortage <= 2);
        }
        for r in Region::all() {
            assert!((1400.0..1900.0).contains(&p.per_capacity(r)));
        }
        for (c, t) in &p.prevalence {
            for s in t {
                assert!(s.iter().all(|x| (0.0..0.7).contains(x)), "{c}");
            }
        }
        assert!(p.mortality[1][19] > 0.2 && p.contacts[0][10] > 5.0);
    }

    #[test]
    fn midtjylland_has_its_seven_districts() {
        let mut d: Vec<&str> = Region::Midtjylland
            .kommuner()
            .map(|k| params().kommune(k.code).district)
            .collect();
        d.sort();
        d.dedup();
        assert_eq!(
            d,
            [
                "Aarhus",
                "Djursland",
                "Horsens",
                "Randers",
                "Ringkøbing",
                "Silkeborg",
                "Viborg"
            ]
        );
    }
}
