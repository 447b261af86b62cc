//! Bounded inputs and bounded answers: every list and text of an event has a bound that
//! names its field when passed, and no page or export is ever larger than a response may
//! be.

use jalia_proto::events::v1 as pb;
use jalia_proto::r#type::v1 as wire;
use jalia_runtime::reasons;
use jalia_testing::authed;
use prost::Message;
use tonic::Code;

use crate::helpers::{
    Spawn, TestApp, assert_invalid, assert_status, create, event, published, seconds, text,
};

fn participant(role: &str) -> pb::Participant {
    pb::Participant {
        role: text("fr", role),
        organization: None,
    }
}

fn item(title: &str) -> pb::AgendaItem {
    pb::AgendaItem {
        title: text("fr", title),
        ..Default::default()
    }
}

fn in_languages(count: usize) -> Option<wire::LocalizedText> {
    let codes = [
        "ar", "fr", "en", "es", "de", "it", "nl", "pt", "tr", "ru", "zh", "ja",
    ];
    Some(wire::LocalizedText {
        entries: codes[..count]
            .iter()
            .map(|code| wire::LocalizedString {
                language_code: (*code).to_owned(),
                text: "Journée".to_owned(),
            })
            .collect(),
        resolved: None,
    })
}

#[tokio::test]
async fn over_long_and_too_many_inputs_name_their_field() {
    let app = TestApp::one().await;
    let token = app.bm();
    let mut client = app.client(0).await;
    let long = "x".repeat(201);
    let base = || event("2027-08-10T10:00", "2027-08-10T13:00", 10, 0);
    let with_address = |address: wire::PostalAddress| {
        let mut e = base();
        e.venue.as_mut().unwrap().address = Some(address);
        e
    };
    let mut cases: Vec<(pb::Event, &str)> = vec![
        (
            with_address(wire::PostalAddress {
                address_lines: vec!["Avenue Mohammed V".into(), long.clone()],
                locality: "Béni Mellal".into(),
                ..Default::default()
            }),
            "event.venue.address.address_lines[1]",
        ),
        (
            with_address(wire::PostalAddress {
                address_lines: vec!["ligne".into(); 6],
                ..Default::default()
            }),
            "event.venue.address.address_lines",
        ),
        (
            with_address(wire::PostalAddress {
                locality: long.clone(),
                ..Default::default()
            }),
            "event.venue.address.locality",
        ),
        (
            with_address(wire::PostalAddress {
                locality: "Béni Mellal".into(),
                postal_code: long.clone(),
                ..Default::default()
            }),
            "event.venue.address.postal_code",
        ),
    ];
    let mut agenda = base();
    agenda.agenda_items = vec![item("Atelier"); 51];
    cases.push((agenda, "event.agenda_items"));
    let mut item_speakers = base();
    let mut crowded = item("Table ronde");
    crowded.speakers = vec![participant("Intervenant"); 11];
    item_speakers.agenda_items = vec![item("Ouverture"), crowded];
    cases.push((item_speakers, "event.agenda_items[1].speakers"));
    let mut long_role = base();
    long_role.agenda_items = vec![pb::AgendaItem {
        speakers: vec![participant("Directeur"), participant(&"r".repeat(301))],
        ..item("Ouverture")
    }];
    cases.push((
        long_role,
        "event.agenda_items[0].speakers[1].role.entries[0].text",
    ));
    let mut speakers = base();
    speakers.speakers = vec![participant("Intervenant"); 31];
    cases.push((speakers, "event.speakers"));
    let mut guests = base();
    guests.guests = vec![participant("Invité"); 31];
    cases.push((guests, "event.guests"));
    let mut long_guest = base();
    long_guest.guests = vec![participant("Wali"), participant(&"r".repeat(301))];
    cases.push((long_guest, "event.guests[1].role.entries[0].text"));
    let mut related = base();
    related.related_services =
        vec!["agencies/bm/services/0198a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b".into(); 51];
    cases.push((related, "event.related_services"));
    let mut bad_related = base();
    bad_related.related_services = vec![
        "agencies/bm/services/0198a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b".into(),
        "https://example.org".into(),
    ];
    cases.push((bad_related, "event.related_services[1]"));
    let mut languages = base();
    languages.title = in_languages(11);
    cases.push((languages, "event.title.entries"));
    let mut huge = base();
    let description = "é".repeat(10_000);
    huge.agenda_items = (0..30)
        .map(|_| pb::AgendaItem {
            description: Some(wire::LocalizedText {
                entries: ["fr", "ar"]
                    .iter()
                    .map(|code| wire::LocalizedString {
                        language_code: (*code).to_owned(),
                        text: description.clone(),
                    })
                    .collect(),
                resolved: None,
            }),
            ..item("Atelier")
        })
        .collect();
    cases.push((huge, "event"));
    for (bad, field) in cases {
        assert_invalid(
            client.create_event(authed(create(bad), &token)).await,
            field,
        );
    }
    // Ten languages are fine.
    let mut ten = base();
    ten.title = in_languages(10);
    client
        .create_event(authed(create(ten), &token))
        .await
        .unwrap();
}

/// The largest event the bounds allow as a response: its text near the ceiling, in one
/// language of four-byte characters, so that the text served to the reader doubles it.
fn maximal(day: u32) -> pb::Event {
    let mut maximal = event(
        &format!("2027-10-{day:02}T10:00"),
        &format!("2027-10-{day:02}T13:00"),
        10,
        0,
    );
    let chunk = "𝕁".repeat(2_500);
    maximal.agenda_items = (0..50)
        .map(|index| pb::AgendaItem {
            description: text("fr", &chunk),
            ..item(&format!("Atelier {index}"))
        })
        .collect();
    maximal.description = text("fr", &"𝕁".repeat(2_000));
    maximal
}

#[tokio::test]
async fn a_page_of_maximal_events_fits_the_message_limit() {
    let app = TestApp::one().await;
    let token = app.bm();
    let mut client = app.client(0).await;
    for day in 1..=5 {
        published(&mut client, &token, maximal(day)).await;
    }
    let limit = 4 * 1024 * 1024;
    let mut client = client.max_decoding_message_size(64 * 1024 * 1024);
    let mut seen = 0;
    let mut page_token = String::new();
    let mut pages = 0;
    loop {
        let page = client
            .list_events(pb::ListEventsRequest {
                parent: "agencies/-".into(),
                page_size: 500,
                page_token: page_token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.encoded_len() <= limit, "{} bytes", page.encoded_len());
        assert!(!page.events.is_empty());
        seen += page.events.len();
        pages += 1;
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(seen, 5);
    assert!(pages > 1, "five maximal events do not fit one response");
}

fn long_described(day: u32) -> pb::Event {
    let mut described = event(
        &format!("2027-11-{day:02}T10:00"),
        &format!("2027-11-{day:02}T12:00"),
        10,
        0,
    );
    described.description = text("fr", &"𝕁".repeat(10_000));
    described
}

#[tokio::test]
async fn an_export_larger_than_a_response_is_refused_with_a_clear_error() {
    let app = Spawn::one()
        .configured(|config| config.server.limits.max_message_bytes = 256 * 1024)
        .start()
        .await;
    let token = app.bm();
    let mut client = app
        .client(0)
        .await
        .max_decoding_message_size(64 * 1024 * 1024);
    for day in 1..=8 {
        published(&mut client, &token, long_described(day)).await;
    }
    let export = |before: i64| pb::ExportEventsCalendarRequest {
        parent: "agencies/bm".into(),
        start_before: seconds(before),
        language_code: "fr".into(),
        ..Default::default()
    };
    let status = assert_status(
        client.export_events_calendar(export(1_830_000_000)).await,
        Code::ResourceExhausted,
        reasons::TOO_MANY_EVENTS,
    );
    assert!(status.message().contains("narrow"), "{}", status.message());
    // Two of them fit: 2027-11-03T00:00Z is 1_825_200_000.
    let fits = client
        .export_events_calendar(export(1_825_200_000))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fits.calendar.matches("BEGIN:VEVENT").count(), 2);
}
