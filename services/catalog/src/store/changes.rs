//! The catalog's records in its change outbox (jalia-db's `jalia_changes`, ARCHITECTURE.md
//! §5): a public change of a service is recorded in the transaction that saves its
//! revision, under a kind name that never changes once written.

use jalia_db::sea_orm::ConnectionTrait;
use jalia_db::{DbError, NewChange, record_change};

use crate::domain::revision::{PublicChange, Revision};

/// The stored kind of a public change.
pub(crate) const fn kind(change: PublicChange) -> &'static str {
    match change {
        PublicChange::Published => "service.published",
        PublicChange::Changed => "service.changed",
        PublicChange::Retired => "service.retired",
    }
}

/// The public change a stored kind names; None for a kind this version does not know
/// (a newer replica's), which the feed then skips.
pub(crate) fn public_change(kind: &str) -> Option<PublicChange> {
    PublicChange::ALL
        .into_iter()
        .find(|change| self::kind(*change) == kind)
}

/// Records what `revision` changes in the public catalog, if anything, in the write
/// transaction that saves it.
pub(crate) async fn record<C: ConnectionTrait>(
    conn: &C,
    revision: &Revision,
) -> Result<(), DbError> {
    let Some(change) = revision.public_change() else {
        return Ok(());
    };
    let service = &revision.snapshot;
    let resource = format!("agencies/{}/services/{}", service.agency, service.id);
    record_change(
        conn,
        &NewChange {
            kind: kind(change),
            resource: &resource,
            agency: service.agency.as_str(),
            time: revision.create_time,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_kinds_are_pinned_and_read_back() {
        let stored: Vec<_> = PublicChange::ALL.into_iter().map(kind).collect();
        assert_eq!(
            stored,
            ["service.published", "service.changed", "service.retired"]
        );
        for change in PublicChange::ALL {
            assert_eq!(public_change(kind(change)), Some(change));
        }
        assert_eq!(public_change("service.renamed"), None);
    }
}
