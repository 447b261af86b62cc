//! The one mapping of the service's errors to gRPC statuses (through jalia-runtime's
//! ApiError, which adds the BadRequest and ErrorInfo details). Causes of INTERNAL and
//! UNAVAILABLE go to the log, never to the caller.

use jalia_db::DbErrorKind;
use jalia_runtime::{ApiError, ErrorCode};
use tonic::Status;

use crate::domain::Error;

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        match err {
            Error::Invalid(violations) => ApiError::invalid_argument(violations),
            Error::NotFound(what) => ApiError::new(
                ErrorCode::NotFound,
                "NOT_FOUND",
                format!("{what} not found"),
            ),
            Error::PermissionDenied { reason, message } => {
                ApiError::new(ErrorCode::PermissionDenied, reason, message)
            }
            Error::FailedPrecondition { reason, message } => {
                ApiError::new(ErrorCode::FailedPrecondition, reason, message)
            }
            Error::AlreadyExists { reason, message } => {
                ApiError::new(ErrorCode::AlreadyExists, reason, message)
            }
            Error::StaleEtag => ApiError::new(
                ErrorCode::Aborted,
                "STALE_ETAG",
                "the resource changed since it was read: read it again and retry",
            ),
            Error::RequestIdReused => {
                ApiError::invalid_field("request_id", "was already used for a different request")
            }
            Error::Database(err) => match err.kind() {
                DbErrorKind::Unavailable => ApiError::unavailable("DATABASE_UNAVAILABLE", &err),
                DbErrorKind::Conflict => ApiError::new(
                    ErrorCode::Aborted,
                    "CONCURRENT_CHANGE",
                    "the change lost to concurrent ones: retry",
                ),
                _ => ApiError::internal(&err),
            },
            Error::Corrupt(cause) => ApiError::internal(&cause),
        }
    }
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        ApiError::from(err).into()
    }
}
