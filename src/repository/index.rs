//! Importing a JSON index of images (`[{file, component, version, models}]`),
//! the format `mock-bmc make-images` writes as `images.json`, so a test
//! fleet's repository is built in one command instead of one `repo add` per
//! image.

use super::{AddSpec, Repository};
use crate::vocab::Kind;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IndexEntry {
    file: String,
    component: String,
    version: String,
    #[serde(default)]
    models: Vec<String>,
}

/// Why an index could not be imported; names the index file and the entry.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not an image index: {detail}\n  hint: expected a JSON array of {{\"file\", \"component\", \"version\", \"models\"}} as mock-bmc make-images writes", path.display())]
    Format { path: PathBuf, detail: String },
    #[error("{} entry {index} ({file}): {detail}", path.display())]
    Entry {
        path: PathBuf,
        index: usize,
        file: String,
        detail: String,
    },
}

/// Add every image of the index (paths relative to the index's directory);
/// returns how many were added. Stops at the first bad entry; those before it stay.
pub fn import_index(repo: &mut Repository, index: &Path) -> Result<usize, IndexError> {
    import_index_with(repo, index, |_, _| None)
}

/// [`import_index`], with the apply time of each entry chosen by `apply_time`
/// from its kind and models (the index format has none): the demo sends host
/// firmware `OnReset` where the BMC family takes it, so one coordinated reset
/// activates all of a host's images, as an operator would set it.
pub fn import_index_with(
    repo: &mut Repository,
    index: &Path,
    apply_time: impl Fn(Kind, &[String]) -> Option<crate::vocab::ApplyTime>,
) -> Result<usize, IndexError> {
    let text = std::fs::read_to_string(index).map_err(|source| IndexError::Read {
        path: index.to_path_buf(),
        source,
    })?;
    let entries: Vec<IndexEntry> = serde_json::from_str(&text).map_err(|e| IndexError::Format {
        path: index.to_path_buf(),
        detail: e.to_string(),
    })?;
    let base = index.parent().unwrap_or(Path::new("."));
    for (i, e) in entries.iter().enumerate() {
        let bad = |detail: String| IndexError::Entry {
            path: index.to_path_buf(),
            index: i,
            file: e.file.clone(),
            detail,
        };
        let kind: Kind = e.component.parse().map_err(bad)?;
        let mut spec = AddSpec::new(kind, e.version.clone());
        spec.models = e.models.clone();
        spec.apply_time = apply_time(kind, &e.models);
        repo.add(&base.join(&e.file), spec)
            .map_err(|err| bad(err.to_string()))?;
    }
    Ok(entries.len())
}
