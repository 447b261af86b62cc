//! Domain values into responses, with every text resolved for the reader along the owning
//! agency's fallback chain and the names of referenced agencies filled in.

use jalia_model::{AgencyCode, FallbackChain, LanguageCode, LocalizedText};
use jalia_proto::catalog::v1 as wire;
use jalia_proto::convert::{localized_text_for, timestamp};
use jalia_proto::r#type::v1 as shared;

use crate::app::SearchHit;
use crate::domain::agency::{Agency, AgencyLabels, Site, SiteKind};
use crate::domain::hours::OpeningHours;
use crate::domain::place::{ContactPoint, PostalAddress};
use crate::domain::public_service::{
    Channel, ChannelKind, Cost, Evidence, LegalReference, Price, ProcessingTime, PublicService,
    RelatedPlatform,
};
use crate::domain::revision::Revision;
use crate::domain::taxonomy::{Term, TermKind};
use crate::domain::{etag, search::SearchField};

/// Renders for one reader.
pub(crate) struct Reader<'a> {
    wanted: &'a [LanguageCode],
    agencies: &'a AgencyLabels,
}

impl<'a> Reader<'a> {
    /// A reader wanting `wanted`, with the agencies the response names.
    pub(crate) fn new(wanted: &'a [LanguageCode], agencies: &'a AgencyLabels) -> Self {
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
        shared::AgencyReference {
            name: format!("agencies/{code}"),
            display_name: self
                .agencies
                .display_name(code)
                .and_then(|name| self.text(name, &self.agencies.chain(code))),
        }
    }

    /// An agency.
    pub(crate) fn agency(&self, agency: &Agency) -> wire::Agency {
        let chain = agency.content.fallback_chain();
        let content = &agency.content;
        wire::Agency {
            name: format!("agencies/{}", agency.code),
            code: agency.code.to_string(),
            display_name: self.text(&content.display_name, &chain),
            kind: content.kind.number(),
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
            etag: etag(agency.version),
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
            address: Some(self.address(&site.address, chain)),
            opening_hours: site.opening_hours.as_ref().map(opening_hours),
        }
    }

    fn address(&self, address: &PostalAddress, chain: &FallbackChain) -> shared::PostalAddress {
        shared::PostalAddress {
            address_lines: address.address_lines.clone(),
            locality: address.locality.clone(),
            province: address.province.clone(),
            region: address.region.clone(),
            postal_code: address.postal_code.clone(),
            region_code: address.country.clone().unwrap_or_default(),
            place_name: self.text(&address.place_name, chain),
            latitude: address.latitude,
            longitude: address.longitude,
        }
    }

    /// A category or life event.
    pub(crate) fn category(&self, term: &Term) -> wire::Category {
        let chain = FallbackChain::default();
        wire::Category {
            name: TermKind::Category.name(term.id),
            display_name: self.text(&term.content.display_name, &chain),
            description: self.text(&term.content.description, &chain),
            create_time: Some(timestamp(term.create_time)),
            update_time: Some(timestamp(term.update_time)),
            etag: etag(term.version),
        }
    }

    /// A life event.
    pub(crate) fn life_event(&self, term: &Term) -> wire::LifeEvent {
        let chain = FallbackChain::default();
        wire::LifeEvent {
            name: TermKind::LifeEvent.name(term.id),
            display_name: self.text(&term.content.display_name, &chain),
            description: self.text(&term.content.description, &chain),
            create_time: Some(timestamp(term.create_time)),
            update_time: Some(timestamp(term.update_time)),
            etag: etag(term.version),
        }
    }

    /// A public service, its texts resolved along its owner's chain.
    pub(crate) fn service(&self, service: &PublicService) -> wire::PublicService {
        let chain = self.agencies.chain(&service.agency);
        let content = &service.content;
        wire::PublicService {
            name: service.name(),
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
            audiences: content.audiences.iter().map(|a| a.number()).collect(),
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
            status: service.status.number(),
            revision: service.revision,
            create_time: Some(timestamp(service.create_time)),
            update_time: Some(timestamp(service.update_time)),
            publish_time: service.publish_time.map(timestamp),
            retire_time: service.retire_time.map(timestamp),
            etag: etag(service.revision),
        }
    }

    fn channel(&self, channel: &Channel, chain: &FallbackChain) -> wire::Channel {
        wire::Channel {
            kind: channel.kind.number(),
            label: self.text(&channel.label, chain),
            url: channel
                .url
                .as_ref()
                .map(|url| url.as_str().to_owned())
                .unwrap_or_default(),
            address: channel
                .address
                .as_ref()
                .map(|address| self.address(address, chain)),
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
    pub(crate) fn revision(&self, revision: &Revision) -> wire::PublicServiceRevision {
        wire::PublicServiceRevision {
            name: format!("{}/revisions/{}", revision.snapshot.name(), revision.number),
            revision: revision.number,
            action: revision.action.number(),
            public_service: Some(self.service(&revision.snapshot)),
            actor: revision.actor.clone(),
            create_time: Some(timestamp(revision.create_time)),
            changed_fields: Some(prost_types::FieldMask {
                paths: revision.changed_fields.clone(),
            }),
        }
    }

    /// A search hit.
    pub(crate) fn search_result(&self, hit: &SearchHit) -> wire::SearchResult {
        wire::SearchResult {
            public_service: Some(self.service(&hit.service)),
            score: i32::try_from(hit.score).unwrap_or(i32::MAX),
            matched_field: hit.matched_field.map_or(0, SearchField::number),
        }
    }
}

fn channel_kinds(kinds: &[ChannelKind]) -> Vec<i32> {
    kinds.iter().map(|kind| kind.number()).collect()
}

fn opening_hours(hours: &OpeningHours) -> wire::OpeningHours {
    wire::OpeningHours {
        time_zone: hours.time_zone.clone(),
        periods: hours
            .periods
            .iter()
            .map(|period| wire::WeeklyPeriod {
                day_of_week: period.day.iso(),
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

/// A processing time on the wire.
pub(crate) fn processing_time(time: ProcessingTime) -> wire::ProcessingTime {
    wire::ProcessingTime {
        duration: Some(prost_types::Duration {
            seconds: time.seconds,
            nanos: time.nanos,
        }),
        illustrative: time.illustrative,
    }
}
