//! A build prefix, a dash and a version: Lenovo XCC `11A-1.02` (fwupd reads
//! it as build `11A`, version `1.02`), Cray `ex425.bios-1.6.3`.
//!
//! The prefix names a build line or component, not a point in time we can
//! order, so it must match; the version after it orders.

use crate::version::atoms::Dotted;
use crate::version::compare::Judgement;
use crate::version::parsed::{Component, Role};

pub(crate) const RULE: &str = "the build prefix must match; the version orders";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BuildPrefixed {
    build: String,
    version: Dotted,
}

impl BuildPrefixed {
    pub(crate) fn components(&self) -> Vec<Component> {
        vec![
            Component::new("build", self.build.clone(), Role::Match),
            Component::new("version", self.version.to_string(), Role::Order),
        ]
    }
}

/// Reads `<prefix>-<n.n…>` where the prefix is letters, digits, `.` and `_`,
/// starts with a letter or digit and holds at least one letter (so that
/// `1.2-3.4` is not a "build").
pub(crate) fn parse(text: &str) -> Option<BuildPrefixed> {
    let (build, version) = text.rsplit_once('-')?;
    let ok = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '_';
    let valid = build.starts_with(|c: char| c.is_ascii_alphanumeric())
        && build.chars().all(ok)
        && build.chars().any(|c| c.is_ascii_alphabetic());
    if !valid {
        return None;
    }
    Some(BuildPrefixed {
        build: build.to_owned(),
        version: Dotted::parse_multi(version)?,
    })
}

pub(crate) fn judge(a: &BuildPrefixed, b: &BuildPrefixed) -> Judgement {
    if !a.build.eq_ignore_ascii_case(&b.build) {
        return Judgement::unknown(format!(
            "different build prefixes ({} vs {})",
            a.build, b.build
        ));
    }
    Judgement::ordered(
        "version",
        &a.version,
        &b.version,
        a.version.cmp_padded(&b.version),
    )
}
