//! Messages on an inquiry: public replies to the citizen and internal notes for staff.
//! They are only ever appended.

use jalia_model::AgencyCode;
use jiff::Timestamp;
use uuid::Uuid;

use super::inquiry::Visibility;
use super::text::PersonalText;

/// Longest message body, in characters.
pub const MAX_BODY_CHARS: usize = 10_000;

/// A message on an inquiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// UUIDv7, so messages sort in the order they were added.
    pub id: Uuid,
    /// The inquiry.
    pub inquiry_id: Uuid,
    /// The inquiry's agency, for its name.
    pub agency: AgencyCode,
    /// Who sees it.
    pub visibility: Visibility,
    /// The text.
    pub body: PersonalText,
    /// The author's `sub`.
    pub author: String,
    /// When it was added.
    pub created_at: Timestamp,
}
