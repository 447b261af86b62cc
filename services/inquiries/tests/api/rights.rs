//! A person's rights over their data (law 09-08), through the agency's staff: access
//! (ExportPersonalData, inquiries.read) returns every inquiry the agency holds for an
//! email or a phone, with its history and messages; erasure (ErasePersonalData,
//! inquiries.handle) anonymises them in every column that held the person's data, keeps
//! the statistics, is idempotent by request_id, and returns its record, which holds no
//! personal data.

use jalia_db::Backend;
use jalia_db::sea_orm::{ConnectionTrait, Statement, Value};
use jalia_proto::inquiries::v1::*;
use jalia_runtime::reasons;
use jalia_testing::{assert_invalid, assert_status};
use tokio::task::JoinSet;
use tonic::{Code, Response, Status};
use uuid::Uuid;

use crate::helpers::*;

const NAME: &str = "Khadija Imaginaire";
const EMAIL: &str = "Khadija.Imaginaire@Example.org";
const PHONE: &str = "+212 6 61 23 45 67";
const SUBJECT: &str = "Autorisation de lotir à Fquih Ben Salah";
const BODY: &str = "Quels documents pour lotir le terrain familial ?";
const CITIZEN: &str = "Je joins le plan cadastral demandé";
const NOTE: &str = "Rappeler Mme Imaginaire jeudi";
const REPLY: &str = "Votre dossier est complet";
const INTERNAL: &str = "Vérifier le titre foncier";
const LAND_TITLE: &str = "4521/10";

fn erase_request(email: &str, phone: &str, request_id: &str) -> ErasePersonalDataRequest {
    ErasePersonalDataRequest {
        parent: "agencies/bm".to_owned(),
        email: email.to_owned(),
        phone: phone.to_owned(),
        request_id: request_id.to_owned(),
    }
}

async fn erase(api: &Api, request: ErasePersonalDataRequest) -> Result<Erasure, Status> {
    let request = api.request(request);
    api.client()
        .erase_personal_data(request)
        .await
        .map(|response| response.into_inner().erasure.unwrap())
}

async fn export(api: &Api, email: &str, phone: &str) -> Result<Vec<PersonalDataInquiry>, Status> {
    export_from(api, "agencies/bm", email, phone).await
}

async fn export_from(
    api: &Api,
    parent: &str,
    email: &str,
    phone: &str,
) -> Result<Vec<PersonalDataInquiry>, Status> {
    let request = api.request(ExportPersonalDataRequest {
        parent: parent.to_owned(),
        email: email.to_owned(),
        phone: phone.to_owned(),
        language_code: "fr".to_owned(),
    });
    api.client()
        .export_personal_data(request)
        .await
        .map(|response| response.into_inner().inquiries)
}

async fn public_figures(api: &Api) -> GetPublicInquiryStatisticsResponse {
    api.client()
        .get_public_inquiry_statistics(GetPublicInquiryStatisticsRequest {
            parent: "agencies/bm".to_owned(),
            year: 2025,
        })
        .await
        .map(Response::into_inner)
        .unwrap()
}

/// Every text value the database holds for `inquiry`: each column of its row that held
/// the requester's data or the citizen's words, its messages' bodies and authors, and its
/// history's notes.
async fn stored_texts(world: &World, inquiry: &str) -> Vec<String> {
    let id: Uuid = inquiry.rsplit('/').next().unwrap().parse().unwrap();
    let (backend, p) = match world.database.backend() {
        Backend::Postgres => (jalia_db::sea_orm::DbBackend::Postgres, "$1"),
        Backend::Sqlite => (jalia_db::sea_orm::DbBackend::Sqlite, "?"),
    };
    let queries = [
        (
            format!(
                "SELECT requester_name, requester_email, requester_phone, requester_language, \
                 subject, body, place_commune, place_land_title, service, event, \
                 referral_administration, referral_external_reference FROM inquiries WHERE id = {p}"
            ),
            12,
        ),
        (
            format!("SELECT body, author FROM inquiry_messages WHERE inquiry_id = {p}"),
            2,
        ),
        (
            format!(
                "SELECT note, actor, assignment_team, assignment_agent FROM inquiry_history \
                 WHERE inquiry_id = {p}"
            ),
            4,
        ),
    ];
    let conn = world.database.db().connection();
    let mut texts = Vec::new();
    for (index, (sql, columns)) in queries.into_iter().enumerate() {
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [Value::from(id)],
            ))
            .await
            .unwrap();
        assert!(index > 0 || rows.len() == 1, "the inquiry's row is read");
        for row in rows {
            for column in 0..columns {
                if let Some(text) = row.try_get_by_index::<Option<String>>(column).unwrap() {
                    texts.push(text);
                }
            }
        }
    }
    texts
}

/// Every text value of the erasure records.
async fn erasure_texts(world: &World) -> Vec<String> {
    let conn = world.database.db().connection();
    let backend = conn.get_database_backend();
    let rows = conn
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT agency, erased_by_agency, erased_by_subject FROM inquiry_erasures",
        ))
        .await
        .unwrap();
    rows.iter()
        .flat_map(|row| (0..3).map(|index| row.try_get_by_index::<String>(index).unwrap()))
        .collect()
}

fn reply_request(inquiry: &Inquiry, code: &str, body: &str) -> ReplyToInquiryRequest {
    ReplyToInquiryRequest {
        reference: inquiry.reference.clone(),
        tracking_code: code.to_owned(),
        body: body.to_owned(),
        request_id: Uuid::new_v4().to_string(),
        attachments: Vec::new(),
    }
}

#[tokio::test]
async fn staff_export_and_erase_one_persons_inquiries_and_the_figures_stay() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent-dpo", "bm").await;
    let reader = world
        .caller_scoped("dpo-desk", "bm", &["inquiries.read"])
        .await;
    let submitter = world
        .caller_scoped("portail", "bm", &["inquiries.submit"])
        .await;
    let rabat = world.caller("agent-rabat", "rabat").await;
    let category = agent
        .create_category("agencies/bm", "Lotissement", 10)
        .await
        .unwrap();

    // The person: by email and phone on one inquiry, where they wrote back and staff
    // wrote a note, a reply and history notes; by phone only (national form) on another;
    // someone else has a third.
    let mut request = submission(&category);
    {
        let requester = requester_mut(&mut request);
        requester.display_name = NAME.to_owned();
        requester.email = EMAIL.to_owned();
        requester.phone = PHONE.to_owned();
    }
    inquiry_mut(&mut request).subject = SUBJECT.to_owned();
    inquiry_mut(&mut request).body = BODY.to_owned();
    inquiry_mut(&mut request).place = Some(InquiryPlace {
        commune: "Fquih Ben Salah".to_owned(),
        land_title_number: LAND_TITLE.to_owned(),
        latitude: Some(32.5),
        longitude: Some(-6.69),
    });
    let submitted = agent.submit(request).await.unwrap();
    let code = submitted.tracking_code.clone();
    let first = submitted.inquiry.unwrap();
    let first = agent
        .assign(&first, "guichet-mre", "agent-dpo", NOTE)
        .await
        .unwrap();
    agent
        .write(&first.name, MessageVisibility::InternalNote, INTERNAL)
        .await
        .unwrap();
    agent
        .write(&first.name, MessageVisibility::PublicReply, REPLY)
        .await
        .unwrap();
    let portal = world.caller("portail-citoyen", "bm").await;
    portal
        .client()
        .reply_to_inquiry(portal.request(reply_request(&first, &code, CITIZEN)))
        .await
        .unwrap();
    let mut request = submission(&category);
    {
        let requester = requester_mut(&mut request);
        requester.display_name = NAME.to_owned();
        requester.email = String::new();
        requester.phone = "0661234567".to_owned();
    }
    let second = agent.submit(request).await.unwrap().inquiry.unwrap();
    let other = agent
        .submit(submission(&category))
        .await
        .unwrap()
        .inquiry
        .unwrap();

    // Access, with inquiries.read: by email (any case) the first; by phone, both, with
    // their history and every message (the note marked internal).
    let found = export(&reader, "khadija.imaginaire@example.ORG", "")
        .await
        .unwrap();
    let names: Vec<_> = found
        .iter()
        .map(|entry| entry.inquiry.as_ref().unwrap().name.as_str())
        .collect();
    assert_eq!(names, [first.name.as_str()]);
    let entry = &found[0];
    let inquiry = entry.inquiry.as_ref().unwrap();
    assert_eq!(inquiry.requester.as_ref().unwrap().display_name, NAME);
    assert!(inquiry.history.iter().any(|change| change.note == NOTE));
    let bodies: Vec<_> = entry
        .messages
        .iter()
        .map(|message| (message.body.as_str(), message.visibility))
        .collect();
    assert_eq!(
        bodies,
        [
            (INTERNAL, MessageVisibility::InternalNote as i32),
            (REPLY, MessageVisibility::PublicReply as i32),
            (CITIZEN, MessageVisibility::PublicReply as i32),
        ]
    );
    let found = export(&reader, "", "06 61 23 45 67").await.unwrap();
    let names: Vec<_> = found
        .iter()
        .map(|entry| entry.inquiry.as_ref().unwrap().name.as_str())
        .collect();
    assert_eq!(names, [first.name.as_str(), second.name.as_str()]);
    assert!(found[1].messages.is_empty());

    // Only the agency's own staff, with the right scope, with a person named.
    assert_status(
        export_from(&rabat, "agencies/bm", EMAIL, "").await,
        Code::PermissionDenied,
        reasons::OTHER_AGENCY,
    );
    assert_status(
        erase(&rabat, erase_request(EMAIL, "", "")).await,
        Code::PermissionDenied,
        reasons::OTHER_AGENCY,
    );
    assert_status(
        export(&submitter, EMAIL, "").await,
        Code::PermissionDenied,
        reasons::MISSING_SCOPE,
    );
    assert_status(
        erase(&reader, erase_request("", PHONE, "")).await,
        Code::PermissionDenied,
        reasons::MISSING_SCOPE,
    );
    assert_invalid(export(&reader, " ", "").await, "email");
    assert_invalid(export(&reader, "khadija-at-example.org", "").await, "email");
    assert_invalid(erase(&agent, erase_request("", "12", "")).await, "phone");
    assert_invalid(
        erase(&agent, erase_request("", PHONE, "not-a-uuid")).await,
        "request_id",
    );
    let mut everywhere = erase_request(EMAIL, "", "");
    everywhere.parent = "agencies/-".to_owned();
    assert_invalid(erase(&agent, everywhere).await, "parent");
    assert_invalid(
        export_from(&reader, "agencies/-", EMAIL, "").await,
        "parent",
    );
    assert!(
        erasure_texts(&world).await.is_empty(),
        "refusals record nothing"
    );

    let statistics_before = agent
        .statistics("agencies/bm", "2025-08-01", "2025-08-31")
        .await
        .unwrap();
    let public_before = public_figures(&world.anonymous().await).await;

    // Erasure by phone, idempotent by request_id.
    let request_id = Uuid::new_v4().to_string();
    let erasure = erase(&agent, erase_request("", "0661234567", &request_id))
        .await
        .unwrap();
    assert!(
        erasure.name.starts_with("agencies/bm/erasures/"),
        "{erasure:?}"
    );
    assert_eq!(
        (erasure.erased_by.as_str(), erasure.inquiry_count),
        ("bm/agent-dpo", 2)
    );
    assert!(erasure.erase_time.is_some());
    let replayed = erase(&agent, erase_request("", "0661234567", &request_id))
        .await
        .unwrap();
    assert_eq!(replayed, erasure, "a retry gets the same record");
    assert_invalid(
        erase(&agent, erase_request(EMAIL, "", &request_id)).await,
        "request_id",
    );

    // Nothing of the person is left in any column that held it, messages included; the
    // staff's reply stays, as the retention keeps it.
    for inquiry in [&first, &second] {
        let texts = stored_texts(&world, &inquiry.name).await;
        for secret in [
            NAME,
            "Imaginaire",
            "khadija",
            "Khadija",
            "661234567",
            SUBJECT,
            BODY,
            CITIZEN,
            NOTE,
            LAND_TITLE,
            "Permis de construire depuis la France",
            "Rokhas",
        ] {
            assert!(
                texts.iter().all(|text| !text.contains(secret)),
                "{secret} remains in {texts:?}"
            );
        }
    }
    let read = agent.get(&first.name).await.unwrap();
    let requester = read.requester.clone().unwrap();
    assert_eq!(requester.display_name, "[anonymised]");
    assert!(requester.email.is_empty() && requester.phone.is_empty());
    assert_eq!(
        (read.subject.as_str(), read.body.as_str()),
        ("[anonymised]", "[anonymised]")
    );
    assert_eq!(
        read.status,
        InquiryStatus::Assigned as i32,
        "the status stays"
    );
    assert!(read.history.iter().all(|change| change.note.is_empty()));
    let messages: Vec<_> = agent
        .messages(&first.name)
        .await
        .unwrap()
        .inquiry_messages
        .into_iter()
        .map(|message| message.body)
        .collect();
    assert_eq!(messages, [INTERNAL, REPLY, "[anonymised]"]);
    // The record holds no personal data either.
    let recorded = erasure_texts(&world).await;
    assert_eq!(recorded, ["bm", "bm", "agent-dpo"]);
    // The tracking code opens nothing any more.
    assert_status(
        world
            .anonymous()
            .await
            .lookup(&first.reference, &code)
            .await,
        Code::NotFound,
        reasons::NOT_FOUND,
    );

    // Someone else's inquiry is untouched; the figures are the same.
    let kept = agent.get(&other.name).await.unwrap();
    assert_eq!(kept.requester.unwrap().display_name, "Samira Fictive");
    assert_eq!(kept.body, submission(&category).inquiry.unwrap().body);
    let statistics_after = agent
        .statistics("agencies/bm", "2025-08-01", "2025-08-31")
        .await
        .unwrap();
    assert_eq!(statistics_before, statistics_after);
    assert_eq!(
        public_before,
        public_figures(&world.anonymous().await).await
    );

    // Asked again, by the email, it finds nothing more, and records that.
    for (email, phone) in [(EMAIL, ""), ("", PHONE)] {
        assert!(export(&reader, email, phone).await.unwrap().is_empty());
    }
    let again = erase(&agent, erase_request(EMAIL, "", "")).await.unwrap();
    assert_eq!(again.inquiry_count, 0);
    assert_ne!(again.name, erasure.name);
    assert_eq!(erasure_texts(&world).await.len(), 6);
    world.stop().await;
}

#[tokio::test]
async fn an_access_answer_past_its_cap_is_refused_whole() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent-dpo", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Urbanisme", 10)
        .await
        .unwrap();
    let mut request = submission(&category);
    requester_mut(&mut request).email = "grand.dossier@example.org".to_owned();

    // 1,000 inquiries are answered; one more is refused.
    let mut submissions = JoinSet::new();
    for worker in 0..8 {
        let (agent, request) = (agent.clone(), request.clone());
        submissions.spawn(async move {
            for _ in (worker..1_000).step_by(8) {
                let mut request = request.clone();
                request.request_id = Uuid::new_v4().to_string();
                agent.submit(request).await.unwrap();
            }
        });
    }
    submissions.join_all().await;
    let found = export(&agent, "grand.dossier@example.org", "")
        .await
        .unwrap();
    assert_eq!(found.len(), 1_000);
    agent.submit(request).await.unwrap();
    let refused = assert_status(
        export(&agent, "grand.dossier@example.org", "").await,
        Code::ResourceExhausted,
        reasons::MESSAGE_TOO_LARGE,
    );
    assert!(refused.message().contains("1000 inquiries"), "{refused:?}");

    // Another person's single inquiry with more than 5,000 messages is refused too.
    let mut request = submission(&category);
    requester_mut(&mut request).email = "bavard@example.org".to_owned();
    let talkative = agent.submit(request).await.unwrap().inquiry.unwrap();
    agent
        .write(&talkative.name, MessageVisibility::InternalNote, "suivi")
        .await
        .unwrap();
    copy_message(&world, &talkative.name, 4_999).await;
    let found = export(&agent, "bavard@example.org", "").await.unwrap();
    assert_eq!(found[0].messages.len(), 5_000);
    copy_message(&world, &talkative.name, 1).await;
    let refused = assert_status(
        export(&agent, "bavard@example.org", "").await,
        Code::ResourceExhausted,
        reasons::MESSAGE_TOO_LARGE,
    );
    assert!(refused.message().contains("5000 messages"), "{refused:?}");

    // Fewer messages, but more bytes than one answer may carry: refused too.
    let mut request = submission(&category);
    requester_mut(&mut request).email = "volumineux@example.org".to_owned();
    let large = agent.submit(request).await.unwrap().inquiry.unwrap();
    agent
        .write(
            &large.name,
            MessageVisibility::InternalNote,
            &"x".repeat(10_000),
        )
        .await
        .unwrap();
    copy_message(&world, &large.name, 300).await;
    assert_eq!(
        export(&agent, "volumineux@example.org", "").await.unwrap()[0]
            .messages
            .len(),
        301
    );
    copy_message(&world, &large.name, 150).await;
    let refused = assert_status(
        export(&agent, "volumineux@example.org", "").await,
        Code::ResourceExhausted,
        reasons::MESSAGE_TOO_LARGE,
    );
    assert!(refused.message().contains("bytes"), "{refused:?}");
    world.stop().await;
}

/// Adds `copies` copies of the inquiry's one message straight in the database, many
/// messages being too slow to add one call at a time.
async fn copy_message(world: &World, inquiry: &str, copies: u32) {
    let id: Uuid = inquiry.rsplit('/').next().unwrap().parse().unwrap();
    let columns = "inquiry_id, visibility, body, author, created_at, author_kind";
    let (backend, sql) = match world.database.backend() {
        Backend::Postgres => (
            jalia_db::sea_orm::DbBackend::Postgres,
            format!(
                "INSERT INTO inquiry_messages (id, {columns}) \
                 SELECT gen_random_uuid(), {columns} FROM \
                 (SELECT {columns} FROM inquiry_messages WHERE inquiry_id = $1 LIMIT 1) AS m \
                 CROSS JOIN generate_series(1, $2)"
            ),
        ),
        Backend::Sqlite => (
            jalia_db::sea_orm::DbBackend::Sqlite,
            format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2) \
                 INSERT INTO inquiry_messages (id, {columns}) \
                 SELECT randomblob(16), {columns} FROM \
                 (SELECT {columns} FROM inquiry_messages WHERE inquiry_id = ?1 LIMIT 1) \
                 CROSS JOIN n"
            ),
        ),
    };
    world
        .database
        .db()
        .connection()
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [Value::from(id), Value::from(i32::try_from(copies).unwrap())],
        ))
        .await
        .unwrap();
}
