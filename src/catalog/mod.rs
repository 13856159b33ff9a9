//! Vendor catalogs and packages: what vendors publish about their firmware,
//! read into typed values, so the repository can be filled from them
//! instead of by hand (docs/CATALOGS.md).
//!
//! - `text`: catalog bytes → UTF-8 text (gzip, UTF-16 with or without a
//!   BOM), streaming and size-capped.
//! - [`dell`]: Dell's `Catalog.xml` ([`dell::DellCatalog`]) and the pure
//!   rules that pick the packages a fleet needs (SystemID, ComponentID, PCI
//!   IDs; Windows DUPs only).
//! - [`hpe`]: HPE `.fwpkg` packages (`payload.json` inside a zip) →
//!   component, version, applicability, and whether iLO's update service
//!   can apply them at all.
//! - [`mirror`]: fetching packages from the operator's mirror (a directory
//!   or an HTTP(S) base URL), resumable and size-bounded, hashing on the
//!   way. Its HTTP client is its own and never sees BMC credentials.
//! - [`import`]: `fwfleet repo import-catalog`: catalog + inventory →
//!   packages fetched, verified against the vendor's digest and added to
//!   the repository, with what each one replaced.
//!
//! The catalog readers and the selection do no network I/O; only `mirror`
//! does, and only to the mirror the operator named.

pub mod dell;
pub mod hpe;
pub mod import;
pub mod mirror;
mod text;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

/// Why a catalog could not be read. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read the catalog {}: {source}\n  check the path and that fwfleet may read it", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {detail}", path.display())]
    Format { path: PathBuf, detail: String },
    #[error("{}: not well-formed XML after {entries} packages (offset {offset} of the text): {detail}\n  the catalog is damaged or truncated; download it again", path.display())]
    Xml {
        path: PathBuf,
        offset: u64,
        entries: usize,
        detail: String,
    },
}
