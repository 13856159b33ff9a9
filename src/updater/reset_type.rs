//! Which `ResetType` the coordinated reset sends: the reset policy's
//! preference, among the values the BMC allows for that reset
//! (`ResetType@Redfish.AllowableValues` or the action's ActionInfo, read by
//! `redfish::update_service::reset_action`). A BMC that allows none of them
//! gets no reset: the operator is told which it allows.

use crate::config::ResetPolicy;
use crate::redfish::update_service::{ResetAction, ResetTarget};

/// In order of preference. A host under `graceful` is only ever restarted
/// gracefully (its OS shuts down first); a BMC has no OS to shut down, so a
/// `ForceRestart` is the same restart where the BMC allows only that.
fn preference(policy: ResetPolicy, class: ResetTarget) -> &'static [&'static str] {
    match (policy, class) {
        (ResetPolicy::Force, ResetTarget::System) => {
            &["ForceRestart", "PowerCycle", "GracefulRestart"]
        }
        (ResetPolicy::Force, ResetTarget::Manager) => &["ForceRestart", "GracefulRestart"],
        (_, ResetTarget::System) => &["GracefulRestart"],
        (_, ResetTarget::Manager) => &["GracefulRestart", "ForceRestart"],
    }
}

/// The reset type for `class` under `policy` on a BMC whose reset action is
/// `action` (`None`: not readable, so the policy's first choice). `Err` says
/// what the BMC allows and what to do.
pub fn choose(
    policy: ResetPolicy,
    class: ResetTarget,
    action: Option<&ResetAction>,
) -> Result<&'static str, String> {
    let wanted = preference(policy, class);
    let Some(a) = action else {
        return Ok(wanted[0]);
    };
    a.choose(wanted).ok_or_else(|| {
        format!(
            "the BMC allows ResetType {} for this reset, none of {} that reset policy {} sends; reset it by hand (or choose another reset_policy)",
            a.allowed.join(", "),
            wanted.join(", "),
            policy.as_str()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(allowed: &[&str]) -> ResetAction {
        ResetAction {
            target: "/redfish/v1/Managers/1/Actions/Manager.Reset".into(),
            allowed: allowed.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn the_policy_choice_among_the_allowed_reset_types() {
        use ResetPolicy::{Force, Graceful};
        use ResetTarget::{Manager, System};
        // Nothing said: the policy's own.
        assert_eq!(choose(Graceful, System, None), Ok("GracefulRestart"));
        assert_eq!(
            choose(Force, System, Some(&action(&[]))),
            Ok("ForceRestart")
        );
        // A BMC that restarts itself only by force.
        assert_eq!(
            choose(Graceful, Manager, Some(&action(&["ForceRestart"]))),
            Ok("ForceRestart")
        );
        // A host that power-cycles but does not force-restart.
        assert_eq!(
            choose(
                Force,
                System,
                Some(&action(&["On", "ForceOff", "PowerCycle"]))
            ),
            Ok("PowerCycle")
        );
        // graceful never forces a host.
        let e = choose(
            Graceful,
            System,
            Some(&action(&["ForceRestart", "PowerCycle"])),
        )
        .unwrap_err();
        assert!(
            e.contains("ForceRestart, PowerCycle") && e.contains("graceful"),
            "{e}"
        );
    }
}
