//! Instants are stored as microseconds since the Unix epoch in a BIGINT: the same
//! ordering, equality and arithmetic on SQLite and PostgreSQL, with no collation or
//! time-zone conversion in between.

use jiff::Timestamp;

/// An instant as stored.
pub fn to_micros(instant: Timestamp) -> i64 {
    instant.as_microsecond()
}

/// A stored instant back; values outside jiff's range clamp to its bounds.
pub fn from_micros(micros: i64) -> Timestamp {
    Timestamp::from_microsecond(micros).unwrap_or(if micros < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}
