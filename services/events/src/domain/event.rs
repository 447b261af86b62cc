//! The event aggregate: its lifecycle, and its seats. Every seat rule lives here (who
//! gets a seat, who waits and how long the line may be, what a cancellation frees and
//! who it promotes, when the desk checks people in), so that a use case only loads the
//! event and its registrations under lock, calls these methods and saves.

use jalia_model::{AgencyCode, FieldViolation, LocalizedText, ZonedDateTime, reasons};
use jiff::Timestamp;
use uuid::Uuid;

use super::content::{EventContent, Outcomes, check_text_bytes};
use super::error::{Error, Result};
use super::registration::{Registrant, Registration, RegistrationStatus};

/// Where an event is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum EventStatus {
    /// Being prepared; visible to its agency only.
    Draft,
    /// Announced.
    Published,
    /// Called off.
    Cancelled,
    /// Put off to a date to be announced.
    Postponed,
    /// Held.
    Completed,
}

impl EventStatus {
    /// How messages name it.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Draft => "a draft",
            Self::Published => "published",
            Self::Cancelled => "cancelled",
            Self::Postponed => "postponed",
            Self::Completed => "completed",
        }
    }
}

/// Seat counts and the next place in line, kept with the event and changed in the same
/// transaction as the registrations they count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seats {
    /// Confirmed registrations.
    pub confirmed: u32,
    /// Waitlisted registrations.
    pub waitlisted: u32,
    /// Checked-in registrations.
    pub checked_in: u32,
    /// The order number the next waitlisted registration gets: the line is ordered by
    /// it, and a position is the count of those still waiting at or before it.
    pub next_waitlist_seq: i64,
}

impl Default for Seats {
    fn default() -> Self {
        Self {
            confirmed: 0,
            waitlisted: 0,
            checked_in: 0,
            next_waitlist_seq: 1,
        }
    }
}

/// An event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Event {
    /// Id (UUIDv7).
    pub id: Uuid,
    /// Owning agency.
    pub agency: AgencyCode,
    /// What the organiser wrote.
    pub content: EventContent,
    /// Lifecycle state.
    pub status: EventStatus,
    /// Why it was cancelled.
    pub cancellation_reason: Option<LocalizedText>,
    /// The start before the last reschedule.
    pub previous_start: Option<ZonedDateTime>,
    /// iCalendar SEQUENCE.
    pub sequence: u32,
    /// What it produced.
    pub outcomes: Option<Outcomes>,
    /// Seat counts.
    pub seats: Seats,
    /// When it was published.
    pub publish_time: Option<Timestamp>,
    /// When it was created.
    pub create_time: Timestamp,
    /// When its own fields last changed (registrations do not change it).
    pub update_time: Timestamp,
    /// Version behind the etag (registrations do not change it).
    pub version: i64,
}

/// An event's resource name, `agencies/{agency}/events/{event}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EventName {
    /// The agency the name says.
    pub agency: AgencyCode,
    /// The event's id.
    pub id: Uuid,
}

/// Who asks for a seat, as far as the seat rules care.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Applicant<'a> {
    /// The calling system.
    pub registrant: &'a Registrant,
    /// Whether it acts for the organising agency (exempt from the portal quota).
    pub organiser: bool,
    /// Live registrations it already holds on the event.
    pub held: u32,
}

/// The service's registration settings that are not the organiser's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RegistrationPolicy {
    /// Most live registrations one calling system may hold on one event.
    pub per_portal: u32,
}

/// What a registration gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// A confirmed seat.
    Seat,
    /// A place in line, with its order number.
    Waitlist {
        /// The order number.
        seq: i64,
    },
}

impl Event {
    /// A new draft.
    pub(crate) fn draft(
        id: Uuid,
        agency: AgencyCode,
        content: EventContent,
        now: Timestamp,
    ) -> Self {
        Self {
            id,
            agency,
            content,
            status: EventStatus::Draft,
            cancellation_reason: None,
            previous_start: None,
            sequence: 0,
            outcomes: None,
            seats: Seats::default(),
            publish_time: None,
            create_time: now,
            update_time: now,
            version: 1,
        }
    }

    /// The resource name.
    pub(crate) fn name(&self) -> String {
        format!("agencies/{}/events/{}", self.agency, self.id)
    }

    /// Seats still free for confirmation.
    pub(crate) fn remaining_seats(&self) -> u32 {
        self.content
            .registration
            .offered_seats()
            .saturating_sub(self.seats.confirmed)
    }

    /// Whether the event has an online link only its organiser and seated attendees see.
    pub(crate) fn has_private_link(&self) -> bool {
        self.content
            .online_access
            .as_ref()
            .is_some_and(|access| access.private)
    }

    /// The event as a reader who may not see its private link gets it.
    pub(crate) fn without_private_link(mut self) -> Self {
        if let Some(access) = self.content.online_access.as_mut()
            && access.private
        {
            access.url.clear();
        }
        self
    }

    /// The online link a registration gets: while it holds a seat.
    pub(crate) fn online_url_for(&self, registration: &Registration) -> Option<String> {
        (registration.status == RegistrationStatus::Confirmed)
            .then(|| self.content.online_access.as_ref().map(|a| a.url.clone()))
            .flatten()
    }

    /// Marks a change of the event's own fields.
    pub(crate) fn record_change(&mut self, now: Timestamp) {
        self.version += 1;
        self.update_time = now;
    }

    /// DRAFT -> PUBLISHED.
    pub(crate) fn publish(&mut self, now: Timestamp) -> Result<()> {
        self.require(
            &[EventStatus::Draft],
            reasons::EVENT_NOT_DRAFT,
            "only a draft can be published",
        )?;
        let missing = self.content.missing_for_publication();
        if !missing.is_empty() {
            let fields: Vec<_> = missing.iter().map(|m| m.field.as_str()).collect();
            return Err(Error::precondition(
                reasons::EVENT_INCOMPLETE,
                format!(
                    "the event cannot be published without: {}",
                    fields.join(", ")
                ),
            ));
        }
        self.status = EventStatus::Published;
        self.publish_time = Some(now);
        Ok(())
    }

    /// PUBLISHED or POSTPONED -> CANCELLED.
    pub(crate) fn cancel(&mut self, reason: LocalizedText) -> Result<()> {
        self.require(
            &[EventStatus::Published, EventStatus::Postponed],
            reasons::EVENT_NOT_CANCELLABLE,
            "only a published or postponed event can be cancelled (delete a draft instead)",
        )?;
        self.status = EventStatus::Cancelled;
        self.cancellation_reason = Some(reason);
        self.sequence += 1;
        Ok(())
    }

    /// PUBLISHED -> POSTPONED.
    pub(crate) fn postpone(&mut self) -> Result<()> {
        self.require(
            &[EventStatus::Published],
            reasons::EVENT_NOT_PUBLISHED,
            "only a published event can be postponed",
        )?;
        self.status = EventStatus::Postponed;
        self.sequence += 1;
        Ok(())
    }

    /// PUBLISHED or POSTPONED -> PUBLISHED at a new time; the agenda keeps its offsets.
    pub(crate) fn reschedule(&mut self, start: ZonedDateTime, end: ZonedDateTime) -> Result<()> {
        self.require(
            &[EventStatus::Published, EventStatus::Postponed],
            reasons::EVENT_NOT_RESCHEDULABLE,
            "only a published or postponed event can be rescheduled",
        )?;
        let shift = start.local().duration_since(self.content.start.local());
        let mut moved = self.content.clone();
        for (index, item) in moved.agenda_items.iter_mut().enumerate() {
            for (name, time) in [("start", &mut item.start), ("end", &mut item.end)] {
                if let Some(current) = time.as_mut() {
                    *current = current.shifted(shift).map_err(|err| {
                        Error::Invalid(vec![
                            err.violation()
                                .under(&format!("event.agenda_items[{index}].{name}")),
                        ])
                    })?;
                }
            }
        }
        let previous = std::mem::replace(&mut moved.start, start);
        moved.end = end;
        // The request names the new times `start` and `end`, not `event.start`.
        moved.check().map_err(|err| match err {
            Error::Invalid(violations) => Error::Invalid(
                violations
                    .into_iter()
                    .map(|v| FieldViolation::new(v.field.replacen("event.", "", 1), v.description))
                    .collect(),
            ),
            other => other,
        })?;
        self.content = moved;
        self.previous_start = Some(previous);
        self.status = EventStatus::Published;
        self.sequence += 1;
        Ok(())
    }

    /// PUBLISHED -> COMPLETED, once it has started.
    pub(crate) fn complete(&mut self, outcomes: Option<Outcomes>, now: Timestamp) -> Result<()> {
        self.require(
            &[EventStatus::Published],
            reasons::EVENT_NOT_PUBLISHED,
            "only a published event can be completed",
        )?;
        if now < self.content.start.instant() {
            return Err(Error::precondition(
                reasons::EVENT_NOT_STARTED,
                "an event cannot be completed before it starts",
            ));
        }
        let text = self.content.text_bytes() + outcomes.as_ref().map_or(0, Outcomes::text_bytes);
        check_text_bytes(text, "outcomes")?;
        self.status = EventStatus::Completed;
        self.outcomes = outcomes;
        Ok(())
    }

    /// Only a draft is deleted; a published event is cancelled instead.
    pub(crate) fn ensure_deletable(&self) -> Result<()> {
        self.require(
            &[EventStatus::Draft],
            reasons::EVENT_NOT_DRAFT,
            "only a draft can be deleted; cancel a published event instead",
        )
    }

    /// Refuses registrations unless the event is published, takes them, and `now` is in
    /// its window.
    pub(crate) fn ensure_registration_open(&self, now: Timestamp) -> Result<()> {
        if self.status != EventStatus::Published {
            return Err(Error::precondition(
                reasons::EVENT_NOT_PUBLISHED,
                format!(
                    "registration is open only while the event is published; it is {}",
                    self.status.label()
                ),
            ));
        }
        let settings = &self.content.registration;
        if !settings.enabled {
            return Err(Error::precondition(
                reasons::REGISTRATION_DISABLED,
                "this event takes no registrations",
            ));
        }
        if !settings.window_open(now) {
            return Err(Error::precondition(
                reasons::REGISTRATION_CLOSED,
                "registration is not open at this time",
            ));
        }
        Ok(())
    }

    /// The place in line of the registration this event admitted last: waitlisted, it
    /// is at the end of the line, so its place is the count of those waiting.
    pub(crate) fn waitlist_position_of_newest(&self, registration: &Registration) -> Option<u32> {
        (registration.status == RegistrationStatus::Waitlisted).then_some(self.seats.waitlisted)
    }

    /// Gives an applicant a seat if one is free, else a place at the end of the line if
    /// the line has room; never more confirmed than offered seats. Callers of the
    /// organising agency are exempt from the per-portal quota.
    pub(crate) fn admit(
        &mut self,
        applicant: &Applicant<'_>,
        policy: &RegistrationPolicy,
        now: Timestamp,
    ) -> Result<Admission> {
        self.ensure_registration_open(now)?;
        if !applicant.organiser && applicant.held >= policy.per_portal {
            return Err(Error::exhausted(
                reasons::PORTAL_QUOTA_EXCEEDED,
                format!(
                    "{} already holds {} registrations for this event, as many as one portal may",
                    applicant.registrant, applicant.held
                ),
            ));
        }
        if self.remaining_seats() > 0 {
            self.seats.confirmed += 1;
            return Ok(Admission::Seat);
        }
        let settings = &self.content.registration;
        if !settings.waitlist_enabled {
            return Err(Error::precondition(
                reasons::EVENT_FULL,
                "every seat is taken and there is no waitlist",
            ));
        }
        if self.seats.waitlisted >= settings.waitlist_places() {
            return Err(Error::precondition(
                reasons::WAITLIST_FULL,
                "every seat is taken and the waitlist is full",
            ));
        }
        self.seats.waitlisted += 1;
        let seq = self.seats.next_waitlist_seq;
        self.seats.next_waitlist_seq += 1;
        Ok(Admission::Waitlist { seq })
    }

    /// How many of those waiting may be promoted now: free seats go to the line while the
    /// event still runs (published or postponed).
    pub(crate) fn openings(&self) -> u32 {
        if matches!(self.status, EventStatus::Published | EventStatus::Postponed) {
            self.remaining_seats().min(self.seats.waitlisted)
        } else {
            0
        }
    }

    /// Gives a free seat to a waitlisted registration (the first in line: the store
    /// hands them over in order).
    pub(crate) fn promote(
        &mut self,
        registration: &mut Registration,
        now: Timestamp,
    ) -> Result<()> {
        if self.openings() == 0 || registration.status != RegistrationStatus::Waitlisted {
            return Err(Error::precondition(
                reasons::EVENT_FULL,
                "no seat is free for this registration",
            ));
        }
        registration.status = RegistrationStatus::Confirmed;
        registration.waitlist_seq = None;
        registration.record_change(now);
        self.seats.waitlisted -= 1;
        self.seats.confirmed += 1;
        Ok(())
    }

    /// Cancels a registration of this event and frees what it held (a seat or a place
    /// in line); then [`Self::openings`] says how many of the line to promote.
    pub(crate) fn release(
        &mut self,
        registration: &mut Registration,
        now: Timestamp,
    ) -> Result<()> {
        match registration.cancel(now)? {
            RegistrationStatus::Confirmed => {
                self.seats.confirmed = self.seats.confirmed.saturating_sub(1);
            }
            RegistrationStatus::Waitlisted => {
                self.seats.waitlisted = self.seats.waitlisted.saturating_sub(1);
            }
            RegistrationStatus::Cancelled => {}
        }
        Ok(())
    }

    /// Refuses check-in unless the event is published.
    pub(crate) fn ensure_check_in_open(&self) -> Result<()> {
        if self.status == EventStatus::Published {
            Ok(())
        } else {
            Err(Error::precondition(
                reasons::EVENT_NOT_PUBLISHED,
                "check-in is open only while the event is published",
            ))
        }
    }

    /// Checks a registration in at the desk, exactly once.
    pub(crate) fn check_in(
        &mut self,
        registration: &mut Registration,
        now: Timestamp,
    ) -> Result<()> {
        self.ensure_check_in_open()?;
        registration.check_in(now)?;
        self.seats.checked_in += 1;
        Ok(())
    }

    pub(super) fn require(
        &self,
        allowed: &[EventStatus],
        reason: &'static str,
        message: &str,
    ) -> Result<()> {
        if allowed.contains(&self.status) {
            Ok(())
        } else {
            Err(Error::precondition(
                reason,
                format!("{message}; it is {}", self.status.label()),
            ))
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use jalia_model::Caller;

    use super::*;
    use crate::domain::content::tests::content;
    use crate::domain::registration::tests::{attendee, registration};

    pub(crate) fn event(status: EventStatus) -> Event {
        let mut event = Event::draft(
            Uuid::now_v7(),
            AgencyCode::parse("bm").unwrap(),
            content("2027-08-10T10:00", "2027-08-10T13:00"),
            Timestamp::UNIX_EPOCH,
        );
        event.status = status;
        event
    }

    fn seated(capacity: u32, reserved: u32, waitlist: Option<u32>) -> Event {
        let mut event = event(EventStatus::Published);
        let settings = &mut event.content.registration;
        settings.enabled = true;
        settings.capacity = capacity;
        settings.reserved_seats = reserved;
        settings.waitlist_enabled = true;
        settings.waitlist_capacity = waitlist;
        event
    }

    fn portal() -> Registrant {
        Registrant::of(&Caller {
            subject: "consulate-portal".into(),
            agency: jalia_model::AgencyScope::Agency("rabat".into()),
            scopes: Default::default(),
        })
    }

    const POLICY: RegistrationPolicy = RegistrationPolicy { per_portal: 3 };

    fn admit(event: &mut Event, held: u32, organiser: bool) -> Result<Admission> {
        let registrant = portal();
        let applicant = Applicant {
            registrant: &registrant,
            organiser,
            held,
        };
        event.admit(&applicant, &POLICY, Timestamp::UNIX_EPOCH)
    }

    fn reason(err: Error) -> &'static str {
        match err {
            Error::Precondition { reason, .. } | Error::Exhausted { reason, .. } => reason,
            other => panic!("no reason: {other:?}"),
        }
    }

    #[test]
    fn the_lifecycle_allows_only_its_transitions() {
        let now = Timestamp::UNIX_EPOCH;
        let mut draft = event(EventStatus::Draft);
        assert!(draft.cancel(LocalizedText::single("fr", "x")).is_err());
        draft.publish(now).unwrap();
        assert_eq!(draft.status, EventStatus::Published);
        draft.postpone().unwrap();
        assert_eq!(draft.sequence, 1);
        let start = ZonedDateTime::parse("2027-08-17T10:00", "Africa/Casablanca").unwrap();
        let end = ZonedDateTime::parse("2027-08-17T13:00", "Africa/Casablanca").unwrap();
        draft.reschedule(start, end).unwrap();
        assert_eq!(draft.status, EventStatus::Published);
        assert_eq!(draft.sequence, 2);
        assert_eq!(
            draft.previous_start.as_ref().unwrap().local_string(),
            "2027-08-10T10:00:00"
        );
        assert!(draft.complete(None, now).is_err(), "not started yet");
        draft
            .cancel(LocalizedText::single("fr", "Intempéries"))
            .unwrap();
        assert_eq!(draft.sequence, 3);
        assert!(draft.publish(now).is_err());
        assert!(draft.ensure_deletable().is_err());
    }

    #[test]
    fn publication_needs_a_venue_for_in_person_events() {
        let mut draft = event(EventStatus::Draft);
        draft.content.venue = None;
        let err = draft.publish(Timestamp::UNIX_EPOCH).unwrap_err();
        assert!(err.to_string().contains("event.venue"), "{err}");
    }

    #[test]
    fn reserved_seats_are_never_offered_and_the_line_is_numbered() {
        let mut event = seated(3, 1, None);
        assert_eq!(admit(&mut event, 0, true).unwrap(), Admission::Seat);
        assert_eq!(admit(&mut event, 0, true).unwrap(), Admission::Seat);
        assert_eq!(
            admit(&mut event, 0, true).unwrap(),
            Admission::Waitlist { seq: 1 }
        );
        assert_eq!(
            admit(&mut event, 0, true).unwrap(),
            Admission::Waitlist { seq: 2 }
        );
        assert_eq!((event.seats.confirmed, event.seats.waitlisted), (2, 2));
        // Releasing the reserved seat opens one place for the line.
        assert_eq!(event.openings(), 0);
        event.content.registration.reserved_seats = 0;
        assert_eq!(event.openings(), 1);
    }

    #[test]
    fn a_full_line_and_a_portal_at_its_quota_are_refused() {
        let mut event = seated(1, 0, Some(1));
        admit(&mut event, 0, false).unwrap();
        admit(&mut event, 1, false).unwrap();
        assert_eq!(
            reason(admit(&mut event, 0, false).unwrap_err()),
            reasons::WAITLIST_FULL
        );
        let mut event = seated(10, 0, None);
        assert_eq!(
            reason(admit(&mut event, 3, false).unwrap_err()),
            reasons::PORTAL_QUOTA_EXCEEDED
        );
        assert!(
            admit(&mut event, 3, true).is_ok(),
            "the organiser is exempt"
        );
        event.content.registration.waitlist_enabled = false;
        event.content.registration.capacity = 1;
        assert_eq!(
            reason(admit(&mut event, 0, true).unwrap_err()),
            reasons::EVENT_FULL
        );
    }

    #[test]
    fn registration_follows_the_window_and_the_status() {
        let mut event = seated(10, 0, None);
        event.content.registration.open_time = Some(Timestamp::from_second(100).unwrap());
        assert_eq!(
            reason(admit(&mut event, 0, true).unwrap_err()),
            reasons::REGISTRATION_CLOSED
        );
        let mut event = seated(10, 0, None);
        event.status = EventStatus::Postponed;
        assert_eq!(
            reason(admit(&mut event, 0, true).unwrap_err()),
            reasons::EVENT_NOT_PUBLISHED
        );
    }

    #[test]
    fn a_release_frees_a_seat_for_the_first_in_line() {
        let now = Timestamp::UNIX_EPOCH;
        let mut event = seated(1, 0, None);
        admit(&mut event, 0, true).unwrap();
        let Admission::Waitlist { seq } = admit(&mut event, 0, true).unwrap() else {
            panic!("the second one waits");
        };
        let mut holder = registration(&event, attendee(1), RegistrationStatus::Confirmed, None);
        let mut waiting = registration(
            &event,
            attendee(2),
            RegistrationStatus::Waitlisted,
            Some(seq),
        );
        event.release(&mut holder, now).unwrap();
        assert_eq!(holder.status, RegistrationStatus::Cancelled);
        assert_eq!(event.openings(), 1);
        event.promote(&mut waiting, now).unwrap();
        assert_eq!(waiting.status, RegistrationStatus::Confirmed);
        assert_eq!(waiting.waitlist_seq, None);
        assert_eq!((event.seats.confirmed, event.seats.waitlisted), (1, 0));
        assert_eq!(
            reason(event.release(&mut holder, now).unwrap_err()),
            reasons::REGISTRATION_CANCELLED
        );
        // A cancelled event promotes nobody.
        event.seats.waitlisted = 1;
        event.seats.confirmed = 0;
        event.status = EventStatus::Cancelled;
        assert_eq!(event.openings(), 0);
    }

    #[test]
    fn the_desk_checks_a_confirmed_registration_in_once() {
        let now = Timestamp::UNIX_EPOCH;
        let mut event = seated(1, 0, None);
        let mut holder = registration(&event, attendee(1), RegistrationStatus::Confirmed, None);
        let mut waiting =
            registration(&event, attendee(2), RegistrationStatus::Waitlisted, Some(1));
        event.check_in(&mut holder, now).unwrap();
        assert_eq!(event.seats.checked_in, 1);
        assert_eq!(
            reason(event.check_in(&mut holder, now).unwrap_err()),
            reasons::ALREADY_CHECKED_IN
        );
        assert_eq!(
            reason(event.check_in(&mut waiting, now).unwrap_err()),
            reasons::REGISTRATION_NOT_CONFIRMED
        );
        assert_eq!(
            reason(event.release(&mut holder, now).unwrap_err()),
            reasons::ALREADY_CHECKED_IN
        );
        event.status = EventStatus::Completed;
        assert_eq!(
            reason(event.check_in(&mut waiting, now).unwrap_err()),
            reasons::EVENT_NOT_PUBLISHED
        );
    }

    #[test]
    fn a_private_link_is_withheld_and_goes_only_with_a_seat() {
        let mut event = seated(1, 0, None);
        event.content.online_access = Some(crate::domain::content::OnlineAccess {
            url: "https://visio.example.ma/x".into(),
            private: true,
        });
        let holder = registration(&event, attendee(1), RegistrationStatus::Confirmed, None);
        let waiting = registration(&event, attendee(2), RegistrationStatus::Waitlisted, Some(1));
        assert_eq!(
            event.online_url_for(&holder).as_deref(),
            Some("https://visio.example.ma/x")
        );
        assert_eq!(event.online_url_for(&waiting), None);
        let public = event.without_private_link();
        assert_eq!(public.content.online_access.unwrap().url, "");
    }
}
