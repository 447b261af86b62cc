#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use jalia_model::{Audience, FallbackChain};
use prost_types::FieldMask;

use super::*;
use crate::events::v1 as events;

const EVENT_FIELDS: UpdatableFields = UpdatableFields::new(
    "jalia.events.v1.Event",
    &[
        "kind",
        "title",
        "description",
        "venue",
        "audiences",
        "registration_settings",
        "registration_settings.capacity",
        "registration_settings.reserved_seats",
    ],
);

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|path| (*path).to_owned()).collect(),
    })
}

fn text(value: &str) -> Option<wire::LocalizedText> {
    Some(wire::LocalizedText {
        entries: vec![wire::LocalizedString {
            language_code: "fr".to_owned(),
            text: value.to_owned(),
        }],
        resolved: None,
    })
}

fn fields(violations: &[FieldViolation]) -> Vec<&str> {
    violations.iter().map(|v| v.field.as_str()).collect()
}

#[test]
fn the_updatable_paths_name_fields_of_the_message() {
    EVENT_FIELDS.check().unwrap();
    let misspelt = UpdatableFields::new("jalia.events.v1.Event", &["registration_settings.seats"]);
    assert!(
        misspelt
            .check()
            .unwrap_err()
            .contains("registration_settings.seats")
    );
    assert!(
        UpdatableFields::new("jalia.events.v1.Nope", &[])
            .check()
            .is_err()
    );
}

#[test]
fn a_mask_names_the_paths_that_change() {
    let event = events::Event::default();
    let paths = EVENT_FIELDS
        .resolve(
            mask(&["registration_settings.capacity", "title"]).as_ref(),
            &event,
        )
        .unwrap();
    assert_eq!(paths.paths(), ["title", "registration_settings.capacity"]);
    assert!(!paths.replace_all());
    // A path below one named too is part of it.
    let paths = EVENT_FIELDS
        .resolve(
            mask(&["registration_settings.capacity", "registration_settings"]).as_ref(),
            &event,
        )
        .unwrap();
    assert_eq!(paths.paths(), ["registration_settings"]);
}

#[test]
fn an_unknown_path_is_a_violation_on_its_index() {
    let huge = "p".repeat(1 << 20);
    let err = EVENT_FIELDS
        .resolve(
            mask(&["title", "name", "registration_settings.seats", &huge]).as_ref(),
            &events::Event::default(),
        )
        .unwrap_err();
    assert_eq!(
        fields(&err),
        [
            "update_mask.paths[1]",
            "update_mask.paths[2]",
            "update_mask.paths[3]"
        ]
    );
    assert!(
        err[0]
            .description
            .contains("`name` is not an updatable path")
    );
    assert!(err[2].description.len() < 1024);
}

#[test]
fn a_star_replaces_every_updatable_field() {
    let paths = EVENT_FIELDS
        .resolve(mask(&["*"]).as_ref(), &events::Event::default())
        .unwrap();
    assert!(paths.replace_all());
    assert_eq!(
        paths.paths(),
        [
            "kind",
            "title",
            "description",
            "venue",
            "audiences",
            "registration_settings"
        ]
    );
}

#[test]
fn an_empty_mask_means_every_updatable_field_the_request_sets() {
    let event = events::Event {
        name: "agencies/bm/events/0198a6a4-0000-7000-8000-000000000001".to_owned(),
        etag: "\"v3\"".to_owned(),
        title: text("Journée nationale"),
        audiences: vec![wire::Audience::Diaspora as i32],
        registration_settings: Some(events::RegistrationSettings {
            capacity: 120,
            ..Default::default()
        }),
        ..Default::default()
    };
    for empty in [None, mask(&[])] {
        let paths = EVENT_FIELDS.resolve(empty.as_ref(), &event).unwrap();
        assert_eq!(
            paths.paths(),
            ["title", "audiences", "registration_settings"]
        );
        assert!(!paths.replace_all());
    }
    let nothing = events::Event {
        name: event.name.clone(),
        ..Default::default()
    };
    assert_eq!(
        fields(&EVENT_FIELDS.resolve(None, &nothing).unwrap_err()),
        ["update_mask"]
    );
}

#[test]
fn audiences_are_known_bounded_and_kept_once() {
    let read = audiences(&[2, 1, 2], 5).unwrap();
    assert_eq!(read, [Audience::Diaspora, Audience::Citizens]);
    assert_eq!(audiences_for(&read), [2, 1]);
    let err = audiences(&[1, 0, 99], 5).unwrap_err();
    assert_eq!(fields(&err), ["[1]", "[2]"]);
    assert_eq!(fields(&audiences(&[1; 6], 5).unwrap_err()), [""]);
    assert_eq!(audience_filter(0), Ok(None));
    assert_eq!(audience_filter(3), Ok(Some(Audience::Professionals)));
    assert!(audience_filter(42).is_err());
    for audience in Audience::ALL {
        assert_eq!(
            self::audience(audience_for(audience) as i32),
            Some(audience)
        );
    }
}

#[test]
fn addresses_round_trip_and_are_bounded() {
    let sent = wire::PostalAddress {
        address_lines: vec!["Boulevard Mohammed V".to_owned()],
        locality: "Béni Mellal".to_owned(),
        province: "Béni Mellal".to_owned(),
        region: "Béni Mellal-Khénifra".to_owned(),
        postal_code: "23000".to_owned(),
        region_code: "ma".to_owned(),
        place_name: text("Siège de l'agence urbaine"),
        latitude: Some(32.34),
        longitude: Some(-6.36),
    };
    let address = postal_address(&sent).unwrap();
    let back = postal_address_for(&address, &[], &FallbackChain::default());
    assert_eq!(back.region_code, "MA");
    assert_eq!(back.address_lines, sent.address_lines);
    assert_eq!(
        back.place_name.unwrap().resolved.unwrap().text,
        "Siège de l'agence urbaine"
    );
    let err = postal_address(&wire::PostalAddress {
        address_lines: vec!["x".repeat(201)],
        place_name: text(&"y".repeat(201)),
        ..Default::default()
    })
    .unwrap_err();
    assert_eq!(
        fields(&err),
        ["address_lines[0]", "place_name.entries[0].text"]
    );
}

#[test]
fn shared_pieces_read_what_they_write() {
    let bm = AgencyCode::parse("bm").unwrap();
    let reference = agency_reference_for(&bm, None);
    assert_eq!(agency_reference(Some(&reference)).unwrap(), Some(bm));
    assert_eq!(agency_reference(None).unwrap(), None);
    let wrong = wire::AgencyReference {
        name: "agency/bm".to_owned(),
        display_name: None,
    };
    assert_eq!(
        fields(&agency_reference(Some(&wrong)).unwrap_err()),
        ["name"]
    );

    let date = civil_date(&wire::CivilDate {
        date: "2027-08-10".to_owned(),
    })
    .unwrap();
    assert_eq!(civil_date_for(date).date, "2027-08-10");
    for wrong in ["2027-8-10", "2027-02-30", "10/08/2027", ""] {
        assert!(
            civil_date(&wire::CivilDate {
                date: wrong.to_owned()
            })
            .is_err(),
            "{wrong}"
        );
    }

    let thirty_days = jiff::SignedDuration::from_hours(30 * 24);
    assert_eq!(duration(&duration_for(thirty_days)), Ok(thirty_days));
    assert!(
        duration(&prost_types::Duration {
            seconds: -1,
            nanos: 0
        })
        .is_err()
    );

    assert_eq!(etag_for(4), "\"v4\"");
    assert!(required_etag(&etag_for(4), "etag").unwrap().matches(4));
    assert_eq!(required_etag("", "etag").unwrap_err().field, "etag");
    assert_eq!(request_id("").unwrap(), None);
    assert_eq!(request_id("nope").unwrap_err().field, "request_id");
    assert_eq!(page_request(-5, "").unwrap_err().field, "page_size");
}
