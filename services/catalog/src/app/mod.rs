//! The catalog's use cases, one method per RPC: they take domain inputs and the caller,
//! enforce who may see and change what, run one write transaction per change, and mint
//! and open page tokens.

mod agencies;
mod public_services;
mod search;
mod taxonomy;

use std::collections::BTreeSet;

use jalia_db::{Db, Fingerprint, IdempotencyKey, Idempotent, PageScope, PageTokens};
use jalia_model::{AgencyCode, Caller};
use jalia_runtime::SharedClock;
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

pub use search::SearchHit;

use crate::domain::Error;
use crate::domain::agency::AgencyLabels;
use crate::domain::query::{Page, PageRequest};
use crate::store;

/// A result with the agencies it names, so the caller can fill in their names and
/// resolve texts along the owners' fallback chains.
#[derive(Debug, Clone)]
pub struct Labelled<T> {
    /// The result.
    pub value: T,
    /// The agencies it names.
    pub agencies: AgencyLabels,
}

/// The catalog's use cases over one database.
#[derive(Debug, Clone)]
pub struct Catalog {
    db: Db,
    pages: PageTokens,
    clock: SharedClock,
}

impl Catalog {
    /// The use cases over `db`, minting page tokens with `pages`, reading time from
    /// `clock`.
    pub fn new(db: Db, pages: PageTokens, clock: SharedClock) -> Self {
        Self { db, pages, clock }
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    async fn labels(&self, codes: BTreeSet<AgencyCode>) -> Result<AgencyLabels, Error> {
        Ok(AgencyLabels::new(
            store::agencies::labels(self.db.connection(), &codes).await?,
        ))
    }

    /// Opens the page token of a request, if any; a forged, foreign or expired one is a
    /// violation on `page_token`.
    fn open_cursor<C: DeserializeOwned>(
        &self,
        method: &str,
        agency_claim: &str,
        query: &impl Serialize,
        page: &PageRequest,
    ) -> Result<Option<C>, Error> {
        let Some(token) = page.token.as_deref() else {
            return Ok(None);
        };
        let query = canonical(query)?;
        let scope = PageScope {
            method,
            caller_agency: agency_claim,
            query: &query,
        };
        self.pages
            .open(token, &scope, self.clock.now())
            .map(Some)
            .map_err(|err| Error::invalid("page_token", err.to_string()))
    }

    /// Cuts the fetched rows (one more than a page) into a page, minting the next token
    /// from the last row served.
    fn page<T, C: Serialize>(
        &self,
        method: &str,
        agency_claim: &str,
        query: &impl Serialize,
        page: &PageRequest,
        mut items: Vec<T>,
        cursor_of: impl Fn(&T) -> C,
    ) -> Result<Page<T>, Error> {
        let size = usize::try_from(page.size).unwrap_or(usize::MAX);
        let next_page_token = if items.len() > size {
            items.truncate(size);
            match items.last() {
                Some(last) => {
                    let query = canonical(query)?;
                    let scope = PageScope {
                        method,
                        caller_agency: agency_claim,
                        query: &query,
                    };
                    Some(self.pages.mint(&scope, &cursor_of(last), self.clock.now()))
                }
                None => None,
            }
        } else {
            None
        };
        Ok(Page {
            items,
            next_page_token,
        })
    }
}

/// The full gRPC path of a catalog method, which page tokens and idempotency records are
/// bound to.
fn method_path(method: &str) -> String {
    format!("/{}/{method}", crate::SERVICE)
}

/// The canonical encoding of a query a page token is bound to.
fn canonical(query: &impl Serialize) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(query).map_err(|err| Error::Corrupt(format!("cannot encode a query: {err}")))
}

/// The idempotency key and fingerprint of a create: scoped to the caller's agency and
/// the method, fingerprinted over the command's canonical encoding.
fn idempotency(
    caller: &Caller,
    method: &str,
    request_id: Uuid,
    command: &impl Serialize,
) -> Result<(IdempotencyKey, Fingerprint), Error> {
    let key = IdempotencyKey {
        agency: caller.agency.as_claim().to_owned(),
        subject: caller.subject.clone(),
        method: method_path(method),
        request_id,
    };
    Ok((key, Fingerprint::of(&canonical(command)?)))
}

/// The result of an idempotent create, and whether this call made it (false when it is
/// the stored result of an earlier call with the same request_id).
fn fresh<T>(outcome: Idempotent<T>) -> (T, bool) {
    match outcome {
        Idempotent::Created(value) => (value, true),
        Idempotent::Replayed(value) => {
            tracing::debug!("create replayed from its request_id");
            (value, false)
        }
    }
}
