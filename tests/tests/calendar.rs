//! Calendar subscriptions through the gateway, with a real HTTP/1.1 client as calendar
//! clients use: an agency's feed and one event's, on the gateway's gRPC port, without a
//! token; ETag and 304; HEAD; 404 and 405; cancellations kept as STATUS:CANCELLED;
//! drafts and registrations never in a feed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use http::{Method, StatusCode, header};
use jalia_e2e::{TestSuite, http1, with_token};
use jalia_proto::events::v1 as events;
use jalia_proto::events::v1::event_service_client::EventServiceClient;
use jalia_proto::r#type::v1 as wire;
use tonic::transport::Channel;

type Client = EventServiceClient<Channel>;

fn french(text: &str) -> Option<wire::LocalizedText> {
    Some(wire::LocalizedText {
        entries: vec![wire::LocalizedString {
            language_code: "fr".into(),
            text: text.into(),
        }],
        resolved: None,
    })
}

fn casablanca(local: &str) -> Option<wire::ZonedDateTime> {
    Some(wire::ZonedDateTime {
        local_date_time: local.into(),
        time_zone: "Africa/Casablanca".into(),
        ..Default::default()
    })
}

/// An event of `bm` on 2027-03-{day}, 09:00 to 12:00, online or at the agency.
fn event(title: &str, day: u8, online: bool) -> events::Event {
    let mut event = events::Event {
        kind: events::EventKind::InformationSession as i32,
        title: french(title),
        start: casablanca(&format!("2027-03-{day:02}T09:00:00")),
        end: casablanca(&format!("2027-03-{day:02}T12:00:00")),
        audiences: vec![wire::Audience::Diaspora as i32],
        registration_settings: Some(events::RegistrationSettings {
            enabled: true,
            capacity: 50,
            ..Default::default()
        }),
        ..Default::default()
    };
    if online {
        event.attendance_mode = events::AttendanceMode::Online as i32;
        event.online_access = Some(events::OnlineAccess {
            url: "https://visio.example.ma/permanence-mre".into(),
            private: false,
        });
    } else {
        event.attendance_mode = events::AttendanceMode::InPerson as i32;
        event.venue = Some(events::Venue {
            display_name: french("Siège de l'Agence urbaine de Béni Mellal"),
            address: Some(wire::PostalAddress {
                locality: "Béni Mellal".into(),
                region_code: "MA".into(),
                ..Default::default()
            }),
        });
    }
    event
}

async fn create(client: &mut Client, token: &str, event: events::Event) -> events::Event {
    client
        .create_event(with_token(
            events::CreateEventRequest {
                parent: "agencies/bm".into(),
                event: Some(event),
                request_id: String::new(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

async fn publish(client: &mut Client, token: &str, event: events::Event) -> events::Event {
    let draft = create(client, token, event).await;
    client
        .publish_event(with_token(
            events::PublishEventRequest {
                name: draft.name,
                etag: draft.etag,
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

fn id(event: &events::Event) -> &str {
    event.name.rsplit('/').next().unwrap()
}

/// A GET (or another method) without a token, as a calendar client sends it.
async fn fetch(
    suite: &TestSuite,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, http::HeaderMap, String) {
    let (status, headers, body) =
        http1(suite.suite.gateway, method, path, headers, Vec::new()).await;
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn an_agency_calendar_is_a_feed_calendar_clients_can_subscribe_to() {
    let suite = TestSuite::start(None).await;
    let token = suite.token("calendar-journey", "bm", &["events.read", "events.write"]);
    let mut client = EventServiceClient::new(suite.gateway().await);
    let online = publish(
        &mut client,
        &token,
        event("Permanence MRE en ligne", 15, true),
    )
    .await;
    let desk = publish(
        &mut client,
        &token,
        event("Permanence MRE au siège", 16, false),
    )
    .await;
    let draft = create(&mut client, &token, event("Brouillon interne", 17, false)).await;
    // A registration's personal data never reaches a feed.
    client
        .register_attendee(with_token(
            events::RegisterAttendeeRequest {
                parent: desk.name.clone(),
                registration: Some(events::Registration {
                    attendee: Some(events::Attendee {
                        display_name: "Participant Calendrier".into(),
                        email: "participant.calendrier@example.org".into(),
                        residence_region_code: "FR".into(),
                        language_code: "fr".into(),
                        diaspora: true,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
            },
            &token,
        ))
        .await
        .unwrap();

    let feed = "/calendar/agencies/bm.ics?lang=fr";
    let (status, headers, body) = fetch(&suite, Method::GET, feed, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "text/calendar; charset=utf-8"
    );
    assert!(
        headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    assert!(
        etag.starts_with('"') && !etag.starts_with("W/"),
        "a strong tag: {etag}"
    );
    assert!(body.starts_with("BEGIN:VCALENDAR\r\n") && body.ends_with("END:VCALENDAR\r\n"));
    let unfolded = body.replace("\r\n ", "");
    for expected in [
        "METHOD:PUBLISH\r\n",
        "X-WR-CALNAME:Agence urbaine de Béni Mellal",
        "BEGIN:VTIMEZONE\r\nTZID:Africa/Casablanca\r\n",
        "DTSTART;TZID=Africa/Casablanca:20270315T090000\r\n",
        "ORGANIZER;CN=\"Agence urbaine de Béni Mellal",
        "CONFERENCE;VALUE=URI;FEATURE=AUDIO,VIDEO;LABEL=\"visio.example.ma\":https://visio.example.ma/permanence-mre\r\n",
        "LOCATION:Siège de l'Agence urbaine de Béni Mellal\\, Béni Mellal\r\n",
    ] {
        assert!(unfolded.contains(expected), "{expected} in {unfolded}");
    }
    assert!(unfolded.contains(&format!("UID:{}@jalia", id(&online))));
    assert!(unfolded.contains(&format!("UID:{}@jalia", id(&desk))));
    assert!(!unfolded.contains(id(&draft)), "a draft is never published");
    assert!(!unfolded.contains("Brouillon"));
    assert!(!unfolded.contains("participant.calendrier"));
    assert!(!unfolded.contains("Participant Calendrier"));

    // The same feed again: the same tag, and 304 without a body for a client that has it.
    let (_, again, _) = fetch(&suite, Method::GET, feed, &[]).await;
    assert_eq!(again[header::ETAG], etag.as_str());
    let (status, headers, body) =
        fetch(&suite, Method::GET, feed, &[("if-none-match", &etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(headers[header::ETAG], etag.as_str());
    // HEAD: the headers of a GET, no body.
    let (status, headers, body) = fetch(&suite, Method::HEAD, feed, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::ETAG], etag.as_str());
    assert!(body.is_empty());

    // Cancelled: still in the feed, as STATUS:CANCELLED with a higher SEQUENCE, so
    // subscribers see it go; and the tag changes with it.
    client
        .cancel_event(with_token(
            events::CancelEventRequest {
                name: desk.name.clone(),
                etag: desk.etag.clone(),
                reason: french("Reportée"),
            },
            &token,
        ))
        .await
        .unwrap();
    let (status, headers, body) =
        fetch(&suite, Method::GET, feed, &[("if-none-match", &etag)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(headers[header::ETAG], etag.as_str());
    let cancelled = body
        .replace("\r\n ", "")
        .split("BEGIN:VEVENT")
        .find(|vevent| vevent.contains(&format!("UID:{}@jalia", id(&desk))))
        .map(str::to_owned)
        .expect("the cancelled event stays in the feed");
    assert!(cancelled.contains("STATUS:CANCELLED\r\n"), "{cancelled}");
    assert!(cancelled.contains("SEQUENCE:1\r\n"), "{cancelled}");

    // One event's calendar.
    let path = format!("/calendar/agencies/bm/events/{}.ics", id(&online));
    let (status, _, body) = fetch(&suite, Method::GET, &path, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.matches("BEGIN:VEVENT").count(), 1);
    assert!(body.replace("\r\n ", "").contains("CONFERENCE;VALUE=URI"));

    // What is not public does not exist; only GET and HEAD.
    for missing in [
        "/calendar/agencies/nowhere.ics".to_owned(),
        format!("/calendar/agencies/bm/events/{}.ics", id(&draft)),
        format!("/calendar/agencies/bm/events/{}.ics", uuid::Uuid::now_v7()),
        "/calendar/agencies/bm/events/not-an-id.ics".to_owned(),
        "/calendar/agencies/bm".to_owned(),
    ] {
        let (status, _, _) = fetch(&suite, Method::GET, &missing, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    }
    let (status, headers, _) = fetch(&suite, Method::POST, feed, &[]).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers[header::ALLOW], "GET, HEAD");

    // gRPC on the same port is untouched.
    client
        .get_event(events::GetEventRequest {
            name: online.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
}
