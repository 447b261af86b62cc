//! iCalendar (RFC 5545) exports. Times are written as local wall time with their TZID,
//! and each zone gets a VTIMEZONE built from tzdata's transitions over the exported range,
//! so a calendar shows 10:00 in Béni Mellal whatever Morocco's offset is that day
//! (UTC+0 during Ramadan, UTC+1 otherwise).
//!
//! What calendar clients need besides RFC 5545 itself (Google Calendar, Outlook and
//! Thunderbird subscribe to these): METHOD:PUBLISH and X-WR-CALNAME to name the feed,
//! an ORGANIZER on every event, CONFERENCE (RFC 7986) for the online link, and output
//! that depends on the events alone (DTSTAMP is the event's last change, not the time
//! of the export), so that a feed's bytes, and an HTTP ETag over them, change only when
//! an event does.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use jalia_model::{AgencyCode, FallbackChain, LanguageCode, LocalizedText};
use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};

use super::event::{Event, EventStatus};

/// The media type of an export.
pub(crate) const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";

/// How a calendar names the agency that publishes it: the events service keeps only the
/// agency's code, a caller that knows more (the gateway, from the catalog) says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Publisher {
    /// The agency.
    pub agency: AgencyCode,
    /// Its name in the reader's language (X-WR-CALNAME, ORGANIZER's CN).
    pub display_name: Option<String>,
    /// A public contact email (ORGANIZER's address).
    pub email: Option<String>,
}

impl Publisher {
    /// The calendar's name: the agency's, else its code.
    fn calendar_name(&self) -> String {
        self.display_name
            .clone()
            .unwrap_or_else(|| self.agency.to_string())
    }
}

/// One event with its text already resolved to the reader's language.
#[derive(Debug)]
pub(crate) struct CalendarEntry<'a> {
    /// The event (never a draft).
    pub event: &'a Event,
    /// SUMMARY: the title.
    pub summary: String,
    /// DESCRIPTION: description and theme.
    pub description: String,
    /// LOCATION: venue and address.
    pub location: String,
    /// URL: the public online link, never a private one.
    pub url: Option<String>,
}

impl<'a> CalendarEntry<'a> {
    /// An event's entry in the reader's language (one language per VEVENT), never with
    /// a private link.
    pub(crate) fn of(event: &'a Event, wanted: &[LanguageCode]) -> Self {
        let chain = FallbackChain::default();
        let one = |text: &'a LocalizedText| {
            text.resolve(wanted, &chain)
                .map_or("", |resolved| resolved.text)
        };
        let content = &event.content;
        let description = [one(&content.theme), one(&content.description)]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        let location = content
            .venue
            .as_ref()
            .map(|venue| {
                let address = venue.address.as_ref();
                std::iter::once(one(&venue.display_name))
                    .chain(
                        address
                            .into_iter()
                            .flat_map(|a| a.address_lines.iter().map(String::as_str)),
                    )
                    .chain(address.map(|a| a.locality.as_str()))
                    .filter(|part| !part.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        Self {
            event,
            summary: one(&content.title).to_owned(),
            description,
            location,
            url: content
                .online_access
                .as_ref()
                .filter(|access| !access.private)
                .map(|access| access.url.clone()),
        }
    }
}

/// A VCALENDAR named `name` holding every entry, with one VTIMEZONE per zone used;
/// `publisher` names the organiser of its agency's events.
pub(crate) fn calendar(
    name: &str,
    entries: &[CalendarEntry<'_>],
    publisher: Option<&Publisher>,
) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Jalia//Events//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        format!("X-WR-CALNAME:{}", escape(name)),
    ];
    let mut ranges: BTreeMap<String, (TimeZone, Timestamp, Timestamp)> = BTreeMap::new();
    for entry in entries {
        let content = &entry.event.content;
        for time in [&content.start, &content.end] {
            let instant = time.instant();
            ranges
                .entry(time.zone_name().to_owned())
                .and_modify(|(_, first, last)| {
                    *first = (*first).min(instant);
                    *last = (*last).max(instant);
                })
                .or_insert((time.zone().clone(), instant, instant));
        }
    }
    for (name, (zone, first, last)) in &ranges {
        timezone(&mut lines, name, zone, *first, *last);
    }
    for entry in entries {
        let publisher = publisher.filter(|publisher| publisher.agency == entry.event.agency);
        vevent(&mut lines, entry, publisher);
    }
    lines.push("END:VCALENDAR".to_owned());
    let mut out = String::new();
    for line in lines {
        fold(&mut out, &line);
    }
    out
}

/// The name of a calendar of one agency's events: the publisher's, else the code.
pub(crate) fn agency_calendar_name(agency: &AgencyCode, publisher: Option<&Publisher>) -> String {
    publisher
        .filter(|publisher| &publisher.agency == agency)
        .map_or_else(|| agency.to_string(), Publisher::calendar_name)
}

fn vevent(lines: &mut Vec<String>, entry: &CalendarEntry<'_>, publisher: Option<&Publisher>) {
    let event = entry.event;
    let content = &event.content;
    lines.push("BEGIN:VEVENT".to_owned());
    lines.push(format!("UID:{}@jalia", event.id));
    // The event's last change, not the export's time: a feed read twice is the same
    // bytes (RFC 5545 lets DTSTAMP be when the object's information was last revised).
    lines.push(format!("DTSTAMP:{}", utc(event.update_time)));
    lines.push(format!(
        "DTSTART;TZID={}:{}",
        content.start.zone_name(),
        local(&content.start)
    ));
    lines.push(format!(
        "DTEND;TZID={}:{}",
        content.end.zone_name(),
        local(&content.end)
    ));
    lines.push(format!("SEQUENCE:{}", event.sequence));
    lines.push(format!(
        "STATUS:{}",
        match event.status {
            EventStatus::Cancelled => "CANCELLED",
            EventStatus::Postponed => "TENTATIVE",
            _ => "CONFIRMED",
        }
    ));
    lines.push(format!("SUMMARY:{}", escape(&entry.summary)));
    if !entry.description.is_empty() {
        lines.push(format!("DESCRIPTION:{}", escape(&entry.description)));
    }
    lines.push(organizer(&event.agency, publisher));
    // An online-only event's place is its link, for clients that show only LOCATION.
    let location = match (&entry.url, entry.location.is_empty()) {
        (Some(url), true) => url.as_str(),
        _ => entry.location.as_str(),
    };
    if !location.is_empty() {
        lines.push(format!("LOCATION:{}", escape(location)));
    }
    if let Some(url) = &entry.url {
        // CONFERENCE for clients that know RFC 7986 (they offer a "join" button), URL
        // for the others.
        lines.push(format!(
            "CONFERENCE;VALUE=URI;FEATURE=AUDIO,VIDEO;LABEL={}:{url}",
            parameter(&conference_label(url))
        ));
        lines.push(format!("URL:{url}"));
    }
    lines.push(format!("LAST-MODIFIED:{}", utc(event.update_time)));
    lines.push("END:VEVENT".to_owned());
}

/// ORGANIZER: the agency by name when known, with its contact email or else its URN.
fn organizer(agency: &AgencyCode, publisher: Option<&Publisher>) -> String {
    let name = publisher.map_or_else(|| agency.to_string(), Publisher::calendar_name);
    let address = publisher
        .and_then(|publisher| publisher.email.as_deref())
        .map_or_else(
            || format!("urn:jalia:agencies:{agency}"),
            |email| format!("mailto:{email}"),
        );
    format!("ORGANIZER;CN={}:{address}", parameter(&name))
}

/// A conference's label: the host people will join on, the same in every language.
fn conference_label(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#'])
        .next()
        .filter(|host| !host.is_empty())
        .unwrap_or(rest)
        .to_owned()
}

/// The zone's observances over [first, last]: the one in force at `first` (from its
/// last transition before), then every transition up to `last`.
fn timezone(
    lines: &mut Vec<String>,
    name: &str,
    zone: &TimeZone,
    first: Timestamp,
    last: Timestamp,
) {
    lines.push("BEGIN:VTIMEZONE".to_owned());
    lines.push(format!("TZID:{name}"));
    let in_force = zone.to_offset(first);
    match zone.preceding(first).next() {
        Some(transition) => {
            let before =
                zone.to_offset(transition.timestamp() - jiff::SignedDuration::from_secs(1));
            observance(
                lines,
                transition.dst().is_dst(),
                transition.timestamp(),
                before,
                transition.offset(),
                transition.abbreviation(),
            );
        }
        None => observance(lines, false, first, in_force, in_force, ""),
    }
    let mut previous = in_force;
    for transition in zone.following(first) {
        if transition.timestamp() > last {
            break;
        }
        observance(
            lines,
            transition.dst().is_dst(),
            transition.timestamp(),
            previous,
            transition.offset(),
            transition.abbreviation(),
        );
        previous = transition.offset();
    }
    lines.push("END:VTIMEZONE".to_owned());
}

fn observance(
    lines: &mut Vec<String>,
    daylight: bool,
    onset: Timestamp,
    from: Offset,
    to: Offset,
    abbreviation: &str,
) {
    let kind = if daylight { "DAYLIGHT" } else { "STANDARD" };
    lines.push(format!("BEGIN:{kind}"));
    // DTSTART is the onset in the local time that was in force just before it.
    let onset_local = onset.to_zoned_datetime(TimeZone::fixed(from)).datetime();
    lines.push(format!("DTSTART:{}", onset_local.strftime("%Y%m%dT%H%M%S")));
    lines.push(format!("TZOFFSETFROM:{}", offset(from)));
    lines.push(format!("TZOFFSETTO:{}", offset(to)));
    if !abbreviation.is_empty() {
        lines.push(format!("TZNAME:{}", escape(abbreviation)));
    }
    lines.push(format!("END:{kind}"));
}

fn offset(offset: Offset) -> String {
    let seconds = offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let seconds = seconds.unsigned_abs();
    format!("{sign}{:02}{:02}", seconds / 3600, (seconds % 3600) / 60)
}

fn local(time: &jalia_model::ZonedDateTime) -> String {
    time.local().strftime("%Y%m%dT%H%M%S").to_string()
}

fn utc(instant: Timestamp) -> String {
    instant.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT escaping (RFC 5545 §3.3.11).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            // Only tab survives of the controls (RFC 5545 §3.3.11 forbids the rest).
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value, always quoted: RFC 5545 forbids DQUOTE and controls inside one,
/// so they are written as RFC 6868 caret escapes (`^'`, `^n`, `^^`).
fn parameter(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '^' => out.push_str("^^"),
            '"' => out.push_str("^'"),
            '\n' => out.push_str("^n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Folds a content line at 75 octets without splitting a UTF-8 character, CRLF ended.
fn fold(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let size = c.len_utf8();
        if width + size > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += size;
    }
    let _ = write!(out, "\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_on_character_boundaries() {
        let mut out = String::new();
        fold(
            &mut out,
            &format!(
                "SUMMARY:{}",
                "اليوم الوطني للمغاربة المقيمين بالخارج ".repeat(3)
            ),
        );
        for line in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= 75, "{} octets", line.len());
        }
        let unfolded = out.replace("\r\n ", "");
        assert!(unfolded.starts_with("SUMMARY:اليوم"));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a, b; c\\d\nе"), "a\\, b\\; c\\\\d\\nе");
        assert_eq!(offset(Offset::from_seconds(3600).unwrap()), "+0100");
        assert_eq!(offset(Offset::from_seconds(-12_600).unwrap()), "-0330");
        assert_eq!(escape("tab\there\u{7}"), "tab\there");
    }

    #[test]
    fn parameters_are_quoted_with_caret_escapes() {
        assert_eq!(
            parameter("Agence \"AU\" ^ BM\n"),
            "\"Agence ^'AU^' ^^ BM^n\""
        );
        assert_eq!(parameter("الوكالة, بني ملال"), "\"الوكالة, بني ملال\"");
        assert_eq!(
            conference_label("https://visio.example.ma/room?x=1"),
            "visio.example.ma"
        );
        assert_eq!(
            conference_label("https://meet.example.org"),
            "meet.example.org"
        );
    }
}
