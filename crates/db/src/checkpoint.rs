//! SQLite's WAL checkpoints, taken off the write path. By default the connection whose
//! commit takes the log past 1,000 pages copies the log into the database file and syncs
//! it before its COMMIT returns, while this process's writer lock is still held: every
//! writer queued behind it waits for the disk. Here a task checkpoints from a pooled
//! connection on a timer instead, beside the writers (a passive checkpoint never blocks
//! them), and a page written many times between two checkpoints is copied once. Writers
//! still checkpoint by themselves past [`WRITER_CHECKPOINT_PAGES`], so the log stays
//! bounded should this task fall behind.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use tokio::sync::oneshot;

/// How often the log is copied into the database file.
pub(crate) const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// The log size, in pages (4 KiB each), past which a committing writer checkpoints
/// itself (SQLite's `wal_autocheckpoint`, 1,000 by default): reached only when the task
/// falls behind.
pub(crate) const WRITER_CHECKPOINT_PAGES: u32 = 10_000;

/// Stops the checkpoint task when the last clone of its database is dropped.
#[derive(Debug)]
pub(crate) struct Checkpoints {
    _stop: oneshot::Sender<()>,
}

impl Checkpoints {
    /// Starts checkpointing `conn`'s database every [`CHECKPOINT_EVERY`].
    pub(crate) fn start(conn: DatabaseConnection) -> Self {
        let (stop, stopped) = oneshot::channel();
        tokio::spawn(checkpoint_until(conn, stopped));
        Self { _stop: stop }
    }
}

async fn checkpoint_until(conn: DatabaseConnection, mut stopped: oneshot::Receiver<()>) {
    let mut ticks = tokio::time::interval(CHECKPOINT_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            _ = ticks.tick() => {}
        }
        match conn
            .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
            .await
        {
            Ok(_) => {}
            Err(DbErr::ConnectionAcquire(_)) if conn.ping().await.is_err() => {
                tracing::debug!("database closed: checkpoints stop");
                return;
            }
            Err(err) => {
                tracing::warn!(error = %err, "wal checkpoint failed; retrying at the next tick")
            }
        }
    }
}
