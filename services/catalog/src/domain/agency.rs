//! Agencies: the organisations that own catalog entries (and events and inquiries in the
//! other services). Public: anyone reads them; their own callers or the ministry change
//! them; only the ministry creates them or moves them in the hierarchy.

use std::collections::{BTreeMap, BTreeSet};

use jalia_model::reasons;
use jalia_model::{
    AgencyCode, Caller, FallbackChain, FieldViolation, IfMatch, LanguageCode, LocalizedText,
    PostalAddress, RequestId, Violations, quote,
};
use jiff::Timestamp;
use serde::Serialize;

use super::Error;
use super::access::{acting_for, ministry_only};
use super::hours::OpeningHours;
use super::place::ContactPoint;
use super::text::MAX_LIST_ITEMS;

/// How deep a chain of parent bodies may go; deeper means a cycle or nonsense.
pub(crate) const MAX_PARENT_DEPTH: usize = 16;

/// The request field violations about an agency are nested under.
const FIELD: &str = "agency";
/// The field naming an agency's parent body.
const PARENT_FIELD: &str = "agency.parent_body.name";

/// What kind of organisation an agency is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AgencyKind {
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

/// What role a site plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SiteKind {
    /// The headquarters; at most one per agency.
    Headquarters,
    /// A local antenna.
    Antenna,
}

/// A place where an agency receives the public.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Site {
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
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AgencyContent {
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
    /// Content of `kind` with nothing else yet, for a create to fill in.
    pub(crate) fn of_kind(kind: AgencyKind) -> Self {
        Self {
            display_name: LocalizedText::default(),
            kind,
            region: LocalizedText::default(),
            province: LocalizedText::default(),
            contact_points: Vec::new(),
            parent_body: None,
            sites: Vec::new(),
            fallback_languages: Vec::new(),
        }
    }

    /// The chain its texts (and its services' texts) fall back along.
    pub(crate) fn fallback_chain(&self) -> FallbackChain {
        chain_of(&self.fallback_languages)
    }

    /// Checks what a single field cannot: at most one headquarters, bounded lists.
    /// Violations name `agency.sites` and `agency.contact_points`.
    pub(crate) fn check(&self) -> Result<(), Vec<FieldViolation>> {
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
        let mut nested = Violations::new();
        nested.extend_under(FIELD, violations.into_vec());
        nested.finish(|| ())
    }
}

fn chain_of(languages: &[LanguageCode]) -> FallbackChain {
    if languages.is_empty() {
        FallbackChain::default()
    } else {
        FallbackChain::new(languages.to_vec())
    }
}

/// Checks a fallback chain as written: valid tags, no duplicates. Violations name
/// `[i]` under the field.
pub(crate) fn parse_fallback_languages(
    tags: &[String],
) -> Result<Vec<LanguageCode>, Vec<FieldViolation>> {
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
pub(crate) fn parse_new_agency_code(code: &str) -> Result<AgencyCode, String> {
    let valid = (2..=16).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if valid {
        AgencyCode::parse(code)
    } else {
        Err(format!(
            "{} is not an agency code: 2 to 16 lowercase letters and digits, starting with a letter",
            quote(code)
        ))
    }
}

/// The bodies above a proposed parent body, nearest first and at most
/// [`MAX_PARENT_DEPTH`] of them, as the store found them; `None` when no agency has the
/// proposed code.
pub(crate) type Lineage = Option<Vec<AgencyCode>>;

/// Why `parent` cannot be the parent body of `code`, given the bodies above it: it does
/// not exist, is the agency itself, has the agency above it (a cycle), or sits under a
/// chain deeper than [`MAX_PARENT_DEPTH`]. The violation names `agency.parent_body.name`.
fn parent_problem(code: &AgencyCode, parent: &AgencyCode, lineage: &Lineage) -> Option<String> {
    if parent == code {
        return Some("an agency cannot be its own parent body".to_owned());
    }
    let Some(above) = lineage else {
        return Some(format!("there is no agency `{parent}`"));
    };
    if above.contains(code) {
        return Some(format!(
            "`{parent}` reports to `{code}` already: this would make a cycle"
        ));
    }
    (above.len() >= MAX_PARENT_DEPTH).then(|| {
        format!("the chain of parent bodies above `{parent}` is deeper than {MAX_PARENT_DEPTH}")
    })
}

/// An agency as stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Agency {
    /// Its code, the {agency} of every name it owns.
    pub code: AgencyCode,
    /// What callers wrote.
    pub content: AgencyContent,
    /// When it was created.
    pub create_time: Timestamp,
    /// When it last changed.
    pub update_time: Timestamp,
    /// Bumped by every change; the etag is made from it.
    pub version: i64,
}

impl Agency {
    /// A new agency created by `caller` at `now`: ministry-wide callers only, and its
    /// parent body, if any, must exist (`lineage` is what the store found above it).
    pub(crate) fn create(
        caller: &Caller,
        code: AgencyCode,
        content: AgencyContent,
        lineage: &Lineage,
        now: Timestamp,
    ) -> Result<Self, Error> {
        ministry_only(caller, "create agencies")?;
        if let Some(parent) = &content.parent_body
            && let Some(problem) = parent_problem(&code, parent, lineage)
        {
            return Err(FieldViolation::new(PARENT_FIELD, problem).into());
        }
        Ok(Self {
            code,
            content,
            create_time: now,
            update_time: now,
            version: 1,
        })
    }

    /// Refuses a caller that is neither the agency's own nor ministry-wide.
    pub(crate) fn check_changer(caller: &Caller, code: &AgencyCode) -> Result<(), Error> {
        acting_for(
            caller,
            code,
            "only the agency's own callers or ministry-wide ones change it",
        )
    }

    /// The agency after `patch` by `caller` at `now`: only ministry-wide callers change
    /// its kind or parent body, which must not make a cycle (`lineage` is what the store
    /// found above the new parent, when the patch gives one).
    pub(crate) fn updated(
        &self,
        caller: &Caller,
        patch: AgencyPatch,
        lineage: &Lineage,
        now: Timestamp,
    ) -> Result<Self, Error> {
        Self::check_changer(caller, &self.code)?;
        let content = patch.apply(self.content.clone());
        if content.kind != self.content.kind || content.parent_body != self.content.parent_body {
            ministry_only(caller, "change an agency's kind or parent body")?;
        }
        let mut violations = Violations::new();
        if let Err(found) = content.check() {
            found.into_iter().for_each(|v| violations.push(v));
        }
        if content.parent_body != self.content.parent_body
            && let Some(parent) = &content.parent_body
            && let Some(problem) = parent_problem(&self.code, parent, lineage)
        {
            violations.add(PARENT_FIELD, problem);
        }
        let version = self.version + 1;
        violations
            .finish(|| Self {
                content,
                update_time: now,
                version,
                ..self.clone()
            })
            .map_err(Error::Invalid)
    }

    /// The refusal of a create whose code another agency has (ALREADY_EXISTS): codes
    /// name agencies for good.
    pub(crate) fn code_taken(&self) -> Error {
        Error::AlreadyExists {
            reason: reasons::AGENCY_EXISTS,
            message: format!("agency `{}` exists already", self.code),
        }
    }

    /// Its own label, for responses naming it.
    pub(crate) fn label(&self) -> AgencyLabel {
        AgencyLabel {
            display_name: self.content.display_name.clone(),
            fallback_languages: self.content.fallback_languages.clone(),
        }
    }
}

/// Which parts of an agency an update replaces; None leaves a part as it is.
#[derive(Debug, Clone, Default)]
pub(crate) struct AgencyPatch {
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
    pub(crate) fn apply(self, mut content: AgencyContent) -> AgencyContent {
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

    /// The parent body this patch would give an agency that has `content` now, when it
    /// is a new one: the one whose lineage a change must check.
    pub(crate) fn new_parent<'a>(&'a self, content: &AgencyContent) -> Option<&'a AgencyCode> {
        match &self.parent_body {
            Some(Some(parent)) if content.parent_body.as_ref() != Some(parent) => Some(parent),
            _ => None,
        }
    }
}

/// CreateAgency, as the caller asked.
#[derive(Debug, Clone)]
pub(crate) struct NewAgency {
    /// The code of the new agency.
    pub code: AgencyCode,
    /// What it is.
    pub content: AgencyContent,
    /// The caller's request_id; None: not idempotent.
    pub request_id: Option<RequestId>,
}

/// UpdateAgency, as the caller asked.
#[derive(Debug, Clone)]
pub(crate) struct AgencyUpdate {
    /// Which agency.
    pub code: AgencyCode,
    /// What changes.
    pub patch: AgencyPatch,
    /// The version the caller read.
    pub if_match: IfMatch,
}

/// What a caller sees of an agency it references: its name, and the chain the texts of
/// what it owns fall back along.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AgencyLabel {
    /// Its name.
    pub display_name: LocalizedText,
    /// Its fallback languages; empty means the default chain.
    pub fallback_languages: Vec<LanguageCode>,
}

/// The agencies a response names (owners, competent authorities, parent bodies), for
/// filling in their names and resolving texts along their chains.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct AgencyLabels(BTreeMap<AgencyCode, AgencyLabel>);

impl AgencyLabels {
    /// Labels by code.
    pub(crate) fn new(labels: BTreeMap<AgencyCode, AgencyLabel>) -> Self {
        Self(labels)
    }

    /// The chain the texts owned by `code` fall back along (the default when unknown).
    pub(crate) fn chain(&self, code: &AgencyCode) -> FallbackChain {
        self.0
            .get(code)
            .map_or_else(FallbackChain::default, |label| {
                chain_of(&label.fallback_languages)
            })
    }

    /// The agency's name, when known.
    pub(crate) fn display_name(&self, code: &AgencyCode) -> Option<&LocalizedText> {
        self.0.get(code).map(|label| &label.display_name)
    }

    /// Every label, by code.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&AgencyCode, &AgencyLabel)> {
        self.0.iter()
    }
}

/// A result with the agencies it names, so that a response can fill in their names and
/// resolve texts along the owners' fallback chains.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Labelled<T> {
    /// The result.
    pub value: T,
    /// The agencies it names.
    pub agencies: AgencyLabels,
}

/// The parent bodies of some agencies: the agencies their responses name.
pub(crate) fn parents<'a>(agencies: impl IntoIterator<Item = &'a Agency>) -> BTreeSet<AgencyCode> {
    agencies
        .into_iter()
        .filter_map(|agency| agency.content.parent_body.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use jalia_model::AgencyScope;

    use super::*;

    fn code(value: &str) -> AgencyCode {
        AgencyCode::parse(value).unwrap()
    }

    fn caller(agency: &str) -> Caller {
        Caller {
            subject: "desk".to_owned(),
            agency: AgencyScope::parse(agency).unwrap(),
            scopes: BTreeSet::new(),
        }
    }

    fn agency(code_value: &str, parent: Option<&str>) -> Agency {
        let mut content = AgencyContent::of_kind(AgencyKind::UrbanAgency);
        content.display_name = LocalizedText::single("fr", "Agence");
        content.parent_body = parent.map(code);
        Agency::create(
            &caller("*"),
            code(code_value),
            content,
            &Some(Vec::new()),
            Timestamp::UNIX_EPOCH,
        )
        .unwrap()
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

    #[test]
    fn only_the_ministry_creates_agencies_under_existing_parents() {
        let content = AgencyContent::of_kind(AgencyKind::Wilaya);
        let refused = Agency::create(
            &caller("bm"),
            code("wbmk"),
            content.clone(),
            &None,
            Timestamp::UNIX_EPOCH,
        );
        assert!(matches!(refused, Err(Error::MinistryOnly(_))));
        let mut orphan = content;
        orphan.parent_body = Some(code("nowhere"));
        let Err(Error::Invalid(violations)) = Agency::create(
            &caller("*"),
            code("wbmk"),
            orphan,
            &None,
            Timestamp::UNIX_EPOCH,
        ) else {
            panic!("an agency under a missing parent was created");
        };
        assert_eq!(violations[0].field, "agency.parent_body.name");
    }

    #[test]
    fn moving_an_agency_is_for_the_ministry_and_never_makes_a_cycle() {
        let bm = agency("bm", None);
        let move_to = |parent: &str| AgencyPatch {
            parent_body: Some(Some(code(parent))),
            ..AgencyPatch::default()
        };
        let lineage = Some(vec![code("matnuhpv")]);
        let own = bm.updated(
            &caller("bm"),
            move_to("wbmk"),
            &lineage,
            Timestamp::UNIX_EPOCH,
        );
        assert!(matches!(own, Err(Error::MinistryOnly(_))));
        let other = bm.updated(
            &caller("wbmk"),
            AgencyPatch::default(),
            &None,
            Timestamp::UNIX_EPOCH,
        );
        assert!(matches!(other, Err(Error::OtherAgency(_))));
        let moved = bm
            .updated(
                &caller("*"),
                move_to("wbmk"),
                &lineage,
                Timestamp::UNIX_EPOCH,
            )
            .unwrap();
        assert_eq!(
            (moved.version, moved.content.parent_body),
            (2, Some(code("wbmk")))
        );
        for (parent, lineage) in [
            ("bm", Some(Vec::new())),
            ("wbmk", Some(vec![code("matnuhpv"), code("bm")])),
            ("wbmk", None),
            ("wbmk", Some(vec![code("x"); MAX_PARENT_DEPTH])),
        ] {
            let Err(Error::Invalid(violations)) = bm.updated(
                &caller("*"),
                move_to(parent),
                &lineage,
                Timestamp::UNIX_EPOCH,
            ) else {
                panic!("moved under {parent} with {lineage:?}");
            };
            assert_eq!(violations[0].field, "agency.parent_body.name");
        }
    }

    #[test]
    fn an_agency_has_one_headquarters_at_most() {
        let bm = agency("bm", None);
        let site = |kind| Site {
            display_name: LocalizedText::single("fr", "Siège"),
            kind,
            address: PostalAddress::default(),
            opening_hours: None,
        };
        let patch = AgencyPatch {
            sites: Some(vec![
                site(SiteKind::Headquarters),
                site(SiteKind::Headquarters),
            ]),
            ..AgencyPatch::default()
        };
        let Err(Error::Invalid(violations)) =
            bm.updated(&caller("bm"), patch, &None, Timestamp::UNIX_EPOCH)
        else {
            panic!("two headquarters accepted");
        };
        assert_eq!(violations[0].field, "agency.sites");
    }
}
