//! Why a patient is on a list: the rows and figures behind each criterion that held.

use crate::engine::{ClinicEval, Facts, Plan, bit, episode_start, system_index};
use crate::fls::FlsGroup;
use crate::format::{Expr, Leaf, Metric, RxTiming};
use almen_core::Day;
use almen_dataset::DiagnosisSystem;
use serde::Serialize;

/// What a reason refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    /// A diagnosis row: system, code, date, end date.
    Diagnosis,
    /// A prescription row: ATC code, start date, end date.
    Prescription,
    /// An observation row: code, date, value.
    Observation,
    /// An episode of continuous treatment: first day (`date`) and length in days (`value`).
    TreatmentEpisode,
    /// Number of distinct active substances (`value`).
    Count,
    /// A continuity figure: `code` is `contacts`, `upc` or `coc`.
    Continuity,
    Age,
    Sex,
    /// FLS/DXA group (`code`) from the scan on `date` with T-score `value`.
    FlsGroup,
    /// In the clinic's top percent by `code`: the patient's `value` and the cut (`threshold`).
    Percentile,
    /// Member of another list (`code`), whose reasons follow.
    List,
}

/// One reason. Every field is always present in JSON (null when it does not apply).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    pub kind: ReasonKind,
    /// `ICPC2` or `ICD10` for diagnoses.
    pub system: Option<&'static str>,
    pub code: Option<String>,
    /// Title of the code, where the reference data has one.
    pub title: Option<String>,
    pub date: Option<Day>,
    pub end_date: Option<Day>,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
}

impl Reason {
    fn new(kind: ReasonKind) -> Reason {
        Reason {
            kind,
            system: None,
            code: None,
            title: None,
            date: None,
            end_date: None,
            value: None,
            threshold: None,
        }
    }
    fn code(mut self, c: impl Into<String>) -> Reason {
        self.code = Some(c.into());
        self
    }
    fn value(mut self, v: f64) -> Reason {
        self.value = Some(v);
        self
    }
    fn date(mut self, d: Day) -> Reason {
        self.date = Some(d);
        self
    }
}

/// A code's title from the reference data: ICPC-2 in Danish or English, ICD-10 (looked up in
/// its SKS form, Danish only) and ATC; a shorter prefix when the full code has none.
pub fn code_title(system: Option<DiagnosisSystem>, code: &str, danish: bool) -> Option<String> {
    let code: String = match system {
        // Plain ICD-10 (`I48.9`) is looked up in its SKS form (`DI489`).
        Some(DiagnosisSystem::Icd10) if !code.starts_with('D') => {
            format!("D{}", code.replace('.', ""))
        }
        _ => code.replace('.', ""),
    };
    let mut c = code.as_str();
    while c.len() >= 3 {
        let t = match system {
            Some(DiagnosisSystem::Icpc2) => {
                almen_reference::icpc2_title(c).map(|(da, en)| if danish { da } else { en })
            }
            Some(DiagnosisSystem::Icd10) => almen_reference::icd10_title(c),
            None => almen_reference::atc_name(c),
        };
        if let Some(t) = t {
            return Some(t.to_string());
        }
        let mut end = c.len() - 1;
        while !c.is_char_boundary(end) {
            end -= 1;
        }
        c = &c[..end];
    }
    None
}

pub(crate) fn diagnosis_reason(plan: &Plan, r: usize) -> Reason {
    let dg = &plan.ds.diagnoses;
    let code = dg.codes.get(dg.code[r]).to_string();
    Reason {
        system: Some(dg.system[r].as_str()),
        title: code_title(Some(dg.system[r]), &code, true),
        code: Some(code),
        date: Some(dg.date[r]),
        end_date: dg.end_date[r],
        ..Reason::new(ReasonKind::Diagnosis)
    }
}

pub(crate) fn prescription_reason(plan: &Plan, r: usize) -> Reason {
    let pr = &plan.ds.prescriptions;
    let code = pr.atcs.get(pr.atc[r]).to_string();
    Reason {
        title: code_title(None, &code, true),
        code: Some(code),
        date: Some(pr.start[r]),
        end_date: pr.end[r],
        ..Reason::new(ReasonKind::Prescription)
    }
}

/// The latest observation row of `slot` at or before D (ties on a date: the lowest value).
pub(crate) fn latest_observation(plan: &Plan, p: u32, slot: usize) -> Option<usize> {
    let ob = &plan.ds.observations;
    let mut best: Option<usize> = None;
    for &r in plan.ds.index.observations_by_patient.rows_of(p) {
        let r = r as usize;
        if plan.obs_slot[ob.code[r] as usize] != slot as u32 || ob.date[r] > plan.date {
            continue;
        }
        best = match best {
            Some(b)
                if ob.date[b] > ob.date[r]
                    || (ob.date[b] == ob.date[r] && ob.value[b] <= ob.value[r]) =>
            {
                Some(b)
            }
            _ => Some(r),
        };
    }
    best
}

fn observation_reason(plan: &Plan, r: usize) -> Reason {
    let ob = &plan.ds.observations;
    Reason::new(ReasonKind::Observation)
        .code(ob.codes.get(ob.code[r]))
        .date(ob.date[r])
        .value(ob.value[r])
}

/// The DXA scan behind a patient's FLS group and, for group 3 by fracture, the fractures.
pub(crate) fn fls_reasons(plan: &Plan, f: &Facts) -> Vec<Reason> {
    let mut out = Vec::new();
    let (Some(group), Some(slot)) = (f.fls, plan.dxa_slot) else {
        return out;
    };
    let Some(r) = latest_observation(plan, f.row, slot) else {
        return out;
    };
    let ob = &plan.ds.observations;
    let scan = ob.date[r];
    let mut g = Reason::new(ReasonKind::FlsGroup)
        .code(group.as_str())
        .date(scan)
        .value(ob.value[r]);
    g.title = Some(group.name_en().to_string());
    out.push(g);
    out.push(observation_reason(plan, r));
    if group == FlsGroup::G3 && ob.value[r] > crate::fls::SEVERE_T {
        let dg = &plan.ds.diagnoses;
        for &dr in plan.ds.index.diagnoses_by_patient.rows_of(f.row) {
            let dr = dr as usize;
            if dg.date[dr] <= scan
                && plan.diag_fracture[dg.code[dr] as usize * 2 + system_index(dg.system[dr])]
            {
                out.push(diagnosis_reason(plan, dr));
            }
        }
    }
    out
}

fn leaf_reasons(plan: &Plan, ev: &ClinicEval, i: usize, leaf: usize, out: &mut Vec<Reason>) {
    let f = &ev.facts[i];
    let p = f.row;
    let ds = plan.ds;
    match &plan.set.leaves[leaf] {
        Leaf::Diagnosis { .. } => {
            for &r in ds.index.diagnoses_by_patient.rows_of(p) {
                if plan.diag_row_satisfies(r as usize, leaf) {
                    out.push(diagnosis_reason(plan, r as usize));
                }
            }
        }
        Leaf::Prescription { timing, .. } => match timing {
            RxTiming::Continuous { gap, .. } => {
                let pr = &ds.prescriptions;
                let rows: Vec<usize> = ds
                    .index
                    .prescriptions_by_patient
                    .rows_of(p)
                    .iter()
                    .map(|&r| r as usize)
                    .filter(|&r| plan.rx_row_satisfies(r, leaf, false))
                    .collect();
                let end = |r: usize| pr.end[r].map_or(plan.date, |e| e.min(plan.date));
                let mut iv: Vec<(Day, Day)> = rows.iter().map(|&r| (pr.start[r], end(r))).collect();
                if let Some(start) = episode_start(&mut iv, *gap, plan.date) {
                    out.push(
                        Reason::new(ReasonKind::TreatmentEpisode)
                            .date(start)
                            .value(start.days_until(plan.date) as f64),
                    );
                    for r in rows {
                        if end(r) >= start {
                            out.push(prescription_reason(plan, r));
                        }
                    }
                }
            }
            _ => {
                for &r in ds.index.prescriptions_by_patient.rows_of(p) {
                    if plan.rx_row_satisfies(r as usize, leaf, true) {
                        out.push(prescription_reason(plan, r as usize));
                    }
                }
            }
        },
        Leaf::Observation { .. } => {
            let slot = plan
                .obs_leaves
                .iter()
                .find(|o| o.leaf == leaf)
                .map(|o| o.slot);
            if let Some(r) = slot.and_then(|s| latest_observation(plan, p, s)) {
                out.push(observation_reason(plan, r));
            }
        }
        Leaf::Metric { metric, .. } => out.extend(metric_reasons(plan, f, *metric)),
        Leaf::Sex(s) => out.push(Reason::new(ReasonKind::Sex).code(s.as_str())),
        Leaf::Fls(_) => out.extend(fls_reasons(plan, f)),
        Leaf::Top { metric, .. } => {
            let k = plan
                .top_leaves
                .iter()
                .position(|t| t.0 == leaf)
                .expect("top leaves are planned");
            let mut r = Reason::new(ReasonKind::Percentile).code(metric.name());
            r.value = f.metric(*metric);
            r.threshold = ev.top_cuts[k];
            out.push(r);
            if *metric == Metric::ActiveSubstances {
                out.extend(active_substances(plan, p));
            }
        }
    }
}

/// One prescription per distinct active substance (the first row in file order).
fn active_substances(plan: &Plan, p: u32) -> Vec<Reason> {
    let pr = &plan.ds.prescriptions;
    let mut seen: Vec<u32> = Vec::new();
    let mut out = Vec::new();
    for &r in plan.ds.index.prescriptions_by_patient.rows_of(p) {
        let r = r as usize;
        if !plan.is_active(r) {
            continue;
        }
        let s = plan.substance[pr.atc[r] as usize];
        if !seen.contains(&s) {
            seen.push(s);
            out.push(prescription_reason(plan, r));
        }
    }
    out
}

fn metric_reasons(plan: &Plan, f: &Facts, m: Metric) -> Vec<Reason> {
    match m {
        Metric::Age => vec![Reason::new(ReasonKind::Age).value(f.age as f64)],
        Metric::ActiveSubstances => {
            let mut v = vec![
                Reason::new(ReasonKind::Count)
                    .code("active_substances")
                    .value(f.substances as f64),
            ];
            v.extend(active_substances(plan, f.row));
            v
        }
        Metric::Contacts | Metric::Upc | Metric::Coc => {
            let mut r = Reason::new(ReasonKind::Continuity).code(m.name());
            r.value = f.metric(m);
            r.date = Some(plan.window_from.add_days(1));
            r.end_date = Some(plan.date);
            vec![r]
        }
    }
}

fn expr_reasons(plan: &Plan, ev: &ClinicEval, i: usize, e: &Expr, out: &mut Vec<Reason>) {
    let leaves = ev.leaves_of(i, plan.words);
    let lw = plan.list_words;
    let lists = &ev.list_bits[i * lw..(i + 1) * lw];
    match e {
        Expr::Leaf(l) => {
            if bit(leaves, *l) {
                leaf_reasons(plan, ev, i, *l, out);
            }
        }
        Expr::List(li) => {
            if bit(lists, *li) {
                let def = plan.set.list(*li);
                let mut r = Reason::new(ReasonKind::List).code(def.id.clone());
                r.title = Some(def.name_en.clone());
                out.push(r);
                expr_reasons(plan, ev, i, &def.expr, out);
            }
        }
        Expr::All(v) | Expr::Any(v) | Expr::AtLeast(_, v) => {
            for x in v {
                if crate::engine::eval(x, leaves, lists) {
                    expr_reasons(plan, ev, i, x, out);
                }
            }
        }
        // Being on no such list or drug is shown by the list's definition, not by rows.
        Expr::None(_) => {}
    }
}

/// The reasons patient `i` (index in the clinic's population) is on list `list`.
pub(crate) fn reasons(plan: &Plan, ev: &ClinicEval, i: usize, list: usize) -> Vec<Reason> {
    let mut out = Vec::new();
    expr_reasons(plan, ev, i, &plan.set.list(list).expr, &mut out);
    let mut unique: Vec<Reason> = Vec::with_capacity(out.len());
    for r in out {
        if !unique.contains(&r) {
            unique.push(r);
        }
    }
    unique
}

#[cfg(test)]
mod title_tests {
    use super::*;

    #[test]
    fn plain_and_sks_icd10_codes_get_the_same_title() {
        let plain = code_title(Some(DiagnosisSystem::Icd10), "I48.9", true);
        assert!(plain.is_some());
        assert_eq!(
            plain,
            code_title(Some(DiagnosisSystem::Icd10), "DI489", true)
        );
        assert_ne!(
            code_title(Some(DiagnosisSystem::Icpc2), "K78", true),
            code_title(Some(DiagnosisSystem::Icpc2), "K78", false)
        );
        assert!(code_title(None, "B01AA03", true).is_some());
    }
}
