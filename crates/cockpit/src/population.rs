//! Whole-population membership: which lists every citizen of a dataset is on at a date,
//! whether listed with a clinic or not. Other modules (the capacity model's disease weights)
//! use it so that a condition means the same thing there as in the cockpit.
//!
//! Listed citizens are evaluated exactly as [`evaluate_clinic`](crate::evaluate_clinic) and
//! [`evaluate_all`](crate::evaluate_all) evaluate them: contacts are with their own clinic, and
//! top-percent lists are relative to the clinic's population (lists that need them are
//! evaluated clinic by clinic; all others in one pass over the patients). Citizens without a
//! list place are evaluated by the same row pass with no clinic: they have no contacts with an
//! own clinic, and they are on no top-percent list (those lists are defined within a clinic's
//! population).

use crate::engine::{Plan, Scratch, bit, eval};
use crate::format::{Expr, Leaf, Metric};
use crate::lists::ListSet;
use crate::report::MembersError;
use almen_core::Day;
use almen_dataset::{Dataset, NONE};
use rayon::prelude::*;

/// Which lists `wanted` needs (the lists themselves and those they refer to); whether these
/// read observations (values, FLS groups) and claims (contacts, continuity); and whether they
/// have top-percent criteria (which need a clinic's whole population).
fn inputs(lists: &ListSet, wanted: &[usize]) -> (Vec<bool>, bool, bool, bool) {
    fn walk(e: &Expr, leaves: &mut Vec<usize>, lists: &mut Vec<usize>) {
        match e {
            Expr::All(v) | Expr::Any(v) | Expr::None(v) | Expr::AtLeast(_, v) => {
                for x in v {
                    walk(x, leaves, lists);
                }
            }
            Expr::Leaf(i) => leaves.push(*i),
            Expr::List(i) => lists.push(*i),
        }
    }
    let mut seen = vec![false; lists.len()];
    let mut stack = wanted.to_vec();
    let mut leaves = Vec::new();
    while let Some(l) = stack.pop() {
        if !std::mem::replace(&mut seen[l], true) {
            walk(&lists.list(l).expr, &mut leaves, &mut stack);
        }
    }
    let contact = |m: &Metric| matches!(m, Metric::Contacts | Metric::Upc | Metric::Coc);
    let (mut observations, mut claims, mut top) = (false, false, false);
    for i in leaves {
        let leaf = &lists.leaves[i];
        top |= matches!(leaf, Leaf::Top { .. });
        match leaf {
            Leaf::Observation { .. } | Leaf::Fls(_) => observations = true,
            Leaf::Metric { metric, .. } | Leaf::Top { metric, .. } if contact(metric) => {
                claims = true
            }
            _ => {}
        }
    }
    (seen, observations, claims, top)
}

fn set_bit(words: &mut [u64], i: usize) {
    words[i / 64] |= 1 << (i % 64);
}

/// Per patient row of a dataset: which of the requested lists the patient is on at `date`.
#[derive(Debug, Clone)]
pub struct Memberships {
    pub date: Day,
    /// The requested list ids, in the caller's order (bit `i` is `ids[i]`).
    pub ids: Vec<String>,
    /// u64 words per patient.
    pub words: usize,
    /// `words` words per patient row; all zero outside the population.
    pub bits: Vec<u64>,
    /// Per patient row: in the population at `date` (born on or before it, alive on it).
    pub in_population: Vec<bool>,
}

impl Memberships {
    /// Is patient row `row` on requested list `i` (index into [`Memberships::ids`])?
    pub fn has(&self, row: usize, i: usize) -> bool {
        bit(&self.bits[row * self.words..(row + 1) * self.words], i)
    }
    /// The words of patient row `row`.
    pub fn of(&self, row: usize) -> &[u64] {
        &self.bits[row * self.words..(row + 1) * self.words]
    }
    /// Citizens in the population.
    pub fn population(&self) -> usize {
        self.in_population.iter().filter(|x| **x).count()
    }
}

/// Evaluates `ids` (and whatever they depend on) for every patient of the dataset at `date`,
/// in parallel. Unknown ids are refused.
pub fn memberships(
    ds: &Dataset,
    lists: &ListSet,
    ids: &[&str],
    date: Day,
) -> Result<Memberships, MembersError> {
    let mut wanted = Vec::with_capacity(ids.len());
    for id in ids {
        match lists.index_of(id) {
            Some(i) => wanted.push(i),
            None => {
                return Err(MembersError::UnknownList {
                    id: id.to_string(),
                    known: lists.ids().iter().map(|s| s.to_string()).collect(),
                });
            }
        }
    }
    let words = ids.len().div_ceil(64).max(1);
    let np = ds.patients.len();
    let mut plan = Plan::new(ds, lists, date, None);
    // Observations and claims are the largest tables: read them only when a reported list
    // needs them (every other list's bits are then not reported).
    let (needed, observations, claims, top) = inputs(lists, &wanted);
    plan.read_observations = observations;
    plan.read_claims = claims;
    let p = &ds.patients;
    let in_population: Vec<bool> = (0..np)
        .into_par_iter()
        .map(|r| p.birth_date[r] <= date && p.alive_at(r, date))
        .collect();

    // Without top-percent criteria every citizen is evaluated on its own: one pass over the
    // patient rows in order, listed (with the own clinic) or not, evaluating only the lists
    // needed.
    if !top {
        let order: Vec<usize> = plan
            .set
            .order
            .iter()
            .copied()
            .filter(|&l| needed[l])
            .collect();
        let lw = plan.list_words;
        let mut bits = vec![0u64; np * words];
        const CHUNK: usize = 2048;
        bits.par_chunks_mut(CHUNK * words)
            .enumerate()
            .for_each(|(ci, out)| {
                let mut s = Scratch::default();
                let mut leaves = vec![0u64; plan.words];
                let mut list_bits = vec![0u64; lw];
                for i in 0..out.len() / words {
                    let r = ci * CHUNK + i;
                    if !in_population[r] {
                        continue;
                    }
                    plan.patient(r as u32, p.clinic[r], &mut s, &mut leaves);
                    list_bits.fill(0);
                    for &li in &order {
                        if eval(&plan.set.list(li).expr, &leaves, &list_bits) {
                            set_bit(&mut list_bits, li);
                        }
                    }
                    for (j, &li) in wanted.iter().enumerate() {
                        if bit(&list_bits, li) {
                            set_bit(&mut out[i * words..(i + 1) * words], j);
                        }
                    }
                }
            });
        return Ok(Memberships {
            date,
            ids: ids.iter().map(|s| s.to_string()).collect(),
            words,
            bits,
            in_population,
        });
    }
    let lw = plan.list_words;
    let pick = |list_bits: &[u64], out: &mut [u64]| {
        for (j, &li) in wanted.iter().enumerate() {
            if bit(list_bits, li) {
                set_bit(out, j);
            }
        }
    };

    // Listed citizens: the cockpit's clinic evaluation.
    let per_clinic: Vec<(Vec<u32>, Vec<u64>)> = (0..ds.clinics.len() as u32)
        .into_par_iter()
        .map(|c| {
            let ev = plan.clinic(c);
            let mut out = vec![0u64; ev.facts.len() * words];
            for i in 0..ev.facts.len() {
                pick(
                    &ev.list_bits[i * lw..(i + 1) * lw],
                    &mut out[i * words..(i + 1) * words],
                );
            }
            (ev.facts.iter().map(|f| f.row).collect(), out)
        })
        .collect();

    // Citizens without a list place: the same row pass without a clinic.
    let unlisted: Vec<u32> = (0..np as u32)
        .filter(|&r| p.clinic[r as usize] == NONE && in_population[r as usize])
        .collect();
    let unlisted_bits: Vec<u64> = unlisted
        .par_chunks(4096)
        .flat_map_iter(|chunk| {
            let mut s = Scratch::default();
            let mut leaves = vec![0u64; plan.words];
            let mut list_bits = vec![0u64; lw];
            let mut out = vec![0u64; chunk.len() * words];
            for (i, &r) in chunk.iter().enumerate() {
                plan.patient(r, NONE, &mut s, &mut leaves);
                list_bits.fill(0);
                for &li in &plan.set.order {
                    if eval(&plan.set.list(li).expr, &leaves, &list_bits) {
                        set_bit(&mut list_bits, li);
                    }
                }
                pick(&list_bits, &mut out[i * words..(i + 1) * words]);
            }
            out
        })
        .collect();

    let mut bits = vec![0u64; np * words];
    let mut scatter = |rows: &[u32], src: &[u64]| {
        for (i, &r) in rows.iter().enumerate() {
            let r = r as usize;
            bits[r * words..(r + 1) * words].copy_from_slice(&src[i * words..(i + 1) * words]);
        }
    };
    for (rows, src) in &per_clinic {
        scatter(rows, src);
    }
    scatter(&unlisted, &unlisted_bits);
    Ok(Memberships {
        date,
        ids: ids.iter().map(|s| s.to_string()).collect(),
        words,
        bits,
        in_population,
    })
}
