//! Requests into checked domain commands and queries: every wrong field is reported at
//! once, under its path in the request. Descriptions never quote what a citizen wrote.

use jalia_model::{
    AgencyCode, AgencyFilter, CountryCode, Email, FieldViolation, IfMatch, LanguageCode,
    PageRequest, Phone, RequestId, Violations, WatchQuery, parse_name,
};
use jalia_proto::convert::{UpdatableFields, instant, localized_text};
use jalia_proto::inquiries::v1 as wire;
use jalia_proto::r#type::v1::CivilDate;
use jiff::civil::Date;
use uuid::Uuid;

use crate::domain::Error;
use crate::domain::attachment::{AttachmentName, FileName, MediaType, UploadMetadata};
use crate::domain::calendar::parse_date;
use crate::domain::category::{self, CategoryName, CreateCategoryCommand, UpdateCategoryCommand};
use crate::domain::classification::{
    Coordinates, Kind, MAX_COMMUNE_CHARS, MAX_LAND_TITLE_CHARS, Place,
};
use crate::domain::erasure::{EraseCommand, ExportCommand, Person};
use crate::domain::inquiry::{
    AssignCommand, Assignment, Channel, InquiryName, MAX_ADMINISTRATION_CHARS, MAX_AGENT_CHARS,
    MAX_EXTERNAL_REFERENCE_CHARS, MAX_REQUESTER_NAME_CHARS, MAX_SUBJECT_CHARS, MAX_TEAM_CHARS,
    Priority, Referral, Requester, Submission, SubmitCommand, TransitionCommand, TriageChanges,
    UpdateCommand,
};
use crate::domain::message::{AddMessageCommand, CitizenReplyCommand, MAX_BODY_CHARS, Visibility};
use crate::domain::public_statistics::{FIRST_YEAR, PublicQuery};
use crate::domain::query::{CategoryFilter, InquiryOrder, InquiryQuery, MessageQuery};
use crate::domain::statistics::Period;
use crate::domain::status::{FollowedChange, MAX_NOTE_CHARS, Status, Target};
use crate::domain::text::{PersonalText, bounded};

/// What UpdateInquiry may change (AIP-134: an empty mask means each of these the request
/// sets).
pub(super) const INQUIRY_FIELDS: UpdatableFields = UpdatableFields::new(
    "jalia.inquiries.v1.Inquiry",
    &[
        "category",
        "service",
        "event",
        "answer_before",
        "priority",
        "kind",
    ],
);

/// What UpdateInquiryCategory may change.
pub(super) const CATEGORY_FIELDS: UpdatableFields = UpdatableFields::new(
    "jalia.inquiries.v1.InquiryCategory",
    &[
        "display_name",
        "default_response_days",
        "count_working_days",
    ],
);

impl TryFrom<wire::SubmitInquiryRequest> for SubmitCommand {
    type Error = Error;

    fn try_from(request: wire::SubmitInquiryRequest) -> Result<Self, Error> {
        let mut v = Violations::new();
        let agency = agency_parent(&request.parent, &mut v);
        let request_id = request_id(&request.request_id, &mut v);
        let Some(inquiry) = request.inquiry else {
            v.add("inquiry", "must be set");
            return Err(v.into_vec().into());
        };
        let requester = requester(inquiry.requester.as_ref(), &mut v);
        let channel = match wire::InquiryChannel::try_from(inquiry.channel) {
            Ok(wire::InquiryChannel::Unspecified) | Err(_) => {
                v.add("inquiry.channel", "must be one of the contract's channels");
                None
            }
            Ok(channel) => Some(channel_from_wire(channel)),
        };
        let category = category_ref(
            &inquiry.category,
            agency.as_ref(),
            "inquiry.category",
            &mut v,
        );
        let service = optional_ref(&inquiry.service, "services", "inquiry.service", &mut v);
        let event = optional_ref(&inquiry.event, "events", "inquiry.event", &mut v);
        let subject = v.check(
            "inquiry.subject",
            PersonalText::parse(&inquiry.subject, 1, MAX_SUBJECT_CHARS),
        );
        let body = v.check(
            "inquiry.body",
            PersonalText::parse(&inquiry.body, 1, MAX_BODY_CHARS),
        );
        let answer_before = civil_date(
            inquiry.answer_before.as_ref(),
            "inquiry.answer_before.date",
            &mut v,
        );
        let kind = kind(inquiry.kind, "inquiry.kind", &mut v);
        let place = place(inquiry.place.as_ref(), &mut v);
        let attachments = attachment_names(&request.attachments, &mut v);
        match (
            agency,
            request_id,
            requester,
            channel,
            category,
            service,
            event,
            subject,
            body,
            answer_before,
            kind,
            place,
            attachments,
        ) {
            (
                Some(agency),
                Some(request_id),
                Some(requester),
                Some(channel),
                Some(category),
                Some(service),
                Some(event),
                Some(subject),
                Some(body),
                Some(answer_before),
                Some(kind),
                Some(place),
                Some(attachments),
            ) if v.is_empty() => Ok(Self {
                submission: Submission {
                    agency,
                    requester,
                    channel,
                    category,
                    service,
                    event,
                    subject,
                    body,
                    answer_before,
                    kind,
                    place,
                },
                request_id,
                attachments,
            }),
            _ => Err(v.into_vec().into()),
        }
    }
}

/// The name of one inquiry, in the request field `field`.
fn inquiry_name(name: &str, field: &str) -> Result<InquiryName, FieldViolation> {
    parse_name(name, &["inquiries"])
        .map(|(agency, ids)| InquiryName { agency, id: ids[0] })
        .map_err(|err| FieldViolation::new(field, err.to_string()))
}

impl TryFrom<&wire::GetInquiryRequest> for InquiryName {
    type Error = Error;

    fn try_from(request: &wire::GetInquiryRequest) -> Result<Self, Error> {
        Ok(inquiry_name(&request.name, "name")?)
    }
}

/// ListInquiries: the query and the page.
pub(super) fn list_inquiries(
    request: &wire::ListInquiriesRequest,
) -> Result<(InquiryQuery, PageRequest), Error> {
    let mut v = Violations::new();
    let agency = list_parent(&request.parent, &mut v);
    let page = page(request.page_size, &request.page_token, &mut v);
    let updated_after = optional_instant(request.updated_after.as_ref(), "updated_after", &mut v);
    let mut statuses = Vec::new();
    for (index, code) in request.statuses.iter().enumerate() {
        match wire::InquiryStatus::try_from(*code) {
            Ok(wire::InquiryStatus::Unspecified) | Err(_) => v.add(
                format!("statuses[{index}]"),
                "must be one of the contract's statuses",
            ),
            Ok(status) => statuses.push(status_from_wire(status)),
        }
    }
    let category = if request.category.is_empty() {
        None
    } else {
        category_ref(
            &request.category,
            agency.as_ref().and_then(Option::as_ref),
            "category",
            &mut v,
        )
    };
    let service = optional_ref(&request.service, "services", "service", &mut v).flatten();
    let event = optional_ref(&request.event, "events", "event", &mut v).flatten();
    let channel = match wire::InquiryChannel::try_from(request.channel) {
        Ok(wire::InquiryChannel::Unspecified) => None,
        Ok(channel) => Some(channel_from_wire(channel)),
        Err(_) => {
            v.add("channel", "must be one of the contract's channels");
            None
        }
    };
    let agent = optional_text(&request.agent, MAX_AGENT_CHARS, "agent", &mut v);
    let team = optional_text(&request.team, MAX_TEAM_CHARS, "team", &mut v);
    if agent.is_some() && (request.mine || request.unassigned) {
        v.add("agent", "cannot be combined with `mine` or `unassigned`");
    }
    if request.mine && request.unassigned {
        v.add("unassigned", "cannot be combined with `mine`");
    }
    let order = match wire::InquiryOrder::try_from(request.order) {
        Ok(wire::InquiryOrder::Unspecified | wire::InquiryOrder::CreateTime) => {
            InquiryOrder::CreateTime
        }
        Ok(wire::InquiryOrder::DueDate) => InquiryOrder::DueDate,
        Err(_) => {
            v.add("order", "must be one of the contract's orders");
            InquiryOrder::CreateTime
        }
    };
    match (agency, page) {
        (Some(agency), Some(page)) if v.is_empty() => Ok((
            InquiryQuery {
                agency,
                updated_after,
                statuses,
                category,
                service,
                event,
                channel,
                agent,
                team,
                unassigned: request.unassigned,
                overdue: request.overdue,
                mine: request.mine,
                order,
            },
            page,
        )),
        _ => Err(v.into_vec().into()),
    }
}

impl TryFrom<wire::UpdateInquiryRequest> for UpdateCommand {
    type Error = Error;

    fn try_from(request: wire::UpdateInquiryRequest) -> Result<Self, Error> {
        let mut v = Violations::new();
        let Some(inquiry) = request.inquiry else {
            return Err(FieldViolation::new("inquiry", "must be set").into());
        };
        let name = named(inquiry_name(&inquiry.name, "inquiry.name"), &mut v);
        let paths = v.take(
            "",
            INQUIRY_FIELDS.resolve(request.update_mask.as_ref(), &inquiry),
        );
        let changing = |path| paths.as_ref().is_some_and(|paths| paths.contains(path));
        let mut changes = TriageChanges::default();
        if changing("category") {
            if inquiry.category.is_empty() {
                v.add("inquiry.category", "cannot be cleared");
            } else if let Some(name) = &name {
                changes.category = category_ref(
                    &inquiry.category,
                    Some(&name.agency),
                    "inquiry.category",
                    &mut v,
                );
            }
        }
        if changing("service") {
            changes.service = optional_ref(&inquiry.service, "services", "inquiry.service", &mut v);
        }
        if changing("event") {
            changes.event = optional_ref(&inquiry.event, "events", "inquiry.event", &mut v);
        }
        if changing("answer_before") {
            changes.answer_before = civil_date(
                inquiry.answer_before.as_ref(),
                "inquiry.answer_before.date",
                &mut v,
            );
        }
        if changing("priority") {
            match wire::InquiryPriority::try_from(inquiry.priority) {
                Ok(wire::InquiryPriority::High) => changes.priority = Some(Priority::High),
                Ok(wire::InquiryPriority::Normal | wire::InquiryPriority::Unspecified) => {
                    changes.priority = Some(Priority::Normal);
                }
                Err(_) => v.add(
                    "inquiry.priority",
                    "must be one of the contract's priorities",
                ),
            }
        }
        if changing("kind") {
            changes.kind = kind(inquiry.kind, "inquiry.kind", &mut v);
        }
        match name {
            Some(name) if v.is_empty() => Ok(Self {
                name,
                if_match: IfMatch::optional(&inquiry.etag),
                changes,
            }),
            _ => Err(v.into_vec().into()),
        }
    }
}

impl TryFrom<wire::AssignInquiryRequest> for AssignCommand {
    type Error = Error;

    fn try_from(request: wire::AssignInquiryRequest) -> Result<Self, Error> {
        let mut v = Violations::new();
        let name = named(inquiry_name(&request.name, "name"), &mut v);
        let if_match = named(IfMatch::required(&request.etag, "etag"), &mut v);
        let assignment = match request.assignment {
            None => {
                v.add("assignment", "needs a team or an agent");
                None
            }
            Some(assignment) => {
                let team =
                    optional_text(&assignment.team, MAX_TEAM_CHARS, "assignment.team", &mut v);
                let agent = optional_text(
                    &assignment.agent,
                    MAX_AGENT_CHARS,
                    "assignment.agent",
                    &mut v,
                );
                if team.is_none() && agent.is_none() && v.is_empty() {
                    v.add("assignment", "needs a team or an agent");
                }
                Some(Assignment { team, agent })
            }
        };
        let note = note(&request.note, &mut v);
        match (name, if_match, assignment) {
            (Some(name), Some(if_match), Some(assignment)) if v.is_empty() => Ok(Self {
                name,
                if_match,
                assignment,
                note,
            }),
            _ => Err(v.into_vec().into()),
        }
    }
}

impl TryFrom<wire::TransitionInquiryRequest> for TransitionCommand {
    type Error = Error;

    fn try_from(request: wire::TransitionInquiryRequest) -> Result<Self, Error> {
        let mut v = Violations::new();
        let name = named(inquiry_name(&request.name, "name"), &mut v);
        let if_match = named(IfMatch::required(&request.etag, "etag"), &mut v);
        let status = match wire::InquiryStatus::try_from(request.status) {
            Ok(wire::InquiryStatus::Unspecified) | Err(_) => {
                v.add("status", "is required: one of the contract's statuses");
                None
            }
            Ok(wire::InquiryStatus::Assigned) => {
                v.add("status", "ASSIGNED is set by AssignInquiry");
                None
            }
            Ok(status) => Some(status_from_wire(status)),
        };
        let referral = match (status, request.referral) {
            (Some(Status::Referred), Some(referral)) => {
                let administration = v.check(
                    "referral.administration",
                    bounded(&referral.administration, 1, MAX_ADMINISTRATION_CHARS),
                );
                let external_reference = optional_text(
                    &referral.external_reference,
                    MAX_EXTERNAL_REFERENCE_CHARS,
                    "referral.external_reference",
                    &mut v,
                );
                administration.map(|administration| Referral {
                    administration,
                    external_reference,
                })
            }
            (Some(Status::Referred), None) => {
                v.add("referral", "is required to refer an inquiry");
                None
            }
            (_, Some(_)) => {
                v.add("referral", "is only given with status REFERRED");
                None
            }
            (_, None) => None,
        };
        let note = note(&request.note, &mut v);
        let target = status.and_then(|status| match status {
            Status::New => Some(Target::New),
            Status::InProgress => Some(Target::InProgress),
            Status::WaitingOnCitizen => Some(Target::WaitingOnCitizen),
            Status::Answered => Some(Target::Answered),
            Status::Closed => Some(Target::Closed),
            Status::Referred => referral.map(Target::Referred),
            Status::Assigned => None,
        });
        match (name, if_match, target) {
            (Some(name), Some(if_match), Some(target)) if v.is_empty() => Ok(Self {
                name,
                if_match,
                target,
                note,
            }),
            _ => Err(v.into_vec().into()),
        }
    }
}

impl TryFrom<wire::AddInquiryMessageRequest> for AddMessageCommand {
    type Error = Error;

    fn try_from(request: wire::AddInquiryMessageRequest) -> Result<Self, Error> {
        let mut v = Violations::new();
        let inquiry = named(inquiry_name(&request.parent, "parent"), &mut v);
        let request_id = request_id(&request.request_id, &mut v);
        let Some(message) = request.inquiry_message else {
            v.add("inquiry_message", "must be set");
            return Err(v.into_vec().into());
        };
        let visibility = match wire::MessageVisibility::try_from(message.visibility) {
            Ok(wire::MessageVisibility::PublicReply) => Some(Visibility::PublicReply),
            Ok(wire::MessageVisibility::InternalNote) => Some(Visibility::InternalNote),
            _ => {
                v.add(
                    "inquiry_message.visibility",
                    "is required: PUBLIC_REPLY or INTERNAL_NOTE",
                );
                None
            }
        };
        let body = v.check(
            "inquiry_message.body",
            PersonalText::parse(&message.body, 1, MAX_BODY_CHARS),
        );
        let attachments = attachment_names(&request.attachments, &mut v);
        match (inquiry, request_id, visibility, body, attachments) {
            (Some(inquiry), Some(request_id), Some(visibility), Some(body), Some(attachments))
                if v.is_empty() =>
            {
                Ok(Self {
                    inquiry,
                    request_id,
                    visibility,
                    body,
                    attachments,
                })
            }
            _ => Err(v.into_vec().into()),
        }
    }
}

/// ListInquiryMessages: the query and the page.
pub(super) fn list_messages(
    request: &wire::ListInquiryMessagesRequest,
) -> Result<(MessageQuery, PageRequest), Error> {
    let mut v = Violations::new();
    let inquiry = named(inquiry_name(&request.parent, "parent"), &mut v);
    let page = page(request.page_size, &request.page_token, &mut v);
    let added_after = optional_instant(request.updated_after.as_ref(), "updated_after", &mut v);
    let visibility = match wire::MessageVisibility::try_from(request.visibility) {
        Ok(wire::MessageVisibility::Unspecified) => None,
        Ok(wire::MessageVisibility::PublicReply) => Some(Visibility::PublicReply),
        Ok(wire::MessageVisibility::InternalNote) => Some(Visibility::InternalNote),
        Err(_) => {
            v.add("visibility", "must be one of the contract's visibilities");
            None
        }
    };
    match (inquiry, page) {
        (Some(inquiry), Some(page)) if v.is_empty() => Ok((
            MessageQuery {
                inquiry,
                added_after,
                visibility,
            },
            page,
        )),
        _ => Err(v.into_vec().into()),
    }
}

/// ListInquiryCategories: the filter and the page.
pub(super) fn list_categories(
    request: &wire::ListInquiryCategoriesRequest,
) -> Result<(CategoryFilter, PageRequest), Error> {
    let mut v = Violations::new();
    let agency = list_parent(&request.parent, &mut v);
    let page = page(request.page_size, &request.page_token, &mut v);
    let updated_after = optional_instant(request.updated_after.as_ref(), "updated_after", &mut v);
    match (agency, page) {
        (Some(agency), Some(page)) if v.is_empty() => Ok((
            CategoryFilter {
                agency,
                updated_after,
            },
            page,
        )),
        _ => Err(v.into_vec().into()),
    }
}

impl TryFrom<wire::CreateInquiryCategoryRequest> for CreateCategoryCommand {
    type Error = Error;

    fn try_from(request: wire::CreateInquiryCategoryRequest) -> Result<Self, Error> {
        let mut v = Violations::new();
        let agency = agency_parent(&request.parent, &mut v);
        let request_id = request_id(&request.request_id, &mut v);
        let Some(category) = request.inquiry_category else {
            v.add("inquiry_category", "must be set");
            return Err(v.into_vec().into());
        };
        let display_name = v.take(
            "inquiry_category.display_name",
            localized_text(
                category.display_name.as_ref(),
                category::MAX_NAME_CHARS,
                true,
            ),
        );
        let days = v.check(
            "inquiry_category.default_response_days",
            category::response_days(category.default_response_days),
        );
        match (agency, request_id, display_name, days) {
            (Some(agency), Some(request_id), Some(display_name), Some(days)) if v.is_empty() => {
                Ok(Self {
                    agency,
                    request_id,
                    display_name,
                    default_response_days: days,
                    count_working_days: category.count_working_days,
                })
            }
            _ => Err(v.into_vec().into()),
        }
    }
}

impl TryFrom<wire::UpdateInquiryCategoryRequest> for UpdateCategoryCommand {
    type Error = Error;

    fn try_from(request: wire::UpdateInquiryCategoryRequest) -> Result<Self, Error> {
        let mut v = Violations::new();
        let Some(category) = request.inquiry_category else {
            return Err(FieldViolation::new("inquiry_category", "must be set").into());
        };
        let name = parse_name(&category.name, &["inquiryCategories"])
            .map(|(agency, ids)| CategoryName { agency, id: ids[0] })
            .map_err(|err| v.add("inquiry_category.name", err.to_string()))
            .ok();
        let paths = v.take(
            "",
            CATEGORY_FIELDS.resolve(request.update_mask.as_ref(), &category),
        );
        let changing = |path| paths.as_ref().is_some_and(|paths| paths.contains(path));
        let display_name = if changing("display_name") {
            v.take(
                "inquiry_category.display_name",
                localized_text(
                    category.display_name.as_ref(),
                    category::MAX_NAME_CHARS,
                    true,
                ),
            )
        } else {
            None
        };
        let default_response_days = if changing("default_response_days") {
            v.check(
                "inquiry_category.default_response_days",
                category::response_days(category.default_response_days),
            )
        } else {
            None
        };
        let count_working_days =
            changing("count_working_days").then_some(category.count_working_days);
        match name {
            Some(name) if v.is_empty() => Ok(Self {
                name,
                if_match: IfMatch::optional(&category.etag),
                display_name,
                default_response_days,
                count_working_days,
            }),
            _ => Err(v.into_vec().into()),
        }
    }
}

/// GetInquiryStatistics: the agency (None for `agencies/-`) and the period.
pub(super) fn statistics(
    request: &wire::GetInquiryStatisticsRequest,
) -> Result<(Option<AgencyCode>, Period), Error> {
    let mut v = Violations::new();
    let agency = list_parent(&request.parent, &mut v);
    let start = required_date(request.period_start.as_ref(), "period_start", &mut v);
    let end = required_date(request.period_end.as_ref(), "period_end", &mut v);
    if let (Some(start), Some(end)) = (start, end)
        && end < start
    {
        v.add("period_end", "must not be before period_start");
    }
    match (agency, start, end) {
        (Some(agency), Some(start), Some(end)) if v.is_empty() => {
            Ok((agency, Period { start, end }))
        }
        _ => Err(v.into_vec().into()),
    }
}

/// WatchChanges: whose changes, which kinds, from where (the cursor is read by the use
/// case, which knows the feed's positions).
pub(super) fn watch_query(
    request: &wire::WatchChangesRequest,
) -> Result<WatchQuery<FollowedChange>, Error> {
    let mut v = Violations::new();
    let agencies = v.check("parent", AgencyFilter::parse_parent(&request.parent));
    let mut kinds = v.each("kinds", &request.kinds, usize::MAX, |number| {
        followed_change(*number).ok_or_else(|| {
            vec![FieldViolation::new(
                "",
                "must be INQUIRY_SUBMITTED, INQUIRY_ANSWERED or INQUIRY_OVERDUE",
            )]
        })
    });
    kinds.sort_unstable_by_key(|kind| *kind as u8);
    kinds.dedup();
    match agencies {
        Some(agencies) if v.is_empty() => Ok(WatchQuery {
            agencies,
            kinds,
            cursor: request.cursor.clone(),
            from_oldest: request.from_oldest,
        }),
        _ => Err(v.into_vec().into()),
    }
}

fn followed_change(number: i32) -> Option<FollowedChange> {
    Some(match wire::ChangeKind::try_from(number).ok()? {
        wire::ChangeKind::Unspecified => return None,
        wire::ChangeKind::InquirySubmitted => FollowedChange::Submitted,
        wire::ChangeKind::InquiryAnswered => FollowedChange::Answered,
        wire::ChangeKind::InquiryOverdue => FollowedChange::Overdue,
    })
}

/// ErasePersonalData: the agency, the person and the request_id.
impl TryFrom<&wire::ErasePersonalDataRequest> for EraseCommand {
    type Error = Error;

    fn try_from(request: &wire::ErasePersonalDataRequest) -> Result<Self, Error> {
        let mut v = Violations::new();
        let agency = agency_parent(&request.parent, &mut v);
        let person = Person::parse(&request.email, &request.phone, &mut v);
        let request_id = request_id(&request.request_id, &mut v);
        match (agency, person, request_id) {
            (Some(agency), Some(person), Some(request_id)) if v.is_empty() => Ok(Self {
                agency,
                person,
                request_id,
            }),
            _ => Err(v.into_vec().into()),
        }
    }
}

/// ExportPersonalData: the agency and the person.
impl TryFrom<&wire::ExportPersonalDataRequest> for ExportCommand {
    type Error = Error;

    fn try_from(request: &wire::ExportPersonalDataRequest) -> Result<Self, Error> {
        let mut v = Violations::new();
        let agency = agency_parent(&request.parent, &mut v);
        let person = Person::parse(&request.email, &request.phone, &mut v);
        match (agency, person) {
            (Some(agency), Some(person)) if v.is_empty() => Ok(Self { agency, person }),
            _ => Err(v.into_vec().into()),
        }
    }
}

/// GetPublicInquiryStatistics: the agency and a year from 2000 (the current year is
/// the use case's to check).
impl TryFrom<&wire::GetPublicInquiryStatisticsRequest> for PublicQuery {
    type Error = Error;

    fn try_from(request: &wire::GetPublicInquiryStatisticsRequest) -> Result<Self, Error> {
        let mut v = Violations::new();
        let agency = agency_parent(&request.parent, &mut v);
        let year = i16::try_from(request.year)
            .ok()
            .filter(|year| *year >= FIRST_YEAR);
        if year.is_none() {
            v.add(
                "year",
                format!("must be a year from {FIRST_YEAR} to the current one"),
            );
        }
        match (agency, year) {
            (Some(agency), Some(year)) if v.is_empty() => Ok(Self { agency, year }),
            _ => Err(v.into_vec().into()),
        }
    }
}

// ---- pieces ----------------------------------------------------------------------------

/// Keeps a checked value, or records its violation.
fn named<T>(checked: Result<T, FieldViolation>, v: &mut Violations) -> Option<T> {
    checked.map_err(|violation| v.push(violation)).ok()
}

/// A create's request_id: empty is not idempotent (AIP-155); anything else a UUID.
/// Some(None) when empty, None when refused.
fn request_id(sent: &str, v: &mut Violations) -> Option<Option<RequestId>> {
    named(RequestId::parse(sent), v)
}

fn page(page_size: i32, page_token: &str, v: &mut Violations) -> Option<PageRequest> {
    named(PageRequest::parse(page_size, page_token), v)
}

fn requester(requester: Option<&wire::Requester>, v: &mut Violations) -> Option<Requester> {
    let Some(requester) = requester else {
        v.add("inquiry.requester", "must be set");
        return None;
    };
    let display_name = v.check(
        "inquiry.requester.display_name",
        PersonalText::parse(&requester.display_name, 1, MAX_REQUESTER_NAME_CHARS),
    );
    // Each of email and phone may be absent (Some(None)); None means it was refused.
    let email = if requester.email.trim().is_empty() {
        Some(None)
    } else {
        v.check("inquiry.requester.email", Email::parse(&requester.email))
            .map(Some)
    };
    let phone = if requester.phone.trim().is_empty() {
        Some(None)
    } else {
        v.check("inquiry.requester.phone", Phone::parse(&requester.phone))
            .map(Some)
    };
    if requester.email.trim().is_empty() && requester.phone.trim().is_empty() {
        v.add(
            "inquiry.requester",
            "needs an email address or a phone number",
        );
    }
    // The model's own messages quote the value; a requester's country and language are
    // personal data, so the descriptions here never do.
    let country = CountryCode::parse(&requester.country_of_residence)
        .map_err(|_| {
            v.add(
                "inquiry.requester.country_of_residence",
                "must be an ISO 3166-1 alpha-2 country code, e.g. FR",
            );
        })
        .ok();
    let language = if requester.preferred_language_code.trim().is_empty() {
        Some(None)
    } else {
        LanguageCode::parse(&requester.preferred_language_code)
            .map(Some)
            .map_err(|_| {
                v.add(
                    "inquiry.requester.preferred_language_code",
                    "must be a BCP-47 language tag, e.g. ar, fr, zgh",
                );
            })
            .ok()
    };
    match (display_name, email, phone, country, language) {
        (Some(display_name), Some(email), Some(phone), Some(country), Some(language)) => {
            Some(Requester {
                display_name,
                email,
                phone,
                country_of_residence: country,
                preferred_language: language,
                diaspora: requester.diaspora,
            })
        }
        _ => None,
    }
}

/// An inquiry's kind: unset is QUESTION, a number outside the enum is refused.
fn kind(sent: i32, field: &str, v: &mut Violations) -> Option<Kind> {
    match wire::InquiryKind::try_from(sent) {
        Ok(wire::InquiryKind::Unspecified | wire::InquiryKind::Question) => Some(Kind::Question),
        Ok(wire::InquiryKind::Request) => Some(Kind::Request),
        Ok(wire::InquiryKind::Complaint) => Some(Kind::Complaint),
        Ok(wire::InquiryKind::Suggestion) => Some(Kind::Suggestion),
        Err(_) => {
            v.add(field, "must be one of the contract's kinds");
            None
        }
    }
}

/// A submission's place: Some(None) when absent or empty, None when refused. The
/// descriptions never quote the values (a land title is personal data).
fn place(place: Option<&wire::InquiryPlace>, v: &mut Violations) -> Option<Option<Place>> {
    let Some(place) = place else {
        return Some(None);
    };
    let mut refused = false;
    let mut text = |sent: &str, max: usize, field: &str, v: &mut Violations| {
        if sent.trim().is_empty() {
            return None;
        }
        let checked = v.check(field, bounded(sent, 1, max));
        refused |= checked.is_none();
        checked
    };
    let commune = text(
        &place.commune,
        MAX_COMMUNE_CHARS,
        "inquiry.place.commune",
        v,
    );
    let land_title_number = text(
        &place.land_title_number,
        MAX_LAND_TITLE_CHARS,
        "inquiry.place.land_title_number",
        v,
    );
    let coordinates = match (place.latitude, place.longitude) {
        (None, None) => None,
        (Some(latitude), Some(longitude)) => match Coordinates::from_degrees(latitude, longitude) {
            Ok(coordinates) => Some(coordinates),
            Err((which, problem)) => {
                v.add(format!("inquiry.place.{which}"), problem);
                refused = true;
                None
            }
        },
        (Some(_), None) => {
            v.add("inquiry.place.longitude", "must be set with `latitude`");
            refused = true;
            None
        }
        (None, Some(_)) => {
            v.add("inquiry.place.latitude", "must be set with `longitude`");
            refused = true;
            None
        }
    };
    (!refused).then(|| {
        Place {
            commune,
            land_title_number,
            coordinates,
        }
        .non_empty()
    })
}

fn agency_parent(parent: &str, v: &mut Violations) -> Option<AgencyCode> {
    match AgencyFilter::parse_parent(parent) {
        Ok(AgencyFilter::One(agency)) => Some(agency),
        Ok(AgencyFilter::All) => {
            v.add("parent", "must name one agency, `agencies/{agency}`");
            None
        }
        Err(problem) => {
            v.add("parent", problem);
            None
        }
    }
}

/// A list's parent: Some(None) for `agencies/-`.
fn list_parent(parent: &str, v: &mut Violations) -> Option<Option<AgencyCode>> {
    match AgencyFilter::parse_parent(parent) {
        Ok(AgencyFilter::One(agency)) => Some(Some(agency)),
        Ok(AgencyFilter::All) => Some(None),
        Err(problem) => {
            v.add("parent", problem);
            None
        }
    }
}

/// A category of `agency` by name; its id.
fn category_ref(
    name: &str,
    agency: Option<&AgencyCode>,
    field: &str,
    v: &mut Violations,
) -> Option<Uuid> {
    match parse_name(name, &["inquiryCategories"]) {
        Ok((owner, ids)) => match agency {
            Some(agency) if owner != *agency => {
                v.add(field, format!("must be a category of agencies/{agency}"));
                None
            }
            _ => Some(ids[0]),
        },
        Err(err) => {
            v.add(field, err.to_string());
            None
        }
    }
}

/// An optional reference to another service's resource, in canonical form: Some(None)
/// when empty.
fn optional_ref(
    name: &str,
    collection: &str,
    field: &str,
    v: &mut Violations,
) -> Option<Option<String>> {
    if name.trim().is_empty() {
        return Some(None);
    }
    match parse_name(name.trim(), &[collection]) {
        Ok((agency, ids)) => Some(Some(format!("agencies/{agency}/{collection}/{}", ids[0]))),
        Err(err) => {
            v.add(field, err.to_string());
            None
        }
    }
}

fn optional_text(text: &str, max: usize, field: &str, v: &mut Violations) -> Option<String> {
    if text.trim().is_empty() {
        return None;
    }
    v.check(field, bounded(text, 1, max))
}

fn note(text: &str, v: &mut Violations) -> Option<PersonalText> {
    if text.trim().is_empty() {
        return None;
    }
    v.check("note", PersonalText::parse(text, 1, MAX_NOTE_CHARS))
}

fn civil_date(date: Option<&CivilDate>, field: &str, v: &mut Violations) -> Option<Option<Date>> {
    match date {
        None => Some(None),
        Some(date) if date.date.trim().is_empty() => Some(None),
        Some(date) => v.check(field, parse_date(&date.date)).map(Some),
    }
}

fn required_date(date: Option<&CivilDate>, field: &str, v: &mut Violations) -> Option<Date> {
    match date {
        Some(date) if !date.date.trim().is_empty() => {
            v.check(&format!("{field}.date"), parse_date(&date.date))
        }
        _ => {
            v.add(field, "is required");
            None
        }
    }
}

fn optional_instant(
    value: Option<&prost_types::Timestamp>,
    field: &str,
    v: &mut Violations,
) -> Option<jiff::Timestamp> {
    value.and_then(|value| v.check(field, instant(value)))
}

pub(super) fn status_from_wire(status: wire::InquiryStatus) -> Status {
    match status {
        wire::InquiryStatus::Unspecified | wire::InquiryStatus::New => Status::New,
        wire::InquiryStatus::Assigned => Status::Assigned,
        wire::InquiryStatus::InProgress => Status::InProgress,
        wire::InquiryStatus::WaitingOnCitizen => Status::WaitingOnCitizen,
        wire::InquiryStatus::Answered => Status::Answered,
        wire::InquiryStatus::Closed => Status::Closed,
        wire::InquiryStatus::Referred => Status::Referred,
    }
}

fn channel_from_wire(channel: wire::InquiryChannel) -> Channel {
    match channel {
        wire::InquiryChannel::Unspecified | wire::InquiryChannel::WebPortal => Channel::WebPortal,
        wire::InquiryChannel::EventDesk => Channel::EventDesk,
        wire::InquiryChannel::Phone => Channel::Phone,
        wire::InquiryChannel::Email => Channel::Email,
        wire::InquiryChannel::Consulate => Channel::Consulate,
    }
}

// ReplyToInquiry: the citizen's side of the conversation.

impl TryFrom<wire::ReplyToInquiryRequest> for CitizenReplyCommand {
    type Error = Error;

    /// The reference and the code are checked by opening the inquiry, so that a wrong
    /// one of either is the lookup's NOT_FOUND, never a violation telling them apart.
    fn try_from(request: wire::ReplyToInquiryRequest) -> Result<Self, Error> {
        let mut v = Violations::new();
        let request_id = request_id(&request.request_id, &mut v);
        let body = v.check(
            "body",
            PersonalText::parse(&request.body, 1, MAX_BODY_CHARS),
        );
        let attachments = attachment_names(&request.attachments, &mut v);
        match (request_id, body, attachments) {
            (Some(request_id), Some(body), Some(attachments)) if v.is_empty() => Ok(Self {
                reference: request.reference,
                tracking_code: request.tracking_code,
                request_id,
                body,
                attachments,
            }),
            _ => Err(v.into_vec().into()),
        }
    }
}

// Attachments.

/// A request's `attachments`: the names to attach, at most 20, each once.
fn attachment_names(names: &[String], v: &mut Violations) -> Option<Vec<AttachmentName>> {
    match AttachmentName::parse_list("attachments", names) {
        Ok(parsed) => Some(parsed),
        Err(violations) => {
            for violation in violations {
                v.push(violation);
            }
            None
        }
    }
}

/// An upload's first message: the metadata, checked.
pub(super) fn upload_metadata(
    first: Option<wire::AttachmentUploadMetadata>,
) -> Result<UploadMetadata, Error> {
    let mut v = Violations::new();
    let Some(metadata) = first else {
        v.add("metadata", "the first message must carry the metadata");
        return Err(v.into_vec().into());
    };
    let mut nested = Violations::new();
    let agency = agency_parent(&metadata.parent, &mut nested);
    v.extend_under("metadata", nested.into_vec());
    let file_name = v.check("metadata.file_name", FileName::parse(&metadata.file_name));
    let media_type = v.check(
        "metadata.media_type",
        MediaType::parse(&metadata.media_type)
            .ok_or_else(|| "must be application/pdf, image/jpeg or image/png".to_owned()),
    );
    match (agency, file_name, media_type) {
        (Some(agency), Some(file_name), Some(media_type)) if v.is_empty() => Ok(UploadMetadata {
            agency,
            file_name,
            media_type,
        }),
        _ => Err(v.into_vec().into()),
    }
}

/// A download's attachment name, on `field`.
pub(super) fn attachment_name(name: &str, field: &str) -> Result<AttachmentName, Error> {
    AttachmentName::parse(name).map_err(|problem| Error::invalid(field, problem))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_updatable_paths_are_fields_of_the_contract() {
        assert_eq!(INQUIRY_FIELDS.check(), Ok(()));
        assert_eq!(CATEGORY_FIELDS.check(), Ok(()));
    }

    #[test]
    fn an_empty_request_id_is_not_idempotent_and_a_malformed_one_is_refused() {
        let mut v = Violations::new();
        assert_eq!(request_id("", &mut v), Some(None));
        assert!(v.is_empty());
        assert_eq!(request_id("twelve", &mut v), None);
        assert_eq!(v.into_vec()[0].field, "request_id");
    }

    #[test]
    fn submission_violations_name_every_wrong_field() {
        let request = wire::SubmitInquiryRequest {
            parent: "agencies/bm".to_owned(),
            request_id: "not-a-uuid".to_owned(),
            inquiry: Some(wire::Inquiry {
                requester: Some(wire::Requester {
                    display_name: "Citoyen Exemple".to_owned(),
                    email: "not-an-address".to_owned(),
                    phone: "12".to_owned(),
                    country_of_residence: "XX".to_owned(),
                    ..Default::default()
                }),
                category: "agencies/rabat/inquiryCategories/0198a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b"
                    .to_owned(),
                subject: "x".repeat(201),
                body: String::new(),
                ..Default::default()
            }),
            attachments: Vec::new(),
        };
        let Err(Error::Invalid(violations)) = SubmitCommand::try_from(request) else {
            panic!("expected violations");
        };
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        for field in [
            "request_id",
            "inquiry.requester.email",
            "inquiry.requester.phone",
            "inquiry.requester.country_of_residence",
            "inquiry.channel",
            "inquiry.category",
            "inquiry.subject",
            "inquiry.body",
        ] {
            assert!(fields.contains(&field), "{field} missing from {fields:?}");
        }
        assert!(
            violations
                .iter()
                .all(|v| !v.description.contains("not-an-address") && !v.description.contains("XX")),
            "descriptions never quote personal data"
        );
    }

    #[test]
    fn an_empty_mask_changes_what_the_request_sets_and_an_unknown_path_is_named() {
        let name = "agencies/bm/inquiries/0198a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b";
        let request = |paths: &[&str], inquiry: wire::Inquiry| wire::UpdateInquiryRequest {
            inquiry: Some(wire::Inquiry {
                name: name.to_owned(),
                etag: "\"v3\"".to_owned(),
                ..inquiry
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: paths.iter().map(|path| (*path).to_owned()).collect(),
            }),
        };
        let urgent = wire::Inquiry {
            priority: wire::InquiryPriority::High as i32,
            ..Default::default()
        };
        let command = UpdateCommand::try_from(request(&[], urgent.clone())).unwrap();
        assert_eq!(
            command.changes,
            TriageChanges {
                priority: Some(Priority::High),
                ..TriageChanges::default()
            }
        );
        assert_eq!(command.if_match.and_then(IfMatch::version), Some(3));
        let Err(Error::Invalid(violations)) =
            UpdateCommand::try_from(request(&["priority", "subject"], urgent))
        else {
            panic!("expected violations");
        };
        assert_eq!(violations[0].field, "update_mask.paths[1]");
        let Err(Error::Invalid(violations)) =
            UpdateCommand::try_from(request(&[], wire::Inquiry::default()))
        else {
            panic!("expected violations");
        };
        assert_eq!(violations[0].field, "update_mask");
    }

    #[test]
    fn a_foreign_etag_is_kept_as_one_that_matches_no_version() {
        let request = wire::AssignInquiryRequest {
            name: "agencies/bm/inquiries/0198a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b".to_owned(),
            etag: "W/\"abc\"".to_owned(),
            assignment: Some(wire::Assignment {
                team: "guichet-mre".to_owned(),
                agent: String::new(),
            }),
            note: String::new(),
        };
        let command = AssignCommand::try_from(request).unwrap();
        assert!(command.if_match.check(1).is_err());
        let missing = wire::AssignInquiryRequest {
            name: "agencies/bm/inquiries/0198a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b".to_owned(),
            ..Default::default()
        };
        let Err(Error::Invalid(violations)) = AssignCommand::try_from(missing) else {
            panic!("expected violations");
        };
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["etag", "assignment"]);
    }
}
