//! The catalog's use cases, one method per RPC, in one file per aggregate. A read loads
//! what the caller may see; a write opens one transaction, loads, lets the domain decide,
//! saves, and returns everything its response needs (no read after the commit). Lists
//! page through jalia-db's pager; creates with a request_id run once through
//! `create_once`. A committed change to a service is then applied to this replica's
//! search index from what the transaction returned.

mod agencies;
mod changes;
mod public_services;
mod search;
mod taxonomy;

pub(crate) use public_services::Lifecycle;

use std::collections::BTreeSet;
use std::sync::Arc;

use jalia_db::sea_orm::ConnectionTrait;
use jalia_db::{Db, DbError, IDEMPOTENCY_RETENTION, PageTokens};
use jalia_model::AgencyCode;
use jalia_runtime::SharedClock;
use jiff::Timestamp;

use crate::agency_labels::AgencyLabelCache;
use crate::domain::Error;
use crate::domain::agency::AgencyLabels;
use crate::search_index::SearchIndex;
use crate::store;

/// The full gRPC paths of the catalog's methods, which page tokens and idempotency
/// records are bound to.
pub(crate) mod methods {
    /// ListAgencies.
    pub(crate) const LIST_AGENCIES: &str = "/jalia.catalog.v1.CatalogService/ListAgencies";
    /// CreateAgency.
    pub(crate) const CREATE_AGENCY: &str = "/jalia.catalog.v1.CatalogService/CreateAgency";
    /// ListCategories.
    pub(crate) const LIST_CATEGORIES: &str = "/jalia.catalog.v1.CatalogService/ListCategories";
    /// CreateCategory.
    pub(crate) const CREATE_CATEGORY: &str = "/jalia.catalog.v1.CatalogService/CreateCategory";
    /// ListLifeEvents.
    pub(crate) const LIST_LIFE_EVENTS: &str = "/jalia.catalog.v1.CatalogService/ListLifeEvents";
    /// CreateLifeEvent.
    pub(crate) const CREATE_LIFE_EVENT: &str = "/jalia.catalog.v1.CatalogService/CreateLifeEvent";
    /// ListPublicServices.
    pub(crate) const LIST_PUBLIC_SERVICES: &str =
        "/jalia.catalog.v1.CatalogService/ListPublicServices";
    /// CreatePublicService.
    pub(crate) const CREATE_PUBLIC_SERVICE: &str =
        "/jalia.catalog.v1.CatalogService/CreatePublicService";
    /// ListPublicServiceRevisions.
    pub(crate) const LIST_PUBLIC_SERVICE_REVISIONS: &str =
        "/jalia.catalog.v1.CatalogService/ListPublicServiceRevisions";
    /// SearchPublicServices.
    pub(crate) const SEARCH_PUBLIC_SERVICES: &str =
        "/jalia.catalog.v1.CatalogService/SearchPublicServices";
}

/// The catalog's use cases over one database.
#[derive(Debug, Clone)]
pub(crate) struct Catalog {
    db: Db,
    pages: PageTokens,
    clock: SharedClock,
    /// This replica's search index, shared by every clone.
    search_index: Arc<SearchIndex>,
    /// The labels of the agencies search results name, beside the index.
    agency_labels: Arc<AgencyLabelCache>,
}

impl Catalog {
    /// The use cases over `db`, minting page tokens with `pages`, reading time from
    /// `clock`.
    pub(crate) fn new(db: Db, pages: PageTokens, clock: SharedClock) -> Self {
        Self {
            db,
            pages,
            clock,
            search_index: Arc::default(),
            agency_labels: Arc::default(),
        }
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Drops idempotency records older than their retention: the background task's
    /// round. Returns how many went.
    pub(crate) async fn purge_idempotency_records(&self) -> Result<u64, DbError> {
        let cutoff = self
            .now()
            .checked_sub(IDEMPOTENCY_RETENTION)
            .unwrap_or(Timestamp::MIN);
        self.db.purge_idempotency_records(cutoff).await
    }
}

/// The labels of the agencies a response names.
async fn labels(
    conn: &impl ConnectionTrait,
    codes: BTreeSet<AgencyCode>,
) -> Result<AgencyLabels, Error> {
    Ok(store::agencies::labels(conn, &codes).await?)
}

#[cfg(test)]
mod tests {
    use super::methods;

    #[test]
    fn method_paths_name_rpcs_of_the_catalog() {
        let rules = jalia_proto::AccessRules::from_descriptor_set(
            jalia_proto::FILE_DESCRIPTOR_SET,
            &[crate::SERVICE],
        )
        .unwrap();
        for path in [
            methods::LIST_AGENCIES,
            methods::CREATE_AGENCY,
            methods::LIST_CATEGORIES,
            methods::CREATE_CATEGORY,
            methods::LIST_LIFE_EVENTS,
            methods::CREATE_LIFE_EVENT,
            methods::LIST_PUBLIC_SERVICES,
            methods::CREATE_PUBLIC_SERVICE,
            methods::LIST_PUBLIC_SERVICE_REVISIONS,
            methods::SEARCH_PUBLIC_SERVICES,
        ] {
            assert!(rules.get(path).is_some(), "{path} is no RPC of the catalog");
        }
    }
}
