//! Dot-separated integers: `5.10.00.00`, `04.04.04.053`, `1.0.14.1055`, `238`.
//!
//! The most common vendor format and the one naive tools break: `4.10` is
//! newer than `4.2` and `1.15.0` newer than `1.5.2` because each part is an
//! integer, not a decimal fraction or a string.

use crate::version::atoms::Dotted;
use crate::version::compare::Judgement;

pub(crate) const RULE: &str =
    "integers compared left to right; leading zeros ignored; missing trailing parts count as 0";

/// Reads `^v?\d+(\.\d+)*$`; the `v` is presentation (`v1.42`).
pub(crate) fn parse(text: &str) -> Option<Dotted> {
    Dotted::parse_v(text)
}

/// Reads Redfish `DotIntegerNotation` exactly: `^\d+(\.\d+)*$`.
pub(crate) fn parse_strict(text: &str) -> Option<Dotted> {
    Dotted::parse(text)
}

pub(crate) fn judge(a: &Dotted, b: &Dotted) -> Judgement {
    Judgement::ordered("numbers", a, b, a.cmp_padded(b))
}
