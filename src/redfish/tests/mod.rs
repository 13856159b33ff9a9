//! Tests of the client and the typed operations against mock BMCs over real
//! sockets, below the public API (`BmcClient::request`, `Reply`): moved here
//! from tests/it when those became private to `redfish`.

mod hostile;
mod task_follow;

use crate::config::{AuthMode, HostConfig, Limits, TlsSetting};
use crate::redfish::client::BmcClient;
use crate::secret::Secret;
use mock_bmc::image::ImageBuilder;
use mock_bmc::{Kind, MockBmc};

/// A session-auth client for a mock BMC on plain HTTP .
/// The shortest mock reboot these tests use: three of the client's whole
/// transport-retry windows (at the default limits) and a margin, so the
/// client's own retries of one GET cannot hide a reboot (issue 16).
pub(super) fn shortest_reboot() -> std::time::Duration {
    crate::redfish::client::transport_retry_window(&crate::config::Limits::default()) * 3
        + std::time::Duration::from_millis(300)
}

pub(super) fn client_with(b: &MockBmc, password: &str) -> BmcClient {
    BmcClient::new(&HostConfig {
        name: b.name().to_string(),
        url: b.url(),
        username: "admin".into(),
        password: Secret::new(password),
        tls: TlsSetting::Verify { ca_file: None },
        auth: AuthMode::Session,
        proxy: None,
        labels: Default::default(),
        limits: Limits::default(),
        tls_repin_after_bmc_update: false,
        pre_reset: None,
        post_update: None,
        method: None,
    })
    .unwrap()
}

/// Serve one image for `kind` (newer than the BMC's) on 127.0.0.1.
pub(crate) async fn image_url(b: &MockBmc, kind: Kind, version: &str) -> String {
    let dir = tempfile::tempdir().unwrap().keep();
    let path = dir.join("fw.img");
    let model = b.state()["model"].as_str().unwrap().to_string();
    ImageBuilder::new(kind, version)
        .models([model])
        .payload_size(4096)
        .write_file(&path)
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let app = axum::Router::new().route(
        "/fw.img",
        axum::routing::get(move || {
            let b = bytes.clone();
            async move { b }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    format!("http://{addr}/fw.img")
}
