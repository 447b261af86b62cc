//! What can go wrong in the events service, in its own terms; the API layer maps each
//! variant to a gRPC status once.

use jalia_model::FieldViolation;

/// The events service's errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input, field by field.
    #[error("invalid request")]
    Invalid(Vec<FieldViolation>),
    /// No such event or registration, or one the caller may not see.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller may not act under this parent.
    #[error("not allowed: {0}")]
    PermissionDenied(&'static str),
    /// The same person already holds a live registration.
    #[error("already registered")]
    AlreadyRegistered,
    /// The state forbids it; the reason is stable, the message for people.
    #[error("{message}")]
    FailedPrecondition {
        /// A stable UPPER_SNAKE reason.
        reason: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The etag is stale.
    #[error("the {0} changed since it was read")]
    Stale(&'static str),
    /// Too many results for one export.
    #[error("{0}")]
    TooMany(String),
    /// The request_id was used for another request.
    #[error("request_id reused for a different request")]
    RequestIdReused,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] jalia_db::DbError),
}

impl Error {
    /// One invalid field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldViolation::new(field, description)])
    }

    /// A state refusal.
    pub fn precondition(reason: &'static str, message: impl Into<String>) -> Self {
        Self::FailedPrecondition {
            reason,
            message: message.into(),
        }
    }
}

impl From<jalia_db::sea_orm::DbErr> for Error {
    fn from(err: jalia_db::sea_orm::DbErr) -> Self {
        Self::Db(err.into())
    }
}

impl From<jalia_db::IdempotencyError> for Error {
    fn from(err: jalia_db::IdempotencyError) -> Self {
        match err {
            jalia_db::IdempotencyError::Mismatch => Self::RequestIdReused,
            jalia_db::IdempotencyError::Corrupt(cause) => {
                Self::Db(jalia_db::DbError::other(cause.to_string()))
            }
        }
    }
}

impl jalia_db::TransactionError for Error {
    fn as_db_error(&self) -> Option<&jalia_db::DbError> {
        match self {
            Self::Db(err) => Some(err),
            _ => None,
        }
    }
}

/// Results of the events service.
pub type Result<T, E = Error> = std::result::Result<T, E>;
