//! Idle service: memory and CPU of `fwfleet serve` (the release binary) with
//! a small mock fleet configured, a maintenance window months away, and a
//! Prometheus-like scrape of `/metrics` every 15 s. Target (DESIGN §6):
//! ≤ 30 MiB RSS and < 1% of a core.
//!
//! `cargo bench --bench idle` (FWFLEET_IDLE_SECS=60 by default,
//! FWFLEET_IDLE_HOSTS=20). Samples /proc/PID/status (VmRSS, VmHWM) once a
//! second and /proc/PID/stat (utime + stime) at the start and end of the
//! measured stretch, which begins after start-up and a first scrape. Exits 1
//! when a target is missed. Linux only (procfs).

mod common;
use common::status_kib;

use mock_bmc::{FleetConfig, MockFleet, Persona, Profile};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "idle-bench-token-0123456789abcdef";
const RSS_TARGET_KIB: u64 = 30 * 1024;
const CPU_TARGET_PERCENT: f64 = 1.0;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// (VmRSS, VmHWM) in KiB.
fn memory(pid: u32) -> Option<(u64, u64)> {
    let pid = pid.to_string();
    Some((status_kib(&pid, "VmRSS:")?, status_kib(&pid, "VmHWM:")?))
}

/// utime + stime in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces; fields are counted after its ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After ')' the fields start at 3 (state); utime is 14, stime 15.
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn clock_ticks_per_sec() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

fn main() -> ExitCode {
    let secs = env_num("FWFLEET_IDLE_SECS", 60);
    let hosts = env_num("FWFLEET_IDLE_HOSTS", 20) as usize;
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let fleet = rt
        .block_on(MockFleet::start(FleetConfig {
            count: hosts,
            profile: Profile::Single(Persona::Generic),
            ..FleetConfig::default()
        }))
        .expect("mock fleet");
    let config = dir.path().join("fleet.toml");
    let token = dir.path().join("api.token");
    mock_bmc::fleet::write_private(&token, TOKEN.as_bytes()).expect("token");
    // A window on the first of January at 03:00: the scheduler is armed,
    // sleeping (waking once a minute to read the clock), nothing open.
    let text = format!(
        "[daemon]\ntoken_file = \"api.token\"\n\n{}\n[[windows]]\nname = \"new-year\"\ncron = \"0 3 1 1 *\"\nduration = \"4h\"\ntimezone = \"UTC\"\n",
        fleet.fleet_toml()
    );
    mock_bmc::fleet::write_private(&config, text.as_bytes()).expect("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .args(["serve", "--config"])
        .arg(&config)
        .args(["--bind", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start fwfleet serve");
    let pid = child.id();
    let stderr = child.stderr.take().expect("stderr");
    let addr = {
        use std::io::{BufRead, BufReader};
        let mut lines = BufReader::new(stderr).lines();
        loop {
            match lines.next() {
                Some(Ok(l)) => {
                    if let Some(a) = l.strip_prefix("fwfleet serve: listening on http://") {
                        let a = a.to_string();
                        // Keep draining stderr so the service never blocks on it.
                        std::thread::spawn(move || for _ in lines.by_ref() {});
                        break a;
                    }
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    eprintln!("fwfleet serve ended before listening");
                    return ExitCode::from(2);
                }
            }
        }
    };
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let scrape = |path: &'static str| {
        let (http, url) = (http.clone(), format!("http://{addr}{path}"));
        rt.block_on(async move {
            http.get(url)
                .bearer_auth(TOKEN)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        })
    };
    let t0 = Instant::now();
    while scrape("/healthz") != 200 {
        if t0.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            eprintln!("no /healthz");
            return ExitCode::from(2);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(scrape("/metrics"), 200, "metrics");
    std::thread::sleep(Duration::from_secs(2));
    let (rss0, _) = memory(pid).expect("procfs");
    let ticks0 = cpu_ticks(pid).expect("procfs");
    let start = Instant::now();
    let mut rss_max = rss0;
    let mut rss_min = rss0;
    let mut scrapes = 1;
    let mut last_scrape = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        std::thread::sleep(Duration::from_secs(1));
        if last_scrape.elapsed() >= Duration::from_secs(15) {
            assert_eq!(scrape("/metrics"), 200, "metrics");
            scrapes += 1;
            last_scrape = Instant::now();
        }
        let (rss, _) = memory(pid).expect("procfs");
        rss_max = rss_max.max(rss);
        rss_min = rss_min.min(rss);
    }
    let wall = start.elapsed().as_secs_f64();
    let ticks = cpu_ticks(pid).expect("procfs") - ticks0;
    let (rss_end, hwm) = memory(pid).expect("procfs");
    let cpu_percent = ticks as f64 / clock_ticks_per_sec() as f64 / wall * 100.0;
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let status = child.wait().expect("wait");
    println!("idle fwfleet serve: {hosts} hosts configured, window months away, /metrics every 15 s ({scrapes} scrapes)");
    println!("measured {wall:.0} s after start-up and a first scrape");
    println!(
        "RSS: {:.1} MiB at start, {:.1} MiB at end, {:.1}–{:.1} MiB over the run; peak (VmHWM) {:.1} MiB (target <= 30 MiB)",
        rss0 as f64 / 1024.0,
        rss_end as f64 / 1024.0,
        rss_min as f64 / 1024.0,
        rss_max as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
    println!("CPU: {ticks} tick(s) in {wall:.0} s = {cpu_percent:.3}% of one core (target < 1%)");
    println!("exit after SIGTERM: {:?}", status.code());
    drop(fleet);
    let ok = hwm <= RSS_TARGET_KIB && cpu_percent < CPU_TARGET_PERCENT && status.success();
    if ok {
        ExitCode::SUCCESS
    } else {
        eprintln!("idle target missed");
        ExitCode::from(1)
    }
}
