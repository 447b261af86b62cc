//! What the lists filter on and where a page resumes. A filter is also what a page token
//! is bound to (its canonical JSON), so a token only opens for the query that minted it.

use jalia_model::AgencyCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::inquiry::{Channel, Status, Visibility};

/// The orders inquiries are listed in; both are keyset orders ending with the id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum InquiryOrder {
    /// Oldest submission first (ids are time-ordered).
    #[default]
    CreateTime,
    /// Earliest due date first, then oldest submission.
    DueDate,
}

/// The filters of ListInquiries, as the caller asked for them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InquiryListRequest {
    /// One agency, or None for `agencies/-`.
    pub agency: Option<AgencyCode>,
    /// Requested page size, already checked.
    pub page_size: u32,
    /// The previous page's token, empty for the first page.
    pub page_token: String,
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

/// The filter a list runs, with the caller's visibility and `mine` resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InquiryFilter {
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
pub struct InquiryCursor {
    /// The last due date's key, in due-date order.
    pub due: Option<i32>,
    /// The last id.
    pub id: Uuid,
}

/// The filter of ListInquiryMessages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageFilter {
    /// The inquiry.
    pub inquiry_id: Uuid,
    /// Added strictly after.
    pub added_after: Option<Timestamp>,
    /// Only this visibility.
    pub visibility: Option<Visibility>,
}

/// The filter of ListInquiryCategories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryFilter {
    /// One agency, or every agency.
    pub agency: Option<AgencyCode>,
    /// Changed strictly after.
    pub updated_after: Option<Timestamp>,
}

/// Where a page in id order resumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdCursor {
    /// The last id.
    pub id: Uuid,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, in order.
    pub items: Vec<T>,
    /// The token of the next page; None on the last page.
    pub next_page_token: Option<String>,
}
