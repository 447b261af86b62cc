//! WatchChanges: the public changes of services, from the catalog's outbox, history
//! first and then live, and the purge of old records by the background task.

use std::time::Duration;

use futures_util::{Stream, StreamExt};
use jalia_db::{ChangeFeedError, ChangeFilter, ChangeStart, FeedItem, WatchOptions};
use jalia_model::{Caller, FieldViolation, reasons};
use jiff::{SignedDuration, Timestamp};

use super::Catalog;
use crate::domain::Error;
use crate::domain::feed::{self, WatchQuery};
use crate::store;

/// Change records deleted per purge statement.
const PURGE_BATCH: u64 = 1_000;

impl Catalog {
    /// WatchChanges: checks the caller and the cursor before anything is sent, then
    /// follows the outbox until a little before `deadline` (or the feed's longest watch).
    pub(crate) async fn watch_changes(
        &self,
        caller: &Caller,
        query: WatchQuery,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<impl Stream<Item = Result<feed::FeedItem, Error>> + Send + 'static, Error> {
        query.check_watcher(caller)?;
        let start = ChangeStart::parse(&query.cursor, query.from_oldest)
            .map_err(|err| FieldViolation::new("cursor", err.to_string()))?;
        let from = self.db.change_start(start).await.map_err(|err| match err {
            ChangeFeedError::Expired => Error::precondition(
                reasons::CURSOR_EXPIRED,
                "the cursor is older than the changes kept: start from the oldest kept and \
                 read the services again",
            ),
            ChangeFeedError::Db(err) => err.into(),
        })?;
        let filter = ChangeFilter {
            agency: query.agency.map(|agency| agency.as_str().to_owned()),
            kinds: query
                .kinds
                .iter()
                .map(|change| store::changes::kind(*change).to_owned())
                .collect(),
        };
        let items = self
            .db
            .watch_changes(from, filter, WatchOptions::within(deadline))
            .filter_map(|item| async move {
                match item {
                    Ok(FeedItem::Change(change)) => store::changes::feed_change(change)
                        .map(feed::FeedItem::Change)
                        .map(Ok),
                    Ok(FeedItem::Heartbeat(cursor)) => Some(Ok(feed::FeedItem::Heartbeat {
                        cursor: cursor.to_string(),
                    })),
                    Err(err) => Some(Err(Error::from(err))),
                }
            });
        Ok(items)
    }

    /// Deletes change records older than `retention`, in bounded batches: the
    /// background task's round. Returns how many went.
    pub(crate) async fn purge_changes(&self, retention: Duration) -> Result<u64, Error> {
        let retention = SignedDuration::try_from(retention).unwrap_or(SignedDuration::MAX);
        let cutoff = self.now().checked_sub(retention).unwrap_or(Timestamp::MIN);
        let mut purged = 0;
        loop {
            let deleted = self.db.purge_changes(cutoff, PURGE_BATCH).await?;
            purged += deleted;
            // A batch also takes the records ordered before its last one, so a round can
            // delete more than asked; fewer means nothing older is left.
            if deleted < PURGE_BATCH {
                return Ok(purged);
            }
        }
    }
}
