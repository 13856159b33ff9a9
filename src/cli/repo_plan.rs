//! `fwfleet repo …` and `fwfleet plan`: the repository on disk, and the plan
//! that compares it with the fleet.

use super::{load_config, Format, UsageError};
use crate::planner;
use crate::repository::{AddSpec, ApplyTime, Method, Repository};
use crate::vocab::Kind;
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct RepoArgs {
    #[command(subcommand)]
    pub command: RepoCommand,
}

/// Where the repository is: `--repo`, else the config's `repository` key,
/// else `repository/` beside the config.
#[derive(Debug, Clone, clap::Args)]
pub struct RepoLocation {
    /// The fleet config file.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Use this repository directory instead of the config's.
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
pub enum RepoCommand {
    /// Copy an image into the repository and record it (hash, size, applicability).
    Add(Box<RepoAddArgs>),
    /// List the repository's images.
    List {
        #[command(flatten)]
        at: RepoLocation,
        /// text or json.
        #[arg(long, default_value = "table")]
        format: Format,
    },
    /// Re-hash every image and report mismatches (exit 1 if any).
    Verify {
        #[command(flatten)]
        at: RepoLocation,
    },
    /// Add every image of a JSON index (`mock-bmc make-images` writes `images.json`).
    Import {
        /// The index file; image paths in it are relative to its directory.
        index: PathBuf,
        #[command(flatten)]
        at: RepoLocation,
    },
    /// Remove an image (manifest entry and file).
    Remove {
        /// The image's file name as `repo list` shows it.
        file: String,
        #[command(flatten)]
        at: RepoLocation,
    },
}

#[derive(Debug, clap::Args)]
pub struct RepoAddArgs {
    /// The image file to add.
    pub file: PathBuf,
    #[command(flatten)]
    pub at: RepoLocation,
    /// bios, bmc, cpld, nic, storage, drive, psu or other.
    #[arg(long)]
    pub component: Kind,
    /// The version the component reports once this image is applied.
    #[arg(long)]
    pub version: String,
    /// System models it applies to (glob, repeatable); none = any model.
    #[arg(long = "model", value_name = "GLOB")]
    pub models: Vec<String>,
    /// System manufacturers it applies to (glob, repeatable).
    #[arg(long = "manufacturer", value_name = "GLOB")]
    pub manufacturers: Vec<String>,
    /// Only components with this SoftwareId.
    #[arg(long)]
    pub software_id: Option<String>,
    /// Only components whose name, id or identity matches this regex.
    #[arg(long = "match", value_name = "REGEX")]
    pub match_regex: Option<String>,
    /// Read versions with this scheme (semver, dotted, hpe-rom, ilo, hex, …).
    #[arg(long)]
    pub scheme: Option<String>,
    /// Only apply on top of this version or newer (upgrade paths).
    #[arg(long, value_name = "VERSION")]
    pub min_from_version: Option<String>,
    /// Preferred transfer: simple-update, multipart or raw-push.
    #[arg(long)]
    pub method: Option<String>,
    /// Immediate, OnReset or OnStartUpdateRequest.
    #[arg(long)]
    pub apply_time: Option<String>,
    /// Allow this image to replace a newer version.
    #[arg(long)]
    pub allow_downgrade: bool,
    /// Another component must be at least this version first, as KIND:VERSION
    /// (repeatable), e.g. bmc:5.10.
    #[arg(long = "requires", value_name = "KIND:VERSION")]
    pub requires: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The fleet config file.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Use this repository directory instead of the config's.
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    /// table, json or csv.
    #[arg(long, default_value = "table")]
    pub format: PlanFormat,
    /// Plan from the last stored inventory instead of scanning.
    #[arg(long)]
    pub cached: bool,
    /// Only hosts whose name matches this glob.
    #[arg(long, value_name = "GLOB")]
    pub hosts: Option<String>,
    /// Allow every downgrade (never implied).
    #[arg(long)]
    pub allow_downgrade: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Table,
    Json,
    Csv,
}

/// The repository directory of a config without validating its hosts: repository
/// commands need no BMC credentials.
fn repo_dir(at: &RepoLocation) -> anyhow::Result<PathBuf> {
    if let Some(d) = &at.repo {
        return Ok(d.clone());
    }
    let text = std::fs::read_to_string(&at.config).map_err(|e| {
        UsageError(format!(
            "config {}: cannot read it: {e}",
            at.config.display()
        ))
    })?;
    let v: toml::Value = toml::from_str(&text)
        .map_err(|e| UsageError(format!("config {}: {}", at.config.display(), e.message())))?;
    let base = at
        .config
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let dir = match v.get("repository").and_then(|r| r.as_str()) {
        Some(r) => PathBuf::from(r),
        None => PathBuf::from("repository"),
    };
    Ok(if dir.is_absolute() {
        dir
    } else {
        base.join(dir)
    })
}

fn parse_method(s: &str) -> anyhow::Result<Method> {
    [Method::SimpleUpdate, Method::Multipart, Method::RawPush]
        .into_iter()
        .find(|m| m.as_str().eq_ignore_ascii_case(s))
        .ok_or_else(|| {
            UsageError(format!(
                "--method {s}: expected simple-update, multipart or raw-push"
            ))
            .into()
        })
}

fn parse_apply_time(s: &str) -> anyhow::Result<ApplyTime> {
    [
        ApplyTime::Immediate,
        ApplyTime::OnReset,
        ApplyTime::OnStartUpdateRequest,
    ]
    .into_iter()
    .find(|a| a.as_str().eq_ignore_ascii_case(s))
    .ok_or_else(|| {
        UsageError(format!(
            "--apply-time {s}: expected Immediate, OnReset or OnStartUpdateRequest"
        ))
        .into()
    })
}

pub async fn repo(args: RepoArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        RepoCommand::Add(a) => {
            let a = *a;
            let dir = repo_dir(&a.at)?;
            let mut spec = AddSpec::new(a.component, a.version.clone());
            spec.models = a.models;
            spec.manufacturers = a.manufacturers;
            spec.software_id = a.software_id;
            spec.match_regex = a.match_regex;
            spec.version_scheme = match &a.scheme {
                Some(s) => Some(
                    s.parse::<crate::version::VersionScheme>()
                        .map_err(|e| UsageError(e.to_string()))?,
                ),
                None => None,
            };
            spec.min_from_version = a.min_from_version;
            spec.method = a.method.as_deref().map(parse_method).transpose()?;
            spec.apply_time = a.apply_time.as_deref().map(parse_apply_time).transpose()?;
            spec.allow_downgrade = a.allow_downgrade;
            for r in &a.requires {
                let (kind, version) = r.split_once(':').ok_or_else(|| {
                    UsageError(format!("--requires {r}: write KIND:VERSION, e.g. bmc:5.10"))
                })?;
                let kind: Kind = kind.parse().map_err(UsageError)?;
                spec.prerequisites.push(crate::repository::Prerequisite {
                    kind,
                    min_version: version.to_string(),
                });
            }
            let mut repo = Repository::create_or_open(&dir)?;
            let e = repo.add(&a.file, spec)?;
            println!(
                "added {} ({} {}, sha256 {}, {} bytes)",
                e.file, e.kind, e.version, e.sha256, e.size
            );
            Ok(ExitCode::SUCCESS)
        }
        RepoCommand::List { at, format } => {
            let repo = Repository::open(repo_dir(&at)?)?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(repo.list())?),
                Format::Text => {
                    println!(
                        "{:<48} {:<8} {:<28} {:<30} SHA256",
                        "FILE", "KIND", "VERSION", "MODELS"
                    );
                    for e in repo.list() {
                        let models = if e.models.is_empty() {
                            "*".to_string()
                        } else {
                            e.models.join(",")
                        };
                        println!(
                            "{:<48} {:<8} {:<28} {:<30} {}",
                            e.file,
                            e.kind,
                            e.version,
                            models,
                            &e.sha256[..e.sha256.len().min(16)]
                        );
                    }
                    println!("\n{} images in {}", repo.list().len(), repo.dir().display());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        RepoCommand::Verify { at } => {
            let repo = Repository::open(repo_dir(&at)?)?;
            let problems = repo.verify();
            for p in &problems {
                println!("{p}");
            }
            println!(
                "{} images checked, {} problems",
                repo.list().len(),
                problems.len()
            );
            Ok(if problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        RepoCommand::Import { index, at } => {
            let mut repo = Repository::create_or_open(repo_dir(&at)?)?;
            let n = crate::repository::import_index(&mut repo, &index)?;
            println!("imported {n} images into {}", repo.dir().display());
            Ok(ExitCode::SUCCESS)
        }
        RepoCommand::Remove { file, at } => {
            let mut repo = Repository::open(repo_dir(&at)?)?;
            let e = repo.remove(&file)?;
            println!("removed {} ({} {})", e.file, e.kind, e.version);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `fwfleet plan`: exit 0 when the plan could be made for every host, 1 when a
/// host could not be scanned.
pub async fn plan(args: PlanArgs) -> anyhow::Result<ExitCode> {
    let cfg = load_config(&args.config)?;
    let repo_dir = args.repo.clone().unwrap_or_else(|| cfg.repository.clone());
    let repo = Repository::open(&repo_dir).context("opening the image repository")?;
    let hosts = crate::updater::apply::host_filter(args.hosts.as_deref())
        .map_err(|e| UsageError(e.to_string()))?;
    let store = crate::store::Store::open(&cfg.state_dir).await?;
    let mut inv = if args.cached {
        let (id, inv) = store.latest_inventory().await?.ok_or_else(|| {
            UsageError(format!(
                "no stored inventory in {}; run `fwfleet inventory --config {}` first, or drop --cached",
                cfg.state_dir.display(),
                args.config.display()
            ))
        })?;
        tracing::info!(scan = id, "planning from the stored inventory");
        inv
    } else {
        let opts = crate::inventory::scan::ScanOptions {
            hosts: hosts.clone(),
            progress: cfg.hosts.len() > 20,
            ..Default::default()
        };
        let inv = crate::inventory::scan::scan(&cfg, &opts).await;
        store.save_inventory(&inv).await?;
        inv
    };
    if let Some(g) = &hosts {
        inv.hosts.retain(|h| g.is_match(&h.name));
    }
    let policy = crate::updater::apply::ApplyOptions {
        allow_downgrade: args.allow_downgrade,
        ..Default::default()
    }
    .policy();
    let plan = planner::plan(&inv, &crate::updater::jobs::RepoSource(&repo), &policy);
    match args.format {
        PlanFormat::Table => print!("{}", planner::render_table(&plan)),
        PlanFormat::Json => println!("{}", serde_json::to_string_pretty(&plan)?),
        PlanFormat::Csv => print!("{}", planner::render_csv(&plan)),
    }
    Ok(if inv.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
