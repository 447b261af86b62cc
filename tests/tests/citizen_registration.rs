//! A person's own National Day registration, through the gateway with the whole suite:
//! portals register people until the seats are gone and the next one waits in line; the
//! first person registered reads their registration with its code and their email, then
//! withdraws it, and the first in line, reading theirs with their phone, now holds the
//! seat and the private link. The consent the event asks for is recorded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use jalia_e2e::{TestSuite, with_token};
use jalia_proto::events::v1 as events;
use jalia_proto::events::v1::event_service_client::EventServiceClient;
use jalia_proto::r#type::v1 as wire;
use tonic::Code;
use tonic::transport::Channel;

type Client = EventServiceClient<Channel>;

const SEATS: usize = 3;
const CONSENT_VERSION: &str = "2025-07";
const PRIVATE_LINK: &str = "https://visio.example.ma/jnmre-2028";

fn text(language: &str, value: &str) -> Option<wire::LocalizedText> {
    Some(wire::LocalizedText {
        entries: vec![wire::LocalizedString {
            language_code: language.into(),
            text: value.into(),
        }],
        resolved: None,
    })
}

fn at(local: &str) -> wire::ZonedDateTime {
    wire::ZonedDateTime {
        local_date_time: local.into(),
        time_zone: "Africa/Casablanca".into(),
        ..Default::default()
    }
}

/// A hybrid National Day of the urban agency with a few seats, a waitlist, a private
/// link and consent required.
fn national_day() -> events::Event {
    events::Event {
        kind: events::EventKind::NationalDay as i32,
        title: text(
            "fr",
            "Journée nationale des Marocains résidant à l'étranger 2028",
        ),
        start: Some(at("2028-08-10T10:00:00")),
        end: Some(at("2028-08-10T13:00:00")),
        attendance_mode: events::AttendanceMode::Hybrid as i32,
        venue: Some(events::Venue {
            display_name: text("fr", "Siège de la Wilaya de la région Béni Mellal-Khénifra"),
            address: Some(wire::PostalAddress {
                locality: "Béni Mellal".into(),
                region_code: "MA".into(),
                ..Default::default()
            }),
        }),
        online_access: Some(events::OnlineAccess {
            url: PRIVATE_LINK.into(),
            private: true,
        }),
        audiences: vec![wire::Audience::Diaspora as i32],
        registration_settings: Some(events::RegistrationSettings {
            enabled: true,
            capacity: i32::try_from(SEATS).unwrap(),
            waitlist_enabled: true,
            consent_required: true,
            consent_version: CONSENT_VERSION.into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Person `index`, living in France: an email, and a Moroccan phone number.
fn person(index: usize) -> events::Attendee {
    events::Attendee {
        display_name: format!("Personne {index}"),
        email: format!("personne.{index}@example.org"),
        phone: format!("+212 661 00 00 {index:02}"),
        residence_region_code: "FR".into(),
        language_code: "fr".into(),
        diaspora: true,
    }
}

async fn register(
    client: &mut Client,
    portal: &str,
    event: &str,
    attendee: events::Attendee,
) -> events::Registration {
    client
        .register_attendee(with_token(
            events::RegisterAttendeeRequest {
                parent: event.to_owned(),
                registration: Some(events::Registration {
                    attendee: Some(attendee),
                    consent: Some(events::Consent {
                        text_version: CONSENT_VERSION.into(),
                        consent_time: None,
                    }),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
            },
            portal,
        ))
        .await
        .unwrap()
        .into_inner()
}

/// The person's lookup: no token, only the code and the contact they gave.
async fn lookup(
    client: &mut Client,
    event: &str,
    code: &str,
    contact: &str,
) -> Result<events::SelfServiceRegistration, tonic::Status> {
    client
        .lookup_registration(events::LookupRegistrationRequest {
            event: event.to_owned(),
            code: code.to_owned(),
            contact: contact.to_owned(),
        })
        .await
        .map(|response| response.into_inner().registration.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_withdraws_their_national_day_registration_and_the_first_in_line_gets_the_seat() {
    let suite = TestSuite::start(None).await;
    let mut client = EventServiceClient::new(suite.gateway().await);
    let organiser = suite.token("bm-events-desk", "bm", &["events.read", "events.write"]);
    let portal = suite.token("consulate-portal", "*", &["events.write"]);

    let draft = client
        .create_event(with_token(
            events::CreateEventRequest {
                parent: "agencies/bm".into(),
                event: Some(national_day()),
                request_id: uuid::Uuid::new_v4().to_string(),
            },
            &organiser,
        ))
        .await
        .unwrap()
        .into_inner();
    let day = client
        .publish_event(with_token(
            events::PublishEventRequest {
                name: draft.name.clone(),
                etag: draft.etag.clone(),
            },
            &organiser,
        ))
        .await
        .unwrap()
        .into_inner();

    // Registered until full; the next one waits in line.
    let mut seated = Vec::new();
    for index in 1..=SEATS {
        let registration = register(&mut client, &portal, &day.name, person(index)).await;
        assert_eq!(
            registration.status,
            events::RegistrationStatus::Confirmed as i32
        );
        seated.push(registration);
    }
    let first_in_line = register(&mut client, &portal, &day.name, person(SEATS + 1)).await;
    assert_eq!(
        (first_in_line.status, first_in_line.waitlist_position),
        (events::RegistrationStatus::Waitlisted as i32, 1)
    );
    let summary = client
        .get_event(with_token(
            events::GetEventRequest {
                name: day.name.clone(),
                language_code: String::new(),
            },
            &organiser,
        ))
        .await
        .unwrap()
        .into_inner()
        .registration_summary
        .unwrap();
    assert_eq!((summary.remaining_seats, summary.waitlisted_count), (0, 1));

    // The consent the event asks for is recorded with its version and time.
    let recorded = client
        .get_registration(with_token(
            events::GetRegistrationRequest {
                name: seated[0].name.clone(),
                language_code: String::new(),
            },
            &organiser,
        ))
        .await
        .unwrap()
        .into_inner();
    let consent = recorded.consent.expect("consent recorded");
    assert_eq!(consent.text_version, CONSENT_VERSION);
    assert!(consent.consent_time.is_some());

    // The first person reads their registration with the code and their email (a wrong
    // contact finds nothing), and withdraws it.
    let first = &seated[0];
    let wrong = lookup(&mut client, &day.name, &first.code, "someone@example.org")
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Code::NotFound);
    let own = lookup(
        &mut client,
        &day.name,
        &first.code,
        "personne.1@example.org",
    )
    .await
    .unwrap();
    assert_eq!(
        (own.status, own.online_url.as_str()),
        (events::RegistrationStatus::Confirmed as i32, PRIVATE_LINK)
    );
    let waiting = lookup(&mut client, &day.name, &first_in_line.code, "0661000004")
        .await
        .unwrap();
    assert_eq!(
        (waiting.status, waiting.online_url.as_str()),
        (events::RegistrationStatus::Waitlisted as i32, "")
    );
    let withdrawn = client
        .withdraw_registration(events::WithdrawRegistrationRequest {
            event: day.name.clone(),
            code: first.code.clone(),
            contact: "Personne.1@Example.org".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .registration
        .unwrap();
    assert_eq!(
        withdrawn.status,
        events::RegistrationStatus::Cancelled as i32
    );

    // The first in line now holds the seat and sees the private link.
    let promoted = lookup(&mut client, &day.name, &first_in_line.code, "+212661000004")
        .await
        .unwrap();
    assert_eq!(
        (
            promoted.status,
            promoted.waitlist_position,
            promoted.online_url.as_str()
        ),
        (
            events::RegistrationStatus::Confirmed as i32,
            0,
            PRIVATE_LINK
        )
    );
    let after = lookup(
        &mut client,
        &day.name,
        &first.code,
        "personne.1@example.org",
    )
    .await
    .unwrap();
    assert_eq!(after.status, events::RegistrationStatus::Cancelled as i32);
    suite.suite.shutdown().await.unwrap();
}
