//! Keyset pagination of a List, in one place (DESIGN §2): open the request's page token
//! into the cursor it carries, fetch one row more than the page, cut the page, and mint
//! the next token from the last row kept.

use jalia_model::{Caller, FieldViolation, Page, PageRequest};
use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::DbError;
use crate::page_token::{PageScope, PageTokenError, PageTokens};

/// The paging of one List request: what its token is bound to (the method, the caller's
/// agency and the request's filters and order), its size and its token.
#[derive(Debug)]
pub struct Pager<'a> {
    tokens: &'a PageTokens,
    method: &'a str,
    caller_agency: &'a str,
    query: Vec<u8>,
    request: &'a PageRequest,
    now: Timestamp,
}

impl PageTokens {
    /// The paging of a List of `method` (its full gRPC path) by `caller` (None for an
    /// anonymous one) with `query`: every filter and the order of the request, which a
    /// token is bound to. Fails only when the query does not serialize, a bug.
    pub fn pager<'a>(
        &'a self,
        method: &'a str,
        caller: Option<&'a Caller>,
        query: &impl Serialize,
        request: &'a PageRequest,
        now: Timestamp,
    ) -> Result<Pager<'a>, DbError> {
        let query = serde_json::to_vec(query)
            .map_err(|err| DbError::other(format!("cannot encode a page query: {err}")))?;
        Ok(Pager {
            tokens: self,
            method,
            caller_agency: caller.map_or("", |caller| caller.agency.as_claim()),
            query,
            request,
            now,
        })
    }
}

impl Pager<'_> {
    fn scope(&self) -> PageScope<'_> {
        PageScope {
            method: self.method,
            caller_agency: self.caller_agency,
            query: &self.query,
        }
    }

    /// The cursor the request's token carries, None on the first page. A token that is
    /// expired, minted for another request, or not a page token at all is one violation
    /// on `page_token`.
    pub fn cursor<C: DeserializeOwned>(&self) -> Result<Option<C>, FieldViolation> {
        let Some(token) = self.request.token.as_deref() else {
            return Ok(None);
        };
        self.tokens
            .open(token, &self.scope(), self.now)
            .map(Some)
            .map_err(|err| err.violation())
    }

    /// How many rows to fetch: one more than the page, to know whether another follows.
    pub fn fetch_limit(&self) -> u64 {
        u64::from(self.request.size).saturating_add(1)
    }

    /// Cuts the fetched rows into the page and, when more followed, mints the token of
    /// the next page from the cursor of the last row kept.
    pub fn page<T, C: Serialize>(&self, mut rows: Vec<T>, cursor_of: impl Fn(&T) -> C) -> Page<T> {
        let size = usize::try_from(self.request.size).unwrap_or(usize::MAX);
        let next_page_token = if rows.len() > size {
            rows.truncate(size);
            rows.last()
                .map(|last| self.tokens.mint(&self.scope(), &cursor_of(last), self.now))
        } else {
            None
        };
        Page {
            items: rows,
            next_page_token,
        }
    }
}

impl PageTokenError {
    /// The violation on `page_token` a refused token is, for the caller to act on.
    pub fn violation(&self) -> FieldViolation {
        FieldViolation::new(
            "page_token",
            match self {
                Self::Expired => "has expired: start again from the first page",
                Self::Mismatch => {
                    "does not belong to this request: send the filters and order of the \
                     request that returned it"
                }
                Self::Malformed => "is not a page token",
            },
        )
    }
}
