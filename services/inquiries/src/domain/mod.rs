//! The inquiries domain: what an inquiry is, how it moves, when it is due, who may see
//! it, how a citizen follows it. Pure rules, no transport or storage.

pub(crate) mod access;
pub(crate) mod attachment;
pub(crate) mod calendar;
pub(crate) mod category;
pub(crate) mod classification;
pub(crate) mod due;
pub(crate) mod erasure;
pub(crate) mod error;
pub(crate) mod inquiry;
pub(crate) mod message;
pub(crate) mod public_statistics;
pub(crate) mod query;
pub(crate) mod reference;
pub(crate) mod statistics;
pub(crate) mod status;
pub(crate) mod text;
pub(crate) mod tracking;
pub(crate) mod working_days;

pub use error::Error;
