//! SemVer 2.0, and numbers with a pre-release tag whose meaning is universal.
//!
//! Two ways into this family:
//!
//! - *declared*: the BMC says `VersionScheme: SemVer`, so the string is read
//!   strictly by the `semver` crate and SemVer precedence applies in full:
//!   any `-` suffix is a pre-release, older than its release (`1.0.0-rc1`
//!   and `52.16.3-3913` both order below their release).
//! - *recognised* (no scheme): a `-` suffix is read as a pre-release only
//!   when its first identifier is one of the words `alpha`, `beta`, `rc`,
//!   `pre`, `dev`, optionally followed by digits (`rc1`, `beta.2`,
//!   `rc.1.2`), on two or more numbers (`1.0-rc1`, `2.15.0-dev`). Any other
//!   suffix may mean "after" (hotfix, patch, build) and is left to the
//!   `dotted_build` and `suffixed` readers. Build metadata alone (`1.2.3+b5`)
//!   is recognised in the strict SemVer shape only.
//!
//! Two recognised pre-releases of one base are ordered only where SemVer
//! precedence and the plain reading agree: `rc.1 < rc.2`, `alpha < beta <
//! rc`, `rc1 < rc2`; but `rc10` against `rc2` (SemVer compares `rc10` as
//! text, before `rc2`; the digits say after) and `dev` or `pre` against
//! another word (projects rank them differently) stay unknown. A declared
//! and a recognised pre-release of one base are not ordered either: one side
//! follows SemVer to the letter, the other only where it is unambiguous, and
//! mixing the two would break transitivity.

use std::cmp::Ordering;

use ::semver::{BuildMetadata, Prerelease};

use crate::version::atoms::{strip_v, Dotted};
use crate::version::compare::Judgement;
use crate::version::parsed::{Component, Role};

pub(crate) const RULE: &str = "SemVer 2.0 precedence: a pre-release orders below its release; \
     versions that differ only in build metadata are not ordered";

/// Pre-release words whose "comes before the release" meaning is universal.
const PRE_RELEASE_WORDS: [&str; 5] = ["alpha", "beta", "rc", "pre", "dev"];

/// The words every convention ranks the same way (SemVer's text order,
/// PEP 440, Debian and RPM practice); `pre` and `dev` are ranked differently
/// by different projects, so they only compare with themselves.
const RANKED_WORDS: [&str; 3] = ["alpha", "beta", "rc"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SemVer {
    /// The numbers before the tag: `major.minor.patch` when declared, as
    /// written (two or more parts, leading zeros kept) when recognised.
    base: Dotted,
    pre: Prerelease,
    build: BuildMetadata,
    /// Read under `VersionScheme: SemVer`.
    declared: bool,
}

impl SemVer {
    fn strict(version: ::semver::Version) -> Self {
        SemVer {
            base: Dotted::from_u64s(&[version.major, version.minor, version.patch]),
            pre: version.pre,
            build: version.build,
            declared: true,
        }
    }

    pub(crate) fn base(&self) -> &Dotted {
        &self.base
    }

    /// Whether this is a pre-release: older than the same numbers released.
    pub(crate) fn is_pre_release(&self) -> bool {
        !self.pre.is_empty()
    }

    fn text(&self) -> String {
        let mut s = self.base.to_string();
        if !self.pre.is_empty() {
            s.push('-');
            s.push_str(self.pre.as_str());
        }
        if !self.build.is_empty() {
            s.push('+');
            s.push_str(self.build.as_str());
        }
        s
    }

    pub(crate) fn components(&self) -> Vec<Component> {
        let mut out = vec![Component::new(
            "numbers",
            self.base.to_string(),
            Role::Order,
        )];
        if !self.pre.is_empty() {
            out.push(Component::new(
                "pre_release",
                self.pre.as_str(),
                Role::Order,
            ));
        }
        if !self.build.is_empty() {
            out.push(Component::new(
                "build_metadata",
                self.build.as_str(),
                Role::Tie,
            ));
        }
        out
    }
}

/// Reads exactly SemVer 2.0 (no `v`, no leading zeros), as `VersionScheme`
/// `SemVer` promises.
pub(crate) fn parse_strict(text: &str) -> Option<SemVer> {
    ::semver::Version::parse(text).ok().map(SemVer::strict)
}

/// Reads a pre-release or build metadata only where its meaning is
/// unambiguous (see the module docs).
pub(crate) fn parse_recognised(text: &str) -> Option<SemVer> {
    let t = strip_v(text);
    let (main, build) = match t.split_once('+') {
        Some((main, build)) => (main, BuildMetadata::new(build).ok()?),
        None => (t, BuildMetadata::EMPTY),
    };
    let Some((numbers, tag)) = main.split_once('-') else {
        // Build metadata only: the strict SemVer shape, or it is no SemVer.
        return (!build.is_empty())
            .then(|| ::semver::Version::parse(t).ok())
            .flatten()
            .map(|v| SemVer {
                declared: false,
                ..SemVer::strict(v)
            });
    };
    if !is_plain_pre_release(tag) {
        return None;
    }
    Some(SemVer {
        base: Dotted::parse_multi(numbers)?,
        pre: Prerelease::new(tag).ok()?,
        build,
        declared: false,
    })
}

/// `rc1`, `rc.1`, `beta`, `dev.2.rc`: a known word (digits may follow it)
/// first, then known words or numbers.
fn is_plain_pre_release(pre: &str) -> bool {
    let mut ids = pre.split('.');
    ids.next().and_then(word_and_digits).is_some()
        && ids.all(|id| is_number(id) || word_and_digits(id).is_some())
}

fn is_number(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|c| c.is_ascii_digit())
}

/// `rc12` → (`rc`, `12`), `beta` → (`beta`, ``), for the known words only.
fn word_and_digits(id: &str) -> Option<(&str, &str)> {
    let split = id
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(id.len());
    let (word, digits) = id.split_at_checked(split)?;
    let known = PRE_RELEASE_WORDS
        .iter()
        .any(|w| w.eq_ignore_ascii_case(word));
    (known && (digits.is_empty() || is_number(digits))).then_some((word, digits))
}

/// The plain reading of two recognised tags, identifier by identifier:
/// numbers by value, the same word by its digits, ranked words by rank.
/// `None` where that reading has no answer.
fn plain_order(a: &Prerelease, b: &Prerelease) -> Option<Ordering> {
    let (mut xs, mut ys) = (a.as_str().split('.'), b.as_str().split('.'));
    loop {
        let ord = match (xs.next(), ys.next()) {
            (None, None) => return Some(Ordering::Equal),
            (Some(x), Some(y)) => identifier_order(x, y)?,
            // `rc` against `rc.1`: SemVer says the shorter is older, but a
            // vendor may mean "rc" to be "rc.0"; not ordered.
            _ => return None,
        };
        if ord != Ordering::Equal {
            return Some(ord);
        }
    }
}

fn identifier_order(x: &str, y: &str) -> Option<Ordering> {
    if is_number(x) && is_number(y) {
        return Some(numeric(x, y));
    }
    let ((wx, dx), (wy, dy)) = (word_and_digits(x)?, word_and_digits(y)?);
    if wx.eq_ignore_ascii_case(wy) {
        return match (dx.is_empty(), dy.is_empty()) {
            (true, true) => Some(Ordering::Equal),
            (false, false) => Some(numeric(dx, dy)),
            // `rc` against `rc1`: not ordered, like `rc` against `rc.1`.
            _ => None,
        };
    }
    let rank = |w: &str| RANKED_WORDS.iter().position(|r| r.eq_ignore_ascii_case(w));
    Some(rank(wx)?.cmp(&rank(wy)?))
}

/// Digit strings by value.
fn numeric(x: &str, y: &str) -> Ordering {
    let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
    x.len().cmp(&y.len()).then_with(|| x.cmp(y))
}

pub(crate) fn judge(a: &SemVer, b: &SemVer) -> Judgement {
    let (x, y) = (a.text(), b.text());
    match a.base.cmp_padded(&b.base) {
        Ordering::Equal => {}
        ord => return Judgement::ordered("numbers", &a.base, &b.base, ord),
    }
    match (a.is_pre_release(), b.is_pre_release()) {
        (false, false) => {}
        (true, false) => {
            return Judgement::ordered("pre-release before its release:", &x, &y, Ordering::Less)
        }
        (false, true) => {
            return Judgement::ordered("release after its pre-release:", &x, &y, Ordering::Greater)
        }
        (true, true) => {
            let precedence = a.pre.cmp(&b.pre);
            let agreed = match (a.declared, b.declared) {
                (true, true) => Some(precedence),
                (false, false) => plain_order(&a.pre, &b.pre).filter(|o| *o == precedence),
                _ => {
                    return Judgement::unknown(format!(
                        "pre-releases {x} and {y}: one declared SemVer, the other only recognised; not ordered"
                    ))
                }
            };
            match agreed {
                Some(Ordering::Equal) => {}
                Some(ord) => return Judgement::ordered("semver precedence", &x, &y, ord),
                None => {
                    return Judgement::unknown(format!(
                        "pre-releases {x} and {y}: SemVer precedence and the plain reading of the tags disagree or say nothing"
                    ))
                }
            }
        }
    }
    if a.build == b.build {
        Judgement::same(format!("semver {x} = {y}"))
    } else {
        Judgement::unknown(format!(
            "same precedence, build metadata {} and {} differ",
            a.build, b.build
        ))
    }
}
