//! Conversions between the shared wire types (`jalia.type.v1`, well-known types) and the
//! shared domain vocabulary (jalia-model), so that each service's API layer converts its
//! own messages and calls these for the common parts.

use jalia_model::{FallbackChain, FieldViolation, LanguageCode, LocalizedText, ZonedDateTime};

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
