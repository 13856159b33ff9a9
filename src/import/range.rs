//! Ansible host ranges: `bmc[01:20].dc1`, `node-[a:f]`, `n[1:9:2]`.
//!
//! Same rules as Ansible's `expand_hostname_range`: a numeric start with a
//! leading zero fixes the width (start and end must then be as long), letters
//! are single characters, the optional third number is the stride, and every
//! bracket in a name is expanded.

/// Expand every `[start:end(:stride)]` in `pattern`; a name without brackets is itself.
/// Errors say what is wrong with the range, for the caller to place.
pub fn expand(pattern: &str) -> Result<Vec<String>, String> {
    let Some(open) = pattern.find('[') else {
        if pattern.contains(']') {
            return Err(format!("`{pattern}` has a `]` without `[`"));
        }
        return Ok(vec![pattern.to_string()]);
    };
    let close = pattern[open..]
        .find(']')
        .map(|i| open + i)
        .ok_or_else(|| format!("`{pattern}` has a `[` without `]`"))?;
    let (head, inner, tail) = (
        &pattern[..open],
        &pattern[open + 1..close],
        &pattern[close + 1..],
    );
    let hint = "write a range as [START:END] or [START:END:STEP], e.g. bmc[01:20] or rack-[a:f]";
    let parts: Vec<&str> = inner.split(':').collect();
    let (beg, end, step) = match parts.as_slice() {
        [b, e] => (*b, *e, 1usize),
        [b, e, s] => {
            let s: usize =
                s.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                    format!("range `[{inner}]`: step `{s}` is not a positive number")
                })?;
            (*b, *e, s)
        }
        _ => {
            return Err(format!(
                "range `[{inner}]` is not START:END\n  hint: {hint}"
            ))
        }
    };
    let items: Vec<String> = if beg.chars().all(|c| c.is_ascii_digit())
        && end.chars().all(|c| c.is_ascii_digit())
        && !end.is_empty()
    {
        let width = if beg.len() > 1 && beg.starts_with('0') {
            if beg.len() != end.len() {
                return Err(format!(
                    "range `[{inner}]`: a zero-padded start and its end must have the same width\n  hint: write e.g. [01:20] or [001:120]"
                ));
            }
            beg.len()
        } else {
            0
        };
        let b: u64 = if beg.is_empty() {
            0
        } else {
            beg.parse()
                .map_err(|_| format!("range `[{inner}]`: `{beg}` is too large"))?
        };
        let e: u64 = end
            .parse()
            .map_err(|_| format!("range `[{inner}]`: `{end}` is too large"))?;
        if b > e {
            return Err(format!(
                "range `[{inner}]`: start is after end\n  hint: {hint}"
            ));
        }
        if (e - b) / step as u64 >= 100_000 {
            return Err(format!(
                "range `[{inner}]` expands to more than 100000 names"
            ));
        }
        (b..=e)
            .step_by(step)
            .map(|n| format!("{n:0width$}"))
            .collect()
    } else {
        let letter = |s: &str| {
            let mut c = s.chars();
            match (c.next(), c.next()) {
                (Some(ch), None) if ch.is_ascii_alphabetic() => Some(ch),
                _ => None,
            }
        };
        match (letter(beg), letter(end)) {
            (Some(b), Some(e)) if b <= e && b.is_ascii_lowercase() == e.is_ascii_lowercase() => {
                (b..=e).step_by(step).map(String::from).collect()
            }
            (Some(_), Some(_)) => {
                return Err(format!(
                    "range `[{inner}]`: letters must run forward in one case, e.g. [a:f]"
                ))
            }
            _ => return Err(format!("range `[{inner}]`: `{beg}` and `{end}` are neither both numbers nor both single letters\n  hint: {hint}")),
        }
    };
    let tails = expand(tail)?;
    let mut out = Vec::with_capacity(items.len() * tails.len());
    for i in &items {
        for t in &tails {
            out.push(format!("{head}{i}{t}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::expand;

    #[test]
    fn numbers_letters_padding_stride_and_several_brackets() {
        assert_eq!(expand("bmc01").unwrap(), ["bmc01"]);
        assert_eq!(
            expand("bmc[01:03].dc1").unwrap(),
            ["bmc01.dc1", "bmc02.dc1", "bmc03.dc1"]
        );
        assert_eq!(expand("n[8:10]").unwrap(), ["n8", "n9", "n10"]);
        assert_eq!(expand("n[098:100]").unwrap(), ["n098", "n099", "n100"]);
        assert_eq!(expand("r-[a:c]").unwrap(), ["r-a", "r-b", "r-c"]);
        assert_eq!(expand("n[1:7:3]").unwrap(), ["n1", "n4", "n7"]);
        assert_eq!(expand("n[:1]").unwrap(), ["n0", "n1"]);
        assert_eq!(
            expand("r[a:b]n[1:2]").unwrap(),
            ["ran1", "ran2", "rbn1", "rbn2"]
        );
    }

    #[test]
    fn bad_ranges_say_what_to_write() {
        for (p, words) in [
            ("n[01:100]", "same width"),
            ("n[5:1]", "start is after end"),
            ("n[1:z]", "neither"),
            ("n[aa:b]", "neither"),
            ("n[c:a]", "forward"),
            ("n[1:5", "without `]`"),
            ("n1:5]", "without `[`"),
            ("n[1:5:0]", "positive"),
            ("n[1]", "START:END"),
            ("n[0:999999]", "100000"),
        ] {
            let e = expand(p).unwrap_err();
            assert!(e.contains(words), "{p}: {e}");
        }
    }
}
