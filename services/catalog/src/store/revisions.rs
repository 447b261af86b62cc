//! A service's revisions: appended with every change, listed newest first, read back
//! exactly as written.

use jalia_db::sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect,
};
use jalia_db::{DbError, Direction, Keyset, StoredCode, from_micros, to_micros};
use uuid::Uuid;

use super::entities::revision;
use super::stored::{decode, from_json, to_json};
use crate::domain::query::RevisionQuery;
use crate::domain::revision::Revision;

fn from_row(row: revision::Model) -> Result<Revision, DbError> {
    Ok(Revision {
        number: row.revision,
        action: decode(row.action)?,
        snapshot: from_json(&row.snapshot, "revision snapshot")?,
        actor: row.actor,
        create_time: from_micros(row.create_time),
        changed_fields: from_json(&row.changed_fields, "revision changed fields")?,
    })
}

/// Appends a revision.
pub(crate) async fn insert(tx: &DatabaseTransaction, entry: &Revision) -> Result<(), DbError> {
    let row = revision::ActiveModel {
        service_id: Set(entry.snapshot.id),
        revision: Set(entry.number),
        action: Set(entry.action.code()),
        snapshot: Set(to_json(&entry.snapshot)?),
        actor: Set(entry.actor.clone()),
        create_time: Set(to_micros(entry.create_time)),
        changed_fields: Set(to_json(&entry.changed_fields)?),
    };
    revision::Entity::insert(row)
        .exec_without_returning(tx)
        .await?;
    Ok(())
}

/// One revision.
pub(crate) async fn find(
    conn: &impl ConnectionTrait,
    service: Uuid,
    number: i64,
) -> Result<Option<Revision>, DbError> {
    revision::Entity::find_by_id((service, number))
        .one(conn)
        .await?
        .map(from_row)
        .transpose()
}

/// The revisions of the query's service, newest first, before revision `before` when
/// continuing a list, at most `limit`.
pub(crate) async fn list(
    conn: &impl ConnectionTrait,
    query: &RevisionQuery,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<Revision>, DbError> {
    let mut select = revision::Entity::find().filter(revision::Column::ServiceId.eq(query.service));
    if let Some(created_after) = query.created_after {
        select = select.filter(revision::Column::CreateTime.gt(to_micros(created_after)));
    }
    Keyset::new([revision::Column::Revision], Direction::Descending)
        .apply(select, before.map(|number| [number.into()]))
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// Deletes every revision of a service (with the draft itself).
pub(crate) async fn delete_all(tx: &DatabaseTransaction, service: Uuid) -> Result<(), DbError> {
    revision::Entity::delete_many()
        .filter(revision::Column::ServiceId.eq(service))
        .exec(tx)
        .await?;
    Ok(())
}
