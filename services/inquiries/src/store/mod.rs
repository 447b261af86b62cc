//! Storage of inquiries, their history and messages, and categories: sea-orm entities, the
//! migrations, and the queries and writes the use cases run inside jalia-db transactions.
//! Rows are converted to domain values here, and database errors to the service's error.

mod categories;
pub mod codes;
pub mod entity;
mod inquiries;
mod messages;
pub mod migration;

pub use categories::{
    categories_by_ids, find_category, insert_category, list_categories, lock_category,
    update_category,
};
pub use inquiries::{
    append_history, find_by_reference, find_inquiry, history, insert_inquiry, list_inquiries,
    lock_inquiry, next_sequence, pending_due_dates, save_inquiry, statistics,
};
pub use messages::{find_message, insert_message, list_messages, public_replies};
pub use migration::Migrator;

use jalia_db::sea_orm::DbErr;

use crate::domain::Error;

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        Self::Database(err.into())
    }
}

impl From<codes::UnknownCode> for Error {
    fn from(err: codes::UnknownCode) -> Self {
        Self::Corrupt(err.to_string())
    }
}

/// A stored value that does not decode.
fn corrupt(what: &str) -> Error {
    Error::Corrupt(format!("stored {what} does not decode"))
}

/// A count or day number as stored (INTEGER), refusing silent truncation.
fn stored_i32(value: i64, what: &str) -> Result<i32, Error> {
    i32::try_from(value).map_err(|_| Error::Corrupt(format!("{what} out of range")))
}
