//! The catalog's tables. Instants are BIGINT microseconds; texts in several languages and
//! nested lists are JSON text; the columns lists filter on are copied out of the JSON.
//! Text columns that are compared or ordered (agency codes, search tokens) use the "C"
//! collation on PostgreSQL, so they compare byte-wise exactly like SQLite's default.

use jalia_db::sea_orm_migration::prelude::*;
use jalia_db::sea_orm_migration::sea_orm::DbBackend;

/// Every migration of the catalog, oldest first.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(jalia_db::CreateIdempotencyRecords),
            Box::new(CreateCatalogTables),
            Box::new(jalia_db::CreateIdempotencyRecordsBySubject),
            Box::new(jalia_db::CreateChanges),
            Box::new(jalia_db::CreateLeases),
        ]
    }

    fn migration_table_name() -> DynIden {
        "jalia_catalog_migrations".into_iden()
    }
}

struct CreateCatalogTables;

impl MigrationName for CreateCatalogTables {
    fn name(&self) -> &str {
        "m20261129_000002_catalog_tables"
    }
}

#[derive(DeriveIden)]
enum CatalogAgencies {
    Table,
    Code,
    Kind,
    ParentCode,
    Content,
    CreateTime,
    UpdateTime,
    Version,
}

#[derive(DeriveIden)]
enum CatalogTerms {
    Table,
    Id,
    Kind,
    Content,
    CreateTime,
    UpdateTime,
    Version,
}

#[derive(DeriveIden)]
enum CatalogServices {
    Table,
    Id,
    AgencyCode,
    Status,
    CategoryId,
    AudienceMask,
    ChannelMask,
    Content,
    Revision,
    CreateTime,
    UpdateTime,
    PublishTime,
    RetireTime,
}

#[derive(DeriveIden)]
enum CatalogServiceLifeEvents {
    Table,
    ServiceId,
    LifeEventId,
}

#[derive(DeriveIden)]
enum CatalogSearchTokens {
    Table,
    Token,
    ServiceId,
    Field,
    Language,
}

#[derive(DeriveIden)]
enum CatalogServiceRevisions {
    Table,
    ServiceId,
    Revision,
    Action,
    Snapshot,
    Actor,
    CreateTime,
    ChangedFields,
}

/// A text column compared byte-wise on both backends (agency codes, which foreign keys
/// reference, and search tokens).
fn byte_ordered_text(column: impl IntoIden, backend: DbBackend) -> ColumnDef {
    let mut def = ColumnDef::new(column);
    def.string();
    if backend == DbBackend::Postgres {
        def.extra("COLLATE \"C\"");
    }
    def
}

#[async_trait::async_trait]
impl MigrationTrait for CreateCatalogTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(CatalogAgencies::Table)
                    .col(
                        byte_ordered_text(CatalogAgencies::Code, backend)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(CatalogAgencies::Kind).integer().not_null())
                    .col(byte_ordered_text(CatalogAgencies::ParentCode, backend).null())
                    .col(ColumnDef::new(CatalogAgencies::Content).text().not_null())
                    .col(
                        ColumnDef::new(CatalogAgencies::CreateTime)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogAgencies::UpdateTime)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogAgencies::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CatalogAgencies::Table, CatalogAgencies::ParentCode)
                            .to(CatalogAgencies::Table, CatalogAgencies::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("catalog_agencies_update_time")
                    .table(CatalogAgencies::Table)
                    .col(CatalogAgencies::UpdateTime)
                    .col(CatalogAgencies::Code)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("catalog_agencies_parent_code")
                    .table(CatalogAgencies::Table)
                    .col(CatalogAgencies::ParentCode)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CatalogTerms::Table)
                    .col(
                        ColumnDef::new(CatalogTerms::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(CatalogTerms::Kind).integer().not_null())
                    .col(ColumnDef::new(CatalogTerms::Content).text().not_null())
                    .col(
                        ColumnDef::new(CatalogTerms::CreateTime)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogTerms::UpdateTime)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogTerms::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("catalog_terms_kind_update_time")
                    .table(CatalogTerms::Table)
                    .col(CatalogTerms::Kind)
                    .col(CatalogTerms::UpdateTime)
                    .col(CatalogTerms::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CatalogServices::Table)
                    .col(
                        ColumnDef::new(CatalogServices::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(byte_ordered_text(CatalogServices::AgencyCode, backend).not_null())
                    .col(ColumnDef::new(CatalogServices::Status).integer().not_null())
                    .col(ColumnDef::new(CatalogServices::CategoryId).uuid().null())
                    .col(
                        ColumnDef::new(CatalogServices::AudienceMask)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogServices::ChannelMask)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(CatalogServices::Content).text().not_null())
                    .col(
                        ColumnDef::new(CatalogServices::Revision)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogServices::CreateTime)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogServices::UpdateTime)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogServices::PublishTime)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(CatalogServices::RetireTime)
                            .big_integer()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CatalogServices::Table, CatalogServices::AgencyCode)
                            .to(CatalogAgencies::Table, CatalogAgencies::Code),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CatalogServices::Table, CatalogServices::CategoryId)
                            .to(CatalogTerms::Table, CatalogTerms::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "catalog_services_agency",
                vec![CatalogServices::AgencyCode, CatalogServices::Id],
            ),
            (
                "catalog_services_update_time",
                vec![CatalogServices::UpdateTime, CatalogServices::Id],
            ),
            (
                "catalog_services_category",
                vec![CatalogServices::CategoryId, CatalogServices::Id],
            ),
            (
                "catalog_services_status",
                vec![CatalogServices::Status, CatalogServices::Id],
            ),
            // Covers every column search filters on, so ranking thousands of matches
            // reads this index rather than the services' wide rows.
            (
                "catalog_services_search_filters",
                vec![
                    CatalogServices::Id,
                    CatalogServices::Status,
                    CatalogServices::AgencyCode,
                    CatalogServices::CategoryId,
                    CatalogServices::AudienceMask,
                    CatalogServices::ChannelMask,
                    CatalogServices::UpdateTime,
                ],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(CatalogServices::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(CatalogServiceLifeEvents::Table)
                    .col(
                        ColumnDef::new(CatalogServiceLifeEvents::ServiceId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogServiceLifeEvents::LifeEventId)
                            .uuid()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(CatalogServiceLifeEvents::ServiceId)
                            .col(CatalogServiceLifeEvents::LifeEventId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                CatalogServiceLifeEvents::Table,
                                CatalogServiceLifeEvents::ServiceId,
                            )
                            .to(CatalogServices::Table, CatalogServices::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                CatalogServiceLifeEvents::Table,
                                CatalogServiceLifeEvents::LifeEventId,
                            )
                            .to(CatalogTerms::Table, CatalogTerms::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("catalog_service_life_events_life_event")
                    .table(CatalogServiceLifeEvents::Table)
                    .col(CatalogServiceLifeEvents::LifeEventId)
                    .col(CatalogServiceLifeEvents::ServiceId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CatalogSearchTokens::Table)
                    .col(byte_ordered_text(CatalogSearchTokens::Token, backend).not_null())
                    .col(
                        ColumnDef::new(CatalogSearchTokens::ServiceId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogSearchTokens::Field)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogSearchTokens::Language)
                            .string()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(CatalogSearchTokens::Token)
                            .col(CatalogSearchTokens::ServiceId)
                            .col(CatalogSearchTokens::Field)
                            .col(CatalogSearchTokens::Language),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CatalogSearchTokens::Table, CatalogSearchTokens::ServiceId)
                            .to(CatalogServices::Table, CatalogServices::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("catalog_search_tokens_service")
                    .table(CatalogSearchTokens::Table)
                    .col(CatalogSearchTokens::ServiceId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CatalogServiceRevisions::Table)
                    .col(
                        ColumnDef::new(CatalogServiceRevisions::ServiceId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogServiceRevisions::Revision)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogServiceRevisions::Action)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogServiceRevisions::Snapshot)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogServiceRevisions::Actor)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogServiceRevisions::CreateTime)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CatalogServiceRevisions::ChangedFields)
                            .text()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(CatalogServiceRevisions::ServiceId)
                            .col(CatalogServiceRevisions::Revision),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                CatalogServiceRevisions::Table,
                                CatalogServiceRevisions::ServiceId,
                            )
                            .to(CatalogServices::Table, CatalogServices::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "catalog_service_revisions",
            "catalog_search_tokens",
            "catalog_service_life_events",
            "catalog_services",
            "catalog_terms",
            "catalog_agencies",
        ] {
            manager
                .drop_table(Table::drop().table(table.into_iden()).to_owned())
                .await?;
        }
        Ok(())
    }
}
