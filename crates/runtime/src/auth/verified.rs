//! Tokens already verified, by their exact bytes, for what remains of their lifetime: a
//! portal sends the same token on every call, and checking an ES256 or EdDSA signature
//! costs far more than the call it guards. Bounded, so that callers minting tokens
//! cannot grow it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::caller::Caller;
use super::jwks::VerifyKey;

/// Tokens remembered at most; past it, lapsed entries go, and if none lapsed, all of them.
const CAPACITY: usize = 1024;
/// Longer tokens are verified every time, so the cache holds at most `CAPACITY` times this.
const MAX_CACHED_TOKEN_BYTES: usize = 2048;

/// Seconds since the epoch between which a verified token is accepted as it is: the same
/// bounds, skew included, that the claims check applies.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Validity {
    /// The first second it is accepted (the later of `nbf` and `iat`, less the skew).
    pub(crate) from: i64,
    /// The first second it is no longer accepted (`exp` plus the skew).
    pub(crate) until: i64,
}

impl Validity {
    fn covers(self, now: i64) -> bool {
        self.from <= now && now < self.until
    }
}

struct Entry {
    caller: Caller,
    /// The key whose signature check passed: a token is taken from here only while the
    /// same key would still be chosen for it, so a key withdrawn from the JWKS file stops
    /// its tokens at once, cached or not.
    key: Arc<VerifyKey>,
    validity: Validity,
}

#[derive(Default)]
pub(crate) struct VerifiedTokens {
    entries: Mutex<HashMap<Box<str>, Entry>>,
}

impl VerifiedTokens {
    /// The caller of `token` if it was verified with `key` and is valid at `now`.
    pub(crate) fn get(&self, token: &str, key: &Arc<VerifyKey>, now: i64) -> Option<Caller> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get(token)?;
        (Arc::ptr_eq(&entry.key, key) && entry.validity.covers(now)).then(|| entry.caller.clone())
    }

    /// Remembers a token whose signature and claims passed.
    pub(crate) fn insert(
        &self,
        token: &str,
        key: Arc<VerifyKey>,
        caller: Caller,
        validity: Validity,
        now: i64,
    ) {
        if token.len() > MAX_CACHED_TOKEN_BYTES || !validity.covers(now) {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CAPACITY && !entries.contains_key(token) {
            entries.retain(|_, entry| entry.validity.until > now);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(
            token.into(),
            Entry {
                caller,
                key,
                validity,
            },
        );
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use jalia_model::AgencyScope;
    use jsonwebtoken::{Algorithm, DecodingKey};

    fn key() -> Arc<VerifyKey> {
        Arc::new(VerifyKey::new(
            Algorithm::HS256,
            DecodingKey::from_secret(b"secret").unwrap(),
        ))
    }

    fn caller() -> Caller {
        Caller {
            subject: "portal".into(),
            agency: AgencyScope::Ministry,
            scopes: ["events.read".to_owned()].into(),
        }
    }

    const VALID: Validity = Validity {
        from: 100,
        until: 200,
    };

    #[test]
    fn a_token_is_taken_only_with_its_key_and_within_its_validity() {
        let cache = VerifiedTokens::default();
        let (key, other) = (key(), key());
        cache.insert("a.b.c", key.clone(), caller(), VALID, 150);
        assert_eq!(cache.get("a.b.c", &key, 150), Some(caller()));
        assert_eq!(cache.get("a.b.c", &key, 100), Some(caller()));
        assert_eq!(cache.get("a.b.c", &key, 99), None);
        assert_eq!(cache.get("a.b.c", &key, 200), None);
        assert_eq!(cache.get("a.b.c", &other, 150), None);
        assert_eq!(cache.get("a.b.d", &key, 150), None);
    }

    #[test]
    fn it_stays_bounded_dropping_lapsed_tokens_first() {
        let cache = VerifiedTokens::default();
        let key = key();
        let short = Validity {
            from: 0,
            until: 101,
        };
        for index in 0..CAPACITY {
            let validity = if index == 0 { VALID } else { short };
            cache.insert(&format!("t{index}"), key.clone(), caller(), validity, 100);
        }
        assert_eq!(cache.len(), CAPACITY);
        // At 150 every token but the first has lapsed: they go, it stays.
        cache.insert("new", key.clone(), caller(), VALID, 150);
        assert_eq!(cache.len(), 2);
        assert!(cache.get("t0", &key, 150).is_some());
        // Oversized tokens are not kept.
        cache.insert(
            &"x".repeat(MAX_CACHED_TOKEN_BYTES + 1),
            key,
            caller(),
            VALID,
            150,
        );
        assert_eq!(cache.len(), 2);
    }
}
