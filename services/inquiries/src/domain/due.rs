//! An inquiry's due date: the submission date in the agency's zone, plus the response
//! time of its source (the linked catalog service's processing time, else the category's
//! default), plus the days started while waiting on the citizen.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::calendar::add_days;
use super::working_days::AgencyCalendar;

/// What the due date was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum DueDateSource {
    /// The linked catalog service's processing time.
    CatalogProcessingTime,
    /// The category's default response time.
    CategoryDefault,
}

/// How an inquiry's due date is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DueDate {
    /// The submission date in the agency's zone.
    pub submitted_on: Date,
    /// Calendar days allowed to answer.
    pub response_days: i64,
    /// Days pushed back by finished waits on the citizen.
    pub paused_days: i64,
    /// Where `response_days` came from.
    pub source: DueDateSource,
    /// True while the catalog could not be asked and the category default stands in.
    pub pending: bool,
    /// The catalog revision the processing time was read from.
    pub service_revision: Option<i64>,
    /// The due date before any wait: `response_days` after `submitted_on`, counted in
    /// calendar or working days.
    pub base: Date,
}

impl DueDate {
    /// The due date, not counting a wait in progress.
    pub(crate) fn settled(&self) -> Date {
        add_days(self.base, self.paused_days)
    }
}

/// What the catalog said about a linked service's processing time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TargetLookup {
    /// No service is linked.
    NoService,
    /// The service's processing time, in calendar days rounded up.
    Found {
        /// Days.
        days: i64,
        /// The catalog revision it was read from.
        revision: i64,
    },
    /// The service exists but states no processing time.
    NoTarget {
        /// The catalog revision read.
        revision: i64,
    },
    /// The catalog says the service does not exist (or is not published).
    NotFound,
    /// The catalog did not answer in time.
    Unreachable,
}

/// The response time an inquiry gets, and from where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DueBasis {
    /// Calendar days.
    pub days: i64,
    /// From where.
    pub source: DueDateSource,
    /// Whether the catalog still has to be asked.
    pub pending: bool,
    /// The catalog revision, when the catalog answered.
    pub revision: Option<i64>,
    /// Whether `days` are the agency's working days.
    pub working_days: bool,
}

/// The catalog said the linked service does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UnknownService;

impl DueBasis {
    /// The category's default response time, settled, in working days when the category
    /// counts them.
    pub(crate) fn category_default(category_days: i64, working_days: bool) -> Self {
        Self {
            days: category_days,
            source: DueDateSource::CategoryDefault,
            pending: false,
            revision: None,
            working_days,
        }
    }

    /// The due date this basis gives an inquiry submitted on `submitted_on` in
    /// `calendar`: calendar days, or the `days`-th working day after.
    pub(crate) fn due_from(&self, submitted_on: Date, calendar: &AgencyCalendar) -> Date {
        if self.working_days {
            calendar.add_working_days(submitted_on, self.days)
        } else {
            add_days(submitted_on, self.days)
        }
    }

    /// The basis the contract prescribes: the service's processing time when the catalog
    /// gives one, else the category's default (flagged pending when the catalog could not
    /// be asked).
    pub(crate) fn choose(
        lookup: TargetLookup,
        category_days: i64,
        category_working_days: bool,
    ) -> Result<Self, UnknownService> {
        let category = Self::category_default(category_days, category_working_days);
        match lookup {
            TargetLookup::NoService => Ok(category),
            TargetLookup::NoTarget { revision } => Ok(Self {
                revision: Some(revision),
                ..category
            }),
            TargetLookup::Unreachable => Ok(Self {
                pending: true,
                ..category
            }),
            TargetLookup::Found { days, revision } => Ok(Self {
                days,
                source: DueDateSource::CatalogProcessingTime,
                pending: false,
                revision: Some(revision),
                working_days: false,
            }),
            TargetLookup::NotFound => Err(UnknownService),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_due_basis_follows_the_catalog_answer() {
        let found = DueBasis::choose(
            TargetLookup::Found {
                days: 30,
                revision: 4,
            },
            10,
            true,
        )
        .unwrap();
        // A processing time is in calendar days whatever the category counts.
        assert_eq!(
            (found.days, found.source, found.pending, found.working_days),
            (30, DueDateSource::CatalogProcessingTime, false, false)
        );
        let down = DueBasis::choose(TargetLookup::Unreachable, 10, false).unwrap();
        assert_eq!(
            (down.days, down.source, down.pending),
            (10, DueDateSource::CategoryDefault, true)
        );
        let silent = DueBasis::choose(TargetLookup::NoTarget { revision: 2 }, 10, false).unwrap();
        assert_eq!(
            (silent.days, silent.pending, silent.revision),
            (10, false, Some(2))
        );
        assert_eq!(
            DueBasis::choose(TargetLookup::NotFound, 10, false),
            Err(UnknownService)
        );
    }
}
