//! Several config problems reported as one error (issue 18): each with the
//! line it is on, found from its key in the file's text, so that an operator
//! fixes every problem in one edit instead of one per run.

use super::ConfigError;
use std::path::Path;

/// One error listing every problem, in file order of their keys.
pub(super) fn all_at_once(path: &Path, text: &str, problems: Vec<ConfigError>) -> ConfigError {
    let mut located: Vec<(Option<usize>, ConfigError)> = problems
        .into_iter()
        .map(|p| (p.key.as_deref().and_then(|k| line_of(text, k)), p))
        .collect();
    located.sort_by_key(|(line, _)| line.unwrap_or(usize::MAX));
    let mut message = format!("{} problems; fix them all, then run again:", located.len());
    for (line, p) in &located {
        message.push_str("\n  - ");
        if let Some(l) = line {
            message.push_str(&format!("line {l}: "));
        }
        if let Some(k) = &p.key {
            message.push_str(&format!("key `{k}`: "));
        }
        message.push_str(&p.message.replace('\n', "\n    "));
    }
    ConfigError {
        path: path.to_path_buf(),
        key: None,
        message,
    }
}

/// The 1-based line of `key` (`hosts[3].url`, `rollout.failure_budget`,
/// `concurrency`) in `text`: the key's own line when it is written there,
/// else its table's header; `None` when neither is found.
pub(super) fn line_of(text: &str, key: &str) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let header = |l: &str| l.trim_start().starts_with('[');
    let assigns = |l: &str, field: &str| {
        let t = l.trim_start();
        t.strip_prefix(field)
            .is_some_and(|rest| rest.trim_start().starts_with('='))
    };
    // Where the table of the key starts, and its first field.
    let (start, field) = match key.split_once('.') {
        None => (None, key),
        Some((table, rest)) => {
            let field = rest.split(['.', '[']).next().unwrap_or(rest);
            match table.split_once('[') {
                Some((name, idx)) => {
                    let n: usize = idx.trim_end_matches(']').parse().ok()?;
                    let want = format!("[[{name}]]");
                    let at = lines
                        .iter()
                        .enumerate()
                        .filter(|(_, l)| l.trim() == want)
                        .nth(n)?
                        .0;
                    (Some(at), field)
                }
                None => {
                    let want = format!("[{table}]");
                    let at = lines.iter().position(|l| l.trim() == want);
                    match at {
                        Some(at) => (Some(at), field),
                        // `rollout.x` written inline at the top level.
                        None => (None, field),
                    }
                }
            }
        }
    };
    let from = start.map_or(0, |s| s + 1);
    for (i, l) in lines.iter().enumerate().skip(from) {
        if header(l) {
            break;
        }
        if assigns(l, field) {
            return Some(i + 1);
        }
    }
    start.map(|s| s + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_on_their_lines() {
        let text = "concurrency = 0\n\n[[hosts]]\nname = \"a\"\nurl = \"x\"\n\n[[hosts]]\nname = \"b\"\n\n[rollout]\nfailure_budget = 2.0\n";
        assert_eq!(line_of(text, "concurrency"), Some(1));
        assert_eq!(line_of(text, "hosts[0].url"), Some(5));
        // Not written: the host's header.
        assert_eq!(line_of(text, "hosts[1].url"), Some(7));
        assert_eq!(line_of(text, "rollout.failure_budget"), Some(11));
        assert_eq!(line_of(text, "hosts[5].url"), None);
    }
}
