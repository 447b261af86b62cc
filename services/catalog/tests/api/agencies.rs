//! Agencies and the taxonomy, texts in the reader's language, and the demo data.

use crate::helpers::*;

// Agencies, taxonomy, languages, demo

#[tokio::test]
async fn the_demo_loads_twice_without_change() {
    let catalog = Catalog::with_demo().await;
    let mut client = catalog.client().await;
    let ministry = catalog.ministry();
    let before = drafts_of(&mut client, &ministry, "agencies/-").await;
    let app = Application::build(catalog.config.clone(), catalog.clock.clone())
        .await
        .unwrap();
    catalog.clock.advance(SignedDuration::from_mins(10));
    app.load_demo().await.unwrap();
    let after = drafts_of(&mut client, &ministry, "agencies/-").await;
    assert_eq!(before, after);
    assert_eq!(after.len(), 5);
    assert!(
        after
            .iter()
            .all(|s| s.status == PublicServiceStatus::Published as i32)
    );
    for service in &after {
        assert_eq!(
            revisions(&mut client, &ministry, &service.name).await.len(),
            2
        );
    }
    let agencies = client
        .list_agencies(ListAgenciesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .agencies;
    assert_eq!(
        agencies.iter().map(|a| a.code.as_str()).collect::<Vec<_>>(),
        vec!["bm", "cbm", "matnuhpv", "wbmk"],
        "by code"
    );
    let bm = client
        .get_agency(GetAgencyRequest {
            name: "agencies/bm".to_owned(),
            language_code: "fr".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        bm.display_name.unwrap().resolved.unwrap().text,
        "Agence urbaine de Béni Mellal"
    );
    assert_eq!(bm.sites.len(), 4);
    assert_eq!(
        bm.parent_body
            .unwrap()
            .display_name
            .unwrap()
            .resolved
            .unwrap()
            .text,
        "Ministère de l'Aménagement du territoire national, de l'Urbanisme, de l'Habitat et de la Politique de la ville"
    );
    let hours = bm.sites[0].opening_hours.clone().unwrap();
    assert_eq!(hours.time_zone, "Africa/Casablanca");
    let saturday = hours
        .periods
        .iter()
        .find(|p| p.day_of_week == wire::DayOfWeek::Saturday as i32)
        .unwrap();
    assert_eq!(
        (saturday.opens.as_str(), saturday.closes.as_str()),
        ("09:00", "13:00")
    );
    assert_eq!(saturday.valid_until.as_ref().unwrap().date, "2025-09-15");
    // Illustrative values say so.
    let note = after
        .iter()
        .find(|s| french_name(s) == "Note de renseignements urbanistiques")
        .unwrap();
    assert!(note.costs.iter().all(|c| c.illustrative));
    assert!(note.processing_time.as_ref().unwrap().illustrative);
    catalog.stop().await;
}

#[tokio::test]
async fn texts_resolve_in_the_language_asked_along_the_chain() {
    let catalog = Catalog::with_demo().await;
    let mut client = catalog.client().await;
    let any = client
        .list_public_services(ListPublicServicesRequest {
            parent: "agencies/bm".to_owned(),
            page_size: 1,
            ..ListPublicServicesRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .public_services
        .remove(0);
    let read = |language: &str, header: Option<&str>| {
        let mut client = client.clone();
        let mut request = Request::new(GetPublicServiceRequest {
            name: any.name.clone(),
            language_code: language.to_owned(),
        });
        if let Some(header) = header {
            request
                .metadata_mut()
                .insert("accept-language", header.parse().unwrap());
        }
        async move {
            client
                .get_public_service(request)
                .await
                .unwrap()
                .into_inner()
                .display_name
                .unwrap()
                .resolved
                .unwrap()
        }
    };
    let french = read("fr-FR", None).await;
    assert_eq!(french.language_code, "fr");
    assert_eq!(french.direction, TextDirection::Ltr as i32);
    let amazigh = read("zgh", None).await;
    assert_eq!(amazigh.language_code, "ar", "Amazigh falls back to Arabic");
    assert_eq!(amazigh.direction, TextDirection::Rtl as i32);
    let by_header = read("", Some("en;q=0.9, de;q=0.5")).await;
    assert_eq!(by_header.language_code, "en");
    let default = read("de", None).await;
    assert_eq!(default.language_code, "ar", "the chain starts with Arabic");
    catalog.stop().await;
}

#[tokio::test]
async fn agencies_and_the_taxonomy_follow_their_access_rules() {
    let catalog = Catalog::start().await;
    let mut client = catalog.client().await;
    let ministry = catalog.ministry();
    let agency_token = catalog.bm();
    create_agency(
        &mut client,
        &ministry,
        "matnuhpv",
        wire::AgencyKind::Ministry,
    )
    .await
    .unwrap();
    let bm = create_agency(&mut client, &ministry, "bm", wire::AgencyKind::UrbanAgency)
        .await
        .unwrap();
    // Creating agencies and categories is for the ministry.
    let status = create_agency(&mut client, &agency_token, "xx", wire::AgencyKind::Commune)
        .await
        .unwrap_err();
    assert_refused(&status, Code::PermissionDenied, reasons::MINISTRY_ONLY);
    let status = client
        .create_category(authed(
            CreateCategoryRequest {
                category: Some(Category {
                    display_name: fr("Autre"),
                    ..Category::default()
                }),
                request_id: String::new(),
            },
            &agency_token,
        ))
        .await
        .unwrap_err();
    assert_refused(&status, Code::PermissionDenied, reasons::MINISTRY_ONLY);
    // A taken code.
    let status = create_agency(&mut client, &ministry, "bm", wire::AgencyKind::UrbanAgency)
        .await
        .unwrap_err();
    assert_refused(&status, Code::AlreadyExists, reasons::AGENCY_EXISTS);
    // Bad agencies.
    let status = client
        .create_agency(authed(
            CreateAgencyRequest {
                agency: Some(Agency {
                    code: "B-M".to_owned(),
                    parent_body: Some(jalia_proto::r#type::v1::AgencyReference {
                        name: "agencies/nowhere".to_owned(),
                        display_name: None,
                    }),
                    ..Agency::default()
                }),
                request_id: String::new(),
            },
            &ministry,
        ))
        .await
        .unwrap_err();
    assert_invalid(
        &status,
        &["agency.code", "agency.display_name.entries", "agency.kind"],
    );
    // The agency renames itself; moving it in the hierarchy is for the ministry.
    let mut renamed = bm.clone();
    renamed.display_name = text(&[
        ("fr", "Agence urbaine de Béni Mellal"),
        ("ar", "الوكالة الحضرية لبني ملال"),
    ]);
    let renamed = client
        .update_agency(authed(
            UpdateAgencyRequest {
                agency: Some(renamed),
                update_mask: mask(&["display_name"]),
            },
            &agency_token,
        ))
        .await
        .unwrap()
        .into_inner();
    let mut moved = renamed.clone();
    moved.parent_body = Some(jalia_proto::r#type::v1::AgencyReference {
        name: "agencies/matnuhpv".to_owned(),
        display_name: None,
    });
    let status = client
        .update_agency(authed(
            UpdateAgencyRequest {
                agency: Some(moved.clone()),
                update_mask: mask(&["parent_body"]),
            },
            &agency_token,
        ))
        .await
        .unwrap_err();
    assert_refused(&status, Code::PermissionDenied, reasons::MINISTRY_ONLY);
    let moved = client
        .update_agency(authed(
            UpdateAgencyRequest {
                agency: Some(moved),
                update_mask: mask(&["parent_body"]),
            },
            &ministry,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(moved.parent_body.unwrap().name, "agencies/matnuhpv");
    // A cycle is refused.
    let ministry_agency = client
        .get_agency(GetAgencyRequest {
            name: "agencies/matnuhpv".to_owned(),
            language_code: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let status = client
        .update_agency(authed(
            UpdateAgencyRequest {
                agency: Some(Agency {
                    parent_body: Some(jalia_proto::r#type::v1::AgencyReference {
                        name: "agencies/bm".to_owned(),
                        display_name: None,
                    }),
                    ..ministry_agency.clone()
                }),
                update_mask: mask(&["parent_body"]),
            },
            &ministry,
        ))
        .await
        .unwrap_err();
    assert_invalid(&status, &["agency.parent_body.name"]);
    // A stale etag.
    let status = client
        .update_agency(authed(
            UpdateAgencyRequest {
                agency: Some(bm),
                update_mask: mask(&["display_name"]),
            },
            &ministry,
        ))
        .await
        .unwrap_err();
    assert_refused(&status, Code::Aborted, reasons::STALE_ETAG);
    // Another agency cannot change it.
    let status = client
        .update_agency(authed(
            UpdateAgencyRequest {
                agency: Some(ministry_agency),
                update_mask: mask(&["display_name"]),
            },
            &agency_token,
        ))
        .await
        .unwrap_err();
    assert_refused(&status, Code::PermissionDenied, reasons::OTHER_AGENCY);
    // Categories: get, update with etag.
    let category = create_category(&mut client, &ministry, "Habitat").await;
    let read = client
        .get_category(GetCategoryRequest {
            name: category.name.clone(),
            language_code: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, category);
    let status = client
        .get_category(GetCategoryRequest {
            name: format!("categories/{}", Uuid::now_v7()),
            language_code: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    catalog.stop().await;
}

#[tokio::test]
async fn taxonomy_changes_need_the_ministry_and_the_current_etag() {
    let catalog = Catalog::start().await;
    let mut client = catalog.client().await;
    let ministry = catalog.ministry();
    let life_event = create_life_event(&mut client, &ministry, "Construire une maison").await;
    let read = client
        .get_life_event(wire::GetLifeEventRequest {
            name: life_event.name.clone(),
            language_code: "fr".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        read.display_name.unwrap().resolved.unwrap().text,
        "Construire une maison"
    );
    let mut change = life_event.clone();
    change.display_name = text(&[("fr", "Construire une maison"), ("ar", "بناء منزل")]);
    let update = |life_event: LifeEvent| wire::UpdateLifeEventRequest {
        life_event: Some(life_event),
        update_mask: mask(&["display_name"]),
    };
    let status = client
        .update_life_event(authed(update(change.clone()), &catalog.bm()))
        .await
        .unwrap_err();
    assert_refused(&status, Code::PermissionDenied, reasons::MINISTRY_ONLY);
    catalog.clock.advance(SignedDuration::from_mins(1));
    let mark = catalog.now();
    catalog.clock.advance(SignedDuration::from_mins(1));
    let updated = client
        .update_life_event(authed(update(change.clone()), &ministry))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(updated.etag, life_event.etag);
    assert_eq!(updated.display_name.as_ref().unwrap().entries.len(), 2);
    let status = client
        .update_life_event(authed(update(change), &ministry))
        .await
        .unwrap_err();
    assert_refused(&status, Code::Aborted, reasons::STALE_ETAG);
    create_life_event(&mut client, &ministry, "Acheter un logement").await;
    let changed = client
        .list_life_events(wire::ListLifeEventsRequest {
            updated_after: Some(jalia_proto::convert::timestamp(mark)),
            ..wire::ListLifeEventsRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .life_events;
    assert_eq!(changed.len(), 2, "the updated one and the new one");
    assert_eq!(changed[0].name, life_event.name, "by update time");
    // Categories follow the same rules.
    let category = create_category(&mut client, &ministry, "Habitat").await;
    let mut renamed = category.clone();
    renamed.description = fr("Logement et habitat");
    let status = client
        .update_category(authed(
            wire::UpdateCategoryRequest {
                category: Some(renamed.clone()),
                update_mask: mask(&["description", "etag"]),
            },
            &ministry,
        ))
        .await
        .unwrap_err();
    assert_invalid(&status, &["update_mask.paths[1]"]);
    let updated = client
        .update_category(authed(
            wire::UpdateCategoryRequest {
                category: Some(renamed),
                update_mask: None,
            },
            &ministry,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        updated.description.unwrap().resolved.unwrap().text,
        "Logement et habitat"
    );
    let status = client
        .get_life_event(wire::GetLifeEventRequest {
            name: category.name.clone(),
            language_code: String::new(),
        })
        .await
        .unwrap_err();
    assert_invalid(&status, &["name"]);
    catalog.stop().await;
}
