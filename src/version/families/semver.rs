//! SemVer 2.0, read by the `semver` crate.
//!
//! Used whenever a BMC declares `VersionScheme: SemVer`. Without a scheme we
//! only claim strings whose pre-release tags are well-known words and numbers
//! (`1.2.3-rc.1`, `2.0.0-beta`), or that carry build metadata only
//! (`1.2.3+b5`): for those the SemVer meaning is what the vendor meant. A tag
//! like `rc10` is left to the `suffixed` reader, because SemVer orders it
//! before `rc2` (alphanumeric tags compare as text) and nobody means that.

use std::cmp::Ordering;

use crate::version::atoms::{strip_v, Dotted};
use crate::version::compare::Judgement;
use crate::version::parsed::{Component, Role};

pub(crate) const RULE: &str =
    "SemVer 2.0 precedence; versions that differ only in build metadata are not ordered";

/// Pre-release words whose "comes before the release" meaning is universal.
const PRE_RELEASE_WORDS: [&str; 6] = ["alpha", "beta", "rc", "pre", "preview", "dev"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SemVer {
    version: ::semver::Version,
    /// `major.minor.patch`, kept for comparisons across the numeric group.
    base: Dotted,
}

impl SemVer {
    fn new(version: ::semver::Version) -> Self {
        let base = Dotted::from_u64s(&[version.major, version.minor, version.patch]);
        SemVer { version, base }
    }

    pub(crate) fn base(&self) -> &Dotted {
        &self.base
    }

    pub(crate) fn components(&self) -> Vec<Component> {
        let mut out = vec![Component::new(
            "numbers",
            self.base.to_string(),
            Role::Order,
        )];
        if !self.version.pre.is_empty() {
            out.push(Component::new(
                "pre_release",
                self.version.pre.as_str(),
                Role::Order,
            ));
        }
        if !self.version.build.is_empty() {
            out.push(Component::new(
                "build_metadata",
                self.version.build.as_str(),
                Role::Tie,
            ));
        }
        out
    }
}

/// Reads exactly SemVer 2.0 (no `v`, no leading zeros), as `VersionScheme`
/// `SemVer` promises.
pub(crate) fn parse_strict(text: &str) -> Option<SemVer> {
    ::semver::Version::parse(text).ok().map(SemVer::new)
}

/// Reads SemVer only where its meaning is unambiguous (see the module docs).
pub(crate) fn parse_recognised(text: &str) -> Option<SemVer> {
    let v = ::semver::Version::parse(strip_v(text)).ok()?;
    let plain_pre = v.pre.is_empty() || is_plain_pre_release(v.pre.as_str());
    let has_extra = !v.pre.is_empty() || !v.build.is_empty();
    (plain_pre && has_extra).then(|| SemVer::new(v))
}

/// `rc.1`, `beta`, `dev.2.rc`: a known word first, then words or numbers.
fn is_plain_pre_release(pre: &str) -> bool {
    let is_word = |id: &str| PRE_RELEASE_WORDS.iter().any(|w| w.eq_ignore_ascii_case(id));
    let mut ids = pre.split('.');
    ids.next().is_some_and(is_word)
        && ids.all(|id| is_word(id) || id.bytes().all(|c| c.is_ascii_digit()))
}

pub(crate) fn judge(a: &SemVer, b: &SemVer) -> Judgement {
    let (x, y) = (&a.version, &b.version);
    match x.cmp_precedence(y) {
        Ordering::Equal if x.build == y.build => Judgement::same(format!("semver {x} = {y}")),
        Ordering::Equal => Judgement::unknown(format!(
            "same precedence, build metadata {} and {} differ",
            x.build, y.build
        )),
        ord => Judgement::ordered("semver precedence", x, y, ord),
    }
}
