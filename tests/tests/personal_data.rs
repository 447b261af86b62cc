//! A person's rights over their inquiries and the public figures, through the gateway
//! with the whole suite: anyone reads the agency's yearly figures without a token; staff
//! export what the agency holds about a citizen, then erase it, and the citizen's
//! tracking code opens nothing any more.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use jalia_e2e::{TestSuite, with_token};
use jalia_proto::inquiries::v1 as inquiries;
use jalia_proto::inquiries::v1::inquiry_service_client::InquiryServiceClient;
use tonic::Code;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anyone_reads_the_figures_and_staff_answer_a_citizens_access_and_erasure_requests() {
    let suite = TestSuite::start(None).await;
    let mut client = InquiryServiceClient::new(suite.gateway().await);

    // No token: the demo's year, its few inquiries suppressed, the threshold stated.
    let figures = client
        .get_public_inquiry_statistics(inquiries::GetPublicInquiryStatisticsRequest {
            parent: "agencies/bm".into(),
            year: 2025,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(figures.suppression_threshold, 5);
    assert!(figures.total.is_some());
    let refused = client
        .get_public_inquiry_statistics(inquiries::GetPublicInquiryStatisticsRequest {
            parent: "agencies/bm".into(),
            year: 1999,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);

    let portal = suite.token("portail-mre", "bm", &["inquiries.submit", "inquiries.read"]);
    let dpo = suite.token(
        "bm-delegue-protection",
        "bm",
        &["inquiries.read", "inquiries.handle"],
    );
    let category = client
        .list_inquiry_categories(with_token(
            inquiries::ListInquiryCategoriesRequest {
                parent: "agencies/bm".into(),
                ..Default::default()
            },
            &portal,
        ))
        .await
        .unwrap()
        .into_inner()
        .inquiry_categories
        .first()
        .unwrap()
        .name
        .clone();
    let submitted = client
        .submit_inquiry(with_token(
            inquiries::SubmitInquiryRequest {
                parent: "agencies/bm".into(),
                inquiry: Some(inquiries::Inquiry {
                    requester: Some(inquiries::Requester {
                        display_name: "Citoyenne résidant à Bruxelles (fictive)".into(),
                        phone: "+32 486 55 01 23".into(),
                        country_of_residence: "BE".into(),
                        diaspora: true,
                        ..Default::default()
                    }),
                    channel: inquiries::InquiryChannel::Phone as i32,
                    category,
                    subject: "Note de renseignement".into(),
                    body: "Comment obtenir la note de renseignement de ma parcelle ?".into(),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
                attachments: Vec::new(),
            },
            &portal,
        ))
        .await
        .unwrap()
        .into_inner();
    let inquiry = submitted.inquiry.unwrap();

    let exported = client
        .export_personal_data(with_token(
            inquiries::ExportPersonalDataRequest {
                parent: "agencies/bm".into(),
                phone: "+32486550123".into(),
                ..Default::default()
            },
            &dpo,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(exported.inquiries.len(), 1);
    assert_eq!(
        exported.inquiries[0].inquiry.as_ref().unwrap().name,
        inquiry.name
    );

    let erasure = client
        .erase_personal_data(with_token(
            inquiries::ErasePersonalDataRequest {
                parent: "agencies/bm".into(),
                phone: "+32 486 55 01 23".into(),
                request_id: uuid::Uuid::new_v4().to_string(),
                ..Default::default()
            },
            &dpo,
        ))
        .await
        .unwrap()
        .into_inner()
        .erasure
        .unwrap();
    assert_eq!(
        (erasure.erased_by.as_str(), erasure.inquiry_count),
        ("bm/bm-delegue-protection", 1)
    );
    let gone = client
        .lookup_inquiry(inquiries::LookupInquiryRequest {
            reference: inquiry.reference.clone(),
            tracking_code: submitted.tracking_code.clone(),
            language_code: "fr".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);
}
