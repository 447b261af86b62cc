//! The person's own access to their registration: with its code and the email or phone
//! they gave, through any portal and without a token, they read it and withdraw it.

use jalia_proto::events::v1 as pb;
use jalia_runtime::reasons;
use jalia_testing::authed;
use tonic::Code;

use crate::helpers::{
    Client, TestApp, assert_status, attendee, event, published, register, status_of,
};

fn lookup_request(event: &str, code: &str, contact: &str) -> pb::LookupRegistrationRequest {
    pb::LookupRegistrationRequest {
        event: event.to_owned(),
        code: code.to_owned(),
        contact: contact.to_owned(),
    }
}

async fn lookup(
    client: &mut Client,
    event: &str,
    code: &str,
    contact: &str,
) -> Result<pb::SelfServiceRegistration, tonic::Status> {
    client
        .lookup_registration(lookup_request(event, code, contact))
        .await
        .map(|response| response.into_inner().registration.unwrap())
}

async fn withdraw(
    client: &mut Client,
    event: &str,
    code: &str,
    contact: &str,
) -> Result<pb::SelfServiceRegistration, tonic::Status> {
    client
        .withdraw_registration(pb::WithdrawRegistrationRequest {
            event: event.to_owned(),
            code: code.to_owned(),
            contact: contact.to_owned(),
        })
        .await
        .map(|response| response.into_inner().registration.unwrap())
}

/// A hybrid event of one seat with a private link.
fn one_seat_with_a_private_link() -> pb::Event {
    let mut hybrid = event("2027-08-10T10:00", "2027-08-10T13:00", 1, 0);
    hybrid.attendance_mode = pb::AttendanceMode::Hybrid as i32;
    hybrid.online_access = Some(pb::OnlineAccess {
        url: "https://visio.example.ma/jnmre-2027".into(),
        private: true,
    });
    hybrid
}

#[tokio::test]
async fn a_person_reads_and_withdraws_their_registration_and_the_next_in_line_gets_the_seat() {
    let app = TestApp::one().await;
    let portal = app.token_of("consulate-portal", "rabat", &["events.write"]);
    let mut client = app.client(0).await;
    let day = published(&mut client, &app.bm(), one_seat_with_a_private_link()).await;
    let seated = register(&mut client, &portal, &day.name, attendee(1))
        .await
        .unwrap();
    let mut by_phone = attendee(2);
    by_phone.phone = "06 61 00 00 02".into();
    let first_in_line = register(&mut client, &portal, &day.name, by_phone)
        .await
        .unwrap();
    let second_in_line = register(&mut client, &portal, &day.name, attendee(3))
        .await
        .unwrap();

    // Read with the code as typed (any case, hyphenated) and the email in any case.
    let typed = format!("{}-{}", &seated.code[..4], &seated.code[4..]).to_lowercase();
    let own = lookup(
        &mut client,
        &day.name,
        &typed,
        "PARTICIPANT.0001@example.org",
    )
    .await
    .unwrap();
    assert_eq!(own.event, day.name);
    assert_eq!(own.status, pb::RegistrationStatus::Confirmed as i32);
    assert_eq!(own.online_url, "https://visio.example.ma/jnmre-2027");
    let waiting = lookup(&mut client, &day.name, &first_in_line.code, "+212661000002")
        .await
        .unwrap();
    assert_eq!(
        (
            waiting.status,
            waiting.waitlist_position,
            waiting.online_url.as_str()
        ),
        (pb::RegistrationStatus::Waitlisted as i32, 1, "")
    );

    // Withdrawn: the seat goes to the first in line in the same step.
    let withdrawn = withdraw(
        &mut client,
        &day.name,
        &seated.code,
        "participant.0001@example.org",
    )
    .await
    .unwrap();
    assert_eq!(withdrawn.status, pb::RegistrationStatus::Cancelled as i32);
    assert_eq!(withdrawn.online_url, "");
    let promoted = lookup(&mut client, &day.name, &first_in_line.code, "0661000002")
        .await
        .unwrap();
    assert_eq!(promoted.status, pb::RegistrationStatus::Confirmed as i32);
    assert_eq!(promoted.online_url, "https://visio.example.ma/jnmre-2027");
    let next = lookup(
        &mut client,
        &day.name,
        &second_in_line.code,
        "participant.0003@example.org",
    )
    .await
    .unwrap();
    assert_eq!(next.waitlist_position, 1);
    let roster = crate::helpers::full_roster(&mut client, &app.bm(), &day.name).await;
    let statuses: Vec<_> = roster.iter().map(status_of).collect();
    assert_eq!(
        statuses,
        [
            pb::RegistrationStatus::Cancelled,
            pb::RegistrationStatus::Confirmed,
            pb::RegistrationStatus::Waitlisted
        ]
    );

    // Once is enough.
    assert_status(
        withdraw(
            &mut client,
            &day.name,
            &seated.code,
            "participant.0001@example.org",
        )
        .await,
        Code::FailedPrecondition,
        reasons::REGISTRATION_CANCELLED,
    );
}

#[tokio::test]
async fn a_wrong_code_and_a_wrong_contact_get_one_and_the_same_answer() {
    let app = TestApp::one().await;
    let token = app.bm();
    let mut client = app.client(0).await;
    let day = published(
        &mut client,
        &token,
        event("2027-08-10T10:00", "2027-08-10T13:00", 5, 0),
    )
    .await;
    let other = published(
        &mut client,
        &token,
        event("2027-09-10T10:00", "2027-09-10T13:00", 5, 0),
    )
    .await;
    let held = register(&mut client, &token, &day.name, attendee(1))
        .await
        .unwrap();
    let wrong_code = if held.code.starts_with('A') {
        format!("B{}", &held.code[1..])
    } else {
        format!("A{}", &held.code[1..])
    };
    let email = "participant.0001@example.org";
    let unknown_event = format!("agencies/bm/events/{}", uuid::Uuid::now_v7().hyphenated());
    let attempts = [
        (day.name.as_str(), wrong_code.as_str(), email),
        (
            day.name.as_str(),
            held.code.as_str(),
            "participant.0002@example.org",
        ),
        (day.name.as_str(), held.code.as_str(), "0612345678"),
        (day.name.as_str(), held.code.as_str(), ""),
        (day.name.as_str(), "not a code", email),
        (other.name.as_str(), held.code.as_str(), email),
        (unknown_event.as_str(), held.code.as_str(), email),
    ];
    let mut answers = Vec::new();
    for (event, code, contact) in attempts {
        let looked = assert_status(
            lookup(&mut client, event, code, contact).await,
            Code::NotFound,
            reasons::NOT_FOUND,
        );
        let withdrew = assert_status(
            withdraw(&mut client, event, code, contact).await,
            Code::NotFound,
            reasons::NOT_FOUND,
        );
        answers.push((looked.message().to_owned(), withdrew.message().to_owned()));
    }
    assert!(
        answers.windows(2).all(|pair| pair[0] == pair[1]),
        "{answers:?}"
    );
    // Nothing was withdrawn by the attempts.
    let still = lookup(&mut client, &day.name, &held.code, email)
        .await
        .unwrap();
    assert_eq!(still.status, pb::RegistrationStatus::Confirmed as i32);
}

#[tokio::test]
async fn a_person_checked_in_at_the_desk_cannot_withdraw() {
    let app = TestApp::one().await;
    let token = app.bm();
    let mut client = app.client(0).await;
    let desk = published(
        &mut client,
        &token,
        event("2027-08-10T10:00", "2027-08-10T13:00", 5, 0),
    )
    .await;
    let held = register(&mut client, &token, &desk.name, attendee(1))
        .await
        .unwrap();
    client
        .check_in(authed(
            pb::CheckInRequest {
                event: desk.name.clone(),
                code: held.code.clone(),
            },
            &token,
        ))
        .await
        .unwrap();
    let read = lookup(
        &mut client,
        &desk.name,
        &held.code,
        "participant.0001@example.org",
    )
    .await
    .unwrap();
    assert!(read.check_in_time.is_some());
    assert_status(
        withdraw(
            &mut client,
            &desk.name,
            &held.code,
            "participant.0001@example.org",
        )
        .await,
        Code::FailedPrecondition,
        reasons::ALREADY_CHECKED_IN,
    );
}
