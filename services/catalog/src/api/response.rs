//! Domain values into responses, with every text resolved for the reader along the owning
//! agency's fallback chain and the names of referenced agencies filled in.

use jalia_model::{AgencyCode, FallbackChain, FeedItem, LanguageCode, LocalizedText, Page};
use jalia_proto::catalog::v1 as wire;
use jalia_proto::convert::{
    agency_reference_for, audiences_for, etag_for, localized_text_for, postal_address_for,
    timestamp,
};
use jalia_proto::r#type::v1 as shared;

use crate::domain::agency::{Agency, AgencyKind, AgencyLabels, Labelled, Site, SiteKind};
use crate::domain::hours::{OpeningHours, Weekday};
use crate::domain::place::ContactPoint;
use crate::domain::public_service::{
    Channel, ChannelKind, Cost, Evidence, LegalReference, Price, ProcessingTime, PublicService,
    RelatedPlatform, Status,
};
use crate::domain::revision::{PublicChange, Revision, RevisionAction};
use crate::domain::search::SearchField;
use crate::domain::taxonomy::{Term, TermKind};
use crate::store::search::Hit;

/// An agency.
pub(crate) fn agency(found: &Labelled<Agency>, wanted: &[LanguageCode]) -> wire::Agency {
    Reader::new(wanted, &found.agencies).agency(&found.value)
}

/// A page of agencies.
pub(crate) fn agencies(
    found: &Labelled<Page<Agency>>,
    wanted: &[LanguageCode],
) -> wire::ListAgenciesResponse {
    let reader = Reader::new(wanted, &found.agencies);
    wire::ListAgenciesResponse {
        agencies: found.value.items.iter().map(|a| reader.agency(a)).collect(),
        next_page_token: found.value.next_page_token_or_empty(),
    }
}

/// A category.
pub(crate) fn category(term: &Term, wanted: &[LanguageCode]) -> wire::Category {
    let (display_name, description) = term_texts(term, wanted);
    wire::Category {
        name: TermKind::Category.name(term.id),
        display_name,
        description,
        create_time: Some(timestamp(term.create_time)),
        update_time: Some(timestamp(term.update_time)),
        etag: etag_for(term.version),
    }
}

/// A page of categories.
pub(crate) fn categories(
    found: &Page<Term>,
    wanted: &[LanguageCode],
) -> wire::ListCategoriesResponse {
    wire::ListCategoriesResponse {
        categories: found.items.iter().map(|t| category(t, wanted)).collect(),
        next_page_token: found.next_page_token_or_empty(),
    }
}

/// A life event.
pub(crate) fn life_event(term: &Term, wanted: &[LanguageCode]) -> wire::LifeEvent {
    let (display_name, description) = term_texts(term, wanted);
    wire::LifeEvent {
        name: TermKind::LifeEvent.name(term.id),
        display_name,
        description,
        create_time: Some(timestamp(term.create_time)),
        update_time: Some(timestamp(term.update_time)),
        etag: etag_for(term.version),
    }
}

/// A page of life events.
pub(crate) fn life_events(
    found: &Page<Term>,
    wanted: &[LanguageCode],
) -> wire::ListLifeEventsResponse {
    wire::ListLifeEventsResponse {
        life_events: found.items.iter().map(|t| life_event(t, wanted)).collect(),
        next_page_token: found.next_page_token_or_empty(),
    }
}

/// A term's name and description, along the default chain: the taxonomy is the
/// ministry's, shared by every agency.
fn term_texts(
    term: &Term,
    wanted: &[LanguageCode],
) -> (Option<shared::LocalizedText>, Option<shared::LocalizedText>) {
    let labels = AgencyLabels::default();
    let reader = Reader::new(wanted, &labels);
    let chain = FallbackChain::default();
    (
        reader.text(&term.content.display_name, &chain),
        reader.text(&term.content.description, &chain),
    )
}

/// A public service.
pub(crate) fn service(
    found: &Labelled<PublicService>,
    wanted: &[LanguageCode],
) -> wire::PublicService {
    Reader::new(wanted, &found.agencies).service(&found.value)
}

/// A page of public services.
pub(crate) fn services(
    found: &Labelled<Page<PublicService>>,
    wanted: &[LanguageCode],
) -> wire::ListPublicServicesResponse {
    let reader = Reader::new(wanted, &found.agencies);
    wire::ListPublicServicesResponse {
        public_services: found
            .value
            .items
            .iter()
            .map(|s| reader.service(s))
            .collect(),
        next_page_token: found.value.next_page_token_or_empty(),
    }
}

/// A revision.
pub(crate) fn revision(
    found: &Labelled<Revision>,
    wanted: &[LanguageCode],
) -> wire::PublicServiceRevision {
    Reader::new(wanted, &found.agencies).revision(&found.value)
}

/// A page of revisions.
pub(crate) fn revisions(
    found: &Labelled<Page<Revision>>,
    wanted: &[LanguageCode],
) -> wire::ListPublicServiceRevisionsResponse {
    let reader = Reader::new(wanted, &found.agencies);
    wire::ListPublicServiceRevisionsResponse {
        public_service_revisions: found
            .value
            .items
            .iter()
            .map(|r| reader.revision(r))
            .collect(),
        next_page_token: found.value.next_page_token_or_empty(),
    }
}

/// A page of search results.
pub(crate) fn search_results(
    found: &Labelled<Page<Hit>>,
    wanted: &[LanguageCode],
) -> wire::SearchPublicServicesResponse {
    let reader = Reader::new(wanted, &found.agencies);
    wire::SearchPublicServicesResponse {
        results: found
            .value
            .items
            .iter()
            .map(|hit| reader.search_result(hit))
            .collect(),
        next_page_token: found.value.next_page_token_or_empty(),
    }
}

/// The processing target of a published service.
pub(crate) fn processing_target(service: &PublicService) -> wire::GetProcessingTargetResponse {
    let time = service.content.processing_time;
    wire::GetProcessingTargetResponse {
        public_service: service.name().to_string(),
        revision: service.revision,
        processing_time: time.and_then(|time| processing_time(time).duration),
        illustrative: time.is_some_and(|time| time.illustrative),
    }
}

/// Renders for one reader.
struct Reader<'a> {
    wanted: &'a [LanguageCode],
    agencies: &'a AgencyLabels,
}

impl<'a> Reader<'a> {
    /// A reader wanting `wanted`, with the agencies the response names.
    fn new(wanted: &'a [LanguageCode], agencies: &'a AgencyLabels) -> Self {
        Self { wanted, agencies }
    }

    /// Optional texts stay unset when empty.
    fn text(&self, text: &LocalizedText, chain: &FallbackChain) -> Option<shared::LocalizedText> {
        (!text.is_empty()).then(|| localized_text_for(text, self.wanted, chain))
    }

    fn texts(&self, texts: &[LocalizedText], chain: &FallbackChain) -> Vec<shared::LocalizedText> {
        texts
            .iter()
            .map(|text| localized_text_for(text, self.wanted, chain))
            .collect()
    }

    fn agency_reference(&self, code: &AgencyCode) -> shared::AgencyReference {
        agency_reference_for(
            code,
            self.agencies
                .display_name(code)
                .and_then(|name| self.text(name, &self.agencies.chain(code))),
        )
    }

    fn agency(&self, agency: &Agency) -> wire::Agency {
        let chain = agency.content.fallback_chain();
        let content = &agency.content;
        wire::Agency {
            name: format!("agencies/{}", agency.code),
            code: agency.code.to_string(),
            display_name: self.text(&content.display_name, &chain),
            kind: agency_kind(content.kind) as i32,
            region: self.text(&content.region, &chain),
            province: self.text(&content.province, &chain),
            contact_points: content
                .contact_points
                .iter()
                .map(|point| self.contact_point(point, &chain))
                .collect(),
            parent_body: content
                .parent_body
                .as_ref()
                .map(|parent| self.agency_reference(parent)),
            sites: content
                .sites
                .iter()
                .map(|site| self.site(site, &chain))
                .collect(),
            fallback_language_codes: content
                .fallback_languages
                .iter()
                .map(ToString::to_string)
                .collect(),
            create_time: Some(timestamp(agency.create_time)),
            update_time: Some(timestamp(agency.update_time)),
            etag: etag_for(agency.version),
        }
    }

    fn contact_point(&self, point: &ContactPoint, chain: &FallbackChain) -> shared::ContactPoint {
        shared::ContactPoint {
            label: self.text(&point.label, chain),
            email: point
                .email
                .as_ref()
                .map(|email| email.as_str().to_owned())
                .unwrap_or_default(),
            phone: point
                .phone
                .as_ref()
                .map(|phone| phone.as_str().to_owned())
                .unwrap_or_default(),
            url: point
                .url
                .as_ref()
                .map(|url| url.as_str().to_owned())
                .unwrap_or_default(),
        }
    }

    fn site(&self, site: &Site, chain: &FallbackChain) -> wire::Site {
        wire::Site {
            display_name: self.text(&site.display_name, chain),
            kind: match site.kind {
                SiteKind::Headquarters => wire::SiteKind::Headquarters,
                SiteKind::Antenna => wire::SiteKind::Antenna,
            } as i32,
            address: Some(postal_address_for(&site.address, self.wanted, chain)),
            opening_hours: site.opening_hours.as_ref().map(opening_hours),
        }
    }

    /// A public service, its texts resolved along its owner's chain.
    fn service(&self, service: &PublicService) -> wire::PublicService {
        let chain = self.agencies.chain(&service.agency);
        let content = &service.content;
        wire::PublicService {
            name: service.name().to_string(),
            competent_authority: Some(self.agency_reference(service.competent_authority())),
            display_name: self.text(&content.display_name, &chain),
            description: self.text(&content.description, &chain),
            keywords: self.texts(&content.keywords, &chain),
            category: content
                .category
                .map(|id| TermKind::Category.name(id))
                .unwrap_or_default(),
            life_events: content
                .life_events
                .iter()
                .map(|id| TermKind::LifeEvent.name(*id))
                .collect(),
            audiences: audiences_for(&content.audiences),
            channels: content
                .channels
                .iter()
                .map(|channel| self.channel(channel, &chain))
                .collect(),
            requirements: self.texts(&content.requirements, &chain),
            evidence: content
                .evidence
                .iter()
                .map(|evidence| self.evidence(evidence, &chain))
                .collect(),
            costs: content
                .costs
                .iter()
                .map(|cost| self.cost(cost, &chain))
                .collect(),
            processing_time: content.processing_time.map(processing_time),
            output: self.text(&content.output, &chain),
            legal_references: content
                .legal_references
                .iter()
                .map(|reference| self.legal_reference(reference, &chain))
                .collect(),
            related_platforms: content
                .related_platforms
                .iter()
                .map(|platform| self.related_platform(platform, &chain))
                .collect(),
            status: status(service.status) as i32,
            revision: service.revision,
            create_time: Some(timestamp(service.create_time)),
            update_time: Some(timestamp(service.update_time)),
            publish_time: service.publish_time.map(timestamp),
            retire_time: service.retire_time.map(timestamp),
            etag: etag_for(service.revision),
        }
    }

    fn channel(&self, channel: &Channel, chain: &FallbackChain) -> wire::Channel {
        wire::Channel {
            kind: channel_kind(channel.kind) as i32,
            label: self.text(&channel.label, chain),
            url: channel
                .url
                .as_ref()
                .map(|url| url.as_str().to_owned())
                .unwrap_or_default(),
            address: channel
                .address
                .as_ref()
                .map(|address| postal_address_for(address, self.wanted, chain)),
            phone: channel
                .phone
                .as_ref()
                .map(|phone| phone.as_str().to_owned())
                .unwrap_or_default(),
            opening_hours: channel.opening_hours.as_ref().map(opening_hours),
        }
    }

    fn evidence(&self, evidence: &Evidence, chain: &FallbackChain) -> wire::Evidence {
        wire::Evidence {
            display_name: self.text(&evidence.display_name, chain),
            description: self.text(&evidence.description, chain),
            channel_kinds: channel_kinds(&evidence.channel_kinds),
        }
    }

    fn cost(&self, cost: &Cost, chain: &FallbackChain) -> wire::Cost {
        wire::Cost {
            price: Some(match cost.price {
                Price::Amount(money) => wire::cost::Price::Amount(shared::Money {
                    currency_code: money.currency.code().to_owned(),
                    amount_minor: money.amount_minor,
                }),
                Price::Free => wire::cost::Price::Free(true),
            }),
            description: self.text(&cost.description, chain),
            channel_kinds: channel_kinds(&cost.channel_kinds),
            illustrative: cost.illustrative,
        }
    }

    fn legal_reference(
        &self,
        reference: &LegalReference,
        chain: &FallbackChain,
    ) -> wire::LegalReference {
        wire::LegalReference {
            title: self.text(&reference.title, chain),
            url: reference
                .url
                .as_ref()
                .map(|url| url.as_str().to_owned())
                .unwrap_or_default(),
        }
    }

    fn related_platform(
        &self,
        platform: &RelatedPlatform,
        chain: &FallbackChain,
    ) -> wire::RelatedPlatform {
        wire::RelatedPlatform {
            display_name: self.text(&platform.display_name, chain),
            url: platform.url.as_str().to_owned(),
        }
    }

    /// A revision: its snapshot rendered like any read.
    fn revision(&self, revision: &Revision) -> wire::PublicServiceRevision {
        wire::PublicServiceRevision {
            name: format!("{}/revisions/{}", revision.snapshot.name(), revision.number),
            revision: revision.number,
            action: revision_action(revision.action) as i32,
            public_service: Some(self.service(&revision.snapshot)),
            actor: revision.actor.clone(),
            create_time: Some(timestamp(revision.create_time)),
            changed_fields: Some(prost_types::FieldMask {
                paths: revision.changed_fields.clone(),
            }),
        }
    }

    fn search_result(&self, hit: &Hit) -> wire::SearchResult {
        wire::SearchResult {
            public_service: Some(self.service(&hit.service)),
            score: i32::try_from(hit.score).unwrap_or(i32::MAX),
            matched_field: hit
                .matched_field
                .map_or(wire::SearchMatchField::Unspecified, match_field)
                as i32,
        }
    }
}

fn agency_kind(kind: AgencyKind) -> wire::AgencyKind {
    match kind {
        AgencyKind::UrbanAgency => wire::AgencyKind::UrbanAgency,
        AgencyKind::Wilaya => wire::AgencyKind::Wilaya,
        AgencyKind::Province => wire::AgencyKind::Province,
        AgencyKind::Ministry => wire::AgencyKind::Ministry,
        AgencyKind::MinistryBody => wire::AgencyKind::MinistryBody,
        AgencyKind::RegionalCouncil => wire::AgencyKind::RegionalCouncil,
        AgencyKind::ProvincialCouncil => wire::AgencyKind::ProvincialCouncil,
        AgencyKind::Commune => wire::AgencyKind::Commune,
        AgencyKind::Consulate => wire::AgencyKind::Consulate,
    }
}

fn channel_kind(kind: ChannelKind) -> wire::ChannelKind {
    match kind {
        ChannelKind::Online => wire::ChannelKind::Online,
        ChannelKind::InPerson => wire::ChannelKind::InPerson,
        ChannelKind::Mail => wire::ChannelKind::Mail,
        ChannelKind::Consulate => wire::ChannelKind::Consulate,
        ChannelKind::Phone => wire::ChannelKind::Phone,
    }
}

fn channel_kinds(kinds: &[ChannelKind]) -> Vec<i32> {
    kinds
        .iter()
        .map(|kind| channel_kind(*kind) as i32)
        .collect()
}

fn status(status: Status) -> wire::PublicServiceStatus {
    match status {
        Status::Draft => wire::PublicServiceStatus::Draft,
        Status::Published => wire::PublicServiceStatus::Published,
        Status::Retired => wire::PublicServiceStatus::Retired,
    }
}

fn revision_action(action: RevisionAction) -> wire::RevisionAction {
    match action {
        RevisionAction::Create => wire::RevisionAction::Create,
        RevisionAction::Update => wire::RevisionAction::Update,
        RevisionAction::Publish => wire::RevisionAction::Publish,
        RevisionAction::Retire => wire::RevisionAction::Retire,
    }
}

fn match_field(field: SearchField) -> wire::SearchMatchField {
    match field {
        SearchField::Name => wire::SearchMatchField::Name,
        SearchField::Keyword => wire::SearchMatchField::Keywords,
        SearchField::Description => wire::SearchMatchField::Description,
    }
}

fn weekday(day: Weekday) -> wire::DayOfWeek {
    match day {
        Weekday::Monday => wire::DayOfWeek::Monday,
        Weekday::Tuesday => wire::DayOfWeek::Tuesday,
        Weekday::Wednesday => wire::DayOfWeek::Wednesday,
        Weekday::Thursday => wire::DayOfWeek::Thursday,
        Weekday::Friday => wire::DayOfWeek::Friday,
        Weekday::Saturday => wire::DayOfWeek::Saturday,
        Weekday::Sunday => wire::DayOfWeek::Sunday,
    }
}

fn opening_hours(hours: &OpeningHours) -> wire::OpeningHours {
    wire::OpeningHours {
        time_zone: hours.time_zone.clone(),
        periods: hours
            .periods
            .iter()
            .map(|period| wire::WeeklyPeriod {
                day_of_week: weekday(period.day) as i32,
                opens: period.opens.to_string(),
                closes: period.closes.to_string(),
                valid_from: period.valid_from.map(|date| shared::CivilDate {
                    date: date.to_string(),
                }),
                valid_until: period.valid_until.map(|date| shared::CivilDate {
                    date: date.to_string(),
                }),
            })
            .collect(),
    }
}

fn processing_time(time: ProcessingTime) -> wire::ProcessingTime {
    wire::ProcessingTime {
        duration: Some(prost_types::Duration {
            seconds: time.seconds,
            nanos: time.nanos,
        }),
        illustrative: time.illustrative,
    }
}

/// One item of the change feed: a change, or a heartbeat carrying only the cursor.
pub(crate) fn feed_item(item: FeedItem<PublicChange>) -> wire::WatchChangesResponse {
    match item {
        FeedItem::Change(change) => wire::WatchChangesResponse {
            cursor: change.cursor,
            kind: change_kind(change.kind) as i32,
            resource: change.resource,
            agency: format!("agencies/{}", change.agency),
            change_time: Some(timestamp(change.time)),
        },
        FeedItem::Heartbeat { cursor } => wire::WatchChangesResponse {
            cursor,
            ..wire::WatchChangesResponse::default()
        },
    }
}

fn change_kind(change: PublicChange) -> wire::ChangeKind {
    match change {
        PublicChange::Published => wire::ChangeKind::ServicePublished,
        PublicChange::Changed => wire::ChangeKind::ServiceChanged,
        PublicChange::Retired => wire::ChangeKind::ServiceRetired,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_values_carry_the_contract_numbers() {
        assert_eq!(agency_kind(AgencyKind::UrbanAgency) as i32, 1);
        assert_eq!(agency_kind(AgencyKind::Consulate) as i32, 9);
        assert_eq!(channel_kind(ChannelKind::Phone) as i32, 5);
        assert_eq!(status(Status::Published) as i32, 2);
        assert_eq!(revision_action(RevisionAction::Retire) as i32, 4);
        assert_eq!(match_field(SearchField::Description) as i32, 3);
        assert_eq!(weekday(Weekday::Sunday) as i32, 7);
    }
}
