//! The fleet scan: every host's identity and firmware inventory, gently
//! (bounded hosts at once, ≤ N requests per BMC) and with a deadline per host.
//!
//! Per host, on the critical path: service root → login → UpdateService and
//! the ComputerSystem (in parallel) → FirmwareInventory (one `$expand`ed GET
//! when the BMC advertises it) → logout. A host that fails is a value with a
//! reason; the scan goes on.

use super::model::{BmcInfo, Component, HostInventory, Inventory, SystemInfo};
use super::normalize::{self, Context};
use crate::config::{Config, HostConfig};
use crate::redfish::client::BmcClient;
use crate::redfish::error::RedfishError;
use crate::redfish::origin::Field;
use crate::redfish::quirks::Platform;
use futures::StreamExt;
use redfish_schemas::{Collection, ComputerSystem, ServiceRoot, SoftwareInventory, UpdateService};
use serde_json::Value;
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

/// A navigation link, bound to the host's origin (docs/SECURITY.md).
fn link(
    client: &BmcClient,
    l: &Option<redfish_schemas::ODataId>,
    field: &'static str,
) -> Result<Option<String>, RedfishError> {
    client.bind_opt(l.as_ref().map(|x| x.odata_id.as_str()), Field::named(field))
}

fn expand_supported(root: &ServiceRoot) -> bool {
    root.protocol_features_supported
        .as_ref()
        .and_then(|p| p.expand_query.as_ref())
        .is_some_and(|e| e.no_links == Some(true) || e.expand_all == Some(true))
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
    let root: ServiceRoot = client.get_public("/redfish/v1/").await?;
    let platform = Platform::classify(
        root.vendor.as_deref(),
        root.product.as_deref(),
        root.redfish_version.as_deref(),
    );
    inv.bmc = BmcInfo {
        vendor: root.vendor.clone(),
        product: root.product.clone(),
        redfish_version: root.redfish_version.clone(),
        platform: platform.name().to_string(),
        firmware_version: None,
    };
    client.login().await?;
    let expand = expand_supported(&root);
    let us_uri = link(client, &root.update_service, "ServiceRoot.UpdateService")?.ok_or_else(|| RedfishError::Unsupported {
        host: client.host().to_string(),
        detail: "the service root has no UpdateService: this BMC cannot report or update firmware over Redfish".into(),
    })?;
    let systems_uri = link(client, &root.systems, "ServiceRoot.Systems")?;
    let (us, system) = tokio::join!(client.get::<UpdateService>(&us_uri), async {
        match &systems_uri {
            Some(u) => read_system(client, u, expand).await.map(Some),
            None => Ok(None),
        }
    });
    let us = us?;
    if let Some(sys) = system? {
        inv.system = SystemInfo {
            manufacturer: sys.manufacturer.clone(),
            model: sys.model.clone(),
            serial: sys.serial_number.clone(),
            bios_version: sys.bios_version.clone(),
            power_state: sys
                .power_state
                .as_ref()
                .and_then(|p| serde_json::to_value(p).ok())
                .and_then(|v| v.as_str().map(str::to_string)),
        };
    }
    let system_uri = systems_uri.clone();
    let ctx = Context {
        vendor: root.vendor.as_deref(),
        system_uri: system_uri.as_deref(),
        manager_uri: None,
    };
    let fw_uri = link(
        client,
        &us.firmware_inventory,
        "UpdateService.FirmwareInventory",
    )?
    .ok_or_else(|| RedfishError::Unsupported {
        host: client.host().to_string(),
        detail: "UpdateService has no FirmwareInventory".into(),
    })?;
    let use_expand = expand && !platform.expand_may_drop_fields();
    let items = read_collection(client, &fw_uri, use_expand).await?;
    inv.components = items
        .iter()
        .map(|i| normalize::normalize(i, &ctx))
        .collect();
    inv.bmc.firmware_version = inv
        .components
        .iter()
        .find(|c| c.kind == super::model::Kind::Bmc && c.role == super::model::Role::Active)
        .and_then(|c: &Component| c.version.clone());
    if software {
        if let Some(sw) = link(
            client,
            &us.software_inventory,
            "UpdateService.SoftwareInventory",
        )? {
            let items = read_collection(client, &sw, use_expand).await?;
            inv.software = items
                .iter()
                .map(|i| normalize::normalize(i, &ctx))
                .collect();
        }
    }
    Ok(())
}

async fn read_system(
    client: &BmcClient,
    systems_uri: &str,
    expand: bool,
) -> Result<ComputerSystem, RedfishError> {
    if expand {
        let coll: Collection<Value> = client
            .get(&format!("{systems_uri}?$expand=.($levels=1)"))
            .await?;
        if let Some(first) = coll.members.into_iter().next() {
            if first.get("Id").is_some() {
                return client.decode(systems_uri, first.to_string().as_bytes());
            }
            if let Some(u) = first.get("@odata.id").and_then(Value::as_str) {
                return client.get(&client.bind(u, Field::MEMBER)?).await;
            }
        }
    } else {
        let coll: Collection = client.get(systems_uri).await?;
        if let Some(first) = coll.members.first() {
            return client
                .get(&client.bind(&first.odata_id, Field::MEMBER)?)
                .await;
        }
    }
    Err(RedfishError::Unsupported {
        host: client.host().to_string(),
        detail: format!("{systems_uri} lists no system"),
    })
}

/// A SoftwareInventory collection's members: one expanded GET when possible,
/// member GETs otherwise — also for expanded members missing fields.
async fn read_collection(
    client: &BmcClient,
    uri: &str,
    expand: bool,
) -> Result<Vec<SoftwareInventory>, RedfishError> {
    let mut out = Vec::new();
    let mut todo: Vec<String> = Vec::new();
    if expand {
        let coll: Collection<Value> = client
            .get_collection(&format!("{uri}?$expand=.($levels=1)"))
            .await?;
        for m in coll.members {
            let id = client.bind_opt(m.get("@odata.id").and_then(Value::as_str), Field::MEMBER)?;
            let complete = m.get("Id").is_some() && m.get("Version").is_some();
            match (complete, id) {
                (true, _) => out.push(client.decode(uri, m.to_string().as_bytes())?),
                (false, Some(id)) => todo.push(id),
                (false, None) => {}
            }
        }
    } else {
        let coll: Collection = client.get_collection(uri).await?;
        todo = coll
            .members
            .iter()
            .map(|m| client.bind(&m.odata_id, Field::MEMBER))
            .collect::<Result<_, _>>()?;
    }
    let fetched: Vec<Result<SoftwareInventory, RedfishError>> = futures::stream::iter(todo)
        .map(|u| async move { client.get::<SoftwareInventory>(&u).await })
        .buffered(4)
        .collect()
        .await;
    for f in fetched {
        out.push(f?);
    }
    Ok(out)
}
