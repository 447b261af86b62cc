//! The one mapping of the service's errors to gRPC statuses, through jalia-runtime's
//! ApiError (which adds the BadRequest and ErrorInfo details). Causes of INTERNAL and
//! UNAVAILABLE go to the log, never to the caller.

use jalia_runtime::{ApiError, ErrorCode};
use tonic::Status;

use crate::domain::Error;

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        let api = match err {
            Error::Invalid(violations) => ApiError::invalid_argument(violations),
            Error::NotFound(what) => ApiError::not_found(what),
            Error::OtherAgency(message) => ApiError::other_agency(message),
            Error::Stale => ApiError::stale_etag(),
            Error::AlreadyExists { reason, message } => {
                ApiError::new(ErrorCode::AlreadyExists, reason, message)
            }
            Error::Precondition { reason, message } => {
                ApiError::new(ErrorCode::FailedPrecondition, reason, message)
            }
            Error::Exhausted { reason, message } => {
                ApiError::new(ErrorCode::ResourceExhausted, reason, message)
            }
            Error::Storage(failure) => ApiError::from(&failure),
        };
        api.into()
    }
}
