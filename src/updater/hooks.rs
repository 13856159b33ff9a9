//! Operator hooks: shell commands run before a coordinated reset (drain the
//! workload) and after each successful update (tell the CMDB), with what is
//! happening in `FWFLEET_*` environment variables. Credentials are never
//! passed: a hook that needs the BMC has its own.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

/// How much of a hook's output is kept (its end, for the error message).
const TAIL: usize = 64 * 1024;

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

/// Run `command` with `sh -c`; `Err` carries a one-line reason with the
/// command's last output line, for the journal.
pub async fn run(command: &str, env: &HookEnv, timeout: Duration) -> Result<(), String> {
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .envs(env.vars())
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
        .map(|l| format!(": {}", l.trim()))
        .unwrap_or_default();
    Err(format!(
        "{} hook `{command}` failed ({status}){last}",
        env.event
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[tokio::test]
    async fn hooks_see_the_host_and_fail_with_their_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("env");
        let cmd = format!("env | grep ^FWFLEET_ | sort > {}", out.display());
        run(&cmd, &env(), Duration::from_secs(10)).await.unwrap();
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
            Duration::from_secs(10),
        )
        .await
        .unwrap_err();
        assert!(e.contains("pre_reset") && e.contains("node busy"), "{e}");
        let e = run("sleep 5", &env(), Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(e.contains("killed"), "{e}");
    }
}
