//! The shared taxonomy public services are filed under: categories (thematic areas) and
//! life events. Both have the same shape and rules; only ministry-wide callers change them.

use jalia_model::{Caller, IfMatch, LocalizedText, RequestId};
use jiff::Timestamp;
use serde::Serialize;
use uuid::Uuid;

use super::Error;
use super::access::ministry_only;

/// Which collection a term belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TermKind {
    /// `categories/{id}`.
    Category,
    /// `lifeEvents/{id}`.
    LifeEvent,
}

impl TermKind {
    /// The collection word of its resource names.
    pub(crate) fn collection(self) -> &'static str {
        match self {
            Self::Category => "categories",
            Self::LifeEvent => "lifeEvents",
        }
    }

    /// How NOT_FOUND names it.
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Self::Category => "category",
            Self::LifeEvent => "life event",
        }
    }

    /// Parses `categories/{uuid}` or `lifeEvents/{uuid}`.
    pub(crate) fn parse_name(self, name: &str) -> Result<Uuid, String> {
        name.strip_prefix(self.collection())
            .and_then(|rest| rest.strip_prefix('/'))
            // Only the hyphenated form, so that one term has one name.
            .filter(|id| id.len() == 36)
            .and_then(|id| Uuid::parse_str(id).ok())
            .ok_or_else(|| format!("must look like `{}/{{id}}`", self.collection()))
    }

    /// The resource name of a term of this kind.
    pub(crate) fn name(self, id: Uuid) -> String {
        format!("{}/{id}", self.collection())
    }
}

/// What callers write of a term.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TermContent {
    /// Its name, never empty.
    pub display_name: LocalizedText,
    /// What it covers.
    pub description: LocalizedText,
}

/// Which parts an update replaces.
#[derive(Debug, Clone, Default)]
pub(crate) struct TermPatch {
    /// New name.
    pub display_name: Option<LocalizedText>,
    /// New description.
    pub description: Option<LocalizedText>,
}

impl TermPatch {
    /// The content with this patch applied.
    pub(crate) fn apply(self, mut content: TermContent) -> TermContent {
        if let Some(value) = self.display_name {
            content.display_name = value;
        }
        if let Some(value) = self.description {
            content.description = value;
        }
        content
    }
}

/// A category or a life event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Term {
    /// Its id (UUIDv7).
    pub id: Uuid,
    /// Category or life event.
    pub kind: TermKind,
    /// What callers wrote.
    pub content: TermContent,
    /// When it was created.
    pub create_time: Timestamp,
    /// When it last changed.
    pub update_time: Timestamp,
    /// Bumped by every change.
    pub version: i64,
}

impl Term {
    /// A new term with a fresh id, created by `caller` at `now`: ministry-wide callers
    /// only.
    pub(crate) fn create(
        caller: &Caller,
        kind: TermKind,
        content: TermContent,
        now: Timestamp,
    ) -> Result<Self, Error> {
        kind.check_changer(caller)?;
        Ok(Self {
            id: Uuid::now_v7(),
            kind,
            content,
            create_time: now,
            update_time: now,
            version: 1,
        })
    }

    /// The term after `patch` at `now`.
    pub(crate) fn updated(&self, patch: TermPatch, now: Timestamp) -> Self {
        Self {
            content: patch.apply(self.content.clone()),
            update_time: now,
            version: self.version + 1,
            ..self.clone()
        }
    }
}

impl TermKind {
    /// Refuses a caller that is not ministry-wide: the taxonomy is the ministry's.
    pub(crate) fn check_changer(self, caller: &Caller) -> Result<(), Error> {
        ministry_only(caller, &format!("change the {} taxonomy", self.noun()))
    }
}

/// CreateCategory and CreateLifeEvent, as the caller asked.
#[derive(Debug, Clone)]
pub(crate) struct NewTerm {
    /// Which collection.
    pub kind: TermKind,
    /// What it is.
    pub content: TermContent,
    /// The caller's request_id; None: not idempotent.
    pub request_id: Option<RequestId>,
}

/// UpdateCategory and UpdateLifeEvent, as the caller asked.
#[derive(Debug, Clone)]
pub(crate) struct TermUpdate {
    /// Which collection.
    pub kind: TermKind,
    /// Which term.
    pub id: Uuid,
    /// What changes.
    pub patch: TermPatch,
    /// The version the caller read.
    pub if_match: IfMatch,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_use_the_collection_word() {
        let id = Uuid::now_v7();
        let name = TermKind::LifeEvent.name(id);
        assert!(name.starts_with("lifeEvents/"));
        assert_eq!(TermKind::LifeEvent.parse_name(&name), Ok(id));
        assert!(TermKind::Category.parse_name(&name).is_err());
        assert!(TermKind::Category.parse_name("categories/42").is_err());
        assert!(
            TermKind::Category
                .parse_name(&format!("categories/{}", id.simple()))
                .is_err()
        );
    }
}
