//! Out-of-hours calls (lægevagten) of one unit's residents for the year.
//!
//! Volume: about 0.5 calls per inhabitant a year (Region Midtjylland 697,000 calls in 2014,
//! 0.54 per inhabitant, ~700,000 in 2016; DOMAIN.md §1), most from small children and the old.
//! Timing: the service's opening hours (weekdays 16-08, weekends and holidays all day) with the
//! hour-of-day profile in `calendar.rs`. Waits, talk time, outcomes and follow-up times are set
//! so the service-target KPIs come out near the published Q2-2023 figures (DOMAIN.md §1).

use crate::calendar::{Calendar, local_midnight};
use crate::data;
use crate::ids;
use crate::rng::{self, R};
use almen_core::{Day, Timestamp};
use almen_dataset::{NONE, Outcome, Priority, Tables};
use almen_reference::KommuneCode;
use chrono::Datelike;

/// What the call generator needs to know of a person.
pub struct Caller {
    pub row: u32,
    pub age: u32,
    pub z: f64,
    pub death: Option<Day>,
    pub kommune: KommuneCode,
}

/// Calls a year by age: small children and the old call most. Shape approximate (Danish
/// out-of-hours studies report the highest contact rates for 0-4 and 80+); scaled so the
/// population mean with unknown callers is ~0.5.
fn call_rate(age: u32) -> f64 {
    match age {
        0..=4 => 1.2,
        5..=14 => 0.4,
        15..=24 => 0.47,
        25..=44 => 0.4,
        45..=64 => 0.34,
        65..=79 => 0.44,
        _ => 0.92,
    }
}

/// Outcome shares of answered calls by age group: about 60-70 % advice, ~20 % consultation,
/// 10-12 % home visits overall (most for the old), some video and referrals, ~1 % ambulance
/// (DOMAIN.md §1, "Outcome shares"). Order: advice, consultation, home visit, video, referral,
/// ambulance.
const OUTCOMES_CHILD: [f64; 6] = [0.6, 0.31, 0.03, 0.035, 0.02, 0.005];
const OUTCOMES_ADULT: [f64; 6] = [0.65, 0.215, 0.06, 0.035, 0.03, 0.01];
const OUTCOMES_65: [f64; 6] = [0.56, 0.16, 0.2, 0.02, 0.045, 0.015];
const OUTCOMES_80: [f64; 6] = [0.36, 0.09, 0.45, 0.01, 0.06, 0.03];
const OUTCOMES: [Outcome; 6] = [
    Outcome::Advice,
    Outcome::Consultation,
    Outcome::HomeVisit,
    Outcome::Video,
    Outcome::Referral,
    Outcome::Ambulance,
];
/// Share of callers who press the urgent option (Syddanmark reports about 10 %; DOMAIN.md §1).
const URGENT: f64 = 0.10;
/// Calls whose caller is not identified (no CPR given, visitors): a share of all calls.
const UNKNOWN_CALLER: f64 = 0.09;

struct Call {
    received: Timestamp,
    wait_mean: f64,
    patient: u32,
    age: u32,
    kommune: KommuneCode,
}

pub fn calls(
    r: &mut R,
    cal: &Calendar,
    unit: u32,
    unit_kommune: KommuneCode,
    people: &[Caller],
    t: &mut Tables,
) {
    let mut calls: Vec<Call> = Vec::new();
    for p in people {
        let until = p.death.map(|d| {
            let n = d.add_days(1).to_naive();
            local_midnight(n.year(), n.month(), n.day())
        });
        let n = rng::poisson(r, call_rate(p.age) * (0.25 * p.z - 0.031).exp());
        for _ in 0..n {
            if let Some((received, wait_mean)) = cal.ooh_instant(r, until) {
                calls.push(Call {
                    received,
                    wait_mean,
                    patient: p.row,
                    age: p.age,
                    kommune: p.kommune,
                });
            }
        }
    }
    let unknown = rng::poisson(
        r,
        calls.len() as f64 * UNKNOWN_CALLER / (1.0 - UNKNOWN_CALLER),
    );
    for _ in 0..unknown {
        if let Some((received, wait_mean)) = cal.ooh_instant(r, None) {
            calls.push(Call {
                received,
                wait_mean,
                patient: NONE,
                age: 40,
                kommune: unit_kommune,
            });
        }
    }
    calls.sort_by_key(|c| (c.received, c.patient));
    let params = data::params();
    let c = &mut t.calls;
    for (i, call) in calls.iter().enumerate() {
        ids::push(&mut c.call_id, "V", unit as u64 * 100_000 + i as u64 + 1, 9);
        c.received_at.push(call.received);
        let urgent = rng::chance(r, URGENT);
        c.priority.push(if urgent {
            Priority::Urgent
        } else {
            Priority::Normal
        });
        let district = params.kommune(call.kommune).district;
        let d = c.districts.intern(district);
        c.district.push(d);
        c.patient.push(call.patient);
        // Wait until answered: exponential around the hour's mean (queue pressure), urgent
        // calls about a minute.
        let wait_min = if urgent {
            rng::exp(r, 1.2)
        } else {
            rng::exp(r, call.wait_mean)
        };
        let wait = (wait_min * 60.0).round() as i64 + 5;
        // Abandoned calls: 3-5 %, more likely the longer the wait.
        let p_abandon = 0.012 + 0.11 * (1.0 - (-wait_min / 25.0).exp());
        if !urgent && rng::chance(r, p_abandon) {
            let gave_up = (wait as f64 * (0.3 + 0.7 * rng::unit(r))) as i64;
            c.answered_at.push(None);
            c.ended_at
                .push(Some(call.received.plus_seconds(gave_up.max(10))));
            c.outcome.push(Outcome::Abandoned);
            c.booked_for.push(None);
            c.finished_at.push(None);
            c.visit_started_at.push(None);
            continue;
        }
        let answered = call.received.plus_seconds(wait);
        // Talk time: log-normal, mean about 4 minutes (a doctor answers 100+ calls a shift).
        let talk = (200.0 * (0.55 * rng::normal(r)).exp()).round() as i64 + 20;
        let ended = answered.plus_seconds(talk);
        c.answered_at.push(Some(answered));
        c.ended_at.push(Some(ended));
        let mut w = match call.age {
            0..=14 => OUTCOMES_CHILD,
            15..=64 => OUTCOMES_ADULT,
            65..=79 => OUTCOMES_65,
            _ => OUTCOMES_80,
        };
        if urgent {
            w[2] *= 1.3;
            w[4] *= 2.0;
            w[5] *= 4.0;
        }
        let outcome = OUTCOMES[rng::pick(r, &w)];
        c.outcome.push(outcome);
        match outcome {
            Outcome::Consultation => {
                // A slot at the consultation site after the call, on a 10-minute grid.
                let delay = 15.0 + rng::exp(r, 45.0);
                let slot = (ended.unix() + (delay * 60.0) as i64 + 599) / 600 * 600;
                let booked = Timestamp::from_unix(slot);
                // Finished within an hour of the booked time for ~80 % (target 80 %).
                let late = rng::exp(r, 29.0) + (12.0 + 4.0 * rng::normal(r)).max(4.0);
                c.booked_for.push(Some(booked));
                c.finished_at
                    .push(Some(booked.plus_seconds((late * 60.0) as i64)));
                c.visit_started_at.push(None);
            }
            Outcome::HomeVisit => {
                // Started within 3 hours of triage for ~90 % (target 90 %).
                let delay = 10.0 + rng::exp(r, 70.0);
                c.booked_for.push(None);
                c.finished_at.push(None);
                c.visit_started_at
                    .push(Some(ended.plus_seconds((delay * 60.0) as i64)));
            }
            _ => {
                c.booked_for.push(None);
                c.finished_at.push(None);
                c.visit_started_at.push(None);
            }
        }
    }
}
