//! `fwfleet demo`: a bundled mock BMC fleet, started in-process, so a new
//! operator sees fwfleet work with no BMCs and no setup.
//!
//! For now it starts the fleet, writes the fleet file into a temporary
//! directory, scans it over real HTTP exactly as `fwfleet inventory` does, saves
//! the scan in the SQLite store and shows what every BMC runs; plan → apply →
//! verify join it as those commands land.

use anyhow::Context;
use mock_bmc::{FleetConfig, MockFleet, Profile};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// How many mock BMCs.
    #[arg(long, default_value_t = 50)]
    pub count: usize,
    /// Seed for the fleet's machines.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Directory for the fleet file and state (default: a new temporary directory).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Keep the fleet running until Ctrl-C, so other tools can talk to it.
    #[arg(long)]
    pub keep_running: bool,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    if args.count == 0 {
        anyhow::bail!("--count must be at least 1");
    }
    let dir = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
            d.clone()
        }
        None => tempfile::Builder::new()
            .prefix("fwfleet-demo-")
            .tempdir()
            .context("creating a temporary directory")?
            .keep(),
    };
    let fleet = MockFleet::start(FleetConfig {
        count: args.count,
        profile: Profile::Mixed,
        seed: args.seed,
        ..FleetConfig::default()
    })
    .await
    .context("starting the mock fleet")?;
    let fleet_file = dir.join("fleet.toml");
    fleet
        .write_fleet_file(&fleet_file)
        .with_context(|| format!("writing {}", fleet_file.display()))?;

    let cfg = crate::config::Config::load(&fleet_file)
        .with_context(|| format!("reading {}", fleet_file.display()))?;
    let inv =
        crate::inventory::scan::scan(&cfg, &crate::inventory::scan::ScanOptions::default()).await;
    let store = crate::store::Store::open(&cfg.state_dir)?;
    let scan_id = store.save_inventory(&inv)?;
    let mut out = std::io::stdout().lock();
    write!(out, "{}", crate::inventory::report::table(&inv))?;
    let components: usize = inv.hosts.iter().map(|h| h.components.len()).sum();
    writeln!(
        out,
        "\n{} mock BMCs running; {components} firmware components read over Redfish",
        fleet.bmcs.len()
    )?;
    writeln!(out, "fleet file: {}", fleet_file.display())?;
    writeln!(out, "state: {} (scan {scan_id})", store.path().display())?;
    out.flush()?;
    drop(out);
    if args.keep_running {
        eprintln!("fleet running; press Ctrl-C to stop");
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
    }
    Ok(if inv.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
