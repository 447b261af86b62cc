//! Events: rows to domain values and back, the locked read a change starts with, the
//! versioned save, the seat counts, and the keyset pages of a list.

use jalia_db::sea_orm::sea_query::{CaseStatement, Expr, ExprTrait};
use std::sync::{Arc, OnceLock};

use jalia_db::sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QueryResult, QuerySelect, QueryTrait, Statement,
};
use jalia_db::{
    Backend, Direction, Keyset, Versioned, WriteBatch, from_micros, lock_for_update, to_micros,
    update_versioned,
};
use jalia_model::AgencyCode;
use uuid::Uuid;

use super::decoded::{DecodedEvents, Stamp};
use super::entities::event;
use super::stored::{StoredContent, StoredName, StoredOutcomes, audiences_key};
use super::{corrupt, count_column, count_value};
use crate::domain::Result;
use crate::domain::content::EventKind;
use crate::domain::event::{Event, EventStatus, Seats};
use crate::domain::query::{DraftVisibility, EventQuery};

/// Where a list of events continues: the start (micros) and id of the last one served.
pub(crate) type EventCursor = (i64, Uuid);

/// The backend of a connection, for the locks it needs.
pub(super) fn backend(db: &impl ConnectionTrait) -> Backend {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

fn decode<T: serde::de::DeserializeOwned>(json: Option<String>, what: &str) -> Result<Option<T>> {
    json.map(|json| serde_json::from_str(&json).map_err(|_| corrupt(what)))
        .transpose()
}

fn encode<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|_| corrupt("value to encode"))
}

fn from_row(row: event::Model) -> Result<Event> {
    let content: StoredContent =
        serde_json::from_str(&row.content).map_err(|_| corrupt("event content"))?;
    let outcomes: Option<StoredOutcomes> = decode(row.outcomes, "outcomes")?;
    Ok(Event {
        id: row.id,
        agency: AgencyCode::parse(&row.agency).map_err(|_| corrupt("agency"))?,
        content: content
            .into_domain()
            .ok_or_else(|| corrupt("venue country"))?,
        status: EventStatus::from_stored(&row.status).ok_or_else(|| corrupt("event status"))?,
        cancellation_reason: decode(row.cancellation_reason, "cancellation reason")?,
        previous_start: decode(row.previous_start, "previous start")?,
        sequence: u32::try_from(row.sequence).unwrap_or_default(),
        outcomes: outcomes.map(Into::into),
        seats: Seats {
            confirmed: count_value(row.confirmed_count),
            waitlisted: count_value(row.waitlisted_count),
            checked_in: count_value(row.checked_in_count),
            next_waitlist_seq: row.next_waitlist_seq,
        },
        publish_time: row.publish_time.map(from_micros),
        create_time: from_micros(row.create_time),
        update_time: from_micros(row.update_time),
        version: row.version,
    })
}

fn row(event: &Event) -> Result<event::ActiveModel> {
    Ok(event::ActiveModel {
        id: Set(event.id),
        agency: Set(event.agency.to_string()),
        kind: Set(event.content.kind.stored().to_owned()),
        status: Set(event.status.stored().to_owned()),
        start_utc: Set(to_micros(event.content.start.instant())),
        end_utc: Set(to_micros(event.content.end.instant())),
        audiences: Set(audiences_key(&event.content.audiences)),
        content: Set(encode(&StoredContent::from(&event.content))?),
        cancellation_reason: Set(event.cancellation_reason.as_ref().map(encode).transpose()?),
        previous_start: Set(event.previous_start.as_ref().map(encode).transpose()?),
        sequence: Set(i32::try_from(event.sequence).unwrap_or(i32::MAX)),
        outcomes: Set(event
            .outcomes
            .as_ref()
            .map(|outcomes| encode(&StoredOutcomes::from(outcomes)))
            .transpose()?),
        confirmed_count: Set(count_column(event.seats.confirmed)),
        waitlisted_count: Set(count_column(event.seats.waitlisted)),
        checked_in_count: Set(count_column(event.seats.checked_in)),
        next_waitlist_seq: Set(event.seats.next_waitlist_seq),
        publish_time: Set(event.publish_time.map(to_micros)),
        create_time: Set(to_micros(event.create_time)),
        update_time: Set(to_micros(event.update_time)),
        version: Set(event.version),
    })
}

/// Inserts a new event.
pub(crate) async fn insert(db: &impl ConnectionTrait, event: &Event) -> Result<()> {
    event::Entity::insert(row(event)?)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Reads an event.
pub(crate) async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Event>> {
    let backend = db.get_database_backend();
    let statement = Statement::from_sql_and_values(backend, find_sql(backend), [id.into()]);
    db.query_one_raw(statement)
        .await?
        .map(|row| event::Model::from_query_result(&row, ""))
        .transpose()?
        .map(from_row)
        .transpose()
}

/// Reads an event, decoding its row only when `decoded` holds no copy as new as the row
/// (see [`DecodedEvents`]).
pub(crate) async fn find_current(
    db: &impl ConnectionTrait,
    decoded: &DecodedEvents,
    id: Uuid,
) -> Result<Option<Arc<Event>>> {
    if decoded.holds(id) {
        let Some(stamp) = find_stamp(db, id).await? else {
            decoded.forget(id);
            return Ok(None);
        };
        if let Some(event) = decoded.current(id, &stamp) {
            return Ok(Some(event));
        }
    }
    let Some(event) = find(db, id).await?.map(Arc::new) else {
        decoded.forget(id);
        return Ok(None);
    };
    decoded.keep(Arc::clone(&event));
    Ok(Some(event))
}

/// The version, creation time and seat counts of an event's row.
async fn find_stamp(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Stamp>> {
    let backend = db.get_database_backend();
    let statement = Statement::from_sql_and_values(backend, stamp_sql(backend), [id.into()]);
    match db.query_one_raw(statement).await? {
        Some(row) => Ok(Some(stamp_at(&row, 0)?)),
        None => Ok(None),
    }
}

/// The columns of a stamp, in the order [`stamp_at`] reads them.
const STAMP_COLUMNS: [event::Column; 6] = [
    event::Column::Version,
    event::Column::CreateTime,
    event::Column::ConfirmedCount,
    event::Column::WaitlistedCount,
    event::Column::CheckedInCount,
    event::Column::NextWaitlistSeq,
];

/// The stamp in a row whose columns from `first` on are [`STAMP_COLUMNS`].
fn stamp_at(row: &QueryResult, first: usize) -> Result<Stamp> {
    Ok(Stamp {
        version: row.try_get_by_index(first)?,
        create_time: from_micros(row.try_get_by_index(first + 1)?),
        seats: Seats {
            confirmed: count_value(row.try_get_by_index(first + 2)?),
            waitlisted: count_value(row.try_get_by_index(first + 3)?),
            checked_in: count_value(row.try_get_by_index(first + 4)?),
            next_waitlist_seq: row.try_get_by_index(first + 5)?,
        },
    })
}

/// The stamp's SQL, built once per backend like [`find_sql`].
fn stamp_sql(backend: DatabaseBackend) -> &'static str {
    static BUILT: BuiltOnce = BuiltOnce::new();
    BUILT.for_backend(backend, || {
        event::Entity::find_by_id(Uuid::nil())
            .select_only()
            .columns(STAMP_COLUMNS)
            .build(backend)
            .sql
    })
}

/// The point read's SQL, built by sea-orm once per backend: building the select of every
/// column again on each GetEvent cost more than the query itself on SQLite (issue #15).
/// The statement is the primary-key lookup with one placeholder, the id.
fn find_sql(backend: DatabaseBackend) -> &'static str {
    static BUILT: BuiltOnce = BuiltOnce::new();
    BUILT.for_backend(backend, || {
        event::Entity::find_by_id(Uuid::nil()).build(backend).sql
    })
}

/// A statement's SQL, built once for each backend.
struct BuiltOnce {
    postgres: OnceLock<String>,
    sqlite: OnceLock<String>,
}

impl BuiltOnce {
    const fn new() -> Self {
        Self {
            postgres: OnceLock::new(),
            sqlite: OnceLock::new(),
        }
    }

    fn for_backend(&self, backend: DatabaseBackend, build: impl FnOnce() -> String) -> &str {
        match backend {
            DatabaseBackend::Postgres => self.postgres.get_or_init(build),
            _ => self.sqlite.get_or_init(build),
        }
    }
}

/// Reads an event and locks it until the transaction ends: every change to it or to its
/// registrations starts here, so they run one at a time per event.
pub(crate) async fn lock(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Event>> {
    lock_for_update(event::Entity::find_by_id(id), backend(db))
        .one(db)
        .await?
        .map(from_row)
        .transpose()
}

/// Reads and locks several events until the transaction ends, in id order, so that
/// two transactions locking overlapping sets wait on each other instead of deadlocking.
pub(crate) async fn lock_many(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Event>> {
    let select = event::Entity::find()
        .filter(event::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(event::Column::Id);
    lock_for_update(select, backend(db))
        .all(db)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// Reads and locks several events as [`lock_many`] does, taking the decoded copy of each
/// one whose locked row still has its version and creation time (see [`DecodedEvents`]):
/// a registration batch then decodes no event that did not change.
pub(crate) async fn lock_many_current(
    db: &impl ConnectionTrait,
    decoded: &DecodedEvents,
    ids: &[Uuid],
) -> Result<Vec<Event>> {
    if !ids.iter().all(|id| decoded.holds(*id)) {
        let events = lock_many(db, ids).await?;
        for event in &events {
            decoded.keep(Arc::new(event.clone()));
        }
        return Ok(events);
    }
    let select = event::Entity::find()
        .select_only()
        .column(event::Column::Id)
        .columns(STAMP_COLUMNS)
        .filter(event::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(event::Column::Id);
    let statement = lock_for_update(select, backend(db)).build(db.get_database_backend());
    let mut events = Vec::with_capacity(ids.len());
    let mut changed = Vec::new();
    for row in db.query_all_raw(statement).await? {
        let id: Uuid = row.try_get_by_index(0)?;
        match decoded.current(id, &stamp_at(&row, 1)?) {
            Some(event) => events.push(Arc::unwrap_or_clone(event)),
            None => changed.push(id),
        }
    }
    if !changed.is_empty() {
        // Locked already, by the read above.
        for event in lock_many(db, &changed).await? {
            decoded.keep(Arc::new(event.clone()));
            events.push(event);
        }
    }
    Ok(events)
}

/// Writes every field of an event read at version `read` (its version becomes
/// `read + 1`), or reports it stale.
pub(crate) async fn save(db: &impl ConnectionTrait, event: &Event, read: i64) -> Result<Versioned> {
    Ok(update_versioned(
        db,
        row(event)?,
        event::Column::Id.eq(event.id),
        event::Column::Version,
        read,
    )
    .await?)
}

/// Sets an event's seat counts without touching its version: registrations do not make
/// an organiser's etag stale.
pub(crate) async fn save_seats(db: &impl ConnectionTrait, event: &Event) -> Result<()> {
    db.execute_raw(seats_statement(db.get_database_backend(), &[event]))
        .await?;
    Ok(())
}

/// Adds the storing of the seat counts of several events, locked by this transaction, to
/// a batch of writes; nothing for no events.
pub(crate) fn add_seats_of(writes: &mut WriteBatch, events: &[&Event]) {
    if !events.is_empty() {
        writes.add(seats_statement(writes.backend(), events));
    }
}

/// One UPDATE for every event's counts: a `CASE` on the id when there are several.
fn seats_statement(backend: DatabaseBackend, events: &[&Event]) -> Statement {
    let per_event = |column: event::Column, value: fn(&Seats) -> jalia_db::sea_orm::Value| {
        let stored: Expr = match events {
            [event] => Expr::value(value(&event.seats)),
            _ => {
                let mut case = CaseStatement::new();
                for event in events {
                    case = case.case(
                        Expr::col(event::Column::Id).eq(event.id),
                        Expr::val(value(&event.seats)),
                    );
                }
                case.finally(Expr::col(column)).into()
            }
        };
        stored
    };
    event::Entity::update_many()
        .col_expr(
            event::Column::ConfirmedCount,
            per_event(event::Column::ConfirmedCount, |seats| {
                count_column(seats.confirmed).into()
            }),
        )
        .col_expr(
            event::Column::WaitlistedCount,
            per_event(event::Column::WaitlistedCount, |seats| {
                count_column(seats.waitlisted).into()
            }),
        )
        .col_expr(
            event::Column::CheckedInCount,
            per_event(event::Column::CheckedInCount, |seats| {
                count_column(seats.checked_in).into()
            }),
        )
        .col_expr(
            event::Column::NextWaitlistSeq,
            per_event(event::Column::NextWaitlistSeq, |seats| {
                seats.next_waitlist_seq.into()
            }),
        )
        .filter(event::Column::Id.is_in(events.iter().map(|event| event.id)))
        .build(backend)
}

/// Deletes an event (a draft: it has no registrations).
pub(crate) async fn delete(db: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    event::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// The first event of `agency` of this kind starting at this instant, if any: how the
/// demo finds what it loaded before.
pub(crate) async fn find_scheduled(
    db: &impl ConnectionTrait,
    agency: &AgencyCode,
    kind: EventKind,
    start_micros: i64,
) -> Result<Option<Event>> {
    event::Entity::find()
        .filter(event::Column::Agency.eq(agency.as_str()))
        .filter(event::Column::Kind.eq(kind.stored()))
        .filter(event::Column::StartUtc.eq(start_micros))
        .limit(1)
        .one(db)
        .await?
        .map(from_row)
        .transpose()
}

/// A page of events after `after`, at most `limit`, ordered by start then id.
pub(crate) async fn list(
    db: &impl ConnectionTrait,
    query: &EventQuery,
    drafts: &DraftVisibility,
    after: Option<EventCursor>,
    limit: u64,
) -> Result<Vec<Event>> {
    let mut condition = Condition::all();
    if let Some(agency) = &query.agency {
        condition = condition.add(event::Column::Agency.eq(agency.as_str()));
    }
    if let Some(kind) = query.kind {
        condition = condition.add(event::Column::Kind.eq(kind.stored()));
    }
    if let Some(status) = query.status {
        condition = condition.add(event::Column::Status.eq(status.stored()));
    }
    if let Some(audience) = query.audience {
        condition =
            condition.add(event::Column::Audiences.like(format!("%,{},%", audience.stored())));
    }
    if let Some(start_after) = query.start_after {
        condition = condition.add(event::Column::StartUtc.gte(start_after));
    }
    if let Some(start_before) = query.start_before {
        condition = condition.add(event::Column::StartUtc.lt(start_before));
    }
    if let Some(updated_after) = query.updated_after {
        condition = condition.add(event::Column::UpdateTime.gt(updated_after));
    }
    let draft = EventStatus::Draft.stored();
    condition = match drafts {
        DraftVisibility::All => condition,
        DraftVisibility::None => condition.add(event::Column::Status.ne(draft)),
        DraftVisibility::Agency(agency) => condition.add(
            Condition::any()
                .add(event::Column::Status.ne(draft))
                .add(event::Column::Agency.eq(agency.as_str())),
        ),
    };
    let keyset = Keyset::new(
        [event::Column::StartUtc, event::Column::Id],
        if query.newest_first {
            Direction::Descending
        } else {
            Direction::Ascending
        },
    );
    keyset
        .apply(
            event::Entity::find().filter(condition),
            after.map(|(start, id)| [start.into(), id.into()]),
        )
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// An event's content in its stored form, which a create's request_id is bound to: the
/// pinned form, so a retry still matches after a release renames a domain field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AsStored<'a>(pub &'a crate::domain::content::EventContent);

impl serde::Serialize for AsStored<'_> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        StoredContent::from(self.0).serialize(serializer)
    }
}
