//! The token → image table and the audit log, shared by the handlers.
//!
//! The table is the server's only way from a URL to a file: a token that is
//! not here is a 404, whatever the rest of the path says. std mutexes are
//! right here: they are held for a map lookup or a push, never across an
//! `.await`.

use chrono::{DateTime, Utc};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

/// One published image.
#[derive(Debug)]
pub(crate) struct Image {
    pub path: PathBuf,
    /// The URL's last segment; cosmetic, but a request must repeat it exactly.
    pub file_name: String,
    /// Lowercase hex, as in the manifest.
    pub sha256: String,
    pub size: u64,
    pub label: String,
    /// Set once the file is found changed: from then on 410, even if the
    /// file is put back, because the publisher's promise was broken once.
    pub bad: AtomicBool,
    pub fetches: AtomicU64,
    /// (size, mtime) of the file when it last hashed right. A tokio mutex:
    /// it is held across the hashing, so concurrent first requests hash once.
    pub verified: tokio::sync::Mutex<Option<Stamp>>,
}

/// What a verified file looked like; any change means hashing again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub len: u64,
    pub modified: Option<SystemTime>,
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub time: DateTime<Utc>,
    /// `None` only when the router is driven without a socket.
    pub peer: Option<IpAddr>,
    pub method: String,
    /// The published image's label; `None` for unknown tokens.
    pub label: Option<String>,
    /// The first 8 hex digits of the token: enough to correlate, too little
    /// to fetch with, so the audit can be shared.
    pub token_prefix: Option<String>,
    /// The byte range served (inclusive) when the answer was 206.
    pub range: Option<(u64, u64)>,
    pub bytes_sent: u64,
    pub status: u16,
    /// The whole image went out (a 200 GET whose body was sent to the end).
    pub full_fetch: bool,
}

/// Shared state of one server.
#[derive(Debug)]
pub(crate) struct Registry {
    images: Mutex<HashMap<String, Arc<Image>>>,
    audit: Mutex<VecDeque<AuditEntry>>,
    audit_capacity: usize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicked handler leaves consistent data (single inserts and pushes).
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Registry {
    pub fn new(audit_capacity: usize) -> Registry {
        Registry {
            images: Mutex::default(),
            audit: Mutex::default(),
            audit_capacity: audit_capacity.max(1),
        }
    }

    pub fn insert(&self, token: String, image: Image) {
        lock(&self.images).insert(token, Arc::new(image));
    }

    pub fn remove(&self, token: &str) -> bool {
        lock(&self.images).remove(token).is_some()
    }

    pub fn get(&self, token: &str) -> Option<Arc<Image>> {
        lock(&self.images).get(token).cloned()
    }

    pub fn record(&self, entry: AuditEntry) {
        tracing::info!(
            peer = ?entry.peer,
            method = %entry.method,
            label = entry.label.as_deref().unwrap_or("-"),
            token = entry.token_prefix.as_deref().unwrap_or("-"),
            range = ?entry.range,
            bytes = entry.bytes_sent,
            status = entry.status,
            full = entry.full_fetch,
            "image request"
        );
        let mut audit = lock(&self.audit);
        if audit.len() == self.audit_capacity {
            audit.pop_front();
        }
        audit.push_back(entry);
    }

    pub fn audit(&self) -> Vec<AuditEntry> {
        lock(&self.audit).iter().cloned().collect()
    }
}

impl Image {
    pub fn is_bad(&self) -> bool {
        self.bad.load(Ordering::SeqCst)
    }

    pub fn mark_bad(&self) {
        self.bad.store(true, Ordering::SeqCst);
    }
}
