//! Resource names as AIP-122 writes them: `agencies/{agency}/events/{event}`.

use uuid::Uuid;

use crate::agency::AgencyCode;

/// Why a resource name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must look like `{pattern}`")]
pub struct NameError {
    /// The expected pattern, for the message.
    pub pattern: String,
}

/// Parses `agencies/{agency}/<collection>/{uuid}[/<collection>/{uuid}...]` into the agency
/// code and the ids, checking the collection words. `collections` lists the words after
/// the agency, e.g. `["events", "registrations"]`.
pub fn parse_name(name: &str, collections: &[&str]) -> Result<(AgencyCode, Vec<Uuid>), NameError> {
    let pattern = std::iter::once("agencies/{agency}".to_owned())
        .chain(collections.iter().map(|c| format!("{c}/{{id}}")))
        .collect::<Vec<_>>()
        .join("/");
    let error = || NameError {
        pattern: pattern.clone(),
    };
    let mut parts = name.split('/');
    if parts.next() != Some("agencies") {
        return Err(error());
    }
    let agency = parts
        .next()
        .and_then(|code| AgencyCode::parse(code).ok())
        .ok_or_else(error)?;
    let mut ids = Vec::with_capacity(collections.len());
    for collection in collections {
        if parts.next() != Some(*collection) {
            return Err(error());
        }
        let id = parts
            .next()
            .and_then(|id| Uuid::parse_str(id).ok())
            .ok_or_else(error)?;
        ids.push(id);
    }
    if parts.next().is_some() {
        return Err(error());
    }
    Ok((agency, ids))
}
