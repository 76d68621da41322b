//! The columnar list engine.
//!
//! A [`Plan`] classifies every distinct code of the dataset once: for each diagnosis code
//! (per code system) and each ATC code a bitmask of the criteria ("leaves") it satisfies, for
//! each ATC code its substance, for each observation code its slot. Evaluating a clinic is then
//! one pass per patient over their rows, OR-ing masks whose timing holds at the reference
//! date; then the clinic-level cuts (top percent); then the list expressions per patient.

use crate::codes::{System, normalise_data};
use crate::continuity::{WINDOW_MONTHS, continuity_index};
use crate::fls::{DXA_CODE, FlsGroup, fracture_codes};
use crate::format::{Cmp, DiagTiming, Expr, Leaf, Metric, Period, RxTiming};
use crate::lists::ListSet;
use almen_core::{AGE_BANDS, Day, Sex, age_band};
use almen_dataset::{Dataset, DiagnosisSystem, NONE};
use std::collections::HashMap;

pub(crate) fn system_index(s: DiagnosisSystem) -> usize {
    match s {
        DiagnosisSystem::Icpc2 => 0,
        DiagnosisSystem::Icd10 => 1,
    }
}

/// Four-digit service code as a number, for table look-ups.
pub(crate) fn service_number(code: &almen_reference::ServiceCode) -> usize {
    code.as_str().bytes().fold(0usize, |acc, b| {
        acc * 10 + (b.wrapping_sub(b'0') as usize % 10)
    })
}

#[derive(Debug, Clone)]
pub(crate) struct ObsLeaf {
    pub leaf: usize,
    pub slot: usize,
    pub op: Cmp,
    pub value: f64,
    /// The latest observation must be on or after this day.
    pub from: Option<Day>,
}

/// Everything about a dataset and a list set that does not depend on the patient.
pub(crate) struct Plan<'a> {
    pub ds: &'a Dataset,
    pub set: &'a ListSet,
    pub date: Day,
    /// u64 words per patient for leaf bits and for list bits.
    pub words: usize,
    pub list_words: usize,
    /// Per `(code * 2 + system)`: `words` words of leaves the code satisfies.
    pub diag_mask: Vec<u64>,
    pub diag_hit: Vec<bool>,
    pub diag_fracture: Vec<bool>,
    diag_present: Vec<u64>,
    diag_ever: Vec<u64>,
    diag_within: Vec<(Day, Vec<u64>)>,
    /// Per ATC code: leaves it satisfies (whatever the timing).
    pub rx_mask: Vec<u64>,
    pub rx_hit: Vec<bool>,
    rx_active: Vec<u64>,
    rx_ever: Vec<u64>,
    rx_within: Vec<(Day, Vec<u64>)>,
    rx_touched: Vec<(Day, Vec<u64>)>,
    /// Leaves with continuous timing: (leaf, days, gap).
    pub rx_cont: Vec<(usize, u32, u32)>,
    pub rx_cont_hit: Vec<bool>,
    /// Per ATC code: the substance (the code cut to 7 characters) as a small number.
    pub substance: Vec<u32>,
    /// Per observation code: slot, or `NONE`.
    pub obs_slot: Vec<u32>,
    pub n_slots: usize,
    pub dxa_slot: Option<usize>,
    pub obs_leaves: Vec<ObsLeaf>,
    pub metric_leaves: Vec<(usize, Metric, Cmp, f64)>,
    pub sex_leaves: Vec<(usize, Sex)>,
    pub fls_leaves: Vec<(usize, [bool; 4])>,
    pub top_leaves: Vec<(usize, Metric, f64, f64)>,
    /// Indexed by the service code as a number.
    pub face_to_face: Vec<bool>,
    /// First day of the continuity window.
    pub window_from: Day,
    /// Read observations and claims in the row pass. Always true for the cockpit's own
    /// evaluation; [`crate::memberships`] turns them off when no list it reports needs them.
    pub read_observations: bool,
    pub read_claims: bool,
}

fn set_bit(words: &mut [u64], i: usize) {
    words[i / 64] |= 1 << (i % 64);
}

pub(crate) fn bit(words: &[u64], i: usize) -> bool {
    words[i / 64] >> (i % 64) & 1 == 1
}

/// Prefix → (leaf, is_except) for one code system.
#[derive(Default)]
struct PrefixMap(HashMap<String, Vec<(usize, bool)>>);

impl PrefixMap {
    fn add(&mut self, leaf: usize, set: &crate::codes::CodeSet) {
        for p in &set.include {
            self.0.entry(p.clone()).or_default().push((leaf, false));
        }
        for p in &set.except {
            self.0.entry(p.clone()).or_default().push((leaf, true));
        }
    }
    /// Writes the leaves `code` satisfies into `out` (`inc` and `exc` are scratch).
    fn classify(&self, code: &str, inc: &mut [u64], exc: &mut [u64], out: &mut [u64]) -> bool {
        inc.fill(0);
        exc.fill(0);
        let mut any = false;
        for len in 1..=code.len() {
            if !code.is_char_boundary(len) {
                continue;
            }
            if let Some(v) = self.0.get(&code[..len]) {
                for &(leaf, except) in v {
                    set_bit(if except { &mut *exc } else { &mut *inc }, leaf);
                    any = true;
                }
            }
        }
        let mut hit = false;
        for w in 0..out.len() {
            out[w] = inc[w] & !exc[w];
            hit |= out[w] != 0;
        }
        any && hit
    }
}

impl<'a> Plan<'a> {
    /// Plans an evaluation. With `only_clinic`, only the codes that clinic's patients use are
    /// classified (a national dataset has tens of thousands of distinct codes, a clinic a few
    /// hundred), so evaluating one clinic stays fast.
    pub(crate) fn new(
        ds: &'a Dataset,
        set: &'a ListSet,
        date: Day,
        only_clinic: Option<u32>,
    ) -> Plan<'a> {
        let n_leaves = set.leaves.len();
        let words = n_leaves.div_ceil(64).max(1);
        let list_words = set.len().div_ceil(64).max(1);
        let mut diag_maps = [PrefixMap::default(), PrefixMap::default()];
        let mut rx_map = PrefixMap::default();
        let mut diag_present = vec![0u64; words];
        let mut diag_ever = vec![0u64; words];
        let mut diag_within: Vec<(Day, Vec<u64>)> = Vec::new();
        let mut rx_active = vec![0u64; words];
        let mut rx_ever = vec![0u64; words];
        let mut rx_within: Vec<(Day, Vec<u64>)> = Vec::new();
        let mut rx_touched: Vec<(Day, Vec<u64>)> = Vec::new();
        let mut rx_cont = Vec::new();
        let mut obs_codes: Vec<String> = vec![DXA_CODE.to_string()];
        let mut obs_leaves = Vec::new();
        let mut metric_leaves = Vec::new();
        let mut sex_leaves = Vec::new();
        let mut fls_leaves = Vec::new();
        let mut top_leaves = Vec::new();
        let within_mask = |list: &mut Vec<(Day, Vec<u64>)>, from: Day, leaf: usize| match list
            .iter_mut()
            .find(|(d, _)| *d == from)
        {
            Some((_, m)) => set_bit(m, leaf),
            None => {
                let mut m = vec![0u64; words];
                set_bit(&mut m, leaf);
                list.push((from, m));
            }
        };
        for (leaf, l) in set.leaves.iter().enumerate() {
            match l {
                Leaf::Diagnosis { codes, timing } => {
                    diag_maps[0].add(leaf, &codes[0]);
                    diag_maps[1].add(leaf, &codes[1]);
                    match timing {
                        DiagTiming::Present => set_bit(&mut diag_present, leaf),
                        DiagTiming::Ever => set_bit(&mut diag_ever, leaf),
                        DiagTiming::Within(p) => within_mask(&mut diag_within, p.start(date), leaf),
                    }
                }
                Leaf::Prescription { codes, timing } => {
                    rx_map.add(leaf, codes);
                    match timing {
                        RxTiming::Active => set_bit(&mut rx_active, leaf),
                        RxTiming::Ever => set_bit(&mut rx_ever, leaf),
                        RxTiming::StartedWithin(p) => {
                            within_mask(&mut rx_within, p.start(date), leaf)
                        }
                        RxTiming::StartedOrEndedWithin(p) => {
                            within_mask(&mut rx_touched, p.start(date), leaf)
                        }
                        RxTiming::Continuous { days, gap } => rx_cont.push((leaf, *days, *gap)),
                    }
                }
                Leaf::Observation {
                    code,
                    op,
                    value,
                    within,
                } => {
                    let slot = match obs_codes.iter().position(|c| c == code) {
                        Some(s) => s,
                        None => {
                            obs_codes.push(code.clone());
                            obs_codes.len() - 1
                        }
                    };
                    obs_leaves.push(ObsLeaf {
                        leaf,
                        slot,
                        op: *op,
                        value: *value,
                        from: within.map(|p: Period| p.start(date)),
                    });
                }
                Leaf::Metric { metric, op, value } => {
                    metric_leaves.push((leaf, *metric, *op, *value))
                }
                Leaf::Sex(s) => sex_leaves.push((leaf, *s)),
                Leaf::Fls(g) => fls_leaves.push((leaf, *g)),
                Leaf::Top {
                    metric,
                    percent,
                    min,
                } => top_leaves.push((leaf, *metric, *percent, *min)),
            }
        }

        // Which codes to classify.
        let dg = &ds.diagnoses;
        let pr = &ds.prescriptions;
        let n_codes = dg.codes.len();
        let n_atc = pr.atcs.len();
        let (used_dx, used_atc) = match only_clinic {
            None => (vec![true; n_codes], vec![true; n_atc]),
            Some(c) => {
                let mut dx = vec![false; n_codes];
                let mut atc = vec![false; n_atc];
                for &p in ds.index.patients_by_clinic.rows_of(c) {
                    for &r in ds.index.diagnoses_by_patient.rows_of(p) {
                        dx[dg.code[r as usize] as usize] = true;
                    }
                    for &r in ds.index.prescriptions_by_patient.rows_of(p) {
                        atc[pr.atc[r as usize] as usize] = true;
                    }
                }
                (dx, atc)
            }
        };

        // Diagnosis codes, once per distinct code and system.
        let mut diag_mask = vec![0u64; n_codes * 2 * words];
        let mut diag_hit = vec![false; n_codes * 2];
        let mut diag_fracture = vec![false; n_codes * 2];
        let fractures = fracture_codes();
        let (mut inc, mut exc) = (vec![0u64; words], vec![0u64; words]);
        for (ci, raw) in dg.codes.values().iter().enumerate() {
            if !used_dx[ci] {
                continue;
            }
            for (si, system) in [System::Icpc2, System::Icd10].into_iter().enumerate() {
                let code = normalise_data(system, raw);
                let k = ci * 2 + si;
                diag_hit[k] = diag_maps[si].classify(
                    &code,
                    &mut inc,
                    &mut exc,
                    &mut diag_mask[k * words..(k + 1) * words],
                );
                diag_fracture[k] = fractures[si].matches(&code);
            }
        }

        // ATC codes and substances.
        let mut rx_mask = vec![0u64; n_atc * words];
        let mut rx_hit = vec![false; n_atc];
        let mut rx_cont_hit = vec![false; n_atc];
        let mut substance = vec![0u32; n_atc];
        let mut substances: HashMap<String, u32> = HashMap::new();
        for (ai, raw) in pr.atcs.values().iter().enumerate() {
            if !used_atc[ai] {
                continue;
            }
            let code = normalise_data(System::Atc, raw);
            let m = &mut rx_mask[ai * words..(ai + 1) * words];
            rx_hit[ai] = rx_map.classify(&code, &mut inc, &mut exc, m);
            rx_cont_hit[ai] = rx_cont.iter().any(|&(leaf, _, _)| bit(m, leaf));
            let key: String = code.chars().take(7).collect();
            let next = substances.len() as u32;
            substance[ai] = *substances.entry(key).or_insert(next);
        }

        // Observation codes that some criterion (or the FLS grouping) reads.
        let ob = &ds.observations;
        let obs_slot: Vec<u32> = ob
            .codes
            .values()
            .iter()
            .map(|c| {
                obs_codes
                    .iter()
                    .position(|x| x.eq_ignore_ascii_case(c.trim()))
                    .map_or(NONE, |s| s as u32)
            })
            .collect();

        let mut face_to_face = vec![false; 10_000];
        for (n, f) in face_to_face.iter_mut().enumerate() {
            let code = format!("{n:04}");
            if let Ok(sc) = almen_reference::ServiceCode::parse(&code) {
                *f = almen_reference::is_face_to_face(sc);
            }
        }

        Plan {
            ds,
            set,
            date,
            words,
            list_words,
            diag_mask,
            diag_hit,
            diag_fracture,
            diag_present,
            diag_ever,
            diag_within,
            rx_mask,
            rx_hit,
            rx_active,
            rx_ever,
            rx_within,
            rx_touched,
            rx_cont,
            rx_cont_hit,
            substance,
            obs_slot,
            n_slots: obs_codes.len(),
            dxa_slot: Some(0),
            obs_leaves,
            metric_leaves,
            sex_leaves,
            fls_leaves,
            top_leaves,
            face_to_face,
            window_from: date.minus_months(WINDOW_MONTHS),
            read_observations: true,
            read_claims: true,
        }
    }

    /// The patients of a clinic's population at the reference date: listed with the clinic,
    /// born on or before D and not deceased on or before D.
    pub(crate) fn population(&self, clinic: u32) -> impl Iterator<Item = u32> + '_ {
        let p = &self.ds.patients;
        self.ds
            .index
            .patients_by_clinic
            .rows_of(clinic)
            .iter()
            .copied()
            .filter(move |&r| {
                p.birth_date[r as usize] <= self.date && p.alive_at(r as usize, self.date)
            })
    }

    /// Is a diagnosis row's timing right for the leaves of `timing_words`? Returns the mask of
    /// timings the row satisfies.
    #[inline]
    fn diag_timing(&self, date: Day, end: Option<Day>, out: &mut [u64]) {
        let present = end.is_none_or(|e| e >= self.date);
        for w in 0..self.words {
            let mut t = self.diag_ever[w];
            if present {
                t |= self.diag_present[w];
            }
            out[w] = t;
        }
        for (from, m) in &self.diag_within {
            if date >= *from {
                for w in 0..self.words {
                    out[w] |= m[w];
                }
            }
        }
    }

    #[inline]
    fn rx_timing(&self, start: Day, end: Option<Day>, out: &mut [u64]) {
        let active = end.is_none_or(|e| e >= self.date);
        for w in 0..self.words {
            let mut t = self.rx_ever[w];
            if active {
                t |= self.rx_active[w];
            }
            out[w] = t;
        }
        for (from, m) in &self.rx_within {
            if start >= *from {
                for w in 0..self.words {
                    out[w] |= m[w];
                }
            }
        }
        for (from, m) in &self.rx_touched {
            if start >= *from || end.is_some_and(|e| e >= *from && e <= self.date) {
                for w in 0..self.words {
                    out[w] |= m[w];
                }
            }
        }
    }

    /// Does diagnosis row `r` satisfy leaf `leaf` (codes and timing)?
    pub(crate) fn diag_row_satisfies(&self, r: usize, leaf: usize) -> bool {
        let dg = &self.ds.diagnoses;
        let date = dg.date[r];
        if date > self.date {
            return false;
        }
        let k = dg.code[r] as usize * 2 + system_index(dg.system[r]);
        if !bit(&self.diag_mask[k * self.words..(k + 1) * self.words], leaf) {
            return false;
        }
        let mut t = vec![0u64; self.words];
        self.diag_timing(date, dg.end_date[r], &mut t);
        bit(&t, leaf)
    }

    /// Does prescription row `r` satisfy leaf `leaf` by code (and timing, unless continuous)?
    pub(crate) fn rx_row_satisfies(&self, r: usize, leaf: usize, check_timing: bool) -> bool {
        let pr = &self.ds.prescriptions;
        let start = pr.start[r];
        if start > self.date {
            return false;
        }
        let a = pr.atc[r] as usize;
        if !bit(&self.rx_mask[a * self.words..(a + 1) * self.words], leaf) {
            return false;
        }
        if !check_timing {
            return true;
        }
        let mut t = vec![0u64; self.words];
        self.rx_timing(start, pr.end[r], &mut t);
        bit(&t, leaf)
    }

    pub(crate) fn is_active(&self, r: usize) -> bool {
        let pr = &self.ds.prescriptions;
        pr.start[r] <= self.date && pr.end[r].is_none_or(|e| e >= self.date)
    }
}

/// What the engine knows about one patient after the row pass.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facts {
    pub row: u32,
    pub age: u16,
    pub sex: Sex,
    pub substances: u16,
    pub contacts: u32,
    /// NaN when there are fewer than 2 contacts.
    pub upc: f64,
    pub coc: f64,
    pub fls: Option<FlsGroup>,
}

impl Facts {
    pub(crate) fn metric(&self, m: Metric) -> Option<f64> {
        let x = match m {
            Metric::Age => self.age as f64,
            Metric::ActiveSubstances => self.substances as f64,
            Metric::Contacts => self.contacts as f64,
            Metric::Upc => self.upc,
            Metric::Coc => self.coc,
        };
        (!x.is_nan()).then_some(x)
    }
    pub(crate) fn upc(&self) -> Option<f64> {
        self.metric(Metric::Upc)
    }
    pub(crate) fn coc(&self) -> Option<f64> {
        self.metric(Metric::Coc)
    }
}

/// Buffers reused from patient to patient.
#[derive(Default)]
pub(crate) struct Scratch {
    timing: Vec<u64>,
    substances: Vec<u32>,
    /// (atc, start, coverage end) of rows matching a continuous leaf.
    cont: Vec<(u32, Day, Day)>,
    latest: Vec<(Day, f64)>,
    contacts: Vec<(Day, u32, i32)>,
    doctors: Vec<u32>,
}

/// The episode of continuous treatment that covers D, from sorted intervals: its first day,
/// or `None` when no episode covers D. Intervals start on or before D; ends are capped at D
/// by the caller (an open end counts as D).
pub(crate) fn episode_start(intervals: &mut [(Day, Day)], gap: u32, date: Day) -> Option<Day> {
    intervals.sort_unstable();
    let mut cur: Option<(Day, Day)> = None;
    for &(s, e) in intervals.iter() {
        cur = match cur {
            Some((cs, ce)) if ce.days_until(s) <= gap as i32 => Some((cs, ce.max(e))),
            _ => Some((s, e)),
        };
    }
    cur.filter(|&(_, e)| e >= date).map(|(s, _)| s)
}

/// A clinic's evaluation: per patient of the population, facts, leaf bits and list bits.
pub(crate) struct ClinicEval {
    pub clinic: u32,
    pub facts: Vec<Facts>,
    pub leaf_bits: Vec<u64>,
    pub list_bits: Vec<u64>,
    /// Per entry of `plan.top_leaves`: the value a patient must reach (`None`: nobody).
    pub top_cuts: Vec<Option<f64>>,
}

impl ClinicEval {
    pub(crate) fn leaves_of(&self, i: usize, words: usize) -> &[u64] {
        &self.leaf_bits[i * words..(i + 1) * words]
    }
    pub(crate) fn in_list(&self, i: usize, list: usize, list_words: usize) -> bool {
        bit(&self.list_bits[i * list_words..(i + 1) * list_words], list)
    }
}

impl Plan<'_> {
    /// One patient's row pass: writes leaf bits (except top-percent leaves) and returns facts.
    pub(crate) fn patient(&self, p: u32, clinic: u32, s: &mut Scratch, bits: &mut [u64]) -> Facts {
        let ds = self.ds;
        let d = self.date;
        let w = self.words;
        let pu = p as usize;
        bits.fill(0);
        s.timing.resize(w, 0);

        // Diagnoses.
        let dg = &ds.diagnoses;
        let diag_rows = ds.index.diagnoses_by_patient.rows_of(p);
        for &r in diag_rows {
            let r = r as usize;
            let k = dg.code[r] as usize * 2 + system_index(dg.system[r]);
            if !self.diag_hit[k] {
                continue;
            }
            let date = dg.date[r];
            if date > d {
                continue;
            }
            self.diag_timing(date, dg.end_date[r], &mut s.timing);
            let m = &self.diag_mask[k * w..(k + 1) * w];
            for i in 0..w {
                bits[i] |= m[i] & s.timing[i];
            }
        }

        // Prescriptions.
        let pr = &ds.prescriptions;
        s.substances.clear();
        s.cont.clear();
        for &r in ds.index.prescriptions_by_patient.rows_of(p) {
            let r = r as usize;
            let start = pr.start[r];
            if start > d {
                continue;
            }
            let end = pr.end[r];
            let active = end.is_none_or(|e| e >= d);
            let a = pr.atc[r] as usize;
            if active {
                s.substances.push(self.substance[a]);
            }
            if !self.rx_hit[a] {
                continue;
            }
            self.rx_timing(start, end, &mut s.timing);
            let m = &self.rx_mask[a * w..(a + 1) * w];
            for i in 0..w {
                bits[i] |= m[i] & s.timing[i];
            }
            if self.rx_cont_hit[a] {
                s.cont.push((a as u32, start, end.map_or(d, |e| e.min(d))));
            }
        }
        s.substances.sort_unstable();
        s.substances.dedup();
        let substances = s.substances.len().min(u16::MAX as usize) as u16;
        if !s.cont.is_empty() {
            for &(leaf, days, gap) in &self.rx_cont {
                let mut iv: Vec<(Day, Day)> = s
                    .cont
                    .iter()
                    .filter(|(a, _, _)| {
                        let a = *a as usize;
                        bit(&self.rx_mask[a * w..(a + 1) * w], leaf)
                    })
                    .map(|&(_, st, en)| (st, en))
                    .collect();
                if let Some(st) = episode_start(&mut iv, gap, d)
                    && st.days_until(d) >= days as i32
                {
                    set_bit(bits, leaf);
                }
            }
        }

        // Observations: the latest value per slot (ties on a date: the lowest value).
        let ob = &ds.observations;
        s.latest.clear();
        s.latest.resize(self.n_slots, (Day::MIN, f64::NAN));
        let obs_rows = match self.read_observations {
            true => ds.index.observations_by_patient.rows_of(p),
            false => &[],
        };
        for &r in obs_rows {
            let r = r as usize;
            let slot = self.obs_slot[ob.code[r] as usize];
            if slot == NONE {
                continue;
            }
            let date = ob.date[r];
            if date > d {
                continue;
            }
            let v = ob.value[r];
            let cur = &mut s.latest[slot as usize];
            if date > cur.0 || (date == cur.0 && (v < cur.1 || cur.1.is_nan())) {
                *cur = (date, v);
            }
        }
        for o in &self.obs_leaves {
            let (date, v) = s.latest[o.slot];
            if date != Day::MIN && o.from.is_none_or(|f| date >= f) && o.op.holds(v, o.value) {
                set_bit(bits, o.leaf);
            }
        }
        let fls = self.dxa_slot.and_then(|slot| {
            let (scan, t) = s.latest[slot];
            if scan == Day::MIN || t.is_nan() {
                return None;
            }
            let fracture = t <= crate::fls::OSTEOPOROSIS_T
                && diag_rows.iter().any(|&r| {
                    let r = r as usize;
                    dg.date[r] <= scan
                        && self.diag_fracture[dg.code[r] as usize * 2 + system_index(dg.system[r])]
                });
            Some(FlsGroup::of(t, fracture))
        });

        // Continuity: face-to-face contacts with the patient's own clinic in the window.
        let cl = &ds.claims;
        s.contacts.clear();
        let claim_rows = match self.read_claims {
            true => ds.index.claims_by_patient.rows_of(p),
            false => &[],
        };
        for &r in claim_rows {
            let r = r as usize;
            let date = cl.service_date[r];
            if cl.clinic[r] != clinic
                || cl.doctor[r] == NONE
                || date > d
                || date <= self.window_from
                || !self.face_to_face[service_number(&cl.service[r])]
            {
                continue;
            }
            s.contacts.push((date, cl.doctor[r], cl.quantity[r]));
        }
        let ci = continuity_index(&mut s.contacts, &mut s.doctors);

        let pt = &ds.patients;
        let facts = Facts {
            row: p,
            age: pt.birth_date[pu].age_at(d).min(u16::MAX as u32) as u16,
            sex: pt.sex[pu],
            substances,
            contacts: ci.contacts,
            upc: ci.upc.unwrap_or(f64::NAN),
            coc: ci.coc.unwrap_or(f64::NAN),
            fls,
        };
        for &(leaf, metric, op, value) in &self.metric_leaves {
            if facts.metric(metric).is_some_and(|x| op.holds(x, value)) {
                set_bit(bits, leaf);
            }
        }
        for &(leaf, sex) in &self.sex_leaves {
            if facts.sex == sex {
                set_bit(bits, leaf);
            }
        }
        for (leaf, groups) in &self.fls_leaves {
            if facts.fls.is_some_and(|g| groups[g.index()]) {
                set_bit(bits, *leaf);
            }
        }
        facts
    }

    /// Evaluates every list for a clinic's population.
    pub(crate) fn clinic(&self, clinic: u32) -> ClinicEval {
        let w = self.words;
        let population: Vec<u32> = self.population(clinic).collect();
        let n = population.len();
        let mut leaf_bits = vec![0u64; n * w];
        let mut facts = Vec::with_capacity(n);
        let mut s = Scratch::default();
        for (i, &p) in population.iter().enumerate() {
            facts.push(self.patient(p, clinic, &mut s, &mut leaf_bits[i * w..(i + 1) * w]));
        }

        // Top-percent cuts over the whole population.
        let mut top_cuts = Vec::with_capacity(self.top_leaves.len());
        let mut values: Vec<f64> = Vec::with_capacity(n);
        for &(leaf, metric, percent, min) in &self.top_leaves {
            values.clear();
            values.extend(facts.iter().filter_map(|f| f.metric(metric)));
            let cut = top_cut(&mut values, n, percent).map(|c| c.max(min));
            if let Some(cut) = cut {
                for (i, f) in facts.iter().enumerate() {
                    if f.metric(metric).is_some_and(|x| x >= cut) {
                        set_bit(&mut leaf_bits[i * w..(i + 1) * w], leaf);
                    }
                }
            }
            top_cuts.push(cut);
        }

        // Lists, in dependency order.
        let lw = self.list_words;
        let mut list_bits = vec![0u64; n * lw];
        for i in 0..n {
            let leaves = &leaf_bits[i * w..(i + 1) * w];
            let lists = &mut list_bits[i * lw..(i + 1) * lw];
            for &li in &self.set.order {
                if eval(&self.set.list(li).expr, leaves, lists) {
                    set_bit(lists, li);
                }
            }
        }
        ClinicEval {
            clinic,
            facts,
            leaf_bits,
            list_bits,
            top_cuts,
        }
    }
}

/// The value at the cut of the top `percent` % of a population of `n` (values: the defined
/// ones). With k = ceil(percent · n / 100), the cut is the k-th highest value; `None` when k
/// is 0 or no value is defined.
pub(crate) fn top_cut(values: &mut [f64], n: usize, percent: f64) -> Option<f64> {
    let k = ((percent * n as f64) / 100.0 - 1e-9).ceil().max(0.0) as usize;
    if k == 0 || values.is_empty() {
        return None;
    }
    let k = k.min(values.len());
    let (_, kth, _) = values.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
    Some(*kth)
}

pub(crate) fn eval(e: &Expr, leaves: &[u64], lists: &[u64]) -> bool {
    match e {
        Expr::Leaf(i) => bit(leaves, *i),
        Expr::List(i) => bit(lists, *i),
        Expr::All(v) => v.iter().all(|x| eval(x, leaves, lists)),
        Expr::Any(v) => v.iter().any(|x| eval(x, leaves, lists)),
        Expr::None(v) => !v.iter().any(|x| eval(x, leaves, lists)),
        Expr::AtLeast(n, v) => {
            let mut c = 0;
            for x in v {
                if eval(x, leaves, lists) {
                    c += 1;
                    if c >= *n {
                        return true;
                    }
                }
            }
            false
        }
    }
}

/// Counts by `[sex][age band]`.
pub type Strata = [[u32; AGE_BANDS]; 2];

/// A clinic's counts: what reports and aggregates are built from.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClinicCounts {
    /// Row of the clinic in the dataset.
    pub clinic: u32,
    pub clinic_id: String,
    pub population: u32,
    /// Members per list, in [`ListSet::ids`] order.
    pub counts: Vec<u32>,
    /// Population by sex and age band.
    #[serde(skip)]
    pub population_strata: Strata,
    /// Members per list by sex and age band.
    #[serde(skip)]
    pub strata: Vec<Strata>,
    /// Patients with at least 2 contacts, and the sums of their UPC and COC.
    pub continuity_patients: u32,
    pub upc_sum: f64,
    pub coc_sum: f64,
}

impl ClinicEval {
    pub(crate) fn counts(&self, plan: &Plan) -> ClinicCounts {
        let nl = plan.set.len();
        let mut counts = vec![0u32; nl];
        let mut strata = vec![[[0u32; AGE_BANDS]; 2]; nl];
        let mut pop = [[0u32; AGE_BANDS]; 2];
        let (mut cp, mut us, mut cs) = (0u32, 0f64, 0f64);
        let lw = plan.list_words;
        for (i, f) in self.facts.iter().enumerate() {
            let (sx, band) = (f.sex.index(), age_band(f.age as u32));
            pop[sx][band] += 1;
            if let (Some(u), Some(c)) = (f.upc(), f.coc()) {
                cp += 1;
                us += u;
                cs += c;
            }
            let lists = &self.list_bits[i * lw..(i + 1) * lw];
            for (wi, &word) in lists.iter().enumerate() {
                let mut word = word;
                while word != 0 {
                    let b = word.trailing_zeros() as usize;
                    word &= word - 1;
                    let li = wi * 64 + b;
                    counts[li] += 1;
                    strata[li][sx][band] += 1;
                }
            }
        }
        ClinicCounts {
            clinic: self.clinic,
            clinic_id: plan.ds.clinics.id.get(self.clinic as usize).to_string(),
            population: self.facts.len() as u32,
            counts,
            population_strata: pop,
            strata,
            continuity_patients: cp,
            upc_sum: us,
            coc_sum: cs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: i32) -> Day {
        Day::from_days_since_epoch(n)
    }

    #[test]
    fn episodes_bridge_gaps_up_to_the_limit() {
        // Coverage ends on day 100; the next starts 14 days later (day 114): one episode.
        let mut iv = vec![(d(0), d(100)), (d(114), d(200))];
        assert_eq!(episode_start(&mut iv, 14, d(200)), Some(d(0)));
        // 15 days later: a new episode starts on day 115.
        let mut iv = vec![(d(0), d(100)), (d(115), d(200))];
        assert_eq!(episode_start(&mut iv, 14, d(200)), Some(d(115)));
        // Ended before D: no episode covers D.
        let mut iv = vec![(d(0), d(100))];
        assert_eq!(episode_start(&mut iv, 14, d(200)), None);
    }

    #[test]
    fn top_cut_includes_ties() {
        // 100 patients, top 4 % → k = 4; the 4th highest is 6, and ties at 6 are in.
        let mut v: Vec<f64> = vec![0.0; 90];
        v.extend([12.0, 9.0, 7.0, 6.0, 6.0, 6.0, 2.0, 1.0, 1.0, 1.0]);
        assert_eq!(top_cut(&mut v, 100, 4.0), Some(6.0));
        assert_eq!(top_cut(&mut [], 0, 4.0), None);
        // 10 patients, 4 % → k = ceil(0.4) = 1.
        let mut v = vec![3.0, 5.0, 1.0];
        assert_eq!(top_cut(&mut v, 10, 4.0), Some(5.0));
    }
}
