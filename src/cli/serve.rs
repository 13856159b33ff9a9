//! `fwfleet serve`: the service (scheduler, HTTP API, metrics); docs/API.md.

use super::{load_config, stop_requested, UsageError};
use anyhow::Context;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The fleet config file; its [daemon] table configures the service (default: $FWFLEET_CONFIG, then ./fleet.toml, then /etc/fwfleet/fleet.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Listen here instead of daemon.bind (default 127.0.0.1:8470; port 0 picks a free one).
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
}

/// Resolves on the first SIGTERM or Ctrl-C; a second one exits at once (130).
async fn signalled() {
    stop_requested().await;
    eprintln!("fwfleet serve: stopping; no new step starts, running steps finish and are recorded (signal again to abort)");
    tokio::spawn(async {
        if stop_requested().await {
            std::process::exit(130);
        }
    });
}

/// `fwfleet serve`: exit 0 after a clean shutdown, 2 on configuration errors.
pub async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let mut cfg = load_config(&args.config)?;
    if let Some(b) = args.bind {
        cfg.daemon.bind = b;
    }
    let keys =
        crate::daemon::auth::Keyring::load(&cfg.daemon).map_err(|e| UsageError(e.to_string()))?;
    tracing::info!("API tokens: {}", keys.describe());
    let listener = tokio::net::TcpListener::bind(cfg.daemon.bind)
        .await
        .map_err(|e| {
            UsageError(format!(
                "cannot listen on {}: {e}\n  hint: pick another address with --bind or daemon.bind",
                cfg.daemon.bind
            ))
        })?;
    let addr = listener.local_addr().context("reading the bound address")?;
    // A stable line on stderr (not a log record) so that scripts and tests
    // started with port 0 can learn the port.
    let scheme = if cfg.daemon.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    eprintln!("fwfleet serve: listening on {scheme}://{addr}");
    crate::daemon::serve(cfg, keys, listener, signalled()).await?;
    eprintln!("fwfleet serve: stopped");
    Ok(ExitCode::SUCCESS)
}
