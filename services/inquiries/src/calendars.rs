//! Where the agencies' calendars come from: a JSON file an operator owns
//! (`JALIA_INQUIRIES_CALENDARS`), else the one bundled with the service
//! (`calendars/morocco.json`). The file's shape is its own serde types, so that the
//! domain's calendar can change without breaking operators' files.

use std::collections::BTreeMap;

use jalia_model::AgencyCode;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use serde::Deserialize;

use crate::domain::calendar::parse_date;
use crate::domain::working_days::{AgencyCalendar, Calendars, FixedHoliday};

/// The calendar file bundled with the service.
pub(crate) const BUNDLED: &str = include_str!("../calendars/morocco.json");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    /// Free text for the people who edit the file.
    #[serde(default, rename = "about")]
    _about: Option<String>,
    default: Days,
    #[serde(default)]
    agencies: BTreeMap<String, Days>,
    #[serde(default)]
    fixed_holidays: Vec<FixedEntry>,
    #[serde(default)]
    dated_holidays: Vec<DatedEntry>,
}

/// Where an agency's days are counted, and which days of the week are off.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Days {
    zone: String,
    weekend: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixedEntry {
    month: i8,
    day: i8,
    #[serde(default)]
    since: Option<i16>,
    /// For the people who edit the file.
    #[serde(rename = "name")]
    _name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DatedEntry {
    date: String,
    /// True while the date is the expected one, before the moon sighting confirms it;
    /// for the people who edit the file (an expected date counts as a holiday).
    #[serde(default, rename = "expected")]
    _expected: bool,
    /// For the people who edit the file.
    #[serde(rename = "name")]
    _name: String,
}

/// The calendars a file describes; the problem, naming where it is, otherwise.
pub(crate) fn parse(text: &str) -> Result<Calendars, String> {
    let file: CalendarFile = serde_json::from_str(text).map_err(|err| err.to_string())?;
    let mut fixed = Vec::with_capacity(file.fixed_holidays.len());
    for (index, entry) in file.fixed_holidays.iter().enumerate() {
        // 2024 is a leap year, so 29 February is accepted.
        Date::new(2024, entry.month, entry.day).map_err(|_| {
            format!(
                "fixed_holidays[{index}]: {}-{} is not a month and day",
                entry.month, entry.day
            )
        })?;
        fixed.push(FixedHoliday {
            month: entry.month,
            day: entry.day,
            since: entry.since,
        });
    }
    let mut dated = Vec::with_capacity(file.dated_holidays.len());
    for (index, entry) in file.dated_holidays.iter().enumerate() {
        dated.push(
            parse_date(&entry.date)
                .map_err(|problem| format!("dated_holidays[{index}].date {problem}"))?,
        );
    }
    let calendar = |days: &Days, at: &str| -> Result<AgencyCalendar, String> {
        let zone = TimeZone::get(&days.zone)
            .map_err(|_| format!("{at}.zone: `{}` is not an IANA time zone", days.zone))?;
        let weekend = days
            .weekend
            .iter()
            .enumerate()
            .map(|(index, day)| {
                weekday(day).ok_or_else(|| {
                    format!("{at}.weekend[{index}]: `{day}` is not a day of the week")
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AgencyCalendar::new(
            zone,
            weekend,
            fixed.clone(),
            dated.iter().copied(),
        ))
    };
    let default = calendar(&file.default, "default")?;
    let mut agencies = Vec::with_capacity(file.agencies.len());
    for (code, days) in &file.agencies {
        let agency = AgencyCode::parse(code).map_err(|problem| format!("agencies: {problem}"))?;
        agencies.push((agency, calendar(days, &format!("agencies.{code}"))?));
    }
    Ok(Calendars::new(default, agencies))
}

fn weekday(name: &str) -> Option<Weekday> {
    Some(match name.trim().to_ascii_lowercase().as_str() {
        "monday" => Weekday::Monday,
        "tuesday" => Weekday::Tuesday,
        "wednesday" => Weekday::Wednesday,
        "thursday" => Weekday::Thursday,
        "friday" => Weekday::Friday,
        "saturday" => Weekday::Saturday,
        "sunday" => Weekday::Sunday,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn the_bundled_file_holds_morocco_s_holidays() {
        let calendars = parse(BUNDLED).unwrap();
        let bm = AgencyCode::parse("bm").unwrap();
        let calendar = calendars.of(&bm);
        assert_eq!(calendar.zone().iana_name(), Some("Africa/Casablanca"));
        // Throne Day, Eid al-Adha 1446 (expected date), a Saturday, and a working day.
        assert!(calendar.is_holiday(date(2026, 7, 30)));
        assert!(calendar.is_holiday(date(2025, 6, 7)));
        assert!(!calendar.is_working_day(date(2025, 8, 9)));
        assert!(calendar.is_working_day(date(2025, 8, 11)));
    }

    #[test]
    fn an_operator_s_file_sets_a_consulate_s_zone_and_bad_entries_are_named() {
        let file = r#"{
            "default": {"zone": "Africa/Casablanca", "weekend": ["saturday", "sunday"]},
            "agencies": {"cg-paris": {"zone": "Europe/Paris", "weekend": ["Saturday", "Sunday"]}},
            "dated_holidays": [{"date": "2026-03-20", "expected": true, "name": "Eid al-Fitr"}]
        }"#;
        let calendars = parse(file).unwrap();
        let consulate = AgencyCode::parse("cg-paris").unwrap();
        assert_eq!(
            calendars.of(&consulate).zone().iana_name(),
            Some("Europe/Paris")
        );
        assert!(calendars.of(&consulate).is_holiday(date(2026, 3, 20)));

        let bad_zone = file.replace("Europe/Paris", "Europe/Nowhere");
        assert!(
            parse(&bad_zone)
                .unwrap_err()
                .contains("agencies.cg-paris.zone")
        );
        let bad_day = file.replace("[\"Saturday\"", "[\"Samedi\"");
        assert!(
            parse(&bad_day)
                .unwrap_err()
                .contains("agencies.cg-paris.weekend[0]")
        );
        let bad_date = file.replace("2026-03-20", "2026-02-30");
        assert!(
            parse(&bad_date)
                .unwrap_err()
                .contains("dated_holidays[0].date")
        );
        assert!(parse(r#"{"default": {"zone": "UTC", "weekend": []}, "extra": 1}"#).is_err());
    }
}
