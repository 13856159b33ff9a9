//! The host under a field BMC: power, POST, and the host firmware a reset
//! activates.
//!
//! A host reset is not instantaneous: the host powers on and walks through
//! POST (`PowerState: PoweringOn`, `BootProgress.LastState` from
//! `PrimaryProcessorInitializationStarted` on), applies staged BIOS and device
//! firmware on the way (longer POST), reports the new versions once hardware
//! initialisation completes, then boots the OS. bmclib treats
//! `SystemHardwareInitializationComplete` as "boot complete" on Supermicro X12
//! and Lenovo (`providers/supermicro/x12.go`, `providers/lenovo/boot.go`);
//! `BootProgress` is ComputerSystem v1_13+ (DSP8010).

use crate::bmc::Bmc;
use crate::field::flow;
use std::sync::Arc;
use std::time::Duration;

/// The host's power and boot state.
#[derive(Debug, Clone)]
pub struct HostState {
    /// ComputerSystem `PowerState`: `On`, `Off`, `PoweringOn`.
    pub power: &'static str,
    /// `BootProgress.LastState`.
    pub boot: &'static str,
    /// `BootProgress.OemLastState` while `boot` is `OEM`.
    pub oem_boot: Option<&'static str>,
    /// Bumped by every reset, so a POST that a newer reset replaced stops.
    pub generation: u64,
}

impl Default for HostState {
    fn default() -> Self {
        HostState {
            power: "On",
            boot: "OSRunning",
            oem_boot: None,
            generation: 0,
        }
    }
}

/// Reset (or power on) the host: a POST starts; `by_bmc` when the BMC
/// resets the host itself (iDRAC9 under Immediate, generic Immediate).
pub fn reset(bmc: &Arc<Bmc>, st: &mut crate::state::BmcState, by_bmc: bool) {
    st.field.host.generation += 1;
    st.field.host.power = "PoweringOn";
    st.field.host.boot = "PrimaryProcessorInitializationStarted";
    st.field.host.oem_boot = None;
    st.field.host_resets += 1;
    for c in st.machine.components.iter_mut() {
        if c.kind != crate::machine::Kind::Bmc && c.role == crate::machine::Role::Active {
            c.field.resets_received += 1;
        }
    }
    let generation = st.field.host.generation;
    let bmc = bmc.clone();
    tracing::debug!(bmc = %bmc.config.machine.name, by_bmc, "host reset");
    tokio::spawn(async move { post(bmc, generation).await });
}

/// Power the host off (ForceOff, GracefulShutdown); a running POST stops.
pub fn power_off(st: &mut crate::state::BmcState) {
    st.field.host.generation += 1;
    st.field.host.power = "Off";
    st.field.host.boot = "None";
    st.field.host.oem_boot = None;
}

/// Move to `boot` if this POST is still the current one.
fn step(bmc: &Bmc, generation: u64, boot: &'static str, oem: Option<&'static str>) -> bool {
    let mut st = bmc.lock();
    if st.field.host.generation != generation {
        return false;
    }
    st.field.host.boot = boot;
    st.field.host.oem_boot = oem;
    true
}

async fn post(bmc: Arc<Bmc>, generation: u64) {
    let t = bmc.config.field.clone();
    let quarter = t.host_post / 4;
    let flash = flow::host_flash_time(&bmc);
    let stages: [(&'static str, Option<&'static str>, Duration); 3] = [
        ("PrimaryProcessorInitializationStarted", None, quarter),
        ("MemoryInitializationStarted", None, quarter),
        ("PCIResourceConfigStarted", None, quarter),
    ];
    for (i, (boot, oem, d)) in stages.into_iter().enumerate() {
        if !step(&bmc, generation, boot, oem) {
            return;
        }
        tokio::time::sleep(d).await;
        if i == 1 && !flash.is_zero() {
            // Staged host firmware is written during POST (UEFI applies it).
            if !step(&bmc, generation, "OEM", Some("FirmwareUpdate")) {
                return;
            }
            flow::host_flash_started(&bmc);
            tokio::time::sleep(flash).await;
        }
    }
    {
        let mut st = bmc.lock();
        if st.field.host.generation != generation {
            return;
        }
        st.field.host.boot = "SystemHardwareInitializationComplete";
        st.field.host.oem_boot = None;
        st.field.host.power = "On";
    }
    flow::host_post_done(&bmc);
    tokio::time::sleep(quarter / 2).await;
    if !step(&bmc, generation, "OSBootStarted", None) {
        return;
    }
    tokio::time::sleep(quarter / 2).await;
    step(&bmc, generation, "OSRunning", None);
}
