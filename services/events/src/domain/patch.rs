//! UpdateEvent: the fields a change replaces, and the rules of which fields the event's
//! state lets change.

use jalia_model::{Audience, LocalizedText, ZonedDateTime, reasons};
use jiff::Timestamp;

use super::content::{
    AgendaItem, AttendanceMode, EventKind, OnlineAccess, Outcomes, Participant,
    RegistrationSettings, Venue, check_text_bytes,
};
use super::error::{Error, Result};
use super::event::{Event, EventStatus};

/// One field an update replaces.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum EventField {
    /// `kind`.
    Kind(EventKind),
    /// `title`.
    Title(LocalizedText),
    /// `description`.
    Description(LocalizedText),
    /// `theme`.
    Theme(LocalizedText),
    /// `attendance_mode`.
    AttendanceMode(Option<AttendanceMode>),
    /// `venue`.
    Venue(Option<Venue>),
    /// `online_access`.
    OnlineAccess(Option<OnlineAccess>),
    /// `chair`.
    Chair(Option<Participant>),
    /// `speakers`.
    Speakers(Vec<Participant>),
    /// `guests`.
    Guests(Vec<Participant>),
    /// `agenda_items`.
    AgendaItems(Vec<AgendaItem>),
    /// `audiences`.
    Audiences(Vec<Audience>),
    /// `related_services`.
    RelatedServices(Vec<String>),
    /// `registration_settings`.
    Registration(RegistrationSettings),
    /// `registration_settings.enabled`.
    RegistrationEnabled(bool),
    /// `registration_settings.capacity`.
    Capacity(u32),
    /// `registration_settings.reserved_seats`.
    ReservedSeats(u32),
    /// `registration_settings.waitlist_enabled`.
    WaitlistEnabled(bool),
    /// `registration_settings.open_time`.
    OpenTime(Option<Timestamp>),
    /// `registration_settings.close_time`.
    CloseTime(Option<Timestamp>),
    /// `registration_settings.waitlist_capacity`.
    WaitlistCapacity(Option<u32>),
    /// `registration_settings.consent_required`.
    ConsentRequired(bool),
    /// `registration_settings.consent_version`.
    ConsentVersion(Option<String>),
    /// `start` (drafts only).
    Start(ZonedDateTime),
    /// `end` (drafts only).
    End(ZonedDateTime),
    /// `outcomes` (completed events only).
    Outcomes(Option<Outcomes>),
}

/// The fields an UpdateEvent replaces; `replace_all` when the mask was `*`, which means
/// every path the event's state allows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EventPatch {
    /// The fields.
    pub fields: Vec<EventField>,
    /// Whether the caller asked for every updatable path.
    pub replace_all: bool,
}

impl Event {
    /// Applies an update under the state rules of UpdateEvent.
    pub(crate) fn apply(&mut self, patch: EventPatch) -> Result<()> {
        let status = self.status;
        if status == EventStatus::Cancelled {
            return Err(Error::precondition(
                reasons::EVENT_CANCELLED,
                "a cancelled event cannot be changed",
            ));
        }
        let mut content = self.content.clone();
        let mut outcomes = self.outcomes.clone();
        for field in patch.fields {
            if let Some(refusal) = refusal(&field, status) {
                if patch.replace_all {
                    continue;
                }
                return Err(refusal);
            }
            let settings = &mut content.registration;
            match field {
                EventField::Kind(kind) => content.kind = kind,
                EventField::Title(title) => content.title = title,
                EventField::Description(text) => content.description = text,
                EventField::Theme(text) => content.theme = text,
                EventField::AttendanceMode(mode) => content.attendance_mode = mode,
                EventField::Venue(venue) => content.venue = venue,
                EventField::OnlineAccess(access) => content.online_access = access,
                EventField::Chair(chair) => content.chair = chair,
                EventField::Speakers(speakers) => content.speakers = speakers,
                EventField::Guests(guests) => content.guests = guests,
                EventField::AgendaItems(items) => content.agenda_items = items,
                EventField::Audiences(audiences) => content.audiences = audiences,
                EventField::RelatedServices(services) => content.related_services = services,
                EventField::Registration(new) => *settings = new,
                EventField::RegistrationEnabled(on) => settings.enabled = on,
                EventField::Capacity(capacity) => settings.capacity = capacity,
                EventField::ReservedSeats(seats) => settings.reserved_seats = seats,
                EventField::WaitlistEnabled(on) => settings.waitlist_enabled = on,
                EventField::OpenTime(time) => settings.open_time = time,
                EventField::CloseTime(time) => settings.close_time = time,
                EventField::WaitlistCapacity(places) => settings.waitlist_capacity = places,
                EventField::ConsentRequired(on) => settings.consent_required = on,
                EventField::ConsentVersion(version) => settings.consent_version = version,
                EventField::Start(start) => content.start = start,
                EventField::End(end) => content.end = end,
                EventField::Outcomes(new) => outcomes = new,
            }
        }
        content.check()?;
        let text = content.text_bytes() + outcomes.as_ref().map_or(0, Outcomes::text_bytes);
        check_text_bytes(text, "event")?;
        if status != EventStatus::Draft {
            let missing = content.missing_for_publication();
            if !missing.is_empty() {
                return Err(Error::Invalid(missing));
            }
        }
        if content.registration.offered_seats() < self.seats.confirmed {
            return Err(Error::precondition(
                reasons::CAPACITY_BELOW_CONFIRMED,
                format!(
                    "{} registrations are confirmed; capacity minus reserved seats cannot go below that",
                    self.seats.confirmed
                ),
            ));
        }
        self.content = content;
        self.outcomes = outcomes;
        Ok(())
    }
}

/// Why the event's state does not let `field` change, if it does not.
fn refusal(field: &EventField, status: EventStatus) -> Option<Error> {
    match field {
        EventField::Start(_) | EventField::End(_) if status != EventStatus::Draft => {
            Some(Error::precondition(
                reasons::EVENT_NOT_DRAFT,
                "start and end change only in a draft; use RescheduleEvent",
            ))
        }
        EventField::Outcomes(_) if status != EventStatus::Completed => Some(Error::precondition(
            reasons::EVENT_NOT_COMPLETED,
            "outcomes are recorded once the event is completed",
        )),
        EventField::Start(_) | EventField::End(_) | EventField::Outcomes(_) => None,
        _ if status == EventStatus::Completed => Some(Error::precondition(
            reasons::EVENT_COMPLETED,
            "only the outcomes of a completed event can be changed",
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::tests::event;

    fn reason(err: Error) -> &'static str {
        match err {
            Error::Precondition { reason, .. } => reason,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_state_lets_its_own_fields_change() {
        let title = EventField::Title(LocalizedText::single("fr", "Nouveau titre"));
        let start = EventField::Start(
            ZonedDateTime::parse("2027-08-10T09:00", "Africa/Casablanca").unwrap(),
        );
        let outcomes = EventField::Outcomes(Some(Outcomes::default()));
        let one = |field: &EventField| EventPatch {
            fields: vec![field.clone()],
            replace_all: false,
        };
        let mut draft = event(EventStatus::Draft);
        draft.apply(one(&start)).unwrap();
        assert_eq!(
            reason(draft.apply(one(&outcomes)).unwrap_err()),
            reasons::EVENT_NOT_COMPLETED
        );
        let mut published = event(EventStatus::Published);
        assert_eq!(
            reason(published.apply(one(&start)).unwrap_err()),
            reasons::EVENT_NOT_DRAFT
        );
        published.apply(one(&title)).unwrap();
        let mut completed = event(EventStatus::Completed);
        assert_eq!(
            reason(completed.apply(one(&title)).unwrap_err()),
            reasons::EVENT_COMPLETED
        );
        completed.apply(one(&outcomes)).unwrap();
        // `*` skips what the state does not allow instead of refusing it.
        let mut completed = event(EventStatus::Completed);
        completed
            .apply(EventPatch {
                fields: vec![title, start, outcomes],
                replace_all: true,
            })
            .unwrap();
        assert_eq!(completed.outcomes, Some(Outcomes::default()));
        let mut cancelled = event(EventStatus::Cancelled);
        assert_eq!(
            reason(
                cancelled
                    .apply(EventPatch {
                        fields: vec![],
                        replace_all: true
                    })
                    .unwrap_err()
            ),
            reasons::EVENT_CANCELLED
        );
    }

    #[test]
    fn capacity_never_drops_below_the_confirmed_seats() {
        let mut event = event(EventStatus::Published);
        event.content.registration.capacity = 10;
        event.seats.confirmed = 5;
        let patch = |capacity| EventPatch {
            fields: vec![EventField::Capacity(capacity)],
            replace_all: false,
        };
        assert_eq!(
            reason(event.apply(patch(4)).unwrap_err()),
            reasons::CAPACITY_BELOW_CONFIRMED
        );
        event.apply(patch(5)).unwrap();
        assert_eq!(event.content.registration.capacity, 5);
    }
}
