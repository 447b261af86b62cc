//! Events: what an organiser writes, the lifecycle, and the rules that keep an event
//! coherent (times in order, agenda inside the event, seats that add up).

use jalia_model::{AgencyCode, FieldViolation, LocalizedText, Violations, ZonedDateTime};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::{Error, Result};

/// Longest title, theme, role or agenda title, in characters.
pub const SHORT_TEXT: usize = 300;
/// Longest description, minutes or decision, in characters.
pub const LONG_TEXT: usize = 10_000;

/// What kind of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A communication meeting with the public.
    CommunicationMeeting,
    /// The National Day of Moroccans Living Abroad (10 August).
    NationalDay,
    /// An information session.
    InformationSession,
    /// A desk or permanence.
    Desk,
    /// A workshop.
    Workshop,
}

/// How people attend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttendanceMode {
    /// At a venue.
    InPerson,
    /// Through a link.
    Online,
    /// Both.
    Hybrid,
}

/// Where an event is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
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
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Cancelled => "cancelled",
            Self::Postponed => "postponed",
            Self::Completed => "completed",
        }
    }

    /// From the stored form.
    pub fn parse(stored: &str) -> Option<Self> {
        Some(match stored {
            "draft" => Self::Draft,
            "published" => Self::Published,
            "cancelled" => Self::Cancelled,
            "postponed" => Self::Postponed,
            "completed" => Self::Completed,
            _ => return None,
        })
    }
}

impl EventKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CommunicationMeeting => "communication_meeting",
            Self::NationalDay => "national_day",
            Self::InformationSession => "information_session",
            Self::Desk => "desk",
            Self::Workshop => "workshop",
        }
    }

    /// From the stored form.
    pub fn parse(stored: &str) -> Option<Self> {
        Some(match stored {
            "communication_meeting" => Self::CommunicationMeeting,
            "national_day" => Self::NationalDay,
            "information_session" => Self::InformationSession,
            "desk" => Self::Desk,
            "workshop" => Self::Workshop,
            _ => return None,
        })
    }
}

/// Whom an event is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Citizens and residents.
    Citizens,
    /// Moroccans living abroad.
    Diaspora,
    /// Architects, surveyors, engineers, developers, notaries.
    Professionals,
    /// Associations.
    Associations,
    /// Local authorities and administrations.
    PublicOfficials,
}

impl Audience {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Citizens => "citizens",
            Self::Diaspora => "diaspora",
            Self::Professionals => "professionals",
            Self::Associations => "associations",
            Self::PublicOfficials => "public_officials",
        }
    }
}

/// A postal address of a place.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PostalAddress {
    /// Street lines.
    pub lines: Vec<String>,
    /// City or town.
    pub locality: String,
    /// Province or prefecture.
    pub province: String,
    /// Region.
    pub region: String,
    /// Postal code.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country, empty when not given.
    pub region_code: String,
    /// Name of the place.
    pub place_name: LocalizedText,
    /// Latitude in degrees.
    pub latitude: Option<f64>,
    /// Longitude in degrees.
    pub longitude: Option<f64>,
}

/// Where an event takes place.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Venue {
    /// The venue's name.
    pub display_name: LocalizedText,
    /// Its address.
    pub address: PostalAddress,
}

/// How to join online.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineAccess {
    /// An https link.
    pub url: String,
    /// Whether only registered people and the owning agency may see it.
    pub private: bool,
}

/// A person taking part, named by role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// The role, e.g. "Wali of the Béni Mellal-Khénifra region".
    pub role: LocalizedText,
    /// The organisation, when the role does not say it.
    pub organization: LocalizedText,
}

/// One item of the programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaItem {
    /// Title.
    pub title: LocalizedText,
    /// Description.
    pub description: LocalizedText,
    /// Local start, inside the event.
    pub start: Option<ZonedDateTime>,
    /// Local end, inside the event.
    pub end: Option<ZonedDateTime>,
    /// Speakers by role.
    pub speakers: Vec<Participant>,
}

/// A count of attendees of one audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendanceFigure {
    /// The audience.
    pub audience: Audience,
    /// How many.
    pub count: u32,
}

/// A decision or follow-up of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// What was decided.
    pub text: LocalizedText,
    /// Who follows it up.
    pub responsible: LocalizedText,
    /// By when.
    pub due_date: Option<Date>,
}

/// What an event produced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcomes {
    /// Summary of the minutes.
    pub minutes_summary: LocalizedText,
    /// People who attended.
    pub attendance_count: u32,
    /// Attendance by audience.
    pub attendance_by_audience: Vec<AttendanceFigure>,
    /// Decisions and follow-ups.
    pub decisions: Vec<Decision>,
}

/// Registration rules of an event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationSettings {
    /// Whether people can register.
    pub enabled: bool,
    /// Seats in all.
    pub capacity: u32,
    /// Seats kept aside (officials, press), never offered.
    pub reserved_seats: u32,
    /// Whether people beyond capacity join a waitlist.
    pub waitlist_enabled: bool,
    /// Registration opens at.
    pub open_time: Option<Timestamp>,
    /// Registration closes at.
    pub close_time: Option<Timestamp>,
}

impl RegistrationSettings {
    /// Seats that can be confirmed at all.
    pub fn offered_seats(&self) -> u32 {
        self.capacity.saturating_sub(self.reserved_seats)
    }

    /// Whether `now` lies in the registration window.
    pub fn window_open(&self, now: Timestamp) -> bool {
        self.open_time.is_none_or(|open| now >= open)
            && self.close_time.is_none_or(|close| now < close)
    }
}

/// Everything an organiser writes about an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventContent {
    /// Kind.
    pub kind: EventKind,
    /// Title (required).
    pub title: LocalizedText,
    /// Description.
    pub description: LocalizedText,
    /// Theme or slogan.
    pub theme: LocalizedText,
    /// Local start.
    pub start: ZonedDateTime,
    /// Local end.
    pub end: ZonedDateTime,
    /// In person, online, hybrid.
    pub attendance_mode: Option<AttendanceMode>,
    /// Venue.
    pub venue: Option<Venue>,
    /// Online access.
    pub online_access: Option<OnlineAccess>,
    /// Chair, by role.
    pub chair: Option<Participant>,
    /// Speakers, by role.
    pub speakers: Vec<Participant>,
    /// Programme.
    pub agenda_items: Vec<AgendaItem>,
    /// Audiences.
    pub audiences: Vec<Audience>,
    /// Related catalog services (resource names).
    pub related_services: Vec<String>,
    /// Registration rules.
    pub registration: RegistrationSettings,
}

impl EventContent {
    /// The checks that involve several fields; violations name `event.<field>`.
    pub fn check(&self) -> Result<()> {
        let mut violations = Violations::new();
        if self.end.instant() <= self.start.instant() {
            violations.add("event.end", "must be after the start");
        }
        for (index, item) in self.agenda_items.iter().enumerate() {
            let field = format!("event.agenda_items[{index}]");
            for (name, time) in [("start", &item.start), ("end", &item.end)] {
                if let Some(time) = time {
                    let instant = time.instant();
                    if instant < self.start.instant() || instant > self.end.instant() {
                        violations.add(format!("{field}.{name}"), "must lie within the event");
                    }
                }
            }
            if let (Some(start), Some(end)) = (&item.start, &item.end)
                && end.instant() < start.instant()
            {
                violations.add(
                    format!("{field}.end"),
                    "must not be before the item's start",
                );
            }
        }
        let registration = &self.registration;
        if registration.reserved_seats > registration.capacity {
            violations.add(
                "event.registration_settings.reserved_seats",
                "must not exceed the capacity",
            );
        }
        if let (Some(open), Some(close)) = (registration.open_time, registration.close_time)
            && close <= open
        {
            violations.add(
                "event.registration_settings.close_time",
                "must be after the open time",
            );
        }
        violations.finish(|| ()).map_err(Error::Invalid)
    }

    /// What a published event lacks, as violations of the missing fields.
    pub fn missing_for_publication(&self) -> Vec<FieldViolation> {
        let mut missing = Vec::new();
        match self.attendance_mode {
            None => missing.push(FieldViolation::new("event.attendance_mode", "must be set")),
            Some(mode) => {
                if matches!(mode, AttendanceMode::InPerson | AttendanceMode::Hybrid)
                    && self.venue.is_none()
                {
                    missing.push(FieldViolation::new(
                        "event.venue",
                        "an in-person event needs a venue",
                    ));
                }
                if matches!(mode, AttendanceMode::Online | AttendanceMode::Hybrid)
                    && self.online_access.is_none()
                {
                    missing.push(FieldViolation::new(
                        "event.online_access",
                        "an online event needs a link",
                    ));
                }
            }
        }
        if self.audiences.is_empty() {
            missing.push(FieldViolation::new(
                "event.audiences",
                "at least one audience",
            ));
        }
        missing
    }
}

/// Seat counts, kept with the event and changed in the same transaction as the
/// registrations they count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatCounts {
    /// Confirmed registrations.
    pub confirmed: u32,
    /// Waitlisted registrations.
    pub waitlisted: u32,
    /// Checked-in registrations.
    pub checked_in: u32,
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
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
    pub seats: SeatCounts,
    /// When it was published.
    pub publish_time: Option<Timestamp>,
    /// When it was created.
    pub create_time: Timestamp,
    /// When it last changed.
    pub update_time: Timestamp,
    /// Version behind the etag.
    pub version: i64,
}

impl Event {
    /// The resource name.
    pub fn name(&self) -> String {
        format!("agencies/{}/events/{}", self.agency, self.id)
    }

    /// The etag of this version.
    pub fn etag(&self) -> String {
        etag_of(self.version)
    }

    /// Seats still free for confirmation.
    pub fn remaining_seats(&self) -> u32 {
        self.content
            .registration
            .offered_seats()
            .saturating_sub(self.seats.confirmed)
    }

    /// Refuses a stale etag.
    pub fn check_etag(&self, etag: &str) -> Result<()> {
        if etag.is_empty() {
            return Err(Error::invalid("etag", "must be the etag last read"));
        }
        if etag != self.etag() {
            return Err(Error::Stale("event"));
        }
        Ok(())
    }

    /// DRAFT -> PUBLISHED.
    pub fn publish(&mut self, now: Timestamp) -> Result<()> {
        self.require(
            &[EventStatus::Draft],
            "EVENT_NOT_DRAFT",
            "only a draft can be published",
        )?;
        let missing = self.content.missing_for_publication();
        if !missing.is_empty() {
            let fields: Vec<_> = missing.iter().map(|m| m.field.as_str()).collect();
            return Err(Error::precondition(
                "EVENT_INCOMPLETE",
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
    pub fn cancel(&mut self, reason: LocalizedText) -> Result<()> {
        self.require(
            &[EventStatus::Published, EventStatus::Postponed],
            "EVENT_NOT_CANCELLABLE",
            "only a published or postponed event can be cancelled (delete a draft instead)",
        )?;
        self.status = EventStatus::Cancelled;
        self.cancellation_reason = Some(reason);
        self.sequence += 1;
        Ok(())
    }

    /// PUBLISHED -> POSTPONED.
    pub fn postpone(&mut self) -> Result<()> {
        self.require(
            &[EventStatus::Published],
            "EVENT_NOT_PUBLISHED",
            "only a published event can be postponed",
        )?;
        self.status = EventStatus::Postponed;
        self.sequence += 1;
        Ok(())
    }

    /// PUBLISHED or POSTPONED -> PUBLISHED at a new time; the agenda keeps its offsets.
    pub fn reschedule(&mut self, start: ZonedDateTime, end: ZonedDateTime) -> Result<()> {
        self.require(
            &[EventStatus::Published, EventStatus::Postponed],
            "EVENT_NOT_RESCHEDULABLE",
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
    pub fn complete(&mut self, outcomes: Option<Outcomes>, now: Timestamp) -> Result<()> {
        self.require(
            &[EventStatus::Published],
            "EVENT_NOT_PUBLISHED",
            "only a published event can be completed",
        )?;
        if now < self.content.start.instant() {
            return Err(Error::precondition(
                "EVENT_NOT_STARTED",
                "an event cannot be completed before it starts",
            ));
        }
        self.status = EventStatus::Completed;
        self.outcomes = outcomes;
        Ok(())
    }

    fn require(&self, allowed: &[EventStatus], reason: &'static str, message: &str) -> Result<()> {
        if allowed.contains(&self.status) {
            Ok(())
        } else {
            Err(Error::precondition(
                reason,
                format!("{message}; it is {}", self.status.as_str()),
            ))
        }
    }
}

/// The etag of a version: opaque to callers.
pub fn etag_of(version: i64) -> String {
    format!("\"v{version}\"")
}

/// Checks an https URL: absolute, https, a host, no spaces.
pub fn check_https_url(url: &str) -> std::result::Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .ok_or_else(|| "must be an https:// URL".to_owned())?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || url.contains(char::is_whitespace) || url.len() > 2048 {
        return Err("must be an https:// URL with a host".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn content(start: &str, end: &str) -> EventContent {
        EventContent {
            kind: EventKind::NationalDay,
            title: LocalizedText::single("fr", "Journée nationale des MRE"),
            description: LocalizedText::default(),
            theme: LocalizedText::default(),
            start: ZonedDateTime::parse(start, "Africa/Casablanca").unwrap(),
            end: ZonedDateTime::parse(end, "Africa/Casablanca").unwrap(),
            attendance_mode: Some(AttendanceMode::InPerson),
            venue: Some(Venue::default()),
            online_access: None,
            chair: None,
            speakers: vec![],
            agenda_items: vec![],
            audiences: vec![Audience::Diaspora],
            related_services: vec![],
            registration: RegistrationSettings::default(),
        }
    }

    fn event(status: EventStatus) -> Event {
        Event {
            id: Uuid::now_v7(),
            agency: AgencyCode::parse("bm").unwrap(),
            content: content("2027-08-10T10:00", "2027-08-10T13:00"),
            status,
            cancellation_reason: None,
            previous_start: None,
            sequence: 0,
            outcomes: None,
            seats: SeatCounts::default(),
            publish_time: None,
            create_time: Timestamp::UNIX_EPOCH,
            update_time: Timestamp::UNIX_EPOCH,
            version: 1,
        }
    }

    #[test]
    fn end_before_start_and_agenda_outside_are_refused() {
        let mut bad = content("2027-08-10T10:00", "2027-08-10T09:00");
        bad.registration.capacity = 10;
        bad.registration.reserved_seats = 11;
        bad.agenda_items.push(AgendaItem {
            title: LocalizedText::single("fr", "Ouverture"),
            description: LocalizedText::default(),
            start: Some(ZonedDateTime::parse("2027-08-11T10:00", "Africa/Casablanca").unwrap()),
            end: None,
            speakers: vec![],
        });
        let Err(Error::Invalid(violations)) = bad.check() else {
            panic!("expected violations");
        };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert!(fields.contains(&"event.end"));
        assert!(fields.contains(&"event.agenda_items[0].start"));
        assert!(fields.contains(&"event.registration_settings.reserved_seats"));
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
    }

    #[test]
    fn publication_needs_a_venue_for_in_person_events() {
        let mut draft = event(EventStatus::Draft);
        draft.content.venue = None;
        let err = draft.publish(Timestamp::UNIX_EPOCH).unwrap_err();
        assert!(err.to_string().contains("event.venue"), "{err}");
    }

    #[test]
    fn urls_must_be_https() {
        assert!(check_https_url("https://visio.example.ma/room").is_ok());
        assert!(check_https_url("http://visio.example.ma").is_err());
        assert!(check_https_url("https://").is_err());
    }
}

/// One field an update replaces.
#[derive(Debug, Clone, PartialEq)]
pub enum EventField {
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
    /// `start` (drafts only).
    Start(ZonedDateTime),
    /// `end` (drafts only).
    End(ZonedDateTime),
    /// `outcomes` (completed events only).
    Outcomes(Option<Outcomes>),
}

/// The fields an UpdateEvent replaces; `wildcard` when the mask was `*`, which means
/// every path the event's state allows.
#[derive(Debug, Clone, PartialEq)]
pub struct EventPatch {
    /// The fields.
    pub fields: Vec<EventField>,
    /// Whether the caller asked for every updatable path.
    pub wildcard: bool,
}

impl Event {
    /// Applies an update under the state rules of UpdateEvent.
    pub fn apply(&mut self, patch: EventPatch) -> Result<()> {
        let status = self.status;
        if status == EventStatus::Cancelled {
            return Err(Error::precondition(
                "EVENT_CANCELLED",
                "a cancelled event cannot be changed",
            ));
        }
        let mut content = self.content.clone();
        let mut outcomes = self.outcomes.clone();
        for field in patch.fields {
            let content_path = !matches!(
                field,
                EventField::Start(_) | EventField::End(_) | EventField::Outcomes(_)
            );
            if content_path && status == EventStatus::Completed {
                if patch.wildcard {
                    continue;
                }
                return Err(Error::precondition(
                    "EVENT_COMPLETED",
                    "only the outcomes of a completed event can be changed",
                ));
            }
            match field {
                EventField::Start(_) | EventField::End(_) if status != EventStatus::Draft => {
                    if patch.wildcard {
                        continue;
                    }
                    return Err(Error::precondition(
                        "EVENT_NOT_DRAFT",
                        "start and end change only in a draft; use RescheduleEvent",
                    ));
                }
                EventField::Outcomes(_) if status != EventStatus::Completed => {
                    if patch.wildcard {
                        continue;
                    }
                    return Err(Error::precondition(
                        "EVENT_NOT_COMPLETED",
                        "outcomes are recorded once the event is completed",
                    ));
                }
                EventField::Kind(kind) => content.kind = kind,
                EventField::Title(title) => content.title = title,
                EventField::Description(text) => content.description = text,
                EventField::Theme(text) => content.theme = text,
                EventField::AttendanceMode(mode) => content.attendance_mode = mode,
                EventField::Venue(venue) => content.venue = venue,
                EventField::OnlineAccess(access) => content.online_access = access,
                EventField::Chair(chair) => content.chair = chair,
                EventField::Speakers(speakers) => content.speakers = speakers,
                EventField::AgendaItems(items) => content.agenda_items = items,
                EventField::Audiences(audiences) => content.audiences = audiences,
                EventField::RelatedServices(services) => content.related_services = services,
                EventField::Registration(settings) => content.registration = settings,
                EventField::RegistrationEnabled(on) => content.registration.enabled = on,
                EventField::Capacity(capacity) => content.registration.capacity = capacity,
                EventField::ReservedSeats(seats) => content.registration.reserved_seats = seats,
                EventField::WaitlistEnabled(on) => content.registration.waitlist_enabled = on,
                EventField::OpenTime(time) => content.registration.open_time = time,
                EventField::CloseTime(time) => content.registration.close_time = time,
                EventField::Start(start) => content.start = start,
                EventField::End(end) => content.end = end,
                EventField::Outcomes(new) => outcomes = new,
            }
        }
        content.check()?;
        if status != EventStatus::Draft {
            let missing = content.missing_for_publication();
            if !missing.is_empty() {
                return Err(Error::Invalid(missing));
            }
        }
        if content.registration.offered_seats() < self.seats.confirmed {
            return Err(Error::precondition(
                "CAPACITY_BELOW_CONFIRMED",
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
