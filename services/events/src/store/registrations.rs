//! Registrations: rows to domain values and back, the locked reads a change starts with,
//! the checks a registration needs (the person's live registration, the portal's count,
//! a free code), and places in line counted from an index, never by reading the line.

use jalia_db::sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use jalia_db::sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement,
};
use jalia_db::{
    Direction, Keyset, WriteBatch, from_micros, lock_for_update, to_micros, values_list,
};
use jalia_model::{AgencyCode, CountryCode, Email, LanguageCode, Phone};
use jiff::Timestamp;
use uuid::Uuid;

use super::corrupt;
use super::entities::{event, registration};
use super::events::backend;
use super::stored::StoredName;
use crate::domain::Result;
use crate::domain::query::RosterQuery;
use crate::domain::registration::{
    Attendee, Consent, Identity, Registrant, Registration, RegistrationStatus,
};

/// How a change finds the registration it locks.
#[derive(Debug, Clone, Copy)]
pub(crate) enum By<'a> {
    /// Its id.
    Id(Uuid),
    /// Its code.
    Code(&'a str),
}

fn from_row(row: registration::Model) -> Result<Registration> {
    let given = |value: Option<String>| value.filter(|v| !v.is_empty());
    let registered_by = match (row.registrant_agency, row.registrant_subject) {
        (Some(agency), Some(subject)) => Some(Registrant { agency, subject }),
        _ => None,
    };
    Ok(Registration {
        id: row.id,
        event_id: row.event_id,
        agency: AgencyCode::parse(&row.agency).map_err(|_| corrupt("agency"))?,
        attendee: Attendee {
            display_name: row.display_name,
            email: given(row.email)
                .map(|email| Email::parse(&email).map_err(|_| corrupt("email")))
                .transpose()?,
            phone: given(row.phone)
                .map(|phone| Phone::from_stored(&phone).map_err(|_| corrupt("phone")))
                .transpose()?,
            residence: given(row.residence)
                .map(|code| CountryCode::parse(&code).map_err(|_| corrupt("country")))
                .transpose()?,
            language: given(row.language)
                .map(|code| LanguageCode::parse(&code).map_err(|_| corrupt("language")))
                .transpose()?,
            diaspora: row.diaspora,
        },
        code: row.code,
        status: RegistrationStatus::from_stored(&row.status)
            .ok_or_else(|| corrupt("registration status"))?,
        waitlist_seq: row.waitlist_seq,
        registered_by,
        consent: match (row.consent_version, row.consent_time) {
            (Some(text_version), Some(time)) => Some(Consent {
                text_version,
                time: from_micros(time),
            }),
            _ => None,
        },
        anonymise_time: row.anonymise_time.map(from_micros),
        check_in_time: row.check_in_time.map(from_micros),
        create_time: from_micros(row.create_time),
        update_time: from_micros(row.update_time),
        version: row.version,
    })
}

/// The row of a registration. The identity keys are kept only while it is live, so the
/// unique indexes on them hold one live registration per person per event and a
/// cancelled one does not stop the person registering again.
fn row(registration: &Registration) -> registration::ActiveModel {
    let attendee = &registration.attendee;
    let identity = if registration.is_live() {
        attendee.identity()
    } else {
        Identity::default()
    };
    let registrant = registration.registered_by.as_ref();
    let consent = registration.consent.as_ref();
    registration::ActiveModel {
        id: Set(registration.id),
        event_id: Set(registration.event_id),
        agency: Set(registration.agency.to_string()),
        code: Set(registration.code.clone()),
        status: Set(registration.status.stored().to_owned()),
        waitlist_seq: Set(registration.waitlist_seq),
        display_name: Set(attendee.display_name.clone()),
        email: Set(attendee.email.as_ref().map(|e| e.as_str().to_owned())),
        email_key: Set(identity.email),
        phone: Set(attendee.phone.as_ref().map(|p| p.as_str().to_owned())),
        phone_key: Set(identity.phone),
        residence: Set(attendee.residence.as_ref().map(|c| c.as_str().to_owned())),
        language: Set(attendee.language.as_ref().map(ToString::to_string)),
        diaspora: Set(attendee.diaspora),
        registrant_agency: Set(registrant.map(|r| r.agency.clone())),
        registrant_subject: Set(registrant.map(|r| r.subject.clone())),
        consent_version: Set(consent.map(|c| c.text_version.clone())),
        consent_time: Set(consent.map(|c| to_micros(c.time))),
        anonymise_time: Set(registration.anonymise_time.map(to_micros)),
        check_in_time: Set(registration.check_in_time.map(to_micros)),
        create_time: Set(to_micros(registration.create_time)),
        update_time: Set(to_micros(registration.update_time)),
        version: Set(registration.version),
    }
}

/// Inserts a registration.
pub(crate) async fn insert(db: &impl ConnectionTrait, registration: &Registration) -> Result<()> {
    registration::Entity::insert(row(registration))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Adds the insert of several registrations, in one statement, to a batch of writes;
/// nothing for none.
pub(crate) fn add_inserts(writes: &mut WriteBatch, registrations: &[Registration]) {
    if !registrations.is_empty() {
        let insert = registration::Entity::insert_many(registrations.iter().map(row));
        writes.add(insert.build(writes.backend()));
    }
}

/// Writes a registration read under lock in the same transaction.
pub(crate) async fn save(db: &impl ConnectionTrait, registration: &Registration) -> Result<()> {
    registration::Entity::update(row(registration))
        .exec(db)
        .await?;
    Ok(())
}

fn waitlisted() -> &'static str {
    RegistrationStatus::Waitlisted.stored()
}

/// A registration's place in line: how many of the event's waitlisted registrations are
/// at or before it, counted on the (event, status, order) index.
pub(crate) async fn position(
    db: &impl ConnectionTrait,
    registration: &Registration,
) -> Result<Option<u32>> {
    let Some(seq) = registration
        .waitlist_seq
        .filter(|_| registration.status == RegistrationStatus::Waitlisted)
    else {
        return Ok(None);
    };
    let ahead = registration::Entity::find()
        .filter(registration::Column::EventId.eq(registration.event_id))
        .filter(registration::Column::Status.eq(waitlisted()))
        .filter(registration::Column::WaitlistSeq.lte(seq))
        .count(db)
        .await?;
    Ok(u32::try_from(ahead).ok())
}

/// Reads one registration of an event.
pub(crate) async fn find(
    db: &impl ConnectionTrait,
    event_id: Uuid,
    id: Uuid,
) -> Result<Option<Registration>> {
    registration::Entity::find_by_id(id)
        .filter(registration::Column::EventId.eq(event_id))
        .one(db)
        .await?
        .map(from_row)
        .transpose()
}

/// Reads one registration of an event by its code.
pub(crate) async fn find_by_code(
    db: &impl ConnectionTrait,
    event_id: Uuid,
    code: &str,
) -> Result<Option<Registration>> {
    registration::Entity::find()
        .filter(registration::Column::EventId.eq(event_id))
        .filter(registration::Column::Code.eq(code))
        .one(db)
        .await?
        .map(from_row)
        .transpose()
}

/// Reads and locks a registration of an event.
pub(crate) async fn lock(
    db: &impl ConnectionTrait,
    event_id: Uuid,
    by: By<'_>,
) -> Result<Option<Registration>> {
    let select = registration::Entity::find().filter(registration::Column::EventId.eq(event_id));
    let select = match by {
        By::Id(id) => select.filter(registration::Column::Id.eq(id)),
        By::Code(code) => select.filter(registration::Column::Code.eq(code)),
    };
    lock_for_update(select, backend(db))
        .one(db)
        .await?
        .map(from_row)
        .transpose()
}

/// The first `count` in line, in order, locked.
pub(crate) async fn lock_front_of_line(
    db: &impl ConnectionTrait,
    event_id: Uuid,
    count: u32,
) -> Result<Vec<Registration>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let select = registration::Entity::find()
        .filter(registration::Column::EventId.eq(event_id))
        .filter(registration::Column::Status.eq(waitlisted()))
        .order_by_asc(registration::Column::WaitlistSeq)
        .limit(u64::from(count));
    lock_for_update(select, backend(db))
        .all(db)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// Up to `limit` registrations still holding personal data whose event ended before
/// `horizon`, locked, in id order: one batch of the retention task.
pub(crate) async fn lock_past_retention(
    db: &impl ConnectionTrait,
    horizon: Timestamp,
    limit: u64,
) -> Result<Vec<Registration>> {
    let ended = Query::select()
        .column(event::Column::Id)
        .from(event::Entity)
        .and_where(event::Column::EndUtc.lt(to_micros(horizon)))
        .to_owned();
    let select = registration::Entity::find()
        .filter(registration::Column::AnonymiseTime.is_null())
        .filter(registration::Column::EventId.in_subquery(ended))
        .order_by_asc(registration::Column::Id)
        .limit(limit);
    lock_for_update(select, backend(db))
        .all(db)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// Up to `limit` registrations to events of `agency` that `person` recognises (live or
/// cancelled), in registration order, locked when `lock`. The email is compared in
/// lowercase in SQL to find the candidates, then exactly by the domain's rule.
pub(crate) async fn of_person(
    db: &impl ConnectionTrait,
    agency: &AgencyCode,
    person: &Identity,
    limit: u64,
    lock: bool,
) -> Result<Vec<Registration>> {
    let mut who = Condition::any();
    if let Some(email) = &person.email {
        who = who.add(
            Expr::expr(Func::lower(Expr::col(registration::Column::Email)))
                .eq(Func::lower(Expr::val(email.as_str()))),
        );
    }
    if let Some(phone) = &person.phone {
        who = who.add(registration::Column::Phone.eq(phone.as_str()));
    }
    if who.is_empty() {
        return Ok(Vec::new());
    }
    let select = registration::Entity::find()
        .filter(registration::Column::Agency.eq(agency.as_str()))
        .filter(who)
        .order_by_asc(registration::Column::Id)
        .limit(limit);
    let select = if lock {
        lock_for_update(select, backend(db))
    } else {
        select
    };
    let rows = select.all(db).await?;
    let mut found = Vec::with_capacity(rows.len());
    for row in rows {
        let registration = from_row(row)?;
        if person.recognises(&registration.attendee) {
            found.push(registration);
        }
    }
    Ok(found)
}

/// Every personal value the event's rows still hold, whatever the column: for tests that
/// show anonymisation leaves none.
#[cfg(test)]
pub(crate) async fn personal_values(
    db: &impl ConnectionTrait,
    event_id: Uuid,
) -> Result<Vec<String>> {
    let rows = registration::Entity::find()
        .filter(registration::Column::EventId.eq(event_id))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .flat_map(|row| {
            [
                Some(row.display_name).filter(|name| !name.is_empty()),
                row.email,
                row.email_key,
                row.phone,
                row.phone_key,
                row.residence,
                row.language,
                row.diaspora.then(|| "diaspora".to_owned()),
            ]
        })
        .flatten()
        .collect())
}

/// The live registration of the person `identity` recognises, if any.
pub(crate) async fn live_holder(
    db: &impl ConnectionTrait,
    event_id: Uuid,
    identity: &Identity,
) -> Result<Option<Registration>> {
    let mut who = Condition::any();
    if let Some(email) = &identity.email {
        who = who.add(registration::Column::EmailKey.eq(email.as_str()));
    }
    if let Some(phone) = &identity.phone {
        who = who.add(registration::Column::PhoneKey.eq(phone.as_str()));
    }
    if who.is_empty() {
        return Ok(None);
    }
    registration::Entity::find()
        .filter(registration::Column::EventId.eq(event_id))
        .filter(who)
        .one(db)
        .await?
        .map(from_row)
        .transpose()
}

/// The live registrations that each person's identity recognises on the event they
/// register to, in one statement: a batch's duplicate check. The caller matches them to
/// its people.
pub(crate) async fn live_holders(
    db: &impl ConnectionTrait,
    wanted: &[(Uuid, &Identity)],
) -> Result<Vec<Registration>> {
    let emails: Vec<(Uuid, &str)> = wanted
        .iter()
        .filter_map(|(event, identity)| Some((*event, identity.email.as_deref()?)))
        .collect();
    let phones: Vec<(Uuid, &str)> = wanted
        .iter()
        .filter_map(|(event, identity)| Some((*event, identity.phone.as_deref()?)))
        .collect();
    if emails.is_empty() && phones.is_empty() {
        return Ok(Vec::new());
    }
    let rows = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            registration::Entity::find()
                .from_raw_sql(holders_joined(&emails, &phones))
                .all(db)
                .await?
        }
        _ => {
            let mut who = Condition::any();
            for (column, keys) in [
                (registration::Column::EmailKey, &emails),
                (registration::Column::PhoneKey, &phones),
            ] {
                for (event, key) in keys {
                    who = who.add(
                        registration::Column::EventId
                            .eq(*event)
                            .and(column.eq(*key)),
                    );
                }
            }
            registration::Entity::find().filter(who).all(db).await?
        }
    };
    rows.into_iter().map(from_row).collect()
}

/// [`live_holders`] on PostgreSQL: the (event, key) pairs as `VALUES` lists, each probing
/// its unique index through a `LATERAL` subquery. Asked as an `OR`, PostgreSQL may read a
/// batch on one event as one scan of all of the event's registrations filtered by key,
/// whenever its statistics lag behind the table; asked as a plain join, it may hash the
/// pairs and scan every registration, a plan it keeps for the prepared statement as the
/// table grows. The key is unique per event, so `LIMIT 1` loses nothing.
fn holders_joined(emails: &[(Uuid, &str)], phones: &[(Uuid, &str)]) -> Statement {
    let mut values = Vec::new();
    let mut selects = Vec::new();
    for (column, keys) in [("email_key", emails), ("phone_key", phones)] {
        if keys.is_empty() {
            continue;
        }
        let pairs = values_list(
            keys.iter()
                .map(|(event, key)| [(*event).into(), (*key).into()]),
            ["uuid", "text"],
            &mut values,
        );
        selects.push(format!(
            "SELECT g.* FROM (VALUES {pairs}) AS k (event_id, key) \
             CROSS JOIN LATERAL (SELECT * FROM registrations AS held \
             WHERE held.event_id = k.event_id AND held.{column} = k.key LIMIT 1) AS g"
        ));
    }
    Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        selects.join(" UNION ALL "),
        values,
    )
}

/// How many live registrations of the event `registrant` made, counted on its index.
pub(crate) async fn held_by(
    db: &impl ConnectionTrait,
    event_id: Uuid,
    registrant: &Registrant,
) -> Result<u32> {
    let held = registration::Entity::find()
        .filter(registration::Column::EventId.eq(event_id))
        .filter(registration::Column::RegistrantSubject.eq(registrant.subject.as_str()))
        .filter(registration::Column::RegistrantAgency.eq(registrant.agency.as_str()))
        .filter(registration::Column::Status.ne(RegistrationStatus::Cancelled.stored()))
        .count(db)
        .await?;
    Ok(u32::try_from(held).unwrap_or(u32::MAX))
}

/// Whether a code is already some registration's on the event.
pub(crate) async fn code_taken(
    db: &impl ConnectionTrait,
    event_id: Uuid,
    code: &str,
) -> Result<bool> {
    let found = registration::Entity::find()
        .filter(registration::Column::EventId.eq(event_id))
        .filter(registration::Column::Code.eq(code))
        .count(db)
        .await?;
    Ok(found > 0)
}

/// A row with its place in line, computed in the same statement.
#[derive(Debug, FromQueryResult)]
struct Positioned {
    #[sea_orm(nested)]
    registration: registration::Model,
    waitlist_position: Option<i64>,
}

/// Each waitlisted row's place in line, as a correlated count on the (event, status,
/// order) index: a page costs one statement, and no statement reads the line itself.
fn position_column() -> String {
    let waitlisted = waitlisted();
    format!(
        r#"CASE WHEN "registrations"."status" = '{waitlisted}' THEN (SELECT COUNT(*) FROM "registrations" AS "line" WHERE "line"."event_id" = "registrations"."event_id" AND "line"."status" = '{waitlisted}' AND "line"."waitlist_seq" <= "registrations"."waitlist_seq") END"#
    )
}

/// A page of an event's roster after `after`, in registration order, each with its
/// place in line.
pub(crate) async fn list(
    db: &impl ConnectionTrait,
    event_id: Uuid,
    query: &RosterQuery,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<(Registration, Option<u32>)>> {
    let mut select =
        registration::Entity::find().filter(registration::Column::EventId.eq(event_id));
    if let Some(status) = query.status {
        select = select.filter(registration::Column::Status.eq(status.stored()));
    }
    match query.checked_in {
        Some(true) => select = select.filter(registration::Column::CheckInTime.is_not_null()),
        Some(false) => select = select.filter(registration::Column::CheckInTime.is_null()),
        None => {}
    }
    if let Some(updated_after) = query.updated_after {
        select = select.filter(registration::Column::UpdateTime.gt(updated_after));
    }
    let keyset = Keyset::new([registration::Column::Id], Direction::Ascending);
    keyset
        .apply(select, after.map(|id| [id.into()]))
        .column_as(Expr::cust(position_column()), "waitlist_position")
        .limit(limit)
        .into_model::<Positioned>()
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let position = row.waitlist_position.and_then(|p| u32::try_from(p).ok());
            from_row(row.registration).map(|registration| (registration, position))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use jalia_db::sea_orm::{ConnectOptions, Database, DatabaseConnection};
    use jalia_db::testing::TestDatabase;
    use jiff::Timestamp;

    use super::*;
    use crate::domain::content::tests::content;
    use crate::domain::event::{Applicant, Event, EventStatus, RegistrationPolicy};
    use crate::domain::registration::tests::attendee;
    use crate::store::{Migrator, events};

    /// A pool on the test database that records the SQL of every statement it runs.
    async fn observed(database: &TestDatabase) -> (DatabaseConnection, Arc<Mutex<Vec<String>>>) {
        let mut options = ConnectOptions::new(database.config().url().to_owned());
        options.max_connections(1).sqlx_logging(false);
        let mut conn = Database::connect(options).await.unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let recorder = seen.clone();
        conn.set_metric_callback(move |info| {
            recorder.lock().unwrap().push(info.statement.sql.clone());
        });
        (conn, seen)
    }

    async fn line_of(conn: &DatabaseConnection, waiting: usize) -> (Event, Vec<Registration>) {
        let mut event = Event::draft(
            Uuid::now_v7(),
            AgencyCode::parse("bm").unwrap(),
            content("2027-08-10T10:00", "2027-08-10T13:00"),
            Timestamp::UNIX_EPOCH,
        );
        event.status = EventStatus::Published;
        let settings = &mut event.content.registration;
        (
            settings.enabled,
            settings.capacity,
            settings.waitlist_enabled,
        ) = (true, 0, true);
        events::insert(conn, &event).await.unwrap();
        let registrant = Registrant {
            agency: "bm".into(),
            subject: "desk-app".into(),
        };
        let policy = RegistrationPolicy { per_portal: 10 };
        let mut line = Vec::new();
        for index in 0..waiting {
            let applicant = Applicant {
                registrant: &registrant,
                organiser: true,
                held: 0,
            };
            let admission = event
                .admit(&applicant, &policy, Timestamp::UNIX_EPOCH)
                .unwrap();
            let registration = Registration::admitted(
                Uuid::now_v7(),
                &event,
                attendee(index),
                crate::domain::registration::new_code(),
                admission,
                registrant.clone(),
                Timestamp::UNIX_EPOCH,
            );
            insert(conn, &registration).await.unwrap();
            line.push(registration);
        }
        events::save_seats(conn, &event).await.unwrap();
        (event, line)
    }

    #[tokio::test]
    async fn places_in_line_are_counted_without_reading_the_line() {
        let database = TestDatabase::new().await;
        database.db().migrate::<Migrator>().await.unwrap();
        let (conn, seen) = observed(&database).await;
        let (mut event, mut line) = line_of(&conn, 150).await;
        // The tenth leaves the line: everyone behind moves up one place.
        event.release(&mut line[9], Timestamp::UNIX_EPOCH).unwrap();
        save(&conn, &line[9]).await.unwrap();
        seen.lock().unwrap().clear();

        assert_eq!(position(&conn, &line[0]).await.unwrap(), Some(1));
        assert_eq!(position(&conn, &line[9]).await.unwrap(), None);
        assert_eq!(position(&conn, &line[10]).await.unwrap(), Some(10));
        assert_eq!(position(&conn, &line[149]).await.unwrap(), Some(149));
        let page = list(&conn, event.id, &RosterQuery::default(), None, 20)
            .await
            .unwrap();
        let positions: Vec<Option<u32>> = page.iter().map(|(_, p)| *p).collect();
        let expected: Vec<Option<u32>> = (1..=9)
            .map(Some)
            .chain([None])
            .chain((10..=19).map(Some))
            .collect();
        assert_eq!(positions, expected);

        let statements = seen.lock().unwrap().clone();
        assert!(!statements.is_empty(), "the recorder saw the reads");
        for sql in statements.iter().filter(|sql| {
            sql.trim_start().starts_with("SELECT") && sql.contains(r#""registrations""#)
        }) {
            assert!(
                sql.contains("COUNT(") || sql.contains("LIMIT"),
                "a read of the registrations is neither a count nor bounded: {sql}"
            );
        }
    }

    #[tokio::test]
    async fn a_person_and_a_portal_are_found_by_their_indexes() {
        let database = TestDatabase::new().await;
        database.db().migrate::<Migrator>().await.unwrap();
        let conn = database.db().connection();
        let (mut event, mut line) = line_of(conn, 3).await;
        let registrant = line[0].registered_by.clone().unwrap();
        assert_eq!(held_by(conn, event.id, &registrant).await.unwrap(), 3);
        let holder = live_holder(conn, event.id, &attendee(1).identity())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(holder.id, line[1].id);
        event.release(&mut line[1], Timestamp::UNIX_EPOCH).unwrap();
        save(conn, &line[1]).await.unwrap();
        assert_eq!(held_by(conn, event.id, &registrant).await.unwrap(), 2);
        assert!(
            live_holder(conn, event.id, &attendee(1).identity())
                .await
                .unwrap()
                .is_none(),
            "a cancelled registration holds the person no more"
        );
        assert!(code_taken(conn, event.id, &line[1].code).await.unwrap());
        let read = find(conn, event.id, line[1].id).await.unwrap().unwrap();
        assert_eq!(read, line[1]);
    }
}
