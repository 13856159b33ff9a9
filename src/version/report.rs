//! [`CmpReport`]: the result of `fwfleet version-cmp A B`, which judges A
//! relative to B.
//!
//! The JSON form is a stable interface (keys `a`, `b`, `verdict`, `a_parsed`,
//! `b_parsed`); the text form leads with one grep-able line, `A <verdict> B`,
//! then says why and how each side was read.

use std::fmt::Write as _;

use serde::Serialize;

use super::compare::{judge, Verdict};
use super::parse::parse;
use super::parsed::ParsedVersion;
use super::scheme::VersionScheme;

/// `a` judged relative to `b`, with both readings.
#[derive(Debug, Clone, Serialize)]
pub struct CmpReport {
    /// The first string, as given.
    pub a: String,
    /// The second string, as given.
    pub b: String,
    /// `a` relative to `b`.
    pub verdict: Verdict,
    /// How `a` was read.
    pub a_parsed: ParsedVersion,
    /// How `b` was read.
    pub b_parsed: ParsedVersion,
    /// Which rule decided; in the text form only, so the JSON keys stay fixed.
    #[serde(skip)]
    pub reason: String,
}

/// Reads both strings under `scheme` and judges `a` relative to `b`.
pub fn cmp_report(a: &str, b: &str, scheme: Option<VersionScheme>) -> CmpReport {
    let (a_parsed, b_parsed) = (parse(a, scheme), parse(b, scheme));
    let judgement = judge(&a_parsed, &b_parsed);
    CmpReport {
        a: a.to_owned(),
        b: b.to_owned(),
        verdict: judgement.verdict,
        a_parsed,
        b_parsed,
        reason: judgement.reason,
    }
}

impl CmpReport {
    /// The text form. First line `A <older|same|newer|unknown> B`, e.g.
    /// `4.10 newer 4.2`; then `why:` and one `a:`/`b:` line per reading.
    pub fn render_text(&self) -> String {
        let mut out = format!(
            "{} {} {}\nwhy: {}\n",
            shown(&self.a),
            self.verdict,
            shown(&self.b),
            self.reason
        );
        describe(&mut out, "a", &self.a_parsed);
        describe(&mut out, "b", &self.b_parsed);
        out
    }
}

/// A version string as it may be printed: as typed, unless that would hide
/// something (empty, control characters, leading or trailing spaces): then a
/// quoted, escaped literal, so a line stays one line and a BMC's escape
/// sequences never reach the terminal. Inventories keep versions raw, so
/// every table that prints one goes through here.
pub fn shown(s: &str) -> String {
    let hidden = s.is_empty() || s.trim() != s || s.chars().any(char::is_control);
    if hidden {
        format!("{s:?}")
    } else {
        s.to_owned()
    }
}

fn describe(out: &mut String, side: &str, p: &ParsedVersion) {
    let _ = write!(out, "{side}: {}", p.family());
    if !p.is_comparable() {
        let _ = writeln!(out, ": {}", p.note());
        return;
    }
    for (i, c) in p.components().iter().enumerate() {
        let sep = if i == 0 { ": " } else { ", " };
        let _ = write!(out, "{sep}{}={} [{}]", c.name, c.value, c.role.as_str());
    }
    if let Some(scheme) = p.scheme() {
        let _ = write!(out, " (scheme {scheme})");
    }
    out.push('\n');
}
