//! Where an inquiry stands, the moves between statuses the contract allows
//! (`InquiryStatus`), and the history entry each change leaves.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::inquiry::{Assignment, Referral};
use super::text::PersonalText;

/// Longest note an actor leaves in the history, in characters.
pub(crate) const MAX_NOTE_CHARS: usize = 2_000;

/// Where an inquiry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) enum Status {
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
    pub(crate) const ALL: [Self; 7] = [
        Self::New,
        Self::Assigned,
        Self::InProgress,
        Self::WaitingOnCitizen,
        Self::Answered,
        Self::Closed,
        Self::Referred,
    ];

    /// The statuses in which a passed due date makes an inquiry overdue.
    pub(crate) const AWAITING_ANSWER: [Self; 3] = [Self::New, Self::Assigned, Self::InProgress];

    /// The contract's name, for messages.
    pub(crate) fn name(self) -> &'static str {
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
    pub(crate) fn may_become(self, to: Self) -> bool {
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

/// Where a transition goes, with what the target needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
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
    pub(crate) fn status(&self) -> Status {
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

/// One recorded change of status or assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StateChange {
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
    /// Whether this is the escalation of an overdue inquiry.
    pub escalation: bool,
}

impl StateChange {
    /// What this change means to the systems that follow an agency's inquiries (the
    /// change feed): the submission, a move into ANSWERED (which needs a public reply),
    /// and the escalation of an overdue inquiry, which happens once per inquiry.
    /// Assignments and other moves are internal handling.
    pub(crate) fn followed_change(&self) -> Option<FollowedChange> {
        if self.escalation {
            return Some(FollowedChange::Overdue);
        }
        match self.from {
            None => Some(FollowedChange::Submitted),
            Some(from) if from != Status::Answered && self.to == Status::Answered => {
                Some(FollowedChange::Answered)
            }
            Some(_) => None,
        }
    }
}

/// A change that those following an agency's inquiries are told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum FollowedChange {
    /// A citizen's inquiry was submitted.
    Submitted,
    /// A staff reply answered it.
    Answered,
    /// Its due date passed unanswered.
    Overdue,
}

impl FollowedChange {
    /// Every followed change.
    pub(crate) const ALL: [Self; 3] = [Self::Submitted, Self::Answered, Self::Overdue];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(from: Option<Status>, to: Status, escalation: bool) -> StateChange {
        StateChange {
            from,
            to,
            actor: "desk".to_owned(),
            at: Timestamp::UNIX_EPOCH,
            note: None,
            assignment: None,
            referral: None,
            escalation,
        }
    }

    #[test]
    fn followed_changes_are_the_submission_the_answer_and_the_escalation() {
        use Status::*;
        let followed = |from, to, escalation| change(from, to, escalation).followed_change();
        assert_eq!(followed(None, New, false), Some(FollowedChange::Submitted));
        assert_eq!(
            followed(Some(InProgress), Answered, false),
            Some(FollowedChange::Answered)
        );
        assert_eq!(
            followed(Some(New), New, true),
            Some(FollowedChange::Overdue)
        );
        assert_eq!(followed(Some(New), Assigned, false), None);
        assert_eq!(followed(Some(InProgress), WaitingOnCitizen, false), None);
        assert_eq!(followed(Some(Answered), Closed, false), None);
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
}
