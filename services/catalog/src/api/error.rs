//! The one mapping of the catalog's errors to gRPC statuses, through jalia-runtime's
//! ApiError: field violations, an ErrorInfo with one reason per condition (the suite's
//! vocabulary), PreconditionFailure details naming what a service lacks; database
//! failures mapped once by `ApiError::from(&DbError)`. INTERNAL never carries its cause
//! to the caller.

use jalia_db::DbError;
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
            Error::Storage(failure) => match failure.downcast_ref::<DbError>() {
                Some(err) => ApiError::from(err),
                None => ApiError::internal(&failure),
            },
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
