//! Rollout benchmark (issue 6): `apply` against a mock fleet in another
//! process, each BMC on its own loopback address, on the mock's `field`
//! behaviour (its default; `--time-scale`, default 60) or `--behaviour ideal`
//! with every update task taking `--update-secs`. Times the rollout only
//! (image server, journaled run, waves), not the scan and plan before it, and
//! compares it with the ideal: ceil(hosts / max_parallel) waves (plus one for
//! canaries) × what one host must wait for — on `field` the median host's own
//! duration (the vendor sequence it went through), on `ideal` task seconds
//! per step + BMC reboot seconds per BMC step.
//! Reports wall time, ideal, their ratio, step and host durations, where the
//! time of a step goes (from the run's journal), and the peak RSS of this
//! process (docs/BENCHMARKS.md).
//!
//! cargo build --release -p mock-bmc
//! cargo bench --bench rollout -- [--hosts 1000] [--max-parallel 200]
//!     [--update-secs 2] [--components bios] [--poll-ms MS] [--canary 0]
//!     [--profile generic] [--bmc-reboot-secs 5] [--state-dir DIR]
//!     [--behaviour field|ideal] [--time-scale 60]

mod common;
use common::*;

use fwfleet::config::Config;
use fwfleet::repository::{import_index, Repository};
use fwfleet::store::{Event, Step, Store};
use fwfleet::updater::apply::{self, ApplyOptions};
use fwfleet::updater::progress::Silent;
use fwfleet::updater::rollout::RolloutReport;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// The soft and hard limits on open files of this process.
fn nofile() -> Option<(u64, u64)> {
    let s = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = s.lines().find(|l| l.starts_with("Max open files"))?;
    let mut w = line.split_whitespace().skip(3);
    let parse = |v: Option<&str>| match v? {
        "unlimited" => Some(u64::MAX),
        n => n.parse().ok(),
    };
    Some((parse(w.next())?, parse(w.next())?))
}

/// Raise the soft limit on open files to `want` (up to the hard limit), for
/// this process and the mock it starts, through util-linux `prlimit`: the
/// workspace forbids `unsafe`, so no setrlimit(2) call.
fn raise_nofile(want: u64) {
    let Some((soft, hard)) = nofile() else { return };
    if soft >= want {
        return;
    }
    let to = want.min(hard);
    let ok = Command::new("prlimit")
        .arg(format!("--pid={}", std::process::id()))
        .arg(format!("--nofile={to}:{hard}"))
        .status()
        .is_ok_and(|s| s.success());
    let now = nofile().map_or(soft, |(s, _)| s);
    if !ok || now < want {
        eprintln!(
            "warning: open-file limit is {now}, the bench wants {want}; raise it with `ulimit -n {want}` if connections fail"
        );
    }
}

/// Kills the mock fleet however the bench ends.
struct Mock(Child);

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("rollout bench failed: {msg}");
    std::process::exit(1)
}

fn ms(at: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// Mean and 95th percentile, in seconds, of millisecond samples.
fn mean_p95(mut v: Vec<u64>) -> (f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0);
    }
    v.sort_unstable();
    let mean = v.iter().sum::<u64>() as f64 / v.len() as f64 / 1000.0;
    let p95 = v[((v.len() * 95).div_ceil(100)).saturating_sub(1)] as f64 / 1000.0;
    (mean, p95)
}

/// Where the time of a step goes, from the journal's event timestamps
/// (millisecond resolution): submit (`submitted` → `running`: the POST),
/// task (`running` → `verifying`: download, install, polling), verify
/// (`verifying` → outcome: two inventory reads that agree).
fn phases(events: &[Event]) -> Vec<(&'static str, Vec<u64>)> {
    let mut by_step: HashMap<i64, HashMap<&str, i64>> = HashMap::new();
    for e in events {
        if let (Some(id), Some(t)) = (e.step_id, ms(&e.at)) {
            by_step
                .entry(id)
                .or_default()
                .entry(e.kind.as_str())
                .or_insert(t);
        }
    }
    let span = |a: &str, b: &str| -> Vec<u64> {
        by_step
            .values()
            .filter_map(|m| Some((m.get(b)? - m.get(a)?).max(0) as u64))
            .collect()
    };
    vec![
        ("submit", span("submitted", "running")),
        ("task", span("running", "verifying")),
        ("verify", span("verifying", "updated")),
    ]
}

/// One wave, from the journal: its hosts; its length (first `method` event to
/// the last step outcome of its hosts); its slack (the length minus its median
/// host's); when its last task started (`running`), from the wave's start.
struct Wave {
    hosts: usize,
    length: f64,
    slack: f64,
    last_started: f64,
}

fn waves(
    report: &RolloutReport,
    events: &[Event],
    steps: &[Step],
    canary: usize,
    wave: usize,
) -> Vec<Wave> {
    let host_of: HashMap<i64, &str> = steps.iter().map(|s| (s.id, s.host.as_str())).collect();
    let mut first: HashMap<&str, i64> = HashMap::new();
    let mut running: HashMap<&str, i64> = HashMap::new();
    let mut last: HashMap<&str, i64> = HashMap::new();
    for e in events {
        let Some(t) = ms(&e.at) else { continue };
        // A step's events by its step; host events ("host component: …")
        // by the first word of the message.
        let host = match e.step_id {
            Some(id) => host_of.get(&id).copied().unwrap_or(""),
            None => e.message.split_whitespace().next().unwrap_or(""),
        };
        if e.kind == "method" {
            first.entry(host).or_insert(t);
        }
        if e.kind == "running" {
            running.insert(host, t);
        }
        if e.kind == "updated" || e.kind == "staged" {
            last.insert(host, t);
        }
    }
    let mut out = Vec::new();
    let hosts: Vec<&str> = report.hosts.iter().map(|h| h.name.as_str()).collect();
    let mut groups: Vec<&[&str]> = Vec::new();
    let (c, rest) = hosts.split_at(canary.min(hosts.len()));
    if !c.is_empty() {
        groups.push(c);
    }
    groups.extend(rest.chunks(wave.max(1)));
    for g in groups {
        let start = g.iter().filter_map(|h| first.get(h)).min();
        let end = g.iter().filter_map(|h| last.get(h)).max();
        let started = g.iter().filter_map(|h| running.get(h)).max();
        let mut durs: Vec<u64> = report
            .hosts
            .iter()
            .filter(|h| g.contains(&h.name.as_str()))
            .map(|h| h.duration_ms)
            .collect();
        durs.sort_unstable();
        if let (Some(s), Some(e), Some(r), Some(med)) =
            (start, end, started, durs.get(durs.len() / 2))
        {
            let length = (e - s) as f64 / 1000.0;
            out.push(Wave {
                hosts: g.len(),
                length,
                slack: length - *med as f64 / 1000.0,
                last_started: (r - s) as f64 / 1000.0,
            });
        }
    }
    out
}

fn make_images(fleet: &Path, out: &Path, components: &str) {
    let st = Command::new(mock_bin())
        .args(["make-images", "--fleet"])
        .arg(fleet)
        .arg("--out")
        .arg(out)
        .args(["--components", components])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .status()
        .expect("run mock-bmc make-images");
    if !st.success() {
        fail(format!("mock-bmc make-images exited with {st}"));
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let hosts: usize = num(&args, "--hosts", 1000);
    let max_parallel: usize = num(&args, "--max-parallel", 200);
    let update_secs: f64 = num(&args, "--update-secs", 2.0);
    let reboot_secs: f64 = num(&args, "--bmc-reboot-secs", 5.0);
    let canary: usize = num(&args, "--canary", 0);
    let components = arg(&args, "--components").unwrap_or("bios").to_string();
    let profile = arg(&args, "--profile").unwrap_or("generic").to_string();
    let poll = arg(&args, "--poll-ms").map(|_| Duration::from_millis(num(&args, "--poll-ms", 0)));
    let state_dir = arg(&args, "--state-dir").map(PathBuf::from);
    let field = match arg(&args, "--behaviour").unwrap_or("field") {
        "field" => true,
        "ideal" => false,
        other => fail(format!("--behaviour {other}: expected field or ideal")),
    };
    let time_scale: f64 = num(&args, "--time-scale", 60.0);
    let timing: Vec<String> = if field {
        vec![
            "--behaviour".into(),
            "field".into(),
            "--time-scale".into(),
            time_scale.to_string(),
        ]
    } else {
        vec![
            "--behaviour".into(),
            "ideal".into(),
            "--update-secs".into(),
            update_secs.to_string(),
            "--bmc-reboot-secs".into(),
            reboot_secs.to_string(),
        ]
    };
    if hosts == 0 || hosts > 65_000 {
        fail("--hosts must be between 1 and 65000");
    }
    // Per host in flight: its BMC's listener and connections in the mock, the
    // client's connections here, an image download; the mock holds all BMCs.
    raise_nofile((hosts as u64 + 8 * max_parallel as u64 + 256).max(4096));

    let dir = tempfile::tempdir().expect("tempdir");
    let fleet = dir.path().join("fleet.toml");
    // 127.7.0.1 … : one address per BMC, like a real fleet (the inventory
    // bench uses 127.3.x, so both can run at once).
    let last = std::net::Ipv4Addr::from(0x7f07_0001u32 + hosts as u32 - 1);
    let mut child = Command::new(mock_bin())
        .args(["serve", "--count", &hosts.to_string()])
        .args(["--listen", &format!("127.7.0.1-{last}:8443")])
        .args(["--profile", &profile, "--password", "bench-pw"])
        .args(&timing)
        .arg("--fleet-out")
        .arg(&fleet)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start mock-bmc");
    let out = child.stdout.take().expect("mock stdout");
    let _mock = Mock(child);
    let t0 = Instant::now();
    let mut ready = false;
    for line in BufReader::new(out).lines() {
        let Ok(line) = line else { break };
        if line.starts_with("ready ") {
            ready = true;
            break;
        }
    }
    if !ready {
        fail("mock-bmc exited before it was ready");
    }
    eprintln!(
        "mock fleet of {hosts} ({profile}) ready in {:.1}s",
        t0.elapsed().as_secs_f64()
    );

    let images = dir.path().join("images");
    make_images(&fleet, &images, &components);
    let mut repo = Repository::create_or_open(dir.path().join("repository")).expect("repository");
    let n = import_index(&mut repo, &images.join("images.json")).expect("import images.json");
    let mut cfg = Config::load(&fleet).expect("load the fleet file");
    cfg.rollout.max_parallel = max_parallel;
    cfg.rollout.canary = canary;
    if let Some(d) = &state_dir {
        // e.g. a tmpfs, to see what the journal's fsyncs cost.
        cfg.state_dir = d.join(format!("rollout-bench-{}", std::process::id()));
    }
    let store = Store::open(&cfg.state_dir).await.expect("open the store");
    let opts = ApplyOptions {
        poll,
        ..ApplyOptions::default()
    };
    let cancel = CancellationToken::new();
    let t = Instant::now();
    let prepared = apply::prepare(&cfg, &repo, &store, &opts, &cancel)
        .await
        .expect("scan and plan");
    let scanned = t.elapsed();
    let unreachable = prepared.inventory.failed();
    if unreachable > 0 {
        fail(format!("{unreachable} host(s) failed the scan"));
    }
    if prepared.jobs.len() != hosts {
        fail(format!(
            "{} of {hosts} hosts have something to update ({n} images imported for {components})",
            prepared.jobs.len()
        ));
    }
    let steps = prepared
        .jobs
        .iter()
        .map(|j| j.steps.len())
        .max()
        .unwrap_or(0);
    let bmc_steps = prepared
        .jobs
        .iter()
        .map(|j| {
            j.steps
                .iter()
                .filter(|s| s.kind == fwfleet::inventory::model::Kind::Bmc)
                .count()
        })
        .max()
        .unwrap_or(0);
    eprintln!(
        "scanned and planned in {:.1}s: {} step(s) on {hosts} host(s); rolling out",
        scanned.as_secs_f64(),
        prepared.steps()
    );

    let t = Instant::now();
    let unreachable = prepared.inventory.failed();
    let report = apply::execute(
        &cfg,
        prepared.jobs,
        unreachable,
        &opts,
        store.clone(),
        cancel,
        Arc::new(Silent),
    )
    .await
    .expect("rollout");
    let wall = t.elapsed().as_secs_f64();

    let host_ms: Vec<u64> = report.hosts.iter().map(|h| h.duration_ms).collect();
    let per_host = if field {
        let mut v = host_ms.clone();
        v.sort_unstable();
        v.get(v.len() / 2).map_or(0.0, |m| *m as f64 / 1000.0)
    } else {
        update_secs * steps as f64 + reboot_secs * bmc_steps as f64
    };
    let n_waves = usize::from(canary > 0) + (hosts - canary.min(hosts)).div_ceil(max_parallel);
    let ideal = n_waves as f64 * per_host;
    let step_ms: Vec<u64> = report
        .hosts
        .iter()
        .flat_map(|h| h.steps.iter().map(|s| s.duration_ms))
        .collect();
    let (step_mean, step_p95) = mean_p95(step_ms);
    let (host_mean, host_p95) = mean_p95(host_ms);
    let events = store.events(report.run_id).await.expect("read the journal");
    let journal_steps = store.steps(report.run_id).await.expect("read the journal");
    if state_dir.is_some() {
        let _ = std::fs::remove_dir_all(&cfg.state_dir);
    }
    let outcomes = |m: &std::collections::BTreeMap<String, usize>| {
        m.iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let poll_s = poll.map_or("default".to_string(), |p| p.as_millis().to_string());
    println!(
        "rollout hosts={hosts} max_parallel={max_parallel} canary={canary} behaviour={} update_secs={update_secs} components={components} profile={profile} poll_ms={poll_s} steps_per_host={steps}",
        if field {
            format!("field/{time_scale}")
        } else {
            "ideal".to_string()
        }
    );
    println!(
        "  wall_s={wall:.2} ideal_s={ideal:.2} ({n_waves} waves x {per_host:.1}s) ratio={:.2} peak_rss_mib={:.1}",
        wall / ideal,
        status_kib("self", "VmHWM:").unwrap_or(0) as f64 / 1024.0
    );
    println!(
        "  step_s mean={step_mean:.2} p95={step_p95:.2}  host_s mean={host_mean:.2} p95={host_p95:.2}"
    );
    for (name, v) in phases(&events) {
        let (m, p) = mean_p95(v);
        println!("  phase {name:<6} mean={m:.2} p95={p:.2}");
    }
    let wave_size = cfg.rollout.wave_size.unwrap_or(max_parallel);
    for (i, w) in waves(&report, &events, &journal_steps, canary, wave_size)
        .into_iter()
        .enumerate()
    {
        println!(
            "  wave {} hosts={} length_s={:.2} last_task_started_s={:.2} slack_s={:.2}",
            i + 1,
            w.hosts,
            w.length,
            w.last_started,
            w.slack
        );
    }
    println!(
        "  status={} hosts_by_result={} steps_by_outcome={}",
        report.status,
        outcomes(&report.hosts_by_result),
        outcomes(&report.steps_by_outcome)
    );
    let not_updated: Vec<&str> = report
        .hosts
        .iter()
        .filter(|h| h.result != "updated")
        .map(|h| h.message.as_str())
        .collect();
    if !not_updated.is_empty() {
        for m in not_updated.iter().take(10) {
            eprintln!("  {m}");
        }
        fail(format!(
            "{} of {hosts} hosts did not end updated",
            not_updated.len()
        ));
    }
}
