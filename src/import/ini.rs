//! Ansible's INI inventory format.
//!
//! `[g]` lists hosts (`name[:port] key=value …`, ranges allowed), `[g:children]`
//! lists child groups one per line, `[g:vars]` holds `key=value` lines; lines
//! before the first section are ungrouped hosts; `#` and `;` start comment lines.
//! Host lines are split like a shell (quotes, backslashes, `#` comments), as
//! Ansible does. Errors carry the 1-based line and never quote a value: the
//! value could be a password.

use super::model::{stored, Inventory, Var, Vars};
use super::range;

/// A parse failure: the line and what to fix.
pub type LineError = (usize, String);

enum Section {
    Hosts(String),
    Children(String),
    Vars(String),
}

pub fn parse(text: &str) -> Result<Inventory, LineError> {
    let mut inv = Inventory::default();
    let mut section = Section::Hosts("ungrouped".to_string());
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            section = header(line).map_err(|m| (n, m))?;
            match &section {
                Section::Hosts(g) | Section::Children(g) | Section::Vars(g) => {
                    inv.group(g);
                }
            }
            continue;
        }
        match &section {
            Section::Hosts(g) => host_line(&mut inv, g, line).map_err(|m| (n, m))?,
            Section::Children(g) => {
                let child = strip_comment(line);
                if child.split_whitespace().count() != 1 || child.contains(['[', ']', '=']) {
                    return Err((
                        n,
                        format!("[{g}:children] lists group names, one per line\n  hint: put hosts in a [GROUP] section and variables in [{g}:vars]"),
                    ));
                }
                if child == "all" {
                    return Err((n, format!("[{g}:children]: `all` cannot be a child group")));
                }
                inv.add_child(g, child);
            }
            Section::Vars(g) => {
                let (key, value) = line.split_once('=').ok_or_else(|| {
                    (
                        n,
                        format!("[{g}:vars] holds key=value lines and this line has no `=`"),
                    )
                })?;
                let key = key.trim();
                check_key(key).map_err(|m| (n, format!("[{g}:vars]: {m}")))?;
                let value = unquote(strip_comment(value.trim()))
                    .map_err(|m| (n, format!("[{g}:vars]: the value of {key} has {m}")))?;
                let value = if value.is_empty() {
                    Var::Null
                } else {
                    Var::Text(value)
                };
                inv.group(g)
                    .vars
                    .insert(key.to_string(), stored(key, value));
            }
        }
    }
    Ok(inv)
}

/// `[name]`, `[name:children]` or `[name:vars]`, optionally followed by a comment.
fn header(line: &str) -> Result<Section, String> {
    let hint = "write a section as [GROUP], [GROUP:children] or [GROUP:vars]";
    let close = line
        .find(']')
        .ok_or_else(|| format!("section header without `]`\n  hint: {hint}"))?;
    let rest = line[close + 1..].trim();
    if !(rest.is_empty() || rest.starts_with('#') || rest.starts_with(';')) {
        return Err(format!("text after the section header\n  hint: {hint}"));
    }
    let inner = &line[1..close];
    let (name, kind) = match inner.split_once(':') {
        Some((n, k)) => (n, Some(k)),
        None => (inner, None),
    };
    if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '[') {
        return Err(format!("`[{inner}]` does not name a group\n  hint: {hint}"));
    }
    match kind {
        None | Some("hosts") => Ok(Section::Hosts(name.to_string())),
        Some("children") => Ok(Section::Children(name.to_string())),
        Some("vars") => Ok(Section::Vars(name.to_string())),
        Some(k) => Err(format!(
            "unknown section type `:{k}` in `[{inner}]`\n  hint: {hint}"
        )),
    }
}

/// `pattern[:port] key=value …`
fn host_line(inv: &mut Inventory, group: &str, line: &str) -> Result<(), String> {
    let words = shell_words(line)?;
    let Some((pattern, assignments)) = words.split_first() else {
        return Ok(()); // only a comment
    };
    let mut vars = Vars::new();
    let (pattern, port) = split_port(pattern)?;
    if let Some(port) = port {
        vars.insert("ansible_port".into(), Var::Text(port));
    }
    for (i, word) in assignments.iter().enumerate() {
        let (key, value) = word.split_once('=').ok_or_else(|| {
            format!(
                "host `{pattern}`: word {} after the host name is not key=value\n  hint: write host variables as key=value (quote values with spaces)",
                i + 1
            )
        })?;
        check_key(key).map_err(|m| format!("host `{pattern}`: {m}"))?;
        let value = if value.is_empty() {
            Var::Null
        } else {
            Var::Text(value.to_string())
        };
        vars.insert(key.to_string(), stored(key, value));
    }
    let names = range::expand(pattern).map_err(|m| format!("host `{pattern}`: {m}"))?;
    for name in names {
        inv.add_host(group, &name, vars.clone());
    }
    Ok(())
}

/// `host:2222` → (`host`, Some(2222)); a colon inside a range bracket is not a port.
fn split_port(pattern: &str) -> Result<(&str, Option<String>), String> {
    let after_ranges = pattern.rfind(']').map(|i| i + 1).unwrap_or(0);
    match pattern[after_ranges..].rfind(':') {
        None => Ok((pattern, None)),
        Some(i) => {
            let at = after_ranges + i;
            let (name, port) = (&pattern[..at], &pattern[at + 1..]);
            if name.contains(':') && !name.contains('[') {
                // An IPv6 address as the host name: no port syntax, like Ansible.
                return Ok((pattern, None));
            }
            if port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()) {
                return Err(format!(
                    "host `{pattern}`: `{port}` after the colon is not a port number"
                ));
            }
            Ok((name, Some(port.to_string())))
        }
    }
}

fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("a variable has no name before `=`".into());
    }
    if !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "`{key}` is not a variable name (letters, digits and _ only)"
        ));
    }
    Ok(())
}

/// Drop a `#`/`;` comment that follows whitespace, outside quotes.
fn strip_comment(s: &str) -> &str {
    let mut quote = None;
    let mut prev_space = true;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#' | ';') if prev_space => return s[..i].trim_end(),
            _ => {}
        }
        prev_space = c.is_whitespace();
    }
    s
}

/// A `[g:vars]` value: surrounding quotes removed.
fn unquote(s: &str) -> Result<String, String> {
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q) {
            return inner
                .strip_suffix(q)
                .map(str::to_string)
                .ok_or_else(|| format!("an unterminated {q} quote"));
        }
    }
    Ok(s.to_string())
}

/// Split a host line like a POSIX shell with comments on (Python `shlex`, as
/// Ansible uses): quotes group, backslash escapes, `#` at a word start ends the line.
fn shell_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '#' if !in_word => break,
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '\'' | '"' => {
                in_word = true;
                let mut closed = false;
                while let Some(n) = chars.next() {
                    if n == c {
                        closed = true;
                        break;
                    }
                    if c == '"' && n == '\\' {
                        if let Some(e) = chars.next() {
                            cur.push(e);
                        }
                        continue;
                    }
                    cur.push(n);
                }
                if !closed {
                    return Err(format!(
                        "an unterminated {c} quote\n  hint: close the quote (the value is not shown here in case it is a password)"
                    ));
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(inv: &Inventory, host: &str, key: &str) -> Option<Var> {
        inv.host_vars[host].get(key).cloned()
    }

    #[test]
    fn sections_hosts_children_vars_and_comments() {
        let inv = parse(
            "# fleet\nlone.example a=1\n\n[rack_a]\nbmc[01:02].dc1 bmc_user=admin  # two\n; comment\n[rack_b]\nbmc03.dc1:8443 note=\"two words\" x='y z'\n[dc1:children]\nrack_a\nrack_b   # comment\n[dc1:vars]\nbmc_scheme = https # inline comment\nq=\"quoted # not a comment\"\nempty=\n",
        )
        .unwrap();
        assert_eq!(
            inv.hosts,
            ["lone.example", "bmc01.dc1", "bmc02.dc1", "bmc03.dc1"]
        );
        assert_eq!(inv.groups["ungrouped"].hosts, ["lone.example"]);
        assert_eq!(inv.groups["rack_a"].hosts, ["bmc01.dc1", "bmc02.dc1"]);
        assert_eq!(inv.groups["dc1"].children, ["rack_a", "rack_b"]);
        let v = &inv.groups["dc1"].vars;
        assert_eq!(v["bmc_scheme"], Var::Text("https".into()));
        assert_eq!(v["q"], Var::Text("quoted # not a comment".into()));
        assert_eq!(v["empty"], Var::Null);
        assert_eq!(
            text(&inv, "bmc02.dc1", "bmc_user"),
            Some(Var::Text("admin".into()))
        );
        assert_eq!(
            text(&inv, "bmc03.dc1", "ansible_port"),
            Some(Var::Text("8443".into()))
        );
        assert_eq!(
            text(&inv, "bmc03.dc1", "note"),
            Some(Var::Text("two words".into()))
        );
        assert_eq!(text(&inv, "bmc03.dc1", "x"), Some(Var::Text("y z".into())));
    }

    #[test]
    fn passwords_are_dropped_while_parsing() {
        let inv = parse(
            "h bmc_password=hunter2 bmc_password_env=PW\n[all:vars]\nansible_ssh_pass=hunter3\n",
        )
        .unwrap();
        assert_eq!(text(&inv, "h", "bmc_password"), Some(Var::Redacted));
        assert_eq!(
            text(&inv, "h", "bmc_password_env"),
            Some(Var::Text("PW".into()))
        );
        let dbg = format!("{inv:?}");
        assert!(!dbg.contains("hunter"), "{dbg}");
    }

    #[test]
    fn malformed_lines_name_their_line_and_never_echo_values() {
        for (text, line, words) in [
            ("[rack_a\nh\n", 1, "without `]`"),
            ("\n[rack_a:hostvars]\n", 2, "unknown section type"),
            ("[r] junk\n", 1, "text after"),
            ("[ ]\n", 1, "does not name a group"),
            ("[r]\nh1\nh2 bmc_password hunter2\n", 3, "word 1"),
            ("[r]\nh2 bmc_password=\"hunter2\n", 2, "unterminated"),
            ("[r]\nbmc[01:100]\n", 2, "same width"),
            ("[r]\nh:port\n", 2, "not a port"),
            ("[r]\nh bad-key=1\n", 2, "not a variable name"),
            ("[r:vars]\n\nbmc_password hunter2\n", 3, "no `=`"),
            ("[r:vars]\nbmc_password='hunter2\n", 2, "unterminated"),
            ("[r:children]\na b\n", 2, "one per line"),
            ("[r:children]\nall\n", 2, "`all`"),
        ] {
            let (n, m) = parse(text).unwrap_err();
            assert_eq!(n, line, "{text:?}: {m}");
            assert!(m.contains(words), "{text:?}: {m}");
            assert!(!m.contains("hunter2"), "{m}");
        }
    }

    #[test]
    fn shell_words_follow_shlex() {
        assert_eq!(
            shell_words(r#"h a="b c" d='e"f' g=h\ i # c"#).unwrap(),
            ["h", "a=b c", "d=e\"f", "g=h i"]
        );
        assert_eq!(shell_words("h a=b#c").unwrap(), ["h", "a=b#c"]);
    }

    #[test]
    fn ipv6_host_names_have_no_port() {
        let inv = parse("fe80::1\n").unwrap();
        assert_eq!(inv.hosts, ["fe80::1"]);
    }
}
