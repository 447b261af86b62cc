//! Inquiry categories: listing, creating and changing them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use jalia_db::IdempotencyScope;
use jalia_model::{AgencyCode, Caller, Page, PageRequest};
use jiff::Timestamp;
use serde::{Serialize, Serializer};
use uuid::Uuid;

use super::{Inquiries, Made, methods};
use crate::domain::Error;
use crate::domain::access::{check_parent, check_visible};
use crate::domain::category::{Category, CreateCategoryCommand, UpdateCategoryCommand};
use crate::domain::query::{CategoryFilter, IdCursor};
use crate::store;
use crate::store::stored::CategoryReplay;

/// The categories a replica keeps at most; past this it forgets them all and reads them
/// again (an agency has a few dozen).
const MOST_KEPT: usize = 1024;

/// The categories this replica's submissions were made in, so that a submission reads
/// none. A kept category may be older than the stored one (another replica changed it):
/// each submission batch compares the versions it used with the stored ones in its
/// transaction, and runs its calls alone on fresh reads if one differs
/// (`submission_batch`). A change made here forgets the category at once.
#[derive(Clone, Debug, Default)]
pub(super) struct KeptCategories(Arc<Mutex<HashMap<Uuid, Category>>>);

impl KeptCategories {
    /// Ids are unique across agencies, so the map is by id; the agency must still match.
    fn get(&self, agency: &AgencyCode, id: Uuid) -> Option<Category> {
        let kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        kept.get(&id)
            .filter(|category| &category.agency == agency)
            .cloned()
    }

    fn keep(&self, category: &Category) {
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.len() >= MOST_KEPT {
            kept.clear();
        }
        kept.insert(category.id, category.clone());
    }

    fn forget(&self, id: Uuid) {
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        kept.remove(&id);
    }
}

/// A category under `create_once`.
struct NewCategory<'a> {
    command: &'a CreateCategoryCommand,
    id: Uuid,
    now: Timestamp,
}

impl Serialize for NewCategory<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        retry_key(self.command).serialize(serializer)
    }
}

/// What a retry is compared by: `[agency, names, default days]`, the fingerprint earlier
/// releases stored too, with `true` after them for working days. The fresh id and the
/// time differ between tries, so they are left out.
fn retry_key(command: &CreateCategoryCommand) -> impl Serialize + '_ {
    let (agency, names, days) = (
        command.agency.as_str(),
        &command.display_name,
        command.default_response_days,
    );
    if command.count_working_days {
        RetryKey::WorkingDays((agency, names, days, true))
    } else {
        RetryKey::CalendarDays((agency, names, days))
    }
}

#[derive(Serialize)]
#[serde(untagged)]
enum RetryKey<'a> {
    CalendarDays((&'a str, &'a jalia_model::LocalizedText, i64)),
    WorkingDays((&'a str, &'a jalia_model::LocalizedText, i64, bool)),
}

impl Inquiries {
    /// A page of categories: an agency's, or every agency's. Categories hold nothing
    /// private, so any reader may list any agency's.
    pub(crate) async fn list_categories(
        &self,
        caller: &Caller,
        filter: &CategoryFilter,
        page: &PageRequest,
    ) -> Result<Page<Category>, Error> {
        let pager = self.pages.pager(
            methods::LIST_INQUIRY_CATEGORIES,
            Some(caller),
            filter,
            page,
            self.now(),
        )?;
        let after: Option<IdCursor> = pager.cursor()?;
        let rows = store::categories::list(
            self.db.connection(),
            filter,
            after.map(|cursor| cursor.id),
            pager.fetch_limit(),
        )
        .await?;
        Ok(pager.page(rows, |last| IdCursor { id: last.id }))
    }

    /// Creates a category; a retry with the same request_id returns the same category.
    pub(crate) async fn create_category(
        &self,
        caller: &Caller,
        command: CreateCategoryCommand,
    ) -> Result<Category, Error> {
        check_parent(caller, &command.agency)?;
        let now = self.now();
        let new = NewCategory {
            command: &command,
            id: Uuid::now_v7(),
            now,
        };
        let scope = IdempotencyScope::new(caller, methods::CREATE_INQUIRY_CATEGORY);
        let made = self
            .db
            .create_once(command.request_id, &scope, &new, now, |tx, new| {
                Box::pin(async move {
                    let category = Category::create(new.id, new.command, new.now);
                    store::categories::insert(tx, &category).await?;
                    Ok::<_, Error>(Made::new(
                        CategoryReplay {
                            category_id: category.id,
                        },
                        category,
                    ))
                })
            })
            .await?
            .into_inner();
        let category = match made {
            Made {
                made: Some(category),
                ..
            } => category,
            Made { replay, .. } => {
                store::categories::find(self.db.connection(), &command.agency, replay.category_id)
                    .await?
                    .ok_or_else(|| Error::Internal("a replayed category is missing".to_owned()))?
            }
        };
        tracing::info!(
            category_id = %category.id,
            agency = %category.agency,
            "inquiry category created"
        );
        Ok(category)
    }

    /// The category `id` of `agency` for a submission: the one kept, else the stored one
    /// (then kept). INVALID_ARGUMENT, naming `inquiry.category`, when there is none.
    pub(super) async fn submission_category(
        &self,
        agency: &AgencyCode,
        id: Uuid,
    ) -> Result<Category, Error> {
        if let Some(category) = self.kept.get(agency, id) {
            return Ok(category);
        }
        self.stored_category(agency, id).await
    }

    /// The stored category `id` of `agency`, read now and kept.
    pub(super) async fn stored_category(
        &self,
        agency: &AgencyCode,
        id: Uuid,
    ) -> Result<Category, Error> {
        let category = store::categories::find(self.db.connection(), agency, id)
            .await?
            .ok_or_else(|| Error::invalid("inquiry.category", "no such category in this agency"))?;
        self.kept.keep(&category);
        Ok(category)
    }

    /// Changes a category's names or default response time.
    pub(crate) async fn update_category(
        &self,
        caller: &Caller,
        command: UpdateCategoryCommand,
    ) -> Result<Category, Error> {
        check_visible(caller, &command.name.agency, "inquiry category")?;
        let now = self.now();
        let category = self
            .db
            .write(&(self, &command, now), |tx, (this, command, now)| {
                Box::pin(async move {
                    let mut category = store::categories::lock(
                        tx,
                        this.db.backend(),
                        &command.name.agency,
                        command.name.id,
                    )
                    .await?
                    .ok_or(Error::NotFound("inquiry category"))?;
                    category.update(command, *now)?;
                    store::categories::update(tx, &category).await?;
                    Ok::<_, Error>(category)
                })
            })
            .await?;
        self.kept.forget(category.id);
        tracing::info!(category_id = %category.id, "inquiry category updated");
        Ok(category)
    }
}

#[cfg(test)]
mod tests {
    use jalia_model::{AgencyCode, LocalizedText};

    use super::*;

    #[test]
    fn a_retry_is_compared_by_what_earlier_releases_stored() {
        let command = CreateCategoryCommand {
            agency: AgencyCode::parse("bm").unwrap(),
            request_id: None,
            display_name: LocalizedText::single("fr", "Permis de construire")
                .with("ar", "رخصة البناء"),
            default_response_days: 15,
            count_working_days: false,
        };
        assert_eq!(
            serde_json::to_string(&retry_key(&command)).unwrap(),
            r#"["bm",{"ar":"رخصة البناء","fr":"Permis de construire"},15]"#
        );
        let working = CreateCategoryCommand {
            count_working_days: true,
            ..command
        };
        assert_eq!(
            serde_json::to_string(&retry_key(&working)).unwrap(),
            r#"["bm",{"ar":"رخصة البناء","fr":"Permis de construire"},15,true]"#
        );
    }
}
