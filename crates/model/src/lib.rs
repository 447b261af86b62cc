//! The domain vocabulary every Jalia service shares (ARCHITECTURE.md §2): who owns a resource and
//! how it is named, text in several languages and which one a reader gets, local times
//! with their zone, a person's contact details and a place's address, audiences, page
//! requests and pages, what a change feed's readers ask for and get, request ids and
//! etags, the field violations that bad input produces, and the ErrorInfo reasons of the
//! API. It knows nothing of the wire or the database: services convert at their edges.

mod address;
mod agency;
mod audience;
mod caller;
mod contact;
mod etag;
mod feed;
mod language;
mod name;
mod page;
pub mod reasons;
mod request_id;
mod storage;
mod violation;
mod zoned;

pub use address::{
    AddressInput, MAX_ADDRESS_LINE_CHARS, MAX_ADDRESS_LINES, MAX_PLACE_NAME_CHARS, PostalAddress,
};
pub use agency::{AgencyCode, AgencyFilter};
pub use audience::Audience;
pub use caller::{AgencyScope, Caller};
pub use contact::{CountryCode, Email, Phone};
pub use etag::{Etag, IfMatch, StaleEtag};
pub use feed::{FeedChange, FeedItem, WatchQuery, WatcherRefused};
pub use language::{
    Direction, FallbackChain, LanguageCode, LocalizedText, Resolved, accept_language,
};
pub use name::{NameError, parse_name};
pub use page::{
    DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_PAGE_TOKEN_LEN, Page, PageRequest, page_size,
};
pub use request_id::RequestId;
pub use storage::StorageFailure;
pub use violation::{FieldViolation, MAX_QUOTED_CHARS, Violations, quote, truncate_chars};
pub use zoned::{ZonedDateTime, ZonedError};
