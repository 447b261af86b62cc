//! Documents attached to inquiries: their metadata, and the database's store of their
//! content (the default `AttachmentStore`).

use jalia_db::sea_orm_migration::prelude::*;

/// Creates `inquiry_attachments` and `inquiry_attachment_contents`.
pub(super) struct CreateAttachments;

impl MigrationName for CreateAttachments {
    fn name(&self) -> &str {
        "m20261206_000201_attachments"
    }
}

#[derive(DeriveIden)]
enum InquiryAttachments {
    Table,
    Id,
    Agency,
    FileName,
    MediaType,
    SizeBytes,
    Sha256,
    Uploader,
    CreatedAt,
    ExpiresAt,
    InquiryId,
    MessageId,
    AttachedAt,
}

#[derive(DeriveIden)]
enum InquiryAttachmentContents {
    Table,
    AttachmentId,
    Content,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Inquiries {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for CreateAttachments {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use InquiryAttachments as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(ColumnDef::new(A::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(A::Agency).string().not_null())
                    .col(ColumnDef::new(A::FileName).text().not_null())
                    .col(ColumnDef::new(A::MediaType).integer().not_null())
                    .col(ColumnDef::new(A::SizeBytes).big_integer().not_null())
                    .col(ColumnDef::new(A::Sha256).string().not_null())
                    .col(ColumnDef::new(A::Uploader).integer().not_null())
                    .col(ColumnDef::new(A::CreatedAt).big_integer().not_null())
                    .col(ColumnDef::new(A::ExpiresAt).big_integer().not_null())
                    .col(ColumnDef::new(A::InquiryId).uuid())
                    .col(ColumnDef::new(A::MessageId).uuid())
                    .col(ColumnDef::new(A::AttachedAt).big_integer())
                    .foreign_key(
                        ForeignKey::create()
                            .from(A::Table, A::InquiryId)
                            .to(Inquiries::Table, Inquiries::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("inquiry_attachments_inquiry")
                    .table(A::Table)
                    .col(A::InquiryId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("inquiry_attachments_expiry")
                    .table(A::Table)
                    .col(A::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        use InquiryAttachmentContents as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(
                        ColumnDef::new(C::AttachmentId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(C::Content).blob().not_null())
                    .col(ColumnDef::new(C::CreatedAt).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        // Covers the sweep of orphan contents, so that it never reads the contents
        // themselves (SQLite keeps them inline, before this column).
        manager
            .create_index(
                Index::create()
                    .name("inquiry_attachment_contents_sweep")
                    .table(C::Table)
                    .col(C::CreatedAt)
                    .col(C::AttachmentId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(InquiryAttachmentContents::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(InquiryAttachments::Table).to_owned())
            .await
    }
}
