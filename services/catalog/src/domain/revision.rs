//! A public service's history: every change (create, update, publish, retire) leaves a
//! revision holding the whole service as it then stood, who made the change, when, and
//! which paths it altered.

use jiff::Timestamp;

use super::public_service::PublicService;

/// What kind of change produced a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum RevisionAction {
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
    /// Every action.
    pub(crate) const ALL: [Self; 4] = [Self::Create, Self::Update, Self::Publish, Self::Retire];

    /// The paths a lifecycle change alters (updates and creations list their own).
    fn lifecycle_paths(self) -> Vec<String> {
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
pub(crate) struct Revision {
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
    pub(crate) fn of(
        snapshot: PublicService,
        action: RevisionAction,
        actor: &str,
        changed_fields: Vec<String>,
    ) -> Self {
        Self {
            number: snapshot.revision,
            action,
            create_time: snapshot.update_time,
            snapshot,
            actor: actor.to_owned(),
            changed_fields,
        }
    }

    /// The revision of a lifecycle change (publish, retire), which alters the status and
    /// its time.
    pub(crate) fn lifecycle(snapshot: PublicService, action: RevisionAction, actor: &str) -> Self {
        Self::of(snapshot, action, actor, action.lifecycle_paths())
    }
}
