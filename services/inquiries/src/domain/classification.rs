//! What an inquiry is (its kind) and what it is about (an optional place). Chikaya, the
//! national complaints portal, tells complaints, observations and suggestions apart; the
//! agencies' desks mostly receive questions and requests. Statistics count by kind.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest commune name, in characters.
pub(crate) const MAX_COMMUNE_CHARS: usize = 200;
/// Longest land-title number, in characters.
pub(crate) const MAX_LAND_TITLE_CHARS: usize = 50;

/// Coordinates are kept as integer millionths of a degree (about 0.1 m), so that they
/// compare exactly and read back the same from either database.
const MICRODEGREES_PER_DEGREE: f64 = 1_000_000.0;

/// What the citizen does with the inquiry.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub(crate) enum Kind {
    /// Asks for information. Also what an inquiry submitted before kinds existed is.
    #[default]
    Question,
    /// Asks the administration to do something.
    Request,
    /// Complains about a service or a decision.
    Complaint,
    /// Suggests an improvement (Chikaya's observations included).
    Suggestion,
}

impl Kind {
    /// Every kind, in the contract's order.
    pub(crate) const ALL: [Self; 4] = [
        Self::Question,
        Self::Request,
        Self::Complaint,
        Self::Suggestion,
    ];
}

/// A point on the WGS 84 ellipsoid, in millionths of a degree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Coordinates {
    latitude_micro: i32,
    longitude_micro: i32,
}

impl Coordinates {
    /// Checks decimal degrees: finite, latitude within -90..=90, longitude within
    /// -180..=180. Errors name the coordinate at fault (`latitude` or `longitude`).
    pub(crate) fn from_degrees(
        latitude: f64,
        longitude: f64,
    ) -> Result<Self, (&'static str, String)> {
        let latitude_micro = micro(latitude, 90.0).ok_or_else(|| {
            (
                "latitude",
                "must be a number of degrees from -90 to 90".to_owned(),
            )
        })?;
        let longitude_micro = micro(longitude, 180.0).ok_or_else(|| {
            (
                "longitude",
                "must be a number of degrees from -180 to 180".to_owned(),
            )
        })?;
        Ok(Self {
            latitude_micro,
            longitude_micro,
        })
    }

    /// Coordinates read back from storage, in millionths of a degree; None when out of
    /// range.
    pub(crate) fn from_micro(latitude_micro: i32, longitude_micro: i32) -> Option<Self> {
        let fits = |value: i32, bound: i32| (-bound..=bound).contains(&value);
        (fits(latitude_micro, 90_000_000) && fits(longitude_micro, 180_000_000)).then_some(Self {
            latitude_micro,
            longitude_micro,
        })
    }

    /// Latitude in millionths of a degree.
    pub(crate) fn latitude_micro(self) -> i32 {
        self.latitude_micro
    }

    /// Longitude in millionths of a degree.
    pub(crate) fn longitude_micro(self) -> i32 {
        self.longitude_micro
    }

    /// Latitude in decimal degrees.
    pub(crate) fn latitude(self) -> f64 {
        f64::from(self.latitude_micro) / MICRODEGREES_PER_DEGREE
    }

    /// Longitude in decimal degrees.
    pub(crate) fn longitude(self) -> f64 {
        f64::from(self.longitude_micro) / MICRODEGREES_PER_DEGREE
    }
}

/// Degrees within `-bound..=bound` as rounded millionths.
// The value is checked finite and within ±180 degrees first, so the rounded product is
// within ±180,000,000 and fits an i32 exactly.
#[allow(clippy::cast_possible_truncation)]
fn micro(degrees: f64, bound: f64) -> Option<i32> {
    (degrees.is_finite() && (-bound..=bound).contains(&degrees))
        .then(|| (degrees * MICRODEGREES_PER_DEGREE).round() as i32)
}

/// The place an inquiry is about. A land title and coordinates point at someone's
/// property, so `Debug` shows none of it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Place {
    /// The commune, as the citizen names it.
    pub commune: Option<String>,
    /// The land title's number.
    pub land_title_number: Option<String>,
    /// Where exactly.
    pub coordinates: Option<Coordinates>,
}

impl Place {
    /// The place, or None when nothing is set (an empty place is no place).
    pub(crate) fn non_empty(self) -> Option<Self> {
        (self.commune.is_some() || self.land_title_number.is_some() || self.coordinates.is_some())
            .then_some(self)
    }
}

impl fmt::Debug for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Place([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_are_checked_and_kept_to_a_millionth_of_a_degree() {
        // Azilal.
        let azilal = Coordinates::from_degrees(31.961_234_4, -6.571_111).unwrap();
        assert_eq!(
            (azilal.latitude_micro(), azilal.longitude_micro()),
            (31_961_234, -6_571_111)
        );
        assert!((azilal.latitude() - 31.961_234).abs() < 1e-9);
        assert!(Coordinates::from_degrees(90.0, 180.0).is_ok());
        assert!(Coordinates::from_degrees(-90.0, -180.0).is_ok());
        assert_eq!(
            Coordinates::from_degrees(90.000_1, 0.0).unwrap_err().0,
            "latitude"
        );
        assert_eq!(
            Coordinates::from_degrees(0.0, -180.5).unwrap_err().0,
            "longitude"
        );
        assert_eq!(
            Coordinates::from_degrees(f64::NAN, 0.0).unwrap_err().0,
            "latitude"
        );
        assert_eq!(
            Coordinates::from_degrees(0.0, f64::INFINITY).unwrap_err().0,
            "longitude"
        );
        assert_eq!(Coordinates::from_micro(90_000_001, 0), None);
        assert_eq!(
            Coordinates::from_micro(31_961_234, -6_571_111),
            Some(azilal)
        );
    }

    #[test]
    fn an_empty_place_is_no_place_and_debug_hides_it() {
        let empty = Place {
            commune: None,
            land_title_number: None,
            coordinates: None,
        };
        assert_eq!(empty.non_empty(), None);
        let plot = Place {
            commune: Some("Azilal".to_owned()),
            land_title_number: Some("12345/10".to_owned()),
            coordinates: None,
        };
        assert_eq!(format!("{plot:?}"), "Place([redacted])");
        assert!(plot.non_empty().is_some());
        assert_eq!(Kind::default(), Kind::Question);
    }
}
