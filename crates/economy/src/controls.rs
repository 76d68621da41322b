//! Evaluating a [`RuleSet`] on a clinic's net lines, and the whole analysis (every rule,
//! monthly aggregates and the index accumulators) in one parallel pass over the clinics.

use crate::bills::{ClinicBill, NO_TIME, NetLine};
use crate::index::{CELLS, Groups, cell_of};
use crate::rules::{Deadline, Period, Rule, RuleKind, RuleSet};
use almen_core::{Day, mask_id};
use almen_dataset::{ClinicType, Dataset};
use almen_kpi::is_weekend_or_holiday;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// A finding as computed: rows, not yet ids.
#[derive(Debug, Clone, PartialEq)]
pub struct RawFinding {
    /// Index into the rule set.
    pub rule: usize,
    pub clinic: u32,
    pub patient: u32,
    pub date: Day,
    pub rows: Vec<u32>,
    /// What was found, e.g. `age 61 < 75`.
    pub detail: String,
}

/// A finding as reported: the stable JSON of `almen economy controls`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    pub rule: String,
    pub clinic_id: String,
    /// Masked with [`mask_id`].
    pub patient: String,
    pub claim_ids: Vec<String>,
    pub explanation: String,
    pub explanation_da: String,
    pub service_date: Day,
    pub detail: String,
}

impl RawFinding {
    pub fn public(&self, ds: &Dataset, rules: &RuleSet) -> Finding {
        let r = &rules.rules[self.rule];
        Finding {
            rule: r.id.clone(),
            clinic_id: ds.clinics.id.get(self.clinic as usize).to_string(),
            patient: mask_id(ds.patients.id.get(self.patient as usize)),
            claim_ids: self
                .rows
                .iter()
                .map(|&x| ds.claims.claim_id.get(x as usize).to_string())
                .collect(),
            explanation: format!("{} ({})", r.en, self.detail),
            explanation_da: r.da.clone(),
            service_date: self.date,
            detail: self.detail.clone(),
        }
    }
}

fn period_key(d: Day, p: Period) -> i32 {
    match p {
        Period::Day => d.days_since_epoch(),
        Period::Week => d.add_days(-(d.weekday() as i32)).days_since_epoch(),
        Period::Month => d.year() * 12 + d.month() as i32,
        Period::Quarter => d.year() * 4 + (d.month() as i32 - 1) / 3,
        Period::Year => d.year(),
    }
}

/// The submission deadline of a service date: the Monday after its week (weekly) or the first
/// day of the next month (monthly).
pub fn deadline_of(d: Day, deadline: Deadline) -> Day {
    match deadline {
        Deadline::Weekly => d.add_days(7 - d.weekday() as i32),
        Deadline::Monthly => {
            let (y, m) = if d.month() == 12 {
                (d.year() + 1, 1)
            } else {
                (d.year(), d.month() + 1)
            };
            Day::from_ymd(y, m, 1).unwrap_or(d)
        }
    }
}

fn fmt_time(t: u16) -> String {
    format!("{:02}:{:02}", t / 60, t % 60)
}

/// Every rule on one clinic's net lines.
pub fn evaluate(ds: &Dataset, bill: &ClinicBill, rules: &RuleSet) -> Vec<RawFinding> {
    let mut out = Vec::new();
    for (ri, rule) in rules.rules.iter().enumerate() {
        evaluate_rule(ds, bill, ri, rule, &mut out);
    }
    out
}

fn evaluate_rule(
    ds: &Dataset,
    bill: &ClinicBill,
    ri: usize,
    rule: &Rule,
    out: &mut Vec<RawFinding>,
) {
    let clinic = bill.clinic;
    let positive = |l: &&NetLine| l.quantity > 0 && rule.concerns(l.code);
    let rows_of = |ls: &[&NetLine]| -> Vec<u32> {
        ls.iter()
            .flat_map(|l| bill.rows_of(l).iter().copied())
            .collect()
    };
    let mut push = |l: &NetLine, rows: Vec<u32>, detail: String| {
        out.push(RawFinding {
            rule: ri,
            clinic,
            patient: l.patient,
            date: l.date,
            rows,
            detail,
        })
    };
    match &rule.kind {
        RuleKind::Age { min_age, max_age } => {
            for l in bill.lines.iter().filter(positive) {
                let age = ds.patients.birth_date[l.patient as usize].age_at(l.date);
                let low = min_age.is_some_and(|m| age < m);
                let high = max_age.is_some_and(|m| age > m);
                if low || high {
                    let detail = if low {
                        format!("{} at age {age} < {}", l.code, min_age.unwrap_or(0))
                    } else {
                        format!("{} at age {age} > {}", l.code, max_age.unwrap_or(0))
                    };
                    push(l, bill.rows_of(l).to_vec(), detail);
                }
            }
        }
        RuleKind::MaxCount { max, period } => {
            for p in bill.by_patient() {
                let ls: Vec<&NetLine> = p.iter().filter(positive).collect();
                for g in
                    ls.chunk_by(|a, b| period_key(a.date, *period) == period_key(b.date, *period))
                {
                    let n: i32 = g.iter().map(|l| l.quantity).sum();
                    if n > *max {
                        let detail = format!("{n} in one {period:?} > {max}").to_lowercase();
                        push(g[0], rows_of(g), detail);
                    }
                }
            }
        }
        RuleKind::NotSameDay => {
            for day in bill
                .lines
                .chunk_by(|a, b| (a.patient, a.date) == (b.patient, b.date))
            {
                let ls: Vec<&NetLine> = day.iter().filter(positive).collect();
                if ls.len() >= 2 {
                    let codes: Vec<&str> = ls.iter().map(|l| l.code.as_str()).collect();
                    let detail = format!("{} on one day", codes.join(" + "));
                    push(ls[0], rows_of(&ls), detail);
                }
            }
        }
        RuleKind::RequiresSameDay { requires } => {
            for day in bill
                .lines
                .chunk_by(|a, b| (a.patient, a.date) == (b.patient, b.date))
            {
                let ls: Vec<&NetLine> = day.iter().filter(positive).collect();
                if ls.is_empty() {
                    continue;
                }
                let has = day
                    .iter()
                    .any(|l| l.quantity > 0 && requires.contains(&l.code));
                if !has {
                    let codes: Vec<&str> = ls.iter().map(|l| l.code.as_str()).collect();
                    let req: Vec<&str> = requires.iter().map(|c| c.as_str()).collect();
                    let detail = format!("{} without {}", codes.join(" + "), req.join("/"));
                    push(ls[0], rows_of(&ls), detail);
                }
            }
        }
        RuleKind::TimeWindow { weekdays, offdays } => {
            for l in bill.lines.iter().filter(positive) {
                if l.time == NO_TIME {
                    continue;
                }
                let off = is_weekend_or_holiday(l.date);
                let Some(ws) = (if off { offdays } else { weekdays }) else {
                    continue;
                };
                if !ws.iter().any(|&(a, b)| l.time >= a && l.time < b) {
                    let detail = format!(
                        "{} at {} on a {}",
                        l.code,
                        fmt_time(l.time),
                        if off { "weekend/holiday" } else { "weekday" }
                    );
                    push(l, bill.rows_of(l).to_vec(), detail);
                }
            }
        }
        RuleKind::LateSubmission {
            deadline,
            grace_days,
        } => {
            let c = &ds.claims;
            let mut late: Vec<u32> = bill
                .rows
                .iter()
                .copied()
                .filter(|&r| {
                    let r = r as usize;
                    rule.concerns(c.service[r])
                        && c.submitted[r]
                            > deadline_of(c.service_date[r], *deadline).add_days(*grace_days)
                })
                .collect();
            late.sort_by(|&a, &b| {
                c.card_id
                    .get(a as usize)
                    .cmp(c.card_id.get(b as usize))
                    .then(a.cmp(&b))
            });
            for card in
                late.chunk_by(|&a, &b| c.card_id.get(a as usize) == c.card_id.get(b as usize))
            {
                let r = card[0] as usize;
                let due = deadline_of(c.service_date[r], *deadline).add_days(*grace_days);
                out.push(RawFinding {
                    rule: ri,
                    clinic,
                    patient: c.patient[r],
                    date: c.service_date[r],
                    rows: card.to_vec(),
                    detail: format!(
                        "card {} submitted {} after {due}",
                        c.card_id.get(r),
                        c.submitted[r]
                    ),
                });
            }
        }
        RuleKind::Isolated6101 => {
            for p in bill.by_patient() {
                let ls: Vec<&NetLine> = p.iter().filter(|l| rule.concerns(l.code)).collect();
                let net: i32 = ls.iter().map(|l| l.quantity).sum();
                if net == 1 {
                    let pos: Vec<&NetLine> =
                        ls.iter().copied().filter(|l| l.quantity > 0).collect();
                    let detail = format!("one net {} in the year", rule.codes[0]);
                    push(pos[0], rows_of(&pos), detail);
                }
            }
        }
    }
}

/// What to analyse.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The control year; `None`: every service date.
    pub year: Option<i32>,
    /// One clinic (row) only.
    pub clinic: Option<u32>,
}

/// One clinic's part of the analysis.
#[derive(Debug, Clone)]
pub struct ClinicOutcome {
    pub clinic: u32,
    pub findings: Vec<RawFinding>,
    /// Net amount per service month (index 0 = January), DKK.
    pub months: [f64; 12],
    pub lines: u64,
    pub net_lines: u64,
    pub unpriced_lines: u64,
    /// Observed amount per age/sex cell and service group: `observed[cell * groups + group]`.
    pub observed: Vec<f64>,
}

/// Every clinic's outcome, in clinic order.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub year: Option<i32>,
    pub clinics: Vec<ClinicOutcome>,
    pub groups: Groups,
}

/// Every rule, the monthly aggregates and the observed amounts behind the index, per clinic in
/// parallel.
pub fn analyse(ds: &Dataset, rules: &RuleSet, opts: &Options) -> Analysis {
    let groups = Groups::from_catalogue();
    let clinics: Vec<u32> = match opts.clinic {
        Some(c) => vec![c],
        None => (0..ds.clinics.len() as u32).collect(),
    };
    let mid_year = opts.year.and_then(|y| Day::from_ymd(y, 7, 1));
    let clinics = clinics
        .par_iter()
        .map(|&c| {
            let bill = ClinicBill::build(ds, c, opts.year);
            let findings = evaluate(ds, &bill, rules);
            let mut months = [0.0; 12];
            let mut observed = vec![0.0; CELLS * groups.len()];
            let mut unpriced = 0u64;
            let mut memo = (None, 0usize);
            for l in &bill.lines {
                months[l.date.month() as usize - 1] += l.amount;
                unpriced += u64::from(l.unpriced);
                let g = if memo.0 == Some(l.code) {
                    memo.1
                } else {
                    let g = groups.of(l.code);
                    memo = (Some(l.code), g);
                    g
                };
                let at = mid_year.unwrap_or(l.date);
                observed[cell_of(ds, l.patient, at) * groups.len() + g] += l.amount;
            }
            ClinicOutcome {
                clinic: c,
                findings,
                months,
                lines: bill.rows.len() as u64,
                net_lines: bill.lines.len() as u64,
                unpriced_lines: unpriced,
                observed,
            }
        })
        .collect();
    Analysis {
        year: opts.year,
        clinics,
        groups,
    }
}

/// The `summary` of `almen economy controls`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub year: Option<i32>,
    pub rules_file: String,
    pub clinics: usize,
    pub lines: u64,
    pub net_lines: u64,
    pub unpriced_lines: u64,
    pub amount_dkk: f64,
    pub findings: usize,
    /// Findings per rule id, every rule listed.
    pub by_rule: BTreeMap<String, usize>,
}

impl Analysis {
    pub fn raw_findings(&self) -> impl Iterator<Item = &RawFinding> {
        self.clinics.iter().flat_map(|c| c.findings.iter())
    }

    pub fn findings(&self, ds: &Dataset, rules: &RuleSet) -> Vec<Finding> {
        self.raw_findings().map(|f| f.public(ds, rules)).collect()
    }

    pub fn summary(&self, rules: &RuleSet) -> Summary {
        let mut by_rule: BTreeMap<String, usize> =
            rules.rules.iter().map(|r| (r.id.clone(), 0)).collect();
        for f in self.raw_findings() {
            *by_rule.entry(rules.rules[f.rule].id.clone()).or_default() += 1;
        }
        Summary {
            year: self.year,
            rules_file: rules.file.clone(),
            clinics: self.clinics.len(),
            lines: self.clinics.iter().map(|c| c.lines).sum(),
            net_lines: self.clinics.iter().map(|c| c.net_lines).sum(),
            unpriced_lines: self.clinics.iter().map(|c| c.unpriced_lines).sum(),
            amount_dkk: self.clinics.iter().flat_map(|c| c.months).sum(),
            findings: self.raw_findings().count(),
            by_rule,
        }
    }

    /// Net amount per month: (inside the frame = PLO clinics, outside = region-run and
    /// tendered clinics).
    pub fn monthly_by_frame(&self, ds: &Dataset) -> ([f64; 12], [f64; 12]) {
        let mut inside = [0.0; 12];
        let mut outside = [0.0; 12];
        for c in &self.clinics {
            let t = if ds.clinics.clinic_type[c.clinic as usize] == ClinicType::Plo {
                &mut inside
            } else {
                &mut outside
            };
            for m in 0..12 {
                t[m] += c.months[m];
            }
        }
        (inside, outside)
    }
}
