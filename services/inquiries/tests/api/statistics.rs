//! GetInquiryStatistics.

use std::collections::HashMap;

use jalia_proto::inquiries::v1::*;
use jalia_runtime::reasons;
use jalia_testing::{assert_invalid, assert_status};
use tonic::Code;

use crate::helpers::*;

#[tokio::test]
async fn statistics_count_by_status_category_and_channel_with_the_median_first_response() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent", "bm").await;
    let permit = agent
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let housing = agent
        .create_category("agencies/bm", "Aide directe au logement", 2)
        .await
        .unwrap();

    // Three inquiries on 10 August, answered after 1 h, 3 h and (late) 4 days.
    let mut inquiries = Vec::new();
    for (category, channel) in [
        (&permit, InquiryChannel::EventDesk),
        (&permit, InquiryChannel::Phone),
        (&housing, InquiryChannel::EventDesk),
    ] {
        let mut request = submission(category);
        inquiry_mut(&mut request).channel = channel as i32;
        inquiries.push(agent.submit(request).await.unwrap().inquiry.unwrap());
    }
    for (inquiry, answered_at) in inquiries.iter().zip([
        "2025-08-10T11:00:00",
        "2025-08-10T13:00:00",
        "2025-08-14T10:00:00",
    ]) {
        world.set_clock(answered_at);
        agent
            .write(&inquiry.name, MessageVisibility::PublicReply, "réponse")
            .await
            .unwrap();
        let current = agent.get(&inquiry.name).await.unwrap();
        agent
            .transition(&current, InquiryStatus::Answered, "")
            .await
            .unwrap();
    }
    let current = agent.get(&inquiries[1].name).await.unwrap();
    agent
        .transition(&current, InquiryStatus::Closed, "")
        .await
        .unwrap();
    // One in September, outside the period.
    world.set_clock("2025-09-02T10:00:00");
    agent.submit(submission(&permit)).await.unwrap();

    let statistics = agent
        .statistics("agencies/bm", "2025-08-01", "2025-08-31")
        .await
        .unwrap();
    assert_eq!(statistics.total_count, 3);
    let statuses: Vec<(i32, i64)> = statistics
        .status_counts
        .iter()
        .map(|c| (c.status, c.count))
        .collect();
    assert_eq!(
        statuses,
        vec![
            (InquiryStatus::Answered as i32, 2),
            (InquiryStatus::Closed as i32, 1)
        ]
    );
    let categories: HashMap<String, (i64, String)> = statistics
        .category_counts
        .iter()
        .map(|c| {
            (
                c.category.clone(),
                (
                    c.count,
                    c.display_name
                        .as_ref()
                        .unwrap()
                        .resolved
                        .as_ref()
                        .unwrap()
                        .text
                        .clone(),
                ),
            )
        })
        .collect();
    assert_eq!(
        categories[&permit.name],
        (2, "Permis de construire".to_owned())
    );
    assert_eq!(categories[&housing.name].0, 1);
    let channels: Vec<(i32, i64)> = statistics
        .channel_counts
        .iter()
        .map(|c| (c.channel, c.count))
        .collect();
    assert_eq!(
        channels,
        vec![
            (InquiryChannel::EventDesk as i32, 2),
            (InquiryChannel::Phone as i32, 1)
        ]
    );
    assert_eq!(statistics.answered_count, 3);
    assert_eq!(
        statistics.answered_on_time_count, 2,
        "the housing one was due on the 12th"
    );
    assert!((statistics.answered_on_time_share.unwrap() - 2.0 / 3.0).abs() < 1e-9);
    let median = statistics.median_first_response_duration.unwrap();
    assert_eq!((median.seconds, median.nanos), (3 * 3600, 0));
    assert_eq!(statistics.overdue_count, 0);

    // A ministry-wide caller sees every agency; an agency caller not another's.
    let ministry = world.caller("ministere", "*").await;
    let all = ministry
        .statistics("agencies/-", "2025-08-01", "2025-09-30")
        .await
        .unwrap();
    assert_eq!(all.total_count, 4);
    let other = world.caller("agent", "khouribga").await;
    assert_status(
        other
            .statistics("agencies/bm", "2025-08-01", "2025-08-31")
            .await,
        Code::PermissionDenied,
        reasons::OTHER_AGENCY,
    );
    assert_eq!(
        other
            .statistics("agencies/-", "2025-08-01", "2025-08-31")
            .await
            .unwrap()
            .total_count,
        0
    );
    let empty = agent
        .statistics("agencies/bm", "2024-01-01", "2024-12-31")
        .await
        .unwrap();
    assert_eq!(empty.total_count, 0);
    assert!(empty.answered_on_time_share.is_none());
    assert!(empty.median_first_response_duration.is_none());
    assert_invalid(
        agent
            .statistics("agencies/bm", "2025-08-31", "2025-08-01")
            .await,
        "period_end",
    );
    world.stop().await;
}
