//! Numbers plus a suffix we cannot interpret: `1.2.3-hotfix1`, `2.1.0-p2`,
//! `4.0+custom`.
//!
//! A suffix may mean "before" (SemVer pre-release) or "after" (hotfix, patch,
//! build), so only the leading numbers order; equal numbers with different
//! suffixes are unknown. Reading these as opaque would lose the safe part,
//! reading them as SemVer would guess.

use crate::version::atoms::{strip_v, Dotted};
use crate::version::compare::Judgement;
use crate::version::parsed::{Component, Role};

pub(crate) const RULE: &str =
    "ordered by the leading numbers only; same numbers with different suffixes are not ordered";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Suffixed {
    base: Dotted,
    /// The separator and the rest, e.g. `-hotfix1`.
    suffix: String,
}

impl Suffixed {
    pub(crate) fn base(&self) -> &Dotted {
        &self.base
    }

    pub(crate) fn components(&self) -> Vec<Component> {
        vec![
            Component::new("numbers", self.base.to_string(), Role::Order),
            Component::new("suffix", self.suffix.clone(), Role::Tie),
        ]
    }
}

/// Reads `v?<n.n…>` followed by `-` or `+` and a suffix without spaces.
pub(crate) fn parse(text: &str) -> Option<Suffixed> {
    let t = strip_v(text);
    let end = t.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (head, tail) = t.split_at_checked(end)?;
    let base = Dotted::parse(head)?;
    let rest = tail.strip_prefix(['-', '+'])?;
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return None;
    }
    Some(Suffixed {
        base,
        suffix: tail.to_owned(),
    })
}

pub(crate) fn judge(a: &Suffixed, b: &Suffixed) -> Judgement {
    match a.base.cmp_padded(&b.base) {
        std::cmp::Ordering::Equal if a.suffix == b.suffix => {
            Judgement::same(format!("numbers {} and suffix {} equal", a.base, a.suffix))
        }
        std::cmp::Ordering::Equal => Judgement::unknown(format!(
            "same numbers {}, suffixes {} and {} have no known order",
            a.base, a.suffix, b.suffix
        )),
        ord => Judgement::ordered("numbers", &a.base, &b.base, ord),
    }
}
