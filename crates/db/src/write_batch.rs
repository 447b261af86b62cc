//! Writes that end a transaction together: the statements a group commit makes once it
//! has decided every call (the idempotency records, the rows, the change records, the
//! counters) go to PostgreSQL as one statement, each a data-modifying `WITH` query, so
//! the transaction spends one round trip on them rather than one each while it holds
//! its row locks. SQLite has no data-modifying `WITH`, but it runs a script of several
//! statements: sqlx hands each call to the connection's own thread and waits to be woken
//! with the answer, so the batch goes as one script, each write followed by a `SELECT
//! changes()` that reports its count.
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
            (DbBackend::Sqlite, 2..) => self.execute_as_script(conn).await,
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

    async fn execute_as_script(self, conn: &impl ConnectionTrait) -> Result<Written, DbError> {
        let count = self.statements.len();
        let (sql, values) = scripted(self.statements)?;
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                sql,
                values,
            ))
            .await?;
        if rows.len() != count {
            return Err(DbError::other(format!(
                "a script of {count} writes reported {} counts",
                rows.len()
            )));
        }
        let written = rows
            .iter()
            .map(|row| {
                let rows = row.try_get_by_index::<i64>(0)?;
                Ok(u64::try_from(rows).unwrap_or_default())
            })
            .collect::<Result<_, DbError>>()?;
        Ok(Written(written))
    }
}

/// `INSERT …; SELECT changes(); UPDATE …; SELECT changes()`, every placeholder bare and
/// the values in the order they appear.
fn scripted(statements: Vec<Statement>) -> Result<(String, Vec<sea_orm::Value>), DbError> {
    let mut sql = String::new();
    let mut values = Vec::new();
    for statement in statements {
        let own = statement.values.map(|Values(own)| own).unwrap_or_default();
        sql.push_str(&with_bare_placeholders(&statement.sql, &own, &mut values)?);
        sql.push_str("; SELECT changes(); ");
    }
    Ok((sql, values))
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
    // The first statement of every batch keeps its numbers: no need to cut it up.
    if by == 0 {
        return sql.to_owned();
    }
    let mut shifted = String::with_capacity(sql.len() + 16);
    for piece in placeholders(sql, '$') {
        match piece {
            Piece::Text(text) => shifted.push_str(text),
            Piece::Placeholder(Some(number)) => {
                shifted.push('$');
                shifted.push_str(&(number + by).to_string());
            }
            Piece::Placeholder(None) => shifted.push('$'),
        }
    }
    shifted
}

/// A SQLite statement with each placeholder, `?n` or `?`, as a bare `?` and its value
/// pushed onto `values` in the order the placeholders appear. sqlx binds a script's bare
/// placeholders one after another across its statements, but reads `?n` against the
/// whole script's values and leaves unbound a statement's slots below its first `?n`.
fn with_bare_placeholders(
    sql: &str,
    own: &[sea_orm::Value],
    values: &mut Vec<sea_orm::Value>,
) -> Result<String, DbError> {
    let mut bare = String::with_capacity(sql.len());
    let mut highest = 0;
    for piece in placeholders(sql, '?') {
        match piece {
            Piece::Text(text) => bare.push_str(text),
            Piece::Placeholder(number) => {
                // SQLite numbers a bare `?` one past the highest number so far.
                let number = number.unwrap_or(highest + 1);
                highest = highest.max(number);
                let value = own.get(number.wrapping_sub(1)).ok_or_else(|| {
                    DbError::other(format!("placeholder ?{number} of a write has no value"))
                })?;
                values.push(value.clone());
                bare.push('?');
            }
        }
    }
    Ok(bare)
}

/// Part of a statement's SQL: text, or a placeholder and its number if it has one.
enum Piece<'a> {
    Text(&'a str),
    Placeholder(Option<usize>),
}

/// The statement cut at each `sigil` placeholder outside quoted identifiers and string
/// literals.
fn placeholders(sql: &str, sigil: char) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut quote: Option<char> = None;
    let mut text_from = 0;
    let mut chars = sql.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match quote {
            Some(open) if c == open => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == sigil => {
                let mut number = None;
                let mut end = at + c.len_utf8();
                while let Some(&(digit_at, digit)) = chars.peek() {
                    let Some(value) = digit.to_digit(10) else {
                        break;
                    };
                    number = Some(number.unwrap_or(0usize) * 10 + value as usize);
                    end = digit_at + 1;
                    chars.next();
                }
                pieces.push(Piece::Text(&sql[text_from..at]));
                pieces.push(Piece::Placeholder(number));
                text_from = end;
            }
            None => {}
        }
    }
    pieces.push(Piece::Text(&sql[text_from..]));
    pieces
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

    #[test]
    fn sqlite_placeholders_become_bare_with_their_values_in_order_of_appearance() {
        let own: Vec<sea_orm::Value> = vec!["a".into(), "b".into(), "c".into()];
        let mut values = vec![0.into()];
        assert_eq!(
            with_bare_placeholders(
                "UPDATE t SET a = ?2 + ?1, b = ?, c = '?1' || ?2",
                &own,
                &mut values
            )
            .unwrap(),
            "UPDATE t SET a = ? + ?, b = ?, c = '?1' || ?"
        );
        let expected: Vec<sea_orm::Value> =
            vec![0.into(), "b".into(), "a".into(), "c".into(), "b".into()];
        assert_eq!(values, expected);
        assert!(with_bare_placeholders("SELECT ?4", &own, &mut values).is_err());
    }

    #[test]
    fn sqlite_statements_join_into_a_script_counting_each_ones_rows() {
        let first = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "INSERT INTO a (x) VALUES (?), (?)",
            [1.into(), 2.into()],
        );
        let second = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "UPDATE b SET y = ?2 WHERE id = ?1",
            [3.into(), 4.into()],
        );
        let (sql, values) = scripted(vec![first, second]).unwrap();
        assert_eq!(
            sql,
            "INSERT INTO a (x) VALUES (?), (?); SELECT changes(); \
             UPDATE b SET y = ? WHERE id = ?; SELECT changes(); "
        );
        let expected: Vec<sea_orm::Value> = vec![1.into(), 2.into(), 4.into(), 3.into()];
        assert_eq!(values, expected);
    }
}
