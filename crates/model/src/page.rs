//! Page sizes as ARCHITECTURE.md §2 fixes them, what a List asks for and what it answers.

use crate::violation::FieldViolation;

/// When the caller asks for none.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The most a page holds; larger requests are clamped.
pub const MAX_PAGE_SIZE: u32 = 500;
/// The longest page token accepted; every token this suite mints is far shorter.
pub const MAX_PAGE_TOKEN_LEN: usize = 4096;

/// Reads a requested page size: 0 means the default, more than the maximum is clamped,
/// negative is refused.
pub fn page_size(requested: i32) -> Result<u32, String> {
    match u32::try_from(requested) {
        Ok(0) => Ok(DEFAULT_PAGE_SIZE),
        Ok(size) => Ok(size.min(MAX_PAGE_SIZE)),
        Err(_) => Err("must not be negative".to_owned()),
    }
}

/// Which page a List asks for: how many items, and after which token (none for the
/// first page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Items on the page, between 1 and [`MAX_PAGE_SIZE`].
    pub size: u32,
    /// The `next_page_token` of the previous page, as the caller sent it back.
    pub token: Option<String>,
}

impl PageRequest {
    /// The first page of `size` items (clamped to 1..=[`MAX_PAGE_SIZE`]).
    pub fn first(size: u32) -> Self {
        Self {
            size: size.clamp(1, MAX_PAGE_SIZE),
            token: None,
        }
    }

    /// Reads a List request's `page_size` and `page_token`: a violation on `page_size`
    /// when negative; an empty token means the first page. The token itself is opened
    /// later, against the request it must belong to.
    pub fn parse(page_size: i32, page_token: &str) -> Result<Self, FieldViolation> {
        let size = self::page_size(page_size)
            .map_err(|problem| FieldViolation::new("page_size", problem))?;
        Ok(Self {
            size,
            token: (!page_token.is_empty()).then(|| page_token.to_owned()),
        })
    }
}

/// One page of a List: the items, and the token of the next page when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, in the List's order.
    pub items: Vec<T>,
    /// Present when more items follow.
    pub next_page_token: Option<String>,
}

impl<T> Page<T> {
    /// The same page with each item converted.
    pub fn map<U>(self, convert: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(convert).collect(),
            next_page_token: self.next_page_token,
        }
    }

    /// The token as the wire carries it: empty on the last page.
    pub fn next_page_token_or_empty(&self) -> String {
        self.next_page_token.clone().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_request_reads_size_and_token() {
        assert_eq!(
            PageRequest::parse(0, "").unwrap(),
            PageRequest {
                size: DEFAULT_PAGE_SIZE,
                token: None
            }
        );
        assert_eq!(
            PageRequest::parse(10_000, "abc").unwrap().size,
            MAX_PAGE_SIZE
        );
        assert_eq!(
            PageRequest::parse(5, "abc").unwrap().token.as_deref(),
            Some("abc")
        );
        assert_eq!(PageRequest::parse(-1, "").unwrap_err().field, "page_size");
        assert_eq!(PageRequest::first(0).size, 1);
    }
}
