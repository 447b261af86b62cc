//! The public transparency figures (GetPublicInquiryStatistics): no token needed, one
//! agency's year, counts below the threshold suppressed and, in each breakdown, as many
//! more as keep a suppressed count from being worked out from the total.

use jalia_proto::inquiries::v1::public_count::Value;
use jalia_proto::inquiries::v1::*;
use jalia_testing::assert_invalid;
use tonic::{Response, Status};

use crate::helpers::*;

async fn figures(
    api: &Api,
    parent: &str,
    year: i32,
) -> Result<GetPublicInquiryStatisticsResponse, Status> {
    api.client()
        .get_public_inquiry_statistics(GetPublicInquiryStatisticsRequest {
            parent: parent.to_owned(),
            year,
        })
        .await
        .map(Response::into_inner)
}

fn count(value: i64) -> Option<PublicCount> {
    Some(PublicCount {
        value: Some(Value::Count(value)),
    })
}

fn suppressed() -> Option<PublicCount> {
    Some(PublicCount {
        value: Some(Value::Suppressed(true)),
    })
}

fn by_status(
    figures: &GetPublicInquiryStatisticsResponse,
) -> Vec<(InquiryStatus, Option<PublicCount>)> {
    figures
        .status_counts
        .iter()
        .map(|entry| (entry.status(), entry.count))
        .collect()
}

fn by_kind(
    figures: &GetPublicInquiryStatisticsResponse,
) -> Vec<(InquiryKind, Option<PublicCount>)> {
    figures
        .kind_counts
        .iter()
        .map(|entry| (entry.kind(), entry.count))
        .collect()
}

#[tokio::test]
async fn anyone_reads_a_years_figures_with_small_counts_suppressed() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent", "bm").await;
    let rabat = world.caller("agent-rabat", "rabat").await;
    let public = world.anonymous().await;
    let category = agent
        .create_category("agencies/bm", "Renseignements", 10)
        .await
        .unwrap();
    // Béni Mellal, 2025: 8 questions and 3 requests; 6 of the questions answered the day
    // after.
    let mut submitted = Vec::new();
    for index in 0..11 {
        let mut request = submission(&category);
        if index >= 8 {
            inquiry_mut(&mut request).kind = InquiryKind::Request as i32;
        }
        submitted.push(agent.submit(request).await.unwrap().inquiry.unwrap());
    }
    world.set_clock("2025-08-11T10:00:00");
    for inquiry in &submitted[..6] {
        agent
            .write(&inquiry.name, MessageVisibility::PublicReply, "Réponse")
            .await
            .unwrap();
        let current = agent.get(&inquiry.name).await.unwrap();
        agent
            .transition(&current, InquiryStatus::Answered, "")
            .await
            .unwrap();
    }
    // Rabat, 2025: two inquiries, one answered.
    let rabat_category = rabat
        .create_category("agencies/rabat", "Renseignements", 10)
        .await
        .unwrap();
    for answered in [true, false] {
        let mut request = submission(&rabat_category);
        request.parent = "agencies/rabat".to_owned();
        let inquiry = rabat.submit(request).await.unwrap().inquiry.unwrap();
        if answered {
            rabat
                .write(&inquiry.name, MessageVisibility::PublicReply, "Réponse")
                .await
                .unwrap();
        }
    }

    let bm = figures(&public, "agencies/bm", 2025).await.unwrap();
    assert_eq!(
        (bm.parent.as_str(), bm.year, bm.suppression_threshold),
        ("agencies/bm", 2025, 5)
    );
    assert_eq!(bm.total, count(11));
    assert_eq!(
        by_status(&bm),
        [
            (InquiryStatus::New, count(5)),
            (InquiryStatus::Assigned, count(0)),
            (InquiryStatus::InProgress, count(0)),
            (InquiryStatus::WaitingOnCitizen, count(0)),
            (InquiryStatus::Answered, count(6)),
            (InquiryStatus::Closed, count(0)),
            (InquiryStatus::Referred, count(0)),
        ]
    );
    // 3 requests are too few; alone, they would be 11 - 8 - 0 - 0: the questions are
    // suppressed with them.
    assert_eq!(
        by_kind(&bm),
        [
            (InquiryKind::Question, suppressed()),
            (InquiryKind::Request, suppressed()),
            (InquiryKind::Complaint, count(0)),
            (InquiryKind::Suggestion, count(0)),
        ]
    );
    assert_eq!(
        bm.median_first_response_duration,
        Some(prost_types::Duration {
            seconds: 86_400,
            nanos: 0
        })
    );
    assert_eq!(bm.answered_on_time_share, Some(1.0));
    assert!(!bm.median_first_response_suppressed && !bm.answered_on_time_share_suppressed);

    // Two inquiries: everything that counts them is suppressed.
    let few = figures(&public, "agencies/rabat", 2025).await.unwrap();
    assert_eq!(few.total, suppressed());
    assert!(
        by_status(&few)
            .iter()
            .all(|(_, published)| *published == suppressed() || *published == count(0))
    );
    assert_eq!(
        by_status(&few)[0],
        (InquiryStatus::New, suppressed()),
        "{few:?}"
    );
    assert!(few.median_first_response_suppressed && few.median_first_response_duration.is_none());

    // A year with nothing: zeros, nothing suppressed.
    let empty = figures(&public, "agencies/bm", 2024).await.unwrap();
    assert_eq!(empty.total, count(0));
    assert!(
        by_kind(&empty)
            .iter()
            .all(|(_, published)| *published == count(0))
    );
    assert!(
        empty.median_first_response_duration.is_none() && !empty.median_first_response_suppressed
    );
    assert!(empty.answered_on_time_share.is_none() && !empty.answered_on_time_share_suppressed);

    // A token changes nothing.
    assert_eq!(figures(&agent, "agencies/bm", 2025).await.unwrap(), bm);

    // Bad input.
    for year in [0, 1999, 2026, 70_000] {
        assert_invalid(figures(&public, "agencies/bm", year).await, "year");
    }
    assert_invalid(figures(&public, "agencies/-", 2025).await, "parent");
    assert_invalid(figures(&public, "", 2025).await, "parent");
    world.stop().await;
}
