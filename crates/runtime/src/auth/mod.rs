//! Bearer-token authentication and the generic per-RPC access check (ARCHITECTURE.md §3).
//!
//! Production keys are asymmetric (EdDSA Ed25519 or ES256 P-256) and come from a JWKS file that
//! operators replace to rotate keys. HS256 exists only for development, with a secret generated
//! per data folder, so no shared secret ever ships in a binary or reaches production. The key
//! selected by `kid` decides the algorithm; the token's header only has to agree with it.

mod caller;
mod claims;
mod dev_key;
mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod jwks;
mod verified;
mod verifier;

use std::path::PathBuf;
use std::time::Duration;

pub use caller::{AgencyScope, Caller, Denied, authorize, parse_agency_claim};
pub use claims::TokenClaims;
pub use dev_key::DevTokenIssuer;
pub use error::{AuthError, AuthSetupError};
pub use verifier::Verifier;

/// The `iss` and `aud` Jalia expects unless configured otherwise.
pub const DEFAULT_ISSUER: &str = "jalia";
/// See [`DEFAULT_ISSUER`].
pub const DEFAULT_AUDIENCE: &str = "jalia";
/// Leeway for `exp` and `nbf`: enough for ordinary drift between hosts, short enough that an
/// expired token does not stay useful.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(30);
/// The largest skew accepted: beyond it, an expired token stays useful for too long.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);
/// The longest a token may live (`exp - iat`) unless configured otherwise: a day, so a
/// leaked token is worth a day at most.
pub const DEFAULT_MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// The bounds of the configured maximum lifetime.
pub const MIN_TOKEN_LIFETIME: Duration = Duration::from_secs(60);
/// See [`MIN_TOKEN_LIFETIME`].
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);

/// The setting names that setup errors cite, so an operator knows what to fix.
pub mod settings {
    /// The JWKS file of production verification keys.
    pub const JWKS_FILE: &str = "JALIA_JWKS_FILE";
    /// The data folder, which holds the development HS256 secret.
    pub const DATA: &str = "JALIA_DATA";
    /// Development or production.
    pub const MODE: &str = "JALIA_MODE";
    /// The expected `iss`.
    pub const ISSUER: &str = "JALIA_TOKEN_ISSUER";
    /// The expected `aud`.
    pub const AUDIENCE: &str = "JALIA_TOKEN_AUDIENCE";
    /// The leeway for `exp`, `nbf` and `iat`.
    pub const CLOCK_SKEW: &str = "JALIA_TOKEN_CLOCK_SKEW";
    /// The longest lifetime (`exp - iat`) accepted.
    pub const MAX_LIFETIME: &str = "JALIA_TOKEN_MAX_LIFETIME";
}

/// How tokens are verified (and, in development, minted). Holds paths only, never key
/// material, so the derived `Debug` is safe to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// Development accepts HS256 tokens signed with the dev key; production never does.
    pub mode: crate::Mode,
    /// Expected `iss`.
    pub issuer: String,
    /// Expected `aud` (a token may list several audiences; one must match).
    pub audience: String,
    /// Production verification keys (EdDSA Ed25519 or ES256 P-256), selected by `kid`.
    /// Required in production; optional in development.
    pub jwks_file: Option<PathBuf>,
    /// Development HS256 secret, generated with 0600 permissions if missing. Ignored in
    /// production.
    pub dev_key_file: Option<PathBuf>,
    /// Leeway applied to `exp`, `nbf` and `iat`; at most [`MAX_CLOCK_SKEW`].
    pub clock_skew: Duration,
    /// The longest lifetime (`exp - iat`) a token may have; longer ones are refused, and
    /// not minted.
    pub max_token_lifetime: Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            mode: crate::Mode::Production,
            issuer: DEFAULT_ISSUER.to_owned(),
            audience: DEFAULT_AUDIENCE.to_owned(),
            jwks_file: None,
            dev_key_file: None,
            clock_skew: DEFAULT_CLOCK_SKEW,
            max_token_lifetime: DEFAULT_MAX_TOKEN_LIFETIME,
        }
    }
}
