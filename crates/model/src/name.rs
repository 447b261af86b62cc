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
        // Only the canonical form (lowercase, hyphenated), so one resource has one name.
        let id = parts
            .next()
            .and_then(|id| {
                Uuid::try_parse(id)
                    .ok()
                    .filter(|uuid| uuid.hyphenated().to_string() == id)
            })
            .ok_or_else(error)?;
        ids.push(id);
    }
    if parts.next().is_some() {
        return Err(error());
    }
    Ok((agency, ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_have_one_spelling() {
        let id = "01980f3a-6c2e-7b1d-9a4e-5f0c2d7e8a11";
        let (agency, ids) = parse_name(&format!("agencies/bm/events/{id}"), &["events"]).unwrap();
        assert_eq!((agency.as_str(), ids[0].to_string().as_str()), ("bm", id));
        for other in [
            "01980f3a6c2e7b1d9a4e5f0c2d7e8a11",
            "01980F3A-6C2E-7B1D-9A4E-5F0C2D7E8A11",
            "{01980f3a-6c2e-7b1d-9a4e-5f0c2d7e8a11}",
        ] {
            assert!(parse_name(&format!("agencies/bm/events/{other}"), &["events"]).is_err());
        }
        assert!(parse_name(&format!("agencies/bm/events/{id}/x"), &["events"]).is_err());
        assert!(parse_name(&format!("agencies/BM/events/{id}"), &["events"]).is_err());
    }
}
