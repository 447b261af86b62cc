//! A failure of the storage under a use case, carried by a service's domain error without
//! the domain naming any database crate: the store wraps its own error in it, and the API
//! layer reads it back to classify it (unavailable, a lost race, a bug).

use std::fmt;

/// The store's error, kept opaque to the domain.
pub struct StorageFailure(Box<dyn std::error::Error + Send + Sync + 'static>);

impl StorageFailure {
    /// Wraps the store's error.
    pub fn new(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Box::new(cause))
    }

    /// The store's error, if it is of type `E`.
    pub fn cause<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.0.downcast_ref::<E>()
    }
}

impl fmt::Debug for StorageFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for StorageFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for StorageFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.0.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("disk on fire")]
    struct Fire;

    #[test]
    fn the_cause_reads_back_only_as_its_own_type() {
        let failure = StorageFailure::new(Fire);
        assert!(failure.cause::<Fire>().is_some());
        assert!(failure.cause::<std::io::Error>().is_none());
        assert_eq!(failure.to_string(), "disk on fire");
    }
}
