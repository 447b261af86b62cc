//! Agencies: public reads; creation and hierarchy changes by the ministry; other changes
//! by the agency's own callers too.

use jalia_db::sea_orm::DatabaseTransaction;
use jalia_db::{IdempotencyScope, Idempotent};
use jalia_model::{AgencyCode, Caller, Page, PageRequest};
use jiff::Timestamp;
use serde::{Serialize, Serializer};

use super::{Catalog, labels, methods};
use crate::domain::Error;
use crate::domain::agency::{Agency, AgencyUpdate, Labelled, NewAgency, parents};
use crate::domain::query::AgencyQuery;
use crate::store;
use crate::store::stored::Stored;

impl Catalog {
    /// GetAgency.
    pub(crate) async fn get_agency(&self, code: &AgencyCode) -> Result<Labelled<Agency>, Error> {
        let conn = self.db.connection();
        let agency = store::agencies::find(conn, code)
            .await?
            .ok_or(Error::NotFound("agency"))?;
        let agencies = labels(conn, parents([&agency])).await?;
        Ok(Labelled {
            value: agency,
            agencies,
        })
    }

    /// ListAgencies: by code, or by (update_time, code) when listing changes.
    pub(crate) async fn list_agencies(
        &self,
        caller: Option<&Caller>,
        query: &AgencyQuery,
        page: &PageRequest,
    ) -> Result<Labelled<Page<Agency>>, Error> {
        let pager = self
            .pages
            .pager(methods::LIST_AGENCIES, caller, query, page, self.now())?;
        let conn = self.db.connection();
        let rows = store::agencies::list(conn, query, pager.cursor()?, pager.fetch_limit()).await?;
        let page = pager.page(rows, store::agencies::cursor_of(query));
        let agencies = labels(conn, parents(&page.items)).await?;
        Ok(Labelled {
            value: page,
            agencies,
        })
    }

    /// CreateAgency: ministry-wide callers only.
    pub(crate) async fn create_agency(
        &self,
        caller: &Caller,
        request: NewAgency,
    ) -> Result<Labelled<Agency>, Error> {
        let command = CreateAgency {
            caller,
            request: &request,
            now: self.now(),
        };
        let scope = IdempotencyScope::new(caller, methods::CREATE_AGENCY);
        let created = self
            .db
            .create_once(
                request.request_id,
                &scope,
                &command,
                command.now,
                |tx, c| Box::pin(create_agency(tx, c)),
            )
            .await?;
        if let Idempotent::Created(Stored(created)) = &created {
            tracing::info!(agency = %created.value.code, "agency created");
            self.agency_labels.apply([&created.value]);
        }
        Ok(created.into_inner().0)
    }

    /// UpdateAgency: a caller of that agency, or a ministry-wide one; only the latter
    /// changes the kind or the parent body.
    pub(crate) async fn update_agency(
        &self,
        caller: &Caller,
        request: AgencyUpdate,
    ) -> Result<Labelled<Agency>, Error> {
        let command = UpdateAgency {
            caller,
            request: &request,
            now: self.now(),
        };
        let updated = self
            .db
            .write(&command, |tx, c| Box::pin(update_agency(tx, c)))
            .await?;
        tracing::info!(agency = %updated.value.code, version = updated.value.version, "agency updated");
        self.agency_labels.apply([&updated.value]);
        Ok(updated)
    }

    /// Whether an agency exists (demo data checks before creating).
    pub(crate) async fn agency_exists(&self, code: &AgencyCode) -> Result<bool, Error> {
        Ok(store::agencies::exists(self.db.connection(), code).await?)
    }
}

/// A create as fingerprinted: the code and the content, in their stored shape, as the
/// first release fingerprinted them, so that a retry across an upgrade still replays.
/// The caller and the time differ between tries and are left out.
struct CreateAgency<'a> {
    caller: &'a Caller,
    request: &'a NewAgency,
    now: Timestamp,
}

impl Serialize for CreateAgency<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (&self.request.code, Stored(self.request.content.clone())).serialize(serializer)
    }
}

async fn create_agency(
    tx: &DatabaseTransaction,
    command: &CreateAgency<'_>,
) -> Result<Stored<Labelled<Agency>>, Error> {
    let request = command.request;
    let lineage = match &request.content.parent_body {
        Some(parent) => store::agencies::lineage(tx, parent).await?,
        None => Some(Vec::new()),
    };
    let agency = Agency::create(
        command.caller,
        request.code.clone(),
        request.content.clone(),
        &lineage,
        command.now,
    )?;
    if !store::agencies::insert(tx, &agency).await? {
        return Err(agency.code_taken());
    }
    let agencies = labels(tx, parents([&agency])).await?;
    Ok(Stored(Labelled {
        value: agency,
        agencies,
    }))
}

struct UpdateAgency<'a> {
    caller: &'a Caller,
    request: &'a AgencyUpdate,
    now: Timestamp,
}

async fn update_agency(
    tx: &DatabaseTransaction,
    command: &UpdateAgency<'_>,
) -> Result<Labelled<Agency>, Error> {
    let request = command.request;
    let current = store::agencies::find(tx, &request.code)
        .await?
        .ok_or(Error::NotFound("agency"))?;
    request.if_match.check(current.version)?;
    let lineage = match request.patch.new_parent(&current.content) {
        Some(parent) => store::agencies::lineage(tx, parent).await?,
        None => Some(Vec::new()),
    };
    let updated = current.updated(command.caller, request.patch.clone(), &lineage, command.now)?;
    store::agencies::update(tx, &updated, current.version)
        .await?
        .saved_or(Error::Stale)?;
    let agencies = labels(tx, parents([&updated])).await?;
    Ok(Labelled {
        value: updated,
        agencies,
    })
}
