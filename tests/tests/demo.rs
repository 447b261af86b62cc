//! The demo, as `jalia up --demo` loads it, read through the gateway: the Wilaya's
//! National Day of 10 August 2025 with its guests and agenda, the illustrative figures
//! flagged in Arabic, French and English, the commune as the building permit's
//! competent authority, and demo inquiries linked to catalog services and to the 2025
//! meetings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use jalia_db::Backend;
use jalia_e2e::{TestSuite, with_token};
use jalia_proto::catalog::v1 as catalog;
use jalia_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
use jalia_proto::events::v1 as events;
use jalia_proto::events::v1::event_service_client::EventServiceClient;
use jalia_proto::inquiries::v1 as inquiries;
use jalia_proto::inquiries::v1::inquiry_service_client::InquiryServiceClient;
use jalia_proto::r#type::v1::LocalizedText;

/// The text of `language`, as stored.
fn entry<'a>(text: Option<&'a LocalizedText>, language: &str) -> &'a str {
    text.unwrap()
        .entries
        .iter()
        .find(|entry| entry.language_code == language)
        .map(|entry| entry.text.as_str())
        .unwrap_or_else(|| panic!("no {language} entry"))
}

#[tokio::test]
async fn the_demo_holds_the_wilayas_national_day_the_commune_and_linked_inquiries() {
    let suite = TestSuite::start(None).await;
    let postgres = std::env::var("JALIA_TEST_POSTGRES_URL").is_ok_and(|url| !url.trim().is_empty());
    assert_eq!(
        suite.backend(),
        if postgres {
            Backend::Postgres
        } else {
            Backend::Sqlite
        },
        "the suite runs on the run's backend"
    );
    let channel = suite.gateway().await;
    let mut events_client = EventServiceClient::new(channel.clone());

    // The National Day of 10 August 2025, organised by the Wilaya (read anonymously:
    // a published event is public).
    let wilaya = events_client
        .list_events(events::ListEventsRequest {
            parent: "agencies/wbmk".into(),
            kind: events::EventKind::NationalDay as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(wilaya.len(), 1, "one National Day of the Wilaya");
    let day = &wilaya[0];
    assert!(
        day.name.starts_with("agencies/wbmk/events/"),
        "{}",
        day.name
    );
    let start = day.start.as_ref().unwrap();
    assert_eq!(
        (start.local_date_time.as_str(), start.time_zone.as_str()),
        ("2025-08-10T10:00:00", "Africa/Casablanca")
    );
    assert_eq!(day.status, events::EventStatus::Completed as i32);
    assert!(entry(day.chair.as_ref().unwrap().role.as_ref(), "en").contains("Wali"));
    // The urban agency takes part: its Director speaks; the Secretary General attends.
    let speakers: Vec<&str> = day
        .speakers
        .iter()
        .map(|speaker| entry(speaker.role.as_ref(), "en"))
        .collect();
    assert_eq!(
        speakers,
        ["The Director of the Urban Agency of Béni Mellal"]
    );
    let guests: Vec<&str> = day
        .guests
        .iter()
        .map(|guest| entry(guest.role.as_ref(), "en"))
        .collect();
    assert!(
        guests.contains(&"The Secretary General for Regional Affairs"),
        "{guests:?}"
    );
    assert!(
        !speakers
            .iter()
            .any(|role| role.contains("Secretary General"))
    );
    let agenda: Vec<&str> = day
        .agenda_items
        .iter()
        .map(|item| entry(item.title.as_ref(), "en"))
        .collect();
    assert_eq!(agenda.len(), 2, "{agenda:?}");
    assert!(agenda[0].starts_with("Urban agencies in the service of Moroccans of the world"));
    assert!(agenda[1].contains("administrations"), "{agenda:?}");
    assert!(entry(day.description.as_ref(), "en").contains("Urban Agency of Béni Mellal"));

    // Invented hours and attendance say so in every language.
    for (language, hours, attendance) in [
        ("ar", "التوقيت توضيحي", "أرقام الحضور توضيحية"),
        (
            "fr",
            "Horaires indicatifs",
            "Chiffres de présence indicatifs",
        ),
        (
            "en",
            "Times illustrative",
            "Attendance figures illustrative",
        ),
    ] {
        let read = events_client
            .get_event(events::GetEventRequest {
                name: day.name.clone(),
                language_code: language.into(),
            })
            .await
            .unwrap()
            .into_inner();
        let description = read
            .description
            .as_ref()
            .unwrap()
            .resolved
            .as_ref()
            .unwrap();
        assert_eq!(description.language_code, language);
        assert!(
            description.text.contains(hours),
            "{language}: {}",
            description.text
        );
        let minutes = read.outcomes.as_ref().unwrap().minutes_summary.as_ref();
        let minutes = minutes.unwrap().resolved.as_ref().unwrap();
        assert!(
            minutes.text.contains(attendance),
            "{language}: {}",
            minutes.text
        );
    }

    // The next National Day takes registrations, with consent.
    let upcoming = events_client
        .list_events(events::ListEventsRequest {
            parent: "agencies/-".into(),
            kind: events::EventKind::NationalDay as i32,
            status: events::EventStatus::Published as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(upcoming.len(), 1);
    let settings = upcoming[0].registration_settings.as_ref().unwrap();
    assert!(settings.enabled && settings.waitlist_enabled && settings.consent_required);

    // The building permit: the commune is competent, the urban agency owns the entry.
    let mut catalog_client = CatalogServiceClient::new(channel.clone());
    let ministry = suite.token(
        "demo-reader",
        "*",
        &["catalog.read", "inquiries.read", "events.read"],
    );
    let services = catalog_client
        .list_public_services(with_token(
            catalog::ListPublicServicesRequest {
                parent: "agencies/bm".into(),
                language_code: "fr".into(),
                ..Default::default()
            },
            &ministry,
        ))
        .await
        .unwrap()
        .into_inner()
        .public_services;
    let permit = services
        .iter()
        .find(|service| entry(service.display_name.as_ref(), "en").starts_with("Building permit"))
        .expect("the demo's building permit");
    let authority = permit.competent_authority.as_ref().unwrap();
    assert_eq!(authority.name, "agencies/cbm");
    let authority_name = authority.display_name.as_ref().unwrap();
    assert_eq!(
        authority_name.resolved.as_ref().unwrap().text,
        "Commune de Béni Mellal"
    );

    // The demo inquiries link to catalog services (due dates from the catalog) and to
    // the 2025 meetings.
    let mut inquiries_client = InquiryServiceClient::new(channel);
    let demo_inquiries = inquiries_client
        .list_inquiries(with_token(
            inquiries::ListInquiriesRequest {
                parent: "agencies/bm".into(),
                ..Default::default()
            },
            &ministry,
        ))
        .await
        .unwrap()
        .into_inner()
        .inquiries;
    let about_the_permit = demo_inquiries
        .iter()
        .find(|inquiry| inquiry.service == permit.name)
        .expect("an inquiry about the building permit");
    assert_eq!(about_the_permit.event, day.name);
    assert_eq!(
        about_the_permit.due_date_source,
        inquiries::DueDateSource::CatalogProcessingTime as i32
    );
    assert!(!about_the_permit.due_date_pending);
    let headquarters = events_client
        .list_events(events::ListEventsRequest {
            parent: "agencies/bm".into(),
            kind: events::EventKind::CommunicationMeeting as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(headquarters.len(), 1);
    assert!(
        demo_inquiries
            .iter()
            .any(|inquiry| inquiry.event == headquarters[0].name && !inquiry.service.is_empty()),
        "an inquiry raised at the 12 August meeting about a catalog service"
    );
    let from_the_catalog = demo_inquiries
        .iter()
        .filter(|inquiry| {
            inquiry.due_date_source == inquiries::DueDateSource::CatalogProcessingTime as i32
        })
        .count();
    assert_eq!(
        from_the_catalog, 3,
        "the three inquiries about catalog services"
    );
    suite.suite.shutdown().await.unwrap();
}
