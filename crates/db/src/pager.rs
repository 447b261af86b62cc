//! Keyset pagination of a List, in one place (ARCHITECTURE.md §2): open the request's page token
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

impl Pager<'_> {
    /// [`Self::page`] for items whose encoded size matters: the page also stops early,
    /// with the token of the next page, before the items' `weigh`ts would add up past
    /// `budget` (bytes of the response the items may take), so that a page of large items
    /// still fits the message limit. The first item is always kept: each one must fit the
    /// budget on its own, which the service's input bounds ensure.
    pub fn page_within<T, C: Serialize>(
        &self,
        mut rows: Vec<T>,
        budget: usize,
        weigh: impl Fn(&T) -> usize,
        cursor_of: impl Fn(&T) -> C,
    ) -> Page<T> {
        let size = usize::try_from(self.request.size).unwrap_or(usize::MAX);
        let mut spent = 0usize;
        let fitting = rows
            .iter()
            .take(size)
            .position(|row| {
                spent = spent.saturating_add(weigh(row));
                spent > budget
            })
            .map(|first_over| first_over.max(1));
        match fitting {
            Some(kept) if kept < rows.len() => {
                rows.truncate(kept);
                let next_page_token = rows
                    .last()
                    .map(|last| self.tokens.mint(&self.scope(), &cursor_of(last), self.now));
                Page {
                    items: rows,
                    next_page_token,
                }
            }
            _ => self.page(rows, cursor_of),
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn tokens() -> PageTokens {
        PageTokens::new(&[7; 32], Duration::from_secs(60)).unwrap()
    }

    #[test]
    fn a_page_stops_before_its_items_outweigh_the_budget() {
        let tokens = tokens();
        let request = PageRequest::first(10);
        let now = Timestamp::UNIX_EPOCH;
        let pager = tokens
            .pager("/x.X/List", None, &"q", &request, now)
            .unwrap();
        // Five rows of 40 bytes with a budget of 100: two fit, and a token follows the
        // second.
        let page = pager.page_within(vec![1, 2, 3, 4, 5], 100, |_| 40, |row| *row);
        assert_eq!(page.items, [1, 2]);
        let token = page.next_page_token.unwrap_or_default();
        let next_request = PageRequest {
            size: 10,
            token: Some(token),
        };
        let next = tokens
            .pager("/x.X/List", None, &"q", &next_request, now)
            .unwrap();
        assert_eq!(next.cursor::<i32>(), Ok(Some(2)));
        // One row heavier than the budget is still served alone.
        let page = pager.page_within(vec![1, 2], 10, |_| 40, |row| *row);
        assert_eq!(page.items, [1]);
        assert!(page.next_page_token.is_some());
        // Light rows: the page is cut by count as usual.
        let page = pager.page_within((0..11).collect(), 1000, |_| 1, |row| *row);
        assert_eq!(page.items.len(), 10);
        assert!(page.next_page_token.is_some());
        let page = pager.page_within(vec![1, 2, 3], 1000, |_| 1, |row| *row);
        assert_eq!((page.items.len(), page.next_page_token), (3, None));
    }
}
