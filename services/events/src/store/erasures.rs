//! Erasure records: inserted with the erasure they record, in its transaction.

use jalia_db::sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use jalia_db::to_micros;

use super::count_column;
use super::entities::erasure;
use crate::domain::Result;
use crate::domain::erasure::Erasure;

/// Inserts the record of an erasure.
pub(crate) async fn insert(db: &impl ConnectionTrait, erasure: &Erasure) -> Result<()> {
    erasure::Entity::insert(erasure::ActiveModel {
        id: Set(erasure.id),
        agency: Set(erasure.agency.to_string()),
        erased_by_agency: Set(erasure.erased_by.agency.clone()),
        erased_by_subject: Set(erasure.erased_by.subject.clone()),
        registration_count: Set(count_column(erasure.registrations)),
        erase_time: Set(to_micros(erasure.time)),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
