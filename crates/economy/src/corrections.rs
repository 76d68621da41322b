//! The correction of an isolated 6101 (DOMAIN.md §3, seed 000): a forgotten talk-therapy
//! service billed as a consultation 0101 is corrected on two bill cards of the 0101's date —
//! card 1: `0101` quantity −1; card 2: `6101` quantity +1. Only before the region's control:
//! once the region has found the isolated 6101 it can no longer be corrected.

use crate::bills::{ClinicBill, NetLine};
use crate::controls::evaluate;
use crate::rules::{RuleKind, RuleSet};
use almen_core::Day;
use almen_dataset::{Dataset, NONE};
use almen_reference::ServiceCode;
use serde::Serialize;
use std::io::Write;

/// How far from the isolated 6101 a 0101 is looked for (days, either side).
pub const MATCH_WINDOW_DAYS: i32 = 90;

/// One proposed correction: the 0101 to turn into the 6101.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    pub clinic: u32,
    pub patient: u32,
    /// The isolated 6101's date.
    pub talk_date: Day,
    /// The date of the 0101 that is corrected: both correction cards carry it.
    pub date: Day,
    /// Minutes after midnight of the 0101, if known.
    pub time: Option<u16>,
    /// Row of a doctor on the 0101 line, or [`NONE`].
    pub doctor: u32,
    /// The 0101 claims rows corrected.
    pub rows: Vec<u32>,
}

/// Proposals for every isolated 6101 of the clinic in `year` with a matching 0101: a net 0101
/// of the same patient in the same year within [`MATCH_WINDOW_DAYS`] of the 6101, on a day
/// without a 6101; the nearest such 0101, the later one on a tie (the series continues after
/// the first talk).
pub fn propose(ds: &Dataset, rules: &RuleSet, clinic: u32, year: i32) -> Vec<Proposal> {
    let Some(ri) = rules
        .rules
        .iter()
        .position(|r| matches!(r.kind, RuleKind::Isolated6101))
    else {
        return Vec::new();
    };
    let talk = rules.rules[ri].codes[0];
    let consultation = ServiceCode::parse("0101").expect("0101 is a service code");
    let bill = ClinicBill::build(ds, clinic, Some(year));
    let only = RuleSet {
        file: rules.file.clone(),
        rules: vec![rules.rules[ri].clone()],
    };
    let mut out = Vec::new();
    for f in evaluate(ds, &bill, &only) {
        let lines: Vec<&NetLine> = bill
            .lines
            .iter()
            .filter(|l| l.patient == f.patient)
            .collect();
        let talk_days: Vec<Day> = lines
            .iter()
            .filter(|l| l.code == talk && l.quantity != 0)
            .map(|l| l.date)
            .collect();
        let best = lines
            .iter()
            .filter(|l| {
                l.code == consultation
                    && l.quantity > 0
                    && !talk_days.contains(&l.date)
                    && f.date.days_until(l.date).abs() <= MATCH_WINDOW_DAYS
            })
            .min_by_key(|l| {
                let d = f.date.days_until(l.date);
                (d.abs(), d < 0)
            });
        if let Some(l) = best {
            let rows = bill.rows_of(l).to_vec();
            let c = &ds.claims;
            let first = rows
                .iter()
                .copied()
                .find(|&r| c.quantity[r as usize] > 0)
                .unwrap_or(rows[0]) as usize;
            out.push(Proposal {
                clinic,
                patient: f.patient,
                talk_date: f.date,
                date: l.date,
                time: c.service_time[first],
                doctor: c.doctor[first],
                rows,
            });
        }
    }
    out
}

/// The claims-format header (docs/extract-format.md).
pub const CLAIMS_HEADER: [&str; 11] = [
    "claim_id",
    "card_id",
    "patient_id",
    "clinic_id",
    "doctor_id",
    "service_code",
    "quantity",
    "service_date",
    "service_time",
    "submitted_date",
    "fee_dkk",
];

/// Writes the proposals as a correction-card file in the claims format: per proposal two
/// cards, `KORR-<clinic>-<n>-1` with `0101` −1 and `KORR-<clinic>-<n>-2` with the talk code
/// +1, both on the 0101's date, submitted on `submitted`. `fee_dkk` is left empty: the region
/// prices the lines from the fee schedule in force.
pub fn write_correction_cards(
    ds: &Dataset,
    proposals: &[Proposal],
    talk_code: ServiceCode,
    submitted: Day,
    out: impl Write,
) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CLAIMS_HEADER)?;
    for (n, p) in proposals.iter().enumerate() {
        let clinic = ds.clinics.id.get(p.clinic as usize);
        let doctor = if p.doctor == NONE {
            ""
        } else {
            ds.doctors.id.get(p.doctor as usize)
        };
        let time = p
            .time
            .map(|t| format!("{:02}:{:02}", t / 60, t % 60))
            .unwrap_or_default();
        for (k, (code, q)) in [("0101", "-1"), (talk_code.as_str(), "1")]
            .into_iter()
            .enumerate()
        {
            let card = format!("KORR-{clinic}-{}-{}", n + 1, k + 1);
            w.write_record([
                format!("{card}-1").as_str(),
                &card,
                ds.patients.id.get(p.patient as usize),
                clinic,
                doctor,
                code,
                q,
                &p.date.to_string(),
                &time,
                &submitted.to_string(),
                "",
            ])?;
        }
    }
    w.flush()?;
    Ok(())
}
