//! `fwfleet schedule`: when the maintenance windows will run what is planned.

use super::{load_config, Format, UsageError};
use crate::daemon::preview;
use crate::repository::Repository;
use crate::store::Store;
use crate::updater::apply::{self, ApplyOptions};
use anyhow::Context;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct ScheduleArgs {
    /// The fleet config file.
    #[arg(long, value_name = "FILE")]
    pub config: std::path::PathBuf,
    /// How many days ahead to look (1–366).
    #[arg(long, default_value_t = 7)]
    pub days: u32,
    /// Only hosts whose name matches this glob.
    #[arg(long, value_name = "GLOB")]
    pub hosts: Option<String>,
    /// text (a block per host, a line per window) or json (docs/SCHEDULE.md).
    #[arg(long, default_value = "text")]
    pub format: Format,
}

/// Plans from each host's latest stored scan: a preview touches no BMC.
/// Exit 0; 1 when a window cannot fit any planned step of some host.
pub async fn schedule(args: ScheduleArgs) -> anyhow::Result<ExitCode> {
    if !(1..=preview::MAX_DAYS).contains(&args.days) {
        return Err(UsageError(format!(
            "--days {}: write a number of days from 1 to {}",
            args.days,
            preview::MAX_DAYS
        ))
        .into());
    }
    apply::host_filter(args.hosts.as_deref()).map_err(|e| UsageError(e.to_string()))?;
    let cfg = load_config(&args.config)?;
    if cfg.schedule.is_empty() {
        return Err(UsageError(format!(
            "{} has no [[windows]]: `fwfleet serve` runs nothing on its own and `fwfleet apply` runs at once; add a window (docs/CONFIG.md) to see a schedule",
            cfg.path.display()
        ))
        .into());
    }
    let repo = Repository::open(&cfg.repository)
        .with_context(|| format!("opening the image repository {}", cfg.repository.display()))?;
    let store = Store::open(&cfg.state_dir).await?;
    let opts = ApplyOptions {
        hosts: args.hosts.clone(),
        ..ApplyOptions::default()
    };
    let view = preview::view(&cfg, &store, &repo, &opts, chrono::Utc::now(), args.days).await?;
    if view.hosts.is_empty() && !view.unscanned.is_empty() && view.latest_scan.is_none() {
        return Err(UsageError(format!(
            "no stored scan in {}: run `fwfleet inventory --config {}` first (the schedule plans from stored scans and touches no BMC)",
            cfg.state_dir.display(),
            args.config.display()
        ))
        .into());
    }
    match args.format {
        Format::Text => print!("{}", preview::render(&view)),
        Format::Json => println!("{}", serde_json::to_string_pretty(&view)?),
    }
    Ok(if view.warnings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
