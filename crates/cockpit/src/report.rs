//! Reports: a clinic's members with reasons, prevalence with region and country comparison,
//! age/sex standardisation, and aggregation with small-number suppression.

use crate::engine::{ClinicCounts, ClinicEval, Plan, Strata};
use crate::explain::{Reason, fls_reasons, reasons};
use crate::fls::{FlsGroup, FlsGroupInfo, fls_groups};
use crate::lists::ListSet;
use almen_core::{AGE_BANDS, Day, Sex, mask_id};
use almen_dataset::Dataset;
use almen_reference::{Region, national_age_sex};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// The id under which [`members_report`] lists every patient with a DXA result.
pub const FLS_LIST_ID: &str = "fls";

/// Counts below this are suppressed in aggregates shown outside the clinic.
pub const SUPPRESS_BELOW: u32 = 5;

/// How standardised prevalences are computed (also in reports, for readers).
pub const STANDARDISATION: &str = "indirect: observed / expected x the dataset's prevalence directly standardised to the national population (Statistics Denmark, sex x 5-year age band, 1 January of the reference year); expected = the area's population by sex and age band x the dataset's rates";

/// A continuity summary: patients with at least 2 contacts and their mean UPC and COC.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Continuity {
    pub patients: u32,
    pub mean_upc: Option<f64>,
    pub mean_coc: Option<f64>,
}

impl Continuity {
    fn of(patients: u32, upc_sum: f64, coc_sum: f64) -> Continuity {
        let mean = |s: f64| (patients > 0).then(|| s / patients as f64);
        Continuity {
            patients,
            mean_upc: mean(upc_sum),
            mean_coc: mean(coc_sum),
        }
    }
    fn suppressed(self) -> Continuity {
        if self.patients < SUPPRESS_BELOW {
            Continuity {
                patients: self.patients,
                mean_upc: None,
                mean_coc: None,
            }
        } else {
            self
        }
    }
}

/// A patient on a list. `patient` is masked ([`mask_id`]); `patient_id` is present only when
/// the caller asked for identifiable output.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    /// Row of the patient in the dataset (for links to the patient's own page).
    #[serde(skip)]
    pub row: u32,
    pub patient: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_id: Option<String>,
    pub age: u16,
    pub sex: Sex,
    pub reasons: Vec<Reason>,
    /// FLS/DXA group from the latest DXA scan at or before D; null without a scan.
    pub fls_group: Option<FlsGroup>,
    /// Face-to-face contacts with the clinic in the 24 months up to D.
    pub contacts: u32,
    /// Null with fewer than 2 contacts.
    pub upc: Option<f64>,
    pub coc: Option<f64>,
}

fn member(plan: &Plan, ev: &ClinicEval, i: usize, reasons: Vec<Reason>, show_ids: bool) -> Member {
    let f = &ev.facts[i];
    let id = plan.ds.patients.id.get(f.row as usize);
    Member {
        row: f.row,
        patient: mask_id(id),
        patient_id: show_ids.then(|| id.to_string()),
        age: f.age,
        sex: f.sex,
        reasons,
        fls_group: f.fls,
        contacts: f.contacts,
        upc: f.upc(),
        coc: f.coc(),
    }
}

/// One list of a clinic with its members.
#[derive(Debug, Clone, Serialize)]
pub struct ListMembers {
    pub id: String,
    pub name_da: String,
    pub name_en: String,
    pub count: u32,
    pub members: Vec<Member>,
}

/// Every list of one clinic with members and reasons: the clinic's own view.
#[derive(Debug, Clone, Serialize)]
pub struct ClinicLists {
    /// Row of the clinic in the dataset.
    #[serde(skip)]
    pub clinic: u32,
    pub clinic_id: String,
    pub clinic_name: String,
    pub date: Day,
    pub population: u32,
    pub continuity: Continuity,
    pub lists: Vec<ListMembers>,
}

/// Evaluates every list for one clinic at `date`, with members and reasons (masked ids).
pub fn evaluate_clinic(ds: &Dataset, lists: &ListSet, clinic: u32, date: Day) -> ClinicLists {
    let plan = Plan::new(ds, lists, date, Some(clinic));
    let ev = plan.clinic(clinic);
    let counts = ev.counts(&plan);
    let mut out = Vec::with_capacity(lists.len());
    for (li, def) in lists.lists().iter().enumerate() {
        let members: Vec<Member> = (0..ev.facts.len())
            .filter(|&i| ev.in_list(i, li, plan.list_words))
            .map(|i| member(&plan, &ev, i, reasons(&plan, &ev, i, li), false))
            .collect();
        out.push(ListMembers {
            id: def.id.clone(),
            name_da: def.name_da.clone(),
            name_en: def.name_en.clone(),
            count: members.len() as u32,
            members,
        });
    }
    ClinicLists {
        clinic,
        clinic_id: ds.clinics.id.get(clinic as usize).to_string(),
        clinic_name: ds.clinics.name.get(clinic as usize).to_string(),
        date,
        population: counts.population,
        continuity: Continuity::of(counts.continuity_patients, counts.upc_sum, counts.coc_sum),
        lists: out,
    }
}

/// Counts for every clinic of the dataset (in clinic row order), evaluated in parallel.
pub fn evaluate_all(ds: &Dataset, lists: &ListSet, date: Day) -> Vec<ClinicCounts> {
    let plan = Plan::new(ds, lists, date, None);
    (0..ds.clinics.len() as u32)
        .into_par_iter()
        .map(|c| plan.clinic(c).counts(&plan))
        .collect()
}

/// Why a members report could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MembersError {
    UnknownList { id: String, known: Vec<String> },
    UnknownClinic(u32),
}

impl fmt::Display for MembersError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MembersError::UnknownList { id, known } => {
                write!(f, "unknown list '{id}' (known: {})", known.join(", "))
            }
            MembersError::UnknownClinic(c) => write!(f, "no clinic at row {c}"),
        }
    }
}

impl std::error::Error for MembersError {}

/// The members of one list of one clinic.
#[derive(Debug, Clone, Serialize)]
pub struct MembersReport {
    pub list: String,
    pub name_da: String,
    pub name_en: String,
    pub clinic_id: String,
    pub date: Day,
    pub count: u32,
    pub population: u32,
    /// The FLS groups with their letters, for the osteoporosis and FLS lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fls_groups: Option<Vec<FlsGroupInfo>>,
    pub members: Vec<Member>,
}

/// The members of `list_id` in `clinic` at `date`. `list_id` [`FLS_LIST_ID`] lists every
/// patient with a DXA result and their FLS group. Ids are masked unless `show_ids`.
pub fn members_report(
    ds: &Dataset,
    lists: &ListSet,
    clinic: u32,
    list_id: &str,
    date: Day,
    show_ids: bool,
) -> Result<MembersReport, MembersError> {
    if clinic as usize >= ds.clinics.len() {
        return Err(MembersError::UnknownClinic(clinic));
    }
    let index = lists.index_of(list_id);
    if index.is_none() && list_id != FLS_LIST_ID {
        let mut known: Vec<String> = lists.ids().iter().map(|s| s.to_string()).collect();
        known.push(FLS_LIST_ID.to_string());
        return Err(MembersError::UnknownList {
            id: list_id.to_string(),
            known,
        });
    }
    let plan = Plan::new(ds, lists, date, Some(clinic));
    let ev = plan.clinic(clinic);
    let (name_da, name_en, members): (String, String, Vec<Member>) = match index {
        Some(li) => {
            let def = lists.list(li);
            let m = (0..ev.facts.len())
                .filter(|&i| ev.in_list(i, li, plan.list_words))
                .map(|i| member(&plan, &ev, i, reasons(&plan, &ev, i, li), show_ids))
                .collect();
            (def.name_da.clone(), def.name_en.clone(), m)
        }
        None => {
            let m = (0..ev.facts.len())
                .filter(|&i| ev.facts[i].fls.is_some())
                .map(|i| member(&plan, &ev, i, fls_reasons(&plan, &ev.facts[i]), show_ids))
                .collect();
            ("FLS/DXA-gruppe".to_string(), "FLS/DXA group".to_string(), m)
        }
    };
    let with_fls = list_id == FLS_LIST_ID || list_id == "osteoporosis";
    Ok(MembersReport {
        list: list_id.to_string(),
        name_da,
        name_en,
        clinic_id: ds.clinics.id.get(clinic as usize).to_string(),
        date,
        count: members.len() as u32,
        population: ev.facts.len() as u32,
        fls_groups: with_fls.then(fls_groups),
        members,
    })
}

// ---------------------------------------------------------------------------------------------
// Prevalence and standardisation

/// Summed counts of a set of clinics.
#[derive(Debug, Clone)]
struct Totals {
    clinics: u32,
    population: u32,
    population_strata: Strata,
    counts: Vec<u32>,
    continuity_patients: u32,
    upc_sum: f64,
    coc_sum: f64,
}

impl Totals {
    fn new(n_lists: usize) -> Totals {
        Totals {
            clinics: 0,
            population: 0,
            population_strata: [[0; AGE_BANDS]; 2],
            counts: vec![0; n_lists],
            continuity_patients: 0,
            upc_sum: 0.0,
            coc_sum: 0.0,
        }
    }
    fn add(&mut self, c: &ClinicCounts) {
        self.clinics += 1;
        self.population += c.population;
        for s in 0..2 {
            for b in 0..AGE_BANDS {
                self.population_strata[s][b] += c.population_strata[s][b];
            }
        }
        for (t, x) in self.counts.iter_mut().zip(&c.counts) {
            *t += x;
        }
        self.continuity_patients += c.continuity_patients;
        self.upc_sum += c.upc_sum;
        self.coc_sum += c.coc_sum;
    }
    fn prevalence(&self, l: usize) -> Option<f64> {
        (self.population > 0).then(|| self.counts[l] as f64 / self.population as f64)
    }
    fn continuity(&self) -> Continuity {
        Continuity::of(self.continuity_patients, self.upc_sum, self.coc_sum)
    }
}

/// The dataset's rates by sex and age band, and its prevalence directly standardised to the
/// national population.
struct Standard {
    rates: Vec<[[f64; AGE_BANDS]; 2]>,
    direct: Vec<Option<f64>>,
}

impl Standard {
    fn new(counts: &[ClinicCounts], n_lists: usize, date: Day) -> Standard {
        let mut pop = [[0u64; AGE_BANDS]; 2];
        let mut cases = vec![[[0u64; AGE_BANDS]; 2]; n_lists];
        for c in counts {
            for s in 0..2 {
                for b in 0..AGE_BANDS {
                    pop[s][b] += c.population_strata[s][b] as u64;
                    for l in 0..n_lists {
                        cases[l][s][b] += c.strata[l][s][b] as u64;
                    }
                }
            }
        }
        let year = date.year().clamp(1990, 2025);
        let national = national_age_sex(year).unwrap_or([[1; AGE_BANDS]; 2]);
        let mut rates = vec![[[f64::NAN; AGE_BANDS]; 2]; n_lists];
        let mut direct = vec![None; n_lists];
        for l in 0..n_lists {
            let (mut num, mut den) = (0.0, 0.0);
            for s in 0..2 {
                for b in 0..AGE_BANDS {
                    if pop[s][b] > 0 {
                        let r = cases[l][s][b] as f64 / pop[s][b] as f64;
                        rates[l][s][b] = r;
                        num += national[s][b] as f64 * r;
                        den += national[s][b] as f64;
                    }
                }
            }
            direct[l] = (den > 0.0).then(|| num / den);
        }
        Standard { rates, direct }
    }

    /// Indirectly standardised prevalence of an area: observed / expected × the dataset's
    /// directly standardised prevalence. `None` when nothing is expected.
    fn indirect(&self, l: usize, pop: &Strata, observed: u32) -> Option<f64> {
        let mut expected = 0.0;
        for s in 0..2 {
            for b in 0..AGE_BANDS {
                let r = self.rates[l][s][b];
                if pop[s][b] > 0 && !r.is_nan() {
                    expected += pop[s][b] as f64 * r;
                }
            }
        }
        let direct = self.direct[l]?;
        (expected > 0.0).then(|| observed as f64 / expected * direct)
    }
}

/// One list's figures in a [`ListsReport`]. Prevalences are fractions (0.05 = 5 %).
#[derive(Debug, Clone, Serialize)]
pub struct ListFigures {
    pub id: String,
    pub name_da: String,
    pub name_en: String,
    pub count: u32,
    pub population: u32,
    pub prevalence: Option<f64>,
    /// Over the dataset's clinics in the clinic's region (null for the whole dataset).
    pub region_prevalence: Option<f64>,
    /// Over all the dataset's clinics.
    pub country_prevalence: Option<f64>,
    /// Age/sex standardised ([`STANDARDISATION`]).
    pub standardised_prevalence: Option<f64>,
    pub region_standardised: Option<f64>,
    pub country_standardised: Option<f64>,
}

/// Prevalence of every list for a clinic (or the whole dataset) with region and country
/// comparison. This is the clinic's own view; [`aggregate`] is the view from outside.
#[derive(Debug, Clone, Serialize)]
pub struct ListsReport {
    /// Null for the whole dataset.
    pub clinic_id: Option<String>,
    pub clinic_name: Option<String>,
    /// The clinic's region (Danish name).
    pub region: Option<&'static str>,
    pub date: Day,
    pub population: u32,
    pub standardisation: &'static str,
    pub continuity: Continuity,
    pub region_continuity: Option<Continuity>,
    pub country_continuity: Continuity,
    pub lists: Vec<ListFigures>,
}

fn region_of(ds: &Dataset, clinic: u32) -> Region {
    ds.clinics.kommune[clinic as usize].info().region
}

/// [`lists_report_from`] after evaluating every clinic.
pub fn lists_report(ds: &Dataset, lists: &ListSet, clinic: Option<u32>, date: Day) -> ListsReport {
    let counts = evaluate_all(ds, lists, date);
    lists_report_from(ds, lists, &counts, clinic, date)
}

/// Builds the lists report from counts already computed by [`evaluate_all`] (for the same
/// dataset, lists and date), so a server can evaluate once and report many times.
pub fn lists_report_from(
    ds: &Dataset,
    lists: &ListSet,
    counts: &[ClinicCounts],
    clinic: Option<u32>,
    date: Day,
) -> ListsReport {
    let n = lists.len();
    let std = Standard::new(counts, n, date);
    let mut country = Totals::new(n);
    for c in counts {
        country.add(c);
    }
    let (own, region) = match clinic {
        Some(c) => {
            let r = region_of(ds, c);
            let mut own = Totals::new(n);
            let mut reg = Totals::new(n);
            for x in counts {
                if x.clinic == c {
                    own.add(x);
                }
                if region_of(ds, x.clinic) == r {
                    reg.add(x);
                }
            }
            (own, Some((r, reg)))
        }
        None => (country.clone(), None),
    };
    let figures = lists
        .lists()
        .iter()
        .enumerate()
        .map(|(l, def)| ListFigures {
            id: def.id.clone(),
            name_da: def.name_da.clone(),
            name_en: def.name_en.clone(),
            count: own.counts[l],
            population: own.population,
            prevalence: own.prevalence(l),
            region_prevalence: region.as_ref().and_then(|(_, r)| r.prevalence(l)),
            country_prevalence: country.prevalence(l),
            standardised_prevalence: std.indirect(l, &own.population_strata, own.counts[l]),
            region_standardised: region
                .as_ref()
                .and_then(|(_, r)| std.indirect(l, &r.population_strata, r.counts[l])),
            country_standardised: std.direct[l],
        })
        .collect();
    ListsReport {
        clinic_id: clinic.map(|c| ds.clinics.id.get(c as usize).to_string()),
        clinic_name: clinic.map(|c| ds.clinics.name.get(c as usize).to_string()),
        region: region.as_ref().map(|(r, _)| r.name_da()),
        date,
        population: own.population,
        standardisation: STANDARDISATION,
        continuity: own.continuity(),
        region_continuity: region.as_ref().map(|(_, r)| r.continuity()),
        country_continuity: country.continuity(),
        lists: figures,
    }
}

// ---------------------------------------------------------------------------------------------
// Aggregation

/// Clinic row → quality cluster (klynge) name.
pub type ClusterMap = HashMap<u32, String>;

/// Builds a [`ClusterMap`] from `(clinic_id, cluster)` pairs, or names the first unknown
/// clinic id.
pub fn cluster_map<'a>(
    ds: &Dataset,
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<ClusterMap, String> {
    let mut map = ClusterMap::new();
    for (clinic, cluster) in pairs {
        let row = ds
            .clinic_row(clinic)
            .ok_or_else(|| format!("unknown clinic id {clinic:?} in the cluster map"))?;
        map.insert(row, cluster.to_string());
    }
    Ok(map)
}

/// The level to aggregate clinics to. Clinics are placed by the clinic's own kommune.
#[derive(Debug, Clone, Copy)]
pub enum Level<'a> {
    Clinic,
    /// Clinics not in the map are left out.
    Cluster(&'a ClusterMap),
    Kommune,
    HealthCouncil,
    Region,
    Country,
}

impl Level<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            Level::Clinic => "clinic",
            Level::Cluster(_) => "cluster",
            Level::Kommune => "kommune",
            Level::HealthCouncil => "health_council",
            Level::Region => "region",
            Level::Country => "country",
        }
    }
}

/// One list's figures in an area. Counts under [`SUPPRESS_BELOW`] are null with
/// `suppressed: true`, and so are the prevalences computed from them.
#[derive(Debug, Clone, Serialize)]
pub struct AreaListFigures {
    pub id: String,
    pub name_da: String,
    pub name_en: String,
    pub count: Option<u32>,
    pub suppressed: bool,
    pub prevalence: Option<f64>,
    pub standardised_prevalence: Option<f64>,
}

/// Every list for one area: the view from outside the clinics.
#[derive(Debug, Clone, Serialize)]
pub struct AreaLists {
    pub level: &'static str,
    pub area_id: String,
    pub area_name: String,
    pub date: Day,
    pub clinics: u32,
    pub population: u32,
    /// Means are null when fewer than 5 patients have an index.
    pub continuity: Continuity,
    pub lists: Vec<AreaListFigures>,
}

/// Every list aggregated to `level`, with small counts suppressed.
pub fn aggregate(ds: &Dataset, lists: &ListSet, date: Day, level: Level) -> Vec<AreaLists> {
    let counts = evaluate_all(ds, lists, date);
    aggregate_from(ds, lists, &counts, date, level)
}

/// [`aggregate`] from counts already computed by [`evaluate_all`].
pub fn aggregate_from(
    ds: &Dataset,
    lists: &ListSet,
    counts: &[ClinicCounts],
    date: Day,
    level: Level,
) -> Vec<AreaLists> {
    let n = lists.len();
    let std = Standard::new(counts, n, date);
    // (sort key, id, name) → totals, in a stable order.
    let mut areas: BTreeMap<(u32, String), (String, Totals)> = BTreeMap::new();
    for c in counts {
        let k = ds.clinics.kommune[c.clinic as usize];
        let key: Option<(u32, String, String)> = match level {
            Level::Clinic => Some((
                c.clinic,
                c.clinic_id.clone(),
                ds.clinics.name.get(c.clinic as usize).to_string(),
            )),
            Level::Cluster(map) => map
                .get(&c.clinic)
                .map(|name| (0, name.clone(), name.clone())),
            Level::Kommune => Some((k.get() as u32, k.get().to_string(), k.info().name.clone())),
            Level::HealthCouncil => {
                let hc = k.info().health_council();
                Some((hc.id.0 as u32, hc.id.0.to_string(), hc.name.clone()))
            }
            Level::Region => {
                let r = k.info().region;
                Some((
                    r.code() as u32,
                    r.slug().to_string(),
                    r.name_da().to_string(),
                ))
            }
            Level::Country => Some((0, "DK".to_string(), "Danmark".to_string())),
        };
        if let Some((order, id, name)) = key {
            areas
                .entry((order, id))
                .or_insert_with(|| (name, Totals::new(n)))
                .1
                .add(c);
        }
    }
    areas
        .into_iter()
        .map(|((_, id), (name, t))| AreaLists {
            level: level.name(),
            area_id: id,
            area_name: name,
            date,
            clinics: t.clinics,
            population: t.population,
            continuity: t.continuity().suppressed(),
            lists: lists
                .lists()
                .iter()
                .enumerate()
                .map(|(l, def)| {
                    let count = t.counts[l];
                    let suppressed = count < SUPPRESS_BELOW;
                    AreaListFigures {
                        id: def.id.clone(),
                        name_da: def.name_da.clone(),
                        name_en: def.name_en.clone(),
                        count: (!suppressed).then_some(count),
                        suppressed,
                        prevalence: if suppressed { None } else { t.prevalence(l) },
                        standardised_prevalence: if suppressed {
                            None
                        } else {
                            std.indirect(l, &t.population_strata, count)
                        },
                    }
                })
                .collect(),
        })
        .collect()
}
