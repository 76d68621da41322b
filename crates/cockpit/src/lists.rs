//! A set of list definitions: the shipped lists plus any a clinic or cluster adds from files.

use crate::format::{
    Expr, Leaf, ListDef, ListError, ListProblem, Origin, RawExpr, RawList, parse_file,
};
use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

/// The name the shipped definitions carry in messages.
pub const SHIPPED_FILE: &str = "shipped.lists";
const SHIPPED: &str = include_str!("../lists/shipped.lists");

/// Population lists, checked and ready to evaluate. Lists may refer to each other (`list
/// diabetes`); the set keeps an evaluation order in which every list comes after the lists
/// it refers to.
#[derive(Debug, Clone, Default)]
pub struct ListSet {
    lists: Vec<ListDef>,
    pub(crate) leaves: Vec<Leaf>,
    pub(crate) order: Vec<usize>,
}

impl ListSet {
    /// A set without lists, for callers that want only their own files.
    pub fn empty() -> ListSet {
        ListSet::default()
    }

    /// The lists Almen ships (`lists/shipped.lists`, embedded in the binary).
    pub fn shipped() -> ListSet {
        static SET: OnceLock<ListSet> = OnceLock::new();
        SET.get_or_init(|| {
            ListSet::empty()
                .with_text(SHIPPED_FILE, SHIPPED)
                .unwrap_or_else(|e| {
                    panic!("the shipped lists are invalid (a unit test checks them):\n{e}")
                })
        })
        .clone()
    }

    /// Adds the lists of a file. The file may refer to lists already in the set; its ids must
    /// be new. Problems are reported as `FILE:LINE: problem`, all of them at once.
    pub fn with_file(self, path: impl AsRef<Path>) -> Result<ListSet, ListError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ListError {
            problems: vec![ListProblem {
                file: name.clone(),
                line: None,
                problem: format!("cannot read the file: {e}"),
            }],
        })?;
        self.with_text(&name, &text)
    }

    /// Adds the lists written in `text`; `file` names it in messages.
    pub fn with_text(mut self, file: &str, text: &str) -> Result<ListSet, ListError> {
        let raw = parse_file(file, text).map_err(|problems| ListError { problems })?;
        let mut problems = Vec::new();
        let problem = |line: usize, msg: String| ListProblem {
            file: file.to_string(),
            line: Some(line),
            problem: msg,
        };
        // Ids: new ones must not clash with lists already in the set.
        let mut index: HashMap<String, usize> = self
            .lists
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id.clone(), i))
            .collect();
        let first_new = self.lists.len();
        let mut accepted = Vec::new();
        for r in raw {
            if let Some(&i) = index.get(&r.id) {
                let o = &self.lists[i].origin;
                problems.push(problem(
                    r.line,
                    format!(
                        "list '{}' is already defined ({}:{}); choose another id",
                        r.id, o.file, o.line
                    ),
                ));
                continue;
            }
            index.insert(r.id.clone(), first_new + accepted.len());
            accepted.push(r);
        }
        let known: Vec<String> = index.keys().cloned().collect();
        for r in accepted {
            let RawList {
                id,
                name_da,
                name_en,
                description,
                line,
                expr,
            } = r;
            let expr = self.resolve(expr, &index, &known, &mut |l, m| {
                problems.push(problem(l, m))
            });
            self.lists.push(ListDef {
                id,
                name_da,
                name_en,
                description,
                origin: Origin {
                    file: file.to_string(),
                    line,
                },
                expr: expr.unwrap_or(Expr::All(vec![])),
            });
        }
        if problems.is_empty() {
            match order(&self.lists) {
                Ok(o) => self.order = o,
                Err((list, cycle)) => {
                    let l = &self.lists[list];
                    problems.push(problem(
                        l.origin.line,
                        format!("list '{}' depends on itself: {cycle}", l.id),
                    ));
                }
            }
        }
        if problems.is_empty() {
            Ok(self)
        } else {
            problems.sort_by_key(|p| p.line);
            Err(ListError { problems })
        }
    }

    fn resolve(
        &mut self,
        e: RawExpr,
        index: &HashMap<String, usize>,
        known: &[String],
        report: &mut dyn FnMut(usize, String),
    ) -> Option<Expr> {
        let mut all = |v: Vec<RawExpr>, this: &mut Self| -> Option<Vec<Expr>> {
            let mut out = Vec::with_capacity(v.len());
            let mut ok = true;
            for x in v {
                match this.resolve(x, index, known, report) {
                    Some(e) => out.push(e),
                    None => ok = false,
                }
            }
            ok.then_some(out)
        };
        Some(match e {
            RawExpr::All(v) => Expr::All(all(v, self)?),
            RawExpr::Any(v) => Expr::Any(all(v, self)?),
            RawExpr::None(v) => Expr::None(all(v, self)?),
            RawExpr::AtLeast(n, v) => Expr::AtLeast(n, all(v, self)?),
            RawExpr::Leaf(leaf) => {
                self.leaves.push(leaf);
                Expr::Leaf(self.leaves.len() - 1)
            }
            RawExpr::List(id, line) => match index.get(&id) {
                Some(&i) => Expr::List(i),
                None => {
                    let mut names: Vec<&str> = known.iter().map(String::as_str).collect();
                    names.sort_unstable();
                    report(
                        line,
                        format!("unknown list '{id}' (known: {})", names.join(", ")),
                    );
                    return None;
                }
            },
        })
    }

    /// List ids in definition order (shipped lists first).
    pub fn ids(&self) -> Vec<&str> {
        self.lists.iter().map(|l| l.id.as_str()).collect()
    }
    pub fn lists(&self) -> &[ListDef] {
        &self.lists
    }
    pub fn get(&self, id: &str) -> Option<&ListDef> {
        self.lists.iter().find(|l| l.id == id)
    }
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.lists.iter().position(|l| l.id == id)
    }
    pub fn len(&self) -> usize {
        self.lists.len()
    }
    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }
    pub(crate) fn list(&self, i: usize) -> &ListDef {
        &self.lists[i]
    }
}

/// A dependency order of the lists, or a list on a cycle and the cycle as text.
fn order(lists: &[ListDef]) -> Result<Vec<usize>, (usize, String)> {
    fn refs(e: &Expr, out: &mut Vec<usize>) {
        match e {
            Expr::All(v) | Expr::Any(v) | Expr::None(v) | Expr::AtLeast(_, v) => {
                v.iter().for_each(|x| refs(x, out))
            }
            Expr::List(i) => out.push(*i),
            Expr::Leaf(_) => {}
        }
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        i: usize,
        lists: &[ListDef],
        mark: &mut [Mark],
        path: &mut Vec<usize>,
        out: &mut Vec<usize>,
    ) -> Result<(), (usize, String)> {
        match mark[i] {
            Mark::Done => return Ok(()),
            Mark::Open => {
                let from = path.iter().position(|&x| x == i).unwrap_or(0);
                let mut names: Vec<&str> =
                    path[from..].iter().map(|&x| lists[x].id.as_str()).collect();
                names.push(&lists[i].id);
                return Err((i, names.join(" -> ")));
            }
            Mark::New => {}
        }
        mark[i] = Mark::Open;
        path.push(i);
        let mut deps = Vec::new();
        refs(&lists[i].expr, &mut deps);
        for d in deps {
            visit(d, lists, mark, path, out)?;
        }
        path.pop();
        mark[i] = Mark::Done;
        out.push(i);
        Ok(())
    }
    let mut mark = vec![Mark::New; lists.len()];
    let mut out = Vec::with_capacity(lists.len());
    for i in 0..lists.len() {
        visit(i, lists, &mut mark, &mut Vec::new(), &mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STABLE_IDS: [&str; 22] = [
        "dementia",
        "osteoporosis",
        "triple_whammy",
        "atrial_fibrillation",
        "atrial_fibrillation_without_oac",
        "opioid",
        "opioid_long_term",
        "adhd",
        "diabetes",
        "copd",
        "asthma",
        "hypertension",
        "ischaemic_heart_disease",
        "heart_failure",
        "depression",
        "severe_mental_illness",
        "multimorbidity",
        "polypharmacy_5",
        "polypharmacy_10",
        "polypharmacy_effort_group",
        "glp1_without_other_antidiabetic",
        "low_continuity",
    ];

    #[test]
    fn shipped_lists_are_valid_and_keep_their_ids() {
        let set = ListSet::shipped();
        assert_eq!(set.ids(), STABLE_IDS);
        for l in set.lists() {
            assert!(!l.name_da.is_empty() && !l.name_en.is_empty(), "{}", l.id);
            assert!(l.description.is_some(), "{} documents its codes", l.id);
        }
    }

    #[test]
    fn user_lists_may_refer_to_shipped_ones() {
        let set = ListSet::shipped()
            .with_text(
                "klynge.lists",
                "list old_af\n  name_da: Gamle med AF\n  name_en: Old with AF\n  all of\n    list atrial_fibrillation\n    age >= 80\n",
            )
            .unwrap();
        assert_eq!(set.ids().last(), Some(&"old_af"));
        let pos = |id: &str| {
            set.order
                .iter()
                .position(|&i| set.list(i).id == id)
                .unwrap()
        };
        assert!(pos("atrial_fibrillation") < pos("old_af"));
    }

    #[test]
    fn unknown_lists_clashing_ids_and_cycles_are_refused() {
        let err = ListSet::shipped()
            .with_text(
                "k.lists",
                "list dementia\n  name_da: D\n  name_en: D\n  age >= 1\nlist a\n  name_da: A\n  name_en: A\n  list nope\n",
            )
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("k.lists:1: list 'dementia' is already defined (shipped.lists:"),
            "{err}"
        );
        assert!(err.contains("k.lists:8: unknown list 'nope'"), "{err}");
        let err = ListSet::empty()
            .with_text(
                "c.lists",
                "list a\n  name_da: A\n  name_en: A\n  list b\nlist b\n  name_da: B\n  name_en: B\n  any of\n    list a\n",
            )
            .unwrap_err()
            .to_string();
        assert_eq!(err, "c.lists:1: list 'a' depends on itself: a -> b -> a");
    }

    /// The example in LISTS.md is a valid file.
    #[test]
    fn the_documented_example_reads() {
        let doc = include_str!("../LISTS.md");
        let start = doc.find("```\n# Our cluster").expect("the example") + 4;
        let end = start + doc[start..].find("```").expect("the example's end");
        let set = ListSet::shipped()
            .with_text("LISTS.md", &doc[start..end])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(set.len(), 25);
    }

    #[test]
    fn a_missing_file_is_reported_by_name() {
        let err = ListSet::shipped()
            .with_file("/nonexistent/x.lists")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("/nonexistent/x.lists: cannot read the file"),
            "{err}"
        );
    }
}
