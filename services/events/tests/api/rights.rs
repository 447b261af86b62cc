//! A person's rights over their data (law 09-08), through the agency's staff: access
//! (ExportPersonalData, events.read) returns every registration the agency holds for an
//! email or a phone; erasure (ErasePersonalData, events.write) anonymises them, keeps the
//! counts, and returns its record, which holds no personal data.

use jalia_proto::events::v1 as pb;
use jalia_runtime::reasons;
use jalia_testing::authed;
use tonic::Code;

use crate::helpers::{
    Client, TestApp, assert_invalid, assert_status, attendee, event, published, read, register,
};

fn person(email: &str, phone: &str) -> (String, String, String) {
    ("agencies/bm".to_owned(), email.to_owned(), phone.to_owned())
}

async fn export(
    client: &mut Client,
    token: &str,
    (parent, email, phone): (String, String, String),
) -> Result<Vec<pb::Registration>, tonic::Status> {
    client
        .export_personal_data(authed(
            pb::ExportPersonalDataRequest {
                parent,
                email,
                phone,
            },
            token,
        ))
        .await
        .map(|response| response.into_inner().registrations)
}

async fn erase(
    client: &mut Client,
    token: &str,
    (parent, email, phone): (String, String, String),
) -> Result<pb::Erasure, tonic::Status> {
    client
        .erase_personal_data(authed(
            pb::ErasePersonalDataRequest {
                parent,
                email,
                phone,
            },
            token,
        ))
        .await
        .map(|response| response.into_inner().erasure.unwrap())
}

#[tokio::test]
async fn staff_export_and_erase_one_persons_registrations_and_the_counts_stay() {
    let app = TestApp::one().await;
    let organiser = app.bm();
    let reader = app.token_of("dpo-desk", "bm", &["events.read"]);
    let mut client = app.client(0).await;
    let day = published(
        &mut client,
        &organiser,
        event("2027-08-10T10:00", "2027-08-10T13:00", 1, 0),
    )
    .await;
    let desk = published(
        &mut client,
        &organiser,
        event("2027-09-10T10:00", "2027-09-10T13:00", 5, 0),
    )
    .await;
    // The person: by email and phone on the day (a seat), by phone only at the desk,
    // where they then cancelled; someone else waits for the day's seat.
    let mut them = attendee(1);
    them.email = "Khadija.O@Example.org".into();
    them.phone = "+212 6 61 23 45 67".into();
    let seated = register(&mut client, &organiser, &day.name, them.clone())
        .await
        .unwrap();
    let other = register(&mut client, &organiser, &day.name, attendee(2))
        .await
        .unwrap();
    let mut by_phone = attendee(3);
    by_phone.email = String::new();
    by_phone.phone = "0661234567".into();
    let cancelled = register(&mut client, &organiser, &desk.name, by_phone)
        .await
        .unwrap();
    client
        .cancel_registration(authed(
            pb::CancelRegistrationRequest {
                name: cancelled.name.clone(),
                etag: cancelled.etag.clone(),
            },
            &organiser,
        ))
        .await
        .unwrap();

    // Access, with events.read: by email (any case) the day; by phone, both.
    let found = export(&mut client, &reader, person("khadija.o@example.ORG", ""))
        .await
        .unwrap();
    let names: Vec<_> = found.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, [seated.name.as_str()]);
    assert_eq!(found[0].attendee, seated.attendee);
    let found = export(&mut client, &reader, person("", "06 61 23 45 67"))
        .await
        .unwrap();
    let names: Vec<_> = found.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, [seated.name.as_str(), cancelled.name.as_str()]);

    // Only the agency's own staff, only with a person named, and erasing needs write.
    let rabat = app.token("rabat");
    assert_status(
        export(&mut client, &rabat, person("khadija.o@example.org", "")).await,
        Code::PermissionDenied,
        reasons::OTHER_AGENCY,
    );
    assert_invalid(export(&mut client, &reader, person(" ", "")).await, "email");
    assert_invalid(
        erase(&mut client, &organiser, person("", "12")).await,
        "phone",
    );
    assert_status(
        erase(&mut client, &reader, person("", "0661234567")).await,
        Code::PermissionDenied,
        reasons::MISSING_SCOPE,
    );

    let before = read(&mut client, &organiser, &day.name)
        .await
        .registration_summary;
    let erasure = erase(&mut client, &organiser, person("", "0661234567"))
        .await
        .unwrap();
    assert!(
        erasure.name.starts_with("agencies/bm/erasures/"),
        "{erasure:?}"
    );
    assert_eq!(
        (erasure.erased_by.as_str(), erasure.registration_count),
        ("bm/desk-app", 2)
    );
    assert!(erasure.erase_time.is_some());

    // Nothing of the person is left; seats and counts are as they were.
    let gone = client
        .get_registration(authed(
            pb::GetRegistrationRequest {
                name: seated.name.clone(),
                language_code: String::new(),
            },
            &organiser,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(gone.attendee, Some(pb::Attendee::default()));
    assert!(gone.anonymise_time.is_some());
    assert_eq!(gone.status, pb::RegistrationStatus::Confirmed as i32);
    assert_eq!(
        read(&mut client, &organiser, &day.name)
            .await
            .registration_summary,
        before
    );
    assert_status(
        client
            .lookup_registration(pb::LookupRegistrationRequest {
                event: day.name.clone(),
                code: seated.code.clone(),
                contact: "khadija.o@example.org".into(),
            })
            .await,
        Code::NotFound,
        reasons::NOT_FOUND,
    );
    for contact in [
        person("khadija.o@example.org", ""),
        person("", "0661234567"),
    ] {
        assert!(
            export(&mut client, &reader, contact)
                .await
                .unwrap()
                .is_empty()
        );
    }
    let kept = export(
        &mut client,
        &reader,
        person("participant.0002@example.org", ""),
    )
    .await
    .unwrap();
    assert_eq!(kept[0].name, other.name, "someone else's data stays");

    // Asked again, it finds nothing more, and says so.
    let again = erase(&mut client, &organiser, person("Khadija.O@example.org", ""))
        .await
        .unwrap();
    assert_eq!(again.registration_count, 0);
    assert_ne!(again.name, erasure.name);
}
