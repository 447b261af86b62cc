//! Storage of inquiries, their history and messages, and categories: sea-orm entities,
//! the migrations, the queries and writes the use cases run inside jalia-db transactions,
//! and the stored shapes. Rows are converted to domain values here, and database errors
//! to the service's error.

pub(crate) mod attachments;
pub(crate) mod categories;
pub(crate) mod changes;
mod entities;
pub(crate) mod erasures;
pub(crate) mod inquiries;
pub(crate) mod messages;
mod migration;
pub(crate) mod stored;

pub(crate) use migration::Migrator;

use jalia_db::sea_orm::DbErr;
use jalia_db::{DbError, FeedStartError, TransactionError, UnknownCode};
use jalia_model::{FieldViolation, StorageFailure, reasons};

use crate::domain::Error;

impl From<DbError> for Error {
    fn from(err: DbError) -> Self {
        Self::Storage(StorageFailure::new(err))
    }
}

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        DbError::from(err).into()
    }
}

impl From<UnknownCode> for Error {
    fn from(err: UnknownCode) -> Self {
        DbError::from(err).into()
    }
}

impl From<FeedStartError> for Error {
    fn from(err: FeedStartError) -> Self {
        match err {
            FeedStartError::Cursor(err) => FieldViolation::new("cursor", err.to_string()).into(),
            FeedStartError::Expired => Self::precondition(
                reasons::CURSOR_EXPIRED,
                "the cursor is older than the changes kept: start from the oldest kept and \
                 read the inquiries again",
            ),
            FeedStartError::Db(err) => err.into(),
        }
    }
}

impl TransactionError for Error {
    fn as_db_error(&self) -> Option<&DbError> {
        match self {
            Self::Storage(err) => err.cause::<DbError>(),
            _ => None,
        }
    }
}

/// A stored value that does not decode: a bug or a schema mismatch.
fn corrupt(what: &str) -> Error {
    DbError::other(format!("stored {what} does not decode")).into()
}

/// A count or day number as stored (INTEGER), refusing silent truncation.
fn stored_i32(value: i64, what: &str) -> Result<i32, Error> {
    i32::try_from(value).map_err(|_| DbError::other(format!("{what} out of range")).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_race_stays_retryable_through_the_services_error() {
        let conflict = Error::from(DbError::other("bug"));
        assert!(conflict.as_db_error().is_some());
        assert!(Error::Stale.as_db_error().is_none());
    }
}
