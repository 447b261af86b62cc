//! Whom an event or a public service is meant for (CPSV-AP's target group), one list for
//! the whole suite so that an event and the services it presents speak of the same
//! people.

use serde::{Deserialize, Serialize};

/// A target group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Citizens and residents in Morocco in general.
    Citizens,
    /// Moroccans living abroad and their families.
    Diaspora,
    /// Architects, surveyors, engineers, developers, notaries.
    Professionals,
    /// Associations, including diaspora associations.
    Associations,
    /// Local authorities, deconcentrated administrations, elected councils.
    PublicOfficials,
}

impl Audience {
    /// Every audience, in the contract's order.
    pub const ALL: [Self; 5] = [
        Self::Citizens,
        Self::Diaspora,
        Self::Professionals,
        Self::Associations,
        Self::PublicOfficials,
    ];

    /// A stable lowercase name (`public_officials`), the same as its serde form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Citizens => "citizens",
            Self::Diaspora => "diaspora",
            Self::Professionals => "professionals",
            Self::Associations => "associations",
            Self::PublicOfficials => "public_officials",
        }
    }

    /// The audience of a name [`Self::as_str`] gave.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|audience| audience.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for audience in Audience::ALL {
            assert_eq!(Audience::from_name(audience.as_str()), Some(audience));
            assert_eq!(
                serde_json::to_string(&audience).unwrap(),
                format!("\"{}\"", audience.as_str())
            );
        }
        assert_eq!(Audience::from_name("everyone"), None);
    }
}
