//! The use cases of registrations: register, read and list them (the organiser), cancel
//! and check in, and the person's own lookup and withdrawal with their code.

use jalia_db::{DbError, IdempotencyScope};
use jalia_model::{Caller, IfMatch, Page, PageRequest, RequestId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::changes::{record_registered, record_registration};
use super::{Events, fill_free_seats, is_owner, lock_owned_event, methods};
use crate::domain::change::ChangeKind;
use crate::domain::event::{Applicant, Event, EventName, EventStatus, RegistrationPolicy};
use crate::domain::query::RosterQuery;
use crate::domain::registration::{
    Attendee, Consent, Credential, Registrant, Registration, RegistrationName, RegistrationView,
    new_code,
};
use crate::domain::{Error, Result};
use crate::store;
use crate::store::registrations::By;

/// How many codes a registration draws before giving up; two draws colliding on one
/// event (32^8 codes) is already unheard of.
const CODE_DRAWS: usize = 8;

/// What RegisterAttendee asks.
#[derive(Debug, Clone)]
pub(crate) struct Register {
    /// The event.
    pub event: EventName,
    /// The person.
    pub attendee: Attendee,
    /// The version of the consent text the person accepted, if any.
    pub consent: Option<String>,
    /// The caller's request_id, if the call is idempotent.
    pub request_id: Option<RequestId>,
}

/// What a registration's request_id is bound to: the event and the person as given.
#[derive(Serialize)]
pub(super) struct Registering<'a> {
    pub(super) event: Uuid,
    pub(super) agency: &'a str,
    pub(super) display_name: &'a str,
    pub(super) email: Option<&'a str>,
    pub(super) phone: Option<&'a str>,
    pub(super) residence: Option<&'a str>,
    pub(super) language: Option<String>,
    pub(super) diaspora: bool,
    /// Left out when none is given, so request_ids bound before consent was asked still
    /// match their retries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) consent: Option<&'a str>,
    #[serde(skip)]
    pub(super) attendee: &'a Attendee,
    #[serde(skip)]
    pub(super) caller: &'a Caller,
    #[serde(skip)]
    pub(super) registrant: Registrant,
    #[serde(skip)]
    pub(super) policy: RegistrationPolicy,
    /// Drawn again on each try, so not part of what the caller asked.
    #[serde(skip)]
    pub(super) id: Uuid,
    #[serde(skip)]
    pub(super) now: Timestamp,
}

/// What a registration stores for a retry: its id only, so no personal data is kept
/// with the request_id (a replay reads the registration again). The first call has the
/// whole view.
#[derive(Serialize, Deserialize)]
pub(super) struct Registered {
    pub(super) id: Uuid,
    #[serde(skip)]
    pub(super) view: Option<RegistrationView>,
}

impl<'a> Registering<'a> {
    /// What `caller` asks with `command`, with the id and time this try draws.
    pub(super) fn new(
        caller: &'a Caller,
        command: &'a Register,
        policy: RegistrationPolicy,
        id: Uuid,
        now: Timestamp,
    ) -> Self {
        let attendee = &command.attendee;
        Self {
            event: command.event.id,
            agency: command.event.agency.as_str(),
            display_name: &attendee.display_name,
            email: attendee.email.as_ref().map(|email| email.as_str()),
            phone: attendee.phone.as_ref().map(|phone| phone.as_str()),
            residence: attendee.residence.as_ref().map(|country| country.as_str()),
            language: attendee.language.as_ref().map(ToString::to_string),
            diaspora: attendee.diaspora,
            consent: command.consent.as_deref(),
            attendee,
            caller,
            registrant: Registrant::of(caller),
            policy,
            id,
            now,
        }
    }
}

impl Events {
    /// Registers a person: a seat if one is free, else a place in line; never more
    /// confirmed than offered seats, whatever the concurrency. One transaction decides
    /// and answers: the registration, its place in line and its link.
    /// This is the one-call path; [`Events::register_batched`] makes concurrent calls
    /// together and falls back on it.
    pub(crate) async fn register(
        &self,
        caller: &Caller,
        command: Register,
    ) -> Result<RegistrationView> {
        let registering =
            Registering::new(caller, &command, self.policy, Uuid::now_v7(), self.now());
        let now = registering.now;
        let scope = IdempotencyScope::new(caller, methods::REGISTER);
        let outcome = self
            .db
            .create_once(
                command.request_id,
                &scope,
                &registering,
                now,
                |tx, registering| Box::pin(register_in(tx, registering)),
            )
            .await?;
        let created = outcome.is_created();
        match outcome.into_inner() {
            Registered {
                view: Some(view), ..
            } => {
                if created {
                    let registration = &view.registration;
                    tracing::info!(
                        event_id = %registration.event_id,
                        registration_id = %registration.id,
                        status = registration.status.label(),
                        "attendee registered"
                    );
                }
                Ok(view)
            }
            Registered { id, view: None } => {
                let event = self.event_of(&command.event).await?;
                self.view_of(&event, id).await
            }
        }
    }

    /// Reads a registration of the caller's agency's event.
    pub(crate) async fn get_registration(
        &self,
        caller: &Caller,
        name: &RegistrationName,
    ) -> Result<RegistrationView> {
        if !is_owner(Some(caller), &name.event.agency) {
            return Err(Error::NotFound("registration"));
        }
        let event = self
            .event_of(&name.event)
            .await
            .map_err(|_| Error::NotFound("registration"))?;
        self.view_of(&event, name.id).await
    }

    /// A page of an event's roster, each with its place in line.
    pub(crate) async fn list_registrations(
        &self,
        caller: &Caller,
        name: &EventName,
        query: &RosterQuery,
        page: &PageRequest,
    ) -> Result<Page<RegistrationView>> {
        let event = self.owned_event(caller, name).await?;
        let binding = (event.id, query);
        let pager = self.pages.pager(
            methods::LIST_REGISTRATIONS,
            Some(caller),
            &binding,
            page,
            self.now(),
        )?;
        let after: Option<Uuid> = pager.cursor()?;
        let rows = store::registrations::list(
            self.db.connection(),
            event.id,
            query,
            after,
            pager.fetch_limit(),
        )
        .await?;
        let page = pager.page(rows, |(registration, _)| registration.id);
        Ok(page.map(|(registration, position)| view(&event, registration, position)))
    }

    /// Cancels a registration; a freed seat goes at once to the first in line.
    pub(crate) async fn cancel_registration(
        &self,
        caller: &Caller,
        name: &RegistrationName,
        if_match: IfMatch,
    ) -> Result<RegistrationView> {
        let now = self.now();
        let context = (caller, name, if_match);
        let view = self
            .db
            .write(&context, |tx, (caller, name, if_match)| {
                Box::pin(async move {
                    let event = &name.event;
                    let mut event =
                        lock_owned_event(tx, Some(caller), &event.agency, event.id, "registration")
                            .await?;
                    let mut registration =
                        store::registrations::lock(tx, event.id, By::Id(name.id))
                            .await?
                            .ok_or(Error::NotFound("registration"))?;
                    if_match.check(registration.version)?;
                    release(tx, &mut event, &mut registration, now).await
                })
            })
            .await?;
        tracing::info!(event_id = %name.event.id, registration_id = %name.id, "registration cancelled");
        Ok(view)
    }

    /// Checks in the registration holding `code`, exactly once.
    pub(crate) async fn check_in(
        &self,
        caller: &Caller,
        name: &EventName,
        code: &str,
    ) -> Result<RegistrationView> {
        let now = self.now();
        let context = (caller, name, code);
        let view = self
            .db
            .write(&context, |tx, (caller, name, code)| {
                Box::pin(async move {
                    let mut event =
                        lock_owned_event(tx, Some(caller), &name.agency, name.id, "event").await?;
                    event.ensure_check_in_open()?;
                    let mut registration = store::registrations::lock(tx, event.id, By::Code(code))
                        .await?
                        .ok_or(Error::NotFound("registration"))?;
                    event.check_in(&mut registration, now)?;
                    store::registrations::save(tx, &registration).await?;
                    store::events::save_seats(tx, &event).await?;
                    Ok::<_, Error>(view(&event, registration, None))
                })
            })
            .await?;
        tracing::info!(event_id = %name.id, registration_id = %view.registration.id, "attendee checked in");
        Ok(view)
    }

    /// The person's own registration, opened by its code and their contact. Whichever
    /// part does not match, the answer is the same NOT_FOUND.
    pub(crate) async fn lookup_registration(
        &self,
        name: &EventName,
        credential: &Credential,
    ) -> Result<RegistrationView> {
        let conn = self.db.connection();
        let (event, registration) = match (credential.code(), self.event_of(name).await) {
            (Some(code), Ok(event)) => {
                let found = store::registrations::find_by_code(conn, event.id, code).await?;
                (
                    event,
                    found.filter(|registration| credential.opens(registration)),
                )
            }
            _ => return Err(not_found_for_holder()),
        };
        let registration = registration.ok_or_else(not_found_for_holder)?;
        let position = store::registrations::position(conn, &registration).await?;
        tracing::info!(event_id = %event.id, registration_id = %registration.id, "registration looked up by its holder");
        Ok(view(&event, registration, position))
    }

    /// The person withdraws their own registration, opened as in the lookup; its seat
    /// goes to the first in line in the same transaction.
    pub(crate) async fn withdraw_registration(
        &self,
        name: &EventName,
        credential: &Credential,
    ) -> Result<RegistrationView> {
        let Some(code) = credential.code() else {
            return Err(not_found_for_holder());
        };
        let now = self.now();
        let context = (name, credential, code);
        let view = self
            .db
            .write(&context, |tx, (name, credential, code)| {
                Box::pin(async move {
                    let mut event = store::events::lock(tx, name.id)
                        .await?
                        .filter(|event| event.agency == name.agency)
                        .ok_or_else(not_found_for_holder)?;
                    let mut registration = store::registrations::lock(tx, event.id, By::Code(code))
                        .await?
                        .filter(|registration| credential.opens(registration))
                        .ok_or_else(not_found_for_holder)?;
                    release(tx, &mut event, &mut registration, now).await
                })
            })
            .await?;
        tracing::info!(event_id = %name.id, registration_id = %view.registration.id, "registration withdrawn by its holder");
        Ok(view)
    }

    /// An event the caller owns, or NOT_FOUND.
    pub(super) async fn owned_event(&self, caller: &Caller, name: &EventName) -> Result<Event> {
        if !is_owner(Some(caller), &name.agency) {
            return Err(Error::NotFound("event"));
        }
        self.event_of(name).await
    }

    /// The event a name names (not a draft unless asked by its owner: callers check).
    async fn event_of(&self, name: &EventName) -> Result<Event> {
        store::events::find(self.db.connection(), name.id)
            .await?
            .filter(|event| event.agency == name.agency)
            .ok_or(Error::NotFound("event"))
    }

    /// A registration of `event` with its place in line and link.
    async fn view_of(&self, event: &Event, id: Uuid) -> Result<RegistrationView> {
        let conn = self.db.connection();
        let registration = store::registrations::find(conn, event.id, id)
            .await?
            .ok_or(Error::NotFound("registration"))?;
        let position = store::registrations::position(conn, &registration).await?;
        Ok(view(event, registration, position))
    }
}

fn not_found_for_holder() -> Error {
    Error::NotFound("registration")
}

pub(super) fn view(
    event: &Event,
    registration: Registration,
    position: Option<u32>,
) -> RegistrationView {
    RegistrationView {
        online_url: event.online_url_for(&registration),
        waitlist_position: position,
        registration,
    }
}

/// Cancels a locked registration of a locked event and gives what it freed to the line,
/// then saves all of it.
async fn release(
    tx: &jalia_db::sea_orm::DatabaseTransaction,
    event: &mut Event,
    registration: &mut Registration,
    now: Timestamp,
) -> Result<RegistrationView> {
    event.release(registration, now)?;
    store::registrations::save(tx, registration).await?;
    record_registration(tx, ChangeKind::RegistrationCancelled, registration, now).await?;
    fill_free_seats(tx, event, now).await?;
    store::events::save_seats(tx, event).await?;
    Ok(view(event, registration.clone(), None))
}

async fn register_in(
    tx: &jalia_db::sea_orm::DatabaseTransaction,
    registering: &Registering<'_>,
) -> Result<Registered> {
    let Registering {
        caller,
        attendee,
        registrant,
        policy,
        id,
        now,
        ..
    } = registering;
    let mut event = store::events::lock(tx, registering.event)
        .await?
        .filter(|event| event.agency.as_str() == registering.agency)
        .filter(|event| event.status != EventStatus::Draft || is_owner(Some(caller), &event.agency))
        .ok_or(Error::NotFound("event"))?;
    event.ensure_registration_open(*now)?;
    let consent = Consent::given(
        &event.content.registration,
        registering.consent.map(str::to_owned),
        *now,
    )?;
    let organiser = is_owner(Some(caller), &event.agency);
    // The event's lock makes these checks and the insert one step for every replica.
    if let Some(holder) =
        store::registrations::live_holder(tx, event.id, &attendee.identity()).await?
    {
        tracing::info!(event_id = %event.id, registrant = %registrant, "second registration of a person refused");
        return Err(holder.refuse_duplicate(registrant, organiser));
    }
    let held = if organiser {
        0
    } else {
        store::registrations::held_by(tx, event.id, registrant).await?
    };
    let applicant = Applicant {
        registrant,
        organiser,
        held,
    };
    let admission = event.admit(&applicant, policy, *now)?;
    let code = free_code(tx, event.id).await?;
    let registration = Registration::admitted(
        *id,
        &event,
        (*attendee).clone(),
        code,
        admission,
        registrant.clone(),
        *now,
    )
    .with_consent(consent);
    store::registrations::insert(tx, &registration).await?;
    store::events::save_seats(tx, &event).await?;
    record_registered(tx, std::slice::from_ref(&registration), *now).await?;
    let position = event.waitlist_position_of_newest(&registration);
    Ok(Registered {
        id: registration.id,
        view: Some(view(&event, registration, position)),
    })
}

/// A code no registration of the event has.
async fn free_code(tx: &jalia_db::sea_orm::DatabaseTransaction, event_id: Uuid) -> Result<String> {
    for _ in 0..CODE_DRAWS {
        let code = new_code();
        if !store::registrations::code_taken(tx, event_id, &code).await? {
            return Ok(code);
        }
    }
    Err(DbError::other("no free registration code after several draws").into())
}
