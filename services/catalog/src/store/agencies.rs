//! Agencies: read, list by code or by change, insert, versioned update, and the lookups
//! other writes need (labels for responses, existence, the chain of parent bodies).
//!
//! ListAgencies is the one List paged by a text key, the agency's code, because callers
//! read agencies in code order. It does not use jalia-db's `Keyset`, which refuses text
//! keys on purpose (SQLite and PostgreSQL collate text differently, so a boundary on
//! text could skip or repeat rows on one of them). Here both order alike: codes are
//! ASCII (`[a-z0-9-]`) and the column compares byte-wise on both backends, SQLite's
//! default BINARY collation and `COLLATE "C"` on PostgreSQL (see `migration`). The test
//! below pins that order on whichever backend the run uses, with codes a locale
//! collation would order otherwise.

use std::collections::BTreeSet;

use jalia_db::sea_orm::sea_query::Expr;
use jalia_db::sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Select,
};
use jalia_db::{
    DbError, DbErrorKind, StoredCode, Versioned, from_micros, to_micros, update_versioned,
};
use jalia_model::AgencyCode;
use serde::{Deserialize, Serialize};

use super::entities::agency;
use super::stored::{decode, from_json, to_json};
use crate::domain::agency::{
    Agency, AgencyContent, AgencyKind, AgencyLabels, Lineage, MAX_PARENT_DEPTH,
};
use crate::domain::query::AgencyQuery;

/// Where a page of ListAgencies ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Cursor {
    /// After this code (ordered by code).
    Code(String),
    /// After this (update_time in microseconds, code), when listing changes.
    Updated(i64, String),
}

/// The cursor of the last agency of a page, for the order `query` lists in.
pub(crate) fn cursor_of(query: &AgencyQuery) -> impl Fn(&Agency) -> Cursor {
    let by_update = query.updated_after.is_some();
    move |agency| {
        if by_update {
            Cursor::Updated(to_micros(agency.update_time), agency.code.to_string())
        } else {
            Cursor::Code(agency.code.to_string())
        }
    }
}

fn from_row(row: agency::Model) -> Result<Agency, DbError> {
    let code = AgencyCode::parse(&row.code).map_err(DbError::other)?;
    let content: AgencyContent = from_json(&row.content, "agency content")?;
    let kind: AgencyKind = decode(row.kind)?;
    if kind != content.kind {
        return Err(DbError::other(format!(
            "agency {code}: kind column and content disagree"
        )));
    }
    Ok(Agency {
        code,
        content,
        create_time: from_micros(row.create_time),
        update_time: from_micros(row.update_time),
        version: row.version,
    })
}

fn row(agency: &Agency) -> Result<agency::ActiveModel, DbError> {
    Ok(agency::ActiveModel {
        code: Set(agency.code.to_string()),
        kind: Set(agency.content.kind.code()),
        parent_code: Set(agency.content.parent_body.as_ref().map(ToString::to_string)),
        content: Set(to_json(&agency.content)?),
        create_time: Set(to_micros(agency.create_time)),
        update_time: Set(to_micros(agency.update_time)),
        version: Set(agency.version),
    })
}

fn rows(rows: Vec<agency::Model>) -> Result<Vec<Agency>, DbError> {
    rows.into_iter().map(from_row).collect()
}

/// One agency.
pub(crate) async fn find(
    conn: &impl ConnectionTrait,
    code: &AgencyCode,
) -> Result<Option<Agency>, DbError> {
    agency::Entity::find_by_id(code.to_string())
        .one(conn)
        .await?
        .map(from_row)
        .transpose()
}

/// Stores a new agency; false (and nothing written) when its code is taken.
pub(crate) async fn insert(tx: &DatabaseTransaction, agency: &Agency) -> Result<bool, DbError> {
    match agency::Entity::insert(row(agency)?)
        .exec_without_returning(tx)
        .await
        .map_err(DbError::from)
    {
        Ok(_) => Ok(true),
        Err(err) if err.kind() == DbErrorKind::UniqueViolation => Ok(false),
        Err(err) => Err(err),
    }
}

/// Replaces an agency if it is still at `expected_version`.
pub(crate) async fn update(
    tx: &DatabaseTransaction,
    agency: &Agency,
    expected_version: i64,
) -> Result<Versioned, DbError> {
    update_versioned(
        tx,
        row(agency)?,
        agency::Column::Code.eq(agency.code.as_str()),
        agency::Column::Version,
        expected_version,
    )
    .await
}

/// The agencies `query` matches after `after`, in its order, at most `limit`.
pub(crate) async fn list(
    conn: &impl ConnectionTrait,
    query: &AgencyQuery,
    after: Option<Cursor>,
    limit: u64,
) -> Result<Vec<Agency>, DbError> {
    let mut select = agency::Entity::find();
    if let Some(kind) = query.kind {
        select = select.filter(agency::Column::Kind.eq(kind.code()));
    }
    if let Some(parent) = &query.parent_body {
        select = select.filter(agency::Column::ParentCode.eq(parent.as_str()));
    }
    select = match query.updated_after {
        Some(updated_after) => select
            .filter(agency::Column::UpdateTime.gt(to_micros(updated_after)))
            .order_by_asc(agency::Column::UpdateTime)
            .order_by_asc(agency::Column::Code),
        None => select.order_by_asc(agency::Column::Code),
    };
    rows(after_cursor(select, after).limit(limit).all(conn).await?)
}

/// The rows strictly after `cursor`, compared byte-wise on the code (see the module
/// note).
fn after_cursor(select: Select<agency::Entity>, cursor: Option<Cursor>) -> Select<agency::Entity> {
    match cursor {
        None => select,
        Some(Cursor::Code(code)) => select.filter(agency::Column::Code.gt(code)),
        Some(Cursor::Updated(time, code)) => select.filter(
            Condition::any()
                .add(agency::Column::UpdateTime.gt(time))
                .add(
                    Condition::all()
                        .add(agency::Column::UpdateTime.eq(time))
                        .add(agency::Column::Code.gt(code)),
                ),
        ),
    }
}

/// The names and fallback chains of the agencies named, for the responses that name
/// them; unknown codes are left out.
pub(crate) async fn labels(
    conn: &impl ConnectionTrait,
    codes: &BTreeSet<AgencyCode>,
) -> Result<AgencyLabels, DbError> {
    Ok(AgencyLabels::new(
        by_codes(conn, codes)
            .await?
            .into_iter()
            .map(|agency| (agency.code.clone(), agency.label()))
            .collect(),
    ))
}

/// The agencies with these codes (those that exist).
pub(crate) async fn by_codes(
    conn: &impl ConnectionTrait,
    codes: &BTreeSet<AgencyCode>,
) -> Result<Vec<Agency>, DbError> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    rows(
        agency::Entity::find()
            .filter(agency::Column::Code.is_in(codes.iter().map(AgencyCode::as_str)))
            .all(conn)
            .await?,
    )
}

/// The agencies changed after `since` (microseconds), or all of them: what a replica
/// keeps its search's agency labels current with.
pub(crate) async fn changed_since(
    conn: &impl ConnectionTrait,
    since: Option<i64>,
) -> Result<Vec<Agency>, DbError> {
    let mut select = agency::Entity::find();
    if let Some(since) = since {
        select = select.filter(agency::Column::UpdateTime.gt(since));
    }
    rows(select.all(conn).await?)
}

/// Whether an agency exists.
pub(crate) async fn exists(
    conn: &impl ConnectionTrait,
    code: &AgencyCode,
) -> Result<bool, DbError> {
    let found = agency::Entity::find()
        .select_only()
        .expr(Expr::val(1))
        .filter(agency::Column::Code.eq(code.as_str()))
        .into_tuple::<i32>()
        .one(conn)
        .await?;
    Ok(found.is_some())
}

/// The parent body of an agency: None when the agency does not exist.
async fn parent_of(
    conn: &impl ConnectionTrait,
    code: &AgencyCode,
) -> Result<Option<Option<AgencyCode>>, DbError> {
    let parent = agency::Entity::find()
        .select_only()
        .column(agency::Column::ParentCode)
        .filter(agency::Column::Code.eq(code.as_str()))
        .into_tuple::<Option<String>>()
        .one(conn)
        .await?;
    parent
        .map(|parent| {
            parent
                .map(|code| AgencyCode::parse(&code).map_err(DbError::other))
                .transpose()
        })
        .transpose()
}

/// The bodies above `parent`, nearest first, at most [`MAX_PARENT_DEPTH`] of them; None
/// when `parent` does not exist.
pub(crate) async fn lineage(
    conn: &impl ConnectionTrait,
    parent: &AgencyCode,
) -> Result<Lineage, DbError> {
    let Some(mut next) = parent_of(conn, parent).await? else {
        return Ok(None);
    };
    let mut above = Vec::new();
    while let Some(body) = next {
        if above.len() >= MAX_PARENT_DEPTH {
            break;
        }
        above.push(body.clone());
        next = parent_of(conn, &body).await?.flatten();
    }
    Ok(Some(above))
}

#[cfg(test)]
mod tests {
    use jalia_db::testing::TestDatabase;
    use jalia_model::LocalizedText;

    use super::*;

    async fn stored(db: &jalia_db::Db, codes: &[&str]) {
        for code in codes {
            let mut content = AgencyContent::of_kind(AgencyKind::Commune);
            content.display_name = LocalizedText::single("fr", code);
            let agency = Agency {
                code: AgencyCode::parse(code).unwrap(),
                content,
                create_time: from_micros(0),
                update_time: from_micros(0),
                version: 1,
            };
            let tx = db.begin_write().await.unwrap();
            assert!(insert(&tx, &agency).await.unwrap());
            tx.commit().await.unwrap();
        }
    }

    #[tokio::test]
    async fn agencies_list_and_page_in_byte_order_of_their_codes_on_both_backends() {
        let database = TestDatabase::new().await;
        let db = database.db();
        db.migrate::<super::super::Migrator>().await.unwrap();
        // A locale collation ignores `-` and sorts digits and letters by other rules
        // (`b-m` between `b1` and `bz`); byte order puts `-` (0x2D) before the digits.
        stored(db, &["bz", "b1", "b-m", "a10", "a9", "a-z"]).await;
        let all: Vec<String> = list(db.connection(), &AgencyQuery::default(), None, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.code.to_string())
            .collect();
        assert_eq!(all, ["a-z", "a10", "a9", "b-m", "b1", "bz"]);
        let mut paged = Vec::new();
        let mut after = None;
        loop {
            let page = list(db.connection(), &AgencyQuery::default(), after, 2)
                .await
                .unwrap();
            let Some(last) = page.last() else { break };
            after = Some(cursor_of(&AgencyQuery::default())(last));
            paged.extend(page.into_iter().map(|a| a.code.to_string()));
        }
        assert_eq!(paged, all);
        if db.backend() == jalia_db::Backend::Postgres {
            use jalia_db::sea_orm::{ConnectionTrait, DbBackend, Statement};
            let collation = db
                .connection()
                .query_one_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT collation_name FROM information_schema.columns \
                     WHERE table_name = 'catalog_agencies' AND column_name = 'code'",
                ))
                .await
                .unwrap()
                .unwrap()
                .try_get::<String>("", "collation_name")
                .unwrap();
            assert_eq!(collation, "C", "the code column compares byte-wise");
        }
    }
}
