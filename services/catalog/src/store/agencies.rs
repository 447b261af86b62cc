//! Agencies: read, list by code (byte-wise) or by change, insert, conditional update.

use std::collections::{BTreeMap, BTreeSet};

use jalia_db::sea_orm::sea_query::Expr;
use jalia_db::sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use jalia_db::{Backend, DbErrorKind, from_micros, lock_for_update, to_micros};
use jalia_model::AgencyCode;

use super::entities::agency;
use super::{OrDbError, fetch_limit, from_json, to_json};
use crate::domain::Error;
use crate::domain::agency::{Agency, AgencyContent, AgencyLabel};
use crate::domain::query::{AgencyCursor, AgencyQuery};

fn from_row(row: agency::Model) -> Result<Agency, Error> {
    let code = AgencyCode::parse(&row.code).map_err(Error::Corrupt)?;
    Ok(Agency {
        content: from_json::<AgencyContent>(&row.content, "agency content")?,
        code,
        create_time: from_micros(row.create_time),
        update_time: from_micros(row.update_time),
        version: row.version,
    })
}

fn to_row(agency: &Agency) -> Result<agency::ActiveModel, Error> {
    Ok(agency::ActiveModel {
        code: Set(agency.code.to_string()),
        kind: Set(agency.content.kind.number()),
        parent_code: Set(agency.content.parent_body.as_ref().map(ToString::to_string)),
        content: Set(to_json(&agency.content)?),
        create_time: Set(to_micros(agency.create_time)),
        update_time: Set(to_micros(agency.update_time)),
        version: Set(agency.version),
    })
}

/// One agency.
pub(crate) async fn find(
    conn: &impl ConnectionTrait,
    code: &AgencyCode,
) -> Result<Option<Agency>, Error> {
    agency::Entity::find_by_id(code.to_string())
        .one(conn)
        .await
        .or_db()?
        .map(from_row)
        .transpose()
}

/// One agency, locked until the transaction ends.
pub(crate) async fn find_for_update(
    tx: &DatabaseTransaction,
    backend: Backend,
    code: &AgencyCode,
) -> Result<Option<Agency>, Error> {
    lock_for_update(agency::Entity::find_by_id(code.to_string()), backend)
        .one(tx)
        .await
        .or_db()?
        .map(from_row)
        .transpose()
}

/// Stores a new agency; ALREADY_EXISTS when the code is taken.
pub(crate) async fn insert(tx: &DatabaseTransaction, agency: &Agency) -> Result<(), Error> {
    match agency::Entity::insert(to_row(agency)?)
        .exec_without_returning(tx)
        .await
        .or_db()
    {
        Err(Error::Db(err)) if err.kind() == DbErrorKind::UniqueViolation => {
            Err(Error::AlreadyExists {
                reason: "AGENCY_EXISTS",
                message: format!("agency `{}` exists already", agency.code),
            })
        }
        other => other.map(|_| ()),
    }
}

/// Replaces an agency if it is still at `expected_version`; ABORTED otherwise.
pub(crate) async fn update(
    tx: &DatabaseTransaction,
    agency: &Agency,
    expected_version: i64,
) -> Result<(), Error> {
    let result = agency::Entity::update_many()
        .set(to_row(agency)?)
        .filter(agency::Column::Code.eq(agency.code.as_str()))
        .filter(agency::Column::Version.eq(expected_version))
        .exec(tx)
        .await
        .or_db()?;
    if result.rows_affected == 1 {
        Ok(())
    } else {
        Err(Error::Aborted)
    }
}

/// A page of agencies by code, or by (update_time, code) when filtered on changes.
pub(crate) async fn list(
    conn: &impl ConnectionTrait,
    query: &AgencyQuery,
    after: Option<&AgencyCursor>,
    page_size: u32,
) -> Result<Vec<Agency>, Error> {
    let mut select = agency::Entity::find();
    if let Some(kind) = query.kind {
        select = select.filter(agency::Column::Kind.eq(kind.number()));
    }
    if let Some(parent) = &query.parent_body {
        select = select.filter(agency::Column::ParentCode.eq(parent.as_str()));
    }
    select = match query.updated_after {
        Some(updated_after) => select
            .filter(agency::Column::UpdateTime.gt(updated_after))
            .order_by_asc(agency::Column::UpdateTime)
            .order_by_asc(agency::Column::Code),
        None => select.order_by_asc(agency::Column::Code),
    };
    select = match after {
        Some(AgencyCursor::Code(code)) => select.filter(agency::Column::Code.gt(code.as_str())),
        Some(AgencyCursor::Updated(time, code)) => select.filter(
            Condition::any()
                .add(agency::Column::UpdateTime.gt(*time))
                .add(
                    Condition::all()
                        .add(agency::Column::UpdateTime.eq(*time))
                        .add(agency::Column::Code.gt(code.as_str())),
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

/// The names and fallback chains of the agencies named, for rendering what they own or
/// reference; unknown codes are left out.
pub(crate) async fn labels(
    conn: &impl ConnectionTrait,
    codes: &BTreeSet<AgencyCode>,
) -> Result<BTreeMap<AgencyCode, AgencyLabel>, Error> {
    if codes.is_empty() {
        return Ok(BTreeMap::new());
    }
    agency::Entity::find()
        .filter(agency::Column::Code.is_in(codes.iter().map(AgencyCode::as_str)))
        .all(conn)
        .await
        .or_db()?
        .into_iter()
        .map(|row| {
            let agency = from_row(row)?;
            Ok((
                agency.code.clone(),
                AgencyLabel {
                    chain: agency.content.fallback_chain(),
                    display_name: agency.content.display_name,
                },
            ))
        })
        .collect()
}

/// Whether an agency exists.
pub(crate) async fn exists(conn: &impl ConnectionTrait, code: &AgencyCode) -> Result<bool, Error> {
    let found = agency::Entity::find()
        .select_only()
        .expr(Expr::val(1))
        .filter(agency::Column::Code.eq(code.as_str()))
        .into_tuple::<i32>()
        .one(conn)
        .await
        .or_db()?;
    Ok(found.is_some())
}

/// The parent body of an agency: None when the agency does not exist.
pub(crate) async fn parent_of(
    conn: &impl ConnectionTrait,
    code: &AgencyCode,
) -> Result<Option<Option<AgencyCode>>, Error> {
    let parent = agency::Entity::find()
        .select_only()
        .column(agency::Column::ParentCode)
        .filter(agency::Column::Code.eq(code.as_str()))
        .into_tuple::<Option<String>>()
        .one(conn)
        .await
        .or_db()?;
    parent
        .map(|parent| {
            parent
                .map(|code| AgencyCode::parse(&code).map_err(Error::Corrupt))
                .transpose()
        })
        .transpose()
}
