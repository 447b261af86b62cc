//! The domain vocabulary every Jalia service shares (DESIGN §2): who owns a resource and
//! how it is named, text in several languages and which one a reader gets, local times
//! with their zone, a person's contact details, page sizes, and the field violations that
//! bad input produces. It knows nothing of the wire or the database: services convert at
//! their edges.

mod agency;
mod caller;
mod contact;
mod language;
mod name;
mod page;
mod violation;
mod zoned;

pub use agency::{AgencyCode, AgencyFilter};
pub use caller::{AgencyScope, Caller};
pub use contact::{CountryCode, Email, Phone};
pub use language::{
    Direction, FallbackChain, LanguageCode, LocalizedText, Resolved, accept_language,
};
pub use name::{NameError, parse_name};
pub use page::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, page_size};
pub use violation::{FieldViolation, Violations};
pub use zoned::{ZonedDateTime, ZonedError};
