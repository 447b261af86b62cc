//! Escalation: an overdue inquiry is escalated once by the background rounds (a change
//! record and a priority raise), whichever replicas run them, and counted in statistics.

use jalia_proto::inquiries::v1::*;

use crate::helpers::*;

#[tokio::test]
async fn an_overdue_inquiry_is_escalated_once_across_replicas_and_counted() {
    let world = World::start(2, CatalogAt::Down).await;
    let agent = world.caller("agent", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    // Submitted on 10 August: due on 25 August, overdue from 26 August in Casablanca.
    let first = agent
        .submit(submission(&category))
        .await
        .unwrap()
        .inquiry
        .unwrap();
    let second = agent
        .submit(submission(&category))
        .await
        .unwrap()
        .inquiry
        .unwrap();
    assert_eq!(due_date(&first), "2025-08-25");
    // An answered one is never overdue.
    let answered = agent
        .submit(submission(&category))
        .await
        .unwrap()
        .inquiry
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

    world.set_clock("2025-08-25T23:30:00");
    assert_eq!(world.reconciler().escalate_once().await.unwrap(), 0);

    // Both replicas run a round at the same moment: each inquiry is escalated once.
    world.set_clock("2025-08-26T00:30:00");
    let (one, other) = tokio::join!(
        world.reconciler_on(0).escalate_once(),
        world.reconciler_on(1).escalate_once()
    );
    assert_eq!(one.unwrap() + other.unwrap(), 2);
    world.set_clock("2025-08-27T09:00:00");
    assert_eq!(world.reconciler_on(1).escalate_once().await.unwrap(), 0);

    for name in [&first.name, &second.name] {
        let read = agent.get(name).await.unwrap();
        assert_eq!(read.priority, InquiryPriority::High as i32);
        assert!(read.escalate_time.is_some());
        let escalations: Vec<&StateChange> = read
            .history
            .iter()
            .filter(|change| change.escalation)
            .collect();
        assert_eq!(escalations.len(), 1, "{name}");
        assert_eq!(escalations[0].actor, "jalia:escalation");
        assert_eq!(escalations[0].from_status, escalations[0].to_status);
    }
    let read = agent.get(&answered.name).await.unwrap();
    assert!(read.escalate_time.is_none());

    let statistics = agent
        .statistics("agencies/bm", "2025-08-01", "2025-08-31")
        .await
        .unwrap();
    assert_eq!(statistics.escalated_count, 2);
    world.stop().await;
}
