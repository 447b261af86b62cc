//! Consent to the processing of personal data (law 09-08): an event's settings may
//! require it for a given version of the consent text; the registration records the
//! version and the server's time, and reads them back.

use jalia_proto::events::v1 as pb;
use jalia_runtime::{ManualClock, reasons};
use jalia_testing::authed;
use jiff::Timestamp;
use tonic::Code;

use crate::helpers::{
    Client, Spawn, TestApp, assert_invalid, assert_status, attendee, draft, event, published,
    register, register_request,
};

/// An event whose registration requires consent to text version `version`.
fn consent_required(version: &str) -> pb::Event {
    let mut day = event("2027-08-10T10:00", "2027-08-10T13:00", 10, 0);
    let settings = day.registration_settings.as_mut().unwrap();
    settings.consent_required = true;
    settings.consent_version = version.to_owned();
    day
}

async fn register_consenting(
    client: &mut Client,
    token: &str,
    event: &str,
    index: usize,
    version: &str,
) -> Result<pb::Registration, tonic::Status> {
    let mut request = register_request(event, attendee(index));
    if let Some(registration) = request.registration.as_mut() {
        registration.consent = Some(pb::Consent {
            text_version: version.to_owned(),
            consent_time: None,
        });
    }
    client
        .register_attendee(authed(request, token))
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn a_registration_records_the_consent_the_event_requires() {
    let now: Timestamp = "2027-07-01T09:00:00Z".parse().unwrap();
    let app = Spawn::one().on_clock(ManualClock::new(now)).start().await;
    let organiser = app.bm();
    let portal = app.token_of("consulate-portal", "rabat", &["events.write"]);
    let mut client = app.client(0).await;
    let day = published(&mut client, &organiser, consent_required("2025-07")).await;
    let settings = day.registration_settings.clone().unwrap();
    assert!(settings.consent_required);
    assert_eq!(settings.consent_version, "2025-07");

    // Without consent: INVALID_ARGUMENT naming the field, and nothing registered.
    assert_invalid(
        register(&mut client, &portal, &day.name, attendee(1)).await,
        "registration.consent.text_version",
    );
    // For an older text: the person must be shown the current one.
    let outdated = assert_status(
        register_consenting(&mut client, &portal, &day.name, 1, "2024-01").await,
        Code::FailedPrecondition,
        reasons::CONSENT_OUTDATED,
    );
    assert!(outdated.message().contains("2025-07"), "{outdated:?}");

    let made = register_consenting(&mut client, &portal, &day.name, 1, " 2025-07 ")
        .await
        .unwrap();
    let consent = made.consent.clone().unwrap();
    assert_eq!(consent.text_version, "2025-07");
    assert_eq!(consent.consent_time.unwrap().seconds, now.as_second());
    let read = client
        .get_registration(authed(
            pb::GetRegistrationRequest {
                name: made.name.clone(),
                language_code: String::new(),
            },
            &organiser,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.consent, made.consent);
    let summary = crate::helpers::read(&mut client, &organiser, &day.name)
        .await
        .registration_summary
        .unwrap();
    assert_eq!(summary.confirmed_count, 1, "refused calls hold no seat");
}

#[tokio::test]
async fn consent_is_optional_unless_required_and_its_settings_are_checked() {
    let app = TestApp::one().await;
    let organiser = app.bm();
    let mut client = app.client(0).await;
    let open = published(
        &mut client,
        &organiser,
        event("2027-08-10T10:00", "2027-08-10T13:00", 10, 0),
    )
    .await;
    let without = register(&mut client, &organiser, &open.name, attendee(1))
        .await
        .unwrap();
    assert_eq!(without.consent, None);
    let with = register_consenting(&mut client, &organiser, &open.name, 2, "2025-07")
        .await
        .unwrap();
    assert_eq!(with.consent.unwrap().text_version, "2025-07");

    // Requiring consent needs the text's version.
    let result = client
        .create_event(authed(
            crate::helpers::create(consent_required("")),
            &organiser,
        ))
        .await;
    assert_invalid(result, "event.registration_settings.consent_version");

    // Both settings can be changed on their own.
    let created = draft(&mut client, &organiser, consent_required("2025-07")).await;
    let mut changed = consent_required("2026-01");
    changed.name = created.name.clone();
    changed.etag = created.etag.clone();
    let updated = client
        .update_event(authed(
            pb::UpdateEventRequest {
                event: Some(changed),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["registration_settings.consent_version".into()],
                }),
            },
            &organiser,
        ))
        .await
        .unwrap()
        .into_inner();
    let settings = updated.registration_settings.unwrap();
    assert_eq!(
        (settings.consent_required, settings.consent_version.as_str()),
        (true, "2026-01")
    );
}
