//! [`Disruption`]: what a step does to the running host (issue 21 item 4).

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

use super::journal::UnknownWord;

vocabulary! {
    /// How much a step disturbs the host it updates.
    "disruption class" enum Disruption {
        /// The host keeps running (BMC firmware: the BMC reboots, the
        /// server does not).
        NoHostImpact => "no-host-impact",
        /// Activated by a host reset (BIOS, NIC, RAID firmware).
        HostReboot => "host-reboot",
        /// Activated only by removing power (CPLD, PSU firmware).
        PowerCycle => "power-cycle",
    }
}
