//! jalia-catalog: the services catalog (the `services-catalog` deployable). Agencies and
//! the ministry bodies around them, the shared taxonomy (categories and life events), and
//! the public services each agency offers, described as CPSV-AP does, with their full
//! revision history and a search that reads Arabic and French the way people type them.
//!
//! Layout (the suite's one service shape): `domain` (types and their rules, folding; no
//! tonic, prost, sea-orm or jalia-db), `app` (one use case per RPC, one file per
//! aggregate), `store` (tables, migrations, stored shapes, queries), `api` (the gRPC face:
//! requests in, responses out, one error mapping), `demo` (the Béni Mellal demo data,
//! loaded through the use cases), `background` (the purge of old idempotency records and
//! the refresh of the search index), `search_index` (the in-memory search index each
//! replica ranks queries with and serves them from), `agency_labels` (the agencies'
//! labels search results name, kept beside it).
//! This file is the composition root the `jalia` binary calls.

mod api;
/// Entry points for the fuzz targets in `fuzz/`: request conversion on arbitrary bytes.
#[cfg(feature = "fuzzing")]
pub use api::fuzzing;
mod agency_labels;
mod app;
mod background;
mod demo;
pub use demo::DemoServices;
mod domain;
mod search_index;
pub use search_index::IndexSize as SearchIndexSize;
mod store;

use std::path::Path;
use std::time::Duration;

use jalia_db::{DEFAULT_CHANGES_RETENTION_DAYS, Db, DbConfig, DbError, PAGE_TOKEN_TTL, PageTokens};
use jalia_runtime::config::{Defaults, EnvPrefix, ServerSettings, StorageSettings};
use jalia_runtime::publisher::{ChangePublisher, Publishing};
use jalia_runtime::{Contract, Server, ServerError, SharedClock, Shutdown};

use store::Migrator;

/// The full gRPC service name.
pub const SERVICE: &str = jalia_proto::service_names::CATALOG;

/// The contract the server serves (reflection, access rules).
pub const CONTRACT: Contract = Contract {
    service: SERVICE,
    descriptor_set: jalia_proto::FILE_DESCRIPTOR_SET,
};

/// The deployable's name, as operators see it.
pub const DEPLOYABLE: &str = "services-catalog";

/// Where the catalog listens by default.
pub const DEFAULTS: Defaults = Defaults {
    listen: "0.0.0.0:50052",
    admin_listen: "0.0.0.0:9092",
};

/// The database used when none is configured.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://.jalia/catalog.db?mode=rwc";

/// The prefix of the catalog's own settings: `JALIA_CATALOG_`.
pub fn prefix() -> EnvPrefix {
    EnvPrefix::new("catalog")
}

/// Everything the catalog needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// The server: listeners, auth, limits, logging.
    pub server: ServerSettings,
    /// The database and the page-token key.
    pub storage: StorageSettings,
    /// How long change records are kept for WatchChanges before the background task
    /// purges them; a cursor older than that is refused as expired.
    pub changes_retention: Duration,
}

/// The flag of the change records' retention, in days.
const CHANGES_RETENTION_DAYS: &str = "changes-retention-days";

impl Config {
    /// The flags (and `JALIA_*` variables) of the catalog.
    pub fn args() -> Vec<clap::Arg> {
        let prefix = prefix();
        let mut args = ServerSettings::args(&prefix, DEFAULTS);
        args.extend(StorageSettings::args(&prefix, Some(DEFAULT_DATABASE_URL)));
        args.push(
            clap::Arg::new(CHANGES_RETENTION_DAYS)
                .long(CHANGES_RETENTION_DAYS)
                .env(prefix.var("CHANGES_RETENTION_DAYS"))
                .default_value(DEFAULT_CHANGES_RETENTION_DAYS.to_string())
                .help("days change records are kept for WatchChanges (1 to 3650)"),
        );
        args
    }

    /// Reads and validates them.
    pub fn from_matches(matches: &clap::ArgMatches) -> Result<Self, jalia_runtime::ConfigError> {
        let prefix = prefix();
        let server = ServerSettings::from_matches(&prefix, matches)?;
        let storage = StorageSettings::from_matches(&prefix, server.mode, matches)?;
        let raw = matches
            .get_one::<String>(CHANGES_RETENTION_DAYS)
            .map(|value| value.trim().to_owned())
            .unwrap_or_default();
        let changes_retention = raw
            .parse::<u64>()
            .ok()
            .filter(|days| (1..=3_650).contains(days))
            .map(|days| Duration::from_secs(days * 86_400))
            .ok_or_else(|| jalia_runtime::ConfigError {
                setting: format!(
                    "--{CHANGES_RETENTION_DAYS} / {}",
                    prefix.var("CHANGES_RETENTION_DAYS")
                ),
                problem: format!("`{raw}`: must be a number of days from 1 to 3650"),
            })?;
        Ok(Self {
            server,
            storage,
            changes_retention,
        })
    }

    /// Development settings (tests, `jalia up`): loopback on a free port, dev tokens,
    /// the given database, a page-token key of this process.
    pub fn development(data_dir: &Path, database_url: &str) -> Self {
        Self {
            server: ServerSettings::development(data_dir),
            storage: StorageSettings::development(database_url),
            changes_retention: Duration::from_secs(
                u64::from(DEFAULT_CHANGES_RETENTION_DAYS) * 86_400,
            ),
        }
    }
}

/// Why the catalog could not start. Never shows the database URL or the keys.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database URL was refused before connecting.
    #[error("database settings: {0}")]
    DatabaseConfig(#[from] jalia_db::ConfigError),
    /// The database could not be reached.
    #[error("cannot reach the database: {0}")]
    Database(#[source] DbError),
    /// Migrations failed.
    #[error("migrating the database failed: {0}")]
    Migrate(#[source] DbError),
    /// The page-token key is too short.
    #[error("page token key: {0}")]
    PageTokenKey(#[from] jalia_db::WeakKeyError),
    /// The server could not bind or load its keys.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The demo data could not be loaded.
    #[error("loading the demo data failed: {0}")]
    Demo(#[source] domain::Error),
}

async fn connect(storage: &StorageSettings) -> Result<Db, StartError> {
    let config = DbConfig::new(storage.database_url.expose())?;
    Db::connect(&config).await.map_err(StartError::Database)
}

/// Applies every pending migration, under jalia-db's migration lock.
pub async fn migrate(storage: &StorageSettings) -> Result<(), StartError> {
    let db = connect(storage).await?;
    db.migrate::<Migrator>()
        .await
        .map_err(StartError::Migrate)?;
    tracing::info!("catalog migrations applied");
    Ok(())
}

/// The catalog, connected and bound, ready to serve.
#[derive(Debug)]
pub struct Application {
    server: Server,
    catalog: app::Catalog,
    changes_retention: Duration,
    publisher: Option<ChangePublisher>,
}

/// Drops idempotency records older than their retention (at least 7 days). `run` does
/// it every hour in the background; this handle runs one round on demand.
#[derive(Debug, Clone)]
pub struct IdempotencyPurge {
    catalog: app::Catalog,
}

impl IdempotencyPurge {
    /// One round: deletes every record past its retention, as of the service's clock.
    /// Returns how many were deleted.
    pub async fn run_once(&self) -> Result<u64, DbError> {
        self.catalog.purge_idempotency_records().await
    }
}

/// A look at a replica's search index, which `run` loads before serving.
#[derive(Debug, Clone)]
pub struct SearchIndexProbe {
    catalog: app::Catalog,
}

impl SearchIndexProbe {
    /// How big the index is now.
    pub fn size(&self) -> SearchIndexSize {
        self.catalog.search_index_size()
    }
}

impl Application {
    /// Connects to the database and binds the listeners; does not migrate.
    pub async fn build(config: Config, clock: SharedClock) -> Result<Self, StartError> {
        let db = connect(&config.storage).await?;
        let publisher =
            ChangePublisher::configured(config.storage.nats.as_ref(), "catalog", &db, &clock);
        let pages = PageTokens::new(
            config.storage.page_token_key.expose().as_bytes(),
            PAGE_TOKEN_TTL,
        )?;
        let catalog = app::Catalog::new(db, pages, clock.clone());
        let server = Server::bind(config.server, clock).await?;
        Ok(Self {
            server,
            catalog,
            changes_retention: config.changes_retention,
            publisher,
        })
    }

    /// Where callers connect.
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.server.local_addr()
    }

    /// Loads the Béni Mellal demo data; loading it again changes nothing.
    pub async fn load_demo(&self) -> Result<DemoServices, StartError> {
        demo::load(&self.catalog).await.map_err(StartError::Demo)
    }

    /// A handle on the purge of old idempotency records, to run a round on demand.
    pub fn idempotency_purge(&self) -> IdempotencyPurge {
        IdempotencyPurge {
            catalog: self.catalog.clone(),
        }
    }

    /// A handle to look at the search index while the application runs.
    pub fn search_index_probe(&self) -> SearchIndexProbe {
        SearchIndexProbe {
            catalog: self.catalog.clone(),
        }
    }

    /// Loads the search index, then serves until `shutdown` fires, then drains; the
    /// background purge and the search index refresh run beside it and stop on the same
    /// signal. Should the load fail, search answers from the token table until the
    /// refresh manages it.
    pub async fn run(self, shutdown: Shutdown) -> Result<(), ServerError> {
        let mark = self
            .catalog
            .search_index_mark(background::SEARCH_REFRESH_OVERLAP_MICROS);
        let loaded = match self.catalog.load_search_index().await {
            Ok(()) => {
                let size = self.catalog.search_index_size();
                tracing::info!(
                    services = size.services,
                    tokens = size.tokens,
                    postings = size.postings,
                    bytes = size.bytes,
                    "search index loaded"
                );
                Some(mark)
            }
            Err(err) => {
                tracing::warn!(error = %err, "search index load failed; searching the token table");
                None
            }
        };
        let routes = api::routes(self.catalog.clone(), &self.server.settings().limits);
        let (stop_background, background_stopped) = Shutdown::manual();
        let refresh = tokio::spawn(background::refresh_search_index(
            self.catalog.clone(),
            loaded,
            shutdown.clone(),
            background_stopped.clone(),
        ));
        let background = tokio::spawn(background::run(
            self.catalog,
            self.changes_retention,
            shutdown.clone(),
            background_stopped,
        ));
        let publishing = Publishing::start(self.publisher, shutdown.clone());
        let served = self.server.serve(&[CONTRACT], routes, shutdown).await;
        stop_background.trigger();
        publishing.stop().await;
        for task in [background, refresh] {
            if let Err(err) = task.await {
                tracing::warn!(error = %err, "a background task ended abnormally");
            }
        }
        served
    }
}
