//! The `mock-bmc` command line (docs/MOCK-BMC.md).

use crate::bmc::{Timing, TlsMode};
use crate::faults::{Faults, Scenario};
use crate::fleet::{FleetConfig, ListenSpec, MockFleet};
use crate::persona::Profile;
use crate::state::{random_token, SessionPolicy};
use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Redfish BMC simulator: one process, many BMCs.
#[derive(Debug, Parser)]
#[command(name = "mock-bmc", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a fleet of mock BMCs and serve until interrupted.
    Serve(Box<ServeArgs>),
    /// Write one mock firmware image.
    MakeImage(MakeImageArgs),
    /// Write newer images for every (model, component) of a running fleet, plus images.json.
    MakeImages(MakeImagesArgs),
}

#[derive(Debug, clap::Args)]
pub struct MakeImageArgs {
    /// Component kind: bios, bmc, cpld, nic, storage, drive, psu, other.
    #[arg(long)]
    pub component: crate::machine::Kind,
    /// The version the image installs.
    #[arg(long)]
    pub version: String,
    /// Models it applies to (repeatable); none = any model.
    #[arg(long = "model")]
    pub models: Vec<String>,
    /// Payload size in bytes.
    #[arg(long, default_value_t = 64 * 1024)]
    pub size: u64,
    /// Output file.
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct MakeImagesArgs {
    /// The fleet file of a running fleet (as written by `serve --fleet-out`).
    #[arg(long)]
    pub fleet: PathBuf,
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Only these component kinds, comma-separated (default: all).
    #[arg(long, value_delimiter = ',')]
    pub components: Vec<crate::machine::Kind>,
    /// How far past the fleet's newest version: patch, minor or major.
    #[arg(long, default_value = "patch")]
    pub bump: crate::vstyle::Bump,
    /// Payload size of each image in bytes.
    #[arg(long, default_value_t = 64 * 1024)]
    pub size: u64,
    /// For the iDRAC hosts, write a Dell-format `Catalog.xml` (UTF-16) with
    /// Dell Update Packages under `FOLDER…/1/` and decoys, instead of
    /// `.fwimg` images; the other hosts get `.fwimg` images and `images.json`.
    #[arg(long)]
    pub dell_catalog: bool,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// How many BMCs.
    #[arg(long, default_value_t = 1)]
    pub count: usize,
    /// ADDR[:PORT] for all BMCs (port 0 = any), or FIRST-LAST:PORT to give each BMC its own IP.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: ListenSpec,
    /// Serve HTTPS with a self-signed certificate per BMC (or --cert/--key).
    #[arg(long)]
    pub tls: bool,
    /// PEM certificate for every BMC instead of generated ones (implies --tls).
    #[arg(long, requires = "key")]
    pub cert: Option<PathBuf>,
    /// PEM private key for --cert.
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,
    /// Write each BMC's certificate as DIR/NAME.pem (for clients that want a CA file).
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<PathBuf>,
    /// User name of the BMC account.
    #[arg(long, default_value = "admin")]
    pub username: String,
    /// Password of the BMC account; random when omitted (it is written to --fleet-out).
    #[arg(long)]
    pub password: Option<String>,
    /// Seed for the fleet's machines: the same seed gives the same fleet.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Persona: generic, openbmc, idrac, ilo, supermicro, xcc or mixed.
    #[arg(long, default_value = "generic")]
    pub profile: Profile,
    /// Delay added to every Redfish response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Most sessions a BMC keeps open at once.
    #[arg(long, default_value_t = 16)]
    pub session_limit: usize,
    /// Idle seconds after which a session expires.
    #[arg(long, default_value_t = 1800)]
    pub session_timeout: u64,
    /// Write the fleet file (fwfleet's config format, mode 0600) here once every BMC listens.
    #[arg(long, value_name = "FILE")]
    pub fleet_out: Option<PathBuf>,
    /// ideal: seconds an update's install phase takes (0 works) [default: 2].
    #[arg(long)]
    pub update_secs: Option<f64>,
    /// ideal: seconds a BMC refuses connections while it reboots after a BMC firmware update or Manager.Reset [default: 5].
    #[arg(long)]
    pub bmc_reboot_secs: Option<f64>,
    /// ideal: seconds a finished task stays readable on personas that delete tasks (iDRAC) [default: 3].
    #[arg(long)]
    pub task_vanish_secs: Option<f64>,
    /// How BMCs run updates: field (each vendor's documented sequence, the default) or ideal (idealised flows).
    #[arg(long, default_value = "field")]
    pub behaviour: crate::field::Behaviour,
    /// A persona variant: legacy (ilo), apollo (ilo), ami (xcc), legacy-layout (generic); standard by default.
    #[arg(long, default_value = "standard")]
    pub variant: crate::persona::Variant,
    /// field: field durations are divided by this (60: a 5-minute BMC reboot takes 5 s).
    #[arg(long, default_value_t = crate::field::timing::DEFAULT_TIME_SCALE)]
    pub time_scale: f64,
    /// field: set one duration in wall-clock seconds, NAME=SECS (repeatable), e.g. bmc-reboot=3.
    #[arg(long = "field-duration", value_name = "NAME=SECS")]
    pub field_durations: Vec<String>,
    /// Let SimpleUpdate download images from non-loopback addresses.
    #[arg(long)]
    pub allow_remote_images: bool,
    /// MaxImageSizeBytes: larger uploads get 413.
    #[arg(long, default_value_t = crate::bmc::DEFAULT_MAX_IMAGE_SIZE)]
    pub max_image_size: u64,
    /// Serve a fleet-wide control plane here (/mock/bmcs/NAME/state), readable while a BMC reboots.
    #[arg(long, value_name = "ADDR")]
    pub control: Option<std::net::SocketAddr>,
    /// Keep each BMC's firmware state in DIR/NAME.json across restarts of the mock.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// A fault for every BMC: NAME or NAME=VALUE (repeatable), e.g. task-fails, unavailable=5.
    #[arg(long = "fault", value_name = "FAULT")]
    pub faults: Vec<String>,
    /// A scenario file (TOML or .json) with [default] and [hosts.NAME] tables of faults, behaviour and variant.
    #[arg(long = "faults", value_name = "FILE")]
    pub scenario: Option<PathBuf>,
}

/// Run the command line; returns when the fleet is stopped.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::MakeImage(a) => {
            // No explicit seed: each (component, version, models) gets its own payload.
            let h = crate::image::ImageBuilder::new(a.component, a.version.clone())
                .models(a.models.iter().cloned())
                .payload_size(a.size)
                .write_file(&a.output)
                .with_context(|| format!("writing {}", a.output.display()))?;
            println!(
                "{} {} {} sha256={}",
                a.output.display(),
                h.component,
                h.version,
                h.payload_sha256
            );
            Ok(())
        }
        Command::MakeImages(a) => {
            let mut states = crate::imagegen::fetch_states(&a.fleet).await?;
            let kinds = (!a.components.is_empty()).then_some(a.components.as_slice());
            if a.dell_catalog {
                let pkgs = crate::dellcat::make_dell_catalog(&states, &a.out, a.bump, a.size)?;
                for p in &pkgs {
                    println!(
                        "{} {} {} {}{}",
                        p.path,
                        p.component,
                        p.version,
                        p.system_id,
                        p.decoy
                            .as_deref()
                            .map(|d| format!(" (decoy: {d})"))
                            .unwrap_or_default()
                    );
                }
                println!(
                    "{} packages in {}",
                    pkgs.len(),
                    a.out.join(crate::dellcat::CATALOG_XML).display()
                );
                states.retain(|s| s.get("persona").and_then(|p| p.as_str()) != Some("idrac"));
                if states.is_empty() {
                    return Ok(());
                }
            }
            let specs = crate::imagegen::make_images(&states, &a.out, kinds, a.bump, a.size)?;
            for s in &specs {
                println!(
                    "{} {} {} {}",
                    s.file,
                    s.component,
                    s.version,
                    s.models.join(",")
                );
            }
            println!(
                "{} images and images.json in {}",
                specs.len(),
                a.out.display()
            );
            Ok(())
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    if args.count == 0 {
        bail!("--count must be at least 1");
    }
    if let ListenSpec::Single(a) = args.listen {
        if a.port() != 0 && args.count > 1 {
            bail!(
                "--listen {a} has a fixed port but --count is {}\n\
                 use port 0 (any free port) or an address range like 127.1.0.1-127.1.0.{}:{}",
                args.count,
                args.count.min(254),
                a.port()
            );
        }
    }
    let tls = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => TlsMode::Files {
            cert: cert.clone(),
            key: key.clone(),
        },
        _ if args.tls => TlsMode::SelfSigned,
        _ => TlsMode::Off,
    };
    let (mut scenario, host_settings) = match &args.scenario {
        Some(p) => Scenario::load_with_settings(p).map_err(anyhow::Error::msg)?,
        None => Default::default(),
    };
    for spec in &args.faults {
        let f = Faults::parse_flag(spec).map_err(anyhow::Error::msg)?;
        scenario.default.merge(&f);
    }
    let secs = |name: &str, v: f64| -> anyhow::Result<Duration> {
        if !(0.0..=86_400.0).contains(&v) {
            bail!("--{name} must be between 0 and 86400 seconds, got {v}");
        }
        Ok(Duration::from_secs_f64(v))
    };
    let field = args.behaviour == crate::field::Behaviour::Field;
    for (flag, given, name) in [
        ("update-secs", args.update_secs.is_some(), "bmc-flash"),
        (
            "bmc-reboot-secs",
            args.bmc_reboot_secs.is_some(),
            "bmc-reboot",
        ),
        (
            "task-vanish-secs",
            args.task_vanish_secs.is_some(),
            "task-vanish",
        ),
    ] {
        if field && given {
            bail!(
                "--{flag} sets an ideal-mode timing, but --behaviour is field\n\
                 use --time-scale, or --field-duration {name}=SECS (docs/MOCK-BMC.md, Timing)"
            );
        }
    }
    if !(args.time_scale.is_finite() && (1.0..=1_000_000.0).contains(&args.time_scale)) {
        bail!(
            "--time-scale must be between 1 (real field times) and 1000000, got {}",
            args.time_scale
        );
    }
    let mut field_timing = crate::field::FieldTiming::at_scale(args.time_scale);
    for spec in &args.field_durations {
        field_timing
            .apply_override(spec)
            .map_err(anyhow::Error::msg)?;
    }
    let d = Timing::default();
    let timing = Timing {
        update: match args.update_secs {
            Some(v) => secs("update-secs", v)?,
            None => d.update,
        },
        reboot: match args.bmc_reboot_secs {
            Some(v) => secs("bmc-reboot-secs", v)?,
            None => d.reboot,
        },
        task_vanish: match args.task_vanish_secs {
            Some(v) => Some(secs("task-vanish-secs", v)?),
            None => d.task_vanish,
        },
    };
    let cfg = FleetConfig {
        count: args.count,
        listen: args.listen,
        profile: args.profile,
        seed: args.seed,
        username: args.username.clone(),
        password: args.password.clone().unwrap_or_else(random_token),
        tls,
        latency: Duration::from_millis(args.latency_ms),
        sessions: SessionPolicy {
            limit: args.session_limit,
            idle_timeout: Duration::from_secs(args.session_timeout),
        },
        timing,
        scenario,
        allow_remote_images: args.allow_remote_images,
        max_image_size: args.max_image_size,
        state_dir: args.state_dir.clone(),
        behaviour: args.behaviour,
        variant: args.variant,
        field_timing,
        host_settings,
    };
    let fleet = MockFleet::start(cfg)
        .await
        .context("starting the mock fleet")?;
    if let Some(dir) = &args.cert_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for b in &fleet.bmcs {
            if let Some(pem) = b.cert_pem() {
                let path = dir.join(format!("{}.pem", b.name()));
                std::fs::write(&path, pem)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
    }
    if let Some(path) = &args.fleet_out {
        fleet
            .write_fleet_file(path)
            .with_context(|| format!("writing the fleet file {}", path.display()))?;
    }
    let mut out = std::io::stdout().lock();
    for b in &fleet.bmcs {
        match b.tls_fingerprint() {
            Some(fp) => writeln!(
                out,
                "bmc {} {} {} sha256={fp}",
                b.name(),
                b.url(),
                b.bmc().config.machine.persona
            )?,
            None => writeln!(
                out,
                "bmc {} {} {}",
                b.name(),
                b.url(),
                b.bmc().config.machine.persona
            )?,
        }
    }
    let _control = match args.control {
        Some(addr) => {
            let l = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("--control {addr}: cannot listen"))?;
            let local = l.local_addr()?;
            let app = crate::http::control::fleet_routes(
                fleet.bmcs.iter().map(|b| b.bmc().clone()).collect(),
            );
            writeln!(out, "control http://{local}/mock/bmcs")?;
            Some(tokio::spawn(async move {
                let _ = axum::serve(l, app).await;
            }))
        }
        None => None,
    };
    writeln!(out, "ready {}", fleet.bmcs.len())?;
    out.flush()?;
    drop(out);
    shutdown_signal().await;
    tracing::info!("stopping {} BMCs", fleet.bmcs.len());
    drop(fleet);
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// A password for fleets that did not get one: 128 random bits.
pub fn generated_password() -> String {
    random_token()
}
