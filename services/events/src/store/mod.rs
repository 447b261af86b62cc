//! The events service's storage: rows to domain values and back, and the queries the
//! use cases run. Every write happens inside a transaction a use case opens with
//! `Db::write` or `Db::create_once`; reads that decide a write lock their rows first.

mod decoded;
mod entities;
mod migration;
mod stored;

pub(crate) mod erasures;
pub(crate) mod events;
pub(crate) mod registrations;

use jalia_db::sea_orm::DbErr;
use jalia_db::{DbError, FeedStartError, TransactionError};

pub(crate) use decoded::DecodedEvents;
pub(crate) use migration::Migrator;

use jalia_model::{StorageFailure, reasons};

use crate::domain::Error;

impl From<DbError> for Error {
    fn from(err: DbError) -> Self {
        Self::Storage(StorageFailure::new(err))
    }
}

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        Self::from(DbError::from(err))
    }
}

impl From<FeedStartError> for Error {
    fn from(err: FeedStartError) -> Self {
        match err {
            FeedStartError::Cursor(err) => Self::invalid("cursor", err.to_string()),
            FeedStartError::Expired => Self::precondition(
                reasons::CURSOR_EXPIRED,
                "the cursor is older than the changes kept; watch again without it",
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

/// A stored value this release cannot read: a bug or a foreign write, never the
/// caller's fault.
fn corrupt(what: &str) -> Error {
    Error::from(DbError::other(format!("stored {what} does not decode")))
}

/// Counts as rows hold them.
fn count_column(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Counts as the domain holds them; a negative count (never written) reads as 0.
fn count_value(n: i32) -> u32 {
    u32::try_from(n).unwrap_or_default()
}
