//! An inquiry, its life (the state machine of `InquiryStatus` in the contract) and its due
//! date. Every change goes through a method here that checks the rule, applies it and
//! returns what the history records, so the store only persists decisions made here.

use std::fmt;

use jalia_model::{AgencyCode, CountryCode, Email, LanguageCode, Phone};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::calendar::{add_days, local_date, midnights_between};
use super::error::Error;
use super::reference::Reference;
use super::text::PersonalText;

/// Where an inquiry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Status {
    /// Submitted, not yet assigned.
    New,
    /// Assigned, not yet worked on.
    Assigned,
    /// Being worked on.
    InProgress,
    /// Waiting for the citizen; the due-date clock is paused.
    WaitingOnCitizen,
    /// At least one public reply was given.
    Answered,
    /// Nothing more to do.
    Closed,
    /// Sent to another, competent administration.
    Referred,
}

impl Status {
    /// Every status, in the contract's order.
    pub const ALL: [Self; 7] = [
        Self::New,
        Self::Assigned,
        Self::InProgress,
        Self::WaitingOnCitizen,
        Self::Answered,
        Self::Closed,
        Self::Referred,
    ];

    /// The statuses in which a passed due date makes an inquiry overdue.
    pub const AWAITING_ANSWER: [Self; 3] = [Self::New, Self::Assigned, Self::InProgress];

    /// The contract's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::New => "NEW",
            Self::Assigned => "ASSIGNED",
            Self::InProgress => "IN_PROGRESS",
            Self::WaitingOnCitizen => "WAITING_ON_CITIZEN",
            Self::Answered => "ANSWERED",
            Self::Closed => "CLOSED",
            Self::Referred => "REFERRED",
        }
    }

    /// Whether TransitionInquiry may move an inquiry from `self` to `to`. ASSIGNED is
    /// reached only through AssignInquiry, so it is never a transition's target.
    pub fn may_become(self, to: Self) -> bool {
        use Status::{Answered, Assigned, Closed, InProgress, New, Referred, WaitingOnCitizen};
        matches!(
            (self, to),
            (New | Assigned, InProgress | Answered | Referred | Closed)
                | (InProgress, WaitingOnCitizen | Answered | Referred | Closed)
                | (WaitingOnCitizen, InProgress | Answered | Closed)
                | (Answered, Closed)
                | (Answered | Closed | Referred, InProgress)
        )
    }
}

/// How an inquiry reached the agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Channel {
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
    pub const ALL: [Self; 5] = [
        Self::WebPortal,
        Self::EventDesk,
        Self::Phone,
        Self::Email,
        Self::Consulate,
    ];
}

/// How urgent an inquiry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Priority {
    /// The usual.
    Normal,
    /// First in line.
    High,
}

/// What the due date was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DueDateSource {
    /// The linked catalog service's processing time.
    CatalogProcessingTime,
    /// The category's default response time.
    CategoryDefault,
}

/// The citizen an inquiry is for. Every field is personal data: `Debug` shows none.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
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
pub struct Referral {
    /// The competent administration, as staff write it.
    pub administration: String,
    /// That administration's own reference, if it gave one.
    pub external_reference: Option<String>,
}

/// Who handles an inquiry: a team, an agent, or both (never neither).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// The team's queue, e.g. `guichet-mre`.
    pub team: Option<String>,
    /// The agent's `sub`.
    pub agent: Option<String>,
}

/// How an inquiry's due date is made: the submission date, plus the response time of its
/// source, plus the days started while waiting on the citizen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDate {
    /// The submission date in the agency's zone.
    pub submitted_on: Date,
    /// Calendar days allowed to answer.
    pub response_days: i64,
    /// Days pushed back by finished waits on the citizen.
    pub paused_days: i64,
    /// Where `response_days` came from.
    pub source: DueDateSource,
    /// True while the catalog could not be asked and the category default stands in.
    pub pending: bool,
    /// The catalog revision the processing time was read from.
    pub service_revision: Option<i64>,
}

impl DueDate {
    /// The due date, not counting a wait in progress.
    pub fn settled(&self) -> Date {
        add_days(
            self.submitted_on,
            self.response_days.saturating_add(self.paused_days),
        )
    }
}

/// What the catalog said about a linked service's processing time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetLookup {
    /// No service is linked.
    NoService,
    /// The service's processing time, in calendar days rounded up.
    Found {
        /// Days.
        days: i64,
        /// The catalog revision it was read from.
        revision: i64,
    },
    /// The service exists but states no processing time.
    NoTarget {
        /// The catalog revision read.
        revision: i64,
    },
    /// The catalog says the service does not exist (or is not published).
    NotFound,
    /// The catalog did not answer in time.
    Unreachable,
}

/// The response time an inquiry gets, and from where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueBasis {
    /// Calendar days.
    pub days: i64,
    /// From where.
    pub source: DueDateSource,
    /// Whether the catalog still has to be asked.
    pub pending: bool,
    /// The catalog revision, when the catalog answered.
    pub revision: Option<i64>,
}

/// The catalog said the linked service does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownService;

impl DueBasis {
    /// The basis the contract prescribes: the service's processing time when the catalog
    /// gives one, else the category's default (flagged pending when the catalog could not
    /// be asked).
    pub fn choose(lookup: TargetLookup, category_days: i64) -> Result<Self, UnknownService> {
        let category = |pending| Self {
            days: category_days,
            source: DueDateSource::CategoryDefault,
            pending,
            revision: None,
        };
        match lookup {
            TargetLookup::NoService => Ok(category(false)),
            TargetLookup::NoTarget { revision } => Ok(Self {
                revision: Some(revision),
                ..category(false)
            }),
            TargetLookup::Unreachable => Ok(category(true)),
            TargetLookup::Found { days, revision } => Ok(Self {
                days,
                source: DueDateSource::CatalogProcessingTime,
                pending: false,
                revision: Some(revision),
            }),
            TargetLookup::NotFound => Err(UnknownService),
        }
    }
}

/// One recorded change of status or assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    /// Before; None for the submission itself.
    pub from: Option<Status>,
    /// After.
    pub to: Status,
    /// The caller's `sub`.
    pub actor: String,
    /// When.
    pub at: Timestamp,
    /// The actor's note.
    pub note: Option<PersonalText>,
    /// The assignment made, for AssignInquiry.
    pub assignment: Option<Assignment>,
    /// The referral, for a move to REFERRED.
    pub referral: Option<Referral>,
}

/// Where a transition goes, with what the target needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// NEW: never allowed, kept so that asking for it is refused by the state machine
    /// (FAILED_PRECONDITION) like any other transition the status does not allow.
    New,
    /// IN_PROGRESS (also the reopening of a finished inquiry).
    InProgress,
    /// WAITING_ON_CITIZEN.
    WaitingOnCitizen,
    /// ANSWERED.
    Answered,
    /// CLOSED.
    Closed,
    /// REFERRED, with where to.
    Referred(Referral),
}

impl Target {
    /// The status it leads to.
    pub fn status(&self) -> Status {
        match self {
            Self::New => Status::New,
            Self::InProgress => Status::InProgress,
            Self::WaitingOnCitizen => Status::WaitingOnCitizen,
            Self::Answered => Status::Answered,
            Self::Closed => Status::Closed,
            Self::Referred(_) => Status::Referred,
        }
    }
}

/// Who may see a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Visibility {
    /// A reply the citizen sees.
    PublicReply,
    /// A note for staff only.
    InternalNote,
}

/// A citizen's inquiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inquiry {
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
}

/// The input fields of a submission, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Submission {
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
}

impl Inquiry {
    /// A new inquiry from a checked submission, NEW, with the history's first entry.
    pub fn submit(
        id: Uuid,
        reference: Reference,
        submission: Submission,
        basis: DueBasis,
        actor: &str,
        now: Timestamp,
        zone: &TimeZone,
    ) -> (Self, StateChange) {
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
                submitted_on: local_date(now, zone),
                response_days: basis.days,
                paused_days: 0,
                source: basis.source,
                pending: basis.pending,
                service_revision: basis.revision,
            },
            first_response_at: None,
            first_answered_at: None,
            answered_on_time: None,
            paused: SignedDuration::ZERO,
            waiting_since: None,
            created_at: now,
            updated_at: now,
            version: 1,
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
        };
        (inquiry, change)
    }

    /// The due date as of `now`: a wait in progress pushes it by the days it started.
    pub fn due_date(&self, now: Timestamp, zone: &TimeZone) -> Date {
        let waiting = self
            .waiting_since
            .map_or(0, |since| midnights_between(since, now, zone));
        add_days(self.due.settled(), waiting)
    }

    /// Time spent waiting on the citizen, the wait in progress included.
    pub fn paused_duration(&self, now: Timestamp) -> SignedDuration {
        let waiting = self.waiting_since.map_or(SignedDuration::ZERO, |since| {
            now.duration_since(since).max(SignedDuration::ZERO)
        });
        self.paused.saturating_add(waiting)
    }

    /// Refuses a stale etag.
    pub fn check_version(&self, expected: Option<i64>) -> Result<(), Error> {
        match expected {
            Some(version) if version != self.version => Err(Error::StaleEtag),
            _ => Ok(()),
        }
    }

    /// Refuses changes to a CLOSED or REFERRED inquiry (reopen it first).
    pub fn check_still_handled(&self) -> Result<(), Error> {
        match self.status {
            Status::Closed => Err(Error::precondition(
                "INQUIRY_CLOSED",
                "the inquiry is CLOSED: reopen it first",
            )),
            Status::Referred => Err(Error::precondition(
                "INQUIRY_REFERRED",
                "the inquiry is REFERRED: reopen it first",
            )),
            _ => Ok(()),
        }
    }

    /// Replaces the assignment; a NEW inquiry becomes ASSIGNED.
    pub fn assign(
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
        })
    }

    /// Moves to `target` if the current status allows it.
    pub fn transition(
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
                "TRANSITION_NOT_ALLOWED",
                format!("an inquiry cannot go from {} to {}", from.name(), to.name()),
            ));
        }
        if to == Status::Answered && self.first_response_at.is_none() {
            return Err(Error::precondition(
                "NO_PUBLIC_REPLY",
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
        })
    }

    /// Records that a message was added: a public reply needs a handled inquiry and the
    /// first one sets the first-response time.
    pub fn record_message(&mut self, visibility: Visibility, now: Timestamp) -> Result<(), Error> {
        if visibility == Visibility::PublicReply {
            self.check_still_handled()?;
            if self.first_response_at.is_none() {
                self.first_response_at = Some(now);
            }
        }
        self.touch(now);
        Ok(())
    }

    /// Takes a new response-time basis (a new category or service, or the catalog finally
    /// answering); finished waits still count.
    pub fn rebase_due_date(&mut self, basis: DueBasis, now: Timestamp, zone: &TimeZone) {
        self.due.response_days = basis.days;
        self.due.source = basis.source;
        self.due.pending = basis.pending;
        self.due.service_revision = basis.revision;
        self.raise_priority_if_needed(now, zone);
    }

    /// Sets the date the citizen needs an answer by.
    pub fn set_answer_before(&mut self, date: Option<Date>, now: Timestamp, zone: &TimeZone) {
        self.answer_before = date;
        self.raise_priority_if_needed(now, zone);
    }

    /// Marks a change: a new version and update time.
    pub fn touch(&mut self, now: Timestamp) {
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

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::domain::calendar::AGENCY_TIME_ZONE;

    fn zone() -> TimeZone {
        TimeZone::get(AGENCY_TIME_ZONE).unwrap()
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
            category: Uuid::now_v7(),
            service: None,
            event: None,
            subject: PersonalText::parse("Permis", 1, 200).unwrap(),
            body: PersonalText::parse("Comment déposer ?", 1, 10_000).unwrap(),
            answer_before,
        }
    }

    /// The contract's overdue rule, which the store's list filter and statistics apply
    /// in SQL: awaiting an answer from the start of the day after the due date.
    fn is_overdue(inquiry: &Inquiry, now: Timestamp, zone: &TimeZone) -> bool {
        Status::AWAITING_ANSWER.contains(&inquiry.status)
            && local_date(now, zone) > inquiry.due_date(now, zone)
    }

    fn basis(days: i64) -> DueBasis {
        DueBasis::choose(TargetLookup::NoService, days).unwrap()
    }

    fn submitted(days: i64, answer_before: Option<Date>) -> Inquiry {
        let reference = Reference::new(AgencyCode::parse("bm").unwrap(), 2025, 1);
        Inquiry::submit(
            Uuid::now_v7(),
            reference,
            submission(answer_before),
            basis(days),
            "desk-app",
            at("2025-08-10T10:00:00Z"),
            &zone(),
        )
        .0
    }

    #[test]
    fn the_contract_transitions_and_no_others() {
        use Status::*;
        let allowed = [
            (New, InProgress),
            (New, Answered),
            (New, Referred),
            (New, Closed),
            (Assigned, InProgress),
            (Assigned, Answered),
            (Assigned, Referred),
            (Assigned, Closed),
            (InProgress, WaitingOnCitizen),
            (InProgress, Answered),
            (InProgress, Referred),
            (InProgress, Closed),
            (WaitingOnCitizen, InProgress),
            (WaitingOnCitizen, Answered),
            (WaitingOnCitizen, Closed),
            (Answered, Closed),
            (Answered, InProgress),
            (Closed, InProgress),
            (Referred, InProgress),
        ];
        for from in Status::ALL {
            for to in Status::ALL {
                assert_eq!(
                    from.may_become(to),
                    allowed.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
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
            Error::FailedPrecondition {
                reason: "NO_PUBLIC_REPLY",
                ..
            }
        ));
        inquiry
            .record_message(Visibility::InternalNote, at("2025-08-12T10:00:00Z"))
            .unwrap();
        assert_eq!(inquiry.first_response_at, None);
        inquiry
            .record_message(Visibility::PublicReply, at("2025-08-12T11:00:00Z"))
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
                .record_message(Visibility::PublicReply, at("2025-08-12T11:00:00Z"))
                .is_err()
        );
        inquiry
            .record_message(Visibility::InternalNote, at("2025-08-12T11:00:00Z"))
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

    #[test]
    fn the_due_basis_follows_the_catalog_answer() {
        let found = DueBasis::choose(
            TargetLookup::Found {
                days: 30,
                revision: 4,
            },
            10,
        )
        .unwrap();
        assert_eq!(
            (found.days, found.source, found.pending),
            (30, DueDateSource::CatalogProcessingTime, false)
        );
        let down = DueBasis::choose(TargetLookup::Unreachable, 10).unwrap();
        assert_eq!(
            (down.days, down.source, down.pending),
            (10, DueDateSource::CategoryDefault, true)
        );
        assert_eq!(
            DueBasis::choose(TargetLookup::NotFound, 10),
            Err(UnknownService)
        );
        assert!(!format!("{:?}", submission(None).requester).contains("Exemple"));
    }
}
