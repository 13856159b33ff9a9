//! The mock's firmware image format: writing images and verifying them as they stream in.
//!
//! An image is self-describing, so a BMC can decide what it is for and whether it
//! arrived intact without any side channel:
//!
//! ```text
//! MOCKFW01\n
//! {"component":"bios","version":"2.14.2","models":["CX-2200"],"payload_len":65536,"payload_sha256":"…"}\n
//! <payload_len payload bytes>
//! ```
//!
//! `models` empty means "any model". The payload is deterministic pseudo-random
//! bytes, so tests can make images of any size (benchmarks use 512 MiB) without
//! storing them, and the same inputs always give the same file.
//!
//! Nothing here holds a whole image in memory: [`ImageBuilder`] generates the
//! payload twice (once to hash it, once to write it) and [`ImageVerifier`] hashes
//! bytes as they arrive from the network, which is also how a real BMC must work
//! with images larger than its RAM.

use crate::machine::Kind;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// The first line of every image.
pub const MAGIC: &[u8] = b"MOCKFW01\n";

/// The longest header line accepted (without its `\n`). A bound is needed because
/// the verifier buffers the header line; 64 KiB is far more than any real header.
pub const MAX_HEADER_LEN: usize = 64 * 1024;

/// Payload size when none is given: small enough for unit tests, big enough to
/// span several network reads.
pub const DEFAULT_PAYLOAD_SIZE: u64 = 64 * 1024;

/// Size of the pieces images are generated, written and read in.
const CHUNK: usize = 64 * 1024;

/// The JSON header line of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageHeader {
    /// Which kind of firmware the image carries.
    pub component: Kind,
    /// The version the component reports after the image is applied, in the
    /// vendor's own style.
    pub version: String,
    /// Models the image may be applied to; empty means any model.
    #[serde(default)]
    pub models: Vec<String>,
    /// The devices the image updates, as a Dell Update Package names them
    /// (a ComponentID, or the four PCI IDs `VVVV:DDDD:SVSV:SDSD` of a device
    /// iDRAC reports with ComponentID `0`): sent without `Targets`, it goes
    /// only to those. Empty: every active component of its kind.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<String>,
    /// Exact number of payload bytes after the header line.
    pub payload_len: u64,
    /// Lowercase hex SHA-256 of the payload.
    pub payload_sha256: String,
}

/// Why image bytes are not a valid image (or could not be read).
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("not a mock firmware image: it does not start with MOCKFW01\n  write images with `mock-bmc make-image` or `mock-bmc make-images`")]
    BadMagic,
    #[error("bad mock firmware image header: {0}")]
    BadHeader(String),
    #[error(
        "image truncated: the payload has {got} of {expected} bytes; the transfer was cut short"
    )]
    Truncated { expected: u64, got: u64 },
    #[error("image is longer than its header says: bytes follow the payload")]
    TooLong,
    #[error("image payload does not match the payload_sha256 of its header: the image is corrupt")]
    HashMismatch,
    /// Reading the image failed; says nothing about the image itself.
    #[error("cannot read image {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl ImageError {
    /// True when the bytes themselves are bad (the BMC answers
    /// `Update.VerificationFailed`), false when they could not be read.
    pub fn is_corrupt(&self) -> bool {
        match self {
            ImageError::BadMagic
            | ImageError::BadHeader(_)
            | ImageError::Truncated { .. }
            | ImageError::TooLong
            | ImageError::HashMismatch => true,
            ImageError::Io { .. } => false,
        }
    }

    /// The same error again: a failed verifier keeps answering with its first error.
    fn replay(&self) -> ImageError {
        match self {
            ImageError::BadMagic => ImageError::BadMagic,
            ImageError::BadHeader(s) => ImageError::BadHeader(s.clone()),
            ImageError::Truncated { expected, got } => ImageError::Truncated {
                expected: *expected,
                got: *got,
            },
            ImageError::TooLong => ImageError::TooLong,
            ImageError::HashMismatch => ImageError::HashMismatch,
            ImageError::Io { path, source } => ImageError::Io {
                path: path.clone(),
                source: io::Error::new(source.kind(), source.to_string()),
            },
        }
    }
}

/// Why a valid image does not fit a component (the BMC answers
/// `Update.UpdateNotApplicable`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotApplicable {
    #[error("the image is {image} firmware, the target is {target}")]
    WrongComponent { image: Kind, target: Kind },
    #[error("the image is for {}, not for model '{model}'", image_models.join(", "))]
    WrongModel {
        image_models: Vec<String>,
        model: String,
    },
}

/// Whether an image may be applied to a `kind` component of a `model` machine.
/// Models match exactly: the image generator copies them from the BMC's own state.
pub fn applicability(header: &ImageHeader, model: &str, kind: Kind) -> Result<(), NotApplicable> {
    if header.component != kind {
        return Err(NotApplicable::WrongComponent {
            image: header.component,
            target: kind,
        });
    }
    if !header.models.is_empty() && !header.models.iter().any(|m| m == model) {
        return Err(NotApplicable::WrongModel {
            image_models: header.models.clone(),
            model: model.to_string(),
        });
    }
    Ok(())
}

/// The deterministic pseudo-random payload, produced chunk by chunk.
///
/// ChaCha discards the unused bytes of its last word on every fill, so the stream
/// depends on the chunk sizes; both passes of the writer use the same ones.
struct Payload {
    rng: ChaCha8Rng,
    remaining: u64,
}

impl Payload {
    fn new(size: u64, seed: u64) -> Self {
        Payload {
            rng: ChaCha8Rng::seed_from_u64(seed),
            remaining: size,
        }
    }

    /// The next chunk in `buf`, or `None` at the end.
    fn next_chunk<'b>(&mut self, buf: &'b mut [u8; CHUNK]) -> Option<&'b [u8]> {
        if self.remaining == 0 {
            return None;
        }
        let n = usize::try_from(self.remaining).map_or(CHUNK, |r| r.min(CHUNK));
        let out = &mut buf[..n];
        self.rng.fill_bytes(out);
        self.remaining -= n as u64;
        Some(out)
    }
}

/// Describes an image to write; the payload is generated, never held whole.
///
/// ```no_run
/// # use mock_bmc::image::ImageBuilder;
/// # use mock_bmc::Kind;
/// let header = ImageBuilder::new(Kind::Bios, "2.14.2")
///     .models(["CX-2200"])
///     .payload_size(512 << 20)
///     .write_file(std::path::Path::new("bios.fwimg"))?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ImageBuilder {
    component: Kind,
    version: String,
    models: Vec<String>,
    devices: Vec<String>,
    payload_size: u64,
    seed: Option<u64>,
}

impl ImageBuilder {
    /// An image of `component` firmware at `version`, for any model, with a
    /// [`DEFAULT_PAYLOAD_SIZE`] payload.
    pub fn new(component: Kind, version: impl Into<String>) -> Self {
        ImageBuilder {
            component,
            version: version.into(),
            models: Vec::new(),
            devices: Vec::new(),
            payload_size: DEFAULT_PAYLOAD_SIZE,
            seed: None,
        }
    }

    /// Restrict the image to these models.
    pub fn models<I, S>(mut self, models: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.models = models.into_iter().map(Into::into).collect();
        self
    }

    /// Restrict the image to these devices (see [`ImageHeader::devices`]).
    pub fn devices<I, S>(mut self, devices: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.devices = devices.into_iter().map(Into::into).collect();
        self
    }

    /// Payload bytes after the header.
    pub fn payload_size(mut self, size: u64) -> Self {
        self.payload_size = size;
        self
    }

    /// Seed of the payload bytes. By default it is derived from component,
    /// version and models, so different images have different payloads.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    fn effective_seed(&self) -> u64 {
        if let Some(s) = self.seed {
            return s;
        }
        let mut h = Sha256::new();
        h.update(self.component.name());
        h.update([0]);
        h.update(&self.version);
        for m in &self.models {
            h.update([0]);
            h.update(m);
        }
        let d = h.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&d[..8]);
        u64::from_le_bytes(first)
    }

    /// The header the image will have; generates (but does not keep) the payload to hash it.
    pub fn header(&self) -> ImageHeader {
        let mut hasher = Sha256::new();
        let mut payload = Payload::new(self.payload_size, self.effective_seed());
        let mut buf = Box::new([0u8; CHUNK]);
        while let Some(chunk) = payload.next_chunk(&mut buf) {
            hasher.update(chunk);
        }
        ImageHeader {
            component: self.component,
            version: self.version.clone(),
            models: self.models.clone(),
            devices: self.devices.clone(),
            payload_len: self.payload_size,
            payload_sha256: hex::encode(hasher.finalize()),
        }
    }

    /// Write the image to `w` in 64 KiB pieces: hash the payload in a first pass,
    /// then write magic, header and the regenerated payload.
    pub fn write_to(&self, mut w: impl Write) -> io::Result<ImageHeader> {
        let header = self.header();
        let line = serde_json::to_vec(&header).map_err(io::Error::other)?;
        if line.len() > MAX_HEADER_LEN {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "image header is {} bytes, more than the {MAX_HEADER_LEN} a verifier accepts; list fewer models",
                    line.len()
                ),
            ));
        }
        w.write_all(MAGIC)?;
        w.write_all(&line)?;
        w.write_all(b"\n")?;
        let mut payload = Payload::new(self.payload_size, self.effective_seed());
        let mut buf = Box::new([0u8; CHUNK]);
        while let Some(chunk) = payload.next_chunk(&mut buf) {
            w.write_all(chunk)?;
        }
        w.flush()?;
        Ok(header)
    }

    /// Write the image to `path` through a temporary file in the same directory,
    /// so a BMC fetching it never sees half an image.
    pub fn write_file(&self, path: &Path) -> io::Result<ImageHeader> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut tmp = tempfile::Builder::new()
            .prefix(".fwimg-")
            .tempfile_in(dir)?;
        let header = self.write_to(io::BufWriter::with_capacity(CHUNK, tmp.as_file_mut()))?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(header)
    }
}

/// Write an image of `payload_size` generated bytes (seeded by `seed`) to `w`.
/// Shorthand for [`ImageBuilder`].
pub fn write_image(
    w: impl Write,
    component: Kind,
    version: &str,
    models: &[String],
    payload_size: u64,
    seed: u64,
) -> io::Result<ImageHeader> {
    ImageBuilder::new(component, version)
        .models(models.iter().cloned())
        .payload_size(payload_size)
        .seed(seed)
        .write_to(w)
}

/// Checks an image while its bytes arrive, in pieces of any size.
///
/// Feed every piece to [`update`](Self::update) (it fails as soon as the bytes
/// cannot be a valid image: wrong magic, bad header, too many bytes), then call
/// [`finish`](Self::finish) for the length and hash checks. Memory use is bounded
/// by [`MAX_HEADER_LEN`] whatever the image size.
pub struct ImageVerifier {
    state: VerifyState,
}

enum VerifyState {
    /// Collecting the magic and the header line (magic included in `buf`).
    Head { buf: Vec<u8> },
    Payload {
        header: ImageHeader,
        hasher: Sha256,
        got: u64,
    },
    /// The first error, answered again to every later call.
    Failed(ImageError),
}

impl fmt::Debug for ImageVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.state {
            VerifyState::Head { buf } => f
                .debug_struct("ImageVerifier")
                .field("state", &"header")
                .field("buffered", &buf.len())
                .finish(),
            VerifyState::Payload { header, got, .. } => f
                .debug_struct("ImageVerifier")
                .field("state", &"payload")
                .field("header", header)
                .field("got", got)
                .finish(),
            VerifyState::Failed(e) => f
                .debug_struct("ImageVerifier")
                .field("state", &"failed")
                .field("error", e)
                .finish(),
        }
    }
}

impl Default for ImageVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl ImageVerifier {
    pub fn new() -> Self {
        ImageVerifier {
            state: VerifyState::Head {
                buf: Vec::with_capacity(MAGIC.len() + 512),
            },
        }
    }

    /// The header, once it has arrived: lets a BMC reject an inapplicable image
    /// before the payload is through.
    pub fn header(&self) -> Option<&ImageHeader> {
        match &self.state {
            VerifyState::Payload { header, .. } => Some(header),
            _ => None,
        }
    }

    /// Take the next bytes of the image.
    pub fn update(&mut self, chunk: &[u8]) -> Result<(), ImageError> {
        if let VerifyState::Failed(e) = &self.state {
            return Err(e.replay());
        }
        let result = self.step(chunk);
        if let Err(e) = &result {
            self.state = VerifyState::Failed(e.replay());
        }
        result
    }

    fn step(&mut self, mut chunk: &[u8]) -> Result<(), ImageError> {
        if let VerifyState::Head { buf } = &mut self.state {
            if buf.len() < MAGIC.len() {
                let take = (MAGIC.len() - buf.len()).min(chunk.len());
                buf.extend_from_slice(&chunk[..take]);
                chunk = &chunk[take..];
                if !MAGIC.starts_with(buf) {
                    return Err(ImageError::BadMagic);
                }
                if buf.len() < MAGIC.len() {
                    return Ok(());
                }
            }
            let have = buf.len() - MAGIC.len();
            let Some(pos) = chunk.iter().position(|&b| b == b'\n') else {
                if have + chunk.len() > MAX_HEADER_LEN {
                    return Err(header_too_long());
                }
                buf.extend_from_slice(chunk);
                return Ok(());
            };
            if have + pos > MAX_HEADER_LEN {
                return Err(header_too_long());
            }
            buf.extend_from_slice(&chunk[..pos]);
            let header = parse_header(&buf[MAGIC.len()..])?;
            chunk = &chunk[pos + 1..];
            self.state = VerifyState::Payload {
                header,
                hasher: Sha256::new(),
                got: 0,
            };
        }
        match &mut self.state {
            VerifyState::Payload {
                header,
                hasher,
                got,
            } => {
                let room = header.payload_len - *got;
                if chunk.len() as u64 > room {
                    return Err(ImageError::TooLong);
                }
                hasher.update(chunk);
                *got += chunk.len() as u64;
                Ok(())
            }
            // `Head` either returned above or became `Payload`; `Failed` is caught in `update`.
            VerifyState::Head { .. } | VerifyState::Failed(_) => Ok(()),
        }
    }

    /// All bytes are in: check the length and the hash, and return the header.
    pub fn finish(self) -> Result<ImageHeader, ImageError> {
        match self.state {
            VerifyState::Failed(e) => Err(e),
            VerifyState::Head { buf } if buf.len() < MAGIC.len() => Err(ImageError::BadMagic),
            VerifyState::Head { buf } => Err(ImageError::BadHeader(format!(
                "the image ends inside its header line after {} bytes",
                buf.len()
            ))),
            VerifyState::Payload {
                header,
                hasher,
                got,
            } => {
                if got < header.payload_len {
                    return Err(ImageError::Truncated {
                        expected: header.payload_len,
                        got,
                    });
                }
                if hex::encode(hasher.finalize()) != header.payload_sha256 {
                    return Err(ImageError::HashMismatch);
                }
                Ok(header)
            }
        }
    }
}

fn header_too_long() -> ImageError {
    ImageError::BadHeader(format!(
        "no end of the header line within {MAX_HEADER_LEN} bytes"
    ))
}

/// Parse and sanity-check the header line (without its `\n`).
fn parse_header(line: &[u8]) -> Result<ImageHeader, ImageError> {
    let mut header: ImageHeader =
        serde_json::from_slice(line).map_err(|e| ImageError::BadHeader(e.to_string()))?;
    if header.version.trim().is_empty() {
        return Err(ImageError::BadHeader("the version is empty".into()));
    }
    let sha = &header.payload_sha256;
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ImageError::BadHeader(format!(
            "payload_sha256 '{sha}' is not 64 hex digits"
        )));
    }
    // Compared against `hex::encode`, which is lowercase.
    header.payload_sha256 = sha.to_ascii_lowercase();
    Ok(header)
}

/// Verify an image file, reading it in 64 KiB pieces.
pub fn verify_file(path: impl AsRef<Path>) -> Result<ImageHeader, ImageError> {
    let path = path.as_ref();
    let io_err = |source| ImageError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io_err)?;
    let mut verifier = ImageVerifier::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_err(e)),
        };
        verifier.update(&buf[..n])?;
    }
    verifier.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(size: u64) -> (Vec<u8>, ImageHeader) {
        let mut out = Vec::new();
        let header = ImageBuilder::new(Kind::Bios, "2.14.2")
            .models(["CX-2200"])
            .payload_size(size)
            .write_to(&mut out)
            .unwrap();
        (out, header)
    }

    /// Feed `bytes` in pieces of `chunk` and finish.
    fn check(bytes: &[u8], chunk: usize) -> Result<ImageHeader, ImageError> {
        let mut v = ImageVerifier::new();
        for piece in bytes.chunks(chunk) {
            v.update(piece)?;
        }
        v.finish()
    }

    #[test]
    fn round_trip() {
        let (bytes, header) = image(DEFAULT_PAYLOAD_SIZE);
        assert!(bytes.starts_with(MAGIC));
        assert_eq!(header.payload_len, DEFAULT_PAYLOAD_SIZE);
        assert_eq!(header.models, ["CX-2200"]);
        assert_eq!(check(&bytes, bytes.len()).unwrap(), header);
        let line_end = bytes[MAGIC.len()..]
            .iter()
            .position(|&b| b == b'\n')
            .unwrap();
        let line: serde_json::Value =
            serde_json::from_slice(&bytes[MAGIC.len()..MAGIC.len() + line_end]).unwrap();
        assert_eq!(line["component"], "bios");
        assert_eq!(
            bytes.len() as u64,
            (MAGIC.len() + line_end + 1) as u64 + DEFAULT_PAYLOAD_SIZE
        );
    }

    #[test]
    fn the_same_inputs_give_the_same_bytes_and_other_versions_differ() {
        assert_eq!(image(1000).0, image(1000).0);
        let mut other = Vec::new();
        let h = ImageBuilder::new(Kind::Bios, "2.14.3")
            .payload_size(1000)
            .write_to(&mut other)
            .unwrap();
        assert_ne!(h.payload_sha256, image(1000).1.payload_sha256);
    }

    #[test]
    fn streaming_verify_in_any_piece_size() {
        // Not a multiple of the piece sizes, so the last piece is short.
        let (bytes, header) = image(100_003);
        for chunk in [1, 7, 65536] {
            assert_eq!(check(&bytes, chunk).unwrap(), header, "chunk {chunk}");
        }
    }

    #[test]
    fn empty_payload_is_valid() {
        let (bytes, header) = image(0);
        assert_eq!(check(&bytes, 3).unwrap(), header);
    }

    #[test]
    fn corrupt_payload_byte_is_a_hash_mismatch() {
        let (mut bytes, _) = image(10_000);
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        let e = check(&bytes, 4096).unwrap_err();
        assert!(matches!(e, ImageError::HashMismatch), "{e}");
        assert!(e.is_corrupt());
    }

    #[test]
    fn truncated_image() {
        let (bytes, _) = image(10_000);
        let e = check(&bytes[..bytes.len() - 10], 4096).unwrap_err();
        assert!(
            matches!(
                e,
                ImageError::Truncated {
                    expected: 10_000,
                    got: 9_990
                }
            ),
            "{e}"
        );
        // Cut inside the header line.
        let e = check(&bytes[..MAGIC.len() + 5], 4096).unwrap_err();
        assert!(matches!(e, ImageError::BadHeader(_)), "{e}");
        assert!(e.is_corrupt());
    }

    #[test]
    fn extra_bytes_are_too_long_as_soon_as_they_arrive() {
        let (mut bytes, _) = image(10_000);
        bytes.push(0);
        let mut v = ImageVerifier::new();
        let (head, tail) = bytes.split_at(bytes.len() - 1);
        v.update(head).unwrap();
        assert!(matches!(v.update(tail), Err(ImageError::TooLong)));
        // A failed verifier keeps failing.
        assert!(matches!(v.update(b""), Err(ImageError::TooLong)));
        assert!(matches!(v.finish(), Err(ImageError::TooLong)));
    }

    #[test]
    fn garbage_is_bad_magic_from_the_first_byte() {
        let mut v = ImageVerifier::new();
        assert!(matches!(v.update(b"P"), Err(ImageError::BadMagic)));
        let e = check(b"PK\x03\x04 this is a zip file", 7).unwrap_err();
        assert!(matches!(e, ImageError::BadMagic), "{e}");
        assert!(matches!(check(b"", 1), Err(ImageError::BadMagic)));
        assert!(matches!(check(b"MOCKFW", 1), Err(ImageError::BadMagic)));
        assert!(matches!(
            check(b"MOCKFW02\n{}\n", 1),
            Err(ImageError::BadMagic)
        ));
    }

    #[test]
    fn bad_json_headers() {
        let sha = "0".repeat(64);
        let cases = [
            "not json".to_string(),
            r#"{"component":"bios"}"#.to_string(),
            format!(
                r#"{{"component":"toaster","version":"1","payload_len":0,"payload_sha256":"{sha}"}}"#
            ),
            r#"{"component":"bios","version":"1","payload_len":0,"payload_sha256":"abc"}"#
                .to_string(),
            format!(
                r#"{{"component":"bios","version":" ","payload_len":0,"payload_sha256":"{sha}"}}"#
            ),
            format!(
                r#"{{"component":"bios","version":"1","payload_len":-1,"payload_sha256":"{sha}"}}"#
            ),
        ];
        for line in cases {
            let bytes = [MAGIC, line.as_bytes(), b"\n"].concat();
            let e = check(&bytes, 5).unwrap_err();
            assert!(matches!(e, ImageError::BadHeader(_)), "{line}: {e}");
            assert!(e.is_corrupt());
        }
    }

    #[test]
    fn a_header_line_without_end_is_refused_before_it_fills_memory() {
        let mut v = ImageVerifier::new();
        v.update(MAGIC).unwrap();
        let piece = vec![b' '; 4096];
        let mut refused = false;
        for _ in 0..=(MAX_HEADER_LEN / piece.len()) {
            if let Err(e) = v.update(&piece) {
                assert!(matches!(e, ImageError::BadHeader(_)), "{e}");
                refused = true;
                break;
            }
        }
        assert!(refused);
    }

    #[test]
    fn the_header_is_known_before_the_payload_ends() {
        let (bytes, header) = image(10_000);
        let mut v = ImageVerifier::new();
        v.update(&bytes[..200]).unwrap();
        assert_eq!(v.header(), Some(&header));
    }

    #[test]
    fn unknown_header_fields_are_ignored_and_models_default_to_any() {
        let mut payload = Vec::new();
        let header = ImageBuilder::new(Kind::Nic, "1.0").payload_size(3).header();
        payload.extend_from_slice(MAGIC);
        payload.extend_from_slice(
            format!(
                r#"{{"component":"nic","version":"1.0","payload_len":3,"payload_sha256":"{}","vendor":"x"}}"#,
                header.payload_sha256.to_ascii_uppercase()
            )
            .as_bytes(),
        );
        payload.push(b'\n');
        let mut body = Vec::new();
        ImageBuilder::new(Kind::Nic, "1.0")
            .payload_size(3)
            .write_to(&mut body)
            .unwrap();
        payload.extend_from_slice(&body[body.len() - 3..]);
        let got = check(&payload, 2).unwrap();
        assert!(got.models.is_empty());
        assert_eq!(got.payload_sha256, header.payload_sha256);
    }

    #[test]
    fn applicability_checks_kind_then_model() {
        let (_, header) = image(0);
        assert_eq!(applicability(&header, "CX-2200", Kind::Bios), Ok(()));
        assert_eq!(
            applicability(&header, "CX-2200", Kind::Bmc),
            Err(NotApplicable::WrongComponent {
                image: Kind::Bios,
                target: Kind::Bmc
            })
        );
        let e = applicability(&header, "CX-4400", Kind::Bios).unwrap_err();
        assert_eq!(
            e,
            NotApplicable::WrongModel {
                image_models: vec!["CX-2200".into()],
                model: "CX-4400".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "the image is for CX-2200, not for model 'CX-4400'"
        );
        let any = ImageHeader {
            models: vec![],
            ..header
        };
        assert_eq!(applicability(&any, "anything", Kind::Bios), Ok(()));
    }

    #[test]
    fn verify_file_reads_and_reports_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bios.fwimg");
        let header = ImageBuilder::new(Kind::Bios, "1.0")
            .payload_size(200_000)
            .write_file(&path)
            .unwrap();
        assert_eq!(verify_file(&path).unwrap(), header);
        let e = verify_file(dir.path().join("missing.fwimg")).unwrap_err();
        assert!(!e.is_corrupt());
        assert!(e.to_string().contains("missing.fwimg"), "{e}");
    }

    /// Fails the test if the writer is ever handed more than one piece at a time,
    /// which would mean the payload was assembled in memory.
    struct PieceWriter {
        total: u64,
        largest: usize,
        verifier: ImageVerifier,
    }

    impl Write for PieceWriter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.largest = self.largest.max(buf.len());
            self.total += buf.len() as u64;
            self.verifier.update(buf).map_err(io::Error::other)?;
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_64_mib_image_streams_through_in_pieces() {
        const SIZE: u64 = 64 << 20;
        let mut w = PieceWriter {
            total: 0,
            largest: 0,
            verifier: ImageVerifier::new(),
        };
        let header = ImageBuilder::new(Kind::Bmc, "7.00.00.01")
            .payload_size(SIZE)
            .write_to(&mut w)
            .unwrap();
        assert!(w.largest <= CHUNK, "a write of {} bytes", w.largest);
        assert!(w.total > SIZE);
        assert_eq!(w.verifier.finish().unwrap(), header);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.fwimg");
        let written = ImageBuilder::new(Kind::Bmc, "7.00.00.01")
            .payload_size(SIZE)
            .write_file(&path)
            .unwrap();
        assert_eq!(written, header);
        assert_eq!(verify_file(&path).unwrap(), header);
    }
}
