//! Draft, published, retired: what each status allows, and who sees and changes what.

use crate::helpers::*;

// Lifecycle and visibility

#[tokio::test]
async fn a_retired_service_leaves_lists_and_search_but_stays_readable() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let token = catalog.bm();
    let published = create_published(
        &mut client,
        &token,
        "agencies/bm",
        service(&basics.category.name, "Guichet d'été", &[], ""),
    )
    .await;
    let listed = |client: &mut CatalogServiceClient<Transport>| {
        let mut client = client.clone();
        async move {
            client
                .list_public_services(ListPublicServicesRequest {
                    parent: "agencies/bm".to_owned(),
                    ..ListPublicServicesRequest::default()
                })
                .await
                .unwrap()
                .into_inner()
                .public_services
                .len()
        }
    };
    assert_eq!(listed(&mut client).await, 1);
    assert_eq!(search(&mut client, "guichet").await.results.len(), 1);
    let retired = client
        .retire_public_service(authed(
            RetirePublicServiceRequest {
                name: published.name.clone(),
                etag: published.etag.clone(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retired.status, PublicServiceStatus::Retired as i32);
    assert!(retired.retire_time.is_some());
    assert_eq!(listed(&mut client).await, 0);
    assert!(search(&mut client, "guichet").await.results.is_empty());
    // Readable by name, by anyone, with its status.
    let read = client
        .get_public_service(GetPublicServiceRequest {
            name: published.name.clone(),
            language_code: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.status, PublicServiceStatus::Retired as i32);
    // Its own agency still lists it when asking for retired services.
    let own = drafts_of(&mut client, &token, "agencies/bm").await;
    assert_eq!(own.len(), 1);
    // Anonymous callers asking for retired services get nothing.
    let anonymous = client
        .list_public_services(ListPublicServicesRequest {
            parent: "agencies/-".to_owned(),
            statuses: vec![PublicServiceStatus::Retired as i32],
            ..ListPublicServicesRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(anonymous.public_services.is_empty());
    // Final: no change after retirement.
    let mut change = retired.clone();
    change.description = fr("encore");
    let refused = client
        .update_public_service(authed(
            UpdatePublicServiceRequest {
                public_service: Some(change),
                update_mask: mask(&["description"]),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_refused(&refused, Code::FailedPrecondition, reasons::SERVICE_RETIRED);
    let refused = publish(&mut client, &token, &retired).await.unwrap_err();
    assert_refused(
        &refused,
        Code::FailedPrecondition,
        reasons::SERVICE_NOT_DRAFT,
    );
    catalog.stop().await;
}

#[tokio::test]
async fn another_agency_cannot_change_a_service_or_read_a_draft() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let own = catalog.bm();
    let other = catalog.wilaya();
    let draft = create_service(
        &mut client,
        &own,
        "agencies/bm",
        service(&basics.category.name, "Brouillon", &[], ""),
    )
    .await
    .unwrap();
    let published = create_published(
        &mut client,
        &own,
        "agencies/bm",
        service(&basics.category.name, "Publié", &[], ""),
    )
    .await;
    // Reading a draft: NOT_FOUND to another agency and to anonymous callers.
    let status = client
        .get_public_service(authed(
            GetPublicServiceRequest {
                name: draft.name.clone(),
                language_code: String::new(),
            },
            &other,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = client
        .get_public_service(GetPublicServiceRequest {
            name: draft.name.clone(),
            language_code: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    // The owner and the ministry read it.
    for token in [&own, &catalog.ministry()] {
        client
            .get_public_service(authed(
                GetPublicServiceRequest {
                    name: draft.name.clone(),
                    language_code: String::new(),
                },
                token,
            ))
            .await
            .unwrap();
    }
    // Lists: other agencies never see the draft.
    let theirs = drafts_of(&mut client, &other, "agencies/-").await;
    assert_eq!(
        theirs.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
        vec![published.name.clone()]
    );
    // Changing: NOT_FOUND, draft or published, and nothing written.
    for target in [&draft, &published] {
        let mut change = target.clone();
        change.description = fr("piraté");
        let status = client
            .update_public_service(authed(
                UpdatePublicServiceRequest {
                    public_service: Some(change),
                    update_mask: mask(&["description"]),
                },
                &other,
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound, "{status:?}");
        let status = client
            .delete_public_service(authed(
                DeletePublicServiceRequest {
                    name: target.name.clone(),
                    etag: target.etag.clone(),
                },
                &other,
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
    }
    let status = publish(&mut client, &other, &draft).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = client
        .retire_public_service(authed(
            RetirePublicServiceRequest {
                name: published.name.clone(),
                etag: published.etag.clone(),
            },
            &other,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = client
        .get_public_service_revision(authed(
            GetPublicServiceRevisionRequest {
                name: format!("{}/revisions/1", draft.name),
                language_code: String::new(),
            },
            &other,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    // Creating under another agency: PERMISSION_DENIED.
    let status = create_service(
        &mut client,
        &other,
        "agencies/bm",
        service(&basics.category.name, "Intrus", &[], ""),
    )
    .await
    .unwrap_err();
    assert_refused(&status, Code::PermissionDenied, reasons::OTHER_AGENCY);
    // Nothing changed for the owner.
    let mine = drafts_of(&mut client, &own, "agencies/bm").await;
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|s| s.description.is_none()));
    // Anonymous writers are refused by the contract's scope.
    let status = client
        .create_public_service(CreatePublicServiceRequest {
            parent: "agencies/bm".to_owned(),
            public_service: Some(service(&basics.category.name, "Anonyme", &[], "")),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    catalog.stop().await;
}

#[tokio::test]
async fn publishing_needs_a_complete_draft_and_only_drafts_are_deleted() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let token = catalog.bm();
    let incomplete = create_service(
        &mut client,
        &token,
        "agencies/bm",
        PublicService {
            display_name: fr("Incomplet"),
            ..PublicService::default()
        },
    )
    .await
    .unwrap();
    let status = publish(&mut client, &token, &incomplete).await.unwrap_err();
    assert_refused(
        &status,
        Code::FailedPrecondition,
        reasons::SERVICE_INCOMPLETE,
    );
    let missing: Vec<String> = status
        .get_details_precondition_failure()
        .unwrap()
        .violations
        .into_iter()
        .map(|v| v.subject)
        .collect();
    assert_eq!(
        missing,
        vec![
            "public_service.category",
            "public_service.audiences",
            "public_service.channels"
        ]
    );
    client
        .delete_public_service(authed(
            DeletePublicServiceRequest {
                name: incomplete.name.clone(),
                etag: incomplete.etag.clone(),
            },
            &token,
        ))
        .await
        .unwrap();
    let status = client
        .get_public_service(authed(
            GetPublicServiceRequest {
                name: incomplete.name.clone(),
                language_code: String::new(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let published = create_published(
        &mut client,
        &token,
        "agencies/bm",
        service(&basics.category.name, "Publié", &[], ""),
    )
    .await;
    let status = client
        .delete_public_service(authed(
            DeletePublicServiceRequest {
                name: published.name.clone(),
                etag: published.etag.clone(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_refused(
        &status,
        Code::FailedPrecondition,
        reasons::SERVICE_NOT_DRAFT,
    );
    // A published service must stay complete.
    let mut emptied = published.clone();
    emptied.channels.clear();
    let status = client
        .update_public_service(authed(
            UpdatePublicServiceRequest {
                public_service: Some(emptied),
                update_mask: mask(&["channels"]),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_refused(
        &status,
        Code::FailedPrecondition,
        reasons::PUBLISHED_SERVICE_INCOMPLETE,
    );
    catalog.stop().await;
}

#[tokio::test]
async fn the_processing_target_is_given_for_published_services_only() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let token = catalog.bm();
    let mut with_target = service(&basics.category.name, "Note", &[], "");
    with_target.processing_time = Some(ProcessingTime {
        duration: Some(prost_types::Duration {
            seconds: 15 * 86_400,
            nanos: 0,
        }),
        illustrative: true,
    });
    let draft = create_service(&mut client, &token, "agencies/bm", with_target)
        .await
        .unwrap();
    let target = |client: &mut CatalogServiceClient<Transport>, name: String| {
        let mut client = client.clone();
        async move {
            client
                .get_processing_target(GetProcessingTargetRequest { name })
                .await
        }
    };
    let status = target(&mut client, draft.name.clone()).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let published = publish(&mut client, &token, &draft).await.unwrap();
    let found = target(&mut client, draft.name.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.public_service, draft.name);
    assert_eq!(found.revision, 2);
    assert_eq!(found.processing_time.unwrap().seconds, 15 * 86_400);
    assert!(found.illustrative);
    client
        .retire_public_service(authed(
            RetirePublicServiceRequest {
                name: published.name.clone(),
                etag: published.etag.clone(),
            },
            &token,
        ))
        .await
        .unwrap();
    let status = target(&mut client, draft.name.clone()).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = target(
        &mut client,
        format!("agencies/bm/services/{}", Uuid::now_v7()),
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = target(&mut client, "agencies/bm/services/nope".to_owned())
        .await
        .unwrap_err();
    assert_invalid(&status, &["name"]);
    catalog.stop().await;
}
