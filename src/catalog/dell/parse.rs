//! The streaming reader: XML events → [`DellCatalog`], keeping only the
//! elements fwfleet uses. Element names are matched without their
//! namespace prefix: newer Dell catalogs declare a default namespace
//! (`openmanage/cm/dm`), older ones none.

use super::{DellCatalog, Device, SoftwareComponent, SupportedSystem};
use crate::catalog::text::{utf8_reader, TextError};
use crate::catalog::CatalogError;
use crate::inventory::pci::PciIds;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::collections::HashMap;
use std::io::{BufRead, Read};
use std::path::Path;

/// Reads the catalog at `path` (`.xml` or `.xml.gz`, UTF-8 or UTF-16).
pub fn read_catalog_file(path: &Path) -> Result<DellCatalog, CatalogError> {
    let file = std::fs::File::open(path).map_err(|source| CatalogError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    read_catalog(file, path)
}

/// Reads a catalog from `input`; `path` names it in errors.
pub fn read_catalog<R: Read + 'static>(input: R, path: &Path) -> Result<DellCatalog, CatalogError> {
    let text = utf8_reader(input).map_err(|e| match e {
        TextError::Io(source) => CatalogError::Read {
            path: path.to_path_buf(),
            source,
        },
        other => CatalogError::Format {
            path: path.to_path_buf(),
            detail: other.to_string(),
        },
    })?;
    Parser::default().run(text, path)
}

#[derive(Debug, Default)]
struct Parser {
    catalog: DellCatalog,
    /// Local names of the open elements, root first.
    stack: Vec<String>,
    /// The component being read, with its start line for messages.
    component: Option<SoftwareComponent>,
    /// Open `Brand` attributes and display, for the models inside it.
    brand_prefix: Option<String>,
    brand: Option<String>,
    /// Text of the open `Display` or `Hash`, and whether it is the one to
    /// keep (English or unmarked).
    text: Option<String>,
    hash_algorithm: Option<String>,
    criticality_value: Option<String>,
    seen_root: bool,
}

impl Parser {
    fn run(mut self, text: Box<dyn BufRead>, path: &Path) -> Result<DellCatalog, CatalogError> {
        let mut reader = Reader::from_reader(text);
        let mut buf = Vec::new();
        loop {
            let event = reader
                .read_event_into(&mut buf)
                .map_err(|e| CatalogError::Xml {
                    path: path.to_path_buf(),
                    offset: reader.error_position(),
                    entries: self.catalog.components.len(),
                    detail: e.to_string(),
                })?;
            let result = match event {
                Event::Start(e) => self.start(&e, false, path),
                Event::Empty(e) => self.start(&e, true, path),
                Event::End(_) => {
                    self.end();
                    Ok(())
                }
                Event::Text(t) => {
                    self.push_text(&t.xml10_content());
                    Ok(())
                }
                Event::CData(t) => {
                    self.push_text(&t.xml10_content());
                    Ok(())
                }
                Event::GeneralRef(r) => {
                    let s = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => match &*r {
                            "amp" => "&".into(),
                            "lt" => "<".into(),
                            "gt" => ">".into(),
                            "quot" => "\"".into(),
                            "apos" => "'".into(),
                            _ => String::new(),
                        },
                    };
                    self.push_text(&s);
                    Ok(())
                }
                Event::Eof => break,
                _ => Ok(()),
            };
            result?;
            buf.clear();
        }
        if !self.seen_root {
            return Err(CatalogError::Format {
                path: path.to_path_buf(),
                detail: "no <Manifest> element: this is not a Dell catalog".into(),
            });
        }
        Ok(self.catalog)
    }

    fn parent(&self) -> Option<&str> {
        self.stack.last().map(String::as_str)
    }

    fn in_component(&self) -> bool {
        self.stack.iter().any(|s| s == "SoftwareComponent")
    }

    fn start(&mut self, e: &BytesStart<'_>, empty: bool, path: &Path) -> Result<(), CatalogError> {
        let name = e.local_name().as_ref().to_owned();
        let attrs = attributes(e);
        if self.stack.is_empty() {
            if name != "Manifest" {
                return Err(CatalogError::Format {
                    path: path.to_path_buf(),
                    detail: format!(
                        "the root element is <{name}>, not <Manifest>: this is not a Dell catalog"
                    ),
                });
            }
            self.seen_root = true;
            self.catalog.base_location = attrs.get("baseLocation").cloned();
            self.catalog.release_id = attrs.get("releaseID").cloned();
            self.catalog.version = attrs.get("version").cloned();
            self.catalog.date_time = attrs.get("dateTime").cloned();
        } else if name == "SoftwareComponent" && self.stack.len() == 1 {
            self.component = Some(component_from(&attrs));
        } else if self.in_component() {
            self.component_child(&name, &attrs);
        }
        if empty {
            // An empty element opens and closes at once.
            self.stack.push(name);
            self.end();
        } else {
            self.stack.push(name);
        }
        Ok(())
    }

    fn component_child(&mut self, name: &str, attrs: &HashMap<String, String>) {
        let parent = self.parent().map(str::to_owned);
        let Some(c) = self.component.as_mut() else {
            return;
        };
        match (name, parent.as_deref()) {
            ("ComponentType", Some("SoftwareComponent")) => {
                c.component_type = attrs.get("value").cloned();
            }
            ("Criticality", Some("SoftwareComponent")) => {
                self.criticality_value = attrs.get("value").cloned();
            }
            ("Device", Some("SupportedDevices")) => c.devices.push(Device {
                component_id: attrs
                    .get("componentID")
                    .map(|s| s.trim().to_owned())
                    .unwrap_or_else(|| "0".into()),
                ..Device::default()
            }),
            ("PCIInfo", Some("Device")) => {
                let g = |k: &str| attrs.get(k).map(String::as_str);
                if let (Some(d), Some(p)) = (
                    c.devices.last_mut(),
                    PciIds::from_parts(
                        g("vendorID"),
                        g("deviceID"),
                        g("subVendorID"),
                        g("subDeviceID"),
                    ),
                ) {
                    d.pci.push(p);
                }
            }
            ("Brand", Some("SupportedSystems")) => {
                self.brand_prefix = attrs.get("prefix").cloned();
                self.brand = None;
            }
            ("Model", Some("Brand")) => {
                let raw = attrs.get("systemID").map(|s| s.trim().to_owned());
                match raw
                    .as_deref()
                    .and_then(|s| u32::from_str_radix(s, 16).ok().map(|v| (s, v)))
                {
                    Some((_, v)) => c.systems.push(SupportedSystem {
                        system_id: crate::repository::system_id_hex(v),
                        system_id_value: v,
                        brand_prefix: self.brand_prefix.clone(),
                        brand: self.brand.clone(),
                        model: None,
                    }),
                    None => self.catalog.problems.push(format!(
                        "{}: a supported system with systemID {:?} that is not hex was ignored",
                        c.path,
                        raw.unwrap_or_default()
                    )),
                }
            }
            ("Hash", Some("Cryptography")) => {
                self.hash_algorithm = attrs.get("algorithm").cloned();
                self.text = Some(String::new());
            }
            ("Display", _) => {
                let english = attrs
                    .get("lang")
                    .is_none_or(|l| l.eq_ignore_ascii_case("en"));
                self.text = english.then(String::new);
            }
            _ => {}
        }
    }

    fn push_text(&mut self, s: &str) {
        if let Some(t) = self.text.as_mut() {
            t.push_str(s);
        }
    }

    fn end(&mut self) {
        let Some(name) = self.stack.pop() else {
            return;
        };
        let parent = self.parent().map(str::to_owned);
        if name == "SoftwareComponent" && self.stack.len() == 1 {
            if let Some(c) = self.component.take() {
                self.finish_component(c);
            }
            return;
        }
        let Some(c) = self.component.as_mut() else {
            return;
        };
        match name.as_str() {
            "Display" => {
                let Some(text) = self.text.take() else {
                    return;
                };
                let text = text.trim().to_owned();
                if text.is_empty() {
                    return;
                }
                let grand = self
                    .stack
                    .len()
                    .checked_sub(2)
                    .and_then(|i| self.stack.get(i))
                    .map(String::as_str);
                match (parent.as_deref(), grand) {
                    (Some("Name"), Some("SoftwareComponent")) => {
                        c.name.get_or_insert(text);
                    }
                    (Some("Device"), _) => {
                        if let Some(d) = c.devices.last_mut() {
                            d.display.get_or_insert(text);
                        }
                    }
                    (Some("Brand"), _) => {
                        self.brand.get_or_insert(text);
                    }
                    (Some("Model"), Some("Brand")) => {
                        if let Some(s) = c.systems.last_mut() {
                            s.model.get_or_insert(text);
                        }
                    }
                    (Some("Criticality"), _) => {
                        c.criticality = criticality(Some(&text), None);
                    }
                    _ => {}
                }
            }
            "Hash" => {
                let text = self.text.take().unwrap_or_default();
                let algo = self.hash_algorithm.take().unwrap_or_default();
                let hex = text.trim().to_ascii_lowercase();
                if algo.eq_ignore_ascii_case("SHA256") && !hex.is_empty() {
                    c.sha256 = Some(hex);
                } else if algo.eq_ignore_ascii_case("MD5") && !hex.is_empty() {
                    c.hash_md5.get_or_insert(hex);
                }
            }
            "Criticality" => {
                let value = self.criticality_value.take();
                if c.criticality.is_none() {
                    c.criticality = criticality(None, value.as_deref());
                }
            }
            "Brand" => {
                self.brand_prefix = None;
                self.brand = None;
            }
            _ => {}
        }
    }

    fn finish_component(&mut self, c: SoftwareComponent) {
        let mut missing = Vec::new();
        if c.path.trim().is_empty() {
            missing.push("path");
        }
        if c.vendor_version.trim().is_empty() {
            missing.push("vendorVersion");
        }
        if !missing.is_empty() {
            let name = c.name.clone().unwrap_or_else(|| "(no name)".into());
            self.catalog.problems.push(format!(
                "SoftwareComponent {name:?} without {} was skipped",
                missing.join(" and ")
            ));
            return;
        }
        self.catalog.components.push(c);
    }
}

/// Every attribute by local name, values unescaped (malformed ones are
/// dropped: they can only be in attributes fwfleet does not use or
/// reports as missing).
fn attributes(e: &BytesStart<'_>) -> HashMap<String, String> {
    e.attributes()
        .flatten()
        .filter_map(|a| {
            let key = a.key.local_name().as_ref().to_owned();
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()?
                .into_owned();
            Some((key, value))
        })
        .collect()
}

fn component_from(a: &HashMap<String, String>) -> SoftwareComponent {
    let get = |k: &str| {
        a.get(k)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    SoftwareComponent {
        path: get("path").unwrap_or_default(),
        package_id: get("packageID"),
        package_type: get("packageType"),
        vendor_version: get("vendorVersion").unwrap_or_default(),
        dell_version: get("dellVersion"),
        hash_md5: get("hashMD5").map(|h| h.to_ascii_lowercase()),
        sha256: None,
        size: get("size").and_then(|s| s.parse().ok()),
        release_date: get("releaseDate"),
        reboot_required: get("rebootRequired").and_then(|s| {
            match s.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Some(true),
                "false" | "0" | "no" => Some(false),
                _ => None,
            }
        }),
        ..SoftwareComponent::default()
    }
}

/// The display text decides (`Urgent`, `Recommended`, `Optional`; OME's
/// `Critical`). Without one only the value code seen with its text in
/// Dell's catalogs is read (`1`, Recommended); any other is left unknown
/// rather than guessed.
fn criticality(
    display: Option<&str>,
    value: Option<&str>,
) -> Option<crate::repository::Criticality> {
    use crate::repository::Criticality;
    if let Some(d) = display {
        return d.parse().ok();
    }
    match value.map(str::trim) {
        Some("1") => Some(Criticality::Recommended),
        _ => None,
    }
}
