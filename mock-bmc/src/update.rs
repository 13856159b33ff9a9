//! Firmware updates inside one BMC: accept a request, fetch or receive the
//! image, verify it, and apply, stage or hold it according to the apply time.
//!
//! The version a component reports after an update is the one written in the
//! image bytes the BMC actually received, so a client cannot pass a test by
//! believing its own request.

use crate::bmc::Bmc;
use crate::http::error::RedfishError;
use crate::image::{self, ImageHeader, ImageVerifier};
use crate::machine::{Kind, Role};
use crate::messages::Registry;
use crate::persona::Persona;
use crate::state::BmcState;
use crate::tasks::{Task, TaskState};
use axum::http::StatusCode;
use futures::StreamExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// When an accepted image takes effect (`@Redfish.OperationApplyTime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyTime {
    Immediate,
    OnReset,
    OnStartUpdateRequest,
}

impl ApplyTime {
    pub fn parse(s: &str) -> Option<ApplyTime> {
        match s {
            "Immediate" => Some(ApplyTime::Immediate),
            "OnReset" => Some(ApplyTime::OnReset),
            "OnStartUpdateRequest" => Some(ApplyTime::OnStartUpdateRequest),
            _ => None,
        }
    }
}

/// Where the image comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// SimpleUpdate: the BMC downloads it.
    Download {
        url: String,
        username: Option<String>,
        password: Option<String>,
    },
    /// Multipart or raw push, already on disk and verified while it streamed in.
    Uploaded {
        path: PathBuf,
        verdict: Result<ImageHeader, String>,
        name: String,
    },
    /// `discard_uploads`: counted, not kept.
    Discarded { bytes: u64, name: String },
    /// iDRAC rollback: SimpleUpdate with `ImageURI` naming a kept
    /// `Previous-…` inventory entry (key `previous`): nothing is
    /// downloaded, the kept image is installed on the request's target.
    Kept {
        previous: String,
        kind: Kind,
        version: String,
        /// The entry's Redfish `Id`, for the task's messages.
        name: String,
    },
}

/// The header a kept image would carry: its kind and version (iDRAC
/// checked the package when it was first installed).
pub fn kept_header(kind: Kind, version: &str) -> ImageHeader {
    ImageHeader {
        component: kind,
        version: version.to_string(),
        models: Vec::new(),
        devices: Vec::new(),
        payload_len: 0,
        payload_sha256: String::new(),
    }
}

/// The inventory entry a rollback's `ImageURI` names, when it is a kept
/// `Previous-…` image of an iDRAC: `ImageURI` is that entry's
/// `@odata.id` (a path; a full URL on the BMC itself is read as its path).
/// `Ok(None)`: not a FirmwareInventory URI (an ordinary download).
pub fn kept_source(
    st: &BmcState,
    image_uri: &str,
) -> Result<Option<(Source, String)>, RedfishError> {
    let path = match image_uri.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
        None => image_uri,
    };
    let fw = crate::http::tree::FIRMWARE;
    let Some(id) = path.trim_end_matches('/').strip_prefix(&format!("{fw}/")) else {
        return Ok(None);
    };
    if st.machine.persona != Persona::Idrac {
        return Ok(None);
    }
    let Some(prev) = st
        .machine
        .components
        .iter()
        .find(|c| c.id == id && c.role == Role::Previous)
    else {
        return Err(bad(
            "ActionParameterValueFormatError",
            &[image_uri, "ImageURI", "UpdateService.SimpleUpdate"],
        ));
    };
    let active = prev.key.trim_end_matches("-previous");
    let Some(target) = st
        .machine
        .components
        .iter()
        .find(|c| c.key == active && c.role == Role::Active)
    else {
        return Err(bad(
            "ActionParameterValueFormatError",
            &[image_uri, "ImageURI", "UpdateService.SimpleUpdate"],
        ));
    };
    Ok(Some((
        Source::Kept {
            previous: prev.key.clone(),
            kind: prev.kind,
            version: prev.version.clone(),
            name: prev.id.clone(),
        },
        target.key.clone(),
    )))
}

/// A validated update request.
#[derive(Debug, Clone)]
pub struct UpdateRequest {
    pub source: Source,
    /// Inventory entries (by key) the request named; empty = every applicable one.
    pub targets: Vec<String>,
    pub apply_time: ApplyTime,
    pub force: bool,
    /// The URI the request was POSTed to (Task `Payload.TargetUri`).
    pub via: String,
}

/// An update waiting for `StartUpdate` or a reset.
#[derive(Debug, Clone)]
pub struct HeldUpdate {
    pub task_id: String,
    pub keys: Vec<String>,
    pub version: String,
    pub image: String,
}

fn bad(key: &str, args: &[&str]) -> RedfishError {
    RedfishError::base(StatusCode::BAD_REQUEST, key, args)
}

/// Map a `Targets` URI to inventory keys, or refuse it.
pub fn resolve_target(st: &BmcState, uri: &str, action: &str) -> Result<Vec<String>, RedfishError> {
    let uri = uri.trim_end_matches('/');
    let paths = crate::http::tree::Paths::of_machine(&st.machine);
    let fw = crate::http::tree::FIRMWARE;
    let active = |kind: Kind| -> Vec<String> {
        st.machine
            .components
            .iter()
            .filter(|c| c.kind == kind && c.role == Role::Active)
            .map(|c| c.key.clone())
            .collect()
    };
    if let Some(id) = uri.strip_prefix(&format!("{fw}/")) {
        if let Some(c) = st.machine.components.iter().find(|c| c.id == id) {
            return Ok(vec![c.key.clone()]);
        }
    } else if uri == fw {
        return Ok(Vec::new());
    } else if uri == paths.system || uri == format!("{}/Bios", paths.system) {
        return Ok(active(Kind::Bios));
    } else if uri == paths.manager {
        return Ok(active(Kind::Bmc));
    }
    Err(bad(
        "ActionParameterValueFormatError",
        &[uri, "Targets", action],
    ))
}

/// Whether a new update may start now (OpenBMC and iLO do one at a time).
pub fn busy(st: &BmcState) -> bool {
    matches!(st.machine.persona, Persona::Openbmc | Persona::Ilo)
        && st
            .tasks
            .values()
            .any(|t| !t.state.is_terminal() && t.state != TaskState::Pending)
}

/// Accept a validated request: create the task and start the job. Returns the task id.
pub fn accept(bmc: &Arc<Bmc>, st: &mut BmcState, req: UpdateRequest) -> String {
    st.task_seq += 1;
    let task = Task::new_update(st.machine.persona, st.task_seq, &req.via);
    let id = task.id.clone();
    st.insert_task(task);
    let bmc = bmc.clone();
    let task_id = id.clone();
    tokio::spawn(async move { run(bmc, task_id, req).await });
    id
}

/// Update the task under the lock; returns false when the task is gone or cancelled.
pub(crate) fn with_task(bmc: &Bmc, id: &str, f: impl FnOnce(&mut Task)) -> bool {
    let mut st = bmc.lock();
    match st.tasks.get_mut(id) {
        Some(t) if t.state == TaskState::Cancelling => {
            t.set_state(TaskState::Cancelled);
            false
        }
        Some(t) if t.state.is_terminal() => false,
        Some(t) => {
            f(t);
            true
        }
        None => false,
    }
}

fn fail(bmc: &Bmc, id: &str, key: &str, args: &[&str]) {
    with_task(bmc, id, |t| {
        t.push(Registry::Update, key, args);
        t.set_state(TaskState::Exception);
    });
    bmc.task_finished(id);
}

async fn run(bmc: Arc<Bmc>, id: String, req: UpdateRequest) {
    let timing = bmc.config.timing.clone();
    // iDRAC jobs sit in New briefly before anything happens.
    if !with_task(&bmc, &id, |t| t.set_state(TaskState::Starting)) {
        return;
    }
    let (header, image_name, image_path) = match req.source.clone() {
        Source::Kept {
            kind,
            version,
            name,
            ..
        } => (kept_header(kind, &version), name, None),
        Source::Discarded { bytes, name } => {
            with_task(&bmc, &id, |t| {
                t.push(
                    Registry::Update,
                    "UpdateSkipped",
                    &[&bmc.config.machine.name, &name],
                );
                t.messages.push(serde_json::json!({
                    "MessageId": "Base.1.22.Success",
                    "Message": format!("Upload of {bytes} bytes discarded by the mock (discard_uploads)."),
                    "MessageSeverity": "OK",
                    "Resolution": "None."
                }));
                t.set_state(TaskState::Completed);
            });
            bmc.task_finished(&id);
            return;
        }
        Source::Uploaded {
            path,
            verdict,
            name,
        } => match verdict {
            Ok(h) => (h, name, Some(path)),
            Err(e) => {
                let target = bmc.config.machine.name.clone();
                let _ = tokio::fs::remove_file(&path).await;
                tracing::info!(task = %id, error = %e, "uploaded image rejected");
                fail(&bmc, &id, "VerificationFailed", &[&name, &target]);
                return;
            }
        },
        Source::Download {
            url,
            username,
            password,
        } => {
            let name = url.rsplit('/').next().unwrap_or(&url).to_string();
            with_task(&bmc, &id, |t| {
                t.push(Registry::Update, "TransferringToComponent", &[&name, "BMC"]);
            });
            match download(&bmc, &id, &url, username.as_deref(), password.as_deref()).await {
                Ok((path, Ok(h))) => (h, name, Some(path)),
                Ok((path, Err(e))) => {
                    let _ = tokio::fs::remove_file(&path).await;
                    tracing::info!(task = %id, error = %e, "downloaded image rejected");
                    fail(&bmc, &id, "VerificationFailed", &[&name, "BMC"]);
                    return;
                }
                Err(e) => {
                    tracing::info!(task = %id, error = %e, "image download failed");
                    let mut st = bmc.lock();
                    if let Some(t) = st.tasks.get_mut(&id) {
                        t.messages.push(crate::messages::message(
                            Registry::Base,
                            "CouldNotEstablishConnection",
                            &[&url],
                        ));
                    }
                    drop(st);
                    fail(&bmc, &id, "TransferFailed", &[&name, "BMC"]);
                    return;
                }
            }
        }
    };
    if let Some(p) = &image_path {
        let _ = tokio::fs::remove_file(p).await;
    }
    // Decide what the image applies to and whether it may. A kept image
    // goes back onto the component it was kept for: a rollback is a
    // downgrade by design, and iDRAC takes it without ForceUpdate.
    let plan = if matches!(req.source, Source::Kept { .. }) {
        Ok(Plan::Apply(req.targets.clone()))
    } else {
        let st = bmc.lock();
        plan_targets(&st, &header, &req, &image_name)
    };
    let keys = match plan {
        Ok(Plan::Apply(keys)) => keys,
        Ok(Plan::SameVersion(target)) => {
            with_task(&bmc, &id, |t| {
                t.push(
                    Registry::Update,
                    "UpdateSkippedSameVersion",
                    &[&target, &image_name],
                );
                t.set_state(TaskState::Completed);
            });
            bmc.task_finished(&id);
            return;
        }
        Err((key, target)) => {
            // The "skipped" messages name the device first, the others the image.
            if key == "UpdateSkippedVersionTooLow" {
                fail(&bmc, &id, key, &[&target, &image_name]);
            } else {
                fail(&bmc, &id, key, &[&image_name, &target]);
            }
            return;
        }
    };
    let target_names = bmc.target_names(&keys);
    with_task(&bmc, &id, |t| {
        t.push(
            Registry::Update,
            "TargetDetermined",
            &[&target_names, &image_name],
        );
        t.push(
            Registry::Update,
            "VerifyingAtComponent",
            &[&image_name, &target_names],
        );
    });
    let held = HeldUpdate {
        task_id: id.clone(),
        keys,
        version: header.version.clone(),
        image: image_name.clone(),
    };
    match req.apply_time {
        ApplyTime::Immediate => install(bmc, held, timing.update).await,
        ApplyTime::OnReset => stage(&bmc, held),
        ApplyTime::OnStartUpdateRequest => {
            let mut st = bmc.lock();
            let persona = st.machine.persona;
            if let Some(t) = st.tasks.get_mut(&id) {
                t.push(
                    Registry::Update,
                    "AwaitToUpdate",
                    &[&image_name, &target_names],
                );
                t.set_state(if persona == Persona::Supermicro {
                    TaskState::Scheduled
                } else {
                    TaskState::Pending
                });
            }
            st.awaiting_start.push(held);
        }
    }
}

pub(crate) enum Plan {
    Apply(Vec<String>),
    SameVersion(String),
}

/// Whether `c` is one of the devices the image names: by its ComponentID
/// (SoftwareId) unless that is Dell's placeholder `0`, else by its four PCI
/// IDs, as a Dell Update Package matches the devices it lists (the same
/// `SupportedDevices` as its catalog entry). An image that names none is for
/// every component of its kind.
fn is_device(header: &ImageHeader, c: &crate::machine::Component) -> bool {
    if header.devices.is_empty() {
        return true;
    }
    let named = |id: &str| header.devices.iter().any(|d| d.eq_ignore_ascii_case(id));
    match c
        .software_id
        .as_deref()
        .filter(|s| !s.trim_start_matches('0').is_empty())
    {
        Some(id) => named(id),
        None => crate::machine::dell_pci(&c.key).is_some_and(named),
    }
}

/// Which components the image goes to, or why it does not: (Update message key, target).
pub(crate) fn plan_targets(
    st: &BmcState,
    header: &ImageHeader,
    req: &UpdateRequest,
    image: &str,
) -> Result<Plan, (&'static str, String)> {
    let m = &st.machine;
    let keys: Vec<String> = if req.targets.is_empty() {
        m.components
            .iter()
            .filter(|c| c.kind == header.component && c.role == Role::Active && c.updateable)
            .filter(|c| is_device(header, c))
            .map(|c| c.key.clone())
            .collect()
    } else {
        req.targets.clone()
    };
    let what = if keys.is_empty() {
        header.component.to_string()
    } else {
        keys.join(",")
    };
    if keys.is_empty() {
        return Err(("UpdateNotApplicable", what));
    }
    let mut all_same = true;
    for key in &keys {
        let Some(c) = m.components.iter().find(|c| &c.key == key) else {
            return Err(("UpdateNotApplicable", key.clone()));
        };
        let target = format!("{}/{}", crate::http::tree::FIRMWARE, c.id);
        if image::applicability(header, &m.model, c.kind).is_err()
            || !c.updateable
            || !is_device(header, c)
        {
            return Err(("UpdateNotApplicable", target));
        }
        let _ = image;
        if let Some(low) = &c.lowest_supported_version {
            if c.style.compare(&header.version, low) == Some(std::cmp::Ordering::Less) {
                return Err(("UpdateSkippedVersionTooLow", target));
            }
        }
        match c.style.compare(&header.version, &c.version) {
            Some(std::cmp::Ordering::Equal) if !req.force => {}
            Some(std::cmp::Ordering::Less) if !req.force => {
                // Downgrades need ForceUpdate.
                return Err(("UpdateNotApplicable", target));
            }
            _ => all_same = false,
        }
    }
    if all_same {
        return Ok(Plan::SameVersion(what));
    }
    Ok(Plan::Apply(keys))
}

/// Run the install phase with progress, then write the components.
async fn install(bmc: Arc<Bmc>, held: HeldUpdate, duration: Duration) {
    let id = held.task_id.clone();
    if !with_task(&bmc, &id, |t| {
        t.set_state(TaskState::Running);
        t.push(
            Registry::Update,
            "InstallingOnComponent",
            &[&held.image, "firmware"],
        );
    }) {
        return;
    }
    let steps = 10u8;
    for i in 1..=steps {
        if !duration.is_zero() {
            tokio::time::sleep(duration / u32::from(steps)).await;
        }
        let stuck = crate::faults::Faults::on(bmc.lock().faults.task_stuck);
        if stuck && i > 5 {
            // A stuck task: it stays at 50 % until cancelled (and stays committed).
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if !with_task(&bmc, &id, |_| {}) {
                    bmc.task_finished(&id);
                    return;
                }
            }
        }
        let pct = (u32::from(i) * 100 / u32::from(steps)).min(99) as u8;
        if !with_task(&bmc, &id, |t| {
            t.set_percent(pct);
            if i == 3 {
                t.committed = true;
            }
        }) {
            bmc.task_finished(&id);
            return;
        }
    }
    if crate::faults::Faults::on(bmc.lock().faults.task_fails) {
        let target = bmc.target_names(&held.keys);
        fail(&bmc, &id, "ApplyFailed", &[&held.image, &target]);
        return;
    }
    let reboot = bmc.write_components(&held.keys, &held.version);
    with_task(&bmc, &id, |t| {
        for key in &held.keys {
            t.push(Registry::Update, "UpdateSuccessful", &[key, &held.image]);
        }
        t.set_state(TaskState::Completed);
    });
    bmc.task_finished(&id);
    if reboot {
        bmc.request_reboot();
    }
}

/// Stage for the next reset: the inventory keeps the old version and lists the staged image.
fn stage(bmc: &Arc<Bmc>, held: HeldUpdate) {
    let mut st = bmc.lock();
    let persona = st.machine.persona;
    let paths = crate::http::tree::Paths::of_machine(&st.machine);
    let bmc_class = held.keys.iter().any(|k| {
        st.machine
            .components
            .iter()
            .any(|c| &c.key == k && c.kind == Kind::Bmc)
    });
    let reset_uri = if bmc_class {
        format!("{}/Actions/Manager.Reset", paths.manager)
    } else {
        format!("{}/Actions/ComputerSystem.Reset", paths.system)
    };
    for c in st.machine.components.iter_mut() {
        if held.keys.contains(&c.key) {
            c.staged_version = Some(held.version.clone());
        }
    }
    let targets = held.keys.join(",");
    if let Some(t) = st.tasks.get_mut(&held.task_id) {
        t.push(
            Registry::Update,
            "AwaitToActivate",
            &[&held.image, &targets],
        );
        t.push(
            Registry::Base,
            "ResetRequired",
            &[&reset_uri, "GracefulRestart"],
        );
        if persona == Persona::Idrac {
            // A Dell job stays scheduled until the host reboots, then runs.
            t.set_state(TaskState::Pending);
        } else {
            t.set_state(TaskState::Completed);
        }
    }
    if persona == Persona::Idrac {
        st.awaiting_reset.push(held.clone());
    }
    drop(st);
    bmc.persist();
    if persona != Persona::Idrac {
        bmc.task_finished(&held.task_id);
    }
}

/// `StartUpdate`: install everything held for it.
pub fn start_held(bmc: &Arc<Bmc>, st: &mut BmcState) -> usize {
    let held: Vec<HeldUpdate> = std::mem::take(&mut st.awaiting_start);
    let n = held.len();
    for h in held {
        let bmc = bmc.clone();
        let d = bmc.config.timing.update;
        tokio::spawn(async move { install(bmc, h, d).await });
    }
    n
}

/// A reset activates staged images of its class; returns whether a BMC image was activated.
pub fn activate_staged(bmc: &Arc<Bmc>, st: &mut BmcState, bmc_class: bool) -> bool {
    let mut activated_bmc = false;
    let persona = st.machine.persona;
    let keys: Vec<(String, String)> = st
        .machine
        .components
        .iter()
        .filter(|c| c.staged_version.is_some() && ((c.kind == Kind::Bmc) == bmc_class))
        .map(|c| (c.key.clone(), c.staged_version.clone().unwrap_or_default()))
        .collect();
    for (key, version) in &keys {
        activated_bmc |= st.write_component(key, version, persona);
    }
    // iDRAC jobs scheduled for this reset now complete.
    let (done, keep): (Vec<HeldUpdate>, Vec<HeldUpdate>) = std::mem::take(&mut st.awaiting_reset)
        .into_iter()
        .partition(|h| h.keys.iter().any(|k| keys.iter().any(|(kk, _)| kk == k)));
    st.awaiting_reset = keep;
    for h in done {
        if let Some(t) = st.tasks.get_mut(&h.task_id) {
            for key in &h.keys {
                t.push(Registry::Update, "UpdateSuccessful", &[key, &h.image]);
            }
            t.set_state(TaskState::Completed);
        }
        st.schedule_vanish(&h.task_id, bmc.config.timing.task_vanish);
    }
    if !keys.is_empty() {
        bmc.persist_with(st);
    }
    activated_bmc
}

/// Download `url` into the BMC's work dir, verifying while it streams.
pub(crate) async fn download(
    bmc: &Arc<Bmc>,
    task_id: &str,
    url: &str,
    username: Option<&str>,
    password: Option<&str>,
) -> Result<(PathBuf, Result<ImageHeader, String>), String> {
    let _downloading = bmc.downloading();
    let faults = bmc.lock().faults.clone();
    if crate::faults::Faults::on(faults.download_fails) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        return Err("download_fails fault injected".into());
    }
    // BMCs do not verify image servers unless VerifyRemoteServerCertificate
    // is set; then only against RemoteServerCertificates (chain, name, dates).
    let remote = bmc.lock().remote_certs.clone();
    let mut builder = reqwest::Client::builder().connect_timeout(Duration::from_secs(10));
    if remote.verify && bmc.lock().machine.persona.remote_server_certificates() {
        builder = builder.tls_built_in_root_certs(false);
        for (_, pem) in &remote.certs {
            let cert = reqwest::Certificate::from_pem(pem.as_bytes()).map_err(|e| e.to_string())?;
            builder = builder.add_root_certificate(cert);
        }
    } else {
        builder = builder.danger_accept_invalid_certs(true);
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    let mut rq = client.get(url);
    if let Some(u) = username {
        rq = rq.basic_auth(u, password);
    }
    let resp = rq.send().await.map_err(|e| format!("GET {url}: {e}"))?;
    if !resp.status().is_success() {
        return Err(format!("GET {url}: HTTP {}", resp.status()));
    }
    let path = bmc
        .work_dir()
        .join(format!("download-{}.img", crate::state::random_token()));
    let mut file = tokio::fs::File::create(&path)
        .await
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut verifier = ImageVerifier::new();
    let mut verdict: Result<(), String> = Ok(());
    let mut stream = resp.bytes_stream();
    let started = Instant::now();
    let mut total: u64 = 0;
    let total_len = bmc.lock().faults.download_bandwidth;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| format!("reading {url}: {e}"))?;
        total += chunk.len() as u64;
        if verdict.is_ok() {
            verdict = verifier.update(&chunk).map_err(|e| e.to_string());
        }
        file.write_all(&chunk)
            .await
            .map_err(|e| format!("{}: {e}", path.display()))?;
        throttle(started, total, total_len).await;
        // An empty id: a download without a task (iLO legacy).
        if !task_id.is_empty() && !with_task(bmc, task_id, |_| {}) {
            return Err("cancelled".into());
        }
    }
    file.flush().await.map_err(|e| e.to_string())?;
    let header = match verdict {
        Ok(()) => verifier.finish().map_err(|e| e.to_string()),
        Err(e) => Err(e),
    };
    Ok((path, header))
}

/// Sleep so that `bytes` since `started` stay under `rate` bytes per second.
pub async fn throttle(started: Instant, bytes: u64, rate: Option<u64>) {
    if let Some(rate) = rate.filter(|r| *r > 0) {
        let due = Duration::from_secs_f64(bytes as f64 / rate as f64);
        let elapsed = started.elapsed();
        if due > elapsed {
            tokio::time::sleep(due - elapsed).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::Machine;

    fn idrac() -> BmcState {
        BmcState::new(
            Machine::generate("h", Persona::Idrac, 1, 0),
            Default::default(),
        )
    }

    fn previous_uri(st: &BmcState) -> String {
        let p = st
            .machine
            .components
            .iter()
            .find(|c| c.role == Role::Previous && c.kind == Kind::Bmc)
            .unwrap();
        format!("{}/{}", crate::http::tree::FIRMWARE, p.id)
    }

    #[test]
    fn an_idrac_image_uri_naming_a_previous_entry_is_a_kept_image() {
        let st = idrac();
        let uri = previous_uri(&st);
        let (source, target) = kept_source(&st, &uri).unwrap().expect("kept");
        assert_eq!(target, "bmc");
        match source {
            Source::Kept {
                previous, version, ..
            } => {
                assert_eq!(previous, "bmc-previous");
                assert_eq!(version, "6.10.30.00");
            }
            other => panic!("{other:?}"),
        }
        // A full URL on the BMC itself is read as its path.
        let full = format!("https://10.0.0.1:443{uri}");
        assert!(kept_source(&st, &full).unwrap().is_some());
        // An ordinary download is not a kept image.
        assert!(kept_source(&st, "http://127.0.0.1:1/bios.img")
            .unwrap()
            .is_none());
        // The active entry is not a rollback image.
        let active = st
            .machine
            .components
            .iter()
            .find(|c| c.key == "bmc")
            .unwrap();
        let uri = format!("{}/{}", crate::http::tree::FIRMWARE, active.id);
        assert!(kept_source(&st, &uri).is_err());
    }

    #[test]
    fn other_personas_keep_no_image() {
        let st = BmcState::new(
            Machine::generate("h", Persona::Generic, 1, 0),
            Default::default(),
        );
        let uri = format!("{}/BMC", crate::http::tree::FIRMWARE);
        assert!(kept_source(&st, &uri).unwrap().is_none());
    }

    #[test]
    fn an_update_keeps_the_replaced_image_as_previous_and_a_rollback_swaps_back() {
        let mut st = idrac();
        let bios = |st: &BmcState, role: Role| {
            st.machine
                .components
                .iter()
                .find(|c| c.kind == Kind::Bios && c.role == role)
                .map(|c| (c.version.clone(), c.id.clone()))
        };
        let (was, _) = bios(&st, Role::Active).unwrap();
        assert!(bios(&st, Role::Previous).is_none());
        st.write_component("bios", "9.9.9", Persona::Idrac);
        let (prev, id) = bios(&st, Role::Previous).unwrap();
        assert_eq!(prev, was);
        assert_eq!(id, format!("Previous-159-{was}__BIOS.Setup.1-1"));
        // The rollback writes the kept version back: the two swap.
        st.write_component("bios", &was, Persona::Idrac);
        assert_eq!(bios(&st, Role::Active).unwrap().0, was);
        assert_eq!(bios(&st, Role::Previous).unwrap().0, "9.9.9");
        let previous = st
            .machine
            .components
            .iter()
            .filter(|c| c.role == Role::Previous && c.kind == Kind::Bios)
            .count();
        assert_eq!(previous, 1, "one rollback entry per component");
    }
}
