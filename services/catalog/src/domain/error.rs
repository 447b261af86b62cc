//! The catalog's one error type: every refusal the domain and the use cases make, beside
//! the storage failures they pass on. The API maps it to gRPC codes once (`api/error.rs`).

use jalia_model::{FieldViolation, StaleEtag, StorageFailure, WatcherRefused};

/// Why a catalog operation did not happen. Nothing was written in any case.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input, one violation per wrong field (paths as in the request).
    #[error("invalid request: {0:?}")]
    Invalid(Vec<FieldViolation>),
    /// No such resource, or one the caller may not see.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The resource exists already.
    #[error("{message}")]
    AlreadyExists {
        /// Stable reason, e.g. `AGENCY_EXISTS`.
        reason: &'static str,
        /// For the caller.
        message: String,
    },
    /// The caller acts for another agency than the one the call names.
    #[error("{0}")]
    OtherAgency(String),
    /// Only ministry-wide callers may do this.
    #[error("{0}")]
    MinistryOnly(String),
    /// The resource's state forbids the change; `missing` lists the PublicService
    /// fields a complete service needs, when that is the cause.
    #[error("{message}")]
    Precondition {
        /// Stable reason, e.g. `SERVICE_NOT_DRAFT`.
        reason: &'static str,
        /// For the caller.
        message: String,
        /// Fields that must be filled first (`category`, `channels`).
        missing: Vec<&'static str>,
    },
    /// The etag sent is not the current one: someone changed the resource since.
    #[error("the resource changed since it was read")]
    Stale,
    /// The storage failed.
    #[error("storage: {0}")]
    Storage(StorageFailure),
}

impl Error {
    /// A state refusal without missing fields.
    pub fn precondition(reason: &'static str, message: impl Into<String>) -> Self {
        Self::Precondition {
            reason,
            message: message.into(),
            missing: Vec::new(),
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
    fn from(refused: WatcherRefused) -> Self {
        Self::OtherAgency(refused.to_string())
    }
}

impl From<StaleEtag> for Error {
    fn from(_: StaleEtag) -> Self {
        Self::Stale
    }
}
