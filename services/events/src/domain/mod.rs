//! The events domain: what an organiser writes and its bounds, the event's lifecycle and
//! its seats, registrations, the queries that lists run, and iCalendar. It knows nothing
//! of the wire or the database: the rules live here as methods, and the use cases only
//! load, call them and save.

pub mod content;
pub mod error;
pub mod event;
pub mod ical;
pub mod patch;
pub mod query;
pub mod registration;

pub use error::{Error, Result};
