//! Documents on inquiries: uploaded in chunks, attached once to a submission or a
//! message, downloaded by staff and, for what the citizen sees, by the tracking code;
//! only PDF, JPEG and PNG by their content, within the size limits; unattached uploads
//! expire, and the retention round deletes a closed inquiry's documents.

use std::time::Duration;

use jalia_proto::inquiries::v1::*;
use jalia_runtime::reasons;
use jalia_testing::{assert_invalid, assert_status};
use sha2::{Digest, Sha256};
use tonic::{Code, Response, Status};
use uuid::Uuid;

use crate::helpers::*;

const CHUNK: usize = 64 * 1024;

/// A PDF of `size` bytes (its header, then filler).
fn pdf(size: usize) -> Vec<u8> {
    content(b"%PDF-1.4\n", size)
}

fn jpeg(size: usize) -> Vec<u8> {
    content(&[0xFF, 0xD8, 0xFF, 0xE0], size)
}

fn png(size: usize) -> Vec<u8> {
    content(b"\x89PNG\r\n\x1a\n", size)
}

fn content(magic: &[u8], size: usize) -> Vec<u8> {
    let mut bytes = magic.to_vec();
    bytes.extend((0..size.saturating_sub(magic.len())).map(|i| u8::try_from(i % 251).unwrap()));
    bytes
}

fn hex_digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn metadata(parent: &str, file_name: &str, media_type: &str) -> AttachmentUploadMetadata {
    AttachmentUploadMetadata {
        parent: parent.to_owned(),
        file_name: file_name.to_owned(),
        media_type: media_type.to_owned(),
    }
}

/// A citizen upload of `bytes` in chunks of `chunk` bytes.
async fn upload_citizen_with(
    api: &Api,
    meta: AttachmentUploadMetadata,
    bytes: &[u8],
    chunk: usize,
) -> Result<Attachment, Status> {
    use upload_citizen_attachment_request::Part;
    let mut messages = vec![UploadCitizenAttachmentRequest {
        part: Some(Part::Metadata(meta)),
    }];
    messages.extend(
        bytes
            .chunks(chunk)
            .map(|piece| UploadCitizenAttachmentRequest {
                part: Some(Part::Chunk(piece.to_vec())),
            }),
    );
    let request = api.request(tokio_stream::iter(messages));
    api.client()
        .upload_citizen_attachment(request)
        .await
        .map(Response::into_inner)
}

async fn upload_citizen(
    api: &Api,
    file_name: &str,
    media_type: &str,
    bytes: &[u8],
) -> Result<Attachment, Status> {
    upload_citizen_with(
        api,
        metadata("agencies/bm", file_name, media_type),
        bytes,
        CHUNK,
    )
    .await
}

async fn upload_staff(
    api: &Api,
    parent: &str,
    file_name: &str,
    media_type: &str,
    bytes: &[u8],
) -> Result<Attachment, Status> {
    use upload_staff_attachment_request::Part;
    let mut messages = vec![UploadStaffAttachmentRequest {
        part: Some(Part::Metadata(metadata(parent, file_name, media_type))),
    }];
    messages.extend(
        bytes
            .chunks(CHUNK)
            .map(|piece| UploadStaffAttachmentRequest {
                part: Some(Part::Chunk(piece.to_vec())),
            }),
    );
    let request = api.request(tokio_stream::iter(messages));
    api.client()
        .upload_staff_attachment(request)
        .await
        .map(Response::into_inner)
}

/// A staff download: the metadata and the content, checking the chunks' sizes.
async fn download(api: &Api, name: &str) -> Result<(Attachment, Vec<u8>), Status> {
    use download_attachment_response::Part;
    let request = api.request(DownloadAttachmentRequest {
        name: name.to_owned(),
    });
    let mut stream = api
        .client()
        .download_attachment(request)
        .await?
        .into_inner();
    let mut first = None;
    let mut bytes = Vec::new();
    while let Some(message) = stream.message().await? {
        match message.part.unwrap() {
            Part::Metadata(meta) => {
                assert!(
                    first.is_none() && bytes.is_empty(),
                    "metadata comes first, once"
                );
                first = Some(meta);
            }
            Part::Chunk(chunk) => {
                assert!(first.is_some() && chunk.len() <= CHUNK);
                bytes.extend(chunk);
            }
        }
    }
    Ok((first.unwrap(), bytes))
}

async fn download_citizen(
    api: &Api,
    reference: &str,
    code: &str,
    name: &str,
) -> Result<(Attachment, Vec<u8>), Status> {
    use download_citizen_attachment_response::Part;
    let request = api.request(DownloadCitizenAttachmentRequest {
        reference: reference.to_owned(),
        tracking_code: code.to_owned(),
        attachment: name.to_owned(),
    });
    let mut stream = api
        .client()
        .download_citizen_attachment(request)
        .await?
        .into_inner();
    let mut first = None;
    let mut bytes = Vec::new();
    while let Some(message) = stream.message().await? {
        match message.part.unwrap() {
            Part::Metadata(meta) => first = Some(meta),
            Part::Chunk(chunk) => bytes.extend(chunk),
        }
    }
    Ok((first.unwrap(), bytes))
}

fn reply(inquiry: &Inquiry, code: &str, attachments: Vec<String>) -> ReplyToInquiryRequest {
    ReplyToInquiryRequest {
        reference: inquiry.reference.clone(),
        tracking_code: code.to_owned(),
        body: "Voici le document demandé.".to_owned(),
        request_id: Uuid::new_v4().to_string(),
        attachments,
    }
}

async fn send_reply(
    api: &Api,
    request: ReplyToInquiryRequest,
) -> Result<ReplyToInquiryResponse, Status> {
    let request = api.request(request);
    api.client()
        .reply_to_inquiry(request)
        .await
        .map(Response::into_inner)
}

fn with_attachments(category: &InquiryCategory, names: Vec<String>) -> SubmitInquiryRequest {
    let mut request = submission(category);
    request.attachments = names;
    request
}

fn staff_message(
    inquiry: &str,
    visibility: MessageVisibility,
    names: Vec<String>,
) -> AddInquiryMessageRequest {
    let mut request = message(inquiry, visibility, "Document joint.");
    request.attachments = names;
    request
}

#[tokio::test]
async fn documents_go_up_attach_once_and_come_back_whole() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent-foncier", "bm").await;
    let portal = world.caller("portail-citoyen", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Foncier", 10)
        .await
        .unwrap();
    // Over several chunks, the last one short.
    let deed = pdf(3 * CHUNK + 1234);
    let uploaded = upload_citizen(&portal, "titre-foncier.pdf", "application/pdf", &deed)
        .await
        .unwrap();
    assert_eq!(uploaded.media_type, "application/pdf");
    assert_eq!(uploaded.size_bytes, i64::try_from(deed.len()).unwrap());
    assert_eq!(uploaded.sha256, hex_digest(&deed));
    assert!(uploaded.name.starts_with("agencies/bm/attachments/"));
    assert!(uploaded.expire_time.is_some());
    // Not downloadable before it is attached.
    assert_status(
        download(&agent, &uploaded.name).await,
        Code::NotFound,
        reasons::NOT_FOUND,
    );

    let submitted = portal
        .submit(with_attachments(&category, vec![uploaded.name.clone()]))
        .await
        .unwrap();
    let inquiry = submitted.inquiry.unwrap();
    assert_eq!(inquiry.attachments.len(), 1);
    assert!(inquiry.attachments[0].expire_time.is_none());
    let read = agent.get(&inquiry.name).await.unwrap();
    assert_eq!(read.attachments, inquiry.attachments);

    let photo = jpeg(2 * CHUNK);
    let plan = png(5000);
    let photo_up = upload_staff(&agent, "agencies/bm", "photo.jpg", "image/jpeg", &photo)
        .await
        .unwrap();
    let plan_up = upload_staff(&agent, "agencies/bm", "plan.png", "IMAGE/PNG", &plan)
        .await
        .unwrap();
    let request = staff_message(
        &inquiry.name,
        MessageVisibility::PublicReply,
        vec![photo_up.name.clone(), plan_up.name.clone()],
    );
    let added = agent.add_message(request.clone()).await.unwrap();
    // A retry gets the same message back, its documents with it.
    assert_eq!(agent.add_message(request).await.unwrap(), added);
    let names: Vec<&str> = added.attachments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, [photo_up.name.as_str(), plan_up.name.as_str()]);
    let listed = agent.messages(&inquiry.name).await.unwrap();
    assert_eq!(listed.inquiry_messages[0].attachments, added.attachments);

    for (name, bytes, media_type) in [
        (&uploaded.name, &deed, "application/pdf"),
        (&photo_up.name, &photo, "image/jpeg"),
        (&plan_up.name, &plan, "image/png"),
    ] {
        let (meta, got) = download(&agent, name).await.unwrap();
        assert_eq!(&got, bytes);
        assert_eq!(meta.sha256, hex_digest(&got));
        assert_eq!(meta.media_type, media_type);
    }
    // Another agency sees none of it.
    let other = world.caller("agent-rabat", "ausr").await;
    assert_status(
        download(&other, &uploaded.name).await,
        Code::NotFound,
        reasons::NOT_FOUND,
    );
    world.stop().await;
}

#[tokio::test]
async fn content_is_judged_by_its_bytes_and_bad_uploads_name_their_field() {
    let world = World::start(1, CatalogAt::Down).await;
    let portal = world.caller("portail-citoyen", "bm").await;
    // A PDF declared as a PNG, a GIF declared as a PNG, a declared GIF.
    assert_invalid(
        upload_citizen(&portal, "x.png", "image/png", &pdf(100)).await,
        "metadata.media_type",
    );
    let mut gif = b"GIF89a".to_vec();
    gif.extend([0u8; 50]);
    assert_invalid(
        upload_citizen(&portal, "x.png", "image/png", &gif).await,
        "metadata.media_type",
    );
    assert_invalid(
        upload_citizen(&portal, "x.gif", "image/gif", &gif).await,
        "metadata.media_type",
    );
    assert_invalid(
        upload_citizen(&portal, "../x.pdf", "application/pdf", &pdf(100)).await,
        "metadata.file_name",
    );
    assert_invalid(
        upload_citizen(&portal, "x.pdf", "application/pdf", &[]).await,
        "chunk",
    );
    // A chunk over 64 KiB.
    assert_invalid(
        upload_citizen_with(
            &portal,
            metadata("agencies/bm", "x.pdf", "application/pdf"),
            &pdf(CHUNK + 1),
            CHUNK + 1,
        )
        .await,
        "chunk",
    );
    // No metadata first.
    use upload_citizen_attachment_request::Part;
    let request = portal.request(tokio_stream::iter(vec![UploadCitizenAttachmentRequest {
        part: Some(Part::Chunk(pdf(10))),
    }]));
    assert_invalid(
        portal
            .client()
            .upload_citizen_attachment(request)
            .await
            .map(Response::into_inner),
        "metadata",
    );
    // Staff upload only for their own agency.
    let agent = world.caller("agent-foncier", "bm").await;
    assert_status(
        upload_staff(
            &agent,
            "agencies/ausr",
            "x.pdf",
            "application/pdf",
            &pdf(100),
        )
        .await,
        Code::PermissionDenied,
        reasons::OTHER_AGENCY,
    );
    world.stop().await;
}

#[tokio::test]
async fn a_file_and_an_inquiry_have_size_limits_and_a_request_twenty_documents() {
    let world = World::start_with(1, CatalogAt::Down, |config| {
        config.attachment_max_bytes = 1000;
        config.inquiry_attachments_max_bytes = 1500;
    })
    .await;
    let agent = world.caller("agent-foncier", "bm").await;
    let portal = world.caller("portail-citoyen", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Foncier", 10)
        .await
        .unwrap();
    assert_status(
        upload_citizen(&portal, "big.pdf", "application/pdf", &pdf(1001)).await,
        Code::ResourceExhausted,
        reasons::ATTACHMENT_TOO_LARGE,
    );
    let first = upload_citizen(&portal, "a.pdf", "application/pdf", &pdf(800))
        .await
        .unwrap();
    let second = upload_citizen(&portal, "b.pdf", "application/pdf", &pdf(800))
        .await
        .unwrap();
    assert_status(
        portal
            .submit(with_attachments(
                &category,
                vec![first.name.clone(), second.name.clone()],
            ))
            .await,
        Code::ResourceExhausted,
        reasons::INQUIRY_ATTACHMENTS_TOO_LARGE,
    );
    // Nothing was written: no inquiry, both uploads still free.
    assert!(agent.list_all(list_of("agencies/bm")).await.is_empty());
    let submitted = portal
        .submit(with_attachments(&category, vec![first.name.clone()]))
        .await
        .unwrap();
    let inquiry = submitted.inquiry.unwrap();
    assert_status(
        send_reply(
            &portal,
            reply(
                &inquiry,
                &submitted.tracking_code,
                vec![second.name.clone()],
            ),
        )
        .await,
        Code::ResourceExhausted,
        reasons::INQUIRY_ATTACHMENTS_TOO_LARGE,
    );
    assert_eq!(
        agent
            .messages(&inquiry.name)
            .await
            .unwrap()
            .inquiry_messages
            .len(),
        0
    );

    let many: Vec<String> = (0..21)
        .map(|_| format!("agencies/bm/attachments/{}", Uuid::now_v7()))
        .collect();
    assert_invalid(
        portal.submit(with_attachments(&category, many)).await,
        "attachments",
    );
    assert_invalid(
        portal
            .submit(with_attachments(&category, vec!["nonsense".to_owned()]))
            .await,
        "attachments[0]",
    );
    world.stop().await;
}

#[tokio::test]
async fn a_document_is_attached_once_to_its_own_agency_by_its_own_side() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent-foncier", "bm").await;
    let portal = world.caller("portail-citoyen", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Foncier", 10)
        .await
        .unwrap();
    let deed = upload_citizen(&portal, "titre.pdf", "application/pdf", &pdf(500))
        .await
        .unwrap();
    let submitted = portal
        .submit(with_attachments(&category, vec![deed.name.clone()]))
        .await
        .unwrap();
    let inquiry = submitted.inquiry.unwrap();
    assert_status(
        send_reply(
            &portal,
            reply(&inquiry, &submitted.tracking_code, vec![deed.name.clone()]),
        )
        .await,
        Code::FailedPrecondition,
        reasons::ATTACHMENT_ALREADY_ATTACHED,
    );
    // Another agency's upload does not exist here.
    let elsewhere = upload_citizen_with(
        &portal,
        metadata("agencies/ausr", "titre.pdf", "application/pdf"),
        &pdf(500),
        CHUNK,
    )
    .await
    .unwrap();
    assert_invalid(
        send_reply(
            &portal,
            reply(
                &inquiry,
                &submitted.tracking_code,
                vec![elsewhere.name.clone()],
            ),
        )
        .await,
        "attachments[0]",
    );
    // Staff's upload is not the citizen's to attach, nor the citizen's staff's.
    let staff = upload_staff(
        &agent,
        "agencies/bm",
        "note.pdf",
        "application/pdf",
        &pdf(500),
    )
    .await
    .unwrap();
    assert_invalid(
        send_reply(
            &portal,
            reply(&inquiry, &submitted.tracking_code, vec![staff.name.clone()]),
        )
        .await,
        "attachments[0]",
    );
    let citizens = upload_citizen(&portal, "x.pdf", "application/pdf", &pdf(500))
        .await
        .unwrap();
    assert_invalid(
        agent
            .add_message(staff_message(
                &inquiry.name,
                MessageVisibility::PublicReply,
                vec![staff.name.clone(), citizens.name.clone()],
            ))
            .await,
        "attachments[1]",
    );
    // The refused message attached nothing: the staff upload is still free.
    agent
        .add_message(staff_message(
            &inquiry.name,
            MessageVisibility::PublicReply,
            vec![staff.name.clone()],
        ))
        .await
        .unwrap();
    world.stop().await;
}

#[tokio::test]
async fn two_replicas_racing_for_one_upload_attach_it_once() {
    let world = World::start(2, CatalogAt::Down).await;
    let agent = world.caller_on(0, "agent-foncier", "bm").await;
    let other = world.caller_on(1, "agent-foncier-2", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Foncier", 10)
        .await
        .unwrap();
    for _ in 0..5 {
        let first = agent
            .submit(submission(&category))
            .await
            .unwrap()
            .inquiry
            .unwrap();
        let second = agent
            .submit(submission(&category))
            .await
            .unwrap()
            .inquiry
            .unwrap();
        let upload = upload_staff(
            &agent,
            "agencies/bm",
            "plan.pdf",
            "application/pdf",
            &pdf(700),
        )
        .await
        .unwrap();
        let (a, b) = tokio::join!(
            agent.add_message(staff_message(
                &first.name,
                MessageVisibility::PublicReply,
                vec![upload.name.clone()],
            )),
            other.add_message(staff_message(
                &second.name,
                MessageVisibility::PublicReply,
                vec![upload.name.clone()],
            )),
        );
        let (won, lost) = match (a, b) {
            (Ok(won), Err(lost)) | (Err(lost), Ok(won)) => (won, lost),
            (a, b) => panic!("exactly one attaches: {a:?} / {b:?}"),
        };
        assert_eq!(won.attachments.len(), 1);
        assert_status::<()>(
            Err(lost),
            Code::FailedPrecondition,
            reasons::ATTACHMENT_ALREADY_ATTACHED,
        );
        // The losing message was not written either.
        let firsts = agent.messages(&first.name).await.unwrap().inquiry_messages;
        let seconds = agent.messages(&second.name).await.unwrap().inquiry_messages;
        assert_eq!(firsts.len() + seconds.len(), 1);
    }
    world.stop().await;
}

#[tokio::test]
async fn the_citizen_downloads_what_they_see_and_never_a_notes_document() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent-foncier", "bm").await;
    let portal = world.caller("portail-citoyen", "bm").await;
    let anonymous = world.anonymous().await;
    let category = agent
        .create_category("agencies/bm", "Foncier", 10)
        .await
        .unwrap();
    let deed_bytes = pdf(4000);
    let deed = upload_citizen(&portal, "titre.pdf", "application/pdf", &deed_bytes)
        .await
        .unwrap();
    let submitted = portal
        .submit(with_attachments(&category, vec![deed.name.clone()]))
        .await
        .unwrap();
    let code = submitted.tracking_code.clone();
    let inquiry = submitted.inquiry.unwrap();
    let answer_bytes = jpeg(70_000);
    let answer = upload_staff(
        &agent,
        "agencies/bm",
        "plan.jpg",
        "image/jpeg",
        &answer_bytes,
    )
    .await
    .unwrap();
    let secret = upload_staff(&agent, "agencies/bm", "interne.png", "image/png", &png(300))
        .await
        .unwrap();
    agent
        .add_message(staff_message(
            &inquiry.name,
            MessageVisibility::PublicReply,
            vec![answer.name.clone()],
        ))
        .await
        .unwrap();
    agent
        .add_message(staff_message(
            &inquiry.name,
            MessageVisibility::InternalNote,
            vec![secret.name.clone()],
        ))
        .await
        .unwrap();
    let photo_bytes = jpeg(1000);
    let photo = upload_citizen(&portal, "photo.jpg", "image/jpeg", &photo_bytes)
        .await
        .unwrap();
    let replied = send_reply(&portal, reply(&inquiry, &code, vec![photo.name.clone()]))
        .await
        .unwrap();
    assert_eq!(replied.message.unwrap().attachments.len(), 1);

    let view = anonymous.lookup(&inquiry.reference, &code).await.unwrap();
    assert_eq!(view.attachments.len(), 1);
    let shown: Vec<&str> = view
        .messages
        .iter()
        .flat_map(|message| message.attachments.iter().map(|a| a.name.as_str()))
        .collect();
    assert_eq!(shown, [answer.name.as_str(), photo.name.as_str()]);

    for (name, bytes) in [
        (&deed.name, &deed_bytes),
        (&answer.name, &answer_bytes),
        (&photo.name, &photo_bytes),
    ] {
        let (meta, got) = download_citizen(&anonymous, &inquiry.reference, &code, name)
            .await
            .unwrap();
        assert_eq!(&got, bytes);
        assert_eq!(meta.sha256, hex_digest(bytes));
    }
    let refused = assert_status(
        download_citizen(&anonymous, &inquiry.reference, &code, &secret.name).await,
        Code::NotFound,
        reasons::NOT_FOUND,
    );
    let wrong_code = assert_status(
        download_citizen(
            &anonymous,
            &inquiry.reference,
            "AAAA-AAAA-AAAA-AAAA",
            &deed.name,
        )
        .await,
        Code::NotFound,
        reasons::NOT_FOUND,
    );
    assert_eq!(refused.message(), wrong_code.message());
    // Staff see the note's document.
    assert!(download(&agent, &secret.name).await.is_ok());
    world.stop().await;
}

#[tokio::test]
async fn unattached_uploads_expire_and_attached_ones_stay() {
    let world = World::start_with(1, CatalogAt::Down, |config| {
        config.upload_expiry = Duration::from_secs(24 * 3600);
    })
    .await;
    let agent = world.caller("agent-foncier", "bm").await;
    let portal = world.caller("portail-citoyen", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Foncier", 10)
        .await
        .unwrap();
    let kept = upload_citizen(&portal, "a.pdf", "application/pdf", &pdf(300))
        .await
        .unwrap();
    let forgotten = upload_citizen(&portal, "b.pdf", "application/pdf", &pdf(300))
        .await
        .unwrap();
    let inquiry = portal
        .submit(with_attachments(&category, vec![kept.name.clone()]))
        .await
        .unwrap()
        .inquiry
        .unwrap();

    world.set_clock("2025-08-11T09:59:00");
    assert_eq!(world.reconciler().expire_uploads_once().await.unwrap(), 0);
    world.set_clock("2025-08-11T10:01:00");
    assert_eq!(world.reconciler().expire_uploads_once().await.unwrap(), 1);
    assert_eq!(world.reconciler().expire_uploads_once().await.unwrap(), 0);
    assert_invalid(
        portal
            .submit(with_attachments(&category, vec![forgotten.name.clone()]))
            .await,
        "attachments[0]",
    );
    let (_, bytes) = download(&agent, &kept.name).await.unwrap();
    assert_eq!(bytes, pdf(300));
    assert_eq!(agent.get(&inquiry.name).await.unwrap().attachments.len(), 1);
    world.stop().await;
}

#[tokio::test]
async fn the_retention_round_deletes_a_closed_inquirys_documents() {
    let world = World::start_with(1, CatalogAt::Down, |config| {
        config.retention = Duration::from_secs(10 * 86_400);
    })
    .await;
    let agent = world.caller("agent-foncier", "bm").await;
    let portal = world.caller("portail-citoyen", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Foncier", 10)
        .await
        .unwrap();
    let deed = upload_citizen(&portal, "titre.pdf", "application/pdf", &pdf(900))
        .await
        .unwrap();
    let submitted = portal
        .submit(with_attachments(&category, vec![deed.name.clone()]))
        .await
        .unwrap();
    let code = submitted.tracking_code.clone();
    let inquiry = submitted.inquiry.unwrap();
    let answer = upload_staff(&agent, "agencies/bm", "plan.png", "image/png", &png(400))
        .await
        .unwrap();
    agent
        .add_message(staff_message(
            &inquiry.name,
            MessageVisibility::PublicReply,
            vec![answer.name.clone()],
        ))
        .await
        .unwrap();
    let current = agent.get(&inquiry.name).await.unwrap();
    let current = agent
        .transition(&current, InquiryStatus::Answered, "")
        .await
        .unwrap();
    agent
        .transition(&current, InquiryStatus::Closed, "")
        .await
        .unwrap();
    // Still there within the retention period.
    assert!(download(&agent, &deed.name).await.is_ok());

    world.set_clock("2025-08-21T11:00:00");
    assert_eq!(world.reconciler().anonymise_once().await.unwrap(), 1);
    for name in [&deed.name, &answer.name] {
        assert_status(
            download(&agent, name).await,
            Code::NotFound,
            reasons::NOT_FOUND,
        );
    }
    assert!(
        agent
            .get(&inquiry.name)
            .await
            .unwrap()
            .attachments
            .is_empty()
    );
    // An anonymised inquiry's tracking code opens nothing, its documents included.
    let citizen = world.anonymous().await;
    assert_status(
        citizen.lookup(&inquiry.reference, &code).await,
        Code::NotFound,
        reasons::NOT_FOUND,
    );
    assert_status(
        download_citizen(&citizen, &inquiry.reference, &code, &deed.name).await,
        Code::NotFound,
        reasons::NOT_FOUND,
    );
    world.stop().await;
}

#[tokio::test]
async fn the_demo_plot_question_carries_a_well_formed_illustrative_pdf() {
    let mut world = World::start(0, CatalogAt::Down).await;
    let app = jalia_inquiries::Application::build(world.config.clone(), world.clock.clone())
        .await
        .unwrap();
    app.load_demo().await.unwrap();
    app.load_demo().await.unwrap();
    drop(app);
    world.add_server().await;
    let ministry = world.caller("ministere", "*").await;
    let mut documents = Vec::new();
    for inquiry in ministry.list_all(list_of("agencies/bm")).await {
        documents.extend(ministry.get(&inquiry.name).await.unwrap().attachments);
    }
    assert_eq!(documents.len(), 1, "one demo document, loaded once");
    assert!(documents[0].file_name.contains("illustratif"));
    let (_, pdf) = download(&ministry, &documents[0].name).await.unwrap();
    let text = String::from_utf8(pdf.clone()).unwrap();
    assert!(text.starts_with("%PDF-1.4\n") && text.ends_with("%%EOF\n"));
    assert!(text.contains("illustratif"));
    // Every cross-reference offset points at its object, and startxref at the table.
    let startxref: usize = text
        .rsplit("startxref\n")
        .next()
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(text[startxref..].starts_with("xref\n0 6\n"));
    let entries: Vec<&str> = text[startxref..].lines().skip(3).take(5).collect();
    for (index, entry) in entries.iter().enumerate() {
        assert_eq!(entry.len(), 19, "20 bytes with the newline");
        let offset: usize = entry[..10].parse().unwrap();
        assert!(text[offset..].starts_with(&format!("{} 0 obj\n", index + 1)));
    }
    world.stop().await;
}

/// How many contents the database store holds.
async fn stored_contents(world: &World) -> i64 {
    use jalia_db::sea_orm::{ConnectionTrait, Statement};
    let conn = world.database.db().connection();
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS n FROM inquiry_attachment_contents",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test]
async fn content_no_metadata_names_is_swept_after_the_expiry() {
    use jalia_db::sea_orm::{ConnectionTrait, Statement};
    let world = World::start(1, CatalogAt::Down).await;
    let portal = world.caller("portail-citoyen", "bm").await;
    upload_citizen(&portal, "a.pdf", "application/pdf", &pdf(300))
        .await
        .unwrap();
    // As if an upload had stopped between its content and its metadata.
    let conn = world.database.db().connection();
    let backend = conn.get_database_backend();
    let sql = match world.database.backend() {
        jalia_db::Backend::Postgres => {
            "INSERT INTO inquiry_attachment_contents (attachment_id, content, created_at) \
             VALUES ($1, $2, $3)"
        }
        jalia_db::Backend::Sqlite => {
            "INSERT INTO inquiry_attachment_contents (attachment_id, content, created_at) \
             VALUES (?, ?, ?)"
        }
    };
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [
            Uuid::now_v7().into(),
            pdf(100).into(),
            world.clock_micros().into(),
        ],
    ))
    .await
    .unwrap();
    assert_eq!(stored_contents(&world).await, 2);
    // Within the expiry nothing goes; after it, the orphan and the unattached upload do.
    world.set_clock("2025-08-11T09:00:00");
    world.reconciler().expire_uploads_once().await.unwrap();
    assert_eq!(stored_contents(&world).await, 2);
    world.set_clock("2025-08-11T11:00:00");
    assert_eq!(world.reconciler().expire_uploads_once().await.unwrap(), 1);
    assert_eq!(stored_contents(&world).await, 0);
    world.stop().await;
}

#[tokio::test]
async fn erasing_a_persons_data_deletes_the_documents_of_their_inquiries_only() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent-foncier", "bm").await;
    let portal = world.caller("portail-citoyen", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Foncier", 10)
        .await
        .unwrap();
    let mut submitted = Vec::new();
    for email in ["samira.fictive@example.org", "karim.fictif@example.org"] {
        let deed = upload_citizen(&portal, "titre.pdf", "application/pdf", &pdf(700))
            .await
            .unwrap();
        let mut request = with_attachments(&category, vec![deed.name.clone()]);
        let requester = request
            .inquiry
            .as_mut()
            .and_then(|inquiry| inquiry.requester.as_mut())
            .unwrap();
        requester.email = email.to_owned();
        requester.phone = String::new();
        let inquiry = portal.submit(request).await.unwrap().inquiry.unwrap();
        submitted.push((inquiry, deed));
    }
    assert_eq!(stored_contents(&world).await, 2);

    let dpo = world
        .caller_scoped("dpo", "bm", &["inquiries.handle", "inquiries.read"])
        .await;
    let erasure = dpo
        .client()
        .erase_personal_data(dpo.request(ErasePersonalDataRequest {
            parent: "agencies/bm".to_owned(),
            email: "Samira.Fictive@example.org".to_owned(),
            phone: String::new(),
            request_id: Uuid::new_v4().to_string(),
        }))
        .await
        .unwrap()
        .into_inner()
        .erasure
        .unwrap();
    assert_eq!(erasure.inquiry_count, 1);

    let (erased, erased_deed) = &submitted[0];
    assert_status(
        download(&agent, &erased_deed.name).await,
        Code::NotFound,
        reasons::NOT_FOUND,
    );
    assert!(
        agent
            .get(&erased.name)
            .await
            .unwrap()
            .attachments
            .is_empty()
    );
    // The other person's document stays, whole.
    let (kept, kept_deed) = &submitted[1];
    let (_, bytes) = download(&agent, &kept_deed.name).await.unwrap();
    assert_eq!(bytes, pdf(700));
    assert_eq!(agent.get(&kept.name).await.unwrap().attachments.len(), 1);
    assert_eq!(stored_contents(&world).await, 1);
    world.stop().await;
}
