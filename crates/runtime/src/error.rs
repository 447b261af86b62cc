//! The small set of error codes every service maps its errors to, and their one mapping
//! to gRPC statuses with rich details (AIP-193): field violations for bad input, an
//! ErrorInfo with a stable reason (one of [`reasons`]) for everything, retry info where
//! waiting helps. INTERNAL never carries its cause to the caller; the log does.
//!
//! What goes back to the caller is bounded: the message and every violation are cut to
//! a few hundred characters and the violations to [`MAX_VIOLATIONS`], so that no input,
//! however large, comes back in a trailer. A FAILED_PRECONDITION may also say what is
//! missing, one PreconditionFailure violation per thing (see
//! [`ApiError::with_precondition_violations`]).

use std::time::Duration;

use jalia_model::truncate_chars;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

pub use jalia_model::reasons;

/// The domain named in every ErrorInfo.
pub const ERROR_DOMAIN: &str = "jalia";
/// The longest status message sent, in characters.
pub const MAX_MESSAGE_CHARS: usize = 256;
/// The longest field path or description of a violation sent, in characters.
pub const MAX_VIOLATION_CHARS: usize = 256;
/// The most field violations sent; the message still counts them all.
pub const MAX_VIOLATIONS: usize = 50;

/// What went wrong, in the terms ARCHITECTURE.md §2 pins to gRPC codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// Bad input; comes with field violations.
    InvalidArgument,
    /// No such resource, or another agency's private one.
    NotFound,
    /// The resource (or the person, for registrations) exists already.
    AlreadyExists,
    /// The resource's state forbids the change.
    FailedPrecondition,
    /// A concurrency conflict, e.g. a stale etag.
    Aborted,
    /// A dependency (database, downstream service) is down; retry later.
    Unavailable,
    /// The deadline passed.
    DeadlineExceeded,
    /// No valid credentials.
    Unauthenticated,
    /// Valid credentials without the right.
    PermissionDenied,
    /// Shed, rate-limited, or too large.
    ResourceExhausted,
    /// A bug.
    Internal,
}

impl ErrorCode {
    /// The gRPC code.
    pub fn grpc_code(self) -> Code {
        match self {
            Self::InvalidArgument => Code::InvalidArgument,
            Self::NotFound => Code::NotFound,
            Self::AlreadyExists => Code::AlreadyExists,
            Self::FailedPrecondition => Code::FailedPrecondition,
            Self::Aborted => Code::Aborted,
            Self::Unavailable => Code::Unavailable,
            Self::DeadlineExceeded => Code::DeadlineExceeded,
            Self::Unauthenticated => Code::Unauthenticated,
            Self::PermissionDenied => Code::PermissionDenied,
            Self::ResourceExhausted => Code::ResourceExhausted,
            Self::Internal => Code::Internal,
        }
    }
}

pub use jalia_model::FieldViolation;

/// One thing a refused change needs first, as a PreconditionFailure violation names it:
/// its type (one of [`reasons`], e.g. [`reasons::MISSING_FIELD`]), its subject (a field
/// path such as `public_service.category`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreconditionViolation {
    /// The kind of violation, a stable UPPER_SNAKE name.
    pub kind: &'static str,
    /// What it is about, e.g. a field path of the resource.
    pub subject: String,
    /// What is wrong, for the caller's developers.
    pub description: String,
}

impl PreconditionViolation {
    /// A violation of `kind` about `subject`.
    pub fn new(
        kind: &'static str,
        subject: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            subject: subject.into(),
            description: description.into(),
        }
    }
}

/// An error as a caller sees it. Each service converts its own error enum into this once,
/// and this into a [`Status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    code: ErrorCode,
    reason: &'static str,
    message: String,
    violations: Vec<FieldViolation>,
    preconditions: Vec<PreconditionViolation>,
    retry_after: Option<Duration>,
}

impl ApiError {
    /// An error with a code, a stable UPPER_SNAKE reason and a message for the caller.
    pub fn new(code: ErrorCode, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason,
            message: message.into(),
            violations: Vec::new(),
            preconditions: Vec::new(),
            retry_after: None,
        }
    }

    /// Bad input, one violation per wrong field.
    pub fn invalid_argument(violations: Vec<FieldViolation>) -> Self {
        let message = match violations.as_slice() {
            [only] => format!(
                "invalid {}: {}",
                truncate_chars(&only.field, MAX_VIOLATION_CHARS),
                truncate_chars(&only.description, MAX_MESSAGE_CHARS)
            ),
            _ => format!("{} invalid fields", violations.len()),
        };
        Self {
            violations,
            ..Self::new(
                ErrorCode::InvalidArgument,
                reasons::INVALID_ARGUMENT,
                message,
            )
        }
    }

    /// Bad input in one field.
    pub fn invalid_field(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::invalid_argument(vec![FieldViolation::new(field, description)])
    }

    /// No such resource, or another agency's private one: `what` names the kind
    /// ("event").
    pub fn not_found(what: &str) -> Self {
        Self::new(
            ErrorCode::NotFound,
            reasons::NOT_FOUND,
            format!("{what} not found"),
        )
    }

    /// The etag sent is not the resource's current one.
    pub fn stale_etag() -> Self {
        Self::new(
            ErrorCode::Aborted,
            reasons::STALE_ETAG,
            "the resource changed since it was read: read it again and retry",
        )
    }

    /// The caller acts for another agency than the one the call names.
    pub fn other_agency(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::PermissionDenied, reasons::OTHER_AGENCY, message)
    }

    /// A bug. The cause goes to the log, never to the caller.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ErrorCode::Internal, reasons::INTERNAL, "internal error")
    }

    /// A dependency is down (`reason` names which: [`reasons::DATABASE_UNAVAILABLE`],
    /// [`reasons::BACKEND_UNAVAILABLE`]); the cause goes to the log.
    pub fn unavailable(reason: &'static str, cause: &dyn std::fmt::Display) -> Self {
        tracing::warn!(error = %cause, reason, "dependency unavailable");
        Self::new(
            ErrorCode::Unavailable,
            reason,
            "temporarily unavailable, retry later",
        )
    }

    /// Says what a refused change needs first (FAILED_PRECONDITION): sent as a
    /// PreconditionFailure detail, bounded like field violations.
    pub fn with_precondition_violations(mut self, violations: Vec<PreconditionViolation>) -> Self {
        self.preconditions = violations;
        self
    }

    /// Suggests when to retry (RESOURCE_EXHAUSTED, UNAVAILABLE).
    pub fn with_retry_after(mut self, delay: Duration) -> Self {
        self.retry_after = Some(delay);
        self
    }

    /// The code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The stable reason.
    pub fn reason(&self) -> &'static str {
        self.reason
    }

    /// The field violations.
    pub fn violations(&self) -> &[FieldViolation] {
        &self.violations
    }

    /// What a refused change needs first.
    pub fn precondition_violations(&self) -> &[PreconditionViolation] {
        &self.preconditions
    }

    /// The message for the caller.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<FieldViolation> for ApiError {
    fn from(violation: FieldViolation) -> Self {
        Self::invalid_argument(vec![violation])
    }
}

impl From<jalia_model::StaleEtag> for ApiError {
    fn from(_: jalia_model::StaleEtag) -> Self {
        Self::stale_etag()
    }
}

/// The one mapping of database failures: UNAVAILABLE when the database is down,
/// ABORTED when a write kept losing to concurrent ones, INTERNAL (the cause in the log
/// only) for the rest, which are bugs: a constraint the service did not expect to hit, a
/// stored value it cannot read.
#[cfg(feature = "db")]
impl From<&jalia_db::DbError> for ApiError {
    fn from(err: &jalia_db::DbError) -> Self {
        match err.kind() {
            jalia_db::DbErrorKind::Unavailable => {
                Self::unavailable(reasons::DATABASE_UNAVAILABLE, err)
            }
            jalia_db::DbErrorKind::Conflict => {
                tracing::warn!(error = %err, "write kept conflicting");
                Self::new(
                    ErrorCode::Aborted,
                    reasons::CONCURRENT_CHANGE,
                    "the change lost to concurrent ones: retry",
                )
            }
            jalia_db::DbErrorKind::UniqueViolation
            | jalia_db::DbErrorKind::ForeignKeyViolation
            | jalia_db::DbErrorKind::Other => Self::internal(err),
        }
    }
}

/// A storage failure a service's domain error carried: mapped as the database error
/// inside it; anything else the store wrapped is a bug.
#[cfg(feature = "db")]
impl From<&jalia_model::StorageFailure> for ApiError {
    fn from(failure: &jalia_model::StorageFailure) -> Self {
        match failure.cause::<jalia_db::DbError>() {
            Some(err) => Self::from(err),
            None => Self::internal(failure),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} {}: {}", self.code, self.reason, self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<ApiError> for Status {
    fn from(error: ApiError) -> Self {
        let mut details = ErrorDetails::with_error_info(
            error.reason,
            ERROR_DOMAIN,
            std::collections::HashMap::new(),
        );
        if !error.violations.is_empty() {
            details.set_bad_request(
                error
                    .violations
                    .into_iter()
                    .take(MAX_VIOLATIONS)
                    .map(|v| {
                        tonic_types::FieldViolation::new(
                            truncate_chars(&v.field, MAX_VIOLATION_CHARS),
                            truncate_chars(&v.description, MAX_VIOLATION_CHARS),
                        )
                    })
                    .collect::<Vec<_>>(),
            );
        }
        if !error.preconditions.is_empty() {
            details.set_precondition_failure(
                error
                    .preconditions
                    .into_iter()
                    .take(MAX_VIOLATIONS)
                    .map(|v| {
                        tonic_types::PreconditionViolation::new(
                            v.kind,
                            truncate_chars(&v.subject, MAX_VIOLATION_CHARS),
                            truncate_chars(&v.description, MAX_VIOLATION_CHARS),
                        )
                    })
                    .collect::<Vec<_>>(),
            );
        }
        if let Some(delay) = error.retry_after {
            details.set_retry_info(Some(delay));
        }
        Status::with_error_details(
            error.code.grpc_code(),
            truncate_chars(&error.message, MAX_MESSAGE_CHARS),
            details,
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Every byte that goes back to the caller for this status.
    fn trailer_bytes(status: Status) -> usize {
        status
            .into_http::<()>()
            .headers()
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum()
    }

    #[test]
    fn a_huge_value_in_a_violation_does_not_come_back() {
        let huge = "ⵣ".repeat(4 << 20);
        let status: Status = ApiError::invalid_field(huge.clone(), huge.clone()).into();
        assert!(status.message().chars().count() <= MAX_MESSAGE_CHARS);
        assert!(status.details().len() < 4096, "{}", status.details().len());
        let violation = &status.get_details_bad_request().unwrap().field_violations[0];
        assert!(violation.field.chars().count() <= MAX_VIOLATION_CHARS);
        assert!(violation.description.ends_with('…'));
        assert!(trailer_bytes(status) < 8192);

        let long = "x".repeat(1000);
        let many = (0..100_000)
            .map(|index| FieldViolation::new(format!("entries[{index}].text"), long.as_str()))
            .collect();
        let status: Status = ApiError::invalid_argument(many).into();
        assert_eq!(status.message(), "100000 invalid fields");
        assert_eq!(
            status
                .get_details_bad_request()
                .unwrap()
                .field_violations
                .len(),
            MAX_VIOLATIONS
        );
        assert!(trailer_bytes(status) < 64 * 1024);

        let status: Status =
            ApiError::new(ErrorCode::FailedPrecondition, reasons::EVENT_FULL, huge).into();
        assert!(status.message().chars().count() <= MAX_MESSAGE_CHARS);
    }

    #[test]
    fn short_errors_go_back_whole() {
        let status: Status = ApiError::invalid_field("event.title", "must be set").into();
        assert_eq!(status.message(), "invalid event.title: must be set");
        assert_eq!(
            status.get_details_error_info().unwrap().reason,
            "INVALID_ARGUMENT"
        );
        let status: Status = ApiError::from(jalia_model::StaleEtag).into();
        assert_eq!(status.code(), Code::Aborted);
        assert_eq!(
            status.get_details_error_info().unwrap().reason,
            "STALE_ETAG"
        );
    }

    #[test]
    fn preconditions_go_back_as_a_bounded_precondition_failure() {
        let long = "x".repeat(10_000);
        let status: Status = ApiError::new(
            ErrorCode::FailedPrecondition,
            reasons::SERVICE_INCOMPLETE,
            "the service cannot be published yet",
        )
        .with_precondition_violations(
            std::iter::once(PreconditionViolation::new(
                reasons::MISSING_FIELD,
                "public_service.category",
                "required to publish",
            ))
            .chain(
                (0..1000).map(|_| PreconditionViolation::new(reasons::MISSING_FIELD, &long, &long)),
            )
            .collect(),
        )
        .into();
        assert_eq!(status.code(), Code::FailedPrecondition);
        let failure = status.get_details_precondition_failure().unwrap();
        assert_eq!(failure.violations.len(), MAX_VIOLATIONS);
        assert_eq!(failure.violations[0].r#type, "MISSING_FIELD");
        assert_eq!(failure.violations[0].subject, "public_service.category");
        assert!(failure.violations[1].subject.chars().count() <= MAX_VIOLATION_CHARS);
        assert!(trailer_bytes(status) < 64 * 1024);
        let plain: Status = ApiError::not_found("service").into();
        assert!(plain.get_details_precondition_failure().is_none());
    }

    #[cfg(feature = "db")]
    #[test]
    fn database_failures_map_once() {
        let unavailable = ApiError::from(&jalia_db::DbError::unavailable("connection refused"));
        assert_eq!(
            (unavailable.code(), unavailable.reason()),
            (ErrorCode::Unavailable, reasons::DATABASE_UNAVAILABLE)
        );
        assert!(!unavailable.message().contains("refused"));
        let bug = ApiError::from(&jalia_db::DbError::other("column `secret_x` missing"));
        assert_eq!(
            (bug.code(), bug.reason()),
            (ErrorCode::Internal, reasons::INTERNAL)
        );
        assert!(!bug.message().contains("secret_x"));
    }
}
