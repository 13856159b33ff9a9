//! The local image repository: firmware images in a directory, described by
//! `manifest.toml` in the same directory.
//!
//! The manifest is the single source of truth for what an image *is* (its
//! component kind, the version it installs, its SHA-256) and what it may be
//! applied to (manufacturer and model globs, SoftwareId, a name regex, an
//! upgrade path, prerequisites). The planner asks [`Repository::candidates`]
//! which images fit a component and decides among them; the image server
//! streams [`Repository::path_of`] to BMCs after checking the hash.
//!
//! # Manifest
//!
//! ```toml
//! # One [[images]] table per image file.
//! [[images]]
//! file = "dell/BIOS_R750_2.19.1.exe"   # relative to the repository directory
//! sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
//! size = 33554432                       # bytes
//! kind = "bios"          # bios, bmc, cpld, nic, storage, drive, psu, other
//! software_id = "159"    # optional; must equal the component's when both have one
//! match = "^BIOS$"       # optional regex on the component's name, id or identity
//! manufacturers = ["Dell*"]             # globs, empty or absent = any
//! models = ["PowerEdge R750", "PowerEdge R750xa"]
//! version = "2.19.1"     # what the component reports once the image is applied
//! version_scheme = "dotted"             # optional, see `crate::version::VersionScheme`
//! min_from_version = "2.10.0"           # optional: only on top of 2.10.0 or newer
//! method = "simple-update"              # optional: simple-update, multipart, raw-push
//! apply_time = "OnReset"                # optional: Immediate, OnReset, OnStartUpdateRequest
//! allow_downgrade = false               # default false: never replaces a newer version
//! notes = "needs iDRAC 7.00 or newer"
//! software_ids = ["159"]                # optional: the devices it is for (Dell ComponentIDs)
//! pci_ids = ["14E4:165F:1028:08FF"]     # optional: devices with no SoftwareId (Dell's `0`)
//! system_ids = ["0716"]                 # optional: Dell SystemIDs (hex, as the catalog writes them)
//! criticality = "recommended"           # optional: optional, recommended, urgent
//! reboot_required = true                # optional: the vendor's word
//! disruption = "no-host-impact"         # optional: no-host-impact, host-reboot, power-cycle (overrides hints)
//! release_date = "2024-05-27"           # optional
//! source = "dell:Catalog.xml.gz version 25.04.28"   # optional: the catalog it came from
//! vendor_hash = "83ad12b7…"             # optional: the vendor's digest it was checked against
//! vendor_hash_kind = "md5"              # sha256 or md5: which one that is
//! signature = "U46_2.72.compsig"        # optional: a signature file kept beside the image
//! needs_vendor_tool = "Uefi-only package" # optional: kept, but never flashed by the BMC
//! prerequisites = [{ kind = "bmc", min_version = "7.00.00.00" }]
//! ```
//!
//! Manifests written before a key existed stay readable: every key added
//! since the first release is optional.
//!
//! Rules, and why:
//!
//! - Unknown keys are errors: a misspelt `min_from_version` silently ignored
//!   would let an image skip its vendor's upgrade path.
//! - Every error names the manifest, the line and the key
//!   (`images[2].models[0]`), because an operator fixes it in an editor.
//! - `file` must stay inside the repository (no absolute paths, no `..`): the
//!   image server serves whatever it names. Each file is listed once.
//! - Matching is case-insensitive throughout (globs and the regex, which is
//!   unanchored: write `^…$` to match a whole name). BMCs of one vendor write
//!   `BIOS`, `Bios` and `bios`.
//! - An entry restricted to manufacturers or models never applies to a system
//!   whose manufacturer or model is unknown: a BIOS for another board bricks it.
//! - `version`, `min_from_version` and `min_version` must be readable as
//!   versions (under `version_scheme` when given), or the planner could never
//!   compare them and would report every host as `version-unknown`.
//! - fwfleet rewrites the manifest on [`Repository::add`] and
//!   [`Repository::remove`]; comments are not kept, so remarks go in `notes`.
//!
//! # Files
//!
//! Images are hashed while they are copied, 64 KiB at a time, never held in
//! memory whole: they run to hundreds of MiB and the daemon's budget is tens.
//! Images and the manifest are written under a temporary name in the same
//! directory and renamed into place, so a crash leaves the old state or the
//! new one. Leftover `.*.fwfleet-tmp-*` files after a crash can be deleted.
//!
//! The API is synchronous (plain file I/O); async callers run it in
//! `tokio::task::spawn_blocking`. One writer at a time: two processes adding
//! to the same repository at once can lose one of the manifest updates.
//!
//! Module map:
//!
//! - `entry`: [`Entry`], [`AddSpec`], [`Method`], [`ApplyTime`],
//!   [`Prerequisite`], the entry rules and component matching.
//! - `manifest`: TOML ⇄ entries, with line numbers for every error.
//! - `files`: streaming SHA-256, temp files, atomic replacement.
//! - `provenance`: [`Criticality`], [`HashKind`]: what the vendor says about
//!   an image (urgency, published digest).
//! - `edit`: [`Edit`], changing an entry's applicability or notes in place.
//! - `error`: [`RepoError`], [`ManifestError`], [`VerifyProblem`].

mod edit;
mod entry;
mod error;
mod files;
mod index;
mod manifest;
mod provenance;
mod stamps;

#[cfg(test)]
mod tests;

pub use crate::vocab::{ApplyTime, Method};
pub use edit::Edit;
pub use entry::{device_matches, is_placeholder_id, system_id_hex, AddSpec, Entry, Prerequisite};
pub use error::{ManifestError, ProblemKind, RepoError, VerifyProblem};
pub use index::{import_index, import_index_with, IndexError};
pub use provenance::{check_digest, Criticality, HashKind};
pub use stamps::Stamps;

use crate::digest::{copy_hashing, hash_file, CopyError};
use crate::inventory::model::{Component, SystemInfo};
use entry::{file_path, normalise_file, FieldError};
use files::{write_atomic, TempFile};
use md5::Digest as _;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The manifest's file name inside the repository directory.
pub const MANIFEST: &str = "manifest.toml";

/// An opened repository: its directory and the validated manifest entries.
#[derive(Debug)]
pub struct Repository {
    dir: PathBuf,
    manifest: PathBuf,
    entries: Vec<Entry>,
}

impl Repository {
    /// Opens the repository in `dir`, reading and checking its manifest. The
    /// image files are not read; [`Repository::verify`] does that.
    pub fn open(dir: impl AsRef<Path>) -> Result<Repository, RepoError> {
        let dir = dir.as_ref().to_path_buf();
        let manifest = dir.join(MANIFEST);
        let text = match fs::read_to_string(&manifest) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(RepoError::NoManifest { dir, manifest })
            }
            Err(e) => return Err(RepoError::io("read", manifest, e)),
        };
        let entries = manifest::parse(&manifest, &text)?;
        Ok(Repository {
            dir,
            manifest,
            entries,
        })
    }

    /// Opens the repository in `dir`, first creating the directory and an
    /// empty manifest if they are missing (the first `add` needs no setup).
    pub fn create_or_open(dir: impl AsRef<Path>) -> Result<Repository, RepoError> {
        let dir = dir.as_ref();
        fs::create_dir_all(dir).map_err(|e| RepoError::io("create", dir, e))?;
        let manifest = dir.join(MANIFEST);
        if !manifest.exists() {
            let text = manifest::render(&[]).map_err(|e| RepoError::Render {
                path: manifest.clone(),
                message: e.to_string(),
            })?;
            write_atomic(&manifest, text.as_bytes())
                .map_err(|e| RepoError::io("create", &manifest, e))?;
            tracing::info!(dir = %dir.display(), "created an empty image repository");
        }
        Repository::open(dir)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn manifest_path(&self) -> &Path {
        &self.manifest
    }

    /// Every entry, in manifest order.
    pub fn list(&self) -> &[Entry] {
        &self.entries
    }

    /// Where `entry`'s image is on disk.
    pub fn path_of(&self, entry: &Entry) -> PathBuf {
        file_path(&self.dir, &entry.file)
    }

    /// Copies the image at `src` into the repository under its file name,
    /// hashing it on the way, and records it in the manifest.
    ///
    /// The spec is checked before anything is copied. The same bytes are
    /// never stored twice, and an existing different image is never
    /// overwritten. If the manifest cannot be written, the copied image is
    /// removed again, so the two never disagree.
    pub fn add(&mut self, src: &Path, spec: AddSpec) -> Result<&Entry, RepoError> {
        let invalid = |e: FieldError| RepoError::InvalidSpec {
            src: src.to_path_buf(),
            key: e.key.to_string(),
            message: e.message,
        };
        let meta = fs::metadata(src).map_err(|e| RepoError::io("read", src, e))?;
        if !meta.is_file() {
            return Err(RepoError::NotAFile {
                path: src.to_path_buf(),
            });
        }
        let name =
            src.file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| RepoError::InvalidSpec {
                    src: src.to_path_buf(),
                    key: "file".into(),
                    message: "the file name is not UTF-8; rename the image".into(),
                })?;
        let file = normalise_file(name).map_err(|message| {
            invalid(FieldError {
                key: entry::Key::Field("file"),
                message,
            })
        })?;
        // Placeholder digest: the rules are checked before the copy, so a typo
        // in a glob does not cost a 500 MiB copy.
        let placeholder = "0".repeat(64);
        let vendor_hash = match &spec.vendor_hash {
            Some((kind, hex)) => Some((
                *kind,
                check_digest(*kind, hex).map_err(|message| {
                    invalid(FieldError {
                        key: entry::Key::Field("vendor_hash"),
                        message,
                    })
                })?,
            )),
            None => None,
        };
        let signature_src = spec.signature_src.clone();
        let entry = spec
            .into_entry(file.clone(), placeholder, 0)
            .prepare()
            .map_err(invalid)?;

        let dest = file_path(&self.dir, &file);
        let mut input = File::open(src).map_err(|e| RepoError::io("read", src, e))?;
        let mut tmp = TempFile::new_in(&self.dir, &file)
            .map_err(|e| RepoError::io("create", &self.dir, e))?;
        let tmp_path = tmp.path().to_path_buf();
        let mut tee = Md5Tee {
            inner: tmp.file(),
            md5: md5::Md5::new(),
        };
        let digest = copy_hashing(&mut input, &mut tee).map_err(|e| match e {
            CopyError::Read(e) => RepoError::io("read", src, e),
            CopyError::Write(e) => RepoError::io("write", &tmp_path, e),
        })?;
        let md5 = hex::encode(tee.md5.finalize());
        if let Some((kind, expected)) = &vendor_hash {
            let actual = match kind {
                HashKind::Sha256 => &digest.sha256,
                HashKind::Md5 => &md5,
            };
            if actual != expected {
                return Err(RepoError::VendorHashMismatch {
                    src: src.to_path_buf(),
                    kind: *kind,
                    expected: expected.clone(),
                    actual: actual.clone(),
                });
            }
        }

        if let Some(existing) = self.entries.iter().find(|e| e.sha256 == digest.sha256) {
            return Err(RepoError::AlreadyPresent {
                src: src.to_path_buf(),
                existing: existing.file.clone(),
                sha256: digest.sha256,
            });
        }
        if self.entries.iter().any(|e| e.file == file) {
            return Err(RepoError::NameTaken { path: dest, file });
        }
        // A file not in the manifest (left by hand or by a failed run): fine
        // to replace only if it holds these very bytes.
        let pre_existing = match hash_file(&dest) {
            Ok(d) if d == digest => true,
            Ok(_) => return Err(RepoError::NameTaken { path: dest, file }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => return Err(RepoError::io("read", &dest, e)),
        };
        let signature = match &signature_src {
            Some(sig) => Some(self.stage_signature(sig, &file)?),
            None => None,
        };
        tmp.persist(&dest)
            .map_err(|e| RepoError::io("write", &dest, e))?;
        let signature = match signature {
            Some((name, tmp)) => {
                let sig_dest = file_path(&self.dir, &name);
                if let Err(e) = tmp.persist(&sig_dest) {
                    if !pre_existing {
                        let _ = fs::remove_file(&dest);
                    }
                    return Err(RepoError::io("write", &sig_dest, e));
                }
                Some(name)
            }
            None => None,
        };

        let mut entry = entry;
        entry.sha256 = digest.sha256;
        entry.size = digest.size;
        entry.signature = signature;
        self.entries.push(entry);
        if let Err(e) = self.save() {
            let gone = self.entries.pop();
            if !pre_existing {
                let _ = fs::remove_file(&dest);
            }
            if let Some(sig) = gone.and_then(|g| g.signature) {
                let _ = fs::remove_file(file_path(&self.dir, &sig));
            }
            return Err(e);
        }
        let added = self.entries.last().expect("pushed just above");
        tracing::info!(file = %added.file, sha256 = %added.sha256, size = added.size, "image added");
        Ok(added)
    }

    /// Re-reads every image and reports those that are missing, unreadable or
    /// differ from the manifest. Empty means the repository is intact.
    pub fn verify(&self) -> Vec<VerifyProblem> {
        let mut problems = Vec::new();
        for entry in &self.entries {
            let path = self.path_of(entry);
            if let Some(kind) = check_file(&path, entry) {
                problems.push(VerifyProblem {
                    file: entry.file.clone(),
                    path,
                    kind,
                });
            }
            if let Some(sig) = &entry.signature {
                let path = file_path(&self.dir, sig);
                if !path.is_file() {
                    problems.push(VerifyProblem {
                        file: entry.file.clone(),
                        path,
                        kind: ProblemKind::SignatureMissing {
                            signature: sig.clone(),
                        },
                    });
                }
            }
        }
        problems
    }

    /// Removes the entry whose `file` is `selector`, or whose file name is
    /// `selector` when that is unambiguous, and deletes its image.
    ///
    /// The manifest is written first: a crash in between leaves an unlisted
    /// file, which is harmless, rather than an entry without its image.
    pub fn remove(&mut self, selector: &str) -> Result<Entry, RepoError> {
        let index = self.index_of(selector)?;
        let entry = self.entries.remove(index);
        if let Err(e) = self.save() {
            self.entries.insert(index, entry);
            return Err(e);
        }
        let mut paths = vec![self.path_of(&entry)];
        if let Some(sig) = &entry.signature {
            paths.push(file_path(&self.dir, sig));
        }
        for path in paths {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                // The entry is gone, which is what the caller asked for; the
                // stray file is only disk space.
                Err(e) => tracing::warn!(
                    path = %path.display(),
                    error = %e,
                    "entry removed but its file could not be deleted; delete it by hand"
                ),
            }
        }
        tracing::info!(file = %entry.file, "image removed");
        Ok(entry)
    }

    /// Changes the applicability or notes of the entry `selector` names (as
    /// for [`Repository::remove`]) without copying the image again; returns
    /// the entry as it is now. The edited entry goes through the same rules
    /// as a new one, and the manifest is only written if it passes.
    pub fn edit(&mut self, selector: &str, edit: Edit) -> Result<&Entry, RepoError> {
        let index = self.index_of(selector)?;
        let old = self.entries[index].clone();
        let edited = edit
            .apply(old.clone())
            .map_err(|(key, message)| RepoError::InvalidEdit {
                file: old.file.clone(),
                key,
                message,
            })?;
        self.entries[index] = edited;
        if let Err(e) = self.save() {
            self.entries[index] = old;
            return Err(e);
        }
        tracing::info!(file = %self.entries[index].file, "entry edited");
        Ok(&self.entries[index])
    }

    /// The entry whose `file` is `selector`, or whose file name is
    /// `selector` when that is unambiguous (`apply --image`).
    pub fn find(&self, selector: &str) -> Result<&Entry, RepoError> {
        Ok(&self.entries[self.index_of(selector)?])
    }

    /// The index of the entry whose `file` is `selector`, or whose file name
    /// is `selector` when that is unambiguous.
    fn index_of(&self, selector: &str) -> Result<usize, RepoError> {
        let wanted = normalise_file(selector).unwrap_or_else(|_| selector.to_owned());
        let index = match self.entries.iter().position(|e| e.file == wanted) {
            Some(i) => i,
            None => {
                let by_name: Vec<usize> = (0..self.entries.len())
                    .filter(|&i| {
                        Path::new(&self.entries[i].file)
                            .file_name()
                            .is_some_and(|n| n == selector)
                    })
                    .collect();
                match by_name[..] {
                    [i] => i,
                    [] => {
                        return Err(RepoError::NoSuchEntry {
                            selector: selector.to_owned(),
                            dir: self.dir.clone(),
                        })
                    }
                    _ => {
                        return Err(RepoError::Ambiguous {
                            selector: selector.to_owned(),
                            matches: by_name
                                .iter()
                                .map(|&i| self.entries[i].file.clone())
                                .collect(),
                        })
                    }
                }
            }
        };
        Ok(index)
    }

    /// Copies a signature file to a temp file beside the image's final
    /// place; persisted only once the image is.
    fn stage_signature(&self, sig: &Path, image: &str) -> Result<(String, TempFile), RepoError> {
        let name = sig
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| normalise_file(n).ok())
            .ok_or_else(|| RepoError::InvalidSpec {
                src: sig.to_path_buf(),
                key: "signature".into(),
                message: "the signature file name is not usable; rename it".into(),
            })?;
        if name == image || self.entries.iter().any(|e| e.file == name) {
            return Err(RepoError::NameTaken {
                path: file_path(&self.dir, &name),
                file: name,
            });
        }
        let mut input = File::open(sig).map_err(|e| RepoError::io("read", sig, e))?;
        let mut tmp = TempFile::new_in(&self.dir, &name)
            .map_err(|e| RepoError::io("create", &self.dir, e))?;
        io::copy(&mut input, tmp.file()).map_err(|e| RepoError::io("copy", sig, e))?;
        Ok((name, tmp))
    }

    /// The entries that fit `component` on a system by `manufacturer` of
    /// `model` whose Dell SystemID is unknown, in manifest order (see
    /// [`Entry::applies_to`]). Which of them to apply, if any, is the
    /// planner's decision.
    pub fn candidates(
        &self,
        component: &Component,
        manufacturer: Option<&str>,
        model: Option<&str>,
    ) -> Vec<&Entry> {
        self.fitting(component, &host_key(manufacturer, model, None), false)
    }

    /// The entries that fit `component` on `system`: its manufacturer, its
    /// model and its Dell SystemID, with the component's SoftwareId and PCI
    /// IDs ([`Entry::applies_to_host`]). What the planner asks.
    pub fn candidates_on(&self, component: &Component, system: &SystemInfo) -> Vec<&Entry> {
        self.fitting(component, &system_key(system), false)
    }

    /// The entries that fit `component` but only a host agent or the
    /// vendor's tool can apply (`needs_vendor_tool`).
    pub fn vendor_tool_candidates(
        &self,
        component: &Component,
        manufacturer: Option<&str>,
        model: Option<&str>,
    ) -> Vec<&Entry> {
        self.fitting(component, &host_key(manufacturer, model, None), true)
    }

    /// [`Repository::vendor_tool_candidates`] on `system`, as
    /// [`Repository::candidates_on`].
    pub fn vendor_tool_candidates_on(
        &self,
        component: &Component,
        system: &SystemInfo,
    ) -> Vec<&Entry> {
        self.fitting(component, &system_key(system), true)
    }

    fn fitting(&self, component: &Component, host: &HostKey<'_>, vendor_tool: bool) -> Vec<&Entry> {
        // An entry its BMC cannot apply is never offered for flashing: an
        // iLO takes a UEFI-only package with 200 OK and then does nothing
        // (NOTES §7.2). `vendor_tool_candidates` lists them apart, so the
        // planner can say `needs-vendor-tool` instead of `no-image`.
        self.entries
            .iter()
            .filter(|e| e.needs_vendor_tool.is_some() == vendor_tool)
            .filter(|e| {
                e.applies_to_host(
                    component,
                    component.pci,
                    host.manufacturer,
                    host.model,
                    host.system_id,
                )
            })
            .collect()
    }

    /// Writes the manifest for the current entries, atomically.
    fn save(&self) -> Result<(), RepoError> {
        let text = manifest::render(&self.entries).map_err(|e| RepoError::Render {
            path: self.manifest.clone(),
            message: e.to_string(),
        })?;
        write_atomic(&self.manifest, text.as_bytes())
            .map_err(|e| RepoError::io("write", &self.manifest, e))
    }
}

/// The host facts applicability is decided on.
struct HostKey<'a> {
    manufacturer: Option<&'a str>,
    model: Option<&'a str>,
    system_id: Option<u32>,
}

fn host_key<'a>(
    manufacturer: Option<&'a str>,
    model: Option<&'a str>,
    system_id: Option<u32>,
) -> HostKey<'a> {
    HostKey {
        manufacturer,
        model,
        system_id,
    }
}

fn system_key(system: &SystemInfo) -> HostKey<'_> {
    host_key(
        system.manufacturer.as_deref(),
        system.model.as_deref(),
        system.dell_system_id,
    )
}

/// Passes writes through and computes their MD5 on the way, for vendor
/// digests that are only MD5 (older Dell catalog entries).
struct Md5Tee<'a, W: Write> {
    inner: &'a mut W,
    md5: md5::Md5,
}

impl<W: Write> Write for Md5Tee<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.md5.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// What is wrong with one image file, if anything.
fn check_file(path: &Path, entry: &Entry) -> Option<ProblemKind> {
    check_image(path, entry.size, &entry.sha256, None, ImageRead::Full)
}

/// How much of an image a check reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageRead {
    /// Every byte, always (the run-start check); stamps are refreshed.
    Full,
    /// Not the bytes when a stamp says they hashed right with the same
    /// metadata (`plan`, the fleet view).
    Stamped,
}

/// What is wrong with the image at `path`, which should be `size` bytes
/// hashing to `sha256` (lowercase hex): missing, unreadable, or other bytes.
/// Under [`ImageRead::Stamped`] the bytes are not read when `stamps` saw
/// them, with the same metadata, hash to that digest; what is read is
/// stamped in `stamps`.
pub fn check_image(
    path: &Path,
    size: u64,
    sha256: &str,
    stamps: Option<&Stamps>,
    read: ImageRead,
) -> Option<ProblemKind> {
    let unreadable = |e: io::Error| ProblemKind::Unreadable {
        error: e.to_string(),
    };
    let forget = || {
        if let Some(s) = stamps {
            s.forget(path)
        }
    };
    let meta = match fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            forget();
            return Some(ProblemKind::Missing);
        }
        Err(e) => {
            forget();
            return Some(unreadable(e));
        }
        Ok(m) if m.len() != size => {
            return Some(ProblemKind::SizeMismatch {
                expected: size,
                actual: m.len(),
            })
        }
        Ok(m) => m,
    };
    if let Some(known) = stamps
        .filter(|_| read == ImageRead::Stamped)
        .and_then(|s| s.known(path, &meta))
    {
        return (!known.eq_ignore_ascii_case(sha256)).then(|| ProblemKind::HashMismatch {
            expected: sha256.to_string(),
            actual: known,
        });
    }
    let digest = hash_file(path);
    if let (Some(s), Ok(d)) = (stamps, &digest) {
        s.record(path, &meta, d);
    }
    match digest {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            forget();
            Some(ProblemKind::Missing)
        }
        Err(e) => Some(unreadable(e)),
        // Grew or shrank between the two looks: report the size.
        Ok(d) if d.size != size => Some(ProblemKind::SizeMismatch {
            expected: size,
            actual: d.size,
        }),
        Ok(d) if !d.sha256.eq_ignore_ascii_case(sha256) => Some(ProblemKind::HashMismatch {
            expected: sha256.to_string(),
            actual: d.sha256,
        }),
        Ok(_) => None,
    }
}
