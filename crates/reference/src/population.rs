//! Population by municipality, sex and age (Statistics Denmark).

use crate::embedded_csv;
use crate::geo::KommuneCode;
use almen_core::AGE_BANDS;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Five-year bands of the 2020 table: `0-4` … `90-94`, `95+`.
pub const POP_BANDS: usize = 20;

type ByKommune = HashMap<u16, [[u32; POP_BANDS]; 2]>;

fn band_of(label: &str) -> usize {
    if label == "95+" {
        return POP_BANDS - 1;
    }
    let lo: usize = label
        .split('-')
        .next()
        .and_then(|x| x.parse().ok())
        .expect("age band label like 0-4");
    lo / 5
}

fn by_kommune() -> &'static ByKommune {
    static T: OnceLock<ByKommune> = OnceLock::new();
    T.get_or_init(|| {
        let mut m: ByKommune = HashMap::new();
        for r in embedded_csv(
            "population/kommune_sex_age5_2020-01-01.csv",
            include_str!("../data/population/kommune_sex_age5_2020-01-01.csv"),
        ) {
            let code: u16 = r[1].parse().expect("kommune code");
            // Christiansø (411) is its own statistical area but no kommune; its 90 people
            // are left out like everywhere else in Almen.
            if code == 411 {
                continue;
            }
            let sex = match &r[3] {
                "F" => 0,
                _ => 1,
            };
            let e = m.entry(code).or_insert([[0; POP_BANDS]; 2]);
            e[sex][band_of(&r[4])] += r[5].parse::<u32>().expect("population count");
        }
        m
    })
}

/// Population of a kommune on 1 January 2020 by `[sex.index()][band]`.
pub fn kommune_age_sex_2020(code: KommuneCode) -> &'static [[u32; POP_BANDS]; 2] {
    by_kommune()
        .get(&code.get())
        .expect("every kommune has a 2020 age structure (unit test)")
}

/// The 2020 structure scaled to the kommune's exact 2024 total: an estimate, since no public
/// 2024 table by kommune, sex and age was found.
pub fn kommune_age_sex_2024_estimate(code: KommuneCode) -> [[f64; POP_BANDS]; 2] {
    let s = kommune_age_sex_2020(code);
    let total: u32 = s.iter().flatten().sum();
    let f = code.info().population_2024 as f64 / total.max(1) as f64;
    let mut out = [[0.0; POP_BANDS]; 2];
    for sex in 0..2 {
        for b in 0..POP_BANDS {
            out[sex][b] = s[sex][b] as f64 * f;
        }
    }
    out
}

type National = HashMap<i32, [[u32; AGE_BANDS]; 2]>;

/// National population by sex and the 18 bands of [`almen_core::age_band`] (85+ last), on
/// 1 January of `year` (1990-2025): the standard population for age/sex standardisation.
pub fn national_age_sex(year: i32) -> Option<[[u32; AGE_BANDS]; 2]> {
    static T: OnceLock<National> = OnceLock::new();
    T.get_or_init(|| {
        let mut m: National = HashMap::new();
        for r in embedded_csv(
            "population/national_sex_age5_1990-2025.csv",
            include_str!("../data/population/national_sex_age5_1990-2025.csv"),
        ) {
            let sex = if &r[0] == "f" { 0 } else { 1 };
            // Labels `0-5`, `5-10` … mean 0-4, 5-9 …; `85+` is the last band.
            let band = if &r[1] == "85+" {
                AGE_BANDS - 1
            } else {
                r[1].split('-')
                    .next()
                    .and_then(|x| x.parse::<usize>().ok())
                    .expect("age group label")
                    / 5
            };
            let year: i32 = r[2].parse().expect("year");
            m.entry(year).or_insert([[0; AGE_BANDS]; 2])[sex][band] +=
                r[3].parse::<u32>().expect("population");
        }
        m
    })
    .get(&year)
    .copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kommuner;

    #[test]
    fn every_kommune_has_a_structure() {
        for k in kommuner() {
            let s = kommune_age_sex_2020(k.code);
            assert!(s.iter().flatten().sum::<u32>() > 1000, "{}", k.name);
            let e: f64 = kommune_age_sex_2024_estimate(k.code).iter().flatten().sum();
            assert!((e - k.population_2024 as f64).abs() < 1.0);
        }
    }

    #[test]
    fn national_totals_match_statistics_denmark() {
        let t = national_age_sex(2025).unwrap();
        assert_eq!(
            t.iter().flatten().map(|x| *x as u64).sum::<u64>(),
            5_992_734
        );
        assert!(
            t[0][0] > 100_000 && t[1][0] > 100_000,
            "both sexes present: {t:?}"
        );
        assert!(national_age_sex(1989).is_none());
    }
}
