//! `fwfleet demo`: the whole job on a bundled mock fleet, so a new operator
//! sees fwfleet work with no BMCs and no setup, in under a minute.
//!
//! The phases are the ones an operator runs by hand (docs/GUIDE.md), through
//! the same library calls as the CLI:
//!
//! 1. start a mixed-persona mock fleet in-process and write its fleet file
//!    (with a `[rollout]` section: one canary, then waves);
//! 2. build an image repository one release ahead of the fleet with the
//!    mock's `make-images` and import its `images.json`;
//! 3. inventory + plan (`updater::apply::prepare`): compliance before;
//! 4. apply (`updater::apply::execute`): image server, journaled run,
//!    canary, waves, coordinated resets, each update verified;
//! 5. verify: a fresh scan + plan, compliance after, and the mock BMCs' own
//!    flash counters as the judge that cannot be fooled by our report.
//!
//! Everything lands in one directory (a new temporary one, or `--dir`): the
//! fleet file, `state/fwfleet.db`, `repository/`, `images/` and
//! `demo-report.json`, so `fwfleet status --config DIR/fleet.toml` works
//! afterwards (with `--keep-running`, so do `inventory`, `plan`, `apply`;
//! with `--serve`, the service runs against the fleet until Ctrl-C).
//!
//! Submodule: `summary` (the report and its text, pure).

mod summary;

pub use summary::{Compliance, DemoReport, Flashes, Phases};

use crate::config::Config;
use crate::repository::Repository;
use crate::store::Store;
use crate::updater::apply::{self, ApplyOptions};
use crate::updater::host::HostReport;
use crate::updater::progress::{Bars, ProgressSink};
use anyhow::Context;
use mock_bmc::{FleetConfig, MockFleet, Profile};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// How many mock BMCs.
    #[arg(long, default_value_t = 50)]
    pub count: usize,
    /// Seed for the fleet's machines (personas, models, versions).
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Directory for the fleet file, state, repository and report (default: a new temporary directory).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Keep the fleet running after the demo until Ctrl-C, so other tools can talk to it.
    #[arg(long)]
    pub keep_running: bool,
    /// After the demo, run `fwfleet serve` against the fleet (API and metrics on a free
    /// loopback port, token in DIR/api.token) until Ctrl-C; the fleet keeps running.
    #[arg(long)]
    pub serve: bool,
}

impl DemoArgs {
    /// What is wrong with the arguments (a usage error, exit 2), if anything.
    pub fn check(&self) -> Result<(), String> {
        if self.count == 0 || self.count > MAX_COUNT {
            return Err(format!(
                "--count {}: the demo runs 1 to {MAX_COUNT} mock BMCs",
                self.count
            ));
        }
        Ok(())
    }
}

/// Images the demo writes are this big: enough that transfers are real
/// streams, small enough that 50 BMCs × 8 components stay quick.
const IMAGE_SIZE: u64 = 64 * 1024;

/// Largest fleet the demo starts: each mock BMC is a listener and a few
/// tasks; past this the "under a minute" promise no longer holds on a laptop.
pub const MAX_COUNT: usize = 1000;

/// The demo's mock BMCs run the field's sequences (`field` behaviour: the
/// vendor's activation, reboots that refuse connections and forget sessions,
/// POSTs, Dell jobs, Supermicro StartUpdate) with every field duration
/// divided by this, so that the whole demo ends within a minute.
pub const DEMO_TIME_SCALE: f64 = 200.0;

/// The field timing at [`DEMO_TIME_SCALE`], but no BMC reboot shorter than
/// three of the client's transport-retry windows: a shorter one would be
/// hidden by the client's own retries of one GET and show nothing of riding
/// a BMC out. Lengthening a reboot keeps the order of events.
pub fn demo_field_timing() -> mock_bmc::FieldTiming {
    let floor = crate::redfish::client::transport_retry_window(&crate::config::Limits::default())
        * 3
        + Duration::from_millis(300);
    let mut t = mock_bmc::FieldTiming::at_scale(DEMO_TIME_SCALE);
    for reboot in [
        &mut t.bmc_reboot,
        &mut t.idrac_xcc_reboot,
        &mut t.slow_reboot,
    ] {
        *reboot = (*reboot).max(floor);
    }
    t
}

/// The demo's `[rollout]`: one canary, then the rest in one wave (the
/// field's minutes per host leave no room for more phases in the demo's
/// minute), a 10% failure budget, and coordinated graceful resets so that
/// images staged for the next reset are activated and verified too.
pub fn rollout_toml(count: usize) -> String {
    let wave = count.saturating_sub(1).max(1);
    format!(
        "\n# Written by `fwfleet demo` (docs/CONFIG.md, [rollout]).\n[rollout]\n\
         canary = 1\nwave_size = {wave}\nmax_parallel = {wave}\n\
         failure_budget = 0.1\nreset_policy = \"graceful\"\n"
    )
}

/// Host firmware (everything but the BMC's own) goes `OnReset` where every
/// model it is for belongs to a BMC family that takes `OnReset`, so that the
/// graceful coordinated reset activates all of a host's images in one POST
/// (with `Immediate`, field BMCs run one POST per image); the BMC's firmware
/// and Supermicro's (`OnStartUpdateRequest`) keep their family's default.
fn on_reset_for(
    kind: crate::vocab::Kind,
    models: &[String],
    persona_of_model: &BTreeMap<String, String>,
) -> Option<crate::vocab::ApplyTime> {
    let takes = |m: &String| {
        persona_of_model
            .get(m)
            .and_then(|p| p.parse::<mock_bmc::Persona>().ok())
            .is_some_and(|p| p.apply_times().contains(&"OnReset"))
    };
    (kind != crate::vocab::Kind::Bmc && !models.is_empty() && models.iter().all(takes))
        .then_some(crate::vocab::ApplyTime::OnReset)
}

/// The demo's `[daemon]`: the API on a free loopback port (it is printed),
/// the token beside the fleet file (docs/API.md).
const DAEMON_TOML: &str =
    "\n# For `fwfleet serve --config` on this directory (docs/API.md).\n[daemon]\n\
     bind = \"127.0.0.1:0\"\ntoken_file = \"api.token\"\n";

/// Progress when stderr is not a terminal: one line per rollout note and per
/// finished host (per-step lines for 50 hosts would drown the summary).
#[derive(Debug, Default)]
struct HostLines;

impl ProgressSink for HostLines {
    fn host_started(&self, _: &str, _: usize) {}
    fn step_progress(&self, _: &str, _: &str, _: &str, _: Option<u8>) {}
    fn host_finished(&self, r: &HostReport) {
        eprintln!(
            "  {}: {} ({} steps, {:.1}s)",
            r.name,
            r.result,
            r.steps.len(),
            r.duration_ms as f64 / 1000.0
        );
    }
    fn note(&self, line: &str) {
        eprintln!("  {line}");
    }
}

fn ms(since: Instant) -> u64 {
    since.elapsed().as_millis() as u64
}

/// `fwfleet demo`: exit 0 when every host ended compliant and no component
/// was flashed twice, 1 otherwise, 2 on usage errors.
/// Call [`DemoArgs::check`] first: the arguments are checked before any I/O.
pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let t0 = Instant::now();
    let dir = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
            d.clone()
        }
        None => tempfile::Builder::new()
            .prefix("fwfleet-demo-")
            .tempdir()
            .context("creating a temporary directory")?
            .keep(),
    };
    let mut out = std::io::stdout().lock();

    // 1. The fleet.
    let timing = demo_field_timing();
    let fleet = MockFleet::start(FleetConfig {
        count: args.count,
        profile: Profile::Mixed,
        seed: args.seed,
        behaviour: mock_bmc::Behaviour::Field,
        field_timing: timing.clone(),
        ..FleetConfig::default()
    })
    .await
    .context("starting the mock fleet")?;
    let fleet_file = dir.join("fleet.toml");
    // A fresh API token, so `fwfleet serve --config DIR/fleet.toml` (or
    // `--serve`) works on the demo's directory as it is.
    let token_file = dir.join("api.token");
    mock_bmc::fleet::write_private(
        &token_file,
        format!("{}\n", mock_bmc::state::random_token()).as_bytes(),
    )
    .with_context(|| format!("writing {}", token_file.display()))?;
    let text = format!(
        "{}{}{}",
        fleet.fleet_toml(),
        rollout_toml(args.count),
        DAEMON_TOML
    );
    mock_bmc::fleet::write_private(&fleet_file, text.as_bytes())
        .with_context(|| format!("writing {}", fleet_file.display()))?;
    let states: Vec<serde_json::Value> = fleet.bmcs.iter().map(|b| b.state()).collect();
    let mut personas = BTreeMap::<String, usize>::new();
    for st in &states {
        let p = st["persona"].as_str().unwrap_or("unknown").to_string();
        *personas.entry(p).or_insert(0) += 1;
    }
    let fleet_ms = ms(t0);
    writeln!(
        out,
        "1/5 fleet: {} mock BMCs on 127.0.0.1 ({}); field behaviour, field times ÷ {} (a BMC reboot {:.1} s, a host POST {:.1} s)",
        fleet.bmcs.len(),
        personas
            .iter()
            .map(|(p, n)| format!("{p} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        timing.time_scale,
        timing.bmc_reboot.as_secs_f64(),
        timing.host_post.as_secs_f64()
    )?;
    out.flush()?;

    // 2. A repository one release ahead of the fleet: for the iDRACs from a
    // Dell-format catalog and its mirror, as an operator fills it from Dell's
    // (docs/CATALOGS.md); for the others from make-images' images.json.
    let t = Instant::now();
    let cfg =
        Config::load(&fleet_file).with_context(|| format!("reading {}", fleet_file.display()))?;
    let store = Store::open(&cfg.state_dir).await?;
    let mut repo = Repository::create_or_open(&cfg.repository)
        .with_context(|| format!("opening {}", cfg.repository.display()))?;
    let is_dell = |s: &serde_json::Value| s["persona"].as_str() == Some("idrac");
    let mut dell_line = String::new();
    let dell_catalog = if states.iter().any(is_dell) {
        let report = fill_from_dell_catalog(&cfg, &store, &mut repo, &states, &dir).await?;
        dell_line = format!(
            "; Dell catalog {} ({} packages, decoys included): {} imported for {} iDRAC(s) by SystemID, ComponentID and PCI IDs, {} refused, {} not needed",
            report.catalog,
            report.packages_in_catalog,
            report.packages.iter().filter(|p| p.status == "added").count(),
            states.iter().filter(|s| is_dell(s)).count(),
            report.refused.len(),
            report.not_needed
        );
        Some(report)
    } else {
        None
    };
    let others: Vec<serde_json::Value> = states.iter().filter(|s| !is_dell(s)).cloned().collect();
    let images_dir = dir.join("images");
    let specs = if others.is_empty() {
        Vec::new()
    } else {
        mock_bmc::imagegen::make_images(
            &others,
            &images_dir,
            None,
            mock_bmc::vstyle::Bump::Patch,
            IMAGE_SIZE,
        )
        .context("making images (mock-bmc make-images)")?
    };
    let imported = if specs.is_empty() {
        0
    } else {
        let index = images_dir.join(mock_bmc::imagegen::IMAGES_JSON);
        let persona_of_model: BTreeMap<String, String> = others
            .iter()
            .filter_map(|st| Some((st["model"].as_str()?.into(), st["persona"].as_str()?.into())))
            .collect();
        crate::repository::import_index_with(&mut repo, &index, |kind, models| {
            on_reset_for(kind, models, &persona_of_model)
        })
        .with_context(|| format!("importing {}", index.display()))?
    };
    let images_ms = ms(t);
    writeln!(
        out,
        "2/5 repository: {} images made by make-images, {imported} imported into {}{dell_line}",
        specs.len(),
        cfg.repository.display()
    )?;
    out.flush()?;

    // 3. Inventory + plan.
    let t = Instant::now();
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "demo: interrupted; no new step starts, running steps finish and are recorded"
            );
            on_signal.cancel();
        }
    });
    let opts = ApplyOptions {
        poll: Some(Duration::from_millis(200)),
        ..ApplyOptions::default()
    };
    let prepared = apply::prepare(&cfg, &repo, &store, &opts, &cancel).await?;
    let before = Compliance::of(&prepared.plan);
    let components: usize = prepared
        .inventory
        .hosts
        .iter()
        .map(|h| h.components.len())
        .sum();
    let scan_plan_ms = ms(t);
    writeln!(
        out,
        "3/5 inventory + plan: {} hosts scanned ({} failed), {components} components; {}/{} hosts compliant; {} upgrade(s) planned",
        prepared.inventory.hosts.len(),
        prepared.inventory.failed(),
        before.hosts_compliant,
        before.hosts,
        prepared.steps()
    )?;

    // 4. Apply: canary, then waves.
    let t = Instant::now();
    let rollout = opts.rollout(&cfg.rollout);
    let report = if prepared.jobs.is_empty() {
        writeln!(out, "4/5 apply: nothing to flash")?;
        None
    } else {
        let canaries =
            crate::updater::rollout::canary_names(&prepared.jobs, rollout.canary).join(", ");
        writeln!(
            out,
            "4/5 apply: {} step(s) on {} host(s): canary {canaries}, then waves of {} (at most {} at once); reset policy {}",
            prepared.steps(),
            prepared.jobs.len(),
            rollout.wave_size.unwrap_or(rollout.max_parallel),
            rollout.max_parallel,
            rollout.reset_policy.as_str()
        )?;
        out.flush()?;
        let progress: Arc<dyn ProgressSink> = if std::io::stderr().is_terminal() {
            Arc::new(Bars::default())
        } else {
            Arc::new(HostLines)
        };
        // One updating process per state dir, as `fwfleet apply` holds it.
        let _lock = crate::updater::lock::UpdateLock::acquire(&cfg.state_dir)?;
        let unreachable = prepared.inventory.failed();
        let r = apply::execute(
            &cfg,
            prepared.jobs,
            unreachable,
            &opts,
            store.clone(),
            cancel.clone(),
            progress,
        )
        .await?;
        let line = apply::render_table(&r);
        // The run's one-line result; the per-host table is in `status` and the report.
        if let Some(last) = line.lines().rev().find(|l| l.starts_with("run ")) {
            writeln!(out, "    {last}")?;
        }
        Some(r)
    };
    let rollout_ms = ms(t);

    // 5. Verify: a fresh scan and plan, and the BMCs' own counters.
    let t = Instant::now();
    let again = apply::prepare(&cfg, &repo, &store, &ApplyOptions::default(), &cancel).await?;
    let after = Compliance::of(&again.plan);
    let flashes = count_flashes(&fleet);
    let verify_ms = ms(t);
    writeln!(
        out,
        "5/5 verify: fresh scan + plan: {}/{} hosts compliant; {} flashes counted by the mock BMCs",
        after.hosts_compliant, after.hosts, flashes.total
    )?;

    let demo = DemoReport {
        count: args.count,
        seed: args.seed,
        dir: dir.clone(),
        fleet_file: fleet_file.clone(),
        state_dir: cfg.state_dir.clone(),
        repository: cfg.repository.clone(),
        images: specs.len(),
        dell_catalog,
        personas,
        before,
        after,
        updated_by_kind: DemoReport::updated_by_kind(report.as_ref()),
        flashes,
        phases: Phases {
            fleet_ms,
            images_ms,
            scan_plan_ms,
            rollout_ms,
            verify_ms,
            total_ms: ms(t0),
        },
        rollout: report,
    };
    let report_file = dir.join("demo-report.json");
    write_report(&report_file, &demo)?;
    write!(out, "{}", demo.render(&report_file))?;
    out.flush()?;
    drop(out);

    if args.serve {
        serve(&cfg, &token_file).await?;
    } else if args.keep_running {
        eprintln!(
            "fleet running; try `fwfleet status --config {0}` or `fwfleet plan --config {0}`; press Ctrl-C to stop",
            fleet_file.display()
        );
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
    }
    Ok(if demo.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `--serve`: `fwfleet serve` in this process against the demo's fleet, until
/// Ctrl-C. The demo's rollout has released the update lock, which the service
/// takes for its lifetime.
/// The Dell half of phase 2: `mock-bmc make-images --dell-catalog` into
/// `DIR/dell-mirror`, a scan (stored, as `repo import-catalog` does), then
/// the same import the CLI runs. A package that fails is an error: the demo's
/// own mirror must be sound.
async fn fill_from_dell_catalog(
    cfg: &Config,
    store: &Store,
    repo: &mut Repository,
    states: &[serde_json::Value],
    dir: &Path,
) -> anyhow::Result<crate::catalog::import::ImportReport> {
    let mirror_dir = dir.join("dell-mirror");
    mock_bmc::dellcat::make_dell_catalog(
        states,
        &mirror_dir,
        mock_bmc::vstyle::Bump::Patch,
        IMAGE_SIZE,
    )
    .context("making the Dell catalog (mock-bmc make-images --dell-catalog)")?;
    let path = mirror_dir.join(mock_bmc::dellcat::CATALOG_XML);
    let catalog = crate::catalog::dell::read_catalog_file(&path)?;
    let inv = crate::inventory::scan::scan(cfg, &Default::default()).await;
    store.save_inventory(&inv).await?;
    let hosts = crate::catalog::import::host_facts(&inv);
    let mirror = crate::catalog::mirror::Mirror::parse(&mirror_dir.to_string_lossy())?;
    let staging = cfg.state_dir.join("catalog-downloads");
    let opts = crate::catalog::import::ImportOptions {
        label: "Catalog.xml".into(),
        mirror: &mirror,
        staging: &staging,
        dry_run: false,
        progress: false,
    };
    let report = crate::catalog::import::import_dell(repo, &catalog, &hosts, &opts).await;
    if report.failed() > 0 {
        anyhow::bail!(
            "importing {}: {} package(s) failed:\n{}",
            path.display(),
            report.failed(),
            report.render_text()
        );
    }
    Ok(report)
}

async fn serve(cfg: &Config, token_file: &Path) -> anyhow::Result<()> {
    let token = crate::daemon::auth::Token::load(&cfg.daemon)?;
    let listener = tokio::net::TcpListener::bind(cfg.daemon.bind)
        .await
        .with_context(|| format!("listening on {}", cfg.daemon.bind))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    // The same stable line as `fwfleet serve`, for scripts and tests.
    eprintln!("fwfleet serve: listening on http://{addr}");
    eprintln!(
        "  try: curl -s -H \"Authorization: Bearer $(cat {})\" http://{addr}/api/v1/hosts\n  \
         metrics: http://{addr}/metrics; the fleet keeps running; press Ctrl-C to stop",
        token_file.display()
    );
    crate::daemon::serve(cfg.clone(), token, listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    eprintln!("fwfleet serve: stopped");
    Ok(())
}

/// The mock BMCs' flash counters, and any component written more than once.
fn count_flashes(fleet: &MockFleet) -> Flashes {
    let mut f = Flashes::default();
    for b in &fleet.bmcs {
        let st = b.state();
        for c in st["components"].as_array().into_iter().flatten() {
            let n = c["flash_count"].as_u64().unwrap_or(0);
            f.total += n;
            if n > 1 {
                f.repeated.push(format!(
                    "{} {} {n}",
                    b.name(),
                    c["key"].as_str().unwrap_or("?")
                ));
            }
        }
    }
    f
}

fn write_report(path: &Path, report: &DemoReport) -> anyhow::Result<()> {
    let mut json = serde_json::to_vec_pretty(report)?;
    json.push(b'\n');
    std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rollout_has_a_canary_then_one_wave() {
        let text = rollout_toml(50);
        assert!(
            text.contains("canary = 1\nwave_size = 49\nmax_parallel = 49\n"),
            "{text}"
        );
        assert!(rollout_toml(1).contains("wave_size = 1\n"));
    }

    #[test]
    fn the_demo_reboots_outlast_the_clients_retries() {
        // A reboot the client's own retries of one GET could hide would
        // show nothing of riding a BMC out.
        let t = demo_field_timing();
        let window =
            crate::redfish::client::transport_retry_window(&crate::config::Limits::default());
        for reboot in [t.bmc_reboot, t.idrac_xcc_reboot, t.slow_reboot] {
            assert!(reboot >= window * 3, "{reboot:?} vs {window:?}");
        }
    }
}
