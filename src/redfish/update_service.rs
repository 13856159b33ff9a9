//! What a BMC's UpdateService offers, whether it is busy, and how to reset.
//!
//! Everything is found by navigation (`/redfish/v1/` → `UpdateService` →
//! `Actions`, `Systems`/`Managers` → `Actions`), never assumed: vendors move
//! the multipart URI, rename the SimpleUpdate target and differ in what they
//! accept, and the updater must decide from what this BMC says about itself.
//! Every URI read here is bound to the host's origin as it is read
//! ([`BmcClient::bind`]), so what `UpdateCaps` holds are paths.

use crate::redfish::client::BmcClient;
use crate::redfish::error::RedfishError;
use crate::redfish::origin::Field;
use crate::redfish::quirks::Platform;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The update capabilities of one BMC, read once per host per run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateCaps {
    /// The dialect, classified once from the same service root.
    pub platform: Platform,
    /// `TaskService`'s `Tasks` collection, for the busy check.
    pub tasks: Option<String>,
    pub update_service: String,
    /// `#UpdateService.SimpleUpdate` target.
    pub simple_update: Option<String>,
    /// `TransferProtocol@Redfish.AllowableValues` (empty: not stated).
    pub protocols: Vec<String>,
    pub multipart: Option<String>,
    /// Raw `HttpPushUri` (a PUT/POST of the bare image).
    pub http_push: Option<String>,
    /// `#UpdateService.StartUpdate` target.
    pub start_update: Option<String>,
    /// `@Redfish.OperationApplyTimeSupport.SupportedValues` (empty: not stated).
    pub apply_times: Vec<String>,
    pub max_image_size: Option<u64>,
    /// The first ComputerSystem (power state, `BootProgress`, reset).
    pub system: Option<String>,
    /// The first Manager (the BMC itself).
    pub manager: Option<String>,
    /// `JobService.Jobs`, where an update's job outlives its task (Dell).
    pub jobs: Option<String>,
    /// The UpdateService reports its progress in `Oem.Hpe` (iLO).
    pub hpe_state: bool,
    /// The service-wide apply time of the raw push
    /// (`HttpPushUriOptions.HttpPushUriApplyTime.ApplyTime`), when offered.
    pub push_apply_time: Option<String>,
    /// `HttpPushUriOptionsBusy` as read, when the service has it: only then
    /// may a client take the service-wide push options for itself.
    pub push_options_busy: Option<bool>,
}

impl UpdateCaps {
    /// Whether SimpleUpdate can pull over `scheme` (`http`/`https`).
    pub fn simple_update_over(&self, scheme: &str) -> bool {
        self.simple_update.is_some()
            && (self.protocols.is_empty()
                || self
                    .protocols
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(scheme)))
    }

    /// Whether the BMC says it accepts this apply time (unstated: assume yes
    /// for `Immediate`, no otherwise).
    pub fn accepts_apply_time(&self, t: &str) -> bool {
        if self.apply_times.is_empty() {
            t == "Immediate"
        } else {
            self.apply_times.iter().any(|a| a == t)
        }
    }
}

fn action_target(v: &Value, action: &str) -> Option<String> {
    v.get("Actions")
        .and_then(|a| a.get(action))
        .and_then(|a| a.get("target"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The `@odata.id` of `v`, bound to the host's origin.
fn link(
    client: &BmcClient,
    v: Option<&Value>,
    field: Field,
) -> Result<Option<String>, RedfishError> {
    client.bind_opt(
        v.and_then(|v| v.get("@odata.id")).and_then(Value::as_str),
        field,
    )
}

/// `Actions[action].target` of `v`, bound to the host's origin.
fn target(
    client: &BmcClient,
    v: &Value,
    action: &str,
    field: Field,
) -> Result<Option<String>, RedfishError> {
    client.bind_opt(action_target(v, action).as_deref(), field)
}

/// An action parameter's allowed values: `PARAM@Redfish.AllowableValues` on
/// the action, else the parameter's `AllowableValues` in the action's
/// `@Redfish.ActionInfo` (bound to the BMC's origin; an unreadable ActionInfo
/// means none are known).
async fn allowable(
    client: &BmcClient,
    action: Option<&Value>,
    param: &str,
    info_field: Field,
) -> Result<Vec<String>, RedfishError> {
    let listed = strings(action.and_then(|a| a.get(format!("{param}@Redfish.AllowableValues"))));
    if !listed.is_empty() {
        return Ok(listed);
    }
    let Some(info) = client.bind_opt(
        action
            .and_then(|a| a.get("@Redfish.ActionInfo"))
            .and_then(Value::as_str),
        info_field,
    )?
    else {
        return Ok(listed);
    };
    let Ok(info) = client.get::<Value>(&info).await else {
        return Ok(listed);
    };
    Ok(info
        .get("Parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .rfind(|p| p.get("Name").and_then(Value::as_str) == Some(param))
        .map(|p| strings(p.get("AllowableValues")))
        .unwrap_or_default())
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Read the UpdateService (and the SimpleUpdate ActionInfo when the action
/// does not list its protocols inline).
pub async fn discover(client: &BmcClient) -> Result<UpdateCaps, RedfishError> {
    let root: Value = client.get("/redfish/v1/").await?;
    discover_from(client, &root).await
}

/// Why [`login_and_discover`] has no capabilities to give.
#[derive(Debug)]
pub enum NotReady {
    /// The login failed: the BMC cannot be reached (or refuses us).
    Login(RedfishError),
    /// Logged in, but the UpdateService could not be read.
    Discover(RedfishError),
}

/// Log in and, meanwhile, read the service root (it needs no session); then
/// [`discover_from`] it.
pub async fn login_and_discover(client: &BmcClient) -> Result<UpdateCaps, Box<NotReady>> {
    let (login, root) = tokio::join!(client.login(), client.get_public::<Value>("/redfish/v1/"));
    login.map_err(|e| Box::new(NotReady::Login(e)))?;
    let discovered = match root {
        Ok(root) => discover_from(client, &root).await,
        Err(e) => Err(e),
    };
    discovered.map_err(|e| Box::new(NotReady::Discover(e)))
}

/// [`discover`] from a service root already read (e.g. without credentials,
/// while the login is under way). The UpdateService and the TaskService are
/// read side by side: two requests in flight, the client's default limit.
pub async fn discover_from(client: &BmcClient, root: &Value) -> Result<UpdateCaps, RedfishError> {
    let us_uri = link(
        client,
        root.get("UpdateService"),
        Field::named("ServiceRoot.UpdateService"),
    )?
    .ok_or_else(|| RedfishError::Unsupported {
        host: client.host().to_string(),
        detail: "the service root has no UpdateService; this BMC cannot be updated over Redfish"
            .into(),
    })?;
    let task_service = link(client, root.get("Tasks"), Field::named("ServiceRoot.Tasks"))?;
    let job_service = link(
        client,
        root.get("JobService"),
        Field::named("ServiceRoot.JobService"),
    )?;
    let systems = link(
        client,
        root.get("Systems"),
        Field::named("ServiceRoot.Systems"),
    )?;
    let managers = link(
        client,
        root.get("Managers"),
        Field::named("ServiceRoot.Managers"),
    )?;
    let tasks = linked(client, task_service, "Tasks", "TaskService.Tasks");
    let jobs = linked(client, job_service, "Jobs", "JobService.Jobs");
    let system = first_member(client, systems);
    let manager = first_member(client, managers);
    let (us, tasks, jobs, system, manager) =
        tokio::join!(client.get::<Value>(&us_uri), tasks, jobs, system, manager);
    let us = us?;
    let tasks = tasks?;
    let simple = us
        .get("Actions")
        .and_then(|a| a.get("#UpdateService.SimpleUpdate"));
    let protocols = allowable(
        client,
        simple,
        "TransferProtocol",
        Field::named("SimpleUpdate @Redfish.ActionInfo"),
    )
    .await?;
    let apply_times = strings(
        us.get("MultipartHttpPushUri@Redfish.OperationApplyTimeSupport")
            .or_else(|| us.get("HttpPushUri@Redfish.OperationApplyTimeSupport"))
            .or_else(|| simple.and_then(|s| s.get("@Redfish.OperationApplyTimeSupport")))
            .or_else(|| us.get("@Redfish.OperationApplyTimeSupport"))
            .and_then(|s| s.get("SupportedValues")),
    );
    Ok(UpdateCaps {
        platform: Platform::classify(
            root.get("Vendor").and_then(Value::as_str),
            root.get("Product").and_then(Value::as_str),
            root.get("RedfishVersion").and_then(Value::as_str),
        ),
        tasks,
        update_service: us_uri,
        simple_update: target(
            client,
            &us,
            "#UpdateService.SimpleUpdate",
            Field::named("Actions.#UpdateService.SimpleUpdate.target"),
        )?,
        protocols,
        multipart: client.bind_opt(
            us.get("MultipartHttpPushUri").and_then(Value::as_str),
            Field::push("MultipartHttpPushUri"),
        )?,
        http_push: client.bind_opt(
            us.get("HttpPushUri").and_then(Value::as_str),
            Field::push("HttpPushUri"),
        )?,
        start_update: target(
            client,
            &us,
            "#UpdateService.StartUpdate",
            Field::named("Actions.#UpdateService.StartUpdate.target"),
        )?,
        apply_times,
        max_image_size: us.get("MaxImageSizeBytes").and_then(Value::as_u64),
        system: system.unwrap_or_default(),
        manager: manager.unwrap_or_default(),
        jobs: jobs.unwrap_or_default(),
        hpe_state: us.pointer("/Oem/Hpe/State").is_some(),
        push_apply_time: us
            .pointer("/HttpPushUriOptions/HttpPushUriApplyTime/ApplyTime")
            .and_then(Value::as_str)
            .map(str::to_string),
        push_options_busy: us.get("HttpPushUriOptionsBusy").and_then(Value::as_bool),
    })
}

/// `link_key` of the resource at `uri` (a service's collection), bound;
/// `None` when there is no such service or it does not answer.
async fn linked(
    client: &BmcClient,
    uri: Option<String>,
    link_key: &str,
    field: &'static str,
) -> Result<Option<String>, RedfishError> {
    let Some(uri) = uri else { return Ok(None) };
    match client.get::<Value>(&uri).await {
        Ok(v) => link(client, v.get(link_key), Field::named(field)),
        Err(_) => Ok(None),
    }
}

/// The first member of the collection at `uri`, bound; `None` when it has
/// none or cannot be read (the step that needs it says so).
async fn first_member(
    client: &BmcClient,
    uri: Option<String>,
) -> Result<Option<String>, RedfishError> {
    let Some(uri) = uri else { return Ok(None) };
    match client.get::<Value>(&uri).await {
        Ok(v) => link(
            client,
            v.get("Members")
                .and_then(Value::as_array)
                .and_then(|m| m.first()),
            Field::MEMBER,
        ),
        Err(_) => Ok(None),
    }
}

/// Which reset activates a staged image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetTarget {
    /// The host (BIOS, NICs, RAID, …): `ComputerSystem.Reset`.
    System,
    /// The BMC itself: `Manager.Reset`.
    Manager,
}

/// A reset action: where to POST it and the `ResetType`s it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetAction {
    pub target: String,
    /// `ResetType@Redfish.AllowableValues`, inline or from the action's
    /// `@Redfish.ActionInfo`; empty when the BMC does not say.
    pub allowed: Vec<String>,
}

impl ResetAction {
    /// The first of `wanted` (in order of preference) the BMC allows; the
    /// first of them when it does not say what it allows.
    pub fn choose<'a>(&self, wanted: &[&'a str]) -> Option<&'a str> {
        if self.allowed.is_empty() {
            return wanted.first().copied();
        }
        wanted
            .iter()
            .copied()
            .find(|w| self.allowed.iter().any(|a| a == w))
    }
}

/// The reset action of the first member of `Systems` or `Managers`, with
/// the reset types it allows.
pub async fn reset_action(
    client: &BmcClient,
    caps: &UpdateCaps,
    which: ResetTarget,
) -> Result<ResetAction, RedfishError> {
    let (member, action, target_field) = match which {
        ResetTarget::System => (
            caps.system.clone(),
            "#ComputerSystem.Reset",
            Field::named("Actions.#ComputerSystem.Reset.target"),
        ),
        ResetTarget::Manager => (
            caps.manager.clone(),
            "#Manager.Reset",
            Field::named("Actions.#Manager.Reset.target"),
        ),
    };
    let unsupported = |what: &str| RedfishError::Unsupported {
        host: client.host().to_string(),
        detail: format!(
            "cannot find {what}; reset the server by hand to activate the staged image"
        ),
    };
    let member = member.ok_or_else(|| {
        unsupported(match which {
            ResetTarget::System => "a member of Systems",
            ResetTarget::Manager => "a member of Managers",
        })
    })?;
    let res: Value = client.get(&member).await?;
    let target = target(client, &res, action, target_field)?.ok_or_else(|| unsupported(action))?;
    let a = res.get("Actions").and_then(|a| a.get(action));
    let allowed = allowable(
        client,
        a,
        "ResetType",
        Field::named("Reset @Redfish.ActionInfo"),
    )
    .await?;
    Ok(ResetAction { target, allowed })
}

/// POST a reset; `reset_type` is `GracefulRestart`, `ForceRestart`, ….
/// `target` may come from a task's `MessageArgs` (`ResetRequired`): it is
/// bound to the host's origin like every URI a BMC names.
pub async fn reset(client: &BmcClient, target: &str, reset_type: &str) -> Result<(), RedfishError> {
    let target = &client.bind(target, Field::named("reset target"))?;
    let r = client
        .request(
            Method::POST,
            target,
            Some(&json!({"ResetType": reset_type})),
        )
        .await?;
    if r.status.is_success() {
        Ok(())
    } else {
        Err(client.http_error("POST", target, &r))
    }
}

/// The host's power and boot as its ComputerSystem says (`PowerState`,
/// `BootProgress.LastState`, ComputerSystem v1_13+).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostPower {
    pub power_state: Option<String>,
    /// `BootProgress.LastState` (`OEM`: `OemLastState` appended after `/`).
    pub boot: Option<String>,
}

impl HostPower {
    /// Whether the host is on its way through a reset or POST: powering on
    /// or off, or a `BootProgress` before the OS boots.
    pub fn in_post(&self) -> bool {
        if matches!(
            self.power_state.as_deref(),
            Some("PoweringOn" | "PoweringOff" | "Paused")
        ) {
            return true;
        }
        match self.boot.as_deref() {
            None
            | Some(
                "None" | "OSBootStarted" | "OSRunning" | "SystemHardwareInitializationComplete",
            ) => false,
            Some(_) => true,
        }
    }

    /// For messages: `PoweringOn, MemoryInitializationStarted`.
    pub fn describe(&self) -> String {
        format!(
            "{}{}",
            self.power_state.as_deref().unwrap_or("power unknown"),
            self.boot
                .as_deref()
                .map(|b| format!(", {b}"))
                .unwrap_or_default()
        )
    }
}

/// Read the host's power and boot progress.
pub async fn host_power(client: &BmcClient, caps: &UpdateCaps) -> Result<HostPower, RedfishError> {
    let Some(system) = &caps.system else {
        return Ok(HostPower::default());
    };
    let v: Value = client.get(system).await?;
    let boot = v.pointer("/BootProgress/LastState").and_then(Value::as_str);
    let oem = v
        .pointer("/BootProgress/OemLastState")
        .and_then(Value::as_str);
    Ok(HostPower {
        power_state: v
            .get("PowerState")
            .and_then(Value::as_str)
            .map(str::to_string),
        boot: boot.map(|b| match (b, oem) {
            ("OEM", Some(o)) => format!("OEM/{o}"),
            _ => b.to_string(),
        }),
    })
}

/// iLO's update status (`UpdateService.Oem.Hpe`): `State` (`Idle`,
/// `Uploading`, `Verifying`, `Writing`, `Updating`, `Complete`, `Error`),
/// `FlashProgressPercent`, and `Result.MessageId` (NOTES §7.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HpeUpdate {
    pub state: String,
    pub percent: Option<u8>,
    /// `Result.MessageId` without registry and version (`SystemResetRequired`).
    pub result: Option<String>,
}

impl HpeUpdate {
    /// Whether iLO is busy with a flash (it refuses another meanwhile).
    pub fn busy(&self) -> bool {
        matches!(
            self.state.as_str(),
            "Uploading" | "Verifying" | "Writing" | "Updating"
        )
    }
}

/// Read `UpdateService.Oem.Hpe`; `None` on a BMC without it.
pub async fn hpe_update(
    client: &BmcClient,
    caps: &UpdateCaps,
) -> Result<Option<HpeUpdate>, RedfishError> {
    if !caps.hpe_state {
        return Ok(None);
    }
    let us: Value = client.get(&caps.update_service).await?;
    let Some(h) = us.pointer("/Oem/Hpe") else {
        return Ok(None);
    };
    Ok(Some(HpeUpdate {
        state: h
            .get("State")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        percent: h
            .get("FlashProgressPercent")
            .and_then(Value::as_u64)
            .map(|p| p.min(100) as u8),
        result: h
            .pointer("/Result/MessageId")
            .and_then(Value::as_str)
            .map(|m| redfish_schemas::message_key(m).to_string()),
    }))
}

/// Wait for a BMC that stopped answering (a reboot into new firmware, its
/// web server restarting) to answer again, for up to `limit`: the service
/// root without credentials first, then a fresh login, since a reboot ends
/// every session (FIELD-NOTES B2.12: a ping answers long before Redfish
/// does). Returns how long it was away; the last error if it stays away.
pub async fn wait_back(client: &BmcClient, limit: Duration) -> Result<Duration, RedfishError> {
    let t0 = Instant::now();
    loop {
        let r = match client.get_public::<Value>("/redfish/v1/").await {
            Ok(_) => client.relogin().await,
            Err(e) => Err(e),
        };
        match r {
            Ok(()) => return Ok(t0.elapsed()),
            // Wrong credentials or a changed certificate do not heal by waiting.
            Err(e @ (RedfishError::Auth { .. } | RedfishError::PinMismatch { .. })) => {
                return Err(e)
            }
            Err(e) if t0.elapsed() >= limit => return Err(e),
            // Away, or up but not serving Redfish yet (404, 500 while booting).
            Err(_) => {}
        }
        tokio::time::sleep(AWAY_POLL.min(limit.saturating_sub(t0.elapsed()))).await;
    }
}

/// Between looks at a BMC that is away.
const AWAY_POLL: Duration = Duration::from_millis(500);

/// Take the service-wide raw-push options for one push, bmcweb style
/// (UpdateService v1_4: a client sets `HttpPushUriOptionsBusy` while it
/// uses `HttpPushUriOptions`), setting the apply time; the returned value
/// restores them. `Ok(None)` when the service has no `HttpPushUriOptionsBusy`
/// (fwfleet then never changes the service-wide setting) or its apply time
/// is already `apply_time`; an error when another client holds them.
pub async fn take_push_options(
    client: &BmcClient,
    caps: &UpdateCaps,
    apply_time: &str,
) -> Result<Option<PushOptionsHeld>, RedfishError> {
    let Some(busy) = caps.push_options_busy else {
        return Ok(None);
    };
    let us: Value = client.get(&caps.update_service).await?;
    let now_busy = us
        .get("HttpPushUriOptionsBusy")
        .and_then(Value::as_bool)
        .unwrap_or(busy);
    let previous = us
        .pointer("/HttpPushUriOptions/HttpPushUriApplyTime/ApplyTime")
        .and_then(Value::as_str)
        .map(str::to_string);
    if previous.as_deref() == Some(apply_time) {
        return Ok(None);
    }
    if now_busy {
        return Err(RedfishError::Unsupported {
            host: client.host().to_string(),
            detail: "another client holds the UpdateService's push options (HttpPushUriOptionsBusy is true); nothing was sent: try again when it is done".into(),
        });
    }
    patch(
        client,
        &caps.update_service,
        &json!({
            "HttpPushUriOptionsBusy": true,
            "HttpPushUriOptions": {"HttpPushUriApplyTime": {"ApplyTime": apply_time}},
        }),
    )
    .await?;
    Ok(Some(PushOptionsHeld { previous }))
}

/// Push options taken by [`take_push_options`], to give back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushOptionsHeld {
    previous: Option<String>,
}

/// Restore what [`take_push_options`] changed and clear `HttpPushUriOptionsBusy`.
pub async fn restore_push_options(
    client: &BmcClient,
    caps: &UpdateCaps,
    held: PushOptionsHeld,
) -> Result<(), RedfishError> {
    let mut body = json!({"HttpPushUriOptionsBusy": false});
    if let Some(p) = held.previous {
        body["HttpPushUriOptions"] = json!({"HttpPushUriApplyTime": {"ApplyTime": p}});
    }
    patch(client, &caps.update_service, &body).await
}

async fn patch(client: &BmcClient, uri: &str, body: &Value) -> Result<(), RedfishError> {
    let r = client.request(Method::PATCH, uri, Some(body)).await?;
    if r.status.is_success() {
        Ok(())
    } else {
        Err(RedfishError::Http {
            host: client.host().to_string(),
            method: "PATCH".into(),
            uri: uri.to_string(),
            status: r.status.as_u16(),
            redfish_message: crate::redfish::error::redfish_message(&r.body),
        })
    }
}

/// Why the BMC should not get another update now, if it should not: an update
/// task still running (vendors with one-at-a-time update engines refuse or,
/// worse, queue a second flash), or iLO's `Oem.Hpe.State` busy with a flash
/// (it may have no task at all). Tasks held for a reset or `StartUpdate`
/// (a Dell job `Scheduled`, bmcweb's `Stopping` image) do not count: they are
/// staged updates, the planner's business (`staged-pending`); see
/// [`tasks_on_bmc`] for them. `caps` (from [`discover`]) says where to look.
pub async fn busy(client: &BmcClient, caps: &UpdateCaps) -> Result<Option<String>, RedfishError> {
    if let Some(t) = running_task(client, caps).await? {
        return Ok(Some(format!("{} ({}) is {}", t.name, t.uri, t.state)));
    }
    if let Some(h) = hpe_update(client, caps).await? {
        if h.busy() {
            return Ok(Some(format!(
                "iLO's update engine is {} (UpdateService Oem.Hpe.State){}",
                h.state,
                h.percent.map(|p| format!(", {p}%")).unwrap_or_default()
            )));
        }
    }
    Ok(None)
}

/// A task on the BMC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningTask {
    pub uri: String,
    pub name: String,
    pub state: String,
}

/// The update tasks a BMC lists now: the first one still running, and
/// those held for a reset or `StartUpdate`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TasksOnBmc {
    pub running: Option<RunningTask>,
    pub held: Vec<RunningTask>,
}

/// The first task still running on the BMC (see [`busy`] for what counts). A
/// restarted fwfleet adopts it when its own journal says an update was sent
/// but no task URI was recorded.
pub async fn running_task(
    client: &BmcClient,
    caps: &UpdateCaps,
) -> Result<Option<RunningTask>, RedfishError> {
    Ok(tasks_on_bmc(client, caps).await?.running)
}

/// Read the task collection: what runs and what waits.
pub async fn tasks_on_bmc(
    client: &BmcClient,
    caps: &UpdateCaps,
) -> Result<TasksOnBmc, RedfishError> {
    let mut out = TasksOnBmc::default();
    let Some(tasks) = &caps.tasks else {
        return Ok(out);
    };
    let coll: Value = client.get(tasks).await?;
    for m in coll
        .get("Members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        // Members may be expanded or links; read the task when it is a link.
        let task = if m.get("TaskState").is_some() {
            m.clone()
        } else if let Some(uri) = link(client, Some(m), Field::MEMBER)? {
            match client.get::<Value>(&uri).await {
                Ok(t) => t,
                // Finished tasks vanish between the list and the read.
                Err(RedfishError::Http { status: 404, .. }) => continue,
                Err(e) => return Err(e),
            }
        } else {
            continue;
        };
        let state = task.get("TaskState").and_then(Value::as_str).unwrap_or("");
        let seen = || -> Result<RunningTask, RedfishError> {
            Ok(RunningTask {
                uri: link(client, Some(&task), Field::TASK_ID)?.unwrap_or_default(),
                name: task
                    .get("Name")
                    .and_then(Value::as_str)
                    .unwrap_or("a task")
                    .to_string(),
                state: state.to_string(),
            })
        };
        let typed: Option<redfish_schemas::Task> = serde_json::from_value(task.clone()).ok();
        let held = typed.as_ref().and_then(crate::redfish::task::awaiting);
        let active = matches!(
            state,
            "New"
                | "Starting"
                | "Running"
                | "Stopping"
                | "Cancelling"
                | "Downloading"
                | "Verifying"
                | "Interrupted"
                | "Suspended"
        );
        if held.is_some() && (active || state == "Pending") {
            out.held.push(seen()?);
        } else if active && out.running.is_none() {
            out.running = Some(seen()?);
        } else if state == "Pending" {
            out.held.push(seen()?);
        }
    }
    Ok(out)
}
