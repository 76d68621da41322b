//! Fee-structure simulation (DOMAIN.md §3, the 2027 fee reform): today's flat capitation
//! (basishonorar per listed patient-year) plus fee-for-service, against a scenario whose
//! capitation is differentiated by the listed patients' disease weights (the capacity model's
//! weights, [`almen_capacity`]), budget-neutral or with an added pool, optionally with a floor
//! so no clinic's per-patient capitation falls. The scenario file format is documented in
//! `SCENARIOS.md`; an example is `scenarios/differentiated.scenario`.
//!
//! Fee-for-service is the same in both: only the capitation moves.

use crate::bills::{capitation_fee, line_amount, year_bounds};
use almen_capacity::{Citizens, WeightTable, apply_weights};
use almen_cockpit::ListSet;
use almen_core::Day;
use almen_dataset::Dataset;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// How the scenario's capitation is paid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CapitationKind {
    /// The same amount per listed patient-year (today's structure).
    Flat,
    /// A share of the pot by listed patient-years × disease weight, the rest flat.
    Weighted,
}

/// One fee-structure scenario, as read from a scenario file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    /// The file it was read from (for messages).
    pub file: String,
    pub name: String,
    pub capitation: CapitationKind,
    /// Share (0-1) of the capitation pot paid by disease weight (1 with `weighted` unless
    /// given; 0 with `flat`).
    pub weighted_share: f64,
    /// Money added to the capitation pot (DKK, ≥ 0).
    pub pool_dkk: f64,
    /// Money added to the capitation pot as a percentage of today's capitation (≥ 0); added to
    /// `pool_dkk`.
    pub pool_pct: f64,
    /// No clinic's per-patient capitation may fall below today's.
    pub floor: bool,
    /// Today's capitation per listed patient-year (default: the catalogue's basishonorar).
    pub fee_per_patient_dkk: Option<f64>,
    /// The year (service dates and listing); default: the caller's.
    pub year: Option<i32>,
    /// The date the disease weights are taken at; default: 31 December of the year.
    pub weight_date: Option<Day>,
    /// A weight table file (CSV `term,value`, relative to the scenario file); default: the
    /// shipped table.
    pub weights: Option<PathBuf>,
}

/// One problem in a scenario file: `FILE:LINE: field: problem (value)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioProblem {
    pub file: String,
    pub line: Option<usize>,
    pub field: String,
    pub problem: String,
    pub value: Option<String>,
}

impl fmt::Display for ScenarioProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        write!(f, ": {}: {}", self.field, self.problem)?;
        if let Some(v) = &self.value {
            write!(f, " ({v})")?;
        }
        Ok(())
    }
}

/// Every problem of a scenario file (nothing is computed when there is one).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ScenarioError {
    pub problems: Vec<ScenarioProblem>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

const FIELDS: &[&str] = &[
    "name",
    "capitation",
    "weighted_share",
    "pool_dkk",
    "pool_pct",
    "floor",
    "fee_per_patient_dkk",
    "year",
    "weight_date",
    "weights",
];

impl Scenario {
    /// Reads a scenario file.
    pub fn read(path: &Path) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            problems: vec![ScenarioProblem {
                file: file.clone(),
                line: None,
                field: "file".into(),
                problem: format!("cannot read the file: {e}"),
                value: None,
            }],
        })?;
        let mut s = Scenario::parse(&file, &text)?;
        if let (Some(w), Some(dir)) = (&s.weights, path.parent())
            && w.is_relative()
        {
            s.weights = Some(dir.join(w));
        }
        Ok(s)
    }

    /// Parses the text of a scenario file; `file` names it in messages. Every problem is
    /// reported.
    pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
        let mut problems = Vec::new();
        let mut seen: BTreeMap<&str, (usize, String)> = BTreeMap::new();
        let mut problem = |line: Option<usize>, field: &str, p: &str, v: Option<&str>| {
            problems.push(ScenarioProblem {
                file: file.to_string(),
                line,
                field: field.to_string(),
                problem: p.to_string(),
                value: v.map(str::to_string),
            })
        };
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((k, v)) = line.split_once('=') else {
                problem(Some(n), "line", "expected field = value", Some(line));
                continue;
            };
            let (k, v) = (k.trim(), v.trim());
            let Some(&k) = FIELDS.iter().find(|f| **f == k) else {
                problem(
                    Some(n),
                    k,
                    &format!("unknown field; expected one of: {}", FIELDS.join(", ")),
                    None,
                );
                continue;
            };
            if let Some((first, _)) = seen.get(k) {
                problem(
                    Some(n),
                    k,
                    &format!("given twice (first on line {first})"),
                    Some(v),
                );
                continue;
            }
            seen.insert(k, (n, v.to_string()));
        }
        let get = |k: &str| seen.get(k).map(|(n, v)| (*n, v.as_str()));
        let mut number = |k: &str, ok: &dyn Fn(f64) -> bool, what: &str| -> Option<f64> {
            let (n, v) = get(k)?;
            match v.parse::<f64>() {
                Ok(x) if x.is_finite() && ok(x) => Some(x),
                Ok(_) => {
                    problem(Some(n), k, what, Some(v));
                    None
                }
                Err(_) => {
                    problem(Some(n), k, "not a number", Some(v));
                    None
                }
            }
        };
        let weighted_share = number(
            "weighted_share",
            &|x| (0.0..=1.0).contains(&x),
            "must be between 0 and 1",
        );
        let pool_dkk = number("pool_dkk", &|x| x >= 0.0, "must be 0 or more (DKK)");
        let pool_pct = number("pool_pct", &|x| x >= 0.0, "must be 0 or more (%)");
        let fee = number("fee_per_patient_dkk", &|x| x > 0.0, "must be above 0 (DKK)");
        let name = match get("name") {
            Some((_, v)) if !v.is_empty() => v.to_string(),
            Some((n, v)) => {
                problem(Some(n), "name", "empty", Some(v));
                String::new()
            }
            None => {
                problem(None, "name", "missing", None);
                String::new()
            }
        };
        let capitation = match get("capitation") {
            Some((_, "flat")) => Some(CapitationKind::Flat),
            Some((_, "weighted")) => Some(CapitationKind::Weighted),
            Some((n, v)) => {
                problem(Some(n), "capitation", "expected flat or weighted", Some(v));
                None
            }
            None => {
                problem(None, "capitation", "missing (flat or weighted)", None);
                None
            }
        };
        if capitation == Some(CapitationKind::Flat)
            && let Some((n, v)) = get("weighted_share")
            && weighted_share.is_some_and(|s| s > 0.0)
        {
            problem(
                Some(n),
                "weighted_share",
                "a flat capitation has no weighted share",
                Some(v),
            );
        }
        let floor = match get("floor") {
            None => false,
            Some((_, "yes" | "true")) => true,
            Some((_, "no" | "false")) => false,
            Some((n, v)) => {
                problem(Some(n), "floor", "expected yes or no", Some(v));
                false
            }
        };
        let year = match get("year") {
            None => None,
            Some((n, v)) => match v.parse::<i32>() {
                Ok(y) if (1900..=2200).contains(&y) => Some(y),
                _ => {
                    problem(Some(n), "year", "expected a year such as 2024", Some(v));
                    None
                }
            },
        };
        let weight_date = match get("weight_date") {
            None => None,
            Some((n, v)) => match Day::parse(v) {
                Ok(d) => Some(d),
                Err(_) => {
                    problem(Some(n), "weight_date", "expected YYYY-MM-DD", Some(v));
                    None
                }
            },
        };
        let weights = match get("weights") {
            None | Some((_, "default")) => None,
            Some((n, "")) => {
                problem(Some(n), "weights", "empty (give a file or default)", None);
                None
            }
            Some((_, v)) => Some(PathBuf::from(v)),
        };
        if !problems.is_empty() {
            return Err(ScenarioError { problems });
        }
        let capitation = capitation.unwrap_or(CapitationKind::Flat);
        Ok(Scenario {
            file: file.to_string(),
            name,
            capitation,
            weighted_share: match capitation {
                CapitationKind::Flat => 0.0,
                CapitationKind::Weighted => weighted_share.unwrap_or(1.0),
            },
            pool_dkk: pool_dkk.unwrap_or(0.0),
            pool_pct: pool_pct.unwrap_or(0.0),
            floor,
            fee_per_patient_dkk: fee,
            year,
            weight_date,
            weights,
        })
    }
}

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
pub enum FeesError {
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    #[error("the weight table: {0}")]
    Weights(String),
    #[error(
        "the catalogue has no capitation fee (basishonorar): give fee_per_patient_dkk in the scenario"
    )]
    NoCapitationFee,
    #[error("no clinic has listed group-1 patients in {0}")]
    NoPatients(i32),
}

/// Per clinic: today's and the scenario's income (capitation + fee-for-service).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClinicFees {
    pub clinic_id: String,
    pub clinic_type: String,
    pub kommune: u16,
    pub area: String,
    /// Listed group-1 patient-years in the year.
    pub listed: f64,
    /// Mean disease weight of the listed patient-years.
    pub mean_weight: f64,
    /// Morbidity quintile of the clinic's mean weight (1 lowest … 5 highest).
    pub morbidity_quintile: u8,
    pub fee_for_service_dkk: f64,
    pub today_capitation_dkk: f64,
    pub scenario_capitation_dkk: f64,
    pub today_per_patient_dkk: Option<f64>,
    pub scenario_per_patient_dkk: Option<f64>,
    /// The floor raised this clinic to today's per-patient capitation.
    pub floor_applied: bool,
    /// Capitation + fee-for-service.
    pub today_dkk: f64,
    pub scenario_dkk: f64,
    pub change_dkk: f64,
    /// `None` when today's income is 0.
    pub change_pct: Option<f64>,
}

/// A group of clinics (clinic type, area or morbidity quintile).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupFees {
    pub group: String,
    pub clinics: usize,
    pub listed: f64,
    pub mean_weight: f64,
    pub today_dkk: f64,
    pub scenario_dkk: f64,
    pub change_dkk: f64,
    pub change_pct: Option<f64>,
    /// Clinics gaining / losing more than 0.005 DKK.
    pub winners: usize,
    pub losers: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Bin {
    pub from_pct: f64,
    pub to_pct: f64,
    pub clinics: usize,
}

/// The distribution of the clinics' change in %.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Distribution {
    pub clinics: usize,
    pub winners: usize,
    pub losers: usize,
    pub unchanged: usize,
    pub min_pct: Option<f64>,
    pub p10_pct: Option<f64>,
    pub p25_pct: Option<f64>,
    pub median_pct: Option<f64>,
    pub p75_pct: Option<f64>,
    pub p90_pct: Option<f64>,
    pub max_pct: Option<f64>,
    /// Equal-width bins of the change in % (from inclusive, to exclusive; the last inclusive).
    pub histogram: Vec<Bin>,
}

/// The result of one scenario.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FeesReport {
    pub scenario: String,
    pub scenario_file: String,
    pub year: i32,
    pub weight_date: Day,
    pub weight_table: String,
    pub capitation: CapitationKind,
    pub weighted_share: f64,
    /// The pool added: `pool_dkk` + `pool_pct` % of today's capitation.
    pub pool_dkk: f64,
    pub floor: bool,
    pub fee_per_patient_dkk: f64,
    pub total_today_dkk: f64,
    pub total_scenario_dkk: f64,
    pub total_today_capitation_dkk: f64,
    pub total_scenario_capitation_dkk: f64,
    pub total_fee_for_service_dkk: f64,
    pub clinics: Vec<ClinicFees>,
    pub distribution: Distribution,
    pub by_clinic_type: Vec<GroupFees>,
    pub by_area: Vec<GroupFees>,
    pub by_morbidity: Vec<GroupFees>,
}

/// Runs a scenario on a dataset. `year` is used when the scenario gives none.
pub fn simulate(ds: &Dataset, sc: &Scenario, year: i32) -> Result<FeesReport, FeesError> {
    let year = sc.year.unwrap_or(year);
    let fee = match sc.fee_per_patient_dkk {
        Some(f) => f,
        None => capitation_fee().ok_or(FeesError::NoCapitationFee)?.0,
    };
    let date = sc
        .weight_date
        .or_else(|| Day::from_ymd(year, 12, 31))
        .ok_or(FeesError::NoPatients(year))?;
    let lists = ListSet::shipped();
    let table = match &sc.weights {
        None => WeightTable::default_table(),
        Some(p) => WeightTable::read(p, &lists).map_err(|e| FeesError::Weights(e.to_string()))?,
    };
    let weight = patient_weights(ds, &lists, &table, date)?;
    let inputs = clinic_inputs(ds, year, &weight);
    let mut report = compute(ds, sc, year, fee, &inputs)?;
    report.weight_date = date;
    report.weight_table = table.label.clone();
    Ok(report)
}

/// Each patient row's normalised disease weight at `date`; patients who are not citizens at
/// the date (not yet born, or dead) weigh 1.0, the mean.
pub fn patient_weights(
    ds: &Dataset,
    lists: &ListSet,
    table: &WeightTable,
    date: Day,
) -> Result<Vec<f64>, FeesError> {
    let citizens = Citizens::for_table(ds, lists, table, date)
        .map_err(|e| FeesError::Weights(e.to_string()))?;
    let w = apply_weights(table, &citizens).map_err(|e| FeesError::Weights(e.to_string()))?;
    let mut weight = vec![1.0; ds.patients.len()];
    for (&r, &x) in citizens.rows.iter().zip(&w.weight) {
        weight[r as usize] = x;
    }
    Ok(weight)
}

/// One clinic's inputs: listed group-1 patient-years, the same weighted, and fee-for-service.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ClinicInput {
    pub patient_years: f64,
    pub weighted_years: f64,
    pub fee_for_service: f64,
}

/// Patient-years as [`crate::capitation`] counts them (group 1, pro rata from
/// `listed_since` until death), each also times the patient's weight; fee-for-service as the
/// sum of the clinic's claims amounts in the year ([`line_amount`]; unpriced lines add 0).
pub fn clinic_inputs(ds: &Dataset, year: i32, weight: &[f64]) -> Vec<ClinicInput> {
    let (lo, hi) = year_bounds(Some(year));
    let days_in_year = f64::from(lo.days_until(hi) + 1);
    let p = &ds.patients;
    let c = &ds.claims;
    (0..ds.clinics.len() as u32)
        .into_par_iter()
        .map(|clinic| {
            let mut inp = ClinicInput::default();
            for &r in ds.index.patients_by_clinic.rows_of(clinic) {
                let r = r as usize;
                if p.group[r] != 1 {
                    continue;
                }
                let from = p.listed_since[r].map_or(lo, |d| d.max(lo));
                let to = p.deceased[r].map_or(hi, |d| d.add_days(-1).min(hi));
                if to >= from {
                    let y = f64::from(from.days_until(to) + 1) / days_in_year;
                    inp.patient_years += y;
                    inp.weighted_years += y * weight[r];
                }
            }
            for &r in ds.index.claims_by_clinic.rows_of(clinic) {
                let r = r as usize;
                let d = c.service_date[r];
                if d >= lo && d <= hi {
                    inp.fee_for_service += line_amount(ds, r).unwrap_or(0.0);
                }
            }
            inp
        })
        .collect()
}

/// The scenario's capitation per clinic from the inputs (pure; see `SCENARIOS.md`).
///
/// Pot P = Σ today's capitation + pool. Clinic c gets (1 − s)·P·years_c ÷ Σ years +
/// s·P·weighted_c ÷ Σ weighted. With the floor, every clinic below today's capitation is
/// raised to it, and the cost is taken from the clinics above it in proportion to their
/// amount above today's (so none of them falls below it). The rounding residual of the sum
/// is given to the clinic with the largest capitation, so Σ scenario = P.
pub fn scenario_capitation(
    inputs: &[ClinicInput],
    fee: f64,
    weighted_share: f64,
    pool: f64,
    floor: bool,
) -> (Vec<f64>, Vec<bool>) {
    let today: Vec<f64> = inputs.iter().map(|i| i.patient_years * fee).collect();
    let pot = neumaier(&today) + pool;
    let years: f64 = neumaier(&inputs.iter().map(|i| i.patient_years).collect::<Vec<_>>());
    let weighted: f64 = neumaier(&inputs.iter().map(|i| i.weighted_years).collect::<Vec<_>>());
    let s = if weighted > 0.0 { weighted_share } else { 0.0 };
    let mut cap: Vec<f64> = inputs
        .iter()
        .map(|i| {
            let flat = if years > 0.0 {
                (1.0 - s) * pot * i.patient_years / years
            } else {
                0.0
            };
            let w = if s > 0.0 {
                s * pot * i.weighted_years / weighted
            } else {
                0.0
            };
            flat + w
        })
        .collect();
    let mut raised = vec![false; cap.len()];
    if floor {
        let deficit: f64 = cap.iter().zip(&today).map(|(c, t)| (t - c).max(0.0)).sum();
        let excess: f64 = cap.iter().zip(&today).map(|(c, t)| (c - t).max(0.0)).sum();
        if deficit > 0.0 && excess > 0.0 {
            let keep = (1.0 - deficit / excess).max(0.0);
            for ((c, t), r) in cap.iter_mut().zip(&today).zip(raised.iter_mut()) {
                if *c < *t {
                    *c = *t;
                    *r = true;
                } else {
                    *c = t + (*c - t) * keep;
                }
            }
        }
    }
    // Exact budget: the rounding residual to the largest clinic (and never below its floor:
    // the residual is a few øre at most).
    let residual = pot - neumaier(&cap);
    if let Some((i, _)) = cap
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
    {
        cap[i] += residual;
    }
    (cap, raised)
}

fn neumaier(xs: &[f64]) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for &x in xs {
        let t = s + x;
        if s.abs() >= x.abs() {
            c += (s - t) + x;
        } else {
            c += (x - t) + s;
        }
        s = t;
    }
    s + c
}

const EPS_DKK: f64 = 0.005;

/// The report from the per-clinic inputs (row order of the clinics table). Clinics with
/// neither listed patients nor fee-for-service in the year are left out.
pub fn compute(
    ds: &Dataset,
    sc: &Scenario,
    year: i32,
    fee: f64,
    inputs: &[ClinicInput],
) -> Result<FeesReport, FeesError> {
    if !inputs.iter().any(|i| i.patient_years > 0.0) {
        return Err(FeesError::NoPatients(year));
    }
    let today_total = neumaier(
        &inputs
            .iter()
            .map(|i| i.patient_years * fee)
            .collect::<Vec<_>>(),
    );
    let pool = sc.pool_dkk + today_total * sc.pool_pct / 100.0;
    let (cap, raised) = scenario_capitation(inputs, fee, sc.weighted_share, pool, sc.floor);
    let cl = &ds.clinics;
    let mut clinics: Vec<ClinicFees> = Vec::new();
    for (i, inp) in inputs.iter().enumerate() {
        if inp.patient_years <= 0.0 && inp.fee_for_service == 0.0 {
            continue;
        }
        let today_cap = inp.patient_years * fee;
        let today = today_cap + inp.fee_for_service;
        let scen = cap[i] + inp.fee_for_service;
        let per = |x: f64| (inp.patient_years > 0.0).then(|| x / inp.patient_years);
        clinics.push(ClinicFees {
            clinic_id: cl.id.get(i).to_string(),
            clinic_type: cl.clinic_type[i].as_str().to_string(),
            kommune: cl.kommune[i].get(),
            area: format!("{} {}", cl.kommune[i], cl.kommune[i].info().name),
            listed: inp.patient_years,
            mean_weight: if inp.patient_years > 0.0 {
                inp.weighted_years / inp.patient_years
            } else {
                1.0
            },
            morbidity_quintile: 0,
            fee_for_service_dkk: inp.fee_for_service,
            today_capitation_dkk: today_cap,
            scenario_capitation_dkk: cap[i],
            today_per_patient_dkk: per(today_cap),
            scenario_per_patient_dkk: per(cap[i]),
            floor_applied: raised[i],
            today_dkk: today,
            scenario_dkk: scen,
            change_dkk: scen - today,
            change_pct: (today != 0.0).then(|| (scen - today) / today * 100.0),
        });
    }
    // Morbidity quintiles by rank of mean weight (ties by clinic id).
    let mut order: Vec<usize> = (0..clinics.len()).collect();
    order.sort_by(|&a, &b| {
        clinics[a]
            .mean_weight
            .total_cmp(&clinics[b].mean_weight)
            .then_with(|| clinics[a].clinic_id.cmp(&clinics[b].clinic_id))
    });
    let n = clinics.len();
    for (rank, &i) in order.iter().enumerate() {
        clinics[i].morbidity_quintile = (rank * 5 / n.max(1)) as u8 + 1;
    }
    let today_cap: Vec<f64> = clinics.iter().map(|c| c.today_capitation_dkk).collect();
    let scen_cap: Vec<f64> = clinics.iter().map(|c| c.scenario_capitation_dkk).collect();
    let ffs: Vec<f64> = clinics.iter().map(|c| c.fee_for_service_dkk).collect();
    let (tc, sc_, f) = (neumaier(&today_cap), neumaier(&scen_cap), neumaier(&ffs));
    let by = |key: &dyn Fn(&ClinicFees) -> String| groups(&clinics, key);
    let by_clinic_type = by(&|c| c.clinic_type.clone());
    let by_area = by(&|c| c.area.clone());
    let mut by_morbidity = by(&|c| format!("Q{}", c.morbidity_quintile));
    for g in &mut by_morbidity {
        let q = &g.group;
        let ws: Vec<f64> = clinics
            .iter()
            .filter(|c| format!("Q{}", c.morbidity_quintile) == *q)
            .map(|c| c.mean_weight)
            .collect();
        let (lo, hi) = ws
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &w| {
                (a.min(w), b.max(w))
            });
        g.group = format!("{q} (mean weight {lo:.3}-{hi:.3})");
    }
    Ok(FeesReport {
        scenario: sc.name.clone(),
        scenario_file: sc.file.clone(),
        year,
        weight_date: Day::from_ymd(year, 12, 31).unwrap_or(Day::from_days_since_epoch(0)),
        weight_table: String::new(),
        capitation: sc.capitation,
        weighted_share: sc.weighted_share,
        pool_dkk: pool,
        floor: sc.floor,
        fee_per_patient_dkk: fee,
        total_today_dkk: tc + f,
        total_scenario_dkk: sc_ + f,
        total_today_capitation_dkk: tc,
        total_scenario_capitation_dkk: sc_,
        total_fee_for_service_dkk: f,
        distribution: distribution(&clinics),
        clinics,
        by_clinic_type,
        by_area,
        by_morbidity,
    })
}

fn groups(clinics: &[ClinicFees], key: &dyn Fn(&ClinicFees) -> String) -> Vec<GroupFees> {
    let mut m: BTreeMap<String, GroupFees> = BTreeMap::new();
    for c in clinics {
        let k = key(c);
        let g = m.entry(k.clone()).or_insert(GroupFees {
            group: k,
            clinics: 0,
            listed: 0.0,
            mean_weight: 0.0,
            today_dkk: 0.0,
            scenario_dkk: 0.0,
            change_dkk: 0.0,
            change_pct: None,
            winners: 0,
            losers: 0,
        });
        g.clinics += 1;
        g.listed += c.listed;
        g.mean_weight += c.mean_weight * c.listed;
        g.today_dkk += c.today_dkk;
        g.scenario_dkk += c.scenario_dkk;
        g.winners += usize::from(c.change_dkk > EPS_DKK);
        g.losers += usize::from(c.change_dkk < -EPS_DKK);
    }
    m.into_values()
        .map(|mut g| {
            g.mean_weight = if g.listed > 0.0 {
                g.mean_weight / g.listed
            } else {
                1.0
            };
            g.change_dkk = g.scenario_dkk - g.today_dkk;
            g.change_pct = (g.today_dkk != 0.0).then(|| g.change_dkk / g.today_dkk * 100.0);
            g
        })
        .collect()
}

fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let (i, f) = (h.floor() as usize, h - h.floor());
    let hi = sorted[(i + 1).min(sorted.len() - 1)];
    Some(sorted[i] + (hi - sorted[i]) * f)
}

fn distribution(clinics: &[ClinicFees]) -> Distribution {
    let mut pct: Vec<f64> = clinics.iter().filter_map(|c| c.change_pct).collect();
    pct.sort_by(f64::total_cmp);
    let winners = clinics.iter().filter(|c| c.change_dkk > EPS_DKK).count();
    let losers = clinics.iter().filter(|c| c.change_dkk < -EPS_DKK).count();
    let mut histogram = Vec::new();
    if let (Some(&lo), Some(&hi)) = (pct.first(), pct.last()) {
        // About 20 bins of a whole or half percentage point, starting on a multiple of it.
        let span = (hi - lo).max(1e-9);
        let width = if span <= 10.0 {
            0.5
        } else {
            (span / 20.0).ceil()
        };
        let start = (lo / width).floor() * width;
        let bins = (((hi - start) / width).floor() as usize + 1).max(1);
        for b in 0..bins {
            let from = start + b as f64 * width;
            let to = from + width;
            let n = pct
                .iter()
                .filter(|&&p| p >= from && (p < to || (b + 1 == bins && p <= to)))
                .count();
            histogram.push(Bin {
                from_pct: from,
                to_pct: to,
                clinics: n,
            });
        }
    }
    Distribution {
        clinics: clinics.len(),
        winners,
        losers,
        unchanged: clinics.len() - winners - losers,
        min_pct: pct.first().copied(),
        p10_pct: quantile(&pct, 0.1),
        p25_pct: quantile(&pct, 0.25),
        median_pct: quantile(&pct, 0.5),
        p75_pct: quantile(&pct, 0.75),
        p90_pct: quantile(&pct, 0.9),
        max_pct: pct.last().copied(),
        histogram,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../scenarios/differentiated.scenario");

    #[test]
    fn the_example_scenario_parses() {
        let s = Scenario::parse("differentiated.scenario", EXAMPLE).unwrap();
        assert_eq!(s.capitation, CapitationKind::Weighted);
        assert_eq!(s.weighted_share, 1.0);
        assert!(s.floor);
        assert_eq!(s.pool_dkk, 0.0);
        assert_eq!(s.pool_pct, 5.0);
    }

    #[test]
    fn scenario_errors_name_file_line_and_field() {
        let e = Scenario::parse(
            "bad.scenario",
            "# c\nname = x\ncapitation = weigted\npool_dkk = -5\nfloor = maybe\ncolour = red\nweighted_share = 1.5\nname = y\nfee_per_patient_dkk = abc\n",
        )
        .unwrap_err();
        let msgs: Vec<String> = e.problems.iter().map(|p| p.to_string()).collect();
        for want in [
            "bad.scenario:3: capitation: expected flat or weighted (weigted)",
            "bad.scenario:4: pool_dkk: must be 0 or more (DKK) (-5)",
            "bad.scenario:5: floor: expected yes or no (maybe)",
            "bad.scenario:7: weighted_share: must be between 0 and 1 (1.5)",
            "bad.scenario:8: name: given twice (first on line 2) (y)",
            "bad.scenario:9: fee_per_patient_dkk: not a number (abc)",
        ] {
            assert!(msgs.iter().any(|m| m == want), "{want} not in {msgs:#?}");
        }
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("bad.scenario:6: colour: unknown field")),
            "{msgs:#?}"
        );
        let e = Scenario::parse("m.scenario", "floor = yes\nno equals sign\n").unwrap_err();
        let msgs: Vec<String> = e.problems.iter().map(|p| p.to_string()).collect();
        assert!(msgs.contains(&"m.scenario: name: missing".to_string()));
        assert!(msgs.contains(&"m.scenario: capitation: missing (flat or weighted)".to_string()));
        assert!(
            msgs.contains(
                &"m.scenario:2: line: expected field = value (no equals sign)".to_string()
            )
        );
    }

    fn input(years: f64, weight: f64, ffs: f64) -> ClinicInput {
        ClinicInput {
            patient_years: years,
            weighted_years: years * weight,
            fee_for_service: ffs,
        }
    }

    /// Three clinics, fee 500 DKK: A 1000 patient-years at weight 0.8, B 2000 at 1.0, C 1000
    /// at 1.4. Today: 500 000, 1 000 000, 500 000 (pot 2 000 000). Weighted years 800, 2000,
    /// 1400 (Σ 4200): fully weighted, A gets 2e6·800/4200 = 380 952.38…, B 952 380.95…,
    /// C 666 666.67….
    fn three() -> Vec<ClinicInput> {
        vec![
            input(1000.0, 0.8, 100.0),
            input(2000.0, 1.0, 200.0),
            input(1000.0, 1.4, 300.0),
        ]
    }

    #[test]
    fn budget_neutral_weighted_capitation_by_hand() {
        let (cap, raised) = scenario_capitation(&three(), 500.0, 1.0, 0.0, false);
        let want = [
            2e6 * 800.0 / 4200.0,
            2e6 * 2000.0 / 4200.0,
            2e6 * 1400.0 / 4200.0,
        ];
        for (c, w) in cap.iter().zip(want) {
            assert!((c - w).abs() < 1e-6, "{c} vs {w}");
        }
        assert_eq!(neumaier(&cap), 2e6, "budget-neutral to the last bit");
        assert_eq!(raised, [false; 3]);
        // Half weighted: A = 0.5·500 000 + 0.5·380 952.38…
        let (cap, _) = scenario_capitation(&three(), 500.0, 0.5, 0.0, false);
        assert!((cap[0] - (250_000.0 + 1e6 * 800.0 / 4200.0)).abs() < 1e-6);
        assert_eq!(neumaier(&cap), 2e6);
        // Flat: today's capitation exactly.
        let (cap, _) = scenario_capitation(&three(), 500.0, 0.0, 0.0, false);
        assert_eq!(cap, [500_000.0, 1_000_000.0, 500_000.0]);
    }

    #[test]
    fn the_floor_is_respected_and_financed_by_the_others() {
        // Weighted: A 380 952.38 (−119 047.62), B 952 380.95 (−47 619.05), C 666 666.67
        // (+166 666.67). The deficit 166 666.67 equals C's excess: C keeps nothing above
        // today — the budget-neutral floor leaves everyone at today's.
        let (cap, raised) = scenario_capitation(&three(), 500.0, 1.0, 0.0, true);
        assert_eq!(raised, [true, true, false]);
        for (c, t) in cap.iter().zip([500_000.0, 1_000_000.0, 500_000.0]) {
            assert!((c - t).abs() < 1e-6, "{c} vs {t}");
        }
        assert_eq!(neumaier(&cap), 2e6);
        // With a pool of 300 000: pot 2.3e6; unfloored A 438 095.24, B 1 095 238.10,
        // C 766 666.67. A is raised by 61 904.76; B's excess 95 238.10 and C's 266 666.67
        // (Σ 361 904.76) keep 1 − 61 904.76/361 904.76 = 0.828947… of it.
        let (cap, raised) = scenario_capitation(&three(), 500.0, 1.0, 300_000.0, true);
        assert_eq!(raised, [true, false, false]);
        let pot = 2.3e6;
        let a = pot * 800.0 / 4200.0;
        let b = pot * 2000.0 / 4200.0;
        let c = pot * 1400.0 / 4200.0;
        let keep = 1.0 - (500_000.0 - a) / ((b - 1e6) + (c - 500_000.0));
        assert!((cap[0] - 500_000.0).abs() < 1e-6);
        assert!((cap[1] - (1e6 + (b - 1e6) * keep)).abs() < 1e-6);
        assert!((cap[2] - (500_000.0 + (c - 500_000.0) * keep)).abs() < 1e-6);
        assert_eq!(neumaier(&cap), pot, "the pool is paid out exactly");
        for (c, t) in cap.iter().zip([500_000.0, 1_000_000.0, 500_000.0]) {
            assert!(*c >= t - 1e-9, "floor: {c} < {t}");
        }
    }

    /// Three clinics on a hand-made dataset: C1 (PLO, Aarhus) with two patients born 1940
    /// (one listed from 1 July 2024) and one group-2 patient; C2 (PLO, Aarhus) with two born
    /// 1995; C3 (region-run, København) with one born 1995 and a 0101 claim of 150 DKK.
    fn dataset() -> Dataset {
        use almen_core::Sex;
        use almen_dataset::{ClinicType, NONE, Present, Tables};
        use almen_reference::{KommuneCode, ServiceCode};
        let day = |s: &str| Day::parse(s).unwrap();
        let mut t = Tables {
            present: Present::ALL,
            ..Default::default()
        };
        for (id, k, ty) in [
            ("C1", 751, ClinicType::Plo),
            ("C2", 751, ClinicType::Plo),
            ("C3", 101, ClinicType::Region),
        ] {
            let c = &mut t.clinics;
            c.id.push(id).unwrap();
            c.name.push(id).unwrap();
            c.kommune.push(KommuneCode::new(k).unwrap());
            c.clinic_type.push(ty);
            c.owner.push(NONE);
            c.capacities.push(1.0);
            c.open_for_new.push(true);
            c.lat.push(None);
            c.lon.push(None);
        }
        for (id, born, clinic, since, group) in [
            ("P1", "1940-01-01", 0, None, 1),
            ("P2", "1940-01-01", 0, Some("2024-07-01"), 1),
            ("P3", "1940-01-01", 0, None, 2),
            ("P4", "1995-01-01", 1, None, 1),
            ("P5", "1995-01-01", 1, None, 1),
            ("P6", "1995-01-01", 2, None, 1),
        ] {
            let p = &mut t.patients;
            p.id.push(id).unwrap();
            p.birth_date.push(day(born));
            p.sex.push(Sex::F);
            p.kommune.push(KommuneCode::new(751).unwrap());
            p.clinic.push(clinic);
            p.listed_since.push(since.map(day));
            p.group.push(group);
            p.deceased.push(None);
        }
        let c = &mut t.claims;
        c.claim_id.push("K1").unwrap();
        c.card_id.push("K1").unwrap();
        c.patient.push(5);
        c.clinic.push(2);
        c.doctor.push(NONE);
        c.service.push(ServiceCode::parse("0101").unwrap());
        c.quantity.push(1);
        c.service_date.push(day("2024-03-01"));
        c.service_time.push(None);
        c.submitted.push(day("2024-03-01"));
        c.fee_dkk.push(Some(150.0));
        Dataset::from_tables(t).unwrap()
    }

    #[test]
    fn simulation_on_a_hand_made_dataset() {
        let ds = dataset();
        let sc = Scenario::parse(
            "t.scenario",
            "name = t\ncapitation = weighted\nfee_per_patient_dkk = 1000\n",
        )
        .unwrap();
        let r = simulate(&ds, &sc, 2024).unwrap();
        assert_eq!(r.clinics.len(), 3);
        // Patient-years as the capitation counts them: P2 from 1 July (184 of 366 days).
        for (i, c) in r.clinics.iter().enumerate() {
            let cap = crate::capitation(&ds, i as u32, 2024, 1000.0);
            assert!((c.listed - cap.patient_years).abs() < 1e-12);
            assert!((c.today_capitation_dkk - cap.capitation_dkk).abs() < 1e-9);
        }
        assert!((r.clinics[0].listed - (1.0 + 184.0 / 366.0)).abs() < 1e-12);
        assert_eq!(r.clinics[2].fee_for_service_dkk, 150.0);
        // Budget-neutral exactly; the old patients' clinic gains, the young ones' lose.
        assert_eq!(
            r.total_scenario_capitation_dkk,
            r.total_today_capitation_dkk
        );
        assert!(r.clinics[0].mean_weight > 1.0 && r.clinics[1].mean_weight < 1.0);
        assert!(r.clinics[0].change_dkk > 0.0 && r.clinics[1].change_dkk < 0.0);
        // C2 and C3 have the same patients per patient-year: the same per-patient capitation.
        let (a, b) = (
            r.clinics[1].scenario_per_patient_dkk.unwrap(),
            r.clinics[2].scenario_per_patient_dkk.unwrap(),
        );
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        assert_eq!(r.distribution.winners, 1);
        assert_eq!(r.distribution.losers, 2);
        let types: Vec<&str> = r.by_clinic_type.iter().map(|g| g.group.as_str()).collect();
        assert_eq!(types, ["plo", "region"]);
        let areas: Vec<&str> = r.by_area.iter().map(|g| g.group.as_str()).collect();
        assert_eq!(areas, ["101 København", "751 Aarhus"]);
        assert_eq!(r.by_morbidity.len(), 3);
        assert!(
            r.by_morbidity[2].group.starts_with("Q4"),
            "{:?}",
            r.by_morbidity
        );
        assert_eq!(r.clinics[0].morbidity_quintile, 4);

        // With the floor nobody loses per patient; with a pool of 500 DKK it is all paid out.
        let sc = Scenario::parse(
            "t.scenario",
            "name = t\ncapitation = weighted\nfee_per_patient_dkk = 1000\nfloor = yes\npool_dkk = 500\n",
        )
        .unwrap();
        let r = simulate(&ds, &sc, 2024).unwrap();
        for c in &r.clinics {
            assert!(
                c.scenario_capitation_dkk >= c.today_capitation_dkk - 1e-9,
                "{c:?}"
            );
        }
        assert_eq!(
            r.total_scenario_capitation_dkk,
            r.total_today_capitation_dkk + 500.0
        );
        assert_eq!(r.distribution.losers, 0);
    }
}
