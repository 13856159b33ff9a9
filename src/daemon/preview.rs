//! The schedule view: which steps the windows will run and when, from the
//! stored scans, the repository and the journal's history — no BMC is
//! touched. `fwfleet schedule`, `GET /api/v1/schedule` and `serve`'s start
//! warning all come from here; the placing itself is
//! `crate::schedule::preview` (pure).

use super::error::DaemonError;
use super::history;
use super::window::pending;
use crate::config::Config;
use crate::inventory::model::Inventory;
use crate::repository::Repository;
use crate::schedule::{self, HostPreview};
use crate::store::Store;
use crate::updater::apply::{self, ApplyOptions};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

/// The longest preview: the spans of a year are enough to see any monthly
/// or quarterly window, and the output stays bounded.
pub const MAX_DAYS: u32 = 366;

/// What `fwfleet schedule` prints and `GET /api/v1/schedule` returns.
#[derive(Debug, Clone, Serialize)]
pub struct ScheduleView {
    pub generated_at: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub days: u32,
    /// When the latest stored scan started: the plan is made from each
    /// host's latest scan, so a stale preview says so.
    pub latest_scan: Option<String>,
    /// Hosts in the config with no good stored scan: not in the preview.
    pub unscanned: Vec<String>,
    /// `[estimates]` as configured: the default and the percentile.
    pub estimate_default_secs: u64,
    pub estimate_percentile: u8,
    /// Hosts with planned steps, in plan order.
    pub hosts: Vec<HostPreview>,
    /// Windows too short for a host's first step (see `schedule::too_short`).
    pub warnings: Vec<String>,
    /// What the preview does not model.
    pub note: &'static str,
}

const NOTE: &str = "best case per host: max_parallel, label caps and canaries can start a host later than shown, never earlier";

/// Every configured host's last good stored scan, as one inventory. A run's
/// rescan saves only the run's hosts, so the latest whole scan alone would
/// drop the rest of the fleet; a failed scan would plan nothing.
pub async fn stored_inventory(
    cfg: &Config,
    store: &Store,
) -> Result<(Inventory, Vec<String>), DaemonError> {
    let names: Vec<String> = cfg.hosts.iter().map(|h| h.name.clone()).collect();
    let found = store.latest_good_hosts(names.clone()).await?;
    let mut hosts = Vec::new();
    let mut unscanned = Vec::new();
    for (name, h) in names.into_iter().zip(found) {
        match h {
            Some((h, _)) => hosts.push(h),
            None => unscanned.push(name),
        }
    }
    let scanned_at = store
        .list_scans(1)
        .await?
        .into_iter()
        .next()
        .map(|s| s.scanned_at)
        .unwrap_or_default();
    Ok((Inventory { scanned_at, hosts }, unscanned))
}

/// The schedule view over the next `days` days from `now`.
pub async fn view(
    cfg: &Config,
    store: &Store,
    repo: &Repository,
    opts: &ApplyOptions,
    now: DateTime<Utc>,
    days: u32,
) -> Result<ScheduleView, DaemonError> {
    let (inventory, unscanned) = stored_inventory(cfg, store).await?;
    let latest_scan = (!inventory.scanned_at.is_empty()).then(|| inventory.scanned_at.clone());
    let est = history::estimates(store, cfg.estimates, &inventory).await?;
    let prepared = apply::prepare_from(cfg, repo, store, opts, inventory, 0).await?;
    let steps = pending(&prepared.jobs, &prepared.inventory);
    let until = now + TimeDelta::days(i64::from(days.min(MAX_DAYS)));
    Ok(ScheduleView {
        generated_at: now,
        until,
        days: days.min(MAX_DAYS),
        latest_scan,
        unscanned,
        estimate_default_secs: cfg.estimates.default.as_secs(),
        estimate_percentile: cfg.estimates.percentile,
        hosts: schedule::preview(&cfg.schedule, &cfg.freezes, &est, now, until, &steps),
        warnings: schedule::too_short(&cfg.schedule, &est, &steps),
        note: NOTE,
    })
}

/// The windows that cannot run any planned step of some host, for `serve`'s
/// start; empty (and no error) when nothing was scanned yet.
pub async fn start_warnings(
    cfg: &Config,
    store: &Store,
    repo: &Repository,
) -> Result<Vec<String>, DaemonError> {
    if cfg.schedule.is_empty() {
        return Ok(Vec::new());
    }
    let (inventory, _) = stored_inventory(cfg, store).await?;
    if inventory.hosts.is_empty() {
        return Ok(Vec::new());
    }
    let est = history::estimates(store, cfg.estimates, &inventory).await?;
    let prepared =
        apply::prepare_from(cfg, repo, store, &ApplyOptions::default(), inventory, 0).await?;
    let steps = pending(&prepared.jobs, &prepared.inventory);
    Ok(schedule::too_short(&cfg.schedule, &est, &steps))
}

/// The view as text: one block per host, one line per span.
pub fn render(v: &ScheduleView) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "schedule from {} to {} ({} day(s)); estimates: p{} of history, else {} (default)",
        v.generated_at.format("%Y-%m-%d %H:%M UTC"),
        v.until.format("%Y-%m-%d %H:%M UTC"),
        v.days,
        v.estimate_percentile,
        schedule::fmt_duration(std::time::Duration::from_secs(v.estimate_default_secs)),
    );
    if let Some(t) = &v.latest_scan {
        let _ = writeln!(
            out,
            "planned from each host's last good stored scan (latest {t}); {}",
            v.note
        );
    }
    if !v.unscanned.is_empty() {
        let _ = writeln!(
            out,
            "not in the preview, never scanned: {} (run `fwfleet inventory`)",
            v.unscanned.join(", ")
        );
    }
    if v.hosts.is_empty() {
        let _ = writeln!(out, "nothing planned: no host has a step to flash");
    }
    for h in &v.hosts {
        let steps: usize =
            h.spans.iter().map(|s| s.steps.len()).sum::<usize>() + h.unscheduled.len();
        let _ = writeln!(
            out,
            "\n{}{}: {steps} step(s) planned",
            h.host,
            if h.model.is_empty() {
                String::new()
            } else {
                format!(" ({})", h.model)
            }
        );
        for s in &h.spans {
            let placed = if s.steps.is_empty() {
                "—".to_string()
            } else {
                s.steps
                    .iter()
                    .map(|p| {
                        format!(
                            "{} at {} ({})",
                            p.component,
                            p.begin.format("%H:%M"),
                            est_text(&p.estimate)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            let _ = writeln!(
                out,
                "  {} → {}  [{}]  {placed}{}",
                s.start.format("%Y-%m-%d %H:%M"),
                s.end.format("%Y-%m-%d %H:%M UTC"),
                s.windows.join(","),
                s.waits
                    .as_deref()
                    .filter(|_| !s.steps.is_empty()
                        || s.start == h.spans[0].start
                        || s.frozen.is_some())
                    .map(|w| format!("; waits: {w}"))
                    .unwrap_or_default()
            );
            if let Some(f) = &s.frozen {
                let _ = writeln!(
                    out,
                    "    frozen from {}: {}",
                    f.from.format("%Y-%m-%d %H:%M UTC"),
                    f.freeze
                );
            }
        }
        if h.more_spans {
            let _ = writeln!(
                out,
                "  … more spans (at most {} shown)",
                schedule::MAX_SPANS_PER_HOST
            );
        }
        for u in &h.unscheduled {
            let _ = writeln!(
                out,
                "  not scheduled: {} ({}): {}",
                u.component,
                est_text(&u.estimate),
                u.reason
            );
        }
    }
    if !v.warnings.is_empty() {
        let _ = writeln!(out);
        for w in &v.warnings {
            let _ = writeln!(out, "warning: {w}");
        }
    }
    out
}

fn est_text(e: &schedule::EstimateView) -> String {
    let d = schedule::fmt_duration(std::time::Duration::from_secs(e.secs));
    match e.source {
        "history" => format!("{d} from {} earlier step(s)", e.samples),
        _ => format!("{d} default"),
    }
}
