//! The events domain: what an organiser writes and its bounds, the event's lifecycle and
//! its seats, registrations, the queries that lists run, and iCalendar. It knows nothing
//! of the wire or the database: the rules live here as methods, and the use cases only
//! load, call them and save.

pub(crate) mod change;
pub(crate) mod content;
pub(crate) mod erasure;
pub(crate) mod error;
pub(crate) mod event;
pub(crate) mod ical;
pub(crate) mod patch;
pub(crate) mod query;
pub(crate) mod registration;
pub(crate) mod retention;

pub(crate) use error::{Error, Result};
