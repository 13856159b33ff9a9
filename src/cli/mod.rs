//! Command line: clap structs, then a validated command, then the library call.
//!
//! Raw flags never reach the library: each command checks its arguments
//! before any I/O, so a usage error exits 2 without touching a BMC.

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
    /// Start a bundled mock BMC fleet in a temporary directory and show what it runs.
    #[cfg(feature = "demo")]
    Demo(crate::demo::DemoArgs),
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// The binary's whole life: parse, run, exit code.
pub fn main() -> ExitCode {
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
    init_logging(cli.log_format);
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fwfleet: error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = rt.block_on(async move {
        match cli.command {
            #[cfg(feature = "demo")]
            Command::Demo(args) => crate::demo::run(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("fwfleet: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
