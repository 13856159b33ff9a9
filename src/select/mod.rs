//! Which hosts and which component kinds a command acts on: the one grammar
//! every command that chooses hosts shares (`inventory`, `plan`, `apply`,
//! `status`, `POST /api/v1/runs`). Pure: it sees a host's name and labels,
//! never the config or the network.
//!
//! A host is chosen when
//!
//! 1. its name matches one of the `--hosts` patterns (none given: every host),
//! 2. and its labels satisfy every term of `--selector` (kubectl's grammar,
//!    comma = AND),
//! 3. and its name matches none of the `--exclude` patterns.
//!
//! | form | chooses |
//! |---|---|
//! | `bmc-0001` | the host of that name |
//! | `rack1-*`, `bmc-00[0-4]?`, `bmc-{a,b}` | names matching the glob |
//! | `a,b` (or `--hosts a --hosts b`) | any of them |
//! | `rack=r12` (or `==`) | hosts whose label `rack` is `r12` |
//! | `rack!=r12` | hosts whose `rack` is something else, or that have none |
//! | `role in (db,web)` | hosts whose `role` is `db` or `web` |
//! | `role notin (db,web)` | hosts whose `role` is neither, or that have none |
//! | `canary` | hosts with the label `canary`, unless its value is `false`, `no` or `0` |
//! | `!canary` | every other host |
//!
//! Module map: `names` (name patterns), `labels` (the label selector),
//! `tests`.

mod labels;
mod names;
#[cfg(test)]
mod tests;

pub use labels::{LabelSelector, Requirement};
pub use names::NamePatterns;

use crate::vocab::Kind;
use std::collections::BTreeMap;
use std::fmt;

/// Where the selection was written, so that an error names the flag (CLI)
/// or the body field (API) the operator has to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Cli,
    Api,
}

/// The three parts of a host selection, as the operator wrote them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Hosts,
    Selector,
    Exclude,
}

impl Source {
    /// `--hosts` or `hosts`.
    pub fn name(self, part: Part) -> &'static str {
        match (self, part) {
            (Source::Cli, Part::Hosts) => "--hosts",
            (Source::Cli, Part::Selector) => "--selector",
            (Source::Cli, Part::Exclude) => "--exclude",
            (Source::Api, Part::Hosts) => "hosts",
            (Source::Api, Part::Selector) => "selector",
            (Source::Api, Part::Exclude) => "exclude",
        }
    }
}

/// A selection that cannot be read: which part, the text, where in it
/// (1-based column) and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SelectError {
    pub field: &'static str,
    pub input: String,
    pub column: Option<usize>,
    pub message: String,
    pub hint: String,
}

impl fmt::Display for SelectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} '{}': {}", self.field, self.input, self.message)?;
        if let Some(c) = self.column {
            write!(f, " (column {c})")?;
        }
        write!(f, "\n  hint: {}", self.hint)
    }
}

/// A host selection, parsed. The default chooses every host.
#[derive(Debug, Clone, Default)]
pub struct HostSelector {
    include: NamePatterns,
    labels: LabelSelector,
    exclude: NamePatterns,
}

impl HostSelector {
    /// Parse the three parts; `hosts` and `exclude` items may each hold
    /// several comma-separated patterns.
    pub fn parse(
        hosts: &[String],
        selector: Option<&str>,
        exclude: &[String],
        source: Source,
    ) -> Result<HostSelector, SelectError> {
        Ok(HostSelector {
            include: NamePatterns::parse(hosts, source, Part::Hosts)?,
            labels: match selector {
                Some(s) => LabelSelector::parse(s, source)?,
                None => LabelSelector::default(),
            },
            exclude: NamePatterns::parse(exclude, source, Part::Exclude)?,
        })
    }

    /// Whether the host called `name`, with these labels, is chosen.
    pub fn matches(&self, name: &str, labels: &BTreeMap<String, String>) -> bool {
        (self.include.is_empty() || self.include.matches(name))
            && self.labels.matches(labels)
            && !self.exclude.matches(name)
    }

    /// Whether every host is chosen (nothing was asked for).
    pub fn is_everything(&self) -> bool {
        self.include.is_empty() && self.labels.is_empty() && self.exclude.is_empty()
    }

    /// The selection as the command line would write it, for messages
    /// ("no host … matches --hosts 'r1-*' --selector 'role=db'"); `*` for
    /// everything.
    pub fn describe(&self, source: Source) -> String {
        let mut parts = Vec::new();
        if !self.include.is_empty() {
            parts.push(format!(
                "{} '{}'",
                source.name(Part::Hosts),
                self.include.text()
            ));
        }
        if !self.labels.is_empty() {
            parts.push(format!("{} '{}'", source.name(Part::Selector), self.labels));
        }
        if !self.exclude.is_empty() {
            parts.push(format!(
                "{} '{}'",
                source.name(Part::Exclude),
                self.exclude.text()
            ));
        }
        if parts.is_empty() {
            "*".into()
        } else {
            parts.join(" ")
        }
    }
}

/// The component kinds a command acts on; empty means every kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Kinds(Vec<Kind>);

impl Kinds {
    pub fn new(kinds: &[Kind]) -> Kinds {
        let mut k = kinds.to_vec();
        k.sort();
        k.dedup();
        Kinds(k)
    }

    pub fn contains(&self, kind: Kind) -> bool {
        self.0.is_empty() || self.0.contains(&kind)
    }

    pub fn is_all(&self) -> bool {
        self.0.is_empty()
    }

    /// The kinds chosen, in [`Kind::ALL`] order.
    pub fn list(&self) -> Vec<Kind> {
        Kind::ALL
            .into_iter()
            .filter(|k| self.contains(*k))
            .collect()
    }
}

impl fmt::Display for Kinds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: Vec<&str> = self.list().iter().map(|k| k.as_str()).collect();
        f.write_str(&words.join(","))
    }
}
