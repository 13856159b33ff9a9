//! `fwfleet apply` and `fwfleet status`.

use super::{load_config, stop_requested, Format, UsageError};
use crate::config::ResetPolicy;
use crate::repository::Repository;
use crate::store::Store;
use crate::updater::apply::{self, ApplyOptions};
use crate::updater::lock::UpdateLock;
use crate::updater::progress::{Bars, Lines, ProgressSink};
use crate::updater::resume::{self, ResumeReport};
use crate::vocab::{RunStatus, StepOutcome};
use anyhow::Context;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// The fleet config file.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Do not ask before flashing (required when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Scan and plan, show what would be flashed and how the rollout would go; flash nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Canary hosts when none is labelled `canary` (default: rollout.canary, 1).
    #[arg(long, value_name = "N")]
    pub canary: Option<usize>,
    /// Hosts updated at once (default: rollout.max_parallel, 50).
    #[arg(long, value_name = "N")]
    pub max_parallel: Option<usize>,
    /// Share of hosts that may fail before the rollout halts, 0.0–1.0 (default: rollout.failure_budget, 0.1).
    #[arg(long, value_name = "SHARE")]
    pub failure_budget: Option<f64>,
    /// Only hosts whose name matches this glob.
    #[arg(long, value_name = "GLOB")]
    pub hosts: Option<String>,
    /// What to do with images staged for the next reset (default: rollout.reset_policy, never).
    #[arg(long, value_name = "POLICY")]
    pub reset_policy: Option<ResetPolicy>,
    /// Allow every downgrade (never implied).
    #[arg(long)]
    pub allow_downgrade: bool,
    /// Wait until this time (RFC 3339, e.g. 2026-12-01T02:00:00+01:00), then run.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// With --at: no host or step starts after TIME + DURATION (e.g. 4h, 90m, 1h30m).
    #[arg(long, value_name = "DURATION", requires = "at")]
    pub window: Option<String>,
    /// table or json (the rollout report, docs/GUIDE.md).
    #[arg(long, default_value = "table")]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The fleet config file (for the state directory).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Show this run's steps and events instead of the list of runs.
    #[arg(long, value_name = "ID")]
    pub run: Option<i64>,
    /// How many runs to list.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// table or json.
    #[arg(long, default_value = "table")]
    pub format: Format,
}

fn confirm(prompt: &str) -> anyhow::Result<bool> {
    eprint!("{prompt} [y/N] ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES"))
}

/// `fwfleet apply`: exit 0 when the run completed with no step failed and no
/// host unreachable, 1 when a step failed, a host was unreachable or the
/// rollout halted, 2 on usage errors, 3 when it was cancelled with nothing
/// failed.
pub async fn apply(args: ApplyArgs) -> anyhow::Result<ExitCode> {
    // Everything the user typed is checked before any I/O.
    if let Some(b) = args.failure_budget {
        if !(0.0..=1.0).contains(&b) {
            return Err(UsageError(format!(
                "--failure-budget {b}: write a share between 0.0 and 1.0 (10% = 0.1)"
            ))
            .into());
        }
    }
    if args.max_parallel == Some(0) {
        return Err(UsageError("--max-parallel must be at least 1".into()).into());
    }
    apply::host_filter(args.hosts.as_deref()).map_err(|e| UsageError(e.to_string()))?;
    let at = match &args.at {
        Some(t) => Some(
            chrono::DateTime::parse_from_rfc3339(t)
                .map_err(|e| {
                    UsageError(format!(
                        "--at {t}: {e}; write RFC 3339, e.g. 2026-12-01T02:00:00+01:00"
                    ))
                })?
                .with_timezone(&chrono::Utc),
        ),
        None => None,
    };
    let window = args
        .window
        .as_deref()
        .map(crate::schedule::parse_duration)
        .transpose()
        .map_err(UsageError)?;
    if !args.yes && !args.dry_run && !std::io::stdin().is_terminal() {
        return Err(UsageError("refusing to flash without --yes when stdin is not a terminal (use --dry-run to only look)".into()).into());
    }
    let cfg = load_config(&args.config)?;
    let repo = Repository::open(&cfg.repository)
        .with_context(|| format!("opening the image repository {}", cfg.repository.display()))?;
    let store = Store::open(&cfg.state_dir).await?;
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        if stop_requested().await {
            eprintln!("apply: interrupted; no new step starts, running steps finish and are recorded (Ctrl-C again to abort)");
            on_signal.cancel();
            if stop_requested().await {
                std::process::exit(130);
            }
        }
    });
    // One updating process per store, then the steps a stopped one left in
    // flight are decided before anything new is planned.
    let mut resumed = ResumeReport::default();
    let _lock = if args.dry_run {
        None
    } else {
        let lock = UpdateLock::acquire(&cfg.state_dir)?;
        resumed = resume::resume(&cfg, &store, &lock, &cancel, Duration::from_secs(1)).await?;
        if !resumed.is_empty() {
            eprint!("{}", resumed.render());
        }
        Some(lock)
    };
    if let Some(at) = at {
        let now = chrono::Utc::now();
        if let Some(w) = window {
            let end = at + chrono::Duration::from_std(w).unwrap_or_default();
            if end <= now {
                return Err(UsageError(format!(
                    "the window {at} + {} is already over",
                    args.window.as_deref().unwrap_or("")
                ))
                .into());
            }
            let close = cancel.clone();
            let left = (end - now).to_std().unwrap_or_default();
            tokio::spawn(async move {
                tokio::time::sleep(left).await;
                if !close.is_cancelled() {
                    eprintln!("apply: the window closed; no new step starts");
                    close.cancel();
                }
            });
        }
        if at > now {
            eprintln!("apply: waiting until {at} ({}s)", (at - now).num_seconds());
            let wait = (at - now).to_std().unwrap_or_default();
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = cancel.cancelled() => return Ok(ExitCode::from(EXIT_CANCELLED)),
            }
        }
    }
    let opts = ApplyOptions {
        hosts: args.hosts.clone(),
        canary: args.canary,
        max_parallel: args.max_parallel,
        failure_budget: args.failure_budget,
        reset_policy: args.reset_policy,
        allow_downgrade: args.allow_downgrade,
        poll: None,
    };
    let prepared = apply::prepare(&cfg, &repo, &store, &opts, &cancel).await?;
    for b in &prepared.held_back {
        eprintln!(
            "{}: left out of this run: step {} ({}, run {}) is still {}; {}",
            b.host,
            b.step_id,
            b.component,
            b.run_id,
            b.state,
            if args.dry_run {
                "a real apply resumes it first"
            } else {
                "its BMC did not answer; the next apply decides it"
            }
        );
    }
    let resume_failed = resumed.steps.iter().any(|s| s.failed()) || !prepared.held_back.is_empty();
    if prepared.inventory.hosts.is_empty() {
        return Err(UsageError(format!(
            "no host in {} matches {}",
            cfg.path.display(),
            args.hosts.as_deref().unwrap_or("*")
        ))
        .into());
    }
    let rollout = opts.rollout(&cfg.rollout);
    let canaries = crate::updater::rollout::canary_names(&prepared.jobs, rollout.canary);
    let scan_failed = prepared.inventory.failed();
    if args.format == Format::Text || args.dry_run {
        eprint!("{}", crate::planner::render_table(&prepared.plan));
        eprintln!(
            "\n{} step(s) on {} host(s): canaries {}, then waves of {} (at most {} at once); failure budget {:.0}%; reset policy {}",
            prepared.steps(),
            prepared.jobs.len(),
            if canaries.is_empty() { "none".to_string() } else { canaries.join(",") },
            rollout.wave_size.unwrap_or(rollout.max_parallel),
            rollout.max_parallel,
            rollout.failure_budget * 100.0,
            rollout.reset_policy.as_str()
        );
    }
    if args.dry_run {
        if args.format == Format::Json {
            println!("{}", serde_json::to_string_pretty(&prepared.plan)?);
        }
        return Ok(if scan_failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    if prepared.jobs.is_empty() {
        eprintln!("nothing to flash: every reachable host is compliant or has nothing the repository can update");
        if args.format == Format::Json {
            println!(
                "{}",
                serde_json::json!({"run_id": null, "status": RunStatus::NothingToDo, "hosts": [], "failed_hosts": scan_failed, "resumed": resumed, "held_back": prepared.held_back})
            );
        }
        return Ok(if scan_failed == 0 && !resume_failed {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    if !args.yes
        && !confirm(&format!(
            "Flash {} step(s) on {} host(s)?",
            prepared.steps(),
            prepared.jobs.len()
        ))?
    {
        eprintln!("nothing flashed");
        return Ok(ExitCode::from(1));
    }
    let progress: Arc<dyn ProgressSink> = if std::io::stderr().is_terminal() {
        Arc::new(Bars::default())
    } else {
        Arc::new(Lines::default())
    };
    let held_back = prepared.held_back.clone();
    let report = apply::execute(
        &cfg,
        prepared.jobs,
        scan_failed,
        &opts,
        store.clone(),
        cancel,
        progress,
    )
    .await?;
    match args.format {
        Format::Text => print!("{}", apply::render_table(&report)),
        Format::Json => {
            let mut v = serde_json::to_value(&report)?;
            v["resumed"] = serde_json::to_value(&resumed)?;
            v["held_back"] = serde_json::to_value(&held_back)?;
            println!("{}", serde_json::to_string_pretty(&v)?)
        }
    }
    Ok(exit_code(&report, resume_failed))
}

/// Exit 3: stopped before every step ran (Ctrl-C, SIGTERM, the window's end)
/// with nothing failed — what is left runs next time, but a cron wrapper must
/// not read it as done.
const EXIT_CANCELLED: u8 = 3;

/// The exit code of a run: 0 only when it completed with nothing failed or
/// unreachable; 1 when something failed (a failure outranks a cancel); 3
/// when it was cancelled cleanly.
fn exit_code(report: &crate::updater::rollout::RolloutReport, resume_failed: bool) -> ExitCode {
    match report.status {
        _ if resume_failed => ExitCode::from(1),
        RunStatus::Completed | RunStatus::NothingToDo => ExitCode::SUCCESS,
        RunStatus::Cancelled if report.failed_hosts == 0 && report.unreachable_at_scan == 0 => {
            ExitCode::from(EXIT_CANCELLED)
        }
        _ => ExitCode::from(1),
    }
}

/// `fwfleet status`: runs, or one run's steps and events, from the store.
pub async fn status(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let cfg = load_config(&args.config)?;
    let store = Store::open(&cfg.state_dir).await?;
    match args.run {
        None => {
            let runs = store.list_runs(args.limit).await?;
            match args.format {
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({"runs": runs}))?
                ),
                Format::Text => {
                    println!(
                        "{:>5}  {:<25}  {:<25}  {:<10}  STEPS",
                        "RUN", "STARTED", "FINISHED", "STATUS"
                    );
                    for r in &runs {
                        let steps = store.steps(r.id).await?;
                        let mut by = std::collections::BTreeMap::<&str, usize>::new();
                        for s in &steps {
                            *by.entry(s.outcome.map_or(s.state.as_str(), StepOutcome::as_str))
                                .or_default() += 1;
                        }
                        let by = by
                            .iter()
                            .map(|(k, v)| format!("{k} {v}"))
                            .collect::<Vec<_>>()
                            .join(", ");
                        println!(
                            "{:>5}  {:<25}  {:<25}  {:<10}  {by}",
                            r.id,
                            r.started_at,
                            r.finished_at.as_deref().unwrap_or("-"),
                            r.status
                        );
                    }
                    if runs.is_empty() {
                        println!("no runs in {}", store.path().display());
                    }
                }
            }
        }
        Some(id) => {
            let run = store.run(id).await?.ok_or_else(|| {
                UsageError(format!(
                    "no run {id} in {}; `fwfleet status --config {}` lists them",
                    store.path().display(),
                    args.config.display()
                ))
            })?;
            let steps = store.steps(id).await?;
            let events = store.events(id).await?;
            match args.format {
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"run": run, "steps": steps, "events": events})
                    )?
                ),
                Format::Text => {
                    println!(
                        "run {} ({}), started {}, finished {}",
                        run.id,
                        run.status,
                        run.started_at,
                        run.finished_at.as_deref().unwrap_or("-")
                    );
                    println!(
                        "\n{:>6}  {:<20}  {:<28}  {:<16}  {:<16}  {:<10}  OUTCOME",
                        "STEP", "HOST", "COMPONENT", "FROM", "TO", "STATE"
                    );
                    for s in &steps {
                        println!(
                            "{:>6}  {:<20}  {:<28}  {:<16}  {:<16}  {:<10}  {}",
                            s.id,
                            s.host,
                            s.component,
                            s.from_version.as_deref().unwrap_or("-"),
                            s.to_version,
                            s.state,
                            s.outcome.map_or("-", StepOutcome::as_str)
                        );
                    }
                    println!("\nevents:");
                    for e in &events {
                        println!("  {}  {:<16}  {}", e.at, e.kind, e.message);
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::updater::rollout::RolloutReport;

    fn report(status: RunStatus, failed_hosts: usize, unreachable_at_scan: usize) -> RolloutReport {
        RolloutReport {
            run_id: 1,
            status,
            halted_reason: None,
            hosts: Vec::new(),
            hosts_by_result: Default::default(),
            steps_by_outcome: Default::default(),
            failed_hosts,
            unreachable_at_scan,
            failure_budget: 0,
            duration_ms: 0,
        }
    }

    /// What a cron wrapper reads: 0 only for a run that completed cleanly.
    #[test]
    fn every_run_status_has_the_exit_code_docs_apply_names() {
        let code = |r: RolloutReport, resume_failed| exit_code(&r, resume_failed);
        let cases = [
            (report(RunStatus::Completed, 0, 0), false, ExitCode::SUCCESS),
            (report(RunStatus::Completed, 0, 0), true, ExitCode::from(1)),
            (
                report(RunStatus::CompletedWithFailures, 2, 0),
                false,
                ExitCode::from(1),
            ),
            (
                report(RunStatus::Completed, 0, 3).with_unreachable_at_scan(3),
                false,
                ExitCode::from(1),
            ),
            (report(RunStatus::Halted, 2, 0), false, ExitCode::from(1)),
            (report(RunStatus::Failed, 0, 0), false, ExitCode::from(1)),
            (
                report(RunStatus::Cancelled, 0, 0),
                false,
                ExitCode::from(EXIT_CANCELLED),
            ),
            (report(RunStatus::Cancelled, 1, 0), false, ExitCode::from(1)),
            (report(RunStatus::Cancelled, 0, 1), false, ExitCode::from(1)),
        ];
        for (r, resume_failed, want) in cases {
            let status = r.status;
            assert_eq!(
                code(r, resume_failed),
                want,
                "{status} resume_failed={resume_failed}"
            );
        }
    }
}
