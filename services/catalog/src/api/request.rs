//! Requests into domain values. Every field is checked and every problem reported at
//! once, each under its path in the request (`public_service.costs[0].amount.amount_minor`),
//! repeated fields by index; the shared parts (texts, addresses, audiences, request ids,
//! etags, pages, update masks) are read by jalia-proto's conversions.

use jalia_model::{
    AgencyCode, AgencyFilter, Audience, FieldViolation, IfMatch, LocalizedText, PageRequest, Phone,
    RequestId, Violations, WatchQuery, parse_name, quote,
};
use jalia_proto::catalog::v1 as wire;
use jalia_proto::convert::{self, UpdatableFields};
use jalia_proto::r#type::v1 as shared;
use jiff::Timestamp;
use uuid::Uuid;

use crate::domain::Error;
use crate::domain::agency::{
    AgencyContent, AgencyKind, AgencyPatch, AgencyUpdate, NewAgency, Site, SiteKind,
    parse_fallback_languages, parse_new_agency_code,
};
use crate::domain::hours::{OpeningHours, PeriodInput, Weekday, WeeklyPeriod};
use crate::domain::place::{ContactPoint, HttpsUrl};
use crate::domain::public_service::{
    Channel, ChannelKind, Cost, Evidence, LegalReference, Money, NewService, Price, ProcessingTime,
    RelatedPlatform, ServiceContent, ServiceName, ServicePatch, ServiceUpdate, Status,
    UPDATABLE_PATHS, no_duplicates,
};
use crate::domain::query::{AgencyQuery, RevisionQuery, SearchQuery, ServiceQuery, TermQuery};
use crate::domain::revision::PublicChange;
use crate::domain::search::query_words;
use crate::domain::taxonomy::{NewTerm, TermContent, TermKind, TermPatch, TermUpdate};
use crate::domain::text::{
    MAX_DESCRIPTION_CHARS, MAX_KEYWORDS, MAX_LABEL_CHARS, MAX_LIFE_EVENTS, MAX_LIST_ITEMS,
    MAX_NAME_CHARS,
};

/// Longest search query, in characters.
const MAX_QUERY_CHARS: usize = 200;
/// Most distinct words in one query: each is a scan of the token index.
const MAX_QUERY_WORDS: usize = 16;

/// What callers write of an Agency: everything a create reads, and the paths an update
/// may change.
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
/// The updatable paths of an Agency.
const AGENCY_FIELDS: UpdatableFields =
    UpdatableFields::new("jalia.catalog.v1.Agency", &AGENCY_PATHS);
/// The updatable paths of a Category.
const CATEGORY_FIELDS: UpdatableFields = UpdatableFields::new(
    "jalia.catalog.v1.Category",
    &["display_name", "description"],
);
/// The updatable paths of a LifeEvent.
const LIFE_EVENT_FIELDS: UpdatableFields = UpdatableFields::new(
    "jalia.catalog.v1.LifeEvent",
    &["display_name", "description"],
);
/// The updatable paths of a PublicService.
const SERVICE_FIELDS: UpdatableFields =
    UpdatableFields::new("jalia.catalog.v1.PublicService", &UPDATABLE_PATHS);

type Checked<T> = Result<T, Vec<FieldViolation>>;

/// `value`, or every violation recorded, as the catalog's error.
fn finish<T>(violations: Violations, value: Option<T>) -> Result<T, Error> {
    match value {
        Some(value) if violations.is_empty() => Ok(value),
        _ => Err(Error::Invalid(violations.into_vec())),
    }
}

/// One problem with a field read whole.
fn whole(problem: String) -> Vec<FieldViolation> {
    vec![FieldViolation::new("", problem)]
}

// ---- names ----------------------------------------------------------------------------

/// `agencies/{agency}`, violation on `field`.
pub(crate) fn agency_code(name: &str, field: &str) -> Result<AgencyCode, Error> {
    convert::agency_name(name).map_err(|problem| FieldViolation::new(field, problem).into())
}

fn parse_service_name(name: &str) -> Result<ServiceName, String> {
    let (agency, ids) = parse_name(name, &["services"]).map_err(|err| err.to_string())?;
    match ids.as_slice() {
        [id] => Ok(ServiceName { agency, id: *id }),
        _ => Err("must name one service".to_owned()),
    }
}

/// `agencies/{agency}/services/{service}`, violation on `field`.
pub(crate) fn service_name(name: &str, field: &str) -> Result<ServiceName, Error> {
    parse_service_name(name).map_err(|problem| FieldViolation::new(field, problem).into())
}

/// `agencies/{agency}/services/{service}/revisions/{revision}`, violation on `name`.
pub(crate) fn revision_name(name: &str) -> Result<(ServiceName, i64), Error> {
    let problem = || {
        Error::from(FieldViolation::new(
            "name",
            "must look like `agencies/{agency}/services/{service}/revisions/{revision}`",
        ))
    };
    let (service, written) = name.rsplit_once("/revisions/").ok_or_else(problem)?;
    // Only the plain decimal form ("3", not "03" or "+3"), so a revision has one name.
    let number: i64 = written
        .parse()
        .ok()
        .filter(|number: &i64| *number >= 1 && number.to_string() == written)
        .ok_or_else(problem)?;
    Ok((service_name(service, "name")?, number))
}

/// A category's or life event's name in a Get request, violation on `name`.
pub(crate) fn term_name(kind: TermKind, name: &str) -> Result<Uuid, Error> {
    kind.parse_name(name)
        .map_err(|problem| FieldViolation::new("name", problem).into())
}

/// A lifecycle change's service name and etag (PublishPublicService,
/// RetirePublicService, DeletePublicService).
pub(crate) fn lifecycle(name: &str, etag: &str) -> Result<(ServiceName, IfMatch), Error> {
    let mut violations = Violations::new();
    let name = violations.check("name", parse_service_name(name));
    let if_match = take_one(&mut violations, IfMatch::required(etag, "etag"));
    finish(violations, name.zip(if_match))
}

fn take_one<T>(violations: &mut Violations, checked: Result<T, FieldViolation>) -> Option<T> {
    checked.map_err(|violation| violations.push(violation)).ok()
}

// ---- wire enums -----------------------------------------------------------------------

fn agency_kind(number: i32) -> Option<AgencyKind> {
    Some(match wire::AgencyKind::try_from(number).ok()? {
        wire::AgencyKind::Unspecified => return None,
        wire::AgencyKind::UrbanAgency => AgencyKind::UrbanAgency,
        wire::AgencyKind::Wilaya => AgencyKind::Wilaya,
        wire::AgencyKind::Province => AgencyKind::Province,
        wire::AgencyKind::Ministry => AgencyKind::Ministry,
        wire::AgencyKind::MinistryBody => AgencyKind::MinistryBody,
        wire::AgencyKind::RegionalCouncil => AgencyKind::RegionalCouncil,
        wire::AgencyKind::ProvincialCouncil => AgencyKind::ProvincialCouncil,
        wire::AgencyKind::Commune => AgencyKind::Commune,
        wire::AgencyKind::Consulate => AgencyKind::Consulate,
    })
}

fn channel_kind(number: i32) -> Option<ChannelKind> {
    Some(match wire::ChannelKind::try_from(number).ok()? {
        wire::ChannelKind::Unspecified => return None,
        wire::ChannelKind::Online => ChannelKind::Online,
        wire::ChannelKind::InPerson => ChannelKind::InPerson,
        wire::ChannelKind::Mail => ChannelKind::Mail,
        wire::ChannelKind::Consulate => ChannelKind::Consulate,
        wire::ChannelKind::Phone => ChannelKind::Phone,
    })
}

fn status(number: i32) -> Option<Status> {
    Some(match wire::PublicServiceStatus::try_from(number).ok()? {
        wire::PublicServiceStatus::Unspecified => return None,
        wire::PublicServiceStatus::Draft => Status::Draft,
        wire::PublicServiceStatus::Published => Status::Published,
        wire::PublicServiceStatus::Retired => Status::Retired,
    })
}

fn weekday(number: i32) -> Option<Weekday> {
    Some(match wire::DayOfWeek::try_from(number).ok()? {
        wire::DayOfWeek::Unspecified => return None,
        wire::DayOfWeek::Monday => Weekday::Monday,
        wire::DayOfWeek::Tuesday => Weekday::Tuesday,
        wire::DayOfWeek::Wednesday => Weekday::Wednesday,
        wire::DayOfWeek::Thursday => Weekday::Thursday,
        wire::DayOfWeek::Friday => Weekday::Friday,
        wire::DayOfWeek::Saturday => Weekday::Saturday,
        wire::DayOfWeek::Sunday => Weekday::Sunday,
    })
}

// ---- parts ------------------------------------------------------------------------------

fn text(
    value: Option<&shared::LocalizedText>,
    max: usize,
    required: bool,
) -> Checked<LocalizedText> {
    convert::localized_text(value, max, required)
}

fn https_url(value: &str) -> Checked<HttpsUrl> {
    HttpsUrl::parse(value).map_err(whole)
}

fn optional_https_url(value: &str) -> Checked<Option<HttpsUrl>> {
    HttpsUrl::parse_optional(value).map_err(whole)
}

/// A repeated enum field: each a known value, none twice; violations name `[i]`.
fn enum_list<T: PartialEq>(
    numbers: &[i32],
    read: impl Fn(i32) -> Option<T>,
    problem: &str,
) -> Checked<Vec<T>> {
    let mut violations = Violations::new();
    let parsed = violations.each("", numbers, usize::MAX, |number| {
        read(*number).ok_or_else(|| whole(problem.to_owned()))
    });
    if violations.is_empty() {
        violations.take("", no_duplicates(&parsed));
    }
    violations.finish(|| parsed)
}

fn channel_kinds(numbers: &[i32]) -> Checked<Vec<ChannelKind>> {
    enum_list(numbers, channel_kind, "must be a channel kind")
}

/// Audiences as the contract numbers them; unlike the shared reading, which drops a
/// repeated audience, the catalog refuses one, as it always has.
fn audiences(numbers: &[i32]) -> Checked<Vec<Audience>> {
    enum_list(numbers, convert::audience, "must be an audience")
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
                day: weekday(period.day_of_week),
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
    let mut violations = Violations::new();
    let display_name = violations.take(
        "display_name",
        text(value.display_name.as_ref(), MAX_NAME_CHARS, true),
    );
    let kind = match wire::SiteKind::try_from(value.kind) {
        Ok(wire::SiteKind::Headquarters) => Some(SiteKind::Headquarters),
        Ok(wire::SiteKind::Antenna) => Some(SiteKind::Antenna),
        _ => {
            violations.add("kind", "must be HEADQUARTERS or ANTENNA");
            None
        }
    };
    let address = match &value.address {
        Some(address) => violations.take("address", convert::postal_address(address)),
        None => {
            violations.add("address", "required");
            None
        }
    };
    let opening_hours =
        violations.take("opening_hours", opening_hours(value.opening_hours.as_ref()));
    match (display_name, kind, address, opening_hours) {
        (Some(display_name), Some(kind), Some(address), Some(opening_hours))
            if violations.is_empty() =>
        {
            Ok(Site {
                display_name,
                kind,
                address,
                opening_hours,
            })
        }
        _ => Err(violations.into_vec()),
    }
}

fn channel(value: &wire::Channel) -> Checked<Channel> {
    let mut violations = Violations::new();
    let kind = channel_kind(value.kind);
    if kind.is_none() {
        violations.add("kind", "must be a channel kind");
    }
    let label = violations.take("label", text(value.label.as_ref(), MAX_LABEL_CHARS, false));
    let url = violations
        .take("url", optional_https_url(&value.url))
        .flatten();
    let address = value
        .address
        .as_ref()
        .and_then(|address| violations.take("address", convert::postal_address(address)));
    let phone = if value.phone.trim().is_empty() {
        None
    } else {
        violations.check("phone", Phone::parse(&value.phone))
    };
    let opening_hours = violations
        .take("opening_hours", opening_hours(value.opening_hours.as_ref()))
        .flatten();
    match (kind, label) {
        (Some(kind), Some(label)) if violations.is_empty() => {
            Channel::new(kind, label, url, address, phone, opening_hours)
        }
        _ => Err(violations.into_vec()),
    }
}

fn evidence(value: &wire::Evidence) -> Checked<Evidence> {
    let mut violations = Violations::new();
    let display_name = violations.take(
        "display_name",
        text(value.display_name.as_ref(), MAX_NAME_CHARS, true),
    );
    let description = violations.take(
        "description",
        text(value.description.as_ref(), MAX_DESCRIPTION_CHARS, false),
    );
    let channel_kinds = violations.take("channel_kinds", channel_kinds(&value.channel_kinds));
    match (display_name, description, channel_kinds) {
        (Some(display_name), Some(description), Some(channel_kinds)) => Ok(Evidence {
            display_name,
            description,
            channel_kinds,
        }),
        _ => Err(violations.into_vec()),
    }
}

fn cost(value: &wire::Cost) -> Checked<Cost> {
    let mut violations = Violations::new();
    let price = match &value.price {
        Some(wire::cost::Price::Amount(money)) => violations
            .take(
                "amount",
                Money::parse(&money.currency_code, money.amount_minor),
            )
            .map(Price::Amount),
        Some(wire::cost::Price::Free(true)) => Some(Price::Free),
        Some(wire::cost::Price::Free(false)) => {
            violations.add("free", "must be true when set");
            None
        }
        None => {
            violations.add(
                "amount",
                "set `amount`, or `free` for a service without charge",
            );
            None
        }
    };
    let description = violations.take(
        "description",
        text(value.description.as_ref(), MAX_LABEL_CHARS, false),
    );
    let channel_kinds = violations.take("channel_kinds", channel_kinds(&value.channel_kinds));
    match (price, description, channel_kinds) {
        (Some(price), Some(description), Some(channel_kinds)) => Ok(Cost {
            price,
            description,
            channel_kinds,
            illustrative: value.illustrative,
        }),
        _ => Err(violations.into_vec()),
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
    let mut violations = Violations::new();
    let title = violations.take("title", text(value.title.as_ref(), MAX_NAME_CHARS, true));
    let url = violations.take("url", optional_https_url(&value.url));
    match (title, url) {
        (Some(title), Some(url)) => Ok(LegalReference { title, url }),
        _ => Err(violations.into_vec()),
    }
}

fn related_platform(value: &wire::RelatedPlatform) -> Checked<RelatedPlatform> {
    let mut violations = Violations::new();
    let display_name = violations.take(
        "display_name",
        text(value.display_name.as_ref(), MAX_NAME_CHARS, true),
    );
    let url = violations.take("url", https_url(&value.url));
    match (display_name, url) {
        (Some(display_name), Some(url)) => Ok(RelatedPlatform { display_name, url }),
        _ => Err(violations.into_vec()),
    }
}

fn category(value: &str) -> Checked<Option<Uuid>> {
    if value.is_empty() {
        return Ok(None);
    }
    TermKind::Category
        .parse_name(value)
        .map(Some)
        .map_err(whole)
}

fn life_events(values: &[String]) -> Checked<Vec<Uuid>> {
    let mut violations = Violations::new();
    let ids = violations.each("", values, MAX_LIFE_EVENTS, |name| {
        TermKind::LifeEvent.parse_name(name).map_err(whole)
    });
    if violations.is_empty() {
        violations.take("", no_duplicates(&ids));
    }
    violations.finish(|| ids)
}

/// Each element of a repeated field checked; at most `max`.
fn list<W, T>(items: &[W], max: usize, check: impl FnMut(&W) -> Checked<T>) -> Checked<Vec<T>> {
    let mut violations = Violations::new();
    let checked = violations.each("", items, max, check);
    violations.finish(|| checked)
}

fn updated_after(value: Option<&prost_types::Timestamp>) -> Result<Option<Timestamp>, String> {
    value.map(convert::instant).transpose()
}

// ---- agencies ---------------------------------------------------------------------------

fn agency_patch(value: &wire::Agency, paths: &[&str]) -> Checked<AgencyPatch> {
    let mut violations = Violations::new();
    let mut patch = AgencyPatch::default();
    for path in paths.iter().copied() {
        match path {
            "display_name" => {
                patch.display_name = violations.take(
                    path,
                    text(value.display_name.as_ref(), MAX_NAME_CHARS, true),
                );
            }
            "kind" => {
                patch.kind = violations.check(
                    path,
                    agency_kind(value.kind).ok_or_else(|| "must be an agency kind".to_owned()),
                );
            }
            "region" => {
                patch.region =
                    violations.take(path, text(value.region.as_ref(), MAX_NAME_CHARS, false));
            }
            "province" => {
                patch.province =
                    violations.take(path, text(value.province.as_ref(), MAX_NAME_CHARS, false));
            }
            "contact_points" => {
                patch.contact_points = violations.take(
                    path,
                    list(&value.contact_points, MAX_LIST_ITEMS, contact_point),
                );
            }
            "parent_body" => {
                patch.parent_body =
                    violations.take(path, convert::agency_reference(value.parent_body.as_ref()));
            }
            "sites" => {
                patch.sites = violations.take(path, list(&value.sites, MAX_LIST_ITEMS, site));
            }
            "fallback_language_codes" => {
                patch.fallback_languages = violations.take(
                    path,
                    parse_fallback_languages(&value.fallback_language_codes),
                );
            }
            _ => {}
        }
    }
    violations.finish(|| patch)
}

/// ListAgencies' filters and page.
pub(crate) fn list_agencies(
    request: &wire::ListAgenciesRequest,
) -> Result<(AgencyQuery, PageRequest), Error> {
    let mut violations = Violations::new();
    let page = take_one(
        &mut violations,
        PageRequest::parse(request.page_size, &request.page_token),
    );
    let kind = match request.kind {
        0 => None,
        number => violations.check(
            "kind",
            agency_kind(number).ok_or_else(|| "must be an agency kind".to_owned()),
        ),
    };
    let parent_body = if request.parent_body.is_empty() {
        None
    } else {
        violations.check("parent_body", convert::agency_name(&request.parent_body))
    };
    let updated_after = violations
        .check(
            "updated_after",
            updated_after(request.updated_after.as_ref()),
        )
        .flatten();
    let query = AgencyQuery {
        kind,
        parent_body,
        updated_after,
    };
    finish(violations, page.map(|page| (query, page)))
}

/// CreateAgency's request.
pub(crate) fn new_agency(request: wire::CreateAgencyRequest) -> Result<NewAgency, Error> {
    let value = request.agency.unwrap_or_default();
    let mut violations = Violations::new();
    let request_id = take_one(&mut violations, RequestId::parse(&request.request_id));
    let code = violations.check("agency.code", parse_new_agency_code(&value.code));
    let patch = violations.take("agency", agency_patch(&value, &AGENCY_PATHS));
    let content = patch.and_then(|patch| {
        let kind = patch.kind?;
        Some(patch.apply(AgencyContent::of_kind(kind)))
    });
    if let Some(content) = &content
        && let Err(found) = content.check()
    {
        found.into_iter().for_each(|v| violations.push(v));
    }
    let new = match (code, content, request_id) {
        (Some(code), Some(content), Some(request_id)) => Some(NewAgency {
            code,
            content,
            request_id,
        }),
        _ => None,
    };
    finish(violations, new)
}

/// UpdateAgency's request.
pub(crate) fn agency_update(request: wire::UpdateAgencyRequest) -> Result<AgencyUpdate, Error> {
    let value = request.agency.unwrap_or_default();
    let mut violations = Violations::new();
    let code = violations.check("agency.name", convert::agency_name(&value.name));
    let if_match = take_one(
        &mut violations,
        IfMatch::required(&value.etag, "agency.etag"),
    );
    let patch = violations
        .take(
            "",
            AGENCY_FIELDS.resolve(request.update_mask.as_ref(), &value),
        )
        .and_then(|paths| violations.take("agency", agency_patch(&value, paths.paths())));
    let update = match (code, if_match, patch) {
        (Some(code), Some(if_match), Some(patch)) => Some(AgencyUpdate {
            code,
            patch,
            if_match,
        }),
        _ => None,
    };
    finish(violations, update)
}

// ---- the taxonomy -----------------------------------------------------------------------

fn term_patch(
    display_name: Option<&shared::LocalizedText>,
    description: Option<&shared::LocalizedText>,
    paths: &[&str],
) -> Checked<TermPatch> {
    let mut violations = Violations::new();
    let mut patch = TermPatch::default();
    for path in paths.iter().copied() {
        match path {
            "display_name" => {
                patch.display_name =
                    violations.take(path, text(display_name, MAX_NAME_CHARS, true));
            }
            "description" => {
                patch.description =
                    violations.take(path, text(description, MAX_DESCRIPTION_CHARS, false));
            }
            _ => {}
        }
    }
    violations.finish(|| patch)
}

/// ListCategories' filter and page.
pub(crate) fn list_categories(
    request: &wire::ListCategoriesRequest,
) -> Result<(TermQuery, PageRequest), Error> {
    list_terms(
        TermKind::Category,
        request.page_size,
        &request.page_token,
        request.updated_after.as_ref(),
    )
}

/// ListLifeEvents' filter and page.
pub(crate) fn list_life_events(
    request: &wire::ListLifeEventsRequest,
) -> Result<(TermQuery, PageRequest), Error> {
    list_terms(
        TermKind::LifeEvent,
        request.page_size,
        &request.page_token,
        request.updated_after.as_ref(),
    )
}

/// ListCategories' and ListLifeEvents' filters and page.
fn list_terms(
    kind: TermKind,
    page_size: i32,
    page_token: &str,
    updated: Option<&prost_types::Timestamp>,
) -> Result<(TermQuery, PageRequest), Error> {
    let mut violations = Violations::new();
    let page = take_one(&mut violations, PageRequest::parse(page_size, page_token));
    let updated_after = violations
        .check("updated_after", updated_after(updated))
        .flatten();
    finish(
        violations,
        page.map(|page| {
            (
                TermQuery {
                    kind,
                    updated_after,
                },
                page,
            )
        }),
    )
}

/// A category's or life event's parts as a request carries them.
pub(crate) struct TermParts<'a> {
    /// Which collection.
    pub(crate) kind: TermKind,
    /// The request's field, `category` or `life_event`.
    pub(crate) field: &'a str,
    /// Its name (updates).
    pub(crate) name: &'a str,
    /// Its etag (updates).
    pub(crate) etag: &'a str,
    /// Its name text.
    pub(crate) display_name: Option<&'a shared::LocalizedText>,
    /// Its description.
    pub(crate) description: Option<&'a shared::LocalizedText>,
}

/// CreateCategory's and CreateLifeEvent's request.
pub(crate) fn new_term(parts: &TermParts<'_>, request_id: &str) -> Result<NewTerm, Error> {
    let mut violations = Violations::new();
    let request_id = take_one(&mut violations, RequestId::parse(request_id));
    let patch = violations.take(
        parts.field,
        term_patch(
            parts.display_name,
            parts.description,
            &["display_name", "description"],
        ),
    );
    let new = patch.zip(request_id).map(|(patch, request_id)| NewTerm {
        kind: parts.kind,
        content: patch.apply(TermContent::default()),
        request_id,
    });
    finish(violations, new)
}

/// UpdateCategory's and UpdateLifeEvent's request; `resource` is the category or life
/// event the request carries, which an empty update mask reads.
pub(crate) fn term_update(
    parts: &TermParts<'_>,
    resource: &impl prost::Message,
    mask: Option<&prost_types::FieldMask>,
) -> Result<TermUpdate, Error> {
    let fields = match parts.kind {
        TermKind::Category => CATEGORY_FIELDS,
        TermKind::LifeEvent => LIFE_EVENT_FIELDS,
    };
    let mut violations = Violations::new();
    let id = violations.check(
        &format!("{}.name", parts.field),
        parts.kind.parse_name(parts.name),
    );
    let etag_field = format!("{}.etag", parts.field);
    let if_match = take_one(&mut violations, IfMatch::required(parts.etag, &etag_field));
    let patch = violations
        .take("", fields.resolve(mask, resource))
        .and_then(|paths| {
            violations.take(
                parts.field,
                term_patch(parts.display_name, parts.description, paths.paths()),
            )
        });
    let update = match (id, if_match, patch) {
        (Some(id), Some(if_match), Some(patch)) => Some(TermUpdate {
            kind: parts.kind,
            id,
            patch,
            if_match,
        }),
        _ => None,
    };
    finish(violations, update)
}

// ---- public services --------------------------------------------------------------------

fn service_patch(value: &wire::PublicService, paths: &[&str]) -> Checked<ServicePatch> {
    let mut violations = Violations::new();
    let mut patch = ServicePatch::default();
    for path in paths.iter().copied() {
        match path {
            "competent_authority" => {
                patch.competent_authority = violations.take(
                    path,
                    convert::agency_reference(value.competent_authority.as_ref()),
                );
            }
            "display_name" => {
                patch.display_name = violations.take(
                    path,
                    text(value.display_name.as_ref(), MAX_NAME_CHARS, true),
                );
            }
            "description" => {
                patch.description = violations.take(
                    path,
                    text(value.description.as_ref(), MAX_DESCRIPTION_CHARS, false),
                );
            }
            "keywords" => {
                patch.keywords = violations.take(
                    path,
                    list(&value.keywords, MAX_KEYWORDS, |keyword| {
                        text(Some(keyword), MAX_LABEL_CHARS, true)
                    }),
                );
            }
            "category" => patch.category = violations.take(path, category(&value.category)),
            "life_events" => {
                patch.life_events = violations.take(path, life_events(&value.life_events));
            }
            "audiences" => patch.audiences = violations.take(path, audiences(&value.audiences)),
            "channels" => {
                patch.channels =
                    violations.take(path, list(&value.channels, MAX_LIST_ITEMS, channel));
            }
            "requirements" => {
                patch.requirements = violations.take(
                    path,
                    list(&value.requirements, MAX_LIST_ITEMS, |requirement| {
                        text(Some(requirement), MAX_DESCRIPTION_CHARS, true)
                    }),
                );
            }
            "evidence" => {
                patch.evidence =
                    violations.take(path, list(&value.evidence, MAX_LIST_ITEMS, evidence));
            }
            "costs" => {
                patch.costs = violations.take(path, list(&value.costs, MAX_LIST_ITEMS, cost))
            }
            "processing_time" => {
                patch.processing_time =
                    violations.take(path, processing_time(value.processing_time.as_ref()));
            }
            "output" => {
                patch.output = violations.take(
                    path,
                    text(value.output.as_ref(), MAX_DESCRIPTION_CHARS, false),
                );
            }
            "legal_references" => {
                patch.legal_references = violations.take(
                    path,
                    list(&value.legal_references, MAX_LIST_ITEMS, legal_reference),
                );
            }
            "related_platforms" => {
                patch.related_platforms = violations.take(
                    path,
                    list(&value.related_platforms, MAX_LIST_ITEMS, related_platform),
                );
            }
            _ => {}
        }
    }
    violations.finish(|| patch)
}

/// A PublicService as a create carries it: every field read.
fn service_content(value: &wire::PublicService) -> Checked<ServiceContent> {
    service_patch(value, &UPDATABLE_PATHS).map(|patch| patch.apply(ServiceContent::default()))
}

/// CreatePublicService's request.
pub(crate) fn new_service(request: wire::CreatePublicServiceRequest) -> Result<NewService, Error> {
    let value = request.public_service.unwrap_or_default();
    let mut violations = Violations::new();
    let parent = violations.check("parent", convert::agency_name(&request.parent));
    let content = violations.take("public_service", service_content(&value));
    let request_id = take_one(&mut violations, RequestId::parse(&request.request_id));
    let new = match (parent, content, request_id) {
        (Some(parent), Some(content), Some(request_id)) => Some(NewService {
            parent,
            content,
            request_id,
        }),
        _ => None,
    };
    finish(violations, new)
}

/// UpdatePublicService's request.
pub(crate) fn service_update(
    request: wire::UpdatePublicServiceRequest,
) -> Result<ServiceUpdate, Error> {
    let value = request.public_service.unwrap_or_default();
    let mut violations = Violations::new();
    let name = violations.check("public_service.name", parse_service_name(&value.name));
    let if_match = take_one(
        &mut violations,
        IfMatch::required(&value.etag, "public_service.etag"),
    );
    let patch = violations
        .take(
            "",
            SERVICE_FIELDS.resolve(request.update_mask.as_ref(), &value),
        )
        .and_then(|paths| violations.take("public_service", service_patch(&value, paths.paths())));
    let update = match (name, if_match, patch) {
        (Some(name), Some(if_match), Some(patch)) => Some(ServiceUpdate {
            name,
            patch,
            if_match,
        }),
        _ => None,
    };
    finish(violations, update)
}

/// The filters ListPublicServices and SearchPublicServices share.
pub(crate) struct ServiceFilters<'a> {
    pub(crate) parent: &'a str,
    pub(crate) category: &'a str,
    pub(crate) life_event: &'a str,
    pub(crate) audience: i32,
    pub(crate) channel_kind: i32,
    pub(crate) statuses: &'a [i32],
    pub(crate) updated_after: Option<&'a prost_types::Timestamp>,
}

fn service_query(filters: &ServiceFilters<'_>, violations: &mut Violations) -> ServiceQuery {
    let agency = violations
        .check("parent", AgencyFilter::parse_parent(filters.parent))
        .and_then(|filter| filter.agency().cloned());
    let category = violations
        .take("category", category(filters.category))
        .flatten();
    let life_event = if filters.life_event.is_empty() {
        None
    } else {
        violations.check(
            "life_event",
            TermKind::LifeEvent.parse_name(filters.life_event),
        )
    };
    let audience = violations
        .check("audience", convert::audience_filter(filters.audience))
        .flatten();
    let channel_kind = match filters.channel_kind {
        0 => None,
        number => violations.check(
            "channel_kind",
            channel_kind(number).ok_or_else(|| "must be a channel kind".to_owned()),
        ),
    };
    let mut statuses = violations.each("statuses", filters.statuses, usize::MAX, |number| {
        status(*number).ok_or_else(|| whole("must be DRAFT, PUBLISHED or RETIRED".to_owned()))
    });
    statuses.sort_unstable();
    statuses.dedup();
    let updated_after = violations
        .check("updated_after", updated_after(filters.updated_after))
        .flatten();
    ServiceQuery {
        agency,
        category,
        life_event,
        audience,
        channel_kind,
        statuses,
        updated_after,
    }
}

/// ListPublicServices' filters and page.
pub(crate) fn list_services(
    request: &wire::ListPublicServicesRequest,
) -> Result<(ServiceQuery, PageRequest), Error> {
    let mut violations = Violations::new();
    let page = take_one(
        &mut violations,
        PageRequest::parse(request.page_size, &request.page_token),
    );
    let query = service_query(
        &ServiceFilters {
            parent: &request.parent,
            category: &request.category,
            life_event: &request.life_event,
            audience: request.audience,
            channel_kind: request.channel_kind,
            statuses: &request.statuses,
            updated_after: request.updated_after.as_ref(),
        },
        &mut violations,
    );
    finish(violations, page.map(|page| (query, page)))
}

/// SearchPublicServices' words, filters and page.
pub(crate) fn search(
    request: &wire::SearchPublicServicesRequest,
) -> Result<(SearchQuery, PageRequest), Error> {
    let mut violations = Violations::new();
    let words = violations.check("query", search_words(&request.query));
    let page = take_one(
        &mut violations,
        PageRequest::parse(request.page_size, &request.page_token),
    );
    let filter = service_query(
        &ServiceFilters {
            parent: &request.parent,
            category: &request.category,
            life_event: &request.life_event,
            audience: request.audience,
            channel_kind: request.channel_kind,
            statuses: &request.statuses,
            updated_after: request.updated_after.as_ref(),
        },
        &mut violations,
    );
    let search = words
        .zip(page)
        .map(|(words, page)| (SearchQuery { words, filter }, page));
    finish(violations, search)
}

/// A search query's words: 1 to 200 characters that fold to 1 to 16 distinct words.
fn search_words(query: &str) -> Result<Vec<String>, String> {
    let length = query.chars().count();
    if length == 0 || length > MAX_QUERY_CHARS {
        return Err(format!("must be 1 to {MAX_QUERY_CHARS} characters"));
    }
    let words = query_words(query);
    if words.is_empty() {
        return Err(format!("{} holds no word to search for", quote(query)));
    }
    if words.len() > MAX_QUERY_WORDS {
        return Err(format!("holds more than {MAX_QUERY_WORDS} distinct words"));
    }
    Ok(words)
}

/// ListPublicServiceRevisions' service, filter and page.
pub(crate) fn list_revisions(
    request: &wire::ListPublicServiceRevisionsRequest,
) -> Result<(RevisionQuery, PageRequest), Error> {
    let mut violations = Violations::new();
    let name = violations.check("parent", parse_service_name(&request.parent));
    let page = take_one(
        &mut violations,
        PageRequest::parse(request.page_size, &request.page_token),
    );
    let created_after = violations
        .check(
            "updated_after",
            updated_after(request.updated_after.as_ref()),
        )
        .flatten();
    let list = name.zip(page).map(|(name, page)| {
        (
            RevisionQuery {
                agency: name.agency,
                service: name.id,
                created_after,
            },
            page,
        )
    });
    finish(violations, list)
}

// ---- change feed ----------------------------------------------------------------------

/// WatchChanges: whose changes, which kinds, from where (the cursor is read by the use
/// case, which knows the feed's positions).
pub(crate) fn watch_changes(
    request: &wire::WatchChangesRequest,
) -> Result<WatchQuery<PublicChange>, Error> {
    let mut violations = Violations::new();
    let agency = violations.check("parent", AgencyFilter::parse_parent(&request.parent));
    let mut kinds = violations.each("kinds", &request.kinds, usize::MAX, |number| {
        change_kind(*number).ok_or_else(|| {
            whole("must be SERVICE_PUBLISHED, SERVICE_CHANGED or SERVICE_RETIRED".to_owned())
        })
    });
    kinds.sort_unstable_by_key(|kind| *kind as u8);
    kinds.dedup();
    finish(
        violations,
        agency.map(|agencies| WatchQuery {
            agencies,
            kinds,
            cursor: request.cursor.clone(),
            from_oldest: request.from_oldest,
        }),
    )
}

fn change_kind(number: i32) -> Option<PublicChange> {
    Some(match wire::ChangeKind::try_from(number).ok()? {
        wire::ChangeKind::Unspecified => return None,
        wire::ChangeKind::ServicePublished => PublicChange::Published,
        wire::ChangeKind::ServiceChanged => PublicChange::Changed,
        wire::ChangeKind::ServiceRetired => PublicChange::Retired,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(entries: &[(&str, &str)]) -> Option<shared::LocalizedText> {
        Some(shared::LocalizedText {
            entries: entries
                .iter()
                .map(|(language, text)| shared::LocalizedString {
                    language_code: (*language).to_owned(),
                    text: (*text).to_owned(),
                })
                .collect(),
            resolved: None,
        })
    }

    #[test]
    fn updatable_paths_are_fields_of_the_contract() {
        for fields in [
            AGENCY_FIELDS,
            CATEGORY_FIELDS,
            LIFE_EVENT_FIELDS,
            SERVICE_FIELDS,
        ] {
            assert_eq!(fields.check(), Ok(()));
        }
    }

    #[test]
    fn a_bad_service_reports_every_field() {
        let service = wire::PublicService {
            display_name: texts(&[("fr", "  ")]),
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
                display_name: texts(&[("fr", "Rokhas")]),
                url: "http://rokhas.ma".to_owned(),
            }],
            ..wire::PublicService::default()
        };
        let Err(Error::Invalid(violations)) = new_service(wire::CreatePublicServiceRequest {
            parent: "agencies/bm".to_owned(),
            public_service: Some(service),
            request_id: String::new(),
        }) else {
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
        assert!(search_words("!!!").is_err());
        assert!(search_words(&"x".repeat(201)).is_err());
    }

    #[test]
    fn update_masks_follow_the_suite_rule() {
        let update = |paths: &[&str], service: wire::PublicService| {
            service_update(wire::UpdatePublicServiceRequest {
                public_service: Some(wire::PublicService {
                    name: format!("agencies/bm/services/{}", Uuid::now_v7()),
                    etag: "\"v1\"".to_owned(),
                    ..service
                }),
                update_mask: (!paths.is_empty()).then(|| prost_types::FieldMask {
                    paths: paths.iter().map(|p| (*p).to_owned()).collect(),
                }),
            })
        };
        let category = wire::PublicService {
            category: format!("categories/{}", Uuid::now_v7()),
            ..wire::PublicService::default()
        };
        let implied = update(&[], category.clone()).unwrap();
        assert!(implied.patch.category.is_some());
        assert!(implied.patch.display_name.is_none());
        let Err(Error::Invalid(violations)) = update(&["costs", "status"], category.clone()) else {
            panic!("accepted an unknown path");
        };
        assert_eq!(violations[0].field, "update_mask.paths[1]");
        let Err(Error::Invalid(violations)) = update(&["*"], category) else {
            panic!("`*` without a name accepted");
        };
        assert_eq!(violations[0].field, "public_service.display_name.entries");
    }

    #[test]
    fn names() {
        let id = Uuid::now_v7();
        let name = service_name(&format!("agencies/bm/services/{id}"), "name").unwrap();
        assert_eq!((name.agency.as_str(), name.id), ("bm", id));
        let (_, number) = revision_name(&format!("agencies/bm/services/{id}/revisions/3")).unwrap();
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

    #[test]
    fn contract_numbers_read_as_domain_values() {
        assert_eq!(agency_kind(1), Some(AgencyKind::UrbanAgency));
        assert_eq!(agency_kind(9), Some(AgencyKind::Consulate));
        assert_eq!(agency_kind(0), None);
        assert_eq!(agency_kind(10), None);
        assert_eq!(channel_kind(5), Some(ChannelKind::Phone));
        assert_eq!(status(2), Some(Status::Published));
        assert_eq!(weekday(7), Some(Weekday::Sunday));
        assert_eq!(weekday(8), None);
        assert_eq!(
            audiences(&[1, 2]).unwrap(),
            [Audience::Citizens, Audience::Diaspora]
        );
        assert_eq!(audiences(&[1, 1]).unwrap_err()[0].field, "[1]");
    }
}
