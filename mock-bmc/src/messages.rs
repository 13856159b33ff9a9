//! Redfish Message objects from the Base, Update and TaskEvent registries.
//!
//! Clients match `MessageId`s without their version (`Update.*.UpdateSuccessful`),
//! so the mock emits the versions real services emit today and the texts
//! the registries define, with `%n` filled from the arguments.

use serde_json::{json, Value};

/// A registry the mock speaks from, with the `<Prefix>.<Major>.<Minor>` it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registry {
    Base,
    Update,
    TaskEvent,
}

impl Registry {
    fn prefix(self) -> &'static str {
        match self {
            Registry::Base => "Base.1.22",
            Registry::Update => "Update.1.3",
            Registry::TaskEvent => "TaskEvent.1.0",
        }
    }
}

/// (registry, key, message template, severity, resolution)
const MESSAGES: &[(Registry, &str, &str, &str, &str)] = &[
    (Registry::Base, "Success", "The request completed successfully.", "OK", "None."),
    (Registry::Base, "Created", "The resource was created successfully.", "OK", "None."),
    (Registry::Base, "ResourceNotFound", "The requested resource of type %1 named '%2' was not found.", "Critical", "Provide a valid resource identifier and resubmit the request."),
    (Registry::Base, "ResourceMissingAtURI", "The resource at the URI '%1' was not found.", "Critical", "Place a valid resource at the URI or correct the URI and resubmit the request."),
    (Registry::Base, "ResourceAtUriUnauthorized", "While accessing the resource at '%1', the service received an authorization error '%2'.", "Critical", "Ensure that the appropriate access is provided for the service in order for it to access the URI."),
    (Registry::Base, "NoValidSession", "There is no valid session established with the implementation.", "Critical", "Establish a session before attempting any operations."),
    (Registry::Base, "OperationNotAllowed", "The HTTP method is not allowed on this resource.", "Critical", "None."),
    (Registry::Base, "MalformedJSON", "The request body submitted was malformed JSON and could not be parsed by the receiving service.", "Critical", "Ensure that the request body is valid JSON and resubmit the request."),
    (Registry::Base, "PropertyMissing", "The property %1 is a required property and must be included in the request.", "Warning", "Ensure that the property is in the request body and has a valid value and resubmit the request if the operation failed."),
    (Registry::Base, "PropertyValueNotInList", "The value '%1' for the property %2 is not in the list of acceptable values.", "Warning", "Choose a value from the enumeration list that the implementation can support and resubmit the request if the operation failed."),
    (Registry::Base, "PropertyValueTypeError", "The value '%1' for the property %2 is not a type that the property can accept.", "Warning", "Correct the value for the property in the request body and resubmit the request if the operation failed."),
    (Registry::Base, "PropertyNotWritable", "The property %1 is a read-only property and cannot be assigned a value.", "Warning", "Remove the property from the request body and resubmit the request if the operation failed."),
    (Registry::Base, "SessionLimitExceeded", "The session establishment failed due to the number of simultaneous sessions exceeding the limit of the implementation.", "Critical", "Reduce the number of other sessions before trying to establish the session or increase the limit of simultaneous sessions, if supported."),
    (Registry::Base, "QueryParameterUnsupported", "Query parameter '%1' is not supported.", "Warning", "Correct or remove the query parameter and resubmit the request."),
    (Registry::Base, "QueryParameterValueFormatError", "The value '%1' for the parameter %2 is not a format that the parameter can accept.", "Warning", "Correct the value for the query parameter in the request and resubmit the request if the operation failed."),
    (Registry::Base, "ActionNotSupported", "The action %1 is not supported by the resource.", "Critical", "The action supplied cannot be resubmitted to the implementation.  Perhaps the action was invalid, the wrong resource was the target or the implementation documentation may be of assistance."),
    (Registry::Base, "ActionParameterMissing", "The action %1 requires the parameter %2 to be present in the request body.", "Critical", "Supply the action with the required parameter in the request body when the request is resubmitted."),
    (Registry::Base, "ActionParameterUnknown", "The action %1 was submitted with the invalid parameter %2.", "Warning", "Correct the invalid parameter and resubmit the request if the operation failed."),
    (Registry::Base, "ActionParameterValueNotInList", "The value '%1' for the parameter %2 in the action %3 is not in the list of acceptable values.", "Warning", "Choose a value from the enumeration list that the implementation can support and resubmit the request if the operation failed."),
    (Registry::Base, "ActionParameterValueTypeError", "The value '%1' for the parameter %2 in the action %3 is not a type that the parameter can accept.", "Warning", "Correct the value for the parameter in the request body and resubmit the request if the operation failed."),
    (Registry::Base, "ActionParameterValueFormatError", "The value '%1' for the parameter %2 in the action %3 is not a format that the parameter can accept.", "Warning", "Correct the value for the parameter in the request body and resubmit the request if the operation failed."),
    (Registry::Base, "ActionParameterNotSupported", "The parameter %1 for the action %2 is not supported on the target resource.", "Warning", "Remove the parameter supplied and resubmit the request if the operation failed."),
    (Registry::Base, "PropertyValueFormatError", "The value '%1' for the property %2 is not a format that the property can accept.", "Warning", "Correct the value for the property in the request body and resubmit the request if the operation failed."),
    (Registry::Base, "HeaderInvalid", "Header '%1' is invalid.", "Critical", "Resubmit the request with a valid header."),
    (Registry::Base, "InternalError", "The request failed due to an internal service error.  The service is still operational.", "Critical", "Resubmit the request.  If the problem persists, consider resetting the service."),
    (Registry::Base, "GeneralError", "A general error has occurred.  See Resolution for information on how to resolve the error, or @Message.ExtendedInfo if Resolution is not provided.", "Critical", "None."),
    (Registry::Base, "ServiceTemporarilyUnavailable", "The service is temporarily unavailable.  Retry in %1 seconds.", "Critical", "Wait for the indicated retry duration and retry the operation."),
    (Registry::Base, "PayloadTooLarge", "The supplied payload exceeds the maximum size supported by the service.", "Critical", "Correct the request body and resubmit the request if it failed."),
    (Registry::Base, "ResourceInUse", "The change to the requested resource failed because the resource is in use or in transition.", "Warning", "Remove the condition and resubmit the request if the operation failed."),
    (Registry::Base, "InsufficientPrivilege", "There are insufficient privileges for the account or credentials associated with the current session to perform the requested operation.", "Critical", "Either abandon the operation or change the associated access rights and resubmit the request if the operation failed."),
    (Registry::Base, "ResetRequired", "In order to apply changes, recover from errors, or complete the operation, a component reset is required with the Reset action URI '%1' and ResetType '%2'.", "Warning", "Perform the required reset action on the specified component."),
    (Registry::Base, "ResourceCannotBeDeleted", "The delete request failed because the resource requested cannot be deleted.", "Critical", "Do not attempt to delete a non-deletable resource."),
    (Registry::Base, "CouldNotEstablishConnection", "The service failed to establish a connection with the URI '%1'.", "Critical", "Ensure that the URI contains a valid and reachable node name, protocol information and other URI components."),
    (Registry::Base, "SourceDoesNotSupportProtocol", "The other end of the connection at '%1' does not support the specified protocol %2.", "Critical", "Change protocols or URIs and resubmit the request."),
    (Registry::Base, "AccessDenied", "While attempting to establish a connection to '%1', the service denied access.", "Critical", "Attempt to ensure that the URI is correct and that the service has the appropriate credentials."),
    (Registry::Base, "NoOperation", "The request body submitted contain no data to act upon and no changes to the resource took place.", "Warning", "Add properties in the JSON object and resubmit the request."),
    (Registry::Update, "TargetDetermined", "The target device '%1' will be updated with image '%2'.", "OK", "None."),
    (Registry::Update, "UpdateInProgress", "An update is in progress.", "OK", "None."),
    (Registry::Update, "TransferringToComponent", "Image '%1' is being transferred to '%2'.", "OK", "None."),
    (Registry::Update, "VerifyingAtComponent", "Image '%1' is being verified at '%2'.", "OK", "None."),
    (Registry::Update, "InstallingOnComponent", "Image '%1' is being installed on '%2'.", "OK", "None."),
    (Registry::Update, "ApplyingOnComponent", "Image '%1' is being applied on '%2'.", "OK", "None."),
    (Registry::Update, "AwaitToUpdate", "Awaiting for an action to proceed with installing image '%1' on '%2'.", "OK", "Perform the requested action to advance the update operation."),
    (Registry::Update, "AwaitToActivate", "Awaiting for an action to proceed with activating image '%1' on '%2'.", "OK", "Perform the requested action to advance the update operation."),
    (Registry::Update, "UpdateSuccessful", "Device '%1' successfully updated with image '%2'.", "OK", "None."),
    (Registry::Update, "OperationTransitionedToJob", "The update operation has transitioned to the job at URI '%1'.", "OK", "Follow the referenced job and monitor the job for further updates."),
    (Registry::Update, "UpdateSkipped", "Device '%1' skipped the update with image '%2'.", "OK", "None."),
    (Registry::Update, "UpdateSkippedSameVersion", "Device '%1' skipped the update with image '%2' because the same version is already installed.", "OK", "None."),
    (Registry::Update, "UpdateSkippedVersionTooLow", "Device '%1' skipped the update with image '%2' due to the minimum version requirement.", "OK", "None."),
    (Registry::Update, "UpdateNotApplicable", "Image '%1' was not applicable to device '%2'.", "Warning", "Check the image and target and retry the update."),
    (Registry::Update, "TransferFailed", "Transfer of image '%1' to '%2' failed.", "Critical", "None."),
    (Registry::Update, "VerificationFailed", "Verification of image '%1' at '%2' failed.", "Critical", "None."),
    (Registry::Update, "ApplyFailed", "Installation of image '%1' to '%2' failed.", "Critical", "None."),
    (Registry::Update, "ActivateFailed", "Activation of image '%1' on '%2' failed.", "Critical", "None."),
    (Registry::TaskEvent, "TaskStarted", "The task with Id '%1' has started.", "OK", "None."),
    (Registry::TaskEvent, "TaskCompletedOK", "The task with Id '%1' has completed.", "OK", "None."),
    (Registry::TaskEvent, "TaskCompletedWarning", "The task with Id '%1' has completed with warnings.", "Warning", "None."),
    (Registry::TaskEvent, "TaskAborted", "The task with Id '%1' has completed with errors.", "Critical", "None."),
    (Registry::TaskEvent, "TaskCancelled", "The task with Id '%1' has been cancelled.", "Warning", "None."),
    (Registry::TaskEvent, "TaskPaused", "The task with Id '%1' has been paused.", "Warning", "None."),
    (Registry::TaskEvent, "TaskProgressChanged", "The task with Id '%1' has changed to progress %2 percent complete.", "OK", "None."),
];

/// A Message object for `key` in `registry`, with `%1`… replaced by `args`.
/// An unknown key falls back to Base `GeneralError` with the key in the text,
/// so a typo shows up in test output instead of panicking a handler.
pub fn message(registry: Registry, key: &str, args: &[&str]) -> Value {
    let Some((_, key, template, severity, resolution)) = MESSAGES
        .iter()
        .find(|(r, k, ..)| *r == registry && *k == key)
    else {
        return message(Registry::Base, "GeneralError", &[]);
    };
    let mut text = template.to_string();
    for (i, a) in args.iter().enumerate().rev() {
        text = text.replace(&format!("%{}", i + 1), a);
    }
    let mut m = json!({
        "@odata.type": "#Message.v1_3_0.Message",
        "MessageId": format!("{}.{key}", registry.prefix()),
        "Message": text,
        "MessageArgs": args,
        "MessageSeverity": severity,
        "Resolution": resolution,
    });
    if args.is_empty() {
        if let Some(o) = m.as_object_mut() {
            o.remove("MessageArgs");
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_fill_the_template() {
        let m = message(
            Registry::Update,
            "UpdateSuccessful",
            &["/redfish/v1/Systems/1", "bios.img"],
        );
        assert_eq!(m["MessageId"], "Update.1.3.UpdateSuccessful");
        assert_eq!(
            m["Message"],
            "Device '/redfish/v1/Systems/1' successfully updated with image 'bios.img'."
        );
        assert_eq!(m["MessageArgs"][1], "bios.img");
    }

    #[test]
    fn every_key_the_mock_uses_is_in_the_table() {
        // Keys passed as string literals to RedfishError::base / message / fail.
        let sources = [
            include_str!("http/mod.rs"),
            include_str!("http/updates.rs"),
            include_str!("http/expand.rs"),
            include_str!("http/error.rs"),
            include_str!("update.rs"),
            include_str!("field/flow.rs"),
            include_str!("http/field_tree.rs"),
        ];
        for src in sources {
            for marker in [
                "StatusCode::",
                "Registry::Update,",
                "Registry::Base,",
                "Registry::TaskEvent,",
                "fail(&bmc, &id,",
            ] {
                for (i, _) in src.match_indices(marker) {
                    let rest = &src[i + marker.len()..];
                    let rest =
                        rest.trim_start_matches(|c: char| c.is_ascii_uppercase() || c == '_');
                    let rest = rest.trim_start_matches(',').trim_start();
                    let Some(rest) = rest.strip_prefix('"') else {
                        continue;
                    };
                    let key: String = rest.chars().take_while(|c| *c != '"').collect();
                    assert!(
                        MESSAGES.iter().any(|(_, k, ..)| *k == key),
                        "message key {key} is not in the table"
                    );
                }
            }
        }
    }

    #[test]
    fn an_unknown_key_becomes_general_error() {
        assert_eq!(
            message(Registry::Base, "Nope", &[])["MessageId"],
            "Base.1.22.GeneralError"
        );
    }
}
