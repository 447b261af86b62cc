//! The catalog's one error type: every refusal the domain and the use cases make, beside
//! the storage failures they pass on. The API maps it to gRPC codes once.

use jalia_db::{DbError, IdempotencyError, TransactionError};
use jalia_model::FieldViolation;

/// Why a catalog operation did not happen. Nothing was written in any case.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input, one violation per wrong field (paths as in the request).
    #[error("invalid request: {0:?}")]
    InvalidArgument(Vec<FieldViolation>),
    /// No such resource, or one the caller may not see.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The resource exists already.
    #[error("{message}")]
    AlreadyExists {
        /// Stable reason.
        reason: &'static str,
        /// For the caller.
        message: String,
    },
    /// The caller may not do this to a resource whose existence is no secret.
    #[error("{message}")]
    PermissionDenied {
        /// Stable reason.
        reason: &'static str,
        /// For the caller.
        message: String,
    },
    /// The resource's state forbids the change; `missing` lists what a complete resource
    /// would need, when that is the cause.
    #[error("{message}")]
    FailedPrecondition {
        /// Stable reason, e.g. `SERVICE_NOT_DRAFT`.
        reason: &'static str,
        /// For the caller.
        message: String,
        /// Fields that must be filled first (PublicService paths).
        missing: Vec<&'static str>,
    },
    /// The etag sent is not the current one: someone changed the resource since.
    #[error("the resource changed since it was read (stale etag)")]
    Aborted,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The request_id was used before with another request, or its record is unreadable.
    #[error(transparent)]
    Idempotency(#[from] IdempotencyError),
    /// A stored value does not decode: a bug or a schema mismatch.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl Error {
    /// Bad input in one field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::InvalidArgument(vec![FieldViolation::new(field, description)])
    }

    /// A state refusal without missing fields.
    pub fn precondition(reason: &'static str, message: impl Into<String>) -> Self {
        Self::FailedPrecondition {
            reason,
            message: message.into(),
            missing: Vec::new(),
        }
    }

    /// A refusal to a caller who may see but not change a public resource.
    pub fn permission_denied(reason: &'static str, message: impl Into<String>) -> Self {
        Self::PermissionDenied {
            reason,
            message: message.into(),
        }
    }
}

impl TransactionError for Error {
    fn as_db_error(&self) -> Option<&DbError> {
        match self {
            Self::Db(err) => Some(err),
            _ => None,
        }
    }
}

impl From<Vec<FieldViolation>> for Error {
    fn from(violations: Vec<FieldViolation>) -> Self {
        Self::InvalidArgument(violations)
    }
}
