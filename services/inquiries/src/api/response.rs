//! Domain values back into messages, text resolved for the reader's languages.

use jalia_model::{FallbackChain, FeedItem, LanguageCode, LocalizedText, Page};
use jalia_proto::convert::{civil_date_for, duration_for, etag_for, localized_text_for, timestamp};
use jalia_proto::inquiries::v1 as wire;

use crate::app::{
    CitizenReply, CitizenView, Download, InquiryView, PersonalData, StatisticsReport, Submitted,
};
use crate::domain::attachment::{Attachment, CHUNK_BYTES};
use crate::domain::category::Category;
use crate::domain::classification::{Coordinates, Kind, Place};
use crate::domain::due::DueDateSource;
use crate::domain::erasure::Erasure;
use crate::domain::inquiry::{Assignment, Channel, Priority, Referral};
use crate::domain::message::{AuthorKind, Message, Visibility};
use crate::domain::public_statistics::{PublicStatistics, Published, SUPPRESSION_THRESHOLD};
use crate::domain::status::{FollowedChange, StateChange, Status};

/// What readers are served localized text in.
#[derive(Debug)]
pub(super) struct Languages {
    wanted: Vec<LanguageCode>,
    chain: FallbackChain,
}

impl Languages {
    /// The reader's languages, best first, and the agencies' fallback chain.
    pub(super) fn new(wanted: Vec<LanguageCode>) -> Self {
        Self {
            wanted,
            chain: FallbackChain::default(),
        }
    }

    fn text(&self, text: &LocalizedText) -> jalia_proto::r#type::v1::LocalizedText {
        localized_text_for(text, &self.wanted, &self.chain)
    }
}

/// An inquiry as staff see it.
pub(super) fn inquiry(view: &InquiryView, languages: &Languages) -> wire::Inquiry {
    let inquiry = &view.inquiry;
    let requester = &inquiry.requester;
    wire::Inquiry {
        name: format!("agencies/{}/inquiries/{}", inquiry.agency, inquiry.id),
        reference: inquiry.reference.to_string(),
        requester: Some(wire::Requester {
            display_name: requester.display_name.expose().to_owned(),
            email: requester
                .email
                .as_ref()
                .map(|email| email.as_str().to_owned())
                .unwrap_or_default(),
            phone: requester
                .phone
                .as_ref()
                .map(|phone| phone.as_str().to_owned())
                .unwrap_or_default(),
            country_of_residence: requester.country_of_residence.as_str().to_owned(),
            preferred_language_code: requester
                .preferred_language
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            diaspora: requester.diaspora,
        }),
        channel: channel_to_wire(inquiry.channel) as i32,
        category: category_name(&inquiry.agency, inquiry.category),
        category_display_name: Some(languages.text(&view.category_name)),
        service: inquiry.service.clone().unwrap_or_default(),
        event: inquiry.event.clone().unwrap_or_default(),
        subject: inquiry.subject.expose().to_owned(),
        body: inquiry.body.expose().to_owned(),
        answer_before: inquiry.answer_before.map(civil_date_for),
        status: status_to_wire(inquiry.status) as i32,
        referral: inquiry.referral.as_ref().map(referral),
        assignment: inquiry.assignment.as_ref().map(assignment),
        priority: match inquiry.priority {
            Priority::Normal => wire::InquiryPriority::Normal,
            Priority::High => wire::InquiryPriority::High,
        } as i32,
        due_date: Some(civil_date_for(view.due_date)),
        due_date_source: match inquiry.due.source {
            DueDateSource::CatalogProcessingTime => wire::DueDateSource::CatalogProcessingTime,
            DueDateSource::CategoryDefault => wire::DueDateSource::CategoryDefault,
        } as i32,
        due_date_pending: inquiry.due.pending,
        first_response_time: inquiry.first_response_at.map(timestamp),
        paused_duration: Some(duration_for(view.paused)),
        history: view.history.iter().map(state_change).collect(),
        create_time: Some(timestamp(inquiry.created_at)),
        update_time: Some(timestamp(inquiry.updated_at)),
        etag: etag_for(inquiry.version),
        kind: kind_to_wire(inquiry.kind) as i32,
        place: inquiry.place.as_ref().map(place),
        escalate_time: inquiry.escalated_at.map(timestamp),
        attachments: view.attachments.iter().map(attachment).collect(),
    }
}

fn kind_to_wire(kind: Kind) -> wire::InquiryKind {
    match kind {
        Kind::Question => wire::InquiryKind::Question,
        Kind::Request => wire::InquiryKind::Request,
        Kind::Complaint => wire::InquiryKind::Complaint,
        Kind::Suggestion => wire::InquiryKind::Suggestion,
    }
}

fn place(place: &Place) -> wire::InquiryPlace {
    wire::InquiryPlace {
        commune: place.commune.clone().unwrap_or_default(),
        land_title_number: place.land_title_number.clone().unwrap_or_default(),
        latitude: place.coordinates.map(Coordinates::latitude),
        longitude: place.coordinates.map(Coordinates::longitude),
    }
}

/// SubmitInquiry's response.
pub(super) fn submitted(
    submitted: &Submitted,
    languages: &Languages,
) -> wire::SubmitInquiryResponse {
    wire::SubmitInquiryResponse {
        inquiry: Some(inquiry(&submitted.view, languages)),
        tracking_code: submitted.tracking_code.grouped(),
    }
}

/// LookupInquiry's response: the citizen's view only.
pub(super) fn citizen_view(
    view: &CitizenView,
    languages: &Languages,
) -> wire::LookupInquiryResponse {
    wire::LookupInquiryResponse {
        reference: view.reference.to_string(),
        status: status_to_wire(view.status) as i32,
        category_display_name: Some(languages.text(&view.category_name)),
        referral: view.referral.as_ref().map(referral),
        create_time: Some(timestamp(view.created_at)),
        update_time: Some(timestamp(view.updated_at)),
        due_date: Some(civil_date_for(view.due_date)),
        replies: view
            .replies
            .iter()
            .filter(|reply| {
                reply.visibility == Visibility::PublicReply
                    && reply.author_kind == AuthorKind::Agent
            })
            .map(|reply| wire::PublicReply {
                body: reply.body.expose().to_owned(),
                create_time: Some(timestamp(reply.created_at)),
            })
            .collect(),
        messages: view
            .replies
            .iter()
            .filter(|message| message.visibility == Visibility::PublicReply)
            .map(citizen_thread_message)
            .collect(),
        attachments: view.attachments.iter().map(attachment).collect(),
    }
}

/// A page of inquiries.
pub(super) fn inquiries(
    page: &Page<InquiryView>,
    languages: &Languages,
) -> wire::ListInquiriesResponse {
    wire::ListInquiriesResponse {
        inquiries: page
            .items
            .iter()
            .map(|view| inquiry(view, languages))
            .collect(),
        next_page_token: page.next_page_token_or_empty(),
    }
}

/// A message.
pub(super) fn message(message: &Message) -> wire::InquiryMessage {
    wire::InquiryMessage {
        name: format!(
            "agencies/{}/inquiries/{}/messages/{}",
            message.agency, message.inquiry_id, message.id
        ),
        visibility: match message.visibility {
            Visibility::PublicReply => wire::MessageVisibility::PublicReply,
            Visibility::InternalNote => wire::MessageVisibility::InternalNote,
        } as i32,
        body: message.body.expose().to_owned(),
        author: message.author.clone(),
        create_time: Some(timestamp(message.created_at)),
        author_kind: author_kind(message.author_kind) as i32,
        attachments: message.attachments.iter().map(attachment).collect(),
    }
}

// ReplyToInquiry and the citizen's side of the conversation.

/// ReplyToInquiry's response.
pub(super) fn citizen_reply(reply: &CitizenReply) -> wire::ReplyToInquiryResponse {
    wire::ReplyToInquiryResponse {
        message: Some(citizen_thread_message(&reply.message)),
        status: status_to_wire(reply.status) as i32,
        due_date: Some(civil_date_for(reply.due_date)),
    }
}

/// A message as the citizen sees it: whose side wrote it, never who.
fn citizen_thread_message(message: &Message) -> wire::CitizenThreadMessage {
    wire::CitizenThreadMessage {
        body: message.body.expose().to_owned(),
        author_kind: author_kind(message.author_kind) as i32,
        create_time: Some(timestamp(message.created_at)),
        attachments: message.attachments.iter().map(attachment).collect(),
    }
}

// Attachments.

/// An attachment's metadata.
pub(super) fn attachment(value: &Attachment) -> wire::Attachment {
    wire::Attachment {
        name: format!("agencies/{}/attachments/{}", value.agency, value.id),
        file_name: value.file_name.expose().to_owned(),
        media_type: value.media_type.as_str().to_owned(),
        size_bytes: i64::try_from(value.size).unwrap_or(i64::MAX),
        sha256: value.sha256.clone(),
        create_time: Some(timestamp(value.created_at)),
        expire_time: value
            .attached
            .is_none()
            .then(|| timestamp(value.expires_at)),
    }
}

/// A download as its stream's messages: the metadata, then the content in chunks of
/// 64 KiB, each made into a message by `metadata` and `chunk`.
pub(super) fn download<M>(
    download: &Download,
    metadata: impl Fn(wire::Attachment) -> M,
    chunk: impl Fn(Vec<u8>) -> M,
) -> Vec<M> {
    std::iter::once(metadata(attachment(&download.attachment)))
        .chain(
            download
                .content
                .chunks(CHUNK_BYTES)
                .map(|part| chunk(part.to_vec())),
        )
        .collect()
}

fn author_kind(kind: AuthorKind) -> wire::MessageAuthorKind {
    match kind {
        AuthorKind::Agent => wire::MessageAuthorKind::Agent,
        AuthorKind::Citizen => wire::MessageAuthorKind::Citizen,
    }
}

/// A page of messages.
pub(super) fn messages(page: &Page<Message>) -> wire::ListInquiryMessagesResponse {
    wire::ListInquiryMessagesResponse {
        inquiry_messages: page.items.iter().map(message).collect(),
        next_page_token: page.next_page_token_or_empty(),
    }
}

/// A category.
pub(super) fn category(category: &Category, languages: &Languages) -> wire::InquiryCategory {
    wire::InquiryCategory {
        name: category_name(&category.agency, category.id),
        display_name: Some(languages.text(&category.display_name)),
        default_response_days: i32::try_from(category.default_response_days).unwrap_or(i32::MAX),
        create_time: Some(timestamp(category.created_at)),
        update_time: Some(timestamp(category.updated_at)),
        etag: etag_for(category.version),
        count_working_days: category.count_working_days,
    }
}

/// A page of categories.
pub(super) fn categories(
    page: &Page<Category>,
    languages: &Languages,
) -> wire::ListInquiryCategoriesResponse {
    wire::ListInquiryCategoriesResponse {
        inquiry_categories: page
            .items
            .iter()
            .map(|item| category(item, languages))
            .collect(),
        next_page_token: page.next_page_token_or_empty(),
    }
}

/// GetInquiryStatistics' response.
pub(super) fn statistics(
    report: &StatisticsReport,
    languages: &Languages,
) -> wire::GetInquiryStatisticsResponse {
    let statistics = &report.statistics;
    wire::GetInquiryStatisticsResponse {
        total_count: statistics.total,
        status_counts: statistics
            .by_status
            .iter()
            .map(|(status, count)| wire::StatusCount {
                status: status_to_wire(*status) as i32,
                count: *count,
            })
            .collect(),
        category_counts: statistics
            .by_category
            .iter()
            .map(|(id, count)| {
                let category = report.categories.get(id);
                wire::CategoryCount {
                    category: category.map_or_else(String::new, |category| {
                        category_name(&category.agency, category.id)
                    }),
                    display_name: category.map(|category| languages.text(&category.display_name)),
                    count: *count,
                }
            })
            .collect(),
        channel_counts: statistics
            .by_channel
            .iter()
            .map(|(channel, count)| wire::ChannelCount {
                channel: channel_to_wire(*channel) as i32,
                count: *count,
            })
            .collect(),
        answered_count: statistics.answered,
        answered_on_time_count: statistics.answered_on_time,
        answered_on_time_share: statistics.answered_on_time_share(),
        median_first_response_duration: statistics.median_first_response.map(duration_for),
        overdue_count: statistics.overdue,
        kind_counts: statistics
            .by_kind
            .iter()
            .map(|(kind, count)| wire::KindCount {
                kind: kind_to_wire(*kind) as i32,
                count: *count,
            })
            .collect(),
        escalated_count: statistics.escalated,
    }
}

/// The record of an erasure: no personal data, not even the contacts' digests.
pub(super) fn erasure(erasure: &Erasure) -> wire::ErasePersonalDataResponse {
    wire::ErasePersonalDataResponse {
        erasure: Some(wire::Erasure {
            name: erasure.name(),
            erase_time: Some(timestamp(erasure.time)),
            erased_by: erasure.erased_by(),
            inquiry_count: i32::try_from(erasure.inquiries).unwrap_or(i32::MAX),
        }),
    }
}

/// The answer to an access request.
pub(super) fn personal_data(
    data: &PersonalData,
    languages: &Languages,
) -> wire::ExportPersonalDataResponse {
    wire::ExportPersonalDataResponse {
        inquiries: data
            .inquiries
            .iter()
            .map(|(view, messages)| wire::PersonalDataInquiry {
                inquiry: Some(inquiry(view, languages)),
                messages: messages.iter().map(message).collect(),
            })
            .collect(),
    }
}

/// The public figures of a year.
pub(super) fn public_statistics(
    figures: &PublicStatistics,
) -> wire::GetPublicInquiryStatisticsResponse {
    wire::GetPublicInquiryStatisticsResponse {
        parent: format!("agencies/{}", figures.agency),
        year: i32::from(figures.year),
        suppression_threshold: i32::try_from(SUPPRESSION_THRESHOLD).unwrap_or(i32::MAX),
        total: Some(public_count(figures.total)),
        status_counts: figures
            .by_status
            .iter()
            .map(|(status, count)| wire::PublicStatusCount {
                status: status_to_wire(*status) as i32,
                count: Some(public_count(*count)),
            })
            .collect(),
        kind_counts: figures
            .by_kind
            .iter()
            .map(|(kind, count)| wire::PublicKindCount {
                kind: kind_to_wire(*kind) as i32,
                count: Some(public_count(*count)),
            })
            .collect(),
        median_first_response_duration: figures.median_first_response.map(duration_for),
        median_first_response_suppressed: figures.median_suppressed,
        answered_on_time_share: figures.answered_on_time_share,
        answered_on_time_share_suppressed: figures.share_suppressed,
    }
}

fn public_count(count: Published) -> wire::PublicCount {
    wire::PublicCount {
        value: Some(match count {
            Published::Count(count) => wire::public_count::Value::Count(count),
            Published::Suppressed => wire::public_count::Value::Suppressed(true),
        }),
    }
}

fn category_name(agency: &jalia_model::AgencyCode, id: uuid::Uuid) -> String {
    format!("agencies/{agency}/inquiryCategories/{id}")
}

fn state_change(change: &StateChange) -> wire::StateChange {
    wire::StateChange {
        from_status: change
            .from
            .map_or(wire::InquiryStatus::Unspecified, status_to_wire) as i32,
        to_status: status_to_wire(change.to) as i32,
        actor: change.actor.clone(),
        change_time: Some(timestamp(change.at)),
        note: change
            .note
            .as_ref()
            .map(|note| note.expose().to_owned())
            .unwrap_or_default(),
        assignment: change.assignment.as_ref().map(assignment),
        referral: change.referral.as_ref().map(referral),
        escalation: change.escalation,
    }
}

fn referral(referral: &Referral) -> wire::Referral {
    wire::Referral {
        administration: referral.administration.clone(),
        external_reference: referral.external_reference.clone().unwrap_or_default(),
    }
}

fn assignment(assignment: &Assignment) -> wire::Assignment {
    wire::Assignment {
        team: assignment.team.clone().unwrap_or_default(),
        agent: assignment.agent.clone().unwrap_or_default(),
    }
}

fn status_to_wire(status: Status) -> wire::InquiryStatus {
    match status {
        Status::New => wire::InquiryStatus::New,
        Status::Assigned => wire::InquiryStatus::Assigned,
        Status::InProgress => wire::InquiryStatus::InProgress,
        Status::WaitingOnCitizen => wire::InquiryStatus::WaitingOnCitizen,
        Status::Answered => wire::InquiryStatus::Answered,
        Status::Closed => wire::InquiryStatus::Closed,
        Status::Referred => wire::InquiryStatus::Referred,
    }
}

fn channel_to_wire(channel: Channel) -> wire::InquiryChannel {
    match channel {
        Channel::WebPortal => wire::InquiryChannel::WebPortal,
        Channel::EventDesk => wire::InquiryChannel::EventDesk,
        Channel::Phone => wire::InquiryChannel::Phone,
        Channel::Email => wire::InquiryChannel::Email,
        Channel::Consulate => wire::InquiryChannel::Consulate,
    }
}

/// One item of the change feed: a change, or a heartbeat carrying only the cursor.
pub(super) fn feed_item(item: FeedItem<FollowedChange>) -> wire::WatchChangesResponse {
    match item {
        FeedItem::Change(change) => wire::WatchChangesResponse {
            cursor: change.cursor,
            kind: followed_change(change.kind) as i32,
            resource: change.resource,
            agency: format!("agencies/{}", change.agency),
            change_time: Some(timestamp(change.time)),
        },
        FeedItem::Heartbeat { cursor } => wire::WatchChangesResponse {
            cursor,
            ..wire::WatchChangesResponse::default()
        },
    }
}

fn followed_change(change: FollowedChange) -> wire::ChangeKind {
    match change {
        FollowedChange::Submitted => wire::ChangeKind::InquirySubmitted,
        FollowedChange::Answered => wire::ChangeKind::InquiryAnswered,
        FollowedChange::Overdue => wire::ChangeKind::InquiryOverdue,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::request::status_from_wire;

    #[test]
    fn statuses_cross_the_wire_both_ways() {
        for status in Status::ALL {
            assert_eq!(status_from_wire(status_to_wire(status)), status);
        }
    }
}
