//! Erasure records: inserted with the erasure they record, in its transaction.

use jalia_db::sea_orm::{ConnectionTrait, EntityTrait, IntoActiveModel};
use jalia_db::{from_micros, to_micros};
use jalia_model::AgencyCode;
use uuid::Uuid;

use super::entities::erasure;
use super::{corrupt, stored_i32};
use crate::domain::Error;
use crate::domain::erasure::{ContactDigests, Erasure};

/// Inserts the record of an erasure.
pub(crate) async fn insert<C: ConnectionTrait>(conn: &C, value: &Erasure) -> Result<(), Error> {
    let row = erasure::Model {
        id: value.id,
        agency: value.agency.to_string(),
        erased_by_agency: value.erased_by_agency.clone(),
        erased_by_subject: value.erased_by_subject.clone(),
        inquiry_count: stored_i32(i64::from(value.inquiries), "an erasure's inquiry count")?,
        erase_time: to_micros(value.time),
        email_digest: value.digests.email.map(|digest| digest.to_vec()),
        phone_digest: value.digests.phone.map(|digest| digest.to_vec()),
    };
    erasure::Entity::insert(row.into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The erasure `id` of `agency`.
pub(crate) async fn find<C: ConnectionTrait>(
    conn: &C,
    agency: &AgencyCode,
    id: Uuid,
) -> Result<Option<Erasure>, Error> {
    let Some(row) = erasure::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    if row.agency != agency.as_str() {
        return Ok(None);
    }
    Ok(Some(Erasure {
        id: row.id,
        agency: agency.clone(),
        erased_by_agency: row.erased_by_agency,
        erased_by_subject: row.erased_by_subject,
        inquiries: u32::try_from(row.inquiry_count).map_err(|_| corrupt("erasure count"))?,
        time: from_micros(row.erase_time),
        digests: ContactDigests {
            email: digest(row.email_digest)?,
            phone: digest(row.phone_digest)?,
        },
    }))
}

fn digest(stored: Option<Vec<u8>>) -> Result<Option<[u8; 32]>, Error> {
    stored
        .map(|bytes| <[u8; 32]>::try_from(bytes).map_err(|_| corrupt("erasure digest")))
        .transpose()
}
