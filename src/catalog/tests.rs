//! Catalog tests on small catalogs written here in Dell's format (UTF-16
//! with a BOM as Dell ships it, gzip, a default namespace as newer
//! catalogs declare), with decoy entries for other systems.

use super::dell::{self, DeviceFacts, HostFacts};
use super::import::{import_dell, ImportOptions};
use super::mirror::Mirror;
use crate::inventory::model::Kind;
use crate::inventory::pci::PciIds;
use crate::repository::{Criticality, HashKind, Repository};
use md5::Digest as _;
use std::io::Write;
use std::path::Path;

/// One `SoftwareComponent`. `systems` are `(systemID hex, model)`,
/// `devices` `(componentID, Some(pci))`.
struct Pkg<'a> {
    path: &'a str,
    version: &'a str,
    kind: &'a str,
    package_type: &'a str,
    systems: &'a [(&'a str, &'a str)],
    devices: &'a [(&'a str, Option<&'a str>)],
    md5: String,
    sha256: Option<String>,
    size: usize,
    criticality: &'a str,
}

fn pkg<'a>(path: &'a str, version: &'a str, bytes: &[u8]) -> Pkg<'a> {
    Pkg {
        path,
        version,
        kind: "FRMW",
        package_type: "LW64",
        systems: &[("0716", "R740xd")],
        devices: &[("159", None)],
        md5: hex::encode(md5::Md5::digest(bytes)),
        sha256: None,
        size: bytes.len(),
        criticality: "Recommended",
    }
}

fn component_xml(p: &Pkg<'_>) -> String {
    let mut devices = String::new();
    for (id, pci) in p.devices {
        let pci = match pci {
            Some(s) => {
                let v: Vec<&str> = s.split(':').collect();
                format!(
                    r#"<PCIInfo deviceID="{}" subDeviceID="{}" subVendorID="{}" vendorID="{}" />"#,
                    v[1], v[3], v[2], v[0]
                )
            }
            None => String::new(),
        };
        devices.push_str(&format!(
            r#"<Device componentID="{id}" embedded="0">{pci}<Display lang="en"><![CDATA[Device {id}]]></Display></Device>"#
        ));
    }
    let mut systems = String::new();
    for (id, model) in p.systems {
        systems.push_str(&format!(
            r#"<Model systemID="{id}" systemIDType="BIOS"><Display lang="en"><![CDATA[{model}]]></Display></Model>"#
        ));
    }
    let crypto = p
        .sha256
        .as_ref()
        .map(|h| format!(r#"<Cryptography><Hash algorithm="MD5">{}</Hash><Hash algorithm="SHA256">{h}</Hash></Cryptography>"#, p.md5))
        .unwrap_or_default();
    format!(
        r#"
  <SoftwareComponent dateTime="2024-05-27T08:45:23+05:30" dellVersion="A00" hashMD5="{md5}" packageID="X{v}" packageType="{pt}" path="{path}" rebootRequired="true" releaseDate="May 27, 2024" releaseID="X" schemaVersion="2.4" size="{size}" vendorVersion="{v}">
    <Name><Display lang="en">Package {v} &amp; friends</Display><Display lang="fr"><![CDATA[Paquet]]></Display></Name>
    <ComponentType value="{kind}"><Display lang="en"><![CDATA[x]]></Display></ComponentType>
    <SupportedDevices>{devices}</SupportedDevices>
    <SupportedSystems><Brand key="3" prefix="PE"><Display lang="en"><![CDATA[PowerEdge]]></Display>{systems}</Brand></SupportedSystems>
    <Criticality value="1"><Display lang="en"><![CDATA[{crit}]]></Display></Criticality>
    {crypto}
  </SoftwareComponent>"#,
        md5 = p.md5,
        v = p.version,
        pt = p.package_type,
        path = p.path,
        size = p.size,
        kind = p.kind,
        crit = p.criticality,
    )
}

fn catalog_xml(version: &str, pkgs: &[Pkg<'_>]) -> String {
    let body: String = pkgs.iter().map(component_xml).collect();
    format!(
        r#"<?xml version="1.0" encoding="utf-16"?>
<Manifest xmlns="openmanage/cm/dm" baseLocation="downloads.dell.com" releaseID="RHDC6" version="{version}" dateTime="2025-04-22T01:46:12+05:30">
  <InventoryComponent path="FOLDER1/invcol.exe" />{body}
</Manifest>"#
    )
}

fn utf16_bom(s: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    v.extend(s.encode_utf16().flat_map(|u| u.to_le_bytes()));
    v
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn read(bytes: Vec<u8>) -> dell::DellCatalog {
    dell::read_catalog(std::io::Cursor::new(bytes), Path::new("Catalog.xml")).unwrap()
}

/// A Dell R740xd (SystemID 1814 = 0x0716) with a BIOS, a NIC Dell keys by
/// PCI IDs (ComponentID 0) and a drive.
fn r740xd(name: &str) -> HostFacts {
    HostFacts {
        name: name.into(),
        manufacturer: Some("Dell Inc.".into()),
        model: Some("PowerEdge R740xd".into()),
        dell_system_id: Some(1814),
        devices: vec![
            DeviceFacts {
                identity: "dell:159".into(),
                kind: Kind::Bios,
                software_id: Some("159".into()),
                pci: None,
                version: Some("2.10.0".into()),
            },
            DeviceFacts {
                identity: "dell:0:NIC.Embedded.1-1-1".into(),
                kind: Kind::Nic,
                software_id: Some("0".into()),
                pci: Some("14E4:165F:1028:08FF".parse().unwrap()),
                version: Some("21.80.9".into()),
            },
        ],
    }
}

#[test]
fn a_utf16_catalog_with_a_bom_and_a_namespace_reads_every_field() {
    let mut p = pkg("FOLDER1/1/BIOS_ABCDE_WN64_2.19.1.EXE", "2.19.1", b"bios");
    p.sha256 = Some("ab".repeat(32));
    p.criticality = "Urgent";
    p.devices = &[("159", None), ("0", Some("14E4:165F:1028:08FF"))];
    p.systems = &[("0716", "R740xd"), ("0a6b", "R760")];
    let c = read(utf16_bom(&catalog_xml("25.04.28", &[p])));
    assert_eq!(c.base_location.as_deref(), Some("downloads.dell.com"));
    assert_eq!(
        (c.version.as_deref(), c.release_id.as_deref()),
        (Some("25.04.28"), Some("RHDC6"))
    );
    assert_eq!(c.components.len(), 1, "{:?}", c.problems);
    let s = &c.components[0];
    assert_eq!(s.path, "FOLDER1/1/BIOS_ABCDE_WN64_2.19.1.EXE");
    assert_eq!(s.file_name(), "BIOS_ABCDE_WN64_2.19.1.EXE");
    assert_eq!(
        (s.vendor_version.as_str(), s.dell_version.as_deref()),
        ("2.19.1", Some("A00"))
    );
    assert_eq!(
        s.hash_md5.as_deref(),
        Some(hex::encode(md5::Md5::digest(b"bios")).as_str())
    );
    assert_eq!(s.sha256.as_deref(), Some("ab".repeat(32).as_str()));
    assert_eq!(s.size, Some(4));
    assert_eq!(s.release_date_iso().as_deref(), Some("2024-05-27"));
    assert_eq!(s.reboot_required, Some(true));
    assert_eq!(s.component_type.as_deref(), Some("FRMW"));
    assert_eq!(s.package_type.as_deref(), Some("LW64"));
    assert_eq!(s.criticality, Some(Criticality::Urgent));
    assert_eq!(s.name.as_deref(), Some("Package 2.19.1 & friends"));
    assert_eq!(s.devices.len(), 2);
    assert_eq!(s.devices[1].component_id, "0");
    assert_eq!(
        s.devices[1].pci,
        vec!["14E4:165F:1028:08FF".parse::<PciIds>().unwrap()]
    );
    assert_eq!(s.systems[0].system_id, "0716");
    assert_eq!(s.systems[0].system_id_value, 1814);
    assert_eq!(s.systems[1].system_id, "0A6B");
    assert_eq!(s.systems[0].model.as_deref(), Some("R740xd"));
    assert_eq!(s.systems[0].brand.as_deref(), Some("PowerEdge"));
}

#[test]
fn a_gzip_catalog_reads_the_same_as_the_plain_one() {
    let xml = catalog_xml(
        "1",
        &[pkg("F/a.EXE", "1.0", b"a"), pkg("F/b.EXE", "2.0", b"b")],
    );
    let plain = read(xml.clone().into_bytes());
    assert_eq!(read(gzip(&utf16_bom(&xml))), plain);
    assert_eq!(read(gzip(xml.as_bytes())), plain);
    assert_eq!(plain.components.len(), 2);
}

#[test]
fn broken_catalogs_are_errors_that_name_the_file() {
    let not_dell = dell::read_catalog(
        std::io::Cursor::new(b"<Something/>".to_vec()),
        Path::new("/tmp/x.xml"),
    )
    .unwrap_err();
    assert!(not_dell.to_string().contains("/tmp/x.xml"), "{not_dell}");
    assert!(
        not_dell.to_string().contains("not a Dell catalog"),
        "{not_dell}"
    );
    let xml = catalog_xml("1", &[pkg("F/a.EXE", "1.0", b"a")]);
    let cut = &xml[..xml.len() / 2];
    let broken = format!("{cut}<<<");
    let err = dell::read_catalog(
        std::io::Cursor::new(broken.into_bytes()),
        Path::new("c.xml"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("c.xml"), "{err}");
    // An entry without vendorVersion is skipped and reported, the rest read.
    let bad = xml.replace("vendorVersion=\"1.0\"", "");
    let c = read(bad.into_bytes());
    assert!(c.components.is_empty());
    assert!(c.problems[0].contains("vendorVersion"), "{:?}", c.problems);
}

#[test]
fn systems_by_system_id_devices_by_component_id_and_pci_ids_decoys_ignored() {
    let bios = pkg("F1/BIOS_R740XD_2.19.1.EXE", "2.19.1", b"bios");
    let older = pkg("F0/BIOS_R740XD_2.18.0.EXE", "2.18.0", b"old bios");
    // Decoys: the same ComponentID for another system, and a system that
    // shares the model name but not the SystemID.
    let mut decoy = pkg("F2/BIOS_R760_1.5.0.EXE", "1.5.0", b"r760 bios");
    decoy.systems = &[("0A6B", "R760")];
    let mut same_name = pkg("F3/BIOS_OTHER_9.9.9.EXE", "9.9.9", b"x");
    same_name.systems = &[("0999", "R740xd")];
    // The NIC: ComponentID 0 in the inventory, matched by all four PCI IDs.
    let mut nic = pkg("F4/Network_Firmware_22.00.6.EXE", "22.00.6", b"nic");
    nic.devices = &[("108255", Some("14E4:165F:1028:08FF"))];
    // The same NIC chip under another subsystem: not ours.
    let mut nic_retail = pkg("F5/Network_Firmware_Retail.EXE", "30.0.0", b"r");
    nic_retail.devices = &[("0", Some("14E4:165F:14E4:165F"))];
    // The Linux package of the BIOS: refused.
    let mut linux = pkg("F6/BIOS_R740XD_2.19.1.BIN", "2.19.1", b"bin");
    linux.package_type = "LLXP";
    let c = read(
        catalog_xml(
            "1",
            &[bios, older, decoy, same_name, nic, nic_retail, linux],
        )
        .into_bytes(),
    );
    let mut unnamed = r740xd("no-id");
    unnamed.dell_system_id = None;
    let mut wrong_model = r740xd("wrong-model");
    wrong_model.model = Some("PowerEdge R640".into());
    let choice = dell::choose(
        &c,
        &[r740xd("r740xd-1"), r740xd("r740xd-2"), unnamed, wrong_model],
    );

    let paths: Vec<&str> = choice
        .chosen
        .iter()
        .map(|p| p.component.path.as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "F1/BIOS_R740XD_2.19.1.EXE",
            "F4/Network_Firmware_22.00.6.EXE"
        ]
    );
    let bios = &choice.chosen[0];
    assert_eq!(bios.kind, Kind::Bios);
    assert_eq!(bios.targets.len(), 2);
    assert_eq!(bios.models.iter().collect::<Vec<_>>(), ["PowerEdge R740xd"]);
    assert_eq!(bios.system_ids.iter().collect::<Vec<_>>(), ["0716"]);
    assert_eq!(bios.software_ids(), ["159"]);
    let nic = &choice.chosen[1];
    assert_eq!(nic.kind, Kind::Nic);
    assert_eq!(
        nic.pci_ids(),
        vec!["14E4:165F:1028:08FF".parse::<PciIds>().unwrap()]
    );
    assert_eq!(choice.refused.len(), 1);
    assert!(
        choice.refused[0].reason.contains(".BIN"),
        "{:?}",
        choice.refused
    );
    // decoy, same_name and nic_retail fit no host.
    assert_eq!(choice.not_needed, 3);
    assert_eq!(choice.hosts_without_system_id, ["no-id"]);
    assert_eq!(choice.model_mismatches.len(), 1);
    assert!(
        choice.model_mismatches[0].contains("wrong-model"),
        "{:?}",
        choice.model_mismatches
    );
}

#[test]
fn the_package_types_idrac_takes_are_windows_dups_only() {
    let mut p = dell::SoftwareComponent {
        path: "F/BIOS_X.EXE".into(),
        package_type: Some("LW64".into()),
        ..Default::default()
    };
    assert!(dell::package_accepted_by_idrac(&p).is_ok());
    p.package_type = Some("LWXP".into());
    assert!(dell::package_accepted_by_idrac(&p).is_ok());
    p.package_type = Some("LLXP".into());
    assert!(dell::package_accepted_by_idrac(&p).is_err());
    p.path = "F/x.BIN".into();
    p.package_type = None;
    assert!(dell::package_accepted_by_idrac(&p)
        .unwrap_err()
        .contains(".BIN"));
    p.path = "F/x.efi".into();
    assert!(dell::package_accepted_by_idrac(&p).is_err());
}

struct Mirrored {
    _root: tempfile::TempDir,
    mirror: std::path::PathBuf,
    repo: std::path::PathBuf,
    staging: std::path::PathBuf,
}

impl Mirrored {
    fn new() -> Mirrored {
        let root = tempfile::tempdir().unwrap();
        let mirror = root.path().join("mirror");
        std::fs::create_dir_all(&mirror).unwrap();
        Mirrored {
            mirror,
            repo: root.path().join("repo"),
            staging: root.path().join("staging"),
            _root: root,
        }
    }

    fn put(&self, rel: &str, bytes: &[u8]) {
        let p = self.mirror.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

async fn run_import(
    m: &Mirrored,
    xml: &str,
    hosts: &[HostFacts],
    dry_run: bool,
) -> super::import::ImportReport {
    let catalog = read(gzip(&utf16_bom(xml)));
    let mut repo = Repository::create_or_open(&m.repo).unwrap();
    let mirror = Mirror::Dir(m.mirror.clone());
    let opts = ImportOptions {
        label: "Catalog.xml.gz".into(),
        mirror: &mirror,
        staging: &m.staging,
        dry_run,
        progress: false,
    };
    import_dell(&mut repo, &catalog, hosts, &opts).await
}

#[tokio::test]
async fn import_adds_verified_packages_and_a_newer_catalog_says_what_it_replaced() {
    let m = Mirrored::new();
    m.put("F1/BIOS_2.18.0.EXE", b"bios 2.18.0");
    m.put("F4/NIC_22.00.6.EXE", b"nic");
    let bios = pkg("F1/BIOS_2.18.0.EXE", "2.18.0", b"bios 2.18.0");
    let mut nic = pkg("F4/NIC_22.00.6.EXE", "22.00.6", b"nic");
    nic.devices = &[("0", Some("14E4:165F:1028:08FF"))];
    nic.sha256 = Some(hex::encode(sha2::Sha256::digest(b"nic")));
    let hosts = [r740xd("a"), r740xd("b")];

    let dry = run_import(&m, &catalog_xml("1", &[bios, nic]), &hosts, true).await;
    assert_eq!(
        dry.packages.iter().map(|p| p.status).collect::<Vec<_>>(),
        ["would-add", "would-add"]
    );
    assert!(Repository::open(&m.repo).unwrap().list().is_empty());

    let bios = pkg("F1/BIOS_2.18.0.EXE", "2.18.0", b"bios 2.18.0");
    let mut nic = pkg("F4/NIC_22.00.6.EXE", "22.00.6", b"nic");
    nic.devices = &[("0", Some("14E4:165F:1028:08FF"))];
    nic.sha256 = Some(hex::encode(sha2::Sha256::digest(b"nic")));
    let first = run_import(&m, &catalog_xml("1", &[bios, nic]), &hosts, false).await;
    assert_eq!(first.failed(), 0, "{}", first.render_text());
    assert_eq!(first.packages[0].verified_with, Some("md5"));
    assert_eq!(first.packages[1].verified_with, Some("sha256"));
    let repo = Repository::open(&m.repo).unwrap();
    let e = repo
        .list()
        .iter()
        .find(|e| e.file == "BIOS_2.18.0.EXE")
        .unwrap();
    assert_eq!(e.kind, Kind::Bios);
    assert_eq!(e.software_ids, ["159"]);
    assert_eq!(e.system_ids, ["0716"]);
    assert_eq!(e.models, ["PowerEdge R740xd"]);
    assert_eq!(e.vendor_hash_kind, Some(HashKind::Md5));
    assert_eq!(e.criticality, Some(Criticality::Recommended));
    assert_eq!(e.reboot_required, Some(true));
    assert_eq!(e.release_date.as_deref(), Some("2024-05-27"));
    assert!(
        e.source.as_deref().unwrap().contains("Catalog.xml.gz"),
        "{:?}",
        e.source
    );
    let n = repo
        .list()
        .iter()
        .find(|e| e.file == "NIC_22.00.6.EXE")
        .unwrap();
    assert_eq!(
        (n.kind, n.vendor_hash_kind),
        (Kind::Nic, Some(HashKind::Sha256))
    );
    assert!(n.software_ids.is_empty());
    assert_eq!(n.pci_ids.len(), 1);

    // A newer catalog: the BIOS moved on, the NIC did not.
    m.put("F9/BIOS_2.19.1.EXE", b"bios 2.19.1");
    let mut newer = pkg("F9/BIOS_2.19.1.EXE", "2.19.1", b"bios 2.19.1");
    newer.criticality = "Urgent";
    let mut nic = pkg("F4/NIC_22.00.6.EXE", "22.00.6", b"nic");
    nic.devices = &[("0", Some("14E4:165F:1028:08FF"))];
    nic.sha256 = Some(hex::encode(sha2::Sha256::digest(b"nic")));
    let second = run_import(&m, &catalog_xml("2", &[newer, nic]), &hosts, false).await;
    let text = second.render_text();
    assert_eq!(second.failed(), 0, "{text}");
    let b = second
        .packages
        .iter()
        .find(|p| p.file == "BIOS_2.19.1.EXE")
        .unwrap();
    assert_eq!(b.status, "added");
    assert_eq!(b.replaces, ["BIOS_2.18.0.EXE (2.18.0)"]);
    assert_eq!(b.criticality.as_deref(), Some("urgent"));
    assert!(text.contains("replaces BIOS_2.18.0.EXE (2.18.0)"), "{text}");
    let nic = second
        .packages
        .iter()
        .find(|p| p.file == "NIC_22.00.6.EXE")
        .unwrap();
    assert_eq!(nic.status, "unchanged");
    // The older image stays, as the planner's fallback.
    assert_eq!(Repository::open(&m.repo).unwrap().list().len(), 3);
}

#[tokio::test]
async fn a_hash_mismatch_is_refused_naming_the_package_and_nothing_is_added() {
    let m = Mirrored::new();
    m.put("F1/BIOS_2.19.1.EXE", b"tampered bytes");
    let p = pkg("F1/BIOS_2.19.1.EXE", "2.19.1", b"bios 2.19.1");
    let r = run_import(&m, &catalog_xml("1", &[p]), &[r740xd("a")], false).await;
    assert_eq!(r.failed(), 1);
    let err = r.packages[0].error.as_deref().unwrap();
    assert!(err.contains("F1/BIOS_2.19.1.EXE"), "{err}");
    assert!(err.contains("more than the 11 bytes"), "{err}");
    assert!(Repository::open(&m.repo).unwrap().list().is_empty());

    // Same size, other bytes: the digest itself is what refuses it.
    m.put("F1/BIOS_2.19.1.EXE", b"bios 2.19.X");
    let p = pkg("F1/BIOS_2.19.1.EXE", "2.19.1", b"bios 2.19.1");
    let r = run_import(&m, &catalog_xml("1", &[p]), &[r740xd("a")], false).await;
    let err = r.packages[0].error.as_deref().unwrap();
    assert!(
        err.contains("md5") && err.contains("does not match"),
        "{err}"
    );
    assert!(Repository::open(&m.repo).unwrap().list().is_empty());

    // Missing from the mirror: named, with what to do.
    let p = pkg("F7/GONE.EXE", "2.19.1", b"gone");
    let r = run_import(&m, &catalog_xml("1", &[p]), &[r740xd("a")], false).await;
    let err = r.packages[0].error.as_deref().unwrap();
    assert!(
        err.contains("F7/GONE.EXE") && err.contains("not in the mirror"),
        "{err}"
    );
}

/// An HTTP mirror on 127.0.0.1 that honours `Range` and records what was
/// asked, so a resumed download can be told from a fresh one.
async fn http_mirror(
    files: Vec<(&'static str, Vec<u8>)>,
) -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<Option<String>>>>,
) {
    use axum::extract::{Path as AxPath, State};
    use axum::http::{HeaderMap, StatusCode};
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    type Seen = Arc<Mutex<Vec<Option<String>>>>;
    type Files = Arc<HashMap<String, Vec<u8>>>;
    let seen: Seen = Arc::default();
    let files: Files = Arc::new(files.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
    let app = axum::Router::new()
        .route(
            "/dell/{*path}",
            axum::routing::get(
                |State((files, seen)): State<(Files, Seen)>,
                 AxPath(path): AxPath<String>,
                 headers: HeaderMap| async move {
                    let range = headers
                        .get("range")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    seen.lock().unwrap().push(range.clone());
                    let Some(body) = files.get(&path) else {
                        return (StatusCode::NOT_FOUND, HeaderMap::new(), Vec::new());
                    };
                    let from = range
                        .as_deref()
                        .and_then(|r| r.strip_prefix("bytes="))
                        .and_then(|r| r.strip_suffix('-'))
                        .and_then(|n| n.parse::<usize>().ok());
                    match from {
                        Some(n) if n < body.len() => {
                            let mut h = HeaderMap::new();
                            h.insert(
                                "content-range",
                                format!("bytes {n}-{}/{}", body.len() - 1, body.len())
                                    .parse()
                                    .unwrap(),
                            );
                            (StatusCode::PARTIAL_CONTENT, h, body[n..].to_vec())
                        }
                        _ => (StatusCode::OK, HeaderMap::new(), body.clone()),
                    }
                },
            ),
        )
        .with_state((files, seen.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}/dell"), seen)
}

#[tokio::test]
async fn an_http_mirror_download_resumes_with_range_and_is_verified_whole() {
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let (url, seen) = http_mirror(vec![("F1/BIOS_2.19.1.EXE", body.clone())]).await;
    let root = tempfile::tempdir().unwrap();
    let staging = root.path().join("staging");
    std::fs::create_dir_all(&staging).unwrap();
    // An earlier run stopped after 70,000 bytes.
    std::fs::write(staging.join("BIOS_2.19.1.EXE.part"), &body[..70_000]).unwrap();
    let mirror = Mirror::parse(&url).unwrap();
    let got = super::mirror::fetch(
        &mirror,
        &super::mirror::client(),
        "F1/BIOS_2.19.1.EXE",
        &staging,
        Some(body.len() as u64),
        &indicatif::ProgressBar::hidden(),
    )
    .await
    .unwrap();
    assert!(got.resumed);
    assert_eq!(got.transferred, 130_000);
    assert_eq!(got.size, 200_000);
    assert_eq!(got.sha256, hex::encode(sha2::Sha256::digest(&body)));
    assert_eq!(std::fs::read(&got.file).unwrap(), body);
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        [Some("bytes=70000-".to_owned())]
    );

    // A file larger than the catalog says is cut off, not kept.
    let err = super::mirror::fetch(
        &mirror,
        &super::mirror::client(),
        "F1/BIOS_2.19.1.EXE",
        &root.path().join("other"),
        Some(1000),
        &indicatif::ProgressBar::hidden(),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("more than the 1000 bytes"),
        "{err}"
    );
    let missing = super::mirror::fetch(
        &mirror,
        &super::mirror::client(),
        "F2/NONE.EXE",
        &staging,
        None,
        &indicatif::ProgressBar::hidden(),
    )
    .await
    .unwrap_err();
    assert!(
        missing.to_string().contains("F2/NONE.EXE")
            && missing.to_string().contains("not in the mirror"),
        "{missing}"
    );
}

#[test]
fn an_hpe_fwpkg_says_its_kind_version_applicability_and_who_can_apply_it() {
    let dir = tempfile::tempdir().unwrap();
    let nic = dir.path().join("bcm237.1.148000.fwpkg");
    super::hpe::write_fwpkg(
        &nic,
        r#"{"PackageFormat": "FWPKG-v2", "Type": "Firmware", "UpdatableBy": ["Bmc"],
            "Devices": {"Device": [{"DeviceName": "HPE Broadcom NetXtreme-E adapters",
              "Target": "a6b1a447-382a-5a4f-14e4-16d815900212", "Version": "237.1.148000",
              "FirmwareImages": [{"FileName": "bcm.HPb", "DirectFlashOk": true, "ResetRequired": true}]}]}}"#,
    );
    let pkg = super::hpe::read_fwpkg(&nic).unwrap();
    let inf = super::hpe::infer(&pkg);
    assert_eq!(inf.kind, Ok(Kind::Nic));
    assert_eq!(inf.version.as_deref(), Ok("237.1.148000"));
    assert_eq!(inf.manufacturers, ["HPE", "HP"]);
    assert_eq!(
        inf.match_regex.as_deref(),
        Some(r"^(?:HPE Broadcom NetXtreme\-E adapters)$")
    );
    assert_eq!(inf.needs_vendor_tool, None);
    assert_eq!(inf.reboot_required, Some(true));
    assert!(!inf.needs_model);
    assert!(inf.notes.contains("a6b1a447"), "{}", inf.notes);

    let rom = dir.path().join("U46_2.72.fwpkg");
    super::hpe::write_fwpkg(
        &rom,
        r#"{"UpdatableBy": ["Uefi", "RuntimeAgent"],
            "Devices": {"Device": [{"DeviceName": "System ROM", "Version": "2.72_03-10-2023"}]}}"#,
    );
    let inf = super::hpe::infer(&super::hpe::read_fwpkg(&rom).unwrap());
    assert_eq!(inf.kind, Ok(Kind::Bios));
    assert!(inf.needs_model, "a System ROM is per ROM family");
    assert!(inf
        .needs_vendor_tool
        .as_deref()
        .unwrap()
        .contains("Uefi, RuntimeAgent"));

    let not_zip = dir.path().join("x.fwpkg");
    std::fs::write(&not_zip, b"not a zip").unwrap();
    let err = super::hpe::read_fwpkg(&not_zip).unwrap_err();
    assert!(
        err.to_string().contains("x.fwpkg") && err.to_string().contains("not an HPE .fwpkg"),
        "{err}"
    );
    assert!(super::hpe::ilo_accepts_file("ilo5_250.bin"));
    assert!(super::hpe::ilo_accepts_file("U46_2.72.signed.flash"));
    assert!(!super::hpe::ilo_accepts_file("cp012345.scexe"));
}
