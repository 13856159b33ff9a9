//! `fwfleet serve`: the service that keeps the fleet up to date unattended.
//!
//! Module map:
//!
//! - `mod.rs` (this file): [`Daemon`] (what the API and the scheduler share)
//!   and [`serve`]: the startup order (store, update lock, resume of steps a
//!   crash left in flight, then API and scheduler) and the shutdown.
//! - [`auth`]: the API's bearer tokens with their roles, kept as digests;
//!   the middleware that checks them and names the caller for the audit.
//! - [`error`]: [`DaemonError`] and the API's JSON errors ([`ApiError`]).
//! - [`runs`]: one rollout at a time; a run from a request or a window:
//!   scan and plan, fit into the window, roll out, scan again.
//! - [`window`]: which of a window's steps fit before it closes (pure).
//! - [`history`]: step duration estimates from the journal.
//! - [`scheduler`]: the timer loop over `[[windows]]`.
//! - [`views`]: every host with its latest scan and plan, cached per scan.
//! - [`metrics`]: counters fed by the rollout's progress; the Prometheus text
//!   (with the `[[notify]]` delivery counters of `crate::notify`).
//! - [`actions`]: the run actions table (`RUN_ACTIONS`: pause, resume,
//!   cancel; name, role, effect) and `perform`, which the API's routes and
//!   the dashboard's buttons share (role check, audit row, store write).
//! - [`api`]: the axum router.
//! - [`listen`]: the accept loop: plain HTTP or TLS, header-read and idle
//!   timeouts, a connection cap, the peer's address for the audit trail.
//!
//! The scan → plan → rollout flow is `crate::updater::apply`'s, shared with
//! the `apply` command; this module adds when (windows), who may ask (the
//! API) and what is shown (views, metrics).

pub mod actions;
pub mod api;
pub mod auth;
pub mod error;
pub mod history;
pub mod listen;
pub mod metrics;
pub mod preview;
pub mod reload;
pub mod runs;
pub mod scheduler;
pub mod views;
pub mod window;

pub use error::{ApiError, DaemonError};

use crate::config::Config;
use crate::repository::Repository;
use crate::store::Store;
use crate::updater::lock::UpdateLock;
use crate::updater::resume;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// What the API handlers, the scheduler and the runs share.
pub struct Daemon {
    /// Swapped whole on SIGHUP (see `reload`); readers take a snapshot.
    cfg: std::sync::RwLock<Arc<Config>>,
    /// Woken after a reload, so the scheduler looks at the new windows.
    reloaded: tokio::sync::Notify,
    pub store: Store,
    keys: auth::Keyring,
    runs: runs::Runs,
    pub metrics: Arc<metrics::Metrics>,
    views: views::Views,
    /// SIGTERM / Ctrl-C: parent of every run's cancel token.
    pub shutdown: CancellationToken,
    /// The scheduler and the runs, so that shutdown can wait for them.
    tasks: TaskTracker,
    /// Held until the process ends (see `Daemon::start`).
    lock: UpdateLock,
    /// The `[[notify]]` webhooks: workers for the service's whole life
    /// (a reload keeps them; see `reload`).
    pub notify: crate::notify::Notifier,
}

/// Task poll interval of resumed steps when the BMC sends no `Retry-After`
/// (the same as `apply`'s).
pub(crate) const RESUME_POLL: Duration = Duration::from_secs(1);

impl fmt::Debug for Daemon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Daemon")
            .field("config", &self.cfg().path)
            .field("store", &self.store.path())
            .field("active_run", &self.active_run())
            .finish_non_exhaustive()
    }
}

impl Daemon {
    /// Everything that must happen before the API answers or a window fires.
    async fn start(
        cfg: Config,
        keys: auth::Keyring,
        shutdown: CancellationToken,
    ) -> Result<Arc<Daemon>, DaemonError> {
        // 1. The store: the journal is the service's memory.
        let store = Store::open(&cfg.state_dir).await?;
        // 2. One updating process per state directory, held for the
        //    service's whole life: an `apply` started beside it would
        //    otherwise take the service's live steps for left-overs.
        let lock = UpdateLock::acquire(&cfg.state_dir)?;
        // 3. Steps a crash left in flight are decided (their task followed,
        //    or judged from the BMC, never sent again) before anything else
        //    touches a BMC. SIGTERM interrupts this too.
        let resumed = resume::resume(&cfg, &store, &lock, &shutdown, RESUME_POLL).await?;
        for line in resumed.render().lines() {
            tracing::warn!("{line}");
        }
        let notify = crate::notify::Notifier::start(&cfg.notify)?;
        // 4. Only then may the API and the scheduler start runs.
        Ok(Arc::new(Daemon {
            notify,
            cfg: std::sync::RwLock::new(Arc::new(cfg)),
            reloaded: tokio::sync::Notify::new(),
            store,
            keys,
            runs: runs::Runs::default(),
            metrics: Arc::new(metrics::Metrics::default()),
            views: views::Views::default(),
            shutdown,
            tasks: TaskTracker::new(),
            lock,
        }))
    }
}

impl Daemon {
    /// The config now in force: a snapshot, so one request or run sees one
    /// config even if a reload lands meanwhile.
    pub fn cfg(&self) -> Arc<Config> {
        self.cfg.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The cached fleet view (what `/api/v1/hosts` serves), for the
    /// dashboard, which must show the same compliance, never its own.
    pub async fn fleet_view(&self) -> Result<Arc<views::FleetView>, DaemonError> {
        self.views.get(&self.cfg(), &self.store).await
    }

    /// The API's tokens, for the dashboard's sign-in.
    pub fn keyring(&self) -> &auth::Keyring {
        &self.keys
    }

    /// SIGHUP: read the config file again; switch to it only if it validates
    /// (see [`reload`]). Returns whether it was switched.
    pub async fn reload(&self) -> bool {
        let old = self.cfg();
        let path = old.path.clone();
        let loaded = tokio::task::spawn_blocking(move || Config::load(&path)).await;
        let new = match loaded {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                tracing::error!("config reload refused, the running config stays: {e}");
                return false;
            }
            Err(e) => {
                tracing::error!("config reload refused, the running config stays: {e}");
                return false;
            }
        };
        for w in &new.warnings {
            tracing::warn!("{w}");
        }
        let (new, kept) = reload::merge(&old, new);
        for k in &kept {
            tracing::warn!("{k}");
        }
        tracing::info!("{}", reload::summary(&new));
        *self.cfg.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(new);
        self.views.invalidate();
        self.reloaded.notify_waiters();
        warn_of_short_windows(self).await;
        true
    }
}

/// Reload on every SIGHUP until shutdown.
#[cfg(unix)]
async fn reload_on_sighup(d: Arc<Daemon>) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hup = match signal(SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("cannot listen for SIGHUP, the config is read at start only: {e}");
            return;
        }
    };
    loop {
        tokio::select! {
            got = hup.recv() => {
                if got.is_none() {
                    return;
                }
                d.reload().await;
            }
            _ = d.shutdown.cancelled() => return,
        }
    }
}

/// Serve the API on `listener` and run the scheduler until `shutdown`
/// completes; then start no new step, let running steps reach a recorded
/// state, finish the run record, and return. The API keeps answering while
/// the run drains, so an operator can watch it end.
pub async fn serve<F>(
    cfg: Config,
    keys: impl Into<auth::Keyring>,
    listener: TcpListener,
    shutdown: F,
) -> Result<(), DaemonError>
where
    F: Future<Output = ()> + Send + 'static,
{
    // The TLS files are checked before anything else happens.
    let tls = match (&cfg.daemon.tls_cert, &cfg.daemon.tls_key) {
        (Some(cert), Some(key)) => Some(crate::tlsfiles::server_config(
            cert,
            key,
            &[b"h2", b"http/1.1"],
        )?),
        _ => None,
    };
    if let Ok(addr) = listener.local_addr() {
        if tls.is_none() && !addr.ip().is_loopback() {
            tracing::warn!(
                %addr,
                "the API listens beyond this machine over plain HTTP: tokens and requests cross the network readable by anyone on the path; set daemon.tls_cert and daemon.tls_key (docs/SECURITY.md#the-api)"
            );
        }
    }
    let limits = listen::Limits {
        header_timeout: cfg.daemon.header_timeout,
        idle_timeout: cfg.daemon.idle_timeout,
        max_connections: cfg.daemon.max_connections,
    };
    let stop = CancellationToken::new();
    let signal = {
        let stop = stop.clone();
        tokio::spawn(async move {
            shutdown.await;
            stop.cancel();
        })
    };
    let d = match Daemon::start(cfg, keys.into(), stop).await {
        Ok(d) => d,
        Err(e) => {
            signal.abort();
            return Err(e);
        }
    };
    // A run paused when the service stopped takes the slot again, paused.
    if let Err(e) = d.adopt_parked().await {
        tracing::error!("cannot read the runs paused when the service stopped: {e}");
    }
    #[cfg(unix)]
    d.tasks.spawn(reload_on_sighup(d.clone()));
    if d.cfg().daemon.scheduler {
        if d.cfg().schedule.is_empty() {
            tracing::info!("no [[windows]] configured: runs start through the API only (a reload that adds windows starts them)");
        } else {
            warn_of_short_windows(&d).await;
        }
        d.tasks.spawn(scheduler::run(d.clone()));
    } else {
        tracing::info!("no scheduler: daemon.scheduler = false; runs start through the API only");
    }
    let drained = {
        let d = d.clone();
        async move {
            d.shutdown.cancelled().await;
            if let Some(a) = d.active_run() {
                tracing::info!(
                    run = a.run_id,
                    "shutting down: no new step starts; waiting for running steps to be recorded"
                );
            } else {
                tracing::info!("shutting down");
            }
            d.tasks.close();
            d.tasks.wait().await;
        }
    };
    listen::serve(listener, api::router(d.clone()), tls, limits, drained).await;
    signal.abort();
    // If the server failed on its own, stop what runs and wait for it too.
    d.shutdown.cancel();
    d.tasks.close();
    d.tasks.wait().await;
    // Every run has drained: no step can start any more.
    d.lock.release();
    // The last events (a run cancelled by the shutdown), for a bounded time.
    let left = d.notify.flush(crate::notify::APPLY_FLUSH).await;
    if !left.is_empty() {
        tracing::warn!(
            "shutting down with notifications undelivered after {}s: {left}",
            crate::notify::APPLY_FLUSH.as_secs()
        );
    }
    Ok(())
}

/// A window shorter than the estimate of a host's first planned step runs
/// nothing for that host, silently, window after window: say so at start,
/// with the estimate to blame. From the stored scans; best effort (a
/// missing repository or scan is the first run's business, not the start's).
async fn warn_of_short_windows(d: &Daemon) {
    let dir = d.cfg().repository.clone();
    let repo = match tokio::task::spawn_blocking(move || Repository::open(&dir)).await {
        Ok(Ok(r)) => r,
        _ => return,
    };
    match preview::start_warnings(&d.cfg(), &d.store, &repo).await {
        Ok(lines) => {
            for line in lines {
                tracing::warn!("{line}; `fwfleet schedule` shows what fits");
            }
        }
        Err(e) => tracing::debug!("cannot check the windows against the plan: {e}"),
    }
}
