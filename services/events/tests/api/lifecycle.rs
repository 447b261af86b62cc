//! An event's life: its seats as the organiser changes capacity, its programme as it
//! moves, postponement, completion with its outcomes, and the update_mask rule.

use jalia_proto::events::v1 as pb;
use jalia_proto::r#type::v1 as wire;
use jalia_runtime::{ManualClock, reasons};
use jalia_testing::authed;
use jiff::Timestamp;
use tonic::Code;

use crate::helpers::{
    Spawn, TestApp, assert_invalid, assert_status, at, attendee, event, published, read, register,
    register_request, served, status_of, text,
};

#[tokio::test]
async fn seats_follow_capacity_changes_and_the_lifecycle_is_enforced() {
    let clock = ManualClock::new(Timestamp::from_second(1_785_600_000).unwrap()); // 2026-08-01
    let app = Spawn::one().on_clock(clock.clone()).start().await;
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
    assert_status(
        client.update_event(update(4, &session.etag)).await,
        Code::Aborted,
        reasons::STALE_ETAG,
    );

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
    let token = app.bm(); // a token is minted from the service's clock
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

fn role(role: &str) -> pb::Participant {
    pb::Participant {
        role: text("fr", role),
        organization: text("fr", "Agence urbaine de Béni Mellal"),
    }
}

#[tokio::test]
async fn the_programme_reads_back_and_moves_with_the_event() {
    let app = TestApp::one().await;
    let token = app.bm();
    let mut client = app.client(0).await;
    let mut day = event("2027-08-10T10:00", "2027-08-10T13:00", 10, 0);
    day.chair = Some(role("Le Wali de la région"));
    day.speakers = vec![role("Le Directeur"), role("La Cheffe du service juridique")];
    day.guests = vec![role("Le Secrétaire général des affaires régionales")];
    day.agenda_items = vec![
        pb::AgendaItem {
            title: text("fr", "Ouverture"),
            description: text("fr", "Mot d'accueil"),
            start: at("2027-08-10T10:00"),
            end: at("2027-08-10T10:30"),
            speakers: vec![role("Le Wali de la région")],
        },
        pb::AgendaItem {
            title: text("fr", "Services numériques"),
            start: at("2027-08-10T10:30"),
            end: at("2027-08-10T11:15"),
            speakers: vec![role("Le Directeur"), role("L'ingénieur")],
            ..Default::default()
        },
    ];
    let day = published(&mut client, &token, day).await;
    let back = read(&mut client, &token, &day.name).await;
    assert_eq!(
        served(&back.chair.as_ref().unwrap().role),
        "Le Wali de la région"
    );
    let speakers: Vec<String> = back.speakers.iter().map(|p| served(&p.role)).collect();
    assert_eq!(speakers, ["Le Directeur", "La Cheffe du service juridique"]);
    assert_eq!(
        served(&back.speakers[0].organization),
        "Agence urbaine de Béni Mellal"
    );
    let guests: Vec<String> = back.guests.iter().map(|p| served(&p.role)).collect();
    assert_eq!(guests, ["Le Secrétaire général des affaires régionales"]);
    // Guests change alone through the update mask; the speakers stay.
    let updated = client
        .update_event(authed(
            pb::UpdateEventRequest {
                event: Some(pb::Event {
                    name: back.name.clone(),
                    etag: back.etag.clone(),
                    guests: vec![
                        role("Le Vice-président du Conseil régional"),
                        role("Le Wali"),
                    ],
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["guests".into()],
                }),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    let guests: Vec<String> = updated.guests.iter().map(|p| served(&p.role)).collect();
    assert_eq!(guests, ["Le Vice-président du Conseil régional", "Le Wali"]);
    assert_eq!(updated.speakers.len(), 2);
    let day = read(&mut client, &token, &day.name).await;
    let titles: Vec<String> = back.agenda_items.iter().map(|i| served(&i.title)).collect();
    assert_eq!(titles, ["Ouverture", "Services numériques"]);
    assert_eq!(served(&back.agenda_items[0].description), "Mot d'accueil");
    assert_eq!(back.agenda_items[1].speakers.len(), 2);

    // A week later and an hour earlier: every item keeps its offset from the start.
    let moved = client
        .reschedule_event(authed(
            pb::RescheduleEventRequest {
                name: day.name.clone(),
                etag: day.etag.clone(),
                start: at("2027-08-17T09:00"),
                end: at("2027-08-17T12:00"),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    let local = |time: &Option<wire::ZonedDateTime>| time.as_ref().unwrap().local_date_time.clone();
    let times: Vec<(String, String)> = moved
        .agenda_items
        .iter()
        .map(|item| (local(&item.start), local(&item.end)))
        .collect();
    let pair = |start: &str, end: &str| (start.to_owned(), end.to_owned());
    assert_eq!(
        times,
        [
            pair("2027-08-17T09:00:00", "2027-08-17T09:30:00"),
            pair("2027-08-17T09:30:00", "2027-08-17T10:15:00"),
        ]
    );
    assert_eq!(local(&moved.previous_start), "2027-08-10T10:00:00");
    let again = read(&mut client, &token, &day.name).await;
    assert_eq!(again.agenda_items.len(), 2);
    assert_eq!(local(&again.agenda_items[1].end), "2027-08-17T10:15:00");
}

#[tokio::test]
async fn a_postponed_event_keeps_its_registrations_and_takes_none_until_rescheduled() {
    let app = TestApp::one().await;
    let token = app.bm();
    let mut client = app.client(0).await;
    let day = published(
        &mut client,
        &token,
        event("2027-08-10T10:00", "2027-08-10T13:00", 10, 0),
    )
    .await;
    let kept = register(&mut client, &token, &day.name, attendee(1))
        .await
        .unwrap();
    let postpone = |etag: &str| {
        authed(
            pb::PostponeEventRequest {
                name: day.name.clone(),
                etag: etag.to_owned(),
            },
            &token,
        )
    };
    let postponed = client
        .postpone_event(postpone(&day.etag))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(postponed.status, pb::EventStatus::Postponed as i32);
    assert_eq!(postponed.sequence, 1);
    assert_status(
        register(&mut client, &token, &day.name, attendee(2)).await,
        Code::FailedPrecondition,
        reasons::EVENT_NOT_PUBLISHED,
    );
    assert_status(
        client.postpone_event(postpone(&postponed.etag)).await,
        Code::FailedPrecondition,
        reasons::EVENT_NOT_PUBLISHED,
    );
    let ics = client
        .export_event_calendar(pb::ExportEventCalendarRequest {
            name: day.name.clone(),
            language_code: "fr".into(),
            publisher: None,
        })
        .await
        .unwrap()
        .into_inner()
        .calendar;
    assert!(ics.contains("STATUS:TENTATIVE") && ics.contains("SEQUENCE:1"));
    let again = client
        .reschedule_event(authed(
            pb::RescheduleEventRequest {
                name: day.name.clone(),
                etag: postponed.etag.clone(),
                start: at("2027-09-10T10:00"),
                end: at("2027-09-10T13:00"),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (again.status, again.sequence),
        (pb::EventStatus::Published as i32, 2)
    );
    let roster = crate::helpers::full_roster(&mut client, &token, &day.name).await;
    let kept_as_it_was: Vec<_> = roster
        .iter()
        .map(|r| (r.name.clone(), status_of(r)))
        .collect();
    assert_eq!(
        kept_as_it_was,
        [(kept.name.clone(), pb::RegistrationStatus::Confirmed)]
    );
    register(&mut client, &token, &day.name, attendee(2))
        .await
        .unwrap();
}

#[tokio::test]
async fn outcomes_and_attendance_read_back_and_an_empty_mask_changes_what_is_set() {
    let clock = ManualClock::new(Timestamp::from_second(1_785_600_000).unwrap()); // 2026-08-01
    let app = Spawn::one().on_clock(clock.clone()).start().await;
    let token = app.bm();
    let mut client = app.client(0).await;
    let meeting = published(
        &mut client,
        &token,
        event("2026-08-12T10:00", "2026-08-12T12:30", 50, 0),
    )
    .await;
    clock.set(Timestamp::from_second(1_786_600_000).unwrap()); // 2026-08-13
    let token = app.bm();
    let figure = |audience: wire::Audience, count| pb::AttendanceFigure {
        audience: audience as i32,
        count,
    };
    let done = client
        .complete_event(authed(
            pb::CompleteEventRequest {
                name: meeting.name.clone(),
                etag: meeting.etag.clone(),
                outcomes: Some(pb::EventOutcomes {
                    minutes_summary: text("fr", "Échanges sur l'aide directe au logement"),
                    attendance_count: 60,
                    attendance_by_audience: vec![
                        figure(wire::Audience::Diaspora, 45),
                        figure(wire::Audience::PublicOfficials, 15),
                    ],
                    decisions: vec![pb::Decision {
                        text: text("fr", "Publier le guide du permis en ligne"),
                        responsible: text("fr", "Agence urbaine de Béni Mellal"),
                        due_date: Some(wire::CivilDate {
                            date: "2026-09-15".into(),
                        }),
                    }],
                }),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    let outcomes = read(&mut client, &token, &done.name)
        .await
        .outcomes
        .unwrap();
    assert_eq!(outcomes.attendance_count, 60);
    let by_audience: Vec<(i32, i32)> = outcomes
        .attendance_by_audience
        .iter()
        .map(|f| (f.audience, f.count))
        .collect();
    assert_eq!(
        by_audience,
        [
            (wire::Audience::Diaspora as i32, 45),
            (wire::Audience::PublicOfficials as i32, 15)
        ]
    );
    assert_eq!(
        outcomes.decisions[0].due_date.as_ref().unwrap().date,
        "2026-09-15"
    );
    assert_eq!(
        served(&outcomes.minutes_summary),
        "Échanges sur l'aide directe au logement"
    );

    // An empty mask changes every updatable field the request sets: here the outcomes.
    let update = |event: pb::Event, paths: &[&str]| {
        authed(
            pb::UpdateEventRequest {
                event: Some(event),
                update_mask: (!paths.is_empty()).then(|| prost_types::FieldMask {
                    paths: paths.iter().map(|p| (*p).to_owned()).collect(),
                }),
            },
            &token,
        )
    };
    let amended = client
        .update_event(update(
            pb::Event {
                name: done.name.clone(),
                etag: done.etag.clone(),
                outcomes: Some(pb::EventOutcomes {
                    attendance_count: 62,
                    ..Default::default()
                }),
                ..Default::default()
            },
            &[],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(amended.outcomes.unwrap().attendance_count, 62);
    let bare = pb::Event {
        name: done.name.clone(),
        etag: amended.etag.clone(),
        ..Default::default()
    };
    // A path that is not updatable is named by its place in the mask.
    assert_invalid(
        client
            .update_event(update(bare.clone(), &["outcomes", "status"]))
            .await,
        "update_mask.paths[1]",
    );
    // An empty mask over a request that sets nothing updatable is refused on the mask.
    assert_invalid(client.update_event(update(bare, &[])).await, "update_mask");
}
