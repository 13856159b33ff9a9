//! Catalog bytes → UTF-8 text, streaming: gzip is unpacked when the file
//! starts with gzip's magic (whatever its name), and UTF-16 (Dell ships
//! `Catalog.xml` as UTF-16LE with a byte order mark) or UTF-8, with or
//! without a BOM, is transcoded to UTF-8 without one, because the XML
//! reader reads UTF-8 only.
//!
//! Nothing holds the whole catalog: the output is produced one buffer at a
//! time, and the unpacked size is capped, so a gzip bomb ends in an error
//! instead of a full disk or memory.

use encoding_rs::{Decoder, UTF_16BE, UTF_16LE, UTF_8};
use std::io::{self, BufRead, BufReader, Read};

/// Unpacked catalogs larger than this are refused. Dell's full enterprise
/// catalog is a few hundred MiB in UTF-16; this leaves room for growth.
pub const MAX_UNPACKED: u64 = 4 * 1024 * 1024 * 1024;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const CAB_MAGIC: &[u8; 4] = b"MSCF";

/// Why catalog bytes cannot be read as text.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error("it is a Microsoft cabinet (.cab), which fwfleet does not unpack\n  extract Catalog.xml from it (cabextract, expand) or use Dell's Catalog.xml.gz")]
    Cabinet,
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// UTF-8 text of the catalog bytes in `input`.
pub fn utf8_reader<R: Read + 'static>(input: R) -> Result<Box<dyn BufRead>, TextError> {
    let mut raw = BufReader::with_capacity(64 * 1024, input);
    let head = raw.fill_buf()?;
    if head.starts_with(CAB_MAGIC) {
        return Err(TextError::Cabinet);
    }
    let unpacked: Box<dyn Read> = if head.starts_with(&GZIP_MAGIC) {
        Box::new(flate2::read::MultiGzDecoder::new(raw))
    } else {
        Box::new(raw)
    };
    let capped = Capped {
        inner: unpacked,
        left: MAX_UNPACKED,
    };
    let mut bytes = BufReader::with_capacity(64 * 1024, capped);
    let head = bytes.fill_buf()?;
    let encoding = match head {
        [0xFF, 0xFE, ..] | [b'<', 0x00, ..] => UTF_16LE,
        [0xFE, 0xFF, ..] | [0x00, b'<', ..] => UTF_16BE,
        _ => UTF_8,
    };
    if encoding == UTF_8 && head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.consume(3);
    }
    if encoding == UTF_8 {
        return Ok(Box::new(bytes));
    }
    Ok(Box::new(BufReader::with_capacity(
        64 * 1024,
        Transcode {
            inner: bytes,
            decoder: encoding.new_decoder_with_bom_removal(),
            done: false,
            pending: Vec::new(),
            pos: 0,
        },
    )))
}

/// Refuses to produce more than `left` bytes.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the catalog unpacks to more than {} GiB; it is not a Dell catalog, or a damaged one",
                    MAX_UNPACKED >> 30
                ),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// UTF-16 → UTF-8, one input buffer at a time; malformed input becomes
/// U+FFFD (it can only be in display text: the markup the reader needs is
/// ASCII). Decoded bytes that do not fit the caller's buffer wait in
/// `pending`, because callers may read a few bytes at a time.
struct Transcode<R> {
    inner: R,
    decoder: Decoder,
    done: bool,
    pending: Vec<u8>,
    pos: usize,
}

impl<R: BufRead> Read for Transcode<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.pending.len() {
            if self.done {
                return Ok(0);
            }
            self.pending.resize(16 * 1024, 0);
            self.pos = 0;
            let input = self.inner.fill_buf()?;
            let last = input.is_empty();
            let (_, read, written, _) = self.decoder.decode_to_utf8(input, &mut self.pending, last);
            self.inner.consume(read);
            self.pending.truncate(written);
            self.done = last;
        }
        let n = out.len().min(self.pending.len() - self.pos);
        out[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn text(bytes: Vec<u8>) -> String {
        let mut s = String::new();
        utf8_reader(io::Cursor::new(bytes))
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        s
    }

    fn utf16le(s: &str, bom: bool) -> Vec<u8> {
        let mut v = if bom { vec![0xFF, 0xFE] } else { vec![] };
        v.extend(s.encode_utf16().flat_map(|u| u.to_le_bytes()));
        v
    }

    #[test]
    fn utf16_with_and_without_bom_utf8_with_bom_and_gzip_all_read_the_same() {
        let xml = "<?xml version=\"1.0\" encoding=\"utf-16\"?><Manifest a=\"é\"/>".repeat(5000);
        assert_eq!(text(utf16le(&xml, true)), xml);
        assert_eq!(text(utf16le(&xml, false)), xml);
        let mut be = vec![0xFE, 0xFF];
        be.extend(xml.encode_utf16().flat_map(|u| u.to_be_bytes()));
        assert_eq!(text(be), xml);
        let mut bom8 = vec![0xEF, 0xBB, 0xBF];
        bom8.extend(xml.as_bytes());
        assert_eq!(text(bom8), xml);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&utf16le(&xml, true)).unwrap();
        assert_eq!(text(gz.finish().unwrap()), xml);
    }

    #[test]
    fn a_cabinet_is_refused_with_what_to_do() {
        let err = utf8_reader(io::Cursor::new(b"MSCF\0\0\0\0".to_vec()))
            .err()
            .unwrap();
        assert!(err.to_string().contains("Catalog.xml.gz"), "{err}");
    }
}
