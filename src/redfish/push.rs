//! Pushing an image to a BMC: multipart (`MultipartHttpPushUri`, DSP0266) and
//! raw (`HttpPushUri`), streamed from disk with the dialect each vendor needs.

use super::client::{BmcClient, Reply, UploadBody};
use super::error::RedfishError;
use super::quirks::Platform;
use crate::vocab::Kind;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// One multipart push.
#[derive(Debug, Clone)]
pub struct MultipartPush {
    pub uri: String,
    pub file: PathBuf,
    /// `Targets` (inventory or device URIs); empty = the BMC decides.
    pub targets: Vec<String>,
    pub apply_time: Option<String>,
    pub force: bool,
    /// What the image is for, where a vendor's form depends on it (AMI
    /// `FlashType`, Supermicro's preserve flags); `None`: not stated.
    pub component: Option<Kind>,
    /// Supermicro: ask the update to keep the BMC's or BIOS's configuration.
    pub preserve: bool,
}

/// The `UpdateParameters` JSON and extra parts for this platform (FIELD-NOTES B4):
/// Dell wants `"Oem": {}` and no `Targets`; an AMI-based Lenovo wants a
/// separate `OemParameters` part (XCC itself the standard form); Supermicro
/// wants its apply time and one target.
pub fn parameters(platform: &Platform, push: &MultipartPush) -> (Value, Vec<(String, Value)>) {
    let mut params = json!({});
    if !push.targets.is_empty() && !platform.multipart_dell_rules() {
        params["Targets"] = json!(push.targets);
    }
    if let Some(a) = &push.apply_time {
        params["@Redfish.OperationApplyTime"] = json!(a);
    } else if platform.requires_start_update() {
        params["@Redfish.OperationApplyTime"] = json!("OnStartUpdateRequest");
    }
    if push.force {
        params["ForceUpdate"] = json!(true);
    }
    let mut extra = Vec::new();
    if platform.multipart_dell_rules() {
        params["Oem"] = json!({});
        params["Targets"] = json!([]);
    }
    if platform.multipart_oem_parameters_part() {
        // lenovo_update_firmware.py: `HPMFwUpdate` for the BMC, `UEFIUpdate`
        // for the UEFI (BIOS) image.
        let flash_type = platform.flash_type(push.component).unwrap_or("HPMFwUpdate");
        extra.push((
            "OemParameters".to_string(),
            json!({"FlashType": flash_type}),
        ));
    }
    if platform.supermicro_preserve_flags() && push.preserve {
        // bmclib `providers/supermicro/x12.go`: sent with every update.
        match push.component {
            Some(Kind::Bmc) => {
                params["Oem"] = json!({"Supermicro": {"BMC": {
                    "PreserveCfg": true, "PreserveSdr": true, "PreserveSsl": true
                }}});
            }
            Some(Kind::Bios) => {
                params["Oem"] = json!({"Supermicro": {"BIOS": {
                    "PreserveME": true, "PreserveNVRAM": true, "PreserveSMBIOS": true
                }}});
            }
            _ => {}
        }
    }
    (params, extra)
}

/// The base file name a BMC sees (Dell rejects paths).
fn base_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "image.bin".into())
}

/// Bytes read from disk per piece of an upload body. Each piece is one round
/// trip to tokio's blocking pool, and those round trips, not the copying, were
/// most of fwfleet's CPU when pushing (docs/BENCHMARKS.md, "Multipart push"):
/// 256 KiB makes a quarter as many as 64 KiB did, for ≈ 1 MiB held per upload.
const PIECE: usize = 256 * 1024;

async fn file_part(path: &Path) -> std::io::Result<(reqwest::Body, u64)> {
    let f = tokio::fs::File::open(path).await?;
    let len = f.metadata().await?.len();
    let stream = tokio_util::io::ReaderStream::with_capacity(f, PIECE);
    Ok((reqwest::Body::wrap_stream(stream), len))
}

/// Multipart push, streamed from disk (memory independent of image size).
pub(in crate::redfish) async fn multipart(
    client: &BmcClient,
    platform: &Platform,
    push: &MultipartPush,
) -> Result<Reply, RedfishError> {
    let (params, extra) = parameters(platform, push);
    let size = tokio::fs::metadata(&push.file)
        .await
        .map(|m| m.len())
        .unwrap_or(0);
    let name = base_name(&push.file);
    let file = push.file.clone();
    client
        .upload(&push.uri, client.upload_timeout(size), || {
            let params = params.clone();
            let extra = extra.clone();
            let file = file.clone();
            let name = name.clone();
            async move {
                let (body, len) = file_part(&file).await?;
                let mut form = reqwest::multipart::Form::new().part(
                    "UpdateParameters",
                    reqwest::multipart::Part::text(params.to_string())
                        .mime_str("application/json")
                        .map_err(std::io::Error::other)?,
                );
                for (n, v) in extra {
                    form = form.part(
                        n,
                        reqwest::multipart::Part::text(v.to_string())
                            .mime_str("application/json")
                            .map_err(std::io::Error::other)?,
                    );
                }
                form = form.part(
                    "UpdateFile",
                    reqwest::multipart::Part::stream_with_length(body, len)
                        .file_name(name)
                        .mime_str("application/octet-stream")
                        .map_err(std::io::Error::other)?,
                );
                Ok(UploadBody::Multipart(form))
            }
        })
        .await
}

/// Raw push to `HttpPushUri` (the image is the body).
pub(in crate::redfish) async fn raw(
    client: &BmcClient,
    uri: &str,
    file: &Path,
) -> Result<Reply, RedfishError> {
    let size = tokio::fs::metadata(file)
        .await
        .map(|m| m.len())
        .unwrap_or(0);
    let file = file.to_path_buf();
    client
        .upload(uri, client.upload_timeout(size), || {
            let file = file.clone();
            async move {
                let (body, len) = file_part(&file).await?;
                Ok(UploadBody::Raw(body, len))
            }
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(vendor: &str) -> Platform {
        Platform::classify(Some(vendor), None, None)
    }

    fn push(targets: &[&str]) -> MultipartPush {
        MultipartPush {
            uri: "/x".into(),
            file: "/tmp/a/b/fw.img".into(),
            targets: targets.iter().map(|s| s.to_string()).collect(),
            apply_time: None,
            force: false,
            component: None,
            preserve: false,
        }
    }

    #[test]
    fn each_vendor_gets_its_update_parameters() {
        let (g, extra) = parameters(&p("Contoso"), &push(&["/redfish/v1/Systems/1"]));
        assert_eq!(g, json!({"Targets": ["/redfish/v1/Systems/1"]}));
        assert!(extra.is_empty());
        let (d, _) = parameters(&p("Dell"), &push(&["/redfish/v1/Systems/1"]));
        assert_eq!(d, json!({"Oem": {}, "Targets": []}));
        let (s, _) = parameters(&p("Supermicro"), &push(&["/redfish/v1/Systems/1/Bios"]));
        assert_eq!(s["@Redfish.OperationApplyTime"], "OnStartUpdateRequest");
        // Lenovo XCC: the standard form, no AMI part (issue 16).
        let (l, extra) = parameters(&p("Lenovo"), &push(&[]));
        assert!(l.get("Oem").is_none());
        assert!(extra.is_empty(), "{extra:?}");
        let (_, extra) = parameters(&p("AMI"), &push(&[]));
        assert_eq!(extra[0].0, "OemParameters");
        // AMI-based Lenovo: FlashType by component.
        let bios = MultipartPush {
            component: Some(Kind::Bios),
            ..push(&[])
        };
        let (_, extra) = parameters(&p("AMI"), &bios);
        assert_eq!(extra[0].1, json!({"FlashType": "UEFIUpdate"}));
        let bmc = MultipartPush {
            component: Some(Kind::Bmc),
            ..push(&[])
        };
        let (_, extra) = parameters(&p("AMI"), &bmc);
        assert_eq!(extra[0].1, json!({"FlashType": "HPMFwUpdate"}));
        // Supermicro: the preserve flags of the component, when asked for.
        let smc = MultipartPush {
            component: Some(Kind::Bmc),
            preserve: true,
            ..push(&["/redfish/v1/Managers/1"])
        };
        let (s, _) = parameters(&p("Supermicro"), &smc);
        assert_eq!(s["Oem"]["Supermicro"]["BMC"]["PreserveCfg"], true);
        let smc = MultipartPush {
            preserve: false,
            ..smc
        };
        assert!(parameters(&p("Supermicro"), &smc).0.get("Oem").is_none());
        assert_eq!(base_name(Path::new("/tmp/a/b/fw.img")), "fw.img");
    }
}
