//! The docs cannot rot: every `fwfleet …` and `mock-bmc …` command line in a
//! fenced shell block of README.md and docs/*.md must parse with the real
//! clap definitions, and the sample config must load without a warning.
//! (`.ci/docs-walkthrough.sh` runs the quickstart sequence for real.)

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every docs/*.md.
fn doc_files() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// Split a shell line into words: single and double quotes, backslash
/// escapes; stops at an unquoted `#` comment. `None` if a quote is unclosed.
fn shell_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        ch => cur.push(ch),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => cur.push(chars.next()?),
                        ch => cur.push(ch),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(ch) = chars.next() {
                    cur.push(ch);
                }
            }
            '#' if !in_word => break,
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
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
    Some(words)
}

/// A command found in the docs: where, the program and its arguments.
#[derive(Debug)]
struct DocCommand {
    at: String,
    program: &'static str,
    args: Vec<String>,
}

/// Every fwfleet / mock-bmc invocation in fenced `sh`/`bash`/`shell`/`console`
/// blocks, with `cargo run [--release] [-p mock-bmc] --` spelled out as the
/// program, continuation lines joined, and redirections, `&`, pipes and
/// `&&` chains split off.
fn commands_in(path: &Path) -> Vec<DocCommand> {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path
        .strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string();
    let mut out = Vec::new();
    let mut in_shell = false;
    let mut in_fence = false;
    let mut pending = String::new();
    let mut start = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_start();
        if let Some(lang) = line.strip_prefix("```") {
            if in_fence {
                in_fence = false;
                in_shell = false;
            } else {
                in_fence = true;
                in_shell = matches!(lang.trim(), "sh" | "bash" | "shell" | "console");
            }
            continue;
        }
        if !in_shell {
            continue;
        }
        if pending.is_empty() {
            start = i + 1;
        }
        let line = line.strip_prefix("$ ").unwrap_or(line);
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let full = std::mem::take(&mut pending);
        let words = shell_words(&full)
            .unwrap_or_else(|| panic!("{name}:{start}: unclosed quote in `{full}`"));
        for segment in words.split(|w| matches!(w.as_str(), "&&" | "||" | "|" | ";" | "&")) {
            let mut seg: Vec<String> = Vec::new();
            let mut skip = false;
            for w in segment {
                if skip {
                    skip = false;
                    continue;
                }
                if matches!(w.as_str(), ">" | ">>" | "<" | "2>" | "2>>") {
                    skip = true;
                    continue;
                }
                if w.starts_with('>') || w.starts_with("2>") || w == "2>&1" {
                    continue;
                }
                seg.push(w.trim_end_matches('&').to_string());
            }
            // `VAR=value cmd …` and `time cmd …`.
            while seg
                .first()
                .is_some_and(|w| w == "time" || (w.contains('=') && !w.starts_with('-')))
            {
                seg.remove(0);
            }
            let (program, skip_n) = match seg.iter().map(String::as_str).collect::<Vec<_>>()[..] {
                ["fwfleet", ..] => ("fwfleet", 1),
                ["mock-bmc", ..] => ("mock-bmc", 1),
                ["cargo", "run", "--release", "--", ..] => ("fwfleet", 4),
                ["cargo", "run", "--", ..] => ("fwfleet", 3),
                ["cargo", "run", "-p", "mock-bmc", "--", ..] => ("mock-bmc", 5),
                ["cargo", "run", "--release", "-p", "mock-bmc", "--", ..] => ("mock-bmc", 6),
                _ => continue,
            };
            out.push(DocCommand {
                at: format!("{name}:{start}"),
                program,
                args: seg[skip_n..].to_vec(),
            });
        }
    }
    out
}

/// A man-page synopsis (`fwfleet plan --config FILE [--format table|json]`)
/// rather than an example: optional parts in brackets.
fn is_synopsis(cmd: &DocCommand) -> bool {
    cmd.args
        .iter()
        .any(|a| a.starts_with('[') || a.ends_with("]..."))
}

/// A synopsis must name a real subcommand path and only flags that exist there.
fn check_synopsis(cmd: &DocCommand) -> Result<(), String> {
    use clap::CommandFactory;
    let mut root_cmd = match cmd.program {
        "fwfleet" => fwfleet::cli::Cli::command(),
        _ => mock_bmc::cli::Cli::command(),
    };
    root_cmd.build();
    let mut cur = &root_cmd;
    for w in &cmd.args {
        if w.starts_with('-') || w.starts_with('[') {
            break;
        }
        match cur.find_subcommand(w) {
            Some(s) => cur = s,
            None => break,
        }
    }
    if cur.has_subcommands() {
        return Err(format!("`{}` needs a subcommand", cur.get_name()));
    }
    for piece in cmd
        .args
        .iter()
        .flat_map(|a| a.split(['[', ']', '|']))
        .filter(|p| p.starts_with("--"))
    {
        let name = piece[2..]
            .split('=')
            .next()
            .unwrap_or_default()
            .trim_end_matches('.');
        let known = name == "help"
            || cur.get_arguments().any(|a| {
                a.get_long() == Some(name)
                    || a.get_all_aliases().is_some_and(|al| al.contains(&name))
            });
        if !known {
            return Err(format!(
                "synopsis names --{name}, which `{}` does not have",
                cur.get_name()
            ));
        }
    }
    Ok(())
}

fn parse(cmd: &DocCommand) -> Result<(), String> {
    if let Some(w) = cmd
        .args
        .iter()
        .find(|a| a.starts_with('<') && a.ends_with('>'))
    {
        return Err(format!("placeholder {w}: write a real, runnable example"));
    }
    if is_synopsis(cmd) {
        return check_synopsis(cmd);
    }
    let argv = std::iter::once(cmd.program.to_string()).chain(cmd.args.iter().cloned());
    let r = match cmd.program {
        "fwfleet" => <fwfleet::cli::Cli as clap::Parser>::try_parse_from(argv).map(|_| ()),
        _ => <mock_bmc::cli::Cli as clap::Parser>::try_parse_from(argv).map(|_| ()),
    };
    match r {
        Ok(()) => Ok(()),
        // `--help` and `--version` are valid commands that clap answers with an "error".
        Err(e) if !e.use_stderr() => Ok(()),
        Err(e) => Err(e.to_string().lines().next().unwrap_or_default().to_string()),
    }
}

#[test]
fn every_command_in_the_docs_parses_with_the_real_cli() {
    let mut found = 0;
    let mut bad = Vec::new();
    let mut per_program = std::collections::BTreeMap::<&str, usize>::new();
    for file in doc_files() {
        for cmd in commands_in(&file) {
            found += 1;
            *per_program.entry(cmd.program).or_default() += 1;
            if let Err(e) = parse(&cmd) {
                bad.push(format!(
                    "{}: {} {}: {e}",
                    cmd.at,
                    cmd.program,
                    cmd.args.join(" ")
                ));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {found} documented commands do not parse:\n{}",
        bad.len(),
        bad.join("\n")
    );
    // The extractor itself must keep finding the docs' commands.
    assert!(found >= 30, "only {found} commands found: {per_program:?}");
    assert!(
        per_program.get("mock-bmc").copied().unwrap_or(0) >= 3,
        "{per_program:?}"
    );
}

#[test]
fn the_extractor_sees_what_a_shell_would_run() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("x.md");
    std::fs::write(
        &md,
        "text\n```sh\n# a comment\ncargo run --release -- plan --config fleet.toml  # why\n\
         cargo run -p mock-bmc -- serve --count 2 \\\n  --fleet-out f.toml &\n\
         fwfleet inventory --config 'a b.toml' --format json > inv.json && fwfleet status --config x\n\
         RUST_LOG=debug fwfleet repo list --config c\n```\n```toml\nfwfleet = 1\n```\n",
    )
    .unwrap();
    let cmds = commands_in(&md);
    let shown: Vec<String> = cmds
        .iter()
        .map(|c| format!("{} {}", c.program, c.args.join(" ")))
        .collect();
    assert_eq!(
        shown,
        [
            "fwfleet plan --config fleet.toml",
            "mock-bmc serve --count 2 --fleet-out f.toml",
            "fwfleet inventory --config a b.toml --format json",
            "fwfleet status --config x",
            "fwfleet repo list --config c",
        ]
    );
    for c in &cmds {
        assert_eq!(parse(c), Ok(()), "{c:?}");
    }
    let bogus = DocCommand {
        at: "x".into(),
        program: "fwfleet",
        args: vec!["apply".into(), "--no-such-flag".into()],
    };
    assert!(parse(&bogus).is_err());
    let synopsis = |args: &[&str]| DocCommand {
        at: "x".into(),
        program: "fwfleet",
        args: args.iter().map(|a| a.to_string()).collect(),
    };
    assert_eq!(
        parse(&synopsis(&[
            "plan",
            "--config",
            "FILE",
            "[--format",
            "table|json|csv]",
            "[--cached]"
        ])),
        Ok(())
    );
    assert!(parse(&synopsis(&["plan", "--config", "FILE", "[--no-such]"])).is_err());
    assert!(parse(&synopsis(&["repo", "[--config", "FILE]"])).is_err());
    let placeholder = DocCommand {
        at: "x".into(),
        program: "fwfleet",
        args: vec!["repo".into(), "add".into(), "<file>".into()],
    };
    assert!(parse(&placeholder).unwrap_err().contains("placeholder"));
}

/// examples/fleet.toml sets every key; it must load, with no warning, once
/// the secrets it names exist.
#[test]
fn the_sample_config_loads_without_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("examples/fleet.toml")).unwrap();
    std::fs::create_dir_all(dir.path().join("secrets")).unwrap();
    std::fs::write(dir.path().join("secrets/bmc-password"), "example\n").unwrap();
    std::fs::write(
        dir.path().join("secrets/api-token"),
        "an-example-token-of-32-characters\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("secrets/notify-key"),
        "an-example-hmac-key\n",
    )
    .unwrap();
    // Credential files readable by others are warned about (issue 13).
    for f in [
        "secrets/bmc-password",
        "secrets/api-token",
        "secrets/notify-key",
    ] {
        std::fs::set_permissions(
            dir.path().join(f),
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
    }
    let path = dir.path().join("fleet.toml");
    std::fs::write(&path, &text).unwrap();
    // The variable the sample's first host reads; set here only.
    std::env::set_var("BMC_PASSWORD", "example");
    let cfg = fwfleet::config::Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
    assert_eq!(cfg.hosts.len(), 3);
    // The third host's password_command runs in the config's directory.
    assert_eq!(cfg.hosts[2].password.expose(), "example");
    assert_eq!(cfg.rollout.wave_size, Some(25));
    assert_eq!(cfg.schedule.windows().len(), 2);
    assert_eq!(cfg.daemon.bind.to_string(), "127.0.0.1:8470");
    assert_eq!(cfg.notify.len(), 1);
    assert_eq!(cfg.notify[0].name, "ops-hooks");
    assert_eq!(cfg.notify[0].events.len(), 6);
    // The token it names is one `fwfleet serve` accepts.
    fwfleet::daemon::auth::Token::load(&cfg.daemon).unwrap();
}
