//! Bad input is refused field by field, and nothing is written.

use crate::helpers::*;

// Bad input

fn bad_service(category: &str) -> PublicService {
    let mut bad = service(category, "", &[], "");
    bad.display_name = text(&[("fr", "  "), ("ar", "")]);
    bad.costs = vec![
        Cost {
            price: Some(wire::cost::Price::Amount(Money {
                currency_code: "MAD".to_owned(),
                amount_minor: -15_000,
            })),
            ..Cost::default()
        },
        Cost {
            price: Some(wire::cost::Price::Amount(Money {
                currency_code: "XOF".to_owned(),
                amount_minor: 15_000,
            })),
            ..Cost::default()
        },
    ];
    bad.processing_time = Some(ProcessingTime {
        duration: Some(prost_types::Duration {
            seconds: -86_400,
            nanos: 0,
        }),
        illustrative: false,
    });
    bad.channels = vec![
        Channel {
            kind: ChannelKind::Online as i32,
            url: "http://www.rokhas.ma".to_owned(),
            ..Channel::default()
        },
        Channel {
            kind: ChannelKind::InPerson as i32,
            address: Some(PostalAddress {
                locality: "Béni Mellal".to_owned(),
                ..PostalAddress::default()
            }),
            opening_hours: Some(OpeningHours {
                time_zone: "Africa/Casablanca".to_owned(),
                periods: vec![WeeklyPeriod {
                    day_of_week: wire::DayOfWeek::Monday as i32,
                    opens: "18:00".to_owned(),
                    closes: "16:30".to_owned(),
                    ..WeeklyPeriod::default()
                }],
            }),
            ..Channel::default()
        },
    ];
    bad
}

/// Spoils one field of a good service.
type Spoil = Box<dyn Fn(&mut PublicService)>;

const BAD_FIELDS: [&str; 6] = [
    "public_service.display_name.entries",
    "public_service.costs[0].amount.amount_minor",
    "public_service.costs[1].amount.currency_code",
    "public_service.processing_time.duration",
    "public_service.channels[0].url",
    "public_service.channels[1].opening_hours.periods[0].closes",
];

#[tokio::test]
async fn bad_input_is_refused_field_by_field_and_nothing_is_written() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let token = catalog.bm();
    let request_id = Uuid::new_v4().to_string();
    let status = client
        .create_public_service(authed(
            CreatePublicServiceRequest {
                parent: "agencies/bm".to_owned(),
                public_service: Some(bad_service(&basics.category.name)),
                request_id: request_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_invalid(&status, &BAD_FIELDS);
    assert_eq!(
        violations(&status).len(),
        BAD_FIELDS.len(),
        "{:?}",
        violations(&status)
    );
    assert!(
        drafts_of(&mut client, &token, "agencies/bm")
            .await
            .is_empty()
    );
    // The refused request_id was not spent: a good request may use it.
    client
        .create_public_service(authed(
            CreatePublicServiceRequest {
                parent: "agencies/bm".to_owned(),
                public_service: Some(service(&basics.category.name, "Bon", &[], "")),
                request_id,
            },
            &token,
        ))
        .await
        .unwrap();
    let good = drafts_of(&mut client, &token, "agencies/bm")
        .await
        .remove(0);

    // Each case alone, on create and on update: one violation, nothing written.
    let life_event = create_life_event(&mut client, &catalog.ministry(), "Construire")
        .await
        .name;
    let category_name = basics.category.name.clone();
    let cases: Vec<(&str, Spoil)> = vec![
        (
            "public_service.costs[0].amount.amount_minor",
            Box::new(|s| s.costs = bad_service("").costs[..1].to_vec()),
        ),
        (
            "public_service.costs[0].amount.currency_code",
            Box::new(|s| s.costs = bad_service("").costs[1..].to_vec()),
        ),
        (
            "public_service.processing_time.duration",
            Box::new(|s| s.processing_time = bad_service("").processing_time),
        ),
        (
            "public_service.channels[0].url",
            Box::new(|s| s.channels = bad_service("").channels[..1].to_vec()),
        ),
        (
            "public_service.display_name.entries",
            Box::new(|s| s.display_name = bad_service("").display_name),
        ),
        (
            "public_service.channels[0].opening_hours.periods[0].closes",
            Box::new(|s| s.channels = bad_service("").channels[1..].to_vec()),
        ),
        (
            "public_service.related_platforms[0].url",
            Box::new(|s| {
                s.related_platforms = vec![wire::RelatedPlatform {
                    display_name: fr("Rokhas"),
                    url: "ftp://rokhas.ma".to_owned(),
                }];
            }),
        ),
        (
            "public_service.category",
            Box::new(|s| s.category = format!("categories/{}", Uuid::now_v7())),
        ),
        (
            "public_service.audiences[1]",
            Box::new(|s| s.audiences = vec![Audience::Citizens as i32, Audience::Citizens as i32]),
        ),
        (
            "public_service.life_events[1]",
            Box::new(move |s| s.life_events = vec![life_event.clone(), life_event.clone()]),
        ),
        (
            "public_service.life_events[0]",
            Box::new(move |s| s.life_events = vec![category_name.clone()]),
        ),
        (
            "public_service.life_events[0]",
            Box::new(|s| s.life_events = vec![format!("lifeEvents/{}", Uuid::now_v7())]),
        ),
    ];
    for (field, spoil) in &cases {
        let mut bad = service(&basics.category.name, "Cas", &[], "");
        spoil(&mut bad);
        let status = create_service(&mut client, &token, "agencies/bm", bad.clone())
            .await
            .unwrap_err();
        assert_invalid(&status, &[field]);
        assert_eq!(
            violations(&status).len(),
            1,
            "{field}: {:?}",
            violations(&status)
        );
        let mut update = bad;
        update.name = good.name.clone();
        update.etag = good.etag.clone();
        let status = client
            .update_public_service(authed(
                UpdatePublicServiceRequest {
                    public_service: Some(update),
                    update_mask: mask(&["*"]),
                },
                &token,
            ))
            .await
            .unwrap_err();
        assert_invalid(&status, &[field]);
    }
    let after = drafts_of(&mut client, &token, "agencies/bm").await;
    assert_eq!(after, vec![good.clone()], "nothing written");
    assert_eq!(revisions(&mut client, &token, &good.name).await.len(), 1);

    // Request-level fields.
    let status = client
        .update_public_service(authed(
            UpdatePublicServiceRequest {
                public_service: Some(PublicService {
                    name: good.name.clone(),
                    etag: String::new(),
                    ..good.clone()
                }),
                update_mask: mask(&["status", "description"]),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_invalid(&status, &["update_mask.paths[0]", "public_service.etag"]);
    let status = client
        .create_public_service(authed(
            CreatePublicServiceRequest {
                parent: "bm".to_owned(),
                public_service: Some(service(&basics.category.name, "X", &[], "")),
                request_id: "not-a-uuid".to_owned(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_invalid(&status, &["parent", "request_id"]);
    let status = client
        .get_public_service(GetPublicServiceRequest {
            name: "services/1".to_owned(),
            language_code: String::new(),
        })
        .await
        .unwrap_err();
    assert_invalid(&status, &["name"]);
    catalog.stop().await;
}
