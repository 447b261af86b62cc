//! A public service's history: every change (create, update, publish, retire) leaves a
//! revision holding the whole service as it then stood, who made the change, when, and
//! which paths it altered.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::public_service::PublicService;

/// What kind of change produced a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevisionAction {
    /// Revision 1.
    Create,
    /// An update.
    Update,
    /// A publication.
    Publish,
    /// A retirement.
    Retire,
}

impl RevisionAction {
    /// Every action, in contract order.
    pub const ALL: [Self; 4] = [Self::Create, Self::Update, Self::Publish, Self::Retire];

    /// The contract's number (also the stored value).
    pub fn number(self) -> i32 {
        self as i32 + 1
    }

    /// From the contract's number.
    pub fn from_number(number: i32) -> Option<Self> {
        usize::try_from(number)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|index| Self::ALL.get(index).copied())
    }

    /// The paths a lifecycle change alters (updates and creations list their own).
    pub fn lifecycle_paths(self) -> Vec<String> {
        let paths: &[&str] = match self {
            Self::Publish => &["status", "publish_time"],
            Self::Retire => &["status", "retire_time"],
            Self::Create | Self::Update => &[],
        };
        paths.iter().map(|path| (*path).to_owned()).collect()
    }
}

/// One entry of a service's history.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    /// The revision number, from 1, without gaps.
    pub number: i64,
    /// The kind of change.
    pub action: RevisionAction,
    /// The service right after the change.
    pub snapshot: PublicService,
    /// The `sub` of the caller that made it (personal data: never logged).
    pub actor: String,
    /// When.
    pub create_time: Timestamp,
    /// The PublicService paths it altered.
    pub changed_fields: Vec<String>,
}

impl Revision {
    /// The revision recording `snapshot`, made by `actor` at the snapshot's update time.
    pub fn of(
        snapshot: &PublicService,
        action: RevisionAction,
        actor: &str,
        changed_fields: Vec<String>,
    ) -> Self {
        Self {
            number: snapshot.revision,
            action,
            snapshot: snapshot.clone(),
            actor: actor.to_owned(),
            create_time: snapshot.update_time,
            changed_fields,
        }
    }
}
