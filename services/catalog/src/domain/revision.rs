//! A public service's history: every change (create, update, publish, retire) leaves a
//! revision holding the whole service as it then stood, who made the change, when, and
//! which paths it altered.

use jiff::Timestamp;

use super::public_service::{PublicService, Status};

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

/// What a revision means to those who follow the public catalog (the change feed): only
/// what the public sees moving. A draft's life is nobody's business outside its agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum PublicChange {
    /// A draft was published.
    Published,
    /// A published service's public content changed.
    Changed,
    /// A published service was retired.
    Retired,
}

impl PublicChange {
    /// Every public change.
    pub(crate) const ALL: [Self; 3] = [Self::Published, Self::Changed, Self::Retired];
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

    /// What this revision changes in the public catalog, if anything: a publication, a
    /// retirement, or an update that altered a published service's content. Creating a
    /// draft, changing a draft or an update that altered nothing is not public.
    pub(crate) fn public_change(&self) -> Option<PublicChange> {
        match self.action {
            RevisionAction::Publish => Some(PublicChange::Published),
            RevisionAction::Retire => Some(PublicChange::Retired),
            RevisionAction::Update
                if self.snapshot.status == Status::Published && !self.changed_fields.is_empty() =>
            {
                Some(PublicChange::Changed)
            }
            RevisionAction::Create | RevisionAction::Update => None,
        }
    }
}
