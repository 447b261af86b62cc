//! A replica's background work, started by `Application::run` and stopped by the same
//! shutdown: settling due dates that wait for the catalog, escalating overdue inquiries,
//! anonymising closed inquiries past their retention, deleting uploads never attached,
//! and dropping idempotency and change records past their retention.

use std::sync::Arc;
use std::time::Duration;

use jalia_runtime::Shutdown;
use tokio::time::{Instant, MissedTickBehavior};

use crate::app::Inquiries;

/// How often old idempotency and change records are purged.
const PURGE_EVERY: Duration = Duration::from_secs(60 * 60);

/// Runs until `shutdown` or `stopped` fires.
pub(crate) async fn run(
    inquiries: Arc<Inquiries>,
    interval: Duration,
    retention: Duration,
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
    // The first round comes one interval after the start, like every later one: a
    // replica that just started has nothing more urgent to settle than a running one.
    let mut ticker = tokio::time::interval_at(Instant::now() + interval, interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_purge: Option<Instant> = None;
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = ticker.tick() => {}
        }
        let purge_due = last_purge.is_none_or(|at| at.elapsed() >= PURGE_EVERY);
        let work = async {
            match inquiries.reconcile_once().await {
                Ok(0) => {}
                Ok(settled) => tracing::info!(settled, "pending due dates settled"),
                Err(err) => tracing::warn!(error = %err, "due date reconciliation failed"),
            }
            match inquiries.escalate_once().await {
                Ok(0) => {}
                Ok(escalated) => tracing::info!(escalated, "overdue inquiries escalated"),
                Err(err) => tracing::warn!(error = %err, "escalation failed"),
            }
            match inquiries.anonymise_once(retention).await {
                Ok(0) => {}
                Ok(anonymised) => tracing::info!(anonymised, "closed inquiries anonymised"),
                Err(err) => tracing::warn!(error = %err, "anonymisation failed"),
            }
            match inquiries.expire_uploads_once().await {
                Ok(0) => {}
                Ok(expired) => tracing::info!(expired, "unattached uploads expired"),
                Err(err) => tracing::warn!(error = %err, "upload expiry failed"),
            }
            if purge_due {
                match inquiries.purge_idempotency_records().await {
                    Ok(purged) => tracing::debug!(purged, "old idempotency records purged"),
                    Err(err) => tracing::warn!(error = %err, "idempotency purge failed"),
                }
                match inquiries.purge_changes(changes_retention).await {
                    Ok(0) => {}
                    Ok(purged) => tracing::info!(purged, "old change records purged"),
                    Err(err) => tracing::warn!(error = %err, "change record purge failed"),
                }
            }
        };
        tokio::select! {
            () = &mut stop => return,
            () = work => {}
        }
        if purge_due {
            last_purge = Some(Instant::now());
        }
    }
}
