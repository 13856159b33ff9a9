//! Planner tests: every case goes through [`check`], which plans one host
//! and compares each row (`component action from -> to [image]`) and a
//! fragment of its reason. Versions are real vendor strings (FIELD-NOTES B5,
//! the version corpus).

use std::collections::BTreeMap;

use crate::inventory::model::{
    BmcInfo, Component, HostInventory, Inventory, Kind, Role, SystemInfo,
};
use crate::version::VersionScheme;

use super::*;

use Kind::{Bios, Bmc, Cpld, Drive, Nic, Psu};

/// An active, updateable component whose id and identity are `id`.
fn comp(id: &str, kind: Kind, version: &str) -> Component {
    Component {
        id: id.to_owned(),
        name: id.to_owned(),
        kind,
        version: Some(version.to_owned()),
        updateable: true,
        software_id: None,
        role: Role::Active,
        identity: id.to_owned(),
        uri: format!("/redfish/v1/UpdateService/FirmwareInventory/{id}"),
        lowest_supported_version: None,
        version_scheme: None,
        manufacturer: None,
        write_protected: false,
        pci: None,
        reset_required_on_update: None,
    }
}

/// The same component identity in another role (backup, staged, previous).
fn copy(c: &Component, id: &str, role: Role, version: &str) -> Component {
    Component {
        id: id.to_owned(),
        role,
        version: Some(version.to_owned()),
        ..c.clone()
    }
}

fn img(file: &str, kind: Kind, version: &str) -> ImageRef {
    ImageRef::new(file, kind, version)
}

fn min_from(i: ImageRef, v: &str) -> ImageRef {
    ImageRef {
        min_from_version: Some(v.to_owned()),
        ..i
    }
}

fn needs(mut i: ImageRef, kind: Kind, v: &str) -> ImageRef {
    i.prerequisites.push((kind, v.to_owned()));
    i
}

fn host(name: &str, components: Vec<Component>) -> HostInventory {
    HostInventory {
        name: name.to_owned(),
        url: format!("https://{name}.bmc.example"),
        ok: true,
        error: None,
        system: SystemInfo {
            manufacturer: Some("Contoso".to_owned()),
            model: Some("R750".to_owned()),
            ..SystemInfo::default()
        },
        bmc: BmcInfo::default(),
        components,
        software: Vec::new(),
        duration_ms: 0,
    }
}

fn failed_host(name: &str, error: &str) -> HostInventory {
    HostInventory {
        ok: false,
        error: Some(error.to_owned()),
        ..host(name, Vec::new())
    }
}

/// The repository stand-in: images of the component's kind, and of its
/// SoftwareId when both have one (applicability is the repository's job;
/// this is just enough of it).
fn source(
    images: &[ImageRef],
) -> impl Fn(&Component, Option<&str>, Option<&str>) -> Vec<ImageRef> + '_ {
    move |c, manufacturer, model| {
        assert_eq!((manufacturer, model), (Some("Contoso"), Some("R750")));
        images
            .iter()
            .filter(|i| i.kind == c.kind)
            .filter(|i| match (&i.software_id, &c.software_id) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            })
            .cloned()
            .collect()
    }
}

fn row(s: &Step) -> String {
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".to_owned());
    format!(
        "{} {} {} -> {} [{}]",
        s.component,
        s.action,
        opt(&s.from),
        opt(&s.to),
        opt(&s.image)
    )
}

/// Plans one host of `components` against `images` under `policy` and
/// checks the rows in order: each `(row, reason fragment)`.
#[track_caller]
fn check(
    components: Vec<Component>,
    images: &[ImageRef],
    policy: Policy,
    expected: &[(&str, &str)],
) {
    let plan = plan_host(&host("h1", components), &source(images), &policy);
    assert!(plan.ok && plan.error.is_none());
    let got: Vec<(String, &str)> = plan
        .steps
        .iter()
        .map(|s| (row(s), s.reason.as_str()))
        .collect();
    let ok = got.len() == expected.len()
        && got
            .iter()
            .zip(expected)
            .all(|((r, reason), (er, fragment))| r == er && reason.contains(fragment));
    assert!(
        ok,
        "\nexpected:\n{}\ngot:\n{}",
        expected
            .iter()
            .map(|(r, f)| format!("  {r}  | …{f}…"))
            .collect::<Vec<_>>()
            .join("\n"),
        got.iter()
            .map(|(r, reason)| format!("  {r}  | {reason}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
}

fn allow_downgrade() -> Policy {
    Policy {
        allow_downgrade: true,
        ..Policy::default()
    }
}

// --- one outcome per component -------------------------------------------

#[test]
fn ilo_upgrade_carries_method_and_apply_time() {
    let image = ImageRef {
        method: Some(crate::vocab::Method::SimpleUpdate),
        apply_time: Some("Immediate".to_owned()),
        ..img("ilo5_255.fwpkg", Bmc, "2.55 Oct 01 2021")
    };
    check(
        vec![comp("1", Bmc, "2.46 May 11 2021")],
        std::slice::from_ref(&image),
        Policy::default(),
        &[(
            "1 upgrade 2.46 May 11 2021 -> 2.55 Oct 01 2021 [ilo5_255.fwpkg]",
            "newer image in the repository (iLO version 2.46 < 2.55",
        )],
    );
    let plan = plan_host(
        &host("h1", vec![comp("1", Bmc, "2.46 May 11 2021")]),
        &source(&[image]),
        &Policy::default(),
    );
    let step = &plan.steps[0];
    assert_eq!(
        (step.method.as_deref(), step.apply_time.as_deref()),
        (Some("simple-update"), Some("Immediate"))
    );
}

#[test]
fn up_to_date() {
    check(
        vec![comp("iDRAC.Embedded.1", Bmc, "7.00.00.00")],
        &[img("iDRAC_7.00.00.00.exe", Bmc, "7.00.00.00")],
        Policy::default(),
        &[(
            "iDRAC.Embedded.1 up-to-date 7.00.00.00 -> 7.00.00.00 [iDRAC_7.00.00.00.exe]",
            "runs the newest image",
        )],
    );
}

#[test]
fn newest_candidate_is_the_target() {
    // "4.10" > "4.2": the order is numeric, not textual.
    check(
        vec![comp("bmc", Bmc, "4.2")],
        &[
            img("bmc-4.10.bin", Bmc, "4.10"),
            img("bmc-4.9.bin", Bmc, "4.9"),
            img("bmc-4.2.bin", Bmc, "4.2"),
        ],
        Policy::default(),
        &[("bmc upgrade 4.2 -> 4.10 [bmc-4.10.bin]", "4.2 < 4.10")],
    );
}

#[test]
fn hpe_rom_family_mismatch_is_version_unknown() {
    check(
        vec![comp("System ROM", Bios, "U46 v2.72 (03/10/2023)")],
        &[img("A43_2.80.fwpkg", Bios, "A43 v2.80")],
        Policy::default(),
        &[(
            "System ROM version-unknown U46 v2.72 (03/10/2023) -> A43 v2.80 [A43_2.80.fwpkg]",
            "different ROM families (U46 vs A43)",
        )],
    );
}

#[test]
fn opaque_drive_firmware_is_version_unknown() {
    // fwupd read 5101AALB > 51H0AALB as 5101 > 51 (FIELD-NOTES B5 #32).
    check(
        vec![comp("Disk.Bay.0", Drive, "5101AALB")],
        &[img("ssd-51H0AALB.bin", Drive, "51H0AALB")],
        Policy::default(),
        &[(
            "Disk.Bay.0 version-unknown 5101AALB -> 51H0AALB [ssd-51H0AALB.bin]",
            "cannot order 5101AALB and the newest image 51H0AALB",
        )],
    );
}

#[test]
fn unorderable_candidates_are_version_unknown() {
    check(
        vec![comp("Disk.Bay.0", Drive, "5101AALB")],
        &[
            img("ssd-a.bin", Drive, "5101AALB"),
            img("ssd-b.bin", Drive, "51H0AALB"),
        ],
        Policy::default(),
        &[(
            "Disk.Bay.0 version-unknown 5101AALB -> - [-]",
            "repository images cannot be ordered: ssd-a.bin (5101AALB) vs ssd-b.bin (51H0AALB)",
        )],
    );
}

#[test]
fn missing_or_placeholder_version_is_version_unknown() {
    let mut none = comp("psu0", Psu, "");
    none.version = None;
    check(
        vec![none, comp("psu1", Psu, "N/A")],
        &[img("psu-1.2.bin", Psu, "1.2")],
        Policy::default(),
        &[
            ("psu0 version-unknown - -> - [-]", "reports no version"),
            (
                "psu1 version-unknown N/A -> 1.2 [psu-1.2.bin]",
                "not a version",
            ),
        ],
    );
}

#[test]
fn a_version_with_control_characters_is_kept_raw_and_version_unknown() {
    // Issue 16 item 7: iLO reported `"0\x14"` for a drive (Cray XL675d
    // capture). Cleaned it would read as `0`, and `1.2.3\n` as `1.2.3`:
    // an upgrade and an up-to-date decided on a version nobody reported.
    check(
        vec![comp("27", Drive, "0\u{14}"), comp("psu", Psu, "1.2.3\n")],
        &[
            img("drive-1.bin", Drive, "1"),
            img("psu-1.2.3.bin", Psu, "1.2.3"),
        ],
        Policy::default(),
        &[
            (
                "27 version-unknown 0\u{14} -> 1 [drive-1.bin]",
                "a is not a version: contains control characters",
            ),
            (
                "psu version-unknown 1.2.3\n -> 1.2.3 [psu-1.2.3.bin]",
                "a is not a version: contains control characters",
            ),
        ],
    );
}

#[test]
fn idrac_newer_than_repository_is_not_downgraded() {
    check(
        vec![comp("iDRAC.Embedded.1", Bmc, "7.00.00.00")],
        &[img("iDRAC_6.10.30.00.exe", Bmc, "6.10.30.00")],
        Policy::default(),
        &[(
            "iDRAC.Embedded.1 newer-than-repository 7.00.00.00 -> 6.10.30.00 [iDRAC_6.10.30.00.exe]",
            "downgrade not allowed",
        )],
    );
}

#[test]
fn downgrade_allowed_by_policy() {
    check(
        vec![comp("iDRAC.Embedded.1", Bmc, "7.00.00.00")],
        &[img("iDRAC_6.10.30.00.exe", Bmc, "6.10.30.00")],
        allow_downgrade(),
        &[(
            "iDRAC.Embedded.1 downgrade 7.00.00.00 -> 6.10.30.00 [iDRAC_6.10.30.00.exe]",
            "downgrade allowed by the policy",
        )],
    );
}

#[test]
fn downgrade_allowed_by_image() {
    let image = ImageRef {
        allow_downgrade: true,
        ..img("iDRAC_6.10.30.00.exe", Bmc, "6.10.30.00")
    };
    check(
        vec![comp("iDRAC.Embedded.1", Bmc, "7.00.00.00")],
        &[image],
        Policy::default(),
        &[(
            "iDRAC.Embedded.1 downgrade 7.00.00.00 -> 6.10.30.00 [iDRAC_6.10.30.00.exe]",
            "downgrade allowed by the image",
        )],
    );
}

#[test]
fn downgrade_below_lowest_supported_version_is_blocked() {
    let mut idrac = comp("iDRAC.Embedded.1", Bmc, "7.00.00.00");
    idrac.lowest_supported_version = Some("6.50.00.00".to_owned());
    check(
        vec![idrac],
        &[img("iDRAC_6.10.30.00.exe", Bmc, "6.10.30.00")],
        allow_downgrade(),
        &[(
            "iDRAC.Embedded.1 blocked 7.00.00.00 -> 6.10.30.00 [iDRAC_6.10.30.00.exe]",
            "6.10.30.00 is below the lowest supported version 6.50.00.00",
        )],
    );
}

#[test]
fn placeholder_lowest_supported_version_states_nothing() {
    let mut idrac = comp("iDRAC.Embedded.1", Bmc, "6.10.30.00");
    idrac.lowest_supported_version = Some("N/A".to_owned());
    check(
        vec![idrac],
        &[img("iDRAC_7.00.00.00.exe", Bmc, "7.00.00.00")],
        Policy::default(),
        &[(
            "iDRAC.Embedded.1 upgrade 6.10.30.00 -> 7.00.00.00 [iDRAC_7.00.00.00.exe]",
            "6.10.30.00 < 7.00.00.00",
        )],
    );
}

#[test]
fn no_image() {
    check(
        vec![comp("NIC.Slot.1-1", Nic, "22.31.6")],
        &[img("bios.bin", Bios, "2.19.1")],
        Policy::default(),
        &[(
            "NIC.Slot.1-1 no-image 22.31.6 -> - [-]",
            "no repository image applies to NIC.Slot.1-1",
        )],
    );
}

#[test]
fn not_updateable() {
    let mut cpld = comp("CPLD", Cpld, "1.0.6");
    cpld.updateable = false;
    check(
        vec![cpld],
        &[img("cpld-1.0.9.bin", Cpld, "1.0.9")],
        Policy::default(),
        &[("CPLD not-updateable 1.0.6 -> - [-]", "not updateable")],
    );
}

#[test]
fn write_protected_is_blocked() {
    let mut bios = comp("BIOS", Bios, "2.10.2");
    bios.write_protected = true;
    check(
        vec![bios],
        &[img("BIOS_2.19.1.exe", Bios, "2.19.1")],
        Policy::default(),
        &[(
            "BIOS blocked 2.10.2 -> 2.19.1 [BIOS_2.19.1.exe]",
            "write-protected",
        )],
    );
}

#[test]
fn scheme_override_reads_bare_hex() {
    let images = [img("psu-0E.bin", Psu, "0E")];
    check(
        vec![comp("PSU1", Psu, "0D")],
        &images,
        Policy::default(),
        &[("PSU1 version-unknown 0D -> 0E [psu-0E.bin]", "cannot order")],
    );
    let policy = Policy {
        scheme_overrides: BTreeMap::from([(Psu, VersionScheme::Hex)]),
        ..Policy::default()
    };
    check(
        vec![comp("PSU1", Psu, "0D")],
        &images,
        policy,
        &[("PSU1 upgrade 0D -> 0E [psu-0E.bin]", "newer image")],
    );
}

// --- roles: staged, backup, previous --------------------------------------

#[test]
fn staged_entry_means_staged_pending() {
    let bios = comp("BIOS", Bios, "U46 v1.56 (11/29/2021)");
    let staged = copy(&bios, "BIOS-Staged", Role::Staged, "U46 v2.72 (03/10/2023)");
    check(
        vec![bios, staged],
        &[img("U46_2.72.fwpkg", Bios, "U46 v2.72 (03/10/2023)")],
        Policy::default(),
        &[(
            "BIOS staged-pending U46 v1.56 (11/29/2021) -> U46 v2.72 (03/10/2023) [-]",
            "is staged and waits for a reset",
        )],
    );
}

/// Dell keeps `Available-…` listed after the install: the version already
/// runs, so nothing waits for a reset (FIELD-NOTES B5.30).
#[test]
fn dell_available_package_of_the_running_version_is_not_staged_pending() {
    let bios = comp("BIOS", Bios, "2.20.4");
    let available = copy(&bios, "Available-159-2.20.4", Role::Available, "2.20.4");
    check(
        vec![bios, available],
        &[img("bios_2.20.4.exe", Bios, "2.20.4")],
        Policy::default(),
        &[(
            "BIOS up-to-date 2.20.4 -> 2.20.4 [bios_2.20.4.exe]",
            "newest",
        )],
    );
}

/// Issue 16: a Dell `Available-` package of a newer version is uploaded,
/// not installed: nothing waits for a reset (a held update is a `Scheduled`
/// job, which the updater's pre-flight finds), so the upgrade is planned.
#[test]
fn dell_available_package_of_a_newer_version_is_not_staged_pending() {
    let bios = comp("BIOS", Bios, "2.19.1");
    let available = copy(&bios, "Available-159-2.20.4", Role::Available, "2.20.4");
    check(
        vec![bios, available],
        &[img("bios_2.20.4.exe", Bios, "2.20.4")],
        Policy::default(),
        &[(
            "BIOS upgrade 2.19.1 -> 2.20.4 [bios_2.20.4.exe]",
            "newer image",
        )],
    );
}

#[test]
fn backup_and_previous_entries_are_ignored() {
    let ilo = comp("1", Bmc, "2.55 Oct 01 2021");
    let backup = copy(&ilo, "2", Role::Backup, "2.46 May 11 2021");
    let previous = copy(&ilo, "Previous-1", Role::Previous, "2.40 Jan 01 2021");
    check(
        vec![backup, ilo, previous],
        &[img("ilo5_255.fwpkg", Bmc, "2.55 Oct 01 2021")],
        Policy::default(),
        &[(
            "1 up-to-date 2.55 Oct 01 2021 -> 2.55 Oct 01 2021 [ilo5_255.fwpkg]",
            "newest",
        )],
    );
}

// --- prerequisites ---------------------------------------------------------

#[test]
fn prerequisite_met_by_running_bmc() {
    check(
        vec![
            comp("BIOS", Bios, "2.10.2"),
            comp("iDRAC", Bmc, "7.00.00.00"),
        ],
        &[needs(
            img("BIOS_2.19.1.exe", Bios, "2.19.1"),
            Bmc,
            "6.00.00.00",
        )],
        Policy::default(),
        &[
            ("iDRAC no-image 7.00.00.00 -> - [-]", "no repository image"),
            (
                "BIOS upgrade 2.10.2 -> 2.19.1 [BIOS_2.19.1.exe]",
                "2.10.2 < 2.19.1)",
            ),
        ],
    );
}

/// `--kinds bios` (issue 18): the BMC row is left out, and the BMC update
/// the BIOS would need is not planned, so the BIOS is blocked saying why.
#[test]
fn kinds_leave_other_kinds_out_and_unplanned() {
    let policy = Policy {
        kinds: vec![Bios],
        ..Policy::default()
    };
    check(
        vec![
            comp("BIOS", Bios, "2.10.2"),
            comp("iDRAC", Bmc, "5.10.00.00"),
        ],
        &[
            needs(img("BIOS_2.19.1.exe", Bios, "2.19.1"), Bmc, "6.00.00.00"),
            img("iDRAC_7.00.00.00.exe", Bmc, "7.00.00.00"),
        ],
        policy,
        &[(
            "BIOS blocked 2.10.2 -> 2.19.1 [BIOS_2.19.1.exe]",
            "needs bmc ≥ 6.00.00.00, but bmc runs 5.10.00.00 and the plan does not upgrade it",
        )],
    );
    let only_bmc = Policy {
        kinds: vec![Bmc],
        ..Policy::default()
    };
    check(
        vec![
            comp("BIOS", Bios, "2.10.2"),
            comp("iDRAC", Bmc, "5.10.00.00"),
        ],
        &[img("iDRAC_7.00.00.00.exe", Bmc, "7.00.00.00")],
        only_bmc,
        &[(
            "iDRAC upgrade 5.10.00.00 -> 7.00.00.00 [iDRAC_7.00.00.00.exe]",
            "newer image",
        )],
    );
}

#[test]
fn prerequisite_met_by_earlier_bmc_step() {
    // The operator asked for BIOS first; the dependency still puts the BMC
    // step ahead of the BIOS step that needs it.
    let policy = Policy {
        order: vec![Bios, Bmc],
        ..Policy::default()
    };
    check(
        vec![comp("BIOS", Bios, "2.10.2"), comp("iDRAC", Bmc, "5.10.00.00")],
        &[
            needs(img("BIOS_2.19.1.exe", Bios, "2.19.1"), Bmc, "6.00.00.00"),
            img("iDRAC_7.00.00.00.exe", Bmc, "7.00.00.00"),
        ],
        policy,
        &[
            ("iDRAC upgrade 5.10.00.00 -> 7.00.00.00 [iDRAC_7.00.00.00.exe]", "newer image"),
            (
                "BIOS upgrade 2.10.2 -> 2.19.1 [BIOS_2.19.1.exe]",
                "needs bmc ≥ 6.00.00.00, reached by the bmc upgrade to 7.00.00.00 planned before it",
            ),
        ],
    );
}

#[test]
fn prerequisite_unmet_is_blocked() {
    check(
        vec![
            comp("BIOS", Bios, "2.10.2"),
            comp("iDRAC", Bmc, "5.10.00.00"),
        ],
        &[needs(
            img("BIOS_2.19.1.exe", Bios, "2.19.1"),
            Bmc,
            "6.00.00.00",
        )],
        Policy::default(),
        &[
            ("iDRAC no-image 5.10.00.00 -> - [-]", ""),
            (
                "BIOS blocked 2.10.2 -> 2.19.1 [BIOS_2.19.1.exe]",
                "needs bmc ≥ 6.00.00.00, but bmc runs 5.10.00.00 and the plan does not upgrade it",
            ),
        ],
    );
}

#[test]
fn prerequisite_not_reached_by_planned_step_is_blocked() {
    check(
        vec![
            comp("BIOS", Bios, "2.10.2"),
            comp("iDRAC", Bmc, "5.00.00.00"),
        ],
        &[
            needs(img("BIOS_2.19.1.exe", Bios, "2.19.1"), Bmc, "6.00.00.00"),
            img("iDRAC_5.10.00.00.exe", Bmc, "5.10.00.00"),
        ],
        Policy::default(),
        &[
            (
                "iDRAC upgrade 5.00.00.00 -> 5.10.00.00 [iDRAC_5.10.00.00.exe]",
                "",
            ),
            (
                "BIOS blocked 2.10.2 -> 2.19.1 [BIOS_2.19.1.exe]",
                "the plan takes bmc to 5.10.00.00 only",
            ),
        ],
    );
}

#[test]
fn prerequisite_on_missing_kind_is_blocked() {
    check(
        vec![comp("BIOS", Bios, "2.10.2")],
        &[needs(img("BIOS_2.19.1.exe", Bios, "2.19.1"), Cpld, "1.0.9")],
        Policy::default(),
        &[(
            "BIOS blocked 2.10.2 -> 2.19.1 [BIOS_2.19.1.exe]",
            "needs cpld ≥ 1.0.9, but the host reports no active cpld",
        )],
    );
}

#[test]
fn circular_prerequisites_are_blocked() {
    check(
        vec![
            comp("BIOS", Bios, "2.10.2"),
            comp("iDRAC", Bmc, "5.10.00.00"),
        ],
        &[
            needs(img("BIOS_2.19.1.exe", Bios, "2.19.1"), Bmc, "7.00.00.00"),
            needs(
                img("iDRAC_7.00.00.00.exe", Bmc, "7.00.00.00"),
                Bios,
                "2.19.1",
            ),
        ],
        Policy::default(),
        &[
            (
                "iDRAC blocked 5.10.00.00 -> 7.00.00.00 [iDRAC_7.00.00.00.exe]",
                "circular prerequisites",
            ),
            (
                "BIOS blocked 2.10.2 -> 2.19.1 [BIOS_2.19.1.exe]",
                "circular prerequisites",
            ),
        ],
    );
}

// --- upgrade paths ---------------------------------------------------------

#[test]
fn upgrade_path_through_intermediate_images() {
    // Old iDRACs must reach 2.61 before 2.75, and 2.70+ before 4.40
    // (dell/iDRAC-Redfish-Scripting#118, FIELD-NOTES B5 #36).
    check(
        vec![comp("iDRAC", Bmc, "2.50.50.50")],
        &[
            min_from(img("iDRAC_4.40.00.00.exe", Bmc, "4.40.00.00"), "2.70.70.70"),
            img("iDRAC_2.61.60.60.exe", Bmc, "2.61.60.60"),
            min_from(img("iDRAC_2.75.75.75.exe", Bmc, "2.75.75.75"), "2.61.60.60"),
        ],
        Policy::default(),
        &[
            (
                "iDRAC upgrade 2.50.50.50 -> 2.61.60.60 [iDRAC_2.61.60.60.exe]",
                "upgrade path step 1 of 3 (numbers 2.50.50.50 < 2.61.60.60): 2.75.75.75 needs 2.61.60.60 or newer",
            ),
            (
                "iDRAC upgrade 2.61.60.60 -> 2.75.75.75 [iDRAC_2.75.75.75.exe]",
                "upgrade path step 2 of 3 (numbers 2.61.60.60 < 2.75.75.75): 4.40.00.00 needs 2.70.70.70 or newer",
            ),
            (
                "iDRAC upgrade 2.75.75.75 -> 4.40.00.00 [iDRAC_4.40.00.00.exe]",
                "upgrade path step 3 of 3",
            ),
        ],
    );
}

#[test]
fn upgrade_skips_intermediates_when_allowed() {
    check(
        vec![comp("iDRAC", Bmc, "2.75.75.75")],
        &[
            img("iDRAC_2.61.60.60.exe", Bmc, "2.61.60.60"),
            min_from(img("iDRAC_4.40.00.00.exe", Bmc, "4.40.00.00"), "2.70.70.70"),
        ],
        Policy::default(),
        &[(
            "iDRAC upgrade 2.75.75.75 -> 4.40.00.00 [iDRAC_4.40.00.00.exe]",
            "newer image in the repository",
        )],
    );
}

#[test]
fn no_upgrade_chain_is_blocked() {
    check(
        vec![comp("iDRAC", Bmc, "2.50.50.50")],
        &[min_from(
            img("iDRAC_4.40.00.00.exe", Bmc, "4.40.00.00"),
            "2.70.70.70",
        )],
        Policy::default(),
        &[(
            "iDRAC blocked 2.50.50.50 -> 4.40.00.00 [iDRAC_4.40.00.00.exe]",
            "needs an intermediate image ≥ 2.70.70.70",
        )],
    );
}

/// Issue 19: when no chain reaches the newest image, the plan takes the
/// newest image it can reach and says which one it holds back and why
/// (this was a plain `blocked` row before).
#[test]
fn upgrade_chain_that_stops_half_way_falls_back_to_the_reachable_image() {
    let images = [
        img("iDRAC_2.61.60.60.exe", Bmc, "2.61.60.60"),
        min_from(img("iDRAC_4.40.00.00.exe", Bmc, "4.40.00.00"), "2.70.70.70"),
    ];
    check(
        vec![comp("iDRAC", Bmc, "2.50.50.50")],
        &images,
        Policy::default(),
        &[(
            "iDRAC upgrade 2.50.50.50 -> 2.61.60.60 [iDRAC_2.61.60.60.exe]",
            "the newest image 4.40.00.00 (iDRAC_4.40.00.00.exe) is held back: no chain of repository images leads from 2.50.50.50 to 4.40.00.00 (the path stops at 2.61.60.60): 4.40.00.00 needs 2.70.70.70 or newer; needs an intermediate image ≥ 2.70.70.70",
        )],
    );
    let plan = plan_host(
        &host("h1", vec![comp("iDRAC", Bmc, "2.50.50.50")]),
        &source(&images),
        &Policy::default(),
    );
    let held = plan.steps[0].held_back.as_ref().expect("names the newest");
    assert_eq!(
        (held.image.as_str(), held.version.as_str(), held.action),
        ("iDRAC_4.40.00.00.exe", "4.40.00.00", Action::Blocked)
    );
}

#[test]
fn unreadable_min_from_version_is_version_unknown() {
    check(
        vec![comp("iDRAC", Bmc, "2.50.50.50")],
        &[min_from(
            img("iDRAC_4.40.00.00.exe", Bmc, "4.40.00.00"),
            "latest",
        )],
        Policy::default(),
        &[(
            "iDRAC version-unknown 2.50.50.50 -> 4.40.00.00 [iDRAC_4.40.00.00.exe]",
            "cannot tell whether 2.50.50.50 meets latest",
        )],
    );
}

// --- order -----------------------------------------------------------------

#[test]
fn default_order_is_bmc_bios_then_devices() {
    check(
        vec![
            comp("Disk.Bay.0", Drive, "1.0"),
            comp("NIC.Slot.1-1", Nic, "22.31.6"),
            comp("BIOS", Bios, "2.10.2"),
            comp("CPLD", Cpld, "1.0.6"),
            comp("iDRAC", Bmc, "6.10.30.00"),
        ],
        &[
            img("disk.bin", Drive, "1.1"),
            img("nic.bin", Nic, "22.36.6"),
            img("bios.exe", Bios, "2.19.1"),
            img("cpld.bin", Cpld, "1.0.9"),
            img("idrac.exe", Bmc, "7.00.00.00"),
        ],
        Policy::default(),
        &[
            ("iDRAC upgrade 6.10.30.00 -> 7.00.00.00 [idrac.exe]", ""),
            ("BIOS upgrade 2.10.2 -> 2.19.1 [bios.exe]", ""),
            ("CPLD upgrade 1.0.6 -> 1.0.9 [cpld.bin]", ""),
            ("NIC.Slot.1-1 upgrade 22.31.6 -> 22.36.6 [nic.bin]", ""),
            ("Disk.Bay.0 upgrade 1.0 -> 1.1 [disk.bin]", ""),
        ],
    );
}

#[test]
fn policy_order_wins_and_unlisted_kinds_come_last() {
    let policy = Policy {
        order: vec![Nic, Bios],
        ..Policy::default()
    };
    check(
        vec![
            comp("iDRAC", Bmc, "6.10.30.00"),
            comp("BIOS", Bios, "2.10.2"),
            comp("NIC.Slot.1-1", Nic, "22.31.6"),
        ],
        &[
            img("idrac.exe", Bmc, "7.00.00.00"),
            img("bios.exe", Bios, "2.19.1"),
            img("nic.bin", Nic, "22.36.6"),
        ],
        policy,
        &[
            ("NIC.Slot.1-1 upgrade 22.31.6 -> 22.36.6 [nic.bin]", ""),
            ("BIOS upgrade 2.10.2 -> 2.19.1 [bios.exe]", ""),
            ("iDRAC upgrade 6.10.30.00 -> 7.00.00.00 [idrac.exe]", ""),
        ],
    );
}

// --- whole plans: failed hosts, summary, renderings ------------------------

fn fleet() -> (Inventory, Vec<ImageRef>) {
    let images = vec![
        img("ilo5_255.fwpkg", Bmc, "2.55 Oct 01 2021"),
        img("U46_2.72.fwpkg", Bios, "U46 v2.72 (03/10/2023)"),
    ];
    let inventory = Inventory {
        scanned_at: "2025-01-01T00:00:00Z".to_owned(),
        hosts: vec![
            // Compliant: up to date, and a NIC without an image.
            host(
                "compliant",
                vec![
                    comp("1", Bmc, "2.55 Oct 01 2021"),
                    comp("NIC.Slot.1 \"Port 1\", 25GbE", Nic, "1.0"),
                ],
            ),
            // Needs work: an upgrade and a ROM it cannot judge.
            host(
                "behind",
                vec![
                    comp("1", Bmc, "2.46 May 11 2021"),
                    comp("System ROM", Bios, "A43 v2.52 (10/29/2021)"),
                ],
            ),
            failed_host("down", "connect to https://down.bmc.example: timed out after 10s\n  check that the BMC is reachable"),
        ],
    };
    (inventory, images)
}

#[test]
fn failed_host_has_error_and_no_steps() {
    let (inventory, images) = fleet();
    let plan = plan(&inventory, &source(&images), &Policy::default());
    let down = &plan.hosts[2];
    assert_eq!(
        (down.name.as_str(), down.ok, down.steps.len()),
        ("down", false, 0)
    );
    assert!(down
        .error
        .as_deref()
        .unwrap()
        .starts_with("connect to https://down"));
}

#[test]
fn summary_counts() {
    let (inventory, images) = fleet();
    let plan = plan(&inventory, &source(&images), &Policy::default());
    let s = &plan.summary;
    assert_eq!((s.hosts, s.hosts_compliant, s.hosts_failed), (3, 1, 1));
    let nonzero: Vec<(&str, usize)> = s
        .steps_by_action
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(a, n)| (a.as_str(), *n))
        .collect();
    assert_eq!(
        nonzero,
        [
            ("no-image", 1),
            ("up-to-date", 1),
            ("upgrade", 1),
            ("version-unknown", 1)
        ]
    );
    assert_eq!(s.steps_by_action.len(), Action::ALL.len());
}

#[test]
fn json_shape() {
    let (inventory, images) = fleet();
    let plan = plan(&inventory, &source(&images), &Policy::default());
    let json = serde_json::to_value(&plan).unwrap();
    let step = &json["hosts"][1]["steps"][0];
    assert_eq!(json["hosts"][1]["name"], "behind");
    assert_eq!(
        (
            &step["component"],
            &step["kind"],
            &step["from"],
            &step["to"],
            &step["action"],
            &step["image"]
        ),
        (
            &"1".into(),
            &"bmc".into(),
            &"2.46 May 11 2021".into(),
            &"2.55 Oct 01 2021".into(),
            &"upgrade".into(),
            &"ilo5_255.fwpkg".into()
        )
    );
    assert!(step["reason"].is_string());
    assert_eq!(json["hosts"][2]["ok"], false);
    assert_eq!(json["summary"]["hosts_compliant"], 1);
    assert_eq!(json["summary"]["steps_by_action"]["version-unknown"], 1);
    // The JSON reads back: the store and the daemon keep plans.
    let back: Plan = serde_json::from_value(json).unwrap();
    assert_eq!(back, plan);
}

#[test]
fn csv_quotes_per_rfc_4180() {
    let (inventory, images) = fleet();
    let plan = plan(&inventory, &source(&images), &Policy::default());
    let csv = render_csv(&plan);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], CSV_HEADER);
    assert_eq!(
        lines[3],
        "behind,1,bmc,2.46 May 11 2021,2.55 Oct 01 2021,upgrade,newer image in the repository (iLO version 2.46 < 2.55),ilo5_255.fwpkg"
    );
    // A comma or a quote forces quotes, quotes are doubled; the embedded
    // newline of the scan error stays inside one quoted field.
    assert_eq!(
        lines[2],
        r#"compliant,"NIC.Slot.1 ""Port 1"", 25GbE",nic,1.0,,no-image,"no repository image applies to NIC.Slot.1 ""Port 1"", 25GbE","#
    );
    assert!(csv.ends_with(
        "down,,,,,scan-failed,\"connect to https://down.bmc.example: timed out after 10s\n  check that the BMC is reachable\",\n"
    ));
    assert_eq!(
        render::csv_field("say \"hi\", bmc"),
        "\"say \"\"hi\"\", bmc\""
    );
    assert_eq!(render::csv_field("plain"), "plain");
    assert_eq!(render::csv_field("a\rb"), "\"a\rb\"");
}

#[test]
fn table_aligns_and_escapes_control_characters() {
    let (mut inventory, images) = fleet();
    inventory.hosts[0].components[1].version = Some("1.0\u{1b}[31m".to_owned());
    let plan = plan(&inventory, &source(&images), &Policy::default());
    let table = render_table(&plan);
    assert!(!table.contains('\u{1b}'), "{table}");
    assert!(table.contains("1.0\\u{1b}[31m"), "{table}");
    let lines: Vec<&str> = table.lines().collect();
    let at = lines[0].find("ACTION").unwrap();
    assert_eq!(&lines[3][at..at + "upgrade".len()], "upgrade", "{table}");
    assert!(lines
        .iter()
        .any(|l| l.starts_with("down ") && l.contains("scan-failed")));
    assert_eq!(
        *lines.last().unwrap(),
        "3 hosts: 1 compliant, 1 failed; no-image 1, up-to-date 1, upgrade 1, version-unknown 1"
    );
}

#[test]
fn policy_reads_from_toml_with_defaults() {
    let p: Policy =
        toml::from_str("order = [\"bios\", \"bmc\"]\n[scheme_overrides]\npsu = \"hex\"\n").unwrap();
    assert_eq!(p.order, [Bios, Bmc]);
    assert!(!p.allow_downgrade);
    assert_eq!(p.scheme_overrides.get(&Psu), Some(&VersionScheme::Hex));
    assert_eq!(toml::from_str::<Policy>("").unwrap(), Policy::default());
}

// --- what execution needs --------------------------------------------------

fn with_facts(i: ImageRef) -> ImageRef {
    ImageRef {
        facts: Some(ImageFacts {
            path: format!("/repo/{}", i.file).into(),
            sha256: "ab".repeat(32),
            size: 4096,
        }),
        ..i
    }
}

#[test]
fn a_change_carries_its_image_and_component_for_the_updater() {
    let image = with_facts(ImageRef {
        method: Some(crate::vocab::Method::Multipart),
        ..img("ilo5_255.fwpkg", Bmc, "2.55 Oct 01 2021")
    });
    let plan = plan_host(
        &host("h1", vec![comp("1", Bmc, "2.46 May 11 2021")]),
        &source(std::slice::from_ref(&image)),
        &Policy::default(),
    );
    let exec = plan.steps[0]
        .exec
        .clone()
        .expect("an upgrade is executable");
    assert_eq!(
        exec,
        Execution {
            entry: "ilo5_255.fwpkg".into(),
            image: image.facts.clone().unwrap(),
            target: "/redfish/v1/UpdateService/FirmwareInventory/1".into(),
            method: Some(crate::vocab::Method::Multipart),
            activate_only: false,
        }
    );
    // The plan JSON does not change: execution is not part of it.
    let json = serde_json::to_string(&plan).unwrap();
    assert!(!json.contains("exec") && !json.contains("/repo/"), "{json}");
}

#[test]
fn a_staged_image_the_repository_has_is_activated_not_sent_again() {
    let bios = comp("BIOS", Bios, "U46 v1.56 (11/29/2021)");
    let staged = copy(&bios, "BIOS-Staged", Role::Staged, "U46 v2.72 (03/10/2023)");
    let known = with_facts(img("U46_2.72.fwpkg", Bios, "U46 v2.72 (03/10/2023)"));
    let plan = plan_host(
        &host("h1", vec![bios.clone(), staged.clone()]),
        &source(std::slice::from_ref(&known)),
        &Policy::default(),
    );
    let s = &plan.steps[0];
    assert_eq!(s.action, Action::StagedPending);
    let exec = s
        .exec
        .as_ref()
        .expect("the repository has the staged version");
    assert!(exec.activate_only);
    assert_eq!(exec.entry, "U46_2.72.fwpkg");
    assert_eq!(exec.target, bios.uri);
    // A staged version the repository does not have stays the operator's.
    let other = with_facts(img("U46_2.74.fwpkg", Bios, "U46 v2.74 (05/01/2023)"));
    let plan = plan_host(
        &host("h1", vec![bios, staged]),
        &source(&[other]),
        &Policy::default(),
    );
    assert_eq!(plan.steps[0].action, Action::StagedPending);
    assert!(plan.steps[0].exec.is_none());
}

#[test]
fn without_the_file_a_plan_row_is_not_executable() {
    let plan = plan_host(
        &host("h1", vec![comp("1", Bmc, "2.46 May 11 2021")]),
        &source(&[img("ilo5_255.fwpkg", Bmc, "2.55 Oct 01 2021")]),
        &Policy::default(),
    );
    assert_eq!(plan.steps[0].action, Action::Upgrade);
    assert!(plan.steps[0].exec.is_none());
}

// --- fallbacks, vendor tools, provenance (issue 19) -----------------------

fn vendor_tool_only(i: ImageRef) -> ImageRef {
    ImageRef {
        needs_vendor_tool: Some("UpdatableBy is [\"Uefi\"]: only the host can apply it".into()),
        ..i
    }
}

#[test]
fn unmet_prerequisite_falls_back_to_an_installable_older_image() {
    check(
        vec![
            comp("BIOS", Bios, "2.10.2"),
            comp("iDRAC", Bmc, "5.10.00.00"),
        ],
        &[
            needs(img("BIOS_2.19.1.exe", Bios, "2.19.1"), Bmc, "6.00.00.00"),
            img("BIOS_2.15.0.exe", Bios, "2.15.0"),
            // Older than what runs: never a fallback.
            img("BIOS_2.01.0.exe", Bios, "2.01.0"),
        ],
        Policy::default(),
        &[
            ("iDRAC no-image 5.10.00.00 -> - [-]", ""),
            (
                "BIOS upgrade 2.10.2 -> 2.15.0 [BIOS_2.15.0.exe]",
                "newer image in the repository (numbers 2.10.2 < 2.15.0); the newest image 2.19.1 (BIOS_2.19.1.exe) is held back: needs bmc ≥ 6.00.00.00, but bmc runs 5.10.00.00 and the plan does not upgrade it",
            ),
        ],
    );
}

#[test]
fn fallback_whose_own_prerequisite_fails_tries_the_next_and_keeps_the_newest_named() {
    let plan = plan_host(
        &host(
            "h1",
            vec![
                comp("BIOS", Bios, "2.10.2"),
                comp("iDRAC", Bmc, "5.10.00.00"),
            ],
        ),
        &source(&[
            needs(img("BIOS_2.19.1.exe", Bios, "2.19.1"), Bmc, "6.00.00.00"),
            needs(img("BIOS_2.17.0.exe", Bios, "2.17.0"), Bmc, "5.50.00.00"),
            img("BIOS_2.12.0.exe", Bios, "2.12.0"),
        ]),
        &Policy::default(),
    );
    let bios = plan.steps.iter().find(|s| s.kind == Bios).unwrap();
    assert_eq!(
        (bios.action, bios.to.as_deref()),
        (Action::Upgrade, Some("2.12.0"))
    );
    assert_eq!(bios.held_back.as_ref().unwrap().image, "BIOS_2.19.1.exe");
}

#[test]
fn every_fallback_blocked_stays_blocked_on_the_newest() {
    check(
        vec![
            comp("BIOS", Bios, "2.10.2"),
            comp("iDRAC", Bmc, "5.10.00.00"),
        ],
        &[
            needs(img("BIOS_2.19.1.exe", Bios, "2.19.1"), Bmc, "6.00.00.00"),
            needs(img("BIOS_2.15.0.exe", Bios, "2.15.0"), Bmc, "6.00.00.00"),
        ],
        Policy::default(),
        &[
            ("iDRAC no-image 5.10.00.00 -> - [-]", ""),
            (
                "BIOS blocked 2.10.2 -> 2.15.0 [BIOS_2.15.0.exe]",
                "the newest image 2.19.1",
            ),
        ],
    );
}

#[test]
fn write_protection_blocks_every_fallback_too() {
    let mut bios = comp("BIOS", Bios, "2.10.2");
    bios.write_protected = true;
    check(
        vec![bios],
        &[
            img("BIOS_2.19.1.exe", Bios, "2.19.1"),
            img("BIOS_2.15.0.exe", Bios, "2.15.0"),
        ],
        Policy::default(),
        &[(
            "BIOS blocked 2.10.2 -> 2.19.1 [BIOS_2.19.1.exe]",
            "write-protected",
        )],
    );
}

#[test]
fn only_candidate_needs_the_vendor_tool() {
    check(
        vec![comp("1", Bios, "U46 v2.72 (03/10/2023)")],
        &[vendor_tool_only(img(
            "U46_2.80.fwpkg",
            Bios,
            "U46 v2.80 (01/12/2024)",
        ))],
        Policy::default(),
        &[(
            "1 needs-vendor-tool U46 v2.72 (03/10/2023) -> U46 v2.80 (01/12/2024) [U46_2.80.fwpkg]",
            "cannot be applied through the bmc: UpdatableBy is [\"Uefi\"]",
        )],
    );
}

#[test]
fn newest_needs_the_vendor_tool_and_an_older_installable_image_is_the_fallback() {
    let images = [
        vendor_tool_only(img("U46_2.80.fwpkg", Bios, "U46 v2.80 (01/12/2024)")),
        img("U46_2.76.fwpkg", Bios, "U46 v2.76 (08/01/2023)"),
    ];
    check(
        vec![comp("1", Bios, "U46 v2.72 (03/10/2023)")],
        &images,
        Policy::default(),
        &[(
            "1 upgrade U46 v2.72 (03/10/2023) -> U46 v2.76 (08/01/2023) [U46_2.76.fwpkg]",
            "the newest image U46 v2.80 (01/12/2024) (U46_2.80.fwpkg) is held back: U46 v2.80 (01/12/2024) (U46_2.80.fwpkg) cannot be applied through the bmc",
        )],
    );
    let plan = plan_host(
        &host("h1", vec![comp("1", Bios, "U46 v2.72 (03/10/2023)")]),
        &source(&images),
        &Policy::default(),
    );
    assert_eq!(
        plan.steps[0].held_back.as_ref().unwrap().action,
        Action::NeedsVendorTool
    );
}

#[test]
fn a_vendor_tool_image_the_component_runs_is_up_to_date_and_never_a_downgrade() {
    check(
        vec![comp("1", Bios, "U46 v2.80 (01/12/2024)")],
        &[vendor_tool_only(img(
            "U46_2.80.fwpkg",
            Bios,
            "U46 v2.80 (01/12/2024)",
        ))],
        Policy::default(),
        &[(
            "1 up-to-date U46 v2.80 (01/12/2024) -> U46 v2.80 (01/12/2024) [U46_2.80.fwpkg]",
            "runs the newest image",
        )],
    );
    // A downgrade the policy allows still cannot go through the bmc.
    check(
        vec![comp("1", Bios, "U46 v2.82 (03/01/2024)")],
        &[vendor_tool_only(img(
            "U46_2.80.fwpkg",
            Bios,
            "U46 v2.80 (01/12/2024)",
        ))],
        allow_downgrade(),
        &[(
            "1 needs-vendor-tool U46 v2.82 (03/01/2024) -> U46 v2.80 (01/12/2024) [U46_2.80.fwpkg]",
            "vendor's tool",
        )],
    );
}

#[test]
fn vendor_tool_images_are_never_hops_of_an_upgrade_path() {
    // 2.70 is the gate of 4.40 but only a vendor tool can apply it: no path.
    check(
        vec![comp("iDRAC", Bmc, "2.50.50.50")],
        &[
            vendor_tool_only(img("iDRAC_2.70.70.70.exe", Bmc, "2.70.70.70")),
            min_from(img("iDRAC_4.40.00.00.exe", Bmc, "4.40.00.00"), "2.70.70.70"),
        ],
        Policy::default(),
        &[(
            "iDRAC blocked 2.50.50.50 -> 4.40.00.00 [iDRAC_4.40.00.00.exe]",
            "needs an intermediate image ≥ 2.70.70.70",
        )],
    );
}

#[test]
fn steps_carry_the_image_provenance() {
    let image = ImageRef {
        provenance: Provenance {
            criticality: Some(crate::vocab::Criticality::Urgent),
            reboot_required: Some(true),
            release_date: Some("2024-05-27".into()),
            source: Some("dell:Catalog.xml (version 25.04.28)".into()),
            ..Provenance::default()
        },
        ..img("BIOS_2.19.1.exe", Bios, "2.19.1")
    };
    let plan = plan_host(
        &host("h1", vec![comp("BIOS", Bios, "2.10.2")]),
        &source(std::slice::from_ref(&image)),
        &Policy::default(),
    );
    let step = &plan.steps[0];
    assert_eq!(step.action, Action::Upgrade);
    assert_eq!(step.provenance, image.provenance);
    let json = serde_json::to_value(step).unwrap();
    assert_eq!(json["criticality"], "urgent");
    assert_eq!(json["reboot_required"], true);
    assert_eq!(json["release_date"], "2024-05-27");
    assert_eq!(json["source"], "dell:Catalog.xml (version 25.04.28)");
    assert!(json.get("held_back").is_none());
    let back: Step = serde_json::from_value(json).unwrap();
    assert_eq!(back.provenance, image.provenance);
    // Up-to-date rows name the image they compared with, and its provenance.
    let plan = plan_host(
        &host("h1", vec![comp("BIOS", Bios, "2.19.1")]),
        &source(std::slice::from_ref(&image)),
        &Policy::default(),
    );
    assert_eq!(
        plan.steps[0].provenance.criticality,
        image.provenance.criticality
    );
}

/// Changing rows carry their disruption class and its source (issue 21
/// item 4): the manifest's word first, then the catalog's reboot flag,
/// then the BMC's `ResetRequiredOnUpdate`, then the kind; rows that change
/// nothing carry none.
#[test]
fn changing_steps_carry_their_disruption_class_and_its_source() {
    use super::disruption::DisruptionSource as S;
    use crate::vocab::Disruption as D;
    let nic = Component {
        reset_required_on_update: Some(false),
        ..comp("NIC", Nic, "20.0")
    };
    let told = ImageRef {
        provenance: Provenance {
            disruption: Some(D::PowerCycle),
            reboot_required: Some(false),
            ..Provenance::default()
        },
        ..img("bios.bin", Bios, "2.0")
    };
    let plan = plan_host(
        &host(
            "h1",
            vec![
                comp("BMC", Bmc, "1.0"),
                comp("BIOS", Bios, "1.0"),
                nic,
                comp("CPLD", Cpld, "0x0D"),
            ],
        ),
        &source(&[
            img("bmc.bin", Bmc, "1.1"),
            told,
            img("nic.bin", Nic, "21.0"),
            img("cpld.bin", Cpld, "0x0D"),
        ]),
        &Policy::default(),
    );
    let of = |kind: Kind| {
        let s = plan.steps.iter().find(|s| s.kind == kind).unwrap();
        (s.disruption, s.disruption_source)
    };
    assert_eq!(of(Bmc), (Some(D::NoHostImpact), Some(S::KindDefault)));
    assert_eq!(of(Bios), (Some(D::PowerCycle), Some(S::Repository)));
    assert_eq!(of(Nic), (Some(D::NoHostImpact), Some(S::Bmc)));
    // Up to date: nothing runs, so no class.
    assert_eq!(of(Cpld), (None, None));
    let json = serde_json::to_value(&plan.steps[0]).unwrap();
    assert_eq!(json["disruption"], "no-host-impact", "{json}");
    assert_eq!(json["disruption_source"], "kind-default", "{json}");
    let back: Step = serde_json::from_value(json).unwrap();
    assert_eq!(back.disruption, Some(D::NoHostImpact));
}

/// The planner asks the source with the whole system, Dell SystemID
/// included; the default keeps closure sources working.
#[test]
fn the_source_is_asked_with_the_system_and_its_dell_system_id() {
    struct BySystemId;
    impl ImageSource for BySystemId {
        fn candidates(&self, _: &Component, _: Option<&str>, _: Option<&str>) -> Vec<ImageRef> {
            panic!("the planner asks candidates_on")
        }
        fn candidates_on(&self, c: &Component, system: &SystemInfo) -> Vec<ImageRef> {
            match system.dell_system_id {
                Some(1814) => vec![img("BIOS_2.19.1.exe", c.kind, "2.19.1")],
                _ => Vec::new(),
            }
        }
    }
    let mut h = host("h1", vec![comp("BIOS", Bios, "2.10.2")]);
    assert_eq!(
        plan_host(&h, &BySystemId, &Policy::default()).steps[0].action,
        Action::NoImage
    );
    h.system.dell_system_id = Some(1814);
    assert_eq!(
        plan_host(&h, &BySystemId, &Policy::default()).steps[0].action,
        Action::Upgrade
    );
}

// --- a legacy-layout UpdateService (issue 16 item 7) ------------------------

/// A host whose firmware came from SoftwareInventory, offering `methods`.
fn legacy_host(components: Vec<Component>, methods: &[crate::vocab::Method]) -> HostInventory {
    let mut h = host("legacy", components);
    h.bmc.legacy_layout = Some(crate::inventory::model::LegacyLayout {
        inventory: "/redfish/v1/UpdateService/SoftwareInventory".into(),
        methods: methods.to_vec(),
    });
    h
}

#[test]
fn a_legacy_layout_is_planned_only_through_the_standard_actions_it_offers() {
    use crate::vocab::Method::{Multipart, RawPush, SimpleUpdate};
    let bios = || {
        let mut c = comp("BIOS", Bios, "2.14.1");
        c.uri = "/redfish/v1/UpdateService/SoftwareInventory/BIOS".into();
        c
    };
    let image = |method| {
        with_facts(ImageRef {
            method,
            ..img("bios-2.15.0.fwimg", Bios, "2.15.0")
        })
    };
    // (offered, the image's preference) → (method sent, reason fragment)
    let cases = [
        (
            vec![SimpleUpdate, RawPush],
            None,
            Some(SimpleUpdate),
            "simple-update, the first standard action",
        ),
        (
            vec![SimpleUpdate, RawPush],
            Some(RawPush),
            Some(RawPush),
            "legacy UpdateService layout: raw-push",
        ),
        (
            vec![SimpleUpdate, RawPush],
            Some(Multipart),
            Some(SimpleUpdate),
            "not the image's multipart, which it does not offer",
        ),
        (
            vec![RawPush],
            None,
            Some(RawPush),
            "raw-push, the first standard action",
        ),
    ];
    for (offered, preference, sent, why) in cases {
        let plan = plan_host(
            &legacy_host(vec![bios()], &offered),
            &source(&[image(preference)]),
            &Policy::default(),
        );
        let s = &plan.steps[0];
        assert_eq!(
            (s.action, s.from.as_deref(), s.to.as_deref()),
            (Action::Upgrade, Some("2.14.1"), Some("2.15.0"))
        );
        assert_eq!(
            s.method.as_deref(),
            sent.map(|m| m.as_str()),
            "{offered:?} {preference:?}"
        );
        let exec = s.exec.as_ref().expect("executable");
        assert_eq!(exec.method, sent);
        assert_eq!(
            exec.target,
            "/redfish/v1/UpdateService/SoftwareInventory/BIOS"
        );
        assert!(
            s.reason.contains("newer image in the repository"),
            "{}",
            s.reason
        );
        assert!(s.reason.contains(why), "{}", s.reason);
    }
    // Nothing standard to send it with: blocked, and the step says why.
    let plan = plan_host(
        &legacy_host(vec![bios()], &[]),
        &source(&[image(None)]),
        &Policy::default(),
    );
    let s = &plan.steps[0];
    assert_eq!(s.action, Action::Blocked);
    assert!(s.exec.is_none());
    assert!(
        s.reason.contains("offers no standard update action"),
        "{}",
        s.reason
    );
    // Compliance is judged as on any host: up to date stays up to date.
    let plan = plan_host(
        &legacy_host(vec![comp("BIOS", Bios, "2.15.0")], &[SimpleUpdate]),
        &source(&[image(None)]),
        &Policy::default(),
    );
    assert_eq!(plan.steps[0].action, Action::UpToDate);
}
