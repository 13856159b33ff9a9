//! Following a Redfish asynchronous operation to its end (DESIGN §3).
//!
//! A 202 names its task in a `Location` header, the body's `@odata.id` /
//! `TaskMonitor`, or only in `MessageArgs` (Supermicro). The monitor answers
//! 202 while running, the final response once, then 404; a 404 on a monitor
//! already polled means *gone*, not *failed*, so the Task resource decides.
//! Some BMCs delete the Task too (iDRAC): then the outcome is `Gone` and the
//! caller decides from the inventory. Vendor states are mapped leniently.

use super::client::{BmcClient, Reply};
use super::error::RedfishError;
use super::origin::Field;
use redfish_schemas::{Message, Task};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Where to follow an accepted operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accepted {
    /// A task monitor URI (polled for 202 / final response).
    pub monitor: Option<String>,
    /// The Task resource URI (always 200 while it exists).
    pub task: Option<String>,
    /// The 202's `Retry-After`: how long the BMC asked to be left alone
    /// before the first poll (at most the poll interval is waited).
    pub retry_after: Option<Duration>,
    /// The URIs as the BMC wrote them, with where each came from: [`follow`]
    /// binds them to the host's origin before its first poll, so a foreign
    /// origin is counted and a downgrade refused, naming the field. Not
    /// journaled: a resumed step follows the paths above.
    pub named: Vec<(Field, String)>,
}

fn path_of(uri: &str) -> String {
    match uri.split_once("://") {
        Some((_, rest)) => rest
            .find('/')
            .map_or("/".to_string(), |i| rest[i..].to_string()),
        None => uri.to_string(),
    }
}

fn looks_like_task(uri: &str) -> bool {
    uri.contains("/TaskService/Tasks/") || uri.contains("/Jobs/")
}

fn looks_like_monitor(uri: &str) -> bool {
    uri.contains("/TaskMonitors/")
        || uri.contains("/TaskMonitor/")
        || uri.ends_with("/Monitor")
        || uri.contains("/taskmon/")
}

impl Accepted {
    /// Rebuild what a step journaled (`steps.task_uri`, the task when the BMC
    /// named one, else the monitor) so a restarted fwfleet follows the same task.
    pub fn from_stored(uri: &str) -> Accepted {
        let p = path_of(uri);
        if looks_like_task(&p) && !looks_like_monitor(&p) {
            Accepted {
                task: Some(p),
                ..Accepted::default()
            }
        } else {
            Accepted {
                monitor: Some(p),
                ..Accepted::default()
            }
        }
    }
}

/// Find the task of a 202 response: `Location`, body `@odata.id` /
/// `TaskMonitor`, then any URI in `MessageArgs` (NOTES §7.6).
pub(in crate::redfish) fn parse_accepted(reply: &Reply) -> Accepted {
    Accepted::from_response(&reply.headers, &reply.body)
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl Accepted {
    /// The task of a 202 read by another client (the push benchmark's
    /// `curl`): the same reading as fwfleet's own requests get. The URIs are
    /// as the BMC wrote them; [`follow`] binds them before it polls.
    pub fn from_response(headers: &HeaderMap, body: &[u8]) -> Accepted {
        parse_parts(headers, body)
    }
}

fn parse_parts(headers: &HeaderMap, body: &[u8]) -> Accepted {
    let mut a = Accepted {
        retry_after: header(headers, "Retry-After").map(|_| retry_after_of(headers)),
        ..Accepted::default()
    };
    if let Some(loc) = header(headers, "Location") {
        a.named.push((Field::LOCATION, loc.to_string()));
        let p = path_of(loc);
        if looks_like_task(&p) && !looks_like_monitor(&p) {
            a.task = Some(p);
        } else {
            a.monitor = Some(p);
        }
    }
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if a.task.is_none() {
        if let Some(id) = body.get("@odata.id").and_then(Value::as_str) {
            if looks_like_task(id) {
                a.named.push((Field::TASK_ID, id.to_string()));
                a.task = Some(path_of(id));
            }
        }
    }
    if a.monitor.is_none() {
        if let Some(m) = body.get("TaskMonitor").and_then(Value::as_str) {
            a.named.push((Field::TASK_MONITOR, m.to_string()));
            a.monitor = Some(path_of(m));
        }
    }
    if a.task.is_none() {
        // Supermicro: {"Accepted": {"@Message.ExtendedInfo": [{"MessageArgs": ["/redfish/v1/TaskService/Tasks/5"]}]}}
        let mut uris = Vec::new();
        collect_message_args(&body, &mut uris);
        a.task = uris.into_iter().find(|u| looks_like_task(u)).map(|u| {
            a.named.push((Field::MESSAGE_ARGS, u.clone()));
            path_of(&u)
        });
    }
    // iDRAC names the Task itself as its monitor: it is a resource (200), not a monitor.
    if a.monitor.is_some() && a.monitor == a.task {
        a.monitor = None;
    }
    a
}

fn collect_message_args(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                if k == "MessageArgs" {
                    if let Some(a) = x.as_array() {
                        out.extend(
                            a.iter()
                                .filter_map(Value::as_str)
                                .filter(|s| s.starts_with('/'))
                                .map(str::to_string),
                        );
                    }
                } else {
                    collect_message_args(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_message_args(x, out)),
        _ => {}
    }
}

/// A task state, read leniently (NOTES §7.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// New, Scheduled, Pending, Downloading…: not running yet.
    Queued,
    /// Starting, Running, Stopping, Cancelling, Service.
    Running,
    /// Interrupted or Suspended: stopped for a while, expected to continue
    /// (Task.v1_7_4: "expected to restart"; bmcweb maps both to
    /// `TaskPaused`). Still running, bounded by the stall deadline.
    Paused,
    Completed,
    Failed,
    Cancelled,
    /// A state fwfleet does not know: keep polling, report it.
    Unknown,
}

fn dell_job_state(task: &Task) -> String {
    task.oem
        .as_ref()
        .and_then(|o| o.pointer("/Dell/JobState"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Map a TaskState (and Dell's `Oem.Dell.JobState` when present) to a phase.
pub fn phase(task: &Task) -> Phase {
    let state = task
        .task_state
        .as_ref()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    match (
        state.to_ascii_lowercase().as_str(),
        dell_job_state(task).as_str(),
    ) {
        (_, "failed") => Phase::Failed,
        ("completed", _) => Phase::Completed,
        ("exception" | "killed" | "failed", _) => Phase::Failed,
        ("interrupted" | "suspended", _) => Phase::Paused,
        ("cancelled", _) => Phase::Cancelled,
        ("new" | "pending" | "scheduled" | "scheduling" | "downloading" | "downloaded", _) => {
            Phase::Queued
        }
        ("starting" | "running" | "stopping" | "cancelling" | "service", _) => Phase::Running,
        _ => Phase::Unknown,
    }
}

/// Whether a task is waiting for something only the operator (or fwfleet's
/// reset policy) can give: a reset, or `StartUpdate`.
///
/// A reset: `ResetRequired` / `AwaitToActivate` (DMTF); a Dell job
/// scheduled for the next host reset (`Oem.Dell.JobState: Scheduled`, or
/// its `JCP001` "Task successfully scheduled" message while not running;
/// NOTES §7.1); bmcweb's `OnReset` image, `Stopping` with
/// `TaskEvent.TaskPaused` (bmcweb `handleCreateTask`).
pub fn awaiting(task: &Task) -> Option<Awaiting> {
    let has = |key: &str| {
        task.messages
            .iter()
            .any(|m: &Message| m.message_key() == key)
    };
    if has("ResetRequired") || has("AwaitToActivate") {
        Some(Awaiting::Reset)
    } else if has("AwaitToUpdate") {
        Some(Awaiting::StartUpdate)
    } else {
        held_by_vendor(task)
    }
}

/// The vendor ways of saying "held for a reset" that a task shows while its
/// state still reads as running (`Starting`, `Stopping`), so they are judged
/// by the current state, never by message history.
fn held_by_vendor(task: &Task) -> Option<Awaiting> {
    let has = |key: &str| task.messages.iter().any(|m| m.message_key() == key);
    let state = task
        .task_state
        .as_ref()
        .map(|s| s.as_str().to_ascii_lowercase())
        .unwrap_or_default();
    let dell = dell_job_state(task);
    let scheduled = dell == "scheduled"
        || (dell.is_empty()
            && has("JCP001")
            && matches!(state.as_str(), "pending" | "starting" | "new"));
    (scheduled || (state == "stopping" && has("TaskPaused"))).then_some(Awaiting::Reset)
}

/// What a held task waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Awaiting {
    Reset,
    StartUpdate,
}

/// How following ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The task completed; its messages say what was done.
    Completed(Option<Task>),
    /// The task ended with errors (Exception, Killed, a failed Dell job).
    Failed(Option<Task>),
    Cancelled(Option<Task>),
    /// The task waits for a reset or `StartUpdate` (staged image, held update).
    Held(Task, Awaiting),
    /// Monitor and task are gone before an end state was seen: decide from the inventory.
    Gone(Option<Task>),
    /// The deadline passed first.
    TimedOut(Option<Task>),
    /// The task stayed `Interrupted` or `Suspended` for this long, past
    /// the stall deadline.
    Stalled(Task, Duration),
}

/// Progress seen while following.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub state: String,
    pub percent: Option<u8>,
}

/// The shortest ordinary wait between polls, whatever `Retry-After` or the
/// configured interval say.
const MIN_POLL: Duration = Duration::from_millis(200);

fn retry_after(r: &Reply) -> Duration {
    retry_after_of(&r.headers)
}

fn retry_after_of(headers: &HeaderMap) -> Duration {
    header(headers, "Retry-After")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(1))
        .clamp(MIN_POLL, Duration::from_secs(10))
}

/// The shortest wait the progress estimate may choose: it only ever brings a
/// poll forward, and never closer than this to the previous one.
const ESTIMATE_FLOOR: Duration = Duration::from_millis(100);

/// When a task moving through `PercentComplete` should end, from the first
/// percentage seen (`anchor`) and the one just read. None unless it moved
/// since the previous read: a task that sits at a percentage (flash writes
/// often hold at 99 %) is polled at the ordinary interval.
#[derive(Debug, Default)]
struct Eta {
    anchor: Option<(Instant, u8)>,
    last: Option<u8>,
}

impl Eta {
    fn observe(&mut self, now: Instant, percent: Option<u8>) -> Option<Duration> {
        let p = percent.filter(|p| *p < 100)?;
        let moved = self.last.is_some_and(|l| p > l);
        // Percentages that restart (download, then install) re-anchor.
        if self.anchor.is_none() || self.last.is_some_and(|l| p < l) {
            self.anchor = Some((now, p));
        }
        self.last = Some(p);
        let (since, a) = self.anchor?;
        if !moved || p <= a {
            return None;
        }
        let rate = f64::from(p - a) / (now - since).as_secs_f64().max(1e-3);
        Some(Duration::from_secs_f64(f64::from(100 - p) / rate))
    }
}

/// When to poll next. The ordinary wait (`Retry-After`, at most the poll
/// interval) holds until the estimate from `PercentComplete` says the task
/// ends within it. The percentage just read was reached some time before it
/// was read (up to one of the BMC's progress steps), so the end lies between
/// now and the estimate: the next poll looks halfway there, and if the task
/// has not moved by then, the one after looks at the estimate itself. After
/// that, or when the percentage stalls, the ordinary wait again. Never sooner
/// than [`ESTIMATE_FLOOR`] after the previous poll: a BMC sees at most a few
/// polls closer together than its `Retry-After`, all within the last interval
/// before the estimated end.
#[derive(Debug, Default)]
struct Pace {
    eta: Eta,
    /// When the latest estimate said the task would end.
    end: Option<Instant>,
}

impl Pace {
    fn next(&mut self, now: Instant, percent: Option<u8>, ordinary: Duration) -> Duration {
        let fresh = self.eta.observe(now, percent);
        if let Some(left) = fresh {
            self.end = Some(now + left);
        }
        let Some(left) = self
            .end
            .map(|e| e.saturating_duration_since(now))
            .filter(|l| !l.is_zero() && *l <= ordinary)
        else {
            return ordinary;
        };
        let wait = if fresh.is_some() { left / 2 } else { left };
        self.end = self.end.filter(|_| fresh.is_some());
        wait.max(ESTIMATE_FLOOR).min(ordinary)
    }
}

/// How long following may go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowLimits {
    /// The whole follow ends within this ([`Outcome::TimedOut`]).
    pub deadline: Duration,
    /// The interval between polls when the BMC sends no `Retry-After`.
    pub poll: Duration,
    /// How long a task may stay `Interrupted` or `Suspended` in one go
    /// before following ends with [`Outcome::Stalled`].
    pub stall: Duration,
}

impl FollowLimits {
    /// `deadline` and `poll`, with a stall deadline as long as the deadline.
    pub fn new(deadline: Duration, poll: Duration) -> FollowLimits {
        FollowLimits {
            deadline,
            poll,
            stall: deadline,
        }
    }
}

/// A Task, or a Job (DMTF `Job`, which an update can turn into:
/// `Update.OperationTransitionedToJob`), read as a Task: a Job's
/// `JobState` stands in for the `TaskState` it lacks (the two share their
/// values but `UserIntervention`, which Dell uses for "a reboot is still
/// needed": read as `Pending`).
fn decode_task(client: &BmcClient, uri: &str, body: &[u8]) -> Result<Task, RedfishError> {
    let mut v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        if !o.contains_key("TaskState") {
            if let Some(js) = o.get("JobState").and_then(Value::as_str) {
                let ts = if js == "UserIntervention" {
                    "Pending"
                } else {
                    js
                };
                o.insert("TaskState".into(), Value::String(ts.to_string()));
            }
        }
        return client.decode(uri, v.to_string().as_bytes());
    }
    client.decode(uri, body)
}

/// The job an update moved to (`Update.OperationTransitionedToJob`, its
/// first argument; FIELD-NOTES B1.7), if this task says so.
fn transitioned_to(t: &Task) -> Option<&str> {
    t.messages
        .iter()
        .find(|m| m.message_key() == "OperationTransitionedToJob")
        .and_then(|m| m.message_args.first())
        .map(String::as_str)
        .filter(|u| u.starts_with('/') || u.contains("://"))
}

/// Follow `accepted` until an end state, a held state, or the deadline.
/// `limits.poll` is the interval used when the BMC gives no `Retry-After`;
/// while `PercentComplete` advances, polls near the estimated end come
/// sooner (see [`Pace`]), so a task is seen to end within a fraction of the
/// interval instead of up to a whole one.
///
/// A transport failure (after the client's own retries) or a 502/503/504
/// without a Redfish body is returned as the error it is:
/// [`RedfishError::is_away`] says the BMC is away, and the caller may wait
/// for it and follow the same `accepted` again (a monitor or task that is
/// then 404 is [`Outcome::Gone`]).
pub async fn follow(
    client: &BmcClient,
    accepted: &Accepted,
    limits: FollowLimits,
    mut on_progress: impl FnMut(&Progress),
) -> Result<Outcome, RedfishError> {
    let FollowLimits {
        deadline,
        poll,
        stall,
    } = limits;
    let t0 = Instant::now();
    for (field, raw) in &accepted.named {
        client.bind(raw, *field)?;
    }
    // A monitor body names its Task: bound before anything is sent to it.
    let bind_task = |t: &Task| -> Result<Option<String>, RedfishError> {
        if t.odata_id.is_empty() {
            return Ok(None);
        }
        client.bind(&t.odata_id, Field::MONITOR_BODY_ID).map(Some)
    };
    let mut task_uri = accepted.task.clone();
    let mut monitor = accepted.monitor.clone();
    let mut last: Option<Task> = None;
    let mut paused_since: Option<Instant> = None;
    let mut pace = Pace::default();
    // The request that started the task was answered just now: a first poll
    // at once would only read its start. Wait as the BMC asked (within the
    // ordinary interval) before reading it.
    if let Some(first) = accepted.retry_after {
        tokio::time::sleep(first.min(poll.max(MIN_POLL)).min(deadline)).await;
    }
    loop {
        if t0.elapsed() >= deadline {
            return Ok(Outcome::TimedOut(last));
        }
        let mut wait: Duration;
        let seen: Task;
        if let Some(m) = monitor.clone() {
            let r = client.request(Method::GET, &m, None).await?;
            match r.status {
                StatusCode::ACCEPTED => {
                    wait = retry_after(&r).min(poll.max(MIN_POLL));
                    match client.decode::<Task>(&m, &r.body) {
                        Ok(t) => {
                            if task_uri.is_none() {
                                task_uri = bind_task(&t)?;
                            }
                            seen = t;
                        }
                        Err(_) => {
                            tokio::time::sleep(wait).await;
                            continue;
                        }
                    }
                }
                StatusCode::NOT_FOUND => {
                    // Gone (iLO at completion, after the final response, or
                    // after a BMC reboot): ask the task.
                    monitor = None;
                    if task_uri.is_none() {
                        return Ok(Outcome::Gone(last));
                    }
                    continue;
                }
                StatusCode::NO_CONTENT => {
                    // bmcweb's final 204: the operation ended; the task's messages
                    // say whether it installed or staged for a reset
                    // (`AwaitToActivate`), so judge it like any finished task.
                    let t = match &task_uri {
                        Some(u) => client.get::<Task>(u).await.ok(),
                        None => None,
                    };
                    return Ok(match t.or(last) {
                        Some(t) => {
                            judge(&t, &mut on_progress).unwrap_or(Outcome::Completed(Some(t)))
                        }
                        None => Outcome::Completed(None),
                    });
                }
                s if s.is_success() => {
                    if let Ok(t) = client.decode::<Task>(&m, &r.body) {
                        if let Some(o) = judge(&t, &mut on_progress) {
                            return Ok(o);
                        }
                        if task_uri.is_none() {
                            task_uri = bind_task(&t)?;
                        }
                        last = Some(t);
                    }
                    monitor = None;
                    if task_uri.is_none() {
                        return Ok(Outcome::Completed(last));
                    }
                    continue;
                }
                s => {
                    let e = RedfishError::Http {
                        host: client.host().to_string(),
                        method: "GET".into(),
                        uri: m.clone(),
                        status: s.as_u16(),
                        redfish_message: super::error::redfish_message(&r.body),
                    };
                    // No Redfish body on a 502/503/504: the BMC (or a proxy
                    // in front of it) is not answering, not the task.
                    if e.is_away() {
                        return Err(e);
                    }
                    // A final error response: the operation failed.
                    let t = match &task_uri {
                        Some(u) => client.get::<Task>(u).await.ok(),
                        None => None,
                    };
                    return Ok(Outcome::Failed(t.or(last)));
                }
            }
        } else if let Some(u) = task_uri.clone() {
            let r = client.request(Method::GET, &u, None).await?;
            match r.status {
                StatusCode::NOT_FOUND => return Ok(Outcome::Gone(last)),
                s if s.is_success() => {
                    wait = if r.status == StatusCode::ACCEPTED {
                        retry_after(&r).min(poll)
                    } else {
                        poll
                    };
                    seen = decode_task(client, &u, &r.body)?;
                }
                s => {
                    return Err(RedfishError::Http {
                        host: client.host().to_string(),
                        method: "GET".into(),
                        uri: u,
                        status: s.as_u16(),
                        redfish_message: super::error::redfish_message(&r.body),
                    })
                }
            }
        } else {
            return Ok(Outcome::Gone(last));
        }
        // The update became a job: follow the job from here on.
        if let Some(job) = transitioned_to(&seen) {
            let job = client.bind(job, Field::named("OperationTransitionedToJob MessageArgs"))?;
            if task_uri.as_deref() != Some(job.as_str()) {
                tracing::debug!(host = %client.host(), %job, "the update transitioned to a job; following the job");
                task_uri = Some(job);
                monitor = None;
                last = Some(seen);
                continue;
            }
        }
        if let Some(o) = judge(&seen, &mut on_progress) {
            return Ok(o);
        }
        if phase(&seen) == Phase::Paused {
            let since = *paused_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= stall {
                return Ok(Outcome::Stalled(seen, since.elapsed()));
            }
        } else {
            paused_since = None;
        }
        wait = pace.next(Instant::now(), seen.percent_complete, wait);
        last = Some(seen);
        tokio::time::sleep(wait.min(deadline.saturating_sub(t0.elapsed()))).await;
    }
}

/// An end (or held) outcome for this task state, if it is one.
fn judge(t: &Task, on_progress: &mut impl FnMut(&Progress)) -> Option<Outcome> {
    let p = phase(t);
    on_progress(&Progress {
        state: t
            .task_state
            .as_ref()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        percent: t.percent_complete,
    });
    match p {
        // Messages are history: a task that waited for StartUpdate and then
        // installed carries both; success wins.
        Phase::Completed
            if t.messages
                .iter()
                .any(|m| m.message_key() == "UpdateSuccessful") =>
        {
            Some(Outcome::Completed(Some(t.clone())))
        }
        Phase::Completed => Some(match awaiting(t) {
            Some(a) => Outcome::Held(t.clone(), a),
            None => Outcome::Completed(Some(t.clone())),
        }),
        Phase::Failed => Some(Outcome::Failed(Some(t.clone()))),
        Phase::Cancelled => Some(Outcome::Cancelled(Some(t.clone()))),
        Phase::Queued => awaiting(t).map(|a| Outcome::Held(t.clone(), a)),
        Phase::Running | Phase::Unknown => held_by_vendor(t).map(|a| Outcome::Held(t.clone(), a)),
        Phase::Paused => None,
    }
}

/// What the BMC's job queue says about a job (Dell: an update's task is a
/// job of the same id, and the job outlives the task, FIELD-NOTES B1.4).
#[derive(Debug, Clone, PartialEq)]
pub struct JobSeen {
    pub uri: String,
    /// The job read as a task ([`decode_task`]): judge it with [`phase`]
    /// and [`awaiting`].
    pub task: Task,
}

/// The job `id` in the job queue `jobs` (`JobService.Jobs`, found by
/// navigation), or `None` when the queue does not have it.
pub async fn job(
    client: &BmcClient,
    jobs: &str,
    id: &str,
) -> Result<Option<JobSeen>, RedfishError> {
    let uri = format!("{}/{id}", jobs.trim_end_matches('/'));
    let r = client.request(Method::GET, &uri, None).await?;
    match r.status {
        StatusCode::NOT_FOUND => Ok(None),
        s if s.is_success() => Ok(Some(JobSeen {
            task: decode_task(client, &uri, &r.body)?,
            uri,
        })),
        s => Err(RedfishError::Http {
            host: client.host().to_string(),
            method: "GET".into(),
            uri,
            status: s.as_u16(),
            redfish_message: super::error::redfish_message(&r.body),
        }),
    }
}

/// How a job that has not ended stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobHold {
    /// Queued or running: the BMC is working on it (or about to).
    Running,
    /// Held for a host reset (Dell `Scheduled`, `JCP001`): an update staged
    /// and waiting, which the next reset runs.
    Scheduled,
}

/// A job in the BMC's queue that has not ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenJob {
    /// The job's id (Dell: the `JID_…` its update task shares).
    pub id: String,
    pub uri: String,
    pub name: String,
    pub hold: JobHold,
}

/// The jobs in the queue `jobs` (`JobService.Jobs`) that have not ended:
/// an update in flight or one held for a reset, whoever started it. A job
/// that vanishes between the list and its read has ended.
pub async fn open_jobs(client: &BmcClient, jobs: &str) -> Result<Vec<OpenJob>, RedfishError> {
    let coll: Value = client.get(jobs).await?;
    let mut out = Vec::new();
    for m in coll
        .get("Members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(uri) =
            client.bind_opt(m.get("@odata.id").and_then(Value::as_str), Field::MEMBER)?
        else {
            continue;
        };
        let Some(id) = task_id(&uri).map(str::to_string) else {
            continue;
        };
        let Some(seen) = job(client, jobs, &id).await? else {
            continue;
        };
        let hold = match (phase(&seen.task), awaiting(&seen.task)) {
            (Phase::Completed | Phase::Failed | Phase::Cancelled, _) => continue,
            (_, Some(Awaiting::Reset)) => JobHold::Scheduled,
            _ => JobHold::Running,
        };
        out.push(OpenJob {
            name: seen.task.name.clone().unwrap_or_else(|| "a job".into()),
            id,
            uri: seen.uri,
            hold,
        });
    }
    Ok(out)
}

/// The last segment of a task URI: a Dell task's id is its job's.
pub fn task_id(uri: &str) -> Option<&str> {
    uri.split(['?', '#'])
        .next()
        .and_then(|p| p.trim_end_matches('/').rsplit('/').next())
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(state: &str, oem: Option<Value>) -> Task {
        let mut v = serde_json::json!({"@odata.id": "/redfish/v1/TaskService/Tasks/1", "Id": "1", "TaskState": state});
        if let Some(o) = oem {
            v["Oem"] = o;
        }
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn vendor_states_map_leniently() {
        let check =
            |state: &str, want: Phase| assert_eq!(phase(&task(state, None)), want, "{state}");
        check("New", Phase::Queued);
        check("Downloading", Phase::Queued);
        check("Scheduled", Phase::Queued);
        check("Running", Phase::Running);
        check("Cancelling", Phase::Running);
        check("Completed", Phase::Completed);
        check("Exception", Phase::Failed);
        // Expected to continue (Task.v1_7_4): still running, not failed.
        check("Interrupted", Phase::Paused);
        check("Suspended", Phase::Paused);
        check("Cancelled", Phase::Cancelled);
        check("Frobnicating", Phase::Unknown);
        let dell = task(
            "Running",
            Some(serde_json::json!({"Dell": {"JobState": "Failed"}})),
        );
        assert_eq!(phase(&dell), Phase::Failed);
    }

    fn reply(location: Option<&str>, body: Value) -> Reply {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(l) = location {
            headers.insert("Location", l.parse().unwrap());
        }
        Reply {
            status: StatusCode::ACCEPTED,
            headers,
            body: bytes::Bytes::from(body.to_string()),
        }
    }

    #[test]
    fn polls_come_forward_only_while_the_percentage_moves() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut eta = Eta::default();
        assert_eq!(eta.observe(at(0), None), None, "no percentage");
        assert_eq!(eta.observe(at(0), Some(0)), None, "first percentage");
        // 40 % in 1 s: 60 % left is 1.5 s.
        assert_eq!(
            eta.observe(at(1000), Some(40)),
            Some(Duration::from_millis(1500))
        );
        // 90 % in 2 s: 10 % left is 222 ms.
        let left = eta.observe(at(2000), Some(90)).unwrap();
        assert!(
            left > Duration::from_millis(220) && left < Duration::from_millis(225),
            "{left:?}"
        );
        assert_eq!(
            eta.observe(at(2200), Some(90)),
            None,
            "stalled: the ordinary interval"
        );
        // 99 % in 2.4 s: 1 % left is about 24 ms (the pace floors the wait).
        let left = eta.observe(at(2400), Some(99)).unwrap();
        assert!(
            left > Duration::from_millis(20) && left < Duration::from_millis(30),
            "{left:?}"
        );
        assert_eq!(
            eta.observe(at(3000), Some(5)),
            None,
            "a restarted percentage re-anchors"
        );
        assert_eq!(
            eta.observe(at(4000), Some(55)),
            Some(Duration::from_millis(900))
        );
        assert_eq!(
            eta.observe(at(5000), Some(100)),
            None,
            "done is not estimated"
        );
    }

    #[test]
    fn polls_look_halfway_to_the_estimated_end_then_at_it() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let ms = |d: Duration| d.as_millis();
        let second = Duration::from_secs(1);
        let mut pace = Pace::default();
        assert_eq!(
            ms(pace.next(at(0), Some(0), second)),
            1000,
            "nothing to go on"
        );
        // 1.5 s left: beyond the interval, so the ordinary wait.
        assert_eq!(ms(pace.next(at(1000), Some(40), second)), 1000);
        // 222 ms left: look halfway (111 ms)…
        assert_eq!(ms(pace.next(at(2000), Some(90), second)), 111);
        // …still 90 %: look at the estimate itself (2.222 s)…
        assert_eq!(ms(pace.next(at(2111), Some(90), second)), 111);
        // …and past it, still 90 %: stalled, the ordinary wait.
        assert_eq!(ms(pace.next(at(2222), Some(90), second)), 1000);
        // Never sooner than the floor, never later than the ordinary wait.
        let mut pace = Pace::default();
        pace.next(at(0), Some(0), second);
        assert_eq!(pace.next(at(1000), Some(99), second), ESTIMATE_FLOOR);
        let short = Duration::from_millis(300);
        let mut pace = Pace::default();
        pace.next(at(0), Some(0), short);
        assert_eq!(pace.next(at(100), Some(10), short), short);
        // No percentage at all: the ordinary wait throughout.
        let mut pace = Pace::default();
        for t in [0, 1000, 2000] {
            assert_eq!(pace.next(at(t), None, second), second);
        }
    }

    #[test]
    fn the_task_is_found_wherever_the_vendor_put_it() {
        let a = parse_accepted(&reply(
            Some("/redfish/v1/TaskService/TaskMonitors/7"),
            serde_json::json!({"@odata.id": "/redfish/v1/TaskService/Tasks/7"}),
        ));
        assert_eq!(
            (a.monitor.as_deref(), a.task.as_deref()),
            (
                Some("/redfish/v1/TaskService/TaskMonitors/7"),
                Some("/redfish/v1/TaskService/Tasks/7")
            )
        );
        let a = parse_accepted(&reply(
            Some("https://10.0.0.1/redfish/v1/TaskService/Tasks/JID_1"),
            serde_json::json!({"TaskMonitor": "/redfish/v1/TaskService/Tasks/JID_1"}),
        ));
        assert_eq!(
            (a.monitor, a.task.as_deref()),
            (None, Some("/redfish/v1/TaskService/Tasks/JID_1"))
        );
        let smc = serde_json::json!({"Accepted": {"@Message.ExtendedInfo": [{"MessageArgs": ["/redfish/v1/TaskService/Tasks/546"]}]}});
        let a = parse_accepted(&reply(None, smc));
        assert_eq!(
            (a.monitor, a.task.as_deref()),
            (None, Some("/redfish/v1/TaskService/Tasks/546"))
        );
        let a = parse_accepted(&reply(
            Some("/redfish/v1/TaskService/Tasks/3/Monitor"),
            Value::Null,
        ));
        assert_eq!(
            a.monitor.as_deref(),
            Some("/redfish/v1/TaskService/Tasks/3/Monitor")
        );
    }
}
