//! The weekend 07:45 trial (DOMAIN.md §1): day doctors start answering at 07:45 instead of
//! 08:00 on weekends and holidays, and the trial measures the waits of calls received
//! 07:30-08:00 on those days before and after the change.

use crate::calendar::{LocalClock, OffDayCache};
use crate::calls::CallLog;
use crate::kpi::{Acc, KpiOptions, Kpis, Targets, facts};
use almen_core::{Day, Timestamp};
use serde::Serialize;
use std::collections::HashSet;
use std::ops::Deref;

/// The window the trial measures, local time: 07:30:00 inclusive …
pub const WINDOW_START_S: u32 = 7 * 3_600 + 30 * 60;
/// … to 08:00:00 exclusive.
pub const WINDOW_END_S: u32 = 8 * 3_600;
/// Width of the slots the window is split into.
pub const SLOT_S: u32 = 5 * 60;
const N_SLOTS: usize = ((WINDOW_END_S - WINDOW_START_S) / SLOT_S) as usize;

/// The KPIs of the window in one period (before or after the change).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowKpis {
    /// Weekend/holiday dates with at least one call in the window.
    pub days: u32,
    #[serde(flatten)]
    pub kpis: Kpis,
    pub targets: Targets,
}

impl Deref for WindowKpis {
    type Target = Kpis;
    fn deref(&self) -> &Kpis {
        &self.kpis
    }
}

/// One 5-minute slot of the window (by the local time the call was received), before and
/// after the change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlotKpis {
    /// Start of the slot, `"07:30"` … `"07:55"`.
    pub slot: String,
    pub before: Kpis,
    pub after: Kpis,
}

/// The weekend 07:30-08:00 window before and after the 07:45 start.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Weekend0745Report {
    /// The first day of the 07:45 start: calls on earlier dates are *before*, on this date and
    /// later *after*.
    pub change_date: Day,
    /// `"07:30-08:00"`.
    pub window: String,
    pub abandoned_rule: crate::AbandonedRule,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub before: WindowKpis,
    pub after: WindowKpis,
    /// The six 5-minute slots, in time order (always all six, empty ones with `null`s).
    pub slots: Vec<SlotKpis>,
}

/// For weekend/holiday calls received 07:30-08:00 local time (within `opts.from`/`opts.to`),
/// the KPIs before and after `change_date`, and per 5-minute slot. `opts.by` is not used.
pub fn weekend_0745_report<L: CallLog + ?Sized>(
    log: &L,
    change_date: Day,
    opts: &KpiOptions,
) -> Weekend0745Report {
    let change = i64::from(change_date.days_since_epoch());
    let mut clock = LocalClock::new();
    let mut off_days = OffDayCache::new();
    let mut periods = [Acc::default(), Acc::default()];
    let mut slots: [[Acc; N_SLOTS]; 2] = Default::default();
    let mut days: [HashSet<i64>; 2] = Default::default();
    for row in 0..log.n_calls() {
        let received = log.received_at(row);
        if !opts.includes(received) {
            continue;
        }
        let local = clock.local(received);
        if local.second < WINDOW_START_S
            || local.second >= WINDOW_END_S
            || !off_days.is_off(local.day)
        {
            continue;
        }
        let period = usize::from(local.day >= change);
        let slot = ((local.second - WINDOW_START_S) / SLOT_S) as usize;
        let f = facts(log, row);
        periods[period].add(f);
        slots[period][slot].add(f);
        days[period].insert(local.day);
    }
    let rule = opts.abandoned;
    let [before_slots, after_slots] = slots;
    let slots = before_slots
        .into_iter()
        .zip(after_slots)
        .enumerate()
        .map(|(i, (b, a))| {
            let start = WINDOW_START_S + i as u32 * SLOT_S;
            SlotKpis {
                slot: clock_label(start),
                before: b.finish(rule),
                after: a.finish(rule),
            }
        })
        .collect();
    let [before, after] = periods;
    let window = |acc: Acc, days: &HashSet<i64>| {
        let kpis = acc.finish(rule);
        WindowKpis {
            days: days.len() as u32,
            targets: Targets::check(&kpis),
            kpis,
        }
    };
    Weekend0745Report {
        change_date,
        window: format!(
            "{}-{}",
            clock_label(WINDOW_START_S),
            clock_label(WINDOW_END_S)
        ),
        abandoned_rule: rule,
        from: opts.from,
        to: opts.to,
        before: window(before, &days[0]),
        after: window(after, &days[1]),
        slots,
    }
}

fn clock_label(second_of_day: u32) -> String {
    format!(
        "{:02}:{:02}",
        second_of_day / 3_600,
        second_of_day % 3_600 / 60
    )
}
