//! Building blocks shared by the family readers.
//!
//! Numbers are kept as the digit strings the vendor wrote, never converted to
//! machine integers: a BMC may report any number of digits, and a comparison
//! by length-then-digits after stripping leading zeros is exact for every
//! length, cannot overflow and keeps the original text for display
//! (`04.04.04.053` stays readable in the CLI output).

use std::cmp::Ordering;
use std::fmt;

/// A non-negative integer of any length, decimal or hexadecimal, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Num {
    raw: String,
}

impl Num {
    /// Reads a run of ASCII decimal digits; `None` for anything else.
    pub(crate) fn dec(s: &str) -> Option<Self> {
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())).then(|| Num { raw: s.to_owned() })
    }

    /// Reads a run of ASCII hexadecimal digits (either case).
    pub(crate) fn hex(s: &str) -> Option<Self> {
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_hexdigit()))
            .then(|| Num { raw: s.to_owned() })
    }

    /// The digits as the vendor wrote them.
    pub(crate) fn raw(&self) -> &str {
        &self.raw
    }

    /// The digits without leading zeros (`"0"` for zero).
    fn significant(&self) -> &str {
        let t = self.raw.trim_start_matches('0');
        if t.is_empty() {
            "0"
        } else {
            t
        }
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.significant() == "0"
    }

    /// Compares by value. Longer significant digit strings are larger; equal
    /// lengths compare digit by digit, case-insensitively so hex `0x0d` equals
    /// `0x0D` (ASCII puts `0-9` before `a-f`, which is numeric order).
    pub(crate) fn cmp_value(&self, other: &Num) -> Ordering {
        let (a, b) = (self.significant(), other.significant());
        a.len().cmp(&b.len()).then_with(|| {
            a.bytes()
                .map(|c| c.to_ascii_lowercase())
                .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
        })
    }
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Dot-separated integers such as `5.10.00.00` or `04.04.04.053`.
///
/// Comparison pads the shorter run with zeros, so `5.10` equals `5.10.00.00`:
/// Dell reports the same iDRAC release both ways, and every ordering rule we
/// know (Redfish `DotIntegerNotation`, SemVer cores) agrees on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dotted {
    parts: Vec<Num>,
}

impl Dotted {
    /// Reads `^\d+(\.\d+)*$`; `None` for anything else.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let parts = s.split('.').map(Num::dec).collect::<Option<Vec<_>>>()?;
        Some(Dotted { parts })
    }

    /// Like [`Dotted::parse`] but needs at least two parts, for places where a
    /// lone integer would be too eager a match (`999-9` is not `version-build`).
    pub(crate) fn parse_multi(s: &str) -> Option<Self> {
        Self::parse(s).filter(|d| d.parts.len() >= 2)
    }

    /// Like [`Dotted::parse`] after dropping one leading `v`/`V` (`v1.42`).
    pub(crate) fn parse_v(s: &str) -> Option<Self> {
        Self::parse(strip_v(s))
    }

    pub(crate) fn from_u64s(parts: &[u64]) -> Self {
        Dotted {
            parts: parts.iter().map(|n| Num { raw: n.to_string() }).collect(),
        }
    }

    /// How many numbers were written.
    pub(crate) fn len(&self) -> usize {
        self.parts.len()
    }

    /// Compares the first `k` numbers of each side, missing ones counting
    /// as 0: where a build number stands after `k` numbers, only those
    /// numbers can order it.
    pub(crate) fn cmp_first(&self, other: &Dotted, k: usize) -> Ordering {
        for i in 0..k {
            let ord = match (self.parts.get(i), other.parts.get(i)) {
                (Some(a), Some(b)) => a.cmp_value(b),
                (Some(a), None) => zero_cmp(a),
                (None, Some(b)) => zero_cmp(b).reverse(),
                (None, None) => Ordering::Equal,
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    }

    pub(crate) fn cmp_padded(&self, other: &Dotted) -> Ordering {
        self.cmp_first(other, self.parts.len().max(other.parts.len()))
    }
}

fn zero_cmp(n: &Num) -> Ordering {
    if n.is_zero() {
        Ordering::Equal
    } else {
        Ordering::Greater
    }
}

impl fmt::Display for Dotted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.parts.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            f.write_str(p.raw())?;
        }
        Ok(())
    }
}

/// Drops one leading `v` or `V` when a digit follows (`v2.72`, `V1.0`).
pub(crate) fn strip_v(s: &str) -> &str {
    match s.strip_prefix(['v', 'V']) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
        _ => s,
    }
}

/// A calendar date as printed in HPE strings; validated, never used to order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Date {
    year: u16,
    month: u8,
    day: u8,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

impl Date {
    /// Builds a date from digit strings: a four-digit year, month 1–12, day 1–31.
    pub(crate) fn from_digits(year: &str, month: &str, day: &str) -> Option<Self> {
        let month = small(month, 2)?;
        Self::new(year, month, day)
    }

    /// Builds a date with an English month name (`May`, `oct`), as iLO prints.
    pub(crate) fn from_month_name(year: &str, month: &str, day: &str) -> Option<Self> {
        let pos = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month))?;
        let month = u8::try_from(pos).ok()?.checked_add(1)?;
        Self::new(year, month, day)
    }

    fn new(year: &str, month: u8, day: &str) -> Option<Self> {
        if year.len() != 4 || !year.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let year = year.parse::<u16>().ok()?;
        let day = small(day, 2)?;
        ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(Date { year, month, day })
    }

    /// Reads `MM/DD/YYYY`, the format inside HPE ROM parentheses.
    pub(crate) fn parse_us_slashes(s: &str) -> Option<Self> {
        let mut it = s.split('/');
        let (m, d, y) = (it.next()?, it.next()?, it.next()?);
        if it.next().is_some() {
            return None;
        }
        Self::from_digits(y, m, d)
    }
}

/// Parses one or two ASCII digits.
fn small(s: &str, max_len: usize) -> Option<u8> {
    if s.is_empty() || s.len() > max_len || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}
