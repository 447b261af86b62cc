//! Messages on inquiries: appended, never changed.

use jalia_db::sea_orm::sea_query::Expr;
use jalia_db::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect,
};
use jalia_db::{Direction, Keyset, StoredCode, from_micros, to_micros};
use jalia_model::AgencyCode;
use uuid::Uuid;

use super::entities::message;
use crate::domain::Error;
use crate::domain::inquiry::ANONYMISED;
use crate::domain::message::{AuthorKind, Message, Visibility};
use crate::domain::query::MessageFilter;
use crate::domain::text::PersonalText;

/// Stores a new message.
pub(crate) async fn insert<C: ConnectionTrait>(conn: &C, value: &Message) -> Result<(), Error> {
    let row = message::Model {
        id: value.id,
        inquiry_id: value.inquiry_id,
        visibility: value.visibility.code(),
        body: value.body.expose().to_owned(),
        author: value.author.clone(),
        created_at: to_micros(value.created_at),
        author_kind: value.author_kind.code(),
    };
    message::Entity::insert(row.into_active_model().reset_all())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The message `id` of an inquiry of `agency`.
pub(crate) async fn find<C: ConnectionTrait>(
    conn: &C,
    agency: &AgencyCode,
    inquiry_id: Uuid,
    id: Uuid,
) -> Result<Option<Message>, Error> {
    message::Entity::find_by_id(id)
        .filter(message::Column::InquiryId.eq(inquiry_id))
        .one(conn)
        .await?
        .map(|row| from_row(agency, row))
        .transpose()
}

/// A page of an inquiry's messages, oldest first, after `after`.
pub(crate) async fn list<C: ConnectionTrait>(
    conn: &C,
    agency: &AgencyCode,
    filter: &MessageFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Message>, Error> {
    let mut condition = Condition::all().add(message::Column::InquiryId.eq(filter.inquiry_id));
    if let Some(instant) = filter.added_after {
        condition = condition.add(message::Column::CreatedAt.gt(to_micros(instant)));
    }
    if let Some(visibility) = filter.visibility {
        condition = condition.add(message::Column::Visibility.eq(visibility.code()));
    }
    Keyset::new([message::Column::Id], Direction::Ascending)
        .apply(
            message::Entity::find().filter(condition),
            after.map(|id| [id.into()]),
        )
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(|row| from_row(agency, row))
        .collect()
}

/// Every message of an inquiry the citizen sees, oldest first: the public replies and
/// the citizen's own messages.
pub(crate) async fn citizen_thread<C: ConnectionTrait>(
    conn: &C,
    agency: &AgencyCode,
    inquiry_id: Uuid,
) -> Result<Vec<Message>, Error> {
    message::Entity::find()
        .filter(message::Column::InquiryId.eq(inquiry_id))
        .filter(message::Column::Visibility.eq(Visibility::PublicReply.code()))
        .order_by_asc(message::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|row| from_row(agency, row))
        .collect()
}

/// Replaces the bodies of the citizen's own messages on an inquiry (law 09-08): their
/// words are personal data; staff replies and notes stay, as the retention keeps them.
pub(crate) async fn anonymise_citizen_messages<C: ConnectionTrait>(
    conn: &C,
    inquiry_id: Uuid,
) -> Result<(), Error> {
    message::Entity::update_many()
        .col_expr(message::Column::Body, Expr::value(ANONYMISED))
        .filter(message::Column::InquiryId.eq(inquiry_id))
        .filter(message::Column::AuthorKind.eq(AuthorKind::Citizen.code()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Every message of the inquiries `inquiry_ids` of `agency`, by inquiry then oldest
/// first, at most `limit`.
pub(crate) async fn of_inquiries<C: ConnectionTrait>(
    conn: &C,
    agency: &AgencyCode,
    inquiry_ids: &[Uuid],
    limit: u64,
) -> Result<Vec<Message>, Error> {
    if inquiry_ids.is_empty() {
        return Ok(Vec::new());
    }
    message::Entity::find()
        .filter(message::Column::InquiryId.is_in(inquiry_ids.iter().copied()))
        .order_by_asc(message::Column::InquiryId)
        .order_by_asc(message::Column::Id)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(|row| from_row(agency, row))
        .collect()
}

fn from_row(agency: &AgencyCode, row: message::Model) -> Result<Message, Error> {
    Ok(Message {
        id: row.id,
        inquiry_id: row.inquiry_id,
        agency: agency.clone(),
        visibility: Visibility::from_code(row.visibility)?,
        body: PersonalText::from_stored(row.body),
        author: row.author,
        author_kind: AuthorKind::from_code(row.author_kind)?,
        created_at: from_micros(row.created_at),
        attachments: Vec::new(),
    })
}
