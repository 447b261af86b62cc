//! WatchChanges: the public changes of services (published, changed, retired), one
//! agency's to that agency, filtered by kind, resumed from a cursor without loss or
//! repeat, and the refusals.

use std::time::Duration;

use wire::{ChangeKind, WatchChangesRequest, WatchChangesResponse};

use crate::helpers::*;

/// How long a test's watch may run: the server ends it, with OK, a little before.
const WATCH_FOR: Duration = Duration::from_secs(3);

fn watching(parent: &str, cursor: &str, kinds: &[ChangeKind]) -> WatchChangesRequest {
    WatchChangesRequest {
        parent: parent.to_owned(),
        kinds: kinds.iter().map(|kind| *kind as i32).collect(),
        cursor: cursor.to_owned(),
        from_oldest: cursor.is_empty(),
    }
}

async fn open(
    catalog: &Catalog,
    token: &str,
    request: WatchChangesRequest,
    watch_for: Duration,
) -> Result<tonic::Streaming<WatchChangesResponse>, Status> {
    let mut request = authed(request, token);
    request.set_timeout(watch_for);
    let mut client = catalog.client().await;
    client
        .watch_changes(request)
        .await
        .map(tonic::Response::into_inner)
}

/// Every item of a watch until the server ends it: the changes, and the cursor of the
/// last item (the final heartbeat's).
async fn watch_to_end(
    catalog: &Catalog,
    token: &str,
    request: WatchChangesRequest,
) -> (Vec<WatchChangesResponse>, String) {
    let mut stream = open(catalog, token, request, WATCH_FOR).await.unwrap();
    let mut changes = Vec::new();
    let mut last = String::new();
    while let Some(item) = stream.message().await.unwrap() {
        last.clone_from(&item.cursor);
        if item.kind != ChangeKind::Unspecified as i32 {
            changes.push(item);
        }
    }
    (changes, last)
}

/// The first `count` changes of a watch, and the cursor after the last. The watch is
/// opened again from its last cursor whenever the server ends it: on PostgreSQL a change
/// is delivered once every older transaction of the database server has ended, which a
/// server busy with other tests can delay past one short watch.
async fn first_changes(
    catalog: &Catalog,
    token: &str,
    request: WatchChangesRequest,
    count: usize,
) -> (Vec<WatchChangesResponse>, String) {
    let give_up = tokio::time::Instant::now() + Duration::from_secs(90);
    let mut changes = Vec::new();
    let mut cursor = request.cursor.clone();
    while changes.len() < count {
        assert!(
            tokio::time::Instant::now() < give_up,
            "only {changes:?} came"
        );
        let reopened = WatchChangesRequest {
            cursor: cursor.clone(),
            from_oldest: request.from_oldest && cursor.is_empty(),
            ..request.clone()
        };
        let mut stream = open(catalog, token, reopened, WATCH_FOR).await.unwrap();
        while let Some(item) = stream.message().await.unwrap() {
            cursor.clone_from(&item.cursor);
            if item.kind != ChangeKind::Unspecified as i32 {
                changes.push(item);
                if changes.len() == count {
                    break;
                }
            }
        }
    }
    (changes, cursor)
}

fn kinds_and_names(changes: &[WatchChangesResponse]) -> Vec<(ChangeKind, String)> {
    changes
        .iter()
        .map(|change| (change.kind(), change.resource.clone()))
        .collect()
}

async fn update_description(
    client: &mut CatalogServiceClient<Transport>,
    token: &str,
    service: &PublicService,
    description: &str,
) -> PublicService {
    let mut change = service.clone();
    change.description = fr(description);
    client
        .update_public_service(authed(
            UpdatePublicServiceRequest {
                public_service: Some(change),
                update_mask: mask(&["description"]),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

async fn retire(
    client: &mut CatalogServiceClient<Transport>,
    token: &str,
    service: &PublicService,
) -> PublicService {
    client
        .retire_public_service(authed(
            RetirePublicServiceRequest {
                name: service.name.clone(),
                etag: service.etag.clone(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn public_changes_are_fed_to_their_agency_by_kind() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let (bm, wilaya) = (catalog.bm(), catalog.wilaya());
    let category = basics.category.name.clone();

    // A draft's life is not public: creating and changing it records nothing.
    let draft = create_service(
        &mut client,
        &bm,
        "agencies/bm",
        service(&category, "Note de renseignements", &[], ""),
    )
    .await
    .unwrap();
    let draft = update_description(&mut client, &bm, &draft, "brouillon").await;
    let published = publish(&mut client, &bm, &draft).await.unwrap();
    let changed = update_description(&mut client, &bm, &published, "délai réduit").await;
    retire(&mut client, &bm, &changed).await;
    let other = create_published(
        &mut client,
        &wilaya,
        "agencies/wbmk",
        service(&category, "Accueil des MRE", &[], ""),
    )
    .await;

    let (changes, _) = first_changes(&catalog, &bm, watching("agencies/bm", "", &[]), 3).await;
    let name = published.name.clone();
    assert_eq!(
        kinds_and_names(&changes),
        [
            (ChangeKind::ServicePublished, name.clone()),
            (ChangeKind::ServiceChanged, name.clone()),
            (ChangeKind::ServiceRetired, name.clone()),
        ]
    );
    for change in &changes {
        assert_eq!(change.agency, "agencies/bm");
        assert!(change.change_time.is_some());
        assert!(!change.cursor.is_empty());
    }

    // Only the kinds asked for.
    let (retired, _) = first_changes(
        &catalog,
        &bm,
        watching("agencies/bm", "", &[ChangeKind::ServiceRetired]),
        1,
    )
    .await;
    assert_eq!(
        kinds_and_names(&retired),
        [(ChangeKind::ServiceRetired, name.clone())]
    );

    // The Wilaya sees its own change only; the ministry sees both agencies'.
    let (theirs, _) = first_changes(&catalog, &wilaya, watching("agencies/wbmk", "", &[]), 1).await;
    assert_eq!(
        kinds_and_names(&theirs),
        [(ChangeKind::ServicePublished, other.name.clone())]
    );
    let (all, _) = first_changes(
        &catalog,
        &catalog.ministry(),
        watching("agencies/-", "", &[]),
        4,
    )
    .await;
    assert_eq!(all[3].resource, other.name);
    assert_eq!(all[3].agency, "agencies/wbmk");

    // Another agency's feed, or every agency's, is not the urban agency's to watch.
    for parent in ["agencies/wbmk", "agencies/-"] {
        let refused = open(&catalog, &bm, watching(parent, "", &[]), WATCH_FOR)
            .await
            .unwrap_err();
        assert_refused(&refused, Code::PermissionDenied, reasons::OTHER_AGENCY);
    }
    catalog.stop().await;
}

#[tokio::test]
async fn a_watch_resumes_from_its_cursor_without_loss_or_repeat() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let bm = catalog.bm();
    let category = basics.category.name.clone();
    let writer = client.clone();
    let publish_one = |name: &'static str| {
        let (mut client, bm, category) = (writer.clone(), bm.clone(), category.clone());
        async move {
            create_published(
                &mut client,
                &bm,
                "agencies/bm",
                service(&category, name, &[], ""),
            )
            .await
        }
    };
    let first = publish_one("Premier service").await;
    let (seen, cursor) = first_changes(&catalog, &bm, watching("agencies/bm", "", &[]), 1).await;
    assert_eq!(
        kinds_and_names(&seen),
        [(ChangeKind::ServicePublished, first.name.clone())]
    );

    // Changes while nobody watches, then a watch from the last cursor: exactly those.
    let second = publish_one("Deuxième service").await;
    let changed = update_description(&mut client, &bm, &first, "horaires d'été").await;
    let (missed, cursor) = watch_to_end(&catalog, &bm, watching("agencies/bm", &cursor, &[])).await;
    assert_eq!(
        kinds_and_names(&missed),
        [
            (ChangeKind::ServicePublished, second.name.clone()),
            (ChangeKind::ServiceChanged, changed.name.clone()),
        ]
    );

    // Live: a watch that is open when a change commits receives it, and only it.
    let mut live = open(
        &catalog,
        &bm,
        watching("agencies/bm", &cursor, &[]),
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    let third = publish_one("Troisième service").await;
    let mut next = None;
    while let Some(item) = live.message().await.unwrap() {
        if item.kind != ChangeKind::Unspecified as i32 {
            next = Some(item);
            break;
        }
    }
    drop(live);
    // A busy PostgreSQL server can hold it past this watch: the next one resumes.
    let next = match next {
        Some(next) => next,
        None => first_changes(&catalog, &bm, watching("agencies/bm", &cursor, &[]), 1)
            .await
            .0
            .remove(0),
    };
    assert_eq!(
        (next.kind(), next.resource.as_str()),
        (ChangeKind::ServicePublished, third.name.as_str())
    );

    // An empty cursor without from_oldest starts from now: the past is not replayed.
    let (from_now, _) = watch_to_end(
        &catalog,
        &bm,
        WatchChangesRequest {
            from_oldest: false,
            ..watching("agencies/bm", "", &[])
        },
    )
    .await;
    assert!(from_now.is_empty(), "{from_now:?}");
    catalog.stop().await;
}

#[tokio::test]
async fn bad_watches_are_refused_before_anything_is_sent() {
    let catalog = Catalog::start().await;
    let bm = catalog.bm();
    for cursor in ["abc", "1", "1.x", "-1.2", "1.2.3"] {
        let refused = open(
            &catalog,
            &bm,
            watching("agencies/bm", cursor, &[]),
            WATCH_FOR,
        )
        .await
        .unwrap_err();
        assert_invalid(&refused, &["cursor"]);
    }
    let refused = open(
        &catalog,
        &bm,
        WatchChangesRequest {
            parent: "bm".to_owned(),
            kinds: vec![ChangeKind::Unspecified as i32, 42],
            ..WatchChangesRequest::default()
        },
        WATCH_FOR,
    )
    .await
    .unwrap_err();
    assert_invalid(&refused, &["parent", "kinds[0]", "kinds[1]"]);

    // catalog.read is the feed's scope: a writer without it is refused.
    let writer = catalog.token("bm-importer", "bm", &[WRITE]);
    let refused = open(
        &catalog,
        &writer,
        watching("agencies/bm", "", &[]),
        WATCH_FOR,
    )
    .await
    .unwrap_err();
    assert_refused(&refused, Code::PermissionDenied, reasons::MISSING_SCOPE);
    catalog.stop().await;
}
