//! Vendor names split into words, the way both the role and the kind rules
//! read them.

/// One word of a field, lower-cased, and the byte offset it starts at.
#[derive(Debug)]
pub(super) struct Token {
    pub(super) text: String,
    pub(super) at: usize,
}

/// Splits at non-alphanumerics, between letters and digits, and at case
/// changes (`SystemRomBackup` → system rom backup, `PSU1` → psu 1,
/// `BMCImage` → bmc image). A single leading lower-case letter stays with
/// the capitals after it, so `iDRAC`, `iLO` and `uEFI` stay whole.
pub(super) fn tokens(s: &str) -> Vec<Token> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let byte = |i: usize| chars.get(i).map_or(s.len(), |c| c.0);
    let word = |from: usize, to: usize| Token {
        text: s[byte(from)..byte(to)].to_lowercase(),
        at: byte(from),
    };
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, &(_, c)) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if let Some(from) = start.take() {
                out.push(word(from, i));
            }
            continue;
        }
        let Some(from) = start else {
            start = Some(i);
            continue;
        };
        let prev = chars[i - 1].1;
        let lower_run = chars[from..i]
            .iter()
            .rev()
            .take_while(|(_, ch)| ch.is_lowercase())
            .count();
        let cut = if prev.is_ascii_digit() != c.is_ascii_digit()
            || (prev.is_lowercase() && c.is_uppercase() && lower_run >= 2)
        {
            Some(i)
        } else if prev.is_uppercase()
            && c.is_lowercase()
            && i >= from + 2
            && chars[i - 2].1.is_uppercase()
        {
            // `BMCImage`: the capital before a lower-case letter starts the next word.
            Some(i - 1)
        } else {
            None
        };
        if let Some(cut) = cut {
            out.push(word(from, cut));
            start = Some(cut);
        }
    }
    if let Some(from) = start {
        out.push(word(from, chars.len()));
    }
    out
}

/// Control characters removed (iLO reports `"0\x14"`, NOTES §7.7), trimmed;
/// `None` when nothing is left.
pub(super) fn clean(s: &str) -> Option<String> {
    let s: String = s.chars().filter(|c| !c.is_control()).collect();
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// A version as the BMC sent it, or `None` when it sent nothing (empty or
/// only whitespace). Nothing is removed: a version with control characters in
/// it is not a version, and cleaning it could make it one (`"0\x14"` → `0`),
/// so the version module must see it whole to judge it unknown.
pub(super) fn raw_version(s: &str) -> Option<String> {
    (!s.trim().is_empty()).then(|| s.to_string())
}

/// Lower case, whitespace runs collapsed: how a label becomes an identity.
pub(super) fn identity_text(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}
