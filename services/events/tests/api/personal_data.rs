//! Personal data never reaches the logs: every target is captured at TRACE while
//! registrations live their whole life, and no name, email or phone may appear.

use jalia_proto::events::v1 as pb;
use jalia_testing::authed;

use crate::helpers::{LogCapture, TestApp, event, published, register_request};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registrations_whole_life_logs_no_personal_data() {
    let capture = LogCapture::install();
    let app = TestApp::one().await;
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
    // The person's own lookup and withdrawal, a refusal to another portal, a wrong
    // contact: none of it logs who they are.
    client
        .lookup_registration(pb::LookupRegistrationRequest {
            event: desk.name.clone(),
            code: seat.code.clone(),
            contact: "khadija.ouazzani@example.org".into(),
        })
        .await
        .unwrap();
    client
        .lookup_registration(pb::LookupRegistrationRequest {
            event: desk.name.clone(),
            code: seat.code.clone(),
            contact: "+33 6 98 76 54 32".into(),
        })
        .await
        .unwrap_err();
    let portal = app.token_of("consulate-portal", "rabat", &["events.write"]);
    client
        .register_attendee(authed(
            register_request(&desk.name, person.clone()),
            &portal,
        ))
        .await
        .unwrap_err();
    let late = pb::Attendee {
        display_name: "Khadija Ouazzani-Benali".into(),
        phone: "06 61 23 45 68".into(),
        ..Default::default()
    };
    let again = client
        .register_attendee(authed(register_request(&desk.name, late), &token))
        .await
        .unwrap()
        .into_inner();
    client
        .withdraw_registration(pb::WithdrawRegistrationRequest {
            event: desk.name.clone(),
            code: again.code.clone(),
            contact: "06 61 23 45 68".into(),
        })
        .await
        .unwrap();
    drop(app);

    let logs = capture.text();
    assert!(logs.contains("attendee registered"), "the capture works");
    assert!(logs.contains("attendee checked in"));
    assert!(logs.contains("registration withdrawn by its holder"));
    capture.assert_absent(&[
        "Khadija",
        "Ouazzani",
        "khadija.ouazzani@example.org",
        "Khadija.Ouazzani@Example.org",
        "0661234567",
        "06 61 23 45 67",
        "661234567",
        "661234568",
        "Youssef",
        "Tazi",
        "698765432",
        "6 98 76 54 32",
    ]);
}
