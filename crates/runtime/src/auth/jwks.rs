//! Production verification keys from a JWKS file (RFC 7517), reloaded when the file changes.

use std::collections::HashMap;
use std::fs::{self, File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::SystemTime;

use base64::Engine;
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::error::AuthSetupError;

/// Reloads (and checks of the file's modification time) happen at most this often, by the
/// server's clock, so a stream of tokens naming made-up `kid`s cannot turn every call into a
/// file read.
const RELOAD_INTERVAL_MS: i64 = 1_000;

/// A JWKS file is a handful of public keys; anything much larger is a mistake.
const MAX_JWKS_BYTES: u64 = 1024 * 1024;

/// JWKs are base64url without padding (RFC 7518), but some tools pad anyway.
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A key ready to verify signatures, with the one algorithm it is used with.
pub(crate) struct VerifyKey {
    pub(crate) alg: Algorithm,
    pub(crate) key: DecodingKey,
    /// Claims are checked by the verifier against the server's clock, so this only pins the
    /// algorithm: jsonwebtoken's own time, audience and issuer checks are off.
    pub(crate) validation: Validation,
}

impl VerifyKey {
    pub(crate) fn new(alg: Algorithm, key: DecodingKey) -> Self {
        let mut validation = Validation::new(alg);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.leeway = 0;
        Self {
            alg,
            key,
            validation,
        }
    }
}

/// Identifies one version of the file cheaply; the inode catches a rename-into-place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

impl FileStamp {
    fn of(meta: &Metadata) -> Self {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        Self {
            modified: meta.modified().ok(),
            len: meta.len(),
            inode,
        }
    }
}

struct KeySet {
    keys: HashMap<String, Arc<VerifyKey>>,
    stamp: Option<FileStamp>,
}

struct ReloadState {
    /// When the file was last read (server clock, milliseconds since the epoch).
    last_attempt_ms: Option<i64>,
    /// The last failure logged, so a broken file warns once rather than every second.
    last_error: Option<String>,
}

/// The keys of one JWKS file, swapped atomically on reload. Verification only takes a read
/// lock long enough to clone an `Arc`; the file is read on a blocking thread, never on an
/// async worker, so a slow or stuck file system delays only the calls that wait for keys.
pub(crate) struct KeyStore {
    path: PathBuf,
    /// When (server clock, milliseconds since the epoch) the file is next checked for a
    /// change.
    next_check_ms: AtomicI64,
    current: RwLock<Arc<KeySet>>,
    /// Serialises reloads; held while the file is read.
    reload: tokio::sync::Mutex<ReloadState>,
}

impl KeyStore {
    /// Loads the file; at start-up a missing or invalid file is fatal, unlike on reload.
    pub(crate) fn open(path: &Path) -> Result<Self, AuthSetupError> {
        let (keys, stamp) = read_keys(path).map_err(|reason| AuthSetupError::Jwks {
            path: path.to_owned(),
            reason,
        })?;
        tracing::info!(path = %path.display(), keys = keys.len(), "jwks loaded");
        Ok(Self {
            path: path.to_owned(),
            next_check_ms: AtomicI64::new(i64::MIN),
            current: RwLock::new(Arc::new(KeySet {
                keys,
                stamp: Some(stamp),
            })),
            reload: tokio::sync::Mutex::new(ReloadState {
                last_attempt_ms: None,
                last_error: None,
            }),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn key_count(&self) -> usize {
        self.snapshot().keys.len()
    }

    /// Whether `kid` names a loaded key, without touching the file.
    pub(crate) fn contains(&self, kid: &str) -> bool {
        self.snapshot().keys.contains_key(kid)
    }

    /// The key named `kid`. Picks up a replaced file (checked at most once per interval of
    /// `now`, the server's clock) and, for an unknown `kid`, rereads the file (also at most
    /// once per interval) in case the token was signed with a key published since.
    pub(crate) async fn key(&self, kid: &str, now: jiff::Timestamp) -> Option<Arc<VerifyKey>> {
        let now_ms = now.as_millisecond();
        self.refresh_if_changed(now_ms).await;
        if let Some(key) = self.snapshot().keys.get(kid) {
            return Some(Arc::clone(key));
        }
        let mut state = self.reload.lock().await;
        // Another call may have reloaded while this one waited for the lock.
        if let Some(key) = self.snapshot().keys.get(kid) {
            return Some(Arc::clone(key));
        }
        if state
            .last_attempt_ms
            .is_some_and(|at| within_interval(at, now_ms))
        {
            return None;
        }
        self.reload_locked(&mut state, now_ms).await;
        self.snapshot().keys.get(kid).map(Arc::clone)
    }

    fn snapshot(&self) -> Arc<KeySet> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    async fn refresh_if_changed(&self, now_ms: i64) {
        let due = self.next_check_ms.load(Ordering::Relaxed);
        if due != i64::MIN && within_interval(due.saturating_sub(RELOAD_INTERVAL_MS), now_ms) {
            return;
        }
        // One call per interval does the check; the others go on with the current keys.
        let next = now_ms.saturating_add(RELOAD_INTERVAL_MS);
        if self
            .next_check_ms
            .compare_exchange(due, next, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        let path = self.path.clone();
        let Some(stamp) =
            off_the_workers(move || fs::metadata(&path).ok().map(|meta| FileStamp::of(&meta)))
                .await
        else {
            return;
        };
        if stamp == self.snapshot().stamp {
            return;
        }
        let mut state = self.reload.lock().await;
        if stamp != self.snapshot().stamp {
            self.reload_locked(&mut state, now_ms).await;
        }
    }

    async fn reload_locked(&self, state: &mut ReloadState, now_ms: i64) {
        state.last_attempt_ms = Some(now_ms);
        let path = self.path.clone();
        let read = off_the_workers(move || read_keys(&path))
            .await
            .unwrap_or_else(|| Err("the reading thread failed".to_owned()));
        match read {
            Ok((keys, stamp)) => {
                tracing::info!(path = %self.path.display(), keys = keys.len(), "jwks reloaded");
                state.last_error = None;
                let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
                *current = Arc::new(KeySet {
                    keys,
                    stamp: Some(stamp),
                });
            }
            Err(reason) => {
                if state.last_error.as_deref() != Some(reason.as_str()) {
                    tracing::warn!(
                        path = %self.path.display(),
                        error = %reason,
                        "jwks reload failed, keeping the previous keys"
                    );
                    state.last_error = Some(reason);
                }
            }
        }
    }
}

/// Whether `now_ms` is less than one interval after `since_ms`. A clock that went back
/// (a test, an operator's correction) counts as past the interval rather than freezing
/// reloads until it catches up.
fn within_interval(since_ms: i64, now_ms: i64) -> bool {
    let elapsed = now_ms.saturating_sub(since_ms);
    (0..RELOAD_INTERVAL_MS).contains(&elapsed)
}

/// Runs file work on tokio's blocking threads when inside a runtime (its async workers must
/// never wait on a disk), inline otherwise. `None` when the work panicked.
async fn off_the_workers<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => runtime.spawn_blocking(work).await.ok(),
        Err(_) => Some(work()),
    }
}

/// Reads and parses the file. The stamp is taken before reading, so a write racing with the
/// read shows up as a change at the next check instead of being missed.
fn read_keys(path: &Path) -> Result<(HashMap<String, Arc<VerifyKey>>, FileStamp), String> {
    let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("cannot stat: {e}"))?;
    let stamp = FileStamp::of(&meta);
    let mut bytes = Vec::new();
    file.take(MAX_JWKS_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_JWKS_BYTES {
        return Err(format!("larger than {MAX_JWKS_BYTES} bytes"));
    }
    Ok((parse_jwks(&bytes)?, stamp))
}

/// Parses a JWKS document into usable keys. Messages never quote key material: a JSON syntax
/// error is reported by position only.
pub(crate) fn parse_jwks(bytes: &[u8]) -> Result<HashMap<String, Arc<VerifyKey>>, String> {
    let doc: Value = serde_json::from_slice(bytes)
        .map_err(|e| format!("not valid JSON (line {}, column {})", e.line(), e.column()))?;
    let entries = doc
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| "not a JWKS: expected an object with a `keys` array".to_owned())?;
    let mut keys = HashMap::new();
    for (index, entry) in entries.iter().enumerate() {
        let entry = entry
            .as_object()
            .ok_or_else(|| format!("key #{index}: not a JSON object"))?;
        let kid = match entry.get("kid") {
            Some(Value::String(kid)) if !kid.is_empty() => kid.clone(),
            _ => return Err(format!("key #{index}: no `kid`")),
        };
        let Some(key) = parse_key(&kid, entry)? else {
            continue;
        };
        if keys.insert(kid.clone(), Arc::new(key)).is_some() {
            return Err(format!("key `{kid}`: the `kid` is used twice"));
        }
    }
    if keys.is_empty() {
        return Err("no usable signing keys (EdDSA Ed25519 or ES256 P-256)".to_owned());
    }
    Ok(keys)
}

/// One JWK. `Ok(None)` skips a key of a kind Jalia does not use (RSA, another curve, an
/// encryption key), so a JWKS shared with other systems still loads; a key that claims to be
/// one Jalia uses but is broken fails the whole file.
fn parse_key(kid: &str, entry: &Map<String, Value>) -> Result<Option<VerifyKey>, String> {
    let text = |name: &str| -> Result<Option<&str>, String> {
        match entry.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(value)) => Ok(Some(value.as_str())),
            Some(_) => Err(format!("key `{kid}`: `{name}` is not a string")),
        }
    };
    if entry.contains_key("d") {
        return Err(format!(
            "key `{kid}` holds private key material (`d`): publish public keys only"
        ));
    }
    if let Some(usage) = text("use")?
        && usage != "sig"
    {
        tracing::debug!(kid, usage, "jwks key skipped: not a signing key");
        return Ok(None);
    }
    let kty = text("kty")?.ok_or_else(|| format!("key `{kid}`: no `kty`"))?;
    let crv = text("crv")?;
    let (alg, key) = match (kty, crv) {
        ("oct", _) => {
            return Err(format!(
                "key `{kid}`: symmetric (oct) keys are not accepted"
            ));
        }
        ("OKP", Some("Ed25519")) => {
            let x = coordinate(kid, "x", text("x")?)?;
            (Algorithm::EdDSA, DecodingKey::from_ed_der(&x))
        }
        ("EC", Some("P-256")) => {
            let x = coordinate(kid, "x", text("x")?)?;
            let y = coordinate(kid, "y", text("y")?)?;
            let mut point = Vec::with_capacity(65);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            (Algorithm::ES256, DecodingKey::from_ec_der(&point))
        }
        _ => {
            tracing::warn!(
                kid,
                kty,
                crv = crv.unwrap_or(""),
                "jwks key skipped: neither an ed25519 nor a p-256 key"
            );
            return Ok(None);
        }
    };
    if let Some(declared) = text("alg")? {
        let expected = match alg {
            Algorithm::EdDSA => "EdDSA",
            _ => "ES256",
        };
        if declared != expected {
            return Err(format!(
                "key `{kid}`: `alg` {declared} does not fit a {kty} {} key (expected {expected})",
                crv.unwrap_or("")
            ));
        }
    }
    // Building a verifier checks the point is on the curve; an empty signature then simply
    // fails to verify, so only a bad key is an error here.
    if jsonwebtoken::crypto::verify("", b"", &key, alg).is_err() {
        return Err(format!("key `{kid}`: not a valid public key"));
    }
    Ok(Some(VerifyKey::new(alg, key)))
}

/// A 32-byte coordinate (Ed25519 `x`, P-256 `x` and `y`). The length check also matters for
/// safety: jsonwebtoken slices Ed25519 keys to 32 bytes without checking.
fn coordinate(kid: &str, name: &str, value: Option<&str>) -> Result<Vec<u8>, String> {
    let value = value.ok_or_else(|| format!("key `{kid}`: no `{name}`"))?;
    let bytes = B64URL
        .decode(value)
        .map_err(|_| format!("key `{kid}`: `{name}` is not base64url"))?;
    if bytes.len() != 32 {
        return Err(format!("key `{kid}`: `{name}` is not 32 bytes"));
    }
    Ok(bytes)
}
