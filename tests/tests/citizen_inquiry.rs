//! The citizen's side of an inquiry, through the gateway with the whole suite: a citizen
//! living in France asks about a plot in Azilal, staff ask for the title deed, the citizen
//! answers back with the reference and tracking code, the due date resumes, staff answer,
//! and the citizen reads the whole conversation, never the internal notes. Documents
//! travel with it through the gateway's streams (a PDF with the question, a JPEG with the
//! citizen's answer, a PNG with staff's), and a public holiday in the agency's calendar
//! moves the due date by one working day.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use jalia_e2e::{TestSuite, with_token};
use jalia_proto::inquiries::v1 as inquiries;
use jalia_proto::inquiries::v1::inquiry_service_client::InquiryServiceClient;
use jiff::ToSpan;
use jiff::civil::{Date, Weekday};
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

const CHUNK: usize = 64 * 1024;

/// A document of `size` bytes starting with `magic` (its type's signature).
fn document(magic: &[u8], size: usize) -> Vec<u8> {
    let mut bytes = magic.to_vec();
    bytes.extend((0..size - magic.len()).map(|i| u8::try_from(i % 251).unwrap()));
    bytes
}

fn upload_metadata(file_name: &str, media_type: &str) -> inquiries::AttachmentUploadMetadata {
    inquiries::AttachmentUploadMetadata {
        parent: "agencies/bm".into(),
        file_name: file_name.into(),
        media_type: media_type.into(),
    }
}

/// A citizen's document, uploaded through the gateway in 64 KiB chunks: its name.
async fn upload_citizen(
    client: &mut Client,
    file_name: &str,
    media_type: &str,
    bytes: &[u8],
    token: &str,
) -> String {
    use inquiries::upload_citizen_attachment_request::Part;
    let mut messages = vec![inquiries::UploadCitizenAttachmentRequest {
        part: Some(Part::Metadata(upload_metadata(file_name, media_type))),
    }];
    messages.extend(
        bytes
            .chunks(CHUNK)
            .map(|chunk| inquiries::UploadCitizenAttachmentRequest {
                part: Some(Part::Chunk(chunk.to_vec())),
            }),
    );
    let uploaded = client
        .upload_citizen_attachment(with_token(tokio_stream::iter(messages), token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(uploaded.size_bytes, i64::try_from(bytes.len()).unwrap());
    uploaded.name
}

/// A staff document, uploaded through the gateway: its name.
async fn upload_staff(
    client: &mut Client,
    file_name: &str,
    media_type: &str,
    bytes: &[u8],
    token: &str,
) -> String {
    use inquiries::upload_staff_attachment_request::Part;
    let mut messages = vec![inquiries::UploadStaffAttachmentRequest {
        part: Some(Part::Metadata(upload_metadata(file_name, media_type))),
    }];
    messages.extend(
        bytes
            .chunks(CHUNK)
            .map(|chunk| inquiries::UploadStaffAttachmentRequest {
                part: Some(Part::Chunk(chunk.to_vec())),
            }),
    );
    client
        .upload_staff_attachment(with_token(tokio_stream::iter(messages), token))
        .await
        .unwrap()
        .into_inner()
        .name
}

/// The citizen's download through the gateway, without a token: the metadata and the
/// content.
async fn download_citizen(
    client: &mut Client,
    reference: &str,
    code: &str,
    attachment: &str,
) -> Result<(inquiries::Attachment, Vec<u8>), tonic::Status> {
    use inquiries::download_citizen_attachment_response::Part;
    let mut stream = client
        .download_citizen_attachment(inquiries::DownloadCitizenAttachmentRequest {
            reference: reference.into(),
            tracking_code: code.into(),
            attachment: attachment.into(),
        })
        .await?
        .into_inner();
    let (mut metadata, mut bytes) = (None, Vec::new());
    while let Some(message) = stream.message().await? {
        match message.part.unwrap() {
            Part::Metadata(first) => metadata = Some(first),
            Part::Chunk(chunk) => bytes.extend(chunk),
        }
    }
    Ok((metadata.unwrap(), bytes))
}

/// The `n`-th day from Monday to Friday after `from`, skipping `holiday`.
fn nth_working_day(from: Date, n: usize, holiday: Option<Date>) -> Date {
    let mut day = from;
    let mut counted = 0;
    while counted < n {
        day = day.checked_add(1.day()).unwrap();
        let weekend = matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday);
        if !weekend && Some(day) != holiday {
            counted += 1;
        }
    }
    day
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_abroad_asks_about_a_plot_answers_back_and_reads_the_answer() {
    use inquiries::InquiryStatus::{Answered, InProgress, WaitingOnCitizen};
    use inquiries::MessageAuthorKind::{Agent, Citizen};
    use inquiries::MessageVisibility::{InternalNote, PublicReply};

    // A public holiday (fictional) on the first working day after today, in the agency's
    // calendar, served from a file in the shape of the bundled one.
    let today = jiff::Timestamp::now()
        .in_tz("Africa/Casablanca")
        .unwrap()
        .date();
    let holiday = nth_working_day(today, 1, None);
    let suite = TestSuite::start_with(|options| {
        let file = options.data.join("calendars.json");
        std::fs::write(
            &file,
            format!(
                r#"{{"default": {{"zone": "Africa/Casablanca", "weekend": ["saturday", "sunday"]}},
                    "dated_holidays": [{{"date": "{holiday}", "name": "Jour férié (fictif)"}}]}}"#
            ),
        )
        .unwrap();
        options.inquiries_calendars = Some(file);
    })
    .await;
    let mut client = InquiryServiceClient::new(suite.gateway().await);
    let portal = suite.token("portail-mre", "bm", &["inquiries.submit", "inquiries.read"]);
    let agent = suite.token(
        "bm-agent-foncier",
        "bm",
        &["inquiries.read", "inquiries.handle"],
    );

    // Land questions are answered within three working days.
    let category = client
        .create_inquiry_category(with_token(
            inquiries::CreateInquiryCategoryRequest {
                parent: "agencies/bm".into(),
                inquiry_category: Some(inquiries::InquiryCategory {
                    display_name: Some(jalia_proto::r#type::v1::LocalizedText {
                        entries: vec![jalia_proto::r#type::v1::LocalizedString {
                            language_code: "fr".into(),
                            text: "Foncier (jours ouvrables)".into(),
                        }],
                        resolved: None,
                    }),
                    default_response_days: 3,
                    count_working_days: true,
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
            },
            &agent,
        ))
        .await
        .unwrap()
        .into_inner()
        .name;

    // From Paris, about a plot in Azilal, through the web portal, with the plot's plan
    // as a PDF uploaded through the gateway's client stream.
    let plan = document(b"%PDF-1.7\n", 2 * CHUNK + 321);
    let plan_name = upload_citizen(
        &mut client,
        "plan-azilal.pdf",
        "application/pdf",
        &plan,
        &portal,
    )
    .await;
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
                attachments: vec![plan_name.clone()],
            },
            &portal,
        ))
        .await
        .unwrap()
        .into_inner();
    let code = submitted.tracking_code.clone();
    let inquiry = submitted.inquiry.unwrap();
    assert_eq!(inquiry.attachments.len(), 1);
    let due_at_submission = due(inquiry.due_date.as_ref());
    // The holiday is not worked: the answer is due one working day later than without it.
    let without_holiday = nth_working_day(today, 3, None);
    assert_eq!(
        due_at_submission,
        nth_working_day(today, 3, Some(holiday)).to_string()
    );
    assert_eq!(
        due_at_submission,
        nth_working_day(without_holiday, 1, None).to_string()
    );

    // Staff ask for the title deed and wait on the citizen.
    transition(&mut client, &inquiry.name, InProgress, &agent).await;
    let survey = upload_staff(
        &mut client,
        "releve-interne.png",
        "image/png",
        &document(b"\x89PNG\r\n\x1a\n", 900),
        &agent,
    )
    .await;
    client
        .add_inquiry_message(with_token(
            inquiries::AddInquiryMessageRequest {
                parent: inquiry.name.clone(),
                inquiry_message: Some(inquiries::InquiryMessage {
                    visibility: InternalNote as i32,
                    body: "NOTE INTERNE: vérifier la réquisition à la conservation foncière".into(),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
                attachments: vec![survey.clone()],
            },
            &agent,
        ))
        .await
        .unwrap();
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

    // The citizen answers through the portal with the reference and tracking code, with
    // the title deed as a JPEG.
    let deed = document(&[0xFF, 0xD8, 0xFF, 0xE0], CHUNK + 77);
    let deed_name = upload_citizen(
        &mut client,
        "titre-foncier.jpg",
        "image/jpeg",
        &deed,
        &portal,
    )
    .await;
    let reply = inquiries::ReplyToInquiryRequest {
        reference: inquiry.reference.clone(),
        tracking_code: code.clone(),
        body: "Voici le numéro du titre foncier : 12345/10 (fictif).".into(),
        request_id: uuid::Uuid::new_v4().to_string(),
        attachments: vec![deed_name.clone()],
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

    // The citizen sees their documents and downloads them through the gateway's server
    // stream, without a token; the note's document is not theirs to see.
    assert_eq!(seen.attachments[0].name, plan_name);
    assert_eq!(seen.messages[1].attachments[0].name, deed_name);
    for (name, bytes, media_type) in [
        (&plan_name, &plan, "application/pdf"),
        (&deed_name, &deed, "image/jpeg"),
    ] {
        let (metadata, got) = download_citizen(&mut client, &inquiry.reference, &code, name)
            .await
            .unwrap();
        assert_eq!((&got, metadata.media_type.as_str()), (bytes, media_type));
        assert_eq!(metadata.sha256.len(), 64);
    }
    let hidden = download_citizen(&mut client, &inquiry.reference, &code, &survey)
        .await
        .unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound);

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
