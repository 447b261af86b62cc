//! The change feed (ARCHITECTURE.md §5): each use case records what changed in its own
//! transaction, through [`record`]; [`Events::watch_changes`] follows the records.

use std::pin::Pin;

use futures_util::{Stream, StreamExt};
use jalia_db::sea_orm::DatabaseTransaction;
use jalia_db::{ChangeFeedError, ChangeFilter, ChangeStart, FeedItem, NewChange, WatchOptions};
use jalia_model::{AgencyCode, AgencyFilter, Caller};
use jiff::Timestamp;
use uuid::Uuid;

use super::Events;
use crate::domain::change::{Change, ChangeKind, FeedEntry, WatchQuery};
use crate::domain::registration::{Registration, RegistrationStatus};
use crate::domain::{Error, Result};

/// What a watch sends, until it ends or fails.
pub(crate) type FeedEntries = Pin<Box<dyn Stream<Item = Result<FeedEntry>> + Send>>;

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
/// statement: the group commit's batch as well as the one-call path.
pub(super) async fn record_registered(
    tx: &DatabaseTransaction,
    registrations: &[Registration],
    now: Timestamp,
) -> Result<()> {
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
    jalia_db::record_changes(tx, &changes).await?;
    Ok(())
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
        query: WatchQuery,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<FeedEntries> {
        let agency = match &query.agencies {
            AgencyFilter::One(agency) if caller.acts_for(agency.as_str()) => {
                Some(agency.as_str().to_owned())
            }
            AgencyFilter::All if caller.is_ministry_wide() => None,
            _ => {
                return Err(Error::OtherAgency(
                    "only the agency's own changes can be watched (every agency's by ministry-wide callers)",
                ));
            }
        };
        let start = ChangeStart::parse(&query.cursor, query.from_oldest)
            .map_err(|err| Error::invalid("cursor", err.to_string()))?;
        let from = self.db.change_start(start).await.map_err(|err| match err {
            ChangeFeedError::Expired => Error::precondition(
                jalia_model::reasons::CURSOR_EXPIRED,
                "the cursor is older than the changes kept; watch again without it",
            ),
            ChangeFeedError::Db(err) => err.into(),
        })?;
        let filter = ChangeFilter {
            agency,
            kinds: query
                .kinds
                .iter()
                .map(|kind| kind.code().to_owned())
                .collect(),
        };
        tracing::debug!(cursor = %from, "change watch started");
        let items = self
            .db
            .watch_changes(from, filter, WatchOptions::within(deadline))
            .filter_map(|item| async move {
                match item {
                    Ok(FeedItem::Heartbeat(cursor)) => {
                        Some(Ok(FeedEntry::Heartbeat(cursor.to_string())))
                    }
                    Ok(FeedItem::Change(change)) => entry(change).map(Ok),
                    Err(err) => Some(Err(Error::from(err))),
                }
            });
        Ok(Box::pin(items))
    }
}

/// A record as the domain sees it; one it cannot read (a kind or agency a later version
/// wrote, say) is skipped rather than ending every watch.
fn entry(change: jalia_db::Change) -> Option<FeedEntry> {
    let (Some(kind), Ok(agency)) = (
        ChangeKind::from_code(&change.kind),
        AgencyCode::parse(&change.agency),
    ) else {
        tracing::warn!(cursor = %change.cursor, "unreadable change record skipped");
        return None;
    };
    Some(FeedEntry::Change(Change {
        cursor: change.cursor.to_string(),
        kind,
        resource: change.resource,
        agency,
        time: change.time,
    }))
}

/// Change records purged per transaction, so a purge never holds the outbox long.
const PURGE_BATCH: u64 = 500;

impl Events {
    /// Deletes change records older than their retention, batch after batch; returns how
    /// many went.
    pub(crate) async fn purge_old_changes(&self) -> Result<u64> {
        let cutoff = self.change_retention.horizon(self.now());
        let mut purged = 0;
        loop {
            let deleted = self.db.purge_changes(cutoff, PURGE_BATCH).await?;
            purged += deleted;
            if deleted < PURGE_BATCH {
                return Ok(purged);
            }
        }
    }
}
