//! Judging one reading relative to another.
//!
//! The result is a partial order: within a family each reader defines the
//! order, across families almost everything is [`Verdict::Unknown`]. The one
//! exception is the *numeric group* (dotted, dotted_build, semver,
//! git_describe, suffixed): all of them start with dot-separated integers that
//! every reading agrees dominate the rest, so `52.16.3-3913` is older than
//! `52.16.4` whether `-3913` is a build number or a SemVer pre-release. When
//! those leading numbers are equal the readings disagree on what the rest
//! means, so the verdict is unknown, with two refinements:
//!
//! - a pre-release (`semver` with a tag: `1.0.0-rc1`, or any `-` suffix under
//!   `VersionScheme: SemVer`) is older than the same numbers released as
//!   plain dotted integers (`1.0.0`);
//! - a build number (`dotted_build`) stands right after its base, where the
//!   other side may have a number of its own: `52.16.3-3913` against
//!   `52.16.3.4000` or `52.16.3` is unknown, because only the numbers before
//!   the build can order it; a build number compares only with another one
//!   on the same base.
//!
//! Why this stays a consistent partial order (the property tests check it):
//! every numeric-group reading is a sequence — its numbers, zeros for ever
//! after them, then its tail — compared element by element, where numbers
//! order among themselves, a build number only against a build number in the
//! same place, and tails by their family's rule (a pre-release below a plain
//! release). Labels and `match` components act as exact keys, and
//! cross-family verdicts are never "same".

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::atoms::Dotted;
use super::families::{
    build_prefixed, dotted, dotted_build, git_describe, hex, hpe_rom, ilo, letter, semver, suffixed,
};
use super::parsed::{ParsedVersion, Reading};

/// How `a` stands relative to `b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// `a` is older than `b`.
    Older,
    /// `a` and `b` name the same version.
    Same,
    /// `a` is newer than `b`.
    Newer,
    /// No safe ordering: different families, junk, or an ambiguous tie.
    Unknown,
}

impl Verdict {
    /// The verdict with the sides swapped: `Older` ↔ `Newer`.
    pub fn reverse(self) -> Self {
        match self {
            Verdict::Older => Verdict::Newer,
            Verdict::Newer => Verdict::Older,
            other => other,
        }
    }

    /// `older`, `same`, `newer` or `unknown`, as JSON and text print it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Older => "older",
            Verdict::Same => "same",
            Verdict::Newer => "newer",
            Verdict::Unknown => "unknown",
        }
    }

    fn from_ordering(ord: Ordering) -> Self {
        match ord {
            Ordering::Less => Verdict::Older,
            Ordering::Equal => Verdict::Same,
            Ordering::Greater => Verdict::Newer,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A verdict with the reason, for plans and `version-cmp` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// `a` relative to `b`.
    pub verdict: Verdict,
    /// Which rule decided, lowercase, e.g. `numbers 4.10 > 4.2`.
    pub reason: String,
}

impl Judgement {
    pub(crate) fn unknown(reason: impl Into<String>) -> Self {
        Judgement {
            verdict: Verdict::Unknown,
            reason: reason.into(),
        }
    }

    /// A verdict from an ordering of the named part, e.g. `version 2.72 < 2.80`.
    pub(crate) fn ordered(
        what: &str,
        a: impl fmt::Display,
        b: impl fmt::Display,
        ord: Ordering,
    ) -> Self {
        let sym = match ord {
            Ordering::Less => "<",
            Ordering::Equal => "=",
            Ordering::Greater => ">",
        };
        Judgement {
            verdict: Verdict::from_ordering(ord),
            reason: format!("{what} {a} {sym} {b}"),
        }
    }

    /// `a` and `b` name the same version.
    pub(crate) fn same(reason: impl Into<String>) -> Self {
        Judgement {
            verdict: Verdict::Same,
            reason: reason.into(),
        }
    }

    /// An `Older`/`Newer` verdict that no single part ordering expresses.
    pub(crate) fn decided(verdict: Verdict, reason: impl Into<String>) -> Self {
        Judgement {
            verdict,
            reason: reason.into(),
        }
    }
}

/// Judges `a` relative to `b` with the reason; see the module docs for rules.
pub fn judge(a: &ParsedVersion, b: &ParsedVersion) -> Judgement {
    if let Reading::Unparsable(why) = &a.reading {
        return Judgement::unknown(format!("a is not a version: {why}"));
    }
    if let Reading::Unparsable(why) = &b.reading {
        return Judgement::unknown(format!("b is not a version: {why}"));
    }
    if !labels_match(a.label.as_deref(), b.label.as_deref()) {
        return Judgement::unknown(format!(
            "labels differ ({} vs {}): they may name different components",
            a.label.as_deref().unwrap_or("none"),
            b.label.as_deref().unwrap_or("none"),
        ));
    }
    match (&a.reading, &b.reading) {
        (Reading::SemVer(x), Reading::SemVer(y)) => semver::judge(x, y),
        (Reading::Dotted(x), Reading::Dotted(y)) => dotted::judge(x, y),
        (Reading::DottedBuild(x), Reading::DottedBuild(y)) => dotted_build::judge(x, y),
        (Reading::GitDescribe(x), Reading::GitDescribe(y)) => git_describe::judge(x, y),
        (Reading::Suffixed(x), Reading::Suffixed(y)) => suffixed::judge(x, y),
        (Reading::HpeRom(x), Reading::HpeRom(y)) => hpe_rom::judge(x, y),
        (Reading::Ilo(x), Reading::Ilo(y)) => ilo::judge(x, y),
        (Reading::LetterRevision(x), Reading::LetterRevision(y)) => letter::judge(x, y),
        (Reading::Hex(x), Reading::Hex(y)) => hex::judge(x, y),
        (Reading::BuildPrefixed(x), Reading::BuildPrefixed(y)) => build_prefixed::judge(x, y),
        (Reading::Opaque(x), Reading::Opaque(y)) if x == y => {
            Judgement::same("identical strings of no known format")
        }
        (Reading::Opaque(_), Reading::Opaque(_)) => {
            Judgement::unknown("different strings of no known format cannot be ordered")
        }
        (x, y) => across_families(x, y),
    }
}

/// Judges `a` relative to `b`; [`judge`] without the reason.
pub fn compare_parsed(a: &ParsedVersion, b: &ParsedVersion) -> Verdict {
    judge(a, b).verdict
}

/// Labels are names, so case and spacing do not matter (spacing is already
/// collapsed when parsing); absence only matches absence, because "no label"
/// is not evidence of "the same component".
fn labels_match(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

fn across_families(a: &Reading, b: &Reading) -> Judgement {
    let (fa, fb) = (a.family(), b.family());
    let (Some(x), Some(y)) = (numeric_base(a), numeric_base(b)) else {
        return Judgement::unknown(format!("different families ({fa} vs {fb})"));
    };
    let with_build = match (a, b) {
        (Reading::DottedBuild(d), _) => Some((d, y, false)),
        (_, Reading::DottedBuild(d)) => Some((d, x, true)),
        _ => None,
    };
    if let Some((d, other, swapped)) = with_build {
        return match d.cmp_numbers(other) {
            Some(ord) => {
                let ord = if swapped { ord.reverse() } else { ord };
                Judgement::ordered("leading numbers", x, y, ord)
            }
            None => Judgement::unknown(format!(
                "same numbers {}, then build number {} where {other} has its next number: \
                 a build number compares only within one base",
                d.base(),
                d.build()
            )),
        };
    }
    match x.cmp_padded(y) {
        Ordering::Equal => match (pre_release(a), pre_release(b)) {
            (true, false) if is_release(b) => Judgement::decided(
                Verdict::Older,
                format!("a is a pre-release of {x}, b is {x} released"),
            ),
            (false, true) if is_release(a) => Judgement::decided(
                Verdict::Newer,
                format!("a is {x} released, b a pre-release of it"),
            ),
            _ => Judgement::unknown(format!(
                "same leading numbers {x}, but {fa} and {fb} give the rest different meanings"
            )),
        },
        ord => Judgement::ordered("leading numbers", x, y, ord),
    }
}

/// A SemVer pre-release: older than its release.
fn pre_release(r: &Reading) -> bool {
    matches!(r, Reading::SemVer(v) if v.is_pre_release())
}

/// Plain numbers: the release itself, with nothing after it.
fn is_release(r: &Reading) -> bool {
    matches!(r, Reading::Dotted(_))
}

/// The leading integers of a numeric-group reading.
fn numeric_base(r: &Reading) -> Option<&Dotted> {
    match r {
        Reading::Dotted(d) => Some(d),
        Reading::DottedBuild(v) => Some(v.base()),
        Reading::SemVer(v) => Some(v.base()),
        Reading::GitDescribe(v) => Some(v.tag_base()),
        Reading::Suffixed(v) => Some(v.base()),
        _ => None,
    }
}
