//! Where and how the public reaches an agency or a service: postal addresses of places
//! (never of persons), public contact points, and the https links to platforms and texts.

use jalia_model::{CountryCode, Email, FieldViolation, LocalizedText, Phone, Violations};
use serde::{Deserialize, Serialize};

use super::text::MAX_LINE_CHARS;

/// Longest URL accepted.
pub const MAX_URL_CHARS: usize = 2048;
/// Most address lines.
pub const MAX_ADDRESS_LINES: usize = 5;

/// An absolute https URL with a host. Any other scheme is refused: every link Jalia
/// publishes is to a platform or text reachable safely from anywhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HttpsUrl(String);

impl HttpsUrl {
    /// Parses and checks a URL.
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if value.chars().count() > MAX_URL_CHARS {
            return Err(format!("longer than {MAX_URL_CHARS} characters"));
        }
        let url = url::Url::parse(value).map_err(|_| format!("`{value}` is not a URL"))?;
        if url.scheme() != "https" {
            return Err(format!(
                "must be an https URL (got scheme `{}`)",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("must name a host".to_owned());
        }
        Ok(Self(url.to_string()))
    }

    /// Parses an optional URL: empty means none.
    pub fn parse_optional(value: &str) -> Result<Option<Self>, String> {
        if value.trim().is_empty() {
            Ok(None)
        } else {
            Self::parse(value).map(Some)
        }
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for HttpsUrl {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<HttpsUrl> for String {
    fn from(url: HttpsUrl) -> Self {
        url.0
    }
}

/// The postal address of a place (an office, a desk, a consulate).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PostalAddress {
    /// Street lines, most specific first.
    pub address_lines: Vec<String>,
    /// City or town.
    pub locality: String,
    /// Province or prefecture.
    pub province: String,
    /// Region.
    pub region: String,
    /// Postal code.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country, uppercase; None when not stated.
    pub country: Option<String>,
    /// Multilingual label of the place.
    pub place_name: LocalizedText,
    /// WGS 84 latitude.
    pub latitude: Option<f64>,
    /// WGS 84 longitude.
    pub longitude: Option<f64>,
}

/// An address as a caller wrote it, before checking.
#[derive(Debug, Clone)]
pub struct AddressInput {
    /// Street lines.
    pub address_lines: Vec<String>,
    /// City or town.
    pub locality: String,
    /// Province.
    pub province: String,
    /// Region.
    pub region: String,
    /// Postal code.
    pub postal_code: String,
    /// Country code, may be empty.
    pub region_code: String,
    /// The checked place name.
    pub place_name: Result<LocalizedText, Vec<FieldViolation>>,
    /// Latitude.
    pub latitude: Option<f64>,
    /// Longitude.
    pub longitude: Option<f64>,
}

impl Default for AddressInput {
    fn default() -> Self {
        Self {
            address_lines: Vec::new(),
            locality: String::new(),
            province: String::new(),
            region: String::new(),
            postal_code: String::new(),
            region_code: String::new(),
            place_name: Ok(LocalizedText::default()),
            latitude: None,
            longitude: None,
        }
    }
}

impl PostalAddress {
    /// Checks an address: a locality or a street line to find it by, lines and names of
    /// bounded length, a real country code, coordinates within range.
    pub fn parse(input: AddressInput) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Violations::new();
        let lines: Vec<String> = input
            .address_lines
            .iter()
            .map(|line| line.trim().to_owned())
            .filter(|line| !line.is_empty())
            .collect();
        if lines.len() > MAX_ADDRESS_LINES {
            violations.add(
                "address_lines",
                format!("at most {MAX_ADDRESS_LINES} lines"),
            );
        }
        for (index, line) in input.address_lines.iter().enumerate() {
            if line.chars().count() > MAX_LINE_CHARS {
                violations.add(
                    format!("address_lines[{index}]"),
                    format!("longer than {MAX_LINE_CHARS} characters"),
                );
            }
        }
        for (field, value) in [
            ("locality", &input.locality),
            ("province", &input.province),
            ("region", &input.region),
            ("postal_code", &input.postal_code),
        ] {
            if value.chars().count() > MAX_LINE_CHARS {
                violations.add(field, format!("longer than {MAX_LINE_CHARS} characters"));
            }
        }
        if lines.is_empty() && input.locality.trim().is_empty() {
            violations.add("locality", "an address needs a locality or a street line");
        }
        let country = if input.region_code.trim().is_empty() {
            None
        } else {
            match CountryCode::parse(&input.region_code) {
                Ok(code) => Some(code.as_str().to_owned()),
                Err(problem) => {
                    violations.add("region_code", problem);
                    None
                }
            }
        };
        let place_name = violations.take("place_name", input.place_name);
        if let Some(latitude) = input.latitude
            && !(-90.0..=90.0).contains(&latitude)
        {
            violations.add("latitude", "must be between -90 and 90");
        }
        if let Some(longitude) = input.longitude
            && !(-180.0..=180.0).contains(&longitude)
        {
            violations.add("longitude", "must be between -180 and 180");
        }
        violations.finish(|| Self {
            address_lines: lines,
            locality: input.locality.trim().to_owned(),
            province: input.province.trim().to_owned(),
            region: input.region.trim().to_owned(),
            postal_code: input.postal_code.trim().to_owned(),
            country,
            place_name: place_name.unwrap_or_default(),
            latitude: input.latitude,
            longitude: input.longitude,
        })
    }
}

/// A public point of contact of an organisation or a desk.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactPoint {
    /// What it is for, e.g. "Guichet MRE".
    pub label: LocalizedText,
    /// The desk's email address.
    pub email: Option<Email>,
    /// The desk's telephone number, E.164.
    pub phone: Option<Phone>,
    /// A web page or form.
    pub url: Option<HttpsUrl>,
}

impl ContactPoint {
    /// Checks a contact point: at least one way to reach it, each well formed.
    pub fn parse(
        label: Result<LocalizedText, Vec<FieldViolation>>,
        email: &str,
        phone: &str,
        url: &str,
    ) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Violations::new();
        let label = violations.take("label", label);
        let email = if email.trim().is_empty() {
            None
        } else {
            Email::parse(email)
                .map_err(|problem| violations.add("email", problem))
                .ok()
        };
        let phone = if phone.trim().is_empty() {
            None
        } else {
            Phone::parse(phone)
                .map_err(|problem| violations.add("phone", problem))
                .ok()
        };
        let url = HttpsUrl::parse_optional(url)
            .map_err(|problem| violations.add("url", problem))
            .ok()
            .flatten();
        if email.is_none() && phone.is_none() && url.is_none() && violations.is_empty() {
            violations.add("", "a contact point needs an email, a phone or a url");
        }
        violations.finish(|| Self {
            label: label.unwrap_or_default(),
            email,
            phone,
            url,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_urls_with_a_host() {
        assert!(HttpsUrl::parse("https://rokhas.ma/karazal/").is_ok());
        assert!(
            HttpsUrl::parse("http://rokhas.ma")
                .unwrap_err()
                .contains("https")
        );
        assert!(HttpsUrl::parse("ftp://x.ma").is_err());
        assert!(HttpsUrl::parse("javascript:alert(1)").is_err());
        assert!(HttpsUrl::parse("rokhas.ma").is_err());
        assert_eq!(HttpsUrl::parse_optional("  ").unwrap(), None);
    }

    #[test]
    fn an_address_needs_somewhere_to_go() {
        let err = PostalAddress::parse(AddressInput {
            place_name: Ok(LocalizedText::default()),
            region_code: "XX".to_owned(),
            latitude: Some(91.0),
            ..AddressInput::default()
        })
        .unwrap_err();
        let fields: Vec<_> = err.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, vec!["locality", "region_code", "latitude"]);
        let ok = PostalAddress::parse(AddressInput {
            locality: " Béni Mellal ".to_owned(),
            region_code: "ma".to_owned(),
            place_name: Ok(LocalizedText::default()),
            ..AddressInput::default()
        })
        .unwrap();
        assert_eq!(ok.locality, "Béni Mellal");
        assert_eq!(ok.country.as_deref(), Some("MA"));
    }

    #[test]
    fn a_contact_point_needs_a_way_to_reach_it() {
        assert!(ContactPoint::parse(Ok(LocalizedText::default()), "", "", "").is_err());
        let point =
            ContactPoint::parse(Ok(LocalizedText::default()), "", "0523 48 00 00", "").unwrap();
        assert_eq!(point.phone.unwrap().as_str(), "+212523480000");
        let err = ContactPoint::parse(Ok(LocalizedText::default()), "nope", "", "http://a.ma")
            .unwrap_err();
        assert_eq!(err.len(), 2);
    }
}
