//! Wire to domain: every request is read whole and checked, and every wrong field is
//! reported by its path in the request, with the index of a list's element
//! (`event.agenda_items[2].speakers[0].role`). Lists and texts are bounded here, before
//! anything is stored.

use jalia_model::{
    AgencyCode, AgencyFilter, FieldViolation, IfMatch, LocalizedText, PageRequest, RequestId,
    Violations, WatchQuery, ZonedDateTime, parse_name,
};
use jalia_proto::convert::{
    UpdatableFields, audience_filter, audiences, civil_date, instant, localized_text,
    postal_address, zoned_date_time,
};
use jalia_proto::events::v1 as pb;
use jalia_proto::r#type::v1 as wire;

use crate::app::Register;
use crate::domain::change::ChangeKind;
use crate::domain::content::{
    AgendaItem, AttendanceFigure, AttendanceMode, Decision, EventContent, EventKind, LONG_TEXT,
    MAX_AGENDA_ITEMS, MAX_ATTENDANCE_FIGURES, MAX_DECISIONS, MAX_GUESTS, MAX_ITEM_SPEAKERS,
    MAX_LANGUAGES, MAX_RELATED_SERVICES, MAX_SPEAKERS, OnlineAccess, Outcomes, Participant,
    RegistrationSettings, SHORT_TEXT, Venue, check_https_url,
};
use crate::domain::event::{EventName, EventStatus};
use crate::domain::ical::Publisher;
use crate::domain::patch::{EventField, EventPatch};
use crate::domain::query::{EventQuery, RosterQuery};
use crate::domain::registration::{
    Attendee, AttendeeInput, Credential, Identity, PersonInput, RegistrationName,
    RegistrationStatus, normalize_code,
};
use crate::domain::{Error, Result};

type Checked<T> = std::result::Result<T, Vec<FieldViolation>>;

/// The paths UpdateEvent may name (AIP-134).
pub(super) const EVENT_FIELDS: UpdatableFields = UpdatableFields::new(
    "jalia.events.v1.Event",
    &[
        "kind",
        "title",
        "description",
        "theme",
        "attendance_mode",
        "venue",
        "online_access",
        "chair",
        "speakers",
        "guests",
        "agenda_items",
        "audiences",
        "related_services",
        "registration_settings",
        "registration_settings.enabled",
        "registration_settings.capacity",
        "registration_settings.reserved_seats",
        "registration_settings.waitlist_enabled",
        "registration_settings.open_time",
        "registration_settings.close_time",
        "registration_settings.waitlist_capacity",
        "registration_settings.consent_required",
        "registration_settings.consent_version",
        "start",
        "end",
        "outcomes",
    ],
);

// ---- names ---------------------------------------------------------------------------

/// `agencies/{agency}/events/{event}`, or a violation of `field`.
pub(super) fn event_name(name: &str, field: &str) -> Result<EventName> {
    match parse_name(name, &["events"]) {
        Ok((agency, ids)) => match ids.as_slice() {
            [id] => Ok(EventName { agency, id: *id }),
            _ => Err(Error::invalid(field, "must name an event")),
        },
        Err(err) => Err(Error::invalid(field, err.to_string())),
    }
}

/// `agencies/{agency}/events/{event}/registrations/{registration}`.
pub(super) fn registration_name(name: &str) -> Result<RegistrationName> {
    match parse_name(name, &["events", "registrations"]) {
        Ok((agency, ids)) => match ids.as_slice() {
            [event, registration] => Ok(RegistrationName {
                event: EventName { agency, id: *event },
                id: *registration,
            }),
            _ => Err(Error::invalid("name", "must name a registration")),
        },
        Err(err) => Err(Error::invalid("name", err.to_string())),
    }
}

fn agency_parent(parent: &str) -> Result<AgencyCode> {
    jalia_proto::convert::agency_name(parent).map_err(|problem| Error::invalid("parent", problem))
}

// ---- events --------------------------------------------------------------------------

/// CreateEvent: the agency, the content and the request_id.
pub(super) fn create_event(
    request: &pb::CreateEventRequest,
) -> Result<(AgencyCode, EventContent, Option<RequestId>)> {
    let agency = agency_parent(&request.parent)?;
    let event = request
        .event
        .as_ref()
        .ok_or_else(|| Error::invalid("event", "must be given"))?;
    let content = event_content(event)?;
    let request_id = RequestId::parse(&request.request_id)?;
    Ok((agency, content, request_id))
}

/// A lifecycle change: the event and the etag it was read at.
pub(super) fn event_change(name: &str, etag: &str) -> Result<(EventName, IfMatch)> {
    Ok((event_name(name, "name")?, IfMatch::required(etag, "etag")?))
}

/// UpdateEvent: the event, its etag and the fields to replace.
pub(super) fn update_event(
    request: &pb::UpdateEventRequest,
) -> Result<(EventName, IfMatch, EventPatch)> {
    let event = request
        .event
        .as_ref()
        .ok_or_else(|| Error::invalid("event", "must be given"))?;
    let name = event_name(&event.name, "event.name")?;
    let if_match = IfMatch::required(&event.etag, "event.etag")?;
    let paths = EVENT_FIELDS.resolve(request.update_mask.as_ref(), event)?;
    let mut violations = Violations::new();
    let fields = paths
        .paths()
        .iter()
        .filter_map(|path| {
            let field = changed_field(event, path);
            violations.take(&format!("event.{path}"), field)
        })
        .collect();
    let patch = violations.finish(|| EventPatch {
        fields,
        replace_all: paths.replace_all(),
    })?;
    Ok((name, if_match, patch))
}

/// CancelEvent: the event, its etag and the reason.
pub(super) fn cancel_event(
    request: &pb::CancelEventRequest,
) -> Result<(EventName, IfMatch, LocalizedText)> {
    let (name, if_match) = event_change(&request.name, &request.etag)?;
    let mut violations = Violations::new();
    let reason = violations.take("reason", text(request.reason.as_ref(), SHORT_TEXT, true));
    let reason = violations.finish(|| reason.unwrap_or_default())?;
    Ok((name, if_match, reason))
}

/// RescheduleEvent: the event, its etag and the new times.
pub(super) fn reschedule_event(
    request: &pb::RescheduleEventRequest,
) -> Result<(EventName, IfMatch, (ZonedDateTime, ZonedDateTime))> {
    let (name, if_match) = event_change(&request.name, &request.etag)?;
    let mut violations = Violations::new();
    let start = violations.take("start", zoned_date_time(request.start.as_ref()));
    let end = violations.take("end", zoned_date_time(request.end.as_ref()));
    match (start, end) {
        (Some(start), Some(end)) => Ok((name, if_match, (start, end))),
        _ => Err(Error::Invalid(violations.into_vec())),
    }
}

/// CompleteEvent: the event, its etag and the outcomes.
pub(super) fn complete_event(
    request: &pb::CompleteEventRequest,
) -> Result<(EventName, IfMatch, Option<Outcomes>)> {
    let (name, if_match) = event_change(&request.name, &request.etag)?;
    let mut violations = Violations::new();
    let outcomes = request
        .outcomes
        .as_ref()
        .and_then(|o| violations.take("outcomes", outcomes(o)));
    let outcomes = violations.finish(|| outcomes)?;
    Ok((name, if_match, outcomes))
}

/// ListEvents: the query and the page.
pub(super) fn list_events(request: &pb::ListEventsRequest) -> Result<(EventQuery, PageRequest)> {
    let query = event_query(
        &request.parent,
        (request.kind, request.status, request.audience),
        [
            (request.updated_after.as_ref(), "updated_after"),
            (request.start_after.as_ref(), "start_after"),
            (request.start_before.as_ref(), "start_before"),
        ],
        request.order == pb::EventOrder::NewestFirst as i32,
    )?;
    let page = PageRequest::parse(request.page_size, &request.page_token)?;
    Ok((query, page))
}

/// ExportEventCalendar: the event and how to name its agency.
pub(super) fn export_event(
    request: &pb::ExportEventCalendarRequest,
) -> Result<(EventName, Option<Publisher>)> {
    let name = event_name(&request.name, "name")?;
    let publisher = request
        .publisher
        .as_ref()
        .map(|publisher| calendar_publisher(name.agency.clone(), publisher))
        .transpose()
        .map_err(Error::Invalid)?;
    Ok((name, publisher))
}

/// ExportEventsCalendar: the query (never drafts) and how to name its agency.
pub(super) fn export_events(
    request: &pb::ExportEventsCalendarRequest,
) -> Result<(EventQuery, Option<Publisher>)> {
    if request.status == pb::EventStatus::Draft as i32 {
        return Err(Error::invalid("status", "drafts are never exported"));
    }
    let query = event_query(
        &request.parent,
        (request.kind, request.status, request.audience),
        [
            (request.updated_after.as_ref(), "updated_after"),
            (request.start_after.as_ref(), "start_after"),
            (request.start_before.as_ref(), "start_before"),
        ],
        false,
    )?;
    let publisher = match (&request.publisher, &query.agency) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(Error::invalid(
                "publisher",
                "the events of every agency have no one publisher; name one agency as parent",
            ));
        }
        (Some(publisher), Some(agency)) => {
            Some(calendar_publisher(agency.clone(), publisher).map_err(Error::Invalid)?)
        }
    };
    Ok((query, publisher))
}

/// A calendar's publisher: a short name without controls, an email that is one.
fn calendar_publisher(agency: AgencyCode, publisher: &pb::CalendarPublisher) -> Checked<Publisher> {
    let mut violations = Vec::new();
    let display_name = publisher.display_name.trim();
    if display_name.chars().count() > SHORT_TEXT || display_name.chars().any(char::is_control) {
        violations.push(FieldViolation::new(
            "publisher.display_name",
            format!("at most {SHORT_TEXT} characters, without control characters"),
        ));
    }
    let email = publisher.email.trim();
    let plausible = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        })
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>'));
    if !email.is_empty() && !plausible {
        violations.push(FieldViolation::new(
            "publisher.email",
            "must be an email address, local@domain, at most 254 characters",
        ));
    }
    if !violations.is_empty() {
        return Err(violations);
    }
    let given = |text: &str| (!text.is_empty()).then(|| text.to_owned());
    Ok(Publisher {
        agency,
        display_name: given(display_name),
        email: given(email),
    })
}

fn event_query(
    parent: &str,
    (kind_filter, status_filter, audience): (i32, i32, i32),
    [updated_after, start_after, start_before]: [(Option<&prost_types::Timestamp>, &str); 3],
    newest_first: bool,
) -> Result<EventQuery> {
    let agency =
        AgencyFilter::parse_parent(parent).map_err(|problem| Error::invalid("parent", problem))?;
    let mut violations = Violations::new();
    let kind = if kind_filter == 0 {
        None
    } else {
        violations.check("kind", kind(kind_filter))
    };
    let status = violations.check("status", event_status_filter(status_filter));
    let audience = violations.check("audience", audience_filter(audience));
    let mut instant_of = |(value, field): (Option<&prost_types::Timestamp>, &str)| {
        value.and_then(|t| violations.check(field, instant(t).map(jalia_db::to_micros)))
    };
    let updated_after = instant_of(updated_after);
    let start_after = instant_of(start_after);
    let start_before = instant_of(start_before);
    Ok(violations.finish(|| EventQuery {
        agency: agency.agency().cloned(),
        kind,
        status: status.flatten(),
        audience: audience.flatten(),
        start_after,
        start_before,
        updated_after,
        newest_first,
    })?)
}

fn event_status_filter(value: i32) -> std::result::Result<Option<EventStatus>, String> {
    Ok(match pb::EventStatus::try_from(value) {
        Ok(pb::EventStatus::Unspecified) => None,
        Ok(pb::EventStatus::Draft) => Some(EventStatus::Draft),
        Ok(pb::EventStatus::Published) => Some(EventStatus::Published),
        Ok(pb::EventStatus::Cancelled) => Some(EventStatus::Cancelled),
        Ok(pb::EventStatus::Postponed) => Some(EventStatus::Postponed),
        Ok(pb::EventStatus::Completed) => Some(EventStatus::Completed),
        Err(_) => return Err("must be a known status".to_owned()),
    })
}

/// Every field of a new event, violations under `event`.
fn event_content(event: &pb::Event) -> Result<EventContent> {
    let mut v = Violations::new();
    let kind = v.check("event.kind", kind(event.kind));
    let title = v.take("event.title", text(event.title.as_ref(), SHORT_TEXT, true));
    let description = v.take(
        "event.description",
        text(event.description.as_ref(), LONG_TEXT, false),
    );
    let theme = v.take("event.theme", text(event.theme.as_ref(), SHORT_TEXT, false));
    let start = v.take("event.start", zoned_date_time(event.start.as_ref()));
    let end = v.take("event.end", zoned_date_time(event.end.as_ref()));
    let attendance_mode = v.check(
        "event.attendance_mode",
        attendance_mode(event.attendance_mode),
    );
    let venue = event
        .venue
        .as_ref()
        .and_then(|venue| v.take("event.venue", self::venue(venue)));
    let online_access = event
        .online_access
        .as_ref()
        .and_then(|access| v.take("event.online_access", self::online_access(access)));
    let chair = event
        .chair
        .as_ref()
        .and_then(|chair| v.take("event.chair", participant(chair)));
    let speakers = v.take(
        "event.speakers",
        participants(&event.speakers, MAX_SPEAKERS),
    );
    let guests = v.take("event.guests", participants(&event.guests, MAX_GUESTS));
    let agenda_items = v.take("event.agenda_items", agenda(&event.agenda_items));
    let audiences = v.take(
        "event.audiences",
        audiences(&event.audiences, jalia_model::Audience::ALL.len()),
    );
    let related_services = v.take(
        "event.related_services",
        related_services(&event.related_services),
    );
    let registration = v.take(
        "event.registration_settings",
        registration_settings(event.registration_settings.as_ref()),
    );
    let (Some(kind), Some(start), Some(end)) = (kind, start, end) else {
        return Err(Error::Invalid(v.into_vec()));
    };
    Ok(v.finish(|| EventContent {
        kind,
        title: title.unwrap_or_default(),
        description: description.unwrap_or_default(),
        theme: theme.unwrap_or_default(),
        start,
        end,
        attendance_mode: attendance_mode.flatten(),
        venue,
        online_access,
        chair,
        speakers: speakers.unwrap_or_default(),
        guests: guests.unwrap_or_default(),
        agenda_items: agenda_items.unwrap_or_default(),
        audiences: audiences.unwrap_or_default(),
        related_services: related_services.unwrap_or_default(),
        registration: registration.unwrap_or_default(),
    })?)
}

/// The value of one updatable path, violations relative to it.
fn changed_field(event: &pb::Event, path: &str) -> Checked<EventField> {
    let one = |problem: String| vec![FieldViolation::new("", problem)];
    let default_settings = pb::RegistrationSettings::default();
    let settings = event
        .registration_settings
        .as_ref()
        .unwrap_or(&default_settings);
    Ok(match path {
        "kind" => EventField::Kind(kind(event.kind).map_err(one)?),
        "title" => EventField::Title(text(event.title.as_ref(), SHORT_TEXT, true)?),
        "description" => {
            EventField::Description(text(event.description.as_ref(), LONG_TEXT, false)?)
        }
        "theme" => EventField::Theme(text(event.theme.as_ref(), SHORT_TEXT, false)?),
        "attendance_mode" => {
            EventField::AttendanceMode(attendance_mode(event.attendance_mode).map_err(one)?)
        }
        "venue" => EventField::Venue(event.venue.as_ref().map(venue).transpose()?),
        "online_access" => EventField::OnlineAccess(
            event
                .online_access
                .as_ref()
                .map(online_access)
                .transpose()?,
        ),
        "chair" => EventField::Chair(event.chair.as_ref().map(participant).transpose()?),
        "speakers" => EventField::Speakers(participants(&event.speakers, MAX_SPEAKERS)?),
        "guests" => EventField::Guests(participants(&event.guests, MAX_GUESTS)?),
        "agenda_items" => EventField::AgendaItems(agenda(&event.agenda_items)?),
        "audiences" => EventField::Audiences(audiences(
            &event.audiences,
            jalia_model::Audience::ALL.len(),
        )?),
        "related_services" => {
            EventField::RelatedServices(related_services(&event.related_services)?)
        }
        "registration_settings" => {
            EventField::Registration(registration_settings(event.registration_settings.as_ref())?)
        }
        "registration_settings.enabled" => EventField::RegistrationEnabled(settings.enabled),
        "registration_settings.capacity" => {
            EventField::Capacity(count(settings.capacity).map_err(one)?)
        }
        "registration_settings.reserved_seats" => {
            EventField::ReservedSeats(count(settings.reserved_seats).map_err(one)?)
        }
        "registration_settings.waitlist_enabled" => {
            EventField::WaitlistEnabled(settings.waitlist_enabled)
        }
        "registration_settings.open_time" => EventField::OpenTime(
            settings
                .open_time
                .as_ref()
                .map(instant)
                .transpose()
                .map_err(one)?,
        ),
        "registration_settings.close_time" => EventField::CloseTime(
            settings
                .close_time
                .as_ref()
                .map(instant)
                .transpose()
                .map_err(one)?,
        ),
        "registration_settings.waitlist_capacity" => EventField::WaitlistCapacity(
            settings
                .waitlist_capacity
                .map(count)
                .transpose()
                .map_err(one)?,
        ),
        "registration_settings.consent_required" => {
            EventField::ConsentRequired(settings.consent_required)
        }
        "registration_settings.consent_version" => {
            EventField::ConsentVersion(given(&settings.consent_version))
        }
        "start" => EventField::Start(zoned_date_time(event.start.as_ref())?),
        "end" => EventField::End(zoned_date_time(event.end.as_ref())?),
        "outcomes" => EventField::Outcomes(event.outcomes.as_ref().map(outcomes).transpose()?),
        other => return Err(one(format!("`{other}` is not an updatable path"))),
    })
}

/// A multilingual text: at most [`MAX_LANGUAGES`] languages of at most `max` characters.
fn text(value: Option<&wire::LocalizedText>, max: usize, required: bool) -> Checked<LocalizedText> {
    if value.is_some_and(|text| text.entries.len() > MAX_LANGUAGES) {
        return Err(vec![FieldViolation::new(
            "entries",
            format!("at most {MAX_LANGUAGES} languages"),
        )]);
    }
    localized_text(value, max, required)
}

fn kind(value: i32) -> std::result::Result<EventKind, String> {
    match pb::EventKind::try_from(value) {
        Ok(pb::EventKind::CommunicationMeeting) => Ok(EventKind::CommunicationMeeting),
        Ok(pb::EventKind::NationalDay) => Ok(EventKind::NationalDay),
        Ok(pb::EventKind::InformationSession) => Ok(EventKind::InformationSession),
        Ok(pb::EventKind::Desk) => Ok(EventKind::Desk),
        Ok(pb::EventKind::Workshop) => Ok(EventKind::Workshop),
        Ok(pb::EventKind::Unspecified) | Err(_) => Err("must be a known event kind".to_owned()),
    }
}

fn attendance_mode(value: i32) -> std::result::Result<Option<AttendanceMode>, String> {
    match pb::AttendanceMode::try_from(value) {
        Ok(pb::AttendanceMode::Unspecified) => Ok(None),
        Ok(pb::AttendanceMode::InPerson) => Ok(Some(AttendanceMode::InPerson)),
        Ok(pb::AttendanceMode::Online) => Ok(Some(AttendanceMode::Online)),
        Ok(pb::AttendanceMode::Hybrid) => Ok(Some(AttendanceMode::Hybrid)),
        Err(_) => Err("must be a known attendance mode".to_owned()),
    }
}

fn participant(value: &pb::Participant) -> Checked<Participant> {
    let mut v = Violations::new();
    let role = v.take("role", text(value.role.as_ref(), SHORT_TEXT, true));
    let organization = v.take(
        "organization",
        text(value.organization.as_ref(), SHORT_TEXT, false),
    );
    v.finish(|| Participant {
        role: role.unwrap_or_default(),
        organization: organization.unwrap_or_default(),
    })
}

fn participants(values: &[pb::Participant], max: usize) -> Checked<Vec<Participant>> {
    let mut v = Violations::new();
    let read = v.each("", values, max, participant);
    v.finish(|| read)
}

fn venue(value: &pb::Venue) -> Checked<Venue> {
    let mut v = Violations::new();
    let display_name = v.take(
        "display_name",
        text(value.display_name.as_ref(), SHORT_TEXT, true),
    );
    let address = value
        .address
        .as_ref()
        .filter(|address| **address != wire::PostalAddress::default())
        .and_then(|address| v.take("address", postal_address(address)));
    v.finish(|| Venue {
        display_name: display_name.unwrap_or_default(),
        address,
    })
}

fn online_access(value: &pb::OnlineAccess) -> Checked<OnlineAccess> {
    let url = value.url.trim();
    check_https_url(url).map_err(|problem| vec![FieldViolation::new("url", problem)])?;
    Ok(OnlineAccess {
        url: url.to_owned(),
        private: value.private,
    })
}

/// An optional time of an agenda item: unset or empty is none.
fn optional_zoned(value: Option<&wire::ZonedDateTime>) -> Checked<Option<ZonedDateTime>> {
    value
        .filter(|time| !time.local_date_time.is_empty() || !time.time_zone.is_empty())
        .map(|time| zoned_date_time(Some(time)))
        .transpose()
}

fn agenda(values: &[pb::AgendaItem]) -> Checked<Vec<AgendaItem>> {
    let mut v = Violations::new();
    let items = v.each("", values, MAX_AGENDA_ITEMS, |item| {
        let mut v = Violations::new();
        let title = v.take("title", text(item.title.as_ref(), SHORT_TEXT, true));
        let description = v.take(
            "description",
            text(item.description.as_ref(), LONG_TEXT, false),
        );
        let start = v.take("start", optional_zoned(item.start.as_ref()));
        let end = v.take("end", optional_zoned(item.end.as_ref()));
        let speakers = v.take("speakers", participants(&item.speakers, MAX_ITEM_SPEAKERS));
        v.finish(|| AgendaItem {
            title: title.unwrap_or_default(),
            description: description.unwrap_or_default(),
            start: start.flatten(),
            end: end.flatten(),
            speakers: speakers.unwrap_or_default(),
        })
    });
    v.finish(|| items)
}

fn related_services(values: &[String]) -> Checked<Vec<String>> {
    let mut v = Violations::new();
    let names = v.each("", values, MAX_RELATED_SERVICES, |name| {
        parse_name(name, &["services"])
            .map(|_| name.clone())
            .map_err(|err| vec![FieldViolation::new("", err.to_string())])
    });
    v.finish(|| names)
}

fn count(value: i32) -> std::result::Result<u32, String> {
    u32::try_from(value).map_err(|_| "must not be negative".to_owned())
}

fn registration_settings(
    value: Option<&pb::RegistrationSettings>,
) -> Checked<RegistrationSettings> {
    let Some(value) = value else {
        return Ok(RegistrationSettings::default());
    };
    let mut v = Violations::new();
    let capacity = v.check("capacity", count(value.capacity));
    let reserved_seats = v.check("reserved_seats", count(value.reserved_seats));
    let open_time = value
        .open_time
        .as_ref()
        .and_then(|t| v.check("open_time", instant(t)));
    let close_time = value
        .close_time
        .as_ref()
        .and_then(|t| v.check("close_time", instant(t)));
    let waitlist_capacity = value
        .waitlist_capacity
        .and_then(|places| v.check("waitlist_capacity", count(places)));
    v.finish(|| RegistrationSettings {
        enabled: value.enabled,
        capacity: capacity.unwrap_or_default(),
        reserved_seats: reserved_seats.unwrap_or_default(),
        waitlist_enabled: value.waitlist_enabled,
        open_time,
        close_time,
        waitlist_capacity,
        consent_required: value.consent_required,
        consent_version: given(&value.consent_version),
    })
}

/// A text field that may be left empty: trimmed, None when empty.
fn given(value: &str) -> Option<String> {
    Some(value.trim().to_owned()).filter(|value| !value.is_empty())
}

fn outcomes(value: &pb::EventOutcomes) -> Checked<Outcomes> {
    let mut v = Violations::new();
    let minutes_summary = v.take(
        "minutes_summary",
        text(value.minutes_summary.as_ref(), LONG_TEXT, false),
    );
    let attendance_count = v.check("attendance_count", count(value.attendance_count));
    let attendance_by_audience = v.each(
        "attendance_by_audience",
        &value.attendance_by_audience,
        MAX_ATTENDANCE_FIGURES,
        |figure| {
            let mut v = Violations::new();
            let audience = v.check(
                "audience",
                jalia_proto::convert::audience(figure.audience)
                    .ok_or_else(|| "must be a known audience".to_owned()),
            );
            let count = v.check("count", count(figure.count));
            match (audience, count) {
                (Some(audience), Some(count)) => Ok(AttendanceFigure { audience, count }),
                _ => Err(v.into_vec()),
            }
        },
    );
    let decisions = v.each("decisions", &value.decisions, MAX_DECISIONS, |decision| {
        let mut v = Violations::new();
        let text_of = v.take("text", text(decision.text.as_ref(), LONG_TEXT, true));
        let responsible = v.take(
            "responsible",
            text(decision.responsible.as_ref(), SHORT_TEXT, false),
        );
        let due_date = decision
            .due_date
            .as_ref()
            .and_then(|date| v.check("due_date.date", civil_date(date)));
        v.finish(|| Decision {
            text: text_of.unwrap_or_default(),
            responsible: responsible.unwrap_or_default(),
            due_date,
        })
    });
    v.finish(|| Outcomes {
        minutes_summary: minutes_summary.unwrap_or_default(),
        attendance_count: attendance_count.unwrap_or_default(),
        attendance_by_audience,
        decisions,
    })
}

// ---- registrations -------------------------------------------------------------------

/// RegisterAttendee.
pub(super) fn register(request: &pb::RegisterAttendeeRequest) -> Result<Register> {
    let event = event_name(&request.parent, "parent")?;
    let attendee = request
        .registration
        .as_ref()
        .and_then(|registration| registration.attendee.as_ref())
        .ok_or_else(|| Error::invalid("registration.attendee", "must be given"))?;
    let attendee = Attendee::try_from(AttendeeInput {
        display_name: attendee.display_name.clone(),
        email: attendee.email.clone(),
        phone: attendee.phone.clone(),
        residence_region_code: attendee.residence_region_code.clone(),
        language_code: attendee.language_code.clone(),
        diaspora: attendee.diaspora,
    })?;
    let consent = request
        .registration
        .as_ref()
        .and_then(|registration| registration.consent.as_ref())
        .and_then(|consent| given(&consent.text_version));
    let request_id = RequestId::parse(&request.request_id)?;
    Ok(Register {
        event,
        attendee,
        consent,
        request_id,
    })
}

/// ListRegistrations.
pub(super) fn list_registrations(
    request: &pb::ListRegistrationsRequest,
) -> Result<(EventName, RosterQuery, PageRequest)> {
    let event = event_name(&request.parent, "parent")?;
    let page = PageRequest::parse(request.page_size, &request.page_token)?;
    let mut violations = Violations::new();
    let status = violations.check("status", registration_status_filter(request.status));
    let updated_after = request
        .updated_after
        .as_ref()
        .and_then(|t| violations.check("updated_after", instant(t).map(jalia_db::to_micros)));
    let query = violations.finish(|| RosterQuery {
        status: status.flatten(),
        checked_in: request.checked_in,
        updated_after,
    })?;
    Ok((event, query, page))
}

/// ExportRoster.
pub(super) fn roster(request: &pb::ExportRosterRequest) -> Result<(EventName, RosterQuery)> {
    let event = event_name(&request.parent, "parent")?;
    let status = registration_status_filter(request.status)
        .map_err(|problem| Error::invalid("status", problem))?;
    Ok((
        event,
        RosterQuery {
            status,
            checked_in: request.checked_in,
            updated_after: None,
        },
    ))
}

fn registration_status_filter(
    value: i32,
) -> std::result::Result<Option<RegistrationStatus>, String> {
    Ok(match pb::RegistrationStatus::try_from(value) {
        Ok(pb::RegistrationStatus::Unspecified) => None,
        Ok(pb::RegistrationStatus::Confirmed) => Some(RegistrationStatus::Confirmed),
        Ok(pb::RegistrationStatus::Waitlisted) => Some(RegistrationStatus::Waitlisted),
        Ok(pb::RegistrationStatus::Cancelled) => Some(RegistrationStatus::Cancelled),
        Err(_) => return Err("must be a known status".to_owned()),
    })
}

/// CancelRegistration.
pub(super) fn cancel_registration(
    request: &pb::CancelRegistrationRequest,
) -> Result<(RegistrationName, IfMatch)> {
    Ok((
        registration_name(&request.name)?,
        IfMatch::required(&request.etag, "etag")?,
    ))
}

/// CheckIn: the event and the code as typed.
pub(super) fn check_in(request: &pb::CheckInRequest) -> Result<(EventName, String)> {
    let event = event_name(&request.event, "event")?;
    let code = normalize_code(&request.code)
        .ok_or_else(|| Error::invalid("code", "must be an 8-character registration code"))?;
    Ok((event, code))
}

/// LookupRegistration and WithdrawRegistration: the event and what the person holds.
/// Only the event's name is refused as bad input; a code or contact that cannot match is
/// answered as one that does not.
pub(super) fn held_registration(
    event: &str,
    code: &str,
    contact: &str,
) -> Result<(EventName, Credential)> {
    Ok((
        event_name(event, "event")?,
        Credential::typed(code, contact),
    ))
}

// ---- personal data -------------------------------------------------------------------

/// ErasePersonalData and ExportPersonalData: the agency and the person.
pub(super) fn person_in(parent: &str, email: &str, phone: &str) -> Result<(AgencyCode, Identity)> {
    let agency = agency_parent(parent);
    let person = Identity::try_from(PersonInput {
        email: email.to_owned(),
        phone: phone.to_owned(),
    });
    match (agency, person) {
        (Ok(agency), Ok(person)) => Ok((agency, person)),
        (Err(Error::Invalid(mut first)), Err(Error::Invalid(more))) => {
            first.extend(more);
            Err(Error::Invalid(first))
        }
        (Err(err), _) | (_, Err(err)) => Err(err),
    }
}

/// WatchChanges. The cursor is checked by the use case, which alone knows what it means.
pub(super) fn watch_changes(request: &pb::WatchChangesRequest) -> Result<WatchQuery<ChangeKind>> {
    let mut violations = Vec::new();
    let agencies = AgencyFilter::parse_parent(&request.parent)
        .map_err(|problem| violations.push(FieldViolation::new("parent", problem)))
        .ok();
    let mut kinds = Vec::with_capacity(request.kinds.len());
    for (index, value) in request.kinds.iter().enumerate() {
        match change_kind(*value) {
            Some(kind) => kinds.push(kind),
            None => violations.push(FieldViolation::new(
                format!("kinds[{index}]"),
                "must be a known change kind",
            )),
        }
    }
    match agencies {
        Some(agencies) if violations.is_empty() => Ok(WatchQuery {
            agencies,
            kinds,
            cursor: request.cursor.clone(),
            from_oldest: request.from_oldest,
        }),
        _ => Err(Error::Invalid(violations)),
    }
}

fn change_kind(value: i32) -> Option<ChangeKind> {
    Some(match pb::ChangeKind::try_from(value).ok()? {
        pb::ChangeKind::Unspecified => return None,
        pb::ChangeKind::EventPublished => ChangeKind::EventPublished,
        pb::ChangeKind::EventRescheduled => ChangeKind::EventRescheduled,
        pb::ChangeKind::EventPostponed => ChangeKind::EventPostponed,
        pb::ChangeKind::EventCancelled => ChangeKind::EventCancelled,
        pb::ChangeKind::RegistrationConfirmed => ChangeKind::RegistrationConfirmed,
        pb::ChangeKind::RegistrationWaitlisted => ChangeKind::RegistrationWaitlisted,
        pb::ChangeKind::RegistrationPromoted => ChangeKind::RegistrationPromoted,
        pb::ChangeKind::RegistrationCancelled => ChangeKind::RegistrationCancelled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_updatable_path_is_a_field_of_the_event() {
        assert_eq!(EVENT_FIELDS.check(), Ok(()));
    }
}
