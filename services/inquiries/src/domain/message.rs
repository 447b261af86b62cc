//! Messages on an inquiry: public replies to the citizen, internal notes for staff, and
//! the citizen's own messages. They are only ever appended (see `Inquiry::add_message` for what adding one does to
//! the inquiry).

use jalia_model::{AgencyCode, RequestId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::attachment::{Attachment, AttachmentName};
use super::inquiry::InquiryName;
use super::text::PersonalText;

/// Longest message body, in characters.
pub(crate) const MAX_BODY_CHARS: usize = 10_000;

/// Who may see a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Visibility {
    /// A reply the citizen sees.
    PublicReply,
    /// A note for staff only.
    InternalNote,
}

/// Who wrote a message: visibility says who sees it, this says whose words they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum AuthorKind {
    /// A member of the agency's staff.
    Agent,
    /// The citizen, through a portal, with their tracking code.
    Citizen,
}

/// A message on an inquiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
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
    /// The author's `sub` (for a citizen's message, the portal that relayed it).
    pub author: String,
    /// Whether an agent or the citizen wrote it.
    pub author_kind: AuthorKind,
    /// When it was added.
    pub created_at: Timestamp,
    /// The documents attached to it (metadata only).
    pub attachments: Vec<Attachment>,
}

/// AddInquiryMessage, checked.
#[derive(Debug, Clone)]
pub(crate) struct AddMessageCommand {
    /// Which inquiry.
    pub inquiry: InquiryName,
    /// The caller's idempotency key; None when the call is not idempotent.
    pub request_id: Option<RequestId>,
    /// Who sees it.
    pub visibility: Visibility,
    /// The text.
    pub body: PersonalText,
    /// Staff uploads to attach.
    pub attachments: Vec<AttachmentName>,
}

/// ReplyToInquiry, checked: the citizen's message, opened by reference and tracking code.
#[derive(Debug, Clone)]
pub(crate) struct CitizenReplyCommand {
    /// The reference as typed.
    pub reference: String,
    /// The tracking code as typed.
    pub tracking_code: String,
    /// The caller's idempotency key; None when the call is not idempotent.
    pub request_id: Option<RequestId>,
    /// The citizen's text.
    pub body: PersonalText,
    /// Citizen uploads to attach.
    pub attachments: Vec<AttachmentName>,
}
