//! `fwfleet serve` as a child process for tests: started on 127.0.0.1 port 0
//! with its token from an environment variable, its stderr read line by line
//! so a test waits for what the service logs instead of sleeping. Shared
//! with the browser tests (`tests/browser`, `#[path]`).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

/// How long a test waits for one expected log line.
const LINE_WAIT: Duration = Duration::from_secs(90);

#[derive(Debug)]
pub struct Serve {
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    lines: Receiver<String>,
}

impl Serve {
    /// Start `serve` on `config`, the API token in `token_var` (which the
    /// config's `[daemon] token_env` names), logging at `log_level`.
    pub fn start(config: &Path, token_var: &str, token: &str, log_level: &str) -> Serve {
        Serve::start_with(config, &[(token_var, token)], log_level)
    }

    /// [`Serve::start`] with several token variables (named tokens with
    /// roles, `[[daemon.tokens]]`).
    pub fn start_with(config: &Path, tokens: &[(&str, &str)], log_level: &str) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
            .args(["serve", "--bind", "127.0.0.1:0", "--config"])
            .arg(config)
            .envs(tokens.iter().copied())
            .env("RUST_LOG", log_level)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = std::sync::mpsc::channel::<String>();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut s = Serve {
            child,
            base: String::new(),
            lines,
        };
        s.base = s
            .wait_for("fwfleet serve: listening on ")
            .trim_start_matches("fwfleet serve: listening on ")
            .to_string();
        s
    }

    /// The next stderr line containing `needle`; the lines before it are
    /// shown if it never comes.
    pub fn wait_for(&self, needle: &str) -> String {
        let mut seen = Vec::new();
        loop {
            let Ok(line) = self.lines.recv_timeout(LINE_WAIT) else {
                panic!(
                    "serve never logged {needle:?}; it logged:\n{}",
                    seen.join("\n")
                );
            };
            if line.contains(needle) {
                return line;
            }
            seen.push(line);
        }
    }

    /// Send a signal by name (`HUP`, `TERM`).
    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{name}");
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
