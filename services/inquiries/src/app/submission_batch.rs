//! Group commit of submissions. Every submission serialises on its agency's reference
//! counter for the year (and on SQLite on the one writer), so the SubmitInquiry calls
//! waiting in one replica are made together: one transaction reads their request_ids'
//! records in one statement, takes each agency's and year's run of sequences in one
//! upsert, numbers the inquiries in arrival order and writes the rest (the request_ids'
//! records, the change records, the inquiries, their histories) in one round trip
//! ([`WriteBatch`]). Each call still gets its own answer: one the domain refuses, a replay or
//! a reused request_id is left out of the writes, never the batch's reason to fail.
//! When the batch itself fails (a request_id taken meanwhile by another replica, a
//! database error), it is rolled back and each call runs alone on the one-call path,
//! which stays the authority on every rule. The calls' categories are the replica's kept
//! ones, whose versions the batch checks before it writes. References stay gapless: a
//! run of sequences is taken in the transaction that stores every inquiry it numbers.

use std::collections::BTreeMap;

use jalia_db::sea_orm::{ConnectionTrait, DatabaseTransaction};
use jalia_db::{
    DbError, Fingerprint, GroupQueue, IdempotencyKey, IdempotencyScope, Prior, WriteBatch,
};
use jalia_model::{AgencyCode, FieldViolation, RequestId};
use tokio::sync::oneshot;
use uuid::Uuid;

use super::Inquiries;
use super::inquiries::{Prepared, SubmitOutcome};
use crate::domain::Error;
use crate::domain::inquiry::Inquiry;
use crate::domain::status::StateChange;
use crate::store;
use crate::store::stored::SubmissionReplay;

/// The most calls one transaction makes: bounds its statements' parameters and the
/// time the first call in it waits.
const MOST_PER_BATCH: usize = 64;

/// Batches in flight at once on PostgreSQL (three measured no better than two).
const OVERLAPPING_BATCHES: usize = 2;

/// The replica's queue of calls to make together.
#[derive(Clone, Debug)]
pub(crate) struct SubmissionQueue(GroupQueue<Queued>);

impl SubmissionQueue {
    /// An empty queue for a replica on `backend`. On PostgreSQL batches overlap: each
    /// locks the reference counters only for its last two statements and its commit, so
    /// the next one begins and reads its request_ids' records meanwhile (measured when
    /// the counters came before two more statements: 2,724 against 1,842 submissions a
    /// second).
    pub(crate) fn new(backend: jalia_db::Backend) -> Self {
        let leading = match backend {
            jalia_db::Backend::Sqlite => 1,
            jalia_db::Backend::Postgres => OVERLAPPING_BATCHES,
        };
        Self(GroupQueue::new(MOST_PER_BATCH, leading))
    }
}

/// One call in the queue.
struct Queued {
    scope: IdempotencyScope,
    prepared: Prepared,
    reply: oneshot::Sender<Answer>,
}

/// What a queued call gets back.
enum Answer {
    /// The batch decided it.
    Decided(Box<Result<SubmitOutcome, Error>>),
    /// The batch failed as a whole: the call runs alone.
    Alone(Box<(IdempotencyScope, Prepared)>),
}

impl Inquiries {
    /// Submits through the queue: made with whatever other submissions wait.
    pub(super) async fn submit_batched(
        &self,
        scope: IdempotencyScope,
        prepared: Prepared,
    ) -> Result<SubmitOutcome, Error> {
        let (reply, answer) = oneshot::channel();
        let queued = Queued {
            scope,
            prepared,
            reply,
        };
        if self.queue.0.push(queued) {
            // A task of its own, so a caller that goes away does not strand the others.
            let inquiries = self.clone();
            tokio::spawn(async move { inquiries.make_batches().await });
        }
        match answer.await {
            Ok(Answer::Decided(outcome)) => *outcome,
            Ok(Answer::Alone(alone)) => {
                let (scope, prepared) = *alone;
                let prepared = self.refreshed(prepared).await?;
                self.submit_alone(&scope, &prepared).await
            }
            Err(_) => Err(DbError::other("the submission batch ended without an answer").into()),
        }
    }

    async fn make_batches(&self) {
        while let Some(batch) = self.queue.0.next_batch() {
            self.make_batch(batch).await;
        }
    }

    async fn make_batch(&self, batch: Vec<Queued>) {
        let claims = match claims_of(&batch) {
            Ok(claims) => claims,
            Err(err) => {
                tracing::warn!(error = %err, "submission batch could not fingerprint its calls");
                return answer_alone(batch);
            }
        };
        let items: Vec<&Prepared> = batch.iter().map(|queued| &queued.prepared).collect();
        let input = (self, items.as_slice(), claims.as_slice());
        let decided = self
            .db
            .write(&input, |tx, (this, items, claims)| {
                Box::pin(decide_batch(tx, this, items, claims))
            })
            .await;
        drop(items);
        match decided {
            Ok(decided) => {
                for (queued, decision) in batch.into_iter().zip(decided) {
                    let outcome = decision.map(|decision| match decision {
                        Decision::Made(inquiry) => {
                            SubmitOutcome::Made(Box::new(self.submitted_view(
                                *inquiry,
                                &queued.prepared.category,
                                queued.prepared.now,
                            )))
                        }
                        Decision::Replayed(id) => SubmitOutcome::Replayed(id),
                    });
                    // The caller may have gone; its inquiry stands, as a retry finds.
                    let _ = queued.reply.send(Answer::Decided(Box::new(outcome)));
                }
            }
            Err(err) => {
                tracing::debug!(error = %err, calls = batch.len(), "submission batch rolled back; its calls run alone");
                answer_alone(batch);
            }
        }
    }
}

fn answer_alone(batch: Vec<Queued>) {
    for queued in batch {
        let alone = Box::new((queued.scope, queued.prepared));
        let _ = queued.reply.send(Answer::Alone(alone));
    }
}

/// Each call's idempotency key and fingerprint, when it has a request_id.
fn claims_of(batch: &[Queued]) -> Result<Vec<Option<(IdempotencyKey, Fingerprint)>>, DbError> {
    batch
        .iter()
        .map(|queued| {
            queued
                .prepared
                .command
                .request_id
                .map(|request_id| {
                    Ok((
                        queued.scope.key(request_id),
                        Fingerprint::of_command(&queued.prepared)?,
                    ))
                })
                .transpose()
        })
        .collect()
}

/// What the batch decided for one call.
enum Decision {
    /// Made now: the inquiry, numbered.
    Made(Box<Inquiry>),
    /// Made earlier under its request_id.
    Replayed(Uuid),
}

/// Decides every call in arrival order and writes the ones made. The outer result fails
/// the batch (a database error, a request_id taken meanwhile); the inner ones are the
/// calls'.
async fn decide_batch(
    tx: &DatabaseTransaction,
    this: &Inquiries,
    items: &[&Prepared],
    claims: &[Option<(IdempotencyKey, Fingerprint)>],
) -> Result<Vec<Result<Decision, Error>>, Error> {
    let keyed: Vec<(IdempotencyKey, Fingerprint)> = claims.iter().flatten().cloned().collect();
    let mut priors = jalia_db::prior_results::<SubmissionReplay>(tx, &keyed)
        .await?
        .into_iter();
    let mut decided = Vec::with_capacity(items.len());
    // The calls to make, by index, and the records their request_ids will hold.
    let mut fresh: Vec<usize> = Vec::with_capacity(items.len());
    let mut records: Vec<(IdempotencyKey, Fingerprint, SubmissionReplay)> = Vec::new();
    for (index, (item, claim)) in items.iter().zip(claims).enumerate() {
        let prior = match claim {
            Some(_) => priors.next().unwrap_or(Prior::Fresh),
            None => Prior::Fresh,
        };
        // Concurrent retries of one request may wait in one batch: the first makes it.
        let earlier = claim.as_ref().and_then(|(key, fingerprint)| {
            records
                .iter()
                .find(|(made, _, _)| made == key)
                .map(|(_, made_fingerprint, replay)| (made_fingerprint == fingerprint, *replay))
        });
        let decision = match (prior, earlier) {
            (Prior::Mismatch, _) | (Prior::Fresh, Some((false, _))) => Err(reused()),
            (Prior::Replay(replay), _) | (Prior::Fresh, Some((true, replay))) => {
                Ok(Decision::Replayed(replay.inquiry_id))
            }
            (Prior::Fresh, None) => match &item.built {
                None => Err(item.refusal(this)),
                Some(_) => {
                    fresh.push(index);
                    if let Some((key, fingerprint)) = claim {
                        records.push((
                            key.clone(),
                            *fingerprint,
                            SubmissionReplay {
                                inquiry_id: item.id,
                            },
                        ));
                    }
                    // Numbered below, once every call is decided.
                    decided.push(None);
                    continue;
                }
            },
        };
        decided.push(Some(decision));
    }
    let built: Vec<(usize, &Inquiry, &StateChange)> = fresh
        .iter()
        .filter_map(|index| {
            let (inquiry, change) = items.get(*index)?.built.as_ref()?;
            Some((*index, inquiry, change))
        })
        .collect();
    // The categories were kept from earlier submissions, and decided the builds and the
    // refusals: one changed since fails the batch, and its calls run alone over the
    // stored ones.
    let stored = store::categories::by_ids(tx, items.iter().map(|item| item.category.id)).await?;
    let changed = items.iter().any(|item| {
        stored
            .get(&item.category.id)
            .map(|category| category.version)
            != Some(item.category.version)
    });
    if changed {
        return Err(DbError::other("a category of the batch changed since it was kept").into());
    }
    // The counters first among the writes, in one order on every replica, so two batches
    // never wait on each other in a cycle; their row locks are then held for one more
    // round trip and the commit.
    let mut runs: BTreeMap<(AgencyCode, i16), u32> = BTreeMap::new();
    for (_, inquiry, _) in &built {
        *runs
            .entry((inquiry.agency.clone(), inquiry.reference.year()))
            .or_default() += 1;
    }
    let mut next: BTreeMap<(AgencyCode, i16), i64> = BTreeMap::new();
    for ((agency, year), count) in runs {
        let first =
            store::inquiries::take_sequences(tx, this.db.backend(), &agency, year, count).await?;
        next.insert((agency, year), first);
    }
    let mut numbered = Vec::with_capacity(built.len());
    for (index, inquiry, change) in built {
        let key = (inquiry.agency.clone(), inquiry.reference.year());
        let sequence = next
            .get_mut(&key)
            .ok_or_else(|| Error::Internal("a submission's counter was not taken".to_owned()))?;
        let mut inquiry = inquiry.clone();
        inquiry.reference = inquiry.reference.numbered(*sequence);
        *sequence += 1;
        let hash = items
            .get(index)
            .map(|item| item.tracking_hash)
            .unwrap_or_default();
        numbered.push((index, inquiry, hash, change));
    }
    // The rest in one round trip on PostgreSQL.
    let now = items.first().map(|item| item.now).unwrap_or_default();
    let mut writes = WriteBatch::new(tx.get_database_backend());
    let recorded = jalia_db::add_results(&mut writes, &records, now)?;
    let followed: Vec<_> = numbered
        .iter()
        .map(|(_, inquiry, _, change)| (inquiry, *change))
        .collect();
    store::changes::add_many(&mut writes, &followed);
    let rows: Vec<_> = numbered
        .iter()
        .map(|(_, inquiry, hash, change)| (inquiry, *hash, *change))
        .collect();
    store::inquiries::add_submitted(&mut writes, &rows)?;
    let written = writes.execute(tx).await?;
    if recorded.is_some_and(|slot| written.rows(slot) != records.len() as u64) {
        return Err(DbError::other("a request_id of the batch was taken meanwhile").into());
    }
    for (index, inquiry, _, _) in numbered {
        if let Some(slot) = decided.get_mut(index) {
            *slot = Some(Ok(Decision::Made(Box::new(inquiry))));
        }
    }
    Ok(decided
        .into_iter()
        .map(|decision| {
            decision.unwrap_or_else(|| {
                Err(Error::Internal(
                    "a submission of the batch was not numbered".to_owned(),
                ))
            })
        })
        .collect())
}

fn reused() -> Error {
    FieldViolation::new(RequestId::FIELD, "was already used for a different request").into()
}
