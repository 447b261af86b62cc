//! The retention task's use case (law 09-08): registrations of events that ended before
//! the retention horizon lose their personal data, in bounded batches, each its own
//! short transaction, so the task never holds locks for long and resumes where it left
//! off after a restart. Running it again changes nothing.

use jiff::Timestamp;

use super::Events;
use crate::domain::Result;
use crate::store;

/// Registrations anonymised per transaction.
const BATCH: u64 = 200;

impl Events {
    /// Anonymises every registration past the retention period, batch by batch; gives
    /// how many it changed.
    pub(crate) async fn anonymise_past_retention(&self) -> Result<u64> {
        let now = self.now();
        let horizon = self.retention.horizon(now);
        let mut total = 0;
        loop {
            let done = self
                .db
                .write(&(horizon, now), |tx, (horizon, now)| {
                    Box::pin(anonymise_batch(tx, *horizon, *now))
                })
                .await?;
            total += done;
            if done < BATCH {
                break;
            }
        }
        if total > 0 {
            tracing::info!(registrations = total, horizon = %horizon, "registrations past retention anonymised");
        }
        Ok(total)
    }
}

async fn anonymise_batch(
    tx: &jalia_db::sea_orm::DatabaseTransaction,
    horizon: Timestamp,
    now: Timestamp,
) -> Result<u64> {
    let mut batch = store::registrations::lock_past_retention(tx, horizon, BATCH).await?;
    let mut done = 0;
    for registration in &mut batch {
        if registration.anonymise(now) {
            store::registrations::save(tx, registration).await?;
            done += 1;
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use jalia_runtime::ManualClock;
    use jiff::SignedDuration;

    use super::super::fixtures::{RETENTION_DAYS, event_with_people, service};
    use super::*;
    use crate::domain::registration::{Attendee, Credential, RegistrationStatus};

    fn days(days: u32) -> SignedDuration {
        SignedDuration::from_hours(24 * i64::from(days))
    }

    #[tokio::test]
    async fn registrations_past_retention_keep_no_personal_data_and_the_counts_stay() {
        let clock = ManualClock::new(Timestamp::UNIX_EPOCH);
        let (_database, events) = service(clock.clone()).await;
        let db = events.db().connection();
        let (past, made) = event_with_people(
            &events,
            "bm",
            ("2027-08-10T10:00", "2027-08-10T13:00"),
            1,
            usize::try_from(BATCH).unwrap() + 3,
        )
        .await;
        let (later, _) = event_with_people(
            &events,
            "bm",
            ("2027-12-10T10:00", "2027-12-10T13:00"),
            1000,
            2,
        )
        .await;
        let seats = past.seats;
        let end = past.content.end.instant();

        // A day before the period is over, nothing changes.
        clock.set(end + days(RETENTION_DAYS - 1));
        assert_eq!(events.anonymise_past_retention().await.unwrap(), 0);
        assert!(
            !store::registrations::personal_values(db, past.id)
                .await
                .unwrap()
                .is_empty()
        );

        // Once it is, in more than one batch, every registration of the past event.
        let now = end + days(RETENTION_DAYS) + SignedDuration::from_secs(1);
        clock.set(now);
        assert_eq!(
            events.anonymise_past_retention().await.unwrap(),
            u64::try_from(made.len()).unwrap()
        );
        assert_eq!(
            store::registrations::personal_values(db, past.id)
                .await
                .unwrap(),
            Vec::<String>::new(),
            "no personal data remains"
        );
        assert_eq!(
            store::events::find(db, past.id)
                .await
                .unwrap()
                .unwrap()
                .seats,
            seats,
            "the counts are those of before"
        );
        for before in &made {
            let after = store::registrations::find(db, past.id, before.id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(after.attendee, Attendee::anonymous());
            assert_eq!(after.anonymise_time, Some(now));
            assert_eq!(
                (
                    after.status,
                    after.check_in_time,
                    &after.consent,
                    &after.code
                ),
                (
                    before.status,
                    before.check_in_time,
                    &before.consent,
                    &before.code
                )
            );
            assert!(
                !Credential::typed(&before.code, &super::super::fixtures::phone_of(1))
                    .opens(&after)
            );
        }
        assert_eq!(made[0].status, RegistrationStatus::Confirmed);
        // The later event keeps its people; running again changes nothing.
        assert_eq!(
            store::registrations::personal_values(db, later.id)
                .await
                .unwrap()
                .len(),
            2 * 5
        );
        clock.set(now + days(1));
        assert_eq!(events.anonymise_past_retention().await.unwrap(), 0);
    }
}
