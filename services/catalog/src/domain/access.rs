//! Who sees and changes what (the CatalogService conventions): agencies, the taxonomy and
//! published or retired services are public; drafts and revisions are seen only by the
//! owning agency's callers holding catalog.read (or ministry-wide ones); a service is
//! changed only by its own agency's callers (or ministry-wide ones); agencies are created,
//! and the taxonomy changed, by ministry-wide callers only.

use jalia_model::{AgencyCode, Caller};

use super::Error;
use super::public_service::{PublicService, Status};

/// Refuses a caller that is not ministry-wide (PERMISSION_DENIED `MINISTRY_ONLY`):
/// `action` says what only the ministry does ("create agencies").
pub(crate) fn ministry_only(caller: &Caller, action: &str) -> Result<(), Error> {
    if caller.is_ministry_wide() {
        Ok(())
    } else {
        Err(Error::MinistryOnly(format!(
            "only ministry-wide callers {action}"
        )))
    }
}

/// Refuses a caller acting for another agency than `agency` (PERMISSION_DENIED
/// `OTHER_AGENCY`), for changes under a resource whose existence is no secret.
pub(crate) fn acting_for(caller: &Caller, agency: &AgencyCode, message: &str) -> Result<(), Error> {
    if caller.acts_for(agency.as_str()) {
        Ok(())
    } else {
        Err(Error::OtherAgency(message.to_owned()))
    }
}

/// The scope that shows drafts and history.
pub(crate) const READ_SCOPE: &str = "catalog.read";

/// The caller of a read, possibly anonymous.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Viewer<'a> {
    caller: Option<&'a Caller>,
}

/// Whose private services (drafts, and retired ones in lists) a viewer may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PrivateScope {
    /// None.
    Nothing,
    /// One agency's.
    Agency(AgencyCode),
    /// Every agency's.
    Everything,
}

impl<'a> Viewer<'a> {
    /// A viewer from the verified token, if any.
    pub(crate) fn new(caller: Option<&'a Caller>) -> Self {
        Self { caller }
    }

    /// Nobody in particular.
    #[cfg(test)]
    pub(crate) fn anonymous() -> Self {
        Self { caller: None }
    }

    /// Whether the viewer sees `agency`'s drafts and history.
    pub(crate) fn sees_private_of(&self, agency: &AgencyCode) -> bool {
        self.caller
            .is_some_and(|caller| caller.has_scope(READ_SCOPE) && caller.acts_for(agency.as_str()))
    }

    /// Whether the viewer may read this service by name: published and retired ones are
    /// public, drafts private.
    pub(crate) fn may_read(&self, service: &PublicService) -> bool {
        service.status != Status::Draft || self.sees_private_of(&service.agency)
    }

    /// Whose private services the viewer's lists may include.
    pub(crate) fn private_scope(&self) -> PrivateScope {
        match self.caller {
            Some(caller) if caller.has_scope(READ_SCOPE) => match caller.agency_code() {
                None => PrivateScope::Everything,
                Some(code) => {
                    AgencyCode::parse(code).map_or(PrivateScope::Nothing, PrivateScope::Agency)
                }
            },
            _ => PrivateScope::Nothing,
        }
    }
}

/// Which statuses a list or search shows to one viewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatusVisibility {
    /// Published services, whoever owns them.
    pub published: bool,
    /// Drafts and retired services asked for, shown only within `private_scope`.
    pub private_statuses: Vec<Status>,
    /// Whose private services may show.
    pub private_scope: PrivateScope,
}

impl StatusVisibility {
    /// What `statuses` (empty: published only) shows to `viewer`.
    pub(crate) fn of(statuses: &[Status], viewer: &Viewer<'_>) -> Self {
        if statuses.is_empty() {
            return Self {
                published: true,
                private_statuses: Vec::new(),
                private_scope: PrivateScope::Nothing,
            };
        }
        let scope = viewer.private_scope();
        let private_statuses = if scope == PrivateScope::Nothing {
            Vec::new()
        } else {
            statuses
                .iter()
                .copied()
                .filter(|status| *status != Status::Published)
                .collect()
        };
        Self {
            published: statuses.contains(&Status::Published),
            private_statuses,
            private_scope: scope,
        }
    }

    /// Whether nothing at all can show.
    pub(crate) fn is_empty(&self) -> bool {
        !self.published && self.private_statuses.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use jalia_model::AgencyScope;

    use super::*;

    fn caller(agency: &str, scopes: &[&str]) -> Caller {
        Caller {
            subject: "desk".to_owned(),
            agency: AgencyScope::parse(agency).unwrap(),
            scopes: scopes
                .iter()
                .map(|s| (*s).to_owned())
                .collect::<BTreeSet<_>>(),
        }
    }

    #[test]
    fn drafts_need_the_read_scope_and_the_agency() {
        let bm = AgencyCode::parse("bm").unwrap();
        assert!(!Viewer::anonymous().sees_private_of(&bm));
        let own = caller("bm", &["catalog.read"]);
        assert!(Viewer::new(Some(&own)).sees_private_of(&bm));
        let writer_only = caller("bm", &["catalog.write"]);
        assert!(!Viewer::new(Some(&writer_only)).sees_private_of(&bm));
        let other = caller("wbk", &["catalog.read"]);
        assert!(!Viewer::new(Some(&other)).sees_private_of(&bm));
        let ministry = caller("*", &["catalog.read"]);
        assert!(Viewer::new(Some(&ministry)).sees_private_of(&bm));
    }

    #[test]
    fn statuses_shown_in_lists() {
        let anonymous = StatusVisibility::of(&[], &Viewer::anonymous());
        assert!(anonymous.published && anonymous.private_statuses.is_empty());
        let drafts_anonymous = StatusVisibility::of(&[Status::Draft], &Viewer::anonymous());
        assert!(drafts_anonymous.is_empty());
        let own = caller("bm", &["catalog.read"]);
        let drafts =
            StatusVisibility::of(&[Status::Draft, Status::Retired], &Viewer::new(Some(&own)));
        assert!(!drafts.published);
        assert_eq!(
            drafts.private_statuses,
            vec![Status::Draft, Status::Retired]
        );
        assert_eq!(
            drafts.private_scope,
            PrivateScope::Agency(AgencyCode::parse("bm").unwrap())
        );
        let ministry = caller("*", &["catalog.read"]);
        assert_eq!(
            StatusVisibility::of(&[Status::Draft], &Viewer::new(Some(&ministry))).private_scope,
            PrivateScope::Everything
        );
    }
}
