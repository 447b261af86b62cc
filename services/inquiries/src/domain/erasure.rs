//! A person's rights over their data (law 09-08), exercised through the agency's staff:
//! the person named by email or phone, and the record that their data was erased. The
//! record keeps nothing of the person but a keyed digest of the contact they were named
//! by, so that the agency can show an erasure took place without keeping whose it was.

use std::fmt;

use jalia_model::{AgencyCode, Email, Phone, RequestId, Violations};
use jiff::Timestamp;
use uuid::Uuid;

use super::error::Error;
use super::inquiry::Requester;

/// A person as staff name them for an access or erasure request, normalised as
/// submissions are: the email's identity key (lowercase), the phone in E.164.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Person {
    /// The email's identity key.
    pub email: Option<String>,
    /// The phone in E.164.
    pub phone: Option<String>,
}

impl fmt::Debug for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Person([redacted])")
    }
}

impl Person {
    /// Reads the person from what staff typed; violations name `email` and `phone`, and
    /// at least one of them is needed.
    pub(crate) fn parse(email: &str, phone: &str, v: &mut Violations) -> Option<Self> {
        let email_given = !email.trim().is_empty();
        let phone_given = !phone.trim().is_empty();
        if !email_given && !phone_given {
            v.add("email", "an email or a phone is needed");
            return None;
        }
        // Both are checked, so that every violation is reported at once.
        let email = email_given.then(|| v.check("email", Email::parse(email)));
        let phone = phone_given.then(|| v.check("phone", Phone::parse(phone)));
        match (email, phone) {
            (Some(None), _) | (_, Some(None)) => None,
            (email, phone) => Some(Self {
                email: email.flatten().map(|email| email.identity_key()),
                phone: phone.flatten().map(|phone| phone.as_str().to_owned()),
            }),
        }
    }

    /// Whether `requester` is this person: the same email ignoring case, or the same
    /// phone.
    pub(crate) fn recognises(&self, requester: &Requester) -> bool {
        let email = requester.email.as_ref().map(Email::identity_key);
        let phone = requester.phone.as_ref().map(Phone::as_str);
        let same_email = matches!((&self.email, &email), (Some(a), Some(b)) if a == b);
        let same_phone = matches!((&self.phone, phone), (Some(a), Some(b)) if a == b);
        same_email || same_phone
    }
}

/// ErasePersonalData, checked.
#[derive(Debug, Clone)]
pub(crate) struct EraseCommand {
    /// The agency whose inquiries to erase the person from.
    pub agency: AgencyCode,
    /// The person.
    pub person: Person,
    /// The caller's idempotency key; None when the call is not idempotent.
    pub request_id: Option<RequestId>,
}

/// ExportPersonalData, checked.
#[derive(Debug, Clone)]
pub(crate) struct ExportCommand {
    /// The agency whose inquiries to search.
    pub agency: AgencyCode,
    /// The person.
    pub person: Person,
}

/// The keyed digests (HMAC-SHA256) of the contacts a person was named by.
#[derive(Clone, PartialEq, Eq, Default)]
pub(crate) struct ContactDigests {
    /// Of the email's identity key.
    pub email: Option<[u8; 32]>,
    /// Of the phone in E.164.
    pub phone: Option<[u8; 32]>,
}

impl fmt::Debug for ContactDigests {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ContactDigests([redacted])")
    }
}

/// The record of one erasure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Erasure {
    /// Id (UUIDv7).
    pub id: Uuid,
    /// The agency whose inquiries were erased.
    pub agency: AgencyCode,
    /// The caller's agency claim (`*` for ministry-wide callers).
    pub erased_by_agency: String,
    /// The caller's subject.
    pub erased_by_subject: String,
    /// Inquiries anonymised.
    pub inquiries: u32,
    /// When.
    pub time: Timestamp,
    /// The digests of the contacts the person was named by.
    pub digests: ContactDigests,
}

impl Erasure {
    /// The resource name, `agencies/{agency}/erasures/{erasure}`.
    pub(crate) fn name(&self) -> String {
        format!("agencies/{}/erasures/{}", self.agency, self.id)
    }

    /// Who asked, `{agency}/{subject}`.
    pub(crate) fn erased_by(&self) -> String {
        format!("{}/{}", self.erased_by_agency, self.erased_by_subject)
    }
}

/// The largest answer to an access request, past which it is refused whole.
pub(crate) const MAX_EXPORTED_INQUIRIES: usize = 1_000;
/// The most messages an answer to an access request carries.
pub(crate) const MAX_EXPORTED_MESSAGES: usize = 5_000;

/// Refuses an access answer larger than the caps, rather than giving part of it.
pub(crate) fn check_export_size(inquiries: usize, messages: usize) -> Result<(), Error> {
    let (what, max) = if inquiries > MAX_EXPORTED_INQUIRIES {
        ("inquiries", MAX_EXPORTED_INQUIRIES)
    } else if messages > MAX_EXPORTED_MESSAGES {
        ("messages", MAX_EXPORTED_MESSAGES)
    } else {
        return Ok(());
    };
    Err(Error::TooLarge {
        reason: jalia_model::reasons::MESSAGE_TOO_LARGE,
        message: format!(
            "this person's data holds more than {max} {what}: too much for one answer"
        ),
    })
}

#[cfg(test)]
mod tests {
    use jalia_model::CountryCode;

    use super::*;
    use crate::domain::text::PersonalText;

    fn requester(email: Option<&str>, phone: Option<&str>) -> Requester {
        Requester {
            display_name: PersonalText::from_stored("R".to_owned()),
            email: email.map(|e| Email::parse(e).unwrap()),
            phone: phone.map(|p| Phone::parse(p).unwrap()),
            country_of_residence: CountryCode::parse("FR").unwrap(),
            preferred_language: None,
            diaspora: true,
        }
    }

    #[test]
    fn a_person_is_recognised_by_email_in_any_case_or_by_phone_in_any_form() {
        let mut v = Violations::new();
        let person = Person::parse("Amal@Example.ORG", "", &mut v).unwrap();
        assert!(person.recognises(&requester(Some("amal@example.org"), None)));
        assert!(!person.recognises(&requester(Some("amal2@example.org"), None)));
        let person = Person::parse("", "06 61 23 45 67", &mut v).unwrap();
        assert!(person.recognises(&requester(None, Some("+212661234567"))));
        assert!(!person.recognises(&requester(Some("amal@example.org"), None)));
        assert!(v.is_empty());
    }

    #[test]
    fn a_person_needs_a_contact_that_reads_as_one() {
        let mut v = Violations::new();
        assert!(Person::parse(" ", "", &mut v).is_none());
        assert!(Person::parse("not-an-email", "", &mut v).is_none());
        assert!(Person::parse("", "12", &mut v).is_none());
        let fields: Vec<_> = v.into_vec().into_iter().map(|f| f.field).collect();
        assert_eq!(fields, ["email", "email", "phone"]);
    }

    #[test]
    fn an_answer_past_a_cap_is_refused_whole() {
        assert!(check_export_size(MAX_EXPORTED_INQUIRIES, MAX_EXPORTED_MESSAGES).is_ok());
        assert!(matches!(
            check_export_size(MAX_EXPORTED_INQUIRIES + 1, 0),
            Err(Error::TooLarge { .. })
        ));
        assert!(matches!(
            check_export_size(1, MAX_EXPORTED_MESSAGES + 1),
            Err(Error::TooLarge { .. })
        ));
    }
}
