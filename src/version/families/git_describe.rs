//! `git describe` output: `<tag>-<commits>-g<hash>`, e.g. OpenBMC
//! `2.15.0-dev-686-g100c36de90`, NVIDIA BlueField BMC `2.8.2-20-gfc1389898`.
//!
//! What git guarantees, and all we use: the tag is an ancestor of the build.
//! So tags order builds, and a build N > 0 commits after a tag is newer than
//! the tagged commit itself. Two builds after the same tag may sit on
//! different branches, so their commit counts do not order them.

use std::cmp::Ordering;

use crate::version::atoms::{strip_v, Dotted, Num};
use crate::version::compare::{Judgement, Verdict};
use crate::version::parsed::{Component, Role};

pub(crate) const RULE: &str = "ordered by tag; a build after a tag is newer than the tag itself; \
     two different builds after the same tag are not ordered";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GitDescribe {
    tag_base: Dotted,
    /// The tag's text after its numbers, e.g. `dev` in `2.15.0-dev`.
    tag_suffix: Option<String>,
    distance: Num,
    /// Abbreviated commit hash, lowercased.
    hash: String,
}

impl GitDescribe {
    pub(crate) fn tag_base(&self) -> &Dotted {
        &self.tag_base
    }

    fn tag(&self) -> String {
        match &self.tag_suffix {
            Some(s) => format!("{}-{s}", self.tag_base),
            None => self.tag_base.to_string(),
        }
    }

    fn same_tag(&self, other: &GitDescribe) -> bool {
        match (&self.tag_suffix, &other.tag_suffix) {
            (None, None) => true,
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        }
    }

    pub(crate) fn components(&self) -> Vec<Component> {
        vec![
            Component::new("tag", self.tag(), Role::Order),
            Component::new("commits_after_tag", self.distance.to_string(), Role::Order),
            Component::new("commit", self.hash.clone(), Role::Tie),
        ]
    }
}

/// Reads `v?<n.n…>[-<tag suffix>]-<n>-g<4..40 hex digits>`.
pub(crate) fn parse(text: &str) -> Option<GitDescribe> {
    let mut it = text.rsplitn(3, '-');
    let (hash, distance, tag) = (it.next()?, it.next()?, it.next()?);
    let hash = hash.strip_prefix('g')?;
    if !(4..=40).contains(&hash.len()) || !hash.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let tag = strip_v(tag);
    let (base, suffix) = match tag.split_once('-') {
        Some((base, suffix)) => (base, Some(suffix)),
        None => (tag, None),
    };
    if let Some(s) = suffix {
        let ok = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
        if s.is_empty() || !s.chars().all(ok) {
            return None;
        }
    }
    Some(GitDescribe {
        tag_base: Dotted::parse(base)?,
        tag_suffix: suffix.map(str::to_owned),
        distance: Num::dec(distance)?,
        hash: hash.to_ascii_lowercase(),
    })
}

pub(crate) fn judge(a: &GitDescribe, b: &GitDescribe) -> Judgement {
    match a.tag_base.cmp_padded(&b.tag_base) {
        Ordering::Equal => {}
        ord => return Judgement::ordered("tag", a.tag(), b.tag(), ord),
    }
    if !a.same_tag(b) {
        return Judgement::unknown(format!(
            "tags {} and {} share numbers but not the rest",
            a.tag(),
            b.tag()
        ));
    }
    let (tag, da, db) = (a.tag(), &a.distance, &b.distance);
    match (da.cmp_value(db), da.is_zero(), db.is_zero()) {
        (Ordering::Equal, _, _) if a.hash == b.hash => {
            Judgement::same(format!("same tag {tag}, same commit {}", a.hash))
        }
        (Ordering::Equal, _, _) => Judgement::unknown(format!(
            "same tag {tag} and commit count, different commits {} and {}",
            a.hash, b.hash
        )),
        (_, true, _) => Judgement::decided(
            Verdict::Older,
            format!("a is tag {tag} itself, b is {db} commits after it"),
        ),
        (_, _, true) => Judgement::decided(
            Verdict::Newer,
            format!("a is {da} commits after tag {tag}, b is the tag itself"),
        ),
        _ => Judgement::unknown(format!(
            "both built after tag {tag} ({da} and {db} commits), possibly on different branches"
        )),
    }
}
