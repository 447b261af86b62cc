//! The queue behind a group commit: calls that serialise on the same rows wait here, and
//! the leading tasks take them in arrival order, a bounded batch per transaction.
//!
//! Usually one task leads, and a batch holds every call that waited while the previous
//! one was written. A service whose batches lock their shared rows last may let more
//! tasks lead on PostgreSQL: while one batch commits (waiting for its write-ahead log to
//! reach the disk), the next already reads and writes, and waits only for those rows.
//! On SQLite the one writer makes a second leader only split the batches.
//!
//! Who decides and writes a batch is the service's business; this is only the queue and
//! the rule that, while anybody waits, at least one and at most `most_leading` tasks lead.

use std::sync::{Arc, Mutex, PoisonError};

/// A replica's queue of calls waiting to be made together. Clones share the queue.
pub struct GroupQueue<T> {
    state: Arc<Mutex<Waiting<T>>>,
    most_per_batch: usize,
    most_leading: usize,
}

struct Waiting<T> {
    calls: Vec<T>,
    leading: usize,
}

impl<T> GroupQueue<T> {
    /// An empty queue whose batches hold at most `most_per_batch` calls, made by at most
    /// `most_leading` tasks at once (at least one of each).
    pub fn new(most_per_batch: usize, most_leading: usize) -> Self {
        Self {
            state: Arc::new(Mutex::new(Waiting {
                calls: Vec::new(),
                leading: 0,
            })),
            most_per_batch: most_per_batch.max(1),
            most_leading: most_leading.max(1),
        }
    }

    /// Queues a call; true when the caller must start a task making batches (fewer than
    /// the most lead).
    pub fn push(&self, call: T) -> bool {
        let mut waiting = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        waiting.calls.push(call);
        if waiting.leading < self.most_leading {
            waiting.leading += 1;
            true
        } else {
            false
        }
    }

    /// The next batch, oldest first; None, and the asking task leads no more, when nobody
    /// waits.
    pub fn next_batch(&self) -> Option<Vec<T>> {
        let mut waiting = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if waiting.calls.is_empty() {
            waiting.leading = waiting.leading.saturating_sub(1);
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
            most_leading: self.most_leading,
        }
    }
}

impl<T> std::fmt::Debug for GroupQueue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupQueue")
            .field("most_per_batch", &self.most_per_batch)
            .field("most_leading", &self.most_leading)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_task_leads_while_calls_wait_and_batches_keep_arrival_order() {
        let queue = GroupQueue::new(2, 1);
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

    #[test]
    fn two_leading_tasks_share_the_queue_in_arrival_order() {
        let queue = GroupQueue::new(2, 2);
        assert!(queue.push(1), "the first call leads");
        assert!(
            queue.push(2),
            "a second task may lead while the first writes"
        );
        assert!(!queue.push(3), "no third");
        assert!(!queue.push(4));
        assert!(!queue.push(5));
        assert_eq!(queue.next_batch(), Some(vec![1, 2]));
        assert_eq!(queue.next_batch(), Some(vec![3, 4]));
        assert_eq!(queue.next_batch(), Some(vec![5]));
        assert_eq!(queue.next_batch(), None, "one leader stops");
        assert!(queue.push(6), "with one leading, a second may start again");
        assert!(!queue.push(7), "but no third");
        assert_eq!(queue.next_batch(), Some(vec![6, 7]));
        assert_eq!(queue.next_batch(), None, "one stops");
        assert_eq!(queue.next_batch(), None, "and the other");
        assert!(
            queue.push(8),
            "with nobody leading, the next call leads again"
        );
        assert!(queue.push(9), "and a second with it");
    }
}
