//! What an image's bytes hashed to, last time they were read, keyed by the
//! file's metadata (size, modification and change times, inode).
//!
//! `plan` and the service's fleet view mark images that are missing or
//! corrupt (`image-missing`, `image-corrupt`), and they run often: hashing
//! every planned image each time would read gigabytes. A stamp lets a file
//! whose metadata has not changed since it was hashed pass without reading
//! it. A rename-over changes the inode, and a write, truncation or `chmod`
//! the change time, so each invalidates the stamp (up to the kernel's clock
//! tick: a same-size write within a few milliseconds of the hash may not
//! show). Bytes that rot without any metadata change
//! are not seen here: that is what the run-start check
//! (`updater::preflight`) is for, which always reads every planned image in
//! full and refreshes the stamps as it goes.
//!
//! The stamps live in the state directory (`image-stamps.json`), written
//! atomically; losing the file only costs a re-hash. It holds paths, sizes
//! and digests, never anything secret.

use super::files::write_atomic;
use crate::digest::Digest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::Metadata;
use std::io;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The stamps file's name inside the state directory.
pub const STAMPS_FILE: &str = "image-stamps.json";

/// The metadata a stamp was taken with; any difference means "hash again".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Seen {
    size: u64,
    mtime_ns: i64,
    ctime_ns: i64,
    ino: u64,
}

impl Seen {
    fn of(m: &Metadata) -> Seen {
        Seen {
            size: m.len(),
            mtime_ns: m
                .mtime()
                .saturating_mul(1_000_000_000)
                .saturating_add(m.mtime_nsec()),
            ctime_ns: m
                .ctime()
                .saturating_mul(1_000_000_000)
                .saturating_add(m.ctime_nsec()),
            ino: m.ino(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stamp {
    #[serde(flatten)]
    seen: Seen,
    sha256: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    version: u32,
    images: BTreeMap<PathBuf, Stamp>,
}

/// The stamps of one state directory (or none: an in-memory set).
#[derive(Debug, Default)]
pub struct Stamps {
    path: Option<PathBuf>,
    inner: Mutex<(File, bool)>,
}

impl Stamps {
    /// The stamps kept in `state_dir`; a missing or unreadable file is an
    /// empty set (every image is hashed once more).
    pub fn open(state_dir: &Path) -> Stamps {
        let path = state_dir.join(STAMPS_FILE);
        let file = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<File>(&b).ok())
            .filter(|f| f.version == 1)
            .unwrap_or_default();
        Stamps {
            path: Some(path),
            inner: Mutex::new((file, false)),
        }
    }

    /// A set that is never saved (tests, one-off checks).
    pub fn in_memory() -> Stamps {
        Stamps::default()
    }

    /// The digest stamped for `path` if its metadata `m` is unchanged since.
    pub(crate) fn known(&self, path: &Path, m: &Metadata) -> Option<String> {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.0.images
            .get(path)
            .filter(|s| s.seen == Seen::of(m))
            .map(|s| s.sha256.clone())
    }

    /// Records that `path`, with metadata `m` taken before it was read,
    /// hashed to `d`. A file that changed while it was read keeps no stamp.
    pub(crate) fn record(&self, path: &Path, m: &Metadata, d: &Digest) {
        let after = std::fs::metadata(path).ok();
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (file, dirty) = &mut *g;
        match after {
            Some(a) if Seen::of(&a) == Seen::of(m) && a.len() == d.size => {
                file.images.insert(
                    path.to_path_buf(),
                    Stamp {
                        seen: Seen::of(m),
                        sha256: d.sha256.clone(),
                    },
                );
            }
            _ => {
                file.images.remove(path);
            }
        }
        *dirty = true;
    }

    /// Forgets `path` (it was missing or unreadable).
    pub(crate) fn forget(&self, path: &Path) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if g.0.images.remove(path).is_some() {
            g.1 = true;
        }
    }

    /// Writes the stamps back if anything changed. A failure to write is
    /// only logged: the stamps are a cache.
    pub fn save(&self) {
        let Some(path) = &self.path else { return };
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if !g.1 {
            return;
        }
        g.0.version = 1;
        let result = serde_json::to_vec_pretty(&g.0)
            .map_err(io::Error::other)
            .and_then(|bytes| write_atomic(path, &bytes));
        match result {
            Ok(()) => g.1 = false,
            Err(e) => tracing::warn!(
                "cannot save the image stamps {}: {e}; the next plan hashes its images again",
                path.display()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_holds_until_the_file_is_written_and_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("a.bin");
        std::fs::write(&img, b"firmware").unwrap();
        let m = std::fs::metadata(&img).unwrap();
        let d = crate::digest::hash_file(&img).unwrap();
        let s = Stamps::open(dir.path());
        assert_eq!(s.known(&img, &m), None);
        s.record(&img, &m, &d);
        assert_eq!(s.known(&img, &m), Some(d.sha256.clone()));
        s.save();
        let again = Stamps::open(dir.path());
        assert_eq!(again.known(&img, &m), Some(d.sha256.clone()));
        // Same size, other bytes, put in place the way an operator copies
        // (a new file renamed over the old one): the stamp no longer holds.
        let tmp = dir.path().join("a.bin.new");
        std::fs::write(&tmp, b"firmwarE").unwrap();
        std::fs::rename(&tmp, &img).unwrap();
        let m2 = std::fs::metadata(&img).unwrap();
        assert_eq!(again.known(&img, &m2), None);
        again.forget(&img);
        assert_eq!(again.known(&img, &m), None);
    }

    #[test]
    fn a_damaged_stamps_file_is_an_empty_set() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(STAMPS_FILE), b"{not json").unwrap();
        let img = dir.path().join("a.bin");
        std::fs::write(&img, b"x").unwrap();
        let m = std::fs::metadata(&img).unwrap();
        assert_eq!(Stamps::open(dir.path()).known(&img, &m), None);
    }
}
