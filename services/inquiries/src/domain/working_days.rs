//! Each agency's calendar: its time zone (a consulate in Paris counts its days in
//! Europe/Paris, not in Casablanca), its weekend and its public holidays. Morocco's civil
//! holidays fall on fixed dates; its religious ones follow the Hijri calendar, whose
//! months start with the sighting of the moon, so they are given date by date, as data an
//! operator extends each year (see `calendars.rs` for the file they come from).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use jalia_model::AgencyCode;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;

use super::calendar::add_days;

/// The most days a working-day count may walk: ten years, far beyond any response time,
/// so that a calendar made only of holidays cannot loop for ever.
const MAX_DAYS_WALKED: i64 = 3_660;

/// A civil holiday on the same day every year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FixedHoliday {
    /// Month, 1 to 12.
    pub month: i8,
    /// Day of the month.
    pub day: i8,
    /// The first year it was observed, if it was instituted recently (Yennayer since
    /// 2024, for one).
    pub since: Option<i16>,
}

/// One agency's days: where they start and end, and which are not worked.
#[derive(Debug, Clone)]
pub(crate) struct AgencyCalendar {
    zone: TimeZone,
    weekend: Vec<Weekday>,
    fixed: Vec<FixedHoliday>,
    dated: BTreeSet<Date>,
}

impl AgencyCalendar {
    /// A calendar in `zone` with `weekend` days off and these holidays.
    pub(crate) fn new(
        zone: TimeZone,
        weekend: impl IntoIterator<Item = Weekday>,
        fixed: Vec<FixedHoliday>,
        dated: impl IntoIterator<Item = Date>,
    ) -> Self {
        Self {
            zone,
            weekend: weekend.into_iter().collect(),
            fixed,
            dated: dated.into_iter().collect(),
        }
    }

    /// The zone the agency's days are counted in.
    pub(crate) fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// Whether `date` is a public holiday.
    pub(crate) fn is_holiday(&self, date: Date) -> bool {
        self.dated.contains(&date)
            || self.fixed.iter().any(|holiday| {
                holiday.month == date.month()
                    && holiday.day == date.day()
                    && holiday.since.is_none_or(|since| date.year() >= since)
            })
    }

    /// Whether the agency works on `date`.
    pub(crate) fn is_working_day(&self, date: Date) -> bool {
        !self.weekend.contains(&date.weekday()) && !self.is_holiday(date)
    }

    /// The `days`-th working day after `from` (`from` itself does not count: an inquiry
    /// submitted on a Friday with one working day is due on Monday). None or a negative
    /// count gives `from`. Gives up after ten years of days off and returns the last day
    /// walked.
    pub(crate) fn add_working_days(&self, from: Date, days: i64) -> Date {
        let mut date = from;
        let mut left = days;
        let mut walked = 0;
        while left > 0 && walked < MAX_DAYS_WALKED {
            date = add_days(date, 1);
            walked += 1;
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        date
    }
}

/// The calendars of every agency: the default one, and those an operator set for
/// particular agencies (consulates abroad, above all).
#[derive(Debug, Clone)]
pub(crate) struct Calendars {
    default: Arc<AgencyCalendar>,
    agencies: HashMap<AgencyCode, Arc<AgencyCalendar>>,
}

impl Calendars {
    /// `default` for every agency but those in `agencies`.
    pub(crate) fn new(
        default: AgencyCalendar,
        agencies: impl IntoIterator<Item = (AgencyCode, AgencyCalendar)>,
    ) -> Self {
        Self {
            default: Arc::new(default),
            agencies: agencies
                .into_iter()
                .map(|(agency, calendar)| (agency, Arc::new(calendar)))
                .collect(),
        }
    }

    /// The calendar of `agency`.
    pub(crate) fn of(&self, agency: &AgencyCode) -> &AgencyCalendar {
        self.agencies.get(agency).unwrap_or(&self.default)
    }

    /// The calendar of `agency`, or the default one for figures across agencies.
    pub(crate) fn of_scope(&self, agency: Option<&AgencyCode>) -> &AgencyCalendar {
        agency.map_or(&self.default, |agency| self.of(agency))
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;
    use jiff::civil::date;

    use super::*;
    use crate::domain::calendar::{local_date, start_of_day};

    fn morocco(zone: &str) -> AgencyCalendar {
        AgencyCalendar::new(
            TimeZone::get(zone).unwrap(),
            [Weekday::Saturday, Weekday::Sunday],
            vec![
                FixedHoliday {
                    month: 8,
                    day: 14,
                    since: None,
                },
                FixedHoliday {
                    month: 1,
                    day: 14,
                    since: Some(2024),
                },
            ],
            [date(2025, 9, 5)],
        )
    }

    #[test]
    fn weekends_are_skipped() {
        let calendar = morocco("Africa/Casablanca");
        // Friday 1 August 2025 plus one working day is Monday 4 August.
        assert_eq!(
            calendar.add_working_days(date(2025, 8, 1), 1),
            date(2025, 8, 4)
        );
        // Saturday plus five working days is the next Friday.
        assert_eq!(
            calendar.add_working_days(date(2025, 8, 2), 5),
            date(2025, 8, 8)
        );
        assert_eq!(
            calendar.add_working_days(date(2025, 8, 2), 0),
            date(2025, 8, 2)
        );
        assert_eq!(
            calendar.add_working_days(date(2025, 8, 2), -3),
            date(2025, 8, 2)
        );
    }

    #[test]
    fn a_holiday_in_between_moves_the_due_date_by_one_working_day() {
        let calendar = morocco("Africa/Casablanca");
        // Monday 11 August plus five working days: Monday 18 August without a holiday;
        // Thursday 14 August (Oued Eddahab Day) moves it to Tuesday 19 August.
        let plain = AgencyCalendar::new(
            TimeZone::get("Africa/Casablanca").unwrap(),
            [Weekday::Saturday, Weekday::Sunday],
            Vec::new(),
            [],
        );
        assert_eq!(
            plain.add_working_days(date(2025, 8, 11), 5),
            date(2025, 8, 18)
        );
        assert_eq!(
            calendar.add_working_days(date(2025, 8, 11), 5),
            date(2025, 8, 19)
        );
        // A Hijri holiday given as a date does the same (Friday 5 September 2025).
        assert_eq!(
            calendar.add_working_days(date(2025, 9, 4), 1),
            date(2025, 9, 8)
        );
        // A holiday instituted in 2024 is not one before.
        assert!(calendar.is_holiday(date(2025, 1, 14)));
        assert!(!calendar.is_holiday(date(2023, 1, 14)));
    }

    #[test]
    fn a_paris_agency_s_day_starts_at_paris_midnight() {
        let paris = morocco("Europe/Paris");
        let casablanca = morocco("Africa/Casablanca");
        // In summer Paris is UTC+2 while Casablanca is UTC+1: 22:30 UTC on 10 August is
        // already 11 August in Paris and still 10 August in Casablanca.
        let summer: Timestamp = "2025-08-10T22:30:00Z".parse().unwrap();
        assert_eq!(local_date(summer, paris.zone()), date(2025, 8, 11));
        assert_eq!(local_date(summer, casablanca.zone()), date(2025, 8, 10));
        assert_eq!(
            start_of_day(date(2025, 8, 11), paris.zone()),
            "2025-08-10T22:00:00Z".parse::<Timestamp>().unwrap()
        );
    }

    #[test]
    fn an_agency_without_its_own_calendar_gets_the_default() {
        let consulate = AgencyCode::parse("cg-paris").unwrap();
        let calendars = Calendars::new(
            morocco("Africa/Casablanca"),
            [(consulate.clone(), morocco("Europe/Paris"))],
        );
        assert_eq!(
            calendars.of(&consulate).zone().iana_name(),
            Some("Europe/Paris")
        );
        let bm = AgencyCode::parse("bm").unwrap();
        assert_eq!(
            calendars.of(&bm).zone().iana_name(),
            Some("Africa/Casablanca")
        );
        assert_eq!(
            calendars.of_scope(None).zone().iana_name(),
            Some("Africa/Casablanca")
        );
    }
}
