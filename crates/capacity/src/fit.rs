//! Step 2: estimating the weight table from the data.
//!
//! The standard method for need-based capitation: regress each citizen's yearly GP activity
//! (fees from the claims table) on the weight table's variables by ordinary least squares,
//!
//! ```text
//! fees_i = Σ_cells β_cell · [citizen i is in age/sex cell] + Σ_conditions γ_c · [i has c] + ε_i
//! ```
//!
//! with one indicator per sex × 5-year age band (they replace the intercept) and one per
//! condition. The estimates are the table's values in DKK per citizen-year (the model only
//! uses their ratios). Citizens: alive at the reference date D and born on or before the first
//! day of the year up to D (a whole year of exposure); fees: claim lines with a service date in
//! the year up to D, `fee_dkk` or, where empty, the fee schedule in force × quantity.
//!
//! The normal equations are accumulated in one parallel pass (X is sparse: one cell and a few
//! conditions per citizen; chunks are summed in a fixed order, so a dataset always gives the
//! same file to the last digit) and solved with nalgebra's Cholesky decomposition, or its SVD
//! when the matrix is singular. Reported: n, R², residual standard error, and per term the
//! classical and heteroskedasticity-robust (HC1) standard errors.
//!
//! Weights cannot be negative: a condition whose estimate is negative is dropped from the
//! regression and the others are refitted without it (repeated until none is negative); it is
//! written as 0. A cell without citizens gets the value of the nearest band of the same sex
//! (else the other sex's). Both are noted per term.

use crate::CapacityError;
use crate::citizens::Citizens;
use crate::weights::{WeightTable, age_sex_term, condition_term};
use almen_cockpit::ListSet;
use almen_core::{AGE_BANDS, Day};
use almen_dataset::Dataset;
use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

/// The conditions `fit-weights` uses unless told otherwise: the cockpit's chronic-condition
/// lists.
pub const DEFAULT_FIT_CONDITIONS: &[&str] = &[
    "diabetes",
    "copd",
    "asthma",
    "hypertension",
    "ischaemic_heart_disease",
    "heart_failure",
    "depression",
    "severe_mental_illness",
    "dementia",
    "atrial_fibrillation",
];

const CELLS: usize = 2 * AGE_BANDS;

/// One estimated term.
#[derive(Debug, Clone, Serialize)]
pub struct FitTerm {
    pub term: String,
    /// Citizens with the term.
    pub citizens: u64,
    /// The least-squares estimate (DKK per citizen-year); null for a cell without citizens.
    pub coefficient: Option<f64>,
    pub standard_error: Option<f64>,
    /// Heteroskedasticity-robust (HC1).
    pub robust_standard_error: Option<f64>,
    /// The value written to the table.
    pub value: f64,
    /// Why `value` differs from `coefficient`, if it does.
    pub note: Option<String>,
}

/// The result of a fit.
#[derive(Debug, Clone, Serialize)]
pub struct Fit {
    pub date: Day,
    /// The fee year: service dates from `window_from` to `date`, both included.
    pub window_from: Day,
    pub n: u64,
    /// Terms estimated (cells with citizens and conditions).
    pub parameters: usize,
    pub r_squared: f64,
    pub residual_standard_error: f64,
    pub mean_fees: f64,
    /// How the normal equations were solved: `cholesky` or `svd`.
    pub solver: &'static str,
    pub terms: Vec<FitTerm>,
    #[serde(skip)]
    pub table: WeightTable,
}

/// The first day of the year that ends on `date` (inclusive): `date` minus 12 months plus one
/// day.
pub fn year_start(date: Day) -> Day {
    date.minus_months(12).add_days(1)
}

fn service_key(code: &almen_reference::ServiceCode) -> u32 {
    code.as_str()
        .bytes()
        .fold(0u32, |a, b| a * 10 + (b.wrapping_sub(b'0') as u32 % 10))
}

/// Each patient row's GP fees (DKK) for service dates in `from..=to`: `fee_dkk`, or the fee
/// schedule in force on the service date × quantity where it is empty (0 without a public fee).
pub fn yearly_fees(ds: &Dataset, from: Day, to: Day) -> Vec<f64> {
    let np = ds.patients.len();
    let cl = &ds.claims;
    let mut out = vec![0.0; np];
    out.par_chunks_mut(4096)
        .enumerate()
        .for_each(|(ci, chunk)| {
            let mut memo: HashMap<(u32, Day), f64> = HashMap::new();
            for (i, o) in chunk.iter_mut().enumerate() {
                let p = (ci * 4096 + i) as u32;
                let mut s = 0.0;
                for &r in ds.index.claims_by_patient.rows_of(p) {
                    let r = r as usize;
                    let d = cl.service_date[r];
                    if d < from || d > to {
                        continue;
                    }
                    s += match cl.fee_dkk[r] {
                        Some(f) => f,
                        None => {
                            let code = cl.service[r];
                            *memo
                                .entry((service_key(&code), d))
                                .or_insert_with(|| almen_reference::fee_on(code, d).unwrap_or(0.0))
                                * cl.quantity[r] as f64
                        }
                    };
                }
                *o = s;
            }
        });
    out
}

#[derive(Clone)]
struct Normal {
    xtx: Vec<f64>,
    xty: Vec<f64>,
    count: Vec<u64>,
    n: u64,
    yy: f64,
    sy: f64,
}

impl Normal {
    fn new(p: usize) -> Normal {
        Normal {
            xtx: vec![0.0; p * p],
            xty: vec![0.0; p],
            count: vec![0; p],
            n: 0,
            yy: 0.0,
            sy: 0.0,
        }
    }
    fn merge(mut self, o: Normal) -> Normal {
        for (a, b) in self.xtx.iter_mut().zip(&o.xtx) {
            *a += b;
        }
        for (a, b) in self.xty.iter_mut().zip(&o.xty) {
            *a += b;
        }
        for (a, b) in self.count.iter_mut().zip(&o.count) {
            *a += b;
        }
        self.n += o.n;
        self.yy += o.yy;
        self.sy += o.sy;
        self
    }
}

/// The active columns of a citizen: its cell, then its conditions.
#[inline]
fn columns(cell: u8, bits: u64, cols: &mut Vec<usize>) {
    cols.clear();
    cols.push(cell as usize);
    let mut b = bits;
    while b != 0 {
        let j = b.trailing_zeros() as usize;
        b &= b - 1;
        cols.push(CELLS + j);
    }
}

/// Fits a weight table on a dataset at `date` with the given conditions (cockpit list ids).
pub fn fit_weights(
    ds: &Dataset,
    lists: &ListSet,
    conditions: &[&str],
    date: Day,
    label: &str,
) -> Result<Fit, CapacityError> {
    let citizens = Citizens::evaluate(ds, lists, conditions, date)?;
    let from = year_start(date);
    let fees = yearly_fees(ds, from, date);
    fit_citizens(ds, &citizens, &fees, from, label)
}

/// [`fit_weights`] on citizens already evaluated and fees already summed (per patient row).
pub fn fit_citizens(
    ds: &Dataset,
    citizens: &Citizens,
    fees: &[f64],
    from: Day,
    label: &str,
) -> Result<Fit, CapacityError> {
    let m = citizens.condition_ids.len();
    let p = CELLS + m;
    let birth = &ds.patients.birth_date;
    // Citizens with a whole year of exposure.
    let keep: Vec<usize> = (0..citizens.len())
        .into_par_iter()
        .filter(|&i| birth[citizens.rows[i] as usize] <= from)
        .collect();
    if keep.is_empty() {
        return Err(CapacityError::NoCitizens);
    }
    let y = |i: usize| fees[citizens.rows[i] as usize];
    let ne = keep
        .par_chunks(1 << 15)
        .map(|idx| {
            let mut a = Normal::new(p);
            let mut cols = Vec::with_capacity(8);
            for &i in idx {
                let yi = y(i);
                columns(citizens.cell[i], citizens.conditions[i], &mut cols);
                for &c in &cols {
                    a.count[c] += 1;
                    a.xty[c] += yi;
                    for &d in &cols {
                        a.xtx[c * p + d] += 1.0;
                    }
                }
                a.n += 1;
                a.yy += yi * yi;
                a.sy += yi;
            }
            a
        })
        .collect::<Vec<Normal>>()
        .into_iter()
        .fold(Normal::new(p), Normal::merge);

    // Solve on the columns that have citizens; a condition with a negative estimate is
    // dropped and the rest refitted, until every condition is zero or more.
    let mut used: Vec<usize> = (0..p).filter(|&c| ne.count[c] > 0).collect();
    let mut dropped: Vec<(usize, f64)> = Vec::new();
    let (a, b, beta, inv, solver) = loop {
        let (a, b, beta, inv, solver) = solve(&ne, p, &used)?;
        let negative: Vec<(usize, f64)> = used
            .iter()
            .enumerate()
            .filter(|&(i, &c)| c >= CELLS && beta[i] < 0.0)
            .map(|(i, &c)| (c, beta[i]))
            .collect();
        if negative.is_empty() {
            break (a, b, beta, inv, solver);
        }
        used.retain(|c| !negative.iter().any(|(d, _)| d == c));
        dropped.extend(negative);
    };
    let k = used.len();
    let n = ne.n as f64;
    let rss = (ne.yy - 2.0 * beta.dot(&b) + (&a * &beta).dot(&beta)).max(0.0);
    let tss = ne.yy - ne.sy * ne.sy / n;
    let r_squared = if tss > 0.0 { 1.0 - rss / tss } else { 0.0 };
    let dof = (n - k as f64).max(1.0);
    let sigma2 = rss / dof;

    // Robust (HC1) covariance: inv · Σ x x' e² · inv · n / (n − k).
    let mut pos = vec![usize::MAX; p];
    for (i, &c) in used.iter().enumerate() {
        pos[c] = i;
    }
    let meat = keep
        .par_chunks(1 << 15)
        .map(|idx| {
            let mut mt = vec![0.0; k * k];
            let mut cols = Vec::with_capacity(8);
            for &i in idx {
                columns(citizens.cell[i], citizens.conditions[i], &mut cols);
                cols.retain(|&c| pos[c] != usize::MAX);
                let fitted: f64 = cols.iter().map(|&c| beta[pos[c]]).sum();
                let e2 = (y(i) - fitted).powi(2);
                for &c in &cols {
                    for &d in &cols {
                        mt[pos[c] * k + pos[d]] += e2;
                    }
                }
            }
            mt
        })
        .collect::<Vec<Vec<f64>>>()
        .into_iter()
        .fold(vec![0.0; k * k], |mut x, y| {
            for (a, b) in x.iter_mut().zip(&y) {
                *a += b;
            }
            x
        });
    let meat = DMatrix::from_row_slice(k, k, &meat);
    let robust = &inv * meat * &inv * (n / dof);

    let mut coef: Vec<Option<f64>> = vec![None; p];
    let mut se = vec![None; p];
    let mut rse = vec![None; p];
    for (i, &c) in used.iter().enumerate() {
        coef[c] = Some(beta[i]);
        se[c] = Some((sigma2 * inv[(i, i)]).max(0.0).sqrt());
        rse[c] = Some(robust[(i, i)].max(0.0).sqrt());
    }
    let mean_fees = ne.sy / n;

    let mut terms = Vec::with_capacity(p);
    let mut age_sex = [[0.0; AGE_BANDS]; 2];
    for s in 0..2 {
        for band in 0..AGE_BANDS {
            let c = s * AGE_BANDS + band;
            let (value, note) = match coef[c] {
                Some(v) if v < 0.0 => (0.0, Some("negative estimate written as 0".to_string())),
                Some(v) => (v, None),
                None => fill_cell(&coef, s, band, mean_fees),
            };
            age_sex[s][band] = value;
            terms.push(FitTerm {
                term: age_sex_term(s, band),
                citizens: ne.count[c],
                coefficient: coef[c],
                standard_error: se[c],
                robust_standard_error: rse[c],
                value,
                note,
            });
        }
    }
    let mut conds = Vec::with_capacity(m);
    for (j, id) in citizens.condition_ids.iter().enumerate() {
        let c = CELLS + j;
        let (value, note) = match (coef[c], dropped.iter().find(|(d, _)| *d == c)) {
            (Some(v), _) => (v, None),
            (None, Some((_, v))) => (
                0.0,
                Some(format!(
                    "estimate {v:.1} < 0: dropped, the others refitted, written as 0"
                )),
            ),
            (None, None) => (
                0.0,
                Some("no citizen has the condition: written as 0".to_string()),
            ),
        };
        conds.push((id.clone(), value));
        terms.push(FitTerm {
            term: condition_term(id),
            citizens: ne.count[c],
            coefficient: coef[c],
            standard_error: se[c],
            robust_standard_error: rse[c],
            value,
            note,
        });
    }
    Ok(Fit {
        date: citizens.date,
        window_from: from,
        n: ne.n,
        parameters: k,
        r_squared,
        residual_standard_error: sigma2.sqrt(),
        mean_fees,
        solver,
        terms,
        table: WeightTable {
            label: label.to_string(),
            source: String::new(),
            age_sex,
            conditions: conds,
        },
    })
}

type Solved = (
    DMatrix<f64>,
    DVector<f64>,
    DVector<f64>,
    DMatrix<f64>,
    &'static str,
);

/// The normal equations on the columns `used`: (X'X, X'y, β, (X'X)⁻¹, solver).
fn solve(ne: &Normal, p: usize, used: &[usize]) -> Result<Solved, CapacityError> {
    let k = used.len();
    let a = DMatrix::from_fn(k, k, |i, j| ne.xtx[used[i] * p + used[j]]);
    let b = DVector::from_fn(k, |i, _| ne.xty[used[i]]);
    match a.clone().cholesky() {
        Some(ch) => {
            let beta = ch.solve(&b);
            let inv = ch.inverse();
            Ok((a, b, beta, inv, "cholesky"))
        }
        None => {
            let svd = a.clone().svd(true, true);
            let beta = svd
                .solve(&b, 1e-9)
                .map_err(|e| CapacityError::Fit(e.to_string()))?;
            let inv = a
                .clone()
                .pseudo_inverse(1e-9)
                .map_err(|e| CapacityError::Fit(e.to_string()))?;
            Ok((a, b, beta, inv, "svd"))
        }
    }
}

/// A value for a cell without citizens: the nearest band of the same sex with an estimate
/// (the younger on a tie), else the same band of the other sex, else the mean fees.
fn fill_cell(coef: &[Option<f64>], s: usize, band: usize, mean: f64) -> (f64, Option<String>) {
    for d in 1..AGE_BANDS {
        for b in [band.checked_sub(d), Some(band + d)].into_iter().flatten() {
            if b < AGE_BANDS
                && let Some(v) = coef[s * AGE_BANDS + b]
            {
                return (
                    v.max(0.0),
                    Some(format!("no citizens: value of {}", age_sex_term(s, b))),
                );
            }
        }
    }
    let o = 1 - s;
    if let Some(v) = coef[o * AGE_BANDS + band] {
        return (
            v.max(0.0),
            Some(format!("no citizens: value of {}", age_sex_term(o, band))),
        );
    }
    (
        mean.max(0.0),
        Some("no citizens: the mean fees".to_string()),
    )
}

impl Fit {
    /// The weight file text, with a header that says how it was made.
    pub fn to_csv(&self, data: &str) -> String {
        let comments = vec![
            format!(
                "Fitted by `almen capacity fit-weights` on {data}: ordinary least squares of each citizen's GP fees"
            ),
            format!(
                "(claims, service dates {} to {}) on sex x 5-year age band and the cockpit's condition lists at {}.",
                self.window_from, self.date, self.date
            ),
            format!(
                "n = {} citizens, R² = {:.4}, residual standard error {:.1} DKK, mean fees {:.1} DKK; solver: {}.",
                self.n, self.r_squared, self.residual_standard_error, self.mean_fees, self.solver
            ),
            "Values are DKK per citizen-year; the model uses only their ratios (mean weight 1.0)."
                .to_string(),
        ];
        let mut notes: Vec<String> = self
            .terms
            .iter()
            .filter_map(|t| t.note.as_ref().map(|n| format!("{}: {n}", t.term)))
            .collect();
        let mut all = comments;
        all.append(&mut notes);
        self.table.to_csv(&all)
    }
}
