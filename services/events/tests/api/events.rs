//! Events: idempotent creation, who sees and changes what, the demo, and bad input named
//! field by field.

use std::collections::BTreeSet;

use jalia_proto::events::v1 as pb;
use jalia_runtime::reasons;
use jalia_testing::authed;
use tonic::Code;

use crate::helpers::{
    Spawn, TestApp, assert_invalid, assert_status, attendee, create, draft, event, published, read,
    register, register_request, seconds, served, text, update_fields,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_with_one_request_id_make_one_event() {
    let app = Spawn::replicas(2).start().await;
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
    let refused = client
        .create_event(authed(
            pb::CreateEventRequest {
                parent: "agencies/bm".into(),
                event: Some(other),
                request_id,
            },
            &token,
        ))
        .await;
    let status = assert_invalid(refused, "request_id");
    assert_eq!(jalia_testing::violated_fields(&status), ["request_id"]);
    // A request_id that is not a UUID is refused on request_id too.
    let mut malformed = create(event("2027-09-03T10:00", "2027-09-03T12:00", 30, 0));
    malformed.request_id = "retry-1".into();
    assert_invalid(
        client.create_event(authed(malformed, &token)).await,
        "request_id",
    );
}

#[tokio::test]
async fn the_demo_holds_the_2025_meetings_and_the_next_national_day() {
    let app = Spawn::one().with_demo().start().await;
    let mut client = app.client(0).await;
    let august_2025 = client
        .list_events(pb::ListEventsRequest {
            parent: "agencies/-".into(),
            start_after: seconds(1_754_002_800), // 2025-08-01T00:00+01:00
            start_before: seconds(1_756_681_200), // 2025-09-01T00:00+01:00
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
    // The Wilaya organised the National Day; the urban agency held its own meeting.
    assert!(wilaya.name.starts_with("agencies/wbmk/events/"));
    assert!(hq.name.starts_with("agencies/bm/events/"));
    let chair = wilaya.chair.as_ref().unwrap().role.as_ref().unwrap();
    assert!(chair.resolved.as_ref().unwrap().text.contains("Wali"));
    let role = |participant: &pb::Participant| {
        participant
            .role
            .as_ref()
            .unwrap()
            .resolved
            .as_ref()
            .unwrap()
            .text
            .clone()
    };
    let guests: Vec<String> = wilaya.guests.iter().map(role).collect();
    assert!(guests.contains(&"Le Secrétaire général des affaires régionales".to_owned()));
    let speakers: Vec<String> = wilaya.speakers.iter().map(role).collect();
    assert_eq!(
        speakers,
        ["Le Directeur de l'Agence urbaine de Béni Mellal"]
    );
    assert_eq!(wilaya.agenda_items.len(), 2);
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
    let token = app.token_of("ministry-portal", "*", &["events.write"]);
    // Its registration asks for consent to the current text.
    let settings = national_day.registration_settings.as_ref().unwrap();
    assert!(settings.consent_required);
    let mut request = register_request(&national_day.name, attendee(1));
    request.registration.as_mut().unwrap().consent = Some(pb::Consent {
        text_version: settings.consent_version.clone(),
        consent_time: None,
    });
    let registered = client
        .register_attendee(authed(request, &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(registered.status, pb::RegistrationStatus::Confirmed as i32);
}

#[tokio::test]
async fn another_agency_sees_no_private_data_and_changes_nothing() {
    let app = TestApp::one().await;
    let token = app.bm();
    let rabat = app.token("rabat");
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
    assert_status(
        client
            .create_event(authed(
                create(event("2027-11-01T10:00", "2027-11-01T12:00", 5, 0)),
                &rabat,
            ))
            .await,
        Code::PermissionDenied,
        reasons::OTHER_AGENCY,
    );
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
async fn bad_input_names_the_field_and_writes_nothing() {
    let app = TestApp::one().await;
    let token = app.bm();
    let mut client = app.client(0).await;
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
        assert_invalid(
            client.create_event(authed(create(bad), &token)).await,
            field,
        );
    }
    let status = assert_invalid(
        client
            .list_events(pb::ListEventsRequest {
                parent: "agencies/bm".into(),
                page_size: -1,
                ..Default::default()
            })
            .await,
        "page_size",
    );
    assert_eq!(jalia_testing::violated_fields(&status), ["page_size"]);
    let status = assert_invalid(
        client
            .list_events(pb::ListEventsRequest {
                parent: "agencies/bm".into(),
                page_token: "Zm9yZ2VkLXRva2Vu".into(),
                ..Default::default()
            })
            .await,
        "page_token",
    );
    assert_eq!(jalia_testing::violated_fields(&status), ["page_token"]);

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
    let status = assert_invalid(
        client
            .list_events(pb::ListEventsRequest {
                parent: "agencies/bm".into(),
                page_size: 1,
                page_token: page.next_page_token.clone(),
                kind: pb::EventKind::Workshop as i32,
                ..Default::default()
            })
            .await,
        "page_token",
    );
    assert_eq!(jalia_testing::violated_fields(&status), ["page_token"]);
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

/// Each replica keeps the events it read decoded; what another replica writes must still
/// show on its next read: an edit, seat counts, a deletion, and a private link hidden from
/// whoever may not see it even once the organiser's read was kept.
#[tokio::test]
async fn a_replica_reads_what_another_just_wrote() {
    let app = Spawn::replicas(2).start().await;
    let token = app.bm();
    let rabat = app.token("rabat");
    let (mut writer, mut reader) = (app.client(0).await, app.client(1).await);
    let mut hybrid = event("2027-10-01T10:00", "2027-10-01T12:00", 30, 0);
    hybrid.attendance_mode = pb::AttendanceMode::Hybrid as i32;
    hybrid.online_access = Some(pb::OnlineAccess {
        url: "https://visio.example.ma/private-room".into(),
        private: true,
    });
    let shown = published(&mut writer, &token, hybrid).await;
    let kept = read(&mut reader, &token, &shown.name).await;
    assert_eq!(kept.etag, shown.etag);
    assert_eq!(
        kept.online_access.unwrap().url,
        "https://visio.example.ma/private-room"
    );
    let public = read(&mut reader, &rabat, &shown.name).await;
    assert_eq!(
        public.online_access.unwrap().url,
        "",
        "hidden from another agency"
    );

    let retitled = pb::Event {
        name: shown.name.clone(),
        etag: shown.etag.clone(),
        title: text(
            "fr",
            "Journée nationale des Marocains résidant à l'étranger",
        ),
        ..Default::default()
    };
    let edited = update_fields(&mut writer, &token, retitled, &["title"])
        .await
        .unwrap();
    let after_edit = read(&mut reader, &token, &shown.name).await;
    assert_eq!(
        served(&after_edit.title),
        "Journée nationale des Marocains résidant à l'étranger"
    );
    assert_eq!(after_edit.etag, edited.etag);

    for index in 0..3 {
        register(&mut writer, &token, &shown.name, attendee(index))
            .await
            .unwrap();
    }
    let after_registrations = read(&mut reader, &token, &shown.name).await;
    assert_eq!(
        after_registrations
            .registration_summary
            .unwrap()
            .confirmed_count,
        3
    );
    assert_eq!(
        after_registrations.etag, edited.etag,
        "registrations do not change the etag"
    );

    let doomed = draft(
        &mut writer,
        &token,
        event("2027-10-02T10:00", "2027-10-02T12:00", 30, 0),
    )
    .await;
    read(&mut reader, &token, &doomed.name).await;
    writer
        .delete_event(authed(
            pb::DeleteEventRequest {
                name: doomed.name.clone(),
                etag: doomed.etag.clone(),
            },
            &token,
        ))
        .await
        .unwrap();
    let gone = reader
        .get_event(authed(
            pb::GetEventRequest {
                name: doomed.name.clone(),
                language_code: "fr".into(),
            },
            &token,
        ))
        .await;
    assert_eq!(gone.unwrap_err().code(), Code::NotFound);
}
