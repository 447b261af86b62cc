//! Statistics over the inquiries submitted in a period, as they stand now.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use uuid::Uuid;

use super::calendar::{add_days, start_of_day};
use super::classification::Kind;
use super::inquiry::Channel;
use super::status::Status;

/// A period of whole days, both ends included, in the agency's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Period {
    /// First day.
    pub start: Date,
    /// Last day.
    pub end: Date,
}

impl Period {
    /// The instants the period covers in `zone`: from the first instant of its first
    /// day, up to (not including) the first instant of the day after its last.
    pub(crate) fn instants(&self, zone: &TimeZone) -> (Timestamp, Timestamp) {
        (
            start_of_day(self.start, zone),
            start_of_day(add_days(self.end, 1), zone),
        )
    }
}

/// The figures of GetInquiryStatistics.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Statistics {
    /// Inquiries submitted in the period.
    pub total: i64,
    /// How many are in each status now (none left out only when zero).
    pub by_status: Vec<(Status, i64)>,
    /// How many are in each category.
    pub by_category: Vec<(Uuid, i64)>,
    /// How many came through each channel.
    pub by_channel: Vec<(Channel, i64)>,
    /// How many reached ANSWERED at least once.
    pub answered: i64,
    /// How many of those first reached it by their due date.
    pub answered_on_time: i64,
    /// Median time from submission to the first public reply.
    pub median_first_response: Option<SignedDuration>,
    /// How many are overdue now.
    pub overdue: i64,
    /// How many are of each kind.
    pub by_kind: Vec<(Kind, i64)>,
    /// How many were escalated for being overdue.
    pub escalated: i64,
}

impl Statistics {
    /// answered_on_time / answered, None when nothing was answered.
    // Counts of inquiries stay far below 2^52, where f64 would start to round them.
    #[allow(clippy::cast_precision_loss)]
    pub(crate) fn answered_on_time_share(&self) -> Option<f64> {
        (self.answered > 0).then(|| self.answered_on_time as f64 / self.answered as f64)
    }
}

/// The median of durations in microseconds: the middle value, or the mean of the two
/// middle values for an even count. Computed here rather than in SQL so that SQLite and
/// PostgreSQL give the same figure.
pub(crate) fn median_micros(mut values: Vec<i64>) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let middle = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[middle]
    } else {
        // Halves first, so that two huge values cannot overflow.
        values[middle - 1] / 2
            + values[middle] / 2
            + (values[middle - 1] % 2 + values[middle] % 2) / 2
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_runs_from_its_first_midnight_to_the_midnight_after_its_last_day() {
        let zone = TimeZone::get(crate::domain::calendar::AGENCY_TIME_ZONE).unwrap();
        let august = Period {
            start: jiff::civil::date(2025, 8, 1),
            end: jiff::civil::date(2025, 8, 31),
        };
        let (from, to) = august.instants(&zone);
        assert_eq!(from, "2025-07-31T23:00:00Z".parse::<Timestamp>().unwrap());
        assert_eq!(to, "2025-08-31T23:00:00Z".parse::<Timestamp>().unwrap());
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median_micros(vec![]), None);
        assert_eq!(median_micros(vec![5]), Some(5));
        assert_eq!(median_micros(vec![9, 1, 5]), Some(5));
        assert_eq!(median_micros(vec![4, 1, 3, 2]), Some(2));
        assert_eq!(median_micros(vec![10, 20]), Some(15));
        assert_eq!(median_micros(vec![i64::MAX, i64::MAX]), Some(i64::MAX));
    }
}
