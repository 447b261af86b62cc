//! The one mapping of the service's errors to gRPC statuses, through jalia-runtime's
//! ApiError, which adds the BadRequest and ErrorInfo details and maps database failures
//! once for every service. Causes of INTERNAL and UNAVAILABLE go to the log, never to
//! the caller.

use jalia_runtime::{ApiError, ErrorCode};
use tonic::Status;

use crate::domain::Error;

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        let api = match err {
            Error::Invalid(violations) => ApiError::invalid_argument(violations),
            Error::NotFound(what) => ApiError::not_found(what),
            Error::OtherAgency(message) => ApiError::other_agency(message),
            Error::Precondition { reason, message } => {
                ApiError::new(ErrorCode::FailedPrecondition, reason, message)
            }
            Error::AlreadyExists { reason, message } => {
                ApiError::new(ErrorCode::AlreadyExists, reason, message)
            }
            Error::TooLarge { reason, message } => {
                ApiError::new(ErrorCode::ResourceExhausted, reason, message)
            }
            Error::Stale => ApiError::stale_etag(),
            Error::Storage(failure) => ApiError::from(&failure),
            Error::Internal(cause) => ApiError::internal(&cause),
        };
        api.into()
    }
}

#[cfg(test)]
mod tests {
    use jalia_db::DbError;
    use jalia_runtime::reasons;
    use tonic::Code;
    use tonic_types::StatusExt;

    use super::*;

    fn reason(status: &Status) -> String {
        status.get_details_error_info().unwrap().reason
    }

    #[test]
    fn each_condition_has_the_suites_reason() {
        let cases = [
            (
                Error::NotFound("inquiry"),
                Code::NotFound,
                reasons::NOT_FOUND,
            ),
            (
                Error::OtherAgency("agencies/bm".to_owned()),
                Code::PermissionDenied,
                reasons::OTHER_AGENCY,
            ),
            (Error::Stale, Code::Aborted, reasons::STALE_ETAG),
            (
                Error::from(DbError::unavailable("connection refused")),
                Code::Unavailable,
                reasons::DATABASE_UNAVAILABLE,
            ),
            (
                Error::Internal("a category is missing".to_owned()),
                Code::Internal,
                reasons::INTERNAL,
            ),
        ];
        for (err, code, expected) in cases {
            let status = Status::from(err);
            assert_eq!(
                (status.code(), reason(&status)),
                (code, expected.to_owned())
            );
            assert!(reasons::ALL.contains(&expected));
        }
        let internal = Status::from(Error::Internal("a category is missing".to_owned()));
        assert!(
            !internal.message().contains("category"),
            "INTERNAL hides its cause"
        );
    }
}
