//! Bill-card lines (claims) of one listed patient for the year.
//!
//! Contacts per person-year follow `data/contacts.csv` by age and sex, raised by chronic
//! conditions and frailty (normalised so the age/sex means stay as published). Each contact is
//! one bill card (`card_id`) with one or more lines (`claim_id`): the contact service and its
//! add-ons (blood sample 2101, procedures, travel supplements with home visits). Cards are
//! mostly with the patient's own doctor; the clinic's continuity decides how often.

use crate::calendar::Calendar;
use crate::ids;
use crate::medical::{self, Person};
use crate::rng::{self, R};
use crate::world::{ClinicPlan, SERVICE_6101, SERVICE_CODES, World};
use almen_core::{Day, Sex};
use almen_dataset::{DiagnosisSystem, NONE, Tables};
use almen_reference::ServiceCode;

/// Indexes into [`Services`] (order of `SERVICE_CODES`, then 6101).
#[derive(Clone, Copy, Debug)]
pub enum S {
    Consultation = 0,
    Email = 1,
    AnnualCheck = 2,
    Outreach = 3,
    Video = 4,
    Phone = 5,
    HomeVisit = 6,
    BloodSample = 7,
    Cytology = 8,
    ForeignBodyEye = 9,
    ForeignBodySkin = 10,
    Bandage = 11,
    Wound = 12,
    Biopsy = 13,
    JointAspiration = 14,
    Smi2150 = 15,
    Travel4 = 16,
    Travel8 = 17,
    Travel12 = 18,
    Travel16 = 19,
    Travel20 = 20,
    TravelFar = 21,
    TalkTherapy = 22,
}

pub struct Services {
    pub codes: Vec<ServiceCode>,
}

impl Services {
    pub fn new() -> Services {
        let codes = SERVICE_CODES
            .iter()
            .chain(std::iter::once(&SERVICE_6101))
            .map(|c| ServiceCode::parse(c).expect("built-in service codes are four digits"))
            .collect();
        Services { codes }
    }
}

/// Per-unit state: counters for card and claim ids.
pub struct ClaimCtx<'w> {
    pub world: &'w World,
    pub svc: &'w Services,
    pub plan: &'w ClinicPlan,
    pub clinic: u32,
    pub unit: u32,
    pub radius_km: f64,
    pub cards: u64,
    pub lines: u64,
}

/// The lines of a card: at most three (a service and its add-ons), kept inline.
#[derive(Clone, Copy)]
struct Lines {
    items: [(S, i32); 3],
    len: usize,
}

impl Lines {
    fn one(s: S, q: i32) -> Lines {
        Lines {
            items: [(s, q); 3],
            len: 1,
        }
    }
    fn push(&mut self, l: (S, i32)) {
        if self.len < 3 {
            self.items[self.len] = l;
            self.len += 1;
        }
    }
    fn first(&self) -> S {
        self.items[0].0
    }
    fn set_first(&mut self, s: S) {
        self.items[0].0 = s;
    }
    fn iter(&self) -> impl Iterator<Item = &(S, i32)> {
        self.items[..self.len].iter()
    }
}

struct Card {
    date: Day,
    time: Option<u16>,
    doctor: u32,
    lines: Lines,
    /// Submitted at least this many days after the ordinary submission (corrections).
    late: i32,
}

/// Acute, self-limiting diagnoses recorded at some contacts (ICPC-2), by age group:
/// children (otitis, viral illness, gastroenteritis), adults (respiratory infection, cystitis,
/// back pain, skin), the old (pneumonia, bronchitis). Approximate case mix of Danish general
/// practice (KiAP/DAK-E reports: respiratory and musculoskeletal problems lead).
const ACUTE_CHILD: [(&str, f64); 5] = [
    ("H71", 0.3),
    ("A77", 0.25),
    ("R74", 0.25),
    ("D73", 0.12),
    ("S74", 0.08),
];
#[rustfmt::skip]
const ACUTE_ADULT: [(&str, f64); 7] = [
    ("R74", 0.3),
    ("U71", 0.15),
    ("L03", 0.15),
    ("L86", 0.1),
    ("S74", 0.1),
    ("R78", 0.1),
    ("S88", 0.1),
];
const ACUTE_OLD: [(&str, f64); 5] = [
    ("R78", 0.25),
    ("R81", 0.2),
    ("U71", 0.25),
    ("L03", 0.15),
    ("R74", 0.15),
];

impl ClaimCtx<'_> {
    fn cal(&self) -> &Calendar {
        &self.world.calendar
    }

    fn card(&self, r: &mut R, own: u32, date: Day, kind: S) -> Card {
        Card {
            date,
            time: service_time(r, kind),
            doctor: self.doctor(r, own),
            lines: Lines::one(kind, 1),
            late: 0,
        }
    }

    fn doctor(&self, r: &mut R, own: u32) -> u32 {
        if rng::chance(r, self.plan.continuity) {
            own
        } else {
            rng::pick_from(r, &self.plan.all_doctors)
        }
    }

    fn submitted(&self, r: &mut R, d: Day) -> Day {
        if self.plan.monthly_billing {
            // First working day of the next month (bills sent monthly, agreement §87(5)).
            let next = if d.month() == 12 {
                Day::from_ymd(d.year() + 1, 1, 1)
            } else {
                Day::from_ymd(d.year(), d.month() + 1, 1)
            }
            .unwrap_or(d.add_days(30));
            self.cal()
                .next_workday(next)
                .add_days(rng::range(r, 0, 3) as i32)
        } else {
            // Weekly: the next Monday, sometimes a day or two later.
            let to_monday = 7 - d.weekday() as i32;
            d.add_days(to_monday + rng::range(r, 0, 3) as i32)
        }
    }

    fn write(&mut self, r: &mut R, t: &mut Tables, row: u32, card: &Card) {
        self.cards += 1;
        let mut card_id = [0u8; 32];
        let len = ids::format_into(
            &mut card_id,
            "K",
            self.unit as u64 * 1_000_000 + self.cards,
            10,
        );
        let card_id = std::str::from_utf8(&card_id[..len]).unwrap_or("K");
        let mut submitted = self.submitted(r, card.date);
        if card.late > 0 {
            submitted = submitted.add_days(card.late);
        }
        let day_index = self.cal().first.days_until(card.date).max(0) as usize;
        let c = &mut t.claims;
        for &(s, q) in card.lines.iter() {
            self.lines += 1;
            ids::push(
                &mut c.claim_id,
                "",
                self.unit as u64 * 10_000_000 + self.lines,
                11,
            );
            ids::push_str(&mut c.card_id, card_id);
            c.patient.push(row);
            c.clinic.push(self.clinic);
            // Blood samples are often taken by the clinic's staff: no doctor on the line.
            let doctor = if matches!(s, S::BloodSample) && rng::chance(r, 0.5) {
                NONE
            } else {
                card.doctor
            };
            c.doctor.push(doctor);
            let code = self.svc.codes[s as usize];
            c.service.push(code);
            c.quantity.push(q);
            c.service_date.push(card.date);
            c.service_time.push(card.time);
            c.submitted.push(submitted);
            c.fee_dkk
                .push(self.world.fees.on(code, day_index).map(|f| f * q as f64));
        }
    }
}

/// Clinic hours: consultations 08:00-15:45 in quarter-hour slots (mornings fuller), the phone
/// hour 08-09 for most phone consultations, home visits around midday; e-consultations often
/// carry no time.
fn service_time(r: &mut R, kind: S) -> Option<u16> {
    let m = match kind {
        S::Phone => {
            if rng::chance(r, 0.6) {
                rng::range(r, 480, 540)
            } else {
                rng::range(r, 540, 900)
            }
        }
        S::Email => {
            if rng::chance(r, 0.3) {
                return None;
            }
            rng::range(r, 480, 960)
        }
        S::HomeVisit | S::Outreach => 660 + 15 * rng::range(r, 0, 19),
        _ => {
            let slot = (32.0 * rng::unit(r).powf(1.2)) as i64;
            480 + 15 * slot.min(31)
        }
    };
    Some(m as u16)
}

/// 4201-4206: the doctor's travel time by distance band (up to 4 km … over 20 km).
fn travel_code(r: &mut R, radius_km: f64) -> S {
    let km = 0.5 + rng::unit(r) * radius_km * 1.3;
    const BANDS: [S; 6] = [
        S::Travel4,
        S::Travel8,
        S::Travel12,
        S::Travel16,
        S::Travel20,
        S::TravelFar,
    ];
    BANDS[((km / 4.0) as usize).min(5)]
}

/// Generates the patient's cards for the year.
pub fn claims(r: &mut R, ctx: &mut ClaimCtx, p: &Person, t: &mut Tables) {
    let cal = &ctx.world.calendar;
    if !p.listed || p.to < p.from {
        return;
    }
    let own = rng::pick_from(r, &ctx.plan.list_doctors);
    let frac = (p.from.days_until(p.to) + 1) as f64 / cal.days() as f64;
    let s = p.sex.index();
    let params = crate::data::params();
    let e = medical::model().expected_conditions[s][p.band];
    let mut rate =
        params.contacts[s][p.band] * (0.3 * p.z - 0.045).exp() * (1.0 + 0.3 * p.n_active() as f64)
            / (1.0 + 0.3 * e)
            * frac;
    if p.group2 {
        rate *= 0.6;
    }
    if p.death.is_some() {
        rate *= 1.4;
    }
    let mut cards: Vec<Card> = Vec::new();

    // Lab visits (the HbA1c/eGFR dates): consultation and blood sample; the first one is the
    // chronic-care annual check (0120) for patients with a chronic condition.
    let chronic = medical::ANNUAL_CHECK.iter().any(|c| p.active(*c));
    let mut annual_done = !(chronic && rng::chance(r, 0.85));
    for &d in &p.lab_days {
        let mut c = ctx.card(r, own, d, S::Consultation);
        if !annual_done {
            c.lines.set_first(S::AnnualCheck);
            annual_done = true;
            // Annual checks are often delegated to the clinic's nurse.
            if rng::chance(r, 0.2) {
                c.doctor = NONE;
            }
        }
        c.lines.push((S::BloodSample, 1));
        cards.push(c);
    }
    if !annual_done && let Some(d) = cal.workday_in(r, p.from, p.to) {
        let mut c = ctx.card(r, own, d, S::AnnualCheck);
        if rng::chance(r, 0.6) {
            c.lines.push((S::BloodSample, 1));
        }
        cards.push(c);
    }
    // Service 2150 for severe mental illness: about 4 in 10 of the target group a year.
    if (p.active(medical::SCHIZO) || p.active(medical::BIPOLAR))
        && rng::chance(r, 0.4)
        && let Some(d) = cal.workday_in(r, p.from, p.to)
    {
        let mut c = ctx.card(r, own, d, S::Consultation);
        c.doctor = own;
        c.lines.push((S::Smi2150, 1));
        cards.push(c);
    }
    talk_therapy(r, ctx, p, own, &mut cards);

    // The other contacts.
    let scheduled = cards.len() as u32;
    let n = rng::poisson(r, rate).saturating_sub(scheduled / 2);
    let home_p = match p.age {
        0..=69 => 0.002,
        70..=79 => 0.02,
        80..=89 => 0.07,
        _ => 0.15,
    } * if p.active(medical::DEMENTIA) {
        2.0
    } else {
        1.0
    };
    let mix: &[(S, f64)] = if p.age < 15 {
        &[
            (S::Consultation, 0.6),
            (S::Phone, 0.25),
            (S::Email, 0.12),
            (S::Video, 0.03),
        ]
    } else if p.age >= 75 {
        &[
            (S::Consultation, 0.5),
            (S::Phone, 0.32),
            (S::Email, 0.16),
            (S::Video, 0.02),
        ]
    } else {
        &[
            (S::Consultation, 0.46),
            (S::Phone, 0.24),
            (S::Email, 0.25),
            (S::Video, 0.05),
        ]
    };
    let mut cytology = p.sex == Sex::F && (23..65).contains(&p.age) && rng::chance(r, 0.25);
    for _ in 0..n {
        let Some(d) = cal.workday_in(r, p.from, p.to) else {
            break;
        };
        let kind = if rng::chance(r, home_p) {
            S::HomeVisit
        } else {
            rng::pick_from(r, mix)
        };
        let mut c = ctx.card(r, own, d, kind);
        match kind {
            S::HomeVisit => c.lines.push((travel_code(r, ctx.radius_km), 1)),
            S::Consultation => {
                if cytology {
                    c.lines.push((S::Cytology, 1));
                    cytology = false;
                } else if rng::chance(r, 0.08) {
                    c.lines.push((S::BloodSample, 1));
                } else if rng::chance(r, 0.025) {
                    let proc = rng::pick_from(
                        r,
                        &[
                            (S::Bandage, 0.2),
                            (S::Wound, 0.25),
                            (S::Biopsy, 0.15),
                            (S::JointAspiration, 0.15),
                            (S::ForeignBodyEye, 0.1),
                            (S::ForeignBodySkin, 0.15),
                        ],
                    );
                    c.lines.push((proc, 1));
                }
            }
            _ => {}
        }
        if matches!(kind, S::Consultation | S::Phone | S::Video) && rng::chance(r, 0.08) {
            let list: &[(&str, f64)] = if p.age < 15 {
                &ACUTE_CHILD
            } else if p.age >= 70 {
                &ACUTE_OLD
            } else {
                &ACUTE_ADULT
            };
            let code = rng::pick_from(r, list);
            let end = d.add_days(rng::range(r, 7, 29) as i32);
            medical::push_dx(t, p.row, DiagnosisSystem::Icpc2, code, d, Some(end));
        }
        cards.push(c);
    }
    // Preventive home visit (0121) for some of the frail old.
    if p.age >= 75
        && rng::chance(r, 0.03)
        && let Some(d) = cal.workday_in(r, p.from, p.to)
    {
        let mut c = ctx.card(r, own, d, S::Outreach);
        c.doctor = own;
        c.lines.push((travel_code(r, ctx.radius_km), 1));
        cards.push(c);
    }
    cards.sort_by_key(|c| (c.date, c.time));
    // Corrections: about 0.5 % of cards are corrected on a later card of the same service date,
    // the wrong line with quantity -1, often with the right service +1.
    let mut corrections = Vec::new();
    for c in &cards {
        if rng::chance(r, 0.005) {
            let wrong = c.lines.first();
            let mut lines = Lines::one(wrong, -1);
            if rng::chance(r, 0.5) {
                let right = match wrong {
                    S::Consultation => S::Phone,
                    S::Phone => S::Email,
                    _ => S::Consultation,
                };
                lines.push((right, 1));
            }
            corrections.push(Card {
                date: c.date,
                time: c.time,
                doctor: c.doctor,
                lines,
                late: rng::range(r, 14, 61) as i32,
            });
        }
    }
    for c in cards.iter().chain(&corrections) {
        ctx.write(r, t, p.row, c);
    }
}

/// Talk therapy (6101): a series of 2-7 conversations 1-3 weeks apart for about a quarter of
/// patients with an active depression a year and ~1 % of other adults (crises, anxiety);
/// approximate. The national control of isolated 6101s (DOMAIN.md §3) finds patients with one
/// 6101 only: about 8 % of series stop after one talk, and in about 4 of 10 of those the second
/// talk was billed as a consultation (0101) by mistake; a third of those were corrected by the
/// clinic: card 1 `0101` −1, card 2 `6101` +1 on the date of the 0101.
fn talk_therapy(r: &mut R, ctx: &ClaimCtx, p: &Person, own: u32, cards: &mut Vec<Card>) {
    let cal = &ctx.world.calendar;
    let eligible = if p.active(medical::DEPRESSION) {
        rng::chance(r, 0.25)
    } else {
        (18..70).contains(&p.age) && rng::chance(r, 0.012)
    };
    if !eligible {
        return;
    }
    let Some(start) = cal.workday_in(r, p.from, p.to) else {
        return;
    };
    let planned = if rng::chance(r, 0.08) {
        1
    } else {
        2 + rng::poisson(r, 2.0).min(5)
    };
    let mut d = start;
    let mut done = 0;
    for _ in 0..planned {
        if d > p.to || !cal.is_workday(d) {
            break;
        }
        let mut c = ctx.card(r, own, d, S::TalkTherapy);
        c.doctor = own;
        cards.push(c);
        done += 1;
        d = cal.next_workday(d.add_days(rng::range(r, 7, 22) as i32));
    }
    if done == 1 && rng::chance(r, 0.4) {
        let d = cal.next_workday(start.add_days(rng::range(r, 14, 36) as i32));
        if d <= p.to && cal.is_workday(d) {
            let mut c = ctx.card(r, own, d, S::Consultation);
            c.doctor = own;
            let time = c.time;
            cards.push(c);
            if rng::chance(r, 0.35) {
                let late = rng::range(r, 30, 91) as i32;
                for (s, q) in [(S::Consultation, -1), (S::TalkTherapy, 1)] {
                    cards.push(Card {
                        date: d,
                        time,
                        doctor: own,
                        lines: Lines::one(s, q),
                        late,
                    });
                }
            }
        }
    }
}
