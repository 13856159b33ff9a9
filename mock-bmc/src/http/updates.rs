//! HTTP side of updates: SimpleUpdate, StartUpdate, multipart and raw push,
//! and task monitors — with each persona's request rules and 202 shapes.

use super::error::RedfishError;
use super::{authenticate, json_response, tree};
use crate::bmc::Bmc;
use crate::field::flow::{self, Extra, Via};
use crate::image::ImageVerifier;
use crate::persona::Persona;
use crate::state::BmcState;
use crate::tasks::TaskState;
use crate::update::{self, ApplyTime, Source, UpdateRequest};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;
use tokio::io::AsyncWriteExt;

const SIMPLE: &str = "UpdateService.SimpleUpdate";

fn bad(key: &str, args: &[&str]) -> RedfishError {
    RedfishError::base(StatusCode::BAD_REQUEST, key, args)
}

fn apply_time_of(st: &BmcState, v: Option<&Value>, what: &str) -> Result<ApplyTime, RedfishError> {
    let p = st.machine.persona;
    let name = match v {
        None => {
            return ApplyTime::parse(p.apply_times()[0]).ok_or_else(|| bad("InternalError", &[]))
        }
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(bad(
                "ActionParameterValueTypeError",
                &[&other.to_string(), "@Redfish.OperationApplyTime", what],
            ))
        }
    };
    match ApplyTime::parse(name) {
        Some(t) if p.apply_times().contains(&name) => Ok(t),
        _ => Err(bad(
            "ActionParameterValueNotInList",
            &[name, "@Redfish.OperationApplyTime", what],
        )),
    }
}

fn targets_of(st: &BmcState, v: Option<&Value>, what: &str) -> Result<Vec<String>, RedfishError> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let arr = v.as_array().ok_or_else(|| {
        bad(
            "ActionParameterValueTypeError",
            &[&v.to_string(), "Targets", what],
        )
    })?;
    let mut keys = Vec::new();
    for t in arr {
        let uri = t.as_str().ok_or_else(|| {
            bad(
                "ActionParameterValueTypeError",
                &[&t.to_string(), "Targets", what],
            )
        })?;
        for k in update::resolve_target(st, uri, what)? {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    Ok(keys)
}

fn force_of(v: Option<&Value>, what: &str) -> Result<bool, RedfishError> {
    match v {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(o) => Err(bad(
            "ActionParameterValueTypeError",
            &[&o.to_string(), "ForceUpdate", what],
        )),
    }
}

fn is_loopback_url(url: &str) -> bool {
    let Some(rest) = url.split_once("://").map(|(_, r)| r) else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(h) = host.strip_prefix('[') {
        h.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `POST …/UpdateService.SimpleUpdate`.
pub fn simple_update(
    bmc: &Arc<Bmc>,
    st: &mut BmcState,
    v: &Value,
) -> Result<Response, RedfishError> {
    let p = st.machine.persona;
    flow::licensed(st)?;
    if let Some(obj) = v.as_object() {
        for k in obj.keys() {
            let known = [
                "ImageURI",
                "TransferProtocol",
                "Targets",
                "Username",
                "Password",
                "ForceUpdate",
                "@Redfish.OperationApplyTime",
            ];
            if !known.contains(&k.as_str()) {
                return Err(bad("ActionParameterUnknown", &[SIMPLE, k]));
            }
        }
    }
    let uri = match v.get("ImageURI") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(o) => {
            return Err(bad(
                "ActionParameterValueTypeError",
                &[&o.to_string(), "ImageURI", SIMPLE],
            ))
        }
        None => return Err(bad("ActionParameterMissing", &[SIMPLE, "ImageURI"])),
    };
    // iDRAC rollback: `ImageURI` names a kept `Previous-…` entry
    // (dellemc-openmanage-ansible-modules `redfish_firmware_rollback`).
    if let Some((source, target)) = update::kept_source(st, &uri)? {
        let req = UpdateRequest {
            source,
            targets: vec![target],
            apply_time: apply_time_of(st, v.get("@Redfish.OperationApplyTime"), SIMPLE)?,
            force: force_of(v.get("ForceUpdate"), SIMPLE)?,
            via: super::tree::SIMPLE_UPDATE.to_string(),
        };
        if bmc.config.is_field() {
            flow::before_transfer(st, Via::SimpleUpdate)?;
            let id = flow::accept(bmc, st, req, Via::SimpleUpdate, Extra::default());
            return Ok(field_response(st, id.as_deref()));
        }
        let id = update::accept(bmc, st, req);
        return Ok(after_accept(st, accepted(st, &id)));
    }
    let protocol = match v.get("TransferProtocol") {
        None => None,
        Some(Value::String(s)) if p.transfer_protocols().contains(&s.as_str()) => Some(s.clone()),
        Some(Value::String(s)) => {
            return Err(bad(
                "ActionParameterValueNotInList",
                &[s, "TransferProtocol", SIMPLE],
            ))
        }
        Some(o) => {
            return Err(bad(
                "ActionParameterValueTypeError",
                &[&o.to_string(), "TransferProtocol", SIMPLE],
            ))
        }
    };
    // A scheme in ImageURI wins; otherwise TransferProtocol names it; otherwise HTTP.
    let url = if uri.contains("://") {
        uri.clone()
    } else {
        format!(
            "{}://{uri}",
            protocol.as_deref().unwrap_or("HTTP").to_ascii_lowercase()
        )
    };
    let scheme = url.split("://").next().unwrap_or("").to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(bad(
            "SourceDoesNotSupportProtocol",
            &[&uri, &scheme.to_ascii_uppercase()],
        ));
    }
    if !bmc.config.allow_remote_images && !is_loopback_url(&url) {
        return Err(RedfishError::base(
            StatusCode::BAD_REQUEST,
            "AccessDenied",
            &[&url],
        ));
    }
    let str_field = |name: &str| -> Result<Option<String>, RedfishError> {
        match v.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(o) => Err(bad(
                "ActionParameterValueTypeError",
                &[&o.to_string(), name, SIMPLE],
            )),
        }
    };
    let req = UpdateRequest {
        source: Source::Download {
            url,
            username: str_field("Username")?,
            password: str_field("Password")?,
        },
        targets: targets_of(st, v.get("Targets"), SIMPLE)?,
        apply_time: apply_time_of(st, v.get("@Redfish.OperationApplyTime"), SIMPLE)?,
        force: force_of(v.get("ForceUpdate"), SIMPLE)?,
        via: super::tree::SIMPLE_UPDATE.to_string(),
    };
    if bmc.config.is_field() {
        flow::before_transfer(st, Via::SimpleUpdate)?;
        let id = flow::accept(bmc, st, req, Via::SimpleUpdate, Extra::default());
        return Ok(field_response(st, id.as_deref()));
    }
    if update::busy(st) {
        return Err(RedfishError::unavailable(30));
    }
    let id = update::accept(bmc, st, req);
    Ok(after_accept(st, accepted(st, &id)))
}

/// The opt-in faults that spoil the answer to an update the BMC did take.
fn after_accept(st: &BmcState, resp: Response) -> Response {
    if crate::faults::Faults::on(st.faults.drop_after_accept) {
        return super::dropped_connection();
    }
    if crate::faults::Faults::on(st.faults.error_500_after_accept) {
        // bmcweb answers InternalError when its wait for the image times out,
        // although the image was taken ("FW image may has already been uploaded").
        return RedfishError::base(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", &[])
            .into_response();
    }
    resp
}

/// A field BMC's answer: the 202 of its task, or iLO's bare 200 (legacy
/// variant, refused image types).
fn field_response(st: &BmcState, id: Option<&str>) -> Response {
    let resp = match id {
        Some(id) => accepted(st, id),
        None => json_response(
            StatusCode::OK,
            &json!({"@Message.ExtendedInfo": [crate::messages::message(crate::messages::Registry::Base, "Success", &[])]}),
            None,
        ),
    };
    after_accept(st, resp)
}

/// The raw `HttpPushUri` this BMC takes, if any.
pub fn raw_push_uri(bmc: &Bmc, st: &BmcState) -> Option<&'static str> {
    use crate::persona::Variant;
    let m = &st.machine;
    if bmc.config.is_field() {
        match (m.persona, m.variant) {
            (Persona::Xcc, Variant::Standard) => return Some("/fwupdate"),
            (Persona::Generic, Variant::LegacyLayout | Variant::Standard) => {
                return Some("/FWUpdate")
            }
            _ => {}
        }
    }
    m.persona.raw_push_uri()
}

/// The `MultipartHttpPushUri` this BMC takes, if any (none in the legacy layout).
pub fn multipart_uri(bmc: &Bmc, st: &BmcState) -> Option<&'static str> {
    if bmc.config.is_field() && st.machine.variant == crate::persona::Variant::LegacyLayout {
        return None;
    }
    Some(st.machine.persona.multipart_push_uri())
}

/// The 202 for a new task, in the persona's shape.
pub fn accepted(st: &BmcState, id: &str) -> Response {
    let Some(task) = st.tasks.get(id) else {
        return RedfishError::base(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", &[])
            .into_response();
    };
    if st.machine.persona == Persona::Supermicro {
        // Supermicro answers with its own envelope; the task is only in MessageArgs.
        let body = json!({"Accepted": {
            "code": "Base.v1_4_0.Accepted",
            "Message": "Successfully Accepted Request. Please see the location header and ExtendedInfo for more information.",
            "@Message.ExtendedInfo": [{
                "MessageId": "SMC.1.0.OemSimpleupdateAcceptedMessage",
                "Severity": "Ok",
                "Resolution": "No resolution was required.",
                "Message": format!("Please also check Task Resource {}", task.uri()),
                "MessageArgs": [task.uri()],
                "RelatedProperties": [""],
            }],
        }});
        return json_response(StatusCode::ACCEPTED, &body, None);
    }
    let mut resp = json_response(StatusCode::ACCEPTED, &task.json(), None);
    add_monitor_headers(&mut resp, &task.monitor);
    resp
}

fn add_monitor_headers(resp: &mut Response, monitor: &str) {
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(monitor) {
        h.insert(header::LOCATION, v);
    }
    h.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
}

/// GET on a task monitor; `None` when `path` is no monitor.
pub fn monitor_get(st: &mut BmcState, path: &str) -> Option<Response> {
    let id = st
        .tasks
        .values()
        .find(|t| t.monitor == path && !t.monitor.starts_with(crate::tasks::TASKS))?
        .id
        .clone();
    let persona = st.machine.persona;
    let t = st.tasks.get_mut(&id)?;
    if t.monitor_done {
        return Some(RedfishError::not_found(path).into_response());
    }
    if !t.state.is_terminal() {
        let mut resp = json_response(StatusCode::ACCEPTED, &t.json(), None);
        add_monitor_headers(&mut resp, &t.monitor);
        return Some(resp);
    }
    t.monitor_done = true;
    Some(match persona {
        // iLO: the monitor is gone the moment the task finishes.
        Persona::Ilo => RedfishError::not_found(path).into_response(),
        // bmcweb: 204 once.
        Persona::Openbmc => StatusCode::NO_CONTENT.into_response(),
        _ => json_response(StatusCode::OK, &t.json(), None),
    })
}

/// DELETE on a monitor or a task: cancel a running task, remove a finished one.
pub fn delete_task(st: &mut BmcState, path: &str) -> Option<Result<Response, RedfishError>> {
    let id = st
        .tasks
        .values()
        .find(|t| t.monitor == path || t.uri() == path)?
        .id
        .clone();
    let t = st.tasks.get_mut(&id)?;
    if t.state.is_terminal() {
        st.tasks.remove(&id);
        st.task_order.retain(|i| i != &id);
        return Some(Ok(StatusCode::NO_CONTENT.into_response()));
    }
    if t.committed {
        return Some(Err(RedfishError::base(
            StatusCode::CONFLICT,
            "ResourceInUse",
            &[],
        )));
    }
    t.state = TaskState::Cancelling;
    t.monitor_done = true;
    // Held updates never run again once cancelled.
    let held_here = st.awaiting_start.iter().any(|h| h.task_id == id)
        || st.awaiting_reset.iter().any(|h| h.task_id == id);
    if held_here {
        st.awaiting_start.retain(|h| h.task_id != id);
        st.awaiting_reset.retain(|h| h.task_id != id);
        if let Some(t) = st.tasks.get_mut(&id) {
            t.set_state(TaskState::Cancelled);
        }
    }
    let body = st.tasks.get(&id).map(|t| t.json()).unwrap_or(Value::Null);
    Some(Ok(json_response(StatusCode::OK, &body, None)))
}

/// Read the whole request as a push: multipart (`UpdateParameters` + `UpdateFile`) or raw.
pub async fn push(bmc: Arc<Bmc>, req: Request, multipart: bool) -> Response {
    match push_inner(&bmc, req, multipart).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

struct Upload {
    path: std::path::PathBuf,
    bytes: u64,
    verdict: Result<crate::image::ImageHeader, String>,
    name: String,
    discarded: bool,
}

async fn push_inner(
    bmc: &Arc<Bmc>,
    req: Request,
    multipart: bool,
) -> Result<Response, RedfishError> {
    let uri = req.uri().path().to_string();
    let what = if multipart {
        "MultipartHttpPushUri"
    } else {
        "HttpPushUri"
    };
    {
        let mut st = bmc.lock();
        authenticate(bmc, &mut st, req.headers(), &uri)?;
        flow::licensed(&st)?;
        if bmc.config.is_field() {
            let via = if multipart {
                Via::Multipart
            } else {
                Via::RawPush
            };
            flow::before_transfer(&st, via)?;
        } else if update::busy(&st) {
            return Err(RedfishError::unavailable(30));
        }
    }
    let max = bmc.config.max_image_size;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max + 64 * 1024) {
        return Err(RedfishError::base(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PayloadTooLarge",
            &[],
        ));
    }
    let persona = bmc.lock().machine.persona;
    if !multipart {
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !ct.starts_with("application/octet-stream") {
            return Err(bad("HeaderInvalid", &["Content-Type"]));
        }
        let stream = req
            .into_body()
            .into_data_stream()
            .map(|c| c.map_err(std::io::Error::other));
        let up = receive(bmc, stream, "image.bin".into(), max).await?;
        let req = UpdateRequest {
            source: source_of(up),
            targets: {
                let st = bmc.lock();
                if persona == Persona::Openbmc || !bmc.config.is_field() {
                    update::resolve_target(
                        &st,
                        &tree::Paths::of_machine(&st.machine).manager,
                        what,
                    )?
                } else {
                    // XCC: the targets a client PATCHed into HttpPushUriTargets, else the image's kind.
                    let mut keys = Vec::new();
                    for t in st.field.http_push_targets.clone() {
                        keys.extend(update::resolve_target(&st, &t, what)?);
                    }
                    keys
                }
            },
            apply_time: ApplyTime::Immediate,
            force: false,
            via: uri.clone(),
        };
        let mut st = bmc.lock();
        if bmc.config.is_field() {
            let id = flow::accept(bmc, &mut st, req, Via::RawPush, Extra::default());
            return Ok(field_response(&st, id.as_deref()));
        }
        let id = update::accept(bmc, &mut st, req);
        return Ok(after_accept(&st, accepted(&st, &id)));
    }
    let mut mp = Multipart::from_request(req, &())
        .await
        .map_err(|e| bad("MalformedJSON", &[]).with_detail(&e.to_string()))?;
    let mut params: Option<Value> = None;
    let mut oem_parameters: Option<Value> = None;
    let mut upload: Option<Upload> = None;
    while let Some(field) = mp.next_field().await.map_err(|e| {
        bad("GeneralError", &[]).with_detail(&format!("reading multipart body: {e}"))
    })? {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "UpdateParameters" => {
                let text = field
                    .text()
                    .await
                    .map_err(|e| bad("GeneralError", &[]).with_detail(&e.to_string()))?;
                let v: Value =
                    serde_json::from_str(&text).map_err(|_| bad("MalformedJSON", &[]))?;
                if !v.is_object() {
                    return Err(bad("MalformedJSON", &[]));
                }
                params = Some(v);
            }
            "UpdateFile" => {
                let filename = field.file_name().unwrap_or("").to_string();
                if persona == Persona::Idrac && (filename.contains('/') || filename.contains('\\'))
                {
                    // iDRAC wants the base name only.
                    return Err(bad(
                        "ActionParameterValueFormatError",
                        &[&filename, "UpdateFile", what],
                    ));
                }
                let stream = field.map(|c| c.map_err(std::io::Error::other));
                upload = Some(receive(bmc, stream, filename, max).await?);
            }
            n if n.starts_with("Oem") => {
                let bytes = field.bytes().await.unwrap_or_default();
                if n == "OemParameters" {
                    oem_parameters = Some(
                        serde_json::from_slice(&bytes).unwrap_or(Value::Object(Default::default())),
                    );
                }
            }
            other => return Err(bad("ActionParameterUnknown", &[what, other])),
        }
    }
    let params = params.ok_or_else(|| bad("PropertyMissing", &["UpdateParameters"]))?;
    let up = upload.ok_or_else(|| bad("PropertyMissing", &["UpdateFile"]))?;
    let cleanup = |up: &Upload| {
        let _ = std::fs::remove_file(&up.path);
    };
    let is_field = bmc.config.is_field();
    let variant = bmc.config.machine.variant;
    let checked = (|| {
        let st = bmc.lock();
        if is_field {
            field_rules(persona, variant, &params, oem_parameters.as_ref())?;
        } else {
            persona_rules(persona, &params)?;
        }
        let apply = match params.get("@Redfish.OperationApplyTime") {
            // bmcweb defaults multipart pushes to OnReset (updateMultipartContext).
            None if is_field && persona == Persona::Openbmc => ApplyTime::OnReset,
            v => apply_time_of(&st, v, what)?,
        };
        let req = UpdateRequest {
            source: Source::Discarded {
                bytes: 0,
                name: String::new(),
            },
            targets: targets_of(&st, params.get("Targets"), what)?,
            apply_time: apply,
            force: force_of(params.get("ForceUpdate"), what)?,
            via: uri.clone(),
        };
        Ok::<_, RedfishError>(req)
    })();
    let mut req = match checked {
        Ok(r) => r,
        Err(e) => {
            cleanup(&up);
            return Err(e);
        }
    };
    if persona == Persona::Openbmc && req.targets.len() > 1 {
        cleanup(&up);
        return Err(bad("PropertyValueFormatError", &["Targets", "Targets"]));
    }
    req.source = source_of(up);
    let mut st = bmc.lock();
    if is_field {
        if persona == Persona::Openbmc && params.get("@Redfish.OperationApplyTime").is_some() {
            // The multipart apply time is written to the service-wide setting the
            // raw push follows (bmcweb setApplyTime).
            st.field.http_push_apply_time = req.apply_time;
        }
        let extra = Extra {
            preserve: preserve_flags(&params),
            oem_parameters: oem_parameters.clone(),
            flash_type: oem_parameters
                .as_ref()
                .and_then(|o| o.get("FlashType"))
                .and_then(Value::as_str)
                .map(str::to_string),
        };
        if variant == crate::persona::Variant::Ami {
            // AMI Lenovo: FlashType picks the firmware; Targets is always the
            // manager (lenovo_update_firmware.py sends Managers/Self for both).
            let paths = tree::Paths::of_machine(&st.machine);
            let uri = match extra.flash_type.as_deref() {
                Some("UEFIUpdate") => paths.system,
                _ => paths.manager,
            };
            req.targets = update::resolve_target(&st, &uri, what)?;
        }
        let id = flow::accept(bmc, &mut st, req, Via::Multipart, extra);
        return Ok(field_response(&st, id.as_deref()));
    }
    let id = update::accept(bmc, &mut st, req);
    Ok(after_accept(&st, accepted(&st, &id)))
}

/// `Oem.Supermicro.BMC` / `.BIOS` booleans of an UpdateParameters part.
fn preserve_flags(params: &Value) -> std::collections::BTreeMap<String, bool> {
    let mut out = std::collections::BTreeMap::new();
    if let Some(smc) = params.pointer("/Oem/Supermicro").and_then(Value::as_object) {
        for section in smc.values().filter_map(Value::as_object) {
            for (k, v) in section {
                if let Some(b) = v.as_bool() {
                    out.insert(k.clone(), b);
                }
            }
        }
    }
    out
}

/// What each family insists on in a multipart push under the field behaviour.
fn field_rules(
    p: Persona,
    v: crate::persona::Variant,
    params: &Value,
    oem_parameters: Option<&Value>,
) -> Result<(), RedfishError> {
    match (p, v) {
        // XCC takes the standard form (lenovo/python-redfish-lenovo update_firmware.py).
        (Persona::Xcc, crate::persona::Variant::Standard) => Ok(()),
        // The AMI-based Lenovo servers want OemParameters with a FlashType
        // (lenovo_update_firmware.py; FIELD-NOTES B4.21).
        (Persona::Xcc, crate::persona::Variant::Ami) => {
            let ft = oem_parameters
                .and_then(|o| o.get("FlashType"))
                .and_then(Value::as_str);
            match ft {
                Some("HPMFwUpdate" | "UEFIUpdate") => Ok(()),
                Some(other) => Err(bad(
                    "PropertyValueNotInList",
                    &[other, "OemParameters/FlashType"],
                )),
                None => Err(bad("PropertyMissing", &["OemParameters"])),
            }
        }
        _ => persona_rules(p, params),
    }
}

fn source_of(up: Upload) -> Source {
    if up.discarded {
        Source::Discarded {
            bytes: up.bytes,
            name: up.name,
        }
    } else {
        Source::Uploaded {
            path: up.path,
            verdict: up.verdict,
            name: up.name,
        }
    }
}

/// What each family insists on in a multipart push (NOTES §7, FIELD-NOTES B4).
fn persona_rules(p: Persona, params: &Value) -> Result<(), RedfishError> {
    let what = "MultipartHttpPushUri";
    let targets = params
        .get("Targets")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    match p {
        Persona::Idrac => {
            if params.get("Oem").is_none() {
                return Err(bad("PropertyMissing", &["Oem"]));
            }
            if targets > 0 {
                return Err(bad("ActionParameterNotSupported", &["Targets", what]));
            }
        }
        Persona::Supermicro => {
            if targets != 1 {
                return Err(bad("PropertyMissing", &["Targets"]));
            }
            if params
                .get("@Redfish.OperationApplyTime")
                .and_then(Value::as_str)
                != Some("OnStartUpdateRequest")
            {
                return Err(bad("PropertyMissing", &["@Redfish.OperationApplyTime"]));
            }
        }
        // XCC takes the standard form (pubs.lenovo.com xcc2-restapi
        // `simple_update_firmware_post_multi_httppush`); the `OemParameters`
        // part is the AMI-based Lenovo servers' (`field_rules`).
        Persona::Xcc if params.get("Oem").is_some() => {
            return Err(bad("ActionParameterUnknown", &[what, "Oem"]));
        }
        _ => {}
    }
    Ok(())
}

/// Stream an image to the work dir (or count it, under `discard_uploads`),
/// verifying as it arrives; 413 past `MaxImageSizeBytes`.
async fn receive<S>(
    bmc: &Arc<Bmc>,
    mut stream: S,
    name: String,
    max: u64,
) -> Result<Upload, RedfishError>
where
    S: futures::Stream<Item = Result<axum::body::Bytes, std::io::Error>> + Unpin,
{
    let faults = bmc.lock().faults.clone();
    let discard = crate::faults::Faults::on(faults.discard_uploads);
    let path = bmc
        .work_dir()
        .join(format!("upload-{}.img", crate::state::random_token()));
    let io = |e: std::io::Error| {
        RedfishError::base(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", &[])
            .with_detail(&e.to_string())
    };
    let mut file = if discard {
        None
    } else {
        Some(tokio::fs::File::create(&path).await.map_err(io)?)
    };
    let mut verifier = ImageVerifier::new();
    let mut verdict: Result<(), String> = Ok(());
    let mut total = 0u64;
    let started = Instant::now();
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                let _ = tokio::fs::remove_file(&path).await;
                return Err(
                    bad("GeneralError", &[]).with_detail(&format!("upload interrupted: {e}"))
                );
            }
        };
        total += chunk.len() as u64;
        if total > max {
            drop(file.take());
            let _ = tokio::fs::remove_file(&path).await;
            return Err(RedfishError::base(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PayloadTooLarge",
                &[],
            ));
        }
        if let Some(f) = file.as_mut() {
            if verdict.is_ok() {
                verdict = verifier.update(&chunk).map_err(|e| e.to_string());
            }
            f.write_all(&chunk).await.map_err(io)?;
        }
        update::throttle(started, total, faults.upload_bandwidth).await;
    }
    if let Some(mut f) = file {
        f.flush().await.map_err(io)?;
    }
    let verdict = match verdict {
        Ok(()) if !discard => verifier.finish().map_err(|e| e.to_string()),
        Ok(()) => Err("discarded".into()),
        Err(e) => Err(e),
    };
    Ok(Upload {
        path,
        bytes: total,
        verdict,
        name,
        discarded: discard,
    })
}
