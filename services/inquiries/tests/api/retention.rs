//! Personal-data retention (law 09-08): a CLOSED inquiry past the retention period is
//! anonymised by the background rounds; the statistics do not change.

use std::time::Duration;

use jalia_proto::inquiries::v1::*;

use crate::helpers::*;

#[tokio::test]
async fn a_closed_inquiry_past_its_retention_holds_no_personal_data_and_statistics_stay() {
    let world = World::start_with(1, CatalogAt::Down, |config| {
        config.retention = Duration::from_secs(10 * 86_400);
    })
    .await;
    let agent = world.caller("agent", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let mut request = submission(&category);
    inquiry_mut(&mut request).place = Some(InquiryPlace {
        commune: "Azilal".to_owned(),
        land_title_number: "12345/10".to_owned(),
        latitude: Some(31.96),
        longitude: Some(-6.57),
    });
    let submitted = agent.submit(request).await.unwrap();
    let closed = submitted.inquiry.unwrap();
    // The citizen writes back through a portal: their words go with the rest.
    agent
        .client()
        .reply_to_inquiry(agent.request(ReplyToInquiryRequest {
            reference: closed.reference.clone(),
            tracking_code: submitted.tracking_code.clone(),
            body: "Mon titre foncier est le 12345/10".to_owned(),
            request_id: String::new(),
            attachments: Vec::new(),
        }))
        .await
        .unwrap();
    let open = agent
        .submit(submission(&category))
        .await
        .unwrap()
        .inquiry
        .unwrap();
    world.set_clock("2025-08-11T10:00:00");
    agent
        .write(&closed.name, MessageVisibility::PublicReply, "réponse")
        .await
        .unwrap();
    let current = agent.get(&closed.name).await.unwrap();
    let current = agent
        .transition(&current, InquiryStatus::Answered, "Mme Fictive rappelée")
        .await
        .unwrap();
    agent
        .transition(&current, InquiryStatus::Closed, "")
        .await
        .unwrap();
    let before = agent
        .statistics("agencies/bm", "2025-08-01", "2025-08-31")
        .await
        .unwrap();

    // Ten days after the last change is not yet past the retention.
    world.set_clock("2025-08-21T09:00:00");
    assert_eq!(world.reconciler().anonymise_once().await.unwrap(), 0);
    world.set_clock("2025-08-21T11:00:00");
    assert_eq!(world.reconciler().anonymise_once().await.unwrap(), 1);
    assert_eq!(world.reconciler().anonymise_once().await.unwrap(), 0);

    let read = agent.get(&closed.name).await.unwrap();
    let requester = read.requester.clone().unwrap();
    assert_eq!(requester.display_name, "[anonymised]");
    assert!(requester.email.is_empty() && requester.phone.is_empty());
    assert_eq!(
        (read.subject.as_str(), read.body.as_str()),
        ("[anonymised]", "[anonymised]")
    );
    let place = read.place.clone().unwrap();
    assert_eq!(place.commune, "Azilal");
    assert!(place.land_title_number.is_empty() && place.latitude.is_none());
    assert!(read.history.iter().all(|change| change.note.is_empty()));
    let printed = format!(
        "{:?}",
        (
            &read.requester.as_ref().map(|r| &r.display_name),
            &read.subject,
            &read.body,
            &read.history
        )
    );
    for secret in [
        "Samira",
        "samira.fictive",
        "Rokhas",
        "12345/10",
        "Mme Fictive",
    ] {
        assert!(!printed.contains(secret), "{secret} remains");
    }
    let bodies: Vec<_> = agent
        .messages(&closed.name)
        .await
        .unwrap()
        .inquiry_messages
        .into_iter()
        .map(|message| message.body)
        .collect();
    assert_eq!(bodies, ["[anonymised]", "réponse"], "staff replies stay");
    // The open inquiry keeps its data.
    let kept = agent.get(&open.name).await.unwrap();
    assert_eq!(kept.requester.unwrap().display_name, "Samira Fictive");

    let after = agent
        .statistics("agencies/bm", "2025-08-01", "2025-08-31")
        .await
        .unwrap();
    assert_eq!(before, after);
    world.stop().await;
}
