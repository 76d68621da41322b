//! Seeds and small samplers.
//!
//! Every random stream is a ChaCha8 generator seeded from the master seed and a fixed key (a
//! stream name and, for example, a municipality code or a clinic's national number), never from
//! thread scheduling or iteration order, so any part of Denmark comes out the same whether it is
//! generated alone or with the rest of the country.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

pub type R = ChaCha8Rng;

/// Stream names: one per kind of thing drawn.
pub mod stream {
    pub const KOMMUNE: u64 = 1;
    pub const CLINIC_IDS: u64 = 2;
    pub const OWNERS: u64 = 3;
    pub const UNIT: u64 = 4;
    pub const CALLS: u64 = 5;
    pub const PICK_CLINIC: u64 = 6;
}

/// SplitMix64 finaliser: a bijective 64-bit mixer.
pub fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

pub fn key(seed: u64, stream: u64, k: u64) -> u64 {
    splitmix(splitmix(splitmix(seed) ^ stream.wrapping_mul(0xA076_1D64_78BD_642F)) ^ k)
}

pub fn rng(seed: u64, stream: u64, k: u64) -> R {
    R::seed_from_u64(key(seed, stream, k))
}

pub fn unit(r: &mut R) -> f64 {
    r.random::<f64>()
}

pub fn chance(r: &mut R, p: f64) -> bool {
    r.random::<f64>() < p
}

pub fn normal(r: &mut R) -> f64 {
    StandardNormal.sample(r)
}

/// Exponential with the given mean.
pub fn exp(r: &mut R, mean: f64) -> f64 {
    -(1.0 - r.random::<f64>()).ln() * mean
}

/// Uniform integer in `lo..hi` (`lo` when the range is empty).
pub fn range(r: &mut R, lo: i64, hi: i64) -> i64 {
    if hi <= lo { lo } else { r.random_range(lo..hi) }
}

/// Poisson by inversion for small means, normal approximation above 40.
pub fn poisson(r: &mut R, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    if mean > 40.0 {
        return (mean + mean.sqrt() * normal(r)).round().max(0.0) as u32;
    }
    let l = (-mean).exp();
    let mut k = 0u32;
    let mut p = 1.0;
    loop {
        p *= r.random::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

/// Index drawn from weights (not necessarily normalised); 0 for all-zero weights.
pub fn pick(r: &mut R, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return 0;
    }
    let mut u = r.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

/// Draws from `(item, weight)` pairs.
pub fn pick_from<T: Copy>(r: &mut R, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|x| x.1).sum();
    let mut u = r.random::<f64>() * total;
    for (t, w) in items {
        if u < *w {
            return *t;
        }
        u -= w;
    }
    items[items.len() - 1].0
}

/// Index into a cumulative table (`cum` ascending, last = total) for a uniform draw in
/// `lo_value..hi_value`.
pub fn pick_cum(r: &mut R, cum: &[f64], lo_value: f64, hi_value: f64) -> usize {
    let u = lo_value + r.random::<f64>() * (hi_value - lo_value);
    cum.partition_point(|c| *c <= u)
        .min(cum.len().saturating_sub(1))
}

/// A cumulative weight table with a bucket index, for O(1) draws from long tables (the year's
/// working days, its out-of-hours hours).
#[derive(Debug, Clone)]
pub struct CumTable {
    pub cum: Vec<f64>,
    /// `bucket[j]`: first index whose cumulative weight exceeds `j / BUCKETS` of the total.
    bucket: Vec<u32>,
}

const BUCKETS: usize = 4096;

impl CumTable {
    pub fn new(cum: Vec<f64>) -> CumTable {
        let total = cum.last().copied().unwrap_or(0.0);
        let mut bucket = Vec::with_capacity(BUCKETS + 1);
        let mut k = 0usize;
        for j in 0..=BUCKETS {
            let v = total * j as f64 / BUCKETS as f64;
            while k + 1 < cum.len() && cum[k] <= v {
                k += 1;
            }
            bucket.push(k as u32);
        }
        CumTable { cum, bucket }
    }
    pub fn total(&self) -> f64 {
        self.cum.last().copied().unwrap_or(0.0)
    }
    /// Weight before index `i`.
    pub fn before(&self, i: usize) -> f64 {
        if i == 0 { 0.0 } else { self.cum[i - 1] }
    }
    /// Index of a uniform draw in `lo_value..hi_value` of the cumulative weight (the same index
    /// [`pick_cum`] gives for the same draw).
    pub fn pick(&self, r: &mut R, lo_value: f64, hi_value: f64) -> usize {
        let n = self.cum.len();
        if n == 0 {
            return 0;
        }
        let u = lo_value + r.random::<f64>() * (hi_value - lo_value);
        let total = self.total();
        let j = if total > 0.0 {
            ((u / total) * BUCKETS as f64) as usize
        } else {
            0
        };
        let mut k = self.bucket[j.min(BUCKETS)] as usize;
        // The bucket's start may lie a step past the draw at a bucket edge.
        while k > 0 && self.cum[k - 1] > u {
            k -= 1;
        }
        while k + 1 < n && self.cum[k] <= u {
            k += 1;
        }
        k
    }
}

/// Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9).
pub fn probit(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969683028665376e+01,
        2.209460984245205e+02,
        -2.759285104469687e+02,
        1.383_577_518_672_69e2,
        -3.066479806614716e+01,
        2.506628277459239e+00,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e+01,
        1.615858368580409e+02,
        -1.556989798598866e+02,
        6.680131188771972e+01,
        -1.328068155288572e+01,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e+00,
        -2.549732539343734e+00,
        4.374664141464968e+00,
        2.938163982698783e+00,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-03,
        3.224671290700398e-01,
        2.445134137142996e+00,
        3.754408661907416e+00,
    ];
    let lo = 0.02425;
    if p < lo {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - lo {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: u64 = rng(7, stream::UNIT, 3).random();
        let b: u64 = rng(7, stream::UNIT, 3).random();
        let c: u64 = rng(7, stream::UNIT, 4).random();
        let d: u64 = rng(8, stream::UNIT, 3).random();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn probit_inverts_the_normal_cdf() {
        assert!(probit(0.5).abs() < 1e-9);
        assert!((probit(0.975) - 1.959964).abs() < 1e-5);
        assert!((probit(0.01) + 2.326348).abs() < 1e-5);
        assert_eq!(probit(0.0), f64::NEG_INFINITY);
    }

    #[test]
    fn cum_table_agrees_with_binary_search() {
        let cum: Vec<f64> = (1..=300).map(|i| (i as f64).powf(1.3)).collect();
        let t = CumTable::new(cum.clone());
        let (mut a, mut b) = (rng(3, 9, 9), rng(3, 9, 9));
        for _ in 0..20_000 {
            let lo = t.before(17);
            let hi = t.cum[250];
            assert_eq!(t.pick(&mut a, lo, hi), pick_cum(&mut b, &cum, lo, hi));
        }
    }

    #[test]
    fn poisson_mean() {
        let mut r = rng(1, 99, 0);
        for m in [0.3, 4.0, 12.0, 60.0] {
            let n = 20_000;
            let s: u64 = (0..n).map(|_| poisson(&mut r, m) as u64).sum();
            let mean = s as f64 / n as f64;
            assert!((mean - m).abs() < 0.05 * m + 0.02, "{m}: {mean}");
        }
    }
}
