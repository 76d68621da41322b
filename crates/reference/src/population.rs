//! Population by municipality, sex and age (Statistics Denmark, CC BY 4.0).

use crate::embedded_csv;
use crate::geo::KommuneCode;
use almen_core::AGE_BANDS;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Five-year bands of the 2020 kommune table: `0-4` … `90-94`, `95+`.
pub const POP_BANDS: usize = 20;

/// The band of an age in years in the [`POP_BANDS`] scheme (95+ last).
pub fn pop_band(age_years: u32) -> usize {
    (age_years as usize / 5).min(POP_BANDS - 1)
}

/// Label of a [`POP_BANDS`] band: `0-4` … `90-94`, `95+`.
pub fn pop_band_label(band: usize) -> String {
    if band + 1 >= POP_BANDS {
        format!("{}+", (POP_BANDS - 1) * 5)
    } else {
        format!("{}-{}", band * 5, band * 5 + 4)
    }
}

/// Folds the 20 bands into the 18 of [`almen_core::age_band`] (85-89, 90-94 and 95+ become
/// 85+), e.g. to standardise a kommune against [`national_age_sex`].
pub fn to_age_bands<T: Copy + Default + std::ops::AddAssign>(
    s: &[[T; POP_BANDS]; 2],
) -> [[T; AGE_BANDS]; 2] {
    let mut out = [[T::default(); AGE_BANDS]; 2];
    for sex in 0..2 {
        for b in 0..POP_BANDS {
            out[sex][b.min(AGE_BANDS - 1)] += s[sex][b];
        }
    }
    out
}

/// `F` → 0, `M` → 1, the order of [`almen_core::Sex::index`].
fn sex_index(s: &str) -> usize {
    match s {
        "F" | "f" => 0,
        "M" | "m" => 1,
        other => panic!("sex {other:?} in an embedded population table"),
    }
}

/// Lower age of a label like `0-4`, `0-5`, `95+`.
fn lower_age(label: &str) -> usize {
    label
        .split(['-', '+'])
        .next()
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("age band label {label:?} in an embedded population table"))
}

type ByKommune = HashMap<u16, [[u32; POP_BANDS]; 2]>;

const KOMMUNE_SEX_AGE5_2020: &str =
    include_str!("../data/population/kommune_sex_age5_2020-01-01.csv");

fn by_kommune() -> &'static ByKommune {
    static T: OnceLock<ByKommune> = OnceLock::new();
    T.get_or_init(|| {
        let mut m: ByKommune = HashMap::new();
        for r in embedded_csv(
            "population/kommune_sex_age5_2020-01-01.csv",
            KOMMUNE_SEX_AGE5_2020,
        ) {
            let code: u16 = r[1].parse().expect("kommune code");
            let Ok(code) = KommuneCode::new(code) else {
                // Christiansø (411) is its own statistical area but belongs to no kommune;
                // its 84 people (2020) are left out, as everywhere else in Almen. Any other
                // code would be a defect of the file.
                assert_eq!(
                    code, 411,
                    "unexpected area code in the 2020 population table"
                );
                continue;
            };
            let band = lower_age(&r[4]) / 5;
            assert!(band < POP_BANDS, "age band {:?}", &r[4]);
            let e = m.entry(code.get()).or_insert([[0; POP_BANDS]; 2]);
            e[sex_index(&r[3])][band] += r[5].parse::<u32>().expect("population count");
        }
        m
    })
}

/// Population of a kommune on 1 January 2020 by `[sex.index()][band]` (Statistics Denmark
/// FOLK1A 2020K1; the newest public table by kommune, sex and age that Almen has).
pub fn kommune_age_sex_2020(code: KommuneCode) -> &'static [[u32; POP_BANDS]; 2] {
    by_kommune()
        .get(&code.get())
        .expect("every kommune has a 2020 age structure (unit test)")
}

/// **An estimate**: the kommune's 2020 sex and age structure scaled to its exact 2024 total
/// (FOLK1AM 1 January 2024). No public 2024 table by kommune, sex and age was found; ageing
/// and migration since 2020 are not modelled. Good for sizing and expected counts, not for
/// official figures.
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

const NATIONAL_SEX_AGE5: &str = include_str!("../data/population/national_sex_age5_1990-2025.csv");

fn national() -> &'static National {
    static T: OnceLock<National> = OnceLock::new();
    T.get_or_init(|| {
        let mut m: National = HashMap::new();
        for r in embedded_csv(
            "population/national_sex_age5_1990-2025.csv",
            NATIONAL_SEX_AGE5,
        ) {
            // Labels `0-5`, `5-10` … mean 0-4, 5-9 …; `85+` is the last band.
            let band = lower_age(&r[1]) / 5;
            assert!(band < AGE_BANDS, "age group {:?}", &r[1]);
            let year: i32 = r[2].parse().expect("year");
            m.entry(year).or_insert([[0; AGE_BANDS]; 2])[sex_index(&r[0])][band] +=
                r[3].parse::<u32>().expect("population");
        }
        m
    })
}

/// National population by `[sex.index()][band]`, with the 18 bands of
/// [`almen_core::age_band`] (85+ last), on 1 January of `year` (1990-2025; Statistics
/// Denmark): the standard population for age/sex standardisation. `None` outside 1990-2025.
pub fn national_age_sex(year: i32) -> Option<[[u32; AGE_BANDS]; 2]> {
    national().get(&year).copied()
}

/// The years [`national_age_sex`] covers, oldest first.
pub fn national_years() -> std::ops::RangeInclusive<i32> {
    let t = national();
    let lo = t.keys().min().copied().expect("national table has years");
    let hi = t.keys().max().copied().expect("national table has years");
    lo..=hi
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kommuner;
    use almen_core::age_band;

    #[test]
    fn every_kommune_has_a_structure() {
        for k in kommuner() {
            let s = kommune_age_sex_2020(k.code);
            assert!(s.iter().flatten().sum::<u32>() > 1000, "{}", k.name);
            assert!(s[0][0] > 0 && s[1][0] > 0, "{}", k.name);
            let e: f64 = kommune_age_sex_2024_estimate(k.code).iter().flatten().sum();
            assert!((e - k.population_2024 as f64).abs() < 1e-6 * e.max(1.0));
        }
        assert_eq!(by_kommune().len(), 98);
    }

    #[test]
    fn the_2020_file_matches_its_total() {
        // FOLK1A 2020K1: 5,822,763 in all, of which 84 on Christiansø (code 411).
        let mut all = 0u64;
        let mut christiansoe = 0u64;
        for r in embedded_csv(
            "population/kommune_sex_age5_2020-01-01.csv",
            KOMMUNE_SEX_AGE5_2020,
        ) {
            let n: u64 = r[5].parse().unwrap();
            all += n;
            if &r[1] == "411" {
                christiansoe += n;
            }
        }
        assert_eq!(all, 5_822_763);
        assert_eq!(christiansoe, 84);
        let kept: u64 = by_kommune()
            .values()
            .flat_map(|s| s.iter().flatten())
            .map(|&x| x as u64)
            .sum();
        assert_eq!(kept, all - christiansoe);
        let aarhus = kommune_age_sex_2020(KommuneCode::new(751).unwrap());
        assert_eq!(aarhus[1][0], 10_373, "Aarhus, men 0-4, 2020");
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
        assert!(
            t[0][AGE_BANDS - 1] > t[1][AGE_BANDS - 1],
            "more women than men at 85+"
        );
        assert!(national_age_sex(1989).is_none());
        assert!(national_age_sex(2026).is_none());
        assert_eq!(national_years(), 1990..=2025);
        for y in national_years() {
            let t = national_age_sex(y).unwrap();
            assert!(t.iter().flatten().all(|&n| n > 0), "{y}");
        }
    }

    #[test]
    fn bands() {
        assert_eq!(pop_band(0), 0);
        assert_eq!(pop_band(4), 0);
        assert_eq!(pop_band(5), 1);
        assert_eq!(pop_band(94), 18);
        assert_eq!(pop_band(95), 19);
        assert_eq!(pop_band(120), 19);
        assert_eq!(pop_band_label(0), "0-4");
        assert_eq!(pop_band_label(18), "90-94");
        assert_eq!(pop_band_label(19), "95+");
        // Folding to the 18 bands agrees with almen_core::age_band.
        for age in 0..110 {
            assert_eq!(pop_band(age).min(AGE_BANDS - 1), age_band(age), "{age}");
        }
        let k = KommuneCode::new(751).unwrap();
        let folded = to_age_bands(kommune_age_sex_2020(k));
        let a: u32 = folded.iter().flatten().sum();
        let b: u32 = kommune_age_sex_2020(k).iter().flatten().sum();
        assert_eq!(a, b);
        let est = to_age_bands(&kommune_age_sex_2024_estimate(k));
        assert!((est.iter().flatten().sum::<f64>() - k.info().population_2024 as f64).abs() < 1e-6);
    }
}
