//! Public services: reads under the visibility rules, changes by the owning agency with
//! an etag, one revision per change, and the processing target inquiries asks for.

use std::collections::BTreeSet;

use jalia_db::Backend;
use jalia_db::sea_orm::DatabaseTransaction;
use jalia_model::{AgencyCode, Caller, FieldViolation};
use jiff::Timestamp;
use uuid::Uuid;

use super::{Catalog, Labelled, fresh, idempotency, method_path};
use crate::domain::access::{StatusVisibility, Viewer};
use crate::domain::public_service::{PublicService, ServiceContent, ServicePatch, Status};
use crate::domain::query::{IdCursor, Page, PageRequest, RevisionQuery, ServiceQuery};
use crate::domain::revision::{Revision, RevisionAction};
use crate::domain::taxonomy::TermKind;
use crate::domain::{Error, etag_matches};
use crate::store;

const NOT_FOUND: Error = Error::NotFound("public service");

/// The agencies a service names: its owner and its competent authority.
pub(super) fn named_agencies<'a>(
    services: impl IntoIterator<Item = &'a PublicService>,
) -> BTreeSet<AgencyCode> {
    services
        .into_iter()
        .flat_map(|service| {
            [
                service.agency.clone(),
                service.competent_authority().clone(),
            ]
        })
        .collect()
}

impl Catalog {
    async fn labelled<T>(
        &self,
        value: T,
        services: &[&PublicService],
    ) -> Result<Labelled<T>, Error> {
        let agencies = self
            .labels(named_agencies(services.iter().copied()))
            .await?;
        Ok(Labelled { value, agencies })
    }

    /// GetPublicService: published and retired services for anyone, drafts for their
    /// agency's readers.
    pub async fn get_public_service(
        &self,
        viewer: &Viewer<'_>,
        agency: &AgencyCode,
        id: Uuid,
    ) -> Result<Labelled<PublicService>, Error> {
        let service = store::services::find(self.db.connection(), id)
            .await?
            .filter(|service| &service.agency == agency && viewer.may_read(service))
            .ok_or(NOT_FOUND)?;
        self.labelled(service.clone(), &[&service]).await
    }

    /// ListPublicServices.
    pub async fn list_public_services(
        &self,
        viewer: &Viewer<'_>,
        query: &ServiceQuery,
        page: &PageRequest,
    ) -> Result<Labelled<Page<PublicService>>, Error> {
        let method = method_path("ListPublicServices");
        let agency_claim = viewer.agency_claim();
        let after: Option<IdCursor> = self.open_cursor(&method, agency_claim, query, page)?;
        let visibility = StatusVisibility::of(&query.statuses, viewer);
        let rows = if visibility.is_empty() {
            Vec::new()
        } else {
            store::services::list(self.db.connection(), query, &visibility, after, page.size)
                .await?
        };
        let by_update = query.updated_after.is_some();
        let page = self.page(&method, agency_claim, query, page, rows, |service| {
            if by_update {
                IdCursor::Updated(jalia_db::to_micros(service.update_time), service.id)
            } else {
                IdCursor::Id(service.id)
            }
        })?;
        let agencies = self.labels(named_agencies(&page.items)).await?;
        Ok(Labelled {
            value: page,
            agencies,
        })
    }

    /// CreatePublicService: a draft at revision 1, recorded.
    pub async fn create_public_service(
        &self,
        caller: &Caller,
        agency: AgencyCode,
        content: ServiceContent,
        request_id: Option<Uuid>,
    ) -> Result<Labelled<PublicService>, Error> {
        if !caller.acts_for(agency.as_str()) {
            return Err(Error::permission_denied(
                "OTHER_AGENCY",
                "services are created under the caller's own agency",
            ));
        }
        let created = self
            .create_with_id(caller, agency, Uuid::now_v7(), content, request_id)
            .await?;
        self.labelled(created.clone(), &[&created]).await
    }

    /// Creates a service with a chosen id, or returns it unchanged when that id exists
    /// already: what demo data needs to load twice without change.
    pub(crate) async fn ensure_public_service(
        &self,
        caller: &Caller,
        agency: AgencyCode,
        id: Uuid,
        content: ServiceContent,
    ) -> Result<PublicService, Error> {
        if let Some(existing) = store::services::find(self.db.connection(), id).await? {
            return Ok(existing);
        }
        self.create_with_id(caller, agency, id, content, None).await
    }

    async fn create_with_id(
        &self,
        caller: &Caller,
        agency: AgencyCode,
        id: Uuid,
        mut content: ServiceContent,
        request_id: Option<Uuid>,
    ) -> Result<PublicService, Error> {
        let now = self.clock.now();
        if content.competent_authority.is_none() {
            content.competent_authority = Some(agency.clone());
        }
        let service = PublicService {
            id,
            agency,
            content,
            status: Status::Draft,
            revision: 1,
            create_time: now,
            update_time: now,
            publish_time: None,
            retire_time: None,
        };
        let input = CreateService {
            service: &service,
            actor: &caller.subject,
        };
        let (created, fresh_create) = match request_id {
            Some(request_id) => {
                let command = (&service.agency, &service.content);
                let (key, fingerprint) =
                    idempotency(caller, "CreatePublicService", request_id, &command)?;
                fresh(
                    self.db
                        .idempotent(&key, fingerprint, now, &input, |tx, input| {
                            Box::pin(create_service(tx, input))
                        })
                        .await?,
                )
            }
            None => (
                self.db
                    .write(&input, |tx, input| Box::pin(create_service(tx, input)))
                    .await?,
                true,
            ),
        };
        if fresh_create {
            tracing::info!(service_id = %created.id, agency = %created.agency, "public service created");
        }
        Ok(created)
    }

    /// UpdatePublicService: a draft or published service, by its agency, with the
    /// current etag; a new revision.
    pub async fn update_public_service(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
        id: Uuid,
        patch: ServicePatch,
        etag: &str,
    ) -> Result<Labelled<PublicService>, Error> {
        let change = Change::Update(Box::new(patch));
        self.change(caller, agency, id, etag, &change).await
    }

    /// PublishPublicService.
    pub async fn publish_public_service(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
        id: Uuid,
        etag: &str,
    ) -> Result<Labelled<PublicService>, Error> {
        self.change(caller, agency, id, etag, &Change::Publish)
            .await
    }

    /// RetirePublicService.
    pub async fn retire_public_service(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
        id: Uuid,
        etag: &str,
    ) -> Result<Labelled<PublicService>, Error> {
        self.change(caller, agency, id, etag, &Change::Retire).await
    }

    async fn change(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
        id: Uuid,
        etag: &str,
        change: &Change,
    ) -> Result<Labelled<PublicService>, Error> {
        if !caller.acts_for(agency.as_str()) {
            return Err(NOT_FOUND);
        }
        let input = ChangeService {
            backend: self.db.backend(),
            agency,
            id,
            etag,
            change,
            actor: &caller.subject,
            now: self.clock.now(),
        };
        let changed = self
            .db
            .write(&input, |tx, input| Box::pin(change_service(tx, input)))
            .await?;
        tracing::info!(
            service_id = %changed.id,
            revision = changed.revision,
            action = ?change.action(),
            "public service changed"
        );
        self.labelled(changed.clone(), &[&changed]).await
    }

    /// DeletePublicService: a draft, with its revisions.
    pub async fn delete_public_service(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
        id: Uuid,
        etag: &str,
    ) -> Result<(), Error> {
        if !caller.acts_for(agency.as_str()) {
            return Err(NOT_FOUND);
        }
        let input = DeleteService {
            backend: self.db.backend(),
            agency,
            id,
            etag,
        };
        self.db
            .write(&input, |tx, input| Box::pin(delete_service(tx, input)))
            .await?;
        tracing::info!(service_id = %id, "draft public service deleted");
        Ok(())
    }

    /// ListPublicServiceRevisions: newest first, for the owning agency's readers.
    pub async fn list_revisions(
        &self,
        viewer: &Viewer<'_>,
        agency: &AgencyCode,
        query: &RevisionQuery,
        page: &PageRequest,
    ) -> Result<Labelled<Page<Revision>>, Error> {
        self.readable_history(viewer, agency, query.service).await?;
        let method = method_path("ListPublicServiceRevisions");
        let agency_claim = viewer.agency_claim();
        let before: Option<i64> = self.open_cursor(&method, agency_claim, query, page)?;
        let rows = store::revisions::list(self.db.connection(), query, before, page.size).await?;
        let page = self.page(&method, agency_claim, query, page, rows, |revision| {
            revision.number
        })?;
        let agencies = self
            .labels(named_agencies(page.items.iter().map(|r| &r.snapshot)))
            .await?;
        Ok(Labelled {
            value: page,
            agencies,
        })
    }

    /// GetPublicServiceRevision: exactly as recorded.
    pub async fn get_revision(
        &self,
        viewer: &Viewer<'_>,
        agency: &AgencyCode,
        id: Uuid,
        number: i64,
    ) -> Result<Labelled<Revision>, Error> {
        self.readable_history(viewer, agency, id).await?;
        let revision = store::revisions::find(self.db.connection(), id, number)
            .await?
            .ok_or(Error::NotFound("revision"))?;
        let agencies = self.labels(named_agencies([&revision.snapshot])).await?;
        Ok(Labelled {
            value: revision,
            agencies,
        })
    }

    /// History is for the owning agency's readers (and ministry-wide ones) only.
    async fn readable_history(
        &self,
        viewer: &Viewer<'_>,
        agency: &AgencyCode,
        id: Uuid,
    ) -> Result<(), Error> {
        if !viewer.sees_private_of(agency) {
            return Err(NOT_FOUND);
        }
        store::services::find(self.db.connection(), id)
            .await?
            .filter(|service| &service.agency == agency)
            .map(|_| ())
            .ok_or(NOT_FOUND)
    }

    /// GetProcessingTarget: the processing time of a published service.
    pub async fn processing_target(
        &self,
        agency: &AgencyCode,
        id: Uuid,
    ) -> Result<PublicService, Error> {
        store::services::find(self.db.connection(), id)
            .await?
            .filter(|service| &service.agency == agency && service.status == Status::Published)
            .ok_or(NOT_FOUND)
    }
}

/// Checks that what a service references exists: its competent authority, category and
/// life events. Only references that changed from `previous` are looked up.
async fn reference_problems(
    tx: &DatabaseTransaction,
    content: &ServiceContent,
    previous: Option<&ServiceContent>,
) -> Result<Vec<FieldViolation>, Error> {
    let mut violations = Vec::new();
    let changed = |same: bool| previous.is_none() || !same;
    if let Some(authority) = &content.competent_authority
        && changed(previous.is_some_and(|p| p.competent_authority == content.competent_authority))
        && !store::agencies::exists(tx, authority).await?
    {
        violations.push(FieldViolation::new(
            "public_service.competent_authority.name",
            format!("there is no agency `{authority}`"),
        ));
    }
    if let Some(category) = content.category
        && changed(previous.is_some_and(|p| p.category == content.category))
        && store::terms::existing(tx, TermKind::Category, &[category])
            .await?
            .is_empty()
    {
        violations.push(FieldViolation::new(
            "public_service.category",
            format!(
                "there is no category `{}`",
                TermKind::Category.name(category)
            ),
        ));
    }
    if changed(previous.is_some_and(|p| p.life_events == content.life_events)) {
        let found = store::terms::existing(tx, TermKind::LifeEvent, &content.life_events).await?;
        for (index, life_event) in content.life_events.iter().enumerate() {
            if !found.contains(life_event) {
                violations.push(FieldViolation::new(
                    format!("public_service.life_events[{index}]"),
                    format!(
                        "there is no life event `{}`",
                        TermKind::LifeEvent.name(*life_event)
                    ),
                ));
            }
        }
    }
    Ok(violations)
}

struct CreateService<'a> {
    service: &'a PublicService,
    actor: &'a str,
}

async fn create_service(
    tx: &DatabaseTransaction,
    input: &CreateService<'_>,
) -> Result<PublicService, Error> {
    let service = input.service;
    if !store::agencies::exists(tx, &service.agency).await? {
        return Err(Error::NotFound("agency"));
    }
    let violations = reference_problems(tx, &service.content, None).await?;
    if !violations.is_empty() {
        return Err(Error::InvalidArgument(violations));
    }
    store::services::insert(tx, service).await?;
    let revision = Revision::of(
        service,
        RevisionAction::Create,
        input.actor,
        service.content.set_paths(),
    );
    store::revisions::insert(tx, &revision).await?;
    Ok(service.clone())
}

enum Change {
    Update(Box<ServicePatch>),
    Publish,
    Retire,
}

impl Change {
    fn action(&self) -> RevisionAction {
        match self {
            Self::Update(_) => RevisionAction::Update,
            Self::Publish => RevisionAction::Publish,
            Self::Retire => RevisionAction::Retire,
        }
    }
}

struct ChangeService<'a> {
    backend: Backend,
    agency: &'a AgencyCode,
    id: Uuid,
    etag: &'a str,
    change: &'a Change,
    actor: &'a str,
    now: Timestamp,
}

/// Reads the service for a change, locked: NOT_FOUND under another agency, ABORTED on a
/// stale etag.
async fn current_for_change(
    tx: &DatabaseTransaction,
    backend: Backend,
    agency: &AgencyCode,
    id: Uuid,
    etag: &str,
) -> Result<PublicService, Error> {
    let current = store::services::find_for_update(tx, backend, id)
        .await?
        .filter(|service| &service.agency == agency)
        .ok_or(NOT_FOUND)?;
    if etag_matches(etag, current.revision) {
        Ok(current)
    } else {
        Err(Error::Aborted)
    }
}

async fn change_service(
    tx: &DatabaseTransaction,
    input: &ChangeService<'_>,
) -> Result<PublicService, Error> {
    let current = current_for_change(tx, input.backend, input.agency, input.id, input.etag).await?;
    let (changed, changed_fields) = match input.change {
        Change::Update(patch) => {
            if current.status == Status::Retired {
                return Err(Error::precondition(
                    "SERVICE_RETIRED",
                    "a retired service cannot be changed",
                ));
            }
            let mut content = patch.as_ref().clone().apply(current.content.clone());
            if content.competent_authority.is_none() {
                content.competent_authority = Some(current.agency.clone());
            }
            let violations = reference_problems(tx, &content, Some(&current.content)).await?;
            if !violations.is_empty() {
                return Err(Error::InvalidArgument(violations));
            }
            if current.status == Status::Published {
                let missing = content.missing_for_publication();
                if !missing.is_empty() {
                    return Err(Error::FailedPrecondition {
                        reason: "PUBLISHED_SERVICE_INCOMPLETE",
                        message: format!("a published service must keep: {}", missing.join(", ")),
                        missing,
                    });
                }
            }
            let changed_fields = content.changed_paths(&current.content);
            (current.updated(content, input.now), changed_fields)
        }
        Change::Publish => (
            current.published(input.now)?,
            RevisionAction::Publish.lifecycle_paths(),
        ),
        Change::Retire => (
            current.retired(input.now)?,
            RevisionAction::Retire.lifecycle_paths(),
        ),
    };
    store::services::update(tx, &changed, current.revision, &current.content).await?;
    let revision = Revision::of(&changed, input.change.action(), input.actor, changed_fields);
    store::revisions::insert(tx, &revision).await?;
    Ok(changed)
}

struct DeleteService<'a> {
    backend: Backend,
    agency: &'a AgencyCode,
    id: Uuid,
    etag: &'a str,
}

async fn delete_service(tx: &DatabaseTransaction, input: &DeleteService<'_>) -> Result<(), Error> {
    let current = current_for_change(tx, input.backend, input.agency, input.id, input.etag).await?;
    if current.status != Status::Draft {
        return Err(Error::precondition(
            "SERVICE_NOT_DRAFT",
            "only a draft can be deleted; retire a published service instead",
        ));
    }
    store::services::delete(tx, current.id, current.revision).await
}
