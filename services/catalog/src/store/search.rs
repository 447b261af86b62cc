//! Search over the token table, the same SQL on SQLite and PostgreSQL.
//!
//! Each query word is one range scan of the token index, `token >= w AND token < w ||
//! U+10FFFF` (every token starting with w: a byte-wise comparison on a byte-ordered
//! column, SQLite's default collation and "C" on PostgreSQL, so no LIKE escaping or
//! case rules), weighing each token by its field and by whether it is the whole word.
//! The scans are joined with UNION ALL, each row tagged with its word, and grouped by
//! service: `MAX(CASE WHEN word = i THEN weight ELSE 0 END)` is word i's best match. A
//! service matches when every word reached a weight; its score is the sum.
//!
//! Ranking reads only ids and weights; the services of the page are read by id after,
//! so the cost of a common word does not include carrying every match's texts. The
//! in-memory index (`search_index`) ranks the same way without the database; this SQL
//! ranking answers while it is being built and whenever it disagrees with the rows.
//!
//! Search pages by (score, id), score descending, rather than through jalia-db's
//! `Keyset`: the score is computed per query from the matches, not a column, so the
//! position "after (s, id)" is a condition on that expression, written here. It is still
//! a keyset on non-text values (an integer and a UUID), ordered alike on both backends.

use std::collections::HashMap;
use std::sync::Arc;

use jalia_db::sea_orm::sea_query::{
    Alias, CaseStatement, Expr, ExprTrait, Func, JoinType, Order, Query, SelectStatement, UnionType,
};
use jalia_db::sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use jalia_db::{DbError, StoredCode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::entities::{search_token, service};
use super::services::{filter_condition, from_row};
use crate::domain::access::StatusVisibility;
use crate::domain::public_service::PublicService;
use crate::domain::query::SearchQuery;
use crate::domain::search::{self, SearchField};

/// One service found, with its score for the query and the field of its best match.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Hit {
    /// The service found, shared with the search index when it answered.
    pub(crate) service: Arc<PublicService>,
    /// The sum over the query words of their best match's weight.
    pub(crate) score: i64,
    /// The field of the highest-weighted match.
    pub(crate) matched_field: Option<SearchField>,
}

/// A service ranked for a query: its id and, per query word, the best weight it reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ranked {
    /// The service.
    pub(crate) id: Uuid,
    /// Word i's best weight, each above 0.
    pub(crate) weights: Vec<i64>,
}

/// Where a page of a search ends: the last (score, id) served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Cursor {
    /// Its score.
    pub(crate) score: i64,
    /// Its id.
    pub(crate) id: Uuid,
}

/// The cursor of the last hit of a page.
pub(crate) fn cursor_of(hit: &Hit) -> Cursor {
    Cursor {
        score: hit.score,
        id: hit.service.id,
    }
}

const HITS: &str = "hits";
const WORD: &str = "word";
const WEIGHT: &str = "weight";
const MATCHES: &str = "matches";
const SCORE: &str = "score";

fn weight_alias(index: usize) -> String {
    format!("w{index}")
}

/// Above every token that starts with `word`: tokens are letters and digits, never the
/// last code point.
fn prefix_upper_bound(word: &str) -> String {
    format!("{word}\u{10FFFF}")
}

/// The weight of a token's field for a whole-word or a prefix match, as the domain
/// fixes them.
fn field_weight(weight: fn(SearchField) -> i64) -> Expr {
    let field = Expr::col((search_token::Entity, search_token::Column::Field));
    let mut case = CaseStatement::new();
    for search_field in SearchField::ALL {
        case = case.case(
            field.clone().eq(search_field.code()),
            Expr::val(weight(search_field)),
        );
    }
    case.finally(Expr::val(0)).into()
}

fn sum_of_weights(count: usize) -> Expr {
    let mut sum = Expr::val(0);
    for index in 0..count {
        sum = sum.add(Expr::col((
            Alias::new(MATCHES),
            Alias::new(weight_alias(index)),
        )));
    }
    Func::cast_as(sum, Alias::new("BIGINT")).into()
}

/// The tokens of one word's prefix range, tagged with the word's index and weighed.
fn word_scan(index: usize, word: &str) -> SelectStatement {
    let token = || Expr::col((search_token::Entity, search_token::Column::Token));
    let weight = CaseStatement::new()
        .case(
            token().eq(word),
            field_weight(SearchField::whole_word_weight),
        )
        .finally(field_weight(SearchField::prefix_weight));
    Query::select()
        .column((search_token::Entity, search_token::Column::ServiceId))
        // The index is a small number, written as a literal: a typed constant on both
        // backends, where a bare parameter in a UNION would need a cast on PostgreSQL.
        .expr_as(Expr::cust(index.to_string()), Alias::new(WORD))
        .expr_as(Into::<Expr>::into(weight), Alias::new(WEIGHT))
        .from(search_token::Entity)
        .and_where(token().gte(word))
        .and_where(token().lt(prefix_upper_bound(word)))
        .to_owned()
}

/// The services matching every query word that the viewer may see, after `after`, by
/// score descending then id, at most `limit`, ranked by the token table.
pub(crate) async fn rank(
    conn: &impl ConnectionTrait,
    query: &SearchQuery,
    visibility: &StatusVisibility,
    after: Option<Cursor>,
    limit: u64,
) -> Result<Vec<Ranked>, DbError> {
    let mut scans = query
        .words
        .iter()
        .enumerate()
        .map(|(index, word)| word_scan(index, word));
    let Some(mut hits) = scans.next() else {
        return Ok(Vec::new());
    };
    for scan in scans {
        hits.union(UnionType::All, scan);
    }

    let hit = |column: &str| Expr::col((Alias::new(HITS), Alias::new(column)));
    let mut matches = Query::select();
    matches.expr_as(hit("service_id"), Alias::new("service_id"));
    for index in 0..query.words.len() {
        let best = CaseStatement::new()
            .case(hit(WORD).eq(Expr::cust(index.to_string())), hit(WEIGHT))
            .finally(Expr::val(0));
        matches.expr_as(
            Func::max(Into::<Expr>::into(best)),
            Alias::new(weight_alias(index)),
        );
    }
    matches
        .from_subquery(hits, Alias::new(HITS))
        .group_by_col((Alias::new(HITS), Alias::new("service_id")));

    let score = sum_of_weights(query.words.len());
    let mut select = Query::select();
    select.column((service::Entity, service::Column::Id));
    for index in 0..query.words.len() {
        let alias = weight_alias(index);
        select.expr_as(
            Func::cast_as(
                Expr::col((Alias::new(MATCHES), Alias::new(alias.clone()))),
                Alias::new("BIGINT"),
            ),
            Alias::new(alias.clone()),
        );
        select.and_where(Expr::col((Alias::new(MATCHES), Alias::new(alias))).gt(0));
    }
    select
        .expr_as(score.clone(), Alias::new(SCORE))
        .from(service::Entity)
        .join_subquery(
            JoinType::InnerJoin,
            matches,
            Alias::new(MATCHES),
            Expr::col((Alias::new(MATCHES), search_token::Column::ServiceId))
                .equals((service::Entity, service::Column::Id)),
        )
        .cond_where(filter_condition(&query.filter, visibility));
    if let Some(cursor) = after {
        select.cond_where(
            Condition::any().add(score.clone().lt(cursor.score)).add(
                Condition::all()
                    .add(score.clone().eq(cursor.score))
                    .add(Expr::col((service::Entity, service::Column::Id)).gt(cursor.id)),
            ),
        );
    }
    select
        .order_by_expr(score, Order::Desc)
        .order_by((service::Entity, service::Column::Id), Order::Asc)
        .limit(limit);

    conn.query_all(&select)
        .await?
        .into_iter()
        .map(|row| {
            let id: Uuid = row.try_get("", "id")?;
            let weights = (0..query.words.len())
                .map(|index| row.try_get::<i64>("", &weight_alias(index)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Ranked { id, weights })
        })
        .collect()
}

/// The ranked services' rows, read by id, in the ranked order, less those the filter no
/// longer shows (retired or deleted since they were ranked).
pub(crate) async fn hits(
    conn: &impl ConnectionTrait,
    query: &SearchQuery,
    visibility: &StatusVisibility,
    ranked: Vec<Ranked>,
) -> Result<Vec<Hit>, DbError> {
    // Ranking carries only ids and weights, not the services' texts, however many
    // services match; the filter is applied again so a service retired meanwhile is not
    // served.
    let mut rows: HashMap<Uuid, service::Model> = service::Entity::find()
        .filter(service::Column::Id.is_in(ranked.iter().map(|found| found.id)))
        .filter(filter_condition(&query.filter, visibility))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    let mut hits = Vec::with_capacity(ranked.len());
    for found in ranked {
        let Some(row) = rows.remove(&found.id) else {
            continue;
        };
        let (score, matched_field) = search::score(&found.weights);
        hits.push(Hit {
            service: Arc::new(from_row(row)?),
            score,
            matched_field,
        });
    }
    Ok(hits)
}

/// The (id, revision) of every service changed after `since` (microseconds), or of
/// every service: what a replica compares its search index with.
pub(crate) async fn versions(
    conn: &impl ConnectionTrait,
    since: Option<i64>,
) -> Result<Vec<(Uuid, i64)>, DbError> {
    let mut select = service::Entity::find()
        .select_only()
        .column(service::Column::Id)
        .column(service::Column::Revision);
    if let Some(since) = since {
        select = select.filter(service::Column::UpdateTime.gt(since));
    }
    Ok(select.into_tuple().all(conn).await?)
}

/// The services with these ids, whatever their status.
pub(crate) async fn services_by_id(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<PublicService>, DbError> {
    service::Entity::find()
        .filter(service::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}
