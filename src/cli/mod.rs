//! Command line: clap structs, then a validated command, then the library call.
//!
//! Raw flags never reach the library: each command checks its arguments
//! before any I/O, so a usage error exits 2 without touching a BMC.

mod apply;
mod catalog;
mod completions;
mod import;
mod repo_plan;
mod schedule;
mod serve;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Keeps the BIOS and firmware of a server fleet up to date through Redfish BMCs.
#[derive(Debug, Parser)]
#[command(name = "fwfleet", version, about)]
pub struct Cli {
    /// Log format on stderr: text or json (level from RUST_LOG, default info).
    #[arg(long, global = true, default_value = "text")]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

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

#[derive(Debug, clap::Args)]
pub struct InventoryArgs {
    /// The fleet config file (`mock-bmc serve --fleet-out` writes one).
    #[arg(long, value_name = "FILE")]
    pub config: std::path::PathBuf,
    /// table or json (`{"hosts":[…]}`, docs/INVENTORY.md).
    #[arg(long, default_value = "table")]
    pub format: Format,
    /// Only hosts whose name matches this glob (e.g. 'rack1-*').
    #[arg(long, value_name = "GLOB")]
    pub hosts: Option<String>,
    /// Also read SoftwareInventory (host software).
    #[arg(long)]
    pub software: bool,
    /// Do not save the scan in the state store.
    #[arg(long)]
    pub no_save: bool,
}

/// Load the config or fail with exit 2, printing its warnings.
pub fn load_config(path: &std::path::Path) -> anyhow::Result<crate::config::Config> {
    let cfg = crate::config::Config::load(path).map_err(|e| UsageError(e.to_string()))?;
    for w in &cfg.warnings {
        tracing::warn!("{w}");
    }
    Ok(cfg)
}

/// `fwfleet inventory`: exit 0 when every host answered, 1 when some failed.
async fn inventory(args: InventoryArgs) -> anyhow::Result<ExitCode> {
    let cfg = load_config(&args.config)?;
    let hosts = crate::updater::apply::host_filter(args.hosts.as_deref())
        .map_err(|e| UsageError(e.to_string()))?;
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
        progress: cfg.hosts.len() > 20,
        cancel,
    };
    let inv = crate::inventory::scan::scan(&cfg, &opts).await;
    if inv.hosts.is_empty() {
        return Err(UsageError(format!(
            "no host in {} matches {}",
            cfg.path.display(),
            args.hosts.as_deref().unwrap_or("*")
        ))
        .into());
    }
    if !args.no_save {
        let store = crate::store::Store::open(&cfg.state_dir).await?;
        let id = store.save_inventory(&inv).await?;
        tracing::info!(scan = id, state = %cfg.state_dir.display(), "inventory saved");
    }
    match args.format {
        Format::Text => print!("{}", crate::inventory::report::table(&inv)),
        Format::Json => println!("{}", crate::inventory::report::json(&inv)),
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
    // The demo narrates its own phases; per-image and per-step logs would bury them.
    #[cfg(feature = "demo")]
    let level = if matches!(cli.command, Command::Demo(_)) {
        "warn"
    } else {
        "info"
    };
    #[cfg(not(feature = "demo"))]
    let level = "info";
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
    let result = rt.block_on(async move {
        match cli.command {
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
            Command::Import(args) => import::run(args),
            Command::Completions(args) => completions::completions(args),
            Command::Man(args) => completions::man(args),
            Command::Schedule(args) => schedule::schedule(args).await,
            Command::Serve(args) => serve::serve(args).await,
        }
    });
    finish(result)
}

/// `fwfleet status --format json | head`: the reader went away, which is not
/// an error of ours. Rust ignores SIGPIPE, so `println!` panics instead; end
/// quietly with the status a shell gives a process killed by SIGPIPE (141).
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if text.contains("failed printing to stdout") && text.contains("Broken pipe") {
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
