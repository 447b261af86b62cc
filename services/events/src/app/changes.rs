//! The change feed (ARCHITECTURE.md §5): each use case records what changed in its own
//! transaction, through [`record`]; [`Events::watch_changes`] follows the records.

use futures_util::{Stream, StreamExt};
use jalia_db::sea_orm::{ConnectionTrait, DatabaseTransaction};
use jalia_db::{NewChange, WatchOptions, WriteBatch};
use jalia_model::{AgencyCode, Caller, FeedItem, WatchQuery};
use jiff::Timestamp;
use uuid::Uuid;

use super::Events;
use crate::domain::change::ChangeKind;
use crate::domain::registration::{Registration, RegistrationStatus};
use crate::domain::{Error, Result};

/// Records a change of an event in the caller's write transaction.
pub(super) async fn record_event(
    tx: &DatabaseTransaction,
    kind: ChangeKind,
    agency: &AgencyCode,
    event: Uuid,
    now: Timestamp,
) -> Result<()> {
    let resource = format!("agencies/{agency}/events/{event}");
    record(tx, kind, agency, &resource, now).await
}

/// Records a change of a registration in the caller's write transaction.
pub(super) async fn record_registration(
    tx: &DatabaseTransaction,
    kind: ChangeKind,
    registration: &Registration,
    now: Timestamp,
) -> Result<()> {
    let resource = resource_of(registration);
    record(tx, kind, &registration.agency, &resource, now).await
}

/// Records the registrations a transaction made (confirmed or waitlisted), in one
/// statement.
pub(super) async fn record_registered(
    tx: &DatabaseTransaction,
    registrations: &[Registration],
    now: Timestamp,
) -> Result<()> {
    let mut writes = WriteBatch::new(tx.get_database_backend());
    add_registered(&mut writes, registrations, now);
    writes.execute(tx).await?;
    Ok(())
}

/// Adds the records of the registrations a group commit made to its batch of writes.
pub(super) fn add_registered(
    writes: &mut WriteBatch,
    registrations: &[Registration],
    now: Timestamp,
) {
    let resources: Vec<String> = registrations.iter().map(resource_of).collect();
    let changes: Vec<NewChange<'_>> = registrations
        .iter()
        .zip(&resources)
        .map(|(registration, resource)| {
            let kind = match registration.status {
                RegistrationStatus::Waitlisted => ChangeKind::RegistrationWaitlisted,
                _ => ChangeKind::RegistrationConfirmed,
            };
            NewChange {
                kind: kind.code(),
                resource,
                agency: registration.agency.as_str(),
                time: now,
            }
        })
        .collect();
    jalia_db::add_changes(writes, &changes);
}

fn resource_of(registration: &Registration) -> String {
    format!(
        "agencies/{}/events/{}/registrations/{}",
        registration.agency, registration.event_id, registration.id
    )
}

async fn record(
    tx: &DatabaseTransaction,
    kind: ChangeKind,
    agency: &AgencyCode,
    resource: &str,
    now: Timestamp,
) -> Result<()> {
    let change = NewChange {
        kind: kind.code(),
        resource,
        agency: agency.as_str(),
        time: now,
    };
    jalia_db::record_change(tx, &change).await?;
    Ok(())
}

impl Events {
    /// Follows the changes `query` asks for, from its cursor, until the watch's bounded
    /// duration (or a little before `deadline`) ends it. The start is checked before
    /// answering, so a refusal is the call's answer rather than an error in the stream.
    pub(crate) async fn watch_changes(
        &self,
        caller: &Caller,
        query: WatchQuery<ChangeKind>,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<impl Stream<Item = Result<FeedItem<ChangeKind>>> + Send + 'static> {
        query.check_watcher(caller)?;
        let options = WatchOptions::within(deadline);
        let items = self
            .db
            .watch_feed(query, ChangeKind::from_code, options)
            .await?;
        Ok(items.map(|item| item.map_err(Error::from)))
    }

    /// Deletes change records older than their retention; returns how many went.
    pub(crate) async fn purge_old_changes(&self) -> Result<u64> {
        let cutoff = self.change_retention.horizon(self.now());
        Ok(self.db.purge_changes_older_than(cutoff).await?)
    }
}
