//! Agencies: public reads; creation and hierarchy changes by the ministry; other changes
//! by the agency's own callers too.

use std::collections::BTreeSet;

use jalia_db::Backend;
use jalia_db::sea_orm::DatabaseTransaction;
use jalia_model::{AgencyCode, Caller, FieldViolation};
use jiff::Timestamp;
use uuid::Uuid;

use super::{Catalog, Labelled, fresh, idempotency, method_path};
use crate::domain::agency::{Agency, AgencyContent, AgencyPatch, MAX_PARENT_DEPTH};
use crate::domain::query::{AgencyCursor, AgencyQuery, Page, PageRequest};
use crate::domain::{Error, etag_matches};
use crate::store;

const PARENT_FIELD: &str = "agency.parent_body.name";

impl Catalog {
    /// GetAgency.
    pub async fn get_agency(&self, code: &AgencyCode) -> Result<Labelled<Agency>, Error> {
        let agency = store::agencies::find(self.db.connection(), code)
            .await?
            .ok_or(Error::NotFound("agency"))?;
        let agencies = self.labels(parents([&agency])).await?;
        Ok(Labelled {
            value: agency,
            agencies,
        })
    }

    /// ListAgencies.
    pub async fn list_agencies(
        &self,
        agency_claim: &str,
        query: &AgencyQuery,
        page: &PageRequest,
    ) -> Result<Labelled<Page<Agency>>, Error> {
        let method = method_path("ListAgencies");
        let after: Option<AgencyCursor> = self.open_cursor(&method, agency_claim, query, page)?;
        let rows =
            store::agencies::list(self.db.connection(), query, after.as_ref(), page.size).await?;
        let by_update = query.updated_after.is_some();
        let page = self.page(&method, agency_claim, query, page, rows, |agency| {
            if by_update {
                AgencyCursor::Updated(
                    jalia_db::to_micros(agency.update_time),
                    agency.code.to_string(),
                )
            } else {
                AgencyCursor::Code(agency.code.to_string())
            }
        })?;
        let agencies = self.labels(parents(&page.items)).await?;
        Ok(Labelled {
            value: page,
            agencies,
        })
    }

    /// CreateAgency: ministry-wide callers only.
    pub async fn create_agency(
        &self,
        caller: &Caller,
        code: AgencyCode,
        content: AgencyContent,
        request_id: Option<Uuid>,
    ) -> Result<Labelled<Agency>, Error> {
        if !caller.is_ministry_wide() {
            return Err(Error::permission_denied(
                "MINISTRY_ONLY",
                "only ministry-wide callers create agencies",
            ));
        }
        let now = self.clock.now();
        let agency = Agency {
            code,
            content,
            create_time: now,
            update_time: now,
            version: 1,
        };
        let input = CreateAgency {
            backend: self.db.backend(),
            agency: &agency,
        };
        let (created, fresh_create) = match request_id {
            Some(request_id) => {
                let command = (&agency.code, &agency.content);
                let (key, fingerprint) = idempotency(caller, "CreateAgency", request_id, &command)?;
                fresh(
                    self.db
                        .idempotent(&key, fingerprint, now, &input, |tx, input| {
                            Box::pin(create_agency(tx, input))
                        })
                        .await?,
                )
            }
            None => (
                self.db
                    .write(&input, |tx, input| Box::pin(create_agency(tx, input)))
                    .await?,
                true,
            ),
        };
        if fresh_create {
            tracing::info!(agency = %created.code, "agency created");
        }
        let agencies = self.labels(parents([&created])).await?;
        Ok(Labelled {
            value: created,
            agencies,
        })
    }

    /// UpdateAgency: a caller of that agency, or a ministry-wide one; only the latter
    /// changes the kind or the parent body.
    pub async fn update_agency(
        &self,
        caller: &Caller,
        code: AgencyCode,
        patch: AgencyPatch,
        etag: &str,
    ) -> Result<Labelled<Agency>, Error> {
        if !caller.acts_for(code.as_str()) {
            return Err(Error::permission_denied(
                "OTHER_AGENCY",
                "only the agency's own callers or ministry-wide ones change it",
            ));
        }
        let input = UpdateAgency {
            backend: self.db.backend(),
            ministry_wide: caller.is_ministry_wide(),
            code: &code,
            patch: &patch,
            etag,
            now: self.clock.now(),
        };
        let updated = self
            .db
            .write(&input, |tx, input| Box::pin(update_agency(tx, input)))
            .await?;
        tracing::info!(agency = %updated.code, version = updated.version, "agency updated");
        let agencies = self.labels(parents([&updated])).await?;
        Ok(Labelled {
            value: updated,
            agencies,
        })
    }
}

fn parents<'a>(agencies: impl IntoIterator<Item = &'a Agency>) -> BTreeSet<AgencyCode> {
    agencies
        .into_iter()
        .filter_map(|agency| agency.content.parent_body.clone())
        .collect()
}

struct CreateAgency<'a> {
    backend: Backend,
    agency: &'a Agency,
}

async fn create_agency(
    tx: &DatabaseTransaction,
    input: &CreateAgency<'_>,
) -> Result<Agency, Error> {
    if let Some(parent) = &input.agency.content.parent_body
        && store::agencies::find_for_update(tx, input.backend, parent)
            .await?
            .is_none()
    {
        return Err(Error::invalid(
            PARENT_FIELD,
            format!("there is no agency `{parent}`"),
        ));
    }
    store::agencies::insert(tx, input.agency).await?;
    Ok(input.agency.clone())
}

struct UpdateAgency<'a> {
    backend: Backend,
    ministry_wide: bool,
    code: &'a AgencyCode,
    patch: &'a AgencyPatch,
    etag: &'a str,
    now: Timestamp,
}

async fn update_agency(
    tx: &DatabaseTransaction,
    input: &UpdateAgency<'_>,
) -> Result<Agency, Error> {
    let current = store::agencies::find_for_update(tx, input.backend, input.code)
        .await?
        .ok_or(Error::NotFound("agency"))?;
    if !etag_matches(input.etag, current.version) {
        return Err(Error::Aborted);
    }
    let content = input.patch.clone().apply(current.content.clone());
    let moves =
        content.kind != current.content.kind || content.parent_body != current.content.parent_body;
    if moves && !input.ministry_wide {
        return Err(Error::permission_denied(
            "MINISTRY_ONLY",
            "only ministry-wide callers change an agency's kind or parent body",
        ));
    }
    let mut violations: Vec<FieldViolation> = Vec::new();
    if let Err(found) = content.check() {
        violations.extend(found.into_iter().map(|v| v.under("agency")));
    }
    if content.parent_body != current.content.parent_body
        && let Some(parent) = &content.parent_body
        && let Some(problem) = hierarchy_problem(tx, input.code, parent).await?
    {
        violations.push(FieldViolation::new(PARENT_FIELD, problem));
    }
    if !violations.is_empty() {
        return Err(Error::InvalidArgument(violations));
    }
    let updated = Agency {
        content,
        update_time: input.now,
        version: current.version + 1,
        ..current.clone()
    };
    store::agencies::update(tx, &updated, current.version).await?;
    Ok(updated)
}

/// Why `parent` cannot be the parent body of `code`: it does not exist, is the agency
/// itself, or has the agency above it (a cycle).
async fn hierarchy_problem(
    tx: &DatabaseTransaction,
    code: &AgencyCode,
    parent: &AgencyCode,
) -> Result<Option<String>, Error> {
    if parent == code {
        return Ok(Some("an agency cannot be its own parent body".to_owned()));
    }
    let mut above = parent.clone();
    for _ in 0..MAX_PARENT_DEPTH {
        match store::agencies::parent_of(tx, &above).await? {
            None if &above == parent => {
                return Ok(Some(format!("there is no agency `{parent}`")));
            }
            None | Some(None) => return Ok(None),
            Some(Some(next)) if &next == code => {
                return Ok(Some(format!(
                    "`{parent}` reports to `{code}` already: this would make a cycle"
                )));
            }
            Some(Some(next)) => above = next,
        }
    }
    Ok(Some(format!(
        "the chain of parent bodies above `{parent}` is deeper than {MAX_PARENT_DEPTH}"
    )))
}
