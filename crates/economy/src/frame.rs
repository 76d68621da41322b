//! The collective economic frame (økonomiramme, DOMAIN.md §3): activity per month against the
//! year's frame and its monthly profile, the year-end forecast with an interval, the overshoot,
//! the tolerance and the countable offset (modregning) under PLO's and RLTN's readings.
//!
//! - **PLO's reading:** region-run and tendered clinics are outside the frame. The effective
//!   frame is the agreed frame.
//! - **RLTN's reading:** their activity reduces the frame. The effective frame is the agreed
//!   frame minus that activity.
//!
//! In both, overshoot = activity of the clinics inside the frame − effective frame, the
//! tolerance is `tolerance` (0.6 %) of the effective frame, and the countable offset is the
//! overshoot beyond the tolerance (never below 0). A year may have no frame (2026): the
//! caller simply does not compute one.

use almen_core::Day;
use almen_kpi::{Holiday, holiday, is_weekend_or_holiday};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reading {
    Plo,
    Rltn,
}

impl Reading {
    pub fn parse(s: &str) -> Option<Reading> {
        match s {
            "plo" => Some(Reading::Plo),
            "rltn" => Some(Reading::Rltn),
            _ => None,
        }
    }
}

/// The agreement's tolerance: the frame may be exceeded by 0.6 % without consequence.
pub const DEFAULT_TOLERANCE: f64 = 0.006;

/// Relative spread assumed for the forecast when fewer than two months are observed.
const DEFAULT_MONTHLY_SPREAD: f64 = 0.05;

#[derive(Debug, Clone)]
pub struct FrameInput {
    pub year: i32,
    pub frame_dkk: f64,
    pub tolerance: f64,
    pub reading: Reading,
    /// Activity of the clinics inside the frame (PLO clinics) per month, DKK.
    pub inside: [f64; 12],
    /// Activity of region-run and tendered clinics per month, DKK.
    pub outside: [f64; 12],
    /// Months 1..=observed_months have data; the rest is forecast.
    pub observed_months: usize,
    /// The frame's monthly profile (shares summing to 1).
    pub profile: [f64; 12],
    /// Where the profile came from (`previous_year` or `working_days`).
    pub profile_source: &'static str,
    /// Add the Store Bededag adjustment to the frame.
    pub compensate_store_bededag: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Month {
    pub month: String,
    pub profile_share: f64,
    pub frame_dkk: f64,
    pub activity_dkk: f64,
    pub outside_activity_dkk: f64,
    pub cumulative_frame_dkk: f64,
    pub cumulative_activity_dkk: f64,
    /// `false`: the month is not in the data yet; its activity is the forecast.
    pub observed: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Adjustment {
    pub name: String,
    pub description: String,
    pub description_da: String,
    pub dkk: f64,
    /// Included in the effective frame.
    pub applied: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Forecast {
    pub year_end_activity_dkk: f64,
    pub low_dkk: f64,
    pub high_dkk: f64,
    pub observed_months: usize,
}

/// The stable JSON of `almen economy frame`. Amounts in DKK, unrounded.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FrameReport {
    pub reading: Reading,
    pub year: i32,
    /// The agreed frame.
    pub frame_dkk: f64,
    /// Year-end activity of the clinics inside the frame (observed, plus the forecast for
    /// months not yet observed).
    pub activity_dkk: f64,
    /// Activity − effective frame.
    pub overshoot_dkk: f64,
    /// Overshoot as % of the effective frame.
    pub overshoot_pct: f64,
    pub tolerance_dkk: f64,
    /// max(0, overshoot − tolerance).
    pub countable_offset_dkk: f64,
    pub months: Vec<Month>,
    pub tolerance: f64,
    /// Region-run and tendered clinics' activity (reduces the frame under RLTN's reading).
    pub outside_frame_activity_dkk: f64,
    pub effective_frame_dkk: f64,
    pub profile_source: String,
    pub forecast: Forecast,
    pub adjustments: Vec<Adjustment>,
}

/// Monday-Friday that are not holidays (nor the days general practice treats as such).
pub fn working_days(year: i32, month: u32) -> u32 {
    let Some(mut d) = Day::from_ymd(year, month, 1) else {
        return 0;
    };
    let mut n = 0;
    while d.month() == month {
        n += u32::from(!is_weekend_or_holiday(d));
        d = d.add_days(1);
    }
    n
}

/// The frame's monthly profile from working days.
pub fn working_day_profile(year: i32) -> [f64; 12] {
    let w: Vec<f64> = (1..=12).map(|m| f64::from(working_days(year, m))).collect();
    let t: f64 = w.iter().sum();
    std::array::from_fn(|i| w[i] / t)
}

/// The profile from a previous year's activity per month (its seasonality); `None` when
/// that year has no activity.
pub fn profile_from(previous: &[f64; 12]) -> Option<[f64; 12]> {
    let t: f64 = previous.iter().sum();
    (t > 0.0).then(|| std::array::from_fn(|i| previous[i] / t))
}

/// Store Bededag was a holiday in `year - 1` and is a working day in `year` (2024 onwards,
/// compared with 2023): one extra working day.
fn store_bededag_extra_day(year: i32) -> bool {
    let was = |y: i32| {
        (1..=12).any(|m| {
            let Some(mut d) = Day::from_ymd(y, m, 1) else {
                return false;
            };
            while d.month() == m {
                if holiday(d) == Some(Holiday::StoreBededag) {
                    return true;
                }
                d = d.add_days(1);
            }
            false
        })
    };
    year >= 2024 && !was(year) && (was(year - 1) || year > 2024)
}

pub fn compute(input: &FrameInput) -> FrameReport {
    let obs = input.observed_months.min(12);
    let cum = |v: &[f64; 12], n: usize| v[..n].iter().sum::<f64>();
    let share_obs = cum(&input.profile, obs);
    // Forecast: the observed months' activity over their part of the frame, carried to the
    // rest of the year; the interval from the spread of the monthly ratios.
    let project = |v: &[f64; 12]| -> ([f64; 12], f64) {
        let mut out = *v;
        if obs == 12 {
            return (out, 0.0);
        }
        let ratio = if share_obs > 0.0 {
            cum(v, obs) / (input.frame_dkk * share_obs)
        } else {
            1.0
        };
        let ratios: Vec<f64> = (0..obs)
            .filter(|&i| input.profile[i] > 0.0)
            .map(|i| v[i] / (input.frame_dkk * input.profile[i]))
            .collect();
        let spread = if ratios.len() >= 2 {
            let m = ratios.iter().sum::<f64>() / ratios.len() as f64;
            let var =
                ratios.iter().map(|r| (r - m).powi(2)).sum::<f64>() / (ratios.len() - 1) as f64;
            var.sqrt() / (ratios.len() as f64).sqrt()
        } else {
            DEFAULT_MONTHLY_SPREAD
        };
        for i in obs..12 {
            out[i] = ratio * input.frame_dkk * input.profile[i];
        }
        (out, 1.96 * spread * input.frame_dkk * (1.0 - share_obs))
    };
    let (inside, half) = project(&input.inside);
    let (outside, _) = project(&input.outside);
    let activity: f64 = inside.iter().sum();
    let outside_total: f64 = outside.iter().sum();
    let extra = store_bededag_extra_day(input.year);
    let per_day: f64 = activity
        / (1..=12)
            .map(|m| working_days(input.year, m))
            .sum::<u32>()
            .max(1) as f64;
    let adjustments = vec![Adjustment {
        name: "store_bededag".into(),
        description: if extra {
            "Store Bededag is a working day from 2024: one extra working day's activity \
             (year's activity ÷ working days), to be compensated in the frame"
                .into()
        } else {
            "Store Bededag is a holiday this year: no extra working day".into()
        },
        description_da: if extra {
            "Store Bededag er arbejdsdag fra 2024: én ekstra arbejdsdags aktivitet \
             (årets aktivitet ÷ arbejdsdage), som rammen skal kompensere"
                .into()
        } else {
            "Store Bededag er helligdag dette år: ingen ekstra arbejdsdag".into()
        },
        dkk: if extra { per_day } else { 0.0 },
        applied: extra && input.compensate_store_bededag,
    }];
    let adjusted: f64 = input.frame_dkk
        + adjustments
            .iter()
            .filter(|a| a.applied)
            .map(|a| a.dkk)
            .sum::<f64>();
    let effective = match input.reading {
        Reading::Plo => adjusted,
        Reading::Rltn => adjusted - outside_total,
    };
    let overshoot = activity - effective;
    let tolerance_dkk = input.tolerance * effective;
    let mut months = Vec::with_capacity(12);
    let (mut cf, mut ca) = (0.0, 0.0);
    for i in 0..12 {
        let f = effective * input.profile[i];
        cf += f;
        ca += inside[i];
        months.push(Month {
            month: format!("{}-{:02}", input.year, i + 1),
            profile_share: input.profile[i],
            frame_dkk: f,
            activity_dkk: inside[i],
            outside_activity_dkk: outside[i],
            cumulative_frame_dkk: cf,
            cumulative_activity_dkk: ca,
            observed: i < obs,
        });
    }
    FrameReport {
        reading: input.reading,
        year: input.year,
        frame_dkk: input.frame_dkk,
        activity_dkk: activity,
        overshoot_dkk: overshoot,
        overshoot_pct: overshoot / effective * 100.0,
        tolerance_dkk,
        countable_offset_dkk: (overshoot - tolerance_dkk).max(0.0),
        months,
        tolerance: input.tolerance,
        outside_frame_activity_dkk: outside_total,
        effective_frame_dkk: effective,
        profile_source: input.profile_source.into(),
        forecast: Forecast {
            year_end_activity_dkk: activity,
            low_dkk: activity - half,
            high_dkk: activity + half,
            observed_months: obs,
        },
        adjustments,
    }
}

/// The 2023 worked example (DOMAIN.md §3, seed 004), spread over the months by 2023's working
/// days.
///
/// Frame DKK 9,450 M, activity of the PLO clinics DKK 9,585 M, activity of region-run and
/// tendered clinics DKK 108.6 M.
/// - PLO's reading: overshoot 9,585 − 9,450 = 135 M (1.43 %, reported as 1.4 %); the tolerance
///   is 0.6 % × 9,450 = 56.7 M; countable 135 − 56.7 = **78.3 M** — the claim that remained
///   once RLTN dropped the region-clinic point (the seed's "79 M" is the same figure rounded).
/// - RLTN's reading: the frame is reduced by the 108.6 M, to 9,341.4 M; overshoot
///   9,585 − 9,341.4 = 243.6 M; the tolerance is 0.6 % of the *reduced* frame, 56.05 M;
///   countable 243.6 − 56.05 = **187.55 M ≈ 187.6 M**, RLTN's claim. (Adding 108.6 M to the
///   PLO figure, 78.3 + 108.6 = 186.9 M, would not reproduce it: the tolerance shrinks with the
///   frame.) The frame and the outside activity are not published; 9,450 M is the frame that
///   gives 78.3 M, and 108.6 M the outside activity that then gives 187.6 M.
pub fn example_2023(reading: Reading) -> FrameReport {
    let profile = working_day_profile(2023);
    let inside = std::array::from_fn(|i| 9_585e6 * profile[i]);
    let outside = std::array::from_fn(|i| 108.6e6 * profile[i]);
    compute(&FrameInput {
        year: 2023,
        frame_dkk: 9_450e6,
        tolerance: DEFAULT_TOLERANCE,
        reading,
        inside,
        outside,
        observed_months: 12,
        profile,
        profile_source: "working_days",
        compensate_store_bededag: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_2023_example_reproduces_the_documented_figures() {
        let p = example_2023(Reading::Plo);
        assert!((p.overshoot_dkk - 135e6).abs() < 1.0);
        assert!(
            (p.overshoot_pct - 1.4286).abs() < 1e-3,
            "{}",
            p.overshoot_pct
        );
        assert!((p.tolerance_dkk - 56.7e6).abs() < 1.0);
        assert!((p.countable_offset_dkk - 78.3e6).abs() < 1.0);
        let r = example_2023(Reading::Rltn);
        assert!((r.effective_frame_dkk - 9_341.4e6).abs() < 1.0);
        assert!((r.countable_offset_dkk / 1e6 - 187.6).abs() < 0.05);
        assert!((r.countable_offset_dkk - 187_551_600.0).abs() < 1.0);
        assert_eq!(p.months.len(), 12);
        let last = &p.months[11];
        assert!((last.cumulative_activity_dkk - 9_585e6).abs() < 1.0);
        assert!(p.adjustments[0].dkk == 0.0, "2023 still had Store Bededag");
    }

    #[test]
    fn store_bededag_is_an_adjustment_from_2024() {
        assert!(store_bededag_extra_day(2024));
        assert!(!store_bededag_extra_day(2023));
        let mut input = FrameInput {
            year: 2024,
            frame_dkk: 1000.0,
            tolerance: DEFAULT_TOLERANCE,
            reading: Reading::Plo,
            inside: [100.0; 12],
            outside: [0.0; 12],
            observed_months: 12,
            profile: working_day_profile(2024),
            profile_source: "working_days",
            compensate_store_bededag: true,
        };
        let r = compute(&input);
        let days: u32 = (1..=12).map(|m| working_days(2024, m)).sum();
        assert!((r.adjustments[0].dkk - 1200.0 / f64::from(days)).abs() < 1e-9);
        assert!((r.effective_frame_dkk - 1000.0 - 1200.0 / f64::from(days)).abs() < 1e-9);
        input.observed_months = 6;
        let r = compute(&input);
        assert!(r.forecast.low_dkk <= r.forecast.year_end_activity_dkk);
        assert!(r.forecast.high_dkk >= r.forecast.year_end_activity_dkk);
        assert!(!r.months[6].observed && r.months[5].observed);
    }
}
