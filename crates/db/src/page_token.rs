//! Page tokens for keyset pagination (ARCHITECTURE.md §2): opaque to callers, authenticated with a
//! key every replica shares, bound to the method, the caller's agency and the request's
//! filter and order, and expiring. The cursor inside is the service's keyset position.
//!
//! Layout, base64url without padding: `version(1) | expires(8, unix seconds, BE) |
//! cursor (JSON) | tag(32)`, where the tag is HMAC-SHA256 over everything before it plus
//! the binding, which is never sent: a token presented with another filter or by another
//! agency fails the tag check like a tampered one.

use std::fmt;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jalia_model::MAX_PAGE_TOKEN_LEN;
use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

const VERSION: u8 = 1;
const HEADER_LEN: usize = 1 + 8;
const TAG_LEN: usize = 32;
/// Shortest accepted key; shorter secrets are refused at start.
pub const MIN_KEY_LEN: usize = 32;
/// Default lifetime of a token.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60 * 60);

/// What a page token is bound to: the same method, caller agency, filter and order must
/// be presented again for the token to open.
#[derive(Debug, Clone, Copy)]
pub struct PageScope<'a> {
    /// The full gRPC method, e.g. `/jalia.events.v1.EventService/ListEvents`.
    pub method: &'a str,
    /// The caller's agency code (`*` for ministry-wide callers, empty for anonymous).
    pub caller_agency: &'a str,
    /// A canonical encoding of every filter and the order of the request (e.g. the
    /// protobuf encoding of the request with page_size and page_token cleared).
    pub query: &'a [u8],
}

/// Why a page token was refused. Callers map every variant to INVALID_ARGUMENT on
/// `page_token`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageTokenError {
    /// Not a token this service issued.
    #[error("page token is malformed")]
    Malformed,
    /// Tampered, signed with another key, or presented with another filter, order, method
    /// or agency than it was issued for.
    #[error("page token does not match this request")]
    Mismatch,
    /// Past its lifetime.
    #[error("page token has expired")]
    Expired,
}

/// The key was refused at start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("page token key must be at least {MIN_KEY_LEN} bytes")]
pub struct WeakKeyError;

/// Mints and opens page tokens with one shared key.
#[derive(Clone)]
pub struct PageTokens {
    key: Vec<u8>,
    ttl: Duration,
}

impl fmt::Debug for PageTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageTokens")
            .field("key", &"[redacted]")
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl PageTokens {
    /// Uses a shared secret (`JALIA_PAGE_TOKEN_KEY`) of at least [`MIN_KEY_LEN`] bytes.
    pub fn new(key: &[u8], ttl: Duration) -> Result<Self, WeakKeyError> {
        if key.len() < MIN_KEY_LEN {
            return Err(WeakKeyError);
        }
        Ok(Self {
            key: key.to_vec(),
            ttl,
        })
    }

    /// Issues a token for the page after `cursor`.
    pub fn mint<C: Serialize>(&self, scope: &PageScope<'_>, cursor: &C, now: Timestamp) -> String {
        let expires = now.as_second().saturating_add(ttl_seconds(self.ttl));
        // Serializing a cursor of plain keyset values cannot fail; an empty cursor would
        // only restart the listing, never leak or skip rows.
        let cursor = serde_json::to_vec(cursor).unwrap_or_default();
        let mut token = Vec::with_capacity(HEADER_LEN + cursor.len() + TAG_LEN);
        token.push(VERSION);
        token.extend_from_slice(&expires.to_be_bytes());
        token.extend_from_slice(&cursor);
        let tag = self.tag(scope, &token);
        token.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(token)
    }

    /// Verifies a token against this request and returns its cursor.
    pub fn open<C: DeserializeOwned>(
        &self,
        token: &str,
        scope: &PageScope<'_>,
        now: Timestamp,
    ) -> Result<C, PageTokenError> {
        if token.len() > MAX_PAGE_TOKEN_LEN {
            return Err(PageTokenError::Malformed);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| PageTokenError::Malformed)?;
        if bytes.len() < HEADER_LEN + TAG_LEN || bytes[0] != VERSION {
            return Err(PageTokenError::Malformed);
        }
        let (signed, tag) = bytes.split_at(bytes.len() - TAG_LEN);
        let mut mac = self.mac(scope);
        mac.update(signed);
        mac.verify_slice(tag)
            .map_err(|_| PageTokenError::Mismatch)?;
        let mut expires = [0_u8; 8];
        expires.copy_from_slice(&signed[1..HEADER_LEN]);
        if now.as_second() >= i64::from_be_bytes(expires) {
            return Err(PageTokenError::Expired);
        }
        serde_json::from_slice(&signed[HEADER_LEN..]).map_err(|_| PageTokenError::Malformed)
    }

    /// A token that carries `cursor` as it is (not JSON-encoded), valid until `expires`
    /// (unix seconds): it passes the tag check, so a fuzzer reaches the cursor decoding
    /// behind it.
    #[cfg(feature = "fuzzing")]
    pub fn seal_raw(&self, scope: &PageScope<'_>, cursor: &[u8], expires: i64) -> String {
        let mut token = Vec::with_capacity(HEADER_LEN + cursor.len() + TAG_LEN);
        token.push(VERSION);
        token.extend_from_slice(&expires.to_be_bytes());
        token.extend_from_slice(cursor);
        let tag = self.tag(scope, &token);
        token.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(token)
    }

    fn mac(&self, scope: &PageScope<'_>) -> HmacSha256 {
        // HMAC accepts keys of any length, and ours is at least MIN_KEY_LEN.
        let mut mac = match HmacSha256::new_from_slice(&self.key) {
            Ok(mac) => mac,
            Err(_) => unreachable_key_length(),
        };
        for part in [scope.method.as_bytes(), scope.caller_agency.as_bytes()] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.update(&Sha256::digest(scope.query));
        mac
    }

    fn tag(&self, scope: &PageScope<'_>, signed: &[u8]) -> [u8; TAG_LEN] {
        let mut mac = self.mac(scope);
        mac.update(signed);
        mac.finalize().into_bytes().into()
    }
}

fn ttl_seconds(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)
}

#[cold]
fn unreachable_key_length() -> HmacSha256 {
    // HMAC-SHA256 takes keys of every length; this branch cannot be reached.
    <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default())
}
