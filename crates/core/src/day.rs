use crate::ParseError;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A calendar date stored as days since 1970-01-01, so columns of dates are plain `i32`s
/// and comparisons are integer comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(i32);

const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

impl Day {
    pub const MIN: Day = Day(i32::MIN);
    pub const MAX: Day = Day(i32::MAX);

    pub fn from_days_since_epoch(days: i32) -> Day {
        Day(days)
    }
    pub fn days_since_epoch(self) -> i32 {
        self.0
    }
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Day> {
        NaiveDate::from_ymd_opt(year, month, day).map(Day::from_naive)
    }
    pub fn from_naive(d: NaiveDate) -> Day {
        Day(d.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE)
    }
    pub fn to_naive(self) -> NaiveDate {
        NaiveDate::from_num_days_from_ce_opt(self.0 + UNIX_EPOCH_DAYS_FROM_CE)
            .unwrap_or(NaiveDate::MIN)
    }
    pub fn year(self) -> i32 {
        self.to_naive().year()
    }
    pub fn month(self) -> u32 {
        self.to_naive().month()
    }
    pub fn add_days(self, n: i32) -> Day {
        Day(self.0 + n)
    }
    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Day) -> i32 {
        later.0 - self.0
    }
    /// Monday = 0 … Sunday = 6.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday (3).
        (self.0 + 3).rem_euclid(7) as u32
    }
    /// Completed years of age at `at` for someone born on `self` (29 Feb birthdays count on 1 Mar).
    pub fn age_at(self, at: Day) -> u32 {
        let b = self.to_naive();
        let a = at.to_naive();
        let mut years = a.year() - b.year();
        if (a.month(), a.day()) < (b.month(), b.day()) {
            years -= 1;
        }
        years.max(0) as u32
    }
    /// The same calendar day `months` months earlier, clamped to the month's last day.
    pub fn minus_months(self, months: u32) -> Day {
        let d = self.to_naive();
        d.checked_sub_months(chrono::Months::new(months))
            .map(Day::from_naive)
            .unwrap_or(self)
    }

    /// Parses `YYYY-MM-DD` strictly. Hand-written because the reader parses tens of millions
    /// of dates and chrono's format machinery costs several times more per value.
    pub fn parse(s: &str) -> Result<Day, ParseError> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(ParseError::new("expected a date as YYYY-MM-DD", s));
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let mut v = 0u32;
            for &c in &b[r] {
                if !c.is_ascii_digit() {
                    return None;
                }
                v = v * 10 + (c - b'0') as u32;
            }
            Some(v)
        };
        match (num(0..4), num(5..7), num(8..10)) {
            (Some(y), Some(m), Some(d)) => Day::from_ymd(y as i32, m, d)
                .ok_or_else(|| ParseError::new("no such calendar date", s)),
            _ => Err(ParseError::new("expected a date as YYYY-MM-DD", s)),
        }
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.to_naive();
        write!(f, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Day, D::Error> {
        let s = String::deserialize(d)?;
        Day::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn epoch_and_weekday() {
        let d = Day::parse("1970-01-01").unwrap();
        assert_eq!(d.days_since_epoch(), 0);
        assert_eq!(d.weekday(), 3);
        assert_eq!(Day::parse("2025-03-01").unwrap().weekday(), 5); // a Saturday
    }

    #[test]
    fn rejects_bad_dates() {
        for bad in [
            "2025-02-30",
            "2025-13-01",
            "25-01-01",
            "2025/01/01",
            "2025-01-0x",
            "",
        ] {
            assert!(Day::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn age_counts_completed_years() {
        let b = Day::parse("2000-06-15").unwrap();
        assert_eq!(b.age_at(Day::parse("2025-06-14").unwrap()), 24);
        assert_eq!(b.age_at(Day::parse("2025-06-15").unwrap()), 25);
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(days in -40_000i32..60_000) {
            let d = Day::from_days_since_epoch(days);
            prop_assert_eq!(Day::parse(&d.to_string()).unwrap(), d);
        }
    }
}
