//! An inquiry, what may be asked of it (the commands of the RPCs that change it) and its
//! life. Every change goes through a method here that checks the rule, applies it and
//! returns what the history records, so the store only persists decisions made here.

use std::fmt;

use jalia_model::{
    AgencyCode, CountryCode, Email, IfMatch, LanguageCode, Phone, RequestId, reasons,
};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::attachment::AttachmentName;
use super::calendar::{add_days, local_date, midnights_between};
use super::category::Category;
use super::classification::{Kind, Place};
use super::due::{DueBasis, DueDate, TargetLookup};
use super::error::Error;
use super::message::{AuthorKind, Message, Visibility};
use super::reference::Reference;
use super::status::{StateChange, Status, Target};
use super::text::PersonalText;
use super::working_days::AgencyCalendar;

/// What anonymised personal text reads.
pub(crate) const ANONYMISED: &str = "[anonymised]";
/// The actor an escalation is recorded under.
pub(crate) const ESCALATION_ACTOR: &str = "jalia:escalation";
/// Longest requester name, in characters.
pub(crate) const MAX_REQUESTER_NAME_CHARS: usize = 200;
/// Longest subject, in characters.
pub(crate) const MAX_SUBJECT_CHARS: usize = 200;
/// Longest team name.
pub(crate) const MAX_TEAM_CHARS: usize = 100;
/// Longest agent `sub`.
pub(crate) const MAX_AGENT_CHARS: usize = 200;
/// Longest name of the administration an inquiry is referred to.
pub(crate) const MAX_ADMINISTRATION_CHARS: usize = 200;
/// Longest reference that administration gives.
pub(crate) const MAX_EXTERNAL_REFERENCE_CHARS: usize = 100;

/// How an inquiry reached the agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) enum Channel {
    /// A web portal.
    WebPortal,
    /// A desk at an event.
    EventDesk,
    /// A phone call.
    Phone,
    /// An email.
    Email,
    /// A consulate abroad.
    Consulate,
}

impl Channel {
    /// Every channel, in the contract's order.
    pub(crate) const ALL: [Self; 5] = [
        Self::WebPortal,
        Self::EventDesk,
        Self::Phone,
        Self::Email,
        Self::Consulate,
    ];
}

/// How urgent an inquiry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Priority {
    /// The usual.
    Normal,
    /// First in line.
    High,
}

/// The citizen an inquiry is for. Every field is personal data: `Debug` shows none.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Requester {
    /// Their name as they give it.
    pub display_name: PersonalText,
    /// Their email address, if given.
    pub email: Option<Email>,
    /// Their phone number in E.164, if given.
    pub phone: Option<Phone>,
    /// Where they live.
    pub country_of_residence: CountryCode,
    /// The language they want answers in, if they said.
    pub preferred_language: Option<LanguageCode>,
    /// Whether they are a Moroccan living abroad.
    pub diaspora: bool,
}

impl fmt::Debug for Requester {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Requester([redacted])")
    }
}

/// Where an inquiry was referred.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Referral {
    /// The competent administration, as staff write it.
    pub administration: String,
    /// That administration's own reference, if it gave one.
    pub external_reference: Option<String>,
}

/// Who handles an inquiry: a team, an agent, or both (never neither).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Assignment {
    /// The team's queue, e.g. `guichet-mre`.
    pub team: Option<String>,
    /// The agent's `sub`.
    pub agent: Option<String>,
}

/// A citizen's inquiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Inquiry {
    /// UUIDv7.
    pub id: Uuid,
    /// The owning agency.
    pub agency: AgencyCode,
    /// The human reference.
    pub reference: Reference,
    /// The citizen.
    pub requester: Requester,
    /// How it arrived.
    pub channel: Channel,
    /// Its category, of the same agency.
    pub category: Uuid,
    /// The linked catalog service's name.
    pub service: Option<String>,
    /// The linked event's name.
    pub event: Option<String>,
    /// The citizen's subject.
    pub subject: PersonalText,
    /// The citizen's question.
    pub body: PersonalText,
    /// The date the citizen needs an answer by.
    pub answer_before: Option<Date>,
    /// Where it stands.
    pub status: Status,
    /// Where it went, while REFERRED.
    pub referral: Option<Referral>,
    /// Who handles it.
    pub assignment: Option<Assignment>,
    /// How urgent.
    pub priority: Priority,
    /// Its due date.
    pub due: DueDate,
    /// The first public reply.
    pub first_response_at: Option<Timestamp>,
    /// The first move to ANSWERED.
    pub first_answered_at: Option<Timestamp>,
    /// Whether that first answer came by the due date.
    pub answered_on_time: Option<bool>,
    /// Time spent waiting on the citizen in finished waits.
    pub paused: SignedDuration,
    /// When the wait in progress began.
    pub waiting_since: Option<Timestamp>,
    /// Submission.
    pub created_at: Timestamp,
    /// Last change (a message included).
    pub updated_at: Timestamp,
    /// Bumped on every change; the etag.
    pub version: i64,
    /// What the citizen does: asks, requests, complains, suggests.
    pub kind: Kind,
    /// When it was escalated for being overdue (once).
    pub escalated_at: Option<Timestamp>,
    /// When its personal data was anonymised.
    pub anonymised_at: Option<Timestamp>,
    /// The place it is about.
    pub place: Option<Place>,
}

/// The input fields of a submission, checked. Its serde form is what a retried
/// submission is compared by (the request_id's fingerprint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Submission {
    /// The agency it goes to.
    pub agency: AgencyCode,
    /// The citizen.
    pub requester: Requester,
    /// How it arrived.
    pub channel: Channel,
    /// Its category (an id of the agency's categories).
    pub category: Uuid,
    /// A catalog service's name.
    pub service: Option<String>,
    /// An event's name.
    pub event: Option<String>,
    /// Subject.
    pub subject: PersonalText,
    /// Question.
    pub body: PersonalText,
    /// Answer needed by.
    pub answer_before: Option<Date>,
    /// What the citizen does. Left out of the serde form when it is the default, and so
    /// is an absent place, so that a retry of a submission made before kinds existed still
    /// matches its stored fingerprint.
    #[serde(skip_serializing_if = "is_question")]
    pub kind: Kind,
    /// The place it is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<Place>,
}

fn is_question(kind: &Kind) -> bool {
    *kind == Kind::Question
}

/// An inquiry's name: `agencies/{agency}/inquiries/{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InquiryName {
    /// The agency in the name.
    pub agency: AgencyCode,
    /// The id in the name.
    pub id: Uuid,
}

/// SubmitInquiry, checked.
#[derive(Debug, Clone)]
pub(crate) struct SubmitCommand {
    /// The inquiry's input fields.
    pub submission: Submission,
    /// The caller's idempotency key; None when the call is not idempotent.
    pub request_id: Option<RequestId>,
    /// Citizen uploads to attach to the submission.
    pub attachments: Vec<AttachmentName>,
}

/// UpdateInquiry's changes: None leaves a field as it is; `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TriageChanges {
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
    /// A kind set by the handler (a question reclassified as a complaint).
    pub kind: Option<Kind>,
}

impl TriageChanges {
    /// Whether the due date is computed again: a new category or service changes its
    /// basis.
    pub(crate) fn rebases_due_date(&self) -> bool {
        self.category.is_some() || self.service.is_some()
    }

    /// The service `inquiry` will be linked to after these changes.
    pub(crate) fn service_after<'a>(&'a self, inquiry: &'a Inquiry) -> Option<&'a str> {
        match &self.service {
            Some(service) => service.as_deref(),
            None => inquiry.service.as_deref(),
        }
    }
}

/// What an update's use case found out for it before the change.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TriageFacts<'a> {
    /// The category the inquiry will have, when the changes name one or rebase the due
    /// date; None when the named category does not exist in the inquiry's agency.
    pub category: Option<&'a Category>,
    /// The service the catalog was asked about (before the transaction).
    pub service_asked: Option<&'a str>,
    /// What the catalog said about it.
    pub lookup: TargetLookup,
}

/// UpdateInquiry, checked.
#[derive(Debug, Clone)]
pub(crate) struct UpdateCommand {
    /// Which inquiry.
    pub name: InquiryName,
    /// The version the caller read, if it sent an etag.
    pub if_match: Option<IfMatch>,
    /// What to change.
    pub changes: TriageChanges,
}

/// AssignInquiry, checked.
#[derive(Debug, Clone)]
pub(crate) struct AssignCommand {
    /// Which inquiry.
    pub name: InquiryName,
    /// The version the caller read.
    pub if_match: IfMatch,
    /// The new assignment.
    pub assignment: Assignment,
    /// A note for the history.
    pub note: Option<PersonalText>,
}

/// TransitionInquiry, checked.
#[derive(Debug, Clone)]
pub(crate) struct TransitionCommand {
    /// Which inquiry.
    pub name: InquiryName,
    /// The version the caller read.
    pub if_match: IfMatch,
    /// Where to.
    pub target: Target,
    /// A note for the history.
    pub note: Option<PersonalText>,
}

impl Inquiry {
    /// A new inquiry from a checked submission, NEW, with the history's first entry. Its
    /// response time comes from what the catalog said about the linked service (`lookup`)
    /// or else from its `category`.
    #[allow(clippy::too_many_arguments)] // each is one fact of the submission
    pub(crate) fn submit(
        id: Uuid,
        reference: Reference,
        submission: Submission,
        category: &Category,
        lookup: TargetLookup,
        actor: &str,
        now: Timestamp,
        calendar: &AgencyCalendar,
    ) -> Result<(Self, StateChange), Error> {
        if category.id != submission.category || category.agency != submission.agency {
            return Err(Error::Internal(
                "a submission was given another category than its own".to_owned(),
            ));
        }
        let zone = calendar.zone();
        let basis = DueBasis::choose(
            lookup,
            category.default_response_days,
            category.count_working_days,
        )
        .map_err(|_| unknown_service())?;
        let submitted_on = local_date(now, zone);
        let mut inquiry = Self {
            id,
            agency: submission.agency,
            reference,
            requester: submission.requester,
            channel: submission.channel,
            category: submission.category,
            service: submission.service,
            event: submission.event,
            subject: submission.subject,
            body: submission.body,
            answer_before: submission.answer_before,
            status: Status::New,
            referral: None,
            assignment: None,
            priority: Priority::Normal,
            due: DueDate {
                submitted_on,
                response_days: basis.days,
                paused_days: 0,
                source: basis.source,
                pending: basis.pending,
                service_revision: basis.revision,
                base: basis.due_from(submitted_on, calendar),
            },
            first_response_at: None,
            first_answered_at: None,
            answered_on_time: None,
            paused: SignedDuration::ZERO,
            waiting_since: None,
            created_at: now,
            updated_at: now,
            version: 1,
            kind: submission.kind,
            place: submission.place,
            escalated_at: None,
            anonymised_at: None,
        };
        inquiry.raise_priority_if_needed(now, zone);
        let change = StateChange {
            from: None,
            to: Status::New,
            actor: actor.to_owned(),
            at: now,
            note: None,
            assignment: None,
            referral: None,
            escalation: false,
        };
        Ok((inquiry, change))
    }

    /// The due date as of `now`: a wait in progress pushes it by the days it started.
    pub(crate) fn due_date(&self, now: Timestamp, zone: &TimeZone) -> Date {
        let waiting = self
            .waiting_since
            .map_or(0, |since| midnights_between(since, now, zone));
        add_days(self.due.settled(), waiting)
    }

    /// Time spent waiting on the citizen, the wait in progress included.
    pub(crate) fn paused_duration(&self, now: Timestamp) -> SignedDuration {
        let waiting = self.waiting_since.map_or(SignedDuration::ZERO, |since| {
            now.duration_since(since).max(SignedDuration::ZERO)
        });
        self.paused.saturating_add(waiting)
    }

    /// Escalates the inquiry if it is overdue at `now` in `zone` and was never escalated:
    /// the priority becomes HIGH and the history records it. None when there is nothing
    /// to do, so that a second round, or a second replica, changes nothing.
    pub(crate) fn escalate(&mut self, now: Timestamp, zone: &TimeZone) -> Option<StateChange> {
        let overdue = Status::AWAITING_ANSWER.contains(&self.status)
            && local_date(now, zone) > self.due_date(now, zone);
        if self.escalated_at.is_some() || !overdue {
            return None;
        }
        self.escalated_at = Some(now);
        self.priority = Priority::High;
        self.touch(now);
        Some(StateChange {
            from: Some(self.status),
            to: self.status,
            actor: ESCALATION_ACTOR.to_owned(),
            at: now,
            note: None,
            assignment: None,
            referral: None,
            escalation: true,
        })
    }

    /// Anonymises a CLOSED inquiry (law 09-08): the requester's name, contacts and
    /// language, the citizen's subject and question, and the land title and coordinates of
    /// the place are replaced or removed. What statistics count (status, dates, category,
    /// kind, channel, country of residence) stays. False when it is not CLOSED or was
    /// already anonymised.
    pub(crate) fn anonymise(&mut self, now: Timestamp) -> bool {
        self.status == Status::Closed && self.erase(now)
    }

    /// Anonymises the inquiry whatever its status, on its requester's request (law
    /// 09-08): the same replacement as [`Inquiry::anonymise`], so statistics do not
    /// change either. False when it was already anonymised.
    pub(crate) fn erase(&mut self, now: Timestamp) -> bool {
        if self.anonymised_at.is_some() {
            return false;
        }
        self.requester.display_name = PersonalText::from_stored(ANONYMISED.to_owned());
        self.requester.email = None;
        self.requester.phone = None;
        self.requester.preferred_language = None;
        self.subject = PersonalText::from_stored(ANONYMISED.to_owned());
        self.body = PersonalText::from_stored(ANONYMISED.to_owned());
        if let Some(place) = self.place.take() {
            self.place = Place {
                land_title_number: None,
                coordinates: None,
                ..place
            }
            .non_empty();
        }
        self.anonymised_at = Some(now);
        self.touch(now);
        true
    }

    /// Refuses changes to a CLOSED or REFERRED inquiry (reopen it first).
    pub(crate) fn check_still_handled(&self) -> Result<(), Error> {
        match self.status {
            Status::Closed => Err(Error::precondition(
                reasons::INQUIRY_CLOSED,
                "the inquiry is CLOSED: reopen it first",
            )),
            Status::Referred => Err(Error::precondition(
                reasons::INQUIRY_REFERRED,
                "the inquiry is REFERRED: reopen it first",
            )),
            _ => Ok(()),
        }
    }

    /// Changes the triage fields (UpdateInquiry). A new category or service computes the
    /// due date again from `facts`, which the use case gathered beforehand; a service that
    /// changed since the catalog was asked about it makes the update stale.
    pub(crate) fn update_triage(
        &mut self,
        changes: &TriageChanges,
        facts: TriageFacts<'_>,
        now: Timestamp,
        calendar: &AgencyCalendar,
    ) -> Result<(), Error> {
        let zone = calendar.zone();
        self.check_still_handled()?;
        if let Some(id) = changes.category {
            let category = facts
                .category
                .filter(|category| category.id == id && category.agency == self.agency)
                .ok_or_else(|| {
                    Error::invalid(
                        "inquiry.category",
                        "no such category in the inquiry's agency",
                    )
                })?;
            self.category = category.id;
        }
        if let Some(service) = &changes.service {
            self.service = service.clone();
        }
        if let Some(event) = &changes.event {
            self.event = event.clone();
        }
        if changes.rebases_due_date() {
            if self.service.as_deref() != facts.service_asked {
                return Err(Error::Stale);
            }
            let category = facts
                .category
                .filter(|category| category.id == self.category)
                .ok_or_else(|| {
                    Error::Internal("an update's category was not looked up".to_owned())
                })?;
            let basis = DueBasis::choose(
                facts.lookup,
                category.default_response_days,
                category.count_working_days,
            )
            .map_err(|_| unknown_service())?;
            self.rebase_due_date(basis, now, calendar);
        }
        if let Some(answer_before) = changes.answer_before {
            self.answer_before = answer_before;
            self.raise_priority_if_needed(now, zone);
        }
        if let Some(priority) = changes.priority {
            self.priority = priority;
        }
        if let Some(kind) = changes.kind {
            self.kind = kind;
        }
        self.touch(now);
        Ok(())
    }

    /// Replaces the assignment; a NEW inquiry becomes ASSIGNED.
    pub(crate) fn assign(
        &mut self,
        assignment: Assignment,
        actor: &str,
        note: Option<PersonalText>,
        now: Timestamp,
    ) -> Result<StateChange, Error> {
        self.check_still_handled()?;
        let from = self.status;
        if from == Status::New {
            self.status = Status::Assigned;
        }
        self.assignment = Some(assignment.clone());
        self.touch(now);
        Ok(StateChange {
            from: Some(from),
            to: self.status,
            actor: actor.to_owned(),
            at: now,
            note,
            assignment: Some(assignment),
            referral: None,
            escalation: false,
        })
    }

    /// Moves to `target` if the current status allows it.
    pub(crate) fn transition(
        &mut self,
        target: Target,
        actor: &str,
        note: Option<PersonalText>,
        now: Timestamp,
        zone: &TimeZone,
    ) -> Result<StateChange, Error> {
        let from = self.status;
        let to = target.status();
        if !from.may_become(to) {
            return Err(Error::precondition(
                reasons::TRANSITION_NOT_ALLOWED,
                format!("an inquiry cannot go from {} to {}", from.name(), to.name()),
            ));
        }
        if to == Status::Answered && self.first_response_at.is_none() {
            return Err(Error::precondition(
                reasons::NO_PUBLIC_REPLY,
                "an inquiry is answered by a public reply: add one first",
            ));
        }
        if from == Status::WaitingOnCitizen {
            self.end_wait(now, zone);
        }
        if to == Status::WaitingOnCitizen {
            self.waiting_since = Some(now);
        }
        if to == Status::Answered && self.first_answered_at.is_none() {
            self.first_answered_at = Some(now);
            self.answered_on_time = Some(local_date(now, zone) <= self.due_date(now, zone));
        }
        let referral = match target {
            Target::Referred(referral) => Some(referral),
            _ => None,
        };
        self.referral = referral.clone();
        self.status = to;
        self.touch(now);
        Ok(StateChange {
            from: Some(from),
            to,
            actor: actor.to_owned(),
            at: now,
            note,
            assignment: None,
            referral,
            escalation: false,
        })
    }

    /// Adds a message: a public reply needs a handled inquiry, and the first one sets
    /// the first-response time. Any message changes the inquiry (its etag and update
    /// time), so that a sync by `updated_after` sees it.
    pub(crate) fn add_message(
        &mut self,
        id: Uuid,
        visibility: Visibility,
        body: PersonalText,
        author: &str,
        now: Timestamp,
    ) -> Result<Message, Error> {
        if visibility == Visibility::PublicReply {
            self.check_still_handled()?;
            if self.first_response_at.is_none() {
                self.first_response_at = Some(now);
            }
        }
        self.touch(now);
        Ok(Message {
            id,
            inquiry_id: self.id,
            agency: self.agency.clone(),
            visibility,
            body,
            author: author.to_owned(),
            author_kind: AuthorKind::Agent,
            created_at: now,
            attachments: Vec::new(),
        })
    }

    /// Adds the citizen's own message, relayed by the portal `relay`. The citizen
    /// answering is what a wait on them was for: WAITING_ON_CITIZEN goes back to
    /// IN_PROGRESS (the returned change, for the history) and the due date resumes. A
    /// finished (CLOSED or REFERRED) inquiry takes no more messages.
    pub(crate) fn add_citizen_message(
        &mut self,
        id: Uuid,
        body: PersonalText,
        relay: &str,
        now: Timestamp,
        zone: &TimeZone,
    ) -> Result<(Message, Option<StateChange>), Error> {
        self.check_still_handled()?;
        let change = if self.status == Status::WaitingOnCitizen {
            Some(self.transition(Target::InProgress, relay, None, now, zone)?)
        } else {
            self.touch(now);
            None
        };
        let message = Message {
            id,
            inquiry_id: self.id,
            agency: self.agency.clone(),
            // The citizen sees their own words.
            visibility: Visibility::PublicReply,
            body,
            author: relay.to_owned(),
            author_kind: AuthorKind::Citizen,
            created_at: now,
            attachments: Vec::new(),
        };
        Ok((message, change))
    }

    /// Settles a due date that waited for the catalog, now that it answered about
    /// `service_asked`: its processing time, or the category's default when the service
    /// was retired meanwhile. False (nothing changed) when the due date no longer waits,
    /// or waits on another service than the one asked about.
    pub(crate) fn settle_due_date(
        &mut self,
        service_asked: Option<&str>,
        lookup: TargetLookup,
        category: &Category,
        now: Timestamp,
        calendar: &AgencyCalendar,
    ) -> bool {
        if !self.due.pending || self.service.as_deref() != service_asked {
            return false;
        }
        let (days, working) = (category.default_response_days, category.count_working_days);
        let basis = DueBasis::choose(lookup, days, working)
            .unwrap_or(DueBasis::category_default(days, working));
        self.rebase_due_date(basis, now, calendar);
        self.touch(now);
        true
    }

    /// Takes a new response-time basis; finished waits still count.
    fn rebase_due_date(&mut self, basis: DueBasis, now: Timestamp, calendar: &AgencyCalendar) {
        let zone = calendar.zone();
        self.due.base = basis.due_from(self.due.submitted_on, calendar);
        self.due.response_days = basis.days;
        self.due.source = basis.source;
        self.due.pending = basis.pending;
        self.due.service_revision = basis.revision;
        self.raise_priority_if_needed(now, zone);
    }

    /// Marks a change: a new version and update time.
    fn touch(&mut self, now: Timestamp) {
        self.updated_at = now.max(self.updated_at);
        self.version += 1;
    }

    fn end_wait(&mut self, now: Timestamp, zone: &TimeZone) {
        if let Some(since) = self.waiting_since.take() {
            self.paused = self
                .paused
                .saturating_add(now.duration_since(since).max(SignedDuration::ZERO));
            self.due.paused_days = self
                .due
                .paused_days
                .saturating_add(midnights_between(since, now, zone));
            self.raise_priority_if_needed(now, zone);
        }
    }

    /// The contract: priority becomes HIGH whenever `answer_before` is earlier than the
    /// due date; it is never lowered by the server.
    fn raise_priority_if_needed(&mut self, now: Timestamp, zone: &TimeZone) {
        if self
            .answer_before
            .is_some_and(|needed_by| needed_by < self.due_date(now, zone))
        {
            self.priority = Priority::High;
        }
    }
}

fn unknown_service() -> Error {
    Error::invalid(
        "inquiry.service",
        "the services catalog has no published service by this name",
    )
}
#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::domain::calendar::AGENCY_TIME_ZONE;
    use crate::domain::due::DueDateSource;

    const CATEGORY: Uuid = Uuid::from_u128(0x0198_a1b2_7c3d_7e4f_8a5b_6c7d_8e9f_0a1b);

    fn zone() -> TimeZone {
        TimeZone::get(AGENCY_TIME_ZONE).unwrap()
    }

    /// Casablanca's days, weekends off, with Oued Eddahab Day (14 August) as a holiday.
    fn calendar() -> AgencyCalendar {
        AgencyCalendar::new(
            zone(),
            [jiff::civil::Weekday::Saturday, jiff::civil::Weekday::Sunday],
            vec![crate::domain::working_days::FixedHoliday {
                month: 8,
                day: 14,
                since: None,
            }],
            [],
        )
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn submission(answer_before: Option<Date>) -> Submission {
        Submission {
            agency: AgencyCode::parse("bm").unwrap(),
            requester: Requester {
                display_name: PersonalText::parse("Citoyen Exemple", 1, 200).unwrap(),
                email: Some(Email::parse("citoyen@example.org").unwrap()),
                phone: None,
                country_of_residence: CountryCode::parse("FR").unwrap(),
                preferred_language: None,
                diaspora: true,
            },
            channel: Channel::EventDesk,
            category: CATEGORY,
            service: None,
            event: None,
            subject: PersonalText::parse("Permis", 1, 200).unwrap(),
            body: PersonalText::parse("Comment déposer ?", 1, 10_000).unwrap(),
            answer_before,
            kind: Kind::Question,
            place: None,
        }
    }

    fn note() -> PersonalText {
        PersonalText::parse("réponse", 1, 100).unwrap()
    }

    /// The contract's overdue rule, which the store's list filter and statistics apply
    /// in SQL: awaiting an answer from the start of the day after the due date.
    fn is_overdue(inquiry: &Inquiry, now: Timestamp, zone: &TimeZone) -> bool {
        Status::AWAITING_ANSWER.contains(&inquiry.status)
            && local_date(now, zone) > inquiry.due_date(now, zone)
    }

    fn category(days: i64) -> Category {
        Category {
            id: CATEGORY,
            agency: AgencyCode::parse("bm").unwrap(),
            display_name: jalia_model::LocalizedText::single("fr", "Permis de construire"),
            default_response_days: days,
            created_at: at("2025-08-01T08:00:00Z"),
            updated_at: at("2025-08-01T08:00:00Z"),
            version: 1,
            count_working_days: false,
        }
    }

    fn submit(
        days: i64,
        answer_before: Option<Date>,
        lookup: TargetLookup,
    ) -> Result<Inquiry, Error> {
        let reference = Reference::new(AgencyCode::parse("bm").unwrap(), 2025, 1);
        Inquiry::submit(
            Uuid::now_v7(),
            reference,
            submission(answer_before),
            &category(days),
            lookup,
            "desk-app",
            at("2025-08-10T10:00:00Z"),
            &calendar(),
        )
        .map(|(inquiry, _)| inquiry)
    }

    fn submitted(days: i64, answer_before: Option<Date>) -> Inquiry {
        submit(days, answer_before, TargetLookup::NoService).unwrap()
    }

    #[test]
    fn an_overdue_inquiry_is_escalated_once() {
        let zone = zone();
        // Submitted on 10 August with 15 days: due on 25 August, overdue from the 26th.
        let mut inquiry = submitted(15, None);
        assert_eq!(inquiry.escalate(at("2025-08-25T20:00:00Z"), &zone), None);
        let late = at("2025-08-25T23:30:00Z");
        let change = inquiry.escalate(late, &zone).unwrap();
        assert!(change.escalation);
        assert_eq!((change.from, change.to), (Some(Status::New), Status::New));
        assert_eq!(inquiry.priority, Priority::High);
        assert_eq!(inquiry.escalated_at, Some(late));
        let version = inquiry.version;
        assert_eq!(inquiry.escalate(at("2025-08-27T10:00:00Z"), &zone), None);
        assert_eq!(inquiry.version, version);
        // An inquiry waiting on the citizen is not overdue.
        let mut waiting = submitted(15, None);
        waiting.status = Status::WaitingOnCitizen;
        assert_eq!(waiting.escalate(late, &zone), None);
    }

    #[test]
    fn a_working_days_category_skips_weekends_and_holidays() {
        let working = Category {
            count_working_days: true,
            ..category(5)
        };
        let reference = Reference::new(AgencyCode::parse("bm").unwrap(), 2025, 1);
        // Submitted on Monday 11 August 2025: five working days end on Monday 18 August
        // without a holiday; Oued Eddahab Day (Thursday 14 August) moves it to Tuesday.
        let submitted_on = at("2025-08-11T09:00:00Z");
        let (inquiry, _) = Inquiry::submit(
            Uuid::now_v7(),
            reference.clone(),
            submission(None),
            &working,
            TargetLookup::NoService,
            "desk-app",
            submitted_on,
            &calendar(),
        )
        .unwrap();
        assert_eq!(inquiry.due_date(submitted_on, &zone()), date(2025, 8, 19));
        // The same category in calendar days: 16 August, a Saturday, holiday or not.
        let (calendar_days, _) = Inquiry::submit(
            Uuid::now_v7(),
            reference,
            submission(None),
            &category(5),
            TargetLookup::NoService,
            "desk-app",
            submitted_on,
            &calendar(),
        )
        .unwrap();
        assert_eq!(
            calendar_days.due_date(submitted_on, &zone()),
            date(2025, 8, 16)
        );
    }

    #[test]
    fn the_due_date_counts_calendar_days_and_skips_waits() {
        let zone = zone();
        let mut inquiry = submitted(5, None);
        assert_eq!(
            inquiry.due_date(inquiry.created_at, &zone),
            date(2025, 8, 15)
        );
        inquiry
            .transition(
                Target::InProgress,
                "agent",
                None,
                at("2025-08-11T08:00:00Z"),
                &zone,
            )
            .unwrap();
        inquiry
            .transition(
                Target::WaitingOnCitizen,
                "agent",
                None,
                at("2025-08-11T09:00:00Z"),
                &zone,
            )
            .unwrap();
        // Two midnights into the wait, the due date has moved by two days already.
        let during = at("2025-08-13T08:00:00Z");
        assert_eq!(inquiry.due_date(during, &zone), date(2025, 8, 17));
        assert!(!is_overdue(&inquiry, at("2025-08-30T08:00:00Z"), &zone));
        inquiry
            .transition(Target::InProgress, "agent", None, during, &zone)
            .unwrap();
        assert_eq!(inquiry.due.settled(), date(2025, 8, 17));
        assert_eq!(inquiry.paused, SignedDuration::from_hours(47));
        // Overdue from the first instant of 18 Aug in Casablanca (17 Aug 23:00 UTC).
        assert!(!is_overdue(
            &inquiry,
            at("2025-08-17T22:59:59.999999Z"),
            &zone
        ));
        assert!(is_overdue(&inquiry, at("2025-08-17T23:00:00Z"), &zone));
    }

    #[test]
    fn an_earlier_answer_before_raises_the_priority() {
        let inquiry = submitted(15, Some(date(2025, 8, 20)));
        assert_eq!(inquiry.priority, Priority::High);
        let inquiry = submitted(15, Some(date(2025, 8, 25)));
        assert_eq!(inquiry.priority, Priority::Normal);
    }

    #[test]
    fn answering_needs_a_public_reply_and_is_timed_once() {
        let zone = zone();
        let mut inquiry = submitted(5, None);
        let err = inquiry
            .transition(
                Target::Answered,
                "agent",
                None,
                at("2025-08-12T10:00:00Z"),
                &zone,
            )
            .unwrap_err();
        assert!(matches!(
            err,
            Error::Precondition {
                reason: "NO_PUBLIC_REPLY",
                ..
            }
        ));
        inquiry
            .add_message(
                Uuid::now_v7(),
                Visibility::InternalNote,
                note(),
                "agent",
                at("2025-08-12T10:00:00Z"),
            )
            .unwrap();
        assert_eq!(inquiry.first_response_at, None);
        inquiry
            .add_message(
                Uuid::now_v7(),
                Visibility::PublicReply,
                note(),
                "agent",
                at("2025-08-12T11:00:00Z"),
            )
            .unwrap();
        inquiry
            .transition(
                Target::Answered,
                "agent",
                None,
                at("2025-08-12T12:00:00Z"),
                &zone,
            )
            .unwrap();
        assert_eq!(inquiry.answered_on_time, Some(true));
        inquiry
            .transition(
                Target::InProgress,
                "agent",
                None,
                at("2025-08-20T12:00:00Z"),
                &zone,
            )
            .unwrap();
        inquiry
            .transition(
                Target::Answered,
                "agent",
                None,
                at("2025-08-21T12:00:00Z"),
                &zone,
            )
            .unwrap();
        assert_eq!(inquiry.first_answered_at, Some(at("2025-08-12T12:00:00Z")));
        assert_eq!(inquiry.answered_on_time, Some(true));
    }

    #[test]
    fn closed_and_referred_inquiries_refuse_handling() {
        let zone = zone();
        let mut inquiry = submitted(5, None);
        let referral = Referral {
            administration: "Commune de Béni Mellal".to_owned(),
            external_reference: None,
        };
        inquiry
            .transition(
                Target::Referred(referral.clone()),
                "agent",
                None,
                at("2025-08-12T10:00:00Z"),
                &zone,
            )
            .unwrap();
        assert_eq!(inquiry.referral, Some(referral));
        let assignment = Assignment {
            team: Some("guichet-mre".to_owned()),
            agent: None,
        };
        assert!(
            inquiry
                .assign(assignment, "agent", None, at("2025-08-12T11:00:00Z"))
                .is_err()
        );
        assert!(
            inquiry
                .add_message(
                    Uuid::now_v7(),
                    Visibility::PublicReply,
                    note(),
                    "agent",
                    at("2025-08-12T11:00:00Z")
                )
                .is_err()
        );
        inquiry
            .add_message(
                Uuid::now_v7(),
                Visibility::InternalNote,
                note(),
                "agent",
                at("2025-08-12T11:00:00Z"),
            )
            .unwrap();
        inquiry
            .transition(
                Target::InProgress,
                "agent",
                None,
                at("2025-08-13T10:00:00Z"),
                &zone,
            )
            .unwrap();
        assert_eq!(inquiry.referral, None);
    }

    // The citizen answering back (ReplyToInquiry).

    fn citizen_text(value: &str) -> PersonalText {
        PersonalText::parse(value, 1, 10_000).unwrap()
    }

    #[test]
    fn the_citizen_answering_ends_the_wait_and_resumes_the_due_date() {
        let zone = zone();
        let mut inquiry = submitted(10, None);
        let asked = at("2025-08-11T09:00:00Z");
        inquiry
            .transition(Target::InProgress, "agent", None, asked, &zone)
            .unwrap();
        inquiry
            .transition(Target::WaitingOnCitizen, "agent", None, asked, &zone)
            .unwrap();
        let answered = at("2025-08-14T10:00:00Z");
        let due_while_waiting = inquiry.due_date(answered, &zone);
        let version = inquiry.version;

        let (message, change) = inquiry
            .add_citizen_message(
                Uuid::now_v7(),
                citizen_text("Voici le titre."),
                "portal",
                answered,
                &zone,
            )
            .unwrap();

        assert_eq!(inquiry.status, Status::InProgress);
        let change = change.expect("the end of the wait is recorded");
        assert_eq!(
            (change.from, change.to, change.actor.as_str()),
            (Some(Status::WaitingOnCitizen), Status::InProgress, "portal")
        );
        // The wait's days stay added, and the due date no longer moves with time.
        assert_eq!(inquiry.waiting_since, None);
        assert_eq!(inquiry.due_date(answered, &zone), due_while_waiting);
        let later = at("2025-08-18T10:00:00Z");
        assert_eq!(inquiry.due_date(later, &zone), due_while_waiting);
        assert_eq!(
            (
                message.author_kind,
                message.visibility,
                message.author.as_str()
            ),
            (AuthorKind::Citizen, Visibility::PublicReply, "portal")
        );
        // A citizen's message is no response from the agency.
        assert_eq!(inquiry.first_response_at, None);
        assert!(inquiry.version > version);
    }

    #[test]
    fn a_citizen_message_keeps_an_open_status_and_a_finished_inquiry_refuses_it() {
        let zone = zone();
        let mut inquiry = submitted(10, None);
        let now = at("2025-08-11T09:00:00Z");
        let (_, change) = inquiry
            .add_citizen_message(
                Uuid::now_v7(),
                citizen_text("Une précision."),
                "portal",
                now,
                &zone,
            )
            .unwrap();
        assert_eq!((inquiry.status, change.is_none()), (Status::New, true));

        inquiry
            .transition(Target::Closed, "agent", None, now, &zone)
            .unwrap();
        let before = inquiry.clone();
        let refused = inquiry.add_citizen_message(
            Uuid::now_v7(),
            citizen_text("Encore ?"),
            "portal",
            now,
            &zone,
        );
        assert!(
            matches!(refused, Err(Error::Precondition { .. })),
            "{refused:?}"
        );
        assert_eq!(inquiry, before);
    }

    #[test]
    fn a_requester_never_shows_in_debug() {
        assert!(!format!("{:?}", submission(None).requester).contains("Exemple"));
    }

    #[test]
    fn an_update_takes_the_due_date_from_the_new_category_or_service() {
        let zone = zone();
        let now = at("2025-08-11T10:00:00Z");
        let mut inquiry = submitted(15, None);
        let housing = Category {
            id: Uuid::now_v7(),
            default_response_days: 5,
            ..category(15)
        };
        let to_housing = TriageChanges {
            category: Some(housing.id),
            ..TriageChanges::default()
        };
        let facts = TriageFacts {
            category: Some(&housing),
            service_asked: None,
            lookup: TargetLookup::NoService,
        };
        inquiry
            .update_triage(&to_housing, facts, now, &calendar())
            .unwrap();
        assert_eq!(inquiry.category, housing.id);
        assert_eq!(inquiry.due.settled(), date(2025, 8, 15));

        let service = "agencies/bm/services/0198a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b";
        let link = TriageChanges {
            service: Some(Some(service.to_owned())),
            ..TriageChanges::default()
        };
        let found = TargetLookup::Found {
            days: 30,
            revision: 3,
        };
        let asked = |lookup| TriageFacts {
            category: Some(&housing),
            service_asked: Some(service),
            lookup,
        };
        let unknown = inquiry
            .clone()
            .update_triage(&link, asked(TargetLookup::NotFound), now, &calendar())
            .unwrap_err();
        assert!(matches!(&unknown, Error::Invalid(v) if v[0].field == "inquiry.service"));
        let version = inquiry.version;
        inquiry
            .update_triage(&link, asked(found), now, &calendar())
            .unwrap();
        assert_eq!(inquiry.due.settled(), date(2025, 9, 9));
        assert_eq!(inquiry.due.source, DueDateSource::CatalogProcessingTime);
        assert_eq!(inquiry.version, version + 1);

        // The service changed since the catalog was asked about another one.
        let to_housing_again = TriageChanges {
            category: Some(housing.id),
            ..TriageChanges::default()
        };
        let stale = inquiry
            .clone()
            .update_triage(&to_housing_again, facts, now, &calendar())
            .unwrap_err();
        assert!(matches!(stale, Error::Stale));
        // A category of another agency is no category of the inquiry's.
        let foreign = Category {
            agency: AgencyCode::parse("khouribga").unwrap(),
            ..housing.clone()
        };
        let missing = inquiry
            .clone()
            .update_triage(
                &to_housing_again,
                TriageFacts {
                    category: Some(&foreign),
                    service_asked: Some(service),
                    lookup: found,
                },
                now,
                &calendar(),
            )
            .unwrap_err();
        assert!(matches!(&missing, Error::Invalid(v) if v[0].field == "inquiry.category"));

        inquiry
            .transition(Target::Closed, "agent", None, now, &zone)
            .unwrap();
        let closed = inquiry
            .update_triage(
                &TriageChanges {
                    priority: Some(Priority::High),
                    ..TriageChanges::default()
                },
                facts,
                now,
                &calendar(),
            )
            .unwrap_err();
        assert!(matches!(
            closed,
            Error::Precondition {
                reason: "INQUIRY_CLOSED",
                ..
            }
        ));
    }

    #[test]
    fn a_pending_due_date_settles_once_for_the_service_asked_about() {
        let service = "agencies/bm/services/0198a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b";
        let reference = Reference::new(AgencyCode::parse("bm").unwrap(), 2025, 1);
        let mut linked = submission(None);
        linked.service = Some(service.to_owned());
        let (mut inquiry, _) = Inquiry::submit(
            Uuid::now_v7(),
            reference,
            linked,
            &category(10),
            TargetLookup::Unreachable,
            "desk-app",
            at("2025-08-10T10:00:00Z"),
            &calendar(),
        )
        .unwrap();
        assert!(inquiry.due.pending);
        assert_eq!(inquiry.due.settled(), date(2025, 8, 20));
        let later = at("2025-08-12T08:00:00Z");
        let found = TargetLookup::Found {
            days: 30,
            revision: 3,
        };
        assert!(!inquiry.settle_due_date(
            Some("another"),
            found,
            &category(10),
            later,
            &calendar()
        ));
        assert!(inquiry.settle_due_date(Some(service), found, &category(10), later, &calendar()));
        assert!(!inquiry.due.pending);
        assert_eq!(
            inquiry.due.settled(),
            date(2025, 9, 9),
            "from the submission date"
        );
        assert!(!inquiry.settle_due_date(Some(service), found, &category(10), later, &calendar()));

        // A service retired meanwhile leaves the category's default, settled.
        let mut retired = submit(10, None, TargetLookup::NoService).unwrap();
        retired.due.pending = true;
        assert!(retired.settle_due_date(
            None,
            TargetLookup::NotFound,
            &category(10),
            later,
            &calendar()
        ));
        assert_eq!(
            (retired.due.source, retired.due.pending),
            (DueDateSource::CategoryDefault, false)
        );
        assert!(submit(10, None, TargetLookup::NotFound).is_err());
    }
}
