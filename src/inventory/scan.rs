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
use std::time::Instant;

/// What to scan.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Only hosts whose name matches this glob.
    pub hosts: Option<globset::GlobMatcher>,
    /// Also read SoftwareInventory (host software).
    pub software: bool,
    /// Print progress lines on stderr.
    pub progress: bool,
    /// Cancelled on Ctrl-C: hosts stop reading, log out, and report "interrupted".
    pub cancel: tokio_util::sync::CancellationToken,
}

/// Scan the hosts of `cfg` (those matching the options) with bounded concurrency.
pub async fn scan(cfg: &Config, opts: &ScanOptions) -> Inventory {
    let started = chrono::Utc::now();
    let hosts: Vec<&HostConfig> = cfg
        .hosts
        .iter()
        .filter(|h| opts.hosts.as_ref().is_none_or(|g| g.is_match(&h.name)))
        .collect();
    let total = hosts.len();
    let t0 = Instant::now();
    let mut done = 0usize;
    let mut failed = 0usize;
    let mut results: Vec<(usize, HostInventory)> = Vec::with_capacity(total);
    let mut stream = futures::stream::iter(hosts.into_iter().enumerate())
        .map(|(i, h)| async move { (i, scan_host(h, opts.software, &opts.cancel).await) })
        .buffer_unordered(cfg.concurrency);
    let mut last_report = Instant::now();
    while let Some((i, inv)) = stream.next().await {
        done += 1;
        if !inv.ok {
            failed += 1;
        }
        if opts.progress && (last_report.elapsed().as_secs() >= 2 || done == total) {
            eprintln!(
                "inventory: {done}/{total} hosts ({failed} failed) in {:.1}s",
                t0.elapsed().as_secs_f64()
            );
            last_report = Instant::now();
        }
        results.push((i, inv));
    }
    results.sort_by_key(|(i, _)| *i);
    Inventory {
        scanned_at: started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        hosts: results.into_iter().map(|(_, h)| h).collect(),
    }
}

/// Scan one host; never fails, never outlives its deadline, always logs out.
pub async fn scan_host(
    h: &HostConfig,
    software: bool,
    cancel: &tokio_util::sync::CancellationToken,
) -> HostInventory {
    let t0 = Instant::now();
    let mut inv = HostInventory::unread(&h.name, &h.url);
    let result = match BmcClient::new(h) {
        Err(e) => Err(e),
        Ok(client) => {
            let deadline = h.limits.scan_deadline;
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
