//! Step 6: PLO's alternative — an area target the clinics of an area meet together — side by
//! side with the clinic model.
//!
//! - **Clinic model**: every clinic must reach its own minimum patient number. A clinic below
//!   it is asked to take `minimum − listed` more patients.
//! - **Area model**: the clinics of an area together must reach the area's average per
//!   capacity × the capacities located there; inside the area list sizes may vary. An area
//!   below its target is asked for `target − listed` more patients, and the clinics asked are
//!   those of such an area whose list is below their share (area average × their capacities).
//!
//! Per clinic, the clinic model's number is compared with its area-model share: a clinic
//! *gains* under the clinic model when its number is lower there (fewer patients before it
//! may close), and *loses* when it is higher (more than half a patient either way).

use crate::model::{Level, Model};
use almen_core::Day;
use almen_dataset::ClinicType;
use serde::Serialize;
use std::collections::BTreeMap;

/// What one model asks of the clinics.
#[derive(Debug, Clone, Serialize)]
pub struct Asked {
    /// Clinics asked to take more patients.
    pub clinics: u32,
    /// Patients they are asked to take in all (whole patients in tables, unrounded here).
    pub patients: f64,
}

/// The spread of a list-size measure per capacity over the clinics with capacities.
#[derive(Debug, Clone, Serialize)]
pub struct Spread {
    pub clinics: u32,
    pub min: f64,
    pub p10: f64,
    pub median: f64,
    pub p90: f64,
    pub max: f64,
    pub mean: f64,
    /// Standard deviation ÷ mean.
    pub coefficient_of_variation: f64,
}

impl Spread {
    /// Percentiles by the nearest-rank method.
    pub fn of(mut v: Vec<f64>) -> Option<Spread> {
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let rank = |p: f64| v[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
        let mean = v.iter().sum::<f64>() / n as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        Some(Spread {
            clinics: n as u32,
            min: v[0],
            p10: rank(0.10),
            median: rank(0.50),
            p90: rank(0.90),
            max: v[n - 1],
            mean,
            coefficient_of_variation: if mean != 0.0 { var.sqrt() / mean } else { 0.0 },
        })
    }
}

/// Gainers and losers in one group (a clinic type or an area).
#[derive(Debug, Clone, Serialize)]
pub struct GainLoss {
    /// The clinic type (`plo`, `region`, `udbud`) or the area code.
    pub group: String,
    /// The area's name (null for a clinic type).
    pub name: Option<String>,
    pub clinics: u32,
    /// Lower number under the clinic model than under the area model.
    pub gainers: u32,
    /// Higher number under the clinic model.
    pub losers: u32,
    pub unchanged: u32,
    /// Mean of (clinic model − area model) per capacity: negative = the group gains.
    pub mean_difference_per_capacity: f64,
}

/// One clinic under both models.
#[derive(Debug, Clone, Serialize)]
pub struct ClinicComparison {
    pub clinic_id: String,
    pub clinic_type: ClinicType,
    pub area_code: String,
    pub capacities: f64,
    pub listed: u64,
    /// The clinic model's minimum patient number (after any limits).
    pub clinic_model: f64,
    /// The area model's share: area average per capacity × capacities.
    pub area_model: f64,
    /// clinic_model − area_model.
    pub difference: f64,
}

/// Both models side by side.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub date: Day,
    pub level: Level,
    pub weights: String,
    pub reference_per_capacity: f64,
    pub clinic_model: Asked,
    pub area_model: Asked,
    /// Today's listed patients per capacity.
    pub current_spread: Option<Spread>,
    /// Minimum patient numbers per capacity under the clinic model.
    pub clinic_model_spread: Option<Spread>,
    /// Area averages per capacity, clinic by clinic, under the area model.
    pub area_model_spread: Option<Spread>,
    pub by_clinic_type: Vec<GainLoss>,
    pub by_area: Vec<GainLoss>,
    pub clinics: Vec<ClinicComparison>,
}

/// Differences within this many patients count as unchanged.
pub const UNCHANGED_WITHIN: f64 = 0.5;

#[derive(Default)]
struct Group {
    clinics: u32,
    gainers: u32,
    losers: u32,
    diff_per_cap: f64,
    with_cap: u32,
}

impl Group {
    fn add(&mut self, c: &ClinicComparison) {
        self.clinics += 1;
        if c.difference < -UNCHANGED_WITHIN {
            self.gainers += 1;
        } else if c.difference > UNCHANGED_WITHIN {
            self.losers += 1;
        }
        if c.capacities > 0.0 {
            self.diff_per_cap += c.difference / c.capacities;
            self.with_cap += 1;
        }
    }
    fn finish(self, group: String, name: Option<String>) -> GainLoss {
        GainLoss {
            group,
            name,
            clinics: self.clinics,
            gainers: self.gainers,
            losers: self.losers,
            unchanged: self.clinics - self.gainers - self.losers,
            mean_difference_per_capacity: if self.with_cap > 0 {
                self.diff_per_cap / self.with_cap as f64
            } else {
                0.0
            },
        }
    }
}

/// Compares the clinic model with PLO's area model.
pub fn compare(model: &Model) -> Comparison {
    let r = model.reference_per_capacity;
    let area_avg: Vec<f64> = model
        .areas
        .iter()
        .map(|a| a.average_per_capacity.unwrap_or(r))
        .collect();
    // Area model: areas below target.
    let mut area_short = vec![false; model.areas.len()];
    let mut area_patients = 0.0;
    for (i, a) in model.areas.iter().enumerate() {
        let target = area_avg[i] * a.capacities;
        let gap = target - a.listed as f64;
        if gap > 0.0 {
            area_short[i] = true;
            area_patients += gap;
        }
    }
    let mut clinic_asked = Asked {
        clinics: 0,
        patients: 0.0,
    };
    let mut area_clinics = 0;
    let mut clinics = Vec::with_capacity(model.clinics.len());
    for c in &model.clinics {
        let share = area_avg[c.area as usize] * c.capacities;
        let listed = c.listed as f64;
        if listed < c.minimum_patients {
            clinic_asked.clinics += 1;
            clinic_asked.patients += c.minimum_patients - listed;
        }
        if area_short[c.area as usize] && listed < share {
            area_clinics += 1;
        }
        clinics.push(ClinicComparison {
            clinic_id: c.clinic_id.clone(),
            clinic_type: c.clinic_type,
            area_code: c.area_code.clone(),
            capacities: c.capacities,
            listed: c.listed,
            clinic_model: c.minimum_patients,
            area_model: share,
            difference: c.minimum_patients - share,
        });
    }
    let per_cap = |f: &dyn Fn(&ClinicComparison) -> f64| -> Option<Spread> {
        Spread::of(
            clinics
                .iter()
                .filter(|c| c.capacities > 0.0)
                .map(|c| f(c) / c.capacities)
                .collect(),
        )
    };
    let current_spread = per_cap(&|c| c.listed as f64);
    let clinic_model_spread = per_cap(&|c| c.clinic_model);
    let area_model_spread = per_cap(&|c| c.area_model);

    let mut by_type: BTreeMap<ClinicType, Group> = BTreeMap::new();
    let mut by_area: Vec<Group> = (0..model.areas.len()).map(|_| Group::default()).collect();
    for (c, f) in clinics.iter().zip(&model.clinics) {
        by_type.entry(c.clinic_type).or_default().add(c);
        by_area[f.area as usize].add(c);
    }
    Comparison {
        date: model.date,
        level: model.level,
        weights: model.weights.clone(),
        reference_per_capacity: r,
        clinic_model: clinic_asked,
        area_model: Asked {
            clinics: area_clinics,
            patients: area_patients,
        },
        current_spread,
        clinic_model_spread,
        area_model_spread,
        by_clinic_type: by_type
            .into_iter()
            .map(|(t, g)| g.finish(t.as_str().to_string(), None))
            .collect(),
        by_area: by_area
            .into_iter()
            .zip(&model.areas)
            .filter(|(g, _)| g.clinics > 0)
            .map(|(g, a)| g.finish(a.code.clone(), Some(a.name.clone())))
            .collect(),
        clinics,
    }
}
