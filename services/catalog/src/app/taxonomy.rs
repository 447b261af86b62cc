//! Categories and life events: public reads, changes by ministry-wide callers only.

use jalia_db::Backend;
use jalia_db::sea_orm::DatabaseTransaction;
use jalia_model::Caller;
use jiff::Timestamp;
use uuid::Uuid;

use super::{Catalog, fresh, idempotency, method_path};
use crate::domain::query::{IdCursor, Page, PageRequest, TermQuery};
use crate::domain::taxonomy::{Term, TermContent, TermKind, TermPatch};
use crate::domain::{Error, etag_matches};
use crate::store;

fn ministry_only(caller: &Caller, kind: TermKind) -> Result<(), Error> {
    if caller.is_ministry_wide() {
        Ok(())
    } else {
        Err(Error::permission_denied(
            "MINISTRY_ONLY",
            format!(
                "only ministry-wide callers change the {} taxonomy",
                kind.noun()
            ),
        ))
    }
}

fn method(kind: TermKind, verb: &str) -> String {
    let resource = match kind {
        TermKind::Category => ("Category", "Categories"),
        TermKind::LifeEvent => ("LifeEvent", "LifeEvents"),
    };
    match verb {
        "List" => format!("List{}", resource.1),
        verb => format!("{verb}{}", resource.0),
    }
}

impl Catalog {
    /// GetCategory and GetLifeEvent.
    pub async fn get_term(&self, kind: TermKind, id: Uuid) -> Result<Term, Error> {
        store::terms::find(self.db.connection(), kind, id)
            .await?
            .ok_or(Error::NotFound(kind.noun()))
    }

    /// ListCategories and ListLifeEvents.
    pub async fn list_terms(
        &self,
        agency_claim: &str,
        query: &TermQuery,
        page: &PageRequest,
    ) -> Result<Page<Term>, Error> {
        let method = method_path(&method(query.kind, "List"));
        let after: Option<IdCursor> = self.open_cursor(&method, agency_claim, query, page)?;
        let rows = store::terms::list(self.db.connection(), query, after, page.size).await?;
        let by_update = query.updated_after.is_some();
        self.page(&method, agency_claim, query, page, rows, |term| {
            if by_update {
                IdCursor::Updated(jalia_db::to_micros(term.update_time), term.id)
            } else {
                IdCursor::Id(term.id)
            }
        })
    }

    /// CreateCategory and CreateLifeEvent.
    pub async fn create_term(
        &self,
        caller: &Caller,
        kind: TermKind,
        content: TermContent,
        request_id: Option<Uuid>,
    ) -> Result<Term, Error> {
        ministry_only(caller, kind)?;
        let now = self.clock.now();
        let term = Term {
            id: Uuid::now_v7(),
            kind,
            content,
            create_time: now,
            update_time: now,
            version: 1,
        };
        let (created, fresh_create) = match request_id {
            Some(request_id) => {
                let (key, fingerprint) =
                    idempotency(caller, &method(kind, "Create"), request_id, &term.content)?;
                fresh(
                    self.db
                        .idempotent(&key, fingerprint, now, &term, |tx, term| {
                            Box::pin(create_term(tx, term))
                        })
                        .await?,
                )
            }
            None => (
                self.db
                    .write(&term, |tx, term| Box::pin(create_term(tx, term)))
                    .await?,
                true,
            ),
        };
        if fresh_create {
            tracing::info!(term_id = %created.id, kind = kind.noun(), "taxonomy term created");
        }
        Ok(created)
    }

    /// Creates a term with a chosen id, or returns it unchanged when that id exists
    /// already: what demo data needs to load twice without change.
    pub(crate) async fn ensure_term(
        &self,
        caller: &Caller,
        kind: TermKind,
        id: Uuid,
        content: TermContent,
    ) -> Result<Term, Error> {
        ministry_only(caller, kind)?;
        if let Some(existing) = store::terms::find(self.db.connection(), kind, id).await? {
            return Ok(existing);
        }
        let now = self.clock.now();
        let term = Term {
            id,
            kind,
            content,
            create_time: now,
            update_time: now,
            version: 1,
        };
        self.db
            .write(&term, |tx, term| Box::pin(create_term(tx, term)))
            .await
    }

    /// UpdateCategory and UpdateLifeEvent.
    pub async fn update_term(
        &self,
        caller: &Caller,
        kind: TermKind,
        id: Uuid,
        patch: TermPatch,
        etag: &str,
    ) -> Result<Term, Error> {
        ministry_only(caller, kind)?;
        let input = UpdateTerm {
            backend: self.db.backend(),
            kind,
            id,
            patch: &patch,
            etag,
            now: self.clock.now(),
        };
        let updated = self
            .db
            .write(&input, |tx, input| Box::pin(update_term(tx, input)))
            .await?;
        tracing::info!(term_id = %updated.id, version = updated.version, "taxonomy term updated");
        Ok(updated)
    }
}

async fn create_term(tx: &DatabaseTransaction, term: &Term) -> Result<Term, Error> {
    store::terms::insert(tx, term).await?;
    Ok(term.clone())
}

struct UpdateTerm<'a> {
    backend: Backend,
    kind: TermKind,
    id: Uuid,
    patch: &'a TermPatch,
    etag: &'a str,
    now: Timestamp,
}

async fn update_term(tx: &DatabaseTransaction, input: &UpdateTerm<'_>) -> Result<Term, Error> {
    let current = store::terms::find_for_update(tx, input.backend, input.kind, input.id)
        .await?
        .ok_or(Error::NotFound(input.kind.noun()))?;
    if !etag_matches(input.etag, current.version) {
        return Err(Error::Aborted);
    }
    let updated = Term {
        content: input.patch.clone().apply(current.content.clone()),
        update_time: input.now,
        version: current.version + 1,
        ..current.clone()
    };
    store::terms::update(tx, &updated, current.version).await?;
    Ok(updated)
}
