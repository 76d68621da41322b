//! Steps 3-5: the reference list size R, the area averages and the clinic minimum patient
//! numbers (with optional floor, ceiling and transition cap).

use crate::CapacityError;
use crate::citizens::{Citizens, Sum, Weights};
use almen_core::Day;
use almen_dataset::{ClinicType, Dataset, NONE};
use almen_reference::KommuneCode;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;

/// The areas the model reports: the 98 municipalities or the 17 health councils.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Kommune,
    Sundhedsraad,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Kommune => "kommune",
            Level::Sundhedsraad => "sundhedsraad",
        }
    }
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "kommune" => Some(Level::Kommune),
            "sundhedsraad" | "sundhedsråd" | "health_council" => Some(Level::Sundhedsraad),
            _ => None,
        }
    }
    /// (sort key, code, name) of the area a municipality belongs to. Codes are the
    /// municipality code (`751`) or the health council's number (`0`-`16`, as the cockpit's
    /// aggregates).
    pub fn area_of(self, k: KommuneCode) -> (u32, String, String) {
        let info = k.info();
        match self {
            Level::Kommune => (k.get() as u32, k.get().to_string(), info.name.clone()),
            Level::Sundhedsraad => {
                let hc = info.health_council();
                (hc.id.0 as u32, hc.id.0.to_string(), hc.name.clone())
            }
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which limit set a clinic's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    Floor,
    Ceiling,
    Transition,
}

/// The cap on the yearly change of a clinic's minimum patient number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    /// Largest change from the previous number, as a fraction (0.1 = ±10 %).
    pub max_change: f64,
    /// The previous number per capacity for clinics not in `previous` (e.g. 1,600, the old
    /// flat closure limit).
    pub previous_per_capacity: f64,
    /// Previous minimum patient numbers by clinic id.
    #[serde(skip)]
    pub previous: HashMap<String, f64>,
}

/// Floor, ceiling and transition cap. None applies unless set.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Limits {
    /// The lowest minimum per capacity.
    pub floor_per_capacity: Option<f64>,
    /// The highest minimum per capacity.
    pub ceiling_per_capacity: Option<f64>,
    pub transition: Option<Transition>,
}

impl Limits {
    /// Applies floor and ceiling (per capacity, so scaled by `capacities`), then the transition
    /// cap around the clinic's previous number. Returns the number and the limit that set it.
    pub fn apply(&self, clinic_id: &str, capacities: f64, model: f64) -> (f64, Option<Limit>) {
        let mut x = model;
        let mut by = None;
        if let Some(f) = self.floor_per_capacity
            && x < f * capacities
        {
            x = f * capacities;
            by = Some(Limit::Floor);
        }
        if let Some(c) = self.ceiling_per_capacity
            && x > c * capacities
        {
            x = c * capacities;
            by = Some(Limit::Ceiling);
        }
        if let Some(t) = &self.transition {
            let prev = t
                .previous
                .get(clinic_id)
                .copied()
                .unwrap_or(t.previous_per_capacity * capacities);
            let (lo, hi) = (prev * (1.0 - t.max_change), prev * (1.0 + t.max_change));
            if x < lo {
                x = lo;
                by = Some(Limit::Transition);
            } else if x > hi {
                x = hi;
                by = Some(Limit::Transition);
            }
        }
        (x, by)
    }

    pub fn is_empty(&self) -> bool {
        self.floor_per_capacity.is_none()
            && self.ceiling_per_capacity.is_none()
            && self.transition.is_none()
    }
}

/// One area: its residents and the capacities of the clinics located in it.
#[derive(Debug, Clone, Serialize)]
pub struct AreaFigures {
    pub code: String,
    pub name: String,
    /// Residents at D (listed or not).
    pub citizens: u64,
    /// Σ of the residents' normalised weights.
    pub weighted_citizens: f64,
    /// Capacities of the clinics located in the area.
    pub capacities: f64,
    /// R ÷ the residents' mean weight; null for an area without residents.
    pub average_per_capacity: Option<f64>,
    /// weighted_citizens ÷ citizens.
    pub mean_weight: Option<f64>,
    pub clinics: u32,
    /// Clinics open for new patients.
    pub open_clinics: u32,
    /// Patients listed with the area's clinics (wherever they live).
    pub listed: u64,
    /// Residents without a list place.
    pub without_list_place: u64,
}

/// One clinic's minimum patient number and how it was computed.
#[derive(Debug, Clone, Serialize)]
pub struct ClinicFigures {
    /// Row of the clinic in the dataset.
    #[serde(skip)]
    pub row: u32,
    /// Index of its area in [`Model::areas`].
    #[serde(skip)]
    pub area: u32,
    pub clinic_id: String,
    pub name: String,
    pub clinic_type: ClinicType,
    pub kommune: u16,
    pub area_code: String,
    pub open_for_new: bool,
    pub capacities: f64,
    /// Listed patients in the population at D.
    pub listed: u64,
    /// Σ of their normalised weights.
    pub weighted_listed: f64,
    /// Null for a clinic without listed patients (its number then uses mean weight 1.0).
    pub mean_weight: Option<f64>,
    /// capacities × R ÷ mean weight, before any limit.
    pub model_minimum: f64,
    /// After floor, ceiling and transition cap (equal to `model_minimum` when none is set).
    pub minimum_patients: f64,
    /// The limit that set `minimum_patients`, if any.
    pub limited_by: Option<Limit>,
}

/// The whole model for a dataset at a date.
#[derive(Debug, Clone, Serialize)]
pub struct Model {
    pub date: Day,
    pub level: Level,
    /// The weight table's label.
    pub weights: String,
    /// Living citizens at D.
    pub citizens: u64,
    /// Σ normalised weights (= citizens, as the mean weight is 1.0).
    pub weighted_citizens: f64,
    /// Doctor capacities of all clinics.
    pub capacities: f64,
    /// R = weighted citizens ÷ capacities.
    pub reference_per_capacity: f64,
    pub limits: Limits,
    pub areas: Vec<AreaFigures>,
    pub clinics: Vec<ClinicFigures>,
}

#[derive(Clone)]
struct Acc {
    area_n: Vec<u64>,
    area_w: Vec<Sum>,
    area_unlisted: Vec<u64>,
    clinic_n: Vec<u64>,
    clinic_w: Vec<Sum>,
}

impl Acc {
    fn new(na: usize, nc: usize) -> Acc {
        Acc {
            area_n: vec![0; na],
            area_w: vec![Sum::default(); na],
            area_unlisted: vec![0; na],
            clinic_n: vec![0; nc],
            clinic_w: vec![Sum::default(); nc],
        }
    }
    fn merge(mut self, o: Acc) -> Acc {
        for i in 0..self.area_n.len() {
            self.area_n[i] += o.area_n[i];
            self.area_w[i] = self.area_w[i].merge(o.area_w[i]);
            self.area_unlisted[i] += o.area_unlisted[i];
        }
        for i in 0..self.clinic_n.len() {
            self.clinic_n[i] += o.clinic_n[i];
            self.clinic_w[i] = self.clinic_w[i].merge(o.clinic_w[i]);
        }
        self
    }
}

/// Areas present in the dataset (where a citizen lives or a clinic is), sorted, and the area
/// index of every municipality code (NONE when absent).
pub(crate) fn areas_of(ds: &Dataset, level: Level) -> (Vec<(String, String)>, Vec<u32>) {
    let mut used = vec![false; 1000];
    for k in ds.patients.kommune.iter().chain(ds.clinics.kommune.iter()) {
        used[k.get() as usize] = true;
    }
    let mut keys: Vec<(u32, String, String)> = Vec::new();
    let mut of_code: Vec<(usize, u32)> = Vec::new();
    for (code, _) in used.iter().enumerate().filter(|(_, u)| **u) {
        let Ok(k) = KommuneCode::new(code as u16) else {
            continue;
        };
        let key = level.area_of(k);
        if !keys.contains(&key) {
            keys.push(key.clone());
        }
        of_code.push((code, key.0));
    }
    keys.sort();
    let mut index = vec![NONE; 1000];
    for (code, order) in of_code {
        index[code] = keys.iter().position(|k| k.0 == order).unwrap_or(0) as u32;
    }
    (keys.into_iter().map(|(_, c, n)| (c, n)).collect(), index)
}

/// Steps 3-5 for weighted citizens: R, the areas and every clinic.
pub fn compute(
    ds: &Dataset,
    citizens: &Citizens,
    weights: &Weights,
    level: Level,
    limits: &Limits,
    weights_label: &str,
) -> Result<Model, CapacityError> {
    let cl = &ds.clinics;
    let nc = cl.len();
    let capacities: f64 = {
        let mut s = Sum::default();
        for &c in &cl.capacities {
            s.add(c);
        }
        s.value()
    };
    if capacities <= 0.0 {
        return Err(CapacityError::NoCapacities);
    }
    let (area_keys, area_index) = areas_of(ds, level);
    let na = area_keys.len();
    let p = &ds.patients;
    let acc = citizens
        .rows
        .par_chunks(1 << 16)
        .zip(weights.weight.par_chunks(1 << 16))
        .map(|(rows, ws)| {
            let mut a = Acc::new(na, nc);
            for (&r, &w) in rows.iter().zip(ws) {
                let r = r as usize;
                let ai = area_index[p.kommune[r].get() as usize] as usize;
                a.area_n[ai] += 1;
                a.area_w[ai].add(w);
                let c = p.clinic[r];
                if c == NONE {
                    a.area_unlisted[ai] += 1;
                } else {
                    a.clinic_n[c as usize] += 1;
                    a.clinic_w[c as usize].add(w);
                }
            }
            a
        })
        .collect::<Vec<Acc>>()
        .into_iter()
        .fold(Acc::new(na, nc), Acc::merge);

    let weighted_citizens = acc
        .area_w
        .iter()
        .fold(Sum::default(), |s, x| s.merge(*x))
        .value();
    let r = weighted_citizens / capacities;

    let mut areas: Vec<AreaFigures> = area_keys
        .into_iter()
        .enumerate()
        .map(|(i, (code, name))| {
            let n = acc.area_n[i];
            let w = acc.area_w[i].value();
            let mean = (n > 0).then(|| w / n as f64);
            AreaFigures {
                code,
                name,
                citizens: n,
                weighted_citizens: w,
                capacities: 0.0,
                average_per_capacity: mean.map(|m| r / m),
                mean_weight: mean,
                clinics: 0,
                open_clinics: 0,
                listed: 0,
                without_list_place: acc.area_unlisted[i],
            }
        })
        .collect();

    let mut clinics = Vec::with_capacity(nc);
    for c in 0..nc {
        let k = cl.kommune[c];
        let ai = area_index[k.get() as usize];
        let a = &mut areas[ai as usize];
        let cap = cl.capacities[c];
        a.capacities += cap;
        a.clinics += 1;
        a.open_clinics += cl.open_for_new[c] as u32;
        a.listed += acc.clinic_n[c];
        let n = acc.clinic_n[c];
        let w = acc.clinic_w[c].value();
        let mean = (n > 0 && w > 0.0).then(|| w / n as f64);
        let model_minimum = cap * r / mean.unwrap_or(1.0);
        let id = cl.id.get(c);
        let (minimum, by) = limits.apply(id, cap, model_minimum);
        clinics.push(ClinicFigures {
            row: c as u32,
            area: ai,
            clinic_id: id.to_string(),
            name: cl.name.get(c).to_string(),
            clinic_type: cl.clinic_type[c],
            kommune: k.get(),
            area_code: a.code.clone(),
            open_for_new: cl.open_for_new[c],
            capacities: cap,
            listed: n,
            weighted_listed: w,
            mean_weight: mean,
            model_minimum,
            minimum_patients: minimum,
            limited_by: by,
        });
    }

    Ok(Model {
        date: citizens.date,
        level,
        weights: weights_label.to_string(),
        citizens: citizens.len() as u64,
        weighted_citizens,
        capacities,
        reference_per_capacity: r,
        limits: limits.clone(),
        areas,
        clinics,
    })
}
