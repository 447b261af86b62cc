//! Categories and life events: read, list by id or by change, insert, conditional update.

use std::collections::BTreeSet;

use jalia_db::sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use jalia_db::{Backend, from_micros, lock_for_update, to_micros};
use uuid::Uuid;

use super::entities::term;
use super::{OrDbError, fetch_limit, from_json, to_json};
use crate::domain::Error;
use crate::domain::query::{IdCursor, TermQuery};
use crate::domain::taxonomy::{Term, TermContent, TermKind};

fn kind_number(kind: TermKind) -> i32 {
    match kind {
        TermKind::Category => 1,
        TermKind::LifeEvent => 2,
    }
}

fn from_row(row: term::Model) -> Result<Term, Error> {
    let kind = match row.kind {
        1 => TermKind::Category,
        2 => TermKind::LifeEvent,
        other => return Err(Error::Corrupt(format!("term kind {other}"))),
    };
    Ok(Term {
        id: row.id,
        kind,
        content: from_json::<TermContent>(&row.content, "term content")?,
        create_time: from_micros(row.create_time),
        update_time: from_micros(row.update_time),
        version: row.version,
    })
}

fn to_row(term: &Term) -> Result<term::ActiveModel, Error> {
    Ok(term::ActiveModel {
        id: Set(term.id),
        kind: Set(kind_number(term.kind)),
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
) -> Result<Option<Term>, Error> {
    term::Entity::find_by_id(id)
        .filter(term::Column::Kind.eq(kind_number(kind)))
        .one(conn)
        .await
        .or_db()?
        .map(from_row)
        .transpose()
}

/// One term, locked until the transaction ends.
pub(crate) async fn find_for_update(
    tx: &DatabaseTransaction,
    backend: Backend,
    kind: TermKind,
    id: Uuid,
) -> Result<Option<Term>, Error> {
    lock_for_update(
        term::Entity::find_by_id(id).filter(term::Column::Kind.eq(kind_number(kind))),
        backend,
    )
    .one(tx)
    .await
    .or_db()?
    .map(from_row)
    .transpose()
}

/// Which of `ids` exist as terms of `kind`.
pub(crate) async fn existing(
    conn: &impl ConnectionTrait,
    kind: TermKind,
    ids: &[Uuid],
) -> Result<BTreeSet<Uuid>, Error> {
    if ids.is_empty() {
        return Ok(BTreeSet::new());
    }
    let found = term::Entity::find()
        .select_only()
        .column(term::Column::Id)
        .filter(term::Column::Kind.eq(kind_number(kind)))
        .filter(term::Column::Id.is_in(ids.iter().copied()))
        .into_tuple::<Uuid>()
        .all(conn)
        .await
        .or_db()?;
    Ok(found.into_iter().collect())
}

/// Stores a new term.
pub(crate) async fn insert(tx: &DatabaseTransaction, term: &Term) -> Result<(), Error> {
    term::Entity::insert(to_row(term)?)
        .exec_without_returning(tx)
        .await
        .or_db()?;
    Ok(())
}

/// Replaces a term if it is still at `expected_version`; ABORTED otherwise.
pub(crate) async fn update(
    tx: &DatabaseTransaction,
    term: &Term,
    expected_version: i64,
) -> Result<(), Error> {
    let result = term::Entity::update_many()
        .set(to_row(term)?)
        .filter(term::Column::Id.eq(term.id))
        .filter(term::Column::Version.eq(expected_version))
        .exec(tx)
        .await
        .or_db()?;
    if result.rows_affected == 1 {
        Ok(())
    } else {
        Err(Error::Aborted)
    }
}

/// A page of terms by id (creation order), or by (update_time, id).
pub(crate) async fn list(
    conn: &impl ConnectionTrait,
    query: &TermQuery,
    after: Option<IdCursor>,
    page_size: u32,
) -> Result<Vec<Term>, Error> {
    let mut select = term::Entity::find().filter(term::Column::Kind.eq(kind_number(query.kind)));
    select = match query.updated_after {
        Some(updated_after) => select
            .filter(term::Column::UpdateTime.gt(updated_after))
            .order_by_asc(term::Column::UpdateTime)
            .order_by_asc(term::Column::Id),
        None => select.order_by_asc(term::Column::Id),
    };
    select = match after {
        Some(IdCursor::Id(id)) => select.filter(term::Column::Id.gt(id)),
        Some(IdCursor::Updated(time, id)) => select.filter(
            Condition::any().add(term::Column::UpdateTime.gt(time)).add(
                Condition::all()
                    .add(term::Column::UpdateTime.eq(time))
                    .add(term::Column::Id.gt(id)),
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
