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
pub(super) fn repo_dir(at: &RepoLocation) -> anyhow::Result<PathBuf> {
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
        RepoCommand::Add(a) => add(*a),
        RepoCommand::Edit(a) => edit(*a),
        RepoCommand::ImportCatalog(a) => super::catalog::import_catalog(*a).await,
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
