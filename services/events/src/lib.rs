//! The events service (`events`): events an agency organises for the public, above all for
//! Moroccans living abroad, with registrations that never overbook, the desk's roster and
//! check-in, the person's own access to their registration, and iCalendar exports.
//!
//! The suite binary runs it through [`Config`], [`migrate`] and [`Application`].

mod api;
/// Entry points for the fuzz targets in `fuzz/`: request conversion on arbitrary bytes.
#[cfg(feature = "fuzzing")]
pub use api::fuzzing;
mod app;
mod background;
mod demo;
pub use demo::DemoEvents;
mod domain;
mod store;

use std::net::SocketAddr;
use std::path::Path;

use clap::{Arg, ArgMatches};
use jalia_db::{Db, DbConfig, PageTokens};
use jalia_runtime::config::{Defaults, EnvPrefix, StorageSettings};
use jalia_runtime::publisher::{ChangePublisher, Publishing};
use jalia_runtime::{
    ConfigError, Contract, Server, ServerError, ServerSettings, SharedClock, Shutdown,
};
use tonic::service::Routes;

use crate::app::Events;
use crate::domain::event::RegistrationPolicy;
use crate::domain::retention::Retention;

/// The gRPC service this crate serves.
pub const SERVICE: &str = jalia_proto::service_names::EVENTS;

/// Its contract, for the server and the gateway.
pub const CONTRACT: Contract = Contract {
    service: SERVICE,
    descriptor_set: jalia_proto::FILE_DESCRIPTOR_SET,
};

const DEFAULTS: Defaults = Defaults {
    listen: "0.0.0.0:50051",
    admin_listen: "0.0.0.0:9091",
};
const DEFAULT_DATABASE_URL: &str = "sqlite://.jalia/events.db?mode=rwc";

/// Live registrations one calling system may hold on one event unless configured: a
/// portal registering people one by one for one event rarely needs more, and one that
/// tries to fill an event's seats or its waitlist is stopped well before (the organising
/// agency's own callers are exempt).
pub const DEFAULT_REGISTRATIONS_PER_PORTAL: u32 = 100;

const REGISTRATIONS_PER_PORTAL: &str = "registrations-per-portal";

/// Days after an event's end that its registrations keep personal data unless
/// configured: long enough for the organiser's follow-up of the event (outcomes,
/// answers to participants, a dispute), short enough that data held for one event does
/// not outlive its purpose (law 09-08).
pub const DEFAULT_RETENTION_DAYS: u32 = 180;

const RETENTION_DAYS: &str = "retention-days";

const CHANGES_RETENTION_DAYS: &str = "changes-retention-days";

fn prefix() -> EnvPrefix {
    EnvPrefix::new("events")
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A setting is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database could not be reached or migrated.
    #[error("events database: {0}")]
    Database(String),
    /// The server could not bind or load its keys.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// Demo data could not be loaded.
    #[error("demo data: {0}")]
    Demo(String),
}

/// Everything the service needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// The server.
    pub server: ServerSettings,
    /// The database and the page-token key.
    pub storage: StorageSettings,
    /// Live registrations one calling system (agency and token subject) may hold on one
    /// event; callers of the organising agency are exempt.
    pub registrations_per_portal: u32,
    /// Days after an event's end before its registrations are anonymised.
    pub retention_days: u32,
    /// Days a change record is kept for WatchChanges (and the NATS publisher) before
    /// it is purged; a cursor older than that is refused.
    pub changes_retention_days: u32,
}

impl Config {
    /// The flags and `JALIA_EVENTS_*` variables.
    pub fn args() -> Vec<Arg> {
        let prefix = prefix();
        let mut args = ServerSettings::args(&prefix, DEFAULTS);
        args.extend(StorageSettings::args(&prefix, Some(DEFAULT_DATABASE_URL)));
        args.push(
            Arg::new(REGISTRATIONS_PER_PORTAL)
                .long(REGISTRATIONS_PER_PORTAL)
                .env(prefix.var("REGISTRATIONS_PER_PORTAL"))
                .default_value(DEFAULT_REGISTRATIONS_PER_PORTAL.to_string())
                .help(
                    "live registrations one calling system may hold on one event (the \
                     organising agency's callers are exempt)",
                ),
        );
        args.push(
            Arg::new(RETENTION_DAYS)
                .long(RETENTION_DAYS)
                .env(prefix.var("RETENTION_DAYS"))
                .default_value(DEFAULT_RETENTION_DAYS.to_string())
                .help(
                    "days after an event's end before the personal data of its \
                     registrations is anonymised (law 09-08)",
                ),
        );
        args.push(
            Arg::new(CHANGES_RETENTION_DAYS)
                .long(CHANGES_RETENTION_DAYS)
                .env(prefix.var("CHANGES_RETENTION_DAYS"))
                .default_value(jalia_db::DEFAULT_CHANGES_RETENTION_DAYS.to_string())
                .help(
                    "days change records are kept for WatchChanges; an older cursor is \
                     refused (CURSOR_EXPIRED)",
                ),
        );
        args
    }

    /// Reads and validates them.
    pub fn from_matches(matches: &ArgMatches) -> Result<Self, ConfigError> {
        let prefix = prefix();
        let server = ServerSettings::from_matches(&prefix, matches)?;
        let storage = StorageSettings::from_matches(&prefix, server.mode, matches)?;
        let registrations_per_portal = positive(
            &prefix,
            matches,
            REGISTRATIONS_PER_PORTAL,
            "REGISTRATIONS_PER_PORTAL",
        )?;
        let retention_days = positive(&prefix, matches, RETENTION_DAYS, "RETENTION_DAYS")?;
        let changes_retention_days = positive(
            &prefix,
            matches,
            CHANGES_RETENTION_DAYS,
            "CHANGES_RETENTION_DAYS",
        )?;
        Ok(Self {
            server,
            storage,
            registrations_per_portal,
            retention_days,
            changes_retention_days,
        })
    }

    /// Development settings on loopback port 0 with the given database.
    pub fn development(data_dir: &Path, database_url: &str) -> Self {
        Self {
            server: ServerSettings::development(data_dir),
            storage: StorageSettings::development(database_url),
            registrations_per_portal: DEFAULT_REGISTRATIONS_PER_PORTAL,
            retention_days: DEFAULT_RETENTION_DAYS,
            changes_retention_days: jalia_db::DEFAULT_CHANGES_RETENTION_DAYS,
        }
    }
}

/// A whole number above zero, or an error naming the flag and the variable.
fn positive(
    prefix: &EnvPrefix,
    matches: &ArgMatches,
    flag: &str,
    variable: &str,
) -> Result<u32, ConfigError> {
    let raw = matches
        .get_one::<String>(flag)
        .map(|value| value.trim().to_owned())
        .unwrap_or_default();
    raw.parse::<u32>()
        .ok()
        .filter(|value| *value > 0)
        .ok_or_else(|| ConfigError {
            setting: format!("--{flag} / {}", prefix.var(variable)),
            problem: format!("`{raw}` is not a whole number above zero"),
        })
}

async fn connect(storage: &StorageSettings) -> Result<Db, StartError> {
    let config = DbConfig::new(storage.database_url.expose())
        .map_err(|err| StartError::Database(err.to_string()))?;
    Db::connect(&config)
        .await
        .map_err(|err| StartError::Database(err.to_string()))
}

/// Applies the schema's pending migrations under the migration lock.
pub async fn migrate(storage: &StorageSettings) -> Result<(), StartError> {
    let db = connect(storage).await?;
    db.migrate::<store::Migrator>()
        .await
        .map_err(|err| StartError::Database(err.to_string()))?;
    tracing::info!("events schema up to date");
    Ok(())
}

/// The events service, bound and ready to serve.
#[derive(Debug)]
pub struct Application {
    server: Server,
    events: Events,
    publisher: Option<ChangePublisher>,
}

impl Application {
    /// Connects to the database and binds the listeners.
    pub async fn build(config: Config, clock: SharedClock) -> Result<Self, StartError> {
        let db = connect(&config.storage).await?;
        let publisher =
            ChangePublisher::configured(config.storage.nats.as_ref(), "events", &db, &clock);
        let tokens = PageTokens::new(
            config.storage.page_token_key.expose().as_bytes(),
            jalia_db::PAGE_TOKEN_TTL,
        )
        .map_err(|err| {
            StartError::Config(ConfigError {
                setting: "--page-token-key / JALIA_PAGE_TOKEN_KEY".to_owned(),
                problem: err.to_string(),
            })
        })?;
        let policy = RegistrationPolicy {
            per_portal: config.registrations_per_portal,
        };
        let retention = Retention::days(config.retention_days);
        let events = Events::new(db, clock.clone(), tokens, policy, retention)
            .with_change_retention(Retention::days(config.changes_retention_days));
        let server = Server::bind(config.server, clock).await?;
        Ok(Self {
            server,
            events,
            publisher,
        })
    }

    /// Where callers connect.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Loads the demo data; loading it again changes nothing. Returns the names of the
    /// demo's 2025 meetings, which other services' demos link to.
    pub async fn load_demo(&self) -> Result<DemoEvents, StartError> {
        demo::load(&self.events)
            .await
            .map_err(|err| StartError::Demo(err.to_string()))
    }

    /// Serves until `shutdown` fires, with the background purge and retention task
    /// beside it.
    pub async fn run(self, shutdown: Shutdown) -> Result<(), ServerError> {
        let limit = self.server.settings().limits.max_message_bytes;
        let background = tokio::spawn(background::run(self.events.clone(), shutdown.clone()));
        let publishing = Publishing::start(self.publisher, shutdown.clone());
        let routes = Routes::new(api::EventApi::server(self.events, limit));
        let served = self.server.serve(&[CONTRACT], routes, shutdown).await;
        background.abort();
        publishing.stop().await;
        served
    }
}
