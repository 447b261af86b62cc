//! The tonic face of the events service: each handler reads its request into domain
//! values, makes one call, and converts the answer back.

mod convert;
mod status;

use std::pin::Pin;

use futures_util::Stream;
use jalia_db::Fingerprint;
use jalia_model::{Caller, page_size};
use jalia_proto::events::v1 as pb;
use jalia_proto::events::v1::event_service_server::{EventService, EventServiceServer};
use jalia_runtime::server::{caller, wanted_languages};
use prost::Message;
use tonic::{Request, Response, Status};

use self::convert::{
    Reader, agency_parent, audience_filter, event_content, event_name, event_patch, event_to_wire,
    instant_filter, kind_filter, registration_name, registration_status_filter,
    registration_to_wire, request_id, status_filter,
};
use crate::domain::event::{Event, EventStatus};
use crate::domain::ical::{CONTENT_TYPE, CalendarEntry, calendar};
use crate::domain::registration::{Attendee, AttendeeInput, normalize_code};
use crate::domain::{Error, Result};
use crate::service::{Events, RequestId, is_owner};
use crate::store::{EventQuery, RosterQuery};

/// The EventService implementation.
#[derive(Debug, Clone)]
pub struct EventApi {
    events: Events,
}

impl EventApi {
    /// Over the use cases.
    pub fn new(events: Events) -> Self {
        Self { events }
    }

    /// The tonic server, with the message size limit applied both ways.
    pub fn into_server(self, max_message_bytes: usize) -> EventServiceServer<Self> {
        EventServiceServer::new(self)
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes)
    }
}

/// The scoped RPCs always have a caller: the gate refused them otherwise.
fn required_caller<T>(request: &Request<T>) -> Result<Caller, Status> {
    caller(request)
        .cloned()
        .ok_or_else(|| Status::unauthenticated("this call needs a bearer token"))
}

fn reader<T>(request: &Request<T>, language_code: &str, owner: bool) -> Reader {
    Reader {
        wanted: wanted_languages(request, language_code),
        owner,
    }
}

/// The request's digest without its request_id, so a retry matches and another request
/// with the same id does not.
fn idempotency<M: Message + Clone>(
    message: &M,
    raw_request_id: &str,
    clear: impl Fn(&mut M),
) -> Result<Option<RequestId>> {
    Ok(request_id(raw_request_id)?.map(|id| {
        let mut copy = message.clone();
        clear(&mut copy);
        RequestId {
            id,
            fingerprint: Fingerprint::of(&copy.encode_to_vec()),
        }
    }))
}

/// An event as its owning agency sees it, answering a change the caller just made.
fn owner_view<T>(request: &Request<T>, event: &Event) -> Response<pb::Event> {
    Response::new(event_to_wire(event, &reader(request, "", true)))
}

fn event_query(
    parent: &str,
    kind: i32,
    status: i32,
    audience: i32,
    windows: [(Option<&prost_types::Timestamp>, &str); 3],
    newest_first: bool,
) -> Result<EventQuery> {
    let agency = jalia_model::AgencyFilter::parse_parent(parent)
        .map_err(|problem| Error::invalid("parent", problem))?;
    let [updated_after, start_after, start_before] = windows;
    Ok(EventQuery {
        agency: agency.agency().cloned(),
        kind: kind_filter(kind)?,
        status: status_filter(status)?,
        audience: audience_filter(audience)?,
        start_after: instant_filter(start_after.0, start_after.1)?,
        start_before: instant_filter(start_before.0, start_before.1)?,
        updated_after: instant_filter(updated_after.0, updated_after.1)?,
        newest_first,
    })
}

fn one_language<'a>(text: &'a jalia_model::LocalizedText, reader: &Reader) -> &'a str {
    text.resolve(&reader.wanted, &jalia_model::FallbackChain::default())
        .map_or("", |resolved| resolved.text)
}

fn calendar_entry<'a>(event: &'a Event, reader: &Reader) -> CalendarEntry<'a> {
    let content = &event.content;
    let description = [
        one_language(&content.theme, reader),
        one_language(&content.description, reader),
    ]
    .iter()
    .filter(|part| !part.is_empty())
    .copied()
    .collect::<Vec<_>>()
    .join("\n\n");
    let location = content
        .venue
        .as_ref()
        .map(|venue| {
            std::iter::once(one_language(&venue.display_name, reader).to_owned())
                .chain(venue.address.lines.iter().cloned())
                .chain(std::iter::once(venue.address.locality.clone()))
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    CalendarEntry {
        event,
        summary: one_language(&content.title, reader).to_owned(),
        description,
        location,
        url: content
            .online_access
            .as_ref()
            .filter(|access| !access.private)
            .map(|access| access.url.clone()),
    }
}

type RosterStream = Pin<Box<dyn Stream<Item = Result<pb::ExportRosterResponse, Status>> + Send>>;

#[tonic::async_trait]
impl EventService for EventApi {
    async fn get_event(
        &self,
        request: Request<pb::GetEventRequest>,
    ) -> Result<Response<pb::Event>, Status> {
        let (agency, id) = event_name(&request.get_ref().name, "name")?;
        let who = caller(&request);
        let event = self.events.get_event(who, &agency, id).await?;
        let reader = reader(
            &request,
            &request.get_ref().language_code,
            is_owner(who, &event.agency),
        );
        Ok(Response::new(event_to_wire(&event, &reader)))
    }

    async fn list_events(
        &self,
        request: Request<pb::ListEventsRequest>,
    ) -> Result<Response<pb::ListEventsResponse>, Status> {
        let message = request.get_ref();
        let size = page_size(message.page_size).map_err(|p| Error::invalid("page_size", p))?;
        let query = event_query(
            &message.parent,
            message.kind,
            message.status,
            message.audience,
            [
                (message.updated_after.as_ref(), "updated_after"),
                (message.start_after.as_ref(), "start_after"),
                (message.start_before.as_ref(), "start_before"),
            ],
            message.order == pb::EventOrder::NewestFirst as i32,
        )?;
        let who = caller(&request);
        let (events, next_page_token) = self
            .events
            .list_events(who, &query, size, &message.page_token)
            .await?;
        let events = events
            .iter()
            .map(|event| {
                let reader = reader(
                    &request,
                    &message.language_code,
                    is_owner(who, &event.agency),
                );
                event_to_wire(event, &reader)
            })
            .collect();
        Ok(Response::new(pb::ListEventsResponse {
            events,
            next_page_token,
        }))
    }

    async fn create_event(
        &self,
        request: Request<pb::CreateEventRequest>,
    ) -> Result<Response<pb::Event>, Status> {
        let who = required_caller(&request)?;
        let message = request.get_ref();
        let parent = agency_parent(&message.parent)?;
        let wire_event = message
            .event
            .as_ref()
            .ok_or_else(|| Error::invalid("event", "must be given"))?;
        let content = event_content(wire_event)?;
        let request_id = idempotency(message, &message.request_id, |m| m.request_id.clear())?;
        let event = self
            .events
            .create_event(&who, parent, content, request_id)
            .await?;
        Ok(owner_view(&request, &event))
    }

    async fn update_event(
        &self,
        request: Request<pb::UpdateEventRequest>,
    ) -> Result<Response<pb::Event>, Status> {
        let who = required_caller(&request)?;
        let message = request.get_ref();
        let wire_event = message
            .event
            .as_ref()
            .ok_or_else(|| Error::invalid("event", "must be given"))?;
        let (agency, id) = event_name(&wire_event.name, "event.name")?;
        let patch = event_patch(wire_event, message.update_mask.as_ref())?;
        let event = self
            .events
            .update_event(&who, &agency, id, &wire_event.etag, patch)
            .await?;
        Ok(owner_view(&request, &event))
    }

    async fn delete_event(
        &self,
        request: Request<pb::DeleteEventRequest>,
    ) -> Result<Response<()>, Status> {
        let who = required_caller(&request)?;
        let (agency, id) = event_name(&request.get_ref().name, "name")?;
        self.events
            .delete_event(&who, &agency, id, &request.get_ref().etag)
            .await?;
        Ok(Response::new(()))
    }

    async fn publish_event(
        &self,
        request: Request<pb::PublishEventRequest>,
    ) -> Result<Response<pb::Event>, Status> {
        let who = required_caller(&request)?;
        let (agency, id) = event_name(&request.get_ref().name, "name")?;
        let event = self
            .events
            .publish_event(&who, &agency, id, &request.get_ref().etag)
            .await?;
        Ok(owner_view(&request, &event))
    }

    async fn cancel_event(
        &self,
        request: Request<pb::CancelEventRequest>,
    ) -> Result<Response<pb::Event>, Status> {
        let who = required_caller(&request)?;
        let message = request.get_ref();
        let (agency, id) = event_name(&message.name, "name")?;
        let reason = jalia_proto::convert::localized_text(
            message.reason.as_ref(),
            crate::domain::event::SHORT_TEXT,
            true,
        )
        .map_err(|v| Error::Invalid(v.into_iter().map(|v| v.under("reason")).collect()))?;
        let event = self
            .events
            .cancel_event(&who, &agency, id, &message.etag, reason)
            .await?;
        Ok(owner_view(&request, &event))
    }

    async fn postpone_event(
        &self,
        request: Request<pb::PostponeEventRequest>,
    ) -> Result<Response<pb::Event>, Status> {
        let who = required_caller(&request)?;
        let (agency, id) = event_name(&request.get_ref().name, "name")?;
        let event = self
            .events
            .postpone_event(&who, &agency, id, &request.get_ref().etag)
            .await?;
        Ok(owner_view(&request, &event))
    }

    async fn reschedule_event(
        &self,
        request: Request<pb::RescheduleEventRequest>,
    ) -> Result<Response<pb::Event>, Status> {
        let who = required_caller(&request)?;
        let message = request.get_ref();
        let (agency, id) = event_name(&message.name, "name")?;
        let mut violations = jalia_model::Violations::new();
        let start = violations.take(
            "start",
            jalia_proto::convert::zoned_date_time(message.start.as_ref()),
        );
        let end = violations.take(
            "end",
            jalia_proto::convert::zoned_date_time(message.end.as_ref()),
        );
        let (Some(start), Some(end)) = (start, end) else {
            return Err(Error::Invalid(violations.into_vec()).into());
        };
        let event = self
            .events
            .reschedule_event(&who, &agency, id, &message.etag, (start, end))
            .await?;
        Ok(owner_view(&request, &event))
    }

    async fn complete_event(
        &self,
        request: Request<pb::CompleteEventRequest>,
    ) -> Result<Response<pb::Event>, Status> {
        let who = required_caller(&request)?;
        let message = request.get_ref();
        let (agency, id) = event_name(&message.name, "name")?;
        let mut violations = jalia_model::Violations::new();
        let outcomes = message
            .outcomes
            .as_ref()
            .map(|o| convert::outcomes(o, "outcomes", &mut violations));
        let outcomes = violations.finish(|| outcomes).map_err(Error::Invalid)?;
        let event = self
            .events
            .complete_event(&who, &agency, id, &message.etag, outcomes)
            .await?;
        Ok(owner_view(&request, &event))
    }

    async fn register_attendee(
        &self,
        request: Request<pb::RegisterAttendeeRequest>,
    ) -> Result<Response<pb::Registration>, Status> {
        let who = required_caller(&request)?;
        let message = request.get_ref();
        let (agency, event_id) = event_name(&message.parent, "parent")?;
        let attendee = message
            .registration
            .as_ref()
            .and_then(|r| r.attendee.as_ref())
            .ok_or_else(|| Error::invalid("registration.attendee", "must be given"))?;
        let attendee = Attendee::try_from(AttendeeInput {
            display_name: attendee.display_name.clone(),
            email: attendee.email.clone(),
            phone: attendee.phone.clone(),
            residence_region_code: attendee.residence_region_code.clone(),
            language_code: attendee.language_code.clone(),
            diaspora: attendee.diaspora,
        })?;
        let request_id = idempotency(message, &message.request_id, |m| m.request_id.clear())?;
        let registration = self
            .events
            .register(&who, &agency, event_id, attendee, request_id)
            .await?;
        let link = self.events.online_link(event_id).await?;
        Ok(Response::new(registration_to_wire(
            &registration,
            link.as_deref(),
        )))
    }

    async fn get_registration(
        &self,
        request: Request<pb::GetRegistrationRequest>,
    ) -> Result<Response<pb::Registration>, Status> {
        let who = required_caller(&request)?;
        let (agency, event_id, id) = registration_name(&request.get_ref().name)?;
        let registration = self
            .events
            .get_registration(&who, &agency, event_id, id)
            .await?;
        let link = self.events.online_link(event_id).await?;
        Ok(Response::new(registration_to_wire(
            &registration,
            link.as_deref(),
        )))
    }

    async fn list_registrations(
        &self,
        request: Request<pb::ListRegistrationsRequest>,
    ) -> Result<Response<pb::ListRegistrationsResponse>, Status> {
        let who = required_caller(&request)?;
        let message = request.get_ref();
        let (agency, event_id) = event_name(&message.parent, "parent")?;
        let size = page_size(message.page_size).map_err(|p| Error::invalid("page_size", p))?;
        let query = RosterQuery {
            status: registration_status_filter(message.status)?,
            checked_in: message.checked_in,
            updated_after: instant_filter(message.updated_after.as_ref(), "updated_after")?,
        };
        let (page, next_page_token) = self
            .events
            .list_registrations(&who, &agency, event_id, &query, size, &message.page_token)
            .await?;
        let link = self.events.online_link(event_id).await?;
        Ok(Response::new(pb::ListRegistrationsResponse {
            registrations: page
                .iter()
                .map(|r| registration_to_wire(r, link.as_deref()))
                .collect(),
            next_page_token,
        }))
    }

    async fn cancel_registration(
        &self,
        request: Request<pb::CancelRegistrationRequest>,
    ) -> Result<Response<pb::Registration>, Status> {
        let who = required_caller(&request)?;
        let (agency, event_id, id) = registration_name(&request.get_ref().name)?;
        let registration = self
            .events
            .cancel_registration(&who, &agency, event_id, id, &request.get_ref().etag)
            .await?;
        Ok(Response::new(registration_to_wire(&registration, None)))
    }

    async fn check_in(
        &self,
        request: Request<pb::CheckInRequest>,
    ) -> Result<Response<pb::Registration>, Status> {
        let who = required_caller(&request)?;
        let message = request.get_ref();
        let (agency, event_id) = event_name(&message.event, "event")?;
        let code = normalize_code(&message.code)
            .ok_or_else(|| Error::invalid("code", "must be an 8-character registration code"))?;
        let registration = self.events.check_in(&who, &agency, event_id, &code).await?;
        let link = self.events.online_link(event_id).await?;
        Ok(Response::new(registration_to_wire(
            &registration,
            link.as_deref(),
        )))
    }

    type ExportRosterStream = RosterStream;

    async fn export_roster(
        &self,
        request: Request<pb::ExportRosterRequest>,
    ) -> Result<Response<Self::ExportRosterStream>, Status> {
        let who = required_caller(&request)?;
        let message = request.get_ref();
        let (agency, event_id) = event_name(&message.parent, "parent")?;
        let query = RosterQuery {
            status: registration_status_filter(message.status)?,
            checked_in: message.checked_in,
            updated_after: None,
        };
        // The first batch is read before answering, so a refusal (another agency's event)
        // is the call's status rather than an error inside the stream.
        let first = self
            .events
            .roster_batch(&who, &agency, event_id, &query, None)
            .await?;
        let link = self.events.online_link(event_id).await?;
        let events = self.events.clone();
        let batches =
            futures_util::stream::unfold(Some((first, who, agency, query, link)), move |state| {
                let events = events.clone();
                async move {
                    let (batch, who, agency, query, link) = state?;
                    if batch.is_empty() {
                        return None;
                    }
                    let response = pb::ExportRosterResponse {
                        registrations: batch
                            .iter()
                            .map(|r| registration_to_wire(r, link.as_deref()))
                            .collect(),
                    };
                    let full = batch.len() as u64 == crate::service::ROSTER_BATCH;
                    let next = match (full, batch.last()) {
                        (true, Some(last)) => {
                            match events
                                .roster_batch(&who, &agency, event_id, &query, Some(last.id))
                                .await
                            {
                                Ok(next) => Some((next, who, agency, query, link)),
                                Err(err) => {
                                    return Some((Err(Status::from(err)), None));
                                }
                            }
                        }
                        _ => Some((Vec::new(), who, agency, query, link)),
                    };
                    Some((Ok(response), next))
                }
            });
        Ok(Response::new(Box::pin(batches)))
    }

    async fn export_event_calendar(
        &self,
        request: Request<pb::ExportEventCalendarRequest>,
    ) -> Result<Response<pb::ExportEventCalendarResponse>, Status> {
        let (agency, id) = event_name(&request.get_ref().name, "name")?;
        let who = caller(&request);
        let event = self.events.get_event(who, &agency, id).await?;
        if event.status == EventStatus::Draft {
            return Err(Error::precondition("EVENT_DRAFT", "drafts are never exported").into());
        }
        let reader = reader(&request, &request.get_ref().language_code, false);
        let calendar = calendar(&[calendar_entry(&event, &reader)], self.events.now());
        Ok(Response::new(pb::ExportEventCalendarResponse {
            calendar,
            content_type: CONTENT_TYPE.to_owned(),
        }))
    }

    async fn export_events_calendar(
        &self,
        request: Request<pb::ExportEventsCalendarRequest>,
    ) -> Result<Response<pb::ExportEventsCalendarResponse>, Status> {
        let message = request.get_ref();
        if message.status == pb::EventStatus::Draft as i32 {
            return Err(Error::invalid("status", "drafts are never exported").into());
        }
        let query = event_query(
            &message.parent,
            message.kind,
            message.status,
            message.audience,
            [
                (message.updated_after.as_ref(), "updated_after"),
                (message.start_after.as_ref(), "start_after"),
                (message.start_before.as_ref(), "start_before"),
            ],
            false,
        )?;
        let events = self.events.export_events(&query).await?;
        let reader = reader(&request, &message.language_code, false);
        let entries: Vec<_> = events
            .iter()
            .map(|event| calendar_entry(event, &reader))
            .collect();
        Ok(Response::new(pb::ExportEventsCalendarResponse {
            calendar: calendar(&entries, self.events.now()),
            content_type: CONTENT_TYPE.to_owned(),
        }))
    }
}
