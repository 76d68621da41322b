//! Erlang C (M/M/c) and Erlang A (M/M/c+M, exponential patience) for the phone queue, and the
//! least number of visitators per interval that meets the phone targets.
//!
//! Units: rates per second, times in seconds. `a = λ·s` is the offered load in Erlang.
//!
//! *Erlang C* uses the standard stable recursion of Erlang B,
//! `B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1))`, and `C = c·B / (c − a·(1 − B))`; no
//! factorials or powers, so it is exact to rounding for thousands of agents.
//!
//! *Erlang A* solves the birth-death chain of M/M/c+M (birth λ, death `min(n,c)·μ +
//! (n−c)⁺·θ`, θ = 1/mean patience) with normalised ratios and truncates where the tail is
//! below 1e-15. By PASTA an arrival sees the stationary state. A caller with `j` calls ahead
//! moves one place forward at rate `c·μ + k·θ` when `k` are ahead and abandons at rate θ, so
//! given that it is served its wait is a sum of exponentials with rates `c·μ + (k+1)·θ`,
//! `k = j…0`; the share answered within `t` comes from uniformising that pure-death chain.

use serde::Serialize;

/// The three phone KPIs of an analytic model, as `almen vagt erlang` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QueueKpis {
    /// P(an arriving caller waits at all).
    pub p_wait: f64,
    /// Mean wait of answered calls, seconds (Erlang C: of all calls, as all are answered).
    pub avg_wait_s: f64,
    /// Share of answered calls answered within the target time (waits ≤ t).
    pub service_level: f64,
    /// P(a caller abandons); 0 for Erlang C.
    pub p_abandon: f64,
}

/// Erlang B blocking probability for `c` servers and offered load `a` Erlang.
pub fn erlang_b(c: u32, a: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (k as f64 + a * b);
    }
    b
}

/// Erlang C probability of waiting; 1 when the queue is unstable (`a ≥ c`).
pub fn erlang_c(c: u32, a: f64) -> f64 {
    let cf = c as f64;
    if a >= cf {
        return 1.0;
    }
    if a <= 0.0 {
        return 0.0;
    }
    let b = erlang_b(c, a);
    cf * b / (cf - a * (1.0 - b))
}

/// M/M/c: `lambda` arrivals per second, `mean_service_s`, `c` agents, service-level time `t_s`.
/// An unstable system (`λ·s ≥ c`) gives infinite wait and service level 0.
pub fn erlang_c_kpis(lambda: f64, mean_service_s: f64, c: u32, t_s: f64) -> QueueKpis {
    let a = lambda * mean_service_s;
    let cf = c as f64;
    if a >= cf {
        return QueueKpis {
            p_wait: 1.0,
            avg_wait_s: f64::INFINITY,
            service_level: 0.0,
            p_abandon: 0.0,
        };
    }
    let pw = erlang_c(c, a);
    let rate = (cf - a) / mean_service_s;
    QueueKpis {
        p_wait: pw,
        avg_wait_s: pw / rate,
        service_level: 1.0 - pw * (-rate * t_s).exp(),
        p_abandon: 0.0,
    }
}

/// Erlang C mean wait (seconds) of all calls.
pub fn erlang_c_mean_wait(lambda: f64, mean_service_s: f64, c: u32) -> f64 {
    erlang_c_kpis(lambda, mean_service_s, c, 0.0).avg_wait_s
}

/// Erlang C P(wait ≤ t).
pub fn erlang_c_service_level(lambda: f64, mean_service_s: f64, c: u32, t_s: f64) -> f64 {
    erlang_c_kpis(lambda, mean_service_s, c, t_s).service_level
}

/// The stationary distribution an arrival sees in M/M/c+M, from state `c` on:
/// `(P(N < c), [P(N = c + j)]_j)`.
fn erlang_a_queue(lambda: f64, mu: f64, theta: f64, c: u32) -> (f64, Vec<f64>) {
    // Unnormalised probabilities, scaled so that the largest stays near 1: walk up from 0.
    let a = lambda / mu;
    let mut below = Vec::with_capacity(c as usize);
    let mut p = 1.0f64;
    for n in 0..c {
        below.push(p);
        p *= a / (n as f64 + 1.0);
        if p > 1e200 {
            for x in below.iter_mut() {
                *x /= 1e200;
            }
            p /= 1e200;
        }
    }
    let mut queue = vec![p];
    let cmu = c as f64 * mu;
    let mut total: f64 = below.iter().sum::<f64>() + p;
    let mut j = 0u64;
    loop {
        j += 1;
        let next = queue[queue.len() - 1] * lambda / (cmu + j as f64 * theta);
        queue.push(next);
        total += next;
        // Once the ratio is < 1 the tail is geometric-bounded; stop when negligible.
        if lambda / (cmu + j as f64 * theta) < 0.99 && next < 1e-16 * total {
            break;
        }
        if j > 5_000_000 {
            break;
        }
    }
    let total: f64 = below.iter().sum::<f64>() + queue.iter().sum::<f64>();
    let p_below = below.iter().sum::<f64>() / total;
    for x in queue.iter_mut() {
        *x /= total;
    }
    (p_below, queue)
}

/// M/M/c+M (Erlang A): `lambda` per second, `mean_service_s`, `c` agents, mean patience
/// (exponential), service-level time `t_s`. `avg_wait_s` and `service_level` are over
/// answered calls, as the KPI crate computes them by default.
pub fn erlang_a_kpis(
    lambda: f64,
    mean_service_s: f64,
    c: u32,
    mean_patience_s: f64,
    t_s: f64,
) -> QueueKpis {
    let mu = 1.0 / mean_service_s;
    let theta = 1.0 / mean_patience_s;
    if c == 0 {
        return QueueKpis {
            p_wait: 1.0,
            avg_wait_s: f64::NAN,
            service_level: f64::NAN,
            p_abandon: 1.0,
        };
    }
    let (p_below, queue) = erlang_a_queue(lambda, mu, theta, c);
    let cmu = c as f64 * mu;
    // Per state j (calls ahead): P(served | j) and E[wait | served, j].
    let mut p_served = 0.0; // P(served ∧ waited)
    let mut wait_served = 0.0; // E[wait · 1{served}]
    let mut p_served_j = 1.0;
    let mut mean_j = 0.0;
    let mut served_by_j = Vec::with_capacity(queue.len());
    for (j, &pj) in queue.iter().enumerate() {
        let r = cmu + (j as f64 + 1.0) * theta; // rate of the stage with j ahead, served-conditioned
        p_served_j *= (cmu + j as f64 * theta) / r;
        mean_j += 1.0 / r;
        served_by_j.push(p_served_j);
        p_served += pj * p_served_j;
        wait_served += pj * p_served_j * mean_j;
    }
    let p_wait: f64 = queue.iter().sum();
    let answered = p_below + p_served;
    // P(served ∧ wait ≤ t) for the callers who wait: uniformise the pure-death chain of the
    // position, conditioned on being served (stage rates cμ + (k+1)θ), mixture weights
    // P(j)·P(served | j).
    let mut v: Vec<f64> = queue.iter().zip(&served_by_j).map(|(p, s)| p * s).collect();
    let big = cmu + (v.len() as f64) * theta;
    let lt = big * t_s;
    let mut absorbed_by_step = 0.0; // mass absorbed (reached an agent) after m jumps
    let mut cdf = 0.0;
    // Poisson weights computed in log space to avoid underflow for large Λt.
    let steps = (lt + 12.0 * lt.sqrt() + 50.0).ceil() as usize;
    let mut tail = 0.0; // P(Poisson(Λt) > m) accumulated as 1 − Σ
    let mut log_pois = -lt;
    let mut pois_sum = 0.0;
    for m in 0..=steps {
        if m > 0 {
            log_pois += lt.ln() - (m as f64).ln();
        }
        let w = log_pois.exp();
        pois_sum += w;
        // Mass absorbed by jump m contributes when at least m jumps happened:
        // P(absorbed by time t) = Σ_m P(N(t) ≥ m) · Δabsorbed_m; equivalently
        // Σ_m w_m · absorbed_by_step(m).
        cdf += w * absorbed_by_step;
        // One uniformised jump.
        let mut newly = 0.0;
        let n = v.len();
        for k in 0..n {
            let rate = cmu + (k as f64 + 1.0) * theta;
            let moved = v[k] * rate / big;
            if k == 0 {
                newly += moved;
            } else {
                v[k - 1] += moved;
            }
            v[k] -= moved;
        }
        absorbed_by_step += newly;
        // Once (almost) all mass is absorbed, later jumps add nothing: the rest of the
        // Poisson weight multiplies the final absorbed mass.
        if v.iter().sum::<f64>() <= 1e-15 * p_served {
            tail = (1.0 - pois_sum).max(0.0);
            break;
        }
    }
    cdf += tail * absorbed_by_step;
    QueueKpis {
        p_wait,
        avg_wait_s: wait_served / answered,
        service_level: (p_below + cdf) / answered,
        p_abandon: 1.0 - answered,
    }
}

/// The phone targets (måltal, DOMAIN.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PhoneTargets {
    /// Mean wait at most this many seconds (720).
    pub max_avg_wait_s: f64,
    /// `(seconds, share)`: at least `share` of answered calls within `seconds`.
    pub within: [(f64, f64); 2],
}

impl Default for PhoneTargets {
    fn default() -> PhoneTargets {
        PhoneTargets {
            max_avg_wait_s: almen_kpi::TARGET_AVG_WAIT_S,
            within: [
                (
                    almen_kpi::WAIT_15_MIN_S as f64,
                    almen_kpi::TARGET_WITHIN_15_MIN,
                ),
                (
                    almen_kpi::WAIT_20_MIN_S as f64,
                    almen_kpi::TARGET_WITHIN_20_MIN,
                ),
            ],
        }
    }
}

/// Analytic model of one interval: Erlang C, or Erlang A with a mean patience.
fn meets(lambda: f64, s: f64, c: u32, patience: Option<f64>, t: &PhoneTargets) -> bool {
    let k = |ts: f64| match patience {
        None => erlang_c_kpis(lambda, s, c, ts),
        Some(p) => erlang_a_kpis(lambda, s, c, p, ts),
    };
    let first = k(t.within[0].0);
    if !(first.avg_wait_s <= t.max_avg_wait_s && first.service_level >= t.within[0].1) {
        return false;
    }
    k(t.within[1].0).service_level >= t.within[1].1
}

/// The least number of agents for which Erlang C meets every phone target; 0 when no calls.
pub fn least_agents(lambda: f64, mean_service_s: f64, targets: &PhoneTargets) -> u32 {
    least_agents_with(lambda, mean_service_s, None, targets)
}

/// As [`least_agents`], with Erlang A when `mean_patience_s` is given.
pub fn least_agents_with(
    lambda: f64,
    mean_service_s: f64,
    mean_patience_s: Option<f64>,
    targets: &PhoneTargets,
) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    let a = lambda * mean_service_s;
    let mut c = if mean_patience_s.is_none() {
        (a.floor() as u32) + 1
    } else {
        1
    };
    while !meets(lambda, mean_service_s, c, mean_patience_s, targets) {
        c += 1;
    }
    c
}

/// [`least_agents_with`] per interval, arrivals given per hour.
pub fn staffing_by_interval(
    arrivals_per_hour: &[f64],
    mean_service_s: f64,
    mean_patience_s: Option<f64>,
    targets: &PhoneTargets,
) -> Vec<u32> {
    arrivals_per_hour
        .iter()
        .map(|&l| least_agents_with(l / 3600.0, mean_service_s, mean_patience_s, targets))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} vs {b} (tol {tol})");
    }

    /// Erlang B table values (e.g. the Erlang B table in ITU-D, *Teletraffic Engineering
    /// Handbook*, Iversen, and every traffic table): B(5, 2 E) = 0.0367, B(10, 5 E) = 0.0184,
    /// B(20, 15 E) = 0.0456 (to the table's 3 significant digits).
    #[test]
    fn erlang_b_table() {
        close(erlang_b(5, 2.0), 0.0367, 0.00005);
        close(erlang_b(10, 5.0), 0.0184, 0.00005);
        close(erlang_b(20, 15.0), 0.0456, 0.00005);
        close(erlang_b(1, 1.0), 0.5, 1e-15);
    }

    /// Closed forms from any queueing textbook (Gross & Harris, *Fundamentals of Queueing
    /// Theory*, ch. 2): M/M/1 has P(wait) = ρ and Wq = ρ/(μ − λ); M/M/2 has
    /// P(wait) = 2ρ²/(1 + ρ) with ρ = λ/(2μ).
    #[test]
    fn erlang_c_closed_forms() {
        let (lambda, s) = (1.0 / 300.0, 240.0); // ρ = 0.8
        let k = erlang_c_kpis(lambda, s, 1, 0.0);
        close(k.p_wait, 0.8, 1e-12);
        close(k.avg_wait_s, 0.8 / (1.0 / 240.0 - lambda), 1e-9);
        let rho: f64 = 0.7;
        let lambda2 = 2.0 * rho / s;
        close(
            erlang_c(2, lambda2 * s),
            2.0 * rho * rho / (1.0 + rho),
            1e-12,
        );
    }

    /// The usual call-centre sizing case (360 calls per 30 min, 240 s handle time → 48 Erlang,
    /// 55 agents), checked against a direct summation of the Erlang C formula in log space
    /// (a = 48, c = 55 gives C = 0.2387 to four decimals).
    #[test]
    fn erlang_c_against_direct_sum() {
        let (c, a) = (55u32, 48.0f64);
        // Direct: C = (a^c/c! · c/(c−a)) / (Σ_{k<c} a^k/k! + a^c/c! · c/(c−a)).
        let ln_term = |k: u32| k as f64 * a.ln() - (1..=k).map(|i| (i as f64).ln()).sum::<f64>();
        let top = (ln_term(c)).exp() * c as f64 / (c as f64 - a);
        let sum: f64 = (0..c).map(|k| ln_term(k).exp()).sum();
        let direct = top / (sum + top);
        close(erlang_c(c, a), direct, 1e-12);
        close(erlang_c(c, a), 0.2387, 0.00005);
        // P(W ≤ 20 s) = 1 − C·exp(−(c − a)·20/240).
        let sl = erlang_c_service_level(360.0 / 1800.0, 240.0, c, 20.0);
        close(sl, 1.0 - direct * (-(7.0f64) * 20.0 / 240.0).exp(), 1e-12);
        // Stable for very large systems.
        let big = erlang_c(2000, 1950.0);
        assert!(big.is_finite() && big > 0.0 && big < 1.0);
    }

    /// Erlang A limits: patience → ∞ gives Erlang C; patience = service time makes the chain
    /// M/M/∞ (N ~ Poisson(a)), so P(wait) = P(N ≥ c) and P(abandon) = E[(N − c)⁺]/a.
    #[test]
    fn erlang_a_limits() {
        let (lambda, s, c) = (84.0 / 3600.0, 240.0, 6u32);
        let ec = erlang_c_kpis(lambda, s, c, 900.0);
        let ea = erlang_a_kpis(lambda, s, c, 1e12, 900.0);
        close(ea.p_wait, ec.p_wait, 1e-6);
        close(ea.avg_wait_s, ec.avg_wait_s, 1e-3);
        close(ea.service_level, ec.service_level, 1e-6);

        let a = lambda * s;
        let ea = erlang_a_kpis(lambda, s, c, s, 900.0);
        let mut pn = (-a).exp();
        let (mut below, mut excess) = (0.0, 0.0);
        for n in 0..200u32 {
            if n < c {
                below += pn;
            } else {
                excess += (n - c) as f64 * pn;
            }
            pn *= a / (n as f64 + 1.0);
        }
        close(ea.p_wait, 1.0 - below, 1e-12);
        close(ea.p_abandon, excess / a, 1e-12);
        assert!(ea.service_level > 0.0 && ea.service_level <= 1.0);
    }

    /// With patience θ = μ and c = 1 the position chain is simple enough to check the wait of
    /// served callers by hand: rates cμ + (k+1)θ = (k+2)μ.
    #[test]
    fn erlang_a_served_wait_by_hand() {
        let (lambda, s) = (1.0 / 240.0, 240.0); // a = 1, μ = θ
        let mu = 1.0 / s;
        let k = erlang_a_kpis(lambda, s, 1, s, 1e9);
        // P(N = n) = e^-1/n!; arrival with n ≥ 1 has j = n − 1 ahead;
        // P(served | j) = Π_{k=0..j} (k+1)/(k+2) = 1/(j+2); E[W | served, j] = Σ 1/((k+2)μ).
        let (mut ps, mut ew) = (0.0, 0.0);
        let mut pn = (-1.0f64).exp();
        let p0 = pn;
        for n in 1..60u32 {
            pn /= n as f64;
            let j = n - 1;
            let served = 1.0 / (j as f64 + 2.0);
            let w: f64 = (0..=j).map(|k| 1.0 / ((k as f64 + 2.0) * mu)).sum();
            ps += pn * served;
            ew += pn * served * w;
        }
        close(k.p_abandon, 1.0 - p0 - ps, 1e-12);
        close(k.avg_wait_s, ew / (p0 + ps), 1e-9);
        close(k.service_level, 1.0, 1e-9);
    }

    #[test]
    fn least_agents_meets_targets_and_is_least() {
        let t = PhoneTargets::default();
        for &per_hour in &[5.0, 30.0, 84.0, 200.0, 600.0] {
            let lambda = per_hour / 3600.0;
            let c = least_agents(lambda, 240.0, &t);
            assert!(meets(lambda, 240.0, c, None, &t));
            assert!(c == 1 || !meets(lambda, 240.0, c - 1, None, &t));
            let ca = least_agents_with(lambda, 240.0, Some(600.0), &t);
            assert!(ca <= c, "abandonment never needs more agents");
        }
        assert_eq!(least_agents(0.0, 240.0, &t), 0);
        assert_eq!(
            staffing_by_interval(&[0.0, 84.0], 240.0, None, &t),
            vec![0, least_agents(84.0 / 3600.0, 240.0, &t)]
        );
    }
}
