//! Categories and life events: public reads, changes by ministry-wide callers only.

use jalia_db::sea_orm::DatabaseTransaction;
use jalia_db::{IdempotencyScope, Idempotent};
use jalia_model::{Caller, Page, PageRequest};
use jiff::Timestamp;
use serde::{Serialize, Serializer};
use uuid::Uuid;

use super::{Catalog, methods};
use crate::domain::Error;
use crate::domain::query::TermQuery;
use crate::domain::taxonomy::{NewTerm, Term, TermKind, TermUpdate};
use crate::store;
use crate::store::stored::Stored;

fn list_method(kind: TermKind) -> &'static str {
    match kind {
        TermKind::Category => methods::LIST_CATEGORIES,
        TermKind::LifeEvent => methods::LIST_LIFE_EVENTS,
    }
}

fn create_method(kind: TermKind) -> &'static str {
    match kind {
        TermKind::Category => methods::CREATE_CATEGORY,
        TermKind::LifeEvent => methods::CREATE_LIFE_EVENT,
    }
}

impl Catalog {
    /// GetCategory and GetLifeEvent.
    pub(crate) async fn get_term(&self, kind: TermKind, id: Uuid) -> Result<Term, Error> {
        store::terms::find(self.db.connection(), kind, id)
            .await?
            .ok_or(Error::NotFound(kind.noun()))
    }

    /// ListCategories and ListLifeEvents: by id (creation order), or by (update_time,
    /// id) when listing changes.
    pub(crate) async fn list_terms(
        &self,
        caller: Option<&Caller>,
        query: &TermQuery,
        page: &PageRequest,
    ) -> Result<Page<Term>, Error> {
        let method = list_method(query.kind);
        let pager = self.pages.pager(method, caller, query, page, self.now())?;
        let conn = self.db.connection();
        let rows = store::terms::list(conn, query, pager.cursor()?, pager.fetch_limit()).await?;
        Ok(pager.page(rows, store::terms::cursor_of(query)))
    }

    /// CreateCategory and CreateLifeEvent.
    pub(crate) async fn create_term(
        &self,
        caller: &Caller,
        request: NewTerm,
    ) -> Result<Term, Error> {
        let command = CreateTerm {
            caller,
            request: &request,
            now: self.now(),
        };
        let scope = IdempotencyScope::new(caller, create_method(request.kind));
        let created = self
            .db
            .create_once(
                request.request_id,
                &scope,
                &command,
                command.now,
                |tx, c| Box::pin(create_term(tx, c)),
            )
            .await?;
        if let Idempotent::Created(Stored(term)) = &created {
            tracing::info!(term_id = %term.id, kind = term.kind.noun(), "taxonomy term created");
        }
        Ok(created.into_inner().0)
    }

    /// UpdateCategory and UpdateLifeEvent.
    pub(crate) async fn update_term(
        &self,
        caller: &Caller,
        request: TermUpdate,
    ) -> Result<Term, Error> {
        request.kind.check_changer(caller)?;
        let command = UpdateTerm {
            request: &request,
            now: self.now(),
        };
        let updated = self
            .db
            .write(&command, |tx, c| Box::pin(update_term(tx, c)))
            .await?;
        tracing::info!(term_id = %updated.id, version = updated.version, "taxonomy term updated");
        Ok(updated)
    }
}

/// A create as fingerprinted: the content in its stored shape, as the first release
/// fingerprinted it (the kind is in the method), so that a retry across an upgrade still
/// replays. The caller and the time differ between tries and are left out.
struct CreateTerm<'a> {
    caller: &'a Caller,
    request: &'a NewTerm,
    now: Timestamp,
}

impl Serialize for CreateTerm<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Stored(self.request.content.clone()).serialize(serializer)
    }
}

async fn create_term(
    tx: &DatabaseTransaction,
    command: &CreateTerm<'_>,
) -> Result<Stored<Term>, Error> {
    let request = command.request;
    let term = Term::create(
        command.caller,
        request.kind,
        request.content.clone(),
        command.now,
    )?;
    store::terms::insert(tx, &term).await?;
    Ok(Stored(term))
}

struct UpdateTerm<'a> {
    request: &'a TermUpdate,
    now: Timestamp,
}

async fn update_term(tx: &DatabaseTransaction, command: &UpdateTerm<'_>) -> Result<Term, Error> {
    let request = command.request;
    let current = store::terms::find(tx, request.kind, request.id)
        .await?
        .ok_or(Error::NotFound(request.kind.noun()))?;
    request.if_match.check(current.version)?;
    let updated = current.updated(request.patch.clone(), command.now);
    store::terms::update(tx, &updated, current.version)
        .await?
        .saved_or(Error::Stale)?;
    Ok(updated)
}
