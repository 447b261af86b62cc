//! The secret tracking code a citizen follows their inquiry with.
//!
//! It is shown once, at submission, and stored only as its SHA-256. A retry of the same
//! submission must show the same code without the code ever having been stored in clear,
//! so it is derived: HMAC-SHA256(tracking key, inquiry id), truncated to 80 bits and
//! written as 16 characters of Crockford's base-32 alphabet. The key is shared by every
//! replica and never leaves the server; without it the code cannot be guessed from the
//! inquiry's id or reference.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::erasure::{ContactDigests, Person};

type HmacSha256 = Hmac<Sha256>;

/// Shortest accepted tracking key.
pub(crate) const MIN_KEY_BYTES: usize = 32;

/// Characters in a code: 16 × 5 bits = 80 bits.
pub(crate) const CODE_CHARS: usize = 16;

const CODE_BYTES: usize = 10;
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The key tracking codes are derived with. `Debug` never shows it.
#[derive(Clone)]
pub(crate) struct TrackingKey(Vec<u8>);

/// A tracking key shorter than [`MIN_KEY_BYTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the tracking key must be at least {MIN_KEY_BYTES} bytes")]
pub struct WeakTrackingKey;

impl TrackingKey {
    /// Uses `key`, which must be at least [`MIN_KEY_BYTES`] long.
    pub(crate) fn new(key: &[u8]) -> Result<Self, WeakTrackingKey> {
        if key.len() < MIN_KEY_BYTES {
            return Err(WeakTrackingKey);
        }
        Ok(Self(key.to_vec()))
    }

    /// The code of the inquiry `inquiry_id`: the same every time it is asked for.
    pub(crate) fn code_for(&self, inquiry_id: Uuid) -> TrackingCode {
        let mut mac = match HmacSha256::new_from_slice(&self.0) {
            Ok(mac) => mac,
            // HMAC takes keys of any length; this arm cannot be reached.
            Err(_) => <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default()),
        };
        mac.update(b"jalia-inquiries-tracking-code:v1:");
        mac.update(inquiry_id.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut bits = [0_u8; CODE_BYTES];
        bits.copy_from_slice(&digest[..CODE_BYTES]);
        TrackingCode(encode(&bits))
    }

    /// The keyed digests of the contacts `person` was named by, for the record of an
    /// erasure: they tell whether a later request names the same person without the
    /// record holding the contact. Labelled apart from tracking codes, so the one key
    /// serves both without one output ever equalling the other.
    pub(crate) fn contact_digests(&self, person: &Person) -> ContactDigests {
        ContactDigests {
            email: person
                .email
                .as_deref()
                .map(|email| self.digest(b"jalia-inquiries-erased-email:v1:", email)),
            phone: person
                .phone
                .as_deref()
                .map(|phone| self.digest(b"jalia-inquiries-erased-phone:v1:", phone)),
        }
    }

    fn digest(&self, label: &[u8], value: &str) -> [u8; 32] {
        let mut mac = match HmacSha256::new_from_slice(&self.0) {
            Ok(mac) => mac,
            // HMAC takes keys of any length; this arm cannot be reached.
            Err(_) => <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default()),
        };
        mac.update(label);
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for TrackingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TrackingKey([redacted])")
    }
}

/// A tracking code in canonical form: 16 upper-case Crockford base-32 characters.
/// `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct TrackingCode(String);

impl TrackingCode {
    /// Reads a code as a citizen types it: case, spaces and hyphens ignored, and I, L and
    /// O read as 1, 1 and 0. None when what remains is not 16 characters of the alphabet.
    pub(crate) fn from_typed(typed: &str) -> Option<Self> {
        let mut canonical = String::with_capacity(CODE_CHARS);
        for c in typed.chars() {
            let c = match c.to_ascii_uppercase() {
                ' ' | '-' | '\t' => continue,
                'I' | 'L' => '1',
                'O' => '0',
                other => other,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
                return None;
            }
            canonical.push(c);
        }
        (canonical.len() == CODE_CHARS).then_some(Self(canonical))
    }

    /// The code as shown to the citizen, in groups of four: `7KQ2-M9XD-4RTA-0HWE`.
    pub(crate) fn grouped(&self) -> String {
        let mut grouped = String::with_capacity(CODE_CHARS + 3);
        for (index, c) in self.0.chars().enumerate() {
            if index > 0 && index % 4 == 0 {
                grouped.push('-');
            }
            grouped.push(c);
        }
        grouped
    }

    /// What is stored: the SHA-256 of the canonical form.
    pub(crate) fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.0.as_bytes()).into()
    }
}

impl fmt::Debug for TrackingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TrackingCode([redacted])")
    }
}

/// Compares a stored hash with a presented one in time independent of where they differ,
/// so that response times do not reveal how much of a code was right.
pub(crate) fn hashes_match(stored: &[u8], presented: &[u8]) -> bool {
    if stored.len() != presented.len() {
        return false;
    }
    let difference = stored
        .iter()
        .zip(presented)
        .fold(0_u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(difference) == 0
}

/// Whether `typed` is the code whose hash is `stored` (None: no inquiry had the
/// reference). Every case takes the same steps, a comparison of two full hashes, so that
/// neither the answer nor its timing tells a wrong reference from a wrong code.
pub(crate) fn code_opens(stored: Option<&[u8]>, typed: &str) -> bool {
    const NO_HASH: [u8; 32] = [0; 32];
    let presented = TrackingCode::from_typed(typed).map(|code| code.hash());
    let matched = hashes_match(
        stored.unwrap_or(&NO_HASH),
        presented.as_ref().unwrap_or(&NO_HASH),
    );
    matched && stored.is_some() && presented.is_some()
}

fn encode(bytes: &[u8; CODE_BYTES]) -> String {
    let mut value = bytes
        .iter()
        .fold(0_u128, |acc, byte| (acc << 8) | u128::from(*byte));
    let mut chars = [0_u8; CODE_CHARS];
    for slot in chars.iter_mut().rev() {
        *slot = ALPHABET[(value & 0x1f) as usize];
        value >>= 5;
    }
    chars.iter().map(|&c| char::from(c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TrackingKey {
        TrackingKey::new(&[7_u8; 32]).unwrap()
    }

    #[test]
    fn codes_are_derived_stably_and_differ_per_inquiry() {
        let id = Uuid::now_v7();
        let code = key().code_for(id);
        assert_eq!(code, key().code_for(id));
        assert_ne!(code, key().code_for(Uuid::now_v7()));
        assert_ne!(
            code,
            TrackingKey::new(&[8_u8; 32]).unwrap().code_for(id),
            "another key gives another code"
        );
        assert_eq!(code.0.len(), CODE_CHARS);
        assert!(code.0.bytes().all(|b| ALPHABET.contains(&b)));
        assert_eq!(format!("{code:?}"), "TrackingCode([redacted])");
        assert!(TrackingKey::new(&[1_u8; 31]).is_err());
    }

    #[test]
    fn typed_codes_forgive_case_separators_and_lookalikes() {
        let code = TrackingCode("7KQ2M9XD4RTA0HWE".to_owned());
        assert_eq!(code.grouped(), "7KQ2-M9XD-4RTA-0HWE");
        for typed in [
            "7KQ2-M9XD-4RTA-0HWE",
            "7kq2 m9xd 4rta ohwe",
            " 7KQ2M9XD4RTA0HWE ",
        ] {
            assert_eq!(
                TrackingCode::from_typed(typed),
                Some(code.clone()),
                "{typed}"
            );
        }
        let with_lookalikes = TrackingCode::from_typed("IL00-0000-0000-0000").unwrap();
        assert_eq!(with_lookalikes.0, "1100000000000000");
        assert_eq!(TrackingCode::from_typed("7KQ2-M9XD-4RTA-0HW"), None);
        assert_eq!(TrackingCode::from_typed("7KQ2-M9XD-4RTA-0HWU"), None);
    }

    #[test]
    fn hashes_compare_whole() {
        let a = TrackingCode("7KQ2M9XD4RTA0HWE".to_owned()).hash();
        let b = TrackingCode("7KQ2M9XD4RTA0HWF".to_owned()).hash();
        assert!(hashes_match(&a, &a));
        assert!(!hashes_match(&a, &b));
        assert!(!hashes_match(&a, &a[..31]));
    }

    #[test]
    fn only_the_right_code_opens_and_nothing_opens_a_missing_reference() {
        let code = key().code_for(Uuid::now_v7());
        let stored = code.hash();
        assert!(code_opens(Some(&stored), &code.grouped().to_lowercase()));
        assert!(!code_opens(Some(&stored), "0000-0000-0000-0000"));
        assert!(!code_opens(Some(&stored), "not a code"));
        assert!(!code_opens(None, &code.grouped()));
        assert!(
            !code_opens(Some(&[0; 32]), ""),
            "an unparsable code never matches"
        );
    }

    #[test]
    fn encoding_uses_all_eighty_bits() {
        assert_eq!(encode(&[0; CODE_BYTES]), "0000000000000000");
        assert_eq!(encode(&[0xff; CODE_BYTES]), "ZZZZZZZZZZZZZZZZ");
        let mut one = [0; CODE_BYTES];
        one[CODE_BYTES - 1] = 1;
        assert_eq!(encode(&one), "0000000000000001");
    }
}
