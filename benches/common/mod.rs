//! What the benches share: their argument parsing, where the mock-bmc binary
//! is, and figures from /proc. Each bench uses part of it.
#![allow(dead_code)]

use std::path::PathBuf;

/// The value after `name` on the command line.
pub fn arg<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

/// A number after `name`, or `default`; a value that is not one ends the bench (exit 2).
pub fn num<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    match arg(args, name) {
        None => default,
        Some(v) => v.parse().unwrap_or_else(|_| {
            eprintln!("{name} {v}: not a number");
            std::process::exit(2)
        }),
    }
}

/// A `/proc/PID/status` figure in KiB (`VmHWM:`, `VmRSS:`); `pid` may be `self`.
pub fn status_kib(pid: &str, key: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The mock-bmc binary: `$MOCK_BMC_BIN`, else beside this bench's target dir.
pub fn mock_bin() -> PathBuf {
    if let Ok(p) = std::env::var("MOCK_BMC_BIN") {
        return p.into();
    }
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let p = dir.join("mock-bmc");
    if !p.exists() {
        eprintln!(
            "{} not found: run `cargo build --release -p mock-bmc` first (or set MOCK_BMC_BIN)",
            p.display()
        );
        std::process::exit(2);
    }
    p
}
