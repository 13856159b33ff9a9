//! The router and its one handler.
//!
//! Every request goes through [`handle`] (the router's fallback) instead of
//! a path pattern, so that the URL is parsed in one place we control (no
//! normalisation, no decoding we did not ask for) and every request, also a
//! 404 or a 401, lands in the audit log.

use super::range::{self, RangeAsk};
use super::registry::{AuditEntry, Image, Registry, Stamp};
use crate::secret::Secret;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures::Stream;
use sha2::{Digest, Sha256};
use std::io::{self, SeekFrom};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

/// Read and send size: large enough for throughput, small enough that 16
/// BMCs downloading at once cost a megabyte.
pub(crate) const CHUNK: usize = 64 * 1024;

/// What the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub registry: Registry,
    /// `base64(user:password)` as a client sends it, when auth is required.
    pub basic: Option<Secret>,
}

/// The image server's routes over `shared`.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// The request facts the audit entry needs, gathered before answering.
#[derive(Debug, Clone)]
struct Seen {
    peer: Option<std::net::IpAddr>,
    method: String,
    label: Option<String>,
    token_prefix: Option<String>,
}

impl Seen {
    fn entry(&self, status: StatusCode, range: Option<(u64, u64)>, bytes: u64) -> AuditEntry {
        AuditEntry {
            time: chrono::Utc::now(),
            peer: self.peer,
            method: self.method.clone(),
            label: self.label.clone(),
            token_prefix: self.token_prefix.clone(),
            range,
            bytes_sent: bytes,
            status: status.as_u16(),
            full_fetch: false,
        }
    }
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let mut seen = Seen {
        peer: req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip()),
        method: req.method().to_string(),
        label: None,
        token_prefix: None,
    };
    let answer = |seen: &Seen, status: StatusCode, extra: HeaderMap| {
        shared.registry.record(seen.entry(status, None, 0));
        (status, extra).into_response()
    };

    let head = match *req.method() {
        Method::GET => false,
        Method::HEAD => true,
        _ => {
            let mut h = HeaderMap::new();
            h.insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return answer(&seen, StatusCode::METHOD_NOT_ALLOWED, h);
        }
    };
    if let Some(expected) = &shared.basic {
        if !authorised(req.headers(), expected) {
            let mut h = HeaderMap::new();
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"fwfleet images\""),
            );
            return answer(&seen, StatusCode::UNAUTHORIZED, h);
        }
    }
    let Some((token, name)) = split_path(req.uri().path()) else {
        return answer(&seen, StatusCode::NOT_FOUND, HeaderMap::new());
    };
    let Some(image) = shared.registry.get(token) else {
        return answer(&seen, StatusCode::NOT_FOUND, HeaderMap::new());
    };
    seen.token_prefix = Some(token.chars().take(8).collect());
    // The name is checked only after the lookup so that the audit can say
    // which image someone tried to reach with a forged name.
    if name.as_deref() != Some(image.file_name.as_bytes()) {
        return answer(&seen, StatusCode::NOT_FOUND, HeaderMap::new());
    }
    seen.label = Some(image.label.clone());
    if image.is_bad() {
        return answer(&seen, StatusCode::GONE, HeaderMap::new());
    }

    let mut file = match open_verified(&image).await {
        Ok(f) => f,
        Err(status) => return answer(&seen, status, HeaderMap::new()),
    };

    let len = image.size;
    let ask = range::parse(
        req.headers()
            .get(header::RANGE)
            .and_then(|v| v.to_str().ok()),
        len,
    );
    let mut h = HeaderMap::new();
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", image.sha256)) {
        h.insert(header::ETAG, v);
    }
    let (status, first, last) = match ask {
        RangeAsk::Unsatisfiable => {
            h.insert(header::CONTENT_RANGE, content_range(None, len));
            return answer(&seen, StatusCode::RANGE_NOT_SATISFIABLE, h);
        }
        RangeAsk::Full => (StatusCode::OK, 0, len.checked_sub(1)),
        RangeAsk::Part { first, last } => {
            h.insert(
                header::CONTENT_RANGE,
                content_range(Some((first, last)), len),
            );
            (StatusCode::PARTIAL_CONTENT, first, Some(last))
        }
    };
    let count = last.map_or(0, |last| last - first + 1);
    let served = (status == StatusCode::PARTIAL_CONTENT).then_some((first, count));
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    if head {
        shared
            .registry
            .record(seen.entry(status, served.map(|(f, c)| (f, f + c - 1)), 0));
        return (status, h).into_response();
    }
    if let Err(e) = file.seek(SeekFrom::Start(first)).await {
        tracing::error!(path = %image.path.display(), error = %e, "cannot seek in image");
        return answer(&seen, StatusCode::INTERNAL_SERVER_ERROR, HeaderMap::new());
    }
    let body = Tracked {
        inner: ReaderStream::with_capacity(file.take(count), CHUNK),
        hasher: (status == StatusCode::OK).then(Sha256::new),
        held: None,
        sent: 0,
        expected: count,
        failed: false,
        recorded: false,
        status,
        range: served.map(|(f, c)| (f, f + c - 1)),
        seen,
        image,
        shared: shared.clone(),
    };
    (status, h, Body::from_stream(body)).into_response()
}

/// `/i/<token>/<name>` → (token, percent-decoded name). Anything else,
/// including a name that does not decode, is `None` (a 404).
fn split_path(path: &str) -> Option<(&str, Option<Vec<u8>>)> {
    let rest = path.strip_prefix("/i/")?;
    let (token, name) = rest.split_once('/')?;
    if token.is_empty() || name.contains('/') {
        return None;
    }
    Some((token, percent_decode(name)))
}

fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Compares the `Authorization: Basic` token without an early exit, so the
/// time taken does not tell how much of a guess was right.
fn authorised(headers: &HeaderMap, expected: &Secret) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then(|| rest.trim())
        })
    else {
        return false;
    };
    let (a, b) = (given.as_bytes(), expected.expose().as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn content_range(range: Option<(u64, u64)>, len: u64) -> HeaderValue {
    let text = match range {
        Some((first, last)) => format!("bytes {first}-{last}/{len}"),
        None => format!("bytes */{len}"),
    };
    HeaderValue::from_str(&text).expect("digits, spaces and slashes are valid header text")
}

/// Opens the image and makes sure it still holds the published bytes.
///
/// The check runs on the opened handle, and the body is then read from the
/// same handle: replacing the file by rename after the check cannot slip
/// other bytes in. A file that is rewritten in place after the check is
/// caught by [`Tracked`], which hashes full downloads as they go out.
async fn open_verified(image: &Image) -> Result<tokio::fs::File, StatusCode> {
    let path = &image.path;
    let file = tokio::fs::File::open(path).await.map_err(|e| {
        tracing::error!(path = %path.display(), label = %image.label, error = %e,
            "cannot open published image; was it removed from the repository?");
        StatusCode::INTERNAL_SERVER_ERROR
    })?;
    let meta = file.metadata().await.map_err(|e| {
        tracing::error!(path = %path.display(), error = %e, "cannot stat published image");
        StatusCode::INTERNAL_SERVER_ERROR
    })?;
    let stamp = Stamp {
        len: meta.len(),
        modified: meta.modified().ok(),
    };
    let mut verified = image.verified.lock().await;
    if *verified == Some(stamp) {
        return Ok(file);
    }
    // Hashed on the blocking pool through the same handle, then handed back.
    let std_file = file.into_std().await;
    let (std_file, digest) = tokio::task::spawn_blocking(move || {
        let mut f = std_file;
        let d = crate::digest::hash_reader(&mut f);
        (f, d)
    })
    .await
    .map_err(|e| {
        tracing::error!(path = %path.display(), error = %e, "cannot hash published image");
        StatusCode::INTERNAL_SERVER_ERROR
    })?;
    let mut file = tokio::fs::File::from_std(std_file);
    let crate::digest::Digest {
        sha256,
        size: total,
    } = digest.map_err(|e| {
        tracing::error!(path = %path.display(), error = %e, "cannot read published image");
        StatusCode::INTERNAL_SERVER_ERROR
    })?;
    if total != image.size || !sha256.eq_ignore_ascii_case(&image.sha256) {
        image.mark_bad();
        tracing::error!(
            path = %path.display(),
            label = %image.label,
            expected_sha256 = %image.sha256,
            found_sha256 = %sha256,
            expected_size = image.size,
            found_size = total,
            "published image changed on disk; it will not be served again (410) until published anew"
        );
        return Err(StatusCode::INTERNAL_SERVER_ERROR);
    }
    *verified = Some(stamp);
    file.seek(SeekFrom::Start(0)).await.map_err(|e| {
        tracing::error!(path = %path.display(), error = %e, "cannot seek in image");
        StatusCode::INTERNAL_SERVER_ERROR
    })?;
    Ok(file)
}

/// The response body: streams the file, counts what went out, and writes the
/// audit entry when the last byte goes out or the body is dropped early
/// (client gone).
///
/// For a full download it also hashes on the way and holds the last chunk
/// back until the hash is known: if the file changed in place while it was
/// being sent, the client gets a short body (an error), never a complete
/// image with other bytes.
struct Tracked {
    inner: ReaderStream<tokio::io::Take<tokio::fs::File>>,
    hasher: Option<Sha256>,
    held: Option<Bytes>,
    sent: u64,
    expected: u64,
    failed: bool,
    /// The audit entry is written; see [`Tracked::finish`].
    recorded: bool,
    status: StatusCode,
    range: Option<(u64, u64)>,
    seen: Seen,
    image: Arc<Image>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Tracked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracked")
            .field("label", &self.image.label)
            .field("sent", &self.sent)
            .field("expected", &self.expected)
            .finish_non_exhaustive()
    }
}

impl Tracked {
    /// Counts `b` as sent and, when it is the last of the body, records
    /// the request before handing it over, so that a client holding the
    /// whole body always finds its download in the audit and the counts.
    fn emit(&mut self, b: Bytes) -> Poll<Option<io::Result<Bytes>>> {
        self.sent += b.len() as u64;
        if self.sent == self.expected {
            self.finish();
        }
        Poll::Ready(Some(Ok(b)))
    }

    /// Writes the audit entry (once): on the last byte, or on drop for a
    /// body that was cut short.
    fn finish(&mut self) {
        if self.recorded {
            return;
        }
        self.recorded = true;
        let full_fetch =
            !self.failed && self.sent == self.expected && self.status == StatusCode::OK;
        if full_fetch {
            self.image.fetches.fetch_add(1, Ordering::SeqCst);
        }
        let mut entry = self.seen.entry(self.status, self.range, self.sent);
        entry.full_fetch = full_fetch;
        self.shared.registry.record(entry);
    }
}

impl Stream for Tracked {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.failed {
            return Poll::Ready(None);
        }
        loop {
            match Pin::new(&mut this.inner).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => {
                    tracing::error!(path = %this.image.path.display(), error = %e,
                        "reading published image failed mid-stream");
                    this.failed = true;
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(Some(Ok(b))) => match &mut this.hasher {
                    None => return this.emit(b),
                    Some(h) => {
                        h.update(&b);
                        if let Some(prev) = this.held.replace(b) {
                            return this.emit(prev);
                        }
                    }
                },
                Poll::Ready(None) => {
                    if let Some(h) = this.hasher.take() {
                        let sha256 = hex::encode(h.finalize());
                        let whole = this.sent + this.held.as_ref().map_or(0, |b| b.len() as u64);
                        if whole != this.expected
                            || !sha256.eq_ignore_ascii_case(&this.image.sha256)
                        {
                            this.image.mark_bad();
                            this.failed = true;
                            tracing::error!(
                                path = %this.image.path.display(),
                                label = %this.image.label,
                                expected_sha256 = %this.image.sha256,
                                found_sha256 = %sha256,
                                "published image changed while it was sent; download aborted"
                            );
                            return Poll::Ready(Some(Err(io::Error::other(
                                "image changed on disk while it was sent",
                            ))));
                        }
                    }
                    return match this.held.take() {
                        Some(b) => this.emit(b),
                        None => {
                            this.finish();
                            Poll::Ready(None)
                        }
                    };
                }
            }
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.finish();
    }
}
