//! Inquiry categories and the unique names that keep two of one agency apart.

use std::collections::HashMap;

use jalia_db::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QuerySelect,
};
use jalia_db::{
    Backend, DbError, DbErrorKind, Direction, Keyset, from_micros, lock_for_update, to_micros,
};
use jalia_model::{AgencyCode, reasons};
use uuid::Uuid;

use super::entities::{category, category_name};
use super::stored::StoredName;
use super::{corrupt, stored_i32};
use crate::domain::Error;
use crate::domain::category::{Category, name_keys};
use crate::domain::query::CategoryFilter;

/// Stores a new category; a name another category of the agency has is ALREADY_EXISTS.
pub(crate) async fn insert<C: ConnectionTrait>(conn: &C, value: &Category) -> Result<(), Error> {
    category::Entity::insert(row(value)?.into_active_model().reset_all())
        .exec_without_returning(conn)
        .await?;
    insert_names(conn, value).await
}

/// Stores a category's new state, names included.
pub(crate) async fn update<C: ConnectionTrait>(conn: &C, value: &Category) -> Result<(), Error> {
    category::Entity::update(row(value)?.into_active_model().reset_all())
        .exec_without_returning(conn)
        .await?;
    category_name::Entity::delete_many()
        .filter(category_name::Column::CategoryId.eq(value.id))
        .exec(conn)
        .await?;
    insert_names(conn, value).await
}

/// The category `id` of `agency`.
pub(crate) async fn find<C: ConnectionTrait>(
    conn: &C,
    agency: &AgencyCode,
    id: Uuid,
) -> Result<Option<Category>, Error> {
    category::Entity::find_by_id(id)
        .filter(category::Column::Agency.eq(agency.as_str()))
        .one(conn)
        .await?
        .map(from_row)
        .transpose()
}

/// The category `id` of `agency`, locked until the transaction ends.
pub(crate) async fn lock<C: ConnectionTrait>(
    conn: &C,
    backend: Backend,
    agency: &AgencyCode,
    id: Uuid,
) -> Result<Option<Category>, Error> {
    lock_for_update(
        category::Entity::find_by_id(id).filter(category::Column::Agency.eq(agency.as_str())),
        backend,
    )
    .one(conn)
    .await?
    .map(from_row)
    .transpose()
}

/// The categories with these ids, by id.
pub(crate) async fn by_ids<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, Category>, Error> {
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    category::Entity::find()
        .filter(category::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| from_row(row).map(|category| (category.id, category)))
        .collect()
}

/// A page of categories in id (creation) order, after `after`.
pub(crate) async fn list<C: ConnectionTrait>(
    conn: &C,
    filter: &CategoryFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Category>, Error> {
    let mut condition = Condition::all();
    if let Some(agency) = &filter.agency {
        condition = condition.add(category::Column::Agency.eq(agency.as_str()));
    }
    if let Some(instant) = filter.updated_after {
        condition = condition.add(category::Column::UpdatedAt.gt(to_micros(instant)));
    }
    Keyset::new([category::Column::Id], Direction::Ascending)
        .apply(
            category::Entity::find().filter(condition),
            after.map(|id| [id.into()]),
        )
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

async fn insert_names<C: ConnectionTrait>(conn: &C, value: &Category) -> Result<(), Error> {
    let names = name_keys(&value.display_name)
        .into_iter()
        .map(|(language, name_key)| {
            category_name::Model {
                agency: value.agency.to_string(),
                language,
                name_key,
                category_id: value.id,
            }
            .into_active_model()
            .reset_all()
        })
        .collect::<Vec<_>>();
    if names.is_empty() {
        return Ok(());
    }
    category_name::Entity::insert_many(names)
        .exec_without_returning(conn)
        .await
        .map_err(|err| {
            let err = DbError::from(err);
            if err.kind() == DbErrorKind::UniqueViolation {
                Error::AlreadyExists {
                    reason: reasons::CATEGORY_NAME_TAKEN,
                    message: "another category of the agency has this name in one of its languages"
                        .to_owned(),
                }
            } else {
                err.into()
            }
        })?;
    Ok(())
}

fn row(value: &Category) -> Result<category::Model, Error> {
    Ok(category::Model {
        id: value.id,
        agency: value.agency.to_string(),
        display_name: StoredName::encode(&value.display_name)?,
        default_response_days: stored_i32(value.default_response_days, "response days")?,
        created_at: to_micros(value.created_at),
        updated_at: to_micros(value.updated_at),
        version: value.version,
        count_working_days: value.count_working_days,
    })
}

fn from_row(row: category::Model) -> Result<Category, Error> {
    let display_name = StoredName::decode(&row.display_name)?;
    Ok(Category {
        id: row.id,
        agency: AgencyCode::parse(&row.agency).map_err(|_| corrupt("agency"))?,
        display_name,
        default_response_days: i64::from(row.default_response_days),
        created_at: from_micros(row.created_at),
        updated_at: from_micros(row.updated_at),
        version: row.version,
        count_working_days: row.count_working_days,
    })
}
