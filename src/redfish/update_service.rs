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
    let tasks = async {
        match task_service {
            Some(ts) => match client.get::<Value>(&ts).await {
                Ok(ts) => link(client, ts.get("Tasks"), Field::named("TaskService.Tasks")),
                Err(_) => Ok(None),
            },
            None => Ok(None),
        }
    };
    let (us, tasks) = tokio::join!(client.get::<Value>(&us_uri), tasks);
    let us = us?;
    let tasks = tasks?;
    let simple = us
        .get("Actions")
        .and_then(|a| a.get("#UpdateService.SimpleUpdate"));
    let mut protocols =
        strings(simple.and_then(|s| s.get("TransferProtocol@Redfish.AllowableValues")));
    if protocols.is_empty() {
        if let Some(info) = client.bind_opt(
            simple
                .and_then(|s| s.get("@Redfish.ActionInfo"))
                .and_then(Value::as_str),
            Field::named("SimpleUpdate @Redfish.ActionInfo"),
        )? {
            if let Ok(info) = client.get::<Value>(&info).await {
                for p in info
                    .get("Parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if p.get("Name").and_then(Value::as_str) == Some("TransferProtocol") {
                        protocols = strings(p.get("AllowableValues"));
                    }
                }
            }
        }
    }
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
    })
}

/// Which reset activates a staged image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetTarget {
    /// The host (BIOS, NICs, RAID, …): `ComputerSystem.Reset`.
    System,
    /// The BMC itself: `Manager.Reset`.
    Manager,
}

/// The first member's reset action target of `Systems` or `Managers`.
pub async fn reset_target(client: &BmcClient, which: ResetTarget) -> Result<String, RedfishError> {
    let (coll, action, coll_field, target_field) = match which {
        ResetTarget::System => (
            "Systems",
            "#ComputerSystem.Reset",
            Field::named("ServiceRoot.Systems"),
            Field::named("Actions.#ComputerSystem.Reset.target"),
        ),
        ResetTarget::Manager => (
            "Managers",
            "#Manager.Reset",
            Field::named("ServiceRoot.Managers"),
            Field::named("Actions.#Manager.Reset.target"),
        ),
    };
    let root: Value = client.get("/redfish/v1/").await?;
    let unsupported = |what: &str| RedfishError::Unsupported {
        host: client.host().to_string(),
        detail: format!(
            "cannot find {what}; reset the server by hand to activate the staged image"
        ),
    };
    let coll_uri = link(client, root.get(coll), coll_field)?.ok_or_else(|| unsupported(coll))?;
    let members: Value = client.get(&coll_uri).await?;
    let first = link(
        client,
        members
            .get("Members")
            .and_then(Value::as_array)
            .and_then(|m| m.first()),
        Field::MEMBER,
    )?
    .ok_or_else(|| unsupported(&format!("a member of {coll}")))?;
    let res: Value = client.get(&first).await?;
    target(client, &res, action, target_field)?.ok_or_else(|| unsupported(action))
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
        Err(RedfishError::Http {
            host: client.host().to_string(),
            method: "POST".into(),
            uri: target.to_string(),
            status: r.status.as_u16(),
            redfish_message: crate::redfish::error::redfish_message(&r.body),
        })
    }
}

/// Why the BMC should not get another update now, if it should not: an update
/// task still running (vendors with one-at-a-time update engines refuse or,
/// worse, queue a second flash). Tasks that wait for a reset or `StartUpdate`
/// do not count: they are the planner's business (`staged-pending`).
/// `caps` (from [`discover`]) says where the task collection is.
pub async fn busy(client: &BmcClient, caps: &UpdateCaps) -> Result<Option<String>, RedfishError> {
    Ok(running_task(client, caps)
        .await?
        .map(|t| format!("{} ({}) is {}", t.name, t.uri, t.state)))
}

/// A task the BMC is still working on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningTask {
    pub uri: String,
    pub name: String,
    pub state: String,
}

/// The first task still running on the BMC (see [`busy`] for what counts). A
/// restarted fwfleet adopts it when its own journal says an update was sent
/// but no task URI was recorded.
pub async fn running_task(
    client: &BmcClient,
    caps: &UpdateCaps,
) -> Result<Option<RunningTask>, RedfishError> {
    let Some(tasks) = &caps.tasks else {
        return Ok(None);
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
        if matches!(
            state,
            "New"
                | "Starting"
                | "Running"
                | "Stopping"
                | "Cancelling"
                | "Downloading"
                | "Verifying"
                | "Interrupted"
        ) {
            return Ok(Some(RunningTask {
                uri: link(client, Some(&task), Field::TASK_ID)?.unwrap_or_default(),
                name: task
                    .get("Name")
                    .and_then(Value::as_str)
                    .unwrap_or("a task")
                    .to_string(),
                state: state.to_string(),
            }));
        }
    }
    Ok(None)
}
