//! The use cases of events: create, read, list, change through the lifecycle, delete a
//! draft, and export as iCalendar.

use std::sync::Arc;

use jalia_db::{IdempotencyScope, to_micros};
use jalia_model::{
    AgencyCode, Caller, IfMatch, LanguageCode, LocalizedText, Page, PageRequest, RequestId,
    ZonedDateTime, reasons,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::changes::record_event;
use super::{
    Events, fill_free_seats, is_owner, lock_owned_event, methods, seen_by, shared_seen_by,
};
use crate::domain::change::ChangeKind;
use crate::domain::content::{EventContent, Outcomes};
use crate::domain::event::{Event, EventName, EventStatus};
use crate::domain::ical::{CalendarEntry, Publisher, agency_calendar_name, calendar};
use crate::domain::patch::EventPatch;
use crate::domain::query::{DraftVisibility, EventQuery};
use crate::domain::{Error, Result};
use crate::store;
use crate::store::events::{AsStored, EventCursor};

/// Most events in one iCalendar export.
pub(super) const EXPORT_LIMIT: usize = 500;

/// What CreateEvent asks for, as its request_id is bound to it.
#[derive(Serialize)]
struct NewEvent<'a> {
    agency: &'a AgencyCode,
    content: AsStored<'a>,
    /// Drawn again on each try, so not part of what the caller asked.
    #[serde(skip)]
    id: Uuid,
    #[serde(skip)]
    now: Timestamp,
}

/// What a create stores for a retry: the id only (a replay reads the event again). The
/// first call has the event itself.
#[derive(Serialize, Deserialize)]
struct Created {
    id: Uuid,
    #[serde(skip)]
    event: Option<Event>,
}

impl Events {
    /// Creates a draft under the caller's agency.
    pub(crate) async fn create_event(
        &self,
        caller: &Caller,
        agency: AgencyCode,
        content: EventContent,
        request_id: Option<RequestId>,
    ) -> Result<Event> {
        if !caller.acts_for(agency.as_str()) {
            return Err(Error::OtherAgency(
                "events are created under the caller's own agency",
            ));
        }
        content.check()?;
        let now = self.now();
        let command = NewEvent {
            agency: &agency,
            content: AsStored(&content),
            id: Uuid::now_v7(),
            now,
        };
        let scope = IdempotencyScope::new(caller, methods::CREATE_EVENT);
        let outcome = self
            .db
            .create_once(request_id, &scope, &command, now, |tx, command| {
                Box::pin(async move {
                    let event = Event::draft(
                        command.id,
                        command.agency.clone(),
                        command.content.0.clone(),
                        command.now,
                    );
                    store::events::insert(tx, &event).await?;
                    Ok::<_, Error>(Created {
                        id: event.id,
                        event: Some(event),
                    })
                })
            })
            .await?;
        let created = outcome.is_created();
        match outcome.into_inner() {
            Created {
                event: Some(event), ..
            } => {
                if created {
                    tracing::info!(event_id = %event.id, "event created");
                }
                Ok(event)
            }
            Created { id, event: None } => self
                .get_event(Some(caller), &agency, id)
                .await
                .map(Arc::unwrap_or_clone),
        }
    }

    /// Reads an event the caller may see.
    pub(crate) async fn get_event(
        &self,
        caller: Option<&Caller>,
        agency: &AgencyCode,
        id: Uuid,
    ) -> Result<Arc<Event>> {
        let event = store::events::find_current(self.db.connection(), &self.decoded, id)
            .await?
            .filter(|event| &event.agency == agency)
            .filter(|event| event.status != EventStatus::Draft || is_owner(caller, &event.agency))
            .ok_or(Error::NotFound("event"))?;
        Ok(shared_seen_by(caller, event))
    }

    /// A page of events the caller may see: `page.size` at most, and fewer when the
    /// events' `weigh`ts (their encoded size) would pass `budget` bytes.
    pub(crate) async fn list_events(
        &self,
        caller: Option<&Caller>,
        query: &EventQuery,
        page: &PageRequest,
        budget: usize,
        weigh: impl Fn(&Event) -> usize,
    ) -> Result<Page<Event>> {
        let pager = self
            .pages
            .pager(methods::LIST_EVENTS, caller, query, page, self.now())?;
        let after: Option<EventCursor> = pager.cursor()?;
        let drafts = DraftVisibility::of(caller);
        let rows = store::events::list(
            self.db.connection(),
            query,
            &drafts,
            after,
            pager.fetch_limit(),
        )
        .await?;
        let rows = rows
            .into_iter()
            .map(|event| seen_by(caller, event))
            .collect();
        Ok(pager.page_within(rows, budget, weigh, |event| {
            (to_micros(event.content.start.instant()), event.id)
        }))
    }

    /// One event as an iCalendar object in the reader's language; never a draft.
    pub(crate) async fn export_event_calendar(
        &self,
        caller: Option<&Caller>,
        name: &EventName,
        wanted: &[LanguageCode],
        publisher: Option<&Publisher>,
    ) -> Result<String> {
        let event = self.get_event(caller, &name.agency, name.id).await?;
        if event.status == EventStatus::Draft {
            return Err(Error::precondition(
                reasons::EVENT_DRAFT,
                "drafts are never exported",
            ));
        }
        let entry = CalendarEntry::of(&event, wanted);
        Ok(calendar(&entry.summary.clone(), &[entry], publisher))
    }

    /// The events of a query as one iCalendar object of at most [`EXPORT_LIMIT`] events
    /// and `max_bytes` bytes; never drafts.
    pub(crate) async fn export_events_calendar(
        &self,
        query: &EventQuery,
        wanted: &[LanguageCode],
        publisher: Option<&Publisher>,
        max_bytes: usize,
    ) -> Result<String> {
        let limit = u64::try_from(EXPORT_LIMIT + 1).unwrap_or(u64::MAX);
        let events = store::events::list(
            self.db.connection(),
            query,
            &DraftVisibility::None,
            None,
            limit,
        )
        .await?;
        if events.len() > EXPORT_LIMIT {
            return Err(Error::exhausted(
                reasons::TOO_MANY_EVENTS,
                format!("more than {EXPORT_LIMIT} events match; narrow the time window"),
            ));
        }
        let entries: Vec<_> = events
            .iter()
            .map(|event| CalendarEntry::of(event, wanted))
            .collect();
        let name = query.agency.as_ref().map_or_else(
            || "Jalia".to_owned(),
            |agency| agency_calendar_name(agency, publisher),
        );
        let exported = calendar(&name, &entries, publisher);
        if exported.len() > max_bytes {
            return Err(Error::exhausted(
                reasons::TOO_MANY_EVENTS,
                format!(
                    "the {} matching events take more than one response holds ({max_bytes} bytes); narrow the time window",
                    events.len()
                ),
            ));
        }
        Ok(exported)
    }

    /// Runs a change of an event the caller owns, under its lock, after the etag check;
    /// seats it frees go to the line in the same transaction.
    async fn change_event<I: Sync>(
        &self,
        caller: &Caller,
        name: &EventName,
        if_match: IfMatch,
        input: &I,
        recorded: Option<ChangeKind>,
        change: impl Fn(&mut Event, &I, Timestamp) -> Result<()> + Sync,
    ) -> Result<Event> {
        let now = self.now();
        let context = (caller, name, if_match, input, &change);
        self.db
            .write(&context, |tx, (caller, name, if_match, input, change)| {
                Box::pin(async move {
                    let mut event =
                        lock_owned_event(tx, Some(caller), &name.agency, name.id, "event").await?;
                    if_match.check(event.version)?;
                    let read = event.version;
                    change(&mut event, input, now)?;
                    event.record_change(now);
                    fill_free_seats(tx, &mut event, now).await?;
                    store::events::save(tx, &event, read)
                        .await?
                        .saved_or(Error::Stale)?;
                    if let Some(kind) = recorded {
                        record_event(tx, kind, &event.agency, event.id, now).await?;
                    }
                    Ok::<_, Error>(event)
                })
            })
            .await
    }

    /// Applies an UpdateEvent.
    pub(crate) async fn update_event(
        &self,
        caller: &Caller,
        name: &EventName,
        if_match: IfMatch,
        patch: EventPatch,
    ) -> Result<Event> {
        let event = self
            .change_event(caller, name, if_match, &patch, None, |event, patch, _| {
                event.apply(patch.clone())
            })
            .await?;
        tracing::info!(event_id = %event.id, "event updated");
        Ok(event)
    }

    /// Publishes a draft.
    pub(crate) async fn publish_event(
        &self,
        caller: &Caller,
        name: &EventName,
        if_match: IfMatch,
    ) -> Result<Event> {
        let event = self
            .change_event(
                caller,
                name,
                if_match,
                &(),
                Some(ChangeKind::EventPublished),
                |event, (), now| event.publish(now),
            )
            .await?;
        tracing::info!(event_id = %event.id, "event published");
        Ok(event)
    }

    /// Cancels an event with a reason.
    pub(crate) async fn cancel_event(
        &self,
        caller: &Caller,
        name: &EventName,
        if_match: IfMatch,
        reason: LocalizedText,
    ) -> Result<Event> {
        let event = self
            .change_event(
                caller,
                name,
                if_match,
                &reason,
                Some(ChangeKind::EventCancelled),
                |event, reason, _| event.cancel(reason.clone()),
            )
            .await?;
        tracing::info!(event_id = %event.id, "event cancelled");
        Ok(event)
    }

    /// Postpones an event.
    pub(crate) async fn postpone_event(
        &self,
        caller: &Caller,
        name: &EventName,
        if_match: IfMatch,
    ) -> Result<Event> {
        let event = self
            .change_event(
                caller,
                name,
                if_match,
                &(),
                Some(ChangeKind::EventPostponed),
                |event, (), _| event.postpone(),
            )
            .await?;
        tracing::info!(event_id = %event.id, "event postponed");
        Ok(event)
    }

    /// Moves an event.
    pub(crate) async fn reschedule_event(
        &self,
        caller: &Caller,
        name: &EventName,
        if_match: IfMatch,
        times: (ZonedDateTime, ZonedDateTime),
    ) -> Result<Event> {
        let event = self
            .change_event(
                caller,
                name,
                if_match,
                &times,
                Some(ChangeKind::EventRescheduled),
                |event, (start, end), _| event.reschedule(start.clone(), end.clone()),
            )
            .await?;
        tracing::info!(event_id = %event.id, sequence = event.sequence, "event rescheduled");
        Ok(event)
    }

    /// Marks an event held.
    pub(crate) async fn complete_event(
        &self,
        caller: &Caller,
        name: &EventName,
        if_match: IfMatch,
        outcomes: Option<Outcomes>,
    ) -> Result<Event> {
        let event = self
            .change_event(
                caller,
                name,
                if_match,
                &outcomes,
                None,
                |event, outcomes, now| event.complete(outcomes.clone(), now),
            )
            .await?;
        tracing::info!(event_id = %event.id, "event completed");
        Ok(event)
    }

    /// Deletes a draft.
    pub(crate) async fn delete_event(
        &self,
        caller: &Caller,
        name: &EventName,
        if_match: IfMatch,
    ) -> Result<()> {
        let context = (caller, name, if_match);
        self.db
            .write(&context, |tx, (caller, name, if_match)| {
                Box::pin(async move {
                    let event =
                        lock_owned_event(tx, Some(caller), &name.agency, name.id, "event").await?;
                    if_match.check(event.version)?;
                    event.ensure_deletable()?;
                    store::events::delete(tx, event.id).await
                })
            })
            .await?;
        tracing::info!(event_id = %name.id, "draft event deleted");
        Ok(())
    }

    /// The demo's event of `agency` of this kind starting at `start`, if it was loaded
    /// before: how loading the demo twice changes nothing.
    pub(crate) async fn find_scheduled(
        &self,
        agency: &AgencyCode,
        kind: crate::domain::content::EventKind,
        start: &ZonedDateTime,
    ) -> Result<Option<Event>> {
        store::events::find_scheduled(
            self.db.connection(),
            agency,
            kind,
            to_micros(start.instant()),
        )
        .await
    }
}
