//! `fwfleet apply` and `fwfleet status`.

use super::{load_config, stop_requested, Format, UsageError};
use crate::config::ResetPolicy;
use crate::repository::Repository;
use crate::store::Store;
use crate::updater::apply::{self, ApplyOptions};
use crate::updater::lock::UpdateLock;
use crate::updater::preflight::Refused;
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
    #[arg(long, value_name = "FILE", help = super::CONFIG_HELP)]
    pub config: Option<PathBuf>,
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
    #[command(flatten)]
    pub select: super::SelectArgs,
    /// What to do with images staged for the next reset (default: rollout.reset_policy, never).
    #[arg(long, value_name = "POLICY")]
    pub reset_policy: Option<ResetPolicy>,
    /// Allow every downgrade (never implied).
    #[arg(long)]
    pub allow_downgrade: bool,
    /// A one-off trial: flash only this repository entry (its file, as `fwfleet repo list` shows it) on the chosen hosts; needs --hosts or --selector.
    #[arg(long, value_name = "ENTRY")]
    pub image: Option<String>,
    /// Wait until this time (RFC 3339, e.g. 2026-12-01T02:00:00+01:00), then run.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// With --at: the window closes at TIME + DURATION (e.g. 4h, 90m, 1h30m): no step, update request, StartUpdate or reset after it; a running update is followed to its end.
    #[arg(long, value_name = "DURATION")]
    pub window: Option<String>,
    /// With --at and --window: transfer and stage (apply time OnReset) from up to DURATION before the window opens (e.g. 24h); only the activation (reset, job reboot) waits for --at. Default: rollout.stage_ahead, off.
    #[arg(long, value_name = "DURATION")]
    pub stage_ahead: Option<String>,
    /// The seed that chooses the cohorts of [[rollout.phases]] (default: rollout.seed, else drawn and recorded in the run); the same seed and hosts give the same phases.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Run on hosts inside a change freeze (`[[freezes]]`) anyway; REASON is recorded in the run and the audit log.
    #[arg(long, value_name = "REASON")]
    pub override_freeze: Option<String>,
    /// table or json (the rollout report, docs/GUIDE.md).
    #[arg(long, default_value = "table")]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The fleet config file, for the state directory (default: $FWFLEET_CONFIG, then ./fleet.toml, then /etc/fwfleet/fleet.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Show this run's steps and events instead of the list of runs.
    #[arg(long, value_name = "ID")]
    pub run: Option<i64>,
    /// How many runs to list.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// table, json or csv.
    #[arg(long, default_value = "table")]
    pub format: super::ListFormat,
}

pub(super) fn confirm(prompt: &str) -> anyhow::Result<bool> {
    eprint!("{prompt} [y/N] ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES"))
}

/// `fwfleet apply`: exit 0 when the run completed with no step failed and no
/// host unreachable, 1 when a step failed, a host was unreachable or the
/// rollout halted, 2 on usage errors and when the run was refused because a
/// planned image is missing or corrupt, 3 when it was cancelled with nothing
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
    let chosen = args.select.hosts()?;
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
    if let (Some(w), None) = (&args.window, &at) {
        // A window is counted from its start; without one there is no end
        // to honour, and running now without it would flash unbounded.
        return Err(UsageError(format!(
            "--window {w} needs --at TIME: the window is counted from its start\n  hint: add --at (RFC 3339, e.g. --at 2026-12-01T02:00:00+01:00 --window {w}), or leave out --window to run now with no window"
        ))
        .into());
    }
    let stage_ahead = args
        .stage_ahead
        .as_deref()
        .map(crate::schedule::parse_duration)
        .transpose()
        .map_err(|e| UsageError(format!("--stage-ahead: {e}")))?;
    if let (Some(d), None) = (&args.stage_ahead, &window) {
        return Err(UsageError(format!(
            "--stage-ahead {d} needs --at TIME --window DURATION: staging runs before a window's start\n  hint: add --at and --window, or leave out --stage-ahead"
        ))
        .into());
    }
    let window_end = match (at, window) {
        (Some(at), Some(w)) => Some(at + chrono::Duration::from_std(w).unwrap_or_default()),
        _ => None,
    };
    check_flash_flags(args.yes, args.dry_run, args.override_freeze.as_deref())?;
    let cfg = load_config(&args.config)?;
    // Stage ahead, for a windowed run only: the run starts up to this long
    // before --at; activation waits for --at (`updater::stage_ahead`).
    let stage_ahead = match (window_end, stage_ahead.or(cfg.rollout.stage_ahead)) {
        (Some(_), Some(d)) if !d.is_zero() => {
            let policy = args.reset_policy.unwrap_or(cfg.rollout.reset_policy);
            if policy == ResetPolicy::Never {
                return Err(UsageError(format!(
                    "stage ahead needs a reset policy that resets in the window, and it is never: nothing would activate the staged images\n  hint: add --reset-policy graceful (or set [rollout] reset_policy in {}), or leave out stage ahead",
                    cfg.path.display()
                ))
                .into());
            }
            Some(d)
        }
        _ => None,
    };
    if !cfg.hosts.iter().any(|h| chosen.matches(&h.name, &h.labels)) {
        return Err(super::no_host_matches(&cfg, &chosen).into());
    }
    // A run that would start inside a freeze is refused before anything
    // (and again when `--at` comes).
    check_freezes(
        &cfg,
        &chosen,
        at.unwrap_or_else(chrono::Utc::now),
        args.override_freeze.as_deref(),
        "apply",
    )?;
    let repo = Repository::open(&cfg.repository)
        .with_context(|| format!("opening the image repository {}", cfg.repository.display()))?;
    let image = match &args.image {
        None => None,
        Some(_) if args.select.hosts.is_empty() && args.select.selector.is_none() => {
            return Err(UsageError(
                "--image flashes one entry on chosen hosts: name them with --hosts or --selector".into(),
            )
            .into())
        }
        Some(sel) => Some(
            repo.find(sel)
                .map_err(|e| {
                    UsageError(format!(
                        "--image {sel}: {e}\n  hint: `fwfleet repo list --config {}` shows the entries",
                        cfg.path.display()
                    ))
                })?
                .file
                .clone(),
        ),
    };
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
        if let Some(end) = window_end {
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
                    eprintln!("apply: the window closed; no new step, update request, StartUpdate or reset starts; running updates are followed to their end");
                    close.cancel();
                }
            });
        }
        let wake = match stage_ahead {
            Some(d) => at - chrono::Duration::from_std(d).unwrap_or_default(),
            None => at,
        };
        if wake > now && cfg.rollout.no_host_impact_outside_windows {
            eprintln!("apply: no-host-impact steps run now ([rollout] no_host_impact_outside_windows); every other step waits until {wake}");
        } else if wake > now {
            if stage_ahead.is_some() {
                eprintln!("apply: staging ahead: waiting until {wake} ({}s), then transferring and staging; activation waits for {at}", (wake - now).num_seconds());
            } else {
                eprintln!("apply: waiting until {at} ({}s)", (at - now).num_seconds());
            }
            let wait = (wake - now).to_std().unwrap_or_default();
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = cancel.cancelled() => return Ok(ExitCode::from(EXIT_CANCELLED)),
            }
        }
    }
    if at.is_some() {
        check_freezes(
            &cfg,
            &chosen,
            chrono::Utc::now(),
            args.override_freeze.as_deref(),
            "apply",
        )?;
    }
    let opts = ApplyOptions {
        override_freeze: args.override_freeze.clone(),
        hosts: args.select.hosts_text(),
        selector: args.select.selector.clone(),
        exclude: args.select.exclude_text(),
        kinds: args.select.kinds(),
        progress: true,
        canary: args.canary,
        max_parallel: args.max_parallel,
        failure_budget: args.failure_budget,
        reset_policy: args.reset_policy,
        allow_downgrade: args.allow_downgrade,
        image,
        poll: None,
        notify: Default::default(),
        window_end,
        // Only a run that may start before its window needs its start.
        window_start: at
            .filter(|_| stage_ahead.is_some() || cfg.rollout.no_host_impact_outside_windows),
        stage_ahead,
        seed: args.seed,
    }
    .with_seed(&cfg.rollout);
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
    let rollout = opts.rollout(&cfg.rollout);
    let canaries = crate::updater::rollout::canary_names(&prepared.jobs, rollout.canary);
    let scan_failed = prepared.inventory.failed();
    let how = format!(
        "{} step(s) on {} host(s): canaries {}, then waves of {} (at most {} at once); failure budget {:.0}% ({} host(s) may fail); reset policy {}",
        prepared.steps(),
        prepared.jobs.len(),
        if canaries.is_empty() { "none".to_string() } else { canaries.join(",") },
        rollout.wave_size.unwrap_or(rollout.max_parallel),
        rollout.max_parallel,
        rollout.failure_budget * 100.0,
        crate::updater::rollout::budget_hosts(rollout.failure_budget, prepared.jobs.len()),
        rollout.reset_policy.as_str()
    );
    let how = match crate::updater::phases::describe(&prepared.jobs, &rollout) {
        Some(phases) => format!(
            "{} step(s) on {} host(s) in {phases} (at most {} at once); reset policy {}",
            prepared.steps(),
            prepared.jobs.len(),
            rollout.max_parallel,
            rollout.reset_policy.as_str()
        ),
        None => how,
    };
    let models: std::collections::HashMap<&str, &str> = prepared
        .inventory
        .hosts
        .iter()
        .map(|h| (h.name.as_str(), h.system.model.as_deref().unwrap_or("-")))
        .collect();
    let by_model = |name: &str| models.get(name).copied().unwrap_or("-").to_string();
    let table = super::repo_plan::render_plan_table(
        &prepared.plan,
        &crate::planner::view::GroupBy::Model,
        &by_model,
        false,
        false,
    );
    let refused = (!prepared.bad_images.is_empty()).then(|| Refused {
        images: prepared.bad_images.clone(),
    });
    if args.dry_run {
        // A dry run's result is the plan: on stdout, like `plan`.
        match args.format {
            Format::Json => println!("{}", serde_json::to_string_pretty(&prepared.plan)?),
            Format::Text => print!("{table}\n{how}\n"),
        }
        if let Some(r) = &refused {
            eprintln!("apply --dry-run: a real apply would refuse this run:\n{r}");
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
        return Ok(if scan_failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    if args.format == Format::Text {
        // What is about to happen, before the question; the run's report is
        // the result on stdout.
        eprint!("{table}\n{how}\n");
    }
    if let Some(r) = refused {
        return Ok(refuse(&r, args.format));
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
    // A terminal gets a live summary and bars for a screenful of hosts (a
    // bar and a line per host with -v); a pipe or a log gets a summary line
    // every 10 s (and every failure), or one line per change of phase with -v.
    let progress: Arc<dyn ProgressSink> = if std::io::stderr().is_terminal() {
        if super::VERBOSE.load(std::sync::atomic::Ordering::Relaxed) > 0 {
            Arc::new(Bars::default())
        } else {
            Arc::new(super::progress::Live::new(prepared.jobs.len()))
        }
    } else if super::VERBOSE.load(std::sync::atomic::Ordering::Relaxed) > 0 {
        Arc::new(Lines::default())
    } else {
        Arc::new(super::progress::Summary::new(
            prepared.jobs.len(),
            Duration::from_secs(10),
        ))
    };
    let held_back = prepared.held_back.clone();
    // Webhooks: workers for this run only; the rollout never waits for them.
    let notify = crate::notify::Notifier::start(&cfg.notify)?;
    let opts = ApplyOptions {
        notify: notify.clone(),
        ..opts
    };
    let report = apply::execute(
        &cfg,
        prepared.jobs,
        scan_failed,
        &opts,
        store.clone(),
        cancel,
        progress,
    )
    .await;
    // A bounded wait for the last events: a dead endpoint must not hold
    // the command (nor its cron job) for long.
    let left = notify.flush(crate::notify::APPLY_FLUSH).await;
    if !left.is_empty() {
        eprintln!(
            "notify: giving up after {}s with events undelivered ({left}): the endpoint did not answer in time",
            crate::notify::APPLY_FLUSH.as_secs()
        );
    }
    let report = match report {
        // An image changed between the plan and the run's last look.
        Err(apply::ApplyError::Refused(r)) => return Ok(refuse(&r, args.format)),
        other => other?,
    };
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

/// Refuses (exit 2) a run whose chosen hosts are inside a change freeze at
/// `at`, naming the freeze; with `--override-freeze` says so and goes on
/// (`command` names who says it: `apply`, `rollback`).
pub(super) fn check_freezes(
    cfg: &crate::config::Config,
    chosen: &crate::select::HostSelector,
    at: chrono::DateTime<chrono::Utc>,
    override_freeze: Option<&str>,
    command: &str,
) -> Result<(), UsageError> {
    let frozen = cfg.frozen_hosts(|h| chosen.matches(&h.name, &h.labels), at);
    if frozen.is_empty() {
        return Ok(());
    }
    match override_freeze {
        Some(why) => {
            eprintln!("{command}: overriding a change freeze ({why}; recorded with the run):\n{frozen}");
            Ok(())
        }
        None => Err(UsageError(format!(
            "refused: the run would start inside a change freeze; nothing was scanned or flashed\n{frozen}\n  hint: wait for the freeze to end, leave the hosts out with --exclude, or run anyway with --override-freeze REASON (recorded)"
        ))),
    }
}

/// Exit 2: the run was refused before its first step (a planned image is
/// missing or corrupt); like a usage error, nothing happened and the
/// operator must change something first.
pub(super) const EXIT_REFUSED: u8 = 2;

/// What `apply` and `rollback` ask of their flags before anything is
/// loaded: `--yes` (or `--dry-run`) when no one can answer the prompt, and
/// a reason with `--override-freeze`.
pub(super) fn check_flash_flags(
    yes: bool,
    dry_run: bool,
    override_freeze: Option<&str>,
) -> Result<(), UsageError> {
    if !yes && !dry_run && !std::io::stdin().is_terminal() {
        return Err(UsageError("refusing to flash without --yes when stdin is not a terminal (use --dry-run to only look)".into()));
    }
    if override_freeze.is_some_and(|r| r.trim().is_empty()) {
        return Err(UsageError(
            "--override-freeze needs a reason: it is recorded with the run".into(),
        ));
    }
    Ok(())
}

/// Says why the run was refused (stderr; `{"status": "refused", …}` on
/// stdout for `--format json`).
fn refuse(r: &Refused, format: Format) -> ExitCode {
    eprintln!("apply: {r}");
    if format == Format::Json {
        println!(
            "{}",
            serde_json::json!({"run_id": null, "status": "refused", "bad_images": r.images})
        );
    }
    ExitCode::from(EXIT_REFUSED)
}

/// Exit 3: stopped before every step ran (Ctrl-C, SIGTERM, the window's end,
/// steps `deferred` by it) with nothing failed — what is left runs next
/// time, but a cron wrapper must not read it as done.
pub(super) const EXIT_CANCELLED: u8 = 3;

/// The exit code of a run: 0 only when it completed with nothing failed or
/// unreachable; 1 when something failed (a failure outranks a cancel); 3
/// when it was cancelled cleanly.
pub(super) fn exit_code(
    report: &crate::updater::rollout::RolloutReport,
    resume_failed: bool,
) -> ExitCode {
    match report.status {
        _ if resume_failed => ExitCode::from(1),
        RunStatus::Completed | RunStatus::NothingToDo => ExitCode::SUCCESS,
        RunStatus::Cancelled if report.failed_hosts == 0 && report.unreachable_at_scan == 0 => {
            ExitCode::from(EXIT_CANCELLED)
        }
        _ => ExitCode::from(1),
    }
}

/// A run as `status --format json` shows it: the options as JSON, not as
/// a string holding JSON (the API's shape too).
fn run_json(r: &crate::store::Run) -> serde_json::Value {
    serde_json::json!({
        "id": r.id,
        "started_at": r.started_at,
        "finished_at": r.finished_at,
        "status": r.status,
        "options": serde_json::from_str::<serde_json::Value>(&r.options_json)
            .unwrap_or(serde_json::Value::Null),
    })
}

/// The frozen plan in a few lines: hosts, steps, and steps per kind and
/// target version.
fn plan_summary(p: &crate::store::FrozenPlan) -> String {
    let entries: Vec<crate::updater::control::PlanEntry> =
        serde_json::from_value(p.plan.clone()).unwrap_or_default();
    let mut by = std::collections::BTreeMap::<(String, String), usize>::new();
    for e in &entries {
        *by.entry((e.kind.as_str().to_string(), e.to.clone()))
            .or_default() += 1;
    }
    format!(
        "plan (frozen {}): {} step(s) on {} host(s): {}",
        p.frozen_at,
        p.steps,
        p.hosts,
        by.iter()
            .map(|((k, v), n)| format!("{k} → {v} ×{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// `fwfleet status`: runs, or one run's steps and events, from the store.
pub async fn status(args: StatusArgs) -> anyhow::Result<ExitCode> {
    use super::ListFormat;
    let cfg = load_config(&args.config)?;
    let store = Store::open(&cfg.state_dir).await?;
    match args.run {
        None => {
            let runs = store.list_runs(args.limit).await?;
            let mut summaries = Vec::with_capacity(runs.len());
            // Only steered runs get a `control` key: an old store's runs
            // print as the old fwfleet printed them.
            let mut controls = Vec::with_capacity(runs.len());
            for r in &runs {
                let c = store.control(r.id).await?;
                let mut control = c
                    .as_ref()
                    .map(|c| crate::daemon::api::control_json(r, Some(c)));
                // A run waiting at a phase gate shows `waiting`.
                let gate = crate::updater::approval::waiting_of(&store, r.id).await?;
                if gate.is_some() {
                    let mut v = serde_json::json!({"control": control});
                    crate::daemon::api::with_gate(&mut v, gate.as_ref());
                    control = Some(v["control"].clone());
                }
                controls.push(control);
                let steps = store.steps(r.id).await?;
                let mut by = std::collections::BTreeMap::<&str, usize>::new();
                for s in &steps {
                    *by.entry(s.outcome.map_or(s.state.as_str(), StepOutcome::as_str))
                        .or_default() += 1;
                }
                summaries.push(
                    by.iter()
                        .map(|(k, v)| format!("{k} {v}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
            }
            match args.format {
                ListFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"runs": runs.iter().zip(&controls).map(|(r, c)| {
                            let mut v = run_json(r);
                            if let Some(c) = c {
                                v["control"] = c.clone();
                            }
                            v
                        }).collect::<Vec<_>>()})
                    )?
                ),
                ListFormat::Csv => {
                    println!("run,started_at,finished_at,status,steps");
                    for (r, by) in runs.iter().zip(&summaries) {
                        print!(
                            "{}",
                            crate::text::csv_line(&[
                                &r.id.to_string(),
                                &r.started_at,
                                r.finished_at.as_deref().unwrap_or(""),
                                r.status.as_str(),
                                by,
                            ])
                        );
                    }
                }
                ListFormat::Table => {
                    println!(
                        "{:>5}  {:<25}  {:<25}  {:<10}  STEPS",
                        "RUN", "STARTED", "FINISHED", "STATUS"
                    );
                    for ((r, by), c) in runs.iter().zip(&summaries).zip(&controls) {
                        // A running run shows where it is steered: running,
                        // pausing, paused, resuming, cancelling.
                        println!(
                            "{:>5}  {:<25}  {:<25}  {:<10}  {by}",
                            r.id,
                            r.started_at,
                            r.finished_at.as_deref().unwrap_or("-"),
                            c.as_ref()
                                .and_then(|c| c["state"].as_str())
                                .unwrap_or(r.status.as_str())
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
                    cfg.path.display()
                ))
            })?;
            let steps = store.steps(id).await?;
            let events = store.events(id).await?;
            let control = store.control(id).await?;
            let plan = store.frozen_plan(id).await?;
            match args.format {
                ListFormat::Json => {
                    let mut r = run_json(&run);
                    let mut v = serde_json::json!({"run": null, "steps": steps, "events": events});
                    if control.is_some() {
                        r["control"] = crate::daemon::api::control_json(&run, control.as_ref());
                    }
                    if run.status == RunStatus::Running {
                        crate::daemon::api::with_gate(
                            &mut r,
                            crate::updater::approval::waiting(&events).as_ref(),
                        );
                    }
                    v["run"] = r;
                    if let Some(p) = &plan {
                        v["plan"] = serde_json::to_value(p)?;
                    }
                    println!("{}", serde_json::to_string_pretty(&v)?)
                }
                ListFormat::Csv => {
                    println!("step,host,component,from,to,state,outcome,message");
                    for s in &steps {
                        print!(
                            "{}",
                            crate::text::csv_line(&[
                                &s.id.to_string(),
                                &s.host,
                                &s.component,
                                s.from_version.as_deref().unwrap_or(""),
                                &s.to_version,
                                s.state.as_str(),
                                s.outcome.map_or("", StepOutcome::as_str),
                                s.message.as_deref().unwrap_or(""),
                            ])
                        );
                    }
                }
                ListFormat::Table => {
                    let mut shown = serde_json::json!({"control": crate::daemon::api::control_json(&run, control.as_ref())});
                    let gate = (run.status == RunStatus::Running)
                        .then(|| crate::updater::approval::waiting(&events))
                        .flatten();
                    crate::daemon::api::with_gate(&mut shown, gate.as_ref());
                    println!(
                        "run {} ({}{}), started {}, finished {}",
                        run.id,
                        shown["control"]["state"]
                            .as_str()
                            .unwrap_or(run.status.as_str()),
                        gate.as_ref()
                            .map(|w| format!(
                                " after phase {}: `fwfleet run approve {}`",
                                w.phase, run.id
                            ))
                            .unwrap_or_default(),
                        run.started_at,
                        run.finished_at.as_deref().unwrap_or("-")
                    );
                    if let Some(c) = &control {
                        println!(
                            "control: {} requested by {} at {}{}; executor: {}",
                            c.requested,
                            c.requested_by,
                            c.requested_at,
                            c.reason
                                .as_deref()
                                .map(|r| format!(" ({r})"))
                                .unwrap_or_default(),
                            c.acked.map_or("-", |a| a.as_str())
                        );
                    }
                    if let Some(p) = &plan {
                        println!("{}", plan_summary(p));
                    }
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
            seed: None,
            phases: Vec::new(),
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
