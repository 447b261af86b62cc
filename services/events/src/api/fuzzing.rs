//! Entry points for the fuzz targets in `fuzz/` (the `fuzzing` feature, off in every
//! normal build). Each takes arbitrary bytes as a caller could send them and runs the
//! conversions the handlers run, so a panic here is one a caller could cause.

use jalia_model::LanguageCode;
use jalia_proto::events::v1 as pb;
use jalia_runtime::server::wanted_languages;
use jiff::Timestamp;
use prost::Message;
use uuid::Uuid;

use super::request;
use crate::domain::event::{Event, EventStatus};
use crate::domain::ical::{CalendarEntry, calendar};

/// Decodes `data[1..]` as the request message that `data[0]` picks and converts it as
/// its handler does. Refusals are expected and dropped; only a panic is a finding.
pub fn convert_request(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    match selector % 20 {
        0 => run(bytes, |r: pb::GetEventRequest| {
            languages(&r.language_code);
            drop(request::event_name(&r.name, "name"));
        }),
        1 => run(bytes, |r: pb::ListEventsRequest| {
            languages(&r.language_code);
            drop(request::list_events(&r));
        }),
        2 => run(bytes, |r: pb::CreateEventRequest| {
            drop(request::create_event(&r));
        }),
        3 => run(bytes, |r: pb::UpdateEventRequest| {
            drop(request::update_event(&r));
        }),
        4 => run(bytes, |r: pb::DeleteEventRequest| {
            drop(request::event_change(&r.name, &r.etag));
        }),
        5 => run(bytes, |r: pb::PublishEventRequest| {
            drop(request::event_change(&r.name, &r.etag));
        }),
        6 => run(bytes, |r: pb::CancelEventRequest| {
            drop(request::cancel_event(&r));
        }),
        7 => run(bytes, |r: pb::PostponeEventRequest| {
            drop(request::event_change(&r.name, &r.etag));
        }),
        8 => run(bytes, |r: pb::RescheduleEventRequest| {
            drop(request::reschedule_event(&r));
        }),
        9 => run(bytes, |r: pb::CompleteEventRequest| {
            drop(request::complete_event(&r));
        }),
        10 => run(bytes, |r: pb::RegisterAttendeeRequest| {
            drop(request::register(&r));
        }),
        11 => run(bytes, |r: pb::GetRegistrationRequest| {
            drop(request::registration_name(&r.name));
        }),
        12 => run(bytes, |r: pb::ListRegistrationsRequest| {
            drop(request::list_registrations(&r));
        }),
        13 => run(bytes, |r: pb::CancelRegistrationRequest| {
            drop(request::cancel_registration(&r));
        }),
        14 => run(bytes, |r: pb::LookupRegistrationRequest| {
            drop(request::held_registration(&r.event, &r.code, &r.contact));
        }),
        15 => run(bytes, |r: pb::WithdrawRegistrationRequest| {
            drop(request::held_registration(&r.event, &r.code, &r.contact));
        }),
        16 => run(bytes, |r: pb::CheckInRequest| {
            drop(request::check_in(&r));
        }),
        17 => run(bytes, |r: pb::ExportRosterRequest| {
            drop(request::roster(&r));
        }),
        18 => run(bytes, |r: pb::ExportEventCalendarRequest| {
            languages(&r.language_code);
            drop(request::export_event(&r));
        }),
        _ => run(bytes, |r: pb::ExportEventsCalendarRequest| {
            languages(&r.language_code);
            drop(request::export_events(&r));
        }),
    }
}

/// Decodes `data[1..]` as a CreateEventRequest; when the service would accept it, renders
/// the event's iCalendar export (as published, cancelled or postponed, by `data[0]`) in
/// the reader's language that `data[0]` also picks. None when the request is refused.
pub fn export_calendar(data: &[u8]) -> Option<String> {
    let (&selector, bytes) = data.split_first()?;
    let message = pb::CreateEventRequest::decode(bytes).ok()?;
    let (agency, content, _) = request::create_event(&message).ok()?;
    // Fixed, so that a finding replays exactly.
    let now = Timestamp::from_second(1_780_000_000).ok()?;
    let mut event = Event::draft(Uuid::nil(), agency, content, now);
    event.status = match selector % 3 {
        0 => EventStatus::Published,
        1 => EventStatus::Cancelled,
        _ => EventStatus::Postponed,
    };
    event.sequence = u32::from(selector);
    let wanted = ["ar", "fr", "en"]
        .iter()
        .skip(usize::from(selector / 3 % 3))
        .filter_map(|code| LanguageCode::parse(code).ok())
        .collect::<Vec<_>>();
    let entry = CalendarEntry::of(&event, &wanted);
    Some(calendar(&entry.summary.clone(), &[entry], None))
}

fn languages(language_code: &str) {
    drop(wanted_languages(&tonic::Request::new(()), language_code));
}

fn run<M: Message + Default>(bytes: &[u8], convert: impl FnOnce(M)) {
    if let Ok(message) = M::decode(bytes) {
        convert(message);
    }
}
