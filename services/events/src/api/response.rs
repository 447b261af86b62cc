//! Domain to wire: texts resolved to the reader's languages. What a reader may not see
//! (a private link) was already withheld by the use cases.

use jalia_model::{FallbackChain, FeedItem, LanguageCode, LocalizedText, Page};
use jalia_proto::convert::{
    agency_reference_for, audience_for, audiences_for, civil_date_for, etag_for,
    localized_text_for, postal_address_for, timestamp, zoned_date_time_for,
};
use jalia_proto::events::v1 as pb;
use jalia_proto::r#type::v1 as wire;

use crate::domain::change::ChangeKind;
use crate::domain::content::{AttendanceMode, EventKind, Outcomes, Participant};
use crate::domain::erasure::Erasure;
use crate::domain::event::{Event, EventStatus};
use crate::domain::ical::CONTENT_TYPE;
use crate::domain::registration::{RegistrationStatus, RegistrationView};

/// Counts as the wire carries them.
fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn text_for(text: &LocalizedText, wanted: &[LanguageCode]) -> Option<wire::LocalizedText> {
    (!text.is_empty()).then(|| localized_text_for(text, wanted, &FallbackChain::default()))
}

fn participant(p: &Participant, wanted: &[LanguageCode]) -> pb::Participant {
    pb::Participant {
        role: text_for(&p.role, wanted),
        organization: text_for(&p.organization, wanted),
    }
}

fn kind(kind: EventKind) -> pb::EventKind {
    match kind {
        EventKind::CommunicationMeeting => pb::EventKind::CommunicationMeeting,
        EventKind::NationalDay => pb::EventKind::NationalDay,
        EventKind::InformationSession => pb::EventKind::InformationSession,
        EventKind::Desk => pb::EventKind::Desk,
        EventKind::Workshop => pb::EventKind::Workshop,
    }
}

fn status(status: EventStatus) -> pb::EventStatus {
    match status {
        EventStatus::Draft => pb::EventStatus::Draft,
        EventStatus::Published => pb::EventStatus::Published,
        EventStatus::Cancelled => pb::EventStatus::Cancelled,
        EventStatus::Postponed => pb::EventStatus::Postponed,
        EventStatus::Completed => pb::EventStatus::Completed,
    }
}

fn outcomes(o: &Outcomes, wanted: &[LanguageCode]) -> pb::EventOutcomes {
    pb::EventOutcomes {
        minutes_summary: text_for(&o.minutes_summary, wanted),
        attendance_count: count(o.attendance_count),
        attendance_by_audience: o
            .attendance_by_audience
            .iter()
            .map(|f| pb::AttendanceFigure {
                audience: audience_for(f.audience) as i32,
                count: count(f.count),
            })
            .collect(),
        decisions: o
            .decisions
            .iter()
            .map(|d| pb::Decision {
                text: text_for(&d.text, wanted),
                responsible: text_for(&d.responsible, wanted),
                due_date: d.due_date.map(civil_date_for),
            })
            .collect(),
    }
}

/// An event for a reader who wants `wanted`.
pub(super) fn event(event: &Event, wanted: &[LanguageCode]) -> pb::Event {
    let content = &event.content;
    let settings = &content.registration;
    let chain = FallbackChain::default();
    pb::Event {
        name: event.name(),
        agency: Some(agency_reference_for(&event.agency, None)),
        kind: kind(content.kind) as i32,
        title: text_for(&content.title, wanted),
        description: text_for(&content.description, wanted),
        theme: text_for(&content.theme, wanted),
        start: Some(zoned_date_time_for(&content.start)),
        end: Some(zoned_date_time_for(&content.end)),
        attendance_mode: match content.attendance_mode {
            None => pb::AttendanceMode::Unspecified,
            Some(AttendanceMode::InPerson) => pb::AttendanceMode::InPerson,
            Some(AttendanceMode::Online) => pb::AttendanceMode::Online,
            Some(AttendanceMode::Hybrid) => pb::AttendanceMode::Hybrid,
        } as i32,
        venue: content.venue.as_ref().map(|v| pb::Venue {
            display_name: text_for(&v.display_name, wanted),
            address: v
                .address
                .as_ref()
                .map(|address| postal_address_for(address, wanted, &chain)),
        }),
        online_access: content
            .online_access
            .as_ref()
            .map(|access| pb::OnlineAccess {
                url: access.url.clone(),
                private: access.private,
            }),
        chair: content.chair.as_ref().map(|c| participant(c, wanted)),
        speakers: content
            .speakers
            .iter()
            .map(|p| participant(p, wanted))
            .collect(),
        guests: content
            .guests
            .iter()
            .map(|p| participant(p, wanted))
            .collect(),
        agenda_items: content
            .agenda_items
            .iter()
            .map(|item| pb::AgendaItem {
                title: text_for(&item.title, wanted),
                description: text_for(&item.description, wanted),
                start: item.start.as_ref().map(zoned_date_time_for),
                end: item.end.as_ref().map(zoned_date_time_for),
                speakers: item
                    .speakers
                    .iter()
                    .map(|p| participant(p, wanted))
                    .collect(),
            })
            .collect(),
        audiences: audiences_for(&content.audiences),
        status: status(event.status) as i32,
        cancellation_reason: event
            .cancellation_reason
            .as_ref()
            .and_then(|r| text_for(r, wanted)),
        previous_start: event.previous_start.as_ref().map(zoned_date_time_for),
        sequence: i32::try_from(event.sequence).unwrap_or(i32::MAX),
        outcomes: event.outcomes.as_ref().map(|o| outcomes(o, wanted)),
        related_services: content.related_services.clone(),
        registration_settings: Some(pb::RegistrationSettings {
            enabled: settings.enabled,
            capacity: count(settings.capacity),
            reserved_seats: count(settings.reserved_seats),
            waitlist_enabled: settings.waitlist_enabled,
            open_time: settings.open_time.map(timestamp),
            close_time: settings.close_time.map(timestamp),
            waitlist_capacity: settings.waitlist_capacity.map(count),
            consent_required: settings.consent_required,
            consent_version: settings.consent_version.clone().unwrap_or_default(),
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
        etag: etag_for(event.version),
    }
}

/// A page of events.
pub(super) fn events(page: &Page<Event>, wanted: &[LanguageCode]) -> pb::ListEventsResponse {
    pb::ListEventsResponse {
        events: page.items.iter().map(|e| event(e, wanted)).collect(),
        next_page_token: page.next_page_token_or_empty(),
    }
}

fn registration_status(status: RegistrationStatus) -> pb::RegistrationStatus {
    match status {
        RegistrationStatus::Confirmed => pb::RegistrationStatus::Confirmed,
        RegistrationStatus::Waitlisted => pb::RegistrationStatus::Waitlisted,
        RegistrationStatus::Cancelled => pb::RegistrationStatus::Cancelled,
    }
}

/// A registration, personal data included (for the owning agency and the caller that
/// made it).
pub(super) fn registration(view: &RegistrationView) -> pb::Registration {
    let registration = &view.registration;
    let attendee = &registration.attendee;
    let text = |value: Option<&str>| value.unwrap_or_default().to_owned();
    pb::Registration {
        name: registration.name(),
        attendee: Some(pb::Attendee {
            display_name: attendee.display_name.clone(),
            email: text(attendee.email.as_ref().map(|e| e.as_str())),
            phone: text(attendee.phone.as_ref().map(|p| p.as_str())),
            residence_region_code: text(attendee.residence.as_ref().map(|c| c.as_str())),
            language_code: attendee
                .language
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            diaspora: attendee.diaspora,
        }),
        code: registration.code.clone(),
        status: registration_status(registration.status) as i32,
        waitlist_position: view.waitlist_position.map_or(0, count),
        check_in_time: registration.check_in_time.map(timestamp),
        online_url: view.online_url.clone().unwrap_or_default(),
        create_time: Some(timestamp(registration.create_time)),
        update_time: Some(timestamp(registration.update_time)),
        etag: etag_for(registration.version),
        registered_by: registration
            .registered_by
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        anonymise_time: registration.anonymise_time.map(timestamp),
        consent: registration.consent.as_ref().map(|consent| pb::Consent {
            text_version: consent.text_version.clone(),
            consent_time: Some(timestamp(consent.time)),
        }),
    }
}

/// A page of the roster.
pub(super) fn registrations(page: &Page<RegistrationView>) -> pb::ListRegistrationsResponse {
    pb::ListRegistrationsResponse {
        registrations: page.items.iter().map(registration).collect(),
        next_page_token: page.next_page_token_or_empty(),
    }
}

/// One batch of the roster export.
pub(super) fn roster_batch(batch: &[RegistrationView]) -> pb::ExportRosterResponse {
    pb::ExportRosterResponse {
        registrations: batch.iter().map(registration).collect(),
    }
}

/// A registration as the person who holds it sees it.
pub(super) fn held_registration(view: &RegistrationView) -> pb::SelfServiceRegistration {
    let registration = &view.registration;
    pb::SelfServiceRegistration {
        event: format!(
            "agencies/{}/events/{}",
            registration.agency, registration.event_id
        ),
        status: registration_status(registration.status) as i32,
        waitlist_position: view.waitlist_position.map_or(0, count),
        online_url: view.online_url.clone().unwrap_or_default(),
        check_in_time: registration.check_in_time.map(timestamp),
        create_time: Some(timestamp(registration.create_time)),
        update_time: Some(timestamp(registration.update_time)),
    }
}

/// An iCalendar export of one event.
pub(super) fn event_calendar(calendar: String) -> pb::ExportEventCalendarResponse {
    pb::ExportEventCalendarResponse {
        calendar,
        content_type: CONTENT_TYPE.to_owned(),
    }
}

/// An iCalendar export of several events.
pub(super) fn events_calendar(calendar: String) -> pb::ExportEventsCalendarResponse {
    pb::ExportEventsCalendarResponse {
        calendar,
        content_type: CONTENT_TYPE.to_owned(),
    }
}

/// The record of an erasure.
pub(super) fn erasure(erasure: &Erasure) -> pb::Erasure {
    pb::Erasure {
        name: erasure.name(),
        erase_time: Some(timestamp(erasure.time)),
        erased_by: erasure.erased_by.to_string(),
        registration_count: count(erasure.registrations),
    }
}

/// One entry of a WatchChanges stream.
pub(super) fn feed_entry(entry: &FeedItem<ChangeKind>) -> pb::WatchChangesResponse {
    match entry {
        FeedItem::Heartbeat { cursor } => pb::WatchChangesResponse {
            cursor: cursor.clone(),
            ..pb::WatchChangesResponse::default()
        },
        FeedItem::Change(change) => pb::WatchChangesResponse {
            cursor: change.cursor.clone(),
            kind: change_kind(change.kind) as i32,
            resource: change.resource.clone(),
            agency: format!("agencies/{}", change.agency),
            change_time: Some(timestamp(change.time)),
        },
    }
}

fn change_kind(kind: ChangeKind) -> pb::ChangeKind {
    match kind {
        ChangeKind::EventPublished => pb::ChangeKind::EventPublished,
        ChangeKind::EventRescheduled => pb::ChangeKind::EventRescheduled,
        ChangeKind::EventPostponed => pb::ChangeKind::EventPostponed,
        ChangeKind::EventCancelled => pb::ChangeKind::EventCancelled,
        ChangeKind::RegistrationConfirmed => pb::ChangeKind::RegistrationConfirmed,
        ChangeKind::RegistrationWaitlisted => pb::ChangeKind::RegistrationWaitlisted,
        ChangeKind::RegistrationPromoted => pb::ChangeKind::RegistrationPromoted,
        ChangeKind::RegistrationCancelled => pb::ChangeKind::RegistrationCancelled,
    }
}
