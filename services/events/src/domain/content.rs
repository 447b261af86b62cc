//! What an organiser writes about an event, and the bounds that keep any event small
//! enough to be read back in one response: counts of every list, lengths of every text,
//! and a ceiling on all of an event's text together.

use jalia_model::{
    Audience, FieldViolation, LocalizedText, PostalAddress, Violations, ZonedDateTime,
};
use jiff::Timestamp;
use jiff::civil::Date;

use super::error::{Error, Result};

/// Longest title, theme, role, name or responsible body, per language, in characters.
pub(crate) const SHORT_TEXT: usize = 300;
/// Longest description, minutes summary or decision, per language, in characters.
pub(crate) const LONG_TEXT: usize = 10_000;
/// Most languages one text holds.
pub(crate) const MAX_LANGUAGES: usize = 10;
/// Most speakers of the event as a whole.
pub(crate) const MAX_SPEAKERS: usize = 30;
/// Most guests (attending officials who do not speak).
pub(crate) const MAX_GUESTS: usize = 30;
/// Most agenda items.
pub(crate) const MAX_AGENDA_ITEMS: usize = 50;
/// Most speakers of one agenda item.
pub(crate) const MAX_ITEM_SPEAKERS: usize = 10;
/// Most related catalog services.
pub(crate) const MAX_RELATED_SERVICES: usize = 50;
/// Most attendance figures (one per audience).
pub(crate) const MAX_ATTENDANCE_FIGURES: usize = Audience::ALL.len();
/// Most decisions in the outcomes.
pub(crate) const MAX_DECISIONS: usize = 30;
/// Most bytes of text one event holds, all texts, languages and lists together. Each
/// field's own bound still allows far more in sum; this keeps the largest event, as a
/// response (where each text also carries the entry served to the reader), near a
/// quarter of the default 4 MiB message limit, so a page or a read always fits.
pub(crate) const MAX_EVENT_TEXT_BYTES: usize = 512 * 1024;
/// Most seats a waitlist may be given.
pub(crate) const MAX_WAITLIST_CAPACITY: u32 = 100_000;
/// Longest consent text version.
pub(crate) const CONSENT_VERSION_LENGTH: usize = 64;
/// The waitlist's capacity when the organiser sets none: large enough for any of the
/// agency's events, small enough that no caller can grow a waitlist without bound.
pub(crate) const DEFAULT_WAITLIST_CAPACITY: u32 = 1_000;

/// What kind of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum EventKind {
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttendanceMode {
    /// At a venue.
    InPerson,
    /// Through a link.
    Online,
    /// Both.
    Hybrid,
}

/// Where an event takes place.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Venue {
    /// The venue's name.
    pub display_name: LocalizedText,
    /// Its address, when given.
    pub address: Option<PostalAddress>,
}

/// How to join online.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OnlineAccess {
    /// An https link; empty once withheld from a reader who may not see it.
    pub url: String,
    /// Whether only registered people and the owning agency may see it.
    pub private: bool,
}

/// A person taking part, named by role.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Participant {
    /// The role, e.g. "Wali of the Béni Mellal-Khénifra region".
    pub role: LocalizedText,
    /// The organisation, when the role does not say it.
    pub organization: LocalizedText,
}

/// One item of the programme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AgendaItem {
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AttendanceFigure {
    /// The audience.
    pub audience: Audience,
    /// How many.
    pub count: u32,
}

/// A decision or follow-up of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decision {
    /// What was decided.
    pub text: LocalizedText,
    /// Who follows it up.
    pub responsible: LocalizedText,
    /// By when.
    pub due_date: Option<Date>,
}

/// What an event produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Outcomes {
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RegistrationSettings {
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
    /// Most people waiting at once; None: [`DEFAULT_WAITLIST_CAPACITY`].
    pub waitlist_capacity: Option<u32>,
    /// Whether a registration needs the person's consent to the processing of their data.
    pub consent_required: bool,
    /// The consent text's current version; None when the event has none.
    pub consent_version: Option<String>,
}

impl RegistrationSettings {
    /// Seats that can be confirmed at all.
    pub(crate) fn offered_seats(&self) -> u32 {
        self.capacity.saturating_sub(self.reserved_seats)
    }

    /// Whether `now` lies in the registration window.
    pub(crate) fn window_open(&self, now: Timestamp) -> bool {
        self.open_time.is_none_or(|open| now >= open)
            && self.close_time.is_none_or(|close| now < close)
    }

    /// How many may wait at once: none without a waitlist.
    pub(crate) fn waitlist_places(&self) -> u32 {
        if self.waitlist_enabled {
            self.waitlist_capacity.unwrap_or(DEFAULT_WAITLIST_CAPACITY)
        } else {
            0
        }
    }
}

/// Everything an organiser writes about an event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EventContent {
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
    /// Attending officials and guests who do not speak, by role.
    pub guests: Vec<Participant>,
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
    /// The checks that involve several fields, and the ceiling on all text together;
    /// violations name `event.<field>`.
    pub(crate) fn check(&self) -> Result<()> {
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
        if registration
            .waitlist_capacity
            .is_some_and(|places| places > MAX_WAITLIST_CAPACITY)
        {
            violations.add(
                "event.registration_settings.waitlist_capacity",
                format!("at most {MAX_WAITLIST_CAPACITY}"),
            );
        }
        if registration
            .consent_version
            .as_ref()
            .is_some_and(|version| version.chars().count() > CONSENT_VERSION_LENGTH)
        {
            violations.add(
                "event.registration_settings.consent_version",
                format!("at most {CONSENT_VERSION_LENGTH} characters"),
            );
        } else if registration.consent_required && registration.consent_version.is_none() {
            violations.add(
                "event.registration_settings.consent_version",
                "must be given when consent is required",
            );
        }
        if let Err(violation) = check_text_bytes(self.text_bytes(), "event") {
            violations.push(violation);
        }
        violations.finish(|| ()).map_err(Error::Invalid)
    }

    /// Bytes of text the event holds, every language of every text, names and links
    /// included.
    pub(crate) fn text_bytes(&self) -> usize {
        let participant = |p: &Participant| text_bytes(&p.role) + text_bytes(&p.organization);
        let venue = self.venue.as_ref().map_or(0, |venue| {
            text_bytes(&venue.display_name) + venue.address.as_ref().map_or(0, address_bytes)
        });
        let agenda: usize = self
            .agenda_items
            .iter()
            .map(|item| {
                text_bytes(&item.title)
                    + text_bytes(&item.description)
                    + item.speakers.iter().map(participant).sum::<usize>()
            })
            .sum();
        text_bytes(&self.title)
            + text_bytes(&self.description)
            + text_bytes(&self.theme)
            + venue
            + self
                .online_access
                .as_ref()
                .map_or(0, |access| access.url.len())
            + self.chair.as_ref().map_or(0, participant)
            + self.speakers.iter().map(participant).sum::<usize>()
            + self.guests.iter().map(participant).sum::<usize>()
            + agenda
            + self.related_services.iter().map(String::len).sum::<usize>()
    }

    /// What a published event lacks, as violations of the missing fields.
    pub(crate) fn missing_for_publication(&self) -> Vec<FieldViolation> {
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

impl Outcomes {
    /// Bytes of text the outcomes hold.
    pub(crate) fn text_bytes(&self) -> usize {
        text_bytes(&self.minutes_summary)
            + self
                .decisions
                .iter()
                .map(|d| text_bytes(&d.text) + text_bytes(&d.responsible))
                .sum::<usize>()
    }
}

/// Refuses `bytes` of text in one event beyond [`MAX_EVENT_TEXT_BYTES`], as a violation
/// of `field`.
pub(crate) fn check_text_bytes(
    bytes: usize,
    field: &str,
) -> std::result::Result<(), FieldViolation> {
    if bytes > MAX_EVENT_TEXT_BYTES {
        Err(FieldViolation::new(
            field,
            format!(
                "the event's texts together would take {bytes} bytes, more than the {MAX_EVENT_TEXT_BYTES} an event may hold: shorten the descriptions, the programme or the minutes"
            ),
        ))
    } else {
        Ok(())
    }
}

fn text_bytes(text: &LocalizedText) -> usize {
    text.entries()
        .map(|(language, text)| language.as_str().len() + text.len())
        .sum()
}

fn address_bytes(address: &PostalAddress) -> usize {
    address
        .address_lines
        .iter()
        .chain([
            &address.locality,
            &address.province,
            &address.region,
            &address.postal_code,
        ])
        .map(String::len)
        .sum::<usize>()
        + text_bytes(&address.place_name)
}

/// Checks an https URL: absolute, https, a host, no spaces, at most 2048 bytes.
pub(crate) fn check_https_url(url: &str) -> std::result::Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .ok_or_else(|| "must be an https:// URL".to_owned())?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || url.contains(char::is_whitespace) || url.len() > 2048 {
        return Err("must be an https:// URL with a host, at most 2048 bytes".to_owned());
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
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
            guests: vec![],
            agenda_items: vec![],
            audiences: vec![Audience::Diaspora],
            related_services: vec![],
            registration: RegistrationSettings::default(),
        }
    }

    fn fields(err: Error) -> Vec<String> {
        let Error::Invalid(violations) = err else {
            panic!("expected violations, got {err:?}");
        };
        violations.into_iter().map(|v| v.field).collect()
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
        let fields = fields(bad.check().unwrap_err());
        assert!(fields.contains(&"event.end".to_owned()));
        assert!(fields.contains(&"event.agenda_items[0].start".to_owned()));
        assert!(fields.contains(&"event.registration_settings.reserved_seats".to_owned()));
    }

    #[test]
    fn all_the_text_of_an_event_is_bounded() {
        let mut event = content("2027-08-10T10:00", "2027-08-10T13:00");
        let long = "é".repeat(LONG_TEXT);
        let item = AgendaItem {
            title: LocalizedText::single("fr", "Atelier"),
            description: LocalizedText::single("fr", &long).with("ar", &long),
            start: None,
            end: None,
            speakers: vec![],
        };
        event.agenda_items = vec![item; 14];
        assert!(event.text_bytes() > MAX_EVENT_TEXT_BYTES);
        assert_eq!(fields(event.check().unwrap_err()), ["event"]);
        event.agenda_items.truncate(13);
        assert!(event.check().is_ok(), "{} bytes", event.text_bytes());
    }

    #[test]
    fn the_waitlist_has_a_default_capacity_and_none_when_disabled() {
        let mut settings = RegistrationSettings {
            waitlist_enabled: true,
            ..RegistrationSettings::default()
        };
        assert_eq!(settings.waitlist_places(), DEFAULT_WAITLIST_CAPACITY);
        settings.waitlist_capacity = Some(3);
        assert_eq!(settings.waitlist_places(), 3);
        settings.waitlist_enabled = false;
        assert_eq!(settings.waitlist_places(), 0);
    }

    #[test]
    fn required_consent_needs_a_text_version() {
        let mut event = content("2027-08-10T10:00", "2027-08-10T13:00");
        event.registration.consent_required = true;
        assert_eq!(
            fields(event.check().unwrap_err()),
            ["event.registration_settings.consent_version"]
        );
        event.registration.consent_version = Some("v".repeat(CONSENT_VERSION_LENGTH + 1));
        assert_eq!(
            fields(event.check().unwrap_err()),
            ["event.registration_settings.consent_version"]
        );
        event.registration.consent_version = Some("2025-07".into());
        assert!(event.check().is_ok());
    }

    #[test]
    fn urls_must_be_https() {
        assert!(check_https_url("https://visio.example.ma/room").is_ok());
        assert!(check_https_url("http://visio.example.ma").is_err());
        assert!(check_https_url("https://").is_err());
    }
}
