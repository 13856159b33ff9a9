//! Notifications: signed JSON events about runs, POSTed to the operator's
//! `[[notify]]` webhooks (docs/CONFIG.md, docs/API.md "Webhook events").
//!
//! The rollout never waits for a webhook: [`Notifier::emit`] serializes the
//! event and pushes it into each endpoint's bounded queue, and returns. A
//! worker task per endpoint delivers, retries with backoff, and counts;
//! a dead endpoint costs the rollout nothing but a dropped event in a full
//! queue. `apply` gives the workers a bounded time to finish at its end
//! ([`Notifier::flush`]); `serve` keeps them for its whole life.
//!
//! Module map:
//!
//! - `mod.rs` (this file): [`Notifier`], the handle the rollout holds.
//! - [`event`]: event names and their JSON, a stable interface.
//! - [`endpoint`]: one validated `[[notify]]` table.
//! - [`sign`]: HMAC-SHA256 over timestamp and body; the headers.
//! - [`deliver`]: the queue (drop-oldest), the worker, backoff, counters.

pub mod deliver;
pub mod endpoint;
pub mod event;
pub mod sign;

pub use deliver::{EndpointStats, SetupError};
pub use endpoint::EndpointConfig;
pub use event::{Event, EventData, EventKind, Phase};

use bytes::Bytes;
use deliver::{Delivery, Endpoint};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The largest `attempts` the config accepts.
pub const MAX_ATTEMPTS: u32 = 10;

/// How long `apply` waits at its end for events still queued.
pub const APPLY_FLUSH: Duration = Duration::from_secs(5);

/// Where a run's events go. Cheap to clone; the default sends nothing.
/// The workers stop when the last clone is dropped.
#[derive(Clone, Default)]
pub struct Notifier {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    endpoints: Vec<Arc<Endpoint>>,
    stop: CancellationToken,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl fmt::Debug for Notifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self
            .endpoints()
            .iter()
            .map(|e| e.cfg.name.as_str())
            .collect();
        f.debug_struct("Notifier")
            .field("endpoints", &names)
            .finish()
    }
}

/// What [`Notifier::flush`] left undelivered, per endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unflushed(pub Vec<(String, usize)>);

impl Unflushed {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Unflushed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(e, n)| format!("{n} to {e}")).collect();
        f.write_str(&parts.join(", "))
    }
}

impl Notifier {
    /// Start a worker per endpoint (on the current tokio runtime).
    pub fn start(endpoints: &[EndpointConfig]) -> Result<Notifier, SetupError> {
        if endpoints.is_empty() {
            return Ok(Notifier::default());
        }
        let stop = CancellationToken::new();
        let mut eps = Vec::with_capacity(endpoints.len());
        for cfg in endpoints {
            eps.push(Arc::new(Endpoint::new(cfg.clone())?));
        }
        for e in &eps {
            tokio::spawn(e.clone().work(stop.clone()));
        }
        Ok(Notifier {
            inner: Some(Arc::new(Inner {
                endpoints: eps,
                stop,
            })),
        })
    }

    fn endpoints(&self) -> &[Arc<Endpoint>] {
        match &self.inner {
            Some(i) => &i.endpoints,
            None => &[],
        }
    }

    /// Whether any endpoint is configured.
    pub fn is_enabled(&self) -> bool {
        !self.endpoints().is_empty()
    }

    /// Queue an event of run `run_id` for every endpoint that wants it.
    /// Never waits: the rollout calls this between hosts.
    pub fn emit(&self, run_id: i64, data: EventData) {
        let kind = data.kind();
        let wanted: Vec<&Arc<Endpoint>> = self
            .endpoints()
            .iter()
            .filter(|e| e.cfg.events.contains(&kind))
            .collect();
        if wanted.is_empty() {
            return;
        }
        let event = Event::new(run_id, data);
        let body = match serde_json::to_vec(&event) {
            Ok(b) => Bytes::from(b),
            Err(e) => {
                tracing::error!(
                    event = kind.as_str(),
                    "cannot serialize a notification: {e}"
                );
                return;
            }
        };
        for e in wanted {
            e.enqueue(Delivery {
                event: kind.as_str(),
                id: event.id.clone(),
                body: body.clone(),
            });
        }
    }

    /// What each endpoint counted (for `/metrics`).
    pub fn stats(&self) -> Vec<EndpointStats> {
        self.endpoints().iter().map(|e| e.stats()).collect()
    }

    /// Wait until every queued event was delivered or given up on, at most
    /// `within`; what is still queued or in flight then is left (and lost
    /// when the process ends).
    pub async fn flush(&self, within: Duration) -> Unflushed {
        let mut rxs: Vec<_> = self.endpoints().iter().map(|e| e.pending()).collect();
        // The `Ref` each wait ends with is dropped at once: it must not be
        // held across an await (it is not `Send`).
        let all = futures::future::join_all(rxs.iter_mut().map(|rx| async move {
            let _ = rx.wait_for(|n| *n == 0).await;
        }));
        let _ = tokio::time::timeout(within, all).await;
        Unflushed(
            self.endpoints()
                .iter()
                .zip(&rxs)
                .filter_map(|(e, rx)| {
                    let n = *rx.borrow();
                    (n > 0).then(|| (e.cfg.name.clone(), n))
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    /// An endpoint that takes connections and never answers, with a queue
    /// of one: emitting never waits, the overflow is dropped and counted,
    /// and a bounded flush returns with what is left.
    #[tokio::test]
    async fn emit_never_waits_and_a_full_queue_drops_and_counts() {
        let hole = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", hole.local_addr().unwrap());
        let held = tokio::spawn(async move {
            let mut socks = Vec::new();
            while let Ok((s, _)) = hole.accept().await {
                socks.push(s);
            }
        });
        let n = Notifier::start(&[EndpointConfig {
            name: "hole".into(),
            url: url::Url::parse(&url).unwrap(),
            events: EventKind::ALL.into_iter().collect(),
            secret: Secret::new("k"),
            ca_file: None,
            timeout: Duration::from_secs(300),
            attempts: 1,
            queue_size: 1,
        }])
        .unwrap();
        for _ in 0..5 {
            n.emit(
                1,
                EventData::RunHalted {
                    reason: "test".into(),
                    failed_hosts: 1,
                    failure_budget: 0,
                },
            );
        }
        let s = &n.stats()[0];
        // One may be in flight already, one waits; the rest were dropped.
        assert!((3..=4).contains(&s.dropped), "{s:?}");
        assert_eq!((s.delivered, s.failed), (0, 0));
        let left = n.flush(Duration::from_millis(50)).await;
        assert_eq!(left.0.len(), 1, "{left:?}");
        assert_eq!(left.0[0].1 as u64 + s.dropped, 5, "{left:?} {s:?}");
        assert!(format!("{n:?}").contains("hole"));
        held.abort();
    }

    #[tokio::test]
    async fn without_endpoints_nothing_is_sent_and_flush_returns_at_once() {
        let n = Notifier::start(&[]).unwrap();
        assert!(!n.is_enabled());
        n.emit(
            1,
            EventData::RunHalted {
                reason: "x".into(),
                failed_hosts: 0,
                failure_budget: 0,
            },
        );
        assert!(n.flush(Duration::from_secs(60)).await.is_empty());
    }
}
