//! Public services: the row (with the columns lists filter on), its life-event links and
//! its search tokens, written together; conditional updates on the revision; lists by
//! id or by change under the viewer's status visibility.

use jalia_db::sea_orm::sea_query::{Expr, ExprTrait, Query};
use jalia_db::sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use jalia_db::{Backend, from_micros, lock_for_update, to_micros};
use jalia_model::AgencyCode;
use uuid::Uuid;

use super::entities::{search_token, service, service_life_event};
use super::{OrDbError, fetch_limit, from_json, to_json};
use crate::domain::Error;
use crate::domain::access::{PrivateScope, StatusVisibility};
use crate::domain::public_service::{PublicService, ServiceContent, Status};
use crate::domain::query::{IdCursor, ServiceQuery};

/// Rows per multi-row insert of tokens: well under both backends' parameter limits.
const TOKEN_BATCH: usize = 400;

pub(super) fn from_row(row: service::Model) -> Result<PublicService, Error> {
    Ok(PublicService {
        id: row.id,
        agency: AgencyCode::parse(&row.agency_code).map_err(Error::Corrupt)?,
        content: from_json::<ServiceContent>(&row.content, "service content")?,
        status: Status::from_number(row.status)
            .ok_or_else(|| Error::Corrupt(format!("service status {}", row.status)))?,
        revision: row.revision,
        create_time: from_micros(row.create_time),
        update_time: from_micros(row.update_time),
        publish_time: row.publish_time.map(from_micros),
        retire_time: row.retire_time.map(from_micros),
    })
}

fn to_row(service: &PublicService) -> Result<service::ActiveModel, Error> {
    Ok(service::ActiveModel {
        id: Set(service.id),
        agency_code: Set(service.agency.to_string()),
        status: Set(service.status.number()),
        category_id: Set(service.content.category),
        audience_mask: Set(service.content.audience_mask()),
        channel_mask: Set(service.content.channel_mask()),
        content: Set(to_json(&service.content)?),
        revision: Set(service.revision),
        create_time: Set(to_micros(service.create_time)),
        update_time: Set(to_micros(service.update_time)),
        publish_time: Set(service.publish_time.map(to_micros)),
        retire_time: Set(service.retire_time.map(to_micros)),
    })
}

/// One service.
pub(crate) async fn find(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<PublicService>, Error> {
    service::Entity::find_by_id(id)
        .one(conn)
        .await
        .or_db()?
        .map(from_row)
        .transpose()
}

/// One service, locked until the transaction ends.
pub(crate) async fn find_for_update(
    tx: &DatabaseTransaction,
    backend: Backend,
    id: Uuid,
) -> Result<Option<PublicService>, Error> {
    lock_for_update(service::Entity::find_by_id(id), backend)
        .one(tx)
        .await
        .or_db()?
        .map(from_row)
        .transpose()
}

/// Stores a new service with its life-event links and search tokens.
pub(crate) async fn insert(tx: &DatabaseTransaction, service: &PublicService) -> Result<(), Error> {
    service::Entity::insert(to_row(service)?)
        .exec_without_returning(tx)
        .await
        .or_db()?;
    insert_life_events(tx, service).await?;
    insert_tokens(tx, service).await
}

/// Replaces a service if it is still at `expected_revision` (ABORTED otherwise),
/// rewriting its links and tokens where `previous` differs.
pub(crate) async fn update(
    tx: &DatabaseTransaction,
    service: &PublicService,
    expected_revision: i64,
    previous: &ServiceContent,
) -> Result<(), Error> {
    let result = service::Entity::update_many()
        .set(to_row(service)?)
        .filter(service::Column::Id.eq(service.id))
        .filter(service::Column::Revision.eq(expected_revision))
        .exec(tx)
        .await
        .or_db()?;
    if result.rows_affected != 1 {
        return Err(Error::Aborted);
    }
    if service.content.life_events != previous.life_events {
        service_life_event::Entity::delete_many()
            .filter(service_life_event::Column::ServiceId.eq(service.id))
            .exec(tx)
            .await
            .or_db()?;
        insert_life_events(tx, service).await?;
    }
    if service.content.search_texts_differ(previous) {
        search_token::Entity::delete_many()
            .filter(search_token::Column::ServiceId.eq(service.id))
            .exec(tx)
            .await
            .or_db()?;
        insert_tokens(tx, service).await?;
    }
    Ok(())
}

/// Deletes a service with its links, tokens and revisions if it is still at
/// `expected_revision` (ABORTED otherwise).
pub(crate) async fn delete(
    tx: &DatabaseTransaction,
    id: Uuid,
    expected_revision: i64,
) -> Result<(), Error> {
    search_token::Entity::delete_many()
        .filter(search_token::Column::ServiceId.eq(id))
        .exec(tx)
        .await
        .or_db()?;
    service_life_event::Entity::delete_many()
        .filter(service_life_event::Column::ServiceId.eq(id))
        .exec(tx)
        .await
        .or_db()?;
    super::revisions::delete_all(tx, id).await?;
    let result = service::Entity::delete_many()
        .filter(service::Column::Id.eq(id))
        .filter(service::Column::Revision.eq(expected_revision))
        .exec(tx)
        .await
        .or_db()?;
    if result.rows_affected == 1 {
        Ok(())
    } else {
        Err(Error::Aborted)
    }
}

async fn insert_life_events(
    tx: &DatabaseTransaction,
    service: &PublicService,
) -> Result<(), Error> {
    if service.content.life_events.is_empty() {
        return Ok(());
    }
    let links =
        service
            .content
            .life_events
            .iter()
            .map(|life_event| service_life_event::ActiveModel {
                service_id: Set(service.id),
                life_event_id: Set(*life_event),
            });
    service_life_event::Entity::insert_many(links)
        .exec_without_returning(tx)
        .await
        .or_db()?;
    Ok(())
}

async fn insert_tokens(tx: &DatabaseTransaction, service: &PublicService) -> Result<(), Error> {
    let tokens = service.content.search_tokens();
    for batch in tokens.chunks(TOKEN_BATCH) {
        let rows = batch.iter().map(|token| search_token::ActiveModel {
            token: Set(token.token.clone()),
            service_id: Set(service.id),
            field: Set(token.field.number()),
            language: Set(token.language.clone()),
        });
        search_token::Entity::insert_many(rows)
            .exec_without_returning(tx)
            .await
            .or_db()?;
    }
    Ok(())
}

/// The services a list or search may return: the query's filters and what the viewer
/// may see. Columns are qualified, so the condition also serves joined queries.
pub(super) fn filter_condition(query: &ServiceQuery, visibility: &StatusVisibility) -> Condition {
    let column = |column: service::Column| Expr::col((service::Entity, column));
    let mut condition = Condition::all();
    if let Some(agency) = &query.agency {
        condition = condition.add(column(service::Column::AgencyCode).eq(agency.as_str()));
    }
    if let Some(category) = query.category {
        condition = condition.add(column(service::Column::CategoryId).eq(category));
    }
    if let Some(life_event) = query.life_event {
        condition = condition.add(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(service_life_event::Entity)
                .and_where(
                    Expr::col((
                        service_life_event::Entity,
                        service_life_event::Column::ServiceId,
                    ))
                    .equals((service::Entity, service::Column::Id)),
                )
                .and_where(
                    Expr::col((
                        service_life_event::Entity,
                        service_life_event::Column::LifeEventId,
                    ))
                    .eq(life_event),
                )
                .to_owned(),
        ));
    }
    if let Some(audience) = query.audience {
        condition = condition.add(
            column(service::Column::AudienceMask)
                .bit_and(audience.bit())
                .ne(0),
        );
    }
    if let Some(kind) = query.channel_kind {
        condition = condition.add(
            column(service::Column::ChannelMask)
                .bit_and(kind.bit())
                .ne(0),
        );
    }
    if let Some(updated_after) = query.updated_after {
        condition = condition.add(column(service::Column::UpdateTime).gt(updated_after));
    }
    let mut statuses = Condition::any();
    if visibility.published {
        statuses = statuses.add(column(service::Column::Status).eq(Status::Published.number()));
    }
    if !visibility.private_statuses.is_empty() {
        let mut private = Condition::all().add(
            column(service::Column::Status).is_in(
                visibility
                    .private_statuses
                    .iter()
                    .map(|status| status.number()),
            ),
        );
        match &visibility.private_scope {
            PrivateScope::Everything => {}
            PrivateScope::Agency(code) => {
                private = private.add(column(service::Column::AgencyCode).eq(code.as_str()));
            }
            PrivateScope::Nothing => private = private.add(Expr::val(1).eq(0)),
        }
        statuses = statuses.add(private);
    }
    if visibility.is_empty() {
        statuses = statuses.add(Expr::val(1).eq(0));
    }
    condition.add(statuses)
}

/// A page of services by id (creation order), or by (update_time, id).
pub(crate) async fn list(
    conn: &impl ConnectionTrait,
    query: &ServiceQuery,
    visibility: &StatusVisibility,
    after: Option<IdCursor>,
    page_size: u32,
) -> Result<Vec<PublicService>, Error> {
    let mut select = service::Entity::find().filter(filter_condition(query, visibility));
    select = if query.updated_after.is_some() {
        select
            .order_by_asc(service::Column::UpdateTime)
            .order_by_asc(service::Column::Id)
    } else {
        select.order_by_asc(service::Column::Id)
    };
    select = match after {
        Some(IdCursor::Id(id)) => select.filter(service::Column::Id.gt(id)),
        Some(IdCursor::Updated(time, id)) => select.filter(
            Condition::any()
                .add(service::Column::UpdateTime.gt(time))
                .add(
                    Condition::all()
                        .add(service::Column::UpdateTime.eq(time))
                        .add(service::Column::Id.gt(id)),
                ),
        ),
        None => select,
    };
    select
        .limit(fetch_limit(page_size))
        .all(conn)
        .await
        .or_db()?
        .into_iter()
        .map(from_row)
        .collect()
}
