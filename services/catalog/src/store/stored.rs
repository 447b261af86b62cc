//! The shapes the catalog stores, owned here rather than by the domain, so that renaming
//! a domain type or variant can never reinterpret a row written before:
//! - the JSON columns (an agency's, a term's and a service's content, a revision's
//!   snapshot and changed paths) and the results idempotency records keep, as serde
//!   types of their own, field names and variant names spelt out;
//! - the enum columns, as [`StoredCode`]s with explicit codes, and the audience and
//!   channel-kind bits services are filtered on.
//!
//! These shapes are the ones the first release wrote (derived then from the domain
//! types); a test pins each one's JSON and every code. The shared value types inside
//! (texts, agency and language codes, emails, phones) keep their own serde forms, which
//! the same test pins too.

use std::collections::BTreeMap;

use jalia_db::{DbError, StoredCode, UnknownCode, from_micros, to_micros};
use jalia_model::{
    AgencyCode, Audience, CountryCode, Email, LanguageCode, LocalizedText, Phone, PostalAddress,
};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::domain::agency::{
    Agency, AgencyContent, AgencyKind, AgencyLabel, AgencyLabels, Labelled, Site, SiteKind,
};
use crate::domain::hours::{CivilDate, OpeningHours, TimeOfDay, Weekday, WeeklyPeriod};
use crate::domain::place::{ContactPoint, HttpsUrl};
use crate::domain::public_service::{
    Channel, ChannelKind, Cost, Currency, Evidence, LegalReference, Money, Price, ProcessingTime,
    PublicService, RelatedPlatform, ServiceContent, Status,
};
use crate::domain::revision::RevisionAction;
use crate::domain::search::SearchField;
use crate::domain::taxonomy::{Term, TermContent, TermKind};

// ---- enum columns ------------------------------------------------------------------------

impl StoredCode for AgencyKind {
    const WHAT: &'static str = "agency kind";
    fn all() -> &'static [Self] {
        &[
            Self::UrbanAgency,
            Self::Wilaya,
            Self::Province,
            Self::Ministry,
            Self::MinistryBody,
            Self::RegionalCouncil,
            Self::ProvincialCouncil,
            Self::Commune,
            Self::Consulate,
        ]
    }
    fn code(self) -> i32 {
        match self {
            Self::UrbanAgency => 1,
            Self::Wilaya => 2,
            Self::Province => 3,
            Self::Ministry => 4,
            Self::MinistryBody => 5,
            Self::RegionalCouncil => 6,
            Self::ProvincialCouncil => 7,
            Self::Commune => 8,
            Self::Consulate => 9,
        }
    }
}

impl StoredCode for TermKind {
    const WHAT: &'static str = "term kind";
    fn all() -> &'static [Self] {
        &[Self::Category, Self::LifeEvent]
    }
    fn code(self) -> i32 {
        match self {
            Self::Category => 1,
            Self::LifeEvent => 2,
        }
    }
}

impl StoredCode for Status {
    const WHAT: &'static str = "service status";
    fn all() -> &'static [Self] {
        &Self::ALL
    }
    fn code(self) -> i32 {
        match self {
            Self::Draft => 1,
            Self::Published => 2,
            Self::Retired => 3,
        }
    }
}

impl StoredCode for RevisionAction {
    const WHAT: &'static str = "revision action";
    fn all() -> &'static [Self] {
        &Self::ALL
    }
    fn code(self) -> i32 {
        match self {
            Self::Create => 1,
            Self::Update => 2,
            Self::Publish => 3,
            Self::Retire => 4,
        }
    }
}

impl StoredCode for SearchField {
    const WHAT: &'static str = "search token field";
    fn all() -> &'static [Self] {
        &Self::ALL
    }
    fn code(self) -> i32 {
        match self {
            Self::Name => 1,
            Self::Keyword => 2,
            Self::Description => 3,
        }
    }
}

/// An audience's bit in `catalog_services.audience_mask`.
pub(crate) fn audience_bit(audience: Audience) -> i64 {
    match audience {
        Audience::Citizens => 1,
        Audience::Diaspora => 1 << 1,
        Audience::Professionals => 1 << 2,
        Audience::Associations => 1 << 3,
        Audience::PublicOfficials => 1 << 4,
    }
}

/// A channel kind's bit in `catalog_services.channel_mask`.
pub(crate) fn channel_bit(kind: ChannelKind) -> i64 {
    match kind {
        ChannelKind::Online => 1,
        ChannelKind::InPerson => 1 << 1,
        ChannelKind::Mail => 1 << 2,
        ChannelKind::Consulate => 1 << 3,
        ChannelKind::Phone => 1 << 4,
    }
}

/// Reads an enum column.
pub(crate) fn decode<T: StoredCode>(code: i32) -> Result<T, DbError> {
    T::from_code(code).map_err(|UnknownCode { what, code }| {
        DbError::other(format!("unknown stored {what} code {code}"))
    })
}

// ---- JSON: the one way in and out ----------------------------------------------------------

/// A domain value with a stored JSON shape of its own.
pub(crate) trait StoredShape: Sized {
    /// The serde type the JSON is read into and written from.
    type Shape: Serialize + DeserializeOwned;
    /// The stored shape of the value.
    fn to_shape(&self) -> Self::Shape;
    /// The value of a stored shape; an error names what no longer reads.
    fn from_shape(shape: Self::Shape) -> Result<Self, String>;
}

/// A value serialized in its stored shape: what `create_once` fingerprints and keeps.
#[derive(Debug, Clone)]
pub(crate) struct Stored<T>(pub(crate) T);

impl<T: StoredShape> Serialize for Stored<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.to_shape().serialize(serializer)
    }
}

impl<'de, T: StoredShape> Deserialize<'de> for Stored<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let shape = T::Shape::deserialize(deserializer)?;
        T::from_shape(shape).map(Self).map_err(D::Error::custom)
    }
}

/// The JSON a column holds for `value`.
pub(crate) fn to_json<T: StoredShape>(value: &T) -> Result<String, DbError> {
    serde_json::to_string(&value.to_shape())
        .map_err(|err| DbError::other(format!("cannot encode a stored value: {err}")))
}

/// The value a JSON column holds; `what` names the column for the error.
pub(crate) fn from_json<T: StoredShape>(json: &str, what: &str) -> Result<T, DbError> {
    let shape: T::Shape = serde_json::from_str(json)
        .map_err(|err| DbError::other(format!("stored {what} does not read: {err}")))?;
    T::from_shape(shape).map_err(|err| DbError::other(format!("stored {what}: {err}")))
}

fn url(value: String) -> Result<HttpsUrl, String> {
    HttpsUrl::parse(&value)
}

fn optional_url(value: Option<String>) -> Result<Option<HttpsUrl>, String> {
    value.map(url).transpose()
}

// ---- places -------------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredAddress {
    address_lines: Vec<String>,
    locality: String,
    province: String,
    region: String,
    postal_code: String,
    country: Option<CountryCode>,
    place_name: LocalizedText,
    latitude: Option<f64>,
    longitude: Option<f64>,
}

impl StoredShape for PostalAddress {
    type Shape = StoredAddress;
    fn to_shape(&self) -> StoredAddress {
        StoredAddress {
            address_lines: self.address_lines.clone(),
            locality: self.locality.clone(),
            province: self.province.clone(),
            region: self.region.clone(),
            postal_code: self.postal_code.clone(),
            country: self.country.clone(),
            place_name: self.place_name.clone(),
            latitude: self.latitude,
            longitude: self.longitude,
        }
    }
    fn from_shape(shape: StoredAddress) -> Result<Self, String> {
        Ok(Self {
            address_lines: shape.address_lines,
            locality: shape.locality,
            province: shape.province,
            region: shape.region,
            postal_code: shape.postal_code,
            country: shape.country,
            place_name: shape.place_name,
            latitude: shape.latitude,
            longitude: shape.longitude,
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredContactPoint {
    label: LocalizedText,
    email: Option<Email>,
    phone: Option<Phone>,
    url: Option<String>,
}

impl StoredShape for ContactPoint {
    type Shape = StoredContactPoint;
    fn to_shape(&self) -> StoredContactPoint {
        StoredContactPoint {
            label: self.label.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            url: self.url.as_ref().map(|url| url.as_str().to_owned()),
        }
    }
    fn from_shape(shape: StoredContactPoint) -> Result<Self, String> {
        Ok(Self {
            label: shape.label,
            email: shape.email,
            phone: shape.phone,
            url: optional_url(shape.url)?,
        })
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StoredWeekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl From<Weekday> for StoredWeekday {
    fn from(day: Weekday) -> Self {
        match day {
            Weekday::Monday => Self::Monday,
            Weekday::Tuesday => Self::Tuesday,
            Weekday::Wednesday => Self::Wednesday,
            Weekday::Thursday => Self::Thursday,
            Weekday::Friday => Self::Friday,
            Weekday::Saturday => Self::Saturday,
            Weekday::Sunday => Self::Sunday,
        }
    }
}

impl From<StoredWeekday> for Weekday {
    fn from(day: StoredWeekday) -> Self {
        match day {
            StoredWeekday::Monday => Self::Monday,
            StoredWeekday::Tuesday => Self::Tuesday,
            StoredWeekday::Wednesday => Self::Wednesday,
            StoredWeekday::Thursday => Self::Thursday,
            StoredWeekday::Friday => Self::Friday,
            StoredWeekday::Saturday => Self::Saturday,
            StoredWeekday::Sunday => Self::Sunday,
        }
    }
}

/// A weekly period: times as "HH:MM", dates as "YYYY-MM-DD".
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredPeriod {
    day: StoredWeekday,
    opens: String,
    closes: String,
    valid_from: Option<String>,
    valid_until: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredHours {
    time_zone: String,
    periods: Vec<StoredPeriod>,
}

impl StoredShape for OpeningHours {
    type Shape = StoredHours;
    fn to_shape(&self) -> StoredHours {
        StoredHours {
            time_zone: self.time_zone.clone(),
            periods: self
                .periods
                .iter()
                .map(|period| StoredPeriod {
                    day: period.day.into(),
                    opens: period.opens.to_string(),
                    closes: period.closes.to_string(),
                    valid_from: period.valid_from.map(|date| date.to_string()),
                    valid_until: period.valid_until.map(|date| date.to_string()),
                })
                .collect(),
        }
    }
    fn from_shape(shape: StoredHours) -> Result<Self, String> {
        let date = |value: Option<String>| value.as_deref().map(CivilDate::parse).transpose();
        let periods = shape
            .periods
            .into_iter()
            .map(|period| {
                Ok(WeeklyPeriod {
                    day: period.day.into(),
                    opens: TimeOfDay::parse(&period.opens)?,
                    closes: TimeOfDay::parse(&period.closes)?,
                    valid_from: date(period.valid_from)?,
                    valid_until: date(period.valid_until)?,
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(Self {
            time_zone: shape.time_zone,
            periods,
        })
    }
}

// ---- agencies ------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StoredAgencyKind {
    UrbanAgency,
    Wilaya,
    Province,
    Ministry,
    MinistryBody,
    RegionalCouncil,
    ProvincialCouncil,
    Commune,
    Consulate,
}

impl From<AgencyKind> for StoredAgencyKind {
    fn from(kind: AgencyKind) -> Self {
        match kind {
            AgencyKind::UrbanAgency => Self::UrbanAgency,
            AgencyKind::Wilaya => Self::Wilaya,
            AgencyKind::Province => Self::Province,
            AgencyKind::Ministry => Self::Ministry,
            AgencyKind::MinistryBody => Self::MinistryBody,
            AgencyKind::RegionalCouncil => Self::RegionalCouncil,
            AgencyKind::ProvincialCouncil => Self::ProvincialCouncil,
            AgencyKind::Commune => Self::Commune,
            AgencyKind::Consulate => Self::Consulate,
        }
    }
}

impl From<StoredAgencyKind> for AgencyKind {
    fn from(kind: StoredAgencyKind) -> Self {
        match kind {
            StoredAgencyKind::UrbanAgency => Self::UrbanAgency,
            StoredAgencyKind::Wilaya => Self::Wilaya,
            StoredAgencyKind::Province => Self::Province,
            StoredAgencyKind::Ministry => Self::Ministry,
            StoredAgencyKind::MinistryBody => Self::MinistryBody,
            StoredAgencyKind::RegionalCouncil => Self::RegionalCouncil,
            StoredAgencyKind::ProvincialCouncil => Self::ProvincialCouncil,
            StoredAgencyKind::Commune => Self::Commune,
            StoredAgencyKind::Consulate => Self::Consulate,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StoredSiteKind {
    Headquarters,
    Antenna,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredSite {
    display_name: LocalizedText,
    kind: StoredSiteKind,
    address: StoredAddress,
    opening_hours: Option<StoredHours>,
}

impl StoredShape for Site {
    type Shape = StoredSite;
    fn to_shape(&self) -> StoredSite {
        StoredSite {
            display_name: self.display_name.clone(),
            kind: match self.kind {
                SiteKind::Headquarters => StoredSiteKind::Headquarters,
                SiteKind::Antenna => StoredSiteKind::Antenna,
            },
            address: self.address.to_shape(),
            opening_hours: self.opening_hours.as_ref().map(StoredShape::to_shape),
        }
    }
    fn from_shape(shape: StoredSite) -> Result<Self, String> {
        Ok(Self {
            display_name: shape.display_name,
            kind: match shape.kind {
                StoredSiteKind::Headquarters => SiteKind::Headquarters,
                StoredSiteKind::Antenna => SiteKind::Antenna,
            },
            address: PostalAddress::from_shape(shape.address)?,
            opening_hours: shape
                .opening_hours
                .map(OpeningHours::from_shape)
                .transpose()?,
        })
    }
}

/// `catalog_agencies.content`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredAgencyContent {
    display_name: LocalizedText,
    kind: StoredAgencyKind,
    region: LocalizedText,
    province: LocalizedText,
    contact_points: Vec<StoredContactPoint>,
    parent_body: Option<AgencyCode>,
    sites: Vec<StoredSite>,
    fallback_languages: Vec<LanguageCode>,
}

impl StoredShape for AgencyContent {
    type Shape = StoredAgencyContent;
    fn to_shape(&self) -> StoredAgencyContent {
        StoredAgencyContent {
            display_name: self.display_name.clone(),
            kind: self.kind.into(),
            region: self.region.clone(),
            province: self.province.clone(),
            contact_points: self
                .contact_points
                .iter()
                .map(StoredShape::to_shape)
                .collect(),
            parent_body: self.parent_body.clone(),
            sites: self.sites.iter().map(StoredShape::to_shape).collect(),
            fallback_languages: self.fallback_languages.clone(),
        }
    }
    fn from_shape(shape: StoredAgencyContent) -> Result<Self, String> {
        Ok(Self {
            display_name: shape.display_name,
            kind: shape.kind.into(),
            region: shape.region,
            province: shape.province,
            contact_points: shape
                .contact_points
                .into_iter()
                .map(ContactPoint::from_shape)
                .collect::<Result<_, _>>()?,
            parent_body: shape.parent_body,
            sites: shape
                .sites
                .into_iter()
                .map(Site::from_shape)
                .collect::<Result<_, _>>()?,
            fallback_languages: shape.fallback_languages,
        })
    }
}

/// An agency, as an idempotency record keeps a created one.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredAgency {
    code: AgencyCode,
    content: StoredAgencyContent,
    create_time: i64,
    update_time: i64,
    version: i64,
}

impl StoredShape for Agency {
    type Shape = StoredAgency;
    fn to_shape(&self) -> StoredAgency {
        StoredAgency {
            code: self.code.clone(),
            content: self.content.to_shape(),
            create_time: to_micros(self.create_time),
            update_time: to_micros(self.update_time),
            version: self.version,
        }
    }
    fn from_shape(shape: StoredAgency) -> Result<Self, String> {
        Ok(Self {
            code: shape.code,
            content: AgencyContent::from_shape(shape.content)?,
            create_time: from_micros(shape.create_time),
            update_time: from_micros(shape.update_time),
            version: shape.version,
        })
    }
}

/// The agencies a kept result names. Results kept before labels were kept have none,
/// and read back with an empty map.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredLabel {
    display_name: LocalizedText,
    fallback_languages: Vec<LanguageCode>,
}

/// A created resource as an idempotency record keeps it: the resource's own shape,
/// with the labels of the agencies its response names beside its fields.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredLabelled<S> {
    #[serde(flatten)]
    value: S,
    #[serde(default)]
    agency_labels: BTreeMap<AgencyCode, StoredLabel>,
}

impl<T: StoredShape> StoredShape for Labelled<T> {
    type Shape = StoredLabelled<T::Shape>;
    fn to_shape(&self) -> Self::Shape {
        StoredLabelled {
            value: self.value.to_shape(),
            agency_labels: self
                .agencies
                .iter()
                .map(|(code, label)| {
                    (
                        code.clone(),
                        StoredLabel {
                            display_name: label.display_name.clone(),
                            fallback_languages: label.fallback_languages.clone(),
                        },
                    )
                })
                .collect(),
        }
    }
    fn from_shape(shape: Self::Shape) -> Result<Self, String> {
        Ok(Self {
            value: T::from_shape(shape.value)?,
            agencies: AgencyLabels::new(
                shape
                    .agency_labels
                    .into_iter()
                    .map(|(code, label)| {
                        (
                            code,
                            AgencyLabel {
                                display_name: label.display_name,
                                fallback_languages: label.fallback_languages,
                            },
                        )
                    })
                    .collect(),
            ),
        })
    }
}

// ---- the taxonomy --------------------------------------------------------------------------

/// `catalog_terms.content`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredTermContent {
    display_name: LocalizedText,
    description: LocalizedText,
}

impl StoredShape for TermContent {
    type Shape = StoredTermContent;
    fn to_shape(&self) -> StoredTermContent {
        StoredTermContent {
            display_name: self.display_name.clone(),
            description: self.description.clone(),
        }
    }
    fn from_shape(shape: StoredTermContent) -> Result<Self, String> {
        Ok(Self {
            display_name: shape.display_name,
            description: shape.description,
        })
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StoredTermKind {
    Category,
    LifeEvent,
}

/// A term, as an idempotency record keeps a created one.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredTerm {
    id: Uuid,
    kind: StoredTermKind,
    content: StoredTermContent,
    create_time: i64,
    update_time: i64,
    version: i64,
}

impl StoredShape for Term {
    type Shape = StoredTerm;
    fn to_shape(&self) -> StoredTerm {
        StoredTerm {
            id: self.id,
            kind: match self.kind {
                TermKind::Category => StoredTermKind::Category,
                TermKind::LifeEvent => StoredTermKind::LifeEvent,
            },
            content: self.content.to_shape(),
            create_time: to_micros(self.create_time),
            update_time: to_micros(self.update_time),
            version: self.version,
        }
    }
    fn from_shape(shape: StoredTerm) -> Result<Self, String> {
        Ok(Self {
            id: shape.id,
            kind: match shape.kind {
                StoredTermKind::Category => TermKind::Category,
                StoredTermKind::LifeEvent => TermKind::LifeEvent,
            },
            content: TermContent::from_shape(shape.content)?,
            create_time: from_micros(shape.create_time),
            update_time: from_micros(shape.update_time),
            version: shape.version,
        })
    }
}

// ---- public services -----------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StoredAudience {
    Citizens,
    Diaspora,
    Professionals,
    Associations,
    PublicOfficials,
}

impl From<Audience> for StoredAudience {
    fn from(audience: Audience) -> Self {
        match audience {
            Audience::Citizens => Self::Citizens,
            Audience::Diaspora => Self::Diaspora,
            Audience::Professionals => Self::Professionals,
            Audience::Associations => Self::Associations,
            Audience::PublicOfficials => Self::PublicOfficials,
        }
    }
}

impl From<StoredAudience> for Audience {
    fn from(audience: StoredAudience) -> Self {
        match audience {
            StoredAudience::Citizens => Self::Citizens,
            StoredAudience::Diaspora => Self::Diaspora,
            StoredAudience::Professionals => Self::Professionals,
            StoredAudience::Associations => Self::Associations,
            StoredAudience::PublicOfficials => Self::PublicOfficials,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StoredChannelKind {
    Online,
    InPerson,
    Mail,
    Consulate,
    Phone,
}

impl From<ChannelKind> for StoredChannelKind {
    fn from(kind: ChannelKind) -> Self {
        match kind {
            ChannelKind::Online => Self::Online,
            ChannelKind::InPerson => Self::InPerson,
            ChannelKind::Mail => Self::Mail,
            ChannelKind::Consulate => Self::Consulate,
            ChannelKind::Phone => Self::Phone,
        }
    }
}

impl From<StoredChannelKind> for ChannelKind {
    fn from(kind: StoredChannelKind) -> Self {
        match kind {
            StoredChannelKind::Online => Self::Online,
            StoredChannelKind::InPerson => Self::InPerson,
            StoredChannelKind::Mail => Self::Mail,
            StoredChannelKind::Consulate => Self::Consulate,
            StoredChannelKind::Phone => Self::Phone,
        }
    }
}

fn kinds_to_shape(kinds: &[ChannelKind]) -> Vec<StoredChannelKind> {
    kinds.iter().map(|kind| (*kind).into()).collect()
}

fn kinds_from_shape(kinds: Vec<StoredChannelKind>) -> Vec<ChannelKind> {
    kinds.into_iter().map(Into::into).collect()
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredChannel {
    kind: StoredChannelKind,
    label: LocalizedText,
    url: Option<String>,
    address: Option<StoredAddress>,
    phone: Option<Phone>,
    opening_hours: Option<StoredHours>,
}

impl StoredShape for Channel {
    type Shape = StoredChannel;
    fn to_shape(&self) -> StoredChannel {
        StoredChannel {
            kind: self.kind.into(),
            label: self.label.clone(),
            url: self.url.as_ref().map(|url| url.as_str().to_owned()),
            address: self.address.as_ref().map(StoredShape::to_shape),
            phone: self.phone.clone(),
            opening_hours: self.opening_hours.as_ref().map(StoredShape::to_shape),
        }
    }
    fn from_shape(shape: StoredChannel) -> Result<Self, String> {
        Ok(Self {
            kind: shape.kind.into(),
            label: shape.label,
            url: optional_url(shape.url)?,
            address: shape.address.map(PostalAddress::from_shape).transpose()?,
            phone: shape.phone,
            opening_hours: shape
                .opening_hours
                .map(OpeningHours::from_shape)
                .transpose()?,
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredEvidence {
    display_name: LocalizedText,
    description: LocalizedText,
    channel_kinds: Vec<StoredChannelKind>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) enum StoredCurrency {
    #[serde(rename = "MAD")]
    Mad,
    #[serde(rename = "EUR")]
    Eur,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredMoney {
    currency: StoredCurrency,
    amount_minor: i64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StoredPrice {
    Amount(StoredMoney),
    Free,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredCost {
    price: StoredPrice,
    description: LocalizedText,
    channel_kinds: Vec<StoredChannelKind>,
    illustrative: bool,
}

impl StoredCost {
    fn of(cost: &Cost) -> Self {
        Self {
            price: match cost.price {
                Price::Amount(money) => StoredPrice::Amount(StoredMoney {
                    currency: match money.currency {
                        Currency::Mad => StoredCurrency::Mad,
                        Currency::Eur => StoredCurrency::Eur,
                    },
                    amount_minor: money.amount_minor,
                }),
                Price::Free => StoredPrice::Free,
            },
            description: cost.description.clone(),
            channel_kinds: kinds_to_shape(&cost.channel_kinds),
            illustrative: cost.illustrative,
        }
    }

    fn into_cost(self) -> Cost {
        Cost {
            price: match self.price {
                StoredPrice::Amount(money) => Price::Amount(Money {
                    currency: match money.currency {
                        StoredCurrency::Mad => Currency::Mad,
                        StoredCurrency::Eur => Currency::Eur,
                    },
                    amount_minor: money.amount_minor,
                }),
                StoredPrice::Free => Price::Free,
            },
            description: self.description,
            channel_kinds: kinds_from_shape(self.channel_kinds),
            illustrative: self.illustrative,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredProcessingTime {
    seconds: i64,
    nanos: i32,
    illustrative: bool,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredLegalReference {
    title: LocalizedText,
    url: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredRelatedPlatform {
    display_name: LocalizedText,
    url: String,
}

/// `catalog_services.content`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredServiceContent {
    competent_authority: Option<AgencyCode>,
    display_name: LocalizedText,
    description: LocalizedText,
    keywords: Vec<LocalizedText>,
    category: Option<Uuid>,
    life_events: Vec<Uuid>,
    audiences: Vec<StoredAudience>,
    channels: Vec<StoredChannel>,
    requirements: Vec<LocalizedText>,
    evidence: Vec<StoredEvidence>,
    costs: Vec<StoredCost>,
    processing_time: Option<StoredProcessingTime>,
    output: LocalizedText,
    legal_references: Vec<StoredLegalReference>,
    related_platforms: Vec<StoredRelatedPlatform>,
}

impl StoredShape for ServiceContent {
    type Shape = StoredServiceContent;
    fn to_shape(&self) -> StoredServiceContent {
        StoredServiceContent {
            competent_authority: self.competent_authority.clone(),
            display_name: self.display_name.clone(),
            description: self.description.clone(),
            keywords: self.keywords.clone(),
            category: self.category,
            life_events: self.life_events.clone(),
            audiences: self.audiences.iter().map(|a| (*a).into()).collect(),
            channels: self.channels.iter().map(StoredShape::to_shape).collect(),
            requirements: self.requirements.clone(),
            evidence: self
                .evidence
                .iter()
                .map(|evidence| StoredEvidence {
                    display_name: evidence.display_name.clone(),
                    description: evidence.description.clone(),
                    channel_kinds: kinds_to_shape(&evidence.channel_kinds),
                })
                .collect(),
            costs: self.costs.iter().map(StoredCost::of).collect(),
            processing_time: self.processing_time.map(|time| StoredProcessingTime {
                seconds: time.seconds,
                nanos: time.nanos,
                illustrative: time.illustrative,
            }),
            output: self.output.clone(),
            legal_references: self
                .legal_references
                .iter()
                .map(|reference| StoredLegalReference {
                    title: reference.title.clone(),
                    url: reference.url.as_ref().map(|url| url.as_str().to_owned()),
                })
                .collect(),
            related_platforms: self
                .related_platforms
                .iter()
                .map(|platform| StoredRelatedPlatform {
                    display_name: platform.display_name.clone(),
                    url: platform.url.as_str().to_owned(),
                })
                .collect(),
        }
    }
    fn from_shape(shape: StoredServiceContent) -> Result<Self, String> {
        Ok(Self {
            competent_authority: shape.competent_authority,
            display_name: shape.display_name,
            description: shape.description,
            keywords: shape.keywords,
            category: shape.category,
            life_events: shape.life_events,
            audiences: shape.audiences.into_iter().map(Into::into).collect(),
            channels: shape
                .channels
                .into_iter()
                .map(Channel::from_shape)
                .collect::<Result<_, _>>()?,
            requirements: shape.requirements,
            evidence: shape
                .evidence
                .into_iter()
                .map(|evidence| Evidence {
                    display_name: evidence.display_name,
                    description: evidence.description,
                    channel_kinds: kinds_from_shape(evidence.channel_kinds),
                })
                .collect(),
            costs: shape.costs.into_iter().map(StoredCost::into_cost).collect(),
            processing_time: shape.processing_time.map(|time| ProcessingTime {
                seconds: time.seconds,
                nanos: time.nanos,
                illustrative: time.illustrative,
            }),
            output: shape.output,
            legal_references: shape
                .legal_references
                .into_iter()
                .map(|reference| {
                    Ok(LegalReference {
                        title: reference.title,
                        url: optional_url(reference.url)?,
                    })
                })
                .collect::<Result<_, String>>()?,
            related_platforms: shape
                .related_platforms
                .into_iter()
                .map(|platform| {
                    Ok(RelatedPlatform {
                        display_name: platform.display_name,
                        url: url(platform.url)?,
                    })
                })
                .collect::<Result<_, String>>()?,
        })
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StoredStatus {
    Draft,
    Published,
    Retired,
}

/// `catalog_service_revisions.snapshot`, and a created service as an idempotency record
/// keeps it.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredService {
    id: Uuid,
    agency: AgencyCode,
    content: StoredServiceContent,
    status: StoredStatus,
    revision: i64,
    create_time: i64,
    update_time: i64,
    publish_time: Option<i64>,
    retire_time: Option<i64>,
}

impl StoredShape for PublicService {
    type Shape = StoredService;
    fn to_shape(&self) -> StoredService {
        StoredService {
            id: self.id,
            agency: self.agency.clone(),
            content: self.content.to_shape(),
            status: match self.status {
                Status::Draft => StoredStatus::Draft,
                Status::Published => StoredStatus::Published,
                Status::Retired => StoredStatus::Retired,
            },
            revision: self.revision,
            create_time: to_micros(self.create_time),
            update_time: to_micros(self.update_time),
            publish_time: self.publish_time.map(to_micros),
            retire_time: self.retire_time.map(to_micros),
        }
    }
    fn from_shape(shape: StoredService) -> Result<Self, String> {
        Ok(Self {
            id: shape.id,
            agency: shape.agency,
            content: ServiceContent::from_shape(shape.content)?,
            status: match shape.status {
                StoredStatus::Draft => Status::Draft,
                StoredStatus::Published => Status::Published,
                StoredStatus::Retired => Status::Retired,
            },
            revision: shape.revision,
            create_time: from_micros(shape.create_time),
            update_time: from_micros(shape.update_time),
            publish_time: shape.publish_time.map(from_micros),
            retire_time: shape.retire_time.map(from_micros),
        })
    }
}

/// `catalog_service_revisions.changed_fields`: PublicService paths.
impl StoredShape for Vec<String> {
    type Shape = Vec<String>;
    fn to_shape(&self) -> Vec<String> {
        self.clone()
    }
    fn from_shape(shape: Vec<String>) -> Result<Self, String> {
        Ok(shape)
    }
}

#[cfg(test)]
#[path = "stored_tests.rs"]
mod tests;
