//! Creates with a request_id (AIP-155): a retry gets the first result, the same id with
//! another request is refused, ids are the calling system's own, and records go after
//! their retention.

use crate::helpers::*;

#[tokio::test]
async fn a_reused_request_id_replays_or_is_refused() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let token = catalog.bm();
    let request_id = Uuid::new_v4().to_string();
    let request = |name: &str| CreatePublicServiceRequest {
        parent: "agencies/bm".to_owned(),
        public_service: Some(service(&basics.category.name, name, &[], "")),
        request_id: request_id.clone(),
    };
    let first = client
        .create_public_service(authed(request("Une"), &token))
        .await
        .unwrap()
        .into_inner();
    let again = client
        .create_public_service(authed(request("Une"), &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, again);
    let status = client
        .create_public_service(authed(request("Autre"), &token))
        .await
        .unwrap_err();
    assert_invalid(&status, &["request_id"]);
    assert_eq!(drafts_of(&mut client, &token, "agencies/bm").await.len(), 1);
    catalog.stop().await;
}

#[tokio::test]
async fn request_ids_belong_to_the_calling_system_and_method() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let request_id = Uuid::new_v4().to_string();
    let request = || CreatePublicServiceRequest {
        parent: "agencies/bm".to_owned(),
        public_service: Some(service(&basics.category.name, "Une", &[], "")),
        request_id: request_id.clone(),
    };
    // Two systems of one agency: each one's request_ids are its own.
    let back_office = client
        .create_public_service(authed(request(), &catalog.bm()))
        .await
        .unwrap()
        .into_inner();
    let portal = catalog.token("bm-portal", "bm", &[READ, WRITE]);
    let other_system = client
        .create_public_service(authed(request(), &portal))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(back_office.name, other_system.name);
    // Another method with the same id is another record.
    let category = client
        .create_category(authed(
            CreateCategoryRequest {
                category: Some(Category {
                    display_name: fr("Habitat"),
                    ..Category::default()
                }),
                request_id: request_id.clone(),
            },
            &catalog.ministry(),
        ))
        .await
        .unwrap()
        .into_inner();
    let again = client
        .create_category(authed(
            CreateCategoryRequest {
                category: Some(Category {
                    display_name: fr("Habitat"),
                    ..Category::default()
                }),
                request_id,
            },
            &catalog.ministry(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(category, again, "a retried category create replays");
    let token = catalog.ministry();
    assert_eq!(drafts_of(&mut client, &token, "agencies/bm").await.len(), 2);
    catalog.stop().await;
}

#[tokio::test]
async fn records_past_their_retention_are_purged_and_their_ids_free_again() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let request_id = Uuid::new_v4().to_string();
    let request = |name: &str| CreatePublicServiceRequest {
        parent: "agencies/bm".to_owned(),
        public_service: Some(service(&basics.category.name, name, &[], "")),
        request_id: request_id.clone(),
    };
    client
        .create_public_service(authed(request("Une"), &catalog.bm()))
        .await
        .unwrap();
    // Within the retention the record stays, whatever the purge does.
    catalog.clock.advance(SignedDuration::from_hours(6 * 24));
    assert_eq!(catalog.first.purge.run_once().await.unwrap(), 0);
    let status = client
        .create_public_service(authed(request("Autre"), &catalog.bm()))
        .await
        .unwrap_err();
    assert_invalid(&status, &["request_id"]);
    // Past it (7 days), the purge drops it and the id may be used again.
    catalog.clock.advance(SignedDuration::from_hours(2 * 24));
    // The two agencies and the category of `basics` were created with request_ids too.
    assert_eq!(catalog.first.purge.run_once().await.unwrap(), 4);
    let reused = client
        .create_public_service(authed(request("Autre"), &catalog.bm()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(french_name(&reused), "Autre");
    let token = catalog.bm();
    assert_eq!(drafts_of(&mut client, &token, "agencies/bm").await.len(), 2);
    catalog.stop().await;
}
