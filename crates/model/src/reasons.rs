//! The ErrorInfo reasons of the suite's API (AIP-193): one stable UPPER_SNAKE name per
//! condition, the same in every service, so that a caller can branch on the reason
//! whichever service answered. They live beside the domain vocabulary so that domain
//! errors can name them without knowing the wire; `jalia_runtime::reasons` is this module.
//!
//! Each constant says which gRPC code it comes with and when it is used. Add a reason
//! here, once, before any service uses it.

// ---- every service, the runtime and the gateway ------------------------------------------

/// NOT_FOUND: no such resource, or another agency's private one (which is never
/// PERMISSION_DENIED, so that its existence does not leak).
pub const NOT_FOUND: &str = "NOT_FOUND";
/// PERMISSION_DENIED: the caller acts for another agency than the one the call names
/// (creating under, changing or listing another agency's resources).
pub const OTHER_AGENCY: &str = "OTHER_AGENCY";
/// PERMISSION_DENIED: only ministry-wide callers (`agency: *`) may do this.
pub const MINISTRY_ONLY: &str = "MINISTRY_ONLY";
/// ABORTED: the etag sent is not the resource's current one (another change won, or the
/// etag was never issued by this suite): read again and retry.
pub const STALE_ETAG: &str = "STALE_ETAG";
/// ABORTED: the write kept losing to concurrent ones (serialization failures, SQLite
/// busy) after its bounded retries: retry.
pub const CONCURRENT_CHANGE: &str = "CONCURRENT_CHANGE";
/// UNAVAILABLE: the service's database cannot be reached or has no free connection.
pub const DATABASE_UNAVAILABLE: &str = "DATABASE_UNAVAILABLE";
/// UNAVAILABLE: the gateway cannot reach the backend that owns the method.
pub const BACKEND_UNAVAILABLE: &str = "BACKEND_UNAVAILABLE";
/// INVALID_ARGUMENT: bad input; a BadRequest detail names each wrong field.
pub const INVALID_ARGUMENT: &str = "INVALID_ARGUMENT";
/// INVALID_ARGUMENT: the request's bytes do not decode as the request message (bad
/// varint, truncated field, non-UTF-8 string).
pub const MALFORMED_REQUEST: &str = "MALFORMED_REQUEST";
/// UNAUTHENTICATED: no token where the method needs one, or a token that does not
/// verify (signature, issuer, audience, lifetime).
pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
/// PERMISSION_DENIED: a valid token without the scope the method declares.
pub const MISSING_SCOPE: &str = "MISSING_SCOPE";
/// RESOURCE_EXHAUSTED: the caller went over its rate; RetryInfo says when to come back.
pub const RATE_LIMITED: &str = "RATE_LIMITED";
/// RESOURCE_EXHAUSTED: the server shed the call because it is at its concurrency limit.
pub const OVERLOADED: &str = "OVERLOADED";
/// RESOURCE_EXHAUSTED: one anonymous client already holds its whole share of the server's
/// concurrency.
pub const CLIENT_CONCURRENCY_LIMIT: &str = "CLIENT_CONCURRENCY_LIMIT";
/// RESOURCE_EXHAUSTED: the request or response message is larger than the limit.
pub const MESSAGE_TOO_LARGE: &str = "MESSAGE_TOO_LARGE";
/// DEADLINE_EXCEEDED: the server's own time limit for the call passed.
pub const DEADLINE_EXCEEDED: &str = "DEADLINE_EXCEEDED";
/// DEADLINE_EXCEEDED: a response nobody read for the idle timeout was ended, releasing
/// its share of the server.
pub const RESPONSE_STALLED: &str = "RESPONSE_STALLED";
/// INTERNAL: a bug; the cause is in the log, never in the answer.
pub const INTERNAL: &str = "INTERNAL";
/// The type of a PreconditionFailure violation (beside a FAILED_PRECONDITION reason)
/// naming a field that must be filled in before the change is possible.
pub const MISSING_FIELD: &str = "MISSING_FIELD";
/// FAILED_PRECONDITION: a change feed's cursor is older than the change records the
/// service keeps (`JALIA_<SERVICE>_CHANGES_RETENTION_DAYS`): start again without it.
pub const CURSOR_EXPIRED: &str = "CURSOR_EXPIRED";

// ---- events --------------------------------------------------------------------------

/// ALREADY_EXISTS: this person (email or phone) already holds a live registration for
/// the event.
pub const ALREADY_REGISTERED: &str = "ALREADY_REGISTERED";
/// RESOURCE_EXHAUSTED: an iCalendar export matches more events than one export holds, or
/// would be larger than one response may be: narrow the time window.
pub const TOO_MANY_EVENTS: &str = "TOO_MANY_EVENTS";
/// FAILED_PRECONDITION: every seat is taken and the event's waitlist is at its capacity.
pub const WAITLIST_FULL: &str = "WAITLIST_FULL";
/// RESOURCE_EXHAUSTED: the calling system (agency and token subject) already holds as many
/// live registrations for the event as one portal may.
pub const PORTAL_QUOTA_EXCEEDED: &str = "PORTAL_QUOTA_EXCEEDED";
/// FAILED_PRECONDITION: the email or phone cannot be registered for the event through
/// this caller (it is in use by a registration another system made); says nothing of
/// whom.
pub const CONTACT_UNAVAILABLE: &str = "CONTACT_UNAVAILABLE";
/// FAILED_PRECONDITION: the consent given names another version of the consent text than
/// the event's current one: the person must be shown the current text.
pub const CONSENT_OUTDATED: &str = "CONSENT_OUTDATED";
/// FAILED_PRECONDITION: a draft event cannot be exported or registered for.
pub const EVENT_DRAFT: &str = "EVENT_DRAFT";
/// FAILED_PRECONDITION: only a draft event can be published, deleted, or have its start
/// and end changed by UpdateEvent.
pub const EVENT_NOT_DRAFT: &str = "EVENT_NOT_DRAFT";
/// FAILED_PRECONDITION: the event lacks what publication needs (the message lists it).
pub const EVENT_INCOMPLETE: &str = "EVENT_INCOMPLETE";
/// FAILED_PRECONDITION: the event's status does not allow cancelling it.
pub const EVENT_NOT_CANCELLABLE: &str = "EVENT_NOT_CANCELLABLE";
/// FAILED_PRECONDITION: the change needs a published event (registering, postponing,
/// completing, checking in).
pub const EVENT_NOT_PUBLISHED: &str = "EVENT_NOT_PUBLISHED";
/// FAILED_PRECONDITION: the event's status does not allow rescheduling it.
pub const EVENT_NOT_RESCHEDULABLE: &str = "EVENT_NOT_RESCHEDULABLE";
/// FAILED_PRECONDITION: an event cannot be completed before it starts.
pub const EVENT_NOT_STARTED: &str = "EVENT_NOT_STARTED";
/// FAILED_PRECONDITION: a cancelled event cannot be changed.
pub const EVENT_CANCELLED: &str = "EVENT_CANCELLED";
/// FAILED_PRECONDITION: only the outcomes of a completed event can be changed.
pub const EVENT_COMPLETED: &str = "EVENT_COMPLETED";
/// FAILED_PRECONDITION: outcomes are recorded once the event is completed.
pub const EVENT_NOT_COMPLETED: &str = "EVENT_NOT_COMPLETED";
/// FAILED_PRECONDITION: a new capacity would leave fewer seats than confirmed
/// registrations.
pub const CAPACITY_BELOW_CONFIRMED: &str = "CAPACITY_BELOW_CONFIRMED";
/// FAILED_PRECONDITION: every seat is taken and the event has no waitlist.
pub const EVENT_FULL: &str = "EVENT_FULL";
/// FAILED_PRECONDITION: the event does not take registrations.
pub const REGISTRATION_DISABLED: &str = "REGISTRATION_DISABLED";
/// FAILED_PRECONDITION: registration is not open now (before it opens or after it
/// closes).
pub const REGISTRATION_CLOSED: &str = "REGISTRATION_CLOSED";
/// FAILED_PRECONDITION: the registration's code was already checked in.
pub const ALREADY_CHECKED_IN: &str = "ALREADY_CHECKED_IN";
/// FAILED_PRECONDITION: the registration is cancelled.
pub const REGISTRATION_CANCELLED: &str = "REGISTRATION_CANCELLED";
/// FAILED_PRECONDITION: only a confirmed registration (not a waitlisted one) checks in.
pub const REGISTRATION_NOT_CONFIRMED: &str = "REGISTRATION_NOT_CONFIRMED";

// ---- services catalog ----------------------------------------------------------------

/// ALREADY_EXISTS: an agency with this code exists.
pub const AGENCY_EXISTS: &str = "AGENCY_EXISTS";
/// FAILED_PRECONDITION: only a draft service can be published or deleted.
pub const SERVICE_NOT_DRAFT: &str = "SERVICE_NOT_DRAFT";
/// FAILED_PRECONDITION: the service lacks what publication needs (MISSING_FIELD
/// violations list it).
pub const SERVICE_INCOMPLETE: &str = "SERVICE_INCOMPLETE";
/// FAILED_PRECONDITION: an update would take away what a published service must keep.
pub const PUBLISHED_SERVICE_INCOMPLETE: &str = "PUBLISHED_SERVICE_INCOMPLETE";
/// FAILED_PRECONDITION: only a published service can be retired.
pub const SERVICE_NOT_PUBLISHED: &str = "SERVICE_NOT_PUBLISHED";
/// FAILED_PRECONDITION: a retired service cannot be changed.
pub const SERVICE_RETIRED: &str = "SERVICE_RETIRED";

// ---- inquiries -----------------------------------------------------------------------

/// ALREADY_EXISTS: the agency already has an inquiry category of this name.
pub const CATEGORY_NAME_TAKEN: &str = "CATEGORY_NAME_TAKEN";
/// FAILED_PRECONDITION: the inquiry is CLOSED: reopen it first.
pub const INQUIRY_CLOSED: &str = "INQUIRY_CLOSED";
/// FAILED_PRECONDITION: the inquiry is REFERRED: reopen it first.
pub const INQUIRY_REFERRED: &str = "INQUIRY_REFERRED";
/// FAILED_PRECONDITION: the state machine has no such transition from the current
/// status.
pub const TRANSITION_NOT_ALLOWED: &str = "TRANSITION_NOT_ALLOWED";
/// FAILED_PRECONDITION: an inquiry is ANSWERED by a public reply, and it has none yet.
pub const NO_PUBLIC_REPLY: &str = "NO_PUBLIC_REPLY";

/// RESOURCE_EXHAUSTED: an uploaded file is over the per-file size limit.
pub const ATTACHMENT_TOO_LARGE: &str = "ATTACHMENT_TOO_LARGE";
/// RESOURCE_EXHAUSTED: the attachments would take an inquiry over its total size limit.
pub const INQUIRY_ATTACHMENTS_TOO_LARGE: &str = "INQUIRY_ATTACHMENTS_TOO_LARGE";
/// FAILED_PRECONDITION: the upload is already attached (each is attached once).
pub const ATTACHMENT_ALREADY_ATTACHED: &str = "ATTACHMENT_ALREADY_ATTACHED";

/// Every reason above, for tests that check a service answers only with known reasons.
pub const ALL: &[&str] = &[
    NOT_FOUND,
    OTHER_AGENCY,
    MINISTRY_ONLY,
    STALE_ETAG,
    CONCURRENT_CHANGE,
    DATABASE_UNAVAILABLE,
    BACKEND_UNAVAILABLE,
    INVALID_ARGUMENT,
    MALFORMED_REQUEST,
    RESPONSE_STALLED,
    UNAUTHENTICATED,
    MISSING_SCOPE,
    RATE_LIMITED,
    OVERLOADED,
    CLIENT_CONCURRENCY_LIMIT,
    MESSAGE_TOO_LARGE,
    DEADLINE_EXCEEDED,
    INTERNAL,
    MISSING_FIELD,
    CURSOR_EXPIRED,
    ALREADY_REGISTERED,
    TOO_MANY_EVENTS,
    WAITLIST_FULL,
    PORTAL_QUOTA_EXCEEDED,
    CONTACT_UNAVAILABLE,
    CONSENT_OUTDATED,
    EVENT_DRAFT,
    EVENT_NOT_DRAFT,
    EVENT_INCOMPLETE,
    EVENT_NOT_CANCELLABLE,
    EVENT_NOT_PUBLISHED,
    EVENT_NOT_RESCHEDULABLE,
    EVENT_NOT_STARTED,
    EVENT_CANCELLED,
    EVENT_COMPLETED,
    EVENT_NOT_COMPLETED,
    CAPACITY_BELOW_CONFIRMED,
    EVENT_FULL,
    REGISTRATION_DISABLED,
    REGISTRATION_CLOSED,
    ALREADY_CHECKED_IN,
    REGISTRATION_CANCELLED,
    REGISTRATION_NOT_CONFIRMED,
    AGENCY_EXISTS,
    SERVICE_NOT_DRAFT,
    SERVICE_INCOMPLETE,
    PUBLISHED_SERVICE_INCOMPLETE,
    SERVICE_NOT_PUBLISHED,
    SERVICE_RETIRED,
    CATEGORY_NAME_TAKEN,
    INQUIRY_CLOSED,
    INQUIRY_REFERRED,
    TRANSITION_NOT_ALLOWED,
    NO_PUBLIC_REPLY,
    ATTACHMENT_TOO_LARGE,
    INQUIRY_ATTACHMENTS_TOO_LARGE,
    ATTACHMENT_ALREADY_ATTACHED,
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    #[test]
    fn each_reason_is_listed_once_and_spelt_as_its_name() {
        let unique: BTreeSet<&str> = super::ALL.iter().copied().collect();
        assert_eq!(unique.len(), super::ALL.len());
        for reason in super::ALL {
            assert!(
                reason.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{reason}"
            );
        }
        let source = include_str!("reasons.rs");
        let declared = source
            .lines()
            .filter(|line| line.starts_with("pub const ") && line.contains(": &str"))
            .count();
        assert_eq!(declared, super::ALL.len(), "every constant is in ALL");
        for line in source
            .lines()
            .filter(|l| l.starts_with("pub const ") && l.contains(": &str"))
        {
            let name = line["pub const ".len()..]
                .split(':')
                .next()
                .unwrap_or_default();
            assert!(line.ends_with(&format!("\"{name}\";")), "{line}");
        }
    }
}
