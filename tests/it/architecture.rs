//! The architecture invariants of docs/ARCHITECTURE.md, checked on the
//! source: a change that lets a module reach past its boundary fails here,
//! naming the file, the line and the rule.
//!
//! The checker reads `src/` as text. Test code is left out (files named
//! `tests.rs`, directories named `tests`, `#[cfg(test)] mod … { … }`
//! blocks): tests may decode Redfish JSON or call the image server with an
//! HTTP client. Comment lines are left out too, so docs may name what code
//! may not use.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One rule: what may not appear, and where it may.
struct Rule {
    name: &'static str,
    /// Any of these in a line of code breaks the rule…
    needles: &'static [&'static str],
    /// …in a file under one of these directories (empty: everywhere)…
    applies_to: &'static [&'static str],
    /// …unless the file is under one of these.
    allowed_in: &'static [&'static str],
    why: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        name: "reqwest",
        needles: &["reqwest"],
        applies_to: &[],
        // Catalog downloads and notifications may use reqwest in modules of
        // their own, which never see BMC credentials (issue 15). The image
        // server and the daemon serve HTTP with axum and need no client.
        allowed_in: &["src/redfish/", "src/catalog/", "src/notify/"],
        why: "only redfish/ speaks HTTP to BMCs; add a typed operation there",
    },
    Rule {
        name: "redfish-path",
        needles: &["\"/redfish/v1"],
        applies_to: &[],
        allowed_in: &["src/redfish/"],
        why: "only redfish/ knows Redfish URLs; discover by navigation there",
    },
    Rule {
        name: "redfish-schemas",
        needles: &["redfish_schemas"],
        applies_to: &[],
        allowed_in: &["src/redfish/"],
        why: "only redfish/ knows Redfish JSON shapes; use the typed results it returns",
    },
    Rule {
        name: "rusqlite",
        needles: &["rusqlite"],
        applies_to: &[],
        allowed_in: &["src/store/"],
        why: "the store is the only SQL; add a method to store::Store",
    },
    Rule {
        name: "sqlite-backend",
        needles: &["SqliteStore"],
        applies_to: &[],
        allowed_in: &["src/store/"],
        why: "every store call goes through the async store::Store handle",
    },
    Rule {
        name: "pure-io",
        needles: &[
            "std::fs",
            "tokio::fs",
            "std::net",
            "tokio::net",
            "std::process",
            "std::env",
            "std::io",
            "File::open",
            "println!",
            "eprintln!",
            "tracing::",
            "crate::redfish",
            "crate::store",
            "crate::imageserver",
            "crate::updater",
            "crate::daemon",
        ],
        applies_to: &["src/version/", "src/planner/", "src/schedule/"],
        allowed_in: &[],
        why: "version/, planner/ and schedule/ are pure: the caller does the I/O and passes the result",
    },
    Rule {
        name: "pure-clock",
        needles: &[
            "::now(",
            "SystemTime",
            "Instant",
            "tokio::time",
            "thread::sleep",
            "chrono::Local",
        ],
        applies_to: &["src/version/", "src/planner/", "src/schedule/"],
        allowed_in: &[],
        why: "version/, planner/ and schedule/ are pure: `now` is always an argument",
    },
];

/// Known violations that a change under way removes, as (rule, file). Each
/// must still be a violation, so the list can only shrink.
const ALLOWED_FOR_NOW: &[(&str, &str)] = &[];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Violation {
    rule: &'static str,
    /// `/`-separated, relative to the tree checked.
    file: String,
    line: usize,
    text: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let why = RULES
            .iter()
            .find(|r| r.name == self.rule)
            .map_or("", |r| r.why);
        write!(
            f,
            "{}:{}: [{}] {}\n    {why}",
            self.file,
            self.line,
            self.rule,
            self.text.trim()
        )
    }
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn is_test_file(rel: &str) -> bool {
    rel.ends_with("/tests.rs") || rel.split('/').any(|part| part == "tests")
}

/// The lines of `text` that are code, with their numbers: no comment lines,
/// no trailing ` // …` comments, no `#[cfg(test)] mod … { … }` blocks.
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim();
        if t == "#[cfg(test)]" {
            let next = lines.get(i + 1).map_or("", |l| l.trim());
            if next.starts_with("mod ") && next.ends_with('{') {
                // Skip to the brace that closes the module.
                let mut depth = 0i32;
                let mut j = i + 1;
                while j < lines.len() {
                    depth += lines[j].matches('{').count() as i32;
                    depth -= lines[j].matches('}').count() as i32;
                    j += 1;
                    if depth <= 0 {
                        break;
                    }
                }
                i = j;
                continue;
            }
        }
        if !t.starts_with("//") {
            let code = match lines[i].find(" // ") {
                Some(at) => &lines[i][..at],
                None => lines[i],
            };
            out.push((i + 1, code.to_string()));
        }
        i += 1;
    }
    out
}

/// Every violation of [`RULES`] in the tree at `root` (its `src/`).
fn check(root: &Path) -> Vec<Violation> {
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut found = Vec::new();
    for path in files {
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if is_test_file(&rel) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines = code_lines(&text);
        for rule in RULES {
            let applies =
                rule.applies_to.is_empty() || rule.applies_to.iter().any(|d| rel.starts_with(d));
            if !applies || rule.allowed_in.iter().any(|d| rel.starts_with(d)) {
                continue;
            }
            for (n, line) in &lines {
                if rule.needles.iter().any(|needle| line.contains(needle)) {
                    found.push(Violation {
                        rule: rule.name,
                        file: rel.clone(),
                        line: *n,
                        text: line.clone(),
                    });
                }
            }
        }
    }
    found
}

#[test]
fn the_source_keeps_the_architecture_invariants() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let found = check(root);
    let new: Vec<String> = found
        .iter()
        .filter(|v| !ALLOWED_FOR_NOW.contains(&(v.rule, v.file.as_str())))
        .map(ToString::to_string)
        .collect();
    assert!(
        new.is_empty(),
        "architecture invariants broken (docs/ARCHITECTURE.md):\n{}",
        new.join("\n")
    );
    let seen: BTreeSet<(&str, &str)> = found.iter().map(|v| (v.rule, v.file.as_str())).collect();
    let stale: Vec<_> = ALLOWED_FOR_NOW
        .iter()
        .filter(|a| !seen.contains(a))
        .collect();
    assert!(
        stale.is_empty(),
        "fixed, so take them off ALLOWED_FOR_NOW: {stale:?}"
    );
}

#[test]
fn the_checker_reports_one_violation_per_rule_in_a_fixture_tree() {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    // One violation of each rule.
    write("src/inventory/client.rs", "use reqwest::Client;\n");
    write(
        "src/updater/root.rs",
        "fn f(c: &C) { c.get(\"/redfish/v1/Systems\"); }\n",
    );
    write("src/daemon/task.rs", "use redfish_schemas::Task;\n");
    write(
        "src/cli/db.rs",
        "fn f() { rusqlite::Connection::open(\"x\"); }\n",
    );
    write("src/demo/open.rs", "fn f() { SqliteStore::open(dir); }\n");
    write(
        "src/version/read.rs",
        "fn f(p: &str) -> String { std::fs::read_to_string(p).unwrap() }\n",
    );
    write(
        "src/schedule/when.rs",
        "fn f() -> i64 { chrono::Utc::now().timestamp() }\n",
    );
    // Not violations: where each is allowed, comments, test code.
    write(
        "src/redfish/client.rs",
        "use reqwest::Client;\nuse redfish_schemas::Task;\nconst ROOT: &str = \"/redfish/v1/\";\n",
    );
    write(
        "src/store/sqlite.rs",
        "use rusqlite::Connection;\npub struct SqliteStore;\n",
    );
    write("src/catalog/fetch.rs", "use reqwest::Client;\n");
    write(
        "src/planner/pure.rs",
        "//! No std::fs, no Utc::now() here.\nfn f() {} // not reqwest either\n\
         #[cfg(test)]\nmod tests {\n    fn g() { std::fs::read(\"x\").unwrap(); }\n}\n",
    );
    write("src/inventory/tests.rs", "use redfish_schemas::decode;\n");
    write(
        "src/updater/tests/helpers.rs",
        "const U: &str = \"/redfish/v1/x\";\n",
    );
    let found: BTreeSet<(&str, String)> = check(dir.path())
        .into_iter()
        .map(|v| (v.rule, v.file))
        .collect();
    let want: BTreeSet<(&str, String)> = [
        ("reqwest", "src/inventory/client.rs"),
        ("redfish-path", "src/updater/root.rs"),
        ("redfish-schemas", "src/daemon/task.rs"),
        ("rusqlite", "src/cli/db.rs"),
        ("sqlite-backend", "src/demo/open.rs"),
        ("pure-io", "src/version/read.rs"),
        ("pure-clock", "src/schedule/when.rs"),
    ]
    .into_iter()
    .map(|(r, f)| (r, f.to_string()))
    .collect();
    assert_eq!(found, want);
    // Every rule is exercised by the fixture.
    let rules: BTreeSet<&str> = RULES.iter().map(|r| r.name).collect();
    assert_eq!(rules, want.iter().map(|(r, _)| *r).collect());
    // A report names the file, the line and what to do.
    let v = check(dir.path())
        .into_iter()
        .find(|v| v.rule == "pure-clock")
        .unwrap();
    let text = v.to_string();
    assert!(
        text.starts_with("src/schedule/when.rs:1: [pure-clock]") && text.contains("argument"),
        "{text}"
    );
}
