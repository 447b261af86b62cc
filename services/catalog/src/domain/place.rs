//! How the public reaches an agency or a service: public contact points, and the https
//! links to platforms and texts. (Addresses of places are the suite's shared
//! `PostalAddress`.)

use jalia_model::{Email, FieldViolation, LocalizedText, Phone, Violations, quote};

/// Longest URL accepted.
pub(crate) const MAX_URL_CHARS: usize = 2048;

/// An absolute https URL with a host. Any other scheme is refused: every link Jalia
/// publishes is to a platform or text reachable safely from anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpsUrl(String);

impl HttpsUrl {
    /// Parses and checks a URL.
    pub(crate) fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if value.chars().count() > MAX_URL_CHARS {
            return Err(format!("longer than {MAX_URL_CHARS} characters"));
        }
        let url = url::Url::parse(value).map_err(|_| format!("{} is not a URL", quote(value)))?;
        if url.scheme() != "https" {
            return Err(format!(
                "must be an https URL (got scheme {})",
                quote(url.scheme())
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("must name a host".to_owned());
        }
        Ok(Self(url.to_string()))
    }

    /// Parses an optional URL: empty means none.
    pub(crate) fn parse_optional(value: &str) -> Result<Option<Self>, String> {
        if value.trim().is_empty() {
            Ok(None)
        } else {
            Self::parse(value).map(Some)
        }
    }

    /// The URL.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// A public point of contact of an organisation or a desk.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ContactPoint {
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
    pub(crate) fn parse(
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
