//! What can go wrong in the events service, in its own terms. The API layer maps each
//! variant to a gRPC status once (`api/error.rs`).

use jalia_model::{FieldViolation, StaleEtag, StorageFailure, WatcherRefused};

/// The events service's errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input, field by field.
    #[error("invalid request")]
    Invalid(Vec<FieldViolation>),
    /// No such event or registration, or one the caller may not see.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller acts for another agency than the one the call names.
    #[error("{0}")]
    OtherAgency(&'static str),
    /// The resource changed since the caller read it.
    #[error("the resource changed since it was read")]
    Stale,
    /// What the caller creates exists already; the reason is stable, the message for
    /// people.
    #[error("{message}")]
    AlreadyExists {
        /// A stable reason.
        reason: &'static str,
        /// What exists.
        message: String,
    },
    /// The state forbids it.
    #[error("{message}")]
    Precondition {
        /// A stable reason.
        reason: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A bound on what one call or one caller may take was reached.
    #[error("{message}")]
    Exhausted {
        /// A stable reason.
        reason: &'static str,
        /// Which bound.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Storage(StorageFailure),
}

impl Error {
    /// One invalid field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldViolation::new(field, description)])
    }

    /// A state refusal.
    pub fn precondition(reason: &'static str, message: impl Into<String>) -> Self {
        Self::Precondition {
            reason,
            message: message.into(),
        }
    }

    /// A bound reached.
    pub fn exhausted(reason: &'static str, message: impl Into<String>) -> Self {
        Self::Exhausted {
            reason,
            message: message.into(),
        }
    }
}

impl From<FieldViolation> for Error {
    fn from(violation: FieldViolation) -> Self {
        Self::Invalid(vec![violation])
    }
}

impl From<Vec<FieldViolation>> for Error {
    fn from(violations: Vec<FieldViolation>) -> Self {
        Self::Invalid(violations)
    }
}

impl From<WatcherRefused> for Error {
    fn from(_: WatcherRefused) -> Self {
        Self::OtherAgency(
            "only the agency's own changes can be watched (every agency's by ministry-wide callers)",
        )
    }
}

impl From<StaleEtag> for Error {
    fn from(_: StaleEtag) -> Self {
        Self::Stale
    }
}

/// Results of the events service.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;
