//! Step 8: coverage — citizens without a list place, citizens in areas where every clinic is
//! closed for new patients, capacities per 1,000 weighted citizens, and owners with several
//! provider numbers (the law's limit of 6, PLO's proposed limit of 2) with the distance between
//! their clinics when the clinics have coordinates.

use crate::model::{Level, Model};
use almen_core::Day;
use almen_dataset::{ClinicType, Dataset, NONE};
use serde::Serialize;
use std::collections::BTreeMap;

/// The law of 2013: one doctor may own up to 6 provider numbers.
pub const LEGAL_LIMIT: usize = 6;
/// PLO's proposal: at most 2.
pub const PLO_LIMIT: usize = 2;

/// One area's coverage.
#[derive(Debug, Clone, Serialize)]
pub struct AreaCoverage {
    pub code: String,
    pub name: String,
    pub citizens: u64,
    pub without_list_place: u64,
    pub clinics: u32,
    pub open_clinics: u32,
    /// The area has clinics and every one is closed for new patients.
    pub all_closed: bool,
    pub weighted_citizens: f64,
    pub capacities: f64,
    /// Null for an area without weighted citizens.
    pub capacities_per_1000_weighted: Option<f64>,
}

/// An owner with several provider numbers (clinics).
#[derive(Debug, Clone, Serialize)]
pub struct OwnerClinics {
    pub owner: String,
    pub clinic_type: ClinicType,
    pub provider_numbers: u32,
    pub clinics: Vec<String>,
    /// Largest distance between two of the owner's clinics (km, great circle); null when a
    /// clinic has no coordinates.
    pub max_distance_km: Option<f64>,
}

/// Owners with several provider numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Owners {
    /// Owners of PLO clinics (doctors) with 2 or more provider numbers.
    pub doctors_with_several: u32,
    /// … with more than PLO's proposed limit of 2.
    pub doctors_above_plo_limit: u32,
    /// … with more than the legal limit of 6.
    pub doctors_above_legal_limit: u32,
    /// Region or tender owners with several clinics (the limits are for doctors).
    pub other_owners_with_several: u32,
    /// Clinics without an owner in the data.
    pub clinics_without_owner: u32,
    /// Whether every clinic of these owners has coordinates.
    pub distances_available: bool,
    pub note: String,
    /// Every owner with 2 or more clinics, most clinics first.
    pub list: Vec<OwnerClinics>,
}

/// The coverage figures.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub date: Day,
    pub level: Level,
    pub weights: String,
    pub citizens: u64,
    pub without_list_place: u64,
    /// Citizens living in an area that has clinics, all closed for new patients.
    pub in_areas_all_closed: u64,
    /// Citizens living in an area without any clinic.
    pub in_areas_without_clinics: u64,
    /// Nationally.
    pub capacities_per_1000_weighted: f64,
    pub areas: Vec<AreaCoverage>,
    pub owners: Owners,
}

/// Great-circle distance in km (haversine, Earth radius 6,371 km).
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// Coverage from the model and the dataset's clinics.
pub fn coverage(ds: &Dataset, model: &Model) -> Coverage {
    let areas: Vec<AreaCoverage> = model
        .areas
        .iter()
        .map(|a| AreaCoverage {
            code: a.code.clone(),
            name: a.name.clone(),
            citizens: a.citizens,
            without_list_place: a.without_list_place,
            clinics: a.clinics,
            open_clinics: a.open_clinics,
            all_closed: a.clinics > 0 && a.open_clinics == 0,
            weighted_citizens: a.weighted_citizens,
            capacities: a.capacities,
            capacities_per_1000_weighted: (a.weighted_citizens > 0.0)
                .then(|| a.capacities / a.weighted_citizens * 1000.0),
        })
        .collect();
    let in_areas_all_closed = areas
        .iter()
        .filter(|a| a.all_closed)
        .map(|a| a.citizens)
        .sum();
    let in_areas_without_clinics = areas
        .iter()
        .filter(|a| a.clinics == 0)
        .map(|a| a.citizens)
        .sum();

    // Owners.
    let cl = &ds.clinics;
    let mut by_owner: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    let mut without_owner = 0;
    for c in 0..cl.len() {
        if cl.owner[c] == NONE {
            without_owner += 1;
        } else {
            by_owner.entry(cl.owner[c]).or_default().push(c);
        }
    }
    let mut list = Vec::new();
    let mut distances_available = true;
    for (owner, clinics) in by_owner {
        if clinics.len() < 2 {
            continue;
        }
        let coords: Option<Vec<(f64, f64)>> =
            clinics.iter().map(|&c| cl.lat[c].zip(cl.lon[c])).collect();
        let max_distance_km = coords.map(|v| {
            let mut m: f64 = 0.0;
            for i in 0..v.len() {
                for j in i + 1..v.len() {
                    m = m.max(distance_km(v[i], v[j]));
                }
            }
            m
        });
        distances_available &= max_distance_km.is_some();
        // The owner's type: PLO when any of its clinics is a PLO clinic.
        let clinic_type = if clinics
            .iter()
            .any(|&c| cl.clinic_type[c] == ClinicType::Plo)
        {
            ClinicType::Plo
        } else {
            cl.clinic_type[clinics[0]]
        };
        list.push(OwnerClinics {
            owner: cl.owners.get(owner).to_string(),
            clinic_type,
            provider_numbers: clinics.len() as u32,
            clinics: clinics.iter().map(|&c| cl.id.get(c).to_string()).collect(),
            max_distance_km,
        });
    }
    list.sort_by(|a, b| {
        b.provider_numbers
            .cmp(&a.provider_numbers)
            .then(a.owner.cmp(&b.owner))
    });
    let doctors: Vec<&OwnerClinics> = list
        .iter()
        .filter(|o| o.clinic_type == ClinicType::Plo)
        .collect();
    let count = |min: usize| {
        doctors
            .iter()
            .filter(|o| o.provider_numbers as usize > min)
            .count() as u32
    };
    let note = if list.is_empty() {
        "no owner has several provider numbers".to_string()
    } else if distances_available {
        "distances are great-circle distances between the clinics' coordinates".to_string()
    } else {
        "distance needs coordinates: some clinics of these owners have no lat/lon, so their owners are counted without a distance".to_string()
    };
    let total_w: f64 = model.weighted_citizens;
    Coverage {
        date: model.date,
        level: model.level,
        weights: model.weights.clone(),
        citizens: model.citizens,
        without_list_place: areas.iter().map(|a| a.without_list_place).sum(),
        in_areas_all_closed,
        in_areas_without_clinics,
        capacities_per_1000_weighted: if total_w > 0.0 {
            model.capacities / total_w * 1000.0
        } else {
            0.0
        },
        areas,
        owners: Owners {
            doctors_with_several: count(1),
            doctors_above_plo_limit: count(PLO_LIMIT),
            doctors_above_legal_limit: count(LEGAL_LIMIT),
            other_owners_with_several: (list.len() - doctors.len()) as u32,
            clinics_without_owner: without_owner,
            distances_available,
            note,
            list,
        },
    }
}
