//! The KPIs, their targets, and grouping.

use crate::calendar::{LocalClock, OffDayCache, civil_from_days, iso_week};
use crate::calls::CallLog;
use almen_core::{Day, Timestamp};
use almen_dataset::Outcome;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

/// Phone: the average wait until answered must not exceed 12 minutes.
pub const TARGET_AVG_WAIT_S: f64 = 720.0;
/// Phone: 70 % answered within 15 minutes …
pub const TARGET_WITHIN_15_MIN: f64 = 0.70;
/// … and 80 % within 20 minutes.
pub const TARGET_WITHIN_20_MIN: f64 = 0.80;
/// Consultations: 80 % finished within one hour after the booked time.
pub const TARGET_CONSULTATIONS_WITHIN_1H: f64 = 0.80;
/// Home visits: 90 % started within 3 hours after triage.
pub const TARGET_HOME_VISITS_WITHIN_3H: f64 = 0.90;

/// Longest wait that counts as "within 15 minutes" (inclusive: 15:00 counts, 15:01 does not).
pub const WAIT_15_MIN_S: i64 = 15 * 60;
/// Longest wait that counts as "within 20 minutes" (inclusive).
pub const WAIT_20_MIN_S: i64 = 20 * 60;
/// A consultation finished this long after its booked time, or sooner, is on time.
pub const CONSULTATION_LIMIT_S: i64 = 60 * 60;
/// A home visit started this long after the triage call ended, or sooner, is on time.
pub const HOME_VISIT_LIMIT_S: i64 = 3 * 60 * 60;

/// Why a grouping or rule name was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KpiError {
    #[error(
        "unknown grouping ({0:?}): expected one of hour, day, weekday, district, week, quarter"
    )]
    UnknownGroupBy(String),
    #[error("unknown rule for abandoned calls ({0:?}): expected excluded or counted_as_missed")]
    UnknownAbandonedRule(String),
}

/// How abandoned calls enter the phone service levels (`within_15_min`, `within_20_min`).
///
/// The average, median and 90th-percentile waits are over answered calls under either rule:
/// an abandoned call has no answer time, so no wait to average.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
pub enum AbandonedRule {
    /// Service levels are shares of answered calls; abandoned calls are reported beside them
    /// (`abandoned`, `abandonment_rate`).
    #[default]
    #[serde(rename = "excluded")]
    Excluded,
    /// Abandoned calls are missed: they count in the denominator of the service levels and
    /// never in the numerator.
    #[serde(rename = "counted_as_missed")]
    CountAsMissed,
}

impl AbandonedRule {
    pub fn as_str(self) -> &'static str {
        match self {
            AbandonedRule::Excluded => "excluded",
            AbandonedRule::CountAsMissed => "counted_as_missed",
        }
    }
}

impl FromStr for AbandonedRule {
    type Err = KpiError;
    fn from_str(s: &str) -> Result<AbandonedRule, KpiError> {
        match s {
            "excluded" => Ok(AbandonedRule::Excluded),
            "counted_as_missed" => Ok(AbandonedRule::CountAsMissed),
            _ => Err(KpiError::UnknownAbandonedRule(s.to_string())),
        }
    }
}

impl fmt::Display for AbandonedRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to split calls into groups. Every grouping uses the Danish local time at which a call
/// was *received* (a call received 23:50 and answered 00:05 belongs to hour 23 and the
/// earlier day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// Hour of day, keys `"0"` … `"23"`.
    Hour,
    /// Local date, keys `"2025-03-01"`.
    Day,
    /// Keys `"weekday"` (Monday-Friday that are not holidays) and `"weekend"` (Saturday,
    /// Sunday and [holidays](crate::calendar)).
    Weekday,
    /// The call's district, keys as written in the data; calls without one under `"(none)"`.
    District,
    /// ISO 8601 week, keys `"2025-W09"`.
    Week,
    /// Calendar quarter, keys `"2025-Q1"`.
    Quarter,
}

impl GroupBy {
    pub const ALL: [GroupBy; 6] = [
        GroupBy::Hour,
        GroupBy::Day,
        GroupBy::Weekday,
        GroupBy::District,
        GroupBy::Week,
        GroupBy::Quarter,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Hour => "hour",
            GroupBy::Day => "day",
            GroupBy::Weekday => "weekday",
            GroupBy::District => "district",
            GroupBy::Week => "week",
            GroupBy::Quarter => "quarter",
        }
    }
}

impl FromStr for GroupBy {
    type Err = KpiError;
    fn from_str(s: &str) -> Result<GroupBy, KpiError> {
        GroupBy::ALL
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or_else(|| KpiError::UnknownGroupBy(s.to_string()))
    }
}

impl fmt::Display for GroupBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to compute: which calls (`from` inclusive, `to` exclusive, on `received_at`), how
/// abandoned calls count, and an optional grouping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KpiOptions {
    pub abandoned: AbandonedRule,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub by: Option<GroupBy>,
}

impl KpiOptions {
    #[inline]
    pub(crate) fn includes(&self, received: Timestamp) -> bool {
        self.from.is_none_or(|f| received >= f) && self.to.is_none_or(|t| received < t)
    }
}

/// The KPIs of one set of calls. Shares are fractions 0-1; a value whose denominator is
/// empty is `None` (JSON `null`), never 0 or NaN.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Kpis {
    pub calls: u64,
    /// Calls with an answer time and an outcome other than `abandoned`.
    pub answered: u64,
    /// Calls without an answer time or with the outcome `abandoned`.
    pub abandoned: u64,
    /// Mean of `answered_at − received_at` over answered calls, in seconds.
    pub avg_wait_s: Option<f64>,
    /// Median wait of answered calls, in seconds (mean of the two middle waits for an even
    /// number of calls).
    pub median_wait_s: Option<f64>,
    /// 90th percentile of the waits of answered calls, in seconds, interpolated linearly
    /// between order statistics (the default of R, NumPy and spreadsheets).
    pub p90_wait_s: Option<f64>,
    /// Share answered within 15:00 (inclusive), of answered calls or, under
    /// [`AbandonedRule::CountAsMissed`], of all calls.
    pub within_15_min: Option<f64>,
    /// Share answered within 20:00 (inclusive), same denominator as `within_15_min`.
    pub within_20_min: Option<f64>,
    /// Consultations counted: outcome `consultation` with both `booked_for` and `finished_at`.
    pub consultations: u64,
    /// Share of those with `finished_at − booked_for` ≤ 1 hour.
    pub consultations_within_1h: Option<f64>,
    /// Home visits counted: outcome `home_visit` with both `ended_at` and `visit_started_at`.
    pub home_visits: u64,
    /// Share of those with `visit_started_at − ended_at` ≤ 3 hours.
    pub home_visits_within_3h: Option<f64>,
    /// `abandoned / calls`.
    pub abandonment_rate: Option<f64>,
}

/// Whether a KPI must stay under or reach its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    AtMost,
    AtLeast,
}

/// A KPI's value against its target; `pass` is `None` when the value is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TargetCheck {
    pub value: Option<f64>,
    pub target: f64,
    pub direction: Direction,
    pub pass: Option<bool>,
}

impl TargetCheck {
    pub fn new(value: Option<f64>, target: f64, direction: Direction) -> TargetCheck {
        let pass = value.map(|v| match direction {
            Direction::AtMost => v <= target,
            Direction::AtLeast => v >= target,
        });
        TargetCheck {
            value,
            target,
            direction,
            pass,
        }
    }
}

/// The Danish service targets (måltal, DOMAIN.md §1), each checked.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Targets {
    pub avg_wait_s: TargetCheck,
    pub within_15_min: TargetCheck,
    pub within_20_min: TargetCheck,
    pub consultations_within_1h: TargetCheck,
    pub home_visits_within_3h: TargetCheck,
}

impl Targets {
    pub fn check(k: &Kpis) -> Targets {
        use Direction::*;
        Targets {
            avg_wait_s: TargetCheck::new(k.avg_wait_s, TARGET_AVG_WAIT_S, AtMost),
            within_15_min: TargetCheck::new(k.within_15_min, TARGET_WITHIN_15_MIN, AtLeast),
            within_20_min: TargetCheck::new(k.within_20_min, TARGET_WITHIN_20_MIN, AtLeast),
            consultations_within_1h: TargetCheck::new(
                k.consultations_within_1h,
                TARGET_CONSULTATIONS_WITHIN_1H,
                AtLeast,
            ),
            home_visits_within_3h: TargetCheck::new(
                k.home_visits_within_3h,
                TARGET_HOME_VISITS_WITHIN_3H,
                AtLeast,
            ),
        }
    }
    /// The five checks with their JSON names, in report order.
    pub fn iter(&self) -> [(&'static str, &TargetCheck); 5] {
        [
            ("avg_wait_s", &self.avg_wait_s),
            ("within_15_min", &self.within_15_min),
            ("within_20_min", &self.within_20_min),
            ("consultations_within_1h", &self.consultations_within_1h),
            ("home_visits_within_3h", &self.home_visits_within_3h),
        ]
    }
    /// All targets with a value are met (`None` when no target has a value).
    pub fn all_pass(&self) -> Option<bool> {
        self.iter()
            .iter()
            .filter_map(|(_, c)| c.pass)
            .reduce(|a, b| a && b)
    }
}

/// One group of a grouped report: its key and its KPIs (flattened into the same JSON object).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiGroup {
    pub key: String,
    #[serde(flatten)]
    pub kpis: Kpis,
}

impl Deref for KpiGroup {
    type Target = Kpis;
    fn deref(&self) -> &Kpis {
        &self.kpis
    }
}

/// The KPIs of a set of calls, their targets and, when asked for, the same per group.
/// Serialises as one JSON object: the KPI fields, then `abandoned_rule`, `from`, `to`, `by`,
/// `targets` and `groups`. Dereferences to its [`Kpis`], so `report.calls` reads the total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiReport {
    #[serde(flatten)]
    pub kpis: Kpis,
    pub abandoned_rule: AbandonedRule,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub by: Option<GroupBy>,
    pub targets: Targets,
    /// In key order (hours, dates, weeks and quarters chronologically, `weekday` before
    /// `weekend`, districts alphabetically with `(none)` last); only groups with calls.
    pub groups: Vec<KpiGroup>,
}

impl Deref for KpiReport {
    type Target = Kpis;
    fn deref(&self) -> &Kpis {
        &self.kpis
    }
}

/// What one call contributes, worked out once and added to every accumulator it belongs to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallFacts {
    /// Seconds from received to answered; `None` for an abandoned call.
    wait: Option<i64>,
    /// A consultation with both times: finished within the hour?
    consultation_on_time: Option<bool>,
    /// A home visit with both times: started within 3 hours?
    home_visit_on_time: Option<bool>,
}

#[inline]
pub(crate) fn facts<L: CallLog + ?Sized>(log: &L, row: usize) -> CallFacts {
    let outcome = log.outcome(row);
    let wait = match (outcome, log.answered_at(row)) {
        (Outcome::Abandoned, _) | (_, None) => None,
        (_, Some(answered)) => Some(log.received_at(row).seconds_until(answered)),
    };
    let consultation_on_time = match outcome {
        Outcome::Consultation => match (log.booked_for(row), log.finished_at(row)) {
            (Some(booked), Some(finished)) => {
                Some(booked.seconds_until(finished) <= CONSULTATION_LIMIT_S)
            }
            _ => None,
        },
        _ => None,
    };
    let home_visit_on_time = match outcome {
        Outcome::HomeVisit => match (log.ended_at(row), log.visit_started_at(row)) {
            (Some(ended), Some(started)) => {
                Some(ended.seconds_until(started) <= HOME_VISIT_LIMIT_S)
            }
            _ => None,
        },
        _ => None,
    };
    CallFacts {
        wait,
        consultation_on_time,
        home_visit_on_time,
    }
}

/// Running totals for one set of calls.
#[derive(Debug, Clone, Default)]
pub(crate) struct Acc {
    calls: u64,
    answered: u64,
    abandoned: u64,
    wait_sum: i64,
    within_15: u64,
    within_20: u64,
    consultations: u64,
    consultations_on_time: u64,
    home_visits: u64,
    home_visits_on_time: u64,
    /// Waits of answered calls, for the median and 90th percentile. Waits beyond ±68 years
    /// saturate; they only exist in broken data.
    waits: Vec<i32>,
}

impl Acc {
    pub(crate) fn with_capacity(n: usize) -> Acc {
        Acc {
            waits: Vec::with_capacity(n),
            ..Acc::default()
        }
    }

    #[inline]
    pub(crate) fn add(&mut self, f: CallFacts) {
        self.calls += 1;
        match f.wait {
            None => self.abandoned += 1,
            Some(w) => {
                self.answered += 1;
                self.wait_sum += w;
                self.within_15 += u64::from(w <= WAIT_15_MIN_S);
                self.within_20 += u64::from(w <= WAIT_20_MIN_S);
                self.waits
                    .push(w.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32);
            }
        }
        if let Some(ok) = f.consultation_on_time {
            self.consultations += 1;
            self.consultations_on_time += u64::from(ok);
        }
        if let Some(ok) = f.home_visit_on_time {
            self.home_visits += 1;
            self.home_visits_on_time += u64::from(ok);
        }
    }

    pub(crate) fn finish(mut self, rule: AbandonedRule) -> Kpis {
        let service_level_base = match rule {
            AbandonedRule::Excluded => self.answered,
            AbandonedRule::CountAsMissed => self.answered + self.abandoned,
        };
        Kpis {
            calls: self.calls,
            answered: self.answered,
            abandoned: self.abandoned,
            avg_wait_s: (self.answered > 0).then(|| self.wait_sum as f64 / self.answered as f64),
            median_wait_s: percentile(&mut self.waits, 1, 2),
            p90_wait_s: percentile(&mut self.waits, 9, 10),
            within_15_min: share(self.within_15, service_level_base),
            within_20_min: share(self.within_20, service_level_base),
            consultations: self.consultations,
            consultations_within_1h: share(self.consultations_on_time, self.consultations),
            home_visits: self.home_visits,
            home_visits_within_3h: share(self.home_visits_on_time, self.home_visits),
            abandonment_rate: share(self.abandoned, self.calls),
        }
    }
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The `num/den` quantile with linear interpolation between order statistics (R type 7):
/// position `(n − 1)·num/den` in sorted order. Integer arithmetic for the position keeps
/// exact positions exact. Reorders `values`; O(n).
fn percentile(values: &mut [i32], num: usize, den: usize) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let pos = (values.len() - 1) * num;
    let (lo, rem) = (pos / den, pos % den);
    let (_, &mut lo_value, above) = values.select_nth_unstable(lo);
    if rem == 0 {
        return Some(f64::from(lo_value));
    }
    let hi_value = above.iter().copied().min().unwrap_or(lo_value);
    let frac = rem as f64 / den as f64;
    Some(f64::from(lo_value) + frac * (f64::from(hi_value) - f64::from(lo_value)))
}

/// Accumulators keyed by an integer group key, with a one-entry cache because consecutive
/// calls usually share their group.
struct Groups {
    keys: Vec<i64>,
    accs: Vec<Acc>,
    index: HashMap<i64, usize>,
    last: Option<(i64, usize)>,
}

impl Groups {
    fn new() -> Groups {
        Groups {
            keys: Vec::new(),
            accs: Vec::new(),
            index: HashMap::new(),
            last: None,
        }
    }
    #[inline]
    fn acc(&mut self, key: i64) -> &mut Acc {
        let i = match self.last {
            Some((k, i)) if k == key => i,
            _ => {
                let next = self.accs.len();
                let i = *self.index.entry(key).or_insert(next);
                if i == next {
                    self.keys.push(key);
                    self.accs.push(Acc::default());
                }
                self.last = Some((key, i));
                i
            }
        };
        &mut self.accs[i]
    }
}

const NO_DISTRICT: i64 = i64::MAX;

/// Turns a call into its group key under one grouping.
struct Grouper<'a> {
    by: GroupBy,
    clock: LocalClock,
    off_days: OffDayCache,
    district_ids: HashMap<&'a str, i64>,
    district_names: Vec<&'a str>,
    /// Group id by the log's own district index (−1: not seen yet).
    by_index: Vec<i64>,
    groups: Groups,
}

impl<'a> Grouper<'a> {
    fn new(by: GroupBy) -> Grouper<'a> {
        Grouper {
            by,
            clock: LocalClock::new(),
            off_days: OffDayCache::new(),
            district_ids: HashMap::new(),
            district_names: Vec::new(),
            by_index: Vec::new(),
            groups: Groups::new(),
        }
    }

    #[inline]
    fn key<L: CallLog + ?Sized>(&mut self, log: &'a L, row: usize, received: Timestamp) -> i64 {
        match self.by {
            GroupBy::Hour => i64::from(self.clock.local(received).hour()),
            GroupBy::Day => self.clock.local(received).day,
            GroupBy::Weekday => {
                let day = self.clock.local(received).day;
                i64::from(self.off_days.is_off(day))
            }
            GroupBy::Week => {
                let (year, week) = iso_week(self.clock.local(received).day);
                year * 100 + i64::from(week)
            }
            GroupBy::Quarter => {
                let (year, month, _) = civil_from_days(self.clock.local(received).day);
                year * 10 + i64::from((month - 1) / 3 + 1)
            }
            GroupBy::District => {
                if let Some(index) = log.district_index(row) {
                    return self.interned_district(log, row, index);
                }
                match log.district(row) {
                    None => NO_DISTRICT,
                    Some(name) => self.district_id(name),
                }
            }
        }
    }

    fn district_id(&mut self, name: &'a str) -> i64 {
        let next = self.district_names.len() as i64;
        let id = *self.district_ids.entry(name).or_insert(next);
        if id == next {
            self.district_names.push(name);
        }
        id
    }

    /// A district the log has interned: its index is looked up by name once.
    #[inline]
    fn interned_district<L: CallLog + ?Sized>(
        &mut self,
        log: &'a L,
        row: usize,
        index: u32,
    ) -> i64 {
        if index == almen_dataset::NONE {
            return NO_DISTRICT;
        }
        let i = index as usize;
        if i >= self.by_index.len() {
            self.by_index.resize(i + 1, -1);
        }
        if self.by_index[i] < 0 {
            self.by_index[i] = match log.district(row) {
                None => NO_DISTRICT,
                Some(name) => self.district_id(name),
            };
        }
        self.by_index[i]
    }

    fn label(&self, key: i64) -> String {
        match self.by {
            GroupBy::Hour => key.to_string(),
            GroupBy::Day => Day::from_days_since_epoch(key as i32).to_string(),
            GroupBy::Weekday => if key == 0 { "weekday" } else { "weekend" }.to_string(),
            GroupBy::Week => format!("{}-W{:02}", key.div_euclid(100), key.rem_euclid(100)),
            GroupBy::Quarter => format!("{}-Q{}", key.div_euclid(10), key.rem_euclid(10)),
            GroupBy::District => match key {
                NO_DISTRICT => "(none)".to_string(),
                id => self.district_names[id as usize].to_string(),
            },
        }
    }

    fn finish(mut self, rule: AbandonedRule) -> Vec<KpiGroup> {
        let accs = std::mem::take(&mut self.groups.accs);
        let mut groups: Vec<(i64, KpiGroup)> = Vec::with_capacity(accs.len());
        for (key, acc) in self.groups.keys.iter().zip(accs) {
            groups.push((
                *key,
                KpiGroup {
                    key: self.label(*key),
                    kpis: acc.finish(rule),
                },
            ));
        }
        match self.by {
            GroupBy::District => groups.sort_by(|(a, ga), (b, gb)| {
                (*a == NO_DISTRICT, &ga.key).cmp(&(*b == NO_DISTRICT, &gb.key))
            }),
            _ => groups.sort_by_key(|(k, _)| *k),
        }
        groups.into_iter().map(|(_, g)| g).collect()
    }
}

/// The KPIs of the calls in `log` received in `[opts.from, opts.to)`, against the service
/// targets, and per group when `opts.by` is set.
///
/// One pass over the calls plus a linear-time selection for the percentiles: a national year
/// (≈3 million calls) takes well under a second.
pub fn kpis<L: CallLog + ?Sized>(log: &L, opts: &KpiOptions) -> KpiReport {
    let n = log.n_calls();
    let mut overall = Acc::with_capacity(n);
    let mut grouper = opts.by.map(Grouper::new);
    for row in 0..n {
        let received = log.received_at(row);
        if !opts.includes(received) {
            continue;
        }
        let f = facts(log, row);
        overall.add(f);
        if let Some(g) = grouper.as_mut() {
            let key = g.key(log, row, received);
            g.groups.acc(key).add(f);
        }
    }
    let kpis = overall.finish(opts.abandoned);
    KpiReport {
        targets: Targets::check(&kpis),
        kpis,
        abandoned_rule: opts.abandoned,
        from: opts.from,
        to: opts.to,
        by: opts.by,
        groups: grouper
            .map(|g| g.finish(opts.abandoned))
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_linearly() {
        let mut v = vec![40, 10, 30, 20];
        assert_eq!(percentile(&mut v, 1, 2), Some(25.0));
        assert_eq!(percentile(&mut v, 9, 10), Some(37.0));
        let mut v: Vec<i32> = (1..=11).rev().collect();
        assert_eq!(percentile(&mut v, 1, 2), Some(6.0));
        assert_eq!(percentile(&mut v, 9, 10), Some(10.0));
        assert_eq!(percentile(&mut [7], 9, 10), Some(7.0));
        assert_eq!(percentile(&mut [], 1, 2), None);
    }

    #[test]
    fn names_parse_back() {
        for g in GroupBy::ALL {
            assert_eq!(g.as_str().parse::<GroupBy>(), Ok(g));
        }
        assert!("hours".parse::<GroupBy>().is_err());
        assert_eq!(
            "counted_as_missed".parse::<AbandonedRule>(),
            Ok(AbandonedRule::CountAsMissed)
        );
        assert!("missed".parse::<AbandonedRule>().is_err());
    }
}
