//! [`RepoError`] (an operation failed) and [`VerifyProblem`] (an image on disk
//! does not match its manifest entry).
//!
//! Every message names the path it is about and says what to do next, because
//! the operator reading it is usually at a terminal with the repository open.
//! Verify problems are values, not errors: one corrupt image must not hide the
//! state of the other hundred.

use serde::Serialize;
use std::fmt;
use std::io;
use std::path::PathBuf;

/// A bad manifest: the file, the line where it can be told, the key
/// (`images[2].kind`) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ManifestError {
    pub path: PathBuf,
    /// 1-based line of the offending key, or of its `[[images]]` entry.
    pub line: Option<usize>,
    pub key: Option<String>,
    /// What is wrong, possibly followed by a hint on a second line.
    pub message: String,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "manifest {}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ", key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Why a repository operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("cannot {action} {}: {source}\n  check that the path exists and that fwfleet may read and write it", path.display())]
    Io {
        /// What fwfleet was doing, as a verb phrase: "read", "create", …
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("no image repository at {}: {} does not exist\n  check the repository path, or add an image there to create the repository", dir.display(), manifest.display())]
    NoManifest { dir: PathBuf, manifest: PathBuf },

    #[error(transparent)]
    Manifest(#[from] ManifestError),

    /// An [`AddSpec`](super::AddSpec) field is unusable; `key` uses the
    /// manifest's key names so the message reads the same either way.
    #[error("cannot add {}: `{key}`: {message}", src.display())]
    InvalidSpec {
        src: PathBuf,
        key: String,
        message: String,
    },

    #[error("{} is not a regular file\n  give the path of a firmware image file", path.display())]
    NotAFile { path: PathBuf },

    #[error("{} is already in the repository as entry `{existing}` (sha256 {sha256})\n  nothing to do; to change its settings, remove `{existing}` and add the image again", src.display())]
    AlreadyPresent {
        src: PathBuf,
        existing: String,
        sha256: String,
    },

    #[error("{} already exists in the repository with different content\n  rename the new image before adding it, or remove the existing `{file}` first", path.display())]
    NameTaken { path: PathBuf, file: String },

    #[error("no entry `{selector}` in the repository {}\n  list the repository to see the file names it holds", dir.display())]
    NoSuchEntry { selector: String, dir: PathBuf },

    #[error("`{selector}` names several entries: {}\n  give the full `file` path of the one to remove", matches.join(", "))]
    Ambiguous {
        selector: String,
        matches: Vec<String>,
    },

    /// The file is not what its vendor published: a corrupt download or a
    /// replaced file. Nothing was added.
    #[error("{} does not match the vendor's {kind}: expected {expected}, got {actual}\n  the file is corrupt or not the vendor's; download it again from the vendor or your mirror, nothing was added", src.display())]
    VendorHashMismatch {
        src: PathBuf,
        kind: super::HashKind,
        expected: String,
        actual: String,
    },

    #[error("cannot edit `{file}`: `{key}`: {message}\n  nothing was changed")]
    InvalidEdit {
        file: String,
        key: String,
        message: String,
    },

    #[error("cannot write the manifest {}: {message}\n  this is a bug in fwfleet; please report it with the manifest", path.display())]
    Render { path: PathBuf, message: String },
}

impl RepoError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        RepoError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// One image whose file does not match its manifest entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyProblem {
    /// The entry's `file`, as written in the manifest.
    pub file: String,
    /// Where the image should be on disk.
    pub path: PathBuf,
    #[serde(flatten)]
    pub kind: ProblemKind,
}

/// What is wrong with an image file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum ProblemKind {
    /// The file is not there.
    Missing,
    /// The file is there but could not be read (permissions, I/O error).
    Unreadable { error: String },
    /// The file has another length than the manifest says; its hash is not
    /// computed, since it cannot match.
    SizeMismatch { expected: u64, actual: u64 },
    /// Same length, different bytes.
    HashMismatch { expected: String, actual: String },
    /// The entry names a signature file (`signature`) that is not there.
    SignatureMissing { signature: String },
}

impl fmt::Display for VerifyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &self.kind {
            ProblemKind::Missing => write!(
                f,
                "{path}: missing\n  copy the image back, or remove the entry `{}`",
                self.file
            ),
            ProblemKind::Unreadable { error } => write!(
                f,
                "{path}: cannot read: {error}\n  check the file's permissions and the disk"
            ),
            ProblemKind::SizeMismatch { expected, actual } => write!(
                f,
                "{path}: size {actual} bytes, expected {expected}\n  the file was truncated or replaced; copy the right image back, or remove the entry `{}` and add it again",
                self.file
            ),
            ProblemKind::SignatureMissing { signature } => write!(
                f,
                "{path}: signature `{signature}` of `{}` is missing\n  copy the signature file back, or remove the entry and add the image with its signature again",
                self.file
            ),
            ProblemKind::HashMismatch { expected, actual } => write!(
                f,
                "{path}: sha256 {actual}, expected {expected}\n  the file is corrupt or was replaced; copy the right image back, or remove the entry `{}` and add it again",
                self.file
            ),
        }
    }
}
