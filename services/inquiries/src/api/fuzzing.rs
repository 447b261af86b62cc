//! Entry points for the fuzz targets in `fuzz/` (the `fuzzing` feature, off in every
//! normal build). Each takes arbitrary bytes as a caller could send them and runs the
//! conversions the handlers run, so a panic here is one a caller could cause.

use jalia_proto::inquiries::v1 as wire;
use jalia_runtime::server::wanted_languages;
use prost::Message;

use super::request;
use crate::domain::category::{CreateCategoryCommand, UpdateCategoryCommand};
use crate::domain::inquiry::{
    AssignCommand, InquiryName, SubmitCommand, TransitionCommand, UpdateCommand,
};
use crate::domain::message::AddMessageCommand;

/// Decodes `data[1..]` as the request message that `data[0]` picks and converts it as
/// its handler does. Refusals are expected and dropped; only a panic is a finding.
pub fn convert_request(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    match selector % 13 {
        0 => run(bytes, |r: wire::SubmitInquiryRequest| {
            drop(SubmitCommand::try_from(r));
        }),
        // LookupInquiry's reference and code are matched by the use case, not converted.
        1 => run(bytes, |r: wire::LookupInquiryRequest| {
            languages(&r.language_code);
        }),
        2 => run(bytes, |r: wire::GetInquiryRequest| {
            languages(&r.language_code);
            drop(InquiryName::try_from(&r));
        }),
        3 => run(bytes, |r: wire::ListInquiriesRequest| {
            languages(&r.language_code);
            drop(request::list_inquiries(&r));
        }),
        4 => run(bytes, |r: wire::UpdateInquiryRequest| {
            drop(UpdateCommand::try_from(r));
        }),
        5 => run(bytes, |r: wire::AssignInquiryRequest| {
            drop(AssignCommand::try_from(r));
        }),
        6 => run(bytes, |r: wire::TransitionInquiryRequest| {
            drop(TransitionCommand::try_from(r));
        }),
        7 => run(bytes, |r: wire::AddInquiryMessageRequest| {
            drop(AddMessageCommand::try_from(r));
        }),
        8 => run(bytes, |r: wire::ListInquiryMessagesRequest| {
            drop(request::list_messages(&r));
        }),
        9 => run(bytes, |r: wire::ListInquiryCategoriesRequest| {
            languages(&r.language_code);
            drop(request::list_categories(&r));
        }),
        10 => run(bytes, |r: wire::CreateInquiryCategoryRequest| {
            drop(CreateCategoryCommand::try_from(r));
        }),
        11 => run(bytes, |r: wire::UpdateInquiryCategoryRequest| {
            drop(UpdateCategoryCommand::try_from(r));
        }),
        _ => run(bytes, |r: wire::GetInquiryStatisticsRequest| {
            languages(&r.language_code);
            drop(request::statistics(&r));
        }),
    }
}

fn languages(language_code: &str) {
    drop(wanted_languages(&tonic::Request::new(()), language_code));
}

fn run<M: Message + Default>(bytes: &[u8], convert: impl FnOnce(M)) {
    if let Ok(message) = M::decode(bytes) {
        convert(message);
    }
}
