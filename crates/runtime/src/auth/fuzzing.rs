//! A verifier with fixed keys for the fuzz targets in `fuzz/` (the `fuzzing` feature, off
//! in every normal build): the production code path, fed arbitrary token text.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};

use super::{AuthConfig, AuthError, Caller, Verifier};
use crate::Mode;

/// The development HS256 secret; fixed, so that a finding replays exactly.
const DEV_SECRET: [u8; 32] = [0x42; 32];
/// One Ed25519 key (RFC 8037's example public key) under the `kid` "fuzz-ed".
const JWKS: &str = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"fuzz-ed","alg":"EdDSA","use":"sig","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
/// The issuer and audience the fixed verifier expects.
pub const ISSUER: &str = "https://fuzz.jalia.invalid";
/// See [`ISSUER`].
pub const AUDIENCE: &str = "jalia-fuzz";
/// The verifier's clock, in unix seconds.
pub const NOW: i64 = 1_780_000_000;

/// The verifier in development mode, with the JWKS file and the dev key above, both
/// written to a private folder under the system's temporary folder.
#[derive(Debug)]
pub struct FixedVerifier {
    verifier: Verifier,
    runtime: tokio::runtime::Runtime,
    signing_key: EncodingKey,
    now: jiff::Timestamp,
}

impl FixedVerifier {
    /// Writes the key files and loads them.
    pub fn new() -> Result<Self, String> {
        let folder = std::env::temp_dir().join(format!("jalia-fuzz-keys-{}", std::process::id()));
        std::fs::create_dir_all(&folder).map_err(|e| e.to_string())?;
        let jwks_file = write(&folder, "jwks.json", JWKS.as_bytes())?;
        let dev_key_file = write(
            &folder,
            "dev.key",
            URL_SAFE_NO_PAD.encode(DEV_SECRET).as_bytes(),
        )?;
        let config = AuthConfig {
            mode: Mode::Development,
            issuer: ISSUER.to_owned(),
            audience: AUDIENCE.to_owned(),
            jwks_file: Some(jwks_file),
            dev_key_file: Some(dev_key_file),
            clock_skew: Duration::from_secs(60),
            ..AuthConfig::default()
        };
        let verifier = Verifier::new(&config).map_err(|e| e.to_string())?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| e.to_string())?;
        let now = jiff::Timestamp::from_second(NOW).map_err(|e| e.to_string())?;
        let signing_key = EncodingKey::from_secret(&DEV_SECRET).map_err(|e| e.to_string())?;
        Ok(Self {
            verifier,
            runtime,
            signing_key,
            now,
        })
    }

    /// Verifies `token` as the gate does.
    pub fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        self.runtime.block_on(self.verifier.verify(token, self.now))
    }

    /// Verifies a token whose header and claims are `header` and `claims` as they are
    /// (any bytes, base64url-encoded), correctly signed with the dev key: it reaches the
    /// claim checks that a forged signature never does.
    pub fn verify_signed(&self, header: &[u8], claims: &[u8]) -> Result<Caller, AuthError> {
        let message = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        );
        let signature =
            jsonwebtoken::crypto::sign(message.as_bytes(), &self.signing_key, Algorithm::HS256)
                .map_err(|_| AuthError::Malformed)?;
        self.verify(&format!("{message}.{signature}"))
    }
}

fn write(folder: &std::path::Path, name: &str, contents: &[u8]) -> Result<PathBuf, String> {
    let path = folder.join(name);
    std::fs::write(&path, contents).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}
