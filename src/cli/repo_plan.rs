//! `fwfleet repo …` and `fwfleet plan`: the repository on disk, and the plan
//! that compares it with the fleet.

use super::{load_config, UsageError};
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
    #[arg(long, value_name = "FILE", help = super::CONFIG_HELP)]
    pub config: Option<PathBuf>,
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
        /// table, json or csv.
        #[arg(long, default_value = "table")]
        format: super::ListFormat,
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
    /// Change an entry's applicability or notes in place (no re-add).
    Edit(Box<RepoEditArgs>),
    /// Fill the repository from a vendor catalog: the packages this fleet needs, fetched from a mirror and verified.
    ImportCatalog(Box<super::catalog::ImportCatalogArgs>),
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
    /// bios, bmc, cpld, nic, storage, drive, psu or other (read from an HPE .fwpkg when omitted).
    #[arg(long)]
    pub component: Option<Kind>,
    /// The version the component reports once this image is applied (read from an HPE .fwpkg when omitted).
    #[arg(long)]
    pub version: Option<String>,
    /// System models it applies to (glob, repeatable).
    #[arg(long = "model", value_name = "GLOB")]
    pub models: Vec<String>,
    /// Accept an image that applies to every model (no model, manufacturer, SoftwareId or --match).
    #[arg(long)]
    pub any_model: bool,
    /// The vendor's SHA-256 of the file: the add is refused if the file differs.
    #[arg(long, value_name = "HEX")]
    pub sha256: Option<String>,
    /// The vendor's urgency: optional, recommended or urgent.
    #[arg(long)]
    pub criticality: Option<String>,
    /// What applying it does to the running host: no-host-impact, host-reboot or power-cycle (overrides the catalog's and the BMC's hints).
    #[arg(long, value_name = "CLASS")]
    pub disruption: Option<String>,
    /// Free text kept in the manifest.
    #[arg(long)]
    pub notes: Option<String>,
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
pub struct RepoEditArgs {
    /// The entry's file name as `repo list` shows it.
    pub file: String,
    #[command(flatten)]
    pub at: RepoLocation,
    /// Replace the model globs (repeatable).
    #[arg(long = "model", value_name = "GLOB")]
    pub models: Vec<String>,
    /// Remove every model glob.
    #[arg(long, conflicts_with = "models")]
    pub clear_models: bool,
    /// Replace the manufacturer globs (repeatable).
    #[arg(long = "manufacturer", value_name = "GLOB")]
    pub manufacturers: Vec<String>,
    #[arg(long, conflicts_with = "manufacturers")]
    pub clear_manufacturers: bool,
    /// Only components with this SoftwareId.
    #[arg(long)]
    pub software_id: Option<String>,
    #[arg(long, conflicts_with = "software_id")]
    pub clear_software_id: bool,
    /// Only components whose name, id or identity matches this regex.
    #[arg(long = "match", value_name = "REGEX")]
    pub match_regex: Option<String>,
    #[arg(long, conflicts_with = "match_regex")]
    pub clear_match: bool,
    /// Replace the notes.
    #[arg(long)]
    pub notes: Option<String>,
    #[arg(long, conflicts_with = "notes")]
    pub clear_notes: bool,
    /// optional, recommended or urgent.
    #[arg(long)]
    pub criticality: Option<String>,
    /// Accept an entry that applies to every model afterwards.
    #[arg(long)]
    pub any_model: bool,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    #[arg(long, value_name = "FILE", help = super::CONFIG_HELP)]
    pub config: Option<PathBuf>,
    /// Use this repository directory instead of the config's.
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    /// table, json or csv.
    #[arg(long, default_value = "table")]
    pub format: PlanFormat,
    /// Plan from the stored inventories instead of scanning: each host's last good scan, with its age.
    #[arg(long)]
    pub cached: bool,
    #[command(flatten)]
    pub select: super::SelectArgs,
    /// Show only what would change or is blocked (no up-to-date rows).
    #[arg(long)]
    pub changes: bool,
    /// Show every row even when the plan is large (over 60 rows the table shows the summary and only the rows that need a look).
    #[arg(long, conflicts_with = "changes")]
    pub full: bool,
    /// Group the table's summary by model (default), kind, or label:KEY (e.g. label:rack).
    #[arg(long, value_name = "BY", default_value = "model")]
    pub group_by: String,
    #[command(flatten)]
    pub scan: super::ScanArgs,
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
pub(super) fn repo_dir(at: &RepoLocation) -> anyhow::Result<PathBuf> {
    if let Some(d) = &at.repo {
        return Ok(d.clone());
    }
    let config = super::config_path(at.config.as_deref())?;
    let text = std::fs::read_to_string(&config)
        .map_err(|e| UsageError(format!("config {}: cannot read it: {e}", config.display())))?;
    let v: toml::Value = toml::from_str(&text)
        .map_err(|e| UsageError(format!("config {}: {}", config.display(), e.message())))?;
    let base = config.parent().map(Path::to_path_buf).unwrap_or_default();
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
        RepoCommand::Add(a) => add(*a),
        RepoCommand::Edit(a) => edit(*a),
        RepoCommand::ImportCatalog(a) => super::catalog::import_catalog(*a).await,
        RepoCommand::List { at, format } => {
            let repo = Repository::open(repo_dir(&at)?)?;
            match format {
                super::ListFormat::Json => {
                    println!("{}", serde_json::to_string_pretty(repo.list())?)
                }
                super::ListFormat::Csv => {
                    println!("file,kind,version,models,manufacturers,software_id,criticality,size,sha256");
                    for e in repo.list() {
                        let size = e.size.to_string();
                        let crit = e.criticality.map(|c| c.to_string()).unwrap_or_default();
                        print!(
                            "{}",
                            crate::text::csv_line(&[
                                &e.file,
                                e.kind.as_str(),
                                &e.version,
                                &e.models.join(";"),
                                &e.manufacturers.join(";"),
                                e.software_id.as_deref().unwrap_or(""),
                                &crit,
                                &size,
                                &e.sha256,
                            ])
                        );
                    }
                }
                super::ListFormat::Table => {
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

fn parse_criticality(s: &str) -> anyhow::Result<crate::repository::Criticality> {
    s.parse()
        .map_err(|e: String| UsageError(format!("--criticality: {e}")).into())
}

/// A signature beside `file`: `X.compsig` for `X.fwpkg` (HPE names them
/// so), or `X.fwpkg.compsig`.
fn signature_beside(file: &Path) -> Option<PathBuf> {
    let stem = file.with_extension("compsig");
    let appended = PathBuf::from(format!("{}.compsig", file.display()));
    [stem, appended].into_iter().find(|p| p.is_file())
}

/// `fwfleet repo add`: an HPE `.fwpkg` fills in what the operator leaves
/// out; anything else needs `--component` and `--version`; an image with
/// no applicability is refused unless `--any-model`.
fn add(a: RepoAddArgs) -> anyhow::Result<ExitCode> {
    let dir = repo_dir(&a.at)?;
    let is_fwpkg = a
        .file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("fwpkg"));
    let inferred = if is_fwpkg {
        let pkg =
            crate::catalog::hpe::read_fwpkg(&a.file).map_err(|e| UsageError(e.to_string()))?;
        Some(crate::catalog::hpe::infer(&pkg))
    } else {
        None
    };
    let file = a.file.display().to_string();
    let kind = match (a.component, &inferred) {
        (Some(k), _) => k,
        (None, Some(inf)) => inf
            .kind
            .clone()
            .map_err(|e| UsageError(format!("{file}: {e}")))?,
        (None, None) => {
            return Err(UsageError(format!(
                "{file}: give --component (bios, bmc, cpld, nic, storage, drive, psu or other)"
            ))
            .into())
        }
    };
    let version = match (&a.version, &inferred) {
        (Some(v), _) => v.clone(),
        (None, Some(inf)) => inf
            .version
            .clone()
            .map_err(|e| UsageError(format!("{file}: {e}")))?,
        (None, None) => {
            return Err(UsageError(format!(
                "{file}: give --version, as the BMC reports it after the update"
            ))
            .into())
        }
    };
    let mut spec = AddSpec::new(kind, version);
    spec.models = a.models;
    spec.manufacturers = a.manufacturers;
    spec.software_id = a.software_id;
    spec.match_regex = a.match_regex;
    spec.notes = a.notes;
    if let Some(inf) = &inferred {
        if spec.manufacturers.is_empty() {
            spec.manufacturers = inf.manufacturers.clone();
        }
        if spec.match_regex.is_none() && spec.software_id.is_none() {
            spec.match_regex = inf.match_regex.clone();
        }
        if inf.needs_model && spec.models.is_empty() && !a.any_model {
            return Err(UsageError(format!(
                "{file}: an HPE System ROM package is built for one ROM family; give --model for the servers it is for"
            ))
            .into());
        }
        spec.needs_vendor_tool = inf.needs_vendor_tool.clone();
        spec.reboot_required = inf.reboot_required;
        spec.notes.get_or_insert_with(|| inf.notes.clone());
    } else if spec
        .manufacturers
        .iter()
        .any(|m| m.to_ascii_lowercase().starts_with("hp"))
    {
        let name = a.file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !crate::catalog::hpe::ilo_accepts_file(name) {
            spec.needs_vendor_tool = Some(format!(
                "iLO's update service takes .bin, .signed.flash and .fwpkg files, not {name}; apply it with HPE SUM/SUT"
            ));
        }
    }
    if !spec.has_applicability() && !a.any_model {
        return Err(UsageError(format!(
            "{file}: the image would apply to every {kind} of every model\n  give --model, --manufacturer, --software-id or --match, or --any-model if that is what you mean"
        ))
        .into());
    }
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
    spec.criticality = a
        .criticality
        .as_deref()
        .map(parse_criticality)
        .transpose()?;
    spec.disruption = a
        .disruption
        .as_deref()
        .map(|d| {
            crate::vocab::Disruption::parse(d).map_err(|e| UsageError(format!("--disruption: {e}")))
        })
        .transpose()?;
    if let Some(h) = &a.sha256 {
        let h = crate::repository::check_digest(crate::repository::HashKind::Sha256, h)
            .map_err(|e| UsageError(format!("--sha256: {e}")))?;
        spec.vendor_hash = Some((crate::repository::HashKind::Sha256, h));
    }
    spec.signature_src = signature_beside(&a.file);
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
    if let Some(sig) = &e.signature {
        println!("  signature {sig} kept beside it");
    }
    if let Some(why) = &e.needs_vendor_tool {
        println!("  kept, but the planner reports it as needs-vendor-tool: {why}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `fwfleet repo edit`.
fn edit(a: RepoEditArgs) -> anyhow::Result<ExitCode> {
    let list = |v: Vec<String>, clear: bool| (clear || !v.is_empty()).then_some(v);
    let opt = |v: Option<String>, clear: bool| {
        if clear {
            Some(None)
        } else {
            v.map(Some)
        }
    };
    let criticality = a
        .criticality
        .as_deref()
        .map(parse_criticality)
        .transpose()?;
    let edit = crate::repository::Edit {
        models: list(a.models, a.clear_models),
        manufacturers: list(a.manufacturers, a.clear_manufacturers),
        software_id: opt(a.software_id, a.clear_software_id),
        software_ids: None,
        match_regex: opt(a.match_regex, a.clear_match),
        notes: opt(a.notes, a.clear_notes),
        criticality: criticality.map(Some),
        any_model: a.any_model,
    };
    if edit.is_empty() {
        return Err(UsageError(format!(
            "repo edit {}: nothing to change; give --model, --manufacturer, --software-id, --match, --notes or --criticality (or a --clear-… flag)",
            a.file
        ))
        .into());
    }
    let mut repo = Repository::open(repo_dir(&a.at)?)?;
    let e = repo.edit(&a.file, edit)?;
    let models = if e.models.is_empty() {
        "*".to_string()
    } else {
        e.models.join(",")
    };
    println!(
        "edited {} ({} {}; models {models})",
        e.file, e.kind, e.version
    );
    Ok(ExitCode::SUCCESS)
}

/// Above this many rows the plan table shows, after its summary, only the
/// rows that need a look (blocked, unknown, staged, downgrades, failed
/// hosts) and says how many it left out.
const FULL_TABLE_ROWS: usize = 60;

/// Each chosen host's last good inventory from the store, in config order,
/// with the time of the scan it comes from; a host no scan ever read is
/// a failed host saying so. What `plan --cached` plans from.
pub(super) async fn last_good_inventory(
    cfg: &crate::config::Config,
    store: &crate::store::Store,
    hosts: &crate::select::HostSelector,
) -> anyhow::Result<(crate::inventory::model::Inventory, Vec<Option<String>>)> {
    let chosen: Vec<&crate::config::HostConfig> = cfg
        .hosts
        .iter()
        .filter(|h| hosts.matches(&h.name, &h.labels))
        .collect();
    let found = store
        .latest_good_hosts(chosen.iter().map(|h| h.name.clone()).collect())
        .await?;
    let mut inv = crate::inventory::model::Inventory {
        scanned_at: String::new(),
        hosts: Vec::with_capacity(chosen.len()),
    };
    // For a host no scan read, the latest attempt says why.
    let missing: Vec<String> = chosen
        .iter()
        .zip(&found)
        .filter(|(_, f)| f.is_none())
        .map(|(h, _)| h.name.clone())
        .collect();
    let mut attempts: std::collections::HashMap<String, crate::inventory::model::HostInventory> =
        if missing.is_empty() {
            Default::default()
        } else {
            store
                .latest_hosts(missing.clone())
                .await?
                .into_iter()
                .zip(missing)
                .filter_map(|(h, n)| h.map(|h| (n, h)))
                .collect()
        };
    let mut times = Vec::with_capacity(chosen.len());
    for (h, f) in chosen.iter().zip(found) {
        match f {
            Some((host, at)) => {
                if at > inv.scanned_at {
                    inv.scanned_at = at.clone();
                }
                inv.hosts.push(host);
                times.push(Some(at));
            }
            None if attempts.contains_key(&h.name) => {
                inv.hosts.push(attempts.remove(&h.name).unwrap_or_else(|| {
                    crate::inventory::model::HostInventory::unread(&h.name, &h.url)
                }));
                times.push(None);
            }
            None => {
                let mut host = crate::inventory::model::HostInventory::unread(&h.name, &h.url);
                host.error = Some(format!(
                    "{}: no stored scan read this host; run `fwfleet inventory --hosts {}` or drop --cached",
                    h.name, h.name
                ));
                inv.hosts.push(host);
                times.push(None);
            }
        }
    }
    Ok((inv, times))
}

/// "from scans of 2026-12-07T09:00:00Z (3 h ago) to …": how old a cached
/// view is.
pub(super) fn age_line(times: &[Option<String>]) -> String {
    let now = chrono::Utc::now();
    let parsed: Vec<chrono::DateTime<chrono::Utc>> = times
        .iter()
        .flatten()
        .filter_map(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
        .collect();
    let never = times.iter().filter(|t| t.is_none()).count();
    let ago = |t: chrono::DateTime<chrono::Utc>| {
        let s = (now - t).num_seconds().max(0);
        match s {
            0..=119 => format!("{s} s ago"),
            120..=7199 => format!("{} min ago", s / 60),
            7200..=172_799 => format!("{} h ago", s / 3600),
            _ => format!("{} days ago", s / 86_400),
        }
    };
    let mut out = match (parsed.iter().min(), parsed.iter().max()) {
        (Some(old), Some(new)) if old == new => format!(
            "{} host(s) from the scan of {} ({})",
            parsed.len(),
            old.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ago(*old)
        ),
        (Some(old), Some(new)) => format!(
            "{} host(s) from scans of {} ({}) to {} ({})",
            parsed.len(),
            old.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ago(*old),
            new.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ago(*new)
        ),
        _ => "no host has a stored scan".to_string(),
    };
    if never > 0 && !parsed.is_empty() {
        out.push_str(&format!("; {never} host(s) never read"));
    }
    out
}

/// `fwfleet plan`: exit 0 when the plan could be made for every host, 1 when a
/// host could not be scanned.
pub async fn plan(args: PlanArgs) -> anyhow::Result<ExitCode> {
    let hosts = args.select.hosts()?;
    let group_by: planner::view::GroupBy = args.group_by.parse().map_err(UsageError)?;
    let scan_opts = args.scan.options()?;
    let cfg = load_config(&args.config)?;
    if !cfg.hosts.iter().any(|h| hosts.matches(&h.name, &h.labels)) {
        return Err(super::no_host_matches(&cfg, &hosts).into());
    }
    let repo_dir = args.repo.clone().unwrap_or_else(|| cfg.repository.clone());
    let repo = Repository::open(&repo_dir).context("opening the image repository")?;
    let store = crate::store::Store::open(&cfg.state_dir).await?;
    let inv = if args.cached {
        let (inv, times) = last_good_inventory(&cfg, &store, &hosts).await?;
        if times.iter().all(Option::is_none) {
            return Err(UsageError(format!(
                "no stored inventory in {} for {}\n  hint: run `fwfleet inventory --config {}` first, or drop --cached",
                cfg.state_dir.display(),
                hosts.describe(crate::select::Source::Cli),
                cfg.path.display()
            ))
            .into());
        }
        eprintln!("plan: {}", age_line(&times));
        inv
    } else {
        let opts = crate::inventory::scan::ScanOptions {
            hosts: hosts.clone(),
            ..scan_opts
        };
        let inv = crate::inventory::scan::scan(&cfg, &opts).await;
        store.save_inventory(&inv).await?;
        inv
    };
    let policy = crate::updater::apply::ApplyOptions {
        allow_downgrade: args.allow_downgrade,
        kinds: args.select.kinds(),
        ..Default::default()
    }
    .policy();
    let mut plan = planner::plan(&inv, &crate::updater::jobs::RepoSource(&repo), &policy);
    crate::updater::control::hold_plan(
        &mut plan,
        &crate::updater::control::holds_in_force(&cfg, &store).await?,
        &cfg,
    );
    let (plan, bad_images) = crate::updater::preflight::mark_plan_in(plan, &cfg.state_dir).await?;
    if !bad_images.is_empty() {
        eprintln!(
            "plan: {} planned image(s) are missing or corrupt; `apply` refuses to run until they are put back or left out:",
            bad_images.len()
        );
        for b in &bad_images {
            eprintln!("  {b}");
        }
    }
    match args.format {
        PlanFormat::Table => {
            let models: std::collections::HashMap<&str, &str> = inv
                .hosts
                .iter()
                .map(|h| (h.name.as_str(), h.system.model.as_deref().unwrap_or("-")))
                .collect();
            let labels: std::collections::HashMap<
                &str,
                &std::collections::BTreeMap<String, String>,
            > = cfg
                .hosts
                .iter()
                .map(|h| (h.name.as_str(), &h.labels))
                .collect();
            let group_of = |name: &str| -> String {
                match &group_by {
                    planner::view::GroupBy::Label(k) => labels
                        .get(name)
                        .and_then(|l| l.get(k))
                        .cloned()
                        .unwrap_or_else(|| "-".into()),
                    _ => models.get(name).copied().unwrap_or("-").to_string(),
                }
            };
            print!(
                "{}",
                render_plan_table(&plan, &group_by, &group_of, args.changes, args.full)
            );
        }
        PlanFormat::Json => println!("{}", serde_json::to_string_pretty(&plan)?),
        PlanFormat::Csv => {
            let mut plan = plan;
            if args.changes {
                for h in &mut plan.hosts {
                    h.steps
                        .retain(|s| planner::view::is_change_or_blocked(s.action));
                }
            }
            print!("{}", planner::render_csv(&plan))
        }
    }
    Ok(if inv.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The plan as `plan` and `apply --dry-run` print it: the summary, then the
/// rows (only the changes with `changes`; only those needing a look when
/// there are too many rows and `full` is not asked for), cut to the
/// terminal's width.
pub(super) fn render_plan_table(
    plan: &planner::Plan,
    group_by: &planner::view::GroupBy,
    group_of: &dyn Fn(&str) -> String,
    changes: bool,
    full: bool,
) -> String {
    use planner::view::{count_rows, render_rows, render_summary, Rows};
    let all = count_rows(plan, Rows::All);
    let rows = if full {
        Rows::All
    } else if changes {
        Rows::Changes
    } else if all > FULL_TABLE_ROWS {
        Rows::Attention
    } else {
        Rows::All
    };
    let mut out = render_summary(plan, group_by, group_of);
    out.push('\n');
    let shown = count_rows(plan, rows);
    if shown > 0 {
        out.push_str(&render_rows(plan, rows, crate::text::terminal_width()));
    }
    let hidden = all - shown;
    if hidden > 0 && rows == Rows::Attention {
        let upgrades = count_rows(plan, Rows::Changes) - shown;
        out.push_str(&format!(
            "({shown} rows need a look; {upgrades} upgrade rows and {} rows with nothing to do are counted above: --changes lists the upgrades, --full every row, --format json or csv every field)\n",
            hidden - upgrades
        ));
    } else if hidden > 0 && rows == Rows::Changes {
        out.push_str(&format!(
            "({hidden} rows with nothing to do not shown; --full shows them)\n"
        ));
    }
    out
}
