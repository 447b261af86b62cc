//! "Now" comes from a clock the server is given, so tests can set it: token expiry, due
//! dates and page-token lifetimes all read it.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use jiff::{SignedDuration, Timestamp};

/// A source of the current instant.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// A clock shared by every part of a server.
pub type SharedClock = Arc<dyn Clock>;

/// The system's real-time clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stands still until a test moves it.
#[derive(Debug)]
pub struct ManualClock {
    micros: AtomicI64,
}

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: Timestamp) -> Arc<Self> {
        Arc::new(Self {
            micros: AtomicI64::new(start.as_microsecond()),
        })
    }

    /// Shows `instant` from now on.
    pub fn set(&self, instant: Timestamp) {
        self.micros
            .store(instant.as_microsecond(), Ordering::SeqCst);
    }

    /// Moves the clock forward (or back, with a negative span).
    pub fn advance(&self, by: SignedDuration) {
        let micros = i64::try_from(by.as_micros()).unwrap_or(i64::MAX);
        self.micros.fetch_add(micros, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        let micros = self.micros.load(Ordering::SeqCst);
        Timestamp::from_microsecond(micros).unwrap_or(Timestamp::MAX)
    }
}

/// The system clock, shared.
pub fn system_clock() -> SharedClock {
    Arc::new(SystemClock)
}
