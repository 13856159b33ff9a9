//! `fwfleet repo import-catalog` and `fwfleet compliance`: both judge the
//! fleet from an inventory, the last stored one unless asked to scan.

use super::repo_plan::{repo_dir, RepoLocation};
use super::{load_config, UsageError};
use crate::catalog::import::{host_facts, import_dell, ImportOptions};
use crate::catalog::mirror::Mirror;
use crate::config::Config;
use crate::inventory::model::Inventory;
use crate::repository::Repository;
use crate::store::Store;
use anyhow::Context;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

/// Which vendor's catalog format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Vendor {
    Dell,
}

/// `text` or `json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    #[value(alias = "table")]
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct ImportCatalogArgs {
    /// The catalog: Catalog.xml or Catalog.xml.gz (UTF-8 or UTF-16).
    pub catalog: PathBuf,
    /// The catalog's format.
    #[arg(long, value_enum, default_value = "dell")]
    pub vendor: Vendor,
    /// Where the packages are: a directory (e.g. what Dell Repository Manager writes) or an http(s):// base URL.
    #[arg(long, value_name = "DIR|URL")]
    pub mirror: String,
    #[command(flatten)]
    pub at: RepoLocation,
    /// Say what would be added and replaced; fetch and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Scan the fleet first instead of using the last stored inventory.
    #[arg(long)]
    pub rescan: bool,
    /// text or json.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
}

/// The last stored inventory, or a fresh scan (saved) when there is none
/// or `rescan` asks for one.
async fn inventory_for(
    cfg: &Config,
    store: &Store,
    rescan: bool,
) -> anyhow::Result<(i64, Inventory)> {
    if !rescan {
        if let Some((id, inv)) = store.latest_inventory().await? {
            tracing::info!(scan = id, scanned_at = %inv.scanned_at, "using the stored inventory");
            return Ok((id, inv));
        }
    }
    let opts = crate::inventory::scan::ScanOptions {
        progress: cfg.hosts.len() > 20,
        ..Default::default()
    };
    let inv = crate::inventory::scan::scan(cfg, &opts).await;
    let id = store.save_inventory(&inv).await?;
    Ok((id, inv))
}

/// Exit 0 when every chosen package was added or unchanged, 1 when one
/// failed, 2 for usage errors.
pub async fn import_catalog(a: ImportCatalogArgs) -> anyhow::Result<ExitCode> {
    let mirror = Mirror::parse(&a.mirror).map_err(|e| UsageError(e.to_string()))?;
    let catalog = match a.vendor {
        Vendor::Dell => crate::catalog::dell::read_catalog_file(&a.catalog)
            .map_err(|e| UsageError(e.to_string()))?,
    };
    let cfg = load_config(&a.at.config)?;
    let store = Store::open(&cfg.state_dir).await?;
    let (_, inv) = inventory_for(&cfg, &store, a.rescan).await?;
    let hosts = host_facts(&inv);
    let dir = repo_dir(&a.at)?;
    // A dry run changes nothing, not even by creating the repository: with
    // none yet it compares against an empty one in a scratch directory.
    let scratch = std::env::temp_dir().join(format!("fwfleet-dry-run-{}", std::process::id()));
    let mut repo = match (a.dry_run, Repository::open(&dir)) {
        (_, Ok(r)) => r,
        (true, Err(crate::repository::RepoError::NoManifest { .. })) => {
            Repository::create_or_open(&scratch)?
        }
        (true, Err(e)) => return Err(e.into()),
        (false, Err(_)) => Repository::create_or_open(&dir)?,
    };
    let label = a
        .catalog
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| a.catalog.display().to_string());
    let staging = cfg.state_dir.join("catalog-downloads");
    let opts = ImportOptions {
        label,
        mirror: &mirror,
        staging: &staging,
        dry_run: a.dry_run,
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    let report = import_dell(&mut repo, &catalog, &hosts, &opts).await;
    let _ = std::fs::remove_dir_all(&scratch);
    match a.format {
        ReportFormat::Text => print!("{}", report.render_text()),
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(if report.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `table`, `json` or `csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ComplianceFormat {
    Table,
    Json,
    Csv,
}

#[derive(Debug, clap::Args)]
pub struct ComplianceArgs {
    /// The fleet config file.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Use this repository directory instead of the config's.
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    /// table, json or csv.
    #[arg(long, value_enum, default_value = "table")]
    pub format: ComplianceFormat,
    /// Scan the fleet first instead of judging the stored inventory.
    #[arg(long)]
    pub rescan: bool,
    /// Only hosts whose name matches this glob.
    #[arg(long, value_name = "GLOB")]
    pub hosts: Option<String>,
}

/// How many earlier scans are searched for a host whose latest scan failed.
const LOOKBACK_SCANS: usize = 50;

/// `fwfleet compliance`: exit 0 whatever the statuses (it is a report; the
/// JSON's `fleet.status` is what scripts test), 2 for usage errors.
pub async fn compliance(a: ComplianceArgs) -> anyhow::Result<ExitCode> {
    let cfg = load_config(&a.config)?;
    let repo_dir = a.repo.clone().unwrap_or_else(|| cfg.repository.clone());
    let repo = Repository::open(&repo_dir).context("opening the image repository")?;
    let only = match &a.hosts {
        Some(g) => Some(
            globset::Glob::new(g)
                .map_err(|e| UsageError(format!("--hosts '{g}': {e}")))?
                .compile_matcher(),
        ),
        None => None,
    };
    let store = Store::open(&cfg.state_dir).await?;
    let (latest_id, latest) = inventory_for(&cfg, &store, a.rescan).await?;
    // The last good inventory of each host: the latest scan, and for a
    // host that failed there, the newest earlier scan that read it.
    let mut hosts = Vec::new();
    let mut times = Vec::new();
    let mut earlier: Option<Vec<(String, Inventory)>> = None;
    for h in &latest.hosts {
        if only.as_ref().is_some_and(|g| !g.is_match(&h.name)) {
            continue;
        }
        if h.ok {
            hosts.push(h.clone());
            times.push(Some(latest.scanned_at.clone()));
            continue;
        }
        let scans = match &mut earlier {
            Some(s) => s,
            None => {
                let mut list = Vec::new();
                for s in store.list_scans(LOOKBACK_SCANS).await? {
                    if s.id == latest_id {
                        continue;
                    }
                    if let Some(inv) = store.inventory(s.id).await? {
                        list.push((inv.scanned_at.clone(), inv));
                    }
                }
                earlier.insert(list)
            }
        };
        match scans.iter().find_map(|(at, inv)| {
            inv.hosts
                .iter()
                .find(|x| x.name == h.name && x.ok)
                .map(|x| (at, x))
        }) {
            Some((at, good)) => {
                hosts.push(good.clone());
                times.push(Some(at.clone()));
            }
            None => {
                hosts.push(h.clone());
                times.push(None);
            }
        }
    }
    let inv = Inventory {
        scanned_at: latest.scanned_at.clone(),
        hosts,
    };
    let plan = crate::planner::plan(
        &inv,
        &crate::updater::jobs::RepoSource(&repo),
        &crate::planner::Policy::default(),
    );
    let crit: HashMap<&str, crate::repository::Criticality> = repo
        .list()
        .iter()
        .filter_map(|e| e.criticality.map(|c| (e.file.as_str(), c)))
        .collect();
    let inputs: Vec<crate::compliance::HostInput<'_>> = inv
        .hosts
        .iter()
        .zip(&times)
        .map(|(h, t)| crate::compliance::HostInput {
            inventory: h,
            scanned_at: t.as_deref(),
        })
        .collect();
    let report = crate::compliance::judge(
        &inputs,
        &plan,
        &|file: &str| crit.get(file).copied(),
        chrono::Utc::now(),
    );
    match a.format {
        ComplianceFormat::Table => print!("{}", crate::compliance::render_table(&report)),
        ComplianceFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        ComplianceFormat::Csv => print!("{}", crate::compliance::render_csv(&report)),
    }
    Ok(ExitCode::SUCCESS)
}
