//! Platform classification and named vendor quirks.
//!
//! The platform is classified once from the ServiceRoot (`Vendor`, `Product`,
//! `RedfishVersion`); each vendor deviation is a *named* predicate with a test
//! named after vendor and quirk, so the rest of the code asks "does this BMC
//! delete finished tasks?" rather than "is this a Dell?".

use serde::Serialize;

/// BMC families fwfleet knows the dialect of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Dell,
    Hpe,
    Lenovo,
    Supermicro,
    OpenBmc,
    Ami,
    Generic,
}

/// What a BMC is, as far as its dialect goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Platform {
    pub family: Family,
    pub vendor: Option<String>,
    pub product: Option<String>,
    pub redfish_version: Option<String>,
}

impl Default for Platform {
    /// A BMC that said nothing about itself: the standard dialect.
    fn default() -> Self {
        Platform::classify(None, None, None)
    }
}

impl Platform {
    /// Classify from ServiceRoot fields.
    pub fn classify(
        vendor: Option<&str>,
        product: Option<&str>,
        redfish_version: Option<&str>,
    ) -> Platform {
        let v = vendor.unwrap_or("").to_ascii_lowercase();
        let p = product.unwrap_or("").to_ascii_lowercase();
        let family = if v.contains("dell") || p.contains("idrac") {
            Family::Dell
        } else if v.contains("hpe") || v == "hp" || p.contains("ilo") {
            Family::Hpe
        } else if v.contains("lenovo") || p.contains("xclarity") {
            Family::Lenovo
        } else if v.contains("supermicro") {
            Family::Supermicro
        } else if v.contains("openbmc") || p.contains("bmcweb") {
            Family::OpenBmc
        } else if v.contains("ami") || p.contains("ami redfish") {
            Family::Ami
        } else {
            Family::Generic
        };
        Platform {
            family,
            vendor: vendor.map(str::to_string),
            product: product.map(str::to_string),
            redfish_version: redfish_version.map(str::to_string),
        }
    }

    /// A short name for logs and JSON (`dell`, `hpe`, …).
    pub fn name(&self) -> &'static str {
        match self.family {
            Family::Dell => "dell",
            Family::Hpe => "hpe",
            Family::Lenovo => "lenovo",
            Family::Supermicro => "supermicro",
            Family::OpenBmc => "openbmc",
            Family::Ami => "ami",
            Family::Generic => "generic",
        }
    }

    /// AMI-based BMCs drop required fields inside `$expand` results; a robust
    /// client checks expanded members and reads the incomplete ones one by one
    /// (NOTES §1.3, nv-redfish `bmc_quirks.rs`).
    pub fn expand_may_drop_fields(&self) -> bool {
        matches!(self.family, Family::Ami | Family::Supermicro)
    }

    /// iDRAC deletes a Task seconds after it completes (FIELD-NOTES B1.4): a
    /// 404 on its task URI means "gone", decided from the inventory.
    pub fn deletes_finished_tasks(&self) -> bool {
        self.family == Family::Dell
    }

    /// iLO's task monitor answers 404 as soon as the task is complete
    /// (NOTES §4.1, §7.2): read the Task resource instead.
    pub fn monitor_gone_at_completion(&self) -> bool {
        self.family == Family::Hpe
    }

    /// OpenBMC and iLO run one update at a time and answer 503 to a second.
    pub fn one_update_at_a_time(&self) -> bool {
        matches!(self.family, Family::OpenBmc | Family::Hpe)
    }

    /// Supermicro needs `OnStartUpdateRequest` + `#UpdateService.StartUpdate` (NOTES §7.5).
    pub fn requires_start_update(&self) -> bool {
        self.family == Family::Supermicro
    }

    /// Supermicro X12: the upload's task is a "BMC Verify" / "BIOS Verify"
    /// that ends `Completed` with nothing written; `StartUpdate` then starts
    /// the "… Update" task that writes (bmclib `providers/supermicro/x12.go`,
    /// `docs/x12.md`). A finished Verify task is not a finished update.
    pub fn verify_task_before_start_update(&self, t: &redfish_schemas::Task) -> bool {
        self.family == Family::Supermicro
            && t.name
                .as_deref()
                .is_some_and(|n| n.trim_end().to_ascii_lowercase().ends_with("verify"))
    }

    /// Supermicro's 202 names the task only in `MessageArgs` (NOTES §7.5).
    pub fn task_uri_in_message_args(&self) -> bool {
        self.family == Family::Supermicro
    }

    /// AMI-based Lenovo BMCs (ServiceRoot `Vendor: AMI`, SR635/SR655 class)
    /// want a separate `OemParameters` multipart part with a `FlashType` by
    /// component (FIELD-NOTES B4.21, `lenovo_update_firmware.py`). Lenovo's
    /// own XCC takes the standard form (`UpdateParameters` + `UpdateFile`,
    /// pubs.lenovo.com `xcc2-restapi/simple_update_firmware_post_multi_httppush`,
    /// NOTES §7.4) and is never sent the AMI part: which image it is, and
    /// where it goes, is for XCC to decide from the image.
    pub fn multipart_oem_parameters_part(&self) -> bool {
        self.family == Family::Ami
    }

    /// The `OemParameters.FlashType` of an AMI-based Lenovo BMC for this
    /// component: `HPMFwUpdate` (BMC) or `UEFIUpdate` (BIOS), the two
    /// `lenovo_update_firmware.py` knows; `None` for anything else, which
    /// fwfleet then does not send (the BMC would flash it as a BMC image).
    pub fn flash_type(&self, component: Option<crate::vocab::Kind>) -> Option<&'static str> {
        use crate::vocab::Kind;
        match component {
            Some(Kind::Bios) => Some("UEFIUpdate"),
            Some(Kind::Bmc) | None => Some("HPMFwUpdate"),
            Some(_) => None,
        }
    }

    /// Supermicro X12 resets the BMC's configuration (or the BIOS's ME,
    /// NVRAM and SMBIOS) on an update that does not ask to preserve them;
    /// bmclib sends its `Oem.Supermicro` preserve flags with every update
    /// (`providers/supermicro/x12.go`).
    pub fn supermicro_preserve_flags(&self) -> bool {
        self.family == Family::Supermicro
    }

    /// Supermicro: a BIOS written by its "BIOS Update" task runs after the
    /// next host reset; nothing in the inventory says it is staged (bmclib
    /// `x12.go` power-cycles the host after a BIOS update).
    pub fn host_firmware_waits_for_host_reset(&self) -> bool {
        self.family == Family::Supermicro
    }

    /// iLO's SimpleUpdate flashes only `.bin` and `.signed.flash` images:
    /// others get `200 OK`, no task, and never flash (HPE redfishdocs,
    /// firmware updates part 3). Other images go by multipart push.
    pub fn simple_update_takes_file(&self, file_name: &str) -> bool {
        if self.family != Family::Hpe {
            return true;
        }
        let f = file_name.to_ascii_lowercase();
        f.ends_with(".bin") || f.ends_with(".signed.flash")
    }

    /// OpenBMC's raw `HttpPushUri` updates the BMC image only (NOTES §7.3).
    pub fn raw_push_bmc_only(&self) -> bool {
        self.family == Family::OpenBmc
    }

    /// Dell wants `"Oem": {}` in `UpdateParameters`, no `Targets`, a base file name (FIELD-NOTES B4.22–23).
    pub fn multipart_dell_rules(&self) -> bool {
        self.family == Family::Dell
    }

    /// Dell inventory ids embed state and version (`Installed-159-2.20.1__…`):
    /// never use the Id as a stable identity (FIELD-NOTES B5.30).
    pub fn inventory_ids_embed_version(&self) -> bool {
        self.family == Family::Dell
    }

    /// iDRAC keeps the image an update replaced as a `Previous-…`
    /// FirmwareInventory entry and rolls back to it by SimpleUpdate with
    /// `ImageURI` set to that entry's URI (NOTES §3; dellemc-openmanage
    /// `redfish_firmware_rollback`): `fwfleet rollback` needs no image.
    pub fn keeps_previous_image(&self) -> bool {
        self.family == Family::Dell
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(vendor: &str, product: &str) -> Platform {
        Platform::classify(Some(vendor), Some(product), Some("1.15.0"))
    }

    #[test]
    fn dell_idrac_deletes_finished_tasks_and_embeds_versions_in_ids() {
        let d = p("Dell", "Integrated Dell Remote Access Controller");
        assert_eq!(d.family, Family::Dell);
        assert!(
            d.deletes_finished_tasks()
                && d.inventory_ids_embed_version()
                && d.multipart_dell_rules()
        );
        assert!(!d.monitor_gone_at_completion());
    }

    #[test]
    fn dell_idrac_keeps_previous_images_for_rollback() {
        assert!(p("Dell", "Integrated Dell Remote Access Controller").keeps_previous_image());
        assert!(!p("HPE", "ProLiant DL380 Gen10 Plus").keeps_previous_image());
        assert!(!p("OpenBMC", "bmcweb").keeps_previous_image());
    }

    #[test]
    fn hpe_ilo_monitor_is_gone_at_completion_and_one_update_at_a_time() {
        let h = p("HPE", "ProLiant DL380 Gen10 Plus iLO 5");
        assert!(h.monitor_gone_at_completion() && h.one_update_at_a_time());
    }

    #[test]
    fn openbmc_one_update_at_a_time() {
        let o = p("OpenBMC", "OpenBMC bmcweb");
        assert_eq!(o.family, Family::OpenBmc);
        assert!(o.one_update_at_a_time() && !o.deletes_finished_tasks());
    }

    #[test]
    fn supermicro_start_update_message_args_and_expand_fields() {
        let s = p("Supermicro", "AMI Redfish Server");
        assert!(
            s.requires_start_update() && s.task_uri_in_message_args() && s.expand_may_drop_fields()
        );
    }

    #[test]
    fn supermicro_verify_task_comes_before_start_update() {
        let task = |name: &str| -> redfish_schemas::Task {
            serde_json::from_value(serde_json::json!({
                "@odata.id": "/redfish/v1/TaskService/Tasks/1", "Id": "1", "Name": name
            }))
            .unwrap()
        };
        let smc = p("Supermicro", "");
        assert!(smc.verify_task_before_start_update(&task("BMC Verify")));
        assert!(smc.verify_task_before_start_update(&task("BIOS Verify")));
        assert!(!smc.verify_task_before_start_update(&task("BMC Update")));
        assert!(!p("Contoso", "").verify_task_before_start_update(&task("BMC Verify")));
    }

    #[test]
    fn hpe_ilo_simple_update_takes_bin_and_signed_flash_only() {
        let ilo = p("HPE", "iLO 5");
        assert!(ilo.simple_update_takes_file("U46_2.72.bin"));
        assert!(ilo.simple_update_takes_file("ilo5_246.signed.flash"));
        assert!(!ilo.simple_update_takes_file("U46_2.72.fwimg"));
        assert!(p("Contoso", "").simple_update_takes_file("x.fwimg"));
    }

    #[test]
    fn ami_lenovo_oem_parameters_part() {
        let ami = p("AMI", "ThinkSystem SR635");
        assert!(ami.multipart_oem_parameters_part());
        use crate::vocab::Kind;
        assert_eq!(ami.flash_type(Some(Kind::Bmc)), Some("HPMFwUpdate"));
        assert_eq!(ami.flash_type(Some(Kind::Bios)), Some("UEFIUpdate"));
        assert_eq!(ami.flash_type(Some(Kind::Nic)), None);
    }

    /// Issue 16: a standard XCC takes the standard multipart form; only the
    /// AMI-based Lenovo servers get the `OemParameters` part.
    #[test]
    fn lenovo_xcc_gets_no_oem_parameters_part() {
        let xcc = p("Lenovo", "Lenovo XClarity Controller 2");
        assert_eq!(xcc.family, Family::Lenovo);
        assert!(!xcc.multipart_oem_parameters_part());
        assert!(p("AMI", "ThinkSystem SR635").multipart_oem_parameters_part());
    }

    #[test]
    fn ami_drops_fields_in_expand() {
        assert!(p("AMI", "AMI Redfish Server").expand_may_drop_fields());
    }

    #[test]
    fn unknown_vendors_are_generic_with_no_quirks() {
        let g = Platform::classify(None, None, None);
        assert_eq!(g.family, Family::Generic);
        assert!(
            !g.deletes_finished_tasks()
                && !g.expand_may_drop_fields()
                && !g.requires_start_update()
        );
        assert_eq!(p("Contoso", "Contoso BMC").name(), "generic");
    }
}
