//! The mutable state of one BMC: its machine, sessions, tasks and request journal.
//!
//! One `std::sync::Mutex` per BMC: every critical section is a few field reads
//! or writes with no `.await` inside, so an async mutex would only add cost.

use crate::faults::Faults;
use crate::machine::{Kind, Machine, Role};
use crate::persona::Persona;
use crate::tasks::Task;
use crate::update::HeldUpdate;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

/// One Redfish session.
#[derive(Clone)]
pub struct Session {
    pub id: String,
    pub token: String,
    pub username: String,
    pub created: DateTime<Utc>,
    pub last_used: Instant,
    pub client: String,
}

impl std::fmt::Debug for Session {
    /// The token is a credential: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("token", &"[redacted]")
            .field("username", &self.username)
            .field("client", &self.client)
            .finish()
    }
}

/// How many journal entries a BMC keeps in full; counters cover everything.
const JOURNAL_CAPACITY: usize = 2048;

/// One request as the BMC saw it.
#[derive(Debug, Clone, Serialize)]
pub struct JournalEntry {
    pub at: DateTime<Utc>,
    pub method: String,
    pub path: String,
    pub status: u16,
}

/// What the BMC has been asked, for tests that prove a client's behaviour
/// (sessions closed, requests per scan, nothing flashed twice).
#[derive(Debug, Default, Clone, Serialize)]
pub struct JournalSummary {
    pub requests: u64,
    pub by_method: BTreeMap<String, u64>,
    pub by_status: BTreeMap<u16, u64>,
    pub sessions_created: u64,
    pub sessions_deleted: u64,
    pub sessions_expired: u64,
    pub basic_auth_requests: u64,
    pub unauthorized: u64,
}

/// The request journal: a bounded list plus counters that never roll over.
#[derive(Debug, Default)]
pub struct Journal {
    pub entries: VecDeque<JournalEntry>,
    pub summary: JournalSummary,
}

impl Journal {
    pub fn record(&mut self, method: &str, path: &str, status: u16) {
        self.summary.requests += 1;
        *self
            .summary
            .by_method
            .entry(method.to_string())
            .or_default() += 1;
        *self.summary.by_status.entry(status).or_default() += 1;
        if self.entries.len() == JOURNAL_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(JournalEntry {
            at: Utc::now(),
            method: method.to_string(),
            path: path.to_string(),
            status,
        });
    }
}

/// Session policy of one BMC.
#[derive(Debug, Clone)]
pub struct SessionPolicy {
    /// Most sessions open at once; the next login gets 503 `SessionLimitExceeded`.
    pub limit: usize,
    /// Idle seconds after which a session is gone (SessionService `SessionTimeout`).
    pub idle_timeout: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            limit: 16,
            idle_timeout: Duration::from_secs(1800),
        }
    }
}

/// Everything that changes while a BMC runs.
#[derive(Debug)]
pub struct BmcState {
    pub machine: Machine,
    pub sessions: Vec<Session>,
    pub next_session_id: u64,
    pub journal: Journal,
    pub power_on: bool,
    pub session_policy: SessionPolicy,
    /// Tasks by id, and their creation order (oldest completed are evicted first).
    pub tasks: BTreeMap<String, Task>,
    pub task_order: VecDeque<String>,
    pub task_seq: u64,
    /// Updates waiting for `#UpdateService.StartUpdate`.
    pub awaiting_start: Vec<HeldUpdate>,
    /// iDRAC jobs waiting for a host reset.
    pub awaiting_reset: Vec<HeldUpdate>,
    pub faults: Faults,
    /// The BMC is rebooting: its listener is down.
    pub rebooting: bool,
    /// A BMC image was just written while `wrong_version_after_reboot` is set.
    pub wrong_version_pending: bool,
    /// What only the field behaviour keeps.
    pub field: FieldState,
    /// UpdateService `VerifyRemoteServerCertificate` and the
    /// `RemoteServerCertificates` collection (UpdateService 1.9).
    pub remote_certs: RemoteCerts,
}

/// How the BMC checks the image server of a SimpleUpdate over HTTPS: with
/// `verify` on, only against `certs` (PEM, by id); off, not at all (the
/// schema's default, and what BMCs do).
#[derive(Debug, Clone, Default)]
pub struct RemoteCerts {
    pub verify: bool,
    pub certs: Vec<(u64, String)>,
    pub next_id: u64,
}

/// The state of the field behaviour (crate::field).
#[derive(Debug)]
pub struct FieldState {
    pub host: crate::field::host::HostState,
    /// Host firmware waiting for a host reset (and its POST).
    pub staged_host: Vec<crate::field::flow::Staged>,
    /// BMC firmware staged for a `Manager.Reset`.
    pub staged_bmc: Vec<crate::field::flow::Staged>,
    /// Activated when the BMC is back from its reboot.
    pub on_boot: Vec<crate::field::flow::Staged>,
    /// Dell jobs that report Completed once the iDRAC is back.
    pub on_boot_jobs: Vec<String>,
    /// Updates held for `StartUpdate` (generic, XCC).
    pub awaiting_start: Vec<(crate::field::flow::Staged, bool)>,
    /// The Dell job queue by JID.
    pub jobs: BTreeMap<String, crate::field::jobs::Job>,
    /// Dell `Available-<component>-<version>` packages (downloaded, not
    /// installed); they stay until DELETEd.
    pub dell_available: Vec<(String, String)>,
    /// Dell components flashed during a POST and not yet running: listed as
    /// `Current-` (running) and `Installed-` (written).
    pub dell_pending: std::collections::BTreeSet<String>,
    pub hpe: crate::field::flow::HpeState,
    /// Supermicro: a verified upload waiting for StartUpdate (update mode).
    pub smc: Option<crate::field::flow::SmcPending>,
    /// Supermicro: StartUpdate's install is running (still update mode).
    pub smc_running: bool,
    /// XCC: the push kind and task holding the update service.
    pub push_busy: Option<(crate::field::flow::Via, String)>,
    /// `HttpPushUriTargets` / `HttpPushUriTargetsBusy` as clients PATCH them (XCC).
    pub http_push_targets: Vec<String>,
    pub http_push_targets_busy: bool,
    /// bmcweb's service-wide `HttpPushUriOptions.HttpPushUriApplyTime.ApplyTime`.
    pub http_push_apply_time: crate::update::ApplyTime,
    /// `HttpPushUriOptionsBusy` as clients PATCH it (generic, UpdateService v1_4).
    pub http_push_options_busy: bool,
    /// FirmwareInventory lists only some members until then (inventory-late).
    pub inventory_partial_until: Option<Instant>,
    /// no-preserve-resets-config: the BMC came back with factory credentials.
    pub credentials_reset: bool,
    /// The update in flight was lost to a reboot (reboot-mid-task).
    pub aborted: bool,
    pub reboots: u32,
    pub host_resets: u32,
    pub manager_resets: u32,
    pub start_update_calls: u32,
}

impl Default for FieldState {
    fn default() -> Self {
        FieldState {
            host: Default::default(),
            staged_host: Vec::new(),
            staged_bmc: Vec::new(),
            on_boot: Vec::new(),
            on_boot_jobs: Vec::new(),
            awaiting_start: Vec::new(),
            jobs: BTreeMap::new(),
            dell_available: Vec::new(),
            dell_pending: Default::default(),
            hpe: Default::default(),
            smc: None,
            smc_running: false,
            push_busy: None,
            http_push_targets: Vec::new(),
            http_push_targets_busy: false,
            http_push_apply_time: crate::update::ApplyTime::Immediate,
            http_push_options_busy: false,
            inventory_partial_until: None,
            credentials_reset: false,
            aborted: false,
            reboots: 0,
            host_resets: 0,
            manager_resets: 0,
            start_update_calls: 0,
        }
    }
}

/// Most tasks a BMC keeps (bmcweb keeps 100, evicting the oldest finished).
const MAX_TASKS: usize = 100;

/// A random token, hex encoded: 128 bits, indistinguishable from random.
pub fn random_token() -> String {
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

impl BmcState {
    pub fn new(machine: Machine, session_policy: SessionPolicy) -> Self {
        BmcState {
            machine,
            sessions: Vec::new(),
            next_session_id: 1,
            journal: Journal::default(),
            power_on: true,
            session_policy,
            tasks: BTreeMap::new(),
            task_order: VecDeque::new(),
            task_seq: 0,
            awaiting_start: Vec::new(),
            awaiting_reset: Vec::new(),
            faults: Faults::default(),
            rebooting: false,
            wrong_version_pending: false,
            field: FieldState::default(),
            remote_certs: RemoteCerts::default(),
        }
    }

    pub fn insert_task(&mut self, task: Task) {
        while self.tasks.len() >= MAX_TASKS {
            let Some(pos) = self
                .task_order
                .iter()
                .position(|id| self.tasks.get(id).is_none_or(|t| t.state.is_terminal()))
            else {
                break;
            };
            if let Some(id) = self.task_order.remove(pos) {
                self.tasks.remove(&id);
            }
        }
        self.task_order.push_back(task.id.clone());
        self.tasks.insert(task.id.clone(), task);
    }

    /// Make a finished task disappear after `after` (iDRAC behaviour); `None` keeps it.
    pub fn schedule_vanish(&mut self, id: &str, after: Option<std::time::Duration>) {
        if let (Some(t), Some(after)) = (self.tasks.get_mut(id), after) {
            t.vanish_at = Some(Instant::now() + after);
        }
    }

    /// Drop tasks whose time is up.
    pub fn reap_tasks(&mut self) {
        let now = Instant::now();
        let gone: Vec<String> = self
            .tasks
            .values()
            .filter(|t| t.vanish_at.is_some_and(|v| v <= now))
            .map(|t| t.id.clone())
            .collect();
        for id in gone {
            self.tasks.remove(&id);
            self.task_order.retain(|i| i != &id);
        }
    }

    /// Write `version` into component `key` (a real flash). Returns true when the
    /// running BMC firmware changed, which makes the BMC reboot.
    pub fn write_component(&mut self, key: &str, version: &str, persona: Persona) -> bool {
        let silently = Faults::on(self.faults.silently_not_applied);
        let wrong = Faults::on(self.faults.wrong_version_after_reboot);
        let Some(idx) = self.machine.components.iter().position(|c| c.key == key) else {
            return false;
        };
        let old = self.machine.components[idx].version.clone();
        let (kind, role) = {
            let c = &mut self.machine.components[idx];
            c.flash_count += 1;
            c.staged_version = None;
            if !silently {
                c.version = version.to_string();
            }
            c.refresh_id(persona);
            (c.kind, c.role)
        };
        // Dell keeps the replaced image as the rollback ("Previous-") entry.
        if persona == Persona::Idrac && !silently && old != version {
            keep_previous(&mut self.machine.components, key, old, persona);
        }
        let bmc_reboot = kind == Kind::Bmc && role == Role::Active;
        if bmc_reboot && wrong && !silently {
            self.wrong_version_pending = true;
        }
        bmc_reboot
    }

    /// Drop sessions idle longer than the timeout; returns how many went.
    pub fn expire_sessions(&mut self) -> usize {
        let timeout = self.session_policy.idle_timeout;
        let before = self.sessions.len();
        self.sessions.retain(|s| s.last_used.elapsed() < timeout);
        let gone = before - self.sessions.len();
        self.journal.summary.sessions_expired += gone as u64;
        gone
    }

    /// Open a session, or `None` when the limit is reached.
    pub fn create_session(&mut self, username: &str, client: &str) -> Option<Session> {
        self.expire_sessions();
        if self.sessions.len() >= self.session_policy.limit {
            return None;
        }
        let id = self.next_session_id.to_string();
        self.next_session_id += 1;
        let s = Session {
            id,
            token: random_token(),
            username: username.to_string(),
            created: Utc::now(),
            last_used: Instant::now(),
            client: client.to_string(),
        };
        self.sessions.push(s.clone());
        self.journal.summary.sessions_created += 1;
        Some(s)
    }

    /// The session holding `token`, touched as used.
    pub fn session_by_token(&mut self, token: &str) -> Option<&Session> {
        self.expire_sessions();
        let s = self.sessions.iter_mut().find(|s| s.token == token)?;
        s.last_used = Instant::now();
        Some(s)
    }

    pub fn delete_session(&mut self, id: &str) -> bool {
        let before = self.sessions.len();
        self.sessions.retain(|s| s.id != id);
        let deleted = self.sessions.len() < before;
        if deleted {
            self.journal.summary.sessions_deleted += 1;
        }
        deleted
    }
}

/// iDRAC keeps the image an update replaced as the component's rollback
/// entry (`Previous-<ComponentID>-<version>__<FQDD>`): the existing one
/// takes the old version, or one is added for a component that had none
/// (an active component only; a rollback entry is not kept twice).
pub fn keep_previous(
    components: &mut Vec<crate::machine::Component>,
    key: &str,
    old: String,
    persona: Persona,
) {
    if key.ends_with("-previous") {
        return;
    }
    let prev_key = format!("{key}-previous");
    if let Some(p) = components.iter_mut().find(|c| c.key == prev_key) {
        p.version = old;
        p.refresh_id(persona);
        return;
    }
    let Some(active) = components
        .iter()
        .find(|c| c.key == key && c.role == Role::Active)
    else {
        return;
    };
    let mut p = active.clone();
    p.key = prev_key;
    p.role = Role::Previous;
    p.version = old;
    p.updateable = false;
    p.lowest_supported_version = None;
    p.flash_count = 0;
    p.staged_version = None;
    p.field = Default::default();
    p.refresh_id(persona);
    components.push(p);
}
