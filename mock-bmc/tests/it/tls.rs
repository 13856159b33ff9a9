//! HTTPS: a self-signed certificate per BMC, pinned by its SHA-256 fingerprint.

use crate::support::*;
use mock_bmc::{BmcConfig, Persona, TlsMode};
use reqwest::StatusCode;

#[tokio::test]
async fn each_bmc_has_its_own_certificate_and_fingerprint() {
    let mut a = BmcConfig::new("tls-a", Persona::Generic, 1, 0, PASSWORD);
    a.tls = TlsMode::SelfSigned;
    let mut b = BmcConfig::new("tls-b", Persona::Generic, 1, 1, PASSWORD);
    b.tls = TlsMode::SelfSigned;
    let a = start_with(a).await;
    let b = start_with(b).await;
    assert!(a.url().starts_with("https://127.0.0.1:"));
    let fa = a.tls_fingerprint().unwrap();
    let fb = b.tls_fingerprint().unwrap();
    assert_ne!(fa, fb);
    assert_eq!(fa.len(), 32 * 3 - 1);

    // A client that trusts exactly this BMC's certificate gets through.
    let cert = reqwest::Certificate::from_pem(a.cert_pem().unwrap().as_bytes()).unwrap();
    let c = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(cert)
        .build()
        .unwrap();
    let r = c
        .get(format!("{}/redfish/v1/Systems", a.url()))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // ...and the same client refuses the other BMC.
    assert!(c
        .get(format!("{}/redfish/v1/", b.url()))
        .send()
        .await
        .is_err());
}

#[tokio::test]
async fn a_certificate_can_be_given_by_path() {
    let dir = tempfile::tempdir().unwrap();
    let id = mock_bmc::tls::self_signed("given", "127.0.0.1".parse().unwrap()).unwrap();
    let key_pem = {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(id.key.secret_der());
        let lines: Vec<String> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            lines.join("\n")
        )
    };
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, &id.cert_pem).unwrap();
    std::fs::write(&key, key_pem).unwrap();
    let mut cfg = BmcConfig::new("given", Persona::Generic, 1, 0, PASSWORD);
    cfg.tls = TlsMode::Files { cert, key };
    let bmc = start_with(cfg).await;
    assert_eq!(
        bmc.tls_fingerprint().unwrap(),
        mock_bmc::tls::fingerprint(&id.cert_der)
    );
}

#[tokio::test]
async fn updates_work_over_https_with_a_pinned_client() {
    let mut cfg = BmcConfig::new("tls-upd", Persona::Generic, 2, 0, PASSWORD).ideal();
    cfg.tls = TlsMode::SelfSigned;
    cfg.timing.update = std::time::Duration::ZERO;
    let bmc = start_with(cfg).await;
    let c = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(
            reqwest::Certificate::from_pem(bmc.cert_pem().unwrap().as_bytes()).unwrap(),
        )
        .build()
        .unwrap();
    let st = bmc.state();
    let v = newer(component(&st, "bios"));
    let img = image_bytes("bios", &v, &[st["model"].as_str().unwrap()], 10_000);
    let form = reqwest::multipart::Form::new()
        .part(
            "UpdateParameters",
            reqwest::multipart::Part::text("{}")
                .mime_str("application/json")
                .unwrap(),
        )
        .part(
            "UpdateFile",
            reqwest::multipart::Part::bytes(img).file_name("bios.img"),
        );
    let r = c
        .post(format!("{}/redfish/v1/UpdateService/upload", bmc.url()))
        .basic_auth("admin", Some(PASSWORD))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let monitor = r.headers()["Location"].to_str().unwrap().to_string();
    let mut done = false;
    for _ in 0..200 {
        let r = c
            .get(format!("{}{monitor}", bmc.url()))
            .basic_auth("admin", Some(PASSWORD))
            .send()
            .await
            .unwrap();
        if r.status() == StatusCode::OK {
            let body: serde_json::Value = r.json().await.unwrap();
            assert_eq!(body["TaskState"], "Completed");
            done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(done);
    assert_eq!(component(&bmc.state(), "bios")["version"], v.as_str());
}
