//! Migrations run under a lock so that two replicas or two jobs never race: on
//! PostgreSQL a transaction-scoped advisory lock keyed by the service's migration table,
//! on SQLite an IMMEDIATE transaction (the database's one write lock). Both backends run
//! DDL inside transactions, so a failed run leaves the schema as it was.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::MigratorTrait;
use sha2::{Digest, Sha256};

use crate::connect::{Backend, Db};
use crate::error::DbError;

impl Db {
    /// Applies every pending migration of `M` under the migration lock.
    pub async fn migrate<M: MigratorTrait>(&self) -> Result<(), DbError> {
        let tx = self.begin_write().await?;
        if self.backend() == Backend::Postgres {
            let lock_key = advisory_lock_key(&M::migration_table_name().to_string());
            tx.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1)",
                [lock_key.into()],
            ))
            .await?;
        }
        M::up(&tx, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The names of the applied migrations of `M`, oldest first.
    pub async fn applied_migrations<M: MigratorTrait>(&self) -> Result<Vec<String>, DbError> {
        let applied = M::get_applied_migrations(self.connection()).await?;
        Ok(applied.iter().map(|m| m.name().to_owned()).collect())
    }
}

/// A stable 64-bit key per migration table, so services sharing one PostgreSQL database
/// (in separate schemas or tables) do not wait on each other.
fn advisory_lock_key(table: &str) -> i64 {
    let digest = Sha256::digest(format!("jalia-migrate:{table}"));
    let mut bytes = [0_u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// The migration creating jalia-db's first idempotency table, keyed by agency and method
/// only; each service lists it in its own migrator, since each service owns its
/// database. Superseded by [`CreateIdempotencyRecordsBySubject`], listed after it.
#[derive(Debug, Clone, Copy, Default)]
pub struct CreateIdempotencyRecords;

/// The migration creating the idempotency table keyed by agency, subject (the caller's
/// `sub`), method and request_id, so that two systems of one agency do not share
/// request_ids. Each service lists it after [`CreateIdempotencyRecords`]: migrations are
/// additive, so the first table stays (only purged; see `purge_idempotency_records`).
#[derive(Debug, Clone, Copy, Default)]
pub struct CreateIdempotencyRecordsBySubject;

mod schema {
    use sea_orm_migration::prelude::*;

    use super::{CreateIdempotencyRecords, CreateIdempotencyRecordsBySubject};

    #[derive(DeriveIden)]
    enum JaliaIdempotency {
        Table,
        Agency,
        Method,
        RequestId,
        Fingerprint,
        Response,
        CreatedAt,
    }

    impl MigrationName for CreateIdempotencyRecords {
        fn name(&self) -> &str {
            "m20261129_000001_jalia_idempotency"
        }
    }

    #[async_trait::async_trait]
    impl MigrationTrait for CreateIdempotencyRecords {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .create_table(
                    Table::create()
                        .table(JaliaIdempotency::Table)
                        .col(ColumnDef::new(JaliaIdempotency::Agency).string().not_null())
                        .col(ColumnDef::new(JaliaIdempotency::Method).string().not_null())
                        .col(
                            ColumnDef::new(JaliaIdempotency::RequestId)
                                .uuid()
                                .not_null(),
                        )
                        .col(
                            ColumnDef::new(JaliaIdempotency::Fingerprint)
                                .binary()
                                .not_null(),
                        )
                        .col(
                            ColumnDef::new(JaliaIdempotency::Response)
                                .binary()
                                .not_null(),
                        )
                        .col(
                            ColumnDef::new(JaliaIdempotency::CreatedAt)
                                .big_integer()
                                .not_null(),
                        )
                        .primary_key(
                            Index::create()
                                .col(JaliaIdempotency::Agency)
                                .col(JaliaIdempotency::Method)
                                .col(JaliaIdempotency::RequestId),
                        )
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name("jalia_idempotency_created_at")
                        .table(JaliaIdempotency::Table)
                        .col(JaliaIdempotency::CreatedAt)
                        .to_owned(),
                )
                .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .drop_table(Table::drop().table(JaliaIdempotency::Table).to_owned())
                .await
        }
    }

    #[derive(DeriveIden)]
    enum JaliaIdempotencyRecords {
        Table,
        Agency,
        Subject,
        Method,
        RequestId,
        Fingerprint,
        Response,
        CreatedAt,
    }

    impl MigrationName for CreateIdempotencyRecordsBySubject {
        fn name(&self) -> &str {
            "m20261210_000001_jalia_idempotency_records"
        }
    }

    #[async_trait::async_trait]
    impl MigrationTrait for CreateIdempotencyRecordsBySubject {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            use JaliaIdempotencyRecords as Records;
            manager
                .create_table(
                    Table::create()
                        .table(Records::Table)
                        .col(ColumnDef::new(Records::Agency).string().not_null())
                        .col(ColumnDef::new(Records::Subject).string().not_null())
                        .col(ColumnDef::new(Records::Method).string().not_null())
                        .col(ColumnDef::new(Records::RequestId).uuid().not_null())
                        .col(ColumnDef::new(Records::Fingerprint).binary().not_null())
                        .col(ColumnDef::new(Records::Response).binary().not_null())
                        .col(ColumnDef::new(Records::CreatedAt).big_integer().not_null())
                        .primary_key(
                            Index::create()
                                .col(Records::Agency)
                                .col(Records::Subject)
                                .col(Records::Method)
                                .col(Records::RequestId),
                        )
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name("jalia_idempotency_records_created_at")
                        .table(Records::Table)
                        .col(Records::CreatedAt)
                        .to_owned(),
                )
                .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .drop_table(
                    Table::drop()
                        .table(JaliaIdempotencyRecords::Table)
                        .to_owned(),
                )
                .await
        }
    }
}
