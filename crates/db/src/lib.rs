//! Jalia's storage foundation (ARCHITECTURE.md §5), shared by every service that owns a database:
//! one URL selects SQLite or PostgreSQL; one write-transaction helper does the right
//! thing on each; database errors are classified once; idempotent creates, List paging
//! (page tokens, keyset positions), optimistic versioned updates and locked migrations
//! are built here once.

mod changes;
mod checkpoint;
mod code;
mod connect;
mod error;
/// Page-token opening with fixed keys, for the fuzz targets in `fuzz/`.
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod group_commit;
mod idempotency;
mod keyset;
mod leases;
mod migrate;
mod page_token;
mod pager;
mod time;
mod values_list;
mod versioned;
mod write;
mod write_batch;

#[cfg(feature = "testing")]
pub mod testing;

pub use changes::{
    CHANGE_POSITIONS_TABLE, CHANGES_TABLE, Change, ChangeBatch, ChangeFeedError, ChangeFilter,
    ChangeStart, CreateChanges, Cursor, DEFAULT_RETENTION_DAYS as DEFAULT_CHANGES_RETENTION_DAYS,
    FeedItem, FeedStartError, MAX_WATCH_DURATION, MalformedCursor, NewChange, WatchOptions,
    add_changes, advance_position as advance_change_position, record_change, record_changes,
};
pub use code::{StoredCode, UnknownCode, codes_are_distinct};
pub use connect::{Backend, ConfigError, Db, DbConfig, redact_password};
pub use error::{DbError, DbErrorKind, TransactionError, classify};
pub use group_commit::GroupQueue;
pub use idempotency::{
    Fingerprint, IdempotencyError, IdempotencyKey, IdempotencyScope, Idempotent, Prior,
    RETENTION as IDEMPOTENCY_RETENTION, add_results, prior_results, record_results,
};
pub use keyset::{Direction, KeyValue, Keyset};
pub use leases::{CreateLeases, LEASES_TABLE};
pub use migrate::{CreateIdempotencyRecords, CreateIdempotencyRecordsBySubject};
pub use page_token::{
    DEFAULT_TTL as PAGE_TOKEN_TTL, MIN_KEY_LEN as PAGE_TOKEN_MIN_KEY_LEN, PageScope,
    PageTokenError, PageTokens, WeakKeyError,
};
pub use pager::Pager;
pub use time::{from_micros, to_micros};
pub use values_list::values_list;
pub use versioned::{Versioned, update_versioned};
pub use write::{WriteFuture, lock_for_update};
pub use write_batch::{WriteBatch, WriteSlot, Written};

/// Re-exported so services name one sea-orm.
pub use sea_orm;
/// Re-exported so services name one sea-orm-migration.
pub use sea_orm_migration;
