//! The human reference a citizen quotes, `{AGENCY}-{YEAR}-{SEQUENCE}` (BM-2025-000042):
//! the agency's code in upper case, the year of submission in the agency's zone and a
//! sequence per agency and year, at least six digits wide.

use std::fmt;

use jalia_model::AgencyCode;
use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::calendar::local_date;

/// An inquiry's human reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reference {
    agency: AgencyCode,
    year: i16,
    sequence: i64,
}

impl Reference {
    /// The reference of the `sequence`-th inquiry submitted to `agency` in `year`.
    pub(crate) fn new(agency: AgencyCode, year: i16, sequence: i64) -> Self {
        Self {
            agency,
            year,
            sequence,
        }
    }

    /// The reference of a submission to `agency` in `year` that is built before its
    /// write transaction and numbered in it ([`Reference::numbered`]); sequences start at
    /// 1, so no stored reference is ever left unnumbered.
    pub(crate) fn unnumbered(agency: AgencyCode, year: i16) -> Self {
        Self::new(agency, year, 0)
    }

    /// The same agency and year with `sequence`.
    pub(crate) fn numbered(&self, sequence: i64) -> Self {
        Self::new(self.agency.clone(), self.year, sequence)
    }

    /// The year whose sequence it takes.
    pub(crate) fn year(&self) -> i16 {
        self.year
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{:04}-{:06}",
            self.agency.reference_prefix(),
            self.year,
            self.sequence
        )
    }
}

/// The year whose sequence an inquiry submitted at `now` takes: the year of submission in
/// the agency's zone (an inquiry sent at 23:30 UTC on 31 December is the next year's).
pub(crate) fn submission_year(now: Timestamp, zone: &TimeZone) -> i16 {
    local_date(now, zone).year()
}

/// A reference as a citizen types it, in the form it is stored: letter case ignored,
/// surrounding spaces dropped.
pub(crate) fn normalize_typed(reference: &str) -> String {
    reference.trim().to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_read_like_the_agency_writes_them() {
        let bm = AgencyCode::parse("bm").unwrap();
        assert_eq!(
            Reference::new(bm.clone(), 2025, 42).to_string(),
            "BM-2025-000042"
        );
        assert_eq!(
            Reference::new(bm, 2025, 1_234_567).to_string(),
            "BM-2025-1234567"
        );
        assert_eq!(normalize_typed(" bm-2025-000042 "), "BM-2025-000042");
        let zone = TimeZone::get(crate::domain::calendar::AGENCY_TIME_ZONE).unwrap();
        let new_year = "2025-12-31T23:30:00Z".parse().unwrap();
        assert_eq!(submission_year(new_year, &zone), 2026);
    }
}
