//! The catalog's storage: tables and migrations, and the queries and writes the use cases
//! run, converting rows to and from domain values. Every query runs unchanged on SQLite
//! and PostgreSQL: instants are microseconds, ids are UUIDs, orders use non-text keys or
//! byte-wise text, and the search index is a plain token table.

pub(crate) mod agencies;
mod entities;
pub(crate) mod revisions;
mod schema;
pub(crate) mod search;
pub(crate) mod services;
pub(crate) mod terms;

use jalia_db::DbError;
use jalia_db::sea_orm::DbErr;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use schema::Migrator;

use crate::domain::Error;

/// Maps sea-orm errors into the catalog's error, classified by jalia-db.
trait OrDbError<T> {
    fn or_db(self) -> Result<T, Error>;
}

impl<T> OrDbError<T> for Result<T, DbErr> {
    fn or_db(self) -> Result<T, Error> {
        self.map_err(|err| Error::Db(DbError::from(err)))
    }
}

/// Writes a value as the JSON a text column holds.
fn to_json<T: Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|err| Error::Corrupt(format!("cannot encode: {err}")))
}

/// Reads a JSON text column.
fn from_json<T: DeserializeOwned>(json: &str, what: &str) -> Result<T, Error> {
    serde_json::from_str(json).map_err(|err| Error::Corrupt(format!("{what}: {err}")))
}

/// How many rows a page query fetches: one more than the page, to know whether another
/// page follows.
fn fetch_limit(page_size: u32) -> u64 {
    u64::from(page_size) + 1
}
