//! `fwfleet rollback`: put one component kind back on its previous firmware
//! on the chosen hosts (`updater::rollback` decides how, per host).

use super::apply::{check_freezes, confirm, exit_code, EXIT_REFUSED};
use super::{load_config, stop_requested, UsageError};
use crate::repository::Repository;
use crate::store::Store;
use crate::updater::apply::{self, ApplyOptions, RunCommand, RunOptions};
use crate::updater::lock::UpdateLock;
use crate::updater::progress::{Lines, ProgressSink};
use crate::updater::rollback::{self, Decided, Request};
use crate::vocab::Kind;
use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    #[arg(long, value_name = "FILE", help = super::CONFIG_HELP)]
    pub config: Option<PathBuf>,
    /// The component kind to roll back: bios, bmc, cpld, nic, storage, drive, psu, other.
    #[arg(long, value_name = "KIND")]
    pub component: Kind,
    #[command(flatten)]
    pub select: super::SelectArgs,
    /// Go back to this version (the kept image's, or a repository entry's); default: the kept image, else the newest repository entry older than the installed one.
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// Where the BMC keeps no previous image, re-flash the older repository entry (a downgrade; never implied).
    #[arg(long)]
    pub allow_downgrade: bool,
    /// Show what each host would do (kept image, rollback action, repository entry, refused); change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask before flashing (required when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Roll back on hosts inside a change freeze (`[[freezes]]`) anyway; REASON is recorded in the run and the audit log.
    #[arg(long, value_name = "REASON")]
    pub override_freeze: Option<String>,
    /// Print the result as JSON (`{"run_id", "status", "hosts": [{host, components: [{component, identity, from, how, version, …}]}], "report"}`).
    #[arg(long)]
    pub json: bool,
}

fn table(d: &Decided) -> String {
    let mut out = String::new();
    for h in &d.hosts {
        if let Some(e) = &h.error {
            out.push_str(&format!("{:<24} {:<28} refused: {e}\n", h.host, "-"));
        }
        for c in &h.components {
            out.push_str(&format!(
                "{:<24} {:<28} {} → {}{}\n",
                h.host,
                c.component,
                c.from.as_deref().unwrap_or("?"),
                c.choice.describe(),
                c.held
                    .as_deref()
                    .map(|w| format!(" [held: {w}]"))
                    .unwrap_or_default()
            ));
        }
    }
    out
}

/// Exit 0 when every step ended well, 1 when one failed, 2 on usage
/// errors and when a host refused the rollback (nothing was flashed), 3
/// when it was cancelled with nothing failed.
pub async fn rollback(args: RollbackArgs) -> anyhow::Result<ExitCode> {
    if !args.select.kinds.is_empty() {
        return Err(UsageError(
            "rollback takes one kind, with --component KIND, not --kinds".into(),
        )
        .into());
    }
    if args.select.hosts.is_empty() && args.select.selector.is_none() {
        return Err(UsageError(
            "rollback needs --hosts or --selector: it rolls back the hosts you name".into(),
        )
        .into());
    }
    let chosen = args.select.hosts()?;
    super::apply::check_flash_flags(args.yes, args.dry_run, args.override_freeze.as_deref())?;
    let cfg = load_config(&args.config)?;
    let hosts: Vec<_> = cfg
        .hosts
        .iter()
        .filter(|h| chosen.matches(&h.name, &h.labels))
        .cloned()
        .collect();
    if hosts.is_empty() {
        return Err(super::no_host_matches(&cfg, &chosen).into());
    }
    if !args.dry_run {
        check_freezes(
            &cfg,
            &chosen,
            chrono::Utc::now(),
            args.override_freeze.as_deref(),
            "rollback",
        )?;
    }
    let repo = Repository::open(&cfg.repository)
        .with_context(|| format!("opening the image repository {}", cfg.repository.display()))?;
    let store = Store::open(&cfg.state_dir).await?;
    let cancel = CancellationToken::new();
    // One updating process per store; what a stopped one left in flight is
    // decided first, so nothing is read as "installed" mid-flash.
    let lock = if args.dry_run {
        None
    } else {
        let lock = UpdateLock::acquire(&cfg.state_dir)?;
        let resumed =
            crate::updater::resume::resume(&cfg, &store, &lock, &cancel, Duration::from_secs(1))
                .await?;
        if !resumed.is_empty() {
            eprint!("{}", resumed.render());
        }
        Some(lock)
    };
    let req = Request {
        kind: args.component,
        to: args.to.clone(),
        allow_downgrade: args.allow_downgrade,
    };
    let holds = crate::updater::control::holds_in_force(&cfg, &store).await?;
    let decided = rollback::decide(&hosts, &repo, &req, &holds).await;
    let refused = decided.refused(req.kind);
    if args.dry_run {
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "dry_run": true,
                    "refused": !refused.is_empty(),
                    "hosts": decided.hosts,
                }))?
            );
        } else {
            print!("{}", table(&decided));
        }
        if !refused.is_empty() {
            eprintln!("{}", refusal(&refused, &req, true));
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !refused.is_empty() {
        eprint!("{}", table(&decided));
        eprintln!("{}", refusal(&refused, &req, false));
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "run_id": null,
                    "status": "refused",
                    "hosts": decided.hosts,
                }))?
            );
        }
        return Ok(ExitCode::from(EXIT_REFUSED));
    }
    if !args.json {
        eprint!("{}", table(&decided));
    }
    if !args.yes
        && !confirm(&format!(
            "Roll back {} component(s) on {} host(s)?",
            decided.steps(),
            decided.jobs.len()
        ))?
    {
        eprintln!("nothing flashed");
        return Ok(ExitCode::from(1));
    }
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        if stop_requested().await {
            eprintln!("rollback: interrupted; no new step starts, running steps finish and are recorded (Ctrl-C again to abort)");
            on_signal.cancel();
            if stop_requested().await {
                std::process::exit(130);
            }
        }
    });
    let opts = ApplyOptions {
        override_freeze: args.override_freeze.clone(),
        hosts: args.select.hosts_text(),
        selector: args.select.selector.clone(),
        exclude: args.select.exclude_text(),
        kinds: vec![req.kind],
        allow_downgrade: args.allow_downgrade,
        ..ApplyOptions::default()
    };
    let rollout = opts.rollout(&cfg.rollout);
    let options = RunOptions {
        hosts: Some(decided.jobs.len()),
        ..RunOptions::new(RunCommand::Rollback, &opts, &rollout)
    };
    let run_id = store.create_run(&options).await?;
    for h in &decided.hosts {
        for c in &h.components {
            store
                .add_event(
                    run_id,
                    None,
                    "rollback",
                    &format!(
                        "{} {}: {} → {}",
                        h.host,
                        c.component,
                        c.from.as_deref().unwrap_or("?"),
                        c.choice.describe()
                    ),
                )
                .await?;
        }
    }
    let progress: Arc<dyn ProgressSink> = Arc::new(Lines::default());
    let report = apply::execute_in(
        &cfg,
        decided.jobs.clone(),
        0,
        &opts,
        store.clone(),
        Some(run_id),
        cancel,
        progress,
    )
    .await?;
    drop(lock);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "run_id": run_id,
                "status": report.status,
                "hosts": decided.hosts,
                "report": report,
            }))?
        );
    } else {
        print!("{}", apply::render_table(&report));
        println!("run {run_id} (fwfleet status --run {run_id})");
    }
    Ok(exit_code(&report, false))
}

/// Why the rollback was refused, per host, and what to do.
fn refusal(refused: &[(String, String)], req: &Request, dry_run: bool) -> String {
    let mut s = format!(
        "rollback{}: refused: {} host(s) cannot roll back {}; nothing was flashed{}",
        if dry_run { " --dry-run" } else { "" },
        refused.len(),
        req.kind,
        if dry_run {
            " (a real rollback would refuse)"
        } else {
            ""
        }
    );
    for (h, why) in refused {
        s.push_str(&format!("\n  {h}: {why}"));
    }
    let downgrade =
        !req.allow_downgrade && refused.iter().any(|(_, w)| w.contains("--allow-downgrade"));
    s.push_str(if downgrade {
        "\n  hint: add --allow-downgrade to re-flash the older repository entry (--to VERSION picks it), or leave these hosts out with --exclude"
    } else {
        "\n  hint: leave these hosts out with --exclude, or add the version to the repository (`fwfleet repo add`) and use --allow-downgrade --to VERSION"
    });
    s
}
