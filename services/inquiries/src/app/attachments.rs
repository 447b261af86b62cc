//! Attachments: uploading (content first into the `AttachmentStore`, then the metadata
//! in one write), attaching inside the transaction of the submission or message that
//! carries them, downloading by staff or by the citizen's tracking code, and deleting
//! expired uploads and a retained inquiry's documents.

use jalia_db::Backend;
use jalia_db::sea_orm::DatabaseTransaction;
use jalia_model::Caller;
use jiff::{SignedDuration, Timestamp};
use uuid::Uuid;

use super::Inquiries;
use crate::domain::Error;
use crate::domain::access::{check_parent, check_visible};
use crate::domain::attachment::{
    AttachTarget, Attachment, AttachmentLimits, AttachmentName, Upload, Uploader, attach,
};
use crate::domain::message::{Message, Visibility};
use crate::store;

/// How many expired uploads are deleted per transaction.
const EXPIRY_BATCH: u64 = 100;

/// A document and its content, for a download.
#[derive(Debug)]
pub(crate) struct Download {
    /// Its metadata.
    pub attachment: Attachment,
    /// Its content.
    pub content: Vec<u8>,
}

impl Inquiries {
    /// The operator's limits on documents.
    pub(crate) fn attachment_limits(&self) -> AttachmentLimits {
        self.limits
    }

    /// Keeps an upload until it is attached or expires. A staff upload is for the
    /// caller's agency; a citizen's is for the agency of the inquiry it will go to.
    pub(crate) async fn upload(
        &self,
        caller: &Caller,
        upload: Upload,
    ) -> Result<Attachment, Error> {
        if upload.uploader() == Uploader::Staff {
            check_parent(caller, upload.agency())?;
        }
        let now = self.now();
        let (attachment, content) =
            upload.finish(Uuid::now_v7(), now, self.limits.upload_expiry)?;
        self.contents.put(attachment.id, content, now).await?;
        let written = self
            .db
            .write(&attachment, |tx, attachment| {
                Box::pin(store::attachments::insert(tx, attachment))
            })
            .await;
        if let Err(err) = written {
            // The content is unreachable without its metadata; the sweep takes it if
            // this goes too.
            if let Err(cleanup) = self.contents.delete(&[attachment.id]).await {
                tracing::warn!(error = %cleanup, attachment_id = %attachment.id, "an orphan upload's content stays until the sweep");
            }
            return Err(err);
        }
        tracing::info!(
            attachment_id = %attachment.id,
            uploader = ?attachment.uploader,
            size = attachment.size,
            "attachment uploaded"
        );
        Ok(attachment)
    }

    /// An attached document of an inquiry of the caller's agency, with its content.
    pub(crate) async fn download(
        &self,
        caller: &Caller,
        name: &AttachmentName,
    ) -> Result<Download, Error> {
        check_visible(caller, &name.agency, "attachment")?;
        let attachment = store::attachments::find(self.db.connection(), name.id)
            .await?
            .filter(|found| found.agency == name.agency && found.attached.is_some())
            .ok_or(Error::NotFound("attachment"))?;
        self.with_content(attachment).await
    }

    /// A document of the inquiry a reference and tracking code open, if the citizen may
    /// see it: the submission's, and those of the messages the citizen sees. Every
    /// refusal is the same NOT_FOUND as a wrong code.
    pub(crate) async fn download_as_citizen(
        &self,
        reference: &str,
        tracking_code: &str,
        name: Option<&AttachmentName>,
    ) -> Result<Download, Error> {
        let inquiry = self.opened_by_code(reference, tracking_code).await?;
        let conn = self.db.connection();
        let Some(name) = name.filter(|name| name.agency == inquiry.agency) else {
            return Err(Error::NotFound("inquiry"));
        };
        let found = store::attachments::find(conn, name.id).await?;
        let Some((attachment, attached)) = found.and_then(|found| {
            let to = found.attached?;
            (to.inquiry_id == inquiry.id).then_some((found, to))
        }) else {
            return Err(Error::NotFound("inquiry"));
        };
        if let Some(message_id) = attached.message_id {
            let message =
                store::messages::find(conn, &inquiry.agency, inquiry.id, message_id).await?;
            if message.is_none_or(|message| message.visibility != Visibility::PublicReply) {
                return Err(Error::NotFound("inquiry"));
            }
        }
        tracing::info!(attachment_id = %attachment.id, "attachment downloaded by its citizen");
        self.with_content(attachment).await
    }

    async fn with_content(&self, attachment: Attachment) -> Result<Download, Error> {
        let content = self
            .contents
            .get(attachment.id)
            .await?
            .ok_or_else(|| Error::Internal("an attachment's content is missing".to_owned()))?;
        Ok(Download {
            attachment,
            content,
        })
    }

    /// Attaches the uploads `requested` (the request's `field`) to `target`, inside the
    /// transaction that adds what carries them, with the inquiry already locked (so its
    /// total is not raced) and the uploads locked here (so no upload goes twice).
    pub(super) async fn attach_in(
        &self,
        tx: &DatabaseTransaction,
        field: &str,
        requested: &[AttachmentName],
        target: AttachTarget<'_>,
        now: Timestamp,
    ) -> Result<Vec<Attachment>, Error> {
        if requested.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = requested.iter().map(|name| name.id).collect();
        let found = store::attachments::lock_many(tx, self.db.backend(), &ids).await?;
        let already = store::attachments::inquiry_bytes(tx, target.inquiry_id).await?;
        let attached = attach(field, requested, found, target, already, &self.limits, now)?;
        store::attachments::mark_attached(tx, &attached).await?;
        Ok(attached)
    }

    /// Deletes an inquiry's documents inside `tx` (retention, erasure). Returns their
    /// ids: after the commit, [`Inquiries::forget_contents`] removes their content
    /// from a store outside the database.
    pub(crate) async fn delete_inquiry_attachments_in(
        tx: &DatabaseTransaction,
        inquiry_id: Uuid,
    ) -> Result<Vec<Uuid>, Error> {
        store::attachments::delete_for_inquiry(tx, inquiry_id).await
    }

    /// Forgets deleted attachments' content; a failure leaves it to the sweep.
    pub(crate) async fn forget_contents(&self, ids: &[Uuid]) {
        if ids.is_empty() {
            return;
        }
        if let Err(err) = self.contents.delete(ids).await {
            tracing::warn!(error = %err, count = ids.len(), "deleted attachments' content stays until the sweep");
        }
    }

    /// One expiry round: deletes every upload left unattached past its expiry, and
    /// content no metadata names. Returns how many uploads went.
    pub(crate) async fn expire_uploads_once(&self) -> Result<usize, Error> {
        let now = self.now();
        let mut expired = 0;
        loop {
            let ids = store::attachments::expired_uploads(self.db.connection(), now, EXPIRY_BATCH)
                .await?;
            if ids.is_empty() {
                break;
            }
            let input = (self.db.backend(), ids, now);
            let deleted = self
                .db
                .write(
                    &input,
                    |tx, (backend, ids, now): &(Backend, Vec<Uuid>, Timestamp)| {
                        Box::pin(store::attachments::delete_expired(tx, *backend, ids, *now))
                    },
                )
                .await?;
            self.forget_contents(&deleted).await;
            expired += deleted.len();
            if deleted.len() < input.1.len() {
                // Some were attached meanwhile: the next round sees the rest.
                break;
            }
        }
        let grace =
            SignedDuration::try_from(self.limits.upload_expiry).unwrap_or(SignedDuration::MAX);
        let swept = self
            .contents
            .sweep(now.checked_sub(grace).unwrap_or(Timestamp::MIN))
            .await?;
        if swept > 0 {
            tracing::info!(swept, "orphan attachment contents deleted");
        }
        Ok(expired)
    }
}

/// Hands an inquiry's `attachments` to the `messages` they are attached to; returns the
/// submission's own. Attachments of messages not in `messages` (an internal note, for
/// the citizen) are dropped.
pub(super) fn spread(attachments: Vec<Attachment>, messages: &mut [Message]) -> Vec<Attachment> {
    let mut submission = Vec::new();
    for attachment in attachments {
        match attachment.attached.and_then(|to| to.message_id) {
            None => submission.push(attachment),
            Some(message_id) => {
                if let Some(message) = messages.iter_mut().find(|message| message.id == message_id)
                {
                    message.attachments.push(attachment);
                }
            }
        }
    }
    submission
}
