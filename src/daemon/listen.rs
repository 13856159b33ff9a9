//! The API's accept loop: plain HTTP or TLS, with the limits a service on
//! a management network needs and `axum::serve` does not offer — a
//! deadline for the TLS handshake and for each request's line and headers
//! (`daemon.header_timeout_secs`: a client that sends half a request is cut
//! off, not kept forever), an idle timeout (`daemon.idle_timeout_secs`:
//! nothing moving either way), and a cap on connections served at once
//! (`daemon.max_connections`; more wait in the kernel's backlog).
//!
//! Each request carries the peer's address (`ConnectInfo`) for the audit
//! trail. On shutdown the loop stops accepting, asks every connection to
//! finish its request in flight and close, and returns when all are gone.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How connections are served.
#[derive(Debug, Clone)]
pub struct Limits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

/// Longest pause after a failed `accept` (out of file descriptors, …):
/// the loop backs off rather than spinning, and keeps serving.
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// Serve `router` on `listener` until `stop` resolves, then drain.
pub async fn serve<F>(
    listener: TcpListener,
    router: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: Limits,
    stop: F,
) where
    F: Future<Output = ()> + Send,
{
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let closing = CancellationToken::new();
    let connections = TaskTracker::new();
    let mut backoff = Duration::from_millis(5);
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut stop => break,
        };
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!("the API cannot accept a connection: {e}; retrying in {backoff:?}");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_ACCEPT_BACKOFF);
                    continue;
                }
            },
            () = &mut stop => break,
        };
        backoff = Duration::from_millis(5);
        let (router, acceptor, limits, closing) = (
            router.clone(),
            acceptor.clone(),
            limits.clone(),
            closing.clone(),
        );
        connections.spawn(async move {
            connection(tcp, peer, router, acceptor, &limits, closing).await;
            drop(permit);
        });
    }
    drop(listener);
    closing.cancel();
    connections.close();
    connections.wait().await;
}

async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    router: Router,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    limits: &Limits,
    closing: CancellationToken,
) {
    let _ = tcp.set_nodelay(true);
    let activity = Activity::default();
    let io = Watched {
        inner: tcp,
        activity: activity.clone(),
    };
    match acceptor {
        None => http(io, peer, router, limits, activity, closing).await,
        Some(acceptor) => {
            let tls = match tokio::time::timeout(limits.header_timeout, acceptor.accept(io)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, "API TLS handshake failed: {e}");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "API TLS handshake not done within the header timeout; closed");
                    return;
                }
            };
            http(tls, peer, router, limits, activity, closing).await;
        }
    }
}

/// HTTP/1.1 or HTTP/2 on one connection until it ends, goes idle, or the
/// service shuts down (then the request in flight finishes first).
async fn http<I>(
    io: I,
    peer: SocketAddr,
    router: Router,
    limits: &Limits,
    activity: Activity,
    closing: CancellationToken,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        let mut router = router.clone();
        async move { tower_service::Service::call(&mut router, req).await }
    });
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder.http2().timer(TokioTimer::new());
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    let mut asked_to_close = false;
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(%peer, "API connection ended: {e}");
                }
                return;
            }
            () = closing.cancelled(), if !asked_to_close => {
                conn.as_mut().graceful_shutdown();
                asked_to_close = true;
            }
            () = activity.idle_for(limits.idle_timeout) => {
                tracing::debug!(%peer, "API connection idle for {:?}; closed", limits.idle_timeout);
                return;
            }
        }
    }
}

/// When bytes last moved on a connection, either way.
#[derive(Clone)]
struct Activity {
    since: Instant,
    /// Milliseconds after `since`.
    last: Arc<AtomicU64>,
}

impl Default for Activity {
    fn default() -> Self {
        Activity {
            since: Instant::now(),
            last: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl Activity {
    fn touch(&self) {
        let ms = u64::try_from(self.since.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.fetch_max(ms, Ordering::Relaxed);
    }

    /// Resolves once nothing has moved for `idle`.
    async fn idle_for(&self, idle: Duration) {
        loop {
            let last = self.since + Duration::from_millis(self.last.load(Ordering::Relaxed));
            let deadline = last + idle;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

/// A socket that records when bytes move.
struct Watched {
    inner: TcpStream,
    activity: Activity,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
