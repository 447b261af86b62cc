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
