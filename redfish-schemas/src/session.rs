//! Session login: the SessionService, a Session, and the login request body.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::common::{ODataId, Status};
use crate::de;

/// `SessionService.v1_2_0.SessionService` (DSP8010 2025.4),
/// `/redfish/v1/SessionService`.
///
/// Everything but the identity is optional: the timeouts are informational and
/// `AbsoluteSessionTimeout*` only exist since v1_2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SessionService {
    /// `/redfish/v1/SessionService`.
    #[serde(rename = "@odata.id")]
    pub odata_id: String,
    /// `#SessionService.v1_x_y.SessionService`; optional (NOTES §7.6).
    #[serde(rename = "@odata.type", skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<String>,
    /// Usually `SessionService`.
    pub id: String,
    /// Display name; optional (NOTES §7.6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Whether sessions can be created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_enabled: Option<bool>,
    /// Seconds of inactivity before a session expires (schema: 30–86400).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_timeout: Option<u64>,
    /// Seconds after creation before a session expires regardless of activity (v1_2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub absolute_session_timeout: Option<u64>,
    /// Whether `AbsoluteSessionTimeout` applies (v1_2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub absolute_session_timeout_enabled: Option<bool>,
    /// `SessionCollection` (must equal ServiceRoot `Links.Sessions`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sessions: Option<ODataId>,
    /// Vendor extensions, kept raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oem: Option<Value>,
}

lenient_enum! {
    /// `Session.SessionTypes` (Session.v1_8_0).
    pub enum SessionType {
        /// Host console.
        HostConsole => "HostConsole",
        /// Manager console.
        ManagerConsole => "ManagerConsole",
        /// IPMI.
        Ipmi => "IPMI",
        /// KVM-IP.
        Kvmip => "KVMIP",
        /// OEM-defined; see `OemSessionType`.
        Oem => "OEM",
        /// A Redfish session (ours).
        Redfish => "Redfish",
        /// Virtual media.
        VirtualMedia => "VirtualMedia",
        /// Web UI.
        WebUi => "WebUI",
        /// Outbound connection (v1_7).
        OutboundConnection => "OutboundConnection",
    }
}

/// `Session.v1_8_0.Session` (DSP8010 2025.4): the body of a successful login
/// (201, or 200 on some services) and of `GET .../Sessions/<id>`.
///
/// The token is in the `X-Auth-Token` header and the session URI in `Location`,
/// not here, so every property except the identity is optional; `Password` and
/// `Token` are always `null` in responses and are not modelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Session {
    /// URI of the session; DELETE it to log out.
    #[serde(rename = "@odata.id")]
    pub odata_id: String,
    /// `#Session.v1_x_y.Session`; optional (NOTES §7.6).
    #[serde(rename = "@odata.type", skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<String>,
    /// Session id.
    pub id: String,
    /// Display name; optional (NOTES §7.6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Account the session belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// Kind of session (v1_2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_type: Option<SessionType>,
    /// OEM session kind when `SessionType` is `OEM` (v1_2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oem_session_type: Option<String>,
    /// Client-supplied context (v1_5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Creation time, date-time string kept as sent (v1_4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_time: Option<String>,
    /// Expiration time, date-time string kept as sent (v1_8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_time: Option<String>,
    /// Client address as seen by the service (v1_3).
    #[serde(
        rename = "ClientOriginIPAddress",
        skip_serializing_if = "Option::is_none"
    )]
    pub client_origin_ip_address: Option<String>,
    /// Roles of the session's account (v1_7).
    #[serde(
        default,
        deserialize_with = "de::vec_skip_nulls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub roles: Vec<String>,
    /// Vendor extensions, kept raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oem: Option<Value>,
}

/// The login request body, `POST <Links.Sessions>` (Session.v1_8_0
/// `UserName`/`Password`, required on create; `Context` since v1_5).
///
/// Borrowed so the password is not copied; `Debug` prints `[redacted]` for it.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SessionCreateRequest<'a> {
    /// Account name.
    pub user_name: &'a str,
    /// Password.
    pub password: &'a str,
    /// Optional client context, echoed in the Session (v1_5); omitted when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<&'a str>,
}

impl<'a> SessionCreateRequest<'a> {
    /// A login body without `Context` (the form every BMC accepts).
    pub fn new(user_name: &'a str, password: &'a str) -> Self {
        Self {
            user_name,
            password,
            context: None,
        }
    }
}

impl fmt::Debug for SessionCreateRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionCreateRequest")
            .field("user_name", &self.user_name)
            .field("password", &"[redacted]")
            .field("context", &self.context)
            .finish()
    }
}

impl_oem_at!(SessionService, Session);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::check;

    #[test]
    fn session_service_openbmc() {
        let s: SessionService = check(
            r##"{
                "@odata.id": "/redfish/v1/SessionService",
                "@odata.type": "#SessionService.v1_0_2.SessionService",
                "Description": "Session Service",
                "Id": "SessionService",
                "Name": "Session Service",
                "ServiceEnabled": true,
                "SessionTimeout": 3600,
                "Sessions": {"@odata.id": "/redfish/v1/SessionService/Sessions"}
            }"##,
        );
        assert_eq!(s.session_timeout, Some(3600));
        assert_eq!(
            s.sessions.unwrap().as_str(),
            "/redfish/v1/SessionService/Sessions"
        );
    }

    #[test]
    fn login_response_with_null_password_and_roles() {
        // bmcweb-shaped 201 body.
        let s: Session = check(
            r##"{
                "@odata.id": "/redfish/v1/SessionService/Sessions/dTcwIMSK8t",
                "@odata.type": "#Session.v1_7_0.Session",
                "ClientOriginIPAddress": "10.0.0.10",
                "Description": "Manager User Session",
                "Id": "dTcwIMSK8t",
                "Name": "User Session",
                "Password": null,
                "Roles": ["Administrator"],
                "UserName": "root",
                "Context": null
            }"##,
        );
        assert_eq!(s.id, "dTcwIMSK8t");
        assert_eq!(s.user_name.as_deref(), Some("root"));
        assert_eq!(s.roles, ["Administrator"]);
        assert_eq!(s.context, None);
        assert_eq!(s.client_origin_ip_address.as_deref(), Some("10.0.0.10"));
    }

    #[test]
    fn session_type_is_lenient() {
        let s: Session = check(r##"{"@odata.id": "/s/1", "Id": "1", "SessionType": "Redfish"}"##);
        assert_eq!(s.session_type, Some(SessionType::Redfish));
        let s: Session = check(r##"{"@odata.id": "/s/2", "Id": "2", "SessionType": "SSH"}"##);
        assert_eq!(s.session_type, Some(SessionType::Other("SSH".into())));
    }

    #[test]
    fn login_request_body_and_redacted_debug() {
        let body = SessionCreateRequest::new("root", "0penBmc");
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"UserName": "root", "Password": "0penBmc"})
        );
        let debug = format!("{body:?}");
        assert!(!debug.contains("0penBmc"), "{debug}");
        assert!(debug.contains("[redacted]"));

        let with_context = SessionCreateRequest {
            context: Some("fwfleet"),
            ..body
        };
        assert_eq!(
            serde_json::to_value(&with_context).unwrap()["Context"],
            "fwfleet"
        );
    }
}
