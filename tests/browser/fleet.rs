//! What a browser test looks at: a mixed mock fleet (every persona, field
//! behaviour at the mock's default timings) plus one dead BMC, a repository
//! with BMC firmware for some models only, a saved scan, and `fwfleet serve`
//! as a child process with an admin and a viewer token.

use crate::serve_proc::Serve;
use fwfleet::repository::{AddSpec, Repository};
use mock_bmc::{FleetConfig, MockFleet, Profile};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub const ADMIN: &str = "browser-admin-token-0123456789abcdef";
pub const VIEWER: &str = "browser-viewer-token-0123456789abcd";
const ADMIN_VAR: &str = "FWFLEET_BROWSER_ADMIN";
const VIEWER_VAR: &str = "FWFLEET_BROWSER_VIEWER";
/// The host whose BMC never answers (a closed loopback port).
pub const DEAD: &str = "dead-bmc";

pub struct Fleet {
    pub dir: tempfile::TempDir,
    pub mocks: MockFleet,
    pub serve: Serve,
    /// Host → compliance the fleet page must show, worked out from the
    /// mocks' own state and the repository, not from fwfleet.
    pub expected: BTreeMap<String, &'static str>,
    /// The models the repository has a BMC image for.
    pub outdated_models: Vec<String>,
}

impl Fleet {
    /// `count` mock BMCs of every persona, `rollout` under `[rollout]`.
    pub async fn start(count: usize, rollout: &str) -> Fleet {
        let seed = (1..500)
            .find(|&s| {
                let seen: std::collections::HashSet<_> = (0..count)
                    .map(|i| mock_bmc::fleet::persona_of(Profile::Mixed, s, i))
                    .collect();
                seen.len() == mock_bmc::Persona::ALL.len()
            })
            .expect("a seed covering every persona");
        let mocks = MockFleet::start(FleetConfig {
            count,
            profile: Profile::Mixed,
            seed,
            ..FleetConfig::default()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("fleet.toml");
        // The mocks' own state first (the dead host has none to fetch).
        mocks.write_fleet_file(&config).unwrap();
        let states = mock_bmc::imagegen::fetch_states(&config).await.unwrap();
        let text = format!(
            "[daemon]\ntoken_env = \"{ADMIN_VAR}\"\n\n[[daemon.tokens]]\nname = \"dashboard-viewer\"\nrole = \"viewer\"\ntoken_env = \"{VIEWER_VAR}\"\n\n{}\n[[hosts]]\nname = \"{DEAD}\"\nurl = \"https://127.0.0.1:9\"\nusername = \"root\"\npassword = \"not-used-0000\"\n\n[rollout]\n{rollout}\n",
            mocks.fleet_toml()
        );
        mock_bmc::fleet::write_private(&config, text.as_bytes()).unwrap();

        // BMC firmware one minor version up, for the models of every other
        // persona: their hosts are to update, the rest compliant.
        let mut models: Vec<String> = states
            .iter()
            .map(|s| s["model"].as_str().unwrap().to_string())
            .collect();
        models.sort();
        models.dedup();
        let outdated_models: Vec<String> = models.iter().step_by(2).cloned().collect();
        let out = dir.path().join("images");
        let specs = mock_bmc::imagegen::make_images(
            &states,
            &out,
            Some(&[mock_bmc::Kind::Bmc]),
            mock_bmc::vstyle::Bump::Minor,
            4096,
        )
        .unwrap();
        let mut repo = Repository::create_or_open(dir.path().join("repository")).unwrap();
        for sp in specs {
            if !sp.models.iter().any(|m| outdated_models.contains(m)) {
                continue;
            }
            let mut add = AddSpec::new(fwfleet::inventory::model::Kind::Bmc, sp.version.clone());
            add.models = sp.models.clone();
            repo.add(&out.join(&sp.file), add).unwrap();
        }
        let mut expected: BTreeMap<String, &'static str> = states
            .iter()
            .map(|s| {
                let model = s["model"].as_str().unwrap();
                let name = s["name"].as_str().unwrap().to_string();
                let c = if outdated_models.iter().any(|m| m == model) {
                    "non-compliant"
                } else {
                    "compliant"
                };
                (name, c)
            })
            .collect();
        expected.insert(DEAD.into(), "failed");

        // A saved scan for the pages to show (the dead host's fails).
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_fwfleet"))
            .args(["inventory", "--config"])
            .arg(&config)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(DEAD),
            "the scan names the dead host: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let serve = Serve::start_with(&config, &[(ADMIN_VAR, ADMIN), (VIEWER_VAR, VIEWER)], "info");
        Fleet {
            dir,
            mocks,
            serve,
            expected,
            outdated_models,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.serve.base)
    }

    /// `method path` on the API with the admin token.
    pub async fn api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .request(method, self.url(path))
            .bearer_auth(ADMIN);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    /// Where screenshots go: `$FWFLEET_SCREENSHOTS`, else
    /// `target/browser-screenshots`.
    pub fn screenshots() -> PathBuf {
        std::env::var_os("FWFLEET_SCREENSHOTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser-screenshots")
            })
    }
}
