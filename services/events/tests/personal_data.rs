//! Personal data never reaches the logs: every target is captured at TRACE while a
//! registration lives its whole life, and no name, email or phone may appear. A binary of
//! its own, because it installs the process-wide log subscriber.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use jalia_proto::events::v1 as pb;
use jalia_runtime::system_clock;
use support::{TestApp, authed, event, published, register_request};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registrations_whole_life_logs_no_personal_data() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .unwrap();

    let app = TestApp::spawn(1, system_clock()).await;
    let token = app.bm();
    let mut client = app.client(0).await;
    let desk = published(
        &mut client,
        &token,
        event("2027-08-10T10:00", "2027-08-10T13:00", 1, 0),
    )
    .await;
    let person = pb::Attendee {
        display_name: "Khadija Ouazzani-Benali".into(),
        email: "Khadija.Ouazzani@Example.org".into(),
        phone: "06 61 23 45 67".into(),
        residence_region_code: "BE".into(),
        language_code: "fr".into(),
        diaspora: true,
    };
    let other = pb::Attendee {
        display_name: "Youssef Tazi-Lahlou".into(),
        email: String::new(),
        phone: "+33 6 98 76 54 32".into(),
        ..Default::default()
    };
    let seat = client
        .register_attendee(authed(register_request(&desk.name, person.clone()), &token))
        .await
        .unwrap()
        .into_inner();
    let line = client
        .register_attendee(authed(register_request(&desk.name, other), &token))
        .await
        .unwrap()
        .into_inner();
    // A refused duplicate, a bad phone: errors must not echo the data either.
    let duplicate = client
        .register_attendee(authed(register_request(&desk.name, person.clone()), &token))
        .await
        .unwrap_err();
    assert_eq!(duplicate.code(), tonic::Code::AlreadyExists);
    let mut bad = person.clone();
    bad.phone = "0000 Khadija".into();
    client
        .register_attendee(authed(register_request(&desk.name, bad), &token))
        .await
        .unwrap_err();
    client
        .get_registration(authed(
            pb::GetRegistrationRequest {
                name: seat.name.clone(),
                language_code: String::new(),
            },
            &token,
        ))
        .await
        .unwrap();
    client
        .list_registrations(authed(
            pb::ListRegistrationsRequest {
                parent: desk.name.clone(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap();
    let mut roster = client
        .export_roster(authed(
            pb::ExportRosterRequest {
                parent: desk.name.clone(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    while roster.message().await.unwrap().is_some() {}
    client
        .check_in(authed(
            pb::CheckInRequest {
                event: desk.name.clone(),
                code: seat.code.clone(),
            },
            &token,
        ))
        .await
        .unwrap();
    client
        .cancel_registration(authed(
            pb::CancelRegistrationRequest {
                name: line.name.clone(),
                etag: line.etag.clone(),
            },
            &token,
        ))
        .await
        .unwrap();
    drop(app);

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("attendee registered"),
        "the capture works: {} bytes",
        logs.len()
    );
    assert!(logs.contains("attendee checked in"));
    for secret in [
        "Khadija",
        "Ouazzani",
        "khadija.ouazzani@example.org",
        "Khadija.Ouazzani@Example.org",
        "0661234567",
        "06 61 23 45 67",
        "661234567",
        "Youssef",
        "Tazi",
        "698765432",
        "6 98 76 54 32",
    ] {
        assert!(!logs.contains(secret), "`{secret}` appeared in the logs");
    }
}
