//! ListInquiries: filters, keyset pages and their tokens.

use jalia_proto::inquiries::v1::*;
use jalia_testing::assert_invalid;
use jiff::SignedDuration;
use uuid::Uuid;

use crate::helpers::*;

#[tokio::test]
async fn lists_filter_and_page_by_keyset() {
    let world = World::start(1, CatalogAt::Up).await;
    let desk = world.caller("desk-app", "bm").await;
    let agent = world.caller("agent-urbanisme", "bm").await;
    let permit = desk
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let housing = desk
        .create_category("agencies/bm", "Aide directe au logement", 5)
        .await
        .unwrap();
    let service = service_name();
    world.catalog.publish(&service, Some(3));
    let event = format!("agencies/bm/events/{}", Uuid::now_v7());

    let mut names = Vec::new();
    for index in 0..7 {
        world.clock.advance(SignedDuration::from_mins(10));
        let mut request = submission(if index % 2 == 0 { &permit } else { &housing });
        if index == 3 {
            inquiry_mut(&mut request).service = service.clone();
        }
        if index == 4 {
            inquiry_mut(&mut request).event = event.clone();
            inquiry_mut(&mut request).channel = InquiryChannel::Consulate as i32;
        }
        names.push(desk.submit(request).await.unwrap().inquiry.unwrap().name);
    }
    let all = agent
        .list_all(ListInquiriesRequest {
            page_size: 3,
            ..list_of("agencies/bm")
        })
        .await;
    assert_eq!(
        all.iter().map(|i| i.name.clone()).collect::<Vec<_>>(),
        names,
        "creation order, across pages of three"
    );
    assert!(all.iter().all(|inquiry| inquiry.history.is_empty()));

    let since = agent.get(&names[6]).await.unwrap().update_time;
    world.clock.advance(SignedDuration::from_mins(1));
    let first = agent.get(&names[0]).await.unwrap();
    agent
        .assign(&first, "guichet-mre", "agent-urbanisme", "")
        .await
        .unwrap();
    let second = agent.get(&names[1]).await.unwrap();
    agent.assign(&second, "guichet-mre", "", "").await.unwrap();

    let mine = agent
        .list_all(ListInquiriesRequest {
            mine: true,
            ..list_of("agencies/bm")
        })
        .await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].name, names[0]);
    let team_unassigned = agent
        .list_all(ListInquiriesRequest {
            team: "guichet-mre".to_owned(),
            unassigned: true,
            ..list_of("agencies/bm")
        })
        .await;
    assert_eq!(team_unassigned.len(), 1);
    assert_eq!(team_unassigned[0].name, names[1]);
    let by_status = agent
        .list_all(ListInquiriesRequest {
            statuses: vec![InquiryStatus::Assigned as i32],
            ..list_of("agencies/bm")
        })
        .await;
    assert_eq!(by_status.len(), 2);
    let by_category = agent
        .list_all(ListInquiriesRequest {
            category: housing.name.clone(),
            ..list_of("agencies/bm")
        })
        .await;
    assert_eq!(by_category.len(), 3);
    let by_service = agent
        .list_all(ListInquiriesRequest {
            service: service.clone(),
            ..list_of("agencies/bm")
        })
        .await;
    assert_eq!(by_service.len(), 1);
    assert_eq!(by_service[0].name, names[3]);
    let by_event = agent
        .list_all(ListInquiriesRequest {
            event: event.clone(),
            channel: InquiryChannel::Consulate as i32,
            ..list_of("agencies/bm")
        })
        .await;
    assert_eq!(by_event.len(), 1);
    assert_eq!(by_event[0].name, names[4]);

    // Due-date order: the service's 3 days first, then 5-day housing, then 15-day permits.
    let by_due = agent
        .list_all(ListInquiriesRequest {
            order: InquiryOrder::DueDate as i32,
            page_size: 2,
            ..list_of("agencies/bm")
        })
        .await;
    let due_dates: Vec<&str> = by_due.iter().map(due_date).collect();
    let mut sorted = due_dates.clone();
    sorted.sort_unstable();
    assert_eq!(due_dates, sorted);
    assert_eq!(by_due[0].name, names[3]);
    assert_eq!(by_due.len(), 7);

    // Changes since the last submission: only what was assigned after it.
    let changed = agent
        .list_all(ListInquiriesRequest {
            updated_after: since,
            ..list_of("agencies/bm")
        })
        .await;
    assert_eq!(changed.len(), 2);

    // Page tokens are bound to their query, and cannot be forged.
    let page = agent
        .list(ListInquiriesRequest {
            page_size: 2,
            ..list_of("agencies/bm")
        })
        .await
        .unwrap();
    assert!(!page.next_page_token.is_empty());
    assert_invalid(
        agent
            .list(ListInquiriesRequest {
                page_size: 2,
                page_token: page.next_page_token.clone(),
                overdue: true,
                ..list_of("agencies/bm")
            })
            .await,
        "page_token",
    );
    let mut forged = page.next_page_token.clone();
    forged.replace_range(4..6, if &forged[4..6] == "AA" { "BB" } else { "AA" });
    assert_invalid(
        agent
            .list(ListInquiriesRequest {
                page_size: 2,
                page_token: forged,
                ..list_of("agencies/bm")
            })
            .await,
        "page_token",
    );
    let ministry = world.caller("ministere", "*").await;
    assert_invalid(
        ministry
            .list(ListInquiriesRequest {
                page_size: 2,
                page_token: page.next_page_token.clone(),
                ..list_of("agencies/bm")
            })
            .await,
        "page_token",
    );
    assert_invalid(
        agent
            .list(ListInquiriesRequest {
                page_size: -1,
                ..list_of("agencies/bm")
            })
            .await,
        "page_size",
    );
    assert_invalid(
        agent
            .list(ListInquiriesRequest {
                agent: "agent-urbanisme".to_owned(),
                mine: true,
                ..list_of("agencies/bm")
            })
            .await,
        "agent",
    );
    assert_invalid(agent.list(list_of("bm")).await, "parent");
    let huge = agent
        .list(ListInquiriesRequest {
            page_size: 10_000,
            ..list_of("agencies/bm")
        })
        .await
        .unwrap();
    assert_eq!(
        huge.inquiries.len(),
        7,
        "a page size above 500 is clamped, not refused"
    );
    world.stop().await;
}
