//! Writes that end a transaction together: the statements a group commit makes once it
//! has decided every call (the idempotency records, the rows, the change records, the
//! counters) go to PostgreSQL as one statement, each a data-modifying `WITH` query, so
//! the transaction spends one round trip on them rather than one each while it holds
//! its row locks. SQLite has no data-modifying `WITH`, and its statements cost no round
//! trip: they run one after another.
//!
//! The statements of one batch must not depend on each other's effects: PostgreSQL runs
//! them against one snapshot, in no set order. Constraints still hold, as they are
//! checked once the whole statement has run (a row and the rows referencing it may be
//! written together).

use sea_orm::{ConnectionTrait, DbBackend, Statement, Values};

use crate::error::DbError;

/// Statements to write together; see the module's documentation.
#[derive(Debug)]
pub struct WriteBatch {
    backend: DbBackend,
    statements: Vec<Statement>,
}

/// Which statement of a batch a count belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteSlot(usize);

/// How many rows each statement of a batch wrote.
#[derive(Debug)]
pub struct Written(Vec<u64>);

impl Written {
    /// The rows the statement in `slot` inserted, updated or deleted.
    pub fn rows(&self, slot: WriteSlot) -> u64 {
        self.0.get(slot.0).copied().unwrap_or_default()
    }
}

impl WriteBatch {
    /// An empty batch for `backend`'s SQL.
    pub fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            statements: Vec::new(),
        }
    }

    /// Whose SQL the statements are built in.
    pub fn backend(&self) -> DbBackend {
        self.backend
    }

    /// Adds an INSERT, UPDATE or DELETE without a RETURNING clause, built for this
    /// batch's backend with numbered placeholders (`$1`) on PostgreSQL.
    pub fn add(&mut self, statement: Statement) -> WriteSlot {
        self.statements.push(statement);
        WriteSlot(self.statements.len() - 1)
    }

    /// Runs every statement; what each wrote, by slot.
    pub async fn execute(self, conn: &impl ConnectionTrait) -> Result<Written, DbError> {
        match (self.backend, self.statements.len()) {
            (DbBackend::Postgres, 2..) => self.execute_as_one(conn).await,
            _ => {
                let mut written = Vec::with_capacity(self.statements.len());
                for statement in self.statements {
                    written.push(conn.execute_raw(statement).await?.rows_affected());
                }
                Ok(Written(written))
            }
        }
    }

    async fn execute_as_one(self, conn: &impl ConnectionTrait) -> Result<Written, DbError> {
        let count = self.statements.len();
        let (sql, values) = joined(self.statements);
        let row = conn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                values,
            ))
            .await?
            .ok_or_else(|| DbError::other("the joined writes returned no row"))?;
        let written = (0..count)
            .map(|index| {
                let rows = row.try_get_by_index::<i64>(index)?;
                Ok(u64::try_from(rows).unwrap_or_default())
            })
            .collect::<Result<_, DbError>>()?;
        Ok(Written(written))
    }
}

/// `WITH w0 AS (… RETURNING 1), w1 AS (…) SELECT (SELECT count(*) FROM w0), …`, with
/// each statement's placeholders shifted past the ones before it.
fn joined(statements: Vec<Statement>) -> (String, Vec<sea_orm::Value>) {
    let mut queries = Vec::with_capacity(statements.len());
    let mut counts = Vec::with_capacity(statements.len());
    let mut values = Vec::new();
    for (index, statement) in statements.into_iter().enumerate() {
        let shifted = shift_placeholders(&statement.sql, values.len());
        queries.push(format!("w{index} AS ({shifted} RETURNING 1)"));
        counts.push(format!("(SELECT count(*) FROM w{index})"));
        if let Some(Values(own)) = statement.values {
            values.extend(own);
        }
    }
    let sql = format!("WITH {} SELECT {}", queries.join(", "), counts.join(", "));
    (sql, values)
}

/// Renumbers PostgreSQL's `$n` placeholders to `$(n + by)`, leaving quoted identifiers
/// and string literals as they are.
fn shift_placeholders(sql: &str, by: usize) -> String {
    if by == 0 {
        return sql.to_owned();
    }
    let mut shifted = String::with_capacity(sql.len() + 16);
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(open), _) if c == open => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '$') if chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut number = 0usize;
                while let Some(digit) = chars.peek().and_then(|next| next.to_digit(10)) {
                    number = number * 10 + digit as usize;
                    chars.next();
                }
                shifted.push('$');
                shifted.push_str(&(number + by).to_string());
                continue;
            }
            (None, _) => {}
        }
        shifted.push(c);
    }
    shifted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_shifted_outside_quotes_only() {
        assert_eq!(
            shift_placeholders(r#"INSERT INTO "t$1" ("a") VALUES ($1, '$2', $10)"#, 3),
            r#"INSERT INTO "t$1" ("a") VALUES ($4, '$2', $13)"#
        );
        assert_eq!(
            shift_placeholders("UPDATE t SET a = $1", 0),
            "UPDATE t SET a = $1"
        );
    }

    #[test]
    fn statements_join_into_one_with_values_in_order() {
        let first = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO a (x) VALUES ($1), ($2)",
            [1.into(), 2.into()],
        );
        let second = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE b SET y = $1 WHERE id = $2",
            [3.into(), 4.into()],
        );
        let (sql, values) = joined(vec![first, second]);
        assert_eq!(
            sql,
            "WITH w0 AS (INSERT INTO a (x) VALUES ($1), ($2) RETURNING 1), \
             w1 AS (UPDATE b SET y = $3 WHERE id = $4 RETURNING 1) \
             SELECT (SELECT count(*) FROM w0), (SELECT count(*) FROM w1)"
        );
        let expected: Vec<sea_orm::Value> = vec![1.into(), 2.into(), 3.into(), 4.into()];
        assert_eq!(values, expected);
    }
}
