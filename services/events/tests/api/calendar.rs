//! iCalendar exports: local times with their zone, Morocco's Ramadan offset, stable UIDs,
//! SEQUENCE and STATUS as the event changes, and never a private link.

use jalia_proto::events::v1 as pb;
use jalia_testing::authed;
use jiff::Timestamp;

use crate::helpers::{Client, TestApp, at, event, published, seconds, text};

/// The instant a VTIMEZONE gives a local time: the offset of the latest observance whose
/// onset is not after it. Computed from the exported text alone.
fn instant_from_vtimezone(
    calendar: &ical::parser::ical::component::IcalCalendar,
    tzid: &str,
    local: &str,
) -> Timestamp {
    let zone = calendar
        .timezones
        .iter()
        .find(|tz| {
            tz.properties
                .iter()
                .any(|p| p.name == "TZID" && p.value.as_deref() == Some(tzid))
        })
        .expect("a VTIMEZONE for the TZID");
    let local_dt: jiff::civil::DateTime =
        jiff::civil::DateTime::strptime("%Y%m%dT%H%M%S", local).unwrap();
    let mut best: Option<(jiff::civil::DateTime, String)> = None;
    for observance in &zone.transitions {
        let get = |name: &str| {
            observance
                .properties
                .iter()
                .find(|p| p.name == name)
                .and_then(|p| p.value.clone())
                .unwrap()
        };
        let onset = jiff::civil::DateTime::strptime("%Y%m%dT%H%M%S", get("DTSTART")).unwrap();
        if onset <= local_dt && best.as_ref().is_none_or(|(b, _)| onset > *b) {
            best = Some((onset, get("TZOFFSETTO")));
        }
    }
    let offset = best.expect("an observance in force").1;
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let hours: i64 = offset[1..3].parse().unwrap();
    let minutes: i64 = offset[3..5].parse().unwrap();
    let utc_local =
        local_dt - jiff::SignedDuration::from_secs(sign * (hours * 3600 + minutes * 60));
    utc_local
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
}

#[tokio::test]
async fn ramadan_times_and_the_icalendar_export_agree() {
    let app = TestApp::one().await;
    let token = app.bm();
    let mut client = app.client(0).await;
    let ramadan = published(
        &mut client,
        &token,
        event("2026-03-01T10:00", "2026-03-01T12:00", 10, 0),
    )
    .await;
    let spring = published(
        &mut client,
        &token,
        event("2026-04-01T10:00", "2026-04-01T12:00", 10, 0),
    )
    .await;
    let instant = |e: &pb::Event| {
        let t = e.start.as_ref().unwrap().instant.unwrap();
        Timestamp::new(t.seconds, t.nanos).unwrap().to_string()
    };
    assert_eq!(instant(&ramadan), "2026-03-01T10:00:00Z");
    assert_eq!(instant(&spring), "2026-04-01T09:00:00Z");

    let export = client
        .export_events_calendar(pb::ExportEventsCalendarRequest {
            parent: "agencies/bm".into(),
            start_after: seconds(1_772_323_200), // 2026-03-01T00:00Z
            start_before: seconds(1_775_174_400), // 2026-04-03T00:00Z
            language_code: "fr".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(export.content_type, "text/calendar; charset=utf-8");
    let mut parser = ical::IcalParser::new(std::io::BufReader::new(export.calendar.as_bytes()));
    let calendar = parser.next().unwrap().unwrap();
    assert_eq!(calendar.events.len(), 2);
    let mut seen = Vec::new();
    for vevent in &calendar.events {
        let start = vevent
            .properties
            .iter()
            .find(|p| p.name == "DTSTART")
            .unwrap();
        let tzid = start
            .params
            .as_ref()
            .and_then(|params| params.iter().find(|(k, _)| k == "TZID"))
            .map(|(_, v)| v[0].clone())
            .unwrap();
        assert_eq!(tzid, "Africa/Casablanca");
        let local = start.value.clone().unwrap();
        assert!(local.ends_with("T100000"), "local time 10:00: {local}");
        seen.push(instant_from_vtimezone(&calendar, &tzid, &local).to_string());
        let uid = vevent
            .properties
            .iter()
            .find(|p| p.name == "UID")
            .unwrap()
            .value
            .clone()
            .unwrap();
        assert!(uid.ends_with("@jalia"));
    }
    seen.sort();
    assert_eq!(
        seen,
        vec![
            "2026-03-01T10:00:00Z".to_owned(),
            "2026-04-01T09:00:00Z".to_owned()
        ]
    );

    // UID is stable; SEQUENCE goes up on reschedule; STATUS:CANCELLED once cancelled.
    let one = |client: &mut Client, name: String| {
        let mut client = client.clone();
        async move {
            client
                .export_event_calendar(pb::ExportEventCalendarRequest {
                    name,
                    language_code: "fr".into(),
                    publisher: None,
                })
                .await
                .unwrap()
                .into_inner()
                .calendar
        }
    };
    let before = one(&mut client, spring.name.clone()).await;
    let moved = client
        .reschedule_event(authed(
            pb::RescheduleEventRequest {
                name: spring.name.clone(),
                etag: spring.etag.clone(),
                start: at("2026-04-08T10:00"),
                end: at("2026-04-08T12:00"),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(moved.sequence, 1);
    assert_eq!(
        moved.previous_start.as_ref().unwrap().local_date_time,
        "2026-04-01T10:00:00"
    );
    let after = one(&mut client, spring.name.clone()).await;
    let uid = |ics: &str| {
        ics.lines()
            .find(|l| l.starts_with("UID:"))
            .unwrap()
            .to_owned()
    };
    assert_eq!(uid(&before), uid(&after));
    assert!(after.contains("SEQUENCE:1"));
    client
        .cancel_event(authed(
            pb::CancelEventRequest {
                name: moved.name.clone(),
                etag: moved.etag.clone(),
                reason: text("fr", "Reportée sine die"),
            },
            &token,
        ))
        .await
        .unwrap();
    let cancelled = one(&mut client, spring.name.clone()).await;
    assert!(
        cancelled.contains("STATUS:CANCELLED") && cancelled.contains("SEQUENCE:2"),
        "{cancelled}"
    );
}

async fn exported(client: &mut Client, name: &str, token: Option<&str>) -> String {
    let request = pb::ExportEventCalendarRequest {
        name: name.to_owned(),
        language_code: "fr".into(),
        publisher: None,
    };
    let request = match token {
        Some(token) => authed(request, token),
        None => tonic::Request::new(request),
    };
    client
        .export_event_calendar(request)
        .await
        .unwrap()
        .into_inner()
        .calendar
}

#[tokio::test]
async fn a_private_link_never_reaches_a_calendar() {
    let app = TestApp::one().await;
    let token = app.bm();
    let mut client = app.client(0).await;
    let mut private = event("2027-08-10T10:00", "2027-08-10T13:00", 10, 0);
    private.attendance_mode = pb::AttendanceMode::Hybrid as i32;
    private.online_access = Some(pb::OnlineAccess {
        url: "https://visio.example.ma/private-room".into(),
        private: true,
    });
    let private = published(&mut client, &token, private).await;
    let mut public = event("2027-08-11T10:00", "2027-08-11T13:00", 10, 0);
    public.attendance_mode = pb::AttendanceMode::Hybrid as i32;
    public.online_access = Some(pb::OnlineAccess {
        url: "https://visio.example.ma/public-room".into(),
        private: false,
    });
    let public = published(&mut client, &token, public).await;

    // Not to the public, and not even to the organiser: a calendar is shared.
    for reader in [None, Some(token.as_str())] {
        let ics = exported(&mut client, &private.name, reader).await;
        assert!(ics.contains("BEGIN:VEVENT"));
        assert!(!ics.contains("private-room"), "{ics}");
        assert!(!ics.contains("URL:"), "{ics}");
    }
    let ics = exported(&mut client, &public.name, None).await;
    assert!(
        ics.contains("URL:https://visio.example.ma/public-room"),
        "{ics}"
    );
    let all = client
        .export_events_calendar(pb::ExportEventsCalendarRequest {
            parent: "agencies/bm".into(),
            language_code: "fr".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .calendar;
    assert_eq!(all.matches("BEGIN:VEVENT").count(), 2);
    assert!(!all.contains("private-room"));
    assert!(all.contains("public-room"));
}

fn property<'a>(ics: &'a str, name: &str) -> Vec<&'a str> {
    ics.split("\r\n")
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with([':', ';']))
        })
        .collect()
}

#[tokio::test]
async fn a_subscribed_calendar_names_its_publisher_and_joins_online() {
    let app = TestApp::one().await;
    let token = app.bm();
    let mut client = app.client(0).await;
    let mut online = event("2027-08-10T10:00", "2027-08-10T12:00", 10, 0);
    online.title = text(
        "ar",
        "لقاء تواصلي مع مغاربة العالم حول مساطر التعمير والرخص, بني ملال; 2027",
    );
    online.attendance_mode = pb::AttendanceMode::Online as i32;
    online.venue = None;
    online.online_access = Some(pb::OnlineAccess {
        url: "https://visio.example.ma/mre?room=1".into(),
        private: false,
    });
    let online = published(&mut client, &token, online).await;
    let in_person = published(
        &mut client,
        &token,
        event("2027-08-11T10:00", "2027-08-11T12:00", 10, 0),
    )
    .await;
    let request = |publisher: Option<pb::CalendarPublisher>| pb::ExportEventsCalendarRequest {
        parent: "agencies/bm".into(),
        language_code: "ar".into(),
        publisher,
        ..Default::default()
    };
    let agency = pb::CalendarPublisher {
        display_name: "الوكالة الحضرية لبني ملال".into(),
        email: "guichet.mre@aubm.example.ma".into(),
    };
    let export = |request: pb::ExportEventsCalendarRequest| {
        let mut client = client.clone();
        async move {
            client
                .export_events_calendar(request)
                .await
                .unwrap()
                .into_inner()
                .calendar
        }
    };
    let ics = export(request(Some(agency.clone()))).await;

    // RFC 5545's framing: CRLF everywhere, no line over 75 octets (the Arabic title is
    // folded between characters), and a parser reads it back.
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    assert!(!ics.replace("\r\n", "").contains('\n'));
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line}", line.len());
    }
    let parsed = ical::IcalParser::new(std::io::BufReader::new(ics.as_bytes()))
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(parsed.events.len(), 2);
    let unfolded = ics.replace("\r\n ", "");
    for header in [
        "PRODID:-//Jalia//Events//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:الوكالة الحضرية لبني ملال",
        "BEGIN:VTIMEZONE\r\nTZID:Africa/Casablanca",
    ] {
        assert!(unfolded.contains(header), "{header} in {unfolded}");
    }
    // The title's comma and semicolon are escaped as TEXT.
    assert!(unfolded.contains("والرخص\\, بني ملال\\; 2027"), "{unfolded}");
    // The agency organises both, reachable at its desk's address.
    assert_eq!(
        property(&unfolded, "ORGANIZER"),
        vec![
            "ORGANIZER;CN=\"الوكالة الحضرية لبني ملال\":mailto:guichet.mre@aubm.example.ma";
            2
        ]
    );
    // Online: CONFERENCE (RFC 7986) and URL, and the link as its place.
    assert_eq!(
        property(&unfolded, "CONFERENCE"),
        vec![
            "CONFERENCE;VALUE=URI;FEATURE=AUDIO,VIDEO;LABEL=\"visio.example.ma\":https://visio.example.ma/mre?room=1"
        ]
    );
    assert_eq!(
        property(&unfolded, "URL"),
        vec!["URL:https://visio.example.ma/mre?room=1"]
    );
    assert!(unfolded.contains(&format!(
        "UID:{}@jalia",
        online.name.rsplit('/').next().unwrap()
    )));
    // In person: the venue as LOCATION, no link.
    let venue = property(&unfolded, "LOCATION");
    assert!(
        venue.contains(&"LOCATION:Siège de l'Agence urbaine de Béni Mellal\\, Béni Mellal"),
        "{venue:?}"
    );
    assert!(venue.contains(&"LOCATION:https://visio.example.ma/mre?room=1"));
    assert!(in_person.online_access.is_none());

    // The same events give the same bytes (DTSTAMP is each event's last change), so a
    // feed's ETag holds until an event changes.
    assert_eq!(export(request(Some(agency.clone()))).await, ics);

    // Without a publisher, the agency is named by its code and its URN.
    let plain = export(request(None)).await;
    assert!(plain.contains("X-WR-CALNAME:bm\r\n"));
    assert!(plain.contains("ORGANIZER;CN=\"bm\":urn:jalia:agencies:bm\r\n"));

    // A bad publisher is refused on its field; no publisher speaks for every agency.
    let mut wrong = agency.clone();
    wrong.email = "guichet mre@aubm".into();
    jalia_testing::assert_invalid(
        client.export_events_calendar(request(Some(wrong))).await,
        "publisher.email",
    );
    let mut everyone = request(Some(agency));
    everyone.parent = "agencies/-".into();
    jalia_testing::assert_invalid(client.export_events_calendar(everyone).await, "publisher");
}
