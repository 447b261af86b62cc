//! The one mapping of the service's errors to gRPC statuses.

use jalia_db::DbErrorKind;
use jalia_runtime::{ApiError, ErrorCode};
use tonic::Status;

use crate::domain::Error;

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        let api = match error {
            Error::Invalid(violations) => ApiError::invalid_argument(violations),
            Error::NotFound(what) => ApiError::new(
                ErrorCode::NotFound,
                "NOT_FOUND",
                format!("{what} not found"),
            ),
            Error::PermissionDenied(message) => {
                ApiError::new(ErrorCode::PermissionDenied, "WRONG_AGENCY", message)
            }
            Error::AlreadyRegistered => ApiError::new(
                ErrorCode::AlreadyExists,
                "ALREADY_REGISTERED",
                "this person already holds a registration for the event",
            ),
            Error::FailedPrecondition { reason, message } => {
                ApiError::new(ErrorCode::FailedPrecondition, reason, message)
            }
            Error::Stale(what) => ApiError::new(
                ErrorCode::Aborted,
                "STALE_ETAG",
                format!("the {what} changed since it was read; read it again"),
            ),
            Error::TooMany(message) => {
                ApiError::new(ErrorCode::ResourceExhausted, "TOO_MANY_EVENTS", message)
            }
            Error::RequestIdReused => {
                ApiError::invalid_field("request_id", "was already used for a different request")
            }
            Error::Db(err) => match err.kind() {
                DbErrorKind::Unavailable => ApiError::unavailable("DATABASE_UNAVAILABLE", &err),
                DbErrorKind::Conflict => ApiError::new(
                    ErrorCode::Aborted,
                    "CONCURRENT_CHANGE",
                    "a concurrent change won; retry",
                ),
                _ => ApiError::internal(&err),
            },
        };
        api.into()
    }
}
