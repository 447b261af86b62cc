//! Escalating overdue inquiries: the use case the background task runs on its interval
//! (and tests run on demand). Each escalation is its own transaction on the locked row,
//! and the domain escalates an inquiry only once, so replicas running rounds at the same
//! time escalate each inquiry exactly once; the change feed's `inquiry.overdue` is
//! recorded in that transaction, hence once per inquiry too (`escalated_at` is the mark).

use jiff::Timestamp;
use jiff::tz::TimeZone;
use uuid::Uuid;

use super::Inquiries;
use crate::domain::Error;
use crate::domain::calendar::{add_days, date_key, local_date};
use crate::store;

/// How many candidates are read at a time.
const BATCH: u64 = 100;

impl Inquiries {
    /// Escalates every inquiry overdue now. Returns how many were escalated.
    pub(crate) async fn escalate_once(&self) -> Result<usize, Error> {
        let now = self.now();
        // No zone's date is later than the UTC date plus one day, so an inquiry overdue in
        // its agency's zone is due before that; the domain decides in the agency's zone.
        let due_before = date_key(add_days(local_date(now, &TimeZone::UTC), 1));
        let mut escalated = 0;
        let mut after = None;
        loop {
            let batch = store::inquiries::escalation_candidates(
                self.db.connection(),
                due_before,
                after,
                BATCH,
            )
            .await?;
            let Some(last) = batch.last() else {
                return Ok(escalated);
            };
            after = Some(last.id);
            for candidate in batch {
                if self.escalate(candidate.id, now).await? {
                    escalated += 1;
                    tracing::info!(inquiry_id = %candidate.id, "overdue inquiry escalated");
                }
            }
        }
    }

    /// Escalates one inquiry if it is still overdue and was never escalated.
    async fn escalate(&self, id: Uuid, now: Timestamp) -> Result<bool, Error> {
        let input = (self, id, now);
        self.db
            .write(&input, |tx, (this, id, now)| {
                Box::pin(async move {
                    let Some(mut inquiry) =
                        store::inquiries::lock(tx, this.db.backend(), *id).await?
                    else {
                        return Ok(false);
                    };
                    let zone = this.calendars.of(&inquiry.agency).zone();
                    let Some(change) = inquiry.escalate(*now, zone) else {
                        return Ok(false);
                    };
                    store::inquiries::save(tx, &inquiry).await?;
                    store::inquiries::append_history(tx, inquiry.id, inquiry.version, &change)
                        .await?;
                    store::changes::record(tx, &inquiry, &change).await?;
                    Ok::<_, Error>(true)
                })
            })
            .await
    }
}
