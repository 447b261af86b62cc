//! Registrations: one per person per event, a seat or a place in line, a short code for
//! the desk and for the person's own use, check-in exactly once, and the calling system
//! that made it.

use std::fmt;

use jalia_model::{
    AgencyCode, Caller, CountryCode, Email, LanguageCode, Phone, Violations, reasons,
};
use jiff::Timestamp;
use rand::Rng;
use uuid::Uuid;

use super::content::{CONSENT_VERSION_LENGTH, RegistrationSettings};
use super::error::{Error, Result};
use super::event::{Admission, Event};

/// The code alphabet: digits and capitals without 0/O and 1/I, so a code read aloud or
/// copied by hand at a desk cannot be mistaken.
pub(crate) const CODE_ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/// Characters in a code.
pub(crate) const CODE_LENGTH: usize = 8;
/// Longest display name.
const NAME_LENGTH: usize = 200;
/// Longest contact a person may type to find their registration (an email is at most
/// 254 characters; anything longer cannot match).
const CONTACT_LENGTH: usize = 320;

/// Where a registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RegistrationStatus {
    /// Holds a seat.
    Confirmed,
    /// In line for a seat.
    Waitlisted,
    /// Given up.
    Cancelled,
}

impl RegistrationStatus {
    /// How messages name it.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::Waitlisted => "waitlisted",
            Self::Cancelled => "cancelled",
        }
    }
}

/// The calling system that made a registration: its token's agency claim and subject.
/// It names a system (a portal, a desk application), never a person.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Registrant {
    /// The agency claim (`*` for ministry-wide callers).
    pub agency: String,
    /// The token's subject.
    pub subject: String,
}

impl Registrant {
    /// The system behind a caller.
    pub(crate) fn of(caller: &Caller) -> Self {
        Self {
            agency: caller.agency.as_claim().to_owned(),
            subject: caller.subject.clone(),
        }
    }
}

impl fmt::Display for Registrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.agency, self.subject)
    }
}

/// The person who registers. Personal data: `Debug` shows none of it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Attendee {
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

/// How a person is recognised: same email ignoring case, or same phone in E.164.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Identity {
    /// The email's identity key.
    pub email: Option<String>,
    /// The phone in E.164.
    pub phone: Option<String>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Identity([redacted])")
    }
}

impl Identity {
    /// Whether `attendee` is this person: the same email ignoring case, or the same
    /// phone.
    pub(crate) fn recognises(&self, attendee: &Attendee) -> bool {
        let theirs = attendee.identity();
        let email = matches!((&self.email, &theirs.email), (Some(a), Some(b)) if a == b);
        let phone = matches!((&self.phone, &theirs.phone), (Some(a), Some(b)) if a == b);
        email || phone
    }
}

/// The person a staff member names for an access or erasure request, as typed.
#[derive(Clone, Default)]
pub(crate) struct PersonInput {
    /// Email, empty when not given.
    pub email: String,
    /// Phone, empty when not given.
    pub phone: String,
}

impl fmt::Debug for PersonInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonInput([redacted])")
    }
}

impl TryFrom<PersonInput> for Identity {
    type Error = Error;

    /// Violations name `email` and `phone`; at least one is needed.
    fn try_from(input: PersonInput) -> Result<Self> {
        let mut violations = Violations::new();
        let email = (!input.email.trim().is_empty())
            .then(|| violations.check("email", Email::parse(&input.email)))
            .flatten();
        let phone = (!input.phone.trim().is_empty())
            .then(|| violations.check("phone", Phone::parse(&input.phone)))
            .flatten();
        if input.email.trim().is_empty() && input.phone.trim().is_empty() {
            violations.add("email", "an email or a phone is needed");
        }
        violations
            .finish(|| Identity {
                email: email.as_ref().map(Email::identity_key),
                phone: phone.map(|phone| phone.as_str().to_owned()),
            })
            .map_err(Error::Invalid)
    }
}

impl Attendee {
    /// What is left of a person once their data is anonymised: nothing.
    pub(crate) fn anonymous() -> Self {
        Self {
            display_name: String::new(),
            email: None,
            phone: None,
            residence: None,
            language: None,
            diaspora: false,
        }
    }

    /// How the person is recognised among an event's registrations.
    pub(crate) fn identity(&self) -> Identity {
        Identity {
            email: self.email.as_ref().map(Email::identity_key),
            phone: self.phone.as_ref().map(|phone| phone.as_str().to_owned()),
        }
    }
}

/// An attendee as a caller wrote it, before checks.
#[derive(Clone, Default)]
pub(crate) struct AttendeeInput {
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

/// What a person gives to find their own registration: its code and the email or phone
/// they registered with. Personal data: `Debug` shows none of it.
#[derive(Clone)]
pub(crate) struct Credential {
    /// The normalised code, None when what was typed cannot be a code.
    code: Option<String>,
    /// The contact's identity, None when it is neither an email nor a phone.
    contact: Identity,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credential([redacted])")
    }
}

impl Credential {
    /// Reads what the person typed. Nothing is refused here: a code or a contact that
    /// cannot match is answered exactly as one that does not match, NOT_FOUND.
    pub(crate) fn typed(code: &str, contact: &str) -> Self {
        let contact = contact.trim();
        let contact = if contact.chars().count() > CONTACT_LENGTH {
            Identity::default()
        } else if contact.contains('@') {
            Identity {
                email: Email::parse(contact).ok().map(|e| e.identity_key()),
                phone: None,
            }
        } else {
            Identity {
                email: None,
                phone: Phone::parse(contact).ok().map(|p| p.as_str().to_owned()),
            }
        };
        Self {
            code: normalize_code(code),
            contact,
        }
    }

    /// The code to look the registration up by.
    pub(crate) fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// Whether the contact is the registration's own.
    pub(crate) fn opens(&self, registration: &Registration) -> bool {
        let theirs = registration.attendee.identity();
        let email = matches!((&self.contact.email, &theirs.email), (Some(a), Some(b)) if a == b);
        let phone = matches!((&self.contact.phone, &theirs.phone), (Some(a), Some(b)) if a == b);
        email || phone
    }
}

/// A person's consent to the processing of their personal data (law 09-08): which
/// version of the text they accepted, and when the service recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Consent {
    /// The consent text's version.
    pub text_version: String,
    /// When recorded (the server's clock).
    pub time: Timestamp,
}

impl Consent {
    /// The consent to record for a registration under `settings`, from the version the
    /// person accepted (None: none given). Refused when the event requires consent and
    /// none is given, or when the version given is not the event's current one.
    pub(crate) fn given(
        settings: &RegistrationSettings,
        text_version: Option<String>,
        now: Timestamp,
    ) -> Result<Option<Self>> {
        let Some(text_version) = text_version else {
            if settings.consent_required {
                return Err(Error::invalid(
                    "registration.consent.text_version",
                    "consent to the processing of personal data is required for this event",
                ));
            }
            return Ok(None);
        };
        if text_version.chars().count() > CONSENT_VERSION_LENGTH {
            return Err(Error::invalid(
                "registration.consent.text_version",
                format!("at most {CONSENT_VERSION_LENGTH} characters"),
            ));
        }
        if let Some(current) = &settings.consent_version
            && *current != text_version
        {
            return Err(Error::precondition(
                reasons::CONSENT_OUTDATED,
                format!(
                    "the consent given is for another text than the current one, version {current}"
                ),
            ));
        }
        Ok(Some(Self {
            text_version,
            time: now,
        }))
    }
}

/// A registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Registration {
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
    /// Its order number in the line while waitlisted.
    pub waitlist_seq: Option<i64>,
    /// The calling system that made it; None for registrations made before it was kept.
    pub registered_by: Option<Registrant>,
    /// The person's consent, when given.
    pub consent: Option<Consent>,
    /// When its personal data was removed (retention or erasure); None while kept.
    pub anonymise_time: Option<Timestamp>,
    /// When checked in.
    pub check_in_time: Option<Timestamp>,
    /// When made.
    pub create_time: Timestamp,
    /// When last changed.
    pub update_time: Timestamp,
    /// Version behind the etag.
    pub version: i64,
}

/// A registration's resource name,
/// `agencies/{agency}/events/{event}/registrations/{registration}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RegistrationName {
    /// The event's name.
    pub event: super::event::EventName,
    /// The registration's id.
    pub id: Uuid,
}

/// A registration with what its reader is told beside it: its place in line and the
/// online link it gives access to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RegistrationView {
    /// The registration.
    pub registration: Registration,
    /// Place in line (1 = next) while waitlisted.
    pub waitlist_position: Option<u32>,
    /// The event's online link while it holds a seat.
    pub online_url: Option<String>,
}

impl Registration {
    /// A registration as `event` admitted it.
    pub(crate) fn admitted(
        id: Uuid,
        event: &Event,
        attendee: Attendee,
        code: String,
        admission: Admission,
        registrant: Registrant,
        now: Timestamp,
    ) -> Self {
        let (status, waitlist_seq) = match admission {
            Admission::Seat => (RegistrationStatus::Confirmed, None),
            Admission::Waitlist { seq } => (RegistrationStatus::Waitlisted, Some(seq)),
        };
        Self {
            id,
            event_id: event.id,
            agency: event.agency.clone(),
            attendee,
            code,
            status,
            waitlist_seq,
            registered_by: Some(registrant),
            consent: None,
            anonymise_time: None,
            check_in_time: None,
            create_time: now,
            update_time: now,
            version: 1,
        }
    }

    /// The same registration, made with the person's consent.
    pub(crate) fn with_consent(self, consent: Option<Consent>) -> Self {
        Self { consent, ..self }
    }

    /// The resource name.
    pub(crate) fn name(&self) -> String {
        format!(
            "agencies/{}/events/{}/registrations/{}",
            self.agency, self.event_id, self.id
        )
    }

    /// Whether it still holds a seat or a place in line.
    pub(crate) fn is_live(&self) -> bool {
        self.status != RegistrationStatus::Cancelled
    }

    /// Marks a change.
    pub(super) fn record_change(&mut self, now: Timestamp) {
        self.update_time = now;
        self.version += 1;
    }

    /// CONFIRMED or WAITLISTED -> CANCELLED, unless checked in; gives the status it
    /// left.
    pub(super) fn cancel(&mut self, now: Timestamp) -> Result<RegistrationStatus> {
        if self.check_in_time.is_some() {
            return Err(Error::precondition(
                reasons::ALREADY_CHECKED_IN,
                "a checked-in registration cannot be cancelled",
            ));
        }
        if self.status == RegistrationStatus::Cancelled {
            return Err(Error::precondition(
                reasons::REGISTRATION_CANCELLED,
                "the registration is already cancelled",
            ));
        }
        let left = self.status;
        self.status = RegistrationStatus::Cancelled;
        self.waitlist_seq = None;
        self.record_change(now);
        Ok(left)
    }

    /// Removes the person's data (name, contacts, country, language, the diaspora flag),
    /// keeping where the registration stood, its check-in and its consent record, so
    /// counts and attendance figures do not change. Gives whether anything changed: a
    /// registration already anonymised is left as it is.
    pub(crate) fn anonymise(&mut self, now: Timestamp) -> bool {
        if self.anonymise_time.is_some() {
            return false;
        }
        self.attendee = Attendee::anonymous();
        self.anonymise_time = Some(now);
        self.record_change(now);
        true
    }

    /// Checks in a confirmed registration, exactly once.
    pub(crate) fn check_in(&mut self, now: Timestamp) -> Result<()> {
        if let Some(at) = self.check_in_time {
            return Err(Error::precondition(
                reasons::ALREADY_CHECKED_IN,
                format!("already checked in at {at}"),
            ));
        }
        if self.status != RegistrationStatus::Confirmed {
            return Err(Error::precondition(
                reasons::REGISTRATION_NOT_CONFIRMED,
                format!("the registration is {}", self.status.label()),
            ));
        }
        self.check_in_time = Some(now);
        self.record_change(now);
        Ok(())
    }

    /// The answer to a second registration of the person who holds this one. Only the
    /// system that made it, and the organising agency (which may read it anyway), learn
    /// that the person is registered; anyone else is told only that the contact cannot
    /// be registered through them, so that registering cannot be used to find out who
    /// is registered.
    pub(crate) fn refuse_duplicate(&self, asker: &Registrant, organiser: bool) -> Error {
        if organiser || self.registered_by.as_ref() == Some(asker) {
            Error::AlreadyExists {
                reason: reasons::ALREADY_REGISTERED,
                message: "this person already holds a registration for the event".to_owned(),
            }
        } else {
            Error::precondition(
                reasons::CONTACT_UNAVAILABLE,
                "this email or phone cannot be registered for the event through this caller; \
                 a person who registered elsewhere manages that registration with its code",
            )
        }
    }
}

/// A new random desk code.
pub(crate) fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LENGTH)
        .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
        .collect()
}

/// A code as typed at a desk, normalised: case ignored, spaces and hyphens dropped.
/// None when it cannot be a code.
pub(crate) fn normalize_code(typed: &str) -> Option<String> {
    if typed.len() > 4 * CODE_LENGTH {
        return None;
    }
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == CODE_LENGTH && code.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(code)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn attendee(index: usize) -> Attendee {
        Attendee::try_from(AttendeeInput {
            display_name: format!("Participant {index}"),
            email: format!("participant.{index}@example.org"),
            ..AttendeeInput::default()
        })
        .unwrap()
    }

    pub(crate) fn registration(
        event: &Event,
        attendee: Attendee,
        status: RegistrationStatus,
        waitlist_seq: Option<i64>,
    ) -> Registration {
        Registration {
            id: Uuid::now_v7(),
            event_id: event.id,
            agency: event.agency.clone(),
            attendee,
            code: new_code(),
            status,
            waitlist_seq,
            registered_by: None,
            consent: None,
            anonymise_time: None,
            check_in_time: None,
            create_time: Timestamp::UNIX_EPOCH,
            update_time: Timestamp::UNIX_EPOCH,
            version: 1,
        }
    }

    #[test]
    fn codes_avoid_ambiguous_characters() {
        for _ in 0..200 {
            let code = new_code();
            assert_eq!(code.len(), 8);
            assert!(!code.contains(['0', 'O', '1', 'I']), "{code}");
        }
        assert_eq!(normalize_code("k7m2-q9xp").as_deref(), Some("K7M2Q9XP"));
        assert_eq!(normalize_code("K7M2 Q9XO"), None);
        assert_eq!(normalize_code(&"K".repeat(10_000)), None);
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
        assert_eq!(a.identity(), b.identity());
        assert!(!format!("{a:?}").contains("612345678"));
    }

    #[test]
    fn the_code_and_the_contact_together_open_a_registration() {
        let event =
            crate::domain::event::tests::event(crate::domain::event::EventStatus::Published);
        let mut person = attendee(1);
        person.phone = Some(Phone::parse("0612345678").unwrap());
        let held = registration(&event, person, RegistrationStatus::Confirmed, None);
        let code = held.code.to_lowercase();
        for contact in [
            "PARTICIPANT.1@example.org",
            "+212 6 12 34 56 78",
            "0612345678",
        ] {
            let credential = Credential::typed(&code, contact);
            assert_eq!(credential.code(), Some(held.code.as_str()));
            assert!(credential.opens(&held), "{contact}");
        }
        for contact in [
            "participant.2@example.org",
            "0612345679",
            "",
            "not a contact",
        ] {
            assert!(!Credential::typed(&code, contact).opens(&held), "{contact}");
        }
        assert_eq!(Credential::typed("0O0O", "x").code(), None);
        assert!(!format!("{:?}", Credential::typed(&code, "0612345678")).contains("0612"));
    }

    #[test]
    fn consent_is_required_when_the_event_says_so_and_must_be_current() {
        let now = Timestamp::UNIX_EPOCH;
        let mut settings = RegistrationSettings::default();
        assert_eq!(Consent::given(&settings, None, now).unwrap(), None);
        settings.consent_required = true;
        settings.consent_version = Some("2025-07".into());
        let Err(Error::Invalid(violations)) = Consent::given(&settings, None, now) else {
            panic!("missing consent accepted")
        };
        assert_eq!(violations[0].field, "registration.consent.text_version");
        let Err(Error::Precondition { reason, .. }) =
            Consent::given(&settings, Some("2024-01".into()), now)
        else {
            panic!("outdated consent accepted")
        };
        assert_eq!(reason, reasons::CONSENT_OUTDATED);
        let consent = Consent::given(&settings, Some("2025-07".into()), now)
            .unwrap()
            .unwrap();
        assert_eq!(
            (consent.text_version.as_str(), consent.time),
            ("2025-07", now)
        );
        settings.consent_required = false;
        assert!(Consent::given(&settings, Some("2024-01".into()), now).is_err());
    }

    #[test]
    fn anonymising_keeps_the_seat_and_removes_the_person_once() {
        let event =
            crate::domain::event::tests::event(crate::domain::event::EventStatus::Published);
        let mut person = attendee(1);
        person.phone = Some(Phone::parse("0612345678").unwrap());
        let mut held = registration(&event, person, RegistrationStatus::Confirmed, None);
        held.check_in_time = Some(Timestamp::UNIX_EPOCH);
        let credential = Credential::typed(&held.code, "0612345678");
        let later = Timestamp::from_second(1_000).unwrap();
        assert!(held.anonymise(later));
        assert_eq!(held.attendee, Attendee::anonymous());
        assert_eq!(held.attendee.identity(), Identity::default());
        assert!(!credential.opens(&held), "the contact opens it no more");
        assert_eq!(
            (held.status, held.check_in_time, held.anonymise_time),
            (
                RegistrationStatus::Confirmed,
                Some(Timestamp::UNIX_EPOCH),
                Some(later)
            )
        );
        let version = held.version;
        assert!(!held.anonymise(Timestamp::from_second(2_000).unwrap()));
        assert_eq!((held.version, held.anonymise_time), (version, Some(later)));
    }

    #[test]
    fn only_the_registrant_and_the_organiser_learn_of_a_duplicate() {
        let event =
            crate::domain::event::tests::event(crate::domain::event::EventStatus::Published);
        let portal = Registrant {
            agency: "rabat".into(),
            subject: "consulate-portal".into(),
        };
        let other = Registrant {
            agency: "rabat".into(),
            subject: "another-portal".into(),
        };
        let mut held = registration(&event, attendee(1), RegistrationStatus::Confirmed, None);
        held.registered_by = Some(portal.clone());
        let reason = |err: Error| match err {
            Error::AlreadyExists { reason, .. } | Error::Precondition { reason, .. } => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            reason(held.refuse_duplicate(&portal, false)),
            reasons::ALREADY_REGISTERED
        );
        assert_eq!(
            reason(held.refuse_duplicate(&other, true)),
            reasons::ALREADY_REGISTERED
        );
        assert_eq!(
            reason(held.refuse_duplicate(&other, false)),
            reasons::CONTACT_UNAVAILABLE
        );
        held.registered_by = None;
        assert_eq!(
            reason(held.refuse_duplicate(&portal, false)),
            reasons::CONTACT_UNAVAILABLE
        );
    }
}
