//! The desk's roster as a stream of batches, read one after the other as the stream is
//! consumed, the caller checked again before each.

use std::pin::Pin;

use futures_util::Stream;
use futures_util::stream;
use jalia_model::Caller;
use uuid::Uuid;

use super::Events;
use crate::domain::Result;
use crate::domain::event::EventName;
use crate::domain::query::RosterQuery;
use crate::domain::registration::RegistrationView;
use crate::store;

/// Registrations per roster batch.
pub(super) const ROSTER_BATCH: u64 = 500;

/// The roster's batches, in registration order; an error ends the stream.
pub(super) type RosterBatches = Pin<Box<dyn Stream<Item = Result<Vec<RegistrationView>>> + Send>>;

/// What reading the next batch needs.
#[derive(Debug, Clone)]
struct Reader {
    events: Events,
    caller: Caller,
    event: EventName,
    query: RosterQuery,
}

impl Reader {
    async fn batch(&self, after: Option<Uuid>) -> Result<Vec<RegistrationView>> {
        let event = self.events.owned_event(&self.caller, &self.event).await?;
        let rows = store::registrations::list(
            self.events.db.connection(),
            event.id,
            &self.query,
            after,
            ROSTER_BATCH,
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|(registration, position)| RegistrationView {
                online_url: event.online_url_for(&registration),
                waitlist_position: position,
                registration,
            })
            .collect())
    }
}

impl Events {
    /// An event's roster. The first batch is read before answering, so a refusal
    /// (another agency's event) is the call's answer rather than an error in the stream.
    pub(crate) async fn roster(
        &self,
        caller: &Caller,
        event: &EventName,
        query: RosterQuery,
    ) -> Result<RosterBatches> {
        let reader = Reader {
            events: self.clone(),
            caller: caller.clone(),
            event: event.clone(),
            query,
        };
        let first = reader.batch(None).await?;
        let batches = stream::unfold(
            Some(Ok(first)),
            move |pending: Option<Result<Vec<RegistrationView>>>| {
                let reader = reader.clone();
                async move {
                    match pending? {
                        Err(err) => Some((Err(err), None)),
                        Ok(batch) if batch.is_empty() => None,
                        Ok(batch) => {
                            let full = u64::try_from(batch.len()).is_ok_and(|n| n == ROSTER_BATCH);
                            let next = match batch.last() {
                                Some(last) if full => {
                                    Some(reader.batch(Some(last.registration.id)).await)
                                }
                                _ => None,
                            };
                            Some((Ok(batch), next))
                        }
                    }
                }
            },
        );
        Ok(Box::pin(batches))
    }
}
