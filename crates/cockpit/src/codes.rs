//! Code sets: ATC, ICPC-2 and ICD-10 (SKS) codes matched by prefix, with ranges and exceptions.
//!
//! A code set is a list of prefixes to include and a list to exclude. A code is in the set when
//! some include prefix is a prefix of it and no except prefix is. Ranges such as `DF00-DF03`
//! are expanded into their prefixes when a list file is read, so matching a code is a handful
//! of hash look-ups (one per prefix length) and each distinct code is classified once.

/// Which code system a code belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum System {
    Atc,
    Icpc2,
    Icd10,
}

impl System {
    pub(crate) fn name(self) -> &'static str {
        match self {
            System::Atc => "ATC",
            System::Icpc2 => "ICPC-2",
            System::Icd10 => "ICD-10",
        }
    }
}

/// Prefixes to include and to exclude, upper case, without dots.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CodeSet {
    pub include: Vec<String>,
    pub except: Vec<String>,
}

impl CodeSet {
    pub(crate) fn is_empty(&self) -> bool {
        self.include.is_empty()
    }

    /// Builds a set from written codes (used for the built-in FLS fracture codes).
    pub(crate) fn of(system: System, include: &[&str], except: &[&str]) -> CodeSet {
        let mut set = CodeSet::default();
        for c in include {
            set.include
                .extend(expand(system, c).expect("built-in code is valid"));
        }
        for c in except {
            set.except
                .extend(expand(system, c).expect("built-in code is valid"));
        }
        set
    }

    /// Direct match, for the few places that test one code at a time.
    pub(crate) fn matches(&self, code: &str) -> bool {
        let hit = |ps: &[String]| ps.iter().any(|p| code.starts_with(p.as_str()));
        hit(&self.include) && !hit(&self.except)
    }
}

/// The most prefixes one range may expand to.
const MAX_RANGE: usize = 1000;

/// Normalises a written code: upper case, dots removed.
fn normalise_written(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '.')
        .flat_map(char::to_uppercase)
        .collect()
}

/// Normalises a code found in a dataset so that it compares with the written prefixes:
/// upper case, no dots, and plain ICD-10 (`I48`) given the SKS `D` prefix (`DI48`).
pub(crate) fn normalise_data(system: System, s: &str) -> String {
    let mut c: String = s
        .trim()
        .chars()
        .filter(|c| *c != '.')
        .flat_map(char::to_uppercase)
        .collect();
    if system == System::Icd10 {
        let b = c.as_bytes();
        // SKS codes are D + letter + digits; a letter followed by a digit is plain ICD-10.
        if b.len() >= 2 && b[0].is_ascii_uppercase() && b[1].is_ascii_digit() {
            c.insert(0, 'D');
        }
    }
    c
}

/// Checks one written code (or range) and returns the prefixes it stands for.
pub(crate) fn expand(system: System, written: &str) -> Result<Vec<String>, String> {
    if let Some((lo, hi)) = written.split_once('-') {
        let lo = normalise_written(lo);
        let hi = normalise_written(hi);
        check(system, &lo)?;
        check(system, &hi)?;
        if lo.len() != hi.len() {
            return Err(format!(
                "the two ends of the range {written} must have the same length"
            ));
        }
        if lo > hi {
            return Err(format!("the range {written} runs backwards"));
        }
        return range(&lo, &hi).ok_or_else(|| {
            format!(
                "the range {written} covers more than {MAX_RANGE} codes; split it or use a shorter prefix"
            )
        });
    }
    let code = normalise_written(written);
    check(system, &code)?;
    Ok(vec![code])
}

/// Every string of the same length from `lo` to `hi` over 0-9A-Z (ASCII order equals base-36
/// order here), or `None` when there are too many.
fn range(lo: &str, hi: &str) -> Option<Vec<String>> {
    let digit = |c: u8| -> u32 {
        if c.is_ascii_digit() {
            (c - b'0') as u32
        } else {
            (c - b'A') as u32 + 10
        }
    };
    let to_char = |d: u32| -> char {
        if d < 10 {
            (b'0' + d as u8) as char
        } else {
            (b'A' + (d - 10) as u8) as char
        }
    };
    // The common prefix stays; the rest counts in base 36.
    let common = lo
        .bytes()
        .zip(hi.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let tail_lo = &lo.as_bytes()[common..];
    let tail_hi = &hi.as_bytes()[common..];
    if tail_lo.len() > 4 {
        return None;
    }
    let num = |t: &[u8]| t.iter().fold(0u64, |acc, &c| acc * 36 + digit(c) as u64);
    let (a, b) = (num(tail_lo), num(tail_hi));
    if (b - a) as usize >= MAX_RANGE {
        return None;
    }
    let mut out = Vec::with_capacity((b - a + 1) as usize);
    for n in a..=b {
        let mut tail = vec!['0'; tail_lo.len()];
        let mut x = n;
        for i in (0..tail.len()).rev() {
            tail[i] = to_char((x % 36) as u32);
            x /= 36;
        }
        let mut s = lo[..common].to_string();
        s.extend(tail);
        out.push(s);
    }
    Some(out)
}

/// Validates the shape of a (normalised) code of `system`.
fn check(system: System, code: &str) -> Result<(), String> {
    let b = code.as_bytes();
    if b.is_empty() {
        return Err(format!("an empty {} code", system.name()));
    }
    if !b.iter().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "{code:?} is not a {} code (letters and digits only)",
            system.name()
        ));
    }
    match system {
        System::Atc => {
            // A01BC23: letter, digit digit, letter, letter, digit digit.
            const SHAPE: &[u8] = b"LDDLLDD";
            if b.len() > 7 {
                return Err(format!(
                    "{code:?} is not an ATC code: ATC codes have at most 7 characters (e.g. M01AE01)"
                ));
            }
            for (i, c) in b.iter().enumerate() {
                let ok = if SHAPE[i] == b'L' {
                    c.is_ascii_uppercase()
                } else {
                    c.is_ascii_digit()
                };
                if !ok {
                    return Err(format!(
                        "{code:?} is not an ATC code: expected the shape letter, 2 digits, 2 letters, 2 digits (e.g. M01AE01)"
                    ));
                }
            }
        }
        System::Icpc2 => {
            let shape_ok = b[0].is_ascii_uppercase()
                && b.iter().skip(1).take(2).all(u8::is_ascii_digit)
                && b.iter().skip(3).all(u8::is_ascii_digit);
            if !shape_ok {
                return Err(format!(
                    "{code:?} is not an ICPC-2 code: expected a letter and two digits (e.g. K78)"
                ));
            }
        }
        System::Icd10 => {
            if b.len() >= 2 && b[0].is_ascii_uppercase() && b[1].is_ascii_digit() {
                return Err(format!(
                    "{code:?} looks like plain ICD-10: write ICD-10 codes in SKS form with a leading D (D{code} for {code})"
                ));
            }
            let shape_ok = b[0] == b'D'
                && b.get(1).is_none_or(u8::is_ascii_uppercase)
                && b.iter().skip(2).take(2).all(u8::is_ascii_digit);
            if !shape_ok {
                return Err(format!(
                    "{code:?} is not an ICD-10 code in SKS form: expected D, a letter and digits (e.g. DI48)"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_expand_to_prefixes() {
        assert_eq!(
            expand(System::Icd10, "DF00-DF03").unwrap(),
            ["DF00", "DF01", "DF02", "DF03"]
        );
        assert_eq!(
            expand(System::Icd10, "DS72.0-DS72.2").unwrap(),
            ["DS720", "DS721", "DS722"]
        );
        assert_eq!(expand(System::Icd10, "DI20-DI25").unwrap().len(), 6);
        assert!(expand(System::Icd10, "DF03-DF00").is_err());
        assert!(expand(System::Icd10, "DF0-DF03").is_err());
    }

    #[test]
    fn code_shapes_are_checked() {
        assert!(expand(System::Atc, "M01AE01").is_ok());
        assert!(expand(System::Atc, "n02a").is_ok());
        assert!(expand(System::Atc, "M01AE011").is_err());
        assert!(expand(System::Atc, "MO1A").is_err());
        assert!(expand(System::Icpc2, "K78").is_ok());
        assert!(expand(System::Icpc2, "78K").is_err());
        assert!(expand(System::Icd10, "DI48").is_ok());
        let plain = expand(System::Icd10, "I48").unwrap_err();
        assert!(plain.contains("DI48"), "{plain}");
    }

    #[test]
    fn data_codes_are_normalised() {
        assert_eq!(normalise_data(System::Icd10, "I48.9"), "DI489");
        assert_eq!(normalise_data(System::Icd10, "DI489"), "DI489");
        assert_eq!(normalise_data(System::Icd10, "dd50"), "DD50");
        assert_eq!(normalise_data(System::Icpc2, "k78"), "K78");
    }

    #[test]
    fn exceptions_win_over_inclusions() {
        let nsaid = CodeSet::of(System::Atc, &["M01A"], &["M01AX05"]);
        assert!(nsaid.matches("M01AE01"));
        assert!(!nsaid.matches("M01AX05"));
        assert!(nsaid.matches("M01AX01"));
    }
}
