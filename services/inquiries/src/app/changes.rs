//! WatchChanges: the changes of inquiries, from the service's outbox, history
//! first and then live, and the purge of old records by the background task.

use std::time::Duration;

use futures_util::{Stream, StreamExt};
use jalia_db::WatchOptions;
use jalia_model::{Caller, FeedItem, WatchQuery};
use jiff::{SignedDuration, Timestamp};

use super::Inquiries;
use crate::domain::Error;
use crate::domain::status::FollowedChange;
use crate::store;

impl Inquiries {
    /// WatchChanges: checks the caller and the cursor before anything is sent, then
    /// follows the outbox until a little before `deadline` (or the feed's longest watch).
    pub(crate) async fn watch_changes(
        &self,
        caller: &Caller,
        query: WatchQuery<FollowedChange>,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<impl Stream<Item = Result<FeedItem<FollowedChange>, Error>> + Send + 'static, Error>
    {
        query.check_watcher(caller)?;
        let options = WatchOptions::within(deadline);
        let items = self
            .db
            .watch_feed(query, store::changes::followed_change, options)
            .await?;
        Ok(items.map(|item| item.map_err(Error::from)))
    }

    /// Deletes change records older than `retention`: the background task's round.
    /// Returns how many went.
    pub(crate) async fn purge_changes(&self, retention: Duration) -> Result<u64, Error> {
        let retention = SignedDuration::try_from(retention).unwrap_or(SignedDuration::MAX);
        let cutoff = self.now().checked_sub(retention).unwrap_or(Timestamp::MIN);
        Ok(self.db.purge_changes_older_than(cutoff).await?)
    }
}
