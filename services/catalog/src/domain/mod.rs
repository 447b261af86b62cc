//! The catalog's domain: agencies, the taxonomy, public services and their revisions,
//! the folding and ranking of search, who sees what, and the one error type. No tonic,
//! prost or sea-orm here.

pub mod access;
pub mod agency;
mod error;
pub mod hours;
pub mod place;
pub mod public_service;
pub mod query;
pub mod revision;
pub mod search;
pub mod taxonomy;
pub mod text;
mod time;

pub use error::Error;

/// The opaque etag of a resource at `version`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// Whether `sent` is the etag of `version`; an empty etag was refused before.
pub fn etag_matches(sent: &str, version: i64) -> bool {
    sent == etag(version)
}
