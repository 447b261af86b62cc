//! Change feeds (ARCHITECTURE.md §5): a transactional outbox in each service's database.
//!
//! A use case records a change with [`record_change`] inside the write transaction that
//! makes it, so a change is recorded if and only if it commits. Readers deliver the
//! records in commit order from an opaque [`Cursor`]:
//!
//! - SQLite has one writer, so ids are assigned in commit order; the cursor is `0.{id}`.
//! - PostgreSQL assigns ids when rows are inserted, and transactions commit in another
//!   order, so a reader that went by id alone could pass over an id that commits later.
//!   Each record also keeps the writing transaction's id (`pg_current_xact_id()`), and a
//!   reader delivers only records whose transaction id is below the oldest transaction
//!   still running (`pg_snapshot_xmin(pg_current_snapshot())`): every such transaction has
//!   finished, and any transaction that commits later has an id at or above that horizon.
//!   Records are delivered ordered by (transaction id, id), which never goes back.
//!
//! A service follows its feed with [`Db::watch_feed`], which reads its own kinds back
//! from their stored names and yields the model's typed items.
//!
//! Records older than the retention are purged in bounded batches
//! ([`Db::purge_changes_older_than`]); the highest purged position is kept, and a cursor
//! below it is [`ChangeFeedError::Expired`] ([`FeedStartError::Expired`] to a service).

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use jalia_model::{AgencyCode, FeedChange, WatchQuery};
use jiff::Timestamp;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};

use crate::connect::{Backend, Db};
use crate::error::DbError;
use crate::time::{from_micros, to_micros};
use crate::write_batch::WriteBatch;

/// The outbox table each service's migrator creates with [`CreateChanges`].
pub const CHANGES_TABLE: &str = "jalia_changes";
/// The table of named positions in the outbox (the retention's watermark, publishers'
/// cursors).
pub const CHANGE_POSITIONS_TABLE: &str = "jalia_change_positions";
/// The position below which records were purged.
const RETENTION_POSITION: &str = "retention";
/// Records deleted per purge transaction, so that a purge never holds the outbox long.
const PURGE_BATCH: u64 = 500;
/// How long a change record is kept when the service's setting does not say.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;
/// The longest a watch runs before it ends (OK) for the client to resume with its cursor.
pub const MAX_WATCH_DURATION: Duration = Duration::from_secs(300);

/// A position in a service's outbox: every record up to it has been seen. Clients hold it
/// as an opaque string (`{xact}.{id}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cursor {
    xact: i64,
    id: i64,
}

impl Cursor {
    /// The position before every record.
    pub const START: Cursor = Cursor { xact: 0, id: 0 };

    fn from_row(row: &QueryResult) -> Result<Self, DbError> {
        Ok(Self {
            xact: row.try_get_by_index::<i64>(0)?,
            id: row.try_get_by_index::<i64>(1)?,
        })
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.xact, self.id)
    }
}

/// A cursor that this suite never issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cursor must be a value returned by WatchChanges")]
pub struct MalformedCursor;

impl FromStr for Cursor {
    type Err = MalformedCursor;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (xact, id) = text.split_once('.').ok_or(MalformedCursor)?;
        let part = |digits: &str| -> Result<i64, MalformedCursor> {
            if digits.is_empty() || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(MalformedCursor);
            }
            digits.parse().map_err(|_| MalformedCursor)
        };
        Ok(Self {
            xact: part(xact)?,
            id: part(id)?,
        })
    }
}

/// Where a watch starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeStart {
    /// After the changes committed so far: only what happens from now on.
    Now,
    /// From the oldest record the retention kept.
    Oldest,
    /// After a cursor a previous watch returned.
    After(Cursor),
}

impl ChangeStart {
    /// A request's `cursor` (empty = not given) and its "from the oldest kept" flag.
    /// A cursor wins over the flag.
    pub fn parse(cursor: &str, from_oldest: bool) -> Result<Self, MalformedCursor> {
        if !cursor.is_empty() {
            return cursor.parse().map(Self::After);
        }
        Ok(if from_oldest { Self::Oldest } else { Self::Now })
    }
}

/// A change as a use case records it. No personal data: the resource's name says which.
#[derive(Debug, Clone, Copy)]
pub struct NewChange<'a> {
    /// The service's stable name of what happened (e.g. `registration.promoted`).
    pub kind: &'a str,
    /// The full resource name (`agencies/bm/events/123/registrations/456`).
    pub resource: &'a str,
    /// The agency code that owns the resource; feeds are filtered by it.
    pub agency: &'a str,
    /// When it happened (the use case's clock).
    pub time: Timestamp,
}

/// A recorded change, as a reader delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Its position: resuming from it delivers what came after.
    pub cursor: Cursor,
    /// What happened, as the service recorded it.
    pub kind: String,
    /// The resource's full name.
    pub resource: String,
    /// The owning agency's code.
    pub agency: String,
    /// When it happened.
    pub time: Timestamp,
}

/// Which changes a reader delivers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeFilter {
    /// Only this agency's changes; `None` = every agency (ministry-wide callers only: the
    /// service decides who may ask for it).
    pub agency: Option<String>,
    /// Only these kinds; empty = every kind.
    pub kinds: Vec<String>,
}

impl ChangeFilter {
    /// Whether a change passes the filter.
    pub fn matches(&self, change: &Change) -> bool {
        self.agency
            .as_deref()
            .is_none_or(|agency| agency == change.agency)
            && (self.kinds.is_empty() || self.kinds.contains(&change.kind))
    }
}

/// What a read of the outbox gives: the records after the position, in commit order, and
/// the position the reader reached (its last record's, or the one it started from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeBatch {
    /// The records, unfiltered.
    pub changes: Vec<Change>,
    /// Where the next read starts.
    pub position: Cursor,
}

/// Why a watch could not start.
#[derive(Debug, thiserror::Error)]
pub enum ChangeFeedError {
    /// The cursor is older than what the retention kept: records after it are gone, so
    /// resuming from it would silently miss changes (FAILED_PRECONDITION `CURSOR_EXPIRED`).
    #[error("the cursor is older than the change records kept")]
    Expired,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Why a service's feed ([`Db::watch_feed`]) could not start: the call's answer, before
/// anything is streamed.
#[derive(Debug, thiserror::Error)]
pub enum FeedStartError {
    /// The request's cursor is not one a watch returned (INVALID_ARGUMENT on `cursor`).
    #[error(transparent)]
    Cursor(#[from] MalformedCursor),
    /// The cursor is older than what the retention kept (FAILED_PRECONDITION
    /// `CURSOR_EXPIRED`).
    #[error("the cursor is older than the change records kept")]
    Expired,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<ChangeFeedError> for FeedStartError {
    fn from(err: ChangeFeedError) -> Self {
        match err {
            ChangeFeedError::Expired => Self::Expired,
            ChangeFeedError::Db(err) => Self::Db(err),
        }
    }
}

/// What a watch sends: the outbox's own [`Change`] from [`Db::watch_changes`]; the
/// service's typed change inside [`Db::watch_feed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedItem<C = Change> {
    /// A change that passed the filter.
    Change(C),
    /// Nothing new matched; the position reached, so an idle client can advance its
    /// cursor. Sent every heartbeat interval while idle and once as the watch ends.
    Heartbeat(Cursor),
}

/// How a watch polls and when it ends.
#[derive(Debug, Clone, Copy)]
pub struct WatchOptions {
    /// How often the outbox is read while nothing is pending (it is read again at once
    /// after a full batch).
    pub poll_interval: Duration,
    /// How long an idle watch waits before sending a heartbeat; below the servers' response
    /// idle timeout (30 s by default), which ends responses that send nothing.
    pub heartbeat_interval: Duration,
    /// Records read per query.
    pub batch_size: u64,
    /// When the watch ends, with OK, after a last heartbeat.
    pub ends_at: tokio::time::Instant,
}

impl WatchOptions {
    /// The defaults (poll every 250 ms, heartbeat every 15 s, batches of 200), ending after
    /// [`MAX_WATCH_DURATION`] or a little before the call's deadline, whichever comes first,
    /// so that the last heartbeat reaches the client before its deadline does.
    pub fn within(deadline: Option<tokio::time::Instant>) -> Self {
        let now = tokio::time::Instant::now();
        let longest = now + MAX_WATCH_DURATION;
        let ends_at = deadline.map_or(longest, |deadline| {
            let remaining = deadline.saturating_duration_since(now);
            let margin = (remaining / 10).min(Duration::from_secs(2));
            (deadline - margin).min(longest)
        });
        Self {
            poll_interval: Duration::from_millis(250),
            heartbeat_interval: Duration::from_secs(15),
            batch_size: 200,
            ends_at,
        }
    }
}

/// Records a change in the write transaction that makes it (`Db::write` or
/// `Db::create_once` bodies), so it commits or rolls back with the change.
pub async fn record_change<C: ConnectionTrait>(
    conn: &C,
    change: &NewChange<'_>,
) -> Result<(), DbError> {
    record_changes(conn, std::slice::from_ref(change)).await
}

/// Records several changes of one write transaction in one statement (a group commit's
/// registrations), in the order given; nothing for an empty slice.
pub async fn record_changes<C: ConnectionTrait>(
    conn: &C,
    changes: &[NewChange<'_>],
) -> Result<(), DbError> {
    if let Some(statement) = changes_statement(conn.get_database_backend(), changes) {
        conn.execute_raw(statement).await?;
    }
    Ok(())
}

/// [`record_changes`] as one statement of a [`WriteBatch`]; nothing for an empty slice.
pub fn add_changes(batch: &mut WriteBatch, changes: &[NewChange<'_>]) {
    if let Some(statement) = changes_statement(batch.backend(), changes) {
        batch.add(statement);
    }
}

fn changes_statement(backend: DbBackend, changes: &[NewChange<'_>]) -> Option<Statement> {
    if changes.is_empty() {
        return None;
    }
    let xact = match backend {
        DbBackend::Postgres => "pg_current_xact_id()::text::bigint",
        _ => "0",
    };
    let placeholder = match backend {
        DbBackend::Postgres => '$',
        _ => '?',
    };
    let mut rows = Vec::with_capacity(changes.len());
    let mut values = Vec::with_capacity(changes.len() * 4);
    for (index, change) in changes.iter().enumerate() {
        let first = index * 4 + 1;
        rows.push(format!(
            "({xact}, {placeholder}{}, {placeholder}{}, {placeholder}{}, {placeholder}{})",
            first,
            first + 1,
            first + 2,
            first + 3
        ));
        values.extend([
            change.kind.into(),
            change.resource.into(),
            change.agency.into(),
            to_micros(change.time).into(),
        ]);
    }
    let sql = format!(
        "INSERT INTO {CHANGES_TABLE} (xact, kind, resource, agency, change_time) VALUES {}",
        rows.join(", ")
    );
    Some(Statement::from_sql_and_values(backend, sql, values))
}

impl Db {
    /// Resolves where a watch starts, refusing a cursor older than the records kept.
    pub async fn change_start(&self, start: ChangeStart) -> Result<Cursor, ChangeFeedError> {
        let purged = self.change_position(RETENTION_POSITION).await?;
        match start {
            ChangeStart::Oldest => Ok(purged.unwrap_or(Cursor::START)),
            ChangeStart::After(cursor) if purged.is_some_and(|purged| cursor < purged) => {
                Err(ChangeFeedError::Expired)
            }
            ChangeStart::After(cursor) => Ok(cursor),
            ChangeStart::Now => Ok(self.change_head().await?.max(purged.unwrap_or_default())),
        }
    }

    /// The position of the last record a reader can deliver now.
    pub async fn change_head(&self) -> Result<Cursor, DbError> {
        let sql = format!(
            "SELECT xact, id FROM {CHANGES_TABLE} WHERE {} ORDER BY xact DESC, id DESC LIMIT 1",
            self.settled_condition()
        );
        let row = self
            .connection()
            .query_one_raw(statement(self.db_backend(), &sql, []))
            .await?;
        row.as_ref().map_or(Ok(Cursor::START), Cursor::from_row)
    }

    /// Up to `limit` records after `after` that can be delivered now, in commit order.
    pub async fn read_changes(&self, after: Cursor, limit: u64) -> Result<ChangeBatch, DbError> {
        let sql = format!(
            "SELECT xact, id, kind, resource, agency, change_time FROM {CHANGES_TABLE} \
             WHERE (xact > $1 OR (xact = $1 AND id > $2)) AND {} \
             ORDER BY xact, id LIMIT $3",
            self.settled_condition()
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .connection()
            .query_all_raw(statement(
                self.db_backend(),
                &sql,
                [after.xact.into(), after.id.into(), limit.into()],
            ))
            .await?;
        let mut position = after;
        let mut changes = Vec::with_capacity(rows.len());
        for row in &rows {
            let cursor = Cursor::from_row(row)?;
            position = cursor;
            changes.push(Change {
                cursor,
                kind: row.try_get_by_index(2)?,
                resource: row.try_get_by_index(3)?,
                agency: row.try_get_by_index(4)?,
                time: from_micros(row.try_get_by_index(5)?),
            });
        }
        Ok(ChangeBatch { changes, position })
    }

    /// Follows the outbox from `from` (see [`Db::change_start`]): history first, then live
    /// changes as they commit, with heartbeats while idle, until `options.ends_at`. A
    /// database failure is the stream's last item.
    pub fn watch_changes(
        &self,
        from: Cursor,
        filter: ChangeFilter,
        options: WatchOptions,
    ) -> impl Stream<Item = Result<FeedItem, DbError>> + Send + 'static {
        self.follow(from, options, move |change| {
            filter.matches(&change).then_some(change)
        })
    }

    /// A service's feed: resolves where `query` starts (its cursor, or now, or the oldest
    /// kept), then follows the outbox as [`Db::watch_changes`] does, delivering the
    /// changes of the agencies and kinds asked for as the model's items. `kind_of` reads
    /// the service's kind back from its stored name; a record it cannot read (a kind or
    /// agency a later version wrote, say) is skipped rather than ending every watch. The
    /// caller is checked before ([`WatchQuery::check_watcher`]); a refusal to start is
    /// the call's answer rather than an error in the stream.
    pub async fn watch_feed<K>(
        &self,
        query: WatchQuery<K>,
        kind_of: fn(&str) -> Option<K>,
        options: WatchOptions,
    ) -> Result<
        impl Stream<Item = Result<jalia_model::FeedItem<K>, DbError>> + Send + 'static,
        FeedStartError,
    >
    where
        K: Copy + PartialEq + Send + 'static,
    {
        let start = ChangeStart::parse(&query.cursor, query.from_oldest)?;
        let from = self.change_start(start).await?;
        tracing::debug!(cursor = %from, "change watch started");
        let WatchQuery {
            agencies, kinds, ..
        } = query;
        let select = move |change: Change| {
            if agencies
                .agency()
                .is_some_and(|agency| agency.as_str() != change.agency)
            {
                return None;
            }
            let kind = kind_of(&change.kind);
            if !kinds.is_empty() && !kind.is_some_and(|kind| kinds.contains(&kind)) {
                return None;
            }
            let (Some(kind), Ok(agency)) = (kind, AgencyCode::parse(&change.agency)) else {
                tracing::warn!(cursor = %change.cursor, "unreadable change record skipped");
                return None;
            };
            Some(FeedChange {
                cursor: change.cursor.to_string(),
                kind,
                resource: change.resource,
                agency,
                time: change.time,
            })
        };
        Ok(self.follow(from, options, select).map(|item| {
            item.map(|item| match item {
                FeedItem::Change(change) => jalia_model::FeedItem::Change(change),
                FeedItem::Heartbeat(cursor) => jalia_model::FeedItem::Heartbeat {
                    cursor: cursor.to_string(),
                },
            })
        }))
    }

    /// The outbox from `from`, each record through `select`: what it returns is
    /// delivered, and what it drops counts as nothing new (so heartbeats still come).
    fn follow<C, F>(
        &self,
        from: Cursor,
        options: WatchOptions,
        select: F,
    ) -> impl Stream<Item = Result<FeedItem<C>, DbError>> + Send + 'static
    where
        C: Send + 'static,
        F: FnMut(Change) -> Option<C> + Send + 'static,
    {
        let state = Watch {
            db: self.clone(),
            select,
            options,
            position: from,
            pending: VecDeque::new(),
            idle_since: tokio::time::Instant::now(),
            ended: false,
        };
        futures_util::stream::unfold(state, |mut watch| async move {
            let item = watch.next().await?;
            Some((item, watch))
        })
    }

    /// Deletes every record that happened before `cutoff` (and every record ordered before
    /// them), one bounded transaction after another: the background task's purge. Returns
    /// how many records were deleted.
    pub async fn purge_changes_older_than(&self, cutoff: Timestamp) -> Result<u64, DbError> {
        let mut purged = 0;
        loop {
            let deleted = self.purge_changes(cutoff, PURGE_BATCH).await?;
            purged += deleted;
            // A batch also takes the records ordered before its last one, so it can delete
            // more than asked; fewer means nothing older is left.
            if deleted < PURGE_BATCH {
                return Ok(purged);
            }
        }
    }

    /// Deletes up to `batch` of the oldest records that happened before `cutoff`, with
    /// every record ordered before them, and remembers the highest deleted position so
    /// that older cursors are refused rather than silently skipping. Returns how many
    /// records were deleted; [`Db::purge_changes_older_than`] calls it until fewer go.
    pub async fn purge_changes(&self, cutoff: Timestamp, batch: u64) -> Result<u64, DbError> {
        let backend = self.db_backend();
        let tx = self.begin_write().await?;
        let last = format!(
            "SELECT xact, id FROM (SELECT xact, id FROM {CHANGES_TABLE} WHERE change_time < $1 \
             ORDER BY xact, id LIMIT $2) oldest ORDER BY xact DESC, id DESC LIMIT 1"
        );
        let limit = i64::try_from(batch).unwrap_or(i64::MAX);
        let Some(row) = tx
            .query_one_raw(statement(
                backend,
                &last,
                [to_micros(cutoff).into(), limit.into()],
            ))
            .await?
        else {
            return Ok(0);
        };
        let upto = Cursor::from_row(&row)?;
        let delete =
            format!("DELETE FROM {CHANGES_TABLE} WHERE xact < $1 OR (xact = $1 AND id <= $2)");
        let deleted = tx
            .execute_raw(statement(
                backend,
                &delete,
                [upto.xact.into(), upto.id.into()],
            ))
            .await?
            .rows_affected();
        advance_position(&tx, RETENTION_POSITION, upto).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    /// A named position in the outbox ([`CHANGE_POSITIONS_TABLE`]), if one was stored.
    pub async fn change_position(&self, name: &str) -> Result<Option<Cursor>, DbError> {
        let sql = format!("SELECT xact, id FROM {CHANGE_POSITIONS_TABLE} WHERE name = $1");
        let row = self
            .connection()
            .query_one_raw(statement(self.db_backend(), &sql, [name.into()]))
            .await?;
        row.as_ref().map(Cursor::from_row).transpose()
    }

    pub(crate) fn db_backend(&self) -> DbBackend {
        match self.backend() {
            Backend::Sqlite => DbBackend::Sqlite,
            Backend::Postgres => DbBackend::Postgres,
        }
    }

    /// The records a reader may deliver: on PostgreSQL, those of transactions below the
    /// oldest one still running (see the module documentation).
    fn settled_condition(&self) -> &'static str {
        match self.backend() {
            Backend::Sqlite => "1 = 1",
            Backend::Postgres => "xact < pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
        }
    }
}

/// Moves a named position (a publisher's cursor, the retention's watermark) forward, in
/// the caller's transaction; a position never moves back, so two replicas finishing out
/// of order keep the higher one.
pub async fn advance_position<C: ConnectionTrait>(
    conn: &C,
    name: &str,
    position: Cursor,
) -> Result<(), DbError> {
    let sql = format!(
        "INSERT INTO {CHANGE_POSITIONS_TABLE} (name, xact, id) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET xact = excluded.xact, id = excluded.id \
         WHERE excluded.xact > {CHANGE_POSITIONS_TABLE}.xact \
         OR (excluded.xact = {CHANGE_POSITIONS_TABLE}.xact AND excluded.id > {CHANGE_POSITIONS_TABLE}.id)"
    );
    conn.execute_raw(statement(
        conn.get_database_backend(),
        &sql,
        [name.into(), position.xact.into(), position.id.into()],
    ))
    .await?;
    Ok(())
}

struct Watch<C, F> {
    db: Db,
    select: F,
    options: WatchOptions,
    position: Cursor,
    pending: VecDeque<C>,
    idle_since: tokio::time::Instant,
    ended: bool,
}

impl<C, F: FnMut(Change) -> Option<C>> Watch<C, F> {
    async fn next(&mut self) -> Option<Result<FeedItem<C>, DbError>> {
        loop {
            if self.ended {
                return None;
            }
            if let Some(change) = self.pending.pop_front() {
                self.idle_since = tokio::time::Instant::now();
                return Some(Ok(FeedItem::Change(change)));
            }
            let now = tokio::time::Instant::now();
            if now >= self.options.ends_at {
                self.ended = true;
                return Some(Ok(FeedItem::Heartbeat(self.position)));
            }
            let batch = match self
                .db
                .read_changes(self.position, self.options.batch_size)
                .await
            {
                Ok(batch) => batch,
                Err(err) => {
                    self.ended = true;
                    return Some(Err(err));
                }
            };
            let full = batch.changes.len() as u64 >= self.options.batch_size;
            self.position = batch.position;
            self.pending
                .extend(batch.changes.into_iter().filter_map(&mut self.select));
            if !self.pending.is_empty() || full {
                continue;
            }
            let heartbeat_at = self.idle_since + self.options.heartbeat_interval;
            if now >= heartbeat_at {
                self.idle_since = now;
                return Some(Ok(FeedItem::Heartbeat(self.position)));
            }
            let wake = (now + self.options.poll_interval)
                .min(heartbeat_at)
                .min(self.options.ends_at);
            tokio::time::sleep_until(wake).await;
        }
    }
}

/// A statement with `$n` placeholders, which SQLite reads as `?n`.
pub(crate) fn statement<const N: usize>(
    backend: DbBackend,
    sql: &str,
    values: [Value; N],
) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => sql.to_owned(),
        _ => sql.replace('$', "?"),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// The migration creating the outbox ([`CHANGES_TABLE`]) and its named positions
/// ([`CHANGE_POSITIONS_TABLE`]); each service lists it in its own migrator.
#[derive(Debug, Clone, Copy, Default)]
pub struct CreateChanges;

mod schema {
    use sea_orm_migration::prelude::*;
    use sea_orm_migration::sea_orm::DbBackend;

    use super::{CHANGE_POSITIONS_TABLE, CHANGES_TABLE, CreateChanges};

    impl MigrationName for CreateChanges {
        fn name(&self) -> &str {
            "m20261206_000001_jalia_changes"
        }
    }

    #[async_trait::async_trait]
    impl MigrationTrait for CreateChanges {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            // Ids must never be reused after a purge (a cursor would go back), hence
            // AUTOINCREMENT on SQLite; PostgreSQL sequences never reuse.
            let id = match manager.get_database_backend() {
                DbBackend::Postgres => "id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
                _ => "id INTEGER PRIMARY KEY AUTOINCREMENT",
            };
            let conn = manager.get_connection();
            conn.execute_unprepared(&format!(
                "CREATE TABLE {CHANGES_TABLE} ({id}, xact BIGINT NOT NULL, kind TEXT NOT NULL, \
                 resource TEXT NOT NULL, agency TEXT NOT NULL, change_time BIGINT NOT NULL)"
            ))
            .await?;
            conn.execute_unprepared(&format!(
                "CREATE INDEX {CHANGES_TABLE}_position ON {CHANGES_TABLE} (xact, id)"
            ))
            .await?;
            conn.execute_unprepared(&format!(
                "CREATE INDEX {CHANGES_TABLE}_time ON {CHANGES_TABLE} (change_time)"
            ))
            .await?;
            conn.execute_unprepared(&format!(
                "CREATE TABLE {CHANGE_POSITIONS_TABLE} (name TEXT PRIMARY KEY, \
                 xact BIGINT NOT NULL, id BIGINT NOT NULL)"
            ))
            .await?;
            Ok(())
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            let conn = manager.get_connection();
            conn.execute_unprepared(&format!("DROP TABLE {CHANGE_POSITIONS_TABLE}"))
                .await?;
            conn.execute_unprepared(&format!("DROP TABLE {CHANGES_TABLE}"))
                .await?;
            Ok(())
        }
    }
}
