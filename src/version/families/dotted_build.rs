//! Numbers then a build number: `52.16.3-3913` (HPE MR416i), `9.1.0 Build 36`
//! (HPE Intelligent Provisioning).
//!
//! SemVer would read `-3913` as a pre-release (older than `52.16.3`); the
//! vendors mean a build counter (newer builds, higher numbers), which is also
//! how Cray FAS had to treat `x.y.z-p`. Within one base that reading is safe.
//! Anywhere else the build number stands where the other side has a number
//! of its own — `52.16.3` (its implied `0`), `52.16.3.4000` (HPE writes
//! builds as a fourth number too: NS204i `1.0.14.1055`), or `52.16.3.0-4000`
//! (another base) — and the readings disagree, so the pair is unknown. Only
//! the numbers *before* the build can order it against anything else
//! (`52.16.3-3913` is older than `52.16.4` in every reading).

use crate::version::atoms::{strip_v, Dotted, Num};
use crate::version::compare::Judgement;
use crate::version::parsed::{Component, Role};

pub(crate) const RULE: &str =
    "numbers compared first; the build number only against another on the same base";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DottedBuild {
    base: Dotted,
    build: Num,
}

impl DottedBuild {
    pub(crate) fn base(&self) -> &Dotted {
        &self.base
    }

    pub(crate) fn build(&self) -> &Num {
        &self.build
    }

    /// This version against plain numbers `n` (or another reading's leading
    /// numbers): ordered by the numbers before the build, `None` when those
    /// are equal and the build number would face one of `n`'s numbers.
    pub(crate) fn cmp_numbers(&self, n: &Dotted) -> Option<std::cmp::Ordering> {
        match self.base.cmp_first(n, self.base.len()) {
            std::cmp::Ordering::Equal => None,
            ord => Some(ord),
        }
    }

    pub(crate) fn components(&self) -> Vec<Component> {
        vec![
            Component::new("numbers", self.base.to_string(), Role::Order),
            Component::new("build", self.build.to_string(), Role::Order),
        ]
    }
}

/// Reads `<n.n…>-<n>` or `<n.n…> Build <n>`; the numbers need at least two
/// parts so a date-like `2022-02` is not taken for a build.
pub(crate) fn parse(text: &str) -> Option<DottedBuild> {
    if let Some((base, build)) = strip_v(text).rsplit_once('-') {
        return Some(DottedBuild {
            base: Dotted::parse_multi(base)?,
            build: Num::dec(build)?,
        });
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        [base, word, build] if word.eq_ignore_ascii_case("build") => Some(DottedBuild {
            base: Dotted::parse_multi(strip_v(base))?,
            build: Num::dec(build)?,
        }),
        _ => None,
    }
}

pub(crate) fn judge(a: &DottedBuild, b: &DottedBuild) -> Judgement {
    let (la, lb) = (a.base.len(), b.base.len());
    match a.base.cmp_first(&b.base, la.min(lb)) {
        std::cmp::Ordering::Equal if la == lb => {
            Judgement::ordered("build", &a.build, &b.build, a.build.cmp_value(&b.build))
        }
        // `1.2-5` against `1.2.0-6`: the shorter base's build number stands
        // where the longer has a number.
        std::cmp::Ordering::Equal => Judgement::unknown(format!(
            "bases {} and {} differ in length: a build number compares only within one base",
            a.base, b.base
        )),
        ord => Judgement::ordered("numbers", &a.base, &b.base, ord),
    }
}
