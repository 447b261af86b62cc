//! Registrations: one per person per event, a seat or a place in line, a short code for
//! the desk, and check-in exactly once.

use std::fmt;

use jalia_model::{AgencyCode, CountryCode, Email, LanguageCode, Phone, Violations};
use jiff::Timestamp;
use rand::Rng;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::{Error, Result};

/// The code alphabet: digits and capitals without 0/O and 1/I, so a code read aloud or
/// copied by hand at a desk cannot be mistaken.
pub const CODE_ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/// Characters in a code.
pub const CODE_LENGTH: usize = 8;
/// Longest display name.
const NAME_LENGTH: usize = 200;

/// Where a registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    /// Holds a seat.
    Confirmed,
    /// In line for a seat.
    Waitlisted,
    /// Given up.
    Cancelled,
}

impl RegistrationStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::Waitlisted => "waitlisted",
            Self::Cancelled => "cancelled",
        }
    }

    /// From the stored form.
    pub fn parse(stored: &str) -> Option<Self> {
        Some(match stored {
            "confirmed" => Self::Confirmed,
            "waitlisted" => Self::Waitlisted,
            "cancelled" => Self::Cancelled,
            _ => return None,
        })
    }
}

/// The person who registers. Personal data: `Debug` shows none of it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendee {
    /// Name as the person gives it.
    pub display_name: String,
    /// Email, if given.
    pub email: Option<Email>,
    /// Phone in E.164, if given.
    pub phone: Option<Phone>,
    /// Country of residence.
    pub residence: Option<CountryCode>,
    /// Preferred language.
    pub language: Option<LanguageCode>,
    /// Whether the person lives abroad.
    pub diaspora: bool,
}

impl fmt::Debug for Attendee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Attendee([redacted])")
    }
}

/// An attendee as a caller wrote it, before checks.
#[derive(Clone, Default)]
pub struct AttendeeInput {
    /// Name.
    pub display_name: String,
    /// Email, empty when not given.
    pub email: String,
    /// Phone, empty when not given.
    pub phone: String,
    /// ISO country, empty when not given.
    pub residence_region_code: String,
    /// BCP-47 tag, empty when not given.
    pub language_code: String,
    /// Lives abroad.
    pub diaspora: bool,
}

impl fmt::Debug for AttendeeInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AttendeeInput([redacted])")
    }
}

impl TryFrom<AttendeeInput> for Attendee {
    type Error = Error;

    /// Violations name `registration.attendee.<field>`.
    fn try_from(input: AttendeeInput) -> Result<Self> {
        const PREFIX: &str = "registration.attendee";
        let mut violations = Violations::new();
        let display_name = input.display_name.trim().to_owned();
        if display_name.is_empty() {
            violations.add(format!("{PREFIX}.display_name"), "must be given");
        } else if display_name.chars().count() > NAME_LENGTH {
            violations.add(
                format!("{PREFIX}.display_name"),
                format!("longer than {NAME_LENGTH} characters"),
            );
        }
        let email = optional(&input.email, Email::parse, &mut violations, "email");
        let phone = optional(&input.phone, Phone::parse, &mut violations, "phone");
        if email.is_none()
            && phone.is_none()
            && input.email.trim().is_empty()
            && input.phone.trim().is_empty()
        {
            violations.add(format!("{PREFIX}.email"), "an email or a phone is needed");
        }
        let residence = optional(
            &input.residence_region_code,
            CountryCode::parse,
            &mut violations,
            "residence_region_code",
        );
        let language = optional(
            &input.language_code,
            LanguageCode::parse,
            &mut violations,
            "language_code",
        );
        violations
            .finish(|| Attendee {
                display_name,
                email,
                phone,
                residence,
                language,
                diaspora: input.diaspora,
            })
            .map_err(Error::Invalid)
    }
}

fn optional<T>(
    raw: &str,
    parse: impl Fn(&str) -> std::result::Result<T, String>,
    violations: &mut Violations,
    field: &str,
) -> Option<T> {
    if raw.trim().is_empty() {
        return None;
    }
    match parse(raw) {
        Ok(value) => Some(value),
        Err(problem) => {
            violations.add(format!("registration.attendee.{field}"), problem);
            None
        }
    }
}

/// A registration as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// Id (UUIDv7: registration order).
    pub id: Uuid,
    /// The event.
    pub event_id: Uuid,
    /// The event's agency.
    pub agency: AgencyCode,
    /// The person.
    pub attendee: Attendee,
    /// The desk code.
    pub code: String,
    /// Where it stands.
    pub status: RegistrationStatus,
    /// Place in line (1 = next), when waitlisted.
    pub waitlist_position: Option<u32>,
    /// When checked in.
    pub check_in_time: Option<Timestamp>,
    /// When made.
    pub create_time: Timestamp,
    /// When last changed.
    pub update_time: Timestamp,
    /// Version behind the etag.
    pub version: i64,
}

impl Registration {
    /// The resource name.
    pub fn name(&self) -> String {
        format!(
            "agencies/{}/events/{}/registrations/{}",
            self.agency, self.event_id, self.id
        )
    }

    /// The etag.
    pub fn etag(&self) -> String {
        super::event::etag_of(self.version)
    }
}

/// A new random desk code.
pub fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LENGTH)
        .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
        .collect()
}

/// A code as typed at a desk, normalised: case ignored, spaces and hyphens dropped.
/// None when it cannot be a code.
pub fn normalize_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == CODE_LENGTH && code.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(code)
}

/// Whether an attendee counts as the same person as a stored one: same email ignoring
/// case, or same phone in E.164.
pub fn identity_keys(attendee: &Attendee) -> (Option<String>, Option<String>) {
    (
        attendee.email.as_ref().map(Email::identity_key),
        attendee
            .phone
            .as_ref()
            .map(|phone| phone.as_str().to_owned()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_avoid_ambiguous_characters() {
        for _ in 0..200 {
            let code = new_code();
            assert_eq!(code.len(), 8);
            assert!(!code.contains(['0', 'O', '1', 'I']), "{code}");
        }
        assert_eq!(normalize_code("k7m2-q9xp").as_deref(), Some("K7M2Q9XP"));
        assert_eq!(normalize_code("K7M2 Q9XO"), None);
    }

    #[test]
    fn an_attendee_needs_a_name_and_a_way_to_reach_them() {
        let err = Attendee::try_from(AttendeeInput {
            display_name: " ".into(),
            ..AttendeeInput::default()
        })
        .unwrap_err();
        let Error::Invalid(violations) = err else {
            panic!()
        };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "registration.attendee.display_name",
                "registration.attendee.email"
            ]
        );
        let err = Attendee::try_from(AttendeeInput {
            display_name: "A".into(),
            phone: "12".into(),
            residence_region_code: "XX".into(),
            ..AttendeeInput::default()
        })
        .unwrap_err();
        let Error::Invalid(violations) = err else {
            panic!()
        };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "registration.attendee.phone",
                "registration.attendee.residence_region_code"
            ]
        );
    }

    #[test]
    fn one_person_whatever_the_spelling() {
        let a = Attendee::try_from(AttendeeInput {
            display_name: "Person A".into(),
            phone: "0612345678".into(),
            ..AttendeeInput::default()
        })
        .unwrap();
        let b = Attendee::try_from(AttendeeInput {
            display_name: "Person A".into(),
            phone: "+212 6 12 34 56 78".into(),
            ..AttendeeInput::default()
        })
        .unwrap();
        assert_eq!(identity_keys(&a), identity_keys(&b));
        assert!(!format!("{a:?}").contains("612345678"));
    }
}
