//! Newer firmware images for a running mock fleet (`mock-bmc make-images`).
//!
//! Reads what every BMC reports on `GET /mock/state`, finds the newest version of
//! each (model, component kind) in the fleet and writes one image per pair that
//! is newer still, in that vendor's own version style, plus `images.json`
//! listing them. A test or benchmark can then update the whole fleet and know
//! every update is a real upgrade that the BMC will accept.
//!
//! [`plan_images`] decides what to write without any I/O; [`make_images`] writes
//! it; [`fetch_states`] is the only part that talks to the network.

use crate::image::ImageBuilder;
use crate::machine::{Kind, Role};
use crate::vstyle::{Bump, StyleMismatch, VersionStyle};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The index `make_images` writes next to the images.
pub const IMAGES_JSON: &str = "images.json";

/// Most `/mock/state` requests in flight at once. The mock answers from memory,
/// so this only bounds sockets and memory, not BMC load.
pub const FETCH_CONCURRENCY: usize = 32;

/// How long one `/mock/state` request may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// The hint every fleet-file or fetch error ends with.
const FLEET_HINT: &str = "is the fleet running? start it with `mock-bmc serve … --fleet-out FILE`";

/// One image written by [`make_images`]; `images.json` is an array of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageSpec {
    /// File name inside the output directory.
    pub file: String,
    pub component: Kind,
    pub version: String,
    /// The models the image applies to (always one: vendors build per model).
    pub models: Vec<String>,
}

/// Why images could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ImageGenError {
    #[error("host {host}: malformed /mock/state: {message}")]
    State { host: String, message: String },
    #[error("host {host}, model '{model}', component {component}: {source}")]
    Style {
        host: String,
        model: String,
        component: String,
        #[source]
        source: StyleMismatch,
    },
    #[error("no images to make: the fleet has no active {kinds} components\n  check --components against `GET /mock/state` of a host")]
    Nothing { kinds: String },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("fleet file {}: {message}\n  {FLEET_HINT}", path.display())]
    FleetFile { path: PathBuf, message: String },
    /// `message` holds the whole cause chain, so the hint can come last.
    #[error("host {host}: GET {url}: {message}{}\n  {FLEET_HINT}", more_failed(*others_failed))]
    Fetch {
        host: String,
        url: String,
        message: String,
        /// How many other hosts failed too.
        others_failed: usize,
    },
}

fn more_failed(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => " (and 1 more host)".to_string(),
        n => format!(" (and {n} more hosts)"),
    }
}

/// The fields of a `/mock/state` answer that image generation reads.
#[derive(Debug, Deserialize)]
struct HostState {
    model: String,
    components: Vec<Value>,
}

#[derive(Debug, Deserialize)]
struct ComponentState {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    key: Option<String>,
    kind: Kind,
    role: Role,
    version: String,
    version_style: VersionStyle,
}

/// The images one (model, kind, style) needs: the newest fleet version so far.
#[derive(Debug)]
struct Group {
    model: String,
    kind: Kind,
    style: VersionStyle,
    newest: String,
    /// Where `newest` was seen, for error messages.
    host: String,
    component: String,
}

/// Decide which images to make for `states` (each what `GET /mock/state`
/// answers for one BMC), without writing anything.
///
/// One image per (model, kind) among active components, whose version is the
/// fleet's newest moved on by `bump`. Components of one kind that share a style
/// (a host's two drives) share the image; in the rare case a model has one kind
/// in two styles, each style gets its own image. Sorted by model, then kind.
pub fn plan_images(
    states: &[Value],
    components: Option<&[Kind]>,
    bump: Bump,
) -> Result<Vec<ImageSpec>, ImageGenError> {
    // Keyed for a deterministic order: model, kind in `Kind::ALL` order, style.
    let mut groups: BTreeMap<(String, usize, String), Group> = BTreeMap::new();
    for (i, state) in states.iter().enumerate() {
        let host = state
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| format!("#{}", i + 1), str::to_string);
        let hs: HostState =
            serde_json::from_value(state.clone()).map_err(|e| ImageGenError::State {
                host: host.clone(),
                message: e.to_string(),
            })?;
        for (j, raw) in hs.components.iter().enumerate() {
            let c: ComponentState =
                serde_json::from_value(raw.clone()).map_err(|e| ImageGenError::State {
                    host: host.clone(),
                    message: format!("components[{j}]: {e}"),
                })?;
            let component = c
                .key
                .clone()
                .or_else(|| c.id.clone())
                .unwrap_or_else(|| format!("components[{j}]"));
            if c.role != Role::Active || components.is_some_and(|ks| !ks.contains(&c.kind)) {
                continue;
            }
            c.version_style
                .check(&c.version)
                .map_err(|source| ImageGenError::Style {
                    host: host.clone(),
                    model: hs.model.clone(),
                    component: component.clone(),
                    source,
                })?;
            let kind_idx = Kind::ALL.iter().position(|k| *k == c.kind).unwrap_or(0);
            let style_key = serde_json::to_string(&c.version_style).unwrap_or_default();
            let key = (hs.model.clone(), kind_idx, style_key);
            match groups.get_mut(&key) {
                Some(g) => {
                    if g.style.compare(&c.version, &g.newest) == Some(std::cmp::Ordering::Greater) {
                        g.newest = c.version;
                        g.host = host.clone();
                        g.component = component;
                    }
                }
                None => {
                    groups.insert(
                        key,
                        Group {
                            model: hs.model.clone(),
                            kind: c.kind,
                            style: c.version_style,
                            newest: c.version,
                            host: host.clone(),
                            component,
                        },
                    );
                }
            }
        }
    }
    if groups.is_empty() {
        let kinds = match components {
            Some(ks) if !ks.is_empty() => ks.iter().map(|k| k.name()).collect::<Vec<_>>().join("/"),
            _ => "firmware".to_string(),
        };
        return Err(ImageGenError::Nothing { kinds });
    }
    let mut used = HashSet::new();
    let mut specs = Vec::with_capacity(groups.len());
    for g in groups.into_values() {
        let version =
            g.style
                .successor(&g.newest, bump)
                .map_err(|source| ImageGenError::Style {
                    host: g.host.clone(),
                    model: g.model.clone(),
                    component: g.component.clone(),
                    source,
                })?;
        let stem = format!(
            "{}_{}_{}",
            slug(&g.model, false),
            g.kind.name(),
            slug(&version, true)
        );
        // Distinct models or styles can slug alike; the first keeps the plain name.
        let mut file = format!("{stem}.fwimg");
        let mut n = 2;
        while !used.insert(file.clone()) {
            file = format!("{stem}-{n}.fwimg");
            n += 1;
        }
        specs.push(ImageSpec {
            file,
            component: g.kind,
            version,
            models: vec![g.model],
        });
    }
    Ok(specs)
}

/// Write the images [`plan_images`] decides on into `out_dir` (created if
/// missing), each with a `size`-byte payload, then `out_dir/images.json`.
///
/// Same input, same files: names, versions and payloads are all derived from
/// the states. Images are streamed, so `size` may exceed memory.
pub fn make_images(
    states: &[Value],
    out_dir: &Path,
    components: Option<&[Kind]>,
    bump: Bump,
    size: u64,
) -> Result<Vec<ImageSpec>, ImageGenError> {
    let specs = plan_images(states, components, bump)?;
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ImageGenError::Write { path, source }
    };
    std::fs::create_dir_all(out_dir).map_err(write_err(out_dir))?;
    for spec in &specs {
        let path = out_dir.join(&spec.file);
        ImageBuilder::new(spec.component, spec.version.clone())
            .models(spec.models.iter().cloned())
            .payload_size(size)
            .write_file(&path)
            .map_err(write_err(&path))?;
    }
    let index = out_dir.join(IMAGES_JSON);
    let mut json = serde_json::to_vec_pretty(&specs).map_err(|e| ImageGenError::Write {
        path: index.clone(),
        source: io::Error::other(e),
    })?;
    json.push(b'\n');
    write_atomic(&index, &json).map_err(write_err(&index))?;
    Ok(specs)
}

/// Write through a temporary file, so a reader never sees half an index.
fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".images-")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A file-name-safe form of `s`: ASCII letters and digits kept, runs of anything
/// else become one `-` (versions also keep `.` and `_`), no leading or trailing
/// `-`/`.` so the name is never hidden, empty or `..`.
fn slug(s: &str, version: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        let keep = ch.is_ascii_alphanumeric() || (version && (ch == '.' || ch == '_'));
        if keep {
            out.push(if version { ch } else { ch.to_ascii_lowercase() });
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches(|c| c == '-' || c == '.');
    if trimmed.is_empty() {
        "unnamed".to_string()
    } else {
        trimmed.to_string()
    }
}

/// One `[[hosts]]` entry of the fleet file; other keys (credentials,
/// `tls_fingerprint_sha256`) are not needed for the unauthenticated control plane.
#[derive(Debug, Deserialize)]
struct FleetHost {
    name: String,
    url: String,
}

#[derive(Debug, Deserialize)]
struct FleetFile {
    #[serde(default)]
    hosts: Vec<FleetHost>,
}

/// `GET {url}/mock/state` from every host of a fleet file (as `mock-bmc serve
/// --fleet-out` writes it), in file order, at most [`FETCH_CONCURRENCY`] at once.
///
/// Certificates are not checked: this is the mock's own control plane, served
/// with the self-signed certificates the mock generated. Proxies are not used
/// either, since the fleet is local and an `HTTP_PROXY` would only get in the way.
pub async fn fetch_states(fleet_file: &Path) -> Result<Vec<Value>, ImageGenError> {
    let file_err = |message: String| ImageGenError::FleetFile {
        path: fleet_file.to_path_buf(),
        message,
    };
    let text = tokio::fs::read_to_string(fleet_file)
        .await
        .map_err(|e| file_err(e.to_string()))?;
    let fleet: FleetFile = toml::from_str(&text).map_err(|e| file_err(e.to_string()))?;
    if fleet.hosts.is_empty() {
        return Err(file_err("it lists no [[hosts]]".to_string()));
    }
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .timeout(FETCH_TIMEOUT)
        .build()
        .map_err(|e| file_err(format!("cannot build an HTTP client: {}", error_chain(&e))))?;
    let results: Vec<Result<Value, ImageGenError>> =
        futures::stream::iter(fleet.hosts.iter().map(|h| fetch_one(&client, h)))
            .buffered(FETCH_CONCURRENCY)
            .collect()
            .await;
    let failed = results.iter().filter(|r| r.is_err()).count();
    let mut states = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(v) => states.push(v),
            Err(ImageGenError::Fetch {
                host, url, message, ..
            }) => {
                return Err(ImageGenError::Fetch {
                    host,
                    url,
                    message,
                    others_failed: failed - 1,
                })
            }
            Err(e) => return Err(e),
        }
    }
    Ok(states)
}

async fn fetch_one(client: &reqwest::Client, host: &FleetHost) -> Result<Value, ImageGenError> {
    let url = format!("{}/mock/state", host.url.trim_end_matches('/'));
    let fail = |message: String| ImageGenError::Fetch {
        host: host.name.clone(),
        url: url.clone(),
        message,
        others_failed: 0,
    };
    let resp = client
        .get(&url)
        .send()
        .await
        .map_err(|e| fail(error_chain(&e)))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(fail(format!(
            "HTTP {status}; is this a mock-bmc (only mock BMCs have /mock/state)?"
        )));
    }
    resp.json::<Value>()
        .await
        .map_err(|e| fail(format!("bad JSON: {}", error_chain(&e))))
}

/// An error and its causes on one line: reqwest's own message rarely says more
/// than "error sending request", the cause ("connection refused") is below it.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let s = c.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bmc::{Bmc, BmcConfig};
    use crate::image::verify_file;
    use crate::persona::Persona;
    use serde_json::json;
    use std::cmp::Ordering;

    fn states(persona: Persona, hosts: usize) -> Vec<Value> {
        (0..hosts)
            .map(|i| Bmc::new(BmcConfig::new(&format!("h{i}"), persona, 5, i, "pw")).state_json())
            .collect()
    }

    /// Every image verifies, matches its spec, is newer than every active
    /// version of its (model, kind) in the fleet, and every pair has an image.
    fn check_images(states: &[Value], dir: &Path, specs: &[ImageSpec], kinds: Option<&[Kind]>) {
        let listed: Vec<ImageSpec> =
            serde_json::from_slice(&std::fs::read(dir.join(IMAGES_JSON)).unwrap()).unwrap();
        assert_eq!(listed, specs);
        for spec in specs {
            assert!(spec.file.ends_with(".fwimg"), "{}", spec.file);
            assert!(
                spec.file
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
                "{}",
                spec.file
            );
            let header = verify_file(dir.join(&spec.file)).unwrap();
            assert_eq!(header.component, spec.component);
            assert_eq!(header.version, spec.version);
            assert_eq!(header.models, spec.models);
        }
        let mut pairs = HashSet::new();
        for s in states {
            let model = s["model"].as_str().unwrap();
            for c in s["components"].as_array().unwrap() {
                let c: ComponentState = serde_json::from_value(c.clone()).unwrap();
                if c.role != Role::Active || kinds.is_some_and(|k| !k.contains(&c.kind)) {
                    continue;
                }
                pairs.insert((model.to_string(), c.kind.name()));
                let spec = specs
                    .iter()
                    .find(|sp| sp.component == c.kind && sp.models == [model])
                    .unwrap_or_else(|| panic!("no image for {model} {}", c.kind));
                assert_eq!(
                    c.version_style.compare(&spec.version, &c.version),
                    Some(Ordering::Greater),
                    "{model} {}: image {} is not newer than {}",
                    c.kind,
                    spec.version,
                    c.version
                );
            }
        }
        assert_eq!(pairs.len(), specs.len(), "one image per (model, kind)");
    }

    #[test]
    fn every_persona_gets_newer_images_that_verify() {
        for p in Persona::ALL {
            let st = states(p, 12);
            let dir = tempfile::tempdir().unwrap();
            let specs = make_images(&st, dir.path(), None, Bump::Patch, 1024).unwrap();
            check_images(&st, dir.path(), &specs, None);
        }
    }

    #[test]
    fn a_mixed_fleet_with_major_bumps() {
        let st: Vec<Value> = Persona::ALL.iter().flat_map(|p| states(*p, 4)).collect();
        let dir = tempfile::tempdir().unwrap();
        let specs = make_images(&st, dir.path(), None, Bump::Major, 100).unwrap();
        check_images(&st, dir.path(), &specs, None);
        let mut sorted = specs.clone();
        sorted.sort_by_key(|s| {
            (
                s.models.clone(),
                Kind::ALL.iter().position(|k| *k == s.component),
            )
        });
        assert_eq!(sorted, specs, "sorted by model, then kind");
    }

    #[test]
    fn the_same_fleet_gives_the_same_files() {
        let st = states(Persona::Ilo, 6);
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let sa = make_images(&st, a.path(), None, Bump::Minor, 5000).unwrap();
        let sb = make_images(&st, b.path(), None, Bump::Minor, 5000).unwrap();
        assert_eq!(sa, sb);
        for s in &sa {
            assert_eq!(
                std::fs::read(a.path().join(&s.file)).unwrap(),
                std::fs::read(b.path().join(&s.file)).unwrap()
            );
        }
        assert_eq!(
            std::fs::read(a.path().join(IMAGES_JSON)).unwrap(),
            std::fs::read(b.path().join(IMAGES_JSON)).unwrap()
        );
    }

    #[test]
    fn generic_drives_share_one_image_and_kinds_filter() {
        let st = states(Persona::Generic, 3);
        let dir = tempfile::tempdir().unwrap();
        let kinds = [Kind::Drive, Kind::Bios];
        let specs = make_images(&st, dir.path(), Some(&kinds), Bump::Patch, 10).unwrap();
        check_images(&st, dir.path(), &specs, Some(&kinds));
        assert!(specs.iter().all(|s| kinds.contains(&s.component)));
        let drive_images = specs.iter().filter(|s| s.component == Kind::Drive).count();
        let models: HashSet<_> = st.iter().map(|s| s["model"].clone()).collect();
        assert_eq!(drive_images, models.len());
    }

    #[test]
    fn the_newest_version_in_the_fleet_is_the_base() {
        let st = vec![
            host_state("a", "M-1", "bios", "1.9.0"),
            host_state("b", "M-1", "bios", "1.10.0"),
            host_state("c", "M-1", "bios", "1.2.7"),
        ];
        let specs = plan_images(&st, None, Bump::Patch).unwrap();
        assert_eq!(
            specs,
            vec![ImageSpec {
                file: "m-1_bios_1.10.1.fwimg".into(),
                component: Kind::Bios,
                version: "1.10.1".into(),
                models: vec!["M-1".into()],
            }]
        );
    }

    #[test]
    fn file_names_are_safe_and_distinct() {
        assert_eq!(
            slug("ProLiant DL380 Gen10 Plus", false),
            "proliant-dl380-gen10-plus"
        );
        assert_eq!(slug("U46 v2.74 (04/21/2023)", true), "U46-v2.74-04-21-2023");
        assert_eq!(slug("../..", true), "unnamed");
        assert_eq!(slug(".hidden", true), "hidden");
        let st = vec![
            host_state("a", "CX 2200", "bios", "1.0"),
            host_state("b", "CX/2200", "bios", "1.0"),
        ];
        let specs = plan_images(&st, None, Bump::Patch).unwrap();
        let files: Vec<_> = specs.iter().map(|s| s.file.as_str()).collect();
        assert_eq!(
            files,
            ["cx-2200_bios_1.1.fwimg", "cx-2200_bios_1.1-2.fwimg"]
        );
    }

    fn host_state(name: &str, model: &str, kind: &str, version: &str) -> Value {
        json!({
            "name": name,
            "model": model,
            "components": [{
                "id": "X1", "key": "comp1", "kind": kind, "role": "active",
                "version": version,
                "version_style": {"style": "dotted", "widths": []},
                "software_id": null,
            }],
        })
    }

    #[test]
    fn errors_name_the_host_model_and_component() {
        let mut st = host_state("bmc-0007", "M-1", "bios", "1.0");
        st["components"][0]["version"] = json!("v1.0-beta");
        let e = plan_images(&[st], None, Bump::Patch).unwrap_err();
        assert!(matches!(e, ImageGenError::Style { .. }));
        assert_eq!(
            e.to_string(),
            "host bmc-0007, model 'M-1', component comp1: version 'v1.0-beta' is not in the dotted style"
        );

        let e = plan_images(
            &[host_state("bmc-0002", "M-1", "toaster", "1.0")],
            None,
            Bump::Patch,
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with(
                "host bmc-0002: malformed /mock/state: components[0]: unknown variant `toaster`"
            ),
            "{msg}"
        );

        let e = plan_images(
            &[json!({"name": "bmc-0003", "components": []})],
            None,
            Bump::Patch,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("bmc-0003") && e.to_string().contains("model"),
            "{e}"
        );

        let e = plan_images(&[json!(["not", "a", "state"])], None, Bump::Patch).unwrap_err();
        assert!(e.to_string().starts_with("host #1:"), "{e}");

        let e = plan_images(&[], None, Bump::Patch).unwrap_err();
        assert!(matches!(e, ImageGenError::Nothing { .. }), "{e}");
        let e = plan_images(
            &[host_state("a", "M", "bios", "1.0")],
            Some(&[Kind::Psu]),
            Bump::Patch,
        )
        .unwrap_err();
        assert!(e.to_string().contains("no active psu components"), "{e}");
    }

    #[test]
    fn backup_and_previous_images_are_ignored_even_if_unparseable() {
        let mut st = host_state("a", "M", "bios", "1.0");
        st["components"].as_array_mut().unwrap().push(json!({
            "key": "bios-backup", "kind": "bios", "role": "backup", "version": "junk",
            "version_style": {"style": "dotted", "widths": []},
        }));
        let specs = plan_images(&[st], None, Bump::Patch).unwrap();
        assert_eq!(specs.len(), 1);
        assert_eq!(specs[0].version, "1.1");
    }

    #[tokio::test]
    async fn fetch_states_from_a_running_tls_fleet() {
        let fleet = crate::fleet::MockFleet::start(crate::fleet::FleetConfig {
            count: 3,
            tls: crate::bmc::TlsMode::SelfSigned,
            ..Default::default()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fleet.toml");
        fleet.write_fleet_file(&path).unwrap();
        let got = fetch_states(&path).await.unwrap();
        let names: Vec<_> = got.iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["bmc-0001", "bmc-0002", "bmc-0003"]);
        let out = dir.path().join("images");
        let specs = make_images(&got, &out, None, Bump::Patch, 64).unwrap();
        check_images(&got, &out, &specs, None);
    }

    #[tokio::test]
    async fn fetch_errors_name_the_host_and_say_what_to_do() {
        // A port that was just free: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fleet.toml");
        let hosts: String = (1..=2)
            .map(|i| {
                format!(
                    "[[hosts]]\nname = \"bmc-000{i}\"\nurl = \"http://127.0.0.1:{port}\"\nusername = \"admin\"\npassword = \"pw\"\n"
                )
            })
            .collect();
        std::fs::write(&path, hosts).unwrap();
        let e = fetch_states(&path).await.unwrap_err().to_string();
        assert!(e.starts_with("host bmc-0001: GET http://127.0.0.1:"), "{e}");
        assert!(e.contains("(and 1 more host)"), "{e}");
        assert!(e.ends_with(FLEET_HINT), "{e}");

        let e = fetch_states(&dir.path().join("missing.toml"))
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing.toml") && e.ends_with(FLEET_HINT), "{e}");
        std::fs::write(&path, "hosts = 3").unwrap();
        let e = fetch_states(&path).await.unwrap_err().to_string();
        assert!(e.starts_with("fleet file"), "{e}");
    }
}
