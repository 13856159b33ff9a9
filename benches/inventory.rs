//! Inventory benchmark: `fwfleet inventory` against a mock fleet in another
//! process, each BMC on its own loopback address, with a fixed latency per
//! response. Reports wall time, the latency bound, their ratio and the peak
//! RSS of fwfleet (docs/BENCHMARKS.md).
//!
//! cargo build --release -p mock-bmc
//! cargo bench --bench inventory -- [--hosts 1000] [--latency-ms 50] [--concurrency 64]
//!
//! The bound is 6 round trips per host (service root; login; UpdateService and
//! the system in parallel; FirmwareInventory expanded; logout) × latency ×
//! ceil(hosts / concurrency).

mod common;
use common::*;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let hosts: u64 = num(&args, "--hosts", 1000);
    let latency: u64 = num(&args, "--latency-ms", 50);
    let concurrency: u64 = num(&args, "--concurrency", 64);
    let dir = tempfile::tempdir().expect("tempdir");
    let fleet = dir.path().join("fleet.toml");
    // 127.3.0.1 … : one address per BMC, like a real fleet.
    let last = 0x7f03_0001u32 + hosts as u32 - 1;
    let last = std::net::Ipv4Addr::from(last);
    let mut mock = Command::new(mock_bin())
        .args([
            "serve",
            "--count",
            &hosts.to_string(),
            "--listen",
            &format!("127.3.0.1-{last}:8443"),
        ])
        .args([
            "--latency-ms",
            &latency.to_string(),
            "--profile",
            "generic",
            "--password",
            "bench-pw",
        ])
        .args([
            "--session-limit",
            "4",
            "--fleet-out",
            fleet.to_str().unwrap_or_default(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start mock-bmc");
    let out = mock.stdout.take().expect("mock stdout");
    let t0 = Instant::now();
    for line in BufReader::new(out).lines() {
        let line = line.expect("mock output");
        if line.starts_with("ready ") {
            break;
        }
    }
    eprintln!(
        "mock fleet of {hosts} ready in {:.1}s",
        t0.elapsed().as_secs_f64()
    );
    let config = dir.path().join("bench.toml");
    let text = std::fs::read_to_string(&fleet).expect("fleet file");
    std::fs::write(&config, format!("concurrency = {concurrency}\n{text}")).expect("config");
    let t = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .args(["inventory", "--format", "json", "--no-save", "--config"])
        .arg(&config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start fwfleet");
    let pid = child.id();
    let mut peak = 0u64;
    let stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut BufReader::new(stdout), &mut s);
        s
    });
    loop {
        if let Some(k) = status_kib(&pid.to_string(), "VmHWM:") {
            peak = peak.max(k);
        }
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let wall = t.elapsed();
    let json = reader.join().unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap_or(serde_json::Value::Null);
    let ok = v["hosts"]
        .as_array()
        .map_or(0, |h| h.iter().filter(|h| h["ok"] == true).count());
    let waves = hosts.div_ceil(concurrency);
    let bound = Duration::from_millis(6 * latency * waves);
    let _ = mock.kill();
    let _ = mock.wait();
    println!(
        "inventory hosts={hosts} latency_ms={latency} concurrency={concurrency} ok={ok} wall_s={:.2} bound_s={:.2} ratio={:.2} peak_rss_mib={:.1}",
        wall.as_secs_f64(),
        bound.as_secs_f64(),
        wall.as_secs_f64() / bound.as_secs_f64(),
        peak as f64 / 1024.0
    );
    if ok as u64 != hosts {
        eprintln!("{} hosts failed", hosts - ok as u64);
        std::process::exit(1);
    }
}
