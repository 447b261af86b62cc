//! The small set of error codes every service maps its errors to, and their one mapping
//! to gRPC statuses with rich details (AIP-193): field violations for bad input, an
//! ErrorInfo with a stable reason for everything, retry info where waiting helps.
//! INTERNAL never carries its cause to the caller; the log does.

use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The domain named in every ErrorInfo.
pub const ERROR_DOMAIN: &str = "jalia";

/// What went wrong, in the terms DESIGN §2 pins to gRPC codes.
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

/// An error as a caller sees it. Each service converts its own error enum into this once,
/// and this into a [`Status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    code: ErrorCode,
    reason: &'static str,
    message: String,
    violations: Vec<FieldViolation>,
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
            retry_after: None,
        }
    }

    /// Bad input, one violation per wrong field.
    pub fn invalid_argument(violations: Vec<FieldViolation>) -> Self {
        let message = match violations.as_slice() {
            [only] => format!("invalid {}: {}", only.field, only.description),
            _ => format!("{} invalid fields", violations.len()),
        };
        Self {
            violations,
            ..Self::new(ErrorCode::InvalidArgument, "INVALID_ARGUMENT", message)
        }
    }

    /// Bad input in one field.
    pub fn invalid_field(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::invalid_argument(vec![FieldViolation::new(field, description)])
    }

    /// A bug. The cause goes to the log, never to the caller.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ErrorCode::Internal, "INTERNAL", "internal error")
    }

    /// A dependency is down; the cause goes to the log.
    pub fn unavailable(reason: &'static str, cause: &dyn std::fmt::Display) -> Self {
        tracing::warn!(error = %cause, reason, "dependency unavailable");
        Self::new(
            ErrorCode::Unavailable,
            reason,
            "temporarily unavailable, retry later",
        )
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
                    .map(|v| tonic_types::FieldViolation::new(v.field, v.description))
                    .collect::<Vec<_>>(),
            );
        }
        if let Some(delay) = error.retry_after {
            details.set_retry_info(Some(delay));
        }
        Status::with_error_details(error.code.grpc_code(), error.message, details)
    }
}
