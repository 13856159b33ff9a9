//! One letter and a number: Dell package revisions (`A17`), AMI/Gigabyte BIOS
//! (`C27`).
//!
//! The number counts releases within a letter; what a different letter means
//! varies by vendor (branch, platform), so letters must match.

use crate::version::atoms::Num;
use crate::version::compare::Judgement;
use crate::version::parsed::{Component, Role};

pub(crate) const RULE: &str = "the letter must match; the number orders";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LetterRevision {
    /// Uppercased.
    letter: char,
    number: Num,
}

impl LetterRevision {
    pub(crate) fn components(&self) -> Vec<Component> {
        vec![
            Component::new("letter", self.letter.to_string(), Role::Match),
            Component::new("number", self.number.to_string(), Role::Order),
        ]
    }
}

/// Reads one ASCII letter followed by one to four digits.
pub(crate) fn parse(text: &str) -> Option<LetterRevision> {
    let mut chars = text.chars();
    let letter = chars.next().filter(char::is_ascii_alphabetic)?;
    let digits = chars.as_str();
    if digits.len() > 4 {
        return None;
    }
    Some(LetterRevision {
        letter: letter.to_ascii_uppercase(),
        number: Num::dec(digits)?,
    })
}

pub(crate) fn judge(a: &LetterRevision, b: &LetterRevision) -> Judgement {
    if a.letter != b.letter {
        return Judgement::unknown(format!(
            "different letters ({} vs {}): not the same release line",
            a.letter, b.letter
        ));
    }
    Judgement::ordered(
        "revision",
        &a.number,
        &b.number,
        a.number.cmp_value(&b.number),
    )
}
