//! The shapes the store writes, owned here rather than borrowed from the domain, so that
//! renaming a domain type or variant can never reinterpret a row written before:
//!
//! - every stored enum is a small integer with an explicit code ([`StoredCode`]), never
//!   its declaration order (the codes follow the contract's numbers, frozen too);
//! - the one JSON column, a category's `display_name`, has its own serde type;
//! - what an idempotent create keeps for its replays has its own serde types.
//!
//! The tests below pin every code and every JSON shape.

use std::collections::BTreeMap;

use jalia_db::{DbError, StoredCode};
use jalia_model::LocalizedText;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::classification::Kind;
use crate::domain::due::DueDateSource;
use crate::domain::inquiry::{Channel, Priority};
use crate::domain::message::{AuthorKind, Visibility};
use crate::domain::status::Status;

impl StoredCode for Status {
    const WHAT: &'static str = "status";

    fn all() -> &'static [Self] {
        &Status::ALL
    }

    fn code(self) -> i32 {
        match self {
            Self::New => 1,
            Self::Assigned => 2,
            Self::InProgress => 3,
            Self::WaitingOnCitizen => 4,
            Self::Answered => 5,
            Self::Closed => 6,
            Self::Referred => 7,
        }
    }
}

impl StoredCode for Channel {
    const WHAT: &'static str = "channel";

    fn all() -> &'static [Self] {
        &Channel::ALL
    }

    fn code(self) -> i32 {
        match self {
            Self::WebPortal => 1,
            Self::EventDesk => 2,
            Self::Phone => 3,
            Self::Email => 4,
            Self::Consulate => 5,
        }
    }
}

impl StoredCode for Priority {
    const WHAT: &'static str = "priority";

    fn all() -> &'static [Self] {
        &[Self::Normal, Self::High]
    }

    fn code(self) -> i32 {
        match self {
            Self::Normal => 1,
            Self::High => 2,
        }
    }
}

impl StoredCode for DueDateSource {
    const WHAT: &'static str = "due date source";

    fn all() -> &'static [Self] {
        &[Self::CatalogProcessingTime, Self::CategoryDefault]
    }

    fn code(self) -> i32 {
        match self {
            Self::CatalogProcessingTime => 1,
            Self::CategoryDefault => 2,
        }
    }
}

impl StoredCode for Visibility {
    const WHAT: &'static str = "visibility";

    fn all() -> &'static [Self] {
        &[Self::PublicReply, Self::InternalNote]
    }

    fn code(self) -> i32 {
        match self {
            Self::PublicReply => 1,
            Self::InternalNote => 2,
        }
    }
}

impl StoredCode for AuthorKind {
    const WHAT: &'static str = "author kind";

    fn all() -> &'static [Self] {
        &[Self::Agent, Self::Citizen]
    }

    fn code(self) -> i32 {
        match self {
            Self::Agent => 1,
            Self::Citizen => 2,
        }
    }
}

impl StoredCode for Kind {
    const WHAT: &'static str = "kind";

    fn all() -> &'static [Self] {
        &Kind::ALL
    }

    fn code(self) -> i32 {
        match self {
            Self::Question => 1,
            Self::Request => 2,
            Self::Complaint => 3,
            Self::Suggestion => 4,
        }
    }
}

/// `inquiry_categories.display_name`: an object of BCP-47 tag to text,
/// `{"ar":"رخصة البناء","fr":"Permis de construire"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct StoredName(BTreeMap<String, String>);

impl StoredName {
    /// The column's text for `name`.
    pub(crate) fn encode(name: &LocalizedText) -> Result<String, DbError> {
        let stored = Self(
            name.entries()
                .map(|(language, text)| (language.to_string(), text.to_owned()))
                .collect(),
        );
        serde_json::to_string(&stored)
            .map_err(|err| DbError::other(format!("cannot encode a category name: {err}")))
    }

    /// The name a column's text holds.
    pub(crate) fn decode(column: &str) -> Result<LocalizedText, DbError> {
        let corrupt = || DbError::other("stored category name does not decode");
        let Self(entries) = serde_json::from_str(column).map_err(|_| corrupt())?;
        LocalizedText::parse(entries, usize::MAX).map_err(|_| corrupt())
    }
}

/// What a SubmitInquiry under a request_id keeps for its replays: the inquiry's id only.
/// The tracking code is never stored in clear (a replay derives it again from the id),
/// and the inquiry is read back, so no copy of the citizen's data sits in the
/// idempotency records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SubmissionReplay {
    /// The inquiry made.
    pub inquiry_id: Uuid,
}

/// What an AddInquiryMessage under a request_id keeps for its replays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MessageReplay {
    /// The message made.
    pub message_id: Uuid,
}

/// What a CreateInquiryCategory under a request_id keeps for its replays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CategoryReplay {
    /// The category made.
    pub category_id: Uuid,
}

/// What an ErasePersonalData under a request_id keeps for its replays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ErasureReplay {
    /// The erasure recorded.
    pub erasure_id: Uuid,
}

#[cfg(test)]
mod tests {
    use jalia_db::codes_are_distinct;

    use super::*;

    fn codes<T: StoredCode>() -> Vec<i32> {
        T::all().iter().map(|value| value.code()).collect()
    }

    #[test]
    fn every_stored_enum_keeps_its_codes() {
        assert_eq!(codes_are_distinct::<Status>(), Ok(()));
        assert_eq!(codes_are_distinct::<Channel>(), Ok(()));
        assert_eq!(codes_are_distinct::<Priority>(), Ok(()));
        assert_eq!(codes_are_distinct::<DueDateSource>(), Ok(()));
        assert_eq!(codes_are_distinct::<Visibility>(), Ok(()));
        use Status::*;
        let statuses = [
            (New, 1),
            (Assigned, 2),
            (InProgress, 3),
            (WaitingOnCitizen, 4),
            (Answered, 5),
            (Closed, 6),
            (Referred, 7),
        ];
        for (status, code) in statuses {
            assert_eq!(status.code(), code, "{status:?}");
        }
        assert_eq!(codes::<Channel>(), [1, 2, 3, 4, 5]);
        assert_eq!(Channel::from_code(5), Ok(Channel::Consulate));
        assert_eq!((Priority::Normal.code(), Priority::High.code()), (1, 2));
        assert_eq!(
            (
                DueDateSource::CatalogProcessingTime.code(),
                DueDateSource::CategoryDefault.code()
            ),
            (1, 2)
        );
        assert_eq!(
            (
                Visibility::PublicReply.code(),
                Visibility::InternalNote.code()
            ),
            (1, 2)
        );
        assert!(Status::from_code(0).is_err());
        // 1 is also the column's default, what rows from before kinds read back as.
        assert_eq!(codes_are_distinct::<Kind>(), Ok(()));
        assert_eq!(codes::<Kind>(), [1, 2, 3, 4]);
        assert_eq!(Kind::from_code(1), Ok(Kind::Question));
    }

    #[test]
    fn a_category_name_is_stored_as_an_object_of_tags() {
        let name = LocalizedText::single("fr", "Permis de construire").with("ar", "رخصة البناء");
        let column = StoredName::encode(&name).unwrap();
        assert_eq!(
            column,
            r#"{"ar":"رخصة البناء","fr":"Permis de construire"}"#
        );
        assert_eq!(StoredName::decode(&column).unwrap(), name);
        // A row written by an earlier release reads back the same.
        assert_eq!(
            StoredName::decode(r#"{"fr":"Permis de construire","ar":"رخصة البناء"}"#).unwrap(),
            name
        );
        assert!(StoredName::decode(r#"{"not a tag!":"x"}"#).is_err());
        assert!(StoredName::decode(r#"["fr","x"]"#).is_err());
    }

    #[test]
    fn author_kinds_keep_their_codes() {
        assert_eq!(codes_are_distinct::<AuthorKind>(), Ok(()));
        // Agent is also the column's default for messages written before it existed.
        assert_eq!(codes::<AuthorKind>(), [1, 2]);
    }

    #[test]
    fn replays_keep_only_the_id_made() {
        let id = Uuid::from_u128(0x0198_a1b2_7c3d_7e4f_8a5b_6c7d_8e9f_0a1b);
        let uuid = "0198a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b";
        assert_eq!(
            json(&SubmissionReplay { inquiry_id: id }),
            format!(r#"{{"inquiry_id":"{uuid}"}}"#)
        );
        assert_eq!(
            json(&MessageReplay { message_id: id }),
            format!(r#"{{"message_id":"{uuid}"}}"#)
        );
        assert_eq!(
            json(&CategoryReplay { category_id: id }),
            format!(r#"{{"category_id":"{uuid}"}}"#)
        );
        assert_eq!(
            json(&ErasureReplay { erasure_id: id }),
            format!(r#"{{"erasure_id":"{uuid}"}}"#)
        );
        let read: SubmissionReplay =
            serde_json::from_str(&format!(r#"{{"inquiry_id":"{uuid}"}}"#)).unwrap();
        assert_eq!(read.inquiry_id, id);
    }

    fn json<T: Serialize>(value: &T) -> String {
        serde_json::to_string(value).unwrap()
    }
}
