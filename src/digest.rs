//! SHA-256 of images, in one place: the repository hashes while it copies an
//! image in, `repo verify` and the step executor's pre-flight check hash a
//! file, the image server re-checks a published file before serving it.
//!
//! Images run to hundreds of MiB and the daemon has a memory budget of tens
//! of MiB, so nothing here holds a whole file: every pass reads fixed
//! [`CHUNK`]s. Hashes are lowercase hex, as the manifest writes them.

use sha2::{Digest as _, Sha256};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Read size for hashing and copying: large enough that syscalls are not the
/// cost, small enough to be irrelevant to the memory budget, and under
/// glibc's mmap threshold, so a hash does not map, zero and unmap a fresh
/// buffer each time.
pub const CHUNK: usize = 64 * 1024;

/// What hashing a stream found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    /// Lowercase hex.
    pub sha256: String,
    pub size: u64,
}

/// Which side of a copy failed, so the error can name the right path.
#[derive(Debug)]
pub enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

/// Hashes `src` while writing it to `dst`, one chunk at a time.
pub fn copy_hashing(src: &mut impl Read, dst: &mut impl Write) -> Result<Digest, CopyError> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut size = 0u64;
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        hasher.update(&buf[..n]);
        dst.write_all(&buf[..n]).map_err(CopyError::Write)?;
        size += n as u64;
    }
    Ok(Digest {
        sha256: hex::encode(hasher.finalize()),
        size,
    })
}

/// Hashes what `src` reads to its end.
pub fn hash_reader(src: &mut impl Read) -> io::Result<Digest> {
    copy_hashing(src, &mut io::sink()).map_err(|e| match e {
        CopyError::Read(e) | CopyError::Write(e) => e,
    })
}

/// Hashes a file.
pub fn hash_file(path: &Path) -> io::Result<Digest> {
    hash_reader(&mut File::open(path)?)
}

/// [`hash_file`] off the async threads: a large image takes seconds.
pub async fn hash_file_async(path: PathBuf) -> io::Result<Digest> {
    tokio::task::spawn_blocking(move || hash_file(&path))
        .await
        .map_err(io::Error::other)?
}
