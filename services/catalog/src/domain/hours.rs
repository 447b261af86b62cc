//! Opening hours as local wall times in an IANA zone (never a fixed offset: Morocco moves
//! to UTC+0 during Ramadan), with seasonal periods such as the diaspora summer-stay
//! permanences that add to the regular ones.

use std::fmt;

use jalia_model::{FieldViolation, Violations, quote};
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// Most periods in one set of opening hours.
pub(crate) const MAX_PERIODS: usize = 60;

/// A day of the week, ISO numbering (Monday is 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl Weekday {
    /// Every day, Monday first.
    #[cfg(test)]
    pub(crate) const ALL: [Self; 7] = [
        Self::Monday,
        Self::Tuesday,
        Self::Wednesday,
        Self::Thursday,
        Self::Friday,
        Self::Saturday,
        Self::Sunday,
    ];

    /// Monday to Friday.
    pub(crate) const WORKDAYS: [Self; 5] = [
        Self::Monday,
        Self::Tuesday,
        Self::Wednesday,
        Self::Thursday,
        Self::Friday,
    ];
}

/// A local time of day to the minute, "00:00" to "24:00" (the end of the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct TimeOfDay(u16);

impl TimeOfDay {
    const END_OF_DAY: u16 = 24 * 60;

    /// Parses "HH:MM", 24-hour, "24:00" included.
    pub(crate) fn parse(value: &str) -> Result<Self, String> {
        let problem = || format!("{} is not a time like 08:30 (24-hour HH:MM)", quote(value));
        let (hours, minutes) = value.trim().split_once(':').ok_or_else(problem)?;
        if hours.len() != 2 || minutes.len() != 2 {
            return Err(problem());
        }
        let hours: u16 = hours.parse().map_err(|_| problem())?;
        let minutes: u16 = minutes.parse().map_err(|_| problem())?;
        if minutes >= 60 || hours > 24 || (hours == 24 && minutes != 0) {
            return Err(problem());
        }
        Ok(Self(hours * 60 + minutes))
    }

    /// Whether this is "24:00", which may close a period but not open one.
    pub(crate) fn is_end_of_day(self) -> bool {
        self.0 == Self::END_OF_DAY
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// A calendar date, "YYYY-MM-DD".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct CivilDate(Date);

impl CivilDate {
    /// Parses "YYYY-MM-DD".
    pub(crate) fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        let well_formed = value.len() == 10 && value.as_bytes()[4] == b'-';
        value
            .parse::<Date>()
            .ok()
            .filter(|_| well_formed)
            .map(Self)
            .ok_or_else(|| format!("{} is not a date like 2025-07-01", quote(value)))
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One weekly period, optionally valid only between two dates (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WeeklyPeriod {
    /// The day it recurs on.
    pub day: Weekday,
    /// Local opening time.
    pub opens: TimeOfDay,
    /// Local closing time, after `opens` on the same day.
    pub closes: TimeOfDay,
    /// First day it applies.
    pub valid_from: Option<CivilDate>,
    /// Last day it applies.
    pub valid_until: Option<CivilDate>,
}

/// A period as a caller wrote it, each part already parsed or refused.
#[derive(Debug, Clone)]
pub(crate) struct PeriodInput {
    /// The day; None when unset or not a day.
    pub day: Option<Weekday>,
    /// "HH:MM".
    pub opens: String,
    /// "HH:MM".
    pub closes: String,
    /// "YYYY-MM-DD" or None.
    pub valid_from: Option<String>,
    /// "YYYY-MM-DD" or None.
    pub valid_until: Option<String>,
}

impl WeeklyPeriod {
    /// Checks one period: a day, times, closing strictly after opening, validity dates in
    /// order. Violations name `day_of_week`, `opens`, `closes`, `valid_from.date`,
    /// `valid_until.date`.
    pub(crate) fn parse(input: &PeriodInput) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Violations::new();
        let day = input.day;
        if day.is_none() {
            violations.add("day_of_week", "must be a day of the week");
        }
        let opens = TimeOfDay::parse(&input.opens)
            .map_err(|problem| violations.add("opens", problem))
            .ok();
        if opens.is_some_and(TimeOfDay::is_end_of_day) {
            violations.add("opens", "a period cannot open at 24:00");
        }
        let closes = TimeOfDay::parse(&input.closes)
            .map_err(|problem| violations.add("closes", problem))
            .ok();
        if let (Some(opens), Some(closes)) = (opens, closes)
            && closes <= opens
        {
            violations.add(
                "closes",
                format!(
                    "must be after the opening time {opens} (split an overnight period in two)"
                ),
            );
        }
        let parse_date = |field: &str, value: &Option<String>, violations: &mut Violations| {
            value.as_deref().and_then(|value| {
                CivilDate::parse(value)
                    .map_err(|problem| violations.add(format!("{field}.date"), problem))
                    .ok()
            })
        };
        let valid_from = parse_date("valid_from", &input.valid_from, &mut violations);
        let valid_until = parse_date("valid_until", &input.valid_until, &mut violations);
        if let (Some(from), Some(until)) = (valid_from, valid_until)
            && until < from
        {
            violations.add(
                "valid_until.date",
                format!("must not be before valid_from {from}"),
            );
        }
        match (day, opens, closes) {
            (Some(day), Some(opens), Some(closes)) if violations.is_empty() => Ok(Self {
                day,
                opens,
                closes,
                valid_from,
                valid_until,
            }),
            _ => Err(violations.into_vec()),
        }
    }

    fn same_validity(&self, other: &Self) -> bool {
        self.valid_from == other.valid_from && self.valid_until == other.valid_until
    }

    fn overlaps(&self, other: &Self) -> bool {
        self.day == other.day
            && self.same_validity(other)
            && self.opens < other.closes
            && other.opens < self.closes
    }
}

/// When a place is open: the union of the periods valid on a date, in one zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OpeningHours {
    /// IANA zone name, e.g. "Africa/Casablanca".
    pub time_zone: String,
    /// Regular and seasonal periods.
    pub periods: Vec<WeeklyPeriod>,
}

impl OpeningHours {
    /// Checks a zone and already-checked periods: the zone is required when there are
    /// periods and must be an IANA name; two periods of one day with the same validity
    /// must not overlap. Violations name `time_zone` and `periods[i]`.
    pub(crate) fn parse(
        time_zone: &str,
        periods: Vec<Result<WeeklyPeriod, Vec<FieldViolation>>>,
    ) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Violations::new();
        let time_zone = time_zone.trim();
        if periods.len() > MAX_PERIODS {
            violations.add("periods", format!("at most {MAX_PERIODS} periods"));
        }
        if time_zone.is_empty() {
            if !periods.is_empty() {
                violations.add("time_zone", "required when there are periods");
            }
        } else if TimeZone::get(time_zone).is_err() {
            violations.add(
                "time_zone",
                format!("{} is not an IANA time zone", quote(time_zone)),
            );
        }
        let mut checked: Vec<WeeklyPeriod> = Vec::with_capacity(periods.len());
        for (index, period) in periods.into_iter().enumerate() {
            let Some(period) = violations.take(&format!("periods[{index}]"), period) else {
                continue;
            };
            if let Some(earlier) = checked.iter().position(|other| other.overlaps(&period)) {
                violations.add(
                    format!("periods[{index}]"),
                    format!("overlaps periods[{earlier}] on the same day and dates"),
                );
            }
            checked.push(period);
        }
        violations.finish(|| Self {
            time_zone: time_zone.to_owned(),
            periods: checked,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(day: i32, opens: &str, closes: &str) -> PeriodInput {
        PeriodInput {
            day: usize::try_from(day - 1)
                .ok()
                .and_then(|index| Weekday::ALL.get(index).copied()),
            opens: opens.to_owned(),
            closes: closes.to_owned(),
            valid_from: None,
            valid_until: None,
        }
    }

    #[test]
    fn times_of_day() {
        assert_eq!(TimeOfDay::parse("08:30").unwrap().to_string(), "08:30");
        assert!(TimeOfDay::parse("24:00").unwrap().is_end_of_day());
        for bad in ["8:30", "24:01", "12:60", "noon", "12h30", ""] {
            assert!(TimeOfDay::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_period_closes_after_it_opens() {
        assert!(WeeklyPeriod::parse(&period(1, "08:30", "16:30")).is_ok());
        assert!(WeeklyPeriod::parse(&period(1, "16:00", "24:00")).is_ok());
        let err = WeeklyPeriod::parse(&period(1, "18:00", "16:30")).unwrap_err();
        assert_eq!(err[0].field, "closes");
        let err = WeeklyPeriod::parse(&period(1, "09:00", "09:00")).unwrap_err();
        assert_eq!(err[0].field, "closes");
        let err = WeeklyPeriod::parse(&period(0, "09:00", "10:00")).unwrap_err();
        assert_eq!(err[0].field, "day_of_week");
    }

    #[test]
    fn validity_dates_in_order() {
        let mut summer = period(6, "09:00", "13:00");
        summer.valid_from = Some("2025-07-01".to_owned());
        summer.valid_until = Some("2025-09-15".to_owned());
        assert!(WeeklyPeriod::parse(&summer).is_ok());
        summer.valid_until = Some("2025-06-30".to_owned());
        assert_eq!(
            WeeklyPeriod::parse(&summer).unwrap_err()[0].field,
            "valid_until.date"
        );
        summer.valid_until = Some("15/09/2025".to_owned());
        assert_eq!(
            WeeklyPeriod::parse(&summer).unwrap_err()[0].field,
            "valid_until.date"
        );
    }

    #[test]
    fn overlapping_periods_of_one_day_and_validity_are_refused() {
        let regular = WeeklyPeriod::parse(&period(1, "08:30", "16:30"));
        let overlapping = WeeklyPeriod::parse(&period(1, "16:00", "18:00"));
        let err = OpeningHours::parse("Africa/Casablanca", vec![regular.clone(), overlapping])
            .unwrap_err();
        assert_eq!(err[0].field, "periods[1]");
        // The summer permanence adds to the regular hours: another validity, no clash.
        let mut late = period(1, "16:00", "18:00");
        late.valid_from = Some("2025-07-01".to_owned());
        late.valid_until = Some("2025-09-15".to_owned());
        let hours = OpeningHours::parse(
            "Africa/Casablanca",
            vec![regular.clone(), WeeklyPeriod::parse(&late)],
        )
        .unwrap();
        assert_eq!(hours.periods.len(), 2);
        // Touching periods (morning and afternoon) do not overlap.
        let afternoon = WeeklyPeriod::parse(&period(1, "16:30", "18:00"));
        assert!(OpeningHours::parse("Africa/Casablanca", vec![regular, afternoon]).is_ok());
    }

    #[test]
    fn the_zone_is_an_iana_name_required_with_periods() {
        let monday = || vec![WeeklyPeriod::parse(&period(1, "08:30", "16:30"))];
        assert_eq!(
            OpeningHours::parse("", monday()).unwrap_err()[0].field,
            "time_zone"
        );
        assert_eq!(
            OpeningHours::parse("Africa/Rabat", monday()).unwrap_err()[0].field,
            "time_zone"
        );
        assert!(OpeningHours::parse("Europe/Paris", monday()).is_ok());
        assert!(OpeningHours::parse("", Vec::new()).is_ok());
    }
}
