//! Due dates are counted in days in the agency's time zone (its calendar's, see
//! `working_days`), never in fixed 24-hour steps from an instant: a citizen told
//! "within 15 days" reads a date, and Morocco's offset changes during Ramadan.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// The zone of the bundled default calendar (see `working_days` for each agency's).
#[cfg(test)]
pub(crate) const AGENCY_TIME_ZONE: &str = "Africa/Casablanca";

const SECONDS_PER_DAY: i64 = 86_400;

/// The calendar date of an instant in `zone`.
pub(crate) fn local_date(instant: Timestamp, zone: &TimeZone) -> Date {
    instant.to_zoned_datetime(zone.clone()).date()
}

/// The first instant of `date` in `zone` (the earlier one if the zone repeats it).
pub(crate) fn start_of_day(date: Date, zone: &TimeZone) -> Timestamp {
    date.to_zoned_datetime(zone.clone())
        .and_then(|zoned| zoned.start_of_day())
        .map_or_else(
            |_| {
                // Only dates at the very ends of jiff's range fail; they never come from input
                // that passed validation, and clamping keeps ordering meaningful.
                if date.year() < 0 {
                    Timestamp::MIN
                } else {
                    Timestamp::MAX
                }
            },
            |zoned| zoned.timestamp(),
        )
}

/// `date` moved by `days` calendar days, clamped to jiff's range.
pub(crate) fn add_days(date: Date, days: i64) -> Date {
    let hours = days.saturating_mul(24);
    date.checked_add(SignedDuration::from_hours(hours))
        .unwrap_or(if days < 0 { Date::MIN } else { Date::MAX })
}

/// Whole calendar days from `earlier` to `later` (negative when `later` comes first).
pub(crate) fn days_between(earlier: Date, later: Date) -> i64 {
    later.duration_since(earlier).as_secs() / SECONDS_PER_DAY
}

/// How many days began (a midnight passed in `zone`) within `(from, to]`: the days a wait
/// on the citizen started, which push the due date back. A wait within one day pushes
/// nothing; one across a single midnight pushes one day.
pub(crate) fn midnights_between(from: Timestamp, to: Timestamp, zone: &TimeZone) -> i64 {
    if to <= from {
        return 0;
    }
    days_between(local_date(from, zone), local_date(to, zone)).max(0)
}

/// A processing time in calendar days, rounded up: 36 hours is 2 days. Negative
/// durations count as none.
pub(crate) fn days_rounded_up(duration: SignedDuration) -> i64 {
    if duration <= SignedDuration::ZERO {
        return 0;
    }
    let seconds = duration.as_secs();
    let partial_day = duration.subsec_nanos() > 0 || seconds % SECONDS_PER_DAY != 0;
    seconds / SECONDS_PER_DAY + i64::from(partial_day)
}

/// A date as stored: `YYYYMMDD` as an integer, so that dates compare and sort the same
/// way on every backend without depending on a text collation.
pub(crate) fn date_key(date: Date) -> i32 {
    i32::from(date.year()) * 10_000 + i32::from(date.month()) * 100 + i32::from(date.day())
}

/// A stored date back; None when the integer is not a valid `YYYYMMDD`.
pub(crate) fn date_from_key(key: i32) -> Option<Date> {
    let year = i16::try_from(key / 10_000).ok()?;
    let month = i8::try_from((key / 100) % 100).ok()?;
    let day = i8::try_from(key % 100).ok()?;
    Date::new(year, month, day).ok()
}

/// Reads a `YYYY-MM-DD` date as a caller writes it.
pub(crate) fn parse_date(text: &str) -> Result<Date, String> {
    let text = text.trim();
    let well_formed = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !well_formed {
        return Err("must be a date like 2025-08-31".to_owned());
    }
    text.parse::<Date>()
        .map_err(|_| "is not a calendar date".to_owned())
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    fn casablanca() -> TimeZone {
        TimeZone::get(AGENCY_TIME_ZONE).unwrap()
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn local_dates_follow_the_zone() {
        let zone = casablanca();
        // 23:30 UTC on 10 Aug 2025 is already 11 Aug in Casablanca (UTC+1).
        assert_eq!(
            local_date(at("2025-08-10T23:30:00Z"), &zone),
            date(2025, 8, 11)
        );
        assert_eq!(
            start_of_day(date(2025, 8, 11), &zone),
            at("2025-08-10T23:00:00Z")
        );
        // During Ramadan 2026 the zone is UTC+0.
        assert_eq!(
            start_of_day(date(2026, 3, 1), &zone),
            at("2026-03-01T00:00:00Z")
        );
    }

    #[test]
    fn waits_push_by_the_days_they_start() {
        let zone = casablanca();
        let within_a_day = midnights_between(
            at("2025-08-11T08:00:00Z"),
            at("2025-08-11T20:00:00Z"),
            &zone,
        );
        assert_eq!(within_a_day, 0);
        let over_two_midnights = midnights_between(
            at("2025-08-11T09:00:00Z"),
            at("2025-08-13T08:00:00Z"),
            &zone,
        );
        assert_eq!(over_two_midnights, 2);
        assert_eq!(
            midnights_between(
                at("2025-08-13T08:00:00Z"),
                at("2025-08-11T09:00:00Z"),
                &zone
            ),
            0
        );
    }

    #[test]
    fn processing_times_round_up_to_days() {
        assert_eq!(days_rounded_up(SignedDuration::from_hours(24 * 15)), 15);
        assert_eq!(days_rounded_up(SignedDuration::from_hours(36)), 2);
        assert_eq!(days_rounded_up(SignedDuration::from_secs(1)), 1);
        assert_eq!(days_rounded_up(SignedDuration::ZERO), 0);
        assert_eq!(days_rounded_up(SignedDuration::from_secs(-5)), 0);
    }

    #[test]
    fn dates_round_trip_through_their_keys() {
        let day = date(2025, 8, 10);
        assert_eq!(date_key(day), 20_250_810);
        assert_eq!(date_from_key(20_250_810), Some(day));
        assert_eq!(date_from_key(20_251_340), None);
        assert_eq!(add_days(day, 15), date(2025, 8, 25));
        assert_eq!(days_between(day, date(2025, 9, 1)), 22);
        assert_eq!(parse_date("2025-08-31"), Ok(date(2025, 8, 31)));
        assert!(parse_date("31/08/2025").is_err());
        assert!(parse_date("2025-02-30").is_err());
    }
}
