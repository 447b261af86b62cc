//! The change feed as its readers see it (WatchChanges): whose changes a caller may
//! follow, which kinds, from where, and what one item of the feed says. The feed itself
//! (the outbox, its order and cursors) is the store's; only public changes of services
//! are in it (`Revision::public_change`).

use jalia_model::{AgencyCode, Caller};
use jiff::Timestamp;

use super::Error;
use super::revision::PublicChange;

/// WatchChanges, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WatchQuery {
    /// One agency's changes, or None for every agency's (`agencies/-`).
    pub agency: Option<AgencyCode>,
    /// Only these kinds; empty: every kind.
    pub kinds: Vec<PublicChange>,
    /// The cursor to resume after, as the client sent it; empty: not given.
    pub cursor: String,
    /// With no cursor, start from the oldest change kept rather than from now.
    pub from_oldest: bool,
}

impl WatchQuery {
    /// Refuses a caller of another agency than the one watched, and every caller but a
    /// ministry-wide one for `agencies/-` (PERMISSION_DENIED `OTHER_AGENCY`): a feed
    /// shows one agency's changes to that agency only.
    pub(crate) fn check_watcher(&self, caller: &Caller) -> Result<(), Error> {
        match &self.agency {
            Some(agency) if caller.acts_for(agency.as_str()) => Ok(()),
            Some(_) => Err(Error::OtherAgency(
                "a caller watches only its own agency's changes".to_owned(),
            )),
            None if caller.is_ministry_wide() => Ok(()),
            None => Err(Error::OtherAgency(
                "only ministry-wide callers watch every agency's changes".to_owned(),
            )),
        }
    }
}

/// One item of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FeedItem {
    /// A change that passed the watch's filter.
    Change(FeedChange),
    /// Nothing new matched: the position reached, so an idle client's cursor moves on.
    Heartbeat {
        /// Where to resume.
        cursor: String,
    },
}

/// A public change of a service, as the feed tells it: no more than its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FeedChange {
    /// Where to resume after it.
    pub cursor: String,
    /// What happened.
    pub kind: PublicChange,
    /// The service's name, `agencies/{agency}/services/{id}`.
    pub resource: String,
    /// The owning agency's code.
    pub agency: String,
    /// When.
    pub time: Timestamp,
}

#[cfg(test)]
mod tests {
    use jalia_model::AgencyScope;

    use super::*;

    fn caller(agency: &str) -> Caller {
        Caller {
            subject: "portal".to_owned(),
            agency: AgencyScope::parse(agency).unwrap(),
            scopes: ["catalog.read".to_owned()].into(),
        }
    }

    fn watching(agency: Option<&str>) -> WatchQuery {
        WatchQuery {
            agency: agency.map(|code| AgencyCode::parse(code).unwrap()),
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
        assert!(matches!(
            watching(Some("bm")).check_watcher(&caller("wbmk")),
            Err(Error::OtherAgency(_))
        ));
        assert!(matches!(
            watching(None).check_watcher(&caller("bm")),
            Err(Error::OtherAgency(_))
        ));
    }
}
