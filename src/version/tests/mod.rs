//! Tests for the version module, data-driven through one `check` helper per
//! area so a change of representation touches one function:
//!
//! - `corpus`: real vendor strings (Redfish NOTES §7.7, FIELD-NOTES B5) with the
//!   family each must be read as, and ordered pairs with the expected verdict.
//! - `scheme`: `--scheme` spellings and the error for unknown ones.
//! - `report`: the `version-cmp` text and JSON forms.
//! - `props`: property tests — antisymmetry, transitivity, reflexivity, oracles,
//!   and no panics on arbitrary input.

mod corpus;
mod props;
mod report;
mod scheme;
