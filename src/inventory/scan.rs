//! The fleet scan: every host's identity and firmware inventory, gently
//! (bounded hosts at once, ≤ N requests per BMC) and with a deadline per host.
//!
//! Per host, on the critical path: service root → login → UpdateService and
//! the ComputerSystem (in parallel) → FirmwareInventory (one `$expand`ed GET
//! when the BMC advertises it) → logout; the reads are
//! [`crate::redfish::inventory`]'s, this module records and normalises what
//! they return. A host that fails is a value with a reason; the scan goes on.

use super::model::{BmcInfo, Component, HostInventory, Inventory, LegacyLayout, SystemInfo};
use super::normalize::{self, Context};
use crate::config::{Config, HostConfig};
use crate::redfish::client::BmcClient;
use crate::redfish::error::RedfishError;
use crate::redfish::inventory as firmware;
use crate::vocab::{Kind, Role};
use futures::StreamExt;
use std::collections::BTreeMap;
use std::time::Instant;

/// What to scan.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Which hosts (names, globs, labels, exclusions); the default is every host.
    pub hosts: crate::select::HostSelector,
    /// Also read SoftwareInventory (host software).
    pub software: bool,
    /// Print progress on stderr: a line every [`ScanOptions::progress_every`]
    /// while hosts are outstanding, naming the slowest of them (so one
    /// silent BMC is visible at any fleet size), and a last line for a
    /// large or slow scan.
    pub progress: bool,
    /// How often a progress line is printed; zero means every 5 s.
    pub progress_every: std::time::Duration,
    /// Overrides every host's `scan_deadline_secs` (`--host-timeout`).
    pub deadline: Option<std::time::Duration>,
    /// Cancelled on Ctrl-C: hosts stop reading, log out, and report "interrupted".
    pub cancel: tokio_util::sync::CancellationToken,
}

/// Scan the hosts of `cfg` (those matching the options) with bounded concurrency.
pub async fn scan(cfg: &Config, opts: &ScanOptions) -> Inventory {
    let started = chrono::Utc::now();
    let hosts: Vec<&HostConfig> = cfg
        .hosts
        .iter()
        .filter(|h| opts.hosts.matches(&h.name, &h.labels))
        .collect();
    let total = hosts.len();
    let t0 = Instant::now();
    let mut done = 0usize;
    let mut failed = 0usize;
    let mut results: Vec<(usize, HostInventory)> = Vec::with_capacity(total);
    // Hosts being read now, with when they started: what a progress line names.
    let running: std::sync::Mutex<BTreeMap<usize, (String, Instant)>> = Default::default();
    let running = &running;
    let deadline = opts.deadline;
    let mut stream = futures::stream::iter(hosts.into_iter().enumerate())
        .map(|(i, h)| async move {
            running
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(i, (h.name.clone(), Instant::now()));
            let inv = scan_host_within(h, opts.software, &opts.cancel, deadline).await;
            running.lock().unwrap_or_else(|e| e.into_inner()).remove(&i);
            (i, inv)
        })
        .buffer_unordered(cfg.concurrency);
    let every = if opts.progress_every.is_zero() {
        std::time::Duration::from_secs(5)
    } else {
        opts.progress_every
    };
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    let mut printed = false;
    loop {
        tokio::select! {
            next = stream.next() => {
                let Some((i, inv)) = next else { break };
                done += 1;
                if !inv.ok {
                    failed += 1;
                }
                results.push((i, inv));
            }
            _ = tick.tick(), if opts.progress => {
                let waiting = running.lock().unwrap_or_else(|e| e.into_inner()).clone();
                eprintln!("{}", progress_line(done, total, failed, t0.elapsed(), &waiting));
                printed = true;
            }
        }
    }
    if opts.progress && (printed || total > 20) {
        eprintln!(
            "inventory: {done}/{total} hosts ({failed} failed) in {:.1}s",
            t0.elapsed().as_secs_f64()
        );
    }
    results.sort_by_key(|(i, _)| *i);
    Inventory {
        scanned_at: started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        hosts: results.into_iter().map(|(_, h)| h).collect(),
    }
}

/// `inventory: 11/12 hosts (0 failed) in 10.0s; waiting for bmc-0007 (10.0s)`:
/// the hosts read longest first, at most five named.
fn progress_line(
    done: usize,
    total: usize,
    failed: usize,
    elapsed: std::time::Duration,
    running: &BTreeMap<usize, (String, Instant)>,
) -> String {
    let mut line = format!(
        "inventory: {done}/{total} hosts ({failed} failed) in {:.1}s",
        elapsed.as_secs_f64()
    );
    let mut waiting: Vec<&(String, Instant)> = running.values().collect();
    waiting.sort_by_key(|(name, since)| (*since, name.clone()));
    if !waiting.is_empty() {
        let named: Vec<String> = waiting
            .iter()
            .take(5)
            .map(|(name, since)| format!("{name} ({:.0}s)", since.elapsed().as_secs_f64()))
            .collect();
        line.push_str("; waiting for ");
        line.push_str(&named.join(", "));
        if waiting.len() > 5 {
            line.push_str(&format!(" and {} more", waiting.len() - 5));
        }
    }
    line
}

/// Scan one host; never fails, never outlives its deadline, always logs out.
pub async fn scan_host(
    h: &HostConfig,
    software: bool,
    cancel: &tokio_util::sync::CancellationToken,
) -> HostInventory {
    scan_host_within(h, software, cancel, None).await
}

/// [`scan_host`] with the deadline `deadline` instead of the host's
/// `scan_deadline_secs` when given.
async fn scan_host_within(
    h: &HostConfig,
    software: bool,
    cancel: &tokio_util::sync::CancellationToken,
    deadline: Option<std::time::Duration>,
) -> HostInventory {
    let t0 = Instant::now();
    let mut inv = HostInventory::unread(&h.name, &h.url);
    let result = match BmcClient::new(h) {
        Err(e) => Err(e),
        Ok(client) => {
            let deadline = deadline.unwrap_or(h.limits.scan_deadline);
            let r = tokio::select! {
                r = tokio::time::timeout(deadline, read(&client, software, &mut inv)) => match r {
                    Ok(r) => r,
                    Err(_) => Err(RedfishError::Deadline {
                        host: h.name.clone(),
                        secs: deadline.as_secs(),
                    }),
                },
                _ = cancel.cancelled() => Err(RedfishError::Interrupted { host: h.name.clone() }),
            };
            // Always log out, within a short grace period of its own.
            let _ = tokio::time::timeout(std::time::Duration::from_secs(10), client.logout()).await;
            r
        }
    };
    match result {
        Ok(()) => inv.ok = true,
        Err(e) => {
            tracing::warn!(host = %h.name, error = %e, "inventory failed");
            inv.error = Some(e.to_string());
        }
    }
    inv.duration_ms = t0.elapsed().as_millis() as u64;
    inv
}

/// Read the host's firmware now, as the updater does between and after steps
/// (no software inventory, no deadline of its own).
pub async fn read_now(client: &BmcClient) -> Result<HostInventory, RedfishError> {
    let mut inv = HostInventory::unread(client.host(), client.base_url());
    read(client, false, &mut inv).await?;
    Ok(inv)
}

/// Read one host's identity and inventory with an existing (logged-in or not) client.
pub async fn read(
    client: &BmcClient,
    software: bool,
    inv: &mut HostInventory,
) -> Result<(), RedfishError> {
    let root = firmware::root(client).await?;
    inv.bmc = BmcInfo {
        vendor: root.vendor().map(str::to_string),
        product: root.product().map(str::to_string),
        redfish_version: root.redfish_version().map(str::to_string),
        platform: root.platform.name().to_string(),
        firmware_version: None,
        legacy_layout: None,
    };
    client.login().await?;
    let services = firmware::services(client, &root).await?;
    if let Some(sys) = &services.system {
        inv.system = SystemInfo {
            manufacturer: sys.manufacturer.clone(),
            model: sys.model.clone(),
            serial: sys.serial.clone(),
            bios_version: sys.bios_version.clone(),
            power_state: sys.power_state.clone(),
            dell_system_id: sys.dell_system_id,
        };
    }
    let ctx = Context {
        vendor: root.vendor(),
        system_uri: services.systems_uri.as_deref(),
        manager_uri: None,
    };
    let fw = firmware::firmware(client, &root, &services).await?;
    inv.components = normalize::normalize_all(&fw.members, &ctx);
    inv.bmc.legacy_layout = fw.legacy.as_ref().map(|l| LegacyLayout {
        inventory: l.collection.clone(),
        methods: l.methods.clone(),
    });
    inv.bmc.firmware_version = inv
        .components
        .iter()
        .find(|c| c.kind == Kind::Bmc && c.role == Role::Active)
        .and_then(|c: &Component| c.version.clone());
    // A legacy layout's SoftwareInventory is the firmware just read (host
    // software listed there is among the components, kind `other`).
    if software && fw.legacy.is_none() {
        if let Some(items) = firmware::software(client, &root, &services).await? {
            inv.software = normalize::normalize_all(&items, &ctx);
        }
    }
    Ok(())
}
