//! Each anonymous client's share of the server's permits: however many calls one address
//! starts and never finishes, it holds at most its share, and the rest stay for everyone
//! else.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// The calls each address has in flight. Entries go when their count drops to zero, so the
/// map never holds more than the calls in flight.
pub(crate) struct ClientShares {
    limit: usize,
    held: Mutex<HashMap<IpAddr, usize>>,
}

impl ClientShares {
    pub(crate) fn new(limit: usize) -> Arc<Self> {
        Arc::new(Self {
            limit: limit.max(1),
            held: Mutex::default(),
        })
    }

    /// One more call for `key`, unless it holds its whole share already.
    pub(crate) fn try_take(self: &Arc<Self>, key: IpAddr) -> Option<ClientShare> {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let count = held.entry(key).or_insert(0);
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(ClientShare {
            shares: Arc::clone(self),
            key,
        })
    }
}

/// One call's part of its client's share, given back when dropped.
pub(crate) struct ClientShare {
    shares: Arc<ClientShares>,
    key: IpAddr,
}

impl Drop for ClientShare {
    fn drop(&mut self) {
        let mut held = self
            .shares
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = held.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                held.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_client_holds_at_most_its_share_and_gets_it_back() {
        let shares = ClientShares::new(2);
        let client = IpAddr::from([192, 0, 2, 1]);
        let first = shares.try_take(client).unwrap();
        let _second = shares.try_take(client).unwrap();
        assert!(shares.try_take(client).is_none());
        // Another client is not affected.
        assert!(shares.try_take(IpAddr::from([192, 0, 2, 7])).is_some());
        drop(first);
        assert!(shares.try_take(client).is_some());
    }

    #[test]
    fn clients_without_calls_leave_no_entry() {
        let shares = ClientShares::new(1);
        for index in 0..100_u8 {
            drop(shares.try_take(IpAddr::from([192, 0, 2, index])));
        }
        assert!(shares.held.lock().unwrap().is_empty());
    }
}
