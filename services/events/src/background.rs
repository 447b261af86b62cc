//! A replica's background work, started by `Application::run` and stopped by the same
//! shutdown: dropping idempotency records and change records past their retention, and anonymising
//! registrations past theirs (law 09-08). Every replica runs it; the rows each batch
//! locks keep two replicas from anonymising the same registration twice, and doing it
//! twice would change nothing anyway.

use std::time::Duration;

use jalia_db::IDEMPOTENCY_RETENTION;
use jalia_runtime::Shutdown;
use tokio::time::MissedTickBehavior;

use crate::app::Events;

/// How often old idempotency records are purged: they are kept at least
/// [`IDEMPOTENCY_RETENTION`], and an hour more does no harm.
const PURGE_EVERY: Duration = Duration::from_secs(60 * 60);

/// Purges and anonymises now and then every [`PURGE_EVERY`], until `shutdown` fires.
pub(crate) async fn run(events: Events, shutdown: Shutdown) {
    let mut ticker = tokio::time::interval(PURGE_EVERY);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let stop = shutdown.wait();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = ticker.tick() => {}
        }
        let cutoff = events
            .now()
            .checked_sub(IDEMPOTENCY_RETENTION)
            .unwrap_or(jiff::Timestamp::MIN);
        tokio::select! {
            () = &mut stop => return,
            purged = events.db().purge_idempotency_records(cutoff) => match purged {
                Ok(purged) => tracing::debug!(purged, "old idempotency records purged"),
                Err(err) => tracing::warn!(error = %err, "idempotency purge failed"),
            },
        }
        tokio::select! {
            () = &mut stop => return,
            purged = events.purge_old_changes() => match purged {
                Ok(purged) => tracing::debug!(purged, "old change records purged"),
                Err(err) => tracing::warn!(error = %err, "change record purge failed"),
            },
        }
        tokio::select! {
            () = &mut stop => return,
            anonymised = events.anonymise_past_retention() => if let Err(err) = anonymised {
                tracing::warn!(error = %err, "anonymising registrations past retention failed");
            },
        }
    }
}
