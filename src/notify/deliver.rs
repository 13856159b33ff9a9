//! Delivery to one endpoint: a bounded queue the rollout pushes into
//! without waiting, and one worker task that empties it, one event at a
//! time (in order), each with a per-request timeout and retries with
//! exponential backoff.
//!
//! A full queue drops its *oldest* event: the newest says the most about
//! where the run stands (`run.finished` comes last), and a receiver that
//! was away learns the outcome rather than a stale `phase.started`.

use super::endpoint::EndpointConfig;
use super::sign;
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

/// First wait before a retry; doubled each attempt up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The wait after failed attempt `attempt` (1-based): 1 s, 2 s, 4 s, …,
/// at most [`MAX_BACKOFF`].
pub fn backoff(attempt: u32) -> Duration {
    let factor = 1u32 << attempt.saturating_sub(1).min(16);
    FIRST_BACKOFF.saturating_mul(factor).min(MAX_BACKOFF)
}

/// An event ready to send: serialized once, the same bytes on every attempt.
#[derive(Debug, Clone)]
pub(super) struct Delivery {
    pub(super) event: &'static str,
    pub(super) id: String,
    pub(super) body: Bytes,
}

/// What one endpoint counted since the process started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointStats {
    pub endpoint: String,
    pub delivered: u64,
    /// Events given up on after every attempt (or refused by the endpoint).
    pub failed: u64,
    /// Events dropped from a full queue without an attempt.
    pub dropped: u64,
}

/// The bounded queue, drop-oldest.
#[derive(Debug)]
pub(super) struct Queue {
    items: Mutex<VecDeque<Delivery>>,
    cap: usize,
}

impl Queue {
    pub(super) fn new(cap: usize) -> Queue {
        Queue {
            items: Mutex::new(VecDeque::with_capacity(cap.min(64))),
            cap: cap.max(1),
        }
    }

    /// Add `d`; the oldest event when the queue was full.
    pub(super) fn push(&self, d: Delivery) -> Option<Delivery> {
        let mut q = self.items.lock().unwrap_or_else(|e| e.into_inner());
        let dropped = if q.len() >= self.cap {
            q.pop_front()
        } else {
            None
        };
        q.push_back(d);
        dropped
    }

    pub(super) fn pop(&self) -> Option<Delivery> {
        self.items
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
    }
}

/// One endpoint: its queue, its counters, its client.
#[derive(Debug)]
pub(super) struct Endpoint {
    pub(super) cfg: EndpointConfig,
    client: reqwest::Client,
    queue: Queue,
    wake: Notify,
    /// Events queued or being sent; `flush` waits for 0.
    pending: watch::Sender<usize>,
    delivered: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
}

/// Why an endpoint's client could not be built (a bad `ca_file`).
#[derive(Debug, thiserror::Error)]
#[error("notify endpoint {endpoint}: {detail}")]
pub struct SetupError {
    pub endpoint: String,
    pub detail: String,
}

impl Endpoint {
    pub(super) fn new(cfg: EndpointConfig) -> Result<Endpoint, SetupError> {
        let setup = |detail: String| SetupError {
            endpoint: cfg.name.clone(),
            detail,
        };
        // The project's TLS setup: WebPKI roots, or only the `ca_file`, with
        // a verifier that names the certificate it refuses. Never insecure.
        let policy = crate::redfish::tls::TlsPolicy::Verify {
            ca_file: cfg.ca_file.clone(),
        };
        let client = crate::redfish::tls::client_builder(&policy)
            .map_err(|e| setup(format!("ca_file: {e}")))?
            .connect_timeout(cfg.timeout)
            .timeout(cfg.timeout)
            // A redirect would carry the signed event somewhere the
            // operator did not name: a 3xx is a failed delivery.
            .redirect(reqwest::redirect::Policy::none())
            // Sent directly: the proxy variables of the environment are for
            // other programs (and would make tests depend on them).
            .no_proxy()
            .pool_max_idle_per_host(1)
            .user_agent(concat!("fwfleet/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| setup(format!("cannot build the HTTP client: {e}")))?;
        Ok(Endpoint {
            queue: Queue::new(cfg.queue_size),
            cfg,
            client,
            wake: Notify::new(),
            pending: watch::Sender::new(0),
            delivered: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        })
    }

    /// Queue `d` without waiting (the rollout's side).
    pub(super) fn enqueue(&self, d: Delivery) {
        self.pending.send_modify(|n| *n += 1);
        if let Some(old) = self.queue.push(d) {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            self.pending.send_modify(|n| *n = n.saturating_sub(1));
            // The first drop, then one line per 100: a dead endpoint under a
            // 1,000-host rollout must not flood the log.
            if n == 1 || n.is_multiple_of(100) {
                tracing::warn!(
                    endpoint = %self.cfg.name,
                    host = %self.cfg.host(),
                    "notification queue full ({} events): dropped the oldest ({} {}); {n} dropped so far",
                    self.cfg.queue_size,
                    old.event,
                    old.id
                );
            }
        }
        self.wake.notify_one();
    }

    pub(super) fn stats(&self) -> EndpointStats {
        EndpointStats {
            endpoint: self.cfg.name.clone(),
            delivered: self.delivered.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }

    pub(super) fn pending(&self) -> watch::Receiver<usize> {
        self.pending.subscribe()
    }

    /// The worker: until `stop`, send what the queue holds, in order.
    pub(super) async fn work(self: Arc<Self>, stop: CancellationToken) {
        loop {
            let Some(d) = self.queue.pop() else {
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = stop.cancelled() => return,
                }
                continue;
            };
            let sent = tokio::select! {
                r = self.deliver(&d) => r,
                _ = stop.cancelled() => return,
            };
            match sent {
                Ok(()) => {
                    self.delivered.fetch_add(1, Ordering::Relaxed);
                }
                Err(why) => {
                    self.failed.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        endpoint = %self.cfg.name,
                        host = %self.cfg.host(),
                        event = d.event,
                        "notification not delivered: {why}"
                    );
                }
            }
            self.pending.send_modify(|n| *n = n.saturating_sub(1));
        }
    }

    /// Every attempt of one event; the last failure's reason.
    async fn deliver(&self, d: &Delivery) -> Result<(), String> {
        let attempts = self.cfg.attempts.max(1);
        let mut why = String::new();
        for attempt in 1..=attempts {
            match self.attempt(d).await {
                Ok(()) => return Ok(()),
                Err(Failure::Permanent(w)) => {
                    return Err(format!("{w} (attempt {attempt}; not retried)"))
                }
                Err(Failure::Retry(w)) => why = w,
            }
            if attempt < attempts {
                tracing::debug!(
                    endpoint = %self.cfg.name,
                    event = d.event,
                    "notification attempt {attempt}/{attempts} failed: {why}; retrying"
                );
                tokio::time::sleep(backoff(attempt)).await;
            }
        }
        Err(format!("{why} ({attempts} attempt(s))"))
    }

    async fn attempt(&self, d: &Delivery) -> Result<(), Failure> {
        // Signed per attempt: a retry carries a fresh timestamp.
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |t| t.as_secs());
        let sig = sign::sign(self.cfg.secret.expose().as_bytes(), ts, &d.body);
        let resp = self
            .client
            .post(self.cfg.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(sign::EVENT_HEADER, d.event)
            .header(sign::DELIVERY_HEADER, &d.id)
            .header(sign::TIMESTAMP_HEADER, ts.to_string())
            .header(sign::SIGNATURE_HEADER, sig)
            .body(d.body.clone())
            .send()
            .await
            .map_err(|e| Failure::Retry(self.describe(&e)))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let w = format!("the endpoint answered {status}");
        // 408 and 429 say "later"; 5xx may heal; any other 4xx (a bad
        // signature, a wrong path) or a redirect will not.
        if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
            Err(Failure::Retry(w))
        } else {
            Err(Failure::Permanent(w))
        }
    }

    /// A transport error without the URL (its path may hold a token).
    fn describe(&self, e: &reqwest::Error) -> String {
        if e.is_timeout() {
            return format!(
                "no answer within {}s (timeout_secs)",
                self.cfg.timeout.as_secs_f64()
            );
        }
        let what = if e.is_connect() {
            "cannot connect"
        } else {
            "the request failed"
        };
        // reqwest's own text names the URL: only the causes below it.
        let mut root = None;
        let mut next = std::error::Error::source(e);
        while let Some(s) = next {
            root = Some(s);
            next = s.source();
        }
        match root {
            Some(r) => format!("{what}: {r}"),
            None => what.to_string(),
        }
    }
}

enum Failure {
    Retry(String),
    Permanent(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_and_stays_bounded() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(2), Duration::from_secs(2));
        assert_eq!(backoff(3), Duration::from_secs(4));
        assert_eq!(backoff(5), Duration::from_secs(16));
        assert_eq!(backoff(6), MAX_BACKOFF);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
        assert_eq!(backoff(0), FIRST_BACKOFF);
        // The longest an event can spend retrying at the largest allowed
        // `attempts`: the waits stay bounded, whatever the endpoint does.
        let total: Duration = (1..super::super::MAX_ATTEMPTS).map(backoff).sum();
        assert!(
            total <= MAX_BACKOFF * super::super::MAX_ATTEMPTS,
            "{total:?}"
        );
    }

    fn d(n: usize) -> Delivery {
        Delivery {
            event: "run.created",
            id: n.to_string(),
            body: Bytes::new(),
        }
    }

    #[test]
    fn a_full_queue_drops_its_oldest_event() {
        let q = Queue::new(2);
        assert!(q.push(d(1)).is_none());
        assert!(q.push(d(2)).is_none());
        assert_eq!(q.push(d(3)).map(|x| x.id), Some("1".into()));
        assert_eq!(q.pop().map(|x| x.id), Some("2".into()));
        assert_eq!(q.pop().map(|x| x.id), Some("3".into()));
        assert!(q.pop().is_none());
    }
}
