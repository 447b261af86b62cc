//! The filters and keyset positions of lists and search. Each query struct is also the
//! canonical encoding a page token is bound to (serde_json of it), so a token only opens
//! with the filters it was issued for.

use jalia_model::AgencyCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::agency::AgencyKind;
use super::public_service::{Audience, ChannelKind, Status};
use super::taxonomy::TermKind;

/// A page to read: how many, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Items per page, already clamped.
    pub size: u32,
    /// The previous page's token; None for the first page.
    pub token: Option<String>,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// The token for the next page; None on the last.
    pub next_page_token: Option<String>,
}

/// Filters of ListAgencies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AgencyQuery {
    /// Only this kind.
    pub kind: Option<AgencyKind>,
    /// Only agencies under this parent body.
    pub parent_body: Option<AgencyCode>,
    /// Only agencies changed after this instant (microseconds); the order is then
    /// (update_time, code).
    pub updated_after: Option<i64>,
}

/// Keyset position in ListAgencies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AgencyCursor {
    /// After this code (order by code).
    Code(String),
    /// After this (update_time, code).
    Updated(i64, String),
}

/// Filters of ListCategories and ListLifeEvents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TermQuery {
    /// Which collection.
    pub kind: TermKind,
    /// Only terms changed after this instant (microseconds).
    pub updated_after: Option<i64>,
}

/// Keyset position in lists ordered by id, or by (update_time, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdCursor {
    /// After this id.
    Id(Uuid),
    /// After this (update_time, id).
    Updated(i64, Uuid),
}

/// Filters of ListPublicServices and SearchPublicServices.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServiceQuery {
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
    /// Only services changed after this instant (microseconds).
    pub updated_after: Option<i64>,
}

/// A search: the folded query words and the filters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchQuery {
    /// The words, folded, without article, each once.
    pub words: Vec<String>,
    /// The filters.
    pub filter: ServiceQuery,
}

/// Keyset position in a search: the last (score, id) served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchCursor {
    /// Its score.
    pub score: i64,
    /// Its id.
    pub id: Uuid,
}

/// Filters of ListPublicServiceRevisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevisionQuery {
    /// The service.
    pub service: Uuid,
    /// Only revisions made after this instant (microseconds).
    pub created_after: Option<i64>,
}
