//! Anonymising closed inquiries past their retention (law 09-08): the use case the
//! background task runs on its interval (and tests run on demand). Each inquiry is its
//! own transaction on the locked row, done once (the domain refuses a second time), so
//! replicas running rounds together do not collide.

use std::time::Duration;

use jalia_db::sea_orm::DatabaseTransaction;
use jiff::{SignedDuration, Timestamp};
use uuid::Uuid;

use super::Inquiries;
use crate::domain::Error;
use crate::domain::inquiry::Inquiry;
use crate::store;

/// How many candidates are read at a time.
const BATCH: u64 = 100;

impl Inquiries {
    /// Anonymises every CLOSED inquiry unchanged for longer than `retention`. Returns how
    /// many were anonymised.
    pub(crate) async fn anonymise_once(&self, retention: Duration) -> Result<usize, Error> {
        let now = self.now();
        let retention = SignedDuration::try_from(retention).unwrap_or(SignedDuration::MAX);
        let changed_before = now.checked_sub(retention).unwrap_or(Timestamp::MIN);
        let mut anonymised = 0;
        let mut after = None;
        loop {
            let batch = store::inquiries::retention_candidates(
                self.db.connection(),
                changed_before,
                after,
                BATCH,
            )
            .await?;
            let Some(last) = batch.last() else {
                return Ok(anonymised);
            };
            after = Some(last.id);
            for candidate in batch {
                if self.anonymise(candidate.id, now).await? {
                    anonymised += 1;
                    tracing::info!(inquiry_id = %candidate.id, "closed inquiry anonymised");
                }
            }
        }
    }

    /// Anonymises one inquiry, with its history's notes and the citizen's messages, and
    /// deletes its documents.
    async fn anonymise(&self, id: Uuid, now: Timestamp) -> Result<bool, Error> {
        let input = (self, id, now);
        let deleted = self
            .db
            .write(&input, |tx, (this, id, now)| {
                Box::pin(async move {
                    let Some(mut inquiry) =
                        store::inquiries::lock(tx, this.db.backend(), *id).await?
                    else {
                        return Ok(None);
                    };
                    if !inquiry.anonymise(*now) {
                        return Ok(None);
                    }
                    let documents = erase_in(tx, &inquiry).await?;
                    Ok::<_, Error>(Some(documents))
                })
            })
            .await?;
        match deleted {
            Some(documents) => {
                self.forget_contents(&documents).await;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// The one step that stores an inquiry the domain has just anonymised (`Inquiry::anonymise`
/// or `Inquiry::erase`), in the caller's transaction: the retention round and
/// ErasePersonalData both end here, so what an erasure removes is the same for both. It
/// replaces what else holds the citizen's data: the history's notes (staff write them
/// about the case), the citizen's own messages and the inquiry's documents. Returns the
/// deleted documents, whose bytes the caller has the content store forget once committed.
pub(super) async fn erase_in(
    tx: &DatabaseTransaction,
    inquiry: &Inquiry,
) -> Result<Vec<Uuid>, Error> {
    store::inquiries::save(tx, inquiry).await?;
    store::inquiries::clear_history_notes(tx, inquiry.id).await?;
    store::messages::anonymise_citizen_messages(tx, inquiry.id).await?;
    Inquiries::delete_inquiry_attachments_in(tx, inquiry.id).await
}
