//! The events service's schema. Additive changes only, one migration each.

use jalia_db::sea_orm_migration::prelude::*;

/// The events service's migrations, in their own table.
#[derive(Debug)]
pub(crate) struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(jalia_db::CreateIdempotencyRecords),
            Box::new(CreateEventsAndRegistrations),
            Box::new(jalia_db::CreateIdempotencyRecordsBySubject),
            Box::new(AddRegistrants),
            Box::new(AddConsent),
            Box::new(AddAnonymiseTime),
            Box::new(CreateErasures),
            Box::new(jalia_db::CreateChanges),
            Box::new(jalia_db::CreateLeases),
        ]
    }

    fn migration_table_name() -> DynIden {
        "jalia_events_migrations".into_iden()
    }
}

struct CreateEventsAndRegistrations;

impl MigrationName for CreateEventsAndRegistrations {
    fn name(&self) -> &str {
        "m20261129_000002_events_and_registrations"
    }
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    Agency,
    Kind,
    Status,
    StartUtc,
    EndUtc,
    Audiences,
    Content,
    CancellationReason,
    PreviousStart,
    Sequence,
    Outcomes,
    ConfirmedCount,
    WaitlistedCount,
    CheckedInCount,
    NextWaitlistSeq,
    PublishTime,
    CreateTime,
    UpdateTime,
    Version,
}

#[derive(DeriveIden)]
enum Registrations {
    Table,
    Id,
    EventId,
    Agency,
    Code,
    Status,
    WaitlistSeq,
    DisplayName,
    Email,
    EmailKey,
    Phone,
    PhoneKey,
    Residence,
    Language,
    Diaspora,
    RegistrantAgency,
    RegistrantSubject,
    ConsentVersion,
    ConsentTime,
    AnonymiseTime,
    CheckInTime,
    CreateTime,
    UpdateTime,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for CreateEventsAndRegistrations {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(ColumnDef::new(Events::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Events::Agency).string_len(32).not_null())
                    .col(ColumnDef::new(Events::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(Events::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Events::StartUtc).big_integer().not_null())
                    .col(ColumnDef::new(Events::EndUtc).big_integer().not_null())
                    .col(ColumnDef::new(Events::Audiences).string_len(200).not_null())
                    .col(ColumnDef::new(Events::Content).text().not_null())
                    .col(ColumnDef::new(Events::CancellationReason).text())
                    .col(ColumnDef::new(Events::PreviousStart).text())
                    .col(ColumnDef::new(Events::Sequence).integer().not_null())
                    .col(ColumnDef::new(Events::Outcomes).text())
                    .col(ColumnDef::new(Events::ConfirmedCount).integer().not_null())
                    .col(ColumnDef::new(Events::WaitlistedCount).integer().not_null())
                    .col(ColumnDef::new(Events::CheckedInCount).integer().not_null())
                    .col(
                        ColumnDef::new(Events::NextWaitlistSeq)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Events::PublishTime).big_integer())
                    .col(ColumnDef::new(Events::CreateTime).big_integer().not_null())
                    .col(ColumnDef::new(Events::UpdateTime).big_integer().not_null())
                    .col(ColumnDef::new(Events::Version).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "events_agency_start",
                vec![Events::Agency, Events::StartUtc, Events::Id],
            ),
            ("events_start", vec![Events::StartUtc, Events::Id]),
            ("events_update_time", vec![Events::UpdateTime]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Events::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Registrations::Table)
                    .col(
                        ColumnDef::new(Registrations::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Registrations::EventId).uuid().not_null())
                    .col(
                        ColumnDef::new(Registrations::Agency)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Registrations::Code).string_len(8).not_null())
                    .col(
                        ColumnDef::new(Registrations::Status)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Registrations::WaitlistSeq).big_integer())
                    .col(ColumnDef::new(Registrations::DisplayName).text().not_null())
                    .col(ColumnDef::new(Registrations::Email).text())
                    .col(ColumnDef::new(Registrations::EmailKey).text())
                    .col(ColumnDef::new(Registrations::Phone).string_len(20))
                    .col(ColumnDef::new(Registrations::PhoneKey).string_len(20))
                    .col(ColumnDef::new(Registrations::Residence).string_len(2))
                    .col(ColumnDef::new(Registrations::Language).string_len(8))
                    .col(ColumnDef::new(Registrations::Diaspora).boolean().not_null())
                    .col(ColumnDef::new(Registrations::CheckInTime).big_integer())
                    .col(
                        ColumnDef::new(Registrations::CreateTime)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Registrations::UpdateTime)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Registrations::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Registrations::Table, Registrations::EventId)
                            .to(Events::Table, Events::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("registrations_event_code", Registrations::Code),
            ("registrations_event_email", Registrations::EmailKey),
            ("registrations_event_phone", Registrations::PhoneKey),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Registrations::Table)
                        .col(Registrations::EventId)
                        .col(column)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("registrations_waitlist")
                    .table(Registrations::Table)
                    .col(Registrations::EventId)
                    .col(Registrations::Status)
                    .col(Registrations::WaitlistSeq)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Registrations::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Events::Table).to_owned())
            .await
    }
}

/// Keeps which calling system made each registration, so that a portal's live
/// registrations on an event can be counted (its quota) from an index. Nullable: rows
/// made before count against nobody.
struct AddRegistrants;

impl MigrationName for AddRegistrants {
    fn name(&self) -> &str {
        "m20261212_000004_registration_registrants"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AddRegistrants {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in [
            Registrations::RegistrantAgency,
            Registrations::RegistrantSubject,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Registrations::Table)
                        .add_column(ColumnDef::new(column).text())
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("registrations_event_registrant")
                    .table(Registrations::Table)
                    .col(Registrations::EventId)
                    .col(Registrations::RegistrantSubject)
                    .col(Registrations::RegistrantAgency)
                    .col(Registrations::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("registrations_event_registrant")
                    .table(Registrations::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Registrations::RegistrantSubject,
            Registrations::RegistrantAgency,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Registrations::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// Keeps the consent each registration was made with (law 09-08): the text's version and
/// when it was recorded. Nullable: rows made before, and registrations without consent,
/// hold none.
struct AddConsent;

impl MigrationName for AddConsent {
    fn name(&self) -> &str {
        "m20261213_000005_registration_consent"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AddConsent {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Registrations::Table)
                    .add_column(ColumnDef::new(Registrations::ConsentVersion).text())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Registrations::Table)
                    .add_column(ColumnDef::new(Registrations::ConsentTime).big_integer())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Registrations::ConsentTime, Registrations::ConsentVersion] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Registrations::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// Marks registrations whose personal data was removed (retention or erasure), so the
/// retention task skips them and readers know why the person's fields are empty.
struct AddAnonymiseTime;

impl MigrationName for AddAnonymiseTime {
    fn name(&self) -> &str {
        "m20261213_000006_registration_anonymise_time"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AddAnonymiseTime {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Registrations::Table)
                    .add_column(ColumnDef::new(Registrations::AnonymiseTime).big_integer())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Registrations::Table)
                    .drop_column(Registrations::AnonymiseTime)
                    .to_owned(),
            )
            .await
    }
}

/// The records of erasures made on request (law 09-08), without personal data.
struct CreateErasures;

#[derive(DeriveIden)]
enum Erasures {
    Table,
    Id,
    Agency,
    ErasedByAgency,
    ErasedBySubject,
    RegistrationCount,
    EraseTime,
}

impl MigrationName for CreateErasures {
    fn name(&self) -> &str {
        "m20261213_000007_erasures"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateErasures {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Erasures::Table)
                    .col(ColumnDef::new(Erasures::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Erasures::Agency).text().not_null())
                    .col(ColumnDef::new(Erasures::ErasedByAgency).text().not_null())
                    .col(ColumnDef::new(Erasures::ErasedBySubject).text().not_null())
                    .col(
                        ColumnDef::new(Erasures::RegistrationCount)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Erasures::EraseTime).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        // Access and erasure requests find a person's registrations by phone from an
        // index; by email they compare in lowercase, a scan of the agency's rows.
        manager
            .create_index(
                Index::create()
                    .name("registrations_agency_phone")
                    .table(Registrations::Table)
                    .col(Registrations::Agency)
                    .col(Registrations::Phone)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("registrations_agency_phone")
                    .table(Registrations::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Erasures::Table).to_owned())
            .await
    }
}
