//! What every Jalia server shares (ARCHITECTURE.md §1, §3, §8): typed configuration, telemetry and
//! metrics, the server builder (health, reflection, TLS, overload protection, graceful
//! shutdown), authentication and scope checks read from the contracts, the clock, and the
//! mapping of errors to gRPC statuses.

pub mod auth;
pub mod clock;
pub mod config;
pub mod error;
pub mod metrics;
#[cfg(feature = "probe-server")]
pub mod probe;
#[cfg(feature = "nats")]
pub mod publisher;
pub mod server;
pub mod telemetry;
pub mod threads;
pub mod tls;

pub use clock::{Clock, ManualClock, SharedClock, SystemClock, system_clock};
pub use config::{
    ConfigError, Defaults, EnvPrefix, NatsSettings, Secret, ServerSettings, StorageSettings,
};
pub use error::{ApiError, ErrorCode, FieldViolation, PreconditionViolation, reasons};
pub use server::{
    Contract, HttpRoutes, ServeOptions, Server, ServerError, Shutdown, ShutdownTrigger,
};
pub use threads::RuntimeSettings;

/// Whether a server runs for development (HS256 tokens with a generated key, readable
/// logs) or production (asymmetric keys from a JWKS file only, JSON logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Mode {
    /// A developer's machine or a test: relaxed, never for real data.
    Development,
    /// Anything real.
    #[default]
    Production,
}
