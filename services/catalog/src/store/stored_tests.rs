//! Pins every stored shape: rows the first release wrote (`testdata/`, copied from a
//! database it filled with the demo data) and hand-written rows covering the variants the
//! demo does not use must read, and write back byte for byte; every enum column's codes
//! and every filter bit are fixed here.

use jalia_db::codes_are_distinct;

use super::*;

const FIRST_RELEASE_SNAPSHOT: &str = include_str!("testdata/first_release_snapshot.json");
const FIRST_RELEASE_AGENCY: &str = include_str!("testdata/first_release_agency.json");
const FIRST_RELEASE_TERM: &str = include_str!("testdata/first_release_term.json");

/// A service content using every variant: each channel kind, an address with
/// coordinates, seasonal hours, evidence for some channels, a price in each currency and
/// a free one, a legal reference with and without a link.
const EVERY_VARIANT: &str = concat!(
    r#"{"competent_authority":"bm","display_name":{"ar":"مذكرة","fr":"Note"},"description":{},"#,
    r#""keywords":[{"fr":"urbanisme"}],"category":"0198907a-0000-7000-8000-000000000101","#,
    r#""life_events":[],"audiences":["citizens","diaspora","professionals","associations","public_officials"],"#,
    r#""channels":[{"kind":"online","label":{},"url":"https://www.rokhas.ma/","address":null,"phone":null,"opening_hours":null},"#,
    r#"{"kind":"in_person","label":{"fr":"Siège"},"url":null,"address":{"address_lines":["Avenue Mohammed V"],"#,
    r#""locality":"Béni Mellal","province":"Béni Mellal","region":"Béni Mellal-Khénifra","postal_code":"23000","#,
    r#""country":"MA","place_name":{"fr":"Siège"},"latitude":32.3373,"longitude":-6.3498},"phone":null,"#,
    r#""opening_hours":{"time_zone":"Africa/Casablanca","periods":[{"day":"monday","opens":"08:30","closes":"16:30","#,
    r#""valid_from":null,"valid_until":null},{"day":"sunday","opens":"09:00","closes":"24:00","#,
    r#""valid_from":"2025-07-01","valid_until":"2025-09-15"}]}},"#,
    r#"{"kind":"mail","label":{},"url":null,"address":{"address_lines":[],"locality":"Béni Mellal","province":"","#,
    r#""region":"","postal_code":"","country":null,"place_name":{},"latitude":null,"longitude":null},"phone":null,"#,
    r#""opening_hours":null},{"kind":"consulate","label":{},"url":null,"address":null,"phone":null,"opening_hours":null},"#,
    r#"{"kind":"phone","label":{},"url":null,"address":null,"phone":"+212523480000","opening_hours":null}],"#,
    r#""requirements":[{"fr":"Être propriétaire"}],"#,
    r#""evidence":[{"display_name":{"fr":"Titre foncier"},"description":{},"channel_kinds":["in_person","mail"]}],"#,
    r#""costs":[{"price":{"amount":{"currency":"MAD","amount_minor":15000}},"description":{},"channel_kinds":["online"],"illustrative":true},"#,
    r#"{"price":{"amount":{"currency":"EUR","amount_minor":2500}},"description":{},"channel_kinds":["consulate"],"illustrative":false},"#,
    r#"{"price":"free","description":{},"channel_kinds":[],"illustrative":false}],"#,
    r#""processing_time":{"seconds":1296000,"nanos":5,"illustrative":true},"output":{"fr":"Une note"},"#,
    r#""legal_references":[{"title":{"fr":"Loi 12-90"},"url":"https://www.sgg.gov.ma/"},{"title":{"fr":"Décret"},"url":null}],"#,
    r#""related_platforms":[]}"#
);

/// An agency content with every kind of contact point and an antenna.
const CONTACTS: &str = concat!(
    r#"{"display_name":{"fr":"Agence"},"kind":"consulate","region":{},"province":{},"#,
    r#""contact_points":[{"label":{"fr":"Guichet MRE"},"email":"guichet@aubm.ma","phone":"+212523480000","url":"https://aubm.ma/"},"#,
    r#"{"label":{},"email":null,"phone":null,"url":"https://aubm.ma/contact"}],"parent_body":"matnuhpv","#,
    r#""sites":[{"display_name":{"fr":"Antenne"},"kind":"antenna","address":{"address_lines":[],"locality":"Azilal","#,
    r#""province":"","region":"","postal_code":"","country":null,"place_name":{},"latitude":null,"longitude":null},"#,
    r#""opening_hours":null}],"fallback_languages":["fr","ar"]}"#
);

/// Reads `json` as a `T` and writes it back, which must give `json` again.
fn round_trip<T: StoredShape + std::fmt::Debug>(json: &str) -> T {
    let value: T = from_json(json, "pinned row").unwrap();
    assert_eq!(to_json(&value).unwrap(), json, "{value:?}");
    value
}

#[test]
fn rows_of_the_first_release_read_and_write_back_unchanged() {
    let service: PublicService = round_trip(FIRST_RELEASE_SNAPSHOT.trim());
    assert_eq!(service.status, Status::Published);
    assert_eq!(service.revision, 2);
    assert_eq!(
        service.content.audiences,
        [Audience::Citizens, Audience::Diaspora]
    );
    assert_eq!(service.content.costs[0].price, Price::Free);
    let agency: AgencyContent = round_trip(FIRST_RELEASE_AGENCY.trim());
    assert_eq!(agency.kind, AgencyKind::Wilaya);
    assert_eq!(agency.sites[0].kind, SiteKind::Headquarters);
    let term: TermContent = round_trip(FIRST_RELEASE_TERM.trim());
    assert_eq!(term.display_name.get("en"), Some("Housing"));
}

#[test]
fn every_variant_of_a_service_and_an_agency_is_pinned() {
    let content: ServiceContent = round_trip(EVERY_VARIANT);
    let kinds: Vec<ChannelKind> = content.channels.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, ChannelKind::ALL);
    assert_eq!(content.audiences, Audience::ALL);
    assert_eq!(
        content.costs[1].price,
        Price::Amount(Money {
            currency: Currency::Eur,
            amount_minor: 2500
        })
    );
    let hours = content.channels[1].opening_hours.as_ref().unwrap();
    assert_eq!(hours.periods[1].day, Weekday::Sunday);
    assert!(hours.periods[1].closes.is_end_of_day());
    let agency: AgencyContent = round_trip(CONTACTS);
    assert_eq!(agency.kind, AgencyKind::Consulate);
    assert_eq!(agency.sites[0].kind, SiteKind::Antenna);
    assert_eq!(
        agency.contact_points[0].phone.as_ref().map(Phone::as_str),
        Some("+212523480000")
    );
    assert_eq!(agency.fallback_languages.len(), 2);
}

#[test]
fn every_agency_kind_is_pinned_by_name() {
    let names = AgencyKind::all()
        .iter()
        .map(|kind| serde_json::to_string(&StoredAgencyKind::from(*kind)).unwrap())
        .collect::<Vec<_>>()
        .join(",");
    assert_eq!(
        names,
        r#""urban_agency","wilaya","province","ministry","ministry_body","regional_council","provincial_council","commune","consulate""#
    );
    for kind in AgencyKind::all() {
        let name = serde_json::to_string(&StoredAgencyKind::from(*kind)).unwrap();
        let read: StoredAgencyKind = serde_json::from_str(&name).unwrap();
        assert_eq!(AgencyKind::from(read), *kind);
    }
}

#[test]
fn kept_results_read_with_or_without_labels() {
    let bare: Labelled<PublicService> = from_json(FIRST_RELEASE_SNAPSHOT.trim(), "kept").unwrap();
    assert!(bare.agencies.iter().next().is_none());
    let bm = AgencyCode::parse("bm").unwrap();
    let labelled = Labelled {
        value: bare.value,
        agencies: AgencyLabels::new(
            [(
                bm.clone(),
                AgencyLabel {
                    display_name: LocalizedText::single("fr", "Agence"),
                    fallback_languages: vec![LanguageCode::parse("fr").unwrap()],
                },
            )]
            .into_iter()
            .collect(),
        ),
    };
    let json = to_json(&labelled).unwrap();
    assert!(json.ends_with(
        r#""retire_time":null,"agency_labels":{"bm":{"display_name":{"fr":"Agence"},"fallback_languages":["fr"]}}}"#
    ));
    let read: Labelled<PublicService> = from_json(&json, "kept").unwrap();
    assert_eq!(read, labelled);
    let term = Term {
        id: Uuid::nil(),
        kind: TermKind::LifeEvent,
        content: TermContent::default(),
        create_time: from_micros(1),
        update_time: from_micros(2),
        version: 3,
    };
    assert_eq!(
        to_json(&term).unwrap(),
        r#"{"id":"00000000-0000-0000-0000-000000000000","kind":"life_event","content":{"display_name":{},"description":{}},"create_time":1,"update_time":2,"version":3}"#
    );
}

#[test]
fn a_row_that_no_longer_reads_is_an_error_not_a_panic() {
    for broken in [
        "{}",
        r#"{"display_name":{},"description":{},"keywords":[]}"#,
        &EVERY_VARIANT.replace("https://www.rokhas.ma/", "http://insecure.ma/"),
        &EVERY_VARIANT.replace("\"08:30\"", "\"8h30\""),
        &EVERY_VARIANT.replace("\"consulate\"", "\"embassy\""),
    ] {
        assert!(from_json::<ServiceContent>(broken, "broken").is_err());
    }
}

#[test]
fn every_code_is_distinct_and_pinned() {
    assert_eq!(codes_are_distinct::<AgencyKind>(), Ok(()));
    assert_eq!(codes_are_distinct::<TermKind>(), Ok(()));
    assert_eq!(codes_are_distinct::<Status>(), Ok(()));
    assert_eq!(codes_are_distinct::<RevisionAction>(), Ok(()));
    assert_eq!(codes_are_distinct::<SearchField>(), Ok(()));
    let codes = |all: Vec<i32>| all;
    assert_eq!(
        codes(AgencyKind::all().iter().map(|k| k.code()).collect()),
        [1, 2, 3, 4, 5, 6, 7, 8, 9]
    );
    assert_eq!(
        (TermKind::Category.code(), TermKind::LifeEvent.code()),
        (1, 2)
    );
    assert_eq!(
        codes(Status::ALL.iter().map(|s| s.code()).collect()),
        [1, 2, 3]
    );
    assert_eq!(
        codes(RevisionAction::ALL.iter().map(|a| a.code()).collect()),
        [1, 2, 3, 4]
    );
    assert_eq!(
        codes(SearchField::ALL.iter().map(|f| f.code()).collect()),
        [1, 2, 3]
    );
    assert_eq!(decode::<Status>(2).unwrap(), Status::Published);
    assert!(decode::<Status>(9).is_err());
}

#[test]
fn filter_bits_are_pinned() {
    let audiences: Vec<i64> = Audience::ALL.into_iter().map(audience_bit).collect();
    assert_eq!(audiences, [1, 2, 4, 8, 16]);
    let channels: Vec<i64> = ChannelKind::ALL.into_iter().map(channel_bit).collect();
    assert_eq!(channels, [1, 2, 4, 8, 16]);
}
