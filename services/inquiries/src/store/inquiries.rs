//! Inquiries and their history.

use jalia_db::sea_orm::sea_query::{Expr, ExprTrait, Func};
use jalia_db::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement,
};
use jalia_db::{
    Backend, DbError, Direction, Keyset, StoredCode, WriteBatch, from_micros, lock_for_update,
    to_micros,
};
use jalia_model::{AgencyCode, CountryCode, Email, LanguageCode, Phone};
use jiff::{SignedDuration, Timestamp};
use uuid::Uuid;

use super::entities::{history as history_row, inquiry};
use super::{corrupt, stored_i32};
use crate::domain::Error;
use crate::domain::calendar::{add_days, date_from_key, date_key};
use crate::domain::classification::{Coordinates, Kind, Place};
use crate::domain::due::{DueDate, DueDateSource};
use crate::domain::erasure::Person;
use crate::domain::inquiry::{Assignment, Channel, Inquiry, Priority, Referral, Requester};
use crate::domain::query::{InquiryCursor, InquiryFilter, InquiryOrder};
use crate::domain::reference::Reference;
use crate::domain::statistics::Statistics;
use crate::domain::status::{StateChange, Status};
use crate::domain::text::PersonalText;

/// Takes the next `count` reference sequences of `agency` in `year` and gives the first
/// (they run on from it without a gap). The counter row is created or advanced by one
/// atomic upsert whose row lock is held until the transaction ends, so concurrent
/// submissions on any number of replicas each get their own numbers (and SQLite's
/// IMMEDIATE transactions run one at a time anyway): take them as late in the
/// transaction as possible, so the lock is held for little more than the commit.
pub(crate) async fn take_sequences<C: ConnectionTrait>(
    conn: &C,
    backend: Backend,
    agency: &AgencyCode,
    year: i16,
    count: u32,
) -> Result<i64, Error> {
    const UPSERT: &str = "INSERT INTO inquiry_reference_counters (agency, year, last_sequence) \
         VALUES ({agency}, {year}, {count}) \
         ON CONFLICT (agency, year) DO UPDATE \
         SET last_sequence = inquiry_reference_counters.last_sequence + {count} \
         RETURNING last_sequence";
    let (sql, db_backend) = match backend {
        Backend::Postgres => (
            UPSERT
                .replace("{agency}", "$1")
                .replace("{year}", "$2")
                .replace("{count}", "$3"),
            DbBackend::Postgres,
        ),
        Backend::Sqlite => (
            // SQLite numbers `?` by position, so the count's second use is `?3` again.
            UPSERT
                .replace("{agency}", "?1")
                .replace("{year}", "?2")
                .replace("{count}", "?3"),
            DbBackend::Sqlite,
        ),
    };
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            db_backend,
            sql,
            [
                agency.as_str().into(),
                i32::from(year).into(),
                i64::from(count).into(),
            ],
        ))
        .await?
        .ok_or_else(|| DbError::other("the reference counter upsert returned no row"))?;
    let last = row.try_get::<i64>("", "last_sequence")?;
    Ok(last - i64::from(count) + 1)
}

/// Stores an inquiry's new state (everything but its identity and tracking hash).
pub(crate) async fn save<C: ConnectionTrait>(conn: &C, value: &Inquiry) -> Result<(), Error> {
    let mut active = row(value, Vec::new())?.into_active_model().reset_all();
    active.not_set(inquiry::Column::TrackingHash);
    active.not_set(inquiry::Column::Reference);
    active.not_set(inquiry::Column::CreatedAt);
    inquiry::Entity::update(active)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Records a change in the inquiry's history. Its position is the inquiry's version after
/// the change: unique and increasing, since every change bumps the version.
pub(crate) async fn append_history<C: ConnectionTrait>(
    conn: &C,
    inquiry_id: Uuid,
    version: i64,
    change: &StateChange,
) -> Result<(), Error> {
    history_row::Entity::insert(
        history_entry(inquiry_id, version, change)?
            .into_active_model()
            .reset_all(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Stores new inquiries, each with the hash of its tracking code, and their first history
/// entries: one statement for each table, however many there are.
pub(crate) async fn insert_submitted<C: ConnectionTrait>(
    conn: &C,
    submitted: &[(&Inquiry, [u8; 32], &StateChange)],
) -> Result<(), Error> {
    let mut writes = WriteBatch::new(conn.get_database_backend());
    add_submitted(&mut writes, submitted)?;
    writes.execute(conn).await?;
    Ok(())
}

/// Adds the inserts of submitted inquiries and their histories' first entries, two
/// statements, to a batch of writes; nothing for none.
pub(crate) fn add_submitted(
    writes: &mut WriteBatch,
    submitted: &[(&Inquiry, [u8; 32], &StateChange)],
) -> Result<(), Error> {
    if submitted.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(submitted.len());
    let mut entries = Vec::with_capacity(submitted.len());
    for (inquiry, hash, change) in submitted {
        rows.push(row(inquiry, hash.to_vec())?.into_active_model().reset_all());
        entries.push(
            history_entry(inquiry.id, inquiry.version, change)?
                .into_active_model()
                .reset_all(),
        );
    }
    let backend = writes.backend();
    writes.add(inquiry::Entity::insert_many(rows).build(backend));
    writes.add(history_row::Entity::insert_many(entries).build(backend));
    Ok(())
}

fn history_entry(
    inquiry_id: Uuid,
    version: i64,
    change: &StateChange,
) -> Result<history_row::Model, Error> {
    Ok(history_row::Model {
        inquiry_id,
        position: stored_i32(version, "history position")?,
        from_status: change.from.map(StoredCode::code),
        to_status: change.to.code(),
        actor: change.actor.clone(),
        change_time: to_micros(change.at),
        note: change.note.as_ref().map(|note| note.expose().to_owned()),
        assignment_team: change.assignment.as_ref().and_then(|a| a.team.clone()),
        assignment_agent: change.assignment.as_ref().and_then(|a| a.agent.clone()),
        referral_administration: change.referral.as_ref().map(|r| r.administration.clone()),
        referral_external_reference: change
            .referral
            .as_ref()
            .and_then(|r| r.external_reference.clone()),
        escalation: change.escalation,
    })
}

/// An inquiry's history, oldest first.
pub(crate) async fn history<C: ConnectionTrait>(
    conn: &C,
    inquiry_id: Uuid,
) -> Result<Vec<StateChange>, Error> {
    history_row::Entity::find()
        .filter(history_row::Column::InquiryId.eq(inquiry_id))
        .order_by_asc(history_row::Column::Position)
        .all(conn)
        .await?
        .into_iter()
        .map(|row| {
            let assignment = assignment(row.assignment_team, row.assignment_agent);
            Ok(StateChange {
                from: row.from_status.map(Status::from_code).transpose()?,
                to: Status::from_code(row.to_status)?,
                actor: row.actor,
                at: from_micros(row.change_time),
                note: row.note.map(PersonalText::from_stored),
                assignment,
                referral: row.referral_administration.map(|administration| Referral {
                    administration,
                    external_reference: row.referral_external_reference,
                }),
                escalation: row.escalation,
            })
        })
        .collect()
}

/// The inquiry `id`, whoever owns it (callers check visibility).
pub(crate) async fn find<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Option<Inquiry>, Error> {
    inquiry::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(from_row)
        .transpose()
}

/// The inquiry `id`, locked until the transaction ends.
pub(crate) async fn lock<C: ConnectionTrait>(
    conn: &C,
    backend: Backend,
    id: Uuid,
) -> Result<Option<Inquiry>, Error> {
    lock_for_update(inquiry::Entity::find_by_id(id), backend)
        .one(conn)
        .await?
        .map(from_row)
        .transpose()
}

/// The inquiry with this reference (already normalized), with its tracking-code hash.
pub(crate) async fn find_by_reference<C: ConnectionTrait>(
    conn: &C,
    reference: &str,
) -> Result<Option<(Inquiry, Vec<u8>)>, Error> {
    let Some(row) = inquiry::Entity::find()
        .filter(inquiry::Column::Reference.eq(reference))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let hash = row.tracking_hash.clone();
    Ok(Some((from_row(row)?, hash)))
}

/// A page of inquiries matching `filter`, after `after`, in the filter's order.
/// `today` is the current date key in the agency zone, for the overdue filter.
pub(crate) async fn list<C: ConnectionTrait>(
    conn: &C,
    filter: &InquiryFilter,
    today: i32,
    after: Option<InquiryCursor>,
    limit: u64,
) -> Result<Vec<Inquiry>, Error> {
    use inquiry::Column as Col;
    let mut condition = Condition::all();
    if let Some(agency) = &filter.agency {
        condition = condition.add(Col::Agency.eq(agency.as_str()));
    }
    if let Some(instant) = filter.updated_after {
        condition = condition.add(Col::UpdatedAt.gt(to_micros(instant)));
    }
    if !filter.statuses.is_empty() {
        condition = condition.add(Col::Status.is_in(filter.statuses.iter().map(|s| s.code())));
    }
    if let Some(category) = filter.category {
        condition = condition.add(Col::CategoryId.eq(category));
    }
    if let Some(service) = &filter.service {
        condition = condition.add(Col::Service.eq(service.as_str()));
    }
    if let Some(event) = &filter.event {
        condition = condition.add(Col::Event.eq(event.as_str()));
    }
    if let Some(channel) = filter.channel {
        condition = condition.add(Col::Channel.eq(channel.code()));
    }
    if let Some(agent) = &filter.agent {
        condition = condition.add(Col::AssignmentAgent.eq(agent.as_str()));
    }
    if let Some(team) = &filter.team {
        condition = condition.add(Col::AssignmentTeam.eq(team.as_str()));
    }
    if filter.unassigned {
        condition = condition.add(Col::AssignmentAgent.is_null());
    }
    if filter.overdue {
        condition = condition
            .add(Col::Status.is_in(Status::AWAITING_ANSWER.iter().map(|s| s.code())))
            .add(Col::DueDate.lt(today));
    }
    let select = inquiry::Entity::find().filter(condition);
    let select = match filter.order {
        InquiryOrder::CreateTime => Keyset::new([Col::Id], Direction::Ascending)
            .apply(select, after.map(|cursor| [cursor.id.into()])),
        InquiryOrder::DueDate => Keyset::new([Col::DueDate, Col::Id], Direction::Ascending).apply(
            select,
            after.map(|cursor| [cursor.due.unwrap_or(i32::MIN).into(), cursor.id.into()]),
        ),
    };
    select
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// Inquiries whose due date waits for the catalog, oldest first.
pub(crate) async fn pending_due_dates<C: ConnectionTrait>(
    conn: &C,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Inquiry>, Error> {
    let pending = inquiry::Entity::find().filter(inquiry::Column::DueDatePending.eq(true));
    Keyset::new([inquiry::Column::Id], Direction::Ascending)
        .apply(pending, after.map(|id| [id.into()]))
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// Inquiries that may be overdue and were never escalated, by id: awaiting an answer
/// with a due date before `due_before` (a date key). The domain decides for each in its
/// agency's zone.
pub(crate) async fn escalation_candidates<C: ConnectionTrait>(
    conn: &C,
    due_before: i32,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Inquiry>, Error> {
    use inquiry::Column as Col;
    let candidates = inquiry::Entity::find().filter(
        Condition::all()
            .add(Col::Status.is_in(Status::AWAITING_ANSWER.iter().map(|s| s.code())))
            .add(Col::DueDate.lt(due_before))
            .add(Col::EscalatedAt.is_null()),
    );
    Keyset::new([Col::Id], Direction::Ascending)
        .apply(candidates, after.map(|id| [id.into()]))
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// CLOSED inquiries unchanged since before `changed_before` and not yet anonymised, by id.
pub(crate) async fn retention_candidates<C: ConnectionTrait>(
    conn: &C,
    changed_before: Timestamp,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Inquiry>, Error> {
    use inquiry::Column as Col;
    let candidates = inquiry::Entity::find().filter(
        Condition::all()
            .add(Col::Status.eq(Status::Closed.code()))
            .add(Col::UpdatedAt.lt(to_micros(changed_before)))
            .add(Col::AnonymisedAt.is_null()),
    );
    Keyset::new([Col::Id], Direction::Ascending)
        .apply(candidates, after.map(|id| [id.into()]))
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// Up to `limit` inquiries of `agency` whose requester `person` is, oldest first, locked
/// for update when `lock` gives the backend. The email is compared in lowercase in SQL to
/// find the candidates, then exactly by the domain's rule.
pub(crate) async fn of_person<C: ConnectionTrait>(
    conn: &C,
    agency: &AgencyCode,
    person: &Person,
    limit: u64,
    lock: Option<Backend>,
) -> Result<Vec<Inquiry>, Error> {
    use inquiry::Column as Col;
    let mut who = Condition::any();
    if let Some(email) = &person.email {
        who = who.add(
            Expr::expr(Func::lower(Expr::col(Col::RequesterEmail)))
                .eq(Func::lower(Expr::val(email.as_str()))),
        );
    }
    if let Some(phone) = &person.phone {
        who = who.add(Col::RequesterPhone.eq(phone.as_str()));
    }
    if who.is_empty() {
        return Ok(Vec::new());
    }
    let select = inquiry::Entity::find()
        .filter(Col::Agency.eq(agency.as_str()))
        .filter(who)
        .order_by_asc(Col::Id)
        .limit(limit);
    let select = match lock {
        Some(backend) => lock_for_update(select, backend),
        None => select,
    };
    let mut found = Vec::new();
    for row in select.all(conn).await? {
        let inquiry = from_row(row)?;
        if person.recognises(&inquiry.requester) {
            found.push(inquiry);
        }
    }
    Ok(found)
}

/// Removes the notes of an inquiry's history: staff write them about the citizen's case.
pub(crate) async fn clear_history_notes<C: ConnectionTrait>(
    conn: &C,
    inquiry_id: Uuid,
) -> Result<(), Error> {
    history_row::Entity::update_many()
        .col_expr(
            history_row::Column::Note,
            Expr::value(Option::<String>::None),
        )
        .filter(history_row::Column::InquiryId.eq(inquiry_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// The statistics of the inquiries submitted in `[from, to)` to `agency` (or to every
/// agency), as they stand at `today`. Counts are grouped in SQL; the median is computed
/// from the fetched durations, the same way on both backends.
pub(crate) async fn statistics<C: ConnectionTrait>(
    conn: &C,
    agency: Option<&AgencyCode>,
    from: Timestamp,
    to: Timestamp,
    today: i32,
) -> Result<(Statistics, Vec<i64>), Error> {
    use inquiry::Column as Col;
    let mut condition = Condition::all()
        .add(Col::CreatedAt.gte(to_micros(from)))
        .add(Col::CreatedAt.lt(to_micros(to)));
    if let Some(agency) = agency {
        condition = condition.add(Col::Agency.eq(agency.as_str()));
    }
    let awaiting = Status::AWAITING_ANSWER
        .iter()
        .map(|status| status.code().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    // `today` and the status codes are integers computed here, never caller text.
    let overdue =
        format!("SUM(CASE WHEN status IN ({awaiting}) AND due_date < {today} THEN 1 ELSE 0 END)");
    let groups: Vec<StatisticsGroup> = inquiry::Entity::find()
        .select_only()
        .column(Col::Status)
        .column(Col::CategoryId)
        .column(Col::Channel)
        .column(Col::Kind)
        .column_as(Expr::cust("COUNT(*)"), "total")
        .column_as(
            Expr::cust("SUM(CASE WHEN first_answered_at IS NOT NULL THEN 1 ELSE 0 END)"),
            "answered",
        )
        .column_as(
            Expr::cust("SUM(CASE WHEN answered_on_time THEN 1 ELSE 0 END)"),
            "on_time",
        )
        .column_as(Expr::cust(overdue), "overdue")
        .column_as(
            Expr::cust("SUM(CASE WHEN escalated_at IS NOT NULL THEN 1 ELSE 0 END)"),
            "escalated",
        )
        .filter(condition.clone())
        .group_by(Col::Status)
        .group_by(Col::CategoryId)
        .group_by(Col::Channel)
        .group_by(Col::Kind)
        .into_tuple()
        .all(conn)
        .await?;

    let mut statistics = Statistics::default();
    for (status, category, channel, kind, total, answered, on_time, overdue, escalated) in groups {
        statistics.escalated += escalated;
        let status = Status::from_code(status)?;
        let channel = Channel::from_code(channel)?;
        add_count(&mut statistics.by_kind, Kind::from_code(kind)?, total);
        statistics.total += total;
        statistics.answered += answered;
        statistics.answered_on_time += on_time;
        statistics.overdue += overdue;
        add_count(&mut statistics.by_status, status, total);
        add_count(&mut statistics.by_category, category, total);
        add_count(&mut statistics.by_channel, channel, total);
    }
    statistics.by_status.sort_by_key(|(status, _)| *status);
    statistics.by_channel.sort_by_key(|(channel, _)| *channel);
    statistics.by_kind.sort_by_key(|(kind, _)| *kind);
    statistics
        .by_category
        .sort_by_key(|(category, _)| *category);

    let responses: Vec<(i64, i64)> = inquiry::Entity::find()
        .select_only()
        .column(Col::CreatedAt)
        .column(Col::FirstResponseAt)
        .filter(condition.add(Col::FirstResponseAt.is_not_null()))
        .into_tuple()
        .all(conn)
        .await?;
    let durations = responses
        .into_iter()
        .map(|(created, responded)| responded.saturating_sub(created))
        .collect();
    Ok((statistics, durations))
}

/// One row of the statistics' grouping: status, category, channel and kind codes, then
/// the total, answered, answered-on-time, overdue and escalated counts.
type StatisticsGroup = (i32, Uuid, i32, i32, i64, i64, i64, i64, i64);

fn add_count<K: PartialEq>(counts: &mut Vec<(K, i64)>, key: K, count: i64) {
    match counts.iter_mut().find(|(existing, _)| *existing == key) {
        Some((_, total)) => *total += count,
        None => counts.push((key, count)),
    }
}

fn row(value: &Inquiry, tracking_hash: Vec<u8>) -> Result<inquiry::Model, Error> {
    let requester = &value.requester;
    let coordinates = value.place.as_ref().and_then(|place| place.coordinates);
    Ok(inquiry::Model {
        id: value.id,
        agency: value.agency.to_string(),
        reference: value.reference.to_string(),
        tracking_hash,
        requester_name: requester.display_name.expose().to_owned(),
        requester_email: requester.email.as_ref().map(|e| e.as_str().to_owned()),
        requester_phone: requester.phone.as_ref().map(|p| p.as_str().to_owned()),
        requester_country: requester.country_of_residence.as_str().to_owned(),
        requester_language: requester
            .preferred_language
            .as_ref()
            .map(ToString::to_string),
        requester_diaspora: requester.diaspora,
        channel: value.channel.code(),
        category_id: value.category,
        service: value.service.clone(),
        event: value.event.clone(),
        subject: value.subject.expose().to_owned(),
        body: value.body.expose().to_owned(),
        answer_before: value.answer_before.map(date_key),
        status: value.status.code(),
        referral_administration: value.referral.as_ref().map(|r| r.administration.clone()),
        referral_external_reference: value
            .referral
            .as_ref()
            .and_then(|r| r.external_reference.clone()),
        assignment_team: value.assignment.as_ref().and_then(|a| a.team.clone()),
        assignment_agent: value.assignment.as_ref().and_then(|a| a.agent.clone()),
        priority: value.priority.code(),
        submitted_on: date_key(value.due.submitted_on),
        response_days: stored_i32(value.due.response_days, "response days")?,
        paused_days: stored_i32(value.due.paused_days, "paused days")?,
        due_date: date_key(value.due.settled()),
        due_base: Some(date_key(value.due.base)),
        escalated_at: value.escalated_at.map(to_micros),
        anonymised_at: value.anonymised_at.map(to_micros),
        due_date_source: value.due.source.code(),
        due_date_pending: value.due.pending,
        service_revision: value.due.service_revision,
        first_response_at: value.first_response_at.map(to_micros),
        first_answered_at: value.first_answered_at.map(to_micros),
        answered_on_time: value.answered_on_time,
        paused_micros: i64::try_from(value.paused.as_micros()).unwrap_or(i64::MAX),
        waiting_since: value.waiting_since.map(to_micros),
        created_at: to_micros(value.created_at),
        updated_at: to_micros(value.updated_at),
        version: value.version,
        kind: value.kind.code(),
        place_commune: value.place.as_ref().and_then(|p| p.commune.clone()),
        place_land_title: value
            .place
            .as_ref()
            .and_then(|p| p.land_title_number.clone()),
        place_latitude_micro: coordinates.map(Coordinates::latitude_micro),
        place_longitude_micro: coordinates.map(Coordinates::longitude_micro),
    })
}

fn from_row(row: inquiry::Model) -> Result<Inquiry, Error> {
    let agency = AgencyCode::parse(&row.agency).map_err(|_| corrupt("agency"))?;
    let reference = parse_reference(&agency, &row.reference)?;
    let requester = Requester {
        display_name: PersonalText::from_stored(row.requester_name),
        email: row
            .requester_email
            .map(|email| Email::parse(&email).map_err(|_| corrupt("email")))
            .transpose()?,
        phone: row
            .requester_phone
            .map(|phone| Phone::from_stored(&phone).map_err(|_| corrupt("phone")))
            .transpose()?,
        country_of_residence: CountryCode::parse(&row.requester_country)
            .map_err(|_| corrupt("country"))?,
        preferred_language: row
            .requester_language
            .map(|language| LanguageCode::parse(&language).map_err(|_| corrupt("language")))
            .transpose()?,
        diaspora: row.requester_diaspora,
    };
    let assignment = assignment(row.assignment_team, row.assignment_agent);
    let coordinates = match (row.place_latitude_micro, row.place_longitude_micro) {
        (None, None) => None,
        (Some(latitude), Some(longitude)) => Some(
            Coordinates::from_micro(latitude, longitude).ok_or_else(|| corrupt("coordinates"))?,
        ),
        _ => return Err(corrupt("coordinates")),
    };
    let submitted_on = date_from_key(row.submitted_on).ok_or_else(|| corrupt("submission date"))?;
    // Rows from before working days were counted in calendar days.
    let base = match row.due_base {
        Some(key) => date_from_key(key).ok_or_else(|| corrupt("due base"))?,
        None => add_days(submitted_on, i64::from(row.response_days)),
    };
    let place = Place {
        commune: row.place_commune,
        land_title_number: row.place_land_title,
        coordinates,
    }
    .non_empty();
    Ok(Inquiry {
        id: row.id,
        agency,
        reference,
        requester,
        channel: Channel::from_code(row.channel)?,
        category: row.category_id,
        service: row.service,
        event: row.event,
        subject: PersonalText::from_stored(row.subject),
        body: PersonalText::from_stored(row.body),
        answer_before: row
            .answer_before
            .map(|key| date_from_key(key).ok_or_else(|| corrupt("answer-before date")))
            .transpose()?,
        status: Status::from_code(row.status)?,
        referral: row.referral_administration.map(|administration| Referral {
            administration,
            external_reference: row.referral_external_reference,
        }),
        assignment,
        priority: Priority::from_code(row.priority)?,
        due: DueDate {
            submitted_on,
            response_days: i64::from(row.response_days),
            paused_days: i64::from(row.paused_days),
            source: DueDateSource::from_code(row.due_date_source)?,
            pending: row.due_date_pending,
            service_revision: row.service_revision,
            base,
        },
        first_response_at: row.first_response_at.map(from_micros),
        first_answered_at: row.first_answered_at.map(from_micros),
        answered_on_time: row.answered_on_time,
        paused: SignedDuration::from_micros(row.paused_micros),
        waiting_since: row.waiting_since.map(from_micros),
        created_at: from_micros(row.created_at),
        updated_at: from_micros(row.updated_at),
        version: row.version,
        kind: Kind::from_code(row.kind)?,
        place,
        escalated_at: row.escalated_at.map(from_micros),
        anonymised_at: row.anonymised_at.map(from_micros),
    })
}

fn assignment(team: Option<String>, agent: Option<String>) -> Option<Assignment> {
    if team.is_none() && agent.is_none() {
        None
    } else {
        Some(Assignment { team, agent })
    }
}

/// `BM-2025-000042` back into its parts; the agency prefix may itself hold hyphens.
fn parse_reference(agency: &AgencyCode, text: &str) -> Result<Reference, Error> {
    let mut parts = text.rsplitn(3, '-');
    let sequence = parts.next().and_then(|s| s.parse::<i64>().ok());
    let year = parts.next().and_then(|y| y.parse::<i16>().ok());
    let prefix = parts.next();
    match (sequence, year, prefix) {
        (Some(sequence), Some(year), Some(prefix)) if prefix == agency.reference_prefix() => {
            Ok(Reference::new(agency.clone(), year, sequence))
        }
        _ => Err(corrupt("reference")),
    }
}
