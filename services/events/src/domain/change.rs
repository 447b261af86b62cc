//! The events service's change feed in its own terms: what kinds of change it records,
//! which changes a watcher asked for, and what a watch delivers. The record itself is
//! written by the use cases, in the transaction that makes each change.

use jalia_model::{AgencyCode, AgencyFilter};
use jiff::Timestamp;

/// What happened to an event or a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ChangeKind {
    /// A draft was published.
    EventPublished,
    /// The event moved to other times.
    EventRescheduled,
    /// The event was postponed to a date not yet known.
    EventPostponed,
    /// The event was cancelled.
    EventCancelled,
    /// A registration got a seat when made.
    RegistrationConfirmed,
    /// A registration was placed in line when made.
    RegistrationWaitlisted,
    /// A waitlisted registration got a freed seat.
    RegistrationPromoted,
    /// A registration was cancelled, by the organiser or its holder.
    RegistrationCancelled,
}

impl ChangeKind {
    /// Every kind.
    pub(crate) const ALL: [ChangeKind; 8] = [
        Self::EventPublished,
        Self::EventRescheduled,
        Self::EventPostponed,
        Self::EventCancelled,
        Self::RegistrationConfirmed,
        Self::RegistrationWaitlisted,
        Self::RegistrationPromoted,
        Self::RegistrationCancelled,
    ];

    /// The stored name, which never changes once records carry it.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Self::EventPublished => "event.published",
            Self::EventRescheduled => "event.rescheduled",
            Self::EventPostponed => "event.postponed",
            Self::EventCancelled => "event.cancelled",
            Self::RegistrationConfirmed => "registration.confirmed",
            Self::RegistrationWaitlisted => "registration.waitlisted",
            Self::RegistrationPromoted => "registration.promoted",
            Self::RegistrationCancelled => "registration.cancelled",
        }
    }

    /// The kind a stored name names, if any.
    pub(crate) fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

/// What a watcher asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WatchQuery {
    /// One agency's changes, or every agency's (ministry-wide callers only).
    pub agencies: AgencyFilter,
    /// Only these kinds; empty = every kind.
    pub kinds: Vec<ChangeKind>,
    /// An earlier watch's cursor, as the client sent it (empty = none).
    pub cursor: String,
    /// With no cursor, start from the oldest change kept rather than from now.
    pub from_oldest: bool,
}

/// One change as a watcher sees it: no personal data, only the resource's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    /// Resume from here to get what came after.
    pub cursor: String,
    /// What happened.
    pub kind: ChangeKind,
    /// The full resource name.
    pub resource: String,
    /// The owning agency.
    pub agency: AgencyCode,
    /// When it happened.
    pub time: Timestamp,
}

/// What a watch sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FeedEntry {
    /// A change.
    Change(Change),
    /// Nothing new: the position reached, so the client's cursor advances.
    Heartbeat(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_are_distinct_and_read_back() {
        for kind in ChangeKind::ALL {
            assert_eq!(ChangeKind::from_code(kind.code()), Some(kind));
        }
        let mut codes: Vec<_> = ChangeKind::ALL.iter().map(|kind| kind.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ChangeKind::ALL.len());
        assert_eq!(ChangeKind::from_code("event.deleted"), None);
    }
}
