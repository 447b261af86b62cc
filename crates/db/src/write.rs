//! The one way to write: a transaction that does the right thing on each backend, run
//! again (a bounded number of times) when it loses to a concurrent one.
//!
//! SQLite has a single writer: transactions begin IMMEDIATE, taking the write lock up
//! front, so two writers never deadlock upgrading a read lock. PostgreSQL runs them at
//! READ COMMITTED; a body that reads a row to decide a write locks it first
//! ([`lock_for_update`]) and a deadlock or serialization failure runs it again.

use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::pin::Pin;
use std::time::Duration;

use sea_orm::{
    DatabaseTransaction, EntityTrait, QuerySelect, Select, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

use crate::connect::{Backend, Db};
use crate::error::{DbError, TransactionError};

/// A boxed future borrowing the transaction, as a write body returns.
pub type WriteFuture<'c, T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>;

/// How many times a transaction runs before its conflict is reported.
const MAX_ATTEMPTS: u32 = 8;
const FIRST_BACKOFF: Duration = Duration::from_millis(2);
const MAX_BACKOFF: Duration = Duration::from_millis(100);

impl Db {
    /// Runs `body` in a write transaction and commits it. `input` is lent to each attempt,
    /// so the body can borrow from it and be a plain `async fn(&tx, &input)`.
    ///
    /// When the body (or the commit) fails with a retryable conflict, the transaction is
    /// rolled back and run again after a short jittered pause, up to a bound; any other
    /// error rolls back and is returned as is, so a refused write leaves nothing behind.
    pub async fn write<I, T, E, F>(&self, input: &I, body: F) -> Result<T, E>
    where
        I: Sync + ?Sized,
        T: Send,
        E: TransactionError + Send,
        F: for<'c> Fn(&'c DatabaseTransaction, &'c I) -> WriteFuture<'c, T, E>,
    {
        let mut attempt = 1;
        loop {
            match self.write_once(input, &body).await {
                Err(err)
                    if attempt < MAX_ATTEMPTS
                        && err.as_db_error().is_some_and(DbError::is_retryable) =>
                {
                    tracing::debug!(attempt, "write transaction conflicted; retrying");
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    async fn write_once<I, T, E, F>(&self, input: &I, body: &F) -> Result<T, E>
    where
        I: Sync + ?Sized,
        T: Send,
        E: TransactionError + Send,
        F: for<'c> Fn(&'c DatabaseTransaction, &'c I) -> WriteFuture<'c, T, E>,
    {
        let _writer = self.lock_writer().await;
        let tx = self.begin_write().await.map_err(E::from)?;
        match body(&tx, input).await {
            Ok(value) => {
                tx.commit().await.map_err(|err| E::from(err.into()))?;
                Ok(value)
            }
            Err(err) => {
                // The body's error is what the caller needs; a failed rollback only means
                // the connection is gone, and the pool discards it.
                if let Err(rollback) = tx.rollback().await {
                    tracing::debug!(error = %rollback, "rollback after a failed write failed");
                }
                Err(err)
            }
        }
    }

    /// Waits for this process's turn to write, where the backend has a single writer
    /// (SQLite): queueing here rather than on the database's busy timeout keeps writers
    /// in arrival order. None where writers need no queue.
    pub(crate) async fn lock_writer(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.writer {
            Some(writer) => Some(writer.lock().await),
            None => None,
        }
    }

    /// Begins a write transaction the way this backend needs.
    pub async fn begin_write(&self) -> Result<DatabaseTransaction, DbError> {
        let options = match self.backend() {
            Backend::Sqlite => TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            },
            Backend::Postgres => TransactionOptions::default(),
        };
        Ok(self.write_connection().begin_with_options(options).await?)
    }
}

/// Adds `FOR UPDATE` on PostgreSQL, so a row read to decide a write stays as read until
/// commit. SQLite needs nothing: its write transactions already hold the only write lock.
pub fn lock_for_update<E: EntityTrait>(select: Select<E>, backend: Backend) -> Select<E> {
    match backend {
        Backend::Postgres => select.lock_exclusive(),
        Backend::Sqlite => select,
    }
}

fn backoff(attempt: u32) -> Duration {
    let ceiling = FIRST_BACKOFF
        .saturating_mul(1 << attempt.min(10))
        .min(MAX_BACKOFF);
    // Full jitter, so that transactions that collided once do not collide again in step.
    let random = RandomState::new().hash_one(attempt);
    let ceiling_micros = u64::try_from(ceiling.as_micros())
        .unwrap_or(u64::MAX)
        .max(1);
    Duration::from_micros(random % ceiling_micros)
}
