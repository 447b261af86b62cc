//! Every resource belongs to an agency, named by its short lowercase code (`bm`).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::violation::quote;

/// An agency's code: 1 to 32 of `a-z`, `0-9` and `-`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AgencyCode(String);

impl AgencyCode {
    /// Parses a code.
    pub fn parse(code: &str) -> Result<Self, String> {
        let valid = (1..=32).contains(&code.len())
            && code.starts_with(|c: char| c.is_ascii_lowercase())
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Self(code.to_owned()))
        } else {
            Err(format!(
                "{} is not an agency code (lowercase letters, digits and '-', up to 32)",
                quote(code)
            ))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The agency's human reference prefix, e.g. `BM`.
    pub fn reference_prefix(&self) -> String {
        self.0.to_ascii_uppercase()
    }
}

impl TryFrom<String> for AgencyCode {
    type Error = String;

    fn try_from(code: String) -> Result<Self, Self::Error> {
        Self::parse(&code)
    }
}

impl From<AgencyCode> for String {
    fn from(code: AgencyCode) -> Self {
        code.0
    }
}

impl fmt::Display for AgencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which agencies a list covers: one, or all (`agencies/-`, AIP-159).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgencyFilter {
    /// One agency's resources.
    One(AgencyCode),
    /// Every agency's.
    All,
}

impl AgencyFilter {
    /// Parses a List's `parent`, `agencies/{agency}` or `agencies/-`.
    pub fn parse_parent(parent: &str) -> Result<Self, String> {
        match parent.strip_prefix("agencies/") {
            Some("-") => Ok(Self::All),
            Some(code) => AgencyCode::parse(code).map(Self::One),
            None => Err("must be `agencies/{agency}` or `agencies/-`".to_owned()),
        }
    }

    /// The single agency, if one.
    pub fn agency(&self) -> Option<&AgencyCode> {
        match self {
            Self::One(code) => Some(code),
            Self::All => None,
        }
    }
}
