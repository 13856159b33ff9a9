//! `Range: bytes=…` parsing (RFC 9110 §14), pure so it can be tested alone.
//!
//! BMCs resume interrupted downloads with a single range; nobody we know asks
//! for several at once, so several ranges get the whole body (RFC 9110 allows
//! a server to ignore `Range`), which keeps the server free of multipart
//! bodies.

/// What a `Range` header asks of a representation of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeAsk {
    /// No header, several ranges, another unit or bad syntax: send it all.
    Full,
    /// One satisfiable range, `first..=last`, both inside the file.
    Part { first: u64, last: u64 },
    /// A valid range that does not overlap the file: 416.
    Unsatisfiable,
}

/// Interprets a `Range` header value against a file of `len` bytes.
pub(crate) fn parse(header: Option<&str>, len: u64) -> RangeAsk {
    let Some(value) = header else {
        return RangeAsk::Full;
    };
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeAsk::Full;
    };
    if spec.contains(',') {
        return RangeAsk::Full;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeAsk::Full;
    };
    let num = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            None
        } else {
            s.parse().ok()
        }
    };
    match (a.trim(), b.trim()) {
        // `-n`: the last n bytes.
        ("", n) => match num(n) {
            None => RangeAsk::Full,
            Some(0) => RangeAsk::Unsatisfiable,
            Some(_) if len == 0 => RangeAsk::Unsatisfiable,
            Some(n) => RangeAsk::Part {
                first: len.saturating_sub(n),
                last: len - 1,
            },
        },
        // `a-`: from a to the end.
        (a, "") => match num(a) {
            None => RangeAsk::Full,
            Some(a) if a >= len => RangeAsk::Unsatisfiable,
            Some(a) => RangeAsk::Part {
                first: a,
                last: len - 1,
            },
        },
        // `a-b`: inclusive; b past the end is clamped.
        (a, b) => match (num(a), num(b)) {
            (Some(a), Some(b)) if a <= b => {
                if a >= len {
                    RangeAsk::Unsatisfiable
                } else {
                    RangeAsk::Part {
                        first: a,
                        last: b.min(len - 1),
                    }
                }
            }
            // `5-3` is invalid syntax, which RFC 9110 says to ignore.
            _ => RangeAsk::Full,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::{parse, RangeAsk::*};

    #[test]
    fn table() {
        let part = |first, last| Part { first, last };
        let cases: &[(Option<&str>, u64, super::RangeAsk)] = &[
            (None, 10, Full),
            (Some("bytes=0-3"), 10, part(0, 3)),
            (Some("bytes=2-"), 10, part(2, 9)),
            (Some("bytes=-4"), 10, part(6, 9)),
            (Some("bytes=-40"), 10, part(0, 9)),
            (Some("bytes=5-100"), 10, part(5, 9)),
            (Some("bytes=9-9"), 10, part(9, 9)),
            (Some("bytes=10-"), 10, Unsatisfiable),
            (Some("bytes=10-12"), 10, Unsatisfiable),
            (Some("bytes=-0"), 10, Unsatisfiable),
            (Some("bytes=-1"), 0, Unsatisfiable),
            (Some("bytes=0-"), 0, Unsatisfiable),
            (Some("bytes=5-3"), 10, Full),
            (Some("bytes=0-1,4-5"), 10, Full),
            (Some("items=0-1"), 10, Full),
            (Some("bytes=a-b"), 10, Full),
            (Some("bytes=+1-2"), 10, Full),
            (Some("bytes=-"), 10, Full),
        ];
        for (header, len, want) in cases {
            assert_eq!(parse(*header, *len), *want, "{header:?} of {len}");
        }
    }
}
