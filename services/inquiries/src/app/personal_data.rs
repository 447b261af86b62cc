//! A person's rights over their data (law 09-08), exercised through the agency's staff:
//! access (everything the agency's inquiries hold about them) and erasure (their
//! inquiries anonymised as the retention anonymises a closed one, and a record that it
//! was done, without personal data).

use std::collections::HashMap;

use jalia_db::IdempotencyScope;
use jalia_db::sea_orm::DatabaseTransaction;
use jalia_model::Caller;
use serde::{Serialize, Serializer};
use uuid::Uuid;

use super::retention::erase_in;
use super::{Inquiries, InquiryView, Made, methods};
use crate::domain::Error;
use crate::domain::access::check_parent;
use crate::domain::erasure::{
    EraseCommand, Erasure, ExportCommand, MAX_EXPORTED_INQUIRIES, MAX_EXPORTED_MESSAGES,
    check_export_size,
};
use crate::domain::message::Message;
use crate::store;
use crate::store::stored::ErasureReplay;

/// How many of a person's inquiries one pass of an erasure locks and anonymises.
const ERASE_BATCH: u64 = 100;

/// The answer to an access request: each of the person's inquiries, oldest first, with
/// its history and all its messages.
#[derive(Debug, Clone)]
pub(crate) struct PersonalData {
    /// The inquiries and their messages, oldest first.
    pub inquiries: Vec<(InquiryView, Vec<Message>)>,
}

/// An erasure under `create_once`: the command and the record to fill.
struct NewErasure<'a> {
    this: &'a Inquiries,
    command: &'a EraseCommand,
    erasure: Erasure,
}

/// What a retry is compared by: the agency and the contacts' digests, never the contacts
/// themselves (the fingerprint is kept for days).
impl Serialize for NewErasure<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (
            self.command.agency.as_str(),
            self.erasure.digests.email,
            self.erasure.digests.phone,
        )
            .serialize(serializer)
    }
}

impl Inquiries {
    /// Anonymises every inquiry of the agency whose requester is the person, and records
    /// that it did; a retry with the same request_id returns the same record.
    pub(crate) async fn erase_personal_data(
        &self,
        caller: &Caller,
        command: EraseCommand,
    ) -> Result<Erasure, Error> {
        check_parent(caller, &command.agency)?;
        let now = self.now();
        let new = NewErasure {
            this: self,
            command: &command,
            erasure: Erasure {
                id: Uuid::now_v7(),
                agency: command.agency.clone(),
                erased_by_agency: caller.agency.as_claim().to_owned(),
                erased_by_subject: caller.subject.clone(),
                inquiries: 0,
                time: now,
                digests: self.tracking.contact_digests(&command.person),
            },
        };
        let scope = IdempotencyScope::new(caller, methods::ERASE_PERSONAL_DATA);
        let made = self
            .db
            .create_once(command.request_id, &scope, &new, now, |tx, new| {
                Box::pin(erase_personal_data_in(tx, new))
            })
            .await?
            .into_inner();
        let erasure = match made {
            Made {
                made: Some((erasure, documents)),
                ..
            } => {
                self.forget_contents(&documents).await;
                erasure
            }
            Made { replay, .. } => {
                store::erasures::find(self.db.connection(), &command.agency, replay.erasure_id)
                    .await?
                    .ok_or_else(|| Error::Internal("a replayed erasure is missing".to_owned()))?
            }
        };
        tracing::info!(
            erasure_id = %erasure.id,
            agency = %erasure.agency,
            inquiries = erasure.inquiries,
            "personal data erased on request"
        );
        Ok(erasure)
    }

    /// Everything the agency's inquiries hold about the person, refused whole past the
    /// caps rather than cut.
    pub(crate) async fn export_personal_data(
        &self,
        caller: &Caller,
        command: &ExportCommand,
    ) -> Result<PersonalData, Error> {
        check_parent(caller, &command.agency)?;
        let conn = self.db.connection();
        let found = store::inquiries::of_person(
            conn,
            &command.agency,
            &command.person,
            cap(MAX_EXPORTED_INQUIRIES),
            None,
        )
        .await?;
        check_export_size(found.len(), 0)?;
        let ids: Vec<Uuid> = found.iter().map(|inquiry| inquiry.id).collect();
        let messages =
            store::messages::of_inquiries(conn, &command.agency, &ids, cap(MAX_EXPORTED_MESSAGES))
                .await?;
        check_export_size(found.len(), messages.len())?;
        let mut by_inquiry: HashMap<Uuid, Vec<Message>> = HashMap::new();
        for message in messages {
            by_inquiry
                .entry(message.inquiry_id)
                .or_default()
                .push(message);
        }
        let categories =
            store::categories::by_ids(conn, found.iter().map(|inquiry| inquiry.category)).await?;
        let now = self.now();
        let mut inquiries = Vec::with_capacity(found.len());
        for inquiry in found {
            let name = categories
                .get(&inquiry.category)
                .map(|category| category.display_name.clone())
                .ok_or_else(|| Error::Internal("an inquiry's category is missing".to_owned()))?;
            let history = store::inquiries::history(conn, inquiry.id).await?;
            let messages = by_inquiry.remove(&inquiry.id).unwrap_or_default();
            inquiries.push((self.view_at(inquiry, name, history, now), messages));
        }
        tracing::info!(
            agency = %command.agency,
            inquiries = inquiries.len(),
            "personal data exported on request"
        );
        Ok(PersonalData { inquiries })
    }
}

/// One more than a cap, so that going past it is seen.
fn cap(max: usize) -> u64 {
    u64::try_from(max).map_or(u64::MAX, |max| max.saturating_add(1))
}

/// Anonymises pass after pass (an anonymised inquiry no longer matches the person) and
/// inserts the record, all in one transaction; returns it with the deleted documents.
async fn erase_personal_data_in(
    tx: &DatabaseTransaction,
    new: &NewErasure<'_>,
) -> Result<Made<ErasureReplay, (Erasure, Vec<Uuid>)>, Error> {
    let mut erasure = new.erasure.clone();
    let mut documents = Vec::new();
    loop {
        let found = store::inquiries::of_person(
            tx,
            &erasure.agency,
            &new.command.person,
            ERASE_BATCH,
            Some(new.this.db.backend()),
        )
        .await?;
        let mut changed = 0;
        for mut inquiry in found {
            if inquiry.erase(erasure.time) {
                documents.extend(erase_in(tx, &inquiry).await?);
                changed += 1;
            }
        }
        if changed == 0 {
            break;
        }
        erasure.inquiries += changed;
    }
    store::erasures::insert(tx, &erasure).await?;
    Ok(Made::new(
        ErasureReplay {
            erasure_id: erasure.id,
        },
        (erasure, documents),
    ))
}
