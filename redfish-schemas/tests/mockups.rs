//! Every DMTF public mockup resource we model decodes, and round-trips.
//!
//! Reads `shared/redfish/mockups/*` (DSP2043 mockups, DMTF Redfish-Publications
//! 2025.4) at test time; skips when that directory is absent. Each `index.json`
//! is picked by its `@odata.type` (`#SoftwareInventory.…` → `SoftwareInventory`,
//! any `…Collection` → `Collection`, …) and then [`check`]ed:
//!
//! 1. it decodes through `redfish_schemas::decode`;
//! 2. serializing the model gives a *subset* of the original JSON: every
//!    property we emit exists in the file with the same value, so our property
//!    names and value shapes match the standard;
//! 3. decoding that output gives an equal model;
//! 4. the properties we dropped are all in the type's list of deliberately
//!    ignored properties, so a misspelt `rename` (which would silently drop a
//!    property) fails the test.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::fs;
use std::path::{Path, PathBuf};

use redfish_schemas::{
    decode, decode_value, ActionInfo, Collection, ComputerSystem, Manager, Message, ServiceRoot,
    Session, SessionService, SoftwareInventory, Task, TaskService, UpdateService,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

fn mockups_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/redfish/mockups");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipping mockup round-trips: {} not found (it holds the DMTF public mockups)",
            dir.display()
        );
        None
    }
}

/// Every `index.json` below `dir`, sorted.
fn index_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read mockup dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "index.json") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Properties each model deliberately does not keep (paths with `[]` for any
/// array index; a trailing `.*` covers everything below). Everything else in a
/// mockup must survive the round trip.
fn ignored(kind: &str) -> &'static [&'static str] {
    match kind {
        "ServiceRoot" => &["ComponentIntegrity", "KeyService", "ServiceConditions"],
        "UpdateService" => &[
            "ClientCertificates",
            "LocalImageStore",
            "LocalImageStoreAvailableCapacityBytes",
            "LocalImageStoreTotalCapacityBytes",
        ],
        "Session" => &["Links"],
        "Task" => &["Messages[].Username", "Messages[].UserAuthenticationSource"],
        "Message" => &["Username", "UserAuthenticationSource"],
        // The models hold only the identity and version properties.
        "ComputerSystem" => &[
            "AssetTag",
            "Boot",
            "BootProgress",
            "Certificates",
            "EthernetInterfaces",
            "GraphicsControllers",
            "HostingRoles",
            "IndicatorLED",
            "LastResetTime",
            "Links",
            "LogServices",
            "Memory",
            "MemorySummary",
            "NetworkInterfaces",
            "OperatingSystem",
            "PCIeDevices",
            "ProcessorSummary",
            "Processors",
            "SecureBoot",
            "SimpleStorage",
            "Status.Conditions",
            "Storage",
            "SubModel",
            "SystemType",
            "TrustedModules",
            "USBControllers",
            "VirtualMedia",
        ],
        "Manager" => &[
            "AdditionalFirmwareVersions",
            "CommandShell",
            "DateTimeLocalOffset",
            "DateTimeSource",
            "DedicatedNetworkPorts",
            "EthernetInterfaces",
            "GraphicalConsole",
            "HostInterfaces",
            "Links.ManagerForChassis",
            "Links.ManagerInChassis",
            "LogServices",
            "NetworkProtocol",
            "SecurityPolicy",
            "SerialConsole",
            "SerialInterfaces",
            "VirtualMedia",
        ],
        // Expanded members (log entries) are read as links only.
        "Collection" => &["@Redfish.SupportedCertificates", "Members[].*"],
        "SoftwareInventory" | "SessionService" | "TaskService" | "ActionInfo" => &[],
        other => panic!("no ignore list for {other}"),
    }
}

/// Dropped everywhere: annotations that carry nothing for a client.
fn always_ignored(path: &str) -> bool {
    path.ends_with("@Redfish.Copyright")
        || path.ends_with("@odata.context")
        || path.ends_with("@odata.etag")
        || (path.ends_with("@odata.count") && path != "Members@odata.count")
}

#[derive(Default)]
struct Report {
    /// kind → number of files checked.
    counts: BTreeMap<&'static str, usize>,
    /// kind → dropped paths not on its ignore list, with one example file each.
    unexpected: BTreeMap<&'static str, BTreeMap<String, String>>,
}

/// Decodes `file` as `T` and checks the round trip (see the module comment).
fn check<T>(kind: &'static str, file: &Path, original: &Value, report: &mut Report)
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let bytes = fs::read(file).expect("read mockup");
    let decoded: T = decode(&bytes).unwrap_or_else(|e| {
        panic!("{}: {e}: {}", file.display(), e.inner());
    });
    check_value(kind, file, original, decoded, report);
}

fn check_value<T>(
    kind: &'static str,
    file: &Path,
    original: &Value,
    decoded: T,
    report: &mut Report,
) where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let encoded = serde_json::to_value(&decoded).expect("serialize");
    if let Err(at) = subset(&encoded, original, String::new()) {
        panic!(
            "{} as {kind}: re-encoded value differs from the file at `{at}`\nencoded: {encoded:#}",
            file.display()
        );
    }
    let again: T = decode_value(&encoded)
        .unwrap_or_else(|e| panic!("{} as {kind}: re-decoding failed: {e}", file.display()));
    assert_eq!(
        decoded,
        again,
        "{} as {kind}: round trip changed the model",
        file.display()
    );

    let mut dropped = Vec::new();
    dropped_paths(original, &encoded, String::new(), &mut dropped);
    let ignored = ignored(kind);
    for path in dropped {
        let listed = ignored
            .iter()
            .any(|pattern| match pattern.strip_suffix(".*") {
                Some(prefix) => path.starts_with(prefix) && path[prefix.len()..].starts_with('.'),
                None => *pattern == path,
            });
        if !always_ignored(&path) && !listed {
            report
                .unexpected
                .entry(kind)
                .or_default()
                .entry(path)
                .or_insert_with(|| file.display().to_string());
        }
    }
    *report.counts.entry(kind).or_default() += 1;
}

/// `Ok` if every property of `ours` exists in `theirs` with an equal value
/// (recursively; arrays element by element); `Err(path)` of the first mismatch.
fn subset(ours: &Value, theirs: &Value, path: String) -> Result<(), String> {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let child = join(&path, key);
                match b.get(key) {
                    Some(other) => subset(value, other, child)?,
                    None => return Err(child),
                }
            }
            Ok(())
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                subset(x, y, format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        // 0 and 0.0 are the same number.
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => Ok(()),
        (a, b) if a == b => Ok(()),
        _ => Err(path),
    }
}

/// Paths present in `theirs` but not in `ours`, array indexes written `[]`.
fn dropped_paths(theirs: &Value, ours: &Value, path: String, out: &mut Vec<String>) {
    match (theirs, ours) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let child = join(&path, key);
                match b.get(key) {
                    Some(other) => dropped_paths(value, other, child, out),
                    None => out.push(child),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (x, y) in a.iter().zip(b) {
                dropped_paths(x, y, format!("{path}[]"), out);
            }
        }
        _ => {}
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// `#SoftwareInventory.v1_13_0.SoftwareInventory` → `SoftwareInventory`.
fn schema_name(odata_type: &str) -> &str {
    odata_type
        .trim_start_matches('#')
        .split('.')
        .next()
        .unwrap_or_default()
}

/// Every Message object anywhere in `value`: entries of `@Message.ExtendedInfo`
/// and of a Task's `Messages` array.
fn messages(value: &Value, out: &mut Vec<Value>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key.ends_with("@Message.ExtendedInfo") || key == "Messages" && child.is_array() {
                    if let Value::Array(items) = child {
                        out.extend(items.iter().cloned());
                    }
                } else {
                    messages(child, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| messages(v, out)),
        _ => {}
    }
}

#[test]
fn dmtf_mockups_round_trip() {
    let Some(dir) = mockups_dir() else { return };
    let mut report = Report::default();
    let mut by_path: BTreeMap<&str, usize> = BTreeMap::new();

    for file in index_files(&dir) {
        let original: Value = serde_json::from_slice(&fs::read(&file).expect("read"))
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", file.display()));
        let Some(odata_type) = original.get("@odata.type").and_then(Value::as_str) else {
            continue;
        };
        let rel = file
            .strip_prefix(&dir)
            .expect("under dir")
            .to_string_lossy()
            .into_owned();

        match schema_name(odata_type) {
            "ServiceRoot" => check::<ServiceRoot>("ServiceRoot", &file, &original, &mut report),
            "SessionService" => {
                check::<SessionService>("SessionService", &file, &original, &mut report)
            }
            "Session" => check::<Session>("Session", &file, &original, &mut report),
            "UpdateService" => {
                check::<UpdateService>("UpdateService", &file, &original, &mut report)
            }
            "ActionInfo" => check::<ActionInfo>("ActionInfo", &file, &original, &mut report),
            "SoftwareInventory" => {
                check::<SoftwareInventory>("SoftwareInventory", &file, &original, &mut report)
            }
            "TaskService" => check::<TaskService>("TaskService", &file, &original, &mut report),
            "Task" => check::<Task>("Task", &file, &original, &mut report),
            "ComputerSystem" => {
                check::<ComputerSystem>("ComputerSystem", &file, &original, &mut report)
            }
            "Manager" => check::<Manager>("Manager", &file, &original, &mut report),
            name if name.ends_with("Collection") => {
                check::<Collection>("Collection", &file, &original, &mut report)
            }
            _ => {}
        }

        let mut found = Vec::new();
        messages(&original, &mut found);
        for message in &found {
            let decoded: Message = decode_value(message)
                .unwrap_or_else(|e| panic!("{}: message: {e}", file.display()));
            check_value("Message", &file, message, decoded, &mut report);
        }

        // Path-based expectations: FirmwareInventory members are
        // SoftwareInventory, TaskService/Tasks members are Tasks, each mockup's
        // root is a ServiceRoot.
        let parts: Vec<&str> = rel.split('/').collect();
        let kind = schema_name(odata_type);
        match parts.as_slice() {
            [_, "index.json"] => {
                assert_eq!(kind, "ServiceRoot", "{rel}");
                *by_path.entry("root").or_default() += 1;
            }
            [_, "UpdateService", "FirmwareInventory", _, "index.json"] => {
                assert_eq!(kind, "SoftwareInventory", "{rel}");
                *by_path.entry("firmware").or_default() += 1;
            }
            [_, "TaskService", "Tasks", _, "index.json"] => {
                assert_eq!(kind, "Task", "{rel}");
                *by_path.entry("tasks").or_default() += 1;
            }
            _ => {}
        }
    }

    let unexpected: Vec<String> = report
        .unexpected
        .iter()
        .flat_map(|(kind, paths)| {
            paths
                .iter()
                .map(move |(path, file)| format!("{kind}: `{path}` (e.g. {file})"))
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "properties dropped by the models but not on their ignore lists:\n{}",
        unexpected.join("\n")
    );

    // Guard against a vacuous pass: the four 2025.4 mockups hold at least these.
    let minimum = [
        ("ServiceRoot", 4),
        ("SessionService", 4),
        ("Session", 5),
        ("UpdateService", 4),
        ("ActionInfo", 4),
        ("SoftwareInventory", 15),
        ("TaskService", 3),
        ("Task", 4),
        ("ComputerSystem", 5),
        ("Manager", 4),
        ("Collection", 100),
        ("Message", 4),
    ];
    for (kind, min) in minimum {
        let n = report.counts.get(kind).copied().unwrap_or(0);
        assert!(
            n >= min,
            "only {n} {kind} files checked, expected at least {min}"
        );
    }
    assert_eq!(by_path.get("root"), Some(&4), "{by_path:?}");
    assert!(by_path.get("firmware") >= Some(&12), "{by_path:?}");
    assert!(by_path.get("tasks") >= Some(&4), "{by_path:?}");
    eprintln!("checked {:?}", report.counts);
}

#[test]
fn subset_and_dropped_paths_helpers() {
    let theirs = serde_json::json!({"A": 1, "B": {"C": [1, {"D": 2, "E": 3}]}, "F": 0});
    let ours = serde_json::json!({"A": 1, "B": {"C": [1, {"D": 2}]}, "F": 0.0});
    assert_eq!(subset(&ours, &theirs, String::new()), Ok(()));
    let mut dropped = Vec::new();
    dropped_paths(&theirs, &ours, String::new(), &mut dropped);
    assert_eq!(dropped, ["B.C[].E"]);
    let wrong = serde_json::json!({"B": {"C": [1, {"D": 3}]}});
    assert_eq!(
        subset(&wrong, &theirs, String::new()),
        Err("B.C[1].D".to_owned())
    );
    assert_eq!(
        subset(&serde_json::json!({"G": 1}), &theirs, String::new()),
        Err("G".to_owned())
    );
}
