//! Messages: public replies and internal notes.

use jalia_proto::inquiries::v1::*;
use jiff::SignedDuration;
use uuid::Uuid;

use crate::helpers::*;

#[tokio::test]
async fn messages_are_idempotent_and_listed_oldest_first() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let inquiry = agent
        .submit(submission(&category))
        .await
        .unwrap()
        .inquiry
        .unwrap();
    let request = AddInquiryMessageRequest {
        parent: inquiry.name.clone(),
        inquiry_message: Some(InquiryMessage {
            visibility: MessageVisibility::PublicReply as i32,
            body: "Première réponse".to_owned(),
            ..Default::default()
        }),
        request_id: Uuid::new_v4().to_string(),
        attachments: Vec::new(),
    };
    let first = agent.add_message(request.clone()).await.unwrap();
    let retried = agent.add_message(request.clone()).await.unwrap();
    assert_eq!(first, retried);
    assert!(
        first
            .name
            .starts_with(&format!("{}/messages/", inquiry.name))
    );
    assert_eq!(first.author, "agent");
    for index in 0..3 {
        world.clock.advance(SignedDuration::from_mins(1));
        agent
            .write(
                &inquiry.name,
                MessageVisibility::InternalNote,
                &format!("note {index}"),
            )
            .await
            .unwrap();
    }
    let listed = agent
        .messages(&inquiry.name)
        .await
        .unwrap()
        .inquiry_messages;
    assert_eq!(listed.len(), 4);
    assert_eq!(listed[0], first);
    assert_eq!(listed[3].body, "note 2");
    let read = agent.get(&inquiry.name).await.unwrap();
    assert_eq!(
        read.first_response_time, first.create_time,
        "the first public reply sets the first response"
    );
    assert_ne!(
        read.etag, inquiry.etag,
        "a message changes the inquiry's etag"
    );
    world.stop().await;
}
