//! Public services, described as the EU's CPSV-AP does: competent authority, names and
//! descriptions, channels with opening hours, requirements and evidence, costs,
//! processing time, output, legal basis, related platforms; and their lifecycle
//! draft → published → retired, with a revision on every change.

use std::collections::BTreeSet;
use std::fmt;

use jalia_model::reasons;
use jalia_model::{
    AgencyCode, Audience, Caller, FieldViolation, IfMatch, LocalizedText, Phone, PostalAddress,
    RequestId, Violations, quote,
};
use jiff::Timestamp;
use serde::Serialize;
use uuid::Uuid;

use super::Error;
use super::access::acting_for;
use super::hours::OpeningHours;
use super::place::HttpsUrl;
use super::revision::{Revision, RevisionAction};
use super::search::{SearchField, index_tokens};

/// Longest processing time accepted: a year, leap day included.
pub(crate) const MAX_PROCESSING_SECONDS: i64 = 366 * 24 * 60 * 60;

/// The request field violations about a service are nested under.
const FIELD: &str = "public_service";

/// How a service is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ChannelKind {
    /// An online platform.
    Online,
    /// In person at a desk.
    InPerson,
    /// By post.
    Mail,
    /// At a consulate abroad.
    Consulate,
    /// By telephone.
    Phone,
}

impl ChannelKind {
    /// Every kind.
    #[cfg(test)]
    pub(crate) const ALL: [Self; 5] = [
        Self::Online,
        Self::InPerson,
        Self::Mail,
        Self::Consulate,
        Self::Phone,
    ];

    /// Whether opening hours mean anything for it.
    pub(crate) fn has_hours(self) -> bool {
        matches!(self, Self::InPerson | Self::Consulate | Self::Phone)
    }
}

/// Where a service stands in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Status {
    /// Being written; visible to its agency only.
    Draft,
    /// Visible to everyone, listed and searchable.
    Published,
    /// No longer offered; readable by name, out of lists and search. Final.
    Retired,
}

impl Status {
    /// Every status.
    pub(crate) const ALL: [Self; 3] = [Self::Draft, Self::Published, Self::Retired];
}

/// One way of reaching a service.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Channel {
    /// Its kind.
    pub kind: ChannelKind,
    /// Optional label.
    pub label: LocalizedText,
    /// The platform (ONLINE) or a page about the channel.
    pub url: Option<HttpsUrl>,
    /// Where to go, where to send, or which consulate.
    pub address: Option<PostalAddress>,
    /// Telephone, E.164.
    pub phone: Option<Phone>,
    /// When it is open (desks, consulates, phone lines).
    pub opening_hours: Option<OpeningHours>,
}

impl Channel {
    /// Checks what a channel of this kind needs: a URL online, an address in person and
    /// by post, a phone number by telephone. Opening hours are dropped where they mean
    /// nothing (online, mail). Violations name `url`, `address`, `phone`.
    pub(crate) fn new(
        kind: ChannelKind,
        label: LocalizedText,
        url: Option<HttpsUrl>,
        address: Option<PostalAddress>,
        phone: Option<Phone>,
        opening_hours: Option<OpeningHours>,
    ) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Violations::new();
        match kind {
            ChannelKind::Online if url.is_none() => {
                violations.add("url", "an online channel needs its platform's https URL");
            }
            ChannelKind::InPerson | ChannelKind::Mail if address.is_none() => {
                violations.add("address", "this channel needs an address");
            }
            ChannelKind::Phone if phone.is_none() => {
                violations.add("phone", "a phone channel needs a telephone number");
            }
            _ => {}
        }
        violations.finish(|| Self {
            kind,
            label,
            url,
            address,
            phone,
            opening_hours: opening_hours.filter(|_| kind.has_hours()),
        })
    }
}

/// A document the applicant provides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Evidence {
    /// Its name, never empty.
    pub display_name: LocalizedText,
    /// Format, validity, issuer.
    pub description: LocalizedText,
    /// The channels it is required on; empty: all.
    pub channel_kinds: Vec<ChannelKind>,
}

/// A currency Jalia accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Currency {
    /// Moroccan dirham.
    Mad,
    /// Euro, for services paid abroad.
    Eur,
}

impl Currency {
    /// Parses an ISO 4217 code Jalia accepts.
    pub(crate) fn parse(code: &str) -> Result<Self, String> {
        match code.trim() {
            "MAD" => Ok(Self::Mad),
            "EUR" => Ok(Self::Eur),
            other => Err(format!(
                "{} is not an accepted currency (MAD or EUR)",
                quote(other)
            )),
        }
    }

    /// The ISO 4217 code.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Self::Mad => "MAD",
            Self::Eur => "EUR",
        }
    }
}

/// An amount in minor units, strictly positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Money {
    /// The currency.
    pub currency: Currency,
    /// Centimes (or cents), more than zero.
    pub amount_minor: i64,
}

impl Money {
    /// Checks an amount. Violations name `currency_code` and `amount_minor`.
    pub(crate) fn parse(
        currency_code: &str,
        amount_minor: i64,
    ) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Violations::new();
        let currency = Currency::parse(currency_code)
            .map_err(|problem| violations.add("currency_code", problem))
            .ok();
        if amount_minor <= 0 {
            violations.add(
                "amount_minor",
                "must be more than zero (state a service without charge as `free`)",
            );
        }
        match currency {
            Some(currency) if violations.is_empty() => Ok(Self {
                currency,
                amount_minor,
            }),
            _ => Err(violations.into_vec()),
        }
    }
}

/// A price, or explicitly none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Price {
    /// This much.
    Amount(Money),
    /// Free of charge.
    Free,
}

/// One cost of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cost {
    /// The price.
    pub price: Price,
    /// What it is for.
    pub description: LocalizedText,
    /// The channels it applies to; empty: all.
    pub channel_kinds: Vec<ChannelKind>,
    /// An invented demonstration value.
    pub illustrative: bool,
}

/// A processing time target, in elapsed time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProcessingTime {
    /// Whole seconds.
    pub seconds: i64,
    /// Nanoseconds beyond them, 0 to 999,999,999.
    pub nanos: i32,
    /// An invented demonstration value.
    pub illustrative: bool,
}

impl ProcessingTime {
    /// Checks a duration: positive, at most 366 days, well-formed nanos.
    pub(crate) fn parse(seconds: i64, nanos: i32, illustrative: bool) -> Result<Self, String> {
        if !(0..1_000_000_000).contains(&nanos) {
            return Err("is not a valid duration (nanos out of range)".to_owned());
        }
        if seconds < 0 || (seconds == 0 && nanos == 0) {
            return Err("must be more than zero".to_owned());
        }
        if seconds > MAX_PROCESSING_SECONDS || (seconds == MAX_PROCESSING_SECONDS && nanos > 0) {
            return Err("must be at most 366 days".to_owned());
        }
        Ok(Self {
            seconds,
            nanos,
            illustrative,
        })
    }

    /// A whole number of days (demo data).
    pub(crate) fn days(days: i64, illustrative: bool) -> Self {
        Self {
            seconds: days * 24 * 60 * 60,
            nanos: 0,
            illustrative,
        }
    }
}

/// A legal text the service rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LegalReference {
    /// Its title, never empty.
    pub title: LocalizedText,
    /// Where to read it.
    pub url: Option<HttpsUrl>,
}

/// A national platform related to the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RelatedPlatform {
    /// Its name, never empty.
    pub display_name: LocalizedText,
    /// Its URL.
    pub url: HttpsUrl,
}

/// Everything about a service that callers write.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ServiceContent {
    /// The competent authority; None on create means the owning agency.
    pub competent_authority: Option<AgencyCode>,
    /// Its name, never empty once created.
    pub display_name: LocalizedText,
    /// What it is and does.
    pub description: LocalizedText,
    /// Search keywords, each with its translations.
    pub keywords: Vec<LocalizedText>,
    /// Its category.
    pub category: Option<Uuid>,
    /// Its life events, no duplicates.
    pub life_events: Vec<Uuid>,
    /// Who it is for, no duplicates.
    pub audiences: Vec<Audience>,
    /// How it is reached.
    pub channels: Vec<Channel>,
    /// Conditions the applicant must meet.
    pub requirements: Vec<LocalizedText>,
    /// Documents to provide.
    pub evidence: Vec<Evidence>,
    /// What it costs.
    pub costs: Vec<Cost>,
    /// How long it takes.
    pub processing_time: Option<ProcessingTime>,
    /// What the applicant gets.
    pub output: LocalizedText,
    /// Legal basis.
    pub legal_references: Vec<LegalReference>,
    /// Related national platforms.
    pub related_platforms: Vec<RelatedPlatform>,
}

/// The updatable top-level paths of a PublicService, in contract order.
pub(crate) const UPDATABLE_PATHS: [&str; 15] = [
    "competent_authority",
    "display_name",
    "description",
    "keywords",
    "category",
    "life_events",
    "audiences",
    "channels",
    "requirements",
    "evidence",
    "costs",
    "processing_time",
    "output",
    "legal_references",
    "related_platforms",
];

impl ServiceContent {
    /// The paths whose value is set (not empty), for the first revision's changed paths.
    pub(crate) fn set_paths(&self) -> Vec<String> {
        self.paths_where(|path| !self.is_empty_at(path))
    }

    /// The paths whose value differs from `other`.
    pub(crate) fn changed_paths(&self, other: &Self) -> Vec<String> {
        self.paths_where(|path| !self.same_at(other, path))
    }

    fn paths_where(&self, keep: impl Fn(&str) -> bool) -> Vec<String> {
        UPDATABLE_PATHS
            .iter()
            .filter(|path| keep(path))
            .map(|path| (*path).to_owned())
            .collect()
    }

    fn is_empty_at(&self, path: &str) -> bool {
        match path {
            "competent_authority" => self.competent_authority.is_none(),
            "display_name" => self.display_name.is_empty(),
            "description" => self.description.is_empty(),
            "keywords" => self.keywords.is_empty(),
            "category" => self.category.is_none(),
            "life_events" => self.life_events.is_empty(),
            "audiences" => self.audiences.is_empty(),
            "channels" => self.channels.is_empty(),
            "requirements" => self.requirements.is_empty(),
            "evidence" => self.evidence.is_empty(),
            "costs" => self.costs.is_empty(),
            "processing_time" => self.processing_time.is_none(),
            "output" => self.output.is_empty(),
            "legal_references" => self.legal_references.is_empty(),
            "related_platforms" => self.related_platforms.is_empty(),
            _ => true,
        }
    }

    fn same_at(&self, other: &Self, path: &str) -> bool {
        match path {
            "competent_authority" => self.competent_authority == other.competent_authority,
            "display_name" => self.display_name == other.display_name,
            "description" => self.description == other.description,
            "keywords" => self.keywords == other.keywords,
            "category" => self.category == other.category,
            "life_events" => self.life_events == other.life_events,
            "audiences" => self.audiences == other.audiences,
            "channels" => self.channels == other.channels,
            "requirements" => self.requirements == other.requirements,
            "evidence" => self.evidence == other.evidence,
            "costs" => self.costs == other.costs,
            "processing_time" => self.processing_time == other.processing_time,
            "output" => self.output == other.output,
            "legal_references" => self.legal_references == other.legal_references,
            "related_platforms" => self.related_platforms == other.related_platforms,
            _ => true,
        }
    }

    /// What a service still lacks to be published: a category, an audience, a channel.
    pub(crate) fn missing_for_publication(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if self.category.is_none() {
            missing.push("category");
        }
        if self.audiences.is_empty() {
            missing.push("audiences");
        }
        if self.channels.is_empty() {
            missing.push("channels");
        }
        missing
    }

    /// The search tokens of its name, keywords and description, each once per field
    /// and language.
    pub(crate) fn search_tokens(&self) -> Vec<SearchToken> {
        let mut tokens = Vec::new();
        let mut add = |field: SearchField, text: &LocalizedText| {
            for (language, text) in text.entries() {
                for token in index_tokens(text) {
                    let entry = SearchToken {
                        field,
                        language: language.to_string(),
                        token,
                    };
                    if !tokens.contains(&entry) {
                        tokens.push(entry);
                    }
                }
            }
        };
        add(SearchField::Name, &self.display_name);
        for keyword in &self.keywords {
            add(SearchField::Keyword, keyword);
        }
        add(SearchField::Description, &self.description);
        tokens
    }

    /// Whether a change from `other` touches the searched texts.
    pub(crate) fn search_texts_differ(&self, other: &Self) -> bool {
        self.display_name != other.display_name
            || self.keywords != other.keywords
            || self.description != other.description
    }
}

/// One folded word of a service, as the search index holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SearchToken {
    /// Where it comes from.
    pub field: SearchField,
    /// The language of the text it comes from.
    pub language: String,
    /// The folded word.
    pub token: String,
}

/// Which parts of a service an update replaces; None leaves a part as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ServicePatch {
    /// New competent authority.
    pub competent_authority: Option<Option<AgencyCode>>,
    /// New name.
    pub display_name: Option<LocalizedText>,
    /// New description.
    pub description: Option<LocalizedText>,
    /// New keywords.
    pub keywords: Option<Vec<LocalizedText>>,
    /// New category; `Some(None)` removes it.
    pub category: Option<Option<Uuid>>,
    /// New life events.
    pub life_events: Option<Vec<Uuid>>,
    /// New audiences.
    pub audiences: Option<Vec<Audience>>,
    /// New channels.
    pub channels: Option<Vec<Channel>>,
    /// New requirements.
    pub requirements: Option<Vec<LocalizedText>>,
    /// New evidence.
    pub evidence: Option<Vec<Evidence>>,
    /// New costs.
    pub costs: Option<Vec<Cost>>,
    /// New processing time; `Some(None)` removes it.
    pub processing_time: Option<Option<ProcessingTime>>,
    /// New output.
    pub output: Option<LocalizedText>,
    /// New legal references.
    pub legal_references: Option<Vec<LegalReference>>,
    /// New related platforms.
    pub related_platforms: Option<Vec<RelatedPlatform>>,
}

impl ServicePatch {
    /// The content with this patch applied.
    pub(crate) fn apply(self, mut content: ServiceContent) -> ServiceContent {
        macro_rules! replace {
            ($($field:ident),* $(,)?) => {
                $(if let Some(value) = self.$field {
                    content.$field = value;
                })*
            };
        }
        replace!(
            competent_authority,
            display_name,
            description,
            keywords,
            category,
            life_events,
            audiences,
            channels,
            requirements,
            evidence,
            costs,
            processing_time,
            output,
            legal_references,
            related_platforms,
        );
        content
    }
}

/// A public service's name, `agencies/{agency}/services/{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServiceName {
    /// The owning agency.
    pub agency: AgencyCode,
    /// The service's id.
    pub id: Uuid,
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "agencies/{}/services/{}", self.agency, self.id)
    }
}

/// What a service's content references and the store must find: its competent
/// authority, its category and its life events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct References {
    /// An agency.
    pub competent_authority: Option<AgencyCode>,
    /// A category.
    pub category: Option<Uuid>,
    /// Life events.
    pub life_events: Vec<Uuid>,
}

/// The references the store did not find.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct MissingReferences {
    /// The competent authority, when no such agency exists.
    pub competent_authority: Option<AgencyCode>,
    /// The category, when no such category exists.
    pub category: Option<Uuid>,
    /// The life events that do not exist.
    pub life_events: BTreeSet<Uuid>,
}

impl ServiceContent {
    /// The content as stored for `agency`: with no competent authority named, the owning
    /// agency is it.
    fn owned_by(mut self, agency: &AgencyCode) -> Self {
        if self.competent_authority.is_none() {
            self.competent_authority = Some(agency.clone());
        }
        self
    }

    /// The references to look up: every one on a create (`previous` None), else those
    /// that differ from `previous` (the others were checked when they were set, and
    /// agencies and terms are never deleted).
    pub(crate) fn references_to_check(&self, previous: Option<&Self>) -> References {
        let changed = |same: bool| previous.is_none() || !same;
        References {
            competent_authority: self.competent_authority.clone().filter(|_| {
                changed(previous.is_some_and(|p| p.competent_authority == self.competent_authority))
            }),
            category: self
                .category
                .filter(|_| changed(previous.is_some_and(|p| p.category == self.category))),
            life_events: if changed(previous.is_some_and(|p| p.life_events == self.life_events)) {
                self.life_events.clone()
            } else {
                Vec::new()
            },
        }
    }

    /// One violation per missing reference, named as the request names it.
    fn reference_violations(&self, missing: &MissingReferences) -> Vec<FieldViolation> {
        let mut violations = Violations::new();
        if let Some(authority) = &missing.competent_authority {
            violations.add(
                "competent_authority.name",
                format!("there is no agency `{authority}`"),
            );
        }
        if let Some(category) = missing.category {
            violations.add(
                "category",
                format!("there is no category `categories/{category}`"),
            );
        }
        for (index, life_event) in self.life_events.iter().enumerate() {
            if missing.life_events.contains(life_event) {
                violations.add(
                    format!("life_events[{index}]"),
                    format!("there is no life event `lifeEvents/{life_event}`"),
                );
            }
        }
        let mut nested = Violations::new();
        nested.extend_under(FIELD, violations.into_vec());
        nested.into_vec()
    }
}

/// A public service as stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PublicService {
    /// Its id (UUIDv7).
    pub id: Uuid,
    /// The owning agency.
    pub agency: AgencyCode,
    /// What callers wrote; `competent_authority` is always set once stored.
    pub content: ServiceContent,
    /// Lifecycle status.
    pub status: Status,
    /// The current revision: 1 on creation, +1 on every change. Also its version.
    pub revision: i64,
    /// When it was created.
    pub create_time: Timestamp,
    /// When it last changed.
    pub update_time: Timestamp,
    /// When it was published.
    pub publish_time: Option<Timestamp>,
    /// When it was retired.
    pub retire_time: Option<Timestamp>,
}

impl PublicService {
    /// Refuses to create a service under another agency than the caller's
    /// (PERMISSION_DENIED: agencies are public, so this reveals nothing).
    pub(crate) fn check_creator(caller: &Caller, agency: &AgencyCode) -> Result<(), Error> {
        acting_for(
            caller,
            agency,
            "services are created under the caller's own agency",
        )
    }

    /// Refuses a change by a caller of another agency: to them the service is NOT_FOUND,
    /// published or not.
    pub(crate) fn check_changer(caller: &Caller, name: &ServiceName) -> Result<(), Error> {
        if caller.acts_for(name.agency.as_str()) {
            Ok(())
        } else {
            Err(Error::NotFound("public service"))
        }
    }

    /// The content a create would store: the owning agency is the competent authority
    /// unless another is named.
    pub(crate) fn proposed_content(agency: &AgencyCode, content: ServiceContent) -> ServiceContent {
        content.owned_by(agency)
    }

    /// A new draft `id` of `agency` at revision 1, made by `actor` at `now`, and its
    /// first revision; refused when a reference is `missing`.
    pub(crate) fn create(
        id: Uuid,
        agency: AgencyCode,
        content: ServiceContent,
        missing: &MissingReferences,
        actor: &str,
        now: Timestamp,
    ) -> Result<Revision, Error> {
        let content = content.owned_by(&agency);
        let violations = content.reference_violations(missing);
        if !violations.is_empty() {
            return Err(Error::Invalid(violations));
        }
        let changed = content.set_paths();
        let service = Self {
            id,
            agency,
            content,
            status: Status::Draft,
            revision: 1,
            create_time: now,
            update_time: now,
            publish_time: None,
            retire_time: None,
        };
        Ok(Revision::of(
            service,
            RevisionAction::Create,
            actor,
            changed,
        ))
    }

    /// Its resource name.
    pub(crate) fn name(&self) -> ServiceName {
        ServiceName {
            agency: self.agency.clone(),
            id: self.id,
        }
    }

    /// The competent authority, the owning agency unless another is named.
    pub(crate) fn competent_authority(&self) -> &AgencyCode {
        self.content
            .competent_authority
            .as_ref()
            .unwrap_or(&self.agency)
    }

    /// The content `patch` would leave, or why the service cannot change: a retired
    /// service is final.
    pub(crate) fn patched(&self, patch: ServicePatch) -> Result<ServiceContent, Error> {
        if self.status == Status::Retired {
            return Err(Error::precondition(
                reasons::SERVICE_RETIRED,
                "a retired service cannot be changed",
            ));
        }
        Ok(patch.apply(self.content.clone()).owned_by(&self.agency))
    }

    /// The service with `content` (from [`Self::patched`]) at the next revision, made by
    /// `actor` at `now`, and that revision. Refused when a reference is `missing`, or
    /// when a published service would lose what publication needs.
    pub(crate) fn updated(
        &self,
        content: ServiceContent,
        missing: &MissingReferences,
        actor: &str,
        now: Timestamp,
    ) -> Result<Revision, Error> {
        let violations = content.reference_violations(missing);
        if !violations.is_empty() {
            return Err(Error::Invalid(violations));
        }
        if self.status == Status::Published {
            let missing = content.missing_for_publication();
            if !missing.is_empty() {
                return Err(Error::Precondition {
                    reason: reasons::PUBLISHED_SERVICE_INCOMPLETE,
                    message: format!("a published service must keep: {}", missing.join(", ")),
                    missing,
                });
            }
        }
        let changed = content.changed_paths(&self.content);
        let service = Self {
            content,
            revision: self.revision + 1,
            update_time: now,
            ..self.clone()
        };
        Ok(Revision::of(
            service,
            RevisionAction::Update,
            actor,
            changed,
        ))
    }

    /// The service published by `actor` at `now`, and that revision; only a complete
    /// draft is published.
    pub(crate) fn published(&self, actor: &str, now: Timestamp) -> Result<Revision, Error> {
        if self.status != Status::Draft {
            return Err(Error::precondition(
                reasons::SERVICE_NOT_DRAFT,
                "only a draft can be published",
            ));
        }
        let missing = self.content.missing_for_publication();
        if !missing.is_empty() {
            return Err(Error::Precondition {
                reason: reasons::SERVICE_INCOMPLETE,
                message: format!(
                    "the service cannot be published without: {}",
                    missing.join(", ")
                ),
                missing,
            });
        }
        let service = Self {
            status: Status::Published,
            revision: self.revision + 1,
            update_time: now,
            publish_time: Some(now),
            ..self.clone()
        };
        Ok(Revision::lifecycle(service, RevisionAction::Publish, actor))
    }

    /// The service retired by `actor` at `now`, and that revision; only a published
    /// service is retired.
    pub(crate) fn retired(&self, actor: &str, now: Timestamp) -> Result<Revision, Error> {
        if self.status != Status::Published {
            return Err(Error::precondition(
                reasons::SERVICE_NOT_PUBLISHED,
                "only a published service can be retired",
            ));
        }
        let service = Self {
            status: Status::Retired,
            revision: self.revision + 1,
            update_time: now,
            retire_time: Some(now),
            ..self.clone()
        };
        Ok(Revision::lifecycle(service, RevisionAction::Retire, actor))
    }

    /// Refuses to delete anything but a draft: a published service is retired instead,
    /// so its history stays.
    pub(crate) fn check_deletable(&self) -> Result<(), Error> {
        if self.status == Status::Draft {
            Ok(())
        } else {
            Err(Error::precondition(
                reasons::SERVICE_NOT_DRAFT,
                "only a draft can be deleted; retire a published service instead",
            ))
        }
    }
}

/// CreatePublicService, as the caller asked.
#[derive(Debug, Clone)]
pub(crate) struct NewService {
    /// The owning agency.
    pub parent: AgencyCode,
    /// What it is.
    pub content: ServiceContent,
    /// The caller's request_id; None: not idempotent.
    pub request_id: Option<RequestId>,
}

/// UpdatePublicService, as the caller asked.
#[derive(Debug, Clone)]
pub(crate) struct ServiceUpdate {
    /// Which service.
    pub name: ServiceName,
    /// What changes.
    pub patch: ServicePatch,
    /// The version the caller read.
    pub if_match: IfMatch,
}

/// The agencies services name: their owners and competent authorities.
pub(crate) fn named_agencies<'a>(
    services: impl IntoIterator<Item = &'a PublicService>,
) -> BTreeSet<AgencyCode> {
    services
        .into_iter()
        .flat_map(|service| {
            [
                service.agency.clone(),
                service.competent_authority().clone(),
            ]
        })
        .collect()
}

/// Checks a list for duplicates; violations name `[i]` of each repeat.
pub(crate) fn no_duplicates<T: PartialEq>(items: &[T]) -> Result<(), Vec<FieldViolation>> {
    let mut violations = Violations::new();
    for (index, item) in items.iter().enumerate() {
        if items[..index].contains(item) {
            violations.add(format!("[{index}]"), "is listed twice");
        }
    }
    violations.finish(|| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> PublicService {
        PublicService {
            id: Uuid::now_v7(),
            agency: AgencyCode::parse("bm").unwrap(),
            content: ServiceContent {
                display_name: LocalizedText::single("fr", "Note de renseignements"),
                ..ServiceContent::default()
            },
            status: Status::Draft,
            revision: 1,
            create_time: Timestamp::UNIX_EPOCH,
            update_time: Timestamp::UNIX_EPOCH,
            publish_time: None,
            retire_time: None,
        }
    }

    fn online() -> Channel {
        Channel::new(
            ChannelKind::Online,
            LocalizedText::default(),
            Some(HttpsUrl::parse("https://rokhas.ma").unwrap()),
            None,
            None,
            None,
        )
        .unwrap()
    }

    #[test]
    fn money_is_positive_and_in_an_accepted_currency() {
        assert!(Money::parse("MAD", 15000).is_ok());
        assert!(Money::parse("EUR", 1).is_ok());
        let err = Money::parse("USD", -5).unwrap_err();
        let fields: Vec<_> = err.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, vec!["currency_code", "amount_minor"]);
        assert_eq!(Money::parse("MAD", 0).unwrap_err()[0].field, "amount_minor");
    }

    #[test]
    fn processing_times_are_positive_and_at_most_a_leap_year() {
        assert!(ProcessingTime::parse(15 * 86400, 0, false).is_ok());
        assert!(ProcessingTime::parse(0, 1, false).is_ok());
        assert!(ProcessingTime::parse(MAX_PROCESSING_SECONDS, 0, false).is_ok());
        assert!(ProcessingTime::parse(MAX_PROCESSING_SECONDS, 1, false).is_err());
        assert!(ProcessingTime::parse(0, 0, false).is_err());
        assert!(ProcessingTime::parse(-1, 0, false).is_err());
        assert!(ProcessingTime::parse(10, -1, false).is_err());
        assert!(ProcessingTime::parse(10, 1_000_000_000, false).is_err());
    }

    #[test]
    fn channels_need_what_their_kind_needs() {
        let none = || LocalizedText::default();
        assert_eq!(
            Channel::new(ChannelKind::Online, none(), None, None, None, None).unwrap_err()[0].field,
            "url"
        );
        assert_eq!(
            Channel::new(ChannelKind::InPerson, none(), None, None, None, None).unwrap_err()[0]
                .field,
            "address"
        );
        assert_eq!(
            Channel::new(ChannelKind::Phone, none(), None, None, None, None).unwrap_err()[0].field,
            "phone"
        );
        assert!(Channel::new(ChannelKind::Consulate, none(), None, None, None, None).is_ok());
        let hours = OpeningHours {
            time_zone: "Africa/Casablanca".to_owned(),
            periods: Vec::new(),
        };
        let online = Channel::new(
            ChannelKind::Online,
            none(),
            Some(HttpsUrl::parse("https://rokhas.ma").unwrap()),
            None,
            None,
            Some(hours),
        )
        .unwrap();
        assert_eq!(online.opening_hours, None, "hours mean nothing online");
    }

    #[test]
    fn only_what_the_public_sees_is_a_public_change() {
        use crate::domain::revision::PublicChange;
        let now = Timestamp::from_second(1_754_000_000).unwrap();
        let mut complete = draft();
        complete.content.category = Some(Uuid::now_v7());
        complete.content.audiences = vec![Audience::Diaspora];
        complete.content.channels = vec![online()];
        let renamed = |service: &PublicService| {
            let mut content = service.content.clone();
            content.display_name = LocalizedText::single("fr", "Note de renseignements urbains");
            service
                .updated(content, &MissingReferences::default(), "desk", now)
                .unwrap()
        };
        assert_eq!(renamed(&complete).public_change(), None, "a draft's update");
        let published = complete.published("desk", now).unwrap();
        assert_eq!(published.public_change(), Some(PublicChange::Published));
        let published = published.snapshot;
        assert_eq!(
            renamed(&published).public_change(),
            Some(PublicChange::Changed)
        );
        let unchanged = published
            .updated(
                published.content.clone(),
                &MissingReferences::default(),
                "desk",
                now,
            )
            .unwrap();
        assert_eq!(
            unchanged.public_change(),
            None,
            "an update that altered nothing"
        );
        let retired = published.retired("desk", now).unwrap();
        assert_eq!(retired.public_change(), Some(PublicChange::Retired));
    }

    #[test]
    fn lifecycle_draft_published_retired() {
        let service = draft();
        let now = Timestamp::from_second(1_754_000_000).unwrap();
        let Err(Error::Precondition {
            missing, reason, ..
        }) = service.published("desk", now)
        else {
            panic!("an incomplete draft was published");
        };
        assert_eq!(reason, reasons::SERVICE_INCOMPLETE);
        assert_eq!(missing, vec!["category", "audiences", "channels"]);
        assert!(service.retired("desk", now).is_err());
        let mut complete = service.clone();
        complete.content.category = Some(Uuid::now_v7());
        complete.content.audiences = vec![Audience::Diaspora];
        complete.content.channels = vec![online()];
        let published = complete.published("desk", now).unwrap();
        assert_eq!(published.number, 2);
        assert_eq!(published.changed_fields, ["status", "publish_time"]);
        let published = published.snapshot;
        assert_eq!(published.status, Status::Published);
        assert_eq!(published.publish_time, Some(now));
        assert!(published.published("desk", now).is_err());
        assert!(published.check_deletable().is_err());
        let retired = published.retired("desk", now).unwrap().snapshot;
        assert_eq!((retired.status, retired.revision), (Status::Retired, 3));
        assert!(retired.retired("desk", now).is_err());
        assert!(matches!(
            retired.patched(ServicePatch::default()),
            Err(Error::Precondition {
                reason: reasons::SERVICE_RETIRED,
                ..
            })
        ));
    }

    #[test]
    fn a_published_service_keeps_what_publication_needs() {
        let mut service = draft();
        service.status = Status::Published;
        service.content.category = Some(Uuid::now_v7());
        service.content.audiences = vec![Audience::Citizens];
        service.content.channels = vec![online()];
        let emptied = service
            .patched(ServicePatch {
                channels: Some(Vec::new()),
                ..ServicePatch::default()
            })
            .unwrap();
        let refused = service.updated(
            emptied,
            &MissingReferences::default(),
            "desk",
            Timestamp::UNIX_EPOCH,
        );
        assert!(matches!(
            refused,
            Err(Error::Precondition {
                reason: reasons::PUBLISHED_SERVICE_INCOMPLETE,
                ..
            })
        ));
    }

    #[test]
    fn missing_references_are_named_as_the_request_names_them() {
        let life_event = Uuid::now_v7();
        let content = ServiceContent {
            life_events: vec![Uuid::now_v7(), life_event],
            ..draft().content
        };
        let bm = AgencyCode::parse("bm").unwrap();
        let proposed = PublicService::proposed_content(&bm, content.clone());
        assert_eq!(proposed.competent_authority, Some(bm.clone()));
        assert_eq!(
            proposed.references_to_check(None).life_events,
            content.life_events
        );
        assert!(proposed.references_to_check(Some(&proposed)) == References::default());
        let missing = MissingReferences {
            competent_authority: Some(bm.clone()),
            category: None,
            life_events: [life_event].into_iter().collect(),
        };
        let Err(Error::Invalid(violations)) = PublicService::create(
            Uuid::now_v7(),
            bm,
            content,
            &missing,
            "desk",
            Timestamp::UNIX_EPOCH,
        ) else {
            panic!("created with missing references");
        };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "public_service.competent_authority.name",
                "public_service.life_events[1]"
            ]
        );
    }

    #[test]
    fn changed_and_set_paths() {
        let before = draft().content;
        assert_eq!(before.set_paths(), vec!["display_name"]);
        let mut after = before.clone();
        after.costs = vec![Cost {
            price: Price::Free,
            description: LocalizedText::default(),
            channel_kinds: Vec::new(),
            illustrative: true,
        }];
        after.audiences = vec![Audience::Citizens];
        assert_eq!(after.changed_paths(&before), vec!["audiences", "costs"]);
        assert!(!after.search_texts_differ(&before));
        let patch = ServicePatch {
            keywords: Some(vec![LocalizedText::single("fr", "logement")]),
            ..ServicePatch::default()
        };
        let patched = patch.apply(after.clone());
        assert_eq!(patched.changed_paths(&after), vec!["keywords"]);
        assert!(patched.search_texts_differ(&after));
    }

    #[test]
    fn search_tokens_cover_names_keywords_and_descriptions() {
        let mut content = draft().content;
        content.keywords = vec![LocalizedText::single("fr", "Logement").with("ar", "السكن")];
        let tokens: Vec<_> = content
            .search_tokens()
            .into_iter()
            .map(|t| (t.field, t.token))
            .collect();
        assert!(tokens.contains(&(SearchField::Name, "renseignements".to_owned())));
        assert!(tokens.contains(&(SearchField::Keyword, "logement".to_owned())));
        assert!(tokens.contains(&(SearchField::Keyword, "سكن".to_owned())));
        assert!(tokens.contains(&(SearchField::Keyword, "السكن".to_owned())));
    }

    #[test]
    fn duplicates_are_named_by_index() {
        assert!(no_duplicates(&[1, 2, 3]).is_ok());
        assert_eq!(no_duplicates(&[1, 2, 1]).unwrap_err()[0].field, "[2]");
    }
}
