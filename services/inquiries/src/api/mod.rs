//! The gRPC face of the service: each handler converts its request, makes one call to the
//! use cases and converts the answer back.

mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod request;
mod response;

use std::sync::Arc;

use futures_util::StreamExt;

use jalia_model::Caller;
use jalia_proto::inquiries::v1::inquiry_service_server::{InquiryService, InquiryServiceServer};
use jalia_proto::inquiries::v1::{
    AddInquiryMessageRequest, AssignInquiryRequest, Attachment, CreateInquiryCategoryRequest,
    DownloadAttachmentRequest, DownloadAttachmentResponse, DownloadCitizenAttachmentRequest,
    DownloadCitizenAttachmentResponse, GetInquiryRequest, GetInquiryStatisticsRequest,
    GetInquiryStatisticsResponse, Inquiry, InquiryCategory, InquiryMessage, ListInquiriesRequest,
    ListInquiriesResponse, ListInquiryCategoriesRequest, ListInquiryCategoriesResponse,
    ListInquiryMessagesRequest, ListInquiryMessagesResponse, LookupInquiryRequest,
    LookupInquiryResponse, ReplyToInquiryRequest, ReplyToInquiryResponse, SubmitInquiryRequest,
    SubmitInquiryResponse, TransitionInquiryRequest, UpdateInquiryCategoryRequest,
    UpdateInquiryRequest, UploadCitizenAttachmentRequest, UploadStaffAttachmentRequest,
    download_attachment_response, download_citizen_attachment_response,
    upload_citizen_attachment_request, upload_staff_attachment_request,
};
use jalia_proto::inquiries::v1::{
    ErasePersonalDataRequest, ErasePersonalDataResponse, ExportPersonalDataRequest,
    ExportPersonalDataResponse, GetPublicInquiryStatisticsRequest,
    GetPublicInquiryStatisticsResponse, WatchChangesRequest, WatchChangesResponse,
};
use jalia_runtime::config::Limits;
use jalia_runtime::server::{caller, deadline, wanted_languages};
use jalia_runtime::{ApiError, ErrorCode, reasons};
use tonic::codegen::BoxStream;
use tonic::service::Routes;
use tonic::{Request, Response, Status, Streaming};

use crate::app::Inquiries;
use crate::domain::Error;
use crate::domain::attachment::{Upload, UploadMetadata, Uploader};
use crate::domain::category::{CreateCategoryCommand, UpdateCategoryCommand};
use crate::domain::erasure::{EraseCommand, ExportCommand};
use crate::domain::inquiry::{
    AssignCommand, InquiryName, SubmitCommand, TransitionCommand, UpdateCommand,
};
use crate::domain::message::{AddMessageCommand, CitizenReplyCommand};
use crate::domain::public_statistics::PublicQuery;
use response::Languages;

/// The service's routes, with the configured message size limits.
pub(crate) fn routes(inquiries: Arc<Inquiries>, limits: &Limits) -> Routes {
    Routes::new(
        InquiryServiceServer::new(Api {
            inquiries,
            // What an answer may take, leaving room for the frame and trailers.
            max_answer_bytes: limits.max_message_bytes - limits.max_message_bytes / 16,
        })
        .max_decoding_message_size(limits.max_message_bytes)
        .max_encoding_message_size(limits.max_message_bytes),
    )
}

/// The tonic implementation of `InquiryService`.
#[derive(Debug, Clone)]
struct Api {
    inquiries: Arc<Inquiries>,
    max_answer_bytes: usize,
}

/// Refuses an answer larger than the service may send, rather than sending part of it.
fn whole<T: prost::Message>(answer: T, max_bytes: usize) -> Result<T, Status> {
    if answer.encoded_len() > max_bytes {
        return Err(Error::TooLarge {
            reason: reasons::MESSAGE_TOO_LARGE,
            message: format!("the answer would exceed {max_bytes} bytes"),
        }
        .into());
    }
    Ok(answer)
}

/// The verified caller; the gate lets a scoped RPC through only with one.
fn caller_of<T>(request: &Request<T>) -> Result<Caller, Status> {
    caller(request).cloned().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Unauthenticated,
            reasons::UNAUTHENTICATED,
            "this call needs a bearer token",
        )
        .into()
    })
}

fn languages<T>(request: &Request<T>, language_code: &str) -> Languages {
    Languages::new(wanted_languages(request, language_code))
}

fn budget<T>(request: &Request<T>) -> Option<std::time::Duration> {
    deadline(request).map(|deadline| deadline.remaining())
}

/// A download's stream: its messages, made before the first is sent.
type DownloadStream<M> = futures_util::stream::Iter<std::vec::IntoIter<Result<M, Status>>>;

/// One message of an upload: its metadata or a chunk.
enum UploadPart {
    Metadata(Option<jalia_proto::inquiries::v1::AttachmentUploadMetadata>),
    Chunk(Vec<u8>),
}

impl From<upload_citizen_attachment_request::Part> for UploadPart {
    fn from(part: upload_citizen_attachment_request::Part) -> Self {
        use upload_citizen_attachment_request::Part;
        match part {
            Part::Metadata(metadata) => Self::Metadata(Some(metadata)),
            Part::Chunk(chunk) => Self::Chunk(chunk),
        }
    }
}

impl From<upload_staff_attachment_request::Part> for UploadPart {
    fn from(part: upload_staff_attachment_request::Part) -> Self {
        use upload_staff_attachment_request::Part;
        match part {
            Part::Metadata(metadata) => Self::Metadata(Some(metadata)),
            Part::Chunk(chunk) => Self::Chunk(chunk),
        }
    }
}

impl Api {
    /// Both upload RPCs: the caller, the stream received within the file limit, one call.
    async fn upload<M>(
        &self,
        request: Request<Streaming<M>>,
        uploader: Uploader,
        part: impl Fn(M) -> Option<UploadPart>,
    ) -> Result<Response<Attachment>, Status> {
        let (caller, limit) = (
            caller_of(&request)?,
            self.inquiries.attachment_limits().file_bytes,
        );
        let upload = receive(request.into_inner(), uploader, limit, part).await?;
        let attachment = self.inquiries.upload(&caller, upload).await?;
        Ok(Response::new(response::attachment(&attachment)))
    }
}

/// Receives an upload: the metadata first, then the chunks, each checked as it comes
/// (a stream over the size limit is refused without reading it to the end).
async fn receive<M>(
    mut stream: Streaming<M>,
    uploader: Uploader,
    limit: u64,
    part: impl Fn(M) -> Option<UploadPart>,
) -> Result<Upload, Status> {
    let first = stream.message().await?.and_then(&part);
    let metadata: UploadMetadata = match first {
        Some(UploadPart::Metadata(metadata)) => request::upload_metadata(metadata)?,
        _ => request::upload_metadata(None)?,
    };
    let mut upload = Upload::new(metadata, uploader, limit);
    while let Some(message) = stream.message().await? {
        match part(message) {
            Some(UploadPart::Chunk(chunk)) => upload.push(&chunk)?,
            _ => {
                return Err(crate::Error::invalid(
                    "chunk",
                    "every message after the first must carry a chunk",
                )
                .into());
            }
        }
    }
    Ok(upload)
}

#[tonic::async_trait]
impl InquiryService for Api {
    type DownloadAttachmentStream = DownloadStream<DownloadAttachmentResponse>;
    type DownloadCitizenAttachmentStream = DownloadStream<DownloadCitizenAttachmentResponse>;

    async fn upload_citizen_attachment(
        &self,
        request: Request<Streaming<UploadCitizenAttachmentRequest>>,
    ) -> Result<Response<Attachment>, Status> {
        self.upload(request, Uploader::Citizen, |message| {
            message.part.map(UploadPart::from)
        })
        .await
    }

    async fn upload_staff_attachment(
        &self,
        request: Request<Streaming<UploadStaffAttachmentRequest>>,
    ) -> Result<Response<Attachment>, Status> {
        self.upload(request, Uploader::Staff, |message| {
            message.part.map(UploadPart::from)
        })
        .await
    }

    async fn download_attachment(
        &self,
        request: Request<DownloadAttachmentRequest>,
    ) -> Result<Response<Self::DownloadAttachmentStream>, Status> {
        use download_attachment_response::Part;
        let caller = caller_of(&request)?;
        let name = request::attachment_name(&request.get_ref().name, "name")?;
        let download = self.inquiries.download(&caller, &name).await?;
        let messages = response::download(
            &download,
            |metadata| {
                Ok(DownloadAttachmentResponse {
                    part: Some(Part::Metadata(metadata)),
                })
            },
            |chunk| {
                Ok(DownloadAttachmentResponse {
                    part: Some(Part::Chunk(chunk)),
                })
            },
        );
        Ok(Response::new(futures_util::stream::iter(messages)))
    }

    async fn download_citizen_attachment(
        &self,
        request: Request<DownloadCitizenAttachmentRequest>,
    ) -> Result<Response<Self::DownloadCitizenAttachmentStream>, Status> {
        use download_citizen_attachment_response::Part;
        let DownloadCitizenAttachmentRequest {
            reference,
            tracking_code,
            attachment,
        } = request.into_inner();
        // A malformed name is the same NOT_FOUND as a wrong code.
        let name = request::attachment_name(&attachment, "attachment").ok();
        let download = self
            .inquiries
            .download_as_citizen(&reference, &tracking_code, name.as_ref())
            .await?;
        let messages = response::download(
            &download,
            |metadata| {
                Ok(DownloadCitizenAttachmentResponse {
                    part: Some(Part::Metadata(metadata)),
                })
            },
            |chunk| {
                Ok(DownloadCitizenAttachmentResponse {
                    part: Some(Part::Chunk(chunk)),
                })
            },
        );
        Ok(Response::new(futures_util::stream::iter(messages)))
    }

    type WatchChangesStream = BoxStream<WatchChangesResponse>;

    async fn watch_changes(
        &self,
        request: Request<WatchChangesRequest>,
    ) -> Result<Response<Self::WatchChangesStream>, Status> {
        let (caller, deadline) = (caller_of(&request)?, deadline(&request).map(|d| d.0));
        let query = request::watch_query(request.get_ref())?;
        let feed = self
            .inquiries
            .watch_changes(&caller, query, deadline)
            .await?;
        Ok(Response::new(Box::pin(feed.map(|item| {
            item.map(response::feed_item).map_err(Status::from)
        }))))
    }

    async fn submit_inquiry(
        &self,
        request: Request<SubmitInquiryRequest>,
    ) -> Result<Response<SubmitInquiryResponse>, Status> {
        let (caller, languages, budget) = (
            caller_of(&request)?,
            languages(&request, ""),
            budget(&request),
        );
        let command = SubmitCommand::try_from(request.into_inner())?;
        let submitted = self.inquiries.submit(&caller, command, budget).await?;
        Ok(Response::new(response::submitted(&submitted, &languages)))
    }

    async fn lookup_inquiry(
        &self,
        request: Request<LookupInquiryRequest>,
    ) -> Result<Response<LookupInquiryResponse>, Status> {
        let languages = languages(&request, &request.get_ref().language_code);
        let LookupInquiryRequest {
            reference,
            tracking_code,
            ..
        } = request.into_inner();
        let view = self.inquiries.lookup(&reference, &tracking_code).await?;
        Ok(Response::new(response::citizen_view(&view, &languages)))
    }

    async fn reply_to_inquiry(
        &self,
        request: Request<ReplyToInquiryRequest>,
    ) -> Result<Response<ReplyToInquiryResponse>, Status> {
        let caller = caller_of(&request)?;
        let command = CitizenReplyCommand::try_from(request.into_inner())?;
        let reply = self.inquiries.reply_as_citizen(&caller, command).await?;
        Ok(Response::new(response::citizen_reply(&reply)))
    }

    async fn get_inquiry(
        &self,
        request: Request<GetInquiryRequest>,
    ) -> Result<Response<Inquiry>, Status> {
        let (caller, languages) = (
            caller_of(&request)?,
            languages(&request, &request.get_ref().language_code),
        );
        let name = InquiryName::try_from(request.get_ref())?;
        let view = self.inquiries.get(&caller, &name).await?;
        Ok(Response::new(response::inquiry(&view, &languages)))
    }

    async fn list_inquiries(
        &self,
        request: Request<ListInquiriesRequest>,
    ) -> Result<Response<ListInquiriesResponse>, Status> {
        let (caller, languages) = (
            caller_of(&request)?,
            languages(&request, &request.get_ref().language_code),
        );
        let (query, page) = request::list_inquiries(request.get_ref())?;
        let page = self.inquiries.list(&caller, &query, &page).await?;
        Ok(Response::new(response::inquiries(&page, &languages)))
    }

    async fn update_inquiry(
        &self,
        request: Request<UpdateInquiryRequest>,
    ) -> Result<Response<Inquiry>, Status> {
        let (caller, languages, budget) = (
            caller_of(&request)?,
            languages(&request, ""),
            budget(&request),
        );
        let command = UpdateCommand::try_from(request.into_inner())?;
        let view = self.inquiries.update(&caller, command, budget).await?;
        Ok(Response::new(response::inquiry(&view, &languages)))
    }

    async fn assign_inquiry(
        &self,
        request: Request<AssignInquiryRequest>,
    ) -> Result<Response<Inquiry>, Status> {
        let (caller, languages) = (caller_of(&request)?, languages(&request, ""));
        let command = AssignCommand::try_from(request.into_inner())?;
        let view = self.inquiries.assign(&caller, command).await?;
        Ok(Response::new(response::inquiry(&view, &languages)))
    }

    async fn transition_inquiry(
        &self,
        request: Request<TransitionInquiryRequest>,
    ) -> Result<Response<Inquiry>, Status> {
        let (caller, languages) = (caller_of(&request)?, languages(&request, ""));
        let command = TransitionCommand::try_from(request.into_inner())?;
        let view = self.inquiries.transition(&caller, command).await?;
        Ok(Response::new(response::inquiry(&view, &languages)))
    }

    async fn add_inquiry_message(
        &self,
        request: Request<AddInquiryMessageRequest>,
    ) -> Result<Response<InquiryMessage>, Status> {
        let caller = caller_of(&request)?;
        let command = AddMessageCommand::try_from(request.into_inner())?;
        let message = self.inquiries.add_message(&caller, command).await?;
        Ok(Response::new(response::message(&message)))
    }

    async fn list_inquiry_messages(
        &self,
        request: Request<ListInquiryMessagesRequest>,
    ) -> Result<Response<ListInquiryMessagesResponse>, Status> {
        let caller = caller_of(&request)?;
        let (query, page) = request::list_messages(request.get_ref())?;
        let page = self.inquiries.list_messages(&caller, &query, &page).await?;
        Ok(Response::new(response::messages(&page)))
    }

    async fn list_inquiry_categories(
        &self,
        request: Request<ListInquiryCategoriesRequest>,
    ) -> Result<Response<ListInquiryCategoriesResponse>, Status> {
        let (caller, languages) = (
            caller_of(&request)?,
            languages(&request, &request.get_ref().language_code),
        );
        let (filter, page) = request::list_categories(request.get_ref())?;
        let page = self
            .inquiries
            .list_categories(&caller, &filter, &page)
            .await?;
        Ok(Response::new(response::categories(&page, &languages)))
    }

    async fn create_inquiry_category(
        &self,
        request: Request<CreateInquiryCategoryRequest>,
    ) -> Result<Response<InquiryCategory>, Status> {
        let (caller, languages) = (caller_of(&request)?, languages(&request, ""));
        let command = CreateCategoryCommand::try_from(request.into_inner())?;
        let category = self.inquiries.create_category(&caller, command).await?;
        Ok(Response::new(response::category(&category, &languages)))
    }

    async fn update_inquiry_category(
        &self,
        request: Request<UpdateInquiryCategoryRequest>,
    ) -> Result<Response<InquiryCategory>, Status> {
        let (caller, languages) = (caller_of(&request)?, languages(&request, ""));
        let command = UpdateCategoryCommand::try_from(request.into_inner())?;
        let category = self.inquiries.update_category(&caller, command).await?;
        Ok(Response::new(response::category(&category, &languages)))
    }

    async fn get_inquiry_statistics(
        &self,
        request: Request<GetInquiryStatisticsRequest>,
    ) -> Result<Response<GetInquiryStatisticsResponse>, Status> {
        let (caller, languages) = (
            caller_of(&request)?,
            languages(&request, &request.get_ref().language_code),
        );
        let (agency, period) = request::statistics(request.get_ref())?;
        let report = self.inquiries.statistics(&caller, agency, period).await?;
        Ok(Response::new(response::statistics(&report, &languages)))
    }

    async fn erase_personal_data(
        &self,
        request: Request<ErasePersonalDataRequest>,
    ) -> Result<Response<ErasePersonalDataResponse>, Status> {
        let caller = caller_of(&request)?;
        let command = EraseCommand::try_from(request.get_ref())?;
        let erasure = self.inquiries.erase_personal_data(&caller, command).await?;
        Ok(Response::new(response::erasure(&erasure)))
    }

    async fn export_personal_data(
        &self,
        request: Request<ExportPersonalDataRequest>,
    ) -> Result<Response<ExportPersonalDataResponse>, Status> {
        let (caller, languages) = (
            caller_of(&request)?,
            languages(&request, &request.get_ref().language_code),
        );
        let command = ExportCommand::try_from(request.get_ref())?;
        let data = self
            .inquiries
            .export_personal_data(&caller, &command)
            .await?;
        let answer = response::personal_data(&data, &languages);
        Ok(Response::new(whole(answer, self.max_answer_bytes)?))
    }

    async fn get_public_inquiry_statistics(
        &self,
        request: Request<GetPublicInquiryStatisticsRequest>,
    ) -> Result<Response<GetPublicInquiryStatisticsResponse>, Status> {
        let query = PublicQuery::try_from(request.get_ref())?;
        let figures = self.inquiries.public_statistics(&query).await?;
        Ok(Response::new(response::public_statistics(&figures)))
    }
}
