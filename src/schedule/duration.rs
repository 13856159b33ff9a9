//! Humane durations as written in the config: `4h`, `90m`, `1h30m`, `2d`.
//!
//! Units are `d`, `h`, `m`, `s`, each at most once and largest first, so a
//! string reads one way only (`1h30m`, never `30m1h`). Durations here are
//! elapsed time: `1d` is 24 hours even across a daylight-saving change.

use std::fmt;
use std::time::Duration;

const UNITS: [(char, u64); 4] = [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];

/// Parse `4h`, `90m`, `1h30m`, `1h 30m`, `2d`, `45s`. Zero is allowed here;
/// callers that need a positive duration say so in their own error.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    const HINT: &str =
        "write a number and a unit (d, h, m, s), largest first, e.g. \"4h\", \"90m\" or \"1h30m\"";
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err(format!("is empty; {HINT}"));
    }
    let mut secs: u64 = 0;
    let mut next_unit = 0;
    let mut digits = String::new();
    for c in compact.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = c.to_ascii_lowercase();
        let Some(pos) = UNITS.iter().position(|(u, _)| *u == unit) else {
            return Err(format!("`{text}`: unknown unit `{c}`; {HINT}"));
        };
        if digits.is_empty() {
            return Err(format!("`{text}`: `{c}` has no number before it; {HINT}"));
        }
        if pos < next_unit {
            return Err(format!(
                "`{text}`: units repeat or are out of order; {HINT}"
            ));
        }
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("`{text}`: `{digits}` is too large; {HINT}"))?;
        secs = n
            .checked_mul(UNITS[pos].1)
            .and_then(|s| secs.checked_add(s))
            .ok_or_else(|| format!("`{text}` is too large; {HINT}"))?;
        digits.clear();
        next_unit = pos + 1;
    }
    if !digits.is_empty() {
        return Err(format!("`{text}`: `{digits}` has no unit; {HINT}"));
    }
    Ok(Duration::from_secs(secs))
}

/// A duration in the form [`parse_duration`] reads, for messages: `1h30m`.
pub fn fmt_duration(d: Duration) -> String {
    HumanDuration(d).to_string()
}

/// Displays a duration as `1h30m` (sub-second parts are dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0.as_secs();
        if rest == 0 {
            return f.write_str("0s");
        }
        for (unit, size) in UNITS {
            if rest >= size {
                write!(f, "{}{unit}", rest / size)?;
                rest %= size;
            }
        }
        Ok(())
    }
}
