//! Etags (AIP-154): one format, `"v{version}"` with the quotes, for every resource with a
//! version. A change that needs one and gets none is bad input; one that gets an etag of
//! another version, or one this suite never issued, lost a race and is stale.

use std::fmt;

use crate::violation::FieldViolation;

/// The etag of one version of a resource, as responses carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Etag(i64);

impl Etag {
    /// The etag of `version`.
    pub fn of(version: i64) -> Self {
        Self(version)
    }

    /// The version it names.
    pub fn version(self) -> i64 {
        self.0
    }

    /// Reads an etag this suite issued (surrounding spaces aside); None for anything
    /// else, including a version spelt another way (`"v03"`).
    pub fn parse(sent: &str) -> Option<Self> {
        let digits = sent.trim().strip_prefix("\"v")?.strip_suffix('"')?;
        let version: i64 = digits.parse().ok()?;
        (version.to_string() == digits).then_some(Self(version))
    }
}

impl fmt::Display for Etag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"v{}\"", self.0)
    }
}

/// The etag a change request carries: the version the caller last read. An etag this
/// suite never issued is kept as one that matches no version, so that the change is
/// refused as stale where a wrong version would be (after NOT_FOUND, say), not earlier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IfMatch(Option<i64>);

impl IfMatch {
    /// An etag the change must carry: empty is a violation on `field`.
    pub fn required(sent: &str, field: &str) -> Result<Self, FieldViolation> {
        if sent.trim().is_empty() {
            return Err(FieldViolation::new(
                field,
                "is required: send the etag last read",
            ));
        }
        Ok(Self::sent(sent))
    }

    /// An etag the change may carry: empty means the change applies to any version.
    pub fn optional(sent: &str) -> Option<Self> {
        (!sent.trim().is_empty()).then(|| Self::sent(sent))
    }

    fn sent(sent: &str) -> Self {
        Self(Etag::parse(sent).map(Etag::version))
    }

    /// The version the caller read; None for an etag this suite never issued.
    pub fn version(self) -> Option<i64> {
        self.0
    }

    /// Whether the resource is still at the version the caller read.
    pub fn matches(self, current_version: i64) -> bool {
        self.0 == Some(current_version)
    }

    /// Refuses a change to a resource that is no longer at the version the caller read.
    pub fn check(self, current_version: i64) -> Result<(), StaleEtag> {
        if self.matches(current_version) {
            Ok(())
        } else {
            Err(StaleEtag)
        }
    }
}

/// The resource changed since the caller read it (ABORTED, reason `STALE_ETAG`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the resource changed since it was read: read it again and retry")]
pub struct StaleEtag;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_format_round_trips() {
        let etag = Etag::of(7);
        assert_eq!(etag.to_string(), "\"v7\"");
        assert_eq!(Etag::parse(&etag.to_string()), Some(etag));
        assert_eq!(Etag::parse(" \"v7\" "), Some(etag));
        for foreign in ["v7", "\"7\"", "W/\"v7\"", "\"v07\"", "\"v+7\"", "\"v\"", ""] {
            assert_eq!(Etag::parse(foreign), None, "{foreign}");
        }
    }

    #[test]
    fn missing_is_a_violation_and_foreign_is_stale() {
        assert_eq!(IfMatch::required("", "etag").unwrap_err().field, "etag");
        assert_eq!(
            IfMatch::required(" ", "event.etag").unwrap_err().field,
            "event.etag"
        );
        let current = IfMatch::required("\"v3\"", "etag").unwrap();
        assert_eq!(current.check(3), Ok(()));
        assert_eq!(current.check(4), Err(StaleEtag));
        let foreign = IfMatch::required("\"3\"", "etag").unwrap();
        assert_eq!(foreign.version(), None);
        assert_eq!(foreign.check(3), Err(StaleEtag));
        assert_eq!(IfMatch::optional(""), None);
        assert!(IfMatch::optional("\"v1\"").unwrap().matches(1));
    }
}
