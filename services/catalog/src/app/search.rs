//! SearchPublicServices: the folded query words over the token index, ranked as the
//! contract fixes, paged by (score, id) (see `store::search` for why not by a column).

use jalia_model::{Caller, Page, PageRequest};

use super::{Catalog, labels, methods};
use crate::domain::Error;
use crate::domain::access::{StatusVisibility, Viewer};
use crate::domain::agency::Labelled;
use crate::domain::public_service::named_agencies;
use crate::domain::query::SearchQuery;
use crate::store;
use crate::store::search::Hit;

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
            store::search::search(conn, query, &visibility, after, pager.fetch_limit()).await?
        };
        let page = pager.page(hits, store::search::cursor_of);
        let agencies = labels(
            conn,
            named_agencies(page.items.iter().map(|hit| &hit.service)),
        )
        .await?;
        Ok(Labelled {
            value: page,
            agencies,
        })
    }
}
