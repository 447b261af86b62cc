//! A service's change feed as its readers see it (WatchChanges, ARCHITECTURE.md §5): whose
//! changes a caller may follow, which kinds, from where, and what one item of the feed
//! says. Each service brings its own kinds `K`; the outbox behind the feed, its order and
//! its cursors are the storage's.

use jiff::Timestamp;

use crate::agency::{AgencyCode, AgencyFilter};
use crate::caller::Caller;

/// A WatchChanges request, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchQuery<K> {
    /// One agency's changes, or every agency's (`agencies/-`, ministry-wide callers only).
    pub agencies: AgencyFilter,
    /// Only these kinds; empty: every kind.
    pub kinds: Vec<K>,
    /// The cursor to resume after, as the client sent it; empty: not given. Only the
    /// storage knows what it means, so it is read there.
    pub cursor: String,
    /// With no cursor, start from the oldest change kept rather than from now.
    pub from_oldest: bool,
}

/// Why a caller may not follow the feed it asked for (PERMISSION_DENIED `OTHER_AGENCY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WatcherRefused {
    /// An agency's caller asked for another agency's changes.
    #[error("a caller watches only its own agency's changes")]
    OtherAgency,
    /// An agency's caller asked for every agency's changes.
    #[error("only ministry-wide callers watch every agency's changes")]
    EveryAgency,
}

impl<K> WatchQuery<K> {
    /// Refuses a caller of another agency than the one watched, and every caller but a
    /// ministry-wide one for `agencies/-`: a feed shows one agency's changes to that
    /// agency only.
    pub fn check_watcher(&self, caller: &Caller) -> Result<(), WatcherRefused> {
        match &self.agencies {
            AgencyFilter::One(agency) if caller.acts_for(agency.as_str()) => Ok(()),
            AgencyFilter::One(_) => Err(WatcherRefused::OtherAgency),
            AgencyFilter::All if caller.is_ministry_wide() => Ok(()),
            AgencyFilter::All => Err(WatcherRefused::EveryAgency),
        }
    }
}

/// One item of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedItem<K> {
    /// A change that passed the watch's filter.
    Change(FeedChange<K>),
    /// Nothing new matched: the position reached, so an idle client's cursor moves on.
    Heartbeat {
        /// Where to resume.
        cursor: String,
    },
}

/// A change as a feed tells it: no personal data, only the resource's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedChange<K> {
    /// Where to resume after it (opaque to clients).
    pub cursor: String,
    /// What happened.
    pub kind: K,
    /// The resource's full name (`agencies/{agency}/services/{id}`).
    pub resource: String,
    /// The owning agency.
    pub agency: AgencyCode,
    /// When it happened.
    pub time: Timestamp,
}

#[cfg(test)]
mod tests {
    use crate::AgencyScope;

    use super::*;

    fn caller(agency: &str) -> Caller {
        Caller {
            subject: "portal".to_owned(),
            agency: AgencyScope::parse(agency).unwrap(),
            scopes: ["catalog.read".to_owned()].into(),
        }
    }

    fn watching(agency: Option<&str>) -> WatchQuery<u8> {
        WatchQuery {
            agencies: agency.map_or(AgencyFilter::All, |code| {
                AgencyFilter::One(AgencyCode::parse(code).unwrap())
            }),
            kinds: Vec::new(),
            cursor: String::new(),
            from_oldest: false,
        }
    }

    #[test]
    fn a_feed_is_its_agency_s_and_every_agency_s_is_the_ministry_s() {
        assert!(watching(Some("bm")).check_watcher(&caller("bm")).is_ok());
        assert!(watching(Some("bm")).check_watcher(&caller("*")).is_ok());
        assert!(watching(None).check_watcher(&caller("*")).is_ok());
        assert_eq!(
            watching(Some("bm")).check_watcher(&caller("wbmk")),
            Err(WatcherRefused::OtherAgency)
        );
        assert_eq!(
            watching(None).check_watcher(&caller("bm")),
            Err(WatcherRefused::EveryAgency)
        );
    }
}
