//! Requests into domain inputs. Every field is checked and every problem reported at
//! once, each under its path in the request (`public_service.costs[0].amount.amount_minor`).

use jalia_model::{
    AgencyCode, AgencyFilter, FieldViolation, LocalizedText, Phone, page_size, parse_name,
};
use jalia_proto::catalog::v1 as wire;
use jalia_proto::convert::{instant, localized_text};
use jalia_proto::r#type::v1 as shared;
use uuid::Uuid;

use crate::domain::Error;
use crate::domain::agency::{
    AgencyContent, AgencyKind, AgencyPatch, Site, SiteKind, parse_fallback_languages,
    parse_new_agency_code,
};
use crate::domain::hours::{OpeningHours, PeriodInput, WeeklyPeriod};
use crate::domain::place::{AddressInput, ContactPoint, HttpsUrl, PostalAddress};
use crate::domain::public_service::{
    Audience, Channel, ChannelKind, Cost, Evidence, LegalReference, Money, Price, ProcessingTime,
    RelatedPlatform, ServiceContent, ServicePatch, Status, UPDATABLE_PATHS, no_duplicates,
};
use crate::domain::query::{PageRequest, ServiceQuery};
use crate::domain::search::query_words;
use crate::domain::taxonomy::{TermContent, TermKind, TermPatch};
use crate::domain::text::{
    MAX_DESCRIPTION_CHARS, MAX_KEYWORDS, MAX_LABEL_CHARS, MAX_LIFE_EVENTS, MAX_LIST_ITEMS,
    MAX_NAME_CHARS,
};

/// Longest search query, in characters.
const MAX_QUERY_CHARS: usize = 200;

type Checked<T> = Result<T, Vec<FieldViolation>>;

/// `parent` then `child`: `costs` and `[0]` give `costs[0]`, `amount` and `currency_code`
/// give `amount.currency_code`.
fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_owned()
    } else if child.is_empty() {
        parent.to_owned()
    } else if child.starts_with('[') {
        format!("{parent}{child}")
    } else {
        format!("{parent}.{child}")
    }
}

/// Gathers violations under paths.
#[derive(Default)]
struct Collector(Vec<FieldViolation>);

impl Collector {
    fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation::new(field, description));
    }

    fn take<T>(&mut self, path: &str, checked: Checked<T>) -> Option<T> {
        match checked {
            Ok(value) => Some(value),
            Err(nested) => {
                self.0.extend(nested.into_iter().map(|mut violation| {
                    violation.field = join(path, &violation.field);
                    violation
                }));
                None
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn finish<T>(self, value: impl FnOnce() -> T) -> Checked<T> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self.0)
        }
    }
}

/// Every violation under `prefix`, as the catalog's error.
fn invalid_under(prefix: &str, violations: Vec<FieldViolation>) -> Error {
    let mut collector = Collector::default();
    collector.take::<()>(prefix, Err(violations));
    Error::InvalidArgument(collector.0)
}

fn text(
    value: Option<&shared::LocalizedText>,
    max: usize,
    required: bool,
) -> Checked<LocalizedText> {
    localized_text(value, max, required)
}

fn list<W, T>(items: &[W], max: usize, convert: impl Fn(&W) -> Checked<T>) -> Checked<Vec<T>> {
    let mut collector = Collector::default();
    if items.len() > max {
        collector.add("", format!("at most {max} entries"));
    }
    let converted: Vec<T> = items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| collector.take(&format!("[{index}]"), convert(item)))
        .collect();
    collector.finish(|| converted)
}

fn https_url(value: &str) -> Checked<HttpsUrl> {
    HttpsUrl::parse(value).map_err(|problem| vec![FieldViolation::new("", problem)])
}

fn optional_https_url(value: &str) -> Checked<Option<HttpsUrl>> {
    HttpsUrl::parse_optional(value).map_err(|problem| vec![FieldViolation::new("", problem)])
}

fn channel_kinds(kinds: &[i32]) -> Checked<Vec<ChannelKind>> {
    let mut collector = Collector::default();
    let mut parsed = Vec::with_capacity(kinds.len());
    for (index, number) in kinds.iter().enumerate() {
        match ChannelKind::from_number(*number) {
            Some(kind) => parsed.push(kind),
            None => collector.add(format!("[{index}]"), "must be a channel kind"),
        }
    }
    if collector.is_empty() {
        collector.take("", no_duplicates(&parsed));
    }
    collector.finish(|| parsed)
}

fn audiences(numbers: &[i32]) -> Checked<Vec<Audience>> {
    let mut collector = Collector::default();
    let mut parsed = Vec::with_capacity(numbers.len());
    for (index, number) in numbers.iter().enumerate() {
        match Audience::from_number(*number) {
            Some(audience) => parsed.push(audience),
            None => collector.add(format!("[{index}]"), "must be an audience"),
        }
    }
    if collector.is_empty() {
        collector.take("", no_duplicates(&parsed));
    }
    collector.finish(|| parsed)
}

/// `agencies/{agency}` of an AgencyReference; None when unset or empty.
fn agency_reference(reference: Option<&shared::AgencyReference>) -> Checked<Option<AgencyCode>> {
    let name = reference.map_or("", |reference| reference.name.as_str());
    if name.is_empty() {
        return Ok(None);
    }
    agency_name(name)
        .map(Some)
        .map_err(|problem| vec![FieldViolation::new("name", problem)])
}

fn agency_name(name: &str) -> Result<AgencyCode, String> {
    name.strip_prefix("agencies/")
        .and_then(|code| AgencyCode::parse(code).ok())
        .ok_or_else(|| "must look like `agencies/{agency}`".to_owned())
}

fn address(value: &shared::PostalAddress) -> Checked<PostalAddress> {
    PostalAddress::parse(AddressInput {
        address_lines: value.address_lines.clone(),
        locality: value.locality.clone(),
        province: value.province.clone(),
        region: value.region.clone(),
        postal_code: value.postal_code.clone(),
        region_code: value.region_code.clone(),
        place_name: text(value.place_name.as_ref(), MAX_LABEL_CHARS, false),
        latitude: value.latitude,
        longitude: value.longitude,
    })
}

fn opening_hours(value: Option<&wire::OpeningHours>) -> Checked<Option<OpeningHours>> {
    let Some(value) = value else {
        return Ok(None);
    };
    if value.time_zone.trim().is_empty() && value.periods.is_empty() {
        return Ok(None);
    }
    let periods = value
        .periods
        .iter()
        .map(|period| {
            WeeklyPeriod::parse(&PeriodInput {
                day: period.day_of_week,
                opens: period.opens.clone(),
                closes: period.closes.clone(),
                valid_from: period.valid_from.as_ref().map(|date| date.date.clone()),
                valid_until: period.valid_until.as_ref().map(|date| date.date.clone()),
            })
        })
        .collect();
    OpeningHours::parse(&value.time_zone, periods).map(Some)
}

fn contact_point(value: &shared::ContactPoint) -> Checked<ContactPoint> {
    ContactPoint::parse(
        text(value.label.as_ref(), MAX_LABEL_CHARS, false),
        &value.email,
        &value.phone,
        &value.url,
    )
}

fn site(value: &wire::Site) -> Checked<Site> {
    let mut collector = Collector::default();
    let display_name = collector.take(
        "display_name",
        text(value.display_name.as_ref(), MAX_NAME_CHARS, true),
    );
    let kind = match value.kind {
        1 => Some(SiteKind::Headquarters),
        2 => Some(SiteKind::Antenna),
        _ => {
            collector.add("kind", "must be HEADQUARTERS or ANTENNA");
            None
        }
    };
    let address = match &value.address {
        Some(address_value) => collector.take("address", address(address_value)),
        None => {
            collector.add("address", "required");
            None
        }
    };
    let opening_hours = collector
        .take("opening_hours", opening_hours(value.opening_hours.as_ref()))
        .flatten();
    match (display_name, kind, address) {
        (Some(display_name), Some(kind), Some(address)) if collector.is_empty() => Ok(Site {
            display_name,
            kind,
            address,
            opening_hours,
        }),
        _ => Err(collector.0),
    }
}

fn channel(value: &wire::Channel) -> Checked<Channel> {
    let mut collector = Collector::default();
    let kind = ChannelKind::from_number(value.kind);
    if kind.is_none() {
        collector.add("kind", "must be a channel kind");
    }
    let label = collector.take("label", text(value.label.as_ref(), MAX_LABEL_CHARS, false));
    let url = collector
        .take("url", optional_https_url(&value.url))
        .flatten();
    let address = match &value.address {
        Some(address_value) => collector.take("address", address(address_value)),
        None => None,
    };
    let phone = if value.phone.trim().is_empty() {
        None
    } else {
        Phone::parse(&value.phone)
            .map_err(|problem| collector.add("phone", problem))
            .ok()
    };
    let opening_hours = collector
        .take("opening_hours", opening_hours(value.opening_hours.as_ref()))
        .flatten();
    match (kind, label) {
        (Some(kind), Some(label)) if collector.is_empty() => {
            Channel::new(kind, label, url, address, phone, opening_hours)
        }
        _ => Err(collector.0),
    }
}

fn evidence(value: &wire::Evidence) -> Checked<Evidence> {
    let mut collector = Collector::default();
    let display_name = collector.take(
        "display_name",
        text(value.display_name.as_ref(), MAX_NAME_CHARS, true),
    );
    let description = collector.take(
        "description",
        text(value.description.as_ref(), MAX_DESCRIPTION_CHARS, false),
    );
    let channel_kinds = collector.take("channel_kinds", channel_kinds(&value.channel_kinds));
    match (display_name, description, channel_kinds) {
        (Some(display_name), Some(description), Some(channel_kinds)) => Ok(Evidence {
            display_name,
            description,
            channel_kinds,
        }),
        _ => Err(collector.0),
    }
}

fn cost(value: &wire::Cost) -> Checked<Cost> {
    let mut collector = Collector::default();
    let price = match &value.price {
        Some(wire::cost::Price::Amount(money)) => collector
            .take(
                "amount",
                Money::parse(&money.currency_code, money.amount_minor),
            )
            .map(Price::Amount),
        Some(wire::cost::Price::Free(true)) => Some(Price::Free),
        Some(wire::cost::Price::Free(false)) => {
            collector.add("free", "must be true when set");
            None
        }
        None => {
            collector.add(
                "amount",
                "set `amount`, or `free` for a service without charge",
            );
            None
        }
    };
    let description = collector.take(
        "description",
        text(value.description.as_ref(), MAX_LABEL_CHARS, false),
    );
    let channel_kinds = collector.take("channel_kinds", channel_kinds(&value.channel_kinds));
    match (price, description, channel_kinds) {
        (Some(price), Some(description), Some(channel_kinds)) => Ok(Cost {
            price,
            description,
            channel_kinds,
            illustrative: value.illustrative,
        }),
        _ => Err(collector.0),
    }
}

fn processing_time(value: Option<&wire::ProcessingTime>) -> Checked<Option<ProcessingTime>> {
    let Some(value) = value else {
        return Ok(None);
    };
    let Some(duration) = &value.duration else {
        return Err(vec![FieldViolation::new("duration", "required")]);
    };
    ProcessingTime::parse(duration.seconds, duration.nanos, value.illustrative)
        .map(Some)
        .map_err(|problem| vec![FieldViolation::new("duration", problem)])
}

fn legal_reference(value: &wire::LegalReference) -> Checked<LegalReference> {
    let mut collector = Collector::default();
    let title = collector.take("title", text(value.title.as_ref(), MAX_NAME_CHARS, true));
    let url = collector.take("url", optional_https_url(&value.url));
    match (title, url) {
        (Some(title), Some(url)) => Ok(LegalReference { title, url }),
        _ => Err(collector.0),
    }
}

fn related_platform(value: &wire::RelatedPlatform) -> Checked<RelatedPlatform> {
    let mut collector = Collector::default();
    let display_name = collector.take(
        "display_name",
        text(value.display_name.as_ref(), MAX_NAME_CHARS, true),
    );
    let url = collector.take("url", https_url(&value.url));
    match (display_name, url) {
        (Some(display_name), Some(url)) => Ok(RelatedPlatform { display_name, url }),
        _ => Err(collector.0),
    }
}

fn category(value: &str) -> Checked<Option<Uuid>> {
    if value.is_empty() {
        return Ok(None);
    }
    TermKind::Category
        .parse_name(value)
        .map(Some)
        .map_err(|problem| vec![FieldViolation::new("", problem)])
}

fn life_events(values: &[String]) -> Checked<Vec<Uuid>> {
    let ids = list(values, MAX_LIFE_EVENTS, |name| {
        TermKind::LifeEvent
            .parse_name(name)
            .map_err(|problem| vec![FieldViolation::new("", problem)])
    })?;
    no_duplicates(&ids)?;
    Ok(ids)
}

/// The paths an update changes: the mask's, `*` meaning every updatable path; an empty
/// mask means every updatable path the request populates (AIP-134). An unknown path is
/// a violation on `update_mask`.
pub(crate) fn update_paths(
    mask: Option<&prost_types::FieldMask>,
    updatable: &[&'static str],
    populated: impl Fn(&str) -> bool,
) -> Result<Vec<&'static str>, Error> {
    let requested = mask.map_or(&[][..], |mask| mask.paths.as_slice());
    if requested.is_empty() {
        let implied: Vec<&'static str> = updatable
            .iter()
            .copied()
            .filter(|path| populated(path))
            .collect();
        if implied.is_empty() {
            return Err(Error::invalid(
                "update_mask",
                "names no field to change, and the request populates none",
            ));
        }
        return Ok(implied);
    }
    let mut collector = Collector::default();
    let mut paths: Vec<&'static str> = Vec::new();
    for path in requested {
        if path == "*" {
            paths.extend(updatable.iter().copied());
        } else if let Some(known) = updatable.iter().find(|known| **known == path) {
            paths.push(known);
        } else {
            collector.add(
                "update_mask",
                format!(
                    "`{path}` is not an updatable path (updatable: {})",
                    updatable.join(", ")
                ),
            );
        }
    }
    paths.sort_unstable();
    paths.dedup();
    collector.finish(|| paths).map_err(Error::InvalidArgument)
}

fn service_patch(value: &wire::PublicService, paths: &[&str]) -> Checked<ServicePatch> {
    let mut collector = Collector::default();
    let mut patch = ServicePatch::default();
    for path in paths.iter().copied() {
        match path {
            "competent_authority" => {
                patch.competent_authority =
                    collector.take(path, agency_reference(value.competent_authority.as_ref()));
            }
            "display_name" => {
                patch.display_name = collector.take(
                    path,
                    text(value.display_name.as_ref(), MAX_NAME_CHARS, true),
                );
            }
            "description" => {
                patch.description = collector.take(
                    path,
                    text(value.description.as_ref(), MAX_DESCRIPTION_CHARS, false),
                );
            }
            "keywords" => {
                patch.keywords = collector.take(
                    path,
                    list(&value.keywords, MAX_KEYWORDS, |keyword| {
                        text(Some(keyword), MAX_LABEL_CHARS, true)
                    }),
                );
            }
            "category" => patch.category = collector.take(path, category(&value.category)),
            "life_events" => {
                patch.life_events = collector.take(path, life_events(&value.life_events));
            }
            "audiences" => patch.audiences = collector.take(path, audiences(&value.audiences)),
            "channels" => {
                patch.channels =
                    collector.take(path, list(&value.channels, MAX_LIST_ITEMS, channel));
            }
            "requirements" => {
                patch.requirements = collector.take(
                    path,
                    list(&value.requirements, MAX_LIST_ITEMS, |requirement| {
                        text(Some(requirement), MAX_DESCRIPTION_CHARS, true)
                    }),
                );
            }
            "evidence" => {
                patch.evidence =
                    collector.take(path, list(&value.evidence, MAX_LIST_ITEMS, evidence));
            }
            "costs" => patch.costs = collector.take(path, list(&value.costs, MAX_LIST_ITEMS, cost)),
            "processing_time" => {
                patch.processing_time =
                    collector.take(path, processing_time(value.processing_time.as_ref()));
            }
            "output" => {
                patch.output = collector.take(
                    path,
                    text(value.output.as_ref(), MAX_DESCRIPTION_CHARS, false),
                );
            }
            "legal_references" => {
                patch.legal_references = collector.take(
                    path,
                    list(&value.legal_references, MAX_LIST_ITEMS, legal_reference),
                );
            }
            "related_platforms" => {
                patch.related_platforms = collector.take(
                    path,
                    list(&value.related_platforms, MAX_LIST_ITEMS, related_platform),
                );
            }
            _ => {}
        }
    }
    collector.finish(|| patch)
}

/// Whether a PublicService in a request populates a top-level path.
fn service_populates(value: &wire::PublicService, path: &str) -> bool {
    match path {
        "competent_authority" => value
            .competent_authority
            .as_ref()
            .is_some_and(|reference| !reference.name.is_empty()),
        "display_name" => value.display_name.is_some(),
        "description" => value.description.is_some(),
        "keywords" => !value.keywords.is_empty(),
        "category" => !value.category.is_empty(),
        "life_events" => !value.life_events.is_empty(),
        "audiences" => !value.audiences.is_empty(),
        "channels" => !value.channels.is_empty(),
        "requirements" => !value.requirements.is_empty(),
        "evidence" => !value.evidence.is_empty(),
        "costs" => !value.costs.is_empty(),
        "processing_time" => value.processing_time.is_some(),
        "output" => value.output.is_some(),
        "legal_references" => !value.legal_references.is_empty(),
        "related_platforms" => !value.related_platforms.is_empty(),
        _ => false,
    }
}

/// CreatePublicService's service.
pub(crate) fn new_service(value: Option<&wire::PublicService>) -> Result<ServiceContent, Error> {
    let default = wire::PublicService::default();
    let value = value.unwrap_or(&default);
    service_patch(value, &UPDATABLE_PATHS)
        .map(|patch| patch.apply(ServiceContent::default()))
        .map_err(|violations| invalid_under("public_service", violations))
}

/// UpdatePublicService's service name, etag and patch.
pub(crate) fn service_update(
    value: Option<&wire::PublicService>,
    mask: Option<&prost_types::FieldMask>,
) -> Result<((AgencyCode, Uuid), String, ServicePatch), Error> {
    let default = wire::PublicService::default();
    let value = value.unwrap_or(&default);
    let name = service_name(&value.name, "public_service.name");
    let etag = required_etag(&value.etag, "public_service.etag");
    let paths = update_paths(mask, &UPDATABLE_PATHS, |path| {
        service_populates(value, path)
    });
    let patch = match &paths {
        Ok(paths) => service_patch(value, paths)
            .map_err(|violations| invalid_under("public_service", violations)),
        Err(_) => Ok(ServicePatch::default()),
    };
    merge3(name, etag, paths.and(patch))
}

/// Combines checks, reporting every violation of all of them.
fn merge3<A, B, C>(
    a: Result<A, Error>,
    b: Result<B, Error>,
    c: Result<C, Error>,
) -> Result<(A, B, C), Error> {
    match (a, b, c) {
        (Ok(a), Ok(b), Ok(c)) => Ok((a, b, c)),
        (a, b, c) => {
            let mut violations = Vec::new();
            for err in [a.err(), b.err(), c.err()].into_iter().flatten() {
                match err {
                    Error::InvalidArgument(found) => violations.extend(found),
                    other => return Err(other),
                }
            }
            Err(Error::InvalidArgument(violations))
        }
    }
}

/// Combines two checks.
pub(crate) fn merge<A, B>(a: Result<A, Error>, b: Result<B, Error>) -> Result<(A, B), Error> {
    merge3(a, b, Ok(())).map(|(a, b, ())| (a, b))
}

/// `agencies/{agency}/services/{service}`, violation on `field`.
pub(crate) fn service_name(name: &str, field: &str) -> Result<(AgencyCode, Uuid), Error> {
    let (agency, ids) =
        parse_name(name, &["services"]).map_err(|err| Error::invalid(field, err.to_string()))?;
    match ids.as_slice() {
        [id] => Ok((agency, *id)),
        _ => Err(Error::invalid(field, "must name one service")),
    }
}

/// `agencies/{agency}/services/{service}/revisions/{revision}`, violation on `name`.
pub(crate) fn revision_name(name: &str) -> Result<(AgencyCode, Uuid, i64), Error> {
    let problem = || {
        Error::invalid(
            "name",
            "must look like `agencies/{agency}/services/{service}/revisions/{revision}`",
        )
    };
    let (service, written) = name.rsplit_once("/revisions/").ok_or_else(problem)?;
    // Only the plain decimal form ("3", not "03" or "+3"), so a revision has one name.
    let number: i64 = written
        .parse()
        .ok()
        .filter(|number: &i64| *number >= 1 && number.to_string() == written)
        .ok_or_else(problem)?;
    let (agency, id) = service_name(service, "name")?;
    Ok((agency, id, number))
}

/// `agencies/{agency}`, violation on `field`.
pub(crate) fn agency_code(name: &str, field: &str) -> Result<AgencyCode, Error> {
    agency_name(name).map_err(|problem| Error::invalid(field, problem))
}

/// An etag a change must carry.
pub(crate) fn required_etag(etag: &str, field: &str) -> Result<String, Error> {
    if etag.is_empty() {
        Err(Error::invalid(field, "required: send the etag last read"))
    } else {
        Ok(etag.to_owned())
    }
}

/// A create's request_id: a UUID, or empty for none.
pub(crate) fn request_id(value: &str) -> Result<Option<Uuid>, Error> {
    if value.is_empty() {
        return Ok(None);
    }
    Uuid::parse_str(value)
        .map(Some)
        .map_err(|_| Error::invalid("request_id", "must be a UUID"))
}

/// A page size and token.
pub(crate) fn page(size: i32, token: &str) -> Result<PageRequest, Error> {
    let size = page_size(size).map_err(|problem| Error::invalid("page_size", problem))?;
    Ok(PageRequest {
        size,
        token: (!token.is_empty()).then(|| token.to_owned()),
    })
}

/// An `updated_after` filter, in microseconds.
pub(crate) fn updated_after(value: Option<&prost_types::Timestamp>) -> Result<Option<i64>, Error> {
    value
        .map(|timestamp| {
            instant(timestamp)
                .map(jalia_db::to_micros)
                .map_err(|problem| Error::invalid("updated_after", problem))
        })
        .transpose()
}

/// The filters shared by ListPublicServices and SearchPublicServices.
pub(crate) struct ServiceFilters<'a> {
    pub(crate) parent: &'a str,
    pub(crate) category: &'a str,
    pub(crate) life_event: &'a str,
    pub(crate) audience: i32,
    pub(crate) channel_kind: i32,
    pub(crate) statuses: &'a [i32],
    pub(crate) updated_after: Option<&'a prost_types::Timestamp>,
}

/// A service list or search filter.
pub(crate) fn service_query(filters: &ServiceFilters<'_>) -> Result<ServiceQuery, Error> {
    let mut collector = Collector::default();
    let agency = match AgencyFilter::parse_parent(filters.parent) {
        Ok(filter) => filter.agency().cloned(),
        Err(problem) => {
            collector.add("parent", problem);
            None
        }
    };
    let category = collector
        .take("category", category(filters.category))
        .flatten();
    let life_event = if filters.life_event.is_empty() {
        None
    } else {
        TermKind::LifeEvent
            .parse_name(filters.life_event)
            .map_err(|problem| collector.add("life_event", problem))
            .ok()
    };
    let audience = match filters.audience {
        0 => None,
        number => {
            let audience = Audience::from_number(number);
            if audience.is_none() {
                collector.add("audience", "must be an audience");
            }
            audience
        }
    };
    let channel_kind = match filters.channel_kind {
        0 => None,
        number => {
            let kind = ChannelKind::from_number(number);
            if kind.is_none() {
                collector.add("channel_kind", "must be a channel kind");
            }
            kind
        }
    };
    let mut statuses = Vec::new();
    for (index, number) in filters.statuses.iter().enumerate() {
        match Status::from_number(*number) {
            Some(status) => statuses.push(status),
            None => collector.add(
                format!("statuses[{index}]"),
                "must be DRAFT, PUBLISHED or RETIRED",
            ),
        }
    }
    statuses.sort_unstable();
    statuses.dedup();
    let updated_after = match updated_after(filters.updated_after) {
        Ok(after) => after,
        Err(Error::InvalidArgument(found)) => {
            collector.0.extend(found);
            None
        }
        Err(other) => return Err(other),
    };
    collector
        .finish(|| ServiceQuery {
            agency,
            category,
            life_event,
            audience,
            channel_kind,
            statuses,
            updated_after,
        })
        .map_err(Error::InvalidArgument)
}

/// Most distinct words in one query: each is a scan of the token index.
const MAX_QUERY_WORDS: usize = 16;

/// A search query's words: 1 to 200 characters that fold to 1 to 16 distinct words.
pub(crate) fn search_words(query: &str) -> Result<Vec<String>, Error> {
    let length = query.chars().count();
    if length == 0 || length > MAX_QUERY_CHARS {
        return Err(Error::invalid(
            "query",
            format!("must be 1 to {MAX_QUERY_CHARS} characters"),
        ));
    }
    let words = query_words(query);
    if words.is_empty() {
        return Err(Error::invalid("query", "holds no word to search for"));
    }
    if words.len() > MAX_QUERY_WORDS {
        return Err(Error::invalid(
            "query",
            format!("holds more than {MAX_QUERY_WORDS} distinct words"),
        ));
    }
    Ok(words)
}

const AGENCY_PATHS: [&str; 8] = [
    "display_name",
    "kind",
    "region",
    "province",
    "contact_points",
    "parent_body",
    "sites",
    "fallback_language_codes",
];

fn agency_patch(value: &wire::Agency, paths: &[&str]) -> Checked<AgencyPatch> {
    let mut collector = Collector::default();
    let mut patch = AgencyPatch::default();
    for path in paths.iter().copied() {
        match path {
            "display_name" => {
                patch.display_name = collector.take(
                    path,
                    text(value.display_name.as_ref(), MAX_NAME_CHARS, true),
                );
            }
            "kind" => match AgencyKind::from_number(value.kind) {
                Some(kind) => patch.kind = Some(kind),
                None => collector.add(path, "must be an agency kind"),
            },
            "region" => {
                patch.region =
                    collector.take(path, text(value.region.as_ref(), MAX_NAME_CHARS, false));
            }
            "province" => {
                patch.province =
                    collector.take(path, text(value.province.as_ref(), MAX_NAME_CHARS, false));
            }
            "contact_points" => {
                patch.contact_points = collector.take(
                    path,
                    list(&value.contact_points, MAX_LIST_ITEMS, contact_point),
                );
            }
            "parent_body" => {
                patch.parent_body =
                    collector.take(path, agency_reference(value.parent_body.as_ref()));
            }
            "sites" => patch.sites = collector.take(path, list(&value.sites, MAX_LIST_ITEMS, site)),
            "fallback_language_codes" => {
                patch.fallback_languages = collector.take(
                    path,
                    parse_fallback_languages(&value.fallback_language_codes),
                );
            }
            _ => {}
        }
    }
    collector.finish(|| patch)
}

fn agency_populates(value: &wire::Agency, path: &str) -> bool {
    match path {
        "display_name" => value.display_name.is_some(),
        "kind" => value.kind != 0,
        "region" => value.region.is_some(),
        "province" => value.province.is_some(),
        "contact_points" => !value.contact_points.is_empty(),
        "parent_body" => value.parent_body.is_some(),
        "sites" => !value.sites.is_empty(),
        "fallback_language_codes" => !value.fallback_language_codes.is_empty(),
        _ => false,
    }
}

/// CreateAgency's agency.
pub(crate) fn new_agency(
    value: Option<&wire::Agency>,
) -> Result<(AgencyCode, AgencyContent), Error> {
    let default = wire::Agency::default();
    let value = value.unwrap_or(&default);
    let mut collector = Collector::default();
    let code = parse_new_agency_code(&value.code)
        .map_err(|problem| collector.add("code", problem))
        .ok();
    let patch = collector.take("", agency_patch(value, &AGENCY_PATHS));
    let content = match (code, patch) {
        (Some(code), Some(patch)) => patch.kind.map(|kind| {
            let content = AgencyContent {
                display_name: LocalizedText::default(),
                kind,
                region: LocalizedText::default(),
                province: LocalizedText::default(),
                contact_points: Vec::new(),
                parent_body: None,
                sites: Vec::new(),
                fallback_languages: Vec::new(),
            };
            (code, patch.apply(content))
        }),
        _ => None,
    };
    if let Some((_, content)) = &content {
        collector.take("", content.check());
    }
    match content {
        Some(content) if collector.is_empty() => Ok(content),
        _ => Err(invalid_under("agency", collector.0)),
    }
}

/// UpdateAgency's agency code, etag and patch.
pub(crate) fn agency_update(
    value: Option<&wire::Agency>,
    mask: Option<&prost_types::FieldMask>,
) -> Result<(AgencyCode, String, AgencyPatch), Error> {
    let default = wire::Agency::default();
    let value = value.unwrap_or(&default);
    let code = agency_code(&value.name, "agency.name");
    let etag = required_etag(&value.etag, "agency.etag");
    let paths = update_paths(mask, &AGENCY_PATHS, |path| agency_populates(value, path));
    let patch = match &paths {
        Ok(paths) => {
            agency_patch(value, paths).map_err(|violations| invalid_under("agency", violations))
        }
        Err(_) => Ok(AgencyPatch::default()),
    };
    merge3(code, etag, paths.and(patch))
}

/// The kind filter of ListAgencies.
pub(crate) fn agency_kind_filter(number: i32) -> Result<Option<AgencyKind>, Error> {
    match number {
        0 => Ok(None),
        number => AgencyKind::from_number(number)
            .map(Some)
            .ok_or_else(|| Error::invalid("kind", "must be an agency kind")),
    }
}

const TERM_PATHS: [&str; 2] = ["display_name", "description"];

fn term_patch(
    display_name: Option<&shared::LocalizedText>,
    description: Option<&shared::LocalizedText>,
    paths: &[&str],
) -> Checked<TermPatch> {
    let mut collector = Collector::default();
    let mut patch = TermPatch::default();
    for path in paths.iter().copied() {
        match path {
            "display_name" => {
                patch.display_name = collector.take(path, text(display_name, MAX_NAME_CHARS, true));
            }
            "description" => {
                patch.description =
                    collector.take(path, text(description, MAX_DESCRIPTION_CHARS, false));
            }
            _ => {}
        }
    }
    collector.finish(|| patch)
}

/// A category or life event to create; `field` is the request's field name.
pub(crate) fn new_term(
    display_name: Option<&shared::LocalizedText>,
    description: Option<&shared::LocalizedText>,
    field: &str,
) -> Result<TermContent, Error> {
    term_patch(display_name, description, &TERM_PATHS)
        .map(|patch| patch.apply(TermContent::default()))
        .map_err(|violations| invalid_under(field, violations))
}

/// The parts of a category or life event update.
pub(crate) struct TermUpdate<'a> {
    pub(crate) kind: TermKind,
    pub(crate) field: &'a str,
    pub(crate) name: &'a str,
    pub(crate) etag: &'a str,
    pub(crate) display_name: Option<&'a shared::LocalizedText>,
    pub(crate) description: Option<&'a shared::LocalizedText>,
}

/// A category or life event update: its id, etag and patch.
pub(crate) fn term_update(
    update: &TermUpdate<'_>,
    mask: Option<&prost_types::FieldMask>,
) -> Result<(Uuid, String, TermPatch), Error> {
    let id = update
        .kind
        .parse_name(update.name)
        .map_err(|problem| Error::invalid(join(update.field, "name"), problem));
    let etag = required_etag(update.etag, &join(update.field, "etag"));
    let paths = update_paths(mask, &TERM_PATHS, |path| match path {
        "display_name" => update.display_name.is_some(),
        "description" => update.description.is_some(),
        _ => false,
    });
    let patch = match &paths {
        Ok(paths) => term_patch(update.display_name, update.description, paths)
            .map_err(|violations| invalid_under(update.field, violations)),
        Err(_) => Ok(TermPatch::default()),
    };
    merge3(id, etag, paths.and(patch))
}

/// A term name in a Get request, violation on `name`.
pub(crate) fn term_name(kind: TermKind, name: &str) -> Result<Uuid, Error> {
    kind.parse_name(name)
        .map_err(|problem| Error::invalid("name", problem))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_fields_and_indexes() {
        assert_eq!(join("costs", "[0]"), "costs[0]");
        assert_eq!(join("costs[0]", "amount"), "costs[0].amount");
        assert_eq!(join("", "code"), "code");
        assert_eq!(join("agency", ""), "agency");
    }

    #[test]
    fn a_bad_service_reports_every_field() {
        let service = wire::PublicService {
            display_name: Some(shared::LocalizedText {
                entries: vec![shared::LocalizedString {
                    language_code: "fr".to_owned(),
                    text: "  ".to_owned(),
                }],
                resolved: None,
            }),
            costs: vec![
                wire::Cost {
                    price: Some(wire::cost::Price::Amount(shared::Money {
                        currency_code: "MAD".to_owned(),
                        amount_minor: -100,
                    })),
                    ..wire::Cost::default()
                },
                wire::Cost {
                    price: Some(wire::cost::Price::Amount(shared::Money {
                        currency_code: "XYZ".to_owned(),
                        amount_minor: 100,
                    })),
                    ..wire::Cost::default()
                },
            ],
            processing_time: Some(wire::ProcessingTime {
                duration: Some(prost_types::Duration {
                    seconds: -5,
                    nanos: 0,
                }),
                illustrative: false,
            }),
            related_platforms: vec![wire::RelatedPlatform {
                display_name: Some(shared::LocalizedText {
                    entries: vec![shared::LocalizedString {
                        language_code: "fr".to_owned(),
                        text: "Rokhas".to_owned(),
                    }],
                    resolved: None,
                }),
                url: "http://rokhas.ma".to_owned(),
            }],
            ..wire::PublicService::default()
        };
        let Err(Error::InvalidArgument(violations)) = new_service(Some(&service)) else {
            panic!("accepted a bad service");
        };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "public_service.display_name.entries",
                "public_service.costs[0].amount.amount_minor",
                "public_service.costs[1].amount.currency_code",
                "public_service.processing_time.duration",
                "public_service.related_platforms[0].url",
            ]
        );
    }

    #[test]
    fn queries_are_bounded_in_words() {
        let sixteen: Vec<String> = (0..16).map(|i| format!("mot{i}")).collect();
        assert_eq!(search_words(&sixteen.join(" ")).unwrap().len(), 16);
        let seventeen: Vec<String> = (0..17).map(|i| format!("mot{i}")).collect();
        assert!(search_words(&seventeen.join(" ")).is_err());
    }

    #[test]
    fn update_masks() {
        let service = wire::PublicService {
            category: "categories/x".to_owned(),
            ..wire::PublicService::default()
        };
        let populated = |path: &str| service_populates(&service, path);
        assert_eq!(
            update_paths(None, &UPDATABLE_PATHS, populated).unwrap(),
            vec!["category"]
        );
        let mask = prost_types::FieldMask {
            paths: vec!["costs".to_owned(), "status".to_owned()],
        };
        let Err(Error::InvalidArgument(violations)) =
            update_paths(Some(&mask), &UPDATABLE_PATHS, populated)
        else {
            panic!("accepted an unknown path");
        };
        assert_eq!(violations[0].field, "update_mask");
        let all = prost_types::FieldMask {
            paths: vec!["*".to_owned()],
        };
        assert_eq!(
            update_paths(Some(&all), &UPDATABLE_PATHS, populated)
                .unwrap()
                .len(),
            UPDATABLE_PATHS.len()
        );
    }

    #[test]
    fn names() {
        let id = Uuid::now_v7();
        let (agency, parsed) = service_name(&format!("agencies/bm/services/{id}"), "name").unwrap();
        assert_eq!((agency.as_str(), parsed), ("bm", id));
        let (_, _, number) =
            revision_name(&format!("agencies/bm/services/{id}/revisions/3")).unwrap();
        assert_eq!(number, 3);
        for bad in [
            format!("agencies/bm/services/{id}/revisions/0"),
            format!("agencies/bm/services/{id}/revisions/x"),
            format!("agencies/bm/services/{id}"),
        ] {
            assert!(revision_name(&bad).is_err(), "{bad}");
        }
        assert!(service_name("agencies/bm/events/x", "name").is_err());
    }
}
