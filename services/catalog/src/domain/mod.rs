//! The catalog's domain: agencies, the taxonomy, public services and their revisions, the
//! folding and ranking of search, who sees and changes what, and the one error type. The
//! rules live here, as methods of these types; the use cases load, call them and save.
//! Nothing here knows the wire or the database.

pub(crate) mod access;
pub(crate) mod agency;
mod error;
pub(crate) mod hours;
pub(crate) mod place;
pub(crate) mod public_service;
pub(crate) mod query;
pub(crate) mod revision;
pub(crate) mod search;
pub(crate) mod taxonomy;
pub(crate) mod text;

pub(crate) use error::Error;
