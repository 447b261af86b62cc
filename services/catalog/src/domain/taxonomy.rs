//! The shared taxonomy public services are filed under: categories (thematic areas) and
//! life events. Both have the same shape and rules; only ministry-wide callers change them.

use jalia_model::LocalizedText;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::time::micros;

/// Which collection a term belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TermKind {
    /// `categories/{id}`.
    Category,
    /// `lifeEvents/{id}`.
    LifeEvent,
}

impl TermKind {
    /// The collection word of its resource names.
    pub fn collection(self) -> &'static str {
        match self {
            Self::Category => "categories",
            Self::LifeEvent => "lifeEvents",
        }
    }

    /// How NOT_FOUND names it.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Category => "category",
            Self::LifeEvent => "life event",
        }
    }

    /// Parses `categories/{uuid}` or `lifeEvents/{uuid}`.
    pub fn parse_name(self, name: &str) -> Result<Uuid, String> {
        name.strip_prefix(self.collection())
            .and_then(|rest| rest.strip_prefix('/'))
            // Only the hyphenated form, so that one term has one name.
            .filter(|id| id.len() == 36)
            .and_then(|id| Uuid::parse_str(id).ok())
            .ok_or_else(|| format!("must look like `{}/{{id}}`", self.collection()))
    }

    /// The resource name of a term of this kind.
    pub fn name(self, id: Uuid) -> String {
        format!("{}/{id}", self.collection())
    }
}

/// What callers write of a term.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermContent {
    /// Its name, never empty.
    pub display_name: LocalizedText,
    /// What it covers.
    pub description: LocalizedText,
}

/// Which parts an update replaces.
#[derive(Debug, Clone, Default)]
pub struct TermPatch {
    /// New name.
    pub display_name: Option<LocalizedText>,
    /// New description.
    pub description: Option<LocalizedText>,
}

impl TermPatch {
    /// The content with this patch applied.
    pub fn apply(self, mut content: TermContent) -> TermContent {
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    /// Its id (UUIDv7).
    pub id: Uuid,
    /// Category or life event.
    pub kind: TermKind,
    /// What callers wrote.
    pub content: TermContent,
    /// When it was created.
    #[serde(with = "micros")]
    pub create_time: Timestamp,
    /// When it last changed.
    #[serde(with = "micros")]
    pub update_time: Timestamp,
    /// Bumped by every change.
    pub version: i64,
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
