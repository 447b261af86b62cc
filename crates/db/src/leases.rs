//! Leases (ARCHITECTURE.md §5): which replica does a job that only one may do at a time,
//! such as publishing a change feed to a broker.
//!
//! A lease is a row naming its holder and when it lapses. The holder renews it well before
//! that; when a holder dies without releasing it, another replica takes it once it has
//! lapsed. A row rather than a PostgreSQL advisory lock: the same code works on SQLite,
//! and nothing holds a session or a transaction open (a long transaction would hold back
//! PostgreSQL's vacuum, and the change feeds' delivery horizon with it).
//!
//! Times are the replicas' clocks, so the time to live must be much longer than the skew
//! between them; a holder stops acting on a lease it could not renew in time.

use std::time::Duration;

use jiff::Timestamp;
use sea_orm::ConnectionTrait;

use crate::changes::statement;
use crate::connect::Db;
use crate::error::DbError;
use crate::time::to_micros;

/// The table of leases.
pub const LEASES_TABLE: &str = "jalia_leases";

impl Db {
    /// Takes the lease `name` for `holder` until `now + ttl`, or renews it if `holder`
    /// already has it. Returns false, changing nothing, while another holder's lease has
    /// not lapsed.
    pub async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        ttl: Duration,
    ) -> Result<bool, DbError> {
        let expires = now
            .checked_add(ttl)
            .map_err(|err| DbError::other(format!("lease time to live: {err}")))?;
        let sql = format!(
            "INSERT INTO {LEASES_TABLE} (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
             expires_at = excluded.expires_at \
             WHERE {LEASES_TABLE}.holder = excluded.holder OR {LEASES_TABLE}.expires_at <= $4"
        );
        let _writer = self.lock_writer().await;
        let taken = self
            .write_connection()
            .execute_raw(statement(
                self.db_backend(),
                &sql,
                [
                    name.into(),
                    holder.into(),
                    to_micros(expires).into(),
                    to_micros(now).into(),
                ],
            ))
            .await?
            .rows_affected();
        Ok(taken == 1)
    }

    /// Gives the lease up if `holder` has it, so that another replica takes over at once.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<(), DbError> {
        let sql = format!("DELETE FROM {LEASES_TABLE} WHERE name = $1 AND holder = $2");
        let _writer = self.lock_writer().await;
        self.write_connection()
            .execute_raw(statement(
                self.db_backend(),
                &sql,
                [name.into(), holder.into()],
            ))
            .await?;
        Ok(())
    }

    /// Who holds the lease `name` at `now`, if anyone.
    pub async fn lease_holder(
        &self,
        name: &str,
        now: Timestamp,
    ) -> Result<Option<String>, DbError> {
        let sql = format!("SELECT holder FROM {LEASES_TABLE} WHERE name = $1 AND expires_at > $2");
        let row = self
            .connection()
            .query_one_raw(statement(
                self.db_backend(),
                &sql,
                [name.into(), to_micros(now).into()],
            ))
            .await?;
        row.map(|row| row.try_get_by_index::<String>(0))
            .transpose()
            .map_err(DbError::from)
    }
}

/// The migration creating [`LEASES_TABLE`]; each service that runs a leased job lists it in
/// its own migrator.
#[derive(Debug, Clone, Copy, Default)]
pub struct CreateLeases;

mod schema {
    use sea_orm_migration::prelude::*;

    use super::{CreateLeases, LEASES_TABLE};

    impl MigrationName for CreateLeases {
        fn name(&self) -> &str {
            "m20261214_000001_jalia_leases"
        }
    }

    #[async_trait::async_trait]
    impl MigrationTrait for CreateLeases {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "CREATE TABLE {LEASES_TABLE} (name TEXT PRIMARY KEY, holder TEXT NOT NULL, \
                     expires_at BIGINT NOT NULL)"
                ))
                .await?;
            Ok(())
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .get_connection()
                .execute_unprepared(&format!("DROP TABLE {LEASES_TABLE}"))
                .await?;
            Ok(())
        }
    }
}
