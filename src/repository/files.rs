//! File plumbing: temp files that clean up after themselves, and atomic
//! replacement (hashing is [`crate::digest`]'s).
//!
//! Images run to hundreds of MiB and the daemon has a memory budget of tens
//! of MiB, so nothing here holds a whole file: every pass reads fixed
//! chunks ([`crate::digest::CHUNK`]). Anything that ends up under a final name is first written to a
//! temp file in the same directory and renamed, so a crash leaves either the
//! old file or the new one, never half of one.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Marks temp files as ours, so an operator who finds one after a crash knows
/// it is safe to delete.
pub(crate) const TEMP_MARKER: &str = ".fwfleet-tmp-";

/// A file under a temporary name that is deleted on drop unless persisted.
#[derive(Debug)]
pub(crate) struct TempFile {
    path: PathBuf,
    file: Option<File>,
}

/// Distinguishes temp files of concurrent operations within one process; the
/// pid distinguishes processes.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl TempFile {
    /// Creates `.<stem>.fwfleet-tmp-<pid>-<n>` in `dir`. Same directory as the
    /// target, because a rename across file systems is a copy, not atomic.
    pub(crate) fn new_in(dir: &Path, stem: &str) -> io::Result<TempFile> {
        loop {
            let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!(".{stem}{TEMP_MARKER}{}-{n}", std::process::id()));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    return Ok(TempFile {
                        path,
                        file: Some(file),
                    })
                }
                // Left over from a crashed process that had our pid: next number.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn file(&mut self) -> &mut File {
        self.file
            .as_mut()
            .expect("the file is only taken by persist, which consumes self")
    }

    /// Flushes to disk and renames onto `target`, replacing it.
    pub(crate) fn persist(mut self, target: &Path) -> io::Result<()> {
        let file = self
            .file
            .take()
            .expect("the file is only taken by persist, which consumes self");
        // Without this a crash soon after the rename can leave a renamed but
        // empty file: the rename reaches the disk before the data.
        file.sync_all()?;
        drop(file);
        fs::rename(&self.path, target)?;
        // Renamed: nothing left for drop to delete.
        self.path = PathBuf::new();
        sync_dir(target);
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        self.file.take();
        if !self.path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Replaces `path` with `bytes` so readers see the old or the new content.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent_dir(path);
    let stem = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = TempFile::new_in(dir, &stem)?;
    tmp.file().write_all(bytes)?;
    tmp.persist(path)
}

/// Makes a rename in `path`'s directory durable. Best effort: not every
/// platform or file system can sync a directory, and the data is already safe.
fn sync_dir(path: &Path) {
    if let Ok(dir) = File::open(parent_dir(path)) {
        let _ = dir.sync_all();
    }
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}
