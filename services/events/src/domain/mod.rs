//! The events domain: events and their lifecycle, registrations, iCalendar. Knows
//! nothing of the wire or the database.

pub mod error;
pub mod event;
pub mod ical;
pub mod registration;

pub use error::{Error, Result};
