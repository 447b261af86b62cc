//! Registering: seats that never overbook, the line and its promotions, the desk, one
//! registration per person, and the bounds that stop one caller filling an event.

use std::collections::BTreeSet;

use jalia_proto::events::v1 as pb;
use jalia_runtime::reasons;
use jalia_testing::authed;
use tonic::Code;

use crate::helpers::{
    Client, Spawn, TestApp, assert_status, attendee, event, full_roster, published, read, register,
    register_request, status_of, update_fields,
};

/// An event's confirmed, waitlisted and remaining seats, as GetEvent reports them.
async fn seat_counts(client: &mut Client, token: &str, event: &str) -> (i32, i32, i32) {
    let summary = read(client, token, event)
        .await
        .registration_summary
        .unwrap();
    (
        summary.confirmed_count,
        summary.waitlisted_count,
        summary.remaining_seats,
    )
}

/// The places in line of a roster's waitlisted registrations, in order.
fn waitlist_positions(roster: &[pb::Registration]) -> Vec<i32> {
    let mut positions: Vec<i32> = roster
        .iter()
        .filter(|r| status_of(r) == pb::RegistrationStatus::Waitlisted)
        .map(|r| r.waitlist_position)
        .collect();
    positions.sort_unstable();
    positions
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_never_overbook_across_two_instances() {
    let app = Spawn::replicas(2).start().await;
    let token = app.bm();
    let mut first = app.client(0).await;
    let second = app.client(1).await;
    let national_day = published(
        &mut first,
        &token,
        event("2027-08-10T10:00", "2027-08-10T13:00", 50, 0),
    )
    .await;

    let mut calls = Vec::new();
    for index in 0..200 {
        let mut client = if index % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        let request = authed(
            register_request(&national_day.name, attendee(index)),
            &token,
        );
        calls.push(tokio::spawn(async move {
            client.register_attendee(request).await
        }));
    }
    let mut registrations = Vec::new();
    for call in calls {
        registrations.push(call.await.unwrap().unwrap().into_inner());
    }
    let confirmed = registrations
        .iter()
        .filter(|r| status_of(r) == pb::RegistrationStatus::Confirmed)
        .count();
    assert_eq!(confirmed, 50);
    // Each answer says its place in line as the transaction that made it saw it.
    let mut answered: Vec<i32> = registrations
        .iter()
        .filter(|r| status_of(r) == pb::RegistrationStatus::Waitlisted)
        .map(|r| r.waitlist_position)
        .collect();
    answered.sort_unstable();
    assert_eq!(answered, (1..=150).collect::<Vec<i32>>());

    // Positions as the roster reports them now: 1..150, no gap, no duplicate.
    let roster = full_roster(&mut first, &token, &national_day.name).await;
    assert_eq!(roster.len(), 200);
    let mut waitlisted: Vec<_> = roster
        .iter()
        .filter(|r| status_of(r) == pb::RegistrationStatus::Waitlisted)
        .collect();
    waitlisted.sort_by_key(|r| r.waitlist_position);
    let positions: Vec<i32> = waitlisted.iter().map(|r| r.waitlist_position).collect();
    assert_eq!(positions, (1..=150).collect::<Vec<i32>>());
    let codes: BTreeSet<_> = roster.iter().map(|r| r.code.clone()).collect();
    assert_eq!(codes.len(), 200, "codes are unique");
    let front: Vec<String> = waitlisted.iter().take(10).map(|r| r.name.clone()).collect();

    // Ten cancellations promote positions 1..10, in order.
    let holders: Vec<_> = roster
        .iter()
        .filter(|r| status_of(r) == pb::RegistrationStatus::Confirmed)
        .take(10)
        .cloned()
        .collect();
    for (index, holder) in holders.iter().enumerate() {
        let cancelled = first
            .cancel_registration(authed(
                pb::CancelRegistrationRequest {
                    name: holder.name.clone(),
                    etag: holder.etag.clone(),
                },
                &token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(status_of(&cancelled), pb::RegistrationStatus::Cancelled);
        let promoted = first
            .get_registration(authed(
                pb::GetRegistrationRequest {
                    name: front[index].clone(),
                    language_code: String::new(),
                },
                &token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            status_of(&promoted),
            pb::RegistrationStatus::Confirmed,
            "position {}",
            index + 1
        );
    }
    let roster = full_roster(&mut first, &token, &national_day.name).await;
    assert_eq!(waitlist_positions(&roster), (1..=140).collect::<Vec<i32>>());
    assert_eq!(
        seat_counts(&mut first, &token, &national_day.name).await,
        (50, 140, 0)
    );

    // Ten concurrent check-ins with one code: exactly one succeeds.
    let seat = roster
        .iter()
        .find(|r| status_of(r) == pb::RegistrationStatus::Confirmed)
        .unwrap();
    let mut checks = Vec::new();
    for index in 0..10 {
        let mut client = if index % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        let request = authed(
            pb::CheckInRequest {
                event: national_day.name.clone(),
                code: seat.code.to_lowercase(),
            },
            &token,
        );
        checks.push(tokio::spawn(async move { client.check_in(request).await }));
    }
    let mut succeeded = 0;
    for check in checks {
        match check.await.unwrap() {
            Ok(_) => succeeded += 1,
            Err(status) => {
                assert_status(
                    Err::<(), _>(status),
                    Code::FailedPrecondition,
                    reasons::ALREADY_CHECKED_IN,
                );
            }
        }
    }
    assert_eq!(succeeded, 1);

    // The desk's streamed export holds the same roster.
    let mut stream = first
        .export_roster(authed(
            pb::ExportRosterRequest {
                parent: national_day.name.clone(),
                status: 0,
                checked_in: None,
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    let mut exported = 0;
    while let Some(batch) = stream.message().await.unwrap() {
        exported += batch.registrations.len();
    }
    assert_eq!(exported, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_registrations_spread_over_events_keep_each_events_counts() {
    let app = Spawn::replicas(1).start().await;
    let token = app.bm();
    let mut client = app.client(0).await;
    // Five events of 3 seats each: concurrent calls on them share transactions, which
    // then store several events' counts at once.
    let mut events = Vec::new();
    for day in 1..=5 {
        events.push(
            published(
                &mut client,
                &token,
                event(
                    &format!("2027-09-0{day}T10:00"),
                    &format!("2027-09-0{day}T12:00"),
                    3,
                    0,
                ),
            )
            .await,
        );
    }
    let mut calls = Vec::new();
    for index in 0..40 {
        let mut client = client.clone();
        let request = authed(
            register_request(&events[index % 5].name, attendee(index)),
            &token,
        );
        calls.push(tokio::spawn(async move {
            client.register_attendee(request).await
        }));
    }
    for call in calls {
        call.await.unwrap().unwrap();
    }
    for event in &events {
        let roster = full_roster(&mut client, &token, &event.name).await;
        assert_eq!(roster.len(), 8);
        assert_eq!(waitlist_positions(&roster), (1..=5).collect::<Vec<i32>>());
        assert_eq!(
            seat_counts(&mut client, &token, &event.name).await,
            (3, 5, 0),
            "{}",
            event.name
        );
    }
    // The next on each line is numbered after its stored counter: 6.
    for (index, event) in events.iter().enumerate() {
        let late = client
            .register_attendee(authed(
                register_request(&event.name, attendee(100 + index)),
                &token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(late.waitlist_position, 6, "{}", event.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_refuses_a_person_only_on_the_event_they_already_hold() {
    let app = TestApp::one().await;
    let token = app.bm();
    let mut client = app.client(0).await;
    let first = published(
        &mut client,
        &token,
        event("2027-10-01T10:00", "2027-10-01T12:00", 10, 0),
    )
    .await;
    let second = published(
        &mut client,
        &token,
        event("2027-10-02T10:00", "2027-10-02T12:00", 10, 0),
    )
    .await;
    register(&mut client, &token, &first.name, attendee(1))
        .await
        .unwrap();

    // In flight together, so that they share batches: the person of the first event on
    // both events, and others beside them.
    let wanted = [
        (&first, 1),
        (&second, 1),
        (&first, 2),
        (&second, 3),
        (&first, 4),
    ];
    let calls: Vec<_> = wanted
        .iter()
        .map(|(event, person)| {
            let mut client = client.clone();
            let request = authed(register_request(&event.name, attendee(*person)), &token);
            tokio::spawn(async move { client.register_attendee(request).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for call in calls {
        outcomes.push(
            call.await
                .unwrap()
                .map(|_| ())
                .map_err(|status| status.code()),
        );
    }

    assert_eq!(
        outcomes,
        [Err(Code::AlreadyExists), Ok(()), Ok(()), Ok(()), Ok(())]
    );
    assert_eq!(full_roster(&mut client, &token, &first.name).await.len(), 3);
    assert_eq!(
        full_roster(&mut client, &token, &second.name).await.len(),
        2
    );
}

#[tokio::test]
async fn one_person_registers_once_whatever_the_spelling() {
    let app = TestApp::one().await;
    let token = app.bm();
    let mut client = app.client(0).await;
    let desk = published(
        &mut client,
        &token,
        event("2027-08-10T10:00", "2027-08-10T13:00", 10, 2),
    )
    .await;
    let by = |phone: &str, email: &str| pb::Attendee {
        display_name: "Une participante".into(),
        phone: phone.into(),
        email: email.into(),
        ..Default::default()
    };
    register(&mut client, &token, &desk.name, by("0612345678", ""))
        .await
        .unwrap();
    assert_status(
        register(
            &mut client,
            &token,
            &desk.name,
            by("+212 6 12 34 56 78", ""),
        )
        .await,
        Code::AlreadyExists,
        reasons::ALREADY_REGISTERED,
    );
    register(
        &mut client,
        &token,
        &desk.name,
        by("", "Someone@Example.org"),
    )
    .await
    .unwrap();
    assert_status(
        register(
            &mut client,
            &token,
            &desk.name,
            by("", "someone@example.ORG"),
        )
        .await,
        Code::AlreadyExists,
        reasons::ALREADY_REGISTERED,
    );
    let status = assert_status(
        register(&mut client, &token, &desk.name, by("12", "not-an-email")).await,
        Code::InvalidArgument,
        reasons::INVALID_ARGUMENT,
    );
    let mut fields = jalia_testing::violated_fields(&status);
    fields.sort();
    assert_eq!(
        fields,
        ["registration.attendee.email", "registration.attendee.phone"]
    );
}

#[tokio::test]
async fn another_portal_is_refused_a_registered_person_without_being_told_so() {
    let app = TestApp::one().await;
    let organiser = app.bm();
    let consulate = app.token_of("consulate-portal", "rabat", &["events.write"]);
    let other_portal = app.token_of("citizen-portal", "rabat", &["events.write"]);
    let organiser_desk = app.token_of("reception", "bm", &["events.write"]);
    let mut client = app.client(0).await;
    let day = published(
        &mut client,
        &organiser,
        event("2027-08-10T10:00", "2027-08-10T13:00", 10, 0),
    )
    .await;
    let person = pb::Attendee {
        display_name: "Samira El Idrissi".into(),
        email: "samira.elidrissi@example.be".into(),
        phone: "+32 470 11 22 33".into(),
        ..Default::default()
    };
    let made = register(&mut client, &consulate, &day.name, person.clone())
        .await
        .unwrap();
    assert_eq!(made.registered_by, "rabat/consulate-portal");

    // The portal that made it, and the organiser, may know: ALREADY_EXISTS.
    for token in [&consulate, &organiser_desk] {
        assert_status(
            register(&mut client, token, &day.name, person.clone()).await,
            Code::AlreadyExists,
            reasons::ALREADY_REGISTERED,
        );
    }
    // Any other caller learns only that the contact cannot be registered through it,
    // in the same words whichever contact matched, and nothing of the registration.
    let by_email = pb::Attendee {
        phone: String::new(),
        display_name: "Quelqu'un".into(),
        ..person.clone()
    };
    let by_phone = pb::Attendee {
        email: String::new(),
        display_name: "Quelqu'un d'autre".into(),
        ..person.clone()
    };
    let mut answers = Vec::new();
    for attempt in [person.clone(), by_email, by_phone] {
        let status = assert_status(
            register(&mut client, &other_portal, &day.name, attempt).await,
            Code::FailedPrecondition,
            reasons::CONTACT_UNAVAILABLE,
        );
        let told = format!("{} {:?}", status.message(), status.details());
        for secret in ["Samira", "samira", "470", &made.code, &made.name] {
            assert!(!told.contains(secret), "the refusal tells `{secret}`");
        }
        answers.push(status.message().to_owned());
    }
    assert!(
        answers.windows(2).all(|pair| pair[0] == pair[1]),
        "{answers:?}"
    );
}

#[tokio::test]
async fn a_full_waitlist_refuses_registrations() {
    let app = TestApp::one().await;
    let token = app.bm();
    let mut client = app.client(0).await;
    let mut small = event("2027-08-10T10:00", "2027-08-10T13:00", 1, 0);
    small
        .registration_settings
        .as_mut()
        .unwrap()
        .waitlist_capacity = Some(2);
    let session = published(&mut client, &token, small).await;
    assert_eq!(
        session
            .registration_settings
            .as_ref()
            .unwrap()
            .waitlist_capacity,
        Some(2)
    );
    for index in 0..3 {
        register(&mut client, &token, &session.name, attendee(index))
            .await
            .unwrap();
    }
    assert_status(
        register(&mut client, &token, &session.name, attendee(3)).await,
        Code::FailedPrecondition,
        reasons::WAITLIST_FULL,
    );
    // One more place in line, through the sub-path of the settings.
    client
        .update_event(authed(
            pb::UpdateEventRequest {
                event: Some(pb::Event {
                    name: session.name.clone(),
                    etag: session.etag.clone(),
                    registration_settings: Some(pb::RegistrationSettings {
                        waitlist_capacity: Some(3),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["registration_settings.waitlist_capacity".into()],
                }),
            },
            &token,
        ))
        .await
        .unwrap();
    let third_in_line = register(&mut client, &token, &session.name, attendee(3))
        .await
        .unwrap();
    assert_eq!(third_in_line.waitlist_position, 3);
}

#[tokio::test]
async fn a_portal_holds_at_most_its_quota_of_registrations_per_event() {
    let app = Spawn::one()
        .configured(|config| config.registrations_per_portal = 2)
        .start()
        .await;
    let organiser = app.bm();
    let portal = app.token_of("consulate-portal", "rabat", &["events.write"]);
    let other_portal = app.token_of("citizen-portal", "rabat", &["events.write"]);
    let mut client = app.client(0).await;
    let day = published(
        &mut client,
        &organiser,
        event("2027-08-10T10:00", "2027-08-10T13:00", 100, 0),
    )
    .await;
    let first = register(&mut client, &portal, &day.name, attendee(1))
        .await
        .unwrap();
    register(&mut client, &portal, &day.name, attendee(2))
        .await
        .unwrap();
    assert_status(
        register(&mut client, &portal, &day.name, attendee(3)).await,
        Code::ResourceExhausted,
        reasons::PORTAL_QUOTA_EXCEEDED,
    );
    // Another system has its own quota, and the organiser none.
    register(&mut client, &other_portal, &day.name, attendee(3))
        .await
        .unwrap();
    for index in 4..8 {
        register(&mut client, &organiser, &day.name, attendee(index))
            .await
            .unwrap();
    }
    // A registration that ends gives the portal its place back.
    let held = client
        .get_registration(authed(
            pb::GetRegistrationRequest {
                name: first.name.clone(),
                language_code: String::new(),
            },
            &organiser,
        ))
        .await
        .unwrap()
        .into_inner();
    client
        .cancel_registration(authed(
            pb::CancelRegistrationRequest {
                name: held.name,
                etag: held.etag,
            },
            &organiser,
        ))
        .await
        .unwrap();
    register(&mut client, &portal, &day.name, attendee(8))
        .await
        .unwrap();
}

#[tokio::test]
async fn reserved_seats_are_withheld_until_released() {
    let app = TestApp::one().await;
    let token = app.bm();
    let mut client = app.client(0).await;
    let session = published(
        &mut client,
        &token,
        event("2027-08-10T10:00", "2027-08-10T13:00", 3, 1),
    )
    .await;
    let mut made = Vec::new();
    for index in 0..3 {
        made.push(
            register(&mut client, &token, &session.name, attendee(index))
                .await
                .unwrap(),
        );
    }
    let statuses: Vec<_> = made.iter().map(status_of).collect();
    assert_eq!(
        statuses,
        [
            pb::RegistrationStatus::Confirmed,
            pb::RegistrationStatus::Confirmed,
            pb::RegistrationStatus::Waitlisted
        ],
        "the reserved seat is never offered"
    );
    let summary = read(&mut client, &token, &session.name)
        .await
        .registration_summary
        .unwrap();
    assert_eq!((summary.reserved_seats, summary.remaining_seats), (1, 0));
    let released = pb::Event {
        name: session.name.clone(),
        etag: session.etag.clone(),
        registration_settings: Some(pb::RegistrationSettings {
            capacity: 3,
            reserved_seats: 0,
            ..Default::default()
        }),
        ..Default::default()
    };
    let released = update_fields(
        &mut client,
        &token,
        released,
        &["registration_settings.reserved_seats"],
    )
    .await
    .unwrap();
    let summary = released.registration_summary.unwrap();
    assert_eq!(
        (summary.confirmed_count, summary.waitlisted_count),
        (3, 0),
        "the released seat goes to the first in line"
    );
    let roster = full_roster(&mut client, &token, &session.name).await;
    assert!(
        roster
            .iter()
            .all(|r| status_of(r) == pb::RegistrationStatus::Confirmed)
    );
}

#[tokio::test]
async fn the_desk_counts_who_checked_in() {
    let app = TestApp::one().await;
    let token = app.bm();
    let mut client = app.client(0).await;
    let desk = published(
        &mut client,
        &token,
        event("2027-08-10T10:00", "2027-08-10T13:00", 5, 0),
    )
    .await;
    let mut made = Vec::new();
    for index in 0..3 {
        made.push(
            register(&mut client, &token, &desk.name, attendee(index))
                .await
                .unwrap(),
        );
    }
    let checked = client
        .check_in(authed(
            pb::CheckInRequest {
                event: desk.name.clone(),
                code: format!("{}-{}", &made[1].code[..4], &made[1].code[4..]),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(checked.name, made[1].name);
    assert!(checked.check_in_time.is_some());
    let summary = read(&mut client, &token, &desk.name)
        .await
        .registration_summary
        .unwrap();
    assert_eq!((summary.confirmed_count, summary.checked_in_count), (3, 1));
    let arrived = client
        .list_registrations(authed(
            pb::ListRegistrationsRequest {
                parent: desk.name.clone(),
                checked_in: Some(true),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    let names: Vec<_> = arrived
        .registrations
        .iter()
        .map(|r| r.name.clone())
        .collect();
    assert_eq!(names, [made[1].name.clone()]);
    assert_status(
        client
            .cancel_registration(authed(
                pb::CancelRegistrationRequest {
                    name: checked.name.clone(),
                    etag: checked.etag.clone(),
                },
                &token,
            ))
            .await,
        Code::FailedPrecondition,
        reasons::ALREADY_CHECKED_IN,
    );
}

/// A replica decides seats on the event as the database holds it, even when it keeps an
/// older copy: here another replica raised the capacity since this one last read it.
#[tokio::test]
async fn a_replica_seats_by_the_capacity_another_just_raised() {
    let app = Spawn::replicas(2).start().await;
    let token = app.bm();
    let (mut organiser, mut desk) = (app.client(0).await, app.client(1).await);
    let session = published(
        &mut organiser,
        &token,
        event("2027-11-04T09:00", "2027-11-04T12:00", 1, 0),
    )
    .await;
    let first = register(&mut desk, &token, &session.name, attendee(1))
        .await
        .unwrap();
    let second = register(&mut desk, &token, &session.name, attendee(2))
        .await
        .unwrap();
    assert_eq!(status_of(&first), pb::RegistrationStatus::Confirmed);
    assert_eq!(status_of(&second), pb::RegistrationStatus::Waitlisted);
    let kept = read(&mut desk, &token, &session.name).await;

    let raised = pb::Event {
        name: session.name.clone(),
        etag: kept.etag.clone(),
        registration_settings: Some(pb::RegistrationSettings {
            capacity: 3,
            ..Default::default()
        }),
        ..Default::default()
    };
    update_fields(
        &mut organiser,
        &token,
        raised,
        &["registration_settings.capacity"],
    )
    .await
    .unwrap();
    let third = register(&mut desk, &token, &session.name, attendee(3))
        .await
        .unwrap();
    assert_eq!(
        status_of(&third),
        pb::RegistrationStatus::Confirmed,
        "the raise promoted the second; the third takes the last seat"
    );
    let fourth = register(&mut desk, &token, &session.name, attendee(4))
        .await
        .unwrap();
    assert_eq!(status_of(&fourth), pb::RegistrationStatus::Waitlisted);
    assert_eq!(seat_counts(&mut desk, &token, &session.name).await.0, 3);
}
