//! jalia-inquiries: citizens' questions and requests, above all from Moroccans living
//! abroad, submitted by internal systems on their behalf, triaged, assigned, answered on
//! time and traceably, and followed by the citizen with a reference and a secret tracking
//! code (the contract: `proto/jalia/inquiries/v1`). Contact data and the citizen's own text
//! are personal data (law 09-08): never logged, redacted in `Debug`, read only by the owning
//! agency.
//!
//! The suite binary runs it through [`Config`], [`migrate`] and [`Application`].

mod api;
/// Entry points for the fuzz targets in `fuzz/`: request conversion on arbitrary bytes.
#[cfg(feature = "fuzzing")]
pub use api::fuzzing;
mod app;
mod background;
mod calendars;
mod catalog;
mod demo;
pub use demo::DemoLinks;
mod domain;
mod store;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Arg, ArgMatches};
use jalia_db::{
    DEFAULT_CHANGES_RETENTION_DAYS, Db, DbConfig, DbError, PAGE_TOKEN_TTL, PageTokens, WeakKeyError,
};
use jalia_runtime::config::parse_duration;
use jalia_runtime::publisher::{ChangePublisher, Publishing};
use jalia_runtime::{
    ConfigError, Contract, Defaults, EnvPrefix, Mode, Secret, Server, ServerError, ServerSettings,
    SharedClock, Shutdown, StorageSettings,
};

pub use domain::Error;

use crate::app::Inquiries;
use crate::catalog::{Catalog, InvalidCatalogUrl};
use crate::domain::attachment::AttachmentLimits;
use crate::domain::tracking::{MIN_KEY_BYTES, TrackingKey, WeakTrackingKey};
use crate::store::Migrator;
use crate::store::attachments::DbAttachmentStore;

/// The full gRPC service name.
pub const SERVICE: &str = jalia_proto::service_names::INQUIRIES;

/// The contract served: the service and the descriptor set declaring it.
pub const CONTRACT: Contract = Contract {
    service: SERVICE,
    descriptor_set: jalia_proto::FILE_DESCRIPTOR_SET,
};

/// Default listening addresses.
pub const DEFAULTS: Defaults = Defaults {
    listen: "0.0.0.0:50053",
    admin_listen: "0.0.0.0:9093",
};

/// The database used when none is configured.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://.jalia/inquiries.db?mode=rwc";

/// Where the services catalog listens by default.
pub const DEFAULT_CATALOG_URL: &str = "http://127.0.0.1:50052";

const SHORT_NAME: &str = "inquiries";
const DEV_TRACKING_KEY_FILE: &str = "inquiries-tracking.key";

mod ids {
    pub(super) const CATALOG_URL: &str = "catalog-url";
    pub(super) const CATALOG_TIMEOUT: &str = "catalog-timeout";
    pub(super) const RECONCILE_INTERVAL: &str = "reconcile-interval";
    pub(super) const TRACKING_KEY: &str = "tracking-key";
    pub(super) const CALENDARS: &str = "calendars";
    pub(super) const RETENTION_DAYS: &str = "retention-days";
    pub(super) const CHANGES_RETENTION_DAYS: &str = "changes-retention-days";
    pub(super) const ATTACHMENT_MAX_BYTES: &str = "attachment-max-bytes";
    pub(super) const INQUIRY_ATTACHMENTS_MAX_BYTES: &str = "inquiry-attachments-max-bytes";
    pub(super) const UPLOAD_EXPIRY: &str = "upload-expiry";
}

/// The default largest attachment: 10 MiB.
const DEFAULT_ATTACHMENT_MAX_BYTES: u64 = 10 * 1024 * 1024;
/// The default most an inquiry's attachments take together: 30 MiB.
const DEFAULT_INQUIRY_ATTACHMENTS_MAX_BYTES: u64 = 30 * 1024 * 1024;
/// The default time an upload waits to be attached: 24 hours.
const DEFAULT_UPLOAD_EXPIRY: Duration = Duration::from_secs(24 * 3600);

fn prefix() -> EnvPrefix {
    EnvPrefix::new(SHORT_NAME)
}

/// Everything the inquiries service needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// What every server shares.
    pub server: ServerSettings,
    /// The database and the page-token key.
    pub storage: StorageSettings,
    /// The services catalog, asked for processing targets.
    pub catalog_url: String,
    /// The longest a call to the catalog may take.
    pub catalog_timeout: Duration,
    /// How often pending due dates are retried against the catalog.
    pub reconcile_interval: Duration,
    /// The key tracking codes are derived with: at least 32 bytes, the same on every
    /// replica, never changed while codes given out must keep working on retries.
    pub tracking_key: Secret,
    /// A JSON file of the agencies' calendars (zones, weekends, public holidays), in the
    /// shape of the bundled `calendars/morocco.json`; None uses the bundled one.
    pub calendars_file: Option<PathBuf>,
    /// How long a CLOSED inquiry keeps its personal data (law 09-08) before a background
    /// round anonymises it, counted from its last change.
    pub retention: Duration,
    /// How long change records are kept for WatchChanges before a background round
    /// purges them; a cursor older than that is refused as expired.
    pub changes_retention: Duration,
    /// The largest attachment, in bytes.
    pub attachment_max_bytes: u64,
    /// The most all of one inquiry's attachments may take, in bytes.
    pub inquiry_attachments_max_bytes: u64,
    /// How long an upload waits to be attached before a background round deletes it.
    pub upload_expiry: Duration,
}

impl Config {
    /// The flags (with their environment variables).
    pub fn args() -> Vec<Arg> {
        let prefix = prefix();
        let mut args = ServerSettings::args(&prefix, DEFAULTS);
        args.extend(StorageSettings::args(&prefix, Some(DEFAULT_DATABASE_URL)));
        args.extend([
            Arg::new(ids::CATALOG_URL)
                .long(ids::CATALOG_URL)
                .env(prefix.var("CATALOG_URL"))
                .default_value(DEFAULT_CATALOG_URL)
                .help("URL of the services catalog (http:// or https://)"),
            Arg::new(ids::CATALOG_TIMEOUT)
                .long(ids::CATALOG_TIMEOUT)
                .env(prefix.var("CATALOG_TIMEOUT"))
                .default_value("2s")
                .help("longest a call to the catalog may take"),
            Arg::new(ids::RECONCILE_INTERVAL)
                .long(ids::RECONCILE_INTERVAL)
                .env(prefix.var("RECONCILE_INTERVAL"))
                .default_value("30s")
                .help("how often due dates left pending by an unreachable catalog are retried"),
            Arg::new(ids::TRACKING_KEY)
                .long(ids::TRACKING_KEY)
                .env(prefix.var("TRACKING_KEY"))
                .hide_env_values(true)
                .help(
                    "secret shared by all replicas to derive tracking codes (32+ bytes; \
                     required in production)",
                ),
            Arg::new(ids::RETENTION_DAYS)
                .long(ids::RETENTION_DAYS)
                .env(prefix.var("RETENTION_DAYS"))
                .default_value("730")
                .help(
                    "days a closed inquiry keeps its personal data before it is anonymised \
                     (law 09-08)",
                ),
            Arg::new(ids::CHANGES_RETENTION_DAYS)
                .long(ids::CHANGES_RETENTION_DAYS)
                .env(prefix.var("CHANGES_RETENTION_DAYS"))
                .default_value(DEFAULT_CHANGES_RETENTION_DAYS.to_string())
                .help("days change records are kept for WatchChanges (1 to 3650)"),
            Arg::new(ids::ATTACHMENT_MAX_BYTES)
                .long(ids::ATTACHMENT_MAX_BYTES)
                .env(prefix.var("ATTACHMENT_MAX_BYTES"))
                .default_value("10485760")
                .help("largest attachment (PDF, JPEG or PNG), in bytes"),
            Arg::new(ids::INQUIRY_ATTACHMENTS_MAX_BYTES)
                .long(ids::INQUIRY_ATTACHMENTS_MAX_BYTES)
                .env(prefix.var("INQUIRY_ATTACHMENTS_MAX_BYTES"))
                .default_value("31457280")
                .help("most all of one inquiry's attachments may take together, in bytes"),
            Arg::new(ids::UPLOAD_EXPIRY)
                .long(ids::UPLOAD_EXPIRY)
                .env(prefix.var("UPLOAD_EXPIRY"))
                .default_value("24h")
                .help("how long an upload waits to be attached before it is deleted"),
            Arg::new(ids::CALENDARS)
                .long(ids::CALENDARS)
                .env(prefix.var("CALENDARS"))
                .help(
                    "JSON file of the agencies' calendars: time zones, weekends, public \
                     holidays (default: the bundled Moroccan calendar)",
                ),
        ]);
        args
    }

    /// Reads and validates the settings from parsed flags.
    pub fn from_matches(matches: &ArgMatches) -> Result<Self, ConfigError> {
        let prefix = prefix();
        let server = ServerSettings::from_matches(&prefix, matches)?;
        let storage = StorageSettings::from_matches(&prefix, server.mode, matches)?;
        let setting = |id: &str, var: &str| format!("--{id} / {}", prefix.var(var));
        let value = |id: &str| {
            matches
                .get_one::<String>(id)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let catalog_url = value(ids::CATALOG_URL).ok_or_else(|| ConfigError {
            setting: setting(ids::CATALOG_URL, "CATALOG_URL"),
            problem: "must be set".to_owned(),
        })?;
        if !(catalog_url.starts_with("http://") || catalog_url.starts_with("https://"))
            || catalog_url.parse::<tonic::transport::Uri>().is_err()
        {
            return Err(ConfigError {
                setting: setting(ids::CATALOG_URL, "CATALOG_URL"),
                problem: format!("`{catalog_url}` is not an http:// or https:// URL"),
            });
        }
        let duration = |id: &str, var: &str| -> Result<Duration, ConfigError> {
            let raw = value(id).unwrap_or_default();
            match parse_duration(&raw) {
                Ok(duration) if !duration.is_zero() => Ok(duration),
                Ok(_) => Err("must be more than zero".to_owned()),
                Err(problem) => Err(problem),
            }
            .map_err(|problem| ConfigError {
                setting: setting(id, var),
                problem: format!("`{raw}`: {problem}"),
            })
        };
        let catalog_timeout = duration(ids::CATALOG_TIMEOUT, "CATALOG_TIMEOUT")?;
        let reconcile_interval = duration(ids::RECONCILE_INTERVAL, "RECONCILE_INTERVAL")?;
        let key_setting = setting(ids::TRACKING_KEY, "TRACKING_KEY");
        let tracking_key = match (matches.get_one::<String>(ids::TRACKING_KEY), server.mode) {
            (Some(key), _) if key.len() >= MIN_KEY_BYTES => Secret::new(key.clone()),
            (Some(key), _) if !key.is_empty() => {
                return Err(ConfigError {
                    setting: key_setting,
                    problem: format!("must be at least {MIN_KEY_BYTES} bytes"),
                });
            }
            (_, Mode::Development) => {
                development_tracking_key(&server.data_dir).map_err(|err| ConfigError {
                    setting: key_setting,
                    problem: format!(
                        "not set, and no development key could be kept in the data folder: {err}"
                    ),
                })?
            }
            (_, Mode::Production) => {
                return Err(ConfigError {
                    setting: key_setting,
                    problem: "required in production, and the same on every replica".to_owned(),
                });
            }
        };
        let retention_raw = value(ids::RETENTION_DAYS).unwrap_or_default();
        let retention = retention_raw
            .parse::<u64>()
            .ok()
            .filter(|days| (1..=36_500).contains(days))
            .map(|days| Duration::from_secs(days * 86_400))
            .ok_or_else(|| ConfigError {
                setting: setting(ids::RETENTION_DAYS, "RETENTION_DAYS"),
                problem: format!("`{retention_raw}`: must be a number of days from 1 to 36500"),
            })?;
        let changes_raw = value(ids::CHANGES_RETENTION_DAYS).unwrap_or_default();
        let changes_retention = changes_raw
            .parse::<u64>()
            .ok()
            .filter(|days| (1..=3_650).contains(days))
            .map(|days| Duration::from_secs(days * 86_400))
            .ok_or_else(|| ConfigError {
                setting: setting(ids::CHANGES_RETENTION_DAYS, "CHANGES_RETENTION_DAYS"),
                problem: format!("`{changes_raw}`: must be a number of days from 1 to 3650"),
            })?;
        let bytes = |id: &str, var: &str| -> Result<u64, ConfigError> {
            let raw = value(id).unwrap_or_default();
            raw.parse::<u64>()
                .ok()
                .filter(|bytes| *bytes > 0)
                .ok_or_else(|| ConfigError {
                    setting: setting(id, var),
                    problem: format!("`{raw}`: must be a number of bytes above zero"),
                })
        };
        let attachment_max_bytes = bytes(ids::ATTACHMENT_MAX_BYTES, "ATTACHMENT_MAX_BYTES")?;
        let inquiry_attachments_max_bytes = bytes(
            ids::INQUIRY_ATTACHMENTS_MAX_BYTES,
            "INQUIRY_ATTACHMENTS_MAX_BYTES",
        )?;
        if inquiry_attachments_max_bytes < attachment_max_bytes {
            return Err(ConfigError {
                setting: setting(
                    ids::INQUIRY_ATTACHMENTS_MAX_BYTES,
                    "INQUIRY_ATTACHMENTS_MAX_BYTES",
                ),
                problem: "must not be less than the largest attachment".to_owned(),
            });
        }
        let upload_expiry = duration(ids::UPLOAD_EXPIRY, "UPLOAD_EXPIRY")?;
        let calendars_file = value(ids::CALENDARS).map(PathBuf::from);
        read_calendars(calendars_file.as_deref()).map_err(|problem| ConfigError {
            setting: setting(ids::CALENDARS, "CALENDARS"),
            problem,
        })?;
        Ok(Self {
            server,
            storage,
            catalog_url,
            catalog_timeout,
            reconcile_interval,
            tracking_key,
            calendars_file,
            retention,
            changes_retention,
            attachment_max_bytes,
            inquiry_attachments_max_bytes,
            upload_expiry,
        })
    }

    /// Development settings over `database_url`, with keys kept in `data_dir` (tests and
    /// `jalia up`): loopback on a free port, development tokens, the catalog at its
    /// default address.
    pub fn development(data_dir: &Path, database_url: &str) -> Self {
        let tracking_key = development_tracking_key(data_dir).unwrap_or_else(|err| {
            tracing::warn!(
                error = %err,
                "cannot keep a development tracking key in the data folder; using one for this process only"
            );
            Secret::generate()
        });
        Self {
            server: ServerSettings::development(data_dir),
            storage: StorageSettings::development(database_url),
            catalog_url: DEFAULT_CATALOG_URL.to_owned(),
            catalog_timeout: Duration::from_secs(2),
            reconcile_interval: Duration::from_secs(30),
            tracking_key,
            calendars_file: None,
            retention: Duration::from_secs(730 * 86_400),
            changes_retention: Duration::from_secs(
                u64::from(DEFAULT_CHANGES_RETENTION_DAYS) * 86_400,
            ),
            attachment_max_bytes: DEFAULT_ATTACHMENT_MAX_BYTES,
            inquiry_attachments_max_bytes: DEFAULT_INQUIRY_ATTACHMENTS_MAX_BYTES,
            upload_expiry: DEFAULT_UPLOAD_EXPIRY,
        }
    }
}

/// Why the service could not start. Never prints a secret.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A setting was refused.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database URL was refused.
    #[error("database URL: {0}")]
    DatabaseUrl(#[from] jalia_db::ConfigError),
    /// The database could not be reached or migrated.
    #[error("database: {0}")]
    Database(#[from] DbError),
    /// The page token key is too short.
    #[error("page token key (JALIA_PAGE_TOKEN_KEY): {0}")]
    PageTokenKey(#[from] WeakKeyError),
    /// The tracking key is too short.
    #[error("tracking key (JALIA_INQUIRIES_TRACKING_KEY): {0}")]
    TrackingKey(#[from] WeakTrackingKey),
    /// The catalog URL is not an endpoint.
    #[error("catalog URL (JALIA_INQUIRIES_CATALOG_URL): {0}")]
    CatalogUrl(#[from] InvalidCatalogUrl),
    /// The agencies' calendars could not be read.
    #[error("calendars (JALIA_INQUIRIES_CALENDARS): {0}")]
    Calendars(String),
    /// The server could not bind or load its keys.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The demonstration data could not be loaded.
    #[error("demo data: {0}")]
    Demo(#[source] Error),
}

/// The calendars in `file`, else the bundled ones; the problem, naming the file,
/// otherwise.
fn read_calendars(file: Option<&Path>) -> Result<domain::working_days::Calendars, String> {
    match file {
        None => calendars::parse(calendars::BUNDLED),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
            calendars::parse(&text).map_err(|problem| format!("{}: {problem}", path.display()))
        }
    }
}

/// Applies every pending migration of the inquiries database, under jalia-db's lock.
pub async fn migrate(storage: &StorageSettings) -> Result<(), StartError> {
    let db = connect(storage).await?;
    db.migrate::<Migrator>().await?;
    db.close().await?;
    Ok(())
}

/// A bound inquiries server, ready to run.
pub struct Application {
    server: Server,
    publisher: Option<ChangePublisher>,
    inquiries: Arc<Inquiries>,
    reconcile_interval: Duration,
    retention: Duration,
    changes_retention: Duration,
}

impl fmt::Debug for Application {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Application")
            .field("server", &self.server)
            .field("reconcile_interval", &self.reconcile_interval)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Connects to the database (already migrated), prepares the catalog client (which
    /// connects lazily, so a catalog that is down does not stop the start) and binds the
    /// listeners.
    pub async fn build(config: Config, clock: SharedClock) -> Result<Self, StartError> {
        let calendars = Arc::new(
            read_calendars(config.calendars_file.as_deref()).map_err(StartError::Calendars)?,
        );
        let tracking = TrackingKey::new(config.tracking_key.expose().as_bytes())?;
        let page_tokens = PageTokens::new(
            config.storage.page_token_key.expose().as_bytes(),
            PAGE_TOKEN_TTL,
        )?;
        let catalog = Catalog::connect_lazy(&config.catalog_url, config.catalog_timeout)?;
        let db = connect(&config.storage).await?;
        let publisher =
            ChangePublisher::configured(config.storage.nats.as_ref(), SHORT_NAME, &db, &clock);
        let server = Server::bind(config.server, clock.clone()).await?;
        let limits = AttachmentLimits {
            file_bytes: config.attachment_max_bytes,
            inquiry_bytes: config.inquiry_attachments_max_bytes,
            upload_expiry: config.upload_expiry,
        };
        // The embedded store; an object store would be chosen here (ARCHITECTURE.md §5).
        let contents = Arc::new(DbAttachmentStore::new(db.clone()));
        let inquiries = Inquiries::new(
            db,
            clock,
            calendars,
            tracking,
            page_tokens,
            catalog,
            contents,
            limits,
        );
        Ok(Self {
            server,
            publisher,
            inquiries: Arc::new(inquiries),
            reconcile_interval: config.reconcile_interval,
            retention: config.retention,
            changes_retention: config.changes_retention,
        })
    }

    /// Where callers connect.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Loads the demonstration data (ARCHITECTURE.md §7); loading twice changes nothing.
    pub async fn load_demo(&self) -> Result<(), StartError> {
        self.load_linked_demo(&DemoLinks::default()).await
    }

    /// Loads the demo data with links to the other services' demo data (catalog
    /// services, so due dates come from the catalog, and the 2025 meetings).
    pub async fn load_linked_demo(&self, links: &DemoLinks) -> Result<(), StartError> {
        demo::load(&self.inquiries, links)
            .await
            .map_err(StartError::Demo)
    }

    /// A handle on the due-date reconciler, to run a round on demand.
    pub fn reconciler(&self) -> Reconciler {
        Reconciler {
            inquiries: self.inquiries.clone(),
            retention: self.retention,
            changes_retention: self.changes_retention,
        }
    }

    /// Serves until `shutdown` fires, with the background reconciler beside it; both
    /// stop on the same signal.
    pub async fn run(self, shutdown: Shutdown) -> Result<(), ServerError> {
        let routes = api::routes(self.inquiries.clone(), &self.server.settings().limits);
        let (stop_background, background_stopped) = Shutdown::manual();
        let background = tokio::spawn(background::run(
            self.inquiries.clone(),
            self.reconcile_interval,
            self.retention,
            self.changes_retention,
            shutdown.clone(),
            background_stopped,
        ));
        let publishing = Publishing::start(self.publisher, shutdown.clone());
        let served = self.server.serve(&[CONTRACT], routes, shutdown).await;
        stop_background.trigger();
        publishing.stop().await;
        if let Err(err) = background.await {
            tracing::warn!(error = %err, "the background task ended abnormally");
        }
        served
    }
}

/// The background rounds, run on demand: settling due dates left pending by an
/// unreachable catalog, and escalating overdue inquiries.
#[derive(Debug, Clone)]
pub struct Reconciler {
    inquiries: Arc<Inquiries>,
    retention: Duration,
    changes_retention: Duration,
}

impl Reconciler {
    /// One round: asks the catalog about every pending inquiry, for as long as it
    /// answers. Returns how many due dates were settled.
    pub async fn reconcile_once(&self) -> Result<usize, Error> {
        self.inquiries.reconcile_once().await
    }

    /// One escalation round: escalates every inquiry overdue now that never was.
    /// Returns how many were escalated.
    pub async fn escalate_once(&self) -> Result<usize, Error> {
        self.inquiries.escalate_once().await
    }

    /// One expiry round: deletes every upload left unattached past its expiry. Returns
    /// how many went.
    pub async fn expire_uploads_once(&self) -> Result<usize, Error> {
        self.inquiries.expire_uploads_once().await
    }

    /// One retention round: anonymises every CLOSED inquiry unchanged for longer than
    /// the retention period. Returns how many were anonymised.
    pub async fn anonymise_once(&self) -> Result<usize, Error> {
        self.inquiries.anonymise_once(self.retention).await
    }

    /// One purge of the change feed: deletes every change record older than its
    /// retention. Returns how many went.
    pub async fn purge_changes_once(&self) -> Result<u64, Error> {
        self.inquiries.purge_changes(self.changes_retention).await
    }
}

async fn connect(storage: &StorageSettings) -> Result<Db, StartError> {
    let config = DbConfig::new(storage.database_url.expose())?;
    Ok(Db::connect(&config).await?)
}

/// The development tracking key kept in the data folder, made on first use, so that a
/// restarted `jalia up` still gives retried submissions their original codes.
fn development_tracking_key(data_dir: &Path) -> Result<Secret, std::io::Error> {
    use std::io::{Error as IoError, ErrorKind, Write};

    let path = data_dir.join(DEV_TRACKING_KEY_FILE);
    let read = |path: &Path| -> Result<Option<Secret>, IoError> {
        match std::fs::read_to_string(path) {
            Ok(text) if text.trim().len() >= MIN_KEY_BYTES => {
                Ok(Some(Secret::new(text.trim().to_owned())))
            }
            Ok(_) => Err(IoError::new(
                ErrorKind::InvalidData,
                format!("{} holds too short a key; delete it", path.display()),
            )),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    };
    if let Some(key) = read(&path)? {
        return Ok(key);
    }
    std::fs::create_dir_all(data_dir)?;
    let key = Secret::generate().expose().to_owned();
    // Written whole under a private name, then linked into place: a concurrent start on
    // the same folder either wins or reads the winner's complete key.
    let temp = data_dir.join(format!(
        ".{DEV_TRACKING_KEY_FILE}.{}.{}.tmp",
        std::process::id(),
        rand::random::<u64>()
    ));
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        file.write_all(key.as_bytes())?;
        file.sync_all()?;
        std::fs::hard_link(&temp, &path)
    })();
    // The staging name is only a step; it goes whether or not the link worked.
    let _ = std::fs::remove_file(&temp);
    match written {
        Ok(()) => Ok(Secret::new(key)),
        Err(err) if err.kind() == ErrorKind::AlreadyExists => read(&path)?
            .ok_or_else(|| IoError::new(ErrorKind::NotFound, "the key vanished while made")),
        Err(err) => Err(err),
    }
}
