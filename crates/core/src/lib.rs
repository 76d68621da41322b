//! Almen's shared domain types.
//!
//! Every type here validates on construction, so code that holds one can trust it:
//! a [`Day`] is a real calendar date, a [`Timestamp`] a real instant, a [`Cpr`] ten digits
//! with a valid date part. Parsing errors say which rule was broken and echo the value.

mod cpr;
mod day;
mod timestamp;

pub use cpr::{Cpr, mask_id};
pub use day::Day;
pub use timestamp::{Timestamp, copenhagen};

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a value could not become a domain type. The `Display` text is shown to users
/// after the file/row/column prefix, so it names the rule and the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule} ({value:?})")]
pub struct ParseError {
    pub rule: &'static str,
    pub value: String,
}

impl ParseError {
    pub fn new(rule: &'static str, value: impl Into<String>) -> Self {
        ParseError {
            rule,
            value: value.into(),
        }
    }
}

/// Sex as registered in CPR: the extract format allows `F` and `M` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Sex {
    F,
    M,
}

impl Sex {
    pub fn parse(s: &str) -> Result<Sex, ParseError> {
        match s {
            "F" => Ok(Sex::F),
            "M" => Ok(Sex::M),
            _ => Err(ParseError::new("expected F or M", s)),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::F => "F",
            Sex::M => "M",
        }
    }
    /// 0 for F, 1 for M: the index used in age/sex tables.
    pub fn index(self) -> usize {
        match self {
            Sex::F => 0,
            Sex::M => 1,
        }
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses the extract format's booleans: `true`/`false` (also `1`/`0`, which spreadsheets write).
pub fn parse_bool(s: &str) -> Result<bool, ParseError> {
    match s {
        "true" | "TRUE" | "True" | "1" => Ok(true),
        "false" | "FALSE" | "False" | "0" => Ok(false),
        _ => Err(ParseError::new("expected true or false", s)),
    }
}

/// Five-year age band used by Statistics Denmark and the capacity weight table:
/// 0 = `0-4`, 1 = `5-9`, … 17 = `85+`.
pub const AGE_BANDS: usize = 18;

pub fn age_band(age_years: u32) -> usize {
    ((age_years / 5) as usize).min(AGE_BANDS - 1)
}

pub fn age_band_label(band: usize) -> String {
    if band >= AGE_BANDS - 1 {
        "85+".to_string()
    } else {
        format!("{}-{}", band * 5, band * 5 + 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_bands_cover_all_ages() {
        assert_eq!(age_band(0), 0);
        assert_eq!(age_band(4), 0);
        assert_eq!(age_band(5), 1);
        assert_eq!(age_band(84), 16);
        assert_eq!(age_band(85), 17);
        assert_eq!(age_band(120), 17);
        assert_eq!(age_band_label(0), "0-4");
        assert_eq!(age_band_label(16), "80-84");
        assert_eq!(age_band_label(17), "85+");
    }

    #[test]
    fn sex_and_bool_parse_strictly() {
        assert_eq!(Sex::parse("F"), Ok(Sex::F));
        assert!(Sex::parse("f").is_err());
        assert_eq!(parse_bool("true"), Ok(true));
        assert!(parse_bool("yes").is_err());
    }
}
