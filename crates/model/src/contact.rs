//! A person's contact details. They are personal data (law 09-08): `Debug` never shows
//! them, and nothing here logs.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::violation::quote;

/// An email address, kept as written (trimmed); two addresses are one person's when
/// equal ignoring case.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    /// Checks the shape of an address: one `@`, a non-empty local part, a domain with a
    /// dot, no spaces, at most 254 characters.
    pub fn parse(address: &str) -> Result<Self, String> {
        let address = address.trim();
        let well_formed = address.len() <= 254
            && !address.contains(char::is_whitespace)
            && match address.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        if well_formed {
            Ok(Self(address.to_owned()))
        } else {
            Err("is not an email address".to_owned())
        }
    }

    /// The address as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key that identifies the person: the address in lowercase.
    pub fn identity_key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email([redacted])")
    }
}

/// A telephone number in E.164 form (`+212612345678`). Numbers without a country code
/// are read as Moroccan.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone(String);

impl Phone {
    /// Parses and normalises a number: "0612345678" and "+212 6 12 34 56 78" are both
    /// `+212612345678`.
    pub fn parse(number: &str) -> Result<Self, String> {
        let parsed = phonenumber::parse(Some(phonenumber::country::Id::MA), number.trim())
            .map_err(|_| "is not a telephone number".to_owned())?;
        if !parsed.is_valid() {
            return Err("is not a valid telephone number".to_owned());
        }
        Ok(Self(
            parsed.format().mode(phonenumber::Mode::E164).to_string(),
        ))
    }

    /// A number this system stored in E.164 form after parsing it. Only that form is
    /// checked: parsing again would cost a walk through the numbering plans on every row
    /// read, and would refuse a number those plans no longer call valid.
    pub fn from_stored(number: &str) -> Result<Self, String> {
        let digits = number.strip_prefix('+').unwrap_or_default();
        let e164 = (1..=15).contains(&digits.len())
            && digits.bytes().all(|byte| byte.is_ascii_digit())
            && !digits.starts_with('0');
        if e164 {
            Ok(Self(number.to_owned()))
        } else {
            Err("is not a telephone number in E.164 form".to_owned())
        }
    }

    /// The E.164 form, which is also the key that identifies the person.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Phone([redacted])")
    }
}

/// An ISO 3166-1 alpha-2 country code, uppercase (`MA`, `FR`, `BE`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CountryCode(String);

impl CountryCode {
    /// Parses a code, in either case.
    pub fn parse(code: &str) -> Result<Self, String> {
        let upper = code.trim().to_ascii_uppercase();
        if upper.len() == 2 && phonenumber::country::Id::from_str(&upper).is_ok() {
            Ok(Self(upper))
        } else {
            Err(format!(
                "{} is not an ISO 3166-1 alpha-2 country code",
                quote(code)
            ))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moroccan_numbers_in_any_form_are_one_number() {
        let local = Phone::parse("0612345678").unwrap();
        let international = Phone::parse("+212 6 12 34 56 78").unwrap();
        assert_eq!(local, international);
        assert_eq!(local.as_str(), "+212612345678");
        assert_eq!(
            Phone::parse("+33 6 12 34 56 78").unwrap().as_str(),
            "+33612345678"
        );
        assert!(Phone::parse("12").is_err());
        assert!(!format!("{local:?}").contains("612345678"));
    }

    #[test]
    fn stored_numbers_are_read_back_in_their_e164_form_only() {
        let parsed = Phone::parse("0612345678").unwrap();
        assert_eq!(Phone::from_stored(parsed.as_str()).unwrap(), parsed);
        for corrupt in [
            "",
            "+",
            "0612345678",
            "+0612345678",
            "+212 612345678",
            "+2126123456789012",
        ] {
            assert!(Phone::from_stored(corrupt).is_err(), "{corrupt:?}");
        }
    }

    #[test]
    fn emails_match_ignoring_case() {
        let a = Email::parse(" Fatima.Zahra@Example.org ").unwrap();
        let b = Email::parse("fatima.zahra@example.org").unwrap();
        assert_eq!(a.identity_key(), b.identity_key());
        assert!(Email::parse("not-an-address").is_err());
        assert!(Email::parse("a@b").is_err());
        assert!(!format!("{a:?}").contains("Fatima"));
    }

    #[test]
    fn country_codes() {
        assert_eq!(CountryCode::parse("fr").unwrap().as_str(), "FR");
        assert!(CountryCode::parse("XX").is_err());
    }
}
