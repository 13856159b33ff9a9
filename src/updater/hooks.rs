//! Operator hooks: shell commands run before a coordinated reset (drain the
//! workload) and after each successful update (tell the CMDB), with what is
//! happening in `FWFLEET_*` environment variables. Credentials are never
//! passed: a hook that needs the BMC has its own.
//!
//! A hook starts from an empty environment: the `FWFLEET_*` variables,
//! `PATH`, `HOME`, `LANG` and the names in `rollout.env_passthrough` (which
//! the config refuses for secret variables), so a `password_env` or
//! `token_env` variable cannot reach it. What it prints is bounded and
//! scrubbed of every configured secret before it reaches a log or the store.

use crate::config::Hooks;
use std::collections::BTreeMap;
use std::process::Stdio;
use tokio::io::{AsyncRead, AsyncReadExt};

/// How much of a hook's output is kept (its end, for the error message).
const TAIL: usize = 64 * 1024;

/// The longest output line that reaches the journal.
const MAX_LINE: usize = 512;

/// The variables of fwfleet's own environment every hook gets.
const INHERITED: [&str; 3] = ["PATH", "HOME", "LANG"];

/// `PATH` for a hook when fwfleet itself has none.
const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Read `r` to its end, keeping the last [`TAIL`] bytes.
async fn tail<R: AsyncRead + Unpin>(r: Option<R>) -> Vec<u8> {
    let mut kept = Vec::new();
    let Some(mut r) = r else { return kept };
    let mut buf = [0u8; 8192];
    while let Ok(n) = r.read(&mut buf).await {
        if n == 0 {
            break;
        }
        kept.extend_from_slice(&buf[..n]);
        if kept.len() > 2 * TAIL {
            kept.drain(..kept.len() - TAIL);
        }
    }
    kept
}

/// What a hook is told.
#[derive(Debug, Clone, Default)]
pub struct HookEnv {
    pub event: &'static str,
    pub host: String,
    pub bmc_url: String,
    pub run_id: i64,
    /// `identity kind from→to` per component involved.
    pub components: Vec<(String, String, Option<String>, String)>,
}

impl HookEnv {
    fn vars(&self) -> BTreeMap<&'static str, String> {
        let mut v = BTreeMap::new();
        v.insert("FWFLEET_EVENT", self.event.to_string());
        v.insert("FWFLEET_HOST", self.host.clone());
        v.insert("FWFLEET_BMC_URL", self.bmc_url.clone());
        v.insert("FWFLEET_RUN_ID", self.run_id.to_string());
        if let Some((id, kind, from, to)) = self.components.first() {
            v.insert("FWFLEET_COMPONENT", id.clone());
            v.insert("FWFLEET_KIND", kind.clone());
            v.insert("FWFLEET_FROM_VERSION", from.clone().unwrap_or_default());
            v.insert("FWFLEET_TO_VERSION", to.clone());
        }
        v.insert(
            "FWFLEET_COMPONENTS",
            self.components
                .iter()
                .map(|(id, kind, from, to)| {
                    format!("{id}:{kind}:{}:{to}", from.as_deref().unwrap_or(""))
                })
                .collect::<Vec<_>>()
                .join(" "),
        );
        v
    }
}

/// The whole environment of a hook: nothing of fwfleet's but `PATH`,
/// `HOME`, `LANG` and the allowed names.
fn environment(env: &HookEnv, passthrough: &[String]) -> BTreeMap<String, String> {
    let mut v = BTreeMap::new();
    for name in INHERITED
        .iter()
        .copied()
        .chain(passthrough.iter().map(String::as_str))
    {
        if let Some(value) = std::env::var_os(name).and_then(|x| x.into_string().ok()) {
            v.insert(name.to_string(), value);
        }
    }
    v.entry("PATH".to_string())
        .or_insert_with(|| DEFAULT_PATH.to_string());
    for (k, x) in env.vars() {
        v.insert(k.to_string(), x);
    }
    v
}

/// Run `command` with `sh -c` in a clean environment; `Err` carries a
/// one-line reason with the command's last output line (bounded, configured
/// secrets replaced by `[redacted]`), for the journal.
pub async fn run(command: &str, env: &HookEnv, hooks: &Hooks) -> Result<(), String> {
    run_unredacted(command, env, hooks)
        .await
        .map_err(|e| hooks.redact.redact(&e))
}

async fn run_unredacted(command: &str, env: &HookEnv, hooks: &Hooks) -> Result<(), String> {
    let timeout = hooks.timeout;
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .env_clear()
        .envs(environment(env, &hooks.env_passthrough))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("{} hook `{command}` could not start: {e}", env.event))?;
    let out = child.stdout.take();
    let err = child.stderr.take();
    // Both pipes are drained at once and to the end, keeping only their tails:
    // a chatty hook must never block on a full pipe we stopped reading.
    let result = tokio::time::timeout(timeout, async {
        let (o, e) = tokio::join!(tail(out), tail(err));
        (child.wait().await, o, e)
    })
    .await;
    let (status, o, e) = match result {
        Ok(r) => r,
        Err(_) => {
            return Err(format!(
                "{} hook `{command}` did not finish within {}s and was killed",
                env.event,
                timeout.as_secs()
            ))
        }
    };
    let status = status.map_err(|e| format!("{} hook `{command}`: {e}", env.event))?;
    if status.success() {
        return Ok(());
    }
    let last = String::from_utf8_lossy(if e.is_empty() { &o } else { &e })
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| format!(": {}", bounded_line(l.trim())))
        .unwrap_or_default();
    Err(format!(
        "{} hook `{command}` failed ({status}){last}",
        env.event
    ))
}

/// A line as it may be journaled: at most [`MAX_LINE`] characters, control
/// characters (terminal escapes) escaped.
fn bounded_line(l: &str) -> String {
    let mut out: String = l
        .chars()
        .take(MAX_LINE)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if l.chars().count() > MAX_LINE {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn env() -> HookEnv {
        HookEnv {
            event: "pre_reset",
            host: "rack1-07".into(),
            bmc_url: "https://10.0.0.7".into(),
            run_id: 4,
            components: vec![(
                "BIOS".into(),
                "bios".into(),
                Some("1.2".into()),
                "1.3".into(),
            )],
        }
    }

    fn hooks(secs: u64) -> Hooks {
        Hooks {
            timeout: Duration::from_secs(secs),
            ..Hooks::default()
        }
    }

    #[test]
    fn long_or_escaping_lines_are_bounded() {
        assert_eq!(bounded_line("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        let long = "y".repeat(5000);
        assert_eq!(bounded_line(&long).chars().count(), MAX_LINE + 1);
    }

    #[tokio::test]
    async fn hooks_see_the_host_and_fail_with_their_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("env");
        let cmd = format!("env | grep ^FWFLEET_ | sort > {}", out.display());
        run(&cmd, &env(), &hooks(10)).await.unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        for want in [
            "FWFLEET_HOST=rack1-07",
            "FWFLEET_EVENT=pre_reset",
            "FWFLEET_FROM_VERSION=1.2",
            "FWFLEET_TO_VERSION=1.3",
            "FWFLEET_COMPONENTS=BIOS:bios:1.2:1.3",
        ] {
            assert!(text.contains(want), "{text}");
        }
        let e = run(
            "echo draining; echo 'node busy' >&2; exit 3",
            &env(),
            &hooks(10),
        )
        .await
        .unwrap_err();
        assert!(e.contains("pre_reset") && e.contains("node busy"), "{e}");
        let short = Hooks {
            timeout: Duration::from_millis(200),
            ..hooks(1)
        };
        let e = run("sleep 5", &env(), &short).await.unwrap_err();
        assert!(e.contains("killed"), "{e}");
    }
}
