//! Settling the due dates left pending by an unreachable catalog: the use case the
//! background task runs on its interval (and tests run on demand).

use jiff::Timestamp;
use uuid::Uuid;

use super::Inquiries;
use crate::domain::Error;
use crate::domain::due::TargetLookup;
use crate::store;

/// How many pending inquiries are read at a time.
const BATCH: u64 = 100;

impl Inquiries {
    /// Asks the catalog about every inquiry whose due date waits for it, for as long as
    /// it answers, each settled in its own transaction. Returns how many were settled.
    pub(crate) async fn reconcile_once(&self) -> Result<usize, Error> {
        let mut settled = 0;
        let mut after = None;
        loop {
            let batch =
                store::inquiries::pending_due_dates(self.db.connection(), after, BATCH).await?;
            let Some(last) = batch.last() else {
                return Ok(settled);
            };
            after = Some(last.id);
            for pending in batch {
                let lookup = self
                    .processing_target(pending.service.as_deref(), None)
                    .await;
                if lookup == TargetLookup::Unreachable {
                    // Still down: the rest waits for the next round.
                    return Ok(settled);
                }
                if self
                    .settle(pending.id, pending.service, lookup, self.now())
                    .await?
                {
                    settled += 1;
                    tracing::info!(inquiry_id = %pending.id, "due date settled from the catalog");
                }
            }
        }
    }

    /// Settles one inquiry's due date with what the catalog said about `service_asked`.
    async fn settle(
        &self,
        id: Uuid,
        service_asked: Option<String>,
        lookup: TargetLookup,
        now: Timestamp,
    ) -> Result<bool, Error> {
        let input = (self, id, service_asked, lookup, now);
        self.db
            .write(&input, |tx, (this, id, service_asked, lookup, now)| {
                Box::pin(async move {
                    let Some(mut inquiry) =
                        store::inquiries::lock(tx, this.db.backend(), *id).await?
                    else {
                        return Ok(false);
                    };
                    let category = this.category_of(tx, &inquiry).await?;
                    let settled = inquiry.settle_due_date(
                        service_asked.as_deref(),
                        *lookup,
                        &category,
                        *now,
                        this.calendars.of(&inquiry.agency),
                    );
                    if settled {
                        store::inquiries::save(tx, &inquiry).await?;
                    }
                    Ok::<_, Error>(settled)
                })
            })
            .await
    }
}
