//! Free text written by or about a citizen (their name, subject, question, a reply, a
//! note on their case) is personal data under law 09-08: it is carried in a type whose
//! `Debug` never shows it, so no log line or error message can print it by accident.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Personal free text. Read it with [`PersonalText::expose`] only where it is shown to
/// someone allowed to see it or stored.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct PersonalText(String);

impl PersonalText {
    /// Checks a caller's text: trimmed, then `min..=max` characters (not bytes, so Arabic
    /// text gets the same allowance as Latin text). The description never quotes the text.
    pub(crate) fn parse(text: &str, min: usize, max: usize) -> Result<Self, String> {
        let trimmed = text.trim();
        let length = trimmed.chars().count();
        if length < min {
            return Err(if min == 1 {
                "must not be empty".to_owned()
            } else {
                format!("must have at least {min} characters")
            });
        }
        if length > max {
            return Err(format!("must have at most {max} characters"));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// Wraps text read back from storage, already checked when written.
    pub(crate) fn from_stored(text: String) -> Self {
        Self(text)
    }

    /// The text itself.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PersonalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Checks an identifier or label that is not personal data (a team, an agent's `sub`, an
/// administration's name): trimmed, `min..=max` characters.
pub(crate) fn bounded(text: &str, min: usize, max: usize) -> Result<String, String> {
    let trimmed = text.trim();
    let length = trimmed.chars().count();
    if length < min {
        Err("must not be empty".to_owned())
    } else if length > max {
        Err(format!("must have at most {max} characters"))
    } else {
        Ok(trimmed.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_characters_and_debug_hides_the_text() {
        let arabic = "رخصة البناء".repeat(10);
        assert!(PersonalText::parse(&arabic, 1, 110).is_ok());
        assert!(PersonalText::parse(&arabic, 1, 109).is_err());
        assert!(PersonalText::parse("   ", 1, 10).is_err());
        let text = PersonalText::parse(" Mon permis ", 1, 200).unwrap();
        assert_eq!(text.expose(), "Mon permis");
        assert_eq!(format!("{text:?}"), "[redacted]");
        assert!(bounded("", 1, 5).is_err());
        assert_eq!(bounded(" guichet-mre ", 1, 100).unwrap(), "guichet-mre");
    }
}
