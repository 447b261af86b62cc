//! How a domain enum is stored: a small integer that never changes meaning once written,
//! so that renaming or reordering a variant can never reinterpret old rows. Each service
//! implements [`StoredCode`] in its store, beside the tables that hold the codes.

use crate::error::DbError;

/// A stored code no variant has: the database holds something this version never wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown stored {what} code {code}")]
pub struct UnknownCode {
    /// Which column.
    pub what: &'static str,
    /// The code.
    pub code: i32,
}

impl From<UnknownCode> for DbError {
    fn from(unknown: UnknownCode) -> Self {
        DbError::other(unknown.to_string())
    }
}

/// Converts an enum to and from its stored code.
pub trait StoredCode: Sized + Copy + 'static {
    /// What it is, for errors.
    const WHAT: &'static str;
    /// Every value.
    fn all() -> &'static [Self];
    /// The stored code; never reuse or change one once written.
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

/// Checks that every value has its own code and that each code reads back as its value;
/// each service's store tests call it for every stored enum.
pub fn codes_are_distinct<T: StoredCode + PartialEq>() -> Result<(), String> {
    let all = T::all();
    for (index, value) in all.iter().enumerate() {
        if all[..index]
            .iter()
            .any(|other| other.code() == value.code())
        {
            return Err(format!(
                "two {} values share code {}",
                T::WHAT,
                value.code()
            ));
        }
        match T::from_code(value.code()) {
            Ok(read) if read == *value => {}
            _ => {
                return Err(format!(
                    "{} code {} does not read back",
                    T::WHAT,
                    value.code()
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Colour {
        Red,
        Green,
    }

    impl StoredCode for Colour {
        const WHAT: &'static str = "colour";
        fn all() -> &'static [Self] {
            &[Self::Red, Self::Green]
        }
        fn code(self) -> i32 {
            match self {
                Self::Red => 1,
                Self::Green => 2,
            }
        }
    }

    #[test]
    fn codes_read_back_and_unknown_ones_are_refused() {
        assert_eq!(codes_are_distinct::<Colour>(), Ok(()));
        assert_eq!(Colour::from_code(2), Ok(Colour::Green));
        assert_eq!(
            Colour::from_code(9),
            Err(UnknownCode {
                what: "colour",
                code: 9
            })
        );
    }
}
