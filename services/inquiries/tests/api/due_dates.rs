//! Due dates: from the catalog when it answers, pending and settled later when it does
//! not, paused while waiting on the citizen, and overdue by the agency's calendar.

use jalia_proto::inquiries::v1::*;
use jalia_testing::assert_invalid;
use jiff::SignedDuration;

use crate::helpers::*;

#[tokio::test]
async fn an_unreachable_catalog_flags_the_inquiry_and_the_reconciler_settles_it() {
    let world = World::start(1, CatalogAt::Down).await;
    let desk = world.caller("desk-app", "bm").await;
    let category = desk
        .create_category("agencies/bm", "Permis de construire", 10)
        .await
        .unwrap();
    let service = service_name();
    world.catalog.publish(&service, Some(30));

    let mut request = submission(&category);
    inquiry_mut(&mut request).service = service.clone();
    let inquiry = desk.submit(request).await.unwrap().inquiry.unwrap();
    assert!(
        inquiry.due_date_pending,
        "flagged while the catalog is down"
    );
    assert_eq!(inquiry.due_date_source(), DueDateSource::CategoryDefault);
    assert_eq!(due_date(&inquiry), "2025-08-20");

    // Still down: a round settles nothing and changes nothing.
    assert_eq!(world.reconciler().reconcile_once().await.unwrap(), 0);
    assert!(desk.get(&inquiry.name).await.unwrap().due_date_pending);

    world.bring_catalog_up();
    world.set_clock("2025-08-12T09:00:00");
    assert_eq!(world.reconciler().reconcile_once().await.unwrap(), 1);
    let settled = desk.get(&inquiry.name).await.unwrap();
    assert!(!settled.due_date_pending);
    assert_eq!(
        settled.due_date_source(),
        DueDateSource::CatalogProcessingTime
    );
    assert_eq!(
        due_date(&settled),
        "2025-09-09",
        "the submission date plus 30 days"
    );
    assert_ne!(settled.etag, inquiry.etag, "the change shows in the etag");
    assert_eq!(world.reconciler().reconcile_once().await.unwrap(), 0);

    // With the catalog up, a linked service sets the due date at once...
    let mut request = submission(&category);
    inquiry_mut(&mut request).service = service.clone();
    let direct = desk.submit(request).await.unwrap().inquiry.unwrap();
    assert!(!direct.due_date_pending);
    assert_eq!(
        direct.due_date_source(),
        DueDateSource::CatalogProcessingTime
    );
    assert_eq!(due_date(&direct), "2025-09-11");

    // ...and a service the catalog does not know is refused, with nothing written.
    let before = desk.list_all(list_of("agencies/bm")).await.len();
    let mut request = submission(&category);
    inquiry_mut(&mut request).service = service_name();
    assert_invalid(desk.submit(request).await, "inquiry.service");
    assert_eq!(desk.list_all(list_of("agencies/bm")).await.len(), before);
    world.stop().await;
}

#[tokio::test]
async fn waiting_on_the_citizen_pauses_the_due_date_and_overdue_follows_the_clock() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent-logement", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Aide directe au logement", 5)
        .await
        .unwrap();
    let inquiry = agent
        .submit(submission(&category))
        .await
        .unwrap()
        .inquiry
        .unwrap();
    assert_eq!(due_date(&inquiry), "2025-08-15");

    world.set_clock("2025-08-11T09:00:00");
    let inquiry = agent
        .transition(&inquiry, InquiryStatus::InProgress, "")
        .await
        .unwrap();
    world.set_clock("2025-08-11T10:00:00");
    let inquiry = agent
        .transition(
            &inquiry,
            InquiryStatus::WaitingOnCitizen,
            "attestation de non-propriété demandée",
        )
        .await
        .unwrap();

    // Two days began while waiting: the due date has moved by two.
    world.set_clock("2025-08-13T09:00:00");
    let waiting = agent.get(&inquiry.name).await.unwrap();
    assert_eq!(due_date(&waiting), "2025-08-17");
    let paused = waiting.paused_duration.unwrap();
    assert_eq!(paused.seconds, 47 * 3600);
    let inquiry = agent
        .transition(&waiting, InquiryStatus::InProgress, "document reçu")
        .await
        .unwrap();
    assert_eq!(due_date(&inquiry), "2025-08-17");

    let overdue = ListInquiriesRequest {
        overdue: true,
        ..list_of("agencies/bm")
    };
    // Due on the 17th: not overdue until the first instant of the 18th in Casablanca.
    world
        .clock
        .set(local("2025-08-18T00:00:00") - SignedDuration::from_micros(1));
    assert!(agent.list_all(overdue.clone()).await.is_empty());
    let statistics = agent
        .statistics("agencies/bm", "2025-08-01", "2025-08-31")
        .await
        .unwrap();
    assert_eq!(statistics.overdue_count, 0);

    world.set_clock("2025-08-18T00:00:00");
    let listed = agent.list_all(overdue.clone()).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, inquiry.name);
    let statistics = agent
        .statistics("agencies/bm", "2025-08-01", "2025-08-31")
        .await
        .unwrap();
    assert_eq!(statistics.overdue_count, 1);

    // Waiting on the citizen is never overdue.
    let waiting = agent
        .transition(&inquiry, InquiryStatus::WaitingOnCitizen, "")
        .await
        .unwrap();
    assert!(agent.list_all(overdue).await.is_empty());
    assert_eq!(waiting.status(), InquiryStatus::WaitingOnCitizen);
    world.stop().await;
}

#[tokio::test]
async fn a_catalog_that_never_answers_leaves_the_due_date_pending() {
    // Connections queue in this listener's backlog and are never answered.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = silent.local_addr().unwrap();
    let world = World::start_with(1, CatalogAt::Up, |config| {
        config.catalog_url = format!("http://{address}");
        config.catalog_timeout = std::time::Duration::from_millis(200);
    })
    .await;
    let desk = world.caller("desk-app", "bm").await;
    let category = desk
        .create_category("agencies/bm", "Permis de construire", 10)
        .await
        .unwrap();
    let mut request = submission(&category);
    inquiry_mut(&mut request).service = service_name();
    let inquiry = desk.submit(request).await.unwrap().inquiry.unwrap();
    assert!(inquiry.due_date_pending);
    assert_eq!(inquiry.due_date_source(), DueDateSource::CategoryDefault);
    assert_eq!(due_date(&inquiry), "2025-08-20");
    assert_eq!(world.reconciler().reconcile_once().await.unwrap(), 0);
    world.stop().await;
    drop(silent);
}
