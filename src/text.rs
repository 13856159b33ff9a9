//! Small text helpers every renderer shares: CSV fields (RFC 4180 quoting),
//! control characters made visible, and cells cut to a column width.
//!
//! Everything shown comes partly from BMCs, so nothing here lets a BMC's
//! bytes reach a terminal as an escape sequence.

use std::borrow::Cow;

/// One CSV field, quoted only when it must be (a comma, a double quote,
/// CR or LF; quotes doubled).
pub fn csv_field(f: &str) -> Cow<'_, str> {
    if f.contains([',', '"', '\r', '\n']) {
        Cow::Owned(format!("\"{}\"", f.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(f)
    }
}

/// One CSV line (LF-terminated) of these fields.
pub fn csv_line(fields: &[&str]) -> String {
    let mut out = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&csv_field(f));
    }
    out.push('\n');
    out
}

/// `s` with control characters written as escapes (`\u{1b}`).
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// `s` cut to at most `width` characters, the cut marked with `…`: a
/// table column keeps its width, the JSON keeps the whole text.
pub fn fit(s: &str, width: usize) -> Cow<'_, str> {
    if s.chars().count() <= width {
        return Cow::Borrowed(s);
    }
    let keep: String = s.chars().take(width.saturating_sub(1)).collect();
    Cow::Owned(format!("{keep}…"))
}

/// The terminal's width from `COLUMNS` (shells export it), else 160: a
/// plan table is cut to fit it.
pub fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|w| *w >= 40)
        .unwrap_or(160)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(
            csv_line(&["a", "b,c", "d\"e", ""]),
            "a,\"b,c\",\"d\"\"e\",\n"
        );
    }

    #[test]
    fn fit_marks_the_cut() {
        assert_eq!(
            fit("Installed-159-1.2.5__BIOS.Setup.1-1", 12),
            "Installed-1…"
        );
        assert_eq!(fit("bios", 12), "bios");
        assert_eq!(printable("a\u{1b}b"), "a\\u{1b}b");
    }
}
