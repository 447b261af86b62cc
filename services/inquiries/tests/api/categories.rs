//! Inquiry categories.

use jalia_proto::inquiries::v1::*;
use jalia_runtime::reasons;
use jalia_testing::{assert_invalid, assert_status};
use tonic::Code;
use uuid::Uuid;

use crate::helpers::*;

#[tokio::test]
async fn categories_are_idempotent_unique_by_name_and_guarded_by_etag() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent", "bm").await;
    let request_id = Uuid::new_v4().to_string();
    let created = agent
        .create_category_with("agencies/bm", "Permis de construire", 15, &request_id)
        .await
        .unwrap();
    let again = agent
        .create_category_with("agencies/bm", "Permis de construire", 15, &request_id)
        .await
        .unwrap();
    assert_eq!(created.name, again.name);
    assert_invalid(
        agent
            .create_category_with("agencies/bm", "Permis de construire", 20, &request_id)
            .await,
        "request_id",
    );
    assert_status(
        agent
            .create_category("agencies/bm", "  permis DE construire ", 10)
            .await,
        Code::AlreadyExists,
        reasons::CATEGORY_NAME_TAKEN,
    );
    assert_invalid(
        agent.create_category("agencies/bm", "Logement", 0).await,
        "inquiry_category.default_response_days",
    );
    assert_invalid(
        agent.create_category("agencies/bm", " ", 10).await,
        "inquiry_category.display_name.entries",
    );
    assert_status(
        agent
            .create_category("agencies/rabat", "Logement", 10)
            .await,
        Code::PermissionDenied,
        reasons::OTHER_AGENCY,
    );
    // Another agency may use the same name.
    let rabat = world.caller("agent", "rabat").await;
    rabat
        .create_category("agencies/rabat", "Permis de construire", 30)
        .await
        .unwrap();

    let update = |category, paths| agent.update_category(category, paths);
    let mut change = created.clone();
    change.default_response_days = 20;
    let updated = update(change.clone(), &["default_response_days"])
        .await
        .unwrap();
    assert_eq!(updated.default_response_days, 20);
    assert_ne!(updated.etag, created.etag);
    assert_status(
        update(change.clone(), &["default_response_days"]).await,
        Code::Aborted,
        reasons::STALE_ETAG,
    );
    assert_invalid(
        update(updated.clone(), &["name"]).await,
        "update_mask.paths[0]",
    );
    // An empty mask changes what the request sets (AIP-134), and nothing else.
    let only_days = InquiryCategory {
        name: updated.name.clone(),
        etag: updated.etag.clone(),
        default_response_days: 25,
        ..Default::default()
    };
    let updated = update(only_days, &[]).await.unwrap();
    assert_eq!(updated.default_response_days, 25);
    assert_eq!(
        updated.display_name.as_ref().unwrap().entries[0].text,
        "Permis de construire"
    );
    let nothing = InquiryCategory {
        name: updated.name.clone(),
        etag: updated.etag.clone(),
        ..Default::default()
    };
    assert_invalid(update(nothing, &[]).await, "update_mask");
    let mut foreign = updated.clone();
    foreign.name = foreign.name.replace("agencies/bm/", "agencies/rabat/");
    assert_status(
        update(foreign, &["default_response_days"]).await,
        Code::NotFound,
        reasons::NOT_FOUND,
    );

    let request = agent.request(ListInquiryCategoriesRequest {
        parent: "agencies/-".to_owned(),
        page_size: 1,
        ..Default::default()
    });
    let page = agent
        .client()
        .list_inquiry_categories(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.inquiry_categories.len(), 1);
    assert!(!page.next_page_token.is_empty());
    world.stop().await;
}

#[tokio::test]
async fn a_submission_uses_its_category_as_stored_whichever_replica_changed_it() {
    let world = World::start(2, CatalogAt::Down).await;
    let (first, second) = (
        world.caller_on(0, "desk-app", "bm").await,
        world.caller_on(1, "desk-app", "bm").await,
    );
    let category = first
        .create_category("agencies/bm", "Permis de construire", 10)
        .await
        .unwrap();
    let submitted_on = async |api: &Api| {
        let request = submission(&category);
        api.submit(request).await.unwrap().inquiry.unwrap()
    };
    let made = submitted_on(&second).await;
    assert_eq!(due_date(&made), "2025-08-20", "10 days from the submission");

    // The second replica keeps the category from its submission; the first changes it.
    let mut change = category.clone();
    change.default_response_days = 20;
    change.display_name = Some(text("fr", "Permis de construire ou d'habiter"));
    let changed = first
        .update_category(change, &["default_response_days", "display_name"])
        .await
        .unwrap();
    for _ in 0..2 {
        let made = submitted_on(&second).await;
        assert_eq!(due_date(&made), "2025-08-30", "the changed 20 days");
        let name = made.category_display_name.unwrap();
        assert_eq!(name.entries[0].text, "Permis de construire ou d'habiter");
    }

    // A change made on the replica that submits shows at once too.
    let mut change = changed.clone();
    change.default_response_days = 5;
    second
        .update_category(change, &["default_response_days"])
        .await
        .unwrap();
    assert_eq!(due_date(&submitted_on(&second).await), "2025-08-15");
    world.stop().await;
}
