//! `fwfleet trust`: trust on first use, explicitly. Connects to each
//! selected BMC, shows the certificate it presents (fingerprint, subject,
//! issuer, validity) and whether the host's setting already accepts it,
//! and after confirmation (or `--yes`) writes pins for those it does not:
//! into the config's `[[hosts]]` tables, or into a pins file
//! (`--pins-file`, or the config's `tls_pins_file`). Each pin is then
//! checked with a fresh connection. docs/SECURITY.md#trust-on-first-use.

use super::{load_config, Format, UsageError};
use crate::config::pins::{self, NewPin};
use crate::config::{HostConfig, TlsSetting};
use crate::redfish::probe::{self, PeerCertificate, Verdict};
use crate::redfish::tls::{self as rtls, TlsPolicy};
use serde::Serialize;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct TrustArgs {
    #[arg(long, value_name = "FILE", help = super::CONFIG_HELP)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub select: super::SelectArgs,
    /// Pin without asking (after comparing the fingerprints some other way).
    #[arg(long)]
    pub yes: bool,
    /// Show the certificates; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Write the pins into this file (and name it in the config as
    /// tls_pins_file) instead of the config's [[hosts]] tables.
    #[arg(long, value_name = "FILE")]
    pub pins_file: Option<PathBuf>,
    /// Also replace a pin the BMC no longer matches (after its certificate was renewed).
    #[arg(long)]
    pub repin: bool,
    /// text or json (`{"hosts":[…],"written":FILE|null}`).
    #[arg(long, default_value = "text")]
    pub format: Format,
}

/// What `trust` found for one host and does about it.
#[derive(Debug, Clone, Serialize)]
struct Seen {
    name: String,
    url: String,
    certificate: Option<PeerCertificate>,
    /// `pin`, `pinned`, `verified`, `pin-differs`, `skipped`, `failed`.
    status: &'static str,
    /// In words, for the table and for `failed`/`skipped`.
    note: String,
}

async fn look(h: &HostConfig, repin: bool) -> Seen {
    let mut seen = Seen {
        name: h.name.clone(),
        url: h.url.clone(),
        certificate: None,
        status: "failed",
        note: String::new(),
    };
    if !h.url.starts_with("https://") {
        seen.status = "skipped";
        seen.note = "plain http://: no certificate to pin".into();
        return seen;
    }
    if matches!(h.tls, TlsSetting::Insecure) {
        seen.status = "skipped";
        seen.note = "insecure = true in the config; remove it to pin this host".into();
        return seen;
    }
    if let Some(p) = &h.proxy {
        seen.status = "skipped";
        seen.note = format!("reached through proxy {p}; fwfleet trust connects directly, so compare and pin this host's fingerprint by hand");
        return seen;
    }
    let timeout = h.limits.connect_timeout + h.limits.request_timeout;
    let cert = match probe::peer_certificate(&h.name, &h.url, timeout).await {
        Ok(c) => c,
        Err(e) => {
            seen.note = e.to_string();
            return seen;
        }
    };
    let fp = cert.fingerprint.clone();
    seen.certificate = Some(cert);
    match &h.tls {
        TlsSetting::Pin(own) if own.eq_ignore_ascii_case(&fp) => {
            seen.status = "pinned";
            seen.note = "already pinned".into();
        }
        TlsSetting::Pin(own) if repin => {
            seen.status = "pin";
            seen.note = format!("pinned {own} no longer matches: will re-pin (--repin)");
        }
        TlsSetting::Pin(own) => {
            seen.status = "pin-differs";
            seen.note = format!("pinned {own}, the BMC shows {fp}\n  hint: if the BMC's certificate was renewed on purpose, run again with --repin");
        }
        TlsSetting::Verify { ca_file } => {
            let policy = TlsPolicy::Verify {
                ca_file: ca_file.clone(),
            };
            match probe::verdict(&h.name, &h.url, &policy, timeout).await {
                Ok(Verdict::Verified) => {
                    seen.status = "verified";
                    seen.note = format!("verified against {policy}; no pin needed");
                }
                Ok(Verdict::Untrusted { reason }) => {
                    seen.status = "pin";
                    seen.note = format!("not trusted ({reason}): to be pinned");
                }
                Err(e) => seen.note = e.to_string(),
            }
        }
        TlsSetting::Insecure => unreachable!("returned above"),
    }
    seen
}

fn render(seen: &[Seen]) -> String {
    let mut out = String::new();
    for s in seen {
        out.push_str(&format!("{}  {}\n", s.name, s.url));
        if let Some(c) = &s.certificate {
            out.push_str(&format!("  fingerprint  {}\n", c.fingerprint));
            out.push_str(&format!("  subject      {}\n", c.subject));
            let own = if c.self_signed { " (self-signed)" } else { "" };
            out.push_str(&format!("  issuer       {}{own}\n", c.issuer));
            let flag = if c.expired {
                "  [expired]"
            } else if c.not_yet_valid {
                "  [not yet valid]"
            } else {
                ""
            };
            out.push_str(&format!(
                "  valid        {} to {}{flag}\n",
                c.not_before, c.not_after
            ));
        }
        out.push_str(&format!("  status       {}: {}\n", s.status, s.note));
    }
    out
}

/// Ask on the terminal; anything but y/yes is no.
fn confirm(question: &str) -> bool {
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// `fwfleet trust`: exit 0 when every selected host is pinned or verified,
/// 1 when some could not be read or a pin differs, 2 for usage errors.
pub async fn trust(args: TrustArgs) -> anyhow::Result<ExitCode> {
    let sel = args.select.hosts()?;
    let cfg = load_config(&args.config)?;
    let selected: Vec<&HostConfig> = cfg
        .hosts
        .iter()
        .filter(|h| sel.matches(&h.name, &h.labels))
        .collect();
    if selected.is_empty() {
        return Err(super::no_host_matches(&cfg, &sel).into());
    }
    let seen: Vec<Seen> =
        futures::future::join_all(selected.iter().map(|h| look(h, args.repin))).await;
    let to_pin: Vec<NewPin> = seen
        .iter()
        .filter(|s| s.status == "pin")
        .filter_map(|s| {
            let c = s.certificate.as_ref()?;
            Some(NewPin {
                host: s.name.clone(),
                fingerprint: c.fingerprint.clone(),
                subject: c.subject.clone(),
                not_after: c.not_after.clone(),
            })
        })
        .collect();
    let pins_file = args.pins_file.clone().or_else(|| cfg.tls_pins_file.clone());
    let target = pins_file.clone().unwrap_or_else(|| cfg.path.clone());
    if args.format == Format::Text {
        print!("{}", render(&seen));
    }
    let mut written = None;
    if !to_pin.is_empty() && !args.dry_run {
        let question = format!(
            "pin {} certificate(s) into {}?",
            to_pin.len(),
            target.display()
        );
        if !args.yes {
            if !std::io::stdin().is_terminal() {
                return Err(UsageError(format!(
                    "{} certificate(s) to pin, and stdin is not a terminal to confirm them\n  hint: compare the fingerprints above with the BMCs' own (console, web UI), then run again with --yes",
                    to_pin.len()
                ))
                .into());
            }
            if !confirm(&question) {
                eprintln!("trust: nothing written");
                return Ok(ExitCode::from(1));
            }
        }
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        match &pins_file {
            Some(file) => pins::write_pins_file(&cfg.path, &absolute(file), &to_pin, &now),
            None => pins::write_into_config(&cfg.path, &to_pin),
        }
        .map_err(|e| UsageError(e.to_string()))?;
        written = Some(target.clone());
    }
    // Each new pin is checked the way every command will use it.
    let mut failed = seen
        .iter()
        .filter(|s| matches!(s.status, "failed" | "pin-differs"))
        .count();
    let mut checks = Vec::new();
    if written.is_some() {
        let reloaded = load_config(&Some(cfg.path.clone()))?;
        for pin in &to_pin {
            let h = reloaded.hosts.iter().find(|h| h.name == pin.host);
            let ok = match h.map(|h| &h.tls) {
                Some(TlsSetting::Pin(fp)) if fp.eq_ignore_ascii_case(&pin.fingerprint) => {
                    let h = h.expect("matched above");
                    let sha256 =
                        rtls::parse_fingerprint(fp).map_err(|e| UsageError(e.to_string()))?;
                    let timeout = h.limits.connect_timeout + h.limits.request_timeout;
                    match probe::verdict(&h.name, &h.url, &TlsPolicy::Pin { sha256 }, timeout).await
                    {
                        Ok(Verdict::Verified) => Ok(()),
                        Ok(Verdict::Untrusted { reason }) => Err(reason),
                        Err(e) => Err(e.to_string()),
                    }
                }
                _ => Err(format!(
                    "the config does not read the pin back from {}",
                    target.display()
                )),
            };
            if let Err(why) = &ok {
                failed += 1;
                eprintln!("trust: {}: the new pin does not work: {why}", pin.host);
            }
            checks.push((pin.host.clone(), ok.is_ok()));
        }
    }
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "hosts": seen,
                "written": written,
                "verified": checks.iter().filter(|c| c.1).map(|c| &c.0).collect::<Vec<_>>(),
            }))?
        ),
        Format::Text => match &written {
            Some(file) => println!(
                "pinned {} host(s) in {}; {} verified with the new pin",
                to_pin.len(),
                file.display(),
                checks.iter().filter(|c| c.1).count()
            ),
            None if args.dry_run && !to_pin.is_empty() => {
                println!("{} host(s) to pin (dry run: nothing written)", to_pin.len())
            }
            None => println!("nothing to pin"),
        },
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn absolute(p: &std::path::Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().map_or_else(|_| p.to_path_buf(), |d| d.join(p))
    }
}
