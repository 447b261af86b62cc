//! Attachments: their metadata (always here), and the database's `AttachmentStore` of
//! their content, the embedded default.

use jalia_db::sea_orm::sea_query::{Expr, Query};
use jalia_db::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect,
};
use jalia_db::{Backend, Db, StoredCode, from_micros, lock_for_update, to_micros};
use jalia_model::AgencyCode;
use jiff::Timestamp;
use uuid::Uuid;

use super::corrupt;
use super::entities::{attachment, attachment_content};
use crate::domain::Error;
use crate::domain::attachment::{
    AttachedTo, Attachment, AttachmentStore, FileName, MediaType, StoreFuture, Uploader,
};

impl StoredCode for MediaType {
    const WHAT: &'static str = "media type";

    fn all() -> &'static [Self] {
        &[Self::Pdf, Self::Jpeg, Self::Png]
    }

    fn code(self) -> i32 {
        match self {
            Self::Pdf => 1,
            Self::Jpeg => 2,
            Self::Png => 3,
        }
    }
}

impl StoredCode for Uploader {
    const WHAT: &'static str = "uploader";

    fn all() -> &'static [Self] {
        &[Self::Citizen, Self::Staff]
    }

    fn code(self) -> i32 {
        match self {
            Self::Citizen => 1,
            Self::Staff => 2,
        }
    }
}

/// Stores a new upload's metadata.
pub(crate) async fn insert<C: ConnectionTrait>(conn: &C, value: &Attachment) -> Result<(), Error> {
    attachment::Entity::insert(row(value)?.into_active_model().reset_all())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The attachment `id`.
pub(crate) async fn find<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<Attachment>, Error> {
    attachment::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(from_row)
        .transpose()
}

/// The attachments `ids` that exist, locked until the transaction ends, so that two
/// requests attaching one upload run one after the other.
pub(crate) async fn lock_many<C: ConnectionTrait>(
    conn: &C,
    backend: Backend,
    ids: &[Uuid],
) -> Result<Vec<Attachment>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let select = attachment::Entity::find()
        .filter(attachment::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(attachment::Column::Id);
    lock_for_update(select, backend)
        .all(conn)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// Records where `attached` (checked, under their locks) are now attached. An upload
/// found attached already is a lost race: refused as a conflict, never attached twice.
pub(crate) async fn mark_attached<C: ConnectionTrait>(
    conn: &C,
    attached: &[Attachment],
) -> Result<(), Error> {
    for value in attached {
        let Some(to) = value.attached else {
            return Err(Error::Internal(
                "an attachment to mark is not attached".to_owned(),
            ));
        };
        let result = attachment::Entity::update_many()
            .col_expr(attachment::Column::InquiryId, Expr::value(to.inquiry_id))
            .col_expr(attachment::Column::MessageId, Expr::value(to.message_id))
            .col_expr(
                attachment::Column::AttachedAt,
                Expr::value(to_micros(to.at)),
            )
            .filter(attachment::Column::Id.eq(value.id))
            .filter(attachment::Column::InquiryId.is_null())
            .exec(conn)
            .await?;
        if result.rows_affected != 1 {
            return Err(Error::precondition(
                jalia_model::reasons::ATTACHMENT_ALREADY_ATTACHED,
                "an attachment is already attached",
            ));
        }
    }
    Ok(())
}

/// Every attachment of an inquiry (its submission's and its messages'), oldest first.
pub(crate) async fn of_inquiry<C: ConnectionTrait>(
    conn: &C,
    inquiry_id: Uuid,
) -> Result<Vec<Attachment>, Error> {
    attachment::Entity::find()
        .filter(attachment::Column::InquiryId.eq(inquiry_id))
        .order_by_asc(attachment::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// The bytes an inquiry's attachments take together.
pub(crate) async fn inquiry_bytes<C: ConnectionTrait>(
    conn: &C,
    inquiry_id: Uuid,
) -> Result<u64, Error> {
    let sizes: Vec<i64> = attachment::Entity::find()
        .select_only()
        .column(attachment::Column::SizeBytes)
        .filter(attachment::Column::InquiryId.eq(inquiry_id))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(sizes
        .into_iter()
        .map(|size| u64::try_from(size).unwrap_or(0))
        .sum())
}

/// Deletes an inquiry's attachments inside the caller's transaction (retention,
/// erasure): their metadata, and their content when it is in the database. Returns
/// their ids, whose content the `AttachmentStore` forgets after the commit.
pub(crate) async fn delete_for_inquiry<C: ConnectionTrait>(
    conn: &C,
    inquiry_id: Uuid,
) -> Result<Vec<Uuid>, Error> {
    let ids: Vec<Uuid> = attachment::Entity::find()
        .select_only()
        .column(attachment::Column::Id)
        .filter(attachment::Column::InquiryId.eq(inquiry_id))
        .into_tuple()
        .all(conn)
        .await?;
    if ids.is_empty() {
        return Ok(ids);
    }
    attachment::Entity::delete_many()
        .filter(attachment::Column::InquiryId.eq(inquiry_id))
        .exec(conn)
        .await?;
    delete_contents(conn, &ids).await?;
    Ok(ids)
}

/// Up to `limit` unattached uploads expired at `now`.
pub(crate) async fn expired_uploads<C: ConnectionTrait>(
    conn: &C,
    now: Timestamp,
    limit: u64,
) -> Result<Vec<Uuid>, Error> {
    Ok(attachment::Entity::find()
        .select_only()
        .column(attachment::Column::Id)
        .filter(attachment::Column::InquiryId.is_null())
        .filter(attachment::Column::ExpiresAt.lte(to_micros(now)))
        .order_by_asc(attachment::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await?)
}

/// Deletes the metadata of those of `ids` still unattached and expired at `now` (one
/// attached meanwhile stays); returns the ids deleted.
pub(crate) async fn delete_expired<C: ConnectionTrait>(
    conn: &C,
    backend: Backend,
    ids: &[Uuid],
    now: Timestamp,
) -> Result<Vec<Uuid>, Error> {
    let doomed: Vec<Uuid> = lock_many(conn, backend, ids)
        .await?
        .into_iter()
        .filter(|value| value.attached.is_none() && value.expires_at <= now)
        .map(|value| value.id)
        .collect();
    if !doomed.is_empty() {
        attachment::Entity::delete_many()
            .filter(attachment::Column::Id.is_in(doomed.iter().copied()))
            .exec(conn)
            .await?;
    }
    Ok(doomed)
}

async fn delete_contents<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> Result<u64, Error> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(attachment_content::Entity::delete_many()
        .filter(attachment_content::Column::AttachmentId.is_in(ids.iter().copied()))
        .exec(conn)
        .await?
        .rows_affected)
}

fn row(value: &Attachment) -> Result<attachment::Model, Error> {
    Ok(attachment::Model {
        id: value.id,
        agency: value.agency.as_str().to_owned(),
        file_name: value.file_name.expose().to_owned(),
        media_type: value.media_type.code(),
        size_bytes: i64::try_from(value.size).map_err(|_| corrupt("attachment size"))?,
        sha256: value.sha256.clone(),
        uploader: value.uploader.code(),
        created_at: to_micros(value.created_at),
        expires_at: to_micros(value.expires_at),
        inquiry_id: value.attached.map(|to| to.inquiry_id),
        message_id: value.attached.and_then(|to| to.message_id),
        attached_at: value.attached.map(|to| to_micros(to.at)),
    })
}

fn from_row(row: attachment::Model) -> Result<Attachment, Error> {
    let attached = match (row.inquiry_id, row.attached_at) {
        (Some(inquiry_id), Some(at)) => Some(AttachedTo {
            inquiry_id,
            message_id: row.message_id,
            at: from_micros(at),
        }),
        (None, None) => None,
        _ => return Err(corrupt("attachment link")),
    };
    Ok(Attachment {
        id: row.id,
        agency: AgencyCode::parse(&row.agency).map_err(|_| corrupt("attachment agency"))?,
        file_name: FileName::from_stored(row.file_name),
        media_type: MediaType::from_code(row.media_type)?,
        size: u64::try_from(row.size_bytes).map_err(|_| corrupt("attachment size"))?,
        sha256: row.sha256,
        uploader: Uploader::from_code(row.uploader)?,
        created_at: from_micros(row.created_at),
        expires_at: from_micros(row.expires_at),
        attached,
    })
}

/// The embedded `AttachmentStore`: contents in a table of the service's own database.
#[derive(Debug, Clone)]
pub(crate) struct DbAttachmentStore {
    db: Db,
}

impl DbAttachmentStore {
    /// Contents in `db`.
    pub(crate) fn new(db: Db) -> Self {
        Self { db }
    }
}

impl AttachmentStore for DbAttachmentStore {
    fn put(&self, id: Uuid, content: Vec<u8>, now: Timestamp) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let row = attachment_content::Model {
                attachment_id: id,
                content,
                created_at: to_micros(now),
            };
            attachment_content::Entity::insert(row.into_active_model().reset_all())
                .exec_without_returning(self.db.connection())
                .await?;
            Ok(())
        })
    }

    fn get(&self, id: Uuid) -> StoreFuture<'_, Option<Vec<u8>>> {
        Box::pin(async move {
            Ok(attachment_content::Entity::find_by_id(id)
                .one(self.db.connection())
                .await?
                .map(|row| row.content))
        })
    }

    fn delete<'a>(&'a self, ids: &'a [Uuid]) -> StoreFuture<'a, u64> {
        Box::pin(async move { delete_contents(self.db.connection(), ids).await })
    }

    fn sweep(&self, put_before: Timestamp) -> StoreFuture<'_, u64> {
        Box::pin(async move {
            let named = Query::select()
                .column(attachment::Column::Id)
                .from(attachment::Entity)
                .to_owned();
            Ok(attachment_content::Entity::delete_many()
                .filter(attachment_content::Column::CreatedAt.lt(to_micros(put_before)))
                .filter(attachment_content::Column::AttachmentId.not_in_subquery(named))
                .exec(self.db.connection())
                .await?
                .rows_affected)
        })
    }
}
