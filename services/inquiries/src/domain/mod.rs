//! The inquiries domain: what an inquiry is, how it moves, when it is due, who may see
//! it, how a citizen follows it. Pure rules, no transport or storage.

pub mod access;
pub mod calendar;
pub mod category;
pub mod due;
pub mod error;
pub mod inquiry;
pub mod message;
pub mod query;
pub mod reference;
pub mod statistics;
pub mod status;
pub mod text;
pub mod tracking;

pub use error::Error;
