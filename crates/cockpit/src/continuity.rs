//! Continuity of care: the usual provider of care index (UPC) and the Bice-Boxerman
//! continuity of care index (COC) from a patient's face-to-face contacts.
//!
//! A contact is one (date, doctor) of the patient's own clinic with a face-to-face service
//! code and a positive net quantity (a correction card's negative line cancels the original).
//! With `n_i` contacts with doctor `i` and `N = Σ n_i`:
//! `UPC = max n_i / N` and `COC = (Σ n_i² − N) / (N (N − 1))`, both defined for `N >= 2`.

use almen_core::Day;

/// Months of contacts before the reference date that the indices count.
pub const WINDOW_MONTHS: u32 = 24;

/// The indices of one patient.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContinuityIndex {
    /// Number of contacts, N.
    pub contacts: u32,
    /// `None` when N < 2.
    pub upc: Option<f64>,
    /// `None` when N < 2.
    pub coc: Option<f64>,
}

/// Computes the indices from claim lines `(date, doctor, quantity)` that already passed the
/// clinic, service and window filters. `lines` is sorted in place; `doctors` is scratch.
pub fn continuity_index(lines: &mut [(Day, u32, i32)], doctors: &mut Vec<u32>) -> ContinuityIndex {
    lines.sort_unstable_by_key(|&(d, doc, _)| (d, doc));
    doctors.clear();
    let mut i = 0;
    while i < lines.len() {
        let (d, doc, _) = lines[i];
        let mut net = 0i64;
        while i < lines.len() && lines[i].0 == d && lines[i].1 == doc {
            net += lines[i].2 as i64;
            i += 1;
        }
        if net > 0 {
            doctors.push(doc);
        }
    }
    let n = doctors.len() as u64;
    if n < 2 {
        return ContinuityIndex {
            contacts: n as u32,
            upc: None,
            coc: None,
        };
    }
    doctors.sort_unstable();
    let (mut max, mut sum_sq) = (0u64, 0u64);
    let mut j = 0;
    while j < doctors.len() {
        let k = doctors[j..]
            .iter()
            .take_while(|&&x| x == doctors[j])
            .count() as u64;
        max = max.max(k);
        sum_sq += k * k;
        j += k as usize;
    }
    ContinuityIndex {
        contacts: n as u32,
        upc: Some(max as f64 / n as f64),
        coc: Some((sum_sq - n) as f64 / (n * (n - 1)) as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: i32) -> Day {
        Day::from_days_since_epoch(20_000 + n)
    }

    #[test]
    fn hand_computed_example() {
        // Doctor 1: 3 contacts, doctor 2: 1, doctor 3: 1 → N = 5.
        // UPC = 3/5 = 0.6; COC = (9 + 1 + 1 − 5) / (5 · 4) = 6/20 = 0.3.
        let mut lines = vec![
            (d(1), 1, 1),
            (d(2), 1, 1),
            (d(3), 1, 1),
            (d(4), 2, 1),
            (d(5), 3, 1),
            // Two lines on the same day with the same doctor are one contact.
            (d(5), 3, 1),
        ];
        let r = continuity_index(&mut lines, &mut Vec::new());
        assert_eq!(r.contacts, 5);
        assert_eq!(r.upc, Some(0.6));
        assert!((r.coc.unwrap() - 0.3).abs() < 1e-12);
    }

    #[test]
    fn corrections_cancel_and_one_contact_has_no_index() {
        let mut lines = vec![(d(1), 1, 1), (d(2), 2, 1), (d(2), 2, -1)];
        let r = continuity_index(&mut lines, &mut Vec::new());
        assert_eq!(
            r,
            ContinuityIndex {
                contacts: 1,
                upc: None,
                coc: None
            }
        );
    }

    #[test]
    fn one_doctor_is_perfect_continuity() {
        let mut lines = vec![(d(1), 7, 1), (d(9), 7, 2)];
        let r = continuity_index(&mut lines, &mut Vec::new());
        assert_eq!((r.upc, r.coc), (Some(1.0), Some(1.0)));
    }
}
