//! The firmware inventory as a BMC reports it, read in typed steps: the
//! service root (no credentials), the UpdateService and the system's
//! identity (side by side, after login), then the members of
//! `FirmwareInventory` and `SoftwareInventory` — or, on a v1.2-era service
//! without `FirmwareInventory`, the firmware listed in `SoftwareInventory`
//! ([`LegacyLayout`]).
//!
//! A collection is read with one `$expand`ed GET when the service root
//! advertises `ExpandQuery` and the platform does not drop fields inside
//! `$expand`; an expanded member missing `Id` or `Version` is read again by
//! itself, and without `$expand` every member is. Every page of a collection
//! is read (`BmcClient::get_collection`); every URI the BMC names is bound
//! to the host's origin before it is followed.
//!
//! The steps are separate calls so that the caller records what each one
//! learnt before the next may fail: a host whose login fails still shows its
//! vendor, one whose firmware collection fails still shows its model.

use super::client::BmcClient;
use super::error::RedfishError;
use super::origin::Field;
use super::quirks::Platform;
use crate::vocab::Method;
use futures::StreamExt;
use redfish_schemas::{Collection, ComputerSystem, ODataId, ServiceRoot, UpdateService};
use serde_json::Value;

/// The members `inventory::normalize` reads (DMTF SoftwareInventory), and the
/// resource states they carry.
pub use redfish_schemas::{SoftwareInventory, State};

/// What the service root says about the BMC, read without credentials.
#[derive(Debug, Clone)]
pub struct Root {
    raw: ServiceRoot,
    /// The dialect, classified once from `Vendor`, `Product`, `RedfishVersion`.
    pub platform: Platform,
}

impl Root {
    pub fn vendor(&self) -> Option<&str> {
        self.raw.vendor.as_deref()
    }

    pub fn product(&self) -> Option<&str> {
        self.raw.product.as_deref()
    }

    pub fn redfish_version(&self) -> Option<&str> {
        self.raw.redfish_version.as_deref()
    }

    fn expand_supported(&self) -> bool {
        self.raw
            .protocol_features_supported
            .as_ref()
            .and_then(|p| p.expand_query.as_ref())
            .is_some_and(|e| e.no_links == Some(true) || e.expand_all == Some(true))
    }

    /// Whether collections are read with `$expand`.
    fn use_expand(&self) -> bool {
        self.expand_supported() && !self.platform.expand_may_drop_fields()
    }
}

/// Read the service root (no credentials needed, so it may run while the
/// login does).
pub async fn root(client: &BmcClient) -> Result<Root, RedfishError> {
    let raw: ServiceRoot = client.get_public("/redfish/v1/").await?;
    let platform = Platform::classify(
        raw.vendor.as_deref(),
        raw.product.as_deref(),
        raw.redfish_version.as_deref(),
    );
    Ok(Root { raw, platform })
}

/// The server behind the BMC, as its ComputerSystem says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct System {
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub bios_version: Option<String>,
    pub power_state: Option<String>,
}

/// The UpdateService and the system, read after login.
#[derive(Debug, Clone)]
pub struct Services {
    update_service: UpdateService,
    /// The `Systems` collection's URI, for reading `RelatedItem` links.
    pub systems_uri: Option<String>,
    /// The first system, when the service root lists a `Systems` collection.
    pub system: Option<System>,
}

/// A navigation link, bound to the host's origin (docs/SECURITY.md).
fn link(
    client: &BmcClient,
    l: &Option<ODataId>,
    field: &'static str,
) -> Result<Option<String>, RedfishError> {
    client.bind_opt(l.as_ref().map(|x| x.odata_id.as_str()), Field::named(field))
}

/// Read the UpdateService and the system side by side (call after login).
pub async fn services(client: &BmcClient, root: &Root) -> Result<Services, RedfishError> {
    let us_uri = link(client, &root.raw.update_service, "ServiceRoot.UpdateService")?.ok_or_else(|| RedfishError::Unsupported {
        host: client.host().to_string(),
        detail: "the service root has no UpdateService: this BMC cannot report or update firmware over Redfish".into(),
    })?;
    let systems_uri = link(client, &root.raw.systems, "ServiceRoot.Systems")?;
    let expand = root.expand_supported();
    let (us, system) = tokio::join!(client.get::<UpdateService>(&us_uri), async {
        match &systems_uri {
            Some(u) => read_system(client, u, expand).await.map(Some),
            None => Ok(None),
        }
    });
    let update_service = us?;
    let system = system?.map(|sys| System {
        manufacturer: sys.manufacturer.clone(),
        model: sys.model.clone(),
        serial: sys.serial_number.clone(),
        bios_version: sys.bios_version.clone(),
        power_state: sys
            .power_state
            .as_ref()
            .and_then(|p| serde_json::to_value(p).ok())
            .and_then(|v| v.as_str().map(str::to_string)),
    });
    Ok(Services {
        update_service,
        systems_uri,
        system,
    })
}

/// A host's firmware members, and where they were listed.
#[derive(Debug, Clone)]
pub struct Firmware {
    pub members: Vec<SoftwareInventory>,
    /// Set when the UpdateService has no `FirmwareInventory` and the
    /// firmware came from `SoftwareInventory` instead (see [`firmware`]).
    pub legacy: Option<LegacyLayout>,
}

/// A v1.2-era UpdateService: firmware under `SoftwareInventory`, and the
/// standard update actions it offers, the only ways to update it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyLayout {
    /// The collection the firmware was read from.
    pub collection: String,
    /// The standard update actions the UpdateService names, in fwfleet's
    /// order: `SimpleUpdate` (its action target), `MultipartHttpPushUri`,
    /// `HttpPushUri`. OEM actions are never used.
    pub methods: Vec<Method>,
}

/// The members of `FirmwareInventory`; on a service without one (the v1.2
/// era: UpdateService v1_2_0 had `SoftwareInventory` only, and BMCs of that
/// time listed their firmware there), the members of `SoftwareInventory`,
/// marked [`LegacyLayout`]. fwupd's Redfish plugin falls back the same way
/// (`fu-redfish-backend.c`).
pub async fn firmware(
    client: &BmcClient,
    root: &Root,
    services: &Services,
) -> Result<Firmware, RedfishError> {
    let us = &services.update_service;
    if let Some(uri) = link(
        client,
        &us.firmware_inventory,
        "UpdateService.FirmwareInventory",
    )? {
        let members = read_collection(client, &uri, root.use_expand()).await?;
        return Ok(Firmware {
            members,
            legacy: None,
        });
    }
    let collection = link(
        client,
        &us.software_inventory,
        "UpdateService.SoftwareInventory",
    )?
    .ok_or_else(|| RedfishError::Unsupported {
        host: client.host().to_string(),
        detail: "UpdateService has neither FirmwareInventory nor SoftwareInventory: this BMC reports no firmware over Redfish".into(),
    })?;
    let members = read_collection(client, &collection, root.use_expand()).await?;
    Ok(Firmware {
        members,
        legacy: Some(LegacyLayout {
            collection,
            methods: standard_methods(us),
        }),
    })
}

/// The standard update actions an UpdateService names.
fn standard_methods(us: &UpdateService) -> Vec<Method> {
    let offered = [
        (Method::SimpleUpdate, us.simple_update_target().is_some()),
        (Method::Multipart, us.multipart_http_push_uri.is_some()),
        (Method::RawPush, us.http_push_uri.is_some()),
    ];
    offered
        .into_iter()
        .filter_map(|(m, yes)| yes.then_some(m))
        .collect()
}

/// The members of `SoftwareInventory` (host software), or `None` when the
/// UpdateService has none.
pub async fn software(
    client: &BmcClient,
    root: &Root,
    services: &Services,
) -> Result<Option<Vec<SoftwareInventory>>, RedfishError> {
    match link(
        client,
        &services.update_service.software_inventory,
        "UpdateService.SoftwareInventory",
    )? {
        Some(uri) => Ok(Some(
            read_collection(client, &uri, root.use_expand()).await?,
        )),
        None => Ok(None),
    }
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
