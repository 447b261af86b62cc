//! Wire <-> domain for the events service. Reading checks everything and reports each
//! wrong field by its path in the request; writing resolves text to the reader's language
//! and withholds what the reader may not see.

use jalia_model::{
    AgencyCode, CountryCode, FallbackChain, LanguageCode, LocalizedText, Violations, ZonedDateTime,
    parse_name,
};
use jalia_proto::convert::{
    instant, localized_text, localized_text_for, timestamp, zoned_date_time, zoned_date_time_for,
};
use jalia_proto::events::v1 as pb;
use jalia_proto::r#type::v1 as wire;
use uuid::Uuid;

use crate::domain::event::{
    AgendaItem, AttendanceFigure, AttendanceMode, Audience, Decision, Event, EventContent,
    EventField, EventKind, EventPatch, EventStatus, LONG_TEXT, OnlineAccess, Outcomes, Participant,
    PostalAddress, RegistrationSettings, SHORT_TEXT, Venue, check_https_url,
};
use crate::domain::registration::{Registration, RegistrationStatus};
use crate::domain::{Error, Result};

/// What a reader gets: the languages they want and whether they own the event.
#[derive(Debug, Clone)]
pub struct Reader {
    /// Languages wanted, best first.
    pub wanted: Vec<LanguageCode>,
    /// Whether the reader speaks for the owning agency.
    pub owner: bool,
}

fn chain() -> FallbackChain {
    FallbackChain::default()
}

/// `agencies/{agency}/events/{event}`, or a violation of `field`.
pub fn event_name(name: &str, field: &str) -> Result<(AgencyCode, Uuid)> {
    match parse_name(name, &["events"]) {
        Ok((agency, ids)) => match ids.as_slice() {
            [id] => Ok((agency, *id)),
            _ => Err(Error::invalid(field, "must name an event")),
        },
        Err(err) => Err(Error::invalid(field, err.to_string())),
    }
}

/// `agencies/{agency}/events/{event}/registrations/{registration}`.
pub fn registration_name(name: &str) -> Result<(AgencyCode, Uuid, Uuid)> {
    match parse_name(name, &["events", "registrations"]) {
        Ok((agency, ids)) => match ids.as_slice() {
            [event, registration] => Ok((agency, *event, *registration)),
            _ => Err(Error::invalid("name", "must name a registration")),
        },
        Err(err) => Err(Error::invalid("name", err.to_string())),
    }
}

/// `agencies/{agency}`.
pub fn agency_parent(parent: &str) -> Result<AgencyCode> {
    parent
        .strip_prefix("agencies/")
        .and_then(|code| AgencyCode::parse(code).ok())
        .ok_or_else(|| Error::invalid("parent", "must be `agencies/{agency}`"))
}

/// A request_id: empty means none; anything else must be a UUID.
pub fn request_id(raw: &str) -> Result<Option<Uuid>> {
    if raw.is_empty() {
        return Ok(None);
    }
    Uuid::parse_str(raw)
        .map(Some)
        .map_err(|_| Error::invalid("request_id", "must be a UUID"))
}

pub(crate) fn kind(value: i32, field: &str, violations: &mut Violations) -> Option<EventKind> {
    match pb::EventKind::try_from(value) {
        Ok(pb::EventKind::CommunicationMeeting) => Some(EventKind::CommunicationMeeting),
        Ok(pb::EventKind::NationalDay) => Some(EventKind::NationalDay),
        Ok(pb::EventKind::InformationSession) => Some(EventKind::InformationSession),
        Ok(pb::EventKind::Desk) => Some(EventKind::Desk),
        Ok(pb::EventKind::Workshop) => Some(EventKind::Workshop),
        Ok(pb::EventKind::Unspecified) | Err(_) => {
            violations.add(field, "must be a known event kind");
            None
        }
    }
}

/// A kind filter: UNSPECIFIED is any.
pub fn kind_filter(value: i32) -> Result<Option<EventKind>> {
    if value == 0 {
        return Ok(None);
    }
    let mut violations = Violations::new();
    let kind = kind(value, "kind", &mut violations);
    violations.finish(|| kind).map_err(Error::Invalid)
}

fn kind_to_wire(kind: EventKind) -> pb::EventKind {
    match kind {
        EventKind::CommunicationMeeting => pb::EventKind::CommunicationMeeting,
        EventKind::NationalDay => pb::EventKind::NationalDay,
        EventKind::InformationSession => pb::EventKind::InformationSession,
        EventKind::Desk => pb::EventKind::Desk,
        EventKind::Workshop => pb::EventKind::Workshop,
    }
}

/// A status filter: UNSPECIFIED is any.
pub fn status_filter(value: i32) -> Result<Option<EventStatus>> {
    Ok(match pb::EventStatus::try_from(value) {
        Ok(pb::EventStatus::Unspecified) => None,
        Ok(pb::EventStatus::Draft) => Some(EventStatus::Draft),
        Ok(pb::EventStatus::Published) => Some(EventStatus::Published),
        Ok(pb::EventStatus::Cancelled) => Some(EventStatus::Cancelled),
        Ok(pb::EventStatus::Postponed) => Some(EventStatus::Postponed),
        Ok(pb::EventStatus::Completed) => Some(EventStatus::Completed),
        Err(_) => return Err(Error::invalid("status", "must be a known status")),
    })
}

fn status_to_wire(status: EventStatus) -> pb::EventStatus {
    match status {
        EventStatus::Draft => pb::EventStatus::Draft,
        EventStatus::Published => pb::EventStatus::Published,
        EventStatus::Cancelled => pb::EventStatus::Cancelled,
        EventStatus::Postponed => pb::EventStatus::Postponed,
        EventStatus::Completed => pb::EventStatus::Completed,
    }
}

fn audience(value: i32) -> Option<Audience> {
    match wire::Audience::try_from(value) {
        Ok(wire::Audience::Citizens) => Some(Audience::Citizens),
        Ok(wire::Audience::Diaspora) => Some(Audience::Diaspora),
        Ok(wire::Audience::Professionals) => Some(Audience::Professionals),
        Ok(wire::Audience::Associations) => Some(Audience::Associations),
        Ok(wire::Audience::PublicOfficials) => Some(Audience::PublicOfficials),
        Ok(wire::Audience::Unspecified) | Err(_) => None,
    }
}

/// An audience filter: UNSPECIFIED is any.
pub fn audience_filter(value: i32) -> Result<Option<Audience>> {
    if value == 0 {
        return Ok(None);
    }
    audience(value)
        .map(Some)
        .ok_or_else(|| Error::invalid("audience", "must be a known audience"))
}

fn audience_to_wire(audience: Audience) -> wire::Audience {
    match audience {
        Audience::Citizens => wire::Audience::Citizens,
        Audience::Diaspora => wire::Audience::Diaspora,
        Audience::Professionals => wire::Audience::Professionals,
        Audience::Associations => wire::Audience::Associations,
        Audience::PublicOfficials => wire::Audience::PublicOfficials,
    }
}

/// A registration status filter: UNSPECIFIED is any.
pub fn registration_status_filter(value: i32) -> Result<Option<RegistrationStatus>> {
    Ok(match pb::RegistrationStatus::try_from(value) {
        Ok(pb::RegistrationStatus::Unspecified) => None,
        Ok(pb::RegistrationStatus::Confirmed) => Some(RegistrationStatus::Confirmed),
        Ok(pb::RegistrationStatus::Waitlisted) => Some(RegistrationStatus::Waitlisted),
        Ok(pb::RegistrationStatus::Cancelled) => Some(RegistrationStatus::Cancelled),
        Err(_) => return Err(Error::invalid("status", "must be a known status")),
    })
}

/// An optional instant filter.
pub fn instant_filter(value: Option<&prost_types::Timestamp>, field: &str) -> Result<Option<i64>> {
    value
        .map(|t| instant(t).map(jalia_db::to_micros))
        .transpose()
        .map_err(|problem| Error::invalid(field, problem))
}

fn text(
    value: Option<&wire::LocalizedText>,
    field: &str,
    max: usize,
    required: bool,
    violations: &mut Violations,
) -> Option<LocalizedText> {
    violations.take(field, localized_text(value, max, required))
}

fn zoned(
    value: Option<&wire::ZonedDateTime>,
    field: &str,
    violations: &mut Violations,
) -> Option<ZonedDateTime> {
    violations.take(field, zoned_date_time(value))
}

fn optional_zoned(
    value: Option<&wire::ZonedDateTime>,
    field: &str,
    violations: &mut Violations,
) -> Option<ZonedDateTime> {
    value
        .filter(|time| !time.local_date_time.is_empty() || !time.time_zone.is_empty())
        .and_then(|time| zoned(Some(time), field, violations))
}

fn participant(value: &pb::Participant, field: &str, violations: &mut Violations) -> Participant {
    Participant {
        role: text(
            value.role.as_ref(),
            &format!("{field}.role"),
            SHORT_TEXT,
            true,
            violations,
        )
        .unwrap_or_default(),
        organization: text(
            value.organization.as_ref(),
            &format!("{field}.organization"),
            SHORT_TEXT,
            false,
            violations,
        )
        .unwrap_or_default(),
    }
}

fn participants(
    values: &[pb::Participant],
    field: &str,
    violations: &mut Violations,
) -> Vec<Participant> {
    values
        .iter()
        .enumerate()
        .map(|(i, p)| participant(p, &format!("{field}[{i}]"), violations))
        .collect()
}

fn address(value: &wire::PostalAddress, field: &str, violations: &mut Violations) -> PostalAddress {
    let region_code = if value.region_code.is_empty() {
        String::new()
    } else {
        match CountryCode::parse(&value.region_code) {
            Ok(code) => code.as_str().to_owned(),
            Err(problem) => {
                violations.add(format!("{field}.region_code"), problem);
                String::new()
            }
        }
    };
    if value
        .latitude
        .is_some_and(|lat| !(-90.0..=90.0).contains(&lat))
    {
        violations.add(format!("{field}.latitude"), "must be between -90 and 90");
    }
    if value
        .longitude
        .is_some_and(|lon| !(-180.0..=180.0).contains(&lon))
    {
        violations.add(format!("{field}.longitude"), "must be between -180 and 180");
    }
    PostalAddress {
        lines: value
            .address_lines
            .iter()
            .map(|l| l.trim().to_owned())
            .collect(),
        locality: value.locality.trim().to_owned(),
        province: value.province.trim().to_owned(),
        region: value.region.trim().to_owned(),
        postal_code: value.postal_code.trim().to_owned(),
        region_code,
        place_name: text(
            value.place_name.as_ref(),
            &format!("{field}.place_name"),
            SHORT_TEXT,
            false,
            violations,
        )
        .unwrap_or_default(),
        latitude: value.latitude,
        longitude: value.longitude,
    }
}

fn venue(value: Option<&pb::Venue>, violations: &mut Violations) -> Option<Venue> {
    let value = value?;
    Some(Venue {
        display_name: text(
            value.display_name.as_ref(),
            "event.venue.display_name",
            SHORT_TEXT,
            true,
            violations,
        )
        .unwrap_or_default(),
        address: value
            .address
            .as_ref()
            .map(|a| address(a, "event.venue.address", violations))
            .unwrap_or_default(),
    })
}

fn online_access(
    value: Option<&pb::OnlineAccess>,
    violations: &mut Violations,
) -> Option<OnlineAccess> {
    let value = value?;
    if let Err(problem) = check_https_url(value.url.trim()) {
        violations.add("event.online_access.url", problem);
    }
    Some(OnlineAccess {
        url: value.url.trim().to_owned(),
        private: value.private,
    })
}

fn attendance_mode(value: i32, violations: &mut Violations) -> Option<AttendanceMode> {
    match pb::AttendanceMode::try_from(value) {
        Ok(pb::AttendanceMode::Unspecified) => None,
        Ok(pb::AttendanceMode::InPerson) => Some(AttendanceMode::InPerson),
        Ok(pb::AttendanceMode::Online) => Some(AttendanceMode::Online),
        Ok(pb::AttendanceMode::Hybrid) => Some(AttendanceMode::Hybrid),
        Err(_) => {
            violations.add("event.attendance_mode", "must be a known attendance mode");
            None
        }
    }
}

fn agenda(values: &[pb::AgendaItem], violations: &mut Violations) -> Vec<AgendaItem> {
    values
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let field = format!("event.agenda_items[{i}]");
            AgendaItem {
                title: text(
                    item.title.as_ref(),
                    &format!("{field}.title"),
                    SHORT_TEXT,
                    true,
                    violations,
                )
                .unwrap_or_default(),
                description: text(
                    item.description.as_ref(),
                    &format!("{field}.description"),
                    LONG_TEXT,
                    false,
                    violations,
                )
                .unwrap_or_default(),
                start: optional_zoned(item.start.as_ref(), &format!("{field}.start"), violations),
                end: optional_zoned(item.end.as_ref(), &format!("{field}.end"), violations),
                speakers: participants(&item.speakers, &format!("{field}.speakers"), violations),
            }
        })
        .collect()
}

fn audiences(values: &[i32], violations: &mut Violations) -> Vec<Audience> {
    let mut out: Vec<Audience> = Vec::new();
    for (i, value) in values.iter().enumerate() {
        match audience(*value) {
            Some(audience) if !out.contains(&audience) => out.push(audience),
            Some(_) => {}
            None => violations.add(format!("event.audiences[{i}]"), "must be a known audience"),
        }
    }
    out
}

fn related_services(values: &[String], violations: &mut Violations) -> Vec<String> {
    values
        .iter()
        .enumerate()
        .filter_map(|(i, name)| match parse_name(name, &["services"]) {
            Ok(_) => Some(name.clone()),
            Err(err) => {
                violations.add(format!("event.related_services[{i}]"), err.to_string());
                None
            }
        })
        .collect()
}

fn count(value: i32, field: &str, violations: &mut Violations) -> u32 {
    u32::try_from(value).unwrap_or_else(|_| {
        violations.add(field, "must not be negative");
        0
    })
}

fn optional_instant(
    value: Option<&prost_types::Timestamp>,
    field: &str,
    violations: &mut Violations,
) -> Option<jiff::Timestamp> {
    value.and_then(|t| match instant(t) {
        Ok(instant) => Some(instant),
        Err(problem) => {
            violations.add(field, problem);
            None
        }
    })
}

fn registration_settings(
    value: Option<&pb::RegistrationSettings>,
    violations: &mut Violations,
) -> RegistrationSettings {
    let Some(value) = value else {
        return RegistrationSettings::default();
    };
    const FIELD: &str = "event.registration_settings";
    RegistrationSettings {
        enabled: value.enabled,
        capacity: count(value.capacity, &format!("{FIELD}.capacity"), violations),
        reserved_seats: count(
            value.reserved_seats,
            &format!("{FIELD}.reserved_seats"),
            violations,
        ),
        waitlist_enabled: value.waitlist_enabled,
        open_time: optional_instant(
            value.open_time.as_ref(),
            &format!("{FIELD}.open_time"),
            violations,
        ),
        close_time: optional_instant(
            value.close_time.as_ref(),
            &format!("{FIELD}.close_time"),
            violations,
        ),
    }
}

/// Reads outcomes; violations are under `field`.
pub fn outcomes(value: &pb::EventOutcomes, field: &str, violations: &mut Violations) -> Outcomes {
    Outcomes {
        minutes_summary: text(
            value.minutes_summary.as_ref(),
            &format!("{field}.minutes_summary"),
            LONG_TEXT,
            false,
            violations,
        )
        .unwrap_or_default(),
        attendance_count: count(
            value.attendance_count,
            &format!("{field}.attendance_count"),
            violations,
        ),
        attendance_by_audience: value
            .attendance_by_audience
            .iter()
            .enumerate()
            .filter_map(|(i, figure)| {
                let at = format!("{field}.attendance_by_audience[{i}]");
                let count = count(figure.count, &format!("{at}.count"), violations);
                match audience(figure.audience) {
                    Some(audience) => Some(AttendanceFigure { audience, count }),
                    None => {
                        violations.add(format!("{at}.audience"), "must be a known audience");
                        None
                    }
                }
            })
            .collect(),
        decisions: value
            .decisions
            .iter()
            .enumerate()
            .map(|(i, decision)| {
                let at = format!("{field}.decisions[{i}]");
                Decision {
                    text: text(
                        decision.text.as_ref(),
                        &format!("{at}.text"),
                        LONG_TEXT,
                        true,
                        violations,
                    )
                    .unwrap_or_default(),
                    responsible: text(
                        decision.responsible.as_ref(),
                        &format!("{at}.responsible"),
                        SHORT_TEXT,
                        false,
                        violations,
                    )
                    .unwrap_or_default(),
                    due_date: decision.due_date.as_ref().and_then(|date| {
                        match date.date.parse::<jiff::civil::Date>() {
                            Ok(date) => Some(date),
                            Err(_) => {
                                violations.add(
                                    format!("{at}.due_date.date"),
                                    "must be a date like 2025-09-15",
                                );
                                None
                            }
                        }
                    }),
                }
            })
            .collect(),
    }
}

/// Every field of a new event.
pub fn event_content(event: &pb::Event) -> Result<EventContent> {
    let mut v = Violations::new();
    let kind = kind(event.kind, "event.kind", &mut v);
    let title = text(
        event.title.as_ref(),
        "event.title",
        SHORT_TEXT,
        true,
        &mut v,
    );
    let description = text(
        event.description.as_ref(),
        "event.description",
        LONG_TEXT,
        false,
        &mut v,
    );
    let theme = text(
        event.theme.as_ref(),
        "event.theme",
        SHORT_TEXT,
        false,
        &mut v,
    );
    let start = zoned(event.start.as_ref(), "event.start", &mut v);
    let end = zoned(event.end.as_ref(), "event.end", &mut v);
    let content = EventContent {
        kind: kind.unwrap_or(EventKind::CommunicationMeeting),
        title: title.unwrap_or_default(),
        description: description.unwrap_or_default(),
        theme: theme.unwrap_or_default(),
        start: match start {
            Some(start) => start,
            None => return Err(Error::Invalid(v.into_vec())),
        },
        end: match end {
            Some(end) => end,
            None => return Err(Error::Invalid(v.into_vec())),
        },
        attendance_mode: attendance_mode(event.attendance_mode, &mut v),
        venue: venue(event.venue.as_ref(), &mut v),
        online_access: online_access(event.online_access.as_ref(), &mut v),
        chair: event
            .chair
            .as_ref()
            .map(|c| participant(c, "event.chair", &mut v)),
        speakers: participants(&event.speakers, "event.speakers", &mut v),
        agenda_items: agenda(&event.agenda_items, &mut v),
        audiences: audiences(&event.audiences, &mut v),
        related_services: related_services(&event.related_services, &mut v),
        registration: registration_settings(event.registration_settings.as_ref(), &mut v),
    };
    v.finish(|| content).map_err(Error::Invalid)
}

const UPDATABLE: [&str; 16] = [
    "kind",
    "title",
    "description",
    "theme",
    "attendance_mode",
    "venue",
    "online_access",
    "chair",
    "speakers",
    "agenda_items",
    "audiences",
    "related_services",
    "registration_settings",
    "start",
    "end",
    "outcomes",
];

/// The fields an UpdateEvent names, read from the event in the request.
pub fn event_patch(event: &pb::Event, mask: Option<&prost_types::FieldMask>) -> Result<EventPatch> {
    let paths = mask.map(|m| m.paths.as_slice()).unwrap_or_default();
    if paths.is_empty() {
        return Err(Error::invalid(
            "update_mask",
            "must name the fields to change, or \"*\"",
        ));
    }
    let wildcard = paths.iter().any(|p| p == "*");
    if wildcard && paths.len() > 1 {
        return Err(Error::invalid("update_mask", "\"*\" stands alone"));
    }
    let chosen: Vec<&str> = if wildcard {
        UPDATABLE.to_vec()
    } else {
        paths.iter().map(String::as_str).collect()
    };
    let mut v = Violations::new();
    let mut fields = Vec::new();
    for path in chosen {
        let field = match path {
            "kind" => kind(event.kind, "event.kind", &mut v).map(EventField::Kind),
            "title" => text(
                event.title.as_ref(),
                "event.title",
                SHORT_TEXT,
                true,
                &mut v,
            )
            .map(EventField::Title),
            "description" => text(
                event.description.as_ref(),
                "event.description",
                LONG_TEXT,
                false,
                &mut v,
            )
            .map(EventField::Description),
            "theme" => text(
                event.theme.as_ref(),
                "event.theme",
                SHORT_TEXT,
                false,
                &mut v,
            )
            .map(EventField::Theme),
            "attendance_mode" => Some(EventField::AttendanceMode(attendance_mode(
                event.attendance_mode,
                &mut v,
            ))),
            "venue" => Some(EventField::Venue(venue(event.venue.as_ref(), &mut v))),
            "online_access" => Some(EventField::OnlineAccess(online_access(
                event.online_access.as_ref(),
                &mut v,
            ))),
            "chair" => Some(EventField::Chair(
                event
                    .chair
                    .as_ref()
                    .map(|c| participant(c, "event.chair", &mut v)),
            )),
            "speakers" => Some(EventField::Speakers(participants(
                &event.speakers,
                "event.speakers",
                &mut v,
            ))),
            "agenda_items" => Some(EventField::AgendaItems(agenda(&event.agenda_items, &mut v))),
            "audiences" => Some(EventField::Audiences(audiences(&event.audiences, &mut v))),
            "related_services" => Some(EventField::RelatedServices(related_services(
                &event.related_services,
                &mut v,
            ))),
            "registration_settings" => Some(EventField::Registration(registration_settings(
                event.registration_settings.as_ref(),
                &mut v,
            ))),
            "start" => zoned(event.start.as_ref(), "event.start", &mut v).map(EventField::Start),
            "end" => zoned(event.end.as_ref(), "event.end", &mut v).map(EventField::End),
            "outcomes" => Some(EventField::Outcomes(
                event
                    .outcomes
                    .as_ref()
                    .map(|o| outcomes(o, "event.outcomes", &mut v)),
            )),
            sub if sub.starts_with("registration_settings.") => {
                registration_sub_path(event.registration_settings.as_ref(), sub, &mut v)
            }
            unknown => {
                v.add(
                    "update_mask",
                    format!("`{unknown}` is not an updatable path"),
                );
                None
            }
        };
        fields.extend(field);
    }
    v.finish(|| EventPatch { fields, wildcard })
        .map_err(Error::Invalid)
}

fn registration_sub_path(
    settings: Option<&pb::RegistrationSettings>,
    path: &str,
    v: &mut Violations,
) -> Option<EventField> {
    let default = pb::RegistrationSettings::default();
    let settings = settings.unwrap_or(&default);
    const FIELD: &str = "event.registration_settings";
    Some(match path.trim_start_matches("registration_settings.") {
        "enabled" => EventField::RegistrationEnabled(settings.enabled),
        "capacity" => {
            EventField::Capacity(count(settings.capacity, &format!("{FIELD}.capacity"), v))
        }
        "reserved_seats" => EventField::ReservedSeats(count(
            settings.reserved_seats,
            &format!("{FIELD}.reserved_seats"),
            v,
        )),
        "waitlist_enabled" => EventField::WaitlistEnabled(settings.waitlist_enabled),
        "open_time" => EventField::OpenTime(optional_instant(
            settings.open_time.as_ref(),
            &format!("{FIELD}.open_time"),
            v,
        )),
        "close_time" => EventField::CloseTime(optional_instant(
            settings.close_time.as_ref(),
            &format!("{FIELD}.close_time"),
            v,
        )),
        other => {
            v.add(
                "update_mask",
                format!("`registration_settings.{other}` is not an updatable path"),
            );
            return None;
        }
    })
}

fn text_for(text: &LocalizedText, reader: &Reader) -> Option<wire::LocalizedText> {
    (!text.is_empty()).then(|| localized_text_for(text, &reader.wanted, &chain()))
}

fn participant_to_wire(p: &Participant, reader: &Reader) -> pb::Participant {
    pb::Participant {
        role: text_for(&p.role, reader),
        organization: text_for(&p.organization, reader),
    }
}

fn address_to_wire(a: &PostalAddress, reader: &Reader) -> wire::PostalAddress {
    wire::PostalAddress {
        address_lines: a.lines.clone(),
        locality: a.locality.clone(),
        province: a.province.clone(),
        region: a.region.clone(),
        postal_code: a.postal_code.clone(),
        region_code: a.region_code.clone(),
        place_name: text_for(&a.place_name, reader),
        latitude: a.latitude,
        longitude: a.longitude,
    }
}

fn outcomes_to_wire(o: &Outcomes, reader: &Reader) -> pb::EventOutcomes {
    let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    pb::EventOutcomes {
        minutes_summary: text_for(&o.minutes_summary, reader),
        attendance_count: count(o.attendance_count),
        attendance_by_audience: o
            .attendance_by_audience
            .iter()
            .map(|f| pb::AttendanceFigure {
                audience: audience_to_wire(f.audience) as i32,
                count: count(f.count),
            })
            .collect(),
        decisions: o
            .decisions
            .iter()
            .map(|d| pb::Decision {
                text: text_for(&d.text, reader),
                responsible: text_for(&d.responsible, reader),
                due_date: d.due_date.map(|date| wire::CivilDate {
                    date: date.to_string(),
                }),
            })
            .collect(),
    }
}

/// An event for a reader: a private link only for its owners.
pub fn event_to_wire(event: &Event, reader: &Reader) -> pb::Event {
    let content = &event.content;
    let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    let settings = &content.registration;
    pb::Event {
        name: event.name(),
        agency: Some(wire::AgencyReference {
            name: format!("agencies/{}", event.agency),
            display_name: None,
        }),
        kind: kind_to_wire(content.kind) as i32,
        title: text_for(&content.title, reader),
        description: text_for(&content.description, reader),
        theme: text_for(&content.theme, reader),
        start: Some(zoned_date_time_for(&content.start)),
        end: Some(zoned_date_time_for(&content.end)),
        attendance_mode: match content.attendance_mode {
            None => pb::AttendanceMode::Unspecified,
            Some(AttendanceMode::InPerson) => pb::AttendanceMode::InPerson,
            Some(AttendanceMode::Online) => pb::AttendanceMode::Online,
            Some(AttendanceMode::Hybrid) => pb::AttendanceMode::Hybrid,
        } as i32,
        venue: content.venue.as_ref().map(|v| pb::Venue {
            display_name: text_for(&v.display_name, reader),
            address: Some(address_to_wire(&v.address, reader)),
        }),
        online_access: content
            .online_access
            .as_ref()
            .map(|access| pb::OnlineAccess {
                url: if access.private && !reader.owner {
                    String::new()
                } else {
                    access.url.clone()
                },
                private: access.private,
            }),
        chair: content
            .chair
            .as_ref()
            .map(|c| participant_to_wire(c, reader)),
        speakers: content
            .speakers
            .iter()
            .map(|p| participant_to_wire(p, reader))
            .collect(),
        agenda_items: content
            .agenda_items
            .iter()
            .map(|item| pb::AgendaItem {
                title: text_for(&item.title, reader),
                description: text_for(&item.description, reader),
                start: item.start.as_ref().map(zoned_date_time_for),
                end: item.end.as_ref().map(zoned_date_time_for),
                speakers: item
                    .speakers
                    .iter()
                    .map(|p| participant_to_wire(p, reader))
                    .collect(),
            })
            .collect(),
        audiences: content
            .audiences
            .iter()
            .map(|a| audience_to_wire(*a) as i32)
            .collect(),
        status: status_to_wire(event.status) as i32,
        cancellation_reason: event
            .cancellation_reason
            .as_ref()
            .and_then(|r| text_for(r, reader)),
        previous_start: event.previous_start.as_ref().map(zoned_date_time_for),
        sequence: i32::try_from(event.sequence).unwrap_or(i32::MAX),
        outcomes: event.outcomes.as_ref().map(|o| outcomes_to_wire(o, reader)),
        related_services: content.related_services.clone(),
        registration_settings: Some(pb::RegistrationSettings {
            enabled: settings.enabled,
            capacity: count(settings.capacity),
            reserved_seats: count(settings.reserved_seats),
            waitlist_enabled: settings.waitlist_enabled,
            open_time: settings.open_time.map(timestamp),
            close_time: settings.close_time.map(timestamp),
        }),
        registration_summary: Some(pb::RegistrationSummary {
            capacity: count(settings.capacity),
            reserved_seats: count(settings.reserved_seats),
            confirmed_count: count(event.seats.confirmed),
            waitlisted_count: count(event.seats.waitlisted),
            checked_in_count: count(event.seats.checked_in),
            remaining_seats: count(event.remaining_seats()),
        }),
        publish_time: event.publish_time.map(timestamp),
        create_time: Some(timestamp(event.create_time)),
        update_time: Some(timestamp(event.update_time)),
        etag: event.etag(),
    }
}

/// A registration, with the event's online link when it holds a seat.
pub fn registration_to_wire(
    registration: &Registration,
    online_url: Option<&str>,
) -> pb::Registration {
    let attendee = &registration.attendee;
    pb::Registration {
        name: registration.name(),
        attendee: Some(pb::Attendee {
            display_name: attendee.display_name.clone(),
            email: attendee
                .email
                .as_ref()
                .map(|e| e.as_str().to_owned())
                .unwrap_or_default(),
            phone: attendee
                .phone
                .as_ref()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
            residence_region_code: attendee
                .residence
                .as_ref()
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
            language_code: attendee
                .language
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            diaspora: attendee.diaspora,
        }),
        code: registration.code.clone(),
        status: match registration.status {
            RegistrationStatus::Confirmed => pb::RegistrationStatus::Confirmed,
            RegistrationStatus::Waitlisted => pb::RegistrationStatus::Waitlisted,
            RegistrationStatus::Cancelled => pb::RegistrationStatus::Cancelled,
        } as i32,
        waitlist_position: registration
            .waitlist_position
            .map_or(0, |p| i32::try_from(p).unwrap_or(i32::MAX)),
        check_in_time: registration.check_in_time.map(timestamp),
        online_url: match registration.status {
            RegistrationStatus::Confirmed => online_url.unwrap_or_default().to_owned(),
            _ => String::new(),
        },
        create_time: Some(timestamp(registration.create_time)),
        update_time: Some(timestamp(registration.update_time)),
        etag: registration.etag(),
    }
}
