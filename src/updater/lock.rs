//! One updating fwfleet per state directory.
//!
//! Resume treats every step the journal shows in flight as left behind by a
//! process that stopped. That is only true when no other process is updating
//! from the same store at the same moment: an `apply` started while `serve`
//! runs would otherwise "resume" (follow, decide, retry) the daemon's live
//! steps. The lock is an advisory `flock` on `fwfleet.lock` in the state
//! directory, released by the kernel when the process dies, so a SIGKILL
//! never leaves a stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Held for as long as this process may start or resume updates.
#[derive(Debug)]
pub struct UpdateLock {
    _file: File,
    path: PathBuf,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another fwfleet (pid {holder}) is updating with state directory {}; wait for it to finish, or stop it (a daemon takes runs through POST /api/v1/runs)", dir.display())]
    Held { dir: PathBuf, holder: String },
    #[error("cannot lock {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl UpdateLock {
    /// Take the lock of `state_dir`, or say which process holds it.
    pub fn acquire(state_dir: &Path) -> Result<UpdateLock, LockError> {
        let path = state_dir.join("fwfleet.lock");
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(state_dir).map_err(io)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(LockError::Held {
                    dir: state_dir.to_path_buf(),
                    holder: if holder.is_empty() {
                        "unknown".into()
                    } else {
                        holder.to_string()
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        // The holder's pid, for the message another process prints.
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        Ok(UpdateLock { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Give the lock up now rather than when the last owner drops it. The
    /// daemon's lock lives in state shared with connection tasks, whose
    /// last references can outlive `serve` by a moment; a service that has
    /// returned must already let the next process in.
    pub fn release(&self) {
        if let Err(e) = self._file.unlock() {
            tracing::warn!(path = %self.path.display(), error = %e, "could not release the update lock");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_pid_and_a_drop_frees_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = UpdateLock::acquire(dir.path()).unwrap();
        let err = UpdateLock::acquire(dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(&std::process::id().to_string()),
            "names the holder: {text}"
        );
        assert!(text.contains(&dir.path().display().to_string()), "{text}");
        drop(first);
        UpdateLock::acquire(dir.path()).expect("free again after drop");
    }
}
