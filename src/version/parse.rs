//! From a raw string to a [`ParsedVersion`]: cleaning, labels, dispatch.
//!
//! Junk is recognised first and read as `unparsable`, which compares as
//! unknown even with itself: an inventory that says `N/A` twice has not told
//! us that two components run the same firmware. Then a label in front of
//! the version (`iLO 5 : …`, `System ROM : …`, `IPAD …`) is split off only if
//! the whole string is no known format, so a ROM family like `P79` is never
//! mistaken for a label.

use super::families;
use super::parsed::{Family, ParsedVersion, Reading};
use super::scheme::VersionScheme;

/// Longer inputs are not versions; the bound also keeps every comparison
/// cheap whatever a BMC sends.
pub const MAX_INPUT_LEN: usize = 256;

/// Values BMCs and tools print when there is no version (case-insensitive).
const PLACEHOLDERS: [&str; 13] = [
    "n/a",
    "na",
    "none",
    "null",
    "nil",
    "undefined",
    "unknown",
    "not available",
    "not applicable",
    "not installed",
    "tbd",
    "invalid",
    "error",
];

/// Reads `s`; never fails and never panics. `scheme` is the Redfish
/// `VersionScheme` of the inventory entry or an operator's `--scheme`;
/// `None` (and `Oem`) recognise the format from the string's shape.
pub fn parse(s: &str, scheme: Option<VersionScheme>) -> ParsedVersion {
    let (label, reading) = match clean(s) {
        Err(why) => (None, Reading::Unparsable(why)),
        Ok(text) => read(text, scheme),
    };
    ParsedVersion {
        input: s.to_owned(),
        scheme,
        label,
        reading,
    }
}

/// Trims spaces and rejects what is not a version, with the reason.
///
/// Control characters are rejected *before* trimming, anywhere in the
/// string: `trim` would drop a trailing `\n` or `\t` and turn `"1.2.3\n"`
/// into `1.2.3`, and a BMC that sends control characters in a version has
/// not told us which version it runs (iLO's `"0\x14"` is no `0`).
fn clean(s: &str) -> Result<&str, String> {
    if s.chars().any(char::is_control) {
        return Err("contains control characters".to_owned());
    }
    let text = s.trim();
    if text.is_empty() {
        return Err("empty".to_owned());
    }
    if text.len() > MAX_INPUT_LEN {
        return Err(format!("longer than {MAX_INPUT_LEN} bytes"));
    }
    if PLACEHOLDERS.iter().any(|p| p.eq_ignore_ascii_case(text)) {
        return Err(format!("placeholder `{text}`"));
    }
    if !text.chars().any(char::is_alphanumeric) {
        return Err("no letters or digits".to_owned());
    }
    Ok(text)
}

fn read(text: &str, scheme: Option<VersionScheme>) -> (Option<String>, Reading) {
    match scheme.and_then(|s| Some((s, s.forced_family()?))) {
        None => recognise(text),
        Some((scheme, family)) => forced(text, scheme, family),
    }
}

/// No scheme (or `OEM`): whole string first, then with a label split off.
fn recognise(text: &str) -> (Option<String>, Reading) {
    if let Some(reading) = families::recognise(text) {
        return (None, reading);
    }
    labelled(text, families::recognise).unwrap_or_else(|| (None, Reading::Opaque(text.to_owned())))
}

/// A forcing scheme: that family or nothing. Labels are allowed for vendor
/// formats, which is how HPE tools print them, but not for the two Redfish
/// formats, whose grammar has no room for one.
fn forced(text: &str, scheme: VersionScheme, family: Family) -> (Option<String>, Reading) {
    if let Some(reading) = families::read_as(family, text) {
        return (None, reading);
    }
    let strict = matches!(family, Family::SemVer | Family::Dotted);
    let relabelled = if strict {
        None
    } else {
        labelled(text, |rest| families::read_as(family, rest))
    };
    relabelled.unwrap_or_else(|| {
        (
            None,
            Reading::Unparsable(format!("does not fit scheme `{scheme}`")),
        )
    })
}

/// Splits `<label> : <version>` or `<Word> <version>` and reads the version
/// with `read`; `None` if there is no label or the rest is no known format.
fn labelled(
    text: &str,
    read: impl Fn(&str) -> Option<Reading>,
) -> Option<(Option<String>, Reading)> {
    colon_label(text)
        .or_else(|| word_label(text))
        .and_then(|(label, rest)| {
            let reading = read(rest)?;
            Some((Some(collapse_spaces(label)), reading))
        })
}

/// `iLO 5 : 3.02 Feb 22 2024` → (`iLO 5`, `3.02 Feb 22 2024`). The colon must
/// be followed by a space so timestamps such as `01:38:09` are left alone.
fn colon_label(text: &str) -> Option<(&str, &str)> {
    let (label, rest) = text.split_once(':')?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let (label, rest) = (label.trim(), rest.trim());
    (label.starts_with(|c: char| c.is_ascii_alphabetic()) && !rest.is_empty())
        .then_some((label, rest))
}

/// `IPAD 9.1.0 Build 36` → (`IPAD`, `9.1.0 Build 36`): a first word of two or
/// more ASCII letters only.
fn word_label(text: &str) -> Option<(&str, &str)> {
    let (word, rest) = text.split_once(char::is_whitespace)?;
    let rest = rest.trim();
    (word.len() >= 2 && word.chars().all(|c| c.is_ascii_alphabetic()) && !rest.is_empty())
        .then_some((word, rest))
}

fn collapse_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
