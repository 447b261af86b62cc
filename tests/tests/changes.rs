//! Change feeds through the gateway, with the whole suite: a watcher of the events
//! service sees a waitlisted person promoted when a seat is given up, goes away, and
//! reconnecting with its cursor sees exactly what it missed, nothing twice. A watch ends
//! cleanly before the gateway's deadline, with a last cursor to resume from.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::time::Duration;

use jalia_e2e::{TestSuite, with_token};
use jalia_proto::events::v1 as events;
use jalia_proto::events::v1::event_service_client::EventServiceClient;
use jalia_proto::r#type::v1 as wire;
use tonic::Streaming;
use tonic::transport::Channel;

type Client = EventServiceClient<Channel>;

fn text(value: &str) -> Option<wire::LocalizedText> {
    Some(wire::LocalizedText {
        entries: vec![wire::LocalizedString {
            language_code: "fr".into(),
            text: value.into(),
        }],
        resolved: None,
    })
}

fn at(local: &str) -> Option<wire::ZonedDateTime> {
    Some(wire::ZonedDateTime {
        local_date_time: local.into(),
        time_zone: "Africa/Casablanca".into(),
        ..Default::default()
    })
}

/// An information session of the urban agency with one seat and a waitlist.
async fn session(client: &mut Client, organiser: &str) -> events::Event {
    let draft = client
        .create_event(with_token(
            events::CreateEventRequest {
                parent: "agencies/bm".into(),
                event: Some(events::Event {
                    kind: events::EventKind::InformationSession as i32,
                    title: text("Séance d'information sur le permis de construire"),
                    start: at("2028-03-01T10:00:00"),
                    end: at("2028-03-01T12:00:00"),
                    attendance_mode: events::AttendanceMode::Online as i32,
                    online_access: Some(events::OnlineAccess {
                        url: "https://visio.example.ma/permis".into(),
                        private: true,
                    }),
                    audiences: vec![wire::Audience::Diaspora as i32],
                    registration_settings: Some(events::RegistrationSettings {
                        enabled: true,
                        capacity: 1,
                        waitlist_enabled: true,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                request_id: String::new(),
            },
            organiser,
        ))
        .await
        .unwrap()
        .into_inner();
    client
        .publish_event(with_token(
            events::PublishEventRequest {
                name: draft.name,
                etag: draft.etag,
            },
            organiser,
        ))
        .await
        .unwrap()
        .into_inner()
}

async fn register(
    client: &mut Client,
    token: &str,
    event: &str,
    index: usize,
) -> events::Registration {
    client
        .register_attendee(with_token(
            events::RegisterAttendeeRequest {
                parent: event.to_owned(),
                registration: Some(events::Registration {
                    attendee: Some(events::Attendee {
                        display_name: format!("Personne {index}"),
                        email: format!("personne.{index}@example.org"),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                request_id: String::new(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

async fn cancel(client: &mut Client, token: &str, registration: &events::Registration) {
    client
        .cancel_registration(with_token(
            events::CancelRegistrationRequest {
                name: registration.name.clone(),
                etag: registration.etag.clone(),
            },
            token,
        ))
        .await
        .unwrap();
}

async fn watch(
    client: &mut Client,
    token: &str,
    cursor: &str,
) -> Streaming<events::WatchChangesResponse> {
    client
        .watch_changes(with_token(
            events::WatchChangesRequest {
                parent: "agencies/bm".into(),
                kinds: Vec::new(),
                cursor: cursor.to_owned(),
                from_oldest: false,
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

/// The next `count` changes, heartbeats skipped.
async fn next_changes(
    stream: &mut Streaming<events::WatchChangesResponse>,
    count: usize,
) -> Vec<(events::ChangeKind, String, String)> {
    let mut seen = Vec::new();
    while seen.len() < count {
        let response = stream
            .message()
            .await
            .unwrap()
            .expect("the watch ended early");
        let kind = events::ChangeKind::try_from(response.kind).unwrap();
        if kind != events::ChangeKind::Unspecified {
            seen.push((kind, response.resource, response.cursor));
        }
    }
    seen
}

fn without_cursors(
    changes: &[(events::ChangeKind, String, String)],
) -> Vec<(events::ChangeKind, String)> {
    changes
        .iter()
        .map(|(kind, resource, _)| (*kind, resource.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_sees_the_promotion_and_resumes_from_its_cursor_without_gaps_or_repeats() {
    let suite = TestSuite::start(None).await;
    let mut client = EventServiceClient::new(suite.gateway().await);
    let organiser = suite.token("bm-events-desk", "bm", &["events.read", "events.write"]);
    let portal = suite.token("consulate-portal", "*", &["events.write"]);
    let watcher = suite.token("bm-intranet", "bm", &["events.read"]);

    let mut watching = watch(&mut client, &watcher, "").await;
    let day = session(&mut client, &organiser).await;
    let seated = register(&mut client, &portal, &day.name, 1).await;
    let waiting = register(&mut client, &portal, &day.name, 2).await;
    cancel(&mut client, &organiser, &seated).await;

    let seen = next_changes(&mut watching, 5).await;
    assert_eq!(
        without_cursors(&seen),
        [
            (events::ChangeKind::EventPublished, day.name.clone()),
            (
                events::ChangeKind::RegistrationConfirmed,
                seated.name.clone()
            ),
            (
                events::ChangeKind::RegistrationWaitlisted,
                waiting.name.clone()
            ),
            (
                events::ChangeKind::RegistrationCancelled,
                seated.name.clone()
            ),
            (
                events::ChangeKind::RegistrationPromoted,
                waiting.name.clone()
            ),
        ]
    );
    let cursor = seen[4].2.clone();
    drop(watching);

    // Away: the promoted person gives up the seat, someone else registers and gets it.
    let promoted = client
        .get_registration(with_token(
            events::GetRegistrationRequest {
                name: waiting.name.clone(),
                language_code: String::new(),
            },
            &organiser,
        ))
        .await
        .unwrap()
        .into_inner();
    cancel(&mut client, &organiser, &promoted).await;
    let third = register(&mut client, &portal, &day.name, 3).await;

    let mut resumed = watch(&mut client, &watcher, &cursor).await;
    let missed = next_changes(&mut resumed, 2).await;
    assert_eq!(
        without_cursors(&missed),
        [
            (
                events::ChangeKind::RegistrationCancelled,
                waiting.name.clone()
            ),
            (
                events::ChangeKind::RegistrationConfirmed,
                third.name.clone()
            ),
        ]
    );
    // Resuming from the last change repeats nothing: the next change is a new one.
    drop(resumed);
    let mut again = watch(&mut client, &watcher, &missed[1].2).await;
    register(&mut client, &portal, &day.name, 4).await;
    let next = next_changes(&mut again, 1).await;
    assert_eq!(next[0].0, events::ChangeKind::RegistrationWaitlisted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_ends_cleanly_before_the_gateway_deadline_with_a_cursor_to_resume_from() {
    let suite = TestSuite::start(Some(|config| {
        config.server.limits.request_timeout = Duration::from_secs(3);
    }))
    .await;
    let mut client = EventServiceClient::new(suite.gateway().await);
    let watcher = suite.token("bm-intranet", "bm", &["events.read"]);
    let mut watching = watch(&mut client, &watcher, "").await;
    let mut last = None;
    while let Some(response) = watching.message().await.unwrap() {
        last = Some(response);
    }
    let last = last.expect("a last heartbeat before the end");
    assert_eq!(last.kind, events::ChangeKind::Unspecified as i32);
    assert!(!last.cursor.is_empty());
    let mut resumed = watch(&mut client, &watcher, &last.cursor).await;
    drop(resumed.message().await.unwrap());
}

/// The subjects and payloads of every message in `stream`, in the stream's order, once it
/// holds at least `count`.
async fn stream_messages(
    jetstream: &async_nats::jetstream::Context,
    stream: &str,
    count: u64,
) -> Vec<(String, serde_json::Value)> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(mut found) = jetstream.get_stream(stream).await {
            let held = found.info().await.unwrap().state.messages;
            if held >= count {
                let mut messages = Vec::new();
                for sequence in 1..=held {
                    let message = found.get_raw_message(sequence).await.unwrap();
                    let payload = serde_json::from_slice(&message.payload).unwrap();
                    messages.push((message.subject.to_string(), payload));
                }
                return messages;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{stream} never held {count} messages"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_broker_the_suite_also_publishes_its_three_feeds_to_nats() {
    let Ok(url) = std::env::var("JALIA_TEST_NATS_URL") else {
        // The embedded default never needs a broker; CI sets the variable.
        return;
    };
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let prefix = format!("jaliae2e.t{}", &unique[..12]);
    let settings = jalia_runtime::NatsSettings::parse(Some(&url), Some(&prefix))
        .unwrap()
        .unwrap();
    let suite = TestSuite::start_with(|options| options.nats = Some(settings)).await;
    let mut client = EventServiceClient::new(suite.gateway().await);
    let organiser = suite.token("bm-events-desk", "bm", &["events.read", "events.write"]);
    let portal = suite.token("consulate-portal", "*", &["events.write"]);
    let watcher = suite.token("bm-intranet", "bm", &["events.read"]);

    let mut watching = watch(&mut client, &watcher, "").await;
    let day = session(&mut client, &organiser).await;
    let seated = register(&mut client, &portal, &day.name, 1).await;
    let waiting = register(&mut client, &portal, &day.name, 2).await;
    cancel(&mut client, &organiser, &seated).await;
    let watched = next_changes(&mut watching, 5).await;

    let jetstream = async_nats::jetstream::new(async_nats::connect(&url).await.unwrap());
    let stream_prefix = prefix.replace('.', "_").to_ascii_uppercase();
    // The demo's events come first; the session's five changes are the last ones.
    let events_stream = format!("{stream_prefix}_EVENTS");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let published = loop {
        let published = stream_messages(&jetstream, &events_stream, 5).await;
        let last = published
            .last()
            .map(|(_, payload)| payload["cursor"].clone());
        if last.as_ref().and_then(|cursor| cursor.as_str()) == Some(watched[4].2.as_str()) {
            break published;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the promotion was never published"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let last_five: Vec<(String, String, String)> = published[published.len() - 5..]
        .iter()
        .map(|(subject, payload)| {
            (
                subject.clone(),
                payload["resource"].as_str().unwrap().to_owned(),
                payload["cursor"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let told = [
        ("event.published", &day.name),
        ("registration.confirmed", &seated.name),
        ("registration.waitlisted", &waiting.name),
        ("registration.cancelled", &seated.name),
        ("registration.promoted", &waiting.name),
    ];
    let expected: Vec<(String, String, String)> = told
        .iter()
        .zip(&watched)
        .map(|((kind, name), (_, _, cursor))| {
            (
                format!("{prefix}.events.bm.{kind}"),
                (*name).clone(),
                cursor.clone(),
            )
        })
        .collect();
    assert_eq!(
        last_five, expected,
        "the broker gets what WatchChanges gives, with the same cursors"
    );

    // The catalog and inquiries publish their demo's changes too.
    let catalog = stream_messages(&jetstream, &format!("{stream_prefix}_CATALOG"), 1).await;
    assert!(
        catalog[0].0.starts_with(&format!("{prefix}.catalog.")),
        "{}",
        catalog[0].0
    );
    let inquiries = stream_messages(&jetstream, &format!("{stream_prefix}_INQUIRIES"), 1).await;
    assert!(
        inquiries[0].0.starts_with(&format!("{prefix}.inquiries.")),
        "{}",
        inquiries[0].0
    );

    drop(suite);
    for service in ["EVENTS", "CATALOG", "INQUIRIES"] {
        let _ = jetstream
            .delete_stream(format!("{stream_prefix}_{service}"))
            .await;
    }
}
