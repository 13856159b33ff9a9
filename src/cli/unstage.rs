//! `fwfleet unstage`: remove updates fwfleet staged and has not activated
//! (`updater::unstage`), so that no reset activates them.

use super::{load_config, UsageError};
use crate::updater::lock::UpdateLock;
use crate::updater::unstage::{self, UnstageResult};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct UnstageArgs {
    #[arg(long, value_name = "FILE", help = super::CONFIG_HELP)]
    pub config: Option<PathBuf>,
    /// Hosts by name or glob, comma-separated or repeated (required, with or instead of --selector).
    #[arg(long, value_name = "NAMES")]
    pub hosts: Vec<String>,
    /// Hosts by label (comma = and): 'rack=r12', 'canary'.
    #[arg(long, short = 'l', value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Leave out hosts by name or glob.
    #[arg(long, value_name = "NAMES")]
    pub exclude: Vec<String>,
    /// Only these component kinds, comma-separated: bios, bmc, cpld, nic, storage, drive, psu, other (default: every kind).
    #[arg(long, value_name = "KIND", value_delimiter = ',')]
    pub component: Vec<crate::vocab::Kind>,
    /// Print the result as JSON (`{"run_id", "hosts": [{host, result, message, removed}]}`).
    #[arg(long)]
    pub json: bool,
}

/// Exit 0 when every chosen host was unstaged or had nothing staged, 1 when
/// one was refused or failed, 2 on usage errors.
pub async fn unstage(args: UnstageArgs) -> anyhow::Result<ExitCode> {
    if args.hosts.is_empty() && args.selector.is_none() {
        return Err(UsageError(
            "unstage needs --hosts or --selector: it removes staged updates from the hosts you name".into(),
        )
        .into());
    }
    let sel = crate::select::HostSelector::parse(
        &args.hosts,
        args.selector.as_deref(),
        &args.exclude,
        crate::select::Source::Cli,
    )
    .map_err(|e| UsageError(e.to_string()))?;
    let cfg = load_config(&args.config)?;
    let hosts: Vec<_> = cfg
        .hosts
        .iter()
        .filter(|h| sel.matches(&h.name, &h.labels))
        .cloned()
        .collect();
    if hosts.is_empty() {
        return Err(super::no_host_matches(&cfg, &sel).into());
    }
    // Not while an apply or the service updates from this state directory.
    let _lock = UpdateLock::acquire(&cfg.state_dir)?;
    let store = crate::store::Store::open(&cfg.state_dir).await?;
    let report = unstage::unstage(&store, &hosts, &args.component).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for h in &report.hosts {
            let word = match h.result {
                UnstageResult::Unstaged => "unstaged",
                UnstageResult::NothingStaged => "nothing-staged",
                UnstageResult::Refused => "refused",
                UnstageResult::Failed => "failed",
            };
            println!("{:<24} {:<15} {}", h.host, word, h.message);
        }
        println!(
            "run {} (fwfleet status --run {})",
            report.run_id, report.run_id
        );
    }
    Ok(if report.failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
