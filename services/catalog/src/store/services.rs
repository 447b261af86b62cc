//! Public services: the row (with the columns lists filter on), its life-event links and
//! its search tokens, written together; conditional updates on the revision; lists by
//! id or by change under the viewer's status visibility.

use jalia_db::sea_orm::sea_query::{Expr, ExprTrait, Query};
use jalia_db::sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QuerySelect,
};
use jalia_db::{DbError, StoredCode, Versioned, from_micros, to_micros, update_versioned};
use jalia_model::AgencyCode;
use uuid::Uuid;

use super::entities::{search_token, service, service_life_event};
use super::stored::{audience_bit, channel_bit, decode, from_json, to_json};
use super::{IdCursor, agencies, by_id_or_update, terms};
use crate::domain::access::{PrivateScope, StatusVisibility};
use crate::domain::public_service::{
    MissingReferences, PublicService, References, ServiceContent, ServiceName, Status,
};
use crate::domain::query::ServiceQuery;
use crate::domain::taxonomy::TermKind;

/// Rows per multi-row insert of tokens: well under both backends' parameter limits.
const TOKEN_BATCH: usize = 400;

pub(super) fn from_row(row: service::Model) -> Result<PublicService, DbError> {
    Ok(PublicService {
        id: row.id,
        agency: AgencyCode::parse(&row.agency_code).map_err(DbError::other)?,
        content: from_json(&row.content, "service content")?,
        status: decode(row.status)?,
        revision: row.revision,
        create_time: from_micros(row.create_time),
        update_time: from_micros(row.update_time),
        publish_time: row.publish_time.map(from_micros),
        retire_time: row.retire_time.map(from_micros),
    })
}

fn row(service: &PublicService) -> Result<service::ActiveModel, DbError> {
    let content = &service.content;
    Ok(service::ActiveModel {
        id: Set(service.id),
        agency_code: Set(service.agency.to_string()),
        status: Set(service.status.code()),
        category_id: Set(content.category),
        audience_mask: Set(content
            .audiences
            .iter()
            .fold(0, |mask, audience| mask | audience_bit(*audience))),
        channel_mask: Set(content
            .channels
            .iter()
            .fold(0, |mask, channel| mask | channel_bit(channel.kind))),
        content: Set(to_json(&service.content)?),
        revision: Set(service.revision),
        create_time: Set(to_micros(service.create_time)),
        update_time: Set(to_micros(service.update_time)),
        publish_time: Set(service.publish_time.map(to_micros)),
        retire_time: Set(service.retire_time.map(to_micros)),
    })
}

/// One service, under the agency its name says.
pub(crate) async fn find(
    conn: &impl ConnectionTrait,
    name: &ServiceName,
) -> Result<Option<PublicService>, DbError> {
    service::Entity::find_by_id(name.id)
        .filter(service::Column::AgencyCode.eq(name.agency.as_str()))
        .one(conn)
        .await?
        .map(from_row)
        .transpose()
}

/// The references the store does not find: an agency, a category, life events.
pub(crate) async fn missing_references(
    conn: &impl ConnectionTrait,
    references: &References,
) -> Result<MissingReferences, DbError> {
    let competent_authority = match &references.competent_authority {
        Some(authority) if !agencies::exists(conn, authority).await? => Some(authority.clone()),
        _ => None,
    };
    let category = match references.category {
        Some(category)
            if terms::existing(conn, TermKind::Category, &[category])
                .await?
                .is_empty() =>
        {
            Some(category)
        }
        _ => None,
    };
    let found = terms::existing(conn, TermKind::LifeEvent, &references.life_events).await?;
    Ok(MissingReferences {
        competent_authority,
        category,
        life_events: references
            .life_events
            .iter()
            .filter(|id| !found.contains(id))
            .copied()
            .collect(),
    })
}

/// Stores a new service with its life-event links and search tokens.
pub(crate) async fn insert(
    tx: &DatabaseTransaction,
    service: &PublicService,
) -> Result<(), DbError> {
    service::Entity::insert(row(service)?)
        .exec_without_returning(tx)
        .await?;
    insert_life_events(tx, service).await?;
    insert_tokens(tx, service).await
}

/// Replaces a service if it is still at `expected_revision`, rewriting its links and
/// tokens where `previous` differs; nothing is written when it is not.
pub(crate) async fn update(
    tx: &DatabaseTransaction,
    service: &PublicService,
    expected_revision: i64,
    previous: &ServiceContent,
) -> Result<Versioned, DbError> {
    let saved = update_versioned(
        tx,
        row(service)?,
        service::Column::Id.eq(service.id),
        service::Column::Revision,
        expected_revision,
    )
    .await?;
    if saved == Versioned::Stale {
        return Ok(saved);
    }
    if service.content.life_events != previous.life_events {
        service_life_event::Entity::delete_many()
            .filter(service_life_event::Column::ServiceId.eq(service.id))
            .exec(tx)
            .await?;
        insert_life_events(tx, service).await?;
    }
    if service.content.search_texts_differ(previous) {
        search_token::Entity::delete_many()
            .filter(search_token::Column::ServiceId.eq(service.id))
            .exec(tx)
            .await?;
        insert_tokens(tx, service).await?;
    }
    Ok(saved)
}

/// Deletes a service with its links, tokens and revisions if it is still at
/// `expected_revision`; nothing is deleted when it is not.
pub(crate) async fn delete(
    tx: &DatabaseTransaction,
    id: Uuid,
    expected_revision: i64,
) -> Result<Versioned, DbError> {
    // The links, tokens and revisions go first: their foreign keys name the service.
    search_token::Entity::delete_many()
        .filter(search_token::Column::ServiceId.eq(id))
        .exec(tx)
        .await?;
    service_life_event::Entity::delete_many()
        .filter(service_life_event::Column::ServiceId.eq(id))
        .exec(tx)
        .await?;
    super::revisions::delete_all(tx, id).await?;
    let result = service::Entity::delete_many()
        .filter(service::Column::Id.eq(id))
        .filter(service::Column::Revision.eq(expected_revision))
        .exec(tx)
        .await?;
    // Stale makes the caller roll back, which restores what was deleted above.
    Ok(if result.rows_affected == 1 {
        Versioned::Saved
    } else {
        Versioned::Stale
    })
}

async fn insert_life_events(
    tx: &DatabaseTransaction,
    service: &PublicService,
) -> Result<(), DbError> {
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
        .await?;
    Ok(())
}

async fn insert_tokens(tx: &DatabaseTransaction, service: &PublicService) -> Result<(), DbError> {
    let tokens = service.content.search_tokens();
    for batch in tokens.chunks(TOKEN_BATCH) {
        let rows = batch.iter().map(|token| search_token::ActiveModel {
            token: Set(token.token.clone()),
            service_id: Set(service.id),
            field: Set(token.field.code()),
            language: Set(token.language.clone()),
        });
        search_token::Entity::insert_many(rows)
            .exec_without_returning(tx)
            .await?;
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
                .bit_and(audience_bit(audience))
                .ne(0),
        );
    }
    if let Some(kind) = query.channel_kind {
        condition = condition.add(
            column(service::Column::ChannelMask)
                .bit_and(channel_bit(kind))
                .ne(0),
        );
    }
    if let Some(updated_after) = query.updated_after {
        condition = condition.add(column(service::Column::UpdateTime).gt(to_micros(updated_after)));
    }
    let mut statuses = Condition::any();
    if visibility.published {
        statuses = statuses.add(column(service::Column::Status).eq(Status::Published.code()));
    }
    if !visibility.private_statuses.is_empty() {
        let mut private = Condition::all().add(
            column(service::Column::Status).is_in(
                visibility
                    .private_statuses
                    .iter()
                    .map(|status| status.code()),
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

/// The cursor of the last service of a page, for the order `query` lists in.
pub(crate) fn cursor_of(query: &ServiceQuery) -> impl Fn(&PublicService) -> IdCursor {
    let by_update = query.updated_after.is_some();
    move |service| IdCursor::of(by_update, service.update_time, service.id)
}

/// The services `query` matches and the viewer may see, after `after`, by id (creation
/// order) or by (update_time, id), at most `limit`.
pub(crate) async fn list(
    conn: &impl ConnectionTrait,
    query: &ServiceQuery,
    visibility: &StatusVisibility,
    after: Option<IdCursor>,
    limit: u64,
) -> Result<Vec<PublicService>, DbError> {
    let select = service::Entity::find().filter(filter_condition(query, visibility));
    by_id_or_update(
        select,
        service::Column::Id,
        service::Column::UpdateTime,
        query.updated_after.is_some(),
        after,
    )
    .limit(limit)
    .all(conn)
    .await?
    .into_iter()
    .map(from_row)
    .collect()
}
