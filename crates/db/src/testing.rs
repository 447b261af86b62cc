//! Fresh databases for tests: SQLite by default (a temp file with a real pool, or memory),
//! PostgreSQL when `JALIA_TEST_POSTGRES_URL` is set (a new database with a random name,
//! dropped afterwards). An unreachable PostgreSQL URL fails the test; it never skips.
#![allow(clippy::panic)]

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::connect::{Backend, ConfigError, Db, DbConfig};
use crate::error::DbError;

/// The variable that switches test databases to PostgreSQL.
pub const POSTGRES_URL_ENV: &str = "JALIA_TEST_POSTGRES_URL";

/// Pool size of temp-file SQLite test databases: enough for real concurrency.
pub const SQLITE_TEST_POOL: u32 = 4;

/// Pool size of PostgreSQL test databases: small, since many tests run at once and the
/// server accepts 100 connections.
pub const POSTGRES_TEST_POOL: u32 = 5;

/// Why a test database could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TestDbError {
    /// A bad URL.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database refused or could not be reached.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The temp folder could not be made.
    #[error("temp folder: {0}")]
    Io(#[from] std::io::Error),
}

/// A database of one's own for one test, removed when dropped.
#[derive(Debug)]
pub struct TestDatabase {
    config: DbConfig,
    db: Db,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    Nothing,
    TempDir(#[allow(dead_code)] tempfile::TempDir),
    DropPostgres { admin: DbConfig, name: String },
}

impl TestDatabase {
    /// The backend this test run uses: PostgreSQL when `JALIA_TEST_POSTGRES_URL` is set,
    /// else a temp-file SQLite database with a pool of [`SQLITE_TEST_POOL`].
    ///
    /// # Panics
    /// When the database cannot be made, naming why: a test must not pass by skipping.
    pub async fn new() -> Self {
        match Self::for_run(std::env::var(POSTGRES_URL_ENV).ok().as_deref()).await {
            Ok(database) => database,
            Err(err) => panic!("cannot create the test database: {err}"),
        }
    }

    /// [`Self::new`] for a given value of `JALIA_TEST_POSTGRES_URL`, as a `Result`.
    pub async fn for_run(postgres_url: Option<&str>) -> Result<Self, TestDbError> {
        match postgres_url.filter(|url| !url.trim().is_empty()) {
            Some(url) => Self::postgres(url).await,
            None => Self::sqlite_file(SQLITE_TEST_POOL).await,
        }
    }

    /// A SQLite database in a temp file, with `pool` connections.
    pub async fn sqlite_file(pool: u32) -> Result<Self, TestDbError> {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let config = DbConfig::new(url)?.with_max_connections(pool)?;
        let db = Db::connect(&config).await?;
        Ok(Self {
            config,
            db,
            cleanup: Cleanup::TempDir(dir),
        })
    }

    /// A SQLite database in memory (one connection).
    pub async fn sqlite_memory() -> Result<Self, TestDbError> {
        let config = DbConfig::new("sqlite::memory:")?;
        let db = Db::connect(&config).await?;
        Ok(Self {
            config,
            db,
            cleanup: Cleanup::Nothing,
        })
    }

    /// A new PostgreSQL database with a random name, created through `admin_url`.
    pub async fn postgres(admin_url: &str) -> Result<Self, TestDbError> {
        let admin = DbConfig::new(admin_url)?.with_max_connections(1)?;
        let name = format!("jalia_test_{}", uuid::Uuid::new_v4().simple());
        let admin_db = Db::connect(&admin).await?;
        admin_db
            .connection()
            .execute_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("CREATE DATABASE {name}"),
            ))
            .await
            .map_err(DbError::from)?;
        admin_db.close().await?;
        let config = DbConfig::new(database_url(admin_url, &name))?
            .with_max_connections(POSTGRES_TEST_POOL)?;
        let db = Db::connect(&config).await?;
        Ok(Self {
            config,
            db,
            cleanup: Cleanup::DropPostgres { admin, name },
        })
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Its configuration, to open a second, independent pool on the same database (as a
    /// second replica would).
    pub fn config(&self) -> &DbConfig {
        &self.config
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// Gathers the planner's statistics, as autovacuum does on a database in service.
    /// Benches warm their paths up and then call this, so that PostgreSQL plans their
    /// statements against tables of some size: on the empty tables of a fresh database it
    /// picks plans that scan, and keeps them for the prepared statements of the whole run.
    /// SQLite keeps no statistics unless asked (the services never ask), so there this
    /// does nothing.
    pub async fn analyze(&self) -> Result<(), DbError> {
        if self.backend() == Backend::Postgres {
            self.db.connection().execute_unprepared("ANALYZE").await?;
        }
        Ok(())
    }

    /// Opens another, independent pool on the same database.
    pub async fn connect_again(&self) -> Db {
        match Db::connect(&self.config).await {
            Ok(db) => db,
            Err(err) => panic!("cannot reopen the test database: {err}"),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Cleanup::DropPostgres { admin, name } = &self.cleanup else {
            return;
        };
        let admin = admin.clone();
        let statement = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        // Drop cannot await; a short-lived runtime on its own thread does the dropping
        // without touching the test's runtime.
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let db = Db::connect(&admin).await.map_err(std::io::Error::other)?;
                db.connection()
                    .execute_unprepared(&statement)
                    .await
                    .map_err(std::io::Error::other)?;
                db.close().await.map_err(std::io::Error::other)
            })
        });
        if let Ok(Err(err)) = dropper.join() {
            tracing::warn!(error = %err, "could not drop a test database");
        }
    }
}

/// The admin URL with its database replaced by `name`.
fn database_url(admin_url: &str, name: &str) -> String {
    match url::Url::parse(admin_url) {
        Ok(mut url) => {
            url.set_path(name);
            url.to_string()
        }
        Err(_) => admin_url.to_owned(),
    }
}
