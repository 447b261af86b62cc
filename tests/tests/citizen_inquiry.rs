//! The citizen's side of an inquiry, through the gateway with the whole suite: a citizen
//! living in France asks about a plot in Azilal, staff ask for the title deed, the citizen
//! answers back with the reference and tracking code, the due date resumes, staff answer,
//! and the citizen reads the whole conversation, never the internal notes.
//!
//! Not yet in this journey (they come with their own work): the PDF with the question and
//! the JPEG with the answer (inquiry attachments), and a public holiday in the wait that
//! moves the due date by one working day (the agency's calendar). Each has a marked place
//! below.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use jalia_e2e::{TestSuite, with_token};
use jalia_proto::inquiries::v1 as inquiries;
use jalia_proto::inquiries::v1::inquiry_service_client::InquiryServiceClient;
use prost::Message as _;
use tonic::Code;
use tonic::transport::Channel;

type Client = InquiryServiceClient<Channel>;

async fn get(client: &mut Client, name: &str, token: &str) -> inquiries::Inquiry {
    client
        .get_inquiry(with_token(
            inquiries::GetInquiryRequest {
                name: name.to_owned(),
                language_code: "fr".into(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

async fn transition(
    client: &mut Client,
    name: &str,
    status: inquiries::InquiryStatus,
    token: &str,
) -> inquiries::Inquiry {
    let etag = get(client, name, token).await.etag;
    client
        .transition_inquiry(with_token(
            inquiries::TransitionInquiryRequest {
                name: name.to_owned(),
                etag,
                status: status as i32,
                note: String::new(),
                referral: None,
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

async fn write(
    client: &mut Client,
    name: &str,
    visibility: inquiries::MessageVisibility,
    body: &str,
    token: &str,
) {
    client
        .add_inquiry_message(with_token(
            inquiries::AddInquiryMessageRequest {
                parent: name.to_owned(),
                inquiry_message: Some(inquiries::InquiryMessage {
                    visibility: visibility as i32,
                    body: body.to_owned(),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
                attachments: Vec::new(),
            },
            token,
        ))
        .await
        .unwrap();
}

fn due(date: Option<&jalia_proto::r#type::v1::CivilDate>) -> String {
    date.unwrap().date.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_abroad_asks_about_a_plot_answers_back_and_reads_the_answer() {
    use inquiries::InquiryStatus::{Answered, InProgress, WaitingOnCitizen};
    use inquiries::MessageAuthorKind::{Agent, Citizen};
    use inquiries::MessageVisibility::{InternalNote, PublicReply};

    let suite = TestSuite::start(None).await;
    let mut client = InquiryServiceClient::new(suite.gateway().await);
    let portal = suite.token("portail-mre", "bm", &["inquiries.submit", "inquiries.read"]);
    let agent = suite.token(
        "bm-agent-foncier",
        "bm",
        &["inquiries.read", "inquiries.handle"],
    );

    // From Paris, about a plot in Azilal, through the web portal.
    let categories = client
        .list_inquiry_categories(with_token(
            inquiries::ListInquiryCategoriesRequest {
                parent: "agencies/bm".into(),
                ..Default::default()
            },
            &portal,
        ))
        .await
        .unwrap()
        .into_inner();
    let category = categories.inquiry_categories.first().unwrap().name.clone();
    let submitted = client
        .submit_inquiry(with_token(
            inquiries::SubmitInquiryRequest {
                parent: "agencies/bm".into(),
                inquiry: Some(inquiries::Inquiry {
                    requester: Some(inquiries::Requester {
                        display_name: "Citoyen résidant à Paris (fictif)".into(),
                        email: "citoyen.paris@example.fr".into(),
                        country_of_residence: "FR".into(),
                        preferred_language_code: "fr".into(),
                        diaspora: true,
                        ..Default::default()
                    }),
                    channel: inquiries::InquiryChannel::WebPortal as i32,
                    category,
                    subject: "Terrain hérité à Azilal".into(),
                    body: "Puis-je construire sur le terrain hérité de mon père à Azilal ?".into(),
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
    // Attachments: the citizen's PDF (the plot's plan) goes with the submission here.
    let code = submitted.tracking_code.clone();
    let inquiry = submitted.inquiry.unwrap();
    let due_at_submission = due(inquiry.due_date.as_ref());

    // Staff ask for the title deed and wait on the citizen.
    transition(&mut client, &inquiry.name, InProgress, &agent).await;
    write(
        &mut client,
        &inquiry.name,
        InternalNote,
        "NOTE INTERNE: vérifier la réquisition à la conservation foncière",
        &agent,
    )
    .await;
    write(
        &mut client,
        &inquiry.name,
        PublicReply,
        "Merci de nous transmettre le titre foncier du terrain.",
        &agent,
    )
    .await;
    let waiting = transition(&mut client, &inquiry.name, WaitingOnCitizen, &agent).await;
    assert_eq!(waiting.status(), WaitingOnCitizen);

    // Calendar: a public holiday during the wait moves the due date by one working day
    // here.

    // The citizen answers through the portal with the reference and tracking code.
    // Attachments: the citizen's JPEG (the title deed) goes with this message.
    let reply = inquiries::ReplyToInquiryRequest {
        reference: inquiry.reference.clone(),
        tracking_code: code.clone(),
        body: "Voici le numéro du titre foncier : 12345/10 (fictif).".into(),
        request_id: uuid::Uuid::new_v4().to_string(),
        attachments: Vec::new(),
    };
    let anonymous = client.reply_to_inquiry(reply.clone()).await.unwrap_err();
    assert_eq!(
        anonymous.code(),
        Code::Unauthenticated,
        "the gateway asks for the portal's token"
    );
    let replied = client
        .reply_to_inquiry(with_token(reply, &portal))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replied.status(), InProgress);
    // The due date resumed where the wait left it (no day passed in between).
    assert_eq!(due(replied.due_date.as_ref()), due_at_submission);

    // Staff see the citizen's message as the citizen's, and answer.
    let read = get(&mut client, &inquiry.name, &agent).await;
    assert_eq!(read.status(), InProgress);
    assert_eq!(due(read.due_date.as_ref()), due_at_submission);
    let last = read.history.last().unwrap();
    assert_eq!(
        (last.from_status(), last.to_status(), last.actor.as_str()),
        (WaitingOnCitizen, InProgress, "portail-mre")
    );
    let listed = client
        .list_inquiry_messages(with_token(
            inquiries::ListInquiryMessagesRequest {
                parent: inquiry.name.clone(),
                ..Default::default()
            },
            &agent,
        ))
        .await
        .unwrap()
        .into_inner();
    let authors: Vec<_> = listed
        .inquiry_messages
        .iter()
        .map(|message| message.author_kind())
        .collect();
    assert_eq!(authors, [Agent, Agent, Citizen]);
    write(
        &mut client,
        &inquiry.name,
        PublicReply,
        "Le terrain est constructible : déposez la demande de permis sur Rokhas.",
        &agent,
    )
    .await;
    // Attachments: the staff reply's own document goes here.
    transition(&mut client, &inquiry.name, Answered, &agent).await;

    // The citizen reads the conversation, without a token, never seeing the note.
    let seen = client
        .lookup_inquiry(inquiries::LookupInquiryRequest {
            reference: inquiry.reference.clone(),
            tracking_code: code.clone(),
            language_code: "fr".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(seen.status(), Answered);
    let thread: Vec<_> = seen
        .messages
        .iter()
        .map(|message| (message.author_kind(), message.body.as_str()))
        .collect();
    assert_eq!(
        thread,
        [
            (
                Agent,
                "Merci de nous transmettre le titre foncier du terrain."
            ),
            (
                Citizen,
                "Voici le numéro du titre foncier : 12345/10 (fictif)."
            ),
            (
                Agent,
                "Le terrain est constructible : déposez la demande de permis sur Rokhas."
            ),
        ]
    );
    assert!(!String::from_utf8_lossy(&seen.encode_to_vec()).contains("NOTE INTERNE"));
    // Attachments: the citizen downloads their own and the public ones, nothing else.

    // A wrong tracking code cannot write either, and says no more than the lookup.
    let wrong = client
        .reply_to_inquiry(with_token(
            inquiries::ReplyToInquiryRequest {
                reference: inquiry.reference.clone(),
                tracking_code: "WRONGCODE0000000".into(),
                body: "Intrus".into(),
                request_id: String::new(),
                attachments: Vec::new(),
            },
            &portal,
        ))
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Code::NotFound);
}
