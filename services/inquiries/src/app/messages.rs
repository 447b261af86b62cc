//! Messages on an inquiry: adding a public reply or an internal note, the citizen's own
//! messages (by reference and tracking code), and listing them.

use jalia_db::IdempotencyScope;
use jalia_db::sea_orm::DatabaseTransaction;
use jalia_model::{Caller, Page, PageRequest};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Serialize, Serializer};
use uuid::Uuid;

use super::attachments::spread;
use super::{Inquiries, Made, methods};
use crate::domain::Error;
use crate::domain::access::check_visible;
use crate::domain::attachment::{AttachTarget, AttachmentName, Uploader};
use crate::domain::message::{AddMessageCommand, CitizenReplyCommand, Message};
use crate::domain::query::{IdCursor, MessageQuery};
use crate::domain::status::Status;
use crate::domain::text::PersonalText;
use crate::store;
use crate::store::stored::MessageReplay;

/// A message under `create_once`, with what its transaction needs.
struct NewMessage<'a> {
    this: &'a Inquiries,
    caller: &'a Caller,
    command: &'a AddMessageCommand,
    id: Uuid,
    now: Timestamp,
}

impl Serialize for NewMessage<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        with_attachments(
            retry_key(self.command),
            &self.command.attachments,
            serializer,
        )
    }
}

/// A retry key, and the attachments' ids after it when there are any, so that a message
/// without attachments keeps the fingerprint earlier releases stored.
fn with_attachments<K: Serialize, S: Serializer>(
    key: K,
    attachments: &[AttachmentName],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    if attachments.is_empty() {
        key.serialize(serializer)
    } else {
        let ids: Vec<Uuid> = attachments.iter().map(|name| name.id).collect();
        (key, ids).serialize(serializer)
    }
}

/// What a retry is compared by: `[agency, inquiry id, visibility, body]`, the fingerprint
/// earlier releases stored too, so that a retry spanning an upgrade is still recognised.
/// The fresh id and the time differ between tries of one request, so they are left out.
fn retry_key(command: &AddMessageCommand) -> impl Serialize + '_ {
    (
        command.inquiry.agency.as_str(),
        command.inquiry.id,
        command.visibility,
        &command.body,
    )
}

impl Inquiries {
    /// Adds a public reply or an internal note; a retry with the same request_id returns
    /// the same message.
    pub(crate) async fn add_message(
        &self,
        caller: &Caller,
        command: AddMessageCommand,
    ) -> Result<Message, Error> {
        check_visible(caller, &command.inquiry.agency, "inquiry")?;
        let now = self.now();
        let new = NewMessage {
            this: self,
            caller,
            command: &command,
            id: Uuid::now_v7(),
            now,
        };
        let scope = IdempotencyScope::new(caller, methods::ADD_INQUIRY_MESSAGE);
        let made = self
            .db
            .create_once(command.request_id, &scope, &new, now, |tx, new| {
                Box::pin(add_message_in(tx, new))
            })
            .await?
            .into_inner();
        let message = match made {
            Made {
                made: Some(message),
                ..
            } => message,
            Made { replay, .. } => {
                let message = store::messages::find(
                    self.db.connection(),
                    &command.inquiry.agency,
                    command.inquiry.id,
                    replay.message_id,
                )
                .await?
                .ok_or_else(|| Error::Internal("a replayed message is missing".to_owned()))?;
                self.with_attachments(message).await?
            }
        };
        tracing::info!(
            inquiry_id = %message.inquiry_id,
            message_id = %message.id,
            visibility = ?message.visibility,
            "inquiry message added"
        );
        Ok(message)
    }

    /// A page of an inquiry's messages, oldest first.
    pub(crate) async fn list_messages(
        &self,
        caller: &Caller,
        query: &MessageQuery,
        page: &PageRequest,
    ) -> Result<Page<Message>, Error> {
        let inquiry = self.visible_inquiry(caller, &query.inquiry).await?;
        let filter = query.filter();
        let pager = self.pages.pager(
            methods::LIST_INQUIRY_MESSAGES,
            Some(caller),
            &filter,
            page,
            self.now(),
        )?;
        let after: Option<IdCursor> = pager.cursor()?;
        let rows = store::messages::list(
            self.db.connection(),
            &inquiry.agency,
            &filter,
            after.map(|cursor| cursor.id),
            pager.fetch_limit(),
        )
        .await?;
        let mut page = pager.page(rows, |last| IdCursor { id: last.id });
        let attachments = store::attachments::of_inquiry(self.db.connection(), inquiry.id).await?;
        spread(attachments, &mut page.items);
        Ok(page)
    }

    /// A message read back, with its attachments.
    async fn with_attachments(&self, mut message: Message) -> Result<Message, Error> {
        let attachments =
            store::attachments::of_inquiry(self.db.connection(), message.inquiry_id).await?;
        spread(attachments, std::slice::from_mut(&mut message));
        Ok(message)
    }
}

async fn add_message_in(
    tx: &DatabaseTransaction,
    new: &NewMessage<'_>,
) -> Result<Made<MessageReplay, Message>, Error> {
    let command = new.command;
    let mut inquiry = new
        .this
        .lock_visible(tx, new.caller, &command.inquiry)
        .await?;
    let mut message = inquiry.add_message(
        new.id,
        command.visibility,
        command.body.clone(),
        &new.caller.subject,
        new.now,
    )?;
    store::inquiries::save(tx, &inquiry).await?;
    store::messages::insert(tx, &message).await?;
    let target = AttachTarget {
        agency: &inquiry.agency,
        inquiry_id: inquiry.id,
        message_id: Some(message.id),
        uploader: Uploader::Staff,
    };
    message.attachments = new
        .this
        .attach_in(tx, "attachments", &command.attachments, target, new.now)
        .await?;
    Ok(Made::new(
        MessageReplay {
            message_id: message.id,
        },
        message,
    ))
}

/// A citizen's message and where it left the inquiry (ReplyToInquiry's outcome).
#[derive(Debug, Clone)]
pub(crate) struct CitizenReply {
    /// The message added.
    pub message: Message,
    /// The inquiry's status after it.
    pub status: Status,
    /// The due date as of now.
    pub due_date: Date,
}

/// A citizen's message under `create_once`: the inquiry the tracking code opened, and the
/// text. A retry is compared by `[inquiry id, body]`; the code itself is never stored.
struct NewCitizenMessage<'a> {
    this: &'a Inquiries,
    caller: &'a Caller,
    inquiry_id: Uuid,
    body: &'a PersonalText,
    attachments: &'a [AttachmentName],
    id: Uuid,
    now: Timestamp,
}

impl Serialize for NewCitizenMessage<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        with_attachments(
            citizen_retry_key(self.inquiry_id, self.body),
            self.attachments,
            serializer,
        )
    }
}

/// What a citizen's retry is compared by: `[inquiry id, body]`, pinned by a test, as a
/// change would stop recognising retries that span an upgrade.
fn citizen_retry_key(inquiry_id: Uuid, body: &PersonalText) -> impl Serialize + '_ {
    (inquiry_id, body)
}

impl Inquiries {
    /// Adds the citizen's message to the inquiry their reference and tracking code open;
    /// a retry with the same request_id returns the same message. The code is checked
    /// on every try, a replay's included, so a request_id never stands in for it.
    pub(crate) async fn reply_as_citizen(
        &self,
        caller: &Caller,
        command: CitizenReplyCommand,
    ) -> Result<CitizenReply, Error> {
        let opened = self
            .opened_by_code(&command.reference, &command.tracking_code)
            .await?;
        let now = self.now();
        let new = NewCitizenMessage {
            this: self,
            caller,
            inquiry_id: opened.id,
            body: &command.body,
            attachments: &command.attachments,
            id: Uuid::now_v7(),
            now,
        };
        let scope = IdempotencyScope::new(caller, methods::REPLY_TO_INQUIRY);
        let made = self
            .db
            .create_once(command.request_id, &scope, &new, now, |tx, new| {
                Box::pin(reply_in(tx, new))
            })
            .await?
            .into_inner();
        let reply = match made {
            Made {
                made: Some(reply), ..
            } => reply,
            Made { replay, .. } => {
                let conn = self.db.connection();
                let message =
                    store::messages::find(conn, &opened.agency, opened.id, replay.message_id)
                        .await?
                        .ok_or_else(|| {
                            Error::Internal("a replayed message is missing".to_owned())
                        })?;
                let message = self.with_attachments(message).await?;
                let inquiry = store::inquiries::find(conn, opened.id)
                    .await?
                    .ok_or_else(|| Error::Internal("a replied inquiry is missing".to_owned()))?;
                CitizenReply {
                    message,
                    status: inquiry.status,
                    due_date: inquiry.due_date(now, self.calendars.of(&inquiry.agency).zone()),
                }
            }
        };
        tracing::info!(
            inquiry_id = %reply.message.inquiry_id,
            message_id = %reply.message.id,
            status = reply.status.name(),
            "citizen message added"
        );
        Ok(reply)
    }
}

async fn reply_in(
    tx: &DatabaseTransaction,
    new: &NewCitizenMessage<'_>,
) -> Result<Made<MessageReplay, CitizenReply>, Error> {
    let this = new.this;
    let mut inquiry = store::inquiries::lock(tx, this.db.backend(), new.inquiry_id)
        .await?
        .ok_or(Error::NotFound("inquiry"))?;
    let (mut message, change) = inquiry.add_citizen_message(
        new.id,
        new.body.clone(),
        &new.caller.subject,
        new.now,
        this.calendars.of(&inquiry.agency).zone(),
    )?;
    store::inquiries::save(tx, &inquiry).await?;
    if let Some(change) = &change {
        store::inquiries::append_history(tx, inquiry.id, inquiry.version, change).await?;
        store::changes::record(tx, &inquiry, change).await?;
    }
    store::messages::insert(tx, &message).await?;
    let target = AttachTarget {
        agency: &inquiry.agency,
        inquiry_id: inquiry.id,
        message_id: Some(message.id),
        uploader: Uploader::Citizen,
    };
    message.attachments = this
        .attach_in(tx, "attachments", new.attachments, target, new.now)
        .await?;
    let reply = CitizenReply {
        due_date: inquiry.due_date(new.now, this.calendars.of(&inquiry.agency).zone()),
        status: inquiry.status,
        message,
    };
    Ok(Made::new(
        MessageReplay {
            message_id: reply.message.id,
        },
        reply,
    ))
}

#[cfg(test)]
mod tests {
    use jalia_model::AgencyCode;

    use super::*;
    use crate::domain::inquiry::InquiryName;
    use crate::domain::message::Visibility;
    use crate::domain::text::PersonalText;

    #[test]
    fn a_retry_is_compared_by_what_earlier_releases_stored() {
        let command = AddMessageCommand {
            inquiry: InquiryName {
                agency: AgencyCode::parse("bm").unwrap(),
                id: Uuid::from_u128(0x0198_a1b2_7c3d_7e4f_8a5b_6c7d_8e9f_0a1b),
            },
            request_id: None,
            visibility: Visibility::PublicReply,
            body: PersonalText::parse("Première réponse", 1, 100).unwrap(),
            attachments: Vec::new(),
        };
        assert_eq!(
            serde_json::to_string(&retry_key(&command)).unwrap(),
            r#"["bm","0198a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b","PublicReply","Première réponse"]"#
        );
    }

    #[test]
    fn a_citizen_retry_is_compared_by_the_inquiry_and_the_text_never_the_code() {
        let body = PersonalText::parse("Voici le titre", 1, 100).unwrap();
        let id = Uuid::from_u128(0x0198_a1b2_7c3d_7e4f_8a5b_6c7d_8e9f_0a1b);
        assert_eq!(
            serde_json::to_string(&citizen_retry_key(id, &body)).unwrap(),
            r#"["0198a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b","Voici le titre"]"#
        );
    }
}
