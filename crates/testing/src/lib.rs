//! What every Jalia service's API tests share, so that each service's
//! `tests/api/helpers.rs` only starts its own servers: development tokens for a data
//! folder's key, requests with a bearer token, a channel to an address, a process-wide
//! log capture for "logs hold no personal data" tests, and assertions on a status's code,
//! reason and field violations.
//!
//! A dev-dependency only: it panics on anything unexpected, as a test should.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // test support fails loudly

use std::fmt::Debug;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use jalia_runtime::auth::{AuthConfig, DevTokenIssuer, TokenClaims};
use jiff::Timestamp;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};
use tonic_types::StatusExt;

/// How long a token minted by [`DevTokens::mint`] lives: long enough for any test, and
/// within the lifetime servers accept.
pub const TOKEN_TTL: Duration = Duration::from_secs(3600);

/// Mints development tokens (HS256, the data folder's generated key) that the servers of
/// that data folder accept.
#[derive(Clone)]
pub struct DevTokens {
    auth: AuthConfig,
    issuer: DevTokenIssuer,
}

impl Debug for DevTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevTokens")
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl DevTokens {
    /// Tokens for the servers of a development data folder (its key is made if missing).
    pub fn for_data_dir(data_dir: &Path) -> Self {
        Self::for_auth(&jalia_runtime::ServerSettings::development(data_dir).auth)
    }

    /// Tokens for servers verifying with `auth` (development mode).
    pub fn for_auth(auth: &AuthConfig) -> Self {
        let issuer = DevTokenIssuer::from_config(auth)
            .unwrap_or_else(|err| panic!("no development token issuer: {err}"));
        Self {
            auth: auth.clone(),
            issuer,
        }
    }

    /// A token of `subject` acting for `agency` (a code, or `*`) with `scopes`, valid
    /// from now for [`TOKEN_TTL`].
    pub fn mint(&self, subject: &str, agency: &str, scopes: &[&str]) -> String {
        self.mint_at(subject, agency, scopes, Timestamp::now(), TOKEN_TTL)
    }

    /// A token valid from `now` for `ttl`: for servers on a clock the test sets.
    pub fn mint_at(
        &self,
        subject: &str,
        agency: &str,
        scopes: &[&str],
        now: Timestamp,
        ttl: Duration,
    ) -> String {
        self.issuer
            .mint(&TokenClaims::new(
                &self.auth, subject, agency, scopes, now, ttl,
            ))
            .unwrap_or_else(|err| panic!("cannot mint a development token: {err}"))
    }
}

/// A request carrying `token` as its bearer token.
pub fn authed<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let value = format!("Bearer {token}")
        .parse()
        .unwrap_or_else(|err| panic!("a token is not a header value: {err}"));
    request.metadata_mut().insert("authorization", value);
    request
}

/// A connected channel to a server listening on `address` (plain HTTP/2).
pub async fn channel(address: SocketAddr) -> Channel {
    Endpoint::from_shared(format!("http://{address}"))
        .unwrap_or_else(|err| panic!("not an endpoint: {err}"))
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .unwrap_or_else(|err| panic!("cannot connect to {address}: {err}"))
}

/// The ErrorInfo reason of a status, empty when it has none.
pub fn reason(status: &Status) -> String {
    status
        .get_details_error_info()
        .map(|info| info.reason)
        .unwrap_or_default()
}

/// The fields a status's BadRequest names, in order.
pub fn violated_fields(status: &Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|bad| {
            bad.field_violations
                .into_iter()
                .map(|violation| violation.field)
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts a call failed with `code` and ErrorInfo `reason`, and gives the status.
#[track_caller]
pub fn assert_status<T: Debug>(result: Result<T, Status>, code: Code, reason: &str) -> Status {
    let status = match result {
        Ok(value) => panic!("expected {code:?} {reason}, got a success: {value:?}"),
        Err(status) => status,
    };
    assert_eq!(
        (status.code(), self::reason(&status).as_str()),
        (code, reason),
        "unexpected status: {status:?}"
    );
    status
}

/// Asserts a call failed with INVALID_ARGUMENT naming `field` among its violations, and
/// gives the status.
#[track_caller]
pub fn assert_invalid<T: Debug>(result: Result<T, Status>, field: &str) -> Status {
    let status = assert_status(
        result,
        Code::InvalidArgument,
        jalia_runtime::reasons::INVALID_ARGUMENT,
    );
    let fields = violated_fields(&status);
    assert!(
        fields.iter().any(|named| named == field),
        "no violation on `{field}` in {fields:?}"
    );
    status
}

/// Everything logged in this test binary, at TRACE for every target, as text: for tests
/// that show the logs hold no personal data. The subscriber is the process's global
/// one, installed once; a binary using it must install no other.
#[derive(Debug, Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    /// The capture, installing it on first use.
    pub fn install() -> &'static LogCapture {
        static CAPTURE: OnceLock<LogCapture> = OnceLock::new();
        CAPTURE.get_or_init(|| {
            use tracing_subscriber::util::SubscriberInitExt;
            let capture = LogCapture::default();
            tracing_subscriber::fmt()
                .with_writer(capture.clone())
                .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
                .with_ansi(false)
                .finish()
                .try_init()
                .unwrap_or_else(|err| {
                    panic!("another log subscriber is installed in this test binary: {err}")
                });
            capture
        })
    }

    /// What was logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }

    /// Asserts none of `values` (names, emails, phones...) appears in the logs, and that
    /// the capture saw something at all.
    #[track_caller]
    pub fn assert_absent(&self, values: &[&str]) {
        let logs = self.text();
        assert!(!logs.is_empty(), "the capture saw nothing");
        for value in values {
            assert!(!logs.contains(value), "the logs hold `{value}`");
        }
    }

    fn bytes(&self) -> Vec<u8> {
        match self.0.lock() {
            Ok(bytes) => bytes.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

impl Write for LogCapture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        match self.0.lock() {
            Ok(mut captured) => captured.extend_from_slice(bytes),
            Err(poisoned) => poisoned.into_inner().extend_from_slice(bytes),
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogCapture {
    type Writer = LogCapture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
