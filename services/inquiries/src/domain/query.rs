//! What the lists filter on and where a page resumes. A filter is also what a page token
//! is bound to (its canonical JSON), so a token only opens for the query that minted it.

use jalia_model::AgencyCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::inquiry::{Channel, InquiryName};
use super::message::Visibility;
use super::status::Status;

/// The orders inquiries are listed in; both are keyset orders ending with the id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum InquiryOrder {
    /// Oldest submission first (ids are time-ordered).
    #[default]
    CreateTime,
    /// Earliest due date first, then oldest submission.
    DueDate,
}

/// The filters of ListInquiries, as the caller asked for them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct InquiryQuery {
    /// One agency, or None for `agencies/-`.
    pub agency: Option<AgencyCode>,
    /// Changed strictly after.
    pub updated_after: Option<Timestamp>,
    /// Any of these statuses.
    pub statuses: Vec<Status>,
    /// This category's id.
    pub category: Option<Uuid>,
    /// This service's name.
    pub service: Option<String>,
    /// This event's name.
    pub event: Option<String>,
    /// This channel.
    pub channel: Option<Channel>,
    /// Assigned to this agent.
    pub agent: Option<String>,
    /// Assigned to this team.
    pub team: Option<String>,
    /// No agent assigned.
    pub unassigned: bool,
    /// Overdue now.
    pub overdue: bool,
    /// The caller's own queue.
    pub mine: bool,
    /// The order.
    pub order: InquiryOrder,
}

impl InquiryQuery {
    /// The filter this query runs for a caller named `subject` allowed to read `agency`
    /// (None: every agency): `mine` is that caller's agent queue, and the statuses are
    /// put in one order without repeats, so that equal queries bind page tokens alike.
    pub(crate) fn filter(&self, subject: &str, agency: Option<AgencyCode>) -> InquiryFilter {
        let mut statuses = self.statuses.clone();
        statuses.sort_unstable();
        statuses.dedup();
        InquiryFilter {
            agency,
            updated_after: self.updated_after,
            statuses,
            category: self.category,
            service: self.service.clone(),
            event: self.event.clone(),
            channel: self.channel,
            agent: if self.mine {
                Some(subject.to_owned())
            } else {
                self.agent.clone()
            },
            team: self.team.clone(),
            unassigned: self.unassigned,
            overdue: self.overdue,
            order: self.order,
        }
    }
}

/// The filter a list runs, with the caller's visibility and `mine` resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct InquiryFilter {
    /// Only this agency's inquiries; None for every agency (ministry-wide callers).
    pub agency: Option<AgencyCode>,
    /// Changed strictly after.
    pub updated_after: Option<Timestamp>,
    /// Any of these statuses (sorted, no repeats); empty for all.
    pub statuses: Vec<Status>,
    /// This category.
    pub category: Option<Uuid>,
    /// This service.
    pub service: Option<String>,
    /// This event.
    pub event: Option<String>,
    /// This channel.
    pub channel: Option<Channel>,
    /// Assigned to this agent.
    pub agent: Option<String>,
    /// Assigned to this team.
    pub team: Option<String>,
    /// No agent assigned.
    pub unassigned: bool,
    /// Overdue at the time of each page.
    pub overdue: bool,
    /// The order.
    pub order: InquiryOrder,
}

/// Where the next page of inquiries starts: after this (due date, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct InquiryCursor {
    /// The last due date's key, in due-date order.
    pub due: Option<i32>,
    /// The last id.
    pub id: Uuid,
}

/// The filters of ListInquiryMessages, as the caller asked for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MessageQuery {
    /// The inquiry.
    pub inquiry: InquiryName,
    /// Added strictly after.
    pub added_after: Option<Timestamp>,
    /// Only this visibility.
    pub visibility: Option<Visibility>,
}

impl MessageQuery {
    /// The filter this query runs, once the inquiry is known to be visible.
    pub(crate) fn filter(&self) -> MessageFilter {
        MessageFilter {
            inquiry_id: self.inquiry.id,
            added_after: self.added_after,
            visibility: self.visibility,
        }
    }
}

/// The filter of ListInquiryMessages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct MessageFilter {
    /// The inquiry.
    pub inquiry_id: Uuid,
    /// Added strictly after.
    pub added_after: Option<Timestamp>,
    /// Only this visibility.
    pub visibility: Option<Visibility>,
}

/// The filter of ListInquiryCategories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct CategoryFilter {
    /// One agency, or every agency.
    pub agency: Option<AgencyCode>,
    /// Changed strictly after.
    pub updated_after: Option<Timestamp>,
}

/// Where a page in id order resumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct IdCursor {
    /// The last id.
    pub id: Uuid,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mine_is_the_callers_queue_and_statuses_bind_alike_in_any_order() {
        let query = InquiryQuery {
            statuses: vec![Status::Closed, Status::New, Status::Closed],
            mine: true,
            ..InquiryQuery::default()
        };
        let filter = query.filter("agent-urbanisme", None);
        assert_eq!(filter.agent.as_deref(), Some("agent-urbanisme"));
        assert_eq!(filter.statuses, [Status::New, Status::Closed]);
        let reordered = InquiryQuery {
            statuses: vec![Status::New, Status::Closed],
            ..query
        };
        assert_eq!(reordered.filter("agent-urbanisme", None), filter);
    }
}
