//! The audit trail on the command line: every mutating command is recorded
//! before it acts (`audited` says which and how), and `fwfleet audit` shows
//! the trail (docs/SECURITY.md#audit).

use super::{Command, Format, UsageError};
use crate::audit::{self, Call, Caller};
use crate::store::{AuditRecord, Store};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    #[arg(long, value_name = "FILE", help = super::CONFIG_HELP)]
    pub config: Option<PathBuf>,
    /// table or json (`{"entries":[…]}`, newest first).
    #[arg(long, default_value = "table")]
    pub format: Format,
    /// Show at most this many entries (newest first).
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub limit: usize,
}

/// What a mutating command is, for its audit row: the config it works on
/// and the call; `None` for commands that change nothing.
pub(super) struct Audited {
    /// As given (`None`: the default path, resolved when the row is written).
    config: Option<PathBuf>,
    action: &'static str,
    target: Option<String>,
}

pub(super) fn audited(c: &Command) -> Option<Audited> {
    use super::repo_plan::RepoCommand as R;
    let (config, action, target) = match c {
        Command::Apply(a) if !a.dry_run => (
            &a.config,
            if a.override_freeze.is_some() {
                "apply.override-freeze"
            } else {
                "apply"
            },
            a.select.hosts_text(),
        ),
        Command::Rollback(a) if !a.dry_run => (
            &a.config,
            if a.override_freeze.is_some() {
                "rollback.override-freeze"
            } else {
                "rollback"
            },
            Some(hosts_and_selector(
                &a.select.hosts,
                a.select.selector.as_deref(),
            )),
        ),
        Command::Unstage(a) => (
            &a.config,
            "unstage",
            Some(hosts_and_selector(&a.hosts, a.selector.as_deref())),
        ),
        Command::Trust(a) if !a.dry_run => (&a.config, "trust", a.select.hosts_text()),
        Command::Run(r) => (
            &r.command.args().config,
            r.command.action(),
            Some(format!("run {}", r.command.args().id)),
        ),
        Command::Hold(h) => match &h.command {
            super::steer::HoldCommand::Add(a) => (
                &a.config,
                "hold.add",
                Some(hosts_and_selector(&a.hosts, a.selector.as_deref())),
            ),
            super::steer::HoldCommand::Remove(a) => {
                (&a.config, "hold.remove", Some(format!("hold {}", a.id)))
            }
            super::steer::HoldCommand::List(_) => return None,
        },
        Command::Repo(r) => match &r.command {
            R::Add(a) => (&a.at.config, "repo.add", Some(a.file.display().to_string())),
            R::Edit(a) => (&a.at.config, "repo.edit", Some(a.file.clone())),
            R::Import { index, at } => {
                (&at.config, "repo.import", Some(index.display().to_string()))
            }
            R::ImportCatalog(a) if !a.dry_run => (
                &a.at.config,
                "repo.import-catalog",
                Some(a.catalog.display().to_string()),
            ),
            R::Remove { file, at } => (&at.config, "repo.remove", Some(file.clone())),
            _ => return None,
        },
        _ => return None,
    };
    Some(Audited {
        config: config.clone(),
        action,
        target,
    })
}

/// The command line as typed (fwfleet takes no secret as an argument),
/// bounded.
fn command_line() -> String {
    let line = std::env::args().collect::<Vec<_>>().join(" ");
    line.chars().take(1000).collect()
}

/// Run `run` recorded as `a`: the row is written before it starts, and a
/// command whose row cannot be written does not run. A config that cannot
/// be read is left to the command, which says what is wrong with it.
pub(super) async fn run<F>(a: Audited, run: F) -> anyhow::Result<ExitCode>
where
    F: std::future::Future<Output = anyhow::Result<ExitCode>>,
{
    let Ok(path) = super::config_path(a.config.as_deref()) else {
        return run.await;
    };
    let Ok(state_dir) = crate::config::Config::state_dir_of(&path) else {
        return run.await;
    };
    let store = Store::open(&state_dir).await.map_err(|e| {
        UsageError(format!(
            "cannot record this command in the audit trail: {e}\n  hint: fwfleet records every change before making it; check that the state directory {} is writable",
            state_dir.display()
        ))
    })?;
    let line = command_line();
    let pending = audit::begin(
        &store,
        &Caller::local(),
        Call {
            action: a.action,
            target: a.target.as_deref(),
            detail: Some(&line),
        },
    )
    .await
    .map_err(|e| {
        UsageError(format!(
            "cannot record this command in the audit trail: {e}"
        ))
    })?;
    let result = run.await;
    match &result {
        Ok(code) if *code == ExitCode::SUCCESS => pending.ok(None).await,
        Ok(_) => {
            pending
                .failed("exited 1: some host or item failed".into())
                .await
        }
        Err(e) => pending.failed(format!("{e:#}")).await,
    }
    result
}

/// `fwfleet audit`.
pub(super) async fn show(args: AuditArgs) -> anyhow::Result<ExitCode> {
    if args.limit == 0 || args.limit > 100_000 {
        return Err(UsageError("--limit must be between 1 and 100000".into()).into());
    }
    let state_dir =
        crate::config::Config::state_dir_of(&super::config_path(args.config.as_deref())?)
            .map_err(|e| UsageError(e.to_string()))?;
    let store = Store::open(&state_dir).await?;
    let entries = store.audit(args.limit, None).await?;
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "entries": entries }))?
        ),
        Format::Text => print!("{}", table(&entries)),
    }
    Ok(ExitCode::SUCCESS)
}

fn table(entries: &[AuditRecord]) -> String {
    let mut out = format!(
        "{:<6} {:<24} {:<20} {:<9} {:<22} {:<20} {:<24} {:<8}\n",
        "ID", "AT", "WHO", "ROLE", "FROM", "ACTION", "TARGET", "OUTCOME"
    );
    for e in entries {
        out.push_str(&format!(
            "{:<6} {:<24} {:<20} {:<9} {:<22} {:<20} {:<24} {:<8}\n",
            e.id,
            e.at,
            e.who,
            e.role.map_or("-", |r| r.as_str()),
            e.origin,
            e.action,
            e.target.as_deref().unwrap_or("-"),
            e.outcome
        ));
    }
    if entries.is_empty() {
        out.push_str("(no audited call yet)\n");
    }
    out
}

/// `NAMES SELECTOR` as a command chose its hosts, for the audit's target.
fn hosts_and_selector(hosts: &[String], selector: Option<&str>) -> String {
    [hosts.join(","), selector.unwrap_or_default().to_string()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
