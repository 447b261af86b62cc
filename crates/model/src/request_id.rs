//! The request_id of a create (AIP-155): a UUID the caller picks so that retrying the
//! call cannot create twice. Empty means the call is not idempotent; anything else must
//! be a UUID.

use std::fmt;

use uuid::Uuid;

use crate::violation::{FieldViolation, quote};

/// A caller's request_id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(Uuid);

impl RequestId {
    /// The field every request names it by.
    pub const FIELD: &'static str = "request_id";

    /// Reads a request_id as the wire carries it: empty is None (not idempotent), a
    /// UUID in any of its usual spellings is one, anything else is a violation on
    /// `request_id`.
    pub fn parse(sent: &str) -> Result<Option<Self>, FieldViolation> {
        if sent.is_empty() {
            return Ok(None);
        }
        Uuid::try_parse(sent)
            .map(|uuid| Some(Self(uuid)))
            .map_err(|_| {
                FieldViolation::new(
                    Self::FIELD,
                    format!("{} is not a UUID (leave it empty for none)", quote(sent)),
                )
            })
    }

    /// The UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl From<Uuid> for RequestId {
    fn from(uuid: Uuid) -> Self {
        Self(uuid)
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_none_and_anything_else_must_be_a_uuid() {
        assert_eq!(RequestId::parse("").unwrap(), None);
        let id = "6f1c2a4e-2b0d-4a57-9c1e-3d8f0b7a5e21";
        let parsed = RequestId::parse(id).unwrap().unwrap();
        assert_eq!(parsed.to_string(), id);
        assert_eq!(
            RequestId::parse("6F1C2A4E2B0D4A579C1E3D8F0B7A5E21")
                .unwrap()
                .unwrap(),
            parsed
        );
        let refused = RequestId::parse("retry-1").unwrap_err();
        assert_eq!(refused.field, "request_id");
        assert!(refused.description.contains("`retry-1`"));
        assert!(RequestId::parse(" ").is_err());
        let huge = "x".repeat(1 << 20);
        assert!(RequestId::parse(&huge).unwrap_err().description.len() < 200);
    }
}
