//! Real sockets on 127.0.0.1:0, a real HTTP client, and one real (mock) BMC.

use super::*;
use reqwest::header::{ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, RANGE, WWW_AUTHENTICATE};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A running server over a temp dir that holds one published image.
struct Fixture {
    dir: tempfile::TempDir,
    server: ImageServer,
    path: PathBuf,
    bytes: Vec<u8>,
    published: Published,
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn fixture_with(cfg: ImageServerConfig, len: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("BIOS_X1_2.0.bin");
    let bytes = pattern(len);
    std::fs::write(&path, &bytes).unwrap();
    let server = ImageServer::start(cfg, CancellationToken::new())
        .await
        .unwrap();
    let published = server
        .publish(path.clone(), sha(&bytes), len as u64, "bios 2.0".into())
        .unwrap();
    Fixture {
        dir,
        server,
        path,
        bytes,
        published,
    }
}

async fn fixture(len: usize) -> Fixture {
    fixture_with(ImageServerConfig::default(), len).await
}

/// Sends `path` byte for byte (no client-side normalisation of `..`) and
/// returns the status code.
async fn raw_status(addr: SocketAddr, path: &str) -> u16 {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let rq = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(rq.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out);
    text.split(' ').nth(1).unwrap().parse().unwrap()
}

/// Rewrites the file with other bytes and a different mtime, as a careless
/// `cp` over a repository image would.
fn tamper(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(std::time::SystemTime::now() + Duration::from_secs(60))
        .unwrap();
}

#[tokio::test]
async fn full_get_returns_the_file() {
    let f = fixture(300_000).await;
    assert!(f
        .published
        .url
        .starts_with(&format!("http://{}/i/", f.server.addr())));
    assert!(f.published.url.ends_with("/BIOS_X1_2.0.bin"));
    assert_eq!(f.published.token.len(), 32);
    let resp = reqwest::get(&f.published.url).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[CONTENT_LENGTH], "300000");
    assert_eq!(resp.headers()[ACCEPT_RANGES], "bytes");
    assert_eq!(resp.bytes().await.unwrap(), f.bytes);
    assert_eq!(f.server.fetches(&f.published.token), Some(1));
}

#[tokio::test]
async fn tokens_are_fresh_per_publish() {
    let f = fixture(10).await;
    let again = f
        .server
        .publish(f.path.clone(), sha(&f.bytes), 10, "again".into())
        .unwrap();
    assert_ne!(again.token, f.published.token);
}

#[tokio::test]
async fn ranges() {
    let f = fixture(1000).await;
    let client = reqwest::Client::new();
    let get = |range: &'static str| client.get(&f.published.url).header(RANGE, range).send();

    let cases: &[(&str, usize, usize)] = &[
        ("bytes=10-19", 10, 19),
        ("bytes=990-", 990, 999),
        ("bytes=-5", 995, 999),
        ("bytes=500-5000", 500, 999),
    ];
    for (range, first, last) in cases {
        let resp = get(range).await.unwrap();
        assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(
            resp.headers()[CONTENT_RANGE],
            format!("bytes {first}-{last}/1000").as_str(),
            "{range}"
        );
        assert_eq!(
            resp.headers()[CONTENT_LENGTH],
            (last - first + 1).to_string().as_str()
        );
        assert_eq!(
            resp.bytes().await.unwrap(),
            f.bytes[*first..=*last],
            "{range}"
        );
    }

    let resp = get("bytes=1000-").await.unwrap();
    assert_eq!(resp.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(resp.headers()[CONTENT_RANGE], "bytes */1000");

    let resp = get("bytes=0-1,5-6").await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap(), f.bytes);

    // Partial downloads are not full fetches; the one multi-range 200 is.
    assert_eq!(f.server.fetches(&f.published.token), Some(1));
    let audit = f.server.audit();
    assert_eq!(audit[0].range, Some((10, 19)));
    assert_eq!(audit[0].bytes_sent, 10);
    assert_eq!(audit[4].status, 416);
}

#[tokio::test]
async fn unknown_token_is_404() {
    let f = fixture(10).await;
    let name = "BIOS_X1_2.0.bin";
    let base = f.server.base_url().to_string();
    for url in [
        format!("{base}/i/{}/{name}", "0".repeat(32)),
        format!("{base}/i/"),
        format!("{base}/"),
        format!("{base}/i/{}", f.published.token),
        format!("{base}/i/{}/", f.published.token),
    ] {
        let resp = reqwest::get(&url).await.unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{url}");
    }
    assert!(f.server.unpublish(&f.published.token));
    let resp = reqwest::get(&f.published.url).await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(f.server.fetches(&f.published.token), None);
}

#[tokio::test]
async fn traversal_attempts_are_404() {
    let f = fixture(10).await;
    std::fs::write(f.dir.path().join("other.bin"), b"secret").unwrap();
    let t = &f.published.token;
    for path in [
        format!("/i/{t}/../other.bin"),
        format!("/i/{t}/%2e%2e/other.bin"),
        format!("/i/{t}/%2e%2e%2fother.bin"),
        format!("/i/{t}/..%2Fother.bin"),
        format!("/i/{t}/other.bin"),
        format!("/i/{t}/BIOS_X1_2.0.bin/../other.bin"),
        format!("/i/{t}/BIOS_X1_2.0.bin/"),
        format!("/i/{t}/BIOS_X1_2.0.bin%2F"),
        format!("/i/{t}/%ZZ"),
        format!("/i/../i/{t}/BIOS_X1_2.0.bin"),
        "/i/".to_string(),
        "/".to_string(),
    ] {
        assert_eq!(raw_status(f.server.addr(), &path).await, 404, "{path}");
    }
    // The real name, percent-encoded or not, works.
    let ok = format!("/i/{t}/BIOS%5FX1_2.0.bin");
    assert_eq!(raw_status(f.server.addr(), &ok).await, 200);
}

#[tokio::test]
async fn changed_before_first_request_is_500_then_410() {
    let f = fixture(1000).await;
    let changed = vec![0xAAu8; 1000];
    tamper(&f.path, &changed);
    let resp = reqwest::get(&f.published.url).await.unwrap();
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(resp.bytes().await.unwrap().is_empty());
    let resp = reqwest::get(&f.published.url).await.unwrap();
    assert_eq!(resp.status(), StatusCode::GONE);
    assert!(resp.bytes().await.unwrap().is_empty());
    // Putting the right bytes back does not revive the token.
    std::fs::write(&f.path, &f.bytes).unwrap();
    let resp = reqwest::get(&f.published.url).await.unwrap();
    assert_eq!(resp.status(), StatusCode::GONE);
    assert_eq!(f.server.fetches(&f.published.token), Some(0));
}

#[tokio::test]
async fn changed_after_a_good_fetch_is_caught() {
    let f = fixture(1000).await;
    let resp = reqwest::get(&f.published.url).await.unwrap();
    assert_eq!(resp.bytes().await.unwrap(), f.bytes);
    let changed = vec![0x55u8; 1000];
    tamper(&f.path, &changed);
    let client = reqwest::Client::new();
    let resp = client
        .get(&f.published.url)
        .header(RANGE, "bytes=0-9")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_ne!(resp.bytes().await.unwrap(), changed[..10]);
    let resp = reqwest::get(&f.published.url).await.unwrap();
    assert_eq!(resp.status(), StatusCode::GONE);
    assert_eq!(f.server.fetches(&f.published.token), Some(1));
}

#[tokio::test]
async fn head_gives_headers_only() {
    let f = fixture(5000).await;
    let client = reqwest::Client::new();
    let resp = client.head(&f.published.url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[CONTENT_LENGTH], "5000");
    assert_eq!(resp.headers()[ACCEPT_RANGES], "bytes");
    assert!(resp.bytes().await.unwrap().is_empty());
    let resp = client
        .head(&f.published.url)
        .header(RANGE, "bytes=100-")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(resp.headers()[CONTENT_LENGTH], "4900");
    assert_eq!(f.server.fetches(&f.published.token), Some(0));
    let resp = client.post(&f.published.url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn basic_auth() {
    let cfg = ImageServerConfig {
        credentials: Some(("fw".into(), Secret::new("s3cret"))),
        ..ImageServerConfig::default()
    };
    let f = fixture_with(cfg, 100).await;
    let client = reqwest::Client::new();
    let resp = client.get(&f.published.url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.headers()[WWW_AUTHENTICATE]
        .to_str()
        .unwrap()
        .starts_with("Basic"));
    for (user, pw) in [("fw", "wrong"), ("other", "s3cret"), ("fw", "s3cret2")] {
        let resp = client
            .get(&f.published.url)
            .basic_auth(user, Some(pw))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{user}:{pw}");
    }
    let resp = client
        .get(&f.published.url)
        .basic_auth("fw", Some("s3cret"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap(), f.bytes);
}

#[tokio::test]
async fn audit_records_every_request() {
    let f = fixture(100).await;
    reqwest::get(&f.published.url)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let unknown = format!("{}/i/{}/x", f.server.base_url(), "f".repeat(32));
    reqwest::get(&unknown).await.unwrap();
    let audit = f.server.audit();
    assert_eq!(audit.len(), 2, "{audit:#?}");
    let ok = &audit[0];
    assert_eq!(ok.status, 200);
    assert_eq!(ok.method, "GET");
    assert_eq!(ok.peer, Some("127.0.0.1".parse().unwrap()));
    assert_eq!(ok.label.as_deref(), Some("bios 2.0"));
    assert_eq!(ok.token_prefix.as_deref(), Some(&f.published.token[..8]));
    assert_eq!(ok.bytes_sent, 100);
    assert!(ok.full_fetch);
    assert_eq!(ok.range, None);
    let missing = &audit[1];
    assert_eq!(missing.status, 404);
    assert_eq!(missing.label, None);
    assert!(!missing.full_fetch);
}

#[tokio::test]
async fn audit_is_capped() {
    let cfg = ImageServerConfig {
        audit_capacity: 2,
        ..ImageServerConfig::default()
    };
    let f = fixture_with(cfg, 1).await;
    for _ in 0..3 {
        reqwest::get(f.server.base_url()).await.unwrap();
    }
    assert_eq!(f.server.audit().len(), 2);
}

#[tokio::test]
async fn https_from_pem_files() {
    let id = mock_bmc::tls::self_signed("imgsrv", "127.0.0.1".parse().unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, &id.cert_pem).unwrap();
    let body = base64(id.key.secret_der());
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    std::fs::write(
        &key,
        format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            lines.join("\n")
        ),
    )
    .unwrap();
    let cfg = ImageServerConfig {
        tls: Some(TlsFiles { cert, key }),
        ..ImageServerConfig::default()
    };
    let f = fixture_with(cfg, 70_000).await;
    assert!(f.published.url.starts_with("https://"));
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(id.cert_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let resp = client.get(&f.published.url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap(), f.bytes);
}

#[tokio::test]
async fn start_errors_name_the_problem() {
    let cfg = ImageServerConfig {
        bind: "0.0.0.0:0".parse().unwrap(),
        ..ImageServerConfig::default()
    };
    let e = ImageServer::start(cfg, CancellationToken::new())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("advertise_url"), "{e}");

    let cfg = ImageServerConfig {
        tls: Some(TlsFiles {
            cert: "/nonexistent/cert.pem".into(),
            key: "/nonexistent/key.pem".into(),
        }),
        ..ImageServerConfig::default()
    };
    let e = ImageServer::start(cfg, CancellationToken::new())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("/nonexistent/cert.pem"), "{e}");

    let cfg = ImageServerConfig {
        bind: "0.0.0.0:0".parse().unwrap(),
        advertise_url: Some("http://10.0.0.5:8080/".into()),
        ..ImageServerConfig::default()
    };
    let s = ImageServer::start(cfg, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(s.base_url(), "http://10.0.0.5:8080");
}

#[tokio::test]
async fn shutdown_token_stops_the_server() {
    let stop = CancellationToken::new();
    let server = ImageServer::start(ImageServerConfig::default(), stop.clone())
        .await
        .unwrap();
    let addr = server.addr();
    stop.cancel();
    server.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[test]
fn base64_matches_rfc4648() {
    for (input, want) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("Aladdin:open sesame", "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
    ] {
        assert_eq!(base64(input.as_bytes()), want);
    }
}

#[tokio::test]
async fn mock_bmc_downloads_a_published_image_via_simple_update() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bios-9.0.0.img");
    mock_bmc::image::ImageBuilder::new(mock_bmc::Kind::Bios, "9.0.0")
        .payload_size(100_000)
        .write_file(&path)
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let server = ImageServer::start(ImageServerConfig::default(), CancellationToken::new())
        .await
        .unwrap();
    let published = server
        .publish(
            path,
            sha(&bytes),
            bytes.len() as u64,
            "bios 9.0.0 for h".into(),
        )
        .unwrap();

    let mut c = mock_bmc::BmcConfig::new("h", mock_bmc::Persona::Generic, 1, 0, "pw").ideal();
    c.timing.update = Duration::ZERO;
    let bmc = mock_bmc::MockBmc::start(c).await.unwrap();
    let client = reqwest::Client::new();
    let resp = client
        .post(format!(
            "{}/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate",
            bmc.url()
        ))
        .basic_auth("admin", Some("pw"))
        .json(&serde_json::json!({ "ImageURI": published.url }))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());

    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let state: serde_json::Value = client
            .get(format!("{}/mock/state", bmc.url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let bios = state["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == "bios" && c["role"] == "active")
            .cloned()
            .unwrap();
        if bios["version"] == "9.0.0" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "bios never reached 9.0.0: {state:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(server.fetches(&published.token), Some(1));
    let full: Vec<_> = server
        .audit()
        .into_iter()
        .filter(|e| e.full_fetch)
        .collect();
    assert_eq!(full.len(), 1, "{:#?}", server.audit());
    assert_eq!(full[0].bytes_sent, bytes.len() as u64);
    assert_eq!(full[0].label.as_deref(), Some("bios 9.0.0 for h"));
}
