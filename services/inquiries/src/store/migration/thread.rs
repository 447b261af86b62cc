//! The citizen's side of the conversation: who wrote each message.

use jalia_db::sea_orm_migration::prelude::*;

/// Adds `inquiry_messages.author_kind`; the messages already there were all written by
/// agents (citizens could not write before), so the column defaults to the agent's code.
pub(super) struct AddMessageAuthorKind;

impl MigrationName for AddMessageAuthorKind {
    fn name(&self) -> &str {
        "m20261205_000101_thread_message_author_kind"
    }
}

#[derive(DeriveIden)]
enum InquiryMessages {
    Table,
    AuthorKind,
}

/// `AuthorKind::Agent`'s stored code, frozen here: a migration never follows later code.
const AGENT: i32 = 1;

#[async_trait::async_trait]
impl MigrationTrait for AddMessageAuthorKind {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(InquiryMessages::Table)
                    .add_column(
                        ColumnDef::new(InquiryMessages::AuthorKind)
                            .integer()
                            .not_null()
                            .default(AGENT),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(InquiryMessages::Table)
                    .drop_column(InquiryMessages::AuthorKind)
                    .to_owned(),
            )
            .await
    }
}
