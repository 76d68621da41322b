//! Statistical control: an age/sex-standardised activity index per clinic (indirect
//! standardisation against the clinic's region).
//!
//! For every age band × sex cell, the region's rate is the region's clinics' observed fees for
//! patients in the cell ÷ the region's listed patients in the cell. A clinic's expected fees
//! are Σ its listed patients per cell × the region's rate; its index is observed ÷ expected ×
//! 100, overall and per service group (the catalogue category). Index 100 = the region's
//! level for a list of this age and sex; a clinic above the threshold is flagged.

use crate::controls::Analysis;
use almen_core::{Day, Sex};
use almen_dataset::{Dataset, NONE};
use almen_reference::{POP_BANDS, Region, ServiceCode, pop_band, services};
use serde::Serialize;
use std::collections::HashMap;

/// Age bands × sexes.
pub const CELLS: usize = POP_BANDS * 2;

/// The cell of a patient at a date.
pub fn cell_of(ds: &Dataset, patient: u32, at: Day) -> usize {
    let p = patient as usize;
    let band = pop_band(ds.patients.birth_date[p].age_at(at));
    band * 2 + usize::from(ds.patients.sex[p] == Sex::M)
}

/// Service groups: the catalogue categories, plus `other` for codes it does not know.
#[derive(Debug, Clone)]
pub struct Groups {
    pub names: Vec<String>,
    by_code: HashMap<ServiceCode, usize>,
}

impl Groups {
    pub fn from_catalogue() -> Groups {
        let mut names: Vec<String> = services().iter().map(|s| s.category.clone()).collect();
        names.sort();
        names.dedup();
        names.push("other".into());
        let by_code = services()
            .iter()
            .map(|s| {
                (
                    s.code,
                    names.iter().position(|n| *n == s.category).unwrap_or(0),
                )
            })
            .collect();
        Groups { names, by_code }
    }
    pub fn len(&self) -> usize {
        self.names.len()
    }
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
    pub fn of(&self, code: ServiceCode) -> usize {
        self.by_code
            .get(&code)
            .copied()
            .unwrap_or(self.names.len() - 1)
    }
}

/// One clinic's inputs: listed patients per cell, observed fees per cell and group.
#[derive(Debug, Clone)]
pub struct ClinicCells {
    pub clinic_id: String,
    pub region: Region,
    pub listed: [f64; CELLS],
    /// `observed[cell * groups + group]`.
    pub observed: Vec<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupIndex {
    pub group: String,
    pub observed_dkk: f64,
    pub expected_dkk: f64,
    /// `None` when nothing was expected.
    pub index: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClinicIndex {
    pub clinic_id: String,
    pub region: Region,
    pub listed: f64,
    pub observed_dkk: f64,
    pub expected_dkk: f64,
    pub index: Option<f64>,
    pub groups: Vec<GroupIndex>,
    pub flagged: bool,
    /// Why the clinic is flagged (empty when it is not).
    pub explanation: String,
}

fn ratio(o: f64, e: f64) -> Option<f64> {
    (e > 0.0).then(|| o / e * 100.0)
}

/// Indirect standardisation against each clinic's region; clinics whose overall index is above
/// `threshold` are flagged, naming the service groups above it.
pub fn standardise(clinics: &[ClinicCells], groups: &[String], threshold: f64) -> Vec<ClinicIndex> {
    let ng = groups.len();
    let mut reg: HashMap<Region, (Vec<f64>, Vec<f64>)> = HashMap::new();
    for c in clinics {
        let (listed, obs) = reg
            .entry(c.region)
            .or_insert_with(|| (vec![0.0; CELLS], vec![0.0; CELLS * ng]));
        for k in 0..CELLS {
            listed[k] += c.listed[k];
        }
        for (a, b) in obs.iter_mut().zip(&c.observed) {
            *a += b;
        }
    }
    clinics
        .iter()
        .map(|c| {
            let (rl, ro) = &reg[&c.region];
            let mut gs: Vec<GroupIndex> = groups
                .iter()
                .map(|g| GroupIndex {
                    group: g.clone(),
                    observed_dkk: 0.0,
                    expected_dkk: 0.0,
                    index: None,
                })
                .collect();
            for k in 0..CELLS {
                for g in 0..ng {
                    gs[g].observed_dkk += c.observed[k * ng + g];
                    if rl[k] > 0.0 {
                        gs[g].expected_dkk += c.listed[k] * ro[k * ng + g] / rl[k];
                    }
                }
            }
            for g in &mut gs {
                g.index = ratio(g.observed_dkk, g.expected_dkk);
            }
            let observed: f64 = gs.iter().map(|g| g.observed_dkk).sum();
            let expected: f64 = gs.iter().map(|g| g.expected_dkk).sum();
            let index = ratio(observed, expected);
            let flagged = index.is_some_and(|i| i > threshold);
            let explanation = if flagged {
                let above: Vec<String> = gs
                    .iter()
                    .filter(|g| g.index.is_some_and(|i| i > threshold))
                    .map(|g| format!("{} {:.0}", g.group, g.index.unwrap_or(0.0)))
                    .collect();
                format!(
                    "fees {:.0} % of what the region's rates give for this list's age and sex \
                     (threshold {threshold:.0}); groups above: {}",
                    index.unwrap_or(0.0),
                    if above.is_empty() {
                        "none alone".to_string()
                    } else {
                        above.join(", ")
                    }
                )
            } else {
                String::new()
            };
            ClinicIndex {
                clinic_id: c.clinic_id.clone(),
                region: c.region,
                listed: c.listed.iter().sum(),
                observed_dkk: observed,
                expected_dkk: expected,
                index,
                groups: gs,
                flagged,
                explanation,
            }
        })
        .collect()
}

/// The index inputs from an [`Analysis`]: patients listed and alive at `at` (mid-year).
pub fn clinic_cells(ds: &Dataset, analysis: &Analysis, at: Day) -> Vec<ClinicCells> {
    analysis
        .clinics
        .iter()
        .map(|o| {
            let mut listed = [0.0; CELLS];
            for &p in ds.index.patients_by_clinic.rows_of(o.clinic) {
                if ds.patients.alive_at(p as usize, at) && p != NONE {
                    listed[cell_of(ds, p, at)] += 1.0;
                }
            }
            ClinicCells {
                clinic_id: ds.clinics.id.get(o.clinic as usize).to_string(),
                region: ds.clinics.kommune[o.clinic as usize].info().region,
                listed,
                observed: o.observed.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two clinics in one region, two groups; only cells 0 and 1 used.
    /// Region: cell 0 has 10 + 30 = 40 listed and 400 + 800 = 1200 DKK of group a → rate 30;
    /// cell 1 has 10 + 10 = 20 listed and 600 + 200 = 800 DKK of group b → rate 40.
    /// Clinic A expects 10·30 = 300 (a) and 10·40 = 400 (b): index (400 + 600) / 700 = 142.86;
    /// clinic B expects 30·30 = 900 (a) and 10·40 = 400 (b): index 1000 / 1300 = 76.92.
    #[test]
    fn hand_computed_index() {
        let groups = vec!["a".to_string(), "b".to_string()];
        let mk = |id: &str, l0: f64, l1: f64, a0: f64, b1: f64| {
            let mut listed = [0.0; CELLS];
            listed[0] = l0;
            listed[1] = l1;
            let mut observed = vec![0.0; CELLS * 2];
            observed[0] = a0;
            observed[2 + 1] = b1;
            ClinicCells {
                clinic_id: id.into(),
                region: Region::Midtjylland,
                listed,
                observed,
            }
        };
        let ix = standardise(
            &[
                mk("A", 10.0, 10.0, 400.0, 600.0),
                mk("B", 30.0, 10.0, 800.0, 200.0),
            ],
            &groups,
            120.0,
        );
        assert!((ix[0].expected_dkk - 700.0).abs() < 1e-9);
        assert!((ix[0].index.unwrap() - 1000.0 / 700.0 * 100.0).abs() < 1e-9);
        assert!((ix[0].groups[1].index.unwrap() - 150.0).abs() < 1e-9);
        assert!((ix[1].index.unwrap() - 1000.0 / 1300.0 * 100.0).abs() < 1e-9);
        assert!(ix[0].flagged && !ix[1].flagged);
        assert!(ix[0].explanation.contains("b 150"), "{}", ix[0].explanation);
    }
}
