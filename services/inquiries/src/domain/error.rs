//! The one error type of the service. Its messages never hold personal data: they name
//! fields, states and resources, never what a citizen wrote.

use jalia_db::{DbError, IdempotencyError, TransactionError};
use jalia_model::FieldViolation;

/// Why a use case did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input, one violation per wrong field (paths as in the request).
    #[error("{} invalid field(s)", .0.len())]
    Invalid(Vec<FieldViolation>),
    /// No such resource, or one of another agency.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller may not act under that parent.
    #[error("{message}")]
    PermissionDenied {
        /// Stable reason.
        reason: &'static str,
        /// For the caller's developers.
        message: String,
    },
    /// The resource's state forbids the change.
    #[error("{message}")]
    FailedPrecondition {
        /// Stable reason, e.g. `TRANSITION_NOT_ALLOWED`.
        reason: &'static str,
        /// For the caller's developers.
        message: String,
    },
    /// Another resource holds what this one asked for (a category name).
    #[error("{message}")]
    AlreadyExists {
        /// Stable reason.
        reason: &'static str,
        /// For the caller's developers.
        message: String,
    },
    /// The etag sent is not the resource's current one.
    #[error("the resource changed since it was read (stale etag)")]
    StaleEtag,
    /// The request_id was used before for a different request.
    #[error("request_id was already used for a different request")]
    RequestIdReused,
    /// The database failed.
    #[error("database: {0}")]
    Database(#[source] DbError),
    /// Stored data does not decode: a bug or a schema mismatch.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

impl Error {
    /// Bad input in one field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldViolation::new(field, description)])
    }

    /// A refusal by state.
    pub fn precondition(reason: &'static str, message: impl Into<String>) -> Self {
        Self::FailedPrecondition {
            reason,
            message: message.into(),
        }
    }
}

impl From<DbError> for Error {
    fn from(err: DbError) -> Self {
        Self::Database(err)
    }
}

impl From<IdempotencyError> for Error {
    fn from(err: IdempotencyError) -> Self {
        match err {
            IdempotencyError::Mismatch => Self::RequestIdReused,
            IdempotencyError::Corrupt(cause) => Self::Corrupt(cause.to_string()),
        }
    }
}

impl TransactionError for Error {
    fn as_db_error(&self) -> Option<&DbError> {
        match self {
            Self::Database(err) => Some(err),
            _ => None,
        }
    }
}
