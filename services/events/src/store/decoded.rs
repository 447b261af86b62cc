//! Events kept decoded between reads, so that reading an event whose own fields did not
//! change skips reading and decoding its content (issue #15: the content's JSON and the
//! row's 21 columns cost as much as the query itself). Point reads and the locked reads
//! of registration batches use them.
//!
//! The database stays the authority: every read still asks it for the row's stamp (its
//! version, creation time and seat counts) and uses a kept copy only when the version and
//! creation time match. That holds on every replica because every write of an event's
//! own fields goes through `events::save`, which bumps the version, and the seat counts,
//! the only columns written without it, come from the stamp itself. A deleted and
//! recreated id has another creation time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use jiff::Timestamp;
use uuid::Uuid;

use crate::domain::event::{Event, Seats};

/// How many events a replica keeps decoded: the events being read now are few (the
/// upcoming ones); a few hundred decoded events weigh a few MiB at most.
const KEPT_EVENTS: usize = 512;

/// What a point read learns of a row before deciding whether its kept copy still holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    /// The row's version.
    pub version: i64,
    /// Its creation time.
    pub create_time: Timestamp,
    /// Its seat counts, always read fresh.
    pub seats: Seats,
}

/// The decoded events of one replica, shared by its use cases.
#[derive(Debug)]
pub(crate) struct DecodedEvents {
    kept: Mutex<HashMap<Uuid, Arc<Event>>>,
    capacity: usize,
}

impl Default for DecodedEvents {
    fn default() -> Self {
        Self::with_capacity(KEPT_EVENTS)
    }
}

impl DecodedEvents {
    /// Keeping at most `capacity` events.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            kept: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Arc<Event>>> {
        // A panic while holding the lock leaves a map of whole entries: still usable.
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether an event is kept (a point read then starts with its stamp).
    pub(crate) fn holds(&self, id: Uuid) -> bool {
        self.kept().contains_key(&id)
    }

    /// The kept copy of an event if the row's `stamp` says it is current, with the
    /// stamp's seat counts; `None` if it is not kept or is older than the row.
    pub(crate) fn current(&self, id: Uuid, stamp: &Stamp) -> Option<Arc<Event>> {
        let mut kept = self.kept();
        let event = kept.get_mut(&id)?;
        if event.version != stamp.version || event.create_time != stamp.create_time {
            return None;
        }
        if event.seats != stamp.seats {
            // Registrations moved the counts: keep the newer counts for the next read.
            Arc::make_mut(event).seats = stamp.seats;
        }
        Some(Arc::clone(event))
    }

    /// Keeps a freshly decoded event, making room if the replica keeps too many.
    pub(crate) fn keep(&self, event: Arc<Event>) {
        let mut kept = self.kept();
        if kept.len() >= self.capacity && !kept.contains_key(&event.id) {
            // Any entry will do: what is evicted and still read comes back on its next read.
            if let Some(evicted) = kept.keys().next().copied() {
                kept.remove(&evicted);
            }
        }
        kept.insert(event.id, event);
    }

    /// Forgets an event whose row is gone.
    pub(crate) fn forget(&self, id: Uuid) {
        self.kept().remove(&id);
    }

    /// How many events are kept.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.kept().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::EventStatus;
    use crate::domain::event::tests::event;

    fn stamp_of(event: &Event) -> Stamp {
        Stamp {
            version: event.version,
            create_time: event.create_time,
            seats: event.seats,
        }
    }

    #[test]
    fn a_kept_event_serves_only_its_own_version_and_creation() {
        let decoded = DecodedEvents::default();
        let kept = Arc::new(event(EventStatus::Published));
        let id = kept.id;
        decoded.keep(Arc::clone(&kept));
        assert!(decoded.holds(id));

        let same = stamp_of(&kept);
        assert!(Arc::ptr_eq(&decoded.current(id, &same).unwrap(), &kept));

        let edited = Stamp {
            version: kept.version + 1,
            ..same
        };
        assert!(decoded.current(id, &edited).is_none());
        let recreated = Stamp {
            create_time: kept.create_time + jiff::SignedDuration::from_micros(1),
            ..same
        };
        assert!(decoded.current(id, &recreated).is_none());
        assert!(decoded.current(Uuid::now_v7(), &same).is_none());

        decoded.forget(id);
        assert!(!decoded.holds(id));
    }

    #[test]
    fn seat_counts_come_from_the_stamp_and_are_kept_for_the_next_read() {
        let decoded = DecodedEvents::default();
        let kept = Arc::new(event(EventStatus::Published));
        decoded.keep(Arc::clone(&kept));
        let moved = Stamp {
            seats: Seats {
                confirmed: 7,
                waitlisted: 2,
                checked_in: 1,
                next_waitlist_seq: 3,
            },
            ..stamp_of(&kept)
        };

        let served = decoded.current(kept.id, &moved).unwrap();
        assert_eq!(served.seats, moved.seats);
        assert_eq!(
            kept.seats,
            Seats::default(),
            "a copy held elsewhere is not changed"
        );
        let again = decoded.current(kept.id, &moved).unwrap();
        assert!(Arc::ptr_eq(&served, &again));
    }

    #[test]
    fn never_keeps_more_than_its_capacity() {
        let decoded = DecodedEvents::with_capacity(3);
        let events: Vec<_> = (0..5)
            .map(|_| Arc::new(event(EventStatus::Published)))
            .collect();
        for event in &events {
            decoded.keep(Arc::clone(event));
        }
        assert_eq!(decoded.len(), 3);
        assert!(decoded.holds(events[4].id), "the newest is always kept");
        decoded.keep(Arc::clone(&events[4]));
        assert_eq!(
            decoded.len(),
            3,
            "keeping a kept event again evicts nothing"
        );
    }
}
