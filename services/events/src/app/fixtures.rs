//! What the use-case tests share: the service over a fresh test database (SQLite, or
//! PostgreSQL when JALIA_TEST_POSTGRES_URL is set) on a clock the test sets, and a
//! published event of agency `bm` with people registered, one of them checked in.

use jalia_db::testing::TestDatabase;
use jalia_db::{PAGE_TOKEN_TTL, PageTokens};
use jalia_model::{AgencyCode, Phone};
use jalia_runtime::SharedClock;
use jiff::Timestamp;
use uuid::Uuid;

use super::Events;
use crate::domain::content::tests::content;
use crate::domain::event::{Applicant, Event, EventStatus, RegistrationPolicy};
use crate::domain::registration::tests::attendee;
use crate::domain::registration::{Consent, Registrant, Registration, new_code};
use crate::domain::retention::Retention;
use crate::store;

/// The retention period the fixtures' service runs with.
pub(crate) const RETENTION_DAYS: u32 = 180;

/// The service on a fresh, migrated database; keep the database alive beside it.
pub(crate) async fn service(clock: SharedClock) -> (TestDatabase, Events) {
    let database = TestDatabase::new().await;
    database.db().migrate::<store::Migrator>().await.unwrap();
    let events = Events::new(
        database.db().clone(),
        clock,
        PageTokens::new(&[7; 32], PAGE_TOKEN_TTL).unwrap(),
        RegistrationPolicy { per_portal: 10 },
        Retention::days(RETENTION_DAYS),
    );
    (database, events)
}

/// The phone of fixture person `index`.
pub(crate) fn phone_of(index: usize) -> String {
    format!("+21266{index:07}")
}

/// A published event of agency `agency` from `start` to `end` (local, Morocco) with two
/// seats and a waitlist, and `people` registered in order through `registrant` with
/// consent (the first checked in); persons are numbered from `first`.
pub(crate) async fn event_with_people(
    events: &Events,
    agency: &str,
    (start, end): (&str, &str),
    first: usize,
    people: usize,
) -> (Event, Vec<Registration>) {
    let db = events.db().connection();
    let mut event = Event::draft(
        Uuid::now_v7(),
        AgencyCode::parse(agency).unwrap(),
        content(start, end),
        Timestamp::UNIX_EPOCH,
    );
    event.status = EventStatus::Published;
    let settings = &mut event.content.registration;
    (
        settings.enabled,
        settings.capacity,
        settings.waitlist_enabled,
    ) = (true, 2, true);
    store::events::insert(db, &event).await.unwrap();
    let registrant = Registrant {
        agency: agency.into(),
        subject: "desk-app".into(),
    };
    let mut made = Vec::new();
    for index in first..first + people {
        let applicant = Applicant {
            registrant: &registrant,
            organiser: true,
            held: 0,
        };
        let admission = event
            .admit(&applicant, &events.policy, Timestamp::UNIX_EPOCH)
            .unwrap();
        let mut person = attendee(index);
        person.phone = Some(Phone::parse(&phone_of(index)).unwrap());
        let mut registration = Registration::admitted(
            Uuid::now_v7(),
            &event,
            person,
            new_code(),
            admission,
            registrant.clone(),
            Timestamp::UNIX_EPOCH,
        )
        .with_consent(Some(Consent {
            text_version: "2025-07".into(),
            time: Timestamp::UNIX_EPOCH,
        }));
        if made.is_empty() {
            event.seats.checked_in += 1;
            registration.check_in(Timestamp::UNIX_EPOCH).unwrap();
        }
        store::registrations::insert(db, &registration)
            .await
            .unwrap();
        made.push(registration);
    }
    store::events::save_seats(db, &event).await.unwrap();
    (event, made)
}
