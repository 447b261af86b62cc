//! Lists: page sizes, page tokens, filters and incremental sync.

use crate::helpers::*;

// Pages

#[tokio::test]
async fn page_sizes_are_clamped_and_negative_ones_refused() {
    let catalog = Catalog::start().await;
    let mut client = catalog.client().await;
    let ministry = catalog.ministry();
    for index in 0..501 {
        create_category(&mut client, &ministry, &format!("Catégorie {index}")).await;
    }
    let list = |size: i32, page_token: String| ListCategoriesRequest {
        page_size: size,
        page_token,
        ..ListCategoriesRequest::default()
    };
    let clamped = client
        .list_categories(list(100_000, String::new()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(clamped.categories.len(), 500);
    assert!(!clamped.next_page_token.is_empty());
    let rest = client
        .list_categories(list(100_000, clamped.next_page_token.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.categories.len(), 1);
    assert!(rest.next_page_token.is_empty());
    let default = client
        .list_categories(list(0, String::new()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(default.categories.len(), 50);
    let status = client
        .list_categories(list(-1, String::new()))
        .await
        .unwrap_err();
    assert_invalid(&status, &["page_size"]);
    let status = client
        .list_public_services(ListPublicServicesRequest {
            parent: "agencies/-".to_owned(),
            page_size: -5,
            ..ListPublicServicesRequest::default()
        })
        .await
        .unwrap_err();
    assert_invalid(&status, &["page_size"]);
    // Creation order, and every category exactly once across pages.
    let mut seen = Vec::new();
    let mut next = String::new();
    loop {
        let page = client
            .list_categories(list(200, next))
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.categories.into_iter().map(|c| c.name));
        if page.next_page_token.is_empty() {
            break;
        }
        next = page.next_page_token;
    }
    assert_eq!(seen.len(), 501);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "UUIDv7 ids list in creation order");
    catalog.stop().await;
}

#[tokio::test]
async fn forged_foreign_and_expired_page_tokens_are_refused() {
    let catalog = Catalog::with_demo().await;
    let mut client = catalog.client().await;
    let first = client
        .list_public_services(ListPublicServicesRequest {
            parent: "agencies/-".to_owned(),
            page_size: 1,
            ..ListPublicServicesRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    let token = first.next_page_token.clone();
    assert!(!token.is_empty());
    let next = |page_token: String, parent: &str| ListPublicServicesRequest {
        parent: parent.to_owned(),
        page_size: 1,
        page_token,
        ..ListPublicServicesRequest::default()
    };
    client
        .list_public_services(next(token.clone(), "agencies/-"))
        .await
        .unwrap();
    let mut forged = token.clone().into_bytes();
    let middle = forged.len() / 2;
    forged[middle] = if forged[middle] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    for (page_token, parent) in [
        (forged, "agencies/-"),
        ("not a token".to_owned(), "agencies/-"),
        // Another filter.
        (token.clone(), "agencies/bm"),
    ] {
        let status = client
            .list_public_services(next(page_token, parent))
            .await
            .unwrap_err();
        assert_invalid(&status, &["page_token"]);
    }
    // Another caller's agency.
    let status = client
        .list_public_services(authed(next(token.clone(), "agencies/-"), &catalog.bm()))
        .await
        .unwrap_err();
    assert_invalid(&status, &["page_token"]);
    // Another method.
    let status = client
        .search_public_services(SearchPublicServicesRequest {
            parent: "agencies/-".to_owned(),
            query: "logement".to_owned(),
            page_token: token.clone(),
            ..SearchPublicServicesRequest::default()
        })
        .await
        .unwrap_err();
    assert_invalid(&status, &["page_token"]);
    // Expired.
    catalog.clock.advance(SignedDuration::from_hours(2));
    let status = client
        .list_public_services(next(token, "agencies/-"))
        .await
        .unwrap_err();
    assert_invalid(&status, &["page_token"]);
    catalog.stop().await;
}

#[tokio::test]
async fn lists_filter_and_sync_by_update_time() {
    let catalog = Catalog::with_demo().await;
    let mut client = catalog.client().await;
    let categories = client
        .list_categories(ListCategoriesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .categories;
    let housing = categories
        .iter()
        .find(|c| {
            c.display_name
                .as_ref()
                .unwrap()
                .entries
                .iter()
                .any(|e| e.text == "Housing")
        })
        .unwrap();
    let lister = client.clone();
    let list = |request: ListPublicServicesRequest| {
        let mut client = lister.clone();
        async move {
            client
                .list_public_services(request)
                .await
                .unwrap()
                .into_inner()
                .public_services
        }
    };
    let all = list(ListPublicServicesRequest {
        parent: "agencies/-".to_owned(),
        ..ListPublicServicesRequest::default()
    })
    .await;
    assert_eq!(all.len(), 5);
    let bm = list(ListPublicServicesRequest {
        parent: "agencies/bm".to_owned(),
        ..ListPublicServicesRequest::default()
    })
    .await;
    assert_eq!(bm.len(), 4);
    let housing_services = list(ListPublicServicesRequest {
        parent: "agencies/-".to_owned(),
        category: housing.name.clone(),
        ..ListPublicServicesRequest::default()
    })
    .await;
    assert_eq!(housing_services.len(), 1);
    let diaspora_desks = list(ListPublicServicesRequest {
        parent: "agencies/-".to_owned(),
        audience: Audience::Diaspora as i32,
        channel_kind: ChannelKind::InPerson as i32,
        ..ListPublicServicesRequest::default()
    })
    .await;
    assert_eq!(diaspora_desks.len(), 3, "{diaspora_desks:?}");
    let life_events = client
        .list_life_events(jalia_proto::catalog::v1::ListLifeEventsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .life_events;
    let buying = life_events
        .iter()
        .find(|l| {
            l.display_name
                .as_ref()
                .unwrap()
                .entries
                .iter()
                .any(|e| e.text == "Buying a home")
        })
        .unwrap();
    let buying_services = list(ListPublicServicesRequest {
        parent: "agencies/-".to_owned(),
        life_event: buying.name.clone(),
        ..ListPublicServicesRequest::default()
    })
    .await;
    assert_eq!(buying_services.len(), 1);
    // Incremental sync: only what changed after, in (update_time, id) order.
    catalog.clock.advance(SignedDuration::from_mins(1));
    let mark = catalog.now();
    catalog.clock.advance(SignedDuration::from_mins(1));
    let token = catalog.bm();
    let target = bm.last().unwrap().clone();
    let mut change = target.clone();
    change.description = fr("Mise à jour");
    client
        .update_public_service(authed(
            UpdatePublicServiceRequest {
                public_service: Some(change),
                update_mask: mask(&["description"]),
            },
            &token,
        ))
        .await
        .unwrap();
    let changed = list(ListPublicServicesRequest {
        parent: "agencies/-".to_owned(),
        updated_after: Some(jalia_proto::convert::timestamp(mark)),
        ..ListPublicServicesRequest::default()
    })
    .await;
    assert_eq!(
        changed.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
        vec![target.name]
    );
    let status = client
        .list_public_services(ListPublicServicesRequest {
            parent: "agencies/-".to_owned(),
            statuses: vec![0],
            audience: 99,
            ..ListPublicServicesRequest::default()
        })
        .await
        .unwrap_err();
    assert_invalid(&status, &["statuses[0]", "audience"]);
    catalog.stop().await;
}
