//! Step 1: the citizens at the reference date, their age/sex cell and conditions, and their
//! normalised disease weights.

use crate::CapacityError;
use crate::weights::WeightTable;
use almen_cockpit::{ListSet, memberships};
use almen_core::{AGE_BANDS, Day, age_band};
use almen_dataset::Dataset;
use rayon::prelude::*;

/// The citizens of a dataset at a reference date D: every patient row born on or before D and
/// alive on D, listed with a clinic or not. Conditions are the cockpit's lists at D.
#[derive(Debug, Clone)]
pub struct Citizens {
    pub date: Day,
    /// Patient rows, ascending.
    pub rows: Vec<u32>,
    /// Per citizen: `sex index × AGE_BANDS + age band` (age at D).
    pub cell: Vec<u8>,
    /// Per citizen: bit `j` set when on list `condition_ids[j]` at D.
    pub conditions: Vec<u64>,
    pub condition_ids: Vec<String>,
}

impl Citizens {
    /// Evaluates the citizens with the given conditions (cockpit list ids, at most 64).
    pub fn evaluate(
        ds: &Dataset,
        lists: &ListSet,
        condition_ids: &[&str],
        date: Day,
    ) -> Result<Citizens, CapacityError> {
        if condition_ids.len() > crate::weights::MAX_CONDITIONS {
            return Err(CapacityError::TooManyConditions(condition_ids.len()));
        }
        let m = memberships(ds, lists, condition_ids, date)
            .map_err(|e| CapacityError::UnknownCondition(e.to_string()))?;
        let p = &ds.patients;
        let rows: Vec<u32> = (0..p.len() as u32)
            .filter(|&r| m.in_population[r as usize])
            .collect();
        let cell = rows
            .par_iter()
            .map(|&r| {
                let r = r as usize;
                let band = age_band(p.birth_date[r].age_at(date));
                (p.sex[r].index() * AGE_BANDS + band) as u8
            })
            .collect();
        let conditions = rows.par_iter().map(|&r| m.of(r as usize)[0]).collect();
        Ok(Citizens {
            date,
            rows,
            cell,
            conditions,
            condition_ids: condition_ids.iter().map(|s| s.to_string()).collect(),
        })
    }

    /// Evaluates the citizens with the conditions of a weight table.
    pub fn for_table(
        ds: &Dataset,
        lists: &ListSet,
        table: &WeightTable,
        date: Day,
    ) -> Result<Citizens, CapacityError> {
        Citizens::evaluate(ds, lists, &table.condition_ids(), date)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// The disease weights of the citizens, normalised to mean 1.0.
#[derive(Debug, Clone)]
pub struct Weights {
    /// Per citizen (same order as [`Citizens::rows`]).
    pub weight: Vec<f64>,
    /// The factor raw weights were multiplied by: citizens ÷ Σ raw weights.
    pub scale: f64,
    /// Σ raw weights.
    pub raw_total: f64,
}

/// Neumaier's compensated sum: exact enough that the normalised mean is 1.0 to the last bits.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sum {
    s: f64,
    c: f64,
}

impl Sum {
    #[inline]
    pub fn add(&mut self, x: f64) {
        let t = self.s + x;
        if self.s.abs() >= x.abs() {
            self.c += (self.s - t) + x;
        } else {
            self.c += (x - t) + self.s;
        }
        self.s = t;
    }
    pub fn merge(mut self, o: Sum) -> Sum {
        self.add(o.s);
        self.add(o.c);
        self
    }
    pub fn value(&self) -> f64 {
        self.s + self.c
    }
}

/// Compensated sum of a slice, in parallel, in a fixed order (the same bits every run).
pub fn sum(xs: &[f64]) -> f64 {
    xs.par_chunks(1 << 16)
        .map(|c| {
            let mut s = Sum::default();
            for &x in c {
                s.add(x);
            }
            s
        })
        .collect::<Vec<Sum>>()
        .into_iter()
        .fold(Sum::default(), Sum::merge)
        .value()
}

/// Step 1: raw weight = age/sex term + condition terms; then one factor so that the mean
/// over the citizens is 1.0. The citizens must have been evaluated for this table
/// ([`Citizens::for_table`]).
pub fn apply_weights(table: &WeightTable, citizens: &Citizens) -> Result<Weights, CapacityError> {
    let ids = table.condition_ids();
    if ids != citizens.condition_ids {
        return Err(CapacityError::Mismatch);
    }
    if citizens.is_empty() {
        return Err(CapacityError::NoCitizens);
    }
    let mut raw: Vec<f64> = citizens
        .cell
        .par_iter()
        .zip(citizens.conditions.par_iter())
        .map(|(&cell, &bits)| {
            let c = cell as usize;
            table.raw_weight(c / AGE_BANDS, c % AGE_BANDS, bits)
        })
        .collect();
    let raw_total = sum(&raw);
    if raw_total <= 0.0 || !raw_total.is_finite() {
        return Err(CapacityError::ZeroWeight);
    }
    let scale = citizens.len() as f64 / raw_total;
    raw.par_iter_mut().for_each(|w| *w *= scale);
    Ok(Weights {
        weight: raw,
        scale,
        raw_total,
    })
}
