//! Requests into checked domain commands (every wrong field reported at once, under its
//! path in the request) and domain values back into messages.

use jalia_model::{
    AgencyCode, AgencyFilter, CountryCode, Email, FallbackChain, LanguageCode, LocalizedText,
    Phone, Violations, page_size, parse_name,
};
use jalia_proto::convert::{instant, localized_text, localized_text_for, timestamp};
use jalia_proto::inquiries::v1 as wire;
use jalia_proto::r#type::v1::CivilDate;
use jiff::SignedDuration;
use jiff::civil::Date;
use uuid::Uuid;

use crate::domain::Error;
use crate::domain::calendar::parse_date;
use crate::domain::category::{self, Category};
use crate::domain::inquiry::{
    Assignment, Channel, DueDateSource, Priority, Referral, Requester, StateChange, Status,
    Submission, Target, Visibility,
};
use crate::domain::message::{MAX_BODY_CHARS, Message};
use crate::domain::query::{InquiryListRequest, InquiryOrder, Page};
use crate::domain::statistics::Period;
use crate::domain::text::{PersonalText, bounded};
use crate::service::{
    AddMessageCommand, AssignCommand, CategoryName, CitizenView, CreateCategoryCommand,
    InquiryName, InquiryView, PageRequest, StatisticsReport, SubmitCommand, Submitted,
    TransitionCommand, TriageChanges, UpdateCategoryCommand, UpdateCommand,
};

const MAX_REQUESTER_NAME_CHARS: usize = 200;
const MAX_SUBJECT_CHARS: usize = 200;
const MAX_NOTE_CHARS: usize = 2_000;
const MAX_TEAM_CHARS: usize = 100;
const MAX_AGENT_CHARS: usize = 200;
const MAX_ADMINISTRATION_CHARS: usize = 200;
const MAX_EXTERNAL_REFERENCE_CHARS: usize = 100;

/// What readers are served localized text in.
pub struct Languages {
    wanted: Vec<LanguageCode>,
    chain: FallbackChain,
}

impl Languages {
    /// The reader's languages, best first, and the agencies' fallback chain.
    pub fn new(wanted: Vec<LanguageCode>) -> Self {
        Self {
            wanted,
            chain: FallbackChain::default(),
        }
    }

    fn text(&self, text: &LocalizedText) -> jalia_proto::r#type::v1::LocalizedText {
        localized_text_for(text, &self.wanted, &self.chain)
    }
}

// ---- requests --------------------------------------------------------------------------

/// SubmitInquiry.
pub fn submit(request: wire::SubmitInquiryRequest) -> Result<SubmitCommand, Error> {
    let mut v = Violations::new();
    let agency = agency_parent(&request.parent, &mut v);
    let request_id = request_id(&request.request_id, &mut v);
    let Some(inquiry) = request.inquiry else {
        v.add("inquiry", "must be set");
        return Err(Error::Invalid(v.into_vec()));
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
    let subject = take(
        &mut v,
        "inquiry.subject",
        PersonalText::parse(&inquiry.subject, 1, MAX_SUBJECT_CHARS),
    );
    let body = take(
        &mut v,
        "inquiry.body",
        PersonalText::parse(&inquiry.body, 1, MAX_BODY_CHARS),
    );
    let answer_before = civil_date(
        inquiry.answer_before.as_ref(),
        "inquiry.answer_before.date",
        &mut v,
    );
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
        ) if v.is_empty() => Ok(SubmitCommand {
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
            },
            request_id,
        }),
        _ => Err(Error::Invalid(v.into_vec())),
    }
}

/// GetInquiry and the other requests naming one inquiry.
pub fn inquiry_name(name: &str, field: &str) -> Result<InquiryName, Error> {
    parse_name(name, &["inquiries"])
        .map(|(agency, ids)| InquiryName { agency, id: ids[0] })
        .map_err(|err| Error::invalid(field, err.to_string()))
}

/// ListInquiries.
pub fn list_inquiries(request: &wire::ListInquiriesRequest) -> Result<InquiryListRequest, Error> {
    let mut v = Violations::new();
    let agency = list_parent(&request.parent, &mut v);
    let page_size = checked_page_size(request.page_size, &mut v);
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
    match (agency, page_size) {
        (Some(agency), Some(page_size)) if v.is_empty() => Ok(InquiryListRequest {
            agency,
            page_size,
            page_token: request.page_token.clone(),
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
        }),
        _ => Err(Error::Invalid(v.into_vec())),
    }
}

/// UpdateInquiry.
pub fn update(request: wire::UpdateInquiryRequest) -> Result<UpdateCommand, Error> {
    let mut v = Violations::new();
    let Some(inquiry) = request.inquiry else {
        v.add("inquiry", "must be set");
        return Err(Error::Invalid(v.into_vec()));
    };
    let name = inquiry_name(&inquiry.name, "inquiry.name")
        .map_err(|err| collect(&mut v, err))
        .ok();
    let expected_version = optional_etag(&inquiry.etag)?;
    let paths = request
        .update_mask
        .map(|mask| mask.paths)
        .unwrap_or_default();
    if paths.is_empty() {
        v.add(
            "update_mask",
            "is required: any of category, service, event, answer_before, priority",
        );
    }
    let mut changes = TriageChanges::default();
    for path in &paths {
        match path.as_str() {
            "category" => {
                if inquiry.category.is_empty() {
                    v.add("inquiry.category", "cannot be cleared");
                } else if let Some(name) = &name {
                    changes.category =
                        category_ref(&inquiry.category, Some(&name.agency), "inquiry.category", &mut v);
                }
            }
            "service" => {
                changes.service = optional_ref(&inquiry.service, "services", "inquiry.service", &mut v);
            }
            "event" => {
                changes.event = optional_ref(&inquiry.event, "events", "inquiry.event", &mut v);
            }
            "answer_before" => {
                changes.answer_before = civil_date(
                    inquiry.answer_before.as_ref(),
                    "inquiry.answer_before.date",
                    &mut v,
                );
            }
            "priority" => match wire::InquiryPriority::try_from(inquiry.priority) {
                Ok(wire::InquiryPriority::High) => changes.priority = Some(Priority::High),
                Ok(wire::InquiryPriority::Normal | wire::InquiryPriority::Unspecified) => {
                    changes.priority = Some(Priority::Normal);
                }
                Err(_) => v.add("inquiry.priority", "must be one of the contract's priorities"),
            },
            other => v.add(
                "update_mask",
                format!(
                    "`{other}` is not updatable: use category, service, event, answer_before or priority"
                ),
            ),
        }
    }
    match name {
        Some(name) if v.is_empty() => Ok(UpdateCommand {
            name,
            expected_version,
            changes,
        }),
        _ => Err(Error::Invalid(v.into_vec())),
    }
}

/// AssignInquiry.
pub fn assign(request: wire::AssignInquiryRequest) -> Result<AssignCommand, Error> {
    let mut v = Violations::new();
    let name = inquiry_name(&request.name, "name")
        .map_err(|err| collect(&mut v, err))
        .ok();
    let etag = required_etag(&request.etag, &mut v);
    let assignment = match request.assignment {
        None => {
            v.add("assignment", "needs a team or an agent");
            None
        }
        Some(assignment) => {
            let team = optional_text(&assignment.team, MAX_TEAM_CHARS, "assignment.team", &mut v);
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
    match (name, etag, assignment) {
        (Some(name), Some(etag), Some(assignment)) if v.is_empty() => Ok(AssignCommand {
            name,
            expected_version: parse_etag(&etag)?,
            assignment,
            note,
        }),
        _ => Err(Error::Invalid(v.into_vec())),
    }
}

/// TransitionInquiry.
pub fn transition(request: wire::TransitionInquiryRequest) -> Result<TransitionCommand, Error> {
    let mut v = Violations::new();
    let name = inquiry_name(&request.name, "name")
        .map_err(|err| collect(&mut v, err))
        .ok();
    let etag = required_etag(&request.etag, &mut v);
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
            let administration = take(
                &mut v,
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
        Status::Referred => referral.clone().map(Target::Referred),
        Status::Assigned => None,
    });
    match (name, etag, target) {
        (Some(name), Some(etag), Some(target)) if v.is_empty() => Ok(TransitionCommand {
            name,
            expected_version: parse_etag(&etag)?,
            target,
            note,
        }),
        _ => Err(Error::Invalid(v.into_vec())),
    }
}

/// AddInquiryMessage.
pub fn add_message(request: wire::AddInquiryMessageRequest) -> Result<AddMessageCommand, Error> {
    let mut v = Violations::new();
    let inquiry = inquiry_name(&request.parent, "parent")
        .map_err(|err| collect(&mut v, err))
        .ok();
    let request_id = request_id(&request.request_id, &mut v);
    let Some(message) = request.inquiry_message else {
        v.add("inquiry_message", "must be set");
        return Err(Error::Invalid(v.into_vec()));
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
    let body = take(
        &mut v,
        "inquiry_message.body",
        PersonalText::parse(&message.body, 1, MAX_BODY_CHARS),
    );
    match (inquiry, request_id, visibility, body) {
        (Some(inquiry), Some(request_id), Some(visibility), Some(body)) if v.is_empty() => {
            Ok(AddMessageCommand {
                inquiry,
                request_id,
                visibility,
                body,
            })
        }
        _ => Err(Error::Invalid(v.into_vec())),
    }
}

/// ListInquiryMessages: the inquiry, the filters and the page.
pub fn list_messages(
    request: &wire::ListInquiryMessagesRequest,
) -> Result<
    (
        InquiryName,
        Option<jiff::Timestamp>,
        Option<Visibility>,
        PageRequest,
    ),
    Error,
> {
    let mut v = Violations::new();
    let inquiry = inquiry_name(&request.parent, "parent")
        .map_err(|err| collect(&mut v, err))
        .ok();
    let page_size = checked_page_size(request.page_size, &mut v);
    let updated_after = optional_instant(request.updated_after.as_ref(), "updated_after", &mut v);
    let visibility = match wire::MessageVisibility::try_from(request.visibility) {
        Ok(wire::MessageVisibility::Unspecified) => None,
        Ok(wire::MessageVisibility::PublicReply) => Some(Visibility::PublicReply),
        Ok(wire::MessageVisibility::InternalNote) => Some(Visibility::InternalNote),
        Err(_) => {
            v.add("visibility", "must be one of the contract's visibilities");
            None
        }
    };
    match (inquiry, page_size) {
        (Some(inquiry), Some(page_size)) if v.is_empty() => Ok((
            inquiry,
            updated_after,
            visibility,
            PageRequest {
                page_size,
                page_token: request.page_token.clone(),
            },
        )),
        _ => Err(Error::Invalid(v.into_vec())),
    }
}

/// ListInquiryCategories: the agency (None for every agency), the filter and the page.
pub fn list_categories(
    request: &wire::ListInquiryCategoriesRequest,
) -> Result<(Option<AgencyCode>, Option<jiff::Timestamp>, PageRequest), Error> {
    let mut v = Violations::new();
    let agency = list_parent(&request.parent, &mut v);
    let page_size = checked_page_size(request.page_size, &mut v);
    let updated_after = optional_instant(request.updated_after.as_ref(), "updated_after", &mut v);
    match (agency, page_size) {
        (Some(agency), Some(page_size)) if v.is_empty() => Ok((
            agency,
            updated_after,
            PageRequest {
                page_size,
                page_token: request.page_token.clone(),
            },
        )),
        _ => Err(Error::Invalid(v.into_vec())),
    }
}

/// CreateInquiryCategory.
pub fn create_category(
    request: wire::CreateInquiryCategoryRequest,
) -> Result<CreateCategoryCommand, Error> {
    let mut v = Violations::new();
    let agency = agency_parent(&request.parent, &mut v);
    let request_id = request_id(&request.request_id, &mut v);
    let Some(category) = request.inquiry_category else {
        v.add("inquiry_category", "must be set");
        return Err(Error::Invalid(v.into_vec()));
    };
    let display_name = v.take(
        "inquiry_category.display_name",
        localized_text(
            category.display_name.as_ref(),
            category::MAX_NAME_CHARS,
            true,
        ),
    );
    let days = take(
        &mut v,
        "inquiry_category.default_response_days",
        category::response_days(category.default_response_days),
    );
    match (agency, request_id, display_name, days) {
        (Some(agency), Some(request_id), Some(display_name), Some(days)) if v.is_empty() => {
            Ok(CreateCategoryCommand {
                agency,
                request_id,
                display_name,
                default_response_days: days,
            })
        }
        _ => Err(Error::Invalid(v.into_vec())),
    }
}

/// UpdateInquiryCategory.
pub fn update_category(
    request: wire::UpdateInquiryCategoryRequest,
) -> Result<UpdateCategoryCommand, Error> {
    let mut v = Violations::new();
    let Some(category) = request.inquiry_category else {
        v.add("inquiry_category", "must be set");
        return Err(Error::Invalid(v.into_vec()));
    };
    let name = parse_name(&category.name, &["inquiryCategories"])
        .map(|(agency, ids)| CategoryName { agency, id: ids[0] })
        .map_err(|err| v.add("inquiry_category.name", err.to_string()))
        .ok();
    let expected_version = optional_etag(&category.etag)?;
    let paths = request
        .update_mask
        .map(|mask| mask.paths)
        .unwrap_or_default();
    if paths.is_empty() {
        v.add(
            "update_mask",
            "is required: display_name and/or default_response_days",
        );
    }
    let mut display_name = None;
    let mut days = None;
    for path in &paths {
        match path.as_str() {
            "display_name" => {
                display_name = v.take(
                    "inquiry_category.display_name",
                    localized_text(
                        category.display_name.as_ref(),
                        category::MAX_NAME_CHARS,
                        true,
                    ),
                );
            }
            "default_response_days" => {
                days = take(
                    &mut v,
                    "inquiry_category.default_response_days",
                    category::response_days(category.default_response_days),
                );
            }
            other => v.add(
                "update_mask",
                format!("`{other}` is not updatable: use display_name or default_response_days"),
            ),
        }
    }
    match name {
        Some(name) if v.is_empty() => Ok(UpdateCategoryCommand {
            name,
            expected_version,
            display_name,
            default_response_days: days,
        }),
        _ => Err(Error::Invalid(v.into_vec())),
    }
}

/// GetInquiryStatistics: the agency (None for `agencies/-`) and the period.
pub fn statistics(
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
        _ => Err(Error::Invalid(v.into_vec())),
    }
}

// ---- responses -------------------------------------------------------------------------

/// An inquiry as staff see it.
pub fn inquiry(view: &InquiryView, languages: &Languages) -> wire::Inquiry {
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
        category: format!(
            "agencies/{}/inquiryCategories/{}",
            inquiry.agency, inquiry.category
        ),
        category_display_name: Some(languages.text(&view.category_name)),
        service: inquiry.service.clone().unwrap_or_default(),
        event: inquiry.event.clone().unwrap_or_default(),
        subject: inquiry.subject.expose().to_owned(),
        body: inquiry.body.expose().to_owned(),
        answer_before: inquiry.answer_before.map(date_to_wire),
        status: status_to_wire(inquiry.status) as i32,
        referral: inquiry.referral.as_ref().map(referral_to_wire),
        assignment: inquiry.assignment.as_ref().map(assignment_to_wire),
        priority: match inquiry.priority {
            Priority::Normal => wire::InquiryPriority::Normal,
            Priority::High => wire::InquiryPriority::High,
        } as i32,
        due_date: Some(date_to_wire(view.due_date)),
        due_date_source: match inquiry.due.source {
            DueDateSource::CatalogProcessingTime => wire::DueDateSource::CatalogProcessingTime,
            DueDateSource::CategoryDefault => wire::DueDateSource::CategoryDefault,
        } as i32,
        due_date_pending: inquiry.due.pending,
        first_response_time: inquiry.first_response_at.map(timestamp),
        paused_duration: Some(duration_to_wire(view.paused)),
        history: view.history.iter().map(state_change).collect(),
        create_time: Some(timestamp(inquiry.created_at)),
        update_time: Some(timestamp(inquiry.updated_at)),
        etag: etag(inquiry.version),
    }
}

/// SubmitInquiry's response.
pub fn submitted(submitted: &Submitted, languages: &Languages) -> wire::SubmitInquiryResponse {
    wire::SubmitInquiryResponse {
        inquiry: Some(inquiry(&submitted.view, languages)),
        tracking_code: submitted.tracking_code.grouped(),
    }
}

/// LookupInquiry's response: the citizen's view only.
pub fn citizen_view(view: &CitizenView, languages: &Languages) -> wire::LookupInquiryResponse {
    wire::LookupInquiryResponse {
        reference: view.reference.to_string(),
        status: status_to_wire(view.status) as i32,
        category_display_name: Some(languages.text(&view.category_name)),
        referral: view.referral.as_ref().map(referral_to_wire),
        create_time: Some(timestamp(view.created_at)),
        update_time: Some(timestamp(view.updated_at)),
        due_date: Some(date_to_wire(view.due_date)),
        replies: view
            .replies
            .iter()
            .filter(|reply| reply.visibility == Visibility::PublicReply)
            .map(|reply| wire::PublicReply {
                body: reply.body.expose().to_owned(),
                create_time: Some(timestamp(reply.created_at)),
            })
            .collect(),
    }
}

/// A page of inquiries.
pub fn inquiries(page: &Page<InquiryView>, languages: &Languages) -> wire::ListInquiriesResponse {
    wire::ListInquiriesResponse {
        inquiries: page
            .items
            .iter()
            .map(|view| inquiry(view, languages))
            .collect(),
        next_page_token: page.next_page_token.clone().unwrap_or_default(),
    }
}

/// A message.
pub fn message(message: &Message) -> wire::InquiryMessage {
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
    }
}

/// A page of messages.
pub fn messages(page: &Page<Message>) -> wire::ListInquiryMessagesResponse {
    wire::ListInquiryMessagesResponse {
        inquiry_messages: page.items.iter().map(message).collect(),
        next_page_token: page.next_page_token.clone().unwrap_or_default(),
    }
}

/// A category.
pub fn category(category: &Category, languages: &Languages) -> wire::InquiryCategory {
    wire::InquiryCategory {
        name: format!(
            "agencies/{}/inquiryCategories/{}",
            category.agency, category.id
        ),
        display_name: Some(languages.text(&category.display_name)),
        default_response_days: i32::try_from(category.default_response_days).unwrap_or(i32::MAX),
        create_time: Some(timestamp(category.created_at)),
        update_time: Some(timestamp(category.updated_at)),
        etag: etag(category.version),
    }
}

/// A page of categories.
pub fn categories(
    page: &Page<Category>,
    languages: &Languages,
) -> wire::ListInquiryCategoriesResponse {
    wire::ListInquiryCategoriesResponse {
        inquiry_categories: page
            .items
            .iter()
            .map(|item| category(item, languages))
            .collect(),
        next_page_token: page.next_page_token.clone().unwrap_or_default(),
    }
}

/// GetInquiryStatistics' response.
pub fn statistics_response(
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
                        format!(
                            "agencies/{}/inquiryCategories/{}",
                            category.agency, category.id
                        )
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
        median_first_response_duration: statistics.median_first_response.map(duration_to_wire),
        overdue_count: statistics.overdue,
    }
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
        assignment: change.assignment.as_ref().map(assignment_to_wire),
        referral: change.referral.as_ref().map(referral_to_wire),
    }
}

// ---- pieces ----------------------------------------------------------------------------

/// The etag of a version: opaque to callers.
pub fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// A version from an etag; one this server never issued cannot be current.
fn parse_etag(etag: &str) -> Result<i64, Error> {
    etag.trim()
        .trim_matches('"')
        .strip_prefix('v')
        .and_then(|version| version.parse().ok())
        .ok_or(Error::StaleEtag)
}

fn optional_etag(etag: &str) -> Result<Option<i64>, Error> {
    if etag.trim().is_empty() {
        Ok(None)
    } else {
        parse_etag(etag).map(Some)
    }
}

fn required_etag(etag: &str, v: &mut Violations) -> Option<String> {
    if etag.trim().is_empty() {
        v.add("etag", "is required: send the etag last read");
        None
    } else {
        Some(etag.to_owned())
    }
}

fn requester(requester: Option<&wire::Requester>, v: &mut Violations) -> Option<Requester> {
    let Some(requester) = requester else {
        v.add("inquiry.requester", "must be set");
        return None;
    };
    let display_name = take(
        v,
        "inquiry.requester.display_name",
        PersonalText::parse(&requester.display_name, 1, MAX_REQUESTER_NAME_CHARS),
    );
    // Each of email and phone may be absent (Some(None)); None means it was refused.
    let email = if requester.email.trim().is_empty() {
        Some(None)
    } else {
        take(v, "inquiry.requester.email", Email::parse(&requester.email)).map(Some)
    };
    let phone = if requester.phone.trim().is_empty() {
        Some(None)
    } else {
        take(v, "inquiry.requester.phone", Phone::parse(&requester.phone)).map(Some)
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

fn request_id(text: &str, v: &mut Violations) -> Option<Uuid> {
    if text.trim().is_empty() {
        v.add(
            "request_id",
            "is required: a UUID that makes the call idempotent",
        );
        return None;
    }
    Uuid::parse_str(text.trim())
        .map_err(|_| v.add("request_id", "must be a UUID"))
        .ok()
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
    take(v, field, bounded(text, 1, max))
}

fn note(text: &str, v: &mut Violations) -> Option<PersonalText> {
    if text.trim().is_empty() {
        return None;
    }
    take(v, "note", PersonalText::parse(text, 1, MAX_NOTE_CHARS))
}

fn civil_date(date: Option<&CivilDate>, field: &str, v: &mut Violations) -> Option<Option<Date>> {
    match date {
        None => Some(None),
        Some(date) if date.date.trim().is_empty() => Some(None),
        Some(date) => take(v, field, parse_date(&date.date)).map(Some),
    }
}

fn required_date(date: Option<&CivilDate>, field: &str, v: &mut Violations) -> Option<Date> {
    match date {
        Some(date) if !date.date.trim().is_empty() => {
            take(v, &format!("{field}.date"), parse_date(&date.date))
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
    value.and_then(|value| take(v, field, instant(value)))
}

fn checked_page_size(requested: i32, v: &mut Violations) -> Option<u32> {
    take(v, "page_size", page_size(requested))
}

fn take<T>(v: &mut Violations, field: &str, checked: Result<T, String>) -> Option<T> {
    checked.map_err(|problem| v.add(field, problem)).ok()
}

/// Adds an error's violations to `v` (names that failed to parse).
fn collect(v: &mut Violations, err: Error) {
    if let Error::Invalid(violations) = err {
        for violation in violations {
            v.add(violation.field, violation.description);
        }
    }
}

fn date_to_wire(date: Date) -> CivilDate {
    CivilDate {
        date: date.to_string(),
    }
}

fn duration_to_wire(duration: SignedDuration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: duration.as_secs(),
        nanos: duration.subsec_nanos(),
    }
}

fn referral_to_wire(referral: &Referral) -> wire::Referral {
    wire::Referral {
        administration: referral.administration.clone(),
        external_reference: referral.external_reference.clone().unwrap_or_default(),
    }
}

fn assignment_to_wire(assignment: &Assignment) -> wire::Assignment {
    wire::Assignment {
        team: assignment.team.clone().unwrap_or_default(),
        agent: assignment.agent.clone().unwrap_or_default(),
    }
}

fn status_from_wire(status: wire::InquiryStatus) -> Status {
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

fn channel_from_wire(channel: wire::InquiryChannel) -> Channel {
    match channel {
        wire::InquiryChannel::Unspecified | wire::InquiryChannel::WebPortal => Channel::WebPortal,
        wire::InquiryChannel::EventDesk => Channel::EventDesk,
        wire::InquiryChannel::Phone => Channel::Phone,
        wire::InquiryChannel::Email => Channel::Email,
        wire::InquiryChannel::Consulate => Channel::Consulate,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_round_trip_and_foreign_ones_are_stale() {
        assert_eq!(parse_etag(&etag(7)).unwrap(), 7);
        assert!(matches!(parse_etag("W/\"abc\""), Err(Error::StaleEtag)));
        assert_eq!(optional_etag("").unwrap(), None);
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
        };
        let Err(Error::Invalid(violations)) = submit(request) else {
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
}
