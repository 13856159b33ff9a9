//! Numbers then a build number: `52.16.3-3913` (HPE MR416i), `9.1.0 Build 36`
//! (HPE Intelligent Provisioning).
//!
//! SemVer would read `-3913` as a pre-release (older than `52.16.3`); the
//! vendors mean a build counter (newer builds, higher numbers), which is also
//! how Cray FAS had to treat `x.y.z-p`. Within this family that reading is
//! safe; against a plain `52.16.3` the two readings disagree, so
//! [`crate::version::compare`] reports that pair as unknown.

use crate::version::atoms::{strip_v, Dotted, Num};
use crate::version::compare::Judgement;
use crate::version::parsed::{Component, Role};

pub(crate) const RULE: &str = "numbers compared first, then the build number";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DottedBuild {
    base: Dotted,
    build: Num,
}

impl DottedBuild {
    pub(crate) fn base(&self) -> &Dotted {
        &self.base
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
    match a.base.cmp_padded(&b.base) {
        std::cmp::Ordering::Equal => {
            Judgement::ordered("build", &a.build, &b.build, a.build.cmp_value(&b.build))
        }
        ord => Judgement::ordered("numbers", &a.base, &b.base, ord),
    }
}
