//! The events service's storage: rows <-> domain, and the queries the use cases need.
//! Every write happens inside a transaction the service opens with `Db::write`.

mod entities;
mod migration;

use jalia_db::sea_orm::sea_query::{Expr, Order};
use jalia_db::sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use jalia_db::{Backend, from_micros, lock_for_update, to_micros};
use jalia_model::{AgencyCode, CountryCode, Email, LanguageCode, Phone};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use migration::Migrator;

use self::entities::{event, registration};
use crate::domain::event::{Audience, Event, EventContent, EventKind, EventStatus, SeatCounts};
use crate::domain::registration::{Attendee, Registration, RegistrationStatus};
use crate::domain::{Error, Result};

/// Which events a list or export covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventQuery {
    /// One agency, or every agency.
    pub agency: Option<AgencyCode>,
    /// Only this kind.
    pub kind: Option<EventKind>,
    /// Only this status.
    pub status: Option<EventStatus>,
    /// Only events for this audience.
    pub audience: Option<Audience>,
    /// Start at or after (micros).
    pub start_after: Option<i64>,
    /// Start strictly before (micros).
    pub start_before: Option<i64>,
    /// Updated strictly after (micros).
    pub updated_after: Option<i64>,
    /// Latest start first.
    pub newest_first: bool,
}

/// Which drafts a reader may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftVisibility {
    /// None (anonymous and other agencies' callers).
    None,
    /// Its own agency's.
    Agency(AgencyCode),
    /// All (ministry-wide callers).
    All,
}

/// A position in a list of events.
pub type EventCursor = (i64, Uuid);

/// Which registrations a roster covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterQuery {
    /// Only this status.
    pub status: Option<RegistrationStatus>,
    /// Only checked in (true) or not yet (false).
    pub checked_in: Option<bool>,
    /// Updated strictly after (micros).
    pub updated_after: Option<i64>,
}

fn corrupt(what: &str) -> Error {
    Error::Db(jalia_db::DbError::other(format!(
        "stored {what} does not decode"
    )))
}

fn event_from_row(row: event::Model) -> Result<Event> {
    let content: EventContent =
        serde_json::from_str(&row.content).map_err(|_| corrupt("event content"))?;
    Ok(Event {
        id: row.id,
        agency: AgencyCode::parse(&row.agency).map_err(|_| corrupt("agency"))?,
        content,
        status: EventStatus::parse(&row.status).ok_or_else(|| corrupt("event status"))?,
        cancellation_reason: decode(row.cancellation_reason, "cancellation reason")?,
        previous_start: decode(row.previous_start, "previous start")?,
        sequence: u32::try_from(row.sequence).unwrap_or_default(),
        outcomes: decode(row.outcomes, "outcomes")?,
        seats: SeatCounts {
            confirmed: u32::try_from(row.confirmed_count).unwrap_or_default(),
            waitlisted: u32::try_from(row.waitlisted_count).unwrap_or_default(),
            checked_in: u32::try_from(row.checked_in_count).unwrap_or_default(),
        },
        publish_time: row.publish_time.map(from_micros),
        create_time: from_micros(row.create_time),
        update_time: from_micros(row.update_time),
        version: row.version,
    })
}

fn decode<T: serde::de::DeserializeOwned>(json: Option<String>, what: &str) -> Result<Option<T>> {
    json.map(|json| serde_json::from_str(&json).map_err(|_| corrupt(what)))
        .transpose()
}

fn audiences_key(audiences: &[Audience]) -> String {
    let mut key = String::from(",");
    for audience in audiences {
        key.push_str(audience.as_str());
        key.push(',');
    }
    key
}

fn encode<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|_| corrupt("value to encode"))
}

fn event_row(event: &Event, next_waitlist_seq: i64) -> Result<event::ActiveModel> {
    let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    Ok(event::ActiveModel {
        id: Set(event.id),
        agency: Set(event.agency.to_string()),
        kind: Set(event.content.kind.as_str().to_owned()),
        status: Set(event.status.as_str().to_owned()),
        start_utc: Set(to_micros(event.content.start.instant())),
        end_utc: Set(to_micros(event.content.end.instant())),
        audiences: Set(audiences_key(&event.content.audiences)),
        content: Set(encode(&event.content)?),
        cancellation_reason: Set(event.cancellation_reason.as_ref().map(encode).transpose()?),
        previous_start: Set(event.previous_start.as_ref().map(encode).transpose()?),
        sequence: Set(i32::try_from(event.sequence).unwrap_or(i32::MAX)),
        outcomes: Set(event.outcomes.as_ref().map(encode).transpose()?),
        confirmed_count: Set(count(event.seats.confirmed)),
        waitlisted_count: Set(count(event.seats.waitlisted)),
        checked_in_count: Set(count(event.seats.checked_in)),
        next_waitlist_seq: Set(next_waitlist_seq),
        publish_time: Set(event.publish_time.map(to_micros)),
        create_time: Set(to_micros(event.create_time)),
        update_time: Set(to_micros(event.update_time)),
        version: Set(event.version),
    })
}

/// Inserts a new event.
pub async fn insert_event(db: &impl ConnectionTrait, event: &Event) -> Result<()> {
    event::Entity::insert(event_row(event, 1)?)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Writes every field of an event read under lock in the same transaction.
pub async fn save_event(db: &impl ConnectionTrait, event: &Event) -> Result<()> {
    let mut row = event_row(event, 0)?;
    row.next_waitlist_seq = jalia_db::sea_orm::ActiveValue::NotSet;
    event::Entity::update(row).exec(db).await?;
    Ok(())
}

/// Reads an event.
pub async fn find_event(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Event>> {
    event::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(event_from_row)
        .transpose()
}

/// Reads an event and locks it until the transaction ends, with its next waitlist number.
pub async fn lock_event(
    db: &impl ConnectionTrait,
    backend: Backend,
    id: Uuid,
) -> Result<Option<(Event, i64)>> {
    let row = lock_for_update(event::Entity::find_by_id(id), backend)
        .one(db)
        .await?;
    row.map(|row| {
        let next = row.next_waitlist_seq;
        event_from_row(row).map(|event| (event, next))
    })
    .transpose()
}

/// Sets an event's seat counts (and next waitlist number) without touching its version:
/// registrations do not make an organiser's etag stale.
pub async fn save_seats(
    db: &impl ConnectionTrait,
    id: Uuid,
    seats: SeatCounts,
    next_waitlist_seq: i64,
) -> Result<()> {
    let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    event::Entity::update_many()
        .col_expr(
            event::Column::ConfirmedCount,
            Expr::value(count(seats.confirmed)),
        )
        .col_expr(
            event::Column::WaitlistedCount,
            Expr::value(count(seats.waitlisted)),
        )
        .col_expr(
            event::Column::CheckedInCount,
            Expr::value(count(seats.checked_in)),
        )
        .col_expr(
            event::Column::NextWaitlistSeq,
            Expr::value(next_waitlist_seq),
        )
        .filter(event::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes an event (a draft: it has no registrations).
pub async fn delete_event(db: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    event::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// A page of events after `after`, at most `limit`.
pub async fn list_events(
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
        condition = condition.add(event::Column::Kind.eq(kind.as_str()));
    }
    if let Some(status) = query.status {
        condition = condition.add(event::Column::Status.eq(status.as_str()));
    }
    if let Some(audience) = query.audience {
        condition =
            condition.add(event::Column::Audiences.like(format!("%,{},%", audience.as_str())));
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
    condition = match drafts {
        DraftVisibility::All => condition,
        DraftVisibility::None => {
            condition.add(event::Column::Status.ne(EventStatus::Draft.as_str()))
        }
        DraftVisibility::Agency(agency) => condition.add(
            Condition::any()
                .add(event::Column::Status.ne(EventStatus::Draft.as_str()))
                .add(event::Column::Agency.eq(agency.as_str())),
        ),
    };
    if let Some((start, id)) = after {
        condition = condition.add(if query.newest_first {
            Condition::any().add(event::Column::StartUtc.lt(start)).add(
                Condition::all()
                    .add(event::Column::StartUtc.eq(start))
                    .add(event::Column::Id.lt(id)),
            )
        } else {
            Condition::any().add(event::Column::StartUtc.gt(start)).add(
                Condition::all()
                    .add(event::Column::StartUtc.eq(start))
                    .add(event::Column::Id.gt(id)),
            )
        });
    }
    let order = if query.newest_first {
        Order::Desc
    } else {
        Order::Asc
    };
    event::Entity::find()
        .filter(condition)
        .order_by(event::Column::StartUtc, order.clone())
        .order_by(event::Column::Id, order)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(event_from_row)
        .collect()
}

fn registration_from_row(row: registration::Model, position: Option<u32>) -> Result<Registration> {
    let parse_optional = |value: Option<String>| value.filter(|v| !v.is_empty());
    Ok(Registration {
        id: row.id,
        event_id: row.event_id,
        agency: AgencyCode::parse(&row.agency).map_err(|_| corrupt("agency"))?,
        attendee: Attendee {
            display_name: row.display_name,
            email: parse_optional(row.email)
                .map(|email| Email::parse(&email).map_err(|_| corrupt("email")))
                .transpose()?,
            phone: parse_optional(row.phone)
                .map(|phone| Phone::parse(&phone).map_err(|_| corrupt("phone")))
                .transpose()?,
            residence: parse_optional(row.residence)
                .map(|code| CountryCode::parse(&code).map_err(|_| corrupt("country")))
                .transpose()?,
            language: parse_optional(row.language)
                .map(|code| LanguageCode::parse(&code).map_err(|_| corrupt("language")))
                .transpose()?,
            diaspora: row.diaspora,
        },
        code: row.code,
        status: RegistrationStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
        waitlist_position: position,
        check_in_time: row.check_in_time.map(from_micros),
        create_time: from_micros(row.create_time),
        update_time: from_micros(row.update_time),
        version: row.version,
    })
}

/// A registration's row with its live identity keys and place in line.
#[derive(Debug)]
pub struct RegistrationRow<'a> {
    /// The registration.
    pub registration: &'a Registration,
    /// Its waitlist order number, when waitlisted.
    pub waitlist_seq: Option<i64>,
}

fn registration_row(row: &RegistrationRow<'_>) -> registration::ActiveModel {
    let registration = row.registration;
    let live = registration.status != RegistrationStatus::Cancelled;
    let attendee = &registration.attendee;
    registration::ActiveModel {
        id: Set(registration.id),
        event_id: Set(registration.event_id),
        agency: Set(registration.agency.to_string()),
        code: Set(registration.code.clone()),
        status: Set(registration.status.as_str().to_owned()),
        waitlist_seq: Set(row.waitlist_seq),
        display_name: Set(attendee.display_name.clone()),
        email: Set(attendee.email.as_ref().map(|e| e.as_str().to_owned())),
        email_key: Set(attendee
            .email
            .as_ref()
            .filter(|_| live)
            .map(Email::identity_key)),
        phone: Set(attendee.phone.as_ref().map(|p| p.as_str().to_owned())),
        phone_key: Set(attendee
            .phone
            .as_ref()
            .filter(|_| live)
            .map(|p| p.as_str().to_owned())),
        residence: Set(attendee.residence.as_ref().map(|c| c.as_str().to_owned())),
        language: Set(attendee.language.as_ref().map(ToString::to_string)),
        diaspora: Set(attendee.diaspora),
        check_in_time: Set(registration.check_in_time.map(to_micros)),
        create_time: Set(to_micros(registration.create_time)),
        update_time: Set(to_micros(registration.update_time)),
        version: Set(registration.version),
    }
}

/// Inserts a registration.
pub async fn insert_registration(
    db: &impl ConnectionTrait,
    row: RegistrationRow<'_>,
) -> Result<()> {
    registration::Entity::insert(registration_row(&row))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Writes a registration read under lock in the same transaction.
pub async fn save_registration(db: &impl ConnectionTrait, row: RegistrationRow<'_>) -> Result<()> {
    registration::Entity::update(registration_row(&row))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether the person already holds a live registration for the event.
pub async fn person_registered(
    db: &impl ConnectionTrait,
    event_id: Uuid,
    email_key: Option<&str>,
    phone_key: Option<&str>,
) -> Result<bool> {
    let mut who = Condition::any();
    if let Some(email) = email_key {
        who = who.add(registration::Column::EmailKey.eq(email));
    }
    if let Some(phone) = phone_key {
        who = who.add(registration::Column::PhoneKey.eq(phone));
    }
    if who.is_empty() {
        return Ok(false);
    }
    let found = registration::Entity::find()
        .filter(registration::Column::EventId.eq(event_id))
        .filter(who)
        .count(db)
        .await?;
    Ok(found > 0)
}

/// The waitlist order numbers of an event, front of the line first: a registration's
/// position is its rank here.
pub async fn waitlist(db: &impl ConnectionTrait, event_id: Uuid) -> Result<Vec<i64>> {
    let rows = registration::Entity::find()
        .select_only()
        .column(registration::Column::WaitlistSeq)
        .filter(registration::Column::EventId.eq(event_id))
        .filter(registration::Column::Status.eq(RegistrationStatus::Waitlisted.as_str()))
        .order_by_asc(registration::Column::WaitlistSeq)
        .into_tuple::<Option<i64>>()
        .all(db)
        .await?;
    Ok(rows.into_iter().flatten().collect())
}

fn position_in(line: &[i64], seq: Option<i64>) -> Option<u32> {
    let seq = seq?;
    line.binary_search(&seq)
        .ok()
        .and_then(|index| u32::try_from(index + 1).ok())
}

/// Reads one registration of an event, with its place in line.
pub async fn find_registration(
    db: &impl ConnectionTrait,
    event_id: Uuid,
    id: Uuid,
) -> Result<Option<Registration>> {
    let Some(row) = registration::Entity::find_by_id(id)
        .filter(registration::Column::EventId.eq(event_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let line = if row.waitlist_seq.is_some() {
        waitlist(db, event_id).await?
    } else {
        Vec::new()
    };
    let position = position_in(&line, row.waitlist_seq);
    registration_from_row(row, position).map(Some)
}

/// Reads and locks a registration, by id or by code, with its waitlist number.
pub async fn lock_registration(
    db: &impl ConnectionTrait,
    backend: Backend,
    event_id: Uuid,
    by: RegistrationKey<'_>,
) -> Result<Option<(Registration, Option<i64>)>> {
    let select = registration::Entity::find().filter(registration::Column::EventId.eq(event_id));
    let select = match by {
        RegistrationKey::Id(id) => select.filter(registration::Column::Id.eq(id)),
        RegistrationKey::Code(code) => select.filter(registration::Column::Code.eq(code)),
    };
    let Some(row) = lock_for_update(select, backend).one(db).await? else {
        return Ok(None);
    };
    let seq = row.waitlist_seq;
    registration_from_row(row, None).map(|r| Some((r, seq)))
}

/// How to find a registration.
#[derive(Debug, Clone, Copy)]
pub enum RegistrationKey<'a> {
    /// By id.
    Id(Uuid),
    /// By desk code.
    Code(&'a str),
}

/// The first in line, locked.
pub async fn lock_first_waitlisted(
    db: &impl ConnectionTrait,
    backend: Backend,
    event_id: Uuid,
) -> Result<Option<Registration>> {
    let select = registration::Entity::find()
        .filter(registration::Column::EventId.eq(event_id))
        .filter(registration::Column::Status.eq(RegistrationStatus::Waitlisted.as_str()))
        .order_by_asc(registration::Column::WaitlistSeq)
        .limit(1);
    let row = lock_for_update(select, backend).one(db).await?;
    row.map(|row| registration_from_row(row, None)).transpose()
}

/// A page of an event's roster after `after`, in registration order.
pub async fn list_registrations(
    db: &impl ConnectionTrait,
    event_id: Uuid,
    query: &RosterQuery,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Registration>> {
    let mut select =
        registration::Entity::find().filter(registration::Column::EventId.eq(event_id));
    if let Some(status) = query.status {
        select = select.filter(registration::Column::Status.eq(status.as_str()));
    }
    match query.checked_in {
        Some(true) => select = select.filter(registration::Column::CheckInTime.is_not_null()),
        Some(false) => select = select.filter(registration::Column::CheckInTime.is_null()),
        None => {}
    }
    if let Some(updated_after) = query.updated_after {
        select = select.filter(registration::Column::UpdateTime.gt(updated_after));
    }
    if let Some(after) = after {
        select = select.filter(registration::Column::Id.gt(after));
    }
    let rows = select
        .order_by_asc(registration::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let line = if rows.iter().any(|row| row.waitlist_seq.is_some()) {
        waitlist(db, event_id).await?
    } else {
        Vec::new()
    };
    rows.into_iter()
        .map(|row| {
            let position = position_in(&line, row.waitlist_seq);
            registration_from_row(row, position)
        })
        .collect()
}
