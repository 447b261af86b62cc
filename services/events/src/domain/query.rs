//! What a list or an export covers: the filters and order of ListEvents and
//! ExportEventsCalendar, and of the roster. A page token is bound to them, so they
//! serialize.

use jalia_model::{AgencyCode, Audience, Caller};
use serde::Serialize;

use super::content::EventKind;
use super::event::EventStatus;
use super::registration::RegistrationStatus;

/// Which events a list or export covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct EventQuery {
    /// One agency, or every agency.
    pub agency: Option<AgencyCode>,
    /// Only this kind.
    #[serde(with = "kind_name")]
    pub kind: Option<EventKind>,
    /// Only this status.
    #[serde(with = "status_name")]
    pub status: Option<EventStatus>,
    /// Only events for this audience.
    pub audience: Option<Audience>,
    /// Start at or after (micros).
    pub start_after: Option<i64>,
    /// Start strictly before (micros).
    pub start_before: Option<i64>,
    /// Updated strictly after (micros).
    pub updated_after: Option<i64>,
    /// Latest start first.
    pub newest_first: bool,
}

/// Which drafts a reader may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DraftVisibility {
    /// None (anonymous and other agencies' callers).
    None,
    /// Its own agency's.
    Agency(AgencyCode),
    /// All (ministry-wide callers).
    All,
}

impl DraftVisibility {
    /// The drafts `caller` may see.
    pub(crate) fn of(caller: Option<&Caller>) -> Self {
        match caller {
            Some(caller) if caller.is_ministry_wide() => Self::All,
            Some(caller) => caller
                .agency_code()
                .and_then(|code| AgencyCode::parse(code).ok())
                .map_or(Self::None, Self::Agency),
            None => Self::None,
        }
    }
}

/// Which registrations a roster covers; by default, all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct RosterQuery {
    /// Only this status.
    #[serde(with = "registration_status_name")]
    pub status: Option<RegistrationStatus>,
    /// Only checked in (true) or not yet (false).
    pub checked_in: Option<bool>,
    /// Updated strictly after (micros).
    pub updated_after: Option<i64>,
}

/// A page token binds the query's serialized form; these names keep it independent of
/// how the variants are spelt in Rust.
mod kind_name {
    use super::EventKind;

    pub(super) fn serialize<S: serde::Serializer>(
        kind: &Option<EventKind>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_some(&kind.map(|kind| match kind {
            EventKind::CommunicationMeeting => "communication_meeting",
            EventKind::NationalDay => "national_day",
            EventKind::InformationSession => "information_session",
            EventKind::Desk => "desk",
            EventKind::Workshop => "workshop",
        }))
    }
}

mod status_name {
    use super::EventStatus;

    pub(super) fn serialize<S: serde::Serializer>(
        status: &Option<EventStatus>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_some(&status.map(|status| match status {
            EventStatus::Draft => "draft",
            EventStatus::Published => "published",
            EventStatus::Cancelled => "cancelled",
            EventStatus::Postponed => "postponed",
            EventStatus::Completed => "completed",
        }))
    }
}

mod registration_status_name {
    use super::RegistrationStatus;

    pub(super) fn serialize<S: serde::Serializer>(
        status: &Option<RegistrationStatus>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_some(&status.map(RegistrationStatus::label))
    }
}
