//! SearchPublicServices: the folded query words over the token index, ranked as the
//! contract fixes, paged by (score, id).

use super::public_services::named_agencies;
use super::{Catalog, Labelled, method_path};
use crate::domain::Error;
use crate::domain::access::{StatusVisibility, Viewer};
use crate::domain::public_service::PublicService;
use crate::domain::query::{Page, PageRequest, SearchCursor, SearchQuery};
use crate::domain::search::{SearchField, score};
use crate::store;

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// The service found.
    pub service: PublicService,
    /// The sum over the query words of their best match's weight.
    pub score: i64,
    /// The field of the highest-weighted match.
    pub matched_field: Option<SearchField>,
}

impl Catalog {
    /// SearchPublicServices. The query's words are already folded and non-empty.
    pub async fn search_public_services(
        &self,
        viewer: &Viewer<'_>,
        query: &SearchQuery,
        page: &PageRequest,
    ) -> Result<Labelled<Page<SearchHit>>, Error> {
        let method = method_path("SearchPublicServices");
        let agency_claim = viewer.agency_claim();
        let after: Option<SearchCursor> = self.open_cursor(&method, agency_claim, query, page)?;
        let visibility = StatusVisibility::of(&query.filter.statuses, viewer);
        let hits = if visibility.is_empty() || query.words.is_empty() {
            Vec::new()
        } else {
            store::search::search(self.db.connection(), query, &visibility, after, page.size)
                .await?
        };
        let hits: Vec<SearchHit> = hits
            .into_iter()
            .map(|hit| {
                let (score, matched_field) = score(&hit.weights);
                SearchHit {
                    service: hit.service,
                    score,
                    matched_field,
                }
            })
            .collect();
        let page = self.page(&method, agency_claim, query, page, hits, |hit| {
            SearchCursor {
                score: hit.score,
                id: hit.service.id,
            }
        })?;
        let agencies = self
            .labels(named_agencies(page.items.iter().map(|hit| &hit.service)))
            .await?;
        Ok(Labelled {
            value: page,
            agencies,
        })
    }
}
