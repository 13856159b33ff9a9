//! Command line: clap structs, then a validated command, then the library call.
//!
//! Raw flags never reach the library: each command checks its arguments
//! before any I/O, so a usage error exits 2 without touching a BMC.

mod apply;
mod audit;
mod catalog;
mod completions;
mod import;
mod progress;
mod repo_plan;
mod rollback;
mod schedule;
mod serve;
mod steer;
mod trust;
mod unstage;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Keeps the BIOS and firmware of a server fleet up to date through Redfish BMCs.
#[derive(Debug, Parser)]
#[command(
    name = "fwfleet",
    version,
    about,
    before_help = START_HERE,
    after_help = "The fleet file: --config FILE, else $FWFLEET_CONFIG, else ./fleet.toml, else /etc/fwfleet/fleet.toml.\nThe operator's guide is docs/GUIDE.md; `fwfleet demo` runs the whole job on a bundled mock fleet."
)]
pub struct Cli {
    /// Log format on stderr: text or json.
    #[arg(long, global = true, default_value = "text")]
    pub log_format: LogFormat,
    /// More log lines on stderr: -v info, -vv debug, -vvv trace (RUST_LOG overrides; default: warnings only, info for `serve`).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

/// The first lines of `fwfleet --help`: the three commands to start with.
const START_HERE: &str = "Start here:
  fwfleet inventory --config fleet.toml   read what every BMC runs
  fwfleet plan --config fleet.toml        what would be updated, and why (flashes nothing)
  fwfleet apply --config fleet.toml       update the fleet: canaries, waves, failure budget";

/// `-v` as given, for the commands that print more per host with it.
pub(crate) static VERBOSE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read the firmware inventory of every BMC in the fleet.
    Inventory(Box<InventoryArgs>),
    /// Manage the image repository (add, list, verify, remove).
    Repo(repo_plan::RepoArgs),
    /// Compare the fleet with the repository: what would be updated, and why.
    Plan(Box<repo_plan::PlanArgs>),
    /// Per host and component: ok, warning, critical, downgrade or unknown; roll-ups per model and kind.
    Compliance(Box<catalog::ComplianceArgs>),
    /// Update the fleet: scan, plan, then roll out (canaries, waves, failure budget).
    Apply(Box<apply::ApplyArgs>),
    /// Show update runs, or one run's steps and events, from the state store.
    Status(apply::StatusArgs),
    /// Steer a running run (of `apply` or `serve`): pause, resume or cancel it.
    Run(steer::RunArgs),
    /// Keep hosts or components out of updates, or pin them at a version (add, list, remove).
    Hold(steer::HoldArgs),
    /// Remove updates fwfleet staged and has not activated (Dell: delete the scheduled job; Redfish: SoftwareInventory.Cancel).
    Unstage(unstage::UnstageArgs),
    /// Put a component back on its previous firmware: the BMC's kept image (Dell Previous-), its rollback action, or the older repository entry with --allow-downgrade.
    Rollback(Box<rollback::RollbackArgs>),
    /// Show the audit trail: who changed what, when and from where (API and CLI).
    Audit(audit::AuditArgs),
    /// Show each BMC's TLS certificate and pin the ones not yet trusted (trust on first use).
    Trust(Box<trust::TrustArgs>),
    /// When the maintenance windows will run the planned steps, per host, with the estimates used.
    Schedule(schedule::ScheduleArgs),
    /// Run as a service: maintenance windows, HTTP API, Prometheus metrics.
    Serve(serve::ServeArgs),
    /// Write a fleet config from an existing inventory (an Ansible INI or YAML file).
    Import(import::ImportArgs),
    /// Judge version A relative to version B: older, same, newer or unknown.
    VersionCmp(VersionCmpArgs),
    /// The whole job on a bundled mock fleet: inventory, repository, plan, apply (canary, waves), verify.
    #[cfg(feature = "demo")]
    Demo(crate::demo::DemoArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print the man page, or write one per subcommand with --out DIR.
    Man(completions::ManArgs),
}

/// Output format of a report command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A human table (`table` and `text` are the same).
    #[value(alias = "table")]
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct VersionCmpArgs {
    /// The version being judged.
    pub a: String,
    /// The version it is judged against.
    pub b: String,
    /// Read both as this scheme (semver, dotted, oem, hpe-rom, ilo, hex, …) instead of guessing the family.
    #[arg(long)]
    pub scheme: Option<String>,
    /// text (first line `A <verdict> B`) or json (`{"a","b","verdict","a_parsed","b_parsed"}`).
    #[arg(long, default_value = "text")]
    pub format: Format,
}

/// `--config`, shared by every command that reads the fleet file.
pub const CONFIG_HELP: &str = "The fleet config file (default: $FWFLEET_CONFIG, then ./fleet.toml, then /etc/fwfleet/fleet.toml).";

/// Which hosts and component kinds a command acts on: the one grammar of
/// [`crate::select`], flattened into every command that chooses hosts.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SelectArgs {
    /// Hosts by name or glob, comma-separated or repeated: 'bmc-0001', 'rack1-*', 'bmc-{a,b}' (default: every host).
    #[arg(long, value_name = "NAMES")]
    pub hosts: Vec<String>,
    /// Hosts by label (comma = and): 'rack=r12', 'rack!=r12', 'role in (db,web)', 'role notin (db)', 'canary', '!canary'.
    #[arg(long, short = 'l', value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Leave out hosts by name or glob, comma-separated or repeated.
    #[arg(long, value_name = "NAMES")]
    pub exclude: Vec<String>,
    /// Only these component kinds, comma-separated: bios, bmc, cpld, nic, storage, drive, psu, other.
    #[arg(long, value_name = "KINDS", value_delimiter = ',')]
    pub kinds: Vec<crate::vocab::Kind>,
}

impl SelectArgs {
    /// The host selection, checked before any I/O.
    pub fn hosts(&self) -> Result<crate::select::HostSelector, UsageError> {
        crate::select::HostSelector::parse(
            &self.hosts,
            self.selector.as_deref(),
            &self.exclude,
            crate::select::Source::Cli,
        )
        .map_err(|e| UsageError(e.to_string()))
    }

    /// The kinds asked for (empty: every kind), deduplicated, in kind order.
    pub fn kinds(&self) -> Vec<crate::vocab::Kind> {
        let mut k = self.kinds.clone();
        k.sort();
        k.dedup();
        k
    }

    /// `--hosts` as one comma-separated text (how a run records it).
    pub fn hosts_text(&self) -> Option<String> {
        (!self.hosts.is_empty()).then(|| self.hosts.join(","))
    }

    /// `--exclude` as one comma-separated text.
    pub fn exclude_text(&self) -> Option<String> {
        (!self.exclude.is_empty()).then(|| self.exclude.join(","))
    }
}

/// "no host in fleet.toml matches --hosts 'x'", with what to do next.
pub fn no_host_matches(
    cfg: &crate::config::Config,
    sel: &crate::select::HostSelector,
) -> UsageError {
    UsageError(format!(
        "no host in {} matches {}
  hint: `fwfleet inventory --config {}` lists the hosts; labels are the config's `labels` tables",
        cfg.path.display(),
        sel.describe(crate::select::Source::Cli),
        cfg.path.display()
    ))
}

#[derive(Debug, clap::Args)]
pub struct InventoryArgs {
    #[arg(long, value_name = "FILE", help = CONFIG_HELP)]
    pub config: Option<std::path::PathBuf>,
    /// table, json (`{"hosts":[…]}`, docs/INVENTORY.md) or csv (one row per component).
    #[arg(long, default_value = "table")]
    pub format: ListFormat,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Also read SoftwareInventory (host software).
    #[arg(long)]
    pub software: bool,
    /// Do not save the scan in the state store.
    #[arg(long)]
    pub no_save: bool,
    #[command(flatten)]
    pub scan: ScanArgs,
}

/// How a scan waits for slow BMCs.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ScanArgs {
    /// Give up on a host after this long (e.g. 20s, 2m), instead of its scan_deadline_secs (default 120 s).
    #[arg(long, value_name = "DURATION")]
    pub host_timeout: Option<String>,
    /// While hosts are outstanding, print a progress line naming them this often (default 5s).
    #[arg(long, value_name = "DURATION")]
    pub progress_interval: Option<String>,
}

impl ScanArgs {
    /// The scan options these flags ask for (every host, progress on).
    pub fn options(&self) -> Result<crate::inventory::scan::ScanOptions, UsageError> {
        let positive =
            |flag: &str, v: &Option<String>| -> Result<Option<std::time::Duration>, UsageError> {
                v.as_deref()
                    .map(|t| {
                        crate::schedule::parse_duration(t)
                            .map_err(|e| UsageError(format!("{flag} {t}: {e}")))
                            .and_then(|d| {
                                if d.is_zero() {
                                    Err(UsageError(format!("{flag} {t}: must be longer than zero")))
                                } else {
                                    Ok(d)
                                }
                            })
                    })
                    .transpose()
            };
        Ok(crate::inventory::scan::ScanOptions {
            deadline: positive("--host-timeout", &self.host_timeout)?,
            progress_every: positive("--progress-interval", &self.progress_interval)?
                .unwrap_or_default(),
            progress: true,
            ..Default::default()
        })
    }
}

/// `table`, `json` or `csv`: the formats of every listing command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    #[value(alias = "text")]
    Table,
    Json,
    Csv,
}

/// The config file to read: `--config`, else `$FWFLEET_CONFIG`, else
/// `./fleet.toml`, else `/etc/fwfleet/fleet.toml` (the first that exists).
pub fn config_path(given: Option<&std::path::Path>) -> Result<std::path::PathBuf, UsageError> {
    if let Some(p) = given {
        return Ok(p.to_path_buf());
    }
    if let Some(v) = std::env::var_os("FWFLEET_CONFIG").filter(|v| !v.is_empty()) {
        return Ok(v.into());
    }
    for p in ["fleet.toml", "/etc/fwfleet/fleet.toml"] {
        if std::path::Path::new(p).is_file() {
            return Ok(p.into());
        }
    }
    Err(UsageError(
        "no fleet config: no --config, FWFLEET_CONFIG is unset, and neither ./fleet.toml nor /etc/fwfleet/fleet.toml exists\n  hint: pass --config FILE; `mock-bmc serve --fleet-out fleet.toml` or `fwfleet import ansible hosts.ini --output fleet.toml` writes one".into(),
    ))
}

/// Load the config (found as [`config_path`] says) or fail with exit 2,
/// printing its warnings.
pub fn load_config(given: &Option<std::path::PathBuf>) -> anyhow::Result<crate::config::Config> {
    let path = config_path(given.as_deref())?;
    let cfg = crate::config::Config::load(&path).map_err(|e| UsageError(e.to_string()))?;
    for w in &cfg.warnings {
        tracing::warn!("{w}");
    }
    Ok(cfg)
}

/// `fwfleet inventory`: exit 0 when every host answered, 1 when some failed.
async fn inventory(args: InventoryArgs) -> anyhow::Result<ExitCode> {
    let hosts = args.select.hosts()?;
    let base = args.scan.options()?;
    let kinds = args.select.kinds();
    let cfg = load_config(&args.config)?;
    if !cfg.hosts.iter().any(|h| hosts.matches(&h.name, &h.labels)) {
        return Err(no_host_matches(&cfg, &hosts).into());
    }
    let cancel = tokio_util::sync::CancellationToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("inventory: interrupted; closing sessions");
            on_signal.cancel();
        }
    });
    let opts = crate::inventory::scan::ScanOptions {
        hosts,
        software: args.software,
        cancel,
        ..base
    };
    let mut inv = crate::inventory::scan::scan(&cfg, &opts).await;
    if !args.no_save {
        let store = crate::store::Store::open(&cfg.state_dir).await?;
        let id = store.save_inventory(&inv).await?;
        tracing::info!(scan = id, state = %cfg.state_dir.display(), "inventory saved");
    }
    if !kinds.is_empty() {
        for h in &mut inv.hosts {
            h.components.retain(|c| kinds.contains(&c.kind));
        }
    }
    match args.format {
        ListFormat::Table => print!("{}", crate::inventory::report::table(&inv)),
        ListFormat::Json => println!("{}", crate::inventory::report::json(&inv)),
        ListFormat::Csv => print!("{}", crate::inventory::report::csv(&inv)),
    }
    Ok(if inv.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `fwfleet version-cmp`: exit 0 whatever the verdict (it is an answer, not a failure).
fn version_cmp(args: VersionCmpArgs) -> anyhow::Result<ExitCode> {
    let scheme = match &args.scheme {
        Some(s) => Some(
            s.parse::<crate::version::VersionScheme>()
                .map_err(|e| UsageError(e.to_string()))?,
        ),
        None => None,
    };
    let report = crate::version::cmp_report(&args.a, &args.b, scheme);
    match args.format {
        Format::Text => println!("{}", report.render_text().trim_end()),
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM (systemd's stop, `kill`): both mean "stop starting
/// steps, record, exit".
pub(crate) async fn stop_requested() -> bool {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM ({e}); only Ctrl-C stops fwfleet");
                return tokio::signal::ctrl_c().await.is_ok();
            }
        };
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.is_ok(),
            r = term.recv() => r.is_some(),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.is_ok()
    }
}

/// An error in what the user asked for (exit 2), as opposed to a failure while doing it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// `default` is the level when RUST_LOG is unset; colours only on a terminal,
/// so piped logs stay plain text.
fn init_logging(format: LogFormat, default: &str) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// The binary's whole life: parse, run, exit code.
pub fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // Commands print their result; logs are for what went wrong, unless
    // asked (-v) or the service, whose log is its record.
    VERBOSE.store(cli.verbose, std::sync::atomic::Ordering::Relaxed);
    let level = match (cli.verbose, &cli.command) {
        (0, Command::Serve(_)) => "info",
        (0, _) => "warn",
        (1, _) => "info",
        (2, _) => "debug",
        _ => "trace",
    };
    init_logging(cli.log_format, level);
    let cli = match cli.command {
        Command::VersionCmp(args) => return finish(version_cmp(args)),
        Command::Completions(args) => return finish(completions::completions(args)),
        Command::Man(args) => return finish(completions::man(args)),
        command => Cli { command, ..cli },
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fwfleet: error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let audited = audit::audited(&cli.command);
    let result = rt.block_on(async move {
        let run = dispatch(cli.command);
        match audited {
            Some(a) => audit::run(a, run).await,
            None => run.await,
        }
    });
    finish(result)
}

/// Run one command.
async fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    {
        match command {
            #[cfg(feature = "demo")]
            Command::Demo(args) => {
                args.check().map_err(UsageError)?;
                crate::demo::run(args).await
            }
            Command::VersionCmp(args) => version_cmp(args),
            Command::Inventory(args) => inventory(*args).await,
            Command::Repo(args) => repo_plan::repo(args).await,
            Command::Plan(args) => repo_plan::plan(*args).await,
            Command::Compliance(args) => catalog::compliance(*args).await,
            Command::Apply(args) => apply::apply(*args).await,
            Command::Status(args) => apply::status(args).await,
            Command::Audit(args) => audit::show(args).await,
            Command::Trust(args) => trust::trust(*args).await,
            Command::Import(args) => import::run(args),
            Command::Completions(args) => completions::completions(args),
            Command::Man(args) => completions::man(args),
            Command::Schedule(args) => schedule::schedule(args).await,
            Command::Serve(args) => serve::serve(args).await,
            Command::Run(args) => steer::run(args).await,
            Command::Hold(args) => steer::hold(args).await,
            Command::Unstage(args) => unstage::unstage(args).await,
            Command::Rollback(args) => rollback::rollback(*args).await,
        }
    }
}

/// `fwfleet status --format json | head` (or `2>&1 | head`): the reader went
/// away, which is not an error of ours. Rust ignores SIGPIPE, so `println!`
/// and `eprintln!` panic instead; end quietly with the status a shell gives
/// a process killed by SIGPIPE (141).
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if (text.contains("failed printing to stdout")
            || text.contains("failed printing to stderr"))
            && text.contains("Broken pipe")
        {
            std::process::exit(141);
        }
        default(info);
    }));
}

fn finish(result: anyhow::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("fwfleet: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
