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

/// How often the search index reads what other replicas changed: the lag after which a
/// change committed elsewhere is found here.
pub(crate) const SEARCH_REFRESH_EVERY: Duration = Duration::from_secs(1);

/// How far back each refresh reads before the previous one started: update times come
/// from each replica's clock when its transaction began, so a change can commit after a
/// later-stamped one. Clock skew or transactions longer than this are caught by the full
/// reload below.
pub(crate) const SEARCH_REFRESH_OVERLAP_MICROS: i64 = 10_000_000;

/// Every this many refreshes, the whole table is compared instead (deletes on other
/// replicas, changes stamped before the overlap).
const SEARCH_FULL_RELOAD_EVERY: u32 = 60;

/// Keeps the search index current with the services table until `shutdown` or `stopped`
/// fires: the services stamped since the previous round (less the overlap) every
/// [`SEARCH_REFRESH_EVERY`], the whole table now and then (and until a load succeeds). A
/// failed round is logged and tried again at the next tick. `since` is where the load
/// before serving allows the first round to read from, None if it failed.
pub(crate) async fn refresh_search_index(
    catalog: Catalog,
    mut since: Option<i64>,
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
    let mut ticker = tokio::time::interval(SEARCH_REFRESH_EVERY);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut rounds: u32 = 0;
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = ticker.tick() => {}
        }
        rounds = rounds.wrapping_add(1);
        let mark = catalog.search_index_mark(SEARCH_REFRESH_OVERLAP_MICROS);
        let round = async {
            match since {
                Some(since) if !rounds.is_multiple_of(SEARCH_FULL_RELOAD_EVERY) => {
                    catalog.refresh_search_index(since).await
                }
                _ => catalog.load_search_index().await,
            }
        };
        tokio::select! {
            () = &mut stop => return,
            refreshed = round => match refreshed {
                Ok(()) => since = Some(mark),
                Err(err) => tracing::warn!(error = %err, "search index refresh failed"),
            },
        }
    }
}
