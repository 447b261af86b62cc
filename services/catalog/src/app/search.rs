//! SearchPublicServices: the folded query words ranked by the replica's in-memory index,
//! which also holds the services as committed, so a search reads no database (the SQL
//! ranking over the token table answers while the index is not built), as the contract
//! fixes, paged by (score, id) (see `store::search` for why not by a column). Also how
//! the index is loaded and kept current from the services table.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use jalia_db::sea_orm::ConnectionTrait;
use jalia_db::{DbError, to_micros};
use jalia_model::{AgencyCode, Caller, Page, PageRequest};
use uuid::Uuid;

use super::{Catalog, methods};
use crate::domain::Error;
use crate::domain::access::{StatusVisibility, Viewer};
use crate::domain::agency::{AgencyLabels, Labelled};
use crate::domain::public_service::named_agencies;
use crate::domain::query::SearchQuery;
use crate::store;
use crate::store::search::{Cursor, Hit};

/// Services read per query while loading the index: well under both backends'
/// parameter limits.
const LOAD_BATCH: usize = 500;

impl Catalog {
    /// SearchPublicServices. The query's words are already folded and non-empty.
    pub(crate) async fn search_public_services(
        &self,
        caller: Option<&Caller>,
        query: &SearchQuery,
        page: &PageRequest,
    ) -> Result<Labelled<Page<Hit>>, Error> {
        let pager = self.pages.pager(
            methods::SEARCH_PUBLIC_SERVICES,
            caller,
            query,
            page,
            self.now(),
        )?;
        let after = pager.cursor()?;
        let visibility = StatusVisibility::of(&query.filter.statuses, &Viewer::new(caller));
        let conn = self.db.connection();
        let hits = if visibility.is_empty() || query.words.is_empty() {
            Vec::new()
        } else {
            self.search(conn, query, &visibility, after, pager.fetch_limit())
                .await?
        };
        let page = pager.page(hits, store::search::cursor_of);
        let agencies = self
            .agency_labels_of(
                conn,
                named_agencies(page.items.iter().map(|hit| &*hit.service)),
            )
            .await?;
        Ok(Labelled {
            value: page,
            agencies,
        })
    }

    async fn search(
        &self,
        conn: &impl ConnectionTrait,
        query: &SearchQuery,
        visibility: &StatusVisibility,
        after: Option<Cursor>,
        limit: u64,
    ) -> Result<Vec<Hit>, DbError> {
        let in_memory = usize::try_from(limit)
            .ok()
            .and_then(|limit| self.search_index.search(query, visibility, after, limit));
        if let Some(hits) = in_memory {
            return Ok(hits);
        }
        let ranked = store::search::rank(conn, query, visibility, after, limit).await?;
        store::search::hits(conn, query, visibility, ranked).await
    }

    /// The labels of these agencies as this replica keeps them, read (and kept) when one
    /// is missing.
    async fn agency_labels_of(
        &self,
        conn: &impl ConnectionTrait,
        codes: BTreeSet<AgencyCode>,
    ) -> Result<AgencyLabels, DbError> {
        if let Some(labels) = self.agency_labels.labels(&codes) {
            return Ok(labels);
        }
        let agencies = store::agencies::by_codes(conn, &codes).await?;
        self.agency_labels.apply(&agencies);
        Ok(AgencyLabels::new(
            agencies
                .iter()
                .map(|agency| (agency.code.clone(), agency.label()))
                .collect(),
        ))
    }

    /// Loads every agency's label and the whole services table into the search index,
    /// drops what the table no longer has, and marks the index ready.
    pub(crate) async fn load_search_index(&self) -> Result<(), DbError> {
        let generation = self.search_index.generation();
        let conn = self.db.connection();
        let agencies = store::agencies::changed_since(conn, None).await?;
        self.agency_labels.apply(&agencies);
        let versions = store::search::versions(conn, None).await?;
        let present: HashSet<Uuid> = versions.iter().map(|(id, _)| *id).collect();
        self.refresh_from(conn, &versions).await?;
        let gone = self.search_index.retain_present(&present, generation);
        if gone > 0 {
            tracing::info!(services = gone, "deleted services left the search index");
        }
        self.search_index.mark_ready();
        Ok(())
    }

    /// Brings the search index (and the agencies' labels beside it) up to date with the
    /// services and agencies stamped after `since` (microseconds).
    pub(crate) async fn refresh_search_index(&self, since: i64) -> Result<(), DbError> {
        let conn = self.db.connection();
        let agencies = store::agencies::changed_since(conn, Some(since)).await?;
        self.agency_labels.apply(&agencies);
        let versions = store::search::versions(conn, Some(since)).await?;
        self.refresh_from(conn, &versions).await
    }

    /// Where a refresh starting now may later read from: this replica's now, less
    /// `overlap` microseconds for other replicas' clocks and for transactions stamped
    /// before they committed.
    pub(crate) fn search_index_mark(&self, overlap: i64) -> i64 {
        to_micros(self.now()).saturating_sub(overlap)
    }

    /// How big the search index is.
    pub(crate) fn search_index_size(&self) -> crate::search_index::IndexSize {
        self.search_index.size()
    }

    async fn refresh_from(
        &self,
        conn: &impl ConnectionTrait,
        versions: &[(Uuid, i64)],
    ) -> Result<(), DbError> {
        let outdated = self.search_index.outdated(versions);
        self.reindex(conn, &outdated).await
    }

    /// Reads these services again and indexes them as they are now, or forgets those
    /// that are gone.
    async fn reindex(&self, conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<(), DbError> {
        for batch in ids.chunks(LOAD_BATCH) {
            let services = store::search::services_by_id(conn, batch).await?;
            let found: HashSet<Uuid> = services.iter().map(|service| service.id).collect();
            for service in services {
                self.search_index.apply(Arc::new(service));
            }
            for id in batch.iter().filter(|id| !found.contains(id)) {
                self.search_index.remove(*id);
            }
        }
        Ok(())
    }
}
