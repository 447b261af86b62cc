//! The one mapping of the catalog's errors to gRPC statuses, through jalia-runtime's
//! ApiError (field violations, ErrorInfo with a stable reason; INTERNAL never carries its
//! cause to the caller).

use jalia_db::{DbErrorKind, IdempotencyError};
use jalia_runtime::{ApiError, ErrorCode};
use tonic::Status;
use tonic_types::{ErrorDetails, StatusExt};

use crate::domain::Error;

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidArgument(violations) => ApiError::invalid_argument(violations).into(),
            Error::NotFound(what) => ApiError::new(
                ErrorCode::NotFound,
                "NOT_FOUND",
                format!("{what} not found"),
            )
            .into(),
            Error::AlreadyExists { reason, message } => {
                ApiError::new(ErrorCode::AlreadyExists, reason, message).into()
            }
            Error::PermissionDenied { reason, message } => {
                ApiError::new(ErrorCode::PermissionDenied, reason, message).into()
            }
            Error::FailedPrecondition {
                reason,
                message,
                missing,
            } => {
                let status: Status =
                    ApiError::new(ErrorCode::FailedPrecondition, reason, message).into();
                with_missing_fields(status, &missing)
            }
            Error::Aborted => ApiError::new(
                ErrorCode::Aborted,
                "ETAG_MISMATCH",
                "the resource changed since it was read: read it again and retry",
            )
            .into(),
            Error::Db(err) => match err.kind() {
                DbErrorKind::Unavailable => {
                    ApiError::unavailable("DATABASE_UNAVAILABLE", &err).into()
                }
                DbErrorKind::Conflict => {
                    tracing::warn!(error = %err, "write kept conflicting");
                    ApiError::new(
                        ErrorCode::Aborted,
                        "CONCURRENT_WRITE",
                        "too many concurrent changes: retry",
                    )
                    .into()
                }
                DbErrorKind::UniqueViolation
                | DbErrorKind::ForeignKeyViolation
                | DbErrorKind::Other => ApiError::internal(&err).into(),
            },
            Error::Idempotency(IdempotencyError::Mismatch) => {
                ApiError::invalid_field("request_id", "was already used for a different request")
                    .into()
            }
            Error::Idempotency(err @ IdempotencyError::Corrupt(_)) => {
                ApiError::internal(&err).into()
            }
            Error::Corrupt(cause) => ApiError::internal(&cause).into(),
        }
    }
}

/// Adds a PreconditionFailure listing the fields a complete service needs, so a caller
/// knows what to fill in before publishing.
fn with_missing_fields(status: Status, missing: &[&str]) -> Status {
    if missing.is_empty() {
        return status;
    }
    let mut details: ErrorDetails = status.get_error_details();
    for field in missing {
        details.add_precondition_failure_violation(
            "MISSING_FIELD",
            format!("public_service.{field}"),
            "required to publish",
        );
    }
    Status::with_error_details(status.code(), status.message(), details)
}
