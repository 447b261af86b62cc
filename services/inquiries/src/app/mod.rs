//! The use cases, one method per RPC: they take checked domain commands and the caller,
//! load what the domain needs, let the domain decide, and save; each change runs in one
//! write transaction (a refused call writes nothing) and returns everything its response
//! needs, without reading again after the commit. Calls to the catalog happen before the
//! transaction, never inside it.

mod attachments;
mod categories;
mod changes;
mod escalation;
mod inquiries;
mod messages;
mod personal_data;
mod reconcile;
mod retention;
mod statistics;
mod submission_batch;

use std::sync::Arc;
use std::time::Duration;

use jalia_db::sea_orm::ConnectionTrait;
use jalia_db::{Db, IDEMPOTENCY_RETENTION, PageTokens};
use jalia_model::LocalizedText;
use jalia_runtime::SharedClock;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub(crate) use attachments::Download;
pub(crate) use inquiries::{CitizenView, InquiryView, Submitted};
pub(crate) use messages::CitizenReply;
pub(crate) use personal_data::PersonalData;
pub(crate) use statistics::StatisticsReport;

use crate::catalog::Catalog;
use crate::domain::Error;
use crate::domain::attachment::{AttachmentLimits, AttachmentStore};
use crate::domain::category::Category;
use crate::domain::due::TargetLookup;
use crate::domain::inquiry::Inquiry;
use crate::domain::status::StateChange;
use crate::domain::tracking::TrackingKey;
use crate::domain::working_days::Calendars;
use crate::store;

/// The full gRPC method paths: idempotency records and page tokens are bound to them.
mod methods {
    pub(super) const SUBMIT_INQUIRY: &str = "/jalia.inquiries.v1.InquiryService/SubmitInquiry";
    pub(super) const LIST_INQUIRIES: &str = "/jalia.inquiries.v1.InquiryService/ListInquiries";
    pub(super) const ADD_INQUIRY_MESSAGE: &str =
        "/jalia.inquiries.v1.InquiryService/AddInquiryMessage";
    pub(super) const LIST_INQUIRY_MESSAGES: &str =
        "/jalia.inquiries.v1.InquiryService/ListInquiryMessages";
    pub(super) const LIST_INQUIRY_CATEGORIES: &str =
        "/jalia.inquiries.v1.InquiryService/ListInquiryCategories";
    pub(super) const CREATE_INQUIRY_CATEGORY: &str =
        "/jalia.inquiries.v1.InquiryService/CreateInquiryCategory";
    pub(super) const REPLY_TO_INQUIRY: &str = "/jalia.inquiries.v1.InquiryService/ReplyToInquiry";
    pub(super) const ERASE_PERSONAL_DATA: &str =
        "/jalia.inquiries.v1.InquiryService/ErasePersonalData";
}

/// Time kept back from a caller's deadline for the write after asking the catalog.
const WRITE_MARGIN: Duration = Duration::from_millis(250);

/// The inquiries service's use cases.
#[derive(Debug, Clone)]
pub(crate) struct Inquiries {
    db: Db,
    clock: SharedClock,
    calendars: Arc<Calendars>,
    tracking: TrackingKey,
    pages: PageTokens,
    catalog: Catalog,
    contents: Arc<dyn AttachmentStore>,
    limits: AttachmentLimits,
    queue: submission_batch::SubmissionQueue,
    kept: categories::KeptCategories,
}

/// What a create under `create_once` returns: the record its replays get back, and, to
/// the call that made it only, what it made, so that its response needs no read after
/// the commit.
#[derive(Debug, Serialize, Deserialize)]
#[serde(bound(serialize = "R: Serialize", deserialize = "R: Deserialize<'de>"))]
struct Made<R, V> {
    #[serde(flatten)]
    replay: R,
    #[serde(skip)]
    made: Option<V>,
}

impl<R, V> Made<R, V> {
    fn new(replay: R, made: V) -> Self {
        Self {
            replay,
            made: Some(made),
        }
    }
}

impl Inquiries {
    /// The use cases over `db`, with `clock` for "now", `calendars` for each agency's days
    /// (its zone, weekend and holidays), the replicas' shared tracking key, page tokens,
    /// the catalog client, and where attachments' content lives with the limits on them.
    #[allow(clippy::too_many_arguments)] // the composition root's one call
    pub(crate) fn new(
        db: Db,
        clock: SharedClock,
        calendars: Arc<Calendars>,
        tracking: TrackingKey,
        pages: PageTokens,
        catalog: Catalog,
        contents: Arc<dyn AttachmentStore>,
        limits: AttachmentLimits,
    ) -> Self {
        Self {
            queue: submission_batch::SubmissionQueue::new(db.backend()),
            db,
            clock,
            calendars,
            tracking,
            pages,
            catalog,
            contents,
            limits,
            kept: categories::KeptCategories::default(),
        }
    }

    /// The same use cases reading "now" from `clock`: the demo replays its story at the
    /// times the story gives.
    pub(crate) fn with_clock(&self, clock: SharedClock) -> Self {
        Self {
            clock,
            ..self.clone()
        }
    }

    /// Drops the idempotency records past their retention; returns how many went.
    pub(crate) async fn purge_idempotency_records(&self) -> Result<u64, Error> {
        let cutoff = self
            .now()
            .checked_sub(IDEMPOTENCY_RETENTION)
            .unwrap_or(Timestamp::MIN);
        Ok(self.db.purge_idempotency_records(cutoff).await?)
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// What the catalog says about `service` (None: no service to ask about), within the
    /// caller's remaining time less the write's share.
    async fn processing_target(
        &self,
        service: Option<&str>,
        budget: Option<Duration>,
    ) -> TargetLookup {
        match service {
            Some(service) => {
                let budget = budget.map(|budget| budget.saturating_sub(WRITE_MARGIN));
                self.catalog.processing_target(service, budget).await
            }
            None => TargetLookup::NoService,
        }
    }

    /// The category of an inquiry, which always exists (categories are never deleted).
    async fn category_of(
        &self,
        conn: &impl ConnectionTrait,
        inquiry: &Inquiry,
    ) -> Result<Category, Error> {
        store::categories::find(conn, &inquiry.agency, inquiry.category)
            .await?
            .ok_or_else(|| Error::Internal("an inquiry's category is missing".to_owned()))
    }

    /// An inquiry as staff read it at `now`, with its category's name.
    fn view_at(
        &self,
        inquiry: Inquiry,
        category_name: LocalizedText,
        history: Vec<StateChange>,
        now: Timestamp,
    ) -> InquiryView {
        InquiryView {
            due_date: inquiry.due_date(now, self.calendars.of(&inquiry.agency).zone()),
            paused: inquiry.paused_duration(now),
            inquiry,
            category_name,
            history,
            attachments: Vec::new(),
        }
    }

    /// The view of a changed inquiry, read within the transaction that changed it.
    async fn view_in(
        &self,
        conn: &impl ConnectionTrait,
        inquiry: Inquiry,
        now: Timestamp,
    ) -> Result<InquiryView, Error> {
        let category = self.category_of(conn, &inquiry).await?;
        Ok(self.view_at(inquiry, category.display_name, Vec::new(), now))
    }
}

#[cfg(test)]
mod tests {
    use jalia_model::{AgencyCode, LocalizedText};
    use uuid::Uuid;

    use super::*;
    use crate::store::stored::SubmissionReplay;

    #[test]
    fn only_the_replay_record_is_stored() {
        let id = Uuid::from_u128(7);
        let made = Made::new(
            SubmissionReplay { inquiry_id: id },
            LocalizedText::default(),
        );
        let json = serde_json::to_string(&made).unwrap();
        assert_eq!(json, format!(r#"{{"inquiry_id":"{id}"}}"#));
        let replayed: Made<SubmissionReplay, AgencyCode> = serde_json::from_str(&json).unwrap();
        assert_eq!(replayed.replay.inquiry_id, id);
        assert!(replayed.made.is_none());
    }
}
