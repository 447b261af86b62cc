//! The catalog's storage: tables and migrations, the stored shapes of JSON and enum
//! columns, and the queries and writes the use cases run. Every query runs unchanged on
//! SQLite and PostgreSQL: instants are microseconds, ids are UUIDs, lists page on
//! non-text keys (agencies, by their code, are the one documented exception), and the
//! search index is a plain token table.

pub(crate) mod agencies;
pub(crate) mod changes;
mod entities;
mod migration;
pub(crate) mod revisions;
pub(crate) mod search;
pub(crate) mod services;
pub(crate) mod stored;
pub(crate) mod terms;

use jalia_db::sea_orm::{ColumnTrait, EntityTrait, Select};
use jalia_db::{DbError, Direction, FeedStartError, Keyset, TransactionError, to_micros};
use jalia_model::{FieldViolation, StorageFailure, reasons};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub(crate) use migration::Migrator;

use crate::domain::Error;

/// Where a page ends in a list ordered by id (creation order: ids are UUIDv7), or by
/// (update_time, id) when the list asks for changes after an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum IdCursor {
    /// After this id.
    Id(Uuid),
    /// After this (update_time in microseconds, id).
    Updated(i64, Uuid),
}

impl IdCursor {
    /// The cursor of a row with `id` last changed at `update_time`, in the order a list
    /// by change (`by_update`) or by id runs.
    pub(crate) fn of(by_update: bool, update_time: jiff::Timestamp, id: Uuid) -> Self {
        if by_update {
            Self::Updated(to_micros(update_time), id)
        } else {
            Self::Id(id)
        }
    }
}

/// Orders `select` by id, or by (update_time, id) when `by_update`, and keeps the rows
/// after `after`.
fn by_id_or_update<E, C>(
    select: Select<E>,
    id: C,
    update_time: C,
    by_update: bool,
    after: Option<IdCursor>,
) -> Select<E>
where
    E: EntityTrait<Column = C>,
    C: ColumnTrait,
{
    if by_update {
        let position = after.map(|cursor| match cursor {
            IdCursor::Updated(time, id) => [time.into(), id.into()],
            // Not minted for this order (a token is bound to its query): start over.
            IdCursor::Id(id) => [i64::MIN.into(), id.into()],
        });
        Keyset::new([update_time, id], Direction::Ascending).apply(select, position)
    } else {
        let position = after.map(|cursor| match cursor {
            IdCursor::Id(id) | IdCursor::Updated(_, id) => [id.into()],
        });
        Keyset::new([id], Direction::Ascending).apply(select, position)
    }
}

impl From<DbError> for Error {
    fn from(err: DbError) -> Self {
        Self::Storage(StorageFailure::new(err))
    }
}

impl From<FeedStartError> for Error {
    fn from(err: FeedStartError) -> Self {
        match err {
            FeedStartError::Cursor(err) => FieldViolation::new("cursor", err.to_string()).into(),
            FeedStartError::Expired => Self::precondition(
                reasons::CURSOR_EXPIRED,
                "the cursor is older than the changes kept: start from the oldest kept and \
                 read the services again",
            ),
            FeedStartError::Db(err) => err.into(),
        }
    }
}

impl TransactionError for Error {
    fn as_db_error(&self) -> Option<&DbError> {
        match self {
            Self::Storage(failure) => failure.cause::<DbError>(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_storage_failure_is_still_a_database_error_to_the_write_helper() {
        // The write helper retries only what it can see is a database conflict.
        let err = Error::from(DbError::unavailable("gone"));
        assert!(err.as_db_error().is_some_and(|db| !db.is_retryable()));
        assert!(Error::Stale.as_db_error().is_none());
    }
}
