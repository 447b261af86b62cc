//! The statistics of a period.

use std::collections::HashMap;

use jalia_model::{AgencyCode, Caller};
use jiff::SignedDuration;
use uuid::Uuid;

use super::Inquiries;
use crate::domain::Error;
use crate::domain::access::list_scope;
use crate::domain::calendar::{date_key, local_date};
use crate::domain::category::Category;
use crate::domain::public_statistics::{PublicQuery, PublicStatistics};
use crate::domain::statistics::{Period, Statistics, median_micros};
use crate::store;

/// The statistics of a period, with the categories they mention.
#[derive(Debug, Clone)]
pub(crate) struct StatisticsReport {
    /// The figures.
    pub statistics: Statistics,
    /// Categories by id.
    pub categories: HashMap<Uuid, Category>,
}

impl Inquiries {
    /// The statistics of the inquiries submitted in `period` to `agency` (None: every
    /// agency the caller may read), as they stand now.
    pub(crate) async fn statistics(
        &self,
        caller: &Caller,
        agency: Option<AgencyCode>,
        period: Period,
    ) -> Result<StatisticsReport, Error> {
        let agency = list_scope(caller, agency)?;
        let conn = self.db.connection();
        // Across agencies, the period and "today" are the default calendar's days.
        let zone = self.calendars.of_scope(agency.as_ref()).zone();
        let (from, to) = period.instants(zone);
        let today = date_key(local_date(self.now(), zone));
        let (mut statistics, durations) =
            store::inquiries::statistics(conn, agency.as_ref(), from, to, today).await?;
        statistics.median_first_response =
            median_micros(durations).map(SignedDuration::from_micros);
        let categories =
            store::categories::by_ids(conn, statistics.by_category.iter().map(|(id, _)| *id))
                .await?;
        Ok(StatisticsReport {
            statistics,
            categories,
        })
    }
}

impl Inquiries {
    /// The public figures of an agency's year, with small counts suppressed.
    pub(crate) async fn public_statistics(
        &self,
        query: &PublicQuery,
    ) -> Result<PublicStatistics, Error> {
        let zone = self.calendars.of(&query.agency).zone();
        let today = local_date(self.now(), zone);
        let period = query.period(today.year())?;
        let (from, to) = period.instants(zone);
        let (mut statistics, durations) = store::inquiries::statistics(
            self.db.connection(),
            Some(&query.agency),
            from,
            to,
            date_key(today),
        )
        .await?;
        let responded = durations.len();
        statistics.median_first_response =
            median_micros(durations).map(SignedDuration::from_micros);
        Ok(PublicStatistics::publish(query, &statistics, responded))
    }
}
