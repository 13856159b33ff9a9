use super::*;
use mock_bmc::bmc::Bmc;
use mock_bmc::http::tree;
use mock_bmc::{BmcConfig, Persona, Variant};
use redfish_schemas::decode;
use Kind::*;
use Role::{Active, Available, Backup, Previous, Staged};

const DELL: Option<&str> = Some("Dell");
const HPE: Option<&str> = Some("HPE");
const LENOVO: Option<&str> = Some("Lenovo");
const SUPERMICRO: Option<&str> = Some("Supermicro");
const OPENBMC: Option<&str> = Some("OpenBMC");
const DMTF: Option<&str> = Some("Contoso");

/// Normalises `json` as a FirmwareInventory member of a `vendor` BMC, the
/// way the scan calls it, and checks kind, role and identity.
#[track_caller]
fn check(vendor: Option<&str>, json: &str, want: (Kind, Role, &str)) -> Component {
    let item: SoftwareInventory = decode(json.as_bytes()).unwrap_or_else(|e| panic!("{e}: {json}"));
    let ctx = Context {
        vendor,
        system_uri: Some("/redfish/v1/Systems"),
        manager_uri: None,
    };
    let c = normalize(&item, &ctx);
    assert_eq!(
        (c.kind, c.role, c.identity.as_str()),
        want,
        "{:?} {}",
        vendor,
        item.id
    );
    c
}

#[test]
fn dell_idrac() {
    let cases = [
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Installed-159-2.20.1__BIOS.Setup.1-1",
                "Id": "Installed-159-2.20.1__BIOS.Setup.1-1", "Name": "BIOS",
                "Description": "Represents Firmware Inventory", "SoftwareId": "159",
                "ReleaseDate": "0000-00-00T00:00:00Z", "Status": {"Health": "OK", "State": "Enabled"},
                "Updateable": true, "Version": "2.20.1"}"##,
            (Bios, Active, "dell:159"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Previous-159-1.7.5__BIOS.Setup.1-1",
                "Id": "Previous-159-1.7.5__BIOS.Setup.1-1", "Name": "BIOS",
                "Description": "Represents Firmware Inventory", "SoftwareId": "159",
                "Status": {"Health": "OK", "State": "Enabled"}, "Updateable": true, "Version": "1.7.5"}"##,
            (Bios, Previous, "dell:159"),
        ),
        // Older iDRAC firmware: no FQDD in the Id.
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Previous-159-2.7.7",
                "Id": "Previous-159-2.7.7", "Name": "BIOS", "SoftwareId": "159", "Version": "2.7.7"}"##,
            (Bios, Previous, "dell:159"),
        ),
        // An uploaded package: no FQDD either.
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Available-159-1.2.71",
                "Id": "Available-159-1.2.71", "Name": "BIOS", "SoftwareId": "159",
                "Updateable": true, "Version": "1.2.71"}"##,
            (Bios, Available, "dell:159"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Installed-25227-7.00.00.00__iDRAC.Embedded.1-1",
                "Id": "Installed-25227-7.00.00.00__iDRAC.Embedded.1-1",
                "Name": "Integrated Dell Remote Access Controller", "SoftwareId": "25227",
                "Status": {"Health": "OK", "State": "Enabled"}, "Updateable": true, "Version": "7.00.00.00"}"##,
            (Bmc, Active, "dell:25227"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Previous-25227-6.00.02.00__iDRAC.Embedded.1-1",
                "Id": "Previous-25227-6.00.02.00__iDRAC.Embedded.1-1",
                "Name": "Integrated Dell Remote Access Controller", "SoftwareId": "25227",
                "Status": {"Health": "OK", "State": "Enabled"}, "Updateable": true, "Version": "6.00.02.00"}"##,
            (Bmc, Previous, "dell:25227"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Available-35332-4.20.20.20__iDRAC.Embedded.1-1",
                "Id": "Available-35332-4.20.20.20__iDRAC.Embedded.1-1",
                "Name": "Integrated Remote Access Controller", "SoftwareId": "35332", "Version": "4.20.20.20"}"##,
            (Bmc, Available, "dell:35332"),
        ),
        // `Current-` and `Installed-` both describe the device (dell/iDRAC-Redfish-Scripting#264).
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Current-100170-18.5.17",
                "Id": "Current-100170-18.5.17",
                "Name": "Intel(R) Ethernet 10G 4P X520/I350 rNDC - 24:6E:96:8D:4B:90",
                "SoftwareId": "100170", "Status": {"Health": "OK", "State": "Enabled"},
                "Updateable": true, "Version": "18.5.17"}"##,
            (Nic, Active, "dell:100170"),
        ),
        // ComponentID 0 (never updated): per device, by FQDD or Name.
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Installed-0-24.35.20.00",
                "Id": "Installed-0-24.35.20.00",
                "Name": "Broadcom Adv. Dual 25Gb Ethernet - 00:0A:F7:00:00:01",
                "ReleaseDate": "00:00:00Z", "SoftwareId": "0", "Updateable": true, "Version": "24.35.20.00"}"##,
            (
                Nic,
                Active,
                "dell:0:broadcom adv. dual 25gb ethernet - 00:0a:f7:00:00:01",
            ),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Installed-0-22.00.6__NIC.Embedded.2-1-1",
                "Id": "Installed-0-22.00.6__NIC.Embedded.2-1-1",
                "Name": "Broadcom Gigabit Ethernet BCM5720 - AB:CD:EF:01:23:02",
                "SoftwareId": "0", "Updateable": true, "Version": "22.00.6"}"##,
            (Nic, Active, "dell:0:NIC.Embedded.2-1-1"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Installed-104298-52.16.1-4405__RAID.SL.3-1",
                "Id": "Installed-104298-52.16.1-4405__RAID.SL.3-1", "Name": "PERC H755 Front",
                "SoftwareId": "104298", "Updateable": true, "Version": "52.16.1-4405"}"##,
            (Storage, Active, "dell:104298"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Installed-103049-A07__Disk.Bay.0:Enclosure.Internal.0-1:RAID.SL.3-1",
                "Id": "Installed-103049-A07__Disk.Bay.0:Enclosure.Internal.0-1:RAID.SL.3-1",
                "Name": "Disk 0 in Backplane 1 of RAID Controller in Slot 1",
                "SoftwareId": "103049", "Updateable": true, "Version": "A07"}"##,
            (Drive, Active, "dell:103049"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Installed-104308-00.1D.7D__PSU.Slot.1",
                "Id": "Installed-104308-00.1D.7D__PSU.Slot.1", "Name": "PS1 Status",
                "SoftwareId": "104308", "Updateable": true, "Version": "00.1D.7D"}"##,
            (Psu, Active, "dell:104308"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Installed-27763-1.0.6__CPLD.Embedded.1",
                "Id": "Installed-27763-1.0.6__CPLD.Embedded.1", "Name": "System CPLD",
                "SoftwareId": "27763", "Updateable": true, "Version": "1.0.6"}"##,
            (Cpld, Active, "dell:27763"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Installed-104985-2.5.13.3024__AHCI.Slot.4-1",
                "Id": "Installed-104985-2.5.13.3024__AHCI.Slot.4-1", "Name": "BOSS-S1",
                "SoftwareId": "104985", "Updateable": true, "Version": "2.5.13.3024"}"##,
            (Storage, Active, "dell:104985"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Installed-0-4.35__Enclosure.Internal.0-1:RAID.SL.3-1",
                "Id": "Installed-0-4.35__Enclosure.Internal.0-1:RAID.SL.3-1", "Name": "Backplane 1",
                "SoftwareId": "0", "Updateable": true, "Version": "4.35"}"##,
            (Other, Active, "dell:0:Enclosure.Internal.0-1:RAID.SL.3-1"),
        ),
        // Diagnostics mention "uEFI", the service module "iDRAC": neither is that firmware.
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Installed-25806-4301A42",
                "Id": "Installed-25806-4301A42", "Name": "Dell 64 Bit uEFI Diagnostics",
                "SoftwareId": "25806", "Updateable": true, "Version": "4301A42"}"##,
            (Other, Active, "dell:25806"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Available-25806-4301X07",
                "Id": "Available-25806-4301X07", "Name": "Dell 64 Bit uEFI Diagnostics",
                "SoftwareId": "25806", "Version": "4301X07"}"##,
            (Other, Available, "dell:25806"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Installed-101734-5.3.0.0",
                "Id": "Installed-101734-5.3.0.0", "Name": "iDRAC Service Module Installer",
                "SoftwareId": "101734", "Updateable": false, "Version": "5.3.0.0"}"##,
            (Other, Active, "dell:101734"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Installed-28897-7.00.00.00__LC.Embedded.1",
                "Id": "Installed-28897-7.00.00.00__LC.Embedded.1", "Name": "Lifecycle Controller",
                "SoftwareId": "28897", "Updateable": false, "Version": "7.00.00.00"}"##,
            (Other, Active, "dell:28897"),
        ),
    ];
    for (json, want) in cases {
        check(DELL, json, want);
    }
}

/// iDRAC9's `Oem.Dell.DellSoftwareInventory`: the four PCI IDs of a device
/// Dell keys by them (ComponentID `0` on factory-flashed hardware), the
/// ComponentID when `SoftwareId` is missing; nothing for non-PCI devices.
#[test]
fn dell_oem_pci_ids_and_component_id() {
    let lom = check(
        DELL,
        r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Installed-0-22.91.5__NIC.Embedded.1-1-1",
            "Id": "Installed-0-22.91.5__NIC.Embedded.1-1-1", "Name": "Broadcom NetXtreme Gigabit Ethernet - C4:5A:B1:BF:43:59",
            "SoftwareId": "0", "Version": "22.91.5",
            "Oem": {"Dell": {"@odata.type": "#DellOem.v1_3_0.DellOemResources", "DellSoftwareInventory": {
                "ComponentID": "0", "VendorID": "0x14e4", "DeviceID": "0x165f", "SubVendorID": "0x1028", "SubDeviceID": "0x8ff"}}}}"##,
        (Nic, Active, "dell:0:NIC.Embedded.1-1-1"),
    );
    assert_eq!(
        lom.pci.map(|p| p.to_string()).as_deref(),
        Some("14E4:165F:1028:08FF")
    );
    assert_eq!(lom.software_id.as_deref(), Some("0"));
    let bios = check(
        DELL,
        r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Installed-159-2.20.1__BIOS.Setup.1-1",
            "Id": "Installed-159-2.20.1__BIOS.Setup.1-1", "Name": "BIOS", "Version": "2.20.1",
            "Oem": {"Dell": {"DellSoftwareInventory": {"ComponentID": "159", "VendorID": null, "DeviceID": null,
                "SubVendorID": null, "SubDeviceID": null}}}}"##,
        (Bios, Active, "dell:159"),
    );
    assert_eq!((bios.pci, bios.software_id.as_deref()), (None, Some("159")));
    // Three of four IDs is no identity.
    let partial = check(
        DELL,
        r##"{"@odata.id": "/x/Installed-0-1.0__NIC.Slot.2-1-1", "Id": "Installed-0-1.0__NIC.Slot.2-1-1", "Name": "NIC",
            "Version": "1.0", "Oem": {"Dell": {"DellSoftwareInventory": {"VendorID": "8086", "DeviceID": "1521", "SubVendorID": "1028", "SubDeviceID": ""}}}}"##,
        (Nic, Active, "dell:0:NIC.Slot.2-1-1"),
    );
    assert_eq!(partial.pci, None);
}

#[test]
fn hpe_ilo() {
    // Numeric Ids, the role in Description, and on older iLO 5 no
    // SoftwareId, Updateable or Status (NOTES §3, §7.2).
    let cases = [
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/1/", "Id": "1",
                "Name": "iLO 5", "Description": "SystemBMC", "Version": "2.46 May 11 2021",
                "Oem": {"Hpe": {"DeviceContext": "System Board", "Targets": ["4764a662-b342-4fc7-9ce9-258c5d99e815"]}}}"##,
            (Bmc, Active, "ilo 5"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/3/", "Id": "3",
                "Name": "System ROM", "Description": "SystemRomActive", "Version": "A43 v2.52 (10/29/2021)",
                "Oem": {"Hpe": {"DeviceContext": "System Board"}}}"##,
            (Bios, Active, "system rom"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/4/", "Id": "4",
                "Name": "Redundant System ROM", "Description": "SystemRomBackup",
                "Version": "A43 v2.40 (06/01/2021)"}"##,
            (Bios, Backup, "system rom"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/5/", "Id": "5",
                "Name": "System Programmable Logic Device", "Description": "SystemPLD", "Version": "0x0D"}"##,
            (Cpld, Active, "system programmable logic device"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/6/", "Id": "6",
                "Name": "Power Management Controller Firmware", "Description": "PowerManagementController",
                "Version": "1.0.7"}"##,
            (Other, Active, "power management controller firmware"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/10/", "Id": "10",
                "Name": "Intelligent Provisioning", "Description": "Intelligent Provisioning",
                "Version": "3.64.2"}"##,
            (Other, Active, "intelligent provisioning"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/11/", "Id": "11",
                "Name": "Server Platform Services (SPS) Firmware", "Description": "SPSFirmwareVersionData",
                "Version": "04.04.04.053"}"##,
            (Other, Active, "server platform services (sps) firmware"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/13/", "Id": "13",
                "Name": "Intel(R) Ethernet 1Gb 4-port 366FLR Adapter", "Description": "NIC",
                "Version": "1.2839.0", "Updateable": true}"##,
            (Nic, Active, "intel(r) ethernet 1gb 4-port 366flr adapter"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/14/", "Id": "14",
                "Name": "HPE Smart Array P408i-a SR Gen10", "Description": "9005028f103c0700",
                "Version": "5.00", "Updateable": true}"##,
            (Storage, Active, "hpe smart array p408i-a sr gen10"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/15/", "Id": "15",
                "Name": "HPE MR416i-p Gen10+", "Version": "52.16.3-3913", "Updateable": true}"##,
            (Storage, Active, "hpe mr416i-p gen10+"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/16/", "Id": "16",
                "Name": "HPE NS204i-p Gen10+ Boot Controller", "Version": "1.0.14.1055"}"##,
            (Storage, Active, "hpe ns204i-p gen10+ boot controller"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/17/", "Id": "17",
                "Name": "Drive", "Description": "MK000960GWEZK", "Version": "HPGG"}"##,
            (Drive, Active, "drive"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/18/", "Id": "18",
                "Name": "Embedded Video Controller", "Description": "102b0538159000e4", "Version": "N/A"}"##,
            (Other, Active, "embedded video controller"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/21/", "Id": "21",
                "Name": "Power Supply 2", "Description": "PowerSupply", "Version": "0\u0014"}"##,
            (Psu, Active, "power supply 2"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/22/", "Id": "22",
                "Name": "Mellanox ConnectX-6 Lx", "Version": "26.36.1010"}"##,
            (Nic, Active, "mellanox connectx-6 lx"),
        ),
    ];
    for (json, want) in cases {
        check(HPE, json, want);
    }
}

#[test]
fn openbmc() {
    // Hash Ids that change with every image, Name always "Software
    // Inventory", the purpose in Description (NOTES §3, §7.3).
    let cases = [
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/5d0869c4", "Id": "5d0869c4",
                "Name": "Software Inventory", "Description": "BMC image",
                "RelatedItem": [{"@odata.id": "/redfish/v1/Managers/bmc"}], "RelatedItem@odata.count": 1,
                "Status": {"Health": "OK", "HealthRollup": "OK", "State": "Enabled"},
                "Updateable": true, "Version": "2.15.0-dev-686-g100c36de90"}"##,
            (Bmc, Active, "bmc image"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/e4013534_running", "Id": "e4013534_running",
                "Name": "Software Inventory", "Description": "BMC image",
                "RelatedItem": [{"@odata.id": "/redfish/v1/Managers/bmc"}],
                "Updateable": true, "Version": "2.14.0-dev-12-g0a1b2c3d4e"}"##,
            (Bmc, Active, "bmc image"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/9a3f11b2", "Id": "9a3f11b2",
                "Name": "Software Inventory", "Description": "BMC image",
                "RelatedItem": [{"@odata.id": "/redfish/v1/Managers/bmc"}],
                "Status": {"Health": "OK", "State": "StandbySpare"},
                "Updateable": true, "Version": "2.14.0-dev-12-g0a1b2c3d4e"}"##,
            (Bmc, Backup, "bmc image"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/bios_active", "Id": "bios_active",
                "Name": "Software Inventory", "Description": "Host image",
                "RelatedItem": [{"@odata.id": "/redfish/v1/Systems/system/Bios"}],
                "Updateable": true, "Version": "F0E_3A12"}"##,
            (Bios, Active, "bios"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/3c8e01f7", "Id": "3c8e01f7",
                "Name": "Software Inventory", "Description": "Host image",
                "Updateable": true, "Version": "F0E_3A14"}"##,
            (Bios, Active, "host image"),
        ),
    ];
    for (json, want) in cases {
        check(OPENBMC, json, want);
    }
}

#[test]
fn supermicro() {
    let cases = [
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/BIOS", "Id": "BIOS",
                "Name": "BIOS", "Description": "BIOS", "Version": "2.4", "Updateable": true,
                "RelatedItem": [{"@odata.id": "/redfish/v1/Systems/1/Bios"}]}"##,
            (Bios, Active, "bios"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/BMC", "Id": "BMC",
                "Name": "BMC", "Description": "BMC", "Version": "01.01.10", "Updateable": true,
                "RelatedItem": [{"@odata.id": "/redfish/v1/Managers/1"}]}"##,
            (Bmc, Active, "bmc"),
        ),
        // X11 BMC 1.64+ moves the BMC entry elsewhere (NOTES §7.5).
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/SmcFirmwareInventory/BMC", "Id": "BMC",
                "Name": "BMC", "Version": "01.73.12", "Updateable": true}"##,
            (Bmc, Active, "bmc"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/CPLD_Motherboard", "Id": "CPLD_Motherboard",
                "Name": "CPLD Motherboard", "Description": "CPLD", "Version": "F1.0B.01", "Updateable": true}"##,
            (Cpld, Active, "cpld_motherboard"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Backup_BIOS", "Id": "Backup_BIOS",
                "Name": "Backup BIOS", "Version": "2.3", "Updateable": false}"##,
            (Bios, Backup, "bios"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/NIC_Slot1", "Id": "NIC_Slot1",
                "Name": "AOC-S25GC-i2S", "Description": "NIC", "Version": "1.3082.0", "Updateable": true}"##,
            (Nic, Active, "nic_slot1"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/PSU1", "Id": "PSU1",
                "Name": "PWS-1K62A-1R", "Version": "1.2", "Updateable": false}"##,
            (Psu, Active, "psu1"),
        ),
    ];
    for (json, want) in cases {
        check(SUPERMICRO, json, want);
    }
}

#[test]
fn lenovo_xcc() {
    let cases = [
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/BMC-Primary", "Id": "BMC-Primary",
                "Name": "XCC Primary Firmware", "Version": "TGBT58A-3.10", "Updateable": true,
                "Status": {"State": "Enabled", "Health": "OK"}}"##,
            (Bmc, Active, "bmc"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/BMC-Backup", "Id": "BMC-Backup",
                "Name": "XCC Backup Firmware", "Version": "TGBT58A-3.02", "Updateable": true,
                "Status": {"State": "Enabled", "Health": "OK"}}"##,
            (Bmc, Backup, "bmc"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/UEFI", "Id": "UEFI",
                "Name": "UEFI", "Version": "U8E138K-2.30", "Updateable": true}"##,
            (Bios, Active, "uefi"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/FPGA", "Id": "FPGA",
                "Name": "FPGA", "Version": "4.06", "Updateable": true}"##,
            (Cpld, Active, "fpga"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/LXPM", "Id": "LXPM",
                "Name": "LXPM Diagnostic Software", "Version": "UDL1-3.30", "Updateable": true}"##,
            (Other, Active, "lxpm"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/LXPMWindowsDriver", "Id": "LXPMWindowsDriver",
                "Name": "LXPM Windows Driver Bundle", "Version": "UDW1-3.30", "Updateable": true}"##,
            (Other, Active, "lxpmwindowsdriver"),
        ),
        // `Slot_N.Bundle`: only the Name tells a NIC from a RAID adapter.
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Slot_1.Bundle", "Id": "Slot_1.Bundle",
                "Name": "Broadcom NX-E PCIe 25Gb 2-Port", "Description": "Slot_1.Bundle",
                "Version": "222.1.68.0", "Updateable": true}"##,
            (Nic, Active, "slot_1.bundle"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Slot_4.Bundle", "Id": "Slot_4.Bundle",
                "Name": "ThinkSystem RAID 940-8i 4GB Flash PCIe Gen4 12Gb Adapter",
                "Version": "52.16.3-3913", "Updateable": true}"##,
            (Storage, Active, "slot_4.bundle"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Slot_5.Bundle", "Id": "Slot_5.Bundle",
                "Name": "ThinkSystem 430-8i SAS/SATA 12Gb HBA", "Version": "16.17.01.00", "Updateable": true}"##,
            (Storage, Active, "slot_5.bundle"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Disk_0", "Id": "Disk_0",
                "Name": "Disk_0", "Version": "4104", "Updateable": true}"##,
            (Drive, Active, "disk_0"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/PSU1", "Id": "PSU1",
                "Name": "PSU1", "Version": "6.54", "Updateable": true}"##,
            (Psu, Active, "psu1"),
        ),
    ];
    for (json, want) in cases {
        check(LENOVO, json, want);
    }
}

#[test]
fn dmtf_mockup_style_and_v1_12_roles() {
    let cases = [
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/BMC", "Id": "BMC",
                "@odata.type": "#SoftwareInventory.v1_13_0.SoftwareInventory",
                "Name": "Contoso BMC Firmware", "Version": "1.45.455b66-rev4",
                "SoftwareId": "1624A9DF-5E13-47FC-874A-DF3AFF143089", "Updateable": true,
                "RelatedItem": [{"@odata.id": "/redfish/v1/Managers/BMC"}],
                "Status": {"State": "Enabled", "Health": "OK"}}"##,
            (Bmc, Active, "1624A9DF-5E13-47FC-874A-DF3AFF143089"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/BIOS", "Id": "BIOS",
                "Name": "Contoso BIOS Firmware", "Version": "P79 v1.45", "VersionScheme": "OEM",
                "SoftwareId": "FEE82A67-6CE2-4625-9F44-237AD2402C28", "Updateable": true,
                "Active": true, "Links": {"ActiveTargets": [{"@odata.id": "/redfish/v1/Systems/437XR1138R2"}]}}"##,
            (Bios, Active, "FEE82A67-6CE2-4625-9F44-237AD2402C28"),
        ),
        // Staged (v1_12): the same SoftwareId as the running image.
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/BIOS-Staged", "Id": "BIOS-Staged",
                "Name": "Contoso BIOS Firmware (staged)", "Version": "P79 v1.46",
                "SoftwareId": "FEE82A67-6CE2-4625-9F44-237AD2402C28",
                "Staged": true, "Active": false, "Status": {"State": "StandbyOffline", "Health": "OK"}}"##,
            (Bios, Staged, "FEE82A67-6CE2-4625-9F44-237AD2402C28"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/BMC-Next", "Id": "BMC-Next",
                "Name": "BMC Firmware", "Version": "1.46",
                "Links": {"StagedTargets": [{"@odata.id": "/redfish/v1/Managers/BMC"}]}}"##,
            (Bmc, Staged, "bmc-next"),
        ),
        // Present, not running, not staged: an inactive copy.
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/BMC-Alt", "Id": "BMC-Alt",
                "Name": "BMC Firmware", "Version": "1.44", "Active": false}"##,
            (Bmc, Backup, "bmc-alt"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/BMC2", "Id": "BMC2",
                "Name": "BMC Firmware", "Version": "1.44",
                "Status": {"State": "StandbySpare", "Health": "OK"}}"##,
            (Bmc, Backup, "bmc2"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/BIOS2", "Id": "BIOS2",
                "Name": "BIOS Firmware", "Version": "1.46",
                "Status": {"State": "StandbyOffline", "Health": "OK"}}"##,
            (Bios, Staged, "bios2"),
        ),
        // Links decide before words: this "Controller Firmware" is a drive's.
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Drive1", "Id": "Drive1",
                "Name": "Controller Firmware", "Version": "4.2.1", "SoftwareId": "N/A",
                "RelatedItem": [{"@odata.id": "/redfish/v1/Chassis/1/Drives/0"}]}"##,
            (Drive, Active, "drive1"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Adapter1", "Id": "Adapter1",
                "Name": "Adapter 1 Firmware", "Version": "22.31.6",
                "SoftwareId": "00000000-0000-0000-0000-000000000000",
                "RelatedItem": [{"@odata.id": "/redfish/v1/Chassis/1/NetworkAdapters/NIC1"}]}"##,
            (Nic, Active, "adapter1"),
        ),
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/PSU-Bay1", "Id": "PSU-Bay1",
                "Name": "Bay 1", "Version": "1.2.0",
                "RelatedItem": [{"@odata.id": "/redfish/v1/Chassis/1/PowerSubsystem/PowerSupplies/Bay1"}]}"##,
            (Psu, Active, "psu-bay1"),
        ),
        // A device word before "Backplane" is a modifier.
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/BP1", "Id": "BP1",
                "Name": "NVMe Backplane 1", "Version": "1.24"}"##,
            (Other, Active, "bp1"),
        ),
        // A Battery Backup Unit is not a backup image.
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/BBU", "Id": "BBU",
                "Name": "Battery Backup Unit", "Version": "3.1"}"##,
            (Other, Active, "bbu"),
        ),
        // Host software (SoftwareInventory) is never device firmware.
        (
            r##"{"@odata.id": "/redfish/v1/UpdateService/SoftwareInventory/os-nic-driver", "Id": "os-nic-driver",
                "Name": "Network driver", "Version": "5.12.3", "Updateable": false,
                "RelatedItem": [{"@odata.id": "/redfish/v1/Systems/1"}]}"##,
            (Other, Active, "os-nic-driver"),
        ),
    ];
    for (json, want) in cases {
        check(DMTF, json, want);
    }
}

#[test]
fn context_links_decide_for_unusual_uris() {
    let item: SoftwareInventory = decode(
        br##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/fw0", "Id": "fw0",
             "Name": "Firmware 0", "RelatedItem": [{"@odata.id": "/redfish/v1/Oem/Mgmt/0"}]}"##,
    )
    .unwrap();
    let plain = normalize(&item, &Context::default());
    assert_eq!(plain.kind, Other);
    let ctx = Context {
        manager_uri: Some("/redfish/v1/Oem/Mgmt/0/"),
        ..Context::default()
    };
    assert_eq!(normalize(&item, &ctx).kind, Bmc);
}

#[test]
fn dell_id_grammar_only_for_dell_or_unknown_vendors() {
    let json = r##"{"@odata.id": "/x/Installed-159-2.20.1__BIOS.Setup.1-1",
                   "Id": "Installed-159-2.20.1__BIOS.Setup.1-1", "Name": "BIOS", "SoftwareId": "159"}"##;
    check(None, json, (Bios, Active, "dell:159"));
    check(DMTF, json, (Bios, Active, "dell:159"));
    // A known other family keeps its Id as it is.
    check(LENOVO, json, (Bios, Active, "159"));
    let json = r##"{"@odata.id": "/x/Previous-159-1.7.5__BIOS.Setup.1-1",
                   "Id": "Previous-159-1.7.5__BIOS.Setup.1-1", "Name": "BIOS"}"##;
    check(
        HPE,
        json,
        (Bios, Active, "previous-159-1.7.5__bios.setup.1-1"),
    );
}

#[test]
fn versions_are_kept_raw_and_never_interpreted() {
    // Issue 16 item 7: a version with control characters is kept raw (the
    // version module judges it unknown), never trimmed into another version:
    // iLO's `"0\x14"` (Cray XL675d capture) is not `0`.
    let cases = [
        (
            r##""Version": "  2.46 May 11 2021\r\n""##,
            Some("  2.46 May 11 2021\r\n"),
        ),
        (r##""Version": "0\u0014""##, Some("0\u{14}")),
        (
            r##""Version": " 2.46 May 11 2021 ""##,
            Some(" 2.46 May 11 2021 "),
        ),
        (r##""Version": "N/A""##, Some("N/A")),
        (
            r##""Version": "A43 v2.52 (10/29/2021)""##,
            Some("A43 v2.52 (10/29/2021)"),
        ),
        (r##""Version": "   ""##, None),
        (r##""Version": "\t\r\n""##, None),
        (r##""Version": """##, None),
        (r##""Version": null"##, None),
    ];
    for (version, want) in cases {
        let json = format!(
            r##"{{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/1", "Id": "1", "Name": "iLO 5", {version}}}"##
        );
        let c = check(HPE, &json, (Bmc, Active, "ilo 5"));
        assert_eq!(c.version.as_deref(), want, "{version}");
    }
    // Dell: the Id carries the version when the property is missing.
    let c = check(
        DELL,
        r##"{"@odata.id": "/x/Installed-159-2.20.1__BIOS.Setup.1-1", "Id": "Installed-159-2.20.1__BIOS.Setup.1-1", "Name": "BIOS"}"##,
        (Bios, Active, "dell:159"),
    );
    assert_eq!(c.version.as_deref(), Some("2.20.1"));
}

#[test]
fn other_fields_are_carried_over() {
    let c = check(
        DMTF,
        r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/BIOS", "Id": "BIOS",
            "Name": " Contoso BIOS Firmware ", "Version": "1.45.3", "VersionScheme": "DotIntegerNotation",
            "LowestSupportedVersion": "1.40.0\u0000", "Manufacturer": "Contoso", "SoftwareId": " CX22-BIOS ",
            "WriteProtected": true, "Updateable": false, "ResetRequiredOnUpdate": true}"##,
        (Bios, Active, "CX22-BIOS"),
    );
    assert_eq!(c.reset_required_on_update, Some(true));
    assert_eq!(c.name, "Contoso BIOS Firmware");
    assert_eq!(c.uri, "/redfish/v1/UpdateService/FirmwareInventory/BIOS");
    assert_eq!(c.version_scheme.as_deref(), Some("DotIntegerNotation"));
    // Kept raw like a version (issue 16 item 7): junk states no minimum.
    assert_eq!(c.lowest_supported_version.as_deref(), Some("1.40.0\u{0}"));
    assert_eq!(c.manufacturer.as_deref(), Some("Contoso"));
    assert_eq!(c.software_id.as_deref(), Some("CX22-BIOS"));
    assert!(c.write_protected);
    assert!(!c.updateable);
    // Older iLO 5 omits Updateable: still a candidate (see `normalize`).
    let c = check(
        HPE,
        r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/3/", "Id": "3"}"##,
        (Other, Active, "3"),
    );
    assert!(c.updateable);
    assert_eq!(c.name, "3");
    assert_eq!(c.version, None);
}

#[test]
fn active_of_skips_other_roles_and_kinds() {
    let items = [
        r##"{"@odata.id": "/i/3", "Id": "3", "Name": "System ROM", "Version": "A43 v2.52 (10/29/2021)"}"##,
        r##"{"@odata.id": "/i/4", "Id": "4", "Name": "Redundant System ROM", "Version": "A43 v2.40 (06/01/2021)"}"##,
        r##"{"@odata.id": "/i/1", "Id": "1", "Name": "iLO 5", "Version": "2.46 May 11 2021"}"##,
    ];
    let components: Vec<Component> = items
        .iter()
        .map(|j| normalize(&decode(j.as_bytes()).unwrap(), &Context::default()))
        .collect();
    let bios: Vec<&str> = active_of(&components, Bios)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(bios, ["3"]);
}

#[test]
fn tokens_split_camel_case_but_keep_vendor_names_whole() {
    let words = |s: &str| -> Vec<String> { tokens(s).into_iter().map(|t| t.text).collect() };
    assert_eq!(words("SystemRomBackup"), ["system", "rom", "backup"]);
    assert_eq!(words("BMCImage"), ["bmc", "image"]);
    assert_eq!(words("iDRAC9 iLO uEFI"), ["idrac", "9", "ilo", "uefi"]);
    assert_eq!(
        words("PSU1 PS2 25GbE"),
        ["psu", "1", "ps", "2", "25", "gbe"]
    );
    assert_eq!(
        words("NonRAID.Integrated.1-1"),
        ["non", "raid", "integrated", "1", "1"]
    );
    assert_eq!(
        words("Power Supply ½ Ünïcode"),
        ["power", "supply", "½", "ünïcode"]
    );
}

fn mock_kind(k: mock_bmc::Kind) -> Kind {
    k.name().parse().expect("mock kinds are fwfleet kinds")
}

fn mock_role(r: mock_bmc::machine::Role) -> Role {
    match r {
        mock_bmc::machine::Role::Active => Active,
        mock_bmc::machine::Role::Backup => Backup,
        mock_bmc::machine::Role::Previous => Previous,
    }
}

/// The mock's own kind and role for every component of every persona and
/// variant (both models, with and without schema quirks), and a staged
/// image of every component read through the mock's FirmwareInventory: 100%
/// agreement. Identities, read host-wide as the scan does
/// ([`normalize_all`]): the backup/previous/staged images of a component
/// share the identity of its active image; active identities are unique per
/// host, also with identical devices (the `apollo` iLO's four power
/// supplies and eight GPUs).
#[test]
fn agrees_with_the_mock_bmc_for_every_persona() {
    let mut checked = 0;
    for persona in Persona::ALL {
        for variant in Variant::of(persona) {
            for index in 0..4 {
                checked += agrees_with_one_mock_bmc(persona, variant, index);
            }
        }
    }
    assert!(checked > 6 * 4 * 3 * 7, "only {checked} members checked");
}

fn agrees_with_one_mock_bmc(persona: Persona, variant: Variant, index: usize) -> usize {
    let mut checked = 0;
    // The idealised listing: every staged image is a member of its own.
    let bmc = Bmc::new(BmcConfig::new_variant("h", persona, variant, 1, index, "pw").ideal());
    let mut st = bmc.lock();
    let ctx = Context {
        vendor: Some(persona.vendor()),
        system_uri: Some("/redfish/v1/Systems"),
        manager_uri: None,
    };
    let item = |body: &serde_json::Value| -> SoftwareInventory {
        redfish_schemas::decode_value(body)
            .unwrap_or_else(|e| panic!("{persona}/{variant}: {e}: {body:#}"))
    };
    let mut items = Vec::new();
    for quirks in [false, true] {
        for c in &st.machine.components {
            let body = tree::firmware_item(c, persona, quirks);
            let got = normalize(&item(&body), &ctx);
            assert_eq!(
                (got.kind, got.role),
                (mock_kind(c.kind), mock_role(c.role)),
                "{persona}/{variant} quirks={quirks}: {body:#}"
            );
            checked += 1;
            if !quirks {
                items.push(item(&body));
            }
        }
    }
    let ours = normalize_all(&items, &ctx);
    let active: Vec<&Component> = ours.iter().filter(|c| c.role == Active).collect();
    let mut ids: Vec<&str> = active.iter().map(|c| c.identity.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), active.len(), "{persona}/{variant}: {ids:?}");
    for other in ours.iter().filter(|c| c.role != Active) {
        assert!(
            active
                .iter()
                .any(|a| a.kind == other.kind && a.identity == other.identity),
            "{persona}/{variant}: {} ({}) pairs with no active image",
            other.id,
            other.identity
        );
    }

    for c in st.machine.components.iter_mut() {
        c.staged_version = Some(format!("{}9", c.version));
    }
    let listing = tree::resolve(&bmc, &st, tree::FIRMWARE).unwrap().body;
    let members = listing["Members"].as_array().unwrap();
    assert_eq!(members.len(), 2 * st.machine.components.len());
    let uris: Vec<&str> = members
        .iter()
        .map(|m| m["@odata.id"].as_str().unwrap())
        .collect();
    let bodies: Vec<SoftwareInventory> = uris
        .iter()
        .map(|uri| item(&tree::resolve(&bmc, &st, uri).unwrap().body))
        .collect();
    for (uri, got) in uris.iter().zip(normalize_all(&bodies, &ctx)) {
        let last = uri.rsplit('/').next().unwrap();
        let (i, staged) = match st.machine.components.iter().position(|c| c.id == last) {
            Some(i) => (i, false),
            None => {
                let i = st
                    .machine
                    .components
                    .iter()
                    .position(|c| tree::staged_id(c, persona) == last)
                    .unwrap();
                (i, true)
            }
        };
        let c = &st.machine.components[i];
        // Dell lists a staged image as an `Available-` package: uploaded,
        // not installed (issue 16), never a staged update by itself.
        let role = match (staged, persona) {
            (true, Persona::Idrac) => Available,
            (true, _) => Staged,
            (false, _) => mock_role(c.role),
        };
        assert_eq!(
            (got.kind, got.role),
            (mock_kind(c.kind), role),
            "{persona}/{variant}: {uri}"
        );
        assert_eq!(got.identity, ours[i].identity, "{persona}/{variant}: {uri}");
        checked += 1;
    }
    checked
}

// --- identical devices on one host (issue 16 item 7) ------------------------

/// Normalises `members` as one host's FirmwareInventory, the way the scan
/// does, and returns (kind, role, identity) per member.
fn host_of(vendor: Option<&str>, members: &[String]) -> Vec<Component> {
    let items: Vec<SoftwareInventory> = members
        .iter()
        .map(|json| decode(json.as_bytes()).unwrap_or_else(|e| panic!("{e}: {json}")))
        .collect();
    let ctx = Context {
        vendor,
        system_uri: Some("/redfish/v1/Systems"),
        manager_uri: None,
    };
    normalize_all(&items, &ctx)
}

/// An iLO member as the Cray-HPE captures show it: numeric Id, the device in
/// `Oem.Hpe.DeviceContext`.
fn ilo_member(id: usize, name: &str, description: &str, version: &str, context: &str) -> String {
    serde_json::json!({
        "@odata.id": format!("/redfish/v1/UpdateService/FirmwareInventory/{id}"),
        "@odata.type": "#SoftwareInventory.v1_2_0.SoftwareInventory",
        "Id": id.to_string(), "Name": name, "Description": description, "Version": version,
        "Oem": {"Hpe": {"DeviceContext": context, "DeviceClass": null}},
    })
    .to_string()
}

#[test]
fn hpe_identical_devices_each_get_an_identity_of_their_own() {
    // Cray-HPE csm-redfish-interface-emulator mockups/XL675d_A100: four
    // "Power Supply Firmware" (Bay 1-4), eight identical A100 GPUs, two
    // "Network Controller" NICs, both System ROMs on the System Board.
    let mut members = vec![
        ilo_member(1, "iLO 5", "SystemBMC", "2.70 May 16 2022", "System Board"),
        ilo_member(
            2,
            "System ROM",
            "SystemRomActive",
            "A47 v2.58 (05/19/2022)",
            "System Board",
        ),
        ilo_member(
            10,
            "Redundant System ROM",
            "SystemRomBackup",
            "A47 v2.58 (05/19/2022)",
            "System Board",
        ),
    ];
    for (n, v) in ["3.11", "2.03", "1.00", "238.00"].iter().enumerate() {
        members.push(ilo_member(
            5 + n,
            "Power Supply Firmware",
            "PowerSupplies",
            v,
            &format!("Bay {}", n + 1),
        ));
    }
    for slot in [18, 20] {
        members.push(ilo_member(
            slot - 7,
            "Network Controller",
            "15b3101715b30006",
            "N/A",
            &format!("PCI-E Slot {slot}"),
        ));
    }
    for n in 1..=8 {
        members.push(ilo_member(
            15 + n,
            "NVIDIA A100-SXM4-40GB",
            "10de20b010de134f",
            "92.00.19.00.10",
            &format!("PCI-E Slot {n}"),
        ));
    }
    let got = host_of(HPE, &members);
    assert_eq!(got.len(), members.len(), "every device is reported");
    let ids: Vec<(&str, Kind, Role, &str)> = got
        .iter()
        .map(|c| (c.id.as_str(), c.kind, c.role, c.identity.as_str()))
        .collect();
    assert_eq!(
        &ids[..3],
        [
            ("1", Bmc, Active, "ilo 5"),
            ("2", Bios, Active, "system rom"),
            ("10", Bios, Backup, "system rom"),
        ]
    );
    assert_eq!(
        &ids[3..7],
        [
            ("5", Psu, Active, "power supply firmware @ bay 1"),
            ("6", Psu, Active, "power supply firmware @ bay 2"),
            ("7", Psu, Active, "power supply firmware @ bay 3"),
            ("8", Psu, Active, "power supply firmware @ bay 4"),
        ]
    );
    assert_eq!(
        &ids[7..9],
        [
            ("11", Nic, Active, "network controller @ pci-e slot 18"),
            ("13", Nic, Active, "network controller @ pci-e slot 20"),
        ]
    );
    for (n, c) in got[9..].iter().enumerate() {
        // A GPU, not a NIC for its `40GB`.
        assert_eq!((c.kind, c.role), (Other, Active));
        assert_eq!(
            c.identity,
            format!("nvidia a100-sxm4-40gb @ pci-e slot {}", n + 1)
        );
        assert_eq!(c.version.as_deref(), Some("92.00.19.00.10"));
    }
    // Each PSU keeps its own version: nothing collapsed or swapped.
    let psus: Vec<&str> = got[3..7]
        .iter()
        .filter_map(|c| c.version.as_deref())
        .collect();
    assert_eq!(psus, ["3.11", "2.03", "1.00", "238.00"]);
}

#[test]
fn identical_drives_of_one_software_id_are_told_apart_by_related_item() {
    // DMTF public-tower lists 16 drives of model "SAS 18000"; a standard BMC
    // gives their firmware one SoftwareId and a RelatedItem each.
    let members: Vec<String> = (0..8)
        .map(|n| {
            serde_json::json!({
                "@odata.id": format!("/redfish/v1/UpdateService/FirmwareInventory/Drive{n}"),
                "Id": format!("Drive{n}"), "Name": "SAS 18000 Firmware", "SoftwareId": "SAS18000-FW",
                "Version": "4.2.1", "Updateable": true,
                "RelatedItem": [{"@odata.id": format!("/redfish/v1/Chassis/Tower/Drives/Disk-1-{n}")}],
            })
            .to_string()
        })
        .collect();
    let got = host_of(DMTF, &members);
    assert_eq!(got.len(), 8);
    for (n, c) in got.iter().enumerate() {
        assert_eq!((c.kind, c.role), (Drive, Active));
        assert_eq!(
            c.identity,
            format!("SAS18000-FW @ /redfish/v1/chassis/tower/drives/disk-1-{n}")
        );
        assert_eq!(
            c.uri,
            format!("/redfish/v1/UpdateService/FirmwareInventory/Drive{n}")
        );
    }
}

#[test]
fn identical_devices_with_backup_images_stay_paired_per_device() {
    // Two NICs of one model, each with a primary and a backup image, all
    // linked to the chassis: the Id (role words removed) tells them apart
    // and pairs each backup with its own NIC.
    let member = |id: &str| {
        serde_json::json!({
            "@odata.id": format!("/redfish/v1/UpdateService/FirmwareInventory/{id}"),
            "Id": id, "Name": "Ethernet Adapter 25GbE", "SoftwareId": "MLX-CX6",
            "Version": "22.31.6", "RelatedItem": [{"@odata.id": "/redfish/v1/Chassis/1"}],
        })
        .to_string()
    };
    let members = ["NIC1-Primary", "NIC1-Backup", "NIC2-Primary", "NIC2-Backup"].map(member);
    let got: Vec<(Role, String)> = host_of(DMTF, &members)
        .into_iter()
        .map(|c| (c.role, c.identity))
        .collect();
    assert_eq!(
        got,
        [
            (Active, "MLX-CX6 @ nic1".to_owned()),
            (Backup, "MLX-CX6 @ nic1".to_owned()),
            (Active, "MLX-CX6 @ nic2".to_owned()),
            (Backup, "MLX-CX6 @ nic2".to_owned()),
        ]
    );
}

#[test]
fn identical_devices_with_nothing_stable_to_tell_them_apart_are_numbered() {
    // OpenBMC-style hash Ids change with every image, so they are no
    // qualifier; one RelatedItem for both: numbered in collection order.
    let member = |id: &str| {
        serde_json::json!({
            "@odata.id": format!("/redfish/v1/UpdateService/FirmwareInventory/{id}"),
            "Id": id, "Name": "Software Inventory", "Description": "Drive image",
            "Version": "2.2.0", "RelatedItem": [{"@odata.id": "/redfish/v1/Chassis/chassis"}],
        })
        .to_string()
    };
    let got: Vec<String> = host_of(OPENBMC, &["5d0869c4", "e4013534"].map(member))
        .into_iter()
        .map(|c| c.identity)
        .collect();
    assert_eq!(got, ["drive image @ #1", "drive image @ #2"]);
}

#[test]
fn dell_identical_disks_share_their_component_id_and_distinct_members_are_left_alone() {
    // iDRAC lists identical disks once per distinct version, under a random
    // FQDD, and one Dell Update Package updates them all
    // (dell/iDRAC-Redfish-Scripting#80): `dell:<ComponentID>` stays shared.
    let members = [
        r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Installed-103049-A07__Disk.Bay.0:Enclosure.Internal.0-1:RAID.SL.3-1",
            "Id": "Installed-103049-A07__Disk.Bay.0:Enclosure.Internal.0-1:RAID.SL.3-1", "Name": "Disk 0 in Backplane 1 of RAID Controller in Slot 1",
            "SoftwareId": "103049", "Version": "A07"}"##,
        r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Installed-103049-A08__Disk.Bay.5:Enclosure.Internal.0-1:RAID.SL.3-1",
            "Id": "Installed-103049-A08__Disk.Bay.5:Enclosure.Internal.0-1:RAID.SL.3-1", "Name": "Disk 5 in Backplane 1 of RAID Controller in Slot 1",
            "SoftwareId": "103049", "Version": "A08"}"##,
        r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Installed-159-2.20.1__BIOS.Setup.1-1",
            "Id": "Installed-159-2.20.1__BIOS.Setup.1-1", "Name": "BIOS", "SoftwareId": "159", "Version": "2.20.1"}"##,
    ]
    .map(str::to_owned);
    let got: Vec<String> = host_of(DELL, &members)
        .into_iter()
        .map(|c| c.identity)
        .collect();
    assert_eq!(got, ["dell:103049", "dell:103049", "dell:159"]);
    // Lenovo's primary and backup BMC images: one device, left paired.
    let xcc = ["BMC-Primary", "BMC-Backup"].map(|id| {
        serde_json::json!({"@odata.id": format!("/redfish/v1/UpdateService/FirmwareInventory/{id}"),
                           "Id": id, "Name": "XCC", "Version": "TGBT58A-3.10"})
        .to_string()
    });
    let got: Vec<(Role, String)> = host_of(LENOVO, &xcc)
        .into_iter()
        .map(|c| (c.role, c.identity))
        .collect();
    assert_eq!(
        got,
        [(Active, "bmc".to_owned()), (Backup, "bmc".to_owned())]
    );
}

/// iDRAC lists a downloaded package as `Available-<ComponentID>-<version>`,
/// without FQDD. For a ComponentID-`0` card the PCI IDs tie it to its device
/// (the only active one with those IDs); with two such devices of different
/// identities nothing is guessed.
#[test]
fn dell_component_id_0_package_without_fqdd_is_tied_to_its_device_by_pci_ids() {
    let member = |id: &str, name: &str, pci: &str| {
        let p: Vec<&str> = pci.split(':').collect();
        serde_json::json!({
            "@odata.id": format!("/redfish/v1/UpdateService/FirmwareInventory/{id}"),
            "Id": id, "Name": name, "Version": id.rsplit('-').next().unwrap().split("__").next().unwrap(),
            "SoftwareId": "0",
            "Oem": {"Dell": {"DellSoftwareInventory": {"ComponentID": "0",
                "VendorID": p[0], "DeviceID": p[1], "SubVendorID": p[2], "SubDeviceID": p[3]}}},
        })
        .to_string()
    };
    let x710 = "8086:1572:8086:0007";
    let comps = host_of(
        DELL,
        &[
            member(
                "Installed-0-20.5.13__NIC.Slot.2-1-1",
                "Intel(R) Ethernet Converged Network Adapter X710",
                x710,
            ),
            member(
                "Available-0-20.5.16",
                "Intel(R) Ethernet Converged Network Adapter X710 (staged)",
                x710,
            ),
        ],
    );
    assert_eq!(comps[0].identity, "dell:0:NIC.Slot.2-1-1");
    assert_eq!(comps[1].identity, comps[0].identity);
    // Two cards with the same IDs in two slots: which one waits is unknown.
    let comps = host_of(
        DELL,
        &[
            member(
                "Installed-0-20.5.13__NIC.Slot.2-1-1",
                "Intel(R) Ethernet Converged Network Adapter X710",
                x710,
            ),
            member(
                "Installed-0-20.5.13__NIC.Slot.3-1-1",
                "Intel(R) Ethernet Converged Network Adapter X710",
                x710,
            ),
            member(
                "Available-0-20.5.16",
                "Intel(R) Ethernet Converged Network Adapter X710 (staged)",
                x710,
            ),
        ],
    );
    assert!(
        comps[2].identity.starts_with("dell:0:intel(r) ethernet"),
        "{:?}",
        comps[2]
    );
}
