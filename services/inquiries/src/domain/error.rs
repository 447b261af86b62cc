//! The one error type of the service. Its messages never hold personal data: they name
//! fields, states and resources, never what a citizen wrote.

use jalia_model::{FieldViolation, StaleEtag, StorageFailure, WatcherRefused};

/// Why a use case did not happen. Nothing was written in any case.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input, one violation per wrong field (paths as in the request).
    #[error("{} invalid field(s)", .0.len())]
    Invalid(Vec<FieldViolation>),
    /// No such resource, or one of another agency.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller acts for another agency than the one the call writes under or lists.
    #[error("{0}")]
    OtherAgency(String),
    /// The resource's state forbids the change.
    #[error("{message}")]
    Precondition {
        /// Stable reason, one of `reasons`, e.g. `TRANSITION_NOT_ALLOWED`.
        reason: &'static str,
        /// For the caller's developers.
        message: String,
    },
    /// Another resource holds what this one asked for (a category name).
    #[error("{message}")]
    AlreadyExists {
        /// Stable reason, one of `reasons`.
        reason: &'static str,
        /// For the caller's developers.
        message: String,
    },
    /// Over a size limit: what was sent (an attachment, an inquiry's attachments) or what
    /// would be answered (an export too large to give whole).
    #[error("{message}")]
    TooLarge {
        /// Stable reason, one of `reasons`, e.g. `ATTACHMENT_TOO_LARGE`.
        reason: &'static str,
        /// For the caller's developers.
        message: String,
    },
    /// The etag sent is not the resource's current one.
    #[error("the resource changed since it was read (stale etag)")]
    Stale,
    /// The storage underneath failed.
    #[error("storage: {0}")]
    Storage(#[source] StorageFailure),
    /// A rule the service keeps itself was found broken: a bug.
    #[error("broken invariant: {0}")]
    Internal(String),
}

impl Error {
    /// Bad input in one field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldViolation::new(field, description)])
    }

    /// A refusal by state.
    pub fn precondition(reason: &'static str, message: impl Into<String>) -> Self {
        Self::Precondition {
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
    fn from(refused: WatcherRefused) -> Self {
        Self::OtherAgency(refused.to_string())
    }
}

impl From<StaleEtag> for Error {
    fn from(_: StaleEtag) -> Self {
        Self::Stale
    }
}
