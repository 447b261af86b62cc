//! WatchChanges: the agency's changes in commit order, recorded in the transaction of
//! each change, resumable from a cursor, filtered by agency and kind.

use jalia_proto::events::v1 as pb;
use jalia_runtime::reasons;
use jalia_testing::authed;
use tonic::{Code, Streaming};

use crate::helpers::{
    Client, Spawn, TestApp, assert_invalid, assert_status, attendee, create, event, published,
    register, status_of,
};

fn watch(parent: &str, cursor: &str, from_oldest: bool) -> pb::WatchChangesRequest {
    pb::WatchChangesRequest {
        parent: parent.to_owned(),
        kinds: Vec::new(),
        cursor: cursor.to_owned(),
        from_oldest,
    }
}

async fn open(
    client: &mut Client,
    token: &str,
    request: pb::WatchChangesRequest,
) -> Streaming<pb::WatchChangesResponse> {
    client
        .watch_changes(authed(request, token))
        .await
        .unwrap()
        .into_inner()
}

/// The next `count` changes, skipping heartbeats.
async fn changes(
    stream: &mut Streaming<pb::WatchChangesResponse>,
    count: usize,
) -> Vec<pb::WatchChangesResponse> {
    let mut seen = Vec::new();
    while seen.len() < count {
        let response = stream
            .message()
            .await
            .unwrap()
            .expect("the watch ended early");
        if response.kind != pb::ChangeKind::Unspecified as i32 {
            seen.push(response);
        }
    }
    seen
}

/// Creates and publishes an event of `agency` as `token`.
async fn published_by(client: &mut Client, token: &str, agency: &str) -> pb::Event {
    let created = client
        .create_event(authed(
            pb::CreateEventRequest {
                parent: format!("agencies/{agency}"),
                ..create(event("2027-08-11T10:00", "2027-08-11T13:00", 5, 0))
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner();
    client
        .publish_event(authed(
            pb::PublishEventRequest {
                name: created.name.clone(),
                etag: created.etag,
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

fn kind(response: &pb::WatchChangesResponse) -> pb::ChangeKind {
    pb::ChangeKind::try_from(response.kind).unwrap()
}

async fn cancel(client: &mut Client, token: &str, registration: &pb::Registration) {
    client
        .cancel_registration(authed(
            pb::CancelRegistrationRequest {
                name: registration.name.clone(),
                etag: registration.etag.clone(),
            },
            token,
        ))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancellation_shows_the_promotion_and_a_cursor_resumes_without_repeats() {
    let app = Spawn::one().start().await;
    let token = app.bm();
    let mut client = app.client(0).await;
    let mut watching = open(&mut client, &token, watch("agencies/bm", "", false)).await;

    let day = published(
        &mut client,
        &token,
        event("2027-08-10T10:00", "2027-08-10T13:00", 1, 0),
    )
    .await;
    let other_agency = app.token("cbm");
    published_by(&mut client, &other_agency, "cbm").await;
    let first = register(&mut client, &token, &day.name, attendee(1))
        .await
        .unwrap();
    let second = register(&mut client, &token, &day.name, attendee(2))
        .await
        .unwrap();
    assert_eq!(status_of(&second), pb::RegistrationStatus::Waitlisted);
    cancel(&mut client, &token, &first).await;

    let seen = changes(&mut watching, 5).await;
    let kinds: Vec<_> = seen.iter().map(kind).collect();
    assert_eq!(
        kinds,
        [
            pb::ChangeKind::EventPublished,
            pb::ChangeKind::RegistrationConfirmed,
            pb::ChangeKind::RegistrationWaitlisted,
            pb::ChangeKind::RegistrationCancelled,
            pb::ChangeKind::RegistrationPromoted,
        ]
    );
    let resources: Vec<_> = seen.iter().map(|c| c.resource.as_str()).collect();
    assert_eq!(
        resources,
        [
            &day.name,
            &first.name,
            &second.name,
            &first.name,
            &second.name
        ]
    );
    assert!(
        seen.iter()
            .all(|c| c.agency == "agencies/bm" && c.change_time.is_some())
    );
    drop(watching);

    // Away after the confirmation: resuming from its cursor gives exactly what followed.
    let third = register(&mut client, &token, &day.name, attendee(3))
        .await
        .unwrap();
    let mut resumed = open(
        &mut client,
        &token,
        watch("agencies/bm", &seen[1].cursor, false),
    )
    .await;
    let missed = changes(&mut resumed, 4).await;
    let missed: Vec<_> = missed
        .iter()
        .map(|c| (kind(c), c.resource.clone()))
        .collect();
    assert_eq!(
        missed,
        [
            (pb::ChangeKind::RegistrationWaitlisted, second.name.clone()),
            (pb::ChangeKind::RegistrationCancelled, first.name.clone()),
            (pb::ChangeKind::RegistrationPromoted, second.name.clone()),
            (pb::ChangeKind::RegistrationWaitlisted, third.name.clone()),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kinds_filter_and_ministry_callers_see_every_agency_from_the_oldest() {
    let app = Spawn::one().start().await;
    let mut client = app.client(0).await;
    published(
        &mut client,
        &app.bm(),
        event("2027-08-10T10:00", "2027-08-10T13:00", 5, 0),
    )
    .await;
    let cbm = published_by(&mut client, &app.token("cbm"), "cbm").await;
    register(&mut client, &app.token("cbm"), &cbm.name, attendee(1))
        .await
        .unwrap();

    let ministry = app.token("*");
    let mut all = open(
        &mut client,
        &ministry,
        pb::WatchChangesRequest {
            kinds: vec![pb::ChangeKind::EventPublished as i32],
            ..watch("agencies/-", "", true)
        },
    )
    .await;
    let seen = changes(&mut all, 2).await;
    let agencies: Vec<_> = seen.iter().map(|c| c.agency.as_str()).collect();
    assert_eq!(agencies, ["agencies/bm", "agencies/cbm"]);
    assert!(
        seen.iter()
            .all(|c| kind(c) == pb::ChangeKind::EventPublished)
    );
}

#[tokio::test]
async fn bad_watches_are_refused_before_streaming() {
    let app: TestApp = Spawn::one().start().await;
    let mut client = app.client(0).await;
    let token = app.bm();
    let call = async |client: &mut Client, token: &str, request| {
        client
            .watch_changes(authed(request, token))
            .await
            .map(|_| ())
    };
    assert_invalid(
        call(
            &mut client,
            &token,
            watch("agencies/bm", "not-a-cursor", false),
        )
        .await,
        "cursor",
    );
    assert_invalid(
        call(&mut client, &token, watch("bm", "", false)).await,
        "parent",
    );
    assert_invalid(
        call(
            &mut client,
            &token,
            pb::WatchChangesRequest {
                kinds: vec![0],
                ..watch("agencies/bm", "", false)
            },
        )
        .await,
        "kinds[0]",
    );
    assert_status(
        call(&mut client, &token, watch("agencies/cbm", "", false)).await,
        Code::PermissionDenied,
        reasons::OTHER_AGENCY,
    );
    assert_status(
        call(&mut client, &token, watch("agencies/-", "", false)).await,
        Code::PermissionDenied,
        reasons::OTHER_AGENCY,
    );
    let writer = app.token_of("desk-app", "bm", &["events.write"]);
    assert_status(
        call(&mut client, &writer, watch("agencies/bm", "", false)).await,
        Code::PermissionDenied,
        reasons::MISSING_SCOPE,
    );
    let anonymous = client
        .watch_changes(watch("agencies/bm", "", false))
        .await
        .map(|_| ());
    assert_status(anonymous, Code::Unauthenticated, reasons::UNAUTHENTICATED);
}
