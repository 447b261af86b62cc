//! Conversions between the shared wire types (`jalia.type.v1`, well-known types) and the
//! shared domain vocabulary (jalia-model), so that each service's API layer converts its
//! own messages and calls these for the common parts: texts, times, audiences, addresses,
//! agency references, request ids, etags, pages, and the one `update_mask` rule.
//!
//! Readers return the value or its violations relative to the field they read (the
//! caller nests them under the field's path with `Violations::take`); writers (`*_for`)
//! cannot fail.

mod update_mask;

use jalia_model::{
    AddressInput, AgencyCode, Audience, Etag, FallbackChain, FieldViolation, IfMatch, LanguageCode,
    LocalizedText, PageRequest, PostalAddress, RequestId, Violations, ZonedDateTime,
};

pub use update_mask::{UpdatableFields, UpdatePaths};

use crate::r#type::v1 as wire;

/// Reads a LocalizedText a caller wrote; `required` demands text in one language at
/// least. Violations are relative to the field (`entries[0].text`).
pub fn localized_text(
    text: Option<&wire::LocalizedText>,
    max_chars: usize,
    required: bool,
) -> Result<LocalizedText, Vec<FieldViolation>> {
    let entries = text
        .map(|text| {
            text.entries
                .iter()
                .map(|entry| (entry.language_code.clone(), entry.text.clone()))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    if required {
        LocalizedText::parse_required(entries, max_chars)
    } else {
        LocalizedText::parse(entries, max_chars)
    }
}

/// A LocalizedText for a reader: every entry, and the one served to them.
pub fn localized_text_for(
    text: &LocalizedText,
    wanted: &[LanguageCode],
    chain: &FallbackChain,
) -> wire::LocalizedText {
    wire::LocalizedText {
        entries: text
            .entries()
            .map(|(language, text)| wire::LocalizedString {
                language_code: language.to_string(),
                text: text.to_owned(),
            })
            .collect(),
        resolved: text
            .resolve(wanted, chain)
            .map(|served| wire::ResolvedText {
                text: served.text.to_owned(),
                language_code: served.language.to_string(),
                direction: match served.direction {
                    jalia_model::Direction::LeftToRight => wire::TextDirection::Ltr,
                    jalia_model::Direction::RightToLeft => wire::TextDirection::Rtl,
                } as i32,
            }),
    }
}

/// Reads a scheduled local time; violations name `local_date_time` or `time_zone`, or
/// the field itself when it is missing.
pub fn zoned_date_time(
    time: Option<&wire::ZonedDateTime>,
) -> Result<ZonedDateTime, Vec<FieldViolation>> {
    let Some(time) = time else {
        return Err(vec![FieldViolation::new("", "must be set")]);
    };
    ZonedDateTime::parse(&time.local_date_time, &time.time_zone)
        .map_err(|err| vec![err.violation()])
}

/// A scheduled local time with its instant and offset under current tzdata.
pub fn zoned_date_time_for(time: &ZonedDateTime) -> wire::ZonedDateTime {
    wire::ZonedDateTime {
        local_date_time: time.local_string(),
        time_zone: time.zone_name().to_owned(),
        instant: Some(timestamp(time.instant())),
        utc_offset_seconds: time.utc_offset_seconds(),
    }
}

/// An instant on the wire.
pub fn timestamp(instant: jiff::Timestamp) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: instant.as_second(),
        nanos: instant.subsec_nanosecond(),
    }
}

/// An instant from the wire; out-of-range values are refused.
pub fn instant(timestamp: &prost_types::Timestamp) -> Result<jiff::Timestamp, String> {
    jiff::Timestamp::new(timestamp.seconds, timestamp.nanos)
        .map_err(|_| "is not a valid timestamp".to_owned())
}

// ---- audiences -------------------------------------------------------------------------

/// An audience the contract numbers; None for AUDIENCE_UNSPECIFIED or a number the
/// contract does not have.
pub fn audience(number: i32) -> Option<Audience> {
    match wire::Audience::try_from(number).ok()? {
        wire::Audience::Unspecified => None,
        wire::Audience::Citizens => Some(Audience::Citizens),
        wire::Audience::Diaspora => Some(Audience::Diaspora),
        wire::Audience::Professionals => Some(Audience::Professionals),
        wire::Audience::Associations => Some(Audience::Associations),
        wire::Audience::PublicOfficials => Some(Audience::PublicOfficials),
    }
}

/// An audience filter of a List: UNSPECIFIED means any.
pub fn audience_filter(number: i32) -> Result<Option<Audience>, String> {
    if number == wire::Audience::Unspecified as i32 {
        return Ok(None);
    }
    audience(number)
        .map(Some)
        .ok_or_else(|| "must be an audience of the contract".to_owned())
}

/// The audiences a resource is for: each a known audience (violations `[i]`), at most
/// `max`, a repeated one kept once, in the order given.
pub fn audiences(numbers: &[i32], max: usize) -> Result<Vec<Audience>, Vec<FieldViolation>> {
    let mut violations = Violations::new();
    let parsed = violations.each("", numbers, max, |number| {
        audience(*number).ok_or_else(|| vec![FieldViolation::new("", "must be an audience")])
    });
    let mut kept: Vec<Audience> = Vec::with_capacity(parsed.len());
    for audience in parsed {
        if !kept.contains(&audience) {
            kept.push(audience);
        }
    }
    violations.finish(|| kept)
}

/// An audience on the wire.
pub fn audience_for(audience: Audience) -> wire::Audience {
    match audience {
        Audience::Citizens => wire::Audience::Citizens,
        Audience::Diaspora => wire::Audience::Diaspora,
        Audience::Professionals => wire::Audience::Professionals,
        Audience::Associations => wire::Audience::Associations,
        Audience::PublicOfficials => wire::Audience::PublicOfficials,
    }
}

/// Audiences on the wire, as the repeated enum field carries them.
pub fn audiences_for(audiences: &[Audience]) -> Vec<i32> {
    audiences
        .iter()
        .map(|audience| audience_for(*audience) as i32)
        .collect()
}

// ---- places ---------------------------------------------------------------------------

/// Reads a postal address; violations name its own fields (`address_lines[1]`).
pub fn postal_address(address: &wire::PostalAddress) -> Result<PostalAddress, Vec<FieldViolation>> {
    PostalAddress::parse(AddressInput {
        address_lines: address.address_lines.clone(),
        locality: address.locality.clone(),
        province: address.province.clone(),
        region: address.region.clone(),
        postal_code: address.postal_code.clone(),
        region_code: address.region_code.clone(),
        place_name: address
            .place_name
            .as_ref()
            .map(|name| {
                name.entries
                    .iter()
                    .map(|entry| (entry.language_code.clone(), entry.text.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        latitude: address.latitude,
        longitude: address.longitude,
    })
}

/// A postal address for a reader, its place name resolved for them.
pub fn postal_address_for(
    address: &PostalAddress,
    wanted: &[LanguageCode],
    chain: &FallbackChain,
) -> wire::PostalAddress {
    wire::PostalAddress {
        address_lines: address.address_lines.clone(),
        locality: address.locality.clone(),
        province: address.province.clone(),
        region: address.region.clone(),
        postal_code: address.postal_code.clone(),
        region_code: address
            .country
            .as_ref()
            .map(|country| country.as_str().to_owned())
            .unwrap_or_default(),
        place_name: (!address.place_name.is_empty())
            .then(|| localized_text_for(&address.place_name, wanted, chain)),
        latitude: address.latitude,
        longitude: address.longitude,
    }
}

// ---- agencies --------------------------------------------------------------------------

/// The agency an AgencyReference names, `agencies/{agency}`; None when unset or its
/// name is empty. The violation names `name`.
pub fn agency_reference(
    reference: Option<&wire::AgencyReference>,
) -> Result<Option<AgencyCode>, Vec<FieldViolation>> {
    let name = reference.map_or("", |reference| reference.name.as_str());
    if name.is_empty() {
        return Ok(None);
    }
    agency_name(name)
        .map(Some)
        .map_err(|problem| vec![FieldViolation::new("name", problem)])
}

/// Reads `agencies/{agency}`.
pub fn agency_name(name: &str) -> Result<AgencyCode, String> {
    name.strip_prefix("agencies/")
        .and_then(|code| AgencyCode::parse(code).ok())
        .ok_or_else(|| "must look like `agencies/{agency}`".to_owned())
}

/// A reference to an agency, with its name when the serving service knows it.
pub fn agency_reference_for(
    agency: &AgencyCode,
    display_name: Option<wire::LocalizedText>,
) -> wire::AgencyReference {
    wire::AgencyReference {
        name: format!("agencies/{agency}"),
        display_name,
    }
}

// ---- requests: ids, etags, pages ------------------------------------------------------

/// A create's request_id (AIP-155): empty is not idempotent, anything else a UUID.
pub fn request_id(sent: &str) -> Result<Option<RequestId>, FieldViolation> {
    RequestId::parse(sent)
}

/// The etag a response carries for a resource at `version`.
pub fn etag_for(version: i64) -> String {
    Etag::of(version).to_string()
}

/// The etag a change must carry, in the request field `field` (`etag`, `event.etag`).
pub fn required_etag(sent: &str, field: &str) -> Result<IfMatch, FieldViolation> {
    IfMatch::required(sent, field)
}

/// A List's `page_size` and `page_token`.
pub fn page_request(page_size: i32, page_token: &str) -> Result<PageRequest, FieldViolation> {
    PageRequest::parse(page_size, page_token)
}

// ---- dates and durations ---------------------------------------------------------------

/// A calendar date as the contract writes it, `YYYY-MM-DD`.
pub fn civil_date(date: &wire::CivilDate) -> Result<jiff::civil::Date, String> {
    let text = date.date.trim();
    let well_formed = text.len() == 10
        && text.bytes().enumerate().all(|(index, byte)| {
            if index == 4 || index == 7 {
                byte == b'-'
            } else {
                byte.is_ascii_digit()
            }
        });
    if !well_formed {
        return Err(format!(
            "{} is not a date like 2025-08-10",
            jalia_model::quote(text)
        ));
    }
    text.parse()
        .map_err(|_| format!("{} is not a calendar date", jalia_model::quote(text)))
}

/// A calendar date on the wire.
pub fn civil_date_for(date: jiff::civil::Date) -> wire::CivilDate {
    wire::CivilDate {
        date: date.to_string(),
    }
}

/// A duration from the wire; negative or out-of-range values are refused.
pub fn duration(duration: &prost_types::Duration) -> Result<jiff::SignedDuration, String> {
    if duration.seconds < 0 || duration.nanos < 0 || duration.nanos >= 1_000_000_000 {
        return Err("must be a non-negative duration".to_owned());
    }
    Ok(jiff::SignedDuration::new(duration.seconds, duration.nanos))
}

/// A duration on the wire.
pub fn duration_for(duration: jiff::SignedDuration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: duration.as_secs(),
        nanos: duration.subsec_nanos(),
    }
}

#[cfg(test)]
mod tests;
