//! WatchChanges: an inquiry submitted, answered and overdue (once, on a set clock), one
//! agency's changes to that agency, filtered by kind, resumed from a cursor without loss
//! or repeat, an expired cursor after the retention's purge, and the refusals.

use std::time::Duration;

use jalia_proto::inquiries::v1::*;
use jalia_testing::{assert_invalid, assert_status};
use tonic::Code;

use crate::helpers::*;

/// How long a test's watch may run: the server ends it, with OK, a little before.
const WATCH_FOR: Duration = Duration::from_secs(3);

fn watching(parent: &str, cursor: &str, kinds: &[ChangeKind]) -> WatchChangesRequest {
    WatchChangesRequest {
        parent: parent.to_owned(),
        kinds: kinds.iter().map(|kind| *kind as i32).collect(),
        cursor: cursor.to_owned(),
        from_oldest: cursor.is_empty(),
    }
}

async fn open(
    api: &Api,
    request: WatchChangesRequest,
) -> Result<tonic::Streaming<WatchChangesResponse>, tonic::Status> {
    let mut request = api.request(request);
    request.set_timeout(WATCH_FOR);
    api.client()
        .watch_changes(request)
        .await
        .map(tonic::Response::into_inner)
}

/// Every change of a watch until the server ends it, and the cursor of its last item
/// (the final heartbeat's).
async fn watch_to_end(
    api: &Api,
    request: WatchChangesRequest,
) -> (Vec<(ChangeKind, String)>, String) {
    let mut stream = open(api, request).await.unwrap();
    let mut changes = Vec::new();
    let mut last = String::new();
    while let Some(item) = stream.message().await.unwrap() {
        last.clone_from(&item.cursor);
        if item.kind() != ChangeKind::Unspecified {
            assert!(item.change_time.is_some());
            assert_eq!(
                item.agency,
                item.resource.split("/inquiries/").next().unwrap()
            );
            changes.push((item.kind(), item.resource));
        }
    }
    (changes, last)
}

/// The first `count` changes of a watch, and the cursor after the last. The watch is
/// opened again from its last cursor whenever the server ends it: on PostgreSQL a change
/// is delivered once every older transaction of the database server has ended, which a
/// server busy with other tests can delay past one short watch.
async fn first_changes(
    api: &Api,
    request: WatchChangesRequest,
    count: usize,
) -> (Vec<(ChangeKind, String)>, String) {
    let give_up = tokio::time::Instant::now() + Duration::from_secs(90);
    let mut changes = Vec::new();
    let mut cursor = request.cursor.clone();
    while changes.len() < count {
        assert!(
            tokio::time::Instant::now() < give_up,
            "only {changes:?} came"
        );
        let reopened = WatchChangesRequest {
            cursor: cursor.clone(),
            from_oldest: request.from_oldest && cursor.is_empty(),
            ..request.clone()
        };
        let mut stream = open(api, reopened).await.unwrap();
        while let Some(item) = stream.message().await.unwrap() {
            cursor.clone_from(&item.cursor);
            if item.kind() != ChangeKind::Unspecified {
                assert!(item.change_time.is_some());
                assert_eq!(
                    item.agency,
                    item.resource.split("/inquiries/").next().unwrap()
                );
                changes.push((item.kind(), item.resource));
                if changes.len() == count {
                    break;
                }
            }
        }
    }
    (changes, cursor)
}

async fn submit_to(agent: &Api, category: &InquiryCategory, parent: &str) -> Inquiry {
    let mut request = submission(category);
    request.parent = parent.to_owned();
    agent.submit(request).await.unwrap().inquiry.unwrap()
}

#[tokio::test]
async fn submitted_answered_and_overdue_are_fed_to_their_agency() {
    let world = World::start(2, CatalogAt::Down).await;
    let agent = world.caller("agent", "bm").await;
    let wilaya = world.caller("wilaya-desk", "wbmk").await;
    let category = agent
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let theirs = wilaya
        .create_category("agencies/wbmk", "Accueil des MRE", 15)
        .await
        .unwrap();
    // Submitted on 10 August: due on 25 August, overdue from 26 August in Casablanca.
    let answered = submit_to(&agent, &category, "agencies/bm").await;
    let late = submit_to(&agent, &category, "agencies/bm").await;
    let other = submit_to(&wilaya, &theirs, "agencies/wbmk").await;
    assert_eq!(due_date(&other), "2025-08-25");
    // A note and an assignment are internal handling; a public reply then the move to
    // ANSWERED is the answer.
    agent
        .write(
            &answered.name,
            MessageVisibility::InternalNote,
            "à vérifier",
        )
        .await
        .unwrap();
    agent
        .write(&answered.name, MessageVisibility::PublicReply, "réponse")
        .await
        .unwrap();
    let current = agent.get(&answered.name).await.unwrap();
    agent
        .transition(&current, InquiryStatus::Answered, "")
        .await
        .unwrap();

    // The overdue one is recorded by the round that finds it, once.
    world.set_clock("2025-08-25T23:30:00");
    assert_eq!(world.reconciler().escalate_once().await.unwrap(), 0);
    // Both replicas run a round at the same moment: each inquiry is told overdue once.
    world.set_clock("2025-08-26T00:30:00");
    let (one, other_replica) = tokio::join!(
        world.reconciler_on(0).escalate_once(),
        world.reconciler_on(1).escalate_once()
    );
    assert_eq!(one.unwrap() + other_replica.unwrap(), 2, "bm's and wbmk's");
    world.set_clock("2025-08-27T09:00:00");
    assert_eq!(world.reconciler_on(1).escalate_once().await.unwrap(), 0);

    let (changes, after) = first_changes(&agent, watching("agencies/bm", "", &[]), 4).await;
    assert_eq!(
        changes,
        [
            (ChangeKind::InquirySubmitted, answered.name.clone()),
            (ChangeKind::InquirySubmitted, late.name.clone()),
            (ChangeKind::InquiryAnswered, answered.name.clone()),
            (ChangeKind::InquiryOverdue, late.name.clone()),
        ]
    );
    let (nothing_more, _) = watch_to_end(&agent, watching("agencies/bm", &after, &[])).await;
    assert!(nothing_more.is_empty(), "{nothing_more:?}");
    let (overdue, _) = first_changes(
        &agent,
        watching("agencies/bm", "", &[ChangeKind::InquiryOverdue]),
        1,
    )
    .await;
    assert_eq!(overdue, [(ChangeKind::InquiryOverdue, late.name.clone())]);

    // The Wilaya sees its own inquiry's changes only; the ministry sees every agency's.
    let (wilaya_changes, _) = first_changes(&wilaya, watching("agencies/wbmk", "", &[]), 2).await;
    assert_eq!(
        wilaya_changes,
        [
            (ChangeKind::InquirySubmitted, other.name.clone()),
            (ChangeKind::InquiryOverdue, other.name.clone()),
        ]
    );
    let ministry = world.caller("ministry", "*").await;
    let (all, _) = first_changes(&ministry, watching("agencies/-", "", &[]), 6).await;
    assert_eq!(
        all.iter().filter(|(_, name)| *name == other.name).count(),
        2
    );
    for parent in ["agencies/wbmk", "agencies/-"] {
        assert_status(
            open(&agent, watching(parent, "", &[])).await,
            Code::PermissionDenied,
            "OTHER_AGENCY",
        );
    }
    world.stop().await;
}

#[tokio::test]
async fn a_watch_resumes_from_its_cursor_until_the_retention_purges_it() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let first = submit_to(&agent, &category, "agencies/bm").await;
    let (seen, cursor) = first_changes(&agent, watching("agencies/bm", "", &[]), 1).await;
    assert_eq!(seen, [(ChangeKind::InquirySubmitted, first.name.clone())]);

    // Submitted while nobody watched: exactly those, from the last cursor.
    let second = submit_to(&agent, &category, "agencies/bm").await;
    let third = submit_to(&agent, &category, "agencies/bm").await;
    let (missed, latest) = first_changes(&agent, watching("agencies/bm", &cursor, &[]), 2).await;
    assert_eq!(
        missed,
        [
            (ChangeKind::InquirySubmitted, second.name.clone()),
            (ChangeKind::InquirySubmitted, third.name.clone()),
        ]
    );
    let (nothing_new, _) = watch_to_end(&agent, watching("agencies/bm", &latest, &[])).await;
    assert!(nothing_new.is_empty(), "{nothing_new:?}");

    // Past the retention (30 days) the records are purged, and a cursor from before the
    // purge is refused rather than silently skipping what was purged.
    world.set_clock("2025-09-20T09:00:00");
    assert_eq!(world.reconciler().purge_changes_once().await.unwrap(), 3);
    let agent = world.caller("agent", "bm").await;
    assert_status(
        open(&agent, watching("agencies/bm", &cursor, &[])).await,
        Code::FailedPrecondition,
        "CURSOR_EXPIRED",
    );
    let (kept, _) = watch_to_end(&agent, watching("agencies/bm", "", &[])).await;
    assert!(kept.is_empty(), "{kept:?}");
    // The cursor of the last purged record still resumes: nothing after it was lost.
    let (after_latest, _) = watch_to_end(&agent, watching("agencies/bm", &latest, &[])).await;
    assert!(after_latest.is_empty(), "{after_latest:?}");
    world.stop().await;
}

#[tokio::test]
async fn bad_watches_are_refused_before_anything_is_sent() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent", "bm").await;
    for cursor in ["abc", "7", "1.x", "-1.2", "1.2.3"] {
        assert_invalid(
            open(&agent, watching("agencies/bm", cursor, &[])).await,
            "cursor",
        );
    }
    let refused = open(
        &agent,
        WatchChangesRequest {
            parent: "bm".to_owned(),
            kinds: vec![ChangeKind::Unspecified as i32, 42],
            ..WatchChangesRequest::default()
        },
    )
    .await
    .unwrap_err();
    let fields = jalia_testing::violated_fields(&refused);
    assert_eq!(fields, ["parent", "kinds[0]", "kinds[1]"]);

    // inquiries.read is the feed's scope: a portal that only submits is refused.
    let portal = world
        .caller_scoped("portal", "bm", &["inquiries.submit"])
        .await;
    assert_status(
        open(&portal, watching("agencies/bm", "", &[])).await,
        Code::PermissionDenied,
        "MISSING_SCOPE",
    );
    world.stop().await;
}
