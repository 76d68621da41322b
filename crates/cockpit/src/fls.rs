//! FLS/DXA grouping: the fracture liaison service's four groups from the latest DXA scan,
//! and the letter each group gets (DOMAIN.md §4).

use crate::codes::{CodeSet, System};
use serde::{Serialize, Serializer};

/// The observation code of a DXA result: the lowest T-score of the scan.
pub const DXA_CODE: &str = "DXA_TSCORE";

/// T-score at or below which bone density is osteoporotic.
pub const OSTEOPOROSIS_T: f64 = -2.5;
/// T-score at or below which bone density is osteopenic (and above [`OSTEOPOROSIS_T`]).
pub const OSTEOPENIA_T: f64 = -1.0;
/// T-score at or below which osteoporosis is severe without a fracture.
pub const SEVERE_T: f64 = -3.5;

/// The four FLS/DXA groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlsGroup {
    /// Normal bone density: T > -1.0.
    G1,
    /// Osteopenia: -2.5 < T <= -1.0.
    G2a,
    /// Uncomplicated osteoporosis: T <= -2.5 (not severe).
    G2b,
    /// Severe osteoporosis: T <= -3.5, or T <= -2.5 with a fragility fracture of hip or spine
    /// recorded on or before the scan's date.
    G3,
}

impl FlsGroup {
    pub const ALL: [FlsGroup; 4] = [FlsGroup::G1, FlsGroup::G2a, FlsGroup::G2b, FlsGroup::G3];

    /// The group of a T-score, given whether a fragility fracture preceded the scan.
    pub fn of(t_score: f64, fracture_before_scan: bool) -> FlsGroup {
        if t_score <= SEVERE_T || (t_score <= OSTEOPOROSIS_T && fracture_before_scan) {
            FlsGroup::G3
        } else if t_score <= OSTEOPOROSIS_T {
            FlsGroup::G2b
        } else if t_score <= OSTEOPENIA_T {
            FlsGroup::G2a
        } else {
            FlsGroup::G1
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            FlsGroup::G1 => "1",
            FlsGroup::G2a => "2a",
            FlsGroup::G2b => "2b",
            FlsGroup::G3 => "3",
        }
    }
    pub fn parse(s: &str) -> Option<FlsGroup> {
        FlsGroup::ALL.into_iter().find(|g| g.as_str() == s)
    }
    pub(crate) fn index(self) -> usize {
        self as usize
    }
    pub fn name_da(self) -> &'static str {
        match self {
            FlsGroup::G1 => "Normal knogletæthed",
            FlsGroup::G2a => "Osteopeni",
            FlsGroup::G2b => "Ukompliceret osteoporose",
            FlsGroup::G3 => "Svær osteoporose",
        }
    }
    pub fn name_en(self) -> &'static str {
        match self {
            FlsGroup::G1 => "Normal bone density",
            FlsGroup::G2a => "Osteopenia",
            FlsGroup::G2b => "Uncomplicated osteoporosis",
            FlsGroup::G3 => "Severe osteoporosis",
        }
    }
    /// The letter the patient gets after the scan, in Danish.
    pub fn letter_da(self) -> &'static str {
        match self {
            FlsGroup::G1 => {
                "Din knogleskanning viser normal knogletæthed. Du er rask og skal ikke gøre mere."
            }
            FlsGroup::G2a => {
                "Din knogleskanning viser let nedsat knogletæthed (osteopeni). Bestil tid hos din egen læge, som aftaler en ny knogleskanning med dig om 2-10 år."
            }
            FlsGroup::G2b => {
                "Din knogleskanning viser knogleskørhed (osteoporose). Bestil tid hos din egen læge til den første årlige kontrol; din læge informerer dig og står for behandlingen."
            }
            FlsGroup::G3 => {
                "Din knogleskanning viser svær knogleskørhed (osteoporose). Du bliver indkaldt til et hospitalsambulatorium."
            }
        }
    }
    /// The letter the patient gets after the scan, in English.
    pub fn letter_en(self) -> &'static str {
        match self {
            FlsGroup::G1 => {
                "Your bone scan shows normal bone density. You are healthy and need do nothing more."
            }
            FlsGroup::G2a => {
                "Your bone scan shows slightly reduced bone density (osteopenia). Book an appointment with your own GP, who will plan a new bone scan with you in 2-10 years."
            }
            FlsGroup::G2b => {
                "Your bone scan shows osteoporosis. Book your first yearly check-up with your own GP, who will inform you and handle the treatment."
            }
            FlsGroup::G3 => {
                "Your bone scan shows severe osteoporosis. You will be called in to a hospital outpatient clinic."
            }
        }
    }
}

impl Serialize for FlsGroup {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A group with its names and letters, for legends and letter templates.
#[derive(Debug, Clone, Serialize)]
pub struct FlsGroupInfo {
    pub group: FlsGroup,
    pub name_da: &'static str,
    pub name_en: &'static str,
    pub letter_da: &'static str,
    pub letter_en: &'static str,
}

/// All four groups with names and letters.
pub fn fls_groups() -> Vec<FlsGroupInfo> {
    FlsGroup::ALL
        .iter()
        .map(|&g| FlsGroupInfo {
            group: g,
            name_da: g.name_da(),
            name_en: g.name_en(),
            letter_da: g.letter_da(),
            letter_en: g.letter_en(),
        })
        .collect()
}

/// Fragility fractures of hip or spine that make a T-score <= -2.5 severe: ICPC-2 L75
/// (fracture of femur); ICD-10 S72.0-S72.2 (femoral neck, pertrochanteric, subtrochanteric),
/// S22.0 (thoracic vertebra), S32.0 (lumbar vertebra), M48.5 (collapsed vertebra).
pub(crate) fn fracture_codes() -> [CodeSet; 2] {
    [
        CodeSet::of(System::Icpc2, &["L75"], &[]),
        CodeSet::of(
            System::Icd10,
            &["DS720-DS722", "DS220", "DS320", "DM485"],
            &[],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_boundaries() {
        assert_eq!(FlsGroup::of(-0.9, false), FlsGroup::G1);
        assert_eq!(FlsGroup::of(-1.0, false), FlsGroup::G2a);
        assert_eq!(FlsGroup::of(-2.4, true), FlsGroup::G2a);
        assert_eq!(FlsGroup::of(-2.5, false), FlsGroup::G2b);
        assert_eq!(FlsGroup::of(-2.5, true), FlsGroup::G3);
        assert_eq!(FlsGroup::of(-3.4, false), FlsGroup::G2b);
        assert_eq!(FlsGroup::of(-3.5, false), FlsGroup::G3);
    }

    #[test]
    fn fracture_codes_cover_hip_and_spine() {
        let [icpc, icd] = fracture_codes();
        assert!(icpc.matches("L75"));
        for c in ["DS720", "DS7211", "DS722", "DS220", "DS320", "DM485"] {
            assert!(icd.matches(c), "{c}");
        }
        assert!(!icd.matches("DS723") && !icd.matches("DS221"));
    }
}
