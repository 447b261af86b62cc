//! Optimistic updates of versioned rows: `UPDATE ... SET ..., version = expected + 1
//! WHERE <key> AND version = expected`. When another change got there first, nothing is
//! written and the caller learns the row is stale (ABORTED, reason `STALE_ETAG`), without
//! holding a lock between its read and its write.

use sea_orm::sea_query::{IntoCondition, Value};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::error::DbError;

/// What a versioned update did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a stale update wrote nothing: report it"]
pub enum Versioned {
    /// The row was at the expected version and now holds the new values.
    Saved,
    /// The row was not at the expected version (or is gone): nothing was written.
    Stale,
}

impl Versioned {
    /// `Ok` when saved, else `stale` (the service's STALE_ETAG error).
    pub fn saved_or<E>(self, stale: E) -> Result<(), E> {
        match self {
            Self::Saved => Ok(()),
            Self::Stale => Err(stale),
        }
    }
}

/// Writes `row` over the row matching `key` if that row's `version` column is still
/// `expected`, setting the version to `expected + 1` whatever `row` says. Columns `row`
/// leaves unset keep their values.
pub async fn update_versioned<A>(
    conn: &impl ConnectionTrait,
    mut row: A,
    key: impl IntoCondition,
    version: <A::Entity as EntityTrait>::Column,
    expected: i64,
) -> Result<Versioned, DbError>
where
    A: ActiveModelTrait + Send,
{
    let next = expected
        .checked_add(1)
        .ok_or_else(|| DbError::other("a row's version cannot grow any more"))?;
    row.try_set(version, Value::BigInt(Some(next)))?;
    let result = <A::Entity as EntityTrait>::update_many()
        .set(row)
        .filter(key.into_condition())
        .filter(version.eq(expected))
        .exec(conn)
        .await?;
    Ok(if result.rows_affected == 0 {
        Versioned::Stale
    } else {
        Versioned::Saved
    })
}
