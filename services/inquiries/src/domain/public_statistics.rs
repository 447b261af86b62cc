//! The public transparency figures of one agency's year: the statistics' counts by status
//! and by kind, the median time to first response and the share answered on time, with
//! small counts suppressed so that no published figure singles out a citizen. A count
//! from 1 to `SUPPRESSION_THRESHOLD - 1` is withheld (primary suppression); in each
//! breakdown, more counts are withheld until at least two are and they add up to at least
//! the threshold (complementary suppression), so that the total minus the published
//! counts never gives a withheld one back. Zero is published: it discloses nobody.

use jalia_model::AgencyCode;
use jiff::SignedDuration;
use jiff::civil::Date;

use super::classification::Kind;
use super::error::Error;
use super::statistics::{Period, Statistics};
use super::status::Status;

/// Counts below this (and above zero) are withheld.
pub(crate) const SUPPRESSION_THRESHOLD: i64 = 5;
/// The first year with figures to publish.
pub(crate) const FIRST_YEAR: i16 = 2000;

/// A published count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Published {
    /// The count.
    Count(i64),
    /// Withheld.
    Suppressed,
}

/// GetPublicInquiryStatistics, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PublicQuery {
    /// The agency.
    pub agency: AgencyCode,
    /// The calendar year (checked against the current one by the use case).
    pub year: i16,
}

impl PublicQuery {
    /// The year's days, once the year is known not to be in the future.
    pub(crate) fn period(&self, current_year: i16) -> Result<Period, Error> {
        if self.year > current_year {
            return Err(Error::invalid("year", "must not be after the current year"));
        }
        let start = Date::new(self.year, 1, 1)
            .map_err(|_| Error::invalid("year", "is not a calendar year"))?;
        let end = Date::new(self.year, 12, 31)
            .map_err(|_| Error::invalid("year", "is not a calendar year"))?;
        Ok(Period { start, end })
    }
}

/// The published figures.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PublicStatistics {
    /// The agency.
    pub agency: AgencyCode,
    /// The year.
    pub year: i16,
    /// Inquiries submitted in the year.
    pub total: Published,
    /// Every status, in the contract's order.
    pub by_status: Vec<(Status, Published)>,
    /// Every kind, in the contract's order.
    pub by_kind: Vec<(Kind, Published)>,
    /// The median time to first response; None when none or withheld.
    pub median_first_response: Option<SignedDuration>,
    /// Whether the median is withheld.
    pub median_suppressed: bool,
    /// The share answered on time; None when none was answered or withheld.
    pub answered_on_time_share: Option<f64>,
    /// Whether the share is withheld.
    pub share_suppressed: bool,
}

impl PublicStatistics {
    /// What may be published of `statistics`, the year's figures, where `responded` is
    /// how many inquiries the median rests on.
    pub(crate) fn publish(query: &PublicQuery, statistics: &Statistics, responded: usize) -> Self {
        let total_shown = !is_small(statistics.total);
        let median_suppressed = i64::try_from(responded).is_ok_and(is_small);
        let share_suppressed = statistics.answered > 0 && is_small(statistics.answered);
        Self {
            agency: query.agency.clone(),
            year: query.year,
            total: if total_shown {
                Published::Count(statistics.total)
            } else {
                Published::Suppressed
            },
            by_status: suppress(&every(&Status::ALL, &statistics.by_status)),
            by_kind: suppress(&every(&Kind::ALL, &statistics.by_kind)),
            median_first_response: statistics
                .median_first_response
                .filter(|_| !median_suppressed),
            median_suppressed,
            answered_on_time_share: statistics
                .answered_on_time_share()
                .filter(|_| !share_suppressed),
            share_suppressed,
        }
    }
}

fn is_small(count: i64) -> bool {
    count > 0 && count < SUPPRESSION_THRESHOLD
}

/// Every key of `all` with its count (0 when `counts` has none).
fn every<K: Copy + PartialEq>(all: &[K], counts: &[(K, i64)]) -> Vec<(K, i64)> {
    all.iter()
        .map(|key| {
            let count = counts
                .iter()
                .find(|(counted, _)| counted == key)
                .map_or(0, |(_, count)| *count);
            (*key, count)
        })
        .collect()
}

/// Primary and complementary suppression of one breakdown of a total.
fn suppress<K: Copy>(cells: &[(K, i64)]) -> Vec<(K, Published)> {
    let mut withheld: Vec<bool> = cells.iter().map(|(_, count)| is_small(*count)).collect();
    loop {
        let count = withheld.iter().filter(|w| **w).count();
        let sum: i64 = cells
            .iter()
            .zip(&withheld)
            .filter(|(_, w)| **w)
            .map(|((_, c), _)| *c)
            .sum();
        if count == 0 || (count >= 2 && sum >= SUPPRESSION_THRESHOLD) {
            break;
        }
        // The smallest count still shown, preferring one above zero (withholding a zero
        // adds nothing to the sum); none left means all are withheld already.
        let next = cells
            .iter()
            .enumerate()
            .filter(|(index, _)| !withheld[*index])
            .min_by_key(|(index, (_, count))| (*count == 0, *count, *index))
            .map(|(index, _)| index);
        match next {
            Some(index) if count < 2 || cells[index].1 > 0 => withheld[index] = true,
            _ => break,
        }
    }
    cells
        .iter()
        .zip(withheld)
        .map(|((key, count), withheld)| {
            (
                *key,
                if withheld {
                    Published::Suppressed
                } else {
                    Published::Count(*count)
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Published::{Count, Suppressed};

    fn shown(cells: &[i64]) -> Vec<Published> {
        let keyed: Vec<(usize, i64)> = cells.iter().copied().enumerate().collect();
        suppress(&keyed).into_iter().map(|(_, p)| p).collect()
    }

    #[test]
    fn large_counts_and_zeros_are_published() {
        assert_eq!(shown(&[5, 0, 12]), [Count(5), Count(0), Count(12)]);
    }

    #[test]
    fn a_lone_small_count_takes_the_smallest_other_count_with_it() {
        assert_eq!(
            shown(&[3, 9, 6, 0]),
            [Suppressed, Count(9), Suppressed, Count(0)]
        );
    }

    #[test]
    fn small_counts_that_add_up_below_the_threshold_take_another_with_them() {
        // 1 + 1 = 2 would give both back from the total.
        assert_eq!(
            shown(&[1, 1, 7, 20]),
            [Suppressed, Suppressed, Suppressed, Count(20)]
        );
        // 2 + 4 = 6 is ambiguous enough.
        assert_eq!(shown(&[2, 4, 30]), [Suppressed, Suppressed, Count(30)]);
    }

    #[test]
    fn a_small_count_alone_among_zeros_withholds_a_zero_too() {
        assert_eq!(shown(&[0, 3, 0]), [Suppressed, Suppressed, Count(0)]);
    }

    #[test]
    fn no_withheld_count_can_be_recomputed_from_the_total() {
        // Every breakdown of totals up to 12 over three cells: the withheld cells are
        // never exactly one, and never add up to less than the threshold unless every
        // non-zero cell is withheld (then the total is withheld too).
        for a in 0..=12 {
            for b in 0..=12 - a {
                for c in 0..=12 - a - b {
                    let cells = [a, b, c];
                    let published = shown(&cells);
                    let withheld: Vec<i64> = cells
                        .iter()
                        .zip(&published)
                        .filter(|(_, p)| **p == Suppressed)
                        .map(|(c, _)| *c)
                        .collect();
                    if withheld.is_empty() {
                        continue;
                    }
                    let total = a + b + c;
                    assert!(withheld.len() >= 2, "{cells:?}");
                    assert!(
                        withheld.iter().sum::<i64>() >= SUPPRESSION_THRESHOLD || is_small(total),
                        "{cells:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_year_is_one_from_2000_to_the_current_one() {
        let query = |year| PublicQuery {
            agency: AgencyCode::parse("bm").unwrap(),
            year,
        };
        let period = query(2025).period(2026).unwrap();
        assert_eq!(
            (period.start, period.end),
            (
                jiff::civil::date(2025, 1, 1),
                jiff::civil::date(2025, 12, 31)
            )
        );
        assert!(query(2027).period(2026).is_err());
    }

    #[test]
    fn figures_resting_on_few_inquiries_are_withheld() {
        let query = PublicQuery {
            agency: AgencyCode::parse("bm").unwrap(),
            year: 2025,
        };
        let statistics = Statistics {
            total: 3,
            by_status: vec![(Status::Answered, 3)],
            by_kind: vec![(Kind::Question, 3)],
            answered: 3,
            answered_on_time: 2,
            median_first_response: Some(SignedDuration::from_hours(5)),
            ..Statistics::default()
        };
        let published = PublicStatistics::publish(&query, &statistics, 3);
        assert_eq!(published.total, Suppressed);
        assert!(published.median_suppressed && published.median_first_response.is_none());
        assert!(published.share_suppressed && published.answered_on_time_share.is_none());
        assert!(
            published
                .by_status
                .iter()
                .any(|(status, p)| *status == Status::Answered && *p == Suppressed)
        );
    }
}
