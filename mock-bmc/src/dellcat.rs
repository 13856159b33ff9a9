//! A Dell-format update catalog for the iDRAC hosts of a running mock fleet
//! (`mock-bmc make-images --dell-catalog`): what Dell Repository Manager
//! writes for an operator's mirror, so catalog tooling can be tested end to
//! end against the mock.
//!
//! `Catalog.xml` is written as Dell ships it: UTF-16LE with a byte order
//! mark, root `Manifest` with `baseLocation`, one `SoftwareComponent` per
//! Dell Update Package with `path`, `packageID`, `packageType="LW64"`,
//! `vendorVersion`, `dellVersion`, `hashMD5`, `size`, `releaseDate`
//! (`May 27, 2024`), `rebootRequired`, `ComponentType`, `Criticality`,
//! `SupportedDevices/Device@componentID` with `PCIInfo` for PCI devices,
//! `SupportedSystems/Brand/Model@systemID` in four hex digits, and
//! `Cryptography/Hash@algorithm="SHA256"` as newer catalogs carry (sources in
//! docs/MOCK-BMC.md). Each package's file is a mock image (the mock's own
//! format: the version a BMC reports after the update is the one it
//! received) under `FOLDERnnnnnnnnM/1/…_WN64_<version>_A00.EXE`.
//!
//! Beside the packages a fleet needs, the catalog holds decoys a careful
//! reader must leave alone: the same device for another system (a PowerEdge
//! R640, `0716`) at a higher version, a Linux `.BIN` of a package (iDRAC
//! refuses those over Redfish), and a package for another ComponentID under
//! the same display name. Decoy files are written too, so a reader that
//! picks one gets a file and the mistake shows in what it imports.

use crate::image::ImageBuilder;
use crate::machine::{dell_ids, dell_pci, dell_system_id, Kind, Role};
use crate::vstyle::{Bump, VersionStyle};
use md5::Digest as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The catalog's file name inside the output directory.
pub const CATALOG_XML: &str = "Catalog.xml";

/// The system the decoys are for: a PowerEdge R640 (SystemID 1814, `0716`),
/// which no mock persona ships.
const DECOY_SYSTEM: (u32, &str) = (1814, "R640");

/// One package of the catalog, as `make-images --dell-catalog` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DellPackage {
    /// Relative to the output directory (and the catalog's base location).
    pub path: String,
    pub package_id: String,
    pub component: Kind,
    pub version: String,
    /// Dell ComponentID (`0` for devices keyed by PCI IDs).
    pub component_id: String,
    pub pci: Option<String>,
    /// Four hex digits.
    pub system_id: String,
    /// Catalog model name (`R650`).
    pub model: String,
    /// Why a fleet must not use it, for decoys.
    pub decoy: Option<String>,
}

/// Why the catalog could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DellCatalogError {
    #[error("host {host}: malformed /mock/state: {message}")]
    State { host: String, message: String },
    #[error("no iDRAC host with active firmware in the fleet: a Dell catalog needs `--profile idrac` or `mixed`")]
    NoDellHosts,
    #[error("host {host}, component {component}: {message}")]
    Version {
        host: String,
        component: String,
        message: String,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

#[derive(Debug, Deserialize)]
struct HostState {
    #[serde(default)]
    name: Option<String>,
    persona: String,
    model: String,
    components: Vec<ComponentState>,
}

#[derive(Debug, Deserialize)]
struct ComponentState {
    key: String,
    kind: Kind,
    role: Role,
    name: String,
    version: String,
    version_style: VersionStyle,
}

/// The newest version of one (model, component key) in the fleet.
struct Group {
    kind: Kind,
    name: String,
    style: VersionStyle,
    newest: String,
    host: String,
}

/// What one package is made of, before its file exists.
struct Planned {
    pkg: DellPackage,
    name: String,
    models: Vec<String>,
}

/// Writes `Catalog.xml` and its packages for the iDRAC hosts among
/// `states` (each what `GET /mock/state` answers) into `out_dir`: per
/// (model, component) one package newer than the fleet's newest, by `bump`,
/// with a `size`-byte payload, and the decoys. Same input, same catalog.
pub fn make_dell_catalog(
    states: &[Value],
    out_dir: &Path,
    bump: Bump,
    size: u64,
) -> Result<Vec<DellPackage>, DellCatalogError> {
    let planned = plan(states, bump)?;
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DellCatalogError::Write { path, source }
    };
    let mut entries = String::new();
    let mut out = Vec::with_capacity(planned.len());
    for p in planned {
        let file = out_dir.join(&p.pkg.path);
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(write_err(dir))?;
        }
        // The package names its device, as a DUP does: iDRAC applies it to
        // that device only (two NICs, one package each).
        let device = match (&p.pkg.pci, p.pkg.component_id.as_str()) {
            (Some(pci), "0") => pci.clone(),
            (_, cid) => cid.to_string(),
        };
        ImageBuilder::new(p.pkg.component, p.pkg.version.clone())
            .models(p.models.iter().cloned())
            .devices([device])
            .payload_size(size)
            .write_file(&file)
            .map_err(write_err(&file))?;
        let (md5, sha256, len) = digests(&file).map_err(write_err(&file))?;
        entries.push_str(&component_xml(&p, &md5, &sha256, len));
        out.push(p.pkg);
    }
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<Manifest baseLocation=\"downloads.dell.com\" baseLocationAccessProtocols=\"HTTPS\" dateTime=\"2025-04-28T01:46:12+05:30\" identifier=\"6f8b1b6e-mock-bmc\" releaseID=\"MOCK1\" version=\"25.04.28\" predecessorID=\"\">\r\n{entries}</Manifest>\r\n"
    );
    let path = out_dir.join(CATALOG_XML);
    std::fs::create_dir_all(out_dir).map_err(write_err(out_dir))?;
    // UTF-16LE with a byte order mark, as Dell ships Catalog.xml.
    let mut bytes = vec![0xFF, 0xFE];
    for unit in xml.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    std::fs::write(&path, bytes).map_err(write_err(&path))?;
    Ok(out)
}

fn plan(states: &[Value], bump: Bump) -> Result<Vec<Planned>, DellCatalogError> {
    let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
    for (i, state) in states.iter().enumerate() {
        let fallback = format!("#{}", i + 1);
        let hs: HostState =
            serde_json::from_value(state.clone()).map_err(|e| DellCatalogError::State {
                host: state
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(&fallback)
                    .to_string(),
                message: e.to_string(),
            })?;
        if hs.persona != "idrac" {
            continue;
        }
        let host = hs.name.clone().unwrap_or_else(|| fallback.clone());
        for c in hs.components.into_iter().filter(|c| c.role == Role::Active) {
            let key = (hs.model.clone(), c.key.clone());
            match groups.get_mut(&key) {
                Some(g) => {
                    if g.style.compare(&c.version, &g.newest) == Some(std::cmp::Ordering::Greater) {
                        g.newest = c.version;
                        g.host = host.clone();
                    }
                }
                None => {
                    groups.insert(
                        key,
                        Group {
                            kind: c.kind,
                            name: c.name,
                            style: c.version_style,
                            newest: c.version,
                            host: host.clone(),
                        },
                    );
                }
            }
        }
    }
    if groups.is_empty() {
        return Err(DellCatalogError::NoDellHosts);
    }
    let mut out = Vec::new();
    for ((model, key), g) in groups {
        let successor = |v: &str| {
            g.style
                .successor(v, bump)
                .map_err(|e| DellCatalogError::Version {
                    host: g.host.clone(),
                    component: key.clone(),
                    message: e.to_string(),
                })
        };
        let version = successor(&g.newest)?;
        let (cid, _) = dell_ids(&key);
        let pci = dell_pci(&key).map(str::to_string);
        let Some(system) = dell_system_id(&model) else {
            continue;
        };
        let short = model.trim_start_matches("PowerEdge ").to_string();
        let package = |version: &str, system: u32, model: &str, cid: &str, ext: &str| {
            let id = package_id(&[&key, model, version, cid, ext, &short]);
            DellPackage {
                path: format!(
                    "FOLDER{:08}M/1/{}_{}_{}_{}_A00.{ext}",
                    folder_number(&id),
                    kind_word(g.kind),
                    id,
                    if ext == "EXE" { "WN64" } else { "LN64" },
                    version
                ),
                package_id: id,
                component: g.kind,
                version: version.to_string(),
                component_id: cid.to_string(),
                pci: pci.clone(),
                system_id: format!("{system:04X}"),
                model: model.to_string(),
                decoy: None,
            }
        };
        out.push(Planned {
            pkg: package(&version, system, &short, cid, "EXE"),
            name: g.name.clone(),
            models: vec![model.clone()],
        });
        // The same device on a system the fleet does not have, newer still.
        let higher = successor(&version)?;
        let mut other = package(&higher, DECOY_SYSTEM.0, DECOY_SYSTEM.1, cid, "EXE");
        other.decoy = Some(format!("for the {} only", DECOY_SYSTEM.1));
        out.push(Planned {
            pkg: other,
            name: g.name.clone(),
            models: vec![format!("PowerEdge {}", DECOY_SYSTEM.1)],
        });
        match g.kind {
            Kind::Bios => {
                // The Linux package of the same update: iDRAC refuses it.
                let mut bin = package(&version, system, &short, cid, "BIN");
                bin.decoy = Some("a Linux .BIN, which iDRAC refuses over Redfish".into());
                out.push(Planned {
                    pkg: bin,
                    name: g.name.clone(),
                    models: vec![model.clone()],
                });
            }
            Kind::Nic if cid != "0" => {
                // Another card under the same display name: never matched by name.
                let mut alike = package(&higher, system, &short, "999001", "EXE");
                alike.pci = None;
                alike.decoy = Some("another ComponentID under the same name".into());
                out.push(Planned {
                    pkg: alike,
                    name: g.name.clone(),
                    models: vec![model.clone()],
                });
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Dell names packages by their category (`BIOS_…`, `Network_Firmware_…`).
fn kind_word(kind: Kind) -> &'static str {
    match kind {
        Kind::Bios => "BIOS",
        Kind::Bmc => "iDRAC-with-Lifecycle-Controller_Firmware",
        Kind::Cpld => "CPLD_Firmware",
        Kind::Nic => "Network_Firmware",
        Kind::Storage => "SAS-RAID_Firmware",
        Kind::Drive => "SAS-Drive_Firmware",
        Kind::Psu => "Power_Firmware",
        Kind::Other => "Firmware",
    }
}

/// A five-character package ID (`0J9WN`-like), derived from what the
/// package is, so the same fleet always gives the same catalog.
fn package_id(parts: &[&str]) -> String {
    const ALPHABET: &[u8] = b"0123456789BCDFGHJKMNPRTVWXY";
    let mut h = sha2::Sha256::new();
    for p in parts {
        sha2::Digest::update(&mut h, p.as_bytes());
        sha2::Digest::update(&mut h, [0]);
    }
    let d = sha2::Digest::finalize(h);
    d.iter()
        .take(5)
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

fn folder_number(id: &str) -> u32 {
    id.bytes().fold(11_000_000u32, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(u32::from(b))
    }) % 90_000_000
        + 10_000_000
}

/// MD5 and SHA-256 (lower-case hex) and size of a written file.
fn digests(path: &Path) -> io::Result<(String, String, u64)> {
    let mut f = std::fs::File::open(path)?;
    let mut md5 = md5::Md5::new();
    let mut sha = sha2::Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut len = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
        sha2::Digest::update(&mut sha, &buf[..n]);
        len += n as u64;
    }
    Ok((
        hex::encode(md5.finalize()),
        hex::encode(sha2::Digest::finalize(sha)),
        len,
    ))
}

fn component_xml(p: &Planned, md5: &str, sha256: &str, size: u64) -> String {
    let pkg = &p.pkg;
    let (ctype, cdisplay) = match pkg.component {
        Kind::Bios => ("BIOS", "BIOS"),
        _ => ("FRMW", "Firmware"),
    };
    // iDRAC updates are Urgent in the mock's catalog, the rest Recommended
    // (Dell's values: 0 Optional, 1 Recommended, 2 Urgent).
    let (crit_value, crit) = match pkg.component {
        Kind::Bmc => ("2", "Urgent"),
        _ => ("1", "Recommended"),
    };
    let reboot = matches!(
        pkg.component,
        Kind::Bios | Kind::Cpld | Kind::Nic | Kind::Storage
    );
    let package_type = if pkg.path.ends_with(".EXE") {
        "LW64"
    } else {
        "LLXP"
    };
    let pci = pkg
        .pci
        .as_deref()
        .map(|p| {
            let ids: Vec<&str> = p.split(':').collect();
            format!(
                "        <PCIInfo deviceID=\"{}\" subDeviceID=\"{}\" subVendorID=\"{}\" vendorID=\"{}\" />\r\n",
                ids.get(1).unwrap_or(&""),
                ids.get(3).unwrap_or(&""),
                ids.get(2).unwrap_or(&""),
                ids.first().unwrap_or(&"")
            )
        })
        .unwrap_or_default();
    let name = xml_text(&p.name);
    format!(
        "  <SoftwareComponent dateTime=\"2025-04-20T08:00:00+05:30\" dellVersion=\"A00\" hashMD5=\"{md5}\" packageID=\"{id}\" packageType=\"{package_type}\" path=\"{path}\" rebootRequired=\"{reboot}\" releaseDate=\"April 20, 2025\" releaseID=\"{id}\" schemaVersion=\"3.0\" size=\"{size}\" vendorVersion=\"{version}\">\r\n\
    <Name><Display lang=\"en\"><![CDATA[{name} Firmware Version {version}]]></Display></Name>\r\n\
    <ComponentType value=\"{ctype}\"><Display lang=\"en\"><![CDATA[{cdisplay}]]></Display></ComponentType>\r\n\
    <SupportedDevices>\r\n\
      <Device componentID=\"{cid}\" embedded=\"1\">\r\n\
        <Display lang=\"en\"><![CDATA[{name}]]></Display>\r\n\
{pci}      </Device>\r\n\
    </SupportedDevices>\r\n\
    <SupportedSystems>\r\n\
      <Brand key=\"3\" prefix=\"PE\">\r\n\
        <Display lang=\"en\"><![CDATA[PowerEdge]]></Display>\r\n\
        <Model systemID=\"{sys}\" systemIDType=\"BIOS\"><Display lang=\"en\"><![CDATA[{model}]]></Display></Model>\r\n\
      </Brand>\r\n\
    </SupportedSystems>\r\n\
    <Criticality value=\"{crit_value}\"><Display lang=\"en\"><![CDATA[{crit}]]></Display></Criticality>\r\n\
    <Cryptography><Hash algorithm=\"SHA256\">{sha256}</Hash></Cryptography>\r\n\
  </SoftwareComponent>\r\n",
        id = pkg.package_id,
        path = pkg.path,
        version = pkg.version,
        cid = pkg.component_id,
        sys = pkg.system_id,
        model = pkg.model,
    )
}

/// Text safe inside CDATA (the mock's names never contain `]]>`, but a
/// catalog must stay well-formed whatever a persona file says).
fn xml_text(s: &str) -> String {
    s.replace("]]>", "]]&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_ids_are_stable_and_dell_shaped() {
        let a = package_id(&["bios", "R650", "2.20.2", "159", "EXE"]);
        assert_eq!(a, package_id(&["bios", "R650", "2.20.2", "159", "EXE"]));
        assert_eq!(a.len(), 5);
        assert_ne!(a, package_id(&["bios", "R650", "2.20.3", "159", "EXE"]));
        let n = folder_number(&a);
        assert!((10_000_000..100_000_000).contains(&n));
    }
}
