//! The use cases, one method per RPC: they take checked domain inputs and the caller,
//! enforce which agency may see or change what, and run each change in one write
//! transaction (a refused call writes nothing). Calls to the catalog happen before the
//! transaction, never inside it.

use std::collections::HashMap;
use std::time::Duration;

use jalia_db::sea_orm::DatabaseTransaction;
use jalia_db::{Db, Fingerprint, IdempotencyKey, Idempotent, PageScope, PageTokens};
use jalia_model::{AgencyCode, Caller, LocalizedText};
use jalia_runtime::SharedClock;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalog::Catalog;
use crate::domain::Error;
use crate::domain::calendar::{add_days, date_key, local_date, start_of_day};
use crate::domain::category::Category;
use crate::domain::inquiry::{
    Assignment, DueBasis, DueDateSource, Inquiry, Priority, Referral, StateChange, Status,
    Submission, Target, TargetLookup, Visibility,
};
use crate::domain::message::Message;
use crate::domain::query::{
    CategoryFilter, IdCursor, InquiryCursor, InquiryFilter, InquiryListRequest, InquiryOrder,
    MessageFilter, Page,
};
use crate::domain::reference::{Reference, normalize_typed};
use crate::domain::statistics::{Period, Statistics, median_micros};
use crate::domain::text::PersonalText;
use crate::domain::tracking::{TrackingCode, TrackingKey, hashes_match};
use crate::store;

/// The full gRPC method paths: idempotency records and page tokens are bound to them.
pub mod methods {
    /// SubmitInquiry.
    pub const SUBMIT: &str = "/jalia.inquiries.v1.InquiryService/SubmitInquiry";
    /// ListInquiries.
    pub const LIST: &str = "/jalia.inquiries.v1.InquiryService/ListInquiries";
    /// AddInquiryMessage.
    pub const ADD_MESSAGE: &str = "/jalia.inquiries.v1.InquiryService/AddInquiryMessage";
    /// ListInquiryMessages.
    pub const LIST_MESSAGES: &str = "/jalia.inquiries.v1.InquiryService/ListInquiryMessages";
    /// ListInquiryCategories.
    pub const LIST_CATEGORIES: &str = "/jalia.inquiries.v1.InquiryService/ListInquiryCategories";
    /// CreateInquiryCategory.
    pub const CREATE_CATEGORY: &str = "/jalia.inquiries.v1.InquiryService/CreateInquiryCategory";
}

/// Time kept back from a caller's deadline for the write after asking the catalog.
const WRITE_MARGIN: Duration = Duration::from_millis(250);

/// How many pending inquiries the reconciler reads at a time.
const RECONCILE_BATCH: u64 = 100;

/// The inquiries service's use cases.
#[derive(Debug)]
pub struct Inquiries {
    db: Db,
    clock: SharedClock,
    zone: TimeZone,
    tracking: TrackingKey,
    page_tokens: PageTokens,
    catalog: Catalog,
}

/// An inquiry as staff read it, with what depends on "now" computed.
#[derive(Debug, Clone)]
pub struct InquiryView {
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
}

/// A submission's outcome: the inquiry and the tracking code, shown this once.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// The inquiry.
    pub view: InquiryView,
    /// The citizen's code.
    pub tracking_code: TrackingCode,
}

/// What a citizen sees of their inquiry.
#[derive(Debug, Clone)]
pub struct CitizenView {
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
    /// Public replies, oldest first.
    pub replies: Vec<Message>,
}

/// An inquiry's name: `agencies/{agency}/inquiries/{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InquiryName {
    /// The agency in the name.
    pub agency: AgencyCode,
    /// The id in the name.
    pub id: Uuid,
}

/// A category's name: `agencies/{agency}/inquiryCategories/{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryName {
    /// The agency in the name.
    pub agency: AgencyCode,
    /// The id in the name.
    pub id: Uuid,
}

/// SubmitInquiry, checked.
#[derive(Debug, Clone)]
pub struct SubmitCommand {
    /// The inquiry's input fields.
    pub submission: Submission,
    /// The caller's idempotency key.
    pub request_id: Uuid,
}

/// UpdateInquiry's changes: None leaves a field as it is; `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriageChanges {
    /// A new category.
    pub category: Option<Uuid>,
    /// A new (or no) service.
    pub service: Option<Option<String>>,
    /// A new (or no) event.
    pub event: Option<Option<String>>,
    /// A new (or no) date the answer is needed by.
    pub answer_before: Option<Option<Date>>,
    /// A priority set by the handler.
    pub priority: Option<Priority>,
}

/// UpdateInquiry, checked.
#[derive(Debug, Clone)]
pub struct UpdateCommand {
    /// Which inquiry.
    pub name: InquiryName,
    /// The version the caller read, if it sent an etag.
    pub expected_version: Option<i64>,
    /// What to change.
    pub changes: TriageChanges,
}

/// AssignInquiry, checked.
#[derive(Debug, Clone)]
pub struct AssignCommand {
    /// Which inquiry.
    pub name: InquiryName,
    /// The version the caller read.
    pub expected_version: i64,
    /// The new assignment.
    pub assignment: Assignment,
    /// A note for the history.
    pub note: Option<PersonalText>,
}

/// TransitionInquiry, checked.
#[derive(Debug, Clone)]
pub struct TransitionCommand {
    /// Which inquiry.
    pub name: InquiryName,
    /// The version the caller read.
    pub expected_version: i64,
    /// Where to.
    pub target: Target,
    /// A note for the history.
    pub note: Option<PersonalText>,
}

/// AddInquiryMessage, checked.
#[derive(Debug, Clone)]
pub struct AddMessageCommand {
    /// Which inquiry.
    pub inquiry: InquiryName,
    /// The caller's idempotency key.
    pub request_id: Uuid,
    /// Who sees it.
    pub visibility: Visibility,
    /// The text.
    pub body: PersonalText,
}

/// CreateInquiryCategory, checked.
#[derive(Debug, Clone)]
pub struct CreateCategoryCommand {
    /// The owning agency.
    pub agency: AgencyCode,
    /// The caller's idempotency key.
    pub request_id: Uuid,
    /// The names.
    pub display_name: LocalizedText,
    /// Default days to answer.
    pub default_response_days: i64,
}

/// UpdateInquiryCategory, checked.
#[derive(Debug, Clone)]
pub struct UpdateCategoryCommand {
    /// Which category.
    pub name: CategoryName,
    /// The version the caller read, if it sent an etag.
    pub expected_version: Option<i64>,
    /// New names.
    pub display_name: Option<LocalizedText>,
    /// New default days.
    pub default_response_days: Option<i64>,
}

/// A page request.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    /// Checked page size.
    pub page_size: u32,
    /// The previous page's token, or empty.
    pub page_token: String,
}

/// The statistics of a period, with the names of the categories they mention.
#[derive(Debug, Clone)]
pub struct StatisticsReport {
    /// The figures.
    pub statistics: Statistics,
    /// Categories by id.
    pub categories: HashMap<Uuid, Category>,
}

/// What an idempotent submission stores: the inquiry's id only. The tracking code is
/// never stored in clear, so a replay derives it again from the id; the inquiry is read
/// back, so no copy of the citizen's data sits in the idempotency table.
#[derive(Debug, Serialize, Deserialize)]
struct SubmitRecord {
    inquiry_id: Uuid,
    #[serde(skip)]
    created: Option<Box<InquiryView>>,
}

/// What an idempotent message stores: the message's id.
#[derive(Debug, Serialize, Deserialize)]
struct MessageRecord {
    message_id: Uuid,
    #[serde(skip)]
    created: Option<Box<Message>>,
}

/// What an idempotent category creation stores: the category's id.
#[derive(Debug, Serialize, Deserialize)]
struct CategoryRecord {
    category_id: Uuid,
    #[serde(skip)]
    created: Option<Box<Category>>,
}

struct SubmitInput<'a> {
    this: &'a Inquiries,
    submission: &'a Submission,
    category: &'a Category,
    lookup: TargetLookup,
    actor: &'a str,
    id: Uuid,
    now: Timestamp,
}

struct MessageInput<'a> {
    this: &'a Inquiries,
    caller: &'a Caller,
    command: &'a AddMessageCommand,
    id: Uuid,
    now: Timestamp,
}

struct CategoryInput<'a> {
    command: &'a CreateCategoryCommand,
    id: Uuid,
    now: Timestamp,
}

impl Inquiries {
    /// The use cases over `db`, with `clock` for "now", `zone` for the agencies' calendar
    /// days, the replicas' shared tracking key, page tokens and the catalog client.
    pub fn new(
        db: Db,
        clock: SharedClock,
        zone: TimeZone,
        tracking: TrackingKey,
        page_tokens: PageTokens,
        catalog: Catalog,
    ) -> Self {
        Self {
            db,
            clock,
            zone,
            tracking,
            page_tokens,
            catalog,
        }
    }

    /// The service's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Submits an inquiry; a retry with the same request_id returns the same inquiry and
    /// tracking code.
    pub async fn submit(
        &self,
        caller: &Caller,
        command: SubmitCommand,
        budget: Option<Duration>,
    ) -> Result<Submitted, Error> {
        let submission = &command.submission;
        check_parent(caller, &submission.agency)?;
        // Read before the write transaction, so SQLite's single writer is held for less:
        // categories are never deleted, and the foreign key still guards the insert.
        let category = store::find_category(
            self.db.connection(),
            &submission.agency,
            submission.category,
        )
        .await?
        .ok_or_else(unknown_category)?;
        let lookup = match &submission.service {
            Some(service) => {
                self.catalog
                    .processing_target(service, budget.map(|b| b.saturating_sub(WRITE_MARGIN)))
                    .await
            }
            None => TargetLookup::NoService,
        };
        let now = self.now();
        let key = idempotency_key(caller, methods::SUBMIT, command.request_id);
        let input = SubmitInput {
            this: self,
            submission,
            category: &category,
            lookup,
            actor: &caller.subject,
            id: Uuid::now_v7(),
            now,
        };
        let outcome = self
            .db
            .idempotent(&key, fingerprint(submission)?, now, &input, |tx, input| {
                Box::pin(submit_in(tx, input))
            })
            .await?;
        let (view, replayed) = match outcome {
            Idempotent::Created(SubmitRecord {
                created: Some(view),
                ..
            }) => (*view, false),
            Idempotent::Created(record) | Idempotent::Replayed(record) => {
                (self.load_view(record.inquiry_id, false).await?, true)
            }
        };
        tracing::info!(
            inquiry_id = %view.inquiry.id,
            agency = %view.inquiry.agency,
            due_date_pending = view.inquiry.due.pending,
            replayed,
            "inquiry submitted"
        );
        let tracking_code = self.tracking.code_for(view.inquiry.id);
        Ok(Submitted {
            view,
            tracking_code,
        })
    }

    /// A citizen's view of their inquiry, by reference and tracking code. A wrong
    /// reference and a wrong code are the same refusal, reached by the same steps.
    pub async fn lookup(&self, reference: &str, typed_code: &str) -> Result<CitizenView, Error> {
        const NO_HASH: [u8; 32] = [0; 32];
        let reference = normalize_typed(reference);
        let presented = TrackingCode::from_typed(typed_code).map(|code| code.hash());
        let found = if reference.len() <= 64 {
            store::find_by_reference(self.db.connection(), &reference).await?
        } else {
            None
        };
        let stored = found
            .as_ref()
            .map_or(&NO_HASH[..], |(_, hash)| hash.as_slice());
        let matched = hashes_match(stored, presented.as_ref().unwrap_or(&NO_HASH));
        let inquiry = match (found, presented, matched) {
            (Some((inquiry, _)), Some(_), true) => inquiry,
            _ => {
                tracing::debug!("inquiry lookup did not match");
                return Err(Error::NotFound("inquiry"));
            }
        };
        let conn = self.db.connection();
        let replies = store::public_replies(conn, &inquiry.agency, inquiry.id).await?;
        let category = self.category_of(&inquiry).await?;
        let now = self.now();
        tracing::info!(inquiry_id = %inquiry.id, "inquiry looked up by its citizen");
        Ok(CitizenView {
            due_date: inquiry.due_date(now, &self.zone),
            reference: inquiry.reference,
            status: inquiry.status,
            category_name: category.display_name,
            referral: inquiry.referral,
            created_at: inquiry.created_at,
            updated_at: inquiry.updated_at,
            replies,
        })
    }

    /// An inquiry with its history.
    pub async fn get(&self, caller: &Caller, name: &InquiryName) -> Result<InquiryView, Error> {
        let inquiry = self.visible_inquiry(caller, name).await?;
        self.view(inquiry, true).await
    }

    /// A page of inquiries.
    pub async fn list(
        &self,
        caller: &Caller,
        request: InquiryListRequest,
    ) -> Result<Page<InquiryView>, Error> {
        let agency = list_scope(caller, request.agency)?;
        let mut statuses = request.statuses;
        statuses.sort_unstable();
        statuses.dedup();
        let filter = InquiryFilter {
            agency,
            updated_after: request.updated_after,
            statuses,
            category: request.category,
            service: request.service,
            event: request.event,
            channel: request.channel,
            agent: if request.mine {
                Some(caller.subject.clone())
            } else {
                request.agent
            },
            team: request.team,
            unassigned: request.unassigned,
            overdue: request.overdue,
            order: request.order,
        };
        let now = self.now();
        let query = canonical(&filter)?;
        let scope = page_scope(methods::LIST, caller, &query);
        let after: Option<InquiryCursor> = self.open_token(&request.page_token, &scope, now)?;
        let today = date_key(local_date(now, &self.zone));
        let limit = u64::from(request.page_size);
        let mut rows = store::list_inquiries(
            self.db.connection(),
            &filter,
            today,
            after,
            limit.saturating_add(1),
        )
        .await?;
        let next_page_token =
            self.next_token(&mut rows, limit, &scope, now, |last| InquiryCursor {
                due: (filter.order == InquiryOrder::DueDate).then(|| date_key(last.due.settled())),
                id: last.id,
            });
        let categories =
            store::categories_by_ids(self.db.connection(), rows.iter().map(|i| i.category)).await?;
        let items = rows
            .into_iter()
            .map(|inquiry| {
                let name = categories
                    .get(&inquiry.category)
                    .map(|category| category.display_name.clone())
                    .ok_or_else(|| Error::Corrupt("an inquiry's category is missing".to_owned()))?;
                Ok(self.view_at(inquiry, name, Vec::new(), now))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Page {
            items,
            next_page_token,
        })
    }

    /// Changes an inquiry's triage fields, recomputing the due date when its category or
    /// service changes.
    pub async fn update(
        &self,
        caller: &Caller,
        command: UpdateCommand,
        budget: Option<Duration>,
    ) -> Result<InquiryView, Error> {
        let current = self.visible_inquiry(caller, &command.name).await?;
        let changes = &command.changes;
        let rebase = changes.category.is_some() || changes.service.is_some();
        let service_after = changes
            .service
            .clone()
            .unwrap_or_else(|| current.service.clone());
        let lookup = match (&service_after, rebase) {
            (Some(service), true) => {
                self.catalog
                    .processing_target(service, budget.map(|b| b.saturating_sub(WRITE_MARGIN)))
                    .await
            }
            _ => TargetLookup::NoService,
        };
        let now = self.now();
        let input = (self, caller, &command, service_after, lookup, now, rebase);
        let inquiry = self
            .db
            .write(
                &input,
                |tx, (this, caller, command, service_after, lookup, now, rebase)| {
                    Box::pin(async move {
                        let mut inquiry = this.lock_visible(tx, caller, &command.name).await?;
                        inquiry.check_version(command.expected_version)?;
                        inquiry.check_still_handled()?;
                        let changes = &command.changes;
                        if let Some(category) = changes.category {
                            store::find_category(tx, &inquiry.agency, category)
                                .await?
                                .ok_or_else(|| {
                                    Error::invalid(
                                        "inquiry.category",
                                        "no such category in the inquiry's agency",
                                    )
                                })?;
                            inquiry.category = category;
                        }
                        if changes.service.is_some() {
                            inquiry.service = service_after.clone();
                        } else if *rebase && inquiry.service != *service_after {
                            // The service changed since the catalog was asked about it.
                            return Err(Error::StaleEtag);
                        }
                        if let Some(event) = &changes.event {
                            inquiry.event = event.clone();
                        }
                        if *rebase {
                            let category = this.category_in(tx, &inquiry).await?;
                            let basis = DueBasis::choose(*lookup, category.default_response_days)
                                .map_err(|_| unknown_service())?;
                            inquiry.rebase_due_date(basis, *now, &this.zone);
                        }
                        if let Some(answer_before) = changes.answer_before {
                            inquiry.set_answer_before(answer_before, *now, &this.zone);
                        }
                        if let Some(priority) = changes.priority {
                            inquiry.priority = priority;
                        }
                        inquiry.touch(*now);
                        store::save_inquiry(tx, &inquiry).await?;
                        Ok::<_, Error>(inquiry)
                    })
                },
            )
            .await?;
        tracing::info!(inquiry_id = %inquiry.id, "inquiry triage updated");
        self.view(inquiry, false).await
    }

    /// Assigns an inquiry to a team and/or an agent.
    pub async fn assign(
        &self,
        caller: &Caller,
        command: AssignCommand,
    ) -> Result<InquiryView, Error> {
        check_visible(caller, &command.name)?;
        let now = self.now();
        let inquiry = self
            .db
            .write(
                &(self, caller, &command, now),
                |tx, (this, caller, command, now)| {
                    Box::pin(async move {
                        let mut inquiry = this.lock_visible(tx, caller, &command.name).await?;
                        inquiry.check_version(Some(command.expected_version))?;
                        let change = inquiry.assign(
                            command.assignment.clone(),
                            &caller.subject,
                            command.note.clone(),
                            *now,
                        )?;
                        store::save_inquiry(tx, &inquiry).await?;
                        store::append_history(tx, inquiry.id, inquiry.version, &change).await?;
                        Ok::<_, Error>(inquiry)
                    })
                },
            )
            .await?;
        tracing::info!(inquiry_id = %inquiry.id, status = inquiry.status.name(), "inquiry assigned");
        self.view(inquiry, false).await
    }

    /// Moves an inquiry to another status.
    pub async fn transition(
        &self,
        caller: &Caller,
        command: TransitionCommand,
    ) -> Result<InquiryView, Error> {
        check_visible(caller, &command.name)?;
        let now = self.now();
        let inquiry = self
            .db
            .write(
                &(self, caller, &command, now),
                |tx, (this, caller, command, now)| {
                    Box::pin(async move {
                        let mut inquiry = this.lock_visible(tx, caller, &command.name).await?;
                        inquiry.check_version(Some(command.expected_version))?;
                        let change = inquiry.transition(
                            command.target.clone(),
                            &caller.subject,
                            command.note.clone(),
                            *now,
                            &this.zone,
                        )?;
                        store::save_inquiry(tx, &inquiry).await?;
                        store::append_history(tx, inquiry.id, inquiry.version, &change).await?;
                        Ok::<_, Error>(inquiry)
                    })
                },
            )
            .await?;
        tracing::info!(inquiry_id = %inquiry.id, status = inquiry.status.name(), "inquiry moved");
        self.view(inquiry, false).await
    }

    /// Adds a public reply or an internal note.
    pub async fn add_message(
        &self,
        caller: &Caller,
        command: AddMessageCommand,
    ) -> Result<Message, Error> {
        check_visible(caller, &command.inquiry)?;
        let now = self.now();
        let key = idempotency_key(caller, methods::ADD_MESSAGE, command.request_id);
        let content = (
            command.inquiry.agency.as_str(),
            command.inquiry.id,
            command.visibility,
            &command.body,
        );
        let input = MessageInput {
            this: self,
            caller,
            command: &command,
            id: Uuid::now_v7(),
            now,
        };
        let outcome = self
            .db
            .idempotent(&key, fingerprint(&content)?, now, &input, |tx, input| {
                Box::pin(add_message_in(tx, input))
            })
            .await?;
        let message = match outcome {
            Idempotent::Created(MessageRecord {
                created: Some(message),
                ..
            }) => *message,
            Idempotent::Created(record) | Idempotent::Replayed(record) => store::find_message(
                self.db.connection(),
                &command.inquiry.agency,
                command.inquiry.id,
                record.message_id,
            )
            .await?
            .ok_or_else(|| Error::Corrupt("an idempotent message is missing".to_owned()))?,
        };
        tracing::info!(
            inquiry_id = %message.inquiry_id,
            message_id = %message.id,
            visibility = ?message.visibility,
            "inquiry message added"
        );
        Ok(message)
    }

    /// A page of an inquiry's messages.
    pub async fn list_messages(
        &self,
        caller: &Caller,
        inquiry: &InquiryName,
        added_after: Option<Timestamp>,
        visibility: Option<Visibility>,
        page: PageRequest,
    ) -> Result<Page<Message>, Error> {
        let inquiry = self.visible_inquiry(caller, inquiry).await?;
        let filter = MessageFilter {
            inquiry_id: inquiry.id,
            added_after,
            visibility,
        };
        let now = self.now();
        let query = canonical(&filter)?;
        let scope = page_scope(methods::LIST_MESSAGES, caller, &query);
        let after: Option<IdCursor> = self.open_token(&page.page_token, &scope, now)?;
        let limit = u64::from(page.page_size);
        let mut rows = store::list_messages(
            self.db.connection(),
            &inquiry.agency,
            &filter,
            after.map(|cursor| cursor.id),
            limit.saturating_add(1),
        )
        .await?;
        let next_page_token = self.next_token(&mut rows, limit, &scope, now, |last| IdCursor {
            id: last.id,
        });
        Ok(Page {
            items: rows,
            next_page_token,
        })
    }

    /// A page of categories: an agency's, or every agency's. Categories hold nothing
    /// private, so any reader may list any agency's.
    pub async fn list_categories(
        &self,
        caller: &Caller,
        agency: Option<AgencyCode>,
        updated_after: Option<Timestamp>,
        page: PageRequest,
    ) -> Result<Page<Category>, Error> {
        let filter = CategoryFilter {
            agency,
            updated_after,
        };
        let now = self.now();
        let query = canonical(&filter)?;
        let scope = page_scope(methods::LIST_CATEGORIES, caller, &query);
        let after: Option<IdCursor> = self.open_token(&page.page_token, &scope, now)?;
        let limit = u64::from(page.page_size);
        let mut rows = store::list_categories(
            self.db.connection(),
            &filter,
            after.map(|cursor| cursor.id),
            limit.saturating_add(1),
        )
        .await?;
        let next_page_token = self.next_token(&mut rows, limit, &scope, now, |last| IdCursor {
            id: last.id,
        });
        Ok(Page {
            items: rows,
            next_page_token,
        })
    }

    /// Creates a category.
    pub async fn create_category(
        &self,
        caller: &Caller,
        command: CreateCategoryCommand,
    ) -> Result<Category, Error> {
        check_parent(caller, &command.agency)?;
        let now = self.now();
        let key = idempotency_key(caller, methods::CREATE_CATEGORY, command.request_id);
        let content = (
            command.agency.as_str(),
            &command.display_name,
            command.default_response_days,
        );
        let input = CategoryInput {
            command: &command,
            id: Uuid::now_v7(),
            now,
        };
        let outcome = self
            .db
            .idempotent(&key, fingerprint(&content)?, now, &input, |tx, input| {
                Box::pin(async move {
                    let category = Category {
                        id: input.id,
                        agency: input.command.agency.clone(),
                        display_name: input.command.display_name.clone(),
                        default_response_days: input.command.default_response_days,
                        created_at: input.now,
                        updated_at: input.now,
                        version: 1,
                    };
                    store::insert_category(tx, &category).await?;
                    Ok::<_, Error>(CategoryRecord {
                        category_id: category.id,
                        created: Some(Box::new(category)),
                    })
                })
            })
            .await?;
        let category = match outcome {
            Idempotent::Created(CategoryRecord {
                created: Some(category),
                ..
            }) => *category,
            Idempotent::Created(record) | Idempotent::Replayed(record) => {
                store::find_category(self.db.connection(), &command.agency, record.category_id)
                    .await?
                    .ok_or_else(|| Error::Corrupt("an idempotent category is missing".to_owned()))?
            }
        };
        tracing::info!(category_id = %category.id, agency = %category.agency, "inquiry category created");
        Ok(category)
    }

    /// Changes a category's names or default response time.
    pub async fn update_category(
        &self,
        caller: &Caller,
        command: UpdateCategoryCommand,
    ) -> Result<Category, Error> {
        if !caller.acts_for(command.name.agency.as_str()) {
            return Err(Error::NotFound("inquiry category"));
        }
        let now = self.now();
        let category = self
            .db
            .write(&(self, &command, now), |tx, (this, command, now)| {
                Box::pin(async move {
                    let mut category = store::lock_category(
                        tx,
                        this.db.backend(),
                        &command.name.agency,
                        command.name.id,
                    )
                    .await?
                    .ok_or(Error::NotFound("inquiry category"))?;
                    if command
                        .expected_version
                        .is_some_and(|version| version != category.version)
                    {
                        return Err(Error::StaleEtag);
                    }
                    if let Some(display_name) = &command.display_name {
                        category.display_name = display_name.clone();
                    }
                    if let Some(days) = command.default_response_days {
                        category.default_response_days = days;
                    }
                    category.updated_at = (*now).max(category.updated_at);
                    category.version += 1;
                    store::update_category(tx, &category).await?;
                    Ok::<_, Error>(category)
                })
            })
            .await?;
        tracing::info!(category_id = %category.id, "inquiry category updated");
        Ok(category)
    }

    /// The statistics of the inquiries submitted in `period` to `agency` (None: every
    /// agency the caller may read).
    pub async fn statistics(
        &self,
        caller: &Caller,
        agency: Option<AgencyCode>,
        period: Period,
    ) -> Result<StatisticsReport, Error> {
        let agency = list_scope(caller, agency)?;
        let now = self.now();
        let from = start_of_day(period.start, &self.zone);
        let to = start_of_day(add_days(period.end, 1), &self.zone);
        let today = date_key(local_date(now, &self.zone));
        let conn = self.db.connection();
        let (mut statistics, durations) =
            store::statistics(conn, agency.as_ref(), from, to, today).await?;
        statistics.median_first_response =
            median_micros(durations).map(SignedDuration::from_micros);
        let categories =
            store::categories_by_ids(conn, statistics.by_category.iter().map(|(id, _)| *id))
                .await?;
        Ok(StatisticsReport {
            statistics,
            categories,
        })
    }

    /// Recomputes the due dates that wait for the catalog, for as long as it answers.
    /// Returns how many were settled. The background task calls it on its interval; tests
    /// call it directly.
    pub async fn reconcile_once(&self) -> Result<usize, Error> {
        let mut settled = 0;
        let mut after = None;
        loop {
            let batch =
                store::pending_due_dates(self.db.connection(), after, RECONCILE_BATCH).await?;
            let Some(last) = batch.last() else {
                return Ok(settled);
            };
            after = Some(last.id);
            for pending in batch {
                let lookup = match &pending.service {
                    Some(service) => self.catalog.processing_target(service, None).await,
                    None => TargetLookup::NoService,
                };
                if lookup == TargetLookup::Unreachable {
                    // Still down: the rest waits for the next round.
                    return Ok(settled);
                }
                let now = self.now();
                let input = (self, pending.id, pending.service, lookup, now);
                let changed = self
                    .db
                    .write(&input, |tx, (this, id, service, lookup, now)| {
                        Box::pin(async move {
                            let Some(mut inquiry) =
                                store::lock_inquiry(tx, this.db.backend(), *id).await?
                            else {
                                return Ok(false);
                            };
                            if !inquiry.due.pending || inquiry.service != *service {
                                return Ok(false);
                            }
                            let category = this.category_in(tx, &inquiry).await?;
                            let days = category.default_response_days;
                            let basis = DueBasis::choose(*lookup, days).unwrap_or(DueBasis {
                                // The service was retired meanwhile: the default stands.
                                days,
                                source: DueDateSource::CategoryDefault,
                                pending: false,
                                revision: None,
                            });
                            inquiry.rebase_due_date(basis, *now, &this.zone);
                            inquiry.touch(*now);
                            store::save_inquiry(tx, &inquiry).await?;
                            Ok::<_, Error>(true)
                        })
                    })
                    .await?;
                if changed {
                    settled += 1;
                    tracing::info!(inquiry_id = %pending.id, "due date settled from the catalog");
                }
            }
        }
    }

    async fn visible_inquiry(&self, caller: &Caller, name: &InquiryName) -> Result<Inquiry, Error> {
        check_visible(caller, name)?;
        store::find_inquiry(self.db.connection(), name.id)
            .await?
            .filter(|inquiry| inquiry.agency == name.agency)
            .ok_or(Error::NotFound("inquiry"))
    }

    async fn lock_visible(
        &self,
        tx: &DatabaseTransaction,
        caller: &Caller,
        name: &InquiryName,
    ) -> Result<Inquiry, Error> {
        check_visible(caller, name)?;
        store::lock_inquiry(tx, self.db.backend(), name.id)
            .await?
            .filter(|inquiry| inquiry.agency == name.agency)
            .ok_or(Error::NotFound("inquiry"))
    }

    async fn category_of(&self, inquiry: &Inquiry) -> Result<Category, Error> {
        store::find_category(self.db.connection(), &inquiry.agency, inquiry.category)
            .await?
            .ok_or_else(|| Error::Corrupt("an inquiry's category is missing".to_owned()))
    }

    async fn category_in(
        &self,
        tx: &DatabaseTransaction,
        inquiry: &Inquiry,
    ) -> Result<Category, Error> {
        store::find_category(tx, &inquiry.agency, inquiry.category)
            .await?
            .ok_or_else(|| Error::Corrupt("an inquiry's category is missing".to_owned()))
    }

    async fn load_view(&self, id: Uuid, with_history: bool) -> Result<InquiryView, Error> {
        let inquiry = store::find_inquiry(self.db.connection(), id)
            .await?
            .ok_or_else(|| Error::Corrupt("an idempotent inquiry is missing".to_owned()))?;
        self.view(inquiry, with_history).await
    }

    async fn view(&self, inquiry: Inquiry, with_history: bool) -> Result<InquiryView, Error> {
        let category = self.category_of(&inquiry).await?;
        let history = if with_history {
            store::history(self.db.connection(), inquiry.id).await?
        } else {
            Vec::new()
        };
        Ok(self.view_at(inquiry, category.display_name, history, self.now()))
    }

    fn view_at(
        &self,
        inquiry: Inquiry,
        category_name: LocalizedText,
        history: Vec<StateChange>,
        now: Timestamp,
    ) -> InquiryView {
        InquiryView {
            due_date: inquiry.due_date(now, &self.zone),
            paused: inquiry.paused_duration(now),
            inquiry,
            category_name,
            history,
        }
    }

    fn open_token<C: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        scope: &PageScope<'_>,
        now: Timestamp,
    ) -> Result<Option<C>, Error> {
        if token.is_empty() {
            return Ok(None);
        }
        self.page_tokens
            .open(token, scope, now)
            .map(Some)
            .map_err(|err| Error::invalid("page_token", err.to_string()))
    }

    fn next_token<T, C: Serialize>(
        &self,
        rows: &mut Vec<T>,
        limit: u64,
        scope: &PageScope<'_>,
        now: Timestamp,
        cursor: impl Fn(&T) -> C,
    ) -> Option<String> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        if rows.len() <= limit {
            return None;
        }
        rows.truncate(limit);
        rows.last()
            .map(|last| self.page_tokens.mint(scope, &cursor(last), now))
    }

    /// Inserts demonstration data through the same rules as the RPCs (see `demo`).
    pub(crate) async fn insert_demo_inquiry(
        &self,
        inquiry: &Inquiry,
        history: &[(i64, StateChange)],
        messages: &[Message],
    ) -> Result<bool, Error> {
        let input = (self, inquiry, history, messages);
        self.db
            .write(&input, |tx, (this, inquiry, history, messages)| {
                Box::pin(async move {
                    if store::find_inquiry(tx, inquiry.id).await?.is_some() {
                        return Ok(false);
                    }
                    let year = inquiry.reference.year();
                    // The demo takes its references from the same counter as real ones.
                    let sequence =
                        store::next_sequence(tx, this.db.backend(), &inquiry.agency, year).await?;
                    let mut inquiry = (*inquiry).clone();
                    inquiry.reference = Reference::new(inquiry.agency.clone(), year, sequence);
                    let code = this.tracking.code_for(inquiry.id);
                    store::insert_inquiry(tx, &inquiry, &code.hash()).await?;
                    for (version, change) in *history {
                        store::append_history(tx, inquiry.id, *version, change).await?;
                    }
                    for message in *messages {
                        store::insert_message(tx, message).await?;
                    }
                    Ok::<_, Error>(true)
                })
            })
            .await
    }

    /// Inserts a demonstration category unless it exists.
    pub(crate) async fn insert_demo_category(&self, category: &Category) -> Result<bool, Error> {
        self.db
            .write(category, |tx, category| {
                Box::pin(async move {
                    if store::find_category(tx, &category.agency, category.id)
                        .await?
                        .is_some()
                    {
                        return Ok(false);
                    }
                    store::insert_category(tx, category).await?;
                    Ok::<_, Error>(true)
                })
            })
            .await
    }

    /// The agencies' time zone.
    pub(crate) fn zone(&self) -> &TimeZone {
        &self.zone
    }
}

async fn submit_in(
    tx: &DatabaseTransaction,
    input: &SubmitInput<'_>,
) -> Result<SubmitRecord, Error> {
    let this = input.this;
    let submission = input.submission;
    let basis = DueBasis::choose(input.lookup, input.category.default_response_days)
        .map_err(|_| unknown_service())?;
    let year = local_date(input.now, &this.zone).year();
    let sequence = store::next_sequence(tx, this.db.backend(), &submission.agency, year).await?;
    let reference = Reference::new(submission.agency.clone(), year, sequence);
    let (inquiry, change) = Inquiry::submit(
        input.id,
        reference,
        submission.clone(),
        basis,
        input.actor,
        input.now,
        &this.zone,
    );
    let code = this.tracking.code_for(inquiry.id);
    store::insert_inquiry(tx, &inquiry, &code.hash()).await?;
    store::append_history(tx, inquiry.id, inquiry.version, &change).await?;
    let view = this.view_at(
        inquiry,
        input.category.display_name.clone(),
        Vec::new(),
        input.now,
    );
    Ok(SubmitRecord {
        inquiry_id: input.id,
        created: Some(Box::new(view)),
    })
}

async fn add_message_in(
    tx: &DatabaseTransaction,
    input: &MessageInput<'_>,
) -> Result<MessageRecord, Error> {
    let command = input.command;
    let mut inquiry = input
        .this
        .lock_visible(tx, input.caller, &command.inquiry)
        .await?;
    inquiry.record_message(command.visibility, input.now)?;
    let message = Message {
        id: input.id,
        inquiry_id: inquiry.id,
        agency: inquiry.agency.clone(),
        visibility: command.visibility,
        body: command.body.clone(),
        author: input.caller.subject.clone(),
        created_at: input.now,
    };
    store::save_inquiry(tx, &inquiry).await?;
    store::insert_message(tx, &message).await?;
    Ok(MessageRecord {
        message_id: message.id,
        created: Some(Box::new(message)),
    })
}

fn unknown_category() -> Error {
    Error::invalid("inquiry.category", "no such category in this agency")
}

fn unknown_service() -> Error {
    Error::invalid(
        "inquiry.service",
        "the services catalog has no published service by this name",
    )
}

/// Writing under `agencies/{x}` needs a caller acting for x.
fn check_parent(caller: &Caller, agency: &AgencyCode) -> Result<(), Error> {
    if caller.acts_for(agency.as_str()) {
        Ok(())
    } else {
        Err(Error::PermissionDenied {
            reason: "AGENCY_MISMATCH",
            message: format!("the caller does not act for agencies/{agency}"),
        })
    }
}

/// Another agency's inquiry does not exist for the caller.
fn check_visible(caller: &Caller, name: &InquiryName) -> Result<(), Error> {
    if caller.acts_for(name.agency.as_str()) {
        Ok(())
    } else {
        Err(Error::NotFound("inquiry"))
    }
}

/// Which agency a list or statistics covers: the one asked for if the caller acts for
/// it; for `agencies/-`, every agency for a ministry-wide caller and its own otherwise.
fn list_scope(caller: &Caller, requested: Option<AgencyCode>) -> Result<Option<AgencyCode>, Error> {
    let denied = || Error::PermissionDenied {
        reason: "AGENCY_MISMATCH",
        message: "a caller reads only its own agency's inquiries".to_owned(),
    };
    match requested {
        Some(agency) if caller.acts_for(agency.as_str()) => Ok(Some(agency)),
        Some(_) => Err(denied()),
        None => match caller.agency_code() {
            None => Ok(None),
            Some(code) => AgencyCode::parse(code).map(Some).map_err(|_| denied()),
        },
    }
}

fn idempotency_key(caller: &Caller, method: &str, request_id: Uuid) -> IdempotencyKey {
    IdempotencyKey {
        agency: caller.agency.as_claim().to_owned(),
        subject: caller.subject.clone(),
        method: method.to_owned(),
        request_id,
    }
}

fn fingerprint<T: Serialize>(content: &T) -> Result<Fingerprint, Error> {
    Ok(Fingerprint::of(&canonical(content)?))
}

fn canonical<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value).map_err(|err| Error::Corrupt(format!("cannot encode a query: {err}")))
}

fn page_scope<'a>(method: &'a str, caller: &'a Caller, query: &'a [u8]) -> PageScope<'a> {
    PageScope {
        method,
        caller_agency: caller.agency.as_claim(),
        query,
    }
}
