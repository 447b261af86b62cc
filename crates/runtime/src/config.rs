//! Server settings from flags and `JALIA_*` environment variables (12-factor), parsed once
//! at start into typed values and validated with messages naming the setting.
//!
//! Settings a deployable owns carry its prefix (`JALIA_EVENTS_LISTEN`); settings every
//! deployable shares do not (`JALIA_MODE`, `JALIA_JWKS_FILE`, `JALIA_PAGE_TOKEN_KEY`).

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches};

use crate::Mode;
use crate::auth::{AuthConfig, MAX_CLOCK_SKEW, MAX_TOKEN_LIFETIME, MIN_TOKEN_LIFETIME};
use crate::tls::TlsConfig;

/// A setting that was refused, named as an operator would set it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting {setting}: {problem}")]
pub struct ConfigError {
    /// The flag and the environment variable, e.g. `--listen / JALIA_EVENTS_LISTEN`.
    pub setting: String,
    /// What is wrong.
    pub problem: String,
}

/// A secret value (a database URL with its password, a key): kept out of `Debug` and
/// every log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// A fresh random key of 32 bytes (base64url), for development settings that must
    /// not be compiled in.
    pub fn generate() -> Self {
        use base64::Engine;
        let bytes: [u8; 32] = rand::random();
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The value itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line, for log collectors.
    Json,
    /// Readable lines, for people.
    Text,
}

/// Limits that keep a server standing under load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Calls served at once; the next is refused with RESOURCE_EXHAUSTED.
    pub concurrency: usize,
    /// Longest a call may run; a caller's shorter `grpc-timeout` wins.
    pub request_timeout: Duration,
    /// Largest message decoded or encoded.
    pub max_message_bytes: usize,
    /// Connections are closed gracefully after this age, so clients re-resolve and
    /// spread over new replicas.
    pub max_connection_age: Duration,
    /// How long a connection past its age may take to finish its calls before it is cut,
    /// so a client that ignores the close (or stopped reading) cannot keep it open.
    pub max_connection_age_grace: Duration,
    /// Streams (calls) one HTTP/2 connection may have open at once.
    pub max_concurrent_streams: u32,
    /// Calls one anonymous client (one address) may have in flight at once. `None`: a
    /// quarter of [`Self::concurrency`]; never more than it.
    pub client_concurrency: Option<usize>,
    /// A response that sends nothing for this long (its client stopped reading, or it
    /// stopped producing) is ended, and the call's permit released.
    pub response_idle_timeout: Duration,
}

impl Limits {
    /// The calls one anonymous client may have in flight: as set, else a quarter of the server's
    /// permits (so one client alone, however it behaves, leaves three quarters to everyone
    /// else), never more than all of them.
    pub fn client_concurrency(&self) -> usize {
        self.client_concurrency
            .unwrap_or_else(|| self.concurrency.div_ceil(4))
            .clamp(1, self.concurrency.max(1))
    }
}

/// How a server stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShutdownSettings {
    /// After the signal, how long health reports NOT_SERVING while calls are still
    /// accepted, so load balancers stop sending before the listener closes.
    pub delay: Duration,
    /// How long in-flight calls may run to completion; keep it below Kubernetes'
    /// termination grace period.
    pub drain_timeout: Duration,
}

/// Logging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// Line format.
    pub format: LogFormat,
    /// A tracing filter directive, e.g. `info` or `info,jalia_events=debug`.
    pub filter: String,
}

/// What every Jalia server needs to start.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Development or production.
    pub mode: Mode,
    /// Where callers connect.
    pub listen: SocketAddr,
    /// Where Prometheus scrapes `/metrics`; none disables it.
    pub admin_listen: Option<SocketAddr>,
    /// TLS on the listener, when a certificate and key are set.
    pub tls: Option<TlsConfig>,
    /// Token verification.
    pub auth: AuthConfig,
    /// The data folder (development keys; SQLite files under `jalia up`).
    pub data_dir: PathBuf,
    /// Overload protection.
    pub limits: Limits,
    /// Graceful shutdown.
    pub shutdown: ShutdownSettings,
    /// Logging.
    pub log: LogSettings,
    /// Serve gRPC reflection (v1 and v1alpha). Off in production unless asked for: it
    /// hands anyone the whole contract, which tools need in development, not callers.
    pub reflection: bool,
}

/// Per-deployable defaults.
#[derive(Debug, Clone, Copy)]
pub struct Defaults {
    /// Default listening address.
    pub listen: &'static str,
    /// Default admin (metrics) address.
    pub admin_listen: &'static str,
}

/// Names the flags and variables of one deployable: `JALIA_EVENTS_` gives
/// `JALIA_EVENTS_LISTEN`.
#[derive(Debug, Clone)]
pub struct EnvPrefix(String);

impl EnvPrefix {
    /// `JALIA_<NAME>_` for a deployable named like `services-catalog` (becomes
    /// `JALIA_SERVICES_CATALOG_`) or a short name (`catalog` becomes `JALIA_CATALOG_`).
    pub fn new(short_name: &str) -> Self {
        Self(format!(
            "JALIA_{}_",
            short_name.to_ascii_uppercase().replace('-', "_")
        ))
    }

    /// The variable for `name`.
    pub fn var(&self, name: &str) -> String {
        format!("{}{}", self.0, name)
    }
}

mod ids {
    pub(super) const MODE: &str = "mode";
    pub(super) const LISTEN: &str = "listen";
    pub(super) const ADMIN_LISTEN: &str = "admin-listen";
    pub(super) const NO_ADMIN: &str = "no-admin";
    pub(super) const TLS_CERT: &str = "tls-cert-file";
    pub(super) const TLS_KEY: &str = "tls-key-file";
    pub(super) const TLS_CLIENT_CA: &str = "tls-client-ca-file";
    pub(super) const JWKS: &str = "jwks-file";
    pub(super) const ISSUER: &str = "token-issuer";
    pub(super) const AUDIENCE: &str = "token-audience";
    pub(super) const SKEW: &str = "token-clock-skew";
    pub(super) const MAX_LIFETIME: &str = "token-max-lifetime";
    pub(super) const DATA: &str = "data";
    pub(super) const CONCURRENCY: &str = "concurrency-limit";
    pub(super) const TIMEOUT: &str = "request-timeout";
    pub(super) const MAX_MESSAGE: &str = "max-message-bytes";
    pub(super) const MAX_AGE: &str = "max-connection-age";
    pub(super) const MAX_AGE_GRACE: &str = "max-connection-age-grace";
    pub(super) const MAX_STREAMS: &str = "max-concurrent-streams";
    pub(super) const CLIENT_CONCURRENCY: &str = "client-concurrency-limit";
    pub(super) const RESPONSE_IDLE: &str = "response-idle-timeout";
    pub(super) const SHUTDOWN_DELAY: &str = "shutdown-delay";
    pub(super) const DRAIN: &str = "drain-timeout";
    pub(super) const LOG_FORMAT: &str = "log-format";
    pub(super) const LOG: &str = "log";
    pub(super) const REFLECTION: &str = "reflection";
}

fn setting(id: &str, env: &str) -> String {
    format!("--{id} / {env}")
}

impl ServerSettings {
    /// The flags (with their environment variables) a deployable accepts.
    pub fn args(prefix: &EnvPrefix, defaults: Defaults) -> Vec<Arg> {
        vec![
            Arg::new(ids::MODE)
                .long(ids::MODE)
                .env("JALIA_MODE")
                .value_parser(clap::value_parser!(Mode))
                .default_value("production")
                .help("development (HS256 dev tokens, text logs) or production"),
            Arg::new(ids::LISTEN)
                .long(ids::LISTEN)
                .env(prefix.var("LISTEN"))
                .default_value(defaults.listen)
                .help("address to serve gRPC on"),
            Arg::new(ids::ADMIN_LISTEN)
                .long(ids::ADMIN_LISTEN)
                .env(prefix.var("ADMIN_LISTEN"))
                .default_value(defaults.admin_listen)
                .help("address to serve Prometheus metrics on (/metrics)"),
            Arg::new(ids::NO_ADMIN)
                .long(ids::NO_ADMIN)
                .action(ArgAction::SetTrue)
                .help("serve no metrics"),
            Arg::new(ids::TLS_CERT)
                .long(ids::TLS_CERT)
                .env(prefix.var("TLS_CERT_FILE"))
                .help("PEM certificate chain; with the key, turns TLS on (reloaded on change)"),
            Arg::new(ids::TLS_KEY)
                .long(ids::TLS_KEY)
                .env(prefix.var("TLS_KEY_FILE"))
                .help("PEM private key of the certificate"),
            Arg::new(ids::TLS_CLIENT_CA)
                .long(ids::TLS_CLIENT_CA)
                .env(prefix.var("TLS_CLIENT_CA_FILE"))
                .help("PEM CA bundle; when set, clients must present a certificate it signed"),
            Arg::new(ids::JWKS)
                .long(ids::JWKS)
                .env("JALIA_JWKS_FILE")
                .help("JWKS file of the token-signing public keys (required in production)"),
            Arg::new(ids::ISSUER)
                .long(ids::ISSUER)
                .env("JALIA_TOKEN_ISSUER")
                .default_value("jalia")
                .help("expected `iss` of tokens"),
            Arg::new(ids::AUDIENCE)
                .long(ids::AUDIENCE)
                .env("JALIA_TOKEN_AUDIENCE")
                .default_value("jalia")
                .help("expected `aud` of tokens"),
            Arg::new(ids::SKEW)
                .long(ids::SKEW)
                .env("JALIA_TOKEN_CLOCK_SKEW")
                .default_value("30s")
                .help("tolerated clock difference for `exp`, `nbf` and `iat` (at most 5m)"),
            Arg::new(ids::MAX_LIFETIME)
                .long(ids::MAX_LIFETIME)
                .env("JALIA_TOKEN_MAX_LIFETIME")
                .default_value("24h")
                .help("longest token lifetime (`exp - iat`) accepted, from 1m to 30 days"),
            Arg::new(ids::DATA)
                .long(ids::DATA)
                .env("JALIA_DATA")
                .default_value(".jalia")
                .help("data folder (development signing key, SQLite files)"),
            Arg::new(ids::CONCURRENCY)
                .long(ids::CONCURRENCY)
                .env(prefix.var("CONCURRENCY_LIMIT"))
                .default_value("256")
                .help("calls served at once; more are refused with RESOURCE_EXHAUSTED"),
            Arg::new(ids::TIMEOUT)
                .long(ids::TIMEOUT)
                .env(prefix.var("REQUEST_TIMEOUT"))
                .default_value("30s")
                .help("longest a call may run (a caller's shorter deadline wins)"),
            Arg::new(ids::MAX_MESSAGE)
                .long(ids::MAX_MESSAGE)
                .env(prefix.var("MAX_MESSAGE_BYTES"))
                .default_value("4194304")
                .help("largest message accepted or sent, in bytes"),
            Arg::new(ids::MAX_AGE)
                .long(ids::MAX_AGE)
                .env(prefix.var("MAX_CONNECTION_AGE"))
                .default_value("5m")
                .help("connections are closed gracefully after this age"),
            Arg::new(ids::MAX_AGE_GRACE)
                .long(ids::MAX_AGE_GRACE)
                .env(prefix.var("MAX_CONNECTION_AGE_GRACE"))
                .default_value("30s")
                .help("then cut if their calls are not done within this grace"),
            Arg::new(ids::MAX_STREAMS)
                .long(ids::MAX_STREAMS)
                .env(prefix.var("MAX_CONCURRENT_STREAMS"))
                .default_value("100")
                .help("calls one connection may have open at once (1 to 10000)"),
            Arg::new(ids::CLIENT_CONCURRENCY)
                .long(ids::CLIENT_CONCURRENCY)
                .env(prefix.var("CLIENT_CONCURRENCY_LIMIT"))
                .help("calls one anonymous client (address) may have in flight; at most the concurrency limit (default: a quarter of it)"),
            Arg::new(ids::RESPONSE_IDLE)
                .long(ids::RESPONSE_IDLE)
                .env(prefix.var("RESPONSE_IDLE_TIMEOUT"))
                .default_value("30s")
                .help("a response that sends nothing for this long is ended (a client that stopped reading)"),
            Arg::new(ids::SHUTDOWN_DELAY)
                .long(ids::SHUTDOWN_DELAY)
                .env(prefix.var("SHUTDOWN_DELAY"))
                .default_value("1s")
                .help("after SIGTERM, time reporting NOT_SERVING before the listener closes"),
            Arg::new(ids::DRAIN)
                .long(ids::DRAIN)
                .env(prefix.var("DRAIN_TIMEOUT"))
                .default_value("20s")
                .help("time in-flight calls get to finish after SIGTERM"),
            Arg::new(ids::LOG_FORMAT)
                .long(ids::LOG_FORMAT)
                .env("JALIA_LOG_FORMAT")
                .value_parser(clap::value_parser!(LogFormat))
                .help("json or text (default: json in production, text in development)"),
            Arg::new(ids::LOG)
                .long(ids::LOG)
                .env("JALIA_LOG")
                .default_value("info")
                .help("log filter, e.g. info or info,jalia_events=debug"),
            Arg::new(ids::REFLECTION)
                .long(ids::REFLECTION)
                .env("JALIA_REFLECTION")
                .help("serve gRPC reflection: on or off (default: on in development, off in production)"),
        ]
    }

    /// Reads and validates the settings from parsed flags.
    pub fn from_matches(prefix: &EnvPrefix, matches: &ArgMatches) -> Result<Self, ConfigError> {
        let read = Reader { prefix, matches };
        let mode = matches
            .get_one::<Mode>(ids::MODE)
            .copied()
            .unwrap_or_default();
        let listen = read.parse(ids::LISTEN, "LISTEN", parse_addr)?;
        let admin_listen = if matches.get_flag(ids::NO_ADMIN) {
            None
        } else {
            Some(read.parse(ids::ADMIN_LISTEN, "ADMIN_LISTEN", parse_addr)?)
        };
        let tls = read.tls()?;
        let jwks_file = read.optional(ids::JWKS).map(PathBuf::from);
        if mode == Mode::Production && jwks_file.is_none() {
            return Err(ConfigError {
                setting: setting(ids::JWKS, "JALIA_JWKS_FILE"),
                problem: "required in production mode (HS256 development tokens are refused)"
                    .to_owned(),
            });
        }
        let data_dir = PathBuf::from(read.required(ids::DATA, "JALIA_DATA")?);
        let auth = AuthConfig {
            mode,
            issuer: read.non_empty(ids::ISSUER, "JALIA_TOKEN_ISSUER")?,
            audience: read.non_empty(ids::AUDIENCE, "JALIA_TOKEN_AUDIENCE")?,
            jwks_file,
            dev_key_file: (mode == Mode::Development).then(|| data_dir.join("dev-signing.key")),
            clock_skew: read.shared_duration(ids::SKEW, "JALIA_TOKEN_CLOCK_SKEW", |skew| {
                within(skew, Duration::ZERO, MAX_CLOCK_SKEW)
            })?,
            max_token_lifetime: read.shared_duration(
                ids::MAX_LIFETIME,
                "JALIA_TOKEN_MAX_LIFETIME",
                |lifetime| within(lifetime, MIN_TOKEN_LIFETIME, MAX_TOKEN_LIFETIME),
            )?,
        };
        let concurrency = read.parse(ids::CONCURRENCY, "CONCURRENCY_LIMIT", |v| {
            parse_in_range(v, 1, 1_000_000)
        })?;
        let client_concurrency = match read.optional(ids::CLIENT_CONCURRENCY) {
            None => None,
            Some(_) => {
                Some(
                    read.parse(ids::CLIENT_CONCURRENCY, "CLIENT_CONCURRENCY_LIMIT", |v| {
                        parse_in_range(v, 1, concurrency)
                            .map_err(|problem| format!("{problem} (the concurrency limit)"))
                    })?,
                )
            }
        };
        let limits = Limits {
            concurrency,
            request_timeout: read.parse(
                ids::TIMEOUT,
                "REQUEST_TIMEOUT",
                parse_positive_duration,
            )?,
            max_message_bytes: read.parse(ids::MAX_MESSAGE, "MAX_MESSAGE_BYTES", |v| {
                parse_in_range(v, 1024, 64 * 1024 * 1024)
            })?,
            max_connection_age: read.parse(
                ids::MAX_AGE,
                "MAX_CONNECTION_AGE",
                parse_positive_duration,
            )?,
            max_connection_age_grace: read.parse(
                ids::MAX_AGE_GRACE,
                "MAX_CONNECTION_AGE_GRACE",
                parse_positive_duration,
            )?,
            max_concurrent_streams: read.parse(
                ids::MAX_STREAMS,
                "MAX_CONCURRENT_STREAMS",
                |v| {
                    parse_in_range(v, 1, 10_000)
                        .map(|streams| u32::try_from(streams).unwrap_or(10_000))
                },
            )?,
            client_concurrency,
            response_idle_timeout: read.parse(
                ids::RESPONSE_IDLE,
                "RESPONSE_IDLE_TIMEOUT",
                parse_positive_duration,
            )?,
        };
        let shutdown = ShutdownSettings {
            delay: read.parse(ids::SHUTDOWN_DELAY, "SHUTDOWN_DELAY", parse_duration)?,
            drain_timeout: read.parse(ids::DRAIN, "DRAIN_TIMEOUT", parse_positive_duration)?,
        };
        let log = LogSettings {
            format: matches
                .get_one::<LogFormat>(ids::LOG_FORMAT)
                .copied()
                .unwrap_or(match mode {
                    Mode::Development => LogFormat::Text,
                    Mode::Production => LogFormat::Json,
                }),
            filter: read.non_empty(ids::LOG, "JALIA_LOG")?,
        };
        let reflection = match read.optional(ids::REFLECTION) {
            None => mode == Mode::Development,
            Some(value) => parse_switch(value.trim()).map_err(|problem| ConfigError {
                setting: setting(ids::REFLECTION, "JALIA_REFLECTION"),
                problem: format!("`{value}`: {problem}"),
            })?,
        };
        Ok(Self {
            mode,
            listen,
            admin_listen,
            tls,
            auth,
            data_dir,
            limits,
            shutdown,
            log,
            reflection,
        })
    }

    /// Settings for tests and `jalia up`: development mode, loopback with port 0, no
    /// admin port, the given data folder, production-like limits.
    pub fn development(data_dir: impl Into<PathBuf>) -> Self {
        let data_dir = data_dir.into();
        Self {
            mode: Mode::Development,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            admin_listen: None,
            tls: None,
            auth: AuthConfig {
                mode: Mode::Development,
                dev_key_file: Some(data_dir.join("dev-signing.key")),
                ..AuthConfig::default()
            },
            data_dir,
            limits: Limits {
                concurrency: 256,
                request_timeout: Duration::from_secs(30),
                max_message_bytes: 4 * 1024 * 1024,
                max_connection_age: Duration::from_secs(300),
                max_connection_age_grace: Duration::from_secs(30),
                max_concurrent_streams: 100,
                client_concurrency: None,
                response_idle_timeout: Duration::from_secs(30),
            },
            shutdown: ShutdownSettings {
                delay: Duration::ZERO,
                drain_timeout: Duration::from_secs(10),
            },
            log: LogSettings {
                format: LogFormat::Text,
                filter: "info".to_owned(),
            },
            reflection: true,
        }
    }
}

struct Reader<'a> {
    prefix: &'a EnvPrefix,
    matches: &'a ArgMatches,
}

impl Reader<'_> {
    fn optional(&self, id: &str) -> Option<String> {
        self.matches
            .get_one::<String>(id)
            .filter(|value| !value.trim().is_empty())
            .cloned()
    }

    fn required(&self, id: &str, env: &str) -> Result<String, ConfigError> {
        self.optional(id).ok_or_else(|| ConfigError {
            setting: setting(id, env),
            problem: "must be set".to_owned(),
        })
    }

    fn non_empty(&self, id: &str, env: &str) -> Result<String, ConfigError> {
        self.required(id, env)
    }

    /// A deployable's own setting (its variable carries the prefix).
    fn parse<T>(
        &self,
        id: &str,
        var: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        let env = self.prefix.var(var);
        let raw = self.required(id, &env)?;
        parse(raw.trim()).map_err(|problem| ConfigError {
            setting: setting(id, &env),
            problem: format!("`{raw}`: {problem}"),
        })
    }

    fn shared_duration(
        &self,
        id: &str,
        env: &str,
        check: impl Fn(Duration) -> Result<Duration, String>,
    ) -> Result<Duration, ConfigError> {
        let raw = self.required(id, env)?;
        parse_duration(raw.trim())
            .and_then(check)
            .map_err(|problem| ConfigError {
                setting: setting(id, env),
                problem: format!("`{raw}`: {problem}"),
            })
    }

    fn tls(&self) -> Result<Option<TlsConfig>, ConfigError> {
        let cert = self.optional(ids::TLS_CERT);
        let key = self.optional(ids::TLS_KEY);
        let client_ca = self.optional(ids::TLS_CLIENT_CA);
        match (cert, key) {
            (Some(cert), Some(key)) => Ok(Some(TlsConfig {
                cert_file: cert.into(),
                key_file: key.into(),
                client_ca_file: client_ca.map(PathBuf::from),
            })),
            (None, None) if client_ca.is_none() => Ok(None),
            (None, None) => Err(ConfigError {
                setting: setting(ids::TLS_CLIENT_CA, &self.prefix.var("TLS_CLIENT_CA_FILE")),
                problem: "client certificates need TLS: set the certificate and key too".to_owned(),
            }),
            (Some(_), None) => Err(ConfigError {
                setting: setting(ids::TLS_KEY, &self.prefix.var("TLS_KEY_FILE")),
                problem: "a TLS certificate is set without its key".to_owned(),
            }),
            (None, Some(_)) => Err(ConfigError {
                setting: setting(ids::TLS_CERT, &self.prefix.var("TLS_CERT_FILE")),
                problem: "a TLS key is set without its certificate".to_owned(),
            }),
        }
    }
}

fn parse_addr(value: &str) -> Result<SocketAddr, String> {
    value
        .parse()
        .map_err(|_| "expected an address like 0.0.0.0:50051".to_owned())
}

fn within(value: Duration, min: Duration, max: Duration) -> Result<Duration, String> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "expected from {} s to {} s",
            min.as_secs(),
            max.as_secs()
        ))
    }
}

fn parse_switch(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err("expected on or off".to_owned()),
    }
}

fn parse_in_range(value: &str, min: usize, max: usize) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(number) if (min..=max).contains(&number) => Ok(number),
        _ => Err(format!("expected a whole number from {min} to {max}")),
    }
}

/// `500ms`, `30s`, `5m`, `1h`, or a bare number of seconds.
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (digits, unit) = value.split_at(split);
    let amount: u64 = digits
        .parse()
        .map_err(|_| "expected a duration like 500ms, 30s, 5m or 1h".to_owned())?;
    let millis = match unit {
        "ms" => Some(amount),
        "" | "s" => amount.checked_mul(1_000),
        "m" => amount.checked_mul(60_000),
        "h" => amount.checked_mul(3_600_000),
        _ => return Err("expected a duration like 500ms, 30s, 5m or 1h".to_owned()),
    };
    millis
        .map(Duration::from_millis)
        .ok_or_else(|| "duration too large".to_owned())
}

fn parse_positive_duration(value: &str) -> Result<Duration, String> {
    match parse_duration(value)? {
        Duration::ZERO => Err("must be more than zero".to_owned()),
        duration => Ok(duration),
    }
}

/// What a service that owns a database needs beyond [`ServerSettings`].
#[derive(Debug, Clone)]
pub struct StorageSettings {
    /// `sqlite://…` or `postgres://…`; may hold a password.
    pub database_url: Secret,
    /// Shared by every replica to authenticate page tokens (at least 32 bytes).
    /// Generated per process in development when unset.
    pub page_token_key: Secret,
    /// Where the service's change feed is also published, when the deployment runs a
    /// NATS JetStream broker (ARCHITECTURE.md §5); None publishes nowhere.
    pub nats: Option<NatsSettings>,
}

/// A NATS JetStream broker to publish change feeds to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatsSettings {
    /// `nats://host:port`, or several separated by commas; may hold credentials.
    pub url: Secret,
    /// The first subject tokens of every message (`jalia` gives `jalia.events.…`); the
    /// service's stream is named after it (`JALIA_EVENTS`).
    pub subject_prefix: String,
}

/// The subject prefix when none is set.
pub const DEFAULT_NATS_SUBJECT_PREFIX: &str = "jalia";

const NATS_URL_ENV: &str = "JALIA_NATS_URL";
const NATS_SUBJECT_PREFIX_ENV: &str = "JALIA_NATS_SUBJECT_PREFIX";

impl NatsSettings {
    /// Reads and checks the broker's settings: None when no URL is set.
    pub fn parse(
        url: Option<&str>,
        subject_prefix: Option<&str>,
    ) -> Result<Option<Self>, ConfigError> {
        let Some(url) = url.map(str::trim).filter(|url| !url.is_empty()) else {
            return Ok(None);
        };
        for server in url.split(',').map(str::trim) {
            if let Err(problem) = check_nats_server(server) {
                return Err(ConfigError {
                    setting: setting("nats-url", NATS_URL_ENV),
                    // The URL may hold credentials: name the problem, not the value.
                    problem,
                });
            }
        }
        let subject_prefix = subject_prefix
            .map(str::trim)
            .filter(|prefix| !prefix.is_empty())
            .unwrap_or(DEFAULT_NATS_SUBJECT_PREFIX);
        if !subject_prefix.split('.').all(is_subject_token) {
            return Err(ConfigError {
                setting: setting("nats-subject-prefix", NATS_SUBJECT_PREFIX_ENV),
                problem: format!(
                    "`{subject_prefix}`: must be subject tokens of letters, digits, '-' and '_' \
                     separated by dots"
                ),
            });
        }
        Ok(Some(Self {
            url: Secret::new(url),
            subject_prefix: subject_prefix.to_owned(),
        }))
    }
}

/// Whether `token` can be one token of a NATS subject, and of a stream's name once
/// upper-cased: no wildcards, separators or spaces.
pub fn is_subject_token(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn check_nats_server(server: &str) -> Result<(), String> {
    let Some((scheme, rest)) = server.split_once("://") else {
        return Err("each server must be a URL such as nats://host:4222".to_owned());
    };
    if !matches!(scheme, "nats" | "tls") {
        return Err(format!(
            "`{scheme}://` is not a NATS scheme (nats:// or tls://)"
        ));
    }
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    if host.is_empty() || host.starts_with(':') || host.contains('/') {
        return Err("each server must name a host, as in nats://host:4222".to_owned());
    }
    Ok(())
}

const PAGE_TOKEN_KEY_ENV: &str = "JALIA_PAGE_TOKEN_KEY";
const MIN_PAGE_TOKEN_KEY: usize = 32;

impl StorageSettings {
    /// Development settings: the given database and a page-token key for this process.
    pub fn development(database_url: &str) -> Self {
        Self {
            database_url: Secret::new(database_url),
            page_token_key: Secret::generate(),
            nats: None,
        }
    }

    /// The flags (with their environment variables) of a service's storage.
    pub fn args(prefix: &EnvPrefix, default_database_url: Option<&'static str>) -> Vec<Arg> {
        let mut database = Arg::new("database-url")
            .long("database-url")
            .env(prefix.var("DATABASE_URL"))
            .hide_env_values(true)
            .help("sqlite://path/to/file.db or postgres://user@host/db");
        if let Some(url) = default_database_url {
            database = database.default_value(url);
        }
        vec![
            database,
            Arg::new("page-token-key")
                .long("page-token-key")
                .env(PAGE_TOKEN_KEY_ENV)
                .hide_env_values(true)
                .help("secret shared by all replicas to sign page tokens (32+ bytes; required in production)"),
            Arg::new("nats-url")
                .long("nats-url")
                .env(NATS_URL_ENV)
                .hide_env_values(true)
                .help("NATS JetStream server(s) to publish the change feed to, as nats://host:4222 (unset: none)"),
            Arg::new("nats-subject-prefix")
                .long("nats-subject-prefix")
                .env(NATS_SUBJECT_PREFIX_ENV)
                .default_value(DEFAULT_NATS_SUBJECT_PREFIX)
                .help("first tokens of the published subjects; the stream is named after them"),
        ]
    }

    /// Reads and validates them.
    pub fn from_matches(
        prefix: &EnvPrefix,
        mode: Mode,
        matches: &ArgMatches,
    ) -> Result<Self, ConfigError> {
        let defaulted =
            matches.value_source("database-url") == Some(clap::parser::ValueSource::DefaultValue);
        let database_url = matches
            .get_one::<String>("database-url")
            .filter(|url| !url.trim().is_empty())
            .filter(|_| !(defaulted && mode == Mode::Production))
            .ok_or_else(|| ConfigError {
                setting: setting("database-url", &prefix.var("DATABASE_URL")),
                problem: "must be set (production never falls back to a local SQLite file)"
                    .to_owned(),
            })?;
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres")) {
            return Err(ConfigError {
                setting: setting("database-url", &prefix.var("DATABASE_URL")),
                problem: "must start with sqlite: or postgres://".to_owned(),
            });
        }
        let key = matches
            .get_one::<String>("page-token-key")
            .filter(|key| !key.is_empty());
        let page_token_key = match (key, mode) {
            (Some(key), _) if key.len() >= MIN_PAGE_TOKEN_KEY => Secret::new(key.clone()),
            (Some(_), _) => {
                return Err(ConfigError {
                    setting: setting("page-token-key", PAGE_TOKEN_KEY_ENV),
                    problem: format!("must be at least {MIN_PAGE_TOKEN_KEY} bytes"),
                });
            }
            (None, Mode::Development) => Secret::generate(),
            (None, Mode::Production) => {
                return Err(ConfigError {
                    setting: setting("page-token-key", PAGE_TOKEN_KEY_ENV),
                    problem: "required in production, and the same on every replica".to_owned(),
                });
            }
        };
        let nats = NatsSettings::parse(
            matches.get_one::<String>("nats-url").map(String::as_str),
            matches
                .get_one::<String>("nats-subject-prefix")
                .map(String::as_str),
        )?;
        Ok(Self {
            database_url: Secret::new(database_url.clone()),
            page_token_key,
            nats,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn no_nats_url_publishes_nowhere() {
        assert_eq!(NatsSettings::parse(None, Some("jalia")).unwrap(), None);
        assert_eq!(NatsSettings::parse(Some("  "), None).unwrap(), None);
    }

    #[test]
    fn nats_settings_accept_servers_and_a_prefix() {
        let settings = NatsSettings::parse(
            Some("nats://user:pw@nats-0:4222, tls://nats-1:4222"),
            Some("ministry.jalia"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(settings.subject_prefix, "ministry.jalia");
        let defaulted = NatsSettings::parse(Some("nats://127.0.0.1:4222"), None)
            .unwrap()
            .unwrap();
        assert_eq!(defaulted.subject_prefix, DEFAULT_NATS_SUBJECT_PREFIX);
    }

    #[test]
    fn bad_nats_settings_name_the_setting_and_never_echo_the_url() {
        for url in [
            "127.0.0.1:4222",
            "http://nats:4222",
            "nats://",
            "nats://:4222",
        ] {
            let err = NatsSettings::parse(Some(url), None).unwrap_err();
            assert_eq!(err.setting, "--nats-url / JALIA_NATS_URL", "{url}");
        }
        let err = NatsSettings::parse(Some("http://user:secret@nats:4222"), None).unwrap_err();
        assert!(!err.problem.contains("secret"), "{}", err.problem);
        for prefix in ["jalia.>", "a..b", "a b", "jalia.*"] {
            let err = NatsSettings::parse(Some("nats://nats:4222"), Some(prefix)).unwrap_err();
            assert_eq!(
                err.setting, "--nats-subject-prefix / JALIA_NATS_SUBJECT_PREFIX",
                "{prefix}"
            );
        }
    }
}
