//! The inquiries database schema, applied by `jalia migrate inquiries` under jalia-db's
//! lock. Additive changes only: a new migration per change, never an edited one.
//!
//! Instants are BIGINT microseconds and dates `YYYYMMDD` integers, so that every order
//! and comparison is the same on SQLite and PostgreSQL; nothing is ordered by text.

use jalia_db::sea_orm_migration::prelude::*;

mod attachments;
mod rights;
mod thread;

/// Every migration of the inquiries database, oldest first.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(jalia_db::CreateIdempotencyRecords),
            Box::new(CreateInquiryTables),
            Box::new(jalia_db::CreateIdempotencyRecordsBySubject),
            Box::new(AddInquiryKindAndPlace),
            Box::new(AddWorkingDays),
            Box::new(thread::AddMessageAuthorKind),
            Box::new(AddEscalation),
            Box::new(AddAnonymisation),
            Box::new(rights::CreateErasures),
            Box::new(attachments::CreateAttachments),
            Box::new(jalia_db::CreateChanges),
            Box::new(jalia_db::CreateLeases),
        ]
    }

    fn migration_table_name() -> DynIden {
        "jalia_inquiries_migrations".into_iden()
    }
}

struct CreateInquiryTables;

impl MigrationName for CreateInquiryTables {
    fn name(&self) -> &str {
        "m20261201_000001_inquiry_tables"
    }
}

#[derive(DeriveIden)]
enum InquiryCategories {
    Table,
    Id,
    Agency,
    DisplayName,
    DefaultResponseDays,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum InquiryCategoryNames {
    Table,
    Agency,
    Language,
    NameKey,
    CategoryId,
}

#[derive(DeriveIden)]
enum Inquiries {
    Table,
    Id,
    Agency,
    Reference,
    TrackingHash,
    RequesterName,
    RequesterEmail,
    RequesterPhone,
    RequesterCountry,
    RequesterLanguage,
    RequesterDiaspora,
    Channel,
    CategoryId,
    Service,
    Event,
    Subject,
    Body,
    AnswerBefore,
    Status,
    ReferralAdministration,
    ReferralExternalReference,
    AssignmentTeam,
    AssignmentAgent,
    Priority,
    SubmittedOn,
    ResponseDays,
    PausedDays,
    DueDate,
    DueDateSource,
    DueDatePending,
    ServiceRevision,
    FirstResponseAt,
    FirstAnsweredAt,
    AnsweredOnTime,
    PausedMicros,
    WaitingSince,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum InquiryHistory {
    Table,
    InquiryId,
    Position,
    FromStatus,
    ToStatus,
    Actor,
    ChangeTime,
    Note,
    AssignmentTeam,
    AssignmentAgent,
    ReferralAdministration,
    ReferralExternalReference,
}

#[derive(DeriveIden)]
enum InquiryMessages {
    Table,
    Id,
    InquiryId,
    Visibility,
    Body,
    Author,
    CreatedAt,
}

#[derive(DeriveIden)]
enum InquiryReferenceCounters {
    Table,
    Agency,
    Year,
    LastSequence,
}

fn index(name: &str, table: impl IntoIden, columns: &[&'static str]) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement.name(name).table(table);
    for column in columns {
        statement.col(Alias::new(*column));
    }
    statement.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for CreateInquiryTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use InquiryCategories as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(ColumnDef::new(C::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(C::Agency).string().not_null())
                    .col(ColumnDef::new(C::DisplayName).text().not_null())
                    .col(ColumnDef::new(C::DefaultResponseDays).integer().not_null())
                    .col(ColumnDef::new(C::CreatedAt).big_integer().not_null())
                    .col(ColumnDef::new(C::UpdatedAt).big_integer().not_null())
                    .col(ColumnDef::new(C::Version).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "inquiry_categories_agency_id",
                C::Table,
                &["agency", "id"],
            ))
            .await?;

        use InquiryCategoryNames as N;
        manager
            .create_table(
                Table::create()
                    .table(N::Table)
                    .col(ColumnDef::new(N::Agency).string().not_null())
                    .col(ColumnDef::new(N::Language).string().not_null())
                    .col(ColumnDef::new(N::NameKey).text().not_null())
                    .col(ColumnDef::new(N::CategoryId).uuid().not_null())
                    .primary_key(
                        Index::create()
                            .col(N::Agency)
                            .col(N::Language)
                            .col(N::NameKey),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(N::Table, N::CategoryId)
                            .to(C::Table, C::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "inquiry_category_names_category",
                N::Table,
                &["category_id"],
            ))
            .await?;

        use Inquiries as I;
        manager
            .create_table(
                Table::create()
                    .table(I::Table)
                    .col(ColumnDef::new(I::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(I::Agency).string().not_null())
                    .col(
                        ColumnDef::new(I::Reference)
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(I::TrackingHash).binary().not_null())
                    .col(ColumnDef::new(I::RequesterName).text().not_null())
                    .col(ColumnDef::new(I::RequesterEmail).text().null())
                    .col(ColumnDef::new(I::RequesterPhone).string().null())
                    .col(ColumnDef::new(I::RequesterCountry).string().not_null())
                    .col(ColumnDef::new(I::RequesterLanguage).string().null())
                    .col(ColumnDef::new(I::RequesterDiaspora).boolean().not_null())
                    .col(ColumnDef::new(I::Channel).integer().not_null())
                    .col(ColumnDef::new(I::CategoryId).uuid().not_null())
                    .col(ColumnDef::new(I::Service).string().null())
                    .col(ColumnDef::new(I::Event).string().null())
                    .col(ColumnDef::new(I::Subject).text().not_null())
                    .col(ColumnDef::new(I::Body).text().not_null())
                    .col(ColumnDef::new(I::AnswerBefore).integer().null())
                    .col(ColumnDef::new(I::Status).integer().not_null())
                    .col(ColumnDef::new(I::ReferralAdministration).text().null())
                    .col(ColumnDef::new(I::ReferralExternalReference).text().null())
                    .col(ColumnDef::new(I::AssignmentTeam).string().null())
                    .col(ColumnDef::new(I::AssignmentAgent).string().null())
                    .col(ColumnDef::new(I::Priority).integer().not_null())
                    .col(ColumnDef::new(I::SubmittedOn).integer().not_null())
                    .col(ColumnDef::new(I::ResponseDays).integer().not_null())
                    .col(ColumnDef::new(I::PausedDays).integer().not_null())
                    .col(ColumnDef::new(I::DueDate).integer().not_null())
                    .col(ColumnDef::new(I::DueDateSource).integer().not_null())
                    .col(ColumnDef::new(I::DueDatePending).boolean().not_null())
                    .col(ColumnDef::new(I::ServiceRevision).big_integer().null())
                    .col(ColumnDef::new(I::FirstResponseAt).big_integer().null())
                    .col(ColumnDef::new(I::FirstAnsweredAt).big_integer().null())
                    .col(ColumnDef::new(I::AnsweredOnTime).boolean().null())
                    .col(ColumnDef::new(I::PausedMicros).big_integer().not_null())
                    .col(ColumnDef::new(I::WaitingSince).big_integer().null())
                    .col(ColumnDef::new(I::CreatedAt).big_integer().not_null())
                    .col(ColumnDef::new(I::UpdatedAt).big_integer().not_null())
                    .col(ColumnDef::new(I::Version).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(I::Table, I::CategoryId)
                            .to(C::Table, C::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("inquiries_agency_id", &["agency", "id"][..]),
            ("inquiries_agency_due", &["agency", "due_date", "id"][..]),
            ("inquiries_agency_updated", &["agency", "updated_at"][..]),
            ("inquiries_agency_created", &["agency", "created_at"][..]),
            (
                "inquiries_agency_agent",
                &["agency", "assignment_agent", "id"][..],
            ),
            ("inquiries_pending", &["due_date_pending", "id"][..]),
            ("inquiries_category", &["category_id"][..]),
        ] {
            manager.create_index(index(name, I::Table, columns)).await?;
        }

        use InquiryHistory as H;
        manager
            .create_table(
                Table::create()
                    .table(H::Table)
                    .col(ColumnDef::new(H::InquiryId).uuid().not_null())
                    .col(ColumnDef::new(H::Position).integer().not_null())
                    .col(ColumnDef::new(H::FromStatus).integer().null())
                    .col(ColumnDef::new(H::ToStatus).integer().not_null())
                    .col(ColumnDef::new(H::Actor).string().not_null())
                    .col(ColumnDef::new(H::ChangeTime).big_integer().not_null())
                    .col(ColumnDef::new(H::Note).text().null())
                    .col(ColumnDef::new(H::AssignmentTeam).string().null())
                    .col(ColumnDef::new(H::AssignmentAgent).string().null())
                    .col(ColumnDef::new(H::ReferralAdministration).text().null())
                    .col(ColumnDef::new(H::ReferralExternalReference).text().null())
                    .primary_key(Index::create().col(H::InquiryId).col(H::Position))
                    .foreign_key(
                        ForeignKey::create()
                            .from(H::Table, H::InquiryId)
                            .to(I::Table, I::Id),
                    )
                    .to_owned(),
            )
            .await?;

        use InquiryMessages as M;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .col(ColumnDef::new(M::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(M::InquiryId).uuid().not_null())
                    .col(ColumnDef::new(M::Visibility).integer().not_null())
                    .col(ColumnDef::new(M::Body).text().not_null())
                    .col(ColumnDef::new(M::Author).string().not_null())
                    .col(ColumnDef::new(M::CreatedAt).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(M::Table, M::InquiryId)
                            .to(I::Table, I::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "inquiry_messages_inquiry",
                M::Table,
                &["inquiry_id", "id"],
            ))
            .await?;

        use InquiryReferenceCounters as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(ColumnDef::new(R::Agency).string().not_null())
                    .col(ColumnDef::new(R::Year).integer().not_null())
                    .col(ColumnDef::new(R::LastSequence).big_integer().not_null())
                    .primary_key(Index::create().col(R::Agency).col(R::Year))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "inquiry_reference_counters",
            "inquiry_messages",
            "inquiry_history",
            "inquiries",
            "inquiry_category_names",
            "inquiry_categories",
        ] {
            manager
                .drop_table(Table::drop().table(table.into_iden()).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// An inquiry's kind and place. Rows written before read back as QUESTION (code 1, the
/// column's default) with no place.
struct AddInquiryKindAndPlace;

impl MigrationName for AddInquiryKindAndPlace {
    fn name(&self) -> &str {
        "m20261205_000101_inquiry_kind_and_place"
    }
}

#[derive(DeriveIden)]
enum InquiryPlaceColumns {
    Kind,
    PlaceCommune,
    PlaceLandTitle,
    PlaceLatitudeMicro,
    PlaceLongitudeMicro,
}

#[async_trait::async_trait]
impl MigrationTrait for AddInquiryKindAndPlace {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use InquiryPlaceColumns as P;
        // One column per statement: SQLite adds one at a time.
        let columns = [
            ColumnDef::new(P::Kind)
                .integer()
                .not_null()
                .default(1)
                .to_owned(),
            ColumnDef::new(P::PlaceCommune).text().to_owned(),
            ColumnDef::new(P::PlaceLandTitle).text().to_owned(),
            ColumnDef::new(P::PlaceLatitudeMicro).integer().to_owned(),
            ColumnDef::new(P::PlaceLongitudeMicro).integer().to_owned(),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Inquiries::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use InquiryPlaceColumns as P;
        for column in [
            P::PlaceLongitudeMicro,
            P::PlaceLatitudeMicro,
            P::PlaceLandTitle,
            P::PlaceCommune,
            P::Kind,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Inquiries::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// Categories that count working days, and the due date before waits that such a count
/// gives (it can no longer be derived from the submission date and the days alone).
/// Categories from before count calendar days; inquiries from before have no `due_base`
/// and read it back as their submission date plus their response days.
struct AddWorkingDays;

impl MigrationName for AddWorkingDays {
    fn name(&self) -> &str {
        "m20261205_000102_working_days"
    }
}

#[derive(DeriveIden)]
enum WorkingDaysColumns {
    CountWorkingDays,
    DueBase,
}

#[async_trait::async_trait]
impl MigrationTrait for AddWorkingDays {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(InquiryCategories::Table)
                    .add_column(
                        ColumnDef::new(WorkingDaysColumns::CountWorkingDays)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Inquiries::Table)
                    .add_column(ColumnDef::new(WorkingDaysColumns::DueBase).integer())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Inquiries::Table)
                    .drop_column(WorkingDaysColumns::DueBase)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(InquiryCategories::Table)
                    .drop_column(WorkingDaysColumns::CountWorkingDays)
                    .to_owned(),
            )
            .await
    }
}

/// When an overdue inquiry was escalated, and which history entry records it. Rows from
/// before were never escalated.
struct AddEscalation;

impl MigrationName for AddEscalation {
    fn name(&self) -> &str {
        "m20261205_000103_escalation"
    }
}

#[derive(DeriveIden)]
enum EscalationColumns {
    EscalatedAt,
    Escalation,
}

#[async_trait::async_trait]
impl MigrationTrait for AddEscalation {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Inquiries::Table)
                    .add_column(ColumnDef::new(EscalationColumns::EscalatedAt).big_integer())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(InquiryHistory::Table)
                    .add_column(
                        ColumnDef::new(EscalationColumns::Escalation)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(InquiryHistory::Table)
                    .drop_column(EscalationColumns::Escalation)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Inquiries::Table)
                    .drop_column(EscalationColumns::EscalatedAt)
                    .to_owned(),
            )
            .await
    }
}

/// When a closed inquiry's personal data was anonymised (law 09-08), so that it is done
/// once. Rows from before were never anonymised.
struct AddAnonymisation;

impl MigrationName for AddAnonymisation {
    fn name(&self) -> &str {
        "m20261205_000104_anonymisation"
    }
}

#[derive(DeriveIden)]
enum AnonymisationColumns {
    AnonymisedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for AddAnonymisation {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Inquiries::Table)
                    .add_column(ColumnDef::new(AnonymisationColumns::AnonymisedAt).big_integer())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Inquiries::Table)
                    .drop_column(AnonymisationColumns::AnonymisedAt)
                    .to_owned(),
            )
            .await
    }
}
