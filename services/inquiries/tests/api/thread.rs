//! The citizen answering back (ReplyToInquiry): with the reference and the tracking code,
//! through a portal; the wait on them ends, staff see who wrote what, and the citizen's
//! lookup shows their own messages beside the public replies, never the notes.

use jalia_proto::inquiries::v1::*;
use jalia_testing::violated_fields;
use prost::Message as _;
use tonic::{Code, Response, Status};
use uuid::Uuid;

use crate::helpers::*;

fn reply(inquiry: &Inquiry, code: &str, body: &str) -> ReplyToInquiryRequest {
    ReplyToInquiryRequest {
        reference: inquiry.reference.clone(),
        tracking_code: code.to_owned(),
        body: body.to_owned(),
        request_id: Uuid::new_v4().to_string(),
        attachments: Vec::new(),
    }
}

async fn send(api: &Api, request: ReplyToInquiryRequest) -> Result<ReplyToInquiryResponse, Status> {
    let request = api.request(request);
    api.client()
        .reply_to_inquiry(request)
        .await
        .map(Response::into_inner)
}

#[tokio::test]
async fn the_citizen_answers_back_and_the_wait_on_them_ends() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent-foncier", "bm").await;
    // Any agency's portal relays the citizen, as any may look an inquiry up.
    let portal = world.caller("portail-citoyen", "wbmk").await;
    let category = agent
        .create_category("agencies/bm", "Foncier", 10)
        .await
        .unwrap();
    let submitted = agent.submit(submission(&category)).await.unwrap();
    let code = submitted.tracking_code.clone();
    let inquiry = submitted.inquiry.unwrap();
    let due_at_submission = due_date(&inquiry).to_owned();

    world.set_clock("2025-08-11T09:00:00");
    let inquiry = agent
        .transition(&inquiry, InquiryStatus::InProgress, "")
        .await
        .unwrap();
    agent
        .write(
            &inquiry.name,
            MessageVisibility::InternalNote,
            "NOTE INTERNE: titre foncier à vérifier",
        )
        .await
        .unwrap();
    agent
        .write(
            &inquiry.name,
            MessageVisibility::PublicReply,
            "Merci d'envoyer le titre foncier du terrain.",
        )
        .await
        .unwrap();
    // Messages change the etag: read it again.
    let inquiry = agent.get(&inquiry.name).await.unwrap();
    let inquiry = agent
        .transition(&inquiry, InquiryStatus::WaitingOnCitizen, "titre demandé")
        .await
        .unwrap();

    world.set_clock("2025-08-14T18:00:00");
    let due_while_waiting = due_date(&agent.get(&inquiry.name).await.unwrap()).to_owned();
    assert!(due_while_waiting > due_at_submission, "the wait pushes it");
    let request = reply(&inquiry, &code, "Voici le numéro du titre foncier.");
    let replied = send(&portal, request.clone()).await.unwrap();
    assert_eq!(replied.status(), InquiryStatus::InProgress);
    assert_eq!(due_date_of(&replied), due_while_waiting);
    let message = replied.message.as_ref().unwrap();
    assert_eq!(message.author_kind(), MessageAuthorKind::Citizen);
    assert_eq!(message.body, "Voici le numéro du titre foncier.");

    // A retry is the same message; the same request_id for other words is refused.
    let again = send(&portal, request.clone()).await.unwrap();
    assert_eq!(again.message, replied.message);
    let mut other = request.clone();
    other.body = "Autre chose.".to_owned();
    let refused = send(&portal, other).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&refused), ["request_id"]);

    // The due date resumed: it no longer moves as days pass.
    world.set_clock("2025-08-19T09:00:00");
    let read = agent.get(&inquiry.name).await.unwrap();
    assert_eq!(read.status(), InquiryStatus::InProgress);
    assert_eq!(due_date(&read), due_while_waiting);
    let last = read.history.last().unwrap();
    assert_eq!(
        (last.from_status(), last.to_status(), last.actor.as_str()),
        (
            InquiryStatus::WaitingOnCitizen,
            InquiryStatus::InProgress,
            "portail-citoyen"
        )
    );

    // Staff see who wrote each message.
    let kinds: Vec<(MessageVisibility, MessageAuthorKind)> = agent
        .messages(&inquiry.name)
        .await
        .unwrap()
        .inquiry_messages
        .iter()
        .map(|message| (message.visibility(), message.author_kind()))
        .collect();
    use MessageAuthorKind::{Agent, Citizen};
    use MessageVisibility::{InternalNote, PublicReply};
    assert_eq!(
        kinds,
        [
            (InternalNote, Agent),
            (PublicReply, Agent),
            (PublicReply, Citizen)
        ]
    );

    // The citizen sees the conversation, never the note.
    let seen = world
        .anonymous()
        .await
        .lookup(&inquiry.reference, &code)
        .await
        .unwrap();
    let thread: Vec<(MessageAuthorKind, &str)> = seen
        .messages
        .iter()
        .map(|message| (message.author_kind(), message.body.as_str()))
        .collect();
    assert_eq!(
        thread,
        [
            (Agent, "Merci d'envoyer le titre foncier du terrain."),
            (Citizen, "Voici le numéro du titre foncier."),
        ]
    );
    assert_eq!(seen.replies.len(), 1, "replies stay the agency's own");
    assert!(!String::from_utf8_lossy(&seen.encode_to_vec()).contains("NOTE INTERNE"));
    world.stop().await;
}

#[tokio::test]
async fn a_wrong_code_is_the_lookups_not_found_and_bad_input_writes_nothing() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent-foncier", "bm").await;
    let portal = world.caller("portail-citoyen", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Foncier", 10)
        .await
        .unwrap();
    let submitted = agent.submit(submission(&category)).await.unwrap();
    let code = submitted.tracking_code.clone();
    let inquiry = submitted.inquiry.unwrap();

    let mut wrong_code = code.clone().into_bytes();
    wrong_code[0] = if wrong_code[0] == b'A' { b'B' } else { b'A' };
    let wrong_code = String::from_utf8(wrong_code).unwrap();
    let lookup_refusal = portal
        .lookup(&inquiry.reference, &wrong_code)
        .await
        .unwrap_err();
    let mut wrong_reference = reply(&inquiry, &code, "Bonjour");
    wrong_reference.reference = "BM-2025-999999".to_owned();
    for refusal in [
        send(&portal, reply(&inquiry, &wrong_code, "Bonjour"))
            .await
            .unwrap_err(),
        send(&portal, wrong_reference).await.unwrap_err(),
    ] {
        assert_eq!(refusal.code(), Code::NotFound);
        assert_eq!(refusal.message(), lookup_refusal.message());
        assert_eq!(refusal.details(), lookup_refusal.details());
    }

    let empty = send(&portal, reply(&inquiry, &code, "")).await.unwrap_err();
    assert_eq!(empty.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&empty), ["body"]);
    let mut bad_id = reply(&inquiry, &code, "Bonjour");
    bad_id.request_id = "not-a-uuid".to_owned();
    let bad_id = send(&portal, bad_id).await.unwrap_err();
    assert_eq!(violated_fields(&bad_id), ["request_id"]);

    // A closed inquiry takes no more messages.
    let closed = agent
        .transition(&inquiry, InquiryStatus::Closed, "")
        .await
        .unwrap();
    let refused = send(&portal, reply(&closed, &code, "Encore une question"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    let after = agent.get(&inquiry.name).await.unwrap();
    assert_eq!(
        (after.status(), after.etag),
        (InquiryStatus::Closed, closed.etag)
    );
    assert!(
        agent
            .messages(&inquiry.name)
            .await
            .unwrap()
            .inquiry_messages
            .is_empty()
    );

    // The portal needs a token: the citizen's code alone is not enough to write.
    let anonymous = send(&world.anonymous().await, reply(&inquiry, &code, "Bonjour"))
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    world.stop().await;
}

#[tokio::test]
async fn the_demo_tells_a_citizen_thread() {
    let mut world = World::start(0, CatalogAt::Down).await;
    let app = jalia_inquiries::Application::build(world.config.clone(), world.clock.clone())
        .await
        .unwrap();
    app.load_demo().await.unwrap();
    drop(app);
    world.add_server().await;
    let ministry = world.caller("ministere", "*").await;
    let mut threads = Vec::new();
    for inquiry in ministry.list_all(list_of("agencies/bm")).await {
        let messages = ministry.messages(&inquiry.name).await.unwrap();
        let authors: Vec<MessageAuthorKind> = messages
            .inquiry_messages
            .iter()
            .map(|message| message.author_kind())
            .collect();
        if authors.contains(&MessageAuthorKind::Citizen) {
            threads.push((inquiry, authors));
        }
    }
    assert_eq!(
        threads.len(),
        1,
        "one demo inquiry has the citizen answering"
    );
    let (inquiry, authors) = &threads[0];
    use MessageAuthorKind::{Agent, Citizen};
    assert_eq!(authors, &[Agent, Citizen, Agent]);
    let history: Vec<(InquiryStatus, InquiryStatus)> = ministry
        .get(&inquiry.name)
        .await
        .unwrap()
        .history
        .iter()
        .map(|change| (change.from_status(), change.to_status()))
        .collect();
    assert!(history.contains(&(InquiryStatus::WaitingOnCitizen, InquiryStatus::InProgress)));
    assert_eq!(inquiry.status(), InquiryStatus::Answered);
    world.stop().await;
}

fn due_date_of(response: &ReplyToInquiryResponse) -> String {
    response.due_date.as_ref().unwrap().date.clone()
}
