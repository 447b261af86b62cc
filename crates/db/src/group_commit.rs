//! The queue behind a group commit: calls that serialise on the same rows wait here, and
//! one task at a time takes them in arrival order, a bounded batch per transaction.
//!
//! Who decides and writes a batch is the service's business; this is only the queue and
//! the rule that exactly one task leads while anybody waits.

use std::mem;
use std::sync::{Arc, Mutex, PoisonError};

/// A replica's queue of calls waiting to be made together. Clones share the queue.
pub struct GroupQueue<T> {
    state: Arc<Mutex<Waiting<T>>>,
    most_per_batch: usize,
}

struct Waiting<T> {
    calls: Vec<T>,
    leading: bool,
}

impl<T> GroupQueue<T> {
    /// An empty queue whose batches hold at most `most_per_batch` calls (at least one).
    pub fn new(most_per_batch: usize) -> Self {
        Self {
            state: Arc::new(Mutex::new(Waiting {
                calls: Vec::new(),
                leading: false,
            })),
            most_per_batch: most_per_batch.max(1),
        }
    }

    /// Queues a call; true when no task is making batches, so the caller must start one.
    pub fn push(&self, call: T) -> bool {
        let mut waiting = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        waiting.calls.push(call);
        !mem::replace(&mut waiting.leading, true)
    }

    /// The next batch, oldest first; None, and no task leads any more, when nobody waits.
    pub fn next_batch(&self) -> Option<Vec<T>> {
        let mut waiting = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if waiting.calls.is_empty() {
            waiting.leading = false;
            return None;
        }
        let take = waiting.calls.len().min(self.most_per_batch);
        Some(waiting.calls.drain(..take).collect())
    }
}

impl<T> Clone for GroupQueue<T> {
    fn clone(&self) -> Self {
        Self {
            state: Arc::clone(&self.state),
            most_per_batch: self.most_per_batch,
        }
    }
}

impl<T> std::fmt::Debug for GroupQueue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupQueue")
            .field("most_per_batch", &self.most_per_batch)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_task_leads_while_calls_wait_and_batches_keep_arrival_order() {
        let queue = GroupQueue::new(2);
        assert!(queue.push(1), "the first call leads");
        assert!(!queue.push(2), "a leader is already there");
        assert!(!queue.clone().push(3), "clones share the queue");
        assert_eq!(queue.next_batch(), Some(vec![1, 2]));
        assert_eq!(queue.next_batch(), Some(vec![3]));
        assert_eq!(queue.next_batch(), None);
        assert!(
            queue.push(4),
            "with nobody leading, the next call leads again"
        );
    }
}
