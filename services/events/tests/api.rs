//! The events service over gRPC on a real server, on SQLite by default and on PostgreSQL
//! when JALIA_TEST_POSTGRES_URL is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

mod support;

use std::collections::BTreeSet;

use jalia_proto::events::v1 as pb;
use jalia_runtime::{ManualClock, system_clock};
use jiff::Timestamp;
use support::{TestApp, attendee, authed, event, published, register_request, text};
use tonic::Code;
use tonic_types::StatusExt;

fn field_of(status: &tonic::Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|bad| bad.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_never_overbook_across_two_instances() {
    let app = TestApp::spawn(2, system_clock()).await;
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
        .filter(|r| r.status == pb::RegistrationStatus::Confirmed as i32)
        .count();
    assert_eq!(confirmed, 50);

    // Positions as the roster reports them now: 1..150, no gap, no duplicate.
    let roster = full_roster(&mut first, &token, &national_day.name).await;
    assert_eq!(roster.len(), 200);
    let mut waitlisted: Vec<_> = roster
        .iter()
        .filter(|r| r.status == pb::RegistrationStatus::Waitlisted as i32)
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
        .filter(|r| r.status == pb::RegistrationStatus::Confirmed as i32)
        .take(10)
        .cloned()
        .collect();
    for (index, holder) in holders.iter().enumerate() {
        first
            .cancel_registration(authed(
                pb::CancelRegistrationRequest {
                    name: holder.name.clone(),
                    etag: holder.etag.clone(),
                },
                &token,
            ))
            .await
            .unwrap();
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
            promoted.status,
            pb::RegistrationStatus::Confirmed as i32,
            "position {}",
            index + 1
        );
    }
    let roster = full_roster(&mut first, &token, &national_day.name).await;
    let mut positions: Vec<i32> = roster
        .iter()
        .filter(|r| r.status == pb::RegistrationStatus::Waitlisted as i32)
        .map(|r| r.waitlist_position)
        .collect();
    positions.sort_unstable();
    assert_eq!(positions, (1..=140).collect::<Vec<i32>>());
    let event = first
        .get_event(authed(
            pb::GetEventRequest {
                name: national_day.name.clone(),
                language_code: String::new(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    let summary = event.registration_summary.unwrap();
    assert_eq!(
        (
            summary.confirmed_count,
            summary.waitlisted_count,
            summary.remaining_seats
        ),
        (50, 140, 0)
    );

    // Ten concurrent check-ins with one code: exactly one succeeds.
    let seat = roster
        .iter()
        .find(|r| r.status == pb::RegistrationStatus::Confirmed as i32)
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
                assert_eq!(status.code(), Code::FailedPrecondition);
                assert_eq!(
                    status.get_details_error_info().unwrap().reason,
                    "ALREADY_CHECKED_IN"
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

async fn full_roster(
    client: &mut jalia_proto::events::v1::event_service_client::EventServiceClient<
        tonic::transport::Channel,
    >,
    token: &str,
    event: &str,
) -> Vec<pb::Registration> {
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_registrations(authed(
                pb::ListRegistrationsRequest {
                    parent: event.to_owned(),
                    page_size: 70,
                    page_token: page_token.clone(),
                    ..Default::default()
                },
                token,
            ))
            .await
            .unwrap()
            .into_inner();
        all.extend(page.registrations);
        if page.next_page_token.is_empty() {
            return all;
        }
        page_token = page.next_page_token;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_with_one_request_id_make_one_event() {
    let app = TestApp::spawn(2, system_clock()).await;
    let token = app.bm();
    let clients = [app.client(0).await, app.client(1).await];
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut calls = Vec::new();
    for index in 0..20 {
        let mut client = clients[index % 2].clone();
        let request = authed(
            pb::CreateEventRequest {
                parent: "agencies/bm".into(),
                event: Some(event("2027-09-01T10:00", "2027-09-01T12:00", 30, 0)),
                request_id: request_id.clone(),
            },
            &token,
        );
        calls.push(tokio::spawn(
            async move { client.create_event(request).await },
        ));
    }
    let mut names = BTreeSet::new();
    for call in calls {
        names.insert(call.await.unwrap().unwrap().into_inner().name);
    }
    assert_eq!(names.len(), 1, "all 20 calls return the one event");
    let mut client = clients[0].clone();
    let listed = client
        .list_events(authed(
            pb::ListEventsRequest {
                parent: "agencies/bm".into(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.events.len(), 1);

    // The same request_id with another request is refused on request_id.
    let mut other = event("2027-09-02T10:00", "2027-09-02T12:00", 30, 0);
    other.title = text("fr", "Autre");
    let err = client
        .create_event(authed(
            pb::CreateEventRequest {
                parent: "agencies/bm".into(),
                event: Some(other),
                request_id,
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(field_of(&err), vec!["request_id".to_owned()]);
}

/// The instant a VTIMEZONE gives a local time: the offset of the latest observance whose
/// onset is not after it. Computed from the exported text alone.
fn instant_from_vtimezone(
    calendar: &ical::parser::ical::component::IcalCalendar,
    tzid: &str,
    local: &str,
) -> Timestamp {
    let zone = calendar
        .timezones
        .iter()
        .find(|tz| {
            tz.properties
                .iter()
                .any(|p| p.name == "TZID" && p.value.as_deref() == Some(tzid))
        })
        .expect("a VTIMEZONE for the TZID");
    let local_dt: jiff::civil::DateTime =
        jiff::civil::DateTime::strptime("%Y%m%dT%H%M%S", local).unwrap();
    let mut best: Option<(jiff::civil::DateTime, String)> = None;
    for observance in &zone.transitions {
        let get = |name: &str| {
            observance
                .properties
                .iter()
                .find(|p| p.name == name)
                .and_then(|p| p.value.clone())
                .unwrap()
        };
        let onset = jiff::civil::DateTime::strptime("%Y%m%dT%H%M%S", get("DTSTART")).unwrap();
        if onset <= local_dt && best.as_ref().is_none_or(|(b, _)| onset > *b) {
            best = Some((onset, get("TZOFFSETTO")));
        }
    }
    let offset = best.expect("an observance in force").1;
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let hours: i64 = offset[1..3].parse().unwrap();
    let minutes: i64 = offset[3..5].parse().unwrap();
    let utc_local =
        local_dt - jiff::SignedDuration::from_secs(sign * (hours * 3600 + minutes * 60));
    utc_local
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
}

#[tokio::test]
async fn ramadan_times_and_the_icalendar_export_agree() {
    let app = TestApp::spawn(1, system_clock()).await;
    let token = app.bm();
    let mut client = app.client(0).await;
    let ramadan = published(
        &mut client,
        &token,
        event("2026-03-01T10:00", "2026-03-01T12:00", 10, 0),
    )
    .await;
    let spring = published(
        &mut client,
        &token,
        event("2026-04-01T10:00", "2026-04-01T12:00", 10, 0),
    )
    .await;
    let instant = |e: &pb::Event| {
        let t = e.start.as_ref().unwrap().instant.unwrap();
        Timestamp::new(t.seconds, t.nanos).unwrap().to_string()
    };
    assert_eq!(instant(&ramadan), "2026-03-01T10:00:00Z");
    assert_eq!(instant(&spring), "2026-04-01T09:00:00Z");

    let export = client
        .export_events_calendar(pb::ExportEventsCalendarRequest {
            parent: "agencies/bm".into(),
            start_after: Some(prost_types::Timestamp {
                seconds: 1_772_323_200,
                nanos: 0,
            }), // 2026-03-01T00:00Z
            start_before: Some(prost_types::Timestamp {
                seconds: 1_775_174_400,
                nanos: 0,
            }), // 2026-04-03T00:00Z
            language_code: "fr".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(export.content_type, "text/calendar; charset=utf-8");
    let mut parser = ical::IcalParser::new(std::io::BufReader::new(export.calendar.as_bytes()));
    let calendar = parser.next().unwrap().unwrap();
    assert_eq!(calendar.events.len(), 2);
    let mut seen = Vec::new();
    for vevent in &calendar.events {
        let start = vevent
            .properties
            .iter()
            .find(|p| p.name == "DTSTART")
            .unwrap();
        let tzid = start
            .params
            .as_ref()
            .and_then(|params| params.iter().find(|(k, _)| k == "TZID"))
            .map(|(_, v)| v[0].clone())
            .unwrap();
        assert_eq!(tzid, "Africa/Casablanca");
        let local = start.value.clone().unwrap();
        assert!(local.ends_with("T100000"), "local time 10:00: {local}");
        seen.push(instant_from_vtimezone(&calendar, &tzid, &local).to_string());
        let uid = vevent
            .properties
            .iter()
            .find(|p| p.name == "UID")
            .unwrap()
            .value
            .clone()
            .unwrap();
        assert!(uid.ends_with("@jalia"));
    }
    seen.sort();
    assert_eq!(
        seen,
        vec![
            "2026-03-01T10:00:00Z".to_owned(),
            "2026-04-01T09:00:00Z".to_owned()
        ]
    );

    // UID is stable; SEQUENCE goes up on reschedule; STATUS:CANCELLED once cancelled.
    let one = |client: &mut jalia_proto::events::v1::event_service_client::EventServiceClient<
        tonic::transport::Channel,
    >,
               name: String| {
        let mut client = client.clone();
        async move {
            client
                .export_event_calendar(pb::ExportEventCalendarRequest {
                    name,
                    language_code: "fr".into(),
                })
                .await
                .unwrap()
                .into_inner()
                .calendar
        }
    };
    let before = one(&mut client, spring.name.clone()).await;
    let moved = client
        .reschedule_event(authed(
            pb::RescheduleEventRequest {
                name: spring.name.clone(),
                etag: spring.etag.clone(),
                start: support::at("2026-04-08T10:00"),
                end: support::at("2026-04-08T12:00"),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(moved.sequence, 1);
    assert_eq!(
        moved.previous_start.as_ref().unwrap().local_date_time,
        "2026-04-01T10:00:00"
    );
    let after = one(&mut client, spring.name.clone()).await;
    let uid = |ics: &str| {
        ics.lines()
            .find(|l| l.starts_with("UID:"))
            .unwrap()
            .to_owned()
    };
    assert_eq!(uid(&before), uid(&after));
    assert!(after.contains("SEQUENCE:1"));
    client
        .cancel_event(authed(
            pb::CancelEventRequest {
                name: moved.name.clone(),
                etag: moved.etag.clone(),
                reason: text("fr", "Reportée sine die"),
            },
            &token,
        ))
        .await
        .unwrap();
    let cancelled = one(&mut client, spring.name.clone()).await;
    assert!(
        cancelled.contains("STATUS:CANCELLED") && cancelled.contains("SEQUENCE:2"),
        "{cancelled}"
    );
}

#[tokio::test]
async fn the_demo_holds_the_2025_meetings_and_the_next_national_day() {
    let app = TestApp::spawn_with(1, system_clock(), true).await;
    let mut client = app.client(0).await;
    let august_2025 = client
        .list_events(pb::ListEventsRequest {
            parent: "agencies/bm".into(),
            start_after: Some(prost_types::Timestamp {
                seconds: 1_754_002_800,
                nanos: 0,
            }), // 2025-08-01T00:00+01:00
            start_before: Some(prost_types::Timestamp {
                seconds: 1_756_681_200,
                nanos: 0,
            }), // 2025-09-01T00:00+01:00
            language_code: "fr".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(august_2025.events.len(), 2);
    let [wilaya, hq] = &august_2025.events[..] else {
        panic!()
    };
    assert_eq!(
        wilaya.start.as_ref().unwrap().local_date_time,
        "2025-08-10T10:00:00"
    );
    assert_eq!(
        hq.start.as_ref().unwrap().local_date_time,
        "2025-08-12T10:00:00"
    );
    for meeting in [wilaya, hq] {
        assert_eq!(meeting.status, pb::EventStatus::Completed as i32);
        assert!(meeting.outcomes.as_ref().unwrap().minutes_summary.is_some());
    }
    let chair = wilaya.chair.as_ref().unwrap().role.as_ref().unwrap();
    assert!(chair.resolved.as_ref().unwrap().text.contains("Wali"));
    assert!(
        wilaya
            .theme
            .as_ref()
            .unwrap()
            .resolved
            .as_ref()
            .unwrap()
            .text
            .contains("digitalisation")
    );
    assert!(
        wilaya
            .venue
            .as_ref()
            .unwrap()
            .display_name
            .as_ref()
            .unwrap()
            .resolved
            .as_ref()
            .unwrap()
            .text
            .contains("Wilaya")
    );
    assert!(
        hq.description
            .as_ref()
            .unwrap()
            .resolved
            .as_ref()
            .unwrap()
            .text
            .contains("aide directe au logement")
    );

    // Arabic readers are served Arabic, right to left.
    let arabic = client
        .get_event(pb::GetEventRequest {
            name: wilaya.name.clone(),
            language_code: "ar-MA".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let title = arabic.title.unwrap().resolved.unwrap();
    assert_eq!(
        (title.language_code.as_str(), title.direction),
        ("ar", jalia_proto::r#type::v1::TextDirection::Rtl as i32)
    );

    let next = client
        .list_events(pb::ListEventsRequest {
            parent: "agencies/-".into(),
            kind: pb::EventKind::NationalDay as i32,
            status: pb::EventStatus::Published as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(next.events.len(), 1);
    let national_day = &next.events[0];
    assert_eq!(
        national_day.start.as_ref().unwrap().local_date_time,
        "2027-08-10T10:00:00"
    );
    let token = app.token("ministry", &["events.write"]);
    let registered = client
        .register_attendee(authed(
            register_request(&national_day.name, attendee(1)),
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(registered.status, pb::RegistrationStatus::Confirmed as i32);
}

#[tokio::test]
async fn another_agency_sees_no_private_data_and_changes_nothing() {
    let app = TestApp::spawn(1, system_clock()).await;
    let token = app.bm();
    let rabat = app.token("rabat", &support::ALL_SCOPES);
    let mut client = app.client(0).await;
    let mut private = event("2027-10-01T10:00", "2027-10-01T12:00", 20, 0);
    private.attendance_mode = pb::AttendanceMode::Hybrid as i32;
    private.online_access = Some(pb::OnlineAccess {
        url: "https://visio.example.ma/bm-desk".into(),
        private: true,
    });
    let shared = published(&mut client, &token, private).await;
    let registration = client
        .register_attendee(authed(register_request(&shared.name, attendee(7)), &rabat))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        registration.online_url, "https://visio.example.ma/bm-desk",
        "a seat comes with the private link"
    );

    let public = client
        .get_event(pb::GetEventRequest {
            name: shared.name.clone(),
            language_code: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        public.online_access.as_ref().unwrap().url.is_empty(),
        "the private link is withheld"
    );

    let draft = client
        .create_event(authed(
            pb::CreateEventRequest {
                parent: "agencies/bm".into(),
                event: Some(event("2027-11-01T10:00", "2027-11-01T12:00", 5, 0)),
                request_id: String::new(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();

    let codes = [
        client
            .get_event(authed(
                pb::GetEventRequest {
                    name: draft.name.clone(),
                    language_code: String::new(),
                },
                &rabat,
            ))
            .await
            .unwrap_err()
            .code(),
        client
            .list_registrations(authed(
                pb::ListRegistrationsRequest {
                    parent: shared.name.clone(),
                    ..Default::default()
                },
                &rabat,
            ))
            .await
            .unwrap_err()
            .code(),
        client
            .get_registration(authed(
                pb::GetRegistrationRequest {
                    name: registration.name.clone(),
                    language_code: String::new(),
                },
                &rabat,
            ))
            .await
            .unwrap_err()
            .code(),
        client
            .export_roster(authed(
                pb::ExportRosterRequest {
                    parent: shared.name.clone(),
                    ..Default::default()
                },
                &rabat,
            ))
            .await
            .map(|_| ())
            .unwrap_err()
            .code(),
        client
            .update_event(authed(
                pb::UpdateEventRequest {
                    event: Some(pb::Event {
                        name: shared.name.clone(),
                        etag: shared.etag.clone(),
                        title: text("fr", "Piraté"),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["title".into()],
                    }),
                },
                &rabat,
            ))
            .await
            .unwrap_err()
            .code(),
        client
            .cancel_event(authed(
                pb::CancelEventRequest {
                    name: shared.name.clone(),
                    etag: shared.etag.clone(),
                    reason: text("fr", "x"),
                },
                &rabat,
            ))
            .await
            .unwrap_err()
            .code(),
        client
            .check_in(authed(
                pb::CheckInRequest {
                    event: shared.name.clone(),
                    code: registration.code.clone(),
                },
                &rabat,
            ))
            .await
            .unwrap_err()
            .code(),
    ];
    assert!(
        codes.iter().all(|code| *code == Code::NotFound),
        "{codes:?}"
    );
    let err = client
        .create_event(authed(
            pb::CreateEventRequest {
                parent: "agencies/bm".into(),
                event: Some(event("2027-11-01T10:00", "2027-11-01T12:00", 5, 0)),
                request_id: String::new(),
            },
            &rabat,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    // The owner sees the draft and the link.
    let own = client
        .get_event(authed(
            pb::GetEventRequest {
                name: shared.name.clone(),
                language_code: String::new(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        own.online_access.unwrap().url,
        "https://visio.example.ma/bm-desk"
    );
}

#[tokio::test]
async fn one_person_registers_once_whatever_the_spelling() {
    let app = TestApp::spawn(1, system_clock()).await;
    let token = app.bm();
    let mut client = app.client(0).await;
    let desk = published(
        &mut client,
        &token,
        event("2027-08-10T10:00", "2027-08-10T13:00", 10, 2),
    )
    .await;
    let by_phone = |phone: &str, email: &str| pb::Attendee {
        display_name: "Une participante".into(),
        phone: phone.into(),
        email: email.into(),
        ..Default::default()
    };
    client
        .register_attendee(authed(
            register_request(&desk.name, by_phone("0612345678", "")),
            &token,
        ))
        .await
        .unwrap();
    let err = client
        .register_attendee(authed(
            register_request(&desk.name, by_phone("+212 6 12 34 56 78", "")),
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    client
        .register_attendee(authed(
            register_request(&desk.name, by_phone("", "Someone@Example.org")),
            &token,
        ))
        .await
        .unwrap();
    let err = client
        .register_attendee(authed(
            register_request(&desk.name, by_phone("", "someone@example.ORG")),
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    let err = client
        .register_attendee(authed(
            register_request(&desk.name, by_phone("12", "not-an-email")),
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let mut fields = field_of(&err);
    fields.sort();
    assert_eq!(
        fields,
        vec!["registration.attendee.email", "registration.attendee.phone"]
    );
}

#[tokio::test]
async fn seats_follow_capacity_changes_and_the_lifecycle_is_enforced() {
    let clock = ManualClock::new(Timestamp::from_second(1_785_600_000).unwrap()); // 2026-08-01
    let app = TestApp::spawn(1, clock.clone()).await;
    let token = app.bm();
    let mut client = app.client(0).await;
    let session = published(
        &mut client,
        &token,
        event("2026-08-20T10:00", "2026-08-20T12:00", 2, 0),
    )
    .await;
    let mut names = Vec::new();
    for index in 0..4 {
        names.push(
            client
                .register_attendee(authed(
                    register_request(&session.name, attendee(index)),
                    &token,
                ))
                .await
                .unwrap()
                .into_inner(),
        );
    }
    assert_eq!(names[3].waitlist_position, 2);
    let update = |capacity: i32, etag: &str| {
        authed(
            pb::UpdateEventRequest {
                event: Some(pb::Event {
                    name: session.name.clone(),
                    etag: etag.to_owned(),
                    registration_settings: Some(pb::RegistrationSettings {
                        capacity,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["registration_settings.capacity".into()],
                }),
            },
            &token,
        )
    };
    let err = client
        .update_event(update(1, &session.etag))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::FailedPrecondition,
        "capacity below the confirmed count"
    );
    let raised = client
        .update_event(update(3, &session.etag))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        raised.registration_summary.unwrap().confirmed_count,
        3,
        "raising capacity promotes"
    );
    let err = client
        .update_event(update(4, &session.etag))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Aborted, "stale etag");

    let err = client
        .delete_event(authed(
            pb::DeleteEventRequest {
                name: session.name.clone(),
                etag: raised.etag.clone(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    let err = client
        .complete_event(authed(
            pb::CompleteEventRequest {
                name: session.name.clone(),
                etag: raised.etag.clone(),
                outcomes: None,
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "not started yet");

    // After the event: completed with outcomes; registration closes.
    clock.set(Timestamp::from_second(1_787_320_000).unwrap()); // 2026-08-21
    let token = app.bm(); // tokens live a day at most
    let done = client
        .complete_event(authed(
            pb::CompleteEventRequest {
                name: session.name.clone(),
                etag: raised.etag.clone(),
                outcomes: Some(pb::EventOutcomes {
                    attendance_count: 3,
                    minutes_summary: text("fr", "Questions sur le permis de construire"),
                    ..Default::default()
                }),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.status, pb::EventStatus::Completed as i32);
    let err = client
        .register_attendee(authed(register_request(&session.name, attendee(9)), &token))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn bad_input_names_the_field_and_writes_nothing() {
    let app = TestApp::spawn(1, system_clock()).await;
    let token = app.bm();
    let mut client = app.client(0).await;
    let create = |event: pb::Event| {
        authed(
            pb::CreateEventRequest {
                parent: "agencies/bm".into(),
                event: Some(event),
                request_id: String::new(),
            },
            &token,
        )
    };
    let mut cases: Vec<(pb::Event, &str)> = Vec::new();
    cases.push((
        event("2027-08-10T10:00", "2027-08-10T09:00", 10, 0),
        "event.end",
    ));
    let mut zone = event("2027-08-10T10:00", "2027-08-10T12:00", 10, 0);
    zone.start.as_mut().unwrap().time_zone = "Africa/Rabat".into();
    cases.push((zone, "event.start.time_zone"));
    let mut gap = event("2026-03-29T02:30", "2026-03-29T05:00", 10, 0);
    for time in [gap.start.as_mut().unwrap(), gap.end.as_mut().unwrap()] {
        time.time_zone = "Europe/Paris".into();
    }
    cases.push((gap, "event.start.local_date_time"));
    cases.push((
        event("2027-08-10T10:00", "2027-08-10T12:00", -5, 0),
        "event.registration_settings.capacity",
    ));
    cases.push((
        event("2027-08-10T10:00", "2027-08-10T12:00", 10, 11),
        "event.registration_settings.reserved_seats",
    ));
    let mut untitled = event("2027-08-10T10:00", "2027-08-10T12:00", 10, 0);
    untitled.title = Some(jalia_proto::r#type::v1::LocalizedText {
        entries: vec![
            jalia_proto::r#type::v1::LocalizedString {
                language_code: "fr".into(),
                text: "  ".into(),
            },
            jalia_proto::r#type::v1::LocalizedString {
                language_code: "ar".into(),
                text: String::new(),
            },
        ],
        resolved: None,
    });
    cases.push((untitled, "event.title.entries"));
    for (bad, field) in cases {
        let err = client.create_event(create(bad)).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{field}");
        assert!(
            field_of(&err).contains(&field.to_owned()),
            "{field}: {:?}",
            field_of(&err)
        );
    }
    let err = client
        .list_events(pb::ListEventsRequest {
            parent: "agencies/bm".into(),
            page_size: -1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(field_of(&err), vec!["page_size".to_owned()]);
    let err = client
        .list_events(pb::ListEventsRequest {
            parent: "agencies/bm".into(),
            page_token: "Zm9yZ2VkLXRva2Vu".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(field_of(&err), vec!["page_token".to_owned()]);

    // Nothing was written.
    let listed = client
        .list_events(authed(
            pb::ListEventsRequest {
                parent: "agencies/bm".into(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.events.is_empty());

    // A page token from another filter is refused too.
    for index in 0..3 {
        published(
            &mut client,
            &token,
            event(
                &format!("2027-0{}-10T10:00", index + 1),
                &format!("2027-0{}-10T12:00", index + 1),
                5,
                0,
            ),
        )
        .await;
    }
    let page = client
        .list_events(pb::ListEventsRequest {
            parent: "agencies/bm".into(),
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.events.len(), 1);
    assert!(!page.next_page_token.is_empty());
    let err = client
        .list_events(pb::ListEventsRequest {
            parent: "agencies/bm".into(),
            page_size: 1,
            page_token: page.next_page_token.clone(),
            kind: pb::EventKind::Workshop as i32,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(field_of(&err), vec!["page_token".to_owned()]);
    let large = client
        .list_events(pb::ListEventsRequest {
            parent: "agencies/bm".into(),
            page_size: 10_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        large.events.len(),
        3,
        "a page size over the maximum is clamped, not refused"
    );
}
