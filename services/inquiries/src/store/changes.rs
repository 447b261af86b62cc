//! The inquiries' records in the service's change outbox (jalia-db's `jalia_changes`,
//! ARCHITECTURE.md §5): a followed change is recorded in the transaction that appends it
//! to the inquiry's history, under a kind name that never changes once written.

use jalia_db::sea_orm::ConnectionTrait;
use jalia_db::{DbError, NewChange, WriteBatch, add_changes};

use crate::domain::inquiry::Inquiry;
use crate::domain::status::{FollowedChange, StateChange};

/// The stored kind of a followed change.
pub(crate) const fn kind(change: FollowedChange) -> &'static str {
    match change {
        FollowedChange::Submitted => "inquiry.submitted",
        FollowedChange::Answered => "inquiry.answered",
        FollowedChange::Overdue => "inquiry.overdue",
    }
}

/// The followed change a stored kind names; None for a kind this version does not know
/// (a newer replica's), which the feed then skips.
pub(crate) fn followed_change(kind: &str) -> Option<FollowedChange> {
    FollowedChange::ALL
        .into_iter()
        .find(|change| self::kind(*change) == kind)
}

/// Records what `change` of `inquiry` tells those following its agency, if anything, in
/// the write transaction that appends it to the history.
pub(crate) async fn record<C: ConnectionTrait>(
    conn: &C,
    inquiry: &Inquiry,
    change: &StateChange,
) -> Result<(), DbError> {
    record_many(conn, &[(inquiry, change)]).await
}

/// Records what each change of its inquiry tells those following, in one statement.
pub(crate) async fn record_many<C: ConnectionTrait>(
    conn: &C,
    changes: &[(&Inquiry, &StateChange)],
) -> Result<(), DbError> {
    let mut writes = WriteBatch::new(conn.get_database_backend());
    add_many(&mut writes, changes);
    writes.execute(conn).await?;
    Ok(())
}

/// Adds [`record_many`]'s statement to a batch of writes; nothing when no change is
/// followed.
pub(crate) fn add_many(writes: &mut WriteBatch, changes: &[(&Inquiry, &StateChange)]) {
    let followed: Vec<(FollowedChange, String, &Inquiry, &StateChange)> = changes
        .iter()
        .filter_map(|(inquiry, change)| {
            let followed = change.followed_change()?;
            let resource = format!("agencies/{}/inquiries/{}", inquiry.agency, inquiry.id);
            Some((followed, resource, *inquiry, *change))
        })
        .collect();
    let records: Vec<NewChange<'_>> = followed
        .iter()
        .map(|(followed, resource, inquiry, change)| NewChange {
            kind: kind(*followed),
            resource,
            agency: inquiry.agency.as_str(),
            time: change.at,
        })
        .collect();
    add_changes(writes, &records);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_kinds_are_pinned_and_read_back() {
        let stored: Vec<_> = FollowedChange::ALL.into_iter().map(kind).collect();
        assert_eq!(
            stored,
            ["inquiry.submitted", "inquiry.answered", "inquiry.overdue"]
        );
        for change in FollowedChange::ALL {
            assert_eq!(followed_change(kind(change)), Some(change));
        }
        assert_eq!(followed_change("inquiry.closed"), None);
    }
}
