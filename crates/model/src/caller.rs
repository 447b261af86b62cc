//! Who is calling, as the server's verified token says: handlers and domain rules decide
//! what the caller may see or change from it.

use std::collections::BTreeSet;

/// Who made a call, as its verified token says. Handlers receive it to decide what the
/// caller may see or change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The calling system or agent (`sub`).
    pub subject: String,
    /// The agency the caller acts for (`agency`).
    pub agency: AgencyScope,
    /// The scopes granted (`scope`, space-separated in the token).
    pub scopes: BTreeSet<String>,
}

impl Caller {
    /// Whether the token grants `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
    }

    /// Whether the caller acts for the ministry rather than one agency.
    pub fn is_ministry_wide(&self) -> bool {
        self.agency == AgencyScope::Ministry
    }

    /// The caller's own agency code, unless ministry-wide.
    pub fn agency_code(&self) -> Option<&str> {
        match &self.agency {
            AgencyScope::Agency(code) => Some(code),
            AgencyScope::Ministry => None,
        }
    }

    /// True when the caller may act for `agency_code` (its own agency, or ministry-wide).
    pub fn acts_for(&self, agency_code: &str) -> bool {
        match &self.agency {
            AgencyScope::Ministry => true,
            AgencyScope::Agency(code) => code == agency_code,
        }
    }
}

/// The `agency` claim: one agency's short code, or `*` for ministry-wide callers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgencyScope {
    /// One agency, by its lowercase code (e.g. `bm`).
    Agency(String),
    /// Every agency (`*`).
    Ministry,
}

impl AgencyScope {
    /// The longest agency code accepted.
    pub const MAX_CODE_LEN: usize = 32;

    /// Reads a claim value: `*`, or a code of 1 to 32 characters from `[a-z0-9-]`. Anything
    /// else is refused rather than normalised, so that one agency cannot be spelt two ways.
    pub fn parse(value: &str) -> Option<Self> {
        if value == "*" {
            return Some(Self::Ministry);
        }
        let valid = !value.is_empty()
            && value.len() <= Self::MAX_CODE_LEN
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        valid.then(|| Self::Agency(value.to_owned()))
    }

    /// The claim value: the code, or `*`.
    pub fn as_claim(&self) -> &str {
        match self {
            Self::Agency(code) => code,
            Self::Ministry => "*",
        }
    }
}
