//! The list-definition format (`LISTS.md`): reading, checking and resolving list files.
//!
//! A file is read in three steps. Physical lines become logical lines (comments stripped,
//! `\` continuations joined, indentation measured); logical lines become a tree by
//! indentation; the tree is interpreted into list definitions. Every problem is collected with
//! the file name and line number, so one run reports them all.

use crate::codes::{CodeSet, System, expand};
use almen_core::Sex;
use std::collections::HashMap;
use std::fmt;

/// One problem in a list file: `FILE:LINE: problem`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ListProblem {
    pub file: String,
    /// 1-based line number; `None` for a problem with the whole file (e.g. unreadable).
    pub line: Option<usize>,
    pub problem: String,
}

impl fmt::Display for ListProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file, l, self.problem),
            None => write!(f, "{}: {}", self.file, self.problem),
        }
    }
}

/// Why a list file was refused: every problem found, in line order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ListError {
    pub problems: Vec<ListProblem>,
}

impl fmt::Display for ListError {
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

/// A length of time before the reference date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Period {
    Months(u32),
    Days(u32),
}

impl Period {
    /// The first day inside the period that ends on `d`.
    pub(crate) fn start(self, d: almen_core::Day) -> almen_core::Day {
        match self {
            Period::Months(m) => d.minus_months(m),
            Period::Days(n) => d.add_days(-(n as i32)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

impl Cmp {
    pub(crate) fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
            Cmp::Eq => a == b,
        }
    }
    fn parse(s: &str) -> Option<Cmp> {
        Some(match s {
            "<" => Cmp::Lt,
            "<=" => Cmp::Le,
            ">" => Cmp::Gt,
            ">=" => Cmp::Ge,
            "=" | "==" => Cmp::Eq,
            _ => return None,
        })
    }
}

/// A number computed per patient that criteria can compare with a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Metric {
    /// Completed years at the reference date.
    Age,
    /// Distinct active ATC substances (7 characters) at the reference date.
    ActiveSubstances,
    /// Face-to-face contacts with the patient's clinic in the last 24 months.
    Contacts,
    /// Usual provider of care index (needs 2 contacts).
    Upc,
    /// Bice-Boxerman continuity of care index (needs 2 contacts).
    Coc,
}

impl Metric {
    pub(crate) const ALL: [(&'static str, Metric); 5] = [
        ("age", Metric::Age),
        ("active_substances", Metric::ActiveSubstances),
        ("contacts", Metric::Contacts),
        ("upc", Metric::Upc),
        ("coc", Metric::Coc),
    ];
    pub(crate) fn name(self) -> &'static str {
        Metric::ALL
            .iter()
            .find(|(_, m)| *m == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }
    fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.iter().find(|(n, _)| *n == s).map(|(_, m)| *m)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DiagTiming {
    /// `date <= D` and (`end_date` empty or `>= D`).
    Present,
    /// `date <= D`.
    Ever,
    /// Recorded in the period ending on D.
    Within(Period),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RxTiming {
    /// `start <= D` and (`end` empty or `>= D`).
    Active,
    /// `start <= D`.
    Ever,
    /// Started in the period ending on D.
    StartedWithin(Period),
    /// Started, or ended (a given end date), in the period ending on D.
    StartedOrEndedWithin(Period),
    /// Active at D in an unbroken episode (gaps of at most `gap` days) of at least `days` days.
    Continuous { days: u32, gap: u32 },
}

/// A criterion evaluated directly on a patient's rows or facts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Leaf {
    /// `codes[0]` are ICPC-2 prefixes, `codes[1]` ICD-10 (SKS) prefixes.
    Diagnosis {
        codes: [CodeSet; 2],
        timing: DiagTiming,
    },
    Prescription {
        codes: CodeSet,
        timing: RxTiming,
    },
    /// The latest observation of `code` at or before D (within `within`, if given).
    Observation {
        code: String,
        op: Cmp,
        value: f64,
        within: Option<Period>,
    },
    Metric {
        metric: Metric,
        op: Cmp,
        value: f64,
    },
    Sex(Sex),
    /// FLS/DXA group in the set (indexes of [`crate::FlsGroup::ALL`]).
    Fls([bool; 4]),
    /// The clinic's top `percent` % of its population by `metric`, ties at the cut included,
    /// and at least `min`.
    Top {
        metric: Metric,
        percent: f64,
        min: f64,
    },
}

/// A list's criterion tree. Leaves and lists are indexes into the [`crate::ListSet`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    All(Vec<Expr>),
    Any(Vec<Expr>),
    None(Vec<Expr>),
    AtLeast(u32, Vec<Expr>),
    Leaf(usize),
    List(usize),
}

/// Where a definition was written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Origin {
    pub file: String,
    pub line: usize,
}

/// One list as defined in a file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ListDef {
    pub id: String,
    pub name_da: String,
    pub name_en: String,
    pub description: Option<String>,
    pub origin: Origin,
    #[serde(skip)]
    pub(crate) expr: Expr,
}

/// List ids that the format reserves.
pub(crate) const RESERVED_IDS: &[&str] = &["fls"];

// ---------------------------------------------------------------------------------------------
// Lines and the indentation tree

struct Token {
    text: String,
    line: usize,
}

struct Line {
    no: usize,
    indent: usize,
    /// The content after the indentation, comments removed, continuations joined.
    text: String,
    tokens: Vec<Token>,
}

struct Node {
    line: Line,
    children: Vec<Node>,
}

struct Problems<'a> {
    file: &'a str,
    list: Vec<ListProblem>,
}

impl Problems<'_> {
    fn at(&mut self, line: usize, problem: impl Into<String>) {
        self.list.push(ListProblem {
            file: self.file.to_string(),
            line: Some(line),
            problem: problem.into(),
        });
    }
}

/// Removes a `#` comment (at the start, or after whitespace).
fn strip_comment(s: &str) -> &str {
    let b = s.as_bytes();
    for i in 0..b.len() {
        if b[i] == b'#' && (i == 0 || b[i - 1].is_ascii_whitespace()) {
            return &s[..i];
        }
    }
    s
}

fn tokenize(s: &str, line: usize, out: &mut Vec<Token>) {
    for t in s.split(|c: char| c.is_whitespace() || c == ',' || c == ';') {
        if !t.is_empty() {
            out.push(Token {
                text: t.to_string(),
                line,
            });
        }
    }
}

fn logical_lines(text: &str, p: &mut Problems) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::new();
    let mut continuing = false;
    for (i, raw) in text.lines().enumerate() {
        let no = i + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let content = strip_comment(raw).trim_end();
        let (content, continues) = match content.strip_suffix('\\') {
            Some(c) => (c.trim_end(), true),
            None => (content, false),
        };
        if continuing {
            let last = out.last_mut().expect("a continued line exists");
            let piece = content.trim();
            if !piece.is_empty() {
                last.text.push(' ');
                last.text.push_str(piece);
                tokenize(piece, no, &mut last.tokens);
            }
            continuing = continues;
            continue;
        }
        if content.trim().is_empty() {
            if continues {
                p.at(no, "a line continuation (\\) on an empty line");
            }
            continue;
        }
        let lead = &content[..content.len() - content.trim_start().len()];
        if lead.contains('\t') {
            p.at(no, "indent with spaces, not tabs");
            continue;
        }
        let body = content.trim_start();
        let mut tokens = Vec::new();
        tokenize(body, no, &mut tokens);
        if tokens.is_empty() {
            p.at(no, "a line with only commas or semicolons");
            continue;
        }
        out.push(Line {
            no,
            indent: lead.len(),
            text: body.to_string(),
            tokens,
        });
        continuing = continues;
    }
    if continuing {
        let no = text.lines().count();
        p.at(no, "the file ends with a line continuation (\\)");
    }
    out
}

fn block(
    lines: &mut std::iter::Peekable<std::vec::IntoIter<Line>>,
    indent: usize,
    p: &mut Problems,
) -> Vec<Node> {
    let mut out = Vec::new();
    while let Some(l) = lines.peek() {
        if l.indent < indent {
            break;
        }
        if l.indent > indent {
            let no = l.no;
            lines.next();
            p.at(
                no,
                "this line is indented more than the line above allows (only criteria such as 'any of' take indented lines below them), or its indentation does not line up with an enclosing line",
            );
            continue;
        }
        let line = lines.next().expect("peeked");
        let mut node = Node {
            line,
            children: Vec::new(),
        };
        if let Some(next) = lines.peek()
            && next.indent > indent
        {
            let child = next.indent;
            node.children = block(lines, child, p);
        }
        out.push(node);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Interpretation

/// A criterion tree before list references are resolved.
pub(crate) enum RawExpr {
    All(Vec<RawExpr>),
    Any(Vec<RawExpr>),
    None(Vec<RawExpr>),
    AtLeast(u32, Vec<RawExpr>),
    Leaf(Leaf),
    List(String, usize),
}

pub(crate) struct RawList {
    pub id: String,
    pub name_da: String,
    pub name_en: String,
    pub description: Option<String>,
    pub line: usize,
    pub expr: RawExpr,
}

const CRITERIA: &[&str] = &[
    "all of",
    "any of",
    "none of",
    "at least N of",
    "diagnosis",
    "prescription",
    "observation",
    "age",
    "sex",
    "active_substances",
    "contacts",
    "upc",
    "coc",
    "fls_group",
    "top",
    "list",
];

const PROPERTIES: &[&str] = &["name_da", "name_en", "description"];

/// Reads one list file into raw list definitions, or every problem found.
pub(crate) fn parse_file(file: &str, text: &str) -> Result<Vec<RawList>, Vec<ListProblem>> {
    let mut p = Problems {
        file,
        list: Vec::new(),
    };
    let lines = logical_lines(text, &mut p);
    let mut it = lines.into_iter().peekable();
    // A first line indented is still read, so its problems are reported too.
    let first_indent = it.peek().map_or(0, |l| l.indent);
    if first_indent > 0 {
        let no = it.peek().map_or(1, |l| l.no);
        p.at(no, "a list file starts with an unindented 'list <id>' line");
    }
    let nodes = block(&mut it, first_indent, &mut p);
    let mut lists = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for node in nodes {
        if let Some(l) = list_def(&node, &mut p) {
            if let Some(first) = seen.get(&l.id) {
                p.at(
                    l.line,
                    format!("list '{}' is defined twice (first on line {first})", l.id),
                );
                continue;
            }
            seen.insert(l.id.clone(), l.line);
            lists.push(l);
        }
    }
    if lists.is_empty() && p.list.is_empty() {
        p.list.push(ListProblem {
            file: file.to_string(),
            line: None,
            problem: "the file defines no lists (a list starts with a line 'list <id>')".into(),
        });
    }
    if p.list.is_empty() {
        Ok(lists)
    } else {
        p.list.sort_by_key(|x| x.line);
        Err(p.list)
    }
}

fn is_id(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

fn list_def(node: &Node, p: &mut Problems) -> Option<RawList> {
    let l = &node.line;
    let t = &l.tokens;
    if t[0].text != "list" {
        let hint = if is_criterion_word(&t[0].text) || property_key(&l.text).is_some() {
            " (criteria and properties go indented below a 'list <id>' line)"
        } else {
            ""
        };
        p.at(
            l.no,
            format!(
                "expected 'list <id>' at the start of a definition, found '{}'{hint}",
                t[0].text
            ),
        );
        return None;
    }
    if t.len() != 2 {
        p.at(
            l.no,
            "expected 'list <id>' with one id, e.g. 'list my_patients'",
        );
        return None;
    }
    let id = t[1].text.clone();
    let mut ok = true;
    if !is_id(&id) {
        p.at(
            l.no,
            format!(
                "list id '{id}' must start with a lower-case letter and hold only a-z, 0-9 and _"
            ),
        );
        ok = false;
    }
    if RESERVED_IDS.contains(&id.as_str()) {
        p.at(l.no, format!("list id '{id}' is reserved"));
        ok = false;
    }
    let mut props: HashMap<&str, (String, usize)> = HashMap::new();
    let mut criteria = Vec::new();
    for child in &node.children {
        if let Some((key, value)) = property_key(&child.line.text) {
            if !child.children.is_empty() {
                p.at(
                    child.children[0].line.no,
                    format!("'{key}:' takes no indented lines below it"),
                );
                ok = false;
            }
            match PROPERTIES.iter().find(|k| **k == key) {
                Some(k) => {
                    if let Some((_, first)) = props.get(k) {
                        p.at(
                            child.line.no,
                            format!("'{key}' is given twice (first on line {first})"),
                        );
                        ok = false;
                    } else if value.is_empty() {
                        p.at(child.line.no, format!("'{key}:' needs a value"));
                        ok = false;
                    } else {
                        props.insert(k, (value.to_string(), child.line.no));
                    }
                }
                None => {
                    p.at(
                        child.line.no,
                        format!(
                            "unknown property '{key}' (known: {})",
                            PROPERTIES.join(", ")
                        ),
                    );
                    ok = false;
                }
            }
        } else {
            criteria.push(child);
        }
    }
    for key in ["name_da", "name_en"] {
        if !props.contains_key(key) {
            p.at(l.no, format!("list '{id}' has no '{key}:' line"));
            ok = false;
        }
    }
    let expr = match criteria.as_slice() {
        [] => {
            p.at(
                l.no,
                format!(
                    "list '{id}' has no criterion (e.g. 'diagnosis present icpc2 K78' indented below it)"
                ),
            );
            None
        }
        [one] => criterion(one, p),
        [_, second, ..] => {
            p.at(
                second.line.no,
                "a list has one criterion at the top; combine several under 'all of' or 'any of'",
            );
            None
        }
    };
    let expr = expr?;
    if !ok {
        return None;
    }
    let mut take = |k: &str| props.remove(k).map(|(v, _)| v);
    Some(RawList {
        id,
        name_da: take("name_da").unwrap_or_default(),
        name_en: take("name_en").unwrap_or_default(),
        description: take("description"),
        line: l.no,
        expr,
    })
}

/// `key: value` where key is an identifier.
fn property_key(text: &str) -> Option<(&str, &str)> {
    let (k, v) = text.split_once(':')?;
    let k = k.trim();
    (!k.is_empty() && k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_'))
        .then_some((k, v.trim()))
}

fn is_criterion_word(w: &str) -> bool {
    matches!(
        w,
        "all"
            | "any"
            | "none"
            | "at"
            | "diagnosis"
            | "prescription"
            | "observation"
            | "sex"
            | "fls_group"
            | "top"
    ) || Metric::parse(w).is_some()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn suggestion(word: &str) -> String {
    let best = CRITERIA
        .iter()
        .map(|c| (edit_distance(word, c.split(' ').next().unwrap_or(c)), c))
        .min();
    match best {
        Some((d, c)) if d <= 2 => format!(" (did you mean '{c}'?)"),
        _ => String::new(),
    }
}

fn group(node: &Node, p: &mut Problems, name: &str) -> Option<Vec<RawExpr>> {
    if node.children.is_empty() {
        p.at(
            node.line.no,
            format!("'{name}' needs at least one criterion indented below it"),
        );
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for c in &node.children {
        if let Some((key, _)) = property_key(&c.line.text) {
            p.at(
                c.line.no,
                format!(
                    "'{key}:' is a property of the list and goes directly below the 'list' line"
                ),
            );
            ok = false;
            continue;
        }
        match criterion(c, p) {
            Some(e) => out.push(e),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn no_children(node: &Node, p: &mut Problems) -> bool {
    if let Some(c) = node.children.first() {
        p.at(
            c.line.no,
            format!(
                "'{}' takes no indented lines below it (only 'all of', 'any of', 'none of' and 'at least N of' do)",
                node.line.tokens[0].text
            ),
        );
        return false;
    }
    true
}

fn criterion(node: &Node, p: &mut Problems) -> Option<RawExpr> {
    let l = &node.line;
    let words: Vec<&str> = l.tokens.iter().map(|t| t.text.as_str()).collect();
    let no = l.no;
    match words.as_slice() {
        ["all", "of"] => return group(node, p, "all of").map(RawExpr::All),
        ["any", "of"] => return group(node, p, "any of").map(RawExpr::Any),
        ["none", "of"] => return group(node, p, "none of").map(RawExpr::None),
        ["all" | "any" | "none", ..] => {
            p.at(no, format!("expected '{} of' alone on its line", words[0]));
            return None;
        }
        ["at", "least", n, "of"] => {
            let n: u32 = match n.parse() {
                Ok(n) if n >= 1 => n,
                _ => {
                    p.at(
                        no,
                        format!("'at least N of' needs a whole number N >= 1, not '{n}'"),
                    );
                    return None;
                }
            };
            let children = group(node, p, "at least N of")?;
            if n as usize > children.len() {
                p.at(
                    no,
                    format!(
                        "'at least {n} of' has only {} criteria below it, so it can never hold",
                        children.len()
                    ),
                );
                return None;
            }
            return Some(RawExpr::AtLeast(n, children));
        }
        ["at", ..] => {
            p.at(no, "expected 'at least N of', e.g. 'at least 2 of'");
            return None;
        }
        _ => {}
    }
    if !no_children(node, p) {
        return None;
    }
    let mut c = Cursor {
        tokens: &l.tokens,
        pos: 1,
        line: no,
    };
    let r = match words[0] {
        "diagnosis" => diagnosis(&mut c, p),
        "prescription" => prescription(&mut c, p),
        "observation" => observation(&mut c, p),
        "sex" => match words.as_slice() {
            ["sex", "F"] => {
                c.pos = 2;
                Some(Leaf::Sex(Sex::F))
            }
            ["sex", "M"] => {
                c.pos = 2;
                Some(Leaf::Sex(Sex::M))
            }
            _ => {
                p.at(no, "expected 'sex F' or 'sex M'");
                None
            }
        },
        "fls_group" => fls_group(&mut c, p),
        "top" => top(&mut c, p),
        "list" => {
            return match words.as_slice() {
                ["list", id] => Some(RawExpr::List(id.to_string(), no)),
                _ => {
                    p.at(no, "expected 'list <id>' naming one list");
                    None
                }
            };
        }
        w => match Metric::parse(w) {
            Some(metric) => metric_leaf(metric, &mut c, p),
            None => {
                p.at(
                    no,
                    format!(
                        "unknown criterion '{w}'{} (known: {})",
                        suggestion(w),
                        CRITERIA.join(", ")
                    ),
                );
                None
            }
        },
    };
    let leaf = r?;
    if let Some(extra) = c.peek() {
        p.at(
            c.tok_line(),
            format!("unexpected '{extra}' at the end of the criterion"),
        );
        return None;
    }
    Some(RawExpr::Leaf(leaf))
}

struct Cursor<'a> {
    tokens: &'a [Token],
    pos: usize,
    line: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.pos).map(|t| t.text.as_str())
    }
    fn next(&mut self) -> Option<&str> {
        let t = self.tokens.get(self.pos).map(|t| t.text.as_str());
        if t.is_some() {
            self.pos += 1;
        }
        t
    }
    /// Line of the current token (continuation lines have their own numbers).
    fn tok_line(&self) -> usize {
        self.tokens
            .get(self.pos)
            .or(self.tokens.last())
            .map_or(self.line, |t| t.line)
    }
    fn prev_line(&self) -> usize {
        self.tokens
            .get(self.pos.saturating_sub(1))
            .map_or(self.line, |t| t.line)
    }
    fn expect(&mut self, word: &str, p: &mut Problems, what: &str) -> Option<()> {
        let line = self.tok_line();
        match self.next() {
            Some(w) if w == word => Some(()),
            Some(w) => {
                let w = w.to_string();
                p.at(line, format!("expected '{word}' {what}, found '{w}'"));
                None
            }
            None => {
                p.at(line, format!("expected '{word}' {what}"));
                None
            }
        }
    }
    fn number(&mut self, p: &mut Problems, what: &str) -> Option<f64> {
        let line = self.tok_line();
        match self.next() {
            Some(w) => match w.parse::<f64>() {
                Ok(x) if x.is_finite() => Some(x),
                _ => {
                    let w = w.to_string();
                    p.at(line, format!("expected a number for {what}, found '{w}'"));
                    None
                }
            },
            None => {
                p.at(line, format!("expected a number for {what}"));
                None
            }
        }
    }
    fn whole(&mut self, p: &mut Problems, what: &str) -> Option<u32> {
        let line = self.tok_line();
        match self.next() {
            Some(w) => match w.parse::<u32>() {
                Ok(x) => Some(x),
                _ => {
                    let w = w.to_string();
                    p.at(
                        line,
                        format!("expected a whole number for {what}, found '{w}'"),
                    );
                    None
                }
            },
            None => {
                p.at(line, format!("expected a whole number for {what}"));
                None
            }
        }
    }
    fn cmp(&mut self, p: &mut Problems, subject: &str) -> Option<Cmp> {
        let line = self.tok_line();
        match self.next() {
            Some(w) => Cmp::parse(w).or_else(|| {
                let w = w.to_string();
                p.at(
                    line,
                    format!("expected a comparison (<, <=, >, >=, =) after {subject}, found '{w}'"),
                );
                None
            }),
            None => {
                p.at(
                    line,
                    format!("expected a comparison (<, <=, >, >=, =) after {subject}"),
                );
                None
            }
        }
    }
    /// `N months` or `N days`.
    fn period(&mut self, p: &mut Problems) -> Option<Period> {
        let n = self.whole(p, "the length of the period")?;
        let line = self.tok_line();
        match self.next() {
            Some("months" | "month") => Some(Period::Months(n)),
            Some("days" | "day") => Some(Period::Days(n)),
            other => {
                let other = other.map(str::to_string).unwrap_or_default();
                p.at(
                    line,
                    format!("expected 'months' or 'days' after {n}, found '{other}'"),
                );
                None
            }
        }
    }
}

/// Reads code tokens to the end of the line. `systems` says which system keywords are allowed
/// (`None`: ATC codes without a keyword).
fn codes(c: &mut Cursor, p: &mut Problems, diagnosis: bool) -> Option<Vec<CodeSet>> {
    let mut sets = vec![CodeSet::default(); if diagnosis { 2 } else { 1 }];
    let mut system: Option<usize> = if diagnosis { None } else { Some(0) };
    let mut except = false;
    let mut ok = true;
    while let Some(w) = c.peek() {
        let line = c.tok_line();
        let w = w.to_string();
        c.pos += 1;
        match (diagnosis, w.as_str()) {
            (true, "icpc2" | "ICPC2") => {
                system = Some(0);
                except = false;
                continue;
            }
            (true, "icd10" | "ICD10") => {
                system = Some(1);
                except = false;
                continue;
            }
            (_, "except") => {
                if system.is_none() {
                    p.at(
                        line,
                        "'except' comes after the codes it makes exceptions to",
                    );
                    ok = false;
                }
                except = true;
                continue;
            }
            _ => {}
        }
        let Some(s) = system else {
            p.at(
                line,
                format!("name the code system before the codes: 'icpc2 {w}' or 'icd10 {w}'"),
            );
            ok = false;
            system = Some(0);
            continue;
        };
        let sys = match (diagnosis, s) {
            (false, _) => System::Atc,
            (true, 0) => System::Icpc2,
            _ => System::Icd10,
        };
        match expand(sys, &w) {
            Ok(prefixes) => {
                let set = &mut sets[s];
                if except {
                    set.except.extend(prefixes);
                } else {
                    set.include.extend(prefixes);
                }
            }
            Err(e) => {
                p.at(line, e);
                ok = false;
            }
        }
    }
    if sets.iter().all(CodeSet::is_empty) && ok {
        let what = if diagnosis {
            "diagnosis codes, e.g. 'icpc2 K78 icd10 DI48'"
        } else {
            "ATC codes, e.g. 'N02A'"
        };
        p.at(c.prev_line(), format!("expected {what}"));
        return None;
    }
    for (i, s) in sets.iter().enumerate() {
        if s.include.is_empty() && !s.except.is_empty() {
            let name = if !diagnosis {
                "ATC"
            } else if i == 0 {
                "icpc2"
            } else {
                "icd10"
            };
            p.at(
                c.prev_line(),
                format!("'except' without any {name} codes to make exceptions to"),
            );
            ok = false;
        }
    }
    ok.then_some(sets)
}

fn diagnosis(c: &mut Cursor, p: &mut Problems) -> Option<Leaf> {
    let line = c.tok_line();
    let timing = match c.next() {
        Some("present") => DiagTiming::Present,
        Some("ever") => DiagTiming::Ever,
        Some("within") => DiagTiming::Within(c.period(p)?),
        other => {
            let other = other.map(str::to_string).unwrap_or_default();
            p.at(
                line,
                format!(
                    "expected 'present', 'ever' or 'within N months' after 'diagnosis', found '{other}'"
                ),
            );
            return None;
        }
    };
    let mut sets = codes(c, p, true)?;
    let icd = sets.pop().unwrap_or_default();
    let icpc = sets.pop().unwrap_or_default();
    Some(Leaf::Diagnosis {
        codes: [icpc, icd],
        timing,
    })
}

fn prescription(c: &mut Cursor, p: &mut Problems) -> Option<Leaf> {
    let line = c.tok_line();
    let timing = match c.next() {
        Some("active") => RxTiming::Active,
        Some("ever") => RxTiming::Ever,
        Some("started") => {
            if c.peek() == Some("or") {
                c.pos += 1;
                c.expect("ended", p, "after 'started or'")?;
                c.expect("within", p, "after 'started or ended'")?;
                RxTiming::StartedOrEndedWithin(c.period(p)?)
            } else {
                c.expect("within", p, "after 'started'")?;
                RxTiming::StartedWithin(c.period(p)?)
            }
        }
        Some("continuous") => {
            let days = c.whole(p, "the length of continuous treatment")?;
            c.expect("days", p, "after the length of continuous treatment")?;
            c.expect("gap", p, "(the longest gap allowed, e.g. 'gap 14')")?;
            let gap = c.whole(p, "the longest gap")?;
            if c.peek() == Some("days") {
                c.pos += 1;
            }
            RxTiming::Continuous { days, gap }
        }
        other => {
            let other = other.map(str::to_string).unwrap_or_default();
            p.at(
                line,
                format!(
                    "expected 'active', 'ever', 'started within N months', 'started or ended within N months' or 'continuous N days gap G' after 'prescription', found '{other}'"
                ),
            );
            return None;
        }
    };
    let codes = codes(c, p, false)?.pop().unwrap_or_default();
    Some(Leaf::Prescription { codes, timing })
}

fn observation(c: &mut Cursor, p: &mut Problems) -> Option<Leaf> {
    c.expect(
        "latest",
        p,
        "after 'observation' (e.g. 'observation latest DXA_TSCORE <= -2.5')",
    )?;
    let line = c.tok_line();
    let code = match c.next() {
        Some(code) if Cmp::parse(code).is_none() => code.to_string(),
        _ => {
            p.at(
                line,
                "expected an observation code after 'latest', e.g. DXA_TSCORE",
            );
            return None;
        }
    };
    let op = c.cmp(p, &code)?;
    let value = c.number(p, &code)?;
    let within = if c.peek() == Some("within") {
        c.pos += 1;
        Some(c.period(p)?)
    } else {
        None
    };
    Some(Leaf::Observation {
        code,
        op,
        value,
        within,
    })
}

fn metric_leaf(metric: Metric, c: &mut Cursor, p: &mut Problems) -> Option<Leaf> {
    let op = c.cmp(p, metric.name())?;
    let line = c.tok_line();
    let value = c.number(p, metric.name())?;
    if matches!(metric, Metric::Upc | Metric::Coc) && !(0.0..=1.0).contains(&value) {
        p.at(
            line,
            format!(
                "{} is between 0 and 1, so compare it with a number in that range",
                metric.name()
            ),
        );
        return None;
    }
    Some(Leaf::Metric { metric, op, value })
}

fn fls_group(c: &mut Cursor, p: &mut Problems) -> Option<Leaf> {
    let mut set = [false; 4];
    let mut any = false;
    while let Some(w) = c.next().map(str::to_string) {
        let line = c.prev_line();
        match crate::fls::FlsGroup::parse(&w) {
            Some(g) => {
                set[g.index()] = true;
                any = true;
            }
            None => {
                p.at(
                    line,
                    format!("unknown FLS group '{w}' (known: 1, 2a, 2b, 3)"),
                );
                return None;
            }
        }
    }
    if !any {
        p.at(
            c.line,
            "expected one or more FLS groups, e.g. 'fls_group 2b 3'",
        );
        return None;
    }
    Some(Leaf::Fls(set))
}

fn top(c: &mut Cursor, p: &mut Problems) -> Option<Leaf> {
    let line = c.tok_line();
    let percent = c.number(p, "the percentage")?;
    if !(percent > 0.0 && percent <= 100.0) {
        p.at(
            line,
            format!("the percentage must be above 0 and at most 100, not {percent}"),
        );
        return None;
    }
    c.expect(
        "percent",
        p,
        "after the number (e.g. 'top 4 percent by active_substances')",
    )?;
    c.expect("by", p, "after 'percent'")?;
    let line = c.tok_line();
    let metric = match c.next().and_then(Metric::parse) {
        Some(m) => m,
        None => {
            let known: Vec<&str> = Metric::ALL.iter().map(|(n, _)| *n).collect();
            p.at(
                line,
                format!(
                    "expected a measure after 'by' (one of: {})",
                    known.join(", ")
                ),
            );
            return None;
        }
    };
    let min = if c.peek() == Some("min") {
        c.pos += 1;
        c.number(p, "the minimum")?
    } else {
        f64::NEG_INFINITY
    };
    Some(Leaf::Top {
        metric,
        percent,
        min,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match parse_file("my.lists", text) {
            Ok(_) => vec![],
            Err(ps) => ps.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn a_good_list_reads() {
        let text = "# comment\nlist af\n  name_da: Atrieflimren\n  name_en: AF  # trailing\n  any of\n    diagnosis present icpc2 K78 icd10 DI48\n    prescription active B01AF \\\n      B01AA except B01AA99\n";
        let lists = parse_file("x", text).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(lists.len(), 1);
        assert_eq!(lists[0].name_en, "AF");
        let RawExpr::Any(children) = &lists[0].expr else {
            panic!("any of")
        };
        let RawExpr::Leaf(Leaf::Prescription { codes, .. }) = &children[1] else {
            panic!("prescription")
        };
        assert_eq!(codes.include, ["B01AF", "B01AA"]);
        assert_eq!(codes.except, ["B01AA99"]);
    }

    #[test]
    fn errors_name_file_line_and_problem() {
        let text =
            "list x\n  name_da: X\n  name_en: X\n  any of\n    diagnosys present icpc2 K78\n";
        assert_eq!(
            problems(text),
            [
                "my.lists:5: unknown criterion 'diagnosys' (did you mean 'diagnosis'?) (known: all of, any of, none of, at least N of, diagnosis, prescription, observation, age, sex, active_substances, contacts, upc, coc, fls_group, top, list)"
            ]
        );
    }

    #[test]
    fn many_problems_are_reported_together() {
        let text = "list Bad\n  name_da: X\n  any of\n    prescription active M01AX05X\n    diagnosis present I48\n\tlist y\n";
        let ps = problems(text);
        assert!(
            ps.iter()
                .any(|p| p.starts_with("my.lists:1: list id 'Bad'")),
            "{ps:?}"
        );
        assert!(
            ps.iter()
                .any(|p| p.starts_with("my.lists:1: list 'Bad' has no 'name_en:'")),
            "{ps:?}"
        );
        assert!(
            ps.iter()
                .any(|p| p.starts_with("my.lists:4: \"M01AX05X\" is not an ATC code")),
            "{ps:?}"
        );
        assert!(
            ps.iter()
                .any(|p| p.starts_with("my.lists:5: name the code system")),
            "{ps:?}"
        );
        assert!(
            ps.iter()
                .any(|p| p.starts_with("my.lists:6: indent with spaces")),
            "{ps:?}"
        );
    }

    #[test]
    fn continuation_lines_keep_their_own_line_numbers() {
        let text =
            "list x\n  name_da: X\n  name_en: X\n  prescription active N02A \\\n    N02X99\n";
        assert_eq!(
            problems(text),
            [
                "my.lists:5: \"N02X99\" is not an ATC code: expected the shape letter, 2 digits, 2 letters, 2 digits (e.g. M01AE01)"
            ]
        );
    }

    proptest::proptest! {
        /// Any text gives lists or problems, never a panic.
        #[test]
        fn arbitrary_text_never_panics(text in "(?s).{0,300}") {
            let _ = parse_file("x", &text);
        }

        /// Deleting or indenting lines of a valid file gives lists or problems, never a panic.
        #[test]
        fn damaged_files_never_panic(cut in 0usize..200, indent in 0usize..200, seps in ",; \\\t") {
            let shipped = include_str!("../lists/shipped.lists");
            let mut lines: Vec<String> = shipped.lines().map(str::to_string).collect();
            if cut < lines.len() { lines.remove(cut); }
            if indent < lines.len() { lines[indent] = format!("{seps}{}", lines[indent]); }
            let _ = parse_file("x", &lines.join("\n"));
        }
    }

    #[test]
    fn structure_problems_are_explained() {
        let t = |body: &str| problems(&format!("list x\n  name_da: X\n  name_en: X\n{body}"));
        assert!(t("  any of\n")[0].contains("needs at least one criterion"));
        assert!(t("  age >= 65\n  sex F\n")[0].contains("combine several"));
        assert!(t("  age >= 65\n    sex F\n")[0].contains("takes no indented lines"));
        let e = t("  at least 3 of\n    sex F\n    sex M\n");
        assert!(e[0].contains("can never hold"), "{e:?}");
        assert!(t("  upc < 50\n")[0].contains("between 0 and 1"));
        assert!(t("  top 0 percent by active_substances\n")[0].contains("above 0"));
        assert!(t("  prescription active\n")[0].contains("expected ATC codes"));
        assert!(t("  observation latest DXA_TSCORE below -2.5\n")[0].contains("comparison"));
        assert!(t("  fls_group 2c\n")[0].contains("unknown FLS group"));
        assert!(t("  any of\n    sex F\n   sex M\n")[0].contains("does not line up"));
    }
}
