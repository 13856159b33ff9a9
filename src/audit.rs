//! Who is calling, for the audit trail (docs/SECURITY.md#audit), and the
//! record-before-you-act wrapper every mutating call goes through.
//!
//! An API call is identified by its token's name and role and the peer's
//! address (`daemon::auth`); a CLI command by the local user running it.
//! The user is the process's real owner read from `/proc/self` (not
//! `$USER`, which anyone can set), named from `/etc/passwd`; `sudo` and
//! `ssh` leave their own traces in the environment, which are recorded as
//! what they are: where the user says they came from.

use crate::store::{NewAudit, Store, StoreError};
use crate::vocab::{ApiRole, AuditOutcome, AuditVia};

/// The caller of one mutating call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// `token:NAME` or `user:NAME`.
    pub who: String,
    pub role: Option<ApiRole>,
    pub via: AuditVia,
    /// The peer's address, or where a local user came from.
    pub origin: String,
}

impl Caller {
    /// An API caller: the token's name and role, the peer's address.
    pub fn token(name: &str, role: ApiRole, peer: Option<std::net::SocketAddr>) -> Caller {
        Caller {
            who: format!("token:{name}"),
            role: Some(role),
            via: AuditVia::Api,
            origin: peer.map_or_else(|| "unknown".to_string(), |p| p.to_string()),
        }
    }

    /// The local user running this process.
    pub fn local() -> Caller {
        let user = local_user();
        let mut origin = String::from("local");
        if let Ok(by) = std::env::var("SUDO_USER") {
            origin.push_str(&format!(" (sudo by {})", printable(&by)));
        }
        if let Some(from) = std::env::var("SSH_CONNECTION")
            .ok()
            .and_then(|s| s.split_whitespace().next().map(str::to_string))
        {
            origin.push_str(&format!(" (ssh from {})", printable(&from)));
        }
        Caller {
            who: format!("user:{user}"),
            role: None,
            via: AuditVia::Cli,
            origin,
        }
    }
}

/// Bounded and without control characters: what lands in the trail comes
/// partly from the caller.
fn printable(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect::<String>()
}

/// The real owner of this process: its name from `/etc/passwd`, else
/// `uid N` (users from a directory service that `/etc/passwd` lacks).
fn local_user() -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let Ok(meta) = std::fs::metadata("/proc/self") else {
            return "unknown".into();
        };
        let uid = meta.uid();
        let name = std::fs::read_to_string("/etc/passwd").ok().and_then(|t| {
            t.lines().find_map(|l| {
                let mut f = l.split(':');
                let name = f.next()?;
                let id = f.nth(1)?;
                (id.parse::<u32>().ok()? == uid).then(|| name.to_string())
            })
        });
        match name {
            Some(n) => n,
            None => format!("uid {uid}"),
        }
    }
    #[cfg(not(unix))]
    {
        std::env::var("USERNAME").unwrap_or_else(|_| "unknown".into())
    }
}

/// A call recorded as `started`; finish it with [`Pending::ok`] or
/// [`Pending::failed`]. Dropping it unfinished leaves `started`, which is
/// what a crash leaves too.
#[derive(Debug)]
#[must_use = "finish the audit entry with ok() or failed()"]
pub struct Pending {
    store: Store,
    id: i64,
}

/// What a call is, before it acts.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub detail: Option<&'a str>,
}

/// Record `call` by `caller` before it acts. An error means the call must
/// not go ahead.
pub async fn begin(store: &Store, caller: &Caller, call: Call<'_>) -> Result<Pending, StoreError> {
    let id = store
        .begin_audit(&entry(caller, call), AuditOutcome::Started)
        .await?;
    Ok(Pending {
        store: store.clone(),
        id,
    })
}

/// Record a call that was refused before it acted.
pub async fn denied(store: &Store, caller: &Caller, call: Call<'_>) -> Result<(), StoreError> {
    store
        .begin_audit(&entry(caller, call), AuditOutcome::Denied)
        .await
        .map(|_| ())
}

fn entry<'a>(caller: &'a Caller, call: Call<'a>) -> NewAudit<'a> {
    NewAudit {
        who: &caller.who,
        role: caller.role,
        via: caller.via,
        origin: &caller.origin,
        action: call.action,
        target: call.target,
        detail: call.detail,
    }
}

impl Pending {
    /// The id of the row, for tests and messages.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The call did what it was asked; `target` names what it made (a run id).
    pub async fn ok(self, target: Option<String>) {
        self.finish(AuditOutcome::Ok, target, None).await;
    }

    /// The call failed; `why` goes into the row's detail.
    pub async fn failed(self, why: String) {
        self.finish(AuditOutcome::Failed, None, Some(why)).await;
    }

    /// The call was refused before it acted (a role that does not allow
    /// what the request asked for); `why` goes into the row's detail.
    pub async fn denied(self, why: String) {
        self.finish(AuditOutcome::Denied, None, Some(why)).await;
    }

    async fn finish(self, outcome: AuditOutcome, target: Option<String>, detail: Option<String>) {
        // The call has acted by now: a failure to record how it ended is
        // logged, and the `started` row stays as the trace.
        if let Err(e) = self
            .store
            .finish_audit(self.id, outcome, target, detail.map(|d| printable_long(&d)))
            .await
        {
            tracing::error!(
                audit = self.id,
                "cannot record how an audited call ended: {e}"
            );
        }
    }
}

/// A failure message, bounded.
fn printable_long(s: &str) -> String {
    s.chars().take(2000).collect()
}
