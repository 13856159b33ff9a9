//! HPE `.fwpkg` packages: a zip holding the firmware images and a
//! `payload.json` that says what they are:
//!
//! ```json
//! {"PackageFormat": "FWPKG-v2", "Type": "Firmware", "UpdatableBy": ["Bmc"],
//!  "Devices": {"Device": [{"DeviceName": "HPE Broadcom NetXtreme-E adapters",
//!     "Target": "a6b1a447-382a-5a4f-14e4-16d815900212", "Version": "237.1.148000",
//!     "FirmwareImages": [{"FileName": "bcm237.1.148000.Optimized.HPb",
//!        "DirectFlashOk": true, "UefiFlashable": false, "ResetRequired": true}]}]}}
//! ```
//!
//! Sources: HPE's iLOrest `flashfwpkg` (HewlettPackard/python-redfish-utility,
//! `FwpkgCommand.py`: `payload.json`, `UpdatableBy` with `Bmc`, `Uefi`,
//! `RuntimeAgent`, `Devices.Device[].Target`/`FirmwareImages[]` with
//! `DirectFlashOk`, `UefiFlashable`, `ResetRequired`; a package only
//! `Uefi` + `RuntimeAgent` can apply "cannot be flashed" by iLO), iLO 5's
//! UpdateService (SimpleUpdate takes iLO `.bin` and UEFI `.signed.flash`
//! only, NOTES §7.2) and HPE's SPP manifests (`PackageFormat`, `Type`).
//!
//! What [`infer`] fills in, and what it refuses to guess:
//!
//! - **version**: the devices' `Version`, when they agree;
//! - **kind**: from the device names (`System ROM` → bios, `iLO` → bmc, …),
//!   only when every device names the same kind;
//! - **applicability**: manufacturer `HPE`/`HP` and the device names as an
//!   anchored, case-insensitive `match`; a System ROM is built for one ROM
//!   family, so a BIOS package also needs the operator's `--model`;
//! - **needs_vendor_tool**: set when `UpdatableBy` lacks `Bmc`: only UEFI
//!   or a host agent (SUM/SUT) applies such a package, and iLO takes it
//!   with `200 OK` and does nothing.

use crate::inventory::model::Kind;
use serde::Deserialize;
use std::io::Read;
use std::path::{Path, PathBuf};

/// `payload.json` is a few KiB; anything this large is not one.
const MAX_PAYLOAD: u64 = 4 * 1024 * 1024;

/// What `payload.json` says about a package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fwpkg {
    pub package_format: Option<String>,
    pub package_type: Option<String>,
    pub updatable_by: Vec<String>,
    pub devices: Vec<FwpkgDevice>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FwpkgDevice {
    pub name: Option<String>,
    /// The device GUID iLO lists in `Oem.Hpe.Targets` of its inventory.
    pub target: Option<String>,
    pub version: Option<String>,
    pub reset_required: bool,
}

/// Why a `.fwpkg` could not be read; names the file.
#[derive(Debug, thiserror::Error)]
pub enum FwpkgError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not an HPE .fwpkg: {detail}\n  check that the download is complete; a .fwpkg is a zip with a payload.json", path.display())]
    Format { path: PathBuf, detail: String },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawPayload {
    #[serde(default)]
    package_format: Option<String>,
    #[serde(default, rename = "Type")]
    package_type: Option<String>,
    #[serde(default)]
    updatable_by: Vec<String>,
    #[serde(default)]
    devices: Option<RawDevices>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawDevices {
    #[serde(default)]
    device: Vec<RawDevice>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawDevice {
    #[serde(default)]
    device_name: Option<String>,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    firmware_images: Vec<RawImage>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawImage {
    #[serde(default)]
    reset_required: Option<bool>,
}

/// Reads `payload.json` from the package at `path`.
pub fn read_fwpkg(path: &Path) -> Result<Fwpkg, FwpkgError> {
    let format = |detail: String| FwpkgError::Format {
        path: path.to_path_buf(),
        detail,
    };
    let file = std::fs::File::open(path).map_err(|source| FwpkgError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| format(format!("not a zip ({e})")))?;
    let name = zip
        .file_names()
        .filter_map(Result::ok)
        .find(|n| n.eq_ignore_ascii_case("payload.json"))
        .map(|n| n.into_owned())
        .ok_or_else(|| format("it has no payload.json".into()))?;
    let entry = zip
        .by_name(&name)
        .map_err(|e| format(format!("payload.json cannot be read ({e})")))?;
    let mut text = Vec::new();
    entry
        .take(MAX_PAYLOAD + 1)
        .read_to_end(&mut text)
        .map_err(|e| format(format!("payload.json cannot be unpacked ({e})")))?;
    if text.len() as u64 > MAX_PAYLOAD {
        return Err(format("payload.json is larger than 4 MiB".into()));
    }
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&text);
    let raw: RawPayload = serde_json::from_slice(text)
        .map_err(|e| format(format!("payload.json is not the expected JSON: {e}")))?;
    Ok(Fwpkg {
        package_format: raw.package_format,
        package_type: raw.package_type,
        updatable_by: raw.updatable_by,
        devices: raw
            .devices
            .map(|d| d.device)
            .unwrap_or_default()
            .into_iter()
            .map(|d| FwpkgDevice {
                name: d
                    .device_name
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty()),
                target: d.target,
                version: d
                    .version
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty()),
                reset_required: d
                    .firmware_images
                    .iter()
                    .any(|i| i.reset_required == Some(true)),
            })
            .collect(),
    })
}

/// What a package says about itself, ready for an `AddSpec`; `Err` says
/// what the operator must give instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inferred {
    pub kind: Result<Kind, String>,
    pub version: Result<String, String>,
    pub manufacturers: Vec<String>,
    /// An anchored regex of the device names.
    pub match_regex: Option<String>,
    /// BIOS packages are per ROM family: the operator must name the models.
    pub needs_model: bool,
    pub needs_vendor_tool: Option<String>,
    pub reboot_required: Option<bool>,
    pub notes: String,
}

/// See the module docs.
pub fn infer(pkg: &Fwpkg) -> Inferred {
    let names: Vec<&str> = pkg
        .devices
        .iter()
        .filter_map(|d| d.name.as_deref())
        .collect();
    let kinds: Vec<Option<Kind>> = names.iter().map(|n| kind_from_name(n)).collect();
    let kind = match kinds.first() {
        None => Err("payload.json names no device; give --component".to_owned()),
        Some(first) if kinds.iter().all(|k| k == first) => first.ok_or_else(|| {
            format!(
                "cannot tell the component kind from the device name {:?}; give --component",
                names[0]
            )
        }),
        Some(_) => Err(format!(
            "its devices are of different kinds ({}); give --component",
            names.join(", ")
        )),
    };
    let versions: Vec<&str> = pkg
        .devices
        .iter()
        .filter_map(|d| d.version.as_deref())
        .collect();
    let version = match versions.first() {
        None => Err("payload.json gives no device version; give --version".to_owned()),
        Some(v) if versions.iter().all(|w| w == v) => Ok((*v).to_owned()),
        Some(_) => Err(format!(
            "its devices give different versions ({}); give --version",
            versions.join(", ")
        )),
    };
    let match_regex = (!names.is_empty()).then(|| {
        let mut unique: Vec<String> = names.iter().map(|n| regex_escape(n)).collect();
        unique.sort();
        unique.dedup();
        format!("^(?:{})$", unique.join("|"))
    });
    let needs_vendor_tool = (!pkg.updatable_by.iter().any(|u| u.eq_ignore_ascii_case("Bmc")))
        .then(|| {
            let by = if pkg.updatable_by.is_empty() {
                "nothing".to_owned()
            } else {
                pkg.updatable_by.join(", ")
            };
            format!(
                "UpdatableBy is {by}, not Bmc: iLO's update service does not apply it; use HPE SUM/SUT or the iLO task queue"
            )
        });
    let targets: Vec<&str> = pkg
        .devices
        .iter()
        .filter_map(|d| d.target.as_deref())
        .collect();
    let mut notes = format!(
        "HPE {} package",
        pkg.package_format.as_deref().unwrap_or("fwpkg")
    );
    if !targets.is_empty() {
        notes.push_str(&format!("; device targets {}", targets.join(", ")));
    }
    Inferred {
        needs_model: matches!(kind, Ok(Kind::Bios)),
        kind,
        version,
        manufacturers: vec!["HPE".into(), "HP".into()],
        match_regex,
        needs_vendor_tool,
        reboot_required: (!pkg.devices.is_empty())
            .then(|| pkg.devices.iter().any(|d| d.reset_required)),
        notes,
    }
}

/// The component kind an HPE device name describes, by the words HPE uses
/// (`System ROM`, `iLO 5`, `System Programmable Logic Device`, `Smart
/// Array`, `Power Supply`, adapter names); `None` when none fits.
pub fn kind_from_name(name: &str) -> Option<Kind> {
    let n = name.to_ascii_lowercase();
    let has = |w: &[&str]| w.iter().any(|x| n.contains(x));
    if has(&["system rom", "bios"]) {
        Some(Kind::Bios)
    } else if n.starts_with("ilo") || has(&["integrated lights-out", " ilo"]) {
        Some(Kind::Bmc)
    } else if has(&["programmable logic", "cpld"]) {
        Some(Kind::Cpld)
    } else if has(&["power supply", "power management controller"]) {
        Some(Kind::Psu)
    } else if has(&[
        "smart array",
        "raid",
        "storage controller",
        "hba",
        "mr416",
        "sr932",
    ]) {
        Some(Kind::Storage)
    } else if has(&[
        "ethernet",
        "adapter",
        "network",
        "nic",
        "netxtreme",
        "connectx",
    ]) {
        Some(Kind::Nic)
    } else if has(&["drive", "ssd", "hdd", "nvme"]) {
        Some(Kind::Drive)
    } else {
        None
    }
}

/// File types iLO's update service takes (NOTES §7.2: SimpleUpdate takes
/// iLO `.bin` and UEFI `.signed.flash`; iLO 5 2.30+ and iLO 6 take
/// `.fwpkg`); anything else an HPE server gets needs a vendor tool.
pub fn ilo_accepts_file(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with(".bin") || n.ends_with(".signed.flash") || n.ends_with(".fwpkg")
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
pub(crate) fn write_fwpkg(path: &Path, payload: &str) {
    use std::io::Write;
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("payload.json", opts).unwrap();
    zip.write_all(payload.as_bytes()).unwrap();
    zip.start_file("image.bin", opts).unwrap();
    zip.write_all(&[7u8; 1000]).unwrap();
    zip.finish().unwrap();
}
