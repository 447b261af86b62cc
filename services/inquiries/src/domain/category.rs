//! Inquiry categories: each agency's own triage list, with the default time to answer
//! when no catalog service sets it.

use std::ops::RangeInclusive;

use jalia_model::{AgencyCode, IfMatch, LocalizedText, RequestId};
use jiff::Timestamp;
use uuid::Uuid;

use super::error::Error;

/// Longest name in one language.
pub(crate) const MAX_NAME_CHARS: usize = 200;

/// Allowed default response times, in calendar days.
pub(crate) const RESPONSE_DAYS: RangeInclusive<i64> = 1..=365;

/// An agency's category of inquiries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Category {
    /// UUIDv7.
    pub id: Uuid,
    /// The owning agency.
    pub agency: AgencyCode,
    /// Its name in the agency's languages.
    pub display_name: LocalizedText,
    /// Days to answer by default.
    pub default_response_days: i64,
    /// Creation.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// Bumped on every change; the etag.
    pub version: i64,
    /// Whether `default_response_days` counts the agency's working days.
    pub count_working_days: bool,
}

/// A category's name: `agencies/{agency}/inquiryCategories/{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CategoryName {
    /// The agency in the name.
    pub agency: AgencyCode,
    /// The id in the name.
    pub id: Uuid,
}

/// CreateInquiryCategory, checked.
#[derive(Debug, Clone)]
pub(crate) struct CreateCategoryCommand {
    /// The owning agency.
    pub agency: AgencyCode,
    /// The caller's idempotency key; None when the call is not idempotent.
    pub request_id: Option<RequestId>,
    /// The names.
    pub display_name: LocalizedText,
    /// Default days to answer.
    pub default_response_days: i64,
    /// Whether they are working days.
    pub count_working_days: bool,
}

/// UpdateInquiryCategory, checked: None leaves a field as it is.
#[derive(Debug, Clone)]
pub(crate) struct UpdateCategoryCommand {
    /// Which category.
    pub name: CategoryName,
    /// The version the caller read, if it sent an etag.
    pub if_match: Option<IfMatch>,
    /// New names.
    pub display_name: Option<LocalizedText>,
    /// New default days.
    pub default_response_days: Option<i64>,
    /// Whether they are working days, if that changes.
    pub count_working_days: Option<bool>,
}

impl Category {
    /// A new category, at version 1.
    pub(crate) fn create(id: Uuid, command: &CreateCategoryCommand, now: Timestamp) -> Self {
        Self {
            id,
            agency: command.agency.clone(),
            display_name: command.display_name.clone(),
            default_response_days: command.default_response_days,
            created_at: now,
            updated_at: now,
            version: 1,
            count_working_days: command.count_working_days,
        }
    }

    /// Applies an update made against the version the caller read.
    pub(crate) fn update(
        &mut self,
        command: &UpdateCategoryCommand,
        now: Timestamp,
    ) -> Result<(), Error> {
        if let Some(if_match) = command.if_match {
            if_match.check(self.version)?;
        }
        if let Some(display_name) = &command.display_name {
            self.display_name = display_name.clone();
        }
        if let Some(days) = command.default_response_days {
            self.default_response_days = days;
        }
        if let Some(working) = command.count_working_days {
            self.count_working_days = working;
        }
        self.updated_at = now.max(self.updated_at);
        self.version += 1;
        Ok(())
    }
}

/// Checks a default response time.
pub(crate) fn response_days(days: i32) -> Result<i64, String> {
    let days = i64::from(days);
    if RESPONSE_DAYS.contains(&days) {
        Ok(days)
    } else {
        Err(format!(
            "must be from {} to {} days",
            RESPONSE_DAYS.start(),
            RESPONSE_DAYS.end()
        ))
    }
}

/// The keys under which two names of one agency clash: per language, the name with case
/// and inner spacing folded, so "Permis de construire" and "permis  de construire" are
/// one name. Equality only, never ordering, so no collation is involved.
pub(crate) fn name_keys(display_name: &LocalizedText) -> Vec<(String, String)> {
    display_name
        .entries()
        .map(|(language, text)| {
            let folded = text
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase();
            (language.to_string(), folded)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_clash_ignoring_case_and_spacing_per_language() {
        let a = LocalizedText::single("fr", "Permis de construire").with("ar", "رخصة البناء");
        let b = LocalizedText::single("fr", " permis  de CONSTRUIRE ");
        let keys_a = name_keys(&a);
        let keys_b = name_keys(&b);
        assert!(keys_b.iter().all(|key| keys_a.contains(key)));
        assert_eq!(keys_a.len(), 2);
        assert!(response_days(0).is_err());
        assert!(response_days(366).is_err());
        assert_eq!(response_days(15), Ok(15));
    }

    #[test]
    fn an_update_needs_the_version_read_and_bumps_it() {
        let at: Timestamp = "2025-08-01T08:00:00Z".parse().unwrap();
        let bm = AgencyCode::parse("bm").unwrap();
        let create = CreateCategoryCommand {
            agency: bm.clone(),
            request_id: None,
            display_name: LocalizedText::single("fr", "Permis de construire"),
            default_response_days: 15,
            count_working_days: false,
        };
        let mut category = Category::create(Uuid::now_v7(), &create, at);
        assert_eq!(category.version, 1);
        let update = |etag: &str| UpdateCategoryCommand {
            name: CategoryName {
                agency: bm.clone(),
                id: category.id,
            },
            if_match: IfMatch::optional(etag),
            display_name: None,
            default_response_days: Some(20),
            count_working_days: None,
        };
        let stale = update("\"v2\"");
        let fresh = update("\"v1\"");
        let later = at + jiff::SignedDuration::from_hours(1);
        assert!(matches!(category.update(&stale, later), Err(Error::Stale)));
        assert_eq!(category.default_response_days, 15);
        category.update(&fresh, later).unwrap();
        assert_eq!(
            (
                category.default_response_days,
                category.version,
                category.updated_at
            ),
            (20, 2, later)
        );
    }
}
