//! A person's rights (law 09-08): the records of erasures made on request, and the index
//! by which a person's inquiries are found by phone.

use jalia_db::sea_orm_migration::prelude::*;

/// Creates `inquiry_erasures` and the `(agency, requester_phone)` index.
pub(super) struct CreateErasures;

impl MigrationName for CreateErasures {
    fn name(&self) -> &str {
        "m20261206_000106_personal_data_erasures"
    }
}

#[derive(DeriveIden)]
enum InquiryErasures {
    Table,
    Id,
    Agency,
    ErasedByAgency,
    ErasedBySubject,
    InquiryCount,
    EraseTime,
    EmailDigest,
    PhoneDigest,
}

#[derive(DeriveIden)]
enum Inquiries {
    Table,
    Agency,
    RequesterPhone,
}

const PHONE_INDEX: &str = "inquiries_agency_requester_phone";

#[async_trait::async_trait]
impl MigrationTrait for CreateErasures {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InquiryErasures::Table)
                    .col(
                        ColumnDef::new(InquiryErasures::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(InquiryErasures::Agency).text().not_null())
                    .col(
                        ColumnDef::new(InquiryErasures::ErasedByAgency)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InquiryErasures::ErasedBySubject)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InquiryErasures::InquiryCount)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InquiryErasures::EraseTime)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(InquiryErasures::EmailDigest).binary())
                    .col(ColumnDef::new(InquiryErasures::PhoneDigest).binary())
                    .to_owned(),
            )
            .await?;
        // Access and erasure requests find a person's inquiries by phone from this index;
        // by email they compare in lowercase, a scan of the agency's rows.
        manager
            .create_index(
                Index::create()
                    .name(PHONE_INDEX)
                    .table(Inquiries::Table)
                    .col(Inquiries::Agency)
                    .col(Inquiries::RequesterPhone)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(PHONE_INDEX)
                    .table(Inquiries::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(InquiryErasures::Table).to_owned())
            .await
    }
}
