//! How the domain's enums are stored: small integers that never change meaning once
//! written (they follow the contract's numbers, which are frozen too).

use crate::domain::inquiry::{Channel, DueDateSource, Priority, Status, Visibility};

/// A stored code no variant has: the database holds something this version never wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown stored {what} code {code}")]
pub struct UnknownCode {
    /// Which column.
    pub what: &'static str,
    /// The code.
    pub code: i32,
}

/// Converts an enum to and from its stored code.
pub trait Code: Sized + Copy + 'static {
    /// What it is, for errors.
    const WHAT: &'static str;
    /// Every value.
    fn all() -> &'static [Self];
    /// The stored code.
    fn code(self) -> i32;
    /// The value of a stored code.
    fn from_code(code: i32) -> Result<Self, UnknownCode> {
        Self::all()
            .iter()
            .copied()
            .find(|value| value.code() == code)
            .ok_or(UnknownCode {
                what: Self::WHAT,
                code,
            })
    }
}

impl Code for Status {
    const WHAT: &'static str = "status";

    fn all() -> &'static [Self] {
        &Status::ALL
    }

    fn code(self) -> i32 {
        match self {
            Self::New => 1,
            Self::Assigned => 2,
            Self::InProgress => 3,
            Self::WaitingOnCitizen => 4,
            Self::Answered => 5,
            Self::Closed => 6,
            Self::Referred => 7,
        }
    }
}

impl Code for Channel {
    const WHAT: &'static str = "channel";

    fn all() -> &'static [Self] {
        &Channel::ALL
    }

    fn code(self) -> i32 {
        match self {
            Self::WebPortal => 1,
            Self::EventDesk => 2,
            Self::Phone => 3,
            Self::Email => 4,
            Self::Consulate => 5,
        }
    }
}

impl Code for Priority {
    const WHAT: &'static str = "priority";

    fn all() -> &'static [Self] {
        &[Self::Normal, Self::High]
    }

    fn code(self) -> i32 {
        match self {
            Self::Normal => 1,
            Self::High => 2,
        }
    }
}

impl Code for DueDateSource {
    const WHAT: &'static str = "due date source";

    fn all() -> &'static [Self] {
        &[Self::CatalogProcessingTime, Self::CategoryDefault]
    }

    fn code(self) -> i32 {
        match self {
            Self::CatalogProcessingTime => 1,
            Self::CategoryDefault => 2,
        }
    }
}

impl Code for Visibility {
    const WHAT: &'static str = "visibility";

    fn all() -> &'static [Self] {
        &[Self::PublicReply, Self::InternalNote]
    }

    fn code(self) -> i32 {
        match self {
            Self::PublicReply => 1,
            Self::InternalNote => 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for status in Status::ALL {
            assert_eq!(Status::from_code(status.code()), Ok(status));
        }
        for channel in Channel::ALL {
            assert_eq!(Channel::from_code(channel.code()), Ok(channel));
        }
        assert!(Status::from_code(0).is_err());
    }
}
