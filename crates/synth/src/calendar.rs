//! The year's calendar: Danish public holidays, clinic working days, and the hours the
//! out-of-hours service is open, as real instants (DST-correct).

use crate::rng::{self, CumTable, R};
use almen_core::{Day, Timestamp};
use chrono::NaiveDate;

#[derive(Debug, Clone)]
pub struct Calendar {
    pub year: i32,
    pub first: Day,
    pub last: Day,
    /// Per day of the year: weekend or public holiday (clinics closed, out-of-hours all day).
    pub closed: Vec<bool>,
    /// Day-of-year indexes of clinic working days, ascending.
    pub workdays: Vec<u16>,
    /// Cumulative seasonal weight over `workdays` (`work_cum.cum[i]` = weight of workdays `0..=i`).
    pub work_cum: CumTable,
    /// Per day of the year: number of workdays before it.
    pub workdays_before: Vec<u32>,
    /// Opening hours of the out-of-hours service: start instant of each open hour.
    pub ooh_start: Vec<Timestamp>,
    /// Cumulative call-volume weight over `ooh_start`.
    pub ooh_cum: CumTable,
    /// Mean wait (minutes) for a normal-priority call in each open hour.
    pub ooh_wait: Vec<f64>,
}

/// Easter Sunday (anonymous Gregorian algorithm).
pub fn easter(year: i32) -> Day {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
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
    Day::from_ymd(year, month as u32, day as u32).unwrap_or(Day::from_days_since_epoch(0))
}

/// Danish public holidays and the days clinics customarily close (24 and 31 December); Store
/// Bededag until its abolition from 2024.
pub fn holidays(year: i32) -> Vec<Day> {
    let e = easter(year);
    let ymd = |m, d| Day::from_ymd(year, m, d).unwrap_or(e);
    let mut v = vec![
        ymd(1, 1),
        e.add_days(-3),
        e.add_days(-2),
        e,
        e.add_days(1),
        e.add_days(39),
        e.add_days(49),
        e.add_days(50),
        ymd(12, 24),
        ymd(12, 25),
        ymd(12, 26),
        ymd(12, 31),
    ];
    if year <= 2023 {
        v.push(e.add_days(26));
    }
    v.sort();
    v
}

/// Relative call volume by hour of day (out-of-hours). Shape from DOMAIN.md §1 "Public
/// figures": most calls 16-19, worst right after the 16:00 opening, sharp fall after 22:00,
/// many calls 07-08 on weekend mornings; weekend days carry about twice a weekday's volume.
const WEEKDAY_HOURS: [f64; 24] = [
    0.45, 0.32, 0.26, 0.22, 0.22, 0.28, 0.45, 0.9, // 00-07 (the night after a weekday)
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, // 08-15: clinics open
    3.3, 3.0, 2.6, 2.0, 1.7, 1.4, 0.9, 0.6, // 16-23
];
const WEEKEND_HOURS: [f64; 24] = [
    0.5, 0.36, 0.28, 0.24, 0.24, 0.3, 0.55, 1.6, // 00-07
    2.9, 3.0, 2.8, 2.5, 2.2, 2.0, 2.0, 2.1, // 08-15
    2.4, 2.5, 2.3, 1.9, 1.6, 1.3, 0.9, 0.6, // 16-23
];
/// Queue pressure by hour (multiplies the mean wait): the queue right after the 16:00 opening
/// and on weekend mornings is the worst (DOMAIN.md §1: "worst waits right after 16:00 opening",
/// "queues at 23:00 and at 08:00 on weekends").
const WEEKDAY_LOAD: [f64; 24] = [
    0.7, 0.6, 0.6, 0.6, 0.6, 0.6, 0.8, 1.2, //
    1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, //
    1.7, 1.35, 1.1, 0.9, 0.85, 0.8, 0.8, 1.0,
];
const WEEKEND_LOAD: [f64; 24] = [
    0.7, 0.6, 0.6, 0.6, 0.6, 0.6, 0.9, 1.3, //
    1.45, 1.35, 1.15, 1.0, 0.95, 0.9, 0.9, 0.95, //
    1.15, 1.15, 1.05, 0.9, 0.85, 0.8, 0.8, 1.0,
];
/// Mean wait (minutes) of normal-priority calls over the year; with ~10 % urgent calls
/// answered in about a minute this puts the overall mean near the published Q2-2023 figure
/// for Region Midtjylland (10:59; DOMAIN.md §1) and about 70 %/80 % within 15/20 minutes.
pub const NORMAL_MEAN_WAIT_MIN: f64 = 13.0;

/// Seasonal weight of a month for clinic contacts (winter infections, summer holidays).
/// Approximate; Statistics Denmark publishes contacts by year only.
const MONTH_WEIGHT: [f64; 12] = [
    1.12, 1.1, 1.08, 1.0, 0.98, 0.95, 0.7, 0.9, 1.05, 1.05, 1.05, 0.92,
];
/// Out-of-hours volume by month (winter higher; December holidays).
const MONTH_CALLS: [f64; 12] = [
    1.12, 1.06, 1.02, 0.98, 0.95, 0.95, 0.95, 0.93, 0.95, 1.0, 1.02, 1.1,
];

impl Calendar {
    pub fn new(year: i32) -> Calendar {
        let first = Day::from_ymd(year, 1, 1).unwrap_or(Day::from_days_since_epoch(0));
        let last = Day::from_ymd(year, 12, 31).unwrap_or(first.add_days(364));
        let n = first.days_until(last) as usize + 1;
        let hol = holidays(year);
        let mut closed = vec![false; n];
        for (i, c) in closed.iter_mut().enumerate() {
            let d = first.add_days(i as i32);
            *c = d.weekday() >= 5 || hol.binary_search(&d).is_ok();
        }
        let mut workdays = Vec::new();
        let mut work_cum = Vec::new();
        let mut workdays_before = Vec::with_capacity(n);
        let mut acc = 0.0;
        for (i, &c) in closed.iter().enumerate() {
            workdays_before.push(workdays.len() as u32);
            if !c {
                let d = first.add_days(i as i32);
                workdays.push(i as u16);
                acc += MONTH_WEIGHT[d.month() as usize - 1];
                work_cum.push(acc);
            }
        }
        // Out-of-hours: walk the year hour by hour in real time, so the spring DST hour is
        // skipped and the autumn one counted twice, as the clock on the wall does.
        let start = local_midnight(year, 1, 1);
        let end = local_midnight(year + 1, 1, 1);
        let mut ooh_start = Vec::new();
        let mut ooh_cum = Vec::new();
        let mut ooh_wait = Vec::new();
        let mut acc = 0.0;
        let mut load_acc = 0.0;
        let mut t = start;
        while t < end {
            let local = t.to_local();
            let d = Day::from_naive(local.date_naive());
            let i = first.days_until(d) as usize;
            let hour = chrono::Timelike::hour(&local) as usize;
            let is_closed = closed.get(i).copied().unwrap_or(true);
            let (w, l) = if is_closed {
                (WEEKEND_HOURS[hour], WEEKEND_LOAD[hour])
            } else {
                (WEEKDAY_HOURS[hour], WEEKDAY_LOAD[hour])
            };
            if w > 0.0 {
                let w = w * MONTH_CALLS[d.month() as usize - 1];
                acc += w;
                load_acc += w * l;
                ooh_start.push(t);
                ooh_cum.push(acc);
                ooh_wait.push(l);
            }
            t = t.plus_seconds(3600);
        }
        let mean_load = if acc > 0.0 { load_acc / acc } else { 1.0 };
        for w in &mut ooh_wait {
            *w *= NORMAL_MEAN_WAIT_MIN / mean_load;
        }
        Calendar {
            year,
            first,
            last,
            closed,
            workdays,
            work_cum: CumTable::new(work_cum),
            workdays_before,
            ooh_start,
            ooh_cum: CumTable::new(ooh_cum),
            ooh_wait,
        }
    }

    pub fn days(&self) -> usize {
        self.closed.len()
    }

    pub fn index(&self, d: Day) -> usize {
        self.first.days_until(d).clamp(0, self.days() as i32 - 1) as usize
    }

    pub fn day(&self, i: usize) -> Day {
        self.first.add_days(i as i32)
    }

    /// A clinic working day in `from..=to` (both within the year), seasonally weighted;
    /// `None` when the window has none.
    pub fn workday_in(&self, r: &mut R, from: Day, to: Day) -> Option<Day> {
        if to < from {
            return None;
        }
        let a = self.workdays_before[self.index(from)] as usize;
        let b = if to >= self.last {
            self.workdays.len()
        } else {
            self.workdays_before[self.index(to) + 1] as usize
        };
        if b <= a {
            return None;
        }
        let lo = self.work_cum.before(a);
        let hi = self.work_cum.cum[b - 1];
        let k = self.work_cum.pick(r, lo, hi).clamp(a, b - 1);
        Some(self.day(self.workdays[k] as usize))
    }

    /// The first clinic working day on or after `d` (may be in the next year).
    pub fn next_workday(&self, d: Day) -> Day {
        let mut d = d;
        for _ in 0..14 {
            if d > self.last || d < self.first {
                if d.weekday() < 5 {
                    return d;
                }
            } else if !self.closed[self.index(d)] {
                return d;
            }
            d = d.add_days(1);
        }
        d
    }

    pub fn is_workday(&self, d: Day) -> bool {
        d >= self.first && d <= self.last && !self.closed[self.index(d)]
    }

    /// A random instant within the out-of-hours opening hours before `until`, with its hour's
    /// mean wait; `None` if none is left.
    pub fn ooh_instant(&self, r: &mut R, until: Option<Timestamp>) -> Option<(Timestamp, f64)> {
        let n = match until {
            Some(u) => self.ooh_start.partition_point(|t| *t < u),
            None => self.ooh_start.len(),
        };
        if n == 0 {
            return None;
        }
        let k = self
            .ooh_cum
            .pick(r, 0.0, self.ooh_cum.cum[n - 1])
            .min(n - 1);
        let t = self.ooh_start[k].plus_seconds(rng::range(r, 0, 3600));
        match until {
            Some(u) if t >= u => None,
            _ => Some((t, self.ooh_wait[k])),
        }
    }
}

/// Local midnight as an instant (midnight always exists in Denmark: DST switches at 02:00).
pub fn local_midnight(year: i32, month: u32, day: u32) -> Timestamp {
    NaiveDate::from_ymd_opt(year, month, day)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|n| Timestamp::from_local(n).ok())
        .unwrap_or(Timestamp::from_unix(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter_dates() {
        assert_eq!(easter(2024).to_string(), "2024-03-31");
        assert_eq!(easter(2025).to_string(), "2025-04-20");
        assert_eq!(easter(2026).to_string(), "2026-04-05");
    }

    #[test]
    fn workdays_and_opening_hours() {
        let c = Calendar::new(2025);
        assert_eq!(c.days(), 365);
        // 261 weekdays minus 10 holidays on weekdays (Jan 1, Maundy Thu, Good Fri, Easter Mon,
        // Ascension, Whit Mon, Dec 24, 25, 26, 31).
        assert_eq!(c.workdays.len(), 251);
        // Weekday 16-08 is 16 hours, weekend/holiday 24; the spring DST night loses an hour
        // and the autumn one gains it back.
        let open = c.ooh_start.len();
        assert_eq!(open, 251 * 16 + 114 * 24);
        // The last Sunday of March 2025 (the 30th) has no 02:00 local hour.
        let dst = Day::parse("2025-03-30").unwrap();
        assert!(
            c.ooh_start
                .iter()
                .filter(|t| Day::from_naive(t.to_local().date_naive()) == dst)
                .count()
                == 23
        );
    }
}
