//! The scheduler loop: sleep until the next window opens (as the pure
//! `schedule::due` computes it from `now`), then roll out for the hosts whose
//! window is open, one run at a time.
//!
//! A host is acted on once per opening of its window: what does not fit or
//! is left when the run stops starting steps waits for the next opening. A
//! window that opens while another run is active waits for that run to end
//! (logged), then starts with the time that is left, if its steps still fit.
//! The loop wakes at least every [`MAX_NAP`] to read the clock again, so a
//! wall-clock step (NTP, a resumed VM) delays a window by at most that.

use super::runs::{StartError, Trigger};
use super::Daemon;
use crate::schedule;
use crate::updater::apply::ApplyOptions;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// The longest sleep between two looks at the clock.
pub const MAX_NAP: Duration = Duration::from_secs(60);

/// How long to wait after a run could not be recorded before trying again.
const RETRY_AFTER_ERROR: Duration = Duration::from_secs(60);

/// Run until the service shuts down.
pub async fn run(d: Arc<Daemon>) {
    let mut handled: HashMap<String, DateTime<Utc>> = HashMap::new();
    tracing::info!(
        windows = d.cfg().schedule.windows().len(),
        "scheduler started"
    );
    loop {
        if d.shutdown.is_cancelled() {
            return;
        }
        let now = Utc::now();
        // A snapshot per look: a reload takes effect at the next one.
        let cfg = d.cfg();
        let due = schedule::due(
            &cfg.schedule,
            now,
            cfg.hosts.iter().map(|h| (h.name.as_str(), &h.labels)),
            &handled,
        );
        d.metrics.set_next_window(due.next_start);
        if let Some(group) = due.groups.into_iter().next() {
            let names = group.span.windows.join(",");
            match d
                .start_run(ApplyOptions::default(), Trigger::Window(group.clone()))
                .await
            {
                Ok(run) => {
                    tracing::info!(run, window = %names, hosts = group.hosts.len(), end = %group.span.end.to_rfc3339(), "window open: rollout started");
                    for h in group.hosts {
                        handled.insert(h, group.span.start);
                    }
                }
                Err(StartError::Busy(active)) => {
                    tracing::info!(window = %names, active = active.run_id, "window open while run {} ({}) is active; it starts when that run ends", active.run_id, active.trigger);
                }
                Err(StartError::ShuttingDown) => return,
                Err(StartError::Frozen(frozen)) => {
                    // Not started, and not retried within this window span.
                    tracing::warn!(window = %names, "window open, but every host of it is inside a change freeze; no run starts:\n{frozen}");
                    for h in group.hosts {
                        handled.insert(h, group.span.start);
                    }
                    continue;
                }
                Err(StartError::Failed(e)) => {
                    tracing::error!(window = %names, "cannot start the window's rollout: {e}");
                    nap(&d, RETRY_AFTER_ERROR).await;
                    continue;
                }
            }
            tokio::select! {
                _ = d.wait_idle() => {}
                _ = d.shutdown.cancelled() => return,
            }
            continue;
        }
        let wait = due
            .next_start
            .map_or(MAX_NAP, |t| (t - now).to_std().unwrap_or_default())
            .min(MAX_NAP);
        nap(&d, wait).await;
    }
}

async fn nap(d: &Daemon, wait: Duration) {
    tokio::select! {
        _ = tokio::time::sleep(wait) => {}
        _ = d.reloaded.notified() => {}
        _ = d.shutdown.cancelled() => {}
    }
}
