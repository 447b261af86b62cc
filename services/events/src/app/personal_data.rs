//! A person's rights over their data (law 09-08), exercised through the agency's staff:
//! access (everything the agency's events hold about them) and erasure (their
//! registrations anonymised, and a record that it was done, without personal data).

use jalia_model::{AgencyCode, Caller, reasons};
use jiff::Timestamp;
use uuid::Uuid;

use super::Events;
use crate::domain::erasure::Erasure;
use crate::domain::registration::{Identity, Registrant, RegistrationView};
use crate::domain::{Error, Result};
use crate::store;

/// Most registrations one access request returns, and one pass of an erasure changes.
const MAX_PER_PERSON: u64 = 1_000;

/// What an erasure is asked for: by whom, the person, and the record to fill.
struct Erase {
    erasure: Erasure,
    person: Identity,
}

impl Events {
    /// Anonymises every registration `person` holds with the agency's events, and
    /// records that it did.
    pub(crate) async fn erase_personal_data(
        &self,
        caller: &Caller,
        agency: AgencyCode,
        person: Identity,
    ) -> Result<Erasure> {
        own_agency(caller, &agency)?;
        let erase = Erase {
            erasure: Erasure {
                id: Uuid::now_v7(),
                agency,
                erased_by: Registrant::of(caller),
                registrations: 0,
                time: self.now(),
            },
            person,
        };
        let erasure = self
            .db
            .write(&erase, |tx, erase| Box::pin(erase_in(tx, erase)))
            .await?;
        tracing::info!(
            erasure_id = %erasure.id,
            registrations = erasure.registrations,
            "personal data erased on request"
        );
        Ok(erasure)
    }

    /// Everything the agency's events hold about `person`: their registrations, in
    /// registration order.
    pub(crate) async fn export_personal_data(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
        person: &Identity,
    ) -> Result<Vec<RegistrationView>> {
        own_agency(caller, agency)?;
        let db = self.db.connection();
        let found =
            store::registrations::of_person(db, agency, person, MAX_PER_PERSON + 1, false).await?;
        if found.len() as u64 > MAX_PER_PERSON {
            return Err(Error::exhausted(
                reasons::MESSAGE_TOO_LARGE,
                format!("more than {MAX_PER_PERSON} registrations hold this contact"),
            ));
        }
        let mut views = Vec::with_capacity(found.len());
        for registration in found {
            let waitlist_position = store::registrations::position(db, &registration).await?;
            views.push(RegistrationView {
                registration,
                waitlist_position,
                online_url: None,
            });
        }
        tracing::info!(
            registrations = views.len(),
            "personal data exported on request"
        );
        Ok(views)
    }
}

/// A person's data is handled only by their agency's own staff (or ministry-wide ones).
fn own_agency(caller: &Caller, agency: &AgencyCode) -> Result<()> {
    if caller.acts_for(agency.as_str()) {
        Ok(())
    } else {
        Err(Error::OtherAgency(
            "a person's data is handled by the agency that holds it",
        ))
    }
}

/// Anonymises pass after pass (an anonymised registration no longer matches) and
/// inserts the record, all in one transaction.
async fn erase_in(tx: &jalia_db::sea_orm::DatabaseTransaction, erase: &Erase) -> Result<Erasure> {
    let mut erasure = erase.erasure.clone();
    let now: Timestamp = erasure.time;
    loop {
        let mut found = store::registrations::of_person(
            tx,
            &erasure.agency,
            &erase.person,
            MAX_PER_PERSON,
            true,
        )
        .await?;
        let mut changed = 0;
        for registration in &mut found {
            if registration.anonymise(now) {
                store::registrations::save(tx, registration).await?;
                changed += 1;
            }
        }
        erasure.registrations += changed;
        if changed == 0 {
            break;
        }
    }
    store::erasures::insert(tx, &erasure).await?;
    Ok(erasure)
}
