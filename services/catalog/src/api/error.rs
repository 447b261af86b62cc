//! The one mapping of the catalog's errors to gRPC statuses, through jalia-runtime's
//! ApiError: field violations, an ErrorInfo with one reason per condition (the suite's
//! vocabulary), PreconditionFailure details naming what a service lacks; database
//! failures mapped once by `ApiError::from(&DbError)`. INTERNAL never carries its cause
//! to the caller.

use jalia_runtime::{ApiError, ErrorCode, PreconditionViolation, reasons};
use tonic::Status;

use crate::domain::Error;

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        let api = match error {
            Error::Invalid(violations) => ApiError::invalid_argument(violations),
            Error::NotFound(what) => ApiError::not_found(what),
            Error::AlreadyExists { reason, message } => {
                ApiError::new(ErrorCode::AlreadyExists, reason, message)
            }
            Error::OtherAgency(message) => ApiError::other_agency(message),
            Error::MinistryOnly(message) => {
                ApiError::new(ErrorCode::PermissionDenied, reasons::MINISTRY_ONLY, message)
            }
            Error::Precondition {
                reason,
                message,
                missing,
            } => ApiError::new(ErrorCode::FailedPrecondition, reason, message)
                .with_precondition_violations(
                    missing.iter().map(|field| missing_field(field)).collect(),
                ),
            Error::Stale => ApiError::stale_etag(),
            Error::Storage(failure) => ApiError::from(&failure),
        };
        api.into()
    }
}

/// A field of the service a caller must fill in first.
fn missing_field(field: &str) -> PreconditionViolation {
    PreconditionViolation::new(
        reasons::MISSING_FIELD,
        format!("public_service.{field}"),
        "required to publish",
    )
}

#[cfg(test)]
mod tests {
    use jalia_db::DbError;
    use jalia_runtime::reasons;
    use tonic::Code;
    use tonic_types::StatusExt;

    use super::*;

    fn reason(status: &Status) -> String {
        status
            .get_details_error_info()
            .map(|info| info.reason)
            .unwrap_or_default()
    }

    #[test]
    fn each_condition_has_its_one_reason() {
        let cases = [
            (Error::Stale, Code::Aborted, reasons::STALE_ETAG),
            (
                Error::OtherAgency("no".to_owned()),
                Code::PermissionDenied,
                reasons::OTHER_AGENCY,
            ),
            (
                Error::MinistryOnly("no".to_owned()),
                Code::PermissionDenied,
                reasons::MINISTRY_ONLY,
            ),
            (
                Error::NotFound("public service"),
                Code::NotFound,
                reasons::NOT_FOUND,
            ),
            (
                DbError::unavailable("connection refused").into(),
                Code::Unavailable,
                reasons::DATABASE_UNAVAILABLE,
            ),
            (
                DbError::other("column secret_x").into(),
                Code::Internal,
                reasons::INTERNAL,
            ),
        ];
        for (error, code, expected) in cases {
            let status = Status::from(error);
            assert_eq!((status.code(), reason(&status).as_str()), (code, expected));
            assert!(!status.message().contains("secret_x"));
        }
    }

    #[test]
    fn an_incomplete_service_says_what_it_lacks() {
        let status = Status::from(Error::Precondition {
            reason: reasons::SERVICE_INCOMPLETE,
            message: "the service cannot be published without: category".to_owned(),
            missing: vec!["category"],
        });
        let failure = status.get_details_precondition_failure().unwrap();
        assert_eq!(failure.violations[0].r#type, reasons::MISSING_FIELD);
        assert_eq!(failure.violations[0].subject, "public_service.category");
    }
}
