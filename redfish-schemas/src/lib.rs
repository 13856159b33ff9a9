//! Typed, tolerant serde models of the DMTF Redfish resources fwfleet reads.
//!
//! Each type cites its DMTF schema and version (DSP8010 release 2025.4) and
//! holds only the properties the client uses. Decoding is tolerant by design,
//! because real BMCs deviate from the schemas (see `shared/redfish/NOTES.md` §7):
//! unknown properties are ignored, `Oem` objects are kept raw as
//! `serde_json::Value`, `null` means the same as absent, properties that vendors
//! omit are `Option`, and enums never fail (unknown values land in `Other`).
//! Models derive `Serialize` too, producing the same property names, so a
//! decoded value can be logged or re-emitted as Redfish JSON.
//!
//! Decode response bodies with [`decode`]: its [`DecodeError`] names the JSON
//! path of the value that did not fit.
//!
//! ```
//! use redfish_schemas::{decode, Task, TaskState};
//!
//! let body = br#"{"@odata.id": "/redfish/v1/TaskService/Tasks/JID_1", "Id": "JID_1",
//!                 "TaskState": "Downloading", "PercentComplete": 5,
//!                 "Messages": [{"MessageId": "Update.1.3.TransferringToComponent"}]}"#;
//! let task: Task = decode(body)?;
//! assert_eq!(task.task_state, Some(TaskState::Other("Downloading".into())));
//! assert!(task.messages[0].is("Update", "TransferringToComponent"));
//!
//! let err = decode::<Task>(br#"{"@odata.id": "/t", "Id": "1", "PercentComplete": 5,
//!                              "Messages": [{"MessageId": 7}]}"#).unwrap_err();
//! assert_eq!(err.path(), "Messages[0].MessageId");
//! # Ok::<(), redfish_schemas::DecodeError>(())
//! ```
//!
//! # Module map
//!
//! - `decode` — [`decode`] / [`decode_value`] and [`DecodeError`]: serde_json
//!   plus `serde_path_to_error`, so errors say *where* (`Messages[2].MessageId`).
//! - `common` — what every resource shares: [`ODataId`] links, [`Status`],
//!   [`Collection`] (tolerates `Members: null` and a missing count), [`Action`]
//!   and [`ResetAction`], [`OperationApplyTimeSupport`], the lenient enums
//!   [`Health`], [`State`], [`PowerState`], [`ResetType`], [`ApplyTime`], and
//!   [`oem_at`] for reading raw `Oem` objects.
//! - `service_root` — [`ServiceRoot`] (`/redfish/v1/`): navigation links,
//!   `Vendor`/`Product`/`RedfishVersion` for platform classification,
//!   `ProtocolFeaturesSupported.ExpandQuery`, `Links.Sessions`.
//! - `session` — [`SessionService`], [`Session`] and the login body
//!   [`SessionCreateRequest`] (password redacted in `Debug`).
//! - `update_service` — [`UpdateService`] with SimpleUpdate/StartUpdate actions,
//!   push URIs and apply-time support; request bodies [`SimpleUpdateRequest`]
//!   and multipart [`UpdateParameters`].
//! - `action_info` — [`ActionInfo`], the parameter list an action's
//!   `@Redfish.ActionInfo` points to.
//! - `software_inventory` — [`SoftwareInventory`], one firmware/software image
//!   (FirmwareInventory and SoftwareInventory members).
//! - `system` — [`ComputerSystem`]: host identity, BIOS version, reset action.
//! - `manager` — [`Manager`]: BMC firmware version, model, reset action.
//! - `task` — [`TaskService`], [`Task`] and the lenient [`TaskState`].
//! - `message` — [`Message`] (both `MessageSeverity` and `Severity`) and
//!   [`MessageIdParts`] / [`message_key`] for matching ids without the
//!   registry version.
//! - `response` — non-resource bodies: the error envelope [`RedfishError`]
//!   (also Supermicro's capital `Message`) and [`ActionResponse`] for whatever
//!   a BMC returns from an action or push (Task, bare ExtendedInfo,
//!   Supermicro's `Accepted`).
//!
//! Internal: `lenient` (the `lenient_enum!` macro) and `de` (field
//! deserializers that turn `null` into empty and accept sloppy scalars).

#[macro_use]
mod lenient;
#[macro_use]
mod common;

mod action_info;
mod de;
mod decode;
mod manager;
mod message;
mod response;
mod service_root;
mod session;
mod software_inventory;
mod system;
mod task;
mod update_service;

pub use action_info::{ActionInfo, ActionInfoParameter};
pub use common::{
    oem_at, Action, ApplyTime, Collection, Health, ODataId, OperationApplyTimeSupport, PowerState,
    ResetAction, ResetType, State, Status,
};
pub use decode::{decode, decode_value, DecodeError};
pub use manager::{Manager, ManagerActions, ManagerLinks, ManagerType};
pub use message::{message_key, Message, MessageIdParts};
pub use response::{ActionResponse, ErrorBody, RedfishError};
pub use service_root::{ExpandQuery, ProtocolFeaturesSupported, ServiceRoot, ServiceRootLinks};
pub use session::{Session, SessionCreateRequest, SessionService, SessionType};
pub use software_inventory::{
    AdditionalVersions, DellSoftwareInventory, SoftwareInventory, SoftwareInventoryActions,
    SoftwareInventoryCollection, SoftwareInventoryLinks, VersionScheme,
};
pub use system::{ComputerSystem, ComputerSystemActions};
pub use task::{Task, TaskCollection, TaskLinks, TaskPayload, TaskService, TaskState};
pub use update_service::{
    HttpPushUriApplyTime, HttpPushUriOptions, SimpleUpdateAction, SimpleUpdateRequest,
    TransferProtocol, UpdateParameters, UpdateService, UpdateServiceActions,
};

#[cfg(test)]
mod test_support {
    use std::fmt::Debug;

    use serde::de::DeserializeOwned;
    use serde::Serialize;

    /// Decodes `json` through [`crate::decode`], then checks that serializing
    /// and decoding again gives the same value (the `Serialize` side uses the
    /// same property names as the `Deserialize` side).
    pub(crate) fn check<T>(json: &str) -> T
    where
        T: DeserializeOwned + Serialize + PartialEq + Debug,
    {
        let decoded: T =
            crate::decode(json.as_bytes()).unwrap_or_else(|e| panic!("{e}: {}\n{json}", e.inner()));
        let encoded = serde_json::to_vec(&decoded).expect("serialize");
        let again: T = crate::decode(&encoded).unwrap_or_else(|e| {
            panic!(
                "re-decoding failed: {e}: {}\n{}",
                e.inner(),
                String::from_utf8_lossy(&encoded)
            )
        });
        assert_eq!(decoded, again, "round trip changed the value");
        decoded
    }
}
