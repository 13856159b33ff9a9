//! Host name patterns: exact names and globs, several per item separated by
//! commas (a comma inside `{…}` or `[…]` belongs to the glob).

use super::{Part, SelectError, Source};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// Any-of name patterns. Empty matches nothing; the caller decides what an
/// empty `--hosts` means (every host).
#[derive(Debug, Clone, Default)]
pub struct NamePatterns {
    patterns: Vec<String>,
    set: Option<GlobSet>,
}

impl NamePatterns {
    pub fn parse(
        items: &[String],
        source: Source,
        part: Part,
    ) -> Result<NamePatterns, SelectError> {
        let field = source.name(part);
        let joined = items.join(",");
        let mut patterns = Vec::new();
        let mut builder = GlobSetBuilder::new();
        for (start, raw) in split_top_level(&joined) {
            let p = raw.trim();
            if p.is_empty() {
                continue;
            }
            let err = |message: String, hint: String| SelectError {
                field,
                input: joined.clone(),
                column: Some(start + 1),
                message,
                hint,
            };
            if p.contains('=') || p.starts_with('!') || p.contains(" in ") || p.contains(" notin ")
            {
                return Err(err(
                    format!("`{p}` is a label term, not a host name"),
                    format!(
                        "choose hosts by label with {} '{p}'{}",
                        source.name(Part::Selector),
                        if part == Part::Exclude {
                            "; to leave labelled hosts out, negate the term there (`role!=db`, `!canary`)"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            let glob = GlobBuilder::new(p)
                .literal_separator(false)
                .build()
                .map_err(|e| {
                    err(
                        format!("`{p}` is not a valid glob: {}", e.kind()),
                        "write a host name or a glob such as 'rack1-*', 'bmc-00[0-4]?' or 'bmc-{a,b}'"
                            .into(),
                    )
                })?;
            builder.add(glob);
            patterns.push(p.to_string());
        }
        if patterns.is_empty() {
            return Ok(NamePatterns::default());
        }
        let set = builder.build().map_err(|e| SelectError {
            field,
            input: joined.clone(),
            column: None,
            message: e.to_string(),
            hint: "write host names or globs separated by commas".into(),
        })?;
        Ok(NamePatterns {
            patterns,
            set: Some(set),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    pub fn matches(&self, name: &str) -> bool {
        self.set.as_ref().is_some_and(|s| s.is_match(name))
    }

    /// The patterns as one comma-separated text.
    pub fn text(&self) -> String {
        self.patterns.join(",")
    }
}

/// `s` split at commas outside `{…}` and `[…]`, each piece with its byte
/// offset.
fn split_top_level(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let (mut braces, mut brackets) = (0usize, false);
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '[' => brackets = true,
            ']' => brackets = false,
            '{' if !brackets => braces += 1,
            '}' if !brackets => braces = braces.saturating_sub(1),
            ',' if braces == 0 && !brackets => {
                out.push((start, &s[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push((start, &s[start..]));
    out
}
