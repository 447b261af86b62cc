//! The use cases of the events service, one per RPC: each checks who may do it, reads and
//! writes through the store in one transaction, and returns domain values.

use jalia_db::{
    Db, Fingerprint, IdempotencyKey, Idempotent, PageScope, PageTokenError, PageTokens,
};
use jalia_model::{AgencyCode, Caller, LocalizedText, ZonedDateTime};
use jalia_runtime::SharedClock;
use jiff::Timestamp;
use uuid::Uuid;

use crate::domain::event::{Event, EventContent, EventPatch, EventStatus, Outcomes, SeatCounts};
use crate::domain::registration::{
    Attendee, Registration, RegistrationStatus, identity_keys, new_code,
};
use crate::domain::{Error, Result};
use crate::store::{
    self, DraftVisibility, EventCursor, EventQuery, RegistrationKey, RegistrationRow, RosterQuery,
};

/// Most events in one iCalendar export.
pub const EXPORT_LIMIT: usize = 500;
/// Registrations per roster batch.
pub const ROSTER_BATCH: u64 = 500;

/// gRPC paths, which key idempotency records and page tokens.
pub mod methods {
    /// CreateEvent.
    pub const CREATE_EVENT: &str = "/jalia.events.v1.EventService/CreateEvent";
    /// ListEvents.
    pub const LIST_EVENTS: &str = "/jalia.events.v1.EventService/ListEvents";
    /// RegisterAttendee.
    pub const REGISTER: &str = "/jalia.events.v1.EventService/RegisterAttendee";
    /// ListRegistrations.
    pub const LIST_REGISTRATIONS: &str = "/jalia.events.v1.EventService/ListRegistrations";
}

/// A request_id and what the request said, for an idempotent create.
#[derive(Debug, Clone, Copy)]
pub struct RequestId {
    /// The caller's UUID.
    pub id: Uuid,
    /// Digest of the rest of the request.
    pub fingerprint: Fingerprint,
}

/// Whether the caller speaks for the agency that owns a resource: it sees drafts,
/// private links and registrations, and may change them.
pub fn is_owner(caller: Option<&Caller>, agency: &AgencyCode) -> bool {
    caller.is_some_and(|caller| caller.acts_for(agency.as_str()))
}

fn drafts_for(caller: Option<&Caller>) -> DraftVisibility {
    match caller {
        Some(caller) if caller.is_ministry_wide() => DraftVisibility::All,
        Some(caller) => caller
            .agency_code()
            .and_then(|code| AgencyCode::parse(code).ok())
            .map_or(DraftVisibility::None, DraftVisibility::Agency),
        None => DraftVisibility::None,
    }
}

fn caller_key(caller: Option<&Caller>) -> &str {
    caller.map_or("", |caller| caller.agency.as_claim())
}

/// The events service.
#[derive(Debug, Clone)]
pub struct Events {
    db: Db,
    clock: SharedClock,
    tokens: PageTokens,
}

impl Events {
    /// Over a database, a clock and the shared page-token key.
    pub fn new(db: Db, clock: SharedClock, tokens: PageTokens) -> Self {
        Self { db, clock, tokens }
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The service clock's "now".
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The event's online link, for registrations that hold a seat (a private link is
    /// shown only to them and to the owning agency).
    pub async fn online_link(&self, event_id: Uuid) -> Result<Option<String>> {
        Ok(store::find_event(self.db.connection(), event_id)
            .await?
            .and_then(|event| event.content.online_access)
            .map(|access| access.url))
    }

    /// Creates a draft under the caller's agency.
    pub async fn create_event(
        &self,
        caller: &Caller,
        parent: AgencyCode,
        content: EventContent,
        request: Option<RequestId>,
    ) -> Result<Event> {
        if !caller.acts_for(parent.as_str()) {
            return Err(Error::PermissionDenied(
                "events are created under the caller's own agency",
            ));
        }
        content.check()?;
        let now = self.now();
        let event = Event {
            id: Uuid::now_v7(),
            agency: parent,
            content,
            status: EventStatus::Draft,
            cancellation_reason: None,
            previous_start: None,
            sequence: 0,
            outcomes: None,
            seats: SeatCounts::default(),
            publish_time: None,
            create_time: now,
            update_time: now,
            version: 1,
        };
        let id = match request {
            Some(request) => {
                let key = IdempotencyKey {
                    agency: caller.agency.as_claim().to_owned(),
                    subject: caller.subject.clone(),
                    method: methods::CREATE_EVENT.to_owned(),
                    request_id: request.id,
                };
                self.db
                    .idempotent(&key, request.fingerprint, now, &event, |tx, event| {
                        Box::pin(async move {
                            store::insert_event(tx, event).await?;
                            Ok::<_, Error>(event.id)
                        })
                    })
                    .await?
                    .into_inner()
            }
            None => {
                self.db
                    .write(&event, |tx, event| {
                        Box::pin(async move {
                            store::insert_event(tx, event).await?;
                            Ok::<_, Error>(event.id)
                        })
                    })
                    .await?
            }
        };
        tracing::info!(event_id = %id, "event created");
        store::find_event(self.db.connection(), id)
            .await?
            .ok_or(Error::NotFound("event"))
    }

    /// Reads an event the caller may see.
    pub async fn get_event(
        &self,
        caller: Option<&Caller>,
        agency: &AgencyCode,
        id: Uuid,
    ) -> Result<Event> {
        let event = store::find_event(self.db.connection(), id)
            .await?
            .filter(|event| &event.agency == agency)
            .ok_or(Error::NotFound("event"))?;
        if event.status == EventStatus::Draft && !is_owner(caller, &event.agency) {
            return Err(Error::NotFound("event"));
        }
        Ok(event)
    }

    /// A page of events and the token of the next.
    pub async fn list_events(
        &self,
        caller: Option<&Caller>,
        query: &EventQuery,
        page_size: u32,
        page_token: &str,
    ) -> Result<(Vec<Event>, String)> {
        let binding = serde_json::to_vec(query).unwrap_or_default();
        let scope = PageScope {
            method: methods::LIST_EVENTS,
            caller_agency: caller_key(caller),
            query: &binding,
        };
        let now = self.now();
        let after: Option<EventCursor> = self.open_token(page_token, &scope, now)?;
        let mut events = store::list_events(
            self.db.connection(),
            query,
            &drafts_for(caller),
            after,
            u64::from(page_size) + 1,
        )
        .await?;
        let next = if events.len() > page_size as usize {
            events.truncate(page_size as usize);
            events
                .last()
                .map(|last| {
                    let cursor: EventCursor =
                        (jalia_db::to_micros(last.content.start.instant()), last.id);
                    self.tokens.mint(&scope, &cursor, now)
                })
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok((events, next))
    }

    /// The events of an export, at most [`EXPORT_LIMIT`]; never drafts.
    pub async fn export_events(&self, query: &EventQuery) -> Result<Vec<Event>> {
        let limit = u64::try_from(EXPORT_LIMIT + 1).unwrap_or(u64::MAX);
        let events = store::list_events(
            self.db.connection(),
            query,
            &DraftVisibility::None,
            None,
            limit,
        )
        .await?;
        if events.len() > EXPORT_LIMIT {
            return Err(Error::TooMany(format!(
                "more than {EXPORT_LIMIT} events match; narrow the time window"
            )));
        }
        Ok(events)
    }

    fn open_token<C: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        scope: &PageScope<'_>,
        now: Timestamp,
    ) -> Result<Option<C>> {
        if token.is_empty() {
            return Ok(None);
        }
        self.tokens
            .open(token, scope, now)
            .map(Some)
            .map_err(|err| {
                Error::invalid(
                    "page_token",
                    match err {
                        PageTokenError::Expired => "has expired; start again from the first page",
                        PageTokenError::Mismatch => "does not belong to this request",
                        PageTokenError::Malformed => "is not a page token",
                    },
                )
            })
    }

    /// Runs a change to an event the caller owns, under its lock, after the etag check.
    async fn change_event<I: Sync>(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
        id: Uuid,
        etag: &str,
        input: &I,
        change: impl Fn(&mut Event, &I, Timestamp) -> Result<()> + Sync,
    ) -> Result<Event> {
        let now = self.now();
        let backend = self.db.backend();
        let context = (caller, agency, id, etag, input, &change);
        let event = self
            .db
            .write(&context, |tx, (caller, agency, id, etag, input, change)| {
                Box::pin(async move {
                    let (mut event, next_seq) = store::lock_event(tx, backend, *id)
                        .await?
                        .filter(|(event, _)| {
                            &event.agency == *agency && is_owner(Some(caller), &event.agency)
                        })
                        .ok_or(Error::NotFound("event"))?;
                    event.check_etag(etag)?;
                    change(&mut event, input, now)?;
                    event.version += 1;
                    event.update_time = now;
                    let next_seq =
                        promote_waitlisted(tx, backend, &mut event, next_seq, now).await?;
                    store::save_event(tx, &event).await?;
                    store::save_seats(tx, event.id, event.seats, next_seq).await?;
                    Ok::<_, Error>(event)
                })
            })
            .await?;
        Ok(event)
    }

    /// Applies an UpdateEvent.
    pub async fn update_event(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
        id: Uuid,
        etag: &str,
        patch: EventPatch,
    ) -> Result<Event> {
        let event = self
            .change_event(caller, agency, id, etag, &patch, |event, patch, _| {
                event.apply(patch.clone())
            })
            .await?;
        tracing::info!(event_id = %event.id, "event updated");
        Ok(event)
    }

    /// Publishes a draft.
    pub async fn publish_event(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
        id: Uuid,
        etag: &str,
    ) -> Result<Event> {
        let event = self
            .change_event(caller, agency, id, etag, &(), |event, (), now| {
                event.publish(now)
            })
            .await?;
        tracing::info!(event_id = %event.id, "event published");
        Ok(event)
    }

    /// Cancels an event with a reason.
    pub async fn cancel_event(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
        id: Uuid,
        etag: &str,
        reason: LocalizedText,
    ) -> Result<Event> {
        let event = self
            .change_event(caller, agency, id, etag, &reason, |event, reason, _| {
                event.cancel(reason.clone())
            })
            .await?;
        tracing::info!(event_id = %event.id, "event cancelled");
        Ok(event)
    }

    /// Postpones an event.
    pub async fn postpone_event(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
        id: Uuid,
        etag: &str,
    ) -> Result<Event> {
        let event = self
            .change_event(caller, agency, id, etag, &(), |event, (), _| {
                event.postpone()
            })
            .await?;
        tracing::info!(event_id = %event.id, "event postponed");
        Ok(event)
    }

    /// Moves an event.
    pub async fn reschedule_event(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
        id: Uuid,
        etag: &str,
        times: (ZonedDateTime, ZonedDateTime),
    ) -> Result<Event> {
        let event = self
            .change_event(
                caller,
                agency,
                id,
                etag,
                &times,
                |event, (start, end), _| event.reschedule(start.clone(), end.clone()),
            )
            .await?;
        tracing::info!(event_id = %event.id, sequence = event.sequence, "event rescheduled");
        Ok(event)
    }

    /// Marks an event held.
    pub async fn complete_event(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
        id: Uuid,
        etag: &str,
        outcomes: Option<Outcomes>,
    ) -> Result<Event> {
        let event = self
            .change_event(
                caller,
                agency,
                id,
                etag,
                &outcomes,
                |event, outcomes, now| event.complete(outcomes.clone(), now),
            )
            .await?;
        tracing::info!(event_id = %event.id, "event completed");
        Ok(event)
    }

    /// Deletes a draft.
    pub async fn delete_event(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
        id: Uuid,
        etag: &str,
    ) -> Result<()> {
        let backend = self.db.backend();
        let context = (caller, agency, id, etag);
        self.db
            .write(&context, |tx, (caller, agency, id, etag)| {
                Box::pin(async move {
                    let (event, _) = store::lock_event(tx, backend, *id)
                        .await?
                        .filter(|(event, _)| {
                            &event.agency == *agency && is_owner(Some(caller), &event.agency)
                        })
                        .ok_or(Error::NotFound("event"))?;
                    event.check_etag(etag)?;
                    if event.status != EventStatus::Draft {
                        return Err(Error::precondition(
                            "EVENT_NOT_DRAFT",
                            "only a draft can be deleted; cancel a published event instead",
                        ));
                    }
                    store::delete_event(tx, event.id).await
                })
            })
            .await?;
        tracing::info!(event_id = %id, "draft event deleted");
        Ok(())
    }

    /// Registers a person: a seat if one is free, else a place in line; never more
    /// confirmed than offered seats, whatever the concurrency.
    pub async fn register(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
        event_id: Uuid,
        attendee: Attendee,
        request: Option<RequestId>,
    ) -> Result<Registration> {
        let now = self.now();
        let backend = self.db.backend();
        let context = Registering {
            caller,
            agency,
            event_id,
            attendee,
            backend,
            now,
        };
        let (email_key, phone_key) = identity_keys(&context.attendee);
        // The unique indexes on the live email, phone and code decide duplicates inside the
        // locked transaction, so it runs no lookups of its own; a refused insert is then a
        // duplicate person, or (rarely) a code drawn twice, which is drawn again.
        let mut attempts = 0;
        let id = loop {
            attempts += 1;
            let outcome = match request {
                Some(request) => {
                    let key = IdempotencyKey {
                        agency: caller.agency.as_claim().to_owned(),
                        subject: caller.subject.clone(),
                        method: methods::REGISTER.to_owned(),
                        request_id: request.id,
                    };
                    self.db
                        .idempotent(&key, request.fingerprint, now, &context, |tx, context| {
                            Box::pin(register_in(tx, context))
                        })
                        .await
                }
                None => self
                    .db
                    .write(&context, |tx, context| Box::pin(register_in(tx, context)))
                    .await
                    .map(Idempotent::Created),
            };
            match outcome {
                Ok(outcome) => break outcome.into_inner(),
                Err(Error::Db(err)) if err.kind() == jalia_db::DbErrorKind::UniqueViolation => {
                    let registered = store::person_registered(
                        self.db.connection(),
                        event_id,
                        email_key.as_deref(),
                        phone_key.as_deref(),
                    )
                    .await?;
                    if registered || attempts >= 3 {
                        return Err(Error::AlreadyRegistered);
                    }
                }
                Err(err) => return Err(err),
            }
        };
        let registration = store::find_registration(self.db.connection(), event_id, id)
            .await?
            .ok_or(Error::NotFound("registration"))?;
        tracing::info!(
            event_id = %event_id,
            registration_id = %registration.id,
            status = registration.status.as_str(),
            "attendee registered"
        );
        Ok(registration)
    }

    /// Reads a registration of the caller's agency's event.
    pub async fn get_registration(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
        event_id: Uuid,
        id: Uuid,
    ) -> Result<Registration> {
        if !is_owner(Some(caller), agency) {
            return Err(Error::NotFound("registration"));
        }
        store::find_registration(self.db.connection(), event_id, id)
            .await?
            .filter(|registration| &registration.agency == agency)
            .ok_or(Error::NotFound("registration"))
    }

    async fn owned_event(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
        event_id: Uuid,
    ) -> Result<Event> {
        if !is_owner(Some(caller), agency) {
            return Err(Error::NotFound("event"));
        }
        store::find_event(self.db.connection(), event_id)
            .await?
            .filter(|event| &event.agency == agency)
            .ok_or(Error::NotFound("event"))
    }

    /// A page of an event's roster.
    pub async fn list_registrations(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
        event_id: Uuid,
        query: &RosterQuery,
        page_size: u32,
        page_token: &str,
    ) -> Result<(Vec<Registration>, String)> {
        let event = self.owned_event(caller, agency, event_id).await?;
        let binding = serde_json::to_vec(&(event.id, query)).unwrap_or_default();
        let scope = PageScope {
            method: methods::LIST_REGISTRATIONS,
            caller_agency: caller_key(Some(caller)),
            query: &binding,
        };
        let now = self.now();
        let after: Option<Uuid> = self.open_token(page_token, &scope, now)?;
        let mut page = store::list_registrations(
            self.db.connection(),
            event.id,
            query,
            after,
            u64::from(page_size) + 1,
        )
        .await?;
        let next = if page.len() > page_size as usize {
            page.truncate(page_size as usize);
            page.last()
                .map(|last| self.tokens.mint(&scope, &last.id, now))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok((page, next))
    }

    /// One batch of the roster export after `after`; checks the caller on every batch.
    pub async fn roster_batch(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
        event_id: Uuid,
        query: &RosterQuery,
        after: Option<Uuid>,
    ) -> Result<Vec<Registration>> {
        let event = self.owned_event(caller, agency, event_id).await?;
        store::list_registrations(self.db.connection(), event.id, query, after, ROSTER_BATCH).await
    }

    /// Cancels a registration; a freed seat goes at once to the first in line.
    pub async fn cancel_registration(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
        event_id: Uuid,
        id: Uuid,
        etag: &str,
    ) -> Result<Registration> {
        if !is_owner(Some(caller), agency) {
            return Err(Error::NotFound("registration"));
        }
        let now = self.now();
        let backend = self.db.backend();
        let context = (agency, event_id, id, etag);
        self.db
            .write(&context, |tx, (agency, event_id, id, etag)| {
                Box::pin(async move {
                    let (mut event, next_seq) = store::lock_event(tx, backend, *event_id)
                        .await?
                        .filter(|(event, _)| &event.agency == *agency)
                        .ok_or(Error::NotFound("registration"))?;
                    let (mut registration, _) =
                        store::lock_registration(tx, backend, event.id, RegistrationKey::Id(*id))
                            .await?
                            .ok_or(Error::NotFound("registration"))?;
                    if etag.is_empty() {
                        return Err(Error::invalid("etag", "must be the etag last read"));
                    }
                    if *etag != registration.etag() {
                        return Err(Error::Stale("registration"));
                    }
                    if registration.check_in_time.is_some() {
                        return Err(Error::precondition(
                            "ALREADY_CHECKED_IN",
                            "a checked-in registration cannot be cancelled",
                        ));
                    }
                    match registration.status {
                        RegistrationStatus::Cancelled => {
                            return Err(Error::precondition(
                                "REGISTRATION_CANCELLED",
                                "the registration is already cancelled",
                            ));
                        }
                        RegistrationStatus::Confirmed => {
                            event.seats.confirmed = event.seats.confirmed.saturating_sub(1);
                        }
                        RegistrationStatus::Waitlisted => {
                            event.seats.waitlisted = event.seats.waitlisted.saturating_sub(1);
                        }
                    }
                    registration.status = RegistrationStatus::Cancelled;
                    registration.update_time = now;
                    registration.version += 1;
                    store::save_registration(
                        tx,
                        RegistrationRow {
                            registration: &registration,
                            waitlist_seq: None,
                        },
                    )
                    .await?;
                    let next_seq =
                        promote_waitlisted(tx, backend, &mut event, next_seq, now).await?;
                    store::save_seats(tx, event.id, event.seats, next_seq).await?;
                    Ok::<_, Error>(())
                })
            })
            .await?;
        tracing::info!(event_id = %event_id, registration_id = %id, "registration cancelled");
        self.get_registration(caller, agency, event_id, id).await
    }

    /// Checks in the registration holding `code`, exactly once.
    pub async fn check_in(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
        event_id: Uuid,
        code: &str,
    ) -> Result<Registration> {
        if !is_owner(Some(caller), agency) {
            return Err(Error::NotFound("registration"));
        }
        let now = self.now();
        let backend = self.db.backend();
        let context = (agency, event_id, code);
        let id = self
            .db
            .write(&context, |tx, (agency, event_id, code)| {
                Box::pin(async move {
                    let (mut event, next_seq) = store::lock_event(tx, backend, *event_id)
                        .await?
                        .filter(|(event, _)| &event.agency == *agency)
                        .ok_or(Error::NotFound("event"))?;
                    if event.status != EventStatus::Published {
                        return Err(Error::precondition(
                            "EVENT_NOT_PUBLISHED",
                            "check-in is open only while the event is published",
                        ));
                    }
                    let (mut registration, _) = store::lock_registration(
                        tx,
                        backend,
                        event.id,
                        RegistrationKey::Code(code),
                    )
                    .await?
                    .ok_or(Error::NotFound("registration"))?;
                    if let Some(at) = registration.check_in_time {
                        return Err(Error::precondition(
                            "ALREADY_CHECKED_IN",
                            format!("already checked in at {at}"),
                        ));
                    }
                    if registration.status != RegistrationStatus::Confirmed {
                        return Err(Error::precondition(
                            "REGISTRATION_NOT_CONFIRMED",
                            format!("the registration is {}", registration.status.as_str()),
                        ));
                    }
                    registration.check_in_time = Some(now);
                    registration.update_time = now;
                    registration.version += 1;
                    event.seats.checked_in += 1;
                    store::save_registration(
                        tx,
                        RegistrationRow {
                            registration: &registration,
                            waitlist_seq: None,
                        },
                    )
                    .await?;
                    store::save_seats(tx, event.id, event.seats, next_seq).await?;
                    Ok::<_, Error>(registration.id)
                })
            })
            .await?;
        tracing::info!(event_id = %event_id, registration_id = %id, "attendee checked in");
        self.get_registration(caller, agency, event_id, id).await
    }
}

/// What a registration transaction needs.
struct Registering<'a> {
    caller: &'a Caller,
    agency: &'a AgencyCode,
    event_id: Uuid,
    attendee: Attendee,
    backend: jalia_db::Backend,
    now: Timestamp,
}

async fn register_in(
    tx: &jalia_db::sea_orm::DatabaseTransaction,
    context: &Registering<'_>,
) -> Result<Uuid> {
    let Registering {
        caller,
        agency,
        event_id,
        attendee,
        backend,
        now,
    } = context;
    let (mut event, mut next_seq) = store::lock_event(tx, *backend, *event_id)
        .await?
        .filter(|(event, _)| &event.agency == *agency)
        .filter(|(event, _)| {
            event.status != EventStatus::Draft || is_owner(Some(caller), &event.agency)
        })
        .ok_or(Error::NotFound("event"))?;
    check_registration_open(&event, *now)?;
    let (status, seq) = if event.remaining_seats() > 0 {
        event.seats.confirmed += 1;
        (RegistrationStatus::Confirmed, None)
    } else if event.content.registration.waitlist_enabled {
        event.seats.waitlisted += 1;
        let seq = next_seq;
        next_seq += 1;
        (RegistrationStatus::Waitlisted, Some(seq))
    } else {
        return Err(Error::precondition(
            "EVENT_FULL",
            "every seat is taken and there is no waitlist",
        ));
    };
    let code = new_code();
    let registration = Registration {
        id: Uuid::now_v7(),
        event_id: event.id,
        agency: event.agency.clone(),
        attendee: attendee.clone(),
        code,
        status,
        waitlist_position: None,
        check_in_time: None,
        create_time: *now,
        update_time: *now,
        version: 1,
    };
    store::insert_registration(
        tx,
        RegistrationRow {
            registration: &registration,
            waitlist_seq: seq,
        },
    )
    .await?;
    store::save_seats(tx, event.id, event.seats, next_seq).await?;
    Ok(registration.id)
}

fn check_registration_open(event: &Event, now: Timestamp) -> Result<()> {
    if event.status != EventStatus::Published {
        return Err(Error::precondition(
            "EVENT_NOT_PUBLISHED",
            format!(
                "registration is open only while the event is published; it is {}",
                event.status.as_str()
            ),
        ));
    }
    let settings = &event.content.registration;
    if !settings.enabled {
        return Err(Error::precondition(
            "REGISTRATION_DISABLED",
            "this event takes no registrations",
        ));
    }
    if !settings.window_open(now) {
        return Err(Error::precondition(
            "REGISTRATION_CLOSED",
            "registration is not open at this time",
        ));
    }
    Ok(())
}

/// Gives free seats to the front of the line, in order, while the event still runs.
async fn promote_waitlisted(
    tx: &jalia_db::sea_orm::DatabaseTransaction,
    backend: jalia_db::Backend,
    event: &mut Event,
    next_seq: i64,
    now: Timestamp,
) -> Result<i64> {
    if !matches!(
        event.status,
        EventStatus::Published | EventStatus::Postponed
    ) {
        return Ok(next_seq);
    }
    while event.remaining_seats() > 0 && event.seats.waitlisted > 0 {
        let Some(mut first) = store::lock_first_waitlisted(tx, backend, event.id).await? else {
            break;
        };
        first.status = RegistrationStatus::Confirmed;
        first.update_time = now;
        first.version += 1;
        store::save_registration(
            tx,
            RegistrationRow {
                registration: &first,
                waitlist_seq: None,
            },
        )
        .await?;
        event.seats.waitlisted -= 1;
        event.seats.confirmed += 1;
        tracing::info!(event_id = %event.id, registration_id = %first.id, "waitlisted registration promoted");
    }
    Ok(next_seq)
}
