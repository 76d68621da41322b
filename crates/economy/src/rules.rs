//! The control rule file (format in `RULES.md`): blocks `[id]` of `field = value` lines.
//! Parsing checks every field and collects every problem as `FILE:LINE: field: problem (value)`;
//! a file with any problem gives no rules.

use almen_reference::{ServiceCode, service};
use serde::Serialize;
use std::fmt;

/// The shipped rules, `crates/economy/rules/default.rules`.
pub const DEFAULT_RULES: &str = include_str!("../rules/default.rules");
pub const DEFAULT_RULES_FILE: &str = "default.rules";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Period {
    fn parse(s: &str) -> Option<Period> {
        Some(match s {
            "day" => Period::Day,
            "week" => Period::Week,
            "month" => Period::Month,
            "quarter" => Period::Quarter,
            "year" => Period::Year,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Deadline {
    /// The Monday after the service week.
    Weekly,
    /// The first day of the month after the service month.
    Monthly,
}

/// Allowed minutes-after-midnight ranges `[from, to)`; `None` = any time.
pub type Windows = Option<Vec<(u16, u16)>>;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleKind {
    /// The patient's age on the service date must be within `[min_age, max_age]`.
    Age {
        min_age: Option<u32>,
        max_age: Option<u32>,
    },
    /// At most `max` (net) of the codes per patient per calendar period.
    MaxCount { max: i32, period: Period },
    /// Two or more of the codes on one patient's day.
    NotSameDay,
    /// A line of the codes needs one of `requires` the same day for the same patient.
    RequiresSameDay { requires: Vec<ServiceCode> },
    /// The service time must be in the weekday windows (Monday-Friday, not holidays) or the
    /// off-day windows (weekends and holidays).
    TimeWindow { weekdays: Windows, offdays: Windows },
    /// The card must be submitted by the deadline plus `grace_days`.
    LateSubmission { deadline: Deadline, grace_days: i32 },
    /// A patient with exactly one net line of the code in the control year.
    Isolated6101,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    pub id: String,
    pub da: String,
    pub en: String,
    /// The codes the rule concerns; empty = every code (late submission only).
    pub codes: Vec<ServiceCode>,
    #[serde(flatten)]
    pub kind: RuleKind,
    /// 1-based line of the `[id]` header.
    #[serde(skip)]
    pub line: usize,
}

impl Rule {
    pub fn concerns(&self, code: ServiceCode) -> bool {
        self.codes.is_empty() || self.codes.contains(&code)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleSet {
    pub file: String,
    pub rules: Vec<Rule>,
}

/// One problem in a rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub file: String,
    pub line: usize,
    pub field: Option<String>,
    pub problem: String,
    pub value: Option<String>,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file, self.line)?;
        if let Some(c) = &self.field {
            write!(f, "{c}: ")?;
        }
        write!(f, "{}", self.problem)?;
        match self.value.as_deref() {
            Some("") => write!(f, " (empty)"),
            Some(v) => write!(f, " ({v})"),
            None => Ok(()),
        }
    }
}

/// Every problem of a rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleErrors(pub Vec<RuleError>);

impl fmt::Display for RuleErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RuleErrors {}

const KINDS: &str =
    "age, max_count, not_same_day, requires_same_day, time_window, late_submission, isolated_6101";

struct Block {
    id: String,
    line: usize,
    fields: Vec<(usize, String, String)>,
}

impl RuleSet {
    /// The shipped rules.
    pub fn default_rules() -> RuleSet {
        RuleSet::parse(DEFAULT_RULES_FILE, DEFAULT_RULES).expect("the shipped rules parse")
    }

    pub fn parse(file: &str, text: &str) -> Result<RuleSet, RuleErrors> {
        let mut errors = Vec::new();
        let err = |errors: &mut Vec<RuleError>,
                   line: usize,
                   field: Option<&str>,
                   problem: String,
                   value: Option<&str>| {
            errors.push(RuleError {
                file: file.to_string(),
                line,
                field: field.map(str::to_string),
                problem,
                value: value.map(str::to_string),
            })
        };
        let mut blocks: Vec<Block> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let l = raw.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            if let Some(rest) = l.strip_prefix('[') {
                let Some(id) = rest.strip_suffix(']') else {
                    err(&mut errors, n, None, "a header is [id]".into(), Some(l));
                    continue;
                };
                let id = id.trim();
                if id.is_empty()
                    || !id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                {
                    err(
                        &mut errors,
                        n,
                        Some("id"),
                        "an id is lower-case letters, digits and _".into(),
                        Some(id),
                    );
                }
                if let Some(b) = blocks.iter().find(|b| b.id == id) {
                    err(
                        &mut errors,
                        n,
                        Some("id"),
                        format!("duplicate rule id (first on line {})", b.line),
                        Some(id),
                    );
                }
                blocks.push(Block {
                    id: id.to_string(),
                    line: n,
                    fields: Vec::new(),
                });
                continue;
            }
            let Some((k, v)) = l.split_once('=') else {
                err(
                    &mut errors,
                    n,
                    None,
                    "expected field = value".into(),
                    Some(l),
                );
                continue;
            };
            let (k, v) = (k.trim(), v.trim());
            let Some(b) = blocks.last_mut() else {
                err(
                    &mut errors,
                    n,
                    Some(k),
                    "field before the first [id] header".into(),
                    None,
                );
                continue;
            };
            if let Some((first, _, _)) = b.fields.iter().find(|(_, f, _)| f == k) {
                err(
                    &mut errors,
                    n,
                    Some(k),
                    format!("field given twice (first on line {first})"),
                    None,
                );
                continue;
            }
            b.fields.push((n, k.to_string(), v.to_string()));
        }
        let mut rules = Vec::new();
        for b in &blocks {
            let before = errors.len();
            let get = |k: &str| {
                b.fields
                    .iter()
                    .find(|(_, f, _)| f == k)
                    .map(|(n, _, v)| (*n, v.as_str()))
            };
            let mut used = vec!["kind", "da", "en", "codes"];
            let need = |errors: &mut Vec<RuleError>, k: &str| -> Option<(usize, String)> {
                match get(k) {
                    Some((_, "")) | None => {
                        err(
                            errors,
                            get(k).map_or(b.line, |x| x.0),
                            Some(k),
                            format!("missing in rule {}", b.id),
                            None,
                        );
                        None
                    }
                    Some((n, v)) => Some((n, v.to_string())),
                }
            };
            let da = need(&mut errors, "da").map(|x| x.1).unwrap_or_default();
            let en = need(&mut errors, "en").map(|x| x.1).unwrap_or_default();
            let kind_text = need(&mut errors, "kind");
            let codes = match get("codes") {
                Some((_, "*")) => Vec::new(),
                Some((n, v)) => parse_codes(v, n, "codes", &mut |n, f, p, v| {
                    err(&mut errors, n, Some(f), p, Some(v))
                }),
                None => {
                    err(
                        &mut errors,
                        b.line,
                        Some("codes"),
                        format!("missing in rule {} (use * for every code)", b.id),
                        None,
                    );
                    Vec::new()
                }
            };
            let num = |errors: &mut Vec<RuleError>, k: &str| -> Option<i64> {
                let (n, v) = get(k)?;
                match v.parse::<i64>() {
                    Ok(x) if x >= 0 => Some(x),
                    _ => {
                        err(
                            errors,
                            n,
                            Some(k),
                            "expected a whole number ≥ 0".into(),
                            Some(v),
                        );
                        None
                    }
                }
            };
            let kind = match kind_text.as_ref().map(|(n, k)| (*n, k.as_str())) {
                None => None,
                Some((_, "age")) => {
                    used.extend(["min_age", "max_age"]);
                    let min_age = num(&mut errors, "min_age").map(|x| x as u32);
                    let max_age = num(&mut errors, "max_age").map(|x| x as u32);
                    if get("min_age").is_none() && get("max_age").is_none() {
                        err(
                            &mut errors,
                            b.line,
                            Some("min_age"),
                            "an age rule needs min_age or max_age".into(),
                            None,
                        );
                    }
                    Some(RuleKind::Age { min_age, max_age })
                }
                Some((_, "max_count")) => {
                    used.extend(["max", "period"]);
                    let max = num(&mut errors, "max");
                    if get("max").is_none() {
                        need(&mut errors, "max");
                    }
                    let period = need(&mut errors, "period").and_then(|(n, v)| {
                        let p = Period::parse(&v);
                        if p.is_none() {
                            err(
                                &mut errors,
                                n,
                                Some("period"),
                                "expected day, week, month, quarter or year".into(),
                                Some(&v),
                            );
                        }
                        p
                    });
                    match (max, period) {
                        (Some(max), Some(period)) => Some(RuleKind::MaxCount {
                            max: max as i32,
                            period,
                        }),
                        _ => None,
                    }
                }
                Some((_, "not_same_day")) => {
                    if codes.len() < 2 && errors.len() == before {
                        err(
                            &mut errors,
                            get("codes").map_or(b.line, |x| x.0),
                            Some("codes"),
                            "not_same_day needs two or more codes".into(),
                            get("codes").map(|x| x.1),
                        );
                    }
                    Some(RuleKind::NotSameDay)
                }
                Some((_, "requires_same_day")) => {
                    used.push("requires");
                    let requires = need(&mut errors, "requires")
                        .map(|(n, v)| {
                            parse_codes(&v, n, "requires", &mut |n, f, p, v| {
                                err(&mut errors, n, Some(f), p, Some(v))
                            })
                        })
                        .unwrap_or_default();
                    Some(RuleKind::RequiresSameDay { requires })
                }
                Some((_, "time_window")) => {
                    used.extend(["weekdays", "offdays"]);
                    let mut w = |k: &str| -> Windows {
                        let (n, v) = get(k)?;
                        match parse_windows(v) {
                            Ok(w) => Some(w),
                            Err(p) => {
                                err(&mut errors, n, Some(k), p, Some(v));
                                None
                            }
                        }
                    };
                    let weekdays = w("weekdays");
                    let offdays = w("offdays");
                    if get("weekdays").is_none() && get("offdays").is_none() {
                        err(
                            &mut errors,
                            b.line,
                            Some("weekdays"),
                            "a time_window rule needs weekdays or offdays".into(),
                            None,
                        );
                    }
                    Some(RuleKind::TimeWindow { weekdays, offdays })
                }
                Some((_, "late_submission")) => {
                    used.extend(["deadline", "grace_days"]);
                    let deadline =
                        need(&mut errors, "deadline").and_then(|(n, v)| match v.as_str() {
                            "weekly" => Some(Deadline::Weekly),
                            "monthly" => Some(Deadline::Monthly),
                            _ => {
                                err(
                                    &mut errors,
                                    n,
                                    Some("deadline"),
                                    "expected weekly or monthly".into(),
                                    Some(&v),
                                );
                                None
                            }
                        });
                    let grace_days = num(&mut errors, "grace_days").unwrap_or(0) as i32;
                    deadline.map(|deadline| RuleKind::LateSubmission {
                        deadline,
                        grace_days,
                    })
                }
                Some((n, "isolated_6101")) => {
                    if codes.len() != 1 && errors.len() == before {
                        err(
                            &mut errors,
                            get("codes").map_or(n, |x| x.0),
                            Some("codes"),
                            "isolated_6101 concerns exactly one code".into(),
                            get("codes").map(|x| x.1),
                        );
                    }
                    Some(RuleKind::Isolated6101)
                }
                Some((n, other)) => {
                    err(
                        &mut errors,
                        n,
                        Some("kind"),
                        format!("unknown rule kind; expected one of: {KINDS}"),
                        Some(other),
                    );
                    None
                }
            };
            if codes.is_empty()
                && !matches!(kind, Some(RuleKind::LateSubmission { .. }) | None)
                && get("codes").is_some_and(|x| x.1 == "*")
            {
                err(
                    &mut errors,
                    get("codes").map_or(b.line, |x| x.0),
                    Some("codes"),
                    "* (every code) is allowed for late_submission only".into(),
                    Some("*"),
                );
            }
            for (n, f, _) in &b.fields {
                if !used.contains(&f.as_str()) {
                    err(
                        &mut errors,
                        *n,
                        Some(f),
                        format!("unknown field for this rule kind (rule {})", b.id),
                        None,
                    );
                }
            }
            if let Some(kind) = kind
                && errors.len() == before
            {
                rules.push(Rule {
                    id: b.id.clone(),
                    da,
                    en,
                    codes,
                    kind,
                    line: b.line,
                });
            }
        }
        if blocks.is_empty() && errors.is_empty() {
            err(&mut errors, 1, None, "no rules in the file".into(), None);
        }
        if errors.is_empty() {
            Ok(RuleSet {
                file: file.to_string(),
                rules,
            })
        } else {
            Err(RuleErrors(errors))
        }
    }
}

fn parse_codes(
    v: &str,
    n: usize,
    field: &'static str,
    err: &mut dyn FnMut(usize, &'static str, String, &str),
) -> Vec<ServiceCode> {
    let mut out = Vec::new();
    for c in v.split(',').map(str::trim) {
        match ServiceCode::parse(c) {
            Err(_) => err(n, field, "a service code has four digits".into(), c),
            Ok(_) if service(c).is_none() => err(
                n,
                field,
                "unknown service code (not in the catalogue)".into(),
                c,
            ),
            Ok(code) => out.push(code),
        }
    }
    out
}

fn hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    if (h < 24 && m < 60) || (h == 24 && m == 0) {
        Some(h * 60 + m)
    } else {
        None
    }
}

/// `16:00-24:00, 00:00-08:00` or `none`.
fn parse_windows(v: &str) -> Result<Vec<(u16, u16)>, String> {
    if v == "none" {
        return Ok(Vec::new());
    }
    v.split(',')
        .map(|w| {
            let (a, b) = w
                .split_once('-')
                .ok_or("expected HH:MM-HH:MM[, …] or none")?;
            match (hhmm(a), hhmm(b)) {
                (Some(a), Some(b)) if a < b => Ok((a, b)),
                _ => Err("expected HH:MM-HH:MM with the start before the end".to_string()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_parse() {
        let r = RuleSet::default_rules();
        assert!(r.rules.iter().any(|r| r.id == "isolated_6101"));
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let text = "\
[a]
kind = age
da = x
en = y
codes = 0101, 99x9
min_age = -3

[b]
kind = maxcount
da = x
en = y
codes = 9999

[c]
kind = time_window
da = x
en = y
codes = 0101
weekdays = 16:00-08:00
colour = red
";
        let e = RuleSet::parse("my.rules", text).unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("my.rules:5: codes: a service code has four digits (99x9)"),
            "{s}"
        );
        assert!(
            s.contains("my.rules:6: min_age: expected a whole number ≥ 0 (-3)"),
            "{s}"
        );
        assert!(s.contains("my.rules:9: kind: unknown rule kind"), "{s}");
        assert!(
            s.contains("my.rules:12: codes: unknown service code (not in the catalogue) (9999)"),
            "{s}"
        );
        assert!(
            s.contains("my.rules:19: weekdays: expected HH:MM-HH:MM"),
            "{s}"
        );
        assert!(s.contains("my.rules:20: colour: unknown field"), "{s}");
        let e = RuleSet::parse("x", "[a]\nkind = age\nen = y\ncodes = 0101\nmax_age = 5\n")
            .unwrap_err();
        assert_eq!(e.to_string(), "x:1: da: missing in rule a");
        let e = RuleSet::parse("x", "[a]\n[a]\n").unwrap_err();
        assert!(e.to_string().contains("x:2: id: duplicate rule id"), "{e}");
    }
}
