//! The shapes the store writes, owned by the store: the JSON columns (what an organiser
//! wrote, the outcomes, a cancellation reason, a previous start) and the names of the
//! enums kept in text columns. They are the domain's values as rows hold them, and a
//! domain rename cannot change them: the tests below pin them to what rows written by
//! earlier releases hold.
//!
//! The venue's address keeps its first names (`lines`, `region_code`): the shared
//! `PostalAddress` spells them otherwise, and old rows must still read.

use jalia_model::{Audience, CountryCode, LocalizedText, PostalAddress, ZonedDateTime};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::domain::content::{
    AgendaItem, AttendanceFigure, AttendanceMode, Decision, EventContent, EventKind, OnlineAccess,
    Outcomes, Participant, RegistrationSettings, Venue,
};
use crate::domain::event::EventStatus;
use crate::domain::registration::RegistrationStatus;

/// An enum kept in a text column by a name that never changes once written.
pub(super) trait StoredName: Sized + Copy + PartialEq + 'static {
    /// What it is, for errors.
    const WHAT: &'static str;
    /// Every value.
    const ALL: &'static [Self];
    /// The stored name.
    fn stored(self) -> &'static str;
    /// The value of a stored name.
    fn from_stored(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|value| value.stored() == name)
    }
}

impl StoredName for EventStatus {
    const WHAT: &'static str = "event status";
    const ALL: &'static [Self] = &[
        Self::Draft,
        Self::Published,
        Self::Cancelled,
        Self::Postponed,
        Self::Completed,
    ];
    fn stored(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Cancelled => "cancelled",
            Self::Postponed => "postponed",
            Self::Completed => "completed",
        }
    }
}

impl StoredName for EventKind {
    const WHAT: &'static str = "event kind";
    const ALL: &'static [Self] = &[
        Self::CommunicationMeeting,
        Self::NationalDay,
        Self::InformationSession,
        Self::Desk,
        Self::Workshop,
    ];
    fn stored(self) -> &'static str {
        match self {
            Self::CommunicationMeeting => "communication_meeting",
            Self::NationalDay => "national_day",
            Self::InformationSession => "information_session",
            Self::Desk => "desk",
            Self::Workshop => "workshop",
        }
    }
}

impl StoredName for RegistrationStatus {
    const WHAT: &'static str = "registration status";
    const ALL: &'static [Self] = &[Self::Confirmed, Self::Waitlisted, Self::Cancelled];
    fn stored(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::Waitlisted => "waitlisted",
            Self::Cancelled => "cancelled",
        }
    }
}

impl StoredName for Audience {
    const WHAT: &'static str = "audience";
    const ALL: &'static [Self] = &Audience::ALL;
    fn stored(self) -> &'static str {
        match self {
            Self::Citizens => "citizens",
            Self::Diaspora => "diaspora",
            Self::Professionals => "professionals",
            Self::Associations => "associations",
            Self::PublicOfficials => "public_officials",
        }
    }
}

impl StoredName for AttendanceMode {
    const WHAT: &'static str = "attendance mode";
    const ALL: &'static [Self] = &[Self::InPerson, Self::Online, Self::Hybrid];
    fn stored(self) -> &'static str {
        match self {
            Self::InPerson => "in_person",
            Self::Online => "online",
            Self::Hybrid => "hybrid",
        }
    }
}

/// A stored name inside a JSON document, read back through [`StoredName`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Named<T>(pub(super) T);

impl<T: StoredName> Serialize for Named<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.stored())
    }
}

impl<'de, T: StoredName> Deserialize<'de> for Named<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        T::from_stored(&name)
            .map(Named)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown stored {} `{name}`", T::WHAT)))
    }
}

/// What an organiser wrote, as the `content` column holds it.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct StoredContent {
    kind: Named<EventKind>,
    title: LocalizedText,
    description: LocalizedText,
    theme: LocalizedText,
    start: ZonedDateTime,
    end: ZonedDateTime,
    attendance_mode: Option<Named<AttendanceMode>>,
    venue: Option<StoredVenue>,
    online_access: Option<StoredOnlineAccess>,
    chair: Option<StoredParticipant>,
    speakers: Vec<StoredParticipant>,
    /// Absent from rows written before events had guests, and whenever empty, so those
    /// rows read and write the same.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    guests: Vec<StoredParticipant>,
    agenda_items: Vec<StoredAgendaItem>,
    audiences: Vec<Named<Audience>>,
    related_services: Vec<String>,
    registration: StoredRegistrationSettings,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredVenue {
    display_name: LocalizedText,
    address: StoredAddress,
}

/// An address with its first names; all empty when the venue has none.
#[derive(Debug, Default, Serialize, Deserialize)]
struct StoredAddress {
    lines: Vec<String>,
    locality: String,
    province: String,
    region: String,
    postal_code: String,
    region_code: String,
    place_name: LocalizedText,
    latitude: Option<f64>,
    longitude: Option<f64>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredOnlineAccess {
    url: String,
    private: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredParticipant {
    role: LocalizedText,
    organization: LocalizedText,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredAgendaItem {
    title: LocalizedText,
    description: LocalizedText,
    start: Option<ZonedDateTime>,
    end: Option<ZonedDateTime>,
    speakers: Vec<StoredParticipant>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredRegistrationSettings {
    enabled: bool,
    capacity: u32,
    reserved_seats: u32,
    waitlist_enabled: bool,
    open_time: Option<Timestamp>,
    close_time: Option<Timestamp>,
    /// Absent from rows written before the waitlist had a capacity, and whenever unset,
    /// so those rows read and write the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    waitlist_capacity: Option<u32>,
    /// Absent, like `waitlist_capacity`, from rows written before consent was asked and
    /// whenever off or unset.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    consent_required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    consent_version: Option<String>,
}

/// The outcomes, as the `outcomes` column holds them.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct StoredOutcomes {
    minutes_summary: LocalizedText,
    attendance_count: u32,
    attendance_by_audience: Vec<StoredAttendanceFigure>,
    decisions: Vec<StoredDecision>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredAttendanceFigure {
    audience: Named<Audience>,
    count: u32,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredDecision {
    text: LocalizedText,
    responsible: LocalizedText,
    due_date: Option<Date>,
}

fn participant_row(p: &Participant) -> StoredParticipant {
    StoredParticipant {
        role: p.role.clone(),
        organization: p.organization.clone(),
    }
}

fn participant(p: StoredParticipant) -> Participant {
    Participant {
        role: p.role,
        organization: p.organization,
    }
}

impl From<&EventContent> for StoredContent {
    fn from(content: &EventContent) -> Self {
        let settings = &content.registration;
        Self {
            kind: Named(content.kind),
            title: content.title.clone(),
            description: content.description.clone(),
            theme: content.theme.clone(),
            start: content.start.clone(),
            end: content.end.clone(),
            attendance_mode: content.attendance_mode.map(Named),
            venue: content.venue.as_ref().map(|venue| StoredVenue {
                display_name: venue.display_name.clone(),
                address: venue
                    .address
                    .as_ref()
                    .map(StoredAddress::from)
                    .unwrap_or_default(),
            }),
            online_access: content
                .online_access
                .as_ref()
                .map(|access| StoredOnlineAccess {
                    url: access.url.clone(),
                    private: access.private,
                }),
            chair: content.chair.as_ref().map(participant_row),
            speakers: content.speakers.iter().map(participant_row).collect(),
            guests: content.guests.iter().map(participant_row).collect(),
            agenda_items: content
                .agenda_items
                .iter()
                .map(|item| StoredAgendaItem {
                    title: item.title.clone(),
                    description: item.description.clone(),
                    start: item.start.clone(),
                    end: item.end.clone(),
                    speakers: item.speakers.iter().map(participant_row).collect(),
                })
                .collect(),
            audiences: content.audiences.iter().copied().map(Named).collect(),
            related_services: content.related_services.clone(),
            registration: StoredRegistrationSettings {
                enabled: settings.enabled,
                capacity: settings.capacity,
                reserved_seats: settings.reserved_seats,
                waitlist_enabled: settings.waitlist_enabled,
                open_time: settings.open_time,
                close_time: settings.close_time,
                waitlist_capacity: settings.waitlist_capacity,
                consent_required: settings.consent_required,
                consent_version: settings.consent_version.clone(),
            },
        }
    }
}

impl StoredContent {
    /// The domain's content; None when a stored country code no longer reads.
    pub(super) fn into_domain(self) -> Option<EventContent> {
        let venue = match self.venue {
            Some(venue) => Some(Venue {
                display_name: venue.display_name,
                address: venue.address.into_domain()?,
            }),
            None => None,
        };
        let settings = self.registration;
        Some(EventContent {
            kind: self.kind.0,
            title: self.title,
            description: self.description,
            theme: self.theme,
            start: self.start,
            end: self.end,
            attendance_mode: self.attendance_mode.map(|mode| mode.0),
            venue,
            online_access: self.online_access.map(|access| OnlineAccess {
                url: access.url,
                private: access.private,
            }),
            chair: self.chair.map(participant),
            speakers: self.speakers.into_iter().map(participant).collect(),
            guests: self.guests.into_iter().map(participant).collect(),
            agenda_items: self
                .agenda_items
                .into_iter()
                .map(|item| AgendaItem {
                    title: item.title,
                    description: item.description,
                    start: item.start,
                    end: item.end,
                    speakers: item.speakers.into_iter().map(participant).collect(),
                })
                .collect(),
            audiences: self.audiences.into_iter().map(|a| a.0).collect(),
            related_services: self.related_services,
            registration: RegistrationSettings {
                enabled: settings.enabled,
                capacity: settings.capacity,
                reserved_seats: settings.reserved_seats,
                waitlist_enabled: settings.waitlist_enabled,
                open_time: settings.open_time,
                close_time: settings.close_time,
                waitlist_capacity: settings.waitlist_capacity,
                consent_required: settings.consent_required,
                consent_version: settings.consent_version,
            },
        })
    }
}

impl From<&PostalAddress> for StoredAddress {
    fn from(address: &PostalAddress) -> Self {
        Self {
            lines: address.address_lines.clone(),
            locality: address.locality.clone(),
            province: address.province.clone(),
            region: address.region.clone(),
            postal_code: address.postal_code.clone(),
            region_code: address
                .country
                .as_ref()
                .map(|country| country.as_str().to_owned())
                .unwrap_or_default(),
            place_name: address.place_name.clone(),
            latitude: address.latitude,
            longitude: address.longitude,
        }
    }
}

impl StoredAddress {
    /// The address, Some(None) when nothing was given, None when its country no longer
    /// reads. Rows written before addresses were bounded are read as they are.
    fn into_domain(self) -> Option<Option<PostalAddress>> {
        let empty = self.lines.is_empty()
            && [
                &self.locality,
                &self.province,
                &self.region,
                &self.postal_code,
                &self.region_code,
            ]
            .iter()
            .all(|part| part.is_empty())
            && self.place_name.is_empty()
            && self.latitude.is_none()
            && self.longitude.is_none();
        if empty {
            return Some(None);
        }
        let country = if self.region_code.is_empty() {
            None
        } else {
            Some(CountryCode::parse(&self.region_code).ok()?)
        };
        Some(Some(PostalAddress {
            address_lines: self.lines,
            locality: self.locality,
            province: self.province,
            region: self.region,
            postal_code: self.postal_code,
            country,
            place_name: self.place_name,
            latitude: self.latitude,
            longitude: self.longitude,
        }))
    }
}

impl From<&Outcomes> for StoredOutcomes {
    fn from(outcomes: &Outcomes) -> Self {
        Self {
            minutes_summary: outcomes.minutes_summary.clone(),
            attendance_count: outcomes.attendance_count,
            attendance_by_audience: outcomes
                .attendance_by_audience
                .iter()
                .map(|figure| StoredAttendanceFigure {
                    audience: Named(figure.audience),
                    count: figure.count,
                })
                .collect(),
            decisions: outcomes
                .decisions
                .iter()
                .map(|decision| StoredDecision {
                    text: decision.text.clone(),
                    responsible: decision.responsible.clone(),
                    due_date: decision.due_date,
                })
                .collect(),
        }
    }
}

impl From<StoredOutcomes> for Outcomes {
    fn from(stored: StoredOutcomes) -> Self {
        Self {
            minutes_summary: stored.minutes_summary,
            attendance_count: stored.attendance_count,
            attendance_by_audience: stored
                .attendance_by_audience
                .into_iter()
                .map(|figure| AttendanceFigure {
                    audience: figure.audience.0,
                    count: figure.count,
                })
                .collect(),
            decisions: stored
                .decisions
                .into_iter()
                .map(|decision| Decision {
                    text: decision.text,
                    responsible: decision.responsible,
                    due_date: decision.due_date,
                })
                .collect(),
        }
    }
}

/// The `audiences` column: `,diaspora,citizens,`, so a filter is one LIKE '%,diaspora,%'
/// the same way on both databases.
pub(super) fn audiences_key(audiences: &[Audience]) -> String {
    let mut key = String::from(",");
    for audience in audiences {
        key.push_str(audience.stored());
        key.push(',');
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row's `content` as the release before stored shapes moved into the store wrote
    /// it (captured from that release).
    const CONTENT: &str = r#"{"kind":"national_day","title":{"ar":"يوم","fr":"Journée"},"description":{"fr":"Desc"},"theme":{},"start":{"local":"2027-08-10T10:00:00","zone":"Africa/Casablanca"},"end":{"local":"2027-08-10T13:00:00","zone":"Africa/Casablanca"},"attendance_mode":"hybrid","venue":{"display_name":{"fr":"Wilaya"},"address":{"lines":["Avenue Mohammed V"],"locality":"Béni Mellal","province":"Béni Mellal","region":"Béni Mellal-Khénifra","postal_code":"23000","region_code":"MA","place_name":{"fr":"Salle"},"latitude":32.33,"longitude":-6.35}},"online_access":{"url":"https://visio.example.ma/x","private":true},"chair":{"role":{"fr":"Wali"},"organization":{}},"speakers":[{"role":{"fr":"Directeur"},"organization":{"fr":"AU"}}],"agenda_items":[{"title":{"fr":"Ouverture"},"description":{},"start":{"local":"2027-08-10T10:30:00","zone":"Africa/Casablanca"},"end":null,"speakers":[]}],"audiences":["diaspora","public_officials"],"related_services":["agencies/bm/services/0198a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b"],"registration":{"enabled":true,"capacity":300,"reserved_seats":40,"waitlist_enabled":true,"open_time":null,"close_time":"2027-08-09T17:00:00Z"}}"#;
    /// An `outcomes` column, likewise.
    const OUTCOMES: &str = r#"{"minutes_summary":{"fr":"Résumé"},"attendance_count":120,"attendance_by_audience":[{"audience":"diaspora","count":80}],"decisions":[{"text":{"fr":"Tenir"},"responsible":{},"due_date":"2025-08-12"}]}"#;
    /// A venue without an address, likewise.
    const EMPTY_VENUE: &str = r#"{"display_name":{},"address":{"lines":[],"locality":"","province":"","region":"","postal_code":"","region_code":"","place_name":{},"latitude":null,"longitude":null}}"#;

    fn value(json: &str) -> serde_json::Value {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn old_content_rows_read_and_write_back_the_same() {
        let stored: StoredContent = serde_json::from_str(CONTENT).unwrap();
        let content = stored.into_domain().unwrap();
        assert_eq!(content.kind, EventKind::NationalDay);
        assert_eq!(
            content.audiences,
            [Audience::Diaspora, Audience::PublicOfficials]
        );
        let address = content.venue.as_ref().unwrap().address.as_ref().unwrap();
        assert_eq!(address.address_lines, ["Avenue Mohammed V"]);
        assert_eq!(address.country.as_ref().unwrap().as_str(), "MA");
        assert_eq!(content.registration.waitlist_capacity, None);
        let written = serde_json::to_string(&StoredContent::from(&content)).unwrap();
        assert_eq!(value(&written), value(CONTENT));
    }

    #[test]
    fn consent_settings_are_kept_when_set() {
        let stored: StoredContent = serde_json::from_str(CONTENT).unwrap();
        let mut content = stored.into_domain().unwrap();
        content.registration.consent_required = true;
        content.registration.consent_version = Some("2025-07".into());
        let written = serde_json::to_string(&StoredContent::from(&content)).unwrap();
        assert!(
            written.contains(r#""consent_required":true,"consent_version":"2025-07""#),
            "{written}"
        );
        let read: StoredContent = serde_json::from_str(&written).unwrap();
        assert_eq!(
            read.into_domain().unwrap().registration,
            content.registration
        );
    }

    #[test]
    fn guests_are_kept_when_set() {
        let stored: StoredContent = serde_json::from_str(CONTENT).unwrap();
        let mut content = stored.into_domain().unwrap();
        assert!(content.guests.is_empty());
        content.guests = vec![Participant {
            role: LocalizedText::single("fr", "Secrétaire général des affaires régionales"),
            organization: LocalizedText::single("fr", "Wilaya"),
        }];
        let written = serde_json::to_string(&StoredContent::from(&content)).unwrap();
        assert!(written.contains(r#""guests":[{"role""#), "{written}");
        let read: StoredContent = serde_json::from_str(&written).unwrap();
        assert_eq!(read.into_domain().unwrap().guests, content.guests);
    }

    #[test]
    fn a_waitlist_capacity_is_kept_when_set() {
        let stored: StoredContent = serde_json::from_str(CONTENT).unwrap();
        let mut content = stored.into_domain().unwrap();
        content.registration.waitlist_capacity = Some(25);
        let written = serde_json::to_string(&StoredContent::from(&content)).unwrap();
        assert!(written.contains(r#""waitlist_capacity":25"#), "{written}");
        let read: StoredContent = serde_json::from_str(&written).unwrap();
        assert_eq!(
            read.into_domain().unwrap().registration.waitlist_capacity,
            Some(25)
        );
    }

    #[test]
    fn a_venue_without_an_address_reads_as_none_and_writes_as_before() {
        let venue: StoredVenue = serde_json::from_str(EMPTY_VENUE).unwrap();
        assert_eq!(venue.address.into_domain(), Some(None));
        let written = serde_json::to_string(&StoredVenue {
            display_name: LocalizedText::default(),
            address: StoredAddress::default(),
        })
        .unwrap();
        assert_eq!(value(&written), value(EMPTY_VENUE));
    }

    #[test]
    fn old_outcome_rows_read_and_write_back_the_same() {
        let stored: StoredOutcomes = serde_json::from_str(OUTCOMES).unwrap();
        let outcomes = Outcomes::from(stored);
        assert_eq!(
            outcomes.attendance_by_audience[0].audience,
            Audience::Diaspora
        );
        let written = serde_json::to_string(&StoredOutcomes::from(&outcomes)).unwrap();
        assert_eq!(value(&written), value(OUTCOMES));
    }

    #[test]
    fn a_cancellation_reason_and_a_previous_start_keep_their_shape() {
        let reason: LocalizedText = serde_json::from_str(r#"{"fr":"Intempéries"}"#).unwrap();
        assert_eq!(reason.get("fr"), Some("Intempéries"));
        let previous = r#"{"local":"2027-08-03T10:00:00","zone":"Africa/Casablanca"}"#;
        let start: ZonedDateTime = serde_json::from_str(previous).unwrap();
        assert_eq!(
            value(&serde_json::to_string(&start).unwrap()),
            value(previous)
        );
    }

    fn names_are_pinned<T: StoredName + std::fmt::Debug>(expected: &[&str]) {
        let names: Vec<&str> = T::ALL.iter().map(|value| value.stored()).collect();
        assert_eq!(names, expected, "stored {} names", T::WHAT);
        for value in T::ALL {
            assert_eq!(T::from_stored(value.stored()), Some(*value));
        }
    }

    #[test]
    fn stored_names_never_change() {
        names_are_pinned::<EventStatus>(&[
            "draft",
            "published",
            "cancelled",
            "postponed",
            "completed",
        ]);
        names_are_pinned::<EventKind>(&[
            "communication_meeting",
            "national_day",
            "information_session",
            "desk",
            "workshop",
        ]);
        names_are_pinned::<RegistrationStatus>(&["confirmed", "waitlisted", "cancelled"]);
        names_are_pinned::<Audience>(&[
            "citizens",
            "diaspora",
            "professionals",
            "associations",
            "public_officials",
        ]);
        names_are_pinned::<AttendanceMode>(&["in_person", "online", "hybrid"]);
        assert_eq!(
            audiences_key(&[Audience::Diaspora, Audience::Citizens]),
            ",diaspora,citizens,"
        );
    }
}
