//! The gRPC face of the events service: each handler reads its request into domain
//! values, makes one call to the use cases, and converts the answer back.

mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod request;
mod response;

use futures_util::StreamExt;
use jalia_model::{Caller, LanguageCode};
use jalia_proto::events::v1 as pb;
use jalia_proto::events::v1::event_service_server::{EventService, EventServiceServer};
use jalia_runtime::server::{caller, deadline, wanted_languages};
use jalia_runtime::{ApiError, ErrorCode, reasons};
use prost::Message;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status};

use crate::app::Events;

/// The EventService implementation.
#[derive(Debug, Clone)]
pub(crate) struct EventApi {
    events: Events,
    /// Bytes a response's items may take: below the message limit, with room for the
    /// rest of the response (its page token, the framing).
    budget: usize,
}

impl EventApi {
    /// The tonic server over the use cases, with the message size limit applied both
    /// ways.
    pub(crate) fn server(events: Events, max_message_bytes: usize) -> EventServiceServer<Self> {
        let budget = max_message_bytes - max_message_bytes / 16;
        EventServiceServer::new(Self { events, budget })
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes)
    }
}

/// The verified caller: the gate lets a scoped RPC through only with one.
fn caller_of<T>(request: &Request<T>) -> Result<Caller, Status> {
    caller(request).cloned().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Unauthenticated,
            reasons::UNAUTHENTICATED,
            "this call needs a bearer token",
        )
        .into()
    })
}

/// The languages the reader wants, best first.
fn languages<T>(request: &Request<T>, language_code: &str) -> Vec<LanguageCode> {
    wanted_languages(request, language_code)
}

#[tonic::async_trait]
impl EventService for EventApi {
    async fn get_event(
        &self,
        request: Request<pb::GetEventRequest>,
    ) -> Result<Response<pb::Event>, Status> {
        let wanted = languages(&request, &request.get_ref().language_code);
        let name = request::event_name(&request.get_ref().name, "name")?;
        let event = (self.events)
            .get_event(caller(&request), &name.agency, name.id)
            .await?;
        Ok(Response::new(response::event(&event, &wanted)))
    }

    async fn list_events(
        &self,
        request: Request<pb::ListEventsRequest>,
    ) -> Result<Response<pb::ListEventsResponse>, Status> {
        let wanted = languages(&request, &request.get_ref().language_code);
        let (query, page) = request::list_events(request.get_ref())?;
        let weigh = |event: &_| response::event(event, &wanted).encoded_len();
        let page = (self.events)
            .list_events(caller(&request), &query, &page, self.budget, weigh)
            .await?;
        Ok(Response::new(response::events(&page, &wanted)))
    }

    async fn create_event(
        &self,
        request: Request<pb::CreateEventRequest>,
    ) -> Result<Response<pb::Event>, Status> {
        let (caller, wanted) = (caller_of(&request)?, languages(&request, ""));
        let (agency, content, request_id) = request::create_event(request.get_ref())?;
        let event = (self.events)
            .create_event(&caller, agency, content, request_id)
            .await?;
        Ok(Response::new(response::event(&event, &wanted)))
    }

    async fn update_event(
        &self,
        request: Request<pb::UpdateEventRequest>,
    ) -> Result<Response<pb::Event>, Status> {
        let (caller, wanted) = (caller_of(&request)?, languages(&request, ""));
        let (name, if_match, patch) = request::update_event(request.get_ref())?;
        let event = (self.events)
            .update_event(&caller, &name, if_match, patch)
            .await?;
        Ok(Response::new(response::event(&event, &wanted)))
    }

    async fn delete_event(
        &self,
        request: Request<pb::DeleteEventRequest>,
    ) -> Result<Response<()>, Status> {
        let caller = caller_of(&request)?;
        let message = request.get_ref();
        let (name, if_match) = request::event_change(&message.name, &message.etag)?;
        self.events.delete_event(&caller, &name, if_match).await?;
        Ok(Response::new(()))
    }

    async fn publish_event(
        &self,
        request: Request<pb::PublishEventRequest>,
    ) -> Result<Response<pb::Event>, Status> {
        let (caller, wanted) = (caller_of(&request)?, languages(&request, ""));
        let message = request.get_ref();
        let (name, if_match) = request::event_change(&message.name, &message.etag)?;
        let event = self.events.publish_event(&caller, &name, if_match).await?;
        Ok(Response::new(response::event(&event, &wanted)))
    }

    async fn cancel_event(
        &self,
        request: Request<pb::CancelEventRequest>,
    ) -> Result<Response<pb::Event>, Status> {
        let (caller, wanted) = (caller_of(&request)?, languages(&request, ""));
        let (name, if_match, reason) = request::cancel_event(request.get_ref())?;
        let event = (self.events)
            .cancel_event(&caller, &name, if_match, reason)
            .await?;
        Ok(Response::new(response::event(&event, &wanted)))
    }

    async fn postpone_event(
        &self,
        request: Request<pb::PostponeEventRequest>,
    ) -> Result<Response<pb::Event>, Status> {
        let (caller, wanted) = (caller_of(&request)?, languages(&request, ""));
        let message = request.get_ref();
        let (name, if_match) = request::event_change(&message.name, &message.etag)?;
        let event = self.events.postpone_event(&caller, &name, if_match).await?;
        Ok(Response::new(response::event(&event, &wanted)))
    }

    async fn reschedule_event(
        &self,
        request: Request<pb::RescheduleEventRequest>,
    ) -> Result<Response<pb::Event>, Status> {
        let (caller, wanted) = (caller_of(&request)?, languages(&request, ""));
        let (name, if_match, times) = request::reschedule_event(request.get_ref())?;
        let event = (self.events)
            .reschedule_event(&caller, &name, if_match, times)
            .await?;
        Ok(Response::new(response::event(&event, &wanted)))
    }

    async fn complete_event(
        &self,
        request: Request<pb::CompleteEventRequest>,
    ) -> Result<Response<pb::Event>, Status> {
        let (caller, wanted) = (caller_of(&request)?, languages(&request, ""));
        let (name, if_match, outcomes) = request::complete_event(request.get_ref())?;
        let event = (self.events)
            .complete_event(&caller, &name, if_match, outcomes)
            .await?;
        Ok(Response::new(response::event(&event, &wanted)))
    }

    async fn register_attendee(
        &self,
        request: Request<pb::RegisterAttendeeRequest>,
    ) -> Result<Response<pb::Registration>, Status> {
        let caller = caller_of(&request)?;
        let command = request::register(request.get_ref())?;
        let view = self.events.register_batched(&caller, command).await?;
        Ok(Response::new(response::registration(&view)))
    }

    async fn get_registration(
        &self,
        request: Request<pb::GetRegistrationRequest>,
    ) -> Result<Response<pb::Registration>, Status> {
        let caller = caller_of(&request)?;
        let name = request::registration_name(&request.get_ref().name)?;
        let view = self.events.get_registration(&caller, &name).await?;
        Ok(Response::new(response::registration(&view)))
    }

    async fn list_registrations(
        &self,
        request: Request<pb::ListRegistrationsRequest>,
    ) -> Result<Response<pb::ListRegistrationsResponse>, Status> {
        let caller = caller_of(&request)?;
        let (event, query, page) = request::list_registrations(request.get_ref())?;
        let page = (self.events)
            .list_registrations(&caller, &event, &query, &page)
            .await?;
        Ok(Response::new(response::registrations(&page)))
    }

    async fn cancel_registration(
        &self,
        request: Request<pb::CancelRegistrationRequest>,
    ) -> Result<Response<pb::Registration>, Status> {
        let caller = caller_of(&request)?;
        let (name, if_match) = request::cancel_registration(request.get_ref())?;
        let view = (self.events)
            .cancel_registration(&caller, &name, if_match)
            .await?;
        Ok(Response::new(response::registration(&view)))
    }

    async fn erase_personal_data(
        &self,
        request: Request<pb::ErasePersonalDataRequest>,
    ) -> Result<Response<pb::ErasePersonalDataResponse>, Status> {
        let caller = caller_of(&request)?;
        let message = request.get_ref();
        let (agency, person) = request::person_in(&message.parent, &message.email, &message.phone)?;
        let erasure = (self.events)
            .erase_personal_data(&caller, agency, person)
            .await?;
        Ok(Response::new(pb::ErasePersonalDataResponse {
            erasure: Some(response::erasure(&erasure)),
        }))
    }

    async fn export_personal_data(
        &self,
        request: Request<pb::ExportPersonalDataRequest>,
    ) -> Result<Response<pb::ExportPersonalDataResponse>, Status> {
        let caller = caller_of(&request)?;
        let message = request.get_ref();
        let (agency, person) = request::person_in(&message.parent, &message.email, &message.phone)?;
        let views = (self.events)
            .export_personal_data(&caller, &agency, &person)
            .await?;
        Ok(Response::new(pb::ExportPersonalDataResponse {
            registrations: views.iter().map(response::registration).collect(),
        }))
    }

    async fn lookup_registration(
        &self,
        request: Request<pb::LookupRegistrationRequest>,
    ) -> Result<Response<pb::LookupRegistrationResponse>, Status> {
        let message = request.get_ref();
        let (event, held) =
            request::held_registration(&message.event, &message.code, &message.contact)?;
        let view = self.events.lookup_registration(&event, &held).await?;
        Ok(Response::new(pb::LookupRegistrationResponse {
            registration: Some(response::held_registration(&view)),
        }))
    }

    async fn withdraw_registration(
        &self,
        request: Request<pb::WithdrawRegistrationRequest>,
    ) -> Result<Response<pb::WithdrawRegistrationResponse>, Status> {
        let message = request.get_ref();
        let (event, held) =
            request::held_registration(&message.event, &message.code, &message.contact)?;
        let view = self.events.withdraw_registration(&event, &held).await?;
        Ok(Response::new(pb::WithdrawRegistrationResponse {
            registration: Some(response::held_registration(&view)),
        }))
    }

    async fn check_in(
        &self,
        request: Request<pb::CheckInRequest>,
    ) -> Result<Response<pb::Registration>, Status> {
        let caller = caller_of(&request)?;
        let (event, code) = request::check_in(request.get_ref())?;
        let view = self.events.check_in(&caller, &event, &code).await?;
        Ok(Response::new(response::registration(&view)))
    }

    type ExportRosterStream = BoxStream<pb::ExportRosterResponse>;

    async fn export_roster(
        &self,
        request: Request<pb::ExportRosterRequest>,
    ) -> Result<Response<Self::ExportRosterStream>, Status> {
        let caller = caller_of(&request)?;
        let (event, query) = request::roster(request.get_ref())?;
        let batches = self.events.roster(&caller, &event, query).await?;
        let responses = batches.map(|batch| {
            batch
                .map(|batch| response::roster_batch(&batch))
                .map_err(Status::from)
        });
        Ok(Response::new(Box::pin(responses)))
    }

    type WatchChangesStream = BoxStream<pb::WatchChangesResponse>;

    async fn watch_changes(
        &self,
        request: Request<pb::WatchChangesRequest>,
    ) -> Result<Response<Self::WatchChangesStream>, Status> {
        let (caller, until) = (caller_of(&request)?, deadline(&request).map(|d| d.0));
        let query = request::watch_changes(request.get_ref())?;
        let entries = self.events.watch_changes(&caller, query, until).await?;
        let responses = entries.map(|entry| {
            entry
                .map(|entry| response::feed_entry(&entry))
                .map_err(Status::from)
        });
        Ok(Response::new(Box::pin(responses)))
    }

    async fn export_event_calendar(
        &self,
        request: Request<pb::ExportEventCalendarRequest>,
    ) -> Result<Response<pb::ExportEventCalendarResponse>, Status> {
        let wanted = languages(&request, &request.get_ref().language_code);
        let (name, publisher) = request::export_event(request.get_ref())?;
        let calendar = (self.events)
            .export_event_calendar(caller(&request), &name, &wanted, publisher.as_ref())
            .await?;
        Ok(Response::new(response::event_calendar(calendar)))
    }

    async fn export_events_calendar(
        &self,
        request: Request<pb::ExportEventsCalendarRequest>,
    ) -> Result<Response<pb::ExportEventsCalendarResponse>, Status> {
        let wanted = languages(&request, &request.get_ref().language_code);
        let (query, publisher) = request::export_events(request.get_ref())?;
        let calendar = (self.events)
            .export_events_calendar(&query, &wanted, publisher.as_ref(), self.budget)
            .await?;
        Ok(Response::new(response::events_calendar(calendar)))
    }
}
