//! Bearer-token verification.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use serde::Deserialize;
use serde_json::Value;

use super::caller::{Caller, parse_agency_claim};
use super::error::{AuthError, AuthSetupError};
use super::jwks::{KeyStore, VerifyKey};
use super::verified::{Validity, VerifiedTokens};
use super::{
    AuthConfig, MAX_CLOCK_SKEW, MAX_TOKEN_LIFETIME, MIN_TOKEN_LIFETIME, dev_key, settings,
};
use crate::Mode;

/// Far above any real Jalia token; refusing larger input early bounds the work an
/// unauthenticated caller can cause.
const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Verifies bearer tokens. Cheap to clone (shared state behind an `Arc`); the JWKS file is
/// reloaded in place, so clones see rotated keys too.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    mode: Mode,
    issuer: String,
    audience: String,
    skew_secs: i64,
    max_lifetime_secs: i64,
    jwks: Option<KeyStore>,
    /// Present only in development mode.
    dev_key: Option<Arc<VerifyKey>>,
    verified: VerifiedTokens,
}

impl Verifier {
    /// Loads the keys `config` names: the JWKS file (required in production) and, in
    /// development mode only, the dev key (generated if missing).
    pub fn new(config: &AuthConfig) -> Result<Self, AuthSetupError> {
        if config.issuer.is_empty() {
            return Err(AuthSetupError::Empty {
                setting: settings::ISSUER,
            });
        }
        if config.audience.is_empty() {
            return Err(AuthSetupError::Empty {
                setting: settings::AUDIENCE,
            });
        }
        if config.clock_skew > MAX_CLOCK_SKEW {
            return Err(AuthSetupError::OutOfRange {
                setting: settings::CLOCK_SKEW,
                problem: format!("at most {} s", MAX_CLOCK_SKEW.as_secs()),
            });
        }
        if !(MIN_TOKEN_LIFETIME..=MAX_TOKEN_LIFETIME).contains(&config.max_token_lifetime) {
            return Err(AuthSetupError::OutOfRange {
                setting: settings::MAX_LIFETIME,
                problem: format!(
                    "from {} s to {} s",
                    MIN_TOKEN_LIFETIME.as_secs(),
                    MAX_TOKEN_LIFETIME.as_secs()
                ),
            });
        }
        let jwks = config
            .jwks_file
            .as_deref()
            .map(KeyStore::open)
            .transpose()?;
        let dev_key = match (config.mode, config.dev_key_file.as_deref()) {
            (Mode::Development, Some(path)) => {
                let secret = dev_key::load_or_create(path)?;
                let key =
                    DecodingKey::from_secret(&secret).map_err(|_| AuthSetupError::DevKey {
                        path: path.to_owned(),
                        reason: "unusable as an HS256 key".to_owned(),
                    })?;
                Some(Arc::new(VerifyKey::new(Algorithm::HS256, key)))
            }
            (Mode::Production, Some(path)) => {
                tracing::debug!(path = %path.display(), "dev key file ignored in production mode");
                None
            }
            (_, None) => None,
        };
        match config.mode {
            Mode::Production if jwks.is_none() => return Err(AuthSetupError::MissingJwksFile),
            Mode::Development if jwks.is_none() && dev_key.is_none() => {
                return Err(AuthSetupError::NoDevelopmentKeys);
            }
            _ => {}
        }
        Ok(Self {
            inner: Arc::new(Inner {
                mode: config.mode,
                issuer: config.issuer.clone(),
                audience: config.audience.clone(),
                skew_secs: i64::try_from(config.clock_skew.as_secs()).unwrap_or(i64::MAX),
                max_lifetime_secs: i64::try_from(config.max_token_lifetime.as_secs())
                    .unwrap_or(i64::MAX),
                jwks,
                dev_key,
                verified: VerifiedTokens::default(),
            }),
        })
    }

    /// Verifies a compact JWS and returns who it identifies.
    ///
    /// `now` comes from the server's clock (which tests set), so `exp` and `nbf` are checked
    /// here against it, with the configured skew, rather than by jsonwebtoken against the
    /// system time. It also paces rereads of the JWKS file, which happen on a blocking
    /// thread: the only await here.
    pub async fn verify(&self, token: &str, now: jiff::Timestamp) -> Result<Caller, AuthError> {
        if token.is_empty() {
            return Err(AuthError::MissingToken);
        }
        if token.len() > MAX_TOKEN_BYTES || !token.bytes().all(is_compact_byte) {
            return Err(AuthError::Malformed);
        }
        let header = TokenHeader::parse(token)?;
        if let Some(typ) = &header.typ
            && !is_accepted_type(typ)
        {
            return Err(AuthError::WrongType);
        }
        let key = self.select_key(&header, now).await?;
        // The header was read and the key chosen as for any token, so a cached token
        // meets the same key rotation as a fresh one; only the signature and the claims'
        // parse are skipped, their outcome being the same for the same bytes.
        if let Some(caller) = self.inner.verified.get(token, &key, now.as_second()) {
            return Ok(caller);
        }
        let data = jsonwebtoken::decode::<RawClaims>(token, &key.key, &key.validation).map_err(
            |e| match e.kind() {
                ErrorKind::InvalidSignature => AuthError::BadSignature,
                ErrorKind::InvalidAlgorithm => AuthError::AlgorithmMismatch,
                _ => AuthError::Malformed,
            },
        )?;
        let (caller, validity) = self.inner.check_claims(data.claims, now)?;
        self.inner
            .verified
            .insert(token, key, caller.clone(), validity, now.as_second());
        Ok(caller)
    }

    /// Picks the key by `kid`, and its algorithm with it; the header's `alg` must then agree.
    /// Routing on the header alone would let a token choose how its key is used (HS256 with a
    /// public key as the secret).
    async fn select_key(
        &self,
        header: &TokenHeader,
        now: jiff::Timestamp,
    ) -> Result<Arc<VerifyKey>, AuthError> {
        let inner = &*self.inner;
        if header.alg.eq_ignore_ascii_case("none") {
            return Err(AuthError::Unsigned);
        }
        let alg: Algorithm = header
            .alg
            .parse()
            .map_err(|_| AuthError::UnsupportedAlgorithm)?;
        match alg.family() {
            AlgorithmFamily::Hmac => {
                if inner.mode == Mode::Production {
                    return Err(AuthError::SymmetricRefused);
                }
                if let (Some(kid), Some(jwks)) = (&header.kid, &inner.jwks)
                    && jwks.contains(kid)
                {
                    return Err(AuthError::AlgorithmMismatch);
                }
                match &inner.dev_key {
                    Some(key) if key.alg == alg => Ok(Arc::clone(key)),
                    Some(_) => Err(AuthError::UnsupportedAlgorithm),
                    None => Err(AuthError::SymmetricRefused),
                }
            }
            AlgorithmFamily::Ed | AlgorithmFamily::Ec => {
                let kid = header.kid.as_deref().ok_or(AuthError::MissingKeyId)?;
                let jwks = inner.jwks.as_ref().ok_or(AuthError::UnknownKeyId)?;
                let key = jwks.key(kid, now).await.ok_or(AuthError::UnknownKeyId)?;
                if key.alg != alg {
                    return Err(AuthError::AlgorithmMismatch);
                }
                Ok(key)
            }
            AlgorithmFamily::Rsa => Err(AuthError::UnsupportedAlgorithm),
        }
    }
}

impl Inner {
    /// The caller, and the seconds between which these claims stay acceptable.
    fn check_claims(
        &self,
        claims: RawClaims,
        now: jiff::Timestamp,
    ) -> Result<(Caller, Validity), AuthError> {
        let now = now.as_second();
        let exp =
            numeric_date(claims.exp.as_ref(), "exp")?.ok_or(AuthError::MissingClaim("exp"))?;
        if exp.saturating_add(self.skew_secs) <= now {
            return Err(AuthError::Expired);
        }
        let nbf = numeric_date(claims.nbf.as_ref(), "nbf")?;
        if let Some(nbf) = nbf
            && nbf.saturating_sub(self.skew_secs) > now
        {
            return Err(AuthError::NotYetValid);
        }
        // `iat` is what bounds a token's life: without it, a leaked token minted to last
        // years would pass every check above.
        let iat =
            numeric_date(claims.iat.as_ref(), "iat")?.ok_or(AuthError::MissingClaim("iat"))?;
        if iat.saturating_sub(self.skew_secs) > now {
            return Err(AuthError::NotYetValid);
        }
        if exp.saturating_sub(iat) > self.max_lifetime_secs {
            return Err(AuthError::LifetimeTooLong);
        }
        match claims.iss {
            None | Some(Value::Null) => return Err(AuthError::MissingClaim("iss")),
            Some(Value::String(iss)) if iss == self.issuer => {}
            Some(Value::String(_)) => return Err(AuthError::WrongIssuer),
            Some(_) => return Err(AuthError::InvalidClaim("iss")),
        }
        let audience_matches = match claims.aud {
            None | Some(Value::Null) => return Err(AuthError::MissingClaim("aud")),
            Some(Value::String(aud)) => aud == self.audience,
            Some(Value::Array(auds)) => {
                let mut matches = false;
                for aud in &auds {
                    let aud = aud.as_str().ok_or(AuthError::InvalidClaim("aud"))?;
                    matches |= aud == self.audience;
                }
                matches
            }
            Some(_) => return Err(AuthError::InvalidClaim("aud")),
        };
        if !audience_matches {
            return Err(AuthError::WrongAudience);
        }
        let subject = required_text(claims.sub, "sub")?;
        let agency = parse_agency_claim(&required_text(claims.agency, "agency")?)
            .ok_or(AuthError::InvalidClaim("agency"))?;
        let scopes = match claims.scope {
            None | Some(Value::Null) => BTreeSet::new(),
            Some(Value::String(scope)) => {
                scope.split_ascii_whitespace().map(str::to_owned).collect()
            }
            Some(_) => return Err(AuthError::InvalidClaim("scope")),
        };
        let validity = Validity {
            from: nbf
                .unwrap_or(i64::MIN)
                .max(iat)
                .saturating_sub(self.skew_secs),
            until: exp.saturating_add(self.skew_secs),
        };
        Ok((
            Caller {
                subject,
                agency,
                scopes,
            },
            validity,
        ))
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Verifier")
            .field("mode", &inner.mode)
            .field("issuer", &inner.issuer)
            .field("audience", &inner.audience)
            .field("clock_skew_secs", &inner.skew_secs)
            .field("max_lifetime_secs", &inner.max_lifetime_secs)
            .field("jwks_file", &inner.jwks.as_ref().map(KeyStore::path))
            .field("jwks_keys", &inner.jwks.as_ref().map(KeyStore::key_count))
            .field(
                "dev_key",
                &if inner.dev_key.is_some() {
                    "[redacted]"
                } else {
                    "none"
                },
            )
            .finish()
    }
}

/// The base64url alphabet plus the two separating dots.
fn is_compact_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'
}

/// What the verifier needs from the header before any signature is checked: only enough to
/// pick a key. jsonwebtoken parses it again (with its `crit` checks) when verifying.
struct TokenHeader {
    alg: String,
    kid: Option<String>,
    typ: Option<String>,
}

#[derive(Deserialize)]
struct RawHeader {
    alg: Option<Value>,
    kid: Option<Value>,
    typ: Option<Value>,
}

impl TokenHeader {
    fn parse(token: &str) -> Result<Self, AuthError> {
        let mut parts = token.split('.');
        let (Some(header), Some(_), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthError::Malformed);
        };
        let bytes = URL_SAFE_NO_PAD
            .decode(header)
            .map_err(|_| AuthError::Malformed)?;
        let raw: RawHeader = serde_json::from_slice(&bytes).map_err(|_| AuthError::Malformed)?;
        let alg = match raw.alg {
            Some(Value::String(alg)) => alg,
            _ => return Err(AuthError::Malformed),
        };
        let optional_text = |value: Option<Value>| match value {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(AuthError::Malformed),
        };
        Ok(Self {
            alg,
            kid: optional_text(raw.kid)?,
            typ: optional_text(raw.typ)?,
        })
    }
}

/// Claims as they arrive, typed loosely so that each problem gets its own error instead of
/// one opaque parse failure.
#[derive(Deserialize)]
struct RawClaims {
    iss: Option<Value>,
    aud: Option<Value>,
    sub: Option<Value>,
    agency: Option<Value>,
    scope: Option<Value>,
    exp: Option<Value>,
    nbf: Option<Value>,
    iat: Option<Value>,
}

/// Access tokens (RFC 9068 `at+jwt`) and plain JWTs; another type (an ID token's, a DPoP
/// proof's) is a token meant for something else. RFC 7515 §4.1.9 lets `application/` be
/// left out and compares case-insensitively.
fn is_accepted_type(typ: &str) -> bool {
    let typ = typ
        .get(..12)
        .filter(|prefix| prefix.eq_ignore_ascii_case("application/"))
        .map_or(typ, |_| &typ[12..]);
    typ.eq_ignore_ascii_case("at+jwt") || typ.eq_ignore_ascii_case("jwt")
}

/// A NumericDate (RFC 7519 §2): seconds, possibly fractional.
fn numeric_date(value: Option<&Value>, name: &'static str) -> Result<Option<i64>, AuthError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite())
                    // `as` saturates, which is the right reading of an absurd date.
                    .map(|f| {
                        #[allow(clippy::cast_possible_truncation)]
                        let seconds = f.floor() as i64;
                        seconds
                    })
            })
            .map(Some)
            .ok_or(AuthError::InvalidClaim(name)),
        Some(_) => Err(AuthError::InvalidClaim(name)),
    }
}

fn required_text(value: Option<Value>, name: &'static str) -> Result<String, AuthError> {
    match value {
        None | Some(Value::Null) => Err(AuthError::MissingClaim(name)),
        Some(Value::String(text)) if text.is_empty() => Err(AuthError::MissingClaim(name)),
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(AuthError::InvalidClaim(name)),
    }
}
