//! iCalendar (RFC 5545) exports. Times are written as local wall time with their TZID,
//! and each zone gets a VTIMEZONE built from tzdata's transitions over the exported range,
//! so a calendar shows 10:00 in Béni Mellal whatever Morocco's offset is that day
//! (UTC+0 during Ramadan, UTC+1 otherwise).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use jalia_model::{FallbackChain, LanguageCode, LocalizedText};
use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};

use super::event::{Event, EventStatus};

/// The media type of an export.
pub(crate) const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";

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

/// A VCALENDAR holding every entry, with one VTIMEZONE per zone used.
pub(crate) fn calendar(entries: &[CalendarEntry<'_>], now: Timestamp) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Jalia//Events//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
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
        vevent(&mut lines, entry, now);
    }
    lines.push("END:VCALENDAR".to_owned());
    let mut out = String::new();
    for line in lines {
        fold(&mut out, &line);
    }
    out
}

fn vevent(lines: &mut Vec<String>, entry: &CalendarEntry<'_>, now: Timestamp) {
    let event = entry.event;
    let content = &event.content;
    lines.push("BEGIN:VEVENT".to_owned());
    lines.push(format!("UID:{}@jalia", event.id));
    lines.push(format!("DTSTAMP:{}", utc(now)));
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
    if !entry.location.is_empty() {
        lines.push(format!("LOCATION:{}", escape(&entry.location)));
    }
    if let Some(url) = &entry.url {
        lines.push(format!("URL:{url}"));
    }
    lines.push(format!("LAST-MODIFIED:{}", utc(event.update_time)));
    lines.push("END:VEVENT".to_owned());
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
            '\r' => {}
            c => out.push(c),
        }
    }
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
    }
}
