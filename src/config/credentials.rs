//! Where credentials come from and how they travel: who else may read a
//! file that holds one, the `password_command` a vault answers through, and
//! whether a URL carries a password over the network in the clear.

use super::settings::ProxyUrl;
use crate::secret::Secret;
use std::path::Path;
use std::time::Duration;

/// Who besides the owner can touch a file holding a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Exposure {
    /// Owner only.
    Private,
    /// Group or others may read (or write) it: warned about.
    Shared(u32),
    /// Every user may write it: refused.
    WorldWritable(u32),
}

/// `None` when the file cannot be looked at (its reader reports that).
pub(super) fn exposure(path: &Path) -> Option<Exposure> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        Some(if mode & 0o002 != 0 {
            Exposure::WorldWritable(mode)
        } else if mode & 0o077 != 0 {
            Exposure::Shared(mode)
        } else {
            Exposure::Private
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Some(Exposure::Private)
    }
}

/// The largest output a `password_command` may print: a password, not a file.
pub(super) const MAX_COMMAND_OUTPUT: usize = 64 * 1024;

/// Run a `password_command` (argv, no shell: nothing in it is expanded or
/// interpreted) in the config's directory with fwfleet's environment (a
/// vault client needs its address and token), stdin closed and a timeout; the
/// password is its output with surrounding whitespace trimmed. Errors name
/// the program, never what it printed.
pub(super) fn password_command(
    argv: &[String],
    dir: &Path,
    timeout: Duration,
) -> Result<Secret, String> {
    use std::io::Read;
    let Some(program) = argv.first().filter(|p| !p.trim().is_empty()) else {
        return Err("is empty; write the program and its arguments as a list, e.g. [\"vault\", \"kv\", \"get\", \"-field=password\", \"bmc/r12\"]".into());
    };
    let hint =
        "\n  hint: run it by hand as the user fwfleet runs as; fwfleet never shows what it prints";
    let mut cmd = std::process::Command::new(program);
    // Relative paths in it are relative to the config, like every other path.
    if dir.is_dir() {
        cmd.current_dir(dir);
    }
    let mut child = cmd
        .args(&argv[1..])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("`{program}` could not start: {e}{hint}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let r = (&mut stdout)
            .take(MAX_COMMAND_OUTPUT as u64 + 1)
            .read_to_end(&mut out);
        let _ = tx.send(r.map(|_| out));
    });
    let deadline = std::time::Instant::now() + timeout;
    let kill = |child: &mut std::process::Child| {
        let _ = child.kill();
        let _ = child.wait();
    };
    let timed_out = || {
        format!(
            "`{program}` did not finish within {}s and was killed{hint}\n  hint: raise defaults.password_command_timeout_secs if the vault is slow",
            timeout.as_secs_f64()
        )
    };
    // The output ends when the program closes its stdout (usually: exits).
    let out = match rx.recv_timeout(timeout) {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => {
            kill(&mut child);
            return Err(format!("reading the output of `{program}`: {e}"));
        }
        Err(_) => {
            kill(&mut child);
            return Err(timed_out());
        }
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Ok(None) => {
                kill(&mut child);
                return Err(timed_out());
            }
            Err(e) => return Err(format!("waiting for `{program}`: {e}")),
        }
    };
    if !status.success() {
        return Err(format!("`{program}` failed ({status}){hint}"));
    }
    if out.len() > MAX_COMMAND_OUTPUT {
        return Err(format!(
            "`{program}` printed more than {MAX_COMMAND_OUTPUT} bytes; a password_command prints the password alone{hint}"
        ));
    }
    let text = String::from_utf8(out)
        .map_err(|_| format!("`{program}` printed something that is not UTF-8 text{hint}"))?;
    let password = text.trim();
    if password.is_empty() {
        return Err(format!("`{program}` printed nothing{hint}"));
    }
    Ok(Secret::new(password))
}

/// A proxy URL fwfleet can use; the error never contains the URL (it may
/// hold credentials).
pub(super) fn check_proxy(p: &ProxyUrl) -> Result<(), String> {
    let bad = "is not an http:// or https:// proxy URL (the value is not shown: it may hold credentials)\n  hint: e.g. proxy = \"http://mgmt-proxy.example:3128\"";
    let u = url::Url::parse(p.expose()).map_err(|_| bad.to_string())?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none_or(str::is_empty) {
        return Err(bad.into());
    }
    Ok(())
}

/// Whether a BMC URL names this machine (the mock): plain http there
/// crosses no network.
pub(super) fn is_loopback_url(url: &str) -> bool {
    let Some(host) = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
    else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}
