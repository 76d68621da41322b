//! Step 7: allocating K new capacities to areas by need gap.
//!
//! Method (the **largest remainder method**, Hamilton's):
//!
//! 1. With K more capacities the reference becomes R' = W ÷ (C + K) (W: weighted citizens,
//!    C: capacities held). An area's gap is then `gap'_a = W_a ÷ R' − C_a`; the gaps sum to K.
//! 2. Areas with a negative gap (more capacities than their share) get nothing, and nothing is
//!    taken from them; the others' quotas are their gaps scaled to sum to K:
//!    `q_a = K × gap'_a ÷ Σ positive gaps` (equal to the gap when no area is over its share).
//! 3. Every area gets the whole part of its quota; the capacities left over (fewer than the
//!    number of areas) go one each to the areas with the largest fractional remainders; ties go
//!    to the larger quota, then to the area listed first.
//!
//! The allocation always sums to K. Gaps are reported before (against R) and after (against
//! R' and the capacities with the allocation).

use crate::model::{Level, Model};
use almen_core::Day;
use serde::Serialize;

/// How the allocation is made, for reports.
pub const METHOD: &str = "largest remainder (Hamilton): quotas = K x positive need gaps at the new reference R' = W / (C + K), scaled to sum to K; whole parts first, the rest to the largest remainders";

/// One area's allocation.
#[derive(Debug, Clone, Serialize)]
pub struct AreaAllocation {
    pub code: String,
    pub name: String,
    pub weighted_citizens: f64,
    /// Capacities held before.
    pub capacities: f64,
    /// weighted citizens ÷ R − capacities held.
    pub gap_before: f64,
    /// The area's quota of the K new capacities.
    pub quota: f64,
    pub allocated: u32,
    /// weighted citizens ÷ R' − (capacities + allocated).
    pub gap_after: f64,
}

/// K new capacities allocated to areas.
#[derive(Debug, Clone, Serialize)]
pub struct Allocation {
    pub date: Day,
    pub level: Level,
    pub weights: String,
    pub method: &'static str,
    pub new_capacities: u32,
    pub reference_before: f64,
    pub reference_after: f64,
    pub areas: Vec<AreaAllocation>,
}

/// Quotas of `k` new capacities for areas with `weighted` citizens holding `held` capacities
/// (step 2 above). Empty areas and areas over their share get 0.
pub fn quotas(weighted: &[f64], held: &[f64], k: u32) -> Vec<f64> {
    let w: f64 = weighted.iter().sum();
    let c: f64 = held.iter().sum();
    if k == 0 || w <= 0.0 {
        return vec![0.0; weighted.len()];
    }
    let total = c + k as f64;
    let gaps: Vec<f64> = weighted
        .iter()
        .zip(held)
        .map(|(wa, ca)| (wa / w * total - ca).max(0.0))
        .collect();
    let positive: f64 = gaps.iter().sum();
    if positive <= 0.0 {
        // Only possible when every area already holds exactly its share: spread by need.
        return weighted.iter().map(|wa| k as f64 * wa / w).collect();
    }
    gaps.iter().map(|g| k as f64 * g / positive).collect()
}

/// Whole numbers summing to `k` from quotas summing to `k`, by the largest remainder method;
/// `tie` breaks equal remainders (larger first), then the index.
pub fn largest_remainder(quotas: &[f64], tie: &[f64], k: u32) -> Vec<u32> {
    let mut out: Vec<u32> = quotas.iter().map(|q| q.max(0.0).floor() as u32).collect();
    let given: u64 = out.iter().map(|x| *x as u64).sum();
    if given > k as u64 {
        // Cannot happen with quotas that sum to k (floors sum to at most k); be safe anyway.
        return largest_remainder(&vec![0.0; quotas.len()], tie, k);
    }
    let mut order: Vec<usize> = (0..quotas.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = quotas[a].max(0.0) - quotas[a].max(0.0).floor();
        let rb = quotas[b].max(0.0) - quotas[b].max(0.0).floor();
        rb.total_cmp(&ra)
            .then(tie[b].total_cmp(&tie[a]))
            .then(a.cmp(&b))
    });
    let mut left = k as u64 - given;
    if order.is_empty() {
        return out;
    }
    let mut i = 0;
    while left > 0 {
        out[order[i % order.len()]] += 1;
        left -= 1;
        i += 1;
    }
    out
}

/// Allocates `k` new capacities to the model's areas.
pub fn allocate(model: &Model, k: u32) -> Allocation {
    let weighted: Vec<f64> = model.areas.iter().map(|a| a.weighted_citizens).collect();
    let held: Vec<f64> = model.areas.iter().map(|a| a.capacities).collect();
    let q = quotas(&weighted, &held, k);
    let r = model.reference_per_capacity;
    let total_w: f64 = weighted.iter().sum();
    let r_after = total_w / (model.capacities + k as f64);
    let gap_before: Vec<f64> = weighted.iter().zip(&held).map(|(w, c)| w / r - c).collect();
    let alloc = largest_remainder(&q, &q, k);
    Allocation {
        date: model.date,
        level: model.level,
        weights: model.weights.clone(),
        method: METHOD,
        new_capacities: k,
        reference_before: r,
        reference_after: r_after,
        areas: model
            .areas
            .iter()
            .enumerate()
            .map(|(i, a)| AreaAllocation {
                code: a.code.clone(),
                name: a.name.clone(),
                weighted_citizens: a.weighted_citizens,
                capacities: a.capacities,
                gap_before: gap_before[i],
                quota: q[i],
                allocated: alloc[i],
                gap_after: a.weighted_citizens / r_after - (a.capacities + alloc[i] as f64),
            })
            .collect(),
    }
}
