//! The postal address of a place (an office, a desk, a venue), never of a person. Every
//! line is bounded, so a caller cannot store or echo unbounded text through an address.

use serde::{Deserialize, Serialize};

use crate::contact::CountryCode;
use crate::language::LocalizedText;
use crate::violation::{FieldViolation, Violations};

/// Most street lines.
pub const MAX_ADDRESS_LINES: usize = 5;
/// Longest street line, locality, province, region or postal code, in characters.
pub const MAX_ADDRESS_LINE_CHARS: usize = 200;
/// Longest place name, per language, in characters.
pub const MAX_PLACE_NAME_CHARS: usize = 200;

/// A checked postal address.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PostalAddress {
    /// Street lines, most specific first, none empty.
    pub address_lines: Vec<String>,
    /// City or town.
    pub locality: String,
    /// Province or prefecture.
    pub province: String,
    /// Region.
    pub region: String,
    /// Postal code.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country; None when not stated.
    pub country: Option<CountryCode>,
    /// Multilingual name of the place, e.g. "Siège de l'agence urbaine".
    pub place_name: LocalizedText,
    /// WGS 84 latitude, -90 to 90.
    pub latitude: Option<f64>,
    /// WGS 84 longitude, -180 to 180.
    pub longitude: Option<f64>,
}

/// An address as a caller wrote it, before checking.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AddressInput {
    /// Street lines.
    pub address_lines: Vec<String>,
    /// City or town.
    pub locality: String,
    /// Province or prefecture.
    pub province: String,
    /// Region.
    pub region: String,
    /// Postal code.
    pub postal_code: String,
    /// Country code, empty for none.
    pub region_code: String,
    /// The place name's entries, (language tag, text).
    pub place_name: Vec<(String, String)>,
    /// Latitude.
    pub latitude: Option<f64>,
    /// Longitude.
    pub longitude: Option<f64>,
}

impl PostalAddress {
    /// Checks an address: a locality or a street line to find it by, at most
    /// [`MAX_ADDRESS_LINES`] lines, every line and name of bounded length, a real country
    /// code, coordinates within range. Violations name the address's own fields
    /// (`address_lines[1]`, `place_name.entries[0].text`).
    pub fn parse(input: AddressInput) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Violations::new();
        let lines = violations.each(
            "address_lines",
            &input.address_lines,
            MAX_ADDRESS_LINES,
            |line| bounded(line).map_err(|problem| vec![FieldViolation::new("", problem)]),
        );
        let lines: Vec<String> = lines.into_iter().filter(|line| !line.is_empty()).collect();
        let locality = violations.check("locality", bounded(&input.locality));
        let province = violations.check("province", bounded(&input.province));
        let region = violations.check("region", bounded(&input.region));
        let postal_code = violations.check("postal_code", bounded(&input.postal_code));
        let gave_a_line = input
            .address_lines
            .iter()
            .any(|line| !line.trim().is_empty());
        if !gave_a_line && locality.as_deref() == Some("") {
            violations.add("locality", "an address needs a locality or a street line");
        }
        let country = if input.region_code.trim().is_empty() {
            None
        } else {
            violations.check("region_code", CountryCode::parse(&input.region_code))
        };
        let place_name = violations.take(
            "place_name",
            LocalizedText::parse(input.place_name, MAX_PLACE_NAME_CHARS),
        );
        if input
            .latitude
            .is_some_and(|latitude| !(-90.0..=90.0).contains(&latitude))
        {
            violations.add("latitude", "must be between -90 and 90");
        }
        if input
            .longitude
            .is_some_and(|longitude| !(-180.0..=180.0).contains(&longitude))
        {
            violations.add("longitude", "must be between -180 and 180");
        }
        violations.finish(|| Self {
            address_lines: lines,
            locality: locality.unwrap_or_default(),
            province: province.unwrap_or_default(),
            region: region.unwrap_or_default(),
            postal_code: postal_code.unwrap_or_default(),
            country,
            place_name: place_name.unwrap_or_default(),
            latitude: input.latitude,
            longitude: input.longitude,
        })
    }
}

/// A line trimmed and at most [`MAX_ADDRESS_LINE_CHARS`] long.
fn bounded(line: &str) -> Result<String, String> {
    let line = line.trim();
    if line.chars().count() > MAX_ADDRESS_LINE_CHARS {
        Err(format!("longer than {MAX_ADDRESS_LINE_CHARS} characters"))
    } else {
        Ok(line.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(violations: &[FieldViolation]) -> Vec<&str> {
        violations.iter().map(|v| v.field.as_str()).collect()
    }

    #[test]
    fn an_address_needs_somewhere_to_go() {
        let err = PostalAddress::parse(AddressInput {
            region_code: "XX".to_owned(),
            latitude: Some(91.0),
            ..AddressInput::default()
        })
        .unwrap_err();
        assert_eq!(fields(&err), ["locality", "region_code", "latitude"]);
        let ok = PostalAddress::parse(AddressInput {
            locality: " Béni Mellal ".to_owned(),
            region_code: "ma".to_owned(),
            place_name: vec![("fr".to_owned(), "Siège de l'agence".to_owned())],
            ..AddressInput::default()
        })
        .unwrap();
        assert_eq!(ok.locality, "Béni Mellal");
        assert_eq!(ok.country.as_ref().map(CountryCode::as_str), Some("MA"));
        assert_eq!(ok.place_name.get("fr"), Some("Siège de l'agence"));
    }

    #[test]
    fn every_line_is_bounded() {
        let long = "x".repeat(MAX_ADDRESS_LINE_CHARS + 1);
        let err = PostalAddress::parse(AddressInput {
            address_lines: vec!["Avenue Mohammed V".to_owned(), long.clone()],
            locality: long.clone(),
            province: long.clone(),
            region: long.clone(),
            postal_code: long.clone(),
            place_name: vec![("fr".to_owned(), long)],
            ..AddressInput::default()
        })
        .unwrap_err();
        assert_eq!(
            fields(&err),
            [
                "address_lines[1]",
                "locality",
                "province",
                "region",
                "postal_code",
                "place_name.entries[0].text"
            ]
        );
        let too_many = PostalAddress::parse(AddressInput {
            address_lines: vec!["ligne".to_owned(); MAX_ADDRESS_LINES + 1],
            ..AddressInput::default()
        })
        .unwrap_err();
        assert_eq!(fields(&too_many), ["address_lines"]);
    }

    #[test]
    fn blank_lines_are_dropped() {
        let address = PostalAddress::parse(AddressInput {
            address_lines: vec![" ".to_owned(), " Rue 2 ".to_owned()],
            ..AddressInput::default()
        })
        .unwrap();
        assert_eq!(address.address_lines, ["Rue 2"]);
    }
}
