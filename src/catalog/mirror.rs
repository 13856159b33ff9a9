//! The operator's package mirror: a local directory (what Dell Repository
//! Manager writes, or any copy of `downloads.dell.com`'s layout) or an
//! HTTP(S) base URL on their network. Packages are addressed by the
//! catalog's relative `path`.
//!
//! This is the only code in the catalog module that does network I/O, with
//! its own HTTP client: it talks to the mirror only and never holds a BMC
//! credential. Downloads go to a `.part` file and resume with `Range` after
//! an interruption; a body is never allowed past the size the catalog
//! states (or [`MAX_PACKAGE`] when it states none). Digests are computed
//! from the complete file, so a resumed download is checked whole.

use md5::Digest as _;
use sha2::Sha256;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// Largest package fetched when the catalog gives no size.
pub const MAX_PACKAGE: u64 = 8 * 1024 * 1024 * 1024;

/// Where packages come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mirror {
    Dir(PathBuf),
    /// Always ends with `/`, so relative paths join below it.
    Http(reqwest::Url),
}

/// Why a package could not be fetched; names the package and the mirror.
#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    #[error("--mirror {given}: {why}")]
    Bad { given: String, why: String },
    #[error("{path}: not in the mirror ({location})\n  copy the package into the mirror (Dell Repository Manager: add it to the repository and export again), or check --mirror")]
    NotFound { path: String, location: String },
    #[error("{path}: the mirror answered {status} for {url}\n  check that the mirror serves the catalog's paths")]
    Status {
        path: String,
        url: String,
        status: u16,
    },
    #[error("{path}: the mirror sends more than the {limit} bytes the catalog states\n  the mirror holds another file under that name; fix the mirror")]
    TooLarge { path: String, limit: u64 },
    #[error("{path}: {url}: {detail}\n  check that the mirror is reachable; run the import again to resume the download")]
    Transport {
        path: String,
        url: String,
        detail: String,
    },
    #[error("{path}: cannot {action} {}: {source}", file.display())]
    Io {
        path: String,
        action: &'static str,
        file: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// A package on local disk, with its digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub file: PathBuf,
    pub size: u64,
    /// Lower-case hex.
    pub sha256: String,
    pub md5: String,
    /// Bytes that came over the network in this call (0 for a directory
    /// mirror or a download that was already complete).
    pub transferred: u64,
    /// Whether an earlier partial download was continued.
    pub resumed: bool,
}

impl Mirror {
    /// `--mirror DIR|URL`.
    pub fn parse(given: &str) -> Result<Mirror, MirrorError> {
        let bad = |why: String| MirrorError::Bad {
            given: given.to_owned(),
            why,
        };
        let lower = given.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            let mut url = reqwest::Url::parse(given).map_err(|e| bad(e.to_string()))?;
            if !url.username().is_empty() || url.password().is_some() {
                return Err(bad(
                    "credentials in the URL would be written to logs; serve the mirror without them"
                        .into(),
                ));
            }
            if !url.path().ends_with('/') {
                let p = format!("{}/", url.path());
                url.set_path(&p);
            }
            return Ok(Mirror::Http(url));
        }
        if lower.contains("://") {
            return Err(bad("only a directory or an http:// or https:// URL".into()));
        }
        let dir = PathBuf::from(given);
        if !dir.is_dir() {
            return Err(bad("no such directory".into()));
        }
        Ok(Mirror::Dir(dir))
    }

    /// Where `rel` is, for messages.
    pub fn location(&self, rel: &str) -> String {
        match self {
            Mirror::Dir(d) => d.join(rel).display().to_string(),
            Mirror::Http(u) => u.join(rel).map(|u| u.to_string()).unwrap_or_default(),
        }
    }
}

/// The mirror's HTTP client: bounded connect and read times, no
/// credentials, redirects followed only a few times.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(15))
        .read_timeout(Duration::from_secs(120))
        .redirect(reqwest::redirect::Policy::limited(5))
        .user_agent(concat!("fwfleet/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a client without custom TLS settings always builds")
}

/// A catalog path made safe to join: relative, no `..`, `\` read as `/`.
fn safe_relative(rel: &str) -> Option<String> {
    let rel = rel.replace('\\', "/");
    let p = Path::new(&rel);
    let ok = p
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    (ok && !rel.trim().is_empty()).then(|| rel.trim_start_matches("./").to_owned())
}

/// Makes package `rel` available on local disk: a directory mirror's own
/// file, or a download into `staging` (resumed from `<name>.part` if an
/// earlier one was interrupted). `limit` is the catalog's size.
pub async fn fetch(
    mirror: &Mirror,
    client: &reqwest::Client,
    rel: &str,
    staging: &Path,
    limit: Option<u64>,
    progress: &indicatif::ProgressBar,
) -> Result<Fetched, MirrorError> {
    let path = rel.to_owned();
    let Some(safe) = safe_relative(rel) else {
        return Err(MirrorError::NotFound {
            location: "the path leaves the mirror; the catalog is not trusted with it".into(),
            path,
        });
    };
    let limit = limit.unwrap_or(MAX_PACKAGE);
    match mirror {
        Mirror::Dir(dir) => {
            let file = dir.join(&safe);
            let meta = match fs::metadata(&file) {
                Ok(m) if m.is_file() => m,
                _ => {
                    return Err(MirrorError::NotFound {
                        location: file.display().to_string(),
                        path,
                    })
                }
            };
            if meta.len() > limit {
                return Err(MirrorError::TooLarge { path, limit });
            }
            progress.set_length(meta.len());
            let (sha256, md5, size) = hash(&file, progress).map_err(|source| MirrorError::Io {
                path: path.clone(),
                action: "read",
                file: file.clone(),
                source,
            })?;
            Ok(Fetched {
                file,
                size,
                sha256,
                md5,
                transferred: 0,
                resumed: false,
            })
        }
        Mirror::Http(base) => {
            let url = base.join(&safe).map_err(|e| MirrorError::Bad {
                given: base.to_string(),
                why: e.to_string(),
            })?;
            download(client, url, &path, &safe, staging, limit, progress).await
        }
    }
}

async fn download(
    client: &reqwest::Client,
    url: reqwest::Url,
    path: &str,
    safe: &str,
    staging: &Path,
    limit: u64,
    progress: &indicatif::ProgressBar,
) -> Result<Fetched, MirrorError> {
    let io_err = |action: &'static str, file: &Path, source: io::Error| MirrorError::Io {
        path: path.to_owned(),
        action,
        file: file.to_path_buf(),
        source,
    };
    let name = safe.rsplit('/').next().unwrap_or(safe);
    fs::create_dir_all(staging).map_err(|e| io_err("create", staging, e))?;
    let done = staging.join(name);
    let part = staging.join(format!("{name}.part"));
    let transport = |detail: String| MirrorError::Transport {
        path: path.to_owned(),
        url: url.to_string(),
        detail,
    };
    let mut have = fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    if have > limit {
        have = 0;
    }
    let mut request = client.get(url.clone());
    if have > 0 {
        request = request.header(reqwest::header::RANGE, format!("bytes={have}-"));
    }
    let mut resp = request
        .send()
        .await
        .map_err(|e| transport(error_chain(&e)))?;
    let status = resp.status();
    let resumed = match status.as_u16() {
        206 if have > 0 => true,
        200 => {
            have = 0;
            false
        }
        // The part is already whole (the server has nothing past it).
        416 if have > 0 => {
            drop(resp);
            return finish(&part, &done, path, 0, true, progress);
        }
        404 | 410 => {
            return Err(MirrorError::NotFound {
                path: path.to_owned(),
                location: url.to_string(),
            })
        }
        s => {
            return Err(MirrorError::Status {
                path: path.to_owned(),
                url: url.to_string(),
                status: s,
            })
        }
    };
    if let Some(len) = resp.content_length() {
        if have + len > limit {
            return Err(MirrorError::TooLarge {
                path: path.to_owned(),
                limit,
            });
        }
        progress.set_length(have + len);
    }
    progress.set_position(have);
    let mut out = OpenOptions::new()
        .create(true)
        .write(true)
        .append(resumed)
        .truncate(!resumed)
        .open(&part)
        .map_err(|e| io_err("write", &part, e))?;
    let mut got = have;
    let mut transferred = 0u64;
    while let Some(chunk) = resp.chunk().await.map_err(|e| transport(error_chain(&e)))? {
        got += chunk.len() as u64;
        transferred += chunk.len() as u64;
        if got > limit {
            return Err(MirrorError::TooLarge {
                path: path.to_owned(),
                limit,
            });
        }
        out.write_all(&chunk)
            .map_err(|e| io_err("write", &part, e))?;
        progress.set_position(got);
    }
    out.sync_all().map_err(|e| io_err("write", &part, e))?;
    drop(out);
    finish(&part, &done, path, transferred, resumed, progress)
}

fn finish(
    part: &Path,
    done: &Path,
    path: &str,
    transferred: u64,
    resumed: bool,
    progress: &indicatif::ProgressBar,
) -> Result<Fetched, MirrorError> {
    fs::rename(part, done).map_err(|source| MirrorError::Io {
        path: path.to_owned(),
        action: "rename into place",
        file: done.to_path_buf(),
        source,
    })?;
    let (sha256, md5, size) =
        hash(done, &indicatif::ProgressBar::hidden()).map_err(|source| MirrorError::Io {
            path: path.to_owned(),
            action: "read",
            file: done.to_path_buf(),
            source,
        })?;
    progress.set_position(size);
    Ok(Fetched {
        file: done.to_path_buf(),
        size,
        sha256,
        md5,
        transferred,
        resumed,
    })
}

/// SHA-256 and MD5 of a file in one pass, 64 KiB at a time.
fn hash(file: &Path, progress: &indicatif::ProgressBar) -> io::Result<(String, String, u64)> {
    let mut f = File::open(file)?;
    let mut sha = Sha256::new();
    let mut md5 = md5::Md5::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        sha.update(&buf[..n]);
        md5.update(&buf[..n]);
        size += n as u64;
        progress.set_position(size);
    }
    Ok((
        hex::encode(sha.finalize()),
        hex::encode(md5.finalize()),
        size,
    ))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_arguments_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            Mirror::parse(dir.path().to_str().unwrap()).unwrap(),
            Mirror::Dir(dir.path().to_path_buf())
        );
        match Mirror::parse("http://127.0.0.1:8080/dell").unwrap() {
            Mirror::Http(u) => assert_eq!(u.as_str(), "http://127.0.0.1:8080/dell/"),
            other => panic!("{other:?}"),
        }
        assert!(Mirror::parse("https://user:pw@mirror/")
            .unwrap_err()
            .to_string()
            .contains("credentials"));
        assert!(Mirror::parse("ftp://mirror/")
            .unwrap_err()
            .to_string()
            .contains("only"));
        assert!(Mirror::parse("/no/such/dir/x")
            .unwrap_err()
            .to_string()
            .contains("no such directory"));
    }

    #[test]
    fn catalog_paths_never_leave_the_mirror() {
        assert_eq!(
            safe_relative("FOLDER1/1/a.EXE").as_deref(),
            Some("FOLDER1/1/a.EXE")
        );
        assert_eq!(
            safe_relative("FOLDER1\\1\\a.EXE").as_deref(),
            Some("FOLDER1/1/a.EXE")
        );
        assert_eq!(safe_relative("../etc/passwd"), None);
        assert_eq!(safe_relative("/etc/passwd"), None);
        assert_eq!(safe_relative(""), None);
    }
}
