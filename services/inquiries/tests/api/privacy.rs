//! Personal data (law 09-08) stays out of the logs, whatever happens to an inquiry.

use jalia_proto::inquiries::v1::*;
use jalia_testing::{LogCapture, assert_invalid};
use uuid::Uuid;

use crate::helpers::*;

#[tokio::test]
async fn logs_at_trace_for_every_target_hold_no_personal_data() {
    let capture = LogCapture::install();
    let world = World::start(1, CatalogAt::Down).await;
    let desk = world.caller("desk-app", "bm").await;
    let agent = world.caller("agent-logement", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Aide directe au logement", 10)
        .await
        .unwrap();
    let service = service_name();
    world.catalog.publish(&service, Some(20));

    const NAME: &str = "Rachida Imaginaire";
    const EMAIL: &str = "rachida.imaginaire@example.net";
    const PHONE: &str = "+33 7 81 92 03 64";
    const PHONE_E164: &str = "+33781920364";
    const SUBJECT: &str = "Logement principal prochain achat";
    const BODY: &str = "Suis-je admissible au soutien direct pour mon premier appartement";
    const NOTE: &str = "Rappeler la requérante mardi matin";
    const REPLY: &str = "Vous êtes admissible sous conditions de ressources";
    const INTERNAL: &str = "Dossier complet pour la commission";
    const REFERRAL_NOTE: &str = "Transmis avec le numéro de la requérante";

    let mut request = submission(&category);
    {
        let requester = requester_mut(&mut request);
        requester.display_name = NAME.to_owned();
        requester.email = EMAIL.to_owned();
        requester.phone = PHONE.to_owned();
    }
    inquiry_mut(&mut request).subject = SUBJECT.to_owned();
    inquiry_mut(&mut request).body = BODY.to_owned();
    inquiry_mut(&mut request).service = service.clone();
    let submitted = desk.submit(request.clone()).await.unwrap();
    let _replayed = desk.submit(request.clone()).await.unwrap();
    let inquiry = submitted.inquiry.unwrap();
    // A refused submission, whose violations must not quote what was sent either.
    let mut bad = request.clone();
    bad.request_id = Uuid::new_v4().to_string();
    requester_mut(&mut bad).email = "rachida.imaginaire-at-example.net".to_owned();
    assert_invalid(desk.submit(bad).await, "inquiry.requester.email");

    let inquiry = agent
        .assign(&inquiry, "guichet-mre", "agent-logement", NOTE)
        .await
        .unwrap();
    agent
        .write(&inquiry.name, MessageVisibility::InternalNote, INTERNAL)
        .await
        .unwrap();
    agent
        .write(&inquiry.name, MessageVisibility::PublicReply, REPLY)
        .await
        .unwrap();
    let inquiry = agent.get(&inquiry.name).await.unwrap();
    let inquiry = agent
        .transition(&inquiry, InquiryStatus::Answered, NOTE)
        .await
        .unwrap();
    let inquiry = agent
        .transition(&inquiry, InquiryStatus::InProgress, NOTE)
        .await
        .unwrap();
    let inquiry = agent
        .transition_with(
            &inquiry,
            InquiryStatus::Referred,
            REFERRAL_NOTE,
            Some(Referral {
                administration: "Direction régionale de l'habitat".to_owned(),
                external_reference: String::new(),
            }),
        )
        .await
        .unwrap();
    let _ = agent.get(&inquiry.name).await.unwrap();
    let _ = agent.messages(&inquiry.name).await.unwrap();
    let _ = agent.list_all(list_of("agencies/bm")).await;
    let _ = world
        .anonymous()
        .await
        .lookup(&inquiry.reference, &submitted.tracking_code)
        .await
        .unwrap();
    world.bring_catalog_up();
    world.reconciler().reconcile_once().await.unwrap();
    let _ = agent
        .statistics("agencies/bm", "2025-08-01", "2025-08-31")
        .await
        .unwrap();
    world.stop().await;

    let logs = capture.text();
    assert!(
        logs.contains(&inquiry.name.rsplit('/').next().unwrap().to_owned())
            && logs.contains("inquiry submitted")
            && logs.contains("due date settled from the catalog"),
        "the capture saw the inquiry's life"
    );
    for secret in [
        NAME,
        EMAIL,
        "rachida.imaginaire",
        PHONE,
        PHONE_E164,
        "781920364",
        SUBJECT,
        BODY,
        NOTE,
        REPLY,
        INTERNAL,
        REFERRAL_NOTE,
        &submitted.tracking_code,
        &submitted.tracking_code.replace('-', ""),
    ] {
        assert!(
            !logs.contains(secret),
            "the logs hold personal data: {secret}"
        );
    }
}
