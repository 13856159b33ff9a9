//! Steering a run while it executes: pause, resume, cancel and holds, read
//! from the store so that they reach the run from any process (`fwfleet run
//! pause` in another shell, the API of `serve`) and outlive a restart.
//!
//! [`Steering`] is the run's gate. A watcher task polls the run's control
//! row (every [`POLL`], sooner when [`wake`] is called in this process) and
//! the stored holds, and moves the gate: the rollout asks it before a host
//! starts ([`Steering::wait_open`]), a host runner before each step
//! ([`Steering::admit`]). While paused, nothing new passes; a cancel
//! cancels the run's token, which the rollout already obeys.
//!
//! When is a run `paused`? The watcher closes the gate at once, but a step
//! admitted a moment earlier may still be on its way to the BMC (hashing
//! the image, waiting out a busy BMC). `paused` is recorded only once every
//! admitted step has been journaled past `planned` (submitted, running,
//! done…) or has ended: from then on no step is submitted until `resume`,
//! which is what `fwfleet run pause` waits for.

use crate::holds::Holds;
use crate::store::{Store, StoreError};
use crate::vocab::{Control, Kind, StepState};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

/// How often the watcher reads the run's control row: a pause from another
/// process is seen within this long.
pub const POLL: Duration = Duration::from_millis(300);

/// Holds added while a run executes are read this often (each step
/// boundary checks the holds read last).
const HOLDS_EVERY: u32 = 3;

fn waker() -> &'static Notify {
    static WAKE: OnceLock<Notify> = OnceLock::new();
    WAKE.get_or_init(Notify::new)
}

/// Have every watcher in this process read the store now (the service calls
/// it after recording a control or a hold, so its own runs react at once).
pub fn wake() {
    waker().notify_waiters();
}

/// A step that passed the gate and was not yet journaled as sent.
#[derive(Debug, Clone)]
struct Admitted {
    key: u64,
    host: String,
    identity: String,
}

/// The run's gate.
#[derive(Debug)]
pub struct Steering {
    run_id: i64,
    store: Store,
    gate: watch::Sender<Control>,
    admitted: Mutex<(u64, Vec<Admitted>)>,
    holds: Mutex<Holds>,
    /// The run's cancel token; the store's `cancelled` cancels it.
    cancel: CancellationToken,
    /// Set when the watcher stops (the run ended).
    done: CancellationToken,
}

/// What a step boundary decides.
#[derive(Debug)]
pub enum Admit {
    /// Go: the guard keeps the step counted until it is dropped.
    Go(Admission),
    /// The run was cancelled (or the process is stopping).
    Stop,
    /// A hold covers the step; the text names it.
    Held(String),
}

/// A step admitted by the gate; dropping it (the step ended) uncounts it.
#[derive(Debug)]
pub struct Admission {
    steering: Arc<Steering>,
    key: u64,
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut a = self
            .steering
            .admitted
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        a.1.retain(|x| x.key != self.key);
    }
}

impl Steering {
    /// The gate of run `run_id`, open; nothing watches the store until
    /// [`Steering::start`].
    pub fn new(store: Store, run_id: i64, cancel: CancellationToken, holds: Holds) -> Arc<Self> {
        Arc::new(Steering {
            run_id,
            store,
            gate: watch::Sender::new(Control::Running),
            admitted: Mutex::new((0, Vec::new())),
            holds: Mutex::new(holds),
            cancel,
            done: CancellationToken::new(),
        })
    }

    pub fn run_id(&self) -> i64 {
        self.run_id
    }

    /// Read the store once (a run created paused starts paused), then keep
    /// watching it until [`Steering::stop`].
    pub async fn start(self: &Arc<Self>) -> Result<(), StoreError> {
        self.tick(true).await?;
        let me = self.clone();
        tokio::spawn(async move {
            let mut n = 0u32;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(POLL) => {}
                    _ = waker().notified() => {}
                    _ = me.done.cancelled() => return,
                }
                n = n.wrapping_add(1);
                if let Err(e) = me.tick(n.is_multiple_of(HOLDS_EVERY)).await {
                    tracing::warn!(run = me.run_id, "cannot read the run's control: {e}");
                }
            }
        });
        Ok(())
    }

    /// Stop watching (the run ended).
    pub fn stop(&self) {
        self.done.cancel();
    }

    /// Follow the gate (`gate.waiting` notifications watch it close).
    pub fn subscribe(&self) -> watch::Receiver<Control> {
        self.gate.subscribe()
    }

    /// What the gate obeys now.
    pub fn state(&self) -> Control {
        *self.gate.borrow()
    }

    /// Whether the run stopped while paused: it is parked, not ended (the
    /// next `serve` continues it, `fwfleet run cancel` ends it).
    pub fn parked(&self) -> bool {
        self.state() == Control::Paused
    }

    async fn tick(&self, read_holds: bool) -> Result<(), StoreError> {
        if read_holds {
            let stored = self.store.holds().await?;
            self.holds
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .set_stored(&stored);
        }
        let Some(c) = self.store.control(self.run_id).await? else {
            return Ok(());
        };
        let by = match &c.reason {
            Some(r) => format!("{} ({r})", c.requested_by),
            None => c.requested_by.clone(),
        };
        match c.requested {
            Control::Cancelled => {
                if !self.cancel.is_cancelled() {
                    self.event(
                        "cancel",
                        &format!("cancel requested by {by}: no new host or step starts; running steps finish and are recorded"),
                    )
                    .await?;
                    self.cancel.cancel();
                }
                self.gate.send_replace(Control::Cancelled);
                if c.acked != Some(Control::Cancelled) {
                    self.store
                        .ack_control(self.run_id, Control::Cancelled)
                        .await?;
                }
            }
            Control::Paused => {
                if self.state() != Control::Paused {
                    self.gate.send_replace(Control::Paused);
                    self.event(
                        "pause",
                        &format!("pause requested by {by}: no new host or step starts; running steps finish and are recorded"),
                    )
                    .await?;
                }
                if c.acked != Some(Control::Paused) {
                    let pending = self.pending().await?;
                    if pending.is_empty() {
                        self.store.ack_control(self.run_id, Control::Paused).await?;
                        self.event("paused", "paused: no step is submitted until resume")
                            .await?;
                    } else {
                        tracing::debug!(
                            run = self.run_id,
                            "pause waits for {}",
                            pending.join(", ")
                        );
                    }
                }
            }
            Control::Running => {
                if self.state() == Control::Paused {
                    self.gate.send_replace(Control::Running);
                    self.event("resume", &format!("resumed by {by}")).await?;
                }
                if c.acked != Some(Control::Running) {
                    self.store
                        .ack_control(self.run_id, Control::Running)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Admitted steps not yet journaled past `planned`.
    async fn pending(&self) -> Result<Vec<String>, StoreError> {
        let admitted = self
            .admitted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .clone();
        if admitted.is_empty() {
            return Ok(Vec::new());
        }
        let steps = self.store.steps(self.run_id).await?;
        Ok(admitted
            .into_iter()
            .filter(|a| {
                !steps.iter().any(|s| {
                    s.host == a.host && s.component == a.identity && s.state != StepState::Planned
                })
            })
            .map(|a| format!("{} {}", a.host, a.identity))
            .collect())
    }

    async fn event(&self, kind: &str, message: &str) -> Result<(), StoreError> {
        tracing::info!(run = self.run_id, kind, "{message}");
        self.store.add_event(self.run_id, None, kind, message).await
    }

    /// Wait while the run is paused; `false` when it was cancelled.
    pub async fn wait_open(&self) -> bool {
        let mut rx = self.gate.subscribe();
        tokio::select! {
            r = rx.wait_for(|c| *c != Control::Paused) => {
                r.is_ok() && !self.cancel.is_cancelled()
            }
            _ = self.cancel.cancelled() => false,
        }
    }

    /// The step boundary: wait while paused, then admit the step of `kind`
    /// on `host` (with `labels`), unless the run was cancelled or a hold
    /// covers it.
    pub async fn admit(
        self: &Arc<Self>,
        host: &str,
        labels: &BTreeMap<String, String>,
        identity: &str,
        kind: Kind,
        to: &str,
    ) -> Admit {
        loop {
            if !self.wait_open().await {
                return Admit::Stop;
            }
            let held = self
                .holds
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .holding(host, labels, kind, Some(to), chrono::Utc::now());
            if let Some(h) = held {
                return Admit::Held(h);
            }
            let mut a = self.admitted.lock().unwrap_or_else(|e| e.into_inner());
            // Checked again under the lock the watcher's `pending` reads: a
            // pause that closed the gate meanwhile either sees this step or
            // stops it here.
            if self.state() != Control::Running || self.cancel.is_cancelled() {
                continue;
            }
            a.0 += 1;
            let key = a.0;
            a.1.push(Admitted {
                key,
                host: host.to_string(),
                identity: identity.to_string(),
            });
            return Admit::Go(Admission {
                steering: self.clone(),
                key,
            });
        }
    }
}

/// One step of a run's frozen plan (`run_plans.plan_json`, `fwfleet status
/// RUN`, `GET /api/v1/runs/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlanEntry {
    pub host: String,
    pub component: String,
    pub kind: Kind,
    pub from: Option<String>,
    pub to: String,
    /// The repository file.
    pub image: String,
    pub sha256: String,
}

/// The frozen plan of `jobs`, in plan order.
pub fn frozen(jobs: &[crate::updater::host::HostJob]) -> Vec<PlanEntry> {
    jobs.iter()
        .flat_map(|j| {
            j.steps.iter().map(|s| PlanEntry {
                host: j.host.name.clone(),
                component: s.identity.clone(),
                kind: s.kind,
                from: s.from.clone(),
                to: s.to.clone(),
                image: s.image_name.clone(),
                sha256: s.sha256.clone(),
            })
        })
        .collect()
}

/// Keep only the steps of `jobs` that `plan` has (same host, component and
/// target): a run continued after a restart plans afresh from the BMCs (so
/// nothing done is sent again), but never does more than it was created with.
pub fn within_plan(
    jobs: Vec<crate::updater::host::HostJob>,
    plan: &[PlanEntry],
) -> Vec<crate::updater::host::HostJob> {
    jobs.into_iter()
        .filter_map(|mut j| {
            j.steps.retain(|s| {
                plan.iter()
                    .any(|p| p.host == j.host.name && p.component == s.identity && p.to == s.to)
            });
            (!j.steps.is_empty()).then_some(j)
        })
        .collect()
}

/// Why a run could not be steered.
#[derive(Debug, thiserror::Error)]
pub enum SteerError {
    #[error("no run {0}; `fwfleet status` (or GET /api/v1/runs) lists them")]
    NotFound(i64),
    #[error("run {id} is not running (status {status}); only a running run can be paused, resumed or cancelled")]
    NotActive {
        id: i64,
        status: crate::vocab::RunStatus,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Ask run `id` to be `want`, recorded with who and why: the one way the
/// CLI and the API steer a run. The executor acts on it at its next read
/// of the store; this process's executors are woken at once.
pub async fn request(
    store: &Store,
    id: i64,
    want: Control,
    who: &str,
    reason: Option<&str>,
) -> Result<crate::store::Run, SteerError> {
    let run = store.run(id).await?.ok_or(SteerError::NotFound(id))?;
    if run.status != crate::vocab::RunStatus::Running {
        return Err(SteerError::NotActive {
            id,
            status: run.status,
        });
    }
    store.request_control(id, want, who, reason).await?;
    wake();
    Ok(run)
}

/// The holds in force for `cfg`: its `[[holds]]` and those in `store`.
pub async fn holds_in_force(
    cfg: &crate::config::Config,
    store: &crate::store::Store,
) -> Result<crate::holds::Holds, crate::store::StoreError> {
    let mut h = crate::holds::Holds::new(cfg.holds.clone());
    h.set_stored(&store.holds().await?);
    Ok(h)
}

/// [`crate::holds::apply_to_plan`] with the hosts' labels from `cfg`, now.
pub fn hold_plan(
    plan: &mut crate::planner::Plan,
    holds: &crate::holds::Holds,
    cfg: &crate::config::Config,
) {
    crate::holds::apply_to_plan(
        plan,
        holds,
        |name| cfg.hosts.iter().find(|h| h.name == name).map(|h| &h.labels),
        chrono::Utc::now(),
    );
}
