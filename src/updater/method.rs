//! Which transfer a step uses: the repository's preference, then what the BMC
//! offers, then the config default, then the built-in order. Pure, so the
//! choice and its explanation are tested without a BMC.

use crate::redfish::update_service::UpdateCaps;
use crate::vocab::Method;

/// The built-in order when nothing else decides: SimpleUpdate lets the BMC
/// pull at its own pace and verify the download itself; multipart is the
/// standard push; raw `HttpPushUri` is deprecated and last.
const ORDER: [Method; 3] = [Method::SimpleUpdate, Method::Multipart, Method::RawPush];

/// The methods this BMC offers; SimpleUpdate only when it can pull over the
/// image server's scheme (`http`/`https`), or when there is no image server.
pub fn offered(caps: &UpdateCaps, image_scheme: Option<&str>) -> Vec<Method> {
    ORDER
        .into_iter()
        .filter(|m| match m {
            Method::SimpleUpdate => image_scheme.is_some_and(|s| caps.simple_update_over(s)),
            Method::Multipart => caps.multipart.is_some(),
            Method::RawPush => caps.http_push.is_some(),
        })
        .collect()
}

/// The BMC's capabilities less the transfers that cannot carry this step:
/// iLO's SimpleUpdate for an image type it does not flash, OpenBMC's raw
/// push for anything but the BMC, and a raw push (which has no apply time of
/// its own) for an image that must wait for a reset while another transfer
/// can say so. When that would leave nothing, the BMC's own list stands and
/// the BMC decides.
pub fn usable_for(
    caps: &UpdateCaps,
    step: &crate::updater::host::PlannedStep,
    image_scheme: Option<&str>,
) -> UpdateCaps {
    let mut c = caps.clone();
    let name = step
        .image
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !c.platform.simple_update_takes_file(&name) {
        c.simple_update = None;
    }
    // A raw push carries no apply time: one other than `Immediate` only
    // where the service-wide one may be taken (`HttpPushUriOptionsBusy`).
    let staged = step.apply_time.as_deref().is_some_and(|a| a != "Immediate")
        && c.push_options_busy.is_none();
    if (c.platform.raw_push_bmc_only() && step.kind != crate::vocab::Kind::Bmc) || staged {
        c.http_push = None;
    }
    // An image past `MaxImageSizeBytes` cannot be pushed; the BMC may still
    // pull it. With nothing else, the push refuses it before sending.
    if c.max_image_size.is_some_and(|max| step.size > max) {
        c.multipart = None;
        c.http_push = None;
    }
    if offered(&c, image_scheme).is_empty() {
        return caps.clone();
    }
    c
}

/// The configured preference, and the key it came from: a host's own
/// `method` (`hosts[].method`) before `rollout.default_method`.
pub fn configured(host: Option<Method>, rollout: Option<Method>) -> Option<(Method, &'static str)> {
    host.map(|m| (m, "the host's method"))
        .or(rollout.map(|m| (m, "rollout.default_method")))
}

/// Choose, and say why in one line. `Err` says why nothing fits.
pub fn choose(
    repository: Option<Method>,
    caps: &UpdateCaps,
    config_default: Option<(Method, &str)>,
    image_scheme: Option<&str>,
) -> Result<(Method, String), String> {
    let offered = offered(caps, image_scheme);
    let names = || {
        offered
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if offered.is_empty() {
        return Err(
            "the BMC offers no update method fwfleet can use (no SimpleUpdate over the image server's scheme, no MultipartHttpPushUri, no HttpPushUri)"
                .into(),
        );
    }
    let mut note = String::new();
    if let Some(want) = repository {
        if offered.contains(&want) {
            return Ok((
                want,
                format!("{}: the repository entry asks for it", want.as_str()),
            ));
        }
        note = format!(
            " (the repository entry asks for {}, which this BMC does not offer)",
            want.as_str()
        );
    }
    if offered.len() == 1 {
        return Ok((
            offered[0],
            format!(
                "{}: the only method the BMC offers{note}",
                offered[0].as_str()
            ),
        ));
    }
    if let Some((d, from)) = config_default {
        if offered.contains(&d) {
            return Ok((d, format!("{}: {from}{note}", d.as_str())));
        }
    }
    Ok((
        offered[0],
        format!(
            "{}: first of the BMC's methods ({}){note}",
            offered[0].as_str(),
            names()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(simple: bool, protocols: &[&str], multipart: bool, raw: bool) -> UpdateCaps {
        UpdateCaps {
            simple_update: simple.then(|| "/su".to_string()),
            protocols: protocols.iter().map(|s| s.to_string()).collect(),
            multipart: multipart.then(|| "/mp".to_string()),
            http_push: raw.then(|| "/raw".to_string()),
            ..Default::default()
        }
    }

    #[test]
    fn a_hosts_own_method_comes_before_the_rollouts_default() {
        let all = caps(true, &["HTTP", "HTTPS"], true, true);
        let pick = |h, r| choose(None, &all, configured(h, r), Some("http")).unwrap();
        let (m, why) = pick(Some(Method::RawPush), Some(Method::Multipart));
        assert_eq!(m, Method::RawPush);
        assert!(why.contains("the host's method"), "{why}");
        let (m, why) = pick(None, Some(Method::Multipart));
        assert_eq!(m, Method::Multipart);
        assert!(why.contains("rollout.default_method"), "{why}");
        // The repository entry still decides first.
        let (m, _) = choose(
            Some(Method::SimpleUpdate),
            &all,
            configured(Some(Method::RawPush), None),
            Some("http"),
        )
        .unwrap();
        assert_eq!(m, Method::SimpleUpdate);
    }

    #[test]
    fn repository_then_bmc_then_config_then_order() {
        let all = caps(true, &["HTTP", "HTTPS"], true, true);
        let c = |r, d: Option<Method>, s| choose(r, &all, configured(None, d), s);
        assert_eq!(
            c(Some(Method::RawPush), None, Some("http")).unwrap().0,
            Method::RawPush
        );
        assert!(c(Some(Method::RawPush), None, Some("http"))
            .unwrap()
            .1
            .contains("repository"));
        assert_eq!(
            c(None, Some(Method::Multipart), Some("http")).unwrap().0,
            Method::Multipart
        );
        assert_eq!(c(None, None, Some("http")).unwrap().0, Method::SimpleUpdate);
        // No image server: no SimpleUpdate.
        assert_eq!(c(None, None, None).unwrap().0, Method::Multipart);
        // The BMC cannot pull over HTTPS.
        let http_only = caps(true, &["HTTP"], true, false);
        let (m, why) = choose(Some(Method::SimpleUpdate), &http_only, None, Some("https")).unwrap();
        assert_eq!(m, Method::Multipart);
        assert!(why.contains("does not offer"), "{why}");
        // Only raw push.
        let raw = caps(false, &[], false, true);
        let (m, why) = choose(
            None,
            &raw,
            configured(None, Some(Method::Multipart)),
            Some("http"),
        )
        .unwrap();
        assert_eq!(m, Method::RawPush);
        assert!(why.contains("only method"), "{why}");
        assert!(choose(None, &caps(false, &[], false, false), None, Some("http")).is_err());
        // Unstated protocols: assume the BMC can pull.
        assert_eq!(
            choose(None, &caps(true, &[], true, false), None, Some("https"))
                .unwrap()
                .0,
            Method::SimpleUpdate
        );
    }
}
