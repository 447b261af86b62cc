//! Search as Arabic and French readers type: folding, ranking, filters.

use crate::helpers::*;

// Search

#[tokio::test]
async fn arabic_search_finds_the_information_note_however_it_is_typed() {
    let catalog = Catalog::with_demo().await;
    let mut client = catalog.client().await;
    let reference = search(&mut client, INFORMATION_NOTE).await;
    let note = reference.results[0].public_service.clone().unwrap();
    assert_eq!(
        french_name(&note),
        "Note de renseignements urbanistiques",
        "{reference:?}"
    );
    assert_eq!(
        reference.results[0].score, 18,
        "three whole words in the name"
    );
    assert_eq!(
        reference.results[0].matched_field,
        SearchMatchField::Name as i32
    );
    for typed in [
        // ه typed for ة.
        "مذكره المعلومات التعميريه",
        // With harakat.
        "مُذَكِّرَةُ المَعْلُومَاتِ التَّعْمِيرِيَّةِ",
        // Without the article.
        "معلومات تعميرية",
        // With tatweel and presentation forms.
        "مذكـــرة المعلومات التعميرية",
        "\u{FEE3}\u{FEAC}\u{FEDB}\u{FEAE}\u{FE93} المعلومات التعميرية",
    ] {
        let found = search(&mut client, typed).await;
        assert_eq!(
            found
                .results
                .first()
                .map(|r| r.public_service.as_ref().unwrap().name.clone()),
            Some(note.name.clone()),
            "`{typed}` gave {:?}",
            french_names(&found)
        );
    }
    // Hamza: the description says "الإنترنت"; typed without hamza it is found.
    let without_hamza = search(&mut client, "الانترنت").await;
    assert!(
        names(&without_hamza).contains(&note.name),
        "{without_hamza:?}"
    );
    // إ typed as ا: "إجباري" in the building permit's description.
    let mandatory = search(&mut client, "اجباري").await;
    assert_eq!(
        french_names(&mandatory),
        vec!["Autorisation de construire via la plateforme nationale Rokhas"],
        "{mandatory:?}"
    );
    // ؤ typed as و: "مؤهلون" in the housing programme's description.
    let eligible = search(&mut client, "موهلون").await;
    assert_eq!(
        french_names(&eligible),
        vec!["Programme d'aide directe au logement"],
        "{eligible:?}"
    );
    // A prefix while typing.
    let typing = search(&mut client, "مذك").await;
    assert_eq!(names(&typing).first(), Some(&note.name));
    assert_eq!(typing.results[0].score, 5, "a prefix in the name");
    catalog.stop().await;
}

#[tokio::test]
async fn latin_search_folds_case_and_accents_and_keeps_the_order() {
    let catalog = Catalog::with_demo().await;
    let mut client = catalog.client().await;
    let lower = search(&mut client, "logement").await;
    assert_eq!(
        french_names(&lower).first().map(String::as_str),
        Some("Programme d'aide directe au logement"),
        "{lower:?}"
    );
    for typed in ["Logement", "LOGEMENT", "lógement"] {
        let found = search(&mut client, typed).await;
        assert_eq!(names(&found), names(&lower), "`{typed}`");
        let scores: Vec<_> = found.results.iter().map(|r| r.score).collect();
        let expected: Vec<_> = lower.results.iter().map(|r| r.score).collect();
        assert_eq!(scores, expected, "`{typed}`");
    }
    // Accents typed or not.
    let accented = search(&mut client, "Aménagement").await;
    let plain = search(&mut client, "amenagement").await;
    assert_eq!(names(&accented), names(&plain));
    assert!(
        french_names(&plain).contains(&"Consultation des documents d'urbanisme".to_owned()),
        "{plain:?}"
    );
    catalog.stop().await;
}

#[tokio::test]
async fn cross_script_queries_return_cleanly() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let token = catalog.bm();
    let mut arabic_only = service(&basics.category.name, "x", &[], "");
    arabic_only.display_name = text(&[("ar", "مذكرة المعلومات التعميرية")]);
    create_published(&mut client, &token, "agencies/bm", arabic_only).await;
    create_published(
        &mut client,
        &token,
        "agencies/bm",
        service(&basics.category.name, "Note de renseignements", &[], ""),
    )
    .await;
    // Latin on Arabic-only data, Arabic on Latin-only data: nothing, cleanly.
    assert!(search(&mut client, "tamir").await.results.is_empty());
    assert!(search(&mut client, "رونسينيمون").await.results.is_empty());
    // Each script finds its own.
    assert_eq!(search(&mut client, "تعمير").await.results.len(), 1);
    assert_eq!(search(&mut client, "renseignements").await.results.len(), 1);
    // Both words must match one service: none has both.
    assert!(
        search(&mut client, "renseignements تعميرية")
            .await
            .results
            .is_empty()
    );
    // Digits fold: Arabic-Indic digits find ASCII ones.
    create_published(
        &mut client,
        &token,
        "agencies/bm",
        service(&basics.category.name, "Loi 12-90", &[], ""),
    )
    .await;
    assert_eq!(
        french_names(&search(&mut client, "١٢").await),
        vec!["Loi 12-90"]
    );
    catalog.stop().await;
}

#[tokio::test]
async fn ranking_is_pinned_on_a_small_fixture() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let token = catalog.bm();
    let category = basics.category.name.as_str();
    // Created in this order, so ids ascend in this order too.
    let fixture = [
        ("description whole", vec![], "aide au logement"),
        ("keyword prefix", vec!["logements sociaux"], ""),
        ("Logement social", vec![], ""),
        ("description prefix", vec![], "logements"),
        ("keyword whole", vec!["logement"], ""),
        ("Logements neufs", vec![], ""),
        ("Aide logement", vec![], ""),
        ("unrelated", vec!["permis"], "construire"),
    ];
    for (name, keywords, description) in &fixture {
        create_published(
            &mut client,
            &token,
            "agencies/bm",
            service(category, name, keywords, description),
        )
        .await;
    }
    let found = search(&mut client, "logement").await;
    let ranked: Vec<(String, i32, i32)> = found
        .results
        .iter()
        .map(|r| {
            (
                french_name(r.public_service.as_ref().unwrap()),
                r.score,
                r.matched_field,
            )
        })
        .collect();
    let name = SearchMatchField::Name as i32;
    let keyword = SearchMatchField::Keywords as i32;
    let description = SearchMatchField::Description as i32;
    assert_eq!(
        ranked,
        vec![
            ("Logement social".to_owned(), 6, name),
            ("Aide logement".to_owned(), 6, name),
            ("Logements neufs".to_owned(), 5, name),
            ("keyword whole".to_owned(), 4, keyword),
            ("keyword prefix".to_owned(), 3, keyword),
            ("description whole".to_owned(), 2, description),
            ("description prefix".to_owned(), 1, description),
        ]
    );
    // Two words: the score is the sum of each word's best match.
    let both = search(&mut client, "aide logement").await;
    let ranked: Vec<(String, i32)> = both
        .results
        .iter()
        .map(|r| (french_name(r.public_service.as_ref().unwrap()), r.score))
        .collect();
    assert_eq!(
        ranked,
        vec![
            ("Aide logement".to_owned(), 12),
            ("description whole".to_owned(), 4),
        ]
    );
    // Pages of two walk the same order, the token carrying (score, id).
    let mut paged = Vec::new();
    let mut token_for_next = String::new();
    loop {
        let page = client
            .search_public_services(SearchPublicServicesRequest {
                parent: "agencies/bm".to_owned(),
                query: "LOGEMENT".to_owned(),
                page_size: 2,
                page_token: token_for_next.clone(),
                ..SearchPublicServicesRequest::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.results.len() <= 2);
        paged.extend(names(&page));
        if page.next_page_token.is_empty() {
            break;
        }
        token_for_next = page.next_page_token;
    }
    assert_eq!(paged, names(&found));
    catalog.stop().await;
}

#[tokio::test]
async fn search_filters_and_refuses_empty_queries() {
    let catalog = Catalog::with_demo().await;
    let mut client = catalog.client().await;
    let diaspora_only = client
        .search_public_services(SearchPublicServicesRequest {
            parent: "agencies/-".to_owned(),
            query: "urbanisme".to_owned(),
            audience: Audience::Diaspora as i32,
            channel_kind: ChannelKind::InPerson as i32,
            ..SearchPublicServicesRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!diaspora_only.results.is_empty());
    for result in &diaspora_only.results {
        let service = result.public_service.as_ref().unwrap();
        assert!(service.audiences.contains(&(Audience::Diaspora as i32)));
        assert!(
            service
                .channels
                .iter()
                .any(|c| c.kind == ChannelKind::InPerson as i32)
        );
    }
    let ministry_only = client
        .search_public_services(SearchPublicServicesRequest {
            parent: "agencies/matnuhpv".to_owned(),
            query: "logement".to_owned(),
            ..SearchPublicServicesRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        french_names(&ministry_only),
        vec!["Programme d'aide directe au logement"]
    );
    for (query, field) in [("", "query"), ("  ،، !! ", "query")] {
        let status = client
            .search_public_services(SearchPublicServicesRequest {
                parent: "agencies/-".to_owned(),
                query: query.to_owned(),
                ..SearchPublicServicesRequest::default()
            })
            .await
            .unwrap_err();
        assert_invalid(&status, &[field]);
    }
    let status = client
        .search_public_services(SearchPublicServicesRequest {
            parent: "agencies/-".to_owned(),
            query: "x".repeat(201),
            ..SearchPublicServicesRequest::default()
        })
        .await
        .unwrap_err();
    assert_invalid(&status, &["query"]);
    catalog.stop().await;
}

/// Searches through `client` until `wanted` holds for the names found, or fails after a
/// generous while (a replica reads other replicas' changes every second).
async fn eventually(
    client: &mut CatalogServiceClient<Transport>,
    query: &str,
    wanted: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    for _ in 0..300 {
        let found = names(&search(client, query).await);
        if wanted(&found) {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("`{query}` never gave what was wanted");
}

#[tokio::test]
async fn a_change_committed_on_one_replica_is_found_on_the_other() {
    let mut catalog = Catalog::start().await;
    catalog.start_second().await;
    let basics = basics(&catalog).await;
    let token = catalog.bm();
    let mut first = catalog.client().await;
    let mut second = catalog.second_client().await;
    let published = create_published(
        &mut first,
        &token,
        "agencies/bm",
        service(&basics.category.name, "Passerelle numérique", &[], ""),
    )
    .await;
    // Found at once where it was committed: the index is updated after the commit.
    assert_eq!(
        names(&search(&mut first, "passerelle").await),
        vec![published.name.clone()]
    );
    eventually(&mut second, "passerelle", |found| {
        found == [published.name.clone()]
    })
    .await;

    // Renamed on the second replica: the first finds the new name, not the old one.
    let mut renamed = published.clone();
    renamed.display_name = fr("Guichet numérique");
    second
        .update_public_service(authed(
            UpdatePublicServiceRequest {
                public_service: Some(renamed),
                update_mask: mask(&["display_name"]),
            },
            &token,
        ))
        .await
        .unwrap();
    assert!(names(&search(&mut second, "passerelle").await).is_empty());
    eventually(&mut first, "guichet", |found| {
        found == [published.name.clone()]
    })
    .await;
    assert!(names(&search(&mut first, "passerelle").await).is_empty());

    // Retired on the first: no longer found on the second.
    let current = catalog
        .client()
        .await
        .get_public_service(GetPublicServiceRequest {
            name: published.name.clone(),
            language_code: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    first
        .retire_public_service(authed(
            RetirePublicServiceRequest {
                name: current.name.clone(),
                etag: current.etag.clone(),
            },
            &token,
        ))
        .await
        .unwrap();
    assert!(names(&search(&mut first, "guichet").await).is_empty());
    eventually(&mut second, "guichet", <[String]>::is_empty).await;
    catalog.stop().await;
}

#[tokio::test]
async fn a_replica_started_on_a_filled_database_finds_what_is_there() {
    let mut catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let token = catalog.bm();
    let mut first = catalog.client().await;
    let published = create_published(
        &mut first,
        &token,
        "agencies/bm",
        service(
            &basics.category.name,
            "Passerelle numérique",
            &[],
            "logement",
        ),
    )
    .await;
    catalog.start_second().await;
    let mut second = catalog.second_client().await;
    // Loaded before serving: no wait.
    assert_eq!(
        names(&search(&mut second, "passerelle").await),
        vec![published.name.clone()]
    );
    assert_eq!(search(&mut second, "logement").await.results[0].score, 2);
    catalog.stop().await;
}
