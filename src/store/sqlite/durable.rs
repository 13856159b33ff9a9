//! Group commit: one fsync of the WAL makes the commits of many writers durable.
//!
//! In WAL mode, SQLite's `synchronous=FULL` differs from `NORMAL` in one thing:
//! after a commit has appended its frames to the `-wal` file, FULL fsyncs that
//! file before the commit returns (SQLite's `wal.c`; the sector padding it adds
//! on devices without powersafe overwrite does not apply to the unix default,
//! which assumes powersafe overwrite). So every write commits with `NORMAL`,
//! under the connection lock, and a write that must survive a power cut then
//! waits here, *outside* that lock, until an fsync that started after its commit
//! has finished. Writers that commit while an fsync runs are covered by the next
//! one, which one of them starts for all of them: with a few hundred hosts
//! journaling at once, a handful of fsyncs cover them all instead of one each,
//! and readers and non-synced writers never queue behind the disk.
//!
//! The fsync goes to the WAL file through a handle of our own: `fsync(2)`
//! flushes the file, whichever descriptor wrote it. The handle is reopened
//! when the path names another file than before (a new WAL after the last
//! connection of another process closed), and the directory is fsynced each
//! time a handle is opened, as SQLite does when it creates a WAL. With no WAL
//! file at all (everything was checkpointed into the database, whose
//! checkpoint syncs it), the database file is fsynced instead.
//!
//! A failed fsync is final for this `Store`: the kernel may already have
//! dropped the dirty pages it could not write (and reports that once), so a
//! later fsync that succeeds proves nothing. Every synced write from then on
//! fails with [`StoreError::Sync`](super::StoreError::Sync); the fix is to look
//! at the disk and restart fwfleet, which re-reads what really is on disk.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Where a store's commits stand, and the one fsync in progress.
#[derive(Debug)]
pub(super) struct GroupSync {
    wal: PathBuf,
    db: PathBuf,
    dir: PathBuf,
    /// Commits made through this store, numbered in commit order (taken under
    /// the connection lock, right after the commit).
    commits: AtomicU64,
    state: Mutex<State>,
    synced_cv: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// Every commit numbered up to here is on disk.
    synced: u64,
    /// An fsync is running (its caller has the handle).
    syncing: bool,
    wal: Option<Handle>,
    /// The first fsync failure, kept for every later synced write.
    failed: Option<(io::ErrorKind, String)>,
    /// fsyncs done, for tests and logs.
    fsyncs: u64,
    #[cfg(test)]
    fail_next: bool,
    /// The next fsync waits for a message on this first.
    #[cfg(test)]
    gate: Option<std::sync::mpsc::Receiver<()>>,
}

/// An open WAL file and which file it is.
#[derive(Debug)]
struct Handle {
    file: File,
    id: FileId,
}

impl GroupSync {
    pub(super) fn new(db: &Path) -> GroupSync {
        let mut wal = db.as_os_str().to_owned();
        wal.push("-wal");
        GroupSync {
            wal: PathBuf::from(wal),
            db: db.to_path_buf(),
            dir: db
                .parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
            commits: AtomicU64::new(0),
            state: Mutex::new(State::default()),
            synced_cv: Condvar::new(),
        }
    }

    /// Number a commit that just happened. Call it under the connection lock,
    /// after the commit returned, so that numbers follow commit order.
    pub(super) fn committed(&self) -> u64 {
        let ticket = self.commits.fetch_add(1, Ordering::SeqCst) + 1;
        #[cfg(test)]
        LAST_TICKET.with(|t| t.set(ticket));
        ticket
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Block until commit number `ticket` is on disk: either an fsync that
    /// started after it finishes, or this caller runs one for everyone waiting.
    pub(super) fn wait_durable(&self, ticket: u64) -> io::Result<()> {
        let mut st = self.lock();
        loop {
            if let Some((kind, msg)) = &st.failed {
                return Err(io::Error::new(*kind, msg.clone()));
            }
            if st.synced >= ticket {
                return Ok(());
            }
            if st.syncing {
                st = self
                    .synced_cv
                    .wait(st)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            // Lead: cover every commit made so far, including ours.
            st.syncing = true;
            let target = self.commits.load(Ordering::SeqCst);
            let mut wal = st.wal.take();
            #[cfg(test)]
            let (inject, gate) = (std::mem::take(&mut st.fail_next), st.gate.take());
            #[cfg(not(test))]
            let inject = false;
            drop(st);
            #[cfg(test)]
            if let Some(gate) = gate {
                let _ = gate.recv();
            }
            let result = if inject {
                Err(io::Error::other("injected fsync failure"))
            } else {
                self.sync(&mut wal)
            };
            st = self.lock();
            st.syncing = false;
            st.wal = wal;
            st.fsyncs += 1;
            match result {
                Ok(()) => st.synced = st.synced.max(target),
                Err(e) => {
                    tracing::error!(wal = %self.wal.display(), error = %e,
                        "fsync of the journal failed; no further step can be recorded durably");
                    st.failed = Some((e.kind(), e.to_string()));
                }
            }
            self.synced_cv.notify_all();
        }
    }

    /// One fsync of the WAL (or, without one, of the database file).
    fn sync(&self, wal: &mut Option<Handle>) -> io::Result<()> {
        let current = match std::fs::metadata(&self.wal) {
            Ok(m) => FileId::of(&m),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                *wal = None;
                return File::open(&self.db)?.sync_data();
            }
            Err(e) => return Err(e),
        };
        if wal.as_ref().is_none_or(|h| h.id != current) {
            // Write access: some systems refuse to fsync a read-only descriptor.
            // Nothing is ever written through it.
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&self.wal)?;
            let id = FileId::of(&file.metadata()?);
            sync_dir(&self.dir)?;
            *wal = Some(Handle { file, id });
        }
        match wal {
            Some(h) => h.file.sync_data(),
            None => Ok(()),
        }
    }

    /// Every commit numbered up to this one is on disk.
    #[cfg(test)]
    pub(super) fn synced(&self) -> u64 {
        self.lock().synced
    }

    /// fsyncs run so far.
    #[cfg(test)]
    pub(super) fn fsyncs(&self) -> u64 {
        self.lock().fsyncs
    }

    /// Whether an fsync is running (or held).
    #[cfg(test)]
    pub(super) fn syncing(&self) -> bool {
        self.lock().syncing
    }

    /// Commits numbered so far.
    #[cfg(test)]
    pub(super) fn commits(&self) -> u64 {
        self.commits.load(Ordering::SeqCst)
    }

    /// Hold the next fsync until `release` is sent to (or dropped).
    #[cfg(test)]
    pub(super) fn hold_next_sync(&self) -> std::sync::mpsc::Sender<()> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.lock().gate = Some(rx);
        tx
    }

    /// Make the next fsync fail, as a dying disk would.
    #[cfg(test)]
    pub(super) fn fail_next_sync(&self) {
        self.lock().fail_next = true;
    }
}

#[cfg(test)]
thread_local! {
    static LAST_TICKET: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The number of this thread's last commit, for tests to check that a synced
/// write returned only once an fsync covered it.
#[cfg(test)]
pub(super) fn last_ticket() -> u64 {
    LAST_TICKET.with(std::cell::Cell::get)
}

/// Which file a path or handle is (device and inode on unix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId(u64, u64);

impl FileId {
    #[cfg(unix)]
    fn of(m: &std::fs::Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId(m.dev(), m.ino())
    }

    /// Without inode numbers every fsync reopens the file: slower, never wrong.
    #[cfg(not(unix))]
    fn of(_: &std::fs::Metadata) -> FileId {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        FileId(0, NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// Make a new file's directory entry durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_: &Path) -> io::Result<()> {
    Ok(())
}
