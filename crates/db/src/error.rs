//! Database errors, classified once for both backends, so that every service maps the
//! same failure to the same gRPC code whether it runs on SQLite or PostgreSQL.

use sea_orm::{DbErr, RuntimeErr, sqlx};

/// What kind of failure a database error is, the same way on SQLite and PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbErrorKind {
    /// A unique or primary-key constraint refused the write.
    UniqueViolation,
    /// A foreign-key constraint refused the write.
    ForeignKeyViolation,
    /// The transaction lost to a concurrent one (PostgreSQL serialization failure or
    /// deadlock, SQLite busy or locked); running it again may succeed.
    Conflict,
    /// The database could not be reached, or no connection was free in time.
    Unavailable,
    /// Anything else: a bug, a schema mismatch, a bad query.
    Other,
}

/// A database failure with its classification.
#[derive(Debug, thiserror::Error)]
#[error("{kind:?}: {source}")]
pub struct DbError {
    kind: DbErrorKind,
    #[source]
    source: DbErr,
}

impl DbError {
    /// The classification.
    pub fn kind(&self) -> DbErrorKind {
        self.kind
    }

    /// Whether running the whole transaction again may succeed.
    pub fn is_retryable(&self) -> bool {
        self.kind == DbErrorKind::Conflict
    }

    /// The underlying sea-orm error, for logs.
    pub fn source_error(&self) -> &DbErr {
        &self.source
    }

    /// An error of kind [`DbErrorKind::Other`] with a message, for invariants the store
    /// finds broken (e.g. a stored value it cannot decode).
    pub fn other(message: impl Into<String>) -> Self {
        Self {
            kind: DbErrorKind::Other,
            source: DbErr::Custom(message.into()),
        }
    }
}

impl DbError {
    /// An error of kind [`DbErrorKind::Unavailable`] with a message, for a database that
    /// cannot be reached or opened (e.g. its folder cannot be created).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self {
            kind: DbErrorKind::Unavailable,
            source: DbErr::Conn(RuntimeErr::Internal(message.into())),
        }
    }
}

impl From<DbError> for jalia_model::StorageFailure {
    fn from(err: DbError) -> Self {
        Self::new(err)
    }
}

impl From<DbErr> for DbError {
    fn from(source: DbErr) -> Self {
        Self {
            kind: classify(&source),
            source,
        }
    }
}

/// Classifies a sea-orm error. PostgreSQL is read by SQLSTATE, SQLite by its extended
/// result code.
pub fn classify(err: &DbErr) -> DbErrorKind {
    match err {
        DbErr::ConnectionAcquire(_) => DbErrorKind::Unavailable,
        DbErr::Conn(RuntimeErr::SqlxError(inner))
        | DbErr::Exec(RuntimeErr::SqlxError(inner))
        | DbErr::Query(RuntimeErr::SqlxError(inner)) => classify_sqlx(inner),
        DbErr::Conn(_) => DbErrorKind::Unavailable,
        _ => DbErrorKind::Other,
    }
}

fn classify_sqlx(err: &sqlx::Error) -> DbErrorKind {
    match err {
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if db
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .is_some()
            {
                classify_sqlstate(&code)
            } else {
                code.parse()
                    .map_or(DbErrorKind::Other, classify_sqlite_code)
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => DbErrorKind::Unavailable,
        _ => DbErrorKind::Other,
    }
}

fn classify_sqlstate(code: &str) -> DbErrorKind {
    match code {
        "23505" => DbErrorKind::UniqueViolation,
        "23503" => DbErrorKind::ForeignKeyViolation,
        // serialization_failure, deadlock_detected, lock_not_available
        "40001" | "40P01" | "55P03" => DbErrorKind::Conflict,
        // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
        "57P01" | "57P02" | "57P03" | "53300" => DbErrorKind::Unavailable,
        code if code.starts_with("08") => DbErrorKind::Unavailable,
        _ => DbErrorKind::Other,
    }
}

/// SQLite extended result codes: the primary code is the low byte.
fn classify_sqlite_code(code: i32) -> DbErrorKind {
    const SQLITE_BUSY: i32 = 5;
    const SQLITE_LOCKED: i32 = 6;
    const SQLITE_CANTOPEN: i32 = 14;
    const SQLITE_CONSTRAINT_FOREIGNKEY: i32 = 787;
    const SQLITE_CONSTRAINT_PRIMARYKEY: i32 = 1555;
    const SQLITE_CONSTRAINT_UNIQUE: i32 = 2067;
    match code {
        SQLITE_CONSTRAINT_PRIMARYKEY | SQLITE_CONSTRAINT_UNIQUE => DbErrorKind::UniqueViolation,
        SQLITE_CONSTRAINT_FOREIGNKEY => DbErrorKind::ForeignKeyViolation,
        code => match code & 0xff {
            SQLITE_BUSY | SQLITE_LOCKED => DbErrorKind::Conflict,
            SQLITE_CANTOPEN => DbErrorKind::Unavailable,
            _ => DbErrorKind::Other,
        },
    }
}

/// Errors a write transaction's body may return: the caller's own error type, which can
/// carry a [`DbError`] so the helper can tell a retryable conflict from a domain refusal.
pub trait TransactionError: From<DbError> {
    /// The database error inside, if this is one.
    fn as_db_error(&self) -> Option<&DbError>;
}

impl TransactionError for DbError {
    fn as_db_error(&self) -> Option<&DbError> {
        Some(self)
    }
}
