//! SubmitInquiry: references under concurrency, idempotent retries, and the input a
//! submission must carry.

use std::collections::BTreeSet;

use jalia_proto::inquiries::v1::*;
use jalia_runtime::reasons;
use jalia_testing::{assert_invalid, assert_status, violated_fields};
use tonic::Code;
use uuid::Uuid;

use crate::helpers::*;

#[tokio::test]
async fn fifty_concurrent_submissions_on_two_instances_get_fifty_references() {
    let world = World::start(2, CatalogAt::Down).await;
    let desk = world.caller("desk-app", "bm").await;
    let category = desk
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let callers = [
        world.caller_on(0, "desk-app", "bm").await,
        world.caller_on(1, "desk-app", "bm").await,
    ];
    let mut tasks = Vec::new();
    for index in 0..50 {
        let caller = callers[index % 2].clone();
        let request = submission(&category);
        tasks.push(tokio::spawn(async move { caller.submit(request).await }));
    }
    let mut references = BTreeSet::new();
    let mut codes = BTreeSet::new();
    for task in tasks {
        let response = task.await.unwrap().unwrap();
        references.insert(response.inquiry.unwrap().reference);
        codes.insert(response.tracking_code);
    }
    assert_eq!(
        references.len(),
        50,
        "every submission has its own reference"
    );
    assert_eq!(codes.len(), 50);
    let expected: BTreeSet<String> = (1..=50).map(|n| format!("BM-2025-{n:06}")).collect();
    assert_eq!(
        references, expected,
        "a gapless sequence for the agency's year"
    );
    world.stop().await;
}

#[tokio::test]
async fn twenty_concurrent_retries_of_one_request_make_one_inquiry() {
    let world = World::start(2, CatalogAt::Down).await;
    let desk = world.caller("desk-app", "bm").await;
    let category = desk
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let callers = [
        world.caller_on(0, "desk-app", "bm").await,
        world.caller_on(1, "desk-app", "bm").await,
    ];
    let request = submission(&category);
    let mut tasks = Vec::new();
    for index in 0..20 {
        let caller = callers[index % 2].clone();
        let request = request.clone();
        tasks.push(tokio::spawn(async move { caller.submit(request).await }));
    }
    let mut outcomes = BTreeSet::new();
    for task in tasks {
        let response = task.await.unwrap().unwrap();
        let inquiry = response.inquiry.unwrap();
        outcomes.insert((inquiry.name, inquiry.reference, response.tracking_code));
    }
    assert_eq!(
        outcomes.len(),
        1,
        "one inquiry, one reference, one code: {outcomes:?}"
    );
    let listed = desk.list_all(list_of("agencies/bm")).await;
    assert_eq!(listed.len(), 1);

    // The code given on every retry is the one that opens the inquiry.
    let (_, reference, code) = outcomes.into_iter().next().unwrap();
    let seen = world
        .anonymous()
        .await
        .lookup(&reference, &code)
        .await
        .unwrap();
    assert_eq!(seen.reference, reference);

    // The same request_id with another request is refused, and writes nothing.
    let mut other = request.clone();
    inquiry_mut(&mut other).subject = "Une autre question".to_owned();
    assert_invalid(desk.submit(other).await, "request_id");
    assert_eq!(desk.list_all(list_of("agencies/bm")).await.len(), 1);
    world.stop().await;
}

#[tokio::test]
async fn concurrent_replays_and_reused_request_ids_leave_the_others_gapless() {
    let world = World::start(1, CatalogAt::Down).await;
    let desk = world.caller("desk-app", "bm").await;
    let category = desk
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let first = submission(&category);
    let made = desk.submit(first.clone()).await.unwrap().inquiry.unwrap();
    let mut reused = first.clone();
    inquiry_mut(&mut reused).subject = "Une autre question".to_owned();
    // Fresh submissions, retries of the first and reuses of its request_id, all waiting
    // at once, so that they share transactions.
    let mut tasks = Vec::new();
    for index in 0..36 {
        let desk = desk.clone();
        let (kind, request) = match index % 3 {
            0 => ("retry", first.clone()),
            1 => ("reuse", reused.clone()),
            _ => ("fresh", submission(&category)),
        };
        tasks.push(tokio::spawn(
            async move { (kind, desk.submit(request).await) },
        ));
    }
    let mut references = BTreeSet::new();
    for task in tasks {
        match task.await.unwrap() {
            ("retry", outcome) => {
                let inquiry = outcome.unwrap().inquiry.unwrap();
                assert_eq!(inquiry.reference, made.reference);
            }
            ("reuse", outcome) => {
                assert_invalid(outcome, "request_id");
            }
            (_, outcome) => {
                references.insert(outcome.unwrap().inquiry.unwrap().reference);
            }
        }
    }
    let expected: BTreeSet<String> = (2..=13).map(|n| format!("BM-2025-{n:06}")).collect();
    assert_eq!(
        references, expected,
        "the fresh ones numbered without a gap"
    );
    assert_eq!(desk.list_all(list_of("agencies/bm")).await.len(), 13);
    world.stop().await;
}

#[tokio::test]
async fn a_requester_needs_only_one_of_email_and_phone() {
    let world = World::start(1, CatalogAt::Down).await;
    let desk = world.caller("desk-app", "bm").await;
    let category = desk
        .create_category("agencies/bm", "Aide au logement", 30)
        .await
        .unwrap();
    let mut only_email = submission(&category);
    requester_mut(&mut only_email).phone.clear();
    desk.submit(only_email).await.unwrap();
    let mut only_phone = submission(&category);
    requester_mut(&mut only_phone).email.clear();
    desk.submit(only_phone).await.unwrap();
    let mut neither = submission(&category);
    requester_mut(&mut neither).email.clear();
    requester_mut(&mut neither).phone.clear();
    assert_invalid(desk.submit(neither).await, "inquiry.requester");
}

#[tokio::test]
async fn bad_input_is_refused_field_by_field_and_writes_nothing() {
    let world = World::start(1, CatalogAt::Up).await;
    let desk = world.caller("desk-app", "bm").await;
    let category = desk
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let valid = submission(&category);

    let mut no_contact = valid.clone();
    requester_mut(&mut no_contact).email.clear();
    requester_mut(&mut no_contact).phone.clear();
    assert_invalid(desk.submit(no_contact).await, "inquiry.requester");

    let mut bad_email = valid.clone();
    requester_mut(&mut bad_email).email = "samira.fictive@".to_owned();
    assert_invalid(desk.submit(bad_email).await, "inquiry.requester.email");

    let mut bad_phone = valid.clone();
    requester_mut(&mut bad_phone).phone = "06 12".to_owned();
    assert_invalid(desk.submit(bad_phone).await, "inquiry.requester.phone");

    let mut long_body = valid.clone();
    inquiry_mut(&mut long_body).body = "é".repeat(10_001);
    assert_invalid(desk.submit(long_body).await, "inquiry.body");

    let mut unknown_category = valid.clone();
    inquiry_mut(&mut unknown_category).category =
        format!("agencies/bm/inquiryCategories/{}", Uuid::now_v7());
    assert_invalid(desk.submit(unknown_category).await, "inquiry.category");

    let mut several = valid.clone();
    requester_mut(&mut several).email = "nope".to_owned();
    inquiry_mut(&mut several).subject.clear();
    inquiry_mut(&mut several).channel = 0;
    let status = desk.submit(several).await.unwrap_err();
    let fields = violated_fields(&status);
    for field in [
        "inquiry.requester.email",
        "inquiry.subject",
        "inquiry.channel",
    ] {
        assert!(fields.iter().any(|f| f == field), "{field} in {fields:?}");
    }

    let mut bad_request_id = valid.clone();
    bad_request_id.request_id = "twelve".to_owned();
    assert_invalid(desk.submit(bad_request_id).await, "request_id");

    // Every refusal above used the valid request's request_id: none of them stored
    // anything, so the valid request goes through now with it.
    assert!(desk.list_all(list_of("agencies/bm")).await.is_empty());
    let inquiry = desk.submit(valid.clone()).await.unwrap().inquiry.unwrap();

    // Transitions out of order: refused by state, the inquiry unchanged.
    assert_status(
        desk.transition(&inquiry, InquiryStatus::WaitingOnCitizen, "")
            .await,
        Code::FailedPrecondition,
        reasons::TRANSITION_NOT_ALLOWED,
    );
    assert_status(
        desk.transition(&inquiry, InquiryStatus::Answered, "").await,
        Code::FailedPrecondition,
        reasons::NO_PUBLIC_REPLY,
    );
    assert_status(
        desk.transition(&inquiry, InquiryStatus::New, "").await,
        Code::FailedPrecondition,
        reasons::TRANSITION_NOT_ALLOWED,
    );
    assert_invalid(
        desk.transition(&inquiry, InquiryStatus::Assigned, "").await,
        "status",
    );
    assert_invalid(
        desk.transition(&inquiry, InquiryStatus::Unspecified, "")
            .await,
        "status",
    );
    assert_invalid(
        desk.transition(&inquiry, InquiryStatus::Referred, "").await,
        "referral",
    );
    assert_invalid(
        desk.transition_with(
            &inquiry,
            InquiryStatus::Closed,
            "",
            Some(Referral {
                administration: "Commune de Béni Mellal".to_owned(),
                external_reference: String::new(),
            }),
        )
        .await,
        "referral",
    );
    assert_invalid(
        desk.transition(&inquiry, InquiryStatus::InProgress, &"x".repeat(2_001))
            .await,
        "note",
    );
    assert_invalid(desk.assign(&inquiry, "", "", "").await, "assignment");
    let mut no_etag = inquiry.clone();
    no_etag.etag.clear();
    assert_invalid(
        desk.transition(&no_etag, InquiryStatus::InProgress, "")
            .await,
        "etag",
    );
    assert_invalid(
        desk.write(&inquiry.name, MessageVisibility::Unspecified, "texte")
            .await,
        "inquiry_message.visibility",
    );
    assert_invalid(
        desk.write(&inquiry.name, MessageVisibility::PublicReply, "  ")
            .await,
        "inquiry_message.body",
    );
    let read = desk.get(&inquiry.name).await.unwrap();
    assert_eq!(read.etag, inquiry.etag);
    assert_eq!(read.history.len(), 1);
    assert!(
        desk.messages(&inquiry.name)
            .await
            .unwrap()
            .inquiry_messages
            .is_empty()
    );

    // A stale etag is ABORTED.
    let moved = desk
        .transition(&inquiry, InquiryStatus::InProgress, "")
        .await
        .unwrap();
    assert_status(
        desk.transition(&inquiry, InquiryStatus::Closed, "").await,
        Code::Aborted,
        reasons::STALE_ETAG,
    );
    assert_eq!(desk.get(&moved.name).await.unwrap().etag, moved.etag);
    world.stop().await;
}

#[tokio::test]
async fn without_a_request_id_a_call_is_not_idempotent_and_a_request_id_is_the_callers_own() {
    let world = World::start(1, CatalogAt::Down).await;
    let wilaya = world.caller("desk-app-wilaya", "bm").await;
    let headquarters = world.caller("desk-app-hq", "bm").await;
    let category = wilaya
        .create_category_with("agencies/bm", "Permis de construire", 15, "")
        .await
        .unwrap();

    // The same submission twice with no request_id: two inquiries, two codes.
    let mut request = submission(&category);
    request.request_id.clear();
    let first = wilaya.submit(request.clone()).await.unwrap();
    let second = wilaya.submit(request).await.unwrap();
    let inquiry = first.inquiry.unwrap();
    assert_ne!(inquiry.name, second.inquiry.unwrap().name);
    assert_ne!(first.tracking_code, second.tracking_code);
    assert_eq!(wilaya.list_all(list_of("agencies/bm")).await.len(), 2);

    // Messages and categories alike.
    let mut note = message(&inquiry.name, MessageVisibility::InternalNote, "à rappeler");
    note.request_id.clear();
    wilaya.add_message(note.clone()).await.unwrap();
    wilaya.add_message(note).await.unwrap();
    let messages = wilaya.messages(&inquiry.name).await.unwrap();
    assert_eq!(messages.inquiry_messages.len(), 2);
    assert_status(
        wilaya
            .create_category_with("agencies/bm", "Permis de construire", 15, "")
            .await,
        Code::AlreadyExists,
        reasons::CATEGORY_NAME_TAKEN,
    );

    // Two systems of one agency each have their own request_ids.
    let shared = Uuid::new_v4().to_string();
    let mut from_wilaya = submission(&category);
    from_wilaya.request_id = shared.clone();
    let mut from_headquarters = submission(&category);
    from_headquarters.request_id = shared;
    inquiry_mut(&mut from_headquarters).subject = "Une autre question".to_owned();
    let a = wilaya.submit(from_wilaya).await.unwrap().inquiry.unwrap();
    let b = headquarters
        .submit(from_headquarters)
        .await
        .unwrap()
        .inquiry
        .unwrap();
    assert_ne!(a.name, b.name);
    world.stop().await;
}
