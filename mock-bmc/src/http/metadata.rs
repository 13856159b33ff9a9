//! `/redfish/v1/$metadata` (CSDL) and `/redfish/v1/odata` (the OData service document).
//!
//! `$metadata` references exactly the DMTF schema files and versions the tree
//! emits, so a validator given the 2025.4 CSDL resolves every type offline.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

/// (schema file stem, namespaces to include). The unversioned namespace holds
/// the entity type; the versioned one is what `@odata.type` names.
const REFERENCES: &[(&str, &[&str])] = &[
    (
        "ServiceRoot",
        &["ServiceRoot", "ServiceRoot.v1_2_0", "ServiceRoot.v1_20_0"],
    ),
    (
        "SessionService",
        &["SessionService", "SessionService.v1_2_0"],
    ),
    ("Session", &["Session", "Session.v1_8_0"]),
    ("SessionCollection", &["SessionCollection"]),
    (
        "AccountService",
        &["AccountService", "AccountService.v1_18_1"],
    ),
    (
        "ManagerAccount",
        &["ManagerAccount", "ManagerAccount.v1_14_1"],
    ),
    ("ManagerAccountCollection", &["ManagerAccountCollection"]),
    ("Role", &["Role", "Role.v1_3_3"]),
    ("RoleCollection", &["RoleCollection"]),
    (
        "ComputerSystem",
        &["ComputerSystem", "ComputerSystem.v1_27_0"],
    ),
    ("ComputerSystemCollection", &["ComputerSystemCollection"]),
    ("Manager", &["Manager", "Manager.v1_24_0"]),
    ("ManagerCollection", &["ManagerCollection"]),
    ("Chassis", &["Chassis", "Chassis.v1_28_0"]),
    ("ChassisCollection", &["ChassisCollection"]),
    (
        "UpdateService",
        &[
            "UpdateService",
            "UpdateService.v1_2_0",
            "UpdateService.v1_17_0",
        ],
    ),
    (
        "SoftwareInventory",
        &[
            "SoftwareInventory",
            "SoftwareInventory.v1_2_0",
            "SoftwareInventory.v1_13_0",
        ],
    ),
    ("JobService", &["JobService", "JobService.v1_0_6"]),
    ("Job", &["Job", "Job.v1_2_4"]),
    ("JobCollection", &["JobCollection"]),
    (
        "SoftwareInventoryCollection",
        &["SoftwareInventoryCollection"],
    ),
    ("TaskService", &["TaskService", "TaskService.v1_3_0"]),
    ("Task", &["Task", "Task.v1_7_4"]),
    ("TaskCollection", &["TaskCollection"]),
    ("ActionInfo", &["ActionInfo", "ActionInfo.v1_5_0"]),
    ("Message", &["Message", "Message.v1_3_0"]),
    ("Settings", &["Settings", "Settings.v1_4_0"]),
    ("Resource", &["Resource", "Resource.v1_23_0"]),
    ("RedfishExtensions", &["RedfishExtensions.v1_0_0"]),
];

/// The CSDL document.
pub fn metadata_xml() -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <edmx:Edmx xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\" Version=\"4.0\">\n",
    );
    for (file, namespaces) in REFERENCES {
        xml.push_str(&format!(
            "  <edmx:Reference Uri=\"http://redfish.dmtf.org/schemas/v1/{file}_v1.xml\">\n"
        ));
        for ns in *namespaces {
            if *ns == "RedfishExtensions.v1_0_0" {
                xml.push_str(&format!(
                    "    <edmx:Include Namespace=\"{ns}\" Alias=\"Redfish\"/>\n"
                ));
            } else {
                xml.push_str(&format!("    <edmx:Include Namespace=\"{ns}\"/>\n"));
            }
        }
        xml.push_str("  </edmx:Reference>\n");
    }
    xml.push_str(
        "  <edmx:DataServices>\n\
         \x20   <Schema xmlns=\"http://docs.oasis-open.org/odata/ns/edm\" Namespace=\"Service\">\n\
         \x20     <EntityContainer Name=\"Service\" Extends=\"ServiceRoot.v1_20_0.ServiceContainer\"/>\n\
         \x20   </Schema>\n\
         \x20 </edmx:DataServices>\n\
         </edmx:Edmx>\n",
    );
    xml
}

pub fn metadata_response() -> Response {
    let mut resp = Response::new(Body::from(metadata_xml()));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    resp
}

/// The OData service document: the root and its direct children.
pub fn service_document() -> Value {
    let entries = [
        ("Service", "/redfish/v1/"),
        ("Systems", "/redfish/v1/Systems"),
        ("Chassis", "/redfish/v1/Chassis"),
        ("Managers", "/redfish/v1/Managers"),
        ("Tasks", "/redfish/v1/TaskService"),
        ("SessionService", "/redfish/v1/SessionService"),
        ("AccountService", "/redfish/v1/AccountService"),
        ("UpdateService", "/redfish/v1/UpdateService"),
        ("Sessions", "/redfish/v1/SessionService/Sessions"),
    ];
    let value: Vec<Value> = entries
        .iter()
        .map(|(name, url)| json!({"name": name, "kind": "Singleton", "url": url}))
        .collect();
    json!({"@odata.context": "/redfish/v1/$metadata", "value": value})
}
