//! The events service's change feed in its own terms: what kinds of change it records and
//! their stored names. The record itself is written by the use cases, in the transaction
//! that makes each change; what a watcher asks for and gets is jalia-model's feed.

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
