//! Secrets (BMC passwords, session tokens) in a type that never prints.
//!
//! `Debug` and `Display` both write `[redacted]`, so a secret cannot reach a log
//! line, an error message or a panic by accident; the value is read only
//! through [`Secret::expose`], which is easy to find in review.

use std::fmt;

/// A string that must not be shown.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The value, for the one place that must send it (an HTTP header or body).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Secrets shorter than this are not searched for in text: a two-letter
/// password would shred every message it appears in by chance.
pub const MIN_REDACTED_LEN: usize = 4;

/// The configured secrets, to scrub from text fwfleet did not write itself
/// (a hook's output) before it is logged or stored.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Redactor {
    secrets: Vec<Secret>,
}

impl Redactor {
    /// Add a secret (duplicates and too-short values are ignored).
    pub fn add(&mut self, s: &Secret) {
        if s.expose().chars().count() >= MIN_REDACTED_LEN && !self.secrets.contains(s) {
            self.secrets.push(s.clone());
            // Longest first: a secret that contains another is replaced whole.
            self.secrets
                .sort_by_key(|x| std::cmp::Reverse(x.expose().len()));
        }
    }

    pub fn len(&self) -> usize {
        self.secrets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `text` with every occurrence of every secret replaced by `[redacted]`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.expose()) {
                out = out.replace(s.expose(), "[redacted]");
            }
        }
        out
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redactors_replace_every_configured_secret() {
        let mut r = Redactor::default();
        r.add(&Secret::new("hunter2"));
        r.add(&Secret::new("hunter2-long"));
        r.add(&Secret::new("pw"));
        assert_eq!(r.len(), 2, "too short to search for");
        assert_eq!(
            r.redact("a hunter2-long b hunter2 c pw"),
            "a [redacted] b [redacted] c pw"
        );
        assert_eq!(format!("{r:?}"), "Redactor(2 secrets)");
    }

    #[test]
    fn never_prints() {
        let s = Secret::new("hunter2");
        assert_eq!(
            format!("{s} {s:?} {:?}", Some(&s)),
            "[redacted] [redacted] Some([redacted])"
        );
        assert_eq!(s.expose(), "hunter2");
    }
}
