//! Hexadecimal values: HPE CPLD `0x0D`, `0x0F`.
//!
//! Compared as numbers, so `0x0D` equals `0x00d`. Without a scheme only the
//! `0x` form is recognised: a bare `ff` or `12` could as well be text or
//! decimal, and we do not guess; `--scheme hex` vouches for bare digits.

use crate::version::atoms::Num;
use crate::version::compare::Judgement;
use crate::version::parsed::{Component, Role};

pub(crate) const RULE: &str = "hexadecimal value compared as a number";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hex {
    digits: Num,
}

impl Hex {
    pub(crate) fn components(&self) -> Vec<Component> {
        vec![Component::new("value", self.to_string(), Role::Order)]
    }
}

impl std::fmt::Display for Hex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "0x{}", self.digits)
    }
}

/// Reads `0x<hex digits>` (either case of `x` and digits).
pub(crate) fn parse(text: &str) -> Option<Hex> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))?;
    Num::hex(digits).map(|digits| Hex { digits })
}

/// Reads `0x<hex>` or bare hex digits, when the caller said "hex".
pub(crate) fn parse_forced(text: &str) -> Option<Hex> {
    parse(text).or_else(|| Num::hex(text).map(|digits| Hex { digits }))
}

pub(crate) fn judge(a: &Hex, b: &Hex) -> Judgement {
    Judgement::ordered("value", a, b, a.digits.cmp_value(&b.digits))
}
