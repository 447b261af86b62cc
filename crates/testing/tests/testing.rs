//! The test support against a real server and a real verifier.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::panic::AssertUnwindSafe;

use jalia_runtime::auth::Verifier;
use jalia_runtime::{ApiError, ErrorCode, reasons};
use jalia_testing::{
    DevTokens, LogCapture, assert_invalid, assert_status, authed, channel, reason, violated_fields,
};
use tonic::{Code, Status};
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};

#[tokio::test]
async fn minted_tokens_verify_against_the_data_folders_key() {
    let data = tempfile::tempdir().unwrap();
    let tokens = DevTokens::for_data_dir(data.path());
    let token = tokens.mint("diaspora-portal", "bm", &["events.read", "events.write"]);
    let settings = jalia_runtime::ServerSettings::development(data.path());
    let caller = Verifier::new(&settings.auth)
        .unwrap()
        .verify(&token, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(caller.subject, "diaspora-portal");
    assert_eq!(caller.agency.as_claim(), "bm");
    assert!(caller.has_scope("events.write"));
    let request = authed((), &token);
    assert_eq!(
        request.metadata().get("authorization").unwrap(),
        format!("Bearer {token}").as_str()
    );
}

#[test]
fn status_assertions_read_code_reason_and_fields() {
    let failed: Result<(), Status> = Err(ApiError::invalid_argument(vec![
        jalia_runtime::FieldViolation::new("event.title", "must be set"),
        jalia_runtime::FieldViolation::new("event.agenda_items[2].title", "must be set"),
    ])
    .into());
    let status = assert_invalid(failed, "event.agenda_items[2].title");
    assert_eq!(reason(&status), reasons::INVALID_ARGUMENT);
    assert_eq!(
        violated_fields(&status),
        ["event.title", "event.agenda_items[2].title"]
    );
    let stale: Result<(), Status> = Err(ApiError::stale_etag().into());
    assert_status(stale, Code::Aborted, reasons::STALE_ETAG);
    let full: Result<(), Status> =
        Err(ApiError::new(ErrorCode::FailedPrecondition, reasons::EVENT_FULL, "full").into());
    let caught = std::panic::catch_unwind(AssertUnwindSafe(|| {
        assert_status(full, Code::Aborted, "EVENT_FULL")
    }));
    assert!(caught.is_err(), "a wrong code fails the assertion");
    let succeeded: Result<(), Status> = Ok(());
    let caught = std::panic::catch_unwind(AssertUnwindSafe(|| {
        assert_invalid(succeeded, "event.title")
    }));
    assert!(caught.is_err(), "a success fails the assertion");
}

#[tokio::test]
async fn a_channel_reaches_a_server_on_port_zero() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (reporter, service) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("", tonic_health::ServingStatus::Serving)
        .await;
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let answer = HealthClient::new(channel(address).await)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.status(), ServingStatus::Serving);
}

#[test]
fn the_log_capture_sees_every_target_at_trace() {
    let capture = LogCapture::install();
    tracing::trace!(target: "jalia_events::app", event_id = 7, "event published");
    assert!(capture.text().contains("event published"));
    capture.assert_absent(&["Khadija", "+212661234567"]);
    let caught = std::panic::catch_unwind(|| capture.assert_absent(&["event published"]));
    assert!(caught.is_err(), "a value in the logs fails the assertion");
}
