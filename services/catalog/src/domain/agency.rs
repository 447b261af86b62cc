//! Agencies: the organisations that own catalog entries (and events and inquiries in the
//! other services). Public: anyone reads them; their own callers or the ministry change
//! them; only the ministry creates them or moves them in the hierarchy.

use std::collections::BTreeMap;

use jalia_model::{
    AgencyCode, FallbackChain, FieldViolation, LanguageCode, LocalizedText, Violations,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::hours::OpeningHours;
use super::place::{ContactPoint, PostalAddress};
use super::text::MAX_LIST_ITEMS;
use super::time::micros;

/// How deep a chain of parent bodies may go; deeper means a cycle or nonsense.
pub const MAX_PARENT_DEPTH: usize = 16;

/// What kind of organisation an agency is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyKind {
    /// An urban agency.
    UrbanAgency,
    /// A Wilaya (regional governorate).
    Wilaya,
    /// A province or prefecture governorate.
    Province,
    /// A ministry.
    Ministry,
    /// A deconcentrated administration or public institution of a ministry.
    MinistryBody,
    /// An elected regional council.
    RegionalCouncil,
    /// An elected provincial council.
    ProvincialCouncil,
    /// A commune.
    Commune,
    /// A consulate abroad.
    Consulate,
}

impl AgencyKind {
    /// Every kind, in contract order (1-based numbers).
    pub const ALL: [Self; 9] = [
        Self::UrbanAgency,
        Self::Wilaya,
        Self::Province,
        Self::Ministry,
        Self::MinistryBody,
        Self::RegionalCouncil,
        Self::ProvincialCouncil,
        Self::Commune,
        Self::Consulate,
    ];

    /// The contract's number.
    pub fn number(self) -> i32 {
        Self::ALL
            .iter()
            .position(|kind| *kind == self)
            .map_or(0, |i| i as i32 + 1)
    }

    /// From the contract's number.
    pub fn from_number(number: i32) -> Option<Self> {
        usize::try_from(number)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|index| Self::ALL.get(index).copied())
    }
}

/// What role a site plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    /// The headquarters; at most one per agency.
    Headquarters,
    /// A local antenna.
    Antenna,
}

/// A place where an agency receives the public.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    /// Its name.
    pub display_name: LocalizedText,
    /// Headquarters or antenna.
    pub kind: SiteKind,
    /// Where it is.
    pub address: PostalAddress,
    /// When it is open.
    pub opening_hours: Option<OpeningHours>,
}

/// Everything about an agency that callers write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgencyContent {
    /// Its name, never empty.
    pub display_name: LocalizedText,
    /// Its kind.
    pub kind: AgencyKind,
    /// The region it serves.
    pub region: LocalizedText,
    /// The province it serves.
    pub province: LocalizedText,
    /// Public contact points.
    pub contact_points: Vec<ContactPoint>,
    /// The body it reports to.
    pub parent_body: Option<AgencyCode>,
    /// Headquarters and antennas.
    pub sites: Vec<Site>,
    /// Its language fallback chain; empty means the default (ar, fr, en).
    pub fallback_languages: Vec<LanguageCode>,
}

impl AgencyContent {
    /// The chain its texts (and its services' texts) fall back along.
    pub fn fallback_chain(&self) -> FallbackChain {
        if self.fallback_languages.is_empty() {
            FallbackChain::default()
        } else {
            FallbackChain::new(self.fallback_languages.clone())
        }
    }

    /// Checks what a single field cannot: at most one headquarters, bounded lists.
    /// Violations name `sites` and `contact_points`.
    pub fn check(&self) -> Result<(), Vec<FieldViolation>> {
        let mut violations = Violations::new();
        let headquarters = self
            .sites
            .iter()
            .filter(|site| site.kind == SiteKind::Headquarters)
            .count();
        if headquarters > 1 {
            violations.add("sites", "an agency has at most one headquarters");
        }
        if self.sites.len() > MAX_LIST_ITEMS {
            violations.add("sites", format!("at most {MAX_LIST_ITEMS} sites"));
        }
        if self.contact_points.len() > MAX_LIST_ITEMS {
            violations.add(
                "contact_points",
                format!("at most {MAX_LIST_ITEMS} contact points"),
            );
        }
        violations.finish(|| ())
    }
}

/// Checks a fallback chain as written: valid tags, no duplicates. Violations name
/// `[i]` under the field.
pub fn parse_fallback_languages(tags: &[String]) -> Result<Vec<LanguageCode>, Vec<FieldViolation>> {
    let mut violations = Violations::new();
    let mut languages: Vec<LanguageCode> = Vec::with_capacity(tags.len());
    for (index, tag) in tags.iter().enumerate() {
        match LanguageCode::parse(tag) {
            Ok(language) if languages.contains(&language) => {
                violations.add(
                    format!("[{index}]"),
                    format!("`{language}` is listed twice"),
                );
            }
            Ok(language) => languages.push(language),
            Err(problem) => violations.add(format!("[{index}]"), problem),
        }
    }
    violations.finish(|| languages)
}

/// Checks an agency code as the contract fixes it: 2 to 16 of `[a-z0-9]`, starting with
/// a letter (stricter than the codes tokens may carry, which also allow `-`).
pub fn parse_new_agency_code(code: &str) -> Result<AgencyCode, String> {
    let valid = (2..=16).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if valid {
        AgencyCode::parse(code)
    } else {
        Err(format!(
            "`{code}` is not an agency code: 2 to 16 lowercase letters and digits, starting with a letter"
        ))
    }
}

/// An agency as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agency {
    /// Its code, the {agency} of every name it owns.
    pub code: AgencyCode,
    /// What callers wrote.
    pub content: AgencyContent,
    /// When it was created.
    #[serde(with = "micros")]
    pub create_time: Timestamp,
    /// When it last changed.
    #[serde(with = "micros")]
    pub update_time: Timestamp,
    /// Bumped by every change; the etag is made from it.
    pub version: i64,
}

/// Which parts of an agency an update replaces; None leaves a part as it is.
#[derive(Debug, Clone, Default)]
pub struct AgencyPatch {
    /// New name.
    pub display_name: Option<LocalizedText>,
    /// New kind (ministry-wide callers only).
    pub kind: Option<AgencyKind>,
    /// New region.
    pub region: Option<LocalizedText>,
    /// New province.
    pub province: Option<LocalizedText>,
    /// New contact points.
    pub contact_points: Option<Vec<ContactPoint>>,
    /// New parent body (ministry-wide callers only); `Some(None)` removes it.
    pub parent_body: Option<Option<AgencyCode>>,
    /// New sites.
    pub sites: Option<Vec<Site>>,
    /// New fallback chain.
    pub fallback_languages: Option<Vec<LanguageCode>>,
}

impl AgencyPatch {
    /// The content with this patch applied.
    pub fn apply(self, mut content: AgencyContent) -> AgencyContent {
        if let Some(value) = self.display_name {
            content.display_name = value;
        }
        if let Some(value) = self.kind {
            content.kind = value;
        }
        if let Some(value) = self.region {
            content.region = value;
        }
        if let Some(value) = self.province {
            content.province = value;
        }
        if let Some(value) = self.contact_points {
            content.contact_points = value;
        }
        if let Some(value) = self.parent_body {
            content.parent_body = value;
        }
        if let Some(value) = self.sites {
            content.sites = value;
        }
        if let Some(value) = self.fallback_languages {
            content.fallback_languages = value;
        }
        content
    }
}

/// What a caller sees of an agency it references: its name, and the chain the texts of
/// what it owns fall back along.
#[derive(Debug, Clone, PartialEq)]
pub struct AgencyLabel {
    /// Its name.
    pub display_name: LocalizedText,
    /// Its fallback chain.
    pub chain: FallbackChain,
}

/// The agencies a response names (owners, competent authorities, parent bodies), for
/// filling in their names and resolving texts along their chains.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgencyLabels(BTreeMap<AgencyCode, AgencyLabel>);

impl AgencyLabels {
    /// Labels by code.
    pub fn new(labels: BTreeMap<AgencyCode, AgencyLabel>) -> Self {
        Self(labels)
    }

    /// The chain the texts owned by `code` fall back along (the default when unknown).
    pub fn chain(&self, code: &AgencyCode) -> FallbackChain {
        self.0
            .get(code)
            .map_or_else(FallbackChain::default, |label| label.chain.clone())
    }

    /// The agency's name, when known.
    pub fn display_name(&self, code: &AgencyCode) -> Option<&LocalizedText> {
        self.0.get(code).map(|label| &label.display_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_the_contract_numbers() {
        for kind in AgencyKind::ALL {
            assert_eq!(AgencyKind::from_number(kind.number()), Some(kind));
        }
        assert_eq!(AgencyKind::from_number(0), None);
        assert_eq!(AgencyKind::from_number(10), None);
        assert_eq!(AgencyKind::UrbanAgency.number(), 1);
        assert_eq!(AgencyKind::Consulate.number(), 9);
    }

    #[test]
    fn new_codes_are_short_lowercase_alphanumerics() {
        assert!(parse_new_agency_code("bm").is_ok());
        assert!(parse_new_agency_code("matnuhpv").is_ok());
        for bad in ["b", "BM", "1bm", "b-m", "abcdefghijklmnopq", ""] {
            assert!(parse_new_agency_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fallback_chains_have_no_duplicates() {
        let chain = parse_fallback_languages(&["fr".to_owned(), "ar-MA".to_owned()]).unwrap();
        assert_eq!(chain.len(), 2);
        let err = parse_fallback_languages(&["fr".to_owned(), "fr-FR".to_owned(), "!".to_owned()])
            .unwrap_err();
        let fields: Vec<_> = err.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, vec!["[1]", "[2]"]);
    }
}
