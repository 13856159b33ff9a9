//! Many BMCs in one process, each with its own listener and state, and the
//! fleet file that tells clients (fwfleet first) how to reach them.

use crate::bmc::{BmcConfig, MockBmc, StartError, Timing, TlsMode, DEFAULT_MAX_IMAGE_SIZE};
use crate::faults::{HostSettingsFile, Scenario};
use crate::field::{Behaviour, FieldTiming};
use crate::machine::{host_rng, Machine};
use crate::persona::Variant;
use crate::persona::{Persona, Profile};
use crate::state::{random_token, SessionPolicy};
use rand::Rng;
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Where the BMCs of a fleet listen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenSpec {
    /// Every BMC on this address; the port must be 0 when there is more than one.
    Single(SocketAddr),
    /// BMC *i* on the *i*-th address of an inclusive IPv4 range, all on `port`,
    /// so each BMC has its own IP like a real fleet.
    Range {
        first: Ipv4Addr,
        last: Ipv4Addr,
        port: u16,
    },
}

impl Default for ListenSpec {
    fn default() -> Self {
        ListenSpec::Single(SocketAddr::from(([127, 0, 0, 1], 0)))
    }
}

impl FromStr for ListenSpec {
    type Err = String;
    /// `127.0.0.1:0`, `127.0.0.1` (port 0), `[::1]:0`, or
    /// `127.1.0.1-127.1.39.16:8443`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hint = "expected ADDR[:PORT] or FIRST-LAST:PORT, e.g. 127.0.0.1:0 or 127.1.0.1-127.1.39.16:8443";
        if let Some((first, rest)) = s.split_once('-') {
            let (last, port) = match rest.rsplit_once(':') {
                Some((l, p)) => (
                    l,
                    p.parse::<u16>()
                        .map_err(|_| format!("bad port in '{s}'; {hint}"))?,
                ),
                None => (rest, 0),
            };
            let first: Ipv4Addr = first
                .parse()
                .map_err(|_| format!("bad first address in '{s}'; {hint}"))?;
            let last: Ipv4Addr = last
                .parse()
                .map_err(|_| format!("bad last address in '{s}'; {hint}"))?;
            if u32::from(last) < u32::from(first) {
                return Err(format!("address range '{s}' ends before it starts"));
            }
            return Ok(ListenSpec::Range { first, last, port });
        }
        if let Ok(addr) = s.parse::<SocketAddr>() {
            return Ok(ListenSpec::Single(addr));
        }
        if let Ok(ip) = s.trim_matches(|c| c == '[' || c == ']').parse::<IpAddr>() {
            return Ok(ListenSpec::Single(SocketAddr::new(ip, 0)));
        }
        Err(format!("cannot read listen address '{s}'; {hint}"))
    }
}

impl ListenSpec {
    /// How many BMCs fit.
    pub fn capacity(&self) -> u64 {
        match self {
            ListenSpec::Single(a) if a.port() == 0 => u64::MAX,
            ListenSpec::Single(_) => 1,
            ListenSpec::Range { first, last, .. } => {
                u64::from(u32::from(*last) - u32::from(*first)) + 1
            }
        }
    }

    /// The address of BMC `index`.
    pub fn addr(&self, index: usize) -> SocketAddr {
        match *self {
            ListenSpec::Single(a) => a,
            ListenSpec::Range { first, port, .. } => SocketAddr::new(
                IpAddr::V4(Ipv4Addr::from(u32::from(first).wrapping_add(index as u32))),
                port,
            ),
        }
    }
}

/// A whole fleet's settings (what `mock-bmc serve` takes).
#[derive(Clone)]
pub struct FleetConfig {
    pub count: usize,
    pub listen: ListenSpec,
    pub profile: Profile,
    pub seed: u64,
    pub username: String,
    pub password: String,
    pub tls: TlsMode,
    pub latency: Duration,
    pub sessions: SessionPolicy,
    pub timing: Timing,
    /// Faults for every BMC and per host.
    pub scenario: Scenario,
    pub allow_remote_images: bool,
    pub max_image_size: u64,
    pub state_dir: Option<PathBuf>,
    /// Every BMC's behaviour unless `hosts` says otherwise (default `field`).
    pub behaviour: Behaviour,
    /// The variant of every BMC whose persona has it (`standard` by default).
    pub variant: Variant,
    /// Field durations (one time scale; see [`FieldTiming::at_scale`]).
    pub field_timing: FieldTiming,
    /// Per-host behaviour and variant (a scenario file's `[default]` and
    /// `[hosts.NAME]` `behaviour` / `variant` keys).
    pub host_settings: HostSettingsFile,
}

impl std::fmt::Debug for FleetConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FleetConfig")
            .field("count", &self.count)
            .field("listen", &self.listen)
            .field("profile", &self.profile)
            .field("seed", &self.seed)
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("tls", &self.tls)
            .field("behaviour", &self.behaviour)
            .field("variant", &self.variant)
            .finish()
    }
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            count: 1,
            listen: ListenSpec::default(),
            profile: Profile::Single(Persona::Generic),
            seed: 1,
            username: "admin".into(),
            password: random_token(),
            tls: TlsMode::Off,
            latency: Duration::ZERO,
            sessions: SessionPolicy::default(),
            timing: Timing::default(),
            scenario: Scenario::default(),
            allow_remote_images: false,
            max_image_size: DEFAULT_MAX_IMAGE_SIZE,
            state_dir: None,
            behaviour: Behaviour::Field,
            variant: Variant::Standard,
            field_timing: FieldTiming::default(),
            host_settings: HostSettingsFile::default(),
        }
    }
}

impl FleetConfig {
    /// Every BMC in `field` behaviour, field times divided by `time_scale`.
    pub fn field(mut self, time_scale: f64) -> Self {
        self.behaviour = Behaviour::Field;
        self.field_timing = FieldTiming::at_scale(time_scale);
        self
    }

    /// Every BMC in `ideal` behaviour (the idealised flows, timed by `timing`).
    pub fn ideal(mut self) -> Self {
        self.behaviour = Behaviour::Ideal;
        self
    }

    /// The behaviour and variant of host `index` named `name`, or why the
    /// configuration does not fit that host's persona.
    pub fn settings_of(
        &self,
        name: &str,
        persona: Persona,
    ) -> Result<(Behaviour, Variant), String> {
        let d = self.host_settings.default;
        let h = self
            .host_settings
            .hosts
            .get(name)
            .copied()
            .unwrap_or_default();
        let behaviour = h.behaviour.or(d.behaviour).unwrap_or(self.behaviour);
        let variant = match h.variant.or(d.variant) {
            Some(v) => {
                v.check(persona).map_err(|e| format!("host {name}: {e}"))?;
                v
            }
            // A fleet-wide variant applies to the hosts whose persona has it.
            None if self.variant.fits(persona) => self.variant,
            None => Variant::Standard,
        };
        Ok((behaviour, variant))
    }
}

/// Why a fleet could not start.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("{count} BMCs do not fit in listen address {listen:?} (room for {capacity}); use a larger range or port 0")]
    TooSmall {
        count: usize,
        listen: ListenSpec,
        capacity: u64,
    },
    #[error(transparent)]
    Start(#[from] StartError),
    #[error("{0}\nchoose a variant of that host's persona (docs/MOCK-BMC.md, Variants)")]
    Settings(String),
}

/// The name of host `index` in a fleet of `count`.
pub fn host_name(index: usize, count: usize) -> String {
    let width = count.to_string().len().max(4);
    format!("bmc-{:0width$}", index + 1)
}

/// The persona of host `index` under `profile`.
pub fn persona_of(profile: Profile, seed: u64, index: usize) -> Persona {
    match profile {
        Profile::Single(p) => p,
        Profile::Mixed => {
            // A separate stream from the machine's own, so adding a persona later
            // does not reshuffle every machine.
            let mut rng = host_rng(seed.rotate_left(17) ^ 0x5eed, index);
            Persona::ALL[rng.gen_range(0..Persona::ALL.len())]
        }
    }
}

/// A running fleet; every BMC stops when it is dropped.
#[derive(Debug)]
pub struct MockFleet {
    pub bmcs: Vec<MockBmc>,
}

/// One `[[hosts]]` entry of the fleet file.
#[derive(Debug, Serialize)]
struct HostEntry<'a> {
    name: &'a str,
    url: String,
    username: &'a str,
    password: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_fingerprint_sha256: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct FleetFile<'a> {
    hosts: Vec<HostEntry<'a>>,
}

impl MockFleet {
    /// Start `count` BMCs. Every listener is bound when this returns.
    pub async fn start(cfg: FleetConfig) -> Result<MockFleet, FleetError> {
        if let Some(dir) = &cfg.state_dir {
            std::fs::create_dir_all(dir).map_err(|source| {
                FleetError::Start(StartError::WorkDir {
                    name: dir.display().to_string(),
                    source,
                })
            })?;
        }
        let capacity = cfg.listen.capacity();
        if cfg.count as u64 > capacity {
            return Err(FleetError::TooSmall {
                count: cfg.count,
                listen: cfg.listen,
                capacity,
            });
        }
        if let Profile::Single(p) = cfg.profile {
            cfg.variant
                .check(p)
                .map_err(|e| FleetError::Settings(format!("--variant: {e}")))?;
        }
        let mut bmcs = Vec::with_capacity(cfg.count);
        for index in 0..cfg.count {
            let name = host_name(index, cfg.count);
            let persona = persona_of(cfg.profile, cfg.seed, index);
            let (behaviour, variant) = cfg
                .settings_of(&name, persona)
                .map_err(FleetError::Settings)?;
            let config = BmcConfig {
                machine: Machine::generate_variant(&name, persona, variant, cfg.seed, index),
                listen: cfg.listen.addr(index),
                tls: cfg.tls.clone(),
                username: cfg.username.clone(),
                password: cfg.password.clone(),
                latency: cfg.latency,
                sessions: cfg.sessions.clone(),
                timing: cfg.timing.clone(),
                faults: cfg.scenario.for_host(&name),
                allow_remote_images: cfg.allow_remote_images,
                max_image_size: cfg.max_image_size,
                state_dir: cfg.state_dir.clone(),
                behaviour,
                field: cfg.field_timing.clone(),
                seed: cfg.seed ^ (index as u64).rotate_left(29),
            };
            bmcs.push(MockBmc::start(config).await?);
        }
        Ok(MockFleet { bmcs })
    }

    /// The fleet file: the fleet config format fwfleet reads (docs/CONFIG.md).
    pub fn fleet_toml(&self) -> String {
        let file = FleetFile {
            hosts: self
                .bmcs
                .iter()
                .map(|b| HostEntry {
                    name: b.name(),
                    url: b.url(),
                    username: b.username(),
                    password: b.password(),
                    tls_fingerprint_sha256: b.tls_fingerprint(),
                })
                .collect(),
        };
        let body = toml::to_string(&file).unwrap_or_default();
        format!(
            "# fwfleet fleet file written by mock-bmc: {} BMCs.\n\
             # It holds passwords: keep it private (mode 0600).\n\n{body}",
            self.bmcs.len()
        )
    }

    /// Write the fleet file with mode 0600, atomically (write, then rename), so a
    /// reader never sees half a fleet.
    pub fn write_fleet_file(&self, path: &Path) -> std::io::Result<()> {
        write_private(path, self.fleet_toml().as_bytes())
    }
}

/// Write `bytes` to `path` readable by the owner only, via a temporary file.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_specs_parse() {
        assert_eq!(
            "127.0.0.1:0".parse::<ListenSpec>().unwrap(),
            ListenSpec::Single("127.0.0.1:0".parse().unwrap())
        );
        assert_eq!(
            "127.0.0.1".parse::<ListenSpec>().unwrap(),
            ListenSpec::Single("127.0.0.1:0".parse().unwrap())
        );
        let r: ListenSpec = "127.1.0.1-127.1.39.16:8443".parse().unwrap();
        assert_eq!(r.capacity(), 39 * 256 + 16);
        assert_eq!(r.addr(0), "127.1.0.1:8443".parse().unwrap());
        assert_eq!(r.addr(255), "127.1.1.0:8443".parse().unwrap());
        assert!("127.1.0.9-127.1.0.1:1".parse::<ListenSpec>().is_err());
        assert!("nonsense".parse::<ListenSpec>().is_err());
    }

    #[test]
    fn host_names_sort_in_fleet_order() {
        assert_eq!(host_name(0, 100), "bmc-0001");
        assert_eq!(host_name(9999, 10000), "bmc-10000");
        assert_eq!(host_name(0, 10000), "bmc-00001");
    }

    #[test]
    fn mixed_profile_uses_every_persona() {
        let seen: std::collections::HashSet<_> =
            (0..60).map(|i| persona_of(Profile::Mixed, 3, i)).collect();
        assert_eq!(seen.len(), Persona::ALL.len());
    }
}
