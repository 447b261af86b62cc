//! A service's revisions: appended with every change, listed newest first, read back
//! exactly as written.

use jalia_db::sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use jalia_db::{from_micros, to_micros};
use uuid::Uuid;

use super::entities::revision;
use super::{OrDbError, fetch_limit, from_json, to_json};
use crate::domain::Error;
use crate::domain::public_service::PublicService;
use crate::domain::query::RevisionQuery;
use crate::domain::revision::{Revision, RevisionAction};

fn from_row(row: revision::Model) -> Result<Revision, Error> {
    Ok(Revision {
        number: row.revision,
        action: RevisionAction::from_number(row.action)
            .ok_or_else(|| Error::Corrupt(format!("revision action {}", row.action)))?,
        snapshot: from_json::<PublicService>(&row.snapshot, "revision snapshot")?,
        actor: row.actor,
        create_time: from_micros(row.create_time),
        changed_fields: from_json(&row.changed_fields, "revision changed fields")?,
    })
}

/// Appends a revision.
pub(crate) async fn insert(tx: &DatabaseTransaction, entry: &Revision) -> Result<(), Error> {
    let row = revision::ActiveModel {
        service_id: Set(entry.snapshot.id),
        revision: Set(entry.number),
        action: Set(entry.action.number()),
        snapshot: Set(to_json(&entry.snapshot)?),
        actor: Set(entry.actor.clone()),
        create_time: Set(to_micros(entry.create_time)),
        changed_fields: Set(to_json(&entry.changed_fields)?),
    };
    revision::Entity::insert(row)
        .exec_without_returning(tx)
        .await
        .or_db()?;
    Ok(())
}

/// One revision.
pub(crate) async fn find(
    conn: &impl ConnectionTrait,
    service: Uuid,
    number: i64,
) -> Result<Option<Revision>, Error> {
    revision::Entity::find_by_id((service, number))
        .one(conn)
        .await
        .or_db()?
        .map(from_row)
        .transpose()
}

/// A page of revisions, newest first, before revision `before` when given.
pub(crate) async fn list(
    conn: &impl ConnectionTrait,
    query: &RevisionQuery,
    before: Option<i64>,
    page_size: u32,
) -> Result<Vec<Revision>, Error> {
    let mut select = revision::Entity::find()
        .filter(revision::Column::ServiceId.eq(query.service))
        .order_by_desc(revision::Column::Revision);
    if let Some(created_after) = query.created_after {
        select = select.filter(revision::Column::CreateTime.gt(created_after));
    }
    if let Some(before) = before {
        select = select.filter(revision::Column::Revision.lt(before));
    }
    select
        .limit(fetch_limit(page_size))
        .all(conn)
        .await
        .or_db()?
        .into_iter()
        .map(from_row)
        .collect()
}

/// Deletes every revision of a service (with the draft itself).
pub(crate) async fn delete_all(tx: &DatabaseTransaction, service: Uuid) -> Result<(), Error> {
    revision::Entity::delete_many()
        .filter(revision::Column::ServiceId.eq(service))
        .exec(tx)
        .await
        .or_db()?;
    Ok(())
}
