//! What a service sheet says reads back as written: channels with their addresses and
//! opening hours (seasonal periods included), requirements, the documents to bring
//! (evidence) and on which channels, costs, the processing time, the output, the legal
//! references and related platforms; after a create and after an update.

use crate::helpers::*;

/// The language and text of each entry, by language (a text holds one entry per
/// language, whatever the order it was written in).
fn entries(text: &Option<LocalizedText>) -> Vec<(String, String)> {
    let mut entries: Vec<_> = text
        .iter()
        .flat_map(|text| &text.entries)
        .map(|entry| (entry.language_code.clone(), entry.text.clone()))
        .collect();
    entries.sort();
    entries
}

fn period(day: wire::DayOfWeek, opens: &str, closes: &str, summer: bool) -> WeeklyPeriod {
    let date = |date: &str| jalia_proto::r#type::v1::CivilDate {
        date: date.to_owned(),
    };
    WeeklyPeriod {
        day_of_week: day as i32,
        opens: opens.to_owned(),
        closes: closes.to_owned(),
        valid_from: summer.then(|| date("2025-07-01")),
        valid_until: summer.then(|| date("2025-09-15")),
    }
}

fn desk() -> Channel {
    Channel {
        kind: ChannelKind::InPerson as i32,
        label: text(&[("fr", "Guichet MRE"), ("ar", "شباك مغاربة العالم")]),
        address: Some(PostalAddress {
            address_lines: vec!["Avenue Mohammed V".to_owned()],
            locality: "Béni Mellal".to_owned(),
            postal_code: "23000".to_owned(),
            region_code: "MA".to_owned(),
            ..PostalAddress::default()
        }),
        opening_hours: Some(OpeningHours {
            time_zone: "Africa/Casablanca".to_owned(),
            periods: vec![
                period(wire::DayOfWeek::Monday, "08:30", "16:30", false),
                period(wire::DayOfWeek::Monday, "16:30", "18:00", true),
                period(wire::DayOfWeek::Saturday, "09:00", "13:00", true),
            ],
        }),
        ..Channel::default()
    }
}

fn phone_line() -> Channel {
    Channel {
        kind: ChannelKind::Phone as i32,
        phone: "0523 48 00 00".to_owned(),
        opening_hours: Some(OpeningHours {
            time_zone: "Africa/Casablanca".to_owned(),
            periods: vec![period(wire::DayOfWeek::Friday, "09:00", "12:00", false)],
        }),
        ..Channel::default()
    }
}

fn evidence(name: &str, kinds: &[ChannelKind]) -> wire::Evidence {
    wire::Evidence {
        display_name: fr(name),
        description: fr("Original et copie"),
        channel_kinds: kinds.iter().map(|kind| *kind as i32).collect(),
    }
}

fn legal_reference(title: &str, url: &str) -> wire::LegalReference {
    wire::LegalReference {
        title: fr(title),
        url: url.to_owned(),
    }
}

/// A service sheet with every part filled in.
fn full_sheet(category: &str) -> PublicService {
    PublicService {
        channels: vec![online_channel(), desk(), phone_line()],
        requirements: vec![
            fr("Être propriétaire de la parcelle").unwrap(),
            text(&[("fr", "Parcelle titrée"), ("ar", "عقار محفظ")]).unwrap(),
        ],
        evidence: vec![
            evidence("Certificat de propriété", &[ChannelKind::InPerson]),
            evidence("Plan de situation", &[]),
        ],
        costs: vec![Cost {
            price: Some(wire::cost::Price::Amount(Money {
                currency_code: "MAD".to_owned(),
                amount_minor: 15_000,
            })),
            description: fr("Frais de dossier"),
            channel_kinds: vec![ChannelKind::InPerson as i32],
            illustrative: true,
        }],
        processing_time: Some(ProcessingTime {
            duration: Some(prost_types::Duration {
                seconds: 15 * 86_400,
                nanos: 0,
            }),
            illustrative: true,
        }),
        output: text(&[
            ("fr", "Une note de renseignements urbanistiques"),
            ("ar", "مذكرة المعلومات التعميرية"),
        ]),
        legal_references: vec![
            legal_reference(
                "Loi n° 12-90 relative à l'urbanisme",
                "https://www.sgg.gov.ma/lois/12-90.pdf",
            ),
            legal_reference("Décret n° 2-92-832", ""),
        ],
        related_platforms: vec![wire::RelatedPlatform {
            display_name: fr("Rokhas"),
            url: "https://www.rokhas.ma/karazal/".to_owned(),
        }],
        ..service(category, "Note de renseignements", &["urbanisme"], "")
    }
}

/// Asserts `read` says what `sent` said, in the API's normal forms (phones in E.164).
#[track_caller]
fn assert_reads_back(read: &PublicService, sent: &PublicService) {
    assert_eq!(read.channels.len(), sent.channels.len());
    for (read, sent) in read.channels.iter().zip(&sent.channels) {
        assert_eq!(read.kind, sent.kind);
        assert_eq!(entries(&read.label), entries(&sent.label));
        let address = |channel: &Channel| {
            channel.address.as_ref().map(|address| {
                (
                    address.address_lines.clone(),
                    address.locality.clone(),
                    address.postal_code.clone(),
                    address.region_code.clone(),
                )
            })
        };
        assert_eq!(address(read), address(sent));
        assert_eq!(read.opening_hours, sent.opening_hours, "opening hours");
    }
    let requirements = |service: &PublicService| -> Vec<_> {
        service
            .requirements
            .iter()
            .map(|text| entries(&Some(text.clone())))
            .collect()
    };
    assert_eq!(requirements(read), requirements(sent));
    assert_eq!(read.evidence.len(), sent.evidence.len());
    for (read, sent) in read.evidence.iter().zip(&sent.evidence) {
        assert_eq!(entries(&read.display_name), entries(&sent.display_name));
        assert_eq!(entries(&read.description), entries(&sent.description));
        assert_eq!(read.channel_kinds, sent.channel_kinds);
    }
    assert_eq!(entries(&read.output), entries(&sent.output));
    assert_eq!(read.legal_references.len(), sent.legal_references.len());
    for (read, sent) in read.legal_references.iter().zip(&sent.legal_references) {
        assert_eq!(entries(&read.title), entries(&sent.title));
        assert_eq!(read.url, sent.url);
    }
    assert_eq!(read.processing_time, sent.processing_time);
    assert_eq!(read.costs.len(), sent.costs.len());
    for (read, sent) in read.costs.iter().zip(&sent.costs) {
        assert_eq!(
            (
                read.price.clone(),
                read.channel_kinds.clone(),
                read.illustrative
            ),
            (
                sent.price.clone(),
                sent.channel_kinds.clone(),
                sent.illustrative
            )
        );
    }
}

async fn get(
    client: &mut CatalogServiceClient<Transport>,
    token: &str,
    name: &str,
) -> PublicService {
    client
        .get_public_service(authed(
            GetPublicServiceRequest {
                name: name.to_owned(),
                language_code: String::new(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn a_full_service_sheet_reads_back_as_written() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let token = catalog.bm();
    let sent = full_sheet(&basics.category.name);
    let created = create_service(&mut client, &token, "agencies/bm", sent.clone())
        .await
        .unwrap();
    let read = get(&mut client, &token, &created.name).await;
    assert_eq!(read, created, "a read gives what the create answered");
    let mut expected = sent.clone();
    expected.channels[2].phone = "+212523480000".to_owned();
    assert_reads_back(&read, &expected);
    assert_eq!(read.channels[2].phone, "+212523480000");
    assert_eq!(
        read.related_platforms[0].url,
        "https://www.rokhas.ma/karazal/"
    );
    assert!(
        read.legal_references[1].url.is_empty(),
        "no link stays none"
    );
    // Published, the sheet is what anyone reads.
    let published = publish(&mut client, &token, &created).await.unwrap();
    let anonymous = client
        .get_public_service(GetPublicServiceRequest {
            name: created.name.clone(),
            language_code: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(anonymous, published);
    assert_reads_back(&anonymous, &expected);
    catalog.stop().await;
}

#[tokio::test]
async fn an_updated_sheet_reads_back_with_the_new_parts_only() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let token = catalog.bm();
    let created = create_service(
        &mut client,
        &token,
        "agencies/bm",
        full_sheet(&basics.category.name),
    )
    .await
    .unwrap();
    let mut change = created.clone();
    change.channels = vec![online_channel(), desk()];
    change.channels[1].opening_hours = Some(OpeningHours {
        time_zone: "Europe/Paris".to_owned(),
        periods: vec![period(wire::DayOfWeek::Sunday, "10:00", "24:00", true)],
    });
    change.requirements = vec![fr("Résider à l'étranger").unwrap()];
    change.evidence = vec![evidence(
        "Carte consulaire",
        &[ChannelKind::InPerson, ChannelKind::Online],
    )];
    change.output = fr("Un récépissé");
    change.legal_references = vec![legal_reference(
        "Loi n° 47-18",
        "https://www.sgg.gov.ma/lois/47-18.pdf",
    )];
    // Not in the mask: stays as it was.
    change.processing_time = None;
    let updated = client
        .update_public_service(authed(
            UpdatePublicServiceRequest {
                public_service: Some(change.clone()),
                update_mask: mask(&[
                    "channels",
                    "requirements",
                    "evidence",
                    "output",
                    "legal_references",
                ]),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    let read = get(&mut client, &token, &created.name).await;
    assert_eq!(read, updated);
    let mut expected = change;
    expected.processing_time = created.processing_time;
    assert_reads_back(&read, &expected);
    let history = revisions(&mut client, &token, &created.name).await;
    assert_eq!(
        history[0].changed_fields.clone().unwrap().paths,
        [
            "channels",
            "requirements",
            "evidence",
            "output",
            "legal_references"
        ]
    );
    // The first revision still holds the sheet as created.
    let first = client
        .get_public_service_revision(authed(
            GetPublicServiceRevisionRequest {
                name: format!("{}/revisions/1", created.name),
                language_code: String::new(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.public_service.unwrap().channels, created.channels);
    catalog.stop().await;
}
