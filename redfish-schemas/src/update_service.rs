//! The UpdateService: how to get an image onto the BMC (SimpleUpdate pull,
//! multipart push, raw push), which apply times it accepts, and the request
//! bodies for those operations.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::common::{Action, ApplyTime, ODataId, OperationApplyTimeSupport, Status};
use crate::de;

lenient_enum! {
    /// `UpdateService.TransferProtocolType` (UpdateService.v1_17_0): the
    /// `TransferProtocol` parameter of `#UpdateService.SimpleUpdate`.
    pub enum TransferProtocol {
        /// Common Internet File System.
        Cifs => "CIFS",
        /// File Transfer Protocol.
        Ftp => "FTP",
        /// SSH File Transfer Protocol (v1_1).
        Sftp => "SFTP",
        /// HTTP.
        Http => "HTTP",
        /// HTTPS.
        Https => "HTTPS",
        /// Network File System (v1_3).
        Nfs => "NFS",
        /// The deprecated misspelling of `NFS`, still sent by some services.
        Nsf => "NSF",
        /// Secure Copy.
        Scp => "SCP",
        /// Trivial File Transfer Protocol.
        Tftp => "TFTP",
        /// A protocol defined by the vendor.
        Oem => "OEM",
    }
}

/// `UpdateService.v1_17_0.UpdateService` (DSP8010 2025.4), `/redfish/v1/UpdateService`.
///
/// Nearly everything is optional because the versions in the field span v1_1
/// (iLO 5 2.x) to v1_17: `MultipartHttpPushUri` exists since v1_6,
/// `MaxImageSizeBytes` since v1_5, `HttpPushUri*` are deprecated since v1_15 but
/// still what Dell, HPE and Lenovo use, and AMI-based BMCs omit even `Name`
/// (NOTES §7.6). `Oem` is kept raw (`Oem.Hpe.State` is how iLO reports flash
/// progress).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateService {
    /// `/redfish/v1/UpdateService`.
    #[serde(rename = "@odata.id")]
    pub odata_id: String,
    /// `#UpdateService.v1_x_y.UpdateService`; optional (NOTES §7.6).
    #[serde(rename = "@odata.type", skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<String>,
    /// Usually `UpdateService`.
    pub id: String,
    /// Display name; missing on AMI Viking (NOTES §7.6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Whether updates are accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_enabled: Option<bool>,
    /// Platform firmware inventory (`SoftwareInventoryCollection`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firmware_inventory: Option<ODataId>,
    /// Host software inventory (`SoftwareInventoryCollection`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub software_inventory: Option<ODataId>,
    /// Raw HTTP push URI (v1_1, deprecated v1_15). Vendor-specific body format:
    /// raw octet-stream on OpenBMC, multipart on Dell and iLO.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_push_uri: Option<String>,
    /// Targets for the next `HttpPushUri` push (v1_2, deprecated v1_15).
    #[serde(
        default,
        deserialize_with = "de::vec_skip_nulls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub http_push_uri_targets: Vec<String>,
    /// Client-side reservation flag for `HttpPushUriTargets` (v1_2, deprecated
    /// v1_15); Lenovo XCC expects it to be set around a push.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_push_uri_targets_busy: Option<bool>,
    /// Options for `HttpPushUri` pushes (v1_4, deprecated v1_15).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_push_uri_options: Option<HttpPushUriOptions>,
    /// Reservation flag for `HttpPushUriOptions` (v1_4, deprecated v1_15).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_push_uri_options_busy: Option<bool>,
    /// `HttpPushUri@Redfish.OperationApplyTimeSupport`.
    #[serde(
        rename = "HttpPushUri@Redfish.OperationApplyTimeSupport",
        skip_serializing_if = "Option::is_none"
    )]
    pub http_push_uri_apply_time_support: Option<OperationApplyTimeSupport>,
    /// Multipart push URI (v1_6), the preferred push method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multipart_http_push_uri: Option<String>,
    /// `MultipartHttpPushUri@Redfish.OperationApplyTimeSupport` (bmcweb sends it).
    #[serde(
        rename = "MultipartHttpPushUri@Redfish.OperationApplyTimeSupport",
        skip_serializing_if = "Option::is_none"
    )]
    pub multipart_http_push_uri_apply_time_support: Option<OperationApplyTimeSupport>,
    /// Largest image the service accepts, in bytes (v1_5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_image_size_bytes: Option<u64>,
    /// Whether the `ImageURI` server's certificate is verified (v1_9; absent ⇒ false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_remote_server_certificate: Option<bool>,
    /// Certificates used to verify the `ImageURI` server (v1_9).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_server_certificates: Option<ODataId>,
    /// Image formats the service accepts (v1_13): `PLDMv1_0`…, `UEFICapsule`, `VendorDefined`.
    #[serde(
        default,
        deserialize_with = "de::vec_skip_nulls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub supported_update_image_formats: Vec<String>,
    /// `UpdateServiceCapabilities` resource (v1_16).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_service_capabilities: Option<ODataId>,
    /// SimpleUpdate, StartUpdate, Activate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<UpdateServiceActions>,
    /// Vendor extensions, kept raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oem: Option<Value>,
}

impl_oem_at!(UpdateService);

impl UpdateService {
    /// `Actions["#UpdateService.SimpleUpdate"]`, if advertised.
    pub fn simple_update(&self) -> Option<&SimpleUpdateAction> {
        self.actions.as_ref()?.simple_update.as_ref()
    }

    /// `Actions["#UpdateService.SimpleUpdate"].target`.
    pub fn simple_update_target(&self) -> Option<&str> {
        self.simple_update()?.target.as_deref()
    }

    /// `Actions["#UpdateService.StartUpdate"].target` (v1_11).
    pub fn start_update_target(&self) -> Option<&str> {
        self.actions
            .as_ref()?
            .start_update
            .as_ref()?
            .target
            .as_deref()
    }
}

/// `UpdateService.v1_17_0.Actions`. OEM actions (iLO's
/// `#HpeiLOUpdateServiceExt.AddFromUri`, …) are kept raw.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateServiceActions {
    /// `#UpdateService.SimpleUpdate`: the BMC pulls the image from `ImageURI`.
    #[serde(
        rename = "#UpdateService.SimpleUpdate",
        skip_serializing_if = "Option::is_none"
    )]
    pub simple_update: Option<SimpleUpdateAction>,
    /// `#UpdateService.StartUpdate` (v1_11): starts updates submitted with
    /// apply time `OnStartUpdateRequest`.
    #[serde(
        rename = "#UpdateService.StartUpdate",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_update: Option<Action>,
    /// `#UpdateService.Activate` (v1_16): activates staged images.
    #[serde(
        rename = "#UpdateService.Activate",
        skip_serializing_if = "Option::is_none"
    )]
    pub activate: Option<Action>,
    /// Vendor actions, kept raw.
    #[serde(rename = "Oem", skip_serializing_if = "Option::is_none")]
    pub oem: Option<Value>,
}

/// `UpdateService.v1_17_0.SimpleUpdate` as advertised in `Actions`: the target
/// plus the constraints a service may attach (inline allowable values, a link to
/// an `ActionInfo`, supported apply times).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimpleUpdateAction {
    /// URI to POST a [`SimpleUpdateRequest`] to.
    #[serde(rename = "target", skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Friendly name.
    #[serde(rename = "title", skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `TransferProtocol@Redfish.AllowableValues`; empty when not advertised
    /// inline (then look at `@Redfish.ActionInfo`, else assume the schema's list).
    #[serde(
        rename = "TransferProtocol@Redfish.AllowableValues",
        default,
        deserialize_with = "de::vec_skip_nulls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub transfer_protocol_allowable_values: Vec<TransferProtocol>,
    /// URI of an `ActionInfo` resource listing the parameters.
    #[serde(
        rename = "@Redfish.ActionInfo",
        skip_serializing_if = "Option::is_none"
    )]
    pub action_info: Option<String>,
    /// Apply times accepted in `@Redfish.OperationApplyTime`.
    #[serde(
        rename = "@Redfish.OperationApplyTimeSupport",
        skip_serializing_if = "Option::is_none"
    )]
    pub operation_apply_time_support: Option<OperationApplyTimeSupport>,
}

/// `UpdateService.v1_17_0.HttpPushUriOptions` (v1_4, deprecated v1_15).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HttpPushUriOptions {
    /// When an `HttpPushUri` image is applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_push_uri_apply_time: Option<HttpPushUriApplyTime>,
    /// Bypass update policies such as downgrade blocks (v1_11).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub force_update: Option<bool>,
}

/// `UpdateService.v1_17_0.HttpPushUriApplyTime`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HttpPushUriApplyTime {
    /// Current apply time for pushed images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply_time: Option<ApplyTime>,
    /// `ApplyTime@Redfish.AllowableValues`.
    #[serde(
        rename = "ApplyTime@Redfish.AllowableValues",
        default,
        deserialize_with = "de::vec_skip_nulls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub apply_time_allowable_values: Vec<ApplyTime>,
    /// Window start (date-time string, kept as sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maintenance_window_start_time: Option<String>,
    /// Window length in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maintenance_window_duration_in_seconds: Option<u64>,
}

/// Body of `POST <Actions["#UpdateService.SimpleUpdate"].target>`
/// (UpdateService.v1_17_0 `SimpleUpdate` parameters). Only `ImageURI` is
/// required; everything else is omitted when unset, because older services
/// reject parameters they do not know. `Debug` redacts `Password`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimpleUpdateRequest {
    /// URI of the image (`https://fwfleet:8443/images/bios-2.20.1.exe`).
    #[serde(rename = "ImageURI")]
    pub image_uri: String,
    /// Protocol, for services that need it even with a scheme in `ImageURI`.
    #[serde(rename = "TransferProtocol", skip_serializing_if = "Option::is_none")]
    pub transfer_protocol: Option<TransferProtocol>,
    /// SoftwareInventory (or device) URIs to update (v1_2); empty ⇒ the service
    /// chooses every applicable target.
    #[serde(
        rename = "Targets",
        default,
        deserialize_with = "de::vec_skip_nulls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub targets: Vec<String>,
    /// User name for the image server (v1_4).
    #[serde(rename = "Username", skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password for the image server (v1_4).
    #[serde(rename = "Password", skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Bypass update policies such as downgrade blocks (v1_11).
    #[serde(rename = "ForceUpdate", skip_serializing_if = "Option::is_none")]
    pub force_update: Option<bool>,
    /// Stage only; activate later (v1_16).
    #[serde(rename = "Stage", skip_serializing_if = "Option::is_none")]
    pub stage: Option<bool>,
    /// `@Redfish.OperationApplyTime`.
    #[serde(
        rename = "@Redfish.OperationApplyTime",
        skip_serializing_if = "Option::is_none"
    )]
    pub operation_apply_time: Option<ApplyTime>,
}

impl SimpleUpdateRequest {
    /// A request for `image_uri` with every optional parameter unset.
    pub fn new(image_uri: impl Into<String>) -> Self {
        Self {
            image_uri: image_uri.into(),
            ..Self::default()
        }
    }
}

impl fmt::Debug for SimpleUpdateRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimpleUpdateRequest")
            .field("image_uri", &self.image_uri)
            .field("transfer_protocol", &self.transfer_protocol)
            .field("targets", &self.targets)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("force_update", &self.force_update)
            .field("stage", &self.stage)
            .field("operation_apply_time", &self.operation_apply_time)
            .finish()
    }
}

/// The `UpdateParameters` part of a multipart push to `MultipartHttpPushUri`
/// (UpdateService.v1_17_0 `UpdateParameters`; the `@Redfish.OperationApplyTime`
/// annotation per DSP0266).
///
/// `Targets` is always serialized, also when empty, because Supermicro requires
/// the key and Dell's own tools send `[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateParameters {
    /// SoftwareInventory (or device) URIs; empty ⇒ the service decides.
    #[serde(rename = "Targets", default, deserialize_with = "de::vec_skip_nulls")]
    pub targets: Vec<String>,
    /// `@Redfish.OperationApplyTime`.
    #[serde(
        rename = "@Redfish.OperationApplyTime",
        skip_serializing_if = "Option::is_none"
    )]
    pub operation_apply_time: Option<ApplyTime>,
    /// Bypass update policies such as downgrade blocks (v1_11).
    #[serde(rename = "ForceUpdate", skip_serializing_if = "Option::is_none")]
    pub force_update: Option<bool>,
    /// Stage only (v1_16).
    #[serde(rename = "Stage", skip_serializing_if = "Option::is_none")]
    pub stage: Option<bool>,
    /// Vendor parameters, e.g. `{"Supermicro": {"BIOS": {"PreserveME": true}}}`.
    #[serde(rename = "Oem", skip_serializing_if = "Option::is_none")]
    pub oem: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::check;
    use serde_json::json;

    #[test]
    fn dell_idrac_update_service() {
        let us: UpdateService = check(
            r##"{
                "@odata.context": "/redfish/v1/$metadata#UpdateService.UpdateService",
                "@odata.id": "/redfish/v1/UpdateService",
                "@odata.type": "#UpdateService.v1_11_0.UpdateService",
                "Actions": {
                    "#UpdateService.SimpleUpdate": {
                        "@Redfish.OperationApplyTimeSupport": {
                            "@odata.type": "#Settings.v1_3_3.OperationApplyTimeSupport",
                            "SupportedValues": ["Immediate", "OnReset"]
                        },
                        "TransferProtocol@Redfish.AllowableValues": ["HTTP", "NFS", "CIFS", "TFTP", "HTTPS"],
                        "target": "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate"
                    },
                    "Oem": {
                        "#DellUpdateService.v1_1_0.DellUpdateService.Install": {
                            "InstallUpon@Redfish.AllowableValues": ["Now", "NowAndReboot", "NextReboot"],
                            "target": "/redfish/v1/UpdateService/Actions/Oem/DellUpdateService.Install"
                        }
                    }
                },
                "Description": "Represents the properties for the Update Service",
                "FirmwareInventory": {"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory"},
                "HttpPushUri": "/redfish/v1/UpdateService/FirmwareInventory",
                "Id": "UpdateService",
                "MaxImageSizeBytes": null,
                "MultipartHttpPushUri": "/redfish/v1/UpdateService/MultipartUpload",
                "Name": "Update Service",
                "ServiceEnabled": true,
                "SoftwareInventory": {"@odata.id": "/redfish/v1/UpdateService/SoftwareInventory"},
                "Status": {"Health": "OK", "State": "Enabled"}
            }"##,
        );
        assert_eq!(
            us.simple_update_target(),
            Some("/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate")
        );
        let simple = us.simple_update().unwrap();
        assert_eq!(
            simple.transfer_protocol_allowable_values,
            [
                TransferProtocol::Http,
                TransferProtocol::Nfs,
                TransferProtocol::Cifs,
                TransferProtocol::Tftp,
                TransferProtocol::Https
            ]
        );
        assert_eq!(
            simple
                .operation_apply_time_support
                .as_ref()
                .unwrap()
                .supported_values,
            [ApplyTime::Immediate, ApplyTime::OnReset]
        );
        assert_eq!(
            us.multipart_http_push_uri.as_deref(),
            Some("/redfish/v1/UpdateService/MultipartUpload")
        );
        assert_eq!(us.max_image_size_bytes, None);
        assert_eq!(us.start_update_target(), None);
        assert!(us.actions.as_ref().unwrap().oem.is_some());
    }

    #[test]
    fn openbmc_update_service() {
        let us: UpdateService = check(
            r##"{
                "@odata.id": "/redfish/v1/UpdateService",
                "@odata.type": "#UpdateService.v1_11_1.UpdateService",
                "Description": "Service for Software Update",
                "FirmwareInventory": {"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory"},
                "HttpPushUri": "/redfish/v1/UpdateService/update",
                "HttpPushUriOptions": {"HttpPushUriApplyTime": {"ApplyTime": "Immediate"}},
                "Id": "UpdateService",
                "MaxImageSizeBytes": 419430400,
                "MultipartHttpPushUri": "/redfish/v1/UpdateService/update-multipart",
                "MultipartHttpPushUri@Redfish.OperationApplyTimeSupport": {
                    "@odata.type": "#Settings.v1_3_3.OperationApplyTimeSupport",
                    "SupportedValues": ["OnReset", "Immediate"]
                },
                "Name": "Update Service",
                "ServiceEnabled": true
            }"##,
        );
        assert_eq!(us.max_image_size_bytes, Some(419_430_400));
        assert_eq!(
            us.http_push_uri_options
                .as_ref()
                .unwrap()
                .http_push_uri_apply_time
                .as_ref()
                .unwrap()
                .apply_time,
            Some(ApplyTime::Immediate)
        );
        assert_eq!(
            us.multipart_http_push_uri_apply_time_support
                .as_ref()
                .unwrap()
                .supported_values,
            [ApplyTime::OnReset, ApplyTime::Immediate]
        );
        assert_eq!(us.actions, None);
        assert_eq!(us.simple_update_target(), None);
    }

    #[test]
    fn supermicro_update_service_without_name() {
        let us: UpdateService = check(
            r##"{
                "@odata.type": "#UpdateService.v1_11_0.UpdateService",
                "@odata.id": "/redfish/v1/UpdateService",
                "Id": "UpdateService",
                "ServiceEnabled": true,
                "HttpPushUri": "/redfish/v1/UpdateService/upload",
                "MultipartHttpPushUri": "/redfish/v1/UpdateService/upload",
                "FirmwareInventory": {"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory"},
                "Actions": {
                    "#UpdateService.SimpleUpdate": {
                        "target": "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate",
                        "@Redfish.ActionInfo": "/redfish/v1/UpdateService/SimpleUpdateActionInfo"
                    },
                    "#UpdateService.StartUpdate": {
                        "target": "/redfish/v1/UpdateService/Actions/UpdateService.StartUpdate"
                    },
                    "Oem": {}
                },
                "Oem": {"Supermicro": {"@odata.type": "#SmcUpdateService.v1_0_0.UpdateService", "SSLCert": {"@odata.id": "/redfish/v1/UpdateService/Oem/Supermicro/SSLCert"}}}
            }"##,
        );
        assert_eq!(us.name, None);
        assert_eq!(
            us.start_update_target(),
            Some("/redfish/v1/UpdateService/Actions/UpdateService.StartUpdate")
        );
        assert_eq!(
            us.simple_update().unwrap().action_info.as_deref(),
            Some("/redfish/v1/UpdateService/SimpleUpdateActionInfo")
        );
        assert!(us
            .simple_update()
            .unwrap()
            .transfer_protocol_allowable_values
            .is_empty());
        assert!(us.oem_at(&["Supermicro", "SSLCert"]).is_some());
    }

    #[test]
    fn lenovo_xcc2_push_targets_and_busy() {
        let us: UpdateService = check(
            r##"{
                "@odata.id": "/redfish/v1/UpdateService",
                "@odata.type": "#UpdateService.v1_9_0.UpdateService",
                "Id": "UpdateService",
                "Name": "Lenovo Firmware Update Service",
                "HttpPushUri": "/fwupdate",
                "MultipartHttpPushUri": "/mfwupdate",
                "HttpPushUriTargets": [],
                "HttpPushUriTargetsBusy": false,
                "HttpPushUriOptions": {
                    "HttpPushUriApplyTime": {
                        "ApplyTime": "Immediate",
                        "ApplyTime@Redfish.AllowableValues": ["Immediate", "OnReset", "OnStartUpdateRequest"]
                    }
                },
                "HttpPushUriOptionsBusy": false,
                "VerifyRemoteServerCertificate": false,
                "RemoteServerCertificates": {"@odata.id": "/redfish/v1/UpdateService/RemoteServerCertificates"},
                "Actions": {
                    "#UpdateService.SimpleUpdate": {
                        "target": "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate",
                        "TransferProtocol@Redfish.AllowableValues": ["SFTP", "TFTP", "HTTP", "HTTPS"],
                        "title": "SimpleUpdate"
                    },
                    "#UpdateService.StartUpdate": {
                        "target": "/redfish/v1/UpdateService/Actions/UpdateService.StartUpdate",
                        "title": "StartUpdate"
                    }
                }
            }"##,
        );
        assert_eq!(us.http_push_uri_targets_busy, Some(false));
        assert!(us.http_push_uri_targets.is_empty());
        assert_eq!(
            us.http_push_uri_options
                .unwrap()
                .http_push_uri_apply_time
                .unwrap()
                .apply_time_allowable_values,
            [
                ApplyTime::Immediate,
                ApplyTime::OnReset,
                ApplyTime::OnStartUpdateRequest
            ]
        );
        assert_eq!(us.verify_remote_server_certificate, Some(false));
    }

    #[test]
    fn ilo5_update_service_with_oem_state() {
        let us: UpdateService = check(
            r##"{
                "@odata.context": "/redfish/v1/$metadata#UpdateService.UpdateService",
                "@odata.etag": "W/\"A1B2C3D4\"",
                "@odata.id": "/redfish/v1/UpdateService/",
                "@odata.type": "#UpdateService.v1_1_1.UpdateService",
                "Actions": {
                    "#UpdateService.SimpleUpdate": {"target": "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate/"}
                },
                "Description": "iLO Update Service",
                "FirmwareInventory": {"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/"},
                "HttpPushUri": "/cgi-bin/uploadFile",
                "Id": "UpdateService",
                "Name": "Update Service",
                "Oem": {"Hpe": {"State": "Writing", "FlashProgressPercent": 37, "Result": {"MessageId": "iLO.2.25.UpdateInProgress"}}},
                "ServiceEnabled": true,
                "SoftwareInventory": {"@odata.id": "/redfish/v1/UpdateService/SoftwareInventory/"}
            }"##,
        );
        assert_eq!(
            us.oem_at(&["Hpe", "State"]).and_then(Value::as_str),
            Some("Writing")
        );
        assert_eq!(us.http_push_uri.as_deref(), Some("/cgi-bin/uploadFile"));
        assert_eq!(us.multipart_http_push_uri, None);
    }

    #[test]
    fn unknown_transfer_protocol_does_not_fail() {
        let a: SimpleUpdateAction = check(
            r##"{"target": "/t", "TransferProtocol@Redfish.AllowableValues": ["HTTPS", "HTTP2", null]}"##,
        );
        assert_eq!(
            a.transfer_protocol_allowable_values,
            [
                TransferProtocol::Https,
                TransferProtocol::Other("HTTP2".into())
            ]
        );
    }

    #[test]
    fn simple_update_request_body() {
        let mut body = SimpleUpdateRequest::new("https://10.0.0.1:8443/images/bmc-2.15.bin");
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"ImageURI": "https://10.0.0.1:8443/images/bmc-2.15.bin"})
        );
        body.transfer_protocol = Some(TransferProtocol::Https);
        body.targets = vec!["/redfish/v1/UpdateService/FirmwareInventory/BMC".into()];
        body.operation_apply_time = Some(ApplyTime::OnReset);
        body.username = Some("fwfleet".into());
        body.password = Some("s3cret".into());
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({
                "ImageURI": "https://10.0.0.1:8443/images/bmc-2.15.bin",
                "TransferProtocol": "HTTPS",
                "Targets": ["/redfish/v1/UpdateService/FirmwareInventory/BMC"],
                "Username": "fwfleet",
                "Password": "s3cret",
                "@Redfish.OperationApplyTime": "OnReset"
            })
        );
        let debug = format!("{body:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
    }

    #[test]
    fn update_parameters_always_carry_targets() {
        let dell = UpdateParameters {
            operation_apply_time: Some(ApplyTime::Immediate),
            oem: Some(json!({})),
            ..UpdateParameters::default()
        };
        assert_eq!(
            serde_json::to_value(&dell).unwrap(),
            json!({"Targets": [], "@Redfish.OperationApplyTime": "Immediate", "Oem": {}})
        );
        let supermicro = UpdateParameters {
            targets: vec!["/redfish/v1/Systems/1/Bios".into()],
            operation_apply_time: Some(ApplyTime::OnStartUpdateRequest),
            oem: Some(json!({"Supermicro": {"BIOS": {"PreserveME": true, "PreserveNVRAM": true}}})),
            ..UpdateParameters::default()
        };
        let value = serde_json::to_value(&supermicro).unwrap();
        assert_eq!(value["@Redfish.OperationApplyTime"], "OnStartUpdateRequest");
        assert_eq!(value["Targets"][0], "/redfish/v1/Systems/1/Bios");
        assert_eq!(value["Oem"]["Supermicro"]["BIOS"]["PreserveME"], true);
    }
}
