//! Categories and life events: read, list by id or by change, insert, versioned update.

use std::collections::BTreeSet;

use jalia_db::sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect,
};
use jalia_db::{DbError, StoredCode, Versioned, from_micros, to_micros, update_versioned};
use uuid::Uuid;

use super::entities::term;
use super::stored::{decode, from_json, to_json};
use super::{IdCursor, by_id_or_update};
use crate::domain::query::TermQuery;
use crate::domain::taxonomy::{Term, TermKind};

fn from_row(row: term::Model) -> Result<Term, DbError> {
    Ok(Term {
        id: row.id,
        kind: decode(row.kind)?,
        content: from_json(&row.content, "term content")?,
        create_time: from_micros(row.create_time),
        update_time: from_micros(row.update_time),
        version: row.version,
    })
}

fn row(term: &Term) -> Result<term::ActiveModel, DbError> {
    Ok(term::ActiveModel {
        id: Set(term.id),
        kind: Set(term.kind.code()),
        content: Set(to_json(&term.content)?),
        create_time: Set(to_micros(term.create_time)),
        update_time: Set(to_micros(term.update_time)),
        version: Set(term.version),
    })
}

/// One term of a kind.
pub(crate) async fn find(
    conn: &impl ConnectionTrait,
    kind: TermKind,
    id: Uuid,
) -> Result<Option<Term>, DbError> {
    term::Entity::find_by_id(id)
        .filter(term::Column::Kind.eq(kind.code()))
        .one(conn)
        .await?
        .map(from_row)
        .transpose()
}

/// Which of `ids` exist as terms of `kind`.
pub(crate) async fn existing(
    conn: &impl ConnectionTrait,
    kind: TermKind,
    ids: &[Uuid],
) -> Result<BTreeSet<Uuid>, DbError> {
    if ids.is_empty() {
        return Ok(BTreeSet::new());
    }
    let found = term::Entity::find()
        .select_only()
        .column(term::Column::Id)
        .filter(term::Column::Kind.eq(kind.code()))
        .filter(term::Column::Id.is_in(ids.iter().copied()))
        .into_tuple::<Uuid>()
        .all(conn)
        .await?;
    Ok(found.into_iter().collect())
}

/// Stores a new term.
pub(crate) async fn insert(tx: &DatabaseTransaction, term: &Term) -> Result<(), DbError> {
    term::Entity::insert(row(term)?)
        .exec_without_returning(tx)
        .await?;
    Ok(())
}

/// Replaces a term if it is still at `expected_version`.
pub(crate) async fn update(
    tx: &DatabaseTransaction,
    term: &Term,
    expected_version: i64,
) -> Result<Versioned, DbError> {
    update_versioned(
        tx,
        row(term)?,
        term::Column::Id.eq(term.id),
        term::Column::Version,
        expected_version,
    )
    .await
}

/// The cursor of the last term of a page, for the order `query` lists in.
pub(crate) fn cursor_of(query: &TermQuery) -> impl Fn(&Term) -> IdCursor {
    let by_update = query.updated_after.is_some();
    move |term| IdCursor::of(by_update, term.update_time, term.id)
}

/// The terms `query` matches after `after`, by id (creation order) or by (update_time,
/// id), at most `limit`.
pub(crate) async fn list(
    conn: &impl ConnectionTrait,
    query: &TermQuery,
    after: Option<IdCursor>,
    limit: u64,
) -> Result<Vec<Term>, DbError> {
    let mut select = term::Entity::find().filter(term::Column::Kind.eq(query.kind.code()));
    if let Some(updated_after) = query.updated_after {
        select = select.filter(term::Column::UpdateTime.gt(to_micros(updated_after)));
    }
    by_id_or_update(
        select,
        term::Column::Id,
        term::Column::UpdateTime,
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
