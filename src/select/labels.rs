//! The label selector, kubectl's grammar:
//!
//! ```text
//! selector    = [ requirement { "," requirement } ]     all must hold
//! requirement = "!" key                                 key absent (or false)
//!             | key                                     key present (and not false)
//!             | key ( "=" | "==" | "!=" ) value
//!             | key ( "in" | "notin" ) "(" value { "," value } ")"
//! key, value  = letters, digits and - _ . / : @ +
//! ```
//!
//! As in kubectl, `!=` and `notin` also hold for hosts without the label.
//! One difference: a bare `key` is a flag and a flag whose value is
//! `false`, `no` or `0` is off, as fwfleet has always read `canary`.

use super::{Part, SelectError, Source};
use std::collections::BTreeMap;
use std::fmt;

/// One term of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// `key`: present and not false.
    Flag(String),
    /// `!key`.
    NotFlag(String),
    /// `key=value`.
    Equals(String, String),
    /// `key!=value`.
    NotEquals(String, String),
    /// `key in (a,b)`.
    In(String, Vec<String>),
    /// `key notin (a,b)`.
    NotIn(String, Vec<String>),
}

/// Values that turn a flag label off.
fn is_false(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "false" | "no" | "0")
}

impl Requirement {
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let get = |k: &String| labels.get(k).map(String::as_str);
        match self {
            Requirement::Flag(k) => get(k).is_some_and(|v| !is_false(v)),
            Requirement::NotFlag(k) => get(k).is_none_or(is_false),
            Requirement::Equals(k, v) => get(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => get(k) != Some(v.as_str()),
            Requirement::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Requirement::NotIn(k, vs) => !get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Requirement::Flag(k) => write!(f, "{k}"),
            Requirement::NotFlag(k) => write!(f, "!{k}"),
            Requirement::Equals(k, v) => write!(f, "{k}={v}"),
            Requirement::NotEquals(k, v) => write!(f, "{k}!={v}"),
            Requirement::In(k, vs) => write!(f, "{k} in ({})", vs.join(",")),
            Requirement::NotIn(k, vs) => write!(f, "{k} notin ({})", vs.join(",")),
        }
    }
}

/// Every requirement must hold; empty holds for every host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    pub requirements: Vec<Requirement>,
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let terms: Vec<String> = self.requirements.iter().map(|r| r.to_string()).collect();
        f.write_str(&terms.join(","))
    }
}

impl LabelSelector {
    pub fn parse(text: &str, source: Source) -> Result<LabelSelector, SelectError> {
        let mut p = Parser {
            s: text,
            chars: text.char_indices().collect(),
            i: 0,
            field: source.name(Part::Selector),
        };
        let mut requirements = Vec::new();
        p.ws();
        if p.at_end() {
            return Ok(LabelSelector::default());
        }
        loop {
            requirements.push(p.requirement()?);
            p.ws();
            if p.at_end() {
                break;
            }
            if p.peek() == Some(',') {
                p.i += 1;
                p.ws();
                if p.at_end() {
                    return Err(p.err(
                        "a comma ends the selector",
                        "remove the trailing comma, or add a term after it",
                    ));
                }
                continue;
            }
            return Err(p.err(
                &format!("unexpected `{}`", p.rest()),
                "separate terms with commas: 'rack=r12,role in (db,web),!canary'",
            ));
        }
        Ok(LabelSelector { requirements })
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }
}

struct Parser<'a> {
    s: &'a str,
    chars: Vec<(usize, char)>,
    i: usize,
    field: &'static str,
}

fn word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | '@' | '+')
}

impl Parser<'_> {
    fn at_end(&self) -> bool {
        self.i >= self.chars.len()
    }
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).map(|(_, c)| *c)
    }
    fn rest(&self) -> &str {
        self.chars.get(self.i).map_or("", |(b, _)| &self.s[*b..])
    }
    fn ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.i += 1;
        }
    }
    fn err(&self, message: &str, hint: &str) -> SelectError {
        SelectError {
            field: self.field,
            input: self.s.to_string(),
            column: Some(self.i + 1),
            message: message.to_string(),
            hint: hint.to_string(),
        }
    }
    fn word(&mut self) -> String {
        let mut w = String::new();
        while let Some(c) = self.peek().filter(|c| word_char(*c)) {
            w.push(c);
            self.i += 1;
        }
        w
    }
    fn key(&mut self) -> Result<String, SelectError> {
        let k = self.word();
        if k.is_empty() {
            let msg = match self.peek() {
                Some(c) => format!("expected a label name, found `{c}`"),
                None => "expected a label name at the end".into(),
            };
            return Err(self.err(
                &msg,
                "a term is `key`, `!key`, `key=value`, `key!=value`, `key in (a,b)` or `key notin (a,b)`",
            ));
        }
        Ok(k)
    }
    fn value(&mut self, key: &str) -> Result<String, SelectError> {
        self.ws();
        let v = self.word();
        if v.is_empty() {
            return Err(self.err(
                &format!("label `{key}` has no value to compare with"),
                &format!(
                    "write a value, e.g. '{key}=r12'; `{key}` alone asks whether the label is set"
                ),
            ));
        }
        Ok(v)
    }

    fn requirement(&mut self) -> Result<Requirement, SelectError> {
        if self.peek() == Some('!') {
            self.i += 1;
            self.ws();
            let k = self.key()?;
            return Ok(Requirement::NotFlag(k));
        }
        let k = self.key()?;
        let before_ws = self.i;
        self.ws();
        match self.peek() {
            Some('=') => {
                self.i += 1;
                if self.peek() == Some('=') {
                    self.i += 1;
                }
                Ok(Requirement::Equals(k.clone(), self.value(&k)?))
            }
            Some('!') if self.chars.get(self.i + 1).map(|x| x.1) == Some('=') => {
                self.i += 2;
                Ok(Requirement::NotEquals(k.clone(), self.value(&k)?))
            }
            Some(c) if word_char(c) && self.i > before_ws => {
                let at = self.i;
                let op = self.word();
                let negate = match op.as_str() {
                    "in" => false,
                    "notin" => true,
                    _ => {
                        self.i = at;
                        return Err(self.err(
                            &format!(
                                "expected `=`, `!=`, `in` or `notin` after `{k}`, found `{op}`"
                            ),
                            &format!(
                                "write '{k} in ({op})', '{k}={op}', or separate terms with commas"
                            ),
                        ));
                    }
                };
                let values = self.set(&k, &op)?;
                Ok(if negate {
                    Requirement::NotIn(k, values)
                } else {
                    Requirement::In(k, values)
                })
            }
            _ => {
                self.i = before_ws;
                Ok(Requirement::Flag(k))
            }
        }
    }

    fn set(&mut self, key: &str, op: &str) -> Result<Vec<String>, SelectError> {
        let hint = format!("write a set in parentheses: '{key} {op} (db,web)'");
        self.ws();
        if self.peek() != Some('(') {
            return Err(self.err(&format!("expected `(` after `{key} {op}`"), &hint));
        }
        self.i += 1;
        let mut values = Vec::new();
        loop {
            self.ws();
            let v = self.word();
            if v.is_empty() {
                return Err(self.err(&format!("expected a value in the set of `{key}`"), &hint));
            }
            values.push(v);
            self.ws();
            match self.peek() {
                Some(',') => self.i += 1,
                Some(')') => {
                    self.i += 1;
                    return Ok(values);
                }
                Some(c) => {
                    return Err(self.err(&format!("unexpected `{c}` in the set of `{key}`"), &hint))
                }
                None => {
                    return Err(self.err(&format!("the set of `{key}` has no closing `)`"), &hint))
                }
            }
        }
    }
}
