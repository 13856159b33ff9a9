//! `fwfleet run pause|resume|cancel|approve` and `fwfleet hold add|list|remove`:
//! steering runs and keeping hosts out, through the store, so they reach an
//! `apply` in another shell and a `serve` alike (docs/APPLY.md#steering).

use super::{Format, UsageError};
use crate::audit::Caller;
use crate::store::{NewHold, Store};
use crate::updater::control::{self, SteerError};
use crate::updater::lock::UpdateLock;
use crate::vocab::{Control, RunStatus};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(subcommand)]
    pub command: RunCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum RunCommand {
    /// No new host or step starts; running steps finish and are recorded. Returns once the run's executor has recorded `paused`.
    Pause(SteerArgs),
    /// Let a paused run start hosts and steps again.
    Resume(SteerArgs),
    /// No new host or step starts; the run ends `cancelled` once running steps are recorded.
    Cancel(SteerArgs),
    /// Approve the phase gate the run waits at (a phase with approve = true ended): the next phase starts.
    Approve(SteerArgs),
}

#[derive(Debug, clap::Args)]
pub struct SteerArgs {
    /// The run's id (`fwfleet status` lists them).
    pub id: i64,
    /// Why, for the run's events and the audit trail.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    #[arg(long, value_name = "FILE", help = super::CONFIG_HELP)]
    pub config: Option<PathBuf>,
    /// How long to wait for the executor to act, in seconds.
    #[arg(long, default_value_t = 120, value_name = "SECS")]
    pub timeout: u64,
    /// text or json (`{"run_id","requested","state",…}`).
    #[arg(long, default_value = "text")]
    pub format: Format,
}

impl RunCommand {
    pub fn args(&self) -> &SteerArgs {
        match self {
            RunCommand::Pause(a)
            | RunCommand::Resume(a)
            | RunCommand::Cancel(a)
            | RunCommand::Approve(a) => a,
        }
    }

    /// The audit trail's name for it.
    pub fn action(&self) -> &'static str {
        match self {
            RunCommand::Pause(_) => "run.pause",
            RunCommand::Resume(_) => "run.resume",
            RunCommand::Cancel(_) => "run.cancel",
            RunCommand::Approve(_) => "run.approve",
        }
    }

    /// What the run is asked to be; `None` for an approval, which is a
    /// journal event, not a control.
    fn want(&self) -> Option<Control> {
        match self {
            RunCommand::Pause(_) => Some(Control::Paused),
            RunCommand::Resume(_) => Some(Control::Running),
            RunCommand::Cancel(_) => Some(Control::Cancelled),
            RunCommand::Approve(_) => None,
        }
    }
}

/// Whether a fwfleet process holds the update lock of `dir` (an `apply` or
/// a `serve` that could be running the run). Taking the lock to find out
/// is released at once.
fn executor_alive(dir: &std::path::Path) -> bool {
    match UpdateLock::acquire(dir) {
        Ok(lock) => {
            lock.release();
            false
        }
        Err(_) => true,
    }
}

/// `fwfleet run approve ID`: the phase gate the run waits at opens; the
/// run's executor sees it at its next read of the journal.
async fn approve(a: &SteerArgs) -> anyhow::Result<ExitCode> {
    use crate::updater::approval::{self, ApproveError};
    let cfg = super::load_config(&a.config)?;
    let store = Store::open(&cfg.state_dir).await?;
    let caller = Caller::local();
    let reason = a.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let phase = approval::approve(&store, a.id, &caller.who, reason)
        .await
        .map_err(|e| match e {
            ApproveError::Store(e) => anyhow::Error::from(e),
            e => UsageError(e.to_string()).into(),
        })?;
    let note = format!(
        "run {}: phase {phase} approved; the next phase starts",
        a.id
    );
    match a.format {
        Format::Text => println!("{note}"),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "run_id": a.id,
                "approved": phase,
                "message": note,
            }))?
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// `fwfleet run pause|resume|cancel|approve ID`.
pub async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let a = args.command.args();
    let Some(want) = args.command.want() else {
        return approve(a).await;
    };
    if a.timeout == 0 {
        return Err(UsageError("--timeout must be at least 1 second".into()).into());
    }
    let cfg = super::load_config(&a.config)?;
    let store = Store::open(&cfg.state_dir).await?;
    let caller = Caller::local();
    let reason = a.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let run = control::request(&store, a.id, want, &caller.who, reason)
        .await
        .map_err(|e| match e {
            SteerError::Store(e) => anyhow::Error::from(e),
            e => UsageError(e.to_string()).into(),
        })?;
    let verb = match want {
        Control::Paused => "pause",
        Control::Running => "resume",
        Control::Cancelled => "cancel",
    };
    let serve_run = run
        .options::<serde_json::Value>()
        .ok()
        .is_some_and(|v| v.get("command").and_then(|c| c.as_str()) == Some("serve"));
    if !executor_alive(&cfg.state_dir) {
        // Nobody runs it now: a run left by a stopped process.
        let note = match want {
            Control::Cancelled => {
                let _lock = UpdateLock::acquire(&cfg.state_dir)?;
                store.ack_control(a.id, Control::Cancelled).await?;
                store
                    .add_event(
                        a.id,
                        None,
                        RunStatus::Cancelled.as_str(),
                        &format!(
                            "cancelled by {}{} while no process ran it; steps it left in flight are decided by the next apply or serve",
                            caller.who,
                            reason.map(|r| format!(" ({r})")).unwrap_or_default()
                        ),
                    )
                    .await?;
                store.finish_run(a.id, RunStatus::Cancelled).await?;
                format!("run {}: cancelled (no fwfleet process was running it)", a.id)
            }
            Control::Paused => format!(
                "run {}: pause recorded; no fwfleet process runs it now{}",
                a.id,
                if serve_run {
                    ": `fwfleet serve` keeps it paused when it starts"
                } else {
                    ""
                }
            ),
            Control::Running if serve_run => format!(
                "run {}: resume recorded; no fwfleet process runs it now: the next `fwfleet serve` continues it",
                a.id
            ),
            Control::Running => {
                return Err(UsageError(format!(
                    "run {}: resume recorded, but no fwfleet process runs it and an `apply` run cannot be continued\n  hint: `fwfleet run cancel {} --config {}` ends it; a new `fwfleet apply` plans afresh",
                    a.id,
                    a.id,
                    cfg.path.display()
                ))
                .into())
            }
        };
        return report(a.format, a.id, want, &store, &note).await;
    }
    // Wait for the executor to act on it.
    let deadline = Instant::now() + Duration::from_secs(a.timeout);
    loop {
        let c = store.control(a.id).await?;
        let status = store.run(a.id).await?.map(|r| r.status);
        let done =
            c.as_ref().is_some_and(|c| c.acked == Some(want)) || status != Some(RunStatus::Running);
        if done {
            let note = match (want, status) {
                (_, Some(s)) if s != RunStatus::Running => {
                    format!("run {}: {verb} recorded; the run has ended ({s})", a.id)
                }
                (Control::Paused, _) => format!(
                    "run {}: paused; no step is submitted until `fwfleet run resume {}`",
                    a.id, a.id
                ),
                (Control::Running, _) => format!("run {}: resumed", a.id),
                (Control::Cancelled, _) => format!(
                    "run {}: cancelling; no new step starts, running steps finish and are recorded",
                    a.id
                ),
            };
            return report(a.format, a.id, want, &store, &note).await;
        }
        if Instant::now() >= deadline {
            return Err(UsageError(format!(
                "run {}: {verb} recorded, but its executor has not acknowledged it within {}s\n  hint: a step that passed the gate just before may still be on its way to its BMC; `fwfleet status --run {}` shows the run; the request stays recorded",
                a.id, a.timeout, a.id
            ))
            .into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn report(
    format: Format,
    id: i64,
    want: Control,
    store: &Store,
    note: &str,
) -> anyhow::Result<ExitCode> {
    match format {
        Format::Text => println!("{note}"),
        Format::Json => {
            let run = store.run(id).await?;
            let c = store.control(id).await?;
            let state = match (&run, &c) {
                (Some(r), Some(c)) if r.status == RunStatus::Running => c.state(),
                (Some(r), _) => r.status.as_str(),
                _ => "unknown",
            };
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "run_id": id,
                    "requested": want,
                    "state": state,
                    "control": c,
                    "message": note,
                }))?
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct HoldArgs {
    #[command(subcommand)]
    pub command: HoldCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum HoldCommand {
    /// Keep hosts (or some of their components) out of updates, or pin components at a version.
    Add(HoldAddArgs),
    /// The holds and pins in force: the config's `[[holds]]` and the stored ones.
    List(HoldListArgs),
    /// Remove a stored hold or pin by its id.
    Remove(HoldRemoveArgs),
}

#[derive(Debug, clap::Args)]
pub struct HoldAddArgs {
    /// Hosts by name or glob, comma-separated or repeated.
    #[arg(long, value_name = "NAMES")]
    pub hosts: Vec<String>,
    /// Hosts by label: 'rack=r12', 'role in (db,web)', '!canary'.
    #[arg(long, short = 'l', value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Only these component kinds, comma-separated (default: every component).
    #[arg(long, value_name = "KINDS", value_delimiter = ',')]
    pub kinds: Vec<String>,
    /// A pin: the components are not moved past this version.
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// Why (shown in the plan and the run's steps).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Expiry, RFC 3339 (default: until removed).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    #[arg(long, value_name = "FILE", help = super::CONFIG_HELP)]
    pub config: Option<PathBuf>,
    /// text or json (`{"id"}`).
    #[arg(long, default_value = "text")]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct HoldListArgs {
    #[arg(long, value_name = "FILE", help = super::CONFIG_HELP)]
    pub config: Option<PathBuf>,
    /// text or json (`{"holds":[…]}`).
    #[arg(long, default_value = "text")]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct HoldRemoveArgs {
    /// The stored hold's id (`fwfleet hold list`).
    pub id: i64,
    #[arg(long, value_name = "FILE", help = super::CONFIG_HELP)]
    pub config: Option<PathBuf>,
}

impl HoldCommand {
    pub fn config(&self) -> &Option<PathBuf> {
        match self {
            HoldCommand::Add(a) => &a.config,
            HoldCommand::List(a) => &a.config,
            HoldCommand::Remove(a) => &a.config,
        }
    }
}

/// `fwfleet hold add|list|remove`.
pub async fn hold(args: HoldArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        HoldCommand::Add(a) => {
            // Checked as the config's `[[holds]]` are, before anything is stored.
            crate::holds::Hold::parse(
                crate::holds::HoldSource::Stored {
                    id: 0,
                    by: String::new(),
                },
                &a.hosts,
                a.selector.as_deref(),
                &a.kinds,
                a.version.as_deref(),
                &a.reason,
                a.until.as_deref(),
                crate::select::Source::Cli,
            )
            .map_err(|e| UsageError(format!("hold add: {e}")))?;
            let cfg = super::load_config(&a.config)?;
            let store = Store::open(&cfg.state_dir).await?;
            let caller = Caller::local();
            let (hosts, kinds) = (a.hosts.join(","), a.kinds.join(","));
            let id = store
                .add_hold(&NewHold {
                    created_by: &caller.who,
                    hosts: (!hosts.is_empty()).then_some(hosts.as_str()),
                    selector: a.selector.as_deref(),
                    kinds: (!kinds.is_empty()).then_some(kinds.as_str()),
                    version: a.version.as_deref(),
                    reason: &a.reason,
                    until: a.until.as_deref(),
                })
                .await?;
            match a.format {
                Format::Json => println!("{}", serde_json::json!({ "id": id })),
                Format::Text => println!(
                    "{} {id} added; running runs skip what it covers at their next step boundary; `fwfleet hold remove {id}` lifts it",
                    if a.version.is_some() { "pin" } else { "hold" }
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        HoldCommand::List(a) => {
            let cfg = super::load_config(&a.config)?;
            let store = Store::open(&cfg.state_dir).await?;
            let stored = store.holds().await?;
            let now = chrono::Utc::now();
            match a.format {
                Format::Json => {
                    let config: Vec<serde_json::Value> = cfg
                        .holds
                        .iter()
                        .map(|h| {
                            serde_json::json!({
                                "source": "config",
                                "hosts": h.hosts.describe(crate::select::Source::Cli),
                                "kinds": h.kinds,
                                "version": h.version,
                                "reason": h.reason,
                                "until": h.until.map(|u| u.to_rfc3339()),
                                "expired": h.until.is_some_and(|u| u <= now),
                            })
                        })
                        .collect();
                    println!(
                        "{}",
                        serde_json::to_string_pretty(
                            &serde_json::json!({"config": config, "stored": stored})
                        )?
                    );
                }
                Format::Text => {
                    println!(
                        "{:<8} {:<5} {:<28} {:<14} {:<12} {:<26} REASON",
                        "ID", "WHAT", "HOSTS", "KINDS", "VERSION", "UNTIL"
                    );
                    for (i, h) in cfg.holds.iter().enumerate() {
                        println!(
                            "{:<8} {:<5} {:<28} {:<14} {:<12} {:<26} {}",
                            format!("config#{}", i + 1),
                            if h.version.is_some() { "pin" } else { "hold" },
                            h.hosts.describe(crate::select::Source::Cli),
                            if h.kinds.is_empty() {
                                "*".to_string()
                            } else {
                                h.kinds
                                    .iter()
                                    .map(|k| k.as_str())
                                    .collect::<Vec<_>>()
                                    .join(",")
                            },
                            h.version.as_deref().unwrap_or("-"),
                            h.until.map_or("-".into(), |u| u.to_rfc3339()),
                            h.reason
                        );
                    }
                    for h in &stored {
                        println!(
                            "{:<8} {:<5} {:<28} {:<14} {:<12} {:<26} {} (by {})",
                            h.id,
                            if h.version.is_some() { "pin" } else { "hold" },
                            [h.hosts.as_deref(), h.selector.as_deref()]
                                .into_iter()
                                .flatten()
                                .collect::<Vec<_>>()
                                .join(" "),
                            h.kinds.as_deref().unwrap_or("*"),
                            h.version.as_deref().unwrap_or("-"),
                            h.until.as_deref().unwrap_or("-"),
                            h.reason,
                            h.created_by
                        );
                    }
                    if cfg.holds.is_empty() && stored.is_empty() {
                        println!("(no holds or pins)");
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        HoldCommand::Remove(a) => {
            let cfg = super::load_config(&a.config)?;
            let store = Store::open(&cfg.state_dir).await?;
            store.remove_hold(a.id).await.map_err(|e| match e {
                crate::store::StoreError::NotFound { .. } => UsageError(format!(
                    "no stored hold {}; `fwfleet hold list --config {}` lists them (the config's [[holds]] are removed by editing the config)",
                    a.id,
                    cfg.path.display()
                ))
                .into(),
                e => anyhow::Error::from(e),
            })?;
            println!("hold {} removed", a.id);
            Ok(ExitCode::SUCCESS)
        }
    }
}
