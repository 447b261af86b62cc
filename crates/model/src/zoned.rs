//! Scheduled local times (ARCHITECTURE.md §2): what an organiser means is the wall-clock time in a
//! zone; the instant is derived from the zone's rules when needed, because Morocco's
//! offset changes by rule (UTC+1, UTC+0 during Ramadan) and tzdata revises it.

use std::fmt;

use jiff::Timestamp;
use jiff::ZonedDateTime as Zoned;
use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};

use crate::violation::{FieldViolation, MAX_QUOTED_CHARS, truncate_chars};

/// A wall-clock time in an IANA zone.
#[derive(Clone, PartialEq, Eq)]
pub struct ZonedDateTime {
    local: DateTime,
    zone_name: String,
    zone: TimeZone,
}

/// Why a zoned time was refused; each names the field at fault. The values quoted are
/// cut to [`MAX_QUOTED_CHARS`], so an error never echoes unbounded input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZonedError {
    /// Not `YYYY-MM-DDTHH:MM[:SS]` without an offset.
    #[error("local_date_time: `{0}` is not a local date-time like 2025-08-10T10:00:00")]
    Local(String),
    /// Not a zone of the bundled tz database.
    #[error("time_zone: `{0}` is not an IANA time zone")]
    Zone(String),
    /// Skipped by a clock change in that zone.
    #[error("local_date_time: {0} does not exist in {1} (the clocks skip it)")]
    Skipped(String, String),
}

impl ZonedError {
    /// The violation, with the field's own name.
    pub fn violation(&self) -> FieldViolation {
        let field = match self {
            Self::Zone(_) => "time_zone",
            Self::Local(_) | Self::Skipped(..) => "local_date_time",
        };
        let message = self.to_string();
        let description = message
            .split_once(": ")
            .map_or(message.as_str(), |(_, rest)| rest);
        FieldViolation::new(field, description)
    }
}

impl ZonedDateTime {
    /// Parses the wall-clock time and zone, refusing a time the zone skips. A time the
    /// zone repeats (clocks going back) means its earlier instant.
    pub fn parse(local: &str, zone_name: &str) -> Result<Self, ZonedError> {
        let trimmed = local.trim();
        let date_part_ends = trimmed.find('T').unwrap_or(trimmed.len());
        let has_offset = trimmed.ends_with(['Z', 'z'])
            || trimmed[date_part_ends..].contains(['+', '-'])
            || trimmed.contains('[');
        let parsed: DateTime = if has_offset {
            return Err(ZonedError::Local(
                truncate_chars(local, MAX_QUOTED_CHARS).into_owned(),
            ));
        } else {
            trimmed.parse().map_err(|_| {
                ZonedError::Local(truncate_chars(local, MAX_QUOTED_CHARS).into_owned())
            })?
        };
        let zone = TimeZone::get(zone_name.trim()).map_err(|_| {
            ZonedError::Zone(truncate_chars(zone_name, MAX_QUOTED_CHARS).into_owned())
        })?;
        let candidate = Self {
            local: parsed,
            zone_name: zone_name.trim().to_owned(),
            zone,
        };
        if matches!(
            candidate.zone.to_ambiguous_zoned_datetime(parsed).offset(),
            AmbiguousOffset::Gap { .. }
        ) {
            return Err(ZonedError::Skipped(
                parsed.to_string(),
                candidate.zone_name.clone(),
            ));
        }
        Ok(candidate)
    }

    /// The wall-clock time.
    pub fn local(&self) -> DateTime {
        self.local
    }

    /// The IANA zone name.
    pub fn zone_name(&self) -> &str {
        &self.zone_name
    }

    /// The zone.
    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// The instant under the bundled tzdata.
    pub fn instant(&self) -> Timestamp {
        self.zoned().timestamp()
    }

    /// As a zoned datetime (earlier instant for repeated times).
    pub fn zoned(&self) -> Zoned {
        // For a repeated time the earlier instant is meant; a skipped one (only possible
        // after a tzdata revision) resolves forward.
        match self
            .zone
            .to_ambiguous_zoned_datetime(self.local)
            .compatible()
        {
            Ok(zoned) => zoned,
            Err(_) => self
                .local
                .to_zoned_datetime(TimeZone::UTC)
                .unwrap_or_default(),
        }
    }

    /// Offset from UTC at that instant, in seconds.
    pub fn utc_offset_seconds(&self) -> i32 {
        self.zoned().offset().seconds()
    }

    /// The local time as stored and sent: `2025-08-10T10:00:00`.
    pub fn local_string(&self) -> String {
        self.local.strftime("%Y-%m-%dT%H:%M:%S").to_string()
    }

    /// The same wall-clock shift applied to another zoned time (moving an agenda with
    /// its event): `self + (to - from)` in local terms.
    pub fn shifted(&self, span: jiff::SignedDuration) -> Result<Self, ZonedError> {
        let moved = self
            .local
            .checked_add(span)
            .map_err(|_| ZonedError::Local(self.local_string()))?;
        Self::parse(&moved.to_string(), &self.zone_name)
    }
}

/// Stored as the wall-clock time and the zone name, never as an offset, so a tzdata
/// revision changes the derived instant and nothing else.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredZoned {
    local: String,
    zone: String,
}

impl serde::Serialize for ZonedDateTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        StoredZoned {
            local: self.local_string(),
            zone: self.zone_name.clone(),
        }
        .serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for ZonedDateTime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let stored = StoredZoned::deserialize(deserializer)?;
        match Self::parse(&stored.local, &stored.zone) {
            // A time valid when written may fall in a gap under revised tzdata; it stays
            // readable (and resolves like a time just after the gap).
            Err(ZonedError::Skipped(..)) => {
                let local: DateTime = stored.local.parse().map_err(serde::de::Error::custom)?;
                let zone = TimeZone::get(&stored.zone).map_err(serde::de::Error::custom)?;
                Ok(Self {
                    local,
                    zone_name: stored.zone,
                    zone,
                })
            }
            parsed => parsed.map_err(serde::de::Error::custom),
        }
    }
}

impl fmt::Debug for ZonedDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.local_string(), self.zone_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramadan_changes_the_offset_not_the_wall_time() {
        let in_ramadan = ZonedDateTime::parse("2026-03-01T10:00", "Africa/Casablanca").unwrap();
        assert_eq!(in_ramadan.instant().to_string(), "2026-03-01T10:00:00Z");
        let after = ZonedDateTime::parse("2026-04-01T10:00:00", "Africa/Casablanca").unwrap();
        assert_eq!(after.instant().to_string(), "2026-04-01T09:00:00Z");
        assert_eq!(after.utc_offset_seconds(), 3600);
    }

    #[test]
    fn bad_times_name_their_field() {
        assert_eq!(
            ZonedDateTime::parse("2025-08-10T10:00", "Africa/Rabat")
                .unwrap_err()
                .violation()
                .field,
            "time_zone"
        );
        assert!(ZonedDateTime::parse("2025-08-10T10:00Z", "Africa/Casablanca").is_err());
        assert!(ZonedDateTime::parse("2025-08-10T10:00+01:00", "Africa/Casablanca").is_err());
        assert!(ZonedDateTime::parse("10 August", "Africa/Casablanca").is_err());
        // Europe/Paris skips 02:00-03:00 on 2026-03-29.
        let skipped = ZonedDateTime::parse("2026-03-29T02:30", "Europe/Paris").unwrap_err();
        assert!(matches!(skipped, ZonedError::Skipped(..)));
        assert_eq!(skipped.violation().field, "local_date_time");
    }
}
