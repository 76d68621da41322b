//! The weight table: a versioned CSV file of disease weights.
//!
//! ```text
//! # label: My region's table, 2025
//! term,value
//! age_sex:F:0-4,1.21
//! …
//! age_sex:M:85+,2.70
//! condition:diabetes,0.85
//! ```
//!
//! A term is `age_sex:<F|M>:<band>` (bands `0-4`, `5-9`, …, `80-84`, `85+`: age at the
//! reference date) or `condition:<cockpit list id>`. Every sex and band needs a row;
//! conditions are optional. Lines starting with `#` are comments; `# label: …` names the
//! table in reports. A citizen's raw weight is its age/sex term plus the terms of the
//! conditions it has; the model then scales all weights by one factor so that their mean over
//! the living citizens is 1.0, so only the ratios between values matter (the shipped table is
//! in DKK per citizen-year, as fitted).

use almen_cockpit::ListSet;
use almen_core::{AGE_BANDS, Sex, age_band_label};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

/// The file name of the shipped default table.
pub const DEFAULT_WEIGHTS_FILE: &str = "weights-synthetic-national.csv";
const DEFAULT_WEIGHTS: &str = include_str!("../data/weights-synthetic-national.csv");

/// At most this many condition terms (a citizen's conditions are one 64-bit word).
pub const MAX_CONDITIONS: usize = 64;

/// A checked weight table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeightTable {
    /// From the `# label:` comment, or the file name.
    pub label: String,
    /// The file it was read from (the shipped one: [`DEFAULT_WEIGHTS_FILE`]).
    pub source: String,
    /// `[sex index][age band]` (F = 0, M = 1).
    pub age_sex: [[f64; AGE_BANDS]; 2],
    /// `(cockpit list id, value)` in file order.
    pub conditions: Vec<(String, f64)>,
}

/// One problem in a weight file: `FILE:LINE: problem`, or `FILE: problem` for the file as a
/// whole (a missing row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightProblem {
    pub file: String,
    /// 1-based line number in the file (the header is line 1 when there are no comments).
    pub line: Option<usize>,
    pub problem: String,
}

impl fmt::Display for WeightProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file, l, self.problem),
            None => write!(f, "{}: {}", self.file, self.problem),
        }
    }
}

/// Every problem found in a weight file; the table is refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightError {
    pub problems: Vec<WeightProblem>,
}

impl fmt::Display for WeightError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for WeightError {}

/// The label of an age band as the file writes it (`0-4` … `80-84`, `85+`).
pub fn band_label(band: usize) -> String {
    age_band_label(band)
}

fn parse_band(s: &str) -> Option<usize> {
    (0..AGE_BANDS).find(|&b| band_label(b) == s)
}

/// The term of an age/sex cell, e.g. `age_sex:F:0-4`.
pub fn age_sex_term(sex: usize, band: usize) -> String {
    let s = if sex == 0 { Sex::F } else { Sex::M };
    format!("age_sex:{}:{}", s.as_str(), band_label(band))
}

/// The term of a condition, e.g. `condition:diabetes`.
pub fn condition_term(id: &str) -> String {
    format!("condition:{id}")
}

enum Term {
    AgeSex(usize, usize),
    Condition(String),
}

fn parse_term(term: &str, lists: &ListSet) -> Result<Term, String> {
    if let Some(rest) = term.strip_prefix("age_sex:") {
        let (sex, band) = rest.split_once(':').ok_or_else(|| {
            format!("bad term '{term}': expected age_sex:<F|M>:<band>, e.g. age_sex:F:40-44")
        })?;
        let sex = Sex::parse(sex)
            .map_err(|_| format!("bad term '{term}': sex '{sex}' is not F or M"))?
            .index();
        let band = parse_band(band).ok_or_else(|| {
            format!(
                "bad term '{term}': unknown age band '{band}' (bands are 0-4, 5-9, …, 80-84, 85+)"
            )
        })?;
        Ok(Term::AgeSex(sex, band))
    } else if let Some(id) = term.strip_prefix("condition:") {
        if lists.index_of(id).is_some() {
            Ok(Term::Condition(id.to_string()))
        } else {
            Err(format!(
                "unknown condition '{id}': not a cockpit list id (known: {})",
                lists.ids().join(", ")
            ))
        }
    } else {
        Err(format!(
            "bad term '{term}': a term is age_sex:<F|M>:<band> or condition:<cockpit list id>"
        ))
    }
}

impl WeightTable {
    /// The shipped default table (fitted on the synthetic national dataset; see its header).
    pub fn default_table() -> WeightTable {
        WeightTable::parse(DEFAULT_WEIGHTS_FILE, DEFAULT_WEIGHTS, &ListSet::shipped())
            .unwrap_or_else(|e| {
                panic!("the shipped weight table is invalid (a test checks it):\n{e}")
            })
    }

    /// The text of the shipped default table.
    pub fn default_text() -> &'static str {
        DEFAULT_WEIGHTS
    }

    /// Reads and checks a weight file; conditions must be lists of `lists`.
    pub fn read(path: impl AsRef<Path>, lists: &ListSet) -> Result<WeightTable, WeightError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| WeightError {
            problems: vec![WeightProblem {
                file: name.clone(),
                line: None,
                problem: format!("cannot read the file: {e}"),
            }],
        })?;
        WeightTable::parse(&name, &text, lists)
    }

    /// Checks the text of a weight file; `file` names it in messages. Every problem is
    /// reported, each with its line and reason.
    pub fn parse(file: &str, text: &str, lists: &ListSet) -> Result<WeightTable, WeightError> {
        let mut problems = Vec::new();
        let mut problem = |line: Option<usize>, p: String| {
            problems.push(WeightProblem {
                file: file.to_string(),
                line,
                problem: p,
            })
        };
        let mut label = None;
        let mut header_seen = false;
        let mut age_sex = [[f64::NAN; AGE_BANDS]; 2];
        let mut seen = [[false; AGE_BANDS]; 2];
        let mut conditions: Vec<(String, f64)> = Vec::new();
        let mut first_line: HashMap<String, usize> = HashMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let l = raw.trim().trim_start_matches('\u{feff}');
            if l.is_empty() {
                continue;
            }
            if let Some(c) = l.strip_prefix('#') {
                if let Some(v) = c.trim().strip_prefix("label:") {
                    label = Some(v.trim().to_string());
                }
                continue;
            }
            let fields: Vec<&str> = l.split(',').map(str::trim).collect();
            if !header_seen {
                header_seen = true;
                if fields != ["term", "value"] {
                    problem(
                        Some(line),
                        format!("the header must be 'term,value', found '{l}'"),
                    );
                }
                continue;
            }
            if fields.len() != 2 {
                problem(
                    Some(line),
                    format!(
                        "expected 2 fields (term,value), found {}: '{l}'",
                        fields.len()
                    ),
                );
                continue;
            }
            let (term, value) = (fields[0], fields[1]);
            let parsed = match parse_term(term, lists) {
                Ok(t) => t,
                Err(p) => {
                    problem(Some(line), p);
                    continue;
                }
            };
            if let Term::AgeSex(s, b) = parsed {
                seen[s][b] = true;
            }
            if let Some(first) = first_line.get(term) {
                problem(
                    Some(line),
                    format!("duplicate term '{term}', first given on line {first}"),
                );
                continue;
            }
            first_line.insert(term.to_string(), line);
            let value = match value.parse::<f64>() {
                Ok(v) if !v.is_finite() => {
                    problem(
                        Some(line),
                        format!("weight of '{term}' is not a finite number: '{value}'"),
                    );
                    continue;
                }
                Ok(v) if v < 0.0 => {
                    problem(
                        Some(line),
                        format!(
                            "negative weight {value} for '{term}': weights must be zero or more"
                        ),
                    );
                    continue;
                }
                Ok(v) => v,
                Err(_) => {
                    problem(
                        Some(line),
                        format!("weight of '{term}' is not a number: '{value}'"),
                    );
                    continue;
                }
            };
            match parsed {
                Term::AgeSex(s, b) => age_sex[s][b] = value,
                Term::Condition(id) => {
                    if conditions.len() == MAX_CONDITIONS {
                        problem(
                            Some(line),
                            format!("too many conditions: at most {MAX_CONDITIONS}"),
                        );
                    } else {
                        conditions.push((id, value));
                    }
                }
            }
        }
        if !header_seen {
            problem(None, "no header 'term,value' and no rows".to_string());
        } else {
            for s in 0..2 {
                for b in 0..AGE_BANDS {
                    if !seen[s][b] {
                        problem(
                            None,
                            format!(
                                "missing age band: no row for '{}' (every sex and age band needs one)",
                                age_sex_term(s, b)
                            ),
                        );
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(WeightTable {
                label: label.unwrap_or_else(|| file.to_string()),
                source: file.to_string(),
                age_sex,
                conditions,
            })
        } else {
            Err(WeightError { problems })
        }
    }

    /// The condition ids in file order.
    pub fn condition_ids(&self) -> Vec<&str> {
        self.conditions.iter().map(|(id, _)| id.as_str()).collect()
    }

    /// Raw weight of a citizen of sex index `sex`, band `band`, with condition bits `bits`
    /// (bit `j` = [`WeightTable::conditions`]`[j]`).
    #[inline]
    pub fn raw_weight(&self, sex: usize, band: usize, bits: u64) -> f64 {
        let mut w = self.age_sex[sex][band];
        let mut b = bits;
        while b != 0 {
            let j = b.trailing_zeros() as usize;
            b &= b - 1;
            w += self.conditions[j].1;
        }
        w
    }

    /// The file text: `# ` comment lines (`comments`, then the label), the header and one row
    /// per term. Values are written with full precision so the file reads back identically.
    pub fn to_csv(&self, comments: &[String]) -> String {
        let mut out = String::new();
        for c in comments {
            for l in c.lines() {
                out.push_str("# ");
                out.push_str(l);
                out.push('\n');
            }
        }
        out.push_str(&format!("# label: {}\n", self.label));
        out.push_str("term,value\n");
        for s in 0..2 {
            for b in 0..AGE_BANDS {
                out.push_str(&format!("{},{}\n", age_sex_term(s, b), self.age_sex[s][b]));
            }
        }
        for (id, v) in &self.conditions {
            out.push_str(&format!("{},{v}\n", condition_term(id)));
        }
        out
    }
}
