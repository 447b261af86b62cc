//! LookupInquiry: what a citizen sees with a reference and a tracking code, and nothing
//! more.

use jalia_proto::inquiries::v1::*;
use prost::Message as _;
use tonic::Code;

use crate::helpers::*;

#[tokio::test]
async fn lookup_cannot_tell_a_wrong_code_from_a_wrong_reference_and_never_shows_notes() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent-urbanisme", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Note de renseignements urbanistiques", 7)
        .await
        .unwrap();
    let submitted = agent.submit(submission(&category)).await.unwrap();
    let inquiry = submitted.inquiry.unwrap();
    agent
        .write(
            &inquiry.name,
            MessageVisibility::InternalNote,
            "NOTE INTERNE: vérifier le titre foncier",
        )
        .await
        .unwrap();
    world.set_clock("2025-08-11T10:00:00");
    agent
        .write(
            &inquiry.name,
            MessageVisibility::PublicReply,
            "La note se demande en ligne avec le plan de situation.",
        )
        .await
        .unwrap();

    let citizen = world.anonymous().await;
    let code = submitted.tracking_code.clone();
    // Case, hyphens and spaces do not matter, and O reads as 0.
    let typed = code.to_lowercase().replace('-', " ").replace('0', "o");
    let seen = citizen
        .lookup(&inquiry.reference.to_lowercase(), &typed)
        .await
        .unwrap();
    assert_eq!(seen.reference, inquiry.reference);
    assert_eq!(seen.status(), InquiryStatus::New);
    assert_eq!(seen.replies.len(), 1);
    assert_eq!(
        seen.replies[0].body,
        "La note se demande en ligne avec le plan de situation."
    );
    let encoded = seen.encode_to_vec();
    assert!(
        !String::from_utf8_lossy(&encoded).contains("NOTE INTERNE"),
        "internal notes never reach the citizen"
    );

    let mut wrong_code = code.clone().into_bytes();
    wrong_code[0] = if wrong_code[0] == b'A' { b'B' } else { b'A' };
    let wrong_code = String::from_utf8(wrong_code).unwrap();
    let wrong_reference = "BM-2025-999999";
    let refusals = [
        citizen
            .lookup(&inquiry.reference, &wrong_code)
            .await
            .unwrap_err(),
        citizen.lookup(wrong_reference, &code).await.unwrap_err(),
        citizen
            .lookup(wrong_reference, &wrong_code)
            .await
            .unwrap_err(),
        citizen
            .lookup(&inquiry.reference, "not a code")
            .await
            .unwrap_err(),
        citizen.lookup("", "").await.unwrap_err(),
    ];
    for refusal in &refusals {
        assert_eq!(refusal.code(), Code::NotFound);
        assert_eq!(refusal.message(), refusals[0].message());
        assert_eq!(refusal.details(), refusals[0].details());
    }
    // A caller with a token is no different.
    let with_token = agent.lookup(&inquiry.reference, &code).await.unwrap();
    assert_eq!(with_token.replies.len(), 1);
    world.stop().await;
}
