use crate::ParseError;
use crate::day::Day;
use std::fmt;

/// A CPR number (Danish personal identification number): `DDMMYY-SSSS` or ten digits.
/// Only the date part is checked: since 2007 numbers are issued without the modulus-11 check.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Cpr([u8; 10]);

impl Cpr {
    pub fn parse(s: &str) -> Result<Cpr, ParseError> {
        let digits: Vec<u8> = s.bytes().filter(|b| *b != b'-').collect();
        if digits.len() != 10 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(ParseError::new(
                "a CPR number has ten digits, DDMMYY-SSSS",
                s,
            ));
        }
        let d = |i: usize| (digits[i] - b'0') as u32;
        let (day, month, yy) = (d(0) * 10 + d(1), d(2) * 10 + d(3), d(4) * 10 + d(5));
        // The century rule of the CPR office (the 7th digit and the two-digit year).
        let c7 = d(6);
        let century = match (c7, yy) {
            (0..=3, _) => 1900,
            (4 | 9, 0..=36) => 2000,
            (4 | 9, _) => 1900,
            (5..=8, 0..=57) => 2000,
            (5..=8, _) => 1800,
            _ => 1900,
        };
        if Day::from_ymd((century + yy) as i32, month, day).is_none() {
            return Err(ParseError::new(
                "the date part of the CPR number is not a date",
                s,
            ));
        }
        let mut out = [0u8; 10];
        out.copy_from_slice(&digits);
        Ok(Cpr(out))
    }

    /// `DDMMYY-XXXX`: the form shown anywhere but the patient's own page.
    pub fn masked(&self) -> String {
        let s = std::str::from_utf8(&self.0).unwrap_or("??????????");
        format!("{}-XXXX", &s[..6])
    }

    /// The full number, for the patient's own page only.
    pub fn full(&self) -> String {
        let s = std::str::from_utf8(&self.0).unwrap_or("??????????");
        format!("{}-{}", &s[..6], &s[6..])
    }
}

impl fmt::Debug for Cpr {
    /// Debug output never shows a full CPR number: logs and panics end up in places a patient
    /// page does not.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cpr({})", self.masked())
    }
}

/// Masks any patient id for display outside the patient's own page. CPR numbers keep their
/// birth date; other ids keep their first two characters, enough to tell rows apart in a
/// short list but not to identify anyone.
pub fn mask_id(id: &str) -> String {
    match Cpr::parse(id) {
        Ok(cpr) => cpr.masked(),
        Err(_) => {
            let keep: String = id.chars().take(2).collect();
            format!("{keep}…{:04x}", short_hash(id))
        }
    }
}

/// A short stable hash so masked ids stay distinct in one listing (FNV-1a, 16 bits).
fn short_hash(s: &str) -> u16 {
    let mut h: u32 = 0x811c9dc5;
    for b in s.bytes() {
        h ^= b as u32;
        h = h.wrapping_mul(0x01000193);
    }
    (h ^ (h >> 16)) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_masks() {
        let c = Cpr::parse("010190-1234").unwrap();
        assert_eq!(c.masked(), "010190-XXXX");
        assert_eq!(c.full(), "010190-1234");
        assert_eq!(format!("{c:?}"), "Cpr(010190-XXXX)");
        assert!(Cpr::parse("320190-1234").is_err());
        assert!(Cpr::parse("01019012").is_err());
    }

    #[test]
    fn masks_other_ids() {
        let m = mask_id("P000123");
        assert!(m.starts_with("P0…"));
        assert!(!m.contains("123"));
        assert_eq!(mask_id("0101901234"), "010190-XXXX");
    }
}
