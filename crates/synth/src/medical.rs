//! Conditions, diagnoses, prescriptions and observations of one person.
//!
//! **Conditions.** Each chronic condition has an age/sex prevalence (`data/prevalence.csv`). A
//! person has it when `a·F + √(1−a²)·ε < Φ⁻¹(p)`, where `F` is one of two latent factors shared by
//! all the person's conditions (somatic frailty, mental vulnerability) and `ε` is the condition's
//! own noise: each margin is exactly the table's prevalence while conditions cluster in the same
//! people (multimorbidity), and the frailty also raises contacts, drug use and mortality.
//!
//! **Drugs** follow the diagnoses with the treatment shares written next to each rule below,
//! plus age-dependent background drugs, NSAID courses and opioid series; every ATC code is a
//! WHO level-5 code (checked by a test against the reference ATC index).

use crate::calendar::Calendar;
use crate::data::{self, BANDS};
use crate::rng::{self, R};
use almen_core::{Day, Sex};
use almen_dataset::{DiagnosisSystem, NONE, Tables};
use std::sync::OnceLock;

pub const DIAB: usize = 0;
pub const COPD: usize = 1;
pub const ASTHMA: usize = 2;
pub const HT: usize = 3;
pub const IHD: usize = 4;
pub const HF: usize = 5;
pub const AF: usize = 6;
pub const DEMENTIA: usize = 7;
pub const OSTEO: usize = 8;
pub const FRACTURE: usize = 9;
pub const DEPRESSION: usize = 10;
pub const ADHD: usize = 11;
pub const SCHIZO: usize = 12;
pub const BIPOLAR: usize = 13;
pub const NCOND: usize = 14;

pub const COND_NAMES: [&str; NCOND] = [
    "diabetes",
    "copd",
    "asthma",
    "hypertension",
    "ihd",
    "heart_failure",
    "af",
    "dementia",
    "osteoporosis",
    "fracture",
    "depression",
    "adhd",
    "schizophrenia",
    "bipolar",
];
/// Youngest age at onset.
const MIN_AGE: [u32; NCOND] = [0, 35, 1, 20, 30, 30, 18, 55, 40, 50, 12, 4, 15, 15];
/// Longest typical duration (years) since diagnosis among prevalent cases.
const MAX_YEARS: [f64; NCOND] = [
    30.0, 20.0, 40.0, 30.0, 25.0, 12.0, 15.0, 8.0, 15.0, 5.0, 30.0, 25.0, 35.0, 35.0,
];
/// Latent factor (0 somatic frailty, 1 mental vulnerability) and loading of each condition.
const FACTOR: [(usize, f64); NCOND] = [
    (0, 0.5),
    (0, 0.55),
    (0, 0.3),
    (0, 0.45),
    (0, 0.55),
    (0, 0.65),
    (0, 0.5),
    (0, 0.45),
    (0, 0.45),
    (0, 0.45),
    (1, 0.5),
    (1, 0.4),
    (1, 0.6),
    (1, 0.6),
];
/// Conditions that raise mortality and contact rates most.
const SEVERE: [usize; 5] = [DIAB, COPD, IHD, HF, DEMENTIA];
/// Conditions with a chronic-care annual check (0120).
pub const ANNUAL_CHECK: [usize; 7] = [DIAB, COPD, HT, IHD, HF, AF, ASTHMA];

pub struct Model {
    /// `[cond][sex][band]` = Φ⁻¹(prevalence).
    thr: Vec<[[f64; BANDS]; 2]>,
    /// `[sex][band]`: expected number of chronic conditions (for normalising rates).
    pub expected_conditions: [[f64; BANDS]; 2],
    pub expected_severe: [[f64; BANDS]; 2],
}

pub fn model() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| {
        let p = data::params();
        let mut thr = Vec::new();
        let mut expected_conditions = [[0.0; BANDS]; 2];
        let mut expected_severe = [[0.0; BANDS]; 2];
        for (c, name) in COND_NAMES.iter().enumerate() {
            let t = p.prevalence_of(name);
            let mut row = [[0.0; BANDS]; 2];
            for s in 0..2 {
                for b in 0..BANDS {
                    row[s][b] = rng::probit(t[s][b]);
                    if c != FRACTURE {
                        expected_conditions[s][b] += t[s][b];
                    }
                    if SEVERE.contains(&c) {
                        expected_severe[s][b] += t[s][b];
                    }
                }
            }
            thr.push(row);
        }
        Model {
            thr,
            expected_conditions,
            expected_severe,
        }
    })
}

/// One person as the generator sees them.
pub struct Person {
    pub row: u32,
    pub sex: Sex,
    pub age: u32,
    pub band: usize,
    pub birth: Day,
    /// Events in the year happen in `from..=to` (listing date, death).
    pub from: Day,
    pub to: Day,
    pub death: Option<Day>,
    pub listed: bool,
    pub group2: bool,
    /// Somatic frailty and mental vulnerability (standard normal).
    pub z: f64,
    pub w: f64,
    pub has: u16,
    /// Conditions not resolved by the start of the year.
    pub active: u16,
    pub onset: [Day; NCOND],
    pub type1: bool,
    /// Dates with a blood sample (HbA1c, eGFR) in the year: lab visits in the claims.
    pub lab_days: Vec<Day>,
}

impl Person {
    pub fn has(&self, c: usize) -> bool {
        self.has & (1 << c) != 0
    }
    pub fn active(&self, c: usize) -> bool {
        self.active & (1 << c) != 0
    }
    pub fn n_active(&self) -> u32 {
        (self.active & !(1 << FRACTURE)).count_ones()
    }
    pub fn n_severe(&self) -> u32 {
        SEVERE.iter().filter(|c| self.active(**c)).count() as u32
    }
}

/// Draws the conditions (prevalence on 1 January) and their onset dates.
pub fn draw_conditions(r: &mut R, p: &mut Person, cal: &Calendar) {
    let m = model();
    let s = p.sex.index();
    for c in 0..NCOND {
        let t = m.thr[c][s][p.band];
        if t == f64::NEG_INFINITY || p.age < MIN_AGE[c] {
            continue;
        }
        let (f, a) = FACTOR[c];
        let latent = if f == 0 { p.z } else { p.w };
        if a * latent + (1.0 - a * a).sqrt() * rng::normal(r) < t {
            p.has |= 1 << c;
            p.active |= 1 << c;
            p.onset[c] = onset(r, p, c, cal);
        }
    }
    if p.has(DIAB) {
        let onset_age = p.birth.age_at(p.onset[DIAB]);
        p.type1 = if onset_age < 30 {
            rng::chance(r, 0.85)
        } else {
            rng::chance(r, 0.04)
        };
    }
}

fn onset(r: &mut R, p: &Person, c: usize, cal: &Calendar) -> Day {
    let earliest = p.birth.add_days((MIN_AGE[c] as f64 * 365.25) as i32);
    // About 6 % of prevalent cases are found during the year (incidence); the rest earlier.
    if c != FRACTURE && rng::chance(r, 0.06) {
        return cal
            .first
            .add_days(rng::range(r, 0, cal.first.days_until(p.to).max(1) as i64) as i32);
    }
    let years_possible = (cal.first.days_until(earliest) as f64 / -365.25).max(0.0);
    let span = years_possible.min(MAX_YEARS[c]);
    // Skewed towards recent onset.
    let years = span * rng::unit(r).powf(1.3);
    let d = cal.first.add_days(-((years * 365.25) as i32) - 1);
    if d < earliest {
        earliest.min(cal.first.add_days(-1))
    } else {
        d
    }
}

/// Annual mortality multiplier around the age/sex mean (frailty and severe conditions).
pub fn death_multiplier(p: &Person) -> f64 {
    let m = model();
    let e = m.expected_severe[p.sex.index()][p.band];
    (0.45 * p.z - 0.101).exp() * (1.0 + 0.6 * p.n_severe() as f64) / (1.0 + 0.6 * e)
}

// ---------------------------------------------------------------- diagnoses

struct DxCodes {
    icpc: &'static [(&'static str, f64)],
    icd: &'static [(&'static str, f64)],
    /// Share of cases with a GP (ICPC-2) diagnosis and with a hospital (ICD-10) diagnosis.
    p_icpc: f64,
    p_icd: f64,
}

/// ICPC-2 rubrics as DSAM's ICPC-2-DK uses them; hospital diagnoses as SKS codes (D + ICD-10).
/// The ICPC/ICD split is approximate: conditions mostly diagnosed in hospital (AF, heart
/// failure, dementia, psychoses, fractures) carry an SKS code more often.
#[rustfmt::skip]
const DX: [DxCodes; NCOND] = [
    DxCodes { icpc: &[("T90", 1.0)], icd: &[("DE11", 1.0)], p_icpc: 0.95, p_icd: 0.15 },
    DxCodes { icpc: &[("R95", 1.0)], icd: &[("DJ44", 0.7), ("DJ449", 0.3)], p_icpc: 0.92, p_icd: 0.25 },
    DxCodes { icpc: &[("R96", 1.0)], icd: &[("DJ45", 1.0)], p_icpc: 0.95, p_icd: 0.05 },
    DxCodes { icpc: &[("K86", 0.85), ("K87", 0.15)], icd: &[("DI10", 1.0)], p_icpc: 0.97, p_icd: 0.06 },
    DxCodes { icpc: &[("K74", 0.35), ("K76", 0.65)], icd: &[("DI25", 1.0)], p_icpc: 0.8, p_icd: 0.6 },
    DxCodes { icpc: &[("K77", 1.0)], icd: &[("DI50", 0.9), ("DI11", 0.1)], p_icpc: 0.75, p_icd: 0.7 },
    DxCodes { icpc: &[("K78", 1.0)], icd: &[("DI48", 1.0)], p_icpc: 0.8, p_icd: 0.65 },
    DxCodes { icpc: &[("P70", 1.0)], icd: &[("DF03", 0.5), ("DG30", 0.35), ("DF00", 0.15)], p_icpc: 0.75, p_icd: 0.55 },
    DxCodes { icpc: &[("L95", 1.0)], icd: &[("DM81", 1.0)], p_icpc: 0.9, p_icd: 0.3 },
    DxCodes { icpc: &[], icd: &[], p_icpc: 0.0, p_icd: 0.0 },
    DxCodes { icpc: &[("P76", 1.0)], icd: &[("DF32", 0.7), ("DF33", 0.3)], p_icpc: 0.95, p_icd: 0.12 },
    DxCodes { icpc: &[("P81", 1.0)], icd: &[("DF90", 0.7), ("DF900", 0.3)], p_icpc: 0.8, p_icd: 0.6 },
    DxCodes { icpc: &[("P72", 1.0)], icd: &[("DF20", 1.0)], p_icpc: 0.8, p_icd: 0.8 },
    DxCodes { icpc: &[("P73", 1.0)], icd: &[("DF31", 1.0)], p_icpc: 0.8, p_icd: 0.8 },
];

pub fn push_dx(
    t: &mut Tables,
    row: u32,
    system: DiagnosisSystem,
    code: &str,
    date: Day,
    end: Option<Day>,
) {
    let d = &mut t.diagnoses;
    d.patient.push(row);
    d.system.push(system);
    let c = d.codes.intern(code);
    d.code.push(c);
    d.date.push(date);
    d.end_date.push(end);
}

/// Writes the diagnosis rows of the person's conditions and decides which are resolved.
pub fn diagnoses(r: &mut R, p: &mut Person, t: &mut Tables, cal: &Calendar) {
    for c in 0..NCOND {
        if !p.has(c) {
            continue;
        }
        let date = p.onset[c];
        let mut end = None;
        // Resolved diagnoses: about 4 in 10 depression episodes recorded before the year have
        // ended; childhood asthma often remits by adulthood (approximate).
        if c == DEPRESSION && date < cal.first.add_days(-120) && rng::chance(r, 0.42) {
            let e = date.add_days(rng::range(r, 90, 540) as i32);
            if e < cal.first {
                end = Some(e);
            }
        }
        if c == ASTHMA && p.birth.age_at(date) < 12 && p.age >= 18 && rng::chance(r, 0.4) {
            let e = p.birth.add_days(rng::range(r, 13 * 365, 18 * 365) as i32);
            if e < cal.first && e > date {
                end = Some(e);
            }
        }
        if end.is_some() {
            p.active &= !(1 << c);
        }
        if c == FRACTURE {
            fracture(r, p, t, date);
            continue;
        }
        let dx = &DX[c];
        let mut icpc = rng::chance(r, dx.p_icpc);
        let icd = rng::chance(r, dx.p_icd);
        if !icpc && !icd {
            icpc = true;
        }
        if icpc {
            let code = if c == DIAB && p.type1 {
                "T89"
            } else {
                rng::pick_from(r, dx.icpc)
            };
            push_dx(t, p.row, DiagnosisSystem::Icpc2, code, date, end);
        }
        if icd {
            let code = if c == DIAB && p.type1 {
                "DE10"
            } else if c == IHD && date >= cal.first && rng::chance(r, 0.5) {
                "DI21"
            } else {
                rng::pick_from(r, dx.icd)
            };
            let d = date.add_days(rng::range(r, -20, 1) as i32).max(p.birth);
            push_dx(t, p.row, DiagnosisSystem::Icd10, code, d, end);
        }
    }
}

/// Fragility fracture: hip (ICD-10 S72.0-S72.2, ICPC L75), vertebral (S22.0, S32.0, M48.5,
/// ICPC L76) or wrist (S52.5, ICPC L72); shares approximate (hip ~45 % of the fractures that
/// lead to FLS referral). The acute diagnosis ends after a few months.
fn fracture(r: &mut R, p: &Person, t: &mut Tables, date: Day) {
    let end = Some(date.add_days(rng::range(r, 60, 150) as i32));
    // The GP's record follows the hospital's by days or weeks (never after death or the year).
    let later = |r: &mut R, lo: i64, hi: i64| {
        date.add_days(rng::range(r, lo, hi) as i32)
            .min(p.to)
            .max(date)
    };
    let kind = rng::pick(r, &[0.45, 0.30, 0.25]);
    match kind {
        0 => {
            let code = rng::pick_from(r, &[("DS720", 0.5), ("DS721", 0.35), ("DS722", 0.15)]);
            push_dx(t, p.row, DiagnosisSystem::Icd10, code, date, end);
            if rng::chance(r, 0.6) {
                let d = later(r, 3, 30);
                push_dx(t, p.row, DiagnosisSystem::Icpc2, "L75", d, end);
            }
        }
        1 => {
            if rng::chance(r, 0.7) {
                let code = rng::pick_from(r, &[("DS220", 0.35), ("DS320", 0.35), ("DM485", 0.3)]);
                push_dx(t, p.row, DiagnosisSystem::Icd10, code, date, end);
            }
            let d = later(r, 0, 20);
            push_dx(t, p.row, DiagnosisSystem::Icpc2, "L76", d, None);
        }
        _ => {
            if rng::chance(r, 0.5) {
                push_dx(t, p.row, DiagnosisSystem::Icd10, "DS525", date, end);
            }
            let d = later(r, 0, 10);
            push_dx(t, p.row, DiagnosisSystem::Icpc2, "L72", d, end);
        }
    }
}

// ---------------------------------------------------------------- prescriptions

/// One treatment rule: given the condition, the person is on one of `alts` with probability `p`.
struct Rule {
    cond: usize,
    p: f64,
    alts: &'static [(&'static str, f64)],
}

/// Treatment shares. Sources, approximate: Danish treatment guidance (Sundhed.dk/DSAM
/// vejledninger, IRF/Medicin.dk) and Danish drug-utilisation studies; OAC ~75-80 % of AF
/// patients with NOACs ~3/4 of OAC (Gadsbøll et al., Eur Heart J 2017;38:899 show 66.5 %
/// initiation by 2015 and rising); polypharmacy medicines of the 75+ as Kornholt & Christensen,
/// Dan Med J 2020;67:A12190680 (ASA 26 %, simvastatin 25 %, metoprolol 22 %, amlodipine 21 %,
/// furosemide 20 %, bendroflumethiazide 17 %, losartan 14 %).
#[rustfmt::skip]
const RULES: &[Rule] = &[
    // Diabetes (antidiabetics are drawn in code above): a statin for most.
    Rule { cond: DIAB, p: 0.65, alts: &[("C10AA01", 0.45), ("C10AA05", 0.55)] },
    // COPD: LAMA/LABA combinations, triple therapy, LAMA alone, SABA on demand.
    Rule { cond: COPD, p: 0.5, alts: &[("R03AL03", 0.5), ("R03AL04", 0.5)] },
    Rule { cond: COPD, p: 0.2, alts: &[("R03AL08", 0.6), ("R03AL09", 0.4)] },
    Rule { cond: COPD, p: 0.15, alts: &[("R03BB04", 1.0)] },
    Rule { cond: COPD, p: 0.55, alts: &[("R03AC02", 1.0)] },
    // Asthma: SABA, ICS/LABA, ICS.
    Rule { cond: ASTHMA, p: 0.65, alts: &[("R03AC02", 1.0)] },
    Rule { cond: ASTHMA, p: 0.38, alts: &[("R03AK07", 0.75), ("R03AK06", 0.25)] },
    Rule { cond: ASTHMA, p: 0.2, alts: &[("R03BA02", 1.0)] },
    // Ischaemic heart disease: ASA, statin, beta-blocker, nitrate, clopidogrel.
    Rule { cond: IHD, p: 0.7, alts: &[("B01AC06", 1.0)] },
    Rule { cond: IHD, p: 0.8, alts: &[("C10AA05", 0.6), ("C10AA01", 0.4)] },
    Rule { cond: IHD, p: 0.45, alts: &[("C07AB02", 0.7), ("C07AB07", 0.3)] },
    Rule { cond: IHD, p: 0.2, alts: &[("C01DA02", 0.7), ("C01DA14", 0.3)] },
    Rule { cond: IHD, p: 0.15, alts: &[("B01AC04", 1.0)] },
    // Heart failure: loop diuretic, RAAS or ARNI, beta-blocker, MRA, SGLT-2 (dapagliflozin).
    Rule { cond: HF, p: 0.7, alts: &[("C03CA01", 1.0)] },
    Rule { cond: HF, p: 0.75, alts: &[("C09AA05", 0.4), ("C09CA01", 0.4), ("C09DX04", 0.2)] },
    Rule { cond: HF, p: 0.75, alts: &[("C07AB07", 0.7), ("C07AB02", 0.3)] },
    Rule { cond: HF, p: 0.35, alts: &[("C03DA01", 0.8), ("C03DA04", 0.2)] },
    Rule { cond: HF, p: 0.35, alts: &[("A10BK01", 0.7), ("A10BK03", 0.3)] },
    // Atrial fibrillation: rate control (anticoagulation handled in code).
    Rule { cond: AF, p: 0.5, alts: &[("C07AB02", 0.6), ("C07AB07", 0.4)] },
    Rule { cond: AF, p: 0.1, alts: &[("C01AA05", 1.0)] },
    // Dementia: cholinesterase inhibitors, memantine; quetiapine for behavioural symptoms.
    Rule { cond: DEMENTIA, p: 0.45, alts: &[("N06DA02", 0.8), ("N06DA03", 0.1), ("N06DA04", 0.1)] },
    Rule { cond: DEMENTIA, p: 0.2, alts: &[("N06DX01", 1.0)] },
    Rule { cond: DEMENTIA, p: 0.1, alts: &[("N05AH04", 1.0)] },
    // Osteoporosis: bisphosphonate (alendronate first line), denosumab, zoledronic acid; calcium + D.
    Rule { cond: OSTEO, p: 0.62, alts: &[("M05BA04", 0.65), ("M05BB03", 0.12), ("M05BX04", 0.16), ("M05BA08", 0.07)] },
    Rule { cond: OSTEO, p: 0.6, alts: &[("A12AX", 1.0)] },
    // After a fragility fracture.
    Rule { cond: FRACTURE, p: 0.3, alts: &[("A12AX", 1.0)] },
    Rule { cond: FRACTURE, p: 0.18, alts: &[("M05BA04", 1.0)] },
    // Depression (active episodes): SSRI, mirtazapine.
    Rule { cond: DEPRESSION, p: 0.62, alts: &[("N06AB10", 0.4), ("N06AB04", 0.3), ("N06AB06", 0.3)] },
    Rule { cond: DEPRESSION, p: 0.12, alts: &[("N06AX11", 1.0)] },
    // ADHD: methylphenidate, lisdexamfetamine, atomoxetine.
    Rule { cond: ADHD, p: 0.85, alts: &[("N06BA04", 0.62), ("N06BA12", 0.28), ("N06BA09", 0.1)] },
    // Schizophrenia: antipsychotics.
    Rule { cond: SCHIZO, p: 0.8, alts: &[("N05AH03", 0.35), ("N05AX12", 0.3), ("N05AH04", 0.2), ("N05AX08", 0.15)] },
    // Bipolar disorder: lithium (the marker drug of service 2150's target group), quetiapine,
    // lamotrigine.
    Rule { cond: BIPOLAR, p: 0.42, alts: &[("N05AN01", 1.0)] },
    Rule { cond: BIPOLAR, p: 0.3, alts: &[("N05AH04", 1.0)] },
    Rule { cond: BIPOLAR, p: 0.2, alts: &[("N03AX09", 1.0)] },
];

/// Background drugs by age group (0-17, 18-39, 40-59, 60-74, 75-84, 85+) for women and men:
/// the common medicines of Danes that do not follow from the conditions above (pain, stomach,
/// thyroid, sleep, bladder/prostate, vitamins). Approximate shares shaped so that the share
/// with ≥5 active medicines comes out near the published Danish figures (12-13 % of the whole
/// population, about half of the 75+: Kornholt & Christensen, Dan Med J 2020;67:A12190680,
/// which reports paracetamol 50 % and pantoprazole among the most used of the 75+).
struct Background {
    atc: &'static str,
    f: [f64; 6],
    m: [f64; 6],
    /// Short courses (allergy season, steroid bursts) rather than ongoing use.
    course: bool,
}

#[rustfmt::skip]
const BACKGROUND: &[Background] = &[
    Background { atc: "N02BE01", f: [0.01, 0.04, 0.10, 0.24, 0.42, 0.56], m: [0.01, 0.03, 0.07, 0.16, 0.32, 0.46], course: false },
    Background { atc: "A02BC02", f: [0.0, 0.02, 0.06, 0.13, 0.2, 0.24], m: [0.0, 0.02, 0.05, 0.11, 0.17, 0.2], course: false },
    Background { atc: "A02BC01", f: [0.002, 0.01, 0.02, 0.03, 0.04, 0.04], m: [0.002, 0.01, 0.02, 0.03, 0.04, 0.04], course: false },
    Background { atc: "C10AA01", f: [0.0, 0.0, 0.03, 0.12, 0.15, 0.1], m: [0.0, 0.0, 0.04, 0.14, 0.16, 0.1], course: false },
    Background { atc: "B01AC06", f: [0.0, 0.0, 0.01, 0.05, 0.08, 0.08], m: [0.0, 0.0, 0.01, 0.06, 0.09, 0.08], course: false },
    Background { atc: "H03AA01", f: [0.002, 0.015, 0.04, 0.07, 0.09, 0.09], m: [0.001, 0.003, 0.008, 0.015, 0.025, 0.03], course: false },
    Background { atc: "A12AX", f: [0.0, 0.005, 0.02, 0.07, 0.15, 0.22], m: [0.0, 0.0, 0.005, 0.02, 0.05, 0.1], course: false },
    Background { atc: "A11CC05", f: [0.0, 0.01, 0.02, 0.04, 0.06, 0.08], m: [0.0, 0.005, 0.01, 0.02, 0.04, 0.06], course: false },
    Background { atc: "A06AD65", f: [0.01, 0.005, 0.01, 0.03, 0.08, 0.16], m: [0.01, 0.003, 0.008, 0.025, 0.07, 0.14], course: false },
    Background { atc: "N05CF01", f: [0.0, 0.01, 0.025, 0.045, 0.055, 0.06], m: [0.0, 0.008, 0.02, 0.035, 0.045, 0.05], course: false },
    Background { atc: "M04AA01", f: [0.0, 0.0, 0.003, 0.01, 0.025, 0.03], m: [0.0, 0.002, 0.015, 0.04, 0.06, 0.06], course: false },
    Background { atc: "G04CA02", f: [0.0, 0.0, 0.0, 0.0, 0.0, 0.0], m: [0.0, 0.0, 0.01, 0.06, 0.13, 0.16], course: false },
    Background { atc: "C03CA01", f: [0.0, 0.0, 0.005, 0.03, 0.09, 0.18], m: [0.0, 0.0, 0.005, 0.025, 0.08, 0.16], course: false },
    Background { atc: "B03BA01", f: [0.0, 0.005, 0.01, 0.03, 0.05, 0.07], m: [0.0, 0.003, 0.008, 0.025, 0.045, 0.06], course: false },
    Background { atc: "G03CA03", f: [0.0, 0.005, 0.05, 0.04, 0.01, 0.0], m: [0.0; 6], course: false },
    Background { atc: "G03AA07", f: [0.03, 0.15, 0.01, 0.0, 0.0, 0.0], m: [0.0; 6], course: false },
    Background { atc: "N06AB04", f: [0.003, 0.02, 0.03, 0.035, 0.05, 0.08], m: [0.002, 0.012, 0.02, 0.025, 0.04, 0.06], course: false },
    Background { atc: "N06AX11", f: [0.0, 0.005, 0.01, 0.015, 0.03, 0.06], m: [0.0, 0.004, 0.008, 0.012, 0.025, 0.05], course: false },
    Background { atc: "N05BA04", f: [0.0, 0.003, 0.008, 0.015, 0.02, 0.03], m: [0.0, 0.002, 0.006, 0.01, 0.015, 0.02], course: false },
    Background { atc: "C07AB02", f: [0.0, 0.005, 0.02, 0.04, 0.06, 0.06], m: [0.0, 0.004, 0.018, 0.04, 0.06, 0.06], course: false },
    Background { atc: "N02CC01", f: [0.003, 0.025, 0.02, 0.005, 0.0, 0.0], m: [0.001, 0.008, 0.007, 0.002, 0.0, 0.0], course: false },
    Background { atc: "S01EE01", f: [0.0, 0.0, 0.01, 0.04, 0.08, 0.1], m: [0.0, 0.0, 0.01, 0.04, 0.08, 0.1], course: false },
    Background { atc: "N02BF02", f: [0.0, 0.01, 0.025, 0.03, 0.035, 0.035], m: [0.0, 0.008, 0.018, 0.022, 0.025, 0.025], course: false },
    Background { atc: "N06AA09", f: [0.0, 0.005, 0.015, 0.015, 0.015, 0.01], m: [0.0, 0.003, 0.01, 0.01, 0.01, 0.008], course: false },
    Background { atc: "G04BD08", f: [0.0, 0.002, 0.01, 0.03, 0.05, 0.06], m: [0.0, 0.0, 0.005, 0.015, 0.03, 0.04], course: false },
    Background { atc: "G04CB01", f: [0.0; 6], m: [0.0, 0.0, 0.003, 0.03, 0.06, 0.07], course: false },
    Background { atc: "B03AA07", f: [0.005, 0.02, 0.02, 0.02, 0.03, 0.05], m: [0.002, 0.003, 0.005, 0.01, 0.02, 0.04], course: false },
    Background { atc: "C10AA05", f: [0.0, 0.0, 0.02, 0.08, 0.1, 0.06], m: [0.0, 0.0, 0.025, 0.09, 0.1, 0.06], course: false },
    Background { atc: "C03DA01", f: [0.0, 0.002, 0.005, 0.015, 0.03, 0.05], m: [0.0, 0.001, 0.004, 0.012, 0.025, 0.04], course: false },
    Background { atc: "N05AH04", f: [0.0, 0.005, 0.006, 0.005, 0.008, 0.02], m: [0.0, 0.004, 0.005, 0.004, 0.006, 0.015], course: false },
    Background { atc: "B03BB01", f: [0.0, 0.01, 0.005, 0.01, 0.02, 0.03], m: [0.0, 0.002, 0.003, 0.008, 0.015, 0.025], course: false },
    Background { atc: "R06AE07", f: [0.03, 0.05, 0.03, 0.02, 0.01, 0.01], m: [0.04, 0.04, 0.025, 0.015, 0.01, 0.01], course: true },
    Background { atc: "R01AD09", f: [0.02, 0.04, 0.03, 0.03, 0.02, 0.02], m: [0.02, 0.03, 0.025, 0.025, 0.02, 0.02], course: true },
    Background { atc: "H02AB06", f: [0.005, 0.01, 0.02, 0.03, 0.04, 0.04], m: [0.005, 0.01, 0.02, 0.03, 0.04, 0.04], course: true },
    Background { atc: "D07AC01", f: [0.01, 0.02, 0.02, 0.02, 0.02, 0.02], m: [0.01, 0.015, 0.015, 0.015, 0.02, 0.02], course: true },
    // Antibiotic courses: about a quarter to a third of Danes redeem an antibiotic a year
    // (Statens Serum Institut, DANMAP); penicillin V, pivmecillinam for cystitis, amoxicillin,
    // a macrolide. Approximate.
    Background { atc: "J01CE02", f: [0.1, 0.09, 0.08, 0.08, 0.09, 0.1], m: [0.1, 0.06, 0.06, 0.07, 0.08, 0.09], course: true },
    Background { atc: "J01CA08", f: [0.01, 0.06, 0.05, 0.07, 0.1, 0.13], m: [0.0, 0.005, 0.01, 0.03, 0.06, 0.09], course: true },
    Background { atc: "J01CA04", f: [0.06, 0.03, 0.03, 0.04, 0.05, 0.06], m: [0.06, 0.02, 0.025, 0.035, 0.05, 0.06], course: true },
    Background { atc: "J01FA09", f: [0.01, 0.015, 0.015, 0.02, 0.02, 0.02], m: [0.01, 0.01, 0.012, 0.018, 0.02, 0.02], course: true },
];

/// Calibration of the background drugs: a scale per age group and the weight of frailty,
/// chosen so that the share with ≥5 distinct drugs in the first half-year matches Kornholt &
/// Christensen 2020 (12 % of everyone, 7 % at 40-49, 51 % of the 75+, 66 % of the 90+).
const BG_SCALE: [f64; 6] = [1.0, 1.95, 2.6, 1.85, 1.4, 1.3];
const BG_LOADING: f64 = 0.6;

fn age_group(age: u32) -> usize {
    match age {
        0..=17 => 0,
        18..=39 => 1,
        40..=59 => 2,
        60..=74 => 3,
        75..=84 => 4,
        _ => 5,
    }
}

/// Collects a person's prescriptions; an ATC code is prescribed once per treatment line.
pub struct RxSink<'a> {
    pub t: &'a mut Tables,
    pub row: u32,
    pub seen: Vec<&'static str>,
}

impl RxSink<'_> {
    fn push(&mut self, atc: &'static str, start: Day, end: Option<Day>, subsidised: Option<bool>) {
        let p = &mut self.t.prescriptions;
        p.patient.push(self.row);
        let a = p.atcs.intern(atc);
        p.atc.push(a);
        p.start.push(start);
        p.end.push(end);
        p.subsidised.push(subsidised);
    }
    fn has(&self, atc: &str) -> bool {
        self.seen.contains(&atc)
    }
    /// A drug of the same class is already prescribed: one beta-blocker, one statin, one RAAS
    /// blocker (dual blockade is avoided), one anticoagulant, one SSRI, one bisphosphonate …
    /// Different classes within the antiplatelets (ASA with clopidogrel) are allowed.
    fn has_class(&self, atc: &str) -> bool {
        self.seen.iter().any(|s| same_class(s, atc))
    }
}

fn same_class(a: &str, b: &str) -> bool {
    fn family(x: &str) -> &str {
        match x {
            _ if x.starts_with("C09") => "C09",
            _ if x.starts_with("B01AA") || x.starts_with("B01AE") || x.starts_with("B01AF") => {
                "OAC"
            }
            _ if x.starts_with("M05B") => "M05B",
            _ if x.starts_with("C03A") => "C03A",
            _ if x.starts_with("B01AC") => x,
            _ => x.get(..5).unwrap_or(x),
        }
    }
    family(a) == family(b)
}

/// A continuous treatment from about `from` on: usually ongoing; sometimes stopped during the
/// year (optionally switched to `switch_to`), sometimes with an earlier pause of 15-120 days,
/// sometimes stopped before the year. Stops, switches and pauses approximate the patterns of
/// Danish prescription registers (about one in ten chronic treatments changes in a year).
fn chronic(
    r: &mut R,
    sink: &mut RxSink,
    p: &Person,
    cal: &Calendar,
    atc: &'static str,
    from: Day,
    subsidised: Option<bool>,
    switch_to: Option<&'static str>,
) {
    if sink.has_class(atc) {
        return;
    }
    let start = from.add_days(rng::exp(r, 60.0) as i32).max(p.birth);
    if start > p.to {
        return;
    }
    sink.seen.push(atc);
    let end_at_death = p.death;
    let roll = rng::unit(r);
    if roll < 0.8 {
        sink.push(atc, start, end_at_death, subsidised);
    } else if roll < 0.89 {
        // Stopped during the year, perhaps switched.
        let lo = start.max(cal.first);
        let stop = lo.add_days(rng::range(r, 0, lo.days_until(p.to).max(1) as i64) as i32);
        sink.push(atc, start, Some(stop), subsidised);
        if let Some(alt) = switch_to
            && !sink.has(alt)
            && rng::chance(r, 0.6)
        {
            let s2 = stop.add_days(rng::range(r, 0, 21) as i32);
            if s2 <= p.to {
                sink.seen.push(alt);
                sink.push(alt, s2, end_at_death, subsidised);
            }
        }
    } else if roll < 0.96 {
        // An earlier pause: two periods of the same drug.
        let pause_start = cal.first.add_days(-(rng::range(r, 30, 900) as i32));
        if pause_start > start.add_days(30) {
            let restart = pause_start
                .add_days(rng::range(r, 15, 121) as i32)
                .min(p.to);
            sink.push(atc, start, Some(pause_start), subsidised);
            sink.push(atc, restart, end_at_death, subsidised);
        } else {
            sink.push(atc, start, end_at_death, subsidised);
        }
    } else {
        // Stopped before the year.
        let stop = cal.first.add_days(-(rng::range(r, 20, 700) as i32));
        if stop > start {
            sink.push(atc, start, Some(stop), subsidised);
        }
    }
}

/// A short course (days) starting on a day in the year.
fn course(
    r: &mut R,
    sink: &mut RxSink,
    p: &Person,
    atc: &'static str,
    days: (i64, i64),
    sub: Option<bool>,
) {
    let span = p.from.days_until(p.to);
    if span < 0 {
        return;
    }
    let start = p.from.add_days(rng::range(r, 0, span as i64 + 1) as i32);
    let end = start.add_days(rng::range(r, days.0, days.1) as i32);
    sink.push(atc, start, Some(end), sub);
    if !sink.has(atc) {
        sink.seen.push(atc);
    }
}

pub fn prescriptions(r: &mut R, p: &mut Person, t: &mut Tables, cal: &Calendar) {
    let mut sink = RxSink {
        t,
        row: p.row,
        seen: Vec::new(),
    };
    let frail = (0.5 * p.z - 0.125).exp();
    // Diabetes.
    if p.active(DIAB) {
        let o = p.onset[DIAB];
        if p.type1 {
            chronic(r, &mut sink, p, cal, "A10AE04", o, Some(true), None);
            if rng::chance(r, 0.95) {
                chronic(r, &mut sink, p, cal, "A10AB05", o, Some(true), None);
            }
        } else {
            // GLP-1 in about a quarter of type 2 patients; one in ten of them without any other
            // antidiabetic (the regions' 2023 control of subsidised Ozempic without prior
            // cheaper treatment, DOMAIN.md §3). Metformin ~78 % otherwise.
            let glp1 = rng::chance(r, 0.25);
            let glp1_only = glp1 && rng::chance(r, 0.1);
            if glp1 {
                let atc = if rng::chance(r, 0.82) {
                    "A10BJ06"
                } else {
                    "A10BJ02"
                };
                chronic(r, &mut sink, p, cal, atc, o.add_days(400), Some(true), None);
            }
            if !glp1_only {
                if rng::chance(r, 0.78) {
                    let atc = if rng::chance(r, 0.06) {
                        "A10BD07"
                    } else {
                        "A10BA02"
                    };
                    chronic(r, &mut sink, p, cal, atc, o, Some(true), None);
                }
                if rng::chance(r, 0.3) {
                    let atc = if rng::chance(r, 0.55) {
                        "A10BK01"
                    } else {
                        "A10BK03"
                    };
                    chronic(
                        r,
                        &mut sink,
                        p,
                        cal,
                        atc,
                        o.add_days(300),
                        Some(true),
                        Some("A10BH01"),
                    );
                }
                if rng::chance(r, 0.1) {
                    chronic(
                        r,
                        &mut sink,
                        p,
                        cal,
                        "A10BH01",
                        o.add_days(300),
                        Some(true),
                        None,
                    );
                }
                if rng::chance(r, 0.05) {
                    chronic(
                        r,
                        &mut sink,
                        p,
                        cal,
                        "A10BB09",
                        o.add_days(200),
                        Some(true),
                        None,
                    );
                }
                if rng::chance(r, 0.13) {
                    chronic(
                        r,
                        &mut sink,
                        p,
                        cal,
                        "A10AE04",
                        o.add_days(1500),
                        Some(true),
                        None,
                    );
                }
            }
            if rng::chance(r, 0.35) {
                let atc = if rng::chance(r, 0.5) {
                    "C09AA05"
                } else {
                    "C09CA01"
                };
                chronic(r, &mut sink, p, cal, atc, o.add_days(200), Some(true), None);
            }
        }
    }
    // Hypertension: RAAS blockers including the combination products (C09DA01 losartan and
    // diuretic, C09BA02 enalapril and diuretic, C09DB01/C09BB04 with amlodipine), calcium
    // blocker, thiazide, beta-blocker. A combination replaces its components.
    if p.active(HT) {
        let o = p.onset[HT];
        let mut has_ccb = false;
        let mut has_diuretic = false;
        if rng::chance(r, 0.68) {
            let atc = rng::pick_from(
                r,
                &[
                    ("C09CA01", 0.36),
                    ("C09AA05", 0.24),
                    ("C09AA02", 0.1),
                    ("C09DA01", 0.15),
                    ("C09BA02", 0.08),
                    ("C09DB01", 0.04),
                    ("C09BB04", 0.03),
                ],
            );
            has_ccb = matches!(atc, "C09DB01" | "C09BB04");
            has_diuretic = matches!(atc, "C09DA01" | "C09BA02");
            chronic(r, &mut sink, p, cal, atc, o, Some(true), Some("C09CA01"));
        }
        if !has_ccb && rng::chance(r, 0.42) {
            chronic(
                r,
                &mut sink,
                p,
                cal,
                "C08CA01",
                o.add_days(200),
                Some(true),
                None,
            );
        }
        if !has_diuretic && rng::chance(r, 0.27) {
            let atc = if rng::chance(r, 0.6) {
                "C03AB01"
            } else {
                "C03AA03"
            };
            chronic(r, &mut sink, p, cal, atc, o.add_days(400), Some(true), None);
        }
        if rng::chance(r, 0.12) {
            chronic(
                r,
                &mut sink,
                p,
                cal,
                "C07AB02",
                o.add_days(600),
                Some(true),
                None,
            );
        }
    }
    // Atrial fibrillation: oral anticoagulation for most but not all (~78 %); NOACs dominate.
    if p.active(AF) && rng::chance(r, 0.78) {
        let atc = rng::pick_from(
            r,
            &[
                ("B01AF02", 0.45),
                ("B01AF01", 0.23),
                ("B01AF03", 0.1),
                ("B01AE07", 0.08),
                ("B01AA03", 0.14),
            ],
        );
        chronic(
            r,
            &mut sink,
            p,
            cal,
            atc,
            p.onset[AF].add_days(14),
            Some(true),
            Some("B01AF02"),
        );
    }
    for rule in RULES {
        if !p.active(rule.cond) || !rng::chance(r, rule.p) {
            continue;
        }
        if rule.cond == DIAB && p.type1 && rng::chance(r, 0.4) {
            continue;
        }
        // Anticoagulated patients rarely get ASA as well.
        if rule.alts[0].0 == "B01AC06" && sink.seen.iter().any(|a| a.starts_with("B01A")) {
            continue;
        }
        let atc = rng::pick_from(r, rule.alts);
        let from = p.onset[rule.cond].add_days(rng::range(r, 0, 120) as i32);
        let switch = rule.alts.iter().map(|a| a.0).find(|a| *a != atc);
        chronic(r, &mut sink, p, cal, atc, from, Some(true), switch);
    }
    // Resolved depression: the antidepressant ended with the episode.
    if p.has(DEPRESSION) && !p.active(DEPRESSION) && rng::chance(r, 0.6) {
        let o = p.onset[DEPRESSION];
        let end = o
            .add_days(rng::range(r, 120, 500) as i32)
            .min(cal.first.add_days(-1));
        if end > o {
            sink.push(
                "N06AB10",
                o.add_days(rng::range(r, 0, 30) as i32).min(end),
                Some(end),
                Some(true),
            );
        }
    }
    // GLP-1 for weight loss without diabetes: mostly unsubsidised (Wegovy), a few subsidised
    // without any diabetes diagnosis (what the regions' control looked for). Approximate.
    if !p.has(DIAB) && (25..75).contains(&p.age) && rng::chance(r, 0.014 * frail) {
        let sub = rng::chance(r, 0.12);
        let start = cal
            .first
            .add_days(-(rng::range(r, 0, 700) as i32))
            .max(p.birth);
        chronic(r, &mut sink, p, cal, "A10BJ06", start, Some(sub), None);
    }
    // Background drugs.
    let g = age_group(p.age);
    let bg_frail = (BG_LOADING * p.z - BG_LOADING * BG_LOADING / 2.0).exp() * BG_SCALE[g];
    for b in BACKGROUND {
        let pr = if p.sex == Sex::F { b.f[g] } else { b.m[g] } * bg_frail;
        if pr <= 0.0 || !rng::chance(r, pr) {
            continue;
        }
        if b.course {
            let (days, n) = match &b.atc[..3] {
                "J01" => ((5, 11), 1 + rng::chance(r, 0.3) as usize),
                "R06" | "R01" => ((30, 91), 1),
                "H02" => ((5, 15), 1),
                _ => ((14, 46), 1),
            };
            for _ in 0..n {
                course(r, &mut sink, p, b.atc, days, Some(true));
            }
        } else {
            let years = (p.age as f64).min(15.0) * rng::unit(r);
            let start = cal.first.add_days(-((years * 365.25) as i32)).max(p.birth);
            chronic(r, &mut sink, p, cal, b.atc, start, Some(true), None);
            if b.atc == "C03CA01" && rng::chance(r, 0.4) {
                chronic(r, &mut sink, p, cal, "A12BA01", start, Some(true), None);
            }
        }
    }
    nsaids(r, &mut sink, p, cal, frail);
    opioids(r, &mut sink, p, cal, frail);
}

/// NSAIDs: short courses for about 11 % of adults a year (ibuprofen most), continuous use in a
/// few older patients. Approximate (Danish NSAID use: ~10 % of adults redeem an NSAID a year,
/// ibuprofen dominating; Sundhedsdatastyrelsen medicinforbrug).
fn nsaids(r: &mut R, sink: &mut RxSink, p: &Person, cal: &Calendar, frail: f64) {
    if p.age < 15 {
        return;
    }
    const NSAIDS: [(&str, f64); 4] = [
        ("M01AE01", 0.62),
        ("M01AB05", 0.13),
        ("M01AE02", 0.15),
        ("M01AH01", 0.1),
    ];
    if rng::chance(r, 0.11 * frail) {
        let n = 1 + rng::chance(r, 0.3) as usize;
        for _ in 0..n {
            let atc = rng::pick_from(r, &NSAIDS);
            course(r, sink, p, atc, (7, 31), Some(true));
        }
    }
    if p.age >= 50 && rng::chance(r, 0.015 * frail) {
        let atc = rng::pick_from(r, &NSAIDS);
        let start = cal.first.add_days(-(rng::range(r, 30, 1500) as i32));
        chronic(r, sink, p, cal, atc, start, Some(true), None);
    }
}

/// Opioids: short courses for ~5 % of adults a year; long-term series (about 2-6 % of those
/// 40+, most in the oldest; Sundhedsdatastyrelsen counts ~100,000+ long-term users) as
/// consecutive 30-day prescriptions. Most series are continuous with gaps of at most 14 days;
/// about a third have one pause of 15-60 days. Approximate.
fn opioids(r: &mut R, sink: &mut RxSink, p: &Person, cal: &Calendar, frail: f64) {
    if p.age < 18 {
        return;
    }
    const SHORT: [(&str, f64); 4] = [
        ("N02AX02", 0.45),
        ("N02AJ06", 0.25),
        ("N02AA05", 0.2),
        ("N02AJ13", 0.1),
    ];
    const LONG: [(&str, f64); 5] = [
        ("N02AX02", 0.4),
        ("N02AA05", 0.25),
        ("N02AA01", 0.15),
        ("N02AB03", 0.1),
        ("N02AE01", 0.1),
    ];
    if rng::chance(r, 0.05 * frail) {
        let atc = rng::pick_from(r, &SHORT);
        course(r, sink, p, atc, (5, 21), Some(true));
    }
    let p_long = match p.age {
        18..=39 => 0.005,
        40..=59 => 0.022,
        60..=79 => 0.038,
        _ => 0.06,
    };
    if !rng::chance(r, p_long * frail) {
        return;
    }
    let atc = rng::pick_from(r, &LONG);
    let mut d = cal
        .first
        .add_days(-(rng::range(r, 30, 800) as i32))
        .max(p.birth);
    let with_pause = rng::chance(r, 0.33);
    let pause_at = cal.first.add_days(rng::range(r, 30, 330) as i32);
    let mut paused = false;
    // Only the last two years are written (older history adds rows, not information).
    let horizon = cal.first.add_days(-400);
    while d <= p.to {
        let len = if rng::chance(r, 0.2) { 90 } else { 30 };
        let end = d.add_days(len - 1);
        if end >= horizon {
            sink.push(atc, d, Some(end.min(p.to)), Some(true));
        }
        let gap = if with_pause && !paused && end >= pause_at {
            paused = true;
            rng::range(r, 15, 61)
        } else {
            rng::range(r, -5, 15)
        };
        d = end.add_days(gap as i32 + 1);
    }
    if !sink.has(atc) {
        sink.seen.push(atc);
    }
}

// ---------------------------------------------------------------- observations

pub fn push_obs(t: &mut Tables, row: u32, code: &str, value: f64, unit: Option<&str>, date: Day) {
    let o = &mut t.observations;
    o.patient.push(row);
    let c = o.codes.intern(code);
    o.code.push(c);
    o.value.push(value);
    let u = match unit {
        Some(u) => o.units.intern(u),
        None => NONE,
    };
    o.unit.push(u);
    o.date.push(date);
}

fn dates_in_window(r: &mut R, p: &Person, cal: &Calendar, n: usize) -> Vec<Day> {
    let mut v: Vec<Day> = (0..n)
        .filter_map(|_| cal.workday_in(r, p.from, p.to))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// HbA1c for diabetics (2-4 a year, occasional screening of others), blood pressure for the
/// hypertensive, diabetic and cardiac, eGFR for the diabetic, hypertensive, heart-failure and
/// the old, DXA T-scores for the scanned. Value distributions approximate Danish clinical
/// practice (DSAM: HbA1c target ≤ 53 mmol/mol; diabetes ≥ 48).
pub fn observations(r: &mut R, p: &mut Person, t: &mut Tables, cal: &Calendar) {
    let diab = p.active(DIAB);
    let mut lab = Vec::new();
    if diab {
        let n = 2 + rng::range(r, 0, 3) as usize;
        let base = if p.type1 { 60.0 } else { 53.0 } + 10.0 * rng::normal(r);
        for d in dates_in_window(r, p, cal, n) {
            let v = (base + 4.0 * rng::normal(r)).clamp(30.0, 130.0).round();
            push_obs(t, p.row, "HBA1C", v, Some("mmol/mol"), d);
            lab.push(d);
        }
    } else if p.age >= 40 && rng::chance(r, 0.06) {
        for d in dates_in_window(r, p, cal, 1) {
            let v = (37.0 + 4.0 * rng::normal(r) + 0.1 * (p.age as f64 - 40.0))
                .clamp(25.0, 47.0)
                .round();
            push_obs(t, p.row, "HBA1C", v, Some("mmol/mol"), d);
            lab.push(d);
        }
    }
    let ht = p.active(HT);
    let n_bp = if ht {
        1 + rng::range(r, 0, 3) as usize
    } else if diab || p.active(IHD) || p.active(HF) || (p.age >= 18 && rng::chance(r, 0.08)) {
        1
    } else {
        0
    };
    if n_bp > 0 {
        let base = if ht {
            139.0
        } else {
            122.0 + 0.3 * (p.age as f64 - 40.0).max(0.0)
        };
        for d in dates_in_window(r, p, cal, n_bp) {
            let sys = (base + 13.0 * rng::normal(r)).clamp(90.0, 220.0).round();
            let dia = (0.45 * sys + 20.0 + 7.0 * rng::normal(r))
                .clamp(50.0, 130.0)
                .round();
            push_obs(t, p.row, "BP_SYS", sys, Some("mmHg"), d);
            push_obs(t, p.row, "BP_DIA", dia, Some("mmHg"), d);
        }
    }
    let n_egfr = if diab || p.active(HF) {
        1 + rng::chance(r, 0.5) as usize
    } else if (ht && p.age >= 50) || (p.age >= 70 && rng::chance(r, 0.4)) {
        1
    } else {
        0
    };
    if n_egfr > 0 {
        let mut base = 102.0 - 0.85 * (p.age as f64 - 35.0).max(0.0) + 12.0 * rng::normal(r);
        if diab || p.active(HF) {
            base -= 8.0;
        }
        for d in dates_in_window(r, p, cal, n_egfr) {
            let v = (base + 4.0 * rng::normal(r)).clamp(5.0, 120.0).round();
            push_obs(t, p.row, "EGFR", v, Some("mL/min/1.73m²"), d);
            lab.push(d);
        }
    }
    lab.sort();
    lab.dedup();
    p.lab_days = lab;
    dxa(r, p, t, cal);
}

/// DXA scans: after a fragility fracture (fracture liaison service, ~75 % scanned within a
/// few months), for diagnosed osteoporosis (control scans) and some screening of older women.
/// T-scores are normal around an age/sex mean, lower with osteoporosis and fracture, so that
/// scanned patients fall in the seed's FLS groups about 16 % normal (T > −1.0), 53 % osteopenia,
/// 31 % osteoporosis (DOMAIN.md §4: 16/53/20/11 % for groups 1/2a/2b/3). The latest scan decides.
fn dxa(r: &mut R, p: &mut Person, t: &mut Tables, cal: &Calendar) {
    let fracture = p.has(FRACTURE);
    let osteo = p.has(OSTEO);
    let old = p.age >= 60;
    let screen = old
        && rng::chance(
            r,
            if p.sex == Sex::F { 0.08 } else { 0.02 } * (1.0 + 0.02 * (p.age as f64 - 60.0)),
        );
    let fls = fracture && rng::chance(r, 0.75);
    let control = osteo && rng::chance(r, 0.7);
    if !(screen || fls || control) {
        return;
    }
    let age = p.age as f64;
    let mut mu = -0.75 - 0.035 * (age - 50.0).max(0.0);
    if p.sex == Sex::M {
        mu += 0.55;
    }
    if fracture {
        mu -= 0.5;
    }
    if osteo {
        mu = mu.min(-1.8) - 0.55;
    }
    let own = mu + 0.85 * rng::normal(r);
    let mut dates = Vec::new();
    if fls {
        let d = p.onset[FRACTURE].add_days(rng::range(r, 30, 120) as i32);
        if d <= p.to {
            dates.push(d);
        }
    }
    if control || screen {
        let d = cal
            .first
            .add_days(-(rng::range(r, 0, 5 * 365) as i32))
            .add_days(rng::range(r, 0, 365) as i32);
        if d <= p.to && d >= p.birth.add_days(40 * 365) {
            dates.push(d);
        }
        if control && rng::chance(r, 0.3) {
            let d2 = d.add_days(-(rng::range(r, 700, 1100) as i32));
            dates.push(d2);
        }
    }
    dates.sort();
    dates.dedup();
    let n = dates.len();
    for (i, d) in dates.into_iter().enumerate() {
        // Earlier scans were a little better (bone loss over time).
        let drift = 0.15 * (n - 1 - i) as f64;
        let v = ((own + drift + 0.25 * rng::normal(r)) * 10.0).round() / 10.0;
        push_obs(t, p.row, "DXA_TSCORE", v.clamp(-5.5, 3.0), None, d);
    }
}

#[cfg(test)]
pub(crate) fn all_atc_codes() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Vec::new();
    for r in RULES {
        v.extend(r.alts.iter().map(|a| a.0));
    }
    for b in BACKGROUND {
        v.push(b.atc);
    }
    v.extend([
        "A10AE04", "A10AB05", "A10BJ06", "A10BJ02", "A10BD07", "A10BA02", "A10BK01", "A10BK03",
        "A10BH01", "A10BB09", "C09AA05", "C09CA01", "C09AA02", "C09DA01", "C09BA02", "C09DB01",
        "C09BB04", "C08CA01", "C03AB01", "C03AA03", "C07AB02", "B01AF02", "B01AF01", "B01AF03",
        "B01AE07", "B01AA03", "N06AB10", "A12BA01", "M01AE01", "M01AB05", "M01AE02", "M01AH01",
        "N02AX02", "N02AJ06", "N02AA05", "N02AJ13", "N02AA01", "N02AB03", "N02AE01",
    ]);
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_code_is_in_the_reference_lists() {
        for a in all_atc_codes() {
            assert!(almen_reference::atc_exists(a), "ATC {a}");
        }
        for dx in &DX {
            for (c, _) in dx.icpc {
                assert!(almen_reference::icpc2_title(c).is_some(), "ICPC-2 {c}");
            }
            for (c, _) in dx.icd {
                assert!(almen_reference::icd10_title(c).is_some(), "SKS {c}");
            }
        }
    }

    #[test]
    fn drug_classes() {
        assert!(same_class("C07AB02", "C07AB07"));
        assert!(same_class("C09CA01", "C09DX04"));
        assert!(same_class("B01AF02", "B01AA03"));
        assert!(!same_class("B01AC06", "B01AC04"));
        assert!(!same_class("B01AC06", "B01AF02"));
        assert!(!same_class("A10BA02", "A10BJ06"));
    }

    #[test]
    fn prevalence_table_has_every_condition() {
        let m = model();
        assert_eq!(m.thr.len(), NCOND);
        assert!(
            m.expected_conditions[1][15] > 1.0,
            "the old have several conditions"
        );
    }
}
