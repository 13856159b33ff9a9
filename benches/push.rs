//! Push benchmark: one image pushed by multipart to every BMC of a mock fleet
//! at once, first by fwfleet's own push code (`update::push_multipart`
//! through `BmcClient`, in this process), then by one `curl -F` process per BMC.
//! Reports wall time, aggregate throughput, their ratio, and the peak RSS of
//! the fwfleet phase (docs/BENCHMARKS.md).
//!
//! cargo build --release -p mock-bmc
//! cargo bench --bench push -- [--bmcs 16] [--size-mib 512]
//!
//! The mock fleet runs in its own process with `--fault discard-uploads`: it
//! reads and counts every byte but keeps and hashes nothing, so the numbers are
//! the client's. Every push must be answered 202 with a task that reports the
//! full image size, or the bench fails.

mod common;
use common::*;

use fwfleet::config::Config;
use fwfleet::redfish::client::BmcClient;
use fwfleet::redfish::push::{self, MultipartPush};
use fwfleet::redfish::task::{self, Accepted, Outcome};
use fwfleet::redfish::update::{self, Answer, Push, Submitted};
use fwfleet::redfish::update_service::{self, UpdateCaps};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MIB: u64 = 1024 * 1024;

/// Reset this process's peak RSS to its current RSS (Linux ≥ 4.0), so VmHWM
/// afterwards is the peak of what follows, not of the setup.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// CPU seconds (user + system) of this process and of its waited-for
/// children, from /proc/self/stat (USER_HZ = 100 on Linux).
fn cpu_secs() -> (f64, f64) {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = s.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // rest[0] is field 3 (state): utime = 14, stime = 15, cutime = 16, cstime = 17.
    let at = |field: usize| f.get(field - 3).copied().unwrap_or(0) as f64 / 100.0;
    (at(14) + at(15), at(16) + at(17))
}

/// A sparse file of `size` zero bytes, then read once so both clients find
/// it in the page cache (neither pays for the first read).
fn make_image(path: &Path, size: u64) {
    let f = std::fs::File::create(path).expect("create image");
    f.set_len(size).expect("size image");
    let mut f = std::fs::File::open(path).expect("open image");
    let mut buf = vec![0u8; MIB as usize];
    while f.read(&mut buf).expect("read image") > 0 {}
}

/// One BMC made ready for a push: logged in, its UpdateService read.
struct Target {
    client: BmcClient,
    caps: UpdateCaps,
    /// What curl sends (the same parameters as fwfleet's push).
    push: MultipartPush,
}

async fn prepare(cfg: &Config, image: &Path) -> Vec<Target> {
    let mut out = Vec::new();
    for h in &cfg.hosts {
        let client = BmcClient::new(h).expect("client");
        client.login().await.expect("login");
        let caps = update_service::discover(&client)
            .await
            .expect("UpdateService");
        let uri = caps.multipart.clone().expect("MultipartHttpPushUri");
        out.push(Target {
            client,
            caps,
            push: MultipartPush {
                uri,
                file: image.to_path_buf(),
                targets: Vec::new(),
                apply_time: None,
                force: false,
                component: None,
                preserve: false,
            },
        });
    }
    out
}

/// Wait for the task at `uri` to finish; true when it reports `size` bytes
/// received (the mock's discard message), so every byte is known to have arrived.
async fn task_counted(client: &BmcClient, uri: &str, size: u64) -> bool {
    let want = format!("Upload of {size} bytes");
    let followed = task::follow(
        client,
        &Accepted::from_stored(uri),
        task::FollowLimits::new(Duration::from_secs(5), Duration::from_millis(50)),
        |_| {},
    )
    .await;
    match followed {
        Ok(Outcome::Completed(Some(t))) => t
            .messages
            .iter()
            .any(|m| m.message.as_deref().is_some_and(|s| s.contains(&want))),
        _ => false,
    }
}

/// The task of a 202, as a path.
fn task_of(status: u16, headers: &reqwest::header::HeaderMap, body: &[u8]) -> Option<String> {
    if !(200..300).contains(&status) {
        return None;
    }
    let a = Accepted::from_response(headers, body);
    a.task.or(a.monitor)
}

/// What one client achieved.
struct Run {
    wall: Duration,
    fastest: Duration,
    ok: usize,
    cpu: f64,
}

/// fwfleet: every push at once on one tokio runtime (as `fwfleet update` runs hosts).
async fn fwfleet_run(targets: &[Target], size: u64) -> (Run, u64, u64) {
    let cpu0 = cpu_secs().0;
    let reset = reset_peak_rss();
    let base_kib = status_kib("self", "VmRSS:").unwrap_or(0);
    let t = Instant::now();
    let replies = futures::future::join_all(targets.iter().map(|tg| async {
        let p = Push {
            file: &tg.push.file,
            targets: &tg.push.targets,
            apply_time: None,
            force: false,
            component: None,
            preserve: false,
        };
        let r = update::push_multipart(&tg.client, &tg.caps, &p).await;
        (r, t.elapsed())
    }))
    .await;
    let wall = t.elapsed();
    let peak_kib = status_kib("self", "VmHWM:").unwrap_or(0);
    let cpu = cpu_secs().0 - cpu0;
    if !reset {
        eprintln!("could not reset VmHWM (/proc/self/clear_refs): the peak includes setup");
    }
    let mut ok = 0;
    let mut fastest = wall;
    for (tg, (r, at)) in targets.iter().zip(replies) {
        fastest = fastest.min(at);
        match r {
            Ok(Submitted {
                answer: Answer::Accepted(a),
                ..
            }) => match a.task.or(a.monitor) {
                Some(task) if task_counted(&tg.client, &task, size).await => ok += 1,
                _ => eprintln!(
                    "{}: fwfleet push accepted but the task did not count {size} bytes",
                    tg.client.host()
                ),
            },
            Ok(Submitted {
                status,
                answer: Answer::Refused(why) | Answer::Unlicensed(why),
            }) => eprintln!(
                "{}: fwfleet push got HTTP {}: {why}",
                tg.client.host(),
                status.as_u16()
            ),
            Err(e) => eprintln!("{}: fwfleet push failed: {e}", tg.client.host()),
        }
    }
    let run = Run {
        wall,
        fastest,
        ok,
        cpu,
    };
    (run, base_kib, peak_kib)
}

/// Parse `curl -D` headers: (status, headers).
fn read_headers(path: &Path) -> (u16, reqwest::header::HeaderMap) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut status = 0;
    let mut map = reqwest::header::HeaderMap::new();
    for line in text.lines() {
        let line = line.trim_end();
        if line.starts_with("HTTP/") {
            // A 100 Continue comes first; the last status line wins.
            status = line
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            map.clear();
        } else if let Some((k, v)) = line.split_once(':') {
            if let (Ok(k), Ok(v)) = (
                reqwest::header::HeaderName::from_bytes(k.trim().as_bytes()),
                reqwest::header::HeaderValue::from_str(v.trim()),
            ) {
                map.append(k, v);
            }
        }
    }
    (status, map)
}

/// A Redfish session made with curl, as an operator's script would: (token, location).
fn curl_login(url: &str, user: &str, password: &str, dir: &Path) -> (String, String) {
    let hdr = dir.join("login.hdr");
    let body = serde_json::json!({"UserName": user, "Password": password}).to_string();
    let st = Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "-D"])
        .arg(&hdr)
        .args([
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            &body,
        ])
        .arg(format!("{url}/redfish/v1/SessionService/Sessions"))
        .status()
        .expect("run curl (is it installed?)");
    assert!(st.success(), "curl login to {url} failed");
    let (_, h) = read_headers(&hdr);
    let get = |k: &str| {
        h.get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    (get("x-auth-token"), get("location"))
}

/// curl: one `curl -F` process per BMC, all started at once, same session
/// auth and form parts (`UpdateParameters` as JSON text, `UpdateFile` as the
/// file) as `push::multipart`.
async fn curl_run(cfg: &Config, targets: &[Target], image: &Path, dir: &Path, size: u64) -> Run {
    let mut sessions = Vec::new();
    for (i, (h, tg)) in cfg.hosts.iter().zip(targets).enumerate() {
        let d = dir.join(format!("curl-{i}"));
        std::fs::create_dir_all(&d).expect("curl dir");
        let (params, extra) = push::parameters(&tg.caps.platform, &tg.push);
        assert!(extra.is_empty(), "the bench pushes to generic BMCs only");
        std::fs::write(d.join("params.json"), params.to_string()).expect("params");
        let (token, location) = curl_login(&h.url, &h.username, h.password.expose(), &d);
        sessions.push((d, token, location));
    }
    let cpu0 = cpu_secs().1;
    let t = Instant::now();
    let waiters: Vec<_> = cfg
        .hosts
        .iter()
        .zip(targets)
        .zip(&sessions)
        .map(|((h, tg), (d, token, _))| {
            let mut child = Command::new("curl")
                .args(["-sS", "-o"])
                .arg(d.join("reply.json"))
                .arg("-D")
                .arg(d.join("reply.hdr"))
                .args(["-H", &format!("X-Auth-Token: {token}")])
                .arg("-F")
                .arg(format!(
                    "UpdateParameters=<{};type=application/json",
                    d.join("params.json").display()
                ))
                .arg("-F")
                .arg(format!(
                    "UpdateFile=@{};type=application/octet-stream",
                    image.display()
                ))
                .arg(format!("{}{}", h.url, tg.push.uri))
                .stdout(Stdio::null())
                .spawn()
                .expect("run curl (is it installed?)");
            std::thread::spawn(move || {
                let ok = child.wait().is_ok_and(|s| s.success());
                (ok, t.elapsed())
            })
        })
        .collect();
    let done: Vec<(bool, Duration)> = waiters
        .into_iter()
        .map(|w| w.join().unwrap_or((false, Duration::ZERO)))
        .collect();
    let wall = t.elapsed();
    let cpu = cpu_secs().1 - cpu0;
    let mut ok = 0;
    let mut fastest = wall;
    for ((tg, (d, token, location)), (exited_ok, at)) in targets.iter().zip(&sessions).zip(done) {
        fastest = fastest.min(at);
        let (status, headers) = read_headers(&d.join("reply.hdr"));
        let body = std::fs::read(d.join("reply.json")).unwrap_or_default();
        match task_of(status, &headers, &body) {
            Some(task)
                if exited_ok && status == 202 && task_counted(&tg.client, &task, size).await =>
            {
                ok += 1
            }
            _ => eprintln!(
                "{}: curl push got HTTP {status} (exit ok: {exited_ok}): {}",
                tg.client.host(),
                String::from_utf8_lossy(&body)
            ),
        }
        let _ = Command::new("curl")
            .args(["-sS", "-o", "/dev/null", "-X", "DELETE", "-H"])
            .arg(format!("X-Auth-Token: {token}"))
            .arg(format!(
                "{}{location}",
                tg.client.base_url().trim_end_matches('/')
            ))
            .status();
    }
    Run {
        wall,
        fastest,
        ok,
        cpu,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let bmcs: u64 = num(&args, "--bmcs", 16);
    let size_mib: u64 = num(&args, "--size-mib", 512);
    let size = size_mib * MIB;
    let dir = tempfile::tempdir().expect("tempdir");
    let fleet = dir.path().join("fleet.toml");
    let mut mock = Command::new(mock_bin())
        .args(["serve", "--count", &bmcs.to_string()])
        .args(["--listen", "127.0.0.1:0", "--profile", "generic"])
        .args(["--password", "bench-pw", "--behaviour", "ideal"])
        .args(["--fault", "discard-uploads"])
        .args(["--max-image-size", &(size + MIB).to_string()])
        .arg("--fleet-out")
        .arg(&fleet)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start mock-bmc");
    let mock_pid = mock.id().to_string();
    let out = mock.stdout.take().expect("mock stdout");
    for line in BufReader::new(out).lines() {
        if line.expect("mock output").starts_with("ready ") {
            break;
        }
    }
    let image = dir.path().join("bench.fwimg");
    let t = Instant::now();
    make_image(&image, size);
    eprintln!(
        "mock fleet of {bmcs} ready; {size_mib} MiB image made in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    let cfg = Config::load(&fleet).expect("fleet file");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (fw, base_kib, peak_kib, curl) = rt.block_on(async {
        let targets = prepare(&cfg, &image).await;
        let (fw, base_kib, peak_kib) = fwfleet_run(&targets, size).await;
        let curl = curl_run(&cfg, &targets, &image, dir.path(), size).await;
        for tg in &targets {
            tg.client.logout().await;
        }
        (fw, base_kib, peak_kib, curl)
    });
    let mock_peak_kib = status_kib(&mock_pid, "VmHWM:").unwrap_or(0);
    let _ = mock.kill();
    let _ = mock.wait();

    let total_mib = (bmcs * size_mib) as f64;
    let rate = |r: &Run| total_mib / r.wall.as_secs_f64();
    let ratio = rate(&fw) / rate(&curl);
    let mut o = std::io::stdout().lock();
    let _ = writeln!(
        o,
        "push: {bmcs} BMCs × {size_mib} MiB, multipart, loopback HTTP, mock discards uploads\n"
    );
    let _ = writeln!(
        o,
        "| client | ok | wall s | first done s | MiB/s | CPU s | peak RSS MiB |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|");
    for (name, r, rss) in [
        ("fwfleet", &fw, format!("{:.1}", peak_kib as f64 / 1024.0)),
        ("curl -F", &curl, "-".to_string()),
    ] {
        let _ = writeln!(
            o,
            "| {name} | {}/{bmcs} | {:.2} | {:.2} | {:.0} | {:.1} | {rss} |",
            r.ok,
            r.wall.as_secs_f64(),
            r.fastest.as_secs_f64(),
            rate(r),
            r.cpu
        );
    }
    let _ = writeln!(
        o,
        "\nfwfleet/curl throughput {ratio:.2} (target ≥ 0.7); fwfleet peak RSS {:.1} MiB (target ≤ 64), {:.1} MiB before the pushes; mock peak RSS {:.1} MiB",
        peak_kib as f64 / 1024.0,
        base_kib as f64 / 1024.0,
        mock_peak_kib as f64 / 1024.0
    );
    let _ = writeln!(
        o,
        "push bmcs={bmcs} size_mib={size_mib} fwfleet_wall_s={:.2} fwfleet_mib_s={:.0} peak_rss_mib={:.1} curl_wall_s={:.2} curl_mib_s={:.0} ratio={ratio:.2}",
        fw.wall.as_secs_f64(),
        rate(&fw),
        peak_kib as f64 / 1024.0,
        curl.wall.as_secs_f64(),
        rate(&curl)
    );
    let failed = 2 * bmcs as usize - fw.ok - curl.ok;
    if failed > 0 {
        eprintln!("{failed} pushes failed");
        std::process::exit(1);
    }
}
