//! The out-of-hours service's vocabulary: call states and the events that move them, triage
//! urgency, home-visit statuses, shifts, and masking of phone numbers.
//!
//! The state machine is a pure function ([`transition`]) so that its rules are tested without a
//! database, and the intake handler only stores what it allows.

use almen_core::Timestamp;
use axum::http::StatusCode;
use chrono::{Duration, NaiveTime, Timelike};

/// Where a call is. `queued` and `offered` are waiting (in the queue); `answered` and
/// `transferred` are with a doctor; `ended` and `abandoned` are closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallState {
    Queued,
    Offered,
    Answered,
    Transferred,
    Ended,
    Abandoned,
}

impl CallState {
    pub const ALL: [CallState; 6] = [
        CallState::Queued,
        CallState::Offered,
        CallState::Answered,
        CallState::Transferred,
        CallState::Ended,
        CallState::Abandoned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallState::Queued => "queued",
            CallState::Offered => "offered",
            CallState::Answered => "answered",
            CallState::Transferred => "transferred",
            CallState::Ended => "ended",
            CallState::Abandoned => "abandoned",
        }
    }

    pub fn parse(s: &str) -> Option<CallState> {
        CallState::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// In the queue: not yet answered.
    pub fn is_waiting(self) -> bool {
        matches!(self, CallState::Queued | CallState::Offered)
    }

    pub fn is_closed(self) -> bool {
        matches!(self, CallState::Ended | CallState::Abandoned)
    }
}

/// What the phone system reports about a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// The call entered the queue (with the caller's number, the urgent option, the district).
    Entered,
    /// The phone system rang a visitator with it; the call is still waiting.
    Offered,
    /// A visitator took it.
    Answered,
    /// It was passed on (to a colleague or another line) and continues.
    Transferred,
    /// The conversation ended.
    Ended,
    /// The caller hung up before anyone answered.
    Abandoned,
}

impl EventType {
    pub const ALL: [EventType; 6] = [
        EventType::Entered,
        EventType::Offered,
        EventType::Answered,
        EventType::Transferred,
        EventType::Ended,
        EventType::Abandoned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Entered => "entered",
            EventType::Offered => "offered",
            EventType::Answered => "answered",
            EventType::Transferred => "transferred",
            EventType::Ended => "ended",
            EventType::Abandoned => "abandoned",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A broken rule: the status, a stable machine-readable name, and a message in both languages.
/// Handlers answer it as JSON (`{"error", "error_da", "rule"}`) or show it on the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub status: StatusCode,
    pub rule: &'static str,
    pub en: String,
    pub da: String,
}

impl Rule {
    pub fn conflict(rule: &'static str, en: impl Into<String>, da: impl Into<String>) -> Rule {
        Rule {
            status: StatusCode::CONFLICT,
            rule,
            en: en.into(),
            da: da.into(),
        }
    }

    pub fn invalid(rule: &'static str, en: impl Into<String>, da: impl Into<String>) -> Rule {
        Rule {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            rule,
            en: en.into(),
            da: da.into(),
        }
    }

    pub fn not_found(rule: &'static str, en: impl Into<String>, da: impl Into<String>) -> Rule {
        Rule {
            status: StatusCode::NOT_FOUND,
            rule,
            en: en.into(),
            da: da.into(),
        }
    }
}

/// What is known of a call when an event for it arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSoFar {
    pub state: CallState,
    pub last_event_at: Timestamp,
    pub visitator: Option<String>,
}

/// What an accepted event does to the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// `entered`: a new call in the queue.
    Create,
    /// The call moves to this state.
    Move(CallState),
    /// Accepted and stored, but the call already is where the event says (the phone system
    /// confirms an answer that the visitator made in Almen).
    Confirm,
}

/// The rules of the call state machine: which event may follow which state.
///
/// ```text
/// entered → queued ─offered→ offered ─answered→ answered ─transferred→ transferred
///    queued/offered ─abandoned→ abandoned         answered/transferred ─ended→ ended
///                                                 transferred ─answered→ answered
/// ```
/// Events of a call must come in time order, and nothing follows `ended` or `abandoned`.
pub fn transition(
    call_id: &str,
    call: Option<&CallSoFar>,
    kind: EventType,
    at: Timestamp,
    visitator: Option<&str>,
) -> Result<Effect, Rule> {
    let Some(call) = call else {
        return match kind {
            EventType::Entered => Ok(Effect::Create),
            other => Err(Rule::conflict(
                "call_not_entered",
                format!(
                    "call {call_id:?} has not entered the queue: '{}' must come after 'entered'",
                    other.as_str()
                ),
                format!(
                    "opkaldet {call_id:?} er ikke kommet i kø: '{}' skal komme efter 'entered'",
                    other.as_str()
                ),
            )),
        };
    };
    if kind == EventType::Entered {
        return Err(Rule::conflict(
            "call_already_entered",
            format!("call {call_id:?} has already entered the queue"),
            format!("opkaldet {call_id:?} er allerede kommet i kø"),
        ));
    }
    // The visitator ended the call in Almen; the phone system's own end only confirms it.
    if kind == EventType::Ended && call.state == CallState::Ended {
        return Ok(Effect::Confirm);
    }
    if call.state.is_closed() {
        return Err(Rule::conflict(
            "call_closed",
            format!(
                "call {call_id:?} is {}: no event may follow",
                call.state.as_str()
            ),
            format!(
                "opkaldet {call_id:?} er afsluttet ({}): der kan ikke komme flere hændelser",
                call.state.as_str()
            ),
        ));
    }
    if at < call.last_event_at {
        return Err(Rule::conflict(
            "out_of_order",
            format!(
                "the events of a call come in time order: '{}' at {at} is before the call's last event at {}",
                kind.as_str(),
                call.last_event_at
            ),
            format!(
                "et opkalds hændelser kommer i tidsorden: '{}' kl. {at} er før opkaldets seneste hændelse kl. {}",
                kind.as_str(),
                call.last_event_at
            ),
        ));
    }
    use CallState as S;
    use EventType as E;
    let effect = match (kind, call.state) {
        (E::Offered, S::Queued | S::Offered) => Effect::Move(S::Offered),
        (E::Answered, S::Queued | S::Offered | S::Transferred) => Effect::Move(S::Answered),
        // The visitator took the call in Almen and the phone system reports the same answer.
        (E::Answered, S::Answered)
            if visitator.is_none() || visitator == call.visitator.as_deref() =>
        {
            Effect::Confirm
        }
        (E::Answered, S::Answered) => {
            return Err(Rule::conflict(
                "call_already_answered",
                format!(
                    "call {call_id:?} is already answered by {}",
                    call.visitator.as_deref().unwrap_or("another visitator")
                ),
                format!(
                    "opkaldet {call_id:?} er allerede besvaret af {}",
                    call.visitator.as_deref().unwrap_or("en anden visitator")
                ),
            ));
        }
        (E::Transferred, S::Answered | S::Transferred) => Effect::Move(S::Transferred),
        (E::Ended, S::Answered | S::Transferred) => Effect::Move(S::Ended),
        (E::Abandoned, S::Queued | S::Offered) => Effect::Move(S::Abandoned),
        (kind, state) => {
            let (en, da) = match kind {
                E::Transferred => (
                    "only an answered call can be transferred",
                    "kun et besvaret opkald kan viderestilles",
                ),
                E::Ended => (
                    "only an answered call can end; a call that was never answered is 'abandoned'",
                    "kun et besvaret opkald kan afsluttes; et opkald, der aldrig blev besvaret, er 'abandoned'",
                ),
                E::Abandoned => (
                    "only a call in the queue can be abandoned",
                    "kun et opkald i kø kan opgives",
                ),
                _ => (
                    "only a call in the queue can be offered",
                    "kun et opkald i kø kan tilbydes",
                ),
            };
            return Err(Rule::conflict(
                "invalid_transition",
                format!(
                    "'{}' cannot follow state '{}' (call {call_id:?}): {en}",
                    kind.as_str(),
                    state.as_str()
                ),
                format!(
                    "'{}' kan ikke følge tilstanden '{}' (opkald {call_id:?}): {da}",
                    kind.as_str(),
                    state.as_str()
                ),
            ));
        }
    };
    Ok(effect)
}

/// The urgency a visitator gives a call at triage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// Now: ambulance or immediate visit.
    Acute,
    /// Within the hour.
    Urgent,
    /// Can wait its turn.
    NonUrgent,
}

impl Urgency {
    pub const ALL: [Urgency; 3] = [Urgency::Acute, Urgency::Urgent, Urgency::NonUrgent];

    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Acute => "acute",
            Urgency::Urgent => "urgent",
            Urgency::NonUrgent => "non_urgent",
        }
    }

    pub fn parse(s: &str) -> Option<Urgency> {
        Urgency::ALL.into_iter().find(|u| u.as_str() == s)
    }
}

/// The outcomes a triage can have: the extract format's outcomes without `abandoned`.
pub const TRIAGE_OUTCOMES: [almen_dataset::Outcome; 6] = [
    almen_dataset::Outcome::Advice,
    almen_dataset::Outcome::Consultation,
    almen_dataset::Outcome::HomeVisit,
    almen_dataset::Outcome::Video,
    almen_dataset::Outcome::Referral,
    almen_dataset::Outcome::Ambulance,
];

pub fn parse_triage_outcome(s: &str) -> Option<almen_dataset::Outcome> {
    TRIAGE_OUTCOMES.into_iter().find(|o| o.as_str() == s)
}

/// Where a home visit is. Statuses only move forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VisitStatus {
    Planned,
    OnTheWay,
    Arrived,
    Done,
}

impl VisitStatus {
    pub const ALL: [VisitStatus; 4] = [
        VisitStatus::Planned,
        VisitStatus::OnTheWay,
        VisitStatus::Arrived,
        VisitStatus::Done,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VisitStatus::Planned => "planned",
            VisitStatus::OnTheWay => "on_the_way",
            VisitStatus::Arrived => "arrived",
            VisitStatus::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<VisitStatus> {
        VisitStatus::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The next status, for the driver's one button.
    pub fn next(self) -> Option<VisitStatus> {
        match self {
            VisitStatus::Planned => Some(VisitStatus::OnTheWay),
            VisitStatus::OnTheWay => Some(VisitStatus::Arrived),
            VisitStatus::Arrived => Some(VisitStatus::Done),
            VisitStatus::Done => None,
        }
    }
}

/// A shift of the service, in Danish local time: day 08-16 (weekends and holidays), evening
/// 16-23 (GP-run), night 23-08 (region-run since 1 March 2024), DOMAIN §1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shift {
    pub kind: ShiftKind,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShiftKind {
    Day,
    Evening,
    Night,
}

impl ShiftKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ShiftKind::Day => "day",
            ShiftKind::Evening => "evening",
            ShiftKind::Night => "night",
        }
    }
}

impl Shift {
    /// The shift that `at` falls in.
    pub fn at(at: Timestamp) -> Shift {
        let local = at.to_local().naive_local();
        let date = local.date();
        let hour = local.hour();
        let (kind, start_date, start_h, end_date, end_h) = match hour {
            8..=15 => (ShiftKind::Day, date, 8, date, 16),
            16..=22 => (ShiftKind::Evening, date, 16, date, 23),
            23 => (ShiftKind::Night, date, 23, date + Duration::days(1), 8),
            _ => (ShiftKind::Night, date - Duration::days(1), 23, date, 8),
        };
        let instant = |d: chrono::NaiveDate, h: u32| {
            // 08, 16 and 23 never fall in a DST gap (those are at 02-03), so this holds.
            NaiveTime::from_hms_opt(h, 0, 0)
                .and_then(|t| Timestamp::from_local(d.and_time(t)).ok())
                .unwrap_or(at)
        };
        Shift {
            kind,
            starts_at: instant(start_date, start_h),
            ends_at: instant(end_date, end_h),
        }
    }
}

/// A phone number for places that need to tell calls apart but not call back: only the last
/// two digits are kept (`••••••12`). The board and queue lists use it.
pub fn mask_phone(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    if digits.len() <= 2 {
        return "••".to_string();
    }
    let keep: String = digits[digits.len() - 2..].iter().collect();
    format!("{}{keep}", "•".repeat(digits.len().min(8) - 2))
}

/// `1:05` for 65 minutes, `0:09` for nine; negative durations as `-0:10`.
pub fn hours_minutes(seconds: i64) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    let m = seconds.unsigned_abs() / 60;
    format!("{sign}{}:{:02}", m / 60, m % 60)
}

/// `12:05` (minutes:seconds) for a wait.
pub fn minutes_seconds(seconds: i64) -> String {
    let s = seconds.max(0);
    format!("{}:{:02}", s / 60, s % 60)
}

/// Local `HH:MM` of an instant.
pub fn local_hm(at: Timestamp) -> String {
    at.to_local().format("%H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn so_far(state: CallState, at: &str) -> CallSoFar {
        CallSoFar {
            state,
            last_event_at: t(at),
            visitator: Some("jens".into()),
        }
    }

    #[test]
    fn a_call_must_enter_before_anything_else_happens_to_it() {
        let at = t("2025-03-01T16:00:00");
        assert_eq!(
            transition("c1", None, EventType::Entered, at, None),
            Ok(Effect::Create)
        );
        for kind in &EventType::ALL[1..] {
            let err = transition("c1", None, *kind, at, None).unwrap_err();
            assert_eq!(err.rule, "call_not_entered");
            assert_eq!(err.status, StatusCode::CONFLICT);
        }
    }

    #[test]
    fn the_normal_life_of_a_call_is_accepted() {
        let q = so_far(CallState::Queued, "2025-03-01T16:00:00");
        let at = t("2025-03-01T16:05:00");
        assert_eq!(
            transition("c", Some(&q), EventType::Offered, at, None),
            Ok(Effect::Move(CallState::Offered))
        );
        assert_eq!(
            transition("c", Some(&q), EventType::Answered, at, None),
            Ok(Effect::Move(CallState::Answered))
        );
        let a = so_far(CallState::Answered, "2025-03-01T16:05:00");
        assert_eq!(
            transition("c", Some(&a), EventType::Ended, at, None),
            Ok(Effect::Move(CallState::Ended))
        );
        assert_eq!(
            transition("c", Some(&a), EventType::Transferred, at, None),
            Ok(Effect::Move(CallState::Transferred))
        );
        assert_eq!(
            transition("c", Some(&q), EventType::Abandoned, at, None),
            Ok(Effect::Move(CallState::Abandoned))
        );
    }

    #[test]
    fn broken_orders_name_their_rule() {
        let q = so_far(CallState::Queued, "2025-03-01T16:00:00");
        let at = t("2025-03-01T16:05:00");
        let rule = |c: &CallSoFar, k, at| transition("c", Some(c), k, at, None).unwrap_err().rule;
        assert_eq!(rule(&q, EventType::Ended, at), "invalid_transition");
        assert_eq!(rule(&q, EventType::Entered, at), "call_already_entered");
        assert_eq!(
            rule(&q, EventType::Answered, t("2025-03-01T15:59:59")),
            "out_of_order"
        );
        let e = so_far(CallState::Ended, "2025-03-01T16:00:00");
        assert_eq!(rule(&e, EventType::Answered, at), "call_closed");
        let a = so_far(CallState::Answered, "2025-03-01T16:00:00");
        assert_eq!(rule(&a, EventType::Abandoned, at), "invalid_transition");
        // Another visitator cannot answer a call that is already answered; the same one (or
        // an answer without a name) only confirms it.
        assert_eq!(
            transition("c", Some(&a), EventType::Answered, at, Some("ole"))
                .unwrap_err()
                .rule,
            "call_already_answered"
        );
        assert_eq!(
            transition("c", Some(&a), EventType::Answered, at, Some("jens")),
            Ok(Effect::Confirm)
        );
    }

    #[test]
    fn shifts_follow_danish_local_time() {
        let s = Shift::at(t("2025-03-01T17:30:00"));
        assert_eq!(s.kind, ShiftKind::Evening);
        assert_eq!(s.starts_at, t("2025-03-01T16:00:00"));
        assert_eq!(s.ends_at, t("2025-03-01T23:00:00"));
        let n = Shift::at(t("2025-03-02T03:00:00"));
        assert_eq!(n.kind, ShiftKind::Night);
        assert_eq!(n.starts_at, t("2025-03-01T23:00:00"));
        assert_eq!(n.ends_at, t("2025-03-02T08:00:00"));
        let n = Shift::at(t("2025-03-01T23:10:00"));
        assert_eq!(n.starts_at, t("2025-03-01T23:00:00"));
        assert_eq!(Shift::at(t("2025-03-01T08:00:00")).kind, ShiftKind::Day);
        // The night of the spring DST change is an hour shorter.
        let dst = Shift::at(t("2025-03-30T01:00:00"));
        assert_eq!(dst.starts_at.seconds_until(dst.ends_at), 8 * 3600);
    }

    #[test]
    fn phone_numbers_keep_only_their_last_two_digits() {
        assert_eq!(mask_phone("+45 12 34 56 78"), "••••••78");
        assert_eq!(mask_phone("12345678"), "••••••78");
        assert_eq!(mask_phone("7"), "••");
        assert!(!mask_phone("+4512345678").contains("1234"));
    }

    #[test]
    fn durations_read_as_clock_times() {
        assert_eq!(hours_minutes(65 * 60), "1:05");
        assert_eq!(hours_minutes(-600), "-0:10");
        assert_eq!(minutes_seconds(725), "12:05");
    }
}
