//! The development HS256 secret: generated once per data folder, never compiled in.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::TryRngCore;
use rand::rngs::OsRng;

use super::caller::parse_agency_claim;
use super::error::{AuthError, AuthSetupError};
use super::{AuthConfig, TokenClaims};

/// HS256 needs at least as many key bytes as its output (RFC 7518 §3.2).
pub(crate) const MIN_SECRET_BYTES: usize = 32;

/// The file holds one line of base64url text; anything bigger is not a dev key.
const MAX_FILE_BYTES: u64 = 4096;

const LENIENT_B64URL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Reads the secret at `path`, generating it first if the file does not exist.
///
/// Several services of one `jalia up` may start at once on the same data folder, so the new
/// key is written to a private temporary file and hard-linked into place: the link either
/// creates the complete file or fails because another process won, and then its key is used.
pub(crate) fn load_or_create(path: &Path) -> Result<Vec<u8>, AuthSetupError> {
    let fail = |reason: String| AuthSetupError::DevKey {
        path: path.to_owned(),
        reason,
    };
    match read_secret(path) {
        Ok(secret) => return Ok(secret),
        Err(ReadError::Missing) => {}
        Err(ReadError::Invalid(reason)) => return Err(fail(reason)),
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)
            .map_err(|e| fail(format!("cannot create the parent folder: {e}")))?;
    }
    let mut secret = vec![0u8; MIN_SECRET_BYTES];
    let mut suffix = [0u8; 8];
    OsRng
        .try_fill_bytes(&mut secret)
        .and_then(|()| OsRng.try_fill_bytes(&mut suffix))
        .map_err(|e| fail(format!("no randomness from the operating system: {e}")))?;
    let file_name = path
        .file_name()
        .ok_or_else(|| fail("not a file path".to_owned()))?
        .to_string_lossy();
    let temp = path.with_file_name(format!(
        ".{file_name}.{}.{}.tmp",
        std::process::id(),
        u64::from_le_bytes(suffix)
    ));
    let written = write_private(&temp, URL_SAFE_NO_PAD.encode(&secret).as_bytes())
        .and_then(|()| fs::hard_link(&temp, path));
    // The temporary name is only a staging step; remove it whether or not the link worked.
    let _ = fs::remove_file(&temp);
    match written {
        Ok(()) => {
            tracing::info!(path = %path.display(), "generated a development signing key");
            Ok(secret)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => match read_secret(path) {
            Ok(secret) => Ok(secret),
            Err(ReadError::Missing) => Err(fail("vanished while being created".to_owned())),
            Err(ReadError::Invalid(reason)) => Err(fail(reason)),
        },
        Err(e) => Err(fail(format!("cannot write: {e}"))),
    }
}

enum ReadError {
    Missing,
    Invalid(String),
}

fn read_secret(path: &Path) -> Result<Vec<u8>, ReadError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(ReadError::Missing),
        Err(e) => return Err(ReadError::Invalid(format!("cannot open: {e}"))),
    };
    warn_if_exposed(path, &file);
    let mut text = String::new();
    file.take(MAX_FILE_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| ReadError::Invalid(format!("cannot read: {e}")))?;
    // Never quote the content or a decoder's complaint about it: either could leak key bytes.
    let secret = LENIENT_B64URL.decode(text.trim()).map_err(|_| {
        ReadError::Invalid(
            "not a dev key (one line of base64url); delete it to have a new one generated"
                .to_owned(),
        )
    })?;
    if secret.len() < MIN_SECRET_BYTES {
        return Err(ReadError::Invalid(format!(
            "holds fewer than {MIN_SECRET_BYTES} key bytes; delete it to have a new one generated"
        )));
    }
    Ok(secret)
}

#[cfg(unix)]
fn warn_if_exposed(path: &Path, file: &File) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = file.metadata()
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            path = %path.display(),
            "dev key file is readable by other users; restrict it to mode 0600"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_exposed(_path: &Path, _file: &File) {}

fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.write_all(b"\n")?;
    file.sync_all()
}

/// Mints development tokens (HS256 with the dev key) for `jalia token`, `jalia up` and tests.
/// Exists only in development mode.
#[derive(Clone)]
pub struct DevTokenIssuer {
    key: EncodingKey,
    path: PathBuf,
    max_lifetime: std::time::Duration,
}

impl DevTokenIssuer {
    /// Refuses unless `config.mode` is development; loads the dev key file, generating it if
    /// missing.
    pub fn from_config(config: &AuthConfig) -> Result<Self, AuthSetupError> {
        if config.mode != crate::Mode::Development {
            return Err(AuthSetupError::NotDevelopment);
        }
        let path = config
            .dev_key_file
            .as_deref()
            .ok_or(AuthSetupError::MissingDevKeyFile)?;
        let secret = load_or_create(path)?;
        let key = EncodingKey::from_secret(&secret).map_err(|_| AuthSetupError::DevKey {
            path: path.to_owned(),
            reason: "unusable as an HS256 key".to_owned(),
        })?;
        Ok(Self {
            key,
            path: path.to_owned(),
            max_lifetime: config.max_token_lifetime,
        })
    }

    /// Signs `claims`. Claims the verifier would refuse (an empty subject, a malformed
    /// agency) are refused here too, so a bad token fails where it is made.
    pub fn mint(&self, claims: &TokenClaims) -> Result<String, AuthError> {
        if claims.sub.is_empty() {
            return Err(AuthError::MissingClaim("sub"));
        }
        if parse_agency_claim(&claims.agency).is_none() {
            return Err(AuthError::InvalidClaim("agency"));
        }
        let iat = claims.iat.ok_or(AuthError::MissingClaim("iat"))?;
        let max = i64::try_from(self.max_lifetime.as_secs()).unwrap_or(i64::MAX);
        if claims.exp.saturating_sub(iat) > max {
            return Err(AuthError::LifetimeTooLong);
        }
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.key)
            .map_err(|_| AuthError::Signing)
    }
}

impl fmt::Debug for DevTokenIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevTokenIssuer")
            .field("dev_key_file", &self.path)
            .field("max_lifetime", &self.max_lifetime)
            .field("key", &"[redacted]")
            .finish()
    }
}
