//! Public services: reads under the visibility rules, changes by the owning agency with
//! an etag, one revision per change, and the processing target inquiries asks for.

use std::sync::Arc;

use jalia_db::sea_orm::DatabaseTransaction;
use jalia_db::{IdempotencyScope, Idempotent};
use jalia_model::{AgencyCode, Caller, IfMatch, MAX_PAGE_SIZE, Page, PageRequest};
use jiff::Timestamp;
use serde::{Serialize, Serializer};
use uuid::Uuid;

use super::{Catalog, labels, methods};
use crate::domain::Error;
use crate::domain::access::{StatusVisibility, Viewer};
use crate::domain::agency::Labelled;
use crate::domain::public_service::{
    NewService, PublicService, ServiceContent, ServiceName, ServiceUpdate, Status, named_agencies,
};
use crate::domain::query::{RevisionQuery, ServiceQuery};
use crate::domain::revision::Revision;
use crate::store;
use crate::store::stored::Stored;

const NOT_FOUND: Error = Error::NotFound("public service");

/// A lifecycle change of a service: each leaves a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lifecycle {
    /// PublishPublicService.
    Publish,
    /// RetirePublicService.
    Retire,
}

impl Catalog {
    /// GetPublicService: published and retired services for anyone, drafts for their
    /// agency's readers.
    pub(crate) async fn get_public_service(
        &self,
        caller: Option<&Caller>,
        name: &ServiceName,
    ) -> Result<Labelled<PublicService>, Error> {
        let conn = self.db.connection();
        let service = store::services::find(conn, name)
            .await?
            .filter(|service| Viewer::new(caller).may_read(service))
            .ok_or(NOT_FOUND)?;
        let agencies = labels(conn, named_agencies([&service])).await?;
        Ok(Labelled {
            value: service,
            agencies,
        })
    }

    /// ListPublicServices: by id (creation order), or by (update_time, id) when listing
    /// changes; only what the caller may see.
    pub(crate) async fn list_public_services(
        &self,
        caller: Option<&Caller>,
        query: &ServiceQuery,
        page: &PageRequest,
    ) -> Result<Labelled<Page<PublicService>>, Error> {
        let pager = self.pages.pager(
            methods::LIST_PUBLIC_SERVICES,
            caller,
            query,
            page,
            self.now(),
        )?;
        let after = pager.cursor()?;
        let visibility = StatusVisibility::of(&query.statuses, &Viewer::new(caller));
        let conn = self.db.connection();
        let rows = if visibility.is_empty() {
            Vec::new()
        } else {
            store::services::list(conn, query, &visibility, after, pager.fetch_limit()).await?
        };
        let page = pager.page(rows, store::services::cursor_of(query));
        let agencies = labels(conn, named_agencies(&page.items)).await?;
        Ok(Labelled {
            value: page,
            agencies,
        })
    }

    /// CreatePublicService: a draft at revision 1, recorded.
    pub(crate) async fn create_public_service(
        &self,
        caller: &Caller,
        request: NewService,
    ) -> Result<Labelled<PublicService>, Error> {
        PublicService::check_creator(caller, &request.parent)?;
        let command = CreateService {
            content: Stored(PublicService::proposed_content(
                &request.parent,
                request.content,
            )),
            agency: request.parent,
            actor: &caller.subject,
            now: self.now(),
        };
        let scope = IdempotencyScope::new(caller, methods::CREATE_PUBLIC_SERVICE);
        let created = self
            .db
            .create_once(
                request.request_id,
                &scope,
                &command,
                command.now,
                |tx, c| Box::pin(create_service(tx, c)),
            )
            .await?;
        if let Idempotent::Created(Stored(created)) = &created {
            let service = &created.value;
            tracing::info!(service_id = %service.id, agency = %service.agency, "public service created");
            self.search_index.apply(Arc::new(service.clone()));
        }
        Ok(created.into_inner().0)
    }

    /// UpdatePublicService: a draft or published service, by its agency, with the
    /// current etag; a new revision.
    pub(crate) async fn update_public_service(
        &self,
        caller: &Caller,
        request: ServiceUpdate,
    ) -> Result<Labelled<PublicService>, Error> {
        PublicService::check_changer(caller, &request.name)?;
        let command = UpdateService {
            request: &request,
            actor: &caller.subject,
            now: self.now(),
        };
        let updated = self
            .db
            .write(&command, |tx, c| Box::pin(update_service(tx, c)))
            .await?;
        let service = &updated.value;
        tracing::info!(service_id = %service.id, revision = service.revision, "public service updated");
        self.search_index.apply(Arc::new(service.clone()));
        Ok(updated)
    }

    /// PublishPublicService and RetirePublicService: a new revision each.
    pub(crate) async fn change_lifecycle(
        &self,
        caller: &Caller,
        change: Lifecycle,
        name: ServiceName,
        if_match: IfMatch,
    ) -> Result<Labelled<PublicService>, Error> {
        PublicService::check_changer(caller, &name)?;
        let command = ChangeLifecycle {
            change,
            name: &name,
            if_match,
            actor: &caller.subject,
            now: self.now(),
        };
        let changed = self
            .db
            .write(&command, |tx, c| Box::pin(change_lifecycle(tx, c)))
            .await?;
        let service = &changed.value;
        tracing::info!(service_id = %service.id, revision = service.revision, ?change, "public service changed");
        self.search_index.apply(Arc::new(service.clone()));
        Ok(changed)
    }

    /// DeletePublicService: a draft, with its revisions.
    pub(crate) async fn delete_public_service(
        &self,
        caller: &Caller,
        name: ServiceName,
        if_match: IfMatch,
    ) -> Result<(), Error> {
        PublicService::check_changer(caller, &name)?;
        let command = (name, if_match);
        self.db
            .write(&command, |tx, (name, if_match)| {
                Box::pin(delete_service(tx, name, *if_match))
            })
            .await?;
        tracing::info!(service_id = %command.0.id, "draft public service deleted");
        self.search_index.remove(command.0.id);
        Ok(())
    }

    /// ListPublicServiceRevisions: newest first, for the owning agency's readers.
    pub(crate) async fn list_revisions(
        &self,
        caller: Option<&Caller>,
        query: &RevisionQuery,
        page: &PageRequest,
    ) -> Result<Labelled<Page<Revision>>, Error> {
        self.readable_history(caller, &query.service_name()).await?;
        let pager = self.pages.pager(
            methods::LIST_PUBLIC_SERVICE_REVISIONS,
            caller,
            query,
            page,
            self.now(),
        )?;
        let conn = self.db.connection();
        let rows =
            store::revisions::list(conn, query, pager.cursor()?, pager.fetch_limit()).await?;
        let page = pager.page(rows, |revision| revision.number);
        let agencies = labels(conn, named_agencies(page.items.iter().map(|r| &r.snapshot))).await?;
        Ok(Labelled {
            value: page,
            agencies,
        })
    }

    /// GetPublicServiceRevision: exactly as recorded.
    pub(crate) async fn get_revision(
        &self,
        caller: Option<&Caller>,
        name: &ServiceName,
        number: i64,
    ) -> Result<Labelled<Revision>, Error> {
        self.readable_history(caller, name).await?;
        let conn = self.db.connection();
        let revision = store::revisions::find(conn, name.id, number)
            .await?
            .ok_or(Error::NotFound("revision"))?;
        let agencies = labels(conn, named_agencies([&revision.snapshot])).await?;
        Ok(Labelled {
            value: revision,
            agencies,
        })
    }

    /// History is for the owning agency's readers (and ministry-wide ones) only.
    async fn readable_history(
        &self,
        caller: Option<&Caller>,
        name: &ServiceName,
    ) -> Result<(), Error> {
        if !Viewer::new(caller).sees_private_of(&name.agency) {
            return Err(NOT_FOUND);
        }
        store::services::find(self.db.connection(), name)
            .await?
            .map(|_| ())
            .ok_or(NOT_FOUND)
    }

    /// GetProcessingTarget: the processing time of a published service.
    pub(crate) async fn processing_target(
        &self,
        name: &ServiceName,
    ) -> Result<PublicService, Error> {
        store::services::find(self.db.connection(), name)
            .await?
            .filter(|service| service.status == Status::Published)
            .ok_or(NOT_FOUND)
    }

    /// The services of an agency with every status, for a ministry-wide caller's tools
    /// (demo data checks what exists before creating).
    pub(crate) async fn services_of(
        &self,
        caller: &Caller,
        agency: &AgencyCode,
    ) -> Result<Vec<PublicService>, Error> {
        let query = ServiceQuery {
            agency: Some(agency.clone()),
            statuses: Status::ALL.to_vec(),
            ..ServiceQuery::default()
        };
        let mut services = Vec::new();
        let mut page = PageRequest::first(MAX_PAGE_SIZE);
        loop {
            let found = self
                .list_public_services(Some(caller), &query, &page)
                .await?
                .value;
            services.extend(found.items);
            match found.next_page_token {
                Some(token) => page.token = Some(token),
                None => return Ok(services),
            }
        }
    }
}

/// A create as fingerprinted: the agency and the content (its competent authority filled
/// in), in their stored shape, as the first release fingerprinted them, so that a retry
/// across an upgrade still replays. The caller, the fresh id and the time differ between
/// tries and are left out.
struct CreateService<'a> {
    agency: AgencyCode,
    content: Stored<ServiceContent>,
    actor: &'a str,
    now: Timestamp,
}

impl Serialize for CreateService<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (&self.agency, &self.content).serialize(serializer)
    }
}

async fn create_service(
    tx: &DatabaseTransaction,
    command: &CreateService<'_>,
) -> Result<Stored<Labelled<PublicService>>, Error> {
    if !store::agencies::exists(tx, &command.agency).await? {
        return Err(Error::NotFound("agency"));
    }
    let content = &command.content.0;
    let missing =
        store::services::missing_references(tx, &content.references_to_check(None)).await?;
    let revision = PublicService::create(
        Uuid::now_v7(),
        command.agency.clone(),
        content.clone(),
        &missing,
        command.actor,
        command.now,
    )?;
    store::services::insert(tx, &revision.snapshot).await?;
    store::revisions::insert(tx, &revision).await?;
    let agencies = labels(tx, named_agencies([&revision.snapshot])).await?;
    Ok(Stored(Labelled {
        value: revision.snapshot,
        agencies,
    }))
}

struct UpdateService<'a> {
    request: &'a ServiceUpdate,
    actor: &'a str,
    now: Timestamp,
}

/// Reads the service a change names, and refuses a stale etag.
async fn current(
    tx: &DatabaseTransaction,
    name: &ServiceName,
    if_match: IfMatch,
) -> Result<PublicService, Error> {
    let current = store::services::find(tx, name).await?.ok_or(NOT_FOUND)?;
    if_match.check(current.revision)?;
    Ok(current)
}

/// Saves a changed service and its revision, unless another change got there first.
async fn save(
    tx: &DatabaseTransaction,
    current: &PublicService,
    revision: Revision,
) -> Result<Labelled<PublicService>, Error> {
    store::services::update(tx, &revision.snapshot, current.revision, &current.content)
        .await?
        .saved_or(Error::Stale)?;
    store::revisions::insert(tx, &revision).await?;
    store::changes::record(tx, &revision).await?;
    let agencies = labels(tx, named_agencies([&revision.snapshot])).await?;
    Ok(Labelled {
        value: revision.snapshot,
        agencies,
    })
}

async fn update_service(
    tx: &DatabaseTransaction,
    command: &UpdateService<'_>,
) -> Result<Labelled<PublicService>, Error> {
    let request = command.request;
    let current = current(tx, &request.name, request.if_match).await?;
    let content = current.patched(request.patch.clone())?;
    let references = content.references_to_check(Some(&current.content));
    let missing = store::services::missing_references(tx, &references).await?;
    let revision = current.updated(content, &missing, command.actor, command.now)?;
    save(tx, &current, revision).await
}

struct ChangeLifecycle<'a> {
    change: Lifecycle,
    name: &'a ServiceName,
    if_match: IfMatch,
    actor: &'a str,
    now: Timestamp,
}

async fn change_lifecycle(
    tx: &DatabaseTransaction,
    command: &ChangeLifecycle<'_>,
) -> Result<Labelled<PublicService>, Error> {
    let current = current(tx, command.name, command.if_match).await?;
    let revision = match command.change {
        Lifecycle::Publish => current.published(command.actor, command.now)?,
        Lifecycle::Retire => current.retired(command.actor, command.now)?,
    };
    save(tx, &current, revision).await
}

async fn delete_service(
    tx: &DatabaseTransaction,
    name: &ServiceName,
    if_match: IfMatch,
) -> Result<(), Error> {
    let current = current(tx, name, if_match).await?;
    current.check_deletable()?;
    store::services::delete(tx, current.id, current.revision)
        .await?
        .saved_or(Error::Stale)
}
