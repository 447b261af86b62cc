//! A replica's background work, started by `Application::run` and stopped by the same
//! shutdown: dropping idempotency records past their retention (ARCHITECTURE.md §2 keeps them at
//! least 7 days; nothing else ever deletes them) and change records past theirs.

use std::time::Duration;

use jalia_runtime::Shutdown;
use tokio::time::MissedTickBehavior;

use crate::app::Catalog;

/// How often old idempotency and change records are purged. Each replica purges on its
/// own; two replicas deleting the same old records at once is harmless.
pub(crate) const PURGE_EVERY: Duration = Duration::from_secs(60 * 60);

/// Purges every [`PURGE_EVERY`], the first round at once, until `shutdown` or `stopped`
/// fires. A failed round is logged and tried again at the next tick.
pub(crate) async fn run(
    catalog: Catalog,
    changes_retention: Duration,
    shutdown: Shutdown,
    stopped: Shutdown,
) {
    let stop = async {
        tokio::select! {
            () = shutdown.wait() => {}
            () = stopped.wait() => {}
        }
    };
    tokio::pin!(stop);
    let mut ticker = tokio::time::interval(PURGE_EVERY);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = ticker.tick() => {}
        }
        let work = async {
            match catalog.purge_idempotency_records().await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "old idempotency records purged"),
                Err(err) => tracing::warn!(error = %err, "idempotency purge failed"),
            }
            match catalog.purge_changes(changes_retention).await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "old change records purged"),
                Err(err) => tracing::warn!(error = %err, "change record purge failed"),
            }
        };
        tokio::select! {
            () = &mut stop => return,
            () = work => {}
        }
    }
}
