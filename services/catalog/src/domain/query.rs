//! The filters of lists and search. Each query is also what a page token is bound to
//! (its serde_json encoding), so a token only opens with the filters it was issued for.

use jalia_model::{AgencyCode, Audience};
use jiff::Timestamp;
use serde::Serialize;
use uuid::Uuid;

use super::agency::AgencyKind;
use super::public_service::{ChannelKind, ServiceName, Status};
use super::taxonomy::TermKind;

/// Filters of ListAgencies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct AgencyQuery {
    /// Only this kind.
    pub kind: Option<AgencyKind>,
    /// Only agencies under this parent body.
    pub parent_body: Option<AgencyCode>,
    /// Only agencies changed after this instant; the order is then (update_time, code).
    pub updated_after: Option<Timestamp>,
}

/// Filters of ListCategories and ListLifeEvents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct TermQuery {
    /// Which collection.
    pub kind: TermKind,
    /// Only terms changed after this instant; the order is then (update_time, id).
    pub updated_after: Option<Timestamp>,
}

/// Filters of ListPublicServices and SearchPublicServices.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct ServiceQuery {
    /// One agency's services, or every agency's.
    pub agency: Option<AgencyCode>,
    /// Only this category.
    pub category: Option<Uuid>,
    /// Only this life event.
    pub life_event: Option<Uuid>,
    /// Only this audience.
    pub audience: Option<Audience>,
    /// Only services with a channel of this kind.
    pub channel_kind: Option<ChannelKind>,
    /// The statuses asked for, sorted and each once; empty means published only.
    pub statuses: Vec<Status>,
    /// Only services changed after this instant; the order is then (update_time, id).
    pub updated_after: Option<Timestamp>,
}

/// A search: the folded query words and the filters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct SearchQuery {
    /// The words, folded, without article, each once.
    pub words: Vec<String>,
    /// The filters.
    pub filter: ServiceQuery,
}

/// Filters of ListPublicServiceRevisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct RevisionQuery {
    /// The service's agency.
    pub agency: AgencyCode,
    /// The service.
    pub service: Uuid,
    /// Only revisions made after this instant.
    pub created_after: Option<Timestamp>,
}

impl RevisionQuery {
    /// The service whose history this is.
    pub(crate) fn service_name(&self) -> ServiceName {
        ServiceName {
            agency: self.agency.clone(),
            id: self.service,
        }
    }
}
