//! Instants inside stored JSON (revision snapshots, idempotent results) as microseconds
//! since the epoch, the same unit the columns use.

use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serializer};

/// `#[serde(with = "micros")]` for a [`Timestamp`].
pub mod micros {
    use super::*;

    /// Writes the instant as microseconds.
    pub fn serialize<S: Serializer>(instant: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(jalia_db::to_micros(*instant))
    }

    /// Reads microseconds back.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        i64::deserialize(deserializer).map(jalia_db::from_micros)
    }
}

/// `#[serde(with = "optional_micros")]` for an `Option<Timestamp>`.
pub mod optional_micros {
    use super::*;

    /// Writes the instant as microseconds, or null.
    pub fn serialize<S: Serializer>(
        instant: &Option<Timestamp>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match instant {
            Some(instant) => serializer.serialize_some(&jalia_db::to_micros(*instant)),
            None => serializer.serialize_none(),
        }
    }

    /// Reads microseconds or null back.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Timestamp>, D::Error> {
        Option::<i64>::deserialize(deserializer).map(|micros| micros.map(jalia_db::from_micros))
    }
}
