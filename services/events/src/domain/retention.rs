//! How long registrations keep personal data (Moroccan law 09-08): once their event has
//! ended longer ago than the retention period, they are anonymised; their status,
//! check-in and the event's counts stay, so attendance figures do not change.

use jiff::{SignedDuration, Timestamp};

/// The retention period of registrations' personal data after their event's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Retention {
    days: u32,
}

impl Retention {
    /// A period of whole days.
    pub(crate) fn days(days: u32) -> Self {
        Self { days }
    }

    /// Registrations of events that ended before this instant are anonymised.
    pub(crate) fn horizon(self, now: Timestamp) -> Timestamp {
        now.checked_sub(SignedDuration::from_hours(24 * i64::from(self.days)))
            .unwrap_or(Timestamp::MIN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_horizon_lies_the_period_before_now() {
        let now: Timestamp = "2028-02-06T12:00:00Z".parse().unwrap();
        assert_eq!(
            Retention::days(180).horizon(now),
            "2027-08-10T12:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(Retention::days(u32::MAX).horizon(now), Timestamp::MIN);
    }
}
