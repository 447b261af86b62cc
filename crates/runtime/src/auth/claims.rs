use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::AuthConfig;

/// The claims of a Jalia token, as minted for development (`jalia token`, `jalia up`, tests).
/// Verification reads claims more leniently (e.g. `aud` as a list) and checks each one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenClaims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// The calling system or agent.
    pub sub: String,
    /// Agency code, or `*` for ministry-wide.
    pub agency: String,
    /// Space-separated scopes.
    pub scope: String,
    /// Expiry, in seconds since the Unix epoch.
    pub exp: i64,
    /// Not before, in seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Issued at, in seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
}

impl TokenClaims {
    /// Claims valid from `now` for `ttl`, with the issuer and audience `config` expects.
    pub fn new(
        config: &AuthConfig,
        sub: &str,
        agency: &str,
        scopes: &[&str],
        now: jiff::Timestamp,
        ttl: Duration,
    ) -> Self {
        let now = now.as_second();
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
        Self {
            iss: config.issuer.clone(),
            aud: config.audience.clone(),
            sub: sub.to_owned(),
            agency: agency.to_owned(),
            scope: scopes.join(" "),
            exp: now.saturating_add(ttl),
            nbf: Some(now),
            iat: Some(now),
        }
    }
}
