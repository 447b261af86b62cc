//! The use cases of the events service, one method per RPC. A change opens one
//! transaction, loads what it changes under lock, calls the domain, saves, and returns
//! everything its answer needs: nothing is read again after the commit.

mod changes;
mod events;
#[cfg(test)]
mod fixtures;
mod personal_data;
mod registration_batch;
mod registrations;
mod retention;
mod roster;

use std::sync::Arc;

use jalia_db::sea_orm::DatabaseTransaction;
use jalia_db::{Db, PageTokens};
use jalia_model::{AgencyCode, Caller};
use jalia_runtime::SharedClock;
use jiff::Timestamp;

pub(crate) use registrations::Register;

use crate::domain::change::ChangeKind;
use crate::domain::event::{Event, RegistrationPolicy};
use crate::domain::registration::Registration;
use crate::domain::retention::Retention;
use crate::domain::{Error, Result};
use crate::store;

/// gRPC paths, which key idempotency records and page tokens.
mod methods {
    pub(super) const CREATE_EVENT: &str = "/jalia.events.v1.EventService/CreateEvent";
    pub(super) const LIST_EVENTS: &str = "/jalia.events.v1.EventService/ListEvents";
    pub(super) const REGISTER: &str = "/jalia.events.v1.EventService/RegisterAttendee";
    pub(super) const LIST_REGISTRATIONS: &str = "/jalia.events.v1.EventService/ListRegistrations";
}

/// Whether the caller speaks for the agency that owns a resource: it sees drafts,
/// private links and registrations, and may change them.
fn is_owner(caller: Option<&Caller>, agency: &AgencyCode) -> bool {
    caller.is_some_and(|caller| caller.acts_for(agency.as_str()))
}

/// The event as `caller` may see it: a private link only for its owners.
fn seen_by(caller: Option<&Caller>, event: Event) -> Event {
    if is_owner(caller, &event.agency) {
        event
    } else {
        event.without_private_link()
    }
}

/// [`seen_by`] for an event shared with the decoded events: copied only when a link must
/// be hidden.
fn shared_seen_by(caller: Option<&Caller>, event: Arc<Event>) -> Arc<Event> {
    if event.has_private_link() && !is_owner(caller, &event.agency) {
        Arc::new(Arc::unwrap_or_clone(event).without_private_link())
    } else {
        event
    }
}

/// The events service's use cases.
#[derive(Debug, Clone)]
pub(crate) struct Events {
    db: Db,
    clock: SharedClock,
    pages: PageTokens,
    policy: RegistrationPolicy,
    retention: Retention,
    change_retention: Retention,
    queue: registration_batch::RegistrationQueue,
    decoded: Arc<store::DecodedEvents>,
}

impl Events {
    /// Over a database, a clock, the shared page-token key, the registration policy and
    /// the retention period of personal data.
    pub(crate) fn new(
        db: Db,
        clock: SharedClock,
        pages: PageTokens,
        policy: RegistrationPolicy,
        retention: Retention,
    ) -> Self {
        Self {
            db,
            clock,
            pages,
            policy,
            retention,
            change_retention: Retention::days(jalia_db::DEFAULT_CHANGES_RETENTION_DAYS),
            queue: registration_batch::RegistrationQueue::default(),
            decoded: Arc::default(),
        }
    }

    /// Keeps change records this long instead of the default.
    pub(crate) fn with_change_retention(mut self, retention: Retention) -> Self {
        self.change_retention = retention;
        self
    }

    /// The database, for the background purge.
    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    /// The service clock's "now".
    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

/// Gives the event's free seats to the front of the line, in order, in the transaction
/// that freed them; the promoted registrations are saved here.
async fn fill_free_seats(
    tx: &DatabaseTransaction,
    event: &mut Event,
    now: Timestamp,
) -> Result<Vec<Registration>> {
    let mut line = store::registrations::lock_front_of_line(tx, event.id, event.openings()).await?;
    for waiting in &mut line {
        event.promote(waiting, now)?;
        store::registrations::save(tx, waiting).await?;
        changes::record_registration(tx, ChangeKind::RegistrationPromoted, waiting, now).await?;
        tracing::info!(event_id = %event.id, registration_id = %waiting.id, "waitlisted registration promoted");
    }
    Ok(line)
}

/// An event the caller owns, locked, or NOT_FOUND as `what` (the same answer as for a
/// missing one).
async fn lock_owned_event(
    tx: &DatabaseTransaction,
    caller: Option<&Caller>,
    agency: &AgencyCode,
    id: uuid::Uuid,
    what: &'static str,
) -> Result<Event> {
    store::events::lock(tx, id)
        .await?
        .filter(|event| &event.agency == agency && is_owner(caller, &event.agency))
        .ok_or(Error::NotFound(what))
}
