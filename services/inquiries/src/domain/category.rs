//! Inquiry categories: each agency's own triage list, with the default time to answer
//! when no catalog service sets it.

use std::ops::RangeInclusive;

use jalia_model::{AgencyCode, LocalizedText};
use jiff::Timestamp;
use uuid::Uuid;

/// Longest name in one language.
pub const MAX_NAME_CHARS: usize = 200;

/// Allowed default response times, in calendar days.
pub const RESPONSE_DAYS: RangeInclusive<i64> = 1..=365;

/// An agency's category of inquiries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
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
}

/// Checks a default response time.
pub fn response_days(days: i32) -> Result<i64, String> {
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
pub fn name_keys(display_name: &LocalizedText) -> Vec<(String, String)> {
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
}
