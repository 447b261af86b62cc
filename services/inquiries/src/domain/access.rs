//! Who may see and change which agency's inquiries (ARCHITECTURE.md §2, law 09-08): a caller acts
//! for its own agency, or for every agency when ministry-wide. Another agency's inquiry
//! does not exist for the caller (NOT_FOUND), while writing or listing under another
//! agency's parent is refused openly (PERMISSION_DENIED), since the parent is no secret.

use jalia_model::{AgencyCode, Caller};

use super::error::Error;

/// Writing under `agencies/{x}` needs a caller acting for x.
pub(crate) fn check_parent(caller: &Caller, agency: &AgencyCode) -> Result<(), Error> {
    if caller.acts_for(agency.as_str()) {
        Ok(())
    } else {
        Err(Error::OtherAgency(format!(
            "the caller does not act for agencies/{agency}"
        )))
    }
}

/// A resource of another agency does not exist for the caller: `what` names its kind.
pub(crate) fn check_visible(
    caller: &Caller,
    agency: &AgencyCode,
    what: &'static str,
) -> Result<(), Error> {
    if caller.acts_for(agency.as_str()) {
        Ok(())
    } else {
        Err(Error::NotFound(what))
    }
}

/// Which agency a list or statistics covers: the one asked for if the caller acts for
/// it; for `agencies/-` (None), every agency for a ministry-wide caller and its own
/// otherwise.
pub(crate) fn list_scope(
    caller: &Caller,
    requested: Option<AgencyCode>,
) -> Result<Option<AgencyCode>, Error> {
    let denied = || Error::OtherAgency("a caller reads only its own agency's inquiries".to_owned());
    match requested {
        Some(agency) if caller.acts_for(agency.as_str()) => Ok(Some(agency)),
        Some(_) => Err(denied()),
        None => match caller.agency_code() {
            None => Ok(None),
            Some(code) => AgencyCode::parse(code).map(Some).map_err(|_| denied()),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use jalia_model::AgencyScope;

    use super::*;

    fn caller(agency: &str) -> Caller {
        Caller {
            subject: "agent".to_owned(),
            agency: AgencyScope::parse(agency).unwrap(),
            scopes: BTreeSet::new(),
        }
    }

    fn bm() -> AgencyCode {
        AgencyCode::parse("bm").unwrap()
    }

    #[test]
    fn another_agency_is_refused_openly_for_parents_and_hidden_for_resources() {
        let other = caller("khouribga");
        assert!(matches!(
            check_parent(&other, &bm()),
            Err(Error::OtherAgency(_))
        ));
        assert!(matches!(
            check_visible(&other, &bm(), "inquiry"),
            Err(Error::NotFound("inquiry"))
        ));
        assert!(check_parent(&caller("bm"), &bm()).is_ok());
        assert!(check_visible(&caller("*"), &bm(), "inquiry").is_ok());
    }

    #[test]
    fn a_list_of_every_agency_is_the_callers_own_unless_ministry_wide() {
        assert_eq!(list_scope(&caller("*"), None).unwrap(), None);
        assert_eq!(list_scope(&caller("bm"), None).unwrap(), Some(bm()));
        assert_eq!(list_scope(&caller("*"), Some(bm())).unwrap(), Some(bm()));
        assert!(matches!(
            list_scope(&caller("khouribga"), Some(bm())),
            Err(Error::OtherAgency(_))
        ));
    }
}
