//! The record that a person's data was erased on their request (law 09-08): when, by
//! which calling system, how many registrations. It keeps nothing of the person, so the
//! record of an erasure never undoes it.

use jalia_model::AgencyCode;
use jiff::Timestamp;
use uuid::Uuid;

use super::registration::Registrant;

/// One erasure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Erasure {
    /// Id (UUIDv7).
    pub id: Uuid,
    /// The agency whose registrations were erased.
    pub agency: AgencyCode,
    /// The calling system that asked.
    pub erased_by: Registrant,
    /// Registrations anonymised.
    pub registrations: u32,
    /// When.
    pub time: Timestamp,
}

impl Erasure {
    /// The resource name, `agencies/{agency}/erasures/{erasure}`.
    pub(crate) fn name(&self) -> String {
        format!("agencies/{}/erasures/{}", self.agency, self.id)
    }
}
