//! The inquiries themselves: submitting, the citizen's lookup, reading and listing, and
//! the handlers' changes (triage, assignment, transitions).

use std::time::Duration;

use jalia_db::IdempotencyScope;
use jalia_db::sea_orm::DatabaseTransaction;
use jalia_model::{Caller, LocalizedText, Page, PageRequest};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::{Serialize, Serializer};
use uuid::Uuid;

use super::attachments::spread;
use super::{Inquiries, Made, methods};
use crate::domain::Error;
use crate::domain::access::{check_parent, check_visible, list_scope};
use crate::domain::attachment::{AttachTarget, Attachment, Uploader};
use crate::domain::calendar::{date_key, local_date};
use crate::domain::category::Category;
use crate::domain::due::TargetLookup;
use crate::domain::inquiry::{
    AssignCommand, Inquiry, InquiryName, Referral, SubmitCommand, TransitionCommand, TriageFacts,
    UpdateCommand,
};
use crate::domain::message::Message;
use crate::domain::query::{InquiryCursor, InquiryOrder, InquiryQuery};
use crate::domain::reference::{Reference, normalize_typed, submission_year};
use crate::domain::status::{StateChange, Status};
use crate::domain::tracking::{TrackingCode, code_opens};
use crate::store;
use crate::store::stored::SubmissionReplay;

/// The longest reference looked up; anything longer is no reference of ours.
const MAX_REFERENCE_CHARS: usize = 64;

/// An inquiry as staff read it, with what depends on "now" computed.
#[derive(Debug, Clone)]
pub(crate) struct InquiryView {
    /// The inquiry.
    pub inquiry: Inquiry,
    /// Its category's name.
    pub category_name: LocalizedText,
    /// Its history, oldest first (only for GetInquiry).
    pub history: Vec<StateChange>,
    /// The due date as of now.
    pub due_date: Date,
    /// Time waited on the citizen as of now.
    pub paused: SignedDuration,
    /// The documents attached to the submission (only for SubmitInquiry and GetInquiry).
    pub attachments: Vec<Attachment>,
}

/// A submission's outcome: the inquiry and the tracking code, shown this once.
#[derive(Debug, Clone)]
pub(crate) struct Submitted {
    /// The inquiry.
    pub view: InquiryView,
    /// The citizen's code.
    pub tracking_code: TrackingCode,
}

/// What a citizen sees of their inquiry.
#[derive(Debug, Clone)]
pub(crate) struct CitizenView {
    /// The reference.
    pub reference: Reference,
    /// Where it stands.
    pub status: Status,
    /// The category's name.
    pub category_name: LocalizedText,
    /// Where it went, while REFERRED.
    pub referral: Option<Referral>,
    /// Submission.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// The due date as of now.
    pub due_date: Date,
    /// What the citizen sees of the conversation, oldest first: the public replies and
    /// their own messages (never internal notes).
    pub replies: Vec<Message>,
    /// The documents attached to the submission.
    pub attachments: Vec<Attachment>,
}

/// A submission checked and built before its write transaction, so that the transaction
/// only takes its reference's sequence and stores it.
pub(super) struct Prepared {
    /// What the caller asked: its request_id's fingerprint, and the documents to attach.
    pub command: SubmitCommand,
    /// The inquiry and its history's first entry, the reference not yet numbered; None
    /// when the domain refused it (see [`Prepared::refusal`]).
    pub built: Option<(Inquiry, StateChange)>,
    /// The hash of its tracking code.
    pub tracking_hash: [u8; 32],
    /// Its category, for the answer and for the refusal.
    pub category: Category,
    /// What the catalog said about its linked service.
    pub lookup: TargetLookup,
    /// Who submitted it.
    pub actor: String,
    /// Its id.
    pub id: Uuid,
    /// When it was submitted.
    pub now: Timestamp,
}

impl Prepared {
    /// The domain's refusal of a submission it would not build. It is asked for in the
    /// transaction, after the request_id's claim, so that a retry of a submission once
    /// made still replays it whatever the catalog says now.
    pub(super) fn refusal(&self, this: &Inquiries) -> Error {
        match this.build(
            &self.command,
            &self.category,
            self.lookup,
            &self.actor,
            self.id,
            self.now,
        ) {
            Err(err) => err,
            Ok(_) => Error::Internal("a submission was refused, then built".to_owned()),
        }
    }
}

/// What a retry is compared by: the submission alone (the fingerprint earlier releases
/// stored too). The catalog's answer, the fresh id and the time differ between tries of
/// one request, so they are left out.
/// Attachments, when there are any, are compared too (as `[submission, [ids]]`), so
/// that a submission without them keeps the fingerprint earlier releases stored.
impl Serialize for Prepared {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let attachments = &self.command.attachments;
        if attachments.is_empty() {
            self.command.submission.serialize(serializer)
        } else {
            let ids: Vec<Uuid> = attachments.iter().map(|name| name.id).collect();
            (&self.command.submission, ids).serialize(serializer)
        }
    }
}

/// A submission under `create_once`, with the use cases its transaction needs.
struct NewInquiry<'a> {
    this: &'a Inquiries,
    prepared: &'a Prepared,
}

impl Serialize for NewInquiry<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.prepared.serialize(serializer)
    }
}

/// How a submission ended: made by this call, or made earlier under its request_id.
pub(super) enum SubmitOutcome {
    /// This call made it.
    Made(Box<InquiryView>),
    /// An earlier call with the same request_id made this inquiry.
    Replayed(Uuid),
}

impl Inquiries {
    /// Submits an inquiry; a retry with the same request_id returns the same inquiry and
    /// tracking code.
    pub(crate) async fn submit(
        &self,
        caller: &Caller,
        command: SubmitCommand,
        budget: Option<Duration>,
    ) -> Result<Submitted, Error> {
        let submission = &command.submission;
        check_parent(caller, &submission.agency)?;
        // Outside the write transaction, so SQLite's single writer is held for less:
        // categories are never deleted, and the foreign key still guards the insert. A
        // batch checks that a kept category is still current; a submission with
        // documents, made alone, reads the stored one.
        let category = if command.attachments.is_empty() {
            self.submission_category(&submission.agency, submission.category)
                .await?
        } else {
            self.stored_category(&submission.agency, submission.category)
                .await?
        };
        let lookup = self
            .processing_target(submission.service.as_deref(), budget)
            .await;
        let now = self.now();
        let id = Uuid::now_v7();
        let built = self
            .build(&command, &category, lookup, &caller.subject, id, now)
            .ok();
        let prepared = Prepared {
            built,
            tracking_hash: self.tracking.code_for(id).hash(),
            category,
            lookup,
            actor: caller.subject.clone(),
            id,
            now,
            command,
        };
        let scope = IdempotencyScope::new(caller, methods::SUBMIT_INQUIRY);
        // Documents are locked and checked in the transaction: such a submission is made
        // alone rather than risk failing the batch it would share.
        let outcome = if prepared.command.attachments.is_empty() {
            self.submit_batched(scope, prepared).await?
        } else {
            self.submit_alone(&scope, &prepared).await?
        };
        let (view, replayed) = match outcome {
            SubmitOutcome::Made(view) => (*view, false),
            SubmitOutcome::Replayed(id) => (self.replayed(id).await?, true),
        };
        tracing::info!(
            inquiry_id = %view.inquiry.id,
            agency = %view.inquiry.agency,
            due_date_pending = view.inquiry.due.pending,
            replayed,
            "inquiry submitted"
        );
        Ok(Submitted {
            tracking_code: self.tracking.code_for(view.inquiry.id),
            view,
        })
    }

    /// The inquiry a submission makes, with its history's first entry, its reference
    /// not yet numbered.
    fn build(
        &self,
        command: &SubmitCommand,
        category: &Category,
        lookup: TargetLookup,
        actor: &str,
        id: Uuid,
        now: Timestamp,
    ) -> Result<(Inquiry, StateChange), Error> {
        let submission = &command.submission;
        let calendar = self.calendars.of(&submission.agency);
        let year = submission_year(now, calendar.zone());
        Inquiry::submit(
            id,
            Reference::unnumbered(submission.agency.clone(), year),
            submission.clone(),
            category,
            lookup,
            actor,
            now,
            calendar,
        )
    }

    /// The same submission over its stored category, built again if that has changed
    /// since the category was kept.
    pub(super) async fn refreshed(&self, prepared: Prepared) -> Result<Prepared, Error> {
        let kept = &prepared.category;
        let category = self.stored_category(&kept.agency, kept.id).await?;
        if category.version == kept.version {
            return Ok(prepared);
        }
        let built = self
            .build(
                &prepared.command,
                &category,
                prepared.lookup,
                &prepared.actor,
                prepared.id,
                prepared.now,
            )
            .ok();
        Ok(Prepared {
            built,
            category,
            ..prepared
        })
    }

    /// Makes one submission in a transaction of its own.
    pub(super) async fn submit_alone(
        &self,
        scope: &IdempotencyScope,
        prepared: &Prepared,
    ) -> Result<SubmitOutcome, Error> {
        let new = NewInquiry {
            this: self,
            prepared,
        };
        let outcome = self
            .db
            .create_once(
                prepared.command.request_id,
                scope,
                &new,
                prepared.now,
                |tx, new| Box::pin(submit_in(tx, new)),
            )
            .await?;
        Ok(match outcome.into_inner() {
            Made {
                made: Some(view), ..
            } => SubmitOutcome::Made(Box::new(view)),
            Made { replay, .. } => SubmitOutcome::Replayed(replay.inquiry_id),
        })
    }

    /// The answer's view of a submission made at `now`.
    pub(super) fn submitted_view(
        &self,
        inquiry: Inquiry,
        category: &Category,
        now: Timestamp,
    ) -> InquiryView {
        self.view_at(inquiry, category.display_name.clone(), Vec::new(), now)
    }

    /// A citizen's view of their inquiry, by reference and tracking code. A wrong
    /// reference and a wrong code are the same refusal, reached by the same steps.
    pub(crate) async fn lookup(
        &self,
        reference: &str,
        typed_code: &str,
    ) -> Result<CitizenView, Error> {
        let conn = self.db.connection();
        let inquiry = self.opened_by_code(reference, typed_code).await?;
        let mut replies =
            store::messages::citizen_thread(conn, &inquiry.agency, inquiry.id).await?;
        let attachments = spread(
            store::attachments::of_inquiry(conn, inquiry.id).await?,
            &mut replies,
        );
        let category = self.category_of(conn, &inquiry).await?;
        tracing::info!(inquiry_id = %inquiry.id, "inquiry looked up by its citizen");
        Ok(CitizenView {
            due_date: inquiry.due_date(self.now(), self.calendars.of(&inquiry.agency).zone()),
            reference: inquiry.reference,
            status: inquiry.status,
            category_name: category.display_name,
            referral: inquiry.referral,
            created_at: inquiry.created_at,
            updated_at: inquiry.updated_at,
            replies,
            attachments,
        })
    }

    /// The inquiry a reference and a tracking code open: LookupInquiry's and
    /// ReplyToInquiry's one check. A wrong reference and a wrong code are the same
    /// refusal, reached by the same steps.
    pub(super) async fn opened_by_code(
        &self,
        reference: &str,
        typed_code: &str,
    ) -> Result<Inquiry, Error> {
        let reference = normalize_typed(reference);
        let found = if reference.chars().count() <= MAX_REFERENCE_CHARS {
            store::inquiries::find_by_reference(self.db.connection(), &reference).await?
        } else {
            None
        };
        let opens = code_opens(found.as_ref().map(|(_, hash)| hash.as_slice()), typed_code);
        match found {
            // An anonymised inquiry no longer belongs to anyone: its code opens nothing.
            Some((inquiry, _)) if opens && inquiry.anonymised_at.is_none() => Ok(inquiry),
            _ => {
                tracing::debug!("inquiry lookup did not match");
                Err(Error::NotFound("inquiry"))
            }
        }
    }

    /// An inquiry with its history.
    pub(crate) async fn get(
        &self,
        caller: &Caller,
        name: &InquiryName,
    ) -> Result<InquiryView, Error> {
        let conn = self.db.connection();
        let inquiry = self.visible_inquiry(caller, name).await?;
        let category = self.category_of(conn, &inquiry).await?;
        let history = store::inquiries::history(conn, inquiry.id).await?;
        let attachments = spread(
            store::attachments::of_inquiry(conn, inquiry.id).await?,
            &mut [],
        );
        let mut view = self.view_at(inquiry, category.display_name, history, self.now());
        view.attachments = attachments;
        Ok(view)
    }

    /// A page of inquiries.
    pub(crate) async fn list(
        &self,
        caller: &Caller,
        query: &InquiryQuery,
        page: &PageRequest,
    ) -> Result<Page<InquiryView>, Error> {
        let conn = self.db.connection();
        let filter = query.filter(&caller.subject, list_scope(caller, query.agency.clone())?);
        let now = self.now();
        let pager = self
            .pages
            .pager(methods::LIST_INQUIRIES, Some(caller), &filter, page, now)?;
        let after: Option<InquiryCursor> = pager.cursor()?;
        // Across agencies, "today" is the default calendar's.
        let zone = self.calendars.of_scope(filter.agency.as_ref()).zone();
        let today = date_key(local_date(now, zone));
        let rows = store::inquiries::list(conn, &filter, today, after, pager.fetch_limit()).await?;
        let page = pager.page(rows, |last| InquiryCursor {
            due: (filter.order == InquiryOrder::DueDate).then(|| date_key(last.due.settled())),
            id: last.id,
        });
        let categories =
            store::categories::by_ids(conn, page.items.iter().map(|inquiry| inquiry.category))
                .await?;
        let items = page
            .items
            .into_iter()
            .map(|inquiry| {
                let name = categories
                    .get(&inquiry.category)
                    .map(|category| category.display_name.clone())
                    .ok_or_else(|| {
                        Error::Internal("an inquiry's category is missing".to_owned())
                    })?;
                Ok(self.view_at(inquiry, name, Vec::new(), now))
            })
            .collect::<Result<_, Error>>()?;
        Ok(Page {
            items,
            next_page_token: page.next_page_token,
        })
    }

    /// Changes an inquiry's triage fields, computing the due date again when its category
    /// or service changes (the catalog is asked before the transaction).
    pub(crate) async fn update(
        &self,
        caller: &Caller,
        command: UpdateCommand,
        budget: Option<Duration>,
    ) -> Result<InquiryView, Error> {
        let current = self.visible_inquiry(caller, &command.name).await?;
        let changes = &command.changes;
        let service_asked = changes.service_after(&current).map(str::to_owned);
        let lookup = if changes.rebases_due_date() {
            self.processing_target(service_asked.as_deref(), budget)
                .await
        } else {
            TargetLookup::NoService
        };
        let now = self.now();
        let input = (self, caller, &command, service_asked, lookup, now);
        let view = self
            .db
            .write(&input, |tx, input| Box::pin(update_in(tx, input)))
            .await?;
        tracing::info!(inquiry_id = %view.inquiry.id, "inquiry triage updated");
        Ok(view)
    }

    /// Assigns an inquiry to a team and/or an agent.
    pub(crate) async fn assign(
        &self,
        caller: &Caller,
        command: AssignCommand,
    ) -> Result<InquiryView, Error> {
        check_visible(caller, &command.name.agency, "inquiry")?;
        let now = self.now();
        let input = (self, caller, &command, now);
        let view = self
            .db
            .write(&input, |tx, (this, caller, command, now)| {
                Box::pin(async move {
                    let mut inquiry = this.lock_visible(tx, caller, &command.name).await?;
                    command.if_match.check(inquiry.version)?;
                    let change = inquiry.assign(
                        command.assignment.clone(),
                        &caller.subject,
                        command.note.clone(),
                        *now,
                    )?;
                    store::inquiries::save(tx, &inquiry).await?;
                    store::inquiries::append_history(tx, inquiry.id, inquiry.version, &change)
                        .await?;
                    store::changes::record(tx, &inquiry, &change).await?;
                    this.view_in(tx, inquiry, *now).await
                })
            })
            .await?;
        tracing::info!(
            inquiry_id = %view.inquiry.id,
            status = view.inquiry.status.name(),
            "inquiry assigned"
        );
        Ok(view)
    }

    /// Moves an inquiry to another status.
    pub(crate) async fn transition(
        &self,
        caller: &Caller,
        command: TransitionCommand,
    ) -> Result<InquiryView, Error> {
        check_visible(caller, &command.name.agency, "inquiry")?;
        let now = self.now();
        let input = (self, caller, &command, now);
        let view = self
            .db
            .write(&input, |tx, (this, caller, command, now)| {
                Box::pin(async move {
                    let mut inquiry = this.lock_visible(tx, caller, &command.name).await?;
                    command.if_match.check(inquiry.version)?;
                    let change = inquiry.transition(
                        command.target.clone(),
                        &caller.subject,
                        command.note.clone(),
                        *now,
                        this.calendars.of(&command.name.agency).zone(),
                    )?;
                    store::inquiries::save(tx, &inquiry).await?;
                    store::inquiries::append_history(tx, inquiry.id, inquiry.version, &change)
                        .await?;
                    store::changes::record(tx, &inquiry, &change).await?;
                    this.view_in(tx, inquiry, *now).await
                })
            })
            .await?;
        tracing::info!(
            inquiry_id = %view.inquiry.id,
            status = view.inquiry.status.name(),
            "inquiry moved"
        );
        Ok(view)
    }

    /// The inquiry `name` if the caller may see it.
    pub(super) async fn visible_inquiry(
        &self,
        caller: &Caller,
        name: &InquiryName,
    ) -> Result<Inquiry, Error> {
        check_visible(caller, &name.agency, "inquiry")?;
        store::inquiries::find(self.db.connection(), name.id)
            .await?
            .filter(|inquiry| inquiry.agency == name.agency)
            .ok_or(Error::NotFound("inquiry"))
    }

    /// The inquiry `name`, locked until the transaction ends, if the caller may see it.
    pub(super) async fn lock_visible(
        &self,
        tx: &DatabaseTransaction,
        caller: &Caller,
        name: &InquiryName,
    ) -> Result<Inquiry, Error> {
        check_visible(caller, &name.agency, "inquiry")?;
        store::inquiries::lock(tx, self.db.backend(), name.id)
            .await?
            .filter(|inquiry| inquiry.agency == name.agency)
            .ok_or(Error::NotFound("inquiry"))
    }

    /// The inquiry a replayed submission made, as of now.
    async fn replayed(&self, id: Uuid) -> Result<InquiryView, Error> {
        let conn = self.db.connection();
        let inquiry = store::inquiries::find(conn, id).await?.ok_or_else(|| {
            Error::Internal("a replayed submission's inquiry is missing".to_owned())
        })?;
        let attachments = spread(store::attachments::of_inquiry(conn, id).await?, &mut []);
        let mut view = self.view_in(conn, inquiry, self.now()).await?;
        view.attachments = attachments;
        Ok(view)
    }
}

async fn submit_in(
    tx: &DatabaseTransaction,
    new: &NewInquiry<'_>,
) -> Result<Made<SubmissionReplay, InquiryView>, Error> {
    let NewInquiry { this, prepared } = *new;
    let Some((inquiry, change)) = &prepared.built else {
        return Err(prepared.refusal(this));
    };
    // The counter's row lock is held until the commit: take it after every write
    // that does not need the number.
    store::changes::record(tx, inquiry, change).await?;
    let reference = &inquiry.reference;
    let sequence = store::inquiries::take_sequences(
        tx,
        this.db.backend(),
        &inquiry.agency,
        reference.year(),
        1,
    )
    .await?;
    let mut inquiry = inquiry.clone();
    inquiry.reference = reference.numbered(sequence);
    store::inquiries::insert_submitted(tx, &[(&inquiry, prepared.tracking_hash, change)]).await?;
    let target = AttachTarget {
        agency: &inquiry.agency,
        inquiry_id: inquiry.id,
        message_id: None,
        uploader: Uploader::Citizen,
    };
    let attachments = this
        .attach_in(
            tx,
            "attachments",
            &prepared.command.attachments,
            target,
            prepared.now,
        )
        .await?;
    let mut view = this.submitted_view(inquiry, &prepared.category, prepared.now);
    view.attachments = attachments;
    Ok(Made::new(
        SubmissionReplay {
            inquiry_id: prepared.id,
        },
        view,
    ))
}

type UpdateInput<'a> = (
    &'a Inquiries,
    &'a Caller,
    &'a UpdateCommand,
    Option<String>,
    TargetLookup,
    Timestamp,
);

async fn update_in(
    tx: &DatabaseTransaction,
    (this, caller, command, service_asked, lookup, now): &UpdateInput<'_>,
) -> Result<InquiryView, Error> {
    let mut inquiry = this.lock_visible(tx, caller, &command.name).await?;
    if let Some(if_match) = command.if_match {
        if_match.check(inquiry.version)?;
    }
    let changes = &command.changes;
    // The category the inquiry will have, when the changes name one or move its due date.
    let category = match changes.category {
        Some(id) => store::categories::find(tx, &inquiry.agency, id).await?,
        None if changes.rebases_due_date() => Some(this.category_of(tx, &inquiry).await?),
        None => None,
    };
    let facts = TriageFacts {
        category: category.as_ref(),
        service_asked: service_asked.as_deref(),
        lookup: *lookup,
    };
    inquiry.update_triage(
        changes,
        facts,
        *now,
        this.calendars.of(&command.name.agency),
    )?;
    store::inquiries::save(tx, &inquiry).await?;
    match category {
        Some(category) if category.id == inquiry.category => {
            Ok(this.view_at(inquiry, category.display_name, Vec::new(), *now))
        }
        _ => this.view_in(tx, inquiry, *now).await,
    }
}

#[cfg(test)]
mod tests {
    use jalia_model::{AgencyCode, CountryCode, Email, LanguageCode, Phone};
    use jiff::civil::date;

    use crate::domain::inquiry::{Channel, Requester, Submission};
    use crate::domain::text::PersonalText;

    use super::*;

    #[test]
    fn a_retried_submission_is_compared_by_what_earlier_releases_stored() {
        let text = |value: &str| PersonalText::parse(value, 1, 200).unwrap();
        let submission = Submission {
            agency: AgencyCode::parse("bm").unwrap(),
            requester: Requester {
                display_name: text("Samira Fictive"),
                email: Some(Email::parse("samira.fictive@example.org").unwrap()),
                phone: Some(Phone::parse("+33 6 98 76 54 32").unwrap()),
                country_of_residence: CountryCode::parse("FR").unwrap(),
                preferred_language: Some(LanguageCode::parse("fr").unwrap()),
                diaspora: true,
            },
            channel: Channel::EventDesk,
            category: Uuid::from_u128(0x0198_a1b2_7c3d_7e4f_8a5b_6c7d_8e9f_0a1b),
            service: None,
            event: Some("agencies/bm/events/0198a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1c".to_owned()),
            subject: text("Permis"),
            body: text("Comment déposer ?"),
            answer_before: Some(date(2025, 8, 31)),
            kind: crate::domain::classification::Kind::Question,
            place: None,
        };
        // NewInquiry serializes as its submission alone.
        assert_eq!(
            serde_json::to_string(&submission).unwrap(),
            concat!(
                r#"{"agency":"bm","requester":{"display_name":"Samira Fictive","#,
                r#""email":"samira.fictive@example.org","phone":"+33698765432","#,
                r#""country_of_residence":"FR","preferred_language":"fr","diaspora":true},"#,
                r#""channel":"EventDesk","category":"0198a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b","#,
                r#""service":null,"event":"agencies/bm/events/0198a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1c","#,
                r#""subject":"Permis","body":"Comment déposer ?","answer_before":"2025-08-31"}"#
            )
        );
    }
}
