//! Danish local time and the Danish holiday calendar, in integer arithmetic.
//!
//! KPIs group calls by the *local* (Europe/Copenhagen) time at which they were received. Asking
//! the time-zone database once per call costs more than all the rest of a KPI pass, so
//! [`LocalClock`] remembers the UTC offset of each UTC day it has seen (and the second of the
//! day at which it changes, on the two DST days a year). Civil dates, ISO weeks and Easter are
//! computed from day numbers with integer formulas.
//!
//! # Which days count as weekend/holiday
//!
//! The out-of-hours service covers Saturdays, Sundays and holidays by day. This module counts
//! as *holiday*:
//!
//! - the official Danish public holidays (*helligdage*): New Year's Day, Palm Sunday, Maundy
//!   Thursday, Good Friday, Easter Sunday and Monday, Store Bededag (the fourth Friday after
//!   Easter, **until 2023 only**: abolished by law from 2024), Ascension Day, Whit Sunday and
//!   Monday, Christmas Day and Boxing Day;
//! - and three days that are not public holidays in law but on which general practice is
//!   closed and the out-of-hours service runs the whole day, as on a holiday: Constitution Day
//!   (*Grundlovsdag*, 5 June), Christmas Eve (24 December) and New Year's Eve (31 December).
//!   [`Holiday::is_official`] tells the two kinds apart.
//!
//! 1 May is not a holiday for general practice and is not counted.

use almen_core::{Day, Timestamp};
use serde::Serialize;

pub(crate) const SECS_PER_DAY: i64 = 86_400;

/// Days since 1970-01-01 → (year, month 1-12, day 1-31), proleptic Gregorian.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// (year, month, day) → days since 1970-01-01. The inverse of [`civil_from_days`].
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Monday = 0 … Sunday = 6.
pub(crate) fn weekday(days: i64) -> u32 {
    (days + 3).rem_euclid(7) as u32
}

/// ISO 8601 week-numbering year and week (1-53) of a day.
pub(crate) fn iso_week(days: i64) -> (i64, u32) {
    let thursday = days - i64::from(weekday(days)) + 3;
    let (year, _, _) = civil_from_days(thursday);
    let week = (thursday - days_from_civil(year, 1, 1)) / 7 + 1;
    (year, week as u32)
}

/// Easter Sunday of a Gregorian year (the anonymous Gregorian algorithm), as days since 1970.
pub(crate) fn easter_days(year: i64) -> i64 {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    days_from_civil(year, month as u32, day as u32)
}

/// Easter Sunday of `year`.
pub fn easter_sunday(year: i32) -> Day {
    Day::from_days_since_epoch(easter_days(i64::from(year)) as i32)
}

/// The last year Store Bededag was a public holiday (the law abolishing it applies from 2024).
pub const LAST_STORE_BEDEDAG_YEAR: i32 = 2023;

/// A Danish holiday, or one of the three days general practice treats as one
/// (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Holiday {
    NewYearsDay,
    PalmSunday,
    MaundyThursday,
    GoodFriday,
    EasterSunday,
    EasterMonday,
    StoreBededag,
    AscensionDay,
    WhitSunday,
    WhitMonday,
    ConstitutionDay,
    ChristmasEve,
    ChristmasDay,
    BoxingDay,
    NewYearsEve,
}

impl Holiday {
    /// The Danish name (*Skærtorsdag*, *2. pinsedag* …).
    pub fn danish_name(self) -> &'static str {
        match self {
            Holiday::NewYearsDay => "Nytårsdag",
            Holiday::PalmSunday => "Palmesøndag",
            Holiday::MaundyThursday => "Skærtorsdag",
            Holiday::GoodFriday => "Langfredag",
            Holiday::EasterSunday => "Påskedag",
            Holiday::EasterMonday => "2. påskedag",
            Holiday::StoreBededag => "Store bededag",
            Holiday::AscensionDay => "Kristi himmelfartsdag",
            Holiday::WhitSunday => "Pinsedag",
            Holiday::WhitMonday => "2. pinsedag",
            Holiday::ConstitutionDay => "Grundlovsdag",
            Holiday::ChristmasEve => "Juleaftensdag",
            Holiday::ChristmasDay => "Juledag",
            Holiday::BoxingDay => "2. juledag",
            Holiday::NewYearsEve => "Nytårsaftensdag",
        }
    }
    /// A public holiday in law (*helligdag*). Constitution Day, Christmas Eve and New Year's Eve
    /// are not, though general practice is closed and the out-of-hours service covers them.
    pub fn is_official(self) -> bool {
        !matches!(
            self,
            Holiday::ConstitutionDay | Holiday::ChristmasEve | Holiday::NewYearsEve
        )
    }
}

/// The holiday on `day`, if any.
pub fn holiday(day: Day) -> Option<Holiday> {
    holiday_on(i64::from(day.days_since_epoch()))
}

fn holiday_on(days: i64) -> Option<Holiday> {
    let (year, month, dom) = civil_from_days(days);
    // Movable feasts fall between Palm Sunday (15 March at the earliest) and Whit Monday
    // (14 June at the latest). They are looked at first because Whit Sunday or Monday can fall
    // on 5 June (Whit Monday did in 2017), and then the official holiday is the one to name.
    if (3..=6).contains(&month) {
        let movable = match days - easter_days(year) {
            -7 => Some(Holiday::PalmSunday),
            -3 => Some(Holiday::MaundyThursday),
            -2 => Some(Holiday::GoodFriday),
            0 => Some(Holiday::EasterSunday),
            1 => Some(Holiday::EasterMonday),
            26 if year <= i64::from(LAST_STORE_BEDEDAG_YEAR) => Some(Holiday::StoreBededag),
            39 => Some(Holiday::AscensionDay),
            49 => Some(Holiday::WhitSunday),
            50 => Some(Holiday::WhitMonday),
            _ => None,
        };
        if movable.is_some() {
            return movable;
        }
    }
    match (month, dom) {
        (1, 1) => Some(Holiday::NewYearsDay),
        (6, 5) => Some(Holiday::ConstitutionDay),
        (12, 24) => Some(Holiday::ChristmasEve),
        (12, 25) => Some(Holiday::ChristmasDay),
        (12, 26) => Some(Holiday::BoxingDay),
        (12, 31) => Some(Holiday::NewYearsEve),
        _ => None,
    }
}

/// Every holiday of a year, in date order.
pub fn holidays_in_year(year: i32) -> Vec<(Day, Holiday)> {
    let first = days_from_civil(i64::from(year), 1, 1);
    let last = days_from_civil(i64::from(year), 12, 31);
    (first..=last)
        .filter_map(|d| holiday_on(d).map(|h| (Day::from_days_since_epoch(d as i32), h)))
        .collect()
}

/// Saturday, Sunday or a [holiday](holiday): a day on which the out-of-hours service covers
/// the daytime too.
pub fn is_weekend_or_holiday(day: Day) -> bool {
    off_day(i64::from(day.days_since_epoch()))
}

pub(crate) fn off_day(days: i64) -> bool {
    weekday(days) >= 5 || holiday_on(days).is_some()
}

/// Remembers whether the last day asked about was a weekend/holiday: calls come in time order,
/// so most look-ups are for the same day as the one before.
#[derive(Debug)]
pub(crate) struct OffDayCache {
    day: i64,
    off: bool,
}

impl OffDayCache {
    pub(crate) fn new() -> OffDayCache {
        OffDayCache {
            day: i64::MIN,
            off: false,
        }
    }
    #[inline]
    pub(crate) fn is_off(&mut self, days: i64) -> bool {
        if days != self.day {
            self.day = days;
            self.off = off_day(days);
        }
        self.off
    }
}

/// Local wall-clock position of an instant: the local day (days since 1970) and the second of
/// that day (0-86399).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LocalTime {
    pub day: i64,
    pub second: u32,
}

impl LocalTime {
    pub(crate) fn hour(self) -> u32 {
        self.second / 3_600
    }
}

#[derive(Debug, Clone, Copy)]
struct OffsetEntry {
    utc_day: i64,
    /// Offset (seconds east of UTC) from the start of the UTC day …
    before: i32,
    /// … until this second of the UTC day (86400 when there is no change that day) …
    change_at: i32,
    /// … and from then on.
    after: i32,
}

const CACHE_SLOTS: usize = 1_024;

/// Converts instants to Danish local time, asking the time-zone database once per UTC day.
///
/// A direct-mapped cache keyed by UTC day: with 1,024 slots any 2.8 years of calls, in any
/// order, convert without a miss after the first call of each day.
pub(crate) struct LocalClock {
    slots: Vec<OffsetEntry>,
}

fn tz_offset(unix: i64) -> i32 {
    let local = Timestamp::from_unix(unix).to_local().naive_local();
    (local.and_utc().timestamp() - unix) as i32
}

impl LocalClock {
    pub(crate) fn new() -> LocalClock {
        LocalClock {
            slots: vec![
                OffsetEntry {
                    utc_day: i64::MIN,
                    before: 0,
                    change_at: 0,
                    after: 0,
                };
                CACHE_SLOTS
            ],
        }
    }

    /// Seconds east of UTC at `unix`.
    #[inline]
    pub(crate) fn offset(&mut self, unix: i64) -> i32 {
        let utc_day = unix.div_euclid(SECS_PER_DAY);
        let second = (unix - utc_day * SECS_PER_DAY) as i32;
        let slot = &mut self.slots[(utc_day as usize) % CACHE_SLOTS];
        if slot.utc_day != utc_day {
            *slot = Self::entry(utc_day);
        }
        if second < slot.change_at {
            slot.before
        } else {
            slot.after
        }
    }

    #[inline]
    pub(crate) fn local(&mut self, t: Timestamp) -> LocalTime {
        let local = t.unix() + i64::from(self.offset(t.unix()));
        let day = local.div_euclid(SECS_PER_DAY);
        LocalTime {
            day,
            second: (local - day * SECS_PER_DAY) as u32,
        }
    }

    /// Copenhagen changes offset at most once in a UTC day (the DST changes are months
    /// apart), so the offsets at the first and last second tell whether it changes, and a
    /// binary search finds when.
    fn entry(utc_day: i64) -> OffsetEntry {
        let start = utc_day * SECS_PER_DAY;
        let before = tz_offset(start);
        let after = tz_offset(start + SECS_PER_DAY - 1);
        let mut change_at = SECS_PER_DAY as i32;
        if before != after {
            // The first second with the new offset lies in (lo, hi].
            let (mut lo, mut hi) = (0i64, SECS_PER_DAY - 1);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if tz_offset(start + mid) == before {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            change_at = hi as i32;
        }
        OffsetEntry {
            utc_day,
            before,
            change_at,
            after,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        Day::parse(s).unwrap()
    }

    #[test]
    fn civil_round_trips_against_core_day() {
        for d in (-800_000i64..800_000).step_by(97) {
            let (y, m, dd) = civil_from_days(d);
            let core = Day::from_days_since_epoch(d as i32);
            assert_eq!((y as i32, m), (core.year(), core.month()), "{d}");
            assert_eq!(days_from_civil(y, m, dd), d);
            assert_eq!(weekday(d), core.weekday());
        }
    }

    #[test]
    fn easter_dates_are_known() {
        for (year, date) in [
            (2000, "2000-04-23"),
            (2019, "2019-04-21"),
            (2023, "2023-04-09"),
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2038, "2038-04-25"),
            (2285, "2285-03-22"),
        ] {
            assert_eq!(easter_sunday(year), day(date), "{year}");
        }
    }

    #[test]
    fn iso_weeks_at_year_ends() {
        let w = |s: &str| iso_week(i64::from(day(s).days_since_epoch()));
        assert_eq!(w("2024-12-30"), (2025, 1));
        assert_eq!(w("2025-01-01"), (2025, 1));
        assert_eq!(w("2021-01-03"), (2020, 53));
        assert_eq!(w("2025-03-01"), (2025, 9));
        assert_eq!(w("2026-12-31"), (2026, 53));
    }

    #[test]
    fn local_clock_agrees_with_the_time_zone_database() {
        let mut clock = LocalClock::new();
        // Hourly over the 2025 DST days and a few seconds either side of each change.
        let spring = Timestamp::parse("2025-03-30T01:00:00Z").unwrap().unix();
        let autumn = Timestamp::parse("2025-10-26T01:00:00Z").unwrap().unix();
        let mut probes: Vec<i64> = (-3..=3).flat_map(|d| [spring + d, autumn + d]).collect();
        probes.extend((0..24 * 400).map(|h| spring - 86_400 * 200 + h * 3_599));
        for t in probes {
            assert_eq!(clock.offset(t), tz_offset(t), "{t}");
        }
    }

    proptest::proptest! {
        #[test]
        fn cached_offsets_match_the_database_in_any_order(
            times in proptest::collection::vec(0i64..4_102_444_800, 1..200),
        ) {
            let mut clock = LocalClock::new();
            for t in times {
                proptest::prop_assert_eq!(clock.offset(t), tz_offset(t));
            }
        }
    }
}
