//! Opening a database from one URL: SQLite (the embedded default) or PostgreSQL.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseBackend, DatabaseConnection};

use crate::checkpoint::{Checkpoints, WRITER_CHECKPOINT_PAGES};
use crate::error::DbError;

/// A pooled connection idle this long is checked with a ping before it is lent. Checking
/// every connection on every loan, sqlx's default, costs each read and each transaction a
/// round trip; a connection in steady use fails its next statement instead, and the pool
/// discards it.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(30);

/// Which database a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite://path/to/file.db` or `sqlite::memory:`.
    Sqlite,
    /// `postgres://user@host:port/database`.
    Postgres,
}

/// Why a database URL was refused before connecting.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The URL names neither SQLite nor PostgreSQL.
    #[error("database URL must start with sqlite: or postgres:// (got scheme `{0}`)")]
    UnsupportedScheme(String),
    /// A pool of zero connections.
    #[error("database pool size must be at least 1")]
    EmptyPool,
}

/// How to reach a database. The URL may hold a password: `Debug` redacts it.
#[derive(Clone)]
pub struct DbConfig {
    url: String,
    backend: Backend,
    /// Connections in the pool. SQLite has one writer, so a small pool suits it; a SQLite
    /// file has one more connection, for write transactions only (see [`Db`]), and an
    /// in-memory SQLite database always gets exactly one (each connection would otherwise
    /// see its own empty database).
    pub max_connections: u32,
    /// How long a caller waits for a free connection before the database counts as
    /// unavailable.
    pub acquire_timeout: Duration,
    /// How long SQLite waits for the write lock before reporting a conflict.
    pub busy_timeout: Duration,
}

impl DbConfig {
    /// Parses the URL's scheme and picks defaults for its backend.
    pub fn new(url: impl Into<String>) -> Result<Self, ConfigError> {
        let url = url.into();
        let scheme = url.split(':').next().unwrap_or_default();
        let backend = match scheme {
            "sqlite" => Backend::Sqlite,
            "postgres" | "postgresql" => Backend::Postgres,
            other => return Err(ConfigError::UnsupportedScheme(other.to_owned())),
        };
        Ok(Self {
            url,
            backend,
            max_connections: match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 10,
            },
            acquire_timeout: Duration::from_secs(5),
            busy_timeout: Duration::from_secs(5),
        })
    }

    /// Sets the pool size.
    pub fn with_max_connections(mut self, max_connections: u32) -> Result<Self, ConfigError> {
        if max_connections == 0 {
            return Err(ConfigError::EmptyPool);
        }
        self.max_connections = max_connections;
        Ok(self)
    }

    /// The backend the URL selects.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL itself, with its password; never log it.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn is_memory(&self) -> bool {
        self.backend == Backend::Sqlite
            && (self.url.contains(":memory:") || self.url.contains("mode=memory"))
    }
}

impl fmt::Debug for DbConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbConfig")
            .field("url", &redact_password(&self.url))
            .field("backend", &self.backend)
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("busy_timeout", &self.busy_timeout)
            .finish()
    }
}

/// The URL with any password replaced, for logs and `Debug`.
pub fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // set_password only fails for URLs that cannot carry one.
            let _ = parsed.set_password(Some("redacted"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// A pool of connections to one service's database.
#[derive(Clone)]
pub struct Db {
    conn: DatabaseConnection,
    /// On a SQLite file, a pool of one connection of its own for write transactions.
    /// SQLite empties a connection's page cache whenever another connection has committed
    /// since its last transaction; with writes spread over the pool, each one read again
    /// every page it touched (about 50 reads of 4 KiB for a batch of seven registrations,
    /// issue #15). One writer keeps its cache across transactions, as readers never
    /// change the file. Elsewhere, the pool itself.
    writes: DatabaseConnection,
    backend: Backend,
    /// SQLite's one writer, taken in this process before a write transaction begins:
    /// writers of one replica then queue here and start the moment the previous one
    /// commits, instead of polling the file lock with the busy handler's growing sleeps
    /// (1 ms up to 100 ms). Other processes still meet the busy timeout.
    pub(crate) writer: Option<Arc<tokio::sync::Mutex<()>>>,
    /// A SQLite file's log checkpoints, while any clone of this pool lives.
    _checkpoints: Option<Arc<Checkpoints>>,
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish()
    }
}

impl Db {
    /// Connects, applying SQLite's pragmas (WAL, `synchronous=NORMAL`, busy timeout,
    /// foreign keys) or PostgreSQL's pool settings, and checks the database answers. A
    /// SQLite file's folder is created first when missing (`sqlite://.jalia/events.db`
    /// on a fresh machine), as SQLite creates the file but not the folders above it.
    pub async fn connect(config: &DbConfig) -> Result<Self, DbError> {
        if config.backend == Backend::Sqlite && !config.is_memory() {
            create_sqlite_folder(&config.url)?;
        }
        let file_backed = config.backend == Backend::Sqlite && !config.is_memory();
        let size = if config.is_memory() {
            1
        } else {
            config.max_connections
        };
        let conn = sea_orm::Database::connect(connect_options(config, size)).await?;
        let writes = if file_backed {
            sea_orm::Database::connect(connect_options(config, 1)).await?
        } else {
            conn.clone()
        };
        let db = Self {
            _checkpoints: file_backed.then(|| Arc::new(Checkpoints::start(conn.clone()))),
            conn,
            writes,
            backend: config.backend,
            writer: (config.backend == Backend::Sqlite)
                .then(|| Arc::new(tokio::sync::Mutex::new(()))),
        };
        db.ping().await?;
        Ok(db)
    }

    /// The sea-orm connection, for reads.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Where write transactions begin: the read pool, except on a SQLite file (see
    /// [`Db`]'s `writes`).
    pub(crate) fn write_connection(&self) -> &DatabaseConnection {
        &self.writes
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.conn.execute_unprepared("SELECT 1").await?;
        Ok(())
    }

    /// Closes every pooled connection.
    pub async fn close(self) -> Result<(), DbError> {
        // Where the writer is the pool itself, closing it twice is harmless.
        self.writes.close_by_ref().await?;
        self.conn.close().await?;
        Ok(())
    }
}

/// A pool of at most `size` connections, with SQLite's pragmas (WAL, `synchronous=NORMAL`,
/// busy timeout, foreign keys) or PostgreSQL's pool settings.
fn connect_options(config: &DbConfig, size: u32) -> ConnectOptions {
    let mut options = ConnectOptions::new(config.url.clone());
    options
        .max_connections(size)
        .min_connections(0)
        .test_before_acquire_if_idle_for(IDLE_BEFORE_PING)
        .acquire_timeout(config.acquire_timeout)
        .connect_timeout(config.acquire_timeout)
        .sqlx_logging(false);
    if config.backend == Backend::Sqlite {
        let busy_timeout = config.busy_timeout;
        let memory = config.is_memory();
        options.map_sqlx_sqlite_opts(move |opts| {
            let opts = opts
                .create_if_missing(true)
                .foreign_keys(true)
                .busy_timeout(busy_timeout)
                .synchronous(SqliteSynchronous::Normal)
                // A multi-row write in a transaction journals the pages it changes
                // for its own rollback; past 64 KiB SQLite spills that journal to a
                // temporary file, created, written and deleted within the statement.
                .pragma("temp_store", "memory");
            if memory {
                opts
            } else {
                opts.journal_mode(SqliteJournalMode::Wal)
                    .pragma("wal_autocheckpoint", WRITER_CHECKPOINT_PAGES.to_string())
            }
        });
    }
    options
}

/// Creates the folder a SQLite URL's file lives in, if it is missing.
fn create_sqlite_folder(url: &str) -> Result<(), DbError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|err| DbError::unavailable(format!("not a SQLite URL: {err}")))?;
    let Some(folder) = options
        .get_filename()
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
    else {
        return Ok(());
    };
    // Once, at start, before any query: a blocking call is harmless here.
    std::fs::create_dir_all(folder).map_err(|err| {
        DbError::unavailable(format!(
            "cannot create the database folder {}: {err}",
            folder.display()
        ))
    })
}

impl From<Backend> for DatabaseBackend {
    fn from(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => DatabaseBackend::Sqlite,
            Backend::Postgres => DatabaseBackend::Postgres,
        }
    }
}
