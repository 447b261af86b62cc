//! An inquiry's kind and place: what the citizen does (asks, requests, complains,
//! suggests) and what it is about, counted by kind in the statistics.

use jalia_proto::inquiries::v1::*;
use jalia_testing::{assert_invalid, violated_fields};

use crate::helpers::*;

fn azilal_plot() -> InquiryPlace {
    InquiryPlace {
        commune: "Azilal".to_owned(),
        land_title_number: "12345/10".to_owned(),
        latitude: Some(31.961_234),
        longitude: Some(-6.571_111),
    }
}

#[tokio::test]
async fn a_kind_and_a_place_are_kept_and_an_unset_kind_is_a_question() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();

    let mut complaint = submission(&category);
    inquiry_mut(&mut complaint).kind = InquiryKind::Complaint as i32;
    inquiry_mut(&mut complaint).place = Some(azilal_plot());
    let made = agent.submit(complaint).await.unwrap().inquiry.unwrap();
    let read = agent.get(&made.name).await.unwrap();
    assert_eq!(read.kind, InquiryKind::Complaint as i32);
    assert_eq!(read.place, Some(azilal_plot()));

    // No kind is a question; an empty place is no place.
    let mut plain = submission(&category);
    inquiry_mut(&mut plain).place = Some(InquiryPlace::default());
    let plain = agent.submit(plain).await.unwrap().inquiry.unwrap();
    assert_eq!(plain.kind, InquiryKind::Question as i32);
    assert_eq!(plain.place, None);

    // A handler reclassifies the question as a suggestion.
    let mut change = agent.get(&plain.name).await.unwrap();
    change.kind = InquiryKind::Suggestion as i32;
    let updated = agent.update(change, &["kind"]).await.unwrap();
    assert_eq!(updated.kind, InquiryKind::Suggestion as i32);
    world.stop().await;
}

#[tokio::test]
async fn a_bad_kind_or_place_is_refused_field_by_field_and_writes_nothing() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();

    let mut bad = submission(&category);
    inquiry_mut(&mut bad).kind = 9;
    inquiry_mut(&mut bad).place = Some(InquiryPlace {
        commune: "A".repeat(201),
        land_title_number: "T".repeat(51),
        latitude: Some(91.0),
        longitude: Some(-6.5),
    });
    let status = assert_invalid(agent.submit(bad).await, "inquiry.kind");
    let mut fields = violated_fields(&status);
    fields.sort();
    assert_eq!(
        fields,
        [
            "inquiry.kind",
            "inquiry.place.commune",
            "inquiry.place.land_title_number",
            "inquiry.place.latitude",
        ]
    );
    // The land title never comes back in the error.
    assert!(!status.message().contains("TTTT"));

    let mut half = submission(&category);
    inquiry_mut(&mut half).place = Some(InquiryPlace {
        latitude: Some(31.9),
        ..InquiryPlace::default()
    });
    assert_invalid(agent.submit(half).await, "inquiry.place.longitude");

    let mut nan = submission(&category);
    inquiry_mut(&mut nan).place = Some(InquiryPlace {
        latitude: Some(31.9),
        longitude: Some(f64::NAN),
        ..InquiryPlace::default()
    });
    assert_invalid(agent.submit(nan).await, "inquiry.place.longitude");

    assert!(agent.list_all(list_of("agencies/bm")).await.is_empty());
    world.stop().await;
}

#[tokio::test]
async fn statistics_count_by_kind() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    for kind in [
        InquiryKind::Unspecified,
        InquiryKind::Question,
        InquiryKind::Complaint,
        InquiryKind::Request,
        InquiryKind::Complaint,
    ] {
        let mut request = submission(&category);
        inquiry_mut(&mut request).kind = kind as i32;
        agent.submit(request).await.unwrap();
    }
    let statistics = agent
        .statistics("agencies/bm", "2025-08-01", "2025-08-31")
        .await
        .unwrap();
    let kinds: Vec<(i32, i64)> = statistics
        .kind_counts
        .iter()
        .map(|count| (count.kind, count.count))
        .collect();
    assert_eq!(
        kinds,
        [
            (InquiryKind::Question as i32, 2),
            (InquiryKind::Request as i32, 1),
            (InquiryKind::Complaint as i32, 2),
        ]
    );
    world.stop().await;
}
