//! Bill cards (regningskort): claims lines netted per patient, date and service code, priced
//! from the line or from the catalogue in force on the service date, and capitation.

use almen_core::Day;
use almen_dataset::{Dataset, NONE};
use almen_reference::{ServiceCode, fee_on, fee_types};
use serde::Serialize;

/// "No time" in [`NetLine::time`].
pub const NO_TIME: u16 = u16::MAX;

/// The amount of one claims line: its `fee_dkk` (the amount claimed, quantity included) or,
/// when empty, the catalogue fee in force on the service date times the quantity. `None`
/// when neither is known (Almen never invents a fee).
pub fn line_amount(ds: &Dataset, row: usize) -> Option<f64> {
    let c = &ds.claims;
    c.fee_dkk[row].or_else(|| {
        fee_on(c.service[row], c.service_date[row]).map(|f| f * f64::from(c.quantity[row]))
    })
}

/// One net line of a clinic: every claims line of one patient, date and code summed, so a
/// correction card's −1 cancels the line it corrects.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetLine {
    /// Row in the patients table.
    pub patient: u32,
    pub date: Day,
    pub code: ServiceCode,
    /// Net quantity (0 when fully corrected away, negative for a correction without its line).
    pub quantity: i32,
    /// Net amount of the priced lines (DKK).
    pub amount: f64,
    /// Lines without a fee on the line or in the catalogue.
    pub unpriced: u32,
    /// Minutes after midnight of the first line with a positive quantity, or [`NO_TIME`].
    pub time: u16,
    /// The contributing claims rows: `rows[start..start + len]` of the [`ClinicBill`].
    pub start: u32,
    pub len: u32,
}

/// One clinic's claims for one service year, netted.
#[derive(Debug, Clone, Default)]
pub struct ClinicBill {
    pub clinic: u32,
    /// Claims rows of the year, sorted by patient, date, code, row.
    pub rows: Vec<u32>,
    /// Net lines in the same order.
    pub lines: Vec<NetLine>,
}

impl ClinicBill {
    /// Nets the clinic's claims with a service date in `year` (all years when `None`).
    pub fn build(ds: &Dataset, clinic: u32, year: Option<i32>) -> ClinicBill {
        let c = &ds.claims;
        let (lo, hi) = year_bounds(year);
        let mut rows: Vec<u32> = ds
            .index
            .claims_by_clinic
            .rows_of(clinic)
            .iter()
            .copied()
            .filter(|&r| {
                let d = c.service_date[r as usize];
                d >= lo && d <= hi
            })
            .collect();
        rows.sort_unstable_by_key(|&r| {
            let r = r as usize;
            (c.patient[r], c.service_date[r], c.service[r], r)
        });
        let mut lines: Vec<NetLine> = Vec::with_capacity(rows.len());
        for (i, &r) in rows.iter().enumerate() {
            let r = r as usize;
            let key = (c.patient[r], c.service_date[r], c.service[r]);
            let amount = line_amount(ds, r);
            let q = c.quantity[r];
            let time = match (q > 0, c.service_time[r]) {
                (true, Some(t)) => t,
                _ => NO_TIME,
            };
            match lines.last_mut() {
                Some(l) if (l.patient, l.date, l.code) == key => {
                    l.quantity += q;
                    l.amount += amount.unwrap_or(0.0);
                    l.unpriced += u32::from(amount.is_none());
                    if l.time == NO_TIME {
                        l.time = time;
                    }
                    l.len += 1;
                }
                _ => lines.push(NetLine {
                    patient: key.0,
                    date: key.1,
                    code: key.2,
                    quantity: q,
                    amount: amount.unwrap_or(0.0),
                    unpriced: u32::from(amount.is_none()),
                    time,
                    start: i as u32,
                    len: 1,
                }),
            }
        }
        ClinicBill {
            clinic,
            rows,
            lines,
        }
    }

    /// The claims rows behind a net line.
    pub fn rows_of(&self, l: &NetLine) -> &[u32] {
        &self.rows[l.start as usize..(l.start + l.len) as usize]
    }

    /// Net lines grouped by patient (consecutive runs).
    pub fn by_patient(&self) -> impl Iterator<Item = &[NetLine]> {
        self.lines.chunk_by(|a, b| a.patient == b.patient)
    }
}

/// First and last day of `year`, or the whole range.
pub fn year_bounds(year: Option<i32>) -> (Day, Day) {
    match year.and_then(|y| Some((Day::from_ymd(y, 1, 1)?, Day::from_ymd(y, 12, 31)?))) {
        Some(b) => b,
        None => (
            Day::from_days_since_epoch(i32::MIN / 2),
            Day::from_days_since_epoch(i32::MAX / 2),
        ),
    }
}

/// One bill card as sent: its lines in claims order with the card's total.
#[derive(Debug, Clone, Serialize)]
pub struct BillCard {
    pub card_id: String,
    pub service_date: Day,
    pub submitted: Day,
    pub lines: Vec<BillCardLine>,
    /// Sum of the priced lines (DKK).
    pub total_dkk: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BillCardLine {
    pub claim_id: String,
    pub service_code: ServiceCode,
    pub quantity: i32,
    pub amount_dkk: Option<f64>,
    /// `line` (the line's own fee_dkk), `catalogue` (the fee in force) or `unpriced`.
    pub priced_from: &'static str,
}

/// The bill cards of one patient at one clinic, in card order.
pub fn bill_cards(ds: &Dataset, clinic: u32, patient: u32) -> Vec<BillCard> {
    let c = &ds.claims;
    let mut rows: Vec<u32> = ds
        .index
        .claims_by_patient
        .rows_of(patient)
        .iter()
        .copied()
        .filter(|&r| c.clinic[r as usize] == clinic)
        .collect();
    rows.sort_by(|&a, &b| {
        let (a, b) = (a as usize, b as usize);
        (c.service_date[a], c.card_id.get(a), a).cmp(&(c.service_date[b], c.card_id.get(b), b))
    });
    let mut cards: Vec<BillCard> = Vec::new();
    for r in rows {
        let r = r as usize;
        let amount = line_amount(ds, r);
        let line = BillCardLine {
            claim_id: c.claim_id.get(r).to_string(),
            service_code: c.service[r],
            quantity: c.quantity[r],
            amount_dkk: amount,
            priced_from: match (c.fee_dkk[r], amount) {
                (Some(_), _) => "line",
                (None, Some(_)) => "catalogue",
                _ => "unpriced",
            },
        };
        match cards.last_mut() {
            Some(card) if card.card_id == c.card_id.get(r) => {
                card.total_dkk += amount.unwrap_or(0.0);
                card.lines.push(line);
            }
            _ => cards.push(BillCard {
                card_id: c.card_id.get(r).to_string(),
                service_date: c.service_date[r],
                submitted: c.submitted[r],
                total_dkk: amount.unwrap_or(0.0),
                lines: vec![line],
            }),
        }
    }
    cards
}

/// The capitation fee (basishonorar) per listed group-1 patient per year from the catalogue,
/// with its price level. The only public amount is old (2003) and marked secondary: load a
/// price table for real figures.
pub fn capitation_fee() -> Option<(f64, &'static str)> {
    fee_types()
        .iter()
        .find(|f| f.category == "basishonorar")
        .and_then(|f| Some((f.dkk?, f.price_level.as_str())))
}

/// A clinic's capitation for `year`: every group-1 patient listed with it, pro rata for the
/// days of the year the patient was listed (from `listed_since`, until death).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Capitation {
    pub clinic_id: String,
    /// Listed group-1 patient-years.
    pub patient_years: f64,
    pub fee_per_patient_dkk: f64,
    pub capitation_dkk: f64,
}

pub fn capitation(ds: &Dataset, clinic: u32, year: i32, fee_per_patient: f64) -> Capitation {
    let (lo, hi) = year_bounds(Some(year));
    let days_in_year = f64::from(lo.days_until(hi) + 1);
    let p = &ds.patients;
    let mut years = 0.0;
    if clinic != NONE {
        for &r in ds.index.patients_by_clinic.rows_of(clinic) {
            let r = r as usize;
            if p.group[r] != 1 {
                continue;
            }
            let from = p.listed_since[r].map_or(lo, |d| d.max(lo));
            let to = p.deceased[r].map_or(hi, |d| d.add_days(-1).min(hi));
            if to >= from {
                years += f64::from(from.days_until(to) + 1) / days_in_year;
            }
        }
    }
    Capitation {
        clinic_id: ds.clinics.id.get(clinic as usize).to_string(),
        patient_years: years,
        fee_per_patient_dkk: fee_per_patient,
        capitation_dkk: years * fee_per_patient,
    }
}
