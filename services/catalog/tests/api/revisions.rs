//! Etags, revisions and concurrent changes: a stale etag writes nothing, every change
//! leaves a revision that reads back exactly, one of many racing writers wins.

use crate::helpers::*;

// Revisions and concurrency

#[tokio::test]
async fn a_stale_etag_is_aborted_and_writes_nothing() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let token = catalog.bm();
    let draft = create_service(
        &mut client,
        &token,
        "agencies/bm",
        service(&basics.category.name, "Note", &[], ""),
    )
    .await
    .unwrap();
    let mut change = draft.clone();
    change.description = fr("Première version");
    let updated = client
        .update_public_service(authed(
            UpdatePublicServiceRequest {
                public_service: Some(change.clone()),
                update_mask: mask(&["description"]),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.revision, 2);
    assert_ne!(updated.etag, draft.etag);
    change.description = fr("Écrase la première");
    let stale = client
        .update_public_service(authed(
            UpdatePublicServiceRequest {
                public_service: Some(change),
                update_mask: mask(&["description"]),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_refused(&stale, Code::Aborted, reasons::STALE_ETAG);
    for stale_lifecycle in [
        publish(&mut client, &token, &draft).await.unwrap_err(),
        client
            .delete_public_service(authed(
                DeletePublicServiceRequest {
                    name: draft.name.clone(),
                    etag: draft.etag.clone(),
                },
                &token,
            ))
            .await
            .unwrap_err(),
    ] {
        assert_refused(&stale_lifecycle, Code::Aborted, reasons::STALE_ETAG);
    }
    let current = client
        .get_public_service(authed(
            GetPublicServiceRequest {
                name: draft.name.clone(),
                language_code: "fr".to_owned(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(current.revision, 2);
    assert_eq!(
        current.description.unwrap().resolved.unwrap().text,
        "Première version"
    );
    assert_eq!(revisions(&mut client, &token, &draft.name).await.len(), 2);
    catalog.stop().await;
}

#[tokio::test]
async fn history_shows_every_change_with_who_and_when_and_reads_back_exactly() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let agency_token = catalog.bm();
    let ministry_token = catalog.ministry();
    let created = create_service(
        &mut client,
        &agency_token,
        "agencies/bm",
        service(&basics.category.name, "Note de renseignements", &[], ""),
    )
    .await
    .unwrap();
    catalog.clock.advance(SignedDuration::from_mins(5));
    let mut change = created.clone();
    change.costs = vec![Cost {
        price: Some(wire::cost::Price::Amount(Money {
            currency_code: "MAD".to_owned(),
            amount_minor: 20_000,
        })),
        illustrative: true,
        ..Cost::default()
    }];
    change.processing_time = Some(ProcessingTime {
        duration: Some(prost_types::Duration {
            seconds: 7 * 86_400,
            nanos: 0,
        }),
        illustrative: true,
    });
    let updated = client
        .update_public_service(authed(
            UpdatePublicServiceRequest {
                public_service: Some(change),
                update_mask: mask(&["costs", "processing_time"]),
            },
            &ministry_token,
        ))
        .await
        .unwrap()
        .into_inner();
    catalog.clock.advance(SignedDuration::from_mins(5));
    let published = publish(&mut client, &agency_token, &updated).await.unwrap();
    catalog.clock.advance(SignedDuration::from_mins(5));
    let mut renamed = published.clone();
    renamed.display_name = text(&[
        ("fr", "Note de renseignements urbanistiques"),
        ("ar", INFORMATION_NOTE),
    ]);
    let renamed = client
        .update_public_service(authed(
            UpdatePublicServiceRequest {
                public_service: Some(renamed),
                update_mask: mask(&["display_name"]),
            },
            &agency_token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        renamed.status,
        PublicServiceStatus::Published as i32,
        "stays published"
    );
    catalog.clock.advance(SignedDuration::from_mins(5));
    let retired = client
        .retire_public_service(authed(
            RetirePublicServiceRequest {
                name: renamed.name.clone(),
                etag: renamed.etag.clone(),
            },
            &agency_token,
        ))
        .await
        .unwrap()
        .into_inner();

    let history = revisions(&mut client, &agency_token, &created.name).await;
    let summary: Vec<(i64, i32, String, Vec<String>)> = history
        .iter()
        .map(|r| {
            (
                r.revision,
                r.action,
                r.actor.clone(),
                r.changed_fields.clone().unwrap().paths,
            )
        })
        .collect();
    let strings = |paths: &[&str]| paths.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        summary,
        vec![
            (
                5,
                RevisionAction::Retire as i32,
                "bm-back-office".to_owned(),
                strings(&["status", "retire_time"])
            ),
            (
                4,
                RevisionAction::Update as i32,
                "bm-back-office".to_owned(),
                strings(&["display_name"])
            ),
            (
                3,
                RevisionAction::Publish as i32,
                "bm-back-office".to_owned(),
                strings(&["status", "publish_time"])
            ),
            (
                2,
                RevisionAction::Update as i32,
                "ministry-portal".to_owned(),
                strings(&["costs", "processing_time"])
            ),
            (
                1,
                RevisionAction::Create as i32,
                "bm-back-office".to_owned(),
                strings(&[
                    "competent_authority",
                    "display_name",
                    "category",
                    "audiences",
                    "channels"
                ])
            ),
        ]
    );
    // When: each revision at the time of its change, five minutes apart.
    let times: Vec<i64> = history
        .iter()
        .map(|r| r.create_time.unwrap().seconds)
        .collect();
    for pair in times.windows(2) {
        assert_eq!(pair[0] - pair[1], 300);
    }
    // Each past revision reads back exactly as the service stood.
    for (number, expected) in [
        (1, &created),
        (2, &updated),
        (3, &published),
        (4, &renamed),
        (5, &retired),
    ] {
        let revision = client
            .get_public_service_revision(authed(
                GetPublicServiceRevisionRequest {
                    name: format!("{}/revisions/{number}", created.name),
                    language_code: String::new(),
                },
                &agency_token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            revision.public_service.as_ref(),
            Some(expected),
            "revision {number}"
        );
        assert_eq!(
            revision.name,
            format!("{}/revisions/{number}", created.name)
        );
    }
    let missing = client
        .get_public_service_revision(authed(
            GetPublicServiceRevisionRequest {
                name: format!("{}/revisions/6", created.name),
                language_code: String::new(),
            },
            &agency_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    // History is private: anonymous or other agencies get NOT_FOUND.
    for token in [catalog.wilaya(), catalog.token("reader", "bm", &[WRITE])] {
        let status = client
            .list_public_service_revisions(authed(
                ListPublicServiceRevisionsRequest {
                    parent: created.name.clone(),
                    ..ListPublicServiceRevisionsRequest::default()
                },
                &token,
            ))
            .await
            .unwrap_err();
        assert!(
            matches!(status.code(), Code::NotFound | Code::PermissionDenied),
            "{status:?}"
        );
    }
    catalog.stop().await;
}

#[tokio::test]
async fn concurrent_updates_with_one_etag_one_wins_the_rest_are_aborted() {
    let mut catalog = Catalog::start().await;
    catalog.start_second().await;
    let basics = basics(&catalog).await;
    let token = catalog.bm();
    let mut client = catalog.client().await;
    let draft = create_service(
        &mut client,
        &token,
        "agencies/bm",
        service(&basics.category.name, "Note", &[], ""),
    )
    .await
    .unwrap();
    let mut calls = Vec::new();
    for attempt in 0..8 {
        let mut client = if attempt % 2 == 0 {
            catalog.client().await
        } else {
            catalog.second_client().await
        };
        let mut change = draft.clone();
        change.description = fr(&format!("version {attempt}"));
        let token = token.clone();
        calls.push(tokio::spawn(async move {
            client
                .update_public_service(authed(
                    UpdatePublicServiceRequest {
                        public_service: Some(change),
                        update_mask: mask(&["description"]),
                    },
                    &token,
                ))
                .await
        }));
    }
    let mut won = 0;
    let mut aborted = 0;
    for call in calls {
        match call.await.unwrap() {
            Ok(_) => won += 1,
            Err(status) if status.code() == Code::Aborted => aborted += 1,
            Err(status) => panic!("unexpected {status:?}"),
        }
    }
    assert_eq!((won, aborted), (1, 7));
    let history = revisions(&mut client, &token, &draft.name).await;
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].revision, 2);
    catalog.stop().await;
}
