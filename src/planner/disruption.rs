//! Which disruption class a step has (issue 21 item 4): pure, from the
//! first of these that says anything, in this order:
//!
//! 1. the repository entry (manifest key `disruption`), the operator's word;
//! 2. the vendor catalog's `rebootRequired` (Dell `Catalog.xml`
//!    `SoftwareComponent@rebootRequired`, HPE `reboot_required`): `false`
//!    is `no-host-impact`, `true` is `host-reboot` (the catalog cannot say
//!    power cycle);
//! 3. the BMC's hint: `ResetRequiredOnUpdate` on the component's
//!    SoftwareInventory entry (SoftwareInventory v1_13: "whether a reset is
//!    required to apply an update to this software"), read the same way;
//! 4. the component kind's default ([`kind_default`]).
//!
//! The kind defaults come from how each vendor activates the kind: BMC firmware activates by a BMC
//! reboot that leaves the host running (DMTF `Manager.Reset`, every
//! persona in docs/MOCK-BMC.md); BIOS, NIC, storage/RAID and drive firmware
//! by a host reset (their images are staged `OnReset` and applied in the
//! POST: Dell `JCP001` scheduled jobs, iLO's `SystemResetRequired`);
//! CPLD and PSU firmware only by removing power (Dell's CPLD DUPs and HPE's
//! Power Management Controller/PSU notes ask for a cold boot / AC cycle).
//! `other` is assumed to reboot the host: not knowing, fwfleet takes the
//! safer of the two common classes.
//!
//! The plan carries the class on each changing step (`disruption`,
//! `disruption_source`); `[rollout] no_host_impact_outside_windows` lets the
//! updater run `no-host-impact` steps before a window opens
//! (`updater::host`).

use crate::vocab::{Disruption, Kind};

/// Where a step's class came from, for the plan's reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DisruptionSource {
    Repository,
    Catalog,
    Bmc,
    KindDefault,
}

/// The class of a step, and where it came from.
pub fn decide(
    repository: Option<Disruption>,
    catalog_reboot_required: Option<bool>,
    bmc_reset_required: Option<bool>,
    kind: Kind,
) -> (Disruption, DisruptionSource) {
    if let Some(d) = repository {
        return (d, DisruptionSource::Repository);
    }
    // The catalog and the BMC say only "a reset is needed" or not; the
    // catalog is asked first because it speaks of this very image.
    let hint = catalog_reboot_required
        .map(|r| (r, DisruptionSource::Catalog))
        .or(bmc_reset_required.map(|r| (r, DisruptionSource::Bmc)));
    if let Some((reset, source)) = hint {
        let class = if kind == Kind::Bmc {
            // A BMC image "needing a reset" means the BMC's own reboot.
            Disruption::NoHostImpact
        } else if reset {
            kind_default(kind).max(Disruption::HostReboot)
        } else {
            Disruption::NoHostImpact
        };
        return (class, source);
    }
    (kind_default(kind), DisruptionSource::KindDefault)
}

/// The class a kind has when nothing else says (see the module doc).
pub fn kind_default(kind: Kind) -> Disruption {
    match kind {
        Kind::Bmc => Disruption::NoHostImpact,
        Kind::Bios | Kind::Nic | Kind::Storage | Kind::Drive | Kind::Other => {
            Disruption::HostReboot
        }
        Kind::Cpld | Kind::Psu => Disruption::PowerCycle,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DisruptionSource as S;

    #[test]
    fn the_first_that_says_anything_decides_in_order() {
        let cases = [
            // (repository, catalog, bmc, kind) -> class, source
            (
                Some(Disruption::PowerCycle),
                Some(false),
                Some(false),
                Kind::Bios,
                Disruption::PowerCycle,
                S::Repository,
            ),
            (
                None,
                Some(false),
                Some(true),
                Kind::Nic,
                Disruption::NoHostImpact,
                S::Catalog,
            ),
            (
                None,
                Some(true),
                None,
                Kind::Nic,
                Disruption::HostReboot,
                S::Catalog,
            ),
            (
                None,
                Some(true),
                None,
                Kind::Cpld,
                Disruption::PowerCycle,
                S::Catalog,
            ),
            (
                None,
                None,
                Some(false),
                Kind::Storage,
                Disruption::NoHostImpact,
                S::Bmc,
            ),
            (
                None,
                None,
                Some(true),
                Kind::Bios,
                Disruption::HostReboot,
                S::Bmc,
            ),
            (
                None,
                None,
                Some(true),
                Kind::Bmc,
                Disruption::NoHostImpact,
                S::Bmc,
            ),
            (
                None,
                None,
                None,
                Kind::Bmc,
                Disruption::NoHostImpact,
                S::KindDefault,
            ),
            (
                None,
                None,
                None,
                Kind::Bios,
                Disruption::HostReboot,
                S::KindDefault,
            ),
            (
                None,
                None,
                None,
                Kind::Psu,
                Disruption::PowerCycle,
                S::KindDefault,
            ),
        ];
        for (repo, cat, bmc, kind, want, src) in cases {
            assert_eq!(
                decide(repo, cat, bmc, kind),
                (want, src),
                "{repo:?} {cat:?} {bmc:?} {kind:?}"
            );
        }
    }

    #[test]
    fn kind_defaults() {
        assert_eq!(kind_default(Kind::Bmc), Disruption::NoHostImpact);
        for k in [Kind::Bios, Kind::Nic, Kind::Storage] {
            assert_eq!(kind_default(k), Disruption::HostReboot, "{k:?}");
        }
        for k in [Kind::Cpld, Kind::Psu] {
            assert_eq!(kind_default(k), Disruption::PowerCycle, "{k:?}");
        }
    }

    #[test]
    fn spellings() {
        for d in Disruption::ALL {
            assert_eq!(Disruption::parse(d.as_str()), Ok(*d));
        }
        assert_eq!(Disruption::NoHostImpact.as_str(), "no-host-impact");
    }
}
