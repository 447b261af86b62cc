use std::path::PathBuf;

use super::settings::{DATA, JWKS_FILE, MODE};

/// Why authentication could not be set up. Each message starts with the setting to fix.
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    /// Production mode without a JWKS file.
    #[error("{JWKS_FILE}: production mode needs a JWKS file of token verification keys")]
    MissingJwksFile,
    /// The JWKS file cannot be read or holds no usable keys.
    #[error("{JWKS_FILE}: {}: {reason}", path.display())]
    Jwks {
        /// The configured file.
        path: PathBuf,
        /// What is wrong with it (never key material).
        reason: String,
    },
    /// Development mode with neither a dev key file nor a JWKS file: no token could verify.
    #[error("{DATA}: development mode needs a dev key file in the data folder (or {JWKS_FILE})")]
    NoDevelopmentKeys,
    /// Minting development tokens without a dev key file.
    #[error("{DATA}: minting development tokens needs a dev key file in the data folder")]
    MissingDevKeyFile,
    /// The dev key file cannot be read, created or used.
    #[error("{DATA}: dev key file {}: {reason}", path.display())]
    DevKey {
        /// The configured file.
        path: PathBuf,
        /// What is wrong with it (never key material).
        reason: String,
    },
    /// Development tokens were asked for outside development mode.
    #[error("{MODE}: development tokens can be minted only in development mode")]
    NotDevelopment,
    /// A setting is outside the range that keeps tokens safe.
    #[error("{setting}: {problem}")]
    OutOfRange {
        /// The setting's name.
        setting: &'static str,
        /// The accepted range.
        problem: String,
    },
    /// A required text setting is empty.
    #[error("{setting}: must not be empty")]
    Empty {
        /// The setting's name.
        setting: &'static str,
    },
}

/// Why a bearer token was refused. Every variant means UNAUTHENTICATED, and every message is
/// safe to return to the caller: none echoes the token, a key or a claim's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No token, or an empty one.
    #[error("no bearer token")]
    MissingToken,
    /// Not a compact JWS with a readable header and claims.
    #[error("malformed token")]
    Malformed,
    /// `alg: none`.
    #[error("unsigned tokens (alg none) are refused")]
    Unsigned,
    /// An algorithm Jalia never accepts (RSA, HS384, ...).
    #[error("the token's algorithm is not accepted")]
    UnsupportedAlgorithm,
    /// HS256 outside development mode (or without a dev key).
    #[error("HS256 tokens are accepted only in development mode")]
    SymmetricRefused,
    /// An asymmetric token without `kid`.
    #[error("the token names no key id (kid)")]
    MissingKeyId,
    /// A `kid` that no configured key has, even after reloading the key file.
    #[error("the token's key id is unknown")]
    UnknownKeyId,
    /// The header's `alg` is not the algorithm of the key it names.
    #[error("the token's algorithm does not match its key")]
    AlgorithmMismatch,
    /// The signature does not verify with the selected key.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// `exp` (plus the clock skew) has passed.
    #[error("the token has expired")]
    Expired,
    /// `nbf` (minus the clock skew) is still ahead.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `exp - iat` is longer than the configured maximum.
    #[error("the token's lifetime exceeds the accepted maximum")]
    LifetimeTooLong,
    /// The header's `typ` names another kind of token.
    #[error("the token's type (typ) is not accepted")]
    WrongType,
    /// `aud` does not name this deployment.
    #[error("the token's audience is not accepted")]
    WrongAudience,
    /// `iss` is not the expected issuer.
    #[error("the token's issuer is not accepted")]
    WrongIssuer,
    /// A required claim is absent.
    #[error("the token lacks the `{0}` claim")]
    MissingClaim(&'static str),
    /// A claim has the wrong type or an unacceptable value.
    #[error("the token's `{0}` claim is invalid")]
    InvalidClaim(&'static str),
    /// Minting failed (development tokens only).
    #[error("the token could not be signed")]
    Signing,
}
